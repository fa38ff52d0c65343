# SPDX-License-Identifier: MIT
"""Fixtures of the qemu integration set (make test-qemu): the Cortex-M4 firmware
(boards/qemu_mps2_an386) under qemu-system-arm through tools/run_qemu.py, read with the
gurux client of host_tests/integration over the pty of its optical port (CMSDK UART1).

No test depends on the speed of the host: every wait is for an event (a line of the
firmware, an answer) with a generous deadline, never a duration asserted."""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "host_tests", "integration"))

HEAP = os.environ.get("QEMU_HEAP", "128k")
BOOT_S = 600  # build + boot + 5760 LP1 entries written to the flash image on a loaded host
CLIENT_TIMEOUT = 60.0  # seconds without a complete frame before gurux gives up a request


class QemuMeter:
    """The firmware under qemu; the attributes gx_client.GxMeter needs for HDLC."""

    host = "127.0.0.1"
    server_logical = 1
    server_physical = 17
    ldn = b"KFM2000100000001"

    def __init__(self, state, args=()):
        """state: folder of the flash image (kept: a restart sees the same flash)."""
        self.state = state
        self.args = list(args)
        self.output = []
        self.proc = None
        self.start()

    def start(self):
        self.output = []
        self.log = open(self.state + ".log", "a")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tools", "run_qemu.py"), "--state-dir",
             self.state, "--heapsize", HEAP] + self.args,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.pty_path = None
        self.heap = None  # (alloc, free) after boot, "board: heap ..."
        watchdog = threading.Timer(BOOT_S, self.proc.kill)  # a hung boot: no output
        watchdog.daemon = True
        watchdog.start()
        ok = False
        for line in self.proc.stdout:
            self.output.append(line)
            self.log.write(line)
            m = re.search(r"pty\): (\S+)", line)
            if m:
                self.pty_path = m.group(1)
            m = re.search(r"board: heap alloc=(\d+) free=(\d+)", line)
            if m:
                self.heap = (int(m.group(1)), int(m.group(2)))
                ok = True
                break
        watchdog.cancel()
        if not ok:
            self.stop()
            raise RuntimeError("the qemu meter did not start:\n" + "".join(self.output))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)
            self.log.write(line)
            self.log.flush()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=120):
        """Power-fail warning (run_qemu.py: "D" on the console; the meter persists and
        stops, then qemu goes) -> run_qemu's exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def pytest_sessionstart(session):
    """Flash images and logs of earlier sessions go, unless that session still runs."""
    b = os.path.join(ROOT, "build")
    for f in os.listdir(b) if os.path.isdir(b) else ():
        m = re.match(r"qemu-state-(\d+)(\.log)?$", f)
        if not m or os.path.exists("/proc/%s" % m.group(1)):
            continue
        p = os.path.join(b, f)
        if m.group(2):
            os.remove(p)
        else:
            shutil.rmtree(p, ignore_errors=True)


@pytest.fixture(scope="session")
def qemu_meter():
    """One qemu meter for the session, LP1 prefilled (lp1_fixture.py is the oracle); its
    flash image lives in build/qemu-state-<pid>/ and goes at the end."""
    from lp1_fixture import N, PERIOD, Lp1

    state = os.path.join(ROOT, "build", "qemu-state-%d" % os.getpid())
    shutil.rmtree(state, ignore_errors=True)
    if os.path.exists(state + ".log"):
        os.remove(state + ".log")
    now = int(time.time())
    t0 = now - now % PERIOD - (N - 1) * PERIOD
    m = QemuMeter(state, ["--fill-lp1", str(t0), "--heap-report"])
    m.lp1 = Lp1(t0)
    m.state_dir = state
    yield m
    m.stop()
    shutil.rmtree(state, ignore_errors=True)
