// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for standard memory-management calls on GEM mmaps, on real
 * shmem GEM objects mapped into the test's mm through a DRM file with
 * DRM_GEM_FOPS.
 *
 * drm_gem_populate: mmap(MAP_POPULATE) and madvise(MADV_POPULATE_READ/WRITE).
 * Each case runs twice: through the shmem helpers' bulk populate, and through
 * the generic fallback that drives the object's fault handler. Page tables
 * are read with drm_kunit_helper_user_ptes(): every populated address must map
 * the object page that its offset into the object names.
 *
 * drm_gem_advise: purgeable objects through madvise(MADV_FREE, MADV_WILLNEED,
 * MADV_REMOVE, MADV_DONTNEED): the state machine, the coverage, permission
 * and sharing rules, purging a mapped object, and the shmem shrinker.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/shrinker.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include <kunit/static_stub.h>
#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_dma_helper.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>

MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define TEST_PAGES	16
#define TEST_SIZE	(TEST_PAGES * PAGE_SIZE)

DEFINE_DRM_GEM_FOPS(populate_test_fops);

static const struct drm_driver populate_test_driver = {
	.driver_features = DRIVER_GEM | DRIVER_GEM_PURGEABLE,
	.fops = &populate_test_fops,
	.name = "populate-test",
	.desc = "GEM populate KUnit test driver",
	.major = 1,
};

struct populate_param {
	const char *desc;
	bool fallback;		/* no drm_gem_object_funcs.populate */
};

static const struct populate_param populate_params[] = {
	{ .desc = "shmem-populate", .fallback = false },
	{ .desc = "fault-fallback", .fallback = true },
};

static void populate_param_desc(const struct populate_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(populate, populate_params, populate_param_desc);

struct populate_test {
	struct drm_device *drm;
	struct file *file;
	struct drm_gem_shmem_object *shmem;
	/*
	 * The object's functions, modified per test, in DRM-managed memory:
	 * the test's mm, whose mappings use them, may be torn down after
	 * KUnit cleaned the test up; it holds the device through the
	 * mappings' file until then.
	 */
	struct drm_gem_object_funcs *funcs;
};

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_object_put_wrapper, drm_gem_object_put,
			    struct drm_gem_object *);

static int populate_test_init(struct kunit *test)
{
	const struct populate_param *param = test->param_value;
	struct populate_test *t;
	struct device *dev;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	t->drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev, sizeof(*t->drm),
								 0, &populate_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->drm);

	t->shmem = drm_gem_shmem_create(t->drm, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->shmem);
	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper,
					&t->shmem->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	t->funcs = drmm_kmalloc(t->drm, sizeof(*t->funcs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->funcs);
	*t->funcs = *t->shmem->base.funcs;
	t->funcs->advise = drm_gem_shmem_object_advise;
	if (param && param->fallback)
		t->funcs->populate = NULL;
	t->shmem->base.funcs = t->funcs;
	t->file = drm_kunit_helper_gem_file(test, &t->shmem->base);

	return 0;
}

static unsigned long populate_test_mmap(struct kunit *test, unsigned long prot,
					unsigned long flags)
{
	struct populate_test *t = test->priv;

	return drm_kunit_helper_gem_mmap(test, t->file, &t->shmem->base, TEST_SIZE,
					 prot, flags);
}

/*
 * Count the pages of [addr, addr + npages) that have a page-table entry, and
 * check that each maps the object page @first + its index (and is writable,
 * if @writable).
 */
static int populate_test_count_ptes(struct kunit *test, unsigned long addr,
				    int npages, pgoff_t first, bool writable)
{
	struct populate_test *t = test->priv;
	struct drm_kunit_user_pte *ptes;
	int i, present;

	ptes = kunit_kcalloc(test, npages, sizeof(*ptes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ptes);
	present = drm_kunit_helper_expect_ptes(test, addr, t->shmem->pages + first,
					       npages, ptes);
	for (i = 0; writable && i < npages; i++)
		KUNIT_EXPECT_TRUE_MSG(test, !ptes[i].present || ptes[i].writable,
				      "page %d is not writable", i);

	return present;
}

/* MAP_POPULATE maps every page of the object, writable on a writable map. */
static void drm_gem_populate_test_map_populate(struct kunit *test)
{
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, true),
			TEST_PAGES);
}

/* Without MAP_POPULATE nothing is mapped until accessed: the control case. */
static void drm_gem_populate_test_no_populate(struct kunit *test)
{
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);
}

