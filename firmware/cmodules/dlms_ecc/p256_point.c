// SPDX-License-Identifier: MIT
// P-256 points in Jacobian coordinates (EFD "g1p/shortw/jacobian-3", a = -3) and scalar
// multiplication: constant-time signed window (any point) and comb (G) for secret scalars,
// variable-time wNAF (u1 G + u2 Q) for ECDSA verification.
#include "p256.h"

#define NL DLMS_ECC_NLIMBS
#define LIMB dlms_ecc_limb_t
#define W DLMS_ECC_W
#define FP (&dlms_ecc_p)
#define FMUL(r, a, b) dlms_ecc_fp_mul((r), (a), (b))
#define FSQR(r, a) dlms_ecc_fp_sqr((r), (a))
#define FADD(r, a, b) dlms_ecc_fp_add((r), (a), (b))
#define FSUB(r, a, b) dlms_ecc_fp_sub((r), (a), (b))

// SEC 2 2.4.2: curve coefficient b (plain form).
static const LIMB dlms_ecc_b[NL] = {
    W(0x3BCE3C3E, 0x27D2604B), W(0x651D06B0, 0xCC53B0F6), W(0xB3EBBD55, 0x769886BC),
    W(0x5AC635D8, 0xAA3A93E7)
};

#if DLMS_ECC_HAS_GTABLE
#include "p256_gtable.h"
#endif

static void dlms_ecc_fe_one_mont(LIMB *r) {
    dlms_ecc_fe_set_small(r, 1);
    dlms_ecc_mod_to_mont(r, r, FP);
}

static void dlms_ecc_jac_copy(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a) {
    dlms_ecc_fe_copy(r->x, a->x);
    dlms_ecc_fe_copy(r->y, a->y);
    dlms_ecc_fe_copy(r->z, a->z);
}

static void dlms_ecc_jac_cmov(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a, LIMB mask) {
    dlms_ecc_fe_cmov(r->x, a->x, mask);
    dlms_ecc_fe_cmov(r->y, a->y, mask);
    dlms_ecc_fe_cmov(r->z, a->z, mask);
}

static void dlms_ecc_jac_set_inf(dlms_ecc_jac_t *r) {
    dlms_ecc_fe_set_small(r->x, 0);
    dlms_ecc_fe_set_small(r->y, 0);
    dlms_ecc_fe_set_small(r->z, 0);
}

int dlms_ecc_point_decode(dlms_ecc_jac_t *r, const uint8_t *xy) {
    LIMB x[NL], y[NL], lhs[NL], rhs[NL], t[NL];
    dlms_ecc_fe_from_bytes(x, xy);
    dlms_ecc_fe_from_bytes(y, xy + 32);
    // SEC 1 3.2.2.1 step 2: both coordinates in [0, p - 1]
    if (!dlms_ecc_fe_lt(x, FP->m) || !dlms_ecc_fe_lt(y, FP->m)) {
        return 0;
    }
    dlms_ecc_mod_to_mont(r->x, x, FP);
    dlms_ecc_mod_to_mont(r->y, y, FP);
    dlms_ecc_fe_one_mont(r->z);
    // SEC 1 3.2.2.1 step 3: y^2 = x^3 - 3x + b
    FSQR(lhs, r->y);
    FSQR(rhs, r->x);
    FMUL(rhs, rhs, r->x);
    FADD(t, r->x, r->x);
    FADD(t, t, r->x);
    FSUB(rhs, rhs, t);
    dlms_ecc_mod_to_mont(t, dlms_ecc_b, FP);
    FADD(rhs, rhs, t);
    return (int)dlms_ecc_fe_eq(lhs, rhs);
}

void dlms_ecc_point_affine(LIMB *x, LIMB *y, const dlms_ecc_jac_t *a) {
    LIMB zi[NL], zi2[NL];
    dlms_ecc_mod_inv(zi, a->z, FP);
    FSQR(zi2, zi);
    FMUL(x, a->x, zi2);
    FMUL(zi2, zi2, zi);
    FMUL(y, a->y, zi2);
    dlms_ecc_mod_from_mont(x, x, FP);
    dlms_ecc_mod_from_mont(y, y, FP);
}

