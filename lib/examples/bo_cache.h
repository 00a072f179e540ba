/* SPDX-License-Identifier: MIT */
/*
 * A minimal Mesa-style cache of buffer objects, on dumb buffers so that it
 * runs on any DRM device that has them. Freed BOs go, marked purgeable, into
 * a bucket of their power-of-two size; allocating takes one back, marks it
 * needed, and replaces it by a new BO if the kernel purged it meanwhile.
 */
#ifndef BO_CACHE_H
#define BO_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <drm_gem_advice.h>

struct bo {
	uint32_t handle;
	uint64_t size;		/* of the whole BO, as created */
	uint64_t offset;	/* fake mmap offset */
	void *map;		/* whole-BO read/write mapping */
	bool reused;		/* came from the cache with its contents */
	/* private */
	int bucket;		/* -1: too large to cache */
	struct bo *next;
};

struct bo_cache_stats {
	unsigned long created;		/* new dumb buffers */
	unsigned long destroyed;
	unsigned long cached;		/* freed into the cache, purgeable */
	unsigned long retained;		/* taken back with their contents */
	unsigned long purged;		/* taken back purged, dropped */
};

struct bo_cache;

/*
 * @adv must be a context on @fd; both must outlive the cache. With
 * @keep_maps, cached BOs stay mapped and the mapping is advised (madvise);
 * without, they are unmapped first and advised by offset (posix_fadvise).
 * Returns NULL on allocation failure.
 */
struct bo_cache *bo_cache_create(int fd, const drmGemAdvice *adv, bool keep_maps);

/* Destroys every cached BO. BOs still allocated must be freed first. */
void bo_cache_destroy(struct bo_cache *cache);

/* A mapped BO of at least @size bytes, or NULL with errno. Thread-safe. */
struct bo *bo_cache_alloc(struct bo_cache *cache, uint64_t size);

/* Back into the cache (or destroyed if it cannot be cached). Thread-safe. */
void bo_cache_free(struct bo_cache *cache, struct bo *bo);

struct bo_cache_stats bo_cache_get_stats(struct bo_cache *cache);

#endif /* BO_CACHE_H */
