# SPDX-License-Identifier: MIT
"""Energy and demand registration (KSMW 5.2, 5.3) fed by the metering front-end.

Energy: +A, -A, +R, -R totals and tariff rates T1/T2 (1-0:c.8.e, e = 0, 1, 2) in Wh/varh,
each kept as whole Wh plus a milli-Wh remainder (small ints on a 32-bit MCU too); the rate
registers count while the energy register activation (0-0:14.0.1.255) enables them.
Demand: IC 5 registers 1-0:c.4.0 (900 s, one period), maximum demand IC 4 1-0:c.6.0 with
capture time, cumulative maximum demand IC 3 1-0:c.2.0 (added at billing, KSMW 5.6 step 2).
Wrap-around (KSMW 5.2, 5.3): direct connected meters at 999 999 999 Wh, 99 999 W and
9 999 999 W cumulative; CT connected meters one digit less.
State persists in the record store ("energy"): at every quarter hour and at power down.
"""
from struct import pack_into, unpack_from

from dlms.apdu import axdr
from dlms.cosem.base import SUCCESS, TYPE_UNMATCHED, CosemObject, no_data, obis
from dlms.cosem.ic005_demand_register import DemandRegister
from dlms.util import timeconv as tc

WH, VARH, W, VAR = 30, 32, 27, 29
UNITS = (WH, WH, VARH, VARH)
_REC = ">12I12H4I4I4I"  # Wh, mWh remainders, maximum demand, its time (UTC s), cumulative
_REC_SIZE = 12 * 4 + 12 * 2 + 3 * 16
UNSET = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x00\xff"


