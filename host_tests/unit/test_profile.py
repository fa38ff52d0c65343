# SPDX-License-Identifier: MIT
"""Profile generic (IC 7, Blue Book 4.3.6) over RAM and file rings (meterapp/ringstore.py).
The meter's profiles and logs: test_profile_meter.py."""
from unitlib import h, ms_rtc, rmtree

from dlms.apdu import axdr
from dlms.apdu.axdr import Writer, decode
from dlms.cosem.base import OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, obis
from dlms.cosem.ic003_register import Register
from dlms.cosem.ic007_profile_generic import ProfileGeneric
from dlms.cosem.ic008_clock import Clock
from dlms.util import timeconv as tc
from meterapp.nvstore import RecordStore
from meterapp.ringstore import FileRing, RamRing

T0 = tc.secs_from_unix(1782864000)  # 2026-07-01 00:00:00 UTC (CEST: local 02:00, dev -120)
ROOT = "build/test-profile"
LN = obis("1-0:99.1.0.255")
CLOCK_LN = obis("0-0:1.0.0.255")
E1 = obis("1-0:1.8.0.255")
E2 = obis("1-0:2.8.0.255")
STATUS = obis("0-0:96.10.1.255")


class Env:
    """The profile's environment: a clock at a settable time, registers, a store."""

    def __init__(self, store=None):
        self.t = T0 * 1000
        self.clock = Clock(CLOCK_LN, ms_rtc(lambda: self.t))
        self.vals = [100, 7, 3]
        self.objs = [self.clock] + [
            Register(ln, axdr.UINT32, 0, 30, (lambda i=i: self.vals[i]))
            for i, ln in enumerate((E1, E2))] + [
            Register(STATUS, axdr.UINT8, 0, 255, lambda: self.vals[2])]
        self.store = store

    def resolve(self, cid, ln):
        for o in self.objs:
            if o.ln == ln:
                return o
        return None


COLS = [(8, CLOCK_LN, 2, 14), (3, STATUS, 2, 2), (3, E1, 2, 5), (3, E2, 2, 5)]


def _clean(name):
    d = ROOT + "/" + name
    rmtree(d)
    return d


def make(env, ring=None, entries=10, cols=COLS, **kw):
    if ring is None:
        ring = RamRing(4096)
    return ProfileGeneric(LN, cols, entries, 900, env, ring, **kw)


def file_profile(name, entries=10, fresh=True, env=None, **kw):
    d = _clean(name) if fresh else ROOT + "/" + name
    env = env or Env()
    env.store = RecordStore(d)
    return make(env, FileRing(d + "/ring", LN), entries, **kw), env


_W = Writer(4096)  # before any meter is built: the heap is board-sized


def read(pg, attr=2, sel=None, params=None):
    _W.pos = 0
    r = pg.get(attr, _W, None) if sel is None else pg.get_selected(attr, sel, params, _W, None)
    if isinstance(r, int):
        if r:
            return r  # a Data-Access-Result
    else:
        for _ in r:
            pass
    return decode(bytes(_W.mv[:_W.pos]))


def step(env, n=1, dt=900):
    """n captures, dt seconds apart; registers move by a known amount each time."""
    for _ in range(n):
        env.t += dt * 1000
        env.vals[0] += 10
        env.vals[1] += 1
        env.vals[2] = (env.vals[2] + 1) & 0xFF


def capture(pg, env, n=1, dt=900):
    for _ in range(n):
        step(env, 1, dt)
        assert pg.capture() == SUCCESS


def dt(env, t_s):
    return bytes(env.clock.datetime(bytearray(12), t_s))


def row(env, t_s, status, e1, e2):
    return (axdr.STRUCTURE, [(axdr.OCTET_STRING, dt(env, t_s)), (axdr.UINT8, status),
                             (axdr.UINT32, e1), (axdr.UINT32, e2)])


def expected(env, n, first_k=1):
    """Rows of captures first_k..first_k+n-1 as step() produced them."""
    return [row(env, T0 + 900 * k, (3 + k) & 0xFF, 100 + 10 * k, 7 + k)
            for k in range(first_k, first_k + n)]


def clock_def():
    return (axdr.STRUCTURE, [(axdr.UINT16, 8), (axdr.OCTET_STRING, CLOCK_LN), (axdr.INT8, 2),
                             (axdr.UINT16, 0)])


def col_def(cid, ln, attr=2):
    return (axdr.STRUCTURE, [(axdr.UINT16, cid), (axdr.OCTET_STRING, ln), (axdr.INT8, attr),
                             (axdr.UINT16, 0)])


def by_range(env, lo_s, hi_s, cols=(), deviation=True):
    def bound(t):
        b = bytearray(dt(env, t))
        if not deviation:
            b[9:11] = b"\x80\x00"
        return (axdr.OCTET_STRING, bytes(b))
    return (axdr.STRUCTURE, [clock_def(), bound(lo_s), bound(hi_s), (axdr.ARRAY, list(cols))])


