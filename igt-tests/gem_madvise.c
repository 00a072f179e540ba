// SPDX-License-Identifier: GPL-2.0
/*
 * gem_madvise: purgeable GEM buffer objects through the standard calls,
 * madvise() on a GEM mmap and posix_fadvise() on the DRM file. In the spirit
 * of IGT's gem_madvise and vc4_purgeable_bo, without a private ioctl.
 *
 * On a shared GEM mapping that covers a whole object:
 *
 *   MADV_FREE      the object becomes purgeable
 *   MADV_WILLNEED  needed again: 0 if the contents were retained, EFAULT if
 *                  they were purged
 *   MADV_REMOVE    purge it now
 *   MADV_DONTNEED  only drop the CPU page-table entries of the range
 *
 * posix_fadvise(drm_fd, mmap offset, size or 0, POSIX_FADV_DONTNEED or
 * POSIX_FADV_WILLNEED) does what MADV_FREE and MADV_WILLNEED do, for objects
 * without a mapping. A purged object raises SIGBUS on every CPU access, in
 * every process, and refuses MADV_POPULATE_* with EFAULT. Objects shared
 * outside their DRM file (dma-buf, flink) cannot be made purgeable or purged:
 * EBUSY. Drivers advertise all this with DRM_GEM_MMAP_ADVICE_PURGEABLE in
 * DRM_CAP_GEM_MMAP_ADVICE; vgem does, and purges purgeable objects from its
 * shrinker under memory pressure.
 *
 * Whether an access raises SIGBUS is checked in a forked child, which
 * inherits the mapping with its page-table entries: the child reading the
 * old data means the parent's mapping was not revoked. Whether an object is
 * purgeable is checked where it matters by running every shrinker
 * (/proc/sys/vm/drop_caches), which purges exactly the purgeable objects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drmtest.h"
#include "drmtest_harness.h"

/* Default buffer object size: 1 MiB, 256 pages of 4 KiB. */
#define BO_SIZE			(1024 * 1024)

/* pressure_purges_only_purgeable: BOs, allocation step and time bound. */
#define PRESSURE_BOS		64
#define PRESSURE_CHUNK		(32UL << 20)
#define PRESSURE_MSEC		60000

#define RW			(PROT_READ | PROT_WRITE)

FIXTURE(madvise) {
	int fd;
	struct drmtest_bo bo;
	size_t page_size;
	size_t size;		/* bytes of the BO */
	long npages;
};

FIXTURE_VARIANT(madvise) {
	const char *driver;	/* drmGetVersion()->name */
};

/* vgem: shmem objects, purgeable, with the shmem helpers' shrinker. */
FIXTURE_VARIANT_ADD(madvise, vgem) {
	.driver = "vgem",
};

FIXTURE_SETUP(madvise)
{
	int ret;

	OPEN_PURGEABLE_OR_SKIP(self->fd, variant->driver);

	ret = drmtest_bo_create(self->fd, BO_SIZE, &self->bo);
	ASSERT_EQ(0, ret) TH_LOG("creating a %d byte dumb buffer: %s",
				 BO_SIZE, strerror(-ret));

	self->page_size = drmtest_page_size();
	ASSERT_EQ(0ULL, self->bo.size % self->page_size)
		TH_LOG("dumb buffer size %llu is not a whole number of pages",
		       (unsigned long long)self->bo.size);
	self->size = self->bo.size;
	self->npages = self->size / self->page_size;
}

FIXTURE_TEARDOWN(madvise)
{
	if (self->fd < 0)
		return;
	drmtest_bo_destroy(&self->bo);
	close(self->fd);
}

static void create_bo(struct __test_metadata *_metadata, int fd,
		      struct drmtest_bo *bo)
{
	int ret = drmtest_bo_create(fd, BO_SIZE, bo);

	ASSERT_EQ(0, ret) TH_LOG("creating a %d byte dumb buffer: %s",
				 BO_SIZE, strerror(-ret));
}

/* A whole BO, through a fresh mapping, must hold its pattern. */
static void assert_bo_pattern(struct __test_metadata *_metadata,
			      const struct drmtest_bo *bo, uint32_t seed,
			      const char *what)
{
	char *p = map_bo(_metadata, bo, NULL, PROT_READ, MAP_SHARED);

	assert_pattern(_metadata, p, 0, bo->size / drmtest_page_size(), seed,
		       what);
	ASSERT_EQ(0, munmap(p, bo->size));
}

/* Fill a whole BO with its pattern through a temporary mapping. */
static void fill_bo(struct __test_metadata *_metadata,
		    const struct drmtest_bo *bo, uint32_t seed)
{
	char *p = map_bo(_metadata, bo, NULL, RW, MAP_SHARED);

	drmtest_fill_pattern(p, 0, bo->size / drmtest_page_size(), seed);
	ASSERT_EQ(0, munmap(p, bo->size));
}

/* Tests whose point needs the shrinker are skipped without drop_caches. */
#define SHRINK_ALL_OR_SKIP() do { \
	int __err = drmtest_shrink_all(); \
	if (__err) \
		SKIP(return, "cannot write /proc/sys/vm/drop_caches: %s", \
		     strerror(__err)); \
} while (0)

/*
 * Reading and writing page @page of the mapping at @p, whose object held
 * pattern @seed before it was purged, must raise SIGBUS.
 */
static void assert_sigbus(struct __test_metadata *_metadata, char *p,
			  size_t page, uint32_t seed, const char *what)
{
	const size_t dw = 3;	/* any dword but the first */
	volatile uint32_t *u = (uint32_t *)(p + page * drmtest_page_size()) + dw;
	uint32_t stale = drmtest_pattern(seed, page, dw);
	char buf[128];
	int status;

	status = drmtest_access_in_child(u, false, stale);
	ASSERT_TRUE(drmtest_is_sigbus(status))
		TH_LOG("%s: a child reading page %zu %s, expected SIGBUS",
		       what, page, drmtest_describe_access(status, buf, sizeof(buf)));
	status = drmtest_access_in_child(u, true, stale);
	ASSERT_TRUE(drmtest_is_sigbus(status))
		TH_LOG("%s: a child writing page %zu %s, expected SIGBUS",
		       what, page, drmtest_describe_access(status, buf, sizeof(buf)));
}

/* First, middle and last page of a whole-object mapping must raise SIGBUS. */
static void assert_bo_sigbus(struct __test_metadata *_metadata, char *p,
			     size_t npages, uint32_t seed, const char *what)
{
	assert_sigbus(_metadata, p, 0, seed, what);
	assert_sigbus(_metadata, p, npages / 2, seed, what);
	assert_sigbus(_metadata, p, npages - 1, seed, what);
}

/* @bo's object exported as a read-write dma-buf: the dma-buf's fd. */
static int export_bo(struct __test_metadata *_metadata,
		     const struct drmtest_bo *bo)
{
	int dmabuf = -1;

	ASSERT_EQ(0, drmPrimeHandleToFD(bo->fd, bo->handle,
					DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		TH_LOG("exporting BO %u as a dma-buf: %s", bo->handle,
		       strerror(errno));
	return dmabuf;
}

/*
 * @bo's object, exported as a dma-buf and imported into the DRM file @fd2:
 * the same object (same device), under a handle of @fd2, with its mmap offset.
 */
static void import_bo(struct __test_metadata *_metadata,
		      const struct drmtest_bo *bo, int fd2,
		      struct drmtest_bo *out, int *dmabuf)
{
	struct drm_mode_map_dumb map = {};

	*dmabuf = export_bo(_metadata, bo);
	*out = *bo;
	out->fd = fd2;
	ASSERT_EQ(0, drmPrimeFDToHandle(fd2, *dmabuf, &out->handle))
		TH_LOG("importing the dma-buf into a second DRM file: %s",
		       strerror(errno));
	map.handle = out->handle;
	ASSERT_EQ(0, drmIoctl(fd2, DRM_IOCTL_MODE_MAP_DUMB, &map))
		TH_LOG("mmap offset of the imported BO: %s", strerror(errno));
	out->offset = map.offset;
}

static uint32_t flink(struct __test_metadata *_metadata,
		      const struct drmtest_bo *bo)
{
	struct drm_gem_flink f = { .handle = bo->handle };

	ASSERT_EQ(0, drmIoctl(bo->fd, DRM_IOCTL_GEM_FLINK, &f))
		TH_LOG("DRM_IOCTL_GEM_FLINK of BO %u: %s", bo->handle,
		       strerror(errno));
	ASSERT_NE(0U, f.name);
	return f.name;
}

/*
 * MADV_FREE then MADV_WILLNEED keeps the contents: WILLNEED returns 0 and
 * every byte is still there; both may be repeated. (vc4_purgeable_bo
 * mark-unpurgeable-check-retained, mark-purgeable-twice.)
 */
TEST_F(madvise, free_then_willneed_retained)
{
	const uint32_t seed = 0x01000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);

	ASSERT_MADV(0, p, self->size, MADV_FREE, "first MADV_FREE");
	ASSERT_MADV(0, p, self->size, MADV_FREE, "second MADV_FREE");
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "MADV_WILLNEED after MADV_FREE");
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "second MADV_WILLNEED");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "mapping after MADV_FREE + MADV_WILLNEED");
	assert_bo_pattern(_metadata, &self->bo, seed,
			  "new mapping after MADV_FREE + MADV_WILLNEED");

	/* Needed again: the shrinker must leave it alone. */
	if (try_shrink_all(_metadata)) {
		ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
			    "MADV_WILLNEED after the shrinker ran on a needed object");
		assert_pattern(_metadata, p, 0, self->npages, seed,
			       "needed object after the shrinker ran");
	}
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * MADV_REMOVE purges at once: every CPU access through the existing mapping
 * raises SIGBUS, never shows the old data. Also for an object that was
 * mapped but never touched. (gem_madvise dontneed-after-mmap,
 * vc4_purgeable_bo access-purged-bo-mem.)
 */
