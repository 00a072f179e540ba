// SPDX-License-Identifier: MIT
/*
 * gem_advice.c - purgeable BOs and populated mmaps for DRM GEM, on any kernel.
 * See gem_advice.h for the interface and its errno contract.
 *
 * This file and gem_advice.h are the whole library. To vendor it, copy both;
 * it needs libdrm (xf86drm.h, drmIoctl) and the i915, msm and vc4 uAPI
 * headers (libdrm's, or Mesa's include/drm-uapi/; panfrost_drm.h is used
 * when present). Build switches, all optional:
 *   HAVE_SECURE_GETENV  secure_getenv() exists (Mesa's meson.build and this
 *                       library's define it after probing)
 *   GEM_ADVICE_EXPORT   attribute for the public functions; empty by
 *                       default, the shared library sets default visibility
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>
#include <i915_drm.h>
#include <msm_drm.h>
#include <vc4_drm.h>
#if defined(__has_include)
#if __has_include(<panfrost_drm.h>)
#include <panfrost_drm.h>
#endif
#endif

#include "gem_advice.h"

#ifndef GEM_ADVICE_EXPORT
#define GEM_ADVICE_EXPORT
#endif

/* New in the patched include/uapi/drm/drm.h. */
#ifndef DRM_CAP_GEM_MMAP_ADVICE
#define DRM_CAP_GEM_MMAP_ADVICE		0x16
#endif
#ifndef DRM_GEM_MMAP_ADVICE_POPULATE
#define  DRM_GEM_MMAP_ADVICE_POPULATE	(1 << 0)
#endif
#ifndef DRM_GEM_MMAP_ADVICE_PURGEABLE
#define  DRM_GEM_MMAP_ADVICE_PURGEABLE	(1 << 1)
#endif

/*
 * panfrost's madvise ioctl, field for field from the kernel's
 * include/uapi/drm/panfrost_drm.h, for libdrm headers without it (Debian 12's
 * 2.4.114 ships no panfrost_drm.h).
 */
#ifndef DRM_IOCTL_PANFROST_MADVISE
#define DRM_PANFROST_MADVISE		0x08
#define DRM_IOCTL_PANFROST_MADVISE	DRM_IOWR(DRM_COMMAND_BASE + DRM_PANFROST_MADVISE, struct drm_panfrost_madvise)
#define PANFROST_MADV_WILLNEED		0
#define PANFROST_MADV_DONTNEED		1

struct drm_panfrost_madvise {
	__u32 handle;	/* in, GEM handle */
	__u32 madv;	/* in, PANFROST_MADV_x */
	__u32 retained;	/* out, whether backing store still exists */
};
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every system call and libdrm call goes through this table, so that the
 * unit tests (tests/test_advice.c, which includes this file) can replace the
 * kernel with a fake. The table is per context: no global state to swap.
 */
struct gem_advice_ops {
	int (*ioctl)(int fd, unsigned long request, void *arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t offset);
	int (*munmap)(void *addr, size_t len);
	int (*madvise)(void *addr, size_t len, int advice);
	int (*posix_fadvise)(int fd, off_t offset, off_t len, int advice);
	int (*get_cap)(int fd, uint64_t capability, uint64_t *value);
	drmVersionPtr (*get_version)(int fd);
	void (*free_version)(drmVersionPtr version);
};

static const struct gem_advice_ops system_ops = {
	.ioctl = drmIoctl,
	.mmap = mmap,
	.munmap = munmap,
	.madvise = madvise,
	.posix_fadvise = posix_fadvise,
	.get_cap = drmGetCap,
	.get_version = drmGetVersion,
	.free_version = drmFreeVersion,
};

enum legacy_driver {
	LEGACY_NONE,
	LEGACY_I915,
	LEGACY_MSM,
	LEGACY_PANFROST,
	LEGACY_VC4,
};

/* The drivers with their own madvise ioctl, and the version that added it. */
static const struct {
	const char *name;
	int major, minor;	/* 0.0: probed otherwise */
} legacy_drivers[] = {
	[LEGACY_I915] = { "i915", 0, 0 },
	[LEGACY_MSM] = { "msm", 1, 1 },
	[LEGACY_PANFROST] = { "panfrost", 1, 1 },
	[LEGACY_VC4] = { "vc4", 0, 0 },
};

