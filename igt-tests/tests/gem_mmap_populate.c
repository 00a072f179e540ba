// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 drm-gem-populate developers
 */

/**
 * TEST: gem mmap populate
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: mmap
 * Description: MAP_POPULATE and MADV_POPULATE_READ/WRITE on CPU mmaps of
 *   GEM buffer objects, on every driver present: with
 *   DRM_CAP_GEM_MMAP_ADVICE's POPULATE bit they map every page, so that
 *   touching the mapping afterwards costs no page fault.
 *
 * SUBTEST: map-populate-no-faults
 * Description: mmap(MAP_POPULATE) maps every page, and the right ones.
 *
 * SUBTEST: madv-populate-write-no-faults
 * Description: MADV_POPULATE_WRITE maps every page writable.
 *
 * SUBTEST: madv-populate-read-no-faults
 * Description: MADV_POPULATE_READ maps every page for reading.
 *
 * SUBTEST: fault-per-page-control
 * Description: Without populate, touching a mapping costs the driver's
 *   page faults: the no-faults subtests would catch a missing populate.
 *
 * SUBTEST: populate-write-readonly-einval
 * Description: MADV_POPULATE_WRITE on a read-only mapping fails with EINVAL
 *   and maps nothing; MADV_POPULATE_READ works.
 *
 * SUBTEST: map-private-refused
 * Description: A copy-on-write (MAP_PRIVATE) mapping of a BO is refused.
 */

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "igt_gem_mmap.h"

IGT_TEST_DESCRIPTION("MAP_POPULATE and MADV_POPULATE_* on GEM mmaps of every driver.");

#define BO_SIZE		(1024 * 1024)	/* 256 pages */
#define RW		(PROT_READ | PROT_WRITE)

/* Skips (the dynamic subtest) where the kernel cannot populate GEM mmaps. */
static void require_populate(int fd)
{
	igt_require_f(igt_gem_mmap_advice_caps(fd) & DRM_GEM_MMAP_ADVICE_POPULATE,
		      "DRM_CAP_GEM_MMAP_ADVICE has no POPULATE bit\n");
}

/*
 * Fill the BO, map it again with @flags and apply @advice (0: none):
 * touching every page must then cost no fault and show the pattern.
 */
static void check_populated(struct igt_gem_mmap_test *t, int flags, int advice,
			    enum igt_gem_mmap_touch how, uint32_t seed)
{
	long faults;
	void *p;

	require_populate(t->fd);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_gem_mmap_fill(p, t->bo.size, seed);
	igt_assert_eq(munmap(p, t->bo.size), 0);

	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED | flags);
	if (advice)
		igt_assert_f(madvise(p, t->bo.size, advice) == 0,
			     "madvise(%d): %m\n", advice);
	faults = igt_gem_mmap_touch_faults(p, t->bo.size, how);
	igt_assert_f(faults == 0, "%ld faults after populate\n", faults);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, seed));
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_fault_control(struct igt_gem_mmap_test *t)
{
	long npages = t->bo.size / 4096, faults;
	void *p;

	igt_require_f(t->fault_pages, "mmap() maps the whole BO itself\n");
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	faults = igt_gem_mmap_touch_faults(p, t->bo.size, IGT_GEM_MMAP_WRITE);
	igt_assert_f(faults >= 1 && faults >= npages / (long)t->fault_pages,
		     "%ld faults for %ld pages, at most %u pages a fault\n",
		     faults, npages, t->fault_pages);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_readonly(struct igt_gem_mmap_test *t)
{
	long faults;
	void *p;

	require_populate(t->fd);
	p = igt_gem_mmap_bo_map(&t->bo, PROT_READ, MAP_SHARED);
	igt_assert_eq(madvise(p, t->bo.size, MADV_POPULATE_WRITE), -1);
	igt_assert_eq(errno, EINVAL);
	igt_assert_eq(madvise(p, t->bo.size, MADV_POPULATE_READ), 0);
	faults = igt_gem_mmap_touch_faults(p, t->bo.size, IGT_GEM_MMAP_READ);
	igt_assert_f(faults == 0, "%ld faults after MADV_POPULATE_READ\n",
		     faults);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_map_private(struct igt_gem_mmap_test *t)
{
	void *p = __igt_gem_mmap_bo_map(&t->bo, RW, MAP_PRIVATE);

	if (p != MAP_FAILED)
		munmap(p, t->bo.size);
	igt_assert_f(p == MAP_FAILED && errno == EINVAL,
		     "MAP_PRIVATE mmap of a BO: %s\n",
		     p == MAP_FAILED ? strerror(errno) : "accepted");
}

static void test_map_populate(struct igt_gem_mmap_test *t)
{
	check_populated(t, MAP_POPULATE, 0, IGT_GEM_MMAP_RMW, 0x33000000);
}

static void test_madv_write(struct igt_gem_mmap_test *t)
{
	check_populated(t, 0, MADV_POPULATE_WRITE, IGT_GEM_MMAP_RMW, 0x44000000);
}

static void test_madv_read(struct igt_gem_mmap_test *t)
{
	check_populated(t, 0, MADV_POPULATE_READ, IGT_GEM_MMAP_READ, 0x55000000);
}

igt_main
{
	static const struct {
		const char *name;
		const char *describe;
		void (*fn)(struct igt_gem_mmap_test *t);
	} tests[] = {
		{ "map-populate-no-faults",
		  "mmap(MAP_POPULATE) maps every page, and the right ones.",
		  test_map_populate },
		{ "madv-populate-write-no-faults",
		  "MADV_POPULATE_WRITE maps every page writable.",
		  test_madv_write },
		{ "madv-populate-read-no-faults",
		  "MADV_POPULATE_READ maps every page for reading.",
		  test_madv_read },
		{ "fault-per-page-control",
		  "Without populate, touching a mapping costs the driver's page faults.",
		  test_fault_control },
		{ "populate-write-readonly-einval",
		  "MADV_POPULATE_WRITE on a read-only mapping is EINVAL; MADV_POPULATE_READ works.",
		  test_readonly },
		{ "map-private-refused",
		  "A copy-on-write (MAP_PRIVATE) mapping of a BO is refused with EINVAL.",
		  test_map_private },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(tests); i++) {
		igt_describe(tests[i].describe);
		igt_subtest_with_dynamic(tests[i].name)
			igt_gem_mmap_each_driver(0, BO_SIZE, tests[i].fn);
	}
}
