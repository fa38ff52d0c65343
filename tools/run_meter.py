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
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def micropython_binary():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tcp-port", type=int, default=4059, help="0 disables TCP")
    p.add_argument("--tcp-host", default="127.0.0.1")
    p.add_argument("--pty-link", help="also make a symlink to the pty at this path")
    p.add_argument("--no-hdlc", action="store_true")
    p.add_argument("--heapsize", default="256k")
    p.add_argument("--lls", help="management client LLS secret")
    p.add_argument("--state-dir", default=os.path.join(ROOT, "run", "state"),
                   help="non-volatile state (frame counters ...), kept across restarts")
    args = p.parse_args()

    cmd = [micropython_binary(), "-X", "heapsize=" + args.heapsize,
           os.path.join(ROOT, "build", "fw-mpy", "main.py"),
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
    if args.lls:
        cmd += ["--lls", args.lls]
    os.makedirs(os.path.dirname(args.state_dir), exist_ok=True)
    cmd += ["--state-dir", args.state_dir]
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build_mpy

    build_mpy.build()  # bytecode ahead of time, as on a board (no compiling in the heap)
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [os.path.join(ROOT, "build", "fw-mpy"), os.path.join(ROOT, "firmware"),
         os.path.join(ROOT, "build", "natmod"), ".frozen"]))
    child = subprocess.Popen(cmd, pass_fds=pass_fds, env=env)
    if pass_fds:
        os.close(pass_fds[0])  # the child owns the master; we keep the slave open (no EIO)

    def stop(*_):
        child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    rc = child.wait()
    if slave is not None:
        os.close(slave)
    if args.pty_link and os.path.lexists(args.pty_link):
        os.unlink(args.pty_link)
    sys.exit(rc)


if __name__ == "__main__":
    main()
