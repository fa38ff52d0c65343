# SPDX-License-Identifier: MIT
"""IC 1 Data, version 0 (Blue Book 4.3.1): attribute 2 value (any type)."""
from dlms.cosem.base import READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject


class Data(CosemObject):
    CLASS_ID = 1
    VERSION = 0
    ATTRS = (1, 2)

    def __init__(self, ln, value=None, source=None, writable=False, on_set=None):
        """value: a (tag, value) Data; source: callable(w, ctx) writing a live value instead."""
        super().__init__(ln)
        self.value = value
        self.source = source
        self.on_set = on_set
        self.WRITABLE = (2,) if writable else ()

    def get(self, attr, w, ctx):
        if attr == 2:
            if self.source is not None:
                return self.source(w, ctx)
            w.data(self.value)
            return SUCCESS
        return super().get(attr, w, ctx)

    def set(self, attr, d, ctx):
        if attr != 2 or not self.WRITABLE:
            return READ_WRITE_DENIED
        if self.value is not None and d[0] != self.value[0]:
            return TYPE_UNMATCHED
        if self.on_set is not None:
            return self.on_set(d, ctx)
        self.value = d
        return SUCCESS
