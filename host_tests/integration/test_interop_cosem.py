# SPDX-License-Identifier: MIT
"""Interop tests with the independent dlms-cosem client (u9n/dlms-cosem 25.1.0) against the
running firmware, over the TCP wrapper and over HDLC on the optical pty.

dlms-cosem cannot do general-block-transfer, HLS other than 5 (GMAC), service-specific or
dedicated ciphering, ACCESS, SET/ACTION with blocks or selective access by entry
(docs/client-notes.md); those are covered by the gurux-dlms tests and raw byte tests. What it
can do is checked here with values, not just "no exception".

Clients (KSMW 3.6, meterapp/clients.py test provisioning): the public client (16) on both
ports; the management client (1) only on the TCP wrapper, with HLS-7 or, as here, HLS-5 in a
ciphered context whose every APDU dlms-cosem sends as general-glo-ciphering, authenticated and
encrypted. There is no LLS client any more. On the optical port the privileged clients use
HLS-6, which dlms-cosem does not have, so the management tests run over TCP only.

The meter keeps one receive invocation counter per client key set, across associations and
reboots, and refuses any IC not above it: every ciphered DcMeter starts above the counter the
meter reports through its frame counter object (KSMW Appendix 11, read with the public client
and checked with its HMAC) and the last one used in this session, so tests may run in any
order and after the gurux ones."""
import datetime
import time

import pytest
from dlms_cosem import enumerations
from dlms_cosem.hdlc import frames as hdlc_frames
from dlms_cosem.protocol import xdlms

from dc_client import (HLS_GMAC, AssociationRejected, DataAccessError, DcMeter,
                       DlmsCosemEncodingError, HlsRefused, attribute, decode_datetime,
                       encode_datetime, gcm_open, gcm_seal, hls5, parse_general_glo,
                       parse_object_list, read_frame_counter)

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
AUTHENTICATION_REQUIRED = 14
LDN_VALUE = b"KFM2000100000001"

# management client test provisioning (meterapp/clients.py): GUEK(1) = 10 11 .. 1F,
# GAK(1) = its complement; any client system title (the meter counts per client, not title)
MANAGEMENT = 1
GUEK1 = bytes(range(0x10, 0x20))
GAK1 = bytes(b ^ 0xFF for b in GUEK1)
DC_TITLE = bytes.fromhex("4D4D4D00000000DC")
SERVER_TITLE = bytes.fromhex("4B464D0005F5E101")
AUTH_ENC = 0x30  # SC: authenticated and encrypted, suite 0
GENERAL_GLO = 0xDB


def public(meter, transport, **kw):
    return DcMeter(transport, meter, client_sap=16, **kw)


def management(meter, **kw):
    """The management client as dlms-cosem can be it: TCP wrapper, HLS-5, general-glo."""
    opts = dict(client_sap=MANAGEMENT, authentication=HLS_GMAC, system_title=DC_TITLE,
                encryption_key=GUEK1, authentication_key=GAK1)
    opts.update(kw)
    return DcMeter("tcp", meter, **opts)


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


def test_hls5_aarq_and_general_glo_bytes():
    """dlms-cosem's ciphered AARQ and general-glo-ciphering request, read with our own
    AES-GCM (dlms-notes 3.10, 5.3, 5.4, 5.7); no meter needed."""
    class Unused:
        host, tcp_port, server_logical = "127.0.0.1", None, 1

    m = DcMeter("tcp", Unused(), MANAGEMENT, authentication=HLS_GMAC, system_title=DC_TITLE,
                encryption_key=GUEK1, authentication_key=GAK1, invocation_counter=0x01234567)
    conn = m.client.dlms_connection
    aarq = conn.protect(conn.get_aarq()).to_bytes()  # what send() puts on the wire
    ctos = m.client.dlms_connection.authentication.get_calling_authentication_value()
    assert len(ctos) == 32
    head = bytes.fromhex("A1 09 06 07 60 85 74 05 08 01 03"  # LN referencing with ciphering
                         " A6 0A 04 08") + DC_TITLE + bytes.fromhex(
        "8A 02 07 80 8B 07 60 85 74 05 08 02 05 AC 22 80 20") + ctos  # HLS-5, CtoS
    assert aarq[2:2 + len(head)] == head, aarq.hex(" ")
    ui = aarq[2 + len(head):]
    # user-information: glo-initiateRequest (21), SC 30, IC, InitiateRequest ciphered
    assert ui[:6] == bytes.fromhex("BE 23 04 21 21 1F") and aarq[1] == len(aarq) - 2, ui.hex()
    sc, ic, plain = gcm_open(ui[6:], DC_TITLE, GUEK1, GAK1)
    assert (sc, ic) == (AUTH_ENC, 0x01234567)
    # general-protection proposed (an encryption key is set), general-block-transfer cleared
    assert plain == bytes.fromhex("01 00 00 00 06 5F 1F 04 00 40 52 5F 04 C8"), plain.hex()
    # a GET as dlms-cosem protects it: DB, client title, SC 30, next IC; decipherable by us
    assert conn.client_invocation_counter == 0x01234568
    get = xdlms.GetRequestNormal(cosem_attribute=attribute(1, LDN, 2))
    db = conn.protect(get).to_bytes()
    title, content = parse_general_glo(db)
    assert db[:2] == b"\xdb\x08" and title == DC_TITLE
    assert gcm_open(content, DC_TITLE, GUEK1, GAK1) == (AUTH_ENC, 0x01234568, get.to_bytes())
    assert content == gcm_seal(AUTH_ENC, 0x01234568, DC_TITLE, GUEK1, GAK1, get.to_bytes())


