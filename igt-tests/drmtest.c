// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by the DRM uAPI tests. See drmtest.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drmtest.h"

#define DUMB_BPP	32
#define DUMB_WIDTH	1024

size_t drmtest_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static bool is_driver(int fd, const char *driver)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool match;

	if (!v)
		return false;
	match = v->name && !strcmp(v->name, driver);
	drmFreeVersion(v);
	return match;
}

int drmtest_open_driver(const char *driver)
{
	struct dirent *de;
	DIR *dir;
	int fd = -1;

	dir = opendir("/dev/dri");
	if (!dir) {
		errno = ENODEV;
		return -1;
	}
	while ((de = readdir(dir))) {
		char path[sizeof("/dev/dri/") + sizeof(de->d_name)];

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_driver(fd, driver))
			break;
		close(fd);
		fd = -1;
	}
	closedir(dir);
	if (fd < 0)
		errno = ENODEV;
	return fd;
}

int drmtest_bo_create(int fd, uint64_t size, struct drmtest_bo *bo)
{
	struct drm_mode_create_dumb create = {
		.bpp = DUMB_BPP,
		.width = DUMB_WIDTH,
	};
	struct drm_mode_map_dumb map = {};
	uint64_t pitch = DUMB_WIDTH * DUMB_BPP / 8;
	int err;

	create.height = (size + pitch - 1) / pitch;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;

	memset(bo, 0, sizeof(*bo));
	bo->fd = fd;
	bo->handle = create.handle;
	bo->pitch = create.pitch;
	bo->size = create.size;

	map.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		err = -errno;
		drmtest_bo_destroy(bo);
		return err;
	}
	bo->offset = map.offset;
	return 0;
}

int drmtest_bo_destroy(struct drmtest_bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (!bo->handle)
		return 0;
	if (drmIoctl(bo->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy))
		return -errno;
	bo->handle = 0;
	return 0;
}

void *drmtest_bo_mmap(const struct drmtest_bo *bo, void *addr, size_t len,
		      int prot, int flags)
{
	return mmap(addr, len, prot, flags, bo->fd, (off_t)bo->offset);
}

long drmtest_minflt(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

static void touch_pages(void *ptr, size_t len, size_t page_size,
			enum drmtest_touch mode)
{
	size_t off;

	for (off = 0; off < len; off += page_size) {
		volatile uint32_t *p = (volatile uint32_t *)((char *)ptr + off);

		switch (mode) {
		case DRMTEST_TOUCH_READ:
			(void)*p;
			break;
		case DRMTEST_TOUCH_WRITE:
			*p = (uint32_t)(off / page_size);
			break;
		case DRMTEST_TOUCH_RMW:
			*p = *p;
			break;
		}
	}
}

/*
 * Called through a volatile pointer so that the compiler can neither inline
 * nor specialise it: the dry run and the measured run execute the same code.
 */
static void (*volatile touch_fn)(void *, size_t, size_t, enum drmtest_touch) =
	touch_pages;

void drmtest_touch(void *ptr, size_t len, enum drmtest_touch mode)
{
	touch_fn(ptr, len, drmtest_page_size(), mode);
}

long drmtest_touch_faults(void *ptr, size_t len, enum drmtest_touch mode)
{
	/* Memory for a dry run of the measured code path. */
	static uint32_t warmup[2 * 4096] __attribute__((aligned(4096)));
	void (*touch)(void *, size_t, size_t, enum drmtest_touch) = touch_fn;
	const size_t page_size = drmtest_page_size();
	struct rusage before, after;

	/*
	 * Fault in (or, after fork(), break COW on) everything the measured
	 * section uses besides [ptr, ptr + len): the rusage buffers, the
	 * stack, and the text of touch_pages() and getrusage().
	 */
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	touch(warmup, sizeof(warmup), page_size, mode);
	getrusage(RUSAGE_SELF, &after);

	getrusage(RUSAGE_SELF, &before);
	touch(ptr, len, page_size, mode);
	getrusage(RUSAGE_SELF, &after);

	return after.ru_minflt - before.ru_minflt;
}

uint32_t drmtest_pattern(uint32_t seed, size_t page, size_t dword)
{
	return seed ^ ((uint32_t)page << 16 | (uint32_t)(dword & 0xffff));
}

void drmtest_fill_pattern(void *ptr, size_t first_page, size_t npages,
			  uint32_t seed)
{
	const size_t dwords = drmtest_page_size() / sizeof(uint32_t);
	uint32_t *p = ptr;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < dwords; j++)
			*p++ = drmtest_pattern(seed, first_page + i, j);
}

ssize_t drmtest_check_pattern(const void *ptr, size_t first_page,
			      size_t npages, uint32_t seed, uint32_t *found)
{
	const size_t dwords = drmtest_page_size() / sizeof(uint32_t);
	const uint32_t *p = ptr;
	size_t i, j;

	for (i = 0; i < npages; i++) {
		for (j = 0; j < dwords; j++) {
			uint32_t v = p[i * dwords + j];

			if (v != drmtest_pattern(seed, first_page + i, j)) {
				if (found)
					*found = v;
				return (ssize_t)(i * dwords + j);
			}
		}
	}
	return -1;
}
