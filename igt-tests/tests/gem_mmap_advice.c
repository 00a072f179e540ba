// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 drm-gem-populate developers
 */

/**
 * TEST: gem mmap advice
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: madvise
 * Description: Purgeable buffer objects through the standard calls, on every
 *   driver whose DRM_CAP_GEM_MMAP_ADVICE has the PURGEABLE bit: madvise() on
 *   a shared mapping of a whole BO (MADV_FREE: purgeable, MADV_WILLNEED:
 *   needed again, EFAULT if purged, MADV_REMOVE: purge now, MADV_DONTNEED:
 *   only drop the page-table entries) and posix_fadvise() on the DRM fd at
 *   the BO's mmap offset. The standard-call mirrors of gem_madvise,
 *   vc4_purgeable_bo and msm_shrink's madvise subtests.
 *
 * SUBTEST: free-willneed-retained
 * Description: MADV_FREE then MADV_WILLNEED keeps the contents.
 *
 * SUBTEST: free-then-shrink-purges
 * Description: Reclaim purges a purgeable BO, and only it.
 *
 * SUBTEST: remove-sigbus
 * Description: After MADV_REMOVE, every access raises SIGBUS.
 *
 * SUBTEST: remove-new-mapping-sigbus
 * Description: New mappings of a purged BO, dma-buf ones included, raise
 *   SIGBUS.
 *
 * SUBTEST: remove-willneed-efault
 * Description: MADV_WILLNEED and POSIX_FADV_WILLNEED on a purged BO fail
 *   with EFAULT.
 *
 * SUBTEST: remove-populate-efault
 * Description: MADV_POPULATE_* on a purged BO fail with EFAULT.
 *
 * SUBTEST: dontneed-keeps-contents
 * Description: MADV_DONTNEED drops the entries of its range only, and keeps
 *   the contents.
 *
 * SUBTEST: partial-range-einval
 * Description: Advice on less than a whole BO fails with EINVAL and changes
 *   nothing.
 *
 * SUBTEST: readonly-mapping-eacces
 * Description: MADV_FREE and MADV_REMOVE need a writable mapping.
 *
 * SUBTEST: shared-bo-ebusy
 * Description: A BO exported as a dma-buf or flinked cannot be made
 *   purgeable or purged.
 *
 * SUBTEST: fadvise-unmapped
 * Description: posix_fadvise() on the DRM fd advises BOs without mappings.
 *
 * SUBTEST: remove-sigbus-in-child
 * Description: A purge revokes the mappings of every process: children
 *   with an inherited mapping or one of their own get SIGBUS.
 *
 * SUBTEST: dmabuf-mapping-cannot-purge
 * Description: A process with only the dma-buf cannot purge the BO
 *   through its mapping.
 *
 * SUBTEST: imported-bo-ebusy
 * Description: The importer of a BO cannot make it purgeable or purge it.
 *
 * SUBTEST: free-then-share-not-purged
 * Description: A purgeable BO exported or flinked afterwards is not
 *   purged, nor when its last handle is closed.
 *
 * SUBTEST: free-then-write
 * Description: A purgeable BO can be written and needed again with the
 *   new contents; until then reclaim may purge it.
 *
 * SUBTEST: process-madvise-willneed-ignored
 * Description: process_madvise(MADV_WILLNEED) from another process does
 *   not make a purgeable BO needed.
 *
 * SUBTEST: cap-bits
 * Description: DRM_CAP_GEM_MMAP_ADVICE has no unknown bits, and PURGEABLE
 *   comes with POPULATE.
 *
 * SUBTEST: purge-under-memory-pressure
 * Description: An allocation that needs more memory than is available gets
 *   it from the purgeable BOs; needed BOs keep every byte.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "igt.h"
#include "igt_gem_mmap.h"

IGT_TEST_DESCRIPTION("Purgeable GEM buffer objects through madvise() and posix_fadvise().");

#define BO_SIZE		(1024 * 1024)	/* 256 pages */
#define PAGE		4096
#define RW		(PROT_READ | PROT_WRITE)

/* Reads and writes of the first, middle and last page must raise SIGBUS. */
static void assert_sigbus(void *p, size_t size)
{
	size_t pages[] = { 0, size / PAGE / 2, size / PAGE - 1 };

	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++) {
		char *page = (char *)p + pages[i] * PAGE + 12;

		igt_assert_eq(igt_gem_mmap_access_signal(page, false), SIGBUS);
		igt_assert_eq(igt_gem_mmap_access_signal(page, true), SIGBUS);
	}
}

