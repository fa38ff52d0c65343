#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the Cortex-M4 meter under qemu (boards/qemu_mps2_an386): qemu-system-arm -machine
mps2-an386 with the firmware image, UART1 (the optical port) on a host pty, UART0 (the
console) on this supervisor's pipes. Prints the pty path, then relays the firmware's output.

The image is built (tools/build_firmware.sh) when missing, older than a firmware or board
source, or built for another heap. The flash image (LittleFS, the power-fail-safe store) is
<state-dir>/flash.img and stays there between runs. Ctrl-C or SIGTERM is a power-fail
warning ("D" on the console: the meter persists its state and stops), SIGUSR1 the demand
reset button ("B"); qemu is stopped once the meter has powered down.

Bad options are refused in one line ("run_qemu: --option ...: what is allowed") with exit
status 2, before anything is built or started; nothing (qemu, pty link) is left behind."""
import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARD = "qemu_mps2_an386"
FIRMWARE = os.path.join(ROOT, "build", "firmware", BOARD, "firmware.elf")
QEMU = "qemu-system-arm"
HEAP_DEFAULT = "128k"  # docs/decisions.md, qemu board heap
BOOT_S = 60  # qemu to the REPL prompt (a loaded host); the meter's own boot has no limit
STOP_S = 30  # power-fail warning to "meter: power down"

sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_meter  # noqa: E402
from run_meter import (  # noqa: E402  (same rules)
    check_dir, check_pty_link, heapsize, newest_source, speed, unix_time)


def fail(msg, status=2):
    """Bad input: one line on stderr, exit status 2 (1: the run itself failed)."""
    sys.stderr.write("run_qemu: %s\n" % msg)
    sys.exit(status)


run_meter.fail = fail  # its checks (check_dir) answer as this tool


class Parser(argparse.ArgumentParser):
    def error(self, message):
        fail(message)


def firmware(heap):
    """The image for this heap, rebuilt when stale -> its path; one line and exit 1 when it
    cannot be built."""
    newest = newest_source("firmware", os.path.join("boards", BOARD))
    try:
        with open(os.path.join(os.path.dirname(FIRMWARE), "heap")) as f:
            built_heap = int(f.read())
    except (OSError, ValueError):
        built_heap = None
    if os.path.exists(FIRMWARE) and os.path.getmtime(FIRMWARE) >= newest and built_heap == heap:
        return FIRMWARE
    r = subprocess.run(["sh", os.path.join(ROOT, "tools", "build_firmware.sh"), BOARD],
                       env=dict(os.environ, QEMU_HEAP=str(heap)),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        msg = (r.stderr.strip().splitlines() or ["failed"])[-1]
        fail("firmware: " + msg.replace("build_firmware: ", ""), 1)
    return FIRMWARE


def _die_with_parent():
    """qemu is killed when this supervisor dies without cleaning up (SIGKILL): Linux
    PR_SET_PDEATHSIG; elsewhere nothing."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Console:
    """qemu's stdout (UART0 and qemu's own lines) read without blocking, as lines."""

    def __init__(self, proc):
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.seen = b""  # what the last wait_for consumed, its token included
        self.eof = False

    def fill(self, timeout):
        if self.eof:
            time.sleep(min(timeout, 0.1))
            return
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            b = os.read(self.fd, 4096)
            if b:
                self.buf += b
            else:
                self.eof = True

    def wait_for(self, token, timeout, abort=lambda: False):
        """Read until `token` is in the buffer -> True (the buffer keeps what follows it);
        False on timeout, end of output, qemu's exit or abort()."""
        deadline = time.monotonic() + timeout
        while token not in self.buf:
            if (self.eof or self.proc.poll() is not None or time.monotonic() > deadline
                    or abort()):
                return False
            self.fill(0.2)
        i = self.buf.index(token) + len(token)
        self.seen, self.buf = self.buf[:i], self.buf[i:]
        return True

    def line_after(self, token, timeout, abort):
        """The rest of the line that follows `token`, or None."""
        if not self.wait_for(token, timeout, abort):
            return None
        deadline = time.monotonic() + 5
        while b"\n" not in self.buf and time.monotonic() < deadline and not self.eof:
            self.fill(0.2)
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def lines(self, timeout):
        """Complete lines read within `timeout` s (without CR/LF)."""
        self.fill(timeout)
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            out.append(line.rstrip(b"\r"))
        return out


