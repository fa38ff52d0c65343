# SPDX-License-Identifier: MIT
"""Single action schedule (IC 22) and the date/time patterns behind it: wildcards, due
evaluation, KSMW 5.4.1 power down and clock shifts, DST."""
from unitlib import attr_bytes, h

from dlms.apdu import axdr
from dlms.apdu.axdr import ARRAY, ENUM, OCTET_STRING, STRUCTURE, UINT16
from dlms.cosem.base import OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, obis
from dlms.cosem.ic008_clock import Clock
from dlms.cosem.ic022_single_action_schedule import SingleActionSchedule
from dlms.util import dtpattern as dp
from dlms.util import timeconv as tc

BILLING_SCRIPT = obis("0-0:10.0.1.255")
MONTHLY = ((h("00000000"), h("FFFFFF01FF")),)  # KSMW 5.6: 00:00:00 on every 1st


enc = attr_bytes


def loc(y, mo, d, hh=0, mi=0, s=0):
    return tc.to_secs(y, mo, d, hh, mi, s)


def entry(t, d):
    return (STRUCTURE, [(OCTET_STRING, h(t)), (OCTET_STRING, h(d))])


def sched(times=MONTHLY, type_=1, **kw):
    ran = []
    s = SingleActionSchedule(obis("0-0:15.0.0.255"), BILLING_SCRIPT, 1, type_, times,
                             run_script=lambda ln, sel: ran.append((ln, sel)), **kw)
    return s, ran


# ---------------------------------------------------------------- patterns
def test_date_patterns():
    def m(p, y, mo, d):
        return dp.date_match(h(p), 0, y, mo, d, tc.weekday(tc.days_from_civil(y, mo, d)))

    assert m("07EA0C19FF", 2026, 12, 25) and not m("07EA0C19FF", 2027, 12, 25)
    assert m("FFFF0C19FF", 2027, 12, 25) and m("FFFFFF01FF", 2026, 7, 1)
    assert m("FFFFFFFF07", 2026, 7, 5) and not m("FFFFFFFF07", 2026, 7, 6)  # Sundays
    assert m("FFFF02FEFF", 2028, 2, 29) and m("FFFF02FDFF", 2028, 2, 28)
    assert m("FFFF03FE07", 2026, 3, 29)  # last Sunday of March
    assert m("FFFF0B0101", 2026, 11, 2)  # first Monday on or after the 1st
    assert m("FFFF0B0201", 2026, 11, 2) and not m("FFFF0B0301", 2026, 11, 2)
    assert not m("FFFFFE01FF", 2026, 3, 1)  # DST-begin month: not matched by date
    assert not dp.date_ok(h("FFFFFE01FF"))  # DST month notation refused
    assert dp.date_ok(h("FFFFFF01FF")) and not dp.date_ok(h("07EA0D01FF"))
    assert not dp.date_ok(h("07EA0100FF")) and not dp.date_ok(h("07EA010108"))
    assert dp.date_wild(h("FFFF0101FF")) and dp.date_wild(h("07EAFF01FF"))
    assert dp.date_wild(h("07EA01FEFF")) and not dp.date_wild(h("07EA010101"))


def test_time_patterns():
    assert dp.next_time(h("00000000"), 0, -1) == 0
    assert dp.next_time(h("00000000"), 0, 0) is None
    assert dp.next_time(h("FF000000"), 0, 10 * 3600 + 1800) == 11 * 3600  # every hour
    assert dp.next_time(h("FFFF05FF"), 0, 10) == 65  # second 5 of every minute
    assert dp.next_time(h("0CFF1E00"), 0, 12 * 3600 + 59 * 60 + 31) is None
    assert dp.next_time(h("0CFF1E00"), 0, 11 * 3600) == 12 * 3600 + 30
    assert dp.next_time(h("FF2D0000"), 0, 23 * 3600 + 45 * 60) is None
    assert dp.next_time(h("17FFFFFF"), 0, 86398) == 86399
    assert dp.time_ok(h("173B3B63")) and not dp.time_ok(h("18000000"))
    assert dp.time_ok(h("FFFFFFFF")) and not dp.time_ok(h("FF000000"), 0, False)


