# SPDX-License-Identifier: MIT
"""general-block-transfer and ACCESS on the simulated meter's server, APDU in, APDU out:
GBT responses in windows (streamed over the TCP wrapper, one block per ack over HDLC),
acknowledgements and lost-block recovery, requests in GBT blocks, GBT inside general
protection; ACCESS get/set/action mixes, errors, unconfirmed and break-on-error."""
from unitlib import Session, h, management_session

from dlms.apdu import axdr
from dlms.apdu.axdr import Reader
from dlms.security import cipher
from dlms.util import timeconv as tc
from dlms.util.crc16 import INIT, update
from seclib import CT, ST, Client, hls5

GBT = 0x200000
ACCESS = 0x000040
LAST, STREAMING = 0x80, 0x40
CLOCK = h("0000010000FF")
LDN = h("00002A0000FF")
ASSOC = h("0000280000FF")
UNKNOWN = h("0000636363FF")
CONFIRMED = 0xC0000000  # high priority, confirmed (KSMW 3.3.2)


def alen(n):
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    return bytes((0x82, n >> 8, n & 0xFF))


def gbt(ctl, bn, bna, data=b""):
    return bytes((0xE0, ctl, bn >> 8, bn & 0xFF, bna >> 8, bna & 0xFF)) + alen(len(data)) + data


def parse(apdu):
    """GBT APDU -> (block-control, block-number, block-number-ack, block-data)."""
    assert apdu[0] == 0xE0, apdu.hex()
    r = Reader(memoryview(apdu), 1)
    ctl, bn, bna = r.u8(), r.u16(), r.u16()
    data = bytes(r.take(r.length()))
    assert r.left() == 0
    return ctl, bn, bna, data


def exchange(s, apdu):
    """One request -> every APDU the server sends for it (the streamed rest of a window)."""
    out = [s.req(apdu)]
    while s.server.pending(s.a):
        s.w.pos = 0
        s.server.push(s.a, s.w)
        out.append(bytes(s.w.mv[: s.w.pos]))
    return out


def management(port="tcp", max_pdu=256, conformance=None):
    """The management client's service layer without its security (as in test_server)."""
    return management_session(port=port, max_pdu=max_pdu, conformance=conformance)


def public(conformance="207E5F", max_pdu="04B0"):
    s = Session()
    r = s.req(h("601DA109060760857405080101BE10040E01000000065F1F0400" + conformance + max_pdu))
    assert r[:27] == h("6129A109060760857405080101A203020100A305A103020100BE10"), r.hex()
    return s


def get(cid, ln, attr):
    return bytes((0xC0, 1, 0xC1, cid >> 8, cid & 0xFF)) + ln + bytes((attr, 0))


class Digest:
    """Length and CRC of a byte stream (from `skip` on, `limit` bytes at most), with its
    first and last bytes: responses are checked without holding them (board-sized heap)."""

    def __init__(self, skip=0, limit=1 << 30):
        self.skip = skip
        self.left = limit
        self.n = 0
        self.crc = INIT
        self.head = b""
        self.tail = b""

    def add(self, d):
        d = bytes(d)
        if len(self.head) < 32:
            self.head = (self.head + d)[:32]
        self.tail = (self.tail + d)[-32:]
        k = min(self.skip, len(d))
        self.skip -= k
        d = d[k:k + self.left]
        self.left -= len(d)
        self.crc = update(self.crc, d, 0, len(d))
        self.n += len(d)

    def same(self, other):
        return (self.n, self.crc) == (other.n, other.crc)


def array_count(b):
    """Element count of an encoded array at the start of b."""
    assert b[0] == axdr.ARRAY
    return Reader(memoryview(b), 1).length()


def by_get_blocks(s, request):
    """Digest of the Data of a GET answered in GET data blocks (GBT off for a moment)."""
    saved = s.a.conformance
    s.a.conformance &= ~GBT
    d = Digest()
    r = s.req(request)
    while True:
        assert r[:2] == h("C402"), r.hex()
        rd = Reader(memoryview(r), 8)
        assert rd.u8() == 0
        d.add(rd.take(rd.length()))
        if r[3]:
            break
        r = s.req(h("C002C1") + r[4:8])
    s.a.conformance = saved
    return d


