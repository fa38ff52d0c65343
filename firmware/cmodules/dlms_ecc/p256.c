// SPDX-License-Identifier: MIT
// NIST P-256 scalar and field arithmetic (points: p256_point.c). Elements mod p and mod n
// use Montgomery multiplication (CIOS, Koc/Acar/Kaliski 1996) over generic limbs; every
// routine that may see secrets runs in constant time: no branches or table indices that
// depend on secret values.
#include "p256.h"

#define NL DLMS_ECC_NLIMBS
#define LB DLMS_ECC_LIMB_BITS
#define LIMB dlms_ecc_limb_t
#define DLIMB dlms_ecc_dlimb_t

#define W DLMS_ECC_W

// SEC 2 2.4.2: p = 2^256 - 2^224 + 2^192 + 2^96 - 1.
const dlms_ecc_mod_t dlms_ecc_p = {
    {W(0xFFFFFFFF, 0xFFFFFFFF), W(0x00000000, 0xFFFFFFFF), W(0x00000000, 0x00000000),
     W(0xFFFFFFFF, 0x00000001)},
    {W(0x00000000, 0x00000003), W(0xFFFFFFFB, 0xFFFFFFFF), W(0xFFFFFFFF, 0xFFFFFFFE),
     W(0x00000004, 0xFFFFFFFD)},
    1, // p = -1 mod 2^64
};

// SEC 2 2.4.2: the order n of G.
const dlms_ecc_mod_t dlms_ecc_n = {
    {W(0xF3B9CAC2, 0xFC632551), W(0xBCE6FAAD, 0xA7179E84), W(0xFFFFFFFF, 0xFFFFFFFF),
     W(0xFFFFFFFF, 0x00000000)},
    {W(0x83244C95, 0xBE79EEA2), W(0x4699799C, 0x49BD6FA6), W(0x2845B239, 0x2B6BEC59),
     W(0x66E12D94, 0xF3D95620)},
    #if DLMS_ECC_LIMB_BITS == 64
    0xCCD1C8AAEE00BC4FULL,
    #else
    0xEE00BC4FUL,
    #endif
};

#if DLMS_ECC_LIMB_BITS == 64
// Montgomery multiplication for any odd 256-bit modulus (used for n), unrolled rows.
#define MOD64_ROW(bi) do { \
        uint64_t b_ = (bi); \
        s = (DLIMB)a[0] * b_ + t0; t0 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)a[1] * b_ + t1 + c; t1 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)a[2] * b_ + t2 + c; t2 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)a[3] * b_ + t3 + c; t3 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)t4 + c; t4 = (uint64_t)s; t5 = (uint64_t)(s >> 64); \
        u = t0 * mm->m0; \
        s = (DLIMB)u * m[0] + t0; c = (uint64_t)(s >> 64); \
        s = (DLIMB)u * m[1] + t1 + c; t0 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)u * m[2] + t2 + c; t1 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)u * m[3] + t3 + c; t2 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)t4 + c; t3 = (uint64_t)s; t4 = t5 + (uint64_t)(s >> 64); \
} while (0)

static void dlms_ecc_mod_mul64(uint64_t *r, const uint64_t *a, const uint64_t *b,
    const dlms_ecc_mod_t *mm) {
    const uint64_t *m = mm->m;
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, c, u;
    DLIMB s;
    uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    MOD64_ROW(b0);
    MOD64_ROW(b1);
    MOD64_ROW(b2);
    MOD64_ROW(b3);
    // t < 2m: subtract m once when t >= m
    uint64_t d[4], bw = 0;
    uint64_t tt[4] = {t0, t1, t2, t3};
    for (int i = 0; i < 4; i++) {
        s = (DLIMB)tt[i] - m[i] - bw;
        d[i] = (uint64_t)s;
        bw = (uint64_t)(s >> 64) & 1;
    }
    uint64_t mask = 0 - (t4 | (bw ^ 1));
    for (int i = 0; i < 4; i++) {
        r[i] = (tt[i] & ~mask) | (d[i] & mask);
    }
}

#undef MOD64_ROW

#endif

// ---- limb vectors ----

