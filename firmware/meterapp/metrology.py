# SPDX-License-Identifier: MIT
"""Simulated metering front-end for the host build: integrates a deterministic daily load
curve into the energy registers (the full metrology twin belongs to the meter-application
work; a real metering IC plugs in behind the same read_* calls). instant() derives the
KSMW 5.9.1 instantaneous values per phase from the same load curve: nominal voltages, the
power shared evenly over the phases, 50 Hz."""
import math

WRAP_WH = 1000000000  # KSMW 5.2: direct connected meter wraps at 999 999 999 Wh/varh
VOLTS = (230.1, 229.8, 230.4)  # L1..L3
HZ = 50.0


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

    def phase_power(self, utc_s, k, phases):
        """(+P, -P, +Q, -Q) in W/var of phase k (1..3), or of all phases (k = 0)."""
        p = self.power(utc_s)
        if k == 0:
            return p
        if k > phases:
            return (0, 0, 0, 0)
        return (p[0] / phases, p[1] / phases, p[2] / phases, p[3] / phases)

    def instant(self, c, d, e, phases, utc_s):
        """Value of OBIS 1-0:c.d.e (KSMW 5.9.1; 5.9.4 averages, minima, maxima of the steady
        curve) in V, A, W, var, VA, Hz, degrees or a ratio; phases: 1 or 3."""
        if c == 81:  # phase angle U-I of L1, L2, L3: E = 40, 51, 62
            ip, ep, iq, eq = self.phase_power(utc_s, (e - 29) // 11, phases)
            return math.degrees(math.atan2(iq - eq, ip - ep))
        if c == 90:  # current, sum over the phases
            return sum(self.instant(11 + 20 * k, d, 0, phases, utc_s)
                       for k in range(1, phases + 1))
        if c == 14:
            return HZ
        if 84 <= c <= 87:  # power factor export (-P/-S) total, L1..L3
            k, q = c - 84, 13
        else:
            k, q = (c - 1) // 20, (c - 1) % 20 + 1
        if q == 12:  # voltage
            v = VOLTS[k - 1] if 0 < k <= phases else 0.0
            return v - 1.2 if d == 23 else v + 1.5 if d == 26 else v
        ip, ep, iq, eq = self.phase_power(utc_s, k, phases)
        s = math.sqrt((ip + ep) ** 2 + (iq + eq) ** 2)
        if q == 11:  # current
            return s / VOLTS[k - 1] if 0 < k <= phases else 0.0
        if q == 13:  # power factor import (+P/+S) or export (-P/-S)
            p = ep if c >= 84 else ip
            return p / s if p else 0.0
        if q == 15:  # +P + -P
            return ip + ep
        # 1 +P, 2 -P, 3 +Q, 4 -Q, 9 +S (importing), 10 -S (exporting)
        return (ip, ep, iq, eq, 0, 0, 0, 0, s if ip else 0, s if ep else 0)[q - 1]
