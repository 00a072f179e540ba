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
 *
 * SUBTEST: mmap-shows-written-data
 * Description: What is written through a plain or a MAP_POPULATE mapping
 *   reads back through a new mapping.
 *
 * SUBTEST: populate-errors
 * Description: PROT_NONE mappings and unaligned starts: EINVAL, nothing
 *   populated; a range ending in a hole: ENOMEM, after the BO was populated.
 *
 * SUBTEST: populate-split-mapping
 * Description: Populating the pieces of a mapping split by munmap() or
 *   mprotect() maps each page at its own offset, with each piece's
 *   permissions, and nothing outside the range.
 *
 * SUBTEST: populate-after-fork
 * Description: A child populates and writes a mapping it inherited; the
 *   parent reads what it wrote.
 *
 * SUBTEST: populate-races-munmap
 * Description: MADV_POPULATE_WRITE racing munmap() and a new mmap() of its
 *   range returns 0 or ENOMEM, never anything else, and populates after.
 *
 * SUBTEST: mlock-does-not-populate
 * Description: mlock() of a GEM mapping succeeds and populates nothing.
 *
 * SUBTEST: dmabuf-mmap-populates
 * Description: MAP_POPULATE and MADV_POPULATE_WRITE map every page of a
 *   mapping of the BO's dma-buf, with the BO's data.
 *
 * SUBTEST: cap-reports-populate
 * Description: DRM_CAP_GEM_MMAP_ADVICE's POPULATE bit says what
 *   MADV_POPULATE_WRITE does: set, it maps every page; clear, EINVAL.
 *
 * SUBTEST: huge-pages
 * Description: With huge pages off and on (the shmem mount at
 *   huge=within_size), an 8 MiB BO populates with no fault left and the
 *   right contents; where huge pages back it (always on vgem), a shmem
 *   helper fault maps one huge page, else one page; split
 *   mappings, MADV_DONTNEED of one page and fork keep the contents.
 *
 * SUBTEST: bochs-vram-scanout
 * Description: A bochs BO that scanout pinned in VRAM keeps its data and is
 *   populated through the PCI BAR by MAP_POPULATE and MADV_POPULATE_WRITE.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "igt.h"
#include "igt_device.h"
#include "igt_gem_mmap.h"

IGT_TEST_DESCRIPTION("MAP_POPULATE and MADV_POPULATE_* on GEM mmaps of every driver.");

#define BO_SIZE		(1024 * 1024)	/* 256 pages */
#define PAGE		4096
#define RW		(PROT_READ | PROT_WRITE)
#define RACE_ROUNDS	2000	/* populate-races-munmap: remaps, at most */
#define RACE_NSEC	(2 * NSEC_PER_SEC)	/* ... and time */

/* Skips (the dynamic subtest) where the kernel cannot populate GEM mmaps. */
static void require_populate(int fd)
{
	igt_require_f(igt_gem_mmap_advice_caps(fd) & DRM_GEM_MMAP_ADVICE_POPULATE,
		      "DRM_CAP_GEM_MMAP_ADVICE has no POPULATE bit\n");
}

/*
 * Touching @len bytes at @p that nothing populated takes the fault path;
 * not to be seen where mmap() maps the whole BO (vc4).
 */
static void assert_faulted(struct igt_gem_mmap_test *t, void *p, size_t len)
{
	long faults = igt_gem_mmap_touch_faults(p, len, IGT_GEM_MMAP_WRITE);

	if (t->fault_pages)
		igt_gem_mmap_assert_faulted(t->fault_pages, faults, len / PAGE);
	else
		igt_info("no fault path to check: mmap() maps the whole BO\n");
}

/* Touching @len bytes at @p costs no fault: they were populated. */
static void assert_no_faults(void *p, size_t len, enum igt_gem_mmap_touch how)
{
	long faults = igt_gem_mmap_touch_faults(p, len, how);

	igt_assert_f(faults == 0, "%ld faults for %zu populated pages\n",
		     faults, len / PAGE);
}

