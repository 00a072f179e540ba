// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 drm-gem-populate developers
 */

/**
 * TEST: gem mmap stress
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: madvise
 * Description: Randomized, model-checked stress of populate and purgeable
 *   advice on GEM mmaps, on every driver whose DRM_CAP_GEM_MMAP_ADVICE has
 *   the PURGEABLE bit. Worker threads run random operations on a pool of
 *   BOs (create, destroy, mmap with or without MAP_POPULATE, read-only or
 *   through a second DRM fd, munmap and mprotect of parts, MADV_POPULATE_*,
 *   MADV_DONTNEED, MADV_FREE, MADV_WILLNEED, MADV_REMOVE, posix_fadvise(),
 *   writes and checked reads, dma-buf and flink sharing, dma-buf mmaps, bad
 *   arguments), each checked against a model of every BO: needed,
 *   purgeable or purged, shared or not, the contents of each page and the
 *   VMAs of each mapping. Every errno, every byte read and every SIGBUS (or
 *   its absence) must match the model; the shrinker may purge purgeable
 *   BOs at any moment, needed ones never lose a byte.
 *
 * SUBTEST: random-ops
 * Description: Four threads and a child process that shares the model
 *   (robust process-shared mutexes) and checks its own read-only mappings:
 *   needed BOs hold their data, purged ones raise SIGBUS in the child too.
 *   Every shrinker runs now and then (drop_caches).
 *
 * SUBTEST: random-ops-single-thread
 * Description: One thread, no child and no forced shrinker runs: the seed
 *   replays the same sequence of operations.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "igt_gem_mmap.h"
#include "igt_rand.h"
#include "igt_thread.h"

IGT_TEST_DESCRIPTION("Randomized, model-checked stress of populate and purgeable advice on GEM mmaps.");

#define PAGE		4096
#define RW		(PROT_READ | PROT_WRITE)
#define NR_BOS		32		/* the pool */
#define MAX_PAGES	512		/* BOs are 1 page .. 2 MiB */
#define MAX_MAPS	3		/* parent mappings per BO */
#define MAX_THREADS	4
#define MAX_REPORTS	40		/* errors logged; all are counted */
#define LONG_OPS	1000000

enum bo_state { BO_NEEDED, BO_PURGEABLE, BO_PURGED };

static const char *const state_name[] = { "needed", "purgeable", "purged" };

/* One mmap() of a whole BO by the parent, as the kernel has split it. */
struct bo_map {
	char *addr;			/* BO page 0; NULL: unused */
	uint32_t vma[MAX_PAGES];	/* per page: VMA id, 0 if unmapped */
	uint8_t prot[MAX_PAGES];	/* per page: PROT_READ or RW */
};

struct bo {
	pthread_mutex_t lock;		/* robust, process-shared */
	int id;
	bool exists;
	uint32_t serial;		/* unique per created BO */
	uint32_t handle, handle2;	/* on drm_fd, and on drm_fd2 or 0 */
	uint64_t offset;		/* fake mmap offset, on both fds */
	uint32_t npages;
	enum bo_state state;
	bool shared;			/* exported as a dma-buf or flinked */
	int dmabuf;			/* the parent's dma-buf fd, or -1 */
	uint32_t gen;			/* last content generation written */
	uint32_t page_gen[MAX_PAGES];	/* per page; 0: never written */
	struct bo_map map[MAX_MAPS];
};

/* Everything the child shares with the parent (MAP_SHARED). */
struct shared {
	struct bo bo[NR_BOS];
	atomic_long claimed, ops, child_ops, errors, sigbus, child_sigbus;
	atomic_long purged, shrinker_purged, fault_checks;
	atomic_int stop_child;
	atomic_uint serial, vma_id;
};

/* A thread of the parent, or the child. */
struct ctx {
	char who[16];
	bool is_child;
	const char *op;			/* current operation, for reports */
	uint32_t rng;
};

static struct {
	uint32_t seed;
	bool seeded, long_run;
	long ops, seconds;
	int threads;
	bool child, shrink, exact_faults, flink;
} cfg;

static struct shared *sh;
static int drm_fd, drm_fd2;	/* the BOs' DRM file and a second one */
static struct timespec t_start;

static uint32_t rnd(struct ctx *c, uint32_t n)
{
	return ((uint64_t)hars_petruska_f54_1_random(&c->rng) * n) >> 32;
}

static bool chance(struct ctx *c, uint32_t percent)
{
	return rnd(c, 100) < percent;
}

/* An error: counted always, logged up to MAX_REPORTS times. */
static void __report(struct ctx *c, const struct bo *b, const char *msg)
{
	if (atomic_fetch_add(&sh->errors, 1) >= MAX_REPORTS)
		return;
	if (b)
		igt_warn("%s, %s, bo %d (serial %u, %u pages, %s%s): %s\n",
			 c->who, c->op, b->id, b->serial, b->npages,
			 state_name[b->state], b->shared ? ", shared" : "", msg);
	else
		igt_warn("%s, %s: %s\n", c->who, c->op, msg);
}

#define report(c, b, ...) do { \
	char __msg[512]; \
	snprintf(__msg, sizeof(__msg), __VA_ARGS__); \
	__report(c, b, __msg); \
} while (0)

static void bo_lock(struct ctx *c, struct bo *b)
{
	int ret = pthread_mutex_lock(&b->lock);

	if (ret == EOWNERDEAD) {
		report(c, NULL, "bo %d: the owner of its lock died", b->id);
		pthread_mutex_consistent(&b->lock);
	} else {
		igt_assert_eq(ret, 0);
	}
}

static void bo_unlock(struct bo *b)
{
	pthread_mutex_unlock(&b->lock);
}

/* The pattern of generation @gen of the BO with serial @serial. */
static uint32_t content_seed(uint32_t serial, uint32_t gen)
{
	uint32_t x = serial * 0x9e3779b1u ^ gen * 0x85ebca77u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	return x ^ (x >> 12);
}