def read_gbt(s, first, window, ack_bn=1, data=None):
    """Follow a GBT response from its first APDU, acknowledging each window with `window`
    -> (Digest of the block-data, skipping the 4-byte get-response header by default,
    [APDUs per exchange])."""
    data = data or Digest(skip=4)
    rounds = [[first]]
    apdus = [first]
    while True:
        for a in apdus:
            ctl, bn, bna, d = parse(a)
            data.add(d)
        if ctl & LAST:
            return data, rounds
        apdus = exchange(s, gbt(window, ack_bn, bn))
        ack_bn += 1
        rounds.append(apdus)


# ------------------------------------------------------------------ GBT responses
def test_object_list_in_gbt_over_hdlc_one_block_per_ack():
    s = management(port="hdlc", max_pdu=256)
    first = s.req(get(15, ASSOC, 2))
    ctl, bn, bna, d = parse(first)
    assert (ctl, bn, bna) == (16, 1, 0) and len(first) <= 256  # window 16 = our receive window
    assert d[:4] == h("C401C100")  # the blocks carry the whole get-response APDU
    data, rounds = read_gbt(s, first, window=5)
    assert all(len(r) == 1 for r in rounds)  # HDLC: no streaming, one block per ack
    assert all(len(a) <= 256 for r in rounds for a in r)
    assert len(rounds) > 3
    assert data.head[:4] == h("C401C100")
    assert array_count(data.head[4:]) == len(s.meter.objects) + len(s.meter.catalog)
    assert data.same(by_get_blocks(s, get(15, ASSOC, 2)))  # the Data of GET blocks
    # each block acknowledges the client's latest block number
    assert [parse(r[0])[2] for r in rounds] == list(range(len(rounds)))


def test_object_list_in_gbt_windows_streamed_over_tcp():
    s = management(port="tcp", max_pdu=256)
    first = s.req(get(15, ASSOC, 2))
    assert not s.server.pending(s.a)  # the client's window is unknown: one block
    data, rounds = read_gbt(s, first, window=3)
    assert [len(r) for r in rounds[1:-1]] == [3] * (len(rounds) - 2)
    for r in rounds[1:]:
        ctls = [parse(a)[0] for a in r]
        # streaming on every block of a window but its last (and the final block)
        assert all(c & STREAMING for c in ctls[:-1]) and not ctls[-1] & STREAMING, ctls
    numbers = [parse(a)[1] for r in rounds for a in r]
    assert numbers == list(range(1, len(numbers) + 1))
    assert data.same(by_get_blocks(s, get(15, ASSOC, 2)))  # without GBT: GET data blocks


def test_window_capped_by_the_send_buffer():
    # the client could take 63 blocks per window; the stream keeps (1736 - 512) // payload
    s = management(port="tcp")
    for pdu, window in ((512, 2), (128, 10)):
        s.a.client_max_pdu = pdu
        first = s.req(get(15, ASSOC, 2))
        assert pdu - 2 <= len(first) <= pdu and not parse(first)[0] & LAST
        r = exchange(s, gbt(63, 1, 1))
        assert len(r) == window and all(len(a) == len(first) for a in r)
        assert [parse(a)[0] & STREAMING for a in r] == [STREAMING] * (window - 1) + [0]
    s.a.client_max_pdu = 1224
    first = s.req(get(15, ASSOC, 2))
    assert len(first) == 1224 and not parse(first)[0] & LAST
    assert len(exchange(s, gbt(63, 1, 1))) == 1  # one full block at the KSMW max PDU


