# SPDX-License-Identifier: GPL-2.0
# drm-gem-populate: the one front door. See README.md.
#
#   make              build and boot the patched kernel, show populate working
#   make check        everything CI runs: lint, build, KUnit + uAPI + baselines in a guest
#   make lint         checkpatch --strict, kernel-doc and Sphinx (gpu, filesystems) on the series
#   make assemble     build/linux: Debian 6.12.117 + overlay + patches/series
#   make kernel       assemble and build (CONFIG=full|small|debug, default full)
#   make tests        build igt-tests/ and the mm selftests against the tree
#   make vm CMD=...   boot the kernel and run CMD in the guest
#   make refresh      write build/linux's commits back into patches/ + overlay
#   make export       git format-patch set and cover letter in build/export/
#   make export-igt   the IGT tests as a "PATCH i-g-t" series in build/export-igt/
#   make bisect-check build every prefix of the series (on demand, slow)
#   make stock-gate   the IGT tests and the upstream gate on Debian's stock 6.12.117
#   make bench        populate benchmark, one guest boot -> build/bench/ (ratios.md, bench.png)
#   make stress-long  IGT gem_mmap_stress --long (1e6 operations) on the debug kernel
#   make pressure     IGT gem_mmap_advice@purge-under-memory-pressure in a 512 MiB debug guest
#                     (make check runs it in 768 MiB)

CONFIG ?= full
CMD ?= sh -c 'uname -a; ls -l /dev/dri'

.PHONY: all demo check lint assemble kernel tests vm refresh export export-igt bisect-check bench \
	stock-gate \
	stress-long pressure clean
all: demo

demo:
	tools/demo $(CONFIG)

check:
	tools/check $(CONFIG)

lint:
	tools/lint

assemble:
	tools/assemble

kernel: assemble
	tools/kbuild $(CONFIG)

tests: kernel
	tools/build-tests $(CONFIG)

vm:
	tools/vm --config $(CONFIG) -- $(CMD)

refresh:
	tools/refresh

export:
	tools/export

export-igt:
	tools/export-igt

bisect-check:
	tools/bisect-check $(CONFIG)

bench: kernel
	tools/build-igt
	tools/bench

# What make check's CI-kernel boot runs of IGT, on the stock kernel the series
# is based on: each expected failure must fail there too (results in
# build/vm/stock-gate).
stock-gate:
	tools/build-igt
	tools/vm --stock --append vmrun.igt_gate=1 \
		--timeout 1800 --out build/vm/stock-gate -- tools/igt-run

# The reliability runs (issue: debug kernel, races, memory pressure). Stock DRM
# KUnit suites trip lockdep on the debug kernel, so these boots skip KUnit, as
# make check's debug boot does; any other splat fails the run.
stress-long:
	tools/kbuild debug
	tools/build-igt gem_mmap_stress
	tools/vm --config debug --append kunit.enable=0 --timeout 14400 -- \
		build/igt-upstream/tests/gem_mmap_stress --long

pressure:
	tools/kbuild debug
	tools/build-igt gem_mmap_advice
	tools/vm --config debug --mem 512M --append kunit.enable=0 --timeout 1800 -- \
		build/igt-upstream/tests/gem_mmap_advice --run-subtest purge-under-memory-pressure

clean:
	rm -rf build