/* Dword @j of page @page: igt_gem_mmap_fill() of the whole BO; 0 for gen 0. */
static uint32_t pattern(uint32_t seed, uint32_t gen, uint32_t page, uint32_t j)
{
	return gen ? seed ^ (page << 10 | j) : 0;
}

/* --- Accesses to BO memory, SIGBUS caught by igt_gem_mmap_guarded() ---- */

enum access_mode { ACCESS_CHECK, ACCESS_FILL, ACCESS_TOUCH, ACCESS_RMW };

struct access {
	enum access_mode mode;
	char *base;			/* BO page 0 in this mapping */
	uint32_t first, n;		/* BO pages accessed */
	const struct bo *bo;
	uint32_t gen;			/* ACCESS_FILL */
	volatile uint32_t done;		/* pages completed */
	bool bad;			/* ACCESS_CHECK: first mismatch */
	uint32_t bad_page, bad_dword, found, expected;
};

static void access_pages(void *data)
{
	struct access *a = data;

	for (uint32_t i = 0; i < a->n; i++) {
		uint32_t page = a->first + i, gen, seed;
		volatile uint32_t *p = (volatile uint32_t *)(a->base + page * PAGE);

		switch (a->mode) {
		case ACCESS_CHECK:
			gen = a->bo->page_gen[page];
			seed = content_seed(a->bo->serial, gen);
			for (uint32_t j = 0; j < PAGE / 4; j++) {
				uint32_t want = pattern(seed, gen, page, j);
				uint32_t v = p[j];

				if (v != want) {
					a->bad = true;
					a->bad_page = page;
					a->bad_dword = j;
					a->found = v;
					a->expected = want;
					return;
				}
			}
			break;
		case ACCESS_FILL:
			igt_gem_mmap_fill((void *)p, PAGE,
					  content_seed(a->bo->serial, a->gen) ^ page << 10);
			break;
		case ACCESS_TOUCH:
			(void)*p;
			break;
		case ACCESS_RMW:
			*p = *p;
			break;
		}
		a->done = i + 1;
	}
}

/* Called through a pointer, so that the warm-up runs the same code. */
static void (*volatile access_fn)(void *data) = access_pages;

/* Runs the access; true if it raised SIGBUS, at *addr. */
static bool guarded(struct access *a, void **addr)
{
	return igt_gem_mmap_guarded(access_fn, a, addr);
}