static void *map_filled(struct igt_gem_mmap_test *t, uint32_t seed)
{
	void *p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);

	igt_gem_mmap_fill(p, t->bo.size, seed);
	return p;
}

static void test_free_willneed(struct igt_gem_mmap_test *t)
{
	void *p = map_filled(t, 0x01000000);

	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x01000000));
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_free_shrink(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo needed;
	void *p, *q;

	igt_gem_mmap_bo_create(t->fd, BO_SIZE, &needed);
	q = igt_gem_mmap_bo_map(&needed, RW, MAP_SHARED);
	igt_gem_mmap_fill(q, needed.size, 0x02800000);
	p = map_filled(t, 0x02000000);
	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_gem_mmap_shrink_all();

	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_WILLNEED);
	assert_sigbus(p, t->bo.size);
	igt_assert_madvise(0, q, needed.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(q, needed.size, 0x02800000));
	igt_assert_eq(munmap(q, needed.size), 0);
	igt_assert_eq(munmap(p, t->bo.size), 0);
	igt_gem_mmap_bo_destroy(&needed);
}

static void test_remove_sigbus(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo untouched;
	void *p = map_filled(t, 0x03000000);

	igt_assert_madvise(0, p, t->bo.size, MADV_REMOVE);
	assert_sigbus(p, t->bo.size);
	igt_assert_madvise(0, p, t->bo.size, MADV_REMOVE);
	assert_sigbus(p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);

	igt_gem_mmap_bo_create(t->fd, BO_SIZE, &untouched);
	p = igt_gem_mmap_bo_map(&untouched, RW, MAP_SHARED);
	igt_assert_madvise(0, p, untouched.size, MADV_REMOVE);
	assert_sigbus(p, untouched.size);
	igt_assert_eq(munmap(p, untouched.size), 0);
	igt_gem_mmap_bo_destroy(&untouched);
}

static void test_remove_new_mapping(struct igt_gem_mmap_test *t)
{
	void *p = map_filled(t, 0x04000000);
	int dmabuf;

	igt_assert_madvise(0, p, t->bo.size, MADV_REMOVE);
	igt_assert_eq(munmap(p, t->bo.size), 0);

	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	assert_sigbus(p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);

	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED | MAP_POPULATE);
	assert_sigbus(p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);

	dmabuf = prime_handle_to_fd_for_mmap(t->fd, t->bo.handle);
	igt_require_f(dmabuf >= 0, "no dma-buf mmap on this driver\n");
	p = mmap(NULL, t->bo.size, RW, MAP_SHARED, dmabuf, 0);
	igt_assert(p != MAP_FAILED);
	assert_sigbus(p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);
	close(dmabuf);
}

