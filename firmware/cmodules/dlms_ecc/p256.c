// SPDX-License-Identifier: MIT
// NIST P-256 scalar and field arithmetic (points: p256_point.c): limb vectors, addition
// mod p and n, and inversion by Bernstein-Yang divsteps (both limb widths). Elements mod p
// and mod n are in Montgomery form; the multiplications are CIOS (Koc/Acar/Kaliski 1996)
// here and GF(p) in p256_fp64.h with 64-bit limbs, p256_fp32.c with 32-bit limbs. Every
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

#if DLMS_ECC_LIMB_BITS == 64
// r = a * b * 2^-256 mod m (Montgomery). Inputs < m; r may alias a or b. 32-bit limbs:
// p256_fp32.c.
void dlms_ecc_mod_mul(LIMB *r, const LIMB *a, const LIMB *b, const dlms_ecc_mod_t *m) {
    dlms_ecc_mod_mul64(r, a, b, m);
}
#endif

void dlms_ecc_mod_to_mont(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    dlms_ecc_mod_mul(r, a, m->r2, m);
}

void dlms_ecc_mod_from_mont(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB one[NL];
    dlms_ecc_fe_set_small(one, 1);
    dlms_ecc_mod_mul(r, a, one, m);
}

// Inversion by Bernstein-Yang divsteps ("Fast constant-time gcd computation and modular
// inversion", 2019), constant time. Numbers are held in NS signed limbs of SB bits (62 bits
// x 5 with 64-bit limbs, 30 bits x 9 with 32-bit limbs; all but the top limb in [0, 2^SB),
// the top one signed). Starting from delta = 1, f = m, g = a (0 < a < m < 2^256), 741
// divsteps bring g to 0 (their Theorem 11.2, d = 256), so 12 rounds of 62 or 25 of 30
// suffice; f is then +-1. Each round runs SB divsteps on the low word of f and g, giving a
// matrix (u v; q r) with 2^SB (f', g') = (u f + v g, q f + r g) and |u| + |v|, |q| + |r| <=
// 2^SB, which is then applied to f, g and to d, e (f = d a, g = e a mod m, divided by 2^SB
// mod m).
#if DLMS_ECC_LIMB_BITS == 64
#define SB 62
#define NS 5
#define ROUNDS 12
typedef int64_t sg_s_t;   // a signed limb
typedef uint64_t sg_u_t;  // the same bits, unsigned (matrix arithmetic mod 2^64)
typedef dlms_ecc_i128_t sg_d_t; // a product of two limbs plus carries
#else
#define SB 30
#define NS 9
#define ROUNDS 25
typedef int32_t sg_s_t;
typedef uint32_t sg_u_t;
typedef int64_t sg_d_t;
#endif
#define SG_W ((int)sizeof(sg_u_t) * 8)
#define SG_MASK ((((sg_u_t)1) << SB) - 1)

typedef struct _dlms_ecc_sg_t {
    sg_s_t v[NS];
} dlms_ecc_sg_t;

// Signed limbs (>> of a negative limb is an arithmetic shift, as in GCC, Clang and every
// compiler for these targets).
static void dlms_ecc_sg_from(dlms_ecc_sg_t *r, const LIMB *a) {
    for (int i = 0; i < NS; i++) {
        int w = i * SB / LB, o = i * SB % LB;
        LIMB x = a[w] >> o;
        if (o + SB > LB && w + 1 < NL) {
            x |= a[w + 1] << (LB - o);
        }
        r->v[i] = (sg_s_t)(i < NS - 1 ? x & SG_MASK : x);
    }
}

// r = x for 0 <= x < 2^256.
static void dlms_ecc_sg_to(LIMB *r, const dlms_ecc_sg_t *x) {
    dlms_ecc_fe_set_small(r, 0);
    for (int i = 0; i < NS; i++) {
        int w = i * SB / LB, o = i * SB % LB;
        LIMB v = (LIMB)(sg_u_t)x->v[i];
        r[w] |= v << o;
        if (o + SB > LB && w + 1 < NL) {
            r[w + 1] |= v >> (LB - o);
        }
    }
}