TEST_F(madvise, remove_then_sigbus)
{
	const uint32_t seed = 0x02000000;
	struct drmtest_bo untouched;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_REMOVE, "MADV_REMOVE");
	assert_bo_sigbus(_metadata, p, self->npages, seed,
			 "mapping after MADV_REMOVE");
	/* Purging again is not an error; the object stays purged. */
	ASSERT_MADV(0, p, self->size, MADV_REMOVE, "second MADV_REMOVE");
	assert_sigbus(_metadata, p, 0, seed, "mapping after a second MADV_REMOVE");
	ASSERT_EQ(0, munmap(p, self->size));

	create_bo(_metadata, self->fd, &untouched);
	p = map_bo(_metadata, &untouched, NULL, RW, MAP_SHARED);
	ASSERT_MADV(0, p, untouched.size, MADV_REMOVE,
		    "MADV_REMOVE of a never touched BO");
	assert_bo_sigbus(_metadata, p, untouched.size / self->page_size, 0,
			 "never touched BO after MADV_REMOVE");
	ASSERT_EQ(0, munmap(p, untouched.size));
	ASSERT_EQ(0, drmtest_bo_destroy(&untouched));
}

/* What a remove_sigbus_in_child child exits with when it does not die. */
enum {
	SIBLING_READ_STALE = 1,
	SIBLING_READ_OTHER,
	SIBLING_PRE_BAD,	/* pattern wrong before the purge */
	SIBLING_MMAP_FAILED,
	SIBLING_PIPE,
};

/*
 * Child of remove_sigbus_in_child: check the pattern through @p (an
 * inherited mapping, or a mapping of its own when @own), which maps every
 * page in the child, report ready, wait for the parent's purge, read again.
 */
static int sibling_child(const struct drmtest_bo *bo, char *p, bool own,
			 uint32_t seed, int ready, int go)
{
	const size_t npages = bo->size / drmtest_page_size();
	volatile uint32_t *u;
	char c = 0;

	drmtest_no_core_dumps();
	if (own) {
		p = drmtest_bo_mmap(bo, NULL, bo->size, RW, MAP_SHARED);
		if (p == MAP_FAILED)
			return SIBLING_MMAP_FAILED;
	}
	if (drmtest_check_pattern(p, 0, npages, seed, NULL) != -1)
		return SIBLING_PRE_BAD;
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		return SIBLING_PIPE;
	u = (uint32_t *)(p + (npages - 1) * drmtest_page_size());
	return *u == drmtest_pattern(seed, npages - 1, 0) ?
		SIBLING_READ_STALE : SIBLING_READ_OTHER;
}

/*
 * A purge revokes the object's mappings in every process: children that
 * mapped every page (through the mapping inherited over fork(), or a mapping
 * of their own) raise SIGBUS on their next access once the parent purged.
 */
TEST_F(madvise, remove_sigbus_in_child)
{
	static const char *const codes[] = {
		[SIBLING_READ_STALE] = "read the old contents after the purge",
		[SIBLING_READ_OTHER] = "read something after the purge",
		[SIBLING_PRE_BAD] = "saw a wrong pattern before the purge",
		[SIBLING_MMAP_FAILED] = "could not map the BO",
		[SIBLING_PIPE] = "pipe I/O failed",
	};
	const uint32_t seed = 0x03000000;
	int ready[2], go[2], status[2], i;
	pid_t pid[2];
	char c, *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));

	fflush(NULL);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]) TH_LOG("fork: %s", strerror(errno));
		if (pid[i] == 0) {
			close(ready[0]);
			close(go[1]);
			_exit(sibling_child(&self->bo, p, i == 1, seed,
					    ready[1], go[0]));
		}
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < 2; i++) {
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };

		ASSERT_EQ(1, poll(&pfd, 1, 10000))
			TH_LOG("children not ready after 10 s");
		ASSERT_EQ(1, read(ready[0], &c, 1))
			TH_LOG("a child died before the purge");
	}

	ASSERT_MADV(0, p, self->size, MADV_REMOVE,
		    "MADV_REMOVE while children map the BO");
	ASSERT_EQ(2, write(go[1], "gg", 2));
	close(go[1]);
	close(ready[0]);

	for (i = 0; i < 2; i++) {
		const char *which = i ? "child with its own mapping" :
					"child with the inherited mapping";

		ASSERT_EQ(pid[i], waitpid(pid[i], &status[i], 0));
		if (WIFEXITED(status[i])) {
			int code = WEXITSTATUS(status[i]);

			TH_LOG("%s: %s", which,
			       code > 0 && code < (int)ARRAY_SIZE(codes) ?
			       codes[code] : "exited");
		}
		ASSERT_TRUE(drmtest_is_sigbus(status[i]))
			TH_LOG("%s: wait status %#x, expected death by SIGBUS",
			       which, status[i]);
	}
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * A purged object can still be mapped (its mmap offset stays valid), with
 * and without MAP_POPULATE, but every access through the new mapping raises
 * SIGBUS, and so does one through a mapping of its dma-buf.
 */
TEST_F(madvise, remove_then_new_mapping_sigbus)
{
	const uint32_t seed = 0x04000000;
	int dmabuf;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_REMOVE, "MADV_REMOVE");
	ASSERT_EQ(0, munmap(p, self->size));

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	assert_bo_sigbus(_metadata, p, self->npages, seed,
			 "new mapping of a purged BO");
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED,
		    "new mapping of a purged BO");
	ASSERT_EQ(0, munmap(p, self->size));

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED | MAP_POPULATE);
	assert_bo_sigbus(_metadata, p, self->npages, seed,
			 "new MAP_POPULATE mapping of a purged BO");
	ASSERT_EQ(0, munmap(p, self->size));

	/* The dma-buf's mmap reaches the same, purged, pages. */
	dmabuf = export_bo(_metadata, &self->bo);
	p = mmap(NULL, self->size, RW, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap of the purged BO's dma-buf: %s",
					strerror(errno));
	assert_bo_sigbus(_metadata, p, self->npages, seed,
			 "dma-buf mapping of a purged BO");
	ASSERT_EQ(0, munmap(p, self->size));
	close(dmabuf);
}

/*
 * MADV_WILLNEED on a purged object fails with EFAULT, every time: neither
 * WILLNEED nor MADV_FREE brings it back. (vc4_purgeable_bo
 * mark-unpurgeable-purged.)
 */
