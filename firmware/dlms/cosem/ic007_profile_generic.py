# SPDX-License-Identifier: MIT
"""IC 7 Profile generic, version 1 (Blue Book 4.3.6), sort method FIFO, over a ring store
(meterapp/ringstore.py: RamRing, FileRing).

Rows are stored as records of fixed size: the ring's header (seq, capture time, CRC) and one
slot per column holding the raw A-XDR encoding of the captured value. A fixed column holds
exactly `width` bytes (or null-data 00 when the value had another size); a variable column
(strings) holds a length byte and up to `width` bytes (null-data when longer). A buffer read
writes the structure header and copies the slots: rows stream from the ring into the
response one at a time (get() returns a generator), with no allocation per row.

Columns: (class_id, logical_name, attribute_index, data_index) + layout (offset, width,
kind). The clock column ({8, clock, 2, 0}) is encoded from the capture time itself, so the
time in the record header (used by the range search) and the one read out always agree.

Persistent configuration (generation, profile_entries, capture_period, capture objects and
their layout, clock-disorder mark) is one record of the board's power-fail-safe store;
reset, capture_objects and profile_entries changes start a new generation (Blue Book 4.3.6:
the buffer is cleared).
"""
import sys

from micropython import const
from struct import pack_into, unpack_from

from dlms.apdu import axdr
from dlms.apdu.axdr import Writer
from dlms.cosem.base import (
    CosemObject, HARDWARE_FAULT, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED,
    SCOPE_OF_ACCESS_VIOLATED, SUCCESS, TYPE_UNMATCHED, no_data,
)
from dlms.util import timeconv as tc

MAX_COLS = const(64)  # KSMW 5.9.1: 45 capture objects in the poly-phase readout profile
MAX_REC = const(400)  # record bytes; one row is written in one generator step (< stream slack)
MAX_VALUE = const(256)  # largest encoded value a capture can take (larger: null-data)
MAX_VAR = const(127)  # largest variable column
FIXED = const(0)
VAR = const(1)
HDR = const(8)  # ringstore.REC_HDR: seq(4) time(4)
OVERHEAD = const(10)  # + CRC(2)
FIFO = const(1)
_CFG_VERSION = const(1)
_CFG_HDR = const(17)  # version u8 gen u16 entries u32 period u32 flags u8 disorder u32 n u8
_CLIENT_SET = const(1)  # flags: capture objects written by a client

_MP = sys.implementation.name == "micropython"
_REC = bytearray(MAX_REC)  # record buffer shared by captures and reads (never across a yield)
_SCR = Writer(MAX_VALUE)  # one captured value
_DT = bytearray(12)
_ZERO6 = bytes(6)


def _def_bytes(cid, ln, attr, di):
    b = bytearray(11)
    pack_into(">H6sbH", b, 0, cid, ln, attr, di)
    return bytes(b)


def hexname(ln):
    return "".join("%02x" % b for b in ln)


def _fixed_shape(mv, pos, end, depth=0):
    """-> end of one Data element of a fixed shape (numbers, booleans, dates, structures of
    them), or -1 when its size may change (strings, arrays, bit-strings)."""
    if pos >= end or depth > 4:
        return -1
    tag = mv[pos]
    if tag == axdr.STRUCTURE:
        n = mv[pos + 1] if pos + 1 < end else 0x80
        if n >= 0x80:
            return -1
        pos += 2
        for _ in range(n):
            pos = _fixed_shape(mv, pos, end, depth + 1)
            if pos < 0:
                return -1
        return pos
    if tag in axdr._NUM_SIZE:
        return pos + 1 + axdr._NUM_SIZE[tag]
    if tag in axdr._OCTETS_FIXED:
        return pos + 1 + axdr._OCTETS_FIXED[tag]
    if tag == axdr.BOOLEAN:
        return pos + 2
    if tag == axdr.NULL:
        return -1  # no value yet: its type is unknown
    return -1


