// SPDX-License-Identifier: MIT
/*
 * libdrm_gem_advice: purgeable BOs and populated mmaps on any kernel.
 * See include/drm_gem_advice.h for the interface and its errno contract.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xf86drm.h>
#include <i915_drm.h>
#include <msm_drm.h>
#include <vc4_drm.h>

#include "drm_gem_advice_private.h"
#include "uapi_compat.h"

#define drm_public __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum legacy_driver {
	LEGACY_NONE,
	LEGACY_I915,
	LEGACY_MSM,
	LEGACY_PANFROST,
	LEGACY_VC4,
};

static const char *const legacy_names[] = {
	[LEGACY_I915] = "i915",
	[LEGACY_MSM] = "msm",
	[LEGACY_PANFROST] = "panfrost",
	[LEGACY_VC4] = "vc4",
};

/* Immutable after creation: safe to share between threads without a lock. */
struct drm_gem_advice {
	const struct drm_gem_advice_ops *ops;
	int fd;
	uint32_t caps;
	enum legacy_driver legacy;
};

enum advice {
	ADVICE_PURGEABLE,
	ADVICE_NEEDED,
	ADVICE_PURGE,
};

static const int madvise_advice[] = {
	[ADVICE_PURGEABLE] = MADV_FREE,
	[ADVICE_NEEDED] = MADV_WILLNEED,
	[ADVICE_PURGE] = MADV_REMOVE,
};

static const int fadvise_advice[] = {
	[ADVICE_PURGEABLE] = POSIX_FADV_DONTNEED,
	[ADVICE_NEEDED] = POSIX_FADV_WILLNEED,
	/* no purge-now through posix_fadvise() */
};

const struct drm_gem_advice_ops drm_gem_advice_system_ops = {
	.ioctl = drmIoctl,
	.mmap = mmap,
	.munmap = munmap,
	.madvise = madvise,
	.posix_fadvise = posix_fadvise,
	.get_cap = drmGetCap,
	.get_version = drmGetVersion,
	.free_version = drmFreeVersion,
};

static int fail(int err)
{
	errno = err;
	return -1;
}

/* vc4 reports its madvise ioctl (Linux 4.15) with a parameter, as Mesa asks. */
static bool vc4_has_madvise(const struct drm_gem_advice_ops *ops, int fd)
{
	struct drm_vc4_get_param param = {
		.param = DRM_VC4_PARAM_SUPPORTS_MADVISE,
	};

	return ops->ioctl(fd, DRM_IOCTL_VC4_GET_PARAM, &param) == 0 &&
	       param.value != 0;
}

/*
 * The driver whose own madvise ioctl this fd has, probed the way Mesa probes
 * it: vc4 by DRM_VC4_PARAM_SUPPORTS_MADVISE, msm by driver version 1.1
 * (freedreno's FD_VERSION_MADVISE). i915's ioctl dates from Linux 2.6.30 and
 * panfrost's from the driver's early releases: they are not probed, and an
 * older kernel's error comes back from the advice call.
 */
static enum legacy_driver legacy_driver_of(const struct drm_gem_advice_ops *ops,
					   int fd)
{
	enum legacy_driver drv = LEGACY_NONE;
	drmVersionPtr version = ops->get_version(fd);

	if (!version)
		return LEGACY_NONE;
	for (size_t i = 1; version->name && i < ARRAY_SIZE(legacy_names); i++) {
		if (strcmp(version->name, legacy_names[i]) == 0)
			drv = (enum legacy_driver)i;
	}
	if (drv == LEGACY_MSM && version->version_major == 1 &&
	    version->version_minor < 1)
		drv = LEGACY_NONE;
	ops->free_version(version);
	if (drv == LEGACY_VC4 && !vc4_has_madvise(ops, fd))
		drv = LEGACY_NONE;
	return drv;
}

/*
 * DRM_GEM_ADVICE_NO_CAP (testing knob, see drm_gem_advice.h): behave as on a
 * kernel without DRM_CAP_GEM_MMAP_ADVICE. secure_getenv(): not for setuid
 * programs.
 */
static bool ignore_cap(void)
{
	const char *v = secure_getenv("DRM_GEM_ADVICE_NO_CAP");

	return v && v[0] && strcmp(v, "0") != 0;
}

