# SPDX-License-Identifier: MIT
"""IC 8 Clock, version 0 (Blue Book 4.5.1) with the setting rules of KSMW 5.4.

Time is kept as an offset to the HAL's RTC, in meter seconds (UTC seconds since 2020,
dlms/util/timeconv.py) and milliseconds: small ints, so reading the clock allocates nothing
on a 32-bit port. Deviation follows the Blue Book sense: UTC = local time + deviation
(minutes); CET is time_zone = -60.
"""
from micropython import const

from dlms.apdu import axdr
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
    expect,
)
from dlms.util import timeconv as tc

IGNORE_BELOW_S = const(2)  # KSMW 5.4: differences < 2 s do not adjust the clock
SHIFT_MAX_S = const(900)  # Blue Book shift_time range -900..900 s


class Clock(CosemObject):
    CLASS_ID = 8
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
    WRITABLE = (2, 3, 5, 6, 7, 8)
    METHODS = (1, 2, 3, 4, 5, 6)

    def __init__(self, ln, now, time_zone=-60, dst_begin=None, dst_end=None,
                 dst_deviation=60, dst_enabled=True, clock_base=1, on_adjust=None):
        super().__init__(ln)
        self.now = now  # HAL: now(t) -> t[0] UTC s since 2020, t[1] ms (hal/base.py)
        self.off_s = 0  # meter time = RTC + off_s s + off_ms ms (0 <= off_ms < 1000)
        self.off_ms = 0
        self._mt = [0, 0]  # read(): meter time
        self._rt = [0, 0]  # board(): RTC time
        self.time_zone = time_zone
        # EU rule: last Sunday of March 02:00 local standard time, of October 03:00 DST
        self.dst_begin = dst_begin or b"\xff\xff\x03\xfe\x07\x02\x00\x00\x00\x80\x00\xff"
        self.dst_end = dst_end or b"\xff\xff\x0a\xfe\x07\x03\x00\x00\x00\x80\x00\xff"
        self.dst_deviation = dst_deviation
        self.dst_enabled = dst_enabled
        self.clock_base = clock_base
        self.status_flags = 0  # invalid/doubtful bits, set by the application (KSMW 5.4)
        self.preset = None
        self.at_s = None  # the instant the application is processing (meterapp/timeline)
        self.on_adjust = on_adjust  # callable(old_utc_s, new_utc_s) for clock-adjusted events
        self._buf = bytearray(12)
        self._changed()

    # --- time computations ---
    def board(self):
        """RTC time now -> [s, ms] (the clock's own list, overwritten by the next call)."""
        b = self._rt
        self.now(b)
        return b

    def read(self):
        """Meter time now -> [s, ms] (own list, overwritten by the next call); while the
        application processes an earlier instant (stepping through time), that instant."""
        t = self._mt
        if self.at_s is not None:
            t[0] = self.at_s
            t[1] = 0
            return t
        self.now(t)
        ms = t[1] + self.off_ms
        t[0] += self.off_s
        if ms >= 1000:
            ms -= 1000
            t[0] += 1
        t[1] = ms
        return t

    def utc(self):
        """Meter seconds now (or the instant being processed)."""
        if self.at_s is not None:
            return self.at_s
        return self.read()[0]

    def _switch_utc(self, pattern, y, dev):
        mo = pattern[2]
        if mo == 0xFF or mo > 12:
            return None
        day = tc.resolve_day(y, mo, pattern[3], pattern[4])
        if day is None:
            return None
        h = pattern[5] if pattern[5] != 0xFF else 0
        mi = pattern[6] if pattern[6] != 0xFF else 0
        return tc.to_secs(y, mo, day, h, mi, 0) + dev * 60

    def _switches(self, utc_s):
        # DST switch instants of the local year holding utc_s; recomputed once a year
        if self._ys <= utc_s < self._ye:
            return
        tz = self.time_zone
        y = tc.from_secs(utc_s - tz * 60)[0]
        self._ys = tc.to_secs(y, 1, 1, 0, 0, 0) + tz * 60
        self._ye = tc.to_secs(y + 1, 1, 1, 0, 0, 0) + tz * 60
        self._b = self._switch_utc(self.dst_begin, y, tz)
        self._e = self._switch_utc(self.dst_end, y, tz - self.dst_deviation)

    def _changed(self):
        self._ys = self._ye = 0

    def dst_active(self, utc_s):
        if not self.dst_enabled:
            return False
        self._switches(utc_s)
        b = self._b
        e = self._e
        if b is None or e is None:
            return False
        if b < e:
            return b <= utc_s < e
        return utc_s >= b or utc_s < e  # southern hemisphere

    def deviation(self, utc_s):
        if self.dst_active(utc_s):
            return self.time_zone - self.dst_deviation
        return self.time_zone

    def local(self, utc_s):
        return utc_s - self.deviation(utc_s) * 60

    def status(self, utc_s):
        return self.status_flags | (tc.STATUS_DST if self.dst_active(utc_s) else 0)

    def datetime(self, buf=None, s=None, ms=0):
        """12-byte local date-time of now (or of meter second s + ms) into buf (default:
        own buffer)."""
        if s is None:
            t = self.read()
            s = t[0]
            ms = t[1]
        if buf is None:
            buf = self._buf
        dst = self.dst_active(s)
        dev = self.time_zone - self.dst_deviation if dst else self.time_zone
        st = self.status_flags | (tc.STATUS_DST if dst else 0)
        tc.pack_datetime(buf, 0, s - dev * 60, ms // 10, dev, st)
        return buf

    def local_to_utc(self, local_s):
        """UTC for a local wall time, or None when it does not exist (spring gap).
        An ambiguous time (autumn) keeps the season active now (KSMW 5.4)."""
        std = local_s + self.time_zone * 60
        dst = local_s + (self.time_zone - self.dst_deviation) * 60
        ok_std = not self.dst_active(std)
        ok_dst = self.dst_enabled and self.dst_active(dst)
        if ok_std and ok_dst:
            return dst if self.dst_active(self.utc()) else std
        if ok_std:
            return std
        if ok_dst:
            return dst
        return None

    def set_utc(self, new_s, new_ms=0, quiet=False):
        """Move the clock to meter second new_s + new_ms; quiet: no on_adjust (the
        application restores a time itself, e.g. KSMW 5.4 power reserve exhausted)."""
        old = self.utc()
        b = self.board()
        s = new_s - b[0]
        ms = new_ms - b[1]
        if ms < 0:
            ms += 1000
            s -= 1
        self.off_s = s
        self.off_ms = ms
        if self.on_adjust is not None and not quiet:
            self.on_adjust(old, self.utc())

    def set_local(self, dt):
        """Apply a 12-byte date-time per KSMW 5.4; returns a Data-Access-Result."""
        y, mo, d, _wd, h, mi, s, _hs, _dev, _st = tc.unpack_datetime(dt)
        if y == 0xFFFF or mo > 12 or mo == 0 or d == 0 or d > tc.days_in_month(y, mo):
            return OTHER_REASON
        if h > 23 or mi > 59 or s > 59:
            return OTHER_REASON
        utc_s = self.local_to_utc(tc.to_secs(y, mo, d, h, mi, s))
        if utc_s is None:  # non-existent local time -> other-reason (KSMW 5.4)
            return OTHER_REASON
        t = self.read()
        if abs((utc_s - t[0]) * 1000 - t[1]) < IGNORE_BELOW_S * 1000:
            return SUCCESS
        self.set_utc(utc_s)
        return SUCCESS

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 2:
            w.octets(self.datetime())
        elif attr == 3:
            w.tagged(axdr.INT16, self.time_zone)
        elif attr == 4:
            w.tagged(axdr.UINT8, self.status(self.utc()))
        elif attr == 5:
            w.octets(self.dst_begin)
        elif attr == 6:
            w.octets(self.dst_end)
        elif attr == 7:
            w.tagged(axdr.INT8, self.dst_deviation)
        elif attr == 8:
            w.boolean(self.dst_enabled)
        elif attr == 9:
            w.tagged(axdr.ENUM, self.clock_base)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        if attr not in self.WRITABLE:
            return READ_WRITE_DENIED
        tag, v = d
        if attr == 2:
            if tag not in (axdr.OCTET_STRING, axdr.DATE_TIME) or len(v) != 12:
                return TYPE_UNMATCHED
            return self.set_local(v)
        if attr == 3:
            if tag != axdr.INT16 or not -720 <= v <= 720:
                return TYPE_UNMATCHED
            self.time_zone = v
            self._changed()
        elif attr in (5, 6):
            if tag != axdr.OCTET_STRING or len(v) != 12:
                return TYPE_UNMATCHED
            if attr == 5:
                self.dst_begin = v
            else:
                self.dst_end = v
            self._changed()
        elif attr == 7:
            if tag != axdr.INT8 or not -120 <= v <= 120:
                return TYPE_UNMATCHED
            self.dst_deviation = v
            self._changed()
        elif attr == 8:
            if tag != axdr.BOOLEAN:
                return TYPE_UNMATCHED
            self.dst_enabled = v
            self._changed()
        return SUCCESS

    def action(self, method, d, ctx):
        t = self.read()
        s = t[0]
        ms = t[1]
        if method == 6:  # shift_time(long seconds)
            v = expect(d, axdr.INT16)
            if v is None:
                return TYPE_UNMATCHED, None
            if not -SHIFT_MAX_S <= v <= SHIFT_MAX_S:
                return OTHER_REASON, None
            self.set_utc(s + v, ms)
        elif method in (1, 2, 3):
            # adjust_to_quarter / _measuring_period (15 min here) / _minute: to the nearest
            # boundary (half way rounds up)
            step = 60 if method == 3 else 900
            r = s % step
            s -= r
            if r * 1000 + ms >= step * 500:
                s += step
            self.set_utc(s)
        elif method == 5:  # preset_adjusting_time(structure {preset, validity_begin, _end})
            v = expect(d, axdr.STRUCTURE)
            if v is None or len(v) != 3 or any(e[0] != axdr.OCTET_STRING for e in v):
                return TYPE_UNMATCHED, None
            self.preset = [e[1] for e in v]
        elif method == 4:  # adjust_to_preset_time, only inside the validity interval
            if self.preset is None:
                return OTHER_REASON, None
            return self.set_local(self.preset[0]), None
        else:
            return OBJECT_UNDEFINED, None
        return SUCCESS, None
