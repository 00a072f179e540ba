// SPDX-License-Identifier: GPL-2.0 AND MIT
/*
 * KUnit tests for populating user mappings of TTM buffer objects
 * (ttm_bo_vm_populate(), through drm_gem_ttm_populate()): mmap(MAP_POPULATE)
 * and madvise(MADV_POPULATE_READ/WRITE) on GEM mmaps of BOs in system, TT and
 * I/O memory placements, mapped into the test's mm through a DRM file.
 *
 * The page tables are read back: every address must map the page the BO has
 * at that offset, with the caching TTM's fault handler gives it. A BO that is
 * being moved (an unsignalled kernel fence) is populated only after the fence
 * signals, and the mmap_lock is free while populate waits for it.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmap_lock.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>

#ifdef CONFIG_X86
#include <asm/memtype.h>
#endif

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_ttm_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>
#include <drm/ttm/ttm_range_manager.h>
#include <drm/ttm/ttm_tt.h>

#include "ttm_kunit_helpers.h"

#define BO_PAGES	16
#define BO_SIZE		(BO_PAGES * PAGE_SIZE)

DEFINE_DRM_GEM_FOPS(ttm_bo_vm_test_fops);

static const struct drm_driver ttm_bo_vm_test_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &ttm_bo_vm_test_fops,
	.name = "ttm-bo-vm-test",
	.desc = "TTM populate KUnit test driver",
	.major = 1,
};

struct ttm_bo_vm_param {
	const char *desc;
	u32 mem_type;
	enum ttm_caching caching;
};

static const struct ttm_bo_vm_param ttm_bo_vm_params[] = {
	{ "system-cached", TTM_PL_SYSTEM, ttm_cached },
	{ "system-wc", TTM_PL_SYSTEM, ttm_write_combined },
	{ "tt-uncached", TTM_PL_TT, ttm_uncached },
	{ "iomem-wc", TTM_PL_VRAM, ttm_write_combined },
};

static void ttm_bo_vm_param_desc(const struct ttm_bo_vm_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ttm_bo_vm, ttm_bo_vm_params, ttm_bo_vm_param_desc);

struct ttm_bo_vm_test {
	struct ttm_device ttm;
	struct drm_device *drm;
	struct file *file;
	struct ttm_buffer_object *bo;
	enum ttm_caching caching;
	/* "VRAM": RAM that the I/O placement's io_mem_reserve() points at */
	struct page *vram;
};

static struct ttm_tt *ttm_bo_vm_test_tt_create(struct ttm_buffer_object *bo,
					       u32 page_flags)
{
	struct ttm_bo_vm_test *t = container_of(bo->bdev, struct ttm_bo_vm_test, ttm);
	struct ttm_tt *tt;

	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt)
		return NULL;
	if (ttm_tt_init(tt, bo, page_flags, t->caching, 0)) {
		kfree(tt);
		return NULL;
	}

	return tt;
}

static void ttm_bo_vm_test_tt_destroy(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_tt_fini(tt);
	kfree(tt);
}

static int ttm_bo_vm_test_io_mem_reserve(struct ttm_device *bdev,
					 struct ttm_resource *mem)
{
	struct ttm_bo_vm_test *t = container_of(bdev, struct ttm_bo_vm_test, ttm);

	if (mem->mem_type != TTM_PL_VRAM)
		return 0;
	mem->bus.offset = page_to_phys(t->vram) + (mem->start << PAGE_SHIFT);
	mem->bus.is_iomem = true;
	mem->bus.caching = t->caching;

	return 0;
}

static int ttm_bo_vm_test_move(struct ttm_buffer_object *bo, bool evict,
			       struct ttm_operation_ctx *ctx,
			       struct ttm_resource *new_mem,
			       struct ttm_place *hop)
{
	/* Only the first placement, of a new BO: nothing to copy. */
	ttm_bo_move_null(bo, new_mem);

	return 0;
}

static struct ttm_device_funcs ttm_bo_vm_test_funcs = {
	.ttm_tt_create = ttm_bo_vm_test_tt_create,
	.ttm_tt_destroy = ttm_bo_vm_test_tt_destroy,
	.io_mem_reserve = ttm_bo_vm_test_io_mem_reserve,
	.move = ttm_bo_vm_test_move,
};

static void ttm_bo_vm_test_gem_free(struct drm_gem_object *obj)
{
	ttm_bo_put(drm_gem_ttm_of_gem(obj));
}

