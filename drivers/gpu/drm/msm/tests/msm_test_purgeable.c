// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for purgeable MSM BOs: the MSM_GEM_MADVISE ioctl and the
 * standard calls (madvise() on a mapping, the shrinker) share one
 * implementation and give the same answers; a purge tears down the GPU
 * mapping and leaves no CPU page-table entry; populate and the fault handler
 * map the BO's pages, also after the head of a mapping was unmapped.
 *
 * There is no GPU: the device is a KUnit one and the GPU address space sits
 * on a fake MMU that only counts what is mapped.
 */

#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>
#include <drm/msm_drm.h>

#include <kunit/test.h>

#include "../msm_drv.h"
#include "../msm_gem.h"
#include "../msm_gpu.h"
#include "../msm_mmu.h"

#define TEST_PAGES	4
#define TEST_SIZE	(TEST_PAGES * PAGE_SIZE)

/* A GPU MMU without hardware: it counts the bytes mapped through it. */
struct msm_test_mmu {
	struct msm_mmu base;
	size_t mapped;
};

static struct msm_test_mmu *to_msm_test_mmu(struct msm_mmu *mmu)
{
	return container_of(mmu, struct msm_test_mmu, base);
}

static int msm_test_mmu_map(struct msm_mmu *mmu, u64 iova, struct sg_table *sgt,
			    size_t len, int prot)
{
	to_msm_test_mmu(mmu)->mapped += len;
	return 0;
}

static int msm_test_mmu_unmap(struct msm_mmu *mmu, u64 iova, size_t len)
{
	to_msm_test_mmu(mmu)->mapped -= len;
	return 0;
}

static void msm_test_mmu_destroy(struct msm_mmu *mmu)
{
	kfree(to_msm_test_mmu(mmu));
}

static const struct msm_mmu_funcs msm_test_mmu_funcs = {
	.map = msm_test_mmu_map,
	.unmap = msm_test_mmu_unmap,
	.destroy = msm_test_mmu_destroy,
};

struct msm_purgeable_test {
	struct drm_device *drm;
	struct msm_drm_private *priv;
	struct file *file;
	struct msm_gem_address_space *aspace;
	struct msm_test_mmu *mmu;
	struct drm_gem_object *obj;
	struct msm_gem_object *bo;
	u32 handle;
};

static void msm_test_shrinker_cleanup(struct drm_device *drm, void *unused)
{
	msm_gem_shrinker_cleanup(drm);
}

DEFINE_DRM_GEM_FOPS(msm_test_fops);

/* msm_driver without KMS, GPU and submit queues. */
static const struct drm_driver msm_test_driver = {
	.driver_features = DRIVER_GEM | DRIVER_GEM_PURGEABLE,
	.fops = &msm_test_fops,
	.name = "msm-test",
	.desc = "MSM purgeable BO KUnit test driver",
	.major = 1,
};

KUNIT_DEFINE_ACTION_WRAPPER(msm_purgeable_test_put, drm_gem_object_put,
			    struct drm_gem_object *);
KUNIT_DEFINE_ACTION_WRAPPER(msm_purgeable_test_aspace_put, msm_gem_address_space_put,
			    struct msm_gem_address_space *);