def test_dlms_cosem_long_general_glo_request_caught():
    """dlms-cosem writes the general-glo-ciphering content length in one byte: a content of
    128..255 bytes goes out with a bare length byte >= 0x80 (malformed A-XDR), a longer one
    raises in the encoder. DcMeter refuses to send the malformed one."""
    class Unused:
        host, tcp_port, server_logical = "127.0.0.1", None, 1

    m = DcMeter("tcp", Unused(), MANAGEMENT, authentication=HLS_GMAC, system_title=DC_TITLE,
                encryption_key=GUEK1, authentication_key=GAK1, invocation_counter=5)
    conn = m.client.dlms_connection
    data = b"\x09\x81\x96" + bytes(150)  # octet-string of 150 bytes: content 187 bytes
    db = conn.protect(xdlms.SetRequestNormal(cosem_attribute=attribute(8, CLOCK, 2),
                                             data=data)).to_bytes()
    assert db[:10] == b"\xdb\x08" + DC_TITLE and db[10] == len(db) - 11 >= 0x80, db[:12].hex()
    with pytest.raises(DlmsCosemEncodingError):
        m._open(db, from_client=True)
    with pytest.raises(ValueError):
        conn.protect(xdlms.SetRequestNormal(cosem_attribute=attribute(8, CLOCK, 2),
                                            data=b"\x09\x82\x01\x2c" + bytes(300))).to_bytes()


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
    general-protection, general-block-transfer, attribute0-get, block get/set/action,
    multiple-references, access, get, set, selective-access, action.
    dlms-cosem proposes (general-block-transfer cleared): priority-mgmt, block-get,
    multiple-references, access, get, set, selective-access, event-notification, action.
    Intersection: 00 12 5D (dlms-cosem has no ACCESS service itself)."""
    with public(meter, transport) as m:
        m.associate()
        c = m.negotiated_conformance
        got = {k for k, v in vars(c).items() if v is True}
        assert got == {"block_transfer_with_get_or_read", "multiple_references", "access",
                       "get", "set", "selective_access", "action"}, m.trace[1][1].hex(" ")
        m.release()


def apdus(m, direction, since=0):
    return [a for d, a in m.trace[since:] if d == direction]


def test_management_hls5_general_glo(meter):
    """TCP only (dlms-cosem has no HLS-6 for the optical-port clients): AARQ with
    glo-initiateRequest -> AARE with responding-AP-title, HLS-5 StoC and glo-initiateResponse;
    pass 3/4 and every service in general-glo-ciphering (DB), SC 30 both ways."""
    with management(meter) as m:
        aare = m.associate(authenticate=False)
        assert aare.ciphered and aare.authentication == HLS_GMAC, m.last_exchange()
        assert aare.result_source_diagnostics == \
            enumerations.AcseServiceUserDiagnostics.AUTHENTICATION_REQUIRED
        assert aare.system_title == SERVER_TITLE == m.server_system_title
        assert 8 <= len(aare.authentication_value) <= 64  # StoC
        assert m.trace[-1][1][0] == 0x61 and m.initiate_response_plain[:1] == b"\x08"
        c = m.negotiated_conformance
        assert c.general_protection and c.get and c.set and c.action, c
        assert not c.general_block_transfer
        assert m.server_max_pdu == 1224
        f_ctos = m.hls_authenticate()
        # pass 3 and 4 travel in DB: ACTION 0-0:40.0.0.255 method 1 with f(StoC)
        req, resp = m.trace[-2][1], m.trace[-1][1]
        assert (req[0], resp[0]) == (GENERAL_GLO, GENERAL_GLO), m.last_exchange()
        plain_req, plain_resp = m.plain_trace[-2][1], m.plain_trace[-1][1]
        assert plain_req[:13] == bytes.fromhex("C3 01 C0 00 0F 00 00 28 00 00 FF 01 01")
        assert plain_req[13:15] == b"\x09\x11" and plain_req[15:] == m.f_stoc
        assert plain_resp == bytes.fromhex("C7 01 C0 00 01 00 09 11") + f_ctos
        # f(StoC) took one client IC and its DB the next (KSMW 3.5.4)
        assert int.from_bytes(m.f_stoc[1:5], "big") + 1 == m.client_ics[-1]

        mark = len(m.trace)
        assert m.get(1, LDN, 2) == LDN_VALUE
        req, resp = apdus(m, ">>", mark)[0], apdus(m, "<<", mark)[0]
        assert req[0] == resp[0] == GENERAL_GLO
        assert parse_general_glo(resp)[0] == SERVER_TITLE
        assert parse_general_glo(resp)[1][0] == AUTH_ENC
        assert LDN_VALUE not in resp  # encrypted
        assert m.plain_trace[-1][1][:2] == b"\xc4\x01"
        assert m.get(8, CLOCK, 3) == -60
        # a long answer: the management object_list, in DB APDUs with 2-byte lengths
        mark = len(m.trace)
        raw = m.get_raw(15, ASSOCIATION, 2)
        longest = max(apdus(m, "<<", mark), key=len)
        assert longest[0] == GENERAL_GLO and longest[10] == 0x82, longest[:16].hex(" ")
        listed = {(c, v, ln) for c, v, ln, _ in parse_object_list(raw)}
        assert (64, 1, "0-0:43.0.1.255") in listed and (8, 0, CLOCK) in listed, sorted(listed)
        assert m.release() == 0
        assert m.trace[-1][1][0] == 0x63
    assert not m.iv_reuse, m.iv_reuse
    assert len(m.server_ics) >= 5 and m.server_ics == sorted(set(m.server_ics))


def test_management_invocation_counters_continue(meter):
    """The meter's receive counter for the management key set is the last client IC it
    accepted (frame counter object, KSMW Appendix 11); a second association continues above
    it and the server's counters keep increasing across associations (no IV reuse)."""
    with management(meter) as m:
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE
        m.release()
    assert read_frame_counter(meter, MANAGEMENT, GAK1) == m.client_ics[-1]
    with management(meter, invocation_counter=m.client_ics[-1] + 1) as m2:
        m2.associate()
        assert m2.get(1, LDN, 2) == LDN_VALUE
        m2.release()
    assert m2.client_ics[0] == m.client_ics[-1] + 1
    assert m2.server_ics[0] > m.server_ics[-1], (m.server_ics, m2.server_ics)
    assert not m.iv_reuse and not m2.iv_reuse
    assert read_frame_counter(meter, MANAGEMENT, GAK1) == m2.client_ics[-1]