drmGemAdvice *drm_gem_advice_create_with_ops(int fd,
					     const struct drm_gem_advice_ops *ops)
{
	struct drm_gem_advice *adv;
	uint64_t value = 0;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	adv = calloc(1, sizeof(*adv));
	if (!adv)
		return NULL;
	adv->ops = ops;
	adv->fd = fd;

	/* An error or 0 both mean: a kernel without the standard calls. */
	if (!ignore_cap() &&
	    ops->get_cap(fd, DRM_CAP_GEM_MMAP_ADVICE, &value) == 0) {
		if (value & DRM_GEM_MMAP_ADVICE_POPULATE)
			adv->caps |= DRM_GEM_ADVICE_POPULATE;
		if (value & DRM_GEM_MMAP_ADVICE_PURGEABLE)
			adv->caps |= DRM_GEM_ADVICE_PURGEABLE;
	}
	adv->legacy = legacy_driver_of(ops, fd);
	if (adv->legacy != LEGACY_NONE)
		adv->caps |= DRM_GEM_ADVICE_PURGEABLE_LEGACY;
	return adv;
}

drm_public drmGemAdvice *drmGemAdviceCreate(int fd)
{
	return drm_gem_advice_create_with_ops(fd, &drm_gem_advice_system_ops);
}

drm_public void drmGemAdviceDestroy(drmGemAdvice *adv)
{
	free(adv);
}

drm_public uint32_t drmGemAdviceGetCaps(const drmGemAdvice *adv)
{
	return adv ? adv->caps : 0;
}

/* offset and size must fit off_t (mmap, posix_fadvise) and size_t (madvise). */
static int check_range(uint64_t offset, uint64_t size)
{
	const uint64_t off_max = (UINT64_C(1) << (sizeof(off_t) * CHAR_BIT - 1)) - 1;

	if (offset > off_max || size > off_max || size > SIZE_MAX)
		return fail(EOVERFLOW);
	return 0;
}

drm_public void *drmGemAdviceMap(const drmGemAdvice *adv, uint64_t offset,
				 uint64_t size, int prot)
{
	int flags = MAP_SHARED;

	if (!adv || size == 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (check_range(offset, size))
		return MAP_FAILED;
	if (adv->caps & DRM_GEM_ADVICE_POPULATE)
		flags |= MAP_POPULATE;
	return adv->ops->mmap(NULL, (size_t)size, prot, flags, adv->fd,
			      (off_t)offset);
}

/*
 * madvise() and posix_fadvise(), retried on EINTR as drmIoctl() retries
 * ioctls: an interrupted call is never an answer (and never "purged").
 */
static int madvise_retry(const drmGemAdvice *adv, void *map, size_t size,
			 int advice)
{
	int ret;

	do
		ret = adv->ops->madvise(map, size, advice);
	while (ret == -1 && errno == EINTR);
	return ret;
}

static int fadvise_retry(const drmGemAdvice *adv, off_t offset, off_t len,
			 int advice)
{
	int err;

	do
		err = adv->ops->posix_fadvise(adv->fd, offset, len, advice);
	while (err == EINTR);
	return err;
}

/* madvise() on the caller's mapping. EFAULT from MADV_WILLNEED: purged. */
static int advise_mapping(const drmGemAdvice *adv, enum advice what, void *map,
			  uint64_t size, bool *retained)
{
	if (madvise_retry(adv, map, (size_t)size, madvise_advice[what]) == 0) {
		*retained = true;
		return 0;
	}
	if (what == ADVICE_NEEDED && errno == EFAULT) {
		*retained = false;
		return 0;
	}
	return -1;
}

/* posix_fadvise() at the BO's mmap offset; it returns the error number. */
static int advise_file(const drmGemAdvice *adv, enum advice what,
		       uint64_t offset, uint64_t size, bool *retained)
{
	int err = fadvise_retry(adv, (off_t)offset, (off_t)size,
				fadvise_advice[what]);

	if (err == 0) {
		*retained = true;
		return 0;
	}
	if (what == ADVICE_NEEDED && err == EFAULT) {
		*retained = false;
		return 0;
	}
	return fail(err);
}

/* No purge-now through posix_fadvise(): madvise() a temporary mapping. */
static int purge_unmapped(const drmGemAdvice *adv, uint64_t offset,
			  uint64_t size)
{
	void *map;
	int ret, err;

	if (size == 0)
		return fail(EINVAL);
	map = adv->ops->mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, adv->fd, (off_t)offset);
	if (map == MAP_FAILED)
		return -1;
	ret = madvise_retry(adv, map, (size_t)size, MADV_REMOVE);
	err = errno;
	adv->ops->munmap(map, (size_t)size);
	if (ret)
		return fail(err);
	return 0;
}

