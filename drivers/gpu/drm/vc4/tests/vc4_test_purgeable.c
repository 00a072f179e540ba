// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for purgeable vc4 BOs: the VC4_GEM_MADVISE ioctl and the
 * standard calls (madvise() on a mapping) share one implementation and give
 * the same answers, and a purged BO keeps no user mapping of the memory it
 * gave back.
 */

#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_vma_manager.h>

#include <kunit/test.h>

#include "../vc4_drv.h"
#include "vc4_mock.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define TEST_PAGES	4
#define TEST_SIZE	(TEST_PAGES * PAGE_SIZE)

struct vc4_purgeable_test {
	struct vc4_dev *vc4;
	struct file *file;
	struct vc4_bo *bo;
	u32 handle;
	unsigned long pfn;	/* of the BO's first page */
};

KUNIT_DEFINE_ACTION_WRAPPER(vc4_purgeable_test_put, drm_gem_object_put,
			    struct drm_gem_object *);

static int vc4_purgeable_test_init(struct kunit *test)
{
	struct vc4_purgeable_test *t;
	struct drm_device *drm;
	struct drm_file *priv;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	t->vc4 = vc4_mock_device(test);
	drm = &t->vc4->base;
	/* The mock device has no DMA mask; the BOs are dma_alloc_wc() memory. */
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(drm->dev, DMA_BIT_MASK(32)), 0);
	/* What vc4_drm_bind() sets up for BOs and the purgeable pool. */
	KUNIT_ASSERT_EQ(test, vc4_bo_cache_init(drm), 0);
	KUNIT_ASSERT_EQ(test, vc4_gem_init(drm), 0);

	t->file = drm_kunit_helper_open_file(test, drm->primary, O_RDWR);

	/* A user BO, as vc4_bo_dumb_create() makes it. */
	t->bo = vc4_bo_create(drm, TEST_SIZE, false, VC4_BO_TYPE_DUMB);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->bo);
	t->bo->madv = VC4_MADV_WILLNEED;
	ret = kunit_add_action_or_reset(test, vc4_purgeable_test_put, &t->bo->base.base);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, drm_gem_create_mmap_offset(&t->bo->base.base), 0);

	priv = t->file->private_data;
	KUNIT_ASSERT_EQ(test, drm_gem_handle_create(priv, &t->bo->base.base, &t->handle), 0);

	return 0;
}

static unsigned long vc4_purgeable_test_mmap(struct kunit *test, unsigned long flags)
{
	struct vc4_purgeable_test *t = test->priv;
	unsigned long addr;

	addr = kunit_vm_mmap(test, t->file, 0, TEST_SIZE, PROT_READ | PROT_WRITE, flags,
			     drm_vma_node_offset_addr(&t->bo->base.base.vma_node));
	KUNIT_ASSERT_FALSE_MSG(test, !addr || IS_ERR_VALUE(addr),
			       "mmap failed: %ld", (long)addr);
	return addr;
}

/* The pages of [addr, addr + TEST_SIZE) that have a page-table entry. */
static int vc4_purgeable_test_ptes(struct kunit *test, unsigned long addr,
				   unsigned long *first_pfn)
{
	struct drm_kunit_user_pte ptes[TEST_PAGES];
	int i, present;

	present = drm_kunit_helper_user_ptes(addr, TEST_PAGES, ptes);
	for (i = 0; first_pfn && i < TEST_PAGES; i++) {
		if (ptes[i].present) {
			*first_pfn = ptes[i].pfn - i;
			break;
		}
	}

	return present;
}

/* The VC4_GEM_MADVISE ioctl on the test BO: retained, or a negative errno. */
static int vc4_purgeable_test_ioctl(struct kunit *test, u32 madv)
{
	struct vc4_purgeable_test *t = test->priv;
	struct drm_vc4_gem_madvise args = {
		.handle = t->handle,
		.madv = madv,
	};
	int ret;

	ret = vc4_gem_madvise_ioctl(&t->vc4->base, &args, t->file->private_data);
	return ret ?: args.retained;
}

static int vc4_purgeable_test_madvise(unsigned long addr, int advice)
{
	return do_madvise(current->mm, addr, TEST_SIZE, advice);
}