def test_management_replay_refused(meter):
    with management(meter) as m:
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE
        replay = m.trace[-2][1]
        assert replay[0] == GENERAL_GLO
        answer = m.raw(replay)  # same client IC, byte for byte
        assert LDN_VALUE not in m.plain_trace[-1][1], m.last_exchange()
        # exception-response: service-not-allowed, invocation-counter-error with the next IC
        # the meter would accept (dlms-notes 4.9, 5.11)
        assert answer == bytes.fromhex("D8 01 06") + (m.client_ics[-1] + 1).to_bytes(4, "big"), \
            m.last_exchange()
        # the association goes on with a fresh counter
        assert m.get(1, LDN, 2) == LDN_VALUE
        assert m.release() == 0


def test_management_unciphered_request_refused(meter):
    with management(meter) as m:
        m.associate()
        plain_get = bytes.fromhex("C0 01 C1 00 01 00 00 2A 00 00 FF 02 00")
        answer = m.raw(plain_get)
        assert LDN_VALUE not in answer and answer[:1] == b"\xd8", m.last_exchange()
        assert m.get(1, LDN, 2) == LDN_VALUE
        assert m.release() == 0


def test_management_wrong_global_key_rejected(meter):
    with management(meter, encryption_key=bytes(16)) as m:
        with pytest.raises(AssociationRejected) as e:
            m.associate()
        assert e.value.result == 1, m.last_exchange()
    with management(meter) as m:  # the right key still works afterwards
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE
        m.release()


