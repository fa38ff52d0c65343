#!/bin/sh
# SPDX-License-Identifier: MIT
# Firmware images from the vendored MicroPython source (issue #12): mpy-cross, then the port
# with the firmware frozen (firmware/manifest.py or boards/<name>/manifest.py) and the C cores
# linked as USER_C_MODULES. Source unpacked once under build/mpsrc (never in the repository).
# Usage: tools/build_firmware.sh BOARD    (BOARD: unix32, qemu_mps2_an386, NUCLEO_H743ZI,
# ESP32_DEVKITC: needs ESP-IDF)
# Result: build/firmware/<BOARD>/ (unix32: the executable `micropython`; qemu_mps2_an386:
# firmware.elf for qemu-system-arm -machine mps2-an386, heap QEMU_HEAP bytes or NNNk).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOARDS="unix32 qemu_mps2_an386 NUCLEO_H743ZI ESP32_DEVKITC"
BOARD="${1:-}"
case " $BOARDS " in
    *" $BOARD "*) ;;
    *) echo "build_firmware: BOARD=$BOARD: one of $BOARDS" >&2; exit 2 ;;
esac
if [ "$BOARD" = ESP32_DEVKITC ] && ! command -v idf.py >/dev/null 2>&1; then
    echo "build_firmware: ESP32_DEVKITC needs ESP-IDF v5.3-v5.5 (. \$IDF_PATH/export.sh first; build commands: README, Boards)" >&2
    exit 1
fi
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

port_make() {  # make in a port folder, its output in build/firmware-BOARD.log
    make "$@" >"$ROOT/build/firmware-$BOARD.log" 2>&1 || {
        tail -n 20 "$ROOT/build/firmware-$BOARD.log" >&2
        echo "build_firmware: $BOARD failed (build/firmware-$BOARD.log)" >&2
        exit 1
    }
}

case "$BOARD" in
unix32)
    need_cc "echo 'int main(void){return 0;}' | gcc -m32 -x c - -o /dev/null" gcc-multilib
    # FFI, SSL and btree need 32-bit libraries the meter does not use
    port_make -s -C "$MP/ports/unix" -j"$JOBS" BUILD=build-unix32 PROG=micropython-unix32 \
        CC="gcc -m32" LD="gcc -m32" MICROPY_PY_FFI=0 MICROPY_PY_SSL=0 MICROPY_PY_BTREE=0 \
        FROZEN_MANIFEST="$ROOT/firmware/manifest.py" USER_C_MODULES="$ROOT/firmware/cmodules"
    mkdir -p "$OUT"
    cp "$MP/ports/unix/build-unix32/micropython-unix32" "$OUT/micropython"
    echo "firmware: $OUT/micropython ($(size "$OUT/micropython" | awk 'NR==2 {print $1}') bytes text)"
    ;;
qemu_mps2_an386)
    # Cortex-M4 under qemu: the port's qemu build with this repository's board definition
    # (boards/qemu_mps2_an386: mpconfigboard.mk, manifest.py, board.py, cmod/ for _mps2)
    need_cc "command -v arm-none-eabi-gcc" "gcc-arm-none-eabi libnewlib-arm-none-eabi"
    BDIR="$ROOT/boards/$BOARD"
    HEAP="${QEMU_HEAP:-128k}"
    case "$HEAP" in
        *[kK]) HEAP=$(( ${HEAP%[kK]} * 1024 )) ;;
    esac
    case "$HEAP" in
        ''|*[!0-9]*) echo "build_firmware: QEMU_HEAP=$QEMU_HEAP: bytes or NNNk" >&2; exit 2 ;;
    esac
    QB="build-$BOARD"
    # make does not track flags: a changed board definition (mpconfigboard.mk, the header
    # it includes) rebuilds everything, a changed heap (a -D of main.c only) main.c
    if [ -n "$(find "$BDIR/mpconfigboard.mk" "$BDIR/cmod" -name '*.mk' -newer \
            "$MP/ports/qemu/$QB/firmware.elf" -o -name '*.h' -newer \
            "$MP/ports/qemu/$QB/firmware.elf" 2>/dev/null)" ]; then
        rm -rf "$MP/ports/qemu/$QB"
    fi
    if [ "$(cat "$MP/ports/qemu/$QB/.heap" 2>/dev/null)" != "$HEAP" ]; then
        rm -f "$MP/ports/qemu/$QB/main.o"
    fi
    port_make -s -C "$MP/ports/qemu" -j"$JOBS" BOARD="$BOARD" BOARD_DIR="$BDIR" BUILD="$QB" \
        MICROPY_HEAP_SIZE="$HEAP" FROZEN_MANIFEST="$BDIR/manifest.py" \
        USER_C_MODULES="$ROOT/firmware/cmodules $BDIR/cmod"
    echo "$HEAP" >"$MP/ports/qemu/$QB/.heap"
    mkdir -p "$OUT"
    cp "$MP/ports/qemu/$QB/firmware.elf" "$OUT/firmware.elf"
    echo "$HEAP" >"$OUT/heap"
    echo "firmware: $OUT/firmware.elf ($(arm-none-eabi-size "$OUT/firmware.elf" | awk 'NR==2 {print $1}') bytes text, heap $HEAP bytes)"
    ;;
NUCLEO_H743ZI)
    # the stm32 port's NUCLEO_H743ZI definition (clocks, Ethernet/lwip, flash layout) with
    # this repository's manifest (boards/NUCLEO_H743ZI: firmware + pin map); no mbedtls
    need_cc "command -v arm-none-eabi-gcc" "gcc-arm-none-eabi libnewlib-arm-none-eabi"
    SB="build-$BOARD"
    port_make -s -C "$MP/ports/stm32" -j"$JOBS" BOARD="$BOARD" BUILD="$SB" \
        FROZEN_MANIFEST="$ROOT/boards/$BOARD/manifest.py" USER_C_MODULES="$ROOT/firmware/cmodules" \
        MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0
    mkdir -p "$OUT"
    for f in firmware.elf firmware.bin firmware.hex firmware.dfu; do
        cp "$MP/ports/stm32/$SB/$f" "$OUT/$f"
    done
    echo "firmware: $OUT/firmware.{bin,hex,dfu} ($(arm-none-eabi-size "$OUT/firmware.elf" | awk 'NR==2 {print $1}') bytes text)"
    ;;
ESP32_DEVKITC)
    # ESP-IDF found (checked above). The vendored cut lacks submodules the esp32 port
    # compiles (lib/mbedtls_errors, ...): MICROPY_ESP32_SRC names a full MicroPython checkout
    # at the vendored commit with `make -C ports/esp32 submodules` done (README "Boards")
    EMP="${MICROPY_ESP32_SRC:-$MP}"
    BDIR="$ROOT/boards/$BOARD"
    port_make -C "$EMP/ports/esp32" BOARD_DIR="$BDIR" \
        USER_C_MODULES="$ROOT/firmware/cmodules/micropython.cmake"
    mkdir -p "$OUT"
    cp "$EMP/ports/esp32/build-$BOARD/firmware.bin" "$OUT/firmware.bin"
    echo "firmware: $OUT/firmware.bin (esptool.py --chip esp32 write_flash 0x1000 firmware.bin)"
    ;;
esac