// SB divsteps on the low words of f and g (constant time); takes and returns zeta = -delta
// and writes (u, v, q, r) to t. A divstep with s = (delta > 0), o = (g odd), w = s and o is
// g += (s ? -f : f) when o; f += g (the new g) when w, which makes f the old g; delta =
// (w ? -delta : delta) + 1; g /= 2, where the matrix doubles the f row instead of halving
// the g row (hence the 2^SB scale).
static sg_s_t dlms_ecc_divsteps(sg_s_t zeta, sg_u_t f, sg_u_t g, sg_u_t *t) {
    sg_u_t u = 1, v = 0, q = 0, r = 1;
    for (int i = 0; i < SB; i++) {
        sg_u_t s = (sg_u_t)(zeta >> (SG_W - 1));
        sg_u_t o = 0 - (g & 1);
        sg_u_t w = s & o;
        g += ((f ^ s) - s) & o;
        q += ((u ^ s) - s) & o;
        r += ((v ^ s) - s) & o;
        f += g & w;
        u += q & w;
        v += r & w;
        zeta = (sg_s_t)(((sg_u_t)zeta ^ w) - w - 1);
        g >>= 1;
        u <<= 1;
        v <<= 1;
    }
    t[0] = u;
    t[1] = v;
    t[2] = q;
    t[3] = r;
    return zeta;
}

// Trailing zero bits of x != 0.
static int dlms_ecc_ctz(sg_u_t x) {
    #if defined(__GNUC__)
    return SG_W == 64 ? __builtin_ctzll((unsigned long long)x) : __builtin_ctz((unsigned)x);
    #else
    int n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
    #endif
}

