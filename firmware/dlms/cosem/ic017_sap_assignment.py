# SPDX-License-Identifier: MIT
"""IC 17 SAP assignment, version 0 (Blue Book 4.4.5): SAP_assignment_list."""
from dlms.apdu import axdr
from dlms.cosem.base import READ_WRITE_DENIED, SUCCESS, CosemObject


class SapAssignment(CosemObject):
    CLASS_ID = 17
    VERSION = 0
    ATTRS = (1, 2)
    METHODS = (1,)

    def __init__(self, ln, entries):
        """entries: list of (SAP, logical device name bytes); KSMW 3.2 has one device."""
        super().__init__(ln)
        self.entries = entries

    def get(self, attr, w, ctx):
        if attr != 2:
            return super().get(attr, w, ctx)
        w.array(len(self.entries))
        for sap, name in self.entries:
            w.structure(2)
            w.tagged(axdr.UINT16, sap)
            w.octets(name)
        return SUCCESS

    def action(self, method, d, ctx):
        # connect_logical_device: the single logical device of KSMW 3.2 is fixed
        return READ_WRITE_DENIED, None
