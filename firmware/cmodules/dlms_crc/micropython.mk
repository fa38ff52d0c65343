# SPDX-License-Identifier: MIT
# USER_C_MODULES (make-based ports): adds module `_dlms_crc`.
DLMS_CRC_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(DLMS_CRC_MOD_DIR)/crc16_x25.c
SRC_USERMOD_C += $(DLMS_CRC_MOD_DIR)/mod_dlms_crc.c

CFLAGS_USERMOD += -I$(DLMS_CRC_MOD_DIR)
