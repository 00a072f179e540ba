// SPDX-License-Identifier: GPL-2.0
/*
 * gem_stress: randomized stress test of populate and purgeable advice on DRM
 * GEM mmaps.
 *
 * Worker threads pick a random buffer object (BO) of a pool and run one
 * random operation on it, holding that BO's mutex: create or destroy, mmap
 * (plain or MAP_POPULATE, read-write or read-only, through the creating DRM
 * fd or a second one), MADV_POPULATE_READ/WRITE, MADV_DONTNEED, MADV_FREE,
 * MADV_WILLNEED, MADV_REMOVE, posix_fadvise(), mprotect(), partial munmap(),
 * pattern writes and checked reads, dma-buf or flink sharing, dma-buf mmaps.
 *
 * The test keeps a model of every BO: needed, purgeable or purged; shared or
 * not; the content generation of each page; and, for each of its mappings,
 * which pages are mapped, with which protection, in which VMA (GEM mappings
 * are VM_PFNMAP, so VMAs split by mprotect() or munmap() never merge again).
 * Every result is checked against what the contract gives for the modelled
 * state: the errno, the data, and SIGBUS or not. Operations on one BO are
 * serialized by its mutex, so the expectations are exact, with one
 * exception: the kernel's shrinker may purge a purgeable BO at any moment
 * (the test also triggers it through /proc/sys/vm/drop_caches when it can).
 * For purgeable BOs both outcomes are accepted, and the first sign of a purge
 * moves the model to purged. A needed BO must never lose a byte nor raise
 * SIGBUS.
 *
 * A child process, forked at start, shares the model: the BO table lives in
 * MAP_SHARED anonymous memory and its mutexes are robust and
 * process-shared. It maps BOs read-only through the inherited DRM fd (the
 * same DRM file, so it may map every BO the parent has a handle for), keeps
 * those mappings across operations, and checks them under the BO's mutex:
 * needed BOs must hold their data, purged ones must raise SIGBUS in the
 * child as well, whose page-table entries the purge had to zap.
 *
 * Every access to a BO mapping runs with a per-thread sigsetjmp() point that
 * the SIGBUS handler (SA_SIGINFO) jumps back to; the faulting address must
 * lie in the pages being accessed.
 *
 * With no arguments the run is CI-sized and prints TAP (a 1..1 plan and one
 * result line, "# " diagnostics); --long is the 1e6-operation version.
 * The seed is always printed: --seed repeats each thread's sequence of
 * operations (their interleaving depends on scheduling).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drmtest.h"

#define NR_BOS		32		/* the pool */
#define MAX_BO_SIZE	(2 << 20)	/* BOs are 1 page .. 2 MiB */
#define MAX_BO_PAGES	(MAX_BO_SIZE / 4096)
#define MAX_MAPS	3		/* parent mappings per BO */
#define MAX_THREADS	64
#define MAX_REPORTS	40		/* error messages printed; all are counted */

#define DEFAULT_OPS	1000000		/* CI-sized: the time bound ends it */
#define DEFAULT_SECONDS	20
#define LONG_OPS	1000000

#define RW		(PROT_READ | PROT_WRITE)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum bo_state {
	BO_NEEDED,	/* contents must stay, no SIGBUS */
	BO_PURGEABLE,	/* the shrinker may purge it any time */
	BO_PURGED,	/* contents gone: every access raises SIGBUS */
};

static const char *const state_name[] = {
	[BO_NEEDED] = "needed",
	[BO_PURGEABLE] = "purgeable",
	[BO_PURGED] = "purged",
};

/* One mmap() of a whole BO by the parent, as the kernel has split it. */
struct bo_map {
	char *addr;			/* BO page 0; NULL: unused */
	int fd;				/* DRM fd it was mapped through */
	uint32_t vma[MAX_BO_PAGES];	/* per page: VMA id, 0 if unmapped */
	uint8_t prot[MAX_BO_PAGES];	/* per page: PROT_READ or RW */
};

struct bo {
	pthread_mutex_t lock;		/* robust, process-shared */
	/* All below is protected by lock. */
	int id;				/* index in the pool */
	bool exists;
	uint32_t serial;		/* unique per created BO */
	uint32_t handle;		/* on drm_fd */
	uint32_t handle2;		/* on drm_fd2 once shared, or 0 */
	uint64_t offset;		/* fake mmap offset, on both fds */
	uint32_t npages;
	enum bo_state state;
	bool shared;			/* exported as a dma-buf or flinked */
	int dmabuf;			/* the parent's dma-buf fd, or -1 */
	uint32_t gen;			/* last content generation written */
	uint32_t page_gen[MAX_BO_PAGES];/* per page; 0: never written (zero) */
	struct bo_map map[MAX_MAPS];
};

struct stats {
	atomic_long claimed;		/* operations started */
	atomic_long ops;		/* operations done by the parent */
	atomic_long child_ops;
	atomic_long errors;
	atomic_long sigbus;		/* SIGBUS caught */
	atomic_long sigbus_expected;	/* ... on purged or purgeable BOs */
	atomic_long child_sigbus;	/* ... of which in the child */
	atomic_long purged;		/* BOs seen going to purged */
	atomic_long shrinker_purged;	/* ... of which not by MADV_REMOVE */
	atomic_long fault_checks;	/* page-fault counts checked */
};

/* Everything the child shares with the parent. */
struct shared {
	struct bo bo[NR_BOS];
	struct stats st;
	atomic_long op_count[32];	/* per entry of ops[] */
	atomic_int stop_child;
	atomic_uint serial;
	atomic_uint vma_id;
};

/* A thread of the parent, or the child. */
struct ctx {
	char who[16];
	bool is_child;
	const char *op;			/* current operation, for reports */
	uint64_t rng;
	sigjmp_buf jmp;
	volatile sig_atomic_t armed;	/* a SIGBUS jumps back to jmp */
	void *volatile fault_addr;
};

static struct {
	uint64_t seed;
	long ops;
	long seconds;
	int threads;
	const char *driver;
	bool tap;
	bool verbose;
	bool purgeable;		/* DRM_GEM_MMAP_ADVICE_PURGEABLE */
	bool exact_faults;	/* one page per fault (shmem helpers) */
	bool flink;
} cfg = {
	.ops = DEFAULT_OPS,
	.seconds = DEFAULT_SECONDS,
	.threads = 4,
	.driver = "vgem",
};

static struct shared *sh;
static size_t ps;		/* page size */
static uint32_t max_pages;	/* pages of the largest BO */
static int drm_fd, drm_fd2;	/* the BOs' DRM file and a second one */
static int drop_caches_fd = -1;
static struct timespec t_start;
static __thread struct ctx *cur;

/* Random numbers: splitmix64, one state per thread. */
static uint64_t rnd64(struct ctx *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct ctx *c, uint32_t n)
{
	return n ? (uint32_t)(rnd64(c) % n) : 0;
}

