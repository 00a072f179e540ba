/* SPDX-License-Identifier: MIT */
/*
 * drm_gem_advice.h - purgeable buffer objects and populated mmaps for DRM GEM,
 * on any kernel.
 *
 * GPU drivers keep freed buffer objects (BOs) in a cache and mark them
 * purgeable, so that the kernel may drop their backing pages under memory
 * pressure; when a cached BO is reused it is marked needed again and the
 * kernel tells whether its contents were retained. Kernels with
 * DRM_CAP_GEM_MMAP_ADVICE offer this through the standard calls, madvise() on
 * a GEM mmap and posix_fadvise() on the DRM file at the BO's mmap offset;
 * older kernels only through per-driver ioctls (i915, msm, panfrost, vc4).
 * This library picks whichever works.
 *
 * Design: all state lives in a caller-owned context, created once per DRM
 * file descriptor (Mesa: next to its bufmgr / screen) with
 * drmGemAdviceCreate(). Creating it asks the kernel once what works
 * (drmGetCap(DRM_CAP_GEM_MMAP_ADVICE) and drmGetVersion()); the context is
 * immutable afterwards. There is no global state, so there is nothing to
 * forget when an fd is closed and no stale result when an fd number is
 * reused.
 *
 * Thread safety: every function may be called from any number of threads on
 * the same context at the same time. drmGemAdviceDestroy() must not race with
 * other calls on the same context (as for any object).
 *
 * Testing the fallback paths: with the environment variable
 * DRM_GEM_ADVICE_NO_CAP set to a non-empty value other than "0" when
 * drmGemAdviceCreate() runs, the context does not ask for
 * DRM_CAP_GEM_MMAP_ADVICE and behaves exactly as on a kernel that lacks it:
 * no DRM_GEM_ADVICE_POPULATE or DRM_GEM_ADVICE_PURGEABLE, plain mmaps from
 * drmGemAdviceMap(), and advice through the driver's own ioctl or ENOTSUP.
 * Contexts created earlier are not affected. A debugging and testing knob, so
 * that the "old kernel" behaviour can be exercised against a real device on a
 * patched kernel; it is ignored in setuid/setgid programs (secure_getenv()).
 *
 * Errors: functions returning int return 0 on success and -1 with errno set
 * on failure; drmGemAdviceMap() returns MAP_FAILED with errno set. Errors that
 * may be reported by every advice function:
 *   EINVAL     bad argument (NULL context, size 0 with a mapping, ...), or the
 *              kernel refused the range: it must cover the whole BO
 *   EOVERFLOW  offset or size do not fit off_t / size_t
 *   EACCES     the mapping is read-only (needs PROT_READ | PROT_WRITE,
 *              MAP_SHARED)
 *   EBUSY      the BO is shared (dma-buf, flink) or in use
 *   ENOENT     no such GEM handle (per-driver ioctls)
 *   ENOTSUP    neither the standard calls nor a known per-driver ioctl are
 *              available on this fd, or the operation does not exist on the
 *              path that is (purge-now on per-driver ioctls)
 * and any other errno the kernel returns. EINTR never is: madvise() and
 * posix_fadvise() are retried when a signal interrupts them, as drmIoctl()
 * retries the per-driver ioctls.
 */
#ifndef DRM_GEM_ADVICE_H
#define DRM_GEM_ADVICE_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Capability bits returned by drmGemAdviceGetCaps(). The first two have the
 * values of the kernel's DRM_GEM_MMAP_ADVICE_* bits.
 */
/** mmap(MAP_POPULATE) and madvise(MADV_POPULATE_*) prefault GEM mmaps. */
#define DRM_GEM_ADVICE_POPULATE		(1u << 0)
/** Purgeable advice through madvise() / posix_fadvise() works. */
#define DRM_GEM_ADVICE_PURGEABLE	(1u << 1)
/**
 * The driver's own madvise ioctl is available (i915, msm, panfrost, vc4),
 * probed as Mesa probes it: vc4 by DRM_VC4_PARAM_SUPPORTS_MADVISE, msm by
 * driver version 1.1; i915's and panfrost's are assumed.
 */
#define DRM_GEM_ADVICE_PURGEABLE_LEGACY	(1u << 2)

/** Opaque per-fd context. */
typedef struct drm_gem_advice drmGemAdvice;

/**
 * drmGemAdviceCreate - query what works on a DRM fd and remember it
 * @fd: DRM file descriptor; borrowed, not closed by the library. It must stay
 *      open until drmGemAdviceDestroy().
 *
 * Asks the kernel once for DRM_CAP_GEM_MMAP_ADVICE (not when
 * DRM_GEM_ADVICE_NO_CAP is set, see above) and the driver name. A kernel or
 * driver that supports nothing is not an error: the context then reports no
 * capabilities and the advice functions fail with ENOTSUP.
 *
 * Returns the context, or NULL with errno EBADF (@fd < 0) or ENOMEM.
 */
