# SPDX-License-Identifier: MIT
"""The clients of KSMW 3.6 with their interfaces, mechanisms, policies and security
contexts, and their Association LN, Security setup and frame counter objects (Tables 7, 8).

Test provisioning of the simulated meter (never production keys): every client has its
own keys, so no GCM nonce (system title || counter) repeats under one key:
GUEK(s) = s0 s1 .. sF, GAK(s) = its complement; master key 'KFM-test-master!'.
Keys, policies and secrets changed through the objects persist in the board's store.
"""
from struct import pack, unpack_from

from dlms.cosem.base import obis
from dlms.cosem.ic015_association_ln import AssociationLN
from dlms.cosem.ic064_security_setup import SecuritySetup
from dlms.cosem.ic12544_frame_counter import FrameCounterProvider
from dlms.server.association import ClientConfig, Role
from dlms.server import association as asn
from dlms.server.certstore import CertStore
from dlms.server.device import DeviceSecurity
from dlms.server.secured import KeySet, MasterKey
from meterapp.nvstore import PersistentCounter

PUBLIC_SAP = 16
MANAGEMENT_SAP = 1
READOUT_SAP = 2
FW_UPDATE_SAP = 3
PLC_SAP = 4
INSTALLATION_SAP = 5
MAINTENANCE_SAP = 6
CERTIFICATION_SAP = 7
CIP_SAP = 103

TEST_MASTER_KEY = b"KFM-test-master!"
AUTH_ENC = 0x6C  # v1 policy: requests and responses authenticated and encrypted
AUTH = 0x24  # requests and responses authenticated
ENC_RESP = 0x40  # all (pushed) messages encrypted

LAN = ("tcp",)
WZ = ("hdlc",)

# sap: (mechanism, further mechanisms, HLS secret, policy, interfaces) - KSMW 3.6.2-3.6.9.
# HLS-5 is accepted beside HLS-7 on the LAN clients for IDIS head-ends without suite 1
# (docs/decisions.md).
SECURED = {
    MANAGEMENT_SAP: (7, (5,), None, AUTH_ENC, LAN),
    READOUT_SAP: (7, (5,), None, AUTH_ENC, LAN),
    PLC_SAP: (7, (5,), None, AUTH_ENC, LAN),
    INSTALLATION_SAP: (6, (), b"installer-secret", AUTH, WZ),
    MAINTENANCE_SAP: (6, (), b"maintenance-secret-0123456789", AUTH_ENC, WZ),
    CERTIFICATION_SAP: (6, (), b"certification-secret-01", AUTH_ENC, WZ),
    CIP_SAP: (0, (), None, ENC_RESP, ()),
}
TEST_HLS6 = dict((s, (v[2], v[3])) for s, v in SECURED.items() if v[0] == 6)

# objects the public client sees (KSMW 3.6.1: basic configuration and identification)
PUBLIC_OBJECTS = (
    "0-0:40.0.0.255", "0-0:41.0.0.255", "0-0:42.0.0.255", "0-0:96.1.0.255", "0-0:96.1.1.255",
    "0-0:1.0.0.255", "1-0:0.9.1.255", "1-0:0.9.2.255", "0-0:22.0.0.255", "0-0:25.0.0.255",
    "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255",
    "1-0:1.6.0.255", "1-0:2.6.0.255", "1-0:3.6.0.255", "1-0:4.6.0.255",
    "0-0:43.1.1.255", "0-0:43.1.2.255", "0-0:43.1.4.255", "0-0:43.1.5.255",
    "0-0:43.1.6.255", "0-0:43.1.7.255",
)
# every client may answer HLS pass 3 and read frame counters (KSMW 3.6, Appendix 11)
_ALWAYS = ((15, 1), (12544, 1))


def provisioned_keys(sap):
    ek = bytes((sap << 4 | i) & 0xFF for i in range(16))
    return ek, bytes(b ^ 0xFF for b in ek)


def roles():
    pub = Role("public", visible=set(obis(s) for s in PUBLIC_OBJECTS), public_methods=_ALWAYS)
    admin = Role("management", write=True, act=True, admin=True, public_methods=_ALWAYS)
    local = Role("local", write=True, act=True, public_methods=_ALWAYS)
    reader = Role("readout", public_methods=_ALWAYS)
    fw = Role("fw-update", visible=set(), public_methods=())  # image transfer: later work
    return {
        PUBLIC_SAP: pub, MANAGEMENT_SAP: admin, MAINTENANCE_SAP: admin,
        READOUT_SAP: reader, PLC_SAP: reader, INSTALLATION_SAP: local,
        CERTIFICATION_SAP: local, FW_UPDATE_SAP: fw, CIP_SAP: reader,
    }


