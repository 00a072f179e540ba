// SPDX-License-Identifier: MIT
/*
 * guest_advice: libgem_advice against real DRM devices, in the test guest.
 *
 *   guest_advice [-l] [-r NAME]...     list, or run only the named subtests
 *
 * Uses the library only through its installed header (plus libdrm for dumb
 * buffers and PRIME), on dumb buffers of the card node of each driver:
 *
 *   advice:vgem:*          DRM_CAP_GEM_MMAP_ADVICE reports populate and
 *                          purgeable: gem_advice_map() prefaults, and the
 *                          advice calls reach madvise() / posix_fadvise()
 *   advice:virtio_gpu:*    populate only: gem_advice_map() prefaults, the
 *   advice:bochs:*         advice calls fail with ENOTSUP and change nothing
 *   advice_nocap:<dev>:*   the same devices with GEM_ADVICE_NO_CAP=1, the
 *                          library's knob that makes it behave as on a kernel
 *                          without the cap (stock 6.12): plain mmaps that
 *                          fault page by page but never SIGBUS, and ENOTSUP
 *                          for advice (none of these drivers has a madvise
 *                          ioctl of its own)
 *
 * Not covered here: the per-driver madvise ioctls (i915, msm, panfrost, vc4)
 * need hardware the guest does not have; the host unit tests (test_advice.c,
 * on a fake kernel) cover that branch. The BO cache under memory pressure is
 * examples/bo_cache_demo.
 *
 * Every subtest runs in a child process of its own (a crash or a SIGBUS is
 * reported as that subtest's failure) and is skipped, with the reason, when
 * its device is absent. Output is TAP; exit status 1 if a subtest failed, 4
 * if all were skipped, else 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include <gem_advice.h>

/* From the patched include/uapi/drm/drm.h, for older libdrm headers. */
#ifndef DRM_CAP_GEM_MMAP_ADVICE
#define DRM_CAP_GEM_MMAP_ADVICE	0x16
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define BO_SIZE		(1024 * 1024)	/* 256 pages of 4 KiB */
#define SUBTEST_TIMEOUT	120		/* seconds, per subtest (TCG guest) */
#define RW		(PROT_READ | PROT_WRITE)
#define NO_CAP_ENV	"GEM_ADVICE_NO_CAP"

/* ------------------------------------------------------------------------ */
/* Devices and subtests */

struct device {
	const char *name;	/* in subtest names */
	const char *driver;	/* drmGetVersion()->name */
	uint32_t caps;		/* what the library reports on our kernel */
	/*
	 * Most pages one CPU fault maps: the shmem helpers map one page per
	 * fault, TTM prefaults up to TTM_BO_VM_NUM_PREFAULT (16).
	 */
	unsigned int fault_pages;
};

static const struct device devices[] = {
	{ "vgem", "vgem", GEM_ADVICE_POPULATE | GEM_ADVICE_PURGEABLE, 1 },
	{ "virtio_gpu", "virtio_gpu", GEM_ADVICE_POPULATE, 1 },
	{ "bochs", "bochs-drm", GEM_ADVICE_POPULATE, 16 },
};

/* What a subtest gets: an open device, a context on it, one BO. */
struct t {
	const struct device *dev;
	bool nocap;		/* context created with GEM_ADVICE_NO_CAP=1 */
	int fd;
	struct gem_advice *adv;
	uint32_t handle;
	uint64_t size;		/* of the BO, as the kernel made it */
	uint64_t offset;	/* its fake mmap offset */
	size_t page_size;
	size_t npages;
};

/* Which device variants a subtest applies to. */
enum applies {
	ANY,
	PURGEABLE,	/* the device has purgeable advice (native contexts) */
	NOT_PURGEABLE,	/* it has not, or the context ignores the cap */
};

struct subtest {
	const char *name;
	void (*fn)(struct t *t);
	enum applies applies;
	bool nocap;	/* an advice_nocap:* subtest (else advice:*) */
};

/* ------------------------------------------------------------------------ */
/* Checks: failures are logged as TAP comments; REQUIRE ends the subtest. */

static bool failed;

static void __attribute__((format(printf, 5, 6)))
report(const char *file, int line, const char *macro, const char *cond,
       const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: %s(%s) failed: ", file, line, macro, cond);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failed = true;
}

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			report(__FILE__, __LINE__, "CHECK", #cond,	\
			       __VA_ARGS__);				\
	} while (0)

