// SPDX-License-Identifier: MIT
// Line-oriented driver of the portable core for randomized cross-checks (xcheck.py), built
// with gcc for either limb width:
//   gcc -std=c99 -O2 -I.. -o xcheck xcheck.c ../p256.c ../p256_fp32.c ../p256_point.c
//       ../ecdsa.c ../sha256.c
//   (add -DDLMS_ECC_LIMB32 for 32-bit limbs, -DDLMS_ECC_HAS_GTABLE=0 without the G tables)
// Requests on stdin, one per line, hex arguments; one answer line each ("ERR <code>" on
// errors):
//   P d            public key X||Y of d
//   S d h          signature r||s of digest h, RFC 6979 k
//   K d h k        signature with the given k
//   V q h sig      1 or 0
//   E d q          ECDH x-coordinate
//   C q            point validity, 1 or 0
//   I m a          a^-1 mod m (m = "p" or "n"), by the constant-time Montgomery-form
//                  inversion and by the variable-time one; "ERR 1" if they differ
//   H data         SHA-256 of data ("-" for empty), at most 400 bytes
#include <stdio.h>
#include <string.h>
#include "ecdsa.h"
#include "p256.h"
#include "sha256.h"

static void unhex(uint8_t *out, const char *s, int n) {
    for (int i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void hex(const uint8_t *b, int n) {
    for (int i = 0; i < n; i++) {
        printf("%02x", b[i]);
    }
    printf("\n");
}

static void inverse(const char *which, const char *a_hex) {
    const dlms_ecc_mod_t *m = which[0] == 'p' ? &dlms_ecc_p : &dlms_ecc_n;
    uint8_t b[32];
    dlms_ecc_fe_t a, x, y;
    unhex(b, a_hex, 32);
    dlms_ecc_fe_from_bytes(a, b);
    dlms_ecc_mod_to_mont(x, a, m);
    dlms_ecc_mod_inv(x, x, m);
    dlms_ecc_mod_from_mont(x, x, m);
    dlms_ecc_mod_inv_vartime(y, a, m);
    if (!dlms_ecc_fe_eq(x, y)) {
        printf("ERR 1\n");
        return;
    }
    dlms_ecc_fe_to_bytes(b, x);
    hex(b, 32);
}

int main(void) {
    char line[1024], a[820], b[300], c[300];
    uint8_t d[32], h[32], k[32], q[64], sig[64], out[32], data[400];
    while (fgets(line, sizeof(line), stdin)) {
        int r = 0;
        a[0] = b[0] = c[0] = 0;
        sscanf(line + 1, "%819s %299s %299s", a, b, c);
        switch (line[0]) {
            case 'P':
                unhex(d, a, 32);
                if (!(r = dlms_ecc_pubkey(d, q))) {
                    hex(q, 64);
                }
                break;
            case 'S':
            case 'K':
                unhex(d, a, 32);
                unhex(h, b, 32);
                unhex(k, c, 32);
                if (!(r = dlms_ecc_sign(d, h, line[0] == 'K' ? k : NULL, sig))) {
                    hex(sig, 64);
                }
                break;
            case 'V':
                unhex(q, a, 64);
                unhex(h, b, 32);
                unhex(sig, c, 64);
                printf("%d\n", dlms_ecc_verify(q, h, sig));
                break;
            case 'E':
                unhex(d, a, 32);
                unhex(q, b, 64);
                if (!(r = dlms_ecc_ecdh(d, q, out))) {
                    hex(out, 32);
                }
                break;
            case 'C':
                unhex(q, a, 64);
                printf("%d\n", dlms_ecc_valid_point(q));
                break;
            case 'I':
                inverse(a, b);
                break;
            case 'H': {
                int n = a[0] == '-' ? 0 : (int)(strlen(a) / 2);
                unhex(data, a, n);
                dlms_ecc_sha256(data, (size_t)n, out);
                hex(out, 32);
                break;
            }
            default:
                printf("?\n");
        }
        if (r) {
            printf("ERR %d\n", r);
        }
        fflush(stdout);
    }
    return 0;
}