/*
 * Purging a mapped BO revokes the mapping: no page-table entry is left
 * pointing at the memory the BO gave back, and populate reports EFAULT as an
 * access would SIGBUS. The purge goes straight to the driver, as the BO
 * cache's purge under memory pressure does (both end in vc4_bo_purge()).
 */
static void vc4_test_purge_revokes_mapping(struct kunit *test)
{
	struct vc4_purgeable_test *t = test->priv;
	unsigned long addr, pfn = 0;

	addr = vc4_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, &pfn), TEST_PAGES);

	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ioctl(test, VC4_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(&t->bo->base.base, DRM_GEM_ADVICE_PURGE), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, __VC4_MADV_PURGED);
	KUNIT_EXPECT_NULL(test, t->bo->base.vaddr);

	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, NULL), 0);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_POPULATE_READ), -EFAULT);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, NULL), 0);
}

/*
 * The ioctl and madvise() make the same state changes, move the BO in and
 * out of the purgeable pool alike, and agree on "retained".
 */
static void vc4_test_ioctl_and_madvise_agree(struct kunit *test)
{
	struct vc4_purgeable_test *t = test->priv;
	struct vc4_dev *vc4 = t->vc4;
	unsigned long addr;

	addr = vc4_purgeable_test_mmap(test, MAP_SHARED);

	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_FREE), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, VC4_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.num, 1);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ioctl(test, VC4_MADV_WILLNEED), 1);
	KUNIT_EXPECT_EQ(test, t->bo->madv, VC4_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.num, 0);

	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ioctl(test, VC4_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.num, 1);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, VC4_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.num, 0);

	/* Purged: both report it, and it stays purged. */
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_REMOVE), 0);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.num, 0);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.purged_num, 1);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ioctl(test, VC4_MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_WILLNEED), -EFAULT);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ioctl(test, VC4_MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, __VC4_MADV_PURGED);
	KUNIT_EXPECT_EQ(test, vc4->purgeable.num, 0);
}

/* A BO the hardware uses cannot be purged now, and nothing changes. */
static void vc4_test_purge_busy(struct kunit *test)
{
	struct vc4_purgeable_test *t = test->priv;
	unsigned long addr;

	addr = vc4_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, vc4_bo_inc_usecnt(t->bo), 0);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, t->bo->madv, VC4_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, NULL), TEST_PAGES);
	vc4_bo_dec_usecnt(t->bo);
}

/*
 * MADV_DONTNEED drops the page-table entries only; the next access (here:
 * populate) maps the same pages again instead of raising SIGBUS.
 */
static void vc4_test_dontneed_refaults(struct kunit *test)
{
	unsigned long addr, pfn = 0, pfn2 = 0;

	addr = vc4_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, &pfn), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, NULL), 0);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_madvise(addr, MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_EQ(test, vc4_purgeable_test_ptes(test, addr, &pfn2), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, pfn2, pfn);
}

/* Copy-on-write mappings are refused: they could not be revoked on purge. */
static void vc4_test_private_mapping_refused(struct kunit *test)
{
	struct vc4_purgeable_test *t = test->priv;
	unsigned long addr;

	addr = kunit_vm_mmap(test, t->file, 0, TEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			     drm_vma_node_offset_addr(&t->bo->base.base.vma_node));
	KUNIT_EXPECT_EQ(test, (long)addr, -EINVAL);
}

static struct kunit_case vc4_purgeable_test_cases[] = {
	KUNIT_CASE(vc4_test_purge_revokes_mapping),
	KUNIT_CASE(vc4_test_ioctl_and_madvise_agree),
	KUNIT_CASE(vc4_test_purge_busy),
	KUNIT_CASE(vc4_test_dontneed_refaults),
	KUNIT_CASE(vc4_test_private_mapping_refused),
	{}
};

static struct kunit_suite vc4_purgeable_test_suite = {
	.name = "vc4-purgeable",
	.init = vc4_purgeable_test_init,
	.test_cases = vc4_purgeable_test_cases,
};

kunit_test_suite(vc4_purgeable_test_suite);
