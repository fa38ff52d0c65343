# SPDX-License-Identifier: MIT
"""A-XDR codec for COSEM Data (IEC 62056-6-2 / Green Book 9.5; dlms-notes 1).

Writer encodes into a caller-owned, preallocated bytearray (no growth: an
overflow raises ValueError/IndexError, which callers map to a standard error).
Reader decodes from a memoryview with bounds checks and a nesting limit.
Decoded Data is a (tag, value) pair; arrays/structures hold lists of pairs.
"""
from micropython import const
from struct import pack_into, unpack_from

NULL = const(0)
ARRAY = const(1)
STRUCTURE = const(2)
BOOLEAN = const(3)
BIT_STRING = const(4)
INT32 = const(5)
UINT32 = const(6)
OCTET_STRING = const(9)
VISIBLE_STRING = const(10)
UTF8_STRING = const(12)
BCD = const(13)
INT8 = const(15)
INT16 = const(16)
UINT8 = const(17)
UINT16 = const(18)
COMPACT_ARRAY = const(19)
INT64 = const(20)
UINT64 = const(21)
ENUM = const(22)
FLOAT32 = const(23)
FLOAT64 = const(24)
DATE_TIME = const(25)
DATE = const(26)
TIME = const(27)
DONT_CARE = const(255)

MAX_DEPTH = const(8)

# tag -> struct format of fixed-size numeric bodies (dlms-notes 1.3; bcd = 1 byte, open point 4)
_NUM = {
    INT32: ">i", UINT32: ">I", BCD: ">B", INT8: ">b", INT16: ">h", UINT8: ">B",
    UINT16: ">H", INT64: ">q", UINT64: ">Q", ENUM: ">B", FLOAT32: ">f", FLOAT64: ">d",
}
_NUM_SIZE = {
    INT32: 4, UINT32: 4, BCD: 1, INT8: 1, INT16: 2, UINT8: 1, UINT16: 2,
    INT64: 8, UINT64: 8, ENUM: 1, FLOAT32: 4, FLOAT64: 8,
}
# fixed-size octet bodies without a length (Green Book date/time types)
_OCTETS_FIXED = {DATE_TIME: 12, DATE: 5, TIME: 4}
_STRINGS = (OCTET_STRING, VISIBLE_STRING, UTF8_STRING)


class DecodeError(ValueError):
    pass


class Writer:
    """Cursor over a preallocated buffer (`pos` is the write offset)."""

    def __init__(self, size_or_buf):
        if isinstance(size_or_buf, int):
            size_or_buf = bytearray(size_or_buf)
        self.buf = size_or_buf
        self.mv = memoryview(size_or_buf)
        self.pos = 0

    def u8(self, v):
        self.buf[self.pos] = v
        self.pos += 1

    def num(self, fmt, size, v):
        pack_into(fmt, self.buf, self.pos, v)
        self.pos += size

    def u16(self, v):
        self.num(">H", 2, v)

    def u32(self, v):
        self.num(">I", 4, v)

    def raw(self, b):
        n = len(b)
        end = self.pos + n
        if end > len(self.buf):
            raise ValueError("overflow")
        self.mv[self.pos:end] = b
        self.pos = end

    def length(self, n):
        # A-XDR length: shortest form (dlms-notes 1.2)
        if n < 0x80:
            self.u8(n)
        elif n < 0x100:
            self.u8(0x81)
            self.u8(n)
        elif n < 0x10000:
            self.u8(0x82)
            self.u16(n)
        else:
            self.u8(0x84)
            self.u32(n)

    # --- Data (tagged) ---
    def null(self):
        self.u8(NULL)

    def boolean(self, v):
        self.u8(BOOLEAN)
        self.u8(1 if v else 0)

    def tagged(self, tag, v):
        """A tagged fixed-size number (tag from _NUM)."""
        p = self.pos
        end = p + 1 + _NUM_SIZE[tag]
        if end > len(self.buf):
            raise ValueError("overflow")
        self.buf[p] = tag
        pack_into(_NUM[tag], self.buf, p + 1, v)
        self.pos = end

    def _head(self, tag, n):
        # tag and A-XDR length
        if n < 0x80:
            p = self.pos
            self.buf[p] = tag
            self.buf[p + 1] = n
            self.pos = p + 2
        else:
            self.u8(tag)
            self.length(n)

    def octets(self, b, tag=OCTET_STRING):
        self._head(tag, len(b))
        self.raw(b)

    def structure(self, n):
        self._head(STRUCTURE, n)

    def array(self, n):
        self._head(ARRAY, n)

    def bits(self, nbits, b):
        self.u8(BIT_STRING)
        self.length(nbits)
        self.raw(b[: (nbits + 7) >> 3])

    def data(self, d):
        """Encode a decoded (tag, value) Data tree."""
        tag, v = d
        if tag in _NUM:
            self.tagged(tag, v)
        elif tag == ARRAY or tag == STRUCTURE:
            self.u8(tag)
            self.length(len(v))
            for e in v:
                self.data(e)
        elif tag in _STRINGS:
            self.octets(v, tag)
        elif tag == BOOLEAN:
            self.boolean(v)
        elif tag == NULL or tag == DONT_CARE:
            self.u8(tag)
        elif tag in _OCTETS_FIXED:
            self.u8(tag)
            self.raw(v)
        elif tag == BIT_STRING:
            self.bits(v[0], v[1])
        elif tag == COMPACT_ARRAY:
            desc, items = v
            self.u8(tag)
            self.raw(desc)
            start = self.pos
            self.length(0)  # patched below when the body is short
            body = self.pos
            for e in items:
                self._untagged(e)
            n = self.pos - body
            if n < 0x80:
                self.buf[start] = n
            else:  # re-encode with a long length: shift the body right
                hdr = 2 if n < 0x100 else 3
                self.mv[start + hdr:self.pos + hdr - 1] = bytes(self.mv[body:self.pos])
                self.pos = start
                self.length(n)
                self.pos += n
        else:
            raise ValueError("tag")

    def _untagged(self, d):
        # compact-array contents: values without their tags (Green Book 9.5 / dlms-notes 1.6)
        tag, v = d
        if tag in _NUM:
            self.num(_NUM[tag], _NUM_SIZE[tag], v)
        elif tag in _STRINGS:
            self.length(len(v))
            self.raw(v)
        elif tag == BOOLEAN:
            self.u8(1 if v else 0)
        elif tag in _OCTETS_FIXED:
            self.raw(v)
        elif tag == STRUCTURE or tag == ARRAY:
            for e in v:
                self._untagged(e)
        else:
            raise ValueError("tag")