def test_management_wrong_f_stoc_refused(meter):
    with management(meter) as m:
        m.associate(authenticate=False)
        ic = m.client.dlms_connection.client_invocation_counter
        bad = hls5(GUEK1, GAK1, DC_TITLE, ic, bytes(len(m.stoc)))  # GMAC of another StoC
        with pytest.raises(HlsRefused) as e:
            m.hls_authenticate(f_stoc=bad)
        assert e.value.result not in (None, SUCCESS), m.last_exchange()
        # not associated: a GET (well ciphered, fresh IC) gets no data
        conn = m.client.dlms_connection
        get = xdlms.GetRequestNormal(cosem_attribute=attribute(1, LDN, 2))
        m.raw(conn.protect(get).to_bytes())
        assert LDN_VALUE not in m.plain_trace[-1][1], m.last_exchange()


def test_lls_management_refused(meter, transport):
    """KSMW 3.6: the management client authenticates with HLS-7 (or HLS-5), never LLS."""
    with DcMeter(transport, meter, client_sap=MANAGEMENT, password=b"12345678") as m:
        with pytest.raises(AssociationRejected) as e:
            m.associate()
        assert e.value.result == 1, m.last_exchange()


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
        assert m.get(1, LDN, 2) == b"KFM2000100000001"
        assert m.get_raw(1, LDN, 2) == b"\x09\x10KFM2000100000001"
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
    assert r[0] == b"KFM2000100000001"
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
def test_set_clock_as_management(meter):
    """Management over TCP only: HLS-5 + general-glo (dlms-cosem has no HLS-6 for the
    optical-port clients)."""
    fixed = datetime.datetime(2031, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
    with management(meter) as m:
        m.associate()
        deviation = m.get(8, CLOCK, 3)
        try:
            assert set_clock_utc(m, fixed, deviation) == SUCCESS, m.last_exchange()
            assert m.trace[-2][1][0] == m.trace[-1][1][0] == GENERAL_GLO, m.last_exchange()
            assert m.plain_trace[-2][1][:2] == b"\xc1\x01", m.plain_trace[-2][1].hex(" ")
            assert m.plain_trace[-1][1] == bytes.fromhex("C5 01 C1 00"), m.last_exchange()
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


def test_set_with_wrong_type_refused_and_session_continues(meter):
    with management(meter) as m:  # TCP only, see test_set_clock_as_management
        m.associate()
        assert m.set(8, CLOCK, 2, b"\x12\x00\x01") != SUCCESS  # long-unsigned, not date-time
        assert m.trace[-1][1][0] == GENERAL_GLO, m.last_exchange()
        got, raw = clock_utc(m)
        assert abs(got - utc_now()) <= datetime.timedelta(seconds=10), raw.hex()
        m.release()


# ------------------------------------------------------------------ ACTION
SHIFT_TIME = 6
LONG_60, LONG_MINUS_60 = b"\x10\x00\x3c", b"\x10\xff\xc4"


def test_clock_shift_time_as_management(meter):
    with management(meter) as m:  # TCP only, see test_set_clock_as_management
        m.associate()
        t0, _ = clock_utc(m)
        h0 = time.monotonic()
        shifted = False
        try:
            assert m.action(8, CLOCK, SHIFT_TIME, LONG_60) == (SUCCESS, None), m.last_exchange()
            shifted = True
            assert m.trace[-2][1][0] == m.trace[-1][1][0] == GENERAL_GLO, m.last_exchange()
            assert m.plain_trace[-2][1].endswith(b"\x06\x01" + LONG_60)  # method 6, +60
            answer = m.plain_trace[-1][1]
            assert answer[:2] == b"\xc7\x01" and answer[3:] == b"\x00\x00", answer.hex(" ")
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
