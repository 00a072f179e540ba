// SPDX-License-Identifier: GPL-2.0
/*
 * gem_bad_input: what the standard memory-management calls on DRM GEM mmaps
 * (madvise(), mmap(), mprotect(), posix_fadvise() on the DRM file) return
 * for bad input, and that a refused call changes nothing.
 *
 * Every subtest checks one row (or a small group of rows) of the bad-input
 * table in Documentation/gpu/drm-mm.rst. "Nothing changed" means: after every
 * shrinker has run (/proc/sys/vm/drop_caches, which purges exactly the
 * purgeable vgem objects), POSIX_FADV_WILLNEED on the object still returns 0
 * (it was neither purged nor left purgeable) and its data pattern is intact.
 * "The object got the advice" means the same WILLNEED returns EFAULT.
 *
 * Most subtests run on vgem (purgeable objects) and SKIP without it; the last
 * one runs on virtio_gpu, a populate-only driver, and SKIPs without it.
 * posix_fadvise() returns the error number instead of setting errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drmtest.h"
#include "drmtest_harness.h"

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif

/* 64 pages: small enough for a TCG guest, more than one page of everything. */
#define BO_SIZE		(64 * 4096)
#define RW		(PROT_READ | PROT_WRITE)
/* Address space reserved behind an object for the "unmapped hole" rows. */
#define HOLE_SIZE	(16UL << 20)

static const int all_advice[] = {
	MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_FREE,
	MADV_WILLNEED, MADV_REMOVE, MADV_DONTNEED,
};
#define NADVICE		((int)ARRAY_SIZE(all_advice))

FIXTURE(bad) {
	int fd;
	size_t ps;
};

FIXTURE_SETUP(bad)
{
	self->ps = drmtest_page_size();
	OPEN_PURGEABLE_OR_SKIP(self->fd, "vgem");
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
}

static bool purge_advice(int advice)
{
	return advice == MADV_FREE || advice == MADV_REMOVE;
}

/* mmap() (or any call returning MAP_FAILED / -1 with errno) must fail with @expect. */
#define CHECK_MMAP_FAILS(expect, call, what) do { \
	void *__p = (call); \
	int __e = __p == MAP_FAILED ? errno : 0; \
	EXPECT_EQ((expect), __e) \
		TH_LOG("%s returned %s, expected %s", (what), \
		       drmtest_errno_name(__e), drmtest_errno_name(expect)); \
	if (__p != MAP_FAILED) \
		munmap(__p, BO_SIZE); \
} while (0)

static uint32_t seed_of(const struct drmtest_bo *bo)
{
	return 0x5eed0000u ^ bo->handle;
}

/* A new BO on @fd holding its data pattern. */
static void new_bo(struct __test_metadata *_metadata, int fd,
		   struct drmtest_bo *bo)
{
	int ret = drmtest_bo_create(fd, BO_SIZE, bo);
	char *p;

	ASSERT_EQ(0, ret) TH_LOG("creating a dumb buffer: %s", strerror(-ret));
	ASSERT_EQ(0ULL, bo->size % drmtest_page_size());
	p = map_bo(_metadata, bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, bo->size / drmtest_page_size(), seed_of(bo));
	ASSERT_EQ(0, munmap(p, bo->size));
}

/*
 * Nothing changed: after the shrinker ran, @bo is still needed
 * (POSIX_FADV_WILLNEED returns 0, not EFAULT) and holds its pattern.
 */
static void check_unchanged(struct __test_metadata *_metadata,
			    const struct drmtest_bo *bo, const char *what)
{
	int err;
	char *p;

	try_shrink_all(_metadata);
	err = drmtest_fadvise(bo->fd, bo->offset, 0, POSIX_FADV_WILLNEED);
	ASSERT_EQ(0, err) TH_LOG("%s: BO %u is no longer needed: WILLNEED returned %s",
				 what, bo->handle, drmtest_errno_name(err));
	p = map_bo(_metadata, bo, NULL, PROT_READ, MAP_SHARED);
	assert_pattern(_metadata, p, 0, bo->size / drmtest_page_size(),
		       seed_of(bo), what);
	munmap(p, bo->size);
}

/* @bo was purged: POSIX_FADV_WILLNEED returns EFAULT. */
static void check_purged(struct __test_metadata *_metadata,
			 const struct drmtest_bo *bo, const char *what)
{
	EXPECT_FADV(EFAULT, bo->fd, bo->offset, 0, POSIX_FADV_WILLNEED, what);
}

/* @bo was made purgeable: the shrinker purges it. */
static void check_purgeable(struct __test_metadata *_metadata,
			    const struct drmtest_bo *bo, const char *what)
{
	if (!try_shrink_all(_metadata))
		return;
	check_purged(_metadata, bo, what);
}