void dlms_ecc_point_encode(uint8_t *xy, const dlms_ecc_jac_t *a) {
    LIMB x[NL], y[NL];
    dlms_ecc_point_affine(x, y, a);
    dlms_ecc_fe_to_bytes(xy, x);
    dlms_ecc_fe_to_bytes(xy + 32, y);
}

// Doubling for a = -3 in 4M + 4S: with T = 2Y, M = 3 (X - Z^2)(X + Z^2), S = X T^2:
// X3 = M^2 - 2S, Y3 = M (S - X3) - T^4 / 2, Z3 = T Z. Infinity (Z = 0) maps to Z3 = 0;
// r may alias a.
void dlms_ecc_point_dbl(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a) {
    LIMB t[NL], zz[NL], m[NL], s[NL], u[NL];
    FADD(t, a->y, a->y);
    FSQR(zz, a->z);
    FMUL(r->z, t, a->z);
    FSQR(t, t);          // 4 Y^2
    FADD(m, a->x, zz);
    FSUB(zz, a->x, zz);
    FMUL(m, m, zz);
    FADD(u, m, m);
    FADD(m, u, m);       // M
    FMUL(s, t, a->x);    // S = 4 X Y^2
    FSQR(t, t);
    dlms_ecc_fp_half(t, t); // 8 Y^4
    FSQR(u, m);
    FSUB(u, u, s);
    FSUB(r->x, u, s);    // X3 = M^2 - 2S
    FSUB(s, s, r->x);
    FMUL(s, m, s);
    FSUB(r->y, s, t);    // Y3 = M (S - X3) - 8 Y^4
}

// out = a + b by EFD add-1998-cmo-2 (12M + 4S), or madd when b is affine (bz == NULL).
// Valid for finite a != +-b; returns 1 (as a limb) when a == b (H = R = 0), else 0.
// For a == -b it yields Z3 = 0 (infinity). out may alias a or b.
static LIMB dlms_ecc_jac_add_core(dlms_ecc_jac_t *out, const dlms_ecc_jac_t *a,
    const LIMB *bx, const LIMB *by, const LIMB *bz) {
    LIMB z1z1[NL], u1[NL], u2[NL], s1[NL], s2[NL], h[NL], rr[NL], t[NL], hhh[NL];
    FSQR(z1z1, a->z);
    FMUL(u2, bx, z1z1);
    FMUL(s2, by, a->z);
    FMUL(s2, s2, z1z1); // S2 = Y2 Z1^3
    if (bz) {
        FSQR(t, bz);
        FMUL(u1, a->x, t);
        FMUL(s1, a->y, bz);
        FMUL(s1, s1, t); // S1 = Y1 Z2^3
    } else {
        dlms_ecc_fe_copy(u1, a->x);
        dlms_ecc_fe_copy(s1, a->y);
    }
    FSUB(h, u2, u1);
    FSUB(rr, s2, s1);
    LIMB same = dlms_ecc_fe_is_zero(h) & dlms_ecc_fe_is_zero(rr);
    FSQR(t, h);
    FMUL(hhh, t, h);
    FMUL(u1, u1, t); // V = U1 H^2
    FSQR(u2, rr);
    FSUB(u2, u2, hhh);
    FSUB(u2, u2, u1);
    FSUB(u2, u2, u1); // X3 = R^2 - H^3 - 2V
    FSUB(t, u1, u2);
    FMUL(t, rr, t);
    FMUL(s1, s1, hhh);
    FSUB(out->y, t, s1); // Y3 = R (V - X3) - S1 H^3
    FMUL(out->z, a->z, h);
    if (bz) {
        FMUL(out->z, out->z, bz); // Z3 = Z1 Z2 H
    }
    dlms_ecc_fe_copy(out->x, u2);
    return same;
}

