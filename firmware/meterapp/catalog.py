# SPDX-License-Identifier: MIT
"""The rest of the companion standard's object list (KSMW 3-10): every row of
meterapp/catalog_table.py (generated from tools/ksmw-objects.csv by tools/gen_catalog.py) that
the firmware does not build elsewhere is served from here, for the poly-phase meter (every
row) or the single-phase meter (the rows without `poly`). The server finds them through
`find` and lists them after its own objects (Server.attach(..., more=catalog)).

Nothing is built per row at boot: a row is answered by a small object made when it is looked
up, from the table in flash (logical name, class, version, value spec or encoded defaults).
Data, Register and Extended register rows answer from their spec (type, scaler/unit, access,
default); a value a client writes is kept here. Instantaneous and power quality values are
live from the board's metering front-end (hal/sim_metering.py on the host) in the spec's
scaler. Rows of the other classes answer GET with the default attributes the generator
encoded from their real objects (meterapp/catalog_build.py); the first SET or ACTION builds
the real object, which then answers for the row and keeps its state.

The meter builds the tariff, billing and load profile control objects at boot through
materialize() and hooks them (meterapp/objects.py, billing.py, profiles.py); the timeline
(meterapp/timeline.py) ticks every calendar and scheduler built here.
Later work, where the behaviour is not here yet: power quality detection (sag, swell, cut
counters, durations and magnitudes stay at their defaults), push, disconnector, M-Bus and image
transfer (catalog_build.py).
"""
from struct import unpack_from

from dlms import VERSION
from dlms.apdu import axdr
from dlms.cosem.base import (
    CosemObject, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TEMPORARY_FAILURE, TYPE_UNMATCHED,
    no_data, obis, obis_str,
)
from meterapp import catalog_table as T

# value spec flags and live sources (tools/gen_catalog.py)
_W = 1
_RESET = 2
_LIVE = 4
_CONST = 8
METROLOGY = 1
FIRMWARE_ID = 2
POLY = 1  # row flag
_SPEC = 9  # SPEC record: tag, aux, unit, flags, source, default
_ROW = 7  # ROW record: class_id, version, flags, spec, ENC offset
NO_ENC = 0xFFFF
UNSET = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x00\xff"  # date-time not specified
_RANGE = {axdr.UINT8: (0, 0xFF), axdr.UINT16: (0, 0xFFFF), axdr.INT16: (-0x8000, 0x7FFF),
          axdr.UINT32: (0, 0xFFFFFFFF), axdr.ENUM: (0, 0xFF)}
_FW_PART = {1: b"KFM-AP-", 2: b"KFM-CM-"}  # KSMW 7: B = 1 application, 2 comms module


def row(i):
    """(logical name, class_id, version, poly-phase only, spec, ENC offset) of row i."""
    c, v, f, k, e = unpack_from(">HBBBH", T.ROW, _ROW * i)
    return T.LN[6 * i:6 * i + 6], c, v, bool(f & POLY), k, e


def spec(k):
    """(tag, aux, unit, flags, source, default) of SPEC record k (1-based)."""
    return unpack_from(">BbBBBi", T.SPEC, _SPEC * (k - 1))


def find(ln):
    """Table row of a logical name, or -1."""
    i = T.LN.find(ln)
    while i >= 0 and i % 6:
        i = T.LN.find(ln, i + 1)
    return i // 6 if i >= 0 else -1


def _same_type(ref, d):
    """d has the type of the default ref (same tags, structures of the same size)."""
    if ref[0] != d[0]:
        return False
    if ref[0] == axdr.STRUCTURE:
        if len(ref[1]) != len(d[1]):
            return False
        for a, b in zip(ref[1], d[1]):
            if not _same_type(a, b):
                return False
    return True


class _Entry(CosemObject):
    """A catalog row as the server sees it, made on each lookup: its row number only."""

    def __init__(self, env, i):
        self.env = env  # the Catalog
        self.i = i

    @property
    def ln(self):
        i = self.i
        return T.LN[6 * i:6 * i + 6]


