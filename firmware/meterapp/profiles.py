# SPDX-License-Identifier: MIT
"""Profiles and event logs of the companion standard (KSMW 5.5-5.13, 5.15.3-5.17, 5.19, 6.3-6.5)
on Profile generic (IC 7) over ring stores in the board's store folder (<store>/ring/<obis>),
or in RAM when the board has no store.

Column widths (bytes of the A-XDR value): 14 date-time octet-string, 2 unsigned/enum,
5 double-long-unsigned; negative = variable, at most that many. Captured objects that do not
exist yet are left out of capture_objects (later work, listed in docs/decisions.md):
billing rate and cumulative maximum demand registers, instantaneous, power quality and M-Bus
values. tick() captures LP1 on every quarter hour, LP2 at local midnight and the power quality
profile on its period; event sources call event(); the guard's security events reach
security_event().
"""
from dlms import VERSION
from dlms.apdu import axdr
from dlms.cosem.base import SUCCESS, obis
from dlms.cosem.ic001_data import Data
from dlms.cosem.ic007_profile_generic import ProfileGeneric
from meterapp.ringstore import FileRing, RamRing

CLOCK = "0-0:1.0.0.255"
RAM_BUDGET = 512  # bytes per ring without a file system (tests; a board has flash files)
# profile status bits (KSMW 5.7.3)
PDN, CAD, CDI, DST, DNV, CIV, ERR = 0x80, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01
PERIODIC = (PDN | CAD | DNV)  # cleared once an entry has recorded them (IDIS 7.5.7)
PQ_PERIODS = (0, 60, 300, 600, 900, 1800, 3600)  # KSMW 5.9.4 (0: not recording)
MBUS_PERIODS = (60, 300, 600, 900, 3600, 86400)  # KSMW 6.3
# KSMW 5.12: client_SAP/server_SAP and client system title, 0xFF when unknown
NO_TITLE = b"\xff" * 8
SESSION_EVENTS = (26, 27, 28, 29)  # communication started/ended, LAN/WAN and WZ

_T = (8, CLOCK, 2, 14)  # clock.time


def _v(ln, width=5, cid=3, attr=2):
    return (cid, ln, attr, width)


def _energy():
    return [_v("1-0:%d.8.0.255" % c) for c in (1, 2, 3, 4)]


def _lp(status):
    # KSMW 5.7: clock.time, profile_status, +A, -A, +R, -R
    return [_T, _v(status, 2, 1)] + _energy()


def _billing():
    # KSMW 5.6 order; rates T1/T2 and cumulative maxima are later work
    cols = [_T, _v("0-0:0.1.0.255", 2, 1)] + _energy()
    for c in (1, 2, 3, 4):  # P+, P-, Q+, Q- max value and timestamp (IC 4 attrs 2, 5)
        cols += [_v("1-0:%d.6.0.255" % c, 5, 4), _v("1-0:%d.6.0.255" % c, 14, 4, 5)]
    return cols


def _log(event, width=2):
    return [_T, _v(event, width, 1)]


_PARTNERS = (15, "0-0:40.0.0.255", 3, 7)  # associated_partners_id {integer, long-unsigned}
_TITLE = (64, "0-0:43.0.0.255", 4, -10)  # client_system_title octet-string(8)
_EV, _PF = (8,), ()
SECURITY_LOG = "0-0:99.98.9.255"
SESSION_LOG = "0-0:99.98.6.255"
CERTIFICATION_LOG = "0-0:99.98.98.255"


