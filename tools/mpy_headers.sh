#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch the MicroPython v1.23.0 headers, py/dynruntime.mk and tools/mpy_ld.py that natmods
# need (architecture.md 3.2), from the pinned PyPI sdist mpy-cross-v6-3 (natmod ABI mpy v6.3).
# Result: build/mpy/micropython (MPY_DIR). Idempotent: does nothing when already unpacked.
# Usage: tools/mpy_headers.sh [--fetch]   (run from anywhere; uses <repo>/.venv/bin/pip)
# Only --fetch (`make setup`) uses the network: it downloads the sdist into .venv/mpy-dl,
# which `make clean` keeps; without it the sdist must be there already (offline builds).
set -eu
PIN="mpy-cross-v6-3==1.1.1"
SDIST="mpy_cross_v6_3-1.1.1"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/mpy"
DL="$ROOT/.venv/mpy-dl"
PIP="${PIP:-$ROOT/.venv/bin/pip}"

if [ ! -f "$DL/$SDIST.tar.gz" ] && [ -f "$OUT/dl/$SDIST.tar.gz" ]; then
    mkdir -p "$DL" && cp "$OUT/dl/$SDIST.tar.gz" "$DL/"  # fetched by an older version
fi
if [ "${1:-}" = --fetch ] && [ ! -f "$DL/$SDIST.tar.gz" ]; then
    mkdir -p "$DL"
    "$PIP" download -q --no-deps --no-binary :all: -d "$DL" "$PIN"
fi
if [ -f "$OUT/micropython/py/dynruntime.mk" ] && [ -f "$OUT/micropython/tools/mpy_ld.py" ]; then
    exit 0
fi
if [ ! -f "$DL/$SDIST.tar.gz" ]; then
    echo "mpy_headers: $PIN sdist not in .venv/mpy-dl: run \`make setup\` first (network)" >&2
    exit 1
fi
mkdir -p "$OUT"
rm -rf "$OUT/$SDIST" "$OUT/micropython"
tar -xzf "$DL/$SDIST.tar.gz" -C "$OUT"
# Keep only the tree that dynruntime.mk uses; MPY_DIR=build/mpy/micropython.
mv "$OUT/$SDIST/micropython" "$OUT/micropython"
rm -rf "$OUT/$SDIST"
test -f "$OUT/micropython/py/dynruntime.mk"
echo "mpy headers: $OUT/micropython"