/* What MADV_FREE / MADV_REMOVE that succeeded did to @bo. */
static void check_got_advice(struct __test_metadata *_metadata,
			     const struct drmtest_bo *bo, int advice,
			     const char *what)
{
	if (advice == MADV_REMOVE)
		check_purged(_metadata, bo, what);
	else if (advice == MADV_FREE)
		check_purgeable(_metadata, bo, what);
	else
		check_unchanged(_metadata, bo, what);
}

/* Reading (or writing) the dword at @p in a child must raise SIGBUS. */
#define CHECK_SIGBUS(p, write, what) do { \
	int __st = drmtest_access_in_child((volatile uint32_t *)(p), (write), 0); \
	char __buf[128]; \
	EXPECT_TRUE(drmtest_is_sigbus(__st)) \
		TH_LOG("%s: a child %s the mapping %s, expected SIGBUS", \
		       (what), (write) ? "writing" : "reading", \
		       drmtest_describe_access(__st, __buf, sizeof(__buf))); \
} while (0)

/*
 * Unaligned start address: every advice fails with EINVAL before reaching
 * the driver; the object is unchanged.
 */
TEST_F(bad, madvise_unaligned_addr)
{
	struct drmtest_bo bo;
	char *p;
	int i;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	for (i = 0; i < NADVICE; i++)
		EXPECT_MADV(EINVAL, p + 1, bo.size - self->ps, all_advice[i],
			    "addr + 1");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after unaligned madvise");
	drmtest_bo_destroy(&bo);
}

/* Length 0: a no-op returning 0 for every advice, FREE/REMOVE included. */
TEST_F(bad, madvise_len_zero)
{
	struct drmtest_bo bo;
	char *p;
	int i;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	for (i = 0; i < NADVICE; i++)
		EXPECT_MADV(0, p, 0, all_advice[i], "len 0");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after len 0 madvise");
	drmtest_bo_destroy(&bo);
}

/*
 * Length 1 (rounded up to one page): not the whole object, so MADV_FREE and
 * MADV_REMOVE fail with EINVAL; populate, WILLNEED and DONTNEED return 0.
 */
TEST_F(bad, madvise_len_one)
{
	struct drmtest_bo bo;
	char *p;
	int i;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	for (i = 0; i < NADVICE; i++)
		EXPECT_MADV(purge_advice(all_advice[i]) ? EINVAL : 0, p, 1,
			    all_advice[i], "len 1");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after len 1 madvise");
	drmtest_bo_destroy(&bo);
}

/* Length that wraps the address space (-4096) or SIZE_MAX: EINVAL. */
TEST_F(bad, madvise_len_wraps)
{
	struct drmtest_bo bo;
	char *p;
	int i;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	for (i = 0; i < NADVICE; i++) {
		EXPECT_MADV(EINVAL, p, (size_t)0 - self->ps, all_advice[i],
			    "len -4096");
		EXPECT_MADV(EINVAL, p, SIZE_MAX, all_advice[i], "len SIZE_MAX");
	}
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after wrapping madvise");
	drmtest_bo_destroy(&bo);
}

/*
 * A range covering the object and an unmapped hole after it: ENOMEM, as for
 * any madvise() over a hole, after the advice was applied to the object
 * (standard madvise behaviour): MADV_FREE left it purgeable, MADV_REMOVE
 * purged it, the other advice left it intact.
 */
TEST_F(bad, madvise_object_plus_hole_enomem)
{
	int i;

	for (i = 0; i < NADVICE; i++) {
		struct drmtest_bo bo;
		char *r, *p;

		new_bo(_metadata, self->fd, &bo);
		r = mmap(NULL, HOLE_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, r);
		p = map_bo(_metadata, &bo, r, RW, MAP_SHARED | MAP_FIXED);
		ASSERT_EQ(0, munmap(r + bo.size, HOLE_SIZE - bo.size));
		EXPECT_MADV(ENOMEM, p, HOLE_SIZE, all_advice[i],
			    "object + unmapped hole");
		munmap(p, bo.size);
		check_got_advice(_metadata, &bo, all_advice[i],
				 "object + hole: the object got the advice");
		drmtest_bo_destroy(&bo);
	}
}

/* Map @a and @b back to back (MAP_FIXED); returns the start. */
static char *map_adjacent(struct __test_metadata *_metadata,
			  const struct drmtest_bo *a,
			  const struct drmtest_bo *b)
{
	char *r = mmap(NULL, a->size + b->size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, r);
	map_bo(_metadata, a, r, RW, MAP_SHARED | MAP_FIXED);
	map_bo(_metadata, b, r + a->size, RW, MAP_SHARED | MAP_FIXED);
	return r;
}

/*
 * Two whole objects mapped back to back, one range over both: every advice
 * returns 0 and both objects get it (two VMAs, each covering its object).
 */
