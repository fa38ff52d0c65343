# SPDX-License-Identifier: MIT
"""The KSMW object list (meterapp/catalog.py, catalog_table.py, catalog_build.py): every row of
spec/ksmw-objects.csv with its class and version on the poly- and single-phase meter, the new
interface classes (IC 18, 40, 70, 71, 72, 74) with their defaults and encodings, rows built on
their first SET or ACTION, live instantaneous values."""
import gc
import sys

from unitlib import FakeBoard, Session, h, management_session

from dlms import VERSION
from dlms.apdu import axdr
from dlms.apdu.axdr import (
    ARRAY, BOOLEAN, ENUM, INT8, OCTET_STRING, STRUCTURE, UINT8, UINT16, UINT32,
)
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, obis,
)
from meterapp import catalog as C
from meterapp import catalog_table as T

CPYTHON = sys.implementation.name != "micropython"
_W = axdr.Writer(2048)


def enc(obj, attr, ctx=None):
    """A-XDR of one attribute (a streaming get drained into the same buffer)."""
    w = _W
    w.pos = 0
    r = obj.get(attr, w, ctx)
    if not isinstance(r, int):
        out = b""
        for _ in r:
            out += bytes(w.mv[:w.pos])
            w.pos = 0
        return out + bytes(w.mv[:w.pos])
    assert r == SUCCESS, (obj.ln, attr, r)
    return bytes(w.mv[:w.pos])


def size(obj, attr, ctx):
    """Length of one attribute's A-XDR, streamed and dropped (object lists are long)."""
    w = _W
    w.pos = 0
    r = obj.get(attr, w, ctx)
    n = 0
    if not isinstance(r, int):
        for _ in r:
            n += w.pos
            w.pos = 0
        r = SUCCESS
    assert r == SUCCESS, (obj.ln, attr, r)
    return n + w.pos


def board(poly=True):
    b = FakeBoard()
    b.identity = dict(b.identity, meter_type="200" if poly else "100")
    return b


def management(poly=True):
    """The management client's service layer on a meter (as in test_server.py)."""
    return management_session(board(poly))


def get(cid, ln, attr):
    return bytes((0xC0, 1, 0xC1, cid >> 8, cid & 0xFF)) + ln + bytes((attr, 0))


def set_(cid, ln, attr, data):
    return bytes((0xC1, 1, 0xC1, cid >> 8, cid & 0xFF)) + ln + bytes((attr, 0)) + data


def act(cid, ln, m, data=None):
    par = b"\x00" if data is None else b"\x01" + data
    return bytes((0xC3, 1, 0xC1, cid >> 8, cid & 0xFF)) + ln + bytes((m,)) + par


def count(poly):
    """Number of table rows the meter must list."""
    n = 0
    for i in range(T.N):
        if poly or not C.row(i)[3]:
            n += 1
    return n


# ---------------------------------------------------------------- the table and the csv
def test_table_in_sync_with_the_csv():
    if not CPYTHON:  # the generator and the csv live on the host
        return
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(root, "tools"))
    import gen_catalog

    with open(gen_catalog.OUT, encoding="utf-8") as f:
        assert f.read() == gen_catalog.generate(), "run tools/gen_catalog.py"
    shared = os.path.join(os.path.dirname(root), "shared", "spec", "ksmw-objects.csv")
    if os.path.exists(shared):  # the committed copy is the shared specification input
        with open(shared, "rb") as a, open(gen_catalog.CSV, "rb") as b:
            assert a.read() == b.read()
    csv_rows = gen_catalog.rows()
    assert len(gen_catalog.rows(extra=False)) == 302
    # + the KSMW 5.5 Table 22 rate registers and the IDIS TCP-UDP setup (IC 41)
    assert len(csv_rows) == T.N == 302 + 8 + 1
    assert csv_rows[-1][:3] == ("0-0:25.0.0.255", 41, 0)
    for i, (o, cid, ver, poly, _s) in enumerate(csv_rows):
        assert C.row(i)[:4] == (obis(o), cid, ver, poly)
    assert sum(1 for r in csv_rows if r[3]) == 46


