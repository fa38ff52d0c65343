# SPDX-License-Identifier: MIT
"""A-XDR codec (dlms-notes 1): runs under pytest and host_tests/mptest.py."""
from unitlib import h, raises

from dlms.apdu import axdr
from dlms.apdu.axdr import DecodeError, Reader, Writer, decode, encode


def test_simple_types_round_trip():
    cases = [
        ((axdr.NULL, None), "00"),
        ((axdr.BOOLEAN, True), "0301"),
        ((axdr.INT32, -2), "05FFFFFFFE"),
        ((axdr.UINT32, 5009), "0600001391"),
        ((axdr.INT8, -1), "0FFF"),
        ((axdr.INT16, -60), "10FFC4"),
        ((axdr.UINT8, 200), "11C8"),
        ((axdr.UINT16, 1224), "1204C8"),
        ((axdr.INT64, -5), "14FFFFFFFFFFFFFFFB"),
        ((axdr.UINT64, 2 ** 40), "150000010000000000"),
        ((axdr.ENUM, 30), "161E"),
        ((axdr.OCTET_STRING, b"\x00\x00\x01\x00\x00\xff"), "0906000001 0000FF"),
        ((axdr.VISIBLE_STRING, b"KFM"), "0A034B464D"),
        ((axdr.BIT_STRING, (10, h("B380"))), "040AB380"),
        ((axdr.FLOAT32, 1.5), "173FC00000"),
        ((axdr.FLOAT64, -2.0), "18C000000000000000"),
        ((axdr.DATE, h("07E5060305")), "1A07E5060305"),
        ((axdr.TIME, h("0E091700")), "1B0E091700"),
    ]
    for d, hx in cases:
        assert encode(d) == h(hx), (d, encode(d))
        assert decode(h(hx)) == d


def test_scaler_unit_from_capture():
    # Norwegian HAN capture: 02 02 0F FF 16 21 = A, x0.1 (dlms-notes 1.7)
    assert decode(h("02020FFF1621")) == (axdr.STRUCTURE, [(axdr.INT8, -1), (axdr.ENUM, 33)])


def test_length_forms():
    for n, prefix in ((127, "097F"), (128, "098180"), (255, "0981FF"), (256, "09820100"),
                      (1182, "0982049E")):
        e = encode((axdr.OCTET_STRING, bytes(n)), 4096)
        assert e[: len(prefix) // 2] == h(prefix)
        assert decode(e) == (axdr.OCTET_STRING, bytes(n))
    raises(DecodeError, decode, h("098300"))  # 0x83 form is rejected (dlms-notes 1.2)


def test_compact_array():
    # three long-unsigned values 1, 2, 3 (dlms-notes 1.6)
    d = decode(h("1312060001 00020003"))
    assert d == (axdr.COMPACT_ARRAY, (b"\x12", [(18, 1), (18, 2), (18, 3)]))
    assert encode(d) == h("13120600010002 0003")
    # structure description {long-unsigned, octet-string}; 100 rows force a long length
    desc = h("02021209")
    rows = [(2, [(18, i), (9, b"ab")]) for i in range(100)]
    e = encode((axdr.COMPACT_ARRAY, (desc, rows)), 4096)
    assert e[:8] == h("13 02021209 8201F4") and len(e) == 8 + 500
    assert decode(e) == (axdr.COMPACT_ARRAY, (desc, rows))


def test_nested_and_datetime():
    dt = h("07E00104010932 0A 00 8000 00")
    d = (axdr.STRUCTURE, [(axdr.ARRAY, [(axdr.UINT16, 1), (axdr.UINT16, 2)]),
                          (axdr.OCTET_STRING, dt), (axdr.DATE_TIME, dt)])
    assert decode(encode(d)) == d


def test_malformed_input_is_rejected():
    raises(DecodeError, decode, h("06000013"))  # truncated uint32
    raises(DecodeError, decode, h("0905AABB"))  # octet-string shorter than its length
    raises(DecodeError, decode, h("0105"))  # array count larger than the data
    raises(DecodeError, decode, h("07"))  # unused tag
    raises(DecodeError, decode, h("0600000001 00"))  # trailing byte
    raises(DecodeError, decode, h("0201" * 20 + "00"))  # nesting beyond MAX_DEPTH


def test_writer_is_bounded():
    w = Writer(4)
    raises((ValueError, IndexError), w.octets, b"12345")
    w = Writer(bytearray(8))
    w.tagged(axdr.UINT32, 7)
    assert bytes(w.mv[: w.pos]) == h("0600000007")


def test_reader_positions():
    r = Reader(memoryview(h("1100 1200FF")))
    assert r.data() == (17, 0) and r.pos == 2
    assert r.data() == (18, 255) and r.left() == 0