static void test_remove_willneed(struct igt_gem_mmap_test *t)
{
	void *p = map_filled(t, 0x05000000);

	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_assert_madvise(0, p, t->bo.size, MADV_REMOVE);
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_WILLNEED);
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_WILLNEED);
	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_WILLNEED);
	igt_assert_fadvise(EFAULT, t->fd, t->bo.offset, 0, POSIX_FADV_WILLNEED);
	assert_sigbus(p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_remove_populate(struct igt_gem_mmap_test *t)
{
	void *p = map_filled(t, 0x06000000), *q;

	igt_assert_madvise(0, p, t->bo.size, MADV_REMOVE);
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_POPULATE_READ);
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_POPULATE_WRITE);
	igt_assert_madvise(EFAULT, (char *)p + PAGE, PAGE, MADV_POPULATE_READ);

	q = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_madvise(EFAULT, q, t->bo.size, MADV_POPULATE_READ);
	igt_assert_madvise(EFAULT, q, t->bo.size, MADV_POPULATE_WRITE);
	assert_sigbus(q, t->bo.size);
	igt_assert_eq(munmap(q, t->bo.size), 0);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_dontneed(struct igt_gem_mmap_test *t)
{
	const size_t half = t->bo.size / 2;
	long npages = t->bo.size / PAGE, faults;
	char *p = map_filled(t, 0x07000000);

	igt_require_f(t->fault_pages, "mmap() maps the whole BO itself\n");
	igt_assert_eq(igt_gem_mmap_touch_faults(p, t->bo.size, IGT_GEM_MMAP_READ), 0);

	igt_assert_madvise(0, p + half, t->bo.size - half, MADV_DONTNEED);
	igt_assert_eq(igt_gem_mmap_touch_faults(p, half, IGT_GEM_MMAP_READ), 0);
	faults = igt_gem_mmap_touch_faults(p + half, half, IGT_GEM_MMAP_READ);
	igt_assert_f(faults >= 1 && faults >= npages / 2 / (long)t->fault_pages,
		     "%ld faults for the %ld zapped pages\n", faults, npages / 2);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x07000000));

	/* Still needed. */
	igt_assert_madvise(0, p, t->bo.size, MADV_DONTNEED);
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x07000000));
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_partial(struct igt_gem_mmap_test *t)
{
	static const int advice[] = { MADV_FREE, MADV_REMOVE };
	const size_t size = t->bo.size;
	char *p = map_filled(t, 0x08000000), *q;

	for (unsigned int i = 0; i < ARRAY_SIZE(advice); i++) {
		igt_assert_madvise(EINVAL, p, size / 2, advice[i]);
		igt_assert_madvise(EINVAL, p + PAGE, size - PAGE, advice[i]);
		igt_assert_madvise(EINVAL, p, size - PAGE, advice[i]);
	}

	/* A whole mapping of the BO without its first page. */
	q = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_eq(munmap(q, PAGE), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(advice); i++)
		igt_assert_madvise(EINVAL, q + PAGE, size - PAGE, advice[i]);
	igt_assert_eq(munmap(q + PAGE, size - PAGE), 0);

	/* Nothing changed: needed, with its contents. */
	igt_assert_madvise(0, p, size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, size, 0x08000000));
	igt_assert_eq(munmap(p, size), 0);
}

static void test_readonly(struct igt_gem_mmap_test *t)
{
	char *p = map_filled(t, 0x09000000), *q;

	q = igt_gem_mmap_bo_map(&t->bo, PROT_READ, MAP_SHARED);
	igt_assert_madvise(EACCES, q, t->bo.size, MADV_FREE);
	igt_assert_madvise(EACCES, q, t->bo.size, MADV_REMOVE);
	igt_assert_madvise(0, q, t->bo.size, MADV_WILLNEED);
	igt_assert_madvise(0, q, t->bo.size, MADV_DONTNEED);
	igt_assert(igt_gem_mmap_check(q, t->bo.size, 0x09000000));
	igt_assert_eq(munmap(q, t->bo.size), 0);
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void check_busy(struct igt_gem_mmap_test *t, void *p)
{
	igt_assert_madvise(EBUSY, p, t->bo.size, MADV_FREE);
	igt_assert_madvise(EBUSY, p, t->bo.size, MADV_REMOVE);
	igt_assert_fadvise(EBUSY, t->fd, t->bo.offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x0a000000));
}