def test_class_31_rows_are_data():
    # docs/decisions.md: no interface class 31 in the Blue Book; IDIS Data counters
    for c in (32, 52, 72):
        for d in (32, 36, 40):
            i = C.find(obis("1-0:%d.%d.0.255" % (c, d)))
            assert C.row(i)[1:3] == (1, 0)


# ---------------------------------------------------------------- every row, both variants
def _object_list(poly):
    s = Session(board=board(poly))
    seen = bytearray(T.N)
    n = 0
    for o in s.server.model:
        i = C.find(o.ln)
        ln, cid, ver, poly_only, _k, _e = C.row(i)
        assert (o.CLASS_ID, o.VERSION) == (cid, ver) and not seen[i] and (poly or not poly_only)
        seen[i] = 1
        o = s.server.find(ln)  # the server finds each row with its class
        assert o is not None and (o.CLASS_ID, o.VERSION) == (cid, ver)
        n += 1
    assert n == count(poly)
    return s


def test_poly_phase_meter_lists_every_row():
    s = _object_list(True)
    assert len(s.meter.objects) + len(s.meter.catalog) == 302 + 8 + 1
    assert s.meter.ldn == b"KFM2000100000001"  # KSMW 5.1 meter type 200


def test_single_phase_meter_lists_the_rows_without_poly():
    s = _object_list(False)
    assert len(s.meter.objects) + len(s.meter.catalog) == 256 + 8 + 1
    assert s.server.find(obis("1-0:52.7.0.255")) is None  # voltage L2
    assert s.meter.ldn == b"KFM1000100000001"


def test_every_attribute_reads():
    s = management()  # the attributes a client reads, in its association
    n = 0
    for o in s.server.model:
        for a in o.ATTRS:
            if a in o.NOT_READABLE:
                continue
            assert size(o, a, s.a) > 0, (o.ln, a)
            n += 1
        if not CPYTHON:
            gc.collect()
    assert n > 1200


def _defaults(poly):
    from meterapp import catalog_build

    s = Session(board=board(poly))
    cat = s.meter.catalog
    for i in range(T.N):
        ln, cid, _v, _p, k, e = C.row(i)
        if e == C.NO_ENC or not cat.rows[i] or i in cat.built:  # built: running since boot
            continue
        entry = cat.find(ln)
        real = catalog_build.build(cat, ln, cid)
        assert entry.ATTRS == real.ATTRS and entry.METHODS == real.METHODS
        assert entry.WRITABLE == tuple(real.WRITABLE)
        assert entry.LOCAL_METHODS == tuple(real.LOCAL_METHODS)
        for a in real.ATTRS:
            if cid == 5 and a == 7:  # start_time_current: the real one started now
                continue
            assert enc(entry, a) == enc(real, a), (ln, a)
        entry = real = None
        if not CPYTHON:
            gc.collect()


def test_encoded_defaults_match_the_real_objects_poly():
    _defaults(True)


def test_encoded_defaults_match_the_real_objects_single():
    _defaults(False)