/* Immutable after creation: safe to share between threads without a lock. */
struct gem_advice {
	const struct gem_advice_ops *ops;
	int fd;
	uint32_t caps;
	enum legacy_driver legacy;
};

enum advice {
	ADVICE_PURGEABLE,
	ADVICE_NEEDED,
	ADVICE_PURGE,
};

static const int madvise_advice[] = {
	[ADVICE_PURGEABLE] = MADV_FREE,
	[ADVICE_NEEDED] = MADV_WILLNEED,
	[ADVICE_PURGE] = MADV_REMOVE,
};

static const int fadvise_advice[] = {
	[ADVICE_PURGEABLE] = POSIX_FADV_DONTNEED,
	[ADVICE_NEEDED] = POSIX_FADV_WILLNEED,
	/* no purge-now through posix_fadvise() */
};

static int fail(int err)
{
	errno = err;
	return -1;
}

/* vc4 reports its madvise ioctl (Linux 4.15) with a parameter, as Mesa asks. */
static bool vc4_has_madvise(const struct gem_advice_ops *ops, int fd)
{
	struct drm_vc4_get_param param = {
		.param = DRM_VC4_PARAM_SUPPORTS_MADVISE,
	};

	return ops->ioctl(fd, DRM_IOCTL_VC4_GET_PARAM, &param) == 0 &&
	       param.value != 0;
}

/*
 * i915 has no parameter and no driver version for its madvise ioctl. Ask it
 * about handle 0, which is never a GEM handle: a kernel with the ioctl
 * checks the (valid) advice, looks the handle up and answers ENOENT; one
 * without answers EINVAL (unknown ioctl), and nothing changes either way.
 */
static bool i915_has_madvise(const struct gem_advice_ops *ops, int fd)
{
	struct drm_i915_gem_madvise arg = {
		.handle = 0,
		.madv = I915_MADV_WILLNEED,
	};

	return ops->ioctl(fd, DRM_IOCTL_I915_GEM_MADVISE, &arg) == -1 &&
	       errno == ENOENT;
}

/* The driver whose own madvise ioctl this fd has (see gem_advice.h). */
static enum legacy_driver legacy_driver_of(const struct gem_advice_ops *ops,
					   int fd)
{
	enum legacy_driver drv = LEGACY_NONE;
	drmVersionPtr version = ops->get_version(fd);

	if (!version)
		return LEGACY_NONE;
	for (size_t i = 1; version->name && i < ARRAY_SIZE(legacy_drivers); i++) {
		if (strcmp(version->name, legacy_drivers[i].name) != 0)
			continue;
		if (version->version_major > legacy_drivers[i].major ||
		    (version->version_major == legacy_drivers[i].major &&
		     version->version_minor >= legacy_drivers[i].minor))
			drv = (enum legacy_driver)i;
	}
	ops->free_version(version);
	if ((drv == LEGACY_VC4 && !vc4_has_madvise(ops, fd)) ||
	    (drv == LEGACY_I915 && !i915_has_madvise(ops, fd)))
		drv = LEGACY_NONE;
	return drv;
}

/*
 * GEM_ADVICE_NO_CAP (testing knob, see gem_advice.h), not honoured in
 * setuid/setgid programs: secure_getenv() where it exists, else the same
 * check by hand.
 */
static const char *getenv_unprivileged(const char *name)
{
#ifdef HAVE_SECURE_GETENV
	return secure_getenv(name);
#else
	if (getuid() != geteuid() || getgid() != getegid())
		return NULL;
	return getenv(name);
#endif
}

static bool ignore_cap(void)
{
	const char *v = getenv_unprivileged("GEM_ADVICE_NO_CAP");

	return v && v[0] && strcmp(v, "0") != 0;
}

static struct gem_advice *create_with_ops(int fd,
					  const struct gem_advice_ops *ops)
{
	struct gem_advice *adv;
	uint64_t value = 0;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	adv = calloc(1, sizeof(*adv));
	if (!adv)
		return NULL;
	adv->ops = ops;
	adv->fd = fd;

	/* An error or 0 both mean: a kernel without the standard calls. */
	if (!ignore_cap() &&
	    ops->get_cap(fd, DRM_CAP_GEM_MMAP_ADVICE, &value) == 0) {
		if (value & DRM_GEM_MMAP_ADVICE_POPULATE)
			adv->caps |= GEM_ADVICE_POPULATE;
		if (value & DRM_GEM_MMAP_ADVICE_PURGEABLE)
			adv->caps |= GEM_ADVICE_PURGEABLE;
	}
	adv->legacy = legacy_driver_of(ops, fd);
	if (adv->legacy != LEGACY_NONE)
		adv->caps |= GEM_ADVICE_PURGEABLE_LEGACY;
	return adv;
}

