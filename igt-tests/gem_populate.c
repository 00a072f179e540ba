// SPDX-License-Identifier: GPL-2.0
/*
 * gem_populate: mmap(MAP_POPULATE) and madvise(MADV_POPULATE_READ/WRITE) on
 * DRM GEM buffer mappings.
 *
 * GEM mmaps are VM_PFNMAP (TTM: also VM_IO) device mappings. Stock kernels
 * skip them in MAP_POPULATE and fail MADV_POPULATE_* with EINVAL; with the
 * file_operations.populate hook both prefault every page, so touching the
 * pages afterwards costs no page fault at all. Faults are counted with
 * getrusage(RUSAGE_SELF).ru_minflt around a loop that touches each page
 * once.
 *
 * Every test runs on dumb buffers of the card node of each driver variant and
 * is skipped when that driver has no device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "drmtest.h"
#include "drmtest_harness.h"

/* Default buffer object size: 1 MiB, 256 pages of 4 KiB. */
#define BO_SIZE			(1024 * 1024)

/* Bounds of populate_races_munmap. */
#define RACE_ROUNDS		2000
#define RACE_MSEC		2000

#define RW			(PROT_READ | PROT_WRITE)

FIXTURE(populate) {
	int fd;
	struct drmtest_bo bo;
	size_t page_size;
	size_t size;		/* bytes mapped: the whole BO */
	long npages;
};

FIXTURE_VARIANT(populate) {
	const char *driver;	/* drmGetVersion()->name */
	/*
	 * Most pages one CPU fault maps: the shmem helpers map one page per
	 * fault, TTM prefaults up to TTM_BO_VM_NUM_PREFAULT (16).
	 */
	unsigned int fault_pages;
};

FIXTURE_VARIANT_ADD(populate, vgem) {
	.driver = "vgem",
	.fault_pages = 1,
};

FIXTURE_VARIANT_ADD(populate, virtio_gpu) {
	.driver = "virtio_gpu",
	.fault_pages = 1,
};

FIXTURE_VARIANT_ADD(populate, bochs) {
	.driver = "bochs-drm",
	.fault_pages = 16,
};

/* TTM in system memory: qxl's dumb buffers are placed in TTM_PL_SYSTEM. */
FIXTURE_VARIANT_ADD(populate, qxl) {
	.driver = "qxl",
	.fault_pages = 16,
};

FIXTURE_SETUP(populate)
{
	int ret;

	self->fd = drmtest_open_driver(variant->driver);
	if (self->fd < 0)
		SKIP(return, "no %s device", variant->driver);

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

FIXTURE_TEARDOWN(populate)
{
	drmtest_bo_destroy(&self->bo);
	close(self->fd);
}

/*
 * Touching @npages pages that nothing populated must cost one fault per page
 * with the shmem helpers, and at least one fault per fault_pages with TTM.
 */
static void assert_fault_path(struct __test_metadata *_metadata,
			      const FIXTURE_VARIANT(populate) *variant,
			      long faults, long npages, const char *what)
{
	if (variant->fault_pages == 1) {
		ASSERT_EQ(npages, faults)
			TH_LOG("%s: %ld faults for %ld pages, expected one per page",
			       what, faults, npages);
	} else {
		ASSERT_GT(faults, 0)
			TH_LOG("%s: no fault at all for %ld unpopulated pages",
			       what, npages);
		ASSERT_GE(faults, npages / (long)variant->fault_pages)
			TH_LOG("%s: %ld faults for %ld pages, expected at least one per %u",
			       what, faults, npages, variant->fault_pages);
	}
}

/* Data written through one mapping is read back through a new one. */
TEST_F(populate, mmap_shows_written_data)
{
	const uint32_t seed = 0x11000000;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_EQ(0, munmap(p, self->size));

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	assert_pattern(_metadata, p, 0, self->npages, seed, "second mapping");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* MAP_POPULATE is accepted, and writes through such a mapping reach the BO. */
TEST_F(populate, map_populate_accepted)
{
	const uint32_t seed = 0x22000000;
	char *p, *q;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED | MAP_POPULATE);
	drmtest_fill_pattern(p, 0, self->npages, seed);

	q = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	assert_pattern(_metadata, q, 0, self->npages, seed,
		       "plain mapping after writes through a MAP_POPULATE one");
	ASSERT_EQ(0, munmap(q, self->size));
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * Fill the BO with pattern @seed, map it again with @flags and apply @advice
 * to the whole mapping (0: none): touching every page (@touch) must then
 * cost no fault and read the pattern, i.e. every page was mapped, and to
 * the right page of the object.
 */
static void assert_populated(struct __test_metadata *_metadata,
			     FIXTURE_DATA(populate) *self, int flags,
			     int advice, enum drmtest_touch touch,
			     uint32_t seed, const char *what)
{
	long faults;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);
	ASSERT_EQ(0, munmap(p, self->size));

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED | flags);
	if (advice) {
		ASSERT_MADV(0, p, self->size, advice, what);
	}
	faults = drmtest_touch_faults(p, self->size, touch);
	ASSERT_EQ(0, faults)
		TH_LOG("%s: touching %ld pages cost %ld faults", what,
		       self->npages, faults);
	assert_pattern(_metadata, p, 0, self->npages, seed, what);
	ASSERT_EQ(0, munmap(p, self->size));
}

