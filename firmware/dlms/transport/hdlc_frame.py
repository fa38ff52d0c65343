# SPDX-License-Identifier: MIT
"""HDLC frame format type 3 (IEC 62056-46 6.3/6.4; dlms-notes 7.2-7.5): encode into a
preallocated buffer, decode addresses/control, HCS/FCS with CRC-16/X.25."""
from micropython import const

from dlms.util.crc16 import update

_INIT = const(0xFFFF)  # crc16.INIT, GOOD: inlined here
_GOOD = const(0xF0B8)

FLAG = const(0x7E)
MIN_LEN = const(7)  # format(2) + dst(1) + src(1) + control(1) + FCS(2)
MAX_LEN = const(2047)  # 11-bit frame length

# control field values with P/F cleared (dlms-notes 7.4)
SNRM = const(0x83)
DISC = const(0x43)
UA = const(0x63)
DM = const(0x0F)
FRMR = const(0x87)
UI = const(0x03)
RR = const(0x01)
RNR = const(0x05)
PF = const(0x10)

# FRMR reason bits (IEC 62056-46 6.4.4.4.3.9)
FRMR_W = const(0x01)  # control field undefined or not implemented
FRMR_X = const(0x02)  # information field not permitted with this frame
FRMR_Y = const(0x04)  # information field exceeds the negotiated maximum
FRMR_Z = const(0x08)  # invalid N(R)


class Frame:
    """Decoded header of a received frame; fields point into the receive buffer."""

    __slots__ = ("upper", "lower", "addr_start", "addr_len", "client", "control",
                 "info_start", "info_end", "segmented")

    def __init__(self):
        self.upper = 0
        self.lower = -1
        self.addr_start = 0
        self.addr_len = 0
        self.client = 0
        self.control = 0
        self.info_start = 0
        self.info_end = 0
        self.segmented = False


def decode(f, n, fr):
    """Decode f[0:n] (format field .. FCS, flags stripped) into Frame fr.
    Returns False for a frame to discard silently (bad length, address form or CRC)."""
    if n < MIN_LEN or (f[0] & 0xF0) != 0xA0 or (((f[0] & 7) << 8) | f[1]) != n:
        return False
    if update(_INIT, f, 0, n) != _GOOD:
        return False
    i = 2
    while i < n - 4 and not f[i] & 1:
        i += 1
    alen = i - 1
    if alen == 1:
        fr.upper = f[2] >> 1
        fr.lower = -1
    elif alen == 2:
        fr.upper = f[2] >> 1
        fr.lower = f[3] >> 1
    elif alen == 4:
        fr.upper = ((f[2] >> 1) << 7) | (f[3] >> 1)
        fr.lower = ((f[4] >> 1) << 7) | (f[5] >> 1)
    else:
        return False
    fr.addr_start = 2
    fr.addr_len = alen
    src = 2 + alen
    if src + 1 >= n - 2 or not f[src] & 1:  # client address is one byte
        return False
    fr.client = f[src] >> 1
    fr.control = f[src + 1]
    hdr = src + 2
    fr.segmented = bool(f[0] & 0x08)
    if n > hdr + 2:  # information field present: HCS follows the control field
        if update(_INIT, f, 0, hdr + 2) != _GOOD:
            return False
        fr.info_start = hdr + 2
        fr.info_end = n - 2
    else:
        fr.info_start = fr.info_end = hdr
    return True


def size(src_len, ninfo):
    """Bytes of a frame with both flags (encode's result): a src_len-byte server address
    and ninfo bytes of information field (LLC header included)."""
    return 2 + 1 + src_len + 1 + (ninfo + 4 if ninfo else 2) + 2


def encode(buf, dst, src, src_len, control, info, i0, i1, segmented, prefix=None):
    """Write a complete frame (with both flags) into buf; returns its length.
    dst: client address byte; src: server address bytes (as received), src_len bytes of it.
    info[i0:i1] is the information field, optionally preceded by `prefix` (LLC header).
    A buf of exactly size() bytes (a memoryview) is cheapest: MicroPython's slice assignment
    also moves the target's tail."""
    plen = len(prefix) if prefix else 0
    ninfo = (i1 - i0) + plen
    hdr = 2 + 1 + src_len + 1
    n = hdr + (ninfo + 4 if ninfo else 2)
    buf[0] = FLAG
    buf[1] = 0xA0 | (0x08 if segmented else 0) | (n >> 8)
    buf[2] = n & 0xFF
    buf[3] = dst
    for k in range(src_len):
        buf[4 + k] = src[k]
    p = 4 + src_len
    buf[p] = control
    p += 1
    if ninfo:
        c = update(_INIT, buf, 1, p) ^ 0xFFFF  # HCS
        buf[p] = c & 0xFF
        buf[p + 1] = c >> 8
        p += 2
        if plen:
            buf[p:p + plen] = prefix
            p += plen
        m = i1 - i0
        buf[p:p + m] = info[i0:i1]
        p += m
    c = update(_INIT, buf, 1, p) ^ 0xFFFF  # FCS
    buf[p] = c & 0xFF
    buf[p + 1] = c >> 8
    buf[p + 2] = FLAG
    return p + 3


def address_bytes(upper, lower, form):
    """Server address in the 1-, 2- or 4-byte form (dlms-notes 7.3)."""
    if form == 1:
        return bytes(((upper << 1) | 1,))
    if form == 2:
        return bytes((upper << 1, (lower << 1) | 1))
    return bytes((((upper >> 7) & 0x7F) << 1, (upper & 0x7F) << 1,
                  ((lower >> 7) & 0x7F) << 1, ((lower & 0x7F) << 1) | 1))
