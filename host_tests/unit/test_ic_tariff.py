# SPDX-License-Identifier: MIT
"""Tariffication classes (KSMW 5.5): special days table (IC 11), script table (IC 9), register
activation (IC 6), activity calendar (IC 20) and the calendar -> script -> mask chain."""
from unitlib import attr_bytes, h

from dlms.apdu import axdr
from dlms.apdu.axdr import ARRAY, ENUM, INT8, OCTET_STRING, STRUCTURE, UINT8, UINT16
from dlms.cosem.base import (
    OBJECT_CLASS_INCONSISTENT, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS,
    TYPE_UNMATCHED, obis,
)
from dlms.cosem.ic001_data import Data
from dlms.cosem.ic003_register import Register
from dlms.cosem.ic006_register_activation import RegisterActivation
from dlms.cosem.ic009_script_table import ScriptTable
from dlms.cosem.ic011_special_days import SpecialDaysTable
from dlms.cosem.ic020_activity_calendar import ActivityCalendar
from dlms.util import timeconv as tc

SCRIPTS = obis("0-0:10.0.100.255")


enc = attr_bytes


def os_(b):
    return (OCTET_STRING, b)


def u8(v):
    return (UINT8, v)


def st(*e):
    return (STRUCTURE, list(e))


def arr(*e):
    return (ARRAY, list(e))


def loc(y, mo, d, hh=0, mi=0, s=0):
    return tc.to_secs(y, mo, d, hh, mi, s)


# ---------------------------------------------------------------- IC 11 special days table
def test_special_days_insert_overwrite_delete():
    t = SpecialDaysTable(obis("0-0:11.0.0.255"))
    assert t.insert(2, h("07EA0C19FF"), 2) == SUCCESS  # 2026-12-25
    assert t.insert(1, h("FFFF0101FF"), 3) == SUCCESS  # 1 January, every year
    assert enc(t, 2) == h("0102 020312000109 05FFFF0101FF 1103 020312000209 0507EA0C19FF 1102")
    # same date under another index: the old entry goes (Blue Book 4.5.4)
    r = t.action(1, st((UINT16, 5), os_(h("07EA0C19FF")), u8(4)), None)
    assert r == (SUCCESS, None)
    assert [e[0] for e in t.entries()] == [1, 5]
    # same index: overwritten
    assert t.insert(1, h("FFFF0106FF"), 3) == SUCCESS
    assert list(t.entries()) == [(1, h("FFFF0106FF"), 3), (5, h("07EA0C19FF"), 4)]
    v = t.version
    assert t.action(2, (UINT16, 1), None) == (SUCCESS, None)
    assert t.version == v + 1 and t.n == 1
    assert t.action(2, (UINT16, 99), None) == (SUCCESS, None)  # unknown index: nothing
    assert t.action(2, (UINT8, 5), None) == (TYPE_UNMATCHED, None)
    assert t.action(1, st((UINT8, 5), os_(h("07EA0C19FF")), u8(4)), None)[0] == TYPE_UNMATCHED
    assert t.action(1, st((UINT16, 5), os_(h("07EA0C19")), u8(4)), None)[0] == TYPE_UNMATCHED
    assert t.action(1, st((UINT16, 5), os_(h("07EA0D19FF")), u8(4)), None)[0] == OTHER_REASON
    assert t.insert(9, h("FFFFFE01FF"), 1) == OTHER_REASON  # DST month notation
    assert t.action(1, None, None)[0] == TYPE_UNMATCHED
    assert t.action(3, None, None)[0] == OBJECT_UNDEFINED