/* MADV_POPULATE_READ and _WRITE map every page of the range. */
static void drm_gem_populate_test_madv_populate(struct kunit *test)
{
	unsigned long addr;
	int ret;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	ret = do_madvise(current->mm, addr, TEST_SIZE / 2, MADV_POPULATE_READ);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES / 2);

	ret = do_madvise(current->mm, addr, TEST_SIZE, MADV_POPULATE_WRITE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, true),
			TEST_PAGES);
}

/*
 * MADV_POPULATE_WRITE leaves the entries young and dirty, as a write fault
 * does, also those a read populate made before, so that the first write
 * does not fault where the dirty bit is kept in software; a read populate
 * leaves them clean. Through the fallback too, whose fault handler maps
 * clean entries (vmf_insert_pfn()).
 */
static void drm_gem_populate_test_write_dirty(struct kunit *test)
{
	struct drm_kunit_user_pte ptes[TEST_PAGES];
	unsigned long addr;
	int i, ret;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	ret = do_madvise(current->mm, addr, TEST_SIZE / 2, MADV_POPULATE_READ);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, drm_kunit_helper_user_ptes(addr, TEST_PAGES, ptes),
			TEST_PAGES / 2);
	for (i = 0; i < TEST_PAGES / 2; i++)
		KUNIT_EXPECT_FALSE_MSG(test, ptes[i].dirty, "page %d", i);

	ret = do_madvise(current->mm, addr, TEST_SIZE, MADV_POPULATE_WRITE);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, drm_kunit_helper_user_ptes(addr, TEST_PAGES, ptes),
			TEST_PAGES);
	for (i = 0; i < TEST_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, ptes[i].writable, "page %d", i);
		KUNIT_EXPECT_TRUE_MSG(test, ptes[i].dirty, "page %d", i);
		KUNIT_EXPECT_TRUE_MSG(test, ptes[i].young, "page %d", i);
	}
}

/*
 * Write i + 1 to the first word of pages [@first, @last) of the mapping at
 * @addr, through the user mapping as a CPU access would. Returns the faults
 * that took: the task's fault counters, which handle_mm_fault() increments.
 */
static unsigned long populate_test_write_pages(struct kunit *test, unsigned long addr,
					       int first, int last)
{
	unsigned long faults = current->min_flt + current->maj_flt;
	int i;

	for (i = first; i < last; i++)
		KUNIT_ASSERT_EQ(test, put_user(i + 1, (u32 __user *)(addr + i * PAGE_SIZE)), 0);

	return current->min_flt + current->maj_flt - faults;
}

/*
 * The first write to a page after MADV_POPULATE_WRITE does not fault, where
 * the CPU keeps the dirty bit in software too (arm64 cores without hardware
 * DBM: make check runs this on QEMU's Cortex-A53), and lands in the object.
 * Writes to pages not populated fault, counted the same way: the control.
 */
static void drm_gem_populate_test_write_no_fault(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;
	u32 *vaddr;
	int i, ret;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	ret = do_madvise(current->mm, addr, TEST_SIZE / 2, MADV_POPULATE_WRITE);
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_EXPECT_EQ(test, populate_test_write_pages(test, addr, 0, TEST_PAGES / 2), 0);
	KUNIT_EXPECT_GE(test, populate_test_write_pages(test, addr, TEST_PAGES / 2, TEST_PAGES),
			TEST_PAGES / 2);

	for (i = 0; i < TEST_PAGES; i++) {
		vaddr = kmap_local_page(t->shmem->pages[i]);
		KUNIT_EXPECT_EQ_MSG(test, *vaddr, i + 1, "page %d", i);
		kunmap_local(vaddr);
	}
}

static unsigned int populate_test_retries;

/*
 * The shmem fault handler, but the first three faults that may be retried
 * drop the mmap_lock and ask for that, as TTM's handler does when it has to
 * wait for the GPU.
 */
static vm_fault_t populate_test_retry_fault(struct vm_fault *vmf)
{
	if (populate_test_retries < 3 &&
	    (vmf->flags & FAULT_FLAG_ALLOW_RETRY) &&
	    !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
		populate_test_retries++;
		release_fault_lock(vmf);
		return VM_FAULT_RETRY;
	}

	return drm_gem_shmem_vm_ops.fault(vmf);
}

static void populate_test_retry_open(struct vm_area_struct *vma)
{
	drm_gem_shmem_vm_ops.open(vma);
}

static void populate_test_retry_close(struct vm_area_struct *vma)
{
	drm_gem_shmem_vm_ops.close(vma);
}

static const struct vm_operations_struct populate_test_retry_vm_ops = {
	.fault = populate_test_retry_fault,
	.open = populate_test_retry_open,
	.close = populate_test_retry_close,
};

