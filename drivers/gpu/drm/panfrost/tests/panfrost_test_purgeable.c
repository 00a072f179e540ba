// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for purgeable Panfrost BOs: the PANFROST_MADVISE ioctl and the
 * standard calls (madvise() on a mapping, the shrinker) share one
 * implementation and give the same answers; a purge tears down the GPU
 * mapping and leaves no CPU page-table entry; populate maps the BO's pages.
 *
 * There is no GPU: the device is a KUnit one, the file gets a GPU address
 * space (panfrost_mmu_ctx_create()) whose page tables are only written to
 * memory, since an address space not bound to the hardware is never flushed.
 */

#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>
#include <drm/drm_vma_manager.h>
#include <drm/panfrost_drm.h>

#include <kunit/test.h>

#include "../panfrost_device.h"
#include "../panfrost_gem.h"
#include "../panfrost_mmu.h"

#define TEST_PAGES	4
#define TEST_SIZE	(TEST_PAGES * PAGE_SIZE)

struct panfrost_purgeable_test {
	struct drm_device *drm;
	struct file *file;
	struct panfrost_gem_object *bo;
	u32 handle;
};

static void panfrost_test_postclose(struct drm_device *dev, struct drm_file *file)
{
	struct panfrost_file_priv *priv = file->driver_priv;

	if (priv && !IS_ERR_OR_NULL(priv->mmu))
		panfrost_mmu_ctx_put(priv->mmu);
}

DEFINE_DRM_GEM_FOPS(panfrost_test_fops);

/* panfrost_drm_driver without the job scheduler panfrost_open() sets up. */
static const struct drm_driver panfrost_test_driver = {
	.driver_features = DRIVER_GEM | DRIVER_GEM_PURGEABLE,
	.postclose = panfrost_test_postclose,
	.fops = &panfrost_test_fops,
	.name = "panfrost-test",
	.desc = "Panfrost purgeable BO KUnit test driver",
	.major = 1,
	.gem_create_object = panfrost_gem_create_object,
};

KUNIT_DEFINE_ACTION_WRAPPER(panfrost_purgeable_test_put, drm_gem_object_put,
			    struct drm_gem_object *);

static int panfrost_purgeable_test_init(struct kunit *test)
{
	struct panfrost_purgeable_test *t;
	struct panfrost_file_priv *priv;
	struct panfrost_device *pfdev;
	struct drm_file *file_priv;
	struct device *dev;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	/* The BOs' pages are DMA-mapped for the GPU mapping. */
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	t->drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev, sizeof(*t->drm),
								 0, &panfrost_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->drm);

	/*
	 * What panfrost_probe() sets up for BOs and GPU address spaces. It and
	 * the file's private data are DRM-managed: the test's mappings hold
	 * the file, whose release uses them, until the test's mm goes away,
	 * which may be after KUnit cleaned the test up.
	 */
	pfdev = drmm_kzalloc(t->drm, sizeof(*pfdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfdev);
	pfdev->dev = dev;
	pfdev->ddev = t->drm;
	pfdev->coherent = true;
	pfdev->features.mmu_features = (40 << 8) | 48;	/* PA bits | VA bits */
	spin_lock_init(&pfdev->as_lock);
	t->drm->dev_private = pfdev;
	KUNIT_ASSERT_EQ(test, drmm_gem_shmem_shrinker_init(t->drm, panfrost_gem_purge), 0);

	/* What panfrost_open() sets up, but the job scheduler. */
	priv = drmm_kzalloc(t->drm, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);
	priv->pfdev = pfdev;
	t->file = drm_kunit_helper_open_file(test, t->drm->primary, O_RDWR);
	priv->mmu = panfrost_mmu_ctx_create(pfdev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, priv->mmu);
	file_priv = t->file->private_data;
	file_priv->driver_priv = priv;

	/* A BO as PANFROST_CREATE_BO makes it: mapped into the file's GPU VM. */
	t->bo = panfrost_gem_create(t->drm, TEST_SIZE, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->bo);
	ret = kunit_add_action_or_reset(test, panfrost_purgeable_test_put, &t->bo->base.base);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, drm_gem_handle_create(file_priv, &t->bo->base.base, &t->handle), 0);
	KUNIT_ASSERT_EQ(test, drm_gem_create_mmap_offset(&t->bo->base.base), 0);

	return 0;
}

