# SPDX-License-Identifier: MIT
"""IC 20 Activity calendar, version 0 (Blue Book 4.5.5): calendar_name, season_profile,
week_profile_table, day_profile_table, each active (2..5, read-only) and passive (6..9),
activate_passive_calendar_time (10); method 1 activate_passive_calendar.

season ::= {season_profile_name, season_start (date-time, wildcards), week_name}
week_profile ::= {week_profile_name, monday .. sunday (day_id)}
day_profile ::= {day_id, day_schedule array of {start_time (time), script_logical_name,
script_selector}}

active_script(local) is the (script logical name, selector) in force at a local time: the
season with the latest start at or before it, its week profile's day_id for the weekday, or
the special days table's day_id for that date (special days override, Blue Book 4.5.4), and
in that day profile the action with the latest start_time at or before the time; before the
first action of a day the last action of the previous day stays in force. None when the
calendar cannot answer (no season, unknown week or day_id): the application then runs the
KSMW 5.5 default tariffication script (`default`).

tick(utc, local) activates the passive calendar when local time crosses
activate_passive_calendar_time (crossing rules as the schedulers, KSMW 5.4.1: also after a
power failure or a forward shift, not on a backward shift, and not for a time written in the
past), and runs the script whenever the one in force changes (at a switching time, after a
power failure, a clock change, an activation or a special days change).
"""
from micropython import const

from dlms.apdu import axdr
from dlms.cosem.base import (
    CosemObject, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED,
    no_data,
)
from dlms.util import dtpattern as dp
from dlms.util import timeconv as tc

# KSMW 5.5 (also 5.8, 5.14): at least 4 seasons, 4 week profiles, 4 day profiles, 5 switching
# times per day
MAX_SEASONS = const(4)
MAX_WEEKS = const(4)
MAX_DAYS = const(4)
MAX_ACTIONS = const(8)
MAX_NAME = const(32)
_UNSET = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x00\xff"
_FAR = 1 << 40  # "no next season"


def _octets(d, n=None):
    # octet-string value (or date/time/date-time tag of that size), else None
    if d[0] == axdr.OCTET_STRING or (n == 12 and d[0] == axdr.DATE_TIME) or (
            n == 4 and d[0] == axdr.TIME):
        if n is None or len(d[1]) == n:
            return d[1]
    return None


class Calendar:
    """One calendar (the active or the passive set): plain tuples, replaced, never mutated."""

    def __init__(self):
        self.name = b""
        self.seasons = ()  # ((name, start12, week_name), ...)
        self.weeks = ()  # ((name, bytes(7) day_ids), ...)
        self.days = ()  # ((day_id, ((start4, script_ln6, selector), ...)), ...)