GEM_ADVICE_EXPORT struct gem_advice *gem_advice_create(int fd)
{
	return create_with_ops(fd, &system_ops);
}

GEM_ADVICE_EXPORT void gem_advice_destroy(struct gem_advice *adv)
{
	free(adv);
}

GEM_ADVICE_EXPORT uint32_t gem_advice_get_caps(const struct gem_advice *adv)
{
	return adv ? adv->caps : 0;
}

/* offset and size must fit off_t (mmap, posix_fadvise) and size_t (madvise). */
static int check_range(uint64_t offset, uint64_t size)
{
	const uint64_t off_max = (UINT64_C(1) << (sizeof(off_t) * CHAR_BIT - 1)) - 1;

	if (offset > off_max || size > off_max || size > SIZE_MAX)
		return fail(EOVERFLOW);
	return 0;
}

GEM_ADVICE_EXPORT void *gem_advice_map(const struct gem_advice *adv,
				       uint64_t offset, uint64_t size, int prot)
{
	int flags = MAP_SHARED;

	if (!adv || size == 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (check_range(offset, size))
		return MAP_FAILED;
	if (adv->caps & GEM_ADVICE_POPULATE)
		flags |= MAP_POPULATE;
	return adv->ops->mmap(NULL, (size_t)size, prot, flags, adv->fd,
			      (off_t)offset);
}

/*
 * madvise() and posix_fadvise(), retried on EINTR as drmIoctl() retries
 * ioctls: an interrupted call is never an answer (and never "purged").
 */
static int madvise_retry(const struct gem_advice *adv, void *map, size_t size,
			 int advice)
{
	int ret;

	do
		ret = adv->ops->madvise(map, size, advice);
	while (ret == -1 && errno == EINTR);
	return ret;
}

static int fadvise_retry(const struct gem_advice *adv, off_t offset, off_t len,
			 int advice)
{
	int err;

	do
		err = adv->ops->posix_fadvise(adv->fd, offset, len, advice);
	while (err == EINTR);
	return err;
}

/*
 * One standard call, madvise() on @map or posix_fadvise() at @offset. Marking
 * a purged BO needed fails with EFAULT there: that is *@retained = false.
 */
static int advise_std(const struct gem_advice *adv, enum advice what,
		      uint64_t offset, uint64_t size, void *map, bool *retained)
{
	int err = 0;

	if (map) {
		if (madvise_retry(adv, map, (size_t)size, madvise_advice[what]))
			err = errno;
	} else {
		err = fadvise_retry(adv, (off_t)offset, (off_t)size,
				    fadvise_advice[what]);
	}
	if (err == EFAULT && what == ADVICE_NEEDED) {
		*retained = false;
		return 0;
	}
	if (err)
		return fail(err);
	*retained = true;
	return 0;
}

/* No purge-now through posix_fadvise(): madvise() a temporary mapping. */
static int purge_unmapped(const struct gem_advice *adv, uint64_t offset,
			  uint64_t size)
{
	void *map;
	int ret, err;

	if (size == 0)
		return fail(EINVAL);
	map = adv->ops->mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, adv->fd, (off_t)offset);
	if (map == MAP_FAILED)
		return -1;
	ret = madvise_retry(adv, map, (size_t)size, MADV_REMOVE);
	err = errno;
	adv->ops->munmap(map, (size_t)size);
	if (ret)
		return fail(err);
	return 0;
}

/*
 * The driver's own madvise ioctl. All four take {handle, madv, retained}
 * with WILLNEED = 0 and DONTNEED = 1, but each has its own ioctl number and
 * struct (vc4's has a pad that must be 0), so spell each one out.
 */
