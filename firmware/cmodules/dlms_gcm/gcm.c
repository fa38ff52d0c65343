// SPDX-License-Identifier: MIT
// GCM and GMAC (NIST SP 800-38D) with 96-bit IVs, for DLMS security suites 0-2.
// Field elements are held as two big-endian 64-bit halves (hi = bits 0..63 of the block).
#include "dlms_gcm.h"

#if DLMS_GCM_GHASH_8BIT
#define DLMS_GCM_GHASH_BITS (8)
#elif DLMS_GCM_GHASH_4BIT
#define DLMS_GCM_GHASH_BITS (4)
#else
#define DLMS_GCM_GHASH_BITS (0)
#endif

#if DLMS_GCM_GHASH_BITS == 8
// x^(128+m) = x^m * (1 + x + x^2 + x^7): reduction of the 8 bits shifted out of Z by Z * x^8,
// bit j of the index standing for x^(135-j); result goes to bits 63..48 of the high word.
static const uint16_t dlms_gcm_r8[256] = {
    0x0000, 0x01c2, 0x0384, 0x0246, 0x0708, 0x06ca, 0x048c, 0x054e, 0x0e10, 0x0fd2, 0x0d94, 0x0c56,
    0x0918, 0x08da, 0x0a9c, 0x0b5e, 0x1c20, 0x1de2, 0x1fa4, 0x1e66, 0x1b28, 0x1aea, 0x18ac, 0x196e,
    0x1230, 0x13f2, 0x11b4, 0x1076, 0x1538, 0x14fa, 0x16bc, 0x177e, 0x3840, 0x3982, 0x3bc4, 0x3a06,
    0x3f48, 0x3e8a, 0x3ccc, 0x3d0e, 0x3650, 0x3792, 0x35d4, 0x3416, 0x3158, 0x309a, 0x32dc, 0x331e,
    0x2460, 0x25a2, 0x27e4, 0x2626, 0x2368, 0x22aa, 0x20ec, 0x212e, 0x2a70, 0x2bb2, 0x29f4, 0x2836,
    0x2d78, 0x2cba, 0x2efc, 0x2f3e, 0x7080, 0x7142, 0x7304, 0x72c6, 0x7788, 0x764a, 0x740c, 0x75ce,
    0x7e90, 0x7f52, 0x7d14, 0x7cd6, 0x7998, 0x785a, 0x7a1c, 0x7bde, 0x6ca0, 0x6d62, 0x6f24, 0x6ee6,
    0x6ba8, 0x6a6a, 0x682c, 0x69ee, 0x62b0, 0x6372, 0x6134, 0x60f6, 0x65b8, 0x647a, 0x663c, 0x67fe,
    0x48c0, 0x4902, 0x4b44, 0x4a86, 0x4fc8, 0x4e0a, 0x4c4c, 0x4d8e, 0x46d0, 0x4712, 0x4554, 0x4496,
    0x41d8, 0x401a, 0x425c, 0x439e, 0x54e0, 0x5522, 0x5764, 0x56a6, 0x53e8, 0x522a, 0x506c, 0x51ae,
    0x5af0, 0x5b32, 0x5974, 0x58b6, 0x5df8, 0x5c3a, 0x5e7c, 0x5fbe, 0xe100, 0xe0c2, 0xe284, 0xe346,
    0xe608, 0xe7ca, 0xe58c, 0xe44e, 0xef10, 0xeed2, 0xec94, 0xed56, 0xe818, 0xe9da, 0xeb9c, 0xea5e,
    0xfd20, 0xfce2, 0xfea4, 0xff66, 0xfa28, 0xfbea, 0xf9ac, 0xf86e, 0xf330, 0xf2f2, 0xf0b4, 0xf176,
    0xf438, 0xf5fa, 0xf7bc, 0xf67e, 0xd940, 0xd882, 0xdac4, 0xdb06, 0xde48, 0xdf8a, 0xddcc, 0xdc0e,
    0xd750, 0xd692, 0xd4d4, 0xd516, 0xd058, 0xd19a, 0xd3dc, 0xd21e, 0xc560, 0xc4a2, 0xc6e4, 0xc726,
    0xc268, 0xc3aa, 0xc1ec, 0xc02e, 0xcb70, 0xcab2, 0xc8f4, 0xc936, 0xcc78, 0xcdba, 0xcffc, 0xce3e,
    0x9180, 0x9042, 0x9204, 0x93c6, 0x9688, 0x974a, 0x950c, 0x94ce, 0x9f90, 0x9e52, 0x9c14, 0x9dd6,
    0x9898, 0x995a, 0x9b1c, 0x9ade, 0x8da0, 0x8c62, 0x8e24, 0x8fe6, 0x8aa8, 0x8b6a, 0x892c, 0x88ee,
    0x83b0, 0x8272, 0x8034, 0x81f6, 0x84b8, 0x857a, 0x873c, 0x86fe, 0xa9c0, 0xa802, 0xaa44, 0xab86,
    0xaec8, 0xaf0a, 0xad4c, 0xac8e, 0xa7d0, 0xa612, 0xa454, 0xa596, 0xa0d8, 0xa11a, 0xa35c, 0xa29e,
    0xb5e0, 0xb422, 0xb664, 0xb7a6, 0xb2e8, 0xb32a, 0xb16c, 0xb0ae, 0xbbf0, 0xba32, 0xb874, 0xb9b6,
    0xbcf8, 0xbd3a, 0xbf7c, 0xbebe,
};
#endif

