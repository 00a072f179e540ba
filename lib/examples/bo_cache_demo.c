// SPDX-License-Identifier: MIT
/*
 * bo_cache_demo: a Mesa-style BO cache (bo_cache.h) under memory pressure,
 * with its expectations checked. Prints TAP:
 *
 *   1 fill      COUNT BOs written and freed: all go into the cache
 *   2 reuse     without pressure, all COUNT come back with their contents
 *   3 pressure  with half of the BOs in use and half cached, a child process
 *               pushes the machine beyond RAM: the BOs in use keep their
 *               contents; every cached BO comes back either with its
 *               contents (reused) or purged and replaced by a new BO
 *               (dropped); at least one was purged
 *
 *   bo_cache_demo [--policy mapped|unmapped] [--device PATH | --driver NAME]
 *                 [--count N] [--size BYTES] [--pressure FRACTION]
 *
 * --policy mapped keeps cached BOs mapped and advises the mapping
 * (freedreno, vc4, iris); unmapped unmaps them and advises by offset or
 * handle (panfrost). The default device is the first /dev/dri/card* whose
 * driver is "vgem". The pressure child maps FRACTION (default 1.5, at most
 * 4) of MemTotal anonymously and touches every page, and volunteers for the
 * OOM killer (oom_score_adj 1000): beyond RAM, reclaim must run every
 * shrinker before the OOM killer ends the child, so purgeable BOs are
 * purged for certain, where less pressure may leave them all alone. The
 * child stops early, on a machine without swap, once Shmem in
 * /proc/meminfo has fallen by one BO (shmem-backed drivers such as vgem: a
 * BO was purged; with swap, shmem also falls as pages are swapped out):
 * there, the way to the OOM killer is minutes of thrashing on the page
 * cache of executables on a slow machine, long enough to time out a run.
 *
 * Exit status: 0 every test passed, 1 one failed, 77 skipped (no such
 * device, no purgeable advice), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "bo_cache.h"

#define SKIP 77

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--policy mapped|unmapped] [--device PATH | --driver NAME]\n"
		"          [--count N] [--size BYTES] [--pressure FRACTION]\n", argv0);
	exit(2);
}

static int tests_failed;

static void tap(int n, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tap(int n, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d ", ok ? "ok" : "not ok", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tests_failed++;
}

static bool is_driver(int fd, const char *driver)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool match = v && v->name && strcmp(v->name, driver) == 0;

	drmFreeVersion(v);
	return match;
}

/* The first card driven by @driver, or -1. */
static int open_driver(const char *driver)
{
	for (int i = 0; i < 64; i++) {
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_driver(fd, driver)) {
			printf("# device: %s (%s)\n", path, driver);
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* A /proc/meminfo field ("MemTotal", "Shmem", ...) in bytes; 0 if none. */
static uint64_t meminfo(const char *field)
{
	unsigned long long kib = 0;
	size_t n = strlen(field);
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, "%llu kB", &kib) == 1)
			break;
	}
	fclose(f);
	return (uint64_t)kib << 10;
}

/*
 * The pressure child (run as a fresh exec of this program, so that it holds
 * neither the DRM fd nor the BO mappings).
 */
static int pressure_child(double fraction, uint64_t bo_size)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), step = 4 << 20;
	size_t len = (size_t)((double)meminfo("MemTotal") * fraction) & ~(page - 1);
	const uint64_t shmem = meminfo("SwapTotal") ? 0 : meminfo("Shmem");
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	size_t off;
	char *p;

	if (f) {
		fputs("1000\n", f);
		fclose(f);
	}
	if (len == 0)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("pressure: mmap");
		return 1;
	}
	for (off = 0; off < len; off += page) {
		p[off] = 1;
		if (shmem && off % step == 0 &&
		    meminfo("Shmem") + bo_size <= shmem)
			break;
	}
	printf("# pressure: touched %zu MiB%s\n", off >> 20,
	       off < len ? ", stopped: Shmem fell by a BO" : "");
	return 0;
}

static void run_pressure(const char *argv0, double fraction, uint64_t bo_size)
{
	char arg[32], size[32];
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%.6f", fraction);
	snprintf(size, sizeof(size), "%" PRIu64, bo_size);
	printf("# pressure: up to %.0f%% of MemTotal (%" PRIu64 " MiB)\n",
	       fraction * 100, meminfo("MemTotal") >> 20);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return;
	}
	if (pid == 0) {
		execl("/proc/self/exe", argv0, "--size", size,
		      "--pressure-child", arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		perror("waitpid");
	else if (WIFSIGNALED(status))
		printf("# pressure: child killed by signal %d%s\n",
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGKILL ? " (OOM killer?)" : "");
	else if (WEXITSTATUS(status))
		printf("# pressure: child failed (%d)\n", WEXITSTATUS(status));
}

static uint8_t pattern_of(const struct bo *bo)
{
	return (uint8_t)(bo->handle * 37u + 11u);
}

static bool check_pattern(const struct bo *bo)
{
	const uint8_t want = pattern_of(bo), *p = bo->map;

	for (uint64_t i = 0; i < bo->size; i++) {
		if (p[i] != want)
			return false;
	}
	return true;
}

/* Allocate @count BOs from the cache; how many came back with wrong contents. */
static unsigned long alloc_all(struct bo_cache *cache, struct bo **bos,
			       unsigned long count, uint64_t size)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < count; i++) {
		bos[i] = bo_cache_alloc(cache, size);
		if (!bos[i]) {
			printf("# bo %lu: %s\n", i, strerror(errno));
			return count;
		}
		if (bos[i]->reused && !check_pattern(bos[i]))
			bad++;
		memset(bos[i]->map, pattern_of(bos[i]), bos[i]->size);
	}
	return bad;
}

