# SPDX-License-Identifier: MIT
"""HDLC frames and link against the byte-exact sessions of dlms-notes 7.9."""
from unitlib import h

from dlms.transport import hdlc_frame as hf
from dlms.transport.hdlc_link import NDM, NRM, HdlcConfig, HdlcLink
from dlms.util.crc16 import fcs

SNRM = h("7EA0080223219 3BD647E".replace(" ", ""))
AARQ = h("7EA02C0223211 0AF9FE6E600601DA109060760857405080101BE10040E01000000065F1F04"
         "00001E1DFFFFC5E47E".replace(" ", ""))
AARE = h("7EA038210223 3034E7E6E700612 9A109060760857405080101A203020100A305A103020100BE10"
         "040E0800065F1F0400001E1D04C80007B86A7E".replace(" ", ""))
AARE_APDU = AARE[12:-3]


def test_crc_check_value():
    assert fcs(b"123456789", 0, 9) == 0x906E
    f = h("A00A00020023 2193")
    c = fcs(f, 0, len(f))
    assert bytes((c & 0xFF, c >> 8)) == h("1871")


def test_decode_reference_frames():
    fr = hf.Frame()
    assert hf.decode(AARQ[1:-1], len(AARQ) - 2, fr)
    assert (fr.upper, fr.lower, fr.client, fr.control) == (1, 17, 16, 0x10)
    assert bytes(AARQ[1 + fr.info_start:1 + fr.info_end])[:3] == b"\xe6\xe6\x00"
    bad = bytearray(AARQ)
    bad[20] ^= 1
    assert not hf.decode(bad[1:-1], len(bad) - 2, fr)


def test_encode_reference_aare():
    buf = bytearray(300)
    n = hf.encode(buf, 0x21, h("0223"), 2, 0x30, AARE_APDU, 0, len(AARE_APDU), False,
                  b"\xe6\xe7\x00")
    assert bytes(buf[:n]) == AARE
    # the same frame into a view of exactly its size
    assert n == hf.size(2, len(AARE_APDU) + 3)
    v = memoryview(bytearray(n))
    assert hf.encode(v, 0x21, h("0223"), 2, 0x30, AARE_APDU, 0, len(AARE_APDU), False,
                     b"\xe6\xe7\x00") == n and bytes(v) == AARE
    for alen in (1, 2, 4):
        assert hf.encode(buf, 0x21, h("00020023"), alen, 0x73, b"", 0, 0, False) == hf.size(
            alen, 0)


class Peer:
    """Drives a link as a client would and records what it sends."""

    def __init__(self, cfg=None, response=None):
        self.out = []
        self.apdus = []
        self.response = response
        self.disconnects = 0
        self.t = 0
        self.link = HdlcLink(cfg or HdlcConfig(), self.out.append, self.app, self.on_disc)

    def app(self, apdu):
        self.apdus.append(bytes(apdu))
        return memoryview(self.response) if self.response is not None else None

    def on_disc(self):
        self.disconnects += 1

    def feed(self, b, chunk=7):
        del self.out[:]
        for i in range(0, len(b), chunk):  # arbitrary split, as a UART delivers bytes
            self.link.feed(memoryview(b)[i:i + chunk], self.t)
        return [bytes(x) for x in self.out]


def out_frame(f, alen=2):
    """(control, info, segmented) of a server->client frame with a one-byte client address."""
    assert f[0] == 0x7E and f[-1] == 0x7E and (((f[1] & 7) << 8) | f[2]) == len(f) - 2
    assert fcs(f, 1, len(f) - 3) == f[-3] | (f[-2] << 8)
    c = f[4 + alen]
    info = f[7 + alen:-3] if len(f) > 8 + alen else b""
    return c, info, bool(f[1] & 0x08)


def frame(control, info=b"", seg=False, client=0x21, server=h("0223")):
    buf = bytearray(2100)
    n = hf.encode(buf, 0, server, len(server), control, info, 0, len(info), seg)
    # encode() writes dst=client first; swap to a client->server frame
    buf[3:3 + len(server)] = server
    buf[3 + len(server)] = client
    return _refcs(bytes(buf[:n]), len(server), bool(info))


