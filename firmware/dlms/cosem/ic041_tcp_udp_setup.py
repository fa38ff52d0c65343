# SPDX-License-Identifier: MIT
"""IC 41 TCP-UDP setup, version 0 (Blue Book IC 41; IDIS P3 7.2.1.1: 0-0:25.0.0.255).

The TCP wrapper port (meterapp/ports.py) reads inactivity_time_out on every watchdog tick,
so a write applies to the open connections at once. port and nb_of_sim_conn describe the
running port (set by the application), IP_reference names the IPv4 setup, MSS is the
board's TCP/IP stack's; only inactivity_time_out is writable (docs/decisions.md). A store
(meterapp/nvstore.RecordStore) keeps a written inactivity_time_out across restarts.
"""
from struct import pack, unpack

from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject

RECORD = "tcpudp"  # record of the written attributes (inactivity_time_out, u16)

# numeric attributes: attr -> (attribute name, A-XDR tag, min, max)
_FIELDS = {
    2: ("port", axdr.UINT16, 1, 65535),
    4: ("mss", axdr.UINT16, 40, 65535),
    5: ("nb_of_sim_conn", axdr.UINT8, 1, 255),
    6: ("inactivity_time_out", axdr.UINT16, 0, 65535),  # seconds, 0: none
}


class TcpUdpSetup(CosemObject):
    CLASS_ID = 41
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6)
    WRITABLE = (6,)

    # defaults as class attributes: an instance holds only what differs
    port = 4059  # IEC 62056-47 DLMS/COSEM port
    ip_reference = b"\x00\x00\x19\x01\x00\xff"  # IPv4 setup 0-0:25.1.0.255
    mss = 576  # Blue Book default (the IPv4 minimum datagram)
    nb_of_sim_conn = 4
    inactivity_time_out = 180  # s, IDIS default
    _store = None

    def __init__(self, ln, store=None):
        super().__init__(ln)
        if store is None:
            return
        v = store.read(RECORD)
        if v and len(v) == 2:
            self.inactivity_time_out = unpack(">H", v)[0]
        self._store = store

    def get(self, attr, w, ctx):
        if attr == 3:
            w.octets(self.ip_reference)
            return SUCCESS
        f = _FIELDS.get(attr)
        if f is None:
            return super().get(attr, w, ctx)
        w.tagged(f[1], getattr(self, f[0]))
        return SUCCESS

    def set(self, attr, d, ctx):
        f = _FIELDS.get(attr)
        if f is None or attr not in self.WRITABLE:
            return READ_WRITE_DENIED
        if d is None or d[0] != f[1]:
            return TYPE_UNMATCHED
        v = d[1]
        if not f[2] <= v <= f[3]:
            return OTHER_REASON
        setattr(self, f[0], v)
        if attr == 6 and self._store is not None:
            self._store.write(RECORD, pack(">H", v))
        return SUCCESS
