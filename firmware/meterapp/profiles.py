# SPDX-License-Identifier: MIT
"""Profiles and event logs of the companion standard (KSMW 5.5-5.13, 5.15.3-5.17, 5.19, 6.3-6.5)
on Profile generic (IC 7) over ring stores in the board's store folder (<store>/ring/<obis>),
or in RAM when the board has no store.

Column widths (bytes of the A-XDR value): 14 date-time octet-string, 2 unsigned/enum,
5 double-long-unsigned; negative = variable, at most that many. Captured objects that do not
exist yet are left out of capture_objects (later work, listed in docs/decisions.md):
instantaneous, power quality and M-Bus values. periodic() (meterapp/timeline.py) captures LP1
on every quarter hour, LP2 at local midnight and the power quality profile on its period,
with the profile status of KSMW 5.7.3 and the opt-in/out of 5.7.2; event sources call
event(); the guard's security events reach security_event().
"""
from dlms import VERSION
from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, SUCCESS, obis
from dlms.cosem.ic001_data import Data
from dlms.cosem.ic007_profile_generic import ProfileGeneric
from meterapp.ringstore import FileRing, RamRing

CLOCK = "0-0:1.0.0.255"
RAM_BUDGET = 512  # bytes per ring without a file system (tests; a board has flash files)
# profile status bits (KSMW 5.7.3)
PDN, CAD, CDI, DST, DNV, CIV, ERR = 0x80, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01
ERR_FLAGS = ERR | DNV  # KSMW 5.7.3: ERR sets DNV too
PERIODIC = (PDN | CAD | DNV | CIV | ERR)  # cleared once an entry has recorded them
# standard event log codes of opt-in/out (manufacturer range, docs/decisions.md):
# EV_OPT[profile][enabled]
EV_OPT = ((231, 230), (233, 232))
# profiles of scripts 1/2, 3/4, 5/6 (KSMW 5.7.2 Table 26, 5.15.1 Table 43): LP1 and LP2,
# LP1, LP2; odd scripts switch on, even ones off
_SCRIPT_PROFILES = ((0, 1), (0,), (1,))
EV_PARAMETER_CHANGED = 47  # KSMW 5.13
CONFIG_DETAIL = "0-0:94.43.150.255"
CONFIG_CLASSES = (6, 11, 20, 64, 72)  # their methods change configuration (KSMW 5.13)
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
    # KSMW 5.6 order: clock, counter, per energy type total, rate 1, rate 2; maximum demand
    # value and timestamp (IC 4 attributes 2, 5) of P+, P-, Q+, Q-; cumulative maxima
    cols = [_T, _v("0-0:0.1.0.255", 2, 1)]
    for c in (1, 2, 3, 4):
        cols += [_v("1-0:%d.8.%d.255" % (c, e)) for e in (0, 1, 2)]
    for c in (1, 2, 3, 4):
        cols += [_v("1-0:%d.6.0.255" % c, 5, 4), _v("1-0:%d.6.0.255" % c, 14, 4, 5)]
    return cols + [_v("1-0:%d.2.0.255" % c) for c in (1, 2, 3, 4)]


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
    """Profile status (KSMW 5.7.3): pending flags set by events (PDN, CAD, DNV, CIV, ERR until
    an entry records them), CDI of the entry being captured, DST from the clock at the
    instant being processed."""

    def __init__(self, ln, clock, now):
        super().__init__(ln, (axdr.UINT8, 0))
        self.clock = clock
        self.now = now
        self.flags = 0
        self.cdi = False

    def get(self, attr, w, ctx):
        if attr != 2:
            return super().get(attr, w, ctx)
        v = self.flags | (CDI if self.cdi else 0)
        if self.clock.dst_active(self.now()):
            v |= DST
        w.tagged(axdr.UINT8, v)
        return SUCCESS


