// SPDX-License-Identifier: MIT
// P-256 arithmetic for 32-bit limbs (MCUs; 32x32->64 multiply): the dlms_ecc_fp_* of
// p256.h and the Montgomery multiplication mod n behind dlms_ecc_mod_mul. Elements stay in
// Montgomery form (R = 2^256) as with 64-bit limbs, so the rodata tables fit both widths.
// Products are fully unrolled 8x8-limb schoolbook (operand scanning, HAC alg. 14.12);
// squaring computes the 28 cross products once (HAC alg. 14.16). Reduction mod p is word-
// by-word Montgomery specialised to p = 2^256 - 2^224 + 2^192 + 2^96 - 1: -p^-1 = 1 mod
// 2^32, so each quotient word is the current low word and q p is added as shifted copies
// of q (no multiplies; Gueron-Krasnov, "Fast prime field elliptic-curve cryptography with
// 256-bit primes", J. Cryptogr. Eng. 5, 2015). No branches or secret-dependent indices:
// constant time.
#include "p256.h"

#if DLMS_ECC_LIMB_BITS == 32

typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t i64;

// The product, reduction and final subtraction are forced inline into dlms_ecc_fp_mul,
// _sqr and _add, so that their words stay in registers or one stack frame (about 10% fewer
// instructions per multiplication on Cortex-M4 at -Os, +0.6 KB).
#if defined(__GNUC__)
#define FP32_INLINE static inline __attribute__((always_inline))
#else
#define FP32_INLINE static inline
#endif

// x = a b + t + c with t, c < 2^32 never overflows 64 bits.
#define MAC(t, a, b) do { u64 x_ = (u64)(a) * (b) + (t) + c; \
                          (t) = (u32)x_; c = (u32)(x_ >> 32); } while (0)
#define MUL(t, a, b) do { u64 x_ = (u64)(a) * (b) + c; \
                          (t) = (u32)x_; c = (u32)(x_ >> 32); } while (0)

// t[0..15] = a b.
FP32_INLINE void dlms_ecc_mul256(u32 *t, const u32 *a, const u32 *b) {
    u32 t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, c, x;
    u32 b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6],
        b7 = b[7];
    x = a[0];
    c = 0;
    MUL(t0, x, b0);
    MUL(t1, x, b1);
    MUL(t2, x, b2);
    MUL(t3, x, b3);
    MUL(t4, x, b4);
    MUL(t5, x, b5);
    MUL(t6, x, b6);
    MUL(t7, x, b7);
    t8 = c;
    #define ROW(i, r0, r1, r2, r3, r4, r5, r6, r7, r8) \
    x = a[i]; c = 0; MAC(r0, x, b0); MAC(r1, x, b1); MAC(r2, x, b2); MAC(r3, x, b3); \
    MAC(r4, x, b4); MAC(r5, x, b5); MAC(r6, x, b6); MAC(r7, x, b7); r8 = c
    ROW(1, t1, t2, t3, t4, t5, t6, t7, t8, t9);
    ROW(2, t2, t3, t4, t5, t6, t7, t8, t9, t10);
    ROW(3, t3, t4, t5, t6, t7, t8, t9, t10, t11);
    ROW(4, t4, t5, t6, t7, t8, t9, t10, t11, t12);
    ROW(5, t5, t6, t7, t8, t9, t10, t11, t12, t13);
    ROW(6, t6, t7, t8, t9, t10, t11, t12, t13, t14);
    ROW(7, t7, t8, t9, t10, t11, t12, t13, t14, t15);
    #undef ROW
    t[0] = t0;
    t[1] = t1;
    t[2] = t2;
    t[3] = t3;
    t[4] = t4;
    t[5] = t5;
    t[6] = t6;
    t[7] = t7;
    t[8] = t8;
    t[9] = t9;
    t[10] = t10;
    t[11] = t11;
    t[12] = t12;
    t[13] = t13;
    t[14] = t14;
    t[15] = t15;
}

