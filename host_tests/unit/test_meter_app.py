# SPDX-License-Identifier: MIT
"""The meter application over time (issue #6): energy totals and tariff rates switched by the
calendar and special days, wrap-around (KSMW 5.2), demand and maximum demand (5.3), clock
setting rules and power reserve (5.4), scheduler catch-up after power down and time shifts
(5.4.1), billing steps and reset lock (5.6), load profile status and opt-in/out (5.7)."""

from unitlib import FakeBoard, h, management_session, rmtree

from dlms.apdu import axdr
from dlms.apdu.axdr import Writer, decode
from dlms.cosem.base import SUCCESS, obis
from dlms.util import timeconv as tc

# constant load: 4 kW import, 1 kvar import -> per quarter hour +A 1000 Wh, +R 250 varh
CURVE = ((0, 4000, 0, 1000, 0),)
_W = Writer(4096)
DIR = "build/test-meter-app"


def utc(y, mo, d, hh=0, mi=0, s=0, dev=60):
    """UTC seconds of a local wall time with deviation dev minutes east (CET 60, CEST 120)."""
    return tc.to_secs(y, mo, d, hh, mi, s) - dev * 60


def meter(t, store=None, rtc_ok=True, fresh=True, rtc_set=False):
    """A management session of a meter whose board clock is at UTC seconds t."""
    if store and fresh:
        rmtree(store)
    b = FakeBoard(t * 1000)
    b.curve = CURVE
    b.rtc_ok = rtc_ok
    b.rtc_was_set = rtc_set
    if store:
        b.store_path = store
    return management_session(b)


def run_to(s, t):
    """Board time to UTC seconds t, the application advanced to it."""
    s.board.t = t * 1000
    s.meter.timeline.advance()


def read(o, attr=2):
    _W.pos = 0
    r = o.get(attr, _W, None)
    if not isinstance(r, int):
        for _ in r:
            pass
    return decode(bytes(_W.mv[:_W.pos]))


def value(s, ln, attr=2):
    return read(s.server.find(obis(ln)), attr)[1]


def rows(s, ln):
    return [[v[1] for v in r[1]] for r in read(s.meter.profiles.get(ln))[1]]


def stamp(dt):
    """(y, mo, d, hh, mi) of a 12-byte date-time."""
    y, mo, d, _wd, hh, mi, _s, _hs, _dev, _st = tc.unpack_datetime(dt)
    return y, mo, d, hh, mi


def act(ln, m, data, cid=9):
    return bytes((0xC3, 1, 0xC1, 0, cid)) + obis(ln) + bytes((m, 1)) + data


def set_req(cid, ln, attr, data):
    return bytes((0xC1, 1, 0xC1, 0, cid)) + obis(ln) + bytes((attr, 0)) + data


def events(s, ln="0-0:99.98.0.255", skip=()):
    return [(stamp(r[0]), r[1]) for r in rows(s, ln) if r[1] not in skip]


# ---------------------------------------------------------------- energy, tariffs (5.2, 5.5)
def test_tariff_rates_follow_the_calendar():
    t0 = utc(2026, 1, 14)  # a Wednesday, CET
    s = meter(t0)
    run_to(s, t0 + 86400)
    # KSMW 5.5 Table 22: T1 22:00-06:00 (8 h), T2 06:00-22:00 (16 h); 4 kWh per hour
    assert [value(s, "1-0:1.8.%d.255" % e) for e in (0, 1, 2)] == [96000, 32000, 64000]
    assert [value(s, "1-0:3.8.%d.255" % e) for e in (0, 1, 2)] == [24000, 8000, 16000]
    assert value(s, "1-0:2.8.0.255") == 0
    assert value(s, "0-0:96.14.0.255") == b"T1"  # currently active (midnight)
    log = events(s, "0-0:99.98.11.255")  # tariff activation log: every change
    # at power up the calendar replaces the default "T2" with the tariff in force
    assert log == [((2026, 1, 14, 0, 0), b"T1"), ((2026, 1, 14, 6, 0), b"T2"),
                   ((2026, 1, 14, 22, 0), b"T1")]