def test_special_days_capacity_200_and_streaming():
    t = SpecialDaysTable(obis("0-0:11.0.0.255"))
    d0 = tc.days_from_civil(2026, 1, 1)
    for k in range(200):  # inserted in descending index order: kept sorted by index
        y, mo, d = tc.civil_from_days(d0 + k)
        assert t.insert(200 - k, bytes((y >> 8, y & 0xFF, mo, d, 0xFF)), 1 + k % 4) == SUCCESS
    assert t.insert(201, h("FFFF0101FF"), 1) == OTHER_REASON  # KSMW 5.5: 200 entries
    assert t.insert(7, h("FFFF0101FF"), 1) == SUCCESS  # overwrite still possible when full
    g = t.get(2, axdr.Writer(4096), None)
    assert not isinstance(g, int)  # streamed: 200 entries exceed one PDU
    b = enc(t, 2)
    assert len(b) == 3 + 200 * 14
    v = axdr.decode(b)
    assert len(v[1]) == 200
    assert v[1][0] == st((UINT16, 1), os_(h("07EA0713FF")), u8(4))  # 2026-07-19 (day 199)
    assert v[1][6] == st((UINT16, 7), os_(h("FFFF0101FF")), u8(1))
    idx = [e[1][0][1] for e in v[1]]
    assert idx == sorted(idx)


def test_special_days_write_attribute():
    t = SpecialDaysTable(obis("0-0:11.0.1.255"), capacity=3)
    e1 = st((UINT16, 3), os_(h("07EA0406FF")), u8(2))
    e2 = st((UINT16, 1), os_(h("FFFF0101FF")), u8(2))
    assert t.set(2, arr(e1, e2), None) == SUCCESS
    assert [e[0] for e in t.entries()] == [1, 3]
    assert t.set(2, arr(e1, e2, e1, e2), None) == OTHER_REASON  # over capacity
    assert t.set(2, arr(e1, st((UINT16, 3), os_(h("07EA0407FF")), u8(2))), None) == OTHER_REASON
    assert t.set(2, arr(e1, st((UINT16, 4), os_(h("07EA0406FF")), u8(2))), None) == OTHER_REASON
    assert t.set(2, arr((UINT16, 1)), None) == TYPE_UNMATCHED
    assert t.set(2, e1, None) == TYPE_UNMATCHED
    assert t.set(1, os_(b"x" * 6), None) == READ_WRITE_DENIED
    assert t.n == 2
    assert t.set(2, arr(), None) == SUCCESS and t.n == 0


def test_special_days_lookup_wildcards():
    t = SpecialDaysTable(obis("0-0:11.0.0.255"))
    t.insert(1, h("FFFF0101FF"), 3)  # New Year, every year
    t.insert(2, h("07EA0406FF"), 2)  # Easter Monday 2026
    t.insert(3, h("FFFFFFFF07"), 4)  # every Sunday
    t.insert(4, h("FFFFFFFEFF"), 5)  # last day of every month
    t.insert(5, h("FFFF0C19FF"), 6)  # 25 December, every year
    t.insert(6, h("07EA0C19FF"), 7)  # 25 December 2026: the explicit year wins
    t.insert(7, h("FFFF05FE01"), 8)  # last Monday of May
    t.insert(8, h("FFFF0B0104"), 9)  # first Thursday on or after 1 November

    def at(y, mo, d):
        days = tc.days_from_civil(y, mo, d)
        return t.lookup(y, mo, d, tc.weekday(days))

    assert at(2027, 1, 1) == 3 and at(2026, 4, 6) == 2 and at(2027, 3, 29) is None
    assert at(2026, 1, 4) == 4  # a Sunday
    assert at(2026, 2, 28) == 5 and at(2028, 2, 29) == 5 and at(2028, 2, 28) is None
    assert at(2026, 12, 25) == 7 and at(2027, 12, 25) == 6
    assert at(2026, 5, 25) == 8 and at(2026, 5, 18) is None
    assert at(2026, 11, 5) == 9 and at(2026, 11, 12) is None


# ---------------------------------------------------------------- IC 9 script table
def _objects():
    calls = []
    d = Data(obis("0-0:96.14.0.255"), value=(OCTET_STRING, b"T1"), writable=True)
    r = Register(obis("1-0:1.6.0.255"), axdr.UINT32, 0, 27, lambda: 5,
                 reset=lambda: calls.append("reset"))
    objs = {d.ln: d, r.ln: r}
    return objs, d, r, calls


