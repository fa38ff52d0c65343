# SPDX-License-Identifier: MIT
"""IC 22 Single action schedule, version 0 (Blue Book 4.5.7): executed_script {script
logical name, script_selector}, type, execution_time array of {time, date}.

Types (Blue Book 4.5.7): 1 one entry, date wildcards allowed; 2 n entries, same time, no date
wildcards; 3 n entries, same time, date wildcards allowed; 4 n entries, times may differ, no
date wildcards; 5 n entries, times may differ, date wildcards allowed. Writing
execution_time checks it against the current type; writing the type checks nothing (a
client can then write type and times in either order). An empty array, or an entry whose
hour, minute and second are all not specified, schedules nothing (KSMW 5.6: capture date
and time "undefined" disables the monthly billing). Wildcards in the time repeat it (KSMW
10.5: 60 entries FF:FF:ss push every second).

Execution (KSMW 5.4.1), with tick(utc, local) called by the application at least once a
second and at power up (dtpattern.Crossing):
- an execution time is executed only when the clock runs over it;
- power down/up and clock set forward: if at least one execution time lies in the interval,
  the script runs once after power up / after the shift;
- clock set backward: no action (times passed again later are executed again);
- DST begin: times in the skipped hour run once at the switch; DST end: times in the
  repeated hour are not executed a second time;
- execution times configured in the past are not executed.
"""
from micropython import const

from dlms.apdu import axdr
from dlms.cosem.base import (
    OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)
from dlms.util import dtpattern as dp

_REC = const(9)  # time(4) date(5)
SCAN_DAYS = const(1462)  # horizon of the next-instant search: 4 years cover every yearly rule


