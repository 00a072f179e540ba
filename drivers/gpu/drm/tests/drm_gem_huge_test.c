// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for PMD mappings of GEM objects backed by huge pages: a shmem
 * object of two huge pages in a huge=within_size mount
 * (drm_gem_huge_mnt_create()), mapped into the test's mm through a DRM file
 * with DRM_GEM_FOPS, gets an address aligned to the huge page size and one
 * huge entry per folio from populate and from faults; splitting the
 * mapping, MADV_DONTNEED, purging and write-combining keep mapping the
 * right pages. Page tables are read with drm_kunit_helper_user_ptes().
 */

#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>

#define HUGE_TEST_PAGES	(2 * HPAGE_PMD_NR)
#define HUGE_TEST_SIZE	(HUGE_TEST_PAGES * PAGE_SIZE)

DEFINE_DRM_GEM_FOPS(huge_test_fops);

static const struct drm_driver huge_test_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &huge_test_fops,
	.name = "huge-test",
	.desc = "GEM huge page KUnit test driver",
	.major = 1,
};

struct huge_test {
	struct file *file;
	struct drm_gem_shmem_object *shmem;
};

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_object_put_wrapper, drm_gem_object_put,
			    struct drm_gem_object *);

static int huge_test_init(struct kunit *test)
{
	struct drm_device *drm;
	struct huge_test *t;
	struct device *dev;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev, sizeof(*drm),
							      0, &huge_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm);

	KUNIT_ASSERT_EQ(test, drm_gem_huge_mnt_create(drm, "within_size"), 0);
	if (!drm->huge_mnt)
		kunit_skip(test, "no transparent huge pages");

	t->shmem = drm_gem_shmem_create(drm, HUGE_TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->shmem);
	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper,
					&t->shmem->base);
	KUNIT_ASSERT_EQ(test, ret, 0);
	t->file = drm_kunit_helper_gem_file(test, &t->shmem->base);

	return 0;
}

static unsigned long huge_test_mmap(struct kunit *test, unsigned long prot,
				    unsigned long flags)
{
	struct huge_test *t = test->priv;

	return drm_kunit_helper_gem_mmap(test, t->file, &t->shmem->base, HUGE_TEST_SIZE,
					 prot, flags);
}

/* Once the object has its pages: skip where tmpfs could not give huge ones. */
static void huge_test_require_pmd_folios(struct kunit *test)
{
	struct huge_test *t = test->priv;

	KUNIT_ASSERT_NOT_NULL(test, t->shmem->pages);
	if (!folio_test_pmd_mappable(page_folio(t->shmem->pages[0])) ||
	    !folio_test_pmd_mappable(page_folio(t->shmem->pages[HPAGE_PMD_NR])))
		kunit_skip(test, "tmpfs backed the object with small folios");
}

/*
 * Check the entries of pages [@first, @first + @n) of the huge test mapping
 * at @addr: each present one maps its own object page, and is huge if
 * @huge. Returns how many are present.
 */
static int huge_test_check(struct kunit *test, unsigned long addr, int first,
			   int n, bool huge)
{
	struct huge_test *t = test->priv;
	struct drm_kunit_user_pte *ptes;
	int i, present;

	ptes = kunit_kcalloc(test, n, sizeof(*ptes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ptes);
	present = drm_kunit_helper_expect_ptes(test, addr + first * PAGE_SIZE,
					       t->shmem->pages + first, n, ptes);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE_MSG(test, !ptes[i].present || ptes[i].huge == huge,
				      "page %d: huge entry %d, expected %d",
				      first + i, ptes[i].huge, huge);
	return present;
}

/* Populate maps each PMD-sized folio with one huge entry, at an aligned address. */
static void drm_gem_huge_test_populate(struct kunit *test)
{
	unsigned long addr;

	addr = huge_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(addr, PMD_SIZE),
			      "mapping at %lx, not aligned to a huge page", addr);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, HUGE_TEST_SIZE,
					 MADV_POPULATE_WRITE), 0);
	huge_test_require_pmd_folios(test);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 0, HUGE_TEST_PAGES, true),
			HUGE_TEST_PAGES);
}

/*
 * A fault maps the whole PMD-sized folio with one entry (the huge_fault
 * handler), and writes reach the object's page; the other huge page stays
 * unmapped.
 */
static void drm_gem_huge_test_fault(struct kunit *test)
{
	struct huge_test *t = test->priv;
	const int page = HPAGE_PMD_NR + 3;
	unsigned long addr;
	u8 *vaddr;

	addr = huge_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, put_user(0x5a, (u8 __user *)(addr + page * PAGE_SIZE + 7)), 0);
	huge_test_require_pmd_folios(test);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 0, HPAGE_PMD_NR, true), 0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, HPAGE_PMD_NR,
					      HPAGE_PMD_NR, true),
			HPAGE_PMD_NR);

	vaddr = kmap_local_page(t->shmem->pages[page]);
	KUNIT_EXPECT_EQ(test, vaddr[7], 0x5a);
	kunmap_local(vaddr);
}

/*
 * Unmapping a page inside a huge entry zaps the entry whole; populating
 * the rest maps it with PTEs, each to its own page; the other huge page
 * keeps its huge entry.
 */
