// SPDX-License-Identifier: MIT
// os.urandom on the qemu MPS2 AN386 board (mpconfigboard.mk: MICROPY_PY_OS_URANDOM and
// MICROPY_PY_OS_INCLUDEFILE = this file, included by extmod/modos.c before its urandom):
// the port's mp_hal_get_random is a fixed-seed LCG, the same bytes on every boot, so HLS
// challenges and generated keys would repeat; this board takes the host's entropy instead
// (mps2_get_random in mod_mps2.c: /dev/urandom through semihosting), as a board takes its
// TRNG's.
#include <stddef.h>
#include <stdint.h>
void mps2_get_random(size_t n, uint8_t *buf);
#define mp_hal_get_random mps2_get_random