TEST_F(bad, madvise_two_whole_objects)
{
	int i;

	for (i = 0; i < NADVICE; i++) {
		struct drmtest_bo a, b;
		char *r;

		new_bo(_metadata, self->fd, &a);
		new_bo(_metadata, self->fd, &b);
		r = map_adjacent(_metadata, &a, &b);
		ASSERT_NE(NULL, r);
		EXPECT_MADV(0, r, a.size + b.size, all_advice[i],
			    "objects A and B, both whole");
		munmap(r, a.size + b.size);
		if (all_advice[i] == MADV_FREE) {
			if (try_shrink_all(_metadata)) {
				check_purged(_metadata, &a, "A after FREE over A+B");
				check_purged(_metadata, &b, "B after FREE over A+B");
			}
		} else if (all_advice[i] == MADV_REMOVE) {
			check_purged(_metadata, &a, "A after REMOVE over A+B");
			check_purged(_metadata, &b, "B after REMOVE over A+B");
		} else {
			check_unchanged(_metadata, &a, "A");
			check_unchanged(_metadata, &b, "B");
		}
		drmtest_bo_destroy(&a);
		drmtest_bo_destroy(&b);
	}
}

/*
 * Whole A plus the first half of B: MADV_FREE / MADV_REMOVE fail with EINVAL
 * at B, after A, the first VMA, already got the advice; B is unchanged.
 */
TEST_F(bad, madvise_whole_a_half_b_einval)
{
	static const int advice[] = { MADV_FREE, MADV_REMOVE };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(advice); i++) {
		struct drmtest_bo a, b;
		char *r;

		new_bo(_metadata, self->fd, &a);
		new_bo(_metadata, self->fd, &b);
		r = map_adjacent(_metadata, &a, &b);
		ASSERT_NE(NULL, r);
		EXPECT_MADV(EINVAL, r, a.size + b.size / 2, advice[i],
			    "whole A + first half of B");
		munmap(r, a.size + b.size);
		/* check_unchanged() runs the shrinker first: A is purged if purgeable. */
		check_unchanged(_metadata, &b, "B after whole A + half B");
		if (advice[i] == MADV_REMOVE || !drmtest_shrink_all())
			check_purged(_metadata, &a, "A after whole A + half B");
		drmtest_bo_destroy(&a);
		drmtest_bo_destroy(&b);
	}
}

/*
 * Part of an object (its first half, or all but its first page): MADV_FREE
 * and MADV_REMOVE need the whole object, EINVAL; populate, WILLNEED and
 * DONTNEED return 0. The object is unchanged.
 */
TEST_F(bad, madvise_partial_object)
{
	struct drmtest_bo bo;
	char *p;
	int i;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	for (i = 0; i < NADVICE; i++) {
		int expect = purge_advice(all_advice[i]) ? EINVAL : 0;

		EXPECT_MADV(expect, p, bo.size / 2, all_advice[i],
			    "first half of the object");
		EXPECT_MADV(expect, p + self->ps, bo.size - self->ps,
			    all_advice[i], "object minus its first page");
	}
	assert_pattern(_metadata, p, 0, bo.size / self->ps, seed_of(&bo),
		       "through the mapping advised");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after partial madvise");
	drmtest_bo_destroy(&bo);
}

/*
 * The whole object, but split in two VMAs by an mprotect() round trip
 * (GEM mmaps are VM_PFNMAP, never merged again): each VMA covers only part
 * of the object, so MADV_FREE / MADV_REMOVE fail with EINVAL.
 */
TEST_F(bad, madvise_split_vmas_einval)
{
	static const int advice[] = { MADV_FREE, MADV_REMOVE };
	struct drmtest_bo bo;
	unsigned int i;
	char *p;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, mprotect(p + bo.size / 2, bo.size / 2, PROT_READ));
	ASSERT_EQ(0, mprotect(p + bo.size / 2, bo.size / 2, RW));
	for (i = 0; i < ARRAY_SIZE(advice); i++)
		EXPECT_MADV(EINVAL, p, bo.size, advice[i],
			    "whole object in 2 VMAs");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after madvise over 2 VMAs");
	drmtest_bo_destroy(&bo);
}

/*
 * A mapping whose first page was unmapped: all of what is left is not the
 * whole object, MADV_FREE fails with EINVAL.
 */
TEST_F(bad, madvise_missing_head_einval)
{
	struct drmtest_bo bo;
	char *p;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, munmap(p, self->ps));
	EXPECT_MADV(EINVAL, p + self->ps, bo.size - self->ps, MADV_FREE,
		    "mapping missing its first page");
	munmap(p + self->ps, bo.size - self->ps);
	check_unchanged(_metadata, &bo, "after madvise of a headless mapping");
	drmtest_bo_destroy(&bo);
}

