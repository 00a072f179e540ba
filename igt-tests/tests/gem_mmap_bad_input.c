// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 drm-gem-populate developers
 */

/**
 * TEST: gem mmap bad input
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: madvise
 * Description: What mmap(), mprotect(), madvise() on GEM mmaps and
 *   posix_fadvise() on the DRM fd return for bad input, and that a refused
 *   call changes nothing: after every shrinker ran, POSIX_FADV_WILLNEED on
 *   the BO still returns 0 (neither purged nor left purgeable) and its
 *   contents are intact. The rows of the bad-input table in
 *   Documentation/gpu/drm-mm.rst.
 *
 * SUBTEST: madvise-bad-range
 * Description: Unaligned start, wrapping length: EINVAL; length 0: no-op;
 *   one byte: not the whole BO.
 *
 * SUBTEST: madvise-over-hole-enomem
 * Description: A range over a BO and an unmapped hole: ENOMEM, after the
 *   BO got the advice.
 *
 * SUBTEST: madvise-two-objects
 * Description: One range over two whole BOs advises both; over a whole BO
 *   and half of the next, EINVAL at the second.
 *
 * SUBTEST: madvise-partial-object-einval
 * Description: Part of a BO, a BO mapped as two VMAs, a mapping without its
 *   first page: EINVAL for the purge advice, 0 for the rest.
 *
 * SUBTEST: madvise-prot-none-read
 * Description: The errors of each advice on PROT_NONE and PROT_READ
 *   mappings.
 *
 * SUBTEST: readonly-file-eacces
 * Description: Through a DRM fd opened O_RDONLY: no writable mapping, no
 *   purge advice.
 *
 * SUBTEST: mmap-bad-args-einval
 * Description: MAP_PRIVATE, lengths past the BO or 0, offsets inside a BO
 *   or of none: EINVAL.
 *
 * SUBTEST: other-file-eacces
 * Description: A DRM file without a handle for the BO may neither map nor
 *   advise it.
 *
 * SUBTEST: closed-handle-enoent
 * Description: dma-buf export and flink of a closed handle: ENOENT.
 *
 * SUBTEST: mapping-outlived-handle-ebusy
 * Description: A mapping that outlived the BO's last handle cannot purge
 *   it: EBUSY.
 *
 * SUBTEST: purged-advice
 * Description: On a purged BO the purge advice succeeds again, the rest
 *   fails with EFAULT.
 *
 * SUBTEST: shared-bo-advice
 * Description: Exported and flinked BOs: EBUSY for the purge advice, 0 for
 *   the rest; EACCES through an O_RDONLY importer.
 *
 * SUBTEST: fadvise-bad-range-einval
 * Description: posix_fadvise() with a range that is not a whole BO, or
 *   unknown advice: EINVAL.
 *
 * SUBTEST: madvise-other-advice
 * Description: Advice mm applies to pages: EINVAL; advice on VMA flags: 0.
 *
 * SUBTEST: populate-only-advice
 * Description: Drivers without purgeable BOs: populate checks, then
 *   EOPNOTSUPP for the purge advice; posix_fadvise() ignored.
 */

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include "igt.h"
#include "igt_gem_mmap.h"

IGT_TEST_DESCRIPTION("Errors of mmap(), madvise() and posix_fadvise() on GEM buffer objects.");

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif

#define BO_SIZE		(64 * 4096)	/* more than one page of everything */
#define HOLE_SIZE	(16ul << 20)	/* address space behind a BO */
#define PAGE		4096
#define RW		(PROT_READ | PROT_WRITE)

static const int all_advice[] = {
	MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_FREE,
	MADV_WILLNEED, MADV_REMOVE, MADV_DONTNEED,
};

static const char *advice_name(int advice)
{
	switch (advice) {
	case MADV_POPULATE_READ: return "MADV_POPULATE_READ";
	case MADV_POPULATE_WRITE: return "MADV_POPULATE_WRITE";
	case MADV_FREE: return "MADV_FREE";
	case MADV_WILLNEED: return "MADV_WILLNEED";
	case MADV_REMOVE: return "MADV_REMOVE";
	case MADV_DONTNEED: return "MADV_DONTNEED";
	default: return "other advice";
	}
}

