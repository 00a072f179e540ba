/* SPDX-License-Identifier: MIT */
/*
 * gem_advice.h - purgeable buffer objects and populated mmaps for DRM GEM,
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
 * The library is this header and gem_advice.c. A project may build it as a
 * shared library (libgem_advice.so.1, pkg-config gem-advice) or copy the two
 * files into its tree: see README.md.
 *
 * Design: all state lives in a caller-owned context, created once per DRM
 * file descriptor (Mesa: next to its bufmgr / screen) with
 * gem_advice_create(). Creating it asks the kernel once what works
 * (drmGetCap(DRM_CAP_GEM_MMAP_ADVICE), drmGetVersion() and the driver's own
 * probe, see GEM_ADVICE_PURGEABLE_LEGACY); the context is immutable
 * afterwards. There is no global state, so there is nothing to forget when
 * an fd is closed and no stale result when an fd number is reused.
 *
 * Thread safety: every function may be called from any number of threads on
 * the same context at the same time. gem_advice_destroy() must not race with
 * other calls on the same context (as for any object).
 *
 * Testing the fallback paths: with the environment variable
 * GEM_ADVICE_NO_CAP set to a non-empty value other than "0" when
 * gem_advice_create() runs, the context does not ask for
 * DRM_CAP_GEM_MMAP_ADVICE and behaves exactly as on a kernel that lacks it:
 * no GEM_ADVICE_POPULATE or GEM_ADVICE_PURGEABLE, plain mmaps from
 * gem_advice_map(), and advice through the driver's own ioctl or ENOTSUP.
 * Contexts created earlier are not affected. A debugging and testing knob, so
 * that the "old kernel" behaviour can be exercised against a real device on a
 * patched kernel; it is ignored in setuid/setgid programs.
 *
 * Errors: functions returning int return 0 on success and -1 with errno set
 * on failure; gem_advice_map() returns MAP_FAILED with errno set. The same
 * situation gives the same result on every path (standard calls or any
 * driver's ioctl); where a driver cannot match, the table below says so.
 *
 *   EINVAL     bad argument (NULL context or @retained, size 0 with a
 *              mapping), or the kernel refused the range: with a mapping it
 *              must cover the whole BO
 *   EOVERFLOW  offset or size do not fit off_t / size_t
 *   EACCES     the mapping is read-only (needs PROT_READ | PROT_WRITE,
 *              MAP_SHARED), or the DRM file was opened read-only
 *   EBUSY      the BO cannot be made purgeable: it is shared (dma-buf export
 *              or import, flink; on panfrost also mapped into another file's
 *              GPU address space), one the driver never purges (vc4's
 *              kernel-internal BOs), or, for gem_advice_purge(), in use
 *   ENOENT     no such GEM handle (per-driver ioctls)
 *   ENOTSUP    neither the standard calls nor a per-driver ioctl are
 *              available on this fd, or the operation does not exist on the
 *              path that is (purge-now on per-driver ioctls)
 * and any other errno the kernel returns. EINTR never is: madvise(),
 * posix_fadvise() and the ioctls are retried when a signal interrupts them,
 * as drmIoctl() retries ioctls, so a signal is never reported as "purged".
 *
 * A purged BO is not an error: the mark functions report it through
 * *@retained = false and return 0, on every path (the standard calls'
 * EFAULT from MADV_WILLNEED / POSIX_FADV_WILLNEED, the ioctls' retained = 0).
 *
 * Where the drivers differ (per-driver ioctl path, i.e. kernels without
 * GEM_ADVICE_PURGEABLE; with it every driver behaves as the standard-call
 * column of Documentation/gpu/drm-mm.rst says):
 *
 *   - EBUSY above is the ioctls' EINVAL (vc4: imported or kernel-internal
 *     BO; panfrost: BO mapped by another file's GPU VM), translated: the
 *     library builds valid arguments itself, so EINVAL can only mean the
 *     BO's state. Marking such a BO needed reports it retained, as the
 *     standard calls do. i915 and msm accept shared BOs; stock msm before
 *     "drm/msm: don't purge or evict exported BOs" could then purge them.
 *   - CPU access to a purgeable BO that is not purged yet: the standard
 *     calls and i915, panfrost and vc4 serve it; stock msm raises SIGBUS
 *     (with a kernel warning). Keep msm BOs out of CPU access while
 *     purgeable, which a BO cache does anyway. vc4 also refuses a new
 *     mmap() of a purgeable BO (EINVAL); its existing mappings stay valid.
 *   - CPU access to a purged BO raises SIGBUS on every path.
 *   - i915 drops a BO that has no pages yet as soon as it is marked
 *     purgeable: gem_advice_mark_purgeable() reports it not retained. Free
 *     it instead of caching it, as iris does.
 *   - gem_advice_purge() fails with ENOTSUP on every ioctl path.
 */