/*
 * PROT_NONE mapping of the whole object: MADV_POPULATE_* EINVAL (mm: no
 * access), MADV_FREE / MADV_REMOVE EACCES (not writable), WILLNEED and
 * DONTNEED 0. PROT_READ: MADV_POPULATE_WRITE EINVAL, FREE / REMOVE EACCES,
 * POPULATE_READ, WILLNEED and DONTNEED 0.
 */
TEST_F(bad, madvise_prot_none_and_read)
{
	static const int expect_none[] = { EINVAL, EINVAL, EACCES, 0, EACCES, 0 };
	static const int expect_read[] = { 0, EINVAL, EACCES, 0, EACCES, 0 };
	struct drmtest_bo bo;
	char *p;
	int i;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, PROT_NONE, MAP_SHARED);
	for (i = 0; i < NADVICE; i++)
		EXPECT_MADV(expect_none[i], p, bo.size, all_advice[i], "PROT_NONE");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after PROT_NONE madvise");

	p = map_bo(_metadata, &bo, NULL, PROT_READ, MAP_SHARED);
	for (i = 0; i < NADVICE; i++)
		EXPECT_MADV(expect_read[i], p, bo.size, all_advice[i], "PROT_READ");
	assert_pattern(_metadata, p, 0, bo.size / self->ps, seed_of(&bo),
		       "through the PROT_READ mapping");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after PROT_READ madvise");
	drmtest_bo_destroy(&bo);
}

/*
 * A DRM file opened O_RDONLY, with its own unshared object: mmap(PROT_WRITE)
 * EACCES, mprotect() of a read-only mapping to RW EACCES, MADV_FREE EACCES,
 * POSIX_FADV_DONTNEED EACCES; reading, POPULATE_READ and WILLNEED work.
 */
TEST_F(bad, readonly_file_eacces)
{
	struct drmtest_bo bo;
	int rfd, ret;
	char *p;

	rfd = drmtest_reopen(self->fd, O_RDONLY);
	ASSERT_LE(0, rfd) TH_LOG("reopening O_RDONLY: %s", strerror(errno));
	ret = drmtest_bo_create(rfd, BO_SIZE, &bo);
	ASSERT_EQ(0, ret) TH_LOG("dumb buffer on an O_RDONLY DRM fd: %s",
				 strerror(-ret));

	CHECK_MMAP_FAILS(EACCES, drmtest_bo_mmap(&bo, NULL, bo.size, RW, MAP_SHARED),
			 "mmap(PROT_WRITE) on an O_RDONLY DRM fd");
	p = map_bo(_metadata, &bo, NULL, PROT_READ, MAP_SHARED);
	ret = mprotect(p, bo.size, RW) ? errno : 0;
	EXPECT_EQ(EACCES, ret) TH_LOG("mprotect(RW) returned %s", drmtest_errno_name(ret));
	EXPECT_MADV(EACCES, p, bo.size, MADV_FREE, "O_RDONLY DRM fd");
	EXPECT_MADV(EACCES, p, bo.size, MADV_REMOVE, "O_RDONLY DRM fd");
	EXPECT_MADV(0, p, bo.size, MADV_POPULATE_READ, "O_RDONLY DRM fd");
	EXPECT_FADV(EACCES, rfd, bo.offset, 0, POSIX_FADV_DONTNEED,
		    "O_RDONLY DRM fd");
	/* Still needed (a fresh dumb buffer reads as zeroes). */
	try_shrink_all(_metadata);
	EXPECT_FADV(0, rfd, bo.offset, 0, POSIX_FADV_WILLNEED, "O_RDONLY DRM fd");
	EXPECT_EQ(0, p[0] | p[bo.size - 1]);
	munmap(p, bo.size);
	drmtest_bo_destroy(&bo);
	close(rfd);
}

/*
 * mmap() of a GEM object with bad arguments: MAP_PRIVATE (a COW mapping),
 * a length past the object, length 0, an offset inside the object or not a
 * page multiple, an offset of no object: all EINVAL.
 */