def test_lost_block_recovery():
    s = management(port="tcp", max_pdu=128)
    first = s.req(get(15, ASSOC, 2))
    w1 = exchange(s, gbt(3, 1, 1))  # blocks 2, 3, 4
    assert [parse(a)[1] for a in w1] == [2, 3, 4]
    # block 3 was lost: acknowledge 2, the server sends 3, 4, 5
    w2 = exchange(s, gbt(3, 2, 2))
    assert [parse(a)[1] for a in w2] == [3, 4, 5]
    assert parse(w2[0])[3] == parse(w1[1])[3] and parse(w2[1])[3] == parse(w1[2])[3]
    assert [parse(a)[2] for a in w2] == [2, 2, 2]  # acknowledging the client's block 2
    # a stale acknowledgement (block 1, already dropped) repeats the window from block 3
    w3 = exchange(s, gbt(2, 3, 1))
    assert [parse(a)[1] for a in w3] == [3, 4]
    data = Digest(skip=4)
    for a in [first] + w1[:1] + w3[:-1]:
        data.add(parse(a)[3])
    data, _ = read_gbt(s, w3[-1], window=4, ack_bn=4, data=data)
    assert data.same(by_get_blocks(s, get(15, ASSOC, 2)))


def test_gbt_acknowledgement_errors():
    s = management(port="tcp", max_pdu=128)
    assert s.req(gbt(1, 1, 1)) == h("D80101")  # no transfer in progress
    s.req(get(15, ASSOC, 2))
    assert s.req(gbt(1, 1, 9)) == h("D80103")  # acknowledges a block never sent
    assert s.req(gbt(1, 2, 1)) == h("D80101")  # the transfer was aborted
    s.req(get(15, ASSOC, 2))
    assert s.req(h("C002C100000001")) == h("C402C101 00000001 0110")  # no GET blocks here
    assert parse(s.req(gbt(1, 1, 1)))[1] == 2  # the GBT transfer goes on
    assert s.req(get(1, LDN, 2))[:4] == h("C401C100")  # a new request abandons it
    assert s.req(gbt(1, 2, 2)) == h("D80101")
    assert s.req(h("E001")) == h("D80103")  # truncated


def test_gbt_needs_the_conformance_bit():
    s = public("007E1F")
    assert s.req(gbt(LAST | 1, 1, 0, get(1, LDN, 2))) == h("D80102")
    s = public("207E1F")
    assert s.req(gbt(LAST | 1, 1, 0, get(1, LDN, 2))) == h("C401C100 0910") + b"KFM1000100000001"


_HUGE = bytes(1800)  # larger than an association's stream (allocated with the module)
_SMALL = bytes(100)


class _Big:
    """A Data object whose value streams 19 small elements, then one larger than the
    association's stream can hold."""
    CLASS_ID = 1
    ATTRS = (1, 2)
    NOT_READABLE = ()
    WRITABLE = ()
    METHODS = ()
    ln = h("0000636300FF")

    def get(self, attr, w, ctx):
        return self._value(w)

    def _value(self, w):
        w.array(20)
        for _ in range(19):
            w.octets(_SMALL)
            yield
        w.octets(_HUGE)
        yield


def test_element_too_large_mid_transfer():
    s = management(port="tcp", max_pdu=256)
    big = _Big()
    s.server.add(big)
    first = s.req(get(1, big.ln, 2))
    assert parse(first)[1] == 1
    bn = 1
    while True:
        r = exchange(s, gbt(1, bn, bn))
        if r[-1][0] != 0xE0:
            break
        bn = parse(r[-1])[1]
    assert r == [h("D80103")] and bn >= 6  # the transfer is abandoned, not truncated
    assert s.req(gbt(1, bn + 1, bn)) == h("D80101")
    assert s.req(get(1, LDN, 2))[:4] == h("C401C100")