/*
 * The driver's own madvise ioctl. All four take {handle, madv, retained}
 * with WILLNEED = 0 and DONTNEED = 1, but each has its own ioctl number and
 * struct (vc4's has a pad that must be 0), so spell each one out.
 */
static int legacy_madvise(const drmGemAdvice *adv, uint32_t handle,
			  bool needed, bool *retained)
{
	int (*do_ioctl)(int, unsigned long, void *) = adv->ops->ioctl;
	uint32_t kept = 0;
	int ret = -1;

	switch (adv->legacy) {
	case LEGACY_I915: {
		struct drm_i915_gem_madvise arg = {
			.handle = handle,
			.madv = needed ? I915_MADV_WILLNEED : I915_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_I915_GEM_MADVISE, &arg);
		kept = arg.retained;
		break;
	}
	case LEGACY_MSM: {
		struct drm_msm_gem_madvise arg = {
			.handle = handle,
			.madv = needed ? MSM_MADV_WILLNEED : MSM_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_MSM_GEM_MADVISE, &arg);
		kept = arg.retained;
		break;
	}
	case LEGACY_PANFROST: {
		struct drm_panfrost_madvise arg = {
			.handle = handle,
			.madv = needed ? PANFROST_MADV_WILLNEED : PANFROST_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_PANFROST_MADVISE, &arg);
		kept = arg.retained;
		break;
	}
	case LEGACY_VC4: {
		struct drm_vc4_gem_madvise arg = {
			.handle = handle,
			.madv = needed ? VC4_MADV_WILLNEED : VC4_MADV_DONTNEED,
		};
		ret = do_ioctl(adv->fd, DRM_IOCTL_VC4_GEM_MADVISE, &arg);
		kept = arg.retained;
		break;
	}
	case LEGACY_NONE:
		return fail(ENOTSUP);
	}
	if (ret)
		return -1;
	*retained = kept != 0;
	return 0;
}

static int advise(const drmGemAdvice *adv, enum advice what, uint32_t handle,
		  uint64_t offset, uint64_t size, void *map, bool *retained)
{
	bool kept = false;
	int ret;

	if (!adv || (map && size == 0))
		return fail(EINVAL);
	if (check_range(offset, size))
		return -1;

	/*
	 * A BO with neither a mapping nor an mmap offset (panfrost's heap BO)
	 * goes to the driver's ioctl where there is one, on every kernel.
	 */
	if ((adv->caps & DRM_GEM_ADVICE_PURGEABLE) &&
	    (map || offset || !(adv->caps & DRM_GEM_ADVICE_PURGEABLE_LEGACY))) {
		if (map)
			ret = advise_mapping(adv, what, map, size, &kept);
		else if (what == ADVICE_PURGE)
			ret = purge_unmapped(adv, offset, size);
		else
			ret = advise_file(adv, what, offset, size, &kept);
	} else if (adv->caps & DRM_GEM_ADVICE_PURGEABLE_LEGACY) {
		if (what == ADVICE_PURGE)
			return fail(ENOTSUP);
		ret = legacy_madvise(adv, handle, what == ADVICE_NEEDED, &kept);
	} else {
		return fail(ENOTSUP);
	}

	if (ret == 0 && retained)
		*retained = kept;
	return ret;
}

drm_public int drmGemAdviceMarkPurgeable(const drmGemAdvice *adv,
					 uint32_t handle, uint64_t offset,
					 uint64_t size, void *map)
{
	return advise(adv, ADVICE_PURGEABLE, handle, offset, size, map, NULL);
}

drm_public int drmGemAdviceMarkNeeded(const drmGemAdvice *adv, uint32_t handle,
				      uint64_t offset, uint64_t size, void *map,
				      bool *retained)
{
	if (!retained)
		return fail(EINVAL);
	return advise(adv, ADVICE_NEEDED, handle, offset, size, map, retained);
}

drm_public int drmGemAdvicePurge(const drmGemAdvice *adv, uint32_t handle,
				 uint64_t offset, uint64_t size, void *map)
{
	return advise(adv, ADVICE_PURGE, handle, offset, size, map, NULL);
}