static bool purge_advice(int advice)
{
	return advice == MADV_FREE || advice == MADV_REMOVE;
}

/* madvise(@advice) of [@p, @p + @len) returns @want (0 or an errno). */
static void madv_is(int want, void *p, size_t len, int advice)
{
	int err = madvise(p, len, advice) ? errno : 0;

	igt_assert_f(err == want, "madvise(%s (%d), len %zu): %s, expected %s\n",
		     advice_name(advice), advice, len, strerror(err),
		     strerror(want));
}

static void mmap_fails(int want, void *p)
{
	int err = p == MAP_FAILED ? errno : 0;

	if (p != MAP_FAILED)
		munmap(p, PAGE);
	igt_assert_f(err == want, "mmap(): %s, expected %s\n", strerror(err),
		     strerror(want));
}

static uint32_t seed_of(const struct igt_gem_mmap_bo *bo)
{
	return 0x5eed0000u ^ bo->handle;
}

static void fill(const struct igt_gem_mmap_bo *bo)
{
	void *p = igt_gem_mmap_bo_map(bo, RW, MAP_SHARED);

	igt_gem_mmap_fill(p, bo->size, seed_of(bo));
	igt_assert_eq(munmap(p, bo->size), 0);
}

static void new_bo(int fd, struct igt_gem_mmap_bo *bo)
{
	igt_gem_mmap_bo_create(fd, BO_SIZE, bo);
	fill(bo);
}

static void assert_contents(const struct igt_gem_mmap_bo *bo, const void *p)
{
	igt_assert(igt_gem_mmap_check(p, bo->size, seed_of(bo)));
}

/* Nothing changed: still needed after the shrinkers ran, contents intact. */
static void assert_unchanged(const struct igt_gem_mmap_bo *bo)
{
	void *p;

	igt_gem_mmap_shrink_all();
	igt_assert_fadvise(0, bo->fd, bo->offset, 0, POSIX_FADV_WILLNEED);
	p = igt_gem_mmap_bo_map(bo, PROT_READ, MAP_SHARED);
	assert_contents(bo, p);
	igt_assert_eq(munmap(p, bo->size), 0);
}

static void assert_purged(const struct igt_gem_mmap_bo *bo)
{
	igt_assert_fadvise(EFAULT, bo->fd, bo->offset, 0, POSIX_FADV_WILLNEED);
}

/* What @advice, applied, did: purged (at once, or by the shrinkers) or nothing. */
static void assert_got_advice(const struct igt_gem_mmap_bo *bo, int advice)
{
	if (advice == MADV_FREE)
		igt_gem_mmap_shrink_all();
	if (purge_advice(advice))
		assert_purged(bo);
	else
		assert_unchanged(bo);
}

/* A second DRM file on @fd's device. */
static int reopen(int fd, int flags)
{
	char path[64];
	int fd2;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, flags | O_CLOEXEC);
	igt_assert_f(fd2 >= 0, "reopening the DRM fd: %m\n");
	return fd2;
}

static void test_bad_range(struct igt_gem_mmap_test *t)
{
	char *p;

	fill(&t->bo);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	for (unsigned int i = 0; i < ARRAY_SIZE(all_advice); i++) {
		int advice = all_advice[i];

		madv_is(EINVAL, p + 1, t->bo.size - PAGE, advice);
		madv_is(0, p, 0, advice);
		madv_is(purge_advice(advice) ? EINVAL : 0, p, 1, advice);
		madv_is(EINVAL, p, (size_t)0 - PAGE, advice);
		madv_is(EINVAL, p, SIZE_MAX, advice);
	}
	igt_assert_eq(munmap(p, t->bo.size), 0);
	assert_unchanged(&t->bo);
}

static void test_over_hole(struct igt_gem_mmap_test *t)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(all_advice); i++) {
		struct igt_gem_mmap_bo bo;
		char *r, *p;

		new_bo(t->fd, &bo);
		r = mmap(NULL, HOLE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(r != MAP_FAILED);
		p = mmap(r, bo.size, RW, MAP_SHARED | MAP_FIXED, bo.fd, bo.offset);
		igt_assert(p == r);
		igt_assert_eq(munmap(r + bo.size, HOLE_SIZE - bo.size), 0);
		madv_is(ENOMEM, p, HOLE_SIZE, all_advice[i]);
		igt_assert_eq(munmap(p, bo.size), 0);
		assert_got_advice(&bo, all_advice[i]);
		igt_gem_mmap_bo_destroy(&bo);
	}
}