TEST_F(madvise, remove_then_willneed_efault)
{
	const uint32_t seed = 0x05000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "MADV_FREE before the purge");
	ASSERT_MADV(0, p, self->size, MADV_REMOVE, "MADV_REMOVE of a purgeable BO");
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED, "first MADV_WILLNEED after purge");
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED, "second MADV_WILLNEED after purge");
	ASSERT_MADV(0, p, self->size, MADV_FREE, "MADV_FREE of a purged BO");
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED,
		    "MADV_WILLNEED after MADV_FREE of a purged BO");
	ASSERT_FADV(EFAULT, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "fadvise of a purged BO");
	assert_sigbus(_metadata, p, 0, seed,
		      "mapping after MADV_WILLNEED failed with EFAULT");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * MADV_POPULATE_READ and MADV_POPULATE_WRITE on a purged object fail with
 * EFAULT, as populating memory that would raise SIGBUS does, through the
 * old mapping and through a new one.
 */
TEST_F(madvise, remove_then_populate_efault)
{
	const uint32_t seed = 0x06000000;
	char *p, *q;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_POPULATE_WRITE,
		    "populating a needed BO");
	ASSERT_MADV(0, p, self->size, MADV_REMOVE, "MADV_REMOVE");

	ASSERT_MADV(EFAULT, p, self->size, MADV_POPULATE_READ,
		    "purged BO, old mapping");
	ASSERT_MADV(EFAULT, p, self->size, MADV_POPULATE_WRITE,
		    "purged BO, old mapping");
	ASSERT_MADV(EFAULT, p + self->page_size, self->page_size,
		    MADV_POPULATE_READ, "one page of a purged BO");

	q = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_MADV(EFAULT, q, self->size, MADV_POPULATE_READ,
		    "purged BO, new mapping");
	ASSERT_MADV(EFAULT, q, self->size, MADV_POPULATE_WRITE,
		    "purged BO, new mapping");
	assert_sigbus(_metadata, q, 0, seed, "new mapping after failed populate");
	ASSERT_EQ(0, munmap(q, self->size));
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * MADV_DONTNEED only drops the CPU page-table entries of its range: touching
 * those pages again costs one fault each (the shmem helpers map a page per
 * fault), the other pages none, and the contents are all still there. It
 * does not make the object purgeable.
 */
TEST_F(madvise, dontneed_zaps_but_keeps_data)
{
	const uint32_t seed = 0x07000000;
	const long half = self->npages / 2;
	const size_t half_size = half * self->page_size;
	long faults;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_READ);
	ASSERT_EQ(0, faults)
		TH_LOG("re-reading %ld just written pages cost %ld faults",
		       self->npages, faults);

	ASSERT_MADV(0, p, self->size, MADV_DONTNEED, "whole mapping");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_READ);
	ASSERT_EQ(self->npages, faults)
		TH_LOG("reading %ld pages after MADV_DONTNEED cost %ld faults, not one per page",
		       self->npages, faults);
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "mapping after MADV_DONTNEED");

	/* Only the range: the second half. */
	ASSERT_MADV(0, p + half_size, self->size - half_size, MADV_DONTNEED,
		    "second half of the mapping");
	faults = drmtest_touch_faults(p, half_size, DRMTEST_TOUCH_READ);
	ASSERT_EQ(0, faults)
		TH_LOG("reading the first half after MADV_DONTNEED of the second cost %ld faults",
		       faults);
	faults = drmtest_touch_faults(p + half_size, self->size - half_size,
				      DRMTEST_TOUCH_READ);
	ASSERT_EQ(self->npages - half, faults)
		TH_LOG("reading the %ld zapped pages cost %ld faults",
		       self->npages - half, faults);

	/* Populate maps them again, too. */
	ASSERT_MADV(0, p, self->size, MADV_DONTNEED, "whole mapping, again");
	ASSERT_MADV(0, p, self->size, MADV_POPULATE_WRITE, "after MADV_DONTNEED");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_RMW);
	ASSERT_EQ(0, faults)
		TH_LOG("touching pages populated after MADV_DONTNEED cost %ld faults",
		       faults);
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "populated mapping after MADV_DONTNEED");

	/* Still needed: the shrinker leaves it alone. */
	ASSERT_MADV(0, p, self->size, MADV_DONTNEED, "before the shrinker");
	if (try_shrink_all(_metadata)) {
		ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
			    "MADV_DONTNEED'd BO after the shrinker ran");
		assert_pattern(_metadata, p, 0, self->npages, seed,
			       "MADV_DONTNEED'd BO after the shrinker ran");
	}
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * MADV_FREE and MADV_REMOVE must cover a whole object through a whole
 * mapping, else EINVAL and nothing changes: part of a mapping, a mapping of
 * part of the object (the head, or all but the first page), a mapping split
 * in VMAs, a range over the adjacent mappings of two objects that covers
 * neither.
 */
TEST_F(madvise, partial_range_einval)
{
	static const int advice[] = { MADV_FREE, MADV_REMOVE };
	const uint32_t seed = 0x08000000, seed2 = 0x08800000;
	const size_t ps = self->page_size, size = self->size;
	struct drmtest_bo other;
	unsigned int i;
	char *p, *q, *r;

	ASSERT_GE(self->npages, 4) TH_LOG("BO too small to split");
	create_bo(_metadata, self->fd, &other);
	ASSERT_EQ(self->size, other.size);

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);

	for (i = 0; i < ARRAY_SIZE(advice); i++) {
		ASSERT_MADV(EINVAL, p, size / 2, advice[i], "first half");
		ASSERT_MADV(EINVAL, p + ps, size - ps, advice[i],
			    "all but the first page");
		ASSERT_MADV(EINVAL, p, size - ps, advice[i],
			    "all but the last page");
		ASSERT_MADV(EINVAL, p + 1, size - 1, advice[i],
			    "unaligned start");
	}

	/* A whole mapping, but of part of the object. */
	q = drmtest_bo_mmap(&self->bo, NULL, size / 2, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q) TH_LOG("mapping the first half: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EINVAL, q, size / 2, advice[i],
			    "whole mapping of the first half of the BO");
	ASSERT_EQ(0, munmap(q, size / 2));

	/* A mapping of the whole object with its first page unmapped. */
	q = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, munmap(q, ps));
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EINVAL, q + ps, size - ps, advice[i],
			    "whole VMA, the BO without its first page");
	ASSERT_EQ(0, munmap(q + ps, size - ps));

	/* A mapping of the whole object, split in three VMAs by mprotect. */
	q = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, mprotect(q + ps, ps, PROT_READ));
	ASSERT_EQ(0, mprotect(q + ps, ps, RW));
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EINVAL, q, size, advice[i],
			    "whole object through a mapping split in three VMAs");
	ASSERT_EQ(0, munmap(q, size));

	/* Two objects mapped next to each other; the range covers neither. */
	r = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r) TH_LOG("reserving address space: %s",
					strerror(errno));
	q = map_bo(_metadata, &self->bo, r, RW, MAP_SHARED | MAP_FIXED);
	ASSERT_EQ(r, q);
	q = map_bo(_metadata, &other, r + size, RW, MAP_SHARED | MAP_FIXED);
	ASSERT_EQ(r + size, q);
	drmtest_fill_pattern(q, 0, other.size / ps, seed2);
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EINVAL, r + size / 2, size, advice[i],
			    "second half of one BO + first half of the next");

	/* Nothing changed. */
	ASSERT_MADV(0, p, size, MADV_WILLNEED, "BO after refused advice");
	ASSERT_MADV(0, r + size, size, MADV_WILLNEED, "second BO after refused advice");
	if (try_shrink_all(_metadata)) {
		ASSERT_MADV(0, p, size, MADV_WILLNEED,
			    "BO after refused advice and the shrinker");
		ASSERT_MADV(0, r + size, size, MADV_WILLNEED,
			    "second BO after refused advice and the shrinker");
	}
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "BO after refused MADV_FREE/MADV_REMOVE");
	assert_pattern(_metadata, r, 0, self->npages, seed,
		       "BO at the adjacent mappings after refused advice");
	assert_pattern(_metadata, r + size, 0, other.size / ps, seed2,
		       "second BO after refused advice");
	ASSERT_EQ(0, munmap(r, 2 * size));
	ASSERT_EQ(0, munmap(p, size));
	ASSERT_EQ(0, drmtest_bo_destroy(&other));
}

/*
 * The advice applies per mapping: a range over the adjacent whole mappings
 * of two objects advises both, MADV_REMOVE purging both.
 */
