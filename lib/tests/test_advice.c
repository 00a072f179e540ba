// SPDX-License-Identifier: MIT
/*
 * Host unit tests for libgem_advice: the kernel is replaced by a fake
 * ops table, so every path (standard madvise/fadvise, the four per-driver
 * ioctls, unsupported) runs without a GPU. The library's source is included,
 * as a project that copies the .c/.h pair compiles it, to reach its ops
 * table.
 *
 *   test_advice [CASE]     run one case, or all of them without an argument
 *
 * Exit status 0 if every check passed, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xf86drm.h>
#include <i915_drm.h>
#include <msm_drm.h>
#include <vc4_drm.h>

#include "gem_advice.c"

/*
 * The legacy ioctl numbers, computed by hand from the kernel uAPI rather
 * than with the headers the library uses: _IOWR('d', 0x40 + nr, size).
 */
#define NR_I915_GEM_MADVISE	0xc00c6466UL	/* nr 0x26, 12 bytes */
#define NR_MSM_GEM_MADVISE	0xc00c6448UL	/* nr 0x08, 12 bytes */
#define NR_PANFROST_MADVISE	0xc00c6448UL	/* nr 0x08, 12 bytes */
#define NR_VC4_GEM_MADVISE	0xc010644bUL	/* nr 0x0b, 16 bytes */
#define NR_VC4_GET_PARAM	0xc0106447UL	/* nr 0x07, 16 bytes */

_Static_assert(DRM_IOCTL_I915_GEM_MADVISE == NR_I915_GEM_MADVISE, "i915");
_Static_assert(DRM_IOCTL_MSM_GEM_MADVISE == NR_MSM_GEM_MADVISE, "msm");
_Static_assert(DRM_IOCTL_PANFROST_MADVISE == NR_PANFROST_MADVISE, "panfrost");
_Static_assert(DRM_IOCTL_VC4_GEM_MADVISE == NR_VC4_GEM_MADVISE, "vc4");
_Static_assert(DRM_IOCTL_VC4_GET_PARAM == NR_VC4_GET_PARAM, "vc4 param");
_Static_assert(sizeof(struct drm_panfrost_madvise) == 12, "panfrost struct");

static atomic_int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, __func__, #cond);	\
			atomic_fetch_add(&failures, 1);			\
		}							\
	} while (0)

/* ------------------------------------------------------------------------ */
/* The fake kernel: a few DRM devices, by fd, and a log of what was called. */

#define FAKE_FD		100	/* fds FAKE_FD .. FAKE_FD + FAKE_NDEVS - 1 */
#define FAKE_NDEVS	4
#define FAKE_MAP	((void *)(uintptr_t)0x7e5700000000ull)	/* never touched */
#define FAKE_RETAINED_ODD	0x5a5a5a5au

#define STD_CAPS	(DRM_GEM_MMAP_ADVICE_POPULATE | DRM_GEM_MMAP_ADVICE_PURGEABLE)

struct fake_dev {
	const char *driver;	/* NULL: drmGetVersion() fails */
	int cap_err;		/* drmGetCap() fails with this errno if set */
	uint64_t cap;		/* else DRM_CAP_GEM_MMAP_ADVICE's value */
	bool old;		/* a kernel before the driver's madvise ioctl */
};

/* What the legacy ioctls say about handle 0, which is never a GEM handle. */
#define FAKE_NO_HANDLE	0

static struct {
	pthread_mutex_t lock;
	struct fake_dev dev[FAKE_NDEVS];

	/* What the next calls return: errno values, 0 for success. */
	int ioctl_err, mmap_err, madvise_err, fadvise_err;
	/* How many calls fail with EINTR first, as if a signal came. */
	int madvise_eintr, fadvise_eintr;
	uint32_t retained;	/* legacy ioctls' out field */
	bool purged;		/* standard calls: WILLNEED fails with EFAULT */

	/* Call counts. */
	int n_ioctl, n_mmap, n_munmap, n_madvise, n_fadvise;
	int n_get_cap, n_get_version, versions_live, n_probe;

	/* Arguments of the last call of each kind. */
	struct { int fd; unsigned long request; uint32_t handle, madv; } ioctl;
	struct { void *addr; size_t len; int prot, flags, fd; off_t offset; } mmap;
	struct { void *addr; size_t len; } munmap;
	struct { void *addr; size_t len; int advice; } madvise;
	struct { int fd; off_t offset, len; int advice; } fadvise;
	uint64_t cap_asked;
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct fake_dev *fake_dev(int fd)
{
	if (fd < FAKE_FD || fd >= FAKE_FD + FAKE_NDEVS)
		return NULL;
	return &fake.dev[fd - FAKE_FD];
}

static void fake_reset(void)
{
	pthread_mutex_lock(&fake.lock);
	CHECK(fake.versions_live == 0);
	memset((char *)&fake + sizeof(fake.lock), 0,
	       sizeof(fake) - sizeof(fake.lock));
	pthread_mutex_unlock(&fake.lock);
}

static void fake_set_dev(int fd, const char *driver, int cap_err, uint64_t cap)
{
	*fake_dev(fd) = (struct fake_dev){ driver, cap_err, cap, false };
}

/*
 * The probes the library makes at creation: vc4's SUPPORTS_MADVISE parameter
 * and i915's madvise ioctl on handle 0. Returns the errno, or -1 if @request
 * is not a probe.
 */
static int fake_probe(int fd, unsigned long request, void *arg)
{
	struct fake_dev *dev = fake_dev(fd);
	bool has = dev && !dev->old;

	if (request == NR_VC4_GET_PARAM) {
		struct drm_vc4_get_param *a = arg;

		if (a->param != DRM_VC4_PARAM_SUPPORTS_MADVISE || !has)
			return EINVAL;	/* as vc4_get_param_ioctl() */
		a->value = 1;
		return 0;
	}
	if (request == NR_I915_GEM_MADVISE &&
	    ((struct drm_i915_gem_madvise *)arg)->handle == FAKE_NO_HANDLE)
		return has ? ENOENT : EINVAL;	/* lookup, or no such ioctl */
	return -1;
}

static int fake_ioctl(int fd, unsigned long request, void *arg)
{
	int err;

	pthread_mutex_lock(&fake.lock);
	err = fake_probe(fd, request, arg);
	if (err >= 0) {
		fake.n_probe++;
		goto out;
	}
	err = 0;
	fake.n_ioctl++;
	fake.ioctl.fd = fd;
	fake.ioctl.request = request;
	switch (request) {
	case NR_I915_GEM_MADVISE: {
		struct drm_i915_gem_madvise *a = arg;

		fake.ioctl.handle = a->handle;
		fake.ioctl.madv = a->madv;
		a->retained = fake.retained;
		break;
	}
	case NR_MSM_GEM_MADVISE: {	/* same number and layout as panfrost */
		struct drm_msm_gem_madvise *a = arg;

		fake.ioctl.handle = a->handle;
		fake.ioctl.madv = a->madv;
		a->retained = fake.retained;
		break;
	}
	case NR_VC4_GEM_MADVISE: {
		struct drm_vc4_gem_madvise *a = arg;

		if (a->pad != 0)	/* as vc4_gem_madvise_ioctl() */
			err = EINVAL;
		fake.ioctl.handle = a->handle;
		fake.ioctl.madv = a->madv;
		a->retained = fake.retained;
		break;
	}
	default:
		err = ENOTTY;
	}
	if (!err)
		err = fake.ioctl_err;
out:
	pthread_mutex_unlock(&fake.lock);
	errno = err;
	return err ? -1 : 0;
}

static void *fake_mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off_t offset)
{
	int err;

	pthread_mutex_lock(&fake.lock);
	fake.n_mmap++;
	fake.mmap.addr = addr;
	fake.mmap.len = len;
	fake.mmap.prot = prot;
	fake.mmap.flags = flags;
	fake.mmap.fd = fd;
	fake.mmap.offset = offset;
	err = fake.mmap_err;
	pthread_mutex_unlock(&fake.lock);
	errno = err;
	return err ? MAP_FAILED : FAKE_MAP;
}

