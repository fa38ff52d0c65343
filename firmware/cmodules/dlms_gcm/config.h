// SPDX-License-Identifier: MIT
// Feature flags for the dlms_gcm core (pattern of ulab's `#ifndef ULAB_HAS_*`). Override with
// -D on the compiler line or from mpconfigboard.h. Flash costs: arm-none-eabi-gcc 12.2 -Os
// Cortex-M4; the whole core with all flags on is 2854 bytes of flash, 0 of RAM.
#ifndef DLMS_GCM_CONFIG_H
#define DLMS_GCM_CONFIG_H

// AES-256 keys (security suite 2): +72 bytes (key schedule). Contexts are 244 bytes either way.
#ifndef DLMS_GCM_HAS_AES256
#define DLMS_GCM_HAS_AES256 (1)
#endif

// RFC 3394 key wrap/unwrap (Security Setup key_transfer): +1026 bytes, of which the AES
// inverse cipher (unwrap only) is 588 including its 256-byte inverse S-box.
#ifndef DLMS_GCM_HAS_KEYWRAP
#define DLMS_GCM_HAS_KEYWRAP (1)
#endif

// GHASH with a per-call 4-bit table (Shoup): +202 bytes of flash, +248 bytes of stack (336 vs
// 88 in the tag step). Host x64: 1300-byte GCM 18 us vs 23 us bit-serial; the gap should be
// wider on 32-bit cores (128 two-word shift/mask steps per block), measure on the target.
// 0 = bit-serial multiply: constant time (no secret-indexed loads), smallest.
#ifndef DLMS_GCM_GHASH_4BIT
#define DLMS_GCM_GHASH_4BIT (1)
#endif

#endif // DLMS_GCM_CONFIG_H