#define REQUIRE(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			report(__FILE__, __LINE__, "REQUIRE", #cond,	\
			       __VA_ARGS__);				\
			exit(KSFT_FAIL);				\
		}							\
	} while (0)

/* Shared with the parent: why the subtest skipped. */
static char *skip_reason;
#define SKIP_REASON_LEN	256

static void __attribute__((noreturn, format(printf, 1, 2)))
skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, SKIP_REASON_LEN, fmt, ap);
	va_end(ap);
	exit(KSFT_SKIP);
}

/* ------------------------------------------------------------------------ */
/* Helpers: devices, dumb buffers, faults, data, SIGBUS */

static bool is_driver(int fd, const char *driver)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool match = v && v->name && strcmp(v->name, driver) == 0;

	drmFreeVersion(v);
	return match;
}

/* The first /dev/dri/card* driven by @driver, or -1. */
static int open_driver(const char *driver)
{
	for (int i = 0; i < 64; i++) {
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_driver(fd, driver))
			return fd;
		close(fd);
	}
	return -1;
}

/* A dumb buffer of BO_SIZE bytes (1024 x 256 at 32 bpp) and its offset. */
static void bo_create(struct t *t)
{
	struct drm_mode_create_dumb create = {
		.width = 1024,
		.height = BO_SIZE / 4096,
		.bpp = 32,
	};
	struct drm_mode_map_dumb map = { 0 };

	REQUIRE(drmIoctl(t->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) == 0,
		"creating a %d byte dumb buffer: %s", BO_SIZE, strerror(errno));
	t->handle = create.handle;
	t->size = create.size;
	REQUIRE(t->size >= BO_SIZE && t->size % t->page_size == 0,
		"dumb buffer of %llu bytes", (unsigned long long)t->size);
	t->npages = t->size / t->page_size;

	map.handle = t->handle;
	REQUIRE(drmIoctl(t->fd, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0,
		"DRM_IOCTL_MODE_MAP_DUMB: %s", strerror(errno));
	t->offset = map.offset;
}

/* gem_advice_map() of the whole BO; must succeed. */
static uint32_t *map_bo(struct t *t, int prot)
{
	void *p = gem_advice_map(t->adv, t->offset, t->size, prot);

	REQUIRE(p != MAP_FAILED, "gem_advice_map(prot %#x): %s", prot,
		strerror(errno));
	return p;
}

static void unmap_bo(struct t *t, void *p)
{
	CHECK(munmap(p, t->size) == 0, "munmap: %s", strerror(errno));
}

static uint32_t pattern(uint32_t seed, size_t page, size_t dword)
{
	return seed ^ ((uint32_t)page << 16 | (uint32_t)(dword & 0xffff));
}

static void fill(struct t *t, uint32_t *p, uint32_t seed)
{
	const size_t dwords = t->page_size / sizeof(uint32_t);

	for (size_t i = 0; i < t->npages; i++)
		for (size_t j = 0; j < dwords; j++)
			*p++ = pattern(seed, i, j);
}

/* Whether the whole BO holds the pattern; logs the first mismatch. */
static bool holds(struct t *t, const uint32_t *p, uint32_t seed,
		  const char *what)
{
	const size_t dwords = t->page_size / sizeof(uint32_t);

	for (size_t i = 0; i < t->npages; i++) {
		for (size_t j = 0; j < dwords; j++) {
			uint32_t v = p[i * dwords + j];

			if (v != pattern(seed, i, j)) {
				printf("# %s: page %zu dword %zu holds %#x, expected %#x\n",
				       what, i, j, v, pattern(seed, i, j));
				return false;
			}
		}
	}
	return true;
}

/* Read the first dword of each page and write it back. */
static void rmw_pages(void *ptr, size_t len, size_t page_size)
{
	for (size_t off = 0; off < len; off += page_size) {
		volatile uint32_t *p = (volatile uint32_t *)((char *)ptr + off);

		*p = *p;
	}
}

/* Called through a volatile pointer: the warm-up runs the measured code. */
static void (*volatile rmw_fn)(void *, size_t, size_t) = rmw_pages;

/*
 * Minor faults that reading and writing back every page of [p, p + len)
 * costs. Code, stack and the rusage buffers are faulted in beforehand.
 */
static long rmw_faults(struct t *t, void *p, size_t len)
{
	static uint32_t warmup[2 * 4096] __attribute__((aligned(4096)));
	void (*rmw)(void *, size_t, size_t) = rmw_fn;
	struct rusage before, after;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	rmw(warmup, sizeof(warmup), t->page_size);
	getrusage(RUSAGE_SELF, &after);

	getrusage(RUSAGE_SELF, &before);
	rmw(p, len, t->page_size);
	getrusage(RUSAGE_SELF, &after);
	return after.ru_minflt - before.ru_minflt;
}

static sigjmp_buf sigbus_jmp;
static volatile sig_atomic_t sigbus_armed;

static void on_sigbus(int sig)
{
	if (!sigbus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(sigbus_jmp, 1);
}

/*
 * Read the first dword of every page of the BO at @p. Returns the index of
 * the first page whose access raised SIGBUS, or -1 if none did.
 */
static long first_sigbus_page(struct t *t, const void *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile size_t i = 0;
	long ret = -1;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1) == 0) {
		sigbus_armed = 1;
		for (i = 0; i < t->npages; i++)
			(void)*(const volatile uint32_t *)
				((const char *)p + i * t->page_size);
	} else {
		ret = (long)i;
	}
	sigbus_armed = 0;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

/*
 * gem_advice_mark_needed() must succeed and answer @expect in *retained
 * (which starts out as the other answer, so that it must be written).
 */
static bool needed(struct t *t, void *map, bool expect)
{
	bool retained = !expect;
	int ret;

	errno = 0;
	ret = gem_advice_mark_needed(t->adv, t->handle, t->offset, t->size,
				     map, &retained);
	REQUIRE(ret == 0, "gem_advice_mark_needed(%s): %d, %s",
		map ? "mapped" : "unmapped", ret, strerror(errno));
	if (retained != expect)
		printf("# MarkNeeded(%s): retained %d, expected %d\n",
		       map ? "mapped" : "unmapped", retained, expect);
	return retained == expect;
}

/* ------------------------------------------------------------------------ */
/* Every device, native and without the cap */

/* The library reports what the kernel does (or nothing, without the cap). */
static void test_caps(struct t *t)
{
	uint32_t want = t->nocap ? 0 : t->dev->caps;
	uint32_t caps = gem_advice_get_caps(t->adv);
	uint64_t kernel = 0;

	CHECK(drmGetCap(t->fd, DRM_CAP_GEM_MMAP_ADVICE, &kernel) == 0,
	      "drmGetCap(DRM_CAP_GEM_MMAP_ADVICE): %s (not our kernel?)",
	      strerror(errno));
	printf("# %s: kernel cap %#llx, library caps %#x\n", t->dev->driver,
	       (unsigned long long)kernel, caps);
	CHECK(caps == want, "caps %#x, expected %#x", caps, want);
	/* The kernel side of the expectation, independent of the library. */
	CHECK((kernel & 3) == t->dev->caps, "kernel cap %#llx, expected %#x",
	      (unsigned long long)kernel, t->dev->caps);
}

/*
 * A mapping from gem_advice_map() costs no fault at all when touched, and
 * shows what an earlier mapping wrote.
 */
static void test_map_populate_no_faults(struct t *t)
{
	const uint32_t seed = 0x11000000;
	uint32_t *p;
	long faults;

	p = map_bo(t, RW);
	faults = rmw_faults(t, p, t->size);
	CHECK(faults == 0, "touching %zu pages of a new BO cost %ld faults",
	      t->npages, faults);
	fill(t, p, seed);
	unmap_bo(t, p);

	p = map_bo(t, RW);
	faults = rmw_faults(t, p, t->size);
	CHECK(faults == 0, "touching %zu pages of a written BO cost %ld faults",
	      t->npages, faults);
	CHECK(holds(t, p, seed, "second mapping"), "data lost");
	unmap_bo(t, p);

	/* Read-only: populated for read. */
	p = map_bo(t, PROT_READ);
	CHECK(first_sigbus_page(t, p) == -1, "SIGBUS on a valid BO");
	CHECK(holds(t, p, seed, "read-only mapping"), "data lost");
	unmap_bo(t, p);
}

/*
 * Without the cap: a plain mapping that faults page by page (the fallback
 * has no prefault of its own), never SIGBUSes on a valid BO, and shows the
 * data.
 */
static void test_map_faults(struct t *t)
{
	const uint32_t seed = 0x22000000;
	long faults, min = (long)(t->npages / t->dev->fault_pages);
	uint32_t *p;

	p = map_bo(t, RW);
	CHECK(first_sigbus_page(t, p) == -1, "SIGBUS on a valid BO");
	fill(t, p, seed);
	unmap_bo(t, p);

	p = map_bo(t, RW);
	faults = rmw_faults(t, p, t->size);
	printf("# %zu pages: %ld faults\n", t->npages, faults);
	CHECK(faults >= min && faults > 0,
	      "touching %zu pages cost %ld faults, expected at least %ld: was the mapping prefaulted?",
	      t->npages, faults, min);
	CHECK(holds(t, p, seed, "plain mapping"), "data lost");
	unmap_bo(t, p);
}

/* No purgeable advice: ENOTSUP from every call, and nothing changes. */
static void test_advice_enotsup(struct t *t)
{
	const uint32_t seed = 0x33000000;
	uint32_t *p = map_bo(t, RW);
	long faults;

	fill(t, p, seed);
	for (int m = 0; m < 2; m++) {
		void *map = m ? p : NULL;
		const char *how = m ? "mapped" : "unmapped";
		bool retained = true;
		int ret;

		errno = 0;
		ret = gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
						t->size, map, NULL);
		CHECK(ret == -1 && errno == ENOTSUP,
		      "MarkPurgeable(%s): %d, %s", how, ret, strerror(errno));
		errno = 0;
		ret = gem_advice_purge(t->adv, t->handle, t->offset, t->size,
					map);
		CHECK(ret == -1 && errno == ENOTSUP, "Purge(%s): %d, %s", how,
		      ret, strerror(errno));
		errno = 0;
		ret = gem_advice_mark_needed(t->adv, t->handle, t->offset,
					     t->size, map, &retained);
		CHECK(ret == -1 && errno == ENOTSUP && retained,
		      "MarkNeeded(%s): %d, %s, retained %d", how, ret,
		      strerror(errno), retained);
		retained = false;
		errno = 0;
		ret = gem_advice_mark_needed(t->adv, t->handle, t->offset,
					     t->size, map, &retained);
		CHECK(ret == -1 && errno == ENOTSUP && !retained,
		      "MarkNeeded(%s) touched *retained", how);
	}

	/* The purge did not happen and the mapping is still whole. */
	CHECK(first_sigbus_page(t, p) == -1, "SIGBUS after refused advice");
	CHECK(holds(t, p, seed, "after refused advice"), "data lost");
	unmap_bo(t, p);

	p = map_bo(t, RW);
	faults = rmw_faults(t, p, t->size);
	if (!t->nocap)
		CHECK(faults == 0, "%ld faults after refused advice", faults);
	CHECK(holds(t, p, seed, "new mapping after refused advice"),
	      "data lost");
	unmap_bo(t, p);
}