static struct panfrost_gem_mapping *panfrost_purgeable_test_gpu_mapping(struct kunit *test)
{
	struct panfrost_purgeable_test *t = test->priv;

	return list_first_entry_or_null(&t->bo->mappings.list, struct panfrost_gem_mapping, node);
}

static unsigned long panfrost_purgeable_test_mmap(struct kunit *test, unsigned long flags)
{
	struct panfrost_purgeable_test *t = test->priv;
	unsigned long addr;

	addr = kunit_vm_mmap(test, t->file, 0, TEST_SIZE, PROT_READ | PROT_WRITE, flags,
			     drm_vma_node_offset_addr(&t->bo->base.base.vma_node));
	KUNIT_ASSERT_FALSE_MSG(test, !addr || IS_ERR_VALUE(addr),
			       "mmap failed: %ld", (long)addr);
	return addr;
}

/*
 * The pages of [addr, addr + TEST_SIZE) that have a page-table entry; each
 * must map the BO's page of its index.
 */
static int panfrost_purgeable_test_ptes(struct kunit *test, unsigned long addr)
{
	struct panfrost_purgeable_test *t = test->priv;
	struct drm_kunit_user_pte ptes[TEST_PAGES];
	int i, present;

	present = drm_kunit_helper_user_ptes(addr, TEST_PAGES, ptes);
	for (i = 0; i < TEST_PAGES; i++)
		if (ptes[i].present)
			KUNIT_EXPECT_TRUE(test, t->bo->base.pages &&
					  ptes[i].pfn == page_to_pfn(t->bo->base.pages[i]));

	return present;
}

/* The PANFROST_MADVISE ioctl on the test BO: retained, or a negative errno. */
static int panfrost_purgeable_test_ioctl(struct kunit *test, u32 handle, u32 madv)
{
	struct panfrost_purgeable_test *t = test->priv;
	struct drm_panfrost_madvise args = {
		.handle = handle,
		.madv = madv,
		.retained = 0xdead,
	};
	int ret;

	ret = panfrost_ioctl_madvise(t->drm, &args, t->file->private_data);
	return ret ?: args.retained;
}

static int panfrost_purgeable_test_madvise(unsigned long addr, int advice)
{
	return do_madvise(current->mm, addr, TEST_SIZE, advice);
}

/*
 * The ioctl and madvise() make the same state changes, move the BO on and
 * off the shrinker's purgeable list alike, and agree on "retained".
 */
static void panfrost_test_ioctl_and_madvise_agree(struct kunit *test)
{
	struct panfrost_purgeable_test *t = test->priv;
	struct drm_gem_shmem_shrinker *s = t->drm->shmem_shrinker;
	struct drm_gem_shmem_object *shmem = &t->bo->base;
	unsigned long addr;

	addr = panfrost_purgeable_test_mmap(test, MAP_SHARED);

	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_FREE), 0);
	KUNIT_EXPECT_EQ(test, shmem->madv, PANFROST_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_WILLNEED), 1);
	KUNIT_EXPECT_EQ(test, shmem->madv, PANFROST_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, 0);

	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, shmem->madv, PANFROST_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, shmem->madv, PANFROST_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, 0);

	/* Purged through madvise(): both report it, and it stays purged. */
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_REMOVE), 0);
	KUNIT_EXPECT_LT(test, shmem->madv, 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_WILLNEED), -EFAULT);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_DONTNEED), 0);
	KUNIT_EXPECT_LT(test, shmem->madv, 0);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, 0);
}

/*
 * A BO made purgeable with the ioctl is purged by the shmem shrinker through
 * panfrost_gem_purge(): GPU mapping torn down, pages gone, CPU mapping
 * revoked (populate reports EFAULT as an access would SIGBUS), and both the
 * ioctl and madvise() then report it purged.
 */