def _refcs(b, alen, has_info):
    b = bytearray(b)
    hdr_end = 1 + 2 + alen + 1 + 1
    if has_info:
        c = fcs(b, 1, hdr_end)
        b[hdr_end] = c & 0xFF
        b[hdr_end + 1] = c >> 8
    c = fcs(b, 1, len(b) - 3)
    b[-3] = c & 0xFF
    b[-2] = c >> 8
    return bytes(b)


def test_reference_session_snrm_aarq():
    p = Peer(response=AARE_APDU)
    ua = p.feed(SNRM)
    assert len(ua) == 1 and p.link.state == NRM
    c, info, _ = out_frame(ua[0])
    assert c == 0x73
    assert info == h("818012 050180 060180 0704 00000001 0804 00000001")
    out = p.feed(AARQ)
    assert p.apdus == [AARQ[12:-3]]
    assert out == [AARE]  # byte-exact with the reference server answer


def test_snrm_negotiates_smaller_and_larger_values():
    p = Peer(HdlcConfig(max_info_tx=512, max_info_rx=512, window_tx=3, window_rx=3))
    ua = p.feed(frame(0x93, h("818014 0502 0100 0602 00C8 0704 00000007 0804 00000002")))
    assert out_frame(ua[0])[1] == h("818013 0501C8 06020100 0704 00000002 0804 00000003")
    assert (p.link.max_rx, p.link.max_tx, p.link.win_tx, p.link.win_rx) == (256, 200, 2, 3)


def test_segmented_response_and_request():
    resp = bytes(range(256)) * 2
    p = Peer(response=resp)
    p.feed(frame(0x93))
    req = b"\xe6\xe6\x00" + bytes(300)
    out = p.feed(frame(0x10 | (0 << 1), req[:128], seg=True))
    assert out_frame(out[0])[0] == 0x31  # RR, N(R)=1, F
    out = p.feed(frame(0x10 | (1 << 1), req[128:256], seg=True))
    assert out_frame(out[0])[0] == 0x51
    out = p.feed(frame(0x10 | (2 << 1), req[256:]))
    assert p.apdus == [bytes(300)]
    got = bytearray()
    frames = 0
    while True:
        assert len(out) == 1
        c, info, seg = out_frame(out[0])
        assert len(info) <= 128 and c & 0x10
        got += info
        frames += 1
        if not seg:
            break
        ns = (c >> 1) & 7
        out = p.feed(frame(0x11 | (((ns + 1) & 7) << 5)))  # RR acknowledging it
    assert bytes(got) == b"\xe6\xe7\x00" + resp and frames == 5


def test_lost_segment_is_resent_after_rr():
    p = Peer(response=bytes(300))
    p.feed(frame(0x93))
    first = p.feed(frame(0x10, b"\xe6\xe6\x00\xc0"))[0]
    again = p.feed(frame(0x11))  # RR with N(R)=0: frame 0 was not received
    assert again == [first]


def test_errors_get_standard_answers():
    p = Peer(response=b"\xc4")
    assert out_frame(p.feed(frame(0x10, b"\xe6\xe6\x00\xc0"))[0])[0] == 0x1F  # I-frame in NDM -> DM
    assert out_frame(p.feed(frame(0x53))[0])[0] == 0x1F  # DISC in NDM -> DM
    p.feed(frame(0x93))
    garbage = bytearray(frame(0x10, b"\xe6\xe6\x00\xc0"))
    garbage[-4] ^= 0xFF
    assert p.feed(bytes(garbage) + b"\x7e\x7e\x01\x02\x7e") == []  # bad FCS: discarded
    assert p.link.frames_bad >= 1 and p.link.state == NRM
    out = p.feed(frame(0x10, b"\xe6\xe6\x00\xc0"))  # still serving
    assert len(out) == 1 and p.apdus[-1] == b"\xc0"
    out = p.feed(frame(0x9D))  # undefined control (SREJ) -> FRMR with W
    assert out_frame(out[0]) == (0x97, bytes((0x9D, 0x22, hf.FRMR_W)), False)
    assert out_frame(p.feed(frame(0x11))[0])[0] == 0x97  # FRMR state repeats FRMR
    assert out_frame(p.feed(frame(0x53))[0])[0] == 0x73  # DISC clears it with UA
    assert p.link.state == NDM


def test_info_field_too_long_gives_frmr_y():
    p = Peer()
    p.feed(frame(0x93))
    out = p.feed(frame(0x10, b"\xe6\xe6\x00" + bytes(200)))
    assert out_frame(out[0])[0] == 0x97 and out_frame(out[0])[1][2] == hf.FRMR_Y


