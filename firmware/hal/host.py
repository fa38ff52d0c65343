# SPDX-License-Identifier: MIT
"""Host board for the unix port: RTC from the OS clock (or a simulated clock starting at
--start and running --speed times faster), optical port = an inherited pty fd (created by
tools/run_meter.py), DLMS wrapper on a TCP socket, metering from a replayed load curve
(hal/sim_metering.py, --load-curve FILE), board events from a control pipe (--control-fd:
"D" power-fail warning, "B" demand reset button; end of file = power fail)."""
import time

from dlms.util.timeconv import PORT_EPOCH_S, secs_from_unix
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
        self.fill_lp1 = None  # --fill-lp1 T0 (unix s): LP1 holds 5760 test entries from T0
        self.speed = 1
        self.start = None  # unix seconds of the simulated clock at boot
        self.curve_file = None
        self.control_fd = None
        self._rtc_valid = True
        i = 1
        while i < len(argv):
            k = argv[i]
            v = argv[i + 1] if i + 1 < len(argv) else None
            if k == "--tcp-port":
                self.tcp_port = int(v)
            elif k == "--tcp-host":
                self.tcp_host = v
            elif k == "--tcp-handshake-ms":  # tests: a shorter TCP handshake time
                self.tcp_handshake_ms = int(v)
            elif k == "--hdlc-fd":
                self.hdlc_fd = int(v)
            elif k == "--state-dir":
                self.state_dir = v
            elif k == "--pki":
                self.pki_dir = v
            elif k == "--heap-report":  # diagnostics: live heap as requests are served
                self.heap_report = True
                i -= 1
            elif k == "--single-phase":
                self.identity = dict(self.identity, meter_type="100")
                i -= 1
            elif k == "--fill-lp1":
                self.fill_lp1 = secs_from_unix(int(v))
            elif k == "--speed":  # simulated seconds per real second, >= 1 (run_meter.py)
                self.speed = max(1, int(v))
            elif k == "--start":  # unix seconds
                self.start = int(v)
            elif k == "--load-curve":
                self.curve_file = v
            elif k == "--control-fd":
                self.control_fd = int(v)
            elif k == "--rtc-lost":  # the RTC lost its power reserve while off (KSMW 5.4)
                self._rtc_valid = False
                i -= 1
            elif k == "--serial":
                self.identity = dict(self.identity, serial=v)
            else:
                i -= 1
            i += 2
        self._t0 = None  # the simulated clock stands still until the meter is ready
        self._base = (secs_from_unix(self.start) * 1000 if self.start is not None
                      else self._os_ms())  # meter milliseconds at _t0
        self._ctl = None

    @staticmethod
    def _os_ms():
        return time.time_ns() // 1000000 + PORT_EPOCH_S * 1000

    def now(self, t):
        if self.speed == 1 and self.start is None:
            ms = self._os_ms()
        elif self._t0 is None:
            ms = self._base
        else:
            now = time.ticks_ms()
            d = time.ticks_diff(now, self._t0)
            if d > 3600000:  # folded in hourly: ticks_diff spans half the ticks period
                self._base += d * self.speed
                self._t0 = now
                d = 0
            ms = self._base + d * self.speed
        t[0] = ms // 1000
        t[1] = ms % 1000

    def ready(self):
        """The meter serves: a simulated clock starts running at --start."""
        if self._t0 is None:
            self._t0 = time.ticks_ms()

    def loop_ms(self):
        # at most 60 simulated seconds per loop step, at least 20 ms of real time
        return max(20, min(1000, 60000 // max(1, self.speed)))

    def metering(self, local):
        from hal.sim_metering import SimMetering, parse_curve

        curve = None
        if self.curve_file:
            with open(self.curve_file) as f:
                curve = parse_curve(f.read())
        return SimMetering(local, curve, 1 if self.identity["meter_type"] == "100" else 3)

    def rtc_valid(self):
        return self._rtc_valid

    def rtc_set(self):
        """--start sets the simulated RTC: the meter time is --start, whatever a client set
        before the restart."""
        return self.start is not None

    def events(self):
        if self.control_fd is None:
            return ""
        if self._ctl is None:
            import select

            self._cf = open(self.control_fd, "rb", buffering=0)
            self._ctl = select.poll()
            self._ctl.register(self._cf, select.POLLIN)
        if not self._ctl.poll(0):
            return ""
        b = self._cf.read(1)  # one byte per poll: a stream read(n) waits for all n
        return b.decode() if b else "D"  # the supervisor went away: power fail

    def ticks_ms(self):
        return time.ticks_ms()

    def has_optical_port(self):
        return self.hdlc_fd is not None

    def optical_port(self):
        if self.hdlc_fd is None:
            return None
        return open(self.hdlc_fd, "r+b", buffering=0)

    def store_dir(self):
        return self.state_dir

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