void dlms_ecc_fe_from_bytes(LIMB *r, const uint8_t *b) {
    for (int i = 0; i < NL; i++) {
        LIMB v = 0;
        const uint8_t *s = b + 32 - (i + 1) * (LB / 8);
        for (int j = 0; j < LB / 8; j++) {
            v = (v << 8) | s[j];
        }
        r[i] = v;
    }
}

void dlms_ecc_fe_to_bytes(uint8_t *b, const LIMB *a) {
    for (int i = 0; i < NL; i++) {
        LIMB v = a[i];
        for (int j = 0; j < LB / 8; j++) {
            b[31 - i * (LB / 8) - j] = (uint8_t)(v >> (8 * j));
        }
    }
}

void dlms_ecc_fe_copy(LIMB *r, const LIMB *a) {
    for (int i = 0; i < NL; i++) {
        r[i] = a[i];
    }
}

void dlms_ecc_fe_set_small(LIMB *r, LIMB v) {
    r[0] = v;
    for (int i = 1; i < NL; i++) {
        r[i] = 0;
    }
}

// 1 if v == 0, else 0, without a branch.
static LIMB dlms_ecc_limb_is_zero(LIMB v) {
    return ((v | (0 - v)) >> (LB - 1)) ^ 1;
}

// all ones when a == b (small public-width integers), else 0; no branch.
LIMB dlms_ecc_mask_eq(unsigned a, unsigned b) {
    return 0 - dlms_ecc_limb_is_zero((LIMB)(a ^ b));
}

LIMB dlms_ecc_fe_is_zero(const LIMB *a) {
    LIMB acc = 0;
    for (int i = 0; i < NL; i++) {
        acc |= a[i];
    }
    return dlms_ecc_limb_is_zero(acc);
}

LIMB dlms_ecc_fe_eq(const LIMB *a, const LIMB *b) {
    LIMB acc = 0;
    for (int i = 0; i < NL; i++) {
        acc |= a[i] ^ b[i];
    }
    return dlms_ecc_limb_is_zero(acc);
}

// r = a - b, returns the borrow (0 or 1).
static LIMB dlms_ecc_fe_sub_raw(LIMB *r, const LIMB *a, const LIMB *b) {
    LIMB borrow = 0;
    for (int i = 0; i < NL; i++) {
        DLIMB d = (DLIMB)a[i] - b[i] - borrow;
        r[i] = (LIMB)d;
        borrow = (LIMB)(d >> LB) & 1;
    }
    return borrow;
}

// r = a + b, returns the carry (0 or 1).
static LIMB dlms_ecc_fe_add_raw(LIMB *r, const LIMB *a, const LIMB *b) {
    LIMB carry = 0;
    for (int i = 0; i < NL; i++) {
        DLIMB s = (DLIMB)a[i] + b[i] + carry;
        r[i] = (LIMB)s;
        carry = (LIMB)(s >> LB);
    }
    return carry;
}

LIMB dlms_ecc_fe_lt(const LIMB *a, const LIMB *b) {
    LIMB t[NL];
    return dlms_ecc_fe_sub_raw(t, a, b);
}

// r = mask ? a : r (mask is all ones or zero).
void dlms_ecc_fe_cmov(LIMB *r, const LIMB *a, LIMB mask) {
    for (int i = 0; i < NL; i++) {
        r[i] = (r[i] & ~mask) | (a[i] & mask);
    }
}

// ---- arithmetic mod m ----

void dlms_ecc_mod_add(LIMB *r, const LIMB *a, const LIMB *b, const dlms_ecc_mod_t *m) {
    LIMB t[NL], d[NL];
    LIMB carry = dlms_ecc_fe_add_raw(t, a, b);
    LIMB borrow = dlms_ecc_fe_sub_raw(d, t, m->m);
    // a + b >= m exactly when it overflowed 2^256 or t - m did not borrow.
    LIMB mask = 0 - (carry | (borrow ^ 1));
    dlms_ecc_fe_cmov(t, d, mask);
    dlms_ecc_fe_copy(r, t);
}

void dlms_ecc_mod_sub(LIMB *r, const LIMB *a, const LIMB *b, const dlms_ecc_mod_t *m) {
    LIMB t[NL], d[NL];
    LIMB borrow = dlms_ecc_fe_sub_raw(t, a, b);
    dlms_ecc_fe_add_raw(d, t, m->m);
    dlms_ecc_fe_cmov(t, d, 0 - borrow);
    dlms_ecc_fe_copy(r, t);
}

