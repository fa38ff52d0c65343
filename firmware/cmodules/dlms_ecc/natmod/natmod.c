// SPDX-License-Identifier: MIT
// Dynamic native module build of _dlms_ecc (architecture.md 3.2): one translation unit
// holding the portable core and the binding; mpy_init stores the functions as globals.
#include "py/dynruntime.h"

#include "../sha256.c"
#include "../p256.c"
#include "../p256_fp32.c"
#include "../p256_point.c"
#include "../ecdsa.c"
#include "../mod_dlms_ecc.c"

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_keygen, MP_OBJ_FROM_PTR(&mod_dlms_ecc_keygen_obj));
    mp_store_global(MP_QSTR_pubkey, MP_OBJ_FROM_PTR(&mod_dlms_ecc_pubkey_obj));
    mp_store_global(MP_QSTR_sign, MP_OBJ_FROM_PTR(&mod_dlms_ecc_sign_obj));
    mp_store_global(MP_QSTR_verify, MP_OBJ_FROM_PTR(&mod_dlms_ecc_verify_obj));
    mp_store_global(MP_QSTR_ecdh, MP_OBJ_FROM_PTR(&mod_dlms_ecc_ecdh_obj));
    mp_store_global(MP_QSTR_valid_point, MP_OBJ_FROM_PTR(&mod_dlms_ecc_valid_point_obj));
    mp_store_global(MP_QSTR_sha256, MP_OBJ_FROM_PTR(&mod_dlms_ecc_sha256_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
