# SPDX-License-Identifier: MIT
"""Demand register (IC 5): attributes, block and sliding demand, time jumps, methods."""
from unitlib import attr_bytes, h

from dlms.apdu import axdr
from dlms.apdu.axdr import INT8, NULL, UINT8, UINT16, UINT32
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, obis,
)
from dlms.cosem.ic005_demand_register import DemandRegister
from dlms.util import timeconv as tc

T0 = tc.to_secs(2026, 1, 12, 10, 0, 0)  # a quarter-hour boundary (UTC)


class Time:
    """Settable UTC; now() gives the date-time as CET (deviation -60)."""

    def __init__(self, t=T0):
        self.t = t
        self.buf = bytearray(12)

    def now(self):
        tc.pack_datetime(self.buf, 0, self.t + 3600, 0, -60, 0)
        return self.buf  # reused buffer, as Clock.datetime(): the register must copy


enc = attr_bytes


def make(n=1, **kw):
    clk = Time()
    ends = []
    r = DemandRegister(obis("1-0:1.4.0.255"), clk.now, number_of_periods=n,
                       on_period_end=lambda o: ends.append(o.last), **kw)
    r.tick(clk.t)
    return r, clk, ends


def run(r, clk, seconds, watts):
    """Feed a constant power second by second, ticking the register."""
    for _ in range(seconds):
        r.add_power(watts, 1)
        clk.t += 1
        r.tick(clk.t)


def test_attributes_encoding():
    r, clk, _ = make()
    assert enc(r, 1) == h("0906 0100010400FF")
    assert enc(r, 2) == h("06 00000000") and enc(r, 3) == h("06 00000000")
    assert enc(r, 4) == h("0202 0F00 161B")  # W, x1 (dlms-notes 1.7)
    assert enc(r, 5) == h("1100")  # KSMW 5.3: status not used
    assert enc(r, 6) == h("090C FFFFFFFFFFFFFFFFFF8000FF")  # no period closed yet
    assert enc(r, 7) == h("090C 07EA010C010B000000FFC400")  # 11:00 CET, Monday
    assert enc(r, 8) == h("06 00000384") and enc(r, 9) == h("12 0001")
    assert r.get(10, axdr.Writer(8), None) != SUCCESS
    r2 = DemandRegister(obis("1-0:3.4.0.255"), clk.now, scaler=1, unit=29, tag=axdr.UINT16)
    r2.add(3600 * 900 * 10)
    assert enc(r2, 2) == h("12 8CA0") and enc(r2, 4) == h("0202 0F01 161D")  # var, x10


def test_block_demand_one_period():
    r, clk, ends = make()
    run(r, clk, 450, 2000)  # half the period at 2 kW
    assert r.current() == 1000 and r.last == 0
    run(r, clk, 449, 2000)
    assert ends == []
    run(r, clk, 1, 2000)  # 10:15:00: the period ends
    assert ends == [2000] and r.last == 2000 and r.current() == 0
    assert enc(r, 6) == h("090C 07EA010C010B0F0000FFC400") == enc(r, 7)
    run(r, clk, 900, 500)
    assert ends == [2000, 500]


def test_sliding_demand_three_periods():
    r, clk, ends = make(3)
    for w in (900, 1800, 2700):
        run(r, clk, 900, w)
    assert ends == [300, 900, 1800]  # 900/3, (900+1800)/3, (900+1800+2700)/3
    run(r, clk, 300, 3000)  # a third into the fourth period
    assert r.current() == (1800 * 900 + 2700 * 900 + 3000 * 300) // 2700  # 2133
    run(r, clk, 600, 3000)
    assert ends[-1] == (1800 + 2700 + 3000) // 3  # the oldest period left the window
    assert enc(r, 9) == h("12 0003")


def test_power_failure_and_clock_jumps():
    r, clk, ends = make(2)
    run(r, clk, 600, 1800)  # 10:00..10:10
    clk.t += 3 * 900  # power back at 10:55: 10:15, 10:30, 10:45 ends passed
    assert r.tick(clk.t) == 3  # running period closed, then empty ones
    assert ends == [600, 600, 0]  # 1800 W x 600 s over a 2 x 900 s window, then slid out
    assert r.last == 0 and r.current() == 0
    clk.t = T0 + 10 * 900
    r.tick(clk.t)
    n = len(ends)
    clk.t += 100 * 900  # far forward: at most n + 1 closes
    assert r.tick(clk.t) == 3 and len(ends) == n + 3
    run(r, clk, 100, 900)
    back = clk.t - 2000  # set backward across a period end: nothing closes
    clk.t = back
    assert r.tick(back) == 0
    assert r.current() == (900 * 100 + 450) // 1800  # the running period continues
    n = len(ends)
    clk.t = (back // 900 + 1) * 900  # the next multiple after the new time ends it
    assert r.tick(clk.t) == 1 and len(ends) == n + 1


def test_methods_reset_and_next_period():
    r, clk, ends = make(2)
    run(r, clk, 900, 1000)
    run(r, clk, 300, 3000)
    assert r.last == 500
    assert r.action(2, (INT8, 0), None) == (SUCCESS, None)  # next_period
    assert r.last == (900 * 1000 + 300 * 3000) // 1800 and r.current() == 500
    assert enc(r, 6) == enc(r, 7)
    clk.t += 10
    assert r.action(1, None, None) == (SUCCESS, None)  # reset
    assert r.last == 0 and r.current() == 0
    assert enc(r, 6) == enc(r, 7) == h("090C 07EA010C010B140A00FFC400")
    assert r.action(1, (NULL, None), None) == (SUCCESS, None)
    assert r.action(1, (UINT8, 0), None) == (TYPE_UNMATCHED, None)
    assert r.action(3, None, None) == (OBJECT_UNDEFINED, None)


def test_set_period_and_number_of_periods():
    r, clk, ends = make(1, max_periods=4)
    run(r, clk, 900, 1000)
    assert r.set(8, (UINT32, 60), None) == SUCCESS and enc(r, 8) == h("06 0000003C")
    assert r.last == 1000  # kept; the window restarts
    assert r.set(8, (UINT32, 0), None) == OTHER_REASON
    assert r.set(8, (UINT16, 60), None) == TYPE_UNMATCHED
    assert r.set(9, (UINT16, 4), None) == SUCCESS and enc(r, 9) == h("12 0004")
    assert r.set(9, (UINT16, 5), None) == OTHER_REASON  # more than max_periods
    assert r.set(9, (UINT16, 0), None) == OTHER_REASON
    assert r.set(9, (UINT8, 2), None) == TYPE_UNMATCHED
    run(r, clk, 240, 600)  # 60 s periods, window 4 x 60 s
    assert ends[-1] == 600 and r.period == 60
    for a in (2, 3, 4, 5, 6, 7):
        assert r.set(a, (UINT32, 1), None) == READ_WRITE_DENIED
    fixed = DemandRegister(obis("1-0:2.4.0.255"), clk.now, writable=())  # KSMW 5.3: 900 s, 1
    assert fixed.set(8, (UINT32, 60), None) == READ_WRITE_DENIED


def test_wrap_around():
    # KSMW 5.3 direct connected meter: wrap around at 99 999 W
    r, clk, ends = make(1, wrap=100000)
    run(r, clk, 900, 100005)
    assert ends == [5]