/* ------------------------------------------------------------------------ */
/* Purgeable advice (vgem) */

/* Purgeable then needed, through the mapping: retained, data intact. */
static void test_purgeable_needed_retained(struct t *t)
{
	const uint32_t seed = 0x44000000;
	uint32_t *p = map_bo(t, RW);
	int ret;
	long faults;

	fill(t, p, seed);
	errno = 0;
	ret = gem_advice_mark_purgeable(t->adv, t->handle, t->offset, t->size, p, NULL);
	REQUIRE(ret == 0, "MarkPurgeable(mapped): %s", strerror(errno));
	CHECK(needed(t, p, true), "a BO nothing purged reported purged");
	CHECK(holds(t, p, seed, "after purgeable + needed"), "data lost");

	/* Twice in a row is fine too. */
	CHECK(gem_advice_mark_purgeable(t->adv, t->handle, t->offset, t->size,
					p, NULL) == 0, "%s", strerror(errno));
	CHECK(gem_advice_mark_purgeable(t->adv, t->handle, t->offset, t->size,
					p, NULL) == 0, "%s", strerror(errno));
	CHECK(needed(t, p, true), "purged after two MarkPurgeable");
	CHECK(needed(t, p, true), "purged after a second MarkNeeded");
	unmap_bo(t, p);

	/* A new mapping is prefaulted as before and shows the data. */
	p = map_bo(t, RW);
	faults = rmw_faults(t, p, t->size);
	CHECK(faults == 0, "%ld faults on a BO taken back", faults);
	CHECK(holds(t, p, seed, "new mapping of a BO taken back"), "data lost");
	unmap_bo(t, p);
}

