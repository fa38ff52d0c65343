# SPDX-License-Identifier: MIT
"""Object list of the simulated meter (KSMW 3.2, 3.6, 4.1.1, 5.1-5.4; profiles and logs of
5.5-5.19 and 6.3-6.5 in meterapp/profiles.py), built once at boot. Units: Blue Book unit
enum (27 W, 29 var, 30 Wh, 32 varh, 7 s)."""

import gc
import sys

from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, SUCCESS, obis
from dlms.cosem.ic001_data import Data
from dlms.cosem.ic003_register import Register
from dlms.cosem.ic008_clock import Clock
from dlms.cosem.ic017_sap_assignment import SapAssignment
from dlms.cosem.ic023_iec_hdlc_setup import IecHdlcSetup
from dlms.cosem.ic041_tcp_udp_setup import TcpUdpSetup
from meterapp.billing import Billing
from meterapp.energy import Energy
from meterapp.guard import Guard
from meterapp.identity import logical_device_name, system_title
from meterapp.nvstore import RecordStore
from meterapp.profiles import Profiles
from meterapp.timeline import Timeline

from meterapp import clients as cl


TARIFF_SCRIPTS = "0-0:10.0.100.255"
# a collection between boot stages on MicroPython (fragmentation); CPython needs none
_settle = gc.collect if sys.implementation.name == "micropython" else (lambda: None)
MAX_OBJECTS = 160  # built at boot (121 on the poly-phase meter); the catalog serves the rest


def _shift_limit():
    return 9  # KSMW 5.4: fixed 9 s (meterapp/timeline.py)


class Meter:
    """Everything the DLMS server needs from the application: objects and clients."""

    def __init__(self, board, hdlc_config):
        ident = board.identity
        self.ldn = logical_device_name(ident["manufacturer"], ident["meter_type"],
                                       ident["serial"])
        self.system_title = system_title(ident["manufacturer"], ident["serial"])
        d = board.store_dir()  # the board names the folder, the application owns the store
        self.store = store = RecordStore(d) if d is not None else None
        self.clock = clock = Clock(obis("0-0:1.0.0.255"), board.now)
        self.timeline = tl = Timeline(self, board)
        clock.on_adjust = tl.adjusted
        self.metering = front = board.metering(clock.local)
        self.catalog = None
        # the object list's block taken while the heap is still in one piece (list append
        # within the capacity allocates nothing)
        self.objects = objs = [None] * MAX_OBJECTS
        del objs[:]
        self.clients, self.device, sec = cl.build(
            self.system_title, store, lambda: clock.board()[0], board.pki())
        objs += sec
        del sec
        _settle()  # between stages: freed temporaries become larger holes (the
        # largest free block after boot ~0.5 KB without, ~1.6 KB with)
        self.guard = Guard()
        objs += self.guard.objects()
        self.tcp_setup = TcpUdpSetup(obis("0-0:25.0.0.255"), store)
        objs += [
            SapAssignment(obis("0-0:41.0.0.255"), [(1, self.ldn)]),
            Data(obis("0-0:42.0.0.255"), (axdr.OCTET_STRING, self.ldn)),
            Data(obis("0-0:96.1.0.255"), (axdr.OCTET_STRING, ident["serial"].encode())),
            Data(obis("0-0:96.1.1.255"), (axdr.OCTET_STRING, b"1KFM0200000001")),
            Data(obis("1-0:0.2.1.255"), (axdr.UINT16, 1), writable=True),
            IecHdlcSetup(obis("0-0:22.0.0.255"), hdlc_config),
            # IDIS P3 7.2.1.1: the TCP wrapper port's setup (app.build links the port to it)
            self.tcp_setup,
            clock,
            Register(obis("1-0:0.9.11.255"), axdr.UINT8, 0, 7, _shift_limit),
            Data(obis("1-0:0.9.1.255"), source=self._local_time),
            Data(obis("1-0:0.9.2.255"), source=self._local_date),
            # KSMW 5.5: tariff script run on invalid tariff information or an invalid clock
            Data(obis("0-0:96.14.15.255"), (axdr.UINT16, 1), writable=True,
                 on_set=self._set_default_tariff),
        ]
        # KSMW 5.2, 5.3: energy totals and rates, demand, maximum and cumulative maximum
        self.energy = Energy(clock, front, store, tl.now_s, ct=ident["meter_type"] == "300")
        objs += self.energy.objects()
        _settle()
        # profiles and event logs (KSMW 5.5-5.19, 6.3-6.5) with the small objects they capture
        self.profiles = Profiles(self, store)
        objs += self.profiles.objects
        _settle()
        self.guard.on_event = self.profiles.security_event
        # the rest of the KSMW object list, served on demand; type 100 = single-phase (5.1);
        # imported last: its code takes its heap after the object model's larger blocks
        from meterapp.catalog import Catalog

        self.catalog = cat = Catalog(self, ident["meter_type"] != "100")
        cat.on_built = tl.add_ticker  # schedulers and calendars built later tick too
        _settle()
        # built at boot, ticked by the timeline: tariffs (KSMW 5.5), billing (5.6), load
        # profile control (5.7.2)
        ra = cat.boot_object(obis("0-0:14.0.1.255"))
        cat.on_tariff = self._tariff
        self.energy.tariff(ra)
        lpc = cat.boot_object(obis("0-0:10.0.109.255"))
        lpc.on_execute = self.profiles.lp_script
        cat.boot_object(obis("0-0:10.1.109.255")).on_execute = self.profiles.display_script
        self.billing = Billing(self)
        self.calendar = cat.boot_object(obis("0-0:13.0.0.255"))
        self.tickers = [self.calendar, cat.boot_object(obis("0-0:15.0.5.255"))] + list(
            self.billing.tickers)
        tl.power_up()

    def _set_default_tariff(self, d, ctx):
        # KSMW 5.5 Table 21: one of the two tariff scripts
        if not 1 <= d[1] <= 2:
            return OTHER_REASON
        self.profiles.get("0-0:96.14.15.255").value = d
        self.calendar.default = (obis(TARIFF_SCRIPTS), d[1])
        return SUCCESS

    def _tariff(self, ra):
        # KSMW 5.5: rates follow the energy mask; the tariff activation log records changes
        if ra.ln[4] != 1:
            return
        tl = self.timeline
        tl.energy_to(tl.now_s())
        self.energy.tariff(ra)
        self.profiles.get("0-0:99.98.11.255").capture(None, tl.now_s())

    def power_down(self):
        """Board power-fail warning (hal): persist, the outage starts now."""
        self.timeline.power_down()

    def _local_time(self, w, ctx):
        dt = self.clock.datetime()
        w.octets(dt[5:9])
        return SUCCESS

    def _local_date(self, w, ctx):
        dt = self.clock.datetime()
        w.octets(dt[0:5])
        return SUCCESS
