# SPDX-License-Identifier: MIT
"""IC 5 Demand register, version 0 (Blue Book 4.3.4): current_average_value,
last_average_value, scaler_unit, status, capture_time, start_time_current, period,
number_of_periods; methods 1 reset, 2 next_period.

The application feeds the integral of the measured quantity (value x seconds, in the
register's units: 1 Wh = 3600 W.s for a W register) with add(), and calls tick(t) with the
time; a period ends when t crosses a multiple of `period`. Sliding demand (Blue Book: the
denominator is number_of_periods x period): the window holds the last number_of_periods
periods;
  last_average_value    = sum of the last n closed periods / (n x period),
  current_average_value = (last n-1 closed periods + the running one) / (n x period).
n = 1 is block demand (KSMW 5.3: 900 s, one period).

Time changes (KSMW 5.3: as the load profile interval): tick(t) with t forward over one or more
period ends closes the running period once and then one empty period per further end
(at most n: the window is then all zeros), e.g. after a power failure; t backward closes
nothing, the running period ends at the next multiple after the new time. Pass UTC seconds so
that DST changes do not stretch a period.
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    CosemObject, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED,
    no_data,
)

_UNSET = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x00\xff"  # date-time not specified


class DemandRegister(CosemObject):
    CLASS_ID = 5
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
    METHODS = (1, 2)

    def __init__(self, ln, now, scaler=0, unit=27, tag=axdr.UINT32, period=900,
                 number_of_periods=1, max_periods=15, wrap=0, writable=(8, 9),
                 on_period_end=None):
        """now() -> 12-byte date-time (capture_time, start_time_current);
        tag: A-XDR type of the average values; wrap: values reported modulo wrap (KSMW 5.3
        display resolution, 0 = none); on_period_end(reg) after every closed period (maximum
        demand, KSMW 5.3)."""
        super().__init__(ln)
        self.now = now
        self.scaler = scaler
        self.unit = unit
        self.tag = tag
        self.max_periods = max_periods
        self.wrap = wrap
        self.WRITABLE = tuple(writable)
        self.on_period_end = on_period_end
        self.status = 0  # KSMW 5.3: not used, stays 0
        self.period = period
        self.n = number_of_periods
        self.last = 0
        self.capture_time = _UNSET
        self._idx = None  # index of the running period (t // period)
        self._restart(True)

    def _restart(self, clear_last):
        # a new measurement: empty window, the running period starts now
        self.ring = [0] * self.n
        self.pos = 0
        self.acc = 0
        self.start_time = bytes(self.now())
        if clear_last:
            self.last = 0

    # --- application API ---
    def add(self, integral):
        """Add value x seconds measured in the running period."""
        self.acc += integral

    def add_power(self, value, seconds):
        self.acc += value * seconds

    def _avg(self, x):
        d = self.n * self.period
        v = (x + d // 2) // d if x >= 0 else -((d // 2 - x) // d)
        return v % self.wrap if self.wrap else v

    def current(self):
        return self._avg(sum(self.ring) - self.ring[self.pos] + self.acc)

    def close(self):
        """End the running period (Blue Book next_period): last_average_value updated,
        capture_time and start_time_current = now, a new period starts."""
        self.ring[self.pos] = self.acc
        self.pos = (self.pos + 1) % self.n
        self.acc = 0
        self.last = self._avg(sum(self.ring))
        t = bytes(self.now())
        self.capture_time = t
        self.start_time = t
        if self.on_period_end is not None:
            self.on_period_end(self)

    def tick(self, t):
        """Time in seconds (UTC advised); closes periods whose end was crossed -> number
        closed."""
        i = t // self.period
        j = self._idx
        self._idx = i
        if j is None or i <= j:  # first tick, same period, or clock set backward
            return 0
        k = i - j
        if k > self.n + 1:
            k = self.n + 1  # the rest would only close more empty periods
        for _ in range(k):
            self.close()
        return k

    def interrupt(self, t, start):
        """The time jumps to t (UTC s, a clock setting): the running period closes now and
        the next one, started at t (12-byte date-time start), ends at the first period end
        after t."""
        self.close()
        self._idx = t // self.period
        self.start_time = bytes(start)

    def reset(self):
        """Blue Book reset: averages to 0, capture_time and start_time_current = now."""
        self._restart(True)
        self.capture_time = self.start_time

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 2:
            w.tagged(self.tag, self.current())
        elif attr == 3:
            w.tagged(self.tag, self.last)
        elif attr == 4:  # scaler_unit (dlms-notes 1.7)
            w.structure(2)
            w.tagged(axdr.INT8, self.scaler)
            w.tagged(axdr.ENUM, self.unit)
        elif attr == 5:
            w.tagged(axdr.UINT8, self.status)
        elif attr == 6:
            w.octets(self.capture_time)
        elif attr == 7:
            w.octets(self.start_time)
        elif attr == 8:
            w.tagged(axdr.UINT32, self.period)
        elif attr == 9:
            w.tagged(axdr.UINT16, self.n)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        # writing period or number_of_periods restarts the measurement (Blue Book: the
        # behaviour is manufacturer specific); last_average_value and capture_time are kept
        if attr not in self.WRITABLE:
            return READ_WRITE_DENIED
        if attr == 8:
            if d[0] != axdr.UINT32:
                return TYPE_UNMATCHED
            if d[1] == 0:
                return OTHER_REASON
            self.period = d[1]
        elif attr == 9:
            if d[0] != axdr.UINT16:
                return TYPE_UNMATCHED
            if not 1 <= d[1] <= self.max_periods:
                return OTHER_REASON
            self.n = d[1]
        else:
            return READ_WRITE_DENIED
        self._idx = None
        self._restart(False)
        return SUCCESS

    def action(self, method, d, ctx):
        # reset(data) / next_period(data), data ::= integer(0)
        if method not in (1, 2):
            return OBJECT_UNDEFINED, None
        if not no_data(d):
            return TYPE_UNMATCHED, None
        if method == 1:
            self.reset()
        else:
            self.close()
        return SUCCESS, None