/* @a and @b mapped back to back; returns the start. */
static char *map_adjacent(const struct igt_gem_mmap_bo *a,
			  const struct igt_gem_mmap_bo *b)
{
	char *r = mmap(NULL, a->size + b->size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert(r != MAP_FAILED);
	igt_assert(mmap(r, a->size, RW, MAP_SHARED | MAP_FIXED, a->fd,
			a->offset) == r);
	igt_assert(mmap(r + a->size, b->size, RW, MAP_SHARED | MAP_FIXED, b->fd,
			b->offset) == r + a->size);
	return r;
}

static void test_two_objects(struct igt_gem_mmap_test *t)
{
	static const int purge[] = { MADV_FREE, MADV_REMOVE };
	struct igt_gem_mmap_bo a, b;
	char *r;

	/* Two VMAs, each a whole BO: both get the advice. */
	for (unsigned int i = 0; i < ARRAY_SIZE(all_advice); i++) {
		new_bo(t->fd, &a);
		new_bo(t->fd, &b);
		r = map_adjacent(&a, &b);
		madv_is(0, r, a.size + b.size, all_advice[i]);
		igt_assert_eq(munmap(r, a.size + b.size), 0);
		assert_got_advice(&a, all_advice[i]);
		if (all_advice[i] != MADV_FREE)	/* the shrinkers ran */
			assert_got_advice(&b, all_advice[i]);
		else
			assert_purged(&b);
		igt_gem_mmap_bo_destroy(&a);
		igt_gem_mmap_bo_destroy(&b);
	}

	/* Whole A, half of B: EINVAL at B, after A got the advice. */
	for (unsigned int i = 0; i < ARRAY_SIZE(purge); i++) {
		new_bo(t->fd, &a);
		new_bo(t->fd, &b);
		r = map_adjacent(&a, &b);
		madv_is(EINVAL, r, a.size + b.size / 2, purge[i]);
		igt_assert_eq(munmap(r, a.size + b.size), 0);
		assert_unchanged(&b);	/* the shrinkers purged A if purgeable */
		assert_purged(&a);
		igt_gem_mmap_bo_destroy(&a);
		igt_gem_mmap_bo_destroy(&b);
	}
}

static void test_partial(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size;
	char *p;

	fill(&t->bo);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	for (unsigned int i = 0; i < ARRAY_SIZE(all_advice); i++) {
		int want = purge_advice(all_advice[i]) ? EINVAL : 0;

		madv_is(want, p, size / 2, all_advice[i]);
		madv_is(want, p + PAGE, size - PAGE, all_advice[i]);
	}
	assert_contents(&t->bo, p);

	/* The whole BO as two VMAs (VM_PFNMAP VMAs are never merged again). */
	igt_assert_eq(mprotect(p + size / 2, size / 2, PROT_READ), 0);
	igt_assert_eq(mprotect(p + size / 2, size / 2, RW), 0);
	madv_is(EINVAL, p, size, MADV_FREE);
	madv_is(EINVAL, p, size, MADV_REMOVE);

	/* A mapping without its first page: what is left is not the whole BO. */
	igt_assert_eq(munmap(p, PAGE), 0);
	madv_is(EINVAL, p + PAGE, size - PAGE, MADV_FREE);
	igt_assert_eq(munmap(p + PAGE, size - PAGE), 0);
	assert_unchanged(&t->bo);
}

static void test_prot_none_read(struct igt_gem_mmap_test *t)
{
	/* In the order of all_advice[]. */
	static const int none[] = { EINVAL, EINVAL, EACCES, 0, EACCES, 0 };
	static const int read[] = { 0, EINVAL, EACCES, 0, EACCES, 0 };
	char *p;

	fill(&t->bo);
	p = igt_gem_mmap_bo_map(&t->bo, PROT_NONE, MAP_SHARED);
	for (unsigned int i = 0; i < ARRAY_SIZE(all_advice); i++)
		madv_is(none[i], p, t->bo.size, all_advice[i]);
	igt_assert_eq(munmap(p, t->bo.size), 0);

	p = igt_gem_mmap_bo_map(&t->bo, PROT_READ, MAP_SHARED);
	for (unsigned int i = 0; i < ARRAY_SIZE(all_advice); i++)
		madv_is(read[i], p, t->bo.size, all_advice[i]);
	assert_contents(&t->bo, p);
	igt_assert_eq(munmap(p, t->bo.size), 0);
	assert_unchanged(&t->bo);
}

static void test_readonly_file(struct igt_gem_mmap_test *t)
{
	int rfd = reopen(t->fd, O_RDONLY);
	struct igt_gem_mmap_bo bo;
	char *p;

	igt_gem_mmap_bo_create(rfd, BO_SIZE, &bo);
	mmap_fails(EACCES, __igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED));
	p = igt_gem_mmap_bo_map(&bo, PROT_READ, MAP_SHARED);
	igt_assert_eq(mprotect(p, bo.size, RW) ? errno : 0, EACCES);
	igt_assert_madvise(EACCES, p, bo.size, MADV_FREE);
	igt_assert_madvise(EACCES, p, bo.size, MADV_REMOVE);
	igt_assert_madvise(0, p, bo.size, MADV_POPULATE_READ);
	igt_assert_fadvise(EACCES, rfd, bo.offset, 0, POSIX_FADV_DONTNEED);

	/* Still needed: a new BO reads as zeroes. */
	igt_gem_mmap_shrink_all();
	igt_assert_fadvise(0, rfd, bo.offset, 0, POSIX_FADV_WILLNEED);
	igt_assert_eq(p[0] | p[bo.size - 1], 0);
	igt_assert_eq(munmap(p, bo.size), 0);
	igt_gem_mmap_bo_destroy(&bo);
	close(rfd);
}

