// SPDX-License-Identifier: MIT
/*
 * A minimal Mesa-style BO cache on top of libgem_advice. See bo_cache.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <xf86drm.h>

#include "bo_cache.h"

#define MIN_BUCKET_SHIFT	12	/* 4 KiB */
#define NUM_BUCKETS		20	/* .. 2 GiB */

struct bo_cache {
	int fd;
	const struct gem_advice *adv;
	enum bo_cache_policy policy;
	pthread_mutex_t lock;	/* buckets and stats */
	struct bo *bucket[NUM_BUCKETS];
	struct bo_cache_stats stats;
};

struct bo_cache *bo_cache_create(int fd, const struct gem_advice *adv,
				 enum bo_cache_policy policy)
{
	struct bo_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	cache->fd = fd;
	cache->adv = adv;
	cache->policy = policy;
	pthread_mutex_init(&cache->lock, NULL);
	return cache;
}

/*
 * Bucket index of @size and the power of two it rounds up to; -1 and @size
 * rounded up to 4 KiB if it is too large to cache.
 */
static int bucket_of(uint64_t size, uint64_t *rounded)
{
	uint64_t s = UINT64_C(1) << MIN_BUCKET_SHIFT;
	int b = 0;

	while (s < size && b < NUM_BUCKETS) {
		s <<= 1;
		b++;
	}
	if (b == NUM_BUCKETS) {
		*rounded = (size + 4095) & ~UINT64_C(4095);
		return -1;
	}
	*rounded = s;
	return b;
}

static void bo_destroy(struct bo_cache *cache, struct bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (bo->map)
		munmap(bo->map, bo->size);
	drmIoctl(cache->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	free(bo);
	cache->stats.destroyed++;
}

static int bo_map(struct bo_cache *cache, struct bo *bo)
{
	bo->map = gem_advice_map(cache->adv, bo->offset, bo->size,
				  PROT_READ | PROT_WRITE);
	if (bo->map == MAP_FAILED) {
		bo->map = NULL;
		return -1;
	}
	return 0;
}

/* A new mapped dumb buffer of @size bytes (a multiple of 4 KiB). */
static struct bo *bo_create(struct bo_cache *cache, uint64_t size, int bucket)
{
	struct drm_mode_create_dumb create = {
		.width = 1024,
		.bpp = 32,			/* 4 KiB rows */
		.height = (uint32_t)(size >> 12),
	};
	struct drm_mode_map_dumb map_dumb = { 0 };
	struct bo *bo;
	int err;

	if (size >> 12 > UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return NULL;
	if (drmIoctl(cache->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create)) {
		err = errno;
		free(bo);
		errno = err;
		return NULL;
	}
	bo->handle = create.handle;
	bo->size = create.size;
	bo->bucket = bucket;
	cache->stats.created++;

	map_dumb.handle = bo->handle;
	if (drmIoctl(cache->fd, DRM_IOCTL_MODE_MAP_DUMB, &map_dumb) == 0) {
		bo->offset = map_dumb.offset;
		if (bo_map(cache, bo) == 0)
			return bo;
	}
	err = errno;
	bo_destroy(cache, bo);
	errno = err;
	return NULL;
}

struct bo *bo_cache_alloc(struct bo_cache *cache, uint64_t size)
{
	uint64_t rounded;
	int b = bucket_of(size, &rounded);
	struct bo *bo = NULL;
	bool retained = false;

	pthread_mutex_lock(&cache->lock);
	if (b >= 0 && cache->bucket[b]) {
		bo = cache->bucket[b];
		cache->bucket[b] = bo->next;
		bo->next = NULL;

		/*
		 * Needed again: were the contents kept? An error counts as
		 * purged (freedreno, vc4): the BO is replaced, nothing is lost
		 * but the cache hit.
		 */
		if (gem_advice_mark_needed(cache->adv, bo->handle, bo->offset,
					   bo->size, bo->map, &retained) == 0 &&
		    retained && (bo->map || bo_map(cache, bo) == 0)) {
			cache->stats.reused++;
			bo->reused = true;
			pthread_mutex_unlock(&cache->lock);
			return bo;
		}
		cache->stats.dropped++;
		bo_destroy(cache, bo);
	}
	bo = bo_create(cache, rounded, b);
	pthread_mutex_unlock(&cache->lock);
	return bo;
}

void bo_cache_free(struct bo_cache *cache, struct bo *bo)
{
	bool keep_mapped = cache->policy == BO_CACHE_KEEP_MAPPED;
	bool retained = true;

	pthread_mutex_lock(&cache->lock);
	bo->reused = false;
	if (bo->bucket < 0) {
		bo_destroy(cache, bo);
		pthread_mutex_unlock(&cache->lock);
		return;
	}
	if (!keep_mapped && bo->map) {
		munmap(bo->map, bo->size);
		bo->map = NULL;
	}
	/*
	 * Only purgeable BOs are worth keeping: the point is to give memory
	 * back. KEEP_MAPPED asks, as iris does, whether the BO still had its
	 * contents; UNMAP does not, as panfrost does not.
	 */
	if (gem_advice_mark_purgeable(cache->adv, bo->handle, bo->offset,
				      bo->size, bo->map,
				      keep_mapped ? &retained : NULL) ||
	    !retained) {
		cache->stats.not_cached++;
		bo_destroy(cache, bo);
	} else {
		bo->next = cache->bucket[bo->bucket];
		cache->bucket[bo->bucket] = bo;
		cache->stats.cached++;
	}
	pthread_mutex_unlock(&cache->lock);
}

struct bo_cache_stats bo_cache_get_stats(struct bo_cache *cache)
{
	struct bo_cache_stats stats;

	pthread_mutex_lock(&cache->lock);
	stats = cache->stats;
	pthread_mutex_unlock(&cache->lock);
	return stats;
}

void bo_cache_destroy(struct bo_cache *cache)
{
	if (!cache)
		return;
	for (int b = 0; b < NUM_BUCKETS; b++) {
		while (cache->bucket[b]) {
			struct bo *bo = cache->bucket[b];

			cache->bucket[b] = bo->next;
			bo_destroy(cache, bo);
		}
	}
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}