/*
 * Purged through the mapping: needed reports it (0, retained false), and
 * the kernel's contract holds: the old mapping SIGBUSes, never stale data.
 */
static void test_purge_not_retained(struct t *t)
{
	uint32_t *p = map_bo(t, RW);
	long page;

	fill(t, p, 0x55000000);
	REQUIRE(gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
					  t->size, p, NULL) == 0,
		"MarkPurgeable: %s", strerror(errno));
	errno = 0;
	REQUIRE(gem_advice_purge(t->adv, t->handle, t->offset, t->size, p) == 0,
		"Purge(mapped): %s", strerror(errno));

	CHECK(needed(t, p, false), "purged BO reported retained (mapping)");
	CHECK(needed(t, NULL, false), "purged BO reported retained (offset)");
	/* Asking again does not bring it back. */
	CHECK(needed(t, p, false), "purged BO reported retained the second time");

	page = first_sigbus_page(t, p);
	CHECK(page == 0, "access to a purged BO: %s",
	      page < 0 ? "no SIGBUS" : "SIGBUS only after page 0");
	unmap_bo(t, p);
}

/*
 * DONTNEED's "retained" (iris, crocus) on the real kernel, through both
 * standard calls: true for a BO with its contents, false for a purged one,
 * and the BO stays as it was in both cases.
 */
