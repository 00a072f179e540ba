// SPDX-License-Identifier: GPL-2.0
/*
 * gem_reclaim: GEM objects where memory management does its real work:
 * swap, memory cgroups, allocation failure and signals, on vgem.
 *
 * - swap: contents written through mappings (faulted or populated for
 *   write) survive munmap(), drop_caches and anonymous memory pressure
 *   beyond what is left of RAM, which pushes them out to swap (zram, set
 *   up by the test).
 * - memcg: memory.reclaim in a cgroup with swap evicts the pages an unmapped
 *   object kept for its next mapping, and the contents survive.
 * - limit: a 256 MiB object in a cgroup with a 64 MiB memory.max: touching
 *   it raises SIGBUS, MAP_POPULATE returns and the touch then raises
 *   SIGBUS, MADV_POPULATE_WRITE fails with ENOMEM, each within seconds and
 *   without an OOM kill.
 * - faultinj: an allocation failure injected into the populating task
 *   (fail_page_alloc, failslab with task-filter) gives ENOMEM, and the next
 *   populate succeeds with the right contents.
 * - signals: MADV_POPULATE_WRITE, MADV_FREE and MADV_WILLNEED never fail
 *   with EINTR while other threads contend for the object and SIGUSR1
 *   (SA_RESTART) rains on them; SIGKILL ends a populating task promptly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

#include "drmtest.h"
#include "drmtest_harness.h"

#define CGROOT		"/sys/fs/cgroup"
#define ZRAM		"/sys/block/zram0"

/*
 * Every dword of a page holds one of 16 values of drmtest_pattern() for
 * that page: unique per page and BO, and compressible, so that zram can hold
 * what reclaim swaps out.
 */
static uint32_t word(uint32_t seed, size_t page, size_t dword)
{
	return drmtest_pattern(seed, page, dword % 16);
}

static void fill(char *p, size_t npages, uint32_t seed)
{
	size_t dwords = drmtest_page_size() / 4;

	for (size_t pg = 0; pg < npages; pg++)
		for (size_t d = 0; d < dwords; d++)
			((uint32_t *)p)[pg * dwords + d] = word(seed, pg, d);
}

/* Pages of @p that do not hold their pattern; the first one in *@first. */
static size_t count_bad(const char *p, size_t npages, uint32_t seed, ssize_t *first)
{
	size_t dwords = drmtest_page_size() / 4, bad = 0;

	*first = -1;
	for (size_t pg = 0; pg < npages; pg++)
		for (size_t d = 0; d < dwords; d++)
			if (((const uint32_t *)p)[pg * dwords + d] != word(seed, pg, d)) {
				if (*first < 0)
					*first = pg;
				bad++;
				break;
			}
	return bad;
}

/* Swap space in kB (SwapTotal), after turning zram swap on if there is none. */
static unsigned long swap_on(struct __test_metadata *_metadata, bool *ours)
{
	char size[32];

	*ours = false;
	if (drmtest_meminfo("SwapTotal"))
		return drmtest_meminfo("SwapTotal");
	if (access(ZRAM, F_OK))
		return 0;
	snprintf(size, sizeof(size), "%lu\n", 2 * drmtest_meminfo("MemTotal"));
	drmtest_write_file(ZRAM "/reset", "1\n");
	ASSERT_EQ(0, drmtest_write_file(ZRAM "/disksize", "%s", size));
	ASSERT_EQ(0, system("mkswap /dev/zram0 >/dev/null"));
	ASSERT_EQ(0, swapon("/dev/zram0", 0)) TH_LOG("swapon: %s", strerror(errno));
	*ours = true;
	return drmtest_meminfo("SwapTotal");
}

static void swap_off(bool ours)
{
	if (!ours)
		return;
	swapoff("/dev/zram0");
	drmtest_write_file(ZRAM "/reset", "1\n");
}

