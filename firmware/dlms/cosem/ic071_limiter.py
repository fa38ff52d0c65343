# SPDX-License-Identifier: MIT
"""IC 71 Limiter, version 0 (Blue Book 4.5.9; KSMW 5.8).

Attributes: 2 monitored_value {class_id long-unsigned, logical_name octet-string,
attribute_index integer}, 3 threshold_active, 4 threshold_normal, 5 threshold_emergency
(the type of the monitored value), 6 min_over_threshold_duration and
7 min_under_threshold_duration double-long-unsigned (s), 8 emergency_profile {id
long-unsigned, activation_time date-time, duration double-long-unsigned}, 9
emergency_profile_group_id_list array of long-unsigned, 10 emergency_profile_active boolean,
11 actions {action_over_threshold, action_under_threshold}, each {script_logical_name
octet-string, script_selector long-unsigned}. No methods.

KSMW 5.8: import limiter monitors +P (1-0:1.7.0.255), export limiter -P (1-0:2.7.0.255);
threshold 0 disables the limiter (the default); over threshold the disconnect script 1
(local disconnect) runs, under threshold script 2 (local reconnect, ignored by the default
control mode 3). threshold_active follows threshold_normal while no emergency profile is
active. Thresholds take the numeric type of the monitored value (double-long-unsigned here).

Later work: disconnector - the supervision (monitored value against the threshold over the
minimum durations, the scripts, emergency profiles, limiter events 65-67).
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)

NOT_SPECIFIED = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x00\xff"
GROUPS_MAX = 8
_NUMERIC = (axdr.INT32, axdr.UINT32, axdr.INT8, axdr.INT16, axdr.UINT8, axdr.UINT16,
            axdr.INT64, axdr.UINT64, axdr.FLOAT32, axdr.FLOAT64)


def _script(d):
    """action_item {script_logical_name, script_selector} -> (ln, selector) or None."""
    if d[0] != axdr.STRUCTURE or len(d[1]) != 2:
        return None
    ln, sel = d[1]
    if ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6 or sel[0] != axdr.UINT16:
        return None
    return bytes(ln[1]), sel[1]


class Limiter(CosemObject):
    CLASS_ID = 71
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    WRITABLE = (2, 3, 4, 5, 6, 7, 8, 9, 11)

    def __init__(self, ln, monitored, scripts, over=60, under=60, tag=axdr.UINT32):
        """monitored: (class_id, ln6, attribute); scripts: ((ln6, selector) over threshold,
        (ln6, selector) under threshold); tag: A-XDR type of the thresholds."""
        super().__init__(ln)
        self.monitored = (monitored[0], bytes(monitored[1]), monitored[2])
        # thresholds active, normal, emergency as (tag, value); durations over, under (s)
        self.thr = [(tag, 0), (tag, 0), (tag, 0)]
        self.dur = [over, under]
        self.emergency = (0, NOT_SPECIFIED, 0)  # (id, activation time, duration s)
        self.groups = ()
        self.actions = tuple((bytes(s), sel) for s, sel in scripts)

    def get(self, attr, w, ctx):
        if attr == 2:
            c, ln, a = self.monitored
            w.structure(3)
            w.tagged(axdr.UINT16, c)
            w.octets(ln)
            w.tagged(axdr.INT8, a)
        elif 3 <= attr <= 5:
            w.data(self.thr[attr - 3])
        elif attr in (6, 7):
            w.tagged(axdr.UINT32, self.dur[attr - 6])
        elif attr == 8:
            i, t, d = self.emergency
            w.structure(3)
            w.tagged(axdr.UINT16, i)
            w.octets(t)
            w.tagged(axdr.UINT32, d)
        elif attr == 9:
            w.array(len(self.groups))
            for g in self.groups:
                w.tagged(axdr.UINT16, g)
        elif attr == 10:
            w.boolean(False)  # no emergency profile is ever active (later work)
        elif attr == 11:
            w.structure(2)
            for ln, sel in self.actions:
                w.structure(2)
                w.octets(ln)
                w.tagged(axdr.UINT16, sel)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        tag, v = d
        if attr == 2:
            if tag != axdr.STRUCTURE or len(v) != 3:
                return TYPE_UNMATCHED
            c, ln, a = v
            if (c[0] != axdr.UINT16 or ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6
                    or a[0] != axdr.INT8):
                return TYPE_UNMATCHED
            self.monitored = (c[1], bytes(ln[1]), a[1])
            return SUCCESS
        if 3 <= attr <= 5:
            if tag not in _NUMERIC:
                return TYPE_UNMATCHED
            self.thr[attr - 3] = (tag, v)
            if attr == 4:  # no emergency: the active threshold is the normal one
                self.thr[0] = (tag, v)
            return SUCCESS
        if attr in (6, 7):
            if tag != axdr.UINT32:
                return TYPE_UNMATCHED
            self.dur[attr - 6] = v
            return SUCCESS
        if attr == 8:
            if tag != axdr.STRUCTURE or len(v) != 3:
                return TYPE_UNMATCHED
            i, t, du = v
            if (i[0] != axdr.UINT16 or t[0] not in (axdr.OCTET_STRING, axdr.DATE_TIME)
                    or len(t[1]) != 12 or du[0] != axdr.UINT32):
                return TYPE_UNMATCHED
            self.emergency = (i[1], bytes(t[1]), du[1])
            return SUCCESS
        if attr == 9:
            if tag != axdr.ARRAY:
                return TYPE_UNMATCHED
            if len(v) > GROUPS_MAX:
                return OTHER_REASON
            out = []
            for g in v:
                if g[0] != axdr.UINT16:
                    return TYPE_UNMATCHED
                out.append(g[1])
            self.groups = tuple(out)
            return SUCCESS
        if attr == 11:
            if tag != axdr.STRUCTURE or len(v) != 2:
                return TYPE_UNMATCHED
            a = (_script(v[0]), _script(v[1]))
            if a[0] is None or a[1] is None:
                return TYPE_UNMATCHED
            self.actions = a
            return SUCCESS
        return READ_WRITE_DENIED
