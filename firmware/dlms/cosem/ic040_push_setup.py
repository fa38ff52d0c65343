# SPDX-License-Identifier: MIT
"""IC 40 Push setup, version 0 (Blue Book 4.4.8; KSMW 10).

Attributes: 2 push_object_list array of {class_id long-unsigned, logical_name octet-string,
attribute_index integer, data_index long-unsigned}, 3 send_destination_and_method
{transport_service enum, destination octet-string, message enum}, 4 communication_window
array of {start_time, end_time} (octet-string(12) date-times; empty: push at any time),
5 randomisation_start_interval long-unsigned (s), 6 number_of_retries unsigned,
7 repetition_delay long-unsigned (s). Method 1 push(data ::= integer(0)).

The object list is kept as 11-byte records (class_id, logical name, attribute, data index):
KSMW 10 asks for at least 20 entries per push setup (`MAX_OBJECTS`).

Later work: push - the DATA-NOTIFICATION service and its transports (TCP/UDP, wired M-Bus
broadcast on H1), windows, randomisation and retries; push answers other-reason until then
(the conformance block does not offer data-notification yet, docs/decisions.md).
"""
from struct import pack, unpack_from

from dlms.apdu import axdr
from dlms.cosem.base import (
    CosemObject, OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED,
    no_data,
)

MAX_OBJECTS = 20  # KSMW 10.1-10.5: "a minimum of 20 capture object definitions"
MAX_WINDOWS = 4
MAX_DESTINATION = 64
_REC = 11  # class_id(2) logical_name(6) attribute_index(1) data_index(2)
TCP, UDP, MBUS_H1 = 0, 1, 201  # transport_service (KSMW 10.5, 10.6: 201 = wired M-Bus)


def record(class_id, ln, attr, data_index=0):
    """One push_object_list entry as stored."""
    return pack(">H6sbH", class_id, bytes(ln), attr, data_index)


class PushSetup(CosemObject):
    CLASS_ID = 40
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6, 7)
    WRITABLE = (2, 3, 4, 5, 6, 7)
    METHODS = (1,)

    def __init__(self, ln, objects=b"", service=TCP, destination=b"", retries=3,
                 randomisation=0, delay=60):
        """objects: concatenated record()s."""
        super().__init__(ln)
        self.objects = bytes(objects)
        self.dest = (service, bytes(destination), 0)  # message 0: A-XDR xDLMS APDU
        self.windows = ()  # ((start12, end12), ...)
        self.num = [randomisation, retries, delay]

    def get(self, attr, w, ctx):
        if attr == 2:
            b = self.objects
            w.array(len(b) // _REC)
            for o in range(0, len(b), _REC):
                c, ln, a, di = unpack_from(">H6sbH", b, o)
                w.structure(4)
                w.tagged(axdr.UINT16, c)
                w.octets(ln)
                w.tagged(axdr.INT8, a)
                w.tagged(axdr.UINT16, di)
        elif attr == 3:
            s, dst, msg = self.dest
            w.structure(3)
            w.tagged(axdr.ENUM, s)
            w.octets(dst)
            w.tagged(axdr.ENUM, msg)
        elif attr == 4:
            w.array(len(self.windows))
            for a, b in self.windows:
                w.structure(2)
                w.octets(a)
                w.octets(b)
        elif attr in (5, 7):
            w.tagged(axdr.UINT16, self.num[attr - 5])
        elif attr == 6:
            w.tagged(axdr.UINT8, self.num[1])
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        tag, v = d
        if attr == 2:
            return self._set_objects(d)
        if attr == 3:
            if tag != axdr.STRUCTURE or len(v) != 3:
                return TYPE_UNMATCHED
            s, dst, msg = v
            if s[0] != axdr.ENUM or dst[0] != axdr.OCTET_STRING or msg[0] != axdr.ENUM:
                return TYPE_UNMATCHED
            if len(dst[1]) > MAX_DESTINATION:
                return OTHER_REASON
            self.dest = (s[1], bytes(dst[1]), msg[1])
            return SUCCESS
        if attr == 4:
            if tag != axdr.ARRAY:
                return TYPE_UNMATCHED
            if len(v) > MAX_WINDOWS:
                return OTHER_REASON
            out = []
            for e in v:
                if e[0] != axdr.STRUCTURE or len(e[1]) != 2:
                    return TYPE_UNMATCHED
                a, b = e[1]
                for t in (a, b):
                    if t[0] not in (axdr.OCTET_STRING, axdr.DATE_TIME) or len(t[1]) != 12:
                        return TYPE_UNMATCHED
                out.append((bytes(a[1]), bytes(b[1])))
            self.windows = tuple(out)
            return SUCCESS
        if 5 <= attr <= 7:
            if tag != (axdr.UINT8 if attr == 6 else axdr.UINT16):
                return TYPE_UNMATCHED
            self.num[attr - 5] = v
            return SUCCESS
        return READ_WRITE_DENIED

    def _set_objects(self, d):
        if d[0] != axdr.ARRAY:
            return TYPE_UNMATCHED
        if len(d[1]) > MAX_OBJECTS:
            return OTHER_REASON
        out = bytearray()
        for e in d[1]:
            if e[0] != axdr.STRUCTURE or len(e[1]) != 4:
                return TYPE_UNMATCHED
            c, ln, a, di = e[1]
            if (c[0] != axdr.UINT16 or ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6
                    or a[0] != axdr.INT8 or di[0] != axdr.UINT16):
                return TYPE_UNMATCHED
            out += record(c[1], ln[1], a[1], di[1])
        self.objects = bytes(out)
        return SUCCESS

    def action(self, method, d, ctx):
        if method != 1:
            return OBJECT_UNDEFINED, None
        if not no_data(d):
            return TYPE_UNMATCHED, None
        return OTHER_REASON, None  # later work: push (data-notification)