def main():
    p = Parser(description=__doc__)
    p.add_argument("--pty-link", help="also make a symlink to the pty at this path")
    p.add_argument("--state-dir", default=os.path.join(ROOT, "run", "qemu"),
                   help="folder of the flash image flash.img (qemu's working directory), "
                   "kept across runs (default run/qemu)")
    p.add_argument("--heapsize", type=heapsize, default=heapsize(HEAP_DEFAULT),
                   help="the firmware's GC heap (MICROPY_HEAP_SIZE): bytes, k or M suffix "
                   "(default %s; the image is rebuilt for another size)" % HEAP_DEFAULT)
    p.add_argument("--heap-report", action="store_true",
                   help="the firmware prints its live heap every 16 responses served and "
                   "when an association ends")
    p.add_argument("--fill-lp1", type=unix_time, metavar="T0",
                   help="test aid: LP1 holds 5760 deterministic entries from unix time T0")
    p.add_argument("--speed", type=speed, default=1,
                   help="simulated clock: seconds of meter time per real second")
    p.add_argument("--start", metavar="TIME", type=unix_time,
                   help="simulated clock start (unix seconds or YYYY-MM-DDTHH:MM[:SS]); "
                   "default: the host clock (semihosting SYS_TIME)")
    p.add_argument("--icount", action="store_true",
                   help="qemu -icount shift=0: one virtual nanosecond per instruction "
                   "(deterministic instruction counts for benchmarks; slower)")
    args = p.parse_args()
    qemu = shutil.which(QEMU)
    if qemu is None:
        fail("%s not found (apt-get install qemu-system-arm)" % QEMU, 1)
    if args.pty_link:
        check_pty_link(args.pty_link)
    check_dir("--state-dir", args.state_dir)
    elf = firmware(args.heapsize)
    try:
        os.makedirs(args.state_dir, exist_ok=True)
    except OSError as e:
        fail("--state-dir %s: %s" % (args.state_dir, e.strerror or e))
    cmd = [qemu, "-machine", "mps2-an386", "-nographic", "-monitor", "null", "-semihosting",
           "-serial", "stdio", "-serial", "pty", "-kernel", elf]
    if args.icount:
        cmd[1:1] = ["-icount", "shift=0"]
    cfg = []
    if args.fill_lp1 is not None:
        cfg.append("fill_lp1=%d" % args.fill_lp1)
    if args.speed != 1:
        cfg.append("speed=%d" % args.speed)
    if args.start is not None:
        cfg.append("start=%d" % args.start)
    if args.heap_report:
        cfg.append("heap_report=1")
    boot = "import board;board.configure(%s);import main" % ",".join(cfg)
    events = []  # signals, handled by serve(): "D" power-fail warning, "B" button
    signal.signal(signal.SIGTERM, lambda *_: events.append(b"D"))
    signal.signal(signal.SIGINT, lambda *_: events.append(b"D"))
    signal.signal(signal.SIGUSR1, lambda *_: events.append(b"B"))
    proc = subprocess.Popen(cmd, cwd=args.state_dir, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True,  # Ctrl-C reaches this supervisor only
                            preexec_fn=_die_with_parent)
    link = [None, None]  # the pty link we made, its target
    try:
        rc = serve(args, proc, boot, events, link)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if link[0] and os.path.islink(link[0]) and os.readlink(link[0]) == link[1]:
            os.unlink(link[0])  # ours, not the link of a meter started since
    sys.exit(rc)


def serve(args, proc, boot, events, link):
    """Bring the firmware up through the REPL and relay its output -> exit status."""
    con = Console(proc)

    def abort():  # a power-fail warning before the meter runs: nothing to wait for
        return b"D" in events

    pty = con.line_after(b"char device redirected to ", BOOT_S, abort)
    pty = pty.split(" ")[0] if pty else ""
    if not pty.startswith("/dev/"):
        if not abort():
            print("run_qemu: qemu did not open the pty", file=sys.stderr)
        return 1
    if args.pty_link:
        if os.path.lexists(args.pty_link):
            os.unlink(args.pty_link)  # a stale link (checked: a symlink)
        os.symlink(pty, args.pty_link)
        link[:] = [args.pty_link, pty]
    print("HDLC optical port (pty): %s%s" % (
        pty, " -> " + args.pty_link if args.pty_link else ""), flush=True)
    print("qemu: mps2-an386 (Cortex-M4), heap %d bytes, flash %s" % (
        args.heapsize, os.path.join(os.path.abspath(args.state_dir), "flash.img")), flush=True)
    steps = ((b">>> ", b"\x01", "no REPL prompt from the firmware"),  # raw REPL: no echo
             (b"raw REPL; CTRL-B to exit\r\n>", boot.encode() + b"\x04",
              "the firmware did not enter the raw REPL"),
             (b"OK", None, "the firmware did not take the boot command"))
    for token, send, what in steps:
        if not con.wait_for(token, BOOT_S, abort):
            if not abort():
                print("run_qemu: " + what, file=sys.stderr)
            return 1
        if send:
            proc.stdin.write(send)
            proc.stdin.flush()

    down_by = None  # deadline after a power-fail warning
    powered_down = False
    eot = 0  # raw REPL end markers seen: output "\x04" error text "\x04>"
    end_by = None
    while True:
        while events:
            e = events.pop(0)
            if e == b"D" and down_by is None:
                down_by = time.monotonic() + STOP_S
            try:
                proc.stdin.write(e)
                proc.stdin.flush()
            except OSError:
                pass
        for line in con.lines(0.2):
            eot += line.count(b"\x04")
            text = line.replace(b"\x04", b"").lstrip(b">").decode("utf-8", "replace")
            if text:
                print(text, flush=True)
            if "meter: power down" in text:
                powered_down = True
        if eot + con.buf.count(b"\x04") >= 2:  # the firmware's program has ended
            rest = con.buf.replace(b"\x04", b"").lstrip(b">").strip()
            if rest:
                print(rest.decode("utf-8", "replace"), flush=True)
            return 0 if powered_down else 1
        if eot and end_by is None:
            end_by = time.monotonic() + 5  # the error text follows the first marker
        if end_by is not None and time.monotonic() > end_by:
            return 0 if powered_down else 1
        if proc.poll() is not None or con.eof:
            print("run_qemu: qemu exited (%s)" % proc.poll(), file=sys.stderr)
            return 1
        if down_by is not None and time.monotonic() > down_by:
            print("run_qemu: the meter did not power down within %d s" % STOP_S,
                  file=sys.stderr)
            return 1


if __name__ == "__main__":
    main()
