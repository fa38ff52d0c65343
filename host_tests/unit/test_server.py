# SPDX-License-Identifier: MIT
"""xDLMS server dispatch on the simulated meter's objects, APDU in, APDU out."""
from struct import unpack_from

from unitlib import FakeBoard, Session, h, management_session

from dlms.apdu import axdr
from dlms.apdu.axdr import Reader, Writer
from dlms.cosem.base import CosemObject
from dlms.util import timeconv as tc

AARQ_PUBLIC = h("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")


def aarq_lls(pw=b"12345678", conformance="007E1F", max_pdu="04B0"):
    ui = h("01000000065F1F0400" + conformance + max_pdu)
    body = (h("A109060760857405080101 8A0207808B0760857405080201") + bytes(
        (0xAC, len(pw) + 2, 0x80, len(pw))) + pw + bytes((0xBE, len(ui) + 2, 0x04, len(ui))) + ui)
    return bytes((0x60, len(body))) + body


def public():
    s = Session()
    assert s.req(AARQ_PUBLIC)[:27] == h("6129A109060760857405080101A203020100A305A103020100BE10")
    return s


def management(max_pdu=0x4B0, board=None):
    """The management client's service layer without its security (tested in
    test_secured.py): an association opened directly."""
    return management_session(board, max_pdu=max_pdu)


def get(cid, ln, attr):
    return bytes((0xC0, 1, 0xC1, cid >> 8, cid & 0xFF)) + ln + bytes((attr & 0xFF, 0))


GBT = 0x200000  # general-block-transfer conformance bit
LDN = h("00002A0000FF")
CLOCK = h("0000010000FF")
ENERGY = h("0100010800FF")


def test_aare_negotiates_conformance_and_pdu():
    s = Session()
    r = s.req(AARQ_PUBLIC)
    # proposal 007E1F & offered capabilities; server max PDU 1224 (KSMW 3.3.1)
    assert r[-9:] == h("5F1F0400003E1904C8")[:9] or r.endswith(h("04C80007"))
    assert s.a.conformance == 0x007E1F & s.server.conformance


def test_association_refusals():
    s = Session(sap=6, port="hdlc")
    r = s.req(aarq_lls(b"wrong!!!"))  # LLS in the plain context for an HLS-6 client
    assert r[15:18] == h("020101") and r[22:25] == h("020102")  # context not supported
    s = Session(sap=1)  # the management client is not on the optical port (KSMW 3.6.2)
    r = Session(sap=1, port="hdlc").req(AARQ_PUBLIC)
    assert r[15:18] == h("020101") and r[24] == 1
    s = Session()
    r = s.req(h("601DA109060760857405080102BE10040E01000000065F1F0400007E1F04B0"))  # SN
    assert r[24] == 2
    s = Session()
    r = s.req(h("601DA109060760857405080101BE10040E01000000055F1F0400007E1F04B0"))  # v5
    assert r.endswith(h("BE0604040E010601"))
    s = Session()
    r = s.req(h("601DA109060760857405080101BE10040E01000000065F1F040000000004B0"))
    assert r.endswith(h("0E010602"))  # no common conformance
    s = Session(sap=99)
    assert s.req(AARQ_PUBLIC)[15:18] == h("020101")
    s = Session()
    r = s.req(AARQ_PUBLIC[:12])  # truncated AARQ
    assert r[0] == 0x61 and r[15:18] == h("020101")


def test_get_values():
    s = public()
    assert s.req(get(1, LDN, 2)) == h("C401C100 0910") + b"KFM1000100000001"
    assert s.req(get(3, ENERGY, 3)) == h("C401C100 0202 0F00 161E")
    r = s.req(get(8, CLOCK, 2))
    assert r[:6] == h("C401C100090C") and unpack_from(">h", r, 15)[0] in (-60, -120)
    r = s.req(get(3, ENERGY, 2))
    assert r[4] == axdr.UINT32 and unpack_from(">I", r, 5)[0] == 0  # a new meter
    s.meter.energy.preset((1234567, 0, 0, 0))
    r = s.req(get(3, ENERGY, 2))
    assert unpack_from(">I", r, 5)[0] == 1234567


def test_get_errors():
    s = public()
    assert s.req(get(1, h("0000636363FF"), 2)) == h("C401C10104")  # object-undefined
    assert s.req(get(3, LDN, 2)) == h("C401C10109")  # object-class-inconsistent
    assert s.req(get(8, CLOCK, 99)) == h("C401C10104")
    assert s.req(get(15, h("0000280000FF"), 7)) == h("C401C10103")  # secret: denied
    assert s.req(get(1, h("0100000201FF"), 2)) == h("C401C10104")  # not in public's list
    assert s.req(h("C00109")) == h("D80103")  # truncated
    assert s.req(h("C009C1")) == h("D80202")  # unknown GET type
    assert s.req(h("E7")) == h("D80202")  # unknown APDU
    assert s.req(h("D9400000010001010001")) == h("D80102")  # ACCESS: defined, not offered
    assert s.req(h("C81E30")) == h("D80102")  # glo-get: no ciphered context here
    assert s.req(get(1, LDN, 2))[:4] == h("C401C100")  # still serving