static int msm_purgeable_test_init(struct kunit *test)
{
	struct msm_purgeable_test *t;
	struct msm_file_private *ctx;
	struct msm_drm_private *priv;
	struct drm_file *file_priv;
	struct device *dev;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	/* Write-combined BOs' pages are DMA-mapped to clean them. */
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	t->drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev, sizeof(*t->drm),
								 0, &msm_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->drm);

	/*
	 * What msm_drm_init() sets up for BOs. It and the file's private data
	 * are DRM-managed: the test's mappings hold the file, whose release
	 * uses them, until the test's mm goes away, which may be after KUnit
	 * cleaned the test up.
	 */
	priv = drmm_kzalloc(t->drm, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);
	priv->dev = t->drm;
	/* A GPU with its own MMU: BOs get shmem pages, not VRAM carveout. */
	priv->is_a2xx = true;
	INIT_LIST_HEAD(&priv->objects);
	mutex_init(&priv->obj_lock);
	mutex_init(&priv->lru.lock);
	drm_gem_lru_init(&priv->lru.unbacked, &priv->lru.lock);
	drm_gem_lru_init(&priv->lru.pinned, &priv->lru.lock);
	drm_gem_lru_init(&priv->lru.willneed, &priv->lru.lock);
	drm_gem_lru_init(&priv->lru.dontneed, &priv->lru.lock);
	t->drm->dev_private = priv;
	t->priv = priv;
	KUNIT_ASSERT_EQ(test, msm_gem_shrinker_init(t->drm), 0);
	ret = drmm_add_action_or_reset(t->drm, msm_test_shrinker_cleanup, NULL);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* A GPU address space, as a submit maps BOs into. */
	t->mmu = kzalloc(sizeof(*t->mmu), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->mmu);
	msm_mmu_init(&t->mmu->base, dev, &msm_test_mmu_funcs, MSM_MMU_IOMMU);
	t->aspace = msm_gem_address_space_create(&t->mmu->base, "test", SZ_16M, SZ_256M);
	if (IS_ERR(t->aspace))
		kfree(t->mmu);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->aspace);
	ret = kunit_add_action_or_reset(test, msm_purgeable_test_aspace_put, t->aspace);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* What msm_open() sets up that BOs use: the per-file memory count. */
	ctx = drmm_kzalloc(t->drm, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	t->file = drm_kunit_helper_open_file(test, t->drm->primary, O_RDWR);
	file_priv = t->file->private_data;
	file_priv->driver_priv = ctx;

	/* A BO as MSM_GEM_NEW makes it: write-combined, with a handle. */
	ret = msm_gem_new_handle(t->drm, file_priv, TEST_SIZE, MSM_BO_WC, &t->handle, "test");
	KUNIT_ASSERT_EQ(test, ret, 0);
	t->obj = drm_gem_object_lookup(file_priv, t->handle);
	KUNIT_ASSERT_NOT_NULL(test, t->obj);
	ret = kunit_add_action_or_reset(test, msm_purgeable_test_put, t->obj);
	KUNIT_ASSERT_EQ(test, ret, 0);
	t->bo = to_msm_bo(t->obj);
	KUNIT_ASSERT_EQ(test, drm_gem_create_mmap_offset(t->obj), 0);

	return 0;
}

static unsigned long msm_purgeable_test_mmap(struct kunit *test, unsigned long flags)
{
	struct msm_purgeable_test *t = test->priv;
	unsigned long addr;

	addr = kunit_vm_mmap(test, t->file, 0, TEST_SIZE, PROT_READ | PROT_WRITE, flags,
			     drm_vma_node_offset_addr(&t->obj->vma_node));
	KUNIT_ASSERT_FALSE_MSG(test, !addr || IS_ERR_VALUE(addr),
			       "mmap failed: %ld", (long)addr);
	return addr;
}

/*
 * The pages of [addr, addr + TEST_SIZE) that have a page-table entry; each
 * must map the BO's page of its index.
 */
static int msm_purgeable_test_ptes(struct kunit *test, unsigned long addr)
{
	struct msm_purgeable_test *t = test->priv;
	struct drm_kunit_user_pte ptes[TEST_PAGES];
	int i, present;

	present = drm_kunit_helper_user_ptes(addr, TEST_PAGES, ptes);
	for (i = 0; i < TEST_PAGES; i++)
		if (ptes[i].present)
			KUNIT_EXPECT_TRUE_MSG(test, t->bo->pages &&
					      ptes[i].pfn == page_to_pfn(t->bo->pages[i]),
					      "page %d maps the wrong page", i);

	return present;
}

/* The MSM_GEM_MADVISE ioctl: retained, or a negative errno. */
static int msm_purgeable_test_ioctl(struct kunit *test, u32 handle, u32 madv)
{
	struct msm_purgeable_test *t = test->priv;
	struct drm_msm_gem_madvise args = {
		.handle = handle,
		.madv = madv,
		.retained = 0xdead,
	};
	int ret;

	ret = msm_ioctl_gem_madvise(t->drm, &args, t->file->private_data);
	return ret ?: args.retained;
}

static int msm_purgeable_test_madvise(unsigned long addr, int advice)
{
	return do_madvise(current->mm, addr, TEST_SIZE, advice);
}

/*
 * Run the test device's shrinker as reclaim does. What it returns is not
 * checked: msm's scan answers SHRINK_STOP once its lists are empty, also
 * after it freed something; the tests look at the BO instead.
 */
static void msm_purgeable_test_shrink(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = TEST_PAGES,
	};

	t->priv->shrinker->scan_objects(t->priv->shrinker, &sc);
}

/* Map the BO into the GPU address space, as a submit does, and unpin it. */
static void msm_purgeable_test_gpu_map(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	u64 iova;

	KUNIT_ASSERT_EQ(test, msm_gem_get_and_pin_iova(t->obj, t->aspace, &iova), 0);
	msm_gem_unpin_iova(t->obj, t->aspace);
	KUNIT_EXPECT_EQ(test, t->mmu->mapped, TEST_SIZE);
}

/*
 * The ioctl and madvise() make the same state changes, move the BO between
 * the shrinker's lists alike, and agree on "retained".
 */
