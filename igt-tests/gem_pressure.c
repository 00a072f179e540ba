// SPDX-License-Identifier: GPL-2.0
/*
 * gem_pressure: purgeable GEM objects under real memory pressure.
 *
 * A pool of needed buffer objects (BOs) holding a data pattern and a larger
 * pool of purgeable ones (half mapped and advised with MADV_FREE, half
 * unmapped and advised with posix_fadvise(POSIX_FADV_DONTNEED)), then a
 * child process that allocates and touches more anonymous memory than the
 * machine has left unless the kernel's shrinker purges the purgeable BOs.
 * The guest has no swap, so nothing else can give the memory back.
 *
 * Expected: the allocator gets its memory (it is not OOM-killed: the test
 * itself is shielded with oom_score_adj -1000 and the allocator exposed with
 * 1000, so an OOM kill would hit it and fail the test), every needed BO still
 * holds every byte and is still mapped without SIGBUS, purgeable BOs were
 * purged (MADV_WILLNEED / POSIX_FADV_WILLNEED report EFAULT) at least as
 * much as the allocator took beyond what was available, and those that were
 * not purged still hold their data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include "drmtest.h"
#include "drmtest_harness.h"

#define BO_SIZE		(4ul << 20)

struct pool_bo {
	struct drmtest_bo bo;
	void *map;		/* NULL when unmapped */
	uint32_t seed;
};

FIXTURE(pressure) {
	int fd;
};

FIXTURE_SETUP(pressure)
{
	OPEN_PURGEABLE_OR_SKIP(self->fd, "vgem");
	if (drmtest_set_oom_score_adj(-1000))
		SKIP(return, "cannot shield the test from the OOM killer (not root)");
}

FIXTURE_TEARDOWN(pressure)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Filling and checking hundreds of MiB takes longer than the harness's
 * default 30 s under QEMU TCG with KASAN (about 30 s on an idle host, more
 * on a loaded one); the guest suite's own limit for a binary is 600 s.
 */
TEST_F_TIMEOUT(pressure, shrinker_purges_purgeable_keeps_needed, 540)
{
	size_t page = drmtest_page_size(), npages = BO_SIZE / page;
	unsigned long avail, needed_bytes, purgeable_bytes, push;
	unsigned long purged = 0, retained = 0;
	struct pool_bo *needed, *purgeable;
	int fd = self->fd, nn, np, i, status;
	pid_t pid;

	/*
	 * Needed BOs: 1/8 of what is available; purgeable: 1/2. The
	 * allocator then asks for what is left plus 3/4 of the purgeable
	 * pool, which only purging can provide.
	 */
	avail = drmtest_meminfo("MemAvailable");
	ASSERT_GT(avail, 64 * MiB);
	nn = avail / 8 / BO_SIZE;
	np = avail / 2 / BO_SIZE;
	needed = calloc(nn, sizeof(*needed));
	purgeable = calloc(np, sizeof(*purgeable));
	ASSERT_TRUE(needed && purgeable);

	for (i = 0; i < nn + np; i++) {
		struct pool_bo *b = i < nn ? &needed[i] : &purgeable[i - nn];

		ASSERT_EQ(0, drmtest_bo_create(fd, BO_SIZE, &b->bo));
		b->map = drmtest_bo_mmap(&b->bo, NULL, BO_SIZE,
					 PROT_READ | PROT_WRITE, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, b->map);
		b->seed = 0x9e55u + i;
		drmtest_fill_pattern(b->map, 0, npages, b->seed);
	}
	for (i = 0; i < np; i++) {
		struct pool_bo *b = &purgeable[i];

		if (i % 2) {
			ASSERT_EQ(0, munmap(b->map, BO_SIZE));
			b->map = NULL;
			ASSERT_EQ(0, drmtest_fadvise(fd, b->bo.offset, 0,
						     POSIX_FADV_DONTNEED));
		} else {
			ASSERT_EQ(0, drmtest_madvise(b->map, BO_SIZE, MADV_FREE));
		}
	}
	needed_bytes = (unsigned long)nn * BO_SIZE;
	purgeable_bytes = (unsigned long)np * BO_SIZE;

	avail = drmtest_meminfo("MemAvailable");
	push = avail + purgeable_bytes / 4 * 3;
	TH_LOG("needed %lu MiB, purgeable %lu MiB, available %lu MiB, allocating %lu MiB",
	       needed_bytes / MiB, purgeable_bytes / MiB, avail / MiB, push / MiB);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		drmtest_anon_pressure(push);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFSIGNALED(status))
		TH_LOG("allocator killed by signal %d: the shrinker did not free the purgeable BOs",
		       WTERMSIG(status));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* Every needed BO holds every byte, through its mapping. */
	for (i = 0; i < nn; i++) {
		uint32_t found = 0;
		ssize_t bad = drmtest_check_pattern(needed[i].map, 0, npages,
						    needed[i].seed, &found);

		EXPECT_EQ(-1, bad) {
			TH_LOG("needed BO %d: dword %zd reads %#x", i, bad, found);
		}
	}

	/* Purgeable ones: purged, or retained with their data. */
	for (i = 0; i < np; i++) {
		struct pool_bo *b = &purgeable[i];
		int ret;

		if (b->map)
			ret = drmtest_madvise(b->map, BO_SIZE, MADV_WILLNEED);
		else
			ret = drmtest_fadvise(fd, b->bo.offset, 0, POSIX_FADV_WILLNEED);
		ASSERT_TRUE(ret == 0 || ret == EFAULT) {
			TH_LOG("purgeable BO %d: WILLNEED gave %s", i, strerror(ret));
		}
		if (ret == EFAULT) {
			purged++;
			continue;
		}
		retained++;
		if (!b->map) {
			b->map = drmtest_bo_mmap(&b->bo, NULL, BO_SIZE, PROT_READ,
						 MAP_SHARED);
			ASSERT_NE(MAP_FAILED, b->map);
		}
		EXPECT_EQ(-1, drmtest_check_pattern(b->map, 0, npages, b->seed, NULL));
	}
	TH_LOG("purgeable BOs: %lu purged, %lu retained", purged, retained);

	/*
	 * The allocator's excess over what was available came from purging
	 * (MemAvailable is an estimate: allow it to be off by half).
	 */
	EXPECT_GE(purged * BO_SIZE, (push - avail) / 2);

	for (i = 0; i < nn + np; i++) {
		struct pool_bo *b = i < nn ? &needed[i] : &purgeable[i - nn];

		if (b->map)
			munmap(b->map, BO_SIZE);
		drmtest_bo_destroy(&b->bo);
	}
	free(needed);
	free(purgeable);
}

TEST_HARNESS_MAIN
