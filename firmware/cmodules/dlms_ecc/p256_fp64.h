// SPDX-License-Identifier: MIT
// GF(p) arithmetic for 64-bit limbs (the dlms_ecc_fp_* of p256.h), included by p256.h as
// static inline functions so that the point formulas inline them (no calls, no PLT under
// -fpic). Montgomery reduction uses the shape of p: p[0] = 2^64 - 1 (so -p^-1 mod 2^64 = 1
// and the low limb cancels into a carry of u), p[1] = 2^32 - 1, p[2] = 0,
// p[3] = 2^64 - 2^32 + 1: at most one multiplication per reduction step instead of four
// (none in the x86-64 version). Unrolled, no branches: constant time.
#ifndef DLMS_ECC_P256_FP64_H
#define DLMS_ECC_P256_FP64_H

#define DLIMB dlms_ecc_dlimb_t

// Multiplication and squaring are forced inline: the point formulas then keep values in
// registers across them (about 10% faster point arithmetic; larger x64 code).
#if defined(__GNUC__)
#define FP64_INLINE static inline __attribute__((always_inline))
#else
#define FP64_INLINE static inline
#endif

#define FP64_P1 (0x00000000FFFFFFFFULL)
#define FP64_P3 (0xFFFFFFFF00000001ULL)

// r = t mod p for t = t0..t3 + 2^256 t4 < 2p (subtract p once when t >= p). Computed as
// d = t + (2^256 - p): the carry out of that addition (or t4) says t >= p.
static inline void dlms_ecc_fp_final(uint64_t *r, uint64_t t0, uint64_t t1, uint64_t t2,
    uint64_t t3, uint64_t t4) {
    DLIMB s;
    uint64_t d0, d1, d2, d3;
    s = (DLIMB)t0 + 1;
    d0 = (uint64_t)s;
    s = (DLIMB)t1 + 0xFFFFFFFF00000000ULL + (uint64_t)(s >> 64);
    d1 = (uint64_t)s;
    s = (DLIMB)t2 + 0xFFFFFFFFFFFFFFFFULL + (uint64_t)(s >> 64);
    d2 = (uint64_t)s;
    s = (DLIMB)t3 + 0x00000000FFFFFFFEULL + (uint64_t)(s >> 64);
    d3 = (uint64_t)s;
    uint64_t mask = 0 - (t4 | (uint64_t)(s >> 64));
    r[0] = (t0 & ~mask) | (d0 & mask);
    r[1] = (t1 & ~mask) | (d1 & mask);
    r[2] = (t2 & ~mask) | (d2 & mask);
    r[3] = (t3 & ~mask) | (d3 & mask);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(DLMS_ECC_NO_ADX)
// x86-64: add-with-carry chains through the compiler builtins (plain ADC/SBB instructions,
// no -madx needed, no libc); gcc's code for the same chains written with unsigned __int128
// is about 1.4x slower. -DDLMS_ECC_NO_ADX selects the portable __int128 versions below.
typedef unsigned long long dlms_ecc_ull_t;
#define ADC(c, x, y, out) do { dlms_ecc_ull_t o_; \
        c = __builtin_ia32_addcarryx_u64(c, (x), (y), &o_); out = o_; } while (0)
#define SBB(c, x, y, out) do { dlms_ecc_ull_t o_; \
        c = __builtin_ia32_sbb_u64(c, (x), (y), &o_); out = o_; } while (0)
#define MULW(x, y, lo, hi) do { DLIMB p_ = (DLIMB)(x) * (y); \
        lo = (uint64_t)p_; hi = (uint64_t)(p_ >> 64); } while (0)

// r = t mod p for t = t0..t3 + 2^256 t4 < 2p (t4 = 0 or 1): subtract p, add it back on a
// borrow that t4 does not cover.
static inline void dlms_ecc_fp_final_x(uint64_t *r, uint64_t t0, uint64_t t1, uint64_t t2,
    uint64_t t3, uint64_t t4) {
    unsigned char cf = 0, bf = 0;
    uint64_t m;
    SBB(bf, t0, 0xFFFFFFFFFFFFFFFFULL, t0); SBB(bf, t1, FP64_P1, t1); SBB(bf, t2, 0, t2);
    SBB(bf, t3, FP64_P3, t3);
    m = 0 - (uint64_t)(bf & ((unsigned char)t4 ^ 1));
    ADC(cf, t0, m, r[0]); ADC(cf, t1, FP64_P1 & m, r[1]); ADC(cf, t2, 0, r[2]);
    ADC(cf, t3, FP64_P3 & m, r[3]);
}