def table():
    """(ln, columns, entries, period, writable attributes, allowed periods, version), one at
    a time: built at boot and dropped, never the whole table in the heap."""
    for t in (
        ("1-0:99.1.0.255", _lp("0-0:96.10.1.255"), 5760, 900, _PF, None, 1),  # KSMW 5.7 LP1
        ("1-0:99.2.0.255", _lp("0-0:96.10.2.255"), 60, 86400, _PF, None, 1),  # LP2
        ("0-0:98.1.0.255", _billing(), 15, 0, (3, 8), None, 1),  # KSMW 5.6
        ("1-0:99.14.0.255", [_T, _v("0-0:96.10.3.255", 2, 1)], 1152, 600, (3, 4), PQ_PERIODS,
         1),  # KSMW 5.9.4
        ("0-0:21.0.5.255", [_T], 1, 0, (3,), None, 0),  # KSMW 5.9.1 instantaneous readout
        ("0-0:21.0.1.255", [_v("1-0:1.8.0.255"), _v("1-0:2.8.0.255")], 1, 5, (3, 4), None, 1),
        ("0-0:21.0.2.255", [_v("0-0:96.1.0.255", -20, 1)] + _energy(), 1, 0, (3,), None, 1),
        ("0-0:21.0.3.255", [_T], 1, 0, (3,), None, 1),  # KSMW 5.15.4 service data
        ("0-0:99.98.0.255", _log("0-0:96.11.0.255"), 100, 0, _EV, None, 1),  # KSMW 5.10
        ("0-0:99.98.1.255", _log("0-0:96.11.1.255"), 30, 0, _EV, None, 1),  # 5.11
        ("0-0:99.98.2.255", _log("0-0:96.11.2.255"), 10, 0, _EV, None, 1),  # 5.8
        ("0-0:99.98.3.255", _log("0-0:96.11.3.255"), 100, 0, _EV, None, 1),  # 6.5 M-Bus
        ("0-0:99.98.4.255", _log("0-0:96.11.4.255"), 100, 0, _EV, None, 1),  # 5.9.2
        ("0-0:99.98.5.255", _log("0-0:96.11.5.255"), 100, 0, _EV, None, 1),  # 5.19.1
        (SESSION_LOG, _log("0-0:96.11.6.255") + [_PARTNERS, _TITLE], 100, 0, _EV, None, 1),
        (SECURITY_LOG, _log("0-0:96.11.9.255") + [_PARTNERS, _TITLE], 100, 0, _EV, None, 1),
        ("0-0:99.98.10.255", _log("0-0:94.43.150.255", 17), 30, 0, _EV, None, 1),  # 5.13
        ("0-0:99.98.11.255", _log("0-0:96.14.0.255", -10), 30, 0, _EV, None, 1),  # 5.5
        (CERTIFICATION_LOG, _log("0-0:96.11.98.255") + [_TITLE, _v("1-0:0.2.0.255", -24, 1)],
         100, 0, _EV, None, 1),  # 5.17
        ("1-0:99.97.0.255", [_T, _v("0-0:96.7.19.255", 5, 1)], 10, 0, _EV, None, 1),  # 5.9.3
    ):
        yield t
    for x in (1, 2, 3, 4):
        yield ("0-%d:24.3.0.255" % x, [_T, _v("0-%d:96.10.3.255" % x, 2, 1)], 240, 3600,
               (3, 4, 8), MBUS_PERIODS, 1)  # KSMW 6.3: 10 days of hourly entries
    for x in (1, 2, 3, 4):
        yield ("0-%d:24.5.0.255" % x, _log("0-%d:96.11.4.255" % x), 10, 0, _EV, None,
               1)  # KSMW 6.4


# small objects the profiles capture, created when the object list lacks them
EVENT_OBJECTS = ("0-0:96.11.0.255", "0-0:96.11.1.255", "0-0:96.11.2.255", "0-0:96.11.3.255",
                 "0-0:96.11.4.255", "0-0:96.11.5.255", "0-0:96.11.6.255", "0-0:96.11.98.255",
                 "0-1:96.11.4.255", "0-2:96.11.4.255", "0-3:96.11.4.255", "0-4:96.11.4.255")
STATUS_OBJECTS = ("0-0:96.10.1.255", "0-0:96.10.2.255", "0-0:96.10.3.255", "0-1:96.10.3.255",
                  "0-2:96.10.3.255", "0-3:96.10.3.255", "0-4:96.10.3.255")


def lp1_row(k):
    """Values of the k-th prefilled LP1 row (host --fill-lp1): status, +A, -A, +R, -R."""
    return ((axdr.UINT8, (k * 7) & 0xFF), (axdr.UINT32, 1000000 + 25 * k),
            (axdr.UINT32, 500000 + 3 * k), (axdr.UINT32, 200000 + 7 * k),
            (axdr.UINT32, 100000 + k))


class ProfileStatus(Data):
    """Profile status (KSMW 5.7.3): flags set by the application, DST from the clock."""

    def __init__(self, ln, clock):
        super().__init__(ln, (axdr.UINT8, 0))
        self.clock = clock
        self.flags = 0

    def get(self, attr, w, ctx):
        if attr != 2:
            return super().get(attr, w, ctx)
        c = self.clock
        w.tagged(axdr.UINT8, self.flags | (DST if c.dst_active(c.utc()) else 0))
        return SUCCESS


def _partners(w, a):
    sap = getattr(a, "client_sap", None)
    w.structure(2)
    if sap is None:
        w.tagged(axdr.INT8, -1)
        w.tagged(axdr.UINT16, 0xFF)
    else:
        w.tagged(axdr.INT8, sap if sap < 128 else sap - 256)
        w.tagged(axdr.UINT16, a.server_sap)
    return SUCCESS


def _title(w, a):
    t = getattr(a, "client_title", None)
    if t is None:
        c = getattr(a, "client", None)
        k = c.keys if c is not None else None
        t = k.client_title if k is not None else None
    w.octets(t if t else NO_TITLE)
    return SUCCESS


