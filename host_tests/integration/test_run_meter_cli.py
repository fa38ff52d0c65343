# SPDX-License-Identifier: MIT
"""tools/run_meter.py (`make run`) on bad input (issue #11): one line naming the option and
what it allows, a non-zero exit status, no traceback, and nothing left behind (no pty link,
no PKI or state folder); a busy TCP port is refused before the firmware starts, and the
firmware itself says so in one line when it cannot listen. The good path still starts (with
an explicit UTC offset in --start honoured)."""
import datetime
import os
import shutil
import socket
import subprocess
import sys

import pytest

from conftest import ROOT, Meter

RUN_METER = os.path.join(ROOT, "tools", "run_meter.py")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_meter  # noqa: E402  (its option parsers)


def run(tmp_path, *args, python=sys.executable, script=RUN_METER, env=None):
    """run_meter.py with a pty link, PKI and state folder under tmp_path -> (status, lines
    of stdout and stderr together)."""
    p = subprocess.run(
        [python, script, "--pty-link", str(tmp_path / "link"), "--pki", str(tmp_path / "pki"),
         "--state-dir", str(tmp_path / "run" / "state")] + list(args),
        capture_output=True, text=True, timeout=120, env=env)
    return p.returncode, (p.stdout + p.stderr).splitlines()


def refused(tmp_path, args, *words):
    rc, lines = run(tmp_path, *args)
    assert rc != 0, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0], lines
    for w in words:
        assert w in lines[0], (w, lines)
    assert lines[0].startswith("run_meter: "), lines
    assert not os.path.lexists(tmp_path / "link")
    assert not os.path.exists(tmp_path / "pki")
    assert not os.path.exists(tmp_path / "run")
    return lines[0]


@pytest.mark.parametrize("args", [
    ("--start", "yesterday"), ("--start", "2026-13-01T00:00"), ("--start", "28.03.2026"),
    ("--start", "-5"), ("--start", "1999-12-31T00:00"), ("--speed", "0"), ("--speed", "-3"),
    ("--speed", "abc"), ("--heapsize", "garbage"), ("--heapsize", "12"),
    ("--tcp-port", "70000"), ("--tcp-port", "-1"), ("--tcp-port", "http"),
    ("--fill-lp1", "soon"), ("--speed",)])
def test_bad_option_value_refused_in_one_line(tmp_path, args):
    refused(tmp_path, args, args[0])


def test_unknown_option_refused_in_one_line(tmp_path):
    refused(tmp_path, ("--sped", "5"), "--sped")


def test_missing_load_curve_named(tmp_path):
    f = str(tmp_path / "no-such-curve.txt")
    refused(tmp_path, ("--load-curve", f), "--load-curve", f, "No such file")


@pytest.mark.parametrize("text,line,what", [
    ("00:00, 100, 0, 0, 0\n25:99, 1, 2, 3, 4\n", 2, "hour 25"),
    ("# night\n00:00, -5, 0, 0, 0\n", 2, "-5"),
    ("00:00, 100, 0, 0\n", 1, "5"),
    ("00:00, 1, 0, 0, 0\n06:00, 1, 0, 0, 0\n00:00, 2, 0, 0, 0\n", 3, "00:00"),
])
def test_bad_load_curve_names_file_and_line(tmp_path, text, line, what):
    f = tmp_path / "curve.txt"
    f.write_text(text)
    refused(tmp_path, ("--load-curve", str(f)), "--load-curve", "%s:%d:" % (f, line), what)


def test_pty_link_on_a_regular_file_refused(tmp_path):
    (tmp_path / "link").write_text("keep me")
    rc, lines = run(tmp_path)
    assert rc != 0 and len(lines) == 1 and "--pty-link" in lines[0], lines
    assert (tmp_path / "link").read_text() == "keep me"
    assert not os.path.exists(tmp_path / "run")


def test_pty_link_in_a_missing_folder_refused(tmp_path):
    rc, lines = run(tmp_path, "--pty-link", str(tmp_path / "no" / "link"))
    assert rc != 0 and len(lines) == 1 and "--pty-link" in lines[0], lines
    assert not os.path.exists(tmp_path / "run") and not os.path.exists(tmp_path / "no")


def test_busy_tcp_port_refused_before_the_firmware_starts(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        line = refused(tmp_path, ("--tcp-port", str(port)), "--tcp-port %d: port in use" % port)
    finally:
        s.close()
    assert line == "run_meter: --tcp-port %d: port in use" % port


def test_firmware_busy_port_one_line_and_exit_status(tmp_path):
    """The firmware's own check (a port taken between run_meter.py's check and the bind)."""
    import build_mpy

    build_mpy.build()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [os.path.join(ROOT, "build", "fw-mpy"), os.path.join(ROOT, "build", "natmod"),
         ".frozen"]))
    try:  # plain .mpy files in the heap (no ROMFS): a larger heap
        p = subprocess.run([run_meter.micropython_binary(), "-X", "heapsize=2M",
                            os.path.join(ROOT, "build", "fw-mpy", "main.py"),
                            "--tcp-port", str(port), "--state-dir", str(tmp_path / "state")],
                           capture_output=True, text=True, timeout=120, env=env)
    finally:
        s.close()
    lines = (p.stdout + p.stderr).splitlines()
    assert p.returncode == 1, lines
    assert lines == ["meter: TCP port %d on 127.0.0.1: cannot listen ([Errno 98] EADDRINUSE)"
                     % port], lines


def test_no_micropython_binary_one_line(tmp_path):
    """Outside the venv and without `make setup`: one line, not a TypeError."""
    base = os.path.join(sys.base_prefix, "bin", "python3")
    path = "/usr/bin:/bin"
    if not os.path.exists(base) or shutil.which("micropython", path=path):
        pytest.skip("no python outside the venv, or a micropython on the system PATH")
    root = tmp_path / "repo"
    (root / "tools").mkdir(parents=True)
    shutil.copy(RUN_METER, root / "tools")
    rc, lines = run(tmp_path, python=base, script=str(root / "tools" / "run_meter.py"),
                    env={"PATH": path})
    assert rc != 0 and len(lines) == 1, lines
    assert "run `make setup` first" in lines[0], lines
    assert not os.path.lexists(tmp_path / "link") and not os.path.exists(tmp_path / "run")


def test_start_times():
    utc = datetime.datetime(2026, 3, 28, tzinfo=datetime.timezone.utc).timestamp()
    for v in ("2026-03-28T00:00", "2026-03-28T00:00:00Z", "2026-03-28T02:00+02:00",
              "2026-03-27T19:00-05:00", str(int(utc))):
        assert run_meter.unix_time(v) == utc, v


def test_good_path_honours_the_start_offset():
    """The meter starts; --start with +02:00 is the UTC instant two hours earlier."""
    from test_interop_gurux import public, read_clock_utc

    m = Meter(args=("--start", "2026-03-28T02:00+02:00", "--speed", "60"))
    try:
        with public(m, "tcp") as c:
            c.associate()
            t, raw = read_clock_utc(c)
            c.release()
    finally:
        m.stop()
    start = datetime.datetime(2026, 3, 28, 0, 0, tzinfo=datetime.timezone.utc)
    # 60 simulated seconds per real second since the meter served: generous for slow hosts
    assert start <= t <= start + datetime.timedelta(hours=2), (t, raw.hex(" "))
