# SPDX-License-Identifier: MIT
"""The application loop's per-second work allocates nothing (MicroPython only: heap_lock turns
any allocation into MemoryError): a timeline step that ends between event instants
integrates the metering, ticks the demand registers, schedulers and calendars. Steps that
capture (every quarter hour) write files and may allocate."""
import micropython

from unitlib import FakeBoard, Session

T = 190512000 + 10  # 2026-01-14 00:00:10 UTC in meter seconds (since 2020)


def test_timeline_second_allocates_nothing():
    b = FakeBoard(T * 1000)
    s = Session(board=b)
    tl = s.meter.timeline
    for _ in range(3):  # warm-up: caches of the schedulers and calendars filled
        b.t += 1000
        tl.advance()
    for _ in range(20):
        b.t += 1000
        micropython.heap_lock()
        try:
            tl.advance()
        finally:
            micropython.heap_unlock()
    assert tl.t == T + 23
