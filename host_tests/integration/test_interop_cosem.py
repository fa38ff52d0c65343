# SPDX-License-Identifier: MIT
"""Interop tests with the independent dlms-cosem client (u9n/dlms-cosem 25.1.0) against the
running firmware, over the TCP wrapper and over HDLC on the optical pty.

dlms-cosem cannot do general-block-transfer, HLS, ACCESS, SET/ACTION with blocks or selective
access by entry (docs/client-quirks.md); those are covered by the gurux-dlms tests and raw
byte tests. What it can do is checked here with values, not just "no exception"."""
import datetime
import time

import pytest
from dlms_cosem.hdlc import frames as hdlc_frames

from dc_client import (AssociationRejected, DataAccessError, DcMeter, decode_datetime,
                       encode_datetime, parse_object_list)

CLOCK = "0-0:1.0.0.255"
LDN = "0-0:42.0.0.255"
ENERGY = "1-0:1.8.0.255"
REACTIVE = "1-0:3.8.0.255"
DEMAND = "1-0:1.6.0.255"
ASSOCIATION = "0-0:40.0.0.255"
SAP_ASSIGNMENT = "0-0:41.0.0.255"
HDLC_SETUP = "0-0:22.0.0.255"
UNKNOWN = "0-0:99.99.99.255"

SUCCESS, READ_WRITE_DENIED, OBJECT_UNDEFINED = 0, 3, 4


def public(meter, transport, **kw):
    return DcMeter(transport, meter, client_sap=16, **kw)


def management(meter, transport, **kw):
    return DcMeter(transport, meter, client_sap=1, password=meter.lls_password, **kw)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def clock_utc(m):
    """Read the clock (attr 2) -> (aware UTC datetime, raw 12 bytes)."""
    raw = m.get(8, CLOCK, 2)
    assert isinstance(raw, bytes) and len(raw) == 12, raw
    dt, _status = decode_datetime(raw)
    assert dt.tzinfo is not None, "clock deviation unspecified: %s" % raw.hex()
    return dt.astimezone(datetime.timezone.utc), raw


def set_clock_utc(m, when_utc, deviation):
    """SET clock attr 2 to the UTC instant `when_utc`, written as local time for `deviation`
    (Blue Book: UTC = local + deviation, so local = UTC - deviation)."""
    local = (when_utc - datetime.timedelta(minutes=deviation)).replace(tzinfo=None)
    return m.set(8, CLOCK, 2, encode_datetime(local, deviation))


# ------------------------------------------------------------------ the client's own bytes
def _strip_calling_ap_title(aarq):
    """dlms-cosem always sends calling-AP-title (A6 0A 04 08 + 8 bytes), even without
    ciphering; remove it (and fix the AARQ length) to compare with dlms-notes 3.10."""
    i = aarq.index(b"\xa6\x0a\x04\x08")
    body = aarq[2:i] + aarq[i + 12:]
    return bytes((0x60, len(body))) + body


def test_aarq_bytes_follow_reference_layout():
    class Unused:
        host, tcp_port, server_logical = "127.0.0.1", 1, 1

    # proposed conformance without general-block-transfer: 00 52 5F; client max PDU 1224
    initiate = bytes.fromhex("BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 52 5F 04 C8")
    pub = _strip_calling_ap_title(DcMeter("tcp", Unused(), 16).aarq_bytes())
    assert pub == bytes.fromhex("60 1D A1 09 06 07 60 85 74 05 08 01 01") + initiate
    lls = _strip_calling_ap_title(DcMeter("tcp", Unused(), 1, password=b"12345678").aarq_bytes())
    assert lls == bytes.fromhex(
        "60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01"
        " AC 0A 80 08 31 32 33 34 35 36 37 38") + initiate