void dlms_ecc_point_add_vartime(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a,
    const dlms_ecc_jac_t *b) {
    dlms_ecc_jac_t t;
    if (dlms_ecc_fe_is_zero(a->z)) {
        dlms_ecc_jac_copy(r, b);
    } else if (dlms_ecc_fe_is_zero(b->z)) {
        dlms_ecc_jac_copy(r, a);
    } else if (dlms_ecc_jac_add_core(&t, a, b->x, b->y, b->z)) {
        dlms_ecc_point_dbl(r, a);
    } else {
        dlms_ecc_jac_copy(r, &t);
    }
}

// acc += (x, y) (affine) in constant time when add is all ones, else acc is kept; acc may
// be infinity, but (x, y) must not be +-acc (the callers show that this cannot happen).
static void dlms_ecc_add_affine_ct(dlms_ecc_jac_t *acc, const LIMB *x, const LIMB *y,
    const LIMB *one, LIMB add) {
    dlms_ecc_jac_t t;
    dlms_ecc_jac_add_core(&t, acc, x, y, NULL);
    LIMB ainf = 0 - dlms_ecc_fe_is_zero(acc->z);
    dlms_ecc_fe_cmov(t.x, x, ainf);
    dlms_ecc_fe_cmov(t.y, y, ainf);
    dlms_ecc_fe_cmov(t.z, one, ainf);
    dlms_ecc_jac_cmov(acc, &t, add);
}

// Finite points t[0..n-1] (n <= 16) made affine (Z = 1) with one inversion (Montgomery's
// trick, Montgomery 1987, 10.3.1): pr[i] = z0 ... zi, inv = 1 / pr[n - 1], then walking
// back 1 / zi = inv pr[i - 1], inv = inv zi. Variable time: public points only.
static void dlms_ecc_batch_affine(dlms_ecc_jac_t *t, int n) {
    LIMB pr[16][NL], inv[NL], zi[NL], zz[NL];
    dlms_ecc_fe_copy(pr[0], t[0].z);
    for (int i = 1; i < n; i++) {
        FMUL(pr[i], pr[i - 1], t[i].z);
    }
    // plain inverse of the Montgomery representative (z R)^-1, times R^2: z^-1 R
    dlms_ecc_mod_inv_vartime(inv, pr[n - 1], FP);
    dlms_ecc_mod_to_mont(inv, inv, FP);
    dlms_ecc_mod_to_mont(inv, inv, FP);
    for (int i = n - 1; i >= 0; i--) {
        if (i) {
            FMUL(zi, inv, pr[i - 1]);
            FMUL(inv, inv, t[i].z);
        } else {
            dlms_ecc_fe_copy(zi, inv);
        }
        FSQR(zz, zi);
        FMUL(t[i].x, t[i].x, zz);
        FMUL(zz, zz, zi);
        FMUL(t[i].y, t[i].y, zz);
        dlms_ecc_fe_one_mont(t[i].z);
    }
}

// Signed (Booth) 5-bit window, constant time. Digit j of k is d_j = k[5j - 1] + k[5j] +
// 2 k[5j + 1] + 4 k[5j + 2] + 8 k[5j + 3] - 16 k[5j + 4] in [-16, 16] (bit -1 = 0), and
// k = sum d_j 2^(5j), j = 0..51. The table P..16P is made affine once (it depends on P
// only), so that every addition is mixed. Each step reads all 16 entries |d| P, keeps the
// wanted one by mask and negates its y by mask when d < 0. With P_j = floor(k / 2^(5j)) +
// k[5j - 1], P_j = 32 P_(j+1) + d_j, and the accumulator before digit j is 32 P_(j+1) P.
// For j >= 1, 32 P_(j+1) <= k / 32 + 17 < n - 16, so it is +-d_j P only if P_(j+1) = 0 =
// d_j; for j = 0, 32 P_1 = k - d_0, and a wrap past n would need k - n = 2 d_0 with d_0 <=
// k - n < 0, which cannot be. So the addition only meets the infinity cases (acc = O or
// d = 0), selected by mask.
static unsigned dlms_ecc_bit(const uint8_t *k, int b) {
    return (b < 0 || b > 255) ? 0 : (k[31 - (b >> 3)] >> (b & 7)) & 1;
}

