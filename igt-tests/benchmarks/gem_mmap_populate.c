// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 drm-gem-populate developers
 *
 * gem_mmap_populate: what prefaulting a GEM mmap costs and saves, against the
 * stock fault-per-page behaviour and against ordinary memory.
 *
 * For every buffer size and every (device, method) pair, a fresh buffer is
 * created (not timed), then the timed section maps it, populates it as the
 * method says and writes one dword per page:
 *
 *   fault                mmap(), write every page (stock behaviour)
 *   map_populate         mmap(MAP_POPULATE), write every page
 *   madv_populate_write  mmap(), madvise(MADV_POPULATE_WRITE), write every page
 *
 * on the GEM devices vgem, virtio_gpu, bochs-drm and qxl (dumb buffers),
 * on vgem with huge pages ("vgem-huge": the kernel's shmem mount switched to
 * huge=within_size through transparent_hugepage/shmem_enabled around its
 * buffers' allocation, and transparent huge pages allowed for the process,
 * so that its buffers of 2 MiB and more are PMD-mapped) and,
 * as a reference, on anonymous memory ("anon", MAP_PRIVATE) and on a memfd
 * ("memfd", shmem, MAP_SHARED). Wall time (CLOCK_MONOTONIC) and ru_minflt
 * are taken around the whole section and around the writes alone. Methods
 * and sizes are interleaved within each repetition (round robin, with a
 * rotating start) so that a noisy neighbour hits every method alike.
 *
 * --prefilled maps and writes each buffer once before the timed section
 * (not timed), so that its pages exist already: what is left is the cost
 * of the mapping alone (not for "anon", whose pages go with the mapping).
 *
 * --smoke runs a few small sizes and prints TAP: MAP_POPULATE and
 * MADV_POPULATE_WRITE must leave no fault for the writes to take, while
 * plain mmap() must cost at least one fault per 16 pages (TTM prefaults 16).
 *
 * Devices are found through lib/igt_gem_mmap (one of each driver); buffers
 * are dumb buffers, created with plain ioctls so that a size the device
 * cannot allocate (bochs: VRAM) is recorded, not fatal.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_gem_mmap.h"

#define KiB		((uint64_t)1 << 10)
#define MiB		((uint64_t)1 << 20)
#define MAX_SIZES	32
#define BIG_SIZE	(64 * MiB)	/* from here on, big_reps repetitions */

enum backing {
	BACKING_GEM,
	BACKING_ANON,
	BACKING_MEMFD,
};

struct target {
	const char *name;
	const char *driver;		/* BACKING_GEM: if not @name */
	bool huge;			/* shmem huge pages for its buffers */
	enum backing backing;
	bool selected;
	bool present;
	int fd;				/* DRM fd (BACKING_GEM) */
	uint64_t cap;			/* DRM_CAP_GEM_MMAP_ADVICE */
	int size_err[MAX_SIZES];	/* -errno if a buffer of that size fails */
};

static struct target targets[] = {
	{ .name = "vgem", .backing = BACKING_GEM },
	{ .name = "vgem-huge", .driver = "vgem", .huge = true, .backing = BACKING_GEM },
	{ .name = "virtio_gpu", .backing = BACKING_GEM },
	{ .name = "bochs-drm", .backing = BACKING_GEM },
	{ .name = "qxl", .backing = BACKING_GEM },
	{ .name = "anon", .backing = BACKING_ANON },
	{ .name = "memfd", .backing = BACKING_MEMFD },
};

#define NR_TARGETS	ARRAY_SIZE(targets)

enum method {
	METHOD_FAULT,
	METHOD_MAP_POPULATE,
	METHOD_MADV_POPULATE_WRITE,
	NR_METHODS,
};

static const char *const method_names[NR_METHODS] = {
	[METHOD_FAULT] = "fault",
	[METHOD_MAP_POPULATE] = "map_populate",
	[METHOD_MADV_POPULATE_WRITE] = "madv_populate_write",
};

struct sample {
	unsigned int target, method, size_idx, rep;
	int64_t ns;			/* the whole timed section */
	int64_t map_ns;			/* mmap() (with MAP_POPULATE: populate) */
	int64_t populate_ns;		/* madvise(MADV_POPULATE_WRITE) */
	int64_t touch_ns;		/* the writes */
	long minflt_touch;		/* during the writes alone */
	long minflt_total;		/* mmap + populate + writes */
	int err;			/* 0, or -errno of the failed step */
	const char *step;		/* the call that failed */
};

