/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 drm-gem-populate developers
 *
 * CPU mmaps of GEM buffer objects on every driver that has them: one BO
 * creation and mmap-offset path per driver (i915, msm, panfrost, vc4, and
 * dumb buffers for vgem, virtio-gpu, bochs, qxl and any other), a loop over
 * the devices present for one dynamic subtest per driver, and page-fault
 * counting.
 */
#ifndef IGT_GEM_MMAP_H
#define IGT_GEM_MMAP_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* DRM_CAP_GEM_MMAP_ADVICE: new with the populate and advice hooks. */
#ifndef DRM_CAP_GEM_MMAP_ADVICE
#define DRM_CAP_GEM_MMAP_ADVICE		0x16
#define  DRM_GEM_MMAP_ADVICE_POPULATE	(1 << 0)
#define  DRM_GEM_MMAP_ADVICE_PURGEABLE	(1 << 1)
#endif

struct igt_gem_mmap_bo {
	int fd;
	uint32_t handle;
	uint64_t size;		/* whole BO, as created */
	uint64_t offset;	/* fake mmap offset */
};

int igt_gem_mmap_next_device(unsigned int *idx, char *name, size_t len);

/**
 * for_each_gem_mmap_device:
 * @idx: unsigned int iterator
 * @fd: int, the open device
 * @name: char[32], the driver's name, for igt_dynamic_f()
 *
 * Opens one device of each driver present (i915, msm, panfrost, vc4, vgem,
 * virtio-gpu, vkms, then one card of each other driver with dumb buffers,
 * such as bochs and qxl), each driver once. The body owns @fd and must close
 * it.
 */
#define for_each_gem_mmap_device(idx, fd, name) \
	for ((idx) = 0; ((fd) = igt_gem_mmap_next_device(&(idx), (name), \
							 sizeof(name))) >= 0;)

uint64_t igt_gem_mmap_advice_caps(int fd);
void igt_gem_mmap_bo_create(int fd, uint64_t size, struct igt_gem_mmap_bo *bo);
void igt_gem_mmap_bo_destroy(struct igt_gem_mmap_bo *bo);
void *__igt_gem_mmap_bo_map(const struct igt_gem_mmap_bo *bo, int prot,
			    int flags);
void *igt_gem_mmap_bo_map(const struct igt_gem_mmap_bo *bo, int prot,
			  int flags);
unsigned int igt_gem_mmap_fault_pages(int fd);
bool igt_gem_mmap_vgem_huge_pages(void);

#define IGT_GEM_MMAP_THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define IGT_GEM_MMAP_SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

void igt_gem_mmap_thp_mode(const char *path, char *mode, size_t len);
int igt_gem_mmap_set_shmem_enabled(const char *mode);

/* What igt_gem_mmap_each_driver() hands each dynamic subtest. */
struct igt_gem_mmap_test {
	int fd;
	struct igt_gem_mmap_bo bo;	/* fresh, destroyed after the subtest */
	unsigned int fault_pages;	/* igt_gem_mmap_fault_pages() */
};

void igt_gem_mmap_each_driver_mask(uint64_t caps, uint64_t mask, uint64_t size,
				   void (*fn)(struct igt_gem_mmap_test *t));
/**
 * struct igt_gem_mmap_subtest:
 * @name: subtest name
 * @describe: igt_describe() text
 * @fn: body, run on a fresh BO of each driver (igt_gem_mmap_each_driver())
 */
struct igt_gem_mmap_subtest {
	const char *name;
	const char *describe;
	void (*fn)(struct igt_gem_mmap_test *t);
};

void igt_gem_mmap_subtests(const struct igt_gem_mmap_subtest *tests,
			   unsigned int n, uint64_t caps, uint64_t size);
void igt_gem_mmap_each_driver(uint64_t caps, uint64_t size,
			      void (*fn)(struct igt_gem_mmap_test *t));

enum igt_gem_mmap_touch {
	IGT_GEM_MMAP_READ,
	IGT_GEM_MMAP_WRITE,
	IGT_GEM_MMAP_RMW,
};

long igt_gem_mmap_touch_faults(void *ptr, size_t len,
			       enum igt_gem_mmap_touch how);
void igt_gem_mmap_fill(void *ptr, size_t len, uint32_t seed);
bool igt_gem_mmap_check(const void *ptr, size_t len, uint32_t seed);

int igt_gem_mmap_access_signal(void *ptr, bool write);
void igt_gem_mmap_shrink_all(void);

/**
 * igt_assert_madvise:
 * @err: the errno expected, 0 for success
 * @ptr: start of the range
 * @len: its length
 * @advice: MADV_*
 *
 * Asserts that madvise() of the range returns @err, naming the advice.
 */
#define igt_assert_madvise(err, ptr, len, advice) do { \
	int __want = (err); \
	int __e = madvise((ptr), (len), (advice)) ? errno : 0; \
	igt_assert_f(__e == __want, "madvise(" #advice "): %s, expected %s\n", \
		     strerror(__e), strerror(__want)); \
} while (0)

/**
 * igt_assert_fadvise:
 * @err: the error number expected, 0 for success
 * @fd: DRM fd
 * @off: a BO's fake mmap offset
 * @len: 0 or the BO's size
 * @advice: POSIX_FADV_*
 *
 * Asserts that posix_fadvise() returns @err, naming the advice.
 */
#define igt_assert_fadvise(err, fd, off, len, advice) do { \
	int __want = (err); \
	int __e = posix_fadvise((fd), (off), (len), (advice)); \
	igt_assert_f(__e == __want, "posix_fadvise(" #advice "): %s, expected %s\n", \
		     strerror(__e), strerror(__want)); \
} while (0)

bool igt_gem_mmap_check_at(const void *ptr, size_t len, uint64_t offset,
			   uint32_t seed);
void igt_gem_mmap_assert_faulted(unsigned int fault_pages, long faults,
				 long npages);
void igt_gem_mmap_bo_wrap_dumb(int fd, uint32_t handle, uint64_t size,
			       struct igt_gem_mmap_bo *bo);
bool __igt_gem_mmap_shrink_all(void);
uint64_t igt_gem_mmap_handle_offset(int fd, uint32_t handle);
void igt_gem_mmap_catch_sigbus(struct sigaction *old);
bool igt_gem_mmap_guarded(void (*fn)(void *data), void *data, void **addr);

#endif /* IGT_GEM_MMAP_H */
