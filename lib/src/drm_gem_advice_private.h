/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of libdrm_gem_advice, shared with the unit tests.
 *
 * Every system call and libdrm call the library makes goes through a small
 * ops table, so that the host unit tests can replace the kernel with a fake.
 * The table is per context: there is no global state to swap.
 */
#ifndef DRM_GEM_ADVICE_PRIVATE_H
#define DRM_GEM_ADVICE_PRIVATE_H

#include <stdint.h>
#include <sys/types.h>

#include <xf86drm.h>

#include "drm_gem_advice.h"

struct drm_gem_advice_ops {
	int (*ioctl)(int fd, unsigned long request, void *arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t offset);
	int (*munmap)(void *addr, size_t len);
	int (*madvise)(void *addr, size_t len, int advice);
	int (*posix_fadvise)(int fd, off_t offset, off_t len, int advice);
	int (*get_cap)(int fd, uint64_t capability, uint64_t *value);
	drmVersionPtr (*get_version)(int fd);
	void (*free_version)(drmVersionPtr version);
};

/* The real thing: drmIoctl, mmap, ..., drmGetVersion, drmFreeVersion. */
extern const struct drm_gem_advice_ops drm_gem_advice_system_ops;

/* drmGemAdviceCreate() with another ops table; @ops must outlive the context. */
drmGemAdvice *drm_gem_advice_create_with_ops(int fd,
					     const struct drm_gem_advice_ops *ops);

#endif /* DRM_GEM_ADVICE_PRIVATE_H */