static long thread_minflt(void)
{
	struct rusage ru = {};

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

static void mark_purged(struct ctx *c, struct bo *b, bool by_remove,
			const char *why)
{
	if (b->state == BO_PURGED)
		return;
	igt_debug("%s, bo %d: %s -> purged (%s)\n", c->who, b->id,
		  state_name[b->state], why);
	b->state = BO_PURGED;
	atomic_fetch_add(&sh->purged, 1);
	if (!by_remove)
		atomic_fetch_add(&sh->shrinker_purged, 1);
}

/* The kernel told whether b's contents are still there: check and learn. */
static void observed(struct ctx *c, struct bo *b, bool retained,
		     const char *what)
{
	if (b->state == BO_NEEDED && !retained)
		report(c, b, "%s: a needed BO was purged", what);
	else if (b->state == BO_PURGED && retained)
		report(c, b, "%s: a purged BO came back", what);
	if (!retained)
		mark_purged(c, b, false, what);
}

/* SIGBUS (at @addr) or not on pages [first, first + n) of b via @base. */
static void access_outcome(struct ctx *c, struct bo *b, const char *via,
			   bool faulted, char *addr, char *base,
			   uint32_t first, uint32_t n)
{
	char *lo = base + first * PAGE, *hi = lo + n * PAGE;

	if (!faulted) {
		if (b->state == BO_PURGED)
			report(c, b, "%s pages %u+%u of a purged BO: no SIGBUS",
			       via, first, n);
		return;
	}
	atomic_fetch_add(&sh->sigbus, 1);
	if (c->is_child)
		atomic_fetch_add(&sh->child_sigbus, 1);
	if (addr < lo || addr >= hi) {
		report(c, b, "%s pages %u+%u: SIGBUS at %p, outside [%p, %p)",
		       via, first, n, addr, lo, hi);
		return;
	}
	if (b->state == BO_NEEDED)
		report(c, b, "%s pages %u+%u: SIGBUS on a needed BO at page %zu",
		       via, first, n, (size_t)(addr - base) / PAGE);
	else if (b->state == BO_PURGED && addr >= lo + PAGE)
		report(c, b, "%s pages %u+%u of a purged BO: first SIGBUS only at page %zu",
		       via, first, n, (size_t)(addr - base) / PAGE);
	mark_purged(c, b, false, "SIGBUS");
}

/* Reads pages [first, first + n) of b through base and checks them. */
static void check_pages(struct ctx *c, struct bo *b, char *base,
			uint32_t first, uint32_t n, const char *via)
{
	struct access a = {
		.mode = ACCESS_CHECK, .base = base, .first = first, .n = n,
		.bo = b,
	};
	void *addr = NULL;
	bool faulted = guarded(&a, &addr);

	if (a.bad) {
		uint32_t seed = content_seed(b->serial, b->page_gen[a.bad_page]);

		report(c, b, "%s pages %u+%u: page %u dword %u holds %#x, expected %#x (gen %u; it decodes to page %u)",
		       via, first, n, a.bad_page, a.bad_dword, a.found,
		       a.expected, b->page_gen[a.bad_page],
		       (a.found ^ seed) >> 10);
		if (b->state == BO_PURGED)
			return;		/* reported: readable at all */
	}
	access_outcome(c, b, via, faulted, addr, base, first, n);
}

/* Writes a new generation over pages [first, first + n) of b. */
static void fill_pages(struct ctx *c, struct bo *b, char *base,
		       uint32_t first, uint32_t n, const char *via)
{
	struct access a = {
		.mode = ACCESS_FILL, .base = base, .first = first, .n = n,
		.bo = b, .gen = b->gen + 1,
	};
	void *addr = NULL;
	bool faulted = guarded(&a, &addr);

	b->gen++;
	for (uint32_t i = 0; i < a.done; i++)
		b->page_gen[first + i] = b->gen;
	access_outcome(c, b, via, faulted, addr, base, first, n);
}

/* Faults this thread takes touching pages of b; -1 on SIGBUS. */
static long touch_faults(struct ctx *c, struct bo *b, char *base,
			 uint32_t first, uint32_t n, enum access_mode mode)
{
	static uint32_t warmup[PAGE / 4];
	struct access w = { .mode = mode, .base = (char *)warmup, .n = 1 };
	struct access a = { .mode = mode, .base = base, .first = first, .n = n };
	void *addr = NULL;
	long before;

	/* Fault in the code, the stack and getrusage() first. */
	guarded(&w, &addr);
	thread_minflt();

	before = thread_minflt();
	if (guarded(&a, &addr)) {
		access_outcome(c, b, "touching", true, addr, base, first, n);
		return -1;
	}
	atomic_fetch_add(&sh->fault_checks, 1);
	return thread_minflt() - before;
}

/* Touching populated pages of a needed BO must not fault. */
static void check_no_faults(struct ctx *c, struct bo *b, char *base,
			    uint32_t first, uint32_t n, enum access_mode mode,
			    const char *what)
{
	long faults;

	if (b->state != BO_NEEDED)
		return;
	faults = touch_faults(c, b, base, first, n, mode);
	if (faults > 0)
		report(c, b, "%s pages %u+%u: touching them cost %ld page faults",
		       what, first, n, faults);
}

/* --- The model of a BO's mappings --------------------------------------- */

static bool page_ok(const struct bo_map *m, uint32_t p, bool writable)
{
	return m->vma[p] && (!writable || m->prot[p] == RW);
}

/* First and end page of the VMA that maps page p. */
static uint32_t vma_first(const struct bo_map *m, uint32_t p)
{
	while (p > 0 && m->vma[p - 1] == m->vma[p])
		p--;
	return p;
}

static uint32_t vma_end(const struct bo *b, const struct bo_map *m, uint32_t p)
{
	while (p + 1 < b->npages && m->vma[p + 1] == m->vma[p])
		p++;
	return p + 1;
}

static struct bo_map *pick_map(struct ctx *c, struct bo *b)
{
	uint32_t start = rnd(c, MAX_MAPS);

	for (uint32_t i = 0; i < MAX_MAPS; i++) {
		struct bo_map *m = &b->map[(start + i) % MAX_MAPS];

		if (m->addr)
			return m;
	}
	return NULL;
}

/*
 * A maximal run of mapped (writable) pages of m around a random page:
 * calls never cover holes, which another thread may have mapped since.
 */
static bool pick_run(struct ctx *c, const struct bo *b, const struct bo_map *m,
		     bool writable, uint32_t *first, uint32_t *n)
{
	uint32_t start = rnd(c, b->npages), i, p = 0, lo, hi;

	for (i = 0; i < b->npages; i++) {
		p = (start + i) % b->npages;
		if (page_ok(m, p, writable))
			break;
	}
	if (i == b->npages)
		return false;
	for (lo = p; lo > 0 && page_ok(m, lo - 1, writable); lo--)
		;
	for (hi = p + 1; hi < b->npages && page_ok(m, hi, writable); hi++)
		;
	*first = lo;
	*n = hi - lo;
	return true;
}

/* A run, or a random part of one (short parts likelier). */
static bool pick_range(struct ctx *c, const struct bo *b,
		       const struct bo_map *m, bool writable,
		       uint32_t *first, uint32_t *n)
{
	uint32_t len, sub;

	if (!pick_run(c, b, m, writable, first, n))
		return false;
	if (chance(c, 30))
		return true;
	len = *n;
	sub = 1 + rnd(c, chance(c, 50) && len > 8 ? 8 : len);
	*first += rnd(c, len - sub + 1);
	*n = sub;
	return true;
}

static uint32_t new_vma_id(void)
{
	return atomic_fetch_add(&sh->vma_id, 1) + 1;
}

static void model_munmap(struct bo *b, struct bo_map *m, uint32_t first,
			 uint32_t n)
{
	memset(&m->vma[first], 0, n * sizeof(m->vma[0]));
	for (uint32_t p = 0; p < b->npages; p++)
		if (m->vma[p])
			return;
	m->addr = NULL;
}

/*
 * mprotect() splits each VMA whose protection changes at the ends of the
 * range; VMAs that already have the protection are left alone. GEM
 * mappings are VM_PFNMAP: split VMAs never merge again.
 */
static void model_mprotect(struct bo_map *m, uint32_t first, uint32_t n,
			   int prot)
{
	uint32_t p = first, end = first + n;

	while (p < end) {
		uint32_t old = m->vma[p], q = p, id;

		while (q < end && m->vma[q] == old)
			q++;
		if (m->prot[p] != prot) {
			id = new_vma_id();
			for (; p < q; p++) {
				m->vma[p] = id;
				m->prot[p] = prot;
			}
		}
		p = q;
	}
}

static void unmap_all(struct ctx *c, struct bo *b)
{
	for (int i = 0; i < MAX_MAPS; i++) {
		struct bo_map *m = &b->map[i];
		uint32_t first, n;

		while (m->addr && pick_run(c, b, m, false, &first, &n)) {
			if (munmap(m->addr + first * PAGE, n * PAGE))
				report(c, b, "munmap of pages %u+%u: %m", first, n);
			model_munmap(b, m, first, n);
		}
	}
}

/* --- Expected results ---------------------------------------------------- */

static int errno_of(int ret)
{
	return ret ? errno : 0;
}

/*
 * MADV_FREE and MADV_REMOVE: the first VMA of the range decides. It must be
 * writable (EACCES), it and the range must cover the whole BO (EINVAL); a
 * shared BO cannot be purged (EBUSY).
 */
static int expect_purge_advice(const struct bo *b, const struct bo_map *m,
			       uint32_t first, uint32_t n)
{
	uint32_t end = min(vma_end(b, m, first), first + n);
	int want = 0;

	if (m->prot[first] != RW)
		want = EACCES;
	else if (first != 0 || vma_first(m, first) != 0 || end != b->npages)
		want = EINVAL;
	else if (b->shared)
		want = EBUSY;
	return want;
}

/* MADV_WILLNEED and POSIX_FADV_WILLNEED: 0 if retained, EFAULT if purged. */
static void check_willneed(struct ctx *c, struct bo *b, int ret,
			   const char *what)
{
	if (ret != 0 && ret != EFAULT) {
		report(c, b, "%s: %s, expected 0 or EFAULT", what, strerror(ret));
		return;
	}
	observed(c, b, !ret, what);
	if (!ret && b->state == BO_PURGEABLE)
		b->state = BO_NEEDED;
}

/*
 * MADV_POPULATE_READ/WRITE: VMA by VMA, EINVAL at the first VMA the access
 * is not permitted in, EFAULT at the first one if the BO is purged.
 */
static void check_populate(struct ctx *c, struct bo *b, const struct bo_map *m,
			   uint32_t first, uint32_t n, bool write, int ret)
{
	const char *what = write ? "MADV_POPULATE_WRITE" : "MADV_POPULATE_READ";
	bool first_ro = write && m->prot[first] != RW, any_ro = false;

	for (uint32_t p = first; write && p < first + n; p++)
		any_ro |= m->prot[p] != RW;

	if (ret == 0 && any_ro)
		report(c, b, "%s of pages %u+%u succeeded over a read-only VMA",
		       what, first, n);
	else if (ret == 0)
		observed(c, b, true, what);
	else if (ret == EFAULT && first_ro)
		report(c, b, "%s of pages %u+%u: EFAULT, expected EINVAL (read-only)",
		       what, first, n);
	else if (ret == EFAULT)
		observed(c, b, false, what);
	else if (ret == EINVAL && !any_ro)
		report(c, b, "%s of pages %u+%u: unexpected EINVAL", what, first, n);
	else if (ret == EINVAL && !first_ro && b->state == BO_PURGED)
		report(c, b, "%s of pages %u+%u: EINVAL, expected EFAULT (purged)",
		       what, first, n);
	else if (ret != EINVAL)
		report(c, b, "%s of pages %u+%u: unexpected %s", what, first, n,
		       strerror(ret));
}

/* --- Operations ---------------------------------------------------------- */

static void bo_create(struct ctx *c, struct bo *b)
{
	uint32_t r = rnd(c, 10), npages;
	struct igt_gem_mmap_bo bo;

	c->op = "create";
	if (r < 5)
		npages = 1 + rnd(c, 16);
	else if (r < 8)
		npages = 17 + rnd(c, 112);
	else
		npages = 129 + rnd(c, MAX_PAGES - 128);
	igt_gem_mmap_bo_create(drm_fd, (uint64_t)npages * PAGE, &bo);
	igt_assert_eq_u64(bo.size, (uint64_t)npages * PAGE);

	memset(&b->exists, 0, sizeof(*b) - offsetof(struct bo, exists));
	b->exists = true;
	b->serial = atomic_fetch_add(&sh->serial, 1) + 1;
	b->handle = bo.handle;
	b->offset = bo.offset;
	b->npages = npages;
	b->state = BO_NEEDED;
	b->dmabuf = -1;
}

static int op_destroy(struct ctx *c, struct bo *b, int arg)
{
	unmap_all(c, b);
	if (b->dmabuf >= 0 && close(b->dmabuf))
		report(c, b, "closing the dma-buf: %m");
	if (b->handle2)
		gem_close(drm_fd2, b->handle2);
	gem_close(drm_fd, b->handle);
	b->exists = false;
	return 0;
}

static int op_mmap(struct ctx *c, struct bo *b, int populate)
{
	int prot = chance(c, 75) ? RW : PROT_READ;
	int fd = b->handle2 && chance(c, 50) ? drm_fd2 : drm_fd;
	int flags = MAP_SHARED | (populate ? MAP_POPULATE : 0);
	struct bo_map *m = NULL;
	uint32_t id;
	char *p;

	for (int i = 0; i < MAX_MAPS && !m; i++)
		if (!b->map[i].addr)
			m = &b->map[i];
	if (!m)
		return -1;
	p = mmap(NULL, b->npages * PAGE, prot, flags, fd, b->offset);
	if (p == MAP_FAILED) {
		report(c, b, "mmap(prot %#x, flags %#x, fd %d): %m", prot,
		       flags, fd == drm_fd ? 1 : 2);
		return 0;
	}
	m->addr = p;
	id = new_vma_id();
	for (uint32_t i = 0; i < b->npages; i++) {
		m->vma[i] = id;
		m->prot[i] = prot;
	}
	/* MAP_POPULATE populates for read, and ignores errors. */
	if (populate)
		check_no_faults(c, b, p, 0, b->npages, ACCESS_TOUCH,
				"MAP_POPULATE'd");
	return 0;
}

/* Unmaps the head, the tail or the middle of a run, or a whole run. */
static int op_munmap(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n, k;

	if (!m || !pick_run(c, b, m, false, &first, &n))
		return -1;
	switch (rnd(c, 4)) {
	case 0:
		n = 1 + rnd(c, n);
		break;
	case 1:
		k = 1 + rnd(c, n);
		first += n - k;
		n = k;
		break;
	case 2:
		if (n >= 3) {
			k = 1 + rnd(c, n - 2);
			first += 1 + rnd(c, n - 1 - k);
			n = k;
		}
		break;
	}
	if (munmap(m->addr + first * PAGE, n * PAGE))
		report(c, b, "munmap of pages %u+%u: %m", first, n);
	model_munmap(b, m, first, n);
	return 0;
}

static int op_mprotect(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;
	int prot;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	prot = m->prot[first] == RW ? PROT_READ : RW;
	if (mprotect(m->addr + first * PAGE, n * PAGE, prot))
		report(c, b, "mprotect(%#x) of pages %u+%u: %m", prot, first, n);
	model_mprotect(m, first, n, prot);
	return 0;
}

static int op_populate(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	bool write = chance(c, 50);
	uint32_t first, n;
	int ret;

	/* Mostly where the access is permitted; sometimes anywhere. */
	if (!m || !pick_range(c, b, m, write && chance(c, 80), &first, &n))
		return -1;
	ret = errno_of(madvise(m->addr + first * PAGE, n * PAGE,
			       write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ));
	check_populate(c, b, m, first, n, write, ret);
	if (!ret)
		check_no_faults(c, b, m->addr, first, n,
				write ? ACCESS_RMW : ACCESS_TOUCH, "populated");
	return 0;
}

/* MADV_DONTNEED zaps the page-table entries only: each page faults again. */
static int op_dontneed(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;
	long faults;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	if (madvise(m->addr + first * PAGE, n * PAGE, MADV_DONTNEED))
		report(c, b, "MADV_DONTNEED of pages %u+%u: %m", first, n);
	if (b->state != BO_NEEDED || !cfg.exact_faults || !chance(c, 50))
		return 0;
	faults = touch_faults(c, b, m->addr, first, n, ACCESS_TOUCH);
	if (faults >= 0 && faults != n)
		report(c, b, "reading pages %u+%u after MADV_DONTNEED cost %ld faults, expected %u",
		       first, n, faults, n);
	return 0;
}

static int op_write(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;

	if (!m || !pick_range(c, b, m, true, &first, &n))
		return -1;
	fill_pages(c, b, m->addr, first, n, "writing");
	return 0;
}

static int op_read(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	check_pages(c, b, m->addr, first, n, "reading");
	return 0;
}

/* MADV_FREE or MADV_REMOVE: mostly over a whole mapping, as they need. */
static int op_purge_advice(struct ctx *c, struct bo *b, int advice)
{
	const char *what = advice == MADV_FREE ? "MADV_FREE" : "MADV_REMOVE";
	struct bo_map *m = pick_map(c, b);
	uint32_t first = 0, n;
	int ret, want;

	if (!m)
		return -1;
	if (!pick_run(c, b, m, false, &first, &n) ||
	    ((first || n != b->npages || chance(c, 20)) &&
	     !pick_range(c, b, m, false, &first, &n)))
		return -1;
	want = expect_purge_advice(b, m, first, n);
	ret = errno_of(madvise(m->addr + first * PAGE, n * PAGE, advice));
	if (ret != want)
		report(c, b, "%s of pages %u+%u (VMA %u..%u, prot %#x): %s, expected %s",
		       what, first, n, vma_first(m, first), vma_end(b, m, first),
		       m->prot[first], strerror(ret), strerror(want));
	else if (!ret && advice == MADV_FREE && b->state == BO_NEEDED)
		b->state = BO_PURGEABLE;
	else if (!ret && advice == MADV_REMOVE)
		mark_purged(c, b, true, what);
	return 0;
}

static int op_willneed(struct ctx *c, struct bo *b, int arg)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	check_willneed(c, b, errno_of(madvise(m->addr + first * PAGE, n * PAGE,
					      MADV_WILLNEED)), "MADV_WILLNEED");
	return 0;
}