# ------------------------------------------------------------------ association
def test_public_client_associates(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        c = m.negotiated_conformance
        assert m.server_max_pdu == 1224
        assert c.get and c.set and c.action and c.block_transfer_with_get_or_read
        assert c.multiple_references
        assert not c.general_block_transfer, "not proposed, must not be negotiated"
        assert m.get(1, LDN, 2) == meter.ldn
        assert m.release() == 0


def test_negotiated_conformance_is_proposal_and_server_offer(meter, transport):
    """Server offer today (docs/decisions.md, KSMW 3.3.1 services as they are implemented):
    attribute0-get, block get/set/action, multiple-references, get, set, action.
    dlms-cosem proposes (general-block-transfer cleared): priority-mgmt, block-get,
    multiple-references, access, get, set, selective-access, event-notification, action.
    Intersection: 00 12 19."""
    with public(meter, transport) as m:
        m.associate()
        c = m.negotiated_conformance
        got = {k for k, v in vars(c).items() if v is True}
        assert got == {"block_transfer_with_get_or_read", "multiple_references",
                       "get", "set", "action"}, m.trace[1][1].hex(" ")
        m.release()


def test_management_client_lls_associates(meter, transport):
    with management(meter, transport) as m:
        m.associate()
        assert m.get(1, LDN, 2) == meter.ldn
        assert m.release() == 0


def test_wrong_lls_password_rejected(meter, transport):
    with DcMeter(transport, meter, client_sap=1, password=b"87654321") as m:
        with pytest.raises(AssociationRejected) as e:
            m.associate()
        assert (e.value.result, e.value.source, e.value.diagnostic) == (1, "user", 13), \
            m.last_exchange()
    # the meter still serves the right secret afterwards
    with management(meter, transport) as m:
        m.associate()
        m.release()


def test_hdlc_ua_parameters_without_snrm_information(meter):
    """dlms-cosem sends SNRM without information field: the UA states 128 bytes / window 1."""
    with public(meter, "hdlc") as m:
        assert isinstance(m.ua, hdlc_frames.UnNumberedAcknowledgmentFrame)
        assert bytes(m.ua.payload) == bytes.fromhex(
            "81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01")


# ------------------------------------------------------------------ GET
def test_logical_device_name(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        assert m.get(1, LDN, 2) == b"KFM1000100000001"
        assert m.get_raw(1, LDN, 2) == b"\x09\x10KFM1000100000001"
        assert m.get(1, LDN, 1) == bytes((0, 0, 42, 0, 0, 255))
        m.release()


def test_clock_reads_host_time(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        assert m.get(8, CLOCK, 3) == -60
        before = utc_now()
        when, raw = clock_utc(m)
        after = utc_now()
        assert m.get_raw(8, CLOCK, 2)[:2] == b"\x09\x0c"
        assert before - datetime.timedelta(seconds=10) <= when <= after + datetime.timedelta(
            seconds=10), (raw.hex(), before)
        deviation = int.from_bytes(raw[9:11], "big", signed=True)
        local = when.replace(tzinfo=None) - datetime.timedelta(minutes=deviation)
        if raw[4] != 0xFF:
            assert raw[4] == local.isoweekday(), raw.hex()
        m.release()


def test_energy_registers(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        e1 = m.get(3, ENERGY, 2)
        time.sleep(0.5)
        e2 = m.get(3, ENERGY, 2)
        assert isinstance(e1, int) and e1 > 0
        assert e2 >= e1
        assert m.get(3, ENERGY, 3) == [0, 30]  # scaler 0, Wh
        assert m.get(3, REACTIVE, 3) == [0, 32]  # scaler 0, varh
        assert isinstance(m.get(3, REACTIVE, 2), int)
        m.release()


EXPECTED_OBJECTS = {
    (1, 0, LDN), (8, 0, CLOCK), (3, 0, ENERGY), (15, 3, ASSOCIATION),
    (17, 0, SAP_ASSIGNMENT), (23, 1, HDLC_SETUP), (4, 0, DEMAND),
}


def test_object_list_by_get_block_transfer(meter, transport):
    """A client max-receive-pdu-size of 256 forces the object_list into GET data blocks
    (dlms-cosem cannot do general-block-transfer, so this is the GET block service)."""
    with public(meter, transport, max_pdu=256) as m:
        m.associate()
        raw = m.get_raw(15, ASSOCIATION, 2)
        blocks = m.last_get_blocks
        m.release()
    assert len(raw) > 256
    assert len(blocks) >= 2 and blocks == list(range(1, len(blocks) + 1)), blocks
    objects = parse_object_list(raw)
    listed = {(c, v, ln) for c, v, ln, _rights in objects}
    assert EXPECTED_OBJECTS <= listed, sorted(EXPECTED_OBJECTS - listed)
    assert len(listed) == len(objects), "duplicate entries"
    for c, v, ln, rights in objects:
        attrs, methods = rights
        assert all(isinstance(a, list) and len(a) == 3 for a in attrs), (ln, rights)
        assert all(isinstance(x, list) and len(x) == 2 for x in methods), (ln, rights)
    # the same list in one piece when the PDU allows it
    with public(meter, transport) as m:
        m.associate()
        assert m.get_raw(15, ASSOCIATION, 2) == raw
        m.release()


def test_get_with_list_of_16(meter, transport):
    refs = [
        (1, LDN, 2), (1, LDN, 1), (8, CLOCK, 1), (8, CLOCK, 2), (8, CLOCK, 3),
        (3, ENERGY, 1), (3, ENERGY, 2), (1, UNKNOWN, 2), (3, ENERGY, 3), (3, REACTIVE, 2),
        (3, REACTIVE, 3), (4, DEMAND, 1), (4, DEMAND, 3), (15, ASSOCIATION, 1),
        (23, HDLC_SETUP, 1), (23, HDLC_SETUP, 9),
    ]
    assert len(refs) == 16
    with public(meter, transport) as m:
        m.associate()
        r = m.get_with_list(refs)
        request = m.trace[-2][1]
        single_energy = m.get(3, ENERGY, 2)
        m.release()
    # 164-byte request: with the LLC header it needs two I-frames of 128 bytes on HDLC
    assert request[:2] == b"\xc0\x03" and len(request) + 3 > 128
    assert r[0] == b"KFM1000100000001"
    assert r[1] == bytes((0, 0, 42, 0, 0, 255))
    assert r[2] == bytes((0, 0, 1, 0, 0, 255))
    assert isinstance(r[3], bytes) and len(r[3]) == 12
    assert r[4] == -60
    assert r[5] == bytes((1, 0, 1, 8, 0, 255))
    assert isinstance(r[6], int) and 0 < r[6] <= single_energy
    assert r[7] == DataAccessError(OBJECT_UNDEFINED)
    assert r[8] == [0, 30]
    assert isinstance(r[9], int)
    assert r[10] == [0, 32]
    assert r[11] == bytes((1, 0, 1, 6, 0, 255))
    assert isinstance(r[12], list) and len(r[12]) == 2
    assert r[13] == bytes((0, 0, 40, 0, 0, 255))
    assert r[14] == bytes((0, 0, 22, 0, 0, 255))
    assert r[15] == meter.server_physical


def test_get_unknown_object(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        with pytest.raises(DataAccessError) as e:
            m.get(1, UNKNOWN, 2)
        assert e.value.result == OBJECT_UNDEFINED, m.last_exchange()
        assert m.get(1, LDN, 2) == meter.ldn
        m.release()


def test_get_unknown_attribute_keeps_session(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        with pytest.raises(DataAccessError) as e:
            m.get(8, CLOCK, 99)
        assert e.value.result != SUCCESS
        assert m.get(8, CLOCK, 3) == -60
        assert m.get(1, LDN, 2) == meter.ldn
        m.release()


# ------------------------------------------------------------------ SET
def test_set_clock_as_management(meter, transport):
    fixed = datetime.datetime(2031, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
    with management(meter, transport) as m:
        m.associate()
        deviation = m.get(8, CLOCK, 3)
        try:
            assert set_clock_utc(m, fixed, deviation) == SUCCESS, m.last_exchange()
            t0 = time.monotonic()
            got, raw = clock_utc(m)
            elapsed = time.monotonic() - t0
            assert datetime.timedelta(0) <= got - fixed <= datetime.timedelta(
                seconds=3 + elapsed), raw.hex()
            local = fixed.replace(tzinfo=None) - datetime.timedelta(minutes=deviation)
            assert raw[:4] == bytes((local.year >> 8, local.year & 0xFF, local.month,
                                     local.day)), raw.hex()
        finally:
            assert set_clock_utc(m, utc_now(), deviation) == SUCCESS
        got, raw = clock_utc(m)
        assert abs(got - utc_now()) <= datetime.timedelta(seconds=3), raw.hex()
        m.release()


def test_set_refused_for_public(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        fixed = datetime.datetime(2031, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
        assert set_clock_utc(m, fixed, -60) == READ_WRITE_DENIED, m.last_exchange()
        got, raw = clock_utc(m)
        assert abs(got - utc_now()) <= datetime.timedelta(seconds=10), raw.hex()
        m.release()


def test_set_with_wrong_type_refused_and_session_continues(meter, transport):
    with management(meter, transport) as m:
        m.associate()
        assert m.set(8, CLOCK, 2, b"\x12\x00\x01") != SUCCESS  # long-unsigned, not date-time
        got, raw = clock_utc(m)
        assert abs(got - utc_now()) <= datetime.timedelta(seconds=10), raw.hex()
        m.release()


# ------------------------------------------------------------------ ACTION
SHIFT_TIME = 6
LONG_60, LONG_MINUS_60 = b"\x10\x00\x3c", b"\x10\xff\xc4"


def test_clock_shift_time_as_management(meter, transport):
    with management(meter, transport) as m:
        m.associate()
        t0, _ = clock_utc(m)
        h0 = time.monotonic()
        shifted = False
        try:
            assert m.action(8, CLOCK, SHIFT_TIME, LONG_60) == (SUCCESS, None), m.last_exchange()
            shifted = True
            t1, raw = clock_utc(m)
            elapsed = time.monotonic() - h0
            delta = (t1 - t0).total_seconds()
            assert 60 - 1 <= delta <= 60 + elapsed + 1, (delta, raw.hex())
        finally:
            if shifted:
                assert m.action(8, CLOCK, SHIFT_TIME, LONG_MINUS_60) == (SUCCESS, None)
        got, raw = clock_utc(m)
        assert abs(got - utc_now()) <= datetime.timedelta(seconds=10), raw.hex()
        m.release()


def test_action_refused_for_public(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        result, _ = m.action(8, CLOCK, SHIFT_TIME, LONG_60)
        assert result == READ_WRITE_DENIED, m.last_exchange()
        got, raw = clock_utc(m)
        assert abs(got - utc_now()) <= datetime.timedelta(seconds=10), raw.hex()
        m.release()


# ------------------------------------------------------------------ release / disconnect
def test_release_then_reassociate_on_same_link(meter, transport):
    with public(meter, transport) as m:
        m.associate()
        assert m.release() == 0, m.last_exchange()
        assert m.trace[-1][1][:1] == b"\x63"  # RLRE
        m.associate()  # same TCP connection / same HDLC link
        assert m.get(1, LDN, 2) == meter.ldn
        assert m.release() == 0


def test_hdlc_disconnect_answers_ua(meter):
    m = public(meter, "hdlc").connect()
    m.associate()
    m.release()
    answer = m.close()
    assert isinstance(answer, hdlc_frames.UnNumberedAcknowledgmentFrame), answer
    # a new link comes up at once
    with public(meter, "hdlc") as m2:
        m2.associate()
        assert m2.get(1, LDN, 2) == meter.ldn
        m2.release()