#define HUGE_BO_SIZE	(8u << 20)	/* four huge pages */
#define HUGE_PAGE	(2u << 20)
static char saved_shmem_enabled[32];

static void restore_shmem_enabled(int sig)
{
	if (saved_shmem_enabled[0])
		igt_gem_mmap_set_shmem_enabled(saved_shmem_enabled);
}

/* kB of shmem huge pages in use (/proc/meminfo ShmemHugePages). */
static long shmem_huge_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ShmemHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void *map_filled(struct igt_gem_mmap_test *t, uint32_t seed)
{
	void *p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);

	igt_gem_mmap_fill(p, t->bo.size, seed);
	return p;
}

/*
 * Fill the BO, map it again with @flags and apply @advice (0: none):
 * touching every page must then cost no fault and show the pattern.
 */
static void check_populated(struct igt_gem_mmap_test *t, int flags, int advice,
			    enum igt_gem_mmap_touch how, uint32_t seed)
{
	void *p;

	require_populate(t->fd);
	igt_assert_eq(munmap(map_filled(t, seed), t->bo.size), 0);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED | flags);
	if (advice)
		igt_assert_f(madvise(p, t->bo.size, advice) == 0,
			     "madvise(%d): %m\n", advice);
	assert_no_faults(p, t->bo.size, how);
	igt_assert(igt_gem_mmap_check(p, t->bo.size, seed));
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_fault_control(struct igt_gem_mmap_test *t)
{
	void *p;

	igt_require_f(t->fault_pages, "mmap() maps the whole BO itself\n");
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	assert_faulted(t, p, t->bo.size);
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

static void test_readonly(struct igt_gem_mmap_test *t)
{
	void *p;

	require_populate(t->fd);
	p = igt_gem_mmap_bo_map(&t->bo, PROT_READ, MAP_SHARED);
	igt_assert_madvise(EINVAL, p, t->bo.size, MADV_POPULATE_WRITE);
	igt_assert_madvise(0, p, t->bo.size, MADV_POPULATE_READ);
	assert_no_faults(p, t->bo.size, IGT_GEM_MMAP_READ);
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

static void test_written_data(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size;
	void *p, *q;

	igt_assert_eq(munmap(map_filled(t, 0x11000000), size), 0);
	q = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert(igt_gem_mmap_check(q, size, 0x11000000));

	/* Writes through a MAP_POPULATE mapping reach the BO too. */
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED | MAP_POPULATE);
	igt_gem_mmap_fill(p, size, 0x22000000);
	igt_assert(igt_gem_mmap_check(q, size, 0x22000000));
	igt_assert_eq(munmap(q, size), 0);
	igt_assert_eq(munmap(p, size), 0);
}

static void test_errors(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size;
	char *p, *r;

	require_populate(t->fd);
	p = igt_gem_mmap_bo_map(&t->bo, PROT_NONE, MAP_SHARED);
	igt_assert_madvise(EINVAL, p, size, MADV_POPULATE_READ);
	igt_assert_madvise(EINVAL, p, size, MADV_POPULATE_WRITE);
	igt_assert_eq(munmap(p, size), 0);

	/* Unaligned start: refused before anything is populated. */
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_madvise(EINVAL, p + 1, size - PAGE, MADV_POPULATE_WRITE);
	igt_assert_madvise(EINVAL, p + 1, size - PAGE, MADV_POPULATE_READ);
	assert_faulted(t, p, size);
	igt_assert_eq(munmap(p, size), 0);

	/* The BO, then a hole: ENOMEM, with the BO populated. */
	r = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(r != MAP_FAILED);
	p = mmap(r, size, RW, MAP_SHARED | MAP_FIXED, t->fd, t->bo.offset);
	igt_assert(p == r);
	igt_assert_eq(munmap(r + size, size), 0);
	igt_assert_madvise(ENOMEM, p, 2 * size, MADV_POPULATE_WRITE);
	assert_no_faults(p, size, IGT_GEM_MMAP_RMW);
	igt_assert_eq(munmap(p, size), 0);
}

static void test_split(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size, n = size / PAGE, mid = n / 2;
	const size_t third = n / 3 * PAGE;
	const uint32_t seed = 0x66000000;
	char *p;

	require_populate(t->fd);
	igt_assert_lte(4, n);
	igt_assert_eq(munmap(map_filled(t, seed), size), 0);

	/* munmap() leaves pages [1, mid) and [mid + 1, n). */
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_eq(munmap(p, PAGE), 0);
	igt_assert_eq(munmap(p + mid * PAGE, PAGE), 0);
	igt_assert_madvise(0, p + PAGE, (mid - 1) * PAGE, MADV_POPULATE_WRITE);
	igt_assert_madvise(0, p + (mid + 1) * PAGE, (n - mid - 1) * PAGE,
			   MADV_POPULATE_WRITE);
	assert_no_faults(p + PAGE, (mid - 1) * PAGE, IGT_GEM_MMAP_RMW);
	assert_no_faults(p + (mid + 1) * PAGE, (n - mid - 1) * PAGE,
			 IGT_GEM_MMAP_RMW);
	igt_assert(igt_gem_mmap_check_at(p + PAGE, (mid - 1) * PAGE, PAGE, seed));
	igt_assert(igt_gem_mmap_check_at(p + (mid + 1) * PAGE,
					 (n - mid - 1) * PAGE,
					 (mid + 1) * PAGE, seed));
	igt_assert_eq(munmap(p + PAGE, (mid - 1) * PAGE), 0);
	igt_assert_eq(munmap(p + (mid + 1) * PAGE, (n - mid - 1) * PAGE), 0);

	/* The fault path too, on a mapping without its head. */
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_eq(munmap(p, PAGE), 0);
	igt_assert(igt_gem_mmap_check_at(p + PAGE, size - PAGE, PAGE, seed));
	igt_assert_eq(munmap(p + PAGE, size - PAGE), 0);

	/* mprotect() makes RW | R | RW VMAs: each keeps its permissions. */
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_eq(mprotect(p + third, third, PROT_READ), 0);
	igt_assert_madvise(0, p, size, MADV_POPULATE_READ);
	assert_no_faults(p, size, IGT_GEM_MMAP_READ);
	igt_assert_madvise(EINVAL, p, size, MADV_POPULATE_WRITE);
	igt_assert_madvise(0, p, third, MADV_POPULATE_WRITE);
	assert_no_faults(p, third, IGT_GEM_MMAP_WRITE);
	igt_assert_eq(munmap(p, size), 0);

	/* Populating the first VMA leaves the last one alone. */
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_eq(mprotect(p + third, third, PROT_READ), 0);
	igt_assert_madvise(0, p, third, MADV_POPULATE_WRITE);
	assert_no_faults(p, third, IGT_GEM_MMAP_WRITE);
	assert_faulted(t, p + 2 * third, size - 2 * third);
	igt_assert_eq(munmap(p, size), 0);
}

/*
 * A child populates the inherited mapping @p for writing, takes no fault
 * writing @seed's pattern through it, and the parent reads that pattern.
 */
static void child_populates_and_writes(char *p, size_t size, uint32_t seed)
{
	igt_fork(child, 1) {
		igt_assert_madvise(0, p, size, MADV_POPULATE_WRITE);
		assert_no_faults(p, size, IGT_GEM_MMAP_WRITE);
		igt_gem_mmap_fill(p, size, seed);
	}
	igt_waitchildren();
	igt_assert(igt_gem_mmap_check(p, size, seed));
}

static void test_fork(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size;
	char *p;

	require_populate(t->fd);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	child_populates_and_writes(p, size, 0x77000000);
	igt_assert_eq(munmap(p, size), 0);
}

struct race {
	char *addr;
	size_t len;
	atomic_bool stop;
	atomic_long populated;	/* calls that returned 0 */
	atomic_long unmapped;	/* ... ENOMEM */
	atomic_long failed;	/* ... anything else */
	atomic_int bad_errno;
};

static void *populate_loop(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		int err = madvise(r->addr, r->len, MADV_POPULATE_WRITE) ? errno : 0;

		if (!err) {
			atomic_fetch_add(&r->populated, 1);
		} else if (err == ENOMEM) {
			atomic_fetch_add(&r->unmapped, 1);
		} else {
			atomic_fetch_add(&r->failed, 1);
			atomic_store(&r->bad_errno, err);
		}
	}
	return NULL;
}