/* MAP_POPULATE maps every page of the BO, and the right ones: no fault later. */
TEST_F(populate, map_populate_no_faults)
{
	assert_populated(_metadata, self, MAP_POPULATE, 0, DRMTEST_TOUCH_RMW,
			 0x33000000, "read+write of a MAP_POPULATE'd mapping");
}

/* MADV_POPULATE_WRITE prefaults a whole writable mapping. */
TEST_F(populate, madv_populate_write_no_faults)
{
	assert_populated(_metadata, self, 0, MADV_POPULATE_WRITE,
			 DRMTEST_TOUCH_RMW, 0x44000000,
			 "read+write after MADV_POPULATE_WRITE");
}

/* MADV_POPULATE_READ prefaults a whole mapping for reading. */
TEST_F(populate, madv_populate_read_no_faults)
{
	assert_populated(_metadata, self, 0, MADV_POPULATE_READ,
			 DRMTEST_TOUCH_READ, 0x55000000,
			 "reading after MADV_POPULATE_READ");
}

/* Control: without populate, touching costs the driver's faults-per-page. */
TEST_F(populate, fault_per_page_control)
{
	long faults;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_WRITE);
	assert_fault_path(_metadata, variant, faults, self->npages,
			  "writing a plain mapping");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* A read-only mapping can be populated for read but not for write. */
TEST_F(populate, populate_write_readonly_einval)
{
	long faults;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, PROT_READ, MAP_SHARED);
	ASSERT_EQ(EINVAL, drmtest_madvise(p, self->size, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE on a PROT_READ mapping must fail with EINVAL");
	ASSERT_EQ(0, drmtest_madvise(p, self->size, MADV_POPULATE_READ))
		TH_LOG("MADV_POPULATE_READ on a PROT_READ mapping failed");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_READ);
	ASSERT_EQ(0, faults)
		TH_LOG("reading %ld pages after MADV_POPULATE_READ cost %ld faults",
		       self->npages, faults);
	ASSERT_EQ(0, munmap(p, self->size));
}