def test_script_table_encoding_and_execute():
    objs, d, r, calls = _objects()
    t = ScriptTable(SCRIPTS, objs.get, scripts=(
        (1, ((1, 1, d.ln, 2, (OCTET_STRING, b"T2")),)),
        (2, ((2, 3, r.ln, 1, (INT8, 0)), (1, 1, d.ln, 2, (OCTET_STRING, b"T1")))),
    ))
    assert enc(t, 2) == h(
        "0102"
        "0202 120001 0101 0205 1601 120001 0906 0000600E00FF 0F02 09025432"
        "0202 120002 0102 0205 1602 120003 0906 0100010600FF 0F01 0F00"
        "0205 1601 120001 0906 0000600E00FF 0F02 09025431")
    assert t.action(1, (UINT16, 1), None) == (SUCCESS, None)
    assert d.value == (OCTET_STRING, b"T2")
    assert t.action(1, (UINT16, 2), None) == (SUCCESS, None)
    assert calls == ["reset"] and d.value == (OCTET_STRING, b"T1")
    assert t.action(1, (UINT16, 0), None) == (SUCCESS, None)  # null script
    assert t.action(1, (UINT16, 9), None) == (OTHER_REASON, None)
    assert t.action(1, (UINT8, 1), None) == (TYPE_UNMATCHED, None)
    assert t.action(1, None, None) == (TYPE_UNMATCHED, None)
    assert t.action(2, (UINT16, 1), None) == (OBJECT_UNDEFINED, None)
    assert t.set(2, arr(), None) == READ_WRITE_DENIED  # predefined scripts by default


def test_script_table_failing_actions():
    objs, d, r, calls = _objects()
    t = ScriptTable(SCRIPTS, objs.get, scripts=(
        (1, ((1, 3, d.ln, 2, (OCTET_STRING, b"T2")),  # wrong class
             (2, 3, obis("1-0:2.6.0.255"), 1, (INT8, 0)),  # no such object
             (1, 3, r.ln, 2, (axdr.UINT32, 1)),  # register value not writable
             (2, 3, r.ln, 1, (INT8, 0)))),  # still executed
    ))
    assert t.run(1) == OBJECT_CLASS_INCONSISTENT  # the first failure is reported
    assert calls == ["reset"]
    t2 = ScriptTable(SCRIPTS, objs.get, scripts=((1, ((2, 3, obis("1-0:2.6.0.255"), 1,
                                                       (INT8, 0)),)),))
    assert t2.run(1) == OBJECT_UNDEFINED


def test_script_table_write_attribute():
    objs, d, r, calls = _objects()
    t = ScriptTable(SCRIPTS, objs.get, writable=True, max_scripts=2, max_actions=2)
    assert t.WRITABLE == (2,)
    a1 = st((ENUM, 1), (UINT16, 1), os_(d.ln), (INT8, 2), os_(b"T2"))
    a2 = st((ENUM, 2), (UINT16, 3), os_(r.ln), (INT8, 1), (INT8, 0))
    v = arr(st((UINT16, 1), arr(a1)), st((UINT16, 2), arr(a2, a1)))
    assert t.set(2, v, None) == SUCCESS
    assert axdr.decode(enc(t, 2)) == v  # read back as written
    assert t.run(2) == SUCCESS and calls == ["reset"]
    s3 = st((UINT16, 3), arr())
    assert t.set(2, arr(v[1][0], v[1][1], s3), None) == OTHER_REASON  # 3 scripts > 2
    assert t.set(2, arr(st((UINT16, 1), arr(a1, a1, a1))), None) == OTHER_REASON  # 3 actions
    assert t.set(2, arr(st((UINT16, 1), arr()), st((UINT16, 1), arr())), None) == OTHER_REASON
    assert t.set(2, arr(st((UINT16, 0), arr())), None) == OTHER_REASON  # 0: null script
    bad_svc = st((ENUM, 3), (UINT16, 1), os_(d.ln), (INT8, 2), os_(b"T2"))
    assert t.set(2, arr(st((UINT16, 1), arr(bad_svc))), None) == OTHER_REASON
    bad_ln = st((ENUM, 1), (UINT16, 1), os_(d.ln[:5]), (INT8, 2), os_(b"T2"))
    assert t.set(2, arr(st((UINT16, 1), arr(bad_ln))), None) == TYPE_UNMATCHED
    bad_idx = st((ENUM, 1), (UINT16, 1), os_(d.ln), (UINT8, 2), os_(b"T2"))
    assert t.set(2, arr(st((UINT16, 1), arr(bad_idx))), None) == TYPE_UNMATCHED
    assert t.set(2, arr(st((UINT8, 1), arr())), None) == TYPE_UNMATCHED
    assert t.set(2, os_(b""), None) == TYPE_UNMATCHED
    assert axdr.decode(enc(t, 2)) == v  # unchanged by the refused writes