# ---------------------------------------------------------------- Data / Register rows
def test_data_rows_defaults_and_writes():
    s = Session(board=board())
    f = s.server.find
    sag = f(obis("1-0:12.31.0.255"))  # KSMW 5.9.2, EN 50160: 90 % of 230 V
    assert (sag.CLASS_ID, enc(sag, 2), sag.WRITABLE) == (1, h("1200CF"), (2,))
    assert sag.set(2, (UINT16, 200), None) == SUCCESS
    assert enc(f(obis("1-0:12.31.0.255")), 2) == h("1200C8")  # kept by the catalog
    assert sag.set(2, (UINT32, 200), None) == TYPE_UNMATCHED
    assert enc(f(obis("1-0:32.32.0.255")), 2) == h("120000")  # number of sags (class 31)
    assert f(obis("1-0:32.32.0.255")).set(2, (UINT16, 1), None) == READ_WRITE_DENIED
    msg = f(obis("0-0:96.13.1.255"))  # KSMW 5.15.2 consumer message
    assert enc(msg, 2) == h("0900")
    assert msg.set(2, (OCTET_STRING, b"x" * 65), None) == OTHER_REASON
    assert msg.set(2, (OCTET_STRING, b"bad\x07"), None) == OTHER_REASON
    assert msg.set(2, (OCTET_STRING, b"Hello"), None) == SUCCESS
    assert enc(msg, 2) == h("0905") + b"Hello"
    scheme = f(obis("0-0:94.43.142.255"))  # KSMW 5.15.3: 0 central, 1 local
    assert scheme.set(2, (ENUM, 2), None) == OTHER_REASON
    assert scheme.set(2, (ENUM, 1), None) == SUCCESS
    cert = f(obis("0-0:94.43.143.255"))  # KSMW 5.16
    assert enc(cert, 2) == h("0205 0300 1600 1600 1100 120000")
    v = [(BOOLEAN, True), (ENUM, 2), (ENUM, 0), (UINT8, 1), (UINT16, 1000)]
    assert cert.set(2, (STRUCTURE, v[:4]), None) == TYPE_UNMATCHED
    assert cert.set(2, (STRUCTURE, v), None) == SUCCESS
    assert enc(cert, 2) == h("0205 0301 1602 1600 1101 1203E8")
    fw = f(obis("1-1:0.2.0.255"))  # KSMW 7: application part B = 1
    assert enc(fw, 2) == bytes((9, 7 + len(VERSION))) + b"KFM-AP-" + VERSION.encode()
    assert enc(f(obis("0-0:97.98.10.255")), 2) == h("0600000000")  # alarm filter 1
    assert enc(f(obis("0-0:96.5.3.255")), 2) == h("1103")  # LP1 and LP2 capturing
    tariff = f(obis("0-0:96.14.0.255"))  # 02:00 local: the calendar put T1 in force
    assert enc(tariff, 2) == h("0902") + b"T1"


def test_registers_live_and_stored():
    s = Session(board=board())  # 2026-07-01 02:00 CEST: importing 2300 W, 400 var
    f = s.server.find
    u1 = f(obis("1-0:32.7.0.255"))
    assert (u1.CLASS_ID, enc(u1, 2), enc(u1, 3)) == (3, h("1208FD"), h("0202 0FFF 1623"))
    assert u1.WRITABLE == () and u1.action(1, (INT8, 0), None)[0] == READ_WRITE_DENIED
    assert enc(f(obis("1-0:31.7.0.255")), 2) == h("120152")  # 3.38 A on each phase
    assert enc(f(obis("1-0:90.7.0.255")), 2) == h("1203F7")  # 10.15 A
    assert enc(f(obis("1-0:1.7.0.255")), 2) == h("06000008FC")  # +P 2300 W
    assert enc(f(obis("1-0:21.7.0.255")), 2) == h("06000002FF")  # +P L1 767 W
    assert enc(f(obis("1-0:2.7.0.255")), 2) == h("0600000000")
    assert enc(f(obis("1-0:9.7.0.255")), 3) == h("0202 0F00 161C")  # VA
    assert enc(f(obis("1-0:13.7.0.255")), 2) == h("1203D9")  # PF 0.985
    assert enc(f(obis("1-0:81.7.40.255")), 2) == h("100063")  # 9.9 degrees
    assert enc(f(obis("1-0:14.7.0.255")), 2) == h("121388")  # 50.00 Hz
    assert enc(f(obis("1-0:32.26.0.255")), 2) == h("12090C")  # max voltage 231.6 V
    cut = f(obis("1-0:12.39.0.255"))  # KSMW 5.9.2 cut threshold, register
    assert (enc(cut, 2), enc(cut, 3), cut.WRITABLE) == (h("120073"), h("0202 0FFF 1623"), (2,))
    dur = f(obis("1-0:32.33.0.255"))  # duration of the last sag: reset allowed
    assert enc(dur, 3) == h("0202 0FFD 1607")
    assert dur.action(1, (INT8, 0), None) == (SUCCESS, None)
    assert dur.action(1, (UINT16, 0), None)[0] == TYPE_UNMATCHED
    cum = f(obis("1-0:3.2.0.255"))  # KSMW 5.3 cumulative maximum demand, var
    assert (enc(cum, 2), enc(cum, 3)) == (h("0600000000"), h("0202 0F00 161D"))
    mv = f(obis("0-3:24.2.4.255"))  # KSMW 6.2 M-Bus value (later work: M-Bus)
    assert (mv.CLASS_ID, mv.ATTRS) == (4, (1, 2, 3, 4, 5))
    assert (enc(mv, 2), enc(mv, 3), enc(mv, 4)) == (h("0600000000"), h("0202 0F00 16FF"),
                                                    h("1100"))
    assert enc(mv, 5) == h("090C FFFFFFFFFFFFFFFFFF8000FF")


