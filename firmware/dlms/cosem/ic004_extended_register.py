# SPDX-License-Identifier: MIT
"""IC 4 Extended register, version 0 (Blue Book 4.3.3): value, scaler_unit, status,
capture_time; method 1 reset (value cleared, capture_time = time of reset)."""
from dlms.apdu import axdr
from dlms.cosem.base import SUCCESS
from dlms.cosem.ic003_register import Register


class ExtendedRegister(Register):
    CLASS_ID = 4
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5)

    def __init__(self, ln, tag, scaler, unit, read, capture_time, status=0, reset=None):
        """capture_time() -> 12-byte date-time of the last capture."""
        super().__init__(ln, tag, scaler, unit, read, reset)
        self.capture_time = capture_time
        self.status = status

    def get(self, attr, w, ctx):
        if attr == 4:  # status: not used by KSMW 5.3, stays 0
            w.tagged(axdr.UINT8, self.status)
            return SUCCESS
        if attr == 5:
            w.octets(self.capture_time())
            return SUCCESS
        return super().get(attr, w, ctx)