/* posix_fadvise() on the DRM fd at the BO's fake offset, mapped or not. */
static int op_fadvise(struct ctx *c, struct bo *b, int arg)
{
	int fd = b->handle2 && chance(c, 50) ? drm_fd2 : drm_fd;
	bool dontneed = chance(c, 50), bad = true;
	off_t offset = b->offset;
	off_t len = chance(c, 50) ? 0 : b->npages * PAGE;
	const char *what = dontneed ? "POSIX_FADV_DONTNEED" : "POSIX_FADV_WILLNEED";
	int ret, want;

	switch (rnd(c, 20)) {
	case 0:		/* not the BO's size */
		len = (b->npages > 1 ? b->npages - 1 : 2) * PAGE;
		break;
	case 1:		/* unaligned offset */
		offset += 1;
		break;
	case 2:		/* inside the BO, not its start */
		offset += PAGE;
		bad = b->npages > 1;
		break;
	default:
		bad = false;
	}
	if (!bad)
		offset = b->offset;
	ret = posix_fadvise(fd, offset, len, dontneed ? POSIX_FADV_DONTNEED :
							POSIX_FADV_WILLNEED);
	if (bad) {
		if (ret != EINVAL)
			report(c, b, "%s(offset %+lld, len %lld): %s, expected EINVAL",
			       what, (long long)(offset - b->offset),
			       (long long)len, strerror(ret));
		return 0;
	}
	if (!dontneed) {
		check_willneed(c, b, ret, what);
		return 0;
	}
	want = b->shared ? EBUSY : 0;
	if (ret != want)
		report(c, b, "%s(len %lld): %s, expected %s", what,
		       (long long)len, strerror(ret), strerror(want));
	else if (!ret && b->state == BO_NEEDED)
		b->state = BO_PURGEABLE;
	return 0;
}

