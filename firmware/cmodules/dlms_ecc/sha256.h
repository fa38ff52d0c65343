// SPDX-License-Identifier: MIT
// SHA-256 (FIPS 180-4 6.2) and HMAC-SHA-256 (RFC 2104). Portable C99, no libc.
#ifndef DLMS_ECC_SHA256_H
#define DLMS_ECC_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct _dlms_ecc_sha256_t {
    uint32_t h[8];
    uint64_t len;      // bytes hashed so far
    uint8_t buf[64];   // partial block
} dlms_ecc_sha256_t;

void dlms_ecc_sha256_init(dlms_ecc_sha256_t *ctx);
void dlms_ecc_sha256_update(dlms_ecc_sha256_t *ctx, const uint8_t *data, size_t len);
void dlms_ecc_sha256_final(dlms_ecc_sha256_t *ctx, uint8_t *out32);
void dlms_ecc_sha256(const uint8_t *data, size_t len, uint8_t *out32);

// HMAC-SHA-256 (RFC 2104) with a key of at most 64 bytes (all RFC 6979 3.2 needs). A key
// is prepared once (hmac_key: the hash states after the padded key blocks) and then used
// for any number of messages (init, update, final).
typedef struct _dlms_ecc_hmac_key_t {
    uint32_t ih[8], oh[8];
} dlms_ecc_hmac_key_t;

typedef struct _dlms_ecc_hmac_t {
    dlms_ecc_sha256_t inner;
    const dlms_ecc_hmac_key_t *key;
} dlms_ecc_hmac_t;

void dlms_ecc_hmac_key(dlms_ecc_hmac_key_t *k, const uint8_t *key, size_t key_len);
void dlms_ecc_hmac_init(dlms_ecc_hmac_t *ctx, const dlms_ecc_hmac_key_t *key);
void dlms_ecc_hmac_update(dlms_ecc_hmac_t *ctx, const uint8_t *data, size_t len);
void dlms_ecc_hmac_final(dlms_ecc_hmac_t *ctx, uint8_t *out32);

#endif // DLMS_ECC_SHA256_H
