# SPDX-License-Identifier: MIT
"""A clock setting moves no energy (issue #11, KSMW 5.2-5.4): the management client (gurux-dlms,
HLS-5, TCP) sets the clock back and forward by 10 s, 10 min, 1 h and a day and reads
+A/-A/+R/-R, demand and maximum demand around each setting; the meter restarts with its
clock behind and ahead of the saved state. The load is constant: 3600 W and 900 var import,
so +A grows by exactly 1 Wh and +R by 0.25 varh per second of metering.

Nothing here depends on the host's speed. In real time the energy between two readings is
bounded by the wall time around them (a setting of 10 s or more shows at once). On the
accelerated clock every load profile 1 entry pairs the meter's time t with +A, so K = +A - t
is constant while the clock runs and changes by exactly -(new - old) at a setting or an
outage, whose old and new times the standard event log holds (events 4/5, 1/2)."""
import datetime
import os
import shutil
import time

import pytest
from gurux_dlms.enums import DataType

from conftest import ROOT, Meter, constant_curve
from lp1_fixture import UTC, dt_utc
from test_interop_gurux import encode_datetime, management, split_datetime

CLOCK = "0-0:1.0.0.255"
LP1 = "1-0:99.1.0.255"
EVENT_LOG = "0-0:99.98.0.255"
ENERGY = ("1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255")
DEMAND = "1-0:1.4.0.255"
MAX_DEMAND = "1-0:1.6.0.255"
LOAD_W = 3600
SHIFTS = (10, -10, 600, -600, 3600, -3600, 86400, -86400)
SPEED = 300  # accelerated runs: a quarter hour in 3 s
EV_DOWN, EV_UP, EV_OLD, EV_NEW = 1, 2, 4, 5


