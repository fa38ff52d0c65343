# SPDX-License-Identifier: MIT
"""Integration fixtures: the firmware runs under the MicroPython unix port (tools/run_meter.py)
with a board-sized heap; tests talk to it from CPython over the TCP wrapper and the HDLC pty."""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME = os.environ.get("METER_RUNTIME", "wheel")  # tools/run_meter.py --runtime
HEAP = os.environ.get("METER_HEAP") or ("160k" if RUNTIME == "unix32" else "352k")


def pytest_sessionstart(session):
    """Logs and state folders of earlier sessions' meters go; those of a meter that still
    serves (its TCP port is bound: another test session running now) stay."""
    b = os.path.join(ROOT, "build")
    for f in os.listdir(b) if os.path.isdir(b) else ():
        m = re.match(r"(?:meter-(\d+)\.log|state-(\d+))$", f)
        if not m or port_in_use(int(m.group(1) or m.group(2))):
            continue
        if m.group(1):
            os.remove(os.path.join(b, f))
        else:
            shutil.rmtree(os.path.join(b, f), ignore_errors=True)


def port_in_use(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def constant_curve(p_import, q_import):
    """A load curve file (hal/sim_metering.py format) of one constant import step -> path."""
    path = os.path.join(ROOT, "build", "curve-%dw-%dvar.txt" % (p_import, q_import))
    with open(path, "w") as f:
        f.write("# constant load\n00:00, %d, 0, %d, 0\n" % (p_import, q_import))
    return path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Meter:
    """A running simulated meter."""

    host = "127.0.0.1"
    server_logical = 1
    server_physical = 17
    pki = os.path.join(ROOT, "build", "pki")  # tools/provision.py output: keys, certificates
    ldn = b"KFM2000100000001"

    def __init__(self, heap=HEAP, args=()):
        """args: further tools/run_meter.py options (e.g. --fill-lp1 T0). A new meter: its
        state folder starts empty and goes at stop()."""
        self.tcp_port = free_port()
        self.log = open(os.path.join(ROOT, "build", "meter-%d.log" % self.tcp_port), "w+")
        self.state = os.path.join(ROOT, "build", "state-%d" % self.tcp_port)
        shutil.rmtree(self.state, ignore_errors=True)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tools", "run_meter.py"),
             "--tcp-port", str(self.tcp_port), "--heapsize", heap,
             "--state-dir", self.state, "--pki", self.pki] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.pty_path = None
        self._drainer = None
        deadline = time.time() + 120  # bytecode built first when sources changed: slow hosts
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"pty\): (\S+)", line)
            if m:
                self.pty_path = m.group(1)
            if "logical device" in line:
                break
        if self.proc.poll() is not None or not lines or "logical device" not in lines[-1]:
            self.stop()
            raise RuntimeError("meter did not start:\n" + "".join(lines))
        self.output = lines
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self):
        for line in self.proc.stdout:  # keep the pipe empty; the log helps post-mortems
            self.output.append(line)
            self.log.write(line)
            self.log.flush()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, keep=False):
        """Power down (tools/run_meter.py warns the firmware, which persists); keep: the
        state folder stays for a restart. Logs stay for post-mortems (cleared when the next
        test session starts)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if not keep:
            shutil.rmtree(self.state, ignore_errors=True)
        if not keep:
            if self._drainer is not None:
                self._drainer.join(5)
            self.log.close()


@pytest.fixture(scope="session")
def meter():
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    m = Meter()
    yield m
    assert m.alive(), "the firmware died during the tests"
    m.stop()


@pytest.fixture(params=("tcp", "hdlc"))
def transport(request):
    """Every interop test runs over the TCP wrapper and over HDLC on the pty."""
    return request.param


@pytest.fixture(scope="session")
def lp1_meter():
    """A meter whose load profile 1 is full and known (lp1_fixture.py: the oracle)."""
    from lp1_fixture import N, PERIOD, Lp1

    now = int(time.time())
    t0 = now - now % PERIOD - (N - 1) * PERIOD
    m = Meter(args=("--fill-lp1", str(t0)))
    m.lp1 = Lp1(t0)
    yield m
    assert m.alive(), "the firmware died during the tests"
    m.stop()
