# SPDX-License-Identifier: MIT
"""KSMW 5.7.4 example tables reproduced row by row from load profiles read with gurux-dlms
(management client, HLS-5, TCP wrapper): opt-out 01:15 / opt-in 04:52 (Table 30), midnight
(Tables 31, 32), season change both ways (Tables 33, 34). The meter runs on its simulated
clock (tools/run_meter.py --speed, --start) with a constant load curve: 4 kW import, so +A
grows by 1000 Wh per quarter hour. The opt-in/out goes through the load profile control
schedule and script table (KSMW 5.7.2) written by the client. The tables' 2016 dates are
replayed on the same days of 2027 (same weekdays, EU season changes on 28 March and 31
October): the profiles store time from 2020 on (meterapp/ringstore.py)."""
import datetime
import time

import pytest
from gurux_dlms import GXStructure, GXUInt16, GXArray
from gurux_dlms.enums import DataType

from conftest import Meter, constant_curve
from lp1_fixture import UTC, dt_utc
from test_interop_gurux import management
from test_profile_gurux import by_range, select

CLOCK = "0-0:1.0.0.255"
LP1 = "1-0:99.1.0.255"
LP2 = "1-0:99.2.0.255"
SCHEDULE = "0-0:15.0.5.255"
SCRIPTS = bytes((0, 0, 10, 0, 109, 255))
PDN, CDI, DST = 0x80, 0x10, 0x08


@pytest.fixture(scope="module")
def curve():
    return constant_curve(4000, 1000)


def start(curve, local, dev, speed):
    """A new meter whose clock starts at local wall time `local` (deviation dev minutes east
    of UTC) running `speed` times faster than real time."""
    t = (local - datetime.timedelta(minutes=dev)).replace(tzinfo=UTC)
    meter = Meter(args=("--speed", str(speed), "--start", str(int(t.timestamp())),
                        "--load-curve", curve, "--no-hdlc"))
    meter.speed = speed
    return meter


def local_of(raw):
    """12-byte date-time -> (naive local wall time, deviation, DST status bit)."""
    raw = bytes(raw)
    dev = int.from_bytes(raw[9:11], "big", signed=True)
    t = datetime.datetime(int.from_bytes(raw[:2], "big"), raw[2], raw[3], raw[5], raw[6],
                          raw[7])
    return t, dev, bool(raw[11] & 0x80)


def wait_until(meter, local, dev):
    """Poll the meter's clock (a short association each time) until local wall time: sleeps
    half the real time still to go (at the meter's speed), so the clock passes the target
    by at most one poll, however slow the host; the deadline is far above the longest
    wait (84 simulated hours at 7200: 42 s)."""
    target = (local - datetime.timedelta(minutes=dev)).replace(tzinfo=UTC)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with management(meter, "tcp") as m:
            m.associate()
            now = dt_utc(m.get_raw(8, CLOCK, 2)[2:])
            m.release()
        if now >= target:
            return
        time.sleep(min(2.0, max(0.05, (target - now).total_seconds() / meter.speed / 2)))
    raise AssertionError("the meter clock did not reach %s" % local)


def table(rows):
    """[(local wall time 'HH:MM', status, +A)] of profile rows (clock, status, +A, ...)."""
    out = []
    for r in rows:
        t, dev, dst = local_of(r[0])
        assert dev == (-120 if dst else -60), r  # CET/CEST, Blue Book sense
        assert bool(r[1] & DST) == dst, r  # the status bit follows the clock's season
        out.append((t.strftime("%Y-%m-%d %H:%M"), r[1], r[2]))
    return out


def since(t, first):
    """The rows of table() from the one stamped `first` on."""
    k = [w for w, _, _ in t].index(first)
    return t[k:]


def after(rows, first):
    """table(rows) from the row stamped `first` on ([] while it is not there)."""
    t = table(rows)
    return since(t, first) if first in [w for w, _, _ in t] else []


def poll(meter, read, ready, deadline=60):
    """read(gurux meter) in a fresh association until ready(result): the meter's timeline
    steps behind its clock (a loop step: 60 simulated seconds at speed 600, more on a busy
    host), so a capture or script at an instant the clock has passed may come a step later."""
    limit = time.monotonic() + deadline
    while True:
        with management(meter, "tcp") as m:
            m.associate()
            out = read(m)
            m.release()
        if ready(out):
            return out
        assert time.monotonic() < limit, ("not there yet", out)
        time.sleep(0.05)


def steps(t):
    """+A differences between consecutive rows."""
    return [b[2] - a[2] for a, b in zip(t, t[1:])]


def schedule(m, selector, hh, mi, day):
    """Load profile control schedule: script `selector` of 0-0:10.0.109.255 at hh:mi on day
    (KSMW 5.7.2; IC 22 type 1)."""
    script = GXStructure()
    script.append(SCRIPTS)
    script.append(GXUInt16(selector))
    assert m.set(22, SCHEDULE, 2, script, DataType.STRUCTURE) == 0
    entry = GXStructure()
    entry.append(bytes((hh, mi, 0, 0)))
    entry.append(day.year.to_bytes(2, "big") + bytes((day.month, day.day, 0xFF)))
    times = GXArray()
    times.append(entry)
    assert m.set(22, SCHEDULE, 4, times, DataType.ARRAY) == 0