# ---------------------------------------------------------------- IC 22 attributes
def test_schedule_encoding():
    s, _ = sched()
    assert enc(s, 1) == h("0906 00000F0000FF")
    assert enc(s, 2) == h("0202 0906 00000A0001FF 120001")
    assert enc(s, 3) == h("1601")
    assert enc(s, 4) == h("0101 0202 0904 00000000 0905 FFFFFF01FF")
    s2, _ = sched(((h("FF000000"), h("FFFFFFFFFF")), (h("FF1E0000"), h("FFFFFFFFFF"))), 5)
    assert enc(s2, 4) == h("0102 0202 0904 FF000000 0905 FFFFFFFFFF"
                           "0202 0904 FF1E0000 0905 FFFFFFFFFF")
    s3, _ = sched((), 1)
    assert enc(s3, 4) == h("0100")


def test_schedule_set_and_type_rules():
    s, _ = sched(allowed=((BILLING_SCRIPT, 1), (BILLING_SCRIPT, 2)))
    ok = entry("00000000", "FFFFFF01FF")
    assert s.set(2, (STRUCTURE, [(OCTET_STRING, BILLING_SCRIPT), (UINT16, 2)]), None) == SUCCESS
    assert s.selector == 2
    # KSMW 5.8: only the allowed scripts
    assert s.set(2, (STRUCTURE, [(OCTET_STRING, BILLING_SCRIPT), (UINT16, 3)]), None) == (
        OTHER_REASON)
    assert s.set(2, (STRUCTURE, [(OCTET_STRING, BILLING_SCRIPT), (ENUM, 2)]), None) == (
        TYPE_UNMATCHED)
    assert s.set(3, (ENUM, 6), None) == OTHER_REASON
    assert s.set(3, (UINT16, 1), None) == TYPE_UNMATCHED
    # type 1: one entry
    assert s.set(4, (ARRAY, [ok, ok]), None) == OTHER_REASON
    assert s.set(4, (ARRAY, [ok]), None) == SUCCESS
    assert s.set(4, (ARRAY, []), None) == SUCCESS  # empty: disabled (KSMW 5.6)
    # type 2: same time, no date wildcards
    assert s.set(3, (ENUM, 2), None) == SUCCESS
    a = entry("00000000", "07EA0701FF")
    b = entry("00000000", "07EA0801FF")
    assert s.set(4, (ARRAY, [a, b]), None) == SUCCESS
    assert s.set(4, (ARRAY, [a, entry("01000000", "07EA0801FF")]), None) == OTHER_REASON
    assert s.set(4, (ARRAY, [a, ok]), None) == OTHER_REASON
    # type 3: same time, date wildcards allowed
    assert s.set(3, (ENUM, 3), None) == SUCCESS
    assert s.set(4, (ARRAY, [a, ok]), None) == SUCCESS
    assert s.set(4, (ARRAY, [a, entry("0C000000", "FFFFFF0FFF")]), None) == OTHER_REASON
    # type 4: times may differ, no date wildcards
    assert s.set(3, (ENUM, 4), None) == SUCCESS  # not checked against the stored entries
    assert s.set(4, (ARRAY, [a, entry("0C000000", "07EA0801FF")]), None) == SUCCESS
    assert s.set(4, (ARRAY, [a, entry("0C000000", "07EA08FEFF")]), None) == OTHER_REASON
    # type 5: anything valid
    assert s.set(3, (ENUM, 5), None) == SUCCESS
    assert s.set(4, (ARRAY, [a, entry("0C000000", "FFFFFFFE07")]), None) == SUCCESS
    assert s.set(4, (ARRAY, [entry("18000000", "FFFFFFFFFF")]), None) == OTHER_REASON
    assert s.set(4, (ARRAY, [entry("0000", "FFFFFFFFFF")]), None) == TYPE_UNMATCHED
    assert s.set(4, (ARRAY, [(STRUCTURE, [(OCTET_STRING, h("00000000"))])]), None) == (
        TYPE_UNMATCHED)
    assert s.set(4, (ARRAY, [(STRUCTURE, [(axdr.TIME, h("00000000")),
                                          (axdr.DATE, h("FFFFFF01FF"))])]), None) == SUCCESS
    assert s.set(4, (ARRAY, [ok] * 61), None) == OTHER_REASON  # capacity (KSMW 10.5: 60)
    assert enc(s, 4) == h("0101 0202 0904 00000000 0905 FFFFFF01FF")
    assert s.set(1, (OCTET_STRING, BILLING_SCRIPT), None) == READ_WRITE_DENIED