/* A value from a cgroup's file ("memory.current", or "oom_kill" of memory.events). */
static long cg_read(const char *cg, const char *file, const char *key)
{
	char path[256], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = key ? strlen(key) : 0;

		if (!key || (!strncmp(line, key, n) && line[n] == ' ')) {
			v = strtol(line + n, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/*
 * Create cgroup @cg (under cgroup v2, mounted if it is not) with the
 * memory controller and the given memory.max and memory.swap.max.
 */
static void cg_create(struct __test_metadata *_metadata, const char *cg,
		      const char *max, const char *swap_max)
{
	char path[256];

	if (access(CGROOT "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
			TH_LOG("mount cgroup2: %s", strerror(errno));
	ASSERT_EQ(0, drmtest_write_file(CGROOT "/cgroup.subtree_control", "+memory\n"))
		TH_LOG("no memory controller in cgroup v2");
	rmdir(cg);
	ASSERT_EQ(0, mkdir(cg, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	ASSERT_EQ(0, drmtest_write_file(path, "%s\n", max));
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg);
	ASSERT_EQ(0, drmtest_write_file(path, "%s\n", swap_max));
}

/* Move the calling process into @cg; 0 or the errno. */
static int cg_enter(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	return drmtest_write_file(path, "0\n");
}

/*
 * Wait for @pid for at most @secs; kill it if it is still running then.
 * Returns its wait status, or -1 after a kill (*@msec: how long it ran).
 */
static int wait_deadline(pid_t pid, int secs, long *msec)
{
	struct timespec t0;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		*msec = drmtest_elapsed_msec(&t0);
		if (r == pid)
			return status;
		if (r < 0 || *msec > secs * 1000l) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20000);
	}
}

FIXTURE(swap) {
	int fd;
	bool zram;
	bool populate;		/* MADV_POPULATE_WRITE works on GEM mmaps */
};

FIXTURE_SETUP(swap)
{
	uint64_t cap = 0;

	self->zram = false;
	self->fd = drmtest_open_driver("vgem");
	if (self->fd < 0)
		SKIP(return, "no vgem device");
	self->populate = !drmGetCap(self->fd, DRM_CAP_GEM_MMAP_ADVICE, &cap) &&
			 (cap & DRM_GEM_MMAP_ADVICE_POPULATE);
	ASSERT_EQ(0, drmtest_set_oom_score_adj(-1000));
	ASSERT_GT(swap_on(_metadata, &self->zram), 0ul)
		TH_LOG("no swap and no zram to put it on");
}

FIXTURE_TEARDOWN(swap)
{
	swap_off(self->zram);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Objects together 1/4 of RAM, half written after MADV_POPULATE_WRITE; then
 * 3/4 of RAM of anonymous memory, more than is left.
 */
TEST_F_TIMEOUT(swap, contents_survive_eviction_and_swap, 540)
{
	const size_t bo_size = 8 * MiB, npages = bo_size / drmtest_page_size();
	unsigned long total = drmtest_meminfo("MemTotal"), swapped;
	int nbo = total / 4 / bo_size, i, status;
	struct drmtest_bo *bo = calloc(nbo, sizeof(*bo));
	size_t lost = 0;
	pid_t pid;

	ASSERT_TRUE(bo != NULL);
	for (i = 0; i < nbo; i++) {
		char *p;

		ASSERT_EQ(0, drmtest_bo_create(self->fd, bo_size, &bo[i]));
		p = map_bo(_metadata, &bo[i], NULL, PROT_READ | PROT_WRITE, MAP_SHARED);
		if (i % 2 && self->populate)
			ASSERT_MADV(0, p, bo_size, MADV_POPULATE_WRITE, "populate");
		fill(p, npages, 0x5a11u + i);
		ASSERT_EQ(0, munmap(p, bo_size));
	}
	swapped = drmtest_vmstat("pswpout");
	ASSERT_EQ(0, drmtest_write_file("/proc/sys/vm/drop_caches", "3\n"));

	/* Anonymous memory beyond RAM: reclaim must swap. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		drmtest_anon_pressure(total / 4 * 3);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the allocator did not finish (status %#x)", status);
	ASSERT_EQ(0, drmtest_write_file("/proc/sys/vm/drop_caches", "3\n"));
	swapped = drmtest_vmstat("pswpout") - swapped;
	TH_LOG("%d BOs of %zu MiB, %lu MiB of RAM; %lu pages swapped out",
	       nbo, bo_size / MiB, total / MiB, swapped);
	EXPECT_GT(swapped, 0ul);

	for (i = 0; i < nbo; i++) {
		char *p = map_bo(_metadata, &bo[i], NULL, PROT_READ, MAP_SHARED);
		ssize_t first;
		size_t bad = count_bad(p, npages, 0x5a11u + i, &first);

		if (bad)
			TH_LOG("BO %d (%s): %zu of %zu pages lost, first: page %zd",
			       i, i % 2 ? "populated" : "faulted", bad, npages, first);
		lost += bad;
		munmap(p, bo_size);
		drmtest_bo_destroy(&bo[i]);
	}
	EXPECT_EQ(0ul, lost);
	free(bo);
}

/*
 * memory.reclaim of a cgroup with swap evicts the pages its unmapped
 * objects kept (charged to it), and they come back intact.
 */
TEST_F_TIMEOUT(swap, memcg_reclaim_evicts_kept_pages, 300)
{
	const size_t bo_size = 8 * MiB, npages = bo_size / drmtest_page_size();
	const char *cg = CGROOT "/gem_reclaim";
	const int nbo = 8;
	struct drmtest_bo bo[8];
	long before, after;
	int i, err;

	cg_create(_metadata, cg, "max", "max");
	ASSERT_EQ(0, cg_enter(cg));
	for (i = 0; i < nbo; i++) {
		char *p;

		ASSERT_EQ(0, drmtest_bo_create(self->fd, bo_size, &bo[i]));
		p = map_bo(_metadata, &bo[i], NULL, PROT_READ | PROT_WRITE, MAP_SHARED);
		fill(p, npages, 0xc6u + i);
		ASSERT_EQ(0, munmap(p, bo_size));
	}
	before = cg_read(cg, "memory.current", NULL);
	err = drmtest_write_file(CGROOT "/gem_reclaim/memory.reclaim", "%zu\n",
				 nbo * bo_size);
	after = cg_read(cg, "memory.current", NULL);
	ASSERT_EQ(0, cg_enter(CGROOT));
	TH_LOG("memory.current %ld MiB -> %ld MiB (memory.reclaim: %s)",
	       before / (long)MiB, after / (long)MiB, drmtest_errno_name(err));
	EXPECT_EQ(0, err);
	/* At least 3/4 of the objects left the cgroup's RAM. */
	EXPECT_LT(after, before - (long)(nbo * bo_size * 3 / 4));

	for (i = 0; i < nbo; i++) {
		char *p = map_bo(_metadata, &bo[i], NULL, PROT_READ, MAP_SHARED);
		ssize_t first;

		EXPECT_EQ(0ul, count_bad(p, npages, 0xc6u + i, &first))
			TH_LOG("BO %d: first bad page %zd", i, first);
		munmap(p, bo_size);
		drmtest_bo_destroy(&bo[i]);
	}
	rmdir(cg);
}

/* How the child of the limit tests gets at the object's pages. */
enum limit_mode { LIMIT_TOUCH, LIMIT_MAP_POPULATE, LIMIT_POPULATE_WRITE };

FIXTURE(limit) {
	int fd;
};

FIXTURE_VARIANT(limit) {
	enum limit_mode mode;
};

FIXTURE_VARIANT_ADD(limit, touch) { .mode = LIMIT_TOUCH };
FIXTURE_VARIANT_ADD(limit, map_populate) { .mode = LIMIT_MAP_POPULATE };
FIXTURE_VARIANT_ADD(limit, populate_write) { .mode = LIMIT_POPULATE_WRITE };

FIXTURE_SETUP(limit)
{
	self->fd = drmtest_open_driver("vgem");
	if (self->fd < 0)
		SKIP(return, "no vgem device");
}

FIXTURE_TEARDOWN(limit)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Child: a BO of @size (in cgroup @cg, if not NULL), got at as @mode says.
 * Exits 0 if every page could be touched, else with the errno.
 */
static void __attribute__((noreturn)) bo_child(int fd, const char *cg,
					       enum limit_mode mode, size_t size)
{
	struct drmtest_bo bo;
	char *p;

	if ((cg && cg_enter(cg)) || drmtest_bo_create(fd, size, &bo))
		_exit(100);
	p = drmtest_bo_mmap(&bo, NULL, size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | (mode == LIMIT_MAP_POPULATE ? MAP_POPULATE : 0));
	if (p == MAP_FAILED)
		_exit(errno);
	if (mode == LIMIT_POPULATE_WRITE && madvise(p, size, MADV_POPULATE_WRITE))
		_exit(errno);
	drmtest_touch(p, size, DRMTEST_TOUCH_WRITE);
	_exit(0);
}

/* The child of bo_child() got SIGBUS, or ENOMEM from MADV_POPULATE_WRITE. */
static void expect_bo_child_failed(struct __test_metadata *_metadata,
				   enum limit_mode mode, int status)
{
	if (mode == LIMIT_POPULATE_WRITE) {
		ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
		EXPECT_EQ(ENOMEM, WEXITSTATUS(status))
			TH_LOG("MADV_POPULATE_WRITE: %s", drmtest_errno_name(WEXITSTATUS(status)));
	} else {
		EXPECT_TRUE(drmtest_is_sigbus(status))
			TH_LOG("expected SIGBUS, got status %#x", status);
	}
}

TEST_F_TIMEOUT(limit, bo_beyond_memory_max, 120)
{
	const char *cg = CGROOT "/gem_limit";
	long msec;
	int status;
	pid_t pid;

	cg_create(_metadata, cg, "64M", "0");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		bo_child(self->fd, cg, variant->mode, 256 * MiB);
	status = wait_deadline(pid, 60, &msec);
	TH_LOG("child ended after %ld ms: status %#x, oom_kill %ld", msec, status,
	       cg_read(cg, "memory.events", "oom_kill"));
	ASSERT_NE(-1, status) TH_LOG("still running after 60 s: killed");
	expect_bo_child_failed(_metadata, variant->mode, status);
	EXPECT_EQ(0, cg_read(cg, "memory.events", "oom_kill"));
	rmdir(cg);
}

/*
 * A BO of 1.5 times RAM, no cgroup: the owner gets SIGBUS or ENOMEM, a
 * bystander holding memory of its own survives, and so does the machine.
 * Run on its own, one variant per boot (tools/check): the test fills the
 * machine. The guest suite excludes this fixture (-F beyond_ram).
 */
FIXTURE(beyond_ram) {
	int fd;
};

FIXTURE_VARIANT(beyond_ram) {
	enum limit_mode mode;
};

FIXTURE_VARIANT_ADD(beyond_ram, touch) { .mode = LIMIT_TOUCH };
FIXTURE_VARIANT_ADD(beyond_ram, map_populate) { .mode = LIMIT_MAP_POPULATE };
FIXTURE_VARIANT_ADD(beyond_ram, populate_write) { .mode = LIMIT_POPULATE_WRITE };

FIXTURE_SETUP(beyond_ram)
{
	self->fd = drmtest_open_driver("vgem");
	if (self->fd < 0)
		SKIP(return, "no vgem device");
}

FIXTURE_TEARDOWN(beyond_ram)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(beyond_ram, bo_of_1_5x_ram, 600)
{
	size_t size = drmtest_meminfo("MemTotal") / 2 * 3 & ~(2 * MiB - 1);
	int status, pipefd[2];
	pid_t owner, bystander;
	long msec;
	char c;

	/* A bystander with 32 MiB of its own, at the default OOM score. */
	ASSERT_EQ(0, pipe(pipefd));
	bystander = fork();
	ASSERT_GE(bystander, 0);
	if (!bystander) {
		char *p = malloc(32 * MiB);

		close(pipefd[1]);
		if (p)
			memset(p, 1, 32 * MiB);
		_exit(read(pipefd[0], &c, 1) == 0 && p ? 0 : 1);
	}
	close(pipefd[0]);
	owner = fork();
	ASSERT_GE(owner, 0);
	if (!owner)
		bo_child(self->fd, NULL, variant->mode, size);
	status = wait_deadline(owner, 300, &msec);
	TH_LOG("BO of %zu MiB (RAM %lu MiB): the owner ended after %ld ms, status %#x",
	       size / MiB, drmtest_meminfo("MemTotal") / MiB, msec, status);
	ASSERT_NE(-1, status) TH_LOG("still running after 300 s: killed");
	expect_bo_child_failed(_metadata, variant->mode, status);

	close(pipefd[1]);
	ASSERT_EQ(bystander, waitpid(bystander, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the bystander did not survive: status %#x", status);
}

FIXTURE(faultinj) {
	int fd;
};

FIXTURE_VARIANT(faultinj) {
	const char *attr;	/* the fault-injection capability */
	bool must_fail;		/* every page allocation of populate fails */
};

FIXTURE_VARIANT_ADD(faultinj, fail_page_alloc) { "fail_page_alloc", true };
FIXTURE_VARIANT_ADD(faultinj, failslab) { "failslab", false };

FIXTURE_SETUP(faultinj)
{
	char path[128];

	self->fd = drmtest_open_driver("vgem");
	if (self->fd < 0)
		SKIP(return, "no vgem device");
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s", variant->attr);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("no %s: CONFIG_FAULT_INJECTION_DEBUG_FS", path);
	/* Only tasks with make-it-fail, every call, at most 8 times. */
#define FI(knob, val) ASSERT_EQ(0, drmtest_write_file((snprintf(path, sizeof(path), \
	"/sys/kernel/debug/%s/" knob, variant->attr), path), "%s\n", val))
	FI("task-filter", "Y");
	FI("probability", "100");
	FI("interval", "1");
	FI("verbose", "0");
	if (!strcmp(variant->attr, "fail_page_alloc")) {
		FI("ignore-gfp-wait", "N");
		FI("ignore-gfp-highmem", "N");
		FI("min-order", "0");
	} else {
		FI("ignore-gfp-wait", "N");
	}
	FI("times", "8");
}

FIXTURE_TEARDOWN(faultinj)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/times", variant->attr);
	drmtest_write_file(path, "0\n");
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Child: populate with allocation failures injected: exit with what the
 * first MADV_POPULATE_WRITE returned, or 100 + a step that went wrong.
 */
static void __attribute__((noreturn)) faultinj_child(int fd, bool must_fail)
{
	const size_t size = 4 * MiB, npages = size / drmtest_page_size();
	struct drmtest_bo bo;
	ssize_t first;
	int err, knob;
	char *p;

	if (drmtest_bo_create(fd, size, &bo))
		_exit(101);
	p = drmtest_bo_mmap(&bo, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED);
	/* Opened beforehand: opening it would allocate, and fail, too. */
	knob = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	if (p == MAP_FAILED || knob < 0)
		_exit(102);
	if (pwrite(knob, "1", 1, 0) != 1)
		_exit(103);
	err = madvise(p, size, MADV_POPULATE_WRITE) ? errno : 0;
	if (pwrite(knob, "0", 1, 0) != 1)
		_exit(108);
	if (err && err != ENOMEM)
		_exit(err);
	if (must_fail && !err)
		_exit(104);
	/* Nothing is left half done: populate again, all zeros, then data. */
	if (madvise(p, size, MADV_POPULATE_WRITE))
		_exit(105);
	for (size_t i = 0; i < size; i += 4)
		if (*(uint32_t *)(p + i))
			_exit(106);
	fill(p, npages, 0xf1);
	if (count_bad(p, npages, 0xf1, &first))
		_exit(107);
	_exit(err);
}

TEST_F_TIMEOUT(faultinj, populate_fails_cleanly, 120)
{
	int status;
	long msec;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		faultinj_child(self->fd, variant->must_fail);
	status = wait_deadline(pid, 60, &msec);
	ASSERT_NE(-1, status) TH_LOG("still running after 60 s: killed");
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child died: status %#x", status);
	TH_LOG("%s: first MADV_POPULATE_WRITE: %s", variant->attr,
	       drmtest_errno_name(WEXITSTATUS(status)));
	EXPECT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == ENOMEM)
		TH_LOG("exit %d (100 + step: see faultinj_child())", WEXITSTATUS(status));
	if (variant->must_fail)
		EXPECT_EQ(ENOMEM, WEXITSTATUS(status));
}

FIXTURE(storm) {
	int fd;
};

FIXTURE_SETUP(storm)
{
	OPEN_PURGEABLE_OR_SKIP(self->fd, "vgem");
}

FIXTURE_TEARDOWN(storm)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The signal storm: shared between the test and its threads. */
struct storm {
	int fd;
	struct drmtest_bo bo[2];
	char *map[2];
	atomic_bool stop;
	atomic_long calls, errors, first_errno, signals;
	const char *first_call;
};

static atomic_long sigusr1_count;

static void on_sigusr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigusr1_count, 1);
}

static void storm_check(struct storm *s, int ret, const char *call)
{
	atomic_fetch_add(&s->calls, 1);
	if (!ret)
		return;
	if (!atomic_fetch_add(&s->errors, 1)) {
		s->first_errno = errno;
		s->first_call = call;
	}
}

#define STORM_BO	(16 * MiB)

/* Zap and populate both objects, over and over. */
static void *storm_populate(void *arg)
{
	struct storm *s = arg;

	while (!s->stop)
		for (int i = 0; i < 2; i++) {
			storm_check(s, madvise(s->map[i], STORM_BO, MADV_DONTNEED), "MADV_DONTNEED");
			storm_check(s, madvise(s->map[i], STORM_BO, MADV_POPULATE_WRITE),
				    "MADV_POPULATE_WRITE");
		}
	return NULL;
}

/* Take the objects' reservation locks through advice. */
static void *storm_advise(void *arg)
{
	struct storm *s = arg;

	while (!s->stop)
		for (int i = 0; i < 2; i++) {
			storm_check(s, madvise(s->map[i], STORM_BO, MADV_FREE), "MADV_FREE");
			storm_check(s, madvise(s->map[i], STORM_BO, MADV_WILLNEED),
				    "MADV_WILLNEED");
		}
	return NULL;
}

TEST_F_TIMEOUT(storm, populate_survives_signal_storm, 120)
{
	struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = SA_RESTART };
	struct storm s = { .fd = self->fd };
	void *(*fn[3])(void *) = { storm_populate, storm_populate, storm_advise };
	struct timespec t0;
	pthread_t th[3];
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, drmtest_bo_create(self->fd, STORM_BO, &s.bo[i]));
		s.map[i] = map_bo(_metadata, &s.bo[i], NULL, PROT_READ | PROT_WRITE,
				  MAP_SHARED);
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fn[i], &s));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (drmtest_elapsed_msec(&t0) < 5000) {
		for (i = 0; i < 3; i++)
			pthread_kill(th[i], SIGUSR1);
		usleep(100);
	}
	s.stop = true;
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%ld calls, %ld signals handled, %ld failed%s%s%s", (long)s.calls,
	       (long)sigusr1_count, (long)s.errors, s.errors ? " (first: " : "",
	       s.errors ? s.first_call : "", s.errors ? ")" : "");
	EXPECT_EQ(0, s.errors)
		TH_LOG("%s failed with %s", s.first_call, drmtest_errno_name(s.first_errno));
	EXPECT_GT(sigusr1_count, 100);
	for (i = 0; i < 2; i++) {
		munmap(s.map[i], STORM_BO);
		drmtest_bo_destroy(&s.bo[i]);
	}
}

/* SIGKILL ends a task that populates a large object over and over. */
TEST_F_TIMEOUT(storm, sigkill_ends_populate, 120)
{
	const size_t size = 256 * MiB;
	struct drmtest_bo bo;
	long msec;
	int status;
	pid_t pid;
	char *p;

	ASSERT_EQ(0, drmtest_bo_create(self->fd, size, &bo));
	p = map_bo(_metadata, &bo, NULL, PROT_READ | PROT_WRITE, MAP_SHARED);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		for (;;) {
			madvise(p, size, MADV_DONTNEED);
			madvise(p, size, MADV_POPULATE_WRITE);
		}
	usleep(500000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	status = wait_deadline(pid, 10, &msec);
	TH_LOG("the populating task ended %ld ms after SIGKILL", msec);
	ASSERT_NE(-1, status);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	munmap(p, size);
	drmtest_bo_destroy(&bo);
}

TEST_HARNESS_MAIN
