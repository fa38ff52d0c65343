// SPDX-License-Identifier: MIT
// Board services of the qemu MPS2 AN386 meter (boards/qemu_mps2_an386): module `_mps2`.
//
// qemu's MPS2 machines have no battery-backed RTC and no flash controller. The board runs
// with `-semihosting` (the MicroPython qemu port exits through it), and ARM semihosting
// (Arm "Semihosting for AArch32 and AArch64", SYS_* operations, BKPT 0xAB on M-profile)
// gives the two things a meter needs from such parts:
//
//   rtc() -> int
//       SYS_TIME: the host's clock in seconds since 1970-01-01 UTC (the board's RTC; it
//       never loses its power reserve).
//   Flash(path, block_count, block_size=4096)
//       A block device over the host file `path` (relative to qemu's working directory),
//       created when missing: the board's flash chip, kept across qemu runs. Extended
//       block-device protocol (MicroPython `vfs` docs): readblocks(n, buf, off=0),
//       writeblocks(n, buf, off=0), ioctl(op, arg); for VfsLfs2 (erase is a no-op:
//       LittleFS does not depend on erased bytes reading 0xFF). Bytes past the end of the
//       file read as 0xFF (an erased NOR chip). A write reaches the host file before
//       writeblocks returns (qemu writes through to the file descriptor): killing qemu is
//       a power cut after the last completed write. OSError(EIO) when the host refuses.
//   mp_hal_time_ns()
//       for LittleFS file times (extmod/vfs_lfs.c needs it; the qemu port has none).
//   mps2_get_random(n, buf)
//       os.urandom (mps2_random.h): the host's /dev/urandom, the board's TRNG; OSError(EIO)
//       when the host has none.
//
// None of these allocate once the Flash object exists.
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "extmod/vfs.h"
#include "shared/timeutils/timeutils.h"

#define SYS_OPEN (0x01)
#define SYS_CLOSE (0x02)
#define SYS_WRITE (0x05)
#define SYS_READ (0x06)
#define SYS_SEEK (0x0A)
#define SYS_TIME (0x11)
#define OPEN_RB_PLUS (3)  // "r+b"
#define OPEN_WB_PLUS (7)  // "w+b"

static mp_int_t semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__ ("r0") = op;
    register const void *r1 __asm__ ("r1") = arg;
    __asm__ volatile ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
    return (mp_int_t)r0;
}

static mp_obj_t mps2_rtc(void) {
    return mp_obj_new_int(semihost(SYS_TIME, NULL));
}
static MP_DEFINE_CONST_FUN_OBJ_0(mps2_rtc_obj, mps2_rtc);

uint64_t mp_hal_time_ns(void) {
    int64_t ns = (int64_t)(uint32_t)semihost(SYS_TIME, NULL) * 1000000000LL;
    // port epoch (1970 or 2000) from 1970: the inverse of what vfs_lfs applies
    return (uint64_t)(ns - timeutils_nanoseconds_since_epoch_to_nanoseconds_since_1970(0));
}

void mps2_get_random(size_t n, uint8_t *buf) {
    static mp_int_t handle = -1;
    if (handle == -1) {
        static const char dev[] = "/dev/urandom";
        uint32_t a[3] = {(uint32_t)dev, 1 /* "rb" */, sizeof(dev) - 1};
        handle = semihost(SYS_OPEN, a);
    }
    uint32_t a[3] = {(uint32_t)handle, (uint32_t)buf, (uint32_t)n};
    if (handle == -1 || semihost(SYS_READ, a) != 0) {
        mp_raise_OSError(MP_EIO);
    }
}

typedef struct _mps2_flash_obj_t {
    mp_obj_base_t base;
    mp_int_t handle;
    uint32_t block_count;
    uint32_t block_size;
} mps2_flash_obj_t;

static mp_int_t host_open(const char *path, size_t len, uint32_t mode) {
    uint32_t a[3] = {(uint32_t)path, mode, (uint32_t)len};
    return semihost(SYS_OPEN, a);
}