/*
 * Populating through the fault handler lets it drop the mmap_lock to wait,
 * as faultin_page_range() does for other mappings, and carries on once the
 * lock is taken again: every page ends up mapped, by MADV_POPULATE_READ and
 * by MAP_POPULATE alike.
 */
static void drm_gem_populate_test_fault_retry(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;
	int ret;

	t->funcs->vm_ops = &populate_test_retry_vm_ops;
	t->funcs->populate = NULL;

	populate_test_retries = 0;
	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	ret = do_madvise(current->mm, addr, TEST_SIZE, MADV_POPULATE_READ);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, populate_test_retries, 3);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES);

	populate_test_retries = 0;
	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, populate_test_retries, 3);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES);
}

static unsigned long populate_test_busy_addr;
static unsigned int populate_test_busy_run, populate_test_busy_max;
static unsigned int populate_test_busy_retries;

/*
 * TTM's fault handler on a busy object (ttm_bo_vm_reserve()): a first attempt
 * that may be retried drops the mmap_lock to wait and asks for a retry; the
 * retry (FAULT_FLAG_TRIED) waits with the lock held. Here every first attempt
 * finds the object busy. A caller that never sets FAULT_FLAG_TRIED gets
 * VM_FAULT_RETRY for ever: after 16 in a row at one address the handler gives
 * in, so that such a caller fails the test instead of hanging it.
 */
static vm_fault_t populate_test_busy_fault(struct vm_fault *vmf)
{
	if (vmf->address != populate_test_busy_addr) {
		populate_test_busy_addr = vmf->address;
		populate_test_busy_run = 0;
	}
	if (fault_flag_allow_retry_first(vmf->flags) &&
	    !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT) &&
	    populate_test_busy_run < 16) {
		populate_test_busy_run++;
		populate_test_busy_max = max(populate_test_busy_max,
					     populate_test_busy_run);
		populate_test_busy_retries++;
		release_fault_lock(vmf);
		return VM_FAULT_RETRY;
	}

	return drm_gem_shmem_vm_ops.fault(vmf);
}

static const struct vm_operations_struct populate_test_busy_vm_ops = {
	.fault = populate_test_busy_fault,
	.open = populate_test_retry_open,
	.close = populate_test_retry_close,
};

static void populate_test_busy_reset(void)
{
	populate_test_busy_addr = 0;
	populate_test_busy_run = 0;
	populate_test_busy_max = 0;
	populate_test_busy_retries = 0;
}

/*
 * After a handler dropped the mmap_lock, populate faults that page again with
 * FAULT_FLAG_TRIED, as GUP does: a handler that drops the lock only on the
 * first attempt (TTM) then makes progress on the second, instead of being
 * asked again and again while the object stays busy.
 */
static void drm_gem_populate_test_fault_tried(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;
	int ret;

	t->funcs->vm_ops = &populate_test_busy_vm_ops;
	t->funcs->populate = NULL;

	populate_test_busy_reset();
	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	ret = do_madvise(current->mm, addr, TEST_SIZE, MADV_POPULATE_WRITE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, populate_test_busy_max, 1);
	KUNIT_EXPECT_EQ(test, populate_test_busy_retries, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, true),
			TEST_PAGES);

	populate_test_busy_reset();
	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, populate_test_busy_max, 1);
	KUNIT_EXPECT_EQ(test, populate_test_busy_retries, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES);
}

/* Write populate of a read-only mapping is EINVAL and maps nothing. */
static void drm_gem_populate_test_readonly(struct kunit *test)
{
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_WRITE), -EINVAL);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_READ), 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES);
}

/* PROT_NONE cannot be populated either way: EINVAL, nothing mapped. */
static void drm_gem_populate_test_prot_none(struct kunit *test)
{
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_NONE, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_WRITE), -EINVAL);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);
}

/* Populating a purged object fails with EFAULT, as an access would SIGBUS. */
static void drm_gem_populate_test_purged(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = t->shmem;
	struct sg_table *sgt;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);

	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	dma_resv_lock(shmem->base.resv, NULL);
	KUNIT_ASSERT_TRUE(test, drm_gem_shmem_madvise(shmem, 1));
	KUNIT_ASSERT_TRUE(test, drm_gem_shmem_is_purgeable(shmem));
	drm_gem_shmem_purge(shmem);
	dma_resv_unlock(shmem->base.resv);

	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_READ), -EFAULT);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_WRITE), -EFAULT);
}

