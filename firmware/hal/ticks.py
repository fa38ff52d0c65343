# SPDX-License-Identifier: MIT
"""time.ticks_ms / ticks_add / ticks_diff for the board layer, with a CPython stand-in (the unit tests
of hal/machine_board.py and hal/s0_metering.py run there too): MicroPython's tick period,
2**30 ms."""
try:
    from time import ticks_add, ticks_diff, ticks_ms
except ImportError:  # CPython
    import time

    def ticks_ms():
        return int(time.monotonic() * 1000) & 0x3FFFFFFF

    def ticks_add(a, d):
        return (a + d) & 0x3FFFFFFF

    def ticks_diff(a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000
