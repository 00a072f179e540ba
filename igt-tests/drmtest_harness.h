/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks shared by the uAPI tests, on top of the kselftest harness: each
 * fails the running test with a message saying what was expected and what
 * was seen. Tests include this instead of kselftest_harness.h, after
 * drmtest.h.
 */
#ifndef DRMTEST_HARNESS_H
#define DRMTEST_HARNESS_H

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <xf86drm.h>

/* The harness's SIGALRM handler does not use its ucontext argument. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/*
 * @fd = the card of @driver, which must have purgeable GEM objects
 * (DRM_CAP_GEM_MMAP_ADVICE); the test is skipped when either is missing.
 */
#define OPEN_PURGEABLE_OR_SKIP(fd, driver) do { \
	uint64_t __cap = 0; \
	(fd) = drmtest_open_driver(driver); \
	if ((fd) < 0) \
		SKIP(return, "no %s device", (driver)); \
	if (drmGetCap((fd), DRM_CAP_GEM_MMAP_ADVICE, &__cap) || \
	    !(__cap & DRM_GEM_MMAP_ADVICE_PURGEABLE)) \
		SKIP(return, "%s: no purgeable GEM objects (DRM_CAP_GEM_MMAP_ADVICE %#llx)", \
		     (driver), (unsigned long long)__cap); \
} while (0)

/* mmap() the whole of @bo; the test fails if that does not work. */
static inline char *map_bo(struct __test_metadata *_metadata,
			   const struct drmtest_bo *bo, void *addr, int prot,
			   int flags)
{
	char *p = drmtest_bo_mmap(bo, addr, bo->size, prot, flags);

	ASSERT_NE(MAP_FAILED, p)
		TH_LOG("mmap(prot %#x, flags %#x) of BO %u: %s",
		       prot, flags, bo->handle, strerror(errno));
	return p;
}

/*
 * Buffer pages [@first, @first + @n) at @p hold pattern @seed; the test
 * fails at the first dword that does not, and says which page's data it
 * holds instead.
 */
static inline void assert_pattern(struct __test_metadata *_metadata,
				  const char *p, size_t first, size_t n,
				  uint32_t seed, const char *what)
{
	const size_t dwords = drmtest_page_size() / sizeof(uint32_t);
	uint32_t found = 0;
	ssize_t bad;

	bad = drmtest_check_pattern(p, first, n, seed, &found);
	ASSERT_EQ(-1, bad) {
		size_t page = first + bad / dwords, dword = bad % dwords;

		TH_LOG("%s: page %zu dword %zu holds %#x, expected %#x (page %u's data?)",
		       what, page, dword, found,
		       drmtest_pattern(seed, page, dword),
		       (found ^ seed) >> 16);
	}
}

/*
 * Run every shrinker, for the optional "the shrinker left it alone" checks.
 * Returns false, and says so, when it cannot (no drop_caches).
 */
static inline bool try_shrink_all(struct __test_metadata *_metadata)
{
	int err = drmtest_shrink_all();

	if (err)
		TH_LOG("no drop_caches (%s): not checking what the shrinker keeps",
		       strerror(err));
	return !err;
}

/*
 * madvise(@advice) on [@p, @p + @len) returns @expect (0 or an errno).
 * ASSERT_MADV() ends the test on a mismatch, EXPECT_MADV() goes on.
 */
#define __DRMTEST_MADV(cmp, expect, p, len, advice, what) do { \
	int __err = drmtest_madvise((p), (len), (advice)); \
	cmp((expect), __err) \
		TH_LOG("%s: madvise(%s, len %#zx) returned %s, expected %s", \
		       (what), drmtest_madvise_name(advice), (size_t)(len), \
		       drmtest_errno_name(__err), drmtest_errno_name(expect)); \
} while (0)
#define ASSERT_MADV(...) __DRMTEST_MADV(ASSERT_EQ, __VA_ARGS__)
#define EXPECT_MADV(...) __DRMTEST_MADV(EXPECT_EQ, __VA_ARGS__)

/* posix_fadvise(@advice) returns @expect; ASSERT_ and EXPECT_ as above. */
#define __DRMTEST_FADV(cmp, expect, fd, offset, len, advice, what) do { \
	int __err = drmtest_fadvise((fd), (offset), (len), (advice)); \
	cmp((expect), __err) \
		TH_LOG("%s: posix_fadvise(%s, offset %#llx, len %#llx) returned %s, expected %s", \
		       (what), drmtest_fadvise_name(advice), \
		       (unsigned long long)(offset), (unsigned long long)(len), \
		       drmtest_errno_name(__err), drmtest_errno_name(expect)); \
} while (0)
#define ASSERT_FADV(...) __DRMTEST_FADV(ASSERT_EQ, __VA_ARGS__)
#define EXPECT_FADV(...) __DRMTEST_FADV(EXPECT_EQ, __VA_ARGS__)

#endif /* DRMTEST_HARNESS_H */
