// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 drm-gem-populate developers
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "drmtest.h"
#include "igt_core.h"
#include "igt_gem_mmap.h"
#include "igt_kms.h"
#include "igt_msm.h"
#include "igt_panfrost.h"
#include "igt_vc4.h"
#include "ioctl_wrappers.h"
#include "i915/gem_create.h"
#include "i915_drm.h"
#include "msm_drm.h"
#include "panfrost_drm.h"
#include "vc4_drm.h"

static const struct {
	unsigned int chipset;
	const char *name;
} drivers[] = {
	{ DRIVER_INTEL, "i915" },
	{ DRIVER_MSM, "msm" },
	{ DRIVER_PANFROST, "panfrost" },
	{ DRIVER_VC4, "vc4" },
	{ DRIVER_VGEM, "vgem" },
	{ DRIVER_VIRTIO, "virtio_gpu" },
	{ DRIVER_VKMS, "vkms" },
};

/* Card nodes tried for the other drivers (dumb buffers). */
#define MAX_OTHER_CARDS	16

static void driver_name(int fd, char *name, size_t len)
{
	drmVersionPtr v = drmGetVersion(fd);

	igt_assert(v);
	snprintf(name, len, "%s", v->name);
	drmFreeVersion(v);
}

/*
 * DRM fd of card node /dev/dri/card@card if its driver is one of @chipset
 * (DRIVER_ANY leaves vgem, virtio-gpu and vkms out), or -1.
 */
static int open_card_of(unsigned int card, unsigned int chipset)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/dri/card%u", card);
	return __drm_open_device(path, chipset);
}

/*
 * The DRM driver name of each card node, "" where there is none: read once
 * per process. Each open and close of a card runs its fbdev restore (a
 * modeset) when no one else has it open, so the iterator opens a card only
 * to hand it out.
 */
static const char *card_name(unsigned int card)
{
	static char names[MAX_OTHER_CARDS][32];
	static bool scanned;

	if (!scanned) {
		for (unsigned int n = 0; n < MAX_OTHER_CARDS; n++) {
			char path[32];
			int fd;

			snprintf(path, sizeof(path), "/dev/dri/card%u", n);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			driver_name(fd, names[n], sizeof(names[n]));
			close(fd);
		}
		scanned = true;
	}
	return names[card];
}

/* Whether @name is a driver of drivers[], or that of another card before @card. */
static bool seen_before(const char *name, unsigned int card)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(drivers); i++) {
		if (!strcmp(drivers[i].name, name))
			return true;
	}
	for (unsigned int n = 0; n < card; n++) {
		if (!strcmp(card_name(n), name))
			return true;
	}
	return false;
}

/**
 * igt_gem_mmap_next_device:
 * @idx: iterator, 0 on the first call
 * @name: out, the driver's name
 * @len: size of @name
 *
 * The iterator behind for_each_gem_mmap_device(): the drivers with BO
 * ioctls of their own, vgem, virtio-gpu and vkms, then one card of each
 * other driver (dumb buffers). Returns an open DRM fd of the next driver
 * present, or -1 at the end.
 *
 * The card nodes are looked at directly: __drm_open_driver() would, for
 * each driver absent, try to load its module and rescan every device
 * through udev, seconds per subtest under a debug kernel. Only vgem, which
 * udev never loads, is looked for through it when no card has it.
 */
int igt_gem_mmap_next_device(unsigned int *idx, char *name, size_t len)
{
	int fd;

	while (*idx < ARRAY_SIZE(drivers)) {
		unsigned int i = (*idx)++;

		for (unsigned int card = 0; card < MAX_OTHER_CARDS; card++) {
			if (strcmp(card_name(card), drivers[i].name))
				continue;
			fd = open_card_of(card, drivers[i].chipset);
			if (fd >= 0) {
				snprintf(name, len, "%s", drivers[i].name);
				return fd;
			}
		}
		if (drivers[i].chipset == DRIVER_VGEM) {
			fd = __drm_open_driver(DRIVER_VGEM);
			if (fd >= 0) {
				driver_name(fd, name, len);
				return fd;
			}
		}
	}
	/* Then one card of each other driver, such as bochs and qxl. */
	while (*idx >= ARRAY_SIZE(drivers) &&
	       *idx < ARRAY_SIZE(drivers) + MAX_OTHER_CARDS) {
		unsigned int card = (*idx)++ - ARRAY_SIZE(drivers);

		if (!card_name(card)[0] || seen_before(card_name(card), card))
			continue;
		fd = open_card_of(card, DRIVER_ANY);
		if (fd >= 0) {
			snprintf(name, len, "%s", card_name(card));
			return fd;
		}
	}
	*idx = ARRAY_SIZE(drivers) + MAX_OTHER_CARDS;

	return -1;
}