TEST_F(madvise, remove_spanning_two_objects)
{
	const uint32_t seed = 0x09000000, seed2 = 0x09800000;
	const size_t size = self->size;
	struct drmtest_bo other;
	char *r, *q;

	create_bo(_metadata, self->fd, &other);
	ASSERT_EQ(self->size, other.size);
	r = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r) TH_LOG("reserving address space: %s",
					strerror(errno));
	q = map_bo(_metadata, &self->bo, r, RW, MAP_SHARED | MAP_FIXED);
	ASSERT_EQ(r, q);
	q = map_bo(_metadata, &other, r + size, RW, MAP_SHARED | MAP_FIXED);
	ASSERT_EQ(r + size, q);
	drmtest_fill_pattern(r, 0, self->npages, seed);
	drmtest_fill_pattern(r + size, 0, self->npages, seed2);

	ASSERT_MADV(0, r, 2 * size, MADV_FREE, "two whole BOs");
	ASSERT_MADV(0, r, 2 * size, MADV_WILLNEED, "two whole BOs");
	assert_pattern(_metadata, r, 0, self->npages, seed, "first BO");
	assert_pattern(_metadata, r + size, 0, self->npages, seed2, "second BO");

	ASSERT_MADV(0, r, 2 * size, MADV_REMOVE, "two whole BOs");
	ASSERT_MADV(EFAULT, r, size, MADV_WILLNEED, "first BO after the purge");
	ASSERT_MADV(EFAULT, r + size, size, MADV_WILLNEED, "second BO after the purge");
	assert_sigbus(_metadata, r, 0, seed, "first BO after the purge");
	assert_sigbus(_metadata, r + size, 0, seed2, "second BO after the purge");
	ASSERT_EQ(0, munmap(r, 2 * size));
	ASSERT_EQ(0, drmtest_bo_destroy(&other));
}

/*
 * MADV_FREE and MADV_REMOVE need a writable shared mapping: on a read-only
 * mapping (PROT_READ, mprotect()ed to PROT_READ, PROT_NONE) they fail with
 * EACCES and change nothing, while MADV_WILLNEED and MADV_DONTNEED work.
 */
TEST_F(madvise, readonly_mapping_eacces)
{
	static const int advice[] = { MADV_FREE, MADV_REMOVE };
	const uint32_t seed = 0x0a000000;
	unsigned int i;
	char *p, *q;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);

	q = map_bo(_metadata, &self->bo, NULL, PROT_READ, MAP_SHARED);
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EACCES, q, self->size, advice[i], "PROT_READ mapping");
	ASSERT_MADV(0, q, self->size, MADV_WILLNEED, "PROT_READ mapping");
	ASSERT_MADV(0, q, self->size, MADV_DONTNEED, "PROT_READ mapping");
	assert_pattern(_metadata, q, 0, self->npages, seed,
		       "PROT_READ mapping after MADV_DONTNEED");
	ASSERT_EQ(0, munmap(q, self->size));

	q = map_bo(_metadata, &self->bo, NULL, PROT_NONE, MAP_SHARED);
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EACCES, q, self->size, advice[i], "PROT_NONE mapping");
	ASSERT_EQ(0, munmap(q, self->size));

	q = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, mprotect(q, self->size, PROT_READ));
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_MADV(EACCES, q, self->size, advice[i],
			    "mapping mprotect()ed to PROT_READ");
	ASSERT_EQ(0, munmap(q, self->size));

	/* Nothing changed. */
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "BO after refused advice");
	if (try_shrink_all(_metadata))
		ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
			    "BO after refused advice and the shrinker");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "BO after refused MADV_FREE/MADV_REMOVE");

	/* The writable mapping of the same object may. */
	ASSERT_MADV(0, p, self->size, MADV_FREE, "writable mapping");
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "writable mapping");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * An object exported as a dma-buf cannot be made purgeable or purged: EBUSY
 * and nothing changes, also after our dma-buf fd is closed (the handle keeps
 * the object exported; another process may hold the dma-buf).
 */
TEST_F(madvise, exported_bo_ebusy)
{
	const uint32_t seed = 0x0b000000;
	int dmabuf, round;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	dmabuf = export_bo(_metadata, &self->bo);

	for (round = 0; round < 2; round++) {
		const char *what = round ? "exported BO, dma-buf fd closed" :
					   "exported BO";

		ASSERT_MADV(EBUSY, p, self->size, MADV_FREE, what);
		ASSERT_MADV(EBUSY, p, self->size, MADV_REMOVE, what);
		ASSERT_MADV(0, p, self->size, MADV_WILLNEED, what);
		ASSERT_MADV(0, p, self->size, MADV_DONTNEED, what);
		if (try_shrink_all(_metadata))
			ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
				    "exported BO after the shrinker ran");
		assert_pattern(_metadata, p, 0, self->npages, seed, what);
		if (!round)
			close(dmabuf);
	}
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * Another process that only got the BO as a dma-buf, and maps the dma-buf,
 * cannot purge it or drop it either: dma-buf mappings have no advice hook, so
 * the purgeable advice gets what it gets on any device mapping (MADV_FREE and
 * MADV_DONTNEED: EINVAL; MADV_REMOVE: the dma-buf file is no regular file to
 * punch holes in, ENODEV), and nothing changes for the owner.
 */
static int dmabuf_purge_child(int dmabuf, size_t size)
{
	static const int advice[] = { MADV_FREE, MADV_REMOVE, MADV_DONTNEED };
	static const int expect[] = { EINVAL, ENODEV, EINVAL };
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	unsigned int i;

	if (p == MAP_FAILED)
		return 10;
	for (i = 0; i < 3; i++) {
		int err = drmtest_madvise(p, size, advice[i]);

		if (err != expect[i]) {
			fprintf(stderr, "dma-buf mapping: %s returned %s, expected %s\n",
				drmtest_madvise_name(advice[i]), err ? strerror(err) : "0",
				strerror(expect[i]));
			return 20 + i;
		}
	}
	/* Whatever the dma-buf file makes of it, the owner checks the data. */
	drmtest_fadvise(dmabuf, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
}

TEST_F(madvise, dmabuf_mapping_cannot_purge)
{
	const uint32_t seed = 0x0c000000;
	int dmabuf, status;
	pid_t pid;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	dmabuf = export_bo(_metadata, &self->bo);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(self->fd);
		_exit(dmabuf_purge_child(dmabuf, self->size));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child with the dma-buf: status %#x", status);

	close(dmabuf);
	if (try_shrink_all(_metadata))
		ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "after the shrinker ran");
	assert_pattern(_metadata, p, 0, self->npages, seed, "after the dma-buf holder's advice");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * An object imported from a dma-buf (here: into a second DRM file of the
 * same device) cannot be made purgeable or purged through the importer's
 * mappings and file either: EBUSY, and nothing changes.
 */
TEST_F(madvise, imported_bo_ebusy)
{
	const uint32_t seed = 0x0c000000;
	struct drmtest_bo imp;
	int fd2, dmabuf;
	char *q;

	fill_bo(_metadata, &self->bo, seed);
	fd2 = drmtest_reopen(self->fd, O_RDWR);
	ASSERT_LE(0, fd2) TH_LOG("opening the device again: %s", strerror(errno));
	import_bo(_metadata, &self->bo, fd2, &imp, &dmabuf);
	close(dmabuf);

	q = map_bo(_metadata, &imp, NULL, RW, MAP_SHARED);
	assert_pattern(_metadata, q, 0, self->npages, seed,
		       "importer's mapping");
	ASSERT_MADV(EBUSY, q, self->size, MADV_FREE, "importer's mapping");
	ASSERT_MADV(EBUSY, q, self->size, MADV_REMOVE, "importer's mapping");
	ASSERT_MADV(0, q, self->size, MADV_WILLNEED, "importer's mapping");
	ASSERT_FADV(EBUSY, fd2, imp.offset, 0, POSIX_FADV_DONTNEED,
		    "importer's file");
	ASSERT_FADV(0, fd2, imp.offset, 0, POSIX_FADV_WILLNEED,
		    "importer's file");
	if (try_shrink_all(_metadata))
		ASSERT_MADV(0, q, self->size, MADV_WILLNEED,
			    "imported BO after the shrinker ran");
	assert_pattern(_metadata, q, 0, self->npages, seed,
		       "importer's mapping after refused advice");
	ASSERT_EQ(0, munmap(q, self->size));
	assert_bo_pattern(_metadata, &self->bo, seed,
			  "exporter's mapping after refused advice");
	close(fd2);
}

/*
 * An object with a flink name (global, any DRM client may open it) cannot be
 * made purgeable or purged: EBUSY through madvise() and fadvise(), nothing
 * changes.
 */
TEST_F(madvise, flink_bo_ebusy)
{
	const uint32_t seed = 0x0d000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	flink(_metadata, &self->bo);

	ASSERT_MADV(EBUSY, p, self->size, MADV_FREE, "flink'ed BO");
	ASSERT_MADV(EBUSY, p, self->size, MADV_REMOVE, "flink'ed BO");
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "flink'ed BO");
	ASSERT_FADV(EBUSY, self->fd, self->bo.offset, 0, POSIX_FADV_DONTNEED,
		    "flink'ed BO");
	ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "flink'ed BO");
	if (try_shrink_all(_metadata))
		ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
			    "flink'ed BO after the shrinker ran");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "flink'ed BO after refused advice");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * An object made purgeable and then exported must not be purged while
 * shared: the shrinker leaves it alone, and MADV_REMOVE fails with EBUSY.
 */