class _Data(_Entry):
    """A Data row (IC 1, version 0); Register and Extended register rows extend it."""
    CLASS_ID = 1
    ATTRS = (1, 2)

    @property
    def k(self):
        return T.ROW[_ROW * self.i + 4]

    @property
    def WRITABLE(self):
        return (2,) if T.SPEC[_SPEC * self.k - 6] & _W else ()

    def get(self, attr, w, ctx):
        if attr != 2:
            return super().get(attr, w, ctx)
        v = self.env.values.get(self.i)
        if v is not None:  # written by a client
            w.data(v)
            return SUCCESS
        tag, aux, _u, fl, src, dflt = spec(self.k)
        if fl & _LIVE:
            return self.env.live(self.ln, tag, aux, src, w)
        if fl & _CONST:
            w.data(T.DEFAULTS[dflt])
        else:
            w.tagged(tag, dflt)
        return SUCCESS

    def set(self, attr, d, ctx):
        tag, aux, _u, fl, _s, dflt = spec(self.k)
        if attr != 2 or not fl & _W:
            return READ_WRITE_DENIED
        if not _same_type(T.DEFAULTS[dflt] if fl & _CONST else (tag, dflt), d):
            return TYPE_UNMATCHED
        if self.CLASS_ID == 1 and aux > 0:  # Data: maximum length or value
            v = d[1]
            if tag == axdr.OCTET_STRING:  # KSMW 5.15.2: printable ASCII
                if len(v) > aux or any(b < 0x20 or b > 0x7E for b in v):
                    return OTHER_REASON
            elif v > aux:
                return OTHER_REASON
        self.env.values[self.i] = d
        return SUCCESS


class _Register(_Data):
    """A Register row (IC 3, version 0): scaler_unit from the spec; reset (method 1) sets
    the value to 0 where the spec allows it."""
    CLASS_ID = 3
    ATTRS = (1, 2, 3)
    METHODS = (1,)

    def get(self, attr, w, ctx):
        if attr == 3:
            _t, scaler, unit, _f, _s, _d = spec(self.k)
            w.structure(2)
            w.tagged(axdr.INT8, scaler)
            w.tagged(axdr.ENUM, unit)
            return SUCCESS
        return super().get(attr, w, ctx)

    def action(self, method, d, ctx):
        if method != 1:
            return super().action(method, d, ctx)
        if not no_data(d):
            return TYPE_UNMATCHED, None
        tag, _a, _u, fl, _s, _d = spec(self.k)
        if not fl & _RESET:
            return READ_WRITE_DENIED, None
        self.env.values[self.i] = (tag, 0)
        return SUCCESS, None


class _ExtendedRegister(_Register):
    """An Extended register row (IC 4, version 0): status 0, capture_time not specified
    until a value is captured (KSMW 6.2 M-Bus values; later work: M-Bus)."""
    CLASS_ID = 4
    ATTRS = (1, 2, 3, 4, 5)

    def get(self, attr, w, ctx):
        if attr == 4:
            w.tagged(axdr.UINT8, 0)
        elif attr == 5:
            w.octets(UNSET)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS


def _ids(n, mask=-1, first=1):
    return tuple(a for a in range(first, n + 1) if mask >> (a - 1) & 1)


class _Default(_Entry):
    """A row of another class at its defaults: attributes from the ENC record of the table
    (n_attrs, writable mask (2), n_methods, local methods mask, variants, then per variant
    each attribute 2..n as length (2) + A-XDR); the first SET or ACTION builds the object."""

    def _h(self):
        return T.ROW[_ROW * self.i + 5] << 8 | T.ROW[_ROW * self.i + 6]

    @property
    def CLASS_ID(self):
        return T.ROW[_ROW * self.i] << 8 | T.ROW[_ROW * self.i + 1]

    @property
    def VERSION(self):
        return T.ROW[_ROW * self.i + 2]

    @property
    def ATTRS(self):
        return _ids(T.ENC[self._h()])

    @property
    def WRITABLE(self):
        e = T.ENC
        h = self._h()
        return _ids(e[h], e[h + 1] << 8 | e[h + 2], 2)

    @property
    def METHODS(self):
        return _ids(T.ENC[self._h() + 3])

    @property
    def LOCAL_METHODS(self):
        e = T.ENC
        h = self._h()
        return _ids(e[h + 3], e[h + 4])

    def get(self, attr, w, ctx):
        o = self.env.built.get(self.i)
        if o is not None:  # a reference kept from before the object was built
            return o.get(attr, w, ctx)
        e = T.ENC
        h = self._h()
        n = e[h]
        if not 2 <= attr <= n:
            return super().get(attr, w, ctx)
        p = h + 6
        skip = n - 1 if e[h + 5] > 1 and self.env.phases == 1 else 0  # single-phase set
        for _ in range(skip + attr - 2):
            p += 2 + (e[p] << 8 | e[p + 1])
        m = e[p] << 8 | e[p + 1]
        w.raw(memoryview(e)[p + 2:p + 2 + m])
        return SUCCESS

    def set(self, attr, d, ctx):
        o = self.env.build(self.i)
        return o.set(attr, d, ctx) if o is not None else TEMPORARY_FAILURE

    def action(self, method, d, ctx):
        o = self.env.build(self.i)
        return o.action(method, d, ctx) if o is not None else (TEMPORARY_FAILURE, None)


