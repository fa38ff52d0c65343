# SPDX-License-Identifier: MIT
"""tools/run_qemu.py refuses bad options in one line with exit status 2, before it builds or
starts anything: no qemu, no pty link, no state folder left behind."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("args, says", [
    (["--speed", "0"], "--speed: expected an integer >= 1"),
    (["--heapsize", "12"], "--heapsize: expected bytes"),
    (["--start", "yesterday"], "--start: expected unix seconds"),
    (["--fill-lp1", "1999-01-01T00:00"], "--fill-lp1: expected unix seconds"),
    (["--pty-link", "/nonexistent/optical"], "/nonexistent is not a writable folder"),
    (["--state-dir", "/etc/passwd"], "--state-dir /etc/passwd: exists and is not a folder"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_option_one_line(tmp_path, args, says):
    link = tmp_path / "optical"
    state = tmp_path / "state"
    extra = [] if "--pty-link" in args else ["--pty-link", str(link)]
    extra += [] if "--state-dir" in args else ["--state-dir", str(state)]
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "run_qemu.py")] + args
                       + extra, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == "", r
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("run_qemu: ") and says in lines[0], lines
    assert not os.path.lexists(link) and not os.path.exists(state)