def test_script_table_execute_hook_reset_lock():
    # KSMW 5.6: a remote demand reset inside the 15 min lock is refused with other-reason
    objs, d, r, calls = _objects()
    lock = [False]

    def guard(sid, ctx):
        return OTHER_REASON if lock[0] and ctx is not None else None

    t = ScriptTable(obis("0-0:10.0.1.255"), objs.get, on_execute=guard,
                    scripts=((1, ((2, 3, r.ln, 1, (INT8, 0)),)),))
    assert t.action(1, (UINT16, 1), "client") == (SUCCESS, None)
    lock[0] = True
    assert t.action(1, (UINT16, 1), "client") == (OTHER_REASON, None)
    assert t.run(1) == SUCCESS  # the scheduler (internal) is not locked
    assert calls == ["reset", "reset"]


# ---------------------------------------------------------------- IC 6 register activation
def _ksmw_activation(on_change=None):
    regs = [(3, obis("1-0:%d.8.%d.255" % (c, t))) for c in (1, 2, 3, 4) for t in (1, 2)]
    return RegisterActivation(obis("0-0:14.0.1.255"), regs,
                              ((b"T1", (1, 3, 5, 7)), (b"T2", (2, 4, 6, 8))), b"T2",
                              on_change=on_change)


def test_register_activation_ksmw_example():
    changes = []
    ra = _ksmw_activation(lambda o: changes.append(o.active))
    assert enc(ra, 2) == h("0108" + "".join(
        "0202 120003 0906 0100%02x08%02xFF" % (c, t) for c in (1, 2, 3, 4) for t in (1, 2)))
    assert enc(ra, 3) == h("0102 0202 09025431 0104 1101 1103 1105 1107"
                           "0202 09025432 0104 1102 1104 1106 1108")
    assert enc(ra, 4) == h("09025432")
    assert ra.is_active(obis("1-0:1.8.2.255")) and not ra.is_active(obis("1-0:1.8.1.255"))
    assert ra.is_active(obis("1-0:1.8.0.255"))  # not assigned: always enabled
    assert ra.set(4, os_(b"T1"), None) == SUCCESS
    assert changes == [b"T1"]
    assert [e[1] for e in ra.enabled()] == [obis("1-0:%d.8.1.255" % c) for c in (1, 2, 3, 4)]
    assert ra.set(4, os_(b"T1"), None) == SUCCESS and changes == [b"T1"]  # no change
    assert ra.set(4, os_(b"T3"), None) == OTHER_REASON  # no such mask
    assert ra.set(4, (axdr.VISIBLE_STRING, b"T2"), None) == TYPE_UNMATCHED
    assert ra.active == b"T1"