def test_special_day_overrides_the_week():
    t0 = utc(2026, 1, 14)
    s = meter(t0)
    cal = s.meter.catalog.materialize(obis("0-0:13.0.0.255"))
    script = obis("0-0:10.0.100.255")
    # day profile 2: T1 all day; the special day 2026-01-15 uses it
    cal.configure(b"KSMW", ((b"S1", b"\xff\xff\x01\x01\xff\x00\x00\x00\x00\x80\x00\xff", b"W1"),),
                  ((b"W1", b"\x01" * 7),),
                  ((1, ((b"\x00\x00\x00\x00", script, 1), (b"\x06\x00\x00\x00", script, 2),
                        (b"\x16\x00\x00\x00", script, 1))),
                   (2, ((b"\x00\x00\x00\x00", script, 1),))))
    special = s.meter.catalog.materialize(obis("0-0:11.0.0.255"))
    special.insert(1, b"\x07\xea\x01\x0f\xff", 2)
    run_to(s, utc(2026, 1, 16))
    # 14th: 8 h T1 + 16 h T2; 15th (special): 24 h T1
    assert [value(s, "1-0:1.8.%d.255" % e) for e in (1, 2)] == [4000 * 32, 4000 * 16]


def test_energy_wraps_around():
    t0 = utc(2026, 1, 14)
    s = meter(t0)
    s.meter.energy.preset((999999500, 0, 0, 0))
    run_to(s, t0 + 900)
    assert value(s, "1-0:1.8.0.255") == 500  # 999 999 999 Wh + 1 -> 0 (KSMW 5.2 direct)


# ---------------------------------------------------------------- demand (5.3)
def test_demand_maximum_and_capture_time():
    t0 = utc(2026, 1, 14)
    s = meter(t0 + 300)
    run_to(s, t0 + 900)  # a partial first period: 10 min at 4 kW over 900 s
    assert value(s, "1-0:1.4.0.255", 3) == 2667
    run_to(s, t0 + 1800)
    assert value(s, "1-0:1.4.0.255", 3) == 4000  # last_average_value, W
    assert value(s, "1-0:1.6.0.255") == 4000
    assert stamp(value(s, "1-0:1.6.0.255", 5)) == (2026, 1, 14, 0, 30)
    assert value(s, "1-0:3.6.0.255") == 1000  # var
    assert value(s, "1-0:2.6.0.255") == 0


# ---------------------------------------------------------------- billing (5.6)
def test_billing_steps_in_order_and_reset_lock():
    t0 = utc(2026, 1, 14)
    s = meter(t0, DIR)  # files: a RAM ring of the unit tests holds two billing entries
    run_to(s, t0 + 1800)
    assert value(s, "0-0:0.1.0.255") == 0
    # a client runs the MDI reset / end of billing script
    assert s.req(act("0-0:10.0.1.255", 1, h("120001"))) == h("C701C10000")
    b = rows(s, "0-0:98.1.0.255")
    assert len(b) == 1
    r = b[0]
    assert len(r) == 26 and stamp(r[0]) == (2026, 1, 14, 0, 30)
    assert r[1] == 1  # step 1 before step 3: the entry holds the new counter
    assert r[2:5] == [2000, 2000, 0]  # +A total, T1, T2 (T1 until 06:00)
    # P+ max and its time: the first period's 4000 W (equal later averages do not replace)
    assert r[14] == 4000 and stamp(r[15]) == (2026, 1, 14, 0, 15)
    assert r[22] == 4000  # step 2 before step 3: cumulative P+ max holds this period
    # step 4: maximum demand reset, capture time = reset time
    assert value(s, "1-0:1.6.0.255") == 0 and value(s, "1-0:1.2.0.255") == 4000
    assert stamp(value(s, "1-0:1.6.0.255", 5)) == (2026, 1, 14, 0, 30)
    # reset lock: a client's request within 15 min answers other-reason, nothing captured
    run_to(s, t0 + 1800 + 899)
    assert s.req(act("0-0:10.0.1.255", 1, h("120001"))) == h("C701C1FA00")
    # the button is ignored without indication
    s.meter.billing.button()
    assert len(rows(s, "0-0:98.1.0.255")) == 1 and value(s, "0-0:0.1.0.255") == 1
    # the monthly scheduler is not locked (synchronous)
    s.meter.billing._run_sync(obis("0-0:10.0.1.255"), 1)
    assert value(s, "0-0:0.1.0.255") == 2
    run_to(s, t0 + 1800 + 900)
    assert s.meter.billing.button() == SUCCESS
    assert value(s, "0-0:0.1.0.255") == 3 and len(rows(s, "0-0:98.1.0.255")) == 3