static void test_race(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size;
	struct timespec start = {};
	struct race r = {};
	int rounds, err = 0;
	pthread_t thread;
	char *p, *q;

	require_populate(t->fd);
	p = map_filled(t, 0x88000000);
	r.addr = p;
	r.len = size;
	igt_assert_eq(pthread_create(&thread, NULL, populate_loop, &r), 0);
	igt_nsec_elapsed(&start);
	for (rounds = 0; rounds < RACE_ROUNDS; rounds++) {
		if (igt_nsec_elapsed(&start) >= RACE_NSEC)
			break;
		if (munmap(p, size)) {
			err = errno;
			break;
		}
		/* Nothing else maps here meanwhile: NOREPLACE would tell. */
		q = mmap(p, size, RW, MAP_SHARED | MAP_FIXED_NOREPLACE, t->fd,
			 t->bo.offset);
		if (q != p) {
			err = q == MAP_FAILED ? errno : EADDRNOTAVAIL;
			if (q != MAP_FAILED)
				munmap(q, size);
			break;
		}
	}
	atomic_store(&r.stop, true);
	igt_assert_eq(pthread_join(thread, NULL), 0);

	igt_assert_f(!err, "round %d, remapping the BO: %s\n", rounds,
		     strerror(err));
	igt_assert_f(!atomic_load(&r.failed),
		     "populate failed %ld times, last with %s; only ENOMEM is allowed\n",
		     atomic_load(&r.failed), strerror(atomic_load(&r.bad_errno)));
	igt_info("%d remaps; populate: %ld done, %ld hit the unmapped range\n",
		 rounds, atomic_load(&r.populated), atomic_load(&r.unmapped));
	igt_assert_madvise(0, p, size, MADV_POPULATE_WRITE);
	assert_no_faults(p, size, IGT_GEM_MMAP_RMW);
	igt_assert(igt_gem_mmap_check(p, size, 0x88000000));
	igt_assert_eq(munmap(p, size), 0);
}