static int fake_munmap(void *addr, size_t len)
{
	pthread_mutex_lock(&fake.lock);
	fake.n_munmap++;
	fake.munmap.addr = addr;
	fake.munmap.len = len;
	pthread_mutex_unlock(&fake.lock);
	errno = 0;	/* a successful call may clobber errno */
	return 0;
}

static int fake_madvise(void *addr, size_t len, int advice)
{
	int err;

	pthread_mutex_lock(&fake.lock);
	fake.n_madvise++;
	fake.madvise.addr = addr;
	fake.madvise.len = len;
	fake.madvise.advice = advice;
	if (fake.madvise_eintr > 0) {
		fake.madvise_eintr--;
		err = EINTR;
	} else if (fake.purged && advice == MADV_WILLNEED) {
		err = EFAULT;
	} else {
		err = fake.madvise_err;
	}
	pthread_mutex_unlock(&fake.lock);
	errno = err;
	return err ? -1 : 0;
}

/* Returns the error number and, like the real one, does not set errno. */
static int fake_posix_fadvise(int fd, off_t offset, off_t len, int advice)
{
	int err;

	pthread_mutex_lock(&fake.lock);
	fake.n_fadvise++;
	fake.fadvise.fd = fd;
	fake.fadvise.offset = offset;
	fake.fadvise.len = len;
	fake.fadvise.advice = advice;
	if (fake.fadvise_eintr > 0) {
		fake.fadvise_eintr--;
		err = EINTR;
	} else if (fake.purged && advice == POSIX_FADV_WILLNEED) {
		err = EFAULT;
	} else {
		err = fake.fadvise_err;
	}
	pthread_mutex_unlock(&fake.lock);
	errno = EPERM;	/* garbage: the library must use the return value */
	return err;
}

static int fake_get_cap(int fd, uint64_t capability, uint64_t *value)
{
	struct fake_dev *dev = fake_dev(fd);
	int err;

	pthread_mutex_lock(&fake.lock);
	fake.n_get_cap++;
	fake.cap_asked = capability;
	err = !dev ? EBADF : capability != DRM_CAP_GEM_MMAP_ADVICE ? EINVAL :
	      dev->cap_err;
	if (!err)
		*value = dev->cap;
	pthread_mutex_unlock(&fake.lock);
	errno = err;
	return err ? -1 : 0;
}

/* Heap-allocated like libdrm's, so valgrind sees a missing free. */
static drmVersionPtr fake_get_version(int fd)
{
	struct fake_dev *dev = fake_dev(fd);
	drmVersionPtr v = NULL;

	pthread_mutex_lock(&fake.lock);
	fake.n_get_version++;
	if (dev && dev->driver) {
		v = calloc(1, sizeof(*v));
		v->name = strdup(dev->driver);
		v->name_len = (int)strlen(dev->driver);
		v->version_major = 1;
		v->version_minor = dev->old ? 0 : 12;
		fake.versions_live++;
	}
	pthread_mutex_unlock(&fake.lock);
	if (!v)
		errno = ENOTTY;
	return v;
}

static void fake_free_version(drmVersionPtr v)
{
	if (!v)
		return;
	pthread_mutex_lock(&fake.lock);
	fake.versions_live--;
	pthread_mutex_unlock(&fake.lock);
	free(v->name);
	free(v);
}

static const struct gem_advice_ops fake_ops = {
	.ioctl = fake_ioctl,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.madvise = fake_madvise,
	.posix_fadvise = fake_posix_fadvise,
	.get_cap = fake_get_cap,
	.get_version = fake_get_version,
	.free_version = fake_free_version,
};

static struct gem_advice *create(int fd)
{
	struct gem_advice *adv = create_with_ops(fd, &fake_ops);

	CHECK(adv != NULL);
	if (!adv)
		abort();
	return adv;
}

static int syscalls(void)
{
	return fake.n_ioctl + fake.n_mmap + fake.n_munmap + fake.n_madvise +
	       fake.n_fadvise;
}