TEST_F(bad, mmap_bad_args_einval)
{
	struct drmtest_bo bo;

	new_bo(_metadata, self->fd, &bo);
	CHECK_MMAP_FAILS(EINVAL, drmtest_bo_mmap(&bo, NULL, bo.size, RW, MAP_PRIVATE),
			 "mmap(MAP_PRIVATE, RW)");
	CHECK_MMAP_FAILS(EINVAL, drmtest_bo_mmap(&bo, NULL, bo.size, PROT_READ, MAP_PRIVATE),
			 "mmap(MAP_PRIVATE, PROT_READ)");
	CHECK_MMAP_FAILS(EINVAL, drmtest_bo_mmap(&bo, NULL, bo.size + self->ps, RW, MAP_SHARED),
			 "mmap(len size + 4096)");
	CHECK_MMAP_FAILS(EINVAL, drmtest_bo_mmap(&bo, NULL, 0, RW, MAP_SHARED),
			 "mmap(len 0)");
	CHECK_MMAP_FAILS(EINVAL, mmap(NULL, self->ps, RW, MAP_SHARED, self->fd,
				      bo.offset + self->ps),
			 "mmap(offset + 4096)");
	CHECK_MMAP_FAILS(EINVAL, mmap(NULL, self->ps, RW, MAP_SHARED, self->fd,
				      bo.offset + 1),
			 "mmap(offset + 1)");
	CHECK_MMAP_FAILS(EINVAL, mmap(NULL, self->ps, RW, MAP_SHARED, self->fd,
				      (off_t)1 << 40),
			 "mmap(offset of no object)");
	check_unchanged(_metadata, &bo, "after bad mmaps");
	drmtest_bo_destroy(&bo);
}

/*
 * A DRM file without a handle for the object may neither map it nor advise
 * it: mmap() and posix_fadvise() EACCES. The same holds for the file whose
 * handle was closed while a mapping keeps the object alive.
 */
TEST_F(bad, file_without_handle_eacces)
{
	struct drmtest_bo bo, closed;
	int fd2;
	char *p;

	new_bo(_metadata, self->fd, &bo);
	fd2 = drmtest_reopen(self->fd, O_RDWR);
	ASSERT_LE(0, fd2);
	CHECK_MMAP_FAILS(EACCES, mmap(NULL, bo.size, RW, MAP_SHARED, fd2, bo.offset),
			 "mmap(second DRM fd without a handle)");
	EXPECT_FADV(EACCES, fd2, bo.offset, 0, POSIX_FADV_WILLNEED,
		    "second DRM fd without a handle");
	EXPECT_FADV(EACCES, fd2, bo.offset, 0, POSIX_FADV_DONTNEED,
		    "second DRM fd without a handle");
	close(fd2);
	check_unchanged(_metadata, &bo, "after a second file's attempts");
	drmtest_bo_destroy(&bo);

	new_bo(_metadata, self->fd, &closed);
	p = map_bo(_metadata, &closed, NULL, RW, MAP_SHARED);
	bo = closed;
	ASSERT_EQ(0, drmtest_bo_destroy(&closed));
	CHECK_MMAP_FAILS(EACCES, mmap(NULL, bo.size, RW, MAP_SHARED, self->fd, bo.offset),
			 "mmap(closed handle, object alive through a mapping)");
	EXPECT_FADV(EACCES, self->fd, bo.offset, 0, POSIX_FADV_WILLNEED,
		    "closed handle, object alive through a mapping");
	munmap(p, bo.size);
}

/* DRM_IOCTL_MODE_MAP_DUMB and a prime export of a closed handle: ENOENT. */
TEST_F(bad, closed_handle_enoent)
{
	struct drmtest_bo bo;
	struct drm_mode_map_dumb md = {};
	uint32_t handle;
	int dmabuf = -1, ret;

	new_bo(_metadata, self->fd, &bo);
	handle = bo.handle;
	ASSERT_EQ(0, drmtest_bo_destroy(&bo));
	md.handle = handle;
	ret = drmIoctl(self->fd, DRM_IOCTL_MODE_MAP_DUMB, &md) ? errno : 0;
	EXPECT_EQ(ENOENT, ret) TH_LOG("MAP_DUMB(closed handle): %s", drmtest_errno_name(ret));
	ret = drmPrimeHandleToFD(self->fd, handle, DRM_CLOEXEC, &dmabuf) ? errno : 0;
	EXPECT_EQ(ENOENT, ret) TH_LOG("prime export of a closed handle: %s",
				      drmtest_errno_name(ret));
	if (!ret)
		close(dmabuf);
}

/*
 * A mapping that outlived the object's last handle: an object without a
 * handle counts as shared (nobody can tell it was purged, through
 * WILLNEED on a handle), so MADV_FREE / MADV_REMOVE fail with EBUSY;
 * MADV_POPULATE_WRITE and MADV_WILLNEED return 0; the data stays.
 */
TEST_F(bad, madvise_mapping_outlived_handle_ebusy)
{
	struct drmtest_bo bo;
	uint32_t seed;
	char *p;

	new_bo(_metadata, self->fd, &bo);
	seed = seed_of(&bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, drmtest_bo_destroy(&bo));
	EXPECT_MADV(0, p, bo.size, MADV_POPULATE_WRITE, "no handle left");
	EXPECT_MADV(EBUSY, p, bo.size, MADV_FREE, "no handle left");
	EXPECT_MADV(0, p, bo.size, MADV_WILLNEED, "no handle left");
	EXPECT_MADV(EBUSY, p, bo.size, MADV_REMOVE, "no handle left");
	try_shrink_all(_metadata);
	EXPECT_MADV(0, p, bo.size, MADV_WILLNEED, "no handle left, after the shrinker");
	assert_pattern(_metadata, p, 0, bo.size / self->ps, seed,
		       "mapping that outlived its handle");
	munmap(p, bo.size);
}