/*
 * Shares the BO with the second DRM fd through a dma-buf or a flink name,
 * or exports a flinked BO as a dma-buf too. A shared BO cannot be purged.
 */
static int op_share(struct ctx *c, struct bo *b, int arg)
{
	uint32_t handle2 = 0;
	uint64_t offset;

	if (b->dmabuf >= 0)
		return -1;
	if (!b->shared && cfg.flink && chance(c, 30)) {
		uint32_t name = gem_flink(drm_fd, b->handle);

		b->shared = true;
		handle2 = gem_open(drm_fd2, name);
	} else {
		b->dmabuf = prime_handle_to_fd_for_mmap(drm_fd, b->handle);
		if (b->dmabuf < 0) {
			report(c, b, "exporting a dma-buf: %m");
			return 0;
		}
		b->shared = true;
		if (b->handle2)
			return 0;
		handle2 = prime_fd_to_handle(drm_fd2, b->dmabuf);
	}
	b->handle2 = handle2;
	offset = igt_gem_mmap_handle_offset(drm_fd2, handle2);
	if (offset != b->offset)
		report(c, b, "the second fd maps it at %#" PRIx64 ", not %#" PRIx64,
		       offset, b->offset);
	return 0;
}

/* Maps the dma-buf, maybe populates it, reads or writes some of it. */
static int op_dmabuf_map(struct ctx *c, struct bo *b, int arg)
{
	bool populate = chance(c, 50);
	size_t size = b->npages * PAGE;
	uint32_t first, n;
	int ret;
	char *p;

	if (b->dmabuf < 0)
		return -1;
	p = mmap(NULL, size, RW, MAP_SHARED | (populate ? MAP_POPULATE : 0),
		 b->dmabuf, 0);
	if (p == MAP_FAILED) {
		report(c, b, "mmap of the dma-buf: %m");
		return 0;
	}
	if (!populate && chance(c, 50)) {
		ret = errno_of(madvise(p, size, MADV_POPULATE_WRITE));
		if (ret && ret != EFAULT)
			report(c, b, "dma-buf MADV_POPULATE_WRITE: %s", strerror(ret));
		else
			observed(c, b, !ret, "dma-buf MADV_POPULATE_WRITE");
	}
	first = rnd(c, b->npages);
	n = 1 + rnd(c, b->npages - first);
	if (chance(c, 30))
		fill_pages(c, b, p, first, n, "writing the dma-buf mapping");
	else
		check_pages(c, b, p, first, n, "reading the dma-buf mapping");
	if (munmap(p, size))
		report(c, b, "munmap of the dma-buf mapping: %m");
	return 0;
}