# ------------------------------------------------------------------ GBT requests
def test_request_in_gbt_blocks_with_windows_and_a_gap():
    s = management(port="tcp", max_pdu=1224)
    dt = h("07EA0C01FF0C000000 8000FF")
    req = h("C10181 0008 0000010000FF 02 00 090C") + dt
    b = [req[:8], req[8:16], req[16:24], req[24:]]
    assert s.req(gbt(STREAMING | 4, 1, 0, b[0])) == b""  # streaming: no answer yet
    assert s.req(gbt(4, 2, 0, b[1])) == gbt(LAST | 16, 1, 2)  # end of window: acknowledged
    # block 3 lost: block 4 (last) is not taken, the server acknowledges 2 again
    assert s.req(gbt(LAST | 4, 4, 0, b[3])) == gbt(LAST | 16, 2, 2)
    assert s.req(gbt(STREAMING | 4, 3, 0, b[2])) == b""
    assert s.req(gbt(LAST | 4, 4, 0, b[3])) == h("C5018100")  # complete: the SET runs
    assert s.meter.clock.utc() == tc.secs_from_unix(1796122800)
    # a first block numbered above 1 starts a request too (gurux goes on counting)
    assert s.req(gbt(1, 7, 0, get(1, LDN, 2)[:6])) == gbt(LAST | 16, 1, 7)
    assert s.req(gbt(LAST | 1, 8, 0, get(1, LDN, 2)[6:]))[:4] == h("C401C100")
    assert s.req(gbt(LAST | 1, 9, 0, b"\xc0")) == h("D80103")  # a lone block: not a request


def test_long_request_and_long_response_in_gbt():
    s = management(port="tcp", max_pdu=128)
    refs = b"".join(bytes((0, 1)) + LDN + b"\x02\x00" for _ in range(16))
    req = h("C003C110") + refs  # GET with-list of 16 (KSMW 3.3.1: >= 16 references)
    assert s.req(gbt(STREAMING | 2, 1, 0, req[:100])) == b""
    r = exchange(s, gbt(LAST | 2, 2, 0, req[100:]))
    # the response starts at block 1, acknowledges request block 2 and uses its window 2
    assert [parse(a)[1:3] for a in r] == [(1, 2), (2, 2)]
    data = Digest()
    data.add(parse(r[0])[3])
    data, _ = read_gbt(s, r[-1], window=2, ack_bn=3, data=data)
    item = h("0009104B464D31303030313030303030303031")
    want = Digest()
    want.add(h("C403C110") + item * 16)
    assert data.same(want)


def test_association_attributes_set_at_boot():
    """Requests and responses in blocks add no attribute to the association or its GBT
    state: their dicts keep the size they had at boot (no growth mid-request); the state of
    a request in blocks is the server's."""
    s = management(port="tcp", max_pdu=128)
    before = (sorted(s.a.__dict__), sorted(s.a.gbt.__dict__))
    req = h("C10181 0008 0000010000FF 02 00 090C") + h("07EA0C01FF0C000000 8000FF")
    assert s.req(gbt(STREAMING | 4, 1, 0, req[:8])) == b""
    assert s.req(gbt(LAST | 4, 2, 0, req[8:])) == h("C5018100")
    r = exchange(s, gbt(LAST | 2, 1, 0, get(15, ASSOC, 2)))  # object list: GBT blocks
    assert parse(r[0])[0] & LAST == 0
    s.a.conformance &= ~GBT
    assert s.req(get(15, ASSOC, 2))[:4] == h("C402C100")  # GET data blocks instead
    assert (sorted(s.a.__dict__), sorted(s.a.gbt.__dict__)) == before


def test_combined_block_mechanisms_refused():
    s = management(port="tcp")
    first = h("C10281 0008 0000010000FF 02 00 00 00000001 05") + h("090C07EA0C")
    assert s.req(gbt(LAST | 1, 1, 0, first)) == h("D80102")  # KSMW 3.3.1
    assert s.req(gbt(LAST | 1, 1, 0, h("C002C100000001"))) == h("D80102")
    assert s.req(gbt(LAST | 1, 1, 0, gbt(LAST, 1, 0, get(1, LDN, 2)))) == h("D80102")
    assert s.req(gbt(LAST | 1, 1, 0, h("C30681 01 00000002 02 001E"))) == h("D80102")
    assert s.req(get(1, LDN, 2))[:4] == h("C401C100")