static void test_mlock(struct igt_gem_mmap_test *t)
{
	const size_t size = t->bo.size;
	struct rlimit rl;
	void *p;

	/* mlock() checks RLIMIT_MEMLOCK, though it locks nothing here. */
	igt_assert_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	igt_assert_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	igt_require_f(rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= size ||
		      !geteuid(), "RLIMIT_MEMLOCK too low to mlock the BO\n");
	igt_require_f(t->fault_pages, "mmap() maps the whole BO itself\n");
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	igt_assert_f(mlock(p, size) == 0, "mlock: %m\n");
	assert_faulted(t, p, size);
	igt_assert_f(munlock(p, size) == 0, "munlock: %m\n");
	igt_assert_eq(munmap(p, size), 0);
}

static void test_dmabuf(struct igt_gem_mmap_test *t)
{
	const int flags[] = { MAP_SHARED | MAP_POPULATE, MAP_SHARED };
	const size_t size = t->bo.size;
	int dmabuf;
	void *p;

	require_populate(t->fd);
	igt_assert_eq(munmap(map_filled(t, 0xd1ab0000), size), 0);
	dmabuf = prime_handle_to_fd_for_mmap(t->fd, t->bo.handle);
	igt_assert_f(dmabuf >= 0, "exporting the BO: %m\n");
	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		p = mmap(NULL, size, RW, flags[i], dmabuf, 0);
		igt_assert_f(p != MAP_FAILED, "mmap of the dma-buf: %m\n");
		if (!(flags[i] & MAP_POPULATE))
			igt_assert_madvise(0, p, size, MADV_POPULATE_WRITE);
		assert_no_faults(p, size, IGT_GEM_MMAP_RMW);
		igt_assert(igt_gem_mmap_check(p, size, 0xd1ab0000));
		igt_assert_eq(munmap(p, size), 0);
	}
	close(dmabuf);
}

