// SPDX-License-Identifier: MIT
// Dynamic native module (.mpy) build of `_dlms_gcm` for the host (x64) or an MCU (armv7emsp).
// Pattern of MicroPython's examples/natmod/framebuf: core and binding are #included into one
// translation unit. S-boxes are `static const` (.rodata, linked by mpy_ld.py); there is no
// .data/.bss, and the core calls no libc (-fno-tree-loop-distribute-patterns in Makefile).
#include "py/dynruntime.h"

#include "../aes.c"
#include "../gcm.c"
#include "../keywrap.c"
#include "../mod_dlms_gcm.c"

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_gcm_encrypt, MP_OBJ_FROM_PTR(&dlms_gcm_gcm_encrypt_obj));
    mp_store_global(MP_QSTR_gcm_decrypt, MP_OBJ_FROM_PTR(&dlms_gcm_gcm_decrypt_obj));
    mp_store_global(MP_QSTR_gmac, MP_OBJ_FROM_PTR(&dlms_gcm_gmac_obj));
    mp_store_global(MP_QSTR_aes_ecb_encrypt, MP_OBJ_FROM_PTR(&dlms_gcm_aes_ecb_encrypt_obj));
    #if DLMS_GCM_HAS_KEYWRAP
    mp_store_global(MP_QSTR_aes_wrap, MP_OBJ_FROM_PTR(&dlms_gcm_aes_wrap_obj));
    mp_store_global(MP_QSTR_aes_unwrap, MP_OBJ_FROM_PTR(&dlms_gcm_aes_unwrap_obj));
    #endif
    MP_DYNRUNTIME_INIT_EXIT
}