def by_entry(fe, te, fc=1, tc=0):
    return (axdr.STRUCTURE, [(axdr.UINT32, fe), (axdr.UINT32, te), (axdr.UINT16, fc),
                             (axdr.UINT16, tc)])


# ---------------------------------------------------------------------------- attributes
def test_attributes_and_capture_rows():
    env = Env()
    pg = make(env)
    assert read(pg) == (axdr.ARRAY, [])
    capture(pg, env, 3)
    assert read(pg) == (axdr.ARRAY, expected(env, 3))
    assert read(pg, 3) == (axdr.ARRAY, [col_def(8, CLOCK_LN), col_def(3, STATUS),
                                        col_def(3, E1), col_def(3, E2)])
    assert read(pg, 4) == (axdr.UINT32, 900)
    assert read(pg, 5) == (axdr.ENUM, 1)  # FIFO
    assert read(pg, 6) == (axdr.STRUCTURE, [(axdr.UINT16, 0), (axdr.OCTET_STRING, bytes(6)),
                                            (axdr.INT8, 0), (axdr.UINT16, 0)])
    assert read(pg, 7) == (axdr.UINT32, 3)
    assert read(pg, 8) == (axdr.UINT32, 10)
    # the buffer bytes: array, then one structure per row with the values' encodings
    w = Writer(400)
    for _ in pg.get(2, w, None):
        pass
    assert bytes(w.mv[:4]) == h("0103 0204") and bytes(w.mv[4:6]) == h("090C")
    assert len(w.mv[:w.pos]) == 2 + 3 * (2 + 14 + 2 + 5 + 5)


def test_wrap_around_keeps_the_newest_entries():
    for ring in ("ram", "file"):
        if ring == "ram":
            env = Env()
            pg = make(env)
        else:
            pg, env = file_profile("wrap")
        capture(pg, env, 27)
        assert pg.entries_in_use() == 10
        assert read(pg) == (axdr.ARRAY, expected(env, 10, 18)), ring


def test_reset_and_capture_methods():
    pg, env = file_profile("reset")
    capture(pg, env, 4)
    assert pg.action(1, (axdr.INT8, 0), None) == (SUCCESS, None)
    assert pg.entries_in_use() == 0 and read(pg) == (axdr.ARRAY, [])
    assert pg.action(1, (axdr.UINT16, 0), None)[0] == TYPE_UNMATCHED
    step(env)
    assert pg.action(2, (axdr.INT8, 0), None) == (SUCCESS, None)
    assert read(pg) == (axdr.ARRAY, expected(env, 1, 5))
    # a restart finds the reset buffer and the one entry after it
    pg2, _ = file_profile("reset", fresh=False, env=env)
    assert pg2.entries_in_use() == 1 and read(pg2) == (axdr.ARRAY, expected(env, 1, 5))


def test_capture_objects_set_resets_the_buffer():
    env = Env()
    pg = make(env, writable=(3,))
    capture(pg, env, 3)
    new = (axdr.ARRAY, [clock_def(), col_def(3, E2)])
    assert pg.set(3, new, None) == SUCCESS
    assert pg.entries_in_use() == 0 and read(pg, 3) == new
    capture(pg, env, 2)
    assert read(pg) == (axdr.ARRAY, [
        (axdr.STRUCTURE, [(axdr.OCTET_STRING, dt(env, T0 + 900 * k)), (axdr.UINT32, 7 + k)])
        for k in (4, 5)])
    assert pg.set(3, (axdr.ARRAY, [col_def(3, obis("1-0:9.9.9.255"))]), None) == OTHER_REASON
    assert pg.set(3, (axdr.ARRAY, [(axdr.UINT16, 3)]), None) == TYPE_UNMATCHED
    assert pg.set(3, (axdr.ARRAY, [col_def(8, CLOCK_LN, 2)] * 30), None) == OTHER_REASON
    assert pg.entries_in_use() == 2  # refused SETs leave the buffer alone
    assert make(env).set(3, new, None) == READ_WRITE_DENIED  # capture objects fixed


