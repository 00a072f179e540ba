// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by the DRM uAPI tests. See drmtest.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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

#define DUMB_BPP	32
#define DUMB_WIDTH	1024

size_t drmtest_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static bool is_driver(int fd, const char *driver)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool match;

	if (!v)
		return false;
	match = v->name && !strcmp(v->name, driver);
	drmFreeVersion(v);
	return match;
}

int drmtest_open_driver(const char *driver)
{
	struct dirent *de;
	DIR *dir;
	int fd = -1;

	dir = opendir("/dev/dri");
	if (!dir) {
		errno = ENODEV;
		return -1;
	}
	while ((de = readdir(dir))) {
		char path[sizeof("/dev/dri/") + sizeof(de->d_name)];

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_driver(fd, driver))
			break;
		close(fd);
		fd = -1;
	}
	closedir(dir);
	if (fd < 0)
		errno = ENODEV;
	return fd;
}

int drmtest_bo_create(int fd, uint64_t size, struct drmtest_bo *bo)
{
	struct drm_mode_create_dumb create = {
		.bpp = DUMB_BPP,
		.width = DUMB_WIDTH,
	};
	struct drm_mode_map_dumb map = {};
	uint64_t pitch = DUMB_WIDTH * DUMB_BPP / 8;
	int err;

	create.height = (size + pitch - 1) / pitch;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;

	memset(bo, 0, sizeof(*bo));
	bo->fd = fd;
	bo->handle = create.handle;
	bo->pitch = create.pitch;
	bo->size = create.size;

	map.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		err = -errno;
		drmtest_bo_destroy(bo);
		return err;
	}
	bo->offset = map.offset;
	return 0;
}

int drmtest_bo_destroy(struct drmtest_bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (!bo->handle)
		return 0;
	if (drmIoctl(bo->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy))
		return -errno;
	bo->handle = 0;
	return 0;
}

void *drmtest_bo_mmap(const struct drmtest_bo *bo, void *addr, size_t len,
		      int prot, int flags)
{
	return mmap(addr, len, prot, flags, bo->fd, (off_t)bo->offset);
}

long drmtest_minflt(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

static void touch_pages(void *ptr, size_t len, size_t page_size,
			enum drmtest_touch mode)
{
	size_t off;

	for (off = 0; off < len; off += page_size) {
		volatile uint32_t *p = (volatile uint32_t *)((char *)ptr + off);

		switch (mode) {
		case DRMTEST_TOUCH_READ:
			(void)*p;
			break;
		case DRMTEST_TOUCH_WRITE:
			*p = (uint32_t)(off / page_size);
			break;
		case DRMTEST_TOUCH_RMW:
			*p = *p;
			break;
		}
	}
}

/*
 * Called through a volatile pointer so that the compiler can neither inline
 * nor specialise it: the dry run and the measured run execute the same code.
 */
static void (*volatile touch_fn)(void *, size_t, size_t, enum drmtest_touch) =
	touch_pages;

void drmtest_touch(void *ptr, size_t len, enum drmtest_touch mode)
{
	touch_fn(ptr, len, drmtest_page_size(), mode);
}

long drmtest_touch_faults(void *ptr, size_t len, enum drmtest_touch mode)
{
	/* Memory for a dry run of the measured code path. */
	static uint32_t warmup[2 * 4096] __attribute__((aligned(4096)));
	void (*touch)(void *, size_t, size_t, enum drmtest_touch) = touch_fn;
	const size_t page_size = drmtest_page_size();
	struct rusage before, after;

	/*
	 * Fault in (or, after fork(), break COW on) everything the measured
	 * section uses besides [ptr, ptr + len): the rusage buffers, the
	 * stack, and the text of touch_pages() and getrusage().
	 */
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	touch(warmup, sizeof(warmup), page_size, mode);
	getrusage(RUSAGE_SELF, &after);

	getrusage(RUSAGE_SELF, &before);
	touch(ptr, len, page_size, mode);
	getrusage(RUSAGE_SELF, &after);

	return after.ru_minflt - before.ru_minflt;
}

uint32_t drmtest_pattern(uint32_t seed, size_t page, size_t dword)
{
	return seed ^ ((uint32_t)page << 16 | (uint32_t)(dword & 0xffff));
}

void drmtest_fill_pattern(void *ptr, size_t first_page, size_t npages,
			  uint32_t seed)
{
	const size_t dwords = drmtest_page_size() / sizeof(uint32_t);
	uint32_t *p = ptr;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < dwords; j++)
			*p++ = drmtest_pattern(seed, first_page + i, j);
}

ssize_t drmtest_check_pattern(const void *ptr, size_t first_page,
			      size_t npages, uint32_t seed, uint32_t *found)
{
	const size_t dwords = drmtest_page_size() / sizeof(uint32_t);
	const uint32_t *p = ptr;
	size_t i, j;

	for (i = 0; i < npages; i++) {
		for (j = 0; j < dwords; j++) {
			uint32_t v = p[i * dwords + j];

			if (v != drmtest_pattern(seed, first_page + i, j)) {
				if (found)
					*found = v;
				return (ssize_t)(i * dwords + j);
			}
		}
	}
	return -1;
}