/* Caps of a fresh context on a device set up as given. */
static uint32_t caps_of(const char *driver, int cap_err, uint64_t cap)
{
	struct gem_advice *adv;
	uint32_t caps;

	fake_reset();
	fake_set_dev(FAKE_FD, driver, cap_err, cap);
	adv = create(FAKE_FD);
	caps = gem_advice_get_caps(adv);
	CHECK(fake.n_get_cap == 1);
	CHECK(fake.cap_asked == 0x16);
	CHECK(fake.n_get_version == 1);
	CHECK(fake.versions_live == 0);
	CHECK(syscalls() == 0);
	gem_advice_destroy(adv);
	return caps;
}

/* ------------------------------------------------------------------------ */
/* Query */

static void test_query_standard(void)
{
	CHECK(caps_of("vgem", 0, STD_CAPS) ==
	      (GEM_ADVICE_POPULATE | GEM_ADVICE_PURGEABLE));
	CHECK(caps_of("vgem", 0, DRM_GEM_MMAP_ADVICE_POPULATE) ==
	      GEM_ADVICE_POPULATE);
	CHECK(caps_of("vgem", 0, DRM_GEM_MMAP_ADVICE_PURGEABLE) ==
	      GEM_ADVICE_PURGEABLE);
	/* Bits this library does not know are not reported. */
	CHECK(caps_of("vgem", 0, ~0ull) ==
	      (GEM_ADVICE_POPULATE | GEM_ADVICE_PURGEABLE));
	/* Both the standard calls and a legacy ioctl. */
	CHECK(caps_of("i915", 0, STD_CAPS) ==
	      (GEM_ADVICE_POPULATE | GEM_ADVICE_PURGEABLE |
	       GEM_ADVICE_PURGEABLE_LEGACY));
}

static void test_query_legacy(void)
{
	static const char *const drivers[] = { "i915", "msm", "panfrost", "vc4" };

	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
		/* Old kernel: unknown cap. */
		CHECK(caps_of(drivers[i], EINVAL, 0) ==
		      GEM_ADVICE_PURGEABLE_LEGACY);
		/* Patched kernel, driver not ported: cap 0. */
		CHECK(caps_of(drivers[i], 0, 0) ==
		      GEM_ADVICE_PURGEABLE_LEGACY);
	}
}

static void test_query_none(void)
{
	CHECK(caps_of("nouveau", EINVAL, 0) == 0);
	CHECK(caps_of("vgem", 0, 0) == 0);
	CHECK(caps_of("i915x", EINVAL, 0) == 0);	/* exact names only */
	CHECK(caps_of("vc", EINVAL, 0) == 0);
	CHECK(caps_of(NULL, EINVAL, 0) == 0);		/* drmGetVersion fails */
}

static void test_create_errors(void)
{
	fake_reset();
	errno = 0;
	CHECK(create_with_ops(-1, &fake_ops) == NULL);
	CHECK(errno == EBADF);
	CHECK(fake.n_get_cap == 0 && fake.n_get_version == 0);
	CHECK(gem_advice_get_caps(NULL) == 0);
	gem_advice_destroy(NULL);
}

/* ------------------------------------------------------------------------ */
/* Map with populate */

static void test_map(void)
{
	const int prot = PROT_READ | PROT_WRITE;
	struct gem_advice *adv;

	fake_reset();
	fake_set_dev(FAKE_FD, "vgem", 0, STD_CAPS);
	adv = create(FAKE_FD);
	CHECK(gem_advice_map(adv, 0x100000, 8192, prot) == FAKE_MAP);
	CHECK(fake.n_mmap == 1);
	CHECK(fake.mmap.addr == NULL && fake.mmap.len == 8192);
	CHECK(fake.mmap.prot == prot && fake.mmap.fd == FAKE_FD);
	CHECK(fake.mmap.flags == (MAP_SHARED | MAP_POPULATE));
	CHECK(fake.mmap.offset == 0x100000);
	CHECK(fake.n_madvise == 0 && fake.n_munmap == 0);	/* no fallback */

	fake.mmap_err = ENOMEM;
	errno = 0;
	CHECK(gem_advice_map(adv, 0x100000, 8192, prot) == MAP_FAILED);
	CHECK(errno == ENOMEM);
	fake.mmap_err = 0;

	/* Bad arguments: no system call. */
	fake.n_mmap = 0;
	errno = 0;
	CHECK(gem_advice_map(adv, 0x100000, 0, prot) == MAP_FAILED);
	CHECK(errno == EINVAL);
	CHECK(gem_advice_map(NULL, 0x100000, 4096, prot) == MAP_FAILED);
	CHECK(errno == EINVAL);
	CHECK(gem_advice_map(adv, UINT64_MAX, 4096, prot) == MAP_FAILED);
	CHECK(errno == EOVERFLOW);
	CHECK(fake.n_mmap == 0);
	gem_advice_destroy(adv);

	/* Without the POPULATE bit: a plain shared mapping. */
	const char *const old[] = { "i915", "vgem" };
	for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
		fake_reset();
		fake_set_dev(FAKE_FD + 1, old[i], i ? 0 : EINVAL,
			     i ? DRM_GEM_MMAP_ADVICE_PURGEABLE : 0);
		adv = create(FAKE_FD + 1);
		CHECK(gem_advice_map(adv, 0x2000, 4096, PROT_READ) == FAKE_MAP);
		CHECK(fake.mmap.flags == MAP_SHARED);
		CHECK(fake.mmap.prot == PROT_READ && fake.mmap.fd == FAKE_FD + 1);
		CHECK(syscalls() == 1);
		gem_advice_destroy(adv);
	}
}

/* ------------------------------------------------------------------------ */
/* Standard path */

static struct gem_advice *std_adv(const char *driver)
{
	fake_reset();
	fake_set_dev(FAKE_FD, driver, 0, STD_CAPS);
	return create(FAKE_FD);
}