def test_register_activation_methods_and_writes():
    ra = _ksmw_activation()
    ra.max_registers = 9
    ln9 = obis("1-0:1.8.3.255")
    assert ra.action(1, st((UINT16, 3), os_(ln9)), None) == (SUCCESS, None)
    assert ra.registers[8] == (3, ln9)  # appended: existing indices unchanged
    assert ra.action(1, st((UINT16, 3), os_(ln9)), None)[0] == OTHER_REASON  # full
    assert ra.action(1, st((UINT16, 3), os_(ln9[:5])), None)[0] == TYPE_UNMATCHED
    # add_mask: same name overwrites, a new name is appended
    assert ra.action(2, st(os_(b"T2"), arr(u8(2), u8(9))), None) == (SUCCESS, None)
    assert ra.mask(b"T2") == bytes((2, 9)) and len(ra.masks) == 2
    assert ra.is_active(ln9)
    assert ra.action(2, st(os_(b"T3"), arr(u8(1))), None) == (SUCCESS, None)
    assert ra.action(2, st(os_(b"T4"), arr(u8(0))), None)[0] == OTHER_REASON  # index 0
    assert ra.action(2, st(os_(b"T4"), arr((UINT16, 1))), None)[0] == TYPE_UNMATCHED
    # delete_mask: not the active one, not an unknown one
    assert ra.action(3, os_(b"T2"), None)[0] == OTHER_REASON
    assert ra.action(3, os_(b"T3"), None) == (SUCCESS, None)
    assert ra.action(3, os_(b"T3"), None)[0] == OTHER_REASON
    assert ra.action(3, u8(1), None)[0] == TYPE_UNMATCHED
    assert ra.action(4, None, None)[0] == OBJECT_UNDEFINED
    # whole-attribute writes
    assert ra.set(3, arr(st(os_(b"T1"), arr(u8(1)))), None) == OTHER_REASON  # T2 active
    assert ra.set(3, arr(st(os_(b"T2"), arr(u8(1))), st(os_(b"T2"), arr())), None) == OTHER_REASON
    assert ra.set(3, arr(st(os_(b"T2"), arr(u8(1))), st(os_(b"T1"), arr(u8(2)))), None) == SUCCESS
    assert [e[1] for e in ra.enabled()] == [obis("1-0:1.8.1.255")]
    assert ra.set(2, arr(st((UINT16, 3), os_(ln9))), None) == SUCCESS
    assert ra.is_active(ln9) and ra.is_active(obis("1-0:1.8.2.255"))  # no longer assigned
    dup = arr(st((UINT16, 3), os_(ln9)), st((UINT16, 4), os_(ln9)))
    assert ra.set(2, dup, None) == OTHER_REASON
    assert ra.set(2, arr(st((UINT8, 3), os_(ln9))), None) == TYPE_UNMATCHED
    assert ra.set(1, os_(ln9), None) == READ_WRITE_DENIED


# ---------------------------------------------------------------- IC 20 activity calendar
T1 = (SCRIPTS, 1)
T2 = (SCRIPTS, 2)


def _day(did, *acts):
    return st(u8(did), arr(*[st(os_(bytes((hh, mm, 0, 0))), os_(SCRIPTS), (UINT16, sel))
                             for hh, mm, sel in acts]))


# winter (from 1 October) and summer (from 1 April), recurring every year; weekends day 2
PASSIVE_SEASONS = arr(st(os_(b"WINTER"), os_(h("FFFF0A01FF000000FF8000FF")), os_(b"WK_W")),
                      st(os_(b"SUMMER"), os_(h("FFFF0401FF000000FF8000FF")), os_(b"WK_S")))
PASSIVE_WEEKS = arr(st(os_(b"WK_W"), u8(1), u8(1), u8(1), u8(1), u8(1), u8(2), u8(2)),
                    st(os_(b"WK_S"), u8(3), u8(3), u8(3), u8(3), u8(3), u8(2), u8(2)))
PASSIVE_DAYS = arr(_day(1, (0, 0, 1), (6, 0, 2), (22, 0, 1)),  # KSMW 5.5: T2 06:00-22:00
                   _day(2, (0, 0, 1)),
                   _day(3, (21, 0, 1), (7, 0, 2)))  # unsorted on purpose


def _calendar(**kw):
    c = ActivityCalendar(obis("0-0:13.0.0.255"), step=900, **kw)
    assert c.set(6, os_(b"KSMW-2026"), None) == SUCCESS
    assert c.set(7, PASSIVE_SEASONS, None) == SUCCESS
    assert c.set(8, PASSIVE_WEEKS, None) == SUCCESS
    assert c.set(9, PASSIVE_DAYS, None) == SUCCESS
    return c


