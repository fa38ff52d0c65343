# SPDX-License-Identifier: MIT
"""S0 impulse-input metering front-end (hal/base.py metering contract) for boards without a
metering IC: a reference meter's S0 outputs (EN 62053-31; open collector, pulse >= 30 ms)
wired to input pins, one input per quantity (+A, -A, +R, -R), each impulse 1/imp_kwh kWh
(kvarh).

The pin interrupt calls pulse(q, ticks) (hal/machine_board.py); energy() hands out whole
mWh (mvarh) of the impulses counted since its last call and keeps the remainder
(imp_kwh need not divide 10**6: 375 imp/kWh is 2666.67 mWh per impulse); instant() gives the
power of a quantity from the interval between its last two impulses, falling off as 3.6e9 /
(imp_kwh x ms since the last one) when that is longer, 0 after STALE_MS without impulses.
Voltages, currents, frequency and angles are not measured by impulses: 0.

Counters only count up, each written by one side (the interrupt counts, energy() remembers
what it has handed out), so an impulse arriving while energy() runs is never lost; they wrap
at 2**30 (a small int on a 32-bit port: no allocation in the interrupt)."""
from micropython import const

from hal.ticks import ticks_diff
from hal.ticks import ticks_ms as _ticks_ms

_WRAP = const(0x3FFFFFFF)
STALE_MS = const(300000)  # no impulse for 5 min: power 0
DEBOUNCE_MS = const(20)  # S0 impulses last >= 30 ms: edges closer than this are bounce
_MWH_PER_KWH = const(1000000)


class S0Metering:
    def __init__(self, local, imp_kwh=1000, ticks_ms=None):
        """local(utc_s) -> local wall seconds (kept for the contract; impulses need no
        clock); imp_kwh: impulses per kWh (kvarh) of the reference meter's S0 output."""
        if not 0 < imp_kwh <= _MWH_PER_KWH:
            raise ValueError("imp_kwh %r: 1..1000000 impulses per kWh" % (imp_kwh,))
        self.local = local
        self.k = imp_kwh
        self.ticks_ms = ticks_ms or _ticks_ms
        self.n = [0, 0, 0, 0]  # impulses counted (interrupt side), wrapping at 2**30
        self.seen = [0, 0, 0, 0]  # impulses handed out as energy
        self.rem = [0, 0, 0, 0]  # mWh x imp_kwh not yet handed out
        self.last = [None, None, None, None]  # ticks of the last impulse per quantity
        self.dt = [0, 0, 0, 0]  # ms between the last two impulses (0: fewer than two)
        self.started = False

    def pulse(self, q, t):
        """One impulse of quantity q (0 +A, 1 -A, 2 +R, 3 -R) at ticks t (interrupt side)."""
        last = self.last[q]
        if last is not None:
            d = ticks_diff(t, last)
            if d < DEBOUNCE_MS:
                return
            self.dt[q] = d
        self.last[q] = t
        self.n[q] = (self.n[q] + 1) & _WRAP

    def energy(self, out, s, ms):
        """Add the energy of the impulses since the last call to out[0..3] (mWh/mvarh); the
        first call only starts measuring (impulses before it are dropped)."""
        n = self.n
        seen = self.seen
        if not self.started:
            self.started = True
            for i in range(4):
                seen[i] = n[i]
            return
        k = self.k
        rem = self.rem
        for i in range(4):
            c = n[i]
            d = (c - seen[i]) & _WRAP
            if d:
                seen[i] = c
                x = rem[i] + d * _MWH_PER_KWH
                out[i] += x // k
                rem[i] = x % k

    def power(self, q, now=None):
        """W (var) of quantity q from its impulse intervals."""
        last = self.last[q]
        dt = self.dt[q]
        if last is None or not dt:
            return 0.0
        since = ticks_diff(self.ticks_ms() if now is None else now, last)
        if since > STALE_MS:
            return 0.0
        if since > dt:
            dt = since
        return 3600000000.0 / (self.k * dt)

    def instant(self, c, d, e, phases, utc_s):
        """OBIS 1-0:c.d.e (KSMW 5.9.1): totals of +P, -P, +Q, -Q (c 1..4), |+P| + |-P|
        (c 15), apparent power from them (c 9, 10); everything per phase or not a power: 0."""
        if 1 <= c <= 4:
            return self.power(c - 1)
        if c == 15:
            return self.power(0) + self.power(1)
        if c == 9 or c == 10:  # +S importing / -S exporting
            p = self.power(c - 9)
            q = self.power(2) + self.power(3)
            return (p * p + q * q) ** 0.5 if p else 0.0
        return 0.0