#ifndef GEM_ADVICE_H
#define GEM_ADVICE_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Capability bits returned by gem_advice_get_caps(). The first two have the
 * values of the kernel's DRM_GEM_MMAP_ADVICE_* bits.
 */
/** mmap(MAP_POPULATE) and madvise(MADV_POPULATE_*) prefault GEM mmaps. */
#define GEM_ADVICE_POPULATE		(1u << 0)
/** Purgeable advice through madvise() / posix_fadvise() works. */
#define GEM_ADVICE_PURGEABLE		(1u << 1)
/**
 * The driver's own madvise ioctl is available, probed as Mesa probes it:
 * vc4 by DRM_VC4_PARAM_SUPPORTS_MADVISE, msm by driver version 1.1
 * (freedreno's FD_VERSION_MADVISE), panfrost by driver version 1.1 (the
 * release that added DRM_IOCTL_PANFROST_MADVISE), i915, which has neither a
 * parameter nor a version for it, by asking DRM_IOCTL_I915_GEM_MADVISE about
 * handle 0 (never a GEM handle: a kernel with the ioctl answers ENOENT).
 */
#define GEM_ADVICE_PURGEABLE_LEGACY	(1u << 2)

/** Opaque per-fd context. */
struct gem_advice;

/**
 * gem_advice_create - query what works on a DRM fd and remember it
 * @fd: DRM file descriptor; borrowed, not closed by the library. It must stay
 *      open until gem_advice_destroy().
 *
 * Asks the kernel once for DRM_CAP_GEM_MMAP_ADVICE (not when
 * GEM_ADVICE_NO_CAP is set, see above), the driver's name and version and,
 * on vc4 and i915, the driver's own probe. A kernel or driver that supports
 * nothing is not an error: the context then reports no capabilities and the
 * advice functions fail with ENOTSUP.
 *
 * Returns the context, or NULL with errno EBADF (@fd < 0) or ENOMEM.
 */
struct gem_advice *gem_advice_create(int fd);

/**
 * gem_advice_destroy - free a context (NULL is allowed). Does not close the fd.
 */
void gem_advice_destroy(struct gem_advice *adv);

/**
 * gem_advice_get_caps - what works on the context's fd
 *
 * Returns a mask of GEM_ADVICE_* bits (0 for a NULL context). Costs no
 * system call.
 */
uint32_t gem_advice_get_caps(const struct gem_advice *adv);

/**
 * gem_advice_map - map a whole BO, prefaulted where the kernel can
 * @offset: the BO's fake mmap offset (DRM_IOCTL_MODE_MAP_DUMB or the driver's
 *          mmap-offset ioctl)
 * @size:   the BO's size
 * @prot:   PROT_* flags for mmap(); use PROT_READ | PROT_WRITE for a mapping
 *          that the advice functions can use
 *
 * mmap(MAP_SHARED | MAP_POPULATE) where GEM_ADVICE_POPULATE is set, a plain
 * MAP_SHARED mmap otherwise (old kernels ignore MAP_POPULATE on GEM mmaps
 * anyway). Never touches the pages, so it cannot raise SIGBUS.
 *
 * Returns the mapping (release it with munmap()), or MAP_FAILED with errno:
 * EINVAL (NULL context, size 0), EOVERFLOW, or mmap()'s errno.
 */