def test_single_phase_registers():
    f = Session(board=board(False)).server.find  # everything on L1
    assert enc(f(obis("1-0:31.7.0.255")), 2) == h("1203F7")
    assert enc(f(obis("1-0:21.7.0.255")), 2) == h("06000008FC")


# ---------------------------------------------------------------- IC 70 disconnect control
def test_disconnect_control_state_machine():
    from dlms.cosem.ic070_disconnect_control import (
        CONNECTED, DISCONNECTED, READY, DisconnectControl,
    )

    # KSMW 5.8 Figure 7: per control mode, the commands that change the state
    allowed = {0: "", 1: "bcfgde", 2: "bcfgae", 3: "bcgde", 4: "bcgae", 5: "bcfgdeh",
               6: "bcgdeh"}
    start = {"a": DISCONNECTED, "b": CONNECTED, "c": READY, "d": DISCONNECTED,
             "e": READY, "f": CONNECTED, "g": CONNECTED, "h": READY}
    for mode, ok in allowed.items():
        for t, frm in start.items():
            d = DisconnectControl(obis("0-0:96.3.10.255"), mode)
            d.state = frm
            assert (d.transition(t) == SUCCESS) == (t in ok), (mode, t)
    d = DisconnectControl(obis("0-0:96.3.10.255"))  # default mode 3 (KSMW 5.8)
    assert [enc(d, a) for a in (2, 3, 4)] == [h("0301"), h("1601"), h("1603")]
    assert d.action(2, (INT8, 0), None)[0] == SUCCESS  # already connected
    assert d.action(1, (INT8, 0), None)[0] == SUCCESS and d.state == DISCONNECTED
    assert enc(d, 2) == h("0300")
    assert d.set(4, (ENUM, 0), None) == OTHER_REASON  # mode 0 holds "connected" only
    assert d.action(2, None, None)[0] == SUCCESS and d.state == READY  # d
    assert d.manual(True) == SUCCESS and d.state == CONNECTED  # e
    assert d.set(3, (ENUM, READY), None) == SUCCESS  # script 1: local disconnect (g)
    assert d.set(3, (ENUM, CONNECTED), None) == OTHER_REASON  # h not in mode 3
    assert d.set(4, (ENUM, 7), None) == OTHER_REASON
    assert d.set(4, (UINT8, 4), None) == TYPE_UNMATCHED
    assert d.action(3, None, None)[0] == OBJECT_UNDEFINED
    fixed = DisconnectControl(obis("0-1:96.3.10.255"), 4, fixed_mode=True)
    assert fixed.WRITABLE == () and fixed.set(4, (ENUM, 3), None) == READ_WRITE_DENIED


def test_disconnect_through_the_server_and_scripts():
    s = management()
    dc = obis("0-0:96.3.10.255")
    assert s.req(get(70, dc, 4)) == h("C401C100 1603")
    assert s.req(act(70, dc, 1, h("0F00"))) == h("C701C10000")  # remote_disconnect (b)
    assert s.req(get(70, dc, 3)) == h("C401C100 1600")
    assert s.req(set_(70, dc, 4, h("1600"))) == h("C501C1FA")
    # KSMW 5.8: no client may execute the disconnect script table ...
    assert s.req(act(9, obis("0-0:10.0.106.255"), 1, h("120001"))) == h("C701C10300")
    # ... the load management one may (script 3: remote_disconnect of relay 1, mode 4)
    assert s.req(act(9, obis("0-0:10.0.103.255"), 1, h("120003"))) == h("C701C10000")
    assert s.req(get(70, obis("0-1:96.3.10.255"), 3)) == h("C401C100 1600")
    assert s.req(act(9, obis("0-0:10.0.103.255"), 1, h("120004"))) == h("C701C10000")
    assert s.req(get(70, obis("0-1:96.3.10.255"), 2)) == h("C401C100 0301")  # a: mode 4
    lst = s.server.find(obis("0-0:10.0.106.255"))
    role = s.a.client.role
    assert role.method_access(lst, 1, s.a.client) == 0