static mp_obj_t mps2_flash_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 2, 3, false);
    size_t len;
    const char *path = mp_obj_str_get_data(args[0], &len);
    mp_int_t count = mp_obj_get_int(args[1]);
    mp_int_t size = n_args > 2 ? mp_obj_get_int(args[2]) : 4096;
    if (count <= 0 || size < 128 || (size & (size - 1))) {
        mp_raise_ValueError(MP_ERROR_TEXT("block count/size"));
    }
    mp_int_t h = host_open(path, len, OPEN_RB_PLUS);
    if (h == -1) {
        h = host_open(path, len, OPEN_WB_PLUS);  // a new, blank chip
    }
    if (h == -1) {
        mp_raise_OSError(MP_EIO);
    }
    mps2_flash_obj_t *self = mp_obj_malloc(mps2_flash_obj_t, type);
    self->handle = h;
    self->block_count = (uint32_t)count;
    self->block_size = (uint32_t)size;
    return MP_OBJ_FROM_PTR(self);
}

// the byte range [block * size + off, + len) of the chip, checked against its end
static uint32_t flash_pos(mps2_flash_obj_t *self, size_t n_args, const mp_obj_t *args,
    mp_buffer_info_t *bi, mp_uint_t flags) {
    mp_get_buffer_raise(args[2], bi, flags);
    mp_uint_t block = mp_obj_get_int(args[1]);
    mp_uint_t off = n_args > 3 ? mp_obj_get_int(args[3]) : 0;
    uint64_t end = (uint64_t)block * self->block_size + off + bi->len;
    if (end > (uint64_t)self->block_count * self->block_size) {
        mp_raise_OSError(MP_EIO);
    }
    uint32_t pos = block * self->block_size + off;
    uint32_t a[2] = {(uint32_t)self->handle, pos};
    if (semihost(SYS_SEEK, a) != 0) {
        mp_raise_OSError(MP_EIO);
    }
    return pos;
}

static mp_obj_t mps2_flash_readblocks(size_t n_args, const mp_obj_t *args) {
    mps2_flash_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t bi;
    flash_pos(self, n_args, args, &bi, MP_BUFFER_WRITE);
    uint32_t a[3] = {(uint32_t)self->handle, (uint32_t)bi.buf, (uint32_t)bi.len};
    mp_int_t missing = semihost(SYS_READ, a);  // bytes not read: past the end of the file
    if (missing < 0 || (size_t)missing > bi.len) {
        mp_raise_OSError(MP_EIO);
    }
    memset((uint8_t *)bi.buf + bi.len - missing, 0xff, missing);
    return MP_OBJ_NEW_SMALL_INT(0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mps2_flash_readblocks_obj, 3, 4, mps2_flash_readblocks);

static mp_obj_t mps2_flash_writeblocks(size_t n_args, const mp_obj_t *args) {
    mps2_flash_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t bi;
    flash_pos(self, n_args, args, &bi, MP_BUFFER_READ);
    uint32_t a[3] = {(uint32_t)self->handle, (uint32_t)bi.buf, (uint32_t)bi.len};
    if (semihost(SYS_WRITE, a) != 0) {  // bytes not written
        mp_raise_OSError(MP_EIO);
    }
    return MP_OBJ_NEW_SMALL_INT(0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mps2_flash_writeblocks_obj, 3, 4,
    mps2_flash_writeblocks);

static mp_obj_t mps2_flash_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    mps2_flash_obj_t *self = MP_OBJ_TO_PTR(self_in);
    (void)arg_in;
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
            return MP_OBJ_NEW_SMALL_INT(self->block_count);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(self->block_size);
        case MP_BLOCKDEV_IOCTL_INIT:
        case MP_BLOCKDEV_IOCTL_DEINIT:
        case MP_BLOCKDEV_IOCTL_SYNC:
        case MP_BLOCKDEV_IOCTL_BLOCK_ERASE:
            return MP_OBJ_NEW_SMALL_INT(0);
        default:
            return mp_const_none;
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(mps2_flash_ioctl_obj, mps2_flash_ioctl);

static const mp_rom_map_elem_t mps2_flash_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&mps2_flash_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&mps2_flash_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&mps2_flash_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(mps2_flash_locals_dict, mps2_flash_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mps2_flash_type,
    MP_QSTR_Flash,
    MP_TYPE_FLAG_NONE,
    make_new, mps2_flash_make_new,
    locals_dict, &mps2_flash_locals_dict
    );

static const mp_rom_map_elem_t mps2_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__mps2) },
    { MP_ROM_QSTR(MP_QSTR_rtc), MP_ROM_PTR(&mps2_rtc_obj) },
    { MP_ROM_QSTR(MP_QSTR_Flash), MP_ROM_PTR(&mps2_flash_type) },
};
static MP_DEFINE_CONST_DICT(mps2_module_globals, mps2_module_globals_table);

const mp_obj_module_t mps2_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mps2_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__mps2, mps2_user_cmodule);