static bool chance(struct ctx *c, uint32_t percent)
{
	return rnd(c, 100) < percent;
}

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t_start.tv_sec) +
	       (double)(now.tv_nsec - t_start.tv_nsec) / 1e9;
}

/* An error: counted always, printed up to MAX_REPORTS times. */
static void __attribute__((format(printf, 3, 4)))
report(struct ctx *c, const struct bo *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (atomic_fetch_add(&sh->st.errors, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b)
		printf("# ERROR %s, %s, bo %d (serial %u, %u pages, %s%s): %s\n",
		       c->who, c->op, b->id, b->serial, b->npages,
		       state_name[b->state], b->shared ? ", shared" : "", msg);
	else
		printf("# ERROR %s, %s: %s\n", c->who, c->op, msg);
}

static void __attribute__((format(printf, 3, 4)))
verbose(struct ctx *c, const struct bo *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!cfg.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s, %s, bo %d (serial %u): %s\n", c->who, c->op, b->id,
	       b->serial, msg);
}

static void bo_lock(struct ctx *c, struct bo *b)
{
	int ret = pthread_mutex_lock(&b->lock);

	if (ret == EOWNERDEAD) {
		report(c, NULL, "bo %d: the owner of its lock died", b->id);
		pthread_mutex_consistent(&b->lock);
	} else if (ret) {
		fprintf(stderr, "gem_stress: locking bo %d: %s\n", b->id,
			strerror(ret));
		abort();
	}
}

static void bo_unlock(struct bo *b)
{
	pthread_mutex_unlock(&b->lock);
}

/*
 * Content: page @page of generation @gen of the BO with serial @serial holds
 * drmtest_pattern(content_seed(serial, gen), page, dword); generation 0 is a
 * page never written, all zeros.
 */
static uint32_t content_seed(uint32_t serial, uint32_t gen)
{
	uint32_t x = serial * 0x9e3779b1u ^ gen * 0x85ebca77u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

/* --- Accesses to BO memory, with SIGBUS caught ------------------------- */

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	struct ctx *c = cur;

	(void)uctx;
	if (!c || !c->armed) {
		static const char msg[] =
			"gem_stress: SIGBUS outside of a checked access\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(3);
		signal(sig, SIG_DFL);	/* the access faults again, fatally */
		return;
	}
	c->armed = 0;
	c->fault_addr = si->si_addr;
	siglongjmp(c->jmp, 1);
}

enum access_mode {
	ACCESS_CHECK,	/* compare every dword with the model */
	ACCESS_FILL,	/* write generation gen */
	ACCESS_TOUCH,	/* read the first dword of each page */
	ACCESS_RMW,	/* read it and write it back */
};

struct access {
	enum access_mode mode;
	char *base;			/* BO page 0 in this mapping */
	uint32_t first, n;		/* BO pages accessed */
	const struct bo *bo;
	uint32_t gen;			/* ACCESS_FILL */
	volatile uint32_t done;		/* pages completed */
	/* ACCESS_CHECK: the first dword that does not match */
	bool bad;
	uint32_t bad_page, bad_dword, found, expected;
};

