// SPDX-License-Identifier: MIT
// GCM and GMAC (NIST SP 800-38D) with 96-bit IVs, for DLMS security suites 0-2.
// Field elements are held as two big-endian 64-bit halves (hi = bits 0..63 of the block).
#include "dlms_gcm.h"

typedef struct _dlms_gcm_ghash_t {
    #if DLMS_GCM_GHASH_4BIT
    uint64_t th[16], tl[16]; // n * H for every 4-bit n (MSB of n = coefficient of x^0)
    #else
    uint64_t hh, hl;
    #endif
    uint64_t yh, yl; // running GHASH value Y
} dlms_gcm_ghash_t;

static uint64_t dlms_gcm_load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void dlms_gcm_store64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

// V = V * x: one bit right, reduce by R = 11100001 || 0^120 (SP 800-38D 6.3, Algorithm 1).
static void dlms_gcm_mulx(uint64_t *h, uint64_t *l) {
    uint64_t mask = (uint64_t)0 - (*l & 1);
    *l = (*l >> 1) | (*h << 63);
    *h = (*h >> 1) ^ (mask & 0xe100000000000000ull);
}

static void dlms_gcm_ghash_init(dlms_gcm_ghash_t *g, const uint8_t h[16]) {
    uint64_t vh = dlms_gcm_load64(h), vl = dlms_gcm_load64(h + 8);
    #if DLMS_GCM_GHASH_4BIT
    // th/tl[8] = H, [4] = H*x, [2] = H*x^2, [1] = H*x^3; the rest by linearity.
    g->th[0] = g->tl[0] = 0;
    for (unsigned i = 8; i > 0; i >>= 1) {
        g->th[i] = vh;
        g->tl[i] = vl;
        dlms_gcm_mulx(&vh, &vl);
    }
    for (unsigned i = 2; i < 16; i <<= 1) {
        for (unsigned j = 1; j < i; ++j) {
            g->th[i + j] = g->th[i] ^ g->th[j];
            g->tl[i + j] = g->tl[i] ^ g->tl[j];
        }
    }
    #else
    g->hh = vh;
    g->hl = vl;
    #endif
    g->yh = g->yl = 0;
}

// Y = (Y ^ X) * H (SP 800-38D 6.4, GHASH step).
static void dlms_gcm_ghash_block(dlms_gcm_ghash_t *g, const uint8_t x[16]) {
    uint64_t xw[2] = { g->yh ^ dlms_gcm_load64(x), g->yl ^ dlms_gcm_load64(x + 8) };
    uint64_t zh = 0, zl = 0;
    #if DLMS_GCM_GHASH_4BIT
    // Horner's rule over the 32 nibbles, last (x^124..x^127) first: Z = Z * x^4 ^ n * H.
    for (int w = 1; w >= 0; --w) {
        uint64_t v = xw[w];
        for (int k = 0; k < 16; ++k, v >>= 4) {
            unsigned r = (unsigned)zl & 0xf; // x^124..x^127 overflow into x^128..x^131
            zl = (zl >> 4) | (zh << 60);
            zh >>= 4;
            // x^(128+j) = R * x^j: fold each dropped bit back in (no table, constant time).
            zh ^= (uint64_t)(((r & 1) * 0x1c20u) ^ (((r >> 1) & 1) * 0x3840u)
                ^ (((r >> 2) & 1) * 0x7080u) ^ (((r >> 3) & 1) * 0xe100u)) << 48;
            zh ^= g->th[v & 0xf];
            zl ^= g->tl[v & 0xf];
        }
    }
    #else
    // Bit-serial, constant time (SP 800-38D 6.3, Algorithm 1).
    // Bits taken MSB first by shifting left: no variable 64-bit shifts (no libgcc on ARM).
    uint64_t vh = g->hh, vl = g->hl;
    for (int w = 0; w < 2; ++w) {
        uint64_t v = xw[w];
        for (int i = 0; i < 64; ++i, v <<= 1) {
            uint64_t m = (uint64_t)0 - (v >> 63);
            zh ^= vh & m;
            zl ^= vl & m;
            dlms_gcm_mulx(&vh, &vl);
        }
    }
    #endif
    g->yh = zh;
    g->yl = zl;
}

// GHASH over data, zero-padding the last partial block (SP 800-38D 7.1 step 5).
static void dlms_gcm_ghash_update(dlms_gcm_ghash_t *g, const uint8_t *p, size_t len) {
    uint8_t blk[16];
    while (len > 0) {
        size_t n = len < 16 ? len : 16;
        for (size_t i = 0; i < 16; ++i) {
            blk[i] = i < n ? p[i] : 0;
        }
        dlms_gcm_ghash_block(g, blk);
        p += n;
        len -= n;
    }
}