struct stats {
	unsigned int n;
	double median, min, max, p25, p75;
	double map, populate, touch;		/* medians of the parts */
	double minflt_touch, minflt_total;	/* medians */
	long minflt_touch_max;
};

static struct {
	uint64_t sizes[MAX_SIZES];
	unsigned int nr_sizes;
	unsigned int reps;
	unsigned int big_reps;
	bool smoke;
	bool prefilled;
	const char *csv;
	const char *json;
	int pinned_cpu;
	bool thp_disabled;
} opt = {
	.reps = 11,
	.big_reps = 7,
	.pinned_cpu = -1,
};

static struct sample *samples;
static unsigned int nr_samples;

static const uint64_t default_sizes[] = {
	4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 2 * MiB, 4 * MiB,
	16 * MiB, 64 * MiB, 256 * MiB,
};

static const uint64_t smoke_sizes[] = {
	4 * KiB, 64 * KiB, 1 * MiB, 4 * MiB,
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static const char *size_str(uint64_t size, char *buf, size_t len)
{
	if (size >= MiB && !(size % MiB))
		snprintf(buf, len, "%" PRIu64 "M", size / MiB);
	else if (size >= KiB && !(size % KiB))
		snprintf(buf, len, "%" PRIu64 "K", size / KiB);
	else
		snprintf(buf, len, "%" PRIu64, size);
	return buf;
}

static int parse_size(const char *s, uint64_t *size)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end || !v)
		return -1;
	*size = v;
	return 0;
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Write one dword per page; through a pointer the compiler cannot see. */
static void touch_pages(void *ptr, size_t len)
{
	const size_t page = page_size();

	for (size_t off = 0; off < len; off += page)
		*(volatile uint32_t *)((char *)ptr + off) = (uint32_t)(off / page);
}

static void (*volatile touch)(void *, size_t) = touch_pages;

/* A buffer of one target, created outside the timed section. */
struct buf {
	struct igt_gem_mmap_bo bo;
	int memfd;
};

/* A dumb buffer of @size bytes (4 KiB rows); 0 or -errno. */
static int dumb_create(int fd, uint64_t size, struct igt_gem_mmap_bo *bo)
{
	struct drm_mode_create_dumb create = {
		.width = 1024, .height = (size + 4095) / 4096, .bpp = 32,
	};
	struct drm_mode_map_dumb map = {};

	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	bo->fd = fd;
	bo->handle = create.handle;
	bo->size = create.size;
	map.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		int err = -errno;

		gem_close(fd, bo->handle);
		return err;
	}
	bo->offset = map.offset;
	return 0;
}

static char shmem_enabled_saved[32];	/* the mode to restore at exit */
static int huge_state = -1;		/* what set_huge() set last */

/*
 * Huge pages for the buffers made and mapped next, or not: the kernel's
 * shmem mount (GEM objects and memfds) at huge=within_size or never, and
 * transparent huge pages allowed for the process or not (4 KiB pages for
 * the references, as GEM mmaps have without huge pages).
 */
static int set_huge(bool huge)
{
	int err;

	if (huge_state == huge)
		return 0;
	err = igt_gem_mmap_set_shmem_enabled(huge ? "within_size" : "never");
	if (err && huge)
		return err;
	opt.thp_disabled = !prctl(PR_SET_THP_DISABLE, !huge, 0, 0, 0) && !huge;
	huge_state = huge;
	return 0;
}

static void restore_shmem_enabled(void)
{
	if (shmem_enabled_saved[0] && huge_state >= 0)
		igt_gem_mmap_set_shmem_enabled(shmem_enabled_saved);
}

static int buf_create(const struct target *t, uint64_t size, struct buf *b)
{
	memset(b, 0, sizeof(*b));
	b->memfd = -1;
	switch (t->backing) {
	case BACKING_GEM:
		return dumb_create(t->fd, size, &b->bo);
	case BACKING_MEMFD:
		b->memfd = memfd_create("gem_mmap_populate", MFD_CLOEXEC);
		if (b->memfd < 0)
			return -errno;
		if (ftruncate(b->memfd, (off_t)size)) {
			int err = -errno;

			close(b->memfd);
			b->memfd = -1;
			return err;
		}
		return 0;
	case BACKING_ANON:
		return 0;
	}
	return -EINVAL;
}

