#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch the MicroPython v1.23.0 headers, py/dynruntime.mk and tools/mpy_ld.py that natmods
# need (architecture.md 3.2), from the pinned PyPI sdist mpy-cross-v6-3 (natmod ABI mpy v6.3).
# Result: build/mpy/micropython (MPY_DIR). Idempotent: does nothing when already unpacked.
# Usage: tools/mpy_headers.sh            (run from anywhere; uses <repo>/.venv/bin/pip)
set -eu
PIN="mpy-cross-v6-3==1.1.1"
SDIST="mpy_cross_v6_3-1.1.1"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/mpy"
PIP="${PIP:-$ROOT/.venv/bin/pip}"

if [ -f "$OUT/micropython/py/dynruntime.mk" ] && [ -f "$OUT/micropython/tools/mpy_ld.py" ]; then
    exit 0
fi
mkdir -p "$OUT/dl"
if [ ! -f "$OUT/dl/$SDIST.tar.gz" ]; then
    "$PIP" download -q --no-deps --no-binary :all: -d "$OUT/dl" "$PIN"
fi
rm -rf "$OUT/$SDIST" "$OUT/micropython"
tar -xzf "$OUT/dl/$SDIST.tar.gz" -C "$OUT"
# Keep only the tree that dynruntime.mk uses; MPY_DIR=build/mpy/micropython.
mv "$OUT/$SDIST/micropython" "$OUT/micropython"
rm -rf "$OUT/$SDIST"
test -f "$OUT/micropython/py/dynruntime.mk"
echo "mpy headers: $OUT/micropython"