# ---------------------------------------------------------------- due evaluation
def test_due_monthly_billing():
    s, _ = sched()
    assert s.next_after(loc(2026, 1, 15, 12)) == loc(2026, 2, 1)
    assert s.next_after(loc(2026, 2, 1)) == loc(2026, 3, 1)
    assert s.due(loc(2026, 1, 31, 23, 59, 59), loc(2026, 2, 1))
    assert not s.due(loc(2026, 2, 1), loc(2026, 2, 1, 0, 0, 1))
    assert not s.due(loc(2026, 2, 1, 0, 0, 1), loc(2026, 2, 28, 23, 59, 59))
    assert not s.due(loc(2026, 2, 1), loc(2026, 1, 1))  # backward interval
    assert s.due(loc(2026, 1, 10), loc(2026, 6, 10))


def test_due_wildcard_times_and_dates():
    quarter = tuple((bytes((0xFF, m, 0, 0)), h("FFFFFFFFFF")) for m in (0, 15, 30, 45))
    s, _ = sched(quarter, 5)
    t = loc(2026, 7, 1)
    n = 0
    for k in range(24 * 60):  # one day, a tick every minute
        n += s.due(t + k * 60, t + (k + 1) * 60)
    assert n == 96
    sundays, _ = sched(((h("06000000"), h("FFFFFFFF07")),), 1)  # 06:00 every Sunday
    assert sundays.next_after(loc(2026, 7, 1)) == loc(2026, 7, 5, 6)
    last, _ = sched(((h("173B0000"), h("FFFFFFFEFF")),), 1)  # 23:59 on the last day
    assert last.next_after(loc(2028, 2, 1)) == loc(2028, 2, 29, 23, 59)
    once, _ = sched(((h("0C000000"), h("07EA0C18FF")),), 4)
    assert once.next_after(loc(2026, 12, 24, 12)) is None
    assert once.due(loc(2026, 1, 1), loc(2026, 12, 24, 12))


def test_due_every_second_push():
    # KSMW 10.5: 60 execution times FF:FF:ss = a push every second
    times = tuple((bytes((0xFF, 0xFF, k, 0xFF)), h("FFFFFFFFFF")) for k in range(60))
    s, ran = sched(times, 5)
    t = loc(2026, 7, 1, 10)
    for k in range(130):
        s.tick(t + k, t + k)
    assert len(ran) == 129  # every tick after the first (which starts the state)
    s, ran = sched(times[:1], 5)  # FF:FF:00 = once a minute
    for k in range(130):
        s.tick(t + k, t + k)
    assert len(ran) == 2


def test_due_disabled():
    for times in ((), ((h("FFFFFFFF"), h("FFFFFFFFFF")),), ((h("FFFFFFFF"), h("07EA0101FF")),)):
        s, ran = sched(times)
        assert s.next_after(loc(2026, 1, 1)) is None
        assert not s.due(loc(2026, 1, 1), loc(2030, 1, 1))
        s.tick(loc(2026, 1, 1), loc(2026, 1, 1))
        s.tick(loc(2026, 3, 1), loc(2026, 3, 1))
        assert ran == []