// Montgomery reduction of the 8-limb t0..t7 in four steps: u = low limb, t = (t + u p) /
// 2^64, where u p adds u << 32 and u >> 32 at limbs 1, 2 and u P3 at limbs 3, 4 (p[0] =
// 2^64 - 1 cancels limb 0 into a carry of u, p[2] = 0). u P3 = u 2^64 - u 2^32 + u is
// formed by shifts and subtractions. A step's carry out joins the high half of the next
// step's u P3 (no overflow: u P3 < 2^128 - 2^96); the last one is t8.
#define FP64_RSTEP(ti, x1, x2, x3, x4, kin) do { \
        uint64_t u_ = (ti), pl_, ph_; unsigned char b_ = 0, c_ = 0; \
        SBB(b_, u_, u_ << 32, pl_); SBB(b_, u_, u_ >> 32, ph_); \
        ADC(c_, x1, u_ << 32, x1); ADC(c_, x2, u_ >> 32, x2); ADC(c_, x3, pl_, x3); \
        ADC(c_, x4, ph_ + (kin), x4); k_ = c_; \
} while (0)
#define FP64_REDX() do { \
        unsigned char k_ = 0; \
        FP64_RSTEP(t0, t1, t2, t3, t4, 0); \
        FP64_RSTEP(t1, t2, t3, t4, t5, k_); \
        FP64_RSTEP(t2, t3, t4, t5, t6, k_); \
        FP64_RSTEP(t3, t4, t5, t6, t7, k_); \
        t8 = k_; \
} while (0)

// (o0..o4) = (o0..o3) + a bi 2^0 (o4 is written): one row of the schoolbook product.
#define ROWP(bi, o0, o1, o2, o3, o4) do { \
        uint64_t l0, l1, l2, l3, h0, h1, h2, h3, r1, r2, r3, r4; unsigned char c_ = 0; \
        MULW(a0, bi, l0, h0); MULW(a1, bi, l1, h1); MULW(a2, bi, l2, h2); MULW(a3, bi, l3, h3); \
        ADC(c_, l1, h0, r1); ADC(c_, l2, h1, r2); ADC(c_, l3, h2, r3); ADC(c_, h3, 0, r4); \
        c_ = 0; ADC(c_, o0, l0, o0); ADC(c_, o1, r1, o1); ADC(c_, o2, r2, o2); \
        ADC(c_, o3, r3, o3); ADC(c_, 0, r4, o4); \
} while (0)

// r = a b 2^-256 mod p: 8-limb product by rows, then FP64_REDX. r may alias a or b.
FP64_INLINE void dlms_ecc_fp_mul(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, t8;
    {
        uint64_t l1, l2, l3, h0, h1, h2, h3;
        unsigned char c_ = 0;
        MULW(a0, b0, t0, h0); MULW(a1, b0, l1, h1); MULW(a2, b0, l2, h2); MULW(a3, b0, l3, h3);
        ADC(c_, l1, h0, t1); ADC(c_, l2, h1, t2); ADC(c_, l3, h2, t3); ADC(c_, h3, 0, t4);
    }
    ROWP(b1, t1, t2, t3, t4, t5);
    ROWP(b2, t2, t3, t4, t5, t6);
    ROWP(b3, t3, t4, t5, t6, t7);
    FP64_REDX();
    dlms_ecc_fp_final_x(r, t4, t5, t6, t7, t8);
}

