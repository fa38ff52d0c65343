# SPDX-License-Identifier: MIT
"""CPU time of the meter application per simulated day (MicroPython, run by tools/bench.py):
the timeline steps a meter with files in a store folder through 96 quarter hours (energy,
demand, LP1 captures, tariff switches, LP2 at midnight, PQ every 10 min) in one-minute loop
steps, as the application loop does at --speed 60. Prints
'timeline_ms_per_day <ms> <lp1 entries>'."""
import sys
import time

if len(sys.argv) > 2:  # IMAGE FALLBACK: bytecode in place from ROMFS, as on a board
    import romfs_host

    romfs_host.mount_or_fallback(sys.argv[1], sys.argv[2], quiet=True)

from hal.base import Board  # noqa: E402
from meterapp.app import build  # noqa: E402

T0 = 1768348800  # 2026-01-14 00:00 UTC
DIR = "build/bench-timeline"


class StoreBoard(Board):
    identity = {"manufacturer": "KFM", "serial": "1KFM0100000001", "meter_type": "200"}

    def __init__(self):
        self.s = T0 - 1577836800  # meter seconds (dlms/util/timeconv.py)

    def now(self, t):
        t[0] = self.s
        t[1] = 0

    def store_dir(self):
        return DIR

    def metering(self, local):
        from hal.sim_metering import SimMetering

        return SimMetering(local)


def main():
    b = StoreBoard()
    meter, _server, _hdlc = build(b)
    tl = meter.timeline
    lp1 = meter.profiles.lp1
    n0 = lp1.entries_in_use()
    t0 = time.ticks_ms()
    for _ in range(1440):
        b.s += 60
        tl.advance()
    ms = time.ticks_diff(time.ticks_ms(), t0)
    print("timeline_ms_per_day %d %d" % (ms, lp1.entries_in_use() - n0))


main()
