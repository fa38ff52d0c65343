# KSMW-PA2502 DLMS/COSEM meter firmware: host build, simulator and tests.
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
MPY := $(VENV)/bin/micropython
HEAP ?= 352k
# MicroPython unit tests: the firmware's heap (their bytecode runs from build/tests.romfs,
# outside the heap; they pass down to 332k, the meter's suite down to 320k)
MPTEST_HEAP ?= $(HEAP)
TCP_PORT ?= 4059
PTY_LINK ?= /tmp/ksmw-meter-optical
SPEED ?= 1
START ?=
MICROPYPATH := build/fw-mpy:firmware:host_tests:build/natmod:.frozen:build/romfs-host
# ROMFS=1: the unix port runs the firmware's bytecode in place from build/fw.romfs, mapped outside
# the GC heap as a board's flash (tools/romfs_host); ROMFS=0: .mpy copied into the heap.
ROMFS ?= 1
MPTEST_ROMFS := $(if $(filter 1,$(ROMFS)),--romfs build/fw.romfs build/fw-mpy --tests build/tests.romfs)
ALLOC := $(sort $(wildcard host_tests/alloc/test_*.py))
UNIT := $(sort $(wildcard host_tests/unit/test_*.py)) $(ALLOC)

.PHONY: setup run test test-cpython test-mp test-integration test-unix32 natmods mpy bench catalog \
	clean firmware test-boards deploy test-qemu run-qemu
NATMOD_ARCH ?= x64

# everything that needs the network happens here; run, test, natmods and bench work offline
$(VENV)/.installed: requirements.txt
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	touch $@

# the MicroPython headers that natmods build against (tools/mpy_headers.sh), kept in .venv
MPY_SDIST := $(VENV)/mpy-dl/mpy_cross_v6_3-1.1.1.tar.gz
$(MPY_SDIST): | $(VENV)/.installed
	sh tools/mpy_headers.sh --fetch

# Debian packages the firmware builds need (tools/build_firmware.sh); installed as root
# (CI), else named by the build that lacks them
DEB_PKGS := gcc-multilib gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
DEB_STAMP := build/.deb-installed
$(DEB_STAMP): Makefile
	@mkdir -p build
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then echo "apt-get install $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$$missing >/dev/null; fi; \
	fi
	@touch $@

setup: $(VENV)/.installed $(MPY_SDIST) $(DEB_STAMP)

# run_meter.py checks every option first: bad input is one line and exit status 2
RUNTIME ?= wheel
run: setup
	@$(VPY) tools/run_meter.py --tcp-port $(TCP_PORT) --pty-link $(PTY_LINK) --speed $(SPEED) \
		--runtime $(RUNTIME) $(if $(filter command line,$(origin HEAP)),--heapsize $(HEAP)) \
		$(if $(START),--start $(START))

test: setup test-cpython test-mp test-integration test-unix32 test-boards test-qemu

test-cpython: setup
	PYTHONPATH=firmware:host_tests/cpython $(VPY) -m pytest -q host_tests/unit

# firmware/cmodules/*/natmod -> build/natmod/*.mpy (x64, on MICROPYPATH) or build/natmod-$(NATMOD_ARCH)/
natmods: setup
	sh tools/build_natmods.sh $(NATMOD_ARCH)

# firmware as mpy-cross bytecode (what a board holds frozen), build/fw-mpy; packed into the
# ROMFS image build/fw.romfs (+ its host loader, build/romfs-host)
mpy: setup
	$(VPY) tools/build_mpy.py
	$(VPY) tools/build_romfs.py
	$(VPY) tools/build_mpy.py --tests
	$(VPY) tools/build_romfs.py build/tests-mpy build/tests.romfs

# one fresh MicroPython process per test function:
# $(call mptests,BINARY,MICROPYPATH,FILES,EXTRA ARGS,LABEL)
define mptests
@fail=0; n=0; for t in $(3); do \
		for f in $$(sed -n 's/^def \(test_[A-Za-z0-9_]*\).*/\1/p' $$t); do n=$$((n+1)); \
		MICROPYPATH=$(2) $(1) -X heapsize=$(MPTEST_HEAP) host_tests/mptest.py \
			$(4) --only $$f $$t > build/mptest.out 2>&1 \
			|| { fail=$$((fail+1)); cat build/mptest.out; }; done; done; \
	echo "$(5): $$((n-fail)) passed, $$fail failed"; test $$fail = 0
