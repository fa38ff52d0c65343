# SPDX-License-Identifier: MIT
"""IC 70 Disconnect control, version 0 (Blue Book 4.5.8): output_state, control_state,
control_mode; methods 1 remote_disconnect, 2 remote_reconnect (data ::= integer(0)).

States 0 disconnected, 1 connected, 2 ready_for_reconnection. Transitions (KSMW 5.8
Figure 7, Blue Book): a remote_reconnect 0->1, b remote_disconnect 1->0, c remote_disconnect
2->0, d remote_reconnect 0->2, e manual_reconnect 2->1, f manual_disconnect 1->2,
g local_disconnect 1->2, h local_reconnect 2->1; control_mode 0..6 allows a subset. A
transition the mode does not allow changes nothing and answers other-reason (KSMW 5.8: "the
action is ignored"); a command that finds the object already in its target state succeeds.
Local transitions come from the disconnect script tables (KSMW 5.8 scripts 1, 2: SET
control_state 2 / 1), which write attribute 3 directly; clients cannot write it.
control_mode writes are refused while the current state is one the new mode cannot hold
(mode 0: connected only, KSMW 5.8).

Later work: disconnector - the relay or valve output (output_state follows control_state
here), the push buttons (manual transitions, `manual()`), the limiter supervision and the
disconnect control / M-Bus control / security log events (`on_change`).
"""
from micropython import const

from dlms.apdu import axdr
from dlms.cosem.base import (
    CosemObject, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED,
    no_data,
)

DISCONNECTED = const(0)
CONNECTED = const(1)
READY = const(2)

# transition -> (from, to, bit per control mode 0..6 that allows it: KSMW 5.8 Figure 7)
_T = {
    "a": (DISCONNECTED, CONNECTED, 0b0010100),
    "b": (CONNECTED, DISCONNECTED, 0b1111110),
    "c": (READY, DISCONNECTED, 0b1111110),
    "d": (DISCONNECTED, READY, 0b1101010),
    "e": (READY, CONNECTED, 0b1111110),
    "f": (CONNECTED, READY, 0b0100110),
    "g": (CONNECTED, READY, 0b1111110),
    "h": (READY, CONNECTED, 0b1100000),
}


class DisconnectControl(CosemObject):
    CLASS_ID = 70
    VERSION = 0
    ATTRS = (1, 2, 3, 4)
    WRITABLE = (4,)
    METHODS = (1, 2)

    def __init__(self, ln, mode=3, fixed_mode=False, on_change=None):
        """mode: control_mode (KSMW 5.8 default 3; 5.14 load management relay: 4, fixed);
        on_change(obj, transition letter) after every state change."""
        super().__init__(ln)
        self.mode = mode
        self.state = CONNECTED
        self.on_change = on_change
        if fixed_mode:
            self.WRITABLE = ()

    def output(self):
        """output_state: the supply is connected (relay closed) only in state connected."""
        return self.state == CONNECTED

    def transition(self, *letters):
        """Apply the transition among `letters` that starts in the current state -> result."""
        starts = False
        for t in letters:
            frm, to, modes = _T[t]
            if self.state != frm:
                continue
            starts = True
            if modes >> self.mode & 1:
                self.state = to
                if self.on_change is not None:
                    self.on_change(self, t)
                return SUCCESS
        if not starts:
            for t in letters:  # already where the command leads
                if self.state == _T[t][1]:
                    return SUCCESS
        return OTHER_REASON

    def manual(self, reconnect):
        """Push button (KSMW 5.8: e manual_reconnect, f manual_disconnect)."""
        return self.transition("e" if reconnect else "f")

    def get(self, attr, w, ctx):
        if attr == 2:
            w.boolean(self.output())
        elif attr == 3:
            w.tagged(axdr.ENUM, self.state)
        elif attr == 4:
            w.tagged(axdr.ENUM, self.mode)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        if d[0] != axdr.ENUM:
            return TYPE_UNMATCHED if attr in (3, 4) else READ_WRITE_DENIED
        v = d[1]
        if attr == 4:
            if not self.WRITABLE:
                return READ_WRITE_DENIED
            if v > 6:
                return OTHER_REASON
            if v == 0 and self.state != CONNECTED:
                return OTHER_REASON  # KSMW 5.8: the new mode must support the state
            self.mode = v
            return SUCCESS
        if attr == 3:  # script tables only (KSMW 5.8 scripts 1, 2): local transitions
            if v == READY:
                return self.transition("g")
            if v == CONNECTED:
                return self.transition("h")
            return OTHER_REASON
        return READ_WRITE_DENIED

    def action(self, method, d, ctx):
        if method not in (1, 2):
            return OBJECT_UNDEFINED, None
        if not no_data(d):
            return TYPE_UNMATCHED, None
        if method == 1:
            return self.transition("b", "c"), None
        return self.transition("a", "d"), None
