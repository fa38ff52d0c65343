// SPDX-License-Identifier: MIT
// MicroPython binding for the AES/GCM/key-wrap core: module `_dlms_gcm`.
// Every function works on caller buffers ((in, out) style of extmod/modcryptolib.c) and
// allocates nothing: results are written into `out*` buffers, checks return True/False.
// Keys are 16 (AES-128) or 32 (AES-256) bytes; the IV is 12 bytes (system title || IC);
// tags are 12..16 bytes long (DLMS: 12), the length of the tag buffer is the tag length.
// `aad` may be None (same as b""). out buffers may be larger than needed; only the leading
// bytes are written. out may be the very same buffer as the input (in place).
//
//   gcm_encrypt(key, iv12, aad, plaintext, out_ct, out_tag)        -> None
//   gcm_decrypt(key, iv12, aad, ciphertext, tag, out_pt)           -> bool
//       tag compared in constant time before decrypting; on False out_pt[:len] is zeroed.
//   gmac(key, iv12, aad, out_tag)                                   -> None  (GCM, empty P)
//   aes_wrap(kek, key, out)                 RFC 3394, len(key) % 8 == 0 and >= 16; out >= +8
//   aes_unwrap(kek, wrapped, out)           -> bool; out[:len-8] zeroed on False
//   aes_ecb_encrypt(key, block16, out16)    -> None  (one AES block)
// Bad key/IV/tag/buffer lengths raise ValueError; read-only out buffers raise TypeError.
#if !MICROPY_ENABLE_DYNRUNTIME
#include "py/runtime.h"
#endif
#include "dlms_gcm.h"

static const uint8_t *dlms_gcm_arg_buf(mp_obj_t obj, size_t *len, mp_uint_t flags) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(obj, &bi, flags);
    *len = bi.len;
    return (const uint8_t *)bi.buf;
}

static void dlms_gcm_check(int ok, mp_rom_error_text_t msg) {
    if (!ok) {
        mp_raise_ValueError(msg);
    }
}

// Expand the key last, after all other checks, so no exception leaves it on the stack.
static void dlms_gcm_arg_key(dlms_gcm_aes_t *ctx, mp_obj_t key) {
    size_t len;
    const uint8_t *k = dlms_gcm_arg_buf(key, &len, MP_BUFFER_READ);
    if (dlms_gcm_aes_setkey(ctx, k, len) != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("key length"));
    }
}

// Shared by gcm_encrypt, gcm_decrypt and gmac.
static mp_obj_t dlms_gcm_run(mp_obj_t key_in, mp_obj_t iv_in, mp_obj_t aad_in, mp_obj_t in_in,
    mp_obj_t tag_in, mp_obj_t out_in, int decrypt) {
    size_t iv_len, aad_len, len = 0, tag_len, out_len = 0;
    const uint8_t *iv = dlms_gcm_arg_buf(iv_in, &iv_len, MP_BUFFER_READ);
    const uint8_t *aad = (const uint8_t *)"", *in = aad;
    aad_len = 0;
    if (aad_in != mp_const_none) {
        aad = dlms_gcm_arg_buf(aad_in, &aad_len, MP_BUFFER_READ);
    }
    uint8_t *out = NULL;
    if (in_in != MP_OBJ_NULL) {
        in = dlms_gcm_arg_buf(in_in, &len, MP_BUFFER_READ);
        out = (uint8_t *)dlms_gcm_arg_buf(out_in, &out_len, MP_BUFFER_WRITE);
    }
    uint8_t *tag = (uint8_t *)dlms_gcm_arg_buf(tag_in, &tag_len,
        decrypt ? MP_BUFFER_READ : MP_BUFFER_WRITE);
    dlms_gcm_check(iv_len == DLMS_GCM_IV_LEN, MP_ERROR_TEXT("iv length"));
    dlms_gcm_check(tag_len >= DLMS_GCM_TAG_MIN && tag_len <= DLMS_GCM_TAG_MAX,
        MP_ERROR_TEXT("tag length"));
    dlms_gcm_check(out_len >= len, MP_ERROR_TEXT("out length"));
    dlms_gcm_aes_t ctx;
    dlms_gcm_arg_key(&ctx, key_in);
    int ok = 1;
    if (decrypt) {
        ok = dlms_gcm_decrypt(&ctx, iv, aad, aad_len, in, out, len, tag, tag_len) == 0;
    } else {
        dlms_gcm_encrypt(&ctx, iv, aad, aad_len, in, out, len, tag, tag_len);
    }
    dlms_gcm_wipe(&ctx, sizeof(ctx));
    return decrypt ? mp_obj_new_bool(ok) : mp_const_none;
}