static void test_purgeable_retained(struct t *t)
{
	const uint32_t seed = 0x5a000000;
	uint32_t *p = map_bo(t, RW);
	bool retained;

	fill(t, p, seed);
	for (int m = 0; m < 2; m++) {
		void *map = m ? (void *)p : NULL;

		retained = false;
		errno = 0;
		CHECK(gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
						t->size, map, &retained) == 0 &&
		      retained, "MarkPurgeable(%s, &retained): %s, retained %d",
		      m ? "mapped" : "offset", strerror(errno), retained);
		CHECK(needed(t, p, true), "a BO nothing purged reported purged");
	}
	CHECK(holds(t, p, seed, "after MarkPurgeable(&retained)"), "data lost");

	REQUIRE(gem_advice_purge(t->adv, t->handle, t->offset, t->size, p) == 0,
		"Purge: %s", strerror(errno));
	for (int m = 0; m < 2; m++) {
		void *map = m ? (void *)p : NULL;

		retained = true;
		errno = 0;
		CHECK(gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
						t->size, map, &retained) == 0 &&
		      !retained, "MarkPurgeable(%s) of a purged BO: %s, retained %d",
		      m ? "mapped" : "offset", strerror(errno), retained);
	}
	CHECK(needed(t, p, false), "purged BO reported retained");
	CHECK(first_sigbus_page(t, p) == 0, "no SIGBUS on a purged BO");
	unmap_bo(t, p);
}

/*
 * Purge-now needs no MarkPurgeable first, and works without a mapping (the
 * library maps the BO for it).
 */