static void drm_gem_huge_test_split(struct kunit *test)
{
	unsigned long addr;

	addr = huge_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, HUGE_TEST_SIZE,
					 MADV_POPULATE_READ), 0);
	huge_test_require_pmd_folios(test);

	KUNIT_ASSERT_EQ(test, vm_munmap(addr + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 0, 5, false), 0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 6, HPAGE_PMD_NR - 6,
					      false), 0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, HPAGE_PMD_NR,
					      HPAGE_PMD_NR, true),
			HPAGE_PMD_NR);

	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr + 6 * PAGE_SIZE,
					 (HUGE_TEST_PAGES - 6) * PAGE_SIZE,
					 MADV_POPULATE_WRITE), 0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 6, HPAGE_PMD_NR - 6,
					      false), HPAGE_PMD_NR - 6);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, HPAGE_PMD_NR,
					      HPAGE_PMD_NR, true),
			HPAGE_PMD_NR);
}

/*
 * MADV_DONTNEED of one page zaps the whole huge entry around it and keeps
 * the contents; the next fault maps the folio with one entry again.
 */
static void drm_gem_huge_test_dontneed(struct kunit *test)
{
	unsigned long addr;
	u8 v = 0;

	addr = huge_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, put_user(0xa5, (u8 __user *)(addr + 9 * PAGE_SIZE)), 0);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, HUGE_TEST_SIZE,
					 MADV_POPULATE_WRITE), 0);
	huge_test_require_pmd_folios(test);

	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr + 100 * PAGE_SIZE, PAGE_SIZE,
					 MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 0, HPAGE_PMD_NR, false),
			0);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, HPAGE_PMD_NR,
					      HPAGE_PMD_NR, true),
			HPAGE_PMD_NR);

	KUNIT_ASSERT_EQ(test, get_user(v, (u8 __user *)(addr + 9 * PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, v, 0xa5);
	KUNIT_EXPECT_EQ(test, huge_test_check(test, addr, 0, HPAGE_PMD_NR, true),
			HPAGE_PMD_NR);
}

/* Purging the object zaps its huge entries; populate then fails: EFAULT. */
static void drm_gem_huge_test_purged(struct kunit *test)
{
	struct huge_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = t->shmem;
	struct sg_table *sgt;
	unsigned long addr;

	addr = huge_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, HUGE_TEST_SIZE,
					 MADV_POPULATE_WRITE), 0);
	huge_test_require_pmd_folios(test);
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	dma_resv_lock(shmem->base.resv, NULL);
	KUNIT_ASSERT_TRUE(test, drm_gem_shmem_madvise(shmem, 1));
	KUNIT_ASSERT_TRUE(test, drm_gem_shmem_is_purgeable(shmem));
	drm_gem_shmem_purge(shmem);
	dma_resv_unlock(shmem->base.resv);

	KUNIT_EXPECT_EQ(test, drm_kunit_helper_user_ptes(addr, 1, &(struct drm_kunit_user_pte){}),
			0);
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, HUGE_TEST_SIZE,
					 MADV_POPULATE_READ), -EFAULT);
}

#ifdef CONFIG_X86
/*
 * A write-combined object's huge entries are write-combined too: the
 * caching bits sit elsewhere in a huge entry than in a PTE.
 */
static void drm_gem_huge_test_wc(struct kunit *test)
{
	struct huge_test *t = test->priv;
	struct drm_kunit_user_pte pte;
	unsigned long addr;

	t->shmem->map_wc = true;
	addr = huge_test_mmap(test, PROT_READ | PROT_WRITE, MAP_SHARED);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, HUGE_TEST_SIZE,
					 MADV_POPULATE_READ), 0);
	huge_test_require_pmd_folios(test);

	KUNIT_ASSERT_EQ(test, drm_kunit_helper_user_ptes(addr, 1, &pte), 1);
	KUNIT_ASSERT_TRUE(test, pte.huge);
	KUNIT_EXPECT_EQ(test, pgprot_val(pgprot_large_2_4k(pte.prot)) & _PAGE_CACHE_MASK,
			cachemode2protval(_PAGE_CACHE_MODE_WC));
}
#endif

static struct kunit_case drm_gem_huge_test_cases[] = {
	KUNIT_CASE(drm_gem_huge_test_populate),
	KUNIT_CASE(drm_gem_huge_test_fault),
	KUNIT_CASE(drm_gem_huge_test_split),
	KUNIT_CASE(drm_gem_huge_test_dontneed),
	KUNIT_CASE(drm_gem_huge_test_purged),
#ifdef CONFIG_X86
	KUNIT_CASE(drm_gem_huge_test_wc),
#endif
	{}
};

static struct kunit_suite drm_gem_huge_test_suite = {
	.name = "drm_gem_populate_huge",
	.init = huge_test_init,
	.test_cases = drm_gem_huge_test_cases,
};

kunit_test_suite(drm_gem_huge_test_suite);

MODULE_DESCRIPTION("KUnit tests for PMD mappings of huge-page GEM objects");
MODULE_LICENSE("GPL");