# ------------------------------------------------------------------ GBT and protection
INIT_GBT = h("01000000065F1F0400607E5F0100")  # GP, GBT, ACCESS, ...; client max PDU 256


def general_glo(c, apdu):
    """general-glo-ciphering (DB) of a request with the client's next counter."""
    c.ic += 1
    out = bytearray(len(apdu) + 32)
    n = cipher.protect(0x30, c.ek, c.ak, CT, c.ic, apdu, out)
    return b"\xdb\x08" + CT + alen(n) + bytes(out[:n])


def open_general(c, resp):
    assert resp[0] == 0xDB and resp[1:10] == b"\x08" + ST, resp.hex()
    r = Reader(memoryview(resp), 10)
    content = r.take(r.length())
    plain = bytearray(1300)
    sc, ic, n = cipher.unprotect(c.ek, c.ak, ST, content, plain)
    return bytes(plain[:n])


def lan_management():
    c = Client(1, "tcp", 5)
    c.init = INIT_GBT
    assert c.associate(hls5)[:5] == h("C701C10001")
    assert c.s.a.conformance & (GBT | ACCESS) == GBT | ACCESS
    return c


def test_gbt_blocks_inside_general_protection():
    c = lan_management()
    s = c.s
    first = s.req(general_glo(c, get(15, ASSOC, 2)))
    assert len(first) <= 256
    b1 = open_general(c, first)
    ctl, bn, bna, d = parse(b1)
    assert bn == 1 and d[:4] == h("C401C100")
    data = Digest(skip=4)
    data.add(d)
    ack_bn = 1
    while not ctl & LAST:
        # gurux acknowledges with plain GBT APDUs: the blocks stay protected (DB re-applied)
        req = gbt(2, ack_bn, bn) if ack_bn % 2 else general_glo(c, gbt(2, ack_bn, bn))
        for a in exchange(s, req):
            assert len(a) <= 256
            ctl, bn, bna, d = parse(open_general(c, a))
            assert bna == ack_bn
            data.add(d)
        ack_bn += 1
    assert array_count(data.head[4:]) == len(s.meter.objects) + len(s.meter.catalog) and data.n > 1000
    assert s.req(get(1, LDN, 2)) == h("D80102")  # plain requests still refused


def test_gbt_carrying_a_protected_request():
    c = lan_management()
    s = c.s
    glo = c.protect(0xC8, get(1, LDN, 2))
    assert s.req(gbt(STREAMING | 1, 1, 0, glo[:10])) == b""
    r = s.req(gbt(LAST | 1, 2, 0, glo[10:]))
    assert c.open(r, 0xCC) == h("C401C100 0910") + b"KFM1000100000001"
    # general-glo inside GBT: a long answer leaves in GBT blocks, each inside DB
    db = general_glo(c, get(15, ASSOC, 2))
    first = s.req(gbt(LAST | 2, 1, 0, db))
    ctl, bn, bna, d = parse(open_general(c, first))
    assert (bn, bna) == (1, 1) and d[:4] == h("C401C100")
    # a plain request inside GBT is refused under the policy
    assert s.req(gbt(LAST | 1, 1, 0, get(1, LDN, 2))) == h("D80102")
    # glo- requests: long answers in GET data blocks, each protected, within the PDU
    r = s.req(c.protect(0xC8, get(15, ASSOC, 2)))
    p = c.open(r, 0xCC)
    assert p[:4] == h("C402C100") and len(r) <= 256


# ------------------------------------------------------------------ ACCESS
def access(items, data, liip=CONFIRMED | 1, dt=b""):
    body = bytes((len(items),)) + b"".join(items) + bytes((len(data),)) + b"".join(data)
    return b"\xd9" + liip.to_bytes(4, "big") + bytes((len(dt),)) + dt + body


def a_get(cid, ln, attr):
    return bytes((1, cid >> 8, cid & 0xFF)) + ln + bytes((attr,))