def test_not_associated_and_release():
    s = Session()
    assert s.req(get(1, LDN, 2)) == h("D80101")
    s = public()
    assert s.req(h("6200")) == h("6303800100")
    assert s.req(get(1, LDN, 2)) == h("D80101")
    s = public()
    r = s.req(h("6212800100BE0E040C01000000065F1F0400007E1F04B0")[:0])  # empty APDU
    assert r == h("D80103")


def test_get_with_list():
    s = public()
    refs = [(1, LDN, 2), (8, CLOCK, 3), (3, ENERGY, 3), (1, h("0000636363FF"), 2)] * 4
    body = b"".join(bytes((c >> 8, c & 0xFF)) + ln + bytes((a, 0)) for c, ln, a in refs)
    r = s.req(h("C003C110") + body)
    assert r[:4] == h("C403C110")
    item = h("0009104B464D31303030313030303030303031 0010FFC4 000202 0F00161E 0104")
    assert r[4:] == item * 4


def test_object_list_by_block_transfer():
    s = management(max_pdu=0x100)  # client accepts 256-byte APDUs
    s.a.conformance &= ~GBT  # GET data blocks (with GBT: test_gbt_access.py)
    r = s.req(get(15, h("0000280000FF"), 2))
    # decoded block by block: the whole list (the KSMW catalog) is too large to hold
    rest = b""
    count = None
    entries = 0
    seen = []
    blocks = 0
    while True:
        assert r[:3] == h("C402C1") and len(r) <= 256
        last, bn = r[3], unpack_from(">I", r, 4)[0]
        assert bn == blocks + 1 and r[8] == 0
        n = r[9]
        off = 10
        if n == 0x81:
            n, off = r[10], 11
        rest += r[off:off + n]
        blocks += 1
        rd = Reader(memoryview(rest))
        if count is None:
            assert rd.u8() == axdr.ARRAY
            count = rd.length()
        start = rd.pos
        while entries < count:
            try:
                e = rd.data()[1]
            except axdr.DecodeError:  # element continues in the next block
                break
            start = rd.pos
            entries += 1
            if (e[0][1], e[1][1], e[2][1]) in ((15, 3, h("0000280000FF")), (8, 0, CLOCK)):
                seen.append(e[0][1])
        rest = bytes(rest[start:])
        if last:
            break
        r = s.req(h("C002C1") + bn.to_bytes(4, "big"))
    assert blocks > 3 and rest == b"" and entries == count and sorted(seen) == [8, 15]
    assert count == len(s.meter.objects) + len(s.meter.catalog)
    assert s.req(h("C002C100000001")) == h("C402C101 00000001 0110")  # no long get now


def _check_elements(g, w, objs, n, role, client):
    """Advance the object list generator g element by element (each decoded from w, then w
    emptied): the n objects of the iterable objs in order, with the access that
    Role.attr_access/method_access give (Blue Book 4.4.3 object_list_element)."""
    objs = iter(objs)
    for i in range(n + 1):
        try:
            next(g)
        except StopIteration:
            assert i == n
        r = Reader(memoryview(w.buf), 0, w.pos)
        if i == 0:
            assert r.u8() == axdr.ARRAY and r.length() == n
        if i == n:
            assert r.left() == 0
            break
        o = next(objs)
        e = r.data()
        assert r.left() == 0
        w.pos = 0
        cid, ver, ln, (_, (attrs, methods)) = e[1]
        assert (cid, ver, bytes(ln[1])) == ((axdr.UINT16, o.CLASS_ID), (axdr.UINT8, o.VERSION),
                                            o.ln)
        assert len(attrs[1]) == len(o.ATTRS) and len(methods[1]) == len(o.METHODS)
        sel = getattr(o, "SELECTORS", None)
        for (_, item), a in zip(attrs[1], o.ATTRS):
            assert item[0] == (axdr.INT8, a) and item[1] == (axdr.ENUM, role.attr_access(o, a,
                                                                                         client))
            if a == 2 and sel:
                assert item[2] == (axdr.ARRAY, [(axdr.INT8, x) for x in sel])
            else:
                assert item[2][0] == axdr.NULL
        for (_, item), m in zip(methods[1], o.METHODS):
            assert item == [(axdr.INT8, m), (axdr.ENUM, role.method_access(o, m, client))]


def test_object_list_rights_follow_each_role():
    s = management()
    model = s.server.model
    aa = s.server.find(h("0000280000FF"))
    w = Writer(512)
    # public (its own list of objects), management (admin), local (another client's security
    # objects read-only), readout (nothing writable), firmware update (nothing listed)
    for sap in (16, 1, 7, 2, 3):
        c = s.meter.clients[sap]
        n = 0
        for o in model:
            n += c.role.visible(o)
        assert n == {16: 24, 3: 0}.get(sap, len(model))
        w.pos = 0
        _check_elements(aa._object_list(w, s.a, c), w, (o for o in model if c.role.visible(o)),
                        n, c.role, c)