endef

test-mp: setup natmods mpy
	@# each test function in a fresh board-sized heap: a board builds its meter once, the
	@# tests build one per test
	$(call mptests,$(MPY),$(MICROPYPATH),$(UNIT),$(MPTEST_ROMFS),micropython)

test-integration: setup
	$(VPY) -m pytest -q host_tests/integration

# firmware images from the vendored MicroPython source (tools/build_firmware.sh): BOARD=unix32
BOARD ?= unix32
firmware: setup
	@sh tools/build_firmware.sh $(BOARD)

# the integration suite against the 32-bit unix port with the firmware frozen, at a
# board-sized heap (UNIX32_HEAP)
UNIX32_HEAP ?= 160k
test-unix32: setup
	@sh tools/build_firmware.sh unix32
	@# the heap_lock tests on 31-bit small ints (time kept in meter seconds, issue #12)
	$(call mptests,build/firmware/unix32/micropython,host_tests:host_tests/unit:.frozen,$(ALLOC),,unix32 heap_lock)
	METER_RUNTIME=unix32 METER_HEAP=$(UNIX32_HEAP) $(VPY) -m pytest -q host_tests/integration

# the Cortex-M4 meter under qemu-system-arm (boards/qemu_mps2_an386, tools/run_qemu.py): its
# GC heap (QEMU_HEAP, MICROPY_HEAP_SIZE of the image) and flash image folder (QEMU_STATE)
QEMU_HEAP ?= 128k
QEMU_STATE ?= run/qemu
run-qemu: setup
	@$(VPY) tools/run_qemu.py --pty-link $(PTY_LINK) --heapsize $(QEMU_HEAP) \
		--state-dir $(QEMU_STATE) --speed $(SPEED) $(if $(START),--start $(START))

# gurux-dlms over the pty of the qemu meter's optical port, and the image's P-256 core
# (32-bit limbs) against OpenSSL (host_tests/qemu): ~1 min
test-qemu: setup
	@QEMU_HEAP=$(QEMU_HEAP) sh tools/build_firmware.sh qemu_mps2_an386
	QEMU_HEAP=$(QEMU_HEAP) $(VPY) -m pytest -q host_tests/qemu

# board images and definitions (tools/board_check.py): the NUCLEO_H743ZI image built from the
# vendored stm32 port (~2 min the first time, seconds when nothing changed) and checked (.bin,
# .hex, .dfu, flash and heap figures, the meter frozen in it); the ESP32_DEVKITC manifest
# frozen by MicroPython's makemanifest.py (no ESP-IDF here); the pin maps are unit tests
test-boards: setup
	@sh tools/build_firmware.sh NUCLEO_H743ZI
	@$(VPY) tools/board_check.py image NUCLEO_H743ZI --check
	@$(VPY) tools/board_check.py freeze ESP32_DEVKITC

# run-time files (factory PKI, meter.json, RTC) onto a board running its flashed image, with
# mpremote: make deploy BOARD=NUCLEO_H743ZI PORT=/dev/ttyACM0 [PKI=dir] [CONFIG=meter.json]
# [FORMAT=1] [RTC=0] (tools/deploy.py; flashing the image: README "Boards")
PORT ?=
PKI ?= run/pki
CONFIG ?=
FORMAT ?= 0
RTC ?= 1
deploy: setup
	@case "$(FORMAT)/$(RTC)" in [01]/[01]) ;; *) echo "deploy: FORMAT=$(FORMAT) RTC=$(RTC): 0 or 1 each" >&2; exit 2 ;; esac
	@$(VPY) tools/deploy.py "$(BOARD)" "$(PORT)" --pki "$(PKI)" $(if $(CONFIG),--config "$(CONFIG)") \
		$(if $(filter 1,$(FORMAT)),--format) $(if $(filter 0,$(RTC)),--no-rtc)

bench: natmods
	$(VPY) tools/bench.py

# the object list table of the firmware from the companion standard's csv (tools/gen_catalog.py)
catalog: setup
	$(VPY) tools/gen_catalog.py

clean:
	rm -rf build .pytest_cache
