# SPDX-License-Identifier: MIT
# USER_C_MODULES (make-based ports): adds module `_dlms_gcm`. Feature flags: config.h.
DLMS_GCM_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(DLMS_GCM_MOD_DIR)/aes.c
SRC_USERMOD_C += $(DLMS_GCM_MOD_DIR)/gcm.c
SRC_USERMOD_C += $(DLMS_GCM_MOD_DIR)/keywrap.c
SRC_USERMOD_C += $(DLMS_GCM_MOD_DIR)/mod_dlms_gcm.c

CFLAGS_USERMOD += -I$(DLMS_GCM_MOD_DIR)
