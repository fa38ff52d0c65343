# SPDX-License-Identifier: MIT
"""Simulated metering front-end for the host build: integrates a deterministic daily load
curve into the energy registers (the full metrology twin belongs to the meter-application
work; a real metering IC plugs in behind the same read_* calls)."""

WRAP_WH = 1000000000  # KSMW 5.2: direct connected meter wraps at 999 999 999 Wh/varh


class SimMetering:
    def __init__(self, now_ms, local_hour):
        self.now_ms = now_ms
        self.local_hour = local_hour  # callable(utc_s) -> local hour 0..23
        self.t = now_ms()
        # energy accumulators in mWh / mvarh: +A, -A, +R, -R
        self.acc = [1234567000, 23456000, 345678000, 4567000]
        self.max_demand = [2300, 1500, 400, 90]
        self.md_time = [None, None, None, None]

    def power(self, utc_s):
        """(+P, -P, +Q, -Q) in W/var: import at night, export around noon (PV)."""
        h = self.local_hour(utc_s)
        if 10 <= h < 16:
            return 0, 1500, 0, 90
        return 2300, 0, 400, 0

    def update(self):
        t = self.now_ms()
        dt = t - self.t
        if dt <= 0:
            return
        self.t = t
        p = self.power(t // 1000)
        for i in range(4):
            # W * ms / 3600 = mWh
            self.acc[i] = (self.acc[i] + p[i] * dt // 3600) % (WRAP_WH * 1000)

    def energy_wh(self, i):
        self.update()
        return self.acc[i] // 1000
