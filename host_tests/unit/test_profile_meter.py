# SPDX-License-Identifier: MIT
"""The meter's profiles and event logs (meterapp/profiles.py) through its server and hooks."""
import gc

import unitlib
from unitlib import FakeBoard, Session, h, management_session, rmtree

from dlms.apdu import axdr
from dlms.apdu.axdr import Writer, decode
from dlms.cosem.base import obis

T0 = 205027200  # 2026-07-01 00:00:00 UTC in meter seconds (CEST: local 02:00, dev -120)
_W = Writer(2048)


def read(o, attr=2):
    _W.pos = 0
    r = o.get(attr, _W, None)
    if not isinstance(r, int):
        for _ in r:
            pass
    return decode(bytes(_W.mv[:_W.pos]))


def management():
    return management_session(FakeBoard(T0 * 1000))


def get_apdu(ln, attr=2, sel=b""):
    return bytes((0xC0, 1, 0xC1, 0, 7)) + ln + bytes((attr, 1 if sel else 0)) + sel


def test_meter_object_list_has_every_profile_and_log():
    s = management()
    lns = [o.ln for o in s.meter.objects]
    for ln in ("1-0:99.1.0.255", "1-0:99.2.0.255", "0-0:98.1.0.255", "1-0:99.14.0.255",
               "0-0:21.0.5.255", "0-0:99.98.0.255", "0-0:99.98.1.255", "0-0:99.98.2.255",
               "0-0:99.98.3.255", "0-0:99.98.4.255", "0-0:99.98.5.255", "0-0:99.98.6.255",
               "0-0:99.98.9.255", "0-0:99.98.10.255", "0-0:99.98.11.255",
               "0-0:99.98.98.255", "1-0:99.97.0.255", "0-0:21.0.1.255", "0-0:21.0.2.255",
               "0-0:21.0.3.255", "0-1:24.3.0.255", "0-4:24.5.0.255", "0-0:96.10.1.255",
               "0-0:96.11.0.255", "0-0:96.11.9.255"):
        assert lns.count(obis(ln)) == 1, ln
    pg = s.meter.profiles.get("0-0:21.0.5.255")
    assert pg.CLASS_ID == 7 and pg.VERSION == 0  # KSMW 5.9.1: version 0
    assert s.meter.profiles.lp1.VERSION == 1
    assert s.server.conformance & 0x000004  # selective access offered (KSMW 3.3.1)


def test_meter_lp1_tick_and_selective_get_through_the_server():
    s = management()
    m = s.meter
    p = m.profiles
    m.timeline.advance(T0 + 100)
    for k in range(1, 6):  # quarter hours: one capture each, stamped with the boundary
        s.board.t = (T0 + 900 * k + 1) * 1000
        m.timeline.advance()
        m.timeline.advance()
    assert p.lp1.entries_in_use() == 5
    rows = read(p.lp1)[1]
    clock = m.clock
    assert [r[1][0][1] for r in rows] == [
        bytes(clock.datetime(bytearray(12), T0 + 900 * k)) for k in range(1, 6)]
    assert rows[0][1][1] == (axdr.UINT8, 0x08)  # status: DST (KSMW 5.7.3)
    r = s.req(get_apdu(obis("1-0:99.1.0.255"), 2, h("02 0204 0600000002 0600000003 12 0002"
                                                       "12 0003")))
    assert r[:4] == h("C401C100") and decode(r[4:]) == (axdr.ARRAY, [
        (axdr.STRUCTURE, rows[i][1][1:3]) for i in (1, 2)])
    lo = bytes(clock.datetime(bytearray(12), T0 + 1800))
    hi = bytes(clock.datetime(bytearray(12), T0 + 2700))
    r = s.req(get_apdu(obis("1-0:99.1.0.255"), 2, h("01 0204 0204 120008 0906 0000010000FF"
                                                       "0F02 120000 090C") + lo + h("090C") +
                       hi + h("0100")))
    assert decode(r[4:]) == (axdr.ARRAY, rows[1:3])
    # only the buffer takes a selection: scope-of-access-violated
    assert s.req(get_apdu(obis("1-0:99.1.0.255"), 3, h("02 0204 0600000001 0600000001 12"
                                                       "0001 120000")))[-2:] == h("010D")
    # midnight (local) captures LP2
    s.board.t = (T0 + 86400 - 7200 + 2) * 1000  # 00:00:02 CEST
    m.timeline.advance()
    assert p.lp2.entries_in_use() == 1
    assert read(p.lp2)[1][0][1][0][1][5:8] == b"\x00\x00\x00"


def test_security_events_reach_the_security_and_session_logs():
    s = management()
    m = s.meter
    s.a.client_title = h("4D4D4D0000000001")
    m.guard.association(s.a, True, 0)  # communication started on the LAN (event 26)
    m.guard.security(s.a, 50)  # replay
    m.guard.record(48)  # no association known: SAPs and title 0xFF
    sec = read(m.profiles.get("0-0:99.98.9.255"))[1]
    assert [r[1][1] for r in sec] == [(axdr.UINT8, 26), (axdr.UINT8, 50), (axdr.UINT8, 48)]
    partners = (axdr.STRUCTURE, [(axdr.INT8, 1), (axdr.UINT16, 1)])
    assert sec[1][1][2] == partners and sec[1][1][3] == (axdr.OCTET_STRING, s.a.client_title)
    assert sec[2][1][2] == (axdr.STRUCTURE, [(axdr.INT8, -1), (axdr.UINT16, 0xFF)])
    assert sec[2][1][3] == (axdr.OCTET_STRING, b"\xff" * 8)
    ses = read(m.profiles.get("0-0:99.98.6.255"))[1]
    assert len(ses) == 1 and ses[0][1][1:] == [(axdr.UINT8, 26), partners,
                                                (axdr.OCTET_STRING, s.a.client_title)]
    assert read(m.profiles.get("0-0:96.11.6.255"), 2) == (axdr.UINT8, 26)


def _first_boot(d):
    board = FakeBoard(T0 * 1000)
    board.store_path = d
    p = Session(board=board).meter.profiles
    assert p.prefill_lp1(T0 - 30 * 900, 30) == 30
    p.event("0-0:99.98.0.255", "0-0:96.11.0.255", 47)


def test_meter_profiles_persist_in_the_board_store():
    d = "build/test-profile-meter"
    rmtree(d)
    _first_boot(d)
    # power cycle: the first meter is freed here, at this stack depth (MicroPython's GC scans
    # the stack conservatively: stale slots of deeper frames would keep it alive)
    unitlib._LAST.release()
    gc.collect()
    board2 = FakeBoard(T0 * 1000)
    board2.store_path = d
    s2 = Session(board=board2)
    p2 = s2.meter.profiles
    rows = read(p2.lp1)[1]
    assert len(rows) == 30 and rows[-1][1][2] == (axdr.UINT32, 1000000 + 25 * 29)
    assert read(p2.get("0-0:99.98.0.255"))[1][0][1][1] == (axdr.UINT8, 47)