def test_profile_entries_and_period_set():
    pg, env = file_profile("entries", entries=10, writable=(4, 8), periods=(0, 300, 900))
    capture(pg, env, 6)
    assert pg.set(8, (axdr.UINT32, 11), None) == OTHER_REASON  # above the storage reserved
    assert pg.set(8, (axdr.UINT32, 0), None) == OTHER_REASON
    assert pg.set(8, (axdr.UINT16, 4), None) == TYPE_UNMATCHED
    assert pg.entries_in_use() == 6
    assert pg.set(8, (axdr.UINT32, 4), None) == SUCCESS
    assert pg.entries_in_use() == 0 and read(pg, 8) == (axdr.UINT32, 4)
    capture(pg, env, 6)
    assert read(pg) == (axdr.ARRAY, expected(env, 4, 9))
    assert pg.set(4, (axdr.UINT32, 60), None) == OTHER_REASON
    assert pg.set(4, (axdr.UINT32, 300), None) == SUCCESS
    assert pg.entries_in_use() == 4  # the period does not clear the buffer
    pg2, _ = file_profile("entries", fresh=False, env=env, writable=(4, 8), periods=(0, 300, 900))
    assert read(pg2, 4) == (axdr.UINT32, 300) and read(pg2, 8) == (axdr.UINT32, 4)
    assert read(pg2) == (axdr.ARRAY, expected(env, 4, 9))
    fixed = make(env)
    assert fixed.set(8, (axdr.UINT32, 4), None) == READ_WRITE_DENIED
    assert fixed.set(4, (axdr.UINT32, 60), None) == READ_WRITE_DENIED


# ---------------------------------------------------------------------------- selective access
def test_range_includes_both_boundaries_and_selects_columns():
    env = Env()
    pg = make(env, entries=20)
    capture(pg, env, 12)
    rows = expected(env, 12)
    t = [T0 + 900 * k for k in range(1, 13)]
    assert read(pg, 2, 1, by_range(env, t[3], t[6])) == (axdr.ARRAY, rows[3:7])  # IDIS 7.7.1
    assert read(pg, 2, 1, by_range(env, t[3] + 1, t[6] - 1)) == (axdr.ARRAY, rows[4:6])
    assert read(pg, 2, 1, by_range(env, t[0] - 5000, t[0])) == (axdr.ARRAY, rows[:1])
    assert read(pg, 2, 1, by_range(env, t[11], t[11] + 9999)) == (axdr.ARRAY, rows[11:])
    assert read(pg, 2, 1, by_range(env, t[6], t[3])) == (axdr.ARRAY, [])
    assert read(pg, 2, 1, by_range(env, t[11] + 1, t[11] + 9)) == (axdr.ARRAY, [])
    # selected_values: the columns asked for, in that order
    sel = [col_def(3, E2), clock_def()]
    assert read(pg, 2, 1, by_range(env, t[1], t[2], sel)) == (axdr.ARRAY, [
        (axdr.STRUCTURE, [r[1][3], r[1][0]]) for r in rows[1:3]])
    # a bound without deviation is meter local time (CEST here)
    assert read(pg, 2, 1, by_range(env, t[3], t[6], deviation=False)) == (axdr.ARRAY, rows[3:7])
    # double-long-unsigned unix time bounds (Gurux)
    p = (axdr.STRUCTURE, [clock_def(), (axdr.UINT32, tc.unix_from_secs(t[2])),
                          (axdr.UINT32, tc.unix_from_secs(t[4])),
                          (axdr.ARRAY, [])])
    assert read(pg, 2, 1, p) == (axdr.ARRAY, rows[2:5])
    # unspecified time fields widen the bound: the whole day
    day = bytearray(dt(env, t[0]))
    day[5:9] = b"\xff\xff\xff\xff"
    p = (axdr.STRUCTURE, [clock_def(), (axdr.OCTET_STRING, bytes(day)),
                          (axdr.OCTET_STRING, bytes(day)), (axdr.ARRAY, [])])
    assert read(pg, 2, 1, p) == (axdr.ARRAY, rows)
    # refusals
    assert read(pg, 2, 1, by_range(env, t[1], t[2], [col_def(3, STATUS, 3)])) == OTHER_REASON
    bad = (axdr.STRUCTURE, [col_def(3, E1), (axdr.UINT32, 0), (axdr.UINT32, 1),
                            (axdr.ARRAY, [])])
    assert read(pg, 2, 1, bad) == OTHER_REASON  # ranges on the clock column only
    assert read(pg, 2, 1, (axdr.STRUCTURE, [])) == TYPE_UNMATCHED
    assert read(pg, 2, 3, by_entry(1, 2)) == OTHER_REASON


def test_entry_selection_rows_and_columns():
    env = Env()
    pg = make(env)
    capture(pg, env, 14)
    rows = expected(env, 10, 5)
    assert read(pg, 2, 2, by_entry(1, 0)) == (axdr.ARRAY, rows)  # 0 = to the last
    assert read(pg, 2, 2, by_entry(3, 5)) == (axdr.ARRAY, rows[2:5])
    assert read(pg, 2, 2, by_entry(9, 99)) == (axdr.ARRAY, rows[8:])
    assert read(pg, 2, 2, by_entry(11, 0)) == (axdr.ARRAY, [])
    assert read(pg, 2, 2, by_entry(4, 3)) == (axdr.ARRAY, [])
    assert read(pg, 2, 2, by_entry(2, 3, 2, 3)) == (axdr.ARRAY, [
        (axdr.STRUCTURE, r[1][1:3]) for r in rows[1:3]])
    assert read(pg, 2, 2, by_entry(10, 10, 3, 0)) == (axdr.ARRAY, [
        (axdr.STRUCTURE, rows[9][1][2:])])
    assert read(pg, 2, 2, by_entry(1, 1, 5, 0)) == OTHER_REASON
    assert read(pg, 2, 2, by_entry(1, 1, 3, 2)) == OTHER_REASON
    assert read(pg, 3, 2, by_entry(1, 1)) != SUCCESS  # only the buffer is selectable