static const struct drm_gem_object_funcs ttm_bo_vm_test_gem_funcs = {
	.free = ttm_bo_vm_test_gem_free,
	.mmap = drm_gem_ttm_mmap,
	.populate = drm_gem_ttm_populate,
};

static void ttm_bo_vm_test_bo_destroy(struct ttm_buffer_object *bo)
{
	drm_gem_object_release(&bo->base);
	kfree(bo);
}

/*
 * Released with the DRM device, after the last DRM file: the test's mm, whose
 * mappings hold the BO and the file, may be torn down only after KUnit has
 * cleaned the test up.
 */
static void ttm_bo_vm_test_fini(struct drm_device *drm, void *ptr)
{
	struct ttm_bo_vm_test *t = ptr;

	ttm_range_man_fini(&t->ttm, TTM_PL_TT);
	ttm_range_man_fini(&t->ttm, TTM_PL_VRAM);
	ttm_device_fini(&t->ttm);
	__free_pages(t->vram, get_order(BO_SIZE));
}

KUNIT_DEFINE_ACTION_WRAPPER(ttm_bo_vm_test_gem_put, drm_gem_object_put,
			    struct drm_gem_object *);

static int ttm_bo_vm_test_init(struct kunit *test)
{
	const struct ttm_bo_vm_param *param = test->param_value;
	struct ttm_place place = { .mem_type = param ? param->mem_type : TTM_PL_SYSTEM };
	struct ttm_placement placement = { .num_placement = 1, .placement = &place };
	struct ttm_bo_vm_test *t;
	struct device *dev;
	int ret;

	struct drm_device *drm;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev, sizeof(*drm),
							      0, &ttm_bo_vm_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm);
	t = drmm_kzalloc(drm, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	t->drm = drm;
	t->caching = param ? param->caching : ttm_cached;

	t->vram = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(BO_SIZE));
	KUNIT_ASSERT_NOT_NULL(test, t->vram);
	ret = ttm_device_init(&t->ttm, &ttm_bo_vm_test_funcs, dev,
			      t->drm->anon_inode->i_mapping,
			      t->drm->vma_offset_manager, false, false);
	if (ret)
		__free_pages(t->vram, get_order(BO_SIZE));
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = ttm_range_man_init(&t->ttm, TTM_PL_TT, true, BO_PAGES);
	if (!ret)
		ret = ttm_range_man_init(&t->ttm, TTM_PL_VRAM, false, BO_PAGES);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = drmm_add_action_or_reset(drm, ttm_bo_vm_test_fini, t);
	KUNIT_ASSERT_EQ(test, ret, 0);

	t->bo = kzalloc(sizeof(*t->bo), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->bo);
	t->bo->base.funcs = &ttm_bo_vm_test_gem_funcs;
	drm_gem_private_object_init(t->drm, &t->bo->base, BO_SIZE);
	ret = ttm_bo_init_validate(&t->ttm, t->bo, ttm_bo_type_device, &placement,
				   0, false, NULL, NULL, ttm_bo_vm_test_bo_destroy);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, ttm_bo_vm_test_gem_put, &t->bo->base);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, t->bo->resource->mem_type, place.mem_type);

	/* Put before the BO and the device: drops the handle's reference. */
	t->file = drm_kunit_helper_gem_file(test, &t->bo->base);

	return 0;
}

static unsigned long ttm_bo_vm_test_mmap(struct kunit *test, unsigned long flags)
{
	struct ttm_bo_vm_test *t = test->priv;

	return drm_kunit_helper_gem_mmap(test, t->file, &t->bo->base, BO_SIZE,
					 PROT_READ | PROT_WRITE, MAP_SHARED | flags);
}

/* The page frame that page @i of the BO is at. */
static unsigned long ttm_bo_vm_test_pfn(struct ttm_bo_vm_test *t, int i)
{
	struct ttm_resource *res = t->bo->resource;

	if (res->mem_type == TTM_PL_VRAM)
		return page_to_pfn(t->vram) + res->start + i;
	return page_to_pfn(t->bo->ttm->pages[i]);
}

/* The cache attribute bits of a protection, where the architecture has them. */
static unsigned long ttm_bo_vm_test_cache_bits(pgprot_t prot)
{
#ifdef CONFIG_X86
	return pgprot_val(prot) & _PAGE_CACHE_MASK;
#else
	return 0;
#endif
}

