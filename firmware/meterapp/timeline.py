# SPDX-License-Identifier: MIT
"""The meter's time base (KSMW 5.2-5.7): advances the application through time in steps that
end on every event instant, in order, so a simulated clock running days in seconds gives the
same profile as a real one.

A step ends at the next quarter hour (load profile 1, demand periods, local midnight for
load profile 2), the next power quality period end, the next execution instant of a single
action schedule, or now. At a step end, in this order: energy integrated up to it, demand
periods closed, periodic captures, schedulers and calendars (an action at a capture instant
belongs to the next period, KSMW 5.7.4 Table 30). Forward jumps (clock set forward, power
down) capture nothing for the skipped periods (KSMW 5.7: "special events do not affect the
capturing directly"); the next regular entry carries the status (PDN, CAD).

Clock setting (KSMW 5.4): a change of at least the time shift limit (1-0:0.9.11.255, 9 s)
logs "clock adjusted" old/new (events 4, 5: standard and security event logs) and sets CAD.
Power up: the power-down instant is the last "alive" record (written every quarter hour and
at power down); power down/up events 1/2, PDN, scheduler catch-up from the power-down instant
(KSMW 5.4.1); an RTC that lost its power reserve restarts at power-down + 1 s with CIV.
"""
from struct import pack_into, unpack_from

from dlms.util import timeconv as tc

QUARTER = 900
SHIFT_LIMIT_S = 9  # KSMW 5.4: fixed
EV_POWER_DOWN, EV_POWER_UP, EV_CLOCK_OLD, EV_CLOCK_NEW, EV_CLOCK_INVALID = 1, 2, 4, 5, 6
EV_NV_ERROR = 14
STANDARD_LOG = "0-0:99.98.0.255"
STANDARD_EVENT = "0-0:96.11.0.255"


