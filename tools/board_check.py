#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Board images and definitions (issue #12), for `make test-boards` and `make bench`.

    tools/board_check.py image BOARD [--check]
        flash and RAM figures of build/firmware/BOARD (tools/build_firmware.sh): text, data,
        bss from arm-none-eabi-size, the flash budget of the board's linker script, the GC
        heap between _heap_start and _heap_end, the frozen Python and C module sizes;
        --check also asserts the image files (.bin, .hex, .dfu) are there and well-formed,
        the firmware fits its flash, the heap is at least MIN_HEAP and the frozen image
        holds the meter (main.py, board.py, meterapp, hal.machine_board)
    tools/board_check.py freeze BOARD
        run MicroPython's tools/makemanifest.py on boards/BOARD/manifest.py with the port's
        variables and mpy-cross for the board's architecture: every module of the image
        compiles and freezes (no port toolchain needed: the ESP32 check in CI)

Bad arguments: one line naming what is allowed, exit status 2; a failed check: one line per
problem, exit status 1."""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MP = os.path.join(ROOT, "build", "mpsrc", "micropython")
MIN_HEAP = 128 * 1024  # the meter's goal (issue #12): every client, TCP + HDLC, full list

# board -> (port, mpy-cross -march, flash bytes for the firmware, image files)
BOARDS = {
    # boards/stm32h743.ld: FLASH 1536K (sectors 0-7 of bank 1, 0-3 of bank 2), the
    # filesystem in the last 512K
    "NUCLEO_H743ZI": ("stm32", "armv7emdp", 1536 * 1024,
                      ("firmware.bin", "firmware.hex", "firmware.dfu")),
    # partitions.csv: factory app partition 0x1F0000
    "ESP32_DEVKITC": ("esp32", "xtensawin", 0x1F0000, ("firmware.bin",)),
}
FROZEN = ("main.py", "board.py", "meterapp/app.py", "hal/machine_board.py",
          "dlms/server/server.py", "asyncio/core.py")


def usage(msg):
    sys.stderr.write("board_check: %s\n" % msg)
    return 2


def size_tool():
    return shutil.which("arm-none-eabi-size")


def image_figures(board):
    """dict of the built image's figures, or None when it is not built."""
    port, _march, flash, _files = BOARDS[board]
    out = os.path.join(ROOT, "build", "firmware", board)
    elf = os.path.join(out, "firmware.elf")
    size = size_tool()
    if not os.path.exists(elf) or not size:
        return None
    berkeley = subprocess.run([size, elf], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(x) for x in berkeley.splitlines()[1].split()[:3])
    fig = {"text": text, "data": data, "bss": bss, "flash": flash, "dir": out}
    nm = shutil.which("arm-none-eabi-nm")
    if nm:
        sym = {}
        for line in subprocess.run([nm, elf], capture_output=True, text=True).stdout.splitlines():
            f = line.split()
            if len(f) == 3 and f[2] in ("_heap_start", "_heap_end"):
                sym[f[2]] = int(f[0], 16)
        if len(sym) == 2:
            fig["heap"] = sym["_heap_end"] - sym["_heap_start"]
    bdir = os.path.join(MP, "ports", port, "build-" + board)
    parts = {"frozen": ["frozen_content.o"],
             "cmodules": ["dlms_crc", "dlms_gcm", "dlms_ecc"]}
    for k, names in parts.items():
        objs = []
        for n in names:
            p = os.path.join(bdir, n)
            if os.path.isdir(p):
                objs += [os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(".o")]
            elif os.path.exists(p):
                objs.append(p)
        if objs:
            r = subprocess.run([size, "-t"] + objs, capture_output=True, text=True)
            if r.returncode == 0:
                fig[k] = int(r.stdout.strip().splitlines()[-1].split()[0])
    return fig


def image_lines(board):
    fig = image_figures(board)
    if fig is None:
        return ["%s: not built (make firmware BOARD=%s)" % (board, board)]
    used = fig["text"] + fig["data"]
    lines = ["%s: flash %d bytes (text %d + data %d) of %d (%.0f %%)" % (
        board, used, fig["text"], fig["data"], fig["flash"], 100.0 * used / fig["flash"])]
    extra = []
    if "frozen" in fig:
        extra.append("frozen Python %d" % fig["frozen"])
    if "cmodules" in fig:
        extra.append("C modules %d" % fig["cmodules"])
    if extra:
        lines.append("  of which " + ", ".join(extra) + " bytes")
    ram = "  RAM: data + bss %d bytes (every static section, DMA buffers included)" % (
        fig["data"] + fig["bss"])
    if "heap" in fig:
        ram += "; GC heap %d bytes (%.1f KB)" % (fig["heap"], fig["heap"] / 1024.0)
    lines.append(ram)
    return lines