_LEAN = {1: _Data, 3: _Register, 4: _ExtendedRegister}


class Catalog:
    """The rows of the table a meter does not build itself: find(ln), iteration."""

    def __init__(self, meter, poly=True):
        self.clock = meter.clock
        self.metering = meter.metering
        self.phases = 3 if poly else 1
        self.objects = meter.objects
        self.values = {}  # row -> Data written to a Data/Register row
        self.built = {}  # row -> object built on the first SET/ACTION
        self.on_tariff = None  # (register activation) -> None: the meter's tariff hook
        self.on_built = None  # (object) -> None: the meter learns of each object built here
        self.rows = rows = bytearray(T.N)  # 1: served here
        for i in range(T.N):
            rows[i] = not (T.ROW[_ROW * i + 3] & POLY and not poly)
        for o in self.objects:
            i = find(o.ln)
            if i >= 0:
                rows[i] = 0
        for i in range(T.N):
            if rows[i]:
                _ln, cid, _v, _p, k, e = row(i)
                if not k and e == NO_ENC:
                    raise ValueError("catalog: no object for row %d" % i)
        cur = self.resolve(obis("0-0:96.14.0.255"))  # KSMW 5.5: "T2" active by default
        if cur is not None:
            cur.value = (axdr.OCTET_STRING, b"T2")

    # ------------------------------------------------------------------ object model
    def _entry(self, i):
        o = self.built.get(i)
        if o is not None:
            return o
        k = T.ROW[_ROW * i + 4]
        if k:
            return _LEAN[T.ROW[_ROW * i + 1]](self, i)
        return _Default(self, i)

    def find(self, ln):
        """The object of a row served here, or None."""
        i = find(ln)
        return self._entry(i) if i >= 0 and self.rows[i] else None

    def __iter__(self):
        rows = self.rows
        for i in range(T.N):
            if rows[i]:
                yield self._entry(i)

    def __len__(self):
        return sum(self.rows)

    def named(self, names):
        """The objects of the rows served here with these logical names, in table order."""
        rows = self.rows
        idx = []
        for ln in names:
            i = find(ln)
            if i >= 0 and rows[i]:
                idx.append(i)
        idx.sort()
        return [self._entry(i) for i in idx]

    def resolve(self, ln):
        """Any object of the meter by logical name (the script tables' targets), or None."""
        for o in self.objects:
            if o.ln == ln:
                return o
        return self.find(ln)

    def build(self, i):
        """The real object of row i, built on first use -> object or None (no room in the
        heap: the row keeps its defaults and answers temporary-failure)."""
        o = self.built.get(i)
        if o is None:
            ln, cid, _v, _p, _k, _e = row(i)
            try:
                from meterapp.catalog_build import build

                o = build(self, ln, cid)
            except MemoryError:
                return None
            self.built[i] = o
            if self.on_built is not None:
                self.on_built(o)
        return o

    def materialize(self, ln):
        """The real object with this logical name (built when it is still a default row);
        None when there is no room for it."""
        o = self.resolve(ln)
        if isinstance(o, _Default):
            o = self.build(o.i)
        return o

    def boot_object(self, ln):
        """materialize() for what the meter needs to run: no room is a boot failure."""
        o = self.materialize(ln)
        if o is None:
            raise MemoryError("boot: no room for %s" % obis_str(ln))
        return o

    # ------------------------------------------------------------------ builders' env
    def run_script(self, script_ln, selector):
        """Schedulers and calendars run scripts of the script tables (Blue Book 4.5.7)."""
        t = self.materialize(script_ln)
        return t.run(selector) if t is not None else OTHER_REASON

    def tariff_changed(self, ra):
        """KSMW 5.5: 0-0:96.14.0.255 holds the name of the active energy mask."""
        cur = self.resolve(obis("0-0:96.14.0.255"))
        if cur is not None:
            cur.value = (axdr.OCTET_STRING, ra.active)
        if self.on_tariff is not None:
            self.on_tariff(ra)

    @staticmethod
    def later_work(script_id, ctx):
        return OTHER_REASON

    def now12(self):
        return bytes(self.clock.datetime(bytearray(12)))

    # ------------------------------------------------------------------ live values
    def live(self, ln, tag, scaler, src, w):
        """Live value of a row (spec source) in its scaler."""
        if src == FIRMWARE_ID:
            w.octets(_FW_PART[ln[1]] + VERSION.encode())
            return SUCCESS
        x = self.metering.instant(ln[2], ln[3], ln[4], self.phases, self.clock.utc())
        v = int(round(x * 10 ** -scaler))
        lo, hi = _RANGE[tag]
        w.tagged(tag, min(max(v, lo), hi))
        return SUCCESS