// t[0..15] = a^2: cross products a_i a_j (i < j), doubled, plus the squares a_i^2.
FP32_INLINE void dlms_ecc_sqr256(u32 *t, const u32 *a) {
    u32 t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, c, x;
    u32 a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
    x = a[0];
    c = 0;
    MUL(t1, x, a1);
    MUL(t2, x, a2);
    MUL(t3, x, a3);
    MUL(t4, x, a4);
    MUL(t5, x, a5);
    MUL(t6, x, a6);
    MUL(t7, x, a7);
    t8 = c;
    c = 0;
    MAC(t3, a1, a2);
    MAC(t4, a1, a3);
    MAC(t5, a1, a4);
    MAC(t6, a1, a5);
    MAC(t7, a1, a6);
    MAC(t8, a1, a7);
    t9 = c;
    c = 0;
    MAC(t5, a2, a3);
    MAC(t6, a2, a4);
    MAC(t7, a2, a5);
    MAC(t8, a2, a6);
    MAC(t9, a2, a7);
    t10 = c;
    c = 0;
    MAC(t7, a3, a4);
    MAC(t8, a3, a5);
    MAC(t9, a3, a6);
    MAC(t10, a3, a7);
    t11 = c;
    c = 0;
    MAC(t9, a4, a5);
    MAC(t10, a4, a6);
    MAC(t11, a4, a7);
    t12 = c;
    c = 0;
    MAC(t11, a5, a6);
    MAC(t12, a5, a7);
    t13 = c;
    c = 0;
    MAC(t13, a6, a7);
    t14 = c;
    // t = 2 (cross products) + the squares a_i^2 at words 2i, 2i + 1
    #define DIAG(i, ai, dlo, dhi) do { \
        u64 x_ = (u64)(ai) * (ai) + (dlo) + c; t[2 * i] = (u32)x_; \
        x_ = (x_ >> 32) + (dhi); t[2 * i + 1] = (u32)x_; c = (u32)(x_ >> 32); } while (0)
    c = 0;
    DIAG(0, x, 0, t1 << 1);
    DIAG(1, a1, (t2 << 1) | (t1 >> 31), (t3 << 1) | (t2 >> 31));
    DIAG(2, a2, (t4 << 1) | (t3 >> 31), (t5 << 1) | (t4 >> 31));
    DIAG(3, a3, (t6 << 1) | (t5 >> 31), (t7 << 1) | (t6 >> 31));
    DIAG(4, a4, (t8 << 1) | (t7 >> 31), (t9 << 1) | (t8 >> 31));
    DIAG(5, a5, (t10 << 1) | (t9 >> 31), (t11 << 1) | (t10 >> 31));
    DIAG(6, a6, (t12 << 1) | (t11 >> 31), (t13 << 1) | (t12 >> 31));
    DIAG(7, a7, (t14 << 1) | (t13 >> 31), t14 >> 31);
    #undef DIAG
}

#undef MAC
#undef MUL

// r = v mod p for v = v0..v7 + 2^256 hi < 2p (hi = 0 or 1): d = v + (2^256 - p) (words 1,
// 0, 0, -1, -1, -1, -2, 0); v >= p exactly when that carries past 2^256 or hi is set.
FP32_INLINE void dlms_ecc_fp_final(u32 *r, const u32 *v, u32 hi) {
    u32 d0, d1, d2, d3, d4, d5, d6, d7, v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3], v4 = v[4],
        v5 = v[5], v6 = v[6], v7 = v[7];
    u64 s = (u64)v0 + 1;
    d0 = (u32)s;
    s = (s >> 32) + v1;
    d1 = (u32)s;
    s = (s >> 32) + v2;
    d2 = (u32)s;
    s = (s >> 32) + v3 + 0xFFFFFFFFu;
    d3 = (u32)s;
    s = (s >> 32) + v4 + 0xFFFFFFFFu;
    d4 = (u32)s;
    s = (s >> 32) + v5 + 0xFFFFFFFFu;
    d5 = (u32)s;
    s = (s >> 32) + v6 + 0xFFFFFFFEu;
    d6 = (u32)s;
    s = (s >> 32) + v7;
    d7 = (u32)s;
    u32 mask = 0 - (hi | (u32)(s >> 32));
    r[0] = v0 ^ ((v0 ^ d0) & mask);
    r[1] = v1 ^ ((v1 ^ d1) & mask);
    r[2] = v2 ^ ((v2 ^ d2) & mask);
    r[3] = v3 ^ ((v3 ^ d3) & mask);
    r[4] = v4 ^ ((v4 ^ d4) & mask);
    r[5] = v5 ^ ((v5 ^ d5) & mask);
    r[6] = v6 ^ ((v6 ^ d6) & mask);
    r[7] = v7 ^ ((v7 ^ d7) & mask);
}