class Reader:
    """Bounds-checked cursor over a memoryview."""

    def __init__(self, mv, pos=0, end=None):
        self.mv = mv
        self.pos = pos
        self.end = len(mv) if end is None else end

    def need(self, n):
        if self.pos + n > self.end:
            raise DecodeError("truncated")

    def left(self):
        return self.end - self.pos

    def u8(self):
        self.need(1)
        v = self.mv[self.pos]
        self.pos += 1
        return v

    def num(self, fmt, size):
        self.need(size)
        v = unpack_from(fmt, self.mv, self.pos)[0]
        self.pos += size
        return v

    def u16(self):
        # byte arithmetic instead of unpack_from: no result tuple on the heap
        self.need(2)
        mv = self.mv
        p = self.pos
        self.pos = p + 2
        return (mv[p] << 8) | mv[p + 1]

    def u32(self):
        self.need(4)
        mv = self.mv
        p = self.pos
        self.pos = p + 4
        return (mv[p] << 24) | (mv[p + 1] << 16) | (mv[p + 2] << 8) | mv[p + 3]

    def take(self, n):
        self.need(n)
        v = self.mv[self.pos:self.pos + n]
        self.pos += n
        return v

    def length(self):
        b = self.u8()
        if b < 0x80:
            return b
        if b == 0x81:
            return self.u8()
        if b == 0x82:
            return self.u16()
        if b == 0x84:
            return self.u32()
        raise DecodeError("length")

    def data(self, depth=0):
        """Decode one Data element into (tag, value)."""
        if depth > MAX_DEPTH:
            raise DecodeError("depth")
        tag = self.u8()
        if tag in _NUM:
            return tag, self.num(_NUM[tag], _NUM_SIZE[tag])
        if tag == ARRAY or tag == STRUCTURE:
            n = self.length()
            if n > self.left():  # every element takes at least one byte
                raise DecodeError("count")
            return tag, [self.data(depth + 1) for _ in range(n)]
        if tag in _STRINGS:
            return tag, bytes(self.take(self.length()))
        if tag == BOOLEAN:
            return tag, self.u8() != 0
        if tag == NULL or tag == DONT_CARE:
            return tag, None
        if tag in _OCTETS_FIXED:
            return tag, bytes(self.take(_OCTETS_FIXED[tag]))
        if tag == BIT_STRING:
            n = self.length()
            return tag, (n, bytes(self.take((n + 7) >> 3)))
        if tag == COMPACT_ARRAY:
            return tag, self._compact(depth)
        raise DecodeError("tag")

    def _typedesc(self, depth):
        # TypeDescription (dlms-notes 1.6); returns a nested (tag, sub) description
        if depth > MAX_DEPTH:
            raise DecodeError("depth")
        tag = self.u8()
        if tag == STRUCTURE:
            n = self.u8()
            return tag, [self._typedesc(depth + 1) for _ in range(n)]
        if tag == ARRAY:
            n = self.u16()
            return tag, (n, self._typedesc(depth + 1))
        if tag in _NUM or tag in _STRINGS or tag in _OCTETS_FIXED or tag == BOOLEAN:
            return tag, None
        raise DecodeError("typedesc")

    def _untagged(self, desc):
        tag, sub = desc
        if tag in _NUM:
            return tag, self.num(_NUM[tag], _NUM_SIZE[tag])
        if tag in _STRINGS:
            return tag, bytes(self.take(self.length()))
        if tag == BOOLEAN:
            return tag, self.u8() != 0
        if tag in _OCTETS_FIXED:
            return tag, bytes(self.take(_OCTETS_FIXED[tag]))
        if tag == STRUCTURE:
            return tag, [self._untagged(d) for d in sub]
        n, d = sub  # ARRAY
        if n > self.left():
            raise DecodeError("count")
        return tag, [self._untagged(d) for _ in range(n)]

    def _compact(self, depth):
        start = self.pos
        desc = self._typedesc(depth + 1)
        raw_desc = bytes(self.mv[start:self.pos])
        n = self.length()
        self.need(n)
        end = self.pos + n
        items = []
        while self.pos < end:
            items.append(self._untagged(desc))
        if self.pos != end:
            raise DecodeError("compact")
        return raw_desc, items


def decode(b):
    """Decode a whole buffer holding exactly one Data element."""
    r = Reader(memoryview(b))
    d = r.data()
    if r.pos != r.end:
        raise DecodeError("trailing")
    return d


def encode(d, size=2048):
    w = Writer(size)
    w.data(d)
    return bytes(w.mv[: w.pos])