/*
 * After the head of a mapping is unmapped and a page in the middle too,
 * populating the pieces left maps each address to its own object page: the
 * offset comes from vm_pgoff, not from the start of the VMA.
 */
static void drm_gem_populate_test_split_vma(struct kunit *test)
{
	const int hole = TEST_PAGES / 2;
	unsigned long addr;
	int ret;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + hole * PAGE_SIZE, PAGE_SIZE), 0);

	ret = do_madvise(current->mm, addr + PAGE_SIZE, (hole - 1) * PAGE_SIZE,
			 MADV_POPULATE_WRITE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	ret = do_madvise(current->mm, addr + (hole + 1) * PAGE_SIZE,
			 (TEST_PAGES - hole - 1) * PAGE_SIZE, MADV_POPULATE_READ);
	KUNIT_EXPECT_EQ(test, ret, 0);

	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr + PAGE_SIZE,
						       hole - 1, 1, true),
			hole - 1);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr + (hole + 1) * PAGE_SIZE,
						       TEST_PAGES - hole - 1,
						       hole + 1, false),
			TEST_PAGES - hole - 1);

	/* A range over the hole populates up to it, then fails: ENOMEM. */
	ret = do_madvise(current->mm, addr + PAGE_SIZE, TEST_SIZE - PAGE_SIZE,
			 MADV_POPULATE_READ);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
}

KUNIT_DEFINE_ACTION_WRAPPER(dma_buf_put_wrapper, dma_buf_put, struct dma_buf *);

/*
 * A mapping of the object's dma-buf, one page into it, made while the object
 * had no fake mmap offset, maps each address to its own object page after
 * the object got one (as the GEM mmap-offset ioctls give it): the offset that
 * vm_pgoff counts from must not change after mmap().
 */
static void drm_gem_populate_test_dmabuf_before_offset(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_object *obj = &t->shmem->base;
	struct dma_buf *dmabuf;
	unsigned long addr;
	int ret;

	drm_gem_free_mmap_offset(obj);
	dmabuf = drm_gem_prime_export(obj, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	ret = kunit_add_action_or_reset(test, dma_buf_put_wrapper, dmabuf);
	KUNIT_ASSERT_EQ(test, ret, 0);

	addr = kunit_vm_mmap(test, dmabuf->file, 0, TEST_SIZE - PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, PAGE_SIZE);
	KUNIT_ASSERT_FALSE_MSG(test, !addr || IS_ERR_VALUE(addr),
			       "mmap failed: %ld", (long)addr);
	KUNIT_ASSERT_EQ(test, drm_gem_create_mmap_offset(obj), 0);

	ret = do_madvise(current->mm, addr, TEST_SIZE - PAGE_SIZE, MADV_POPULATE_WRITE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES - 1, 1, true),
			TEST_PAGES - 1);
}

/* What a driver's mmap may keep in vm_private_data instead of the object. */
struct populate_test_foreign {
	u32 cookie;
	struct drm_gem_object *obj;	/* for the close callback only */
};

static struct populate_test_foreign *populate_test_foreign_next;

static int populate_test_foreign_mmap(struct drm_gem_object *obj,
				      struct vm_area_struct *vma)
{
	struct populate_test_foreign *data = populate_test_foreign_next;

	/* drm_gem_mmap() stored the object; the driver replaces it. */
	data->obj = obj;
	vma->vm_private_data = data;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

static void populate_test_foreign_close(struct vm_area_struct *vma)
{
	struct populate_test_foreign *data = vma->vm_private_data;

	drm_gem_object_put(data->obj);
}

static const struct vm_operations_struct populate_test_foreign_vm_ops = {
	.close = populate_test_foreign_close,
};

/*
 * A driver whose mmap leaves its own data in vm_private_data: the populate
 * and advice hooks find no GEM object there and refuse the mapping (EINVAL)
 * without reading that data as one.
 */
static void drm_gem_populate_test_foreign_private_data(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct populate_test_foreign *data;
	unsigned long addr;

	/* Released with the device, after the test's mm dropped the mapping. */
	data = drmm_kzalloc(t->drm, sizeof(*data), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);
	data->cookie = 0x6b6b6b6b;
	populate_test_foreign_next = data;
	t->funcs->mmap = populate_test_foreign_mmap;
	t->funcs->vm_ops = &populate_test_foreign_vm_ops;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_WILLNEED), -EINVAL);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_FREE), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
}

/*
 * mlock() and MAP_LOCKED populate through __mm_populate() without asking for
 * MAP_POPULATE: device mappings stay unpopulated, as before the hook.
 */
static void drm_gem_populate_test_map_locked_unchanged(struct kunit *test)
{
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_LOCKED);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);
}