/* A PROT_NONE mapping can be populated neither for read nor for write. */
TEST_F(populate, populate_prot_none_einval)
{
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, PROT_NONE, MAP_SHARED);
	ASSERT_EQ(EINVAL, drmtest_madvise(p, self->size, MADV_POPULATE_READ))
		TH_LOG("MADV_POPULATE_READ on a PROT_NONE mapping must fail with EINVAL");
	ASSERT_EQ(EINVAL, drmtest_madvise(p, self->size, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE on a PROT_NONE mapping must fail with EINVAL");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* A hole after the BO makes populate fail with ENOMEM, after doing the BO. */
TEST_F(populate, populate_hole_enomem)
{
	char *range, *p;
	long faults;

	/* Reserve two BOs' worth, put the BO in front and punch out the rest. */
	range = mmap(NULL, 2 * self->size, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, range) TH_LOG("reserving address space: %s",
					    strerror(errno));
	p = map_bo(_metadata, &self->bo, range, RW, MAP_SHARED | MAP_FIXED);
	ASSERT_EQ(range, p);
	ASSERT_EQ(0, munmap(range + self->size, self->size));

	ASSERT_EQ(ENOMEM, drmtest_madvise(range, 2 * self->size, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE over BO + hole must fail with ENOMEM");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_RMW);
	ASSERT_EQ(0, faults)
		TH_LOG("the BO in front of the hole was not populated: %ld faults for %ld pages",
		       faults, self->npages);
	ASSERT_EQ(0, munmap(p, self->size));
}

/* A start address that is not page aligned is refused, populating nothing. */
TEST_F(populate, populate_unaligned_einval)
{
	size_t len = self->size - self->page_size;
	long faults;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(EINVAL, drmtest_madvise(p + 1, len, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE at an unaligned start must fail with EINVAL");
	ASSERT_EQ(EINVAL, drmtest_madvise(p + 1, len, MADV_POPULATE_READ))
		TH_LOG("MADV_POPULATE_READ at an unaligned start must fail with EINVAL");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_WRITE);
	assert_fault_path(_metadata, variant, faults, self->npages,
			  "writing after the refused populate calls");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* GEM helpers refuse private (COW) mappings; populate must refuse them too. */
TEST_F(populate, map_private_refused)
{
	char *p;

	p = drmtest_bo_mmap(&self->bo, NULL, self->size, RW, MAP_PRIVATE);
	if (p == MAP_FAILED) {
		ASSERT_EQ(EINVAL, errno)
			TH_LOG("MAP_PRIVATE of a GEM object failed with %s, expected EINVAL",
			       strerror(errno));
		return;
	}
	TH_LOG("MAP_PRIVATE of a GEM object unexpectedly succeeded");
	ASSERT_EQ(EINVAL, drmtest_madvise(p, self->size, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE on a private GEM mapping must fail with EINVAL");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* Populate on the pieces of a split mapping maps each page at its own offset. */
TEST_F(populate, partial_munmap_populates_right_pages)
{
	const uint32_t seed = 0x66000000;
	const size_t ps = self->page_size;
	const size_t n = self->npages, mid = n / 2;
	long faults;
	char *p;

	ASSERT_GE(self->npages, 4) TH_LOG("BO too small to split");

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, n, seed);
	ASSERT_EQ(0, munmap(p, self->size));

	/* Pieces left: pages [1, mid) and [mid + 1, n). */
	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, munmap(p, ps));
	ASSERT_EQ(0, munmap(p + mid * ps, ps));

	ASSERT_EQ(0, drmtest_madvise(p + ps, (mid - 1) * ps, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE of pages [1, %zu) failed", mid);
	ASSERT_EQ(0, drmtest_madvise(p + (mid + 1) * ps, (n - mid - 1) * ps,
			  MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE of pages [%zu, %zu) failed",
		       mid + 1, n);

	faults = drmtest_touch_faults(p + ps, (mid - 1) * ps,
				      DRMTEST_TOUCH_RMW);
	faults += drmtest_touch_faults(p + (mid + 1) * ps, (n - mid - 1) * ps,
				       DRMTEST_TOUCH_RMW);
	ASSERT_EQ(0, faults)
		TH_LOG("read+write of the %zu populated pieces' pages cost %ld faults",
		       n - 2, faults);
	assert_pattern(_metadata, p + ps, 1, mid - 1, seed,
		       "populated piece after the unmapped head");
	assert_pattern(_metadata, p + (mid + 1) * ps, mid + 1, n - mid - 1,
		       seed, "populated piece after the unmapped middle page");
	ASSERT_EQ(0, munmap(p + ps, (mid - 1) * ps));
	ASSERT_EQ(0, munmap(p + (mid + 1) * ps, (n - mid - 1) * ps));

	/* Same through the fault path, on a mapping without its head. */
	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, munmap(p, ps));
	assert_pattern(_metadata, p + ps, 1, n - 1, seed,
		       "faulted mapping after the unmapped head");
	ASSERT_EQ(0, munmap(p + ps, (n - 1) * ps));
}

/* Populate walks VMAs split by mprotect, with each VMA's own permissions. */
TEST_F(populate, mprotect_split)
{
	const size_t third = self->npages / 3 * self->page_size;
	const long third_pages = self->npages / 3;
	const size_t tail = self->size - 2 * third;
	long faults;
	char *p;

	ASSERT_GT(third_pages, 0) TH_LOG("BO too small to split in three");

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, mprotect(p + third, third, PROT_READ));

	ASSERT_EQ(0, drmtest_madvise(p, self->size, MADV_POPULATE_READ))
		TH_LOG("MADV_POPULATE_READ over RW|R|RW VMAs failed");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_READ);
	ASSERT_EQ(0, faults)
		TH_LOG("reading %ld pages after MADV_POPULATE_READ over RW|R|RW cost %ld faults",
		       self->npages, faults);
	ASSERT_EQ(EINVAL, drmtest_madvise(p, self->size, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE over a read-only VMA must fail with EINVAL");
	ASSERT_EQ(0, drmtest_madvise(p, third, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE of the first (RW) third failed");
	faults = drmtest_touch_faults(p, third, DRMTEST_TOUCH_WRITE);
	ASSERT_EQ(0, faults)
		TH_LOG("writing %ld pages of the populated first third cost %ld faults",
		       third_pages, faults);
	ASSERT_EQ(0, munmap(p, self->size));

	/* On a fresh split mapping, populating the first third stays there. */
	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, mprotect(p + third, third, PROT_READ));
	ASSERT_EQ(0, drmtest_madvise(p, third, MADV_POPULATE_WRITE))
		TH_LOG("MADV_POPULATE_WRITE of the first third of a fresh mapping failed");
	faults = drmtest_touch_faults(p, third, DRMTEST_TOUCH_WRITE);
	ASSERT_EQ(0, faults)
		TH_LOG("writing %ld pages of the populated first third cost %ld faults",
		       third_pages, faults);
	faults = drmtest_touch_faults(p + 2 * third, tail, DRMTEST_TOUCH_WRITE);
	assert_fault_path(_metadata, variant, faults,
			  (long)(tail / self->page_size),
			  "writing the last third, which was not populated");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* Exit codes of populate_child(). */
enum {
	CHILD_OK,
	CHILD_POPULATE_FAILED,
	CHILD_FAULTED,
};

static int populate_child(char *p, size_t size, uint32_t seed)
{
	const size_t npages = size / drmtest_page_size();
	long faults;

	if (madvise(p, size, MADV_POPULATE_WRITE)) {
		fprintf(stderr, "# child: MADV_POPULATE_WRITE: %s\n",
			strerror(errno));
		return CHILD_POPULATE_FAILED;
	}
	faults = drmtest_touch_faults(p, size, DRMTEST_TOUCH_WRITE);
	if (faults) {
		fprintf(stderr, "# child: writing %zu populated pages cost %ld faults\n",
			npages, faults);
		return CHILD_FAULTED;
	}
	drmtest_fill_pattern(p, 0, npages, seed);
	return CHILD_OK;
}

/* A mapping inherited over fork() is populated in, and for, the child. */
TEST_F(populate, populate_after_fork)
{
	static const char *const child_errors[] = {
		[CHILD_OK] = "success",
		[CHILD_POPULATE_FAILED] = "MADV_POPULATE_WRITE failed",
		[CHILD_FAULTED] = "touching populated pages faulted",
	};
	const uint32_t seed = 0x77000000;
	int status, code;
	pid_t pid;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(populate_child(p, self->size, seed));

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("child did not exit normally: wait status %#x", status);
	code = WEXITSTATUS(status);
	ASSERT_EQ(CHILD_OK, code)
		TH_LOG("child: %s", code < (int)ARRAY_SIZE(child_errors) ?
		       child_errors[code] : "unknown exit code");

	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "parent's mapping after the child wrote");
	ASSERT_EQ(0, munmap(p, self->size));
}

struct populate_race {
	char *addr;
	size_t len;
	atomic_bool stop;
	atomic_long populated;	/* populate calls that returned 0 */
	atomic_long unmapped;	/* ... that returned ENOMEM */
	atomic_long failed;	/* ... that returned anything else */
	atomic_int bad_errno;
};

static void *populate_loop(void *arg)
{
	struct populate_race *r = arg;

	while (!atomic_load(&r->stop)) {
		int err = drmtest_madvise(r->addr, r->len, MADV_POPULATE_WRITE);

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

/* Populate racing munmap + remap of its range neither crashes nor misbehaves. */
TEST_F(populate, populate_races_munmap)
{
	const uint32_t seed = 0x88000000;
	struct populate_race r = {};
	struct timespec start;
	int rounds, map_err = 0;
	pthread_t thread;
	long faults;
	char *p, *q;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, seed);

	r.addr = p;
	r.len = self->size;
	ASSERT_EQ(0, pthread_create(&thread, NULL, populate_loop, &r));

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (rounds = 0; rounds < RACE_ROUNDS; rounds++) {
		if (drmtest_elapsed_msec(&start) >= RACE_MSEC)
			break;
		if (munmap(p, self->size)) {
			map_err = errno;
			break;
		}
		/* Nothing else maps here meanwhile; NOREPLACE would tell. */
		q = drmtest_bo_mmap(&self->bo, p, self->size, RW,
				    MAP_SHARED | MAP_FIXED_NOREPLACE);
		if (q != p) {
			map_err = q == MAP_FAILED ? errno : EADDRNOTAVAIL;
			if (q != MAP_FAILED)
				munmap(q, self->size);
			break;
		}
	}
	atomic_store(&r.stop, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));

	ASSERT_EQ(0, map_err)
		TH_LOG("round %d: unmapping/remapping the BO at %p: %s",
		       rounds, p, strerror(map_err));
	ASSERT_EQ(0, atomic_load(&r.failed))
		TH_LOG("MADV_POPULATE_WRITE racing munmap failed %ld times, last with %s; only ENOMEM is allowed",
		       atomic_load(&r.failed), strerror(atomic_load(&r.bad_errno)));
	TH_LOG("%d remaps; populate: %ld done, %ld hit the unmapped range",
	       rounds, atomic_load(&r.populated), atomic_load(&r.unmapped));

	ASSERT_EQ(0, drmtest_madvise(p, self->size, MADV_POPULATE_WRITE))
		TH_LOG("final MADV_POPULATE_WRITE failed");
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_RMW);
	ASSERT_EQ(0, faults)
		TH_LOG("read+write of %ld pages after the final populate cost %ld faults",
		       self->npages, faults);
	assert_pattern(_metadata, p, 0, self->npages, seed,
		       "mapping after the race");
	ASSERT_EQ(0, munmap(p, self->size));
}

/* mlock() leaves GEM mappings alone, as before: it does not populate them. */
TEST_F(populate, mlock_does_not_populate)
{
	struct rlimit rl;
	long faults;
	char *p;

	/* mlock() checks RLIMIT_MEMLOCK even though nothing gets locked. */
	ASSERT_EQ(0, getrlimit(RLIMIT_MEMLOCK, &rl));
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < self->size) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
		ASSERT_EQ(0, getrlimit(RLIMIT_MEMLOCK, &rl));
		if (rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < self->size && geteuid())
			SKIP(return, "RLIMIT_MEMLOCK (%llu bytes) too low to mlock the BO",
			     (unsigned long long)rl.rlim_cur);
	}

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	ASSERT_EQ(0, mlock(p, self->size))
		TH_LOG("mlock of a GEM mapping: %s", strerror(errno));
	faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_WRITE);
	assert_fault_path(_metadata, variant, faults, self->npages,
			  "writing an mlock()ed mapping");
	ASSERT_EQ(0, munlock(p, self->size))
		TH_LOG("munlock of a GEM mapping: %s", strerror(errno));
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * A mapping of the buffer's dma-buf file (mmap goes through the exporter)
 * is populated too: by MAP_POPULATE and by MADV_POPULATE_WRITE, with the
 * buffer's own data.
 */
TEST_F(populate, dmabuf_mmap_populates)
{
	int flags[] = { MAP_SHARED | MAP_POPULATE, MAP_SHARED };
	unsigned int i;
	int dmabuf;
	char *p;

	p = map_bo(_metadata, &self->bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, self->npages, 0xd1ab);
	munmap(p, self->size);

	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, self->bo.handle,
					DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		TH_LOG("exporting the buffer as a dma-buf: %s", strerror(errno));

	for (i = 0; i < 2; i++) {
		long faults;

		p = mmap(NULL, self->size, RW, flags[i], dmabuf, 0);
		ASSERT_NE(MAP_FAILED, p)
			TH_LOG("mmap of the dma-buf: %s", strerror(errno));
		if (!(flags[i] & MAP_POPULATE))
			ASSERT_MADV(0, p, self->size, MADV_POPULATE_WRITE, "dma-buf mapping");
		faults = drmtest_touch_faults(p, self->size, DRMTEST_TOUCH_RMW);
		ASSERT_EQ(0, faults)
			TH_LOG("%s dma-buf mapping: %ld faults touching %ld pages",
			       i ? "MADV_POPULATE_WRITE" : "MAP_POPULATE",
			       faults, self->npages);
		ASSERT_EQ(-1, drmtest_check_pattern(p, 0, self->npages, 0xd1ab, NULL));
		munmap(p, self->size);
	}
	close(dmabuf);
}

/* The device advertises populate support through DRM_CAP_GEM_MMAP_ADVICE. */
TEST_F(populate, cap_reports_populate)
{
	uint64_t v = 0;

	ASSERT_EQ(0, drmGetCap(self->fd, DRM_CAP_GEM_MMAP_ADVICE, &v))
		TH_LOG("DRM_CAP_GEM_MMAP_ADVICE: %s", strerror(errno));
	ASSERT_TRUE((v & DRM_GEM_MMAP_ADVICE_POPULATE) != 0)
		TH_LOG("DRM_CAP_GEM_MMAP_ADVICE is %#llx, POPULATE bit clear",
		       (unsigned long long)v);
}

/*
 * Pages of VRAM in use on the device of DRM fd @fd, from its debugfs
 * "vram-mm" (the VRAM helper's range manager: "total: N, used N free N"),
 * or -1.
 */
static long vram_used(int fd)
{
	char path[64], line[256];
	struct stat st;
	long used = -1;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/vram-mm",
		 minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "total:", 6))
			sscanf(line, "total: %*u, used %ld", &used);
	fclose(f);
	return used;
}

/*
 * bochs keeps dumb buffers in system memory until one is scanned out, which
 * pins it in VRAM (debugfs vram-mm shows it move in): then populate maps the
 * PCI BAR, in runs of page frames (drm_gem_ttm_populate(); KUnit checks the
 * page frames). A buffer set as a CRTC's framebuffer keeps what was written
 * to it before the move, is mapped by MAP_POPULATE and MADV_POPULATE_WRITE,
 * and costs no fault afterwards.
 */
/* TEST()'s wrapper does not use its variant argument. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
TEST(bochs_vram_scanout)
{
	const uint32_t seed = 0x5c000000;
	uint32_t fb, conn_id, crtc_id, handle, pitch;
	uint64_t size, offset;
	drmModeConnector *conn = NULL;
	drmModeModeInfo mode;
	struct drmtest_bo bo;
	drmModeRes *res;
	long npages, faults, vram;
	int fd, i, ret;
	char *p;

	fd = drmtest_open_driver("bochs-drm");
	if (fd < 0)
		SKIP(return, "no bochs-drm device");
	if (drmSetMaster(fd))
		SKIP(return, "not DRM master: %s", strerror(errno));
	res = drmModeGetResources(fd);
	ASSERT_NE(NULL, res);
	for (i = 0; i < res->count_connectors && !conn; i++) {
		conn = drmModeGetConnector(fd, res->connectors[i]);
		if (conn && (conn->connection != DRM_MODE_CONNECTED || !conn->count_modes)) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
	}
	ASSERT_NE(NULL, conn) TH_LOG("no connected bochs connector with a mode");
	ASSERT_LT(0, res->count_crtcs);
	mode = conn->modes[0];
	conn_id = conn->connector_id;
	crtc_id = res->crtcs[0];
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);

	ret = drmModeCreateDumbBuffer(fd, mode.hdisplay, mode.vdisplay, 32, 0,
				      &handle, &pitch, &size);
	ASSERT_EQ(0, ret) TH_LOG("dumb buffer: %s", strerror(errno));
	ASSERT_EQ(0, drmModeMapDumbBuffer(fd, handle, &offset));
	bo = (struct drmtest_bo){ .fd = fd, .handle = handle, .pitch = pitch,
				  .size = size, .offset = offset };
	npages = size / drmtest_page_size();

	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	drmtest_fill_pattern(p, 0, npages, seed);
	ASSERT_EQ(0, munmap(p, size));

	vram = vram_used(fd);
	ASSERT_LE(0, vram) TH_LOG("no debugfs vram-mm for the bochs device");
	ASSERT_EQ(0, drmModeAddFB(fd, mode.hdisplay, mode.vdisplay, 24, 32, pitch,
				  handle, &fb));
	ret = drmModeSetCrtc(fd, crtc_id, fb, 0, 0, &conn_id, 1, &mode);
	ASSERT_EQ(0, ret) TH_LOG("scanning the buffer out: %s", strerror(errno));
	ASSERT_LE(vram + npages, vram_used(fd))
		TH_LOG("the scanned-out buffer did not move into VRAM");

	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED | MAP_POPULATE);
	faults = drmtest_touch_faults(p, size, DRMTEST_TOUCH_READ);
	EXPECT_EQ(0, faults) TH_LOG("%ld faults after MAP_POPULATE", faults);
	assert_pattern(_metadata, p, 0, npages, seed, "scanned-out buffer");
	ASSERT_EQ(0, munmap(p, size));

	p = map_bo(_metadata, &bo, NULL, RW, MAP_SHARED);
	ASSERT_MADV(0, p, size, MADV_POPULATE_WRITE, "scanned-out buffer");
	faults = drmtest_touch_faults(p, size, DRMTEST_TOUCH_RMW);
	EXPECT_EQ(0, faults) TH_LOG("%ld faults after MADV_POPULATE_WRITE", faults);
	assert_pattern(_metadata, p, 0, npages, seed, "after MADV_POPULATE_WRITE");
	ASSERT_EQ(0, munmap(p, size));

	drmModeRmFB(fd, fb);
	drmModeDestroyDumbBuffer(fd, handle);
	close(fd);
}
#pragma GCC diagnostic pop

TEST_HARNESS_MAIN
