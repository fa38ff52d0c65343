#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Copy the meter's run-time files to a board that runs the firmware image (`make deploy`).

    tools/deploy.py BOARD PORT [--pki DIR] [--config FILE] [--format] [--no-rtc] [--dry-run]

The firmware itself is frozen in the image (flash it first: README "Boards"); this copies
what a board keeps on its flash filesystem, through mpremote (from .venv):
  --pki DIR      the factory PKI: DIR/*.der and DIR/meter.key -> <fs>/pki (default run/pki,
                 made by tools/provision.py when missing; '' copies none). The CA and client
                 private keys of DIR never leave the host.
  --config FILE  a meter.json (serial, meter_type, tcp_port, ip, wifi, metering, s0_imp_kwh,
                 uart2; hal/machine_board.py) -> <fs>/meter.json, checked here first
  --format       NUCLEO_H743ZI: reformat /flash as LittleFS v2 first (the port formats FAT;
                 the power-fail-safe store wants LittleFS); erases every file there
  --no-rtc       leave the RTC alone (default: set to the host's UTC time)
  --dry-run      print the mpremote command instead of running it
The meter is stopped with a keyboard interrupt (its watchdog then stays fed), the files are
copied without a soft reset (mpremote `resume`), and the board is reset to start the meter.

Bad arguments: one line naming the option and what it allows, exit status 2."""
import json
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = ("ESP32_DEVKITC", "NUCLEO_H743ZI")  # boards with a flash filesystem
IMAGE_ONLY = ("unix32", "qemu_mps2_an386")


def fail(msg):
    sys.stderr.write("deploy: %s\n" % msg)
    sys.exit(2)


def _firmware_path():
    """The firmware's board layer imports under CPython (with the `micropython` stand-in)."""
    for p in (os.path.join(ROOT, "host_tests", "cpython"), os.path.join(ROOT, "firmware")):
        if p not in sys.path:
            sys.path.insert(0, p)


def board_map(board):
    """PINS of boards/<board>/board.py (imported as the firmware freezes it)."""
    _firmware_path()
    sys.path.insert(0, os.path.join(ROOT, "boards", board))
    import board as b

    return b.PINS


def config_keys():
    _firmware_path()
    from hal.machine_board import CONFIG_KEYS

    return CONFIG_KEYS


def venv_tool(name):
    for d in (os.path.join(ROOT, ".venv", "bin"), os.path.dirname(sys.executable)):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return name


def parse(argv):
    a = {"pki": os.path.join(ROOT, "run", "pki"), "config": None, "format": False,
         "rtc": True, "dry": False}
    pos = []
    i = 0
    while i < len(argv):
        k = argv[i]
        if k in ("--pki", "--config"):
            if i + 1 >= len(argv):
                fail("%s: needs a value (%s)" % (k, "a folder, '' for none" if k == "--pki"
                                                 else "a meter.json file"))
            a[k[2:]] = argv[i + 1]
            i += 2
            continue
        if k == "--format":
            a["format"] = True
        elif k == "--no-rtc":
            a["rtc"] = False
        elif k == "--dry-run":
            a["dry"] = True
        elif k.startswith("-"):
            fail("%s: unknown option (--pki DIR, --config FILE, --format, --no-rtc, --dry-run)"
                 % k)
        else:
            pos.append(k)
        i += 1
    if len(pos) != 2:
        fail("usage: deploy.py BOARD PORT [--pki DIR] [--config FILE] [--format] [--no-rtc]")
    board, port = pos
    if board in IMAGE_ONLY:
        fail("BOARD=%s: runs from the build tree, nothing to deploy; BOARD is one of %s"
             % (board, ", ".join(BOARDS)))
    if board not in BOARDS:
        fail("BOARD=%s: one of %s (boards that take files)" % (board, ", ".join(BOARDS)))
    if not port:
        fail("PORT: the board's serial device, e.g. /dev/ttyACM0 (NUCLEO ST-LINK) or "
             "/dev/ttyUSB0 (DevKitC USB bridge)")
    if port.startswith("/dev/") and not os.path.exists(port) and not a["dry"]:
        fail("PORT=%s: no such device" % port)
    if a["format"] and board != "NUCLEO_H743ZI":
        fail("--format: NUCLEO_H743ZI only (%s's filesystem is LittleFS already)" % board)
    return board, port, a


def pki_files(d):
    if not d:
        return []
    if not os.path.isdir(d):
        if d != os.path.join(ROOT, "run", "pki"):
            fail("--pki %s: not a folder (tools/provision.py DIR makes one)" % d)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "provision.py"), d],
                           capture_output=True, text=True)
        if r.returncode:
            fail("--pki %s: %s" % (d, (r.stderr.strip() or r.stdout.strip()).splitlines()[-1]))
    files = sorted(f for f in os.listdir(d) if f.endswith(".der") or f == "meter.key")
    if "meter.key" not in files or "meter.der" not in files:
        fail("--pki %s: no meter.der and meter.key (tools/provision.py DIR makes them)" % d)
    return [os.path.join(d, f) for f in files]


def check_config(path):
    if path is None:
        return None
    try:
        with open(path) as f:
            cfg = json.load(f)
    except OSError as e:
        fail("--config %s: %s" % (path, e.strerror))
    except ValueError as e:
        fail("--config %s: not JSON (%s)" % (path, e))
    if not isinstance(cfg, dict):
        fail("--config %s: a JSON object expected" % path)
    keys = config_keys()
    for k in cfg:
        if k not in keys:
            fail("--config %s: %r is not one of %s" % (path, k, ", ".join(keys)))
    return path


def commands(board, port, a, pki, config):
    fs = board_map(board).get("fs", "")
    root = fs or "/"
    cmd = [venv_tool("mpremote"), "connect", port, "resume"]
    pre = ["import os", "try:\n import vfs\nexcept ImportError:\n vfs = os"]
    if a["format"]:  # MicroPython stm32 docs: LittleFS on the internal flash
        pre += ["import pyb", "vfs.umount('/flash')", "vfs.VfsLfs2.mkfs(pyb.Flash(start=0))",
                "vfs.mount(pyb.Flash(start=0), '/flash')", "os.chdir('/flash')"]
    if pki:
        pre += ["try:\n os.mkdir('%s/pki')\nexcept OSError:\n pass" % fs]
    if a["rtc"]:
        t = time.gmtime()
        pre += ["import machine", "machine.RTC().datetime((%d, %d, %d, %d, %d, %d, %d, 0))" % (
            t.tm_year, t.tm_mon, t.tm_mday, t.tm_wday + 1, t.tm_hour, t.tm_min, t.tm_sec),
                # the meter drops the clock offset of clients' settings (hal/machine_board.py)
                "open('%s/rtc-set', 'w').close()" % fs]
    cmd += ["exec", "\n".join(pre)]
    if pki:
        cmd += ["+", "fs", "cp"] + pki + [":%s/pki/" % fs]
    if config:
        cmd += ["+", "fs", "cp", config, ":%s/meter.json" % fs]
    cmd += ["+", "fs", "ls", ":" + root, "+", "reset"]
    return cmd


def main(argv):
    board, port, a = parse(argv)
    config = check_config(a["config"])
    pki = pki_files(a["pki"])
    cmd = commands(board, port, a, pki, config)
    if a["dry"]:
        print(" ".join(shlex.quote(c) for c in cmd))
        return 0
    r = subprocess.run(cmd)
    if r.returncode:
        sys.stderr.write("deploy: mpremote failed (exit %d)\n" % r.returncode)
        return 1
    print("deploy: %s on %s: %d PKI files%s, %s; the board restarts the meter" % (
        board, port, len(pki), ", meter.json" if config else "",
        "RTC set to UTC" if a["rtc"] else "RTC untouched"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