def test_calendar_encoding_and_activation_method():
    c = _calendar()
    assert enc(c, 2) == h("0900") and enc(c, 3) == h("0100")
    assert enc(c, 6) == h("0909") + b"KSMW-2026"
    assert enc(c, 7) == h(
        "0102 0203 0906 57494E544552 090C FFFF0A01FF000000FF8000FF 0904 574B5F57"
        "0203 0906 53554D4D4552 090C FFFF0401FF000000FF8000FF 0904 574B5F53")
    assert enc(c, 8) == h("0102 0208 0904574B5F57 1101 1101 1101 1101 1101 1102 1102"
                          "0208 0904574B5F53 1103 1103 1103 1103 1103 1102 1102")
    assert enc(c, 9)[:35] == h(
        "0103 0202 1101 0103 0203 090400000000 090600000A0064FF 120001"
        "0203 090406000000")
    assert axdr.decode(enc(c, 9)) == PASSIVE_DAYS
    assert enc(c, 10) == h("090C FFFFFFFFFFFFFFFFFF8000FF")
    assert c.active_script(loc(2026, 1, 12, 12)) is None  # active calendar still empty
    assert c.action(1, (INT8, 0), None) == (SUCCESS, None)
    for a in (2, 3, 4, 5):
        assert enc(c, a) == enc(c, a + 4)
    assert c.active_script(loc(2026, 1, 12, 12)) == T2
    assert c.action(1, (UINT8, 0), None)[0] == TYPE_UNMATCHED
    assert c.action(2, None, None)[0] == OBJECT_UNDEFINED


def test_calendar_tariff_seasons_weeks_days():
    c = _calendar()
    c.activate()
    a = c.active_script
    # winter working day (Monday 12 January 2026): T1 22:00-06:00, T2 06:00-22:00
    assert a(loc(2026, 1, 12, 0, 0)) == T1 and a(loc(2026, 1, 12, 5, 59, 59)) == T1
    assert a(loc(2026, 1, 12, 6, 0)) == T2 and a(loc(2026, 1, 12, 21, 59, 59)) == T2
    assert a(loc(2026, 1, 12, 22, 0)) == T1
    assert a(loc(2026, 1, 17, 12, 0)) == T1  # Saturday: day profile 2
    # summer working day: 07:00-21:00; before 07:00 the previous day's 21:00 switch holds
    assert a(loc(2026, 7, 1, 6, 30)) == T1 and a(loc(2026, 7, 1, 7, 0)) == T2
    assert a(loc(2026, 7, 1, 21, 0)) == T1
    # season change at 2026-04-01 00:00 (Wednesday): 06:30 is T2 in winter, T1 in summer
    assert a(loc(2026, 3, 31, 6, 30)) == T2 and a(loc(2026, 4, 1, 6, 30)) == T1
    assert a(loc(2026, 4, 1, 0, 0)) == T1  # day 3 before 07:00: carried from 31 March 22:00
    assert a(loc(2026, 10, 1, 6, 30)) == T2  # back to winter
    # January belongs to the winter season that started the previous October
    assert c._season(loc(2027, 1, 5))[0] == loc(2026, 10, 1)


def test_calendar_season_with_explicit_years_and_mid_day_start():
    c = ActivityCalendar(obis("0-0:13.0.2.255"))
    c.configure(b"LM", ((b"A", h("07EA0501FF0C0000FF8000FF"), b"W1"),  # 2026-05-01 12:00
                        (b"B", h("07EA0101FF000000FF8000FF"), b"W2")),
                ((b"W1", (1,) * 7), (b"W2", (2,) * 7)),
                ((1, ((h("00000000"), SCRIPTS, 3),)), (2, ((h("00000000"), SCRIPTS, 4),))))
    assert c.active_script(loc(2025, 12, 31, 23)) is None  # before every season: invalid
    assert c.active_script(loc(2026, 5, 1, 11, 59)) == (SCRIPTS, 4)
    assert c.active_script(loc(2026, 5, 1, 12, 0)) == (SCRIPTS, 3)  # mid-day season start
    assert c.active_script(loc(2031, 1, 1)) == (SCRIPTS, 3)  # last season stays in force


def test_calendar_special_days_override():
    sd = SpecialDaysTable(obis("0-0:11.0.0.255"))
    c = _calendar(special=sd)
    c.activate()
    t = loc(2026, 1, 6, 12)  # Tuesday: working day, T2
    assert c.active_script(t) == T2
    assert sd.insert(1, h("FFFF0106FF"), 2) == SUCCESS  # Epiphany, every year: day 2
    assert c.active_script(t) == T1
    assert c.active_script(loc(2026, 1, 7, 12)) == T2
    assert sd.insert(2, h("07EA0107FF"), 9) == SUCCESS  # unknown day_id: no valid tariff
    assert c.active_script(loc(2026, 1, 7, 12)) is None
    sd.delete(1)
    sd.delete(2)
    assert c.active_script(t) == T2


