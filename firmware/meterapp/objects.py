# SPDX-License-Identifier: MIT
"""Object list of the simulated meter (KSMW 3.2, 3.6, 4.1.1, 5.1-5.4; profiles and logs of
5.5-5.19 and 6.3-6.5 in meterapp/profiles.py), built once at boot. Units: Blue Book unit
enum (27 W, 29 var, 30 Wh, 32 varh, 7 s)."""

from dlms.apdu import axdr
from dlms.cosem.base import SUCCESS, obis
from dlms.cosem.ic001_data import Data
from dlms.cosem.ic003_register import Register
from dlms.cosem.ic004_extended_register import ExtendedRegister
from dlms.cosem.ic008_clock import Clock
from dlms.cosem.ic017_sap_assignment import SapAssignment
from dlms.cosem.ic023_iec_hdlc_setup import IecHdlcSetup
from dlms.util import timeconv as tc
from meterapp.guard import Guard
from meterapp.identity import logical_device_name, system_title
from meterapp.metrology import SimMetering
from meterapp.profiles import Profiles

from meterapp import clients as cl


class Meter:
    """Everything the DLMS server needs from the application: objects and clients."""

    def __init__(self, board, hdlc_config):
        ident = board.identity
        self.ldn = logical_device_name(ident["manufacturer"], ident["meter_type"],
                                       ident["serial"])
        self.system_title = system_title(ident["manufacturer"], ident["serial"])
        self.clock = clock = Clock(obis("0-0:1.0.0.255"), board.now_ms)
        self.metering = m = SimMetering(
            board.now_ms, lambda s: tc.from_unix(clock.local(s + clock.offset_ms // 1000))[3])
        self.clients, self.device, self.objects = cl.build(
            self.system_title, board.store(), board.now_ms, board.pki())
        objs = self.objects
        self.guard = Guard()
        objs += self.guard.objects()
        objs += [
            SapAssignment(obis("0-0:41.0.0.255"), [(1, self.ldn)]),
            Data(obis("0-0:42.0.0.255"), (axdr.OCTET_STRING, self.ldn)),
            Data(obis("0-0:96.1.0.255"), (axdr.OCTET_STRING, ident["serial"].encode())),
            Data(obis("0-0:96.1.1.255"), (axdr.OCTET_STRING, b"1KFM0200000001")),
            Data(obis("1-0:0.2.1.255"), (axdr.UINT16, 1), writable=True),
            IecHdlcSetup(obis("0-0:22.0.0.255"), hdlc_config),
            clock,
            Register(obis("1-0:0.9.11.255"), axdr.UINT8, 0, 7, lambda: 9),
            Data(obis("1-0:0.9.1.255"), source=self._local_time),
            Data(obis("1-0:0.9.2.255"), source=self._local_date),
        ]
        for i, (code, unit) in enumerate((("1.8.0", 30), ("2.8.0", 30), ("3.8.0", 32),
                                          ("4.8.0", 32))):
            objs.append(Register(obis("1-0:%s.255" % code), axdr.UINT32, 0, unit,
                                 (lambda i=i: m.energy_wh(i))))
        for i, (code, unit) in enumerate((("1.6.0", 27), ("2.6.0", 27), ("3.6.0", 29),
                                          ("4.6.0", 29))):
            objs.append(ExtendedRegister(
                obis("1-0:%s.255" % code), axdr.UINT32, 0, unit,
                (lambda i=i: m.max_demand[i]), (lambda i=i: self._md_time(i)),
                reset=(lambda i=i: self._md_reset(i))))
        # profiles and event logs (KSMW 5.5-5.19, 6.3-6.5) with the small objects they capture
        self.profiles = Profiles(self, board.store())
        objs += self.profiles.objects
        self.guard.on_event = self.profiles.security_event
        # the rest of the KSMW object list, served on demand; type 100 = single-phase (5.1);
        # imported last: its code takes its heap after the object model's larger blocks
        from meterapp.catalog import Catalog

        self.catalog = Catalog(self, ident["meter_type"] != "100")

    def _md_time(self, i):
        t = self.metering.md_time[i]
        if t is None:  # captured at the start of the current quarter hour
            t = self.clock.utc_ms() // 900000 * 900000
        return bytes(self.clock.datetime(bytearray(12), t))

    def _md_reset(self, i):
        # KSMW 5.3: value 0, capture_time = time of the reset
        self.metering.max_demand[i] = 0
        self.metering.md_time[i] = self.clock.utc_ms()

    def _local_time(self, w, ctx):
        dt = self.clock.datetime()
        w.octets(dt[5:9])
        return SUCCESS

    def _local_date(self, w, ctx):
        dt = self.clock.datetime()
        w.octets(dt[0:5])
        return SUCCESS