/*
 * An exported BO whose last handle was closed, advised through a mapping
 * that survived: MADV_FREE / MADV_REMOVE EBUSY, with the dma-buf still open
 * and after it was closed; the data stays.
 */
TEST_F(bad, madvise_exported_then_last_handle_closed_ebusy)
{
	struct drmtest_bo bo;
	uint32_t seed;
	int dmabuf;
	char *p;

	new_bo(_metadata, self->fd, &bo);
	seed = seed_of(&bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, bo.handle, DRM_CLOEXEC | DRM_RDWR,
					&dmabuf));
	ASSERT_EQ(0, drmtest_bo_destroy(&bo));
	EXPECT_MADV(EBUSY, p, bo.size, MADV_FREE, "exported, handle closed");
	EXPECT_MADV(EBUSY, p, bo.size, MADV_REMOVE, "exported, handle closed");
	EXPECT_MADV(0, p, bo.size, MADV_WILLNEED, "exported, handle closed");
	close(dmabuf);
	EXPECT_MADV(EBUSY, p, bo.size, MADV_FREE, "dma-buf and handle closed");
	EXPECT_MADV(EBUSY, p, bo.size, MADV_REMOVE, "dma-buf and handle closed");
	try_shrink_all(_metadata);
	EXPECT_MADV(0, p, bo.size, MADV_WILLNEED, "after the shrinker");
	assert_pattern(_metadata, p, 0, bo.size / self->ps, seed,
		       "surviving mapping of an exported BO");
	munmap(p, bo.size);
}

/*
 * After a purge (MADV_REMOVE): MADV_POPULATE_*, MADV_WILLNEED and
 * POSIX_FADV_WILLNEED EFAULT; MADV_FREE, MADV_REMOVE, MADV_DONTNEED and
 * POSIX_FADV_DONTNEED 0; reads and writes raise SIGBUS; a new
 * mmap(MAP_POPULATE) succeeds and its accesses raise SIGBUS.
 */
TEST_F(bad, after_purge)
{
	struct drmtest_bo bo;
	char *p, *q;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, drmtest_madvise(p, bo.size, MADV_REMOVE));
	EXPECT_MADV(EFAULT, p, bo.size, MADV_POPULATE_READ, "after purge");
	EXPECT_MADV(EFAULT, p, bo.size, MADV_POPULATE_WRITE, "after purge");
	EXPECT_MADV(EFAULT, p, bo.size, MADV_WILLNEED, "after purge");
	EXPECT_FADV(EFAULT, self->fd, bo.offset, 0, POSIX_FADV_WILLNEED, "after purge");
	EXPECT_MADV(0, p, bo.size, MADV_FREE, "after purge");
	EXPECT_MADV(0, p, bo.size, MADV_REMOVE, "after purge");
	EXPECT_MADV(0, p, bo.size, MADV_DONTNEED, "after purge");
	EXPECT_FADV(0, self->fd, bo.offset, 0, POSIX_FADV_DONTNEED, "after purge");
	CHECK_SIGBUS(p, false, "after purge");
	CHECK_SIGBUS(p + bo.size - self->ps, true, "after purge");

	q = drmtest_bo_mmap(&bo, NULL, bo.size, RW, MAP_SHARED | MAP_POPULATE);
	EXPECT_NE(MAP_FAILED, q) TH_LOG("mmap(MAP_POPULATE) after purge: %s",
					strerror(errno));
	if (q != MAP_FAILED) {
		CHECK_SIGBUS(q, false, "new MAP_POPULATE mapping after purge");
		CHECK_SIGBUS(q, true, "new MAP_POPULATE mapping after purge");
		munmap(q, bo.size);
	}
	munmap(p, bo.size);
	drmtest_bo_destroy(&bo);
}

/*
 * Advice on a shared BO, with @shared the DRM file whose fadvise is checked:
 * MADV_FREE, MADV_REMOVE and POSIX_FADV_DONTNEED EBUSY; MADV_WILLNEED,
 * MADV_POPULATE_* and MADV_DONTNEED 0; the object is unchanged.
 */