static int populate_test_cow_mmap(struct drm_gem_object *obj,
				  struct vm_area_struct *vma)
{
	/* Unlike drm_gem_shmem_mmap(), accept a private (COW) mapping. */
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	return 0;
}

static vm_fault_t populate_test_cow_fault(struct vm_fault *vmf)
{
	return drm_gem_shmem_vm_ops.fault(vmf);
}

/* The pages are pinned by the test, not by the mapping. */
static const struct vm_operations_struct populate_test_cow_vm_ops = {
	.fault = populate_test_cow_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_shmem_unpin_wrapper, drm_gem_shmem_unpin,
			    struct drm_gem_shmem_object *);

/*
 * A driver that lets a private writable mapping of its PFNs through (as msm
 * does) must not reach vmf_insert_pfn()'s BUG_ON for COW PFN mappings:
 * populate refuses COW mappings with EINVAL before calling the driver, and
 * MAP_POPULATE leaves them alone.
 */
static void drm_gem_populate_test_cow_refused(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;
	int ret;

	ret = drm_gem_shmem_pin(t->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, drm_gem_shmem_unpin_wrapper, t->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	t->funcs->mmap = populate_test_cow_mmap;
	t->funcs->vm_ops = &populate_test_cow_vm_ops;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, TEST_SIZE,
					 MADV_POPULATE_WRITE), -EINVAL);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);
}

static int advise_test_madvise(unsigned long addr, size_t len, int advice)
{
	return do_madvise(current->mm, addr, len, advice);
}

/* needed -> purgeable -> needed -> purgeable -> purged, and purged stays. */
static void drm_gem_advise_test_state_machine(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_object *obj = &t->shmem->base;

	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(obj, DRM_GEM_ADVICE_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 1);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(obj, DRM_GEM_ADVICE_WILLNEED), 1);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(obj, DRM_GEM_ADVICE_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(obj, DRM_GEM_ADVICE_PURGE), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, -1);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(obj, DRM_GEM_ADVICE_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, drm_gem_object_advise(obj, DRM_GEM_ADVICE_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, -1);
}

/*
 * Through a mapping: MADV_FREE, MADV_WILLNEED (retained: 0), MADV_REMOVE
 * purges a mapped object, freeing its pages and its page-table entries, and
 * then MADV_WILLNEED and MADV_POPULATE_* fail with EFAULT.
 */
static void drm_gem_advise_test_madvise_mapping(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE);
	KUNIT_ASSERT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, true),
			TEST_PAGES);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 1);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);

	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, -1);
	KUNIT_EXPECT_NULL(test, t->shmem->pages);
	KUNIT_EXPECT_EQ(test, t->shmem->pages_use_count, 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			0);

	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_WILLNEED), -EFAULT);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_POPULATE_READ),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_POPULATE_WRITE),
			-EFAULT);
}

/* MADV_FREE and MADV_REMOVE must cover the whole object; else nothing changes. */
static void drm_gem_advise_test_partial_range(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE / 2, MADV_FREE), -EINVAL);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr + PAGE_SIZE, TEST_SIZE - PAGE_SIZE,
						  MADV_REMOVE), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);

	/* A mapping that lost its head no longer covers the object either. */
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr + PAGE_SIZE, TEST_SIZE - PAGE_SIZE,
						  MADV_FREE), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
}

/* A read-only mapping cannot make its object purgeable or purge it. */
static void drm_gem_advise_test_readonly(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), -EACCES);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), -EACCES);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_WILLNEED), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
}

/* An object shared outside its file (here: a flink name) stays needed. */
static void drm_gem_advise_test_shared(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_object *obj = &t->shmem->base;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	obj->name = 1;
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), -EBUSY);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_WILLNEED), 0);
	obj->name = 0;
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), 0);
}

/*
 * An object shared after it was made purgeable stays: neither the shrinker
 * nor MADV_REMOVE purges it once it has a flink name, or once its last
 * handle is gone (its exported dma-buf may outlive the handle).
 */
static void drm_gem_advise_test_shared_later(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_object *obj = &t->shmem->base;
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = TEST_PAGES,
	};
	struct drm_gem_shmem_shrinker *s;
	unsigned long addr;

	KUNIT_ASSERT_EQ(test, drmm_gem_shmem_shrinker_init(t->drm, NULL), 0);
	s = t->drm->shmem_shrinker;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), 0);

	obj->name = 1;
	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), -EBUSY);
	obj->name = 0;

	obj->handle_count--;
	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), -EBUSY);
	obj->handle_count++;

	KUNIT_EXPECT_EQ(test, t->shmem->madv, 1);
	KUNIT_EXPECT_NOT_NULL(test, t->shmem->pages);
	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, -1);
}

