# SPDX-License-Identifier: MIT
"""Host board for the unix port: RTC from the OS clock, optical port = an inherited pty fd
(created by tools/run_meter.py), DLMS wrapper on a TCP socket."""
import time

from dlms.util.timeconv import EPOCH_SHIFT
from hal.base import Board


class HostBoard(Board):
    """The simulated meter is poly-phase (KSMW 5.1 meter type 200, the whole object list);
    --single-phase makes it a type 100 meter (the rows without `poly`)."""

    def __init__(self, argv):
        self.identity = dict(Board.identity, meter_type="200")
        self.tcp_host = "127.0.0.1"
        self.tcp_port = 4059
        self.hdlc_fd = None
        self.state_dir = None
        self.pki_dir = None
        self.heap_report = False
        self.fill_lp1 = None  # --fill-lp1 T0: LP1 holds 5760 test entries from unix time T0
        self._store = None
        i = 1
        while i < len(argv):
            k = argv[i]
            v = argv[i + 1] if i + 1 < len(argv) else None
            if k == "--tcp-port":
                self.tcp_port = int(v)
            elif k == "--tcp-host":
                self.tcp_host = v
            elif k == "--hdlc-fd":
                self.hdlc_fd = int(v)
            elif k == "--state-dir":
                self.state_dir = v
            elif k == "--pki":
                self.pki_dir = v
            elif k == "--heap-report":  # diagnostics: live heap every second
                self.heap_report = True
                i -= 1
            elif k == "--single-phase":
                self.identity = dict(self.identity, meter_type="100")
                i -= 1
            elif k == "--fill-lp1":
                self.fill_lp1 = int(v)
            elif k == "--serial":
                self.identity = dict(self.identity, serial=v)
            else:
                i -= 1
            i += 2

    def now_ms(self):
        return time.time_ns() // 1000000 + EPOCH_SHIFT * 1000

    def ticks_ms(self):
        return time.ticks_ms()

    def has_optical_port(self):
        return self.hdlc_fd is not None

    def optical_port(self):
        if self.hdlc_fd is None:
            return None
        return open(self.hdlc_fd, "r+b", buffering=0)

    def store(self):
        if self.state_dir is None:
            return None
        if self._store is None:
            from meterapp.nvstore import RecordStore

            self._store = RecordStore(self.state_dir)
        return self._store

    def pki(self):
        """Files of tools/provision.py in --pki DIR (the factory provisioning step)."""
        if self.pki_dir is None:
            return None
        import os

        files = {}
        for f in os.listdir(self.pki_dir):
            if f.endswith(".der") or f == "meter.key":
                with open(self.pki_dir + "/" + f, "rb") as fh:
                    files[f] = fh.read()
        return files

    def tcp_endpoint(self):
        if self.tcp_port <= 0:
            return None
        return self.tcp_host, self.tcp_port