def test_billing_counter_rolls_over_and_monthly_scheduler():
    t0 = utc(2026, 1, 31, 23)
    s = meter(t0)
    s.meter.profiles.get("0-0:0.1.0.255").value = (axdr.UINT8, 99)
    run_to(s, utc(2026, 2, 1, 1))
    assert value(s, "0-0:0.1.0.255") == 0  # 99 -> 00
    b = rows(s, "0-0:98.1.0.255")
    assert len(b) == 1 and stamp(b[0][0]) == (2026, 2, 1, 0, 0)  # 00:00 on the 1st


# ---------------------------------------------------------------- clock (5.4)
def test_clock_setting_rules_events_and_cad():
    t0 = utc(2026, 1, 14, 10)
    s = meter(t0 + 60)

    def set_local(hh, mi, sec):
        dt = bytearray(12)
        tc.pack_datetime(dt, 0, tc.to_secs(2026, 1, 14, hh, mi, sec), 0xFF, -0x8000, 0xFF)
        return s.req(set_req(8, "0-0:1.0.0.255", 2, h("090C") + bytes(dt)))

    assert set_local(10, 1, 1) == h("C501C100")  # < 2 s: not adjusted
    assert (s.meter.clock.off_s, s.meter.clock.off_ms) == (0, 0)
    assert set_local(10, 1, 5) == h("C501C100")  # 5 s < shift limit 9: no events
    # (each accepted clock setting is also a configuration event 47, KSMW 5.13)
    assert (s.meter.clock.off_s, s.meter.clock.off_ms) == (5, 0) and events(s, skip=(47,)) == []
    assert s.req(bytes((0xC0, 1, 0xC1, 0, 3)) + obis("1-0:0.9.11.255") + h("0200")) == \
        h("C401C100 1109")  # KSMW 5.4: 9 s
    assert set_local(10, 2, 0) == h("C501C100")  # 55 s: clock adjusted events 4, 5
    assert [e[1] for e in events(s, skip=(47,))] == [4, 5]
    assert events(s, skip=(47,))[1][0] == (2026, 1, 14, 10, 2)
    run_to(s, t0 + 900 - 55 + 1)
    lp = rows(s, "1-0:99.1.0.255")
    assert len(lp) == 1 and lp[0][1] == 0x20 | 0x04  # CAD + DNV, once
    run_to(s, t0 + 1800 - 55 + 1)
    assert rows(s, "1-0:99.1.0.255")[1][1] == 0
    assert s.req(set_req(8, "0-0:1.0.0.255", 2, h("090C") + bytes(12))) == h("C501C1FA")


def set_clock(s, u):
    """SET the clock (attribute 2) to UTC seconds u, as a client writes local time."""
    dt = bytearray(12)
    tc.pack_datetime(dt, 0, s.meter.clock.local(u), 0xFF, -0x8000, 0xFF)
    return s.req(set_req(8, "0-0:1.0.0.255", 2, h("090C") + bytes(dt)))


ENERGY = ("1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255")


def test_clock_settings_move_no_energy():
    # issue #11: +A/+R integrate board (metering) time only; 4 kW / 1 kvar constant
    for shift in (10, -10, 600, -600, 3600, -3600, 86400, -86400):
        t0 = utc(2026, 1, 14, 10, 7)
        s = meter(t0)
        run_to(s, t0 + 450)  # 450 s metered: 500 Wh
        assert [value(s, ln) for ln in ENERGY] == [500, 0, 125, 0]
        assert set_clock(s, s.meter.clock.utc() + shift) == h("C501C100"), shift
        assert [value(s, ln) for ln in ENERGY] == [500, 0, 125, 0], shift
        for k in range(1, 9):  # 8 x 450 s more of metering after the setting
            run_to(s, t0 + 450 + 450 * k)
            assert value(s, "1-0:1.8.0.255") == 500 * (k + 1), (shift, k)
            assert value(s, "1-0:3.8.0.255") == 125 * (k + 1), (shift, k)
            # demand never above the load: no period holds more than 900 s of metering
            assert value(s, "1-0:1.4.0.255") <= 4000, (shift, k)
            assert value(s, "1-0:1.4.0.255", 3) <= 4000, (shift, k)
            assert value(s, "1-0:1.6.0.255") <= 4000, (shift, k)
        # full periods after the setting: the regular average again
        assert value(s, "1-0:1.4.0.255", 3) == 4000, shift
        assert value(s, "1-0:1.6.0.255") == 4000, shift
        assert value(s, "1-0:3.6.0.255") == 1000, shift