/* An object in use by the kernel (vmapped) cannot be purged: EBUSY, no change. */
static void drm_gem_advise_test_purge_busy(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct iosys_map map;
	unsigned long addr;
	int ret;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	dma_resv_lock(t->shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap(t->shmem, &map);
	dma_resv_unlock(t->shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
	KUNIT_EXPECT_NOT_NULL(test, t->shmem->pages);

	dma_resv_lock(t->shmem->base.resv, NULL);
	drm_gem_shmem_vunmap(t->shmem, &map);
	dma_resv_unlock(t->shmem->base.resv);
}

/*
 * MADV_DONTNEED zaps the page-table entries only: the object stays needed
 * with its pages, and populating maps the same pages again.
 */
static void drm_gem_advise_test_dontneed_zaps(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE / 2, MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES / 2);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 0);
	KUNIT_EXPECT_NOT_NULL(test, t->shmem->pages);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, true),
			TEST_PAGES);
}

/*
 * Mappings filled at mmap() time have no fault handler to fill them again
 * (here a DMA-helper object, which dma_mmap_wc() maps with
 * remap_pfn_range(), as vc5 and the DMA-helper display drivers do):
 * MADV_DONTNEED keeps 6.12's EINVAL, and the mapping keeps reading its data.
 */
static void drm_gem_advise_test_dontneed_prefilled(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_file *priv = t->file->private_data;
	struct drm_gem_dma_object *dma;
	unsigned long addr;
	u32 handle, val = 0;
	int ret;

	ret = dma_coerce_mask_and_coherent(t->drm->dev, DMA_BIT_MASK(32));
	KUNIT_ASSERT_EQ(test, ret, 0);
	dma = drm_gem_dma_create(t->drm, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dma);
	ret = drm_gem_handle_create(priv, &dma->base, &handle);
	drm_gem_object_put(&dma->base);
	KUNIT_ASSERT_EQ(test, ret, 0);
	((u32 *)dma->vaddr)[PAGE_SIZE / sizeof(u32)] = 0xd0d0cafe;

	addr = drm_kunit_helper_gem_mmap(test, t->file, &dma->base, TEST_SIZE,
					 PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, get_user(val, (u32 __user *)(addr + PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, val, 0xd0d0cafe);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_DONTNEED), -EINVAL);
	val = 0;
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)(addr + PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, val, 0xd0d0cafe);
}

/*
 * The mappings hold no page reference of their own until accessed, and the
 * one they take goes away with the last of them.
 */
static void drm_gem_advise_test_mapping_pages(struct kunit *test)
{
	struct populate_test *t = test->priv;
	unsigned long addr;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, t->shmem->pages_use_count, 0);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_POPULATE_READ), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->pages_use_count, 1);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, TEST_SIZE), 0);
	KUNIT_EXPECT_EQ(test, t->shmem->pages_use_count, 0);
	KUNIT_EXPECT_EQ(test, t->shmem->mmap_count, 0);
}

static bool advise_test_can_evict;

static bool advise_test_can_evict_stub(void)
{
	return advise_test_can_evict;
}

/*
 * With a shrinker, the last unmap keeps the pages for the next mapping, which
 * gets the same pages without allocating them again. The shrinker evicts
 * them (counting them only with swap space, stubbed here) unless something
 * else holds them; contents survive eviction.
 */
