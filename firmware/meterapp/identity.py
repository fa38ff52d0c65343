# SPDX-License-Identifier: MIT
"""Identification numbers (KSMW 5.1): COSEM logical device name and system title derived
from one manufacturer code and serial number."""


def logical_device_name(manufacturer, meter_type, serial):
    """3-byte FLAG code + 3-byte meter type + last 10 serial digits, ASCII (16 bytes)."""
    return (manufacturer + meter_type + serial[-10:]).encode()


def system_title(manufacturer, serial):
    """3-byte FLAG code + the last 10 serial digits as a 5-byte binary number."""
    n = int(serial[-10:])
    return manufacturer.encode() + bytes(((n >> 32) & 0xFF, (n >> 24) & 0xFF, (n >> 16) & 0xFF,
                                          (n >> 8) & 0xFF, n & 0xFF))
