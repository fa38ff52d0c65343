# SPDX-License-Identifier: MIT
# MicroPython qemu port board definition (make -C ports/qemu BOARD_DIR=<this folder>):
# ARM MPS2 with the AN386 FPGA image, a Cortex-M4 with single-precision FPU (qemu machine
# mps2-an386). Same memory map and peripherals as the port's MPS2_AN385 (Cortex-M3): 4 MB
# SSRAM at 0 for code, data and the heap, CMSDK UART0 (console) and UART1 (the optical
# port, boards/qemu_mps2_an386/board.py). tools/build_firmware.sh sets MICROPY_HEAP_SIZE.
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an386

CFLAGS += -mthumb -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4"'

LDSCRIPT = mcu/arm/mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

MPY_CROSS_FLAGS += -march=armv7emsp

MICROPY_FLOAT_IMPL = float
SUPPORTS_HARDWARE_FP_SINGLE = 1

# os.urandom from the host's entropy (cmod/mps2_random.h), not the port's fixed-seed LCG
CFLAGS += -DMICROPY_PY_OS_URANDOM=1
CFLAGS += -DMICROPY_PY_OS_INCLUDEFILE='"$(BOARD_DIR)/cmod/mps2_random.h"'

# the power-fail-safe store: LittleFS v2 on the flash image (_mps2.Flash, cmod/)
MICROPY_VFS_LFS2 = 1
