# SPDX-License-Identifier: MIT
"""Calendar arithmetic and COSEM date-time (Blue Book 4.1.6.1; dlms-notes 1.5).

The meter counts time in "meter seconds": seconds since 2020-01-01 00:00:00 (UTC, or local
wall time for local seconds) and days since that date. Both stay 31-bit small ints until
2054, so a 32-bit port computes with them without allocating (unix seconds passed 2^30 in
2004). Unix time appears only at the edges (secs_from_unix, unix_from_secs); a port's
time.time() converts through PORT_EPOCH_S (its gmtime(0)).
"""
from micropython import const
from struct import unpack_from

NOT_SPECIFIED = const(0xFF)
DEVIATION_UNSPECIFIED = const(-0x8000)
STATUS_DST = const(0x80)
STATUS_INVALID = const(0x01)
STATUS_DOUBTFUL = const(0x02)


UNIX_2020 = const(1577836800)  # 2020-01-01T00:00:00Z in unix seconds
_D2020 = const(737730)  # days from 0000-03-01 (Hinnant's origin) to 2020-01-01


def days_from_civil(y, m, d):
    # Proleptic Gregorian days since 2020-01-01 (H. Hinnant's algorithm)
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - _D2020


def civil_from_days(z):
    z += _D2020
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def weekday(days):
    """ISO weekday 1 = Monday .. 7 = Sunday of a day number (2020-01-01 was a Wednesday)."""
    return (days + 2) % 7 + 1


def days_in_month(y, m):
    if m == 12:
        return 31
    return days_from_civil(y, m + 1, 1) - days_from_civil(y, m, 1)


def _port_epoch():
    try:
        import time

        y = time.gmtime(0)[0]
    except Exception:
        y = 1970
    return days_from_civil(y, 1, 1) * 86400


PORT_EPOCH_S = _port_epoch()  # add to a port's time.time() to get meter seconds


def secs_from_unix(u):
    return u - UNIX_2020


def unix_from_secs(t):
    return t + UNIX_2020


def secs_from_record(v):
    """A time read from the store: records written before the meter counted from 2020
    (issue #12) hold unix seconds (any value from 2020 on is one)."""
    return v - UNIX_2020 if v >= UNIX_2020 else v


def to_secs(y, mo, d, h, mi, s):
    """Meter seconds of a calendar date and time."""
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s


def from_secs(t):
    """meter seconds -> (y, mo, d, h, mi, s, wday)."""
    days = t // 86400
    sec = t - days * 86400
    y, mo, d = civil_from_days(days)
    return y, mo, d, sec // 3600, (sec // 60) % 60, sec % 60, weekday(days)


def pack_datetime(buf, off, local_s, hundredths, deviation, status):
    """Write a 12-byte date-time for local seconds `local_s` (Blue Book 4.1.6.1).
    Inline civil arithmetic: no tuples, so the clock read path does not allocate."""
    days = local_s // 86400
    sec = local_s - days * 86400
    z = days + _D2020
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    mo = mp + (3 if mp < 10 else -9)
    y = yoe + era * 400 + (mo <= 2)
    buf[off] = y >> 8
    buf[off + 1] = y & 0xFF
    buf[off + 2] = mo
    buf[off + 3] = doy - (153 * mp + 2) // 5 + 1
    buf[off + 4] = weekday(days)
    buf[off + 5] = sec // 3600
    buf[off + 6] = (sec // 60) % 60
    buf[off + 7] = sec % 60
    buf[off + 8] = hundredths
    buf[off + 9] = (deviation >> 8) & 0xFF
    buf[off + 10] = deviation & 0xFF
    buf[off + 11] = status


def unpack_datetime(b, off=0):
    """-> (y, mo, d, wd, h, mi, s, hundredths, deviation, status); raw fields, 0xFF = not specified."""
    return unpack_from(">HBBBBBBBhB", b, off)


def resolve_day(y, mo, dom, dow):
    """Day of month for a date pattern in year y (dlms-notes 1.5): FE last, FD second last,
    an explicit weekday means 'that weekday on or after dom' (or the last one for FE/FD)."""
    last = days_in_month(y, mo)
    if dom == 0xFE or dom == 0xFD:
        day = last - (dom == 0xFD)
        if dow != 0xFF:  # last <dow> of the month
            wd = weekday(days_from_civil(y, mo, day))
            day -= (wd - dow) % 7
        return day
    if dow != 0xFF:
        wd = weekday(days_from_civil(y, mo, dom))
        day = dom + (dow - wd) % 7
        return day if day <= last else None
    return dom if 1 <= dom <= last else None