// GCTR from inc32(J0), J0 = IV || 0^31 || 1 (SP 800-38D 6.5, 7.1 steps 2-3).
static void dlms_gcm_gctr(const dlms_gcm_aes_t *ctx, const uint8_t iv[12], const uint8_t *in,
    uint8_t *out, size_t len) {
    uint8_t cb[16], ks[16];
    uint32_t ctr = 1;
    for (int i = 0; i < 12; ++i) {
        cb[i] = iv[i];
    }
    while (len > 0) {
        ++ctr;
        cb[12] = (uint8_t)(ctr >> 24);
        cb[13] = (uint8_t)(ctr >> 16);
        cb[14] = (uint8_t)(ctr >> 8);
        cb[15] = (uint8_t)ctr;
        dlms_gcm_aes_encrypt(ctx, cb, ks);
        size_t n = len < 16 ? len : 16;
        for (size_t i = 0; i < n; ++i) {
            out[i] = in[i] ^ ks[i];
        }
        in += n;
        out += n;
        len -= n;
    }
    dlms_gcm_wipe(ks, sizeof(ks));
}

// T = GCTR(J0, GHASH_H(A || 0^v || C || 0^u || [len(A)]64 || [len(C)]64)), full 16 bytes
// (SP 800-38D 7.1 steps 1, 5, 6).
static void dlms_gcm_tag(const dlms_gcm_aes_t *ctx, const uint8_t iv[12], const uint8_t *aad,
    size_t aad_len, const uint8_t *c, size_t c_len, uint8_t tag[16]) {
    dlms_gcm_ghash_t g;
    uint8_t blk[16];
    for (int i = 0; i < 16; ++i) {
        blk[i] = 0;
    }
    dlms_gcm_aes_encrypt(ctx, blk, blk); // H = CIPH_K(0^128)
    dlms_gcm_ghash_init(&g, blk);
    dlms_gcm_ghash_update(&g, aad, aad_len);
    dlms_gcm_ghash_update(&g, c, c_len);
    dlms_gcm_store64(blk, (uint64_t)aad_len * 8);
    dlms_gcm_store64(blk + 8, (uint64_t)c_len * 8);
    dlms_gcm_ghash_block(&g, blk);
    for (int i = 0; i < 12; ++i) {
        blk[i] = iv[i];
    }
    blk[12] = blk[13] = blk[14] = 0;
    blk[15] = 1;
    dlms_gcm_aes_encrypt(ctx, blk, blk); // CIPH_K(J0)
    dlms_gcm_store64(tag, g.yh ^ dlms_gcm_load64(blk));
    dlms_gcm_store64(tag + 8, g.yl ^ dlms_gcm_load64(blk + 8));
    dlms_gcm_wipe(&g, sizeof(g));
    dlms_gcm_wipe(blk, sizeof(blk));
}

int dlms_gcm_ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    uint32_t d = 0;
    while (n--) {
        d |= (uint32_t)(*a++ ^ *b++);
    }
    return (int)((d - 1) >> 31); // d in 0..255: 1 iff d == 0, without a branch
}

void dlms_gcm_encrypt(const dlms_gcm_aes_t *ctx, const uint8_t iv[12],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
    uint8_t *tag, size_t tag_len) {
    uint8_t t[16];
    dlms_gcm_gctr(ctx, iv, in, out, len);
    dlms_gcm_tag(ctx, iv, aad, aad_len, out, len, t);
    for (size_t i = 0; i < tag_len && i < 16; ++i) {
        tag[i] = t[i]; // MSB_t(T), SP 800-38D 7.1 step 7
    }
    dlms_gcm_wipe(t, sizeof(t));
}

// Authenticated decryption (SP 800-38D 7.2): the tag is checked before any plaintext exists.
int dlms_gcm_decrypt(const dlms_gcm_aes_t *ctx, const uint8_t iv[12],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
    const uint8_t *tag, size_t tag_len) {
    uint8_t t[16];
    dlms_gcm_tag(ctx, iv, aad, aad_len, in, len, t);
    int ok = tag_len >= DLMS_GCM_TAG_MIN && tag_len <= 16 && dlms_gcm_ct_equal(t, tag, tag_len);
    dlms_gcm_wipe(t, sizeof(t));
    if (!ok) {
        dlms_gcm_wipe(out, len);
        return -1;
    }
    dlms_gcm_gctr(ctx, iv, in, out, len);
    return 0;
}
