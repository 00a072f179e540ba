/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the DRM uAPI tests: find a card node by driver
 * name, create and map dumb buffers, count minor page faults, and fill or
 * check a per-page data pattern.
 */
#ifndef DRMTEST_H
#define DRMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

/* From the patched include/uapi/drm/drm.h and mman-common.h, for older headers. */
#ifndef DRM_CAP_GEM_MMAP_ADVICE
#define DRM_CAP_GEM_MMAP_ADVICE		0x16
#endif
#ifndef DRM_GEM_MMAP_ADVICE_POPULATE
#define DRM_GEM_MMAP_ADVICE_POPULATE	(1 << 0)
#endif
#ifndef DRM_GEM_MMAP_ADVICE_PURGEABLE
#define DRM_GEM_MMAP_ADVICE_PURGEABLE	(1 << 1)
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

/* A dumb buffer object on a card node. */
struct drmtest_bo {
	int fd;			/* DRM fd the handle belongs to */
	uint32_t handle;
	uint32_t pitch;
	uint64_t size;		/* as returned by the kernel */
	uint64_t offset;	/* fake offset for mmap() on fd */
};

/* How drmtest_touch() accesses each page. */
enum drmtest_touch {
	DRMTEST_TOUCH_READ,	/* volatile read of the first dword */
	DRMTEST_TOUCH_WRITE,	/* volatile write of the page index to it */
	DRMTEST_TOUCH_RMW,	/* read it and write the same value back */
};

size_t drmtest_page_size(void);

/*
 * Open the first /dev/dri/card* node whose driver (drmGetVersion()->name)
 * is @driver. Returns the fd (O_RDWR | O_CLOEXEC), or -1 with errno set
 * (ENODEV: no such device).
 */
int drmtest_open_driver(const char *driver);

/*
 * Create a dumb buffer of at least @size bytes: bpp 32, width 1024 and as
 * many rows as needed. Fills @bo (including the fake mmap offset) and
 * returns 0, or a negative errno.
 */
int drmtest_bo_create(int fd, uint64_t size, struct drmtest_bo *bo);
int drmtest_bo_destroy(struct drmtest_bo *bo);

/*
 * mmap() @len bytes of @bo, from its start, on its fd. @addr, @prot and
 * @flags are passed through. Returns MAP_FAILED with errno set on failure.
 */
void *drmtest_bo_mmap(const struct drmtest_bo *bo, void *addr, size_t len,
		      int prot, int flags);

/* ru_minflt of the calling process (getrusage(RUSAGE_SELF)). */
long drmtest_minflt(void);

/* Access every page of [ptr, ptr + len) once, as @mode says. */
void drmtest_touch(void *ptr, size_t len, enum drmtest_touch mode);

/*
 * drmtest_touch() between two getrusage() calls; returns the minor faults
 * it cost. Code, stack and the rusage buffers are faulted in beforehand,
 * so only faults on [ptr, ptr + len) are counted.
 */
long drmtest_touch_faults(void *ptr, size_t len, enum drmtest_touch mode);

/*
 * The data pattern: dword @dword of buffer page @page holds a value that
 * encodes both, mixed with @seed.
 */
uint32_t drmtest_pattern(uint32_t seed, size_t page, size_t dword);

/* Write the pattern of buffer pages [first_page, first_page + npages) at ptr. */
void drmtest_fill_pattern(void *ptr, size_t first_page, size_t npages,
			  uint32_t seed);

/*
 * Check the pattern of buffer pages [first_page, first_page + npages) at
 * ptr. Returns -1 if every dword matches, else the index (from ptr) of the
 * first dword that does not; *found (if not NULL) gets its value.
 */
ssize_t drmtest_check_pattern(const void *ptr, size_t first_page,
			      size_t npages, uint32_t seed, uint32_t *found);

/* madvise() returning 0 or the errno it failed with. */
int drmtest_madvise(void *addr, size_t len, int advice);

/* posix_fadvise(), which returns the error number itself. */
int drmtest_fadvise(int fd, uint64_t offset, uint64_t len, int advice);

/* The name of a madvise() advice value, for messages. */
const char *drmtest_madvise_name(int advice);

/* The name of a posix_fadvise() advice value, for messages. */
const char *drmtest_fadvise_name(int advice);

/* The name of an errno value ("EINVAL"), "0" for 0, for messages. */
const char *drmtest_errno_name(int err);

/* How the child of drmtest_access_in_child() exits if the access did not fault. */
enum drmtest_access_exit {
	DRMTEST_ACCESS_READ_STALE = 1,	/* read the value given as stale */
	DRMTEST_ACCESS_READ_OTHER,	/* read something else */
	DRMTEST_ACCESS_WROTE,		/* a write went through */
	DRMTEST_ACCESS_CHILD_ERROR,	/* a child could not get to its access */
};

/* Keep a child that is meant to die of a signal from writing a core file. */
void drmtest_no_core_dumps(void);

/*
 * Read (or write ~@stale to) the dword at @p in a forked child, which
 * inherits the mapping. @stale is what the mapping held there before it was
 * expected to fault. Returns the child's wait status, -1 if fork() or
 * waitpid() failed.
 */
int drmtest_access_in_child(volatile uint32_t *p, bool write, uint32_t stale);

/* The child that returned wait @status died of SIGBUS. */
bool drmtest_is_sigbus(int status);

/* What a child of drmtest_access_in_child() did, in words, into @buf. */
const char *drmtest_describe_access(int status, char *buf, size_t len);

/*
 * Run every shrinker (drop_caches 2): vgem's then purges every purgeable
 * object and must leave all others alone. Returns 0, or the errno that kept
 * us from it (not root, no procfs).
 */
int drmtest_shrink_all(void);

/*
 * Write @value to /proc/self/oom_score_adj: 1000 volunteers the process for
 * the OOM killer, -1000 (root only) shields it. 0 or the errno.
 */
int drmtest_set_oom_score_adj(int value);

/*
 * Write the printf-formatted string to the file at @path (a sysfs, procfs,
 * cgroupfs or debugfs knob). 0, or the errno of the open() or write().
 */
int drmtest_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define MiB	(1ul << 20)

/* A /proc/meminfo or /proc/vmstat field: bytes (kB fields), or the count. */
unsigned long drmtest_meminfo(const char *field);
unsigned long drmtest_vmstat(const char *field);

/*
 * In a child: volunteer for the OOM killer (oom_score_adj 1000), allocate
 * and touch @bytes of anonymous memory, and exit 0 (2: no oom_score_adj,
 * 3: mmap() failed).
 */
void drmtest_anon_pressure(size_t bytes) __attribute__((noreturn));

/* Open the DRM device behind @fd again: a new DRM file, with @flags. */
int drmtest_reopen(int fd, int flags);

/* Milliseconds since @start (CLOCK_MONOTONIC). */
struct timespec;
long drmtest_elapsed_msec(const struct timespec *start);

#endif /* DRMTEST_H */