def test_clock_adjust_methods_move_no_energy():
    t0 = utc(2026, 1, 14, 10, 7)
    s = meter(t0)
    run_to(s, t0 + 450)
    # shift_time(+900 s), adjust_to_quarter (rounds 10:22:30 -> 10:30)
    assert s.req(act("0-0:1.0.0.255", 6, h("100384"), 8)) == h("C701C10000")
    assert s.req(act("0-0:1.0.0.255", 1, h("0F00"), 8)) == h("C701C10000")
    assert s.meter.clock.utc() == utc(2026, 1, 14, 10, 30)
    assert value(s, "1-0:1.8.0.255") == 500
    run_to(s, t0 + 900)
    assert value(s, "1-0:1.8.0.255") == 1000


def test_restart_with_clock_behind_or_ahead_moves_no_energy():
    t0 = utc(2026, 1, 14, 10)
    s = meter(t0, DIR)
    run_to(s, t0 + 1800)
    assert value(s, "1-0:1.8.0.255") == 2000
    s.meter.power_down()
    # the board's RTC restarts 10 days before the last record: it lost its time (KSMW 5.4)
    s = meter(t0 - 10 * 86400, DIR, fresh=False)
    assert s.meter.clock.utc() == t0 + 1801
    assert value(s, "0-0:1.0.0.255", 4) & tc.STATUS_INVALID
    assert value(s, "1-0:1.8.0.255") == 2000
    for k in range(1, 5):  # the registers keep counting: 1000 Wh per quarter hour metered
        run_to(s, t0 - 10 * 86400 + 900 * k)
        assert value(s, "1-0:1.8.0.255") == 2000 + 1000 * k
    s.meter.power_down()
    s = meter(t0 + 30 * 86400, DIR, fresh=False)  # a month later: the outage meters nothing
    assert value(s, "1-0:1.8.0.255") == 6000
    run_to(s, t0 + 30 * 86400 + 900)
    assert value(s, "1-0:1.8.0.255") == 7000


def test_clock_setting_outlives_a_restart_unless_the_rtc_was_set():
    t0 = utc(2026, 1, 14, 10)
    s = meter(t0, DIR)
    set_clock(s, t0 + 3600)  # a client sets the clock an hour ahead (KSMW 5.4)
    s.meter.power_down()
    s = meter(t0 + 60, DIR, fresh=False)  # the RTC ran on through the outage
    assert s.meter.clock.utc() == t0 + 3660
    assert not value(s, "0-0:1.0.0.255", 4) & tc.STATUS_INVALID
    assert [e[1] for e in events(s, skip=(47,))] == [4, 5, 1, 2]  # no clock invalid (6)
    s.meter.power_down()
    s = meter(t0 + 120, DIR, fresh=False, rtc_set=True)  # the RTC set since (deploy, --start)
    assert s.meter.clock.utc() == t0 + 3661  # behind the last record: power-down + 1 s
    assert value(s, "0-0:1.0.0.255", 4) & tc.STATUS_INVALID
    set_clock(s, t0 + 200)  # a client puts it right; an RTC set ahead of the record:
    s.meter.power_down()
    s = meter(t0 + 4000, DIR, fresh=False, rtc_set=True)
    assert s.meter.clock.utc() == t0 + 4000  # the RTC's time, the offset dropped


def test_dst_gap_refused_and_repeated_hour_accepted():
    s = meter(utc(2026, 3, 29, 1))
    dt = bytearray(12)
    tc.pack_datetime(dt, 0, tc.to_secs(2026, 3, 29, 2, 30, 0), 0xFF, -0x8000, 0xFF)
    assert s.req(set_req(8, "0-0:1.0.0.255", 2, h("090C") + bytes(dt))) == h("C501C1FA")