def check_image(board):
    fig = image_figures(board)
    if fig is None:
        return ["%s: build/firmware/%s/firmware.elf or arm-none-eabi-size missing"
                % (board, board)]
    bad = []
    out = fig["dir"]
    for f in BOARDS[board][3]:
        p = os.path.join(out, f)
        if not os.path.exists(p) or os.path.getsize(p) == 0:
            bad.append("%s: %s missing or empty" % (board, f))
            continue
        with open(p, "rb") as fh:
            head = fh.read(8)
        if f.endswith(".hex") and not head.startswith(b":"):
            bad.append("%s: %s is not Intel HEX" % (board, f))
        if f.endswith(".dfu") and not head.startswith(b"DfuSe"):
            bad.append("%s: %s is not a DfuSe file" % (board, f))
        if f.endswith(".bin") and abs(os.path.getsize(p) - fig["text"] - fig["data"]) > 4096:
            bad.append("%s: %s is %d bytes, text + data %d" % (
                board, f, os.path.getsize(p), fig["text"] + fig["data"]))
    if fig["text"] + fig["data"] > fig["flash"]:
        bad.append("%s: %d bytes do not fit the %d of flash" % (
            board, fig["text"] + fig["data"], fig["flash"]))
    if fig.get("heap", 0) < MIN_HEAP:
        bad.append("%s: GC heap %s bytes, below %d" % (board, fig.get("heap"), MIN_HEAP))
    with open(os.path.join(out, "firmware.bin"), "rb") as fh:
        blob = fh.read()
    for name in FROZEN:
        if name.encode() not in blob:
            bad.append("%s: %s is not frozen in firmware.bin" % (board, name))
    return bad


def freeze(board):
    port, march, _flash, _files = BOARDS[board]
    mpy_cross = os.path.join(MP, "mpy-cross", "build", "mpy-cross")
    if not os.path.exists(os.path.join(MP, "tools", "makemanifest.py")):
        return ["%s: build/mpsrc not unpacked (make firmware BOARD=unix32 unpacks it)" % board]
    if not os.path.exists(mpy_cross):
        r = subprocess.run(["make", "-s", "-C", os.path.join(MP, "mpy-cross"), "-j2"],
                           capture_output=True, text=True)
        if r.returncode:
            return ["%s: mpy-cross did not build: %s" % (board, r.stderr.strip()[-200:])]
    bdir = os.path.join(ROOT, "build", "freeze-" + board)
    os.makedirs(os.path.join(bdir, "genhdr"), exist_ok=True)
    # makemanifest hands the port's qstr header to mpy-tool; outside a port build the
    # static qstrs of mpy-tool itself stand in (only the generated C differs)
    with open(os.path.join(bdir, "genhdr", "qstrdefs.preprocessed.h"), "w") as f:
        f.write("QCFG(BYTES_IN_LEN, (1))\nQCFG(BYTES_IN_HASH, (1))\n")
    out = os.path.join(bdir, "frozen_content.c")
    if os.path.exists(out):
        os.remove(out)
    r = subprocess.run(
        [sys.executable, os.path.join(MP, "tools", "makemanifest.py"), "-o", out, "-b", bdir,
         "-f-march=" + march, "-v", "MPY_DIR=" + MP,
         "-v", "PORT_DIR=" + os.path.join(MP, "ports", port),
         "-v", "BOARD_DIR=" + os.path.join(ROOT, "boards", board),
         os.path.join(ROOT, "boards", board, "manifest.py")],
        capture_output=True, text=True, env=dict(os.environ, MICROPY_MPYCROSS=mpy_cross))
    if r.returncode or not os.path.exists(out):
        return ["%s: makemanifest failed: %s" % (board, (r.stdout + r.stderr).strip()[-400:])]
    with open(out) as f:
        c = f.read()
    i = c.find("mp_frozen_names[]")
    block = c[i:c.find("};", i)] if i >= 0 else ""
    names = re.findall(r'^\s*"([^"]*)\\0"$', block, re.M)
    bad = ["%s: %s not frozen" % (board, n) for n in FROZEN if n not in names]
    if not bad:
        print("freeze %s: %d modules frozen for %s (-march=%s), %d bytes of C" % (
            board, len(names), port, march, len(c)))
    return bad


def main(argv):
    if len(argv) < 2 or argv[0] not in ("image", "freeze"):
        return usage("usage: board_check.py image BOARD [--check] | freeze BOARD")
    what, board, opts = argv[0], argv[1], argv[2:]
    if board not in BOARDS:
        return usage("BOARD=%s: one of %s" % (board, ", ".join(sorted(BOARDS))))
    if opts not in ([], ["--check"]) or (what == "freeze" and opts):
        return usage("%s: unknown option %s (image takes --check)" % (what, " ".join(opts)))
    if what == "freeze":
        bad = freeze(board)
    else:
        for line in image_lines(board):
            print(line)
        bad = check_image(board) if opts else []
    for b in bad:
        print("board_check: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