/**
 * igt_gem_mmap_advice_caps:
 * @fd: DRM fd
 *
 * Returns the DRM_GEM_MMAP_ADVICE_* bits of DRM_CAP_GEM_MMAP_ADVICE, 0 on a
 * kernel without the capability.
 */
uint64_t igt_gem_mmap_advice_caps(int fd)
{
	uint64_t value = 0;

	if (drmGetCap(fd, DRM_CAP_GEM_MMAP_ADVICE, &value))
		return 0;
	return value;
}

static uint64_t map_dumb(int fd, uint32_t handle)
{
	struct drm_mode_map_dumb arg = { .handle = handle };

	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg);
	return arg.offset;
}

static uint64_t i915_mmap_offset(int fd, uint32_t handle)
{
	struct drm_i915_gem_mmap_offset arg = {
		.handle = handle,
		.flags = I915_MMAP_OFFSET_FIXED,	/* discrete */
	};

	if (igt_ioctl(fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &arg)) {
		arg.flags = I915_MMAP_OFFSET_WB;
		do_ioctl(fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &arg);
	}
	return arg.offset;
}

/**
 * igt_gem_mmap_bo_create:
 * @fd: DRM fd of any driver for_each_gem_mmap_device() opens
 * @size: size in bytes, a multiple of 4096
 * @bo: out
 *
 * Creates a BO with the driver's own allocator (gem_create on i915,
 * igt_msm_bo_new(), igt_panfrost_gem_new(), igt_vc4_create_bo(), a dumb
 * buffer elsewhere) and looks its fake mmap offset up. Fails the test on
 * error.
 */
void igt_gem_mmap_bo_create(int fd, uint64_t size, struct igt_gem_mmap_bo *bo)
{
	char name[32];

	igt_assert(size && !(size & 4095));
	driver_name(fd, name, sizeof(name));
	memset(bo, 0, sizeof(*bo));
	bo->fd = fd;
	bo->size = size;

	if (!strcmp(name, "i915")) {
		bo->handle = gem_create(fd, size);
		bo->offset = i915_mmap_offset(fd, bo->handle);
	} else if (!strcmp(name, "msm")) {
		struct drm_msm_gem_info info = { .info = MSM_INFO_GET_OFFSET };
		struct msm_device dev = { .fd = fd };
		struct msm_bo *mbo = igt_msm_bo_new(&dev, size, MSM_BO_WC);

		bo->handle = mbo->handle;
		free(mbo);		/* the handle stays: gem_close() frees it */
		info.handle = bo->handle;
		do_ioctl(fd, DRM_IOCTL_MSM_GEM_INFO, &info);
		bo->offset = info.value;
	} else if (!strcmp(name, "panfrost")) {
		struct panfrost_bo *pbo = igt_panfrost_gem_new(fd, size);
		struct drm_panfrost_mmap_bo arg = { .handle = pbo->handle };

		bo->handle = pbo->handle;
		free(pbo);		/* the handle stays: gem_close() frees it */
		do_ioctl(fd, DRM_IOCTL_PANFROST_MMAP_BO, &arg);
		bo->offset = arg.offset;
	} else if (!strcmp(name, "vc4")) {
		struct drm_vc4_mmap_bo arg = {};

		bo->handle = igt_vc4_create_bo(fd, size);
		arg.handle = bo->handle;
		do_ioctl(fd, DRM_IOCTL_VC4_MMAP_BO, &arg);
		bo->offset = arg.offset;
	} else {
		unsigned int stride;
		uint64_t dumb_size;

		/* 4 KiB rows: exactly @size bytes. */
		bo->handle = kmstest_dumb_create(fd, 1024, size / 4096, 32,
						 &stride, &dumb_size);
		igt_assert_eq(stride, 4096);
		bo->size = dumb_size;
		bo->offset = map_dumb(fd, bo->handle);
	}
}

/**
 * igt_gem_mmap_bo_destroy:
 * @bo: BO from igt_gem_mmap_bo_create()
 *
 * Closes the BO's handle (for dumb buffers the same as DESTROY_DUMB).
 */
