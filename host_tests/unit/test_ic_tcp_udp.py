# SPDX-License-Identifier: MIT
"""TCP-UDP setup (IC 41 v0, Blue Book IC 41; IDIS P3 7.2.1.1): attributes and defaults,
SET rules (only inactivity_time_out writable; wrong type type-unmatched, out of range
other-reason), persistence of a written time-out, its place in the meter's object list and
who may read or write it."""
from unitlib import FakeBoard, Session, attr_bytes, h, management_session, rmtree

from dlms.apdu.axdr import UINT8, UINT16, UINT32
from dlms.cosem.base import OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, obis
from dlms.cosem.ic041_tcp_udp_setup import TcpUdpSetup
from meterapp.nvstore import RecordStore

LN = obis("0-0:25.0.0.255")
DIR = "build/test-ic041"


def test_attributes_and_defaults():
    o = TcpUdpSetup(LN)
    assert (o.CLASS_ID, o.VERSION, o.ATTRS, o.WRITABLE) == (41, 0, (1, 2, 3, 4, 5, 6), (6,))
    assert attr_bytes(o, 1) == h("0906 0000190000FF")
    assert attr_bytes(o, 2) == h("12 0FDB")  # 4059
    assert attr_bytes(o, 3) == h("0906 0000190100FF")  # IPv4 setup 0-0:25.1.0.255
    assert attr_bytes(o, 4) == h("12 0240")  # MSS 576
    assert attr_bytes(o, 5) == h("11 04")  # 4 connections
    assert attr_bytes(o, 6) == h("12 00B4")  # 180 s (IDIS)
    o.port, o.nb_of_sim_conn = 14059, 2  # what the application sets from its TCP port
    assert attr_bytes(o, 2) == h("12 36EB") and attr_bytes(o, 5) == h("11 02")
    assert TcpUdpSetup.port == 4059  # the class default stays


def test_set_rules():
    o = TcpUdpSetup(LN)
    assert o.set(6, (UINT16, 5), None) == SUCCESS and o.inactivity_time_out == 5
    assert o.set(6, (UINT16, 0), None) == SUCCESS and attr_bytes(o, 6) == h("12 0000")  # none
    assert o.set(6, (UINT8, 5), None) == TYPE_UNMATCHED
    assert o.set(6, (UINT32, 5), None) == TYPE_UNMATCHED
    assert o.set(6, None, None) == TYPE_UNMATCHED
    assert o.inactivity_time_out == 0
    for attr in (1, 2, 3, 4, 5, 7):
        assert o.set(attr, (UINT16, 600), None) == READ_WRITE_DENIED, attr

    class Writable(TcpUdpSetup):  # the ranges of the other numeric attributes
        WRITABLE = (2, 4, 5, 6)

    w = Writable(LN)
    assert w.set(4, (UINT16, 39), None) == OTHER_REASON and w.mss == 576
    assert w.set(4, (UINT16, 40), None) == SUCCESS and w.mss == 40
    assert w.set(2, (UINT16, 0), None) == OTHER_REASON
    assert w.set(5, (UINT8, 0), None) == OTHER_REASON
    assert w.set(5, (UINT16, 3), None) == TYPE_UNMATCHED


def test_written_time_out_persists():
    rmtree(DIR)
    st = RecordStore(DIR)
    o = TcpUdpSetup(LN, st)
    assert o.inactivity_time_out == 180  # nothing stored yet
    assert o.set(6, (UINT16, 42), None) == SUCCESS
    assert TcpUdpSetup(LN, RecordStore(DIR)).inactivity_time_out == 42
    assert o.set(6, (UINT8, 7), None) == TYPE_UNMATCHED  # a refused write stores nothing
    assert TcpUdpSetup(LN, RecordStore(DIR)).inactivity_time_out == 42
    rmtree(DIR)


def get(ln, attr):
    return h("C001C10029") + ln + bytes((attr, 0))


def set_(ln, attr, data):
    return h("C101C10029") + ln + bytes((attr, 0)) + data


def test_in_the_meter_object_list_with_access_rights():
    rmtree(DIR)
    b = FakeBoard()
    b.store_path = DIR
    s = management_session(b)
    o = s.server.find(LN)
    assert o is s.meter.tcp_setup and (o.CLASS_ID, o.VERSION) == (41, 0)
    assert s.req(get(LN, 6)) == h("C401C100 1200B4")
    assert s.req(set_(LN, 6, h("1200B4"))) == h("C501C100")
    assert s.req(set_(LN, 6, h("1105"))) == h("C501C10C")  # type-unmatched
    assert s.req(set_(LN, 6, h("0600000005"))) == h("C501C10C")
    assert s.req(set_(LN, 2, h("12 1F90"))) == h("C501C103")  # read-only: read-write-denied
    assert s.req(set_(LN, 6, h("120005"))) == h("C501C100")
    assert s.req(get(LN, 6)) == h("C401C100 120005")
    # the public client reads it as it reads the HDLC setup (KSMW 3.6.1), never writes it
    pub = Session(sap=16, share=s)
    pub.a.client = s.meter.clients[16]
    pub.a.status = 2
    pub.a.conformance = s.server.conformance
    pub.a.client_max_pdu = 1224
    assert pub.req(get(LN, 6)) == h("C401C100 120005")
    assert pub.req(get(LN, 2)) == h("C401C100 120FDB")
    assert pub.req(set_(LN, 6, h("120009"))) == h("C501C103")
    s.release()
    # a restarted meter keeps the written time-out (power-fail-safe store)
    b = FakeBoard()
    b.store_path = DIR
    s = management_session(b)
    assert s.req(get(LN, 6)) == h("C401C100 120005")
    s.release()
    rmtree(DIR)