@pytest.fixture(scope="module")
def curve():
    return constant_curve(LOAD_W, LOAD_W // 4)


def shift_clock(m, seconds):
    """SET the clock to its own local time + seconds (deviation and status 'not specified':
    KSMW 5.4 ignores them)."""
    local = split_datetime(bytes(m.get(8, CLOCK, 2)))[0] + datetime.timedelta(seconds=seconds)
    return m.set(8, CLOCK, 2, encode_datetime(local), DataType.OCTET_STRING)


def energies(m):
    return [m.get(3, ln, 2) for ln in ENERGY]


def check_demand(m):
    """Demand is never above the load: no period holds more than 900 s of metering."""
    cur, last, md = m.get(5, DEMAND, 2), m.get(5, DEMAND, 3), m.get(4, MAX_DEMAND, 2)
    assert cur <= LOAD_W and last <= LOAD_W and md <= LOAD_W, (cur, last, md)
    return cur, last, md


def wait_growth(m, base, wh, limit=60.0):
    """Poll +A until it has grown by wh (the registers keep counting after a setting)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        e = m.get(3, ENERGY[0], 2)
        if e >= base + wh:
            return e
        time.sleep(0.2)
    raise AssertionError("+A stays at %d: the registers froze" % e)


def test_real_time_settings_move_no_energy(curve):
    meter = Meter(args=("--load-curve", curve, "--no-hdlc"))
    try:
        with management(meter, "tcp") as m:
            m.associate()
            first = time.monotonic()
            e_first = energies(m)
            for shift in SHIFTS:
                a = time.monotonic()
                e0 = energies(m)
                check_demand(m)
                assert shift_clock(m, shift) == 0, shift
                e1 = energies(m)
                b = time.monotonic()
                # +A in Wh = seconds metered; the readings lie inside [a, b] of wall time
                bound = b - a + 2
                assert 0 <= e1[0] - e0[0] <= bound, (shift, e0, e1, bound)
                assert 0 <= e1[2] - e0[2] <= bound / 4 + 1, (shift, e0, e1)
                assert e1[1] == e0[1] == 0 and e1[3] == e0[3] == 0, (shift, e1)
                check_demand(m)
            last = wait_growth(m, e1[0], 3)  # no register froze
            span = time.monotonic() - first
            assert last - e_first[0] <= span + 2, (e_first, last, span)
            check_demand(m)
            m.release()
        assert meter.alive()
    finally:
        meter.stop()


def start(curve, utc_start, state=None):
    args = ["--speed", str(SPEED), "--start", str(int(utc_start.timestamp())), "--load-curve",
            curve, "--no-hdlc"]
    if state:
        args += ["--state-dir", state]
    return Meter(args=args)


def lp1_k(m):
    """[(t, K = +A - t)] of every load profile 1 entry, in capture order."""
    out = []
    for r in m.get(7, LP1, 2):
        t = int(dt_utc(r[0]).timestamp())
        out.append((t, r[2] - t))
    return out


def events(m, codes):
    return [(int(dt_utc(r[0]).timestamp()), r[1]) for r in m.get(7, EVENT_LOG, 2)
            if r[1] in codes]


def wait_entries(m, n, limit=120.0):
    """Poll until load profile 1 holds n entries (the simulated clock runs on)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        if m.get(7, LP1, 7) >= n:
            return
        time.sleep(0.3)
    raise AssertionError("load profile 1 did not reach %d entries" % n)


def assert_k_follows(rows, jumps):
    """K constant while the clock runs (1 Wh a second of metering) and moved by -(new - old)
    at each jump (event times to the second, +A in whole Wh: 3 Wh of slack)."""
    steps = [b[1] - a[1] for a, b in zip(rows, rows[1:])]
    moved = [d for d in steps if abs(d) > 3]
    assert all(abs(d) <= 1 for d in steps if abs(d) <= 3), rows
    want = [old - new for old, new in jumps if abs(new - old) > 3]
    assert len(moved) == len(want), (moved, want, rows)
    for d, w in zip(moved, want):
        assert abs(d - w) <= 3, (moved, want, rows)


def move_clock(m, shift):
    """shift_time (IC 8 method 6, relative to the meter's own time: exact on a fast clock) for
    up to 900 s, SET of attribute 2 beyond."""
    if abs(shift) <= 900:
        return m.action(8, CLOCK, 6, shift, DataType.INT16)[0]
    return shift_clock(m, shift)


def test_accelerated_settings_move_no_energy(curve):
    meter = start(curve, datetime.datetime(2027, 1, 13, 9, 0, tzinfo=UTC))
    try:
        with management(meter, "tcp") as m:
            m.associate()
            wait_entries(m, 2)
            for shift in SHIFTS:
                n = m.get(7, LP1, 7)
                assert move_clock(m, shift) == 0, shift
                check_demand(m)
                wait_entries(m, n + 2)  # two captures after the setting
            pairs = events(m, (EV_OLD, EV_NEW))
            rows = lp1_k(m)
            _, last, md = check_demand(m)
            assert last == LOAD_W and md == LOAD_W  # full periods after the last setting
            assert m.get(5, "1-0:3.4.0.255", 3) == LOAD_W // 4
            m.release()
        olds = [t for t, c in pairs if c == EV_OLD]
        news = [t for t, c in pairs if c == EV_NEW]
        assert len(olds) == len(news) == len(SHIFTS), pairs
        for (o, n), shift in zip(zip(olds, news), SHIFTS):
            # shift_time exact to the second; SET after a read: the clock ran on in between
            assert abs(n - o - shift) <= (1 if abs(shift) <= 900 else SPEED), (o, n, shift)
        assert_k_follows(rows, list(zip(olds, news)))
        assert meter.alive()
    finally:
        meter.stop()


@pytest.mark.parametrize("days", (-10, 30))
def test_restart_with_clock_behind_or_ahead_moves_no_energy(curve, days):
    t0 = datetime.datetime(2027, 1, 13, 9, 0, tzinfo=UTC)
    state = os.path.join(ROOT, "build", "state-restart-%d" % days)
    shutil.rmtree(state, ignore_errors=True)
    try:
        meter = start(curve, t0, state)
        with management(meter, "tcp") as m:
            m.associate()
            wait_entries(m, 3)
            m.release()
        meter.stop(keep=True)  # power-fail warning: energy and the power-down time persist
        ics = meter.next_client_ic  # the meter keeps its clients' frame counters (KSMW 3.5.4)
        meter = start(curve, t0 + datetime.timedelta(days=days), state)
        meter.next_client_ic = ics
        try:
            with management(meter, "tcp") as m:
                m.associate()
                n = m.get(7, LP1, 7)
                wait_entries(m, n + 3)
                rows = lp1_k(m)
                ev = events(m, (EV_DOWN, EV_UP))
                check_demand(m)
                status = bytes(m.get(8, CLOCK, 2))[11]
                m.release()
        finally:
            meter.stop()
        down = [t for t, c in ev if c == EV_DOWN]
        up = [t for t, c in ev if c == EV_UP]
        assert len(down) == len(up) == 1, ev
        if days < 0:  # KSMW 5.4: an RTC behind the last record lost its time
            assert up[0] == down[0] + 1 and status & 0x01, (ev, status)
        else:
            assert up[0] - down[0] >= days * 86400 - SPEED * 10, ev
        # the outage meters nothing: K moves by -(up - down), +A keeps counting after it
        assert_k_follows(rows, [(down[0], up[0])])
        ts = [t for t, _ in rows]
        assert ts[-1] - ts[-3] == 1800, rows  # captures every quarter hour after it
    finally:
        shutil.rmtree(state, ignore_errors=True)