static void test_cap(struct igt_gem_mmap_test *t)
{
	uint64_t caps = 0;
	void *p;

	igt_require_f(drmGetCap(t->fd, DRM_CAP_GEM_MMAP_ADVICE, &caps) == 0,
		      "no DRM_CAP_GEM_MMAP_ADVICE: %m\n");
	igt_info("DRM_CAP_GEM_MMAP_ADVICE: 0x%" PRIx64 "\n", caps);
	p = igt_gem_mmap_bo_map(&t->bo, RW, MAP_SHARED);
	if (caps & DRM_GEM_MMAP_ADVICE_POPULATE) {
		igt_assert_madvise(0, p, t->bo.size, MADV_POPULATE_WRITE);
		assert_no_faults(p, t->bo.size, IGT_GEM_MMAP_RMW);
	} else {
		igt_assert_madvise(EINVAL, p, t->bo.size, MADV_POPULATE_WRITE);
	}
	igt_assert_eq(munmap(p, t->bo.size), 0);
}

/* Pages of VRAM in use: debugfs vram-mm, "total: N, used N free N"; or -1. */
static long vram_used(int fd)
{
	int dfd = igt_debugfs_open(fd, "vram-mm", O_RDONLY);
	char line[256];
	long used = -1;
	FILE *f;

	if (dfd < 0)
		return -1;
	f = fdopen(dfd, "r");
	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "total:", 6))
			sscanf(line, "total: %*u, used %ld", &used);
	fclose(f);
	return used;
}

static int open_bochs(void)
{
	unsigned int idx;
	char name[32];
	int fd;

	for_each_gem_mmap_device(idx, fd, name) {
		if (!strcmp(name, "bochs-drm"))
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * bochs keeps dumb buffers in system memory until scanout pins one in VRAM;
 * then populate maps the PCI BAR (drm_gem_ttm_populate()).
 */
static void test_bochs_vram_scanout(int fd)
{
	const uint32_t seed = 0x5c000000;
	struct igt_gem_mmap_bo bo;
	igt_display_t display;
	drmModeModeInfo *mode;
	igt_output_t *output;
	igt_plane_t *primary;
	struct igt_fb fb;
	long vram;
	void *p;

	igt_device_set_master(fd);
	igt_display_require(&display, fd);
	output = igt_get_single_output_for_pipe(&display, PIPE_A);
	igt_require_f(output, "no output on pipe A\n");
	igt_output_set_pipe(output, PIPE_A);
	mode = igt_output_get_mode(output);
	igt_create_fb(fd, mode->hdisplay, mode->vdisplay, DRM_FORMAT_XRGB8888,
		      DRM_FORMAT_MOD_LINEAR, &fb);
	igt_gem_mmap_bo_wrap_dumb(fd, fb.gem_handle, fb.size, &bo);
	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED);
	igt_gem_mmap_fill(p, bo.size, seed);
	igt_assert_eq(munmap(p, bo.size), 0);

	vram = vram_used(fd);
	igt_assert_f(vram >= 0, "no debugfs vram-mm for the bochs device\n");
	primary = igt_output_get_plane_type(output, DRM_PLANE_TYPE_PRIMARY);
	igt_plane_set_fb(primary, &fb);
	igt_display_commit2(&display, COMMIT_LEGACY);
	igt_info("VRAM pages used: %ld, %ld with the %" PRIu64 "-page BO scanned out\n",
		 vram, vram_used(fd), bo.size / PAGE);
	igt_assert_f(vram_used(fd) >= vram + (long)(bo.size / PAGE),
		     "the scanned-out BO did not move into VRAM\n");

	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED | MAP_POPULATE);
	assert_no_faults(p, bo.size, IGT_GEM_MMAP_READ);
	igt_assert(igt_gem_mmap_check(p, bo.size, seed));
	igt_assert_eq(munmap(p, bo.size), 0);

	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED);
	igt_assert_madvise(0, p, bo.size, MADV_POPULATE_WRITE);
	assert_no_faults(p, bo.size, IGT_GEM_MMAP_RMW);
	igt_assert(igt_gem_mmap_check(p, bo.size, seed));
	igt_assert_eq(munmap(p, bo.size), 0);

	igt_plane_set_fb(primary, NULL);
	igt_output_set_pipe(output, PIPE_NONE);
	igt_display_commit2(&display, COMMIT_LEGACY);
	igt_remove_fb(fd, &fb);
	igt_display_fini(&display);
}