class Profiles:
    """The profiles and their small objects; also the profiles' environment (clock, store,
    resolve)."""

    def __init__(self, meter, store):
        self.clock = clock = meter.clock
        self.store = store
        self._objs = meter.objects
        self.objects = out = []

        def add(o):
            if self.resolve(0, o.ln) is None:
                out.append(o)

        for ln in EVENT_OBJECTS:
            add(Data(obis(ln), (axdr.UINT8, 0)))
        for ln in STATUS_OBJECTS:
            add(ProfileStatus(obis(ln), clock))
        add(Data(obis("0-0:0.1.0.255"), (axdr.UINT8, 0)))  # billing period counter (5.6)
        add(Data(obis("0-0:96.7.19.255"), (axdr.UINT32, 0)))  # last long power failure, s
        add(Data(obis("0-0:94.43.150.255"), (axdr.STRUCTURE, [  # configuration IdDetail
            (axdr.ENUM, 0), (axdr.UINT16, 0), (axdr.OCTET_STRING, bytes(6)), (axdr.INT8, 0)])))
        add(Data(obis("0-0:96.14.0.255"), (axdr.OCTET_STRING, b"")))  # tariffs: later work
        add(Data(obis("1-0:0.2.0.255"), (axdr.OCTET_STRING, b"KFM-LR-" + VERSION.encode())))
        folder = store.root + "/ring" if store is not None else None
        for ln, cols, entries, period, wr, periods, version in table():
            b = obis(ln)
            ring = FileRing(folder, b) if folder else RamRing(RAM_BUDGET)
            src = None
            if ln in (SESSION_LOG, SECURITY_LOG):
                src = (None, None, _partners, _title)
            elif ln == CERTIFICATION_LOG:
                src = (None, None, _title, None)
            out.append(ProfileGeneric(
                b, [(c, obis(o), a, wd) for c, o, a, wd in cols], entries, period, self, ring,
                writable=wr, periods=periods, version=version, sources=src))
        self.lp1 = self.get("1-0:99.1.0.255")
        self.lp2 = self.get("1-0:99.2.0.255")
        self.pq = self.get("1-0:99.14.0.255")
        self.security_log = self.get(SECURITY_LOG)
        self.session_log = self.get(SESSION_LOG)
        for p, st in ((self.lp1, "0-0:96.10.1.255"), (self.lp2, "0-0:96.10.2.255"),
                      (self.pq, "0-0:96.10.3.255")):
            p.on_capture = self._cleared(self.get(st))
        self._last = None

    def resolve(self, cid, ln):
        """The object with this logical name (profiles' environment), or None."""
        for o in self._objs:
            if o.ln == ln:
                return o
        for o in self.objects:  # before the meter has added them to its list
            if o.ln == ln:
                return o
        return None

    def get(self, ln):
        return self.resolve(0, obis(ln))

    @staticmethod
    def _cleared(status):
        def clear(_pg):
            status.flags &= ~PERIODIC
        return clear

    # ------------------------------------------------------------------ triggers
    def tick(self, now_s=None):
        """Periodic captures at period ends (KSMW 5.7, 5.9.4), stamped with the boundary;
        only forward crossings capture (KSMW 5.4.1: no action when the time goes back)."""
        c = self.clock
        if now_s is None:
            now_s = c.utc()
        last = self._last
        self._last = now_s
        if last is None or now_s <= last:
            return
        if now_s // 900 > last // 900:  # quarter hours are the same in UTC and local time
            self.lp1.capture(None, (now_s - now_s % 900) * 1000)
        loc = c.local(now_s)
        if loc // 86400 > c.local(last) // 86400:  # local midnight (KSMW 5.7: 00:00:00)
            self.lp2.capture(None, (now_s - loc % 86400) * 1000)
        p = self.pq.period
        if p and now_s // p > last // p:
            self.pq.capture(None, (now_s - now_s % p) * 1000)

    def event(self, log_ln, event_ln, code, ctx=None, t_ms=None):
        """An event for a log (KSMW 8): the event object takes the code, the log captures
        it (at t_ms when the event happened earlier, e.g. KSMW 5.9.2 start times)."""
        ev = self.get(event_ln)
        if ev is not None:
            ev.value = (axdr.UINT8, code)
        return self.get(log_ln).capture(ctx, t_ms)

    def security_event(self, code, a=None):
        """Guard hook (KSMW 5.12): the guard has set 0-0:96.11.9.255; communication
        start/end also go to the communication session log (KSMW 5.19.2)."""
        self.security_log.capture(a)
        if code in SESSION_EVENTS:
            ev = self.get("0-0:96.11.6.255")
            ev.value = (axdr.UINT8, code)
            self.session_log.capture(a)

    def prefill_lp1(self, t0_s, count=None):
        """Host test aid (--fill-lp1): reset LP1 and store `count` (default: capacity)
        entries at t0_s + 900 k with the values of lp1_row(k)."""
        lp = self.lp1
        lp.reset()
        n = lp.entries if count is None else count
        for k in range(n):
            lp.append((t0_s + 900 * k) * 1000, (None,) + lp1_row(k))
        return n
