# SPDX-License-Identifier: MIT
"""Minimal ASN.1 DER reader and writer for X.509 certificates and PKCS#10 requests
(ITU-T X.690 8 and 10; Green Book 9.2.6.4; KSMW 3.5.2).

Reader: works on offsets into a buffer (bytes, bytearray or memoryview) instead of
slices, so walking a certificate allocates only small tuples:

    tag, vs, ve = tlv(buf, pos, end)        one element at pos; its value is buf[vs:ve]
    vs, ve = expect(buf, pos, end, tag)     the same, the tag must match
    for tag, vs, ve in children(buf, vs, ve): ...   the elements of a constructed value
    uint_into(buf, vs, ve, out, off, n)     INTEGER content -> n-byte big-endian, unsigned
    bits(buf, vs, ve) -> (unused, ds)       BIT STRING content: data is buf[ds:ve]
    equal(buf, vs, ve, const_bytes)         compare a span (OID content, names) without a copy

Only what the certificate profile needs: one-byte tags (low tag numbers), definite
lengths in minimal form up to 0xFFFF (X.690 10.1). Anything else raises ValueError.

Writer: forward into a caller's preallocated bytearray with lengths known in advance.
Nested lengths are computed first with size()/uint_size() (the structures we write are
small and fixed), so nothing is shifted or patched afterwards:

    w = Writer(buf)
    w.hdr(SEQUENCE, size(a) + size(b)); w.hdr(INTEGER, ...); w.raw(...); w.uint(...)
"""
from micropython import const

INTEGER = const(0x02)
BIT_STRING = const(0x03)
OCTET_STRING = const(0x04)
NULL = const(0x05)
OID = const(0x06)
UTF8_STRING = const(0x0C)
PRINTABLE_STRING = const(0x13)
IA5_STRING = const(0x16)
UTC_TIME = const(0x17)
GENERALIZED_TIME = const(0x18)
BOOLEAN = const(0x01)
SEQUENCE = const(0x30)
SET = const(0x31)
CTX0 = const(0xA0)  # [0] constructed
CTX1 = const(0xA1)
CTX3 = const(0xA3)

MAX_LEN = const(0xFFFF)


def tlv(buf, pos, end):
    """Element at buf[pos:end] -> (tag, value_start, value_end); ValueError if malformed."""
    if pos + 2 > end:
        raise ValueError("DER truncated")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("DER high tag number")  # not used by X.509/PKCS#10 (X.690 8.1.2.4)
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 2:
            raise ValueError("DER length form")  # indefinite or > 0xFFFF (X.690 10.1)
        if pos + k > end:
            raise ValueError("DER truncated")
        n = buf[pos]
        if k == 2:
            n = (n << 8) | buf[pos + 1]
        pos += k
        if n < 0x80 or (k == 2 and n < 0x100):
            raise ValueError("DER length not minimal")  # X.690 10.1
    if n > end - pos:
        raise ValueError("DER truncated")
    return tag, pos, pos + n


def expect(buf, pos, end, tag):
    """tlv() that requires `tag`; -> (value_start, value_end)."""
    t, vs, ve = tlv(buf, pos, end)
    if t != tag:
        raise ValueError("DER unexpected tag")
    return vs, ve


def children(buf, vs, ve):
    """Iterate (tag, value_start, value_end) over the elements of buf[vs:ve]."""
    pos = vs
    while pos < ve:
        t, s, e = tlv(buf, pos, ve)
        yield t, s, e
        pos = e


def equal(buf, vs, ve, ref):
    """buf[vs:ve] == ref, without copying the span."""
    n = len(ref)
    if ve - vs != n:
        return False
    for i in range(n):
        if buf[vs + i] != ref[i]:
            return False
    return True


def uint_span(buf, vs, ve):
    """Content of a non-negative INTEGER without its sign octet -> (start, end).
    DER rules (X.690 8.3.2): not empty, minimal, and here not negative."""
    if vs >= ve:
        raise ValueError("DER empty INTEGER")
    b0 = buf[vs]
    if b0 & 0x80:
        raise ValueError("DER negative INTEGER")
    if b0 == 0 and ve - vs > 1:
        if not buf[vs + 1] & 0x80:
            raise ValueError("DER INTEGER not minimal")
        vs += 1
    return vs, ve