class _Probe:
    """A writer that keeps the value of one tagged write (reading a number from an object)."""
    v = None

    def tagged(self, tag, v):
        self.v = v

    def data(self, d):
        self.v = d[1]


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

    CAD_FLAGS = CAD | DNV  # clock adjusted beyond the shift limit (IDIS 7.5.8)
    CIV_FLAGS = CIV | DNV  # KSMW 5.7.3: CIV sets DNV too
    ERR_FLAGS = ERR_FLAGS

    def __init__(self, meter, store):
        self.clock = clock = meter.clock
        self.store = store
        self.meter = meter
        self._objs = meter.objects
        self.objects = out = []
        now = meter.timeline.now_s

        def add(o):
            if self.resolve(0, o.ln) is None:
                out.append(o)

        for ln in EVENT_OBJECTS:
            add(Data(obis(ln), (axdr.UINT8, 0)))
        for ln in STATUS_OBJECTS:
            add(ProfileStatus(obis(ln), clock, now))
        add(Data(obis("0-0:0.1.0.255"), (axdr.UINT8, 0)))  # billing period counter (5.6)
        add(Data(obis("0-0:96.7.19.255"), (axdr.UINT32, 0)))  # last long power failure, s
        add(Data(obis("0-0:94.43.150.255"), (axdr.STRUCTURE, [  # configuration IdDetail
            (axdr.ENUM, 0), (axdr.UINT16, 0), (axdr.OCTET_STRING, bytes(6)), (axdr.INT8, 0)])))
        add(Data(obis("0-0:96.14.0.255"), (axdr.OCTET_STRING, b"T2")))  # KSMW 5.5 active mask
        add(Data(obis("0-0:96.5.3.255"), source=self._lp_control_status))  # KSMW 5.7.2
        add(Data(obis("0-0:96.5.4.255"), source=self._lp_display_status))  # KSMW 5.15.1
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
        self.session_event = self.get("0-0:96.11.6.255")  # its event code (KSMW 5.19.2)
        self.status = [self.get(st) for st in STATUS_OBJECTS[:3]]  # LP1, LP2, PQ
        # opt-in/out (KSMW 5.7.2) of LP1, LP2: disabled, changed since the last capture
        # instant, disabled at some moment since then; pending flags of LP1, LP2, PQ; display
        # of LP1, LP2 off (KSMW 5.15.1)
        self.lpstate = st = bytearray(11)
        v = store.read("lpstate") if store is not None else None
        if v and len(v) == len(st):
            st[:] = v
        for k in range(3):
            self.status[k].flags = st[6 + k]
        for k in range(2):
            self.status[k].cdi = bool(st[k])

    def resolve(self, cid, ln):
        """The object with this logical name (profiles' environment), or None."""
        for o in self._objs:
            if o.ln == ln:
                return o
        for o in self.objects:  # before the meter has added them to its list
            if o.ln == ln:
                return o
        cat = getattr(self.meter, "catalog", None)
        return cat.find(ln) if cat is not None else None

    def get(self, ln):
        return self.resolve(0, obis(ln))

    def _save(self):
        st = self.lpstate
        for k in range(3):
            st[6 + k] = self.status[k].flags
        if self.store is not None:
            self.store.write("lpstate", st)

    # ------------------------------------------------------------------ status (5.7.3)
    def flag_all(self, bits):
        """An event for the next entry of every interval profile (PDN, CAD, CIV, ERR)."""
        for s in self.status:
            s.flags |= bits
        self._save()

    def power_failure(self, down_s, up_s):
        """At power up (meterapp/timeline.py): PDN for the next entries; a long power
        failure (at least 0-0:96.7.20.255 seconds, KSMW 5.9.3) logs its duration."""
        self.flag_all(PDN)
        d = up_s - down_s
        lim = self.resolve(1, obis("0-0:96.7.20.255"))
        w = _Probe()
        if lim is not None and lim.get(2, w, None) == SUCCESS and w.v is not None and d >= w.v:
            self.get("0-0:96.7.19.255").value = (axdr.UINT32, d)
            self.get("1-0:99.97.0.255").capture(None, up_s)

    # ------------------------------------------------------------------ opt-in/out (5.7.2)
    def opt(self, k, enable):
        """Load profile k (0: LP1, 1: LP2) capturing on or off; the next entry after a change
        carries CDI (KSMW 5.7.4.1)."""
        st = self.lpstate
        dis = 0 if enable else 1
        if st[k] == dis:
            return
        st[k] = dis
        st[2 + k] = 1
        if dis:
            st[4 + k] = 1
        self._save()

    def lp_script(self, script_id, ctx):
        """on_execute of the load profile control script table 0-0:10.0.109.255 (Table 26):
        1/2 both on/off, 3/4 LP1, 5/6 LP2; events in the standard event log."""
        if not 1 <= script_id <= 6:
            return OTHER_REASON
        on = script_id % 2 == 1
        for k in _SCRIPT_PROFILES[(script_id - 1) // 2]:
            if self.lpstate[k] == (0 if on else 1):
                continue
            self.opt(k, on)
            self.event("0-0:99.98.0.255", "0-0:96.11.0.255", EV_OPT[k][on],
                       None, self.meter.timeline.now_s())
        return SUCCESS

    def display_script(self, script_id, ctx):
        """on_execute of the load profile display control script table 0-0:10.1.109.255
        (KSMW 5.15.1 Table 43): 1/2 both on/off, 3/4 LP1, 5/6 LP2. The display driver of a
        board shows a profile while lp_displayed(k)."""
        if not 1 <= script_id <= 6:
            return OTHER_REASON
        off = 0 if script_id % 2 else 1
        for k in _SCRIPT_PROFILES[(script_id - 1) // 2]:
            self.lpstate[9 + k] = off
        self._save()
        return SUCCESS

    def lp_displayed(self, k):
        return not self.lpstate[9 + k]

    def _lp_display_status(self, w, ctx):
        # bit 0: LP1 shown, bit 1: LP2 shown (as 0-0:96.5.3.255)
        st = self.lpstate
        w.tagged(axdr.UINT8, (0 if st[9] else 1) | (0 if st[10] else 2))
        return SUCCESS

    def _lp_control_status(self, w, ctx):
        # bit 0: LP1 capturing, bit 1: LP2 capturing (decisions.md)
        st = self.lpstate
        w.tagged(axdr.UINT8, (0 if st[0] else 1) | (0 if st[1] else 2))
        return SUCCESS

    # ------------------------------------------------------------------ triggers
    def periodic(self, t):
        """Captures due at the step end t (UTC s, meterapp/timeline.py): LP1 every quarter
        hour, LP2 at local midnight (KSMW 5.7: 00:00:00), the PQ profile on its period."""
        if t % 900 == 0:
            self._lp(0, self.lp1, t)
            if self.clock.local(t) % 86400 == 0:
                self._lp(1, self.lp2, t)
        p = self.pq.period
        if p and t % p == 0:
            self.pq.capture(None, t)
            self._captured(2)

    def _lp(self, k, lp, t):
        st = self.lpstate
        s = self.status[k]
        if st[k] and not st[2 + k]:  # opted out for the whole period: no entry (Table 30)
            st[4 + k] = 1
            return
        s.cdi = bool(st[4 + k])
        if lp.capture(None, t) != SUCCESS:  # the ring could not be written
            self.flag_all(ERR_FLAGS)
        st[2 + k] = 0
        st[4 + k] = st[k]
        s.cdi = bool(st[k])
        self._captured(k)

    def _captured(self, k):
        # the entry recorded the pending flags (IDIS 7.5.7)
        s = self.status[k]
        if s.flags & PERIODIC or k < 2:
            s.flags &= ~PERIODIC
            self._save()

    def event(self, log_ln, event_ln, code, ctx=None, t=None):
        """An event for a log (KSMW 8): the event object takes the code, the log captures
        it (at meter second t when the event happened earlier, e.g. KSMW 5.9.2 start times)."""
        ev = self.get(event_ln)
        if ev is not None:
            ev.value = (axdr.UINT8, code)
        return self.get(log_ln).capture(ctx, t)

    def configuration(self, a, service, cid, ln, index):
        """Server hook after a client's successful SET or ACTION (KSMW 5.13): every SET, and
        the methods that change configuration (register activation, special days, activity
        calendar, security setup, association other than reply_to_HLS_authentication, M-Bus
        client), give event 47 and a configuration log entry with its IdDetail."""
        if service == 2 and cid not in CONFIG_CLASSES and not (cid == 15 and index != 1):
            return
        self.get(CONFIG_DETAIL).value = (axdr.STRUCTURE, [
            (axdr.ENUM, service), (axdr.UINT16, cid), (axdr.OCTET_STRING, bytes(ln)),
            (axdr.INT8, index)])
        self.event("0-0:99.98.0.255", "0-0:96.11.0.255", EV_PARAMETER_CHANGED, a)
        self.get("0-0:99.98.10.255").capture(a)

    def security_event(self, code, a=None):
        """Guard hook (KSMW 5.12): the guard has set 0-0:96.11.9.255; communication
        start/end also go to the communication session log (KSMW 5.19.2)."""
        self.security_log.capture(a)
        if code in SESSION_EVENTS:
            self.session_event.value = (axdr.UINT8, code)
            self.session_log.capture(a)

    def prefill_lp1(self, t0_s, count=None):
        """Host test aid (--fill-lp1): reset LP1 and store `count` (default: capacity)
        entries at t0_s + 900 k with the values of lp1_row(k)."""
        lp = self.lp1
        lp.reset()
        n = lp.entries if count is None else count
        for k in range(n):
            lp.append(t0_s + 900 * k, (None,) + lp1_row(k))
        return n