static void test_shared(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo flinked;
	void *p = map_filled(t, 0x0a000000);
	int dmabuf;

	dmabuf = prime_handle_to_fd(t->fd, t->bo.handle);
	check_busy(t, p);
	close(dmabuf);
	check_busy(t, p);	/* exported once is shared for good */
	igt_assert_eq(munmap(p, t->bo.size), 0);

	igt_gem_mmap_bo_create(t->fd, BO_SIZE, &flinked);
	igt_gem_mmap_bo_destroy(&t->bo);
	t->bo = flinked;
	p = map_filled(t, 0x0a000000);
	gem_flink(t->fd, t->bo.handle);
	check_busy(t, p);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_fadvise(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo unmapped;
	void *p = map_filled(t, 0x0b000000);

	igt_assert_eq(munmap(p, t->bo.size), 0);
	igt_assert_fadvise(0, t->fd, t->bo.offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_fadvise(0, t->fd, t->bo.offset, t->bo.size, POSIX_FADV_WILLNEED);
	igt_assert_fadvise(EINVAL, t->fd, t->bo.offset + PAGE, 0, POSIX_FADV_DONTNEED);
	igt_assert_fadvise(EINVAL, t->fd, t->bo.offset, t->bo.size / 2,
			   POSIX_FADV_DONTNEED);

	igt_gem_mmap_bo_create(t->fd, BO_SIZE, &unmapped);
	igt_assert_fadvise(0, t->fd, unmapped.offset, 0, POSIX_FADV_DONTNEED);
	igt_gem_mmap_shrink_all();
	igt_assert_fadvise(EFAULT, t->fd, unmapped.offset, 0, POSIX_FADV_WILLNEED);
	igt_assert_fadvise(0, t->fd, t->bo.offset, 0, POSIX_FADV_WILLNEED);
	p = igt_gem_mmap_bo_map(&t->bo, PROT_READ, MAP_SHARED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x0b000000));
	igt_assert_eq(munmap(p, t->bo.size), 0);
	igt_gem_mmap_bo_destroy(&unmapped);
}

static void test_remove_sigbus_in_child(struct igt_gem_mmap_test *t)
{
	char *p = map_filled(t, 0x0d000000), c;
	int ready[2], go[2];

	igt_assert_eq(pipe(ready), 0);
	igt_assert_eq(pipe(go), 0);
	igt_fork(child, 2) {
		char *q = p;

		/* Child 1 maps the BO itself; both fault every page in. */
		if (child)
			q = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
		igt_assert(igt_gem_mmap_check(q, t->bo.size, 0x0d000000));
		igt_assert_eq(write(ready[1], "r", 1), 1);
		igt_assert_eq(read(go[0], &c, 1), 1);
		assert_sigbus(q, t->bo.size);
	}
	close(ready[1]);	/* a child that died reads as end of file */
	close(go[0]);
	for (int i = 0; i < 2; i++)
		igt_assert_eq(read(ready[0], &c, 1), 1);
	igt_assert_madvise(0, p, t->bo.size, MADV_REMOVE);
	igt_assert_eq(write(go[1], "gg", 2), 2);
	igt_waitchildren();
	close(ready[0]);
	close(go[1]);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_dmabuf_mapping(struct igt_gem_mmap_test *t)
{
	void *p = map_filled(t, 0x0e000000);
	int dmabuf = prime_handle_to_fd_for_mmap(t->fd, t->bo.handle);
	bool i915 = is_i915_device(t->fd);

	igt_require_f(dmabuf >= 0, "no dma-buf mmap on this driver\n");
	igt_fork(child, 1) {
		void *d = mmap(NULL, t->bo.size, RW, MAP_SHARED, dmabuf, 0);
		int err;

		close(t->fd);
		igt_assert(d != MAP_FAILED);
		/* No advice hook: what any device or shmem mapping answers. */
		igt_assert_madvise(EINVAL, d, t->bo.size, MADV_FREE);
		err = madvise(d, t->bo.size, MADV_DONTNEED) ? errno : 0;
		igt_assert_f(!err || err == EINVAL, "MADV_DONTNEED: %s\n",
			     strerror(err));
		/* i915's dma-buf mmaps are of its shmem file, which this punches. */
		if (!i915)
			igt_assert_madvise(ENODEV, d, t->bo.size, MADV_REMOVE);
		posix_fadvise(dmabuf, 0, 0, POSIX_FADV_DONTNEED);
	}
	igt_waitchildren();
	close(dmabuf);

	igt_gem_mmap_shrink_all();
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x0e000000));
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_imported(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo imp;
	int dmabuf, fd2;
	char path[64];
	void *q;

	igt_assert_eq(munmap(map_filled(t, 0x0f000000), t->bo.size), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", t->fd);
	fd2 = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_lte(0, fd2);
	dmabuf = prime_handle_to_fd(t->fd, t->bo.handle);
	imp = t->bo;
	imp.fd = fd2;
	imp.handle = prime_fd_to_handle(fd2, dmabuf);
	close(dmabuf);

	q = igt_gem_mmap_bo_map(&imp, RW, MAP_SHARED);
	igt_assert_madvise(EBUSY, q, imp.size, MADV_FREE);
	igt_assert_madvise(EBUSY, q, imp.size, MADV_REMOVE);
	igt_assert_fadvise(EBUSY, fd2, imp.offset, 0, POSIX_FADV_DONTNEED);
	igt_assert_madvise(0, q, imp.size, MADV_WILLNEED);
	igt_assert_fadvise(0, fd2, imp.offset, 0, POSIX_FADV_WILLNEED);
	igt_gem_mmap_shrink_all();
	igt_assert_madvise(0, q, imp.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(q, imp.size, 0x0f000000));
	igt_assert_eq(munmap(q, imp.size), 0);
	close(fd2);
}

static void test_free_then_share(struct igt_gem_mmap_test *t)
{
	struct igt_gem_mmap_bo bo;
	int dmabuf;
	void *p, *d;

	/* Exported, and flinked, after MADV_FREE. */
	for (int flinked = 0; flinked < 2; flinked++) {
		igt_gem_mmap_bo_create(t->fd, t->bo.size, &bo);
		p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED);
		igt_gem_mmap_fill(p, bo.size, 0x10000000);
		igt_assert_madvise(0, p, bo.size, MADV_FREE);
		dmabuf = -1;
		if (flinked)
			gem_flink(t->fd, bo.handle);
		else
			dmabuf = prime_handle_to_fd(t->fd, bo.handle);
		igt_assert_madvise(EBUSY, p, bo.size, MADV_REMOVE);
		igt_gem_mmap_shrink_all();
		igt_assert_madvise(0, p, bo.size, MADV_WILLNEED);
		igt_assert(igt_gem_mmap_check(p, bo.size, 0x10000000));
		igt_assert_eq(munmap(p, bo.size), 0);
		if (dmabuf >= 0)
			close(dmabuf);
		igt_gem_mmap_bo_destroy(&bo);
	}

	/* Exported after MADV_FREE, its handle and mapping gone. */
	igt_gem_mmap_bo_create(t->fd, t->bo.size, &bo);
	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED);
	igt_gem_mmap_fill(p, bo.size, 0x10800000);
	igt_assert_madvise(0, p, bo.size, MADV_FREE);
	dmabuf = prime_handle_to_fd_for_mmap(t->fd, bo.handle);
	igt_require_f(dmabuf >= 0, "no dma-buf mmap on this driver\n");
	igt_assert_eq(munmap(p, bo.size), 0);
	igt_gem_mmap_bo_destroy(&bo);
	igt_gem_mmap_shrink_all();
	d = mmap(NULL, bo.size, PROT_READ, MAP_SHARED, dmabuf, 0);
	igt_assert(d != MAP_FAILED);
	igt_assert(igt_gem_mmap_check(d, bo.size, 0x10800000));
	igt_assert_eq(munmap(d, bo.size), 0);
	close(dmabuf);
}