# ---------------------------------------------------------------- IC 71 limiter
def test_limiter_defaults_and_writes():
    s = Session(board=board())
    lim = s.server.find(obis("0-0:17.0.0.255"))
    assert (lim.CLASS_ID, lim.VERSION, lim.ATTRS, lim.METHODS) == (71, 0, tuple(range(1, 12)), ())
    assert enc(lim, 2) == h("0203 120003 0906 0100010700FF 0F02")  # KSMW 5.8: +P
    assert [enc(lim, a) for a in (3, 4, 5)] == [h("0600000000")] * 3  # 0: disabled
    assert enc(lim, 6) == enc(lim, 7) == h("060000003C")
    assert enc(lim, 8) == h("0203 120000 090C FFFFFFFFFFFFFFFFFF8000FF 0600000000")
    assert (enc(lim, 9), enc(lim, 10)) == (h("0100"), h("0300"))
    script = "0906 00000A006AFF"
    assert enc(lim, 11) == h("0202 0202" + script + "120001 0202" + script + "120002")
    assert enc(s.server.find(obis("0-0:17.0.1.255")), 2)[5:13] == h("0906 0100020700FF")
    assert lim.set(4, (UINT32, 20000), None) == SUCCESS  # the first write builds it
    lim = s.server.find(obis("0-0:17.0.0.255"))
    assert enc(lim, 3) == enc(lim, 4) == h("0600004E20")  # no emergency: active = normal
    assert lim.set(6, (UINT16, 5), None) == TYPE_UNMATCHED
    assert lim.set(9, (ARRAY, [(UINT16, 1)] * 9), None) == OTHER_REASON
    assert lim.set(11, (STRUCTURE, [(STRUCTURE, [(OCTET_STRING, b"123456"), (UINT16, 1)]),
                                    (STRUCTURE, [(OCTET_STRING, b"123456"), (UINT8, 1)])]),
                   None) == TYPE_UNMATCHED
    assert lim.set(10, (BOOLEAN, True), None) == READ_WRITE_DENIED


# ---------------------------------------------------------------- IC 72, IC 74 M-Bus
def test_mbus_client_and_port_setup():
    s = Session(board=board())
    f = s.server.find
    c = f(obis("0-2:24.1.0.255"))
    assert (c.CLASS_ID, c.VERSION, len(c.ATTRS), c.METHODS) == (72, 1, 14, tuple(range(1, 9)))
    assert c.WRITABLE == (2, 3, 4, 5, 6, 7, 8, 9)
    assert enc(c, 2) == h("0906 0000180600FF")  # KSMW 4.3: wired port
    assert (enc(c, 3), enc(c, 4), enc(c, 5)) == (h("0100"), h("0600000E10"), h("1100"))
    assert [enc(c, a) for a in (6, 7, 13, 14)] == [h("0600000000"), h("120000"), h("120000"),
                                                    h("1600")]
    assert c.action(4, (INT8, 0), None)[0] == OTHER_REASON  # reset_alarm: not supported
    c = f(obis("0-2:24.1.0.255"))
    cap = (ARRAY, [(STRUCTURE, [(OCTET_STRING, h("0C")), (OCTET_STRING, h("13"))])])
    assert c.set(3, cap, None) == SUCCESS
    assert enc(c, 3) == h("0101 0202 09010C 090113")
    assert c.set(3, (ARRAY, [cap[1][0]] * 5), None) == OTHER_REASON
    assert c.set(5, (UINT8, 251), None) == OTHER_REASON
    assert c.set(5, (UINT8, 7), None) == SUCCESS and c.set(6, (UINT32, 12345678), None) == 0
    assert c.set(10, (UINT8, 1), None) == READ_WRITE_DENIED
    assert c.action(1, (UINT8, 0), None)[0] == OTHER_REASON  # later work: install
    assert c.action(2, (INT8, 0), None) == (SUCCESS, None)  # slave_deinstall
    assert enc(c, 5) == h("1100") and enc(c, 6) == h("0600000000") and enc(c, 3) != h("0100")
    p = f(obis("0-0:24.6.0.255"))  # wired M2 port
    assert (p.CLASS_ID, enc(p, 2), p.WRITABLE) == (74, h("1603"), (2,))
    assert p.set(2, (ENUM, 10), None) == OTHER_REASON
    assert f(obis("0-0:24.6.0.255")).set(2, (ENUM, 5), None) == SUCCESS
    assert enc(f(obis("0-0:24.6.0.255")), 2) == h("1605")
    h1 = f(obis("0-2:24.6.0.255"))  # KSMW 2.2: H1 fixed at 2400 Bd
    assert h1.WRITABLE == () and enc(h1, 2) == h("1603")


