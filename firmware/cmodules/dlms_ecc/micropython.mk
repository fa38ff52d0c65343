# SPDX-License-Identifier: MIT
# USER_C_MODULES (make-based ports): adds module `_dlms_ecc` (P-256 ECDSA/ECDH, SHA-256).
# Flash on Cortex-M4 at -Os: about 7.5 KB with the G comb table; -DDLMS_ECC_HAS_GTABLE=0
# saves 960 bytes of rodata at about 3x slower signing (config.h).
DLMS_ECC_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/mod_dlms_ecc.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/p256.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/p256_point.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/ecdsa.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/sha256.c

CFLAGS_USERMOD += -I$(DLMS_ECC_MOD_DIR)