def uint_into(buf, vs, ve, out, off, n):
    """INTEGER content buf[vs:ve] -> out[off:off+n] big-endian, left zero-padded.
    ValueError if negative, not minimal or longer than n octets."""
    s, e = uint_span(buf, vs, ve)
    k = e - s
    if k > n:
        raise ValueError("DER INTEGER too long")
    for i in range(n - k):
        out[off + i] = 0
    off += n - k
    for i in range(k):
        out[off + i] = buf[s + i]


def small_uint(buf, vs, ve):
    """INTEGER content -> int, for versions and path lengths (at most 2 octets)."""
    s, e = uint_span(buf, vs, ve)
    if e - s > 2:
        raise ValueError("DER INTEGER too large")
    v = 0
    for i in range(s, e):
        v = (v << 8) | buf[i]
    return v


def boolean(buf, vs, ve):
    """BOOLEAN content -> bool; DER TRUE is FF (X.690 11.1)."""
    if ve - vs != 1 or buf[vs] not in (0, 0xFF):
        raise ValueError("DER BOOLEAN")
    return buf[vs] == 0xFF


def bits(buf, vs, ve):
    """BIT STRING content -> (unused_bits, data_start); the data is buf[data_start:ve]."""
    if vs >= ve:
        raise ValueError("DER empty BIT STRING")
    u = buf[vs]
    if u > 7 or (u and ve - vs == 1):
        raise ValueError("DER BIT STRING unused bits")
    return u, vs + 1


def len_size(n):
    """Octets of the DER length field for a value of n octets."""
    if n < 0x80:
        return 1
    if n < 0x100:
        return 2
    if n <= MAX_LEN:
        return 3
    raise ValueError("DER length too large")


def size(n):
    """Total size of an element (one-byte tag) whose value is n octets."""
    return 1 + len_size(n) + n


def uint_len(num, off=0, n=None):
    """Content length of the INTEGER for the unsigned big-endian num[off:off+n]."""
    if n is None:
        n = len(num) - off
    i = 0
    while i < n - 1 and num[off + i] == 0:
        i += 1
    k = n - i
    return k + 1 if num[off + i] & 0x80 else k


def uint_size(num, off=0, n=None):
    """Total size of that INTEGER element."""
    return size(uint_len(num, off, n))


class Writer:
    """Forward DER writer into a preallocated bytearray; pos = bytes written so far."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf, pos=0):
        self.buf = buf
        self.pos = pos

    def _room(self, n):
        if self.pos + n > len(self.buf):
            raise ValueError("DER output buffer too small")

    def byte(self, v):
        self._room(1)
        self.buf[self.pos] = v
        self.pos += 1

    def raw(self, data, off=0, n=None):
        if n is None:
            n = len(data) - off
        self._room(n)
        b = self.buf
        p = self.pos
        for i in range(n):
            b[p + i] = data[off + i]
        self.pos = p + n

    def hdr(self, tag, n):
        """Tag and minimal definite length for a value of n octets that follows."""
        k = len_size(n)
        self._room(k + 1)
        b = self.buf
        p = self.pos
        b[p] = tag
        if k == 1:
            b[p + 1] = n
        elif k == 2:
            b[p + 1] = 0x81
            b[p + 2] = n
        else:
            b[p + 1] = 0x82
            b[p + 2] = n >> 8
            b[p + 3] = n & 0xFF
        self.pos = p + 1 + k

    def uint(self, num, off=0, n=None):
        """INTEGER for the unsigned big-endian num[off:off+n] (leading zeros dropped,
        a 00 sign octet added when the top bit is set; X.690 8.3)."""
        if n is None:
            n = len(num) - off
        i = 0
        while i < n - 1 and num[off + i] == 0:
            i += 1
        k = n - i
        sign = 1 if num[off + i] & 0x80 else 0
        self.hdr(INTEGER, k + sign)
        if sign:
            self.byte(0)
        self.raw(num, off + i, k)