TEST_F(madvise, free_then_export_not_purged)
{
	const uint32_t seed = 0x0e000000;
	int dmabuf;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "BO about to be exported");
	dmabuf = export_bo(_metadata, &self->bo);
	ASSERT_MADV(EBUSY, p, self->size, MADV_REMOVE, "purgeable BO, then exported");
	SHRINK_ALL_OR_SKIP();
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
		    "BO made purgeable, exported, then the shrinker ran");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "BO made purgeable then exported, after the shrinker");
	close(dmabuf);
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * Same with a flink name: an object made purgeable and then named must not
 * be purged while other clients may open it by that name.
 */
TEST_F(madvise, free_then_flink_not_purged)
{
	const uint32_t seed = 0x0f000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "BO about to be flink'ed");
	flink(_metadata, &self->bo);
	ASSERT_MADV(EBUSY, p, self->size, MADV_REMOVE, "purgeable BO, then flink'ed");
	SHRINK_ALL_OR_SKIP();
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
		    "BO made purgeable, flink'ed, then the shrinker ran");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "BO made purgeable then flink'ed, after the shrinker");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * The dma-buf of an exported object outlives the exporter's handle: with the
 * handle closed and the dma-buf still open (another process may hold it, or
 * map it), the object is still shared, and MADV_FREE and MADV_REMOVE through
 * the exporter's remaining mapping must still fail with EBUSY, leaving the
 * dma-buf's contents alone.
 */
TEST_F(madvise, export_then_close_handle_ebusy)
{
	const uint32_t seed = 0x1b000000;
	int dmabuf;
	char *p, *d;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	dmabuf = export_bo(_metadata, &self->bo);
	ASSERT_EQ(0, drmtest_bo_destroy(&self->bo));

	ASSERT_MADV(EBUSY, p, self->size, MADV_FREE,
		    "exported BO, handle closed, dma-buf open");
	ASSERT_MADV(EBUSY, p, self->size, MADV_REMOVE,
		    "exported BO, handle closed, dma-buf open");
	d = mmap(NULL, self->size, PROT_READ, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, d) TH_LOG("mmap of the dma-buf: %s", strerror(errno));
	assert_pattern(_metadata, d, 0, self->npages, seed,
		       "dma-buf mapping after the exporter's advice");
	ASSERT_EQ(0, munmap(d, self->size));
	ASSERT_EQ(0, munmap(p, self->size));
	close(dmabuf);
}

/*
 * Same through the shrinker: an object made purgeable, exported, and whose
 * handle is then closed while its dma-buf stays open, must not be purged.
 */
TEST_F(madvise, free_export_close_handle_not_purged)
{
	const uint32_t seed = 0x1c000000;
	int dmabuf;
	char *p, *d;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "BO about to be exported");
	dmabuf = export_bo(_metadata, &self->bo);
	ASSERT_EQ(0, drmtest_bo_destroy(&self->bo));
	ASSERT_EQ(0, munmap(p, self->size));

	SHRINK_ALL_OR_SKIP();
	d = mmap(NULL, self->size, PROT_READ, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, d) TH_LOG("mmap of the dma-buf: %s", strerror(errno));
	ASSERT_MADV(0, d, self->size, MADV_POPULATE_READ,
		    "dma-buf of a purgeable BO, handle closed, after the shrinker ran");
	assert_pattern(_metadata, d, 0, self->npages, seed,
		       "dma-buf of a purgeable BO, handle closed, after the shrinker ran");
	ASSERT_EQ(0, munmap(d, self->size));
	close(dmabuf);
}

/*
 * posix_fadvise() advises objects without any mapping: POSIX_FADV_DONTNEED
 * (len 0 or the size) makes one purgeable, POSIX_FADV_WILLNEED needed again
 * (0: retained); contents written earlier through a mapping since removed
 * survive. A never mapped object left purgeable is purged by the shrinker,
 * after which WILLNEED fails with EFAULT and a new mapping raises SIGBUS.
 */
TEST_F(madvise, fadvise_unmapped_dontneed_willneed)
{
	const uint32_t seed = 0x10000000;
	struct drmtest_bo written;
	char *p;

	/* self->bo is never mapped before the purge. */
	ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_DONTNEED,
		    "never mapped BO");
	ASSERT_FADV(0, self->fd, self->bo.offset, self->size, POSIX_FADV_WILLNEED,
		    "never mapped BO");
	ASSERT_FADV(0, self->fd, self->bo.offset, self->size, POSIX_FADV_DONTNEED,
		    "never mapped BO");

	create_bo(_metadata, self->fd, &written);
	fill_bo(_metadata, &written, seed);
	ASSERT_FADV(0, self->fd, written.offset, 0, POSIX_FADV_DONTNEED,
		    "unmapped BO with data");
	ASSERT_FADV(0, self->fd, written.offset, 0, POSIX_FADV_WILLNEED,
		    "unmapped BO with data");
	assert_bo_pattern(_metadata, &written, seed,
			  "BO after fadvise DONTNEED + WILLNEED");

	SHRINK_ALL_OR_SKIP();
	ASSERT_FADV(EFAULT, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "never mapped purgeable BO after the shrinker ran");
	ASSERT_FADV(0, self->fd, written.offset, 0, POSIX_FADV_WILLNEED,
		    "needed BO after the shrinker ran");
	assert_bo_pattern(_metadata, &written, seed,
			  "needed BO after the shrinker ran");
	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	assert_sigbus(_metadata, p, 0, 0, "mapping of a BO purged by the shrinker");
	ASSERT_EQ(0, munmap(p, self->size));
	ASSERT_EQ(0, drmtest_bo_destroy(&written));
}

/*
 * posix_fadvise() must name exactly one object: its mmap offset and its size
 * (or 0); anything else fails with EINVAL and changes nothing: an offset a
 * page in, unaligned, 0, negative, a length too big or too small, or one
 * covering two objects.
 */
TEST_F(madvise, fadvise_bad_range_einval)
{
	static const int advice[] = { POSIX_FADV_DONTNEED, POSIX_FADV_WILLNEED };
	const uint32_t seed = 0x11000000;
	const uint64_t off = self->bo.offset, size = self->size;
	const uint64_t ps = self->page_size;
	struct drmtest_bo next;
	unsigned int i;

	fill_bo(_metadata, &self->bo, seed);
	create_bo(_metadata, self->fd, &next);

	for (i = 0; i < ARRAY_SIZE(advice); i++) {
		int fd = self->fd, a = advice[i];

		ASSERT_FADV(EINVAL, fd, off + ps, 0, a, "offset a page in");
		ASSERT_FADV(EINVAL, fd, off + ps, size - ps, a,
			    "offset a page in, up to the end");
		ASSERT_FADV(EINVAL, fd, off - ps, 0, a, "offset a page before");
		ASSERT_FADV(EINVAL, fd, off + 1, 0, a, "unaligned offset");
		ASSERT_FADV(EINVAL, fd, 0, 0, a, "offset 0");
		ASSERT_FADV(EINVAL, fd, (uint64_t)-ps, 0, a, "negative offset");
		ASSERT_FADV(EINVAL, fd, off, size + ps, a, "a page too long");
		ASSERT_FADV(EINVAL, fd, off, size - ps, a, "a page too short");
		ASSERT_FADV(EINVAL, fd, off, 1, a, "one byte");
		ASSERT_FADV(EINVAL, fd, off, (uint64_t)-ps, a, "negative length");
		ASSERT_FADV(EINVAL, fd, off, size + next.size, a,
			    "length of two BOs");
		ASSERT_FADV(EINVAL, fd, next.offset, size + next.size, a,
			    "length of two BOs, from the second");
	}

	/* Nothing changed: the BO is still needed and holds its data. */
	ASSERT_FADV(0, self->fd, off, 0, POSIX_FADV_WILLNEED, "BO after refused fadvise");
	if (try_shrink_all(_metadata))
		ASSERT_FADV(0, self->fd, off, 0, POSIX_FADV_WILLNEED,
			    "BO after refused fadvise and the shrinker");
	assert_bo_pattern(_metadata, &self->bo, seed, "BO after refused fadvise");
	ASSERT_EQ(0, drmtest_bo_destroy(&next));
}

