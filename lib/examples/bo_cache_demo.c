// SPDX-License-Identifier: MIT
/*
 * bo_cache_demo: fill a BO cache with purgeable BOs, put the machine under
 * memory pressure from a child process, then allocate the BOs again and tell
 * how many came back with their contents and how many the kernel purged.
 *
 *   bo_cache_demo [--device PATH | --driver NAME] [--count N] [--size BYTES]
 *                 [--pressure FRACTION] [--no-map]
 *
 * The default device is the first /dev/dri/card* whose driver is "vgem".
 * The pressure child maps FRACTION (default 0.9) of MemTotal anonymously and
 * touches every page; it volunteers for the OOM killer (oom_score_adj 1000).
 *
 * Exit status: 0 done, 77 skipped (no such device, no
 * purgeable advice), 1 error (including retained BOs with wrong contents).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
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
		"usage: %s [--device PATH | --driver NAME] [--count N] [--size BYTES]\n"
		"          [--pressure FRACTION] [--no-map]\n", argv0);
	exit(2);
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
			printf("device: %s (%s)\n", path, driver);
			return fd;
		}
		close(fd);
	}
	return -1;
}

static uint64_t mem_total(void)
{
	unsigned long long kib = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	}
	fclose(f);
	return (uint64_t)kib << 10;
}

/*
 * The pressure child (run as a fresh exec of this program, so that it holds
 * neither the DRM fd nor the BO mappings).
 */
static int pressure_child(double fraction)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)((double)mem_total() * fraction) & ~(page - 1);
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
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
	for (size_t off = 0; off < len; off += page)
		p[off] = 1;
	printf("pressure: touched %zu MiB\n", len >> 20);
	return 0;
}

static void run_pressure(const char *argv0, double fraction)
{
	char arg[32];
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%.6f", fraction);
	printf("pressure: %.0f%% of MemTotal (%" PRIu64 " MiB)\n",
	       fraction * 100, mem_total() >> 20);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return;
	}
	if (pid == 0) {
		execl("/proc/self/exe", argv0, "--pressure-child", arg,
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		perror("waitpid");
	else if (WIFSIGNALED(status))
		printf("pressure: child killed by signal %d%s\n",
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGKILL ? " (OOM killer?)" : "");
	else if (WEXITSTATUS(status))
		printf("pressure: child failed (%d)\n", WEXITSTATUS(status));
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "driver", required_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "pressure", required_argument, NULL, 'p' },
		{ "no-map", no_argument, NULL, 'm' },
		{ "pressure-child", required_argument, NULL, 'c' },
		{ 0 }
	};
	const char *device = NULL, *driver = "vgem", *path;
	unsigned long count = 64;
	uint64_t size = 1 << 20;
	double fraction = 0.9;
	bool keep_maps = true;
	struct bo_cache_stats before, after;
	struct bo_cache *cache;
	drmGemAdvice *adv;
	struct bo **bos;
	uint32_t caps;
	int c, fd, ret = 0;
	unsigned long bad = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': device = optarg; break;
		case 'D': driver = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'p': fraction = strtod(optarg, NULL); break;
		case 'm': keep_maps = false; break;
		case 'c': return pressure_child(strtod(optarg, NULL));
		default: usage(argv[0]);
		}
	}
	if (optind != argc || count == 0 || size == 0 ||
	    !(fraction >= 0 && fraction < 1))
		usage(argv[0]);

	if (device) {
		fd = open(device, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			printf("SKIP: %s: %s\n", device, strerror(errno));
			return SKIP;
		}
		printf("device: %s\n", device);
	} else {
		fd = open_driver(driver);
		if (fd < 0) {
			printf("SKIP: no /dev/dri/card* driven by %s\n", driver);
			return SKIP;
		}
	}
	/*
	 * No DRM_CAP_DUMB_BUFFER check: render-only drivers such as vgem have
	 * dumb buffers but do not report the cap (it is a KMS one).
	 */
	adv = drmGemAdviceCreate(fd);
	if (!adv) {
		perror("drmGemAdviceCreate");
		close(fd);
		return 1;
	}
	caps = drmGemAdviceGetCaps(adv);
	if (caps & DRM_GEM_ADVICE_PURGEABLE)
		path = keep_maps ? "madvise() on the mappings" :
				   "posix_fadvise() at the mmap offsets";
	else if (caps & DRM_GEM_ADVICE_PURGEABLE_LEGACY)
		path = "the driver's madvise ioctl";
	else
		path = NULL;
	printf("caps: 0x%x%s%s%s\n", caps,
	       caps & DRM_GEM_ADVICE_POPULATE ? " populate" : "",
	       caps & DRM_GEM_ADVICE_PURGEABLE ? " purgeable" : "",
	       caps & DRM_GEM_ADVICE_PURGEABLE_LEGACY ? " purgeable-legacy" : "");
	if (!path) {
		printf("SKIP: the kernel has no purgeable advice for this device\n");
		drmGemAdviceDestroy(adv);
		close(fd);
		return SKIP;
	}

	cache = bo_cache_create(fd, adv, keep_maps);
	bos = calloc(count, sizeof(*bos));
	if (!cache || !bos) {
		perror("calloc");
		ret = 1;
		goto out;
	}

	/* Fill the cache: allocate, write, free (marked purgeable). */
	for (unsigned long i = 0; i < count; i++) {
		bos[i] = bo_cache_alloc(cache, size);
		if (!bos[i]) {
			fprintf(stderr, "bo %lu: %s\n", i, strerror(errno));
			ret = 1;
			goto out;
		}
		memset(bos[i]->map, pattern_of(bos[i]), bos[i]->size);
	}
	for (unsigned long i = 0; i < count; i++) {
		bo_cache_free(cache, bos[i]);
		bos[i] = NULL;
	}
	before = bo_cache_get_stats(cache);
	printf("cached: %lu of %lu BOs of %" PRIu64 " bytes, purgeable through %s\n",
	       before.cached, count, size, path);

	if (fraction > 0)
		run_pressure(argv[0], fraction);

	/* Take them back. */
	for (unsigned long i = 0; i < count; i++) {
		bos[i] = bo_cache_alloc(cache, size);
		if (!bos[i]) {
			fprintf(stderr, "bo %lu: %s\n", i, strerror(errno));
			ret = 1;
			goto out;
		}
		if (bos[i]->reused && !check_pattern(bos[i]))
			bad++;
	}
	after = bo_cache_get_stats(cache);
	printf("reallocated: %lu BOs: %lu retained, %lu purged and dropped, "
	       "%lu new\n", count, after.retained - before.retained,
	       after.purged - before.purged, after.created - before.created -
	       (after.purged - before.purged));
	if (bad) {
		printf("FAIL: %lu retained BOs lost their contents\n", bad);
		ret = 1;
	}

out:
	for (unsigned long i = 0; bos && i < count; i++) {
		if (bos[i])
			bo_cache_free(cache, bos[i]);
	}
	free(bos);
	bo_cache_destroy(cache);
	drmGemAdviceDestroy(adv);
	close(fd);
	return ret;
}
