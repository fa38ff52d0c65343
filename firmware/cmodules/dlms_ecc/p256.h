// SPDX-License-Identifier: MIT
// NIST P-256 (SEC 2 2.4.2, FIPS 186-4 D.1.2.3): arithmetic mod p and mod n in Montgomery
// form (p256.c; multiplication p256_fp64.h or p256_fp32.c by limb width), Jacobian point
// arithmetic and scalar multiplication (p256_point.c). Portable C99, no libc.
#ifndef DLMS_ECC_P256_H
#define DLMS_ECC_P256_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

typedef dlms_ecc_limb_t dlms_ecc_fe_t[DLMS_ECC_NLIMBS]; // little-endian limbs

// A modulus for Montgomery arithmetic (R = 2^256).
typedef struct _dlms_ecc_mod_t {
    dlms_ecc_fe_t m;     // the modulus
    dlms_ecc_fe_t r2;    // R^2 mod m
    dlms_ecc_limb_t m0;  // -m^-1 mod 2^LIMB_BITS
} dlms_ecc_mod_t;

// Jacobian point (X/Z^2, Y/Z^3), coordinates in Montgomery form; Z = 0 is infinity.
typedef struct _dlms_ecc_jac_t {
    dlms_ecc_fe_t x, y, z;
} dlms_ecc_jac_t;

extern const dlms_ecc_mod_t dlms_ecc_p;
extern const dlms_ecc_mod_t dlms_ecc_n;

// Limb vectors.
void dlms_ecc_fe_from_bytes(dlms_ecc_limb_t *r, const uint8_t *b32);
void dlms_ecc_fe_to_bytes(uint8_t *b32, const dlms_ecc_limb_t *a);
void dlms_ecc_fe_copy(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a);
void dlms_ecc_fe_set_small(dlms_ecc_limb_t *r, dlms_ecc_limb_t v);
dlms_ecc_limb_t dlms_ecc_mask_eq(unsigned a, unsigned b);           // all ones if a == b
dlms_ecc_limb_t dlms_ecc_fe_is_zero(const dlms_ecc_limb_t *a);        // 1 or 0, constant time
dlms_ecc_limb_t dlms_ecc_fe_lt(const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b); // a < b
dlms_ecc_limb_t dlms_ecc_fe_eq(const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b);
void dlms_ecc_fe_cmov(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, dlms_ecc_limb_t mask);

// Arithmetic mod m (inputs < m; mul/sqr/inv work on Montgomery representatives).
void dlms_ecc_mod_add(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b,
    const dlms_ecc_mod_t *m);
void dlms_ecc_mod_sub(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b,
    const dlms_ecc_mod_t *m);
void dlms_ecc_mod_mul(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b,
    const dlms_ecc_mod_t *m);
void dlms_ecc_mod_to_mont(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_mod_t *m);
void dlms_ecc_mod_from_mont(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_mod_t *m);
void dlms_ecc_mod_inv(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_mod_t *m);
// Plain form a^-1 mod m (0 < a < m), variable time: public a only.
void dlms_ecc_mod_inv_vartime(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a,
    const dlms_ecc_mod_t *m);
// GF(p) in Montgomery form: static inline and unrolled for 64-bit limbs (p256_fp64.h),
// unrolled with a reduction specific to p for 32-bit limbs (p256_fp32.c).
#if DLMS_ECC_LIMB_BITS == 64
#include "p256_fp64.h"
#else
void dlms_ecc_fp_mul(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b);
void dlms_ecc_fp_sqr(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a);
void dlms_ecc_fp_add(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b);
void dlms_ecc_fp_sub(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a, const dlms_ecc_limb_t *b);
void dlms_ecc_fp_half(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a);
#endif
// r = a mod m for any a < 2^256 (valid for p and n: 2^256 < 2m).
void dlms_ecc_mod_reduce_once(dlms_ecc_limb_t *r, const dlms_ecc_limb_t *a,
    const dlms_ecc_mod_t *m);

// Points (p256_point.c). Encoded points are X||Y, 32-byte big-endian each (SEC 1 2.3.3
// without the 04 prefix).
int dlms_ecc_point_decode(dlms_ecc_jac_t *r, const uint8_t *xy64); // 1 if on the curve
void dlms_ecc_point_encode(uint8_t *xy64, const dlms_ecc_jac_t *a); // a must not be infinity
void dlms_ecc_point_affine(dlms_ecc_limb_t *x, dlms_ecc_limb_t *y, const dlms_ecc_jac_t *a);
void dlms_ecc_point_dbl(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a);
void dlms_ecc_point_add_vartime(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a,
    const dlms_ecc_jac_t *b);

// r = k*P in constant time for secret k (32 bytes big-endian, 1 <= k < n) and P of order n.
void dlms_ecc_mul_ct(dlms_ecc_jac_t *r, const uint8_t *k32, const dlms_ecc_jac_t *p);
// r = k*G in constant time (1 <= k < n).
void dlms_ecc_mul_base_ct(dlms_ecc_jac_t *r, const uint8_t *k32);
// r = u1*G + u2*Q, variable time (public scalars; ECDSA verification).
void dlms_ecc_mul2_vartime(dlms_ecc_jac_t *r, const uint8_t *u1, const uint8_t *u2,
    const dlms_ecc_jac_t *q);
// 1 if (affine x of a) mod n == r (plain limbs, 0 < r < n); a finite. Variable time.
int dlms_ecc_point_x_eq_mod_n(const dlms_ecc_jac_t *a, const dlms_ecc_limb_t *r);

#endif // DLMS_ECC_P256_H
