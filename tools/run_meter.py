#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Start the simulated meter: the firmware under the MicroPython unix port, serving DLMS on
the IEC 62056-47 TCP wrapper and HDLC on a pseudo-terminal that stands in for the optical
head. Prints the TCP port and the pty path, then relays the firmware's output."""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def micropython_binary():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


def parse_time(v):
    """unix seconds or an ISO date-time in UTC -> unix seconds."""
    if v.isdigit():
        return int(v)
    import datetime

    return int(datetime.datetime.fromisoformat(v).replace(
        tzinfo=datetime.timezone.utc).timestamp())


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tcp-port", type=int, default=4059, help="0 disables TCP")
    p.add_argument("--tcp-host", default="127.0.0.1")
    p.add_argument("--pty-link", help="also make a symlink to the pty at this path")
    p.add_argument("--no-hdlc", action="store_true")
    p.add_argument("--heapsize", default="352k")
    p.add_argument("--pki", default=os.path.join(ROOT, "run", "pki"),
                   help="test PKI (tools/provision.py makes it when missing); '' for none")
    p.add_argument("--state-dir", default=os.path.join(ROOT, "run", "state"),
                   help="non-volatile state (frame counters ...), kept across restarts")
    p.add_argument("--single-phase", action="store_true",
                   help="a single-phase meter (KSMW 5.1 type 100); default poly-phase (200)")
    p.add_argument("--heap-report", action="store_true",
                   help="the firmware prints its live heap every second")
    p.add_argument("--fill-lp1", type=int, metavar="T0",
                   help="test aid: LP1 holds 5760 deterministic entries from unix time T0 "
                   "(meterapp/profiles.py lp1_row)")
    p.add_argument("--speed", type=int, default=1,
                   help="simulated clock: seconds of meter time per real second (e.g. 900: a "
                   "quarter hour per second, a day in 96 s)")
    p.add_argument("--start", metavar="TIME",
                   help="simulated clock start: unix seconds or ISO 'YYYY-MM-DDTHH:MM[:SS]' "
                   "UTC (default: now)")
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

    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build_mpy
    import build_romfs

    build_mpy.build()  # bytecode ahead of time, as on a board (no compiling in the heap)
    fw = os.path.join(ROOT, "build", "fw-mpy")
    natmod = os.path.join(ROOT, "build", "natmod")
    romfs = not args.no_romfs and os.environ.get("METER_ROMFS", "1") != "0"
    if romfs:
        # as on a board: the image stands in for flash, mapped outside the GC heap; the heap
        # then holds data, not bytecode (tools/romfs_host/romfs_host.py)
        build_romfs.build()
        romfs = build_romfs.build_host()
    if romfs:
        entry = [os.path.join(ROOT, "tools", "romfs_host", "boot.py"), build_romfs.OUT, fw]
        mpath = [build_romfs.HOST_OUT, natmod, ".frozen"]
    else:
        entry = [os.path.join(fw, "main.py")]
        mpath = [fw, os.path.join(ROOT, "firmware"), natmod, ".frozen"]
    cmd = [micropython_binary(), "-X", "heapsize=" + args.heapsize] + entry + [
           "--tcp-port", str(args.tcp_port), "--tcp-host", args.tcp_host]
    pass_fds = []
    slave = None
    if not args.no_hdlc:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        pass_fds.append(master)
        cmd += ["--hdlc-fd", str(master)]
        path = os.ttyname(slave)
        if args.pty_link:
            if os.path.lexists(args.pty_link):
                os.unlink(args.pty_link)
            os.symlink(path, args.pty_link)
        print("HDLC optical port (pty): %s%s" % (
            path, " -> " + args.pty_link if args.pty_link else ""), flush=True)
    if args.pki:
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "provision.py"), args.pki],
                       check=True, stdout=subprocess.DEVNULL)
        cmd += ["--pki", args.pki]
    os.makedirs(os.path.dirname(args.state_dir), exist_ok=True)
    cmd += ["--state-dir", args.state_dir]
    if args.heap_report:
        cmd += ["--heap-report"]
    if args.single_phase:
        cmd += ["--single-phase"]
    if args.fill_lp1 is not None:
        cmd += ["--fill-lp1", str(args.fill_lp1)]
    if args.speed != 1:
        cmd += ["--speed", str(args.speed)]
    if args.start:
        cmd += ["--start", str(parse_time(args.start))]
    if args.load_curve:
        cmd += ["--load-curve", os.path.abspath(args.load_curve)]
    if args.rtc_lost:
        cmd += ["--rtc-lost"]
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
    rc = child.wait()
    if slave is not None:
        os.close(slave)
    if args.pty_link and os.path.lexists(args.pty_link):
        os.unlink(args.pty_link)
    sys.exit(rc)


if __name__ == "__main__":
    main()
