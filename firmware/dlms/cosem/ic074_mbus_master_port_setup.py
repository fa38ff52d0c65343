# SPDX-License-Identifier: MIT
"""IC 74 M-Bus master port setup, version 0 (Blue Book 4.8.4): comm_speed enum (0 = 300,
1 = 600, 2 = 1200, 3 = 2400 ... 9 = 115200 Bd; default 2400).

KSMW 4.2.1, 4.3: the wired M2 port (0-0:24.6.0.255), the wireless one (0-1:24.6.0.255) and
the consumer information port H1 (0-2:24.6.0.255, fixed 2400 Bd, KSMW 2.2: read-only).

Later work: M-Bus - the UART the value configures (the ports exist on a board only).
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)

BAUD_2400 = 3


class MBusMasterPortSetup(CosemObject):
    CLASS_ID = 74
    VERSION = 0
    ATTRS = (1, 2)
    WRITABLE = (2,)

    def __init__(self, ln, comm_speed=BAUD_2400, fixed=False):
        super().__init__(ln)
        self.comm_speed = comm_speed
        if fixed:
            self.WRITABLE = ()

    def get(self, attr, w, ctx):
        if attr == 2:
            w.tagged(axdr.ENUM, self.comm_speed)
            return SUCCESS
        return super().get(attr, w, ctx)

    def set(self, attr, d, ctx):
        if attr != 2 or not self.WRITABLE:
            return READ_WRITE_DENIED
        if d[0] != axdr.ENUM:
            return TYPE_UNMATCHED
        if d[1] > 9:
            return OTHER_REASON
        self.comm_speed = d[1]
        return SUCCESS