/*
 * POSIX_FADV_DONTNEED on an exported object fails with EBUSY, through the
 * exporter's file and an importer's, and changes nothing; WILLNEED is fine.
 */
TEST_F(madvise, fadvise_exported_ebusy)
{
	const uint32_t seed = 0x12000000;
	struct drmtest_bo imp;
	int fd2, dmabuf;

	fill_bo(_metadata, &self->bo, seed);
	fd2 = drmtest_reopen(self->fd, O_RDWR);
	ASSERT_LE(0, fd2) TH_LOG("opening the device again: %s", strerror(errno));
	import_bo(_metadata, &self->bo, fd2, &imp, &dmabuf);

	ASSERT_FADV(EBUSY, self->fd, self->bo.offset, 0, POSIX_FADV_DONTNEED,
		    "exported BO, exporter's file");
	ASSERT_FADV(EBUSY, self->fd, self->bo.offset, self->size,
		    POSIX_FADV_DONTNEED, "exported BO, exporter's file");
	ASSERT_FADV(EBUSY, fd2, imp.offset, 0, POSIX_FADV_DONTNEED,
		    "exported BO, importer's file");
	ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "exported BO, exporter's file");
	ASSERT_FADV(0, fd2, imp.offset, 0, POSIX_FADV_WILLNEED,
		    "exported BO, importer's file");
	if (try_shrink_all(_metadata))
		ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
			    "exported BO after the shrinker ran");
	assert_bo_pattern(_metadata, &self->bo, seed,
			  "exported BO after refused fadvise");
	close(dmabuf);
	close(fd2);
}

/*
 * posix_fadvise() on a purged object: WILLNEED fails with EFAULT, every time;
 * DONTNEED is accepted and leaves it purged.
 */
TEST_F(madvise, fadvise_after_purge_efault)
{
	const uint32_t seed = 0x13000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_REMOVE, "MADV_REMOVE");
	ASSERT_EQ(0, munmap(p, self->size));

	ASSERT_FADV(EFAULT, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "purged BO");
	ASSERT_FADV(EFAULT, self->fd, self->bo.offset, self->size,
		    POSIX_FADV_WILLNEED, "purged BO, again");
	ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_DONTNEED,
		    "purged BO");
	ASSERT_FADV(EFAULT, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "purged BO after DONTNEED");

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED,
		    "new mapping of a BO purged, then fadvised");
	assert_sigbus(_metadata, p, 0, seed, "new mapping of a purged BO");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * POSIX_FADV_DONTNEED needs a DRM file opened for writing: EACCES on an
 * O_RDONLY one, even for its own objects, while WILLNEED works there; such
 * a file can only map objects read-only, where MADV_FREE gives EACCES too.
 */
TEST_F(madvise, fadvise_readonly_file_eacces)
{
	struct drmtest_bo robo;
	int fdro;
	char *p;

	fdro = drmtest_reopen(self->fd, O_RDONLY);
	ASSERT_LE(0, fdro) TH_LOG("opening the device read-only: %s",
				  strerror(errno));
	create_bo(_metadata, fdro, &robo);

	ASSERT_FADV(EACCES, fdro, robo.offset, 0, POSIX_FADV_DONTNEED,
		    "O_RDONLY DRM file");
	ASSERT_FADV(EACCES, fdro, robo.offset, robo.size, POSIX_FADV_DONTNEED,
		    "O_RDONLY DRM file");
	ASSERT_FADV(0, fdro, robo.offset, 0, POSIX_FADV_WILLNEED,
		    "O_RDONLY DRM file");

	p = drmtest_bo_mmap(&robo, NULL, robo.size, RW, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p) TH_LOG("writable mapping through an O_RDONLY file");
	p = map_bo(_metadata, &robo, NULL, PROT_READ, MAP_SHARED);
	ASSERT_MADV(EACCES, p, robo.size, MADV_FREE, "mapping of an O_RDONLY file");
	ASSERT_MADV(EACCES, p, robo.size, MADV_REMOVE, "mapping of an O_RDONLY file");
	ASSERT_MADV(0, p, robo.size, MADV_WILLNEED, "mapping of an O_RDONLY file");
	ASSERT_EQ(0, munmap(p, robo.size));

	if (try_shrink_all(_metadata))
		ASSERT_FADV(0, fdro, robo.offset, 0, POSIX_FADV_WILLNEED,
			    "BO of the O_RDONLY file after the shrinker ran");
	ASSERT_EQ(0, drmtest_bo_destroy(&robo));
	close(fdro);
}

/*
 * Only objects the calling DRM file may map are reachable: another file of
 * the same device gets EACCES for both advices until it has a handle.
 */
TEST_F(madvise, fadvise_other_file_eacces)
{
	const uint32_t seed = 0x14000000;
	struct drmtest_bo imp;
	int fd2, dmabuf;
	char *p;

	fill_bo(_metadata, &self->bo, seed);
	fd2 = drmtest_reopen(self->fd, O_RDWR);
	ASSERT_LE(0, fd2) TH_LOG("opening the device again: %s", strerror(errno));

	ASSERT_FADV(EACCES, fd2, self->bo.offset, 0, POSIX_FADV_DONTNEED,
		    "another file's BO");
	ASSERT_FADV(EACCES, fd2, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "another file's BO");
	p = mmap(NULL, self->size, RW, MAP_SHARED, fd2, (off_t)self->bo.offset);
	ASSERT_EQ(MAP_FAILED, p) TH_LOG("mapped another file's BO");
	ASSERT_EQ(EACCES, errno);

	/* Still needed: the refused DONTNEED changed nothing. */
	if (try_shrink_all(_metadata))
		ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
			    "BO after the other file's refused DONTNEED");

	/* With a handle (imported: shared, so not purgeable), reachable. */
	import_bo(_metadata, &self->bo, fd2, &imp, &dmabuf);
	ASSERT_FADV(0, fd2, imp.offset, 0, POSIX_FADV_WILLNEED,
		    "imported BO, importer's file");
	ASSERT_FADV(EBUSY, fd2, imp.offset, 0, POSIX_FADV_DONTNEED,
		    "imported BO, importer's file");
	assert_bo_pattern(_metadata, &self->bo, seed,
			  "BO after the other file's advice");
	close(dmabuf);
	close(fd2);
}

/*
 * Other posix_fadvise() advice is accepted and ignored, as on any file
 * without a page cache: it does not make an object purgeable.
 */
TEST_F(madvise, fadvise_other_advice_ignored)
{
	static const int advice[] = {
		POSIX_FADV_NORMAL, POSIX_FADV_RANDOM,
		POSIX_FADV_SEQUENTIAL, POSIX_FADV_NOREUSE,
	};
	const uint32_t seed = 0x15000000;
	unsigned int i;

	fill_bo(_metadata, &self->bo, seed);
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		ASSERT_FADV(0, self->fd, self->bo.offset, 0, advice[i], "BO");
	SHRINK_ALL_OR_SKIP();
	ASSERT_FADV(0, self->fd, self->bo.offset, 0, POSIX_FADV_WILLNEED,
		    "BO after other advice and the shrinker");
	assert_bo_pattern(_metadata, &self->bo, seed,
			  "BO after other advice and the shrinker");
}

/*
 * Writing to a purgeable object does not make it needed again (unlike
 * MADV_FREE on anonymous memory, whose pages a write keeps): writes through
 * the mapping, with or without faults, succeed and MADV_WILLNEED then
 * returns 0 with the new contents; from then on the shrinker leaves it alone.
 */