void igt_gem_mmap_bo_destroy(struct igt_gem_mmap_bo *bo)
{
	gem_close(bo->fd, bo->handle);
	bo->handle = 0;
}

/**
 * __igt_gem_mmap_bo_map:
 * @bo: BO
 * @prot: PROT_* of mmap()
 * @flags: MAP_* of mmap(), MAP_SHARED or MAP_PRIVATE included
 *
 * Maps the whole BO. Returns the mapping or MAP_FAILED with errno.
 */
void *__igt_gem_mmap_bo_map(const struct igt_gem_mmap_bo *bo, int prot,
			    int flags)
{
	return mmap(NULL, bo->size, prot, flags, bo->fd, bo->offset);
}

/**
 * igt_gem_mmap_bo_map:
 * @bo: BO
 * @prot: PROT_* of mmap()
 * @flags: MAP_* of mmap()
 *
 * As __igt_gem_mmap_bo_map(), failing the test on error.
 */
void *igt_gem_mmap_bo_map(const struct igt_gem_mmap_bo *bo, int prot,
			  int flags)
{
	void *p = __igt_gem_mmap_bo_map(bo, prot, flags);

	igt_assert_f(p != MAP_FAILED, "mmap of a %" PRIu64 "-byte BO: %m\n",
		     bo->size);
	return p;
}

/**
 * igt_gem_mmap_fault_pages:
 * @fd: DRM fd
 *
 * Most pages one CPU fault maps on a mapping of this driver: 1 for the
 * shmem and DMA helpers and msm (512 for vgem with huge pages: one huge
 * page), 16 for TTM (TTM_BO_VM_NUM_PREFAULT), the
 * whole object for i915 (its fault handler maps all of it), 0 where mmap()
 * maps everything itself (vc4).
 */
/**
 * igt_gem_mmap_thp_mode:
 * @path: a transparent huge page sysfs file, such as
 *        IGT_GEM_MMAP_SHMEM_ENABLED
 * @mode: out, the mode selected there ("[never]" gives "never"), "" if
 *        none can be read
 * @len: size of @mode
 */
void igt_gem_mmap_thp_mode(const char *path, char *mode, size_t len)
{
	char buf[128] = "", *l = NULL, *r = NULL;
	FILE *f = fopen(path, "r");

	mode[0] = 0;
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f))
		l = strchr(buf, '[');
	if (l)
		r = strchr(l, ']');
	if (r) {
		*r = 0;
		snprintf(mode, len, "%s", l + 1);
	}
	fclose(f);
}

/**
 * igt_gem_mmap_set_shmem_enabled:
 * @mode: "never", "within_size", ...
 *
 * Sets the huge page mode of the kernel's shmem mount, which GEM objects
 * of most drivers (and memfds) live on. Returns 0 or -errno.
 */
int igt_gem_mmap_set_shmem_enabled(const char *mode)
{
	FILE *f = fopen(IGT_GEM_MMAP_SHMEM_ENABLED, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(mode, f) < 0)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/**
 * igt_gem_mmap_vgem_huge_pages:
 *
 * Whether vgem backs its BOs with huge pages (vgem.huge_pages=1): its BOs
 * of 2 MiB and more are then mapped one huge page per fault.
 */
bool igt_gem_mmap_vgem_huge_pages(void)
{
	char c = 'N';
	FILE *f = fopen("/sys/module/vgem/parameters/huge_pages", "r");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = 'N';
		fclose(f);
	}
	return c == 'Y';
}

unsigned int igt_gem_mmap_fault_pages(int fd)
{
	static const char *const ttm[] = {
		"amdgpu", "bochs-drm", "nouveau", "qxl", "radeon", "vmwgfx", "xe",
	};
	char name[32];

	driver_name(fd, name, sizeof(name));
	if (!strcmp(name, "vc4"))
		return 0;
	if (!strcmp(name, "vgem") && igt_gem_mmap_vgem_huge_pages())
		return 512;
	if (!strcmp(name, "i915"))
		return UINT32_MAX;
	for (unsigned int i = 0; i < ARRAY_SIZE(ttm); i++) {
		if (!strcmp(name, ttm[i]))
			return 16;
	}
	return 1;
}

