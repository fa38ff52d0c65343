// SPDX-License-Identifier: MIT
// NIST P-256 scalar and field arithmetic (points: p256_point.c). Elements mod p and mod n
// use Montgomery multiplication (CIOS, Koc/Acar/Kaliski 1996) over generic limbs; every
// routine that may see secrets runs in constant time: no branches or table indices that
// depend on secret values. Inversion: Bernstein-Yang divsteps with 64-bit limbs, Fermat
// (and binary extended Euclid for public values) with 32-bit limbs.
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

// r = a / 2 mod p: a + p when a is odd (mask), then shifted right with the carry.
void dlms_ecc_fp_half(LIMB *r, const LIMB *a) {
    LIMB t[NL], d[NL];
    LIMB m = 0 - (a[0] & 1);
    for (int i = 0; i < NL; i++) {
        d[i] = FP->m[i] & m;
    }
    LIMB c = dlms_ecc_fe_add_raw(t, a, d);
    for (int i = 0; i < NL - 1; i++) {
        r[i] = (t[i] >> 1) | (t[i + 1] << (LB - 1));
    }
    r[NL - 1] = (t[NL - 1] >> 1) | (c << (LB - 1));
}
#endif

#if DLMS_ECC_LIMB_BITS == 64
// Inversion by Bernstein-Yang divsteps ("Fast constant-time gcd computation and modular
// inversion", 2019), constant time. Numbers are held in five signed 62-bit limbs (limbs 0..3
// in [0, 2^62), limb 4 signed). Starting from delta = 1, f = m, g = a (0 < a < m < 2^256),
// 741 divsteps bring g to 0 (their Theorem 11.2, d = 256), so 12 rounds of 62 suffice; f is
// then +-1. Each round runs 62 divsteps on the low 64 bits of f and g, giving a matrix
// (u v; q r) with 2^62 (f', g') = (u f + v g, q f + r g) and |u| + |v|, |q| + |r| <= 2^62,
// which is then applied to f, g and to d, e (f = d a, g = e a mod m, divided by 2^62 mod m).
typedef struct _dlms_ecc_s62_t {
    int64_t v[5];
} dlms_ecc_s62_t;

#define M62 ((uint64_t)0x3FFFFFFFFFFFFFFFULL)

static void dlms_ecc_s62_from(dlms_ecc_s62_t *r, const uint64_t *a) {
    r->v[0] = (int64_t)(a[0] & M62);
    r->v[1] = (int64_t)(((a[0] >> 62) | (a[1] << 2)) & M62);
    r->v[2] = (int64_t)(((a[1] >> 60) | (a[2] << 4)) & M62);
    r->v[3] = (int64_t)(((a[2] >> 58) | (a[3] << 6)) & M62);
    r->v[4] = (int64_t)(a[3] >> 56);
}

// 62 divsteps on the low words of f and g (constant time); returns the new delta and
// writes (u, v, q, r) to t. A divstep with s = (delta > 0), o = (g odd), w = s and o is
// g += (s ? -f : f) when o; f += g (the new g) when w, which makes f the old g; delta =
// (w ? -delta : delta) + 1; g /= 2, where the matrix doubles the f row instead of halving
// the g row (hence the 2^62 scale).
static int64_t dlms_ecc_divsteps62(int64_t delta, uint64_t f, uint64_t g, uint64_t *t) {
    uint64_t u = 1, v = 0, q = 0, r = 1;
    for (int i = 0; i < 62; i++) {
        uint64_t s = 0 - ((uint64_t)(0 - delta) >> 63);
        uint64_t o = 0 - (g & 1);
        uint64_t w = s & o;
        g += ((f ^ s) - s) & o;
        q += ((u ^ s) - s) & o;
        r += ((v ^ s) - s) & o;
        f += g & w;
        u += q & w;
        v += r & w;
        delta = (int64_t)(((uint64_t)delta ^ w) - w + 1);
        g >>= 1;
        u <<= 1;
        v <<= 1;
    }
    t[0] = u;
    t[1] = v;
    t[2] = q;
    t[3] = r;
    return delta;
}

