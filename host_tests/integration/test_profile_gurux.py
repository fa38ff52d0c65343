# SPDX-License-Identifier: MIT
"""Load profile 1 (1-0:99.1.0.255, 5760 entries, KSMW 5.7) read with gurux-dlms: the whole
buffer in GET blocks, by range (IDIS 7.7.1: boundaries included; selected_values) and by
entry (rows and columns, 0 = to the last), over the TCP wrapper (management client, HLS-5)
and HDLC (maintenance client, HLS-6), every value checked against the prefill oracle
(lp1_fixture.py). Also the security event log (KSMW 5.12) of the running meter."""
import datetime

from gurux_dlms import GXByteBuffer, GXDateTime
from gurux_dlms.enums import ObjectType
from gurux_dlms.objects import GXDLMSProfileGeneric

from gx_client import DataAccessError, ProtocolViolation, obis_to_gurux, plain
from lp1_fixture import CLOCK, LP1, N, UTC, dt_utc, encode_dt
from test_interop_gurux import MGMT_TITLE, management

SECURITY_LOG = "0-0:99.98.9.255"
SESSION_LOG = "0-0:99.98.6.255"
LN = {c: bytes(int(x) for x in c.replace("-", ".").replace(":", ".").split("."))
      for c in (CLOCK, LP1, "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255",
                "1-0:4.8.0.255", "0-0:96.10.1.255")}


def cod(class_id, ln, attr=2):
    """capture_object_definition {class_id, logical_name, attribute_index, data_index}."""
    return (b"\x02\x04\x12" + class_id.to_bytes(2, "big") + b"\x09\x06" + LN[ln]
            + b"\x0f" + bytes((attr,)) + b"\x12\x00\x00")


def by_range(lo, hi, cols=(), deviation=0):
    return (b"\x01\x02\x04" + cod(8, CLOCK) + b"\x09\x0c" + encode_dt(lo, deviation)
            + b"\x09\x0c" + encode_dt(hi, deviation) + b"\x01" + bytes((len(cols),))
            + b"".join(cols))


def by_entry(fe, te, fc=1, tc=0):
    return (b"\x02\x02\x04\x06" + fe.to_bytes(4, "big") + b"\x06" + te.to_bytes(4, "big")
            + b"\x12" + fc.to_bytes(2, "big") + b"\x12" + tc.to_bytes(2, "big"))


def select(m, access, ln=LP1):
    """GET attribute 2 with an access selection (selector byte + parameters) through gurux's
    own GET path (blocks followed by gurux) -> plain value."""
    frames = m.client._read(obis_to_gurux(ln), ObjectType.PROFILE_GENERIC, 2,
                            GXByteBuffer(access))
    reply, responses, request = m._get_reply(frames)
    assert request[:2] == b"\xc0\x01" and request[12] == 1, request.hex(" ")  # selection
    last = responses[-1]
    if last[:2] == b"\xc4\x01" and last[3] == 1:
        raise DataAccessError(last[4])
    if last[:2] == b"\xc4\x02" and len(last) > 9 and last[8] == 1:
        raise DataAccessError(last[9])
    if reply.error:
        raise ProtocolViolation("gurux error %d for %s" % (reply.error, last.hex(" ")))
    if reply.value is None and last[:2] == b"\xc4\x01" and last[3:] == b"\x00\x01\x00":
        return []  # gurux reads an empty array as None
    return plain(reply.value)


def first_k(m, lp1):
    return lp1.k_of(select(m, by_entry(1, 1, 1, 1))[0][0])


def test_lp1_attributes(lp1_meter, transport):
    with management(lp1_meter, transport) as m:
        m.associate()
        assert m.get(7, LP1, 3) == [
            [8, LN[CLOCK], 2, 0], [1, LN["0-0:96.10.1.255"], 2, 0],
            [3, LN["1-0:1.8.0.255"], 2, 0], [3, LN["1-0:2.8.0.255"], 2, 0],
            [3, LN["1-0:3.8.0.255"], 2, 0], [3, LN["1-0:4.8.0.255"], 2, 0]]
        assert m.get(7, LP1, 4) == 900  # KSMW 5.7
        assert m.get(7, LP1, 5) == 1  # FIFO
        assert m.get(7, LP1, 6) == [0, bytes(6), 0, 0]
        assert m.get(7, LP1, 7) == N
        assert m.get(7, LP1, 8) == N
        # KSMW 5.7.2: the capture period of LP1 is not writable; nor are its entries
        assert m.set(7, LP1, 4, 60, 6) == 3
        assert m.set(7, LP1, 8, 10, 6) == 3
        objects = dict(((c, ln), v) for c, v, ln in m.object_list())
        assert objects[(7, LP1)] == 1 and objects[(7, "0-0:21.0.5.255")] == 0