typedef struct _dlms_gcm_ghash_t {
    #if DLMS_GCM_GHASH_BITS == 8
    uint64_t th[256], tl[256]; // n * H for every byte n (MSB of n = coefficient of x^0)
    #elif DLMS_GCM_GHASH_BITS == 4
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

// dlms_gcm_wipe a word at a time, for the GHASH state (up to 4 KB with DLMS_GCM_GHASH_8BIT).
static void dlms_gcm_wipe64(uint64_t *p, size_t n) {
    volatile uint64_t *v = (volatile uint64_t *)p;
    while (n--) {
        *v++ = 0;
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
    #if DLMS_GCM_GHASH_BITS == 8
    // th/tl[128] = H, [64] = H*x, ..., [1] = H*x^7; the rest by linearity.
    g->th[0] = g->tl[0] = 0;
    for (unsigned i = 128; i > 0; i >>= 1) {
        g->th[i] = vh;
        g->tl[i] = vl;
        dlms_gcm_mulx(&vh, &vl);
    }
    for (unsigned i = 2; i < 256; i <<= 1) {
        for (unsigned j = 1; j < i; ++j) {
            g->th[i + j] = g->th[i] ^ g->th[j];
            g->tl[i + j] = g->tl[i] ^ g->tl[j];
        }
    }
    #elif DLMS_GCM_GHASH_BITS == 4
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
    #if DLMS_GCM_GHASH_BITS == 8
    // Horner's rule over the 16 bytes, last (x^120..x^127) first: Z = Z * x^8 ^ n * H.
    for (int w = 1; w >= 0; --w) {
        uint64_t v = xw[w];
        for (int k = 0; k < 8; ++k, v >>= 8) {
            unsigned r = (unsigned)zl & 0xff;
            zl = (zl >> 8) | (zh << 56);
            zh = (zh >> 8) ^ ((uint64_t)dlms_gcm_r8[r] << 48);
            zh ^= g->th[v & 0xff];
            zl ^= g->tl[v & 0xff];
        }
    }
    #elif DLMS_GCM_GHASH_BITS == 4
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
    for (; len >= 16; p += 16, len -= 16) {
        dlms_gcm_ghash_block(g, p);
    }
    while (len > 0) { // at most once
        size_t n = len;
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
    dlms_gcm_wipe64((uint64_t *)&g, sizeof(g) / sizeof(uint64_t));
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