def a_set(cid, ln, attr):
    return bytes((2, cid >> 8, cid & 0xFF)) + ln + bytes((attr,))


def a_action(cid, ln, m):
    return bytes((3, cid >> 8, cid & 0xFF)) + ln + bytes((m,))


def parse_access(r):
    """access-response -> (long-invoke-id, date-time, [Data bytes], [(choice, result)])."""
    assert r[0] == 0xDA, bytes(r).hex()
    rd = Reader(memoryview(r), 5)
    dt = bytes(rd.take(rd.u8()))
    assert rd.u8() == 0  # access-request-specification absent
    values = []
    for _ in range(rd.length()):
        p = rd.pos
        rd.data()
        values.append(bytes(rd.mv[p:rd.pos]))
    results = [(rd.u8(), rd.u8()) for _ in range(rd.length())]
    assert rd.left() == 0
    return int.from_bytes(bytes(r[1:5]), "big"), dt, values, results


def test_access_get_set_action_in_order_on_the_clock():
    s = management(max_pdu=1224)
    clk = s.meter.clock
    dt = h("07EA0C01FF0C000000 8000FF")  # 2026-12-01 12:00 local (UTC+1)
    items = [a_get(8, CLOCK, 2), a_set(8, CLOCK, 2), a_get(8, CLOCK, 2),
             a_action(8, CLOCK, 6), a_get(8, CLOCK, 2), a_get(1, LDN, 2)]
    data = [b"\x00", b"\x09\x0c" + dt, b"\x00", h("10003C"), b"\x00", b"\x00"]
    before = bytes(clk.datetime())
    r = s.req(access(items, data, liip=0xC0ABCDEF))
    liip, rdt, values, results = parse_access(r)
    assert liip == 0xC0ABCDEF and rdt == b""  # returned as received (KSMW 3.3.2)
    assert results == [(1, 0), (2, 0), (1, 0), (3, 0), (1, 0), (1, 0)]
    assert values[0][:2] == h("090C") and values[0][2:9] == bytes(before)[:7]
    assert values[1] == b"\x00" and values[3] == b"\x00"  # set, action: null-data
    assert values[2][:10] == b"\x09\x0c" + h("07EA0C0102 0C0000")  # the value just set
    assert values[4][:10] == b"\x09\x0c" + h("07EA0C0102 0C0100")  # then shifted by 60 s
    assert values[5] == h("0910") + b"KFM1000100000001"
    assert clk.utc() == tc.secs_from_unix(1796122800) + 60


def test_access_with_date_time_and_errors():
    s = public(conformance="207E5F")
    items = [a_get(1, LDN, 2), a_get(1, UNKNOWN, 2), a_set(8, CLOCK, 3),
             a_action(8, CLOCK, 6), a_get(3, LDN, 2),
             b"\x04" + a_get(1, LDN, 2)[1:] + h("01 0F00"),  # get-with-selection
             b"\x05" + a_set(8, CLOCK, 3)[1:] + h("01 0F00")]  # set-with-selection
    data = [b"\x00", b"\x00", h("10FFC4"), h("10003C"), b"\x00", b"\x00", h("10FFC4")]
    r = s.req(access(items, data, liip=CONFIRMED | 7, dt=h("07EA0701FF0C0000008000FF")))
    liip, rdt, values, results = parse_access(r)
    assert liip == CONFIRMED | 7 and len(rdt) == 12  # date-time in the request: one back
    assert results == [(1, 0), (1, 4), (2, 3), (3, 3), (1, 9), (1, 13), (2, 13)]
    assert values[0] == h("0910") + b"KFM1000100000001"
    assert values[1:] == [b"\x00"] * 6


def test_access_many_references():
    s = public(conformance="207E5F")
    n = 16
    r = s.req(access([a_get(1, LDN, 2)] * n, [b"\x00"] * n))
    _, _, values, results = parse_access(r)
    assert results == [(1, 0)] * n and values == [h("0910") + b"KFM1000100000001"] * n
    r = s.req(access([a_get(1, LDN, 1)] * 64, [b"\x00"] * 64))
    assert len(parse_access(r)[3]) == 64
    assert s.req(access([a_get(1, LDN, 1)] * 65, [b"\x00"] * 65)) == h("D80103")