// The same SB divsteps in variable time (public inputs): runs of even g are taken at once.
static sg_s_t dlms_ecc_divsteps_vartime(sg_s_t delta, sg_u_t f, sg_u_t g, sg_u_t *t) {
    sg_u_t u = 1, v = 0, q = 0, r = 1, x;
    int i = SB;
    for (;;) {
        int z = dlms_ecc_ctz(g | ((sg_u_t)1 << i));
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

// (f, g) = (u f + v g, q f + r g) / 2^SB (exact).
static void dlms_ecc_sg_update_fg(dlms_ecc_sg_t *f, dlms_ecc_sg_t *g, const sg_u_t *t) {
    sg_s_t u = (sg_s_t)t[0], v = (sg_s_t)t[1], q = (sg_s_t)t[2], r = (sg_s_t)t[3];
    sg_d_t cf = (sg_d_t)u * f->v[0] + (sg_d_t)v * g->v[0];
    sg_d_t cg = (sg_d_t)q * f->v[0] + (sg_d_t)r * g->v[0];
    cf >>= SB;
    cg >>= SB;
    for (int i = 1; i < NS; i++) {
        cf += (sg_d_t)u * f->v[i] + (sg_d_t)v * g->v[i];
        cg += (sg_d_t)q * f->v[i] + (sg_d_t)r * g->v[i];
        f->v[i - 1] = (sg_s_t)((sg_u_t)cf & SG_MASK);
        g->v[i - 1] = (sg_s_t)((sg_u_t)cg & SG_MASK);
        cf >>= SB;
        cg >>= SB;
    }
    f->v[NS - 1] = (sg_s_t)cf;
    g->v[NS - 1] = (sg_s_t)cg;
}

// x += k m for k in {-1, 0, 1}; limbs below the top carried into [0, 2^SB).
static void dlms_ecc_sg_addm(dlms_ecc_sg_t *x, const dlms_ecc_sg_t *m, sg_s_t k) {
    sg_s_t c = 0;
    for (int i = 0; i < NS - 1; i++) {
        c += x->v[i] + k * m->v[i];
        x->v[i] = (sg_s_t)((sg_u_t)c & SG_MASK);
        c >>= SB;
    }
    x->v[NS - 1] += c + k * m->v[NS - 1];
}

// x in (-m, 2m) -> [0, m): add m when negative, then take x - m unless it is negative.
static void dlms_ecc_sg_norm(dlms_ecc_sg_t *x, const dlms_ecc_sg_t *m) {
    dlms_ecc_sg_t y;
    dlms_ecc_sg_addm(x, m, -(x->v[NS - 1] >> (SG_W - 1)));
    y = *x;
    dlms_ecc_sg_addm(&y, m, -1);
    sg_s_t keep = y.v[NS - 1] >> (SG_W - 1); // all ones when x < m
    for (int i = 0; i < NS; i++) {
        x->v[i] = (x->v[i] & keep) | (y.v[i] & ~keep);
    }
}

// (d, e) = (u d + v e, q d + r e) / 2^SB mod m, for d, e in (-2m, m); results in (-2m, m).
// With d' = d (+ m when d < 0) and e' likewise in (-m, m), md counts the m added; then md
// is lowered by ((u d + v e) m^-1 + md) mod 2^SB (m0 = -m^-1 mod 2^LB), which makes the
// sum u d + v e + md m divisible by 2^SB and keeps it in (-2^(SB+1) m, 2^SB m).
static void dlms_ecc_sg_update_de(dlms_ecc_sg_t *d, dlms_ecc_sg_t *e, const sg_u_t *t,
    const dlms_ecc_sg_t *m, sg_u_t m0) {
    sg_s_t u = (sg_s_t)t[0], v = (sg_s_t)t[1], q = (sg_s_t)t[2], r = (sg_s_t)t[3];
    sg_s_t sd = d->v[NS - 1] >> (SG_W - 1), se = e->v[NS - 1] >> (SG_W - 1);
    sg_s_t md = (u & sd) + (v & se), me = (q & sd) + (r & se);
    sg_d_t cd = (sg_d_t)u * d->v[0] + (sg_d_t)v * e->v[0];
    sg_d_t ce = (sg_d_t)q * d->v[0] + (sg_d_t)r * e->v[0];
    md -= (sg_s_t)(((sg_u_t)md - m0 * (sg_u_t)cd) & SG_MASK);
    me -= (sg_s_t)(((sg_u_t)me - m0 * (sg_u_t)ce) & SG_MASK);
    cd += (sg_d_t)md * m->v[0];
    ce += (sg_d_t)me * m->v[0];
    cd >>= SB;
    ce >>= SB;
    for (int i = 1; i < NS; i++) {
        cd += (sg_d_t)u * d->v[i] + (sg_d_t)v * e->v[i] + (sg_d_t)md * m->v[i];
        ce += (sg_d_t)q * d->v[i] + (sg_d_t)r * e->v[i] + (sg_d_t)me * m->v[i];
        d->v[i - 1] = (sg_s_t)((sg_u_t)cd & SG_MASK);
        e->v[i - 1] = (sg_s_t)((sg_u_t)ce & SG_MASK);
        cd >>= SB;
        ce >>= SB;
    }
    d->v[NS - 1] = (sg_s_t)cd;
    e->v[NS - 1] = (sg_s_t)ce;
}

// r = c / a mod m for 0 < a < m (a, c, r plain limbs, c < m); constant time unless vartime
// (then the divsteps skip runs of even g and the loop stops once g = 0).
static void dlms_ecc_inv_sg(LIMB *r, const LIMB *a, const LIMB *c, const dlms_ecc_mod_t *mm,
    int vartime) {
    dlms_ecc_sg_t f, g, d, e, m;
    sg_u_t t[4];
    sg_s_t delta = 1;
    dlms_ecc_sg_from(&m, mm->m);
    f = m;
    dlms_ecc_sg_from(&g, a);
    dlms_ecc_sg_from(&e, c);
    for (int i = 0; i < NS; i++) {
        d.v[i] = 0;
    }
    for (int i = 0; i < ROUNDS; i++) {
        sg_u_t f0 = (sg_u_t)f.v[0] | ((sg_u_t)f.v[1] << SB);
        sg_u_t g0 = (sg_u_t)g.v[0] | ((sg_u_t)g.v[1] << SB);
        if (vartime) {
            delta = dlms_ecc_divsteps_vartime(delta, f0, g0, t);
        } else {
            delta = -dlms_ecc_divsteps(-delta, f0, g0, t);
        }
        dlms_ecc_sg_update_fg(&f, &g, t);
        dlms_ecc_sg_update_de(&d, &e, t, &m, (sg_u_t)mm->m0);
        if (vartime) {
            sg_s_t z = 0;
            for (int j = 0; j < NS; j++) {
                z |= g.v[j];
            }
            if (z == 0) {
                break;
            }
        }
    }
    // f = +-1 and f = d a / c: the result is d, negated when f = -1, brought from (-2m, 2m)
    // into [0, m)
    sg_s_t neg = f.v[NS - 1] >> (SG_W - 1), cy = 0;
    for (int i = 0; i < NS - 1; i++) {
        cy += (d.v[i] ^ neg) - neg;
        d.v[i] = (sg_s_t)((sg_u_t)cy & SG_MASK);
        cy >>= SB;
    }
    d.v[NS - 1] = ((d.v[NS - 1] ^ neg) - neg) + cy;
    dlms_ecc_sg_addm(&d, &m, -(d.v[NS - 1] >> (SG_W - 1)));
    dlms_ecc_sg_norm(&d, &m);
    dlms_ecc_sg_to(r, &d);
}

#undef SB
#undef NS
#undef ROUNDS
#undef SG_W
#undef SG_MASK

// a R -> a^-1 R: with c = R^2, c / (a R) = a^-1 R.
void dlms_ecc_mod_inv(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    dlms_ecc_inv_sg(r, a, m->r2, m, 0);
}

void dlms_ecc_mod_inv_vartime(LIMB *r, const LIMB *a, const dlms_ecc_mod_t *m) {
    LIMB one[NL];
    dlms_ecc_fe_set_small(one, 1);
    dlms_ecc_inv_sg(r, a, one, m, 1);
}

#undef W
#undef NL
#undef LB
#undef LIMB
#undef DLIMB