static void buf_destroy(const struct target *t, struct buf *b)
{
	if (t->backing == BACKING_GEM)
		gem_close(b->bo.fd, b->bo.handle);
	else if (b->memfd >= 0)
		close(b->memfd);
}

static void *buf_mmap(const struct target *t, const struct buf *b,
		      uint64_t size, int flags)
{
	const int prot = PROT_READ | PROT_WRITE;

	switch (t->backing) {
	case BACKING_GEM:
		return mmap(NULL, size, prot, MAP_SHARED | flags, b->bo.fd,
			    b->bo.offset);
	case BACKING_MEMFD:
		return mmap(NULL, size, prot, MAP_SHARED | flags, b->memfd, 0);
	case BACKING_ANON:
		return mmap(NULL, size, prot,
			    MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	}
	errno = EINVAL;
	return MAP_FAILED;
}

/*
 * One measurement: fresh buffer, timed map + populate + write of one dword
 * per page, untimed unmap and destroy.
 */
static void measure(unsigned int ti, unsigned int method, unsigned int si,
		    struct sample *s)
{
	const struct target *t = &targets[ti];
	const uint64_t size = opt.sizes[si];
	int64_t t0, t1, t2, t3;
	long f0, f1, f2;
	struct buf b;
	void *ptr;
	int err;

	memset(s, 0, sizeof(*s));
	s->target = ti;
	s->method = method;
	s->size_idx = si;

	err = set_huge(t->huge);
	if (err) {
		s->err = err;
		s->step = "shmem_enabled";
		return;
	}
	err = buf_create(t, size, &b);
	if (err) {
		s->err = err;
		s->step = "create";
		return;
	}
	if (opt.prefilled) {
		ptr = buf_mmap(t, &b, size, 0);
		if (ptr == MAP_FAILED) {
			s->err = -errno;
			s->step = "prefill mmap";
			goto out;
		}
		touch(ptr, size);
		munmap(ptr, size);
	}

	f0 = minflt();
	t0 = now_ns();
	ptr = buf_mmap(t, &b, size,
		       method == METHOD_MAP_POPULATE ? MAP_POPULATE : 0);
	if (ptr == MAP_FAILED) {
		s->err = -errno;
		s->step = "mmap";
		goto out;
	}
	t1 = now_ns();
	if (method == METHOD_MADV_POPULATE_WRITE &&
	    madvise(ptr, size, MADV_POPULATE_WRITE)) {
		s->err = -errno;
		s->step = "madvise";
		munmap(ptr, size);
		goto out;
	}
	t2 = now_ns();
	f1 = minflt();
	touch(ptr, size);
	f2 = minflt();
	t3 = now_ns();

	s->ns = t3 - t0;
	s->map_ns = t1 - t0;
	s->populate_ns = t2 - t1;
	s->touch_ns = t3 - t2;
	s->minflt_touch = f2 - f1;
	s->minflt_total = f2 - f0;
	munmap(ptr, size);
out:
	buf_destroy(t, &b);
}

static unsigned int reps_for(uint64_t size)
{
	if (size >= BIG_SIZE && opt.big_reps < opt.reps)
		return opt.big_reps;
	return opt.reps;
}

/* A device of @driver, or -1. */
static int open_driver(const char *driver)
{
	unsigned int idx;
	char name[32];
	int fd;

	for_each_gem_mmap_device(idx, fd, name) {
		if (!strcmp(name, driver))
			return fd;
		close(fd);
	}
	return -1;
}

static void open_targets(void)
{
	unsigned int i, si;

	for (i = 0; i < NR_TARGETS; i++) {
		struct target *t = &targets[i];

		t->fd = -1;
		if (!t->selected)
			continue;
		if (t->backing != BACKING_GEM) {
			t->present = true;
		} else {
			t->fd = open_driver(t->driver ?: t->name);
			t->present = t->fd >= 0;
			if (t->present)
				drmGetCap(t->fd, DRM_CAP_GEM_MMAP_ADVICE,
					  &t->cap);
		}
		if (!t->present)
			continue;

		/* Which sizes can be allocated at all (bochs: VRAM). */
		for (si = 0; si < opt.nr_sizes; si++) {
			struct buf b;

			t->size_err[si] = buf_create(t, opt.sizes[si], &b);
			if (!t->size_err[si])
				buf_destroy(t, &b);
		}
	}
}

/* Fault in the code and data the timed section uses; not recorded. */
static void warm_up(void)
{
	uint64_t saved = opt.sizes[0];
	unsigned int ti, m;
	struct sample s;

	touch(&s, sizeof(s));
	opt.sizes[0] = 64 * KiB;
	for (ti = 0; ti < NR_TARGETS; ti++) {
		if (!targets[ti].present)
			continue;
		for (m = 0; m < NR_METHODS; m++)
			measure(ti, m, 0, &s);
	}
	opt.sizes[0] = saved;
}

static void run(void)
{
	unsigned int pairs[NR_TARGETS * NR_METHODS][2];
	unsigned int nr_pairs = 0, max_reps = 0;
	unsigned int ti, m, rep, si, k;
	int64_t start = now_ns();
	size_t cap;

	for (ti = 0; ti < NR_TARGETS; ti++) {
		if (!targets[ti].present)
			continue;
		for (m = 0; m < NR_METHODS; m++) {
			pairs[nr_pairs][0] = ti;
			pairs[nr_pairs][1] = m;
			nr_pairs++;
		}
	}
	for (si = 0; si < opt.nr_sizes; si++)
		if (reps_for(opt.sizes[si]) > max_reps)
			max_reps = reps_for(opt.sizes[si]);

	cap = (size_t)nr_pairs * opt.nr_sizes * max_reps + 1;
	samples = calloc(cap, sizeof(*samples));
	if (!samples) {
		perror("calloc");
		exit(2);
	}

	warm_up();

	/*
	 * Repetition outermost, so that every size and method sees the same
	 * stretch of host noise; the order within one repetition rotates.
	 */
	for (rep = 0; rep < max_reps; rep++) {
		for (si = 0; si < opt.nr_sizes; si++) {
			if (rep >= reps_for(opt.sizes[si]))
				continue;
			for (k = 0; k < nr_pairs; k++) {
				unsigned int p = (k + rep + si) % nr_pairs;
				struct sample *s;

				ti = pairs[p][0];
				if (targets[ti].size_err[si])
					continue;
				s = &samples[nr_samples++];
				measure(ti, pairs[p][1], si, s);
				s->rep = rep;
			}
		}
		fprintf(stderr, "# repetition %u/%u done, %.1f s\n", rep + 1,
			max_reps, (double)(now_ns() - start) / 1e9);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int lo = (unsigned int)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (pos - lo) * (v[lo + 1] - v[lo]);
}

static bool get_stats(unsigned int ti, unsigned int m, unsigned int si,
		      struct stats *st)
{
	double ns[64], ft[64], fa[64], mp[64], po[64], to[64];
	unsigned int i, n = 0;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < nr_samples && n < 64; i++) {
		const struct sample *s = &samples[i];

		if (s->target != ti || s->method != m || s->size_idx != si ||
		    s->err)
			continue;
		ns[n] = (double)s->ns;
		ft[n] = (double)s->minflt_touch;
		fa[n] = (double)s->minflt_total;
		mp[n] = (double)s->map_ns;
		po[n] = (double)s->populate_ns;
		to[n] = (double)s->touch_ns;
		if (s->minflt_touch > st->minflt_touch_max)
			st->minflt_touch_max = s->minflt_touch;
		n++;
	}
	if (!n)
		return false;
	qsort(ns, n, sizeof(ns[0]), cmp_double);
	qsort(ft, n, sizeof(ft[0]), cmp_double);
	qsort(fa, n, sizeof(fa[0]), cmp_double);
	qsort(mp, n, sizeof(mp[0]), cmp_double);
	qsort(po, n, sizeof(po[0]), cmp_double);
	qsort(to, n, sizeof(to[0]), cmp_double);
	st->n = n;
	st->min = ns[0];
	st->max = ns[n - 1];
	st->median = quantile(ns, n, 0.5);
	st->p25 = quantile(ns, n, 0.25);
	st->p75 = quantile(ns, n, 0.75);
	st->minflt_touch = quantile(ft, n, 0.5);
	st->minflt_total = quantile(fa, n, 0.5);
	st->map = quantile(mp, n, 0.5);
	st->populate = quantile(po, n, 0.5);
	st->touch = quantile(to, n, 0.5);
	return true;
}

static const char *thp_mode(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	snprintf(buf, len, "unknown");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return buf;
}

static int write_csv(const char *path)
{
	unsigned int i;
	FILE *f;

	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "device,method,size_bytes,rep,ns,minflt_touch,minflt_total,map_ns,populate_ns,touch_ns\n");
	for (i = 0; i < nr_samples; i++) {
		const struct sample *s = &samples[i];

		if (s->err)
			continue;
		fprintf(f, "%s,%s,%" PRIu64 ",%u,%" PRId64 ",%ld,%ld,",
			targets[s->target].name, method_names[s->method],
			opt.sizes[s->size_idx], s->rep, s->ns,
			s->minflt_touch, s->minflt_total);
		fprintf(f, "%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
			s->map_ns, s->populate_ns, s->touch_ns);
	}
	return fclose(f);
}