/* Calls that must fail the same way whatever the state of the BO. */
static int op_bad_args(struct ctx *c, struct bo *b, int arg)
{
	static const int advice[] = {
		MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED,
		MADV_FREE, MADV_WILLNEED, MADV_REMOVE,
	};
	struct bo_map *m = pick_map(c, b);
	int adv = advice[rnd(c, ARRAY_SIZE(advice))], kind = rnd(c, 4), ret;
	size_t size = b->npages * PAGE;
	uint32_t first, n;
	char *p;

	if (kind < 3 && (!m || !pick_range(c, b, m, false, &first, &n)))
		return -1;
	switch (kind) {
	case 0:		/* unaligned start */
		ret = errno_of(madvise(m->addr + first * PAGE + 1 + rnd(c, PAGE - 1),
				       PAGE, adv));
		if (ret != EINVAL)
			report(c, b, "advice %d at an unaligned address: %s, expected EINVAL",
			       adv, strerror(ret));
		break;
	case 1:		/* no pages: nothing to do, whatever the advice */
		ret = errno_of(madvise(m->addr + first * PAGE, 0, adv));
		if (ret)
			report(c, b, "advice %d of 0 bytes: %s, expected 0",
			       adv, strerror(ret));
		break;
	case 2:		/* a length that wraps around the address space */
		ret = errno_of(madvise(m->addr + first * PAGE, (size_t)0 - PAGE, adv));
		if (ret != EINVAL)
			report(c, b, "advice %d of -4096 bytes: %s, expected EINVAL",
			       adv, strerror(ret));
		break;
	default:	/* mmap: private, too long, not at the BO's start */
		switch (rnd(c, 3)) {
		case 0:
			p = mmap(NULL, size, RW, MAP_PRIVATE, drm_fd, b->offset);
			break;
		case 1:
			p = mmap(NULL, size + PAGE, RW, MAP_SHARED, drm_fd, b->offset);
			break;
		default:
			if (b->npages < 2)
				return -1;
			p = mmap(NULL, PAGE, RW, MAP_SHARED, drm_fd, b->offset + PAGE);
			break;
		}
		if (p != MAP_FAILED) {
			report(c, b, "a bad mmap() of the BO succeeded");
			munmap(p, size);
		} else if (errno != EINVAL) {
			report(c, b, "a bad mmap() of the BO: %m, expected EINVAL");
		}
		break;
	}
	return 0;
}

/* Operations on an existing BO, by weight; -1: not applicable now. */
static const struct op {
	const char *name;
	int (*fn)(struct ctx *c, struct bo *b, int arg);
	int arg;
	unsigned int weight;
} ops[] = {
	{ "destroy", op_destroy, 0, 2 },
	{ "mmap", op_mmap, false, 4 },
	{ "mmap-populate", op_mmap, true, 3 },
	{ "munmap", op_munmap, 0, 4 },
	{ "mprotect", op_mprotect, 0, 4 },
	{ "madv-populate", op_populate, 0, 8 },
	{ "madv-dontneed", op_dontneed, 0, 3 },
	{ "write", op_write, 0, 10 },
	{ "read", op_read, 0, 10 },
	{ "bad-args", op_bad_args, 0, 1 },
	{ "madv-free", op_purge_advice, MADV_FREE, 5 },
	{ "madv-willneed", op_willneed, 0, 5 },
	{ "madv-remove", op_purge_advice, MADV_REMOVE, 2 },
	{ "fadvise", op_fadvise, 0, 4 },
	{ "share", op_share, 0, 1 },
	{ "dmabuf-map", op_dmabuf_map, 0, 2 },
};

