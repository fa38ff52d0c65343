# SPDX-License-Identifier: MIT
"""Hot paths that must not allocate (MicroPython only: heap_lock turns any allocation into
MemoryError). Run by `make test-mp`."""
import micropython

from dlms.apdu import axdr
from dlms.apdu.axdr import Reader, Writer
from dlms.cosem.ic008_clock import Clock
from dlms.util.crc16 import INIT, update

_BUF = bytearray(bytes(range(256)) * 4)
_W = Writer(64)
def _rtc(t):  # 2026-07-01 00:00:00.123 UTC in meter seconds (dlms/util/timeconv.py)
    t[0] = 205027200
    t[1] = 123


_CLOCK = Clock(b"\x00\x00\x01\x00\x00\xff", _rtc)
_R = Reader(memoryview(bytes.fromhex("0600001391 12 04C8 0F FF")))


def locked(fn):
    micropython.heap_lock()
    try:
        return fn()
    finally:
        micropython.heap_unlock()


def test_crc_over_a_frame_does_not_allocate():
    assert locked(lambda: update(INIT, _BUF, 0, 1024)) == update(INIT, _BUF, 0, 1024)


def _encode_register():
    _W.pos = 0
    _W.tagged(axdr.UINT32, 123456)
    _W.structure(2)
    _W.tagged(axdr.INT8, -1)
    _W.tagged(axdr.ENUM, 30)
    _W.length(300)
    return _W.pos


def test_register_encoding_does_not_allocate():
    assert locked(_encode_register) == 5 + 2 + 2 + 2 + 3


def test_clock_datetime_does_not_allocate():
    _CLOCK.datetime()  # first read of a year computes that year's DST switches
    locked(_CLOCK.datetime)
    assert bytes(_CLOCK._buf[:4]) == bytes.fromhex("07EA0701")


def _decode_numbers():
    _R.pos = 0
    return _R.u8() + _R.u32() + _R.u8() + _R.u16() + _R.u8() + _R.u8()


def test_number_decoding_does_not_allocate():
    assert locked(_decode_numbers) == 6 + 5009 + 0x12 + 1224 + 0x0F + 0xFF