static void test_std_madvise(void)
{
	struct gem_advice *adv = std_adv("vgem");
	static const int errs[] = { EINVAL, EACCES, EBUSY };
	bool retained = false;

	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 65536, FAKE_MAP, NULL) == 0);
	CHECK(fake.n_madvise == 1 && fake.madvise.advice == MADV_FREE);
	CHECK(fake.madvise.addr == FAKE_MAP && fake.madvise.len == 65536);

	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 65536, FAKE_MAP,
				     &retained) == 0);
	CHECK(retained);
	CHECK(fake.n_madvise == 2 && fake.madvise.advice == MADV_WILLNEED);
	CHECK(fake.madvise.addr == FAKE_MAP && fake.madvise.len == 65536);

	CHECK(gem_advice_purge(adv, 7, 0x10000, 65536, FAKE_MAP) == 0);
	CHECK(fake.n_madvise == 3 && fake.madvise.advice == MADV_REMOVE);
	CHECK(fake.madvise.addr == FAKE_MAP && fake.madvise.len == 65536);

	/* Kernel errors come back as -1 / errno; retained left alone. */
	for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
		fake.madvise_err = errs[i];
		errno = 0;
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 65536,
						FAKE_MAP, NULL) == -1);
		CHECK(errno == errs[i]);
		errno = 0;
		retained = true;
		CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 65536, FAKE_MAP,
					     &retained) == -1);
		CHECK(errno == errs[i] && retained);
		errno = 0;
		CHECK(gem_advice_purge(adv, 7, 0x10000, 65536, FAKE_MAP) == -1);
		CHECK(errno == errs[i]);
	}
	CHECK(fake.n_fadvise == 0 && fake.n_ioctl == 0 && fake.n_mmap == 0);
	gem_advice_destroy(adv);
}

static void test_std_fadvise(void)
{
	struct gem_advice *adv = std_adv("vgem");
	bool retained = false;

	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 65536, NULL, NULL) == 0);
	CHECK(fake.n_fadvise == 1);
	CHECK(fake.fadvise.advice == POSIX_FADV_DONTNEED);
	CHECK(fake.fadvise.fd == FAKE_FD && fake.fadvise.offset == 0x10000);
	CHECK(fake.fadvise.len == 65536);

	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 65536, NULL,
				     &retained) == 0);
	CHECK(retained);
	CHECK(fake.n_fadvise == 2);
	CHECK(fake.fadvise.advice == POSIX_FADV_WILLNEED);
	CHECK(fake.fadvise.fd == FAKE_FD && fake.fadvise.offset == 0x10000);

	/* Size 0: the whole object. */
	CHECK(gem_advice_mark_purgeable(adv, 7, 0x20000, 0, NULL, NULL) == 0);
	CHECK(fake.fadvise.offset == 0x20000 && fake.fadvise.len == 0);

	/* posix_fadvise() returns the error; the library sets errno. */
	fake.fadvise_err = EBUSY;
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 65536, NULL, NULL) == -1);
	CHECK(errno == EBUSY);
	errno = 0;
	retained = true;
	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 65536, NULL,
				     &retained) == -1);
	CHECK(errno == EBUSY && retained);
	CHECK(fake.n_madvise == 0 && fake.n_ioctl == 0 && fake.n_mmap == 0);
	gem_advice_destroy(adv);
}

static void test_std_efault(void)
{
	struct gem_advice *adv = std_adv("vgem");
	bool retained = true;

	/* Purged: EFAULT from MADV_WILLNEED / POSIX_FADV_WILLNEED. */
	fake.madvise_err = EFAULT;
	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 4096, FAKE_MAP,
				     &retained) == 0);
	CHECK(!retained);

	retained = true;
	fake.fadvise_err = EFAULT;
	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 4096, NULL,
				     &retained) == 0);
	CHECK(!retained);

	/* EFAULT is an error for the other calls. */
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, FAKE_MAP, NULL) == -1);
	CHECK(errno == EFAULT);
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, NULL, NULL) == -1);
	CHECK(errno == EFAULT);
	gem_advice_destroy(adv);
}

/*
 * DONTNEED's "retained" on the standard calls, which do not report it: a
 * WILLNEED first (EFAULT: purged, and then nothing else), only when asked.
 */
static void test_std_retained(void)
{
	struct gem_advice *adv = std_adv("vgem");
	bool retained;

	for (int m = 0; m < 2; m++) {
		void *map = m ? FAKE_MAP : NULL;
		int *n = m ? &fake.n_madvise : &fake.n_fadvise;
		int *advice = m ? &fake.madvise.advice : &fake.fadvise.advice;
		const int dontneed = m ? MADV_FREE : POSIX_FADV_DONTNEED;

		fake_reset();
		fake_set_dev(FAKE_FD, "vgem", 0, STD_CAPS);
		/* Not purged: WILLNEED, then the advice itself. */
		retained = false;
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, map,
						&retained) == 0);
		CHECK(retained && *n == 2 && *advice == dontneed);

		/* Not asked: one call. */
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, map,
						NULL) == 0);
		CHECK(*n == 3 && *advice == dontneed);

		/* Purged: the WILLNEED says so, and nothing more is done. */
		fake.purged = true;
		retained = true;
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, map,
						&retained) == 0);
		CHECK(!retained && *n == 4 && *advice != dontneed);
		/* ... also when the question is not asked: the advice is a no-op. */
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, map,
						NULL) == 0);
		CHECK(*n == 5 && *advice == dontneed);
		fake.purged = false;

		/* An error of the question is the answer; retained untouched. */
		if (m)
			fake.madvise_err = EACCES;
		else
			fake.fadvise_err = EACCES;
		errno = 0;
		retained = true;
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, map,
						&retained) == -1);
		CHECK(errno == EACCES && retained && *n == 6);

		/* Interrupted questions are asked again. */
		fake.madvise_err = fake.fadvise_err = 0;
		if (m)
			fake.madvise_eintr = 1;
		else
			fake.fadvise_eintr = 1;
		retained = false;
		CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, map,
						&retained) == 0);
		CHECK(retained && *n == 9 && *advice == dontneed);
		CHECK(fake.n_ioctl == 0 && fake.n_mmap == 0);
	}
	gem_advice_destroy(adv);
}

