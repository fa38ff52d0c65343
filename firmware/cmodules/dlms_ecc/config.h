// SPDX-License-Identifier: MIT
// Build-time options of the dlms_ecc core (override with -D or before including).
#ifndef DLMS_ECC_CONFIG_H
#define DLMS_ECC_CONFIG_H

#include <stdint.h>

// Limb width. 64-bit limbs need a 128-bit product type (x64 hosts); MCUs use 32-bit limbs
// with a 64-bit product (Cortex-M: UMULL/UMLAL). Define DLMS_ECC_LIMB32 to force 32 bits.
#if defined(__SIZEOF_INT128__) && !defined(DLMS_ECC_LIMB32)
#define DLMS_ECC_LIMB_BITS (64)
typedef uint64_t dlms_ecc_limb_t;
__extension__ typedef unsigned __int128 dlms_ecc_dlimb_t;
__extension__ typedef __int128 dlms_ecc_i128_t;
#else
#define DLMS_ECC_LIMB_BITS (32)
typedef uint32_t dlms_ecc_limb_t;
typedef uint64_t dlms_ecc_dlimb_t;
#endif

#define DLMS_ECC_NLIMBS (256 / DLMS_ECC_LIMB_BITS)

// One 64-bit constant word written as two 32-bit halves, so constant tables suit both
// limb widths (least significant word first).
#if DLMS_ECC_LIMB_BITS == 64
#define DLMS_ECC_W(hi, lo) (((uint64_t)(hi) << 32) | (lo))
#else
#define DLMS_ECC_W(hi, lo) (lo), (hi)
#endif

// Variable-point scalar multiplication (ECDH) uses a signed 5-bit window: a stack table of
// 16 points (1.5 KB), made affine with one inversion (0.5 KB more while that runs).

// Precomputed tables of the base point G (rodata, 3.9 KB): a comb with 4 teeth and 2 tables
// (30 affine points) for key generation and signing, and the odd multiples G..63G for the
// wNAF of verification. 0 saves about 4.5 KB of flash and uses the variable-point methods
// with G (Cortex-M4: signing 2.4x slower, 2.1 M instructions; verification 10% slower).
#ifndef DLMS_ECC_HAS_GTABLE
#define DLMS_ECC_HAS_GTABLE (1)
#endif

#endif // DLMS_ECC_CONFIG_H