/*
 * MAP_POPULATE maps every page of the BO, writable, at the page frame the BO
 * has there and with the caching of a fault: a second mapping, faulted in
 * page by page, is the reference.
 */
static void ttm_bo_vm_test_populate(struct kunit *test)
{
	struct ttm_bo_vm_test *t = test->priv;
	struct drm_kunit_user_pte *pop, *flt;
	unsigned long addr, faulted;
	int i;

	pop = kunit_kcalloc(test, BO_PAGES, sizeof(*pop), GFP_KERNEL);
	flt = kunit_kcalloc(test, BO_PAGES, sizeof(*flt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pop);
	KUNIT_ASSERT_NOT_NULL(test, flt);

	addr = ttm_bo_vm_test_mmap(test, MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_user_ptes(addr, BO_PAGES, pop),
			BO_PAGES);

	faulted = ttm_bo_vm_test_mmap(test, 0);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_user_ptes(faulted, BO_PAGES, flt), 0);
	for (i = 0; i < BO_PAGES; i++) {
		u32 __maybe_unused val;

		KUNIT_ASSERT_EQ(test, get_user(val, (u32 __user *)(faulted + i * PAGE_SIZE)), 0);
	}
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_user_ptes(faulted, BO_PAGES, flt),
			BO_PAGES);

	for (i = 0; i < BO_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, pop[i].present, "page %d not mapped", i);
		if (!pop[i].present)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, pop[i].pfn, ttm_bo_vm_test_pfn(t, i),
				    "page %d maps the wrong page frame", i);
		KUNIT_EXPECT_TRUE_MSG(test, pop[i].writable, "page %d read-only", i);
		KUNIT_EXPECT_EQ_MSG(test, ttm_bo_vm_test_cache_bits(pop[i].prot),
				    ttm_bo_vm_test_cache_bits(flt[i].prot),
				    "page %d: populate and fault disagree on caching", i);
	}
#ifdef CONFIG_X86
	/* Write-combined pages of a ttm_tt are WC (the pool set their memtype). */
	if (t->caching == ttm_write_combined && t->bo->resource->mem_type != TTM_PL_VRAM &&
	    pat_enabled())
		KUNIT_EXPECT_EQ(test, ttm_bo_vm_test_cache_bits(pop[0].prot),
				(unsigned long)cachemode2protval(_PAGE_CACHE_MODE_WC));
	if (t->caching == ttm_cached)
		KUNIT_EXPECT_EQ(test, ttm_bo_vm_test_cache_bits(pop[0].prot), 0UL);
#endif
}

/*
 * MADV_POPULATE_READ of part of a mapping whose head was unmapped maps just
 * that part, with the BO's pages at the mapping's offset into it.
 */
static void ttm_bo_vm_test_populate_part(struct kunit *test)
{
	struct ttm_bo_vm_test *t = test->priv;
	struct drm_kunit_user_pte ptes[BO_PAGES];
	unsigned long addr;
	int i;

	addr = ttm_bo_vm_test_mmap(test, 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, 2 * PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr + 4 * PAGE_SIZE,
					 4 * PAGE_SIZE, MADV_POPULATE_READ), 0);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_user_ptes(addr, BO_PAGES, ptes), 4);
	for (i = 0; i < BO_PAGES; i++) {
		KUNIT_EXPECT_EQ_MSG(test, ptes[i].present, i >= 4 && i < 8,
				    "page %d", i);
		if (ptes[i].present)
			KUNIT_EXPECT_EQ_MSG(test, ptes[i].pfn, ttm_bo_vm_test_pfn(t, i),
					    "page %d maps the wrong page frame", i);
	}
}

static const char *ttm_bo_vm_fence_name(struct dma_fence *fence)
{
	return "ttm-bo-vm-test";
}

struct ttm_bo_vm_signaller {
	struct dma_fence fence;
	spinlock_t lock;	/* the fence's */
	struct mm_struct *mm;
	unsigned long addr;
	struct completion started;
	bool waited;		/* populate was seen waiting for the fence */
	bool lock_free;		/* the mmap_lock was free meanwhile */
	int mapped;		/* entries present before the fence signalled */
};

/* Freed with the last reference, the BO's reservation object's or the test's. */
static void ttm_bo_vm_fence_release(struct dma_fence *fence)
{
	kfree(container_of(fence, struct ttm_bo_vm_signaller, fence));
}