/**
 * igt_gem_mmap_each_driver_mask:
 * @caps: DRM_GEM_MMAP_ADVICE_* bits a driver must have
 * @mask: the bits looked at: a driver qualifies if its bits in @mask are
 *        @caps (so bits in @mask but not in @caps must be clear)
 * @size: size of the BO each dynamic subtest gets, a multiple of 4096
 * @fn: the subtest body
 *
 * For the subtest it is called in: one dynamic subtest, named after the
 * driver, for each driver for_each_gem_mmap_device() opens that qualifies,
 * on a fresh BO of @size. With @mask, the subtest skips where no driver
 * qualifies.
 */
void igt_gem_mmap_each_driver_mask(uint64_t caps, uint64_t mask, uint64_t size,
				   void (*fn)(struct igt_gem_mmap_test *t))
{
	unsigned int idx, found = 0;
	struct igt_gem_mmap_test t;
	char name[32];
	int fd;

	for_each_gem_mmap_device(idx, fd, name) {
		if ((igt_gem_mmap_advice_caps(fd) & mask) == caps) {
			found++;
			igt_dynamic_f("%s", name) {
				t.fd = fd;
				t.fault_pages = igt_gem_mmap_fault_pages(fd);
				igt_gem_mmap_bo_create(fd, size, &t.bo);
				fn(&t);
				igt_gem_mmap_bo_destroy(&t.bo);
			}
		}
		close(fd);
	}
	if (mask)
		igt_require_f(found, "no driver with DRM_GEM_MMAP_ADVICE bits 0x%" PRIx64
			      " of 0x%" PRIx64 "\n", caps, mask);
}

/**
 * igt_gem_mmap_each_driver:
 * @caps: DRM_GEM_MMAP_ADVICE_* bits a driver must have, 0 for every driver
 * @size: size of the BO each dynamic subtest gets, a multiple of 4096
 * @fn: the subtest body
 *
 * igt_gem_mmap_each_driver_mask() for the drivers that have all of @caps.
 */
void igt_gem_mmap_each_driver(uint64_t caps, uint64_t size,
			      void (*fn)(struct igt_gem_mmap_test *t))
{
	igt_gem_mmap_each_driver_mask(caps, caps, size, fn);
}

/**
 * igt_gem_mmap_subtests:
 * @tests: the subtests
 * @n: how many
 * @caps: DRM_GEM_MMAP_ADVICE_* bits a driver must have, 0 for every driver
 * @size: size of the BO each dynamic subtest gets, a multiple of 4096
 *
 * Declares each of @tests, with its description, as a subtest with one
 * dynamic subtest per driver that has @caps (igt_gem_mmap_each_driver()).
 * Call it where igt_subtest() may be, in igt_main.
 */
void igt_gem_mmap_subtests(const struct igt_gem_mmap_subtest *tests,
			   unsigned int n, uint64_t caps, uint64_t size)
{
	for (unsigned int i = 0; i < n; i++) {
		igt_describe(tests[i].describe);
		igt_subtest_with_dynamic(tests[i].name)
			igt_gem_mmap_each_driver(caps, size, tests[i].fn);
	}
}