static mp_obj_t dlms_gcm_gcm_encrypt(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    return dlms_gcm_run(args[0], args[1], args[2], args[3], args[5], args[4], 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(dlms_gcm_gcm_encrypt_obj, 6, 6, dlms_gcm_gcm_encrypt);

static mp_obj_t dlms_gcm_gcm_decrypt(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    return dlms_gcm_run(args[0], args[1], args[2], args[3], args[4], args[5], 1);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(dlms_gcm_gcm_decrypt_obj, 6, 6, dlms_gcm_gcm_decrypt);

static mp_obj_t dlms_gcm_gmac(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    return dlms_gcm_run(args[0], args[1], args[2], MP_OBJ_NULL, args[3], MP_OBJ_NULL, 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(dlms_gcm_gmac_obj, 4, 4, dlms_gcm_gmac);

static mp_obj_t dlms_gcm_aes_ecb_encrypt(mp_obj_t key_in, mp_obj_t in_in, mp_obj_t out_in) {
    size_t len, out_len;
    const uint8_t *in = dlms_gcm_arg_buf(in_in, &len, MP_BUFFER_READ);
    uint8_t *out = (uint8_t *)dlms_gcm_arg_buf(out_in, &out_len, MP_BUFFER_WRITE);
    dlms_gcm_check(len == 16 && out_len >= 16, MP_ERROR_TEXT("block length"));
    dlms_gcm_aes_t ctx;
    dlms_gcm_arg_key(&ctx, key_in);
    dlms_gcm_aes_encrypt(&ctx, in, out);
    dlms_gcm_wipe(&ctx, sizeof(ctx));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(dlms_gcm_aes_ecb_encrypt_obj, dlms_gcm_aes_ecb_encrypt);

#if DLMS_GCM_HAS_KEYWRAP
static mp_obj_t dlms_gcm_aes_wrap_fn(mp_obj_t kek_in, mp_obj_t in_in, mp_obj_t out_in) {
    size_t len, out_len;
    const uint8_t *in = dlms_gcm_arg_buf(in_in, &len, MP_BUFFER_READ);
    uint8_t *out = (uint8_t *)dlms_gcm_arg_buf(out_in, &out_len, MP_BUFFER_WRITE);
    dlms_gcm_check(len >= 16 && len % 8 == 0 && out_len >= len + 8, MP_ERROR_TEXT("wrap length"));
    dlms_gcm_aes_t ctx;
    dlms_gcm_arg_key(&ctx, kek_in);
    dlms_gcm_aes_wrap(&ctx, in, len, out);
    dlms_gcm_wipe(&ctx, sizeof(ctx));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(dlms_gcm_aes_wrap_obj, dlms_gcm_aes_wrap_fn);

static mp_obj_t dlms_gcm_aes_unwrap_fn(mp_obj_t kek_in, mp_obj_t in_in, mp_obj_t out_in) {
    size_t len, out_len;
    const uint8_t *in = dlms_gcm_arg_buf(in_in, &len, MP_BUFFER_READ);
    uint8_t *out = (uint8_t *)dlms_gcm_arg_buf(out_in, &out_len, MP_BUFFER_WRITE);
    dlms_gcm_check(len >= 24 && len % 8 == 0 && out_len >= len - 8,
        MP_ERROR_TEXT("unwrap length"));
    dlms_gcm_aes_t ctx;
    dlms_gcm_arg_key(&ctx, kek_in);
    int ok = dlms_gcm_aes_unwrap(&ctx, in, len, out) == 0;
    dlms_gcm_wipe(&ctx, sizeof(ctx));
    return mp_obj_new_bool(ok);
}
static MP_DEFINE_CONST_FUN_OBJ_3(dlms_gcm_aes_unwrap_obj, dlms_gcm_aes_unwrap_fn);
#endif

#if !MICROPY_ENABLE_DYNRUNTIME
static const mp_rom_map_elem_t dlms_gcm_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__dlms_gcm) },
    { MP_ROM_QSTR(MP_QSTR_gcm_encrypt), MP_ROM_PTR(&dlms_gcm_gcm_encrypt_obj) },
    { MP_ROM_QSTR(MP_QSTR_gcm_decrypt), MP_ROM_PTR(&dlms_gcm_gcm_decrypt_obj) },
    { MP_ROM_QSTR(MP_QSTR_gmac), MP_ROM_PTR(&dlms_gcm_gmac_obj) },
    { MP_ROM_QSTR(MP_QSTR_aes_ecb_encrypt), MP_ROM_PTR(&dlms_gcm_aes_ecb_encrypt_obj) },
    #if DLMS_GCM_HAS_KEYWRAP
    { MP_ROM_QSTR(MP_QSTR_aes_wrap), MP_ROM_PTR(&dlms_gcm_aes_wrap_obj) },
    { MP_ROM_QSTR(MP_QSTR_aes_unwrap), MP_ROM_PTR(&dlms_gcm_aes_unwrap_obj) },
    #endif
};
static MP_DEFINE_CONST_DICT(dlms_gcm_module_globals, dlms_gcm_module_globals_table);

const mp_obj_module_t dlms_gcm_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&dlms_gcm_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__dlms_gcm, dlms_gcm_user_cmodule);
#endif
