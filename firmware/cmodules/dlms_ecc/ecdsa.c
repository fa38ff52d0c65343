// SPDX-License-Identifier: MIT
// P-256 ECDSA, ECDH and key generation over p256.c (see ecdsa.h for the formats).
#include "ecdsa.h"
#include "p256.h"
#include "sha256.h"

#define NL DLMS_ECC_NLIMBS
#define LIMB dlms_ecc_limb_t
#define NMOD (&dlms_ecc_n)

// Overwrite secrets on the stack; volatile so the stores are kept.
static void dlms_ecc_wipe(void *p, size_t len) {
    volatile uint8_t *b = (volatile uint8_t *)p;
    while (len--) {
        *b++ = 0;
    }
}

// Decode a 32-byte big-endian scalar into v; 1 if 1 <= v <= n-1 (constant time).
static int dlms_ecc_scalar_ok(const uint8_t *b32, LIMB *v) {
    dlms_ecc_fe_from_bytes(v, b32);
    return (int)(dlms_ecc_fe_lt(v, NMOD->m) & (dlms_ecc_fe_is_zero(v) ^ 1));
}

int dlms_ecc_valid_point(const uint8_t *pub64) {
    dlms_ecc_jac_t q;
    return dlms_ecc_point_decode(&q, pub64);
}

int dlms_ecc_pubkey(const uint8_t *priv32, uint8_t *pub64) {
    LIMB d[NL];
    dlms_ecc_jac_t q;
    if (!dlms_ecc_scalar_ok(priv32, d)) {
        return DLMS_ECC_ERR_KEY;
    }
    dlms_ecc_mul_base_ct(&q, priv32); // SEC 1 3.2.1 step 2: Q = dG
    dlms_ecc_point_encode(pub64, &q);
    dlms_ecc_wipe(d, sizeof(d));
    return DLMS_ECC_OK;
}

int dlms_ecc_keygen(const uint8_t *random32, uint8_t *priv32, uint8_t *pub64) {
    int ret = dlms_ecc_pubkey(random32, pub64);
    if (ret == DLMS_ECC_OK && priv32 != random32) {
        for (int i = 0; i < 32; i++) {
            priv32[i] = random32[i];
        }
    }
    return ret;
}

// FIPS 186-4 6.4 steps 2..5 with a given k: r = (kG).x mod n, s = k^-1 (e + r d) mod n.
static int dlms_ecc_sign_k(const LIMB *d, const LIMB *e, const uint8_t *k32, uint8_t *sig) {
    LIMB k[NL], r[NL], s[NL], t[NL];
    dlms_ecc_jac_t rp;
    if (!dlms_ecc_scalar_ok(k32, k)) {
        return DLMS_ECC_ERR_KEY;
    }
    dlms_ecc_mul_base_ct(&rp, k32);
    dlms_ecc_point_affine(r, t, &rp);
    dlms_ecc_mod_reduce_once(r, r, NMOD); // x < p < 2n
    dlms_ecc_mod_to_mont(t, d, NMOD);     // d R
    dlms_ecc_mod_mul(s, r, t, NMOD);      // r d
    dlms_ecc_mod_add(s, s, e, NMOD);      // e + r d
    dlms_ecc_mod_to_mont(t, k, NMOD);
    dlms_ecc_mod_inv(t, t, NMOD);         // k^-1 R
    dlms_ecc_mod_mul(s, s, t, NMOD);
    dlms_ecc_wipe(k, sizeof(k));
    dlms_ecc_wipe(t, sizeof(t));
    if (dlms_ecc_fe_is_zero(r) | dlms_ecc_fe_is_zero(s)) {
        return DLMS_ECC_ERR_RETRY;
    }
    dlms_ecc_fe_to_bytes(sig, r);
    dlms_ecc_fe_to_bytes(sig + 32, s);
    return DLMS_ECC_OK;
}

// out = HMAC_K(V [|| sep [|| x || h]]), RFC 6979 3.2 steps d..h; out may alias V.
static void dlms_ecc_rfc6979_mac(uint8_t *out, const dlms_ecc_hmac_key_t *key,
    const uint8_t *v, int sep, const uint8_t *x, const uint8_t *h) {
    dlms_ecc_hmac_t ctx;
    dlms_ecc_hmac_init(&ctx, key);
    dlms_ecc_hmac_update(&ctx, v, 32);
    if (sep >= 0) {
        uint8_t b = (uint8_t)sep;
        dlms_ecc_hmac_update(&ctx, &b, 1);
    }
    if (x) {
        dlms_ecc_hmac_update(&ctx, x, 32);
        dlms_ecc_hmac_update(&ctx, h, 32);
    }
    dlms_ecc_hmac_final(&ctx, out);
    dlms_ecc_wipe(&ctx, sizeof(ctx));
}

// K = HMAC_K(V || sep [|| x || h]), then V = HMAC_K(V) with the new K (RFC 6979 3.2 d..g
// and h.3); the key state kk is replaced.
static void dlms_ecc_rfc6979_rekey(dlms_ecc_hmac_key_t *kk, uint8_t *v, int sep,
    const uint8_t *x, const uint8_t *h) {
    uint8_t k[32];
    dlms_ecc_rfc6979_mac(k, kk, v, sep, x, h);
    dlms_ecc_hmac_key(kk, k, 32);
    dlms_ecc_rfc6979_mac(v, kk, v, -1, NULL, NULL);
    dlms_ecc_wipe(k, sizeof(k));
}