static bool is_vgem(int fd)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool vgem = v && !strcmp(v->name, "vgem");

	drmFreeVersion(v);
	return vgem;
}

/*
 * One 8 MiB BO with the shmem mount's huge pages at @mode ("never" or
 * "within_size"), populated, faulted, split and shared across fork().
 */
static void huge_pages_round(struct igt_gem_mmap_test *t, const char *mode)
{
	const size_t size = HUGE_BO_SIZE, n = size / PAGE;
	struct igt_gem_mmap_bo bo;
	const bool vgem = is_vgem(t->fd);
	long kb, faults;
	bool huge;
	char *p;

	igt_assert_f(!igt_gem_mmap_set_shmem_enabled(mode), "%s: %s: %m\n",
		     IGT_GEM_MMAP_SHMEM_ENABLED, mode);
	/* Some drivers allocate at creation (virtio-gpu), most at first use. */
	kb = shmem_huge_kb();
	igt_gem_mmap_bo_create(t->fd, size, &bo);

	/* Populate: no fault left, and the pages the BO has. */
	p = igt_gem_mmap_bo_map(&bo, RW, MAP_SHARED | MAP_POPULATE);
	huge = shmem_huge_kb() - kb >= (long)(size >> 10);
	assert_no_faults(p, size, IGT_GEM_MMAP_WRITE);
	igt_gem_mmap_fill(p, size, 0x12000000);
	igt_info("%s: %s huge pages for the BO\n", mode, huge ? "got" : "no");
	igt_assert(igt_gem_mmap_check(p, size, 0x12000000));

	/*
	 * Faults: where huge pages back the BO and a fault maps one page (the
	 * shmem helpers), the huge_fault handler maps one huge page a fault.
	 */
	igt_assert_madvise(0, p, size, MADV_DONTNEED);
	faults = igt_gem_mmap_touch_faults(p, size, IGT_GEM_MMAP_READ);
	igt_info("%s: %ld faults reading %zu pages\n", mode, faults, n);
	if (vgem && (igt_gem_mmap_vgem_huge_pages() || !strcmp(mode, "within_size")))
		igt_require_f(huge, "tmpfs gave vgem no huge pages\n");
	if (huge && (t->fault_pages == 1 || t->fault_pages == 512))
		igt_assert_f(faults == (long)(size / HUGE_PAGE),
			     "%ld faults for %zu huge pages\n", faults, size / HUGE_PAGE);
	else if (t->fault_pages == 1)
		igt_assert_f(faults == (long)n, "%ld faults for %zu pages\n", faults, n);
	igt_assert(igt_gem_mmap_check(p, size, 0x12000000));

	/* MADV_DONTNEED of one page inside a huge page keeps every page. */
	igt_assert_madvise(0, p + 3 * PAGE, PAGE, MADV_DONTNEED);
	igt_assert(igt_gem_mmap_check(p, size, 0x12000000));

	/* A child populates, writes; the parent sees it. */
	child_populates_and_writes(p, size, 0x13000000);

	/* Split inside the first huge page, and mprotect() in the second. */
	igt_assert_eq(munmap(p + PAGE, PAGE), 0);
	igt_assert_eq(mprotect(p + HUGE_PAGE + PAGE, PAGE, PROT_READ), 0);
	igt_assert_madvise(0, p + 2 * PAGE, size - 2 * PAGE, MADV_POPULATE_READ);
	assert_no_faults(p + 2 * PAGE, size - 2 * PAGE, IGT_GEM_MMAP_READ);
	igt_assert(igt_gem_mmap_check_at(p, PAGE, 0, 0x13000000));
	igt_assert(igt_gem_mmap_check_at(p + 2 * PAGE, size - 2 * PAGE, 2 * PAGE,
					 0x13000000));
	igt_assert_eq(munmap(p, PAGE), 0);
	igt_assert_eq(munmap(p + 2 * PAGE, size - 2 * PAGE), 0);
	igt_gem_mmap_bo_destroy(&bo);
}