static const struct dma_fence_ops ttm_bo_vm_fence_ops = {
	.get_driver_name = ttm_bo_vm_fence_name,
	.get_timeline_name = ttm_bo_vm_fence_name,
	.release = ttm_bo_vm_fence_release,
};

/*
 * Wait until populate waits for the fence (a callback is added to it), check
 * that populate holds no mmap_lock meanwhile and mapped nothing yet, and
 * signal the fence. Signals it anyway after 10 s, so that a populate waiting
 * with the mmap_lock held fails the test instead of hanging it.
 */
static int ttm_bo_vm_signaller_fn(void *data)
{
	struct ttm_bo_vm_signaller *s = data;
	struct drm_kunit_user_pte ptes[BO_PAGES];
	int i;

	wait_for_completion(&s->started);
	for (i = 0; i < 500 && !s->waited; i++) {
		unsigned long flags;

		spin_lock_irqsave(&s->lock, flags);
		s->waited = !list_empty(&s->fence.cb_list);
		spin_unlock_irqrestore(&s->lock, flags);
		if (!s->waited)
			msleep(20);
	}
	if (s->waited) {
		/* Nothing else uses the test's mm. */
		s->lock_free = !rwsem_is_locked(&s->mm->mmap_lock);
		s->mapped = drm_kunit_helper_mm_ptes(s->mm, s->addr, BO_PAGES, ptes);
	}
	dma_fence_signal(&s->fence);

	return 0;
}

/*
 * A BO being moved (an unsignalled kernel fence) is populated once the fence
 * signals, and populate waits for it without the mmap_lock, as TTM's fault
 * handler does.
 */
static void ttm_bo_vm_test_wait_fence(struct kunit *test)
{
	struct ttm_bo_vm_test *t = test->priv;
	struct drm_kunit_user_pte ptes[BO_PAGES];
	struct ttm_bo_vm_signaller *s;
	struct task_struct *thread;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_init(&s->lock);
	init_completion(&s->started);
	dma_fence_init(&s->fence, &ttm_bo_vm_fence_ops, &s->lock,
		       dma_fence_context_alloc(1), 1);

	dma_resv_lock(t->bo->base.resv, NULL);
	ret = dma_resv_reserve_fences(t->bo->base.resv, 1);
	if (!ret)
		dma_resv_add_fence(t->bo->base.resv, &s->fence, DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(t->bo->base.resv);
	if (ret)
		dma_fence_put(&s->fence);
	KUNIT_ASSERT_EQ(test, ret, 0);

	s->addr = ttm_bo_vm_test_mmap(test, 0);
	s->mm = current->mm;
	thread = kthread_run(ttm_bo_vm_signaller_fn, s, "ttm-bo-vm-test");
	if (IS_ERR(thread)) {
		dma_fence_signal(&s->fence);
		dma_fence_put(&s->fence);
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	get_task_struct(thread);

	complete(&s->started);
	ret = do_madvise(current->mm, s->addr, BO_SIZE, MADV_POPULATE_WRITE);
	kthread_stop(thread);
	put_task_struct(thread);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE_MSG(test, s->waited, "populate did not wait for the fence");
	KUNIT_EXPECT_TRUE_MSG(test, s->lock_free,
			      "populate held the mmap_lock while waiting for the fence");
	KUNIT_EXPECT_EQ(test, s->mapped, 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&s->fence));
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_user_ptes(s->addr, BO_PAGES, ptes),
			BO_PAGES);
	dma_fence_put(&s->fence);
}

static struct kunit_case ttm_bo_vm_test_cases[] = {
	KUNIT_CASE_PARAM(ttm_bo_vm_test_populate, ttm_bo_vm_gen_params),
	KUNIT_CASE_PARAM(ttm_bo_vm_test_populate_part, ttm_bo_vm_gen_params),
	KUNIT_CASE(ttm_bo_vm_test_wait_fence),
	{}
};

static struct kunit_suite ttm_bo_vm_test_suite = {
	.name = "ttm_bo_vm_populate",
	.init = ttm_bo_vm_test_init,
	.test_cases = ttm_bo_vm_test_cases,
};

kunit_test_suites(&ttm_bo_vm_test_suite);

MODULE_DESCRIPTION("KUnit tests for populating mappings of TTM buffer objects");
MODULE_LICENSE("GPL and additional rights");