int dlms_ecc_sign(const uint8_t *priv32, const uint8_t *digest32, const uint8_t *k32,
    uint8_t *sig64) {
    LIMB d[NL], e[NL];
    if (!dlms_ecc_scalar_ok(priv32, d)) {
        return DLMS_ECC_ERR_KEY;
    }
    // FIPS 186-4 6.4 step 4 / SEC 1 4.1.3 step 5: e = leftmost 256 bits of the digest, and
    // RFC 6979 2.3.4 bits2octets reduces it mod n.
    dlms_ecc_fe_from_bytes(e, digest32);
    dlms_ecc_mod_reduce_once(e, e, NMOD);
    if (k32) {
        int ret = dlms_ecc_sign_k(d, e, k32, sig64);
        dlms_ecc_wipe(d, sizeof(d));
        return ret;
    }
    dlms_ecc_hmac_key_t kk;
    uint8_t v[32], h1[32];
    dlms_ecc_fe_to_bytes(h1, e);
    for (int i = 0; i < 32; i++) {
        v[i] = 0x01; // RFC 6979 3.2 b
    }
    dlms_ecc_hmac_key(&kk, v, 0); // c: K = 0x00 ... 00 (a zero key pads like an empty one)
    dlms_ecc_rfc6979_rekey(&kk, v, 0, priv32, h1); // d, e
    dlms_ecc_rfc6979_rekey(&kk, v, 1, priv32, h1); // f, g
    int ret;
    for (;;) {
        dlms_ecc_rfc6979_mac(v, &kk, v, -1, NULL, NULL); // h.2: T = V (qlen = hlen = 256)
        ret = dlms_ecc_sign_k(d, e, v, sig64); // h.3: k = bits2int(T), used if in [1, n-1]
        if (ret == DLMS_ECC_OK) {
            break;
        }
        // out of range, or r = 0 / s = 0 (3.4): next candidate
        dlms_ecc_rfc6979_rekey(&kk, v, 0, NULL, NULL);
    }
    dlms_ecc_wipe(&kk, sizeof(kk));
    dlms_ecc_wipe(v, sizeof(v));
    dlms_ecc_wipe(d, sizeof(d));
    return ret;
}

// SEC 1 4.1.4: 1 if sig64 = r||s is a valid signature of digest32 under pub64, else 0.
int dlms_ecc_verify(const uint8_t *pub64, const uint8_t *digest32, const uint8_t *sig64) {
    LIMB r[NL], s[NL], e[NL], w[NL], t[NL];
    uint8_t u1[32], u2[32];
    dlms_ecc_jac_t q, rp;
    if (!dlms_ecc_scalar_ok(sig64, r) || !dlms_ecc_scalar_ok(sig64 + 32, s)) {
        return 0; // step 1: r, s in [1, n-1]
    }
    if (!dlms_ecc_point_decode(&q, pub64)) {
        return 0;
    }
    dlms_ecc_fe_from_bytes(e, digest32);
    dlms_ecc_mod_reduce_once(e, e, NMOD);
    dlms_ecc_mod_inv_vartime(w, s, NMOD); // s is public here
    dlms_ecc_mod_to_mont(w, w, NMOD);     // s^-1 R
    dlms_ecc_mod_mul(t, e, w, NMOD);
    dlms_ecc_fe_to_bytes(u1, t); // step 4: u1 = e s^-1
    dlms_ecc_mod_mul(t, r, w, NMOD);
    dlms_ecc_fe_to_bytes(u2, t); // u2 = r s^-1
    dlms_ecc_mul2_vartime(&rp, u1, u2, &q); // step 5
    if (dlms_ecc_fe_is_zero(rp.z)) {
        return 0;
    }
    return dlms_ecc_point_x_eq_mod_n(&rp, r); // steps 6..8: v = x mod n == r
}

// SEC 1 3.3.1: z = x-coordinate of d * Q (cofactor 1, so no cofactor multiplication).
int dlms_ecc_ecdh(const uint8_t *priv32, const uint8_t *peer64, uint8_t *out32) {
    LIMB d[NL], x[NL], y[NL];
    dlms_ecc_jac_t q, p;
    if (!dlms_ecc_scalar_ok(priv32, d)) {
        return DLMS_ECC_ERR_KEY;
    }
    dlms_ecc_wipe(d, sizeof(d));
    if (!dlms_ecc_point_decode(&q, peer64)) {
        return DLMS_ECC_ERR_POINT; // SEC 1 3.2.2.1 public key validation
    }
    dlms_ecc_mul_ct(&p, priv32, &q);
    if (dlms_ecc_fe_is_zero(p.z)) {
        return DLMS_ECC_ERR_POINT; // step 2: P = O (unreachable for a valid Q)
    }
    dlms_ecc_point_affine(x, y, &p);
    dlms_ecc_fe_to_bytes(out32, x);
    return DLMS_ECC_OK;
}

#undef NL
#undef LIMB
#undef NMOD
