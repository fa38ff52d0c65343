# SPDX-License-Identifier: MIT
"""Bad input gets the standard answer and the meter keeps serving (IDIS 8.2.3; IEC 62056-46
FRMR/DM; silent discard of frames with a bad FCS)."""
import os
import time

import pytest
from rawlink import Pty, Tcp, hdlc_frame, parse_frame

AARQ_PUBLIC = bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
GET_LDN = bytes.fromhex("C001C1000100002A0000FF0200")
LDN_RESPONSE = bytes.fromhex("C401C1000910") + b"KFM2000100000001"


def test_tcp_malformed_apdus(meter):
    t = Tcp(meter)
    assert t.req(GET_LDN) == bytes.fromhex("D80101")  # no association yet
    assert t.req(AARQ_PUBLIC)[:18] == bytes.fromhex("6129A109060760857405080101A203020100")
    assert t.req(GET_LDN[:7]) == bytes.fromhex("D80103")  # truncated
    assert t.req(bytes.fromhex("C001C100010000636363FF0200")) == bytes.fromhex("C401C10104")
    assert t.req(bytes.fromhex("E5")) == bytes.fromhex("D80202")  # unknown service
    assert t.req(bytes.fromhex("C1")) == bytes.fromhex("D80103")
    assert t.req(bytes.fromhex("C0010000080000010000FF02")) == bytes.fromhex("D80103")
    t.send(bytes(5000))  # longer than any APDU the meter accepts
    assert t.recv() == bytes.fromhex("D80104")
    assert t.req(GET_LDN) == LDN_RESPONSE  # the association survived all of it
    t.close()


def test_tcp_bad_wrapper_version_drops_connection_only(meter):
    t = Tcp(meter)
    t.send(AARQ_PUBLIC, version=2)
    with pytest.raises((EOFError, ConnectionError)):
        t.recv()
    t.close()
    t = Tcp(meter)
    assert t.req(AARQ_PUBLIC)[17] == 0
    t.close()


def test_tcp_parallel_associations(meter):
    conns = [Tcp(meter) for _ in range(3)]
    for c in conns:
        assert c.req(AARQ_PUBLIC)[17] == 0
    for _ in range(3):
        for c in conns:
            assert c.req(GET_LDN) == LDN_RESPONSE
    conns[0].req(bytes.fromhex("6200"))
    assert conns[0].req(GET_LDN) == bytes.fromhex("D80101")
    assert conns[1].req(GET_LDN) == LDN_RESPONSE
    for c in conns:
        c.close()


def test_hdlc_malformed_frames(meter):
    p = Pty(meter.pty_path)
    try:
        snrm = hdlc_frame(0x93)
        p.write(snrm)
        (ua,) = p.frames()
        assert parse_frame(ua)[0] == 0x73
        bad = bytearray(hdlc_frame(0x10, b"\xe6\xe6\x00" + AARQ_PUBLIC))
        bad[-3] ^= 0x55  # FCS error: discarded without an answer
        p.write(bytes(bad) + b"\x7e\x7e\xa0\x05garbage\x7e" + os.urandom(64).replace(b"\x7e", b""))
        assert p.frames(timeout=0.6) == []
        # the inter-octet time-out (200 ms of the meter's clock) drops any partial frame:
        # the AARQ is sent again until answered (an AARQ caught in the partial frame is
        # discarded with it), whatever the host's speed
        deadline = time.monotonic() + 30
        while True:
            p.write(hdlc_frame(0x10, b"\xe6\xe6\x00" + AARQ_PUBLIC))
            fs = p.frames(timeout=1.0)
            if fs or time.monotonic() > deadline:
                break
        (f,) = fs
        c, info, _ = parse_frame(f)
        assert c == 0x30 and info[:3] == b"\xe6\xe7\x00" and info[3] == 0x61
        p.write(hdlc_frame(0x32, b"\xe6\xe6\x00" + GET_LDN))
        (f,) = p.frames()
        assert parse_frame(f)[1][3:] == LDN_RESPONSE
        p.write(hdlc_frame(0x5D))  # undefined control (SREJ): FRMR, control 0x97
        (f,) = p.frames()
        c, info, _ = parse_frame(f)
        assert c == 0x97 and info[0] == 0x5D and info[2] & 0x01
        p.write(hdlc_frame(0x53))  # DISC clears the reject condition
        (f,) = p.frames()
        assert parse_frame(f)[0] == 0x73
        p.write(hdlc_frame(0x10, b"\xe6\xe6\x00" + GET_LDN))  # I-frame while disconnected
        (f,) = p.frames()
        assert parse_frame(f)[0] == 0x1F  # DM
        p.write(hdlc_frame(0x93))  # a fresh link, too-long information field -> FRMR Y
        p.frames()
        p.write(hdlc_frame(0x10, b"\xe6\xe6\x00" + bytes(300)))
        (f,) = p.frames()
        c, info, _ = parse_frame(f)
        assert c == 0x97 and info[2] & 0x04
        p.write(hdlc_frame(0x53))
        p.frames()
    finally:
        p.close()
    assert meter.alive()


def test_hdlc_second_client_refused_while_linked(meter):
    p = Pty(meter.pty_path)
    try:
        p.write(hdlc_frame(0x93, client=16))
        assert parse_frame(p.frames()[0])[0] == 0x73
        p.write(hdlc_frame(0x93, client=1))
        (f,) = p.frames()
        assert parse_frame(f)[0] == 0x1F and f[3] == 0x03  # DM to the management client
        p.write(hdlc_frame(0x53, client=16))
        assert parse_frame(p.frames()[0])[0] == 0x73
    finally:
        p.close()


def test_hdlc_refused_client_does_not_keep_an_abandoned_link(meter):
    """Issue #11: a client linked without DISC and gone silent holds the optical port only
    for the inactivity time-out (IC 23 attribute 8); another client's refused SNRMs do not
    refresh it. Event-driven: the second client retries until it gets UA (deadline far
    above the time-out)."""
    from gurux_dlms.enums import DataType

    from test_interop_gurux import management

    hdlc_setup = "0-0:22.0.0.255"
    with management(meter, "tcp") as m:
        m.associate()
        old = m.get(23, hdlc_setup, 8)
        assert m.set(23, hdlc_setup, 8, 3, DataType.UINT16) == 0  # 3 s
    p = Pty(meter.pty_path)
    try:
        p.write(hdlc_frame(0x93, client=16))  # linked, then silent: no DISC
        assert parse_frame(p.frames()[0])[0] == 0x73
        refused = 0
        deadline = time.time() + 60
        while time.time() < deadline:
            p.write(hdlc_frame(0x93, client=5))
            fs = p.frames(timeout=2.0)
            if fs and parse_frame(fs[0])[0] == 0x73:
                break
            refused += 1
            time.sleep(0.5)
        else:
            pytest.fail("the abandoned link was never released")
        assert refused >= 1  # it was held while the first client's link was alive
        p.write(hdlc_frame(0x53, client=5))
        assert parse_frame(p.frames()[0])[0] == 0x73
    finally:
        p.close()
        with management(meter, "tcp") as m:
            m.associate()
            m.set(23, hdlc_setup, 8, old, DataType.UINT16)