static int write_json(const char *path)
{
	const char *sep = "";
	struct utsname u;
	unsigned int ti, m, si, i;
	char thp[128];
	FILE *f;

	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	uname(&u);
	fprintf(f, "{\n  \"meta\": {\n");
	fprintf(f, "    \"tool\": \"gem_mmap_populate\",\n");
	fprintf(f, "    \"kernel\": \"%s %s\",\n", u.release, u.machine);
	fprintf(f, "    \"page_size\": %zu,\n", page_size());
	fprintf(f, "    \"cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "    \"pinned_cpu\": %d,\n", opt.pinned_cpu);
	fprintf(f, "    \"thp_enabled\": \"%s\",\n", thp_mode(thp, sizeof(thp)));
	fprintf(f, "    \"thp_disabled_for_process\": %s,\n",
		opt.thp_disabled ? "true" : "false");
	fprintf(f, "    \"reps\": %u,\n    \"big_reps\": %u,\n", opt.reps,
		opt.big_reps);
	fprintf(f, "    \"big_size_bytes\": %" PRIu64 ",\n", BIG_SIZE);
	fprintf(f, "    \"touch\": \"write one dword per page\",\n");
	fprintf(f, "    \"prefilled\": %s,\n", opt.prefilled ? "true" : "false");
	fprintf(f, "    \"timed\": \"mmap + populate (if any) + touch; buffer creation, munmap and destroy are not timed\",\n");
	fprintf(f, "    \"parts\": \"map_ns: mmap() (includes MAP_POPULATE), populate_ns: madvise(MADV_POPULATE_WRITE), touch_ns: the writes\",\n");
	fprintf(f, "    \"sizes\": [");
	for (si = 0; si < opt.nr_sizes; si++)
		fprintf(f, "%s%" PRIu64, si ? ", " : "", opt.sizes[si]);
	fprintf(f, "],\n    \"devices\": {");
	for (ti = 0; ti < NR_TARGETS; ti++) {
		const struct target *t = &targets[ti];

		if (!t->selected)
			continue;
		fprintf(f, "%s\n      \"%s\": { \"present\": %s", sep, t->name,
			t->present ? "true" : "false");
		if (t->backing == BACKING_GEM && t->present)
			fprintf(f, ", \"cap_gem_mmap_advice\": %" PRIu64,
				t->cap);
		fprintf(f, " }");
		sep = ",";
	}
	fprintf(f, "\n    }\n  },\n  \"skipped\": [");
	sep = "";
	for (ti = 0; ti < NR_TARGETS; ti++) {
		const struct target *t = &targets[ti];

		if (!t->present)
			continue;
		for (si = 0; si < opt.nr_sizes; si++) {
			if (!t->size_err[si])
				continue;
			fprintf(f, "%s\n    { \"device\": \"%s\", \"size_bytes\": %" PRIu64 ", \"error\": \"create: %s\" }",
				sep, t->name, opt.sizes[si],
				strerror(-t->size_err[si]));
			sep = ",";
		}
	}
	fprintf(f, "%s],\n  \"errors\": [", *sep ? "\n  " : "");
	sep = "";
	for (i = 0; i < nr_samples; i++) {
		const struct sample *s = &samples[i];

		if (!s->err)
			continue;
		fprintf(f, "%s\n    { \"device\": \"%s\", \"method\": \"%s\",",
			sep, targets[s->target].name, method_names[s->method]);
		fprintf(f, " \"size_bytes\": %" PRIu64 ", \"rep\": %u,",
			opt.sizes[s->size_idx], s->rep);
		fprintf(f, " \"error\": \"%s: %s\" }", s->step,
			strerror(-s->err));
		sep = ",";
	}
	fprintf(f, "%s],\n  \"results\": [", *sep ? "\n  " : "");
	sep = "";
	for (ti = 0; ti < NR_TARGETS; ti++) {
		for (si = 0; si < opt.nr_sizes; si++) {
			struct stats fault;
			bool have_fault;

			if (!targets[ti].present)
				continue;
			have_fault = get_stats(ti, METHOD_FAULT, si, &fault);
			for (m = 0; m < NR_METHODS; m++) {
				double mib = (double)opt.sizes[si] / MiB;
				struct stats st;

				if (!get_stats(ti, m, si, &st))
					continue;
				fprintf(f, "%s\n    { \"device\": \"%s\", \"method\": \"%s\",",
					sep, targets[ti].name, method_names[m]);
				fprintf(f, " \"size_bytes\": %" PRIu64 ", \"n\": %u,",
					opt.sizes[si], st.n);
				fprintf(f, " \"median_ns\": %.0f, \"min_ns\": %.0f, \"max_ns\": %.0f, \"p25_ns\": %.0f, \"p75_ns\": %.0f,",
					st.median, st.min, st.max, st.p25,
					st.p75);
				fprintf(f, " \"ns_per_mib\": %.1f, \"minflt_touch_median\": %.1f, \"minflt_touch_max\": %ld, \"minflt_total_median\": %.1f",
					st.median / mib, st.minflt_touch,
					st.minflt_touch_max, st.minflt_total);
				fprintf(f, ", \"map_ns_median\": %.0f, \"populate_ns_median\": %.0f, \"touch_ns_median\": %.0f",
					st.map, st.populate, st.touch);
				if (have_fault)
					fprintf(f, ", \"fault_over_method\": %.3f",
						fault.median / st.median);
				fprintf(f, " }");
				sep = ",";
			}
		}
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f);
}

