# SPDX-License-Identifier: MIT
"""IC 23 IEC HDLC setup, version 1 (Blue Book 4.7.7; dlms-notes 7.10).

Attributes mirror an HdlcConfig shared with the link; changes take effect at
the next SNRM (the negotiated values of a running link stay as they are).
"""
from dlms.apdu import axdr
from dlms.cosem.base import READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject

# attr -> (config field, A-XDR tag, min, max)
_FIELDS = {
    2: ("comm_speed", axdr.ENUM, 0, 9),
    3: ("window_tx", axdr.UINT8, 1, 7),
    4: ("window_rx", axdr.UINT8, 1, 7),
    5: ("max_info_tx", axdr.UINT16, 32, 2030),
    6: ("max_info_rx", axdr.UINT16, 32, 2030),
    7: ("inter_octet_ms", axdr.UINT16, 20, 6000),
    8: ("inactivity_s", axdr.UINT16, 0, 65535),
    9: ("device_address", axdr.UINT16, 0x10, 0x3FFD),
}


class IecHdlcSetup(CosemObject):
    CLASS_ID = 23
    VERSION = 1
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
    WRITABLE = (2, 3, 4, 5, 6, 7, 8, 9)

    def __init__(self, ln, config):
        super().__init__(ln)
        self.config = config

    def get(self, attr, w, ctx):
        f = _FIELDS.get(attr)
        if f is None:
            return super().get(attr, w, ctx)
        w.tagged(f[1], getattr(self.config, f[0]))
        return SUCCESS

    def set(self, attr, d, ctx):
        f = _FIELDS.get(attr)
        if f is None:
            return READ_WRITE_DENIED
        if d[0] != f[1] or not f[2] <= d[1] <= f[3]:
            return TYPE_UNMATCHED
        setattr(self.config, f[0], d[1])
        return SUCCESS