# ---------------------------------------------------------------- KSMW 5.4.1
def test_ksmw_power_down_executes_once():
    s, ran = sched()
    down = loc(2026, 1, 30, 10)  # power down on 30 January ...
    s.crossing.start(down, down)  # (state restored from the store at power up)
    s.tick(loc(2026, 3, 2, 9), loc(2026, 3, 2, 9))  # ... up on 2 March: 1 Feb and 1 Mar passed
    assert ran == [(BILLING_SCRIPT, 1)]
    s.tick(loc(2026, 3, 2, 9, 0, 1), loc(2026, 3, 2, 9, 0, 1))
    assert len(ran) == 1
    s, ran = sched()
    s.crossing.start(loc(2026, 3, 5), loc(2026, 3, 5))  # outage without an execution time
    s.tick(loc(2026, 3, 20), loc(2026, 3, 20))
    assert ran == []
    # KSMW 5.4: dead power reserve, clock restarted at power-down time + 1 s: no catch-up
    s.tick(loc(2026, 3, 20, 0, 0, 1), loc(2026, 3, 20, 0, 0, 1))
    assert ran == []


def test_ksmw_clock_shifts():
    s, ran = sched()
    t = loc(2026, 1, 31, 23, 0)
    s.tick(t, t)
    fwd = loc(2026, 3, 1, 0, 30)  # set forward over 1 Feb and 1 Mar: once
    s.tick(fwd, fwd)
    assert len(ran) == 1
    back = loc(2026, 2, 28, 23, 59, 58)  # set backward over 1 Mar 00:00: no action ...
    s.tick(back, back)
    assert len(ran) == 1
    s.tick(back + 1, back + 1)
    assert len(ran) == 1
    s.tick(back + 2, back + 2)  # ... the instant is crossed again afterwards: executed
    assert len(ran) == 2
    # execution time configured in the past: not executed
    s, ran = sched(((h("0C000000"), h("07EA0101FF")),), 4)
    t = loc(2026, 6, 1)
    s.tick(t, t)
    s.set(4, (ARRAY, [entry("0C000000", "07EA0601FF"), entry("0B000000", "07EA0601FF")]), None)
    s.tick(t + 1, t + 1)
    assert ran == []
    s.tick(loc(2026, 6, 1, 11, 0, 0), loc(2026, 6, 1, 11, 0, 0))
    assert len(ran) == 1


def _run_clock(s, clock, t0, t1, step=1):
    """Tick the schedule from UTC t0 to t1 as the meter would: local time from the clock."""
    hits = []
    t = t0
    while t <= t1:
        if s.tick(t, clock.local(t)):
            hits.append(t)
        t += step
    return hits


def test_dst_spring_and_autumn():
    clock = Clock(obis("0-0:1.0.0.255"), lambda: 0)  # CET/CEST, EU rules
    s, ran = sched(((h("021E0000"), h("FFFFFFFFFF")),), 1)  # 02:30 every day
    spring = tc.to_secs(2026, 3, 29, 1, 0, 0)  # UTC instant of 02:00 CET -> 03:00 CEST
    hits = _run_clock(s, clock, spring - 3 * 3600, spring + 3 * 3600)
    assert hits == [spring]  # 02:30 does not exist: run once when the clock jumps over it
    autumn = tc.to_secs(2026, 10, 25, 1, 0, 0)  # 03:00 CEST -> 02:00 CET
    s, ran = sched(((h("021E0000"), h("FFFFFFFFFF")),), 1)
    hits = _run_clock(s, clock, autumn - 3 * 3600, autumn + 3 * 3600)
    assert hits == [autumn - 1800]  # 02:30 CEST only: the repeated hour is not run again
    assert clock.local(autumn + 1800) == clock.local(autumn - 1800)


def test_crossing_rules():
    c = dp.Crossing()  # tick -> start of the window (a, local] to evaluate, or None
    assert c.tick(100, 1000) is None  # first tick: state only
    assert c.tick(101, 1001) == 1000
    assert c.tick(102, 5000) == 1001  # forward shift / power up
    assert c.tick(50, 900) is None  # backward shift: no action
    assert c.tick(51, 901) == 900
    assert c.tick(52, 500) is None and c.hw == 901  # DST end: UTC on, local back
    assert c.tick(453, 901) is None
    assert c.tick(454, 902) == 901