static void check_shared_bo(struct __test_metadata *_metadata,
			    const struct drmtest_bo *bo, const char *what)
{
	char *p = map_bo(_metadata, bo, NULL, RW, MAP_SHARED);

	EXPECT_MADV(EBUSY, p, bo->size, MADV_FREE, what);
	EXPECT_MADV(EBUSY, p, bo->size, MADV_REMOVE, what);
	EXPECT_FADV(EBUSY, bo->fd, bo->offset, 0, POSIX_FADV_DONTNEED, what);
	EXPECT_MADV(0, p, bo->size, MADV_WILLNEED, what);
	EXPECT_MADV(0, p, bo->size, MADV_POPULATE_READ, what);
	EXPECT_MADV(0, p, bo->size, MADV_POPULATE_WRITE, what);
	EXPECT_MADV(0, p, bo->size, MADV_DONTNEED, what);
	munmap(p, bo->size);
	check_unchanged(_metadata, bo, what);
}

/*
 * An exported (dma-buf) BO: EBUSY for the purge advice, 0 for the rest;
 * through an O_RDONLY DRM file that imported it, POSIX_FADV_DONTNEED EACCES
 * (the write check comes first), POSIX_FADV_WILLNEED 0.
 */
TEST_F(bad, exported_bo_ebusy)
{
	struct drmtest_bo bo;
	int dmabuf, rfd;
	uint32_t h2;

	new_bo(_metadata, self->fd, &bo);
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, bo.handle, DRM_CLOEXEC | DRM_RDWR,
					&dmabuf));
	check_shared_bo(_metadata, &bo, "exported");

	rfd = drmtest_reopen(self->fd, O_RDONLY);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, drmPrimeFDToHandle(rfd, dmabuf, &h2));
	EXPECT_FADV(EACCES, rfd, bo.offset, 0, POSIX_FADV_DONTNEED,
		    "exported, O_RDONLY importer");
	EXPECT_FADV(0, rfd, bo.offset, 0, POSIX_FADV_WILLNEED,
		    "exported, O_RDONLY importer");
	close(rfd);
	close(dmabuf);
	check_unchanged(_metadata, &bo, "exported");
	drmtest_bo_destroy(&bo);
}

/* A flinked BO: as an exported one, EBUSY for the purge advice. */
TEST_F(bad, flinked_bo_ebusy)
{
	struct drmtest_bo bo;
	struct drm_gem_flink fl = {};

	new_bo(_metadata, self->fd, &bo);
	fl.handle = bo.handle;
	ASSERT_EQ(0, drmIoctl(self->fd, DRM_IOCTL_GEM_FLINK, &fl));
	check_shared_bo(_metadata, &bo, "flinked");
	drmtest_bo_destroy(&bo);
}

/*
 * posix_fadvise() on the DRM file: len 0 or the object's size is accepted;
 * any other length (size - 4096, size + 4096, -1, LLONG_MAX), an offset that
 * is not the start of an object (+1, +4096, -4096, 0) and unknown advice (42)
 * give EINVAL; POSIX_FADV_NORMAL, SEQUENTIAL and NOREUSE are accepted and
 * ignored. The object is unchanged.
 */
TEST_F(bad, fadvise_bad_range_einval)
{
	const int DN = POSIX_FADV_DONTNEED, WN = POSIX_FADV_WILLNEED;
	struct drmtest_bo bo;
	uint64_t o, s;
	int fd = self->fd;

	new_bo(_metadata, fd, &bo);
	o = bo.offset;
	s = bo.size;
	EXPECT_FADV(0, fd, o, 0, DN, "len 0");
	EXPECT_FADV(0, fd, o, 0, WN, "len 0");
	EXPECT_FADV(0, fd, o, s, DN, "len size");
	EXPECT_FADV(0, fd, o, s, WN, "len size");

	EXPECT_FADV(EINVAL, fd, o, s - self->ps, DN, "len size - 4096");
	EXPECT_FADV(EINVAL, fd, o, s + self->ps, WN, "len size + 4096");
	EXPECT_FADV(EINVAL, fd, o, s + self->ps, DN, "len size + 4096");
	EXPECT_FADV(EINVAL, fd, o, (uint64_t)-1, DN, "len -1");
	EXPECT_FADV(EINVAL, fd, o, (uint64_t)LLONG_MAX, DN, "len LLONG_MAX");
	EXPECT_FADV(EINVAL, fd, o + 1, 0, DN, "offset + 1");
	EXPECT_FADV(EINVAL, fd, o + self->ps, 0, DN, "offset + 4096");
	EXPECT_FADV(EINVAL, fd, (uint64_t)-4096, 0, DN, "offset -4096");
	EXPECT_FADV(EINVAL, fd, 0, 0, DN, "offset 0 (no object)");
	EXPECT_FADV(0, fd, o, 0, POSIX_FADV_NORMAL, "NORMAL");
	EXPECT_FADV(0, fd, o, 0, POSIX_FADV_SEQUENTIAL, "SEQUENTIAL");
	EXPECT_FADV(0, fd, o, 0, POSIX_FADV_NOREUSE, "NOREUSE");
	EXPECT_FADV(EINVAL, fd, o, 0, 42, "advice 42");
	check_unchanged(_metadata, &bo, "after bad fadvise");
	drmtest_bo_destroy(&bo);
}

