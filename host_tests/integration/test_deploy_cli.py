# SPDX-License-Identifier: MIT
"""tools/deploy.py (`make deploy`) and tools/board_check.py without a board: bad arguments
give one line naming the option and what it allows, exit status 2; --dry-run shows the
mpremote session: the meter's PKI files only (never a CA's or a client's private key), the
board's filesystem root, the RTC set to UTC, a reset at the end."""
import json
import os
import subprocess
import sys

from conftest import ROOT

DEPLOY = os.path.join(ROOT, "tools", "deploy.py")
CHECK = os.path.join(ROOT, "tools", "board_check.py")


def run(*args, script=DEPLOY):
    p = subprocess.run([sys.executable, script] + list(args), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr.splitlines()


def refused(args, *words, script=DEPLOY):
    rc, out, err = run(*args, script=script)
    assert rc == 2, (rc, out, err)
    assert len(err) == 1 and not out, (out, err)
    for w in words:
        assert w in err[0], (w, err)


def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    for f in ("meter.der", "meter.key", "root.der", "root.key", "subca1.der", "subca1.key",
              "client1.der", "client1.key", "index.json"):
        (d / f).write_bytes(b"x")
    return str(d)


def test_bad_arguments_one_line(tmp_path):
    refused(["unix32", "/dev/null"], "BOARD=unix32", "NUCLEO_H743ZI")
    refused(["PYBV11", "/dev/null"], "BOARD=PYBV11", "ESP32_DEVKITC, NUCLEO_H743ZI")
    refused(["NUCLEO_H743ZI", ""], "PORT", "/dev/ttyACM0")
    refused(["NUCLEO_H743ZI", "/dev/ttyNOPE9"], "PORT=/dev/ttyNOPE9", "no such device")
    refused(["NUCLEO_H743ZI"], "usage")
    refused(["NUCLEO_H743ZI", "a0", "--bogus"], "--bogus", "--pki DIR")
    refused(["NUCLEO_H743ZI", "a0", "--config"], "--config", "meter.json")
    refused(["ESP32_DEVKITC", "a0", "--format"], "--format", "NUCLEO_H743ZI only")
    refused(["NUCLEO_H743ZI", "a0", "--pki", str(tmp_path / "none")], "--pki", "not a folder")
    (tmp_path / "empty").mkdir()
    refused(["NUCLEO_H743ZI", "a0", "--pki", str(tmp_path / "empty")], "meter.key")
    bad = tmp_path / "bad.json"
    bad.write_text('{"serial": "1KFM0100000001", "baud": 9600}')
    refused(["NUCLEO_H743ZI", "a0", "--config", str(bad)], "'baud'", "uart2")
    bad.write_text("{serial")
    refused(["NUCLEO_H743ZI", "a0", "--config", str(bad)], "not JSON")
    refused(["image", "FOO"], "BOARD=FOO", "NUCLEO_H743ZI", script=CHECK)
    refused(["image", "NUCLEO_H743ZI", "--fast"], "--fast", script=CHECK)
    refused([], "usage", script=CHECK)


def test_dry_run_copies_meter_files_only(tmp_path):
    cfg = tmp_path / "meter.json"
    cfg.write_text(json.dumps({"serial": "1KFM0100000001", "tcp_port": 4059}))
    rc, out, err = run("NUCLEO_H743ZI", "a0", "--pki", pki(tmp_path), "--config", str(cfg),
                       "--format", "--dry-run")
    assert rc == 0 and not err, (out, err)
    assert " connect a0 resume exec " in out and out.rstrip().endswith("+ reset"), out
    assert "VfsLfs2.mkfs(pyb.Flash(start=0))" in out and "machine.RTC().datetime((" in out
    assert "/flash/rtc-set" in out  # the meter then drops a client's clock setting
    for f in ("meter.der", "meter.key", "root.der", "subca1.der", "client1.der"):
        assert "pki/" + f + " " in out, (f, out)
    for f in ("root.key", "subca1.key", "client1.key", "index.json"):
        assert f not in out, (f, out)
    assert ":/flash/pki/" in out and ":/flash/meter.json" in out
    d = tmp_path / "esp"
    d.mkdir()
    rc, out, err = run("ESP32_DEVKITC", "/dev/ttyUSB0", "--pki", pki(d), "--no-rtc", "--dry-run")
    assert rc == 0 and "RTC" not in out and ":/pki/ " in out and "'/pki'" in out, out
    assert "rtc-set" not in out
    assert "mkfs" not in out and out.rstrip().endswith("fs ls :/ + reset"), out
    rc, out, err = run("ESP32_DEVKITC", "/dev/ttyUSB0", "--pki", "", "--dry-run")
    assert rc == 0 and " cp " not in out and "pki" not in out, out