void dlms_ecc_mul_ct(dlms_ecc_jac_t *r, const uint8_t *k, const dlms_ecc_jac_t *p) {
    dlms_ecc_jac_t tab[16], acc;
    LIMB sx[NL], sy[NL], ny[NL], one[NL];
    dlms_ecc_jac_copy(&tab[0], p); // tab[i] = (i + 1) P, which depends on P only
    for (int i = 1; i < 16; i++) {
        if (i & 1) {
            dlms_ecc_point_dbl(&tab[i], &tab[i >> 1]);
        } else {
            dlms_ecc_point_add_vartime(&tab[i], &tab[i - 1], p);
        }
    }
    dlms_ecc_batch_affine(tab, 16); // P has order n > 16: every entry is finite
    dlms_ecc_fe_one_mont(one);
    dlms_ecc_jac_set_inf(&acc);
    for (int j = 51; j >= 0; j--) {
        if (j != 51) {
            for (int i = 0; i < 5; i++) {
                dlms_ecc_point_dbl(&acc, &acc);
            }
        }
        unsigned v = dlms_ecc_bit(k, 5 * j - 1) + dlms_ecc_bit(k, 5 * j)
            + 2 * dlms_ecc_bit(k, 5 * j + 1) + 4 * dlms_ecc_bit(k, 5 * j + 2)
            + 8 * dlms_ecc_bit(k, 5 * j + 3);
        unsigned neg = 0 - dlms_ecc_bit(k, 5 * j + 4);
        unsigned ad = v + ((16 - 2 * v) & neg); // |d|: 16 - v when the top bit is set
        for (int l = 0; l < NL; l++) {
            sx[l] = 0;
            sy[l] = 0;
        }
        for (unsigned e = 0; e < 16; e++) {
            LIMB m = dlms_ecc_mask_eq(e + 1, ad);
            for (int l = 0; l < NL; l++) {
                sx[l] |= tab[e].x[l] & m;
                sy[l] |= tab[e].y[l] & m;
            }
        }
        dlms_ecc_fe_set_small(ny, 0);
        FSUB(ny, ny, sy);
        dlms_ecc_fe_cmov(sy, ny, (LIMB)0 - (neg & 1));
        dlms_ecc_add_affine_ct(&acc, sx, sy, one, ~dlms_ecc_mask_eq(0, ad));
    }
    dlms_ecc_jac_copy(r, &acc);
}

#if DLMS_ECC_HAS_GTABLE
// (x, y) = tab[idx - 1], or (0, 0) for idx = 0, reading every entry (constant time).
static void dlms_ecc_sel_affine(LIMB *x, LIMB *y, const LIMB (*tab)[2][NL], unsigned idx) {
    for (int i = 0; i < NL; i++) {
        x[i] = 0;
        y[i] = 0;
    }
    for (unsigned j = 0; j < 15; j++) {
        LIMB m = dlms_ecc_mask_eq(j + 1, idx);
        for (int i = 0; i < NL; i++) {
            x[i] |= tab[j][0][i] & m;
            y[i] |= tab[j][1][i] & m;
        }
    }
}

// Comb with 4 teeth and 2 tables (Lim-Lee), constant time: for column c = 31..0, after a
// doubling, add table t's entry sum(bit(k, c + 32 t + 64 j) << j) for t = 0, 1. Before each
// addition the accumulator is sum 2^(b - c) bit(k, b) over the bits b already added; its sum
// with the entry is at most k < n, and the two have no power of two in common (the entry's
// are at b - c = 32 t + 64 j, the accumulator's at other offsets), so they are neither equal
// nor opposite: the mixed addition only needs the infinity cases, selected by mask.
static void dlms_ecc_mul_base(dlms_ecc_jac_t *r, const uint8_t *k) {
    dlms_ecc_jac_t acc;
    LIMB sx[NL], sy[NL], one[NL];
    dlms_ecc_fe_one_mont(one);
    dlms_ecc_jac_set_inf(&acc);
    for (int c = 31; c >= 0; c--) {
        if (c != 31) {
            dlms_ecc_point_dbl(&acc, &acc);
        }
        for (int tb = 0; tb < 2; tb++) {
            unsigned idx = 0;
            for (int j = 0; j < 4; j++) {
                int bit = c + 32 * tb + 64 * j;
                idx |= (unsigned)((k[31 - (bit >> 3)] >> (bit & 7)) & 1) << j;
            }
            dlms_ecc_sel_affine(sx, sy, dlms_ecc_gtable[tb], idx);
            dlms_ecc_add_affine_ct(&acc, sx, sy, one, ~dlms_ecc_mask_eq(0, idx));
        }
    }
    dlms_ecc_jac_copy(r, &acc);
}