// r = a^2 2^-256 mod p: 6 cross products doubled plus 4 squares (10 multiplications
// instead of 16), then FP64_REDX.
FP64_INLINE void dlms_ecc_fp_sqr(uint64_t *r, const uint64_t *a) {
    uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    uint64_t l01, h01, l02, h02, l03, h03, l12, h12, l13, h13, l23, h23, x4, x5;
    uint64_t h0, l1, h1, l2, h2, l3, h3;
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, t8;
    unsigned char cf;
    MULW(a0, a1, l01, h01); MULW(a0, a2, l02, h02); MULW(a0, a3, l03, h03);
    MULW(a1, a2, l12, h12); MULW(a1, a3, l13, h13); MULW(a2, a3, l23, h23);
    // sum of a_i a_j 2^(64 (i + j)), i < j, at limbs 1..6
    cf = 0; t1 = l01; ADC(cf, h01, l02, t2); ADC(cf, h02, l03, t3); ADC(cf, h03, 0, t4);
    cf = 0; ADC(cf, h12, l13, x4); ADC(cf, h13, 0, x5);
    cf = 0; ADC(cf, t3, l12, t3); ADC(cf, t4, x4, t4); ADC(cf, x5, l23, t5); ADC(cf, h23, 0, t6);
    // doubled, plus a_i^2 at limb 2i
    cf = 0; ADC(cf, t1, t1, t1); ADC(cf, t2, t2, t2); ADC(cf, t3, t3, t3); ADC(cf, t4, t4, t4);
    ADC(cf, t5, t5, t5); ADC(cf, t6, t6, t6); t7 = cf;
    MULW(a0, a0, t0, h0); MULW(a1, a1, l1, h1); MULW(a2, a2, l2, h2); MULW(a3, a3, l3, h3);
    cf = 0; ADC(cf, t1, h0, t1); ADC(cf, t2, l1, t2); ADC(cf, t3, h1, t3);
    ADC(cf, t4, l2, t4); ADC(cf, t5, h2, t5); ADC(cf, t6, l3, t6); ADC(cf, t7, h3, t7);
    FP64_REDX();
    dlms_ecc_fp_final_x(r, t4, t5, t6, t7, t8);
}
#undef ROWP
#undef FP64_REDX
#undef FP64_RSTEP

// r = a + b mod p: sum, minus p, plus p again when the sum was below p (masks, no branch).
static inline void dlms_ecc_fp_add(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t t0, t1, t2, t3;
    unsigned char cf = 0;
    ADC(cf, a[0], b[0], t0); ADC(cf, a[1], b[1], t1); ADC(cf, a[2], b[2], t2);
    ADC(cf, a[3], b[3], t3);
    dlms_ecc_fp_final_x(r, t0, t1, t2, t3, cf);
}

// r = a - b mod p: difference, plus p on a borrow.
static inline void dlms_ecc_fp_sub(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t t0, t1, t2, t3, m;
    unsigned char cf = 0, bf = 0;
    SBB(bf, a[0], b[0], t0); SBB(bf, a[1], b[1], t1); SBB(bf, a[2], b[2], t2);
    SBB(bf, a[3], b[3], t3);
    m = 0 - (uint64_t)bf;
    ADC(cf, t0, m, r[0]); ADC(cf, t1, FP64_P1 & m, r[1]); ADC(cf, t2, 0, r[2]);
    ADC(cf, t3, FP64_P3 & m, r[3]);
}

// r = a / 2 mod p: a + p when a is odd (mask), then shifted right with the carry.
static inline void dlms_ecc_fp_half(uint64_t *r, const uint64_t *a) {
    uint64_t t0, t1, t2, t3, m = 0 - (a[0] & 1);
    unsigned char cf = 0;
    ADC(cf, a[0], m, t0); ADC(cf, a[1], FP64_P1 & m, t1); ADC(cf, a[2], 0, t2);
    ADC(cf, a[3], FP64_P3 & m, t3);
    r[0] = (t0 >> 1) | (t1 << 63);
    r[1] = (t1 >> 1) | (t2 << 63);
    r[2] = (t2 >> 1) | (t3 << 63);
    r[3] = (t3 >> 1) | ((uint64_t)cf << 63);
}
#undef MULW
#undef ADC
#undef SBB
#define DLMS_ECC_FP_MUL_DONE
#endif