/* Median time of the fault method over the others', per device and size. */
static void print_table(FILE *f, const char *prefix)
{
	const unsigned int memfd = NR_TARGETS - 1;	/* targets[]' last */
	unsigned int ti, si, m;
	char sz[32];

	fprintf(f, "%sspeed-up = median(fault) / median(method); vs memfd = median(map_populate) / median(memfd map_populate)\n",
		prefix);
	fprintf(f, "%s%-10s %5s %12s %10s %8s %8s %7s %8s\n", prefix,
		"device", "size", "fault ns", "ns/MiB", "map_pop", "madv_pw",
		"faults", "vs memfd");
	for (ti = 0; ti < NR_TARGETS; ti++) {
		if (!targets[ti].present)
			continue;
		for (si = 0; si < opt.nr_sizes; si++) {
			struct stats st[NR_METHODS], mf;
			bool ok[NR_METHODS];

			for (m = 0; m < NR_METHODS; m++)
				ok[m] = get_stats(ti, m, si, &st[m]);
			size_str(opt.sizes[si], sz, sizeof(sz));
			if (targets[ti].size_err[si]) {
				fprintf(f, "%s%-10s %5s skipped: create: %s\n",
					prefix, targets[ti].name, sz,
					strerror(-targets[ti].size_err[si]));
				continue;
			}
			if (!ok[METHOD_FAULT]) {
				fprintf(f, "%s%-10s %5s no fault samples\n",
					prefix, targets[ti].name, sz);
				continue;
			}
			fprintf(f, "%s%-10s %5s %12.0f %10.0f", prefix,
				targets[ti].name, sz, st[METHOD_FAULT].median,
				st[METHOD_FAULT].median * MiB /
				(double)opt.sizes[si]);
			for (m = METHOD_FAULT + 1; m < NR_METHODS; m++) {
				if (ok[m])
					fprintf(f, " %7.2fx",
						st[METHOD_FAULT].median /
						st[m].median);
				else
					fprintf(f, " %8s", "error");
			}
			fprintf(f, " %7.0f", st[METHOD_FAULT].minflt_touch);
			if (ti != memfd && ok[METHOD_MAP_POPULATE] &&
			    targets[memfd].present &&
			    get_stats(memfd, METHOD_MAP_POPULATE, si, &mf))
				fprintf(f, " %8.2f",
					st[METHOD_MAP_POPULATE].median / mf.median);
			fprintf(f, "\n");
		}
	}
}