// r = t 2^-256 mod p for t < 2^256 p. Column j of t + q p takes -q_j and q_(j-3), q_(j-6),
// -q_(j-7), q_(j-8) (the signed digits of p); q_j (j < 8) is chosen so that the column
// vanishes mod 2^32. Signed 64-bit column sums (>> is an arithmetic shift, as in GCC,
// Clang and every compiler for these targets).
FP32_INLINE void dlms_ecc_fp_redc(u32 *r, const u32 *t) {
    u32 q0 = t[0], q1 = t[1], q2 = t[2], q3, q4, q5, q6, q7, v[8];
    i64 s = (i64)t[3] + q0;
    q3 = (u32)s;
    s = (s >> 32) + t[4] + q1;
    q4 = (u32)s;
    s = (s >> 32) + t[5] + q2;
    q5 = (u32)s;
    s = (s >> 32) + t[6] + q3 + q0;
    q6 = (u32)s;
    s = (s >> 32) + t[7] + q4 + q1 - q0;
    q7 = (u32)s;
    s = (s >> 32) + t[8] + q5 + q2 - q1 + q0;
    v[0] = (u32)s;
    s = (s >> 32) + t[9] + q6 + q3 - q2 + q1;
    v[1] = (u32)s;
    s = (s >> 32) + t[10] + q7 + q4 - q3 + q2;
    v[2] = (u32)s;
    s = (s >> 32) + t[11] + q5 - q4 + q3;
    v[3] = (u32)s;
    s = (s >> 32) + t[12] + q6 - q5 + q4;
    v[4] = (u32)s;
    s = (s >> 32) + t[13] + q7 - q6 + q5;
    v[5] = (u32)s;
    s = (s >> 32) + t[14] + q6 - q7;
    v[6] = (u32)s;
    s = (s >> 32) + t[15] + q7;
    v[7] = (u32)s;
    dlms_ecc_fp_final(r, v, (u32)(s >> 32));
}

// r = a b 2^-256 mod p (a, b < p; r may alias them), and the same for a^2 below.
void dlms_ecc_fp_mul(u32 *r, const u32 *a, const u32 *b) {
    u32 t[16];
    dlms_ecc_mul256(t, a, b);
    dlms_ecc_fp_redc(r, t);
}

void dlms_ecc_fp_sqr(u32 *r, const u32 *a) {
    u32 t[16];
    dlms_ecc_sqr256(t, a);
    dlms_ecc_fp_redc(r, t);
}

// r = a + b mod p.
void dlms_ecc_fp_add(u32 *r, const u32 *a, const u32 *b) {
    u32 t[8];
    u64 c = (u64)a[0] + b[0];
    t[0] = (u32)c;
    #define ADDW(i) c = (c >> 32) + a[i] + b[i]; t[i] = (u32)c
    ADDW(1);
    ADDW(2);
    ADDW(3);
    ADDW(4);
    ADDW(5);
    ADDW(6);
    ADDW(7);
    #undef ADDW
    dlms_ecc_fp_final(r, t, (u32)(c >> 32));
}

// r = a - b, plus p (words -1, -1, -1, 0, 0, 0, 1, -1) when that borrows (mask m).
void dlms_ecc_fp_sub(u32 *r, const u32 *a, const u32 *b) {
    u32 t0, t1, t2, t3, t4, t5, t6, t7;
    i64 s = (i64)a[0] - b[0];
    t0 = (u32)s;
    #define SUBW(i) s = (s >> 32) + a[i] - b[i]; t##i = (u32)s
    SUBW(1);
    SUBW(2);
    SUBW(3);
    SUBW(4);
    SUBW(5);
    SUBW(6);
    SUBW(7);
    #undef SUBW
    u32 m = (u32)(s >> 32);
    u64 c = (u64)t0 + m;
    r[0] = (u32)c;
    c = (c >> 32) + t1 + m;
    r[1] = (u32)c;
    c = (c >> 32) + t2 + m;
    r[2] = (u32)c;
    c = (c >> 32) + t3;
    r[3] = (u32)c;
    c = (c >> 32) + t4;
    r[4] = (u32)c;
    c = (c >> 32) + t5;
    r[5] = (u32)c;
    c = (c >> 32) + t6 + (m & 1);
    r[6] = (u32)c;
    r[7] = (u32)((c >> 32) + t7 + m);
}