static void test_free_then_write(struct igt_gem_mmap_test *t)
{
	long npages = t->bo.size / PAGE, faults;
	char *p = map_filled(t, 0x11000000);

	/* Mapped pages: written without a fault, kept by MADV_WILLNEED. */
	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_assert_eq(igt_gem_mmap_touch_faults(p, t->bo.size, IGT_GEM_MMAP_RMW), 0);
	igt_gem_mmap_fill(p, t->bo.size, 0x11800000);
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, 0x11800000));

	/* Zapped pages: faults map a purgeable BO's pages. */
	if (t->fault_pages) {
		igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
		igt_assert_madvise(0, p, t->bo.size, MADV_DONTNEED);
		faults = igt_gem_mmap_touch_faults(p, t->bo.size, IGT_GEM_MMAP_RMW);
		igt_assert_f(faults >= 1 && faults >= npages / (long)t->fault_pages,
			     "%ld faults for %ld zapped pages\n", faults, npages);
		igt_gem_mmap_fill(p, t->bo.size, 0x11000000);
		igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	}
	igt_gem_mmap_shrink_all();
	igt_assert_madvise(0, p, t->bo.size, MADV_WILLNEED);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, t->fault_pages ?
				      0x11000000 : 0x11800000));

	/* Written after MADV_FREE but not needed again: still purgeable. */
	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_gem_mmap_fill(p, t->bo.size, 0x11c00000);
	igt_gem_mmap_shrink_all();
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_WILLNEED);
	assert_sigbus(p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_process_madvise(struct igt_gem_mmap_test *t)
{
	char *p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);

	igt_assert_madvise(0, p, t->bo.size, MADV_FREE);
	igt_fork(child, 1) {
		struct iovec iov = { .iov_base = p, .iov_len = t->bo.size };
		int pidfd = syscall(SYS_pidfd_open, getppid(), 0);

		igt_assert_lte(0, pidfd);
		igt_assert_eq(syscall(SYS_process_madvise, pidfd, &iov, 1,
				      MADV_WILLNEED, 0), (long)t->bo.size);
	}
	igt_waitchildren();
	igt_gem_mmap_shrink_all();
	igt_assert_madvise(EFAULT, p, t->bo.size, MADV_WILLNEED);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_cap_bits(struct igt_gem_mmap_test *t)
{
	uint64_t caps = igt_gem_mmap_advice_caps(t->fd);

	igt_assert_eq_u64(caps & ~(uint64_t)(DRM_GEM_MMAP_ADVICE_POPULATE |
					     DRM_GEM_MMAP_ADVICE_PURGEABLE), 0);
	if (caps & DRM_GEM_MMAP_ADVICE_PURGEABLE)
		igt_assert(caps & DRM_GEM_MMAP_ADVICE_POPULATE);
}

struct pool_bo {
	struct igt_gem_mmap_bo bo;
	void *map;		/* NULL when unmapped */
	uint32_t seed;
};

#define POOL_BO_SIZE	(4u << 20)

static uint64_t mem_available(void)
{
	unsigned long long kib = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	igt_assert(kib);
	return (uint64_t)kib << 10;
}

static bool set_oom_score_adj(const char *adj)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, adj, strlen(adj)) == (ssize_t)strlen(adj);
	close(fd);
	return ok;
}