void *gem_advice_map(const struct gem_advice *adv, uint64_t offset,
		     uint64_t size, int prot);

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
 * Path taken, first match:
 *   1. @map given, GEM_ADVICE_PURGEABLE set:     madvise() on @map
 *   2. @offset not 0, GEM_ADVICE_PURGEABLE set:  posix_fadvise() at @offset
 *   3. GEM_ADVICE_PURGEABLE_LEGACY set:          the driver's ioctl by @handle
 *   4. GEM_ADVICE_PURGEABLE set:                 posix_fadvise() at offset 0
 *                                                (fails: no BO has offset 0)
 *   5. otherwise:                                ENOTSUP
 * So a BO with neither a mapping nor an offset (panfrost's heap BO, a BO
 * never mapped) is advised by handle wherever the driver has an ioctl, on
 * every kernel: a driver never needs to fetch an mmap offset only for this
 * library. gem_advice_purge() without a mapping maps the BO at @offset for
 * the duration of the call.
 */

/**
 * gem_advice_mark_purgeable - let the kernel drop the BO's pages when needed
 * @retained: out, may be NULL; true if the BO's contents were still there
 *            when it was marked, false if the kernel had already purged them
 *            (or, on i915, dropped a BO that had no pages yet): then free the
 *            BO rather than cache it. iris and crocus decide on this.
 *
 * madvise(MADV_FREE), posix_fadvise(POSIX_FADV_DONTNEED) or the driver's
 * *_MADV_DONTNEED ioctl. After this the caller must not touch the BO's
 * contents (or its mapping) until gem_advice_mark_needed() reports them
 * retained, and must not use the BO on the GPU.
 *
 * The ioctls report @retained themselves. The standard calls do not, so for
 * a non-NULL @retained the library first marks the BO needed
 * (MADV_WILLNEED / POSIX_FADV_WILLNEED: EFAULT if purged, no change
 * otherwise) and then purgeable: one more system call, and the same answer
 * as the ioctls. Pass NULL where the answer is not used (freedreno,
 * panfrost).
 *
 * Returns 0, or -1 with errno (see the top of this file); *@retained is
 * then left unchanged.
 */
int gem_advice_mark_purgeable(const struct gem_advice *adv, uint32_t handle,
			      uint64_t offset, uint64_t size, void *map,
			      bool *retained);

/**
 * gem_advice_mark_needed - take a purgeable BO back
 * @retained: out; true if the contents survived, false if the kernel purged
 *            them. A purged BO has lost its contents and, with some drivers,
 *            its backing store: destroy it and allocate a new one.
 *
 * madvise(MADV_WILLNEED), posix_fadvise(POSIX_FADV_WILLNEED) or the driver's
 * *_MADV_WILLNEED ioctl.
 *
 * Returns 0, or -1 with errno (EINVAL also for a NULL @retained); *@retained
 * is then left unchanged.
 */
int gem_advice_mark_needed(const struct gem_advice *adv, uint32_t handle,
			   uint64_t offset, uint64_t size, void *map,
			   bool *retained);

/**
 * gem_advice_purge - drop the BO's pages now
 *
 * madvise(MADV_REMOVE) on @map, or, without a mapping, on a temporary
 * MAP_SHARED PROT_READ | PROT_WRITE mapping of the whole BO (@size must then
 * be the BO's size, not 0). Only the standard calls can purge: with only the
 * per-driver ioctls this fails with ENOTSUP.
 *
 * Returns 0, or -1 with errno (see the top of this file; mmap()'s errno when
 * the temporary mapping fails).
 */
int gem_advice_purge(const struct gem_advice *adv, uint32_t handle,
		     uint64_t offset, uint64_t size, void *map);

#if defined(__cplusplus)
}
#endif

#endif /* GEM_ADVICE_H */