static void test_std_purge_unmapped(void)
{
	struct gem_advice *adv = std_adv("vgem");

	/* A temporary whole-BO RW shared mapping, not prefaulted. */
	CHECK(gem_advice_purge(adv, 7, 0x30000, 16384, NULL) == 0);
	CHECK(fake.n_mmap == 1 && fake.n_madvise == 1 && fake.n_munmap == 1);
	CHECK(fake.mmap.addr == NULL && fake.mmap.len == 16384);
	CHECK(fake.mmap.prot == (PROT_READ | PROT_WRITE));
	CHECK(fake.mmap.flags == MAP_SHARED);
	CHECK(fake.mmap.fd == FAKE_FD && fake.mmap.offset == 0x30000);
	CHECK(fake.madvise.addr == FAKE_MAP && fake.madvise.len == 16384);
	CHECK(fake.madvise.advice == MADV_REMOVE);
	CHECK(fake.munmap.addr == FAKE_MAP && fake.munmap.len == 16384);
	CHECK(fake.n_fadvise == 0 && fake.n_ioctl == 0);

	/* madvise fails: still unmapped, errno survives munmap. */
	fake.madvise_err = EBUSY;
	errno = 0;
	CHECK(gem_advice_purge(adv, 7, 0x30000, 16384, NULL) == -1);
	CHECK(errno == EBUSY);
	CHECK(fake.n_mmap == 2 && fake.n_madvise == 2 && fake.n_munmap == 2);
	fake.madvise_err = 0;

	/* mmap fails: nothing else. */
	fake.mmap_err = ENODEV;
	errno = 0;
	CHECK(gem_advice_purge(adv, 7, 0x30000, 16384, NULL) == -1);
	CHECK(errno == ENODEV);
	CHECK(fake.n_mmap == 3 && fake.n_madvise == 2 && fake.n_munmap == 2);

	/* The size is needed for the mapping. */
	errno = 0;
	CHECK(gem_advice_purge(adv, 7, 0x30000, 0, NULL) == -1);
	CHECK(errno == EINVAL && fake.n_mmap == 3);
	gem_advice_destroy(adv);
}

/*
 * A signal interrupting madvise() or posix_fadvise() is retried, never
 * reported: not as an error, and not as "purged".
 */
static void test_std_eintr(void)
{
	struct gem_advice *adv = std_adv("vgem");
	bool retained = false;

	fake.madvise_eintr = 2;
	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 4096, FAKE_MAP,
				     &retained) == 0);
	CHECK(retained && fake.n_madvise == 3);

	/* Interrupted, then purged: the answer is the second call's. */
	fake.madvise_eintr = 1;
	fake.madvise_err = EFAULT;
	retained = true;
	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 4096, FAKE_MAP,
				     &retained) == 0);
	CHECK(!retained && fake.n_madvise == 5);
	fake.madvise_err = 0;

	fake.madvise_eintr = 1;
	CHECK(gem_advice_purge(adv, 7, 0x30000, 16384, NULL) == 0);
	CHECK(fake.n_madvise == 7 && fake.n_mmap == 1 && fake.n_munmap == 1);

	fake.fadvise_eintr = 3;
	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, NULL, NULL) == 0);
	CHECK(fake.n_fadvise == 4);
	fake.fadvise_eintr = 1;
	fake.fadvise_err = EBUSY;
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, NULL, NULL) == -1);
	CHECK(errno == EBUSY && fake.n_fadvise == 6);
	gem_advice_destroy(adv);
}

/* A driver with a legacy ioctl uses the standard calls when it has them. */
static void test_std_over_legacy(void)
{
	struct gem_advice *adv = std_adv("i915");
	bool retained = false;

	CHECK(gem_advice_mark_purgeable(adv, 7, 0x10000, 4096, NULL, NULL) == 0);
	CHECK(gem_advice_mark_needed(adv, 7, 0x10000, 4096, FAKE_MAP,
				     &retained) == 0 && retained);
	CHECK(gem_advice_purge(adv, 7, 0x10000, 4096, FAKE_MAP) == 0);
	CHECK(fake.n_fadvise == 1 && fake.n_madvise == 2 && fake.n_ioctl == 0);
	gem_advice_destroy(adv);
}

/*
 * A BO with neither a mapping nor an mmap offset (panfrost's heap BO) goes to
 * the driver's ioctl by handle, also on a kernel with the standard calls; a
 * BO with either uses the standard calls.
 */
static void test_handle_only(void)
{
	struct gem_advice *adv = std_adv("panfrost");
	bool retained = false;

	fake.retained = 1;
	CHECK(gem_advice_mark_purgeable(adv, 9, 0, 4096, NULL, NULL) == 0);
	CHECK(fake.n_ioctl == 1 && fake.ioctl.request == NR_PANFROST_MADVISE);
	CHECK(fake.ioctl.handle == 9 && fake.ioctl.madv == 1);
	CHECK(gem_advice_mark_needed(adv, 9, 0, 0, NULL, &retained) == 0);
	CHECK(retained && fake.n_ioctl == 2 && fake.ioctl.madv == 0);
	CHECK(fake.n_fadvise == 0 && fake.n_madvise == 0);

	/* No purge-now by handle: ENOTSUP, and no temporary mapping at 0. */
	errno = 0;
	CHECK(gem_advice_purge(adv, 9, 0, 4096, NULL) == -1);
	CHECK(errno == ENOTSUP && fake.n_mmap == 0 && fake.n_ioctl == 2);

	/* An offset or a mapping: the standard calls. */
	CHECK(gem_advice_mark_purgeable(adv, 9, 0x10000, 4096, NULL, NULL) == 0);
	CHECK(gem_advice_mark_purgeable(adv, 9, 0, 4096, FAKE_MAP, NULL) == 0);
	CHECK(fake.n_fadvise == 1 && fake.n_madvise == 1 && fake.n_ioctl == 2);
	gem_advice_destroy(adv);
}

/* ------------------------------------------------------------------------ */
/* Legacy ioctls */