#ifndef DLMS_ECC_FP_MUL_DONE
static inline void dlms_ecc_fp_add(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    DLIMB s;
    uint64_t t0, t1, t2, t3;
    s = (DLIMB)a[0] + b[0];
    t0 = (uint64_t)s;
    s = (DLIMB)a[1] + b[1] + (uint64_t)(s >> 64);
    t1 = (uint64_t)s;
    s = (DLIMB)a[2] + b[2] + (uint64_t)(s >> 64);
    t2 = (uint64_t)s;
    s = (DLIMB)a[3] + b[3] + (uint64_t)(s >> 64);
    t3 = (uint64_t)s;
    dlms_ecc_fp_final(r, t0, t1, t2, t3, (uint64_t)(s >> 64));
}

// r = a - b mod p: a + ~b + 1 (no carry out means a borrow), then p added back by mask.
static inline void dlms_ecc_fp_sub(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    DLIMB s;
    uint64_t t0, t1, t2, t3, m;
    s = (DLIMB)a[0] + (uint64_t)~b[0] + 1;
    t0 = (uint64_t)s;
    s = (DLIMB)a[1] + (uint64_t)~b[1] + (uint64_t)(s >> 64);
    t1 = (uint64_t)s;
    s = (DLIMB)a[2] + (uint64_t)~b[2] + (uint64_t)(s >> 64);
    t2 = (uint64_t)s;
    s = (DLIMB)a[3] + (uint64_t)~b[3] + (uint64_t)(s >> 64);
    t3 = (uint64_t)s;
    m = (uint64_t)(s >> 64) - 1; // all ones on borrow
    s = (DLIMB)t0 + m;
    r[0] = (uint64_t)s;
    s = (DLIMB)t1 + (FP64_P1 & m) + (uint64_t)(s >> 64);
    r[1] = (uint64_t)s;
    s = (DLIMB)t2 + (uint64_t)(s >> 64);
    r[2] = (uint64_t)s;
    s = (DLIMB)t3 + (FP64_P3 & m) + (uint64_t)(s >> 64);
    r[3] = (uint64_t)s;
}

// r = a / 2 mod p: a + p when a is odd (mask), then shifted right with the carry.
static inline void dlms_ecc_fp_half(uint64_t *r, const uint64_t *a) {
    DLIMB s;
    uint64_t t0, t1, t2, m = 0 - (a[0] & 1);
    s = (DLIMB)a[0] + m;
    t0 = (uint64_t)s;
    s = (DLIMB)a[1] + (FP64_P1 & m) + (uint64_t)(s >> 64);
    t1 = (uint64_t)s;
    s = (DLIMB)a[2] + (uint64_t)(s >> 64);
    t2 = (uint64_t)s;
    s = (DLIMB)a[3] + (FP64_P3 & m) + (uint64_t)(s >> 64);
    r[0] = (t0 >> 1) | (t1 << 63);
    r[1] = (t1 >> 1) | (t2 << 63);
    r[2] = (t2 >> 1) | ((uint64_t)s << 63);
    r[3] = (uint64_t)(s >> 1);
}

#endif

#ifndef DLMS_ECC_FP_MUL_DONE
// Portable multiplication and squaring with unsigned __int128. Reduction: four steps of
// t = (t + u p) / 2^64 over the 8-limb product; the carry out of step i is absorbed by
// the u * p[3] term of step i + 1 (u p[3] < 2^128 - 2^96).
#define ACC(dst, expr) do { s = (expr); dst = (uint64_t)s; c = (uint64_t)(s >> 64); } while (0)
#define FP64_RED(ti, t1, t2, t3, kin, kout) do { \
        uint64_t u_ = (ti); \
        ACC(t1, (DLIMB)t1 + ((DLIMB)u_ << 32)); \
        ACC(t2, (DLIMB)t2 + c); \
        ACC(t3, (DLIMB)u_ * FP64_P3 + t3 + c + (kin)); \
        kout = c; \
} while (0)

// Column-wise (Comba) product: (c2, c1, c0) += x y; then the column is done: emit c0, shift.
#define COMBA(x, y) do { \
        DLIMB p_ = (DLIMB)(x) * (y); \
        uint64_t pl_ = (uint64_t)p_, ph_ = (uint64_t)(p_ >> 64); \
        c0 += pl_; ph_ += (c0 < pl_); \
        c1 += ph_; c2 += (c1 < ph_); \
} while (0)
#define COMBA_NEXT(t) do { t = c0; c0 = c1; c1 = c2; c2 = 0; } while (0)