def test_power_reserve_exhausted_restarts_at_power_down_plus_one():
    t0 = utc(2026, 1, 14, 10)
    s = meter(t0, DIR)
    run_to(s, t0 + 900)
    s.meter.power_down()
    s = meter(t0 + 5000, DIR, rtc_ok=False, fresh=False)  # RTC lost: its time is garbage
    assert s.meter.clock.utc() == t0 + 901  # KSMW 5.4: power-down time + 1 s
    assert value(s, "0-0:1.0.0.255", 4) & tc.STATUS_INVALID
    ev = events(s)
    assert [e[1] for e in ev] == [1, 2, 6]  # power down, power up, clock invalid
    # KSMW 5.5: with an invalid clock the default tariff script runs (1: T1), not the T2
    # of 10:15; a new default applies at the next tick
    assert value(s, "0-0:96.14.0.255") == b"T1"
    assert s.req(set_req(1, "0-0:96.14.15.255", 2, h("120002"))) == h("C501C100")
    assert s.req(set_req(1, "0-0:96.14.15.255", 2, h("120003"))) == h("C501C1FA")
    s.board.t += 1000
    s.meter.timeline.advance()
    assert value(s, "0-0:96.14.0.255") == b"T2"
    s.board.t += 899 * 1000
    s.meter.timeline.advance()
    lp = rows(s, "1-0:99.1.0.255")
    assert lp[-1][1] == 0x80 | 0x04 | 0x02  # PDN, DNV, CIV


# ---------------------------------------------------------------- schedulers (5.4.1)
def test_scheduler_catch_up_after_power_down_once():
    t0 = utc(2026, 1, 31, 22)
    s = meter(t0, DIR)
    run_to(s, t0 + 900)
    s.meter.power_down()
    # off over the monthly billing instant (00:00 on the 1st): executed once after power up
    s = meter(utc(2026, 2, 1, 3), DIR, fresh=False)
    assert value(s, "1-0:1.8.0.255") == 1000  # persisted at the power-fail warning
    # the missed monthly closure ran at power up: the maximum of 22:15 went to the
    # cumulative maximum and the billing entry, then was reset
    assert value(s, "1-0:1.2.0.255") == 4000 and value(s, "1-0:1.6.0.255") == 0
    run_to(s, utc(2026, 2, 1, 3) + 1)
    assert value(s, "0-0:0.1.0.255") == 1
    b = rows(s, "0-0:98.1.0.255")
    assert len(b) == 1 and stamp(b[0][0]) == (2026, 2, 1, 3, 0) and b[0][14] == 4000
    lp = rows(s, "1-0:99.1.0.255")
    assert [stamp(r[0])[3:] for r in lp] == [(22, 15)]  # no entries for the outage
    run_to(s, utc(2026, 2, 1, 3, 15))
    assert rows(s, "1-0:99.1.0.255")[-1][1] & 0x80  # PDN on the next entry
    assert [e[1] for e in events(s)] == [1, 2]


def test_scheduler_on_time_shifts():
    t0 = utc(2026, 1, 31, 23, 50)
    s = meter(t0)
    run_to(s, t0 + 60)
    # shift forward over 00:00 on the 1st: executed once
    s.meter.clock.set_utc(utc(2026, 2, 1, 0, 30))
    run_to(s, t0 + 61)
    assert value(s, "0-0:0.1.0.255") == 1
    # shift backward over it again: no action; run over it again: executed again
    s.meter.clock.set_utc(utc(2026, 1, 31, 23, 55))
    run_to(s, t0 + 62)
    assert value(s, "0-0:0.1.0.255") == 1
    s.board.t += 600 * 1000
    s.meter.timeline.advance()
    assert value(s, "0-0:0.1.0.255") == 2


# ---------------------------------------------------------------- load profiles (5.7)
def test_lp_opt_out_in_marks_cdi_and_skips_periods():
    # KSMW 5.7.4.1 Table 30: opt-out at 01:15, opt-in at 04:52 (scripts 4 and 3)
    s = meter(utc(2027, 2, 15, 0, 45))
    run_to(s, utc(2027, 2, 15, 1, 15))
    assert s.req(act("0-0:10.0.109.255", 1, h("120004"))) == h("C701C10000")
    assert value(s, "0-0:96.5.3.255") == 2  # LP2 capturing, LP1 not
    run_to(s, utc(2027, 2, 15, 4, 52))
    assert s.req(act("0-0:10.0.109.255", 1, h("120003"))) == h("C701C10000")
    run_to(s, utc(2027, 2, 15, 5, 30))
    lp = rows(s, "1-0:99.1.0.255")
    assert [(stamp(r[0])[3:], r[1]) for r in lp] == [
        ((1, 0), 0), ((1, 15), 0), ((1, 30), 0x10), ((5, 0), 0x10), ((5, 15), 0), ((5, 30), 0)]
    assert [r[2] for r in lp] == [1000 * k for k in (1, 2, 3, 17, 18, 19)]
    assert [e[1] for e in events(s)] == [231, 230]
    assert value(s, "0-0:96.5.3.255") == 3


