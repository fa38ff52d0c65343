# SPDX-License-Identifier: MIT
"""Object list of the simulated meter (KSMW 3.2, 3.6, 4.1.1, 5.1, 5.2, 5.3, 5.4), built once at
boot. Units: Blue Book unit enum (27 W, 29 var, 30 Wh, 32 varh, 7 s)."""
from struct import pack, unpack_from

from dlms.apdu import axdr
from dlms.cosem.base import SUCCESS, obis
from dlms.cosem.ic001_data import Data
from dlms.cosem.ic003_register import Register
from dlms.cosem.ic004_extended_register import ExtendedRegister
from dlms.cosem.ic008_clock import Clock
from dlms.cosem.ic015_association_ln import AssociationLN
from dlms.cosem.ic017_sap_assignment import SapAssignment
from dlms.cosem.ic023_iec_hdlc_setup import IecHdlcSetup
from dlms.server.association import ClientConfig, Role
from dlms.server.secured import KeySet
from dlms.util import timeconv as tc
from meterapp.identity import logical_device_name, system_title
from meterapp.metrology import SimMetering
from meterapp.nvstore import PersistentCounter

PUBLIC_SAP = 16
MANAGEMENT_SAP = 1
INSTALLATION_SAP = 5
MAINTENANCE_SAP = 6
CERTIFICATION_SAP = 7

# Test provisioning of the simulated meter (never a production key). Every client has its
# own security context and keys (KSMW 3.5): one key never serves two counters, so no GCM
# nonce (system title || counter) repeats under a key. GUEK(s) = s0 s1 .. sF,
# GAK(s) = complement of it.


def provisioned_keys(sap):
    ek = bytes((sap << 4) | i for i in range(16))
    return ek, bytes(b ^ 0xFF for b in ek)


TEST_HLS6 = {
    INSTALLATION_SAP: (b"installer-secret", 0x10),  # policy: authenticated
    MAINTENANCE_SAP: (b"maintenance-secret-0123456789", 0x30),  # authenticated and encrypted
    CERTIFICATION_SAP: (b"certification-secret-01", 0x30),
}

# objects the public client sees (KSMW 3.6.1: basic configuration and identification)
_PUBLIC = (
    "0-0:40.0.0.255", "0-0:41.0.0.255", "0-0:42.0.0.255", "0-0:96.1.0.255", "0-0:96.1.1.255",
    "0-0:1.0.0.255", "1-0:0.9.1.255", "1-0:0.9.2.255", "0-0:22.0.0.255",
    "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255",
    "1-0:1.6.0.255", "1-0:2.6.0.255", "1-0:3.6.0.255", "1-0:4.6.0.255",
)


def _bind_counters(keys, store, name):
    """Global-key frame counters survive resets (KSMW 3.5.4)."""
    def rx_load():
        v = store.read(name + "rx")
        return unpack_from(">I", v)[0] if v and len(v) == 4 else 0

    def rx_save(ic):
        store.write(name + "rx", pack(">I", ic))

    keys.bind(PersistentCounter(store, name + "tx"), rx_load, rx_save)


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
        public = Role("public", visible=set(obis(s) for s in _PUBLIC))
        management = Role("management", write=True, act=True)
        self.clients = {
            PUBLIC_SAP: ClientConfig(PUBLIC_SAP, public, mechanism=0),
            MANAGEMENT_SAP: ClientConfig(MANAGEMENT_SAP, management, mechanism=1,
                                         secret=board.lls_secret),
        }
        store = board.store()
        for sap, (secret, policy) in TEST_HLS6.items():
            ek, ak = provisioned_keys(sap)
            keys = KeySet(ek, ak, policy)
            if store is not None:
                _bind_counters(keys, store, "fc%d" % sap)
            self.clients[sap] = ClientConfig(sap, management, mechanism=6, secret=secret,
                                             context=3, keys=keys, ports=("hdlc",))
        self.objects = objs = [AssociationLN(obis("0-0:40.0.0.255"))]
        for sap in (MANAGEMENT_SAP, INSTALLATION_SAP, MAINTENANCE_SAP, CERTIFICATION_SAP):
            objs.append(AssociationLN(obis("0-0:40.0.%d.255" % sap), client=self.clients[sap],
                                      security_setup=obis("0-0:43.0.%d.255" % sap)))
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