drmGemAdvice *drmGemAdviceCreate(int fd);

/**
 * drmGemAdviceDestroy - free a context (NULL is allowed). Does not close the fd.
 */
void drmGemAdviceDestroy(drmGemAdvice *adv);

/**
 * drmGemAdviceGetCaps - what works on the context's fd
 *
 * Returns a mask of DRM_GEM_ADVICE_* bits (0 for a NULL context). Costs no
 * system call.
 */
uint32_t drmGemAdviceGetCaps(const drmGemAdvice *adv);

/**
 * drmGemAdviceMap - map a whole BO, prefaulted where the kernel can
 * @offset: the BO's fake mmap offset (DRM_IOCTL_MODE_MAP_DUMB or the driver's
 *          mmap-offset ioctl)
 * @size:   the BO's size
 * @prot:   PROT_* flags for mmap(); use PROT_READ | PROT_WRITE for a mapping
 *          that the advice functions can use
 *
 * mmap(MAP_SHARED | MAP_POPULATE) where DRM_GEM_ADVICE_POPULATE is set, a
 * plain MAP_SHARED mmap otherwise (old kernels ignore MAP_POPULATE on GEM
 * mmaps anyway). Never touches the pages, so it cannot raise SIGBUS.
 *
 * Returns the mapping (release it with munmap()), or MAP_FAILED with errno:
 * EINVAL (NULL context, size 0), EOVERFLOW, or mmap()'s errno.
 */
void *drmGemAdviceMap(const drmGemAdvice *adv, uint64_t offset, uint64_t size,
		      int prot);

/*
 * The three advice functions below take the same description of a BO:
 * @handle: GEM handle (used by the per-driver ioctls only)
 * @offset: fake mmap offset of the BO (used by posix_fadvise()), or 0 if the
 *          BO has none (panfrost's heap BO) or the caller never fetched it
 * @size:   size of the BO. With a mapping it must be the whole BO; without
 *          one, 0 means "the whole BO" for posix_fadvise()
 * @map:    the BO's mapping covering the whole BO, MAP_SHARED and
 *          PROT_READ | PROT_WRITE, or NULL if the BO is not mapped
 *
 * Path taken: madvise(@map) if @map is given and DRM_GEM_ADVICE_PURGEABLE is
 * set; else posix_fadvise() at @offset if DRM_GEM_ADVICE_PURGEABLE is set and
 * @offset is not 0; else the driver's madvise ioctl if
 * DRM_GEM_ADVICE_PURGEABLE_LEGACY is set (by @handle: a driver never needs
 * to fetch an mmap offset only for this library); else posix_fadvise() at
 * @offset if DRM_GEM_ADVICE_PURGEABLE is set; else ENOTSUP.
 */

/**
 * drmGemAdviceMarkPurgeable - let the kernel drop the BO's pages when needed
 *
 * madvise(MADV_FREE), posix_fadvise(POSIX_FADV_DONTNEED) or the driver's
 * *_MADV_DONTNEED ioctl. After this the caller must not touch the BO's
 * contents (or its mapping) until drmGemAdviceMarkNeeded() reports them
 * retained, and must not use the BO on the GPU.
 *
 * Returns 0, or -1 with errno (see the top of this file).
 */
int drmGemAdviceMarkPurgeable(const drmGemAdvice *adv, uint32_t handle,
			      uint64_t offset, uint64_t size, void *map);

/**
 * drmGemAdviceMarkNeeded - take a purgeable BO back
 * @retained: out; true if the contents survived, false if the kernel purged
 *            them. A purged BO has lost its contents and, with some drivers,
 *            its backing store: destroy it and allocate a new one.
 *
 * madvise(MADV_WILLNEED), posix_fadvise(POSIX_FADV_WILLNEED) or the driver's
 * *_MADV_WILLNEED ioctl. A purged BO is not an error: the standard calls'
 * EFAULT is reported as *@retained = false and 0.
 *
 * Returns 0, or -1 with errno (EINVAL also for a NULL @retained); *@retained
 * is then left unchanged.
 */
int drmGemAdviceMarkNeeded(const drmGemAdvice *adv, uint32_t handle,
			   uint64_t offset, uint64_t size, void *map,
			   bool *retained);

/**
 * drmGemAdvicePurge - drop the BO's pages now
 *
 * madvise(MADV_REMOVE) on @map, or, without a mapping, on a temporary
 * MAP_SHARED PROT_READ | PROT_WRITE mapping of the whole BO (@size must then
 * be the BO's size, not 0). Only the standard calls can purge: with only the
 * per-driver ioctls this fails with ENOTSUP.
 *
 * Returns 0, or -1 with errno (see the top of this file; mmap()'s errno when
 * the temporary mapping fails).
 */
int drmGemAdvicePurge(const drmGemAdvice *adv, uint32_t handle,
		      uint64_t offset, uint64_t size, void *map);

#if defined(__cplusplus)
}
#endif

#endif /* DRM_GEM_ADVICE_H */
