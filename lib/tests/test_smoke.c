// SPDX-License-Identifier: MIT
/*
 * Smoke test of the installed interface: links the shared library and runs
 * the real system calls on files that are not DRM devices, where nothing is
 * supported and every advice call must fail cleanly with ENOTSUP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gem_advice.h>

static int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			failures++;					\
		}							\
	} while (0)

int main(void)
{
	struct gem_advice *adv;
	bool retained = true;
	void *map;
	int fd;

	errno = 0;
	CHECK(gem_advice_create(-1) == NULL && errno == EBADF);

	/* /dev/zero: no DRM ioctls, but shared mappings work. */
	fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/zero");
		return 77;
	}
	adv = gem_advice_create(fd);
	CHECK(adv != NULL);
	CHECK(gem_advice_get_caps(adv) == 0);

	errno = 0;
	CHECK(gem_advice_mark_purgeable(adv, 1, 0, 4096, NULL, NULL) == -1);
	CHECK(errno == ENOTSUP);
	errno = 0;
	CHECK(gem_advice_mark_needed(adv, 1, 0, 4096, NULL, &retained) == -1);
	CHECK(errno == ENOTSUP && retained);
	errno = 0;
	CHECK(gem_advice_purge(adv, 1, 0, 4096, NULL) == -1);
	CHECK(errno == ENOTSUP);

	map = gem_advice_map(adv, 0, 4096, PROT_READ | PROT_WRITE);
	CHECK(map != MAP_FAILED);
	if (map != MAP_FAILED)
		munmap(map, 4096);

	gem_advice_destroy(adv);
	close(fd);
	return failures ? 1 : 0;
}