static void msm_test_ioctl_and_madvise_agree(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	struct msm_drm_private *priv = t->priv;
	unsigned long addr;
	u32 val = 0;

	addr = msm_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, priv->lru.willneed.count, TEST_PAGES);

	KUNIT_EXPECT_EQ(test, put_user(0x5eed, (u32 __user *)addr), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_FREE), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, priv->lru.dontneed.count, TEST_PAGES);

	/* Purgeable, not purged: still served, as on the shmem drivers. */
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)addr), 0);
	KUNIT_EXPECT_EQ(test, val, 0x5eed);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_WILLNEED), 1);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, priv->lru.dontneed.count, 0);
	KUNIT_EXPECT_EQ(test, priv->lru.willneed.count, TEST_PAGES);

	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, priv->lru.dontneed.count, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, priv->lru.dontneed.count, 0);

	/* Purged through madvise(): both report it, and it stays purged. */
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_REMOVE), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, __MSM_MADV_PURGED);
	KUNIT_EXPECT_NULL(test, t->bo->pages);
	KUNIT_EXPECT_EQ(test, priv->lru.unbacked.count, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_WILLNEED), -EFAULT);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, __MSM_MADV_PURGED);
	KUNIT_EXPECT_EQ(test, priv->lru.dontneed.count, 0);
}

/*
 * A BO the GPU has mapped and the ioctl made purgeable is purged by msm's
 * shrinker: GPU mapping torn down, pages gone, CPU mapping revoked (a touch
 * faults, populate reports EFAULT), and both the ioctl and madvise() then
 * report it purged.
 */
static void msm_test_shrinker_purges(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	unsigned long addr;
	u32 val;

	msm_purgeable_test_gpu_map(test);
	addr = msm_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, put_user(0xc0ffee, (u32 __user *)addr), 0);
	KUNIT_EXPECT_EQ(test, *(u32 *)page_address(t->bo->pages[0]), 0xc0ffee);

	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, t->priv->lru.dontneed.count, TEST_PAGES);
	msm_purgeable_test_shrink(test);

	KUNIT_EXPECT_EQ(test, t->bo->madv, __MSM_MADV_PURGED);
	KUNIT_EXPECT_EQ(test, t->mmu->mapped, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->bo->vmas));
	KUNIT_EXPECT_NULL(test, t->bo->pages);
	KUNIT_EXPECT_NULL(test, t->bo->sgt);
	KUNIT_EXPECT_EQ(test, t->priv->lru.dontneed.count, 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, copy_from_user(&val, (u32 __user *)addr, sizeof(val)), sizeof(val));
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_POPULATE_READ), -EFAULT);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_WILLNEED), -EFAULT);
}

/*
 * MAP_POPULATE and MADV_POPULATE_WRITE map every page of the BO; after the
 * head of a mapping is unmapped, populate and the fault handler still map
 * each address to its own page of the BO.
 */
static void msm_test_populate(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	unsigned long addr;
	u32 *vaddr, val;
	int i;

	addr = msm_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES);

	addr = msm_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES);

	/* Each page carries its index, written through a kernel mapping. */
	vaddr = msm_gem_get_vaddr(t->obj);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vaddr);
	for (i = 0; i < TEST_PAGES; i++)
		vaddr[i * PAGE_SIZE / sizeof(u32)] = 0x600d0000 + i;
	msm_gem_put_vaddr(t->obj);

	addr = msm_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)(addr + PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, val, 0x600d0001);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr + PAGE_SIZE,
					 TEST_SIZE - PAGE_SIZE, MADV_POPULATE_READ), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES - 1);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)(addr + 3 * PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, val, 0x600d0003);
}

/*
 * A purgeable BO that is not purged yet keeps serving its pages, as on the
 * shmem drivers: a touch maps the page, populate works, and the contents
 * are there when it is needed again.
 */
static void msm_test_fault_purgeable(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	unsigned long addr;
	u32 val = 0;

	addr = msm_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, put_user(0xc0ffee, (u32 __user *)addr), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, TEST_SIZE), 0);

	addr = msm_purgeable_test_mmap(test, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)addr), 0);
	KUNIT_EXPECT_EQ(test, val, 0xc0ffee);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_POPULATE_READ), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_DONTNEED);

	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)(addr + PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, val, 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(msm_purgeable_test_dma_buf_put, dma_buf_put, struct dma_buf *);

/*
 * An exported BO that the ioctl made purgeable is neither purged nor
 * evicted by msm's shrinker: a mapping of its dma-buf, which zapping the
 * DRM file's mappings does not reach, would keep the freed pages mapped.
 */
static void msm_test_exported_not_purged(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	struct dma_buf *dmabuf;
	unsigned long addr;
	u32 val = 0;
	int ret;

	msm_purgeable_test_gpu_map(test);
	dmabuf = drm_gem_prime_handle_to_dmabuf(t->drm, t->file->private_data,
						t->handle, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	ret = kunit_add_action_or_reset(test, msm_purgeable_test_dma_buf_put, dmabuf);
	KUNIT_ASSERT_EQ(test, ret, 0);
	addr = kunit_vm_mmap(test, dmabuf->file, 0, TEST_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, !addr || IS_ERR_VALUE(addr));
	KUNIT_EXPECT_EQ(test, put_user(0xd1ab0f, (u32 __user *)addr), 0);

	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 1);
	msm_purgeable_test_shrink(test);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_DONTNEED);
	KUNIT_EXPECT_NOT_NULL(test, t->bo->pages);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)addr), 0);
	KUNIT_EXPECT_EQ(test, val, 0xd1ab0f);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, TEST_SIZE), 0);
}

