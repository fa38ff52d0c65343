// SPDX-License-Identifier: MIT
// Host check of the portable core without MicroPython (gcc only):
//   gcc -std=c99 -O1 -g -I.. -o ctcheck ctcheck.c ../p256.c ../p256_fp32.c
//       ../p256_point.c ../ecdsa.c ../sha256.c
//   ./ctcheck               RFC 6979 A.2.5 key and "sample" signature, prints "ok"
//   valgrind --error-exitcode=3 ./ctcheck ct
//                           the secret scalar is marked undefined for memcheck, which then
//                           reports every branch or memory index that depends on it
//                           (the ctgrind method): none may occur in the secret-key paths.
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "ecdsa.h"
#include "p256.h"
#include "sha256.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifdef VALGRIND_MAKE_MEM_UNDEFINED
#define CT_STATUS "ct done\n"
#else
#define CT_STATUS "ct unchecked: no valgrind/memcheck.h\n"
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

static void unhex(uint8_t *out, const char *s) {
    for (size_t i = 0; s[2 * i]; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

// Everything sign and ECDH do with secrets, minus their range checks (which branch on
// validity only): s = k^-1 (e + r d) mod n, k G, d Q, affine conversion.
static void secret_paths(const uint8_t *d, const uint8_t *k, const uint8_t *q64) {
    dlms_ecc_limb_t dv[DLMS_ECC_NLIMBS], kv[DLMS_ECC_NLIMBS], x[DLMS_ECC_NLIMBS],
        y[DLMS_ECC_NLIMBS], s[DLMS_ECC_NLIMBS];
    dlms_ecc_jac_t p, q;
    uint8_t out[32];
    dlms_ecc_point_decode(&q, q64);
    dlms_ecc_mul_base_ct(&p, k);
    dlms_ecc_point_affine(x, y, &p);
    dlms_ecc_mod_reduce_once(x, x, &dlms_ecc_n);
    dlms_ecc_fe_from_bytes(dv, d);
    dlms_ecc_fe_from_bytes(kv, k);
    dlms_ecc_mod_to_mont(dv, dv, &dlms_ecc_n);
    dlms_ecc_mod_mul(s, x, dv, &dlms_ecc_n);
    dlms_ecc_mod_add(s, s, x, &dlms_ecc_n);
    dlms_ecc_mod_to_mont(kv, kv, &dlms_ecc_n);
    dlms_ecc_mod_inv(kv, kv, &dlms_ecc_n);
    dlms_ecc_mod_mul(s, s, kv, &dlms_ecc_n);
    dlms_ecc_mul_ct(&p, d, &q);
    dlms_ecc_point_affine(x, y, &p);
    dlms_ecc_fe_to_bytes(out, x);
    VALGRIND_MAKE_MEM_DEFINED(out, 32);
    VALGRIND_MAKE_MEM_DEFINED(s, sizeof(s));
}

int main(int argc, char **argv) {
    uint8_t d[32], k[32], u[64], pub[64], h[32], sig[64], want[64];
    unhex(d, "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
    unhex(u, "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
        "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
    unhex(k, "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60");
    unhex(want, "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
        "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
    if (argc > 1 && strcmp(argv[1], "ct") == 0) {
        VALGRIND_MAKE_MEM_UNDEFINED(d, 32);
        VALGRIND_MAKE_MEM_UNDEFINED(k, 32);
        secret_paths(d, k, u);
        printf(CT_STATUS);
        return 0;
    }
    dlms_ecc_sha256((const uint8_t *)"sample", 6, h);
    if (dlms_ecc_pubkey(d, pub) || memcmp(pub, u, 64)
        || dlms_ecc_sign(d, h, NULL, sig) || memcmp(sig, want, 64)
        || !dlms_ecc_verify(pub, h, sig)) {
        printf("FAIL\n");
        return 1;
    }
    printf("ok\n");
    return 0;
}
