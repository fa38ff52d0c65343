# SPDX-License-Identifier: MIT
"""Clock (IC 8) season handling and KSMW 5.4 setting rules."""
from unitlib import h

from dlms.cosem.base import OTHER_REASON, SUCCESS
from dlms.cosem.ic008_clock import Clock
from dlms.util import timeconv as tc

SPRING = tc.to_secs(2026, 3, 29, 1, 0, 0)  # EU switch instant, 01:00 UTC
AUTUMN = tc.to_secs(2026, 10, 25, 1, 0, 0)


def clock_at(utc_s):
    """A clock on an RTC at meter second utc_s; t[0]: the RTC in meter ms."""
    t = [utc_s * 1000]

    def now(out):
        out[0] = t[0] // 1000
        out[1] = t[0] % 1000

    c = Clock(b"\x00\x00\x01\x00\x00\xff", now)
    return c, t


def test_dst_switch_instants():
    c, _ = clock_at(0)
    assert c.deviation(SPRING - 1) == -60 and c.deviation(SPRING) == -120
    assert c.deviation(AUTUMN - 1) == -120 and c.deviation(AUTUMN) == -60
    assert c.local(SPRING) - c.local(SPRING - 1) == 3601


def test_datetime_attribute_in_summer():
    c, t = clock_at(tc.to_secs(2026, 7, 1, 10, 0, 0))
    assert bytes(c.datetime()) == h("07EA0701 03 0C0000 00 FF88 80")  # 12:00 CEST, Wednesday


def test_local_to_utc_gap_and_overlap():
    c, t = clock_at(tc.to_secs(2026, 10, 25, 0, 30, 0))  # still summer time
    assert c.local_to_utc(tc.to_secs(2026, 3, 29, 2, 30, 0)) is None  # does not exist
    amb = tc.to_secs(2026, 10, 25, 2, 30, 0)
    assert c.local_to_utc(amb) == amb - 7200  # keeps the active (summer) season
    t[0] = (AUTUMN + 3600) * 1000
    assert c.local_to_utc(amb) == amb - 3600


def test_set_rules():
    c, t = clock_at(tc.to_secs(2026, 1, 10, 11, 0, 0))
    assert c.set_local(h("07EA010AFF 0C0001 00 8000FF")) == SUCCESS  # +1 s: ignored
    assert c.off_s == c.off_ms == 0
    assert c.set_local(h("07EA010AFF 0C0100 00 8000FF")) == SUCCESS  # +60 s
    assert c.utc() == tc.to_secs(2026, 1, 10, 11, 1, 0)
    assert c.set_local(h("07EA031DFF 021E00 00 8000FF")) == OTHER_REASON  # spring gap
    assert c.set_local(h("FFFF010AFF 0C0000 00 8000FF")) == OTHER_REASON
    assert c.set_local(h("07EA021EFF 0C0000 00 8000FF")) == OTHER_REASON  # 30 February