static void test_mmap_bad_args(struct igt_gem_mmap_test *t)
{
	const struct igt_gem_mmap_bo *bo = &t->bo;

	fill(bo);
	mmap_fails(EINVAL, __igt_gem_mmap_bo_map(bo, RW, MAP_PRIVATE));
	mmap_fails(EINVAL, __igt_gem_mmap_bo_map(bo, PROT_READ, MAP_PRIVATE));
	mmap_fails(EINVAL, mmap(NULL, bo->size + PAGE, RW, MAP_SHARED, bo->fd,
				bo->offset));
	mmap_fails(EINVAL, mmap(NULL, 0, RW, MAP_SHARED, bo->fd, bo->offset));
	mmap_fails(EINVAL, mmap(NULL, PAGE, RW, MAP_SHARED, bo->fd,
				bo->offset + PAGE));
	mmap_fails(EINVAL, mmap(NULL, PAGE, RW, MAP_SHARED, bo->fd,
				bo->offset + 1));
	mmap_fails(EINVAL, mmap(NULL, PAGE, RW, MAP_SHARED, bo->fd,
				(off_t)1 << 40));
	assert_unchanged(bo);
}

static void test_other_file(struct igt_gem_mmap_test *t)
{
	const struct igt_gem_mmap_bo *bo = &t->bo;
	struct igt_gem_mmap_bo closed;
	int fd2 = reopen(t->fd, O_RDWR);
	char *p;

	fill(bo);
	mmap_fails(EACCES, mmap(NULL, bo->size, RW, MAP_SHARED, fd2, bo->offset));
	igt_assert_fadvise(EACCES, fd2, bo->offset, 0, POSIX_FADV_WILLNEED);
	igt_assert_fadvise(EACCES, fd2, bo->offset, 0, POSIX_FADV_DONTNEED);
	close(fd2);
	assert_unchanged(bo);

	/* The handle closed, the BO alive through a mapping. */
	new_bo(t->fd, &closed);
	p = igt_gem_mmap_bo_map(&closed, RW, MAP_SHARED);
	igt_gem_mmap_bo_destroy(&closed);
	mmap_fails(EACCES, mmap(NULL, closed.size, RW, MAP_SHARED, t->fd,
				closed.offset));
	igt_assert_fadvise(EACCES, t->fd, closed.offset, 0, POSIX_FADV_WILLNEED);
	igt_assert_eq(munmap(p, closed.size), 0);
}

