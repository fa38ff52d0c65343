// SPDX-License-Identifier: MIT
// MicroPython binding `_dlms_ecc`: P-256 ECDSA/ECDH and SHA-256 over caller buffers.
// Inputs must have the exact length; outputs must be writable buffers at least that long
// (the first bytes are written). Nothing is allocated beyond argument parsing.
//   keygen(random32, out_priv32, out_pub64) -> bool  (False: draw new random bytes)
//   pubkey(priv32, out_pub64)
//   sign(priv32, digest32, out_sig64, k32=None)      (None: RFC 6979 deterministic k)
//   verify(pub64, digest32, sig64) -> bool
//   ecdh(priv32, peer_pub64, out32)                   (x-coordinate of the shared point)
//   valid_point(pub64) -> bool
//   sha256(data, out32)
// Bad lengths, invalid private keys/k and invalid points raise ValueError.
// Built as a firmware user C module, or as a natmod through natmod/natmod.c, which includes
// this file with MICROPY_ENABLE_DYNRUNTIME set (extmod/modframebuf.c pattern).
#include "py/runtime.h"
#include "ecdsa.h"
#include "sha256.h"

static const uint8_t *mod_dlms_ecc_in(mp_obj_t o, size_t len) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(o, &bi, MP_BUFFER_READ);
    if (bi.len != len) {
        mp_raise_ValueError(MP_ERROR_TEXT("bad length"));
    }
    return bi.buf;
}

static uint8_t *mod_dlms_ecc_out(mp_obj_t o, size_t len) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(o, &bi, MP_BUFFER_WRITE);
    if (bi.len < len) {
        mp_raise_ValueError(MP_ERROR_TEXT("output too short"));
    }
    return bi.buf;
}

static void mod_dlms_ecc_check(int ret) {
    if (ret == DLMS_ECC_ERR_KEY) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid private key or k"));
    } else if (ret == DLMS_ECC_ERR_POINT) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid point"));
    } else if (ret != DLMS_ECC_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("r or s is zero: use another k"));
    }
}

static mp_obj_t mod_dlms_ecc_keygen(mp_obj_t rnd, mp_obj_t priv, mp_obj_t pub) {
    const uint8_t *r = mod_dlms_ecc_in(rnd, 32);
    uint8_t *d = mod_dlms_ecc_out(priv, 32);
    uint8_t *q = mod_dlms_ecc_out(pub, 64);
    return mp_obj_new_bool(dlms_ecc_keygen(r, d, q) == DLMS_ECC_OK);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mod_dlms_ecc_keygen_obj, mod_dlms_ecc_keygen);

static mp_obj_t mod_dlms_ecc_pubkey(mp_obj_t priv, mp_obj_t pub) {
    const uint8_t *d = mod_dlms_ecc_in(priv, 32);
    mod_dlms_ecc_check(dlms_ecc_pubkey(d, mod_dlms_ecc_out(pub, 64)));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mod_dlms_ecc_pubkey_obj, mod_dlms_ecc_pubkey);

static mp_obj_t mod_dlms_ecc_sign(size_t n_args, const mp_obj_t *args, mp_map_t *kw) {
    mp_obj_t k_obj = n_args > 3 ? args[3] : mp_const_none;
    if (n_args > 4) {
        mp_raise_TypeError(MP_ERROR_TEXT("too many args"));
    }
    for (size_t i = 0; kw && i < kw->alloc; i++) {
        if (!mp_map_slot_is_filled(kw, i)) {
            continue;
        }
        if (kw->table[i].key != MP_OBJ_NEW_QSTR(MP_QSTR_k32) || n_args > 3) {
            mp_raise_TypeError(MP_ERROR_TEXT("unexpected keyword"));
        }
        k_obj = kw->table[i].value;
    }
    const uint8_t *d = mod_dlms_ecc_in(args[0], 32);
    const uint8_t *h = mod_dlms_ecc_in(args[1], 32);
    const uint8_t *k = k_obj == mp_const_none ? NULL : mod_dlms_ecc_in(k_obj, 32);
    mod_dlms_ecc_check(dlms_ecc_sign(d, h, k, mod_dlms_ecc_out(args[2], 64)));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(mod_dlms_ecc_sign_obj, 3, mod_dlms_ecc_sign);

static mp_obj_t mod_dlms_ecc_verify(mp_obj_t pub, mp_obj_t digest, mp_obj_t sig) {
    const uint8_t *q = mod_dlms_ecc_in(pub, 64);
    const uint8_t *h = mod_dlms_ecc_in(digest, 32);
    return mp_obj_new_bool(dlms_ecc_verify(q, h, mod_dlms_ecc_in(sig, 64)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(mod_dlms_ecc_verify_obj, mod_dlms_ecc_verify);

static mp_obj_t mod_dlms_ecc_ecdh(mp_obj_t priv, mp_obj_t peer, mp_obj_t out) {
    const uint8_t *d = mod_dlms_ecc_in(priv, 32);
    const uint8_t *q = mod_dlms_ecc_in(peer, 64);
    mod_dlms_ecc_check(dlms_ecc_ecdh(d, q, mod_dlms_ecc_out(out, 32)));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mod_dlms_ecc_ecdh_obj, mod_dlms_ecc_ecdh);

static mp_obj_t mod_dlms_ecc_valid_point(mp_obj_t pub) {
    return mp_obj_new_bool(dlms_ecc_valid_point(mod_dlms_ecc_in(pub, 64)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(mod_dlms_ecc_valid_point_obj, mod_dlms_ecc_valid_point);

static mp_obj_t mod_dlms_ecc_sha256(mp_obj_t data, mp_obj_t out) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(data, &bi, MP_BUFFER_READ);
    dlms_ecc_sha256(bi.buf, bi.len, mod_dlms_ecc_out(out, 32));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mod_dlms_ecc_sha256_obj, mod_dlms_ecc_sha256);

#if !MICROPY_ENABLE_DYNRUNTIME
static const mp_rom_map_elem_t mod_dlms_ecc_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__dlms_ecc) },
    { MP_ROM_QSTR(MP_QSTR_keygen), MP_ROM_PTR(&mod_dlms_ecc_keygen_obj) },
    { MP_ROM_QSTR(MP_QSTR_pubkey), MP_ROM_PTR(&mod_dlms_ecc_pubkey_obj) },
    { MP_ROM_QSTR(MP_QSTR_sign), MP_ROM_PTR(&mod_dlms_ecc_sign_obj) },
    { MP_ROM_QSTR(MP_QSTR_verify), MP_ROM_PTR(&mod_dlms_ecc_verify_obj) },
    { MP_ROM_QSTR(MP_QSTR_ecdh), MP_ROM_PTR(&mod_dlms_ecc_ecdh_obj) },
    { MP_ROM_QSTR(MP_QSTR_valid_point), MP_ROM_PTR(&mod_dlms_ecc_valid_point_obj) },
    { MP_ROM_QSTR(MP_QSTR_sha256), MP_ROM_PTR(&mod_dlms_ecc_sha256_obj) },
};
static MP_DEFINE_CONST_DICT(mod_dlms_ecc_globals, mod_dlms_ecc_globals_table);

const mp_obj_module_t mod_dlms_ecc_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mod_dlms_ecc_globals,
};

MP_REGISTER_MODULE(MP_QSTR__dlms_ecc, mod_dlms_ecc_module);
#endif