// The same 62 divsteps in variable time (public inputs): runs of even g are taken at once.
static int64_t dlms_ecc_divsteps62_vartime(int64_t delta, uint64_t f, uint64_t g,
    uint64_t *t) {
    uint64_t u = 1, v = 0, q = 0, r = 1, x;
    int i = 62;
    for (;;) {
        int z = __builtin_ctzll(g | ((uint64_t)1 << i));
        g >>= z;
        u <<= z;
        v <<= z;
        delta += z;
        i -= z;
        if (i == 0) {
            break;
        }
        if (delta > 0) { // (f, g) = (g, -f) with the rows, then as for delta <= 0
            delta = -delta;
            x = f;
            f = g;
            g = 0 - x;
            x = u;
            u = q;
            q = 0 - x;
            x = v;
            v = r;
            r = 0 - x;
        }
        g += f;
        q += u;
        r += v;
        g >>= 1;
        u <<= 1;
        v <<= 1;
        delta++;
        i--;
    }
    t[0] = u;
    t[1] = v;
    t[2] = q;
    t[3] = r;
    return delta;
}

// (f, g) = (u f + v g, q f + r g) / 2^62 (exact).
static void dlms_ecc_s62_update_fg(dlms_ecc_s62_t *f, dlms_ecc_s62_t *g, const uint64_t *t) {
    int64_t u = (int64_t)t[0], v = (int64_t)t[1], q = (int64_t)t[2], r = (int64_t)t[3];
    dlms_ecc_i128_t cf = (dlms_ecc_i128_t)u * f->v[0] + (dlms_ecc_i128_t)v * g->v[0];
    dlms_ecc_i128_t cg = (dlms_ecc_i128_t)q * f->v[0] + (dlms_ecc_i128_t)r * g->v[0];
    cf >>= 62;
    cg >>= 62;
    for (int i = 1; i < 5; i++) {
        cf += (dlms_ecc_i128_t)u * f->v[i] + (dlms_ecc_i128_t)v * g->v[i];
        cg += (dlms_ecc_i128_t)q * f->v[i] + (dlms_ecc_i128_t)r * g->v[i];
        f->v[i - 1] = (int64_t)((uint64_t)cf & M62);
        g->v[i - 1] = (int64_t)((uint64_t)cg & M62);
        cf >>= 62;
        cg >>= 62;
    }
    f->v[4] = (int64_t)cf;
    g->v[4] = (int64_t)cg;
}

// x += k m for k in {-1, 0, 1}; limbs 0..3 carried into [0, 2^62).
static void dlms_ecc_s62_addm(dlms_ecc_s62_t *x, const dlms_ecc_s62_t *m, int64_t k) {
    int64_t c = 0;
    for (int i = 0; i < 4; i++) {
        c += x->v[i] + k * m->v[i];
        x->v[i] = (int64_t)((uint64_t)c & M62);
        c >>= 62;
    }
    x->v[4] += c + k * m->v[4];
}

// x in (-m, 2m) -> [0, m): add m when negative, then take x - m unless it is negative.
static void dlms_ecc_s62_norm(dlms_ecc_s62_t *x, const dlms_ecc_s62_t *m) {
    dlms_ecc_s62_t y;
    dlms_ecc_s62_addm(x, m, -(x->v[4] >> 63));
    for (int i = 0; i < 5; i++) {
        y.v[i] = x->v[i];
    }
    dlms_ecc_s62_addm(&y, m, -1);
    int64_t keep = y.v[4] >> 63; // all ones when x < m
    for (int i = 0; i < 5; i++) {
        x->v[i] = (x->v[i] & keep) | (y.v[i] & ~keep);
    }
}