def test_access_malformed_and_not_negotiated():
    s = public(conformance="207E5F")
    good = access([a_get(1, LDN, 2)], [b"\x00"])
    assert s.req(good)[:1] == b"\xda"
    assert s.req(good[:-1]) == h("D80103")  # truncated
    assert s.req(good + b"\x00") == h("D80103")  # trailing byte
    assert s.req(access([a_get(1, LDN, 2)], [b"\x00", b"\x00"])) == h("D80103")  # counts differ
    assert s.req(access([b"\x06" + a_get(1, LDN, 2)[1:]], [b"\x00"])) == h("D80103")  # choice
    assert s.req(access([a_get(1, LDN, 2)], [b"\x00"], dt=b"\x01\x02")) == h("D80103")
    assert s.req(access([], [])) == h("DA C0000001 00 00 00 00")  # nothing to do
    s = public(conformance="007E1F")
    assert s.req(good) == h("D80102")  # access not negotiated


def test_access_unconfirmed_and_break_on_error():
    s = management(max_pdu=1224)
    clk = s.meter.clock
    t0 = clk.utc()
    # service-class 0: unconfirmed, executed without an answer
    assert s.req(access([a_action(8, CLOCK, 6)], [h("10003C")], liip=0x80000002)) == b""
    assert clk.utc() == t0 + 60
    # processing-option break-on-error: the items after a failure do not run
    r = s.req(access([a_get(1, UNKNOWN, 2), a_action(8, CLOCK, 6)], [b"\x00", h("10003C")],
                     liip=CONFIRMED | 0x20000000 | 3))
    _, _, values, results = parse_access(r)
    assert results == [(1, 4), (3, 250)] and values == [b"\x00", b"\x00"]
    assert clk.utc() == t0 + 60
    r = s.req(access([a_get(1, UNKNOWN, 2), a_action(8, CLOCK, 6)], [b"\x00", h("10003C")]))
    assert parse_access(r)[3] == [(1, 4), (3, 0)] and clk.utc() == t0 + 120


def test_long_access_response_in_gbt():
    s = management(port="tcp", max_pdu=256)
    req = access([a_get(1, LDN, 2), a_get(15, ASSOC, 2), a_action(8, CLOCK, 6)],
                 [b"\x00", b"\x00", h("10003C")])
    t0 = s.meter.clock.utc()
    ref = by_get_blocks(s, get(15, ASSOC, 2))
    first = s.req(req)
    # DA liip dt(0) spec(0) | 3 | LDN (18) | object list | null | 3 | results (6)
    data, rounds = read_gbt(s, first, window=4, data=Digest(skip=26, limit=ref.n))
    assert data.same(ref) and len(rounds) > 2
    assert data.head[:26] == h("DA C0000001 00 00 03 0910") + b"KFM1000100000001"
    assert data.tail[-8:] == h("00 03 0100 0100 0300")
    assert s.meter.clock.utc() == t0 + 60  # ran once the list before it was streamed


def test_long_access_response_without_gbt():
    s = management(port="tcp", max_pdu=256)
    s.a.conformance &= ~GBT
    req = access([a_get(1, LDN, 2), a_get(15, ASSOC, 2)], [b"\x00", b"\x00"])
    assert s.req(req) == h("D80104")  # too long for the client
    assert s.req(get(1, LDN, 2))[:4] == h("C401C100")


def test_access_in_general_protection():
    c = lan_management()
    r = c.s.req(general_glo(c, access([a_get(1, LDN, 2)], [b"\x00"])))
    _, _, values, results = parse_access(open_general(c, r))
    assert results == [(1, 0)] and values == [h("0910") + b"KFM1000100000001"]
    assert c.s.req(access([a_get(1, LDN, 2)], [b"\x00"])) == h("D80102")  # plain: refused