static atomic_long op_count[ARRAY_SIZE(ops)];

static void run_op(struct ctx *c, struct bo *b)
{
	unsigned int total = 0, r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	for (int tries = 0; tries < 8; tries++) {
		r = rnd(c, total);
		for (i = 0; r >= ops[i].weight; i++)
			r -= ops[i].weight;
		c->op = ops[i].name;
		if (!ops[i].fn(c, b, ops[i].arg)) {
			atomic_fetch_add(&op_count[i], 1);
			return;
		}
	}
	c->op = "mmap";
	if (op_mmap(c, b, false))
		op_destroy(c, b, 0);	/* every mapping slot is taken */
}

static bool stop_now(void)
{
	struct timespec now;

	if (atomic_fetch_add(&sh->claimed, 1) >= cfg.ops)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return cfg.seconds && igt_time_elapsed(&t_start, &now) >= cfg.seconds;
}

static void *worker(void *arg)
{
	struct ctx *c = arg;

	while (!stop_now()) {
		struct bo *b;

		if (cfg.shrink && !rnd(c, 500)) {
			c->op = "drop_caches";
			if (!__igt_gem_mmap_shrink_all())
				report(c, NULL, "writing drop_caches: %m");
			continue;
		}
		b = &sh->bo[rnd(c, NR_BOS)];
		bo_lock(c, b);
		if (b->exists)
			run_op(c, b);
		else
			bo_create(c, b);
		bo_unlock(b);
		atomic_fetch_add(&sh->ops, 1);
	}
	return NULL;
}

/* --- The child ----------------------------------------------------------- */

/* The child's own read-only mapping of a BO, kept across operations. */
struct child_map {
	char *addr;
	uint32_t serial, npages;
};

static void child_op(struct ctx *c, struct bo *b, struct child_map *cm)
{
	uint32_t first, n;
	int ret;

	/* A mapping of a destroyed BO keeps it alive; drop it now. */
	if (cm->addr && (!b->exists || cm->serial != b->serial)) {
		c->op = "child munmap stale";
		if (munmap(cm->addr, cm->npages * PAGE))
			report(c, NULL, "munmap: %m");
		cm->addr = NULL;
	}
	if (!b->exists)
		return;
	if (!cm->addr) {
		bool populate = chance(c, 50);
		char *p;

		c->op = "child mmap";
		p = mmap(NULL, b->npages * PAGE, PROT_READ,
			 MAP_SHARED | (populate ? MAP_POPULATE : 0), drm_fd,
			 b->offset);
		if (p == MAP_FAILED) {
			report(c, b, "mmap through the inherited fd: %m");
			return;
		}
		cm->addr = p;
		cm->serial = b->serial;
		cm->npages = b->npages;
		if (populate)
			check_no_faults(c, b, p, 0, b->npages, ACCESS_TOUCH,
					"MAP_POPULATE'd");
	}

	switch (rnd(c, 10)) {
	case 0:
		c->op = "child madv-dontneed";
		if (madvise(cm->addr, b->npages * PAGE, MADV_DONTNEED))
			report(c, b, "MADV_DONTNEED: %m");
		break;
	case 1:
		c->op = "child madv-populate";
		ret = errno_of(madvise(cm->addr, b->npages * PAGE, MADV_POPULATE_READ));
		if (ret && ret != EFAULT)
			report(c, b, "MADV_POPULATE_READ: %s", strerror(ret));
		else
			observed(c, b, !ret, "MADV_POPULATE_READ");
		break;
	}

	c->op = "child read";
	if (chance(c, 20)) {
		first = 0;
		n = b->npages;
	} else {
		first = rnd(c, b->npages);
		n = 1 + rnd(c, min(b->npages - first, 16u));
	}
	check_pages(c, b, cm->addr, first, n, "reading");

	if (chance(c, 10)) {
		munmap(cm->addr, cm->npages * PAGE);
		cm->addr = NULL;
	}
}

static void child_main(void)
{
	static struct child_map cmap[NR_BOS];
	struct ctx c = { .who = "child", .is_child = true, .op = "start" };

	c.rng = cfg.seed ^ 0xc1d0c1d0;
	while (!atomic_load(&sh->stop_child)) {
		int i = rnd(&c, NR_BOS);

		bo_lock(&c, &sh->bo[i]);
		child_op(&c, &sh->bo[i], &cmap[i]);
		bo_unlock(&sh->bo[i]);
		atomic_fetch_add(&sh->child_ops, 1);
	}
	for (int i = 0; i < NR_BOS; i++)
		if (cmap[i].addr)
			munmap(cmap[i].addr, cmap[i].npages * PAGE);
}

/* --- The subtests -------------------------------------------------------- */

/*
 * After the run: purgeable BOs are asked back, needed ones must hold all
 * their data through a fresh mapping, purged ones must stay purged; then
 * every BO is destroyed.
 */
static void final_check(struct ctx *c)
{
	for (int i = 0; i < NR_BOS; i++) {
		struct bo *b = &sh->bo[i];
		char *p;

		bo_lock(c, b);
		if (b->exists) {
			c->op = "final check";
			check_willneed(c, b, posix_fadvise(drm_fd, b->offset, 0,
							   POSIX_FADV_WILLNEED),
				       "POSIX_FADV_WILLNEED");
			p = mmap(NULL, b->npages * PAGE, PROT_READ, MAP_SHARED,
				 drm_fd, b->offset);
			if (p == MAP_FAILED) {
				report(c, b, "mmap: %m");
			} else {
				check_pages(c, b, p, 0, b->state == BO_PURGED ?
					    1 : b->npages, "reading");
				munmap(p, b->npages * PAGE);
			}
			op_destroy(c, b, 0);
		}
		bo_unlock(b);
	}
}

