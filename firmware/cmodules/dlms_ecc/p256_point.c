// SPDX-License-Identifier: MIT
// P-256 points in Jacobian coordinates (EFD "g1p/shortw/jacobian-3", a = -3) and scalar
// multiplication: constant-time fixed window and comb for secret scalars, variable-time
// versions of both for ECDSA verification.
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

// EFD dbl-2001-b (a = -3): 3M + 5S. Infinity (Z = 0) maps to Z3 = 0; r may alias a.
void dlms_ecc_point_dbl(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a) {
    LIMB delta[NL], gamma[NL], beta[NL], alpha[NL], t1[NL], t2[NL];
    FSQR(delta, a->z);
    FSQR(gamma, a->y);
    FMUL(beta, a->x, gamma);
    FSUB(t1, a->x, delta);
    FADD(t2, a->x, delta);
    FMUL(t1, t1, t2);
    FADD(alpha, t1, t1);
    FADD(alpha, alpha, t1); // alpha = 3 (X - delta)(X + delta)
    FADD(t1, a->y, a->z);
    FSQR(t1, t1);
    FSUB(t1, t1, gamma);
    FSUB(r->z, t1, delta); // Z3 = (Y + Z)^2 - gamma - delta
    FADD(beta, beta, beta);
    FADD(beta, beta, beta); // 4 beta
    FSQR(t1, alpha);
    FADD(t2, beta, beta);
    FSUB(r->x, t1, t2); // X3 = alpha^2 - 8 beta
    FSUB(t1, beta, r->x);
    FMUL(t1, alpha, t1);
    FSQR(t2, gamma);
    FADD(t2, t2, t2);
    FADD(t2, t2, t2);
    FADD(t2, t2, t2);
    FSUB(r->y, t1, t2); // Y3 = alpha (4 beta - X3) - 8 gamma^2
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

// r = a + b in constant time for the cases that the ladders below can reach: either input
// may be infinity (selected by masks); a == +-b cannot occur there (see dlms_ecc_mul_ct).
static void dlms_ecc_jac_add_ct(dlms_ecc_jac_t *r, const dlms_ecc_jac_t *a,
    const dlms_ecc_jac_t *b) {
    dlms_ecc_jac_t t;
    dlms_ecc_jac_add_core(&t, a, b->x, b->y, b->z);
    dlms_ecc_jac_cmov(&t, b, 0 - dlms_ecc_fe_is_zero(a->z));
    dlms_ecc_jac_cmov(&t, a, 0 - dlms_ecc_fe_is_zero(b->z));
    dlms_ecc_jac_copy(r, &t);
}

// Fixed 4-bit window, most significant nibble first. With ct set, each step reads every
// table entry and keeps the wanted one by mask, so memory access and branches do not
// depend on k. With 0 <= k < n and P of order n, the partial sums 16 a and the entries d
// (0 < d < 16) never coincide or cancel (16 a + d <= k < n), so add_ct needs no doubling
// case. Without ct (public k, verification) zero nibbles are skipped.
static void dlms_ecc_mul_window(dlms_ecc_jac_t *r, const uint8_t *k, const dlms_ecc_jac_t *p,
    int ct) {
    dlms_ecc_jac_t tab[16], acc, sel;
    dlms_ecc_jac_set_inf(&tab[0]);
    dlms_ecc_jac_copy(&tab[1], p);
    dlms_ecc_point_dbl(&tab[2], p);
    for (int i = 3; i < 16; i++) {
        dlms_ecc_point_add_vartime(&tab[i], &tab[i - 1], p); // depends on P only
    }
    dlms_ecc_jac_set_inf(&acc);
    for (int i = 0; i < 64; i++) {
        if (i) {
            for (int j = 0; j < 4; j++) {
                dlms_ecc_point_dbl(&acc, &acc);
            }
        }
        unsigned nib = (k[i >> 1] >> ((i & 1) ? 0 : 4)) & 15;
        if (ct) {
            dlms_ecc_jac_set_inf(&sel);
            for (unsigned j = 1; j < 16; j++) {
                dlms_ecc_jac_cmov(&sel, &tab[j], dlms_ecc_mask_eq(j, nib));
            }
            dlms_ecc_jac_add_ct(&acc, &acc, &sel);
        } else if (nib) {
            dlms_ecc_point_add_vartime(&acc, &acc, &tab[nib]);
        }
    }
    dlms_ecc_jac_copy(r, &acc);
}

void dlms_ecc_mul_ct(dlms_ecc_jac_t *r, const uint8_t *k, const dlms_ecc_jac_t *p) {
    dlms_ecc_mul_window(r, k, p, 1);
}

#if DLMS_ECC_HAS_GTABLE
// Comb with 4 teeth 64 bits apart (Lim-Lee): column c selects entry
// sum(bit(k, c + 64 j) << j). The partial sum before column c adds is 2 * sum_j 2^(64 j)
// (k_j >> (c + 1)), whose sum with the entry is at most k < n: no doubling or cancelling
// case, so the mixed addition only needs the infinity cases (selected by mask when ct).
static void dlms_ecc_mul_base(dlms_ecc_jac_t *r, const uint8_t *k, int ct) {
    dlms_ecc_jac_t acc, t;
    LIMB sx[NL], sy[NL], one[NL];
    dlms_ecc_fe_one_mont(one);
    dlms_ecc_jac_set_inf(&acc);
    for (int c = 63; c >= 0; c--) {
        if (c != 63) {
            dlms_ecc_point_dbl(&acc, &acc);
        }
        unsigned idx = 0;
        for (int j = 0; j < 4; j++) {
            int bit = c + 64 * j;
            idx |= (unsigned)((k[31 - (bit >> 3)] >> (bit & 7)) & 1) << j;
        }
        if (!ct) {
            if (!idx) {
                continue;
            }
            const LIMB *x = dlms_ecc_gtable[idx - 1][0], *y = dlms_ecc_gtable[idx - 1][1];
            if (dlms_ecc_fe_is_zero(acc.z)) {
                dlms_ecc_fe_copy(acc.x, x);
                dlms_ecc_fe_copy(acc.y, y);
                dlms_ecc_fe_copy(acc.z, one);
            } else {
                dlms_ecc_jac_add_core(&acc, &acc, x, y, NULL);
            }
            continue;
        }
        dlms_ecc_fe_set_small(sx, 0);
        dlms_ecc_fe_set_small(sy, 0);
        for (unsigned j = 1; j < 16; j++) {
            LIMB mask = dlms_ecc_mask_eq(j, idx);
            dlms_ecc_fe_cmov(sx, dlms_ecc_gtable[j - 1][0], mask);
            dlms_ecc_fe_cmov(sy, dlms_ecc_gtable[j - 1][1], mask);
        }
        dlms_ecc_jac_add_core(&t, &acc, sx, sy, NULL);
        // acc at infinity: take (sx, sy, 1); idx == 0: keep acc
        LIMB ainf = 0 - dlms_ecc_fe_is_zero(acc.z);
        dlms_ecc_fe_cmov(t.x, sx, ainf);
        dlms_ecc_fe_cmov(t.y, sy, ainf);
        dlms_ecc_fe_cmov(t.z, one, ainf);
        dlms_ecc_jac_cmov(&acc, &t, ~dlms_ecc_mask_eq(0, idx));
    }
    dlms_ecc_jac_copy(r, &acc);
}
#else
static void dlms_ecc_mul_base(dlms_ecc_jac_t *r, const uint8_t *k, int ct) {
    static const uint8_t g[64] = {
        0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4,
        0x40, 0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45,
        0xD8, 0x98, 0xC2, 0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7,
        0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE,
        0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
    };
    dlms_ecc_jac_t gp;
    dlms_ecc_point_decode(&gp, g);
    dlms_ecc_mul_window(r, k, &gp, ct);
}
#endif

void dlms_ecc_mul_base_ct(dlms_ecc_jac_t *r, const uint8_t *k) {
    dlms_ecc_mul_base(r, k, 1);
}

#if DLMS_ECC_HAS_GTABLE
// Width-w NAF of a public 256-bit big-endian scalar (variable time): naf[i] is 0 or odd
// with |naf[i]| < 2^(w-1), k = sum naf[i] 2^i. Returns the length (at most 257).
static int dlms_ecc_wnaf(int8_t *naf, const uint8_t *k, int w) {
    uint32_t d[9];
    int len = 0;
    for (int i = 0; i < 8; i++) {
        d[i] = ((uint32_t)k[31 - 4 * i]) | ((uint32_t)k[30 - 4 * i] << 8) |
            ((uint32_t)k[29 - 4 * i] << 16) | ((uint32_t)k[28 - 4 * i] << 24);
    }
    d[8] = 0;
    for (int i = 0; i < 257; i++) {
        naf[i] = 0;
    }
    for (int i = 0; i < 257; i++) {
        uint32_t nz = 0;
        for (int j = 0; j < 9; j++) {
            nz |= d[j];
        }
        if (!nz) {
            break;
        }
        if (d[0] & 1) {
            int v = (int)(d[0] & ((1u << w) - 1));
            if (v >= (1 << (w - 1))) {
                v -= 1 << w;
            }
            naf[i] = (int8_t)v;
            if (v > 0) { // d -= v (d >= v, low bits)
                d[0] -= (uint32_t)v;
            } else { // d += -v
                uint32_t c = (uint32_t)(-v);
                for (int j = 0; j < 9 && c; j++) {
                    d[j] += c;
                    c = d[j] < c;
                }
            }
        }
        for (int j = 0; j < 8; j++) {
            d[j] = (d[j] >> 1) | (d[j + 1] << 31);
        }
        d[8] >>= 1;
        len = i + 1;
    }
    return len;
}

// acc += (bx, +-by, bz) (bz NULL: affine), variable time, every special case handled.
static void dlms_ecc_add_signed_vartime(dlms_ecc_jac_t *acc, const LIMB *bx, const LIMB *by,
    const LIMB *bz, int neg) {
    LIMB ny[NL], zero[NL];
    dlms_ecc_jac_t b;
    if (neg) {
        dlms_ecc_fe_set_small(zero, 0);
        FSUB(ny, zero, by);
        by = ny;
    }
    int inf = (int)dlms_ecc_fe_is_zero(acc->z);
    int dbl = 0;
    if (!inf) {
        dbl = (int)dlms_ecc_jac_add_core(acc, acc, bx, by, bz); // acc == b: acc is garbage
    }
    if (inf || dbl) { // rebuild b, then double it when acc was equal to it
        dlms_ecc_fe_copy(b.x, bx);
        dlms_ecc_fe_copy(b.y, by);
        if (bz) {
            dlms_ecc_fe_copy(b.z, bz);
        } else {
            dlms_ecc_fe_one_mont(b.z);
        }
        if (dbl) {
            dlms_ecc_point_dbl(acc, &b);
        } else {
            dlms_ecc_jac_copy(acc, &b);
        }
    }
}

// u1 G + u2 Q for verification (public inputs), Straus/Shamir: width-6 wNAF of u1 over the
// rodata odd multiples of G (mixed additions), width-5 wNAF of u2 over odd multiples of Q
// computed here, one shared chain of doublings.
void dlms_ecc_mul2_vartime(dlms_ecc_jac_t *r, const uint8_t *u1, const uint8_t *u2,
    const dlms_ecc_jac_t *q) {
    int8_t n1[257], n2[257];
    dlms_ecc_jac_t qt[8], q2, acc;
    int l1 = dlms_ecc_wnaf(n1, u1, 6);
    int l2 = dlms_ecc_wnaf(n2, u2, 5);
    dlms_ecc_jac_copy(&qt[0], q);
    dlms_ecc_point_dbl(&q2, q);
    for (int i = 1; i < 8; i++) {
        dlms_ecc_point_add_vartime(&qt[i], &qt[i - 1], &q2);
    }
    dlms_ecc_jac_set_inf(&acc);
    for (int i = (l1 > l2 ? l1 : l2) - 1; i >= 0; i--) {
        if (!dlms_ecc_fe_is_zero(acc.z)) {
            dlms_ecc_point_dbl(&acc, &acc);
        }
        int d = n1[i];
        if (d) {
            int a = d < 0 ? -d : d;
            dlms_ecc_add_signed_vartime(&acc, dlms_ecc_gwnaf[a >> 1][0],
                dlms_ecc_gwnaf[a >> 1][1], NULL, d < 0);
        }
        d = n2[i];
        if (d) {
            int a = d < 0 ? -d : d;
            const dlms_ecc_jac_t *p = &qt[a >> 1];
            if (dlms_ecc_fe_is_zero(p->z)) {
                continue; // Q of small order cannot occur (decoded points have order n)
            }
            dlms_ecc_add_signed_vartime(&acc, p->x, p->y, p->z, d < 0);
        }
    }
    dlms_ecc_jac_copy(r, &acc);
}
#else
// u1 G + u2 Q for verification (public inputs): window for both, then one general
// addition that handles every special case.
void dlms_ecc_mul2_vartime(dlms_ecc_jac_t *r, const uint8_t *u1, const uint8_t *u2,
    const dlms_ecc_jac_t *q) {
    dlms_ecc_jac_t a;
    dlms_ecc_mul_base(&a, u1, 0);
    dlms_ecc_mul_window(r, u2, q, 0);
    dlms_ecc_point_add_vartime(r, r, &a);
}
#endif

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