static void check_legacy(const char *driver, unsigned long request)
{
	struct gem_advice *adv;
	bool retained;

	fake_reset();
	fake_set_dev(FAKE_FD + 2, driver, EINVAL, 0);
	adv = create(FAKE_FD + 2);

	CHECK(gem_advice_mark_purgeable(adv, 42, 0x10000, 4096, NULL, NULL) == 0);
	CHECK(fake.n_ioctl == 1 && fake.ioctl.request == request);
	CHECK(fake.ioctl.fd == FAKE_FD + 2);
	CHECK(fake.ioctl.handle == 42 && fake.ioctl.madv == 1);	/* DONTNEED */

	/* retained propagated, both ways; a mapping does not matter. */
	for (int kept = 0; kept < 2; kept++) {
		void *map = kept ? FAKE_MAP : NULL;

		fake.retained = kept;
		retained = !kept;
		CHECK(gem_advice_mark_needed(adv, 43, 0x10000, 4096, map,
					     &retained) == 0);
		CHECK(retained == (kept != 0));
		CHECK(fake.ioctl.request == request);
		CHECK(fake.ioctl.handle == 43 && fake.ioctl.madv == 0);
	}
	/* Any non-zero retained counts. */
	fake.retained = FAKE_RETAINED_ODD;
	retained = false;
	CHECK(gem_advice_mark_needed(adv, 43, 0, 0, NULL, &retained) == 0);
	CHECK(retained);

	/* DONTNEED's retained (iris, crocus), in one ioctl; NULL allowed. */
	for (int kept = 0; kept < 2; kept++) {
		int n = fake.n_ioctl;

		fake.retained = kept;
		retained = !kept;
		CHECK(gem_advice_mark_purgeable(adv, 45, 0, 0, NULL,
						&retained) == 0);
		CHECK(retained == (kept != 0) && fake.n_ioctl == n + 1);
		CHECK(fake.ioctl.handle == 45 && fake.ioctl.madv == 1);
	}

	/*
	 * EINVAL for valid arguments is the BO's state (vc4: imported;
	 * panfrost: mapped by another file's GPU VM): EBUSY, as the standard
	 * calls say, and such a BO is never purged, so needed means retained.
	 */
	fake.ioctl_err = EINVAL;
	errno = 0;
	retained = false;
	CHECK(gem_advice_mark_purgeable(adv, 46, 0, 0, NULL, &retained) == -1);
	CHECK(errno == EBUSY && !retained);
	fake.retained = 0;	/* not written by a failing ioctl */
	CHECK(gem_advice_mark_needed(adv, 46, 0, 0, NULL, &retained) == 0);
	CHECK(retained);
	fake.ioctl_err = 0;

	fake.ioctl_err = ENOENT;
	errno = 0;
	retained = true;
	CHECK(gem_advice_mark_needed(adv, 44, 0x10000, 4096, NULL,
				     &retained) == -1);
	CHECK(errno == ENOENT && retained);
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 44, 0x10000, 4096, NULL, NULL) == -1);
	CHECK(errno == ENOENT);
	fake.ioctl_err = 0;

	/* No purge-now in any legacy ioctl. */
	int n = fake.n_ioctl;
	errno = 0;
	CHECK(gem_advice_purge(adv, 44, 0x10000, 4096, NULL) == -1);
	CHECK(errno == ENOTSUP);
	errno = 0;
	CHECK(gem_advice_purge(adv, 44, 0x10000, 4096, FAKE_MAP) == -1);
	CHECK(errno == ENOTSUP);
	CHECK(fake.n_ioctl == n);

	CHECK(fake.n_madvise == 0 && fake.n_fadvise == 0 && fake.n_mmap == 0);
	gem_advice_destroy(adv);
}

static void test_legacy_i915(void)
{
	check_legacy("i915", NR_I915_GEM_MADVISE);
}

static void test_legacy_msm(void)
{
	check_legacy("msm", NR_MSM_GEM_MADVISE);
}

static void test_legacy_panfrost(void)
{
	check_legacy("panfrost", NR_PANFROST_MADVISE);
}

static void test_legacy_vc4(void)
{
	check_legacy("vc4", NR_VC4_GEM_MADVISE);
}

/*
 * Legacy support is probed as Mesa probes it (vc4: SUPPORTS_MADVISE; msm and
 * panfrost: driver version 1.1; i915: its madvise ioctl on handle 0). A
 * kernel without the ioctl gives a context without the legacy path, so
 * advice fails with ENOTSUP at once instead of failing the first ioctl, which
 * a vc4-style cache takes for "purged".
 */
