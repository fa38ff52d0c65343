# SPDX-License-Identifier: MIT
# USER_C_MODULES entry of the qemu MPS2 AN386 board (tools/build_firmware.sh passes it beside
# firmware/cmodules): module `_mps2`, the host services the emulated board reaches through
# ARM semihosting (RTC, flash image) and mp_hal_time_ns for LittleFS.
MPS2_MOD_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(MPS2_MOD_DIR)/mod_mps2.c
