# SPDX-License-Identifier: MIT
"""IC 72 M-Bus client, version 1 (Blue Book 4.8.3; KSMW 4.3; mbus-optical-notes 7).

Attributes: 2 mbus_port_reference octet-string(6), 3 capture_definition array of {DIB
octet-string, VIB octet-string}, 4 capture_period double-long-unsigned (s), 5 primary_address
unsigned, 6 identification_number double-long-unsigned, 7 manufacturer_id long-unsigned,
8 version unsigned, 9 device_type unsigned, 10 access_number unsigned, 11 status unsigned,
12 alarm unsigned, 13 configuration long-unsigned, 14 encryption_key_status enum.
Methods: 1 slave_install, 2 slave_deinstall, 3 capture, 4 reset_alarm, 5 synchronize_clock,
6 data_send, 7 set_encryption_key, 8 transfer_key.

The head-end sets up 2..9 (KSMW 4.3); 10..14 come from the device. slave_deinstall clears
the device attributes (5..14) and succeeds; reset_alarm is not supported (KSMW 4.3) and
answers other-reason, as do slave_install and capture on the wireless port (KSMW 4.3).

Later work: M-Bus - the master (installation and binding, readout into the M-Bus value
objects, clock synchronisation, data_send, keys): methods 1, 3, 5..8 answer other-reason.
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)

CAPTURE_MAX = 4  # KSMW 4.3: at least 4 elements, one per M-Bus value instance
DIB_VIB_MAX = 11  # DIF + 10 DIFE, VIF + 10 VIFE (EN 13757-3)
# attribute -> A-XDR tag of the numeric attributes 4..14 (values in self.num[attr - 4])
_TAGS = (axdr.UINT32, axdr.UINT8, axdr.UINT32, axdr.UINT16, axdr.UINT8, axdr.UINT8,
         axdr.UINT8, axdr.UINT8, axdr.UINT8, axdr.UINT16, axdr.ENUM)


class MBusClient(CosemObject):
    CLASS_ID = 72
    VERSION = 1
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)
    WRITABLE = (2, 3, 4, 5, 6, 7, 8, 9)
    METHODS = (1, 2, 3, 4, 5, 6, 7, 8)

    def __init__(self, ln, port, capture_period=3600):
        """port: logical name of the M-Bus master port setup (IC 74) the device is on."""
        super().__init__(ln)
        self.port = bytes(port)
        self.capture = ()  # ((dib, vib), ...)
        self.num = [capture_period] + [0] * 10

    def get(self, attr, w, ctx):
        if attr == 2:
            w.octets(self.port)
        elif attr == 3:
            w.array(len(self.capture))
            for dib, vib in self.capture:
                w.structure(2)
                w.octets(dib)
                w.octets(vib)
        elif 4 <= attr <= 14:
            w.tagged(_TAGS[attr - 4], self.num[attr - 4])
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        tag, v = d
        if attr == 2:
            if tag != axdr.OCTET_STRING or len(v) != 6:
                return TYPE_UNMATCHED
            self.port = bytes(v)
            return SUCCESS
        if attr == 3:
            if tag != axdr.ARRAY:
                return TYPE_UNMATCHED
            if len(v) > CAPTURE_MAX:
                return OTHER_REASON
            out = []
            for e in v:
                if e[0] != axdr.STRUCTURE or len(e[1]) != 2:
                    return TYPE_UNMATCHED
                dib, vib = e[1]
                if dib[0] != axdr.OCTET_STRING or vib[0] != axdr.OCTET_STRING:
                    return TYPE_UNMATCHED
                if len(dib[1]) > DIB_VIB_MAX or len(vib[1]) > DIB_VIB_MAX:
                    return OTHER_REASON
                out.append((bytes(dib[1]), bytes(vib[1])))
            self.capture = tuple(out)
            return SUCCESS
        if 4 <= attr <= 9:
            if tag != _TAGS[attr - 4]:
                return TYPE_UNMATCHED
            if attr == 5 and v > 250:  # primary addresses 1..250, 0 = not assigned
                return OTHER_REASON
            self.num[attr - 4] = v
            return SUCCESS
        return READ_WRITE_DENIED

    def deinstall(self):
        """slave_deinstall: the channel forgets its device (attributes 5..14)."""
        for k in range(1, len(self.num)):
            self.num[k] = 0

    def action(self, method, d, ctx):
        if not 1 <= method <= 8:
            return OBJECT_UNDEFINED, None
        if method == 2:
            if d is not None and d[0] not in (axdr.INT8, axdr.UINT8, axdr.NULL):
                return TYPE_UNMATCHED, None
            self.deinstall()
            return SUCCESS, None
        return OTHER_REASON, None