static void test_legacy_probe(void)
{
	static const struct {
		const char *driver;
		int probes;		/* probe ioctls at creation */
	} drivers[] = {
		{ "vc4", 1 }, { "msm", 0 }, { "panfrost", 0 }, { "i915", 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
		for (int old = 0; old < 2; old++) {
			struct gem_advice *adv;
			bool retained = false;
			int ret;

			fake_reset();
			fake_set_dev(FAKE_FD, drivers[i].driver, EINVAL, 0);
			fake.dev[0].old = old;
			adv = create(FAKE_FD);
			CHECK(!!(gem_advice_get_caps(adv) &
				 GEM_ADVICE_PURGEABLE_LEGACY) == !old);
			CHECK(fake.n_probe == drivers[i].probes);
			CHECK(fake.n_ioctl == 0);	/* no advice at creation */
			fake.retained = 1;
			errno = 0;
			ret = gem_advice_mark_needed(adv, 7, 0x10000, 4096,
						     NULL, &retained);
			if (old) {
				CHECK(ret == -1 && errno == ENOTSUP);
				CHECK(fake.n_ioctl == 0);
			} else {
				CHECK(ret == 0 && retained);
				CHECK(fake.n_ioctl == 1);
			}
			gem_advice_destroy(adv);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Nothing available, bad arguments */

static void test_unsupported(void)
{
	static const struct fake_dev devs[] = {
		{ "nouveau", EINVAL, 0, false },		/* old kernel */
		{ "vgem", 0, 0, false },			/* cap 0 */
		{ "vgem", 0, DRM_GEM_MMAP_ADVICE_POPULATE, false }, /* no PURGEABLE */
		{ NULL, EINVAL, 0, false },
	};
	bool retained;

	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		fake_reset();
		fake.dev[0] = devs[i];
		struct gem_advice *adv = create(FAKE_FD);

		for (int m = 0; m < 2; m++) {
			void *map = m ? FAKE_MAP : NULL;

			errno = 0;
			CHECK(gem_advice_mark_purgeable(adv, 1, 0, 4096, map, NULL) == -1);
			CHECK(errno == ENOTSUP);
			errno = 0;
			retained = true;
			CHECK(gem_advice_mark_needed(adv, 1, 0, 4096, map,
						     &retained) == -1);
			CHECK(errno == ENOTSUP && retained);
			errno = 0;
			CHECK(gem_advice_purge(adv, 1, 0, 4096, map) == -1);
			CHECK(errno == ENOTSUP);
		}
		CHECK(syscalls() == 0);
		gem_advice_destroy(adv);
	}
}

static void test_bad_args(void)
{
	struct gem_advice *adv = std_adv("vgem");
	const uint64_t big = UINT64_C(1) << 63;
	bool retained = true;

	errno = 0;
	CHECK(gem_advice_mark_purgeable(NULL, 1, 0, 4096, NULL, NULL) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(gem_advice_mark_needed(NULL, 1, 0, 4096, NULL, &retained) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(gem_advice_purge(NULL, 1, 0, 4096, NULL) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(gem_advice_mark_needed(adv, 1, 0, 4096, NULL, NULL) == -1);
	CHECK(errno == EINVAL);
	/* A mapping needs its size. */
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 1, 0, 0, FAKE_MAP, NULL) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(gem_advice_mark_needed(adv, 1, 0, 0, FAKE_MAP, &retained) == -1);
	CHECK(errno == EINVAL);
	/* Beyond off_t. */
	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 1, big, 4096, NULL, NULL) == -1);
	CHECK(errno == EOVERFLOW);
	errno = 0;
	CHECK(gem_advice_mark_needed(adv, 1, 0, big, NULL, &retained) == -1);
	CHECK(errno == EOVERFLOW);
	CHECK(retained);
	CHECK(syscalls() == 0);
	gem_advice_destroy(adv);
}

/* ------------------------------------------------------------------------ */
/* GEM_ADVICE_NO_CAP: a patched kernel seen as one without the cap. */

#define NO_CAP_ENV	"GEM_ADVICE_NO_CAP"

/* Caps of a context created with the knob set to @value (NULL: unset). */
static uint32_t caps_with_knob(const char *value, const char *driver,
			       int *n_get_cap)
{
	struct gem_advice *adv;
	uint32_t caps;

	fake_reset();
	fake_set_dev(FAKE_FD, driver, 0, STD_CAPS);
	if (value)
		CHECK(setenv(NO_CAP_ENV, value, 1) == 0);
	else
		CHECK(unsetenv(NO_CAP_ENV) == 0);
	adv = create(FAKE_FD);
	CHECK(unsetenv(NO_CAP_ENV) == 0);
	caps = gem_advice_get_caps(adv);
	*n_get_cap = fake.n_get_cap;
	CHECK(fake.n_get_version == 1 && fake.versions_live == 0);
	CHECK(syscalls() == 0);
	gem_advice_destroy(adv);
	return caps;
}

static void test_no_cap(void)
{
	const uint32_t std = GEM_ADVICE_POPULATE | GEM_ADVICE_PURGEABLE;
	struct gem_advice *adv, *before;
	bool retained;
	int n;

	/* Set: the cap is not even asked for. */
	CHECK(caps_with_knob("1", "vgem", &n) == 0 && n == 0);
	CHECK(caps_with_knob("yes", "vgem", &n) == 0 && n == 0);
	/* The driver's own ioctl is still found, as on an old kernel. */
	CHECK(caps_with_knob("1", "i915", &n) == GEM_ADVICE_PURGEABLE_LEGACY &&
	      n == 0);
	/* Unset, empty or "0": the kernel's answer. */
	CHECK(caps_with_knob(NULL, "vgem", &n) == std && n == 1);
#ifndef HAVE_SECURE_GETENV
	/*
	 * The fallback for C libraries without secure_getenv(): a process whose
	 * effective uid is not its real one ignores the knob. (secure_getenv()
	 * decides at exec time, so only the fallback can be tested this way.)
	 */
	if (getuid() == 0) {
		CHECK(seteuid(65534) == 0);
		CHECK(caps_with_knob("1", "vgem", &n) == std && n == 1);
		CHECK(seteuid(0) == 0);
	} else {
		CHECK(caps_with_knob("1", "vgem", &n) == 0 && n == 0);
	}
#endif
	CHECK(caps_with_knob("", "vgem", &n) == std && n == 1);
	CHECK(caps_with_knob("0", "vgem", &n) == std && n == 1);

	/* Old-kernel behaviour on a device that has everything. */
	fake_reset();
	fake_set_dev(FAKE_FD, "vgem", 0, STD_CAPS);
	before = create(FAKE_FD);
	CHECK(setenv(NO_CAP_ENV, "1", 1) == 0);
	adv = create(FAKE_FD);
	CHECK(unsetenv(NO_CAP_ENV) == 0);

	CHECK(gem_advice_map(adv, 0x10000, 8192, PROT_READ | PROT_WRITE) ==
	      FAKE_MAP);
	CHECK(fake.mmap.flags == MAP_SHARED);		/* no MAP_POPULATE */
	CHECK(fake.n_mmap == 1 && fake.n_madvise == 0);	/* and no fallback */
	for (int m = 0; m < 2; m++) {
		void *map = m ? FAKE_MAP : NULL;

		errno = 0;
		CHECK(gem_advice_mark_purgeable(adv, 1, 0x10000, 8192, map, NULL) == -1);
		CHECK(errno == ENOTSUP);
		errno = 0;
		retained = true;
		CHECK(gem_advice_mark_needed(adv, 1, 0x10000, 8192, map,
					     &retained) == -1);
		CHECK(errno == ENOTSUP && retained);
		errno = 0;
		CHECK(gem_advice_purge(adv, 1, 0x10000, 8192, map) == -1);
		CHECK(errno == ENOTSUP);
	}
	CHECK(syscalls() == 1);

	/* Read at creation only: an earlier context keeps the standard path. */
	CHECK(gem_advice_get_caps(before) == std);
	CHECK(gem_advice_mark_purgeable(before, 1, 0x10000, 8192, NULL, NULL) == 0);
	CHECK(fake.n_fadvise == 1);
	gem_advice_destroy(before);
	gem_advice_destroy(adv);

	/* Legacy ioctl under the knob, even though the kernel has the cap. */
	fake_reset();
	fake_set_dev(FAKE_FD, "msm", 0, STD_CAPS);
	CHECK(setenv(NO_CAP_ENV, "1", 1) == 0);
	adv = create(FAKE_FD);
	CHECK(unsetenv(NO_CAP_ENV) == 0);
	fake.retained = 1;
	retained = false;
	CHECK(gem_advice_mark_needed(adv, 5, 0x10000, 8192, FAKE_MAP,
				     &retained) == 0 && retained);
	CHECK(fake.n_ioctl == 1 && fake.ioctl.request == NR_MSM_GEM_MADVISE);
	CHECK(fake.n_madvise == 0 && fake.n_fadvise == 0);
	gem_advice_destroy(adv);
}

/* ------------------------------------------------------------------------ */
/* The query is made once per context (= per fd), never per call. */

static void test_cache_once(void)
{
	struct gem_advice *a, *b;
	bool retained;

	fake_reset();
	fake_set_dev(FAKE_FD, "vgem", 0, STD_CAPS);
	fake_set_dev(FAKE_FD + 1, "msm", EINVAL, 0);
	a = create(FAKE_FD);
	b = create(FAKE_FD + 1);
	CHECK(fake.n_get_cap == 2 && fake.n_get_version == 2);

	for (int i = 0; i < 1000; i++) {
		CHECK(gem_advice_get_caps(a) & GEM_ADVICE_PURGEABLE);
		CHECK(gem_advice_get_caps(b) == GEM_ADVICE_PURGEABLE_LEGACY);
		CHECK(gem_advice_mark_purgeable(a, 1, 0, 4096, NULL, NULL) == 0);
		CHECK(gem_advice_mark_needed(b, 1, 0, 4096, NULL, &retained) == 0);
		CHECK(gem_advice_map(a, 0, 4096, PROT_READ) == FAKE_MAP);
	}
	CHECK(fake.n_get_cap == 2 && fake.n_get_version == 2);
	CHECK(fake.n_fadvise == 1000 && fake.n_ioctl == 1000);
	CHECK(fake.versions_live == 0);
	gem_advice_destroy(a);
	gem_advice_destroy(b);
}

/* ------------------------------------------------------------------------ */
/* Threads hammering shared contexts on several fds, and creating their own. */

#define NTHREADS	4
#define NITER		300

static const struct {
	struct fake_dev dev;
	uint32_t caps;
} thread_devs[FAKE_NDEVS] = {
	{ { "vgem", 0, STD_CAPS, false },
	  GEM_ADVICE_POPULATE | GEM_ADVICE_PURGEABLE },
	{ { "i915", EINVAL, 0, false }, GEM_ADVICE_PURGEABLE_LEGACY },
	{ { "msm", 0, DRM_GEM_MMAP_ADVICE_PURGEABLE, false },
	  GEM_ADVICE_PURGEABLE | GEM_ADVICE_PURGEABLE_LEGACY },
	{ { "nouveau", EINVAL, 0, false }, 0 },
};

static struct gem_advice *shared_adv[FAKE_NDEVS];

static void *hammer(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;

	for (int i = 0; i < NITER; i++) {
		int d = (int)((id + (unsigned int)i) % FAKE_NDEVS);
		const struct gem_advice *adv = shared_adv[d];
		bool retained = false;
		int ret;

		CHECK(gem_advice_get_caps(adv) == thread_devs[d].caps);
		ret = gem_advice_mark_needed(adv, id + 1, 0x1000 * id, 4096,
					     NULL, &retained);
		if (thread_devs[d].caps) {
			CHECK(ret == 0 && retained);
		} else {
			CHECK(ret == -1 && errno == ENOTSUP);
		}

		if (i % 10 == 0) {	/* and a private context */
			struct gem_advice *own = create(FAKE_FD + d);

			CHECK(gem_advice_get_caps(own) == thread_devs[d].caps);
			gem_advice_destroy(own);
		}
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t threads[NTHREADS];

	fake_reset();
	fake.retained = 1;
	for (int d = 0; d < FAKE_NDEVS; d++) {
		fake.dev[d] = thread_devs[d].dev;
		shared_adv[d] = create(FAKE_FD + d);
	}
	for (uintptr_t t = 0; t < NTHREADS; t++)
		CHECK(pthread_create(&threads[t], NULL, hammer, (void *)t) == 0);
	for (int t = 0; t < NTHREADS; t++)
		CHECK(pthread_join(threads[t], NULL) == 0);

	/* One query per context: the shared ones plus the private ones. */
	const int contexts = FAKE_NDEVS + NTHREADS * ((NITER + 9) / 10);
	CHECK(fake.n_get_cap == contexts && fake.n_get_version == contexts);
	CHECK(fake.versions_live == 0);
	for (int d = 0; d < FAKE_NDEVS; d++)
		gem_advice_destroy(shared_adv[d]);
}

/* ------------------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
#define CASE(n) { #n, test_##n }
	CASE(query_standard),
	CASE(query_legacy),
	CASE(query_none),
	CASE(create_errors),
	CASE(map),
	CASE(std_madvise),
	CASE(std_fadvise),
	CASE(std_efault),
	CASE(std_retained),
	CASE(std_purge_unmapped),
	CASE(std_eintr),
	CASE(std_over_legacy),
	CASE(handle_only),
	CASE(legacy_i915),
	CASE(legacy_msm),
	CASE(legacy_panfrost),
	CASE(legacy_vc4),
	CASE(legacy_probe),
	CASE(unsupported),
	CASE(bad_args),
	CASE(no_cap),
	CASE(cache_once),
	CASE(threads),
#undef CASE
};

int main(int argc, char **argv)
{
	bool found = false;

	/* The testing knob, if set around us, would change every other case. */
	unsetenv(NO_CAP_ENV);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		found = true;
		cases[i].fn();
		fake_reset();	/* checks that every version was freed */
	}
	if (!found) {
		fprintf(stderr, "unknown case %s; cases:", argv[1]);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
			fprintf(stderr, " %s", cases[i].name);
		fputc('\n', stderr);
		return 2;
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
