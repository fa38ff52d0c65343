# SPDX-License-Identifier: MIT
"""Host-only (MicroPython unix port) loader: mount the firmware's ROMFS image the way a board
mounts its ROMFS partition, so that imports execute bytecode in place instead of copying it
into the GC heap.

The image (build/fw.romfs, tools/build_romfs.py) is mapped read-only by the `_hostmap` natmod
(tools/romfs_host/natmod.c): that memory is outside the GC heap, like a board's flash. A
vfs.VfsRom over it is mounted and put first on sys.path. MicroPython (>= 1.25) then loads each
.mpy through a memory reader flagged as ROM and references the bytecode, qstr text and
str/bytes constants where they lie; only the per-function descriptors, the qstr/constant
tables and the objects the modules create go to the heap.

Not part of the firmware: never imported on a board, and kept out of the image."""
import sys

MOUNT_POINT = "/rom"


def mount(image, point=MOUNT_POINT):
    """Mount `image` at `point` and put it first on sys.path; returns its size in bytes.
    Raises ImportError (no _hostmap natmod on this host or no VfsRom in this binary) or
    OSError (no image, not a ROMFS image)."""
    import vfs

    if not hasattr(vfs, "VfsRom"):
        raise ImportError("this MicroPython has no vfs.VfsRom")
    import _hostmap

    mem = _hostmap.map(image)
    vfs.mount(vfs.VfsRom(mem), point)  # the VfsRom keeps the mapping referenced
    if point in sys.path:
        sys.path.remove(point)
    sys.path.insert(0, point)
    del sys.modules["_hostmap"]
    return len(mem)


def mount_or_fallback(image, fallback, quiet=False):
    """Mount `image`; if that is not possible, put the plain .mpy folder `fallback` first on
    sys.path instead (bytecode then copied into the heap). Returns True when ROMFS is used."""
    try:
        size = mount(image)
    except (ImportError, OSError) as e:
        if fallback not in sys.path:
            sys.path.insert(0, fallback)
        print("romfs: not used (%r); firmware loaded from %s" % (e, fallback))
        return False
    if not quiet:
        print("romfs: %s mounted at %s, %d bytes outside the GC heap" % (image, MOUNT_POINT,
                                                                          size))
    return True
