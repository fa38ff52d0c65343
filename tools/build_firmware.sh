#!/bin/sh
# SPDX-License-Identifier: MIT
# Firmware images from the vendored MicroPython source (issue #12): mpy-cross, then the port
# with the firmware frozen (firmware/manifest.py or boards/<name>/manifest.py) and the C cores
# linked as USER_C_MODULES. Source unpacked once under build/mpsrc (never in the repository).
# Usage: tools/build_firmware.sh BOARD    (BOARD: unix32)
# Result: build/firmware/<BOARD>/ (unix32: the executable `micropython`).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOARDS="unix32"
BOARD="${1:-}"
case " $BOARDS " in
    *" $BOARD "*) ;;
    *) echo "build_firmware: BOARD=$BOARD: one of $BOARDS" >&2; exit 2 ;;
esac
TAR=$(ls "$ROOT"/../shared/vendor/micropython-src-*.tar.gz 2>/dev/null | head -n 1 || true)
SRC="$ROOT/build/mpsrc"
MP="$SRC/micropython"
OUT="$ROOT/build/firmware/$BOARD"
JOBS="${JOBS:-2}"

if [ ! -f "$MP/py/mpconfig.h" ]; then
    if [ -z "$TAR" ]; then
        echo "build_firmware: ../shared/vendor/micropython-src-*.tar.gz not found" >&2
        exit 1
    fi
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar -xzf "$TAR" -C "$SRC"
fi
make -s -C "$MP/mpy-cross" -j"$JOBS" >/dev/null

need_cc() {  # the compiler a port needs, with the Debian package that brings it
    if ! sh -c "$1" >/dev/null 2>&1; then
        echo "build_firmware: $BOARD needs $2 (make setup installs it as root: apt-get install $2)" >&2
        exit 1
    fi
}

case "$BOARD" in
unix32)
    need_cc "echo 'int main(void){return 0;}' | gcc -m32 -x c - -o /dev/null" gcc-multilib
    # FFI, SSL and btree need 32-bit libraries the meter does not use
    make -s -C "$MP/ports/unix" -j"$JOBS" BUILD=build-unix32 PROG=micropython-unix32 \
        CC="gcc -m32" LD="gcc -m32" MICROPY_PY_FFI=0 MICROPY_PY_SSL=0 MICROPY_PY_BTREE=0 \
        FROZEN_MANIFEST="$ROOT/firmware/manifest.py" USER_C_MODULES="$ROOT/firmware/cmodules" \
        >"$ROOT/build/firmware-$BOARD.log" 2>&1 || {
        tail -n 20 "$ROOT/build/firmware-$BOARD.log" >&2
        echo "build_firmware: $BOARD failed (build/firmware-$BOARD.log)" >&2
        exit 1
    }
    mkdir -p "$OUT"
    cp "$MP/ports/unix/build-unix32/micropython-unix32" "$OUT/micropython"
    echo "firmware: $OUT/micropython ($(size "$OUT/micropython" | awk 'NR==2 {print $1}') bytes text)"
    ;;
esac