def test_binary_search_over_a_wrapped_file_ring():
    pg, env = file_profile("search", entries=37)
    capture(pg, env, 90, dt=600)  # wraps the segments twice
    times = [T0 + 600 * k for k in range(54, 91)]
    rows = read(pg)[1]
    assert len(rows) == 37 and rows[0][1][0][1] == dt(env, times[0])
    for lo, hi in ((0, 36), (5, 5), (0, 0), (36, 36), (10, 20), (17, 35)):
        got = read(pg, 2, 1, by_range(env, times[lo], times[hi]))
        assert got == (axdr.ARRAY, rows[lo:hi + 1]), (lo, hi)
        got = read(pg, 2, 1, by_range(env, times[lo] - 1, times[hi] + 1))
        assert got == (axdr.ARRAY, rows[lo:hi + 1]), (lo, hi)
        got = read(pg, 2, 1, by_range(env, times[lo] + 1, times[hi] - 1))
        assert got == (axdr.ARRAY, rows[lo + 1:hi]), (lo, hi)
    assert read(pg, 2, 1, by_range(env, T0, times[0] - 1)) == (axdr.ARRAY, [])


def test_clock_set_back_ranges_scan_in_buffer_order():
    pg, env = file_profile("disorder", entries=12)
    capture(pg, env, 5)  # T0+900 .. T0+4500
    env.t -= 3000 * 1000  # the clock goes back 50 min
    capture(pg, env, 4)  # T0+2400 .. T0+5100, overlapping the first ones
    rows = read(pg)[1]
    times = [T0 + 900 * k for k in range(1, 6)] + [T0 + 2400 + 900 * k for k in range(4)]
    assert [r[1][0][1] for r in rows] == [dt(env, t) for t in times]
    lo, hi = T0 + 2400, T0 + 3600
    want = [r for r, t in zip(rows, times) if lo <= t <= hi]
    assert len(want) == 4
    assert read(pg, 2, 1, by_range(env, lo, hi)) == (axdr.ARRAY, want)
    # the mark survives a restart; once the ring has moved past it, the search is binary again
    pg2, _ = file_profile("disorder", entries=12, fresh=False, env=env)
    assert read(pg2, 2, 1, by_range(env, lo, hi)) == (axdr.ARRAY, want)
    capture(pg2, env, 12)
    assert pg2.disorder <= pg2.ring.first()


def test_torn_last_record_is_ignored_at_reopen():
    pg, env = file_profile("torn", entries=40)
    capture(pg, env, 7)
    ring = pg.ring
    seg = (ring.head - 1) % ring.slots // ring.n
    path = ring._path(seg)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:  # the power failed in the middle of the 7th record
        f.write(data[:-pg.rsize() // 2])
    pg2, _ = file_profile("torn", entries=40, fresh=False, env=env)
    assert pg2.entries_in_use() == 6
    assert read(pg2) == (axdr.ARRAY, expected(env, 6))
    # a flipped bit in the newest record: the same
    pg2.ring.done()
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[10 + 5 * pg.rsize() + 20] ^= 0x10  # inside the 6th record (segment header: 10)
    with open(path, "wb") as f:
        f.write(data)
    pg3, _ = file_profile("torn", entries=40, fresh=False, env=env)
    assert pg3.entries_in_use() == 5
    capture(pg3, env)  # the next capture takes the torn slot
    pg4, _ = file_profile("torn", entries=40, fresh=False, env=env)
    got = read(pg4)[1]
    assert got[:5] == expected(env, 5) and got[5] == expected(env, 1, 8)[0]


def test_values_too_large_for_their_column_are_stored_as_null():
    env = Env()
    pg = make(env, cols=[(8, CLOCK_LN, 2, 14), (3, E1, 2, 3)])  # 5-byte value, 3-byte slot
    capture(pg, env)
    assert read(pg)[1][0][1][1] == (axdr.NULL, None)


def test_ram_ring_budget_caps_the_capacity():
    env = Env()
    pg = make(env, RamRing(10 * 36), entries=100)
    assert read(pg, 8) == (axdr.UINT32, 10)
    capture(pg, env, 12)
    assert read(pg) == (axdr.ARRAY, expected(env, 10, 3))
