# SPDX-License-Identifier: MIT
"""IEC 62056-47 (62056-4-7) TCP/UDP wrapper header (dlms-notes 8): version, source
wPort, destination wPort, length; all uint16 big-endian."""
from micropython import const
from struct import pack_into, unpack_from

HEADER = const(8)
VERSION = const(1)


def parse(buf, off=0):
    """-> (version, source, destination, length)."""
    return unpack_from(">HHHH", buf, off)


def write(buf, off, source, destination, length):
    pack_into(">HHHH", buf, off, VERSION, source, destination, length)
