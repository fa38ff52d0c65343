# SPDX-License-Identifier: MIT
"""KSMW 5.1 identification and calendar arithmetic."""
from unitlib import h

from dlms.util import timeconv as tc
from meterapp.identity import logical_device_name, system_title


def test_ksmw_5_1_example():
    assert logical_device_name("KFM", "100", "1KFM0100000001") == b"KFM1000100000001"
    assert system_title("KFM", "1KFM0100000001") == h("4B464D0005F5E101")


def test_civil_days_round_trip():
    for y, m, d in ((1970, 1, 1), (2000, 2, 29), (2026, 11, 23), (2099, 12, 31), (1969, 12, 31)):
        assert tc.civil_from_days(tc.days_from_civil(y, m, d)) == (y, m, d)
    assert tc.days_from_civil(2000, 1, 1) == -7305  # days since 2020-01-01
    assert tc.days_from_civil(2020, 1, 1) == 0 and tc.weekday(0) == 3  # a Wednesday
    assert tc.weekday(tc.days_from_civil(2026, 11, 23)) == 1  # a Monday


def test_datetime_pack():
    b = bytearray(12)
    tc.pack_datetime(b, 0, tc.to_secs(2002, 12, 4, 10, 6, 11), 0xFF, 120, 0)
    assert bytes(b) == h("07D20C04030A060BFF007800")  # dlms-notes 1.5 example
    assert tc.unpack_datetime(b)[:8] == (2002, 12, 4, 3, 10, 6, 11, 0xFF)


def test_resolve_day_patterns():
    assert tc.resolve_day(2026, 3, 0xFE, 7) == 29  # last Sunday of March 2026
    assert tc.resolve_day(2026, 10, 0xFE, 7) == 25
    assert tc.resolve_day(2026, 2, 0xFE, 0xFF) == 28
    assert tc.resolve_day(2026, 2, 0xFD, 0xFF) == 27
    assert tc.resolve_day(2026, 11, 1, 1) == 2  # first Monday on or after the 1st
    assert tc.resolve_day(2026, 2, 30, 0xFF) is None
