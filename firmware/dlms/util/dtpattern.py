# SPDX-License-Identifier: MIT
"""COSEM date/time patterns with wildcards (Blue Book 4.1.6.1; dlms-notes 1.5) for the special
days table, the activity calendar and the single action schedule, and the crossing rule of
KSMW 5.4.1 shared by the schedulers.

Times are "local seconds": local wall time counted like the meter's seconds (timeconv.to_secs
of the local fields), as Clock.local() returns them. Patterns are raw bytes: date = 5 bytes
(year hi/lo, month, day of month, day of week), time = 4 bytes (hour, minute, second,
hundredths); 0xFF = not specified, day of month 0xFE/0xFD = last/second last day.
"""
from micropython import const

from dlms.util import timeconv as tc

NS = const(0xFF)  # not specified
DAY = const(86400)


def date_ok(b, off=0):
    """Field ranges of a 5-byte date pattern. The DST month notation (FD/FE) is refused: no
    special day or execution date here is tied to the clock's DST switch."""
    mo = b[off + 2]
    dom = b[off + 3]
    dow = b[off + 4]
    return ((1 <= mo <= 12 or mo == NS) and (1 <= dom <= 31 or dom >= 0xFD)
            and (1 <= dow <= 7 or dow == NS))


def time_ok(b, off=0, wild=True):
    """Field ranges of a 4-byte time pattern; wild=False: hour and minute must be given."""
    h = b[off]
    m = b[off + 1]
    s = b[off + 2]
    c = b[off + 3]
    if not wild and (h == NS or m == NS):
        return False
    return (h < 24 or h == NS) and (m < 60 or m == NS) and (s < 60 or s == NS) and (
        c < 100 or c == NS)


def date_wild(b, off=0):
    """True if year, month or day of month is a wildcard or special value (Blue Book 4.5.7
    types 2 and 4 forbid these; the day of week alone is derivable, not a wildcard)."""
    return b[off] == NS and b[off + 1] == NS or b[off + 2] >= 0xFD or b[off + 3] >= 0xFD


def date_match(b, off, y, mo, d, wd):
    """Does the 5-byte date pattern at b[off] match the civil date (wd 1 = Monday)?
    Day of month and day of week both given: that weekday on or after the day (FE/FD: the
    last such weekday), as timeconv.resolve_day. DST months FD/FE never match."""
    py = (b[off] << 8) | b[off + 1]
    if py != 0xFFFF and py != y:
        return False
    pm = b[off + 2]
    if pm != NS and pm != mo:
        return False
    dom = b[off + 3]
    dow = b[off + 4]
    if dom == NS:
        return dow == NS or dow == wd
    if dom < 0xFD and dow == NS:
        return dom == d
    return tc.resolve_day(y, mo, dom, dow) == d


def next_time(b, off, after):
    """Smallest second of the day > `after` (-1: from midnight) matching the 4-byte time
    pattern at b[off] (0xFF = every value of that field), or None. Hundredths ignored."""
    ph = b[off]
    pm = b[off + 1]
    ps = b[off + 2]
    s = after + 1
    while s < DAY:
        h = s // 3600
        m = (s // 60) % 60
        sec = s % 60
        if ph != NS and h != ph:
            if h > ph:
                return None
            s = ph * 3600
        elif pm != NS and m != pm:
            s = h * 3600 + pm * 60 if m < pm else (h + 1) * 3600
        elif ps != NS and sec != ps:
            s = h * 3600 + m * 60 + ps if sec < ps else h * 3600 + (m + 1) * 60
        else:
            return s
    return None


def civil(days):
    """(y, mo, d, wd) of a day number."""
    y, mo, d = tc.civil_from_days(days)
    return y, mo, d, tc.weekday(days)


def datetime_start(b, off, y):
    """Local seconds of a 12-byte date-time pattern (season_start) in year y (its own year
    when given); wildcard hour/minute/second count as 0. None if it cannot be resolved."""
    py = (b[off] << 8) | b[off + 1]
    if py != 0xFFFF:
        y = py
    mo = b[off + 2]
    if not 1 <= mo <= 12:
        return None
    dom = b[off + 3]
    dow = b[off + 4]
    if dom == NS:
        if dow == NS:
            return None
        dom = 1  # first such weekday of the month
    d = tc.resolve_day(y, mo, dom, dow)
    if d is None:
        return None
    h = b[off + 5]
    mi = b[off + 6]
    s = b[off + 7]
    return tc.to_secs(y, mo, d, 0 if h == NS else h, 0 if mi == NS else mi, 0 if s == NS else s)


def datetime_local(b, off=0):
    """Local seconds of a fully specified 12-byte date-time; None if any of year, month,
    day, hour, minute, second is not specified or out of range (deviation, status ignored)."""
    y = (b[off] << 8) | b[off + 1]
    mo = b[off + 2]
    d = b[off + 3]
    h = b[off + 5]
    mi = b[off + 6]
    s = b[off + 7]
    if y == 0xFFFF or not 1 <= mo <= 12 or d < 1 or d > tc.days_in_month(y, mo):
        return None
    if h > 23 or mi > 59 or s > 59:
        return None
    return tc.to_secs(y, mo, d, h, mi, s)


def datetime_unset(b, off=0):
    """All date and time fields not specified (the 'deactivated' notation)."""
    return (b[off] == NS and b[off + 1] == NS and b[off + 2] == NS and b[off + 3] == NS
            and b[off + 5] == NS and b[off + 6] == NS and b[off + 7] == NS)


class Crossing:
    """Crossing detection for schedulers (KSMW 5.4.1): an instant is executed only when local
    time runs over it. tick(utc, local) -> a: evaluate the instants in (a, local]; None: none.
    - normal running, power up (state = power-down instant), clock set forward: the window
      covers everything passed since the last tick; the caller acts once for any instant in it;
    - clock set backward (UTC goes back): no action; the window restarts at the new time, so
      instants are executed again when the clock runs over them again;
    - DST end (UTC forward, local wall time back one hour): the repeated hour is not evaluated
      again (high-water mark on local time), DST begin: the skipped hour is in the window.
    State (utc, hw) is two ints the application may persist for power-down catch-up."""

    def __init__(self, utc=None, hw=None):
        self.utc = utc
        self.hw = hw

    def start(self, utc, local):
        self.utc = utc
        self.hw = local

    def tick(self, utc, local):
        if self.utc is None:
            self.start(utc, local)
            return None
        if utc < self.utc:  # clock set backward: NO action (KSMW 5.4.1)
            self.start(utc, local)
            return None
        self.utc = utc
        a = self.hw
        if local <= a:
            return None
        self.hw = local
        return a