def test_lp_dst_entries_and_midnight():
    # KSMW 5.7.4.1 Tables 33 and 31 (2016 dates replayed in 2027: profiles keep time from
    # 2020 on): no extra entries at the season change, DST bit
    s = meter(utc(2027, 3, 28, 1, 10))
    run_to(s, utc(2027, 3, 28, 3, 50, 0, 120))
    lp = rows(s, "1-0:99.1.0.255")
    assert [(stamp(r[0])[3:], r[1]) for r in lp] == [
        ((1, 15), 0), ((1, 30), 0), ((1, 45), 0), ((3, 0), 8), ((3, 15), 8), ((3, 30), 8),
        ((3, 45), 8)]
    s = meter(utc(2027, 2, 15, 23, 10))
    run_to(s, utc(2027, 2, 16, 0, 40))
    assert [stamp(r[0])[2:] for r in rows(s, "1-0:99.1.0.255")] == [
        (15, 23, 15), (15, 23, 30), (15, 23, 45), (16, 0, 0), (16, 0, 15), (16, 0, 30)]
    lp2 = rows(s, "1-0:99.2.0.255")
    assert [stamp(r[0]) for r in lp2] == [(2027, 2, 16, 0, 0)]


def test_corrupt_record_sets_err():
    # KSMW 5.7.3: a checksum error sets ERR (and DNV) in the next entries; event 14
    t0 = utc(2026, 1, 14, 10)
    s = meter(t0, DIR)
    run_to(s, t0 + 900)
    s.meter.power_down()
    for slot in (0, 1):
        with open(DIR + "/energy.%d" % slot, "wb") as f:
            f.write(b"\x00" * 40)
    s = meter(t0 + 960, DIR, fresh=False)
    assert [e[1] for e in events(s)] == [1, 2, 14]  # power down, up, NV memory error
    run_to(s, t0 + 1800)
    lp = rows(s, "1-0:99.1.0.255")
    assert lp[-1][1] == 0x80 | 0x04 | 0x01  # PDN, DNV, ERR
    run_to(s, t0 + 2700)
    assert rows(s, "1-0:99.1.0.255")[-1][1] == 0


def test_configuration_event_log():
    # KSMW 5.13: a client's SET, or an ACTION that changes configuration -> event 47 and an
    # entry with IdDetail {service, class_id, logical_name, index}; other ACTIONs log nothing
    t0 = utc(2026, 1, 14, 10)
    s = meter(t0)
    assert s.req(set_req(1, "0-0:96.14.15.255", 2, h("120002"))) == h("C501C100")
    assert s.req(act("0-0:13.0.0.255", 1, h("0F00"), 20)) == h("C701C10000")
    assert s.req(act("0-0:10.0.100.255", 1, h("120001"))) == h("C701C10000")  # operation
    assert s.req(set_req(1, "0-0:96.14.15.255", 2, h("120009"))) == h("C501C1FA")  # refused
    log = rows(s, "0-0:99.98.10.255")
    assert [[v[1] for v in r[1]] for r in log] == [
        [1, 1, obis("0-0:96.14.15.255"), 2], [2, 20, obis("0-0:13.0.0.255"), 1]]
    assert [e[1] for e in events(s)] == [47, 47]
    assert [v[1] for v in value(s, "0-0:94.43.150.255")] == [2, 20, obis("0-0:13.0.0.255"), 1]


def test_lp_display_control():
    # KSMW 5.15.1 Table 43: scripts of 0-0:10.1.109.255, status 0-0:96.5.4.255
    s = meter(utc(2026, 1, 14, 10))
    p = s.meter.profiles
    assert value(s, "0-0:96.5.4.255") == 3 and p.lp_displayed(0) and p.lp_displayed(1)
    assert s.req(act("0-0:10.1.109.255", 1, h("120004"))) == h("C701C10000")
    assert value(s, "0-0:96.5.4.255") == 2 and not p.lp_displayed(0)
    assert s.req(act("0-0:10.1.109.255", 1, h("120002"))) == h("C701C10000")
    assert value(s, "0-0:96.5.4.255") == 0
    assert s.req(act("0-0:10.1.109.255", 1, h("120005"))) == h("C701C10000")
    assert value(s, "0-0:96.5.4.255") == 2
    assert s.req(act("0-0:10.1.109.255", 1, h("120007"))) == h("C701C1FA00")
    assert value(s, "0-0:96.5.3.255") == 3  # capturing is another matter (5.7.2)
