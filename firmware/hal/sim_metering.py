# SPDX-License-Identifier: MIT
"""Host metering front-end (hal/base.py metering contract): replays a daily load curve.

A curve is a step function of local wall time: ((second of day, +P, -P, +Q, -Q), ...) in
W/var, shared evenly over the phases. energy() integrates it exactly between calls (W x ms
kept to the milliwatt-hour), instant() gives the KSMW 5.9.1 instantaneous values per phase
from the same curve: nominal voltages, 50 Hz. A curve file (--load-curve) has one step per
line, "HH:MM, +P, -P, +Q, -Q"; '#' starts a comment."""
import math

VOLTS = (230.1, 229.8, 230.4)  # L1..L3
HZ = 50.0
DAY = 86400
# import at night, PV export around noon
DEFAULT_CURVE = ((0, 2300, 0, 400, 0), (36000, 0, 1500, 0, 90), (57600, 2300, 0, 400, 0))


def _num(v, hi, what):
    """Decimal digits only, 0..hi (None: no bound)."""
    if not v or not v.isdigit():
        raise ValueError("%s %r: not a non-negative integer" % (what, v))
    n = int(v)
    if hi is not None and n > hi:
        raise ValueError("%s %s not in 00-%02d" % (what, v, hi))
    return n


def parse_curve(text):
    """Curve from the lines of a curve file -> tuple of steps, sorted by time. A bad line
    raises ValueError("line N: what is wrong"): five fields, HH 00-23, MM 00-59, each time
    once, powers non-negative integers (W/var)."""
    steps = []
    seen = {}
    n = 0
    for line in text.split("\n"):
        n += 1
        line = line.split("#")[0].strip()
        if not line:
            continue
        f = [x.strip() for x in line.split(",")]
        try:
            if len(f) != 5:
                raise ValueError("%d fields, expected 5: HH:MM, +P, -P, +Q, -Q" % len(f))
            hm = f[0].split(":")
            if len(hm) != 2 or len(hm[0]) > 2 or len(hm[1]) > 2:
                raise ValueError("time %r is not HH:MM" % f[0])
            t = _num(hm[0], 23, "hour") * 3600 + _num(hm[1], 59, "minute") * 60
            if t in seen:
                raise ValueError("time %s repeats line %d" % (f[0], seen[t]))
            seen[t] = n
            steps.append((t, _num(f[1], None, "+P"), _num(f[2], None, "-P"),
                          _num(f[3], None, "+Q"), _num(f[4], None, "-Q")))
        except ValueError as e:
            raise ValueError("line %d: %s" % (n, e.args[0]))
    steps.sort()
    if not steps:
        raise ValueError("no step: lines 'HH:MM, +P, -P, +Q, -Q' expected")
    return tuple(steps)


class SimMetering:
    def __init__(self, local, curve=None, phases=3):
        """local(utc_s) -> local wall seconds (the meter clock's)."""
        self.local = local
        # small ints: a frozen constant tuple holds ints beyond +-8191 as long ints (mpy-tool
        # emits them so for any target), and arithmetic with those allocates
        self.curve = tuple(tuple(x + 0 for x in st) for st in curve or DEFAULT_CURVE)
        self.phases = phases
        self.ts = None  # board time of the last energy() call: ts s + tms ms
        self.tms = 0
        self.rem = [0, 0, 0, 0]  # W x ms not yet handed out as mWh
        self.nxt = 0

    def _step(self, sod):
        """Index of the step in force at second-of-day sod; self.nxt = second of the next
        step (no tuple: energy() runs every loop without allocating)."""
        c = self.curve
        if sod < c[0][0]:  # before the day's first step the last one holds
            self.nxt = c[0][0]
            return len(c) - 1
        k = 0
        for i in range(len(c)):
            if c[i][0] <= sod:
                k = i
        self.nxt = c[k + 1][0] if k + 1 < len(c) else DAY
        return k

    def power(self, utc_s):
        """(+P, -P, +Q, -Q) in W/var, all phases."""
        s = self.curve[self._step(self.local(utc_s) % DAY)]
        return s[1], s[2], s[3], s[4]

    def energy(self, out, s, ms):
        """Add the energy since the last call (board time s seconds + ms, as the RTC counts
        them, hal/base.py) to out[0..3] (mWh/mvarh: +A, -A, +R, -R); the first call only
        starts the integration. Per call of one second nothing is allocated on a 32-bit
        port: every value stays a small int."""
        ts = self.ts
        tms = self.tms
        self.ts = s
        self.tms = ms
        if ts is None or s < ts or s == ts and ms <= tms:
            return
        c = self.curve
        rem = self.rem
        while ts < s or ts == s and tms < ms:
            sod = self.local(ts) % DAY
            k = self._step(sod)
            es = ts + self.nxt - sod  # the next step of the curve (a whole second)
            ems = 0
            if es >= s:
                es = s
                ems = ms
            dt = (es - ts) * 1000 + ems - tms  # at most a day: < 2^30 ms
            p = c[k]
            for i in range(4):
                x = rem[i] + p[i + 1] * dt
                out[i] += x // 3600
                rem[i] = x % 3600
            ts = es
            tms = ems

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
