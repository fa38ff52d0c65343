// SPDX-License-Identifier: MIT
// AES-128/256, GCM/GMAC (NIST SP 800-38D) and AES key wrap (RFC 3394) for DLMS security
// suites 0-2 (Green Book 9.2.3.3). Portable C99 core: no MicroPython headers, no heap, no
// libc calls. Buffers: `out` may equal `in` (in place) but must not partially overlap it.
#ifndef DLMS_GCM_H
#define DLMS_GCM_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

#define DLMS_GCM_BLOCK (16)
#define DLMS_GCM_IV_LEN (12) // 96-bit IV: system title (8) || invocation counter (4)
#define DLMS_GCM_TAG_MIN (12) // DLMS sends the leading 12 bytes of the tag
#define DLMS_GCM_TAG_MAX (16)

// Expanded AES key (FIPS 197 5.2); round keys as little-endian column words.
typedef struct _dlms_gcm_aes_t {
    uint32_t rk[60];
    uint32_t nr; // 10 (AES-128) or 14 (AES-256)
} dlms_gcm_aes_t;

// aes.c. setkey returns 0, or -1 if len is not 16 (or 32 when DLMS_GCM_HAS_AES256).
int dlms_gcm_aes_setkey(dlms_gcm_aes_t *ctx, const uint8_t *key, size_t len);
void dlms_gcm_aes_encrypt(const dlms_gcm_aes_t *ctx, const uint8_t in[16], uint8_t out[16]);
#if DLMS_GCM_HAS_KEYWRAP
void dlms_gcm_aes_decrypt(const dlms_gcm_aes_t *ctx, const uint8_t in[16], uint8_t out[16]);
#endif
void dlms_gcm_wipe(void *p, size_t n); // zeroing the compiler may not elide

// gcm.c. tag_len 12..16 (SP 800-38D 5.2.1.2). decrypt checks the tag first (constant
// time) and only then decrypts; on failure it zeroes out[0..len) and returns -1, else 0.
void dlms_gcm_encrypt(const dlms_gcm_aes_t *ctx, const uint8_t iv[12],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
    uint8_t *tag, size_t tag_len);
int dlms_gcm_decrypt(const dlms_gcm_aes_t *ctx, const uint8_t iv[12],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
    const uint8_t *tag, size_t tag_len);
int dlms_gcm_ct_equal(const uint8_t *a, const uint8_t *b, size_t n); // 1 if equal

#if DLMS_GCM_HAS_KEYWRAP
// keywrap.c. len = key data length, a multiple of 8 and >= 16; out holds len + 8 bytes.
// unwrap: wrapped_len = len + 8; returns 0, or -1 (out[0..len) zeroed) on a bad IV check.
void dlms_gcm_aes_wrap(const dlms_gcm_aes_t *kek, const uint8_t *in, size_t len, uint8_t *out);
int dlms_gcm_aes_unwrap(const dlms_gcm_aes_t *kek, const uint8_t *in, size_t wrapped_len,
    uint8_t *out);
#endif

#endif // DLMS_GCM_H