static long minflt(void)
{
	struct rusage ru;

	igt_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/**
 * igt_gem_mmap_touch_faults:
 * @ptr: mapping
 * @len: bytes, a multiple of 4096
 * @how: read, write, or read then write each page
 *
 * Touches each page once and returns how many page faults that cost the
 * process (getrusage() minor faults: call it from a single thread).
 */
long igt_gem_mmap_touch_faults(void *ptr, size_t len,
			       enum igt_gem_mmap_touch how)
{
	volatile uint32_t *p = ptr;
	long before = minflt();

	for (size_t off = 0; off < len / sizeof(*p); off += 4096 / sizeof(*p)) {
		switch (how) {
		case IGT_GEM_MMAP_READ:
			(void)p[off];
			break;
		case IGT_GEM_MMAP_WRITE:
			p[off] = 0;
			break;
		case IGT_GEM_MMAP_RMW:
			p[off] = p[off];
			break;
		}
	}
	return minflt() - before;
}

/**
 * igt_gem_mmap_fill:
 * @ptr: mapping
 * @len: bytes, a multiple of 4
 * @seed: pattern
 *
 * Writes a pattern that differs per dword and per @seed.
 */
void igt_gem_mmap_fill(void *ptr, size_t len, uint32_t seed)
{
	uint32_t *p = ptr;

	for (size_t i = 0; i < len / sizeof(*p); i++)
		p[i] = seed ^ (uint32_t)i;
}

/**
 * igt_gem_mmap_check:
 * @ptr: mapping
 * @len: bytes
 * @seed: pattern of igt_gem_mmap_fill()
 *
 * Returns whether @ptr holds the pattern; logs the first difference.
 */
bool igt_gem_mmap_check(const void *ptr, size_t len, uint32_t seed)
{
	const uint32_t *p = ptr;

	for (size_t i = 0; i < len / sizeof(*p); i++) {
		if (p[i] != (seed ^ (uint32_t)i)) {
			igt_info("dword %zu (page %zu): 0x%08x, expected 0x%08x\n",
				 i, i * sizeof(*p) / 4096, p[i],
				 seed ^ (uint32_t)i);
			return false;
		}
	}
	return true;
}

static sigjmp_buf access_jmp;

static void access_handler(int sig)
{
	siglongjmp(access_jmp, sig);
}

/**
 * igt_gem_mmap_access_signal:
 * @ptr: a dword in a mapping
 * @write: write it (else read it)
 *
 * Accesses @ptr and returns the signal that raised: SIGBUS for a purged BO,
 * SIGSEGV for no mapping or no permission, 0 for none.
 */
int igt_gem_mmap_access_signal(void *ptr, bool write)
{
	struct sigaction sa = { .sa_handler = access_handler }, bus, segv;
	volatile uint32_t *u = ptr;
	int sig;

	sigaction(SIGBUS, &sa, &bus);
	sigaction(SIGSEGV, &sa, &segv);
	sig = sigsetjmp(access_jmp, 1);
	if (!sig) {
		if (write)
			*u = 0xdeadbeef;
		else
			(void)*u;
	}
	sigaction(SIGBUS, &bus, NULL);
	sigaction(SIGSEGV, &segv, NULL);
	return sig;
}

/**
 * igt_gem_mmap_shrink_all:
 *
 * Runs every shrinker (drop_caches): the drivers' shrinkers purge the BOs
 * made purgeable. Skips the test where drop_caches cannot be written.
 */
void igt_gem_mmap_shrink_all(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	igt_require_f(fd >= 0, "cannot write /proc/sys/vm/drop_caches\n");
	igt_assert_eq(write(fd, "2\n", 2), 2);
	close(fd);
}

/**
 * igt_gem_mmap_check_at:
 * @ptr: mapping of part of a BO
 * @len: bytes
 * @offset: where in the BO @ptr maps, a multiple of 4
 * @seed: pattern igt_gem_mmap_fill() wrote over the whole BO
 *
 * As igt_gem_mmap_check(), for a mapping of the BO from byte @offset on:
 * returns whether each page shows the BO's page at its own offset.
 */
bool igt_gem_mmap_check_at(const void *ptr, size_t len, uint64_t offset,
			   uint32_t seed)
{
	const uint32_t first = offset / sizeof(uint32_t);
	const uint32_t *p = ptr;

	for (size_t i = 0; i < len / sizeof(*p); i++) {
		uint32_t want = seed ^ (first + (uint32_t)i);

		if (p[i] != want) {
			igt_info("BO page %" PRIu64 " dword %zu: 0x%08x, expected 0x%08x (BO page %u's)\n",
				 (offset + i * sizeof(*p)) / 4096,
				 i % (4096 / sizeof(*p)), p[i], want,
				 (p[i] ^ seed) / (uint32_t)(4096 / sizeof(*p)));
			return false;
		}
	}
	return true;
}

/**
 * igt_gem_mmap_assert_faulted:
 * @fault_pages: igt_gem_mmap_fault_pages() of the driver
 * @faults: page faults that touching @npages pages cost
 * @npages: pages touched, none of them populated
 *
 * Asserts that touching pages nothing populated took the driver's fault
 * path: one fault per page where a fault maps one page, at least one fault
 * per @fault_pages pages otherwise. Skips where mmap() maps the whole BO
 * itself (@fault_pages 0): there is no fault path to see.
 */
void igt_gem_mmap_assert_faulted(unsigned int fault_pages, long faults,
				 long npages)
{
	igt_require_f(fault_pages, "mmap() maps the whole BO itself\n");
	if (fault_pages == 1)
		igt_assert_f(faults == npages,
			     "%ld faults for %ld unpopulated pages, expected one per page\n",
			     faults, npages);
	else
		igt_assert_f(faults >= 1 && faults >= npages / (long)fault_pages,
			     "%ld faults for %ld unpopulated pages, at most %u pages a fault\n",
			     faults, npages, fault_pages);
}

/**
 * igt_gem_mmap_bo_wrap_dumb:
 * @fd: DRM fd
 * @handle: a dumb buffer's handle, such as that of igt_create_fb()'s BO
 * @size: its size, a multiple of 4096
 * @bo: out
 *
 * Fills @bo for a dumb buffer made elsewhere and looks its fake mmap offset
 * up, for igt_gem_mmap_bo_map(). The handle stays the caller's: do not
 * igt_gem_mmap_bo_destroy() it.
 */
void igt_gem_mmap_bo_wrap_dumb(int fd, uint32_t handle, uint64_t size,
			       struct igt_gem_mmap_bo *bo)
{
	igt_assert(size && !(size & 4095));
	memset(bo, 0, sizeof(*bo));
	bo->fd = fd;
	bo->handle = handle;
	bo->size = size;
	bo->offset = map_dumb(fd, handle);
}

/**
 * __igt_gem_mmap_shrink_all:
 *
 * As igt_gem_mmap_shrink_all(), from any thread: returns false with errno
 * where drop_caches cannot be written, instead of skipping.
 */
bool __igt_gem_mmap_shrink_all(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "2\n", 2) == 2;
	close(fd);
	return ok;
}