void dlms_ecc_mul_base_ct(dlms_ecc_jac_t *r, const uint8_t *k) {
    dlms_ecc_mul_base(r, k);
}
#else
// G decoded from its SEC 1 encoding (no table).
static void dlms_ecc_base_point(dlms_ecc_jac_t *gp) {
    static const uint8_t g[64] = {
        0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4,
        0x40, 0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45,
        0xD8, 0x98, 0xC2, 0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7,
        0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE,
        0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
    };
    dlms_ecc_point_decode(gp, g);
}

void dlms_ecc_mul_base_ct(dlms_ecc_jac_t *r, const uint8_t *k) {
    dlms_ecc_jac_t gp;
    dlms_ecc_base_point(&gp);
    dlms_ecc_mul_ct(r, k, &gp);
}

#endif

// Width-w NAF of a public 256-bit big-endian scalar (variable time): naf[i] is 0 or odd
// with |naf[i]| < 2^(w-1), k = sum naf[i] 2^i. Returns the length (at most 257). The scan
// works on k + carry 2^i: a bit equal to the carry leaves a zero digit; otherwise the next w
// bits plus the carry form an odd digit, taken negative (carry 1) when >= 2^(w-1).
static int dlms_ecc_wnaf(int8_t *naf, const uint8_t *k, int w) {
    uint32_t d[9];
    int len = 0;
    unsigned carry = 0;
    for (int i = 0; i < 8; i++) {
        d[i] = ((uint32_t)k[31 - 4 * i]) | ((uint32_t)k[30 - 4 * i] << 8) |
            ((uint32_t)k[29 - 4 * i] << 16) | ((uint32_t)k[28 - 4 * i] << 24);
    }
    d[8] = 0;
    for (int i = 0; i < 257; i++) {
        naf[i] = 0;
    }
    for (int i = 0; i < 257;) {
        if (((d[i >> 5] >> (i & 31)) & 1) == carry) {
            i++;
            continue;
        }
        uint32_t x = d[i >> 5] >> (i & 31);
        if ((i & 31) + w > 32) {
            x |= d[(i >> 5) + 1] << (32 - (i & 31));
        }
        int v = (int)(x & ((1u << w) - 1)) + (int)carry;
        carry = (unsigned)(v >> (w - 1)) & 1;
        v -= (int)(carry << w);
        naf[i] = (int8_t)v;
        len = i + 1;
        i += w;
    }
    return len;
}

// acc += (bx, +-by) (affine), variable time, every special case handled.
static void dlms_ecc_add_signed_vartime(dlms_ecc_jac_t *acc, const LIMB *bx, const LIMB *by,
    int neg) {
    LIMB ny[NL], zero[NL];
    if (neg) {
        dlms_ecc_fe_set_small(zero, 0);
        FSUB(ny, zero, by);
        by = ny;
    }
    int inf = (int)dlms_ecc_fe_is_zero(acc->z);
    if (!inf && !dlms_ecc_jac_add_core(acc, acc, bx, by, NULL)) {
        return;
    }
    // acc was infinity, or equal to b (then acc is garbage): rebuild b, double when equal
    dlms_ecc_jac_t b;
    dlms_ecc_fe_copy(b.x, bx);
    dlms_ecc_fe_copy(b.y, by);
    dlms_ecc_fe_one_mont(b.z);
    if (inf) {
        dlms_ecc_jac_copy(acc, &b);
    } else {
        dlms_ecc_point_dbl(acc, &b);
    }
}

