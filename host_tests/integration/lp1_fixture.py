# SPDX-License-Identifier: MIT
"""Oracle of the prefilled load profile 1 (1-0:99.1.0.255) of the `lp1_meter` fixture
(conftest.py): 5760 entries stored at boot (tools/run_meter.py --fill-lp1 T0;
meterapp/profiles.py prefill_lp1) at T0 + 900 k with the values of lp1_row(k), restated here.
T0 puts the last prefilled entry on the current quarter hour: the meter's own captures
continue the series (k >= 5760, live values) and push the oldest entries out, so a test
derives k from each row's time."""
import datetime

LP1 = "1-0:99.1.0.255"
CLOCK = "0-0:1.0.0.255"
N = 5760
PERIOD = 900
TIME_ZONE = -60  # clock attribute 3 (CET), Blue Book sense: UTC = local + deviation
STATUS_DST = 0x80
UTC = datetime.timezone.utc


def lp1_row(k):
    """status, +A, -A, +R, -R of prefilled entry k."""
    return [(k * 7) & 0xFF, 1000000 + 25 * k, 500000 + 3 * k, 200000 + 7 * k, 100000 + k]


def dt_utc(raw):
    """12-byte COSEM date-time (with deviation) -> aware UTC datetime."""
    raw = bytes(raw)
    assert len(raw) == 12, raw.hex(" ")
    year = int.from_bytes(raw[0:2], "big")
    dev = int.from_bytes(raw[9:11], "big", signed=True)
    assert dev != -0x8000, raw.hex(" ")
    dst = bool(raw[11] & STATUS_DST)
    assert dev == TIME_ZONE - (60 if dst else 0), raw.hex(" ")
    local = datetime.datetime(year, raw[2], raw[3], raw[5], raw[6], raw[7])
    assert raw[4] == local.isoweekday(), raw.hex(" ")
    return (local + datetime.timedelta(minutes=dev)).replace(tzinfo=UTC)


def encode_dt(when, deviation=0):
    """Aware datetime -> 12-byte date-time as local time for `deviation` (Blue Book sense)."""
    local = when.astimezone(UTC) - datetime.timedelta(minutes=deviation)
    return (local.year.to_bytes(2, "big") + bytes((local.month, local.day, local.isoweekday(),
                                                    local.hour, local.minute, local.second, 0))
            + deviation.to_bytes(2, "big", signed=True) + b"\x00")


class Lp1:
    """Expected content of the prefilled LP1."""

    def __init__(self, t0):
        self.t0 = t0

    def time(self, k):
        return datetime.datetime.fromtimestamp(self.t0 + PERIOD * k, UTC)

    def k_of(self, raw):
        t = int(dt_utc(raw).timestamp()) - self.t0
        assert t % PERIOD == 0, (t, bytes(raw).hex(" "))
        return t // PERIOD

    def check(self, rows, first_k=None, cols=(0, 1, 2, 3, 4, 5)):
        """Rows (lists of plain values for the columns `cols` of LP1) are consecutive entries
        from first_k (or from the k of their first time) -> the k of the first row."""
        assert rows, "no rows"
        for i, row in enumerate(rows):
            assert len(row) == len(cols), row
            if 0 in cols:
                k = self.k_of(row[cols.index(0)])
                if first_k is None:
                    first_k = k
                assert k == first_k + i, (k, first_k, i)
            else:
                k = first_k + i
            if k < N:
                want = [None] + lp1_row(k)
                got = [row[j] for j, c in enumerate(cols) if c > 0]
                assert got == [want[c] for c in cols if c > 0], (k, row)
        return first_k