// r = a b 2^-256 mod p: the 8-limb product (independent multiplications), then the four
// reduction steps. r may alias a or b.
FP64_INLINE void dlms_ecc_fp_mul(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, c, k0, k1, k2, k3;
    DLIMB s;
    uint64_t c0 = 0, c1 = 0, c2 = 0;
    COMBA(a0, b0);
    COMBA_NEXT(t0);
    COMBA(a0, b1); COMBA(a1, b0);
    COMBA_NEXT(t1);
    COMBA(a0, b2); COMBA(a1, b1); COMBA(a2, b0);
    COMBA_NEXT(t2);
    COMBA(a0, b3); COMBA(a1, b2); COMBA(a2, b1); COMBA(a3, b0);
    COMBA_NEXT(t3);
    COMBA(a1, b3); COMBA(a2, b2); COMBA(a3, b1);
    COMBA_NEXT(t4);
    COMBA(a2, b3); COMBA(a3, b2);
    COMBA_NEXT(t5);
    COMBA(a3, b3);
    t6 = c0;
    t7 = c1;
    FP64_RED(t0, t1, t2, t3, 0, k0);
    FP64_RED(t1, t2, t3, t4, k0, k1);
    FP64_RED(t2, t3, t4, t5, k1, k2);
    FP64_RED(t3, t4, t5, t6, k2, k3);
    ACC(t7, (DLIMB)t7 + k3);
    dlms_ecc_fp_final(r, t4, t5, t6, t7, c);
}

// r = a^2 2^-256 mod p: 6 cross products doubled plus 4 squares (10 multiplications instead
// of 16), then the same reduction.
FP64_INLINE void dlms_ecc_fp_sqr(uint64_t *r, const uint64_t *a) {
    uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, c, k0, k1, k2, k3;
    DLIMB s;
    // cross products a_i a_j, i < j
    ACC(t1, (DLIMB)a0 * a1);
    ACC(t2, (DLIMB)a0 * a2 + c);
    ACC(t3, (DLIMB)a0 * a3 + c);
    t4 = c;
    ACC(t3, (DLIMB)a1 * a2 + t3);
    ACC(t4, (DLIMB)a1 * a3 + t4 + c);
    t5 = c;
    ACC(t5, (DLIMB)a2 * a3 + t5);
    t6 = c;
    // times 2
    t7 = t6 >> 63;
    t6 = (t6 << 1) | (t5 >> 63);
    t5 = (t5 << 1) | (t4 >> 63);
    t4 = (t4 << 1) | (t3 >> 63);
    t3 = (t3 << 1) | (t2 >> 63);
    t2 = (t2 << 1) | (t1 >> 63);
    t1 <<= 1;
    // plus the squares a_i^2 at limb 2i
    DLIMB q = (DLIMB)a0 * a0;
    t0 = (uint64_t)q;
    ACC(t1, (DLIMB)t1 + (uint64_t)(q >> 64));
    q = (DLIMB)a1 * a1;
    ACC(t2, (DLIMB)t2 + (uint64_t)q + c);
    ACC(t3, (DLIMB)t3 + (uint64_t)(q >> 64) + c);
    q = (DLIMB)a2 * a2;
    ACC(t4, (DLIMB)t4 + (uint64_t)q + c);
    ACC(t5, (DLIMB)t5 + (uint64_t)(q >> 64) + c);
    q = (DLIMB)a3 * a3;
    ACC(t6, (DLIMB)t6 + (uint64_t)q + c);
    t7 += (uint64_t)(q >> 64) + c;
    // Montgomery reduction
    FP64_RED(t0, t1, t2, t3, 0, k0);
    FP64_RED(t1, t2, t3, t4, k0, k1);
    FP64_RED(t2, t3, t4, t5, k1, k2);
    FP64_RED(t3, t4, t5, t6, k2, k3);
    ACC(t7, (DLIMB)t7 + k3);
    dlms_ecc_fp_final(r, t4, t5, t6, t7, c);
}
#endif

#undef FP64_RED
#undef COMBA
#undef COMBA_NEXT
#undef ACC

#undef FP64_P1
#undef FP64_P3
#undef DLIMB
#undef FP64_INLINE

#endif // DLMS_ECC_P256_FP64_H