/* TAP: populate leaves no fault to take, plain mmap takes them. */
static int smoke_verdict(void)
{
	unsigned int ti, m, i, n = 0, failed = 0, planned = 0;

	for (ti = 0; ti < NR_TARGETS; ti++)
		if (targets[ti].selected && targets[ti].backing == BACKING_GEM)
			planned += NR_METHODS;
	printf("1..%u\n", planned);

	for (ti = 0; ti < NR_TARGETS; ti++) {
		const struct target *t = &targets[ti];

		if (!t->selected || t->backing != BACKING_GEM)
			continue;
		for (m = 0; m < NR_METHODS; m++) {
			const bool fault = m == METHOD_FAULT;
			/*
			 * At least one fault per 16 pages (TTM prefaults 16),
			 * per 512 where a fault maps a huge page.
			 */
			const unsigned int per_fault = t->huge ? 512 : !t->present ? 16 :
				max(16u, igt_gem_mmap_fault_pages(t->fd));
			const struct sample *bad = NULL;
			unsigned int runs = 0;
			char why[160] = "";
			char sz[32];

			n++;
			if (!t->present) {
				printf("ok %u %s: %s # SKIP no %s device\n", n,
				       t->name, method_names[m], t->name);
				continue;
			}
			for (i = 0; i < nr_samples; i++) {
				const struct sample *s = &samples[i];
				uint64_t pages = opt.sizes[s->size_idx] /
						 page_size();

				if (s->target != ti || s->method != m)
					continue;
				runs++;
				if (s->err ||
				    (fault && (uint64_t)s->minflt_touch <
				     (pages + per_fault - 1) / per_fault) ||
				    (!fault && s->minflt_touch)) {
					bad = s;
					break;
				}
			}
			if (bad) {
				size_str(opt.sizes[bad->size_idx], sz,
					 sizeof(sz));
				if (bad->err)
					snprintf(why, sizeof(why),
						 "%s failed at %s: %s", bad->step,
						 sz, strerror(-bad->err));
				else
					snprintf(why, sizeof(why),
						 "%ld minor faults writing %s (%" PRIu64 " pages)",
						 bad->minflt_touch, sz,
						 opt.sizes[bad->size_idx] /
						 page_size());
			} else if (!runs) {
				snprintf(why, sizeof(why),
					 "no buffer of any size could be created");
			}
			if (why[0]) {
				failed++;
				printf("not ok %u %s: %s: %s\n", n, t->name,
				       method_names[m], why);
			} else if (fault) {
				printf("ok %u %s: fault: >= 1 minor fault per %u pages on touch (%u runs)\n",
				       n, t->name, per_fault, runs);
			} else {
				printf("ok %u %s: %s: 0 minor faults on touch (%u runs)\n",
				       n, t->name, method_names[m], runs);
			}
		}
	}
	return failed ? 1 : 0;
}