static void panfrost_test_shrinker_purges(struct kunit *test)
{
	struct panfrost_purgeable_test *t = test->priv;
	struct drm_gem_shmem_shrinker *s = t->drm->shmem_shrinker;
	struct panfrost_gem_mapping *mapping = panfrost_purgeable_test_gpu_mapping(test);
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = TEST_PAGES,
	};
	unsigned long addr;

	KUNIT_ASSERT_NOT_NULL(test, mapping);
	KUNIT_EXPECT_TRUE(test, mapping->active);
	addr = panfrost_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), TEST_PAGES);

	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, s->shrinker->count_objects(s->shrinker, &sc), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), TEST_PAGES);

	KUNIT_EXPECT_FALSE(test, mapping->active);
	KUNIT_EXPECT_NULL(test, t->bo->base.pages);
	KUNIT_EXPECT_NULL(test, t->bo->base.sgt);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_POPULATE_READ), -EFAULT);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_WILLNEED), -EFAULT);
}

/* MAP_POPULATE and MADV_POPULATE_WRITE map every page of the BO. */
static void panfrost_test_populate(struct kunit *test)
{
	unsigned long addr;

	addr = panfrost_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), TEST_PAGES);

	addr = panfrost_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), TEST_PAGES);
}

/*
 * A BO that the GPU maps holds its pages through its scatterlist, so its
 * pages could not be evicted: once its last CPU mapping is gone it keeps
 * them for the next mapping, but it is not on the evictor's list, which
 * counts only what the evictor can free.
 */
static void panfrost_test_gpu_mapped_not_evictable(struct kunit *test)
{
	struct panfrost_purgeable_test *t = test->priv;
	struct drm_gem_shmem_shrinker *s = t->drm->shmem_shrinker;
	unsigned long addr;

	KUNIT_ASSERT_NOT_NULL(test, panfrost_purgeable_test_gpu_mapping(test));
	addr = panfrost_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	KUNIT_ASSERT_EQ(test, panfrost_purgeable_test_ptes(test, addr), TEST_PAGES);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, TEST_SIZE), 0);

	KUNIT_EXPECT_TRUE(test, t->bo->base.mmap_pages);
	KUNIT_EXPECT_GT(test, t->bo->base.pages_use_count, 1);
	KUNIT_EXPECT_EQ(test, list_lru_count(&s->unmapped), 0);
}

/*
 * The GPU is using the BO: the shrinker and MADV_REMOVE leave it alone
 * (EBUSY), and nothing changes.
 */
static void panfrost_test_purge_busy(struct kunit *test)
{
	struct panfrost_purgeable_test *t = test->priv;
	struct drm_gem_shmem_shrinker *s = t->drm->shmem_shrinker;
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = TEST_PAGES,
	};
	unsigned long addr;

	addr = panfrost_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	atomic_inc(&t->bo->gpu_usecount);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_madvise(addr, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, t->bo->base.madv, PANFROST_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle,
							    PANFROST_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, t->bo->base.madv, PANFROST_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ptes(test, addr), TEST_PAGES);
	atomic_dec(&t->bo->gpu_usecount);
}

/* Bad ioctl input: an unknown advice or handle changes nothing. */
static void panfrost_test_ioctl_bad_input(struct kunit *test)
{
	struct panfrost_purgeable_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle, ~0u), -EINVAL);
	KUNIT_EXPECT_EQ(test, panfrost_purgeable_test_ioctl(test, t->handle + 1,
							    PANFROST_MADV_DONTNEED), -ENOENT);
	KUNIT_EXPECT_EQ(test, t->bo->base.madv, PANFROST_MADV_WILLNEED);
}

static struct kunit_case panfrost_purgeable_test_cases[] = {
	KUNIT_CASE(panfrost_test_ioctl_and_madvise_agree),
	KUNIT_CASE(panfrost_test_shrinker_purges),
	KUNIT_CASE(panfrost_test_populate),
	KUNIT_CASE(panfrost_test_gpu_mapped_not_evictable),
	KUNIT_CASE(panfrost_test_purge_busy),
	KUNIT_CASE(panfrost_test_ioctl_bad_input),
	{}
};

static struct kunit_suite panfrost_purgeable_test_suite = {
	.name = "panfrost-purgeable",
	.init = panfrost_purgeable_test_init,
	.test_cases = panfrost_purgeable_test_cases,
};

kunit_test_suite(panfrost_purgeable_test_suite);