static void test_purge_unmapped(struct t *t)
{
	uint32_t *p = map_bo(t, RW);
	int ret;

	fill(t, p, 0x66000000);
	unmap_bo(t, p);

	/* The size is required: it is the temporary mapping's. */
	errno = 0;
	ret = gem_advice_purge(t->adv, t->handle, t->offset, 0, NULL);
	CHECK(ret == -1 && errno == EINVAL, "Purge(size 0): %d, %s", ret,
	      strerror(errno));
	CHECK(needed(t, NULL, true), "refused purge purged the BO");

	errno = 0;
	ret = gem_advice_purge(t->adv, t->handle, t->offset, t->size, NULL);
	REQUIRE(ret == 0, "Purge(unmapped): %s", strerror(errno));
	CHECK(needed(t, NULL, false), "purged BO reported retained");

	/* A new mapping SIGBUSes as well. */
	p = mmap(NULL, t->size, RW, MAP_SHARED, t->fd, (off_t)t->offset);
	REQUIRE(p != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(first_sigbus_page(t, p) == 0, "no SIGBUS on a purged BO");
	unmap_bo(t, p);
}

/*
 * gem_advice_map() never touches the pages: mapping a purged BO with
 * populate returns (the kernel's populate error is not mmap()'s), and only
 * the caller's access SIGBUSes. Valid BOs never do (the other subtests).
 */
static void test_map_purged(struct t *t)
{
	uint32_t *p;

	REQUIRE(gem_advice_purge(t->adv, t->handle, t->offset, t->size,
				  NULL) == 0, "Purge: %s", strerror(errno));
	/* SIGBUS is not caught here: a SIGBUS in the call fails the subtest. */
	p = gem_advice_map(t->adv, t->offset, t->size, RW);
	REQUIRE(p != MAP_FAILED, "gem_advice_map of a purged BO: %s",
		strerror(errno));
	CHECK(first_sigbus_page(t, p) == 0, "no SIGBUS on a purged BO");
	CHECK(needed(t, p, false), "purged BO reported retained");
	unmap_bo(t, p);
}

/* No mapping: posix_fadvise() at the offset, size given or 0 (whole BO). */
static void test_unmapped_purgeable_needed(struct t *t)
{
	const uint32_t seed = 0x77000000;
	uint32_t *p = map_bo(t, RW);

	fill(t, p, seed);
	unmap_bo(t, p);

	for (int whole = 0; whole < 2; whole++) {
		uint64_t size = whole ? 0 : t->size;

		errno = 0;
		CHECK(gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
						size, NULL, NULL) == 0,
		      "MarkPurgeable(unmapped, size %llu): %s",
		      (unsigned long long)size, strerror(errno));
		CHECK(needed(t, NULL, true), "never-purged BO reported purged");
	}

	/* And back to a mapping: the standard calls mix freely. */
	CHECK(gem_advice_mark_purgeable(t->adv, t->handle, t->offset, t->size,
					NULL, NULL) == 0, "%s", strerror(errno));
	p = map_bo(t, RW);
	CHECK(needed(t, p, true), "never-purged BO reported purged (mapping)");
	CHECK(holds(t, p, seed, "after unmapped advice"), "data lost");
	unmap_bo(t, p);
}

/*
 * A BO exported as a dma-buf may be used elsewhere: the kernel refuses to
 * make it purgeable or purge it (EBUSY, passed through), and nothing changes.
 * Taking it back (needed) is always allowed.
 */
static void test_exported_ebusy(struct t *t)
{
	const uint32_t seed = 0x88000000;
	uint32_t *p = map_bo(t, RW);
	int dmabuf = -1, ret;

	fill(t, p, seed);
	REQUIRE(drmPrimeHandleToFD(t->fd, t->handle, DRM_CLOEXEC | DRM_RDWR,
				   &dmabuf) == 0,
		"drmPrimeHandleToFD: %s", strerror(errno));

	for (int m = 0; m < 2; m++) {
		void *map = m ? p : NULL;
		const char *how = m ? "mapped" : "unmapped";

		errno = 0;
		ret = gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
						t->size, map, NULL);
		CHECK(ret == -1 && errno == EBUSY, "MarkPurgeable(%s): %d, %s",
		      how, ret, strerror(errno));
		errno = 0;
		ret = gem_advice_purge(t->adv, t->handle, t->offset, t->size,
					map);
		CHECK(ret == -1 && errno == EBUSY, "Purge(%s): %d, %s", how,
		      ret, strerror(errno));
		CHECK(needed(t, map, true), "exported BO reported purged (%s)", how);
	}
	CHECK(first_sigbus_page(t, p) == -1, "SIGBUS on an exported BO");
	CHECK(holds(t, p, seed, "exported BO"), "data lost");
	close(dmabuf);
	unmap_bo(t, p);
}

/*
 * The kernel's range and permission rules come back as the documented
 * errno, and a refused call changes nothing: EINVAL for less than the whole
 * BO or an offset that is not a BO's, EACCES for a read-only mapping.
 */
