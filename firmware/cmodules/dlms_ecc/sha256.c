// SPDX-License-Identifier: MIT
// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), written for small code size.
#include "sha256.h"

// FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots of the first
// 64 primes.
static const uint32_t dlms_ecc_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

// FIPS 180-4 6.2.2: one 64-byte block, message schedule expanded first.
static void dlms_ecc_sha256_block(uint32_t *st, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16
            | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t x = w[i - 15], y = w[i - 2];
        w[i] = w[i - 16] + w[i - 7]
            + (ROR(x, 7) ^ ROR(x, 18) ^ (x >> 3))       // sigma0
            + (ROR(y, 17) ^ ROR(y, 19) ^ (y >> 10));    // sigma1
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + (g ^ (e & (f ^ g)))
            + dlms_ecc_sha256_k[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) | (c & (a | b)));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}

void dlms_ecc_sha256_init(dlms_ecc_sha256_t *ctx) {
    // FIPS 180-4 5.3.3
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    for (int i = 0; i < 8; i++) {
        ctx->h[i] = iv[i];
    }
    ctx->len = 0;
}

void dlms_ecc_sha256_update(dlms_ecc_sha256_t *ctx, const uint8_t *data, size_t len) {
    size_t fill = (size_t)(ctx->len & 63);
    ctx->len += len;
    while (len) {
        if (fill == 0 && len >= 64) {
            dlms_ecc_sha256_block(ctx->h, data);
            data += 64;
            len -= 64;
            continue;
        }
        while (len && fill < 64) {
            ctx->buf[fill++] = *data++;
            len--;
        }
        if (fill == 64) {
            dlms_ecc_sha256_block(ctx->h, ctx->buf);
            fill = 0;
        }
    }
}

void dlms_ecc_sha256_final(dlms_ecc_sha256_t *ctx, uint8_t *out) {
    // FIPS 180-4 5.1.1: 0x80, zeros, 64-bit big-endian bit length
    uint64_t bits = ctx->len << 3;
    size_t fill = (size_t)(ctx->len & 63);
    ctx->buf[fill++] = 0x80;
    if (fill > 56) {
        while (fill < 64) {
            ctx->buf[fill++] = 0;
        }
        dlms_ecc_sha256_block(ctx->h, ctx->buf);
        fill = 0;
    }
    while (fill < 56) {
        ctx->buf[fill++] = 0;
    }
    for (int i = 0; i < 8; i++) {
        ctx->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    dlms_ecc_sha256_block(ctx->h, ctx->buf);
    for (int i = 0; i < 32; i++) {
        out[i] = (uint8_t)(ctx->h[i >> 2] >> (24 - 8 * (i & 3)));
    }
}

void dlms_ecc_sha256(const uint8_t *data, size_t len, uint8_t *out) {
    dlms_ecc_sha256_t ctx;
    dlms_ecc_sha256_init(&ctx);
    dlms_ecc_sha256_update(&ctx, data, len);
    dlms_ecc_sha256_final(&ctx, out);
}

// RFC 2104 2: H(K ^ opad, H(K ^ ipad, text)); keys longer than a block are not needed here.
// The chaining values after the one padded-key block of each hash are kept per key.
void dlms_ecc_hmac_key(dlms_ecc_hmac_key_t *k, const uint8_t *key, size_t key_len) {
    dlms_ecc_sha256_t t;
    uint8_t pad[64];
    for (int i = 0; i < 64; i++) {
        pad[i] = (size_t)i < key_len ? key[i] ^ 0x36 : 0x36;
    }
    dlms_ecc_sha256_init(&t);
    dlms_ecc_sha256_block(t.h, pad);
    for (int i = 0; i < 8; i++) {
        k->ih[i] = t.h[i];
    }
    for (int i = 0; i < 64; i++) {
        pad[i] ^= 0x36 ^ 0x5c;
    }
    dlms_ecc_sha256_init(&t);
    dlms_ecc_sha256_block(t.h, pad);
    for (int i = 0; i < 8; i++) {
        k->oh[i] = t.h[i];
    }
}

void dlms_ecc_hmac_init(dlms_ecc_hmac_t *ctx, const dlms_ecc_hmac_key_t *key) {
    for (int i = 0; i < 8; i++) {
        ctx->inner.h[i] = key->ih[i];
    }
    ctx->inner.len = 64;
    ctx->key = key;
}

void dlms_ecc_hmac_update(dlms_ecc_hmac_t *ctx, const uint8_t *data, size_t len) {
    dlms_ecc_sha256_update(&ctx->inner, data, len);
}

void dlms_ecc_hmac_final(dlms_ecc_hmac_t *ctx, uint8_t *out) {
    uint8_t ih[32];
    dlms_ecc_sha256_final(&ctx->inner, ih);
    for (int i = 0; i < 8; i++) {
        ctx->inner.h[i] = ctx->key->oh[i];
    }
    ctx->inner.len = 64;
    dlms_ecc_sha256_update(&ctx->inner, ih, 32);
    dlms_ecc_sha256_final(&ctx->inner, out);
}

#undef ROR