class SingleActionSchedule(CosemObject):
    CLASS_ID = 22
    VERSION = 0
    ATTRS = (1, 2, 3, 4)
    WRITABLE = (2, 3, 4)

    def __init__(self, ln, script_ln, selector, type_=1, times=(), max_entries=60,
                 run_script=None, allowed=None):
        """times: ((time4, date5), ...); run_script(script_ln, selector) runs the script when
        due; allowed: ((script_ln, selector), ...) the only values attribute 2 accepts
        (KSMW 5.8: disconnect scheduler, scripts 3 and 4 only), None = any."""
        super().__init__(ln)
        self.script_ln = bytes(script_ln)
        self.selector = selector
        self.type = type_
        self.max_entries = max_entries
        self.run_script = run_script
        self.allowed = allowed
        self.crossing = dp.Crossing()
        self.times = b""
        self._live = ()
        self._cache = None  # (from, next instant or horizon, found)
        r = self.set_times(times)
        if r:
            raise ValueError("execution_time")

    # --- application API ---
    def set_times(self, times):
        """times: ((time4, date5), ...) -> result code (checked against the type)."""
        if len(times) > self.max_entries:
            return OTHER_REASON
        b = bytearray(len(times) * _REC)
        for k in range(len(times)):
            t, d = times[k]
            if len(t) != 4 or len(d) != 5:
                return TYPE_UNMATCHED
            b[k * _REC:k * _REC + 4] = t
            b[k * _REC + 4:k * _REC + 9] = d
        r = self._check(b, self.type)
        if r:
            return r
        self.times = bytes(b)
        # offsets of the entries that schedule something (time not all "not specified")
        self._live = tuple(k * _REC for k in range(len(times)) if not (
            b[k * _REC] == 0xFF and b[k * _REC + 1] == 0xFF and b[k * _REC + 2] == 0xFF))
        self._cache = None
        return SUCCESS

    def _check(self, b, typ):
        n = len(b) // _REC
        if typ == 1 and n > 1:
            return OTHER_REASON
        for k in range(n):
            o = k * _REC
            if not dp.time_ok(b, o) or not dp.date_ok(b, o + 4):
                return OTHER_REASON
            if typ in (2, 4) and dp.date_wild(b, o + 4):
                return OTHER_REASON
            if typ in (2, 3) and b[o:o + 3] != b[0:3]:
                return OTHER_REASON
        return SUCCESS

    def next_after(self, t):
        """First execution instant (local seconds) > t, or None within SCAN_DAYS."""
        b = self.times
        live = self._live
        if not live:
            return None
        day = t // dp.DAY
        after = t - day * dp.DAY
        for i in range(SCAN_DAYS):
            y, mo, d, wd = dp.civil(day + i)
            best = None
            for o in live:
                if dp.date_match(b, o + 4, y, mo, d, wd):
                    s = dp.next_time(b, o, after)
                    if s is not None and (best is None or s < best):
                        best = s
            if best is not None:
                return (day + i) * dp.DAY + best
            after = -1
        return None

    def due(self, a, b):
        """Is there an execution instant in (a, b] (local seconds)? Cached: a scheduler
        ticking every second searches again only after the next instant has passed."""
        if b <= a:
            return False
        c = self._cache
        if c is None or not c[0] <= a < c[1]:
            nxt = self.next_after(a)
            if nxt is None:  # nothing up to the scan horizon
                c = (a, (a // dp.DAY + SCAN_DAYS) * dp.DAY, False)
            else:
                c = (a, nxt, True)
            self._cache = c
        return c[2] and b >= c[1]

    def next_instant(self, a):
        """First execution instant (local seconds) after a, or None up to the scan horizon
        (cached as due())."""
        self.due(a, a + 1)
        c = self._cache
        return c[1] if c[2] else None

    def tick(self, utc, local):
        """KSMW 5.4.1 crossing: run the script once if an execution time was passed since
        the last tick -> True if it ran."""
        a = self.crossing.tick(utc, local)
        if a is None or not self.due(a, local):
            return False
        if self.run_script is not None:
            self.run_script(self.script_ln, self.selector)
        return True

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 2:
            w.structure(2)
            w.octets(self.script_ln)
            w.tagged(axdr.UINT16, self.selector)
        elif attr == 3:
            w.tagged(axdr.ENUM, self.type)
        elif attr == 4:
            return self._times_gen(w)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def _times_gen(self, w):
        b = self.times
        n = len(b) // _REC
        w.array(n)
        for k in range(n):
            o = k * _REC
            w.structure(2)
            w.u8(axdr.OCTET_STRING)
            w.u8(4)
            w.raw(b[o:o + 4])
            w.u8(axdr.OCTET_STRING)
            w.u8(5)
            w.raw(b[o + 4:o + 9])
            if k % 16 == 15:
                yield

    def set(self, attr, d, ctx):
        if attr not in self.WRITABLE:
            return READ_WRITE_DENIED
        tag, v = d
        if attr == 2:
            if tag != axdr.STRUCTURE or len(v) != 2:
                return TYPE_UNMATCHED
            ln, sel = v
            if ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6 or sel[0] != axdr.UINT16:
                return TYPE_UNMATCHED
            if self.allowed is not None and (ln[1], sel[1]) not in self.allowed:
                return OTHER_REASON
            self.script_ln = ln[1]
            self.selector = sel[1]
            return SUCCESS
        if attr == 3:
            if tag != axdr.ENUM:
                return TYPE_UNMATCHED
            if not 1 <= v <= 5:
                return OTHER_REASON
            self.type = v
            return SUCCESS
        if tag != axdr.ARRAY:
            return TYPE_UNMATCHED
        times = []
        for e in v:
            if e[0] != axdr.STRUCTURE or len(e[1]) != 2:
                return TYPE_UNMATCHED
            t, dt = e[1]
            if t[0] not in (axdr.OCTET_STRING, axdr.TIME) or len(t[1]) != 4:
                return TYPE_UNMATCHED
            if dt[0] not in (axdr.OCTET_STRING, axdr.DATE) or len(dt[1]) != 5:
                return TYPE_UNMATCHED
            times.append((t[1], dt[1]))
        return self.set_times(times)