static void test_closed_handle(struct igt_gem_mmap_test *t)
{
	struct drm_gem_flink flink = {};
	struct igt_gem_mmap_bo bo;
	int dmabuf = -1, err;

	igt_gem_mmap_bo_create(t->fd, BO_SIZE, &bo);
	flink.handle = bo.handle;
	igt_gem_mmap_bo_destroy(&bo);

	err = drmPrimeHandleToFD(t->fd, flink.handle, DRM_CLOEXEC, &dmabuf) ? errno : 0;
	if (!err)
		close(dmabuf);
	igt_assert_eq(err, ENOENT);
	igt_assert_eq(igt_ioctl(t->fd, DRM_IOCTL_GEM_FLINK, &flink) ? errno : 0,
		      ENOENT);
}

static void test_outlived_handle(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo bo;
	uint32_t seed;
	int dmabuf;
	char *p;

	/* No handle left: nobody could tell the BO was purged. */
	new_bo(t->fd, &bo);
	seed = seed_of(&bo);
	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED);
	igt_gem_mmap_bo_destroy(&bo);
	igt_assert_madvise(0, p, bo.size, MADV_POPULATE_WRITE);
	igt_assert_madvise(EBUSY, p, bo.size, MADV_FREE);
	igt_assert_madvise(0, p, bo.size, MADV_WILLNEED);
	igt_assert_madvise(EBUSY, p, bo.size, MADV_REMOVE);
	igt_gem_mmap_shrink_all();
	igt_assert_madvise(0, p, bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, bo.size, seed));
	igt_assert_eq(munmap(p, bo.size), 0);

	/* Exported, then the last handle closed. */
	new_bo(t->fd, &bo);
	seed = seed_of(&bo);
	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED);
	dmabuf = prime_handle_to_fd_for_mmap(t->fd, bo.handle);
	igt_assert_lte(0, dmabuf);
	igt_gem_mmap_bo_destroy(&bo);
	igt_assert_madvise(EBUSY, p, bo.size, MADV_FREE);
	igt_assert_madvise(EBUSY, p, bo.size, MADV_REMOVE);
	close(dmabuf);
	igt_assert_madvise(EBUSY, p, bo.size, MADV_FREE);
	igt_assert_madvise(EBUSY, p, bo.size, MADV_REMOVE);
	igt_gem_mmap_shrink_all();
	igt_assert_madvise(0, p, bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, bo.size, seed));
	igt_assert_eq(munmap(p, bo.size), 0);
}