int drmtest_madvise(void *addr, size_t len, int advice)
{
	return madvise(addr, len, advice) ? errno : 0;
}

int drmtest_fadvise(int fd, uint64_t offset, uint64_t len, int advice)
{
	return posix_fadvise(fd, (off_t)offset, (off_t)len, advice);
}

const char *drmtest_madvise_name(int advice)
{
	switch (advice) {
	case MADV_FREE: return "MADV_FREE";
	case MADV_REMOVE: return "MADV_REMOVE";
	case MADV_WILLNEED: return "MADV_WILLNEED";
	case MADV_DONTNEED: return "MADV_DONTNEED";
	case MADV_POPULATE_READ: return "MADV_POPULATE_READ";
	case MADV_POPULATE_WRITE: return "MADV_POPULATE_WRITE";
	case MADV_COLD: return "MADV_COLD";
	case MADV_PAGEOUT: return "MADV_PAGEOUT";
	case MADV_MERGEABLE: return "MADV_MERGEABLE";
	case MADV_NORMAL: return "MADV_NORMAL";
	case MADV_SEQUENTIAL: return "MADV_SEQUENTIAL";
	case MADV_DONTFORK: return "MADV_DONTFORK";
	case MADV_HUGEPAGE: return "MADV_HUGEPAGE";
#ifdef MADV_DONTNEED_LOCKED
	case MADV_DONTNEED_LOCKED: return "MADV_DONTNEED_LOCKED";
#endif
	}
	return "MADV_?";
}

const char *drmtest_fadvise_name(int advice)
{
	switch (advice) {
	case POSIX_FADV_DONTNEED: return "POSIX_FADV_DONTNEED";
	case POSIX_FADV_WILLNEED: return "POSIX_FADV_WILLNEED";
	case POSIX_FADV_NORMAL: return "POSIX_FADV_NORMAL";
	case POSIX_FADV_RANDOM: return "POSIX_FADV_RANDOM";
	case POSIX_FADV_SEQUENTIAL: return "POSIX_FADV_SEQUENTIAL";
	case POSIX_FADV_NOREUSE: return "POSIX_FADV_NOREUSE";
	}
	return "POSIX_FADV_?";
}

const char *drmtest_errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "E?";
}

void drmtest_no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
}

int drmtest_access_in_child(volatile uint32_t *p, bool write, uint32_t stale)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		uint32_t v;

		drmtest_no_core_dumps();
		if (write) {
			*p = ~stale;
			_exit(DRMTEST_ACCESS_WROTE);
		}
		v = *p;
		_exit(v == stale ? DRMTEST_ACCESS_READ_STALE :
		      DRMTEST_ACCESS_READ_OTHER);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

bool drmtest_is_sigbus(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

const char *drmtest_describe_access(int status, char *buf, size_t len)
{
	static const char *const codes[] = {
		[DRMTEST_ACCESS_READ_STALE] = "read the old contents",
		[DRMTEST_ACCESS_READ_OTHER] = "read data that is not the old contents",
		[DRMTEST_ACCESS_WROTE] = "wrote without a fault",
		[DRMTEST_ACCESS_CHILD_ERROR] = "could not get to the access",
	};

	if (status == -1)
		snprintf(buf, len, "fork/wait failed: %s", strerror(errno));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) > 0 &&
		 WEXITSTATUS(status) < (int)(sizeof(codes) / sizeof(codes[0])))
		snprintf(buf, len, "%s", codes[WEXITSTATUS(status)]);
	else
		snprintf(buf, len, "wait status %#x", status);
	return buf;
}

int drmtest_write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	ssize_t n;
	int fd, len, err;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || len >= (int)sizeof(buf))
		return EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, buf, len);
	err = n == len ? 0 : n < 0 ? errno : EIO;
	close(fd);
	return err;
}

int drmtest_shrink_all(void)
{
	return drmtest_write_file("/proc/sys/vm/drop_caches", "2\n");
}

int drmtest_set_oom_score_adj(int value)
{
	return drmtest_write_file("/proc/self/oom_score_adj", "%d\n", value);
}

static unsigned long proc_field(const char *file, const char *field, char sep)
{
	char line[256];
	unsigned long v = 0;
	size_t n = strlen(field);
	FILE *f = fopen(file, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == sep) {
			v = strtoul(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

unsigned long drmtest_meminfo(const char *field)
{
	return proc_field("/proc/meminfo", field, ':') * 1024;
}

unsigned long drmtest_vmstat(const char *field)
{
	return proc_field("/proc/vmstat", field, ' ');
}

void drmtest_anon_pressure(size_t bytes)
{
	size_t page = drmtest_page_size(), done;

	if (drmtest_set_oom_score_adj(1000))
		_exit(2);
	for (done = 0; done < bytes; done += 16 * MiB) {
		char *p = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(3);
		for (size_t i = 0; i < 16 * MiB; i += page)
			p[i] = 1;
	}
	_exit(0);
}

int drmtest_reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

long drmtest_elapsed_msec(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}