// r = a / 2 mod p: a + p when a is odd (mask), then shifted right with the carry.
void dlms_ecc_fp_half(u32 *r, const u32 *a) {
    u32 t[8];
    i64 m = a[0] & 1;
    i64 s = (i64)a[0] - m;
    t[0] = (u32)s;
    s = (s >> 32) + a[1];
    t[1] = (u32)s;
    s = (s >> 32) + a[2];
    t[2] = (u32)s;
    s = (s >> 32) + a[3] + m;
    t[3] = (u32)s;
    s = (s >> 32) + a[4];
    t[4] = (u32)s;
    s = (s >> 32) + a[5];
    t[5] = (u32)s;
    s = (s >> 32) + a[6] + m;
    t[6] = (u32)s;
    s = (s >> 32) + a[7] - m + (m << 32); // the 2^256 of p
    t[7] = (u32)s;
    u32 c = (u32)(s >> 32);
    for (int i = 0; i < 7; i++) {
        r[i] = (t[i] >> 1) | (t[i + 1] << 31);
    }
    r[7] = (t[7] >> 1) | (c << 31);
}

// r = t 2^-256 mod m for t < 2^256 m, any odd m (word-by-word Montgomery reduction with
// m0 = -m^-1 mod 2^32, HAC alg. 14.32); t (16 words) is overwritten.
static void dlms_ecc_redc_any(u32 *r, u32 *t, const dlms_ecc_mod_t *mm) {
    const u32 *m = mm->m;
    u32 k0 = m[0], k1 = m[1], k2 = m[2], k3 = m[3], k4 = m[4], k5 = m[5], k6 = m[6],
        k7 = m[7], hi = 0;
    for (int i = 0; i < 8; i++) {
        u32 *w = t + i, u = w[0] * mm->m0, c = 0;
        u64 x;
        #define MAC(j, kj) x = (u64)u * (kj) + w[j] + c; w[j] = (u32)x; c = (u32)(x >> 32)
        MAC(0, k0);
        MAC(1, k1);
        MAC(2, k2);
        MAC(3, k3);
        MAC(4, k4);
        MAC(5, k5);
        MAC(6, k6);
        MAC(7, k7);
        #undef MAC
        x = (u64)w[8] + c + hi;
        w[8] = (u32)x;
        hi = (u32)(x >> 32);
    }
    // v = t[8..15] + 2^256 hi < 2m: subtract m when v >= m
    u32 d[8];
    i64 s = 0;
    for (int i = 0; i < 8; i++) {
        s += (i64)t[8 + i] - m[i];
        d[i] = (u32)s;
        s >>= 32;
    }
    u32 mask = 0 - (hi | (u32)(s + 1)); // s = 0 (no borrow) or -1
    for (int i = 0; i < 8; i++) {
        r[i] = (t[8 + i] & ~mask) | (d[i] & mask);
    }
}

// Montgomery multiplication for any odd 256-bit modulus (p takes its own reduction). Mod n
// it only runs a few times per signature: a compact product (HAC alg. 14.12 as loops).
void dlms_ecc_mod_mul(u32 *r, const u32 *a, const u32 *b, const dlms_ecc_mod_t *m) {
    u32 t[16];
    if (m == &dlms_ecc_p) {
        dlms_ecc_fp_mul(r, a, b);
        return;
    }
    for (int i = 0; i < 8; i++) {
        t[i] = 0;
    }
    for (int i = 0; i < 8; i++) {
        u32 c = 0;
        for (int j = 0; j < 8; j++) {
            u64 x = (u64)a[i] * b[j] + t[i + j] + c;
            t[i + j] = (u32)x;
            c = (u32)(x >> 32);
        }
        t[i + 8] = c;
    }
    dlms_ecc_redc_any(r, t, m);
}

#endif