def test_one_client_at_a_time_and_inactivity():
    p = Peer()
    p.feed(frame(0x93))
    out = p.feed(frame(0x93, client=0x03))  # management client while public is connected
    assert out_frame(out[0])[0] == 0x1F and out[0][3] == 0x03 and p.link.peer == 16
    p.t = 121000
    p.link.tick(p.t)
    assert p.link.state == NDM and p.disconnects == 1


def test_time_outs_across_the_ticks_wrap():
    # ticks_ms wraps at 2^30 ms (12.4 days): the link still times out, and not early
    p = Peer()
    p.t = 0x3FFFFFFF - 50000
    p.feed(frame(0x93))
    p.t = 50000  # 100 s later, after the wrap: the link holds (120 s inactivity)
    p.link.tick(p.t)
    assert p.link.state == NRM
    p.t = 70001
    p.link.tick(p.t)
    assert p.link.state == NDM and p.disconnects == 1
    f = frame(0x93)
    p.t = 0x3FFFFFFF - 100
    p.feed(f[:5])
    p.t = 150  # 251 ms after the last byte, across the wrap: the partial frame is dropped
    assert p.feed(f[5:]) == [] and p.link.state == NDM
    p.t = 300
    p.feed(f[:5])
    assert len(p.feed(f[5:])) == 1 and p.link.state == NRM


def test_refused_client_does_not_keep_the_link_alive():
    # issue #11: only the connected peer's frames refresh the inactivity timer
    p = Peer()
    p.feed(frame(0x93))  # public client connects, then goes silent
    for k in range(1, 25):  # another client tries every 5 s for 120 s
        p.t = k * 5000
        p.link.tick(p.t)
        if p.link.state == NDM:
            break
        out = p.feed(frame(0x93, client=0x03))
        assert out_frame(out[0])[0] == 0x1F  # DM: busy with another client
    assert p.link.state == NDM and p.disconnects == 1 and p.t == 120000
    out = p.feed(frame(0x93, client=0x03))  # the port is free for the next client
    assert out_frame(out[0])[0] == 0x73 and p.link.peer == 1


def test_address_forms():
    for server in (h("03"), h("0223"), h("00020023")):
        p = Peer()
        out = p.feed(frame(0x93, server=server))
        assert len(out) == 1 and out[0][3:3 + len(server) + 1] == b"\x21" + server
    p = Peer()
    assert p.feed(frame(0x93, server=h("0225"))) == []  # another physical address: silent


def test_any_split_of_the_byte_stream():
    # frames are delimited by their length (IEC 62056-46 6.3): any split gives the same
    ref = Peer(response=bytes(range(200)))
    want = [ref.feed(frame(0x93)), ref.feed(frame(0x10, b"\xe6\xe6\x00\xc0\x01")),
            ref.feed(frame(0x31))]
    for chunk in (1, 2, 3, 5, 64):
        p = Peer(response=bytes(range(200)))
        # noise, a flag with a bad format field, repeated flags before the frame
        got = [p.feed(b"\x00\x7e\x55\x7e\x7e" + frame(0x93), chunk),
               p.feed(frame(0x10, b"\xe6\xe6\x00\xc0\x01"), chunk), p.feed(frame(0x31), chunk)]
        assert got == want and p.apdus == [b"\xc0\x01"] and p.link.frames_bad == 1


def test_inter_octet_timeout_drops_a_partial_frame():
    p = Peer()
    f = frame(0x93)
    p.feed(f[:5])
    p.t = 250  # more than 200 ms without a byte (IC 23 inter_octet_time_out)
    assert p.feed(f[5:]) == [] and p.link.state == NDM
    assert len(p.feed(f)) == 1 and p.link.state == NRM


def test_link_constants_are_the_frame_constants():
    from dlms.transport import hdlc_link as hl

    for name in ("FLAG", "MIN_LEN", "SNRM", "DISC", "UA", "DM", "FRMR", "UI", "RR", "RNR", "PF",
                 "FRMR_W", "FRMR_X", "FRMR_Y", "FRMR_Z"):
        v = getattr(hl, "_" + name, None)  # MicroPython inlines them and keeps no name
        assert v is None or v == getattr(hf, name)