/**
 * igt_gem_mmap_handle_offset:
 * @fd: DRM fd of any driver for_each_gem_mmap_device() opens
 * @handle: a BO handle on @fd, such as one imported from a dma-buf or
 *          opened from a flink name
 *
 * Looks up the fake mmap offset of @handle on @fd the way
 * igt_gem_mmap_bo_create() does for the BOs it creates. Fails the test on
 * error.
 */
uint64_t igt_gem_mmap_handle_offset(int fd, uint32_t handle)
{
	char name[32];

	driver_name(fd, name, sizeof(name));
	if (!strcmp(name, "i915"))
		return i915_mmap_offset(fd, handle);
	if (!strcmp(name, "msm")) {
		struct drm_msm_gem_info info = {
			.handle = handle, .info = MSM_INFO_GET_OFFSET,
		};

		do_ioctl(fd, DRM_IOCTL_MSM_GEM_INFO, &info);
		return info.value;
	}
	if (!strcmp(name, "panfrost")) {
		struct drm_panfrost_mmap_bo arg = { .handle = handle };

		do_ioctl(fd, DRM_IOCTL_PANFROST_MMAP_BO, &arg);
		return arg.offset;
	}
	if (!strcmp(name, "vc4")) {
		struct drm_vc4_mmap_bo arg = { .handle = handle };

		do_ioctl(fd, DRM_IOCTL_VC4_MMAP_BO, &arg);
		return arg.offset;
	}
	return map_dumb(fd, handle);
}

static __thread sigjmp_buf guard_jmp;
static __thread volatile sig_atomic_t guard_armed;
static __thread void *volatile guard_addr;

static void guard_handler(int sig, siginfo_t *si, void *uctx)
{
	if (!guard_armed) {
		signal(sig, SIG_DFL);	/* the access faults again, fatally */
		return;
	}
	guard_armed = 0;
	guard_addr = si->si_addr;
	siglongjmp(guard_jmp, 1);
}

/**
 * igt_gem_mmap_catch_sigbus:
 * @old: out, the action to restore with sigaction() afterwards, or NULL
 *
 * Installs the SIGBUS handler of igt_gem_mmap_guarded(), for the whole
 * process. A SIGBUS outside of igt_gem_mmap_guarded() stays fatal.
 */
void igt_gem_mmap_catch_sigbus(struct sigaction *old)
{
	struct sigaction sa = {
		.sa_sigaction = guard_handler,
		.sa_flags = SA_SIGINFO,
	};

	sigemptyset(&sa.sa_mask);
	igt_assert_eq(sigaction(SIGBUS, &sa, old), 0);
}

/**
 * igt_gem_mmap_guarded:
 * @fn: accesses to mappings
 * @data: their argument
 * @addr: out, the address whose access raised SIGBUS
 *
 * Runs @fn(@data) with SIGBUS caught, from any thread and in children
 * (one jump point per thread), after igt_gem_mmap_catch_sigbus(). Returns
 * whether an access raised SIGBUS: @fn stopped at that access.
 */
bool igt_gem_mmap_guarded(void (*fn)(void *data), void *data, void **addr)
{
	if (sigsetjmp(guard_jmp, 1)) {
		*addr = guard_addr;
		return true;
	}
	guard_armed = 1;
	fn(data);
	guard_armed = 0;
	return false;
}