class Timeline:
    def __init__(self, meter, board):
        self.m = meter
        self.board = board
        self.clock = meter.clock
        self.t = None  # UTC seconds processed
        self.off_s = 0  # clock offset of the instants processed: meter time -> board time
        self.off_ms = 0
        self.alive = bytearray(5)  # record buffers: nothing allocated when they are written
        self.offset = bytearray(6)
        self.down = None  # power-down instant found at power up
        self.tickers = []  # IC 20 / IC 22 objects (a list: iterating it allocates nothing)

    def now_s(self):
        """The instant being processed (the clock holds it during a step), else now."""
        return self.clock.utc()

    def energy_to(self, t):
        """Energy integrated up to the board (metering) time of meter instant t under the
        offset the steps were processed with: a clock setting changes the mapping only
        after what was due before it (energy integrates board time, KSMW 5.2: a setting
        moves no energy)."""
        s = t - self.off_s
        ms = self.off_ms
        if ms:
            self.m.energy.advance(s - 1, 1000 - ms)
        else:
            self.m.energy.advance(s, 0)

    def _offset(self):
        """The clock's offset now applies to the steps; kept in the store so that a setting
        outlives a restart (the RTC is never written: it stays the metering time base)."""
        c = self.clock
        self.off_s = c.off_s
        self.off_ms = c.off_ms
        store = self.m.store
        if store is not None:
            b = self.offset
            pack_into(">iH", b, 0, c.off_s, c.off_ms)
            store.write("clock", b)

    # ------------------------------------------------------------------ tickers
    def add_ticker(self, o):
        """A single action schedule (IC 22) or activity calendar (IC 20) to tick: the ones
        the meter builds at boot and those the catalog builds for a client later."""
        if o is not None and o.CLASS_ID in (20, 22) and o not in self.tickers:
            self.tickers.append(o)

    def _next_instant(self, t):
        """UTC of the next scheduler instant after t, or None."""
        c = self.clock
        loc = c.local(t)
        best = None
        for o in self.tickers:
            if o.CLASS_ID != 22:
                continue
            n = o.next_instant(loc)
            if n is None:
                continue
            u = n - (loc - t)
            if u <= t:
                u = t + 1
            if best is None or u < best:
                best = u
        return best

    # ------------------------------------------------------------------ stepping
    def advance(self, now=None):
        c = self.clock
        if now is None:
            now = c.utc()
        t = self.t
        if t is None:
            self.t = now
            return
        m = self.m
        pq = m.profiles.pq.period
        while t < now:
            nxt = (t // QUARTER + 1) * QUARTER
            if pq:
                nxt = min(nxt, (t // pq + 1) * pq)
            ns = self._next_instant(t)
            if ns is not None and ns < nxt:
                nxt = ns
            if now < nxt:
                nxt = now
            self._step(t, nxt)
            t = nxt

    def _step(self, a, b):
        c = self.clock
        c.at_s = b
        try:
            self._process(b)
        finally:
            c.at_s = None

    def _process(self, b):
        m = self.m
        self.t = b
        self.energy_to(b)
        if b % QUARTER == 0:
            m.energy.tick(b)
        m.profiles.periodic(b)
        if b % QUARTER == 0:
            m.energy.save()
            self._alive(b)
        self._tick(b)

    def _tick(self, t):
        # schedulers (KSMW 5.4.1) and calendars (5.5; an invalid clock: default tariff)
        c = self.clock
        loc = c.local(t)
        valid = not c.status_flags & tc.STATUS_INVALID
        for o in self.tickers:
            if o.CLASS_ID == 22:
                o.tick(t, loc)
            else:
                o.tick(t, loc, valid)

    # ------------------------------------------------------------------ events
    def _event(self, code, t_s):
        self.m.profiles.event(STANDARD_LOG, STANDARD_EVENT, code, None, t_s)

    def adjusted(self, old, new):
        """Clock hook (IC 8 on_adjust): the clock moved from old to new (UTC s)."""
        if self.t is None:
            return
        if self.t < old:
            self.advance(old)  # what was due before the setting (energy too), on the old offset
        self._offset()
        self.t = new
        if abs(new - old) >= SHIFT_LIMIT_S:
            self._interrupt_demand(old, new)
            self._event(EV_CLOCK_OLD, old)
            self._event(EV_CLOCK_NEW, new)
            self.m.guard.record(EV_CLOCK_OLD)
            self.m.guard.record(EV_CLOCK_NEW)
            self.m.profiles.flag_all(self.m.profiles.CAD_FLAGS)
        if self.clock.status_flags & tc.STATUS_INVALID:  # a client set the time: valid again
            self.clock.status_flags &= ~tc.STATUS_INVALID

    def _interrupt_demand(self, old, new):
        # KSMW 5.3: the demand period follows the load profile interval, which a clock
        # adjustment interrupts (CAD): the running period ends at the old time, the next one
        # runs from the new time to the next period end (no period longer than 900 s of
        # metering, so a setting back cannot inflate the maximum demand)
        c = self.clock
        c.at_s = old
        try:
            self.m.energy.interrupt_demand(new)
        finally:
            c.at_s = None

    # ------------------------------------------------------------------ power
    def _alive(self, t):
        store = self.m.store
        if store is None:
            return
        b = self.alive
        pack_into(">IB", b, 0, t, 0)
        store.write("alive", b)

    def power_up(self):
        """At boot, before the first step: power-down handling (KSMW 5.4, 5.4.1, 5.7.3)."""
        c = self.clock
        m = self.m
        for o in m.tickers:
            self.add_ticker(o)
        store = m.store
        self._restore(store)
        v = store.read("alive") if store is not None else None
        now = c.utc()
        b = c.board()
        m.energy.advance(b[0], b[1])  # the metering starts now (board time)
        if not v or len(v) != 5:
            self._start(now)
            return
        down = tc.secs_from_record(unpack_from(">I", v)[0])
        # power reserve exhausted (KSMW 5.4); an RTC behind the last record lost its time too
        lost = not self.board.rtc_valid() or now < down
        if lost:
            if now < down:
                print("meter: clock behind the last power-down record: restarted at "
                      "power-down + 1 s, clock invalid (KSMW 5.4)")
            c.set_utc(down + 1, quiet=True)
            c.status_flags |= tc.STATUS_INVALID
            now = down + 1
            m.profiles.flag_all(m.profiles.CIV_FLAGS)
        self._offset()
        self.down = down
        self._event(EV_POWER_DOWN, down)
        self._event(EV_POWER_UP, now)
        m.guard.record(EV_POWER_DOWN)
        m.guard.record(EV_POWER_UP)
        if lost:
            self._event(EV_CLOCK_INVALID, now)
        m.profiles.power_failure(down, now)
        # KSMW 5.4.1: instants scheduled during the outage run once after power up
        loc = c.local(down)
        for o in self.tickers:
            o.crossing.start(down, loc)
        self._start(now)
        self._alive(now)

    def _restore(self, store):
        # clients' settings (KSMW 5.4) kept across restarts, unless the RTC was set since
        v = store.read("clock") if store is not None else None
        if v and len(v) == 6 and not self.board.rtc_set():
            off_s, off_ms = unpack_from(">iH", v)
            if 0 <= off_ms < 1000:
                c = self.clock
                c.off_s = self.off_s = off_s
                c.off_ms = self.off_ms = off_ms

    def _start(self, now):
        # corrupt records found while booting (KSMW 5.7.3 ERR); demand periods counted from
        # now; calendars set the tariff in force (schedulers run what fell into the outage)
        c = self.clock
        m = self.m
        if m.store is not None and m.store.errors:
            m.profiles.flag_all(m.profiles.ERR_FLAGS)
            self._event(EV_NV_ERROR, now)
            m.guard.record(EV_NV_ERROR)
        self.t = now
        c.at_s = now
        try:
            m.energy.tick(now)
            self._tick(now)
        finally:
            c.at_s = None

    def power_down(self):
        """Board power-fail warning: everything persisted, the outage starts now (the
        instant processed last: the energy saved is the energy up to it)."""
        t = self.now_s()
        self.advance(t)
        self.m.energy.save()
        self._alive(t)