class ActivityCalendar(CosemObject):
    CLASS_ID = 20
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    WRITABLE = (6, 7, 8, 9, 10)
    METHODS = (1,)

    def __init__(self, ln, special=None, run_script=None, default=None, step=1,
                 max_seasons=MAX_SEASONS, max_weeks=MAX_WEEKS, max_days=MAX_DAYS,
                 max_actions=MAX_ACTIONS, on_change=None):
        """special: SpecialDaysTable (or any object with lookup(y, mo, d, wd) and version);
        run_script(script_ln, selector) runs the script in force when it changes;
        default: (script_ln, selector) run when the calendar gives nothing or the clock is
        invalid (KSMW 5.5 default tariffication script), None = run nothing;
        step: switching times must be multiples of it in seconds (KSMW 5.5 tariffs: 900);
        on_change(cal) after a passive attribute was written or the calendar activated."""
        super().__init__(ln)
        self.special = special
        self.run_script = run_script
        self.default = default
        self.step = step
        self.max_seasons = max_seasons
        self.max_weeks = max_weeks
        self.max_days = max_days
        self.max_actions = max_actions
        self.on_change = on_change
        self.active = Calendar()
        self.passive = Calendar()
        self.activation_time = _UNSET
        self.armed = False  # activation time set and not yet reached
        self.crossing = dp.Crossing()
        self.current = None  # script in force after the last tick
        self._gen = 0  # bumped when the active calendar changes
        self._plan = None

    # --- application API ---
    def configure(self, name, seasons, weeks, days, passive=False):
        """Load a calendar from Python values (no COSEM checks):
        seasons ((name, start12, week_name), ...), weeks ((name, (7 day_ids)), ...),
        days ((day_id, ((start4, script_ln6, selector), ...)), ...)."""
        c = self.passive if passive else self.active
        c.name = bytes(name)
        c.seasons = tuple((bytes(n), bytes(s), bytes(w)) for n, s, w in seasons)
        c.weeks = tuple((bytes(n), bytes(d)) for n, d in weeks)
        c.days = tuple((i, tuple((bytes(t), bytes(s), sel) for t, s, sel in a)) for i, a in days)
        if not passive:
            self._gen += 1

    def activate(self):
        """Blue Book activate_passive_calendar: the passive calendar is copied to the active
        one (the passive one stays as it is)."""
        a = self.active
        p = self.passive
        a.name = p.name
        a.seasons = p.seasons
        a.weeks = p.weeks
        a.days = p.days
        self._gen += 1
        if self.on_change is not None:
            self.on_change(self)

    def _season(self, t):
        # (start, next start, week_name) of the season in force at local t, or None
        y = tc.civil_from_days(t // dp.DAY)[0]
        best = None
        bstart = 0
        nxt = _FAR
        for _name, start, week in self.active.seasons:
            for yy in (y - 1, y, y + 1):
                s = dp.datetime_start(start, 0, yy)
                if s is not None:
                    if s <= t:
                        if best is None or s > bstart:
                            best = week
                            bstart = s
                    elif s < nxt:
                        nxt = s
                if start[0] != 0xFF or start[1] != 0xFF:
                    break  # explicit year: one instant
        if best is None:
            return None
        return bstart, nxt, best

    def _day_actions(self, day, week):
        # actions ((second of day, (script_ln, selector)), ...) of a day, or None (invalid)
        did = None
        if self.special is not None:
            y, mo, d, wd = dp.civil(day)
            did = self.special.lookup(y, mo, d, wd)
        if did is None:
            if week is None:
                return None
            wd = tc.weekday(day)
            for name, ids in self.active.weeks:
                if name == week:
                    did = ids[wd - 1]
                    break
            else:
                return None
        for i, acts in self.active.days:
            if i == did:
                return tuple((_sec(t), (s, sel)) for t, s, sel in acts)
        return None

    def _make_plan(self, day, t, sv):
        ds = day * dp.DAY
        se = self._season(t)
        lo = ds
        hi = ds + dp.DAY
        if se is not None:
            lo = max(lo, se[0])
            hi = min(hi, se[1])
        acts = self._day_actions(day, None if se is None else se[2])
        carry = None
        if acts is not None:
            for k in range(1, 8):  # the last switching of an earlier day stays in force
                pe = ds - (k - 1) * dp.DAY - 1
                ps = self._season(pe)
                pa = self._day_actions(day - k, None if ps is None else ps[2])
                if pa is None:
                    break
                carry = _pick(pa, dp.DAY)
                if carry is not None:
                    break
        return day, sv, self._gen, lo, hi, acts, carry

    def active_script(self, t):
        """(script_ln, selector) in force at local seconds t, or None."""
        day = t // dp.DAY
        sv = 0 if self.special is None else self.special.version
        c = self._plan
        if c is None or c[0] != day or c[1] != sv or c[2] != self._gen or not c[3] <= t < c[4]:
            c = self._make_plan(day, t, sv)
            self._plan = c
        acts = c[5]
        if acts is None:
            return None
        best = _pick(acts, t - day * dp.DAY)
        if best is None:
            best = c[6]
        return None if best is None else best[1]  # a stored pair: no allocation per tick

    def tick(self, utc, local, valid=True):
        """Call at least once a second and at power up: passive activation at its time, and
        the script in force run when it changes. valid=False (clock invalid) selects the
        default script. -> the script in force."""
        a = self.crossing.tick(utc, local)
        if a is not None and self.armed:
            at = dp.datetime_local(self.activation_time)
            if at is not None and a < at <= local:
                self.armed = False
                self.activate()
        cur = self.active_script(local) if valid else None
        if cur is None:
            cur = self.default
        if cur != self.current:
            self.current = cur
            if cur is not None and self.run_script is not None:
                self.run_script(cur[0], cur[1])
        return cur

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 10:
            w.octets(self.activation_time)
            return SUCCESS
        if not 2 <= attr <= 9:
            return super().get(attr, w, ctx)
        c = self.active if attr <= 5 else self.passive
        k = (attr - 2) % 4
        if k == 0:
            w.octets(c.name)
            return SUCCESS
        return self._gen_attr(w, c, k)

    def _gen_attr(self, w, c, k):
        if k == 1:
            w.array(len(c.seasons))
            for name, start, week in c.seasons:
                w.structure(3)
                w.octets(name)
                w.octets(start)
                w.octets(week)
                yield
        elif k == 2:
            w.array(len(c.weeks))
            for name, ids in c.weeks:
                w.structure(8)
                w.octets(name)
                for i in ids:
                    w.tagged(axdr.UINT8, i)
                yield
        else:
            w.array(len(c.days))
            for did, acts in c.days:
                w.structure(2)
                w.tagged(axdr.UINT8, did)
                w.array(len(acts))
                for t, s, sel in acts:
                    w.structure(3)
                    w.octets(t)
                    w.octets(s)
                    w.tagged(axdr.UINT16, sel)
                yield

    def set(self, attr, d, ctx):
        if attr not in self.WRITABLE:
            return READ_WRITE_DENIED
        if attr == 10:
            v = _octets(d, 12)
            if v is None:
                return TYPE_UNMATCHED
            # all fields not specified = no automatic activation; partly specified refused
            if dp.datetime_unset(v):
                self.armed = False
            elif dp.datetime_local(v) is None:
                return OTHER_REASON
            else:
                self.armed = True
            self.activation_time = bytes(v)
            return SUCCESS
        if attr == 6:
            v = _octets(d)
            if v is None:
                return TYPE_UNMATCHED
            if len(v) > MAX_NAME:
                return OTHER_REASON
            self.passive.name = v
        else:
            if d[0] != axdr.ARRAY:
                return TYPE_UNMATCHED
            parse = (self._seasons, self._weeks, self._days)[attr - 7]
            r = parse(d[1])
            if isinstance(r, int):
                return r
            if attr == 7:
                self.passive.seasons = r
            elif attr == 8:
                self.passive.weeks = r
            else:
                self.passive.days = r
        if self.on_change is not None:
            self.on_change(self)
        return SUCCESS

    def _seasons(self, items):
        if len(items) > self.max_seasons:
            return OTHER_REASON
        out = []
        for e in items:
            if e[0] != axdr.STRUCTURE or len(e[1]) != 3:
                return TYPE_UNMATCHED
            name = _octets(e[1][0])
            start = _octets(e[1][1], 12)
            week = _octets(e[1][2])
            if name is None or start is None or week is None:
                return TYPE_UNMATCHED
            if len(name) > MAX_NAME or len(week) > MAX_NAME:
                return OTHER_REASON
            if not (1 <= start[2] <= 12 and dp.date_ok(start) and dp.time_ok(start, 5)):
                return OTHER_REASON
            out.append((name, start, week))
        return tuple(out)

    def _weeks(self, items):
        if len(items) > self.max_weeks:
            return OTHER_REASON
        out = []
        for e in items:
            if e[0] != axdr.STRUCTURE or len(e[1]) != 8:
                return TYPE_UNMATCHED
            name = _octets(e[1][0])
            if name is None:
                return TYPE_UNMATCHED
            if len(name) > MAX_NAME:
                return OTHER_REASON
            for x in e[1][1:]:
                if x[0] != axdr.UINT8:
                    return TYPE_UNMATCHED
            for o in out:
                if o[0] == name:
                    return OTHER_REASON
            out.append((name, bytes(x[1] for x in e[1][1:])))
        return tuple(out)

    def _days(self, items):
        if len(items) > self.max_days:
            return OTHER_REASON
        out = []
        for e in items:
            if e[0] != axdr.STRUCTURE or len(e[1]) != 2:
                return TYPE_UNMATCHED
            did, sched = e[1]
            if did[0] != axdr.UINT8 or sched[0] != axdr.ARRAY:
                return TYPE_UNMATCHED
            if len(sched[1]) > self.max_actions:
                return OTHER_REASON
            acts = []
            for a in sched[1]:
                if a[0] != axdr.STRUCTURE or len(a[1]) != 3:
                    return TYPE_UNMATCHED
                t = _octets(a[1][0], 4)
                s = _octets(a[1][1], 6)
                sel = a[1][2]
                if t is None or s is None or sel[0] != axdr.UINT16:
                    return TYPE_UNMATCHED
                # start_time: hour and minute given, on the switching grid (KSMW 5.5)
                if not dp.time_ok(t, 0, False):
                    return OTHER_REASON
                if _sec(t) % self.step:
                    return OTHER_REASON
                acts.append((t, s, sel[1]))
            for o in out:
                if o[0] == did[1]:
                    return OTHER_REASON
            out.append((did[1], tuple(acts)))
        return tuple(out)

    def action(self, method, d, ctx):
        if method != 1:
            return OBJECT_UNDEFINED, None
        if not no_data(d):
            return TYPE_UNMATCHED, None
        self.activate()
        return SUCCESS, None


def _sec(t):
    # second of the day of a start_time (second not specified = 0)
    return t[0] * 3600 + t[1] * 60 + (0 if t[2] == 0xFF else t[2])


def _pick(acts, sec):
    # action with the latest start at or before sec (the day schedule need not be sorted)
    best = None
    for a in acts:
        if a[0] <= sec and (best is None or a[0] >= best[0]):
            best = a
    return best