static void print_usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [--smoke] [--sizes S,S,...] [--max-size S] [--reps N]\n"
		"       [--big-reps N] [--devices D,D,...] [--prefilled] [--csv FILE]\n"
		"       [--json FILE]\n"
		"  sizes take K/M/G suffixes; default 4K,16K,...,256M (powers of 4)\n"
		"  --reps N      repetitions (default 11); sizes >= 64M get --big-reps (default 7)\n"
		"  --prefilled   allocate the pages first (untimed map + write): mapping cost only\n"
		"  --devices     of vgem,virtio_gpu,bochs-drm,qxl,anon,memfd (default all)\n"
		"  --smoke       4K,64K,1M,4M, 3 reps; TAP verdict on the minor faults\n",
		argv0);
}

static int parse_sizes(char *arg)
{
	char *tok, *save = NULL;

	opt.nr_sizes = 0;
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (opt.nr_sizes == MAX_SIZES || parse_size(tok, &v))
			return -1;
		if (v % page_size())
			return -1;
		opt.sizes[opt.nr_sizes++] = v;
	}
	return opt.nr_sizes ? 0 : -1;
}

static int parse_devices(char *arg)
{
	char *tok, *save = NULL;
	unsigned int i;

	for (i = 0; i < NR_TARGETS; i++)
		targets[i].selected = false;
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_TARGETS; i++)
			if (!strcmp(tok, targets[i].name))
				break;
		if (i == NR_TARGETS)
			return -1;
		targets[i].selected = true;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "reps", required_argument, NULL, 'r' },
		{ "big-reps", required_argument, NULL, 'b' },
		{ "devices", required_argument, NULL, 'd' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "smoke", no_argument, NULL, 'S' },
		{ "prefilled", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool sizes_given = false, reps_given = false;
	uint64_t max_size = 0;
	unsigned int i, si;
	cpu_set_t cpus;
	int c, ret = 0;

	for (i = 0; i < NR_TARGETS; i++)
		targets[i].selected = true;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_sizes(optarg))
				goto bad;
			sizes_given = true;
			break;
		case 'm':
			if (parse_size(optarg, &max_size))
				goto bad;
			break;
		case 'r':
			opt.reps = (unsigned int)strtoul(optarg, NULL, 0);
			if (!opt.reps || opt.reps > 64)
				goto bad;
			reps_given = true;
			break;
		case 'b':
			opt.big_reps = (unsigned int)strtoul(optarg, NULL, 0);
			if (!opt.big_reps || opt.big_reps > 64)
				goto bad;
			break;
		case 'd':
			if (parse_devices(optarg))
				goto bad;
			break;
		case 'c':
			opt.csv = optarg;
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'S':
			opt.smoke = true;
			break;
		case 'P':
			opt.prefilled = true;
			break;
		case 'h':
			print_usage(stdout, argv[0]);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	if (!sizes_given) {
		const uint64_t *def = opt.smoke ? smoke_sizes : default_sizes;
		unsigned int nr = opt.smoke ?
			ARRAY_SIZE(smoke_sizes) : ARRAY_SIZE(default_sizes);

		for (i = 0; i < nr; i++)
			opt.sizes[i] = def[i];
		opt.nr_sizes = nr;
	}
	if (opt.smoke && !reps_given)
		opt.reps = 3;
	if (max_size) {
		for (i = 0, si = 0; i < opt.nr_sizes; i++)
			if (opt.sizes[i] <= max_size)
				opt.sizes[si++] = opt.sizes[i];
		opt.nr_sizes = si;
		if (!opt.nr_sizes) {
			fprintf(stderr, "no size left under --max-size\n");
			return 2;
		}
	}

	/* 4 KiB pages for the reference too, as GEM mmaps have. */
	igt_gem_mmap_thp_mode(IGT_GEM_MMAP_SHMEM_ENABLED, shmem_enabled_saved,
			      sizeof(shmem_enabled_saved));
	atexit(restore_shmem_enabled);
	set_huge(false);

	/* Stay on one CPU: no migration in the middle of a measurement. */
	opt.pinned_cpu = sched_getcpu();
	CPU_ZERO(&cpus);
	if (opt.pinned_cpu >= 0) {
		CPU_SET(opt.pinned_cpu, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus))
			opt.pinned_cpu = -1;
	}

	open_targets();
	if (opt.smoke)
		printf("TAP version 13\n");
	for (i = 0; i < NR_TARGETS; i++) {
		const struct target *t = &targets[i];
		char sz[32];

		if (!t->selected)
			continue;
		if (!t->present) {
			printf("# %s: no device\n", t->name);
			continue;
		}
		if (t->backing == BACKING_GEM)
			printf("# %s: DRM_CAP_GEM_MMAP_ADVICE = %#" PRIx64 "\n",
			       t->name, t->cap);
		for (si = 0; si < opt.nr_sizes; si++)
			if (t->size_err[si])
				printf("# %s: skipping %s: cannot create a buffer: %s\n",
				       t->name,
				       size_str(opt.sizes[si], sz, sizeof(sz)),
				       strerror(-t->size_err[si]));
	}
	fflush(stdout);

	run();

	if (opt.csv && write_csv(opt.csv))
		ret = 2;
	if (opt.json && write_json(opt.json))
		ret = 2;
	print_table(stdout, opt.smoke ? "# " : "");
	for (i = 0; i < nr_samples; i++)
		if (samples[i].err && !opt.smoke)
			fprintf(stdout, "error: %s %s %" PRIu64 " rep %u: %s: %s\n",
				targets[samples[i].target].name,
				method_names[samples[i].method],
				opt.sizes[samples[i].size_idx], samples[i].rep,
				samples[i].step, strerror(-samples[i].err));
	if (opt.smoke && smoke_verdict())
		ret = 1;
	for (i = 0; i < NR_TARGETS; i++)
		if (targets[i].fd >= 0)
			close(targets[i].fd);
	free(samples);
	return ret;
bad:
	print_usage(stderr, argv[0]);
	return 2;
}