static void test_errors(struct t *t)
{
	const uint32_t seed = 0x99000000;
	uint64_t short_size = t->size - t->page_size;
	uint32_t *p = map_bo(t, RW), *ro;
	int ret;

	fill(t, p, seed);

	/* Less than the whole BO, with and without a mapping. */
	errno = 0;
	ret = gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
					short_size, p, NULL);
	CHECK(ret == -1 && errno == EINVAL, "partial MarkPurgeable(mapped): %d, %s",
	      ret, strerror(errno));
	errno = 0;
	ret = gem_advice_purge(t->adv, t->handle, t->offset, short_size, p);
	CHECK(ret == -1 && errno == EINVAL, "partial Purge(mapped): %d, %s",
	      ret, strerror(errno));
	errno = 0;
	ret = gem_advice_mark_purgeable(t->adv, t->handle, t->offset,
					short_size, NULL, NULL);
	CHECK(ret == -1 && errno == EINVAL,
	      "partial MarkPurgeable(unmapped): %d, %s", ret, strerror(errno));
	errno = 0;
	ret = gem_advice_purge(t->adv, t->handle, t->offset, short_size, NULL);
	CHECK(ret == -1 && errno == EINVAL, "partial Purge(unmapped): %d, %s",
	      ret, strerror(errno));

	/* Not a BO's offset. */
	errno = 0;
	ret = gem_advice_mark_purgeable(t->adv, t->handle,
					t->offset + t->page_size, 0, NULL, NULL);
	CHECK(ret == -1 && errno == EINVAL, "MarkPurgeable(bad offset): %d, %s",
	      ret, strerror(errno));

	/* Read-only mapping: advice that drops contents needs write access. */
	ro = map_bo(t, PROT_READ);
	errno = 0;
	ret = gem_advice_mark_purgeable(t->adv, t->handle, t->offset, t->size,
					ro, NULL);
	CHECK(ret == -1 && errno == EACCES, "MarkPurgeable(read-only): %d, %s",
	      ret, strerror(errno));
	errno = 0;
	ret = gem_advice_purge(t->adv, t->handle, t->offset, t->size, ro);
	CHECK(ret == -1 && errno == EACCES, "Purge(read-only): %d, %s", ret,
	      strerror(errno));
	CHECK(needed(t, ro, true), "refused advice purged the BO (read-only)");
	unmap_bo(t, ro);

	/* None of it purged anything, nor made the BO purgeable for good. */
	CHECK(needed(t, p, true), "refused advice purged the BO");
	CHECK(first_sigbus_page(t, p) == -1, "SIGBUS after refused advice");
	CHECK(holds(t, p, seed, "after refused advice"), "data lost");
	unmap_bo(t, p);
}

/* ------------------------------------------------------------------------ */

static const struct subtest subtests[] = {
	{ "caps", test_caps, ANY, false },
	{ "map_populate_no_faults", test_map_populate_no_faults, ANY, false },
	{ "purgeable_needed_retained", test_purgeable_needed_retained,
	  PURGEABLE, false },
	{ "purge_not_retained", test_purge_not_retained, PURGEABLE, false },
	{ "purgeable_retained", test_purgeable_retained, PURGEABLE, false },
	{ "purge_unmapped", test_purge_unmapped, PURGEABLE, false },
	{ "map_purged", test_map_purged, PURGEABLE, false },
	{ "unmapped_purgeable_needed", test_unmapped_purgeable_needed,
	  PURGEABLE, false },
	{ "exported_ebusy", test_exported_ebusy, PURGEABLE, false },
	{ "errors", test_errors, PURGEABLE, false },
	{ "advice_enotsup", test_advice_enotsup, NOT_PURGEABLE, false },

	{ "caps", test_caps, ANY, true },
	{ "map_faults", test_map_faults, ANY, true },
	{ "advice_enotsup", test_advice_enotsup, ANY, true },
};

static bool applies_to(const struct subtest *st, const struct device *dev)
{
	bool purgeable = !st->nocap && (dev->caps & GEM_ADVICE_PURGEABLE);

	switch (st->applies) {
	case PURGEABLE:
		return purgeable;
	case NOT_PURGEABLE:
		return !purgeable;
	case ANY:
		break;
	}
	return true;
}