static void access_pages(struct access *a)
{
	const size_t dwords = ps / sizeof(uint32_t);
	uint32_t i;

	for (i = 0; i < a->n; i++) {
		uint32_t page = a->first + i;
		volatile uint32_t *p = (volatile uint32_t *)(a->base + page * ps);
		uint32_t gen, seed;
		size_t j;

		switch (a->mode) {
		case ACCESS_CHECK:
			gen = a->bo->page_gen[page];
			seed = content_seed(a->bo->serial, gen);
			for (j = 0; j < dwords; j++) {
				uint32_t want = gen ? drmtest_pattern(seed, page, j) : 0;
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
			drmtest_fill_pattern((void *)p, page, 1,
					     content_seed(a->bo->serial, a->gen));
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
static void (*volatile access_fn)(struct access *) = access_pages;

/*
 * Run the access; returns true if it raised SIGBUS, with the faulting
 * address in *addr.
 */
static bool guarded(struct ctx *c, struct access *a, void **addr)
{
	if (sigsetjmp(c->jmp, 1)) {
		*addr = c->fault_addr;
		return true;
	}
	c->armed = 1;
	access_fn(a);
	c->armed = 0;
	return false;
}

static long thread_minflt(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

static void mark_purged(struct ctx *c, struct bo *b, bool by_remove,
			const char *why)
{
	if (b->state == BO_PURGED)
		return;
	verbose(c, b, "%s -> purged (%s)", state_name[b->state], why);
	b->state = BO_PURGED;
	atomic_fetch_add(&sh->st.purged, 1);
	if (!by_remove)
		atomic_fetch_add(&sh->st.shrinker_purged, 1);
}

/*
 * The kernel told (advice result, populate, access) whether b's contents
 * are still there: check that against the model and learn from it.
 */
static void observed(struct ctx *c, struct bo *b, bool retained,
		     const char *what)
{
	switch (b->state) {
	case BO_NEEDED:
		if (!retained) {
			report(c, b, "%s: a needed BO was purged (now modelled purged)",
			       what);
			mark_purged(c, b, false, what);
		}
		break;
	case BO_PURGEABLE:
		if (!retained)
			mark_purged(c, b, false, what);
		break;
	case BO_PURGED:
		if (retained)
			report(c, b, "%s: a purged BO came back", what);
		break;
	}
}

/*
 * The outcome of an access to pages [first, first + n) of b through @base:
 * SIGBUS (at @addr) or not. Returns true if the access completed.
 */
static bool access_outcome(struct ctx *c, struct bo *b, const char *via,
			   bool faulted, void *addr, char *base,
			   uint32_t first, uint32_t n)
{
	char *lo = base + first * ps, *hi = lo + n * ps;
	char *fa = addr;

	if (!faulted) {
		if (b->state == BO_PURGED)
			report(c, b, "%s pages %u+%u of a purged BO: no SIGBUS",
			       via, first, n);
		return true;
	}
	atomic_fetch_add(&sh->st.sigbus, 1);
	if (c->is_child)
		atomic_fetch_add(&sh->st.child_sigbus, 1);
	if (fa < lo || fa >= hi) {
		report(c, b, "%s pages %u+%u: SIGBUS at %p, outside [%p, %p)",
		       via, first, n, addr, (void *)lo, (void *)hi);
		return false;
	}
	switch (b->state) {
	case BO_NEEDED:
		report(c, b, "%s pages %u+%u: SIGBUS on a needed BO at page %zu",
		       via, first, n, (size_t)(fa - base) / ps);
		mark_purged(c, b, false, "SIGBUS");
		break;
	case BO_PURGEABLE:
		atomic_fetch_add(&sh->st.sigbus_expected, 1);
		mark_purged(c, b, false, "SIGBUS");
		break;
	case BO_PURGED:
		atomic_fetch_add(&sh->st.sigbus_expected, 1);
		if (fa >= lo + ps)
			report(c, b, "%s pages %u+%u of a purged BO: first SIGBUS only at page %zu",
			       via, first, n, (size_t)(fa - base) / ps);
		break;
	}
	return false;
}

/* Read pages [first, first + n) of b through base, check them. */
static void check_pages(struct ctx *c, struct bo *b, char *base,
			uint32_t first, uint32_t n, const char *via)
{
	struct access a = {
		.mode = ACCESS_CHECK, .base = base, .first = first, .n = n,
		.bo = b,
	};
	bool faulted;
	void *addr = NULL;

	faulted = guarded(c, &a, &addr);
	if (a.bad) {
		uint32_t seed = content_seed(b->serial, b->page_gen[a.bad_page]);

		report(c, b, "%s pages %u+%u: page %u dword %u holds %#x, expected %#x (gen %u; the value decodes to page %u)",
		       via, first, n, a.bad_page, a.bad_dword, a.found,
		       a.expected, b->page_gen[a.bad_page],
		       (a.found ^ seed) >> 16);
		if (b->state == BO_PURGED)
			return;		/* reported: readable at all */
	}
	access_outcome(c, b, via, faulted, addr, base, first, n);
}

/* Write a new generation over pages [first, first + n) of b. */
static void fill_pages(struct ctx *c, struct bo *b, char *base,
		       uint32_t first, uint32_t n, const char *via)
{
	struct access a = {
		.mode = ACCESS_FILL, .base = base, .first = first, .n = n,
		.bo = b, .gen = b->gen + 1,
	};
	void *addr = NULL;
	bool faulted;
	uint32_t i;

	faulted = guarded(c, &a, &addr);
	b->gen++;
	for (i = 0; i < a.done; i++)
		b->page_gen[first + i] = b->gen;
	access_outcome(c, b, via, faulted, addr, base, first, n);
}

/*
 * Page faults the calling thread takes touching pages [first, first + n) of
 * a needed BO through base (ACCESS_TOUCH or ACCESS_RMW); -1 on SIGBUS.
 */
static long touch_faults(struct ctx *c, struct bo *b, char *base,
			 uint32_t first, uint32_t n, enum access_mode mode)
{
	static uint32_t warmup[2 * 4096] __attribute__((aligned(4096)));
	struct access w = {
		.mode = mode, .base = (char *)warmup, .first = 0, .n = 1,
	};
	struct access a = {
		.mode = mode, .base = base, .first = first, .n = n,
	};
	void *addr = NULL;
	long before, after;

	/* Fault in the code, the stack and getrusage() first. */
	guarded(c, &w, &addr);
	thread_minflt();

	before = thread_minflt();
	if (guarded(c, &a, &addr)) {
		access_outcome(c, b, "touching", true, addr, base, first, n);
		return -1;
	}
	after = thread_minflt();
	atomic_fetch_add(&sh->st.fault_checks, 1);
	return after - before;
}

/* --- The model of a BO's mappings --------------------------------------- */

static uint32_t new_vma_id(void)
{
	return atomic_fetch_add(&sh->vma_id, 1) + 1;
}

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

static bool map_fully_mapped(const struct bo *b, const struct bo_map *m)
{
	uint32_t p;

	for (p = 0; p < b->npages; p++)
		if (!m->vma[p])
			return false;
	return true;
}

static struct bo_map *pick_map(struct ctx *c, struct bo *b)
{
	uint32_t i, start = rnd(c, MAX_MAPS);

	for (i = 0; i < MAX_MAPS; i++) {
		struct bo_map *m = &b->map[(start + i) % MAX_MAPS];

		if (m->addr)
			return m;
	}
	return NULL;
}

static struct bo_map *free_map(struct bo *b)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!b->map[i].addr)
			return &b->map[i];
	return NULL;
}

/*
 * A maximal run of mapped pages of m around a random page (only writable
 * pages if @writable): [*first, *first + *n). Calls never cover holes: a
 * hole may have been mapped by another thread since.
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

static void model_mmap(struct bo *b, struct bo_map *m, char *addr, int fd,
		       int prot)
{
	uint32_t id = new_vma_id(), p;

	m->addr = addr;
	m->fd = fd;
	for (p = 0; p < b->npages; p++) {
		m->vma[p] = id;
		m->prot[p] = (uint8_t)prot;
	}
}

static void model_munmap(struct bo *b, struct bo_map *m, uint32_t first,
			 uint32_t n)
{
	uint32_t p;

	for (p = first; p < first + n; p++)
		m->vma[p] = 0;
	for (p = 0; p < b->npages; p++)
		if (m->vma[p])
			return;
	m->addr = NULL;
}

/*
 * mprotect() splits each VMA whose protection changes at the ends of the
 * range and gives the part inside it the new protection; VMAs that already
 * have it are left alone.
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
				m->prot[p] = (uint8_t)prot;
			}
		}
		p = q;
	}
}

/* Unmap every page of b's parent mappings that is still mapped. */
static void unmap_all(struct ctx *c, struct bo *b)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		struct bo_map *m = &b->map[i];
		uint32_t first, n;

		while (m->addr && pick_run(c, b, m, false, &first, &n)) {
			if (munmap(m->addr + first * ps, n * ps))
				report(c, b, "munmap of pages %u+%u: %s",
				       first, n, drmtest_errno_name(errno));
			model_munmap(b, m, first, n);
		}
	}
}

/* --- Expected results ---------------------------------------------------- */

/*
 * MADV_FREE and MADV_REMOVE: the first VMA of the range decides. It must be
 * shared and writable (EACCES), and it and the range must cover the whole
 * object (EINVAL); a shared object cannot be purged (EBUSY).
 */
static int expect_purge_advice(const struct bo *b, const struct bo_map *m,
			       uint32_t first, uint32_t n)
{
	uint32_t end = vma_end(b, m, first);

	if (end > first + n)
		end = first + n;
	if (m->prot[first] != RW)
		return EACCES;
	if (first != 0 || vma_first(m, first) != 0 || end != b->npages)
		return EINVAL;
	if (b->shared)
		return EBUSY;
	return 0;
}

/* MADV_WILLNEED and POSIX_FADV_WILLNEED: 0 if retained, EFAULT if purged. */
static void check_willneed(struct ctx *c, struct bo *b, int ret,
			   const char *what)
{
	if (ret == 0) {
		observed(c, b, true, what);
		if (b->state == BO_PURGEABLE) {
			verbose(c, b, "purgeable -> needed (%s)", what);
			b->state = BO_NEEDED;
		}
	} else if (ret == EFAULT) {
		observed(c, b, false, what);
	} else {
		report(c, b, "%s: %s, expected 0 or EFAULT", what, drmtest_errno_name(ret));
	}
}

/* MADV_FREE and POSIX_FADV_DONTNEED succeeded. */
static void became_purgeable(struct ctx *c, struct bo *b, const char *what)
{
	if (b->state == BO_NEEDED) {
		verbose(c, b, "needed -> purgeable (%s)", what);
		b->state = BO_PURGEABLE;
	}
}

/*
 * MADV_POPULATE_READ/WRITE over pages [first, first + n) of m: VMA by VMA,
 * EINVAL at the first VMA the access is not permitted in, EFAULT at the first
 * one if the object is purged.
 */
static void check_populate(struct ctx *c, struct bo *b, const struct bo_map *m,
			   uint32_t first, uint32_t n, bool write, int ret)
{
	bool first_ro = write && m->prot[first] != RW, any_ro = false;
	const char *what = write ? "MADV_POPULATE_WRITE" : "MADV_POPULATE_READ";
	uint32_t p;

	for (p = first; write && p < first + n; p++)
		if (m->prot[p] != RW)
			any_ro = true;

	switch (ret) {
	case 0:
		if (any_ro)
			report(c, b, "%s of pages %u+%u succeeded over a read-only VMA",
			       what, first, n);
		else
			observed(c, b, true, what);
		break;
	case EFAULT:
		if (first_ro)
			report(c, b, "%s of pages %u+%u: EFAULT, expected EINVAL (read-only)",
			       what, first, n);
		else
			observed(c, b, false, what);
		break;
	case EINVAL:
		if (!any_ro)
			report(c, b, "%s of pages %u+%u: unexpected EINVAL",
			       what, first, n);
		else if (!first_ro && b->state == BO_PURGED)
			report(c, b, "%s of pages %u+%u: EINVAL, expected EFAULT (purged)",
			       what, first, n);
		break;
	default:
		report(c, b, "%s of pages %u+%u: unexpected %s", what, first, n,
		       drmtest_errno_name(ret));
		break;
	}
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

/* --- Operations ---------------------------------------------------------- */

static uint32_t random_npages(struct ctx *c)
{
	uint32_t r = rnd(c, 10);

	if (r < 5)
		return 1 + rnd(c, 16);
	if (r < 8)
		return 17 + rnd(c, 112);
	return 129 + rnd(c, max_pages - 128);
}

static void bo_create(struct ctx *c, struct bo *b)
{
	uint32_t npages = random_npages(c);
	struct drmtest_bo d;
	int ret, i;

	c->op = "create";
	ret = drmtest_bo_create(drm_fd, (uint64_t)npages * ps, &d);
	if (ret) {
		report(c, NULL, "creating a %u page dumb buffer: %s", npages,
		       drmtest_errno_name(-ret));
		return;
	}
	if (d.size % ps || d.size / ps > max_pages) {
		report(c, NULL, "a %u page dumb buffer has %" PRIu64 " bytes",
		       npages, d.size);
		drmtest_bo_destroy(&d);
		return;
	}
	b->exists = true;
	b->serial = atomic_fetch_add(&sh->serial, 1) + 1;
	b->handle = d.handle;
	b->handle2 = 0;
	b->offset = d.offset;
	b->npages = (uint32_t)(d.size / ps);
	b->state = BO_NEEDED;
	b->shared = false;
	b->dmabuf = -1;
	b->gen = 0;
	memset(b->page_gen, 0, sizeof(b->page_gen));
	for (i = 0; i < MAX_MAPS; i++)
		b->map[i].addr = NULL;
}

static int op_destroy(struct ctx *c, struct bo *b)
{
	struct drmtest_bo d = { .fd = drm_fd, .handle = b->handle };
	int ret;

	unmap_all(c, b);
	if (b->dmabuf >= 0 && close(b->dmabuf))
		report(c, b, "closing the dma-buf: %s", drmtest_errno_name(errno));
	if (b->handle2) {
		struct drm_gem_close cl = { .handle = b->handle2 };

		if (drmIoctl(drm_fd2, DRM_IOCTL_GEM_CLOSE, &cl))
			report(c, b, "closing the second fd's handle: %s",
			       drmtest_errno_name(errno));
	}
	ret = drmtest_bo_destroy(&d);
	if (ret)
		report(c, b, "destroying the dumb buffer: %s", drmtest_errno_name(-ret));
	b->exists = false;
	return 0;
}

static int do_mmap(struct ctx *c, struct bo *b, bool populate)
{
	struct bo_map *m = free_map(b);
	int prot = chance(c, 75) ? RW : PROT_READ;
	int fd = b->handle2 && chance(c, 50) ? drm_fd2 : drm_fd;
	int flags = MAP_SHARED | (populate ? MAP_POPULATE : 0);
	char *p;

	if (!m)
		return -1;
	p = mmap(NULL, b->npages * ps, prot, flags, fd, (off_t)b->offset);
	if (p == MAP_FAILED) {
		report(c, b, "mmap(prot %#x, flags %#x, fd %s): %s", prot,
		       flags, fd == drm_fd ? "1" : "2", drmtest_errno_name(errno));
		return 0;
	}
	model_mmap(b, m, p, fd, prot);
	/* MAP_POPULATE populates for read, and ignores errors. */
	if (populate)
		check_no_faults(c, b, p, 0, b->npages, ACCESS_TOUCH,
				"MAP_POPULATE'd");
	return 0;
}

static int op_mmap(struct ctx *c, struct bo *b)
{
	return do_mmap(c, b, false);
}

static int op_mmap_populate(struct ctx *c, struct bo *b)
{
	return do_mmap(c, b, true);
}

/* Unmap the head, the tail or the middle of a run, or a whole run. */
static int op_munmap(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n, k;

	if (!m || !pick_run(c, b, m, false, &first, &n))
		return -1;
	switch (rnd(c, 4)) {
	case 0:			/* head */
		n = 1 + rnd(c, n);
		break;
	case 1:			/* tail */
		k = 1 + rnd(c, n);
		first += n - k;
		n = k;
		break;
	case 2:			/* middle */
		if (n >= 3) {
			k = 1 + rnd(c, n - 2);
			first += 1 + rnd(c, n - 1 - k);
			n = k;
		}
		break;
	default:		/* the whole run */
		break;
	}
	if (munmap(m->addr + first * ps, n * ps))
		report(c, b, "munmap of pages %u+%u: %s", first, n,
		       drmtest_errno_name(errno));
	model_munmap(b, m, first, n);
	return 0;
}

/* Make part of a mapping read-only, or writable again. */
static int op_mprotect(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;
	int prot;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	prot = m->prot[first] == RW ? PROT_READ : RW;
	if (mprotect(m->addr + first * ps, n * ps, prot))
		report(c, b, "mprotect(%#x) of pages %u+%u: %s", prot, first,
		       n, drmtest_errno_name(errno));
	model_mprotect(m, first, n, prot);
	return 0;
}

static int op_populate(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	bool write = chance(c, 50);
	uint32_t first, n;
	int ret;

	/* Mostly where the access is permitted; sometimes anywhere. */
	if (!m || !pick_range(c, b, m, write && chance(c, 80), &first, &n))
		return -1;
	ret = drmtest_madvise(m->addr + first * ps, n * ps,
		   write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	check_populate(c, b, m, first, n, write, ret);
	if (!ret)
		check_no_faults(c, b, m->addr, first, n,
				write ? ACCESS_RMW : ACCESS_TOUCH,
				write ? "MADV_POPULATE_WRITE'd" :
					"MADV_POPULATE_READ'd");
	return 0;
}

/* MADV_DONTNEED zaps the page-table entries only: each page faults again. */
static int op_dontneed(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;
	long faults;
	int ret;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	ret = drmtest_madvise(m->addr + first * ps, n * ps, MADV_DONTNEED);
	if (ret)
		report(c, b, "MADV_DONTNEED of pages %u+%u: %s", first, n,
		       drmtest_errno_name(ret));
	if (b->state != BO_NEEDED || !cfg.exact_faults || !chance(c, 50))
		return 0;
	faults = touch_faults(c, b, m->addr, first, n, ACCESS_TOUCH);
	if (faults >= 0 && faults != n)
		report(c, b, "reading pages %u+%u after MADV_DONTNEED cost %ld faults, expected %u",
		       first, n, faults, n);
	return 0;
}

static int op_write(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;

	if (!m || !pick_range(c, b, m, true, &first, &n))
		return -1;
	fill_pages(c, b, m->addr, first, n, "writing");
	return 0;
}

static int op_read(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	check_pages(c, b, m->addr, first, n, "reading");
	return 0;
}

/* MADV_FREE or MADV_REMOVE: mostly over a whole mapping, as they need. */
static int do_purge_advice(struct ctx *c, struct bo *b, int advice)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;
	int ret, want;

	if (!m)
		return -1;
	if (map_fully_mapped(b, m) && chance(c, 80)) {
		first = 0;
		n = b->npages;
	} else if (!pick_range(c, b, m, false, &first, &n)) {
		return -1;
	}
	want = expect_purge_advice(b, m, first, n);
	ret = drmtest_madvise(m->addr + first * ps, n * ps, advice);
	if (ret != want) {
		report(c, b, "%s of pages %u+%u (VMA %u..%u, prot %#x): %s, expected %s",
		       drmtest_madvise_name(advice), first, n, vma_first(m, first),
		       vma_end(b, m, first), m->prot[first], drmtest_errno_name(ret),
		       drmtest_errno_name(want));
		return 0;
	}
	if (ret)
		return 0;
	if (advice == MADV_FREE)
		became_purgeable(c, b, "MADV_FREE");
	else
		mark_purged(c, b, true, "MADV_REMOVE");
	return 0;
}

static int op_free(struct ctx *c, struct bo *b)
{
	return do_purge_advice(c, b, MADV_FREE);
}

static int op_remove(struct ctx *c, struct bo *b)
{
	return do_purge_advice(c, b, MADV_REMOVE);
}

static int op_willneed(struct ctx *c, struct bo *b)
{
	struct bo_map *m = pick_map(c, b);
	uint32_t first, n;

	if (!m || !pick_range(c, b, m, false, &first, &n))
		return -1;
	check_willneed(c, b, drmtest_madvise(m->addr + first * ps, n * ps, MADV_WILLNEED),
		       "MADV_WILLNEED");
	return 0;
}

/* posix_fadvise() on the DRM fd at the BO's fake offset, mapped or not. */
static int op_fadvise(struct ctx *c, struct bo *b)
{
	int fd = b->handle2 && chance(c, 50) ? drm_fd2 : drm_fd;
	bool dontneed = chance(c, 50);
	off_t offset = (off_t)b->offset;
	off_t len = chance(c, 50) ? 0 : (off_t)(b->npages * ps);
	const char *what = dontneed ? "POSIX_FADV_DONTNEED" : "POSIX_FADV_WILLNEED";
	bool bad = false;
	int ret, want;

	switch (rnd(c, 20)) {
	case 0:		/* not the object's size */
		len = (off_t)((b->npages > 1 ? b->npages - 1 : 2) * ps);
		bad = true;
		break;
	case 1:		/* unaligned offset */
		offset += 1;
		bad = true;
		break;
	case 2:		/* inside the object, not its start */
		if (b->npages > 1) {
			offset += (off_t)ps;
			bad = true;
		}
		break;
	}
	ret = posix_fadvise(fd, offset, len, dontneed ? POSIX_FADV_DONTNEED :
							POSIX_FADV_WILLNEED);
	if (bad) {
		if (ret != EINVAL)
			report(c, b, "%s(offset %+lld, len %lld): %s, expected EINVAL",
			       what, (long long)(offset - (off_t)b->offset),
			       (long long)len, drmtest_errno_name(ret));
		return 0;
	}
	if (!dontneed) {
		check_willneed(c, b, ret, what);
		return 0;
	}
	want = b->shared ? EBUSY : 0;
	if (ret != want)
		report(c, b, "%s(len %lld): %s, expected %s", what,
		       (long long)len, drmtest_errno_name(ret), drmtest_errno_name(want));
	else if (!ret)
		became_purgeable(c, b, what);
	return 0;
}

/*
 * Share the BO with the second DRM fd, through a dma-buf or a flink name;
 * or export a flinked BO as a dma-buf too. A shared BO cannot be purged.
 */
static int op_share(struct ctx *c, struct bo *b)
{
	struct drm_mode_map_dumb map = {};
	uint32_t handle2 = 0;
	int ret;

	if (b->dmabuf >= 0)
		return -1;
	if (!b->shared && cfg.flink && chance(c, 30)) {
		struct drm_gem_flink flink = { .handle = b->handle };
		struct drm_gem_open gopen = {};

		if (drmIoctl(drm_fd, DRM_IOCTL_GEM_FLINK, &flink)) {
			report(c, b, "DRM_IOCTL_GEM_FLINK: %s", drmtest_errno_name(errno));
			return 0;
		}
		b->shared = true;
		gopen.name = flink.name;
		if (drmIoctl(drm_fd2, DRM_IOCTL_GEM_OPEN, &gopen)) {
			report(c, b, "DRM_IOCTL_GEM_OPEN: %s", drmtest_errno_name(errno));
			return 0;
		}
		if (gopen.size != b->npages * ps)
			report(c, b, "DRM_IOCTL_GEM_OPEN: size %llu",
			       (unsigned long long)gopen.size);
		handle2 = gopen.handle;
	} else {
		ret = drmPrimeHandleToFD(drm_fd, b->handle,
					 DRM_CLOEXEC | DRM_RDWR, &b->dmabuf);
		if (ret) {
			report(c, b, "drmPrimeHandleToFD: %s", drmtest_errno_name(errno));
			b->dmabuf = -1;
			return 0;
		}
		b->shared = true;
		if (b->handle2)
			return 0;
		if (drmPrimeFDToHandle(drm_fd2, b->dmabuf, &handle2)) {
			report(c, b, "drmPrimeFDToHandle: %s", drmtest_errno_name(errno));
			return 0;
		}
	}
	b->handle2 = handle2;
	map.handle = handle2;
	if (drmIoctl(drm_fd2, DRM_IOCTL_MODE_MAP_DUMB, &map))
		report(c, b, "DRM_IOCTL_MODE_MAP_DUMB on the second fd: %s",
		       drmtest_errno_name(errno));
	else if (map.offset != b->offset)
		report(c, b, "the second fd maps it at %#llx, not %#llx",
		       (unsigned long long)map.offset,
		       (unsigned long long)b->offset);
	return 0;
}

/* Map the dma-buf, maybe populate it, read or write some of it, unmap. */
static int op_dmabuf_map(struct ctx *c, struct bo *b)
{
	bool populate = chance(c, 50);
	size_t size = b->npages * ps;
	uint32_t first, n;
	char *p;
	int ret;

	if (b->dmabuf < 0)
		return -1;
	p = mmap(NULL, size, RW, MAP_SHARED | (populate ? MAP_POPULATE : 0),
		 b->dmabuf, 0);
	if (p == MAP_FAILED) {
		report(c, b, "mmap of the dma-buf: %s", drmtest_errno_name(errno));
		return 0;
	}
	if (!populate && chance(c, 50)) {
		ret = drmtest_madvise(p, size, MADV_POPULATE_WRITE);
		if (ret == EFAULT)
			observed(c, b, false, "dma-buf MADV_POPULATE_WRITE");
		else if (ret)
			report(c, b, "dma-buf MADV_POPULATE_WRITE: %s",
			       drmtest_errno_name(ret));
		else
			observed(c, b, true, "dma-buf MADV_POPULATE_WRITE");
	}
	first = rnd(c, b->npages);
	n = 1 + rnd(c, b->npages - first);
	if (chance(c, 30))
		fill_pages(c, b, p, first, n, "writing the dma-buf mapping");
	else
		check_pages(c, b, p, first, n, "reading the dma-buf mapping");
	if (munmap(p, size))
		report(c, b, "munmap of the dma-buf mapping: %s", drmtest_errno_name(errno));
	return 0;
}

/* Calls that must fail the same way whatever the state of the BO. */
static int op_bad_args(struct ctx *c, struct bo *b)
{
	static const int advice[] = {
		MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED,
		MADV_FREE, MADV_WILLNEED, MADV_REMOVE,
	};
	struct bo_map *m = pick_map(c, b);
	int adv = advice[rnd(c, ARRAY_SIZE(advice))];
	size_t size = b->npages * ps;
	uint32_t first, n;
	int ret;
	char *p;

	switch (rnd(c, 4)) {
	case 0:		/* unaligned start */
		if (!m || !pick_range(c, b, m, false, &first, &n))
			return -1;
		ret = drmtest_madvise(m->addr + first * ps + 1 + rnd(c, ps - 1), ps, adv);
		if (ret != EINVAL)
			report(c, b, "%s at an unaligned address: %s, expected EINVAL",
			       drmtest_madvise_name(adv), drmtest_errno_name(ret));
		break;
	case 1:		/* no pages: nothing to do, whatever the advice */
		if (!m || !pick_range(c, b, m, false, &first, &n))
			return -1;
		ret = drmtest_madvise(m->addr + first * ps, 0, adv);
		if (ret)
			report(c, b, "%s of 0 bytes: %s, expected 0",
			       drmtest_madvise_name(adv), drmtest_errno_name(ret));
		break;
	case 2:		/* length that wraps around the address space */
		if (!m || !pick_range(c, b, m, false, &first, &n))
			return -1;
		ret = drmtest_madvise(m->addr + first * ps, (size_t)0 - ps, adv);
		if (ret != EINVAL)
			report(c, b, "%s of -4096 bytes: %s, expected EINVAL",
			       drmtest_madvise_name(adv), drmtest_errno_name(ret));
		break;
	default:	/* mmap: private, too long, not at the object's start */
		switch (rnd(c, 3)) {
		case 0:
			p = mmap(NULL, size, RW, MAP_PRIVATE, drm_fd,
				 (off_t)b->offset);
			break;
		case 1:
			p = mmap(NULL, size + ps, RW, MAP_SHARED, drm_fd,
				 (off_t)b->offset);
			break;
		default:
			if (b->npages < 2)
				return -1;
			p = mmap(NULL, ps, RW, MAP_SHARED, drm_fd,
				 (off_t)(b->offset + ps));
			break;
		}
		if (p != MAP_FAILED) {
			report(c, b, "a bad mmap() of the BO succeeded");
			munmap(p, size);
		} else if (errno != EINVAL) {
			report(c, b, "a bad mmap() of the BO: %s, expected EINVAL",
			       drmtest_errno_name(errno));
		}
		break;
	}
	return 0;
}

/* Operations on an existing BO, chosen by weight. */
#define NEED_ADVICE	1	/* purgeable advice, sharing */

static const struct op {
	const char *name;
	int (*fn)(struct ctx *c, struct bo *b);	/* -1: not applicable */
	unsigned int weight;
	unsigned int needs;
} ops[] = {
	{ "destroy",		op_destroy,		2, 0 },
	{ "mmap",		op_mmap,		4, 0 },
	{ "mmap_populate",	op_mmap_populate,	3, 0 },
	{ "munmap",		op_munmap,		4, 0 },
	{ "mprotect",		op_mprotect,		4, 0 },
	{ "madv_populate",	op_populate,		8, 0 },
	{ "madv_dontneed",	op_dontneed,		3, 0 },
	{ "write",		op_write,		10, 0 },
	{ "read",		op_read,		10, 0 },
	{ "bad_args",		op_bad_args,		1, 0 },
	{ "madv_free",		op_free,		5, NEED_ADVICE },
	{ "madv_willneed",	op_willneed,		5, NEED_ADVICE },
	{ "madv_remove",	op_remove,		2, NEED_ADVICE },
	{ "fadvise",		op_fadvise,		4, NEED_ADVICE },
	{ "share",		op_share,		1, NEED_ADVICE },
	{ "dmabuf_map",		op_dmabuf_map,		2, NEED_ADVICE },
};

static bool op_enabled(const struct op *op)
{
	return !(op->needs & NEED_ADVICE) || cfg.purgeable;
}

static const struct op *pick_op(struct ctx *c)
{
	unsigned int total = 0, r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (op_enabled(&ops[i]))
			total += ops[i].weight;
	r = rnd(c, total);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!op_enabled(&ops[i]))
			continue;
		if (r < ops[i].weight)
			break;
		r -= ops[i].weight;
	}
	return &ops[i];
}