static void drm_gem_advise_test_unmapped_keeps_pages(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = t->shmem;
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = 4,
	};
	struct drm_gem_shmem_shrinker *s;
	struct shrinker *evictor;
	struct iosys_map map;
	struct page **pages;
	unsigned long addr;
	u32 val = 0;
	int ret;

	KUNIT_ASSERT_EQ(test, drmm_gem_shmem_shrinker_init(t->drm, NULL), 0);
	s = t->drm->shmem_shrinker;
	evictor = s->evictor;
	advise_test_can_evict = false;
	kunit_activate_static_stub(test, drm_gem_shmem_can_evict,
				   advise_test_can_evict_stub);

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE);
	KUNIT_ASSERT_EQ(test, put_user(0xc0ffee, (u32 __user *)(addr + PAGE_SIZE)), 0);
	pages = shmem->pages;
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, TEST_SIZE), 0);
	KUNIT_EXPECT_EQ(test, shmem->mmap_count, 0);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);
	KUNIT_EXPECT_TRUE(test, shmem->mmap_pages_dirty);

	/* On the sublist of the cgroup and node of its pages. */
	KUNIT_EXPECT_EQ(test, list_lru_count(&s->unmapped), 1);
	sc.nid = page_to_nid(pages[0]);
	sc.memcg = folio_memcg(page_folio(pages[0]));
	KUNIT_EXPECT_PTR_EQ(test, shmem->unmapped_memcg, mem_cgroup_disabled() ? NULL : sc.memcg);

	/* Without swap space, unpinning frees nothing: not counted. */
	KUNIT_EXPECT_EQ(test, evictor->count_objects(evictor, &sc), 0);
	KUNIT_EXPECT_EQ(test, evictor->scan_objects(evictor, &sc), SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);
	advise_test_can_evict = true;
	KUNIT_EXPECT_EQ(test, evictor->count_objects(evictor, &sc), 1);

	/* Mapped again: the same pages, off the shrinker's list. */
	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, evictor->count_objects(evictor, &sc), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, TEST_SIZE), 0);

	/* Purgeable, then needed again: it moves between the lists. */
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_advise(shmem, DRM_GEM_ADVICE_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, TEST_PAGES);
	KUNIT_EXPECT_EQ(test, list_lru_count(&s->unmapped), 0);
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_advise(shmem, DRM_GEM_ADVICE_WILLNEED), 1);
	KUNIT_EXPECT_EQ(test, s->purgeable.count, 0);
	KUNIT_EXPECT_EQ(test, list_lru_count(&s->unmapped), 1);

	/*
	 * Held by a vmap too: evicting would free nothing. The scan takes it
	 * off the list; the vunmap puts it back.
	 */
	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap(shmem, &map);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	evictor->scan_objects(evictor, &sc);
	KUNIT_EXPECT_TRUE(test, shmem->mmap_pages);
	KUNIT_EXPECT_EQ(test, list_lru_count(&s->unmapped), 0);
	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap(shmem, &map);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, list_lru_count(&s->unmapped), 1);

	KUNIT_EXPECT_EQ(test, evictor->scan_objects(evictor, &sc), 1);
	KUNIT_EXPECT_FALSE(test, shmem->mmap_pages);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_NULL(test, shmem->unmapped_memcg);
	KUNIT_EXPECT_EQ(test, shmem->madv, 0);
	KUNIT_EXPECT_EQ(test, evictor->count_objects(evictor, &sc), SHRINK_EMPTY);

	/* Evicted, not purged: the next mapping reads what was written. */
	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)(addr + PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, val, 0xc0ffee);
}

/* The shrinker purges purgeable objects and never touches needed ones. */
static void drm_gem_advise_test_shrinker(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct drm_gem_shmem_object *needed;
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = 4 * TEST_PAGES,
	};
	struct drm_gem_shmem_shrinker *s;
	unsigned long addr, addr2;
	struct drm_file *priv = t->file->private_data;
	u32 handle;
	int ret;

	KUNIT_ASSERT_EQ(test, drmm_gem_shmem_shrinker_init(t->drm, NULL), 0);
	s = t->drm->shmem_shrinker;
	KUNIT_ASSERT_NOT_NULL(test, s);

	needed = drm_gem_shmem_create(t->drm, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, needed);
	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper, &needed->base);
	KUNIT_ASSERT_EQ(test, ret, 0);
	needed->base.funcs = t->funcs;
	KUNIT_ASSERT_EQ(test, drm_gem_create_mmap_offset(&needed->base), 0);
	KUNIT_ASSERT_EQ(test, drm_gem_handle_create(priv, &needed->base, &handle), 0);

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE);
	addr2 = drm_kunit_helper_gem_mmap(test, t->file, &needed->base, TEST_SIZE,
					  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE);
	KUNIT_ASSERT_NOT_NULL(test, needed->pages);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), 0);

	KUNIT_EXPECT_EQ(test, s->shrinker->count_objects(s->shrinker, &sc), TEST_PAGES);
	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), TEST_PAGES);

	KUNIT_EXPECT_EQ(test, t->shmem->madv, -1);
	KUNIT_EXPECT_NULL(test, t->shmem->pages);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false), 0);
	KUNIT_EXPECT_EQ(test, needed->madv, 0);
	KUNIT_EXPECT_NOT_NULL(test, needed->pages);
	KUNIT_EXPECT_EQ(test, s->shrinker->count_objects(s->shrinker, &sc), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_WILLNEED), -EFAULT);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr2, TEST_SIZE, MADV_WILLNEED), 0);
}

