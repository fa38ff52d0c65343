// SPDX-License-Identifier: MIT
// P-256 ECDSA (FIPS 186-4 6, SEC 1 4.1) with RFC 6979 nonces, ECDH (SEC 1 3.3.1) and key
// generation (FIPS 186-4 B.4.2). Keys and signatures in DLMS form: private key 32 bytes,
// public key X||Y 64 bytes, signature r||s 64 bytes, all big-endian. Portable C99.
#ifndef DLMS_ECC_ECDSA_H
#define DLMS_ECC_ECDSA_H

#include <stdint.h>

// Results.
#define DLMS_ECC_OK (0)
#define DLMS_ECC_ERR_KEY (-1)    // private key (or k) not in [1, n-1]
#define DLMS_ECC_ERR_POINT (-2)  // public key off the curve or a coordinate >= p
#define DLMS_ECC_ERR_RETRY (-3)  // caller-supplied k gives r = 0 or s = 0: use another k

// FIPS 186-4 B.4.2 "testing candidates": d = random32 if 1 <= d <= n-1, else ERR_KEY and
// the caller draws new random bytes (no reduction, so no bias). Writes d and Q = dG.
int dlms_ecc_keygen(const uint8_t *random32, uint8_t *priv32, uint8_t *pub64);
int dlms_ecc_pubkey(const uint8_t *priv32, uint8_t *pub64);
int dlms_ecc_valid_point(const uint8_t *pub64); // 1 or 0
// Signs a 32-byte digest. k32 == NULL: deterministic k (RFC 6979 3.2, HMAC-SHA-256).
int dlms_ecc_sign(const uint8_t *priv32, const uint8_t *digest32, const uint8_t *k32,
    uint8_t *sig64);
int dlms_ecc_verify(const uint8_t *pub64, const uint8_t *digest32, const uint8_t *sig64);
int dlms_ecc_ecdh(const uint8_t *priv32, const uint8_t *peer64, uint8_t *out32);

#endif // DLMS_ECC_ECDSA_H