TEST_F(madvise, free_then_write_then_willneed)
{
	const uint32_t seed = 0x16000000, seed2 = 0x16800000;
	long faults;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "BO with data");

	/* Mapped pages: no fault. */
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_RMW);
	ASSERT_EQ(0, faults)
		TH_LOG("touching a purgeable BO's mapped pages cost %ld faults", faults);
	drmtest_fill_pattern(p, 0, self->npages, seed2);
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "BO written after MADV_FREE");
	assert_pattern(_metadata, p, 0, self->npages, seed2,
		       "BO written after MADV_FREE, then MADV_WILLNEED");

	/* Zapped pages: faults map a purgeable object's pages. */
	ASSERT_MADV(0, p, self->size, MADV_FREE, "BO, second time");
	ASSERT_MADV(0, p, self->size, MADV_DONTNEED, "purgeable BO");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_RMW);
	ASSERT_EQ(self->npages, faults)
		TH_LOG("touching a purgeable BO's zapped pages cost %ld faults, expected %ld",
		       faults, self->npages);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED, "BO faulted in after MADV_FREE");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "BO faulted in and written after MADV_FREE, then MADV_WILLNEED");

	SHRINK_ALL_OR_SKIP();
	ASSERT_MADV(0, p, self->size, MADV_WILLNEED,
		    "needed again BO after the shrinker ran");
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "needed again BO after the shrinker ran");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * ... and, until MADV_WILLNEED, the shrinker may purge it, written or not:
 * MADV_WILLNEED then fails with EFAULT and accesses raise SIGBUS.
 */
TEST_F(madvise, free_then_write_still_purgeable)
{
	const uint32_t seed = 0x17000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "empty BO");
	drmtest_fill_pattern(p, 0, self->npages, seed);
	SHRINK_ALL_OR_SKIP();
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED,
		    "BO written after MADV_FREE, after the shrinker ran");
	assert_bo_sigbus(_metadata, p, self->npages, seed,
			 "BO written after MADV_FREE, purged by the shrinker");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * process_madvise(MADV_WILLNEED) from another process (root, CAP_SYS_NICE)
 * is accepted and changes nothing: the object stays purgeable, and the
 * shrinker purges it.
 */
TEST_F(madvise, process_madvise_willneed_ignored)
{
	char *p;
	int status;
	pid_t pid;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_MADV(0, p, self->size, MADV_FREE, "before process_madvise()");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct iovec iov = { .iov_base = p, .iov_len = self->size };
		int pidfd = syscall(SYS_pidfd_open, getppid(), 0);

		if (pidfd < 0)
			_exit(100);
		_exit(syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_WILLNEED, 0) ==
		      (long)self->size ? 0 : errno);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("process_madvise(MADV_WILLNEED): %s",
		       drmtest_errno_name(WEXITSTATUS(status)));
	SHRINK_ALL_OR_SKIP();
	ASSERT_MADV(EFAULT, p, self->size, MADV_WILLNEED,
		    "purgeable BO after a remote MADV_WILLNEED and the shrinker");
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * The shrinker purges exactly the purgeable objects: of a purgeable, a
 * needed, a purgeable-then-needed-again and a MADV_DONTNEED'd one, only the
 * first is gone (WILLNEED: EFAULT, accesses SIGBUS), the others keep every
 * byte. (vc4_purgeable_bo mark-purgeable + forced purge.)
 */
TEST_F(madvise, shrinker_purges_only_purgeable)
{
	enum { PURGEABLE, NEEDED, NEEDED_AGAIN, DONTNEED, NR };
	static const char *const names[NR] = {
		"purgeable", "needed", "purgeable then needed again",
		"MADV_DONTNEED'd",
	};
	struct drmtest_bo bo[NR];
	char *p[NR];
	int i;

	bo[0] = self->bo;
	for (i = 1; i < NR; i++)
		create_bo(_metadata, self->fd, &bo[i]);
	for (i = 0; i < NR; i++) {
		p[i] = map_bo(_metadata, &bo[i], NULL, RW, MAP_SHARED);
		drmtest_fill_pattern(p[i], 0, self->npages, 0x18000000 + i);
	}
	ASSERT_MADV(0, p[PURGEABLE], self->size, MADV_FREE, names[PURGEABLE]);
	ASSERT_MADV(0, p[NEEDED_AGAIN], self->size, MADV_FREE, names[NEEDED_AGAIN]);
	ASSERT_MADV(0, p[NEEDED_AGAIN], self->size, MADV_WILLNEED, names[NEEDED_AGAIN]);
	ASSERT_MADV(0, p[DONTNEED], self->size, MADV_DONTNEED, names[DONTNEED]);

	SHRINK_ALL_OR_SKIP();

	ASSERT_MADV(EFAULT, p[PURGEABLE], self->size, MADV_WILLNEED,
		    "purgeable BO after the shrinker ran");
	assert_bo_sigbus(_metadata, p[PURGEABLE], self->npages, 0x18000000,
			 "purgeable BO after the shrinker ran");
	for (i = NEEDED; i < NR; i++) {
		ASSERT_MADV(0, p[i], self->size, MADV_WILLNEED, names[i]);
		assert_pattern(_metadata, p[i], 0, self->npages, 0x18000000 + i,
			       names[i]);
	}
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, munmap(p[i], self->size));
	for (i = 1; i < NR; i++)
		ASSERT_EQ(0, drmtest_bo_destroy(&bo[i]));
}

/* Exit codes of pressure_child(). */
enum {
	PRESSURE_PURGED,	/* saw a purgeable BO purged */
	PRESSURE_NO_MEMORY,	/* mmap failed before any purge */
	PRESSURE_ALL_MEMORY,	/* allocated MemTotal without a purge */
	PRESSURE_TIMEOUT,	/* time bound hit without a purge */
	PRESSURE_PROBE_ERROR,	/* the purge probe failed unexpectedly */
};

/*
 * Child of pressure_purges_only_purgeable: the first candidate for the OOM
 * killer, allocates and populates anonymous memory until one of the
 * purgeable BOs is purged, up to MemTotal and @msec. A purged BO is noticed
 * with MADV_POPULATE_READ on its mapping (EFAULT), which leaves retained
 * ones purgeable.
 */
static int pressure_child(char *const *maps, unsigned int nmaps, size_t size,
			  long msec)
{
	const unsigned long total = (unsigned long)sysconf(_SC_PHYS_PAGES) *
				    drmtest_page_size();
	unsigned long allocated = 0;
	struct timespec start;
	unsigned int i;
	int err;

	err = drmtest_set_oom_score_adj(1000);
	if (err)
		fprintf(stderr, "# child: oom_score_adj: %s\n", strerror(err));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		char *m;

		for (i = 0; i < nmaps; i++) {
			err = drmtest_madvise(maps[i], size, MADV_POPULATE_READ);

			if (err == EFAULT) {
				fprintf(stderr, "# child: purge after %lu of %lu MiB, %ld ms\n",
					allocated >> 20, total >> 20,
					drmtest_elapsed_msec(&start));
				return PRESSURE_PURGED;
			}
			if (err) {
				fprintf(stderr, "# child: MADV_POPULATE_READ: %s\n",
					strerror(err));
				return PRESSURE_PROBE_ERROR;
			}
		}
		if (allocated >= total) {
			fprintf(stderr, "# child: allocated %lu MiB, no purge\n",
				allocated >> 20);
			return PRESSURE_ALL_MEMORY;
		}
		if (drmtest_elapsed_msec(&start) > msec) {
			fprintf(stderr, "# child: %lu MiB in %ld ms, no purge\n",
				allocated >> 20, drmtest_elapsed_msec(&start));
			return PRESSURE_TIMEOUT;
		}
		m = mmap(NULL, PRESSURE_CHUNK, RW,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (m == MAP_FAILED) {
			fprintf(stderr, "# child: mmap after %lu MiB: %s\n",
				allocated >> 20, strerror(errno));
			return PRESSURE_NO_MEMORY;
		}
		allocated += PRESSURE_CHUNK;
	}
}

/*
 * Real memory pressure: 64 BOs of 1 MiB, every other one purgeable, all
 * holding data; a child allocates anonymous memory until the shrinker purges
 * (it may get OOM-killed, the parent must not). Every needed BO keeps every
 * byte and stays needed; at least one purgeable BO is purged (WILLNEED:
 * EFAULT, accesses SIGBUS); purgeable ones that were not keep their data.
 */
