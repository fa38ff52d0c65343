// SPDX-License-Identifier: MIT
// AES key wrap (RFC 3394), used by DLMS key_transfer (Green Book 9.2.3.4) with the master key
// as KEK. Index-based form of RFC 3394 2.2.1 / 2.2.2, working in the caller's out buffer.
#include "dlms_gcm.h"

#if DLMS_GCM_HAS_KEYWRAP

#define DLMS_GCM_KW_IV (0xa6) // RFC 3394 2.2.3.1 default IV: A6A6A6A6A6A6A6A6

// A ^= t, t as a 64-bit big-endian integer.
static void dlms_gcm_kw_xor_t(uint8_t a[8], uint64_t t) {
    for (int i = 7; i >= 0; --i) {
        a[i] ^= (uint8_t)t;
        t >>= 8;
    }
}

// RFC 3394 2.2.1: A = IV, R[i] = P[i]; for j = 0..5, i = 1..n:
// B = AES(K, A | R[i]); A = MSB64(B) ^ t (t = n*j + i); R[i] = LSB64(B). C = A | R.
void dlms_gcm_aes_wrap(const dlms_gcm_aes_t *kek, const uint8_t *in, size_t len, uint8_t *out) {
    size_t n = len / 8;
    uint8_t b[16];
    for (size_t i = len; i > 0; --i) {
        out[8 + i - 1] = in[i - 1]; // backwards: safe when out == in
    }
    for (int i = 0; i < 8; ++i) {
        b[i] = DLMS_GCM_KW_IV;
    }
    for (uint64_t j = 0; j < 6; ++j) {
        for (size_t i = 1; i <= n; ++i) {
            uint8_t *r = out + 8 * i;
            for (int k = 0; k < 8; ++k) {
                b[8 + k] = r[k];
            }
            dlms_gcm_aes_encrypt(kek, b, b);
            for (int k = 0; k < 8; ++k) {
                r[k] = b[8 + k];
            }
            dlms_gcm_kw_xor_t(b, n * j + i);
        }
    }
    for (int k = 0; k < 8; ++k) {
        out[k] = b[k];
    }
    dlms_gcm_wipe(b, sizeof(b));
}

// RFC 3394 2.2.2: for j = 5..0, i = n..1: B = AES-1(K, (A ^ t) | R[i]); A = MSB64(B);
// R[i] = LSB64(B). Then the integrity check 2.2.3: A must equal the IV (constant time).
int dlms_gcm_aes_unwrap(const dlms_gcm_aes_t *kek, const uint8_t *in, size_t wrapped_len,
    uint8_t *out) {
    size_t len = wrapped_len - 8, n = len / 8;
    uint8_t b[16], iv[8];
    for (int k = 0; k < 8; ++k) {
        b[k] = in[k];
        iv[k] = DLMS_GCM_KW_IV;
    }
    for (size_t i = 0; i < len; ++i) {
        out[i] = in[8 + i]; // forwards: safe when out == in
    }
    for (uint64_t j = 6; j-- > 0;) {
        for (size_t i = n; i >= 1; --i) {
            uint8_t *r = out + 8 * (i - 1);
            dlms_gcm_kw_xor_t(b, n * j + i);
            for (int k = 0; k < 8; ++k) {
                b[8 + k] = r[k];
            }
            dlms_gcm_aes_decrypt(kek, b, b);
            for (int k = 0; k < 8; ++k) {
                r[k] = b[8 + k];
            }
        }
    }
    int ok = dlms_gcm_ct_equal(b, iv, 8);
    dlms_gcm_wipe(b, sizeof(b));
    if (!ok) {
        dlms_gcm_wipe(out, len);
        return -1;
    }
    return 0;
}

#endif // DLMS_GCM_HAS_KEYWRAP