void dlms_ecc_mod_reduce_once(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB t[NL], d[NL];
    dlms_ecc_fe_copy(t, a);
    LIMB borrow = dlms_ecc_fe_sub_raw(d, t, m->m);
    dlms_ecc_fe_cmov(t, d, borrow - 1);
    dlms_ecc_fe_copy(r, t);
}

// r = a * b * 2^-256 mod m (CIOS). Inputs < m; r may alias a or b.
void dlms_ecc_mod_mul(LIMB *r, const LIMB *a, const LIMB *b, const dlms_ecc_mod_t *m) {
    #if DLMS_ECC_LIMB_BITS == 64
    dlms_ecc_mod_mul64(r, a, b, m);
    #else
    LIMB t[NL + 2];
    for (int i = 0; i < NL + 2; i++) {
        t[i] = 0;
    }
    for (int i = 0; i < NL; i++) {
        // t += a * b[i]
        LIMB bi = b[i];
        LIMB c = 0;
        for (int j = 0; j < NL; j++) {
            DLIMB s = (DLIMB)a[j] * bi + t[j] + c;
            t[j] = (LIMB)s;
            c = (LIMB)(s >> LB);
        }
        DLIMB s = (DLIMB)t[NL] + c;
        t[NL] = (LIMB)s;
        t[NL + 1] = (LIMB)(s >> LB);
        // t = (t + u * m) / 2^LB, with u chosen so that the low limb cancels
        LIMB u = t[0] * m->m0;
        s = (DLIMB)u * m->m[0] + t[0];
        c = (LIMB)(s >> LB);
        for (int j = 1; j < NL; j++) {
            s = (DLIMB)u * m->m[j] + t[j] + c;
            t[j - 1] = (LIMB)s;
            c = (LIMB)(s >> LB);
        }
        s = (DLIMB)t[NL] + c;
        t[NL - 1] = (LIMB)s;
        t[NL] = t[NL + 1] + (LIMB)(s >> LB);
    }
    // t < 2m: subtract m once when t >= m
    LIMB d[NL];
    LIMB borrow = dlms_ecc_fe_sub_raw(d, t, m->m);
    dlms_ecc_fe_cmov(t, d, 0 - (t[NL] | (borrow ^ 1)));
    dlms_ecc_fe_copy(r, t);
    #endif
}

void dlms_ecc_mod_to_mont(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    dlms_ecc_mod_mul(r, a, m->r2, m);
}

void dlms_ecc_mod_from_mont(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB one[NL];
    dlms_ecc_fe_set_small(one, 1);
    dlms_ecc_mod_mul(r, a, one, m);
}

#define FP (&dlms_ecc_p)
#if DLMS_ECC_LIMB_BITS != 64
// GF(p) operations for 32-bit limbs: the generic Montgomery routines (p256_fp64.h has the
// unrolled 64-bit versions).
void dlms_ecc_fp_mul(LIMB *r, const LIMB *a, const LIMB *b) {
    dlms_ecc_mod_mul(r, a, b, FP);
}

void dlms_ecc_fp_sqr(LIMB *r, const LIMB *a) {
    dlms_ecc_mod_mul(r, a, a, FP);
}

void dlms_ecc_fp_add(LIMB *r, const LIMB *a, const LIMB *b) {
    dlms_ecc_mod_add(r, a, b, FP);
}

void dlms_ecc_fp_sub(LIMB *r, const LIMB *a, const LIMB *b) {
    dlms_ecc_mod_sub(r, a, b, FP);
}
#endif

// r = a^(m-2) = a^-1 (Fermat; FIPS 186-4 B.1/C.1 inversion for prime m), in Montgomery form.
// The exponent is public, so a fixed 4-bit window over it is constant time in a.
static void dlms_ecc_mul_any(LIMB *r, const LIMB *a, const LIMB *b, const dlms_ecc_mod_t *m) {
    if (m == FP) {
        if (a == b) {
            dlms_ecc_fp_sqr(r, a);
        } else {
            dlms_ecc_fp_mul(r, a, b);
        }
    } else {
        dlms_ecc_mod_mul(r, a, b, m);
    }
}

