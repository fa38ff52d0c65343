// SPDX-License-Identifier: MIT
// `_hostmap`: host-only (unix port, x64 Linux) dynamic native module that maps a file read-only
// into the process, OUTSIDE the MicroPython GC heap, and returns a bytearray that refers to it.
// tools/romfs_host/romfs_host.py mounts the firmware's ROMFS image from such a mapping with
// vfs.VfsRom, so imports run the bytecode in place, as a board does from flash.
// A natmod has no libc: the four system calls are issued directly.
#include "py/dynruntime.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "_hostmap: x86-64 Linux only"
#endif

#define SYS_CLOSE (3)
#define SYS_MMAP (9)
#define SYS_LSEEK (8)
#define SYS_OPEN (2)
#define HOST_O_RDONLY (0)
#define HOST_O_CLOEXEC (02000000)
#define HOST_PROT_READ (1)
#define HOST_MAP_PRIVATE (2)
#define HOST_SEEK_END (2)
#define HOST_PATH_MAX (1024)

static long host_syscall(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__ ("r10") = d;
    register long r8 __asm__ ("r8") = e;
    register long r9 __asm__ ("r9") = f;
    __asm__ volatile ("syscall"
        : "=a" (ret)
        : "a" (n), "D" (a), "S" (b), "d" (c), "r" (r10), "r" (r8), "r" (r9)
        : "rcx", "r11", "memory");
    return ret;
}

// map(path) -> bytearray over a read-only private mapping of the whole file (never unmapped:
// the VfsRom that mounts it lives as long as the process). Writing into it faults, like flash.
static mp_obj_t hostmap_map(mp_obj_t path_in) {
    size_t len;
    const char *p = mp_obj_str_get_data(path_in, &len);
    char path[HOST_PATH_MAX];
    if (len == 0 || len >= sizeof(path)) {
        mp_raise_OSError(MP_EINVAL);
    }
    for (size_t i = 0; i < len; ++i) {
        path[i] = p[i];
    }
    path[len] = 0;
    long fd = host_syscall(SYS_OPEN, (long)path, HOST_O_RDONLY | HOST_O_CLOEXEC, 0, 0, 0, 0);
    if (fd < 0) {
        mp_raise_OSError((int)-fd);
    }
    long size = host_syscall(SYS_LSEEK, fd, 0, HOST_SEEK_END, 0, 0, 0);
    long addr = -MP_EINVAL;
    if (size > 0) {
        addr = host_syscall(SYS_MMAP, 0, size, HOST_PROT_READ, HOST_MAP_PRIVATE, fd, 0);
    } else if (size < 0) {
        addr = size;
    }
    host_syscall(SYS_CLOSE, fd, 0, 0, 0, 0, 0);  // the mapping keeps the file's pages
    if (addr < 0 && addr > -4096) {
        mp_raise_OSError((int)-addr);
    }
    return mp_obj_new_bytearray_by_ref(size, (void *)addr);
}
static MP_DEFINE_CONST_FUN_OBJ_1(hostmap_map_obj, hostmap_map);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_map, MP_OBJ_FROM_PTR(&hostmap_map_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