/* In the child: set up, run, exit with KSFT_*. */
static void __attribute__((noreturn))
run_child(const struct subtest *st, const struct device *dev)
{
	struct t t = {
		.dev = dev,
		.nocap = st->nocap,
		.page_size = (size_t)sysconf(_SC_PAGESIZE),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(SUBTEST_TIMEOUT);
	t.fd = open_driver(dev->driver);
	if (t.fd < 0)
		skip("no %s device", dev->driver);

	/* The knob is read when the context is created, in this child only. */
	if (st->nocap)
		REQUIRE(setenv(NO_CAP_ENV, "1", 1) == 0, "setenv");
	else
		REQUIRE(unsetenv(NO_CAP_ENV) == 0, "unsetenv");
	t.adv = gem_advice_create(t.fd);
	REQUIRE(t.adv, "gem_advice_create: %s", strerror(errno));

	bo_create(&t);
	st->fn(&t);

	gem_advice_destroy(t.adv);
	close(t.fd);
	exit(failed ? KSFT_FAIL : KSFT_PASS);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-l] [-r SUBTEST]...\n", argv0);
	exit(2);
}

/* Fork, run, print the TAP line; returns KSFT_PASS, KSFT_FAIL or KSFT_SKIP. */
static int run(int n, const char *name, const struct subtest *st,
	       const struct device *dev)
{
	int status = 0;
	pid_t pid;

	printf("# RUN %s\n", name);
	fflush(stdout);
	memset(skip_reason, 0, SKIP_REASON_LEN);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\nnot ok %d %s\n", strerror(errno), n, name);
		return KSFT_FAIL;
	}
	if (pid == 0)
		run_child(st, dev);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS) {
		printf("ok %d %s\n", n, name);
		return KSFT_PASS;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP) {
		printf("ok %d %s # SKIP %s\n", n, name,
		       skip_reason[0] ? skip_reason : "no reason given");
		return KSFT_SKIP;
	}
	if (WIFSIGNALED(status))
		printf("# %s: killed by signal %d (%s)%s\n", name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGALRM ? ": timeout" : "");
	else
		printf("# %s: exit status %d\n", name, WEXITSTATUS(status));
	printf("not ok %d %s\n", n, name);
	return KSFT_FAIL;
}

int main(int argc, char **argv)
{
	static struct {
		const struct subtest *st;
		const struct device *dev;
		char name[96];
	} todo[ARRAY_SIZE(subtests) * ARRAY_SIZE(devices)];
	int n = 0, counts[KSFT_SKIP + 1] = { 0 };
	bool list = false;
	char **only;
	int n_only = 0, c;

	only = calloc((size_t)argc, sizeof(*only));
	if (!only)
		return KSFT_FAIL;
	while ((c = getopt(argc, argv, "lr:")) != -1) {
		switch (c) {
		case 'l': list = true; break;
		case 'r': only[n_only++] = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);

	/* Subtest by subtest, each on every device it applies to. */
	for (size_t s = 0; s < ARRAY_SIZE(subtests); s++) {
		for (size_t d = 0; d < ARRAY_SIZE(devices); d++) {
			const struct subtest *st = &subtests[s];
			const struct device *dev = &devices[d];
			bool want = !n_only;

			if (!applies_to(st, dev))
				continue;
			snprintf(todo[n].name, sizeof(todo[n].name), "%s:%s:%s",
				 st->nocap ? "advice_nocap" : "advice",
				 dev->name, st->name);
			for (int i = 0; i < n_only; i++)
				want |= strcmp(todo[n].name, only[i]) == 0;
			if (!want)
				continue;
			if (list)
				puts(todo[n].name);
			todo[n].st = st;
			todo[n].dev = dev;
			n++;
		}
	}
	free(only);
	if (list)
		return 0;
	if (!n) {
		fprintf(stderr, "no such subtest (-l lists them)\n");
		return 2;
	}

	skip_reason = mmap(NULL, SKIP_REASON_LEN, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	printf("TAP version 13\n1..%d\n", n);
	for (int i = 0; i < n; i++)
		counts[run(i + 1, todo[i].name, todo[i].st, todo[i].dev)]++;
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       counts[KSFT_PASS], counts[KSFT_FAIL], counts[KSFT_SKIP]);
	return counts[KSFT_FAIL] ? KSFT_FAIL :
	       counts[KSFT_PASS] ? KSFT_PASS : KSFT_SKIP;
}
