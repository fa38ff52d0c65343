# SPDX-License-Identifier: MIT
"""Billing period closure (KSMW 5.6).

The MDI reset / end of billing period script (0-0:10.0.1.255, script 1) runs the steps in
order: 1 billing period counter + 1 (0..99, rolling over), 2 maximum demand added to the
cumulative maxima (here, in the script's on_execute hook), then its actions 3 capture of
the billing profile and 4 reset of the maximum demand registers.

Triggers: the monthly scheduler 0-0:15.0.0.255 (synchronous, never locked); asynchronous:
the ad-hoc scheduler 0-0:15.1.0.255, the demand reset button, a client executing the script.
Each asynchronous closure starts a 15 min reset lock; during it a client's request answers
other-reason, the button and the ad-hoc scheduler are ignored without indication.
Counter and lock persist in the record store ("billing").
"""
from struct import pack_into, unpack_from

from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, SUCCESS, obis
from dlms.util import timeconv as tc

LOCK_S = 900
SCRIPT = "0-0:10.0.1.255"
COUNTER = "0-0:0.1.0.255"
MONTHLY = "0-0:15.0.0.255"
ADHOC = "0-0:15.1.0.255"
_SYNC, _SILENT = 1, 2


class Billing:
    def __init__(self, meter):
        self.m = meter
        self.store = meter.store
        self.lock_until = 0  # meter seconds (UTC)
        self.counter = meter.profiles.get(COUNTER)
        self._trigger = 0
        self._buf = bytearray(5)
        v = self.store.read("billing") if self.store is not None else None
        if v and len(v) == 5:
            n, t = unpack_from(">BI", v)
            self.lock_until = tc.secs_from_record(t)
            self.counter.value = (axdr.UINT8, n)
        cat = meter.catalog
        script = cat.boot_object(obis(SCRIPT))
        script.on_execute = self.execute
        monthly = cat.boot_object(obis(MONTHLY))
        monthly.run_script = self._run_sync
        adhoc = cat.boot_object(obis(ADHOC))
        adhoc.run_script = self._run_silent
        self.script = script
        self.tickers = (monthly, adhoc)

    def _run_sync(self, ln, selector):
        return self._run(ln, selector, _SYNC)

    def _run_silent(self, ln, selector):
        return self._run(ln, selector, _SILENT)

    def _run(self, ln, selector, trigger):
        self._trigger = trigger
        try:
            return self.m.catalog.run_script(ln, selector)
        finally:
            self._trigger = 0

    def button(self):
        """The demand reset button (board HAL): an asynchronous closure, silent when locked."""
        return self._run(obis(SCRIPT), 1, _SILENT)

    def execute(self, script_id, ctx):
        """on_execute of the billing script: lock check, steps 1 and 2 -> result (non-zero
        refuses the script: its actions, steps 3 and 4, do not run)."""
        now = self.m.timeline.now_s()
        trig = self._trigger
        if trig != _SYNC:
            if self.lock_until - LOCK_S <= now < self.lock_until:
                return OTHER_REASON  # a client sees other-reason; schedulers ignore results
            self.lock_until = now + LOCK_S
        n = (self.counter.value[1] + 1) % 100
        self.counter.value = (axdr.UINT8, n)
        self.m.energy.add_maxima()
        self._save()
        return SUCCESS

    def _save(self):
        if self.store is None:
            return
        pack_into(">BI", self._buf, 0, self.counter.value[1], self.lock_until)
        self.store.write("billing", self._buf)