static void setup_shared(void)
{
	pthread_mutexattr_t attr;

	sh = mmap(NULL, sizeof(*sh), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(sh != MAP_FAILED);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < NR_BOS; i++) {
		igt_assert_eq(pthread_mutex_init(&sh->bo[i].lock, &attr), 0);
		sh->bo[i].id = i;
		sh->bo[i].dmabuf = -1;
	}
	pthread_mutexattr_destroy(&attr);
	memset(op_count, 0, sizeof(op_count));
}

static void stress(struct igt_gem_mmap_test *t)
{
	static struct ctx ctxs[MAX_THREADS];
	struct ctx mc = { .who = "main", .op = "setup" };
	struct sigaction old;
	pthread_t threads[MAX_THREADS];
	struct timespec now;
	char counts[512];
	int len = 0, i;
	long errors;

	drm_fd = t->fd;
	drm_fd2 = drm_reopen_driver(t->fd);
	cfg.exact_faults = t->fault_pages == 1;
	cfg.flink = geteuid() == 0;
	if (cfg.shrink)
		igt_require_f(__igt_gem_mmap_shrink_all(),
			      "cannot write /proc/sys/vm/drop_caches\n");
	setup_shared();
	igt_info("seed %u (--seed to repeat), %d thread(s)%s, %d BOs of 4 KiB..2 MiB, %s %ld, drop_caches %s, flink %s\n",
		 cfg.seed, cfg.threads, cfg.child ? " + 1 child" : "", NR_BOS,
		 cfg.seconds ? "seconds" : "operations",
		 cfg.seconds ?: cfg.ops, cfg.shrink ? "yes" : "no",
		 cfg.flink ? "yes" : "no");

	igt_gem_mmap_catch_sigbus(&old);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	if (cfg.child) {
		igt_fork(child, 1)
			child_main();
	}
	for (i = 0; i < cfg.threads; i++) {
		snprintf(ctxs[i].who, sizeof(ctxs[i].who), "thread %d", i);
		ctxs[i].op = "start";
		ctxs[i].rng = cfg.seed * 0x01000193u + i;
		igt_assert_eq(pthread_create(&threads[i], NULL, worker, &ctxs[i]), 0);
	}
	while (--i >= 0)
		pthread_join(threads[i], NULL);
	atomic_store(&sh->stop_child, 1);
	if (cfg.child)
		igt_waitchildren();
	igt_thread_assert_no_failures();

	/* Needed BOs must survive a shrinker run. */
	if (cfg.shrink)
		igt_gem_mmap_shrink_all();
	final_check(&mc);
	sigaction(SIGBUS, &old, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);

	for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
		len += snprintf(counts + len, sizeof(counts) - len, " %s %ld",
				ops[k].name, atomic_load(&op_count[k]));
	igt_info("operations:%s\n", counts);
	igt_info("%ld ops in %.1f s, child ops %ld (sigbus %ld), sigbus %ld, purged %ld (by the shrinker %ld), page-fault checks %ld, errors %ld, seed %u\n",
		 atomic_load(&sh->ops), igt_time_elapsed(&t_start, &now),
		 atomic_load(&sh->child_ops), atomic_load(&sh->child_sigbus),
		 atomic_load(&sh->sigbus), atomic_load(&sh->purged),
		 atomic_load(&sh->shrinker_purged),
		 atomic_load(&sh->fault_checks), atomic_load(&sh->errors),
		 cfg.seed);
	errors = atomic_load(&sh->errors);
	munmap(sh, sizeof(*sh));
	close(drm_fd2);
	igt_assert_f(!errors, "%ld results differed from the model (seed %u)\n",
		     errors, cfg.seed);
}

static void configure(int threads, bool child, bool shrink, long seconds)
{
	cfg.threads = threads;
	cfg.child = child;
	cfg.shrink = shrink;
	cfg.ops = cfg.long_run ? LONG_OPS : LONG_MAX;
	cfg.seconds = cfg.long_run ? 0 : seconds;
}

static int opt_handler(int opt, int opt_index, void *data)
{
	switch (opt) {
	case 'l':
		cfg.long_run = true;
		break;
	case 's':
		cfg.seed = strtoul(optarg, NULL, 0);
		cfg.seeded = true;
		break;
	default:
		return IGT_OPT_HANDLER_ERROR;
	}
	return IGT_OPT_HANDLER_SUCCESS;
}

static const struct option long_opts[] = {
	{ "long", no_argument, NULL, 'l' },
	{ "seed", required_argument, NULL, 's' },
	{}
};

static const char help_str[] =
	"  --long\t1e6 operations per subtest, no time limit\n"
	"  --seed N\tthe seed of the random operations (default: random)\n";

igt_main_args("", long_opts, help_str, opt_handler, NULL)
{
	igt_fixture {
		if (!cfg.seeded)
			cfg.seed = time(NULL) ^ getpid() << 16;
		igt_info("seed %u\n", cfg.seed);
	}

	igt_describe("Four threads and a child process run random operations on a pool of BOs, every result checked against the model; every shrinker runs now and then.");
	igt_subtest_with_dynamic("random-ops") {
		configure(4, true, true, 20);
		igt_gem_mmap_each_driver(DRM_GEM_MMAP_ADVICE_PURGEABLE, PAGE,
					 stress);
	}

	igt_describe("One thread runs random operations on a pool of BOs, every result checked against the model; the seed replays the sequence.");
	igt_subtest_with_dynamic("random-ops-single-thread") {
		configure(1, false, false, 10);
		igt_gem_mmap_each_driver(DRM_GEM_MMAP_ADVICE_PURGEABLE, PAGE,
					 stress);
	}
}