static void run_op(struct ctx *c, struct bo *b)
{
	const struct op *op;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		op = pick_op(c);
		c->op = op->name;
		if (!op->fn(c, b)) {
			atomic_fetch_add(&sh->op_count[op - ops], 1);
			return;
		}
	}
	c->op = "mmap";
	if (op_mmap(c, b))
		op_destroy(c, b);	/* every mapping slot is taken */
}

/* Memory pressure: every shrinker, so also the GEM one, runs now. */
static void drop_caches(struct ctx *c)
{
	c->op = "drop_caches";
	if (pwrite(drop_caches_fd, "2\n", 2, 0) != 2) {
		printf("# drop_caches: %s; no shrinker runs forced\n",
		       strerror(errno));
		close(drop_caches_fd);
		drop_caches_fd = -1;
	}
}

static bool stop_now(void)
{
	if (atomic_fetch_add(&sh->st.claimed, 1) >= cfg.ops)
		return true;
	return cfg.seconds && elapsed() >= (double)cfg.seconds;
}

static void *worker(void *arg)
{
	struct ctx *c = arg;

	cur = c;
	while (!stop_now()) {
		struct bo *b;

		if (drop_caches_fd >= 0 && !rnd(c, 500)) {
			drop_caches(c);
			atomic_fetch_add(&sh->st.ops, 1);
			continue;
		}
		b = &sh->bo[rnd(c, NR_BOS)];
		bo_lock(c, b);
		if (b->exists)
			run_op(c, b);
		else
			bo_create(c, b);
		bo_unlock(b);
		atomic_fetch_add(&sh->st.ops, 1);
	}
	return NULL;
}

