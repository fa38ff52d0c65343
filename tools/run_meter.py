#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Start the simulated meter: the firmware under the MicroPython unix port, serving DLMS on
the IEC 62056-47 TCP wrapper and HDLC on a pseudo-terminal that stands in for the optical
head. Prints the TCP port and the pty path, then relays the firmware's output.

Bad options are refused in one line ("run_meter: --option ...: what is allowed") with exit
status 2, before anything is built or created (pty link, PKI, state folder)."""
import argparse
import datetime
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
# simulated clock: profile records count seconds from 2020-01-01 (meterapp/ringstore.py)
TIME_MIN = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
TIME_MAX = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
HEAP_MIN = 64 * 1024


def fail(msg):
    """Bad input: one line on stderr, exit status 2, no traceback."""
    sys.stderr.write("run_meter: %s\n" % msg)
    sys.exit(2)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage + error lines -> one line
        fail(message)


def micropython_binary():
    """The unix port that `make setup` installs in <repo>/.venv, whatever python runs this;
    else one beside the running python or on PATH; None when there is none."""
    for d in (VENV_BIN, os.path.dirname(sys.executable)):
        exe = os.path.join(d, "micropython")
        if os.path.exists(exe):
            return exe
    return shutil.which("micropython")


RUNTIMES = ("wheel", "unix32")
UNIX32 = os.path.join(ROOT, "build", "firmware", "unix32", "micropython")
HEAP_DEFAULT = {"wheel": "352k", "unix32": "160k"}


def runtime(v):
    if v not in RUNTIMES:
        raise argparse.ArgumentTypeError("expected one of %s, got %r" % (", ".join(RUNTIMES), v))
    return v


def newest_source(*tops):
    """mtime of the newest firmware source (.py, .c, .h, .mk) under ROOT/top for each top: an
    image older than it is rebuilt."""
    newest = 0
    for top in tops:
        for d, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith((".py", ".c", ".h", ".mk")):
                    newest = max(newest, os.path.getmtime(os.path.join(d, f)))
    return newest


def check_pty_link(link):
    """--pty-link: its folder writable, an existing entry only a (stale) symlink."""
    d = os.path.dirname(os.path.abspath(link))
    if not os.path.isdir(d) or not os.access(d, os.W_OK | os.X_OK):
        fail("--pty-link %s: %s is not a writable folder" % (link, d))
    if os.path.lexists(link) and not os.path.islink(link):
        fail("--pty-link %s: exists and is not a symlink (not replaced)" % link)


def unix32_binary():
    """build/firmware/unix32/micropython (tools/build_firmware.sh: the 32-bit unix port with the
    firmware frozen), rebuilt when a firmware source is newer; exits in one line if it cannot
    be built."""
    if os.path.exists(UNIX32) and os.path.getmtime(UNIX32) >= newest_source("firmware"):
        return UNIX32
    r = subprocess.run(["sh", os.path.join(ROOT, "tools", "build_firmware.sh"), "unix32"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        msg = (r.stderr.strip().splitlines() or ["failed"])[-1]
        fail("--runtime unix32: " + msg.replace("build_firmware: ", ""))
    return UNIX32


def venv_python():
    exe = os.path.join(VENV_BIN, "python")
    return exe if os.path.exists(exe) else sys.executable


def unix_time(v):
    """unix seconds, or an ISO date-time 'YYYY-MM-DDTHH:MM[:SS]' (UTC) with an optional 'Z'
    or +HH:MM offset -> unix seconds, from 2020 to 2099."""
    s = v.strip()
    t = None
    if s.isdigit():
        t = datetime.datetime.fromtimestamp(int(s), datetime.timezone.utc) \
            if int(s) < TIME_MAX.timestamp() else TIME_MAX
    else:
        try:
            t = datetime.datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in ("Z", "z") else s)
        except ValueError:
            pass
        if t is not None and t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)  # naive: UTC
    if t is None or not TIME_MIN <= t < TIME_MAX:
        raise argparse.ArgumentTypeError(
            "expected unix seconds or YYYY-MM-DDTHH:MM[:SS] (UTC, or with Z or +HH:MM) from "
            "2020 to 2099, got %r" % v)
    return int(t.timestamp())


def speed(v):
    if not v.strip().isdigit() or int(v) < 1:
        raise argparse.ArgumentTypeError("expected an integer >= 1, got %r" % v)
    return int(v)


def tcp_port(v):
    if not v.strip().isdigit() or int(v) > 65535:
        raise argparse.ArgumentTypeError("expected a port 0..65535 (0: no TCP), got %r" % v)
    return int(v)


def heapsize(v):
    """'352k', '1M', '360448' -> bytes."""
    m = re.fullmatch(r"\s*(\d+)([kKmM]?)\s*", v)
    n = int(m.group(1)) * {"": 1, "k": 1024, "m": 1 << 20}[m.group(2).lower()] if m else 0
    if n < HEAP_MIN or n > 1 << 30:
        raise argparse.ArgumentTypeError(
            "expected bytes with an optional k or M suffix, 64k to 1024M (e.g. 352k), got %r"
            % v)
    return n


def load_curve(path):
    """--load-curve: read and check it with the firmware's own parser (hal/sim_metering.py)."""
    import importlib.util

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail("--load-curve %s: %s" % (path, e.strerror or e))
    except UnicodeDecodeError:
        fail("--load-curve %s: not a text file" % path)
    spec = importlib.util.spec_from_file_location(
        "sim_metering", os.path.join(ROOT, "firmware", "hal", "sim_metering.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    try:
        mod.parse_curve(text)
    except ValueError as e:
        msg = str(e)
        m = re.match(r"line (\d+): (.*)", msg)
        fail("--load-curve: %s:%s" % (path, "%s: %s" % m.groups() if m else " " + msg))


def check_tcp(host, port):
    """The firmware must be able to listen there (a second `make run` on a busy port)."""
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the firmware's asyncio
        s.bind((host, port))
    except socket.gaierror as e:
        fail("--tcp-host %s: not a host name or address (%s)" % (host, e.strerror))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            fail("--tcp-port %d: port in use" % port)
        if e.errno == errno.EACCES:
            fail("--tcp-port %d: permission denied (ports below 1024 need privileges)" % port)
        if e.errno == errno.EADDRNOTAVAIL:
            fail("--tcp-host %s: not an address of this host" % host)
        fail("--tcp-port %d on %s: %s" % (port, host, e.strerror or e))
    finally:
        s.close()


def check_dir(opt, path):
    """A folder the run may create: an existing folder, or one whose nearest existing
    parent is a writable folder."""
    p = os.path.abspath(path)
    if os.path.exists(p):
        if not os.path.isdir(p):
            fail("%s %s: exists and is not a folder" % (opt, path))
        return
    while not os.path.exists(p):
        p = os.path.dirname(p)
    if not os.path.isdir(p) or not os.access(p, os.W_OK | os.X_OK):
        fail("%s %s: cannot be created (%s is not a writable folder)" % (opt, path, p))


def check(args):
    """Every option, before anything is built or created -> the micropython binary."""
    mpy = micropython_binary()
    if mpy is None:
        fail("no MicroPython unix port at %s: run `make setup` first"
             % os.path.join(VENV_BIN, "micropython"))
    if args.load_curve:
        load_curve(args.load_curve)
    if args.pty_link and not args.no_hdlc:
        check_pty_link(args.pty_link)
    if args.pki:
        check_dir("--pki", args.pki)
    check_dir("--state-dir", args.state_dir)
    if args.tcp_port:
        check_tcp(args.tcp_host, args.tcp_port)
    return mpy


def main():
    p = Parser(description=__doc__)
    p.add_argument("--tcp-port", type=tcp_port, default=4059, help="0 disables TCP")
    p.add_argument("--tcp-host", default="127.0.0.1")
    p.add_argument("--tcp-handshake-ms", type=int, metavar="MS",
                   help="close a TCP connection that has not associated after MS ms "
                   "(default: the firmware's 20 s; tests)")
    p.add_argument("--pty-link", help="also make a symlink to the pty at this path")
    p.add_argument("--no-hdlc", action="store_true")
    p.add_argument("--heapsize", type=heapsize,
                   help="the firmware's heap: bytes, k or M suffix (default 352k on the "
                   "wheel, 160k on unix32)")
    p.add_argument("--runtime", type=runtime, default=os.environ.get("METER_RUNTIME", "wheel"),
                   help="wheel: the 64-bit PyPI unix port running build/fw.romfs (default); "
                   "unix32: the 32-bit unix port with the firmware frozen, built from the "
                   "vendored MicroPython source (make firmware BOARD=unix32); env "
                   "METER_RUNTIME")
    p.add_argument("--pki", default=os.path.join(ROOT, "run", "pki"),
                   help="test PKI (tools/provision.py makes it when missing); '' for none")
    p.add_argument("--state-dir", default=os.path.join(ROOT, "run", "state"),
                   help="non-volatile state (frame counters ...), kept across restarts")
    p.add_argument("--single-phase", action="store_true",
                   help="a single-phase meter (KSMW 5.1 type 100); default poly-phase (200)")
    p.add_argument("--heap-report", action="store_true",
                   help="the firmware prints its live heap every 16 responses served and "
                   "when an association ends (meterapp/app.py heap_report)")
    p.add_argument("--fill-lp1", type=unix_time, metavar="T0",
                   help="test aid: LP1 holds 5760 deterministic entries from unix time T0 "
                   "(meterapp/profiles.py lp1_row)")
    p.add_argument("--speed", type=speed, default=1,
                   help="simulated clock: seconds of meter time per real second (e.g. 900: a "
                   "quarter hour per second, a day in 96 s)")
    p.add_argument("--start", metavar="TIME", type=unix_time,
                   help="simulated clock start: unix seconds or ISO 'YYYY-MM-DDTHH:MM[:SS]', "
                   "UTC unless it ends in Z or +HH:MM (default: now)")
    p.add_argument("--load-curve", metavar="FILE",
                   help="replayed daily load curve, lines 'HH:MM, +P, -P, +Q, -Q' in W/var "
                   "(hal/sim_metering.py; default: import at night, PV export at noon)")
    p.add_argument("--rtc-lost", action="store_true",
                   help="the RTC lost its power reserve while off (KSMW 5.4: restart at the "
                   "power-down time + 1 s)")
    p.add_argument("--no-romfs", action="store_true",
                   help="load build/fw-mpy through MICROPYPATH (bytecode copied into the heap) "
                   "instead of running it in place from the ROMFS image build/fw.romfs")
    args = p.parse_args()
    if args.heapsize is None:
        args.heapsize = heapsize(HEAP_DEFAULT[args.runtime])
    mpy = check(args)

    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build_mpy
    import build_romfs

    fw = os.path.join(ROOT, "build", "fw-mpy")
    natmod = os.path.join(ROOT, "build", "natmod")
    if args.runtime == "unix32":  # the firmware frozen in the executable, as on a board
        mpy = unix32_binary()
        entry = ["-m", "main"]
        mpath = [".frozen"]
        romfs = None
    else:
        build_mpy.build()  # bytecode ahead of time, as on a board (no compiling in the heap)
        romfs = not args.no_romfs and os.environ.get("METER_ROMFS", "1") != "0"
    if romfs:
        # as on a board: the image stands in for flash, mapped outside the GC heap; the heap
        # then holds data, not bytecode (tools/romfs_host/romfs_host.py)
        build_romfs.build()
        romfs = build_romfs.build_host()
    if romfs is None:
        pass
    elif romfs:
        entry = [os.path.join(ROOT, "tools", "romfs_host", "boot.py"), build_romfs.OUT, fw]
        mpath = [build_romfs.HOST_OUT, natmod, ".frozen"]
    else:
        entry = [os.path.join(fw, "main.py")]
        mpath = [fw, os.path.join(ROOT, "firmware"), natmod, ".frozen"]
    cmd = [mpy, "-X", "heapsize=%d" % args.heapsize] + entry + [
           "--tcp-port", str(args.tcp_port), "--tcp-host", args.tcp_host]
    try:
        os.makedirs(os.path.dirname(os.path.abspath(args.state_dir)), exist_ok=True)
    except OSError as e:
        fail("--state-dir %s: %s" % (args.state_dir, e.strerror or e))
    cmd += ["--state-dir", args.state_dir]
    if args.pki:
        r = subprocess.run([venv_python(), os.path.join(ROOT, "tools", "provision.py"),
                            args.pki], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode:  # provision.py says what in one line: "provision: DIR: ..."
            msg = (r.stderr.strip().splitlines() or ["failed"])[-1]
            fail("--pki " + (msg[len("provision: "):] if msg.startswith("provision: ")
                             else "%s: %s" % (args.pki, msg)))
        cmd += ["--pki", args.pki]
    pass_fds = []
    slave = None
    link = None
    if not args.no_hdlc:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        pass_fds.append(master)
        cmd += ["--hdlc-fd", str(master)]
        path = os.ttyname(slave)
        if args.pty_link:
            if os.path.lexists(args.pty_link):
                os.unlink(args.pty_link)  # a stale link (checked: a symlink)
            os.symlink(path, args.pty_link)
            link = args.pty_link
        print("HDLC optical port (pty): %s%s" % (
            path, " -> " + args.pty_link if args.pty_link else ""), flush=True)
    try:
        rc = serve(args, cmd, pass_fds, mpath)
    finally:
        if slave is not None:
            os.close(slave)
        if link is not None and os.path.islink(link) and os.readlink(link) == path:
            os.unlink(link)  # ours, not the link of a meter started since
    sys.exit(rc)


def serve(args, cmd, pass_fds, mpath):
    """Run the firmware until it stops -> its exit status."""
    if args.heap_report:
        cmd += ["--heap-report"]
    if args.single_phase:
        cmd += ["--single-phase"]
    if args.fill_lp1 is not None:
        cmd += ["--fill-lp1", str(args.fill_lp1)]
    if args.speed != 1:
        cmd += ["--speed", str(args.speed)]
    if args.start is not None:
        cmd += ["--start", str(args.start)]
    if args.load_curve:
        cmd += ["--load-curve", os.path.abspath(args.load_curve)]
    if args.rtc_lost:
        cmd += ["--rtc-lost"]
    if args.tcp_handshake_ms:
        cmd += ["--tcp-handshake-ms", str(args.tcp_handshake_ms)]
    # board events (hal/host.py): "D" power-fail warning on SIGTERM/SIGINT, so the meter
    # persists its state as a board does on its supply monitor; "B" demand reset button on
    # SIGUSR1
    ctl_r, ctl_w = os.pipe()
    pass_fds.append(ctl_r)
    cmd += ["--control-fd", str(ctl_r)]
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(mpath))
    # own session: a Ctrl-C reaches this supervisor only, which warns the meter (power fail)
    child = subprocess.Popen(cmd, pass_fds=pass_fds, env=env, start_new_session=True)
    if not args.no_hdlc:
        os.close(pass_fds[0])  # the child owns the master; we keep the slave open (no EIO)
    os.close(ctl_r)

    def stop(*_):
        try:
            os.write(ctl_w, b"D")
        except OSError:
            pass
        t = threading.Timer(5, child.terminate)  # a meter that does not stop in time
        t.daemon = True
        t.start()

    def button(*_):
        os.write(ctl_w, b"B")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGUSR1, button)
    return child.wait()


if __name__ == "__main__":
    main()
