// SPDX-License-Identifier: GPL-2.0
/*
 * populate_demo: what the populate hook changes for a GEM mmap, in numbers.
 * For each virtual GPU present, maps a dumb buffer three ways and counts the
 * minor page faults that touching every page costs afterwards.
 * Not a test (the IGT test gem_mmap_populate is); `make demo` runs it in the
 * guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drmtest.h"

#define BO_SIZE		(4 << 20)

static long faults_after(const struct drmtest_bo *bo, int flags, int advice)
{
	long faults;
	void *ptr;

	ptr = drmtest_bo_mmap(bo, NULL, bo->size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | flags);
	if (ptr == MAP_FAILED)
		return -errno;
	if (advice && madvise(ptr, bo->size, advice)) {
		faults = -errno;
		munmap(ptr, bo->size);
		return faults;
	}
	faults = drmtest_touch_faults(ptr, bo->size, DRMTEST_TOUCH_WRITE);
	munmap(ptr, bo->size);
	return faults;
}

static void show(const char *what, long faults)
{
	if (faults < 0)
		printf("  %-42s fails: %s\n", what, strerror(-faults));
	else
		printf("  %-42s %6ld minor faults\n", what, faults);
}

int main(void)
{
	static const char *const drivers[] = { "vgem", "virtio_gpu", "bochs-drm" };
	unsigned int i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		struct drmtest_bo bo;
		uint64_t cap = 0;
		int fd;

		fd = drmtest_open_driver(drivers[i]);
		if (fd < 0) {
			printf("%s: no device\n", drivers[i]);
			continue;
		}
		if (drmtest_bo_create(fd, BO_SIZE, &bo)) {
			printf("%s: cannot create a dumb buffer\n", drivers[i]);
			close(fd);
			continue;
		}
		drmGetCap(fd, DRM_CAP_GEM_MMAP_ADVICE, &cap);
		printf("%s: %llu KiB dumb buffer (%llu pages), DRM_CAP_GEM_MMAP_ADVICE = %#llx\n",
		       drivers[i], (unsigned long long)bo.size >> 10,
		       (unsigned long long)bo.size / drmtest_page_size(),
		       (unsigned long long)cap);
		show("mmap, write every page:", faults_after(&bo, 0, 0));
		show("mmap(MAP_POPULATE), write every page:",
		     faults_after(&bo, MAP_POPULATE, 0));
		show("madvise(MADV_POPULATE_WRITE), write:",
		     faults_after(&bo, 0, MADV_POPULATE_WRITE));
		drmtest_bo_destroy(&bo);
		close(fd);
	}
	return 0;
}
