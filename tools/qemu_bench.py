#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instruction counts of the meter on the qemu Cortex-M4 (boards/qemu_mps2_an386), for
`make bench`: the image runs under `qemu-system-arm -icount shift=0` (the virtual clock
advances 1 ns per instruction, so the guest's time.ticks_us() x 1000 counts instructions:
deterministic, whatever the host's speed), host_tests/perf/bench_hdlc_mp.py and
bench_qemu_mp.py go in through the raw REPL. Instructions, not cycles: a Cortex-M4 spends
1-3 cycles on most of them (loads, branches, multiplies more).

Figures: server work per HDLC byte (a public session fed into the link: SNRM, AARQ, GETs,
object list in blocks and segments, DISC), per GET of a register, per 1224-byte GCM APDU,
per ECDSA sign and verify and per ECDH (P-256, C modules)."""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_qemu  # noqa: E402

HEAP = 256 * 1024  # the benchmark code is compiled into the heap beside the meter
TIMEOUT_S = 1800  # emulated with icount on a loaded host: generous, never asserted
# issue #12 targets (instructions)
TARGETS = {"hdlc_byte": 3500, "ecdsa_verify": 3000000, "ecdsa_sign": 1500000}


def guest_source():
    with open(os.path.join(ROOT, "host_tests", "perf", "bench_hdlc_mp.py")) as f:
        hdlc = f.read()
    cut = hdlc.rstrip().rsplit("\n", 1)
    assert cut[1] == "main()", "bench_hdlc_mp.py no longer ends in main()"
    with open(os.path.join(ROOT, "host_tests", "perf", "bench_qemu_mp.py")) as f:
        return cut[0] + "\n\n" + f.read()


def run_guest(code, heap=HEAP):
    """Run `code` on the qemu board (icount, no pty) -> its output lines; raises
    RuntimeError with the output when it fails."""
    elf = run_qemu.firmware(heap)
    qemu = shutil.which(run_qemu.QEMU)
    if qemu is None:
        raise RuntimeError("%s not found" % run_qemu.QEMU)
    tmp = tempfile.mkdtemp(prefix="qemu-bench-")
    proc = subprocess.Popen(
        [qemu, "-icount", "shift=0", "-machine", "mps2-an386", "-nographic", "-monitor",
         "null", "-semihosting", "-serial", "stdio", "-kernel", elf],
        cwd=tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=run_qemu._die_with_parent)
    try:
        con = run_qemu.Console(proc)
        for token, send in ((b">>> ", b"\x01"),
                            (b"raw REPL; CTRL-B to exit\r\n>", code.encode() + b"\x04"),
                            (b"OK", None)):
            if not con.wait_for(token, run_qemu.BOOT_S):
                raise RuntimeError("qemu: no %r: %r" % (token, con.buf[-300:]))
            if send:
                proc.stdin.write(send)
                proc.stdin.flush()
        # output, "\x04", error text, "\x04>"
        if not con.wait_for(b"\x04>", TIMEOUT_S):
            raise RuntimeError("qemu: no end of the benchmark: %r" % con.buf[-300:])
        out, _, err = con.seen.rpartition(b"\x04>")[0].partition(b"\x04")
        return out, err
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def figures():
    out, err = run_guest(guest_source())
    text = out.decode("utf-8", "replace")
    if err.strip(b"\x04> \r\n"):
        raise RuntimeError("benchmark failed on qemu:\n%s%s" % (
            text, err.decode("utf-8", "replace")))
    fig = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "insn":
            fig[f[1]] = int(f[2])
        elif len(f) == 3 and f[0] == "hdlc_us_per_byte":
            fig["hdlc_byte"] = float(f[1]) * 1000
            fig["hdlc_bytes"] = int(f[2])
    return fig


def report():
    print("\nqemu Cortex-M4 (mps2-an386, -icount shift=0): instructions, C modules and frozen "
          "firmware as on a board")
    try:
        fig = figures()
    except (RuntimeError, SystemExit) as e:
        print("  not measured: %s" % (e if isinstance(e, RuntimeError) else "no image"))
        return
    rows = (("hdlc_byte", "server work per HDLC byte (%d bytes of a public session)"
             % fig.get("hdlc_bytes", 0)),
            ("get_register", "GET of a register (+A), HDLC frame in to frame out"),
            ("gcm_encrypt_1224", "GCM encrypt of a 1224-byte APDU"),
            ("gcm_decrypt_1224", "GCM decrypt of a 1224-byte APDU"),
            ("ecdsa_sign", "ECDSA P-256 sign"),
            ("ecdsa_verify", "ECDSA P-256 verify"),
            ("ecdh", "ECDH P-256"))
    for key, what in rows:
        v = fig.get(key)
        target = TARGETS.get(key)
        print("  %-58s %12s%s" % (what, "{:,.0f}".format(v) if v is not None else "-",
                                   "  (target <= {:,})".format(target) if target else ""))
    b = fig.get("hdlc_byte")
    if b:
        # 9600 Bd 8N1: 960 bytes/s; at 168 MHz with one instruction per cycle
        print("  at 168 MHz, 1 instruction/cycle: %.2f %% of the 9600 Bd wire time per byte"
              % (b / 168e6 * 960 * 100))


if __name__ == "__main__":
    report()