class ProfileGeneric(CosemObject):
    CLASS_ID = 7
    VERSION = 1
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8)
    METHODS = (1, 2)
    SELECTORS = (1, 2)  # access_selectors of attribute 2 in the object list

    WRITABLE = ()
    periods = None  # capture_period values a client may set (None: any)
    sources = None  # per column: callable(w, ctx) writing the value, or None
    on_capture = None  # callable(profile) after each capture

    def __init__(self, ln, columns, entries, period, env, ring, writable=(), periods=None,
                 max_entries=None, version=1, sources=None, on_capture=None):
        """columns: [(class_id, ln6, attribute, width)]: width > 0 fixed, < 0 variable (at
        most -width bytes), 0 = from the value held now. env: .clock (IC 8), .store
        (power-fail-safe records, or None) and .resolve(class_id, ln) -> object or None.
        writable: attributes a client may SET (3, 4, 8); max_entries: limit of SET 8.
        Only what differs from the class defaults is kept per instance (small heap)."""
        super().__init__(ln)
        self.env = env
        self.ring = ring
        if writable:
            self.WRITABLE = tuple(writable)
            if 8 in writable:
                self.max_entries = max_entries or entries
        if periods is not None:
            self.periods = periods
        if version != 1:
            self.VERSION = version
        if sources is not None:
            self.sources = sources
        if on_capture is not None:
            self.on_capture = on_capture
        self.entries = entries
        self.period = period
        self.gen = 0  # 0: configuration not loaded yet
        self.flags = 0
        self.disorder = 0  # seq of the newest entry captured earlier than its predecessor
        self.defs, self.lay = self._layout(columns, None)

    # ------------------------------------------------------------------ layout
    def _layout(self, columns, ctx):
        """-> (defs bytes, layout bytes) or None when the record would not fit."""
        n = len(columns)
        if n > MAX_COLS:
            return None
        defs = bytearray(11 * n)
        lay = bytearray(4 * n)
        off = HDR
        for i in range(n):
            cid, ln, attr, width = columns[i]
            pack_into(">H6sbH", defs, i * 11, cid, ln, attr, 0)
            kind = FIXED
            if width == 0:
                width, kind = self._infer(cid, ln, attr, ctx)
            elif width < 0:
                width, kind = -width, VAR
            pack_into(">HBB", lay, i * 4, off, width, kind)
            off += width + kind
        if off + 2 > MAX_REC:
            return None
        return bytes(defs), bytes(lay)

    def _infer(self, cid, ln, attr, ctx):
        """Column width from the value the object holds now (SET capture_objects)."""
        if cid == 8 and attr == 2:
            return 14, FIXED
        _SCR.pos = 0
        r = self._encode(cid, ln, attr, ctx, None)
        n = _SCR.pos if r == SUCCESS else 0
        if n and _fixed_shape(_SCR.mv, 0, n) == n:
            return n, FIXED
        return (n if n > 16 else 16) if n <= MAX_VAR else MAX_VAR, VAR

    def ncols(self):
        return len(self.defs) // 11

    def rsize(self):
        """Record size: ring header, column slots, CRC."""
        lay = self.lay
        n = OVERHEAD
        for i in range(2, len(lay), 4):
            n += lay[i] + lay[i + 1]
        return n

    def column(self, i):
        """-> (class_id, ln, attribute, data_index) of column i (0-based)."""
        cid, ln, attr, di = unpack_from(">H6sbH", self.defs, i * 11)
        return cid, bytes(ln), attr, di

    # ------------------------------------------------------------------ configuration
    def _name(self):
        return "pg" + hexname(self.ln)

    def _persist(self):
        store = self.env.store
        if store is None:
            return
        n = self.ncols()
        b = bytearray(_CFG_HDR)
        pack_into(">BHIIBIB", b, 0, _CFG_VERSION, self.gen, self.entries, self.period,
                  self.flags, self.disorder, n)
        store.write(self._name(), bytes(b) + self.defs + self.lay)

    def _load(self):
        """-> True when a stored configuration was adopted."""
        store = self.env.store
        v = store.read(self._name()) if store is not None else None
        if not v or len(v) < _CFG_HDR or v[0] != _CFG_VERSION:
            return False
        _, gen, entries, period, flags, disorder, n = unpack_from(">BHIIBIB", v, 0)
        if len(v) != _CFG_HDR + 15 * n or n > MAX_COLS:
            return False
        defs = bytes(v[_CFG_HDR:_CFG_HDR + 11 * n])
        lay = bytes(v[_CFG_HDR + 11 * n:])
        size = OVERHEAD
        for i in range(n):
            size += lay[i * 4 + 2] + lay[i * 4 + 3]
        self.gen = gen
        if not flags & _CLIENT_SET and (defs != self.defs or lay != self.lay):
            return False  # firmware defaults changed: new layout (gen moves on)
        if size > MAX_REC or entries == 0 or entries > (
                self.max_entries if 8 in self.WRITABLE else self.entries):
            return False
        self.defs, self.lay = defs, lay
        self.entries, self.flags, self.disorder = entries, flags, disorder
        if 4 in self.WRITABLE and (self.periods is None or period in self.periods):
            self.period = period
        return True

    def _ensure(self):
        if self.gen:
            return
        if self._load():
            self.entries = self.ring.configure(self.rsize(), self.entries, self.gen, False)
        else:
            self._new_generation()

    def _new_generation(self):
        # persisted first: an interrupted reset leaves the old generation, never a mix
        self.gen = (self.gen + 1) & 0xFFFF or 1
        self.disorder = 0
        self._persist()
        self.entries = self.ring.configure(self.rsize(), self.entries, self.gen, True)

    def reset(self):
        """Method 1 (Blue Book 4.3.6): empty the buffer."""
        self._ensure()
        self._new_generation()

    def entries_in_use(self):
        self._ensure()
        return self.ring.entries()

    # ------------------------------------------------------------------ capture
    def _encode(self, cid, ln, attr, ctx, t):
        """Write one captured value into _SCR -> SUCCESS or an error (nothing usable)."""
        clock = self.env.clock
        if t is not None and cid == 8 and attr == 2 and ln == clock.ln:
            _SCR.octets(clock.datetime(_DT, t))
            return SUCCESS
        o = self.env.resolve(cid, ln)
        if o is None or o.CLASS_ID != cid or attr not in o.ATTRS:
            return OBJECT_UNDEFINED
        r = o.get(attr, _SCR, ctx)
        if not isinstance(r, int):
            for _ in r:
                pass
            r = SUCCESS
        return r

    def capture(self, ctx=None, t=None):
        """Method 2: one row with the values of the capture objects now (clock column and
        record time = meter second t when given, e.g. the period boundary). -> Action-Result."""
        self._ensure()
        if t is None:
            t = self.env.clock.utc()
        last = self._time_of(self.ring.head)  # before _REC is filled
        r = self.rsize()
        rec = memoryview(_REC)[:r]
        for i in range(r):
            _REC[i] = 0
        lay = self.lay
        src = self.sources
        for i in range(self.ncols()):
            off = (lay[i * 4] << 8) | lay[i * 4 + 1]
            width = lay[i * 4 + 2]
            kind = lay[i * 4 + 3]
            _SCR.pos = 0
            try:
                if src is not None and src[i] is not None:
                    res = src[i](_SCR, ctx)
                else:
                    cid, ln, attr, _ = self.column(i)
                    res = self._encode(cid, ln, attr, ctx, t)
            except Exception:  # a value that cannot be read is stored as null-data
                res = OTHER_REASON
            n = _SCR.pos if res == SUCCESS else 0
            if kind == VAR:
                if 0 < n <= width:
                    _REC[off] = n
                    _REC[off + 1:off + 1 + n] = _SCR.mv[:n]
                else:
                    _REC[off] = 1  # null-data
            elif n == width:
                _REC[off:off + n] = _SCR.mv[:n]
        raw = t if t > 0 else 0
        try:
            if raw < last:  # clock set back: range reads scan (see _rows_range)
                self.disorder = self.ring.head + 1
                self._persist()
            self.ring.append(rec, t)
        except OSError:
            return HARDWARE_FAULT
        if self.on_capture is not None:
            self.on_capture(self)
        return SUCCESS

    def append(self, t, values):
        """Store a row of decoded (tag, value) Data (host prefill, tests): the record a
        capture at meter second t holding those values would write; None = capture that
        column (the clock column then shows t)."""
        src = self.sources
        self.sources = tuple(None if v is None else (lambda w, c, v=v: w.data(v) or SUCCESS)
                             for v in values)
        try:
            return self.capture(None, t)
        finally:
            self.sources = src

    def _time_of(self, seq):
        """Time field of entry seq, or -1 when it is not readable."""
        if seq <= 0:
            return -1
        rec = memoryview(_REC)[:self.rsize()]
        try:
            ok = self.ring.read(seq, rec)
        finally:
            self.ring.done()
        return ((_REC[4] << 24) | (_REC[5] << 16) | (_REC[6] << 8) | _REC[7]) if ok else -1

    # ------------------------------------------------------------------ COSEM interface
    def get(self, attr, w, ctx):
        if attr == 1:
            return super().get(attr, w, ctx)
        self._ensure()
        if attr == 2:
            ring = self.ring
            first = ring.first()
            return self._rows(w, first, ring.head, None, None)
        if attr == 3:
            n = self.ncols()
            w.array(n)
            for i in range(n):
                cid, ln, a, di = self.column(i)
                w.structure(4)
                w.tagged(axdr.UINT16, cid)
                w.octets(ln)
                w.tagged(axdr.INT8, a)
                w.tagged(axdr.UINT16, di)
        elif attr == 4:
            w.tagged(axdr.UINT32, self.period)
        elif attr == 5:
            w.tagged(axdr.ENUM, FIFO)
        elif attr == 6:  # sort_object: none for FIFO
            w.structure(4)
            w.tagged(axdr.UINT16, 0)
            w.octets(_ZERO6)
            w.tagged(axdr.INT8, 0)
            w.tagged(axdr.UINT16, 0)
        elif attr == 7:
            w.tagged(axdr.UINT32, self.ring.entries())
        elif attr == 8:
            w.tagged(axdr.UINT32, self.entries)
        else:
            return OBJECT_UNDEFINED
        return SUCCESS

    def set(self, attr, d, ctx):
        if attr not in self.WRITABLE:
            return READ_WRITE_DENIED
        self._ensure()
        tag, v = d
        if attr == 3:
            cols = self._parse_defs(d)
            if cols is None:
                return TYPE_UNMATCHED
            for cid, ln, a, _ in cols:
                o = self.env.resolve(cid, ln)
                if o is None or o.CLASS_ID != cid or a not in o.ATTRS:
                    return OTHER_REASON
            lay = self._layout([(c[0], c[1], c[2], 0) for c in cols], ctx)
            if lay is None:
                return OTHER_REASON
            # Blue Book 4.3.6: new capture objects clear the buffer
            self.defs, self.lay = lay
            self.sources = None
            self.flags |= _CLIENT_SET
            self._new_generation()
            return SUCCESS
        if tag != axdr.UINT32:
            return TYPE_UNMATCHED
        if attr == 4:
            if self.periods is not None and v not in self.periods:
                return OTHER_REASON
            self.period = v
            self._persist()
            return SUCCESS
        if attr == 8:  # resize within the storage reserved; clears the buffer
            if not 1 <= v <= self.max_entries:
                return OTHER_REASON
            self.entries = v
            self._new_generation()
            return SUCCESS
        return READ_WRITE_DENIED

    def action(self, method, d, ctx):
        if method not in (1, 2):
            return OBJECT_UNDEFINED, None
        # reset(data) / capture(data), data ::= integer(0)
        if not no_data(d):
            return TYPE_UNMATCHED, None
        if method == 1:
            self.reset()
            return SUCCESS, None
        return self.capture(ctx), None

    # ------------------------------------------------------------------ selective access
    @staticmethod
    def _parse_def(d):
        if d[0] != axdr.STRUCTURE or len(d[1]) != 4:
            return None
        c, ln, a, di = d[1]
        if c[0] != axdr.UINT16 or ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6 or \
                a[0] != axdr.INT8 or di[0] != axdr.UINT16:
            return None
        return c[1], ln[1], a[1], di[1]

    def _parse_defs(self, d):
        if d[0] != axdr.ARRAY or len(d[1]) > MAX_COLS:
            return None
        out = []
        for e in d[1]:
            c = self._parse_def(e)
            if c is None or c[3] != 0:  # data_index: whole attributes only
                return None
            out.append(c)
        return out

    def _find(self, c):
        """Column index of a capture object definition, or -1."""
        want = _def_bytes(c[0], c[1], c[2], c[3])
        d = self.defs
        for i in range(self.ncols()):
            if d[i * 11:i * 11 + 11] == want:
                return i
        return -1

    def get_selected(self, attr, selector, params, w, ctx):
        if attr != 2:
            return SCOPE_OF_ACCESS_VIOLATED
        self._ensure()
        if params[0] != axdr.STRUCTURE or len(params[1]) != 4:
            return TYPE_UNMATCHED
        p = params[1]
        ring = self.ring
        if selector == 2:  # entry_descriptor {from_entry, to_entry, from_value, to_value}
            if p[0][0] != axdr.UINT32 or p[1][0] != axdr.UINT32 or \
                    p[2][0] != axdr.UINT16 or p[3][0] != axdr.UINT16:
                return TYPE_UNMATCHED
            n = ring.entries()
            fe = p[0][1] or 1
            te = p[1][1] if p[1][1] and p[1][1] < n else n  # 0 = to the last (Blue Book)
            fc = p[2][1] or 1
            tc_ = p[3][1] if p[3][1] and p[3][1] < self.ncols() else self.ncols()
            if fc > tc_:
                return OTHER_REASON
            cols = bytearray(range(fc - 1, tc_))
            first = ring.first()
            if fe > te:
                return self._rows(w, first, first - 1, cols, None)
            return self._rows(w, first + fe - 1, first + te - 1, cols, None)
        if selector != 1:
            return OTHER_REASON
        # range_descriptor {restricting_object, from_value, to_value, selected_values}
        r = self._parse_def(p[0])
        if r is None:
            return TYPE_UNMATCHED
        if r[0] != 8 or r[2] != 2 or r[1] != self.env.clock.ln:
            return OTHER_REASON  # ranges on the capture time only
        lo = self._bound(p[1], False)
        hi = self._bound(p[2], True)
        if lo is None or hi is None:
            return TYPE_UNMATCHED
        cols = None
        if p[3][0] != axdr.ARRAY:
            return TYPE_UNMATCHED
        if p[3][1]:
            if len(p[3][1]) > MAX_COLS:
                return OTHER_REASON
            cols = bytearray()
            for e in p[3][1]:
                c = self._parse_def(e)
                if c is None:
                    return TYPE_UNMATCHED
                i = self._find(c)
                if i < 0:
                    return OTHER_REASON
                cols.append(i)
        return self._rows_range(w, lo, hi, cols)

    def _bound(self, d, upper):
        """from/to value -> record time (meter seconds, clamped), None if not a time.
        date-time (octet-string 12 or tag 25) or double-long-unsigned unix time (Gurux)."""
        tag, v = d
        if tag == axdr.UINT32:
            utc = tc.secs_from_unix(v)
        elif tag in (axdr.OCTET_STRING, axdr.DATE_TIME) and len(v) == 12:
            utc = self._dt_utc(v, upper)
        else:
            return None
        if utc is None:  # date not specified: unbounded
            return 0x7FFFFFFF if upper else 0
        t = utc
        return 0 if t < 0 else t

    def _dt_utc(self, v, upper):
        """A date-time as a range bound (IDIS 7.7): unspecified time fields widen it (0 for
        'from', their maximum for 'to'); without deviation it is meter local time, and in the
        repeated autumn hour 'from' takes the earlier and 'to' the later instant."""
        y, mo, d, _wd, h, mi, s, _hs, dev, _st = tc.unpack_datetime(v)
        if y == 0xFFFF or not 1 <= mo <= 12 or not 1 <= d <= tc.days_in_month(y, mo):
            return None
        h = (23 if upper else 0) if h == 0xFF else h
        mi = (59 if upper else 0) if mi == 0xFF else mi
        s = (59 if upper else 0) if s == 0xFF else s
        local = tc.to_secs(y, mo, d, h, mi, s)
        if dev != tc.DEVIATION_UNSPECIFIED:
            return local + dev * 60
        c = self.env.clock
        std = local + c.time_zone * 60
        dst = local + (c.time_zone - c.dst_deviation) * 60
        ok_std = not c.dst_active(std)
        ok_dst = c.dst_active(dst)
        if ok_std and ok_dst:
            return (std if std > dst else dst) if upper else (std if std < dst else dst)
        return dst if ok_dst and not ok_std else std

    def _search(self, lo_t, hi_t):
        """Binary search over the time-ordered entries -> (first seq, last seq) with
        lo_t <= time <= hi_t (IDIS 7.7.1: boundaries included), or None when an entry
        cannot be read (the caller scans instead)."""
        ring = self.ring
        a = ring.first()
        b = ring.head + 1
        while a < b:  # first entry with time >= lo_t
            m = (a + b) >> 1
            t = self._time_of(m)
            if t < 0:
                return None
            if t < lo_t:
                a = m + 1
            else:
                b = m
        start = a
        b = ring.head + 1
        while a < b:  # first entry with time > hi_t
            m = (a + b) >> 1
            t = self._time_of(m)
            if t < 0:
                return None
            if t <= hi_t:
                a = m + 1
            else:
                b = m
        return start, a - 1

    def _rows_range(self, w, lo_t, hi_t, cols):
        ring = self.ring
        if self.disorder <= ring.first():  # every entry in capture-time order
            s = self._search(lo_t, hi_t)
            if s is not None:
                return self._rows(w, s[0], s[1], cols, None)
        return self._rows(w, ring.first(), ring.head, cols, (lo_t, hi_t))

    # ------------------------------------------------------------------ streaming
    def _rows(self, w, first, last, cols, window):
        """Generator: array of the rows first..last (seqs), columns `cols` (indices, None =
        all); with window = (lo, hi) only the rows whose time is inside (a scan: the clock
        was set back, so times are not ordered). A row that cannot be read (torn by a
        capture during the read, flash error) comes out as null-data."""
        ring = self.ring
        rec = memoryview(_REC)[:self.rsize()]
        if cols is None:
            cols = bytearray(range(self.ncols()))
        lay = self.lay
        plan = []  # per column: (offset of the length/tag byte, kind, source view, format)
        for i in cols:
            off = (lay[i * 4] << 8) | lay[i * 4 + 1]
            width = lay[i * 4 + 2]
            kind = lay[i * 4 + 3]
            plan.append((off, kind, memoryview(_REC)[off + kind:off + kind + width],
                         "%ds" % width))
        ncol = len(plan)
        count = last - first + 1 if last >= first else 0
        if window is not None:
            count = 0
            for seq in range(first, last + 1):
                if ring.read(seq, rec) and window[0] <= _time(rec) <= window[1]:
                    count += 1
            ring.done()
        w.array(count)
        yield
        seq = first
        n = 0
        while n < count:
            if window is not None:
                while seq <= last and not (ring.read(seq, rec) and
                                           window[0] <= _time(rec) <= window[1]):
                    seq += 1
                ok = seq <= last
            else:
                ok = ring.read(seq, rec)
            seq += 1
            n += 1
            w.structure(ncol)
            if not ok:
                for _ in range(ncol):
                    w.u8(axdr.NULL)
            else:
                for off, kind, view, fmt in plan:
                    _copy(w, view, fmt, _REC[off] if kind == VAR else
                          (len(view) if _REC[off] else 1))
            yield
        ring.done()


def _time(rec):
    return (rec[4] << 24) | (rec[5] << 16) | (rec[6] << 8) | rec[7]


def _copy(w, view, fmt, n):
    """Append the first n bytes of view to Writer w without allocating: struct 's' copies
    len(view) bytes at w.pos (room is checked for all of them), pos moves by n."""
    p = w.pos
    if p + len(view) > len(w.buf):
        raise ValueError("overflow")
    if _MP:
        pack_into(fmt, w.buf, p, view)
    else:  # CPython's struct wants bytes for 's'
        w.buf[p:p + n] = view[:n]
    w.pos = p + n