static int legacy_ioctl(const struct gem_advice *adv, uint32_t handle,
			bool needed, uint32_t *retained)
{
	int (*do_ioctl)(int, unsigned long, void *) = adv->ops->ioctl;
	int ret = -1;

	switch (adv->legacy) {
	case LEGACY_I915: {
		struct drm_i915_gem_madvise arg = {
			.handle = handle,
			.madv = needed ? I915_MADV_WILLNEED : I915_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_I915_GEM_MADVISE, &arg);
		*retained = arg.retained;
		break;
	}
	case LEGACY_MSM: {
		struct drm_msm_gem_madvise arg = {
			.handle = handle,
			.madv = needed ? MSM_MADV_WILLNEED : MSM_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_MSM_GEM_MADVISE, &arg);
		*retained = arg.retained;
		break;
	}
	case LEGACY_PANFROST: {
		struct drm_panfrost_madvise arg = {
			.handle = handle,
			.madv = needed ? PANFROST_MADV_WILLNEED : PANFROST_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_PANFROST_MADVISE, &arg);
		*retained = arg.retained;
		break;
	}
	case LEGACY_VC4: {
		struct drm_vc4_gem_madvise arg = {
			.handle = handle,
			.madv = needed ? VC4_MADV_WILLNEED : VC4_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_VC4_GEM_MADVISE, &arg);
		*retained = arg.retained;
		break;
	}
	case LEGACY_NONE:
		errno = ENOTSUP;
		break;
	}
	return ret;
}

/*
 * The ioctl path, with the standard calls' errno: the library builds valid
 * arguments, so an ioctl's EINVAL can only be the BO's state, one the driver
 * never makes purgeable (vc4: imported or kernel-internal; panfrost: mapped
 * by another file's GPU VM). The standard calls say EBUSY for that, and such
 * a BO is retained.
 */
static int advise_legacy(const struct gem_advice *adv, enum advice what,
			 uint32_t handle, bool *retained)
{
	uint32_t kept = 0;

	if (what == ADVICE_PURGE)
		return fail(ENOTSUP);
	if (legacy_ioctl(adv, handle, what == ADVICE_NEEDED, &kept)) {
		if (errno != EINVAL)
			return -1;
		if (what == ADVICE_PURGEABLE)
			return fail(EBUSY);
		kept = 1;
	}
	*retained = kept != 0;
	return 0;
}

static int advise(const struct gem_advice *adv, enum advice what,
		  uint32_t handle, uint64_t offset, uint64_t size, void *map,
		  bool *retained)
{
	bool kept = true;
	int ret;

	if (!adv || (map && size == 0))
		return fail(EINVAL);
	if (check_range(offset, size))
		return -1;

	/* The order of gem_advice.h's "Path taken". */
	if ((adv->caps & GEM_ADVICE_PURGEABLE) &&
	    (map || offset || !(adv->caps & GEM_ADVICE_PURGEABLE_LEGACY))) {
		if (what == ADVICE_PURGE) {
			if (map)
				return madvise_retry(adv, map, (size_t)size,
						     MADV_REMOVE);
			return purge_unmapped(adv, offset, size);
		}
		/*
		 * The standard calls do not say whether a BO they make
		 * purgeable was purged already: ask first, by marking it
		 * needed (no change for a BO that is needed, as one being
		 * freed into a cache is; EFAULT for a purged one).
		 */
		ret = 0;
		if (what == ADVICE_PURGEABLE && retained)
			ret = advise_std(adv, ADVICE_NEEDED, offset, size, map,
					 &kept);
		if (ret == 0 && kept)
			ret = advise_std(adv, what, offset, size, map, &kept);
	} else if (adv->caps & GEM_ADVICE_PURGEABLE_LEGACY) {
		ret = advise_legacy(adv, what, handle, &kept);
	} else {
		return fail(ENOTSUP);
	}

	if (ret == 0 && retained)
		*retained = kept;
	return ret;
}

GEM_ADVICE_EXPORT int gem_advice_mark_purgeable(const struct gem_advice *adv,
						uint32_t handle,
						uint64_t offset, uint64_t size,
						void *map, bool *retained)
{
	return advise(adv, ADVICE_PURGEABLE, handle, offset, size, map,
		      retained);
}

GEM_ADVICE_EXPORT int gem_advice_mark_needed(const struct gem_advice *adv,
					     uint32_t handle, uint64_t offset,
					     uint64_t size, void *map,
					     bool *retained)
{
	if (!retained)
		return fail(EINVAL);
	return advise(adv, ADVICE_NEEDED, handle, offset, size, map, retained);
}

GEM_ADVICE_EXPORT int gem_advice_purge(const struct gem_advice *adv,
				       uint32_t handle, uint64_t offset,
				       uint64_t size, void *map)
{
	return advise(adv, ADVICE_PURGE, handle, offset, size, map, NULL);
}
