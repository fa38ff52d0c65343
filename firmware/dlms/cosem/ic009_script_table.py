# SPDX-License-Identifier: MIT
"""IC 9 Script table, version 0 (Blue Book 4.5.2): attribute 2 scripts, method 1
execute(script_identifier).

script ::= {script_identifier long-unsigned, actions array of action_specification};
action_specification ::= {service_id enum (1 write attribute, 2 execute specific method),
class_id long-unsigned, logical_name octet-string, index integer, parameter any}.

Actions run through the application's resolver: resolve(logical_name) -> object or None;
writes call obj.set(index, parameter, ctx), executions obj.action(index, parameter, ctx), so a
script can do no more than the target object allows. Script actions the companion standard
describes in words (KSMW 5.5 tariff switching, 5.6 billing steps, 5.7.2 opt-in/out) are
either actions on COSEM objects or done in the on_execute hook.
"""
from micropython import const

from dlms.apdu import axdr
from dlms.cosem.base import (
    OBJECT_CLASS_INCONSISTENT, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS,
    TEMPORARY_FAILURE, TYPE_UNMATCHED, CosemObject,
)

WRITE_ATTRIBUTE = const(1)
EXECUTE_METHOD = const(2)


def _action(d):
    """Decoded action_specification -> (service, class_id, ln, index, parameter) or None."""
    if d[0] != axdr.STRUCTURE or len(d[1]) != 5:
        return None
    svc, cid, ln, idx, par = d[1]
    if svc[0] != axdr.ENUM or cid[0] != axdr.UINT16 or idx[0] != axdr.INT8:
        return None
    if ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6:
        return None
    return svc[1], cid[1], ln[1], idx[1], par


class ScriptTable(CosemObject):
    CLASS_ID = 9
    VERSION = 0
    ATTRS = (1, 2)
    METHODS = (1,)

    def __init__(self, ln, resolve, scripts=(), writable=False, max_scripts=8, max_actions=8,
                 on_execute=None, ctx=None):
        """resolve(ln6) -> COSEM object or None.
        scripts: ((script_id, ((service, class_id, ln6, index, parameter Data), ...)), ...).
        writable: clients with write access may replace attribute 2 (off by default: the KSMW
        script tables hold predefined scripts).
        on_execute(script_id, ctx) -> result code or None, called before the actions of a
        script: a non-zero result refuses the execution (e.g. the KSMW 5.6 reset lock).
        ctx: context passed to the targets when the application runs a script itself."""
        super().__init__(ln)
        self.resolve = resolve
        self.max_scripts = max_scripts
        self.max_actions = max_actions
        self.on_execute = on_execute
        self.ctx = ctx
        self.WRITABLE = (2,) if writable else ()
        self.scripts = []
        self._busy = False
        for sid, acts in scripts:
            self.add(sid, acts)

    # --- application API ---
    def add(self, script_id, actions):
        """Add or replace a script; actions as (service, class_id, ln, index, parameter)."""
        if script_id == 0:
            raise ValueError("script 0 is the null script")
        acts = tuple((a[0], a[1], bytes(a[2]), a[3], a[4]) for a in actions)
        for k in range(len(self.scripts)):
            if self.scripts[k][0] == script_id:
                self.scripts[k] = (script_id, acts)
                return
        if len(self.scripts) >= self.max_scripts:
            raise ValueError("scripts")
        self.scripts.append((script_id, acts))

    def find(self, script_id):
        for s in self.scripts:
            if s[0] == script_id:
                return s[1]
        return None

    def run(self, script_id, ctx=None):
        """Execute a script (Blue Book 4.5.2 execute) -> Action-Result. Identifier 0 is the
        null script. Every action is attempted; the result is the first failure, if any."""
        if script_id == 0:
            return SUCCESS
        acts = self.find(script_id)
        if acts is None:
            return OTHER_REASON
        if ctx is None:
            ctx = self.ctx
        if self.on_execute is not None:
            r = self.on_execute(script_id, ctx)
            if r:
                return r
        if self._busy:  # a script calling its own table again
            return TEMPORARY_FAILURE
        self._busy = True
        first = SUCCESS
        try:
            for a in acts:
                r = self._do(a, ctx)
                if r and not first:
                    first = r
        finally:
            self._busy = False
        return first

    def _do(self, a, ctx):
        svc, cid, ln, idx, par = a
        o = self.resolve(ln)
        if o is None:
            return OBJECT_UNDEFINED
        if o.CLASS_ID != cid:
            return OBJECT_CLASS_INCONSISTENT
        try:
            if svc == WRITE_ATTRIBUTE:
                return o.set(idx, par, ctx)
            if svc == EXECUTE_METHOD:
                return o.action(idx, None if par[0] == axdr.NULL else par, ctx)[0]
        except Exception:  # a failing target must not stop the scheduler running scripts
            return OTHER_REASON
        return OTHER_REASON

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 2:
            return self._scripts_gen(w)
        return super().get(attr, w, ctx)

    def _scripts_gen(self, w):
        w.array(len(self.scripts))
        for sid, acts in self.scripts:
            w.structure(2)
            w.tagged(axdr.UINT16, sid)
            w.array(len(acts))
            for svc, cid, ln, idx, par in acts:
                w.structure(5)
                w.tagged(axdr.ENUM, svc)
                w.tagged(axdr.UINT16, cid)
                w.octets(ln)
                w.tagged(axdr.INT8, idx)
                w.data(par)
            yield

    def set(self, attr, d, ctx):
        if attr != 2 or not self.WRITABLE:
            return READ_WRITE_DENIED
        if d[0] != axdr.ARRAY:
            return TYPE_UNMATCHED
        items = d[1]
        if len(items) > self.max_scripts:
            return OTHER_REASON
        new = []
        for s in items:
            if s[0] != axdr.STRUCTURE or len(s[1]) != 2:
                return TYPE_UNMATCHED
            sid, acts = s[1]
            if sid[0] != axdr.UINT16 or acts[0] != axdr.ARRAY:
                return TYPE_UNMATCHED
            if sid[1] == 0:  # reserved: the null script
                return OTHER_REASON
            if len(acts[1]) > self.max_actions:
                return OTHER_REASON
            out = []
            for d2 in acts[1]:
                a = _action(d2)
                if a is None:
                    return TYPE_UNMATCHED
                if a[0] not in (WRITE_ATTRIBUTE, EXECUTE_METHOD):
                    return OTHER_REASON
                out.append(a)
            for e in new:  # identifiers unique: execute(id) must name one script
                if e[0] == sid[1]:
                    return OTHER_REASON
            new.append((sid[1], tuple(out)))
        self.scripts = new
        return SUCCESS

    def action(self, method, d, ctx):
        if method != 1:
            return OBJECT_UNDEFINED, None
        if d is None or d[0] != axdr.UINT16:  # execute(long-unsigned)
            return TYPE_UNMATCHED, None
        return self.run(d[1], ctx), None
