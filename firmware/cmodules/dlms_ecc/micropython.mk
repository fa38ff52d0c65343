# SPDX-License-Identifier: MIT
# USER_C_MODULES (make-based ports): adds module `_dlms_ecc` (P-256 ECDSA/ECDH, SHA-256).
# Flash on Cortex-M4 at -Os: about 15 KB for the core with the G tables (3.9 KB of rodata);
# -DDLMS_ECC_HAS_GTABLE=0 saves about 4.5 KB at about 2.4x slower signing (config.h).
DLMS_ECC_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/mod_dlms_ecc.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/p256.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/p256_fp32.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/p256_point.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/ecdsa.c
SRC_USERMOD_C += $(DLMS_ECC_MOD_DIR)/sha256.c

CFLAGS_USERMOD += -I$(DLMS_ECC_MOD_DIR)