/* A GPU job that has not finished; freed by dma_fence_free() on the last put. */
struct msm_test_fence {
	struct dma_fence base;	/* first: the default release frees it */
	spinlock_t lock;
};

static const char *msm_test_fence_name(struct dma_fence *fence)
{
	return "msm-test";
}

static const struct dma_fence_ops msm_test_fence_ops = {
	.get_driver_name = msm_test_fence_name,
	.get_timeline_name = msm_test_fence_name,
};

/*
 * A BO that is pinned (scanout, a submit in flight) or that the GPU still
 * uses (an unsignaled fence) is neither purged by MADV_REMOVE (EBUSY) nor by
 * the shrinker; once idle, it is.
 */
static void msm_test_purge_busy(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	struct msm_test_fence *job;
	unsigned long addr;
	u64 iova;
	int ret;

	addr = msm_purgeable_test_mmap(test, MAP_SHARED | MAP_POPULATE);

	KUNIT_ASSERT_EQ(test, msm_gem_get_and_pin_iova(t->obj, t->aspace, &iova), 0);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 1);
	msm_purgeable_test_shrink(test);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, t->mmu->mapped, TEST_SIZE);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_WILLNEED), 1);
	msm_gem_unpin_iova(t->obj, t->aspace);

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, job);
	spin_lock_init(&job->lock);
	dma_fence_init(&job->base, &msm_test_fence_ops, &job->lock,
		       dma_fence_context_alloc(1), 1);
	dma_resv_lock(t->obj->resv, NULL);
	ret = dma_resv_reserve_fences(t->obj->resv, 1);
	if (!ret)
		dma_resv_add_fence(t->obj->resv, &job->base, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(t->obj->resv);
	if (ret)
		dma_fence_put(&job->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, MSM_MADV_DONTNEED), 1);
	msm_purgeable_test_shrink(test);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, t->mmu->mapped, TEST_SIZE);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), TEST_PAGES);

	/* The job is done: purged now. */
	dma_fence_signal(&job->base);
	dma_fence_put(&job->base);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_madvise(addr, MADV_REMOVE), 0);
	KUNIT_EXPECT_EQ(test, t->bo->madv, __MSM_MADV_PURGED);
	KUNIT_EXPECT_EQ(test, t->mmu->mapped, 0);
	KUNIT_EXPECT_NULL(test, t->bo->pages);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ptes(test, addr), 0);
}

/* vmf_insert_pfn() cannot map into a copy-on-write mapping: mmap refuses it. */
static void msm_test_cow_refused(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;
	unsigned long addr;

	addr = kunit_vm_mmap(test, t->file, 0, TEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			     drm_vma_node_offset_addr(&t->obj->vma_node));
	KUNIT_EXPECT_EQ(test, (long)addr, -EINVAL);
}

/* Bad ioctl input: an unknown advice or handle changes nothing. */
static void msm_test_ioctl_bad_input(struct kunit *test)
{
	struct msm_purgeable_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle, ~0u), -EINVAL);
	KUNIT_EXPECT_EQ(test, msm_purgeable_test_ioctl(test, t->handle + 1, MSM_MADV_DONTNEED),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, t->bo->madv, MSM_MADV_WILLNEED);
}

static struct kunit_case msm_purgeable_test_cases[] = {
	KUNIT_CASE(msm_test_ioctl_and_madvise_agree),
	KUNIT_CASE(msm_test_shrinker_purges),
	KUNIT_CASE(msm_test_populate),
	KUNIT_CASE(msm_test_fault_purgeable),
	KUNIT_CASE(msm_test_exported_not_purged),
	KUNIT_CASE(msm_test_purge_busy),
	KUNIT_CASE(msm_test_cow_refused),
	KUNIT_CASE(msm_test_ioctl_bad_input),
	{}
};

static struct kunit_suite msm_purgeable_test_suite = {
	.name = "msm-purgeable",
	.init = msm_purgeable_test_init,
	.test_cases = msm_purgeable_test_cases,
};

kunit_test_suite(msm_purgeable_test_suite);