/* What the driver purge function of drm_gem_advise_test_purge_callback sees. */
static struct {
	bool busy;
	unsigned int calls;
} advise_test_purge_state;

static bool advise_test_purge(struct drm_gem_object *obj)
{
	dma_resv_assert_held(obj->resv);
	advise_test_purge_state.calls++;
	if (advise_test_purge_state.busy)
		return false;
	drm_gem_shmem_purge(to_drm_gem_shmem_obj(obj));
	return true;
}

/*
 * A driver's purge function decides for the shrinker and for MADV_REMOVE: an
 * object it reports busy stays as it was (EBUSY for MADV_REMOVE), and it
 * purges the object otherwise.
 */
static void drm_gem_advise_test_purge_callback(struct kunit *test)
{
	struct populate_test *t = test->priv;
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nr_to_scan = TEST_PAGES,
	};
	struct drm_gem_shmem_shrinker *s;
	unsigned long addr;

	advise_test_purge_state.busy = true;
	advise_test_purge_state.calls = 0;
	KUNIT_ASSERT_EQ(test, drmm_gem_shmem_shrinker_init(t->drm, advise_test_purge), 0);
	s = t->drm->shmem_shrinker;

	addr = populate_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_FREE), 0);

	KUNIT_EXPECT_EQ(test, s->shrinker->scan_objects(s->shrinker, &sc), SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), -EBUSY);
	KUNIT_EXPECT_EQ(test, advise_test_purge_state.calls, 2);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, 1);
	KUNIT_EXPECT_NOT_NULL(test, t->shmem->pages);
	KUNIT_EXPECT_EQ(test, populate_test_count_ptes(test, addr, TEST_PAGES, 0, false),
			TEST_PAGES);

	advise_test_purge_state.busy = false;
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_REMOVE), 0);
	KUNIT_EXPECT_EQ(test, advise_test_purge_state.calls, 3);
	KUNIT_EXPECT_EQ(test, t->shmem->madv, -1);
	KUNIT_EXPECT_NULL(test, t->shmem->pages);
	KUNIT_EXPECT_EQ(test, advise_test_madvise(addr, TEST_SIZE, MADV_WILLNEED), -EFAULT);
}

static struct kunit_case drm_gem_advise_test_cases[] = {
	KUNIT_CASE(drm_gem_advise_test_state_machine),
	KUNIT_CASE(drm_gem_advise_test_madvise_mapping),
	KUNIT_CASE(drm_gem_advise_test_partial_range),
	KUNIT_CASE(drm_gem_advise_test_readonly),
	KUNIT_CASE(drm_gem_advise_test_shared),
	KUNIT_CASE(drm_gem_advise_test_shared_later),
	KUNIT_CASE(drm_gem_advise_test_purge_busy),
	KUNIT_CASE(drm_gem_advise_test_dontneed_zaps),
	KUNIT_CASE(drm_gem_advise_test_dontneed_prefilled),
	KUNIT_CASE(drm_gem_advise_test_mapping_pages),
	KUNIT_CASE(drm_gem_advise_test_unmapped_keeps_pages),
	KUNIT_CASE(drm_gem_advise_test_shrinker),
	KUNIT_CASE(drm_gem_advise_test_purge_callback),
	{}
};

static struct kunit_suite drm_gem_advise_test_suite = {
	.name = "drm_gem_advise",
	.init = populate_test_init,
	.test_cases = drm_gem_advise_test_cases,
};

static struct kunit_case drm_gem_populate_test_cases[] = {
	KUNIT_CASE_PARAM(drm_gem_populate_test_map_populate, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_no_populate, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_madv_populate, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_readonly, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_prot_none, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_purged, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_split_vma, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_dmabuf_before_offset, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_map_locked_unchanged, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_cow_refused, populate_gen_params),
	KUNIT_CASE(drm_gem_populate_test_foreign_private_data),
	KUNIT_CASE_PARAM(drm_gem_populate_test_write_dirty, populate_gen_params),
	KUNIT_CASE_PARAM(drm_gem_populate_test_write_no_fault, populate_gen_params),
	KUNIT_CASE(drm_gem_populate_test_fault_retry),
	KUNIT_CASE(drm_gem_populate_test_fault_tried),
	{}
};

static struct kunit_suite drm_gem_populate_test_suite = {
	.name = "drm_gem_populate",
	.init = populate_test_init,
	.test_cases = drm_gem_populate_test_cases,
};

kunit_test_suites(&drm_gem_populate_test_suite, &drm_gem_advise_test_suite);

MODULE_DESCRIPTION("KUnit tests for populating and advising GEM mmaps");
MODULE_LICENSE("GPL");