void dlms_ecc_mod_inv(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB tab[16][NL];
    LIMB e[NL], acc[NL];
    dlms_ecc_fe_copy(e, m->m);
    e[0] -= 2; // m is odd and its low limb > 2 for p and n
    dlms_ecc_fe_set_small(tab[0], 1);
    dlms_ecc_mod_to_mont(tab[0], tab[0], m);
    dlms_ecc_fe_copy(tab[1], a);
    for (int i = 2; i < 16; i++) {
        dlms_ecc_mul_any(tab[i], tab[i - 1], a, m);
    }
    dlms_ecc_fe_copy(acc, tab[0]);
    for (int i = 63; i >= 0; i--) {
        for (int j = 0; j < 4; j++) {
            dlms_ecc_mul_any(acc, acc, acc, m);
        }
        unsigned nib = (unsigned)(e[(i * 4) / LB] >> ((i * 4) % LB)) & 15;
        if (nib) {
            dlms_ecc_mul_any(acc, acc, tab[nib], m);
        }
    }
    dlms_ecc_fe_copy(r, acc);
}

// r = a^-1 mod m (plain form, 0 < a < m, m odd), binary extended Euclid. Variable time:
// public inputs only (ECDSA verification).
static LIMB dlms_ecc_vt_sub(LIMB *r, const LIMB *a, const LIMB *b) { // r = a - b, borrow
    LIMB bw = 0;
    for (int i = 0; i < NL; i++) {
        LIMB d = a[i] - b[i];
        LIMB b1 = a[i] < b[i];
        r[i] = d - bw;
        bw = b1 | (d < bw);
    }
    return bw;
}

static void dlms_ecc_vt_half(LIMB *x, const dlms_ecc_mod_t *m) { // x = x / 2 mod m
    LIMB c = 0;
    if (x[0] & 1) {
        for (int i = 0; i < NL; i++) {
            LIMB s = x[i] + c;
            LIMB c1 = s < c;
            x[i] = s + m->m[i];
            c = c1 | (x[i] < s);
        }
    }
    for (int i = 0; i < NL - 1; i++) {
        x[i] = (x[i] >> 1) | (x[i + 1] << (LB - 1));
    }
    x[NL - 1] = (x[NL - 1] >> 1) | (c << (LB - 1));
}

static int dlms_ecc_vt_is_one(const LIMB *a) {
    LIMB t = a[0] ^ 1;
    for (int i = 1; i < NL; i++) {
        t |= a[i];
    }
    return t == 0;
}

void dlms_ecc_mod_inv_vartime(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB u[NL], v[NL], x1[NL], x2[NL];
    dlms_ecc_fe_copy(u, a);
    dlms_ecc_fe_copy(v, m->m);
    dlms_ecc_fe_set_small(x1, 1);
    dlms_ecc_fe_set_small(x2, 0);
    while (!dlms_ecc_vt_is_one(u) && !dlms_ecc_vt_is_one(v)) {
        while (!(u[0] & 1)) {
            for (int i = 0; i < NL - 1; i++) {
                u[i] = (u[i] >> 1) | (u[i + 1] << (LB - 1));
            }
            u[NL - 1] >>= 1;
            dlms_ecc_vt_half(x1, m);
        }
        while (!(v[0] & 1)) {
            for (int i = 0; i < NL - 1; i++) {
                v[i] = (v[i] >> 1) | (v[i + 1] << (LB - 1));
            }
            v[NL - 1] >>= 1;
            dlms_ecc_vt_half(x2, m);
        }
        if (!dlms_ecc_fe_lt(u, v)) {
            dlms_ecc_vt_sub(u, u, v);
            dlms_ecc_mod_sub(x1, x1, x2, m);
        } else {
            dlms_ecc_vt_sub(v, v, u);
            dlms_ecc_mod_sub(x2, x2, x1, m);
        }
    }
    dlms_ecc_fe_copy(r, dlms_ecc_vt_is_one(u) ? x1 : x2);
}

#undef FP
#undef W
#undef NL
#undef LB
#undef LIMB
#undef DLIMB
