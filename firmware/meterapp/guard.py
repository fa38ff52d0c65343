# SPDX-License-Identifier: MIT
"""Security events (KSMW 5.12) and the service-interface deactivation (KSMW 4.1.2).

Events reach `record(code)` from the server's hooks: the security event object
0-0:96.11.9.255 holds the last code and the group event counters 0-0:96.15.21..30.255
(G_EC_01..10) count per group; `on_event(code, association)` feeds the Security Event
Log profile (0-0:99.98.9.255, meterapp/profiles.py). The optical port is disabled while the
countdown of 0-0:94.43.140.255 runs (0xFFFF: until set back to 0); consecutive failed
associations on it start the lockout of 0-0:94.43.141.255.
"""
from dlms.apdu import axdr
from dlms.cosem.base import SUCCESS, TYPE_UNMATCHED, obis
from dlms.cosem.ic001_data import Data

# event code -> group event counter index (KSMW 5.12 table)
_GROUP = {26: 0, 27: 0, 28: 0, 29: 0, 46: 0, 17: 1, 18: 1, 51: 1, 4: 2, 5: 2,
          40: 3, 41: 3, 42: 3, 43: 3, 44: 3, 45: 3, 1: 4, 2: 4, 15: 4, 10: 5, 11: 5,
          12: 6, 13: 6, 14: 6, 16: 6, 49: 6, 50: 6, 48: 7,
          59: 8, 60: 8, 61: 8, 62: 8, 63: 8}
AUTH_FAILURE = 46
DECRYPT_FAILURE = 49
REPLAY = 50
KEYS_CHANGED = 48
COMM_START = {"tcp": 26, "hdlc": 28}
COMM_END = {"tcp": 27, "hdlc": 29}
FOREVER = 0xFFFF
AUTH_DIAG = 13  # AARE diagnostic authentication-failure (also used for a failed HLS pass 3)


class Guard:
    def __init__(self):
        self.event = Data(obis("0-0:96.11.9.255"), (axdr.UINT8, 0))
        self.counters = [Data(obis("0-0:96.15.%d.255" % (21 + i)), (axdr.UINT32, 0),
                              writable=True) for i in range(10)]
        self.disable = Data(obis("0-0:94.43.140.255"), (axdr.UINT16, 0), writable=True)
        self.lockout = Data(obis("0-0:94.43.141.255"), writable=True,
                            value=(axdr.STRUCTURE, [(axdr.UINT8, 3), (axdr.UINT16, 300)]),
                            on_set=self._set_lockout)
        self.failures = 0
        self.on_event = None  # (code, association or None) -> None: the security event log

    def objects(self):
        return [self.event, self.disable, self.lockout] + self.counters

    def _set_lockout(self, d, ctx):
        v = d[1]
        if len(v) != 2 or v[0][0] != axdr.UINT8 or v[1][0] != axdr.UINT16:
            return TYPE_UNMATCHED
        self.lockout.value = d
        return SUCCESS

    def record(self, code, a=None):
        """An event of KSMW 5.12; `a` is the association it concerns (SAPs, system title)."""
        self.event.value = (axdr.UINT8, code)
        g = _GROUP.get(code)
        if g is not None:
            c = self.counters[g]
            c.value = (axdr.UINT32, (c.value[1] + 1) & 0xFFFFFFFF)
        if self.on_event is not None:
            self.on_event(code, a)

    # ---------------------------------------------------------------- server hooks
    def association(self, a, accepted, diag):
        """Every completed or refused association attempt (HLS: after pass 3/4)."""
        if not accepted and diag == AUTH_DIAG:
            self.record(AUTH_FAILURE, a)
        if accepted:
            self.record(COMM_START[a.port], a)
        if a.port != "hdlc":
            return
        if accepted:
            self.failures = 0
            return
        self.failures += 1
        limit, period = self.lockout.value[1][0][1], self.lockout.value[1][1][1]
        if limit and self.failures >= limit:  # KSMW 4.1.2 automatic lockout
            self.failures = 0
            self.disable.value = (axdr.UINT16, period)

    def ended(self, a):
        self.record(COMM_END[a.port], a)

    def security(self, a, code):
        self.record(code, a)

    # ---------------------------------------------------------------- optical port
    def optical_disabled(self):
        return self.disable.value[1] != 0

    def tick_second(self):
        v = self.disable.value[1]
        if 0 < v < FOREVER:
            self.disable.value = (axdr.UINT16, v - 1)