// t[i] = (2i + 1) P, i = 0..7, affine; all finite, P having prime order n > 15. Public P.
static void dlms_ecc_odd_multiples(dlms_ecc_jac_t *t, const dlms_ecc_jac_t *p) {
    dlms_ecc_jac_t p2;
    dlms_ecc_jac_copy(&t[0], p);
    dlms_ecc_point_dbl(&p2, p);
    for (int i = 1; i < 8; i++) {
        dlms_ecc_point_add_vartime(&t[i], &t[i - 1], &p2);
    }
    dlms_ecc_batch_affine(t, 8);
}

// u1 G + u2 Q for verification (public inputs), Straus/Shamir (HMV alg. 3.51): width-5
// wNAF of u2 over the odd multiples Q..15Q computed here and made affine with one
// inversion, so that every addition is mixed, and of u1 likewise over G..15G, or width 7
// over the rodata G..63G; one shared chain of doublings.
void dlms_ecc_mul2_vartime(dlms_ecc_jac_t *r, const uint8_t *u1, const uint8_t *u2,
    const dlms_ecc_jac_t *q) {
    int8_t n1[257], n2[257];
    dlms_ecc_jac_t qt[8], acc;
    #if DLMS_ECC_HAS_GTABLE
    int l1 = dlms_ecc_wnaf(n1, u1, 7);
    #define GX(i) dlms_ecc_gwnaf[i][0]
    #define GY(i) dlms_ecc_gwnaf[i][1]
    #else
    dlms_ecc_jac_t gt[8];
    dlms_ecc_base_point(&acc);
    dlms_ecc_odd_multiples(gt, &acc);
    int l1 = dlms_ecc_wnaf(n1, u1, 5);
    #define GX(i) gt[i].x
    #define GY(i) gt[i].y
    #endif
    int l2 = dlms_ecc_wnaf(n2, u2, 5);
    dlms_ecc_odd_multiples(qt, q);
    dlms_ecc_jac_set_inf(&acc);
    for (int i = (l1 > l2 ? l1 : l2) - 1; i >= 0; i--) {
        if (!dlms_ecc_fe_is_zero(acc.z)) {
            dlms_ecc_point_dbl(&acc, &acc);
        }
        int d = n1[i];
        if (d) {
            int a = d < 0 ? -d : d;
            dlms_ecc_add_signed_vartime(&acc, GX(a >> 1), GY(a >> 1), d < 0);
        }
        d = n2[i];
        if (d) {
            int a = d < 0 ? -d : d;
            dlms_ecc_add_signed_vartime(&acc, qt[a >> 1].x, qt[a >> 1].y, d < 0);
        }
    }
    #undef GX
    #undef GY
    dlms_ecc_jac_copy(r, &acc);
}

// 1 if the affine x of finite a, reduced mod n, equals r (plain, 0 < r < n), variable
// time and without an inversion: X == r' Z^2 for r' = r or r + n (when r + n < p).
int dlms_ecc_point_x_eq_mod_n(const dlms_ecc_jac_t *a, const LIMB *r) {
    LIMB z2[NL], t[NL], rn[NL];
    FSQR(z2, a->z);
    dlms_ecc_mod_to_mont(t, r, FP);
    FMUL(t, t, z2);
    if (dlms_ecc_fe_eq(t, a->x)) {
        return 1;
    }
    // rn = r + n, when it does not overflow and stays below p
    LIMB c = 0;
    for (int i = 0; i < NL; i++) {
        LIMB s = r[i] + c;
        LIMB c1 = s < c;
        rn[i] = s + dlms_ecc_n.m[i];
        c = c1 | (rn[i] < s);
    }
    if (c || !dlms_ecc_fe_lt(rn, FP->m)) {
        return 0;
    }
    dlms_ecc_mod_to_mont(t, rn, FP);
    FMUL(t, t, z2);
    return (int)dlms_ecc_fe_eq(t, a->x);
}

#undef FP
#undef FMUL
#undef FSQR
#undef FADD
#undef FSUB
#undef W
#undef NL
#undef LIMB