def test_table_30_opt_out_01_15_opt_in_04_52(curve):
    day = datetime.date(2027, 2, 15)
    meter = start(curve, datetime.datetime(2027, 2, 15, 0, 20), 60, 600)
    try:
        with management(meter, "tcp") as m:
            m.associate()
            schedule(m, 4, 1, 15, day)  # script 4: deactivate LP1
            m.release()
        wait_until(meter, datetime.datetime(2027, 2, 15, 1, 16), 60)
        poll(meter, lambda m: m.get(1, "0-0:96.5.3.255", 2), lambda v: v == 2)  # LP1 off
        with management(meter, "tcp") as m:
            m.associate()
            schedule(m, 3, 4, 52, day)  # script 3: activate LP1
            m.release()
        wait_until(meter, datetime.datetime(2027, 2, 15, 5, 31), 60)
        lo = datetime.datetime(2027, 2, 15, 0, 0, tzinfo=UTC)  # 01:00 CET
        rows, on = poll(meter, lambda m: (
            select(m, by_range(lo, lo + datetime.timedelta(hours=4, minutes=30))),
            m.get(1, "0-0:96.5.3.255", 2)), lambda r: after(r[0], "2027-02-15 05:30"))
        assert on == 3
    finally:
        meter.stop()
    t = table(rows)
    assert [(w[11:], s) for w, s, _ in t] == [
        ("01:00", 0), ("01:15", 0), ("01:30", CDI), ("05:00", CDI), ("05:15", 0),
        ("05:30", 0)]
    assert steps(t) == [1000, 1000, 14000, 1000, 1000]


def run_and_read(curve, begin, dev, speed, until, until_dev, read, ready):
    """A meter from local time `begin` until `until`, then read(gurux meter) -> its result,
    once ready(result) (poll)."""
    meter = start(curve, begin, dev, speed)
    try:
        wait_until(meter, until, until_dev)
        return poll(meter, read, ready)
    finally:
        meter.stop()


def test_tables_31_32_midnight(curve):
    lo = datetime.datetime(2027, 2, 15, 22, 15, tzinfo=UTC)  # 23:15 CET
    # LP2 from the start (12:00 CET) to 2027-02-18 00:00 CET: the read comes after the
    # target 00:05 at 2 simulated hours per second, how long after depends on the host
    lo2 = datetime.datetime(2027, 2, 14, 11, 0, tzinfo=UTC)
    hi2 = datetime.datetime(2027, 2, 17, 23, 0, tzinfo=UTC)
    lp1, lp2 = run_and_read(
        curve, datetime.datetime(2027, 2, 14, 12, 0), 60, 7200,
        datetime.datetime(2027, 2, 18, 0, 5), 60,
        lambda m: (select(m, by_range(lo, lo + datetime.timedelta(minutes=75))),
                   select(m, by_range(lo2, hi2), LP2)),
        lambda r: after(r[1], "2027-02-18 00:00"))
    t = table(lp1)
    assert [(w, s) for w, s, _ in t] == [
        ("2027-02-15 23:15", 0), ("2027-02-15 23:30", 0), ("2027-02-15 23:45", 0),
        ("2027-02-16 00:00", 0), ("2027-02-16 00:15", 0), ("2027-02-16 00:30", 0)]
    assert steps(t) == [1000] * 5
    t = table(lp2)
    assert [(w, s) for w, s, _ in t] == [
        ("2027-02-15 00:00", 0), ("2027-02-16 00:00", 0), ("2027-02-17 00:00", 0),
        ("2027-02-18 00:00", 0)]
    assert steps(t) == [96000] * 3


def test_table_33_normal_to_summer_time(curve):
    rows = run_and_read(curve, datetime.datetime(2027, 3, 28, 0, 5), 60, 600,
                        datetime.datetime(2027, 3, 28, 3, 50), 120, lambda m: m.get(7, LP1, 2),
                        lambda r: len(after(r, "2027-03-28 01:15")) >= 7)
    t = since(table(rows), "2027-03-28 01:15")[:7]
    # no extra entry at the change; the entry at the change shows the new time (Table 33)
    assert [(w[11:], s) for w, s, _ in t] == [
        ("01:15", 0), ("01:30", 0), ("01:45", 0), ("03:00", DST), ("03:15", DST),
        ("03:30", DST), ("03:45", DST)]
    assert all(w.startswith("2027-03-28") for w, _, _ in t)
    assert steps(t) == [1000] * 6


def test_table_34_summer_to_normal_time(curve):
    rows = run_and_read(curve, datetime.datetime(2027, 10, 31, 0, 5), 120, 600,
                        datetime.datetime(2027, 10, 31, 3, 20), 60, lambda m: m.get(7, LP1, 2),
                        lambda r: len(after(r, "2027-10-31 01:15")) >= 13)
    t = since(table(rows), "2027-10-31 01:15")[:13]
    assert [(w[11:], s) for w, s, _ in t] == [
        ("01:15", DST), ("01:30", DST), ("01:45", DST), ("02:00", DST), ("02:15", DST),
        ("02:30", DST), ("02:45", DST), ("02:00", 0), ("02:15", 0), ("02:30", 0),
        ("02:45", 0), ("03:00", 0), ("03:15", 0)]
    assert steps(t) == [1000] * 12
