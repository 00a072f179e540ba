/* SPDX-License-Identifier: MIT */
/*
 * A minimal Mesa-style cache of buffer objects on libgem_advice, on dumb
 * buffers so that it runs on any DRM device that has them. Freed BOs go,
 * marked purgeable, into a bucket of their power-of-two size; allocating
 * takes one back, marks it needed, and replaces it by a new BO if the kernel
 * purged it meanwhile. It shows the two policies of Mesa's drivers:
 *
 * BO_CACHE_KEEP_MAPPED (freedreno, vc4, iris): a cached BO keeps its CPU
 *   mapping, and the advice goes to the mapping (madvise()). Like iris, the
 *   cache asks whether the BO was still retained when it was marked
 *   purgeable, and frees it instead of caching it if not.
 * BO_CACHE_UNMAP (panfrost): a BO is unmapped before it enters the cache,
 *   and the advice goes by mmap offset (posix_fadvise()) or, for a BO that
 *   has none (panfrost's tiler heap), by handle through the driver's ioctl;
 *   the cache keeps the offset so that it never has to ask for it again. It
 *   is mapped again when it leaves the cache. Like panfrost, the cache does
 *   not ask whether it was retained when it was marked purgeable.
 *
 * On the per-driver ioctl path (kernels without the standard calls) both
 * policies work unchanged: the library advises by handle.
 */
#ifndef BO_CACHE_H
#define BO_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <gem_advice.h>

enum bo_cache_policy {
	BO_CACHE_KEEP_MAPPED,
	BO_CACHE_UNMAP,
};

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
	unsigned long not_cached;	/* freed, destroyed: not retained when
					 * marked purgeable, or advice failed */
	unsigned long reused;		/* taken back with their contents */
	unsigned long dropped;		/* taken back purged, destroyed */
};

struct bo_cache;

/*
 * @adv must be a context on @fd; both must outlive the cache. Returns NULL
 * on allocation failure.
 */
struct bo_cache *bo_cache_create(int fd, const struct gem_advice *adv,
				 enum bo_cache_policy policy);

/* Destroys every cached BO. BOs still allocated must be freed first. */
void bo_cache_destroy(struct bo_cache *cache);

/* A mapped BO of at least @size bytes, or NULL with errno. Thread-safe. */
struct bo *bo_cache_alloc(struct bo_cache *cache, uint64_t size);

/* Back into the cache (or destroyed if it cannot be cached). Thread-safe. */
void bo_cache_free(struct bo_cache *cache, struct bo *bo);

struct bo_cache_stats bo_cache_get_stats(struct bo_cache *cache);

#endif /* BO_CACHE_H */
