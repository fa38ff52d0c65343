// SPDX-License-Identifier: MIT
// Dynamic native module (.mpy) build of `_dlms_crc` for the host (x64) or an MCU (armv7emsp).
// Pattern of MicroPython's examples/natmod/framebuf: the binding and core are #included so
// that their `static` symbols stay in one translation unit. The CRC table is `static const`
// (.rodata), which mpy_ld.py links; nothing lives in .data/.bss.
#include "py/dynruntime.h"

#include "../crc16_x25.c"
#include "../mod_dlms_crc.c"

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_update, MP_OBJ_FROM_PTR(&dlms_crc_update_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
