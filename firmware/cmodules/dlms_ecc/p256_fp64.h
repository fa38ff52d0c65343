// SPDX-License-Identifier: MIT
// GF(p) arithmetic for 64-bit limbs (the dlms_ecc_fp_* of p256.h), included by p256.c.
// Montgomery multiplication uses the shape of p: p[0] = 2^64 - 1 (so -p^-1 mod 2^64 = 1 and
// the low limb cancels into a carry of u), p[1] = 2^32 - 1, p[2] = 0, p[3] = 2^64 - 2^32 + 1:
// one multiplication per reduction step instead of four. Unrolled, no branches: constant
// time.
#define FP64_P1 (0x00000000FFFFFFFFULL)
#define FP64_P3 (0xFFFFFFFF00000001ULL)

// r = t mod p for t = t0..t3 + 2^256 t4 < 2p (subtract p once when t >= p). Computed as
// d = t + (2^256 - p): the carry out of that addition (or t4) says t >= p.
static void dlms_ecc_fp_final(uint64_t *r, uint64_t t0, uint64_t t1, uint64_t t2,
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

// One CIOS row: t += a * bi, then t = (t + u p) / 2^64 with u = t0.
#define FP64_ROW(bi) do { \
        uint64_t b_ = (bi); \
        s = (DLIMB)a[0] * b_ + t0; t0 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)a[1] * b_ + t1 + c; t1 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)a[2] * b_ + t2 + c; t2 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)a[3] * b_ + t3 + c; t3 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)t4 + c; t4 = (uint64_t)s; t5 = (uint64_t)(s >> 64); \
        u = t0; \
        s = (DLIMB)t1 + ((DLIMB)u << 32); t0 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)t2 + c; t1 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)u * FP64_P3 + t3 + c; t2 = (uint64_t)s; c = (uint64_t)(s >> 64); \
        s = (DLIMB)t4 + c; t3 = (uint64_t)s; t4 = t5 + (uint64_t)(s >> 64); \
} while (0)

// r = a b 2^-256 mod p; r may alias a or b.
void dlms_ecc_fp_mul(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, c, u;
    DLIMB s;
    uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    FP64_ROW(b0);
    FP64_ROW(b1);
    FP64_ROW(b2);
    FP64_ROW(b3);
    dlms_ecc_fp_final(r, t0, t1, t2, t3, t4);
}

void dlms_ecc_fp_add(uint64_t *r, const uint64_t *a, const uint64_t *b) {
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
void dlms_ecc_fp_sub(uint64_t *r, const uint64_t *a, const uint64_t *b) {
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

// r = a^2 2^-256 mod p: 6 cross products doubled plus 4 squares (10 multiplications instead
// of 16), then four reduction steps of the fp_mul shape over the 8-limb square; the carry
// out of step i is absorbed by the u * p[3] term of step i + 1 (u p[3] < 2^128 - 2^96).
#define ACC(dst, expr) do { s = (expr); dst = (uint64_t)s; c = (uint64_t)(s >> 64); } while (0)
#define FP64_RED(ti, t1, t2, t3, kin, kout) do { \
        uint64_t u_ = (ti); \
        ACC(t1, (DLIMB)t1 + ((DLIMB)u_ << 32)); \
        ACC(t2, (DLIMB)t2 + c); \
        ACC(t3, (DLIMB)u_ * FP64_P3 + t3 + c + (kin)); \
        kout = c; \
} while (0)

void dlms_ecc_fp_sqr(uint64_t *r, const uint64_t *a) {
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

#undef FP64_RED
#undef ACC

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

#undef FP64_ROW
#undef FP64_P1
#undef FP64_P3