/*
 * Other madvise() advice on a GEM mmap: MADV_COLD, MADV_PAGEOUT,
 * MADV_DONTNEED_LOCKED and MADV_MERGEABLE EINVAL (no pages mm could act
 * on); MADV_NORMAL, MADV_SEQUENTIAL, MADV_DONTFORK and MADV_HUGEPAGE 0
 * (VMA flags only). The object is unchanged.
 */
TEST_F(bad, madvise_other_advice)
{
	static const struct { int advice, expect; } cases[] = {
		{ MADV_COLD, EINVAL }, { MADV_PAGEOUT, EINVAL },
		{ MADV_DONTNEED_LOCKED, EINVAL }, { MADV_MERGEABLE, EINVAL },
		{ MADV_NORMAL, 0 }, { MADV_SEQUENTIAL, 0 },
		{ MADV_DONTFORK, 0 }, { MADV_HUGEPAGE, 0 },
	};
	struct drmtest_bo bo;
	unsigned int i;
	char *p;

	new_bo(_metadata, self->fd, &bo);
	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		EXPECT_MADV(cases[i].expect, p, bo.size, cases[i].advice,
			    "whole object");
	assert_pattern(_metadata, p, 0, bo.size / self->ps, seed_of(&bo),
		       "through the advised mapping");
	munmap(p, bo.size);
	check_unchanged(_metadata, &bo, "after other advice");
	drmtest_bo_destroy(&bo);
}

/*
 * Populate-only drivers (no purgeable objects: virtio_gpu on the shmem
 * helpers, bochs with TTM in VRAM, qxl with TTM in system memory): populating
 * for write a read-only mapping is EINVAL, past the mapping ENOMEM; the
 * coverage and permission checks of advice still come first (PROT_READ:
 * EACCES, half the object: EINVAL), then MADV_FREE and MADV_REMOVE fail with
 * EOPNOTSUPP; MADV_WILLNEED returns 0, and posix_fadvise() returns 0 as on
 * 6.12 (a device without purgeable objects ignores it, as any file without a
 * page cache); the data stays.
 */
static void populate_only(struct __test_metadata *_metadata, const char *driver)
{
	struct drmtest_bo bo;
	size_t ps = drmtest_page_size();
	int fd, ret;
	char *p;

	fd = drmtest_open_driver(driver);
	if (fd < 0)
		SKIP(return, "no %s device", driver);
	ret = drmtest_bo_create(fd, BO_SIZE, &bo);
	ASSERT_EQ(0, ret) TH_LOG("%s dumb buffer: %s", driver, strerror(-ret));
	p = map_bo(_metadata, &bo, NULL, PROT_READ, MAP_SHARED);
	EXPECT_MADV(EINVAL, p, bo.size, MADV_POPULATE_WRITE, driver);
	EXPECT_MADV(0, p, bo.size, MADV_POPULATE_READ, driver);
	EXPECT_MADV(EACCES, p, bo.size, MADV_FREE, driver);
	EXPECT_MADV(EACCES, p, bo.size, MADV_REMOVE, driver);
	munmap(p, bo.size);

	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, bo.size / ps, seed_of(&bo));
	munmap(p + bo.size - ps, ps);
	EXPECT_MADV(ENOMEM, p, bo.size, MADV_POPULATE_WRITE, driver);
	EXPECT_MADV(EINVAL, p, bo.size / 2, MADV_FREE, driver);
	EXPECT_MADV(EINVAL, p, bo.size / 2, MADV_REMOVE, driver);
	munmap(p, bo.size);

	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	EXPECT_MADV(EOPNOTSUPP, p, bo.size, MADV_FREE, driver);
	EXPECT_MADV(EOPNOTSUPP, p, bo.size, MADV_REMOVE, driver);
	EXPECT_FADV(0, fd, bo.offset, 0, POSIX_FADV_DONTNEED, driver);
	EXPECT_MADV(0, p, bo.size, MADV_WILLNEED, driver);
	EXPECT_FADV(0, fd, bo.offset, 0, POSIX_FADV_WILLNEED, driver);
	assert_pattern(_metadata, p, 0, bo.size / ps, seed_of(&bo),
		       "after refused advice");
	munmap(p, bo.size);
	drmtest_bo_destroy(&bo);
	close(fd);
}

/* TEST()'s wrapper does not use its variant argument. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
TEST(virtio_gpu_populate_only)
{
	populate_only(_metadata, "virtio_gpu");
}

TEST(bochs_populate_only)
{
	populate_only(_metadata, "bochs-drm");
}

TEST(qxl_populate_only)
{
	populate_only(_metadata, "qxl");
}
#pragma GCC diagnostic pop

TEST_HARNESS_MAIN