/* Touch @bytes of anonymous memory: only purging can provide all of it. */
static void anon_pressure(uint64_t bytes)
{
	const size_t chunk = 16u << 20;

	for (uint64_t done = 0; done < bytes; done += chunk) {
		char *p = mmap(NULL, chunk, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		igt_assert(p != MAP_FAILED);
		for (size_t i = 0; i < chunk; i += PAGE)
			p[i] = 1;
	}
}

static void test_pressure(struct igt_gem_mmap_test *t)
{
	uint64_t avail = mem_available(), push;
	unsigned int nn, np, n, purged = 0;
	struct pool_bo *pool;

	igt_require_f(!is_vc4_device(t->fd),
		      "vc4 BOs are CMA: vc4_purgeable_bo covers its purge on allocation\n");
	igt_require(avail > 64u << 20);

	/*
	 * Needed BOs: an eighth of what is available, purgeable ones half of
	 * it (every other one unmapped and advised with posix_fadvise()). The
	 * child then asks for what is left plus three quarters of the
	 * purgeable pool, which only purging can give it: there is no swap
	 * to count on, and the test shields itself from the OOM killer, so
	 * that an OOM kill hits the child and fails the subtest.
	 */
	nn = avail / 8 / POOL_BO_SIZE;
	np = avail / 2 / POOL_BO_SIZE;
	n = nn + np;
	pool = calloc(n, sizeof(*pool));
	igt_assert(pool);
	for (unsigned int i = 0; i < n; i++) {
		igt_gem_mmap_bo_create(t->fd, POOL_BO_SIZE, &pool[i].bo);
		pool[i].map = igt_gem_mmap_bo_map(&pool[i].bo, RW, MAP_SHARED);
		pool[i].seed = 0x0c000000 + (i << 8);
		igt_gem_mmap_fill(pool[i].map, POOL_BO_SIZE, pool[i].seed);
	}
	for (unsigned int i = nn; i < n; i++) {
		struct pool_bo *b = &pool[i];

		if (i % 2) {
			igt_assert_madvise(0, b->map, POOL_BO_SIZE, MADV_FREE);
			continue;
		}
		igt_assert_eq(munmap(b->map, POOL_BO_SIZE), 0);
		b->map = NULL;
		igt_assert_fadvise(0, t->fd, b->bo.offset, 0, POSIX_FADV_DONTNEED);
	}

	avail = mem_available();
	push = avail + (uint64_t)np * POOL_BO_SIZE / 4 * 3;
	igt_info("needed %u MiB, purgeable %u MiB, available %" PRIu64 " MiB, child takes %" PRIu64 " MiB\n",
		 nn * 4, np * 4, avail >> 20, push >> 20);
	igt_require_f(set_oom_score_adj("-1000"), "cannot set oom_score_adj\n");
	igt_fork(child, 1) {
		igt_assert(set_oom_score_adj("1000"));
		anon_pressure(push);
	}
	igt_waitchildren();
	igt_assert(set_oom_score_adj("1000"));	/* back to igt_core's */

	for (unsigned int i = 0; i < n; i++) {
		struct pool_bo *b = &pool[i];
		int err = 0;

		if (i >= nn && b->map)
			err = madvise(b->map, POOL_BO_SIZE, MADV_WILLNEED) ? errno : 0;
		else if (i >= nn)
			err = posix_fadvise(t->fd, b->bo.offset, 0, POSIX_FADV_WILLNEED);
		igt_assert_f(!err || (err == EFAULT && i >= nn),
			     "%s BO %u: WILLNEED gave %s\n",
			     i < nn ? "needed" : "purgeable", i, strerror(err));
		if (err) {
			purged++;
		} else {
			if (!b->map)
				b->map = igt_gem_mmap_bo_map(&b->bo, PROT_READ, MAP_SHARED);
			igt_assert_f(igt_gem_mmap_check(b->map, POOL_BO_SIZE, b->seed),
				     "%s BO %u lost its contents\n",
				     i < nn ? "needed" : "purgeable", i);
		}
		if (b->map)
			igt_assert_eq(munmap(b->map, POOL_BO_SIZE), 0);
		igt_gem_mmap_bo_destroy(&b->bo);
	}
	free(pool);
	igt_info("purgeable BOs: %u purged, %u kept\n", purged, np - purged);

	/*
	 * What the child took beyond what was available came from purging
	 * (MemAvailable is an estimate: allow it to be off by half).
	 */
	igt_assert_lte_u64((push - avail) / 2, (uint64_t)purged * POOL_BO_SIZE);
}

igt_main
{
	static const struct igt_gem_mmap_subtest tests[] = {
		{ "free-willneed-retained",
		  "MADV_FREE then MADV_WILLNEED keeps the contents.",
		  test_free_willneed },
		{ "free-then-shrink-purges",
		  "Reclaim purges a purgeable BO, and only it.",
		  test_free_shrink },
		{ "remove-sigbus",
		  "After MADV_REMOVE, every access raises SIGBUS.",
		  test_remove_sigbus },
		{ "remove-new-mapping-sigbus",
		  "New mappings of a purged BO, dma-buf ones included, raise SIGBUS.",
		  test_remove_new_mapping },
		{ "remove-willneed-efault",
		  "MADV_WILLNEED and POSIX_FADV_WILLNEED on a purged BO fail with EFAULT.",
		  test_remove_willneed },
		{ "remove-populate-efault",
		  "MADV_POPULATE_* on a purged BO fail with EFAULT.",
		  test_remove_populate },
		{ "dontneed-keeps-contents",
		  "MADV_DONTNEED drops the entries of its range only, and keeps the contents.",
		  test_dontneed },
		{ "partial-range-einval",
		  "Advice on less than a whole BO fails with EINVAL and changes nothing.",
		  test_partial },
		{ "readonly-mapping-eacces",
		  "MADV_FREE and MADV_REMOVE need a writable mapping.",
		  test_readonly },
		{ "shared-bo-ebusy",
		  "A BO exported as a dma-buf or flinked cannot be made purgeable or purged.",
		  test_shared },
		{ "fadvise-unmapped",
		  "posix_fadvise() on the DRM fd advises BOs without mappings.",
		  test_fadvise },
		{ "remove-sigbus-in-child",
		  "A purge revokes the mappings of every process: children with an inherited mapping or one of their own get SIGBUS.",
		  test_remove_sigbus_in_child },
		{ "dmabuf-mapping-cannot-purge",
		  "A process with only the dma-buf cannot purge the BO through its mapping.",
		  test_dmabuf_mapping },
		{ "imported-bo-ebusy",
		  "The importer of a BO cannot make it purgeable or purge it.",
		  test_imported },
		{ "free-then-share-not-purged",
		  "A purgeable BO exported or flinked afterwards is not purged, nor when its last handle is closed.",
		  test_free_then_share },
		{ "free-then-write",
		  "A purgeable BO can be written and needed again with the new contents; until then reclaim may purge it.",
		  test_free_then_write },
		{ "process-madvise-willneed-ignored",
		  "process_madvise(MADV_WILLNEED) from another process does not make a purgeable BO needed.",
		  test_process_madvise },
		{ "purge-under-memory-pressure",
		  "An allocation that needs more memory than is available gets it from the purgeable BOs; needed BOs keep every byte.",
		  test_pressure },
	};

	igt_gem_mmap_subtests(tests, ARRAY_SIZE(tests), DRM_GEM_MMAP_ADVICE_PURGEABLE, BO_SIZE);

	igt_describe("DRM_CAP_GEM_MMAP_ADVICE has no unknown bits, and PURGEABLE comes with POPULATE.");
	igt_subtest_with_dynamic("cap-bits")
		igt_gem_mmap_each_driver(0, BO_SIZE, test_cap_bits);
}
