// SPDX-License-Identifier: MIT
// MicroPython binding for the CRC-16/X.25 core: module `_dlms_crc`.
//
//   update(crc, buf, start, end) -> int
//       Run the CRC register (no final XOR) over buf[start:end] of any readable buffer.
//       Same API as the fallback in dlms/util/crc16.py. Requires 0 <= start and
//       end <= len(buf) (else ValueError); start >= end returns crc & 0xFFFF unchanged.
//       Does not allocate (the result is a small int).
//
// Builds as a firmware user C module, or is #included by natmod/natmod.c
// (MICROPY_ENABLE_DYNRUNTIME), as MicroPython's extmod/modframebuf.c does.
#if !MICROPY_ENABLE_DYNRUNTIME
#include "py/runtime.h"
#endif
#include "crc16_x25.h"

static mp_obj_t dlms_crc_update(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_int_t crc = mp_obj_get_int(args[0]);
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(args[1], &bufinfo, MP_BUFFER_READ);
    mp_int_t start = mp_obj_get_int(args[2]);
    mp_int_t end = mp_obj_get_int(args[3]);
    if (start < 0 || end > (mp_int_t)bufinfo.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("range"));
    }
    crc &= 0xffff;
    if (end > start) {
        crc = dlms_crc_x25_update((uint16_t)crc, (const uint8_t *)bufinfo.buf + start,
            (size_t)(end - start));
    }
    return MP_OBJ_NEW_SMALL_INT(crc);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(dlms_crc_update_obj, 4, 4, dlms_crc_update);

#if !MICROPY_ENABLE_DYNRUNTIME
static const mp_rom_map_elem_t dlms_crc_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__dlms_crc) },
    { MP_ROM_QSTR(MP_QSTR_update), MP_ROM_PTR(&dlms_crc_update_obj) },
};
static MP_DEFINE_CONST_DICT(dlms_crc_module_globals, dlms_crc_module_globals_table);

const mp_obj_module_t dlms_crc_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&dlms_crc_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__dlms_crc, dlms_crc_user_cmodule);
#endif