class _Wide(CosemObject):
    """More attributes and methods than the object list's item templates hold."""
    CLASS_ID = 1
    ATTRS = tuple(range(1, 21))
    WRITABLE = (3, 19)
    NOT_READABLE = (4, 20)
    METHODS = tuple(range(1, 19))
    LOCAL_METHODS = (2, 17)
    SELECTORS = (1, 2)


def test_object_list_elements_of_any_size():
    from dlms.cosem.object_list import elements

    s = management()
    objs = [_Wide(h("0000636301FF")), _Wide(h("00006363FF")), _Wide(h("000063630201FF")),
            s.server.find(CLOCK)]
    objs[1].SELECTORS = None
    objs[2].ATTRS = objs[2].ATTRS[:5]
    # 200 bytes: too little room for a templated element, one item at a time instead
    for w, some in ((Writer(512), objs), (Writer(200), objs[2:])):
        for sap in (1, 7, 2):  # roles that see every object
            c = s.meter.clients[sap]
            w.pos = 0
            _check_elements(elements(w, some, c, len(some)), w, some, len(some), c.role, c)


def test_block_number_errors():
    s = management(max_pdu=0x100)
    s.a.conformance &= ~GBT
    s.req(get(15, h("0000280000FF"), 2))
    assert s.req(h("C002C100000007")) == h("C402C101 00000007 0113")


def test_set_clock_and_rules():
    b = FakeBoard()
    s = management(board=b)
    clk = s.meter.clock
    # 2026-12-01 12:00:00 local (winter, UTC+1)
    dt = h("07EA0C01FF0C000000 8000FF")
    assert s.req(h("C10181 0008 0000010000FF 02 00 090C") + dt) == h("C5018100")
    assert clk.utc() == 1796122800 - tc.UNIX_2020  # 2026-12-01 11:00:00 UTC
    # < 2 s difference is ignored
    before = (clk.off_s, clk.off_ms)
    r = s.req(h("C10181 0008 0000010000FF 02 00 090C") + h("07EA0C01FF 0C0001 00 8000FF"))
    assert r == h("C5018100") and (clk.off_s, clk.off_ms) == before
    # spring gap 2027-03-28 02:30 does not exist -> other-reason (KSMW 5.4)
    assert s.req(h("C10181 0008 0000010000FF 02 00 090C") + h("07EB031CFF 021E00 00 8000FF")) \
        == h("C50181FA")
    # wrong type
    assert s.req(h("C10181 0008 0000010000FF 03 00 0F05")) == h("C501810C")


def test_public_cannot_set_or_act():
    s = public()
    assert s.req(h("C10181 0008 0000010000FF 02 00 090C07EA0C01FF0C0000008000FF")) == \
        h("C5018103")
    assert s.req(h("C30181 0008 0000010000FF 06 01 10003C")) == h("C701810300")


def test_action_shift_time_and_reset():
    s = management()
    clk = s.meter.clock
    t0 = clk.utc()
    assert s.req(h("C30181 0008 0000010000FF 06 01 10003C")) == h("C701810000")
    assert clk.utc() == t0 + 60
    # 1024 s is outside -900..900: other-reason
    assert s.req(h("C30181 0008 0000010000FF 06 01 100400")) == h("C70181FA00")
    md = h("0100010600FF")
    assert s.req(h("C30181 0004") + md + h("01 01 0F00")) == h("C701810000")
    assert s.req(get(4, md, 2)) == h("C401C1000600000000")


def test_set_and_action_with_blocks():
    s = management()
    dt = h("090C07EA0C01FF0C000000 8000FF")
    # SET with first datablock (not last), then the last block
    r = s.req(h("C10281 0008 0000010000FF 02 00") + h("00 00000001 05") + dt[:5])
    assert r == h("C5028100000001")
    r = s.req(h("C10381") + h("01 00000002 09") + dt[5:])
    assert r == h("C503810000000002")
    assert s.meter.clock.utc() == 1796122800 - tc.UNIX_2020
    # wrong block number aborts with data-block-number-invalid
    s.req(h("C10281 0008 0000010000FF 02 00") + h("00 00000001 05") + dt[:5])
    assert s.req(h("C10381") + h("01 00000005 09") + dt[5:]) == h("C503811300000005")
    # ACTION with pblocks: shift_time +30 in two blocks
    t0 = s.meter.clock.utc()
    assert s.req(h("C30481 0008 0000010000FF 06") + h("00 00000001 01 10")) == \
        h("C7048100000001")
    assert s.req(h("C30681") + h("01 00000002 02 001E")) == h("C701810000")
    assert s.meter.clock.utc() == t0 + 30


def test_attribute_zero():
    s = public()
    r = s.req(get(3, ENERGY, 0))
    assert r[:6] == h("C401C1000203") and r[6:15] == h("0906") + ENERGY + h("06")[:1]