static void free_all(struct bo_cache *cache, struct bo **bos,
		     unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		if (bos[i])
			bo_cache_free(cache, bos[i]);
		bos[i] = NULL;
	}
}

static int open_device(const char *device, const char *driver)
{
	int fd;

	if (!device)
		return open_driver(driver);
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		printf("# device: %s\n", device);
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'd' },
		{ "driver", required_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "pressure", required_argument, NULL, 'p' },
		{ "pressure-child", required_argument, NULL, 'c' },
		{ 0 }
	};
	const char *device = NULL, *driver = "vgem";
	enum bo_cache_policy policy = BO_CACHE_KEEP_MAPPED;
	unsigned long count = 64, half, bad, lost = 0;
	uint64_t size = 1 << 20;
	double fraction = 1.5;
	struct bo_cache_stats s0, s1, sa, s2;
	struct bo_cache *cache = NULL;
	struct gem_advice *adv;
	struct bo **bos = NULL;
	uint32_t caps;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (strcmp(optarg, "mapped") == 0)
				policy = BO_CACHE_KEEP_MAPPED;
			else if (strcmp(optarg, "unmapped") == 0)
				policy = BO_CACHE_UNMAP;
			else
				usage(argv[0]);
			break;
		case 'd': device = optarg; break;
		case 'D': driver = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'p': fraction = strtod(optarg, NULL); break;
		case 'c': return pressure_child(strtod(optarg, NULL), size);
		default: usage(argv[0]);
		}
	}
	if (optind != argc || count < 2 || size == 0 ||
	    !(fraction > 0 && fraction <= 4))
		usage(argv[0]);

	fd = open_device(device, driver);
	if (fd < 0) {
		printf("1..0 # SKIP no device %s\n", device ? device : driver);
		return SKIP;
	}
	/*
	 * No DRM_CAP_DUMB_BUFFER check: render-only drivers such as vgem have
	 * dumb buffers but do not report the cap (it is a KMS one).
	 */
	adv = gem_advice_create(fd);
	if (!adv) {
		printf("1..0 # SKIP gem_advice_create: %s\n", strerror(errno));
		close(fd);
		return SKIP;
	}
	caps = gem_advice_get_caps(adv);
	printf("# policy %s, caps 0x%x%s%s%s\n",
	       policy == BO_CACHE_KEEP_MAPPED ? "mapped" : "unmapped", caps,
	       caps & GEM_ADVICE_POPULATE ? " populate" : "",
	       caps & GEM_ADVICE_PURGEABLE ? " purgeable" : "",
	       caps & GEM_ADVICE_PURGEABLE_LEGACY ? " purgeable-legacy" : "");
	if (!(caps & (GEM_ADVICE_PURGEABLE | GEM_ADVICE_PURGEABLE_LEGACY))) {
		printf("1..0 # SKIP no purgeable advice for this device\n");
		gem_advice_destroy(adv);
		close(fd);
		return SKIP;
	}
	printf("1..3\n");

	cache = bo_cache_create(fd, adv, policy);
	bos = calloc(count, sizeof(*bos));
	if (!cache || !bos) {
		printf("Bail out! calloc: %s\n", strerror(errno));
		return 1;
	}

	/* 1: fill the cache. */
	bad = alloc_all(cache, bos, count, size);
	free_all(cache, bos, count);
	s0 = bo_cache_get_stats(cache);
	tap(1, bad == 0 && s0.cached == count && s0.created == count,
	    "fill: %lu BOs of %" PRIu64 " bytes created, %lu cached", s0.created,
	    size, s0.cached);

	/* 2: without pressure, every BO comes back, with its contents. */
	bad = alloc_all(cache, bos, count, size);
	free_all(cache, bos, count);
	s1 = bo_cache_get_stats(cache);
	tap(2, bad == 0 && s1.reused - s0.reused == count &&
	       s1.dropped == s0.dropped && s1.created == s0.created &&
	       s1.cached - s0.cached == count,
	    "reuse: %lu of %lu reused, %lu dropped, %lu created, %lu with wrong contents",
	    s1.reused - s0.reused, count, s1.dropped - s0.dropped,
	    s1.created - s0.created, bad);

	/*
	 * 3: half of the BOs in use (needed), the other half cached
	 * (purgeable), then pressure: the kernel may purge only cached BOs;
	 * those come back either with their contents or purged, and are then
	 * dropped and replaced.
	 */
	half = count / 2;
	bad = alloc_all(cache, bos, half, size);
	sa = bo_cache_get_stats(cache);
	run_pressure(argv[0], fraction, size);
	for (unsigned long i = 0; i < half; i++)
		lost += bos[i] && !check_pattern(bos[i]);
	bad += alloc_all(cache, bos + half, count - half, size);
	s2 = bo_cache_get_stats(cache);
	tap(3, bad == 0 && lost == 0 && sa.reused - s1.reused == half &&
	       s2.reused - sa.reused + s2.dropped - sa.dropped == count - half &&
	       s2.dropped - sa.dropped >= 1 &&
	       s2.created - sa.created == s2.dropped - sa.dropped,
	    "pressure: %lu in use kept (%lu lost); %lu cached: %lu reused, "
	    "%lu purged and dropped, %lu created, %lu with wrong contents",
	    half, lost, count - half, s2.reused - sa.reused,
	    s2.dropped - sa.dropped, s2.created - sa.created, bad);

	free_all(cache, bos, count);
	free(bos);
	bo_cache_destroy(cache);
	gem_advice_destroy(adv);
	close(fd);
	return tests_failed ? 1 : 0;
}