static void test_purged_advice(struct igt_gem_mmap_test *t)
{
	const struct igt_gem_mmap_bo *bo = &t->bo;
	char *p = igt_gem_mmap_bo_map(bo, RW, MAP_SHARED);

	igt_assert_madvise(0, p, bo->size, MADV_REMOVE);
	igt_assert_madvise(EFAULT, p, bo->size, MADV_POPULATE_READ);
	igt_assert_madvise(EFAULT, p, bo->size, MADV_POPULATE_WRITE);
	igt_assert_madvise(EFAULT, p, bo->size, MADV_WILLNEED);
	igt_assert_fadvise(EFAULT, bo->fd, bo->offset, 0, POSIX_FADV_WILLNEED);
	igt_assert_madvise(0, p, bo->size, MADV_FREE);
	igt_assert_madvise(0, p, bo->size, MADV_REMOVE);
	igt_assert_madvise(0, p, bo->size, MADV_DONTNEED);
	igt_assert_fadvise(0, bo->fd, bo->offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_eq(igt_gem_mmap_access_signal(p, false), SIGBUS);
	igt_assert_eq(igt_gem_mmap_access_signal(p + bo->size - PAGE, true), SIGBUS);
	igt_assert_eq(munmap(p, bo->size), 0);
}

static void assert_shared(const struct igt_gem_mmap_bo *bo)
{
	char *p = igt_gem_mmap_bo_map(bo, RW, MAP_SHARED);

	igt_assert_madvise(EBUSY, p, bo->size, MADV_FREE);
	igt_assert_madvise(EBUSY, p, bo->size, MADV_REMOVE);
	igt_assert_fadvise(EBUSY, bo->fd, bo->offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_madvise(0, p, bo->size, MADV_WILLNEED);
	igt_assert_madvise(0, p, bo->size, MADV_POPULATE_READ);
	igt_assert_madvise(0, p, bo->size, MADV_POPULATE_WRITE);
	igt_assert_madvise(0, p, bo->size, MADV_DONTNEED);
	igt_assert_eq(munmap(p, bo->size), 0);
	assert_unchanged(bo);
}

static void test_shared(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo flinked;
	int dmabuf, rfd;
	uint32_t handle;

	fill(&t->bo);
	dmabuf = prime_handle_to_fd_for_mmap(t->fd, t->bo.handle);
	igt_assert_lte(0, dmabuf);
	assert_shared(&t->bo);

	/* Through an importer opened O_RDONLY: the write check comes first. */
	rfd = reopen(t->fd, O_RDONLY);
	igt_assert_eq(drmPrimeFDToHandle(rfd, dmabuf, &handle), 0);
	igt_assert_fadvise(EACCES, rfd, t->bo.offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_fadvise(0, rfd, t->bo.offset, 0, POSIX_FADV_WILLNEED);
	close(rfd);
	close(dmabuf);
	assert_unchanged(&t->bo);

	new_bo(t->fd, &flinked);
	gem_flink(t->fd, flinked.handle);
	assert_shared(&flinked);
	igt_gem_mmap_bo_destroy(&flinked);
}

static void test_fadvise_bad_range(struct igt_gem_mmap_test *t)
{
	const int dn = POSIX_FADV_DONTNEED, wn = POSIX_FADV_WILLNEED;
	const uint64_t o = t->bo.offset, s = t->bo.size;
	const int fd = t->fd;

	fill(&t->bo);
	igt_assert_fadvise(0, fd, o, 0, wn);
	igt_assert_fadvise(0, fd, o, s, wn);
	igt_assert_fadvise(EINVAL, fd, o, s - PAGE, dn);
	igt_assert_fadvise(EINVAL, fd, o, s + PAGE, wn);
	igt_assert_fadvise(EINVAL, fd, o, s + PAGE, dn);
	igt_assert_fadvise(EINVAL, fd, o, (off_t)-1, dn);
	igt_assert_fadvise(EINVAL, fd, o, (off_t)LLONG_MAX, dn);
	igt_assert_fadvise(EINVAL, fd, o + 1, 0, dn);
	igt_assert_fadvise(EINVAL, fd, o + PAGE, 0, dn);
	igt_assert_fadvise(EINVAL, fd, (off_t)-4096, 0, dn);
	igt_assert_fadvise(EINVAL, fd, 0, 0, dn);
	igt_assert_fadvise(0, fd, o, 0, POSIX_FADV_NORMAL);
	igt_assert_fadvise(0, fd, o, 0, POSIX_FADV_SEQUENTIAL);
	igt_assert_fadvise(0, fd, o, 0, POSIX_FADV_NOREUSE);
	igt_assert_fadvise(EINVAL, fd, o, 0, 42);
	assert_unchanged(&t->bo);
}

static void test_other_advice(struct igt_gem_mmap_test *t)
{
	static const struct { int advice, want; } cases[] = {
		{ MADV_COLD, EINVAL }, { MADV_PAGEOUT, EINVAL },
		{ MADV_DONTNEED_LOCKED, EINVAL }, { MADV_MERGEABLE, EINVAL },
		{ MADV_NORMAL, 0 }, { MADV_SEQUENTIAL, 0 },
		{ MADV_DONTFORK, 0 }, { MADV_HUGEPAGE, 0 },
	};
	char *p;

	fill(&t->bo);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++)
		madv_is(cases[i].want, p, t->bo.size, cases[i].advice);
	assert_contents(&t->bo, p);
	igt_assert_eq(munmap(p, t->bo.size), 0);
	assert_unchanged(&t->bo);
}

static void test_populate_only(struct igt_gem_mmap_test *t)
{
	const struct igt_gem_mmap_bo *bo = &t->bo;
	char *p;

	p = igt_gem_mmap_bo_map(bo, PROT_READ, MAP_SHARED);
	igt_assert_madvise(EINVAL, p, bo->size, MADV_POPULATE_WRITE);
	igt_assert_madvise(0, p, bo->size, MADV_POPULATE_READ);
	igt_assert_madvise(EACCES, p, bo->size, MADV_FREE);
	igt_assert_madvise(EACCES, p, bo->size, MADV_REMOVE);
	igt_assert_eq(munmap(p, bo->size), 0);

	fill(bo);
	p = igt_gem_mmap_bo_map(bo, RW, MAP_SHARED);
	igt_assert_eq(munmap(p + bo->size - PAGE, PAGE), 0);
	igt_assert_madvise(ENOMEM, p, bo->size, MADV_POPULATE_WRITE);
	igt_assert_madvise(EINVAL, p, bo->size / 2, MADV_FREE);
	igt_assert_madvise(EINVAL, p, bo->size / 2, MADV_REMOVE);
	igt_assert_eq(munmap(p, bo->size - PAGE), 0);

	p = igt_gem_mmap_bo_map(bo, RW, MAP_SHARED);
	igt_assert_madvise(EOPNOTSUPP, p, bo->size, MADV_FREE);
	igt_assert_madvise(EOPNOTSUPP, p, bo->size, MADV_REMOVE);
	igt_assert_fadvise(0, t->fd, bo->offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_madvise(0, p, bo->size, MADV_WILLNEED);
	igt_assert_fadvise(0, t->fd, bo->offset, 0, POSIX_FADV_WILLNEED);
	assert_contents(bo, p);
	igt_assert_eq(munmap(p, bo->size), 0);
}

igt_main
{
	static const struct igt_gem_mmap_subtest tests[] = {
		{ "madvise-bad-range",
		  "Unaligned start, wrapping length: EINVAL; length 0: no-op; one byte: not the whole BO.",
		  test_bad_range },
		{ "madvise-over-hole-enomem",
		  "A range over a BO and an unmapped hole: ENOMEM, after the BO got the advice.",
		  test_over_hole },
		{ "madvise-two-objects",
		  "One range over two whole BOs advises both; over a whole BO and half of the next, EINVAL at the second.",
		  test_two_objects },
		{ "madvise-partial-object-einval",
		  "Part of a BO, a BO mapped as two VMAs, a mapping without its first page: EINVAL for the purge advice.",
		  test_partial },
		{ "madvise-prot-none-read",
		  "The errors of each advice on PROT_NONE and PROT_READ mappings.",
		  test_prot_none_read },
		{ "readonly-file-eacces",
		  "Through a DRM fd opened O_RDONLY: no writable mapping, no purge advice.",
		  test_readonly_file },
		{ "mmap-bad-args-einval",
		  "MAP_PRIVATE, lengths past the BO or 0, offsets inside a BO or of none: EINVAL.",
		  test_mmap_bad_args },
		{ "other-file-eacces",
		  "A DRM file without a handle for the BO may neither map nor advise it.",
		  test_other_file },
		{ "closed-handle-enoent",
		  "dma-buf export and flink of a closed handle: ENOENT.",
		  test_closed_handle },
		{ "mapping-outlived-handle-ebusy",
		  "A mapping that outlived the BO's last handle cannot purge it: EBUSY.",
		  test_outlived_handle },
		{ "purged-advice",
		  "On a purged BO the purge advice succeeds again, the rest fails with EFAULT.",
		  test_purged_advice },
		{ "shared-bo-advice",
		  "Exported and flinked BOs: EBUSY for the purge advice, 0 for the rest; EACCES through an O_RDONLY importer.",
		  test_shared },
		{ "fadvise-bad-range-einval",
		  "posix_fadvise() with a range that is not a whole BO, or unknown advice: EINVAL.",
		  test_fadvise_bad_range },
		{ "madvise-other-advice",
		  "Advice mm applies to pages: EINVAL; advice on VMA flags: 0.",
		  test_other_advice },
	};

	igt_gem_mmap_subtests(tests, ARRAY_SIZE(tests), DRM_GEM_MMAP_ADVICE_PURGEABLE, BO_SIZE);

	igt_describe("Drivers without purgeable BOs: populate checks, then EOPNOTSUPP for the purge advice; posix_fadvise() ignored.");
	igt_subtest_with_dynamic("populate-only-advice")
		igt_gem_mmap_each_driver_mask(DRM_GEM_MMAP_ADVICE_POPULATE,
					      DRM_GEM_MMAP_ADVICE_POPULATE |
					      DRM_GEM_MMAP_ADVICE_PURGEABLE,
					      BO_SIZE, test_populate_only);
}