# ---------------------------------------------------------------- IC 40 push setup
def _cip(poly, n):
    s = Session(board=board(poly))
    cip = s.server.find(obis("0-6:25.9.0.255"))  # KSMW 10.5
    assert (cip.CLASS_ID, cip.VERSION, cip.METHODS) == (40, 0, (1,))
    lst = enc(cip, 2)
    assert lst[:2] == bytes((ARRAY, n))
    assert lst[2:20] == h("0204 120008 0906 0000010000FF 0F01 120000")  # clock ln
    assert h("120003 0906 0100200700FF 0F00") in lst  # voltage L1, attribute 0
    assert (h("0906 0100340700FF") in lst) == poly  # voltage L2
    assert enc(cip, 3) == h("0203 16C9 090A 0002180600FF 2EFF2E00 1600")
    assert [enc(cip, a) for a in (4, 5, 6, 7)] == [h("0100"), h("120000"), h("1100"),
                                                    h("12003C")]
    return s


def test_consumer_information_push_single_phase():
    _cip(False, 12)


def test_push_setups():
    s = _cip(True, 16)
    alarm = s.server.find(obis("0-4:25.9.0.255"))  # KSMW 10.2
    assert enc(alarm, 2) == h("0104" "0204 120008 0906 0000010000FF 0F02 120000"
                              "0204 120001 0906 0000616214FF 0F02 120000"
                              "0204 120001 0906 0000616215FF 0F02 120000"
                              "0204 120001 0906 0000616216FF 0F02 120000")
    assert enc(alarm, 3) == h("0203 1600 0900 1600")  # TCP, destination not set yet
    inter = s.server.find(obis("0-2:25.9.0.255"))
    assert enc(inter, 2)[:20] == h("0102 0204 120028 0906 0002190900FF 0F01 120000")
    assert inter.action(1, (INT8, 0), None) == (OTHER_REASON, None)  # later work: push
    assert inter.set(7, (UINT16, 600), None) == SUCCESS
    inter = s.server.find(obis("0-2:25.9.0.255"))
    assert enc(inter, 7) == h("120258")
    obj = (STRUCTURE, [(UINT16, 3), (OCTET_STRING, obis("1-0:1.8.0.255")), (INT8, 2),
                       (UINT16, 0)])
    assert inter.set(2, (ARRAY, [obj] * 21), None) == OTHER_REASON  # KSMW: 20 entries
    assert inter.set(2, (ARRAY, [obj] * 20), None) == SUCCESS
    assert enc(inter, 2)[:2] == h("0114")
    dest = (STRUCTURE, [(ENUM, 0), (OCTET_STRING, b"10.0.0.1:4059"), (ENUM, 0)])
    assert inter.set(3, dest, None) == SUCCESS
    assert enc(inter, 3) == h("0203 1600 090D") + b"10.0.0.1:4059" + h("1600")
    win = (STRUCTURE, [(OCTET_STRING, b"\xff" * 12), (OCTET_STRING, b"\xff" * 11)])
    assert inter.set(4, (ARRAY, [win]), None) == TYPE_UNMATCHED