def test_lp1_whole_buffer(lp1_meter, transport):
    lp1 = lp1_meter.lp1
    with management(lp1_meter, transport) as m:
        m.associate()
        rows = m.get(7, LP1, 2)
        blocks = m.last_get_blocks
        m.release()
    assert len(rows) == N
    k0 = lp1.check(rows)
    assert 0 <= k0 <= 2  # the meter's own quarter-hour captures, if any, at the end
    assert blocks == list(range(1, len(blocks) + 1)) and len(blocks) > 150  # ~219 kB


def test_lp1_by_range(lp1_meter, transport):
    lp1 = lp1_meter.lp1
    with management(lp1_meter, transport) as m:
        m.associate()
        # boundaries on entries: both included (IDIS 7.7.1), in UTC and in CET
        rows = select(m, by_range(lp1.time(1000), lp1.time(1099)))
        assert len(rows) == 100 and lp1.check(rows) == 1000
        rows = select(m, by_range(lp1.time(2000), lp1.time(2009), deviation=-60))
        assert len(rows) == 10 and lp1.check(rows) == 2000
        # between entries: the entries inside
        rows = select(m, by_range(lp1.time(3000) + datetime.timedelta(seconds=1),
                                  lp1.time(3003) - datetime.timedelta(seconds=1)))
        assert len(rows) == 2 and lp1.check(rows) == 3001
        assert select(m, by_range(lp1.time(3003), lp1.time(3000))) == []
        # selected_values: clock and -A, in the order asked (KSMW 5.7.1)
        rows = select(m, by_range(lp1.time(4000), lp1.time(4004),
                                  [cod(3, "1-0:2.8.0.255"), cod(8, CLOCK)]))
        assert [lp1.k_of(r[1]) for r in rows] == list(range(4000, 4005))
        assert [r[0] for r in rows] == [500000 + 3 * k for k in range(4000, 4005)]
        # before the oldest entry up to the third one: clipped to what the buffer holds
        k0 = first_k(m, lp1)
        rows = select(m, by_range(lp1.time(-50), lp1.time(k0 + 2)))
        assert len(rows) == 3 and lp1.check(rows) == k0
        # gurux's own range read (captures objects read first, GXDateTime bounds)
        pg = GXDLMSProfileGeneric(obis_to_gurux(LP1))
        reply, _, _ = m._get_reply(m.client.read(pg, 3))
        m.client.updateValue(pg, 3, reply.value)
        start = GXDateTime(lp1.time(5000))
        end = GXDateTime(lp1.time(5005))
        reply, _, _ = m._get_reply(m.client.readRowsByRange(pg, start, end))
        rows = plain(reply.value)
        assert len(rows) == 6 and lp1.check(rows) == 5000


def test_lp1_by_entry(lp1_meter, transport):
    lp1 = lp1_meter.lp1
    with management(lp1_meter, transport) as m:
        m.associate()
        k0 = first_k(m, lp1)
        rows = select(m, by_entry(1, 10))
        assert len(rows) == 10 and lp1.check(rows) == k0
        rows = select(m, by_entry(2001, 2100, 3, 4))  # +A and -A of 100 entries
        assert len(rows) == 100
        assert lp1.check(rows, k0 + 2000, cols=(2, 3)) == k0 + 2000
        rows = select(m, by_entry(N - 9, 0, 5, 0))  # to the last entry, to the last column
        assert len(rows) == 10 and len(rows[0]) == 2
        assert lp1.check(rows, k0 + N - 10, cols=(4, 5))
        rows = select(m, by_entry(N - 2, N + 50))  # clipped to the last entry
        assert len(rows) == 3 and lp1.check(rows) == k0 + N - 3
        assert select(m, by_entry(N + 1, 0)) == []
        try:
            select(m, by_entry(1, 1, 7, 0))  # no 7th column
            raise AssertionError("column 7 accepted")
        except DataAccessError as e:
            assert e.result == 250  # other-reason
        # gurux's own entry read
        pg = GXDLMSProfileGeneric(obis_to_gurux(LP1))
        reply, _, _ = m._get_reply(m.client.readRowsByEntry(pg, 11, 5))
        rows = plain(reply.value)
        assert len(rows) == 5 and lp1.check(rows) == k0 + 10


def test_security_event_log_records_the_association(lp1_meter, transport):
    sap, code = (1, 26) if transport == "tcp" else (6, 28)  # communication started
    with management(lp1_meter, transport) as m:
        m.associate()
        n = m.get(7, SECURITY_LOG, 7)
        assert 1 <= n <= 100 and m.get(7, SECURITY_LOG, 8) == 100
        rows = select(m, by_entry(n, 0), SECURITY_LOG)
        assert len(rows) == 1
        when, event, partners, title = rows[0]
        assert event == code and partners == [sap, 1] and title == MGMT_TITLE
        assert abs((datetime.datetime.now(UTC) - dt_utc(when)).total_seconds()) < 60
        last = select(m, by_entry(m.get(7, SESSION_LOG, 7), 0), SESSION_LOG)
        assert last[0][1:] == [code, [sap, 1], MGMT_TITLE]