// (d, e) = (u d + v e, q d + r e) / 2^62 mod m, for d, e in [0, m); results in [0, m).
// Adding md m with md = -(u d + v e) m^-1 mod 2^62 (m0 = -m^-1 mod 2^64) makes the sum
// divisible by 2^62; the quotient lies in (-m, 2m).
static void dlms_ecc_s62_update_de(dlms_ecc_s62_t *d, dlms_ecc_s62_t *e, const uint64_t *t,
    const dlms_ecc_s62_t *m, uint64_t m0) {
    int64_t u = (int64_t)t[0], v = (int64_t)t[1], q = (int64_t)t[2], r = (int64_t)t[3];
    int64_t md = (int64_t)(((t[0] * (uint64_t)d->v[0] + t[1] * (uint64_t)e->v[0]) * m0) & M62);
    int64_t me = (int64_t)(((t[2] * (uint64_t)d->v[0] + t[3] * (uint64_t)e->v[0]) * m0) & M62);
    dlms_ecc_i128_t cd = (dlms_ecc_i128_t)u * d->v[0] + (dlms_ecc_i128_t)v * e->v[0]
        + (dlms_ecc_i128_t)md * m->v[0];
    dlms_ecc_i128_t ce = (dlms_ecc_i128_t)q * d->v[0] + (dlms_ecc_i128_t)r * e->v[0]
        + (dlms_ecc_i128_t)me * m->v[0];
    cd >>= 62;
    ce >>= 62;
    for (int i = 1; i < 5; i++) {
        cd += (dlms_ecc_i128_t)u * d->v[i] + (dlms_ecc_i128_t)v * e->v[i]
            + (dlms_ecc_i128_t)md * m->v[i];
        ce += (dlms_ecc_i128_t)q * d->v[i] + (dlms_ecc_i128_t)r * e->v[i]
            + (dlms_ecc_i128_t)me * m->v[i];
        d->v[i - 1] = (int64_t)((uint64_t)cd & M62);
        e->v[i - 1] = (int64_t)((uint64_t)ce & M62);
        cd >>= 62;
        ce >>= 62;
    }
    d->v[4] = (int64_t)cd;
    e->v[4] = (int64_t)ce;
    dlms_ecc_s62_norm(d, m);
    dlms_ecc_s62_norm(e, m);
}

// r = c / a mod m for 0 < a < m (a, c, r plain limbs, c < m); constant time unless vartime
// (then the divsteps skip runs of even g and the loop stops once g = 0).
static void dlms_ecc_inv62(uint64_t *r, const uint64_t *a, const uint64_t *c,
    const dlms_ecc_mod_t *mm, int vartime) {
    dlms_ecc_s62_t f, g, d, e, m;
    uint64_t t[4];
    int64_t delta = 1;
    dlms_ecc_s62_from(&m, mm->m);
    dlms_ecc_s62_from(&f, mm->m);
    dlms_ecc_s62_from(&g, a);
    dlms_ecc_s62_from(&e, c);
    for (int i = 0; i < 5; i++) {
        d.v[i] = 0;
    }
    for (int i = 0; i < 12; i++) {
        uint64_t f0 = (uint64_t)f.v[0] | ((uint64_t)f.v[1] << 62);
        uint64_t g0 = (uint64_t)g.v[0] | ((uint64_t)g.v[1] << 62);
        if (vartime) {
            delta = dlms_ecc_divsteps62_vartime(delta, f0, g0, t);
        } else {
            delta = dlms_ecc_divsteps62(delta, f0, g0, t);
        }
        dlms_ecc_s62_update_fg(&f, &g, t);
        dlms_ecc_s62_update_de(&d, &e, t, &m, mm->m0);
        if (vartime && (g.v[0] | g.v[1] | g.v[2] | g.v[3] | g.v[4]) == 0) {
            break;
        }
    }
    // f = +-1 and f = d a / c: the result is d, negated (m - d) when f = -1
    int64_t neg = f.v[4] >> 63;
    dlms_ecc_s62_t x;
    for (int i = 0; i < 5; i++) {
        x.v[i] = m.v[i];
    }
    dlms_ecc_s62_addm(&x, &d, -1);
    for (int i = 0; i < 5; i++) {
        d.v[i] = (d.v[i] & ~neg) | (x.v[i] & neg);
    }
    r[0] = (uint64_t)d.v[0] | ((uint64_t)d.v[1] << 62);
    r[1] = ((uint64_t)d.v[1] >> 2) | ((uint64_t)d.v[2] << 60);
    r[2] = ((uint64_t)d.v[2] >> 4) | ((uint64_t)d.v[3] << 58);
    r[3] = ((uint64_t)d.v[3] >> 6) | ((uint64_t)d.v[4] << 56);
}

#undef M62

// a R -> a^-1 R: with c = R^2, c / (a R) = a^-1 R.
void dlms_ecc_mod_inv(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    dlms_ecc_inv62(r, a, m->r2, m, 0);
}

void dlms_ecc_mod_inv_vartime(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB one[NL];
    dlms_ecc_fe_set_small(one, 1);
    dlms_ecc_inv62(r, a, one, m, 1);
}

#else
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

#endif

#undef FP
#undef W
#undef NL
#undef LB
#undef LIMB
#undef DLIMB