def test_calendar_tick_switches_and_default_script():
    ran = []
    c = _calendar(run_script=lambda ln, sel: ran.append(sel), default=(SCRIPTS, 1))
    c.activate()
    t = loc(2026, 1, 12, 5, 59, 58)
    for k in range(4):  # local = UTC here; the chain only needs both instants
        c.tick(t + k, t + k)
    assert ran == [1, 2]  # state at start-up, then the 06:00 switch
    assert c.tick(t + 10, t + 10, valid=False) == (SCRIPTS, 1)  # invalid clock: default
    assert ran == [1, 2, 1]
    c.tick(t + 11, t + 11)
    assert ran == [1, 2, 1, 2]
    c.set(9, arr(_day(1, (0, 0, 1)), _day(2, (0, 0, 1))), None)
    c.activate()  # week profile WK_S refers to day 3, now missing: default in summer
    assert c.tick(loc(2026, 7, 1, 12), loc(2026, 7, 1, 12)) == (SCRIPTS, 1)


def test_calendar_passive_activation_at_time():
    ran = []
    c = _calendar(run_script=lambda ln, sel: ran.append(sel))
    c.configure(b"OLD", ((b"S", h("FFFF0101FF000000FF8000FF"), b"W"),), ((b"W", (9,) * 7),),
                ((9, ((h("00000000"), SCRIPTS, 7),)),))
    when = h("07EA0501FF000000FF8000FF")  # 2026-05-01 00:00:00 local
    assert c.set(10, os_(when), None) == SUCCESS and c.armed
    assert enc(c, 10) == h("090C") + when
    t0 = loc(2026, 4, 30, 23, 59, 58)  # (a Thursday; 1 May is a Friday)
    c.tick(t0, t0)
    assert ran == [7] and c.active.name == b"OLD"
    c.tick(t0 + 1, t0 + 1)
    c.tick(t0 + 2, t0 + 2)  # crosses 00:00:00
    assert c.active.name == b"KSMW-2026" and not c.armed
    assert ran == [7, 1]  # summer day 3 at 00:00: T1
    assert enc(c, 5) == enc(c, 9)


def test_calendar_activation_power_down_and_clock_shifts():
    when = h("07EA0501FF000000FF8000FF")
    before = loc(2026, 4, 30, 20)
    after = loc(2026, 5, 2, 8)
    # power down across the activation time: activated once at power up
    c = _calendar()
    c.set(10, os_(when), None)
    c.crossing.start(before, before)  # power-down instant restored from the store
    c.tick(after, after)
    assert c.active.name == b"KSMW-2026"
    # clock set backward over it: nothing
    c = _calendar()
    c.set(10, os_(when), None)
    c.tick(after, after)  # first tick: starts the crossing state only
    c.tick(before, before)
    c.tick(before + 1, before + 1)
    assert c.active.name == b""
    # ... and then forward over it again: activated
    c.tick(after, after)
    assert c.active.name == b"KSMW-2026"
    # an activation time written in the past is never reached
    c = _calendar()
    c.tick(after, after)
    c.set(10, os_(when), None)
    c.tick(after + 1, after + 1)
    assert c.active.name == b"" and c.armed


