# SPDX-License-Identifier: MIT
"""The firmware's heap stays flat while a full load profile 1 (5760 rows, ~219 kB of
A-XDR) is read (issue #5): the meter runs with --heap-report (live heap after a collection
every 16 responses served and at the end of each association, meterapp/app.py heap_report:
samples by what the meter served, so as many on a slow machine as on a fast one) and the
whole LP1 buffer is read three times with gurux-dlms over the TCP wrapper; the live heap
during and after each read stays within a few kilobytes of the level after the warm-up
association, with no growth from read to read. The rows stream from the ring files into
the GET blocks: nothing grows with the profile's length."""
import re
import time

import pytest

from conftest import HEAP, Meter
from lp1_fixture import LP1, N, PERIOD
from test_interop_gurux import management

SAMPLE = re.compile(r"heap: alloc=(\d+) free=(\d+) (\S+)")
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
    """(alloc, what) of the heap lines from output line `since` on."""
    return [(int(g.group(1)), g.group(3)) for g in (SAMPLE.search(x) for x in m.output[since:])
            if g]


def until_end(m, since, deadline=120):
    """The samples from `since` up to the next association's end sample, once it came:
    (alloc of the samples taken while serving, alloc at the end)."""
    limit = time.monotonic() + deadline
    while True:
        got = samples(m, since)
        ends = [i for i, (_, what) in enumerate(got) if what == "end"]
        if ends:
            return [v for v, _ in got[:ends[0]]], got[ends[0]][0]
        assert time.monotonic() < limit, ("no end-of-association heap sample", got)
        assert m.alive(), "the firmware died"
        time.sleep(0.1)


def test_heap_flat_during_full_lp1_reads(meter):
    mark = len(meter.output)
    with management(meter, "tcp") as m:  # warm-up: the client's counter records exist
        m.associate()
        assert m.get(7, LP1, 7) == N
    _, base = until_end(meter, mark)
    reads, after = [], []
    for _ in range(3):
        mark = len(meter.output)
        with management(meter, "tcp") as m:
            m.associate()
            rows = m.get(7, LP1, 2)  # ~180 GET data blocks: a sample every 16 of them
            assert len(rows) == N
        during, end = until_end(meter, mark)
        reads.append(during)
        after.append(end)
    for during in reads:
        assert len(during) >= 8, reads
        assert max(during) - base <= ASSOCIATION, (HEAP, base, reads)
        assert max(during) - during[0] <= FLAT, (base, reads)  # no growth as rows stream
    assert max(after) - base <= FLAT, (base, after)  # all released after each read
    assert max(max(r) for r in reads) - min(max(r) for r in reads) <= FLAT, reads