TEST_F_TIMEOUT(madvise, pressure_purges_only_purgeable, 150)
{
	static const char *const codes[] = {
		[PRESSURE_PURGED] = "saw a purge",
		[PRESSURE_NO_MEMORY] = "mmap failed before any purge",
		[PRESSURE_ALL_MEMORY] = "allocated MemTotal without a purge",
		[PRESSURE_TIMEOUT] = "hit the time bound without a purge",
		[PRESSURE_PROBE_ERROR] = "the purge probe failed",
	};
	struct drmtest_bo bo[PRESSURE_BOS];
	char *p[PRESSURE_BOS], *purgeable[PRESSURE_BOS / 2];
	unsigned int i, purged = 0, first_purged = PRESSURE_BOS;
	struct timespec start;
	int status, code;
	pid_t pid;

	for (i = 0; i < PRESSURE_BOS; i++) {
		create_bo(_metadata, self->fd, &bo[i]);
		p[i] = map_bo(_metadata, &bo[i], NULL, RW, MAP_SHARED);
		drmtest_fill_pattern(p[i], 0, bo[i].size / self->page_size,
				     0x19000000 + (i << 20));
		if (i % 2 == 0) {
			ASSERT_MADV(0, p[i], bo[i].size, MADV_FREE,
				    "purgeable half of the BOs");
			purgeable[i / 2] = p[i];
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(pressure_child(purgeable, PRESSURE_BOS / 2, bo[0].size,
				     PRESSURE_MSEC));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	TH_LOG("memory hog %s after %ld ms",
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
	       code >= 0 && code < (int)ARRAY_SIZE(codes) ? codes[code] :
	       "exited", drmtest_elapsed_msec(&start));

	/* Needed BOs: still needed, every byte there. */
	for (i = 1; i < PRESSURE_BOS; i += 2) {
		int err = drmtest_madvise(p[i], bo[i].size, MADV_WILLNEED);

		ASSERT_EQ(0, err)
			TH_LOG("needed BO %u: MADV_WILLNEED returned %s after pressure: purged?",
			       i, strerror(err));
		assert_pattern(_metadata, p[i], 0, bo[i].size / self->page_size,
			       0x19000000 + (i << 20),
			       "needed BO after memory pressure");
	}
	/* Purgeable BOs: purged, or intact. */
	for (i = 0; i < PRESSURE_BOS; i += 2) {
		int err = drmtest_madvise(p[i], bo[i].size, MADV_WILLNEED);

		ASSERT_TRUE(err == 0 || err == EFAULT)
			TH_LOG("purgeable BO %u: MADV_WILLNEED returned %s",
			       i, strerror(err));
		if (err == EFAULT) {
			purged++;
			if (first_purged == PRESSURE_BOS)
				first_purged = i;
			continue;
		}
		assert_pattern(_metadata, p[i], 0, bo[i].size / self->page_size,
			       0x19000000 + (i << 20),
			       "purgeable BO that was not purged");
	}
	TH_LOG("%u of %u purgeable BOs purged", purged, PRESSURE_BOS / 2);
	ASSERT_GT(purged, 0U)
		TH_LOG("no purgeable BO was purged under memory pressure (memory hog: %s)",
		       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
		       code >= 0 && code < (int)ARRAY_SIZE(codes) ? codes[code] :
		       "exited");
	assert_bo_sigbus(_metadata, p[first_purged], bo[first_purged].size /
			 self->page_size, 0x19000000 + (first_purged << 20),
			 "BO purged under memory pressure");

	for (i = 0; i < PRESSURE_BOS; i++) {
		ASSERT_EQ(0, munmap(p[i], bo[i].size));
		ASSERT_EQ(0, drmtest_bo_destroy(&bo[i]));
	}
}

/* TEST() passes a variant argument that tests without a fixture ignore. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* vgem advertises both populate and purgeable objects, and nothing else. */
TEST(cap_vgem_reports_purgeable)
{
	uint64_t v = 0;
	int fd;

	fd = drmtest_open_driver("vgem");
	if (fd < 0)
		SKIP(return, "no vgem device");
	ASSERT_EQ(0, drmGetCap(fd, DRM_CAP_GEM_MMAP_ADVICE, &v))
		TH_LOG("DRM_CAP_GEM_MMAP_ADVICE: %s", strerror(errno));
	ASSERT_EQ((uint64_t)(DRM_GEM_MMAP_ADVICE_POPULATE | DRM_GEM_MMAP_ADVICE_PURGEABLE), v)
		TH_LOG("vgem's DRM_CAP_GEM_MMAP_ADVICE is %#llx, expected POPULATE | PURGEABLE",
		       (unsigned long long)v);
	close(fd);
}

/*
 * A driver without purgeable objects: the cap has POPULATE but not
 * PURGEABLE, MADV_FREE/MADV_REMOVE on a whole mapping fail with EOPNOTSUPP
 * (drm_gem_object_advise() without an advise callback) and change nothing;
 * WILLNEED (always needed) and MADV_DONTNEED work; posix_fadvise() returns 0
 * and changes nothing, as on 6.12.
 */
static void assert_no_purgeable(struct __test_metadata *_metadata,
				const char *driver)
{
	const uint32_t seed = 0x1a000000;
	struct drmtest_bo bo;
	uint64_t v = 0;
	size_t npages;
	int fd, ret;
	char *p;

	fd = drmtest_open_driver(driver);
	if (fd < 0)
		SKIP(return, "no %s device", driver);
	ASSERT_EQ(0, drmGetCap(fd, DRM_CAP_GEM_MMAP_ADVICE, &v))
		TH_LOG("DRM_CAP_GEM_MMAP_ADVICE: %s", strerror(errno));
	ASSERT_TRUE((v & DRM_GEM_MMAP_ADVICE_POPULATE) != 0)
		TH_LOG("%s: DRM_CAP_GEM_MMAP_ADVICE %#llx lacks POPULATE",
		       driver, (unsigned long long)v);
	ASSERT_FALSE((v & DRM_GEM_MMAP_ADVICE_PURGEABLE) != 0)
		TH_LOG("%s: DRM_CAP_GEM_MMAP_ADVICE %#llx has PURGEABLE",
		       driver, (unsigned long long)v);

	ret = drmtest_bo_create(fd, BO_SIZE, &bo);
	ASSERT_EQ(0, ret) TH_LOG("creating a %s dumb buffer: %s", driver,
				 strerror(-ret));
	npages = bo.size / drmtest_page_size();
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, npages, seed);

	ASSERT_MADV(EOPNOTSUPP, p, bo.size, MADV_FREE, driver);
	ASSERT_MADV(EOPNOTSUPP, p, bo.size, MADV_REMOVE, driver);
	ASSERT_MADV(0, p, bo.size, MADV_WILLNEED, driver);
	ASSERT_MADV(0, p, bo.size, MADV_DONTNEED, driver);
	ASSERT_FADV(0, fd, bo.offset, 0, POSIX_FADV_DONTNEED, driver);
	ASSERT_FADV(0, fd, bo.offset, 0, POSIX_FADV_WILLNEED, driver);
	assert_pattern(_metadata, p, 0, npages, seed,
		       "BO after refused purgeable advice");
	/* Still mapped, no handle left: fadvise still ignores the advice. */
	ASSERT_EQ(0, drmtest_bo_destroy(&bo));
	ASSERT_FADV(0, fd, bo.offset, 0, POSIX_FADV_DONTNEED, driver);
	ASSERT_FADV(0, fd, bo.offset, 0, POSIX_FADV_WILLNEED, driver);
	assert_pattern(_metadata, p, 0, npages, seed, "BO mapped without a handle");
	ASSERT_EQ(0, munmap(p, bo.size));
	close(fd);
}

/* virtio-gpu (shmem helpers, no advise callback) has no purgeable objects. */
TEST(cap_absent_on_virtio_gpu)
{
	assert_no_purgeable(_metadata, "virtio_gpu");
}

/* Nor has bochs (TTM, VM_IO mappings). */
TEST(cap_absent_on_bochs)
{
	assert_no_purgeable(_metadata, "bochs-drm");
}

#pragma GCC diagnostic pop

TEST_HARNESS_MAIN
