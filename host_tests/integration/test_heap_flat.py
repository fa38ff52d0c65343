# SPDX-License-Identifier: MIT
"""The firmware's heap stays flat while a full load profile 1 (5760 rows, ~219 kB of
A-XDR) is read (issue #5): the meter runs with --heap-report (live heap after a collection,
every second) and the whole LP1 buffer is read three times with gurux-dlms over the TCP
wrapper; the live heap during and after each read stays within a few kilobytes of the
level before the first one, with no growth from read to read. The rows stream from the
ring files into the GET blocks: nothing grows with the profile's length."""
import re
import time

import pytest

from conftest import HEAP, Meter
from lp1_fixture import LP1, N, PERIOD
from test_interop_gurux import management

SAMPLE = re.compile(r"heap: alloc=(\d+) free=(\d+)")
ASSOCIATION = 8192  # bytes: an open ciphered association and its in-flight request
FLAT = 1024  # bytes: what the live heap may move while the rows stream


@pytest.fixture(scope="module")
def meter():
    now = int(time.time())
    t0 = now - now % PERIOD - (N - 1) * PERIOD
    m = Meter(args=("--fill-lp1", str(t0), "--heap-report"))
    yield m
    assert m.alive(), "the firmware died during the test"
    m.stop()


def samples(m, since):
    return [int(g.group(1)) for g in (SAMPLE.search(x) for x in m.output[since:]) if g]


def wait_samples(m, since, n):
    deadline = time.time() + 10
    while len(samples(m, since)) < n and time.time() < deadline:
        time.sleep(0.2)
    return samples(m, since)


def test_heap_flat_during_full_lp1_reads(meter):
    with management(meter, "tcp") as m:  # warm-up: the client's counter records exist
        m.associate()
        assert m.get(7, LP1, 7) == N
    mark = len(meter.output)
    base = min(wait_samples(meter, mark, 3))
    reads, after = [], []
    for _ in range(3):
        mark = len(meter.output)
        with management(meter, "tcp") as m:
            m.associate()
            rows = m.get(7, LP1, 2)  # ~4 s: several samples while the rows stream
            assert len(rows) == N
            during = samples(meter, mark)
        reads.append(during)
        mark = len(meter.output)
        after.append(min(wait_samples(meter, mark, 2)))
    for during in reads:
        assert len(during) >= 2, reads
        assert max(during) - base <= ASSOCIATION, (HEAP, base, reads)
        assert max(during) - during[0] <= FLAT, (base, reads)  # no growth as rows stream
    assert max(after) - base <= FLAT, (base, after)  # all released after each read
    assert max(max(r) for r in reads) - min(max(r) for r in reads) <= FLAT, reads
