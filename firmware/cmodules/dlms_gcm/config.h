// SPDX-License-Identifier: MIT
// Feature flags for the dlms_gcm core (pattern of ulab's `#ifndef ULAB_HAS_*`). Override with
// -D on the compiler line or from mpconfigboard.h. Flash costs: arm-none-eabi-gcc 12.2 -Os
// Cortex-M4; the whole core with the default flags is 2854 bytes of flash, 0 of RAM (measured
// before the two speed options at the end were added; the armv7emsp natmod with the defaults is
// now 4143 bytes text, 5523 with DLMS_GCM_AES_TTABLE=1).
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

// GHASH with a per-call 8-bit table (Shoup), overrides DLMS_GCM_GHASH_4BIT: 4 KB of stack per
// call (the 256-entry n*H table, built and wiped each call; never a static, no RAM otherwise)
// plus a 512-byte reduction table in flash. Host x64 -O2: ~27 ns per block vs ~68 ns (4-bit),
// ~0.4 us set-up. Meant for the host (natmod/Makefile enables it for ARCH=x64); too much stack
// for most MCU boards. Same secret-indexed (H-table) loads as the 4-bit table.
#ifndef DLMS_GCM_GHASH_8BIT
#define DLMS_GCM_GHASH_8BIT (0)
#endif

// AES encryption with a 1 KB round table (SubBytes+MixColumns merged, "T-table", one 32-bit
// lookup per byte and round, rotations for rows 1..3) instead of S-box bytes + arithmetic
// MixColumns. Host x64 -O2: ~34 ns per block vs ~150 ns. Flash: +1024 bytes table, the cipher
// itself about the same size. Trade-off: the loads are indexed by key- and data-dependent
// bytes over a 1 KB table spanning 16 cache lines, so it leaks through cache timing on cores
// with a data cache (x86, Cortex-M7 with D-cache) far more than the 256-byte S-box does; do
// not use it where an attacker shares the cache (other processes/VMs, a local attacker timing
// many operations). Default 0 (board builds: S-box, smaller); natmod/Makefile enables it for
// the host x64 build, where speed for tests/benchmarks matters and no secrets of a real meter
// are handled. Decryption (key unwrap) always uses the S-box version.
#ifndef DLMS_GCM_AES_TTABLE
#define DLMS_GCM_AES_TTABLE (0)
#endif

#endif // DLMS_GCM_CONFIG_H
