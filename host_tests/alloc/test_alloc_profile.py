# SPDX-License-Identifier: MIT
"""Profile generic buffer reads copy rows from the ring into the response without allocating
(MicroPython only: heap_lock turns any allocation into MemoryError). A read allocates when it
starts (its column plan) and when it opens the next segment file, never per row."""
import os

import micropython

from unitlib import ms_rtc

from dlms.apdu import axdr
from dlms.apdu.axdr import Writer
from dlms.cosem.base import obis
from dlms.cosem.ic003_register import Register
from dlms.cosem.ic007_profile_generic import ProfileGeneric
from dlms.cosem.ic008_clock import Clock
from meterapp.ringstore import FileRing, RamRing

ROOT = "build/test-alloc-profile"
LN = obis("1-0:99.1.0.255")
T0 = 205027200  # 2026-07-01 00:00:00 UTC in meter seconds (since 2020)
_W = Writer(2048)


class Env:
    store = None

    def __init__(self):
        self.t = T0 * 1000
        self.clock = Clock(obis("0-0:1.0.0.255"), ms_rtc(lambda: self.t))
        self.objs = [self.clock] + [
            Register(obis("1-0:%d.8.0.255" % c), axdr.UINT32, 0, 30, lambda c=c: c * 1000 + 7)
            for c in (1, 2, 3, 4)]

    def resolve(self, cid, ln):
        for o in self.objs:
            if o.ln == ln:
                return o
        return None


def _profile(ring, rows):
    env = Env()
    cols = [(8, env.clock.ln, 2, 14), (3, obis("1-0:1.8.0.255"), 2, 5),
            (3, obis("1-0:2.8.0.255"), 2, -8),  # a variable column: length byte + value
            (3, obis("1-0:3.8.0.255"), 2, 5), (3, obis("1-0:4.8.0.255"), 2, 5)]
    pg = ProfileGeneric(LN, cols, 400, 900, env, ring)
    pg.reset()
    for _ in range(rows):
        env.t += 900000
        assert pg.capture() == 0
    return pg, env


def _clean():
    d = ROOT + "/" + "".join("%02x" % b for b in LN)
    try:
        for f in os.listdir(d):
            os.remove(d + "/" + f)
    except OSError:
        pass


def locked(fn):
    micropython.heap_lock()
    try:
        return fn()
    finally:
        micropython.heap_unlock()


def _rows(g, n):
    total = 0
    for _ in range(n):
        _W.pos = 0
        next(g)
        total += _W.pos
    return total


def _start(g):
    _W.pos = 0
    next(g)  # the array header
    next(g)  # the first row: opens the segment file
    return g


def test_file_ring_buffer_rows_do_not_allocate():
    _clean()
    pg, _ = _profile(FileRing(ROOT, LN), 60)  # one segment holds them all
    g = _start(pg.get(2, _W, None))
    # 50 rows: structure (2) + date-time (14) + 4 double-long-unsigned (5 each)
    assert locked(lambda: _rows(g, 50)) == 50 * (2 + 14 + 20)
    for _ in g:
        pass


def test_selected_rows_and_columns_do_not_allocate():
    _clean()
    pg, env = _profile(FileRing(ROOT, LN), 60)
    sel = (axdr.STRUCTURE, [(axdr.UINT32, 5), (axdr.UINT32, 0), (axdr.UINT16, 2),
                            (axdr.UINT16, 3)])
    g = _start(pg.get_selected(2, 2, sel, _W, None))
    assert locked(lambda: _rows(g, 40)) == 40 * (2 + 5 + 5)
    lo = bytes(env.clock.datetime(bytearray(12), T0 + 900 * 3))
    hi = bytes(env.clock.datetime(bytearray(12), T0 + 900 * 50))
    clock = (axdr.STRUCTURE, [(axdr.UINT16, 8), (axdr.OCTET_STRING, env.clock.ln),
                              (axdr.INT8, 2), (axdr.UINT16, 0)])
    rng = (axdr.STRUCTURE, [clock, (axdr.OCTET_STRING, lo), (axdr.OCTET_STRING, hi),
                            (axdr.ARRAY, [])])
    g = _start(pg.get_selected(2, 1, rng, _W, None))  # binary search: before the lock
    assert locked(lambda: _rows(g, 45)) == 45 * 36


def test_ram_ring_rows_do_not_allocate():
    pg, _ = _profile(RamRing(4096), 60)
    g = _start(pg.get(2, _W, None))
    assert locked(lambda: _rows(g, 40)) == 40 * 36


def test_clock_set_back_scan_does_not_allocate_per_row():
    _clean()
    pg, env = _profile(FileRing(ROOT, LN), 30)
    env.t -= 20 * 900000  # the clock goes back: range reads scan the ring
    for _ in range(20):
        env.t += 900000
        pg.capture()
    lo = bytes(env.clock.datetime(bytearray(12), T0))
    hi = bytes(env.clock.datetime(bytearray(12), T0 + 900 * 100))
    clock = (axdr.STRUCTURE, [(axdr.UINT16, 8), (axdr.OCTET_STRING, env.clock.ln),
                              (axdr.INT8, 2), (axdr.UINT16, 0)])
    rng = (axdr.STRUCTURE, [clock, (axdr.OCTET_STRING, lo), (axdr.OCTET_STRING, hi),
                            (axdr.ARRAY, [])])
    g = _start(pg.get_selected(2, 1, rng, _W, None))  # counting pass before the lock
    assert locked(lambda: _rows(g, 45)) == 45 * 36