/* --- The child ----------------------------------------------------------- */

/* The child's own mapping of a BO, kept across operations. */
struct child_map {
	char *addr;
	uint32_t serial;	/* of the BO it maps */
	uint32_t npages;
};

static void child_op(struct ctx *c, struct bo *b, struct child_map *cm)
{
	uint32_t first, n;
	int ret;

	/* A mapping of a destroyed BO keeps it alive; drop it now. */
	if (cm->addr && (!b->exists || cm->serial != b->serial)) {
		c->op = "child munmap stale";
		if (munmap(cm->addr, cm->npages * ps))
			report(c, NULL, "munmap: %s", drmtest_errno_name(errno));
		cm->addr = NULL;
	}
	if (!b->exists)
		return;
	if (!cm->addr) {
		bool populate = chance(c, 50);
		char *p;

		c->op = "child mmap";
		p = mmap(NULL, b->npages * ps, PROT_READ,
			 MAP_SHARED | (populate ? MAP_POPULATE : 0), drm_fd,
			 (off_t)b->offset);
		if (p == MAP_FAILED) {
			report(c, b, "mmap through the inherited fd: %s",
			       drmtest_errno_name(errno));
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
		c->op = "child madv_dontneed";
		ret = drmtest_madvise(cm->addr, b->npages * ps, MADV_DONTNEED);
		if (ret)
			report(c, b, "MADV_DONTNEED: %s", drmtest_errno_name(ret));
		break;
	case 1:
		c->op = "child madv_populate";
		ret = drmtest_madvise(cm->addr, b->npages * ps, MADV_POPULATE_READ);
		if (ret == 0 || ret == EFAULT)
			observed(c, b, !ret, "MADV_POPULATE_READ");
		else
			report(c, b, "MADV_POPULATE_READ: %s", drmtest_errno_name(ret));
		break;
	}

	c->op = "child read";
	if (chance(c, 20)) {
		first = 0;
		n = b->npages;
	} else {
		first = rnd(c, b->npages);
		n = 1 + rnd(c, b->npages - first < 16 ? b->npages - first : 16);
	}
	check_pages(c, b, cm->addr, first, n, "reading");

	if (chance(c, 10)) {
		munmap(cm->addr, cm->npages * ps);
		cm->addr = NULL;
	}
}

static void __attribute__((noreturn)) child_main(void)
{
	static struct child_map cmap[NR_BOS];
	struct ctx c = { .who = "child", .is_child = true, .op = "start" };
	int i;

	c.rng = cfg.seed ^ 0xc1d0c1d0c1d0c1d0ull;
	cur = &c;
	while (!atomic_load(&sh->stop_child)) {
		i = (int)rnd(&c, NR_BOS);
		bo_lock(&c, &sh->bo[i]);
		child_op(&c, &sh->bo[i], &cmap[i]);
		bo_unlock(&sh->bo[i]);
		atomic_fetch_add(&sh->st.child_ops, 1);
	}
	for (i = 0; i < NR_BOS; i++)
		if (cmap[i].addr)
			munmap(cmap[i].addr, cmap[i].npages * ps);
	fflush(stdout);
	_exit(0);
}

/* --- Setup, final checks, main ------------------------------------------ */

/*
 * After the run: purgeable BOs are asked back, needed ones must hold all
 * their data through a fresh mapping, purged ones must stay purged; then
 * every BO is destroyed.
 */
static void final_check(struct ctx *c)
{
	int i, ret;

	for (i = 0; i < NR_BOS; i++) {
		struct bo *b = &sh->bo[i];
		char *p;

		bo_lock(c, b);
		if (!b->exists)
			goto next;
		c->op = "final check";
		if (cfg.purgeable) {
			ret = posix_fadvise(drm_fd, (off_t)b->offset, 0,
					    POSIX_FADV_WILLNEED);
			check_willneed(c, b, ret, "POSIX_FADV_WILLNEED");
		}
		p = mmap(NULL, b->npages * ps, PROT_READ, MAP_SHARED,
			 drm_fd, (off_t)b->offset);
		if (p == MAP_FAILED) {
			report(c, b, "mmap: %s", drmtest_errno_name(errno));
		} else {
			check_pages(c, b, p, 0,
				    b->state == BO_PURGED ? 1 : b->npages,
				    "reading");
			munmap(p, b->npages * ps);
		}
		op_destroy(c, b);
next:
		bo_unlock(b);
	}
}

static void usage(const char *argv0)
{
	printf("usage: %s [--seed N] [--ops N] [--seconds S] [--threads T]\n"
	       "       [--device DRIVER] [--long] [--tap] [--verbose]\n"
	       "  --ops N       stop after N operations (default %d)\n"
	       "  --seconds S   stop after S seconds, 0: no limit (default %d)\n"
	       "  --threads T   worker threads (default 4), plus a child process\n"
	       "  --device D    driver name: vgem (default; everything), or e.g.\n"
	       "                virtio_gpu (populate operations only)\n"
	       "  --long        %d operations, no time limit\n"
	       "  --tap         print TAP (the default without arguments)\n",
	       argv0, DEFAULT_OPS, DEFAULT_SECONDS, LONG_OPS);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "long", no_argument, NULL, 'l' },
		{ "tap", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool seeded = false, seconds_set = false, ops_set = false;
	bool long_run = false;
	struct timespec now;
	int opt;

	cfg.tap = argc == 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'o':
			cfg.ops = strtol(optarg, NULL, 0);
			ops_set = true;
			break;
		case 't':
			cfg.seconds = strtol(optarg, NULL, 0);
			seconds_set = true;
			break;
		case 'j':
			cfg.threads = atoi(optarg);
			break;
		case 'd':
			cfg.driver = optarg;
			break;
		case 'l':
			long_run = true;
			break;
		case 'T':
			cfg.tap = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			exit(2);
		}
	}
	/* One bound given alone is the only one. */
	if (long_run && !ops_set)
		cfg.ops = LONG_OPS;
	else if (seconds_set && !ops_set)
		cfg.ops = LONG_MAX;
	if ((long_run || ops_set) && !seconds_set)
		cfg.seconds = 0;
	if (optind < argc || cfg.threads < 1 || cfg.threads > MAX_THREADS ||
	    cfg.ops < 1 || cfg.seconds < 0) {
		usage(argv[0]);
		exit(2);
	}
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &now);
		cfg.seed = ((uint64_t)now.tv_sec * 1000000007ull) ^
			   (uint64_t)now.tv_nsec ^ ((uint64_t)getpid() << 32);
		cfg.seed &= 0xffffffffffffull;
	}
}