class _EnergyRegister(CosemObject):
    """1-0:c.8.e (IC 3): a view on the accumulators; only ln, e, k per instance."""
    CLASS_ID = 3
    VERSION = 0
    ATTRS = (1, 2, 3)

    def __init__(self, ln, energy, k):
        super().__init__(ln)
        self.e = energy
        self.k = k

    def value(self):
        return self.e.wh[self.k]

    def unit(self):
        return UNITS[self.k // 3]

    def get(self, attr, w, ctx):
        if attr == 2:
            w.tagged(axdr.UINT32, self.value())
        elif attr == 3:  # scaler_unit {0, unit} (dlms-notes 1.7)
            w.structure(2)
            w.tagged(axdr.INT8, 0)
            w.tagged(axdr.ENUM, self.unit())
        else:
            return super().get(attr, w, ctx)
        return SUCCESS


class _Cumulative(_EnergyRegister):
    """1-0:c.2.0 (IC 3): cumulative maximum demand, k = quantity."""

    def value(self):
        return self.e.cum[self.k]

    def unit(self):
        return W if self.k < 2 else VAR


class _MaxDemand(_Cumulative):
    """1-0:c.6.0 (IC 4, KSMW 5.3): highest average of the billing period with its capture
    time; reset: value 0, capture_time = time of the reset."""
    CLASS_ID = 4
    ATTRS = (1, 2, 3, 4, 5)
    METHODS = (1,)

    def value(self):
        return self.e.md[self.k]

    def get(self, attr, w, ctx):
        if attr == 4:  # status: not used, 0
            w.tagged(axdr.UINT8, 0)
        elif attr == 5:
            e = self.e
            t = e.md_t[self.k]
            w.octets(e.clock.datetime(bytearray(12), t) if t else UNSET)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def action(self, method, d, ctx):
        if method != 1:
            return super().action(method, d, ctx)
        if not no_data(d):
            return TYPE_UNMATCHED, None
        e = self.e
        e.md[self.k] = 0
        e.md_t[self.k] = e.now_s()
        e.save()
        return SUCCESS, None


class Energy:
    def __init__(self, clock, front, store, now_s, ct=False):
        """front: metering front-end (hal/base.py); now_s() -> the time being processed (UTC
        seconds, meterapp/timeline.py); ct: CT connected meter (meter type 300)."""
        self.clock = clock
        self.front = front
        self.store = store
        self.now_s = now_s
        self.wrap = 100000000 if ct else 1000000000
        self.dwrap = 10000 if ct else 100000
        self.cwrap = 1000000 if ct else 10000000
        self.wh = [0] * 12  # k = 3 q + e: q 0..3 (+A, -A, +R, -R), e 0 total, 1 T1, 2 T2
        self.mwh = [0] * 12
        self.on = bytearray(b"\x01\x00\x01" * 4)  # counting now; default "T2" (KSMW 5.5)
        self.md = [0] * 4
        self.md_t = [0] * 4  # 0: never captured
        self.cum = [0] * 4
        self.delta = [0, 0, 0, 0]
        self.bs = None  # board time integrated up to: bs s + bms ms
        self.bms = 0
        self.drem = [0, 0, 0, 0]  # demand integral remainders (tenths of W.s)
        self._buf = bytearray(_REC_SIZE)
        self._load()
        self.demand = [DemandRegister(obis("1-0:%d.4.0.255" % (q + 1)), self._now12,
                                      unit=W if q < 2 else VAR, writable=(), wrap=self.dwrap,
                                      on_period_end=self._period_end) for q in range(4)]

    def objects(self):
        out = []
        for q in range(4):
            for e in range(3):
                out.append(_EnergyRegister(obis("1-0:%d.8.%d.255" % (q + 1, e)), self,
                                           3 * q + e))
        for q in range(4):
            out.append(self.demand[q])
            out.append(_MaxDemand(obis("1-0:%d.6.0.255" % (q + 1)), self, q))
            out.append(_Cumulative(obis("1-0:%d.2.0.255" % (q + 1)), self, q))
        return out

    def _now12(self):
        return self.clock.datetime(bytearray(12), self.now_s())

    # ------------------------------------------------------------------ metering
    def advance(self, s, ms):
        """Integrate the front-end's energy up to board time s + ms (the HAL's RTC, not the
        meter clock: a clock setting moves no energy). Board time only moves forward and
        never past the board's now: energy is what was measured, never anticipated."""
        n = self.clock.board()
        if s > n[0] or s == n[0] and ms > n[1]:
            s = n[0]
            ms = n[1]
        bs = self.bs
        if bs is not None and (s < bs or s == bs and ms <= self.bms):
            return
        self.bs = s
        self.bms = ms
        d = self.delta
        d[0] = d[1] = d[2] = d[3] = 0
        self.front.energy(d, s, ms)
        wh = self.wh
        mwh = self.mwh
        on = self.on
        wrap = self.wrap
        for q in range(4):
            x = d[q]
            if not x:
                continue
            # demand: value x seconds in W.s (1 mWh = 3.6 W.s), remainder kept in tenths
            r = self.drem[q] + x * 36
            self.demand[q].add(r // 10)
            self.drem[q] = r % 10
            for k in range(3 * q, 3 * q + 3):
                if on[k]:
                    m = mwh[k] + x
                    wh[k] = (wh[k] + m // 1000) % wrap
                    mwh[k] = m % 1000

    def tariff(self, ra):
        """The energy register activation changed (KSMW 5.5 Table 22): rates it enables."""
        for q in range(4):
            for e in (1, 2):
                self.on[3 * q + e] = 1 if ra.is_active(obis("1-0:%d.8.%d.255" % (q + 1, e))) \
                    else 0

    def tick(self, t):
        """Demand periods end on quarter hours (UTC seconds t)."""
        for r in self.demand:
            r.tick(t)

    def interrupt_demand(self, t):
        """A clock adjustment (KSMW 5.3, 5.4): the running demand periods end now; the next
        ones run from t (UTC s) to the next period end."""
        start = self.clock.datetime(bytearray(12), t)
        for r in self.demand:
            r.interrupt(t, start)

    def _period_end(self, reg):
        # KSMW 5.3: the last average above the maximum replaces it, with the capture time
        q = reg.ln[2] - 1
        if reg.last > self.md[q]:
            self.md[q] = reg.last
            self.md_t[q] = self.now_s()

    def add_maxima(self):
        """KSMW 5.6 step 2: maximum demand values added to the cumulative maxima."""
        for q in range(4):
            self.cum[q] = (self.cum[q] + self.md[q]) % self.cwrap

    def reset_maxima(self):
        """KSMW 5.6 step 4: the maximum demand registers' reset."""
        t = self.now_s()
        for q in range(4):
            self.md[q] = 0
            self.md_t[q] = t

    # ------------------------------------------------------------------ persistence
    def _load(self):
        v = self.store.read("energy") if self.store is not None else None
        if not v or len(v) != _REC_SIZE:
            return
        f = unpack_from(_REC, v)
        self.wh[:] = f[0:12]
        self.mwh[:] = f[12:24]
        self.md[:] = f[24:28]
        self.md_t[:] = [tc.secs_from_record(x) for x in f[28:32]]
        self.cum[:] = f[32:36]

    def save(self):
        if self.store is None:
            return
        b = self._buf
        o = 0
        for k in range(12):  # field by field: nothing allocated (a quarter-hourly path)
            pack_into(">I", b, o, self.wh[k])
            pack_into(">H", b, 48 + 2 * k, self.mwh[k])
            o += 4
        o = 72
        for a in (self.md, self.md_t, self.cum):
            for q in range(4):
                pack_into(">I", b, o, a[q])
                o += 4
        self.store.write("energy", b)

    def preset(self, values):
        """Host/test aid: set the totals (Wh/varh) of +A, -A, +R, -R."""
        for q in range(4):
            self.wh[3 * q] = values[q] % self.wrap
            self.mwh[3 * q] = 0