def test_calendar_set_validation():
    c = ActivityCalendar(obis("0-0:13.0.0.255"), step=900)
    # activate_passive_calendar_time: all fields not specified, or all specified
    assert c.set(10, os_(h("FFFFFFFFFFFFFFFFFF8000FF")), None) == SUCCESS and not c.armed
    assert c.set(10, os_(h("FFFF0501FF000000FF8000FF")), None) == OTHER_REASON  # partly
    assert c.set(10, os_(h("07EA0230FF000000FF8000FF")), None) == OTHER_REASON  # 30 Feb
    assert c.set(10, os_(h("07EA0501FF000000")), None) == TYPE_UNMATCHED
    assert c.set(10, (axdr.DATE_TIME, h("07EA0501FF000000FF8000FF")), None) == SUCCESS
    # capacities (KSMW 5.5 defaults: 4 seasons, 4 week profiles, 4 day profiles, 8 switches)
    s = PASSIVE_SEASONS[1][0]
    assert c.set(7, arr(s, s, s, s), None) == SUCCESS
    assert c.set(7, arr(s, s, s, s, s), None) == OTHER_REASON
    weeks = [st(os_(bytes((0x57, 0x30 + k))), *[u8(1)] * 7) for k in range(5)]
    assert c.set(8, arr(*weeks), None) == OTHER_REASON
    assert c.set(9, arr(*[_day(k, (0, 0, 1)) for k in range(5)]), None) == OTHER_REASON
    assert c.set(9, arr(_day(1, *[(k, 0, 1) for k in range(9)])), None) == OTHER_REASON
    assert c.set(9, arr(_day(1, *[(k, 0, 1) for k in range(8)])), None) == SUCCESS
    # types and values
    assert c.set(7, arr(st(os_(b"S"), os_(h("FFFF0401FF000000")), os_(b"W"))), None) == (
        TYPE_UNMATCHED)
    assert c.set(7, arr(st(os_(b"S"), os_(h("FFFFFF01FF000000FF8000FF")), os_(b"W"))), None) == (
        OTHER_REASON)  # season_start needs a month
    assert c.set(8, arr(st(os_(b"W"), *[u8(1)] * 6)), None) == TYPE_UNMATCHED
    assert c.set(8, arr(st(os_(b"W"), *[u8(1)] * 7), st(os_(b"W"), *[u8(1)] * 7)), None) == (
        OTHER_REASON)
    assert c.set(9, arr(_day(1, (6, 10, 1))), None) == OTHER_REASON  # off the 15 min grid
    assert c.set(9, arr(_day(1, (24, 0, 1))), None) == OTHER_REASON
    assert c.set(9, arr(_day(1, (6, 0, 1)), _day(1, (7, 0, 1))), None) == OTHER_REASON
    bad = st(u8(1), arr(st(os_(h("06000000")), os_(SCRIPTS), u8(1))))
    assert c.set(9, arr(bad), None) == TYPE_UNMATCHED
    assert c.set(6, (axdr.VISIBLE_STRING, b"X"), None) == TYPE_UNMATCHED
    assert c.set(6, os_(b"X" * 33), None) == OTHER_REASON
    for a in (1, 2, 3, 4, 5):
        assert c.set(a, os_(b""), None) == READ_WRITE_DENIED
    # refused writes left the last good value (8 switching times, selector 1)
    assert axdr.decode(enc(c, 9))[1][0][1][1][1][7][1][2] == (UINT16, 1)


# ---------------------------------------------------------------- the KSMW 5.5 chain
def test_tariff_chain_calendar_scripts_register_activation():
    """Calendar -> tariffication script table -> register activation (energy and maximum
    demand) -> currently active energy tariff (KSMW 5.5)."""
    cur = Data(obis("0-0:96.14.0.255"), value=(OCTET_STRING, b""))
    energy = _ksmw_activation(lambda o: setattr(cur, "value", (OCTET_STRING, o.active)))
    md = RegisterActivation(obis("0-0:14.0.2.255"),
                            ((4, obis("1-0:1.6.1.255")), (4, obis("1-0:1.6.2.255"))),
                            ((b"T1", (1,)), (b"T2", (2,))), b"T1")
    energy.activate(b"T1")
    objs = {energy.ln: energy, md.ln: md}
    table = ScriptTable(SCRIPTS, objs.get, scripts=[
        (k, ((1, 6, energy.ln, 4, (OCTET_STRING, bytes((0x54, 0x30 + k)))),
             (1, 6, md.ln, 4, (OCTET_STRING, bytes((0x54, 0x30 + k)))))) for k in (1, 2)])
    cal = _calendar(run_script=lambda ln, sel: table.run(sel))
    cal.activate()
    t = loc(2026, 1, 12, 21, 59, 59)
    cal.tick(t, t)
    assert energy.active == b"T2" and md.active == b"T2" and cur.value == (OCTET_STRING, b"T2")
    cal.tick(t + 1, t + 1)
    assert energy.active == b"T1" and md.active == b"T1" and cur.value == (OCTET_STRING, b"T1")
    assert energy.is_active(obis("1-0:1.8.1.255")) and not energy.is_active(obis("1-0:1.8.2.255"))
    assert md.is_active(obis("1-0:1.6.1.255"))