/* The test's result line, and the exit status. */
static int finish(bool ok, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cfg.tap)
		printf("%s 1 stress %s\n", ok ? "ok" : "not ok", msg);
	else
		printf("%s: %s\n", ok ? "PASS" : "FAIL", msg);
	fflush(stdout);
	return ok ? 0 : 1;
}

static int setup_shared(void)
{
	pthread_mutexattr_t attr;
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	for (i = 0; i < NR_BOS; i++) {
		pthread_mutex_init(&sh->bo[i].lock, &attr);
		sh->bo[i].id = i;
		sh->bo[i].dmabuf = -1;
	}
	pthread_mutexattr_destroy(&attr);
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctx ctxs[MAX_THREADS];
	struct ctx mc = { .who = "main", .op = "setup" };
	pthread_t threads[MAX_THREADS];
	struct sigaction sa = {};
	uint64_t cap = 0;
	char bounds[64];
	long nops, errors;
	int i, status, ret;
	double secs;
	size_t k;
	pid_t pid;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cfg.tap)
		printf("TAP version 13\n1..1\n");
	printf("# gem_stress: seed %" PRIu64 "\n", cfg.seed);

	ps = drmtest_page_size();
	max_pages = (uint32_t)(MAX_BO_SIZE / ps);
	if (ps != 4096)
		return finish(true, "# SKIP page size %zu, not 4096", ps);

	drm_fd = drmtest_open_driver(cfg.driver);
	if (drm_fd < 0)
		return finish(true, "# SKIP no %s device", cfg.driver);
	drm_fd2 = drmtest_open_driver(cfg.driver);
	if (drm_fd2 < 0)
		return finish(false, "opening %s twice: %s", cfg.driver,
			      strerror(errno));
	if (drmGetCap(drm_fd, DRM_CAP_GEM_MMAP_ADVICE, &cap))
		cap = 0;
	if (!(cap & DRM_GEM_MMAP_ADVICE_POPULATE))
		return finish(true, "# SKIP %s: no DRM_CAP_GEM_MMAP_ADVICE populate bit (cap %#llx)",
			      cfg.driver, (unsigned long long)cap);
	cfg.purgeable = cap & DRM_GEM_MMAP_ADVICE_PURGEABLE;
	cfg.exact_faults = strcmp(cfg.driver, "bochs-drm") != 0;
	cfg.flink = geteuid() == 0;
	if (cfg.purgeable)
		drop_caches_fd = open("/proc/sys/vm/drop_caches",
				      O_WRONLY | O_CLOEXEC);

	ret = setup_shared();
	if (ret)
		return finish(false, "shared memory: %s", strerror(-ret));

	if (cfg.ops == LONG_MAX)
		snprintf(bounds, sizeof(bounds), "%ld s", cfg.seconds);
	else if (!cfg.seconds)
		snprintf(bounds, sizeof(bounds), "%ld ops", cfg.ops);
	else
		snprintf(bounds, sizeof(bounds), "%ld ops or %ld s", cfg.ops,
			 cfg.seconds);
	printf("# device %s, cap %#llx (%s), %d threads + 1 child, %d BOs of 4 KiB..2 MiB, %s, drop_caches %s, flink %s\n",
	       cfg.driver, (unsigned long long)cap,
	       cfg.purgeable ? "populate + purgeable" : "populate only",
	       cfg.threads, NR_BOS, bounds,
	       drop_caches_fd >= 0 ? "yes" : "no", cfg.flink ? "yes" : "no");

	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return finish(false, "fork: %s", strerror(errno));
	if (pid == 0)
		child_main();

	for (i = 0; i < cfg.threads; i++) {
		snprintf(ctxs[i].who, sizeof(ctxs[i].who), "thread %d", i);
		ctxs[i].op = "start";
		ctxs[i].rng = cfg.seed * 0x100000001b3ull + (uint64_t)i;
		ret = pthread_create(&threads[i], NULL, worker, &ctxs[i]);
		if (ret) {
			report(&mc, NULL, "pthread_create: %s", strerror(ret));
			break;
		}
	}
	while (--i >= 0)
		pthread_join(threads[i], NULL);

	atomic_store(&sh->stop_child, 1);
	if (waitpid(pid, &status, 0) != pid)
		report(&mc, NULL, "waitpid: %s", strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		report(&mc, NULL, "the child %s %d",
		       WIFEXITED(status) ? "exited with" : "died of signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
					   WTERMSIG(status));

	/* Needed BOs must survive a shrinker run. */
	cur = &mc;
	if (drop_caches_fd >= 0)
		drop_caches(&mc);
	final_check(&mc);
	secs = elapsed();

	printf("# operations:");
	for (k = 0; k < ARRAY_SIZE(ops); k++)
		if (op_enabled(&ops[k]))
			printf(" %s %ld", ops[k].name,
			       atomic_load(&sh->op_count[k]));
	printf("\n# child operations %ld (sigbus %ld), page-fault checks %ld, purged by the shrinker %ld\n",
	       atomic_load(&sh->st.child_ops),
	       atomic_load(&sh->st.child_sigbus),
	       atomic_load(&sh->st.fault_checks),
	       atomic_load(&sh->st.shrinker_purged));

	nops = atomic_load(&sh->st.ops);
	errors = atomic_load(&sh->st.errors);
	printf("%sops %ld, errors %ld, sigbus %ld (expected %ld), purged %ld, seed %" PRIu64 "\n",
	       cfg.tap ? "# " : "", nops, errors,
	       atomic_load(&sh->st.sigbus),
	       atomic_load(&sh->st.sigbus_expected),
	       atomic_load(&sh->st.purged), cfg.seed);
	close(drm_fd2);
	close(drm_fd);
	return finish(!errors, "%ld ops in %.1f s, %ld errors, seed %" PRIu64,
		      nops, secs, errors, cfg.seed);
}
