# SPDX-License-Identifier: MIT
"""IC 3 Register, version 0 (Blue Book 4.3.2): value, scaler_unit; method 1 reset."""
from dlms.apdu import axdr
from dlms.cosem.base import (
    CosemObject, OBJECT_UNDEFINED, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, no_data,
)


class Register(CosemObject):
    CLASS_ID = 3
    VERSION = 0
    ATTRS = (1, 2, 3)
    METHODS = (1,)

    def __init__(self, ln, tag, scaler, unit, read, reset=None, write=None):
        """read() -> int; reset() clears the value; write(v) stores a value (optional)."""
        super().__init__(ln)
        self.tag = tag
        self.scaler = scaler
        self.unit = unit
        self.read = read
        self.reset = reset
        self.write = write
        if write is not None:
            self.WRITABLE = (2,)

    def get(self, attr, w, ctx):
        if attr == 2:
            w.tagged(self.tag, self.read())
            return SUCCESS
        if attr == 3:  # scaler_unit: structure {integer, enum} (dlms-notes 1.7)
            w.structure(2)
            w.tagged(axdr.INT8, self.scaler)
            w.tagged(axdr.ENUM, self.unit)
            return SUCCESS
        return super().get(attr, w, ctx)

    def set(self, attr, d, ctx):
        if attr != 2 or self.write is None:
            return READ_WRITE_DENIED
        if d[0] != self.tag:
            return TYPE_UNMATCHED
        self.write(d[1])
        return SUCCESS

    def action(self, method, d, ctx):
        # reset(data) with data ::= integer(0) (Blue Book 4.3.2)
        if method != 1 or self.reset is None:
            return OBJECT_UNDEFINED, None
        if not no_data(d):
            return TYPE_UNMATCHED, None
        self.reset()
        return SUCCESS, None