# ---------------------------------------------------------------- IC 18 image transfer
def test_image_transfer_later_work():
    s = management()
    it = obis("0-0:44.0.0.255")
    want = ["0600000400", "0400", "0600000000", "0300", "1600", "0100"]
    for a, v in zip(range(2, 8), want):
        assert s.req(get(18, it, a)) == h("C401C100") + h(v)
    init = h("0202 0904 31323334 0600001000")
    assert s.req(act(18, it, 1, init)) == h("C701C10300")  # disabled (KSMW 7)
    assert s.req(set_(18, it, 2, h("0600000020"))) == h("C501C1FA")  # below 64
    assert s.req(set_(18, it, 2, h("0600000200"))) == h("C501C100")
    assert s.req(set_(18, it, 5, h("0301"))) == h("C501C100")
    assert s.req(act(18, it, 1, init)) == h("C701C1FA00")  # later work: image transfer
    assert s.req(get(18, it, 2)) == h("C401C100 0600000200")
    assert s.req(act(9, obis("0-0:10.0.107.255"), 1, h("120001"))) == h("C701C1FA00")


# ---------------------------------------------------------------- tariff and schedulers
def test_tariff_objects_and_their_scripts():
    s = management()
    f = s.server.find
    cal = f(obis("0-0:13.0.0.255"))
    assert enc(cal, 2) == h("0904") + b"KSMW"
    assert enc(cal, 5) == h("0101 0202 1101 0103"
                            "0203 0904 00000000 0906 00000A0064FF 120001"
                            "0203 0904 06000000 0906 00000A0064FF 120002"
                            "0203 0904 16000000 0906 00000A0064FF 120001")
    assert enc(f(obis("0-0:15.0.0.255")), 4) == h("0101 0202 0904 00000000 0905 FFFFFF01FF")
    ra = f(obis("0-0:14.0.1.255"))
    assert enc(ra, 4) == h("0902") + b"T1"  # 02:00 local (KSMW 5.5 Table 22)
    # tariff scripts 2 and 1 write "T2", "T1" into both register activations (Table 21)
    assert s.req(act(9, obis("0-0:10.0.100.255"), 1, h("120002"))) == h("C701C10000")
    assert enc(f(obis("0-0:14.0.2.255")), 4) == h("0902") + b"T2"
    assert enc(f(obis("0-0:96.14.0.255")), 2) == h("0902") + b"T2"
    assert s.req(act(9, obis("0-0:10.0.100.255"), 1, h("120001"))) == h("C701C10000")
    assert enc(f(obis("0-0:14.0.1.255")), 4) == h("0902") + b"T1"
    assert enc(f(obis("0-0:14.0.2.255")), 4) == h("0902") + b"T1"
    assert enc(f(obis("0-0:96.14.0.255")), 2) == h("0902") + b"T1"  # currently active
    # billing closure (KSMW 5.6; a second one within the reset lock: other-reason) and load
    # profile opt-in/out (5.7.2; meterapp/billing.py, profiles.py)
    assert s.req(act(9, obis("0-0:10.0.1.255"), 1, h("120001"))) == h("C701C10000")
    assert s.req(act(9, obis("0-0:10.0.1.255"), 1, h("120001"))) == h("C701C1FA00")
    assert s.req(act(9, obis("0-0:10.0.109.255"), 1, h("120002"))) == h("C701C10000")
    assert s.req(act(9, obis("0-0:10.0.109.255"), 1, h("120007"))) == h("C701C1FA00")
    n = len(s.meter.catalog)
    # the disconnect scheduler takes scripts 3 and 4 only (KSMW 5.8)
    sched = obis("0-0:15.0.1.255")
    bad = h("0202 0906 00000A006AFF 120001")
    assert s.req(set_(22, sched, 2, bad)) == h("C501C1FA")
    assert s.req(set_(22, sched, 2, h("0202 0906 00000A006AFF 120004"))) == h("C501C100")
    assert len(s.meter.catalog) == n  # built objects answer for their rows
    assert type(f(sched)).__name__ == "SingleActionSchedule"
    assert enc(f(obis("1-0:1.4.0.255")), 8) == h("0600000384")  # KSMW 5.3: 900 s