static void test_huge_pages(struct igt_gem_mmap_test *t)
{
	char mode[32];

	require_populate(t->fd);
	igt_gem_mmap_thp_mode(IGT_GEM_MMAP_THP_ENABLED, mode, sizeof(mode));
	igt_require_f(!strcmp(mode, "always"),
		      "transparent_hugepage/enabled is \"%s\", not always\n", mode);
	if (!saved_shmem_enabled[0]) {
		igt_gem_mmap_thp_mode(IGT_GEM_MMAP_SHMEM_ENABLED, saved_shmem_enabled,
				      sizeof(saved_shmem_enabled));
		igt_require_f(saved_shmem_enabled[0], "no %s\n",
			      IGT_GEM_MMAP_SHMEM_ENABLED);
		igt_install_exit_handler(restore_shmem_enabled);
	}
	huge_pages_round(t, "never");
	huge_pages_round(t, "within_size");
	restore_shmem_enabled(0);
}

igt_main
{
	static const struct igt_gem_mmap_subtest tests[] = {
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
		{ "mmap-shows-written-data",
		  "What is written through a plain or a MAP_POPULATE mapping reads back through a new one.",
		  test_written_data },
		{ "populate-errors",
		  "PROT_NONE, unaligned start: EINVAL, nothing populated; a hole after the BO: ENOMEM, the BO populated.",
		  test_errors },
		{ "populate-split-mapping",
		  "Populating the pieces of a mapping split by munmap() or mprotect() maps each page at its own offset.",
		  test_split },
		{ "populate-after-fork",
		  "A child populates and writes an inherited mapping; the parent reads what it wrote.",
		  test_fork },
		{ "populate-races-munmap",
		  "MADV_POPULATE_WRITE racing munmap() and mmap() of its range returns 0 or ENOMEM only.",
		  test_race },
		{ "mlock-does-not-populate",
		  "mlock() of a GEM mapping succeeds and populates nothing.",
		  test_mlock },
		{ "dmabuf-mmap-populates",
		  "MAP_POPULATE and MADV_POPULATE_WRITE map every page of the BO's dma-buf mapping.",
		  test_dmabuf },
		{ "cap-reports-populate",
		  "DRM_CAP_GEM_MMAP_ADVICE's POPULATE bit says whether MADV_POPULATE_WRITE maps every page.",
		  test_cap },
		{ "huge-pages",
		  "With huge pages off and on, 8 MiB BOs populate, fault, split and fork with the right contents.",
		  test_huge_pages },
	};
	int fd = -1;

	igt_gem_mmap_subtests(tests, ARRAY_SIZE(tests), 0, BO_SIZE);

	igt_describe("A bochs BO that scanout pinned in VRAM keeps its data and is populated through the PCI BAR.");
	igt_subtest("bochs-vram-scanout") {
		fd = open_bochs();
		igt_require_f(fd >= 0, "no bochs device\n");
		igt_require_f(igt_gem_mmap_advice_caps(fd) &
			      DRM_GEM_MMAP_ADVICE_POPULATE,
			      "no populate on this kernel\n");
		test_bochs_vram_scanout(fd);
	}

	igt_fixture {
		if (fd >= 0)
			close(fd);
	}
}
