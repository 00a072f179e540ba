/* SPDX-License-Identifier: MIT */
/*
 * Kernel uAPI that the installed headers may lack.
 *
 * - DRM_CAP_GEM_MMAP_ADVICE: new in the patched include/uapi/drm/drm.h.
 * - panfrost's madvise ioctl: Debian 12's libdrm-dev (2.4.114) ships no
 *   panfrost_drm.h. Copied field for field from the kernel's
 *   include/uapi/drm/panfrost_drm.h (Linux 6.12).
 *
 * i915, msm and vc4 come from libdrm's i915_drm.h, msm_drm.h and vc4_drm.h.
 */
#ifndef DRM_GEM_ADVICE_UAPI_COMPAT_H
#define DRM_GEM_ADVICE_UAPI_COMPAT_H

#include <drm.h>

#ifndef DRM_CAP_GEM_MMAP_ADVICE
#define DRM_CAP_GEM_MMAP_ADVICE		0x16
#endif
#ifndef DRM_GEM_MMAP_ADVICE_POPULATE
#define  DRM_GEM_MMAP_ADVICE_POPULATE	(1 << 0)
#endif
#ifndef DRM_GEM_MMAP_ADVICE_PURGEABLE
#define  DRM_GEM_MMAP_ADVICE_PURGEABLE	(1 << 1)
#endif

#ifndef _PANFROST_DRM_H_	/* the kernel header's guard */
#define DRM_PANFROST_MADVISE		0x08
#define DRM_IOCTL_PANFROST_MADVISE	DRM_IOWR(DRM_COMMAND_BASE + DRM_PANFROST_MADVISE, struct drm_panfrost_madvise)

#define PANFROST_MADV_WILLNEED 0	/* backing pages are needed, status returned in 'retained' */
#define PANFROST_MADV_DONTNEED 1	/* backing pages not needed */

struct drm_panfrost_madvise {
	__u32 handle;         /* in, GEM handle */
	__u32 madv;           /* in, PANFROST_MADV_x */
	__u32 retained;       /* out, whether backing store still exists */
};
#endif

#endif /* DRM_GEM_ADVICE_UAPI_COMPAT_H */
