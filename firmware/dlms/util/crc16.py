# SPDX-License-Identifier: MIT
"""CRC-16/X.25 for HDLC HCS/FCS (IEC 62056-46 6.4.4.4; dlms-notes 7.5).

Uses the C module `_dlms_crc` when the firmware or a natmod provides it,
else this table-driven fallback with the same API.
"""
from micropython import const

INIT = const(0xFFFF)
GOOD = const(0xF0B8)  # register value after data + received FCS (no final XOR)



def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
        t.append(c)
    return tuple(t)


_T = None  # built on first use: with the C core the 1.3 KB table never takes heap


def update_py(crc, buf, start, end):
    """Pure-Python fallback (same API as the C core): CRC register over buf[start:end]."""
    global _T
    t = _T
    if t is None:
        t = _T = _table()
    for i in range(start, end):
        crc = (crc >> 8) ^ t[(crc ^ buf[i]) & 0xFF]
    return crc


try:
    from _dlms_crc import update  # C core: update(crc, buf, start, end) -> crc
except ImportError:
    update = update_py


def fcs(buf, start, end):
    """Final CRC value (after XOR) over buf[start:end]; sent low byte first."""
    return update(INIT, buf, start, end) ^ 0xFFFF