class _Keys(KeySet):
    """KeySet of a SECURED client: global-key counters, keys and policy survive resets in
    the board's store (KSMW 3.5.4); trusted signing keys from the certificate store.
    Methods, not closures per client (~0.3 KB each at boot)."""

    _store = None  # None: nothing persists (no store, or still loading)

    def __init__(self, sap, master, device, store):
        ek, ak = provisioned_keys(sap)
        super().__init__(ek, ak, SECURED[sap][3], master)
        self.sap = sap
        self._device = device
        if store is None:
            return
        v = store.read("ks%d" % sap)
        if v and len(v) == 49:
            self.set_policy(v[0])
            self.ek, self.ak, self.bk = v[1:17], v[17:33], v[33:49]
        self._tx = PersistentCounter(store, "fc%dtx" % sap)
        self.tx_ic = self._tx.value
        v = store.read("fc%drx" % sap)
        self.rx_ic = unpack_from(">I", v)[0] if v and len(v) == 4 else 0
        self._store = store

    def trusted(self):
        return self._device.client_keys(self.sap)

    def _rx_save(self, ic):
        if self._store is not None:
            self._store.write("fc%drx" % self.sap, pack(">I", ic))

    def _save(self, k):
        if self._store is not None:
            self._store.write("ks%d" % self.sap, bytes((k.policy,)) + k.ek + k.ak + k.bk)


def _save_secret(store):
    return lambda c: store.write("hls%d" % c.sap, c.secret)


# factory provisioning files (tools/provision.py) -> certificate slots (dlms.server.certstore)
PKI_SLOTS = (("root.der", "root"), ("subca1.der", "subca1"), ("subca2.der", "subca2"),
             ("subca3.der", "subca3"), ("meter.der", "server"), ("client1.der", "c1.0"),
             ("client2.der", "c2.0"), ("client4.der", "c4.0"))


def provision(certs, files):
    """First boot: install the manufacturer's PKI where the store has nothing yet."""
    if certs.device.sign_priv is None and "meter.key" in files:
        certs.provision_key(files["meter.key"])
    for fname, slot in PKI_SLOTS:
        if slot not in certs.slots and fname in files:
            certs.provision(slot, files[fname])


def build(title, store, now_s=None, pki=None):
    """-> (clients by SAP, DeviceSecurity, COSEM objects of KSMW Tables 7 and 8); now_s():
    board seconds (the pending key's 24 h)."""
    master = MasterKey(TEST_MASTER_KEY)
    if store is not None:
        v = store.read("master")
        if v and len(v) in (16, 32):
            master.key = v
        master._save = lambda k: store.write("master", k)
    device = DeviceSecurity(title, master)
    device.certs = CertStore(device, store, now_s)
    if pki:
        provision(device.certs, pki)
    r = roles()
    clients = {
        PUBLIC_SAP: ClientConfig(PUBLIC_SAP, r[PUBLIC_SAP], ports=WZ + LAN),
        FW_UPDATE_SAP: ClientConfig(FW_UPDATE_SAP, r[FW_UPDATE_SAP], ports=LAN,
                                    preestablished=True, conformance=asn.ACTION),
    }
    on_secret = _save_secret(store) if store is not None else None  # one for every client
    for sap, (mech, more, secret, _policy, ports) in SECURED.items():
        save = None
        if secret is not None and on_secret is not None:
            v = store.read("hls%d" % sap)
            if v:
                secret = v
            save = on_secret
        clients[sap] = ClientConfig(sap, r[sap], mechanism=mech, mechanisms=more, secret=secret,
                                    context=3, keys=_Keys(sap, master, device, store),
                                    ports=ports, on_secret=save)
    objs = [AssociationLN(obis("0-0:40.0.0.255")),
            SecuritySetup(obis("0-0:43.0.0.255"), None, device)]
    for sap in (MANAGEMENT_SAP, READOUT_SAP, PLC_SAP, INSTALLATION_SAP, MAINTENANCE_SAP,
                CERTIFICATION_SAP):
        ss = obis("0-0:43.0.%d.255" % sap)
        objs.append(AssociationLN(obis("0-0:40.0.%d.255" % sap), clients[sap], ss))
        objs.append(SecuritySetup(ss, clients[sap], device))
    objs.append(SecuritySetup(obis("0-0:43.0.103.255"), clients[CIP_SAP], device))
    for sap in (MANAGEMENT_SAP, READOUT_SAP, PLC_SAP, INSTALLATION_SAP, MAINTENANCE_SAP,
                CERTIFICATION_SAP):
        objs.append(FrameCounterProvider(obis("0-0:43.1.%d.255" % sap), clients[sap], title))
    return clients, device, objs
