# SPDX-License-Identifier: MIT
"""Certificates of the one logical device (KSMW 3.5.2): the root (trust anchor), up to
three Sub-CAs, the meter's digital-signature certificate and up to two signing
certificates per client security setup; Security setup attribute 6 and methods 4-8
(Blue Book 4.4.7 v1; dlms-notes 5.10). Every certificate is kept as DER in the
power-fail-safe store (records crt-<slot>); in RAM only as DER, parsed when used (a parsed
certificate takes about 0.8 KB more on the 64-bit host); the clients' signing keys are taken
out at boot and after each change.

Rules settled here (docs/decisions.md): a root is replaced only by firmware update, never
through import_certificate; a new digital-signature key pair stays pending (the current
one in use) until its certificate is imported, and is dropped after 24 h (KSMW 3.5.2.1).
"""
import os

from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, expect
from dlms.security import csr, ecc, x509

MAX_SUBCA = 3
MAX_PER_CLIENT = 2
PENDING_S = 24 * 3600


class CertStore:
    def __init__(self, device, store=None, now_s=None):
        self.device = device
        self.store = store
        self.now_s = now_s
        self.slots = {}  # slot name -> DER (bytes) of a certificate that parsed
        self.pending = None  # (priv, pub, created ms) of a generated key pair
        if store is not None:
            for name in store.names("crt-"):
                der = store.read(name)
                if not der:
                    continue  # removed (KSMW 3.5.2.1)
                try:
                    self.slots[name[4:]] = x509.Certificate(der).der
                except ValueError:
                    pass  # a damaged record is ignored: the slot is free again
            key = store.read("sigkey")
            if key and len(key) == 32:
                device.set_sign_key(key)
        self._refresh_trust()

    # ---------------------------------------------------------------- provisioning
    def provision(self, slot, der):
        """Factory provisioning (no chain check: the manufacturer installs the chain)."""
        self._put(slot, x509.Certificate(der))

    def provision_key(self, priv):
        self.device.set_sign_key(priv)
        if self.store is not None:
            self.store.write("sigkey", bytes(priv))

    def cert(self, slot):
        """The parsed certificate of a slot (made on each call)."""
        return x509.Certificate(self.slots[slot])

    def _put(self, slot, cert):
        self.slots[slot] = cert.der
        if self.store is not None:
            self.store.write("crt-" + slot, cert.der)
        self._refresh_trust()

    def _remove(self, slot):
        del self.slots[slot]
        if self.store is not None:
            self.store.remove("crt-" + slot)
        self._refresh_trust()

    def _refresh_trust(self):
        trust = {}
        titles = {}
        for slot in self.slots:
            if slot.startswith("c"):  # c<sap>.<n>: client signing certificates
                c = self.cert(slot)
                sap = int(slot[1:slot.index(".")])
                trust.setdefault(sap, []).append(c.pub)
                titles[(sap, x509.system_title(c))] = c.pub
        self.device.trust = trust
        self.device.titles = titles

    # ---------------------------------------------------------------- lookups
    def _cas(self):
        return [self.cert(s) for s in self.slots if s == "root" or s.startswith("subca")]

    def _find_issuer(self, name):
        found = [c for c in self._cas() if bytes(c.subject()) == bytes(name)]
        return found or None

    def _client_slots(self, sap):
        return [s for s in self.slots if s.startswith("c%d." % sap)]

    def _listed(self, sap):
        """Slots listed by the security setup of client `sap` (None: all clients)."""
        return [s for s in self.slots
                if not (s.startswith("c") and sap is not None and not s.startswith("c%d." % sap))]

    def visible(self, sap):
        """(slot, cert) listed by the security setup of client `sap`, parsed one at a time."""
        for s in self._listed(sap):
            yield s, self.cert(s)

    def entity(self, slot, c):
        if slot == "server":
            return x509.ENTITY_SERVER
        if slot.startswith("c"):
            return x509.ENTITY_CLIENT
        return x509.ENTITY_CA if c.ca else x509.ENTITY_OTHER

    # ---------------------------------------------------------------- attribute 6
    def write_info(self, w, client):
        sap = client.sap if client is not None else None
        w.array(len(self._listed(sap)))
        for slot, c in self.visible(sap):
            w.structure(6)
            w.tagged(axdr.ENUM, self.entity(slot, c))
            w.tagged(axdr.ENUM, x509.certificate_type(c))
            w.octets(c.serial())
            w.octets(c.issuer())
            w.octets(c.subject())
            w.octets(c.san() or b"")
        return SUCCESS

    # ---------------------------------------------------------------- methods 4-8
    def method(self, device, m, d, ctx, client):
        c = ctx.client if client is None else client
        if m == 4:
            return self._generate_key_pair(d)
        if m == 5:
            return self._csr(d)
        if m == 6:
            if d is None or d[0] != axdr.OCTET_STRING:
                return TYPE_UNMATCHED, None
            return self._import(d[1], c), None
        slot, res = self._identify(d, c)
        if slot is None:
            return res, None
        if m == 7:
            der = self.slots[slot]
            return SUCCESS, lambda w: w.octets(der)
        if slot in ("server", "root"):
            return OTHER_REASON, None  # KSMW 3.5.2.1: never removed over the interface
        self._remove(slot)
        return SUCCESS, None

    def _generate_key_pair(self, d):
        t = expect(d, axdr.ENUM)
        if t is None:
            return TYPE_UNMATCHED, None
        if t != x509.TYPE_DIGITAL_SIGNATURE:  # key agreement / TLS keys: not used (3.5.2)
            return OTHER_REASON, None
        priv, pub = bytearray(32), bytearray(64)
        while not ecc.keygen(os.urandom(32), priv, pub):
            pass
        self.pending = (bytes(priv), bytes(pub), self._now())
        return SUCCESS, None

    def _now(self):
        return self.now_s() if self.now_s is not None else 0

    def _pending(self):
        p = self.pending
        if p is not None and self._now() - p[2] > PENDING_S:
            self.pending = p = None  # not certified within 24 h: dismissed (KSMW 3.5.2.1)
        return p

    def _csr(self, d):
        t = expect(d, axdr.ENUM)
        if t is None:
            return TYPE_UNMATCHED, None
        if t != x509.TYPE_DIGITAL_SIGNATURE:
            return OTHER_REASON, None
        p = self._pending()
        priv, pub = (p[0], p[1]) if p else (self.device.sign_priv, self.device.sign_pub)
        if priv is None:
            return OTHER_REASON, None
        out = bytearray(csr.CSR_MAX)
        n = csr.build_csr(priv, pub, self.device.title, out)
        return SUCCESS, lambda w: w.octets(memoryview(out)[:n])

    def _import(self, der, client):
        try:
            c = x509.Certificate(der)
        except ValueError:
            return OTHER_REASON
        if x509.is_self_signed(c):
            return OTHER_REASON  # a root changes only with a firmware update (KSMW 3.5.2.1)
        if not x509.validate_chain(c, self._find_issuer):
            return OTHER_REASON
        if c.ca:
            return self._import_subca(c)
        if x509.certificate_type(c) != x509.TYPE_DIGITAL_SIGNATURE:
            return OTHER_REASON
        if x509.system_title(c) == self.device.title:
            return self._import_server(c)
        if client is None or client.keys is None:
            return READ_WRITE_DENIED
        slots = self._client_slots(client.sap)
        for s in slots:
            o = self.cert(s)
            if o.pub == c.pub and o.serial() == c.serial():
                return SUCCESS  # already present
        if len(slots) >= MAX_PER_CLIENT:
            return OTHER_REASON  # KSMW 3.5.2.1: remove one first
        n = 0
        while "c%d.%d" % (client.sap, n) in self.slots:
            n += 1
        self._put("c%d.%d" % (client.sap, n), c)
        return SUCCESS

    def _import_subca(self, c):
        used = [s for s in self.slots if s.startswith("subca")]
        for s in used:
            o = self.cert(s)
            if o.subject() == c.subject() and o.pub == c.pub:
                return SUCCESS
        if len(used) >= MAX_SUBCA:
            return OTHER_REASON  # at its maximum: rejected (KSMW 3.5.2.1)
        n = 1
        while "subca%d" % n in self.slots:
            n += 1
        self._put("subca%d" % n, c)
        return SUCCESS

    def _import_server(self, c):
        p = self._pending()
        if p is not None and c.pub == p[1]:
            self.provision_key(p[0])  # the new key pair becomes active with its certificate
            self.pending = None
        elif c.pub != self.device.sign_pub:
            return OTHER_REASON  # certifies a key the meter does not hold
        self._put("server", c)
        return SUCCESS

    def _identify(self, d, client):
        """certificate_identification (Blue Book 4.4.7): by entity/type/system title or by
        serial number and issuer -> (slot, 0) or (None, result)."""
        s = expect(d, axdr.STRUCTURE)
        if not s or len(s) != 2 or s[0][0] != axdr.ENUM or s[1][0] != axdr.STRUCTURE:
            return None, TYPE_UNMATCHED
        kind, v = s[0][1], s[1][1]
        sap = client.sap if client is not None else None
        for slot, c in self.visible(sap):
            if kind == 0 and len(v) == 3:
                if (v[0][1] == self.entity(slot, c) and v[1][1] == x509.certificate_type(c)
                        and v[2][1] == (x509.system_title(c) or b"")):
                    return slot, SUCCESS
            elif kind == 1 and len(v) == 2:
                if v[0][1] == c.serial() and v[1][1] == c.issuer():
                    return slot, SUCCESS
            else:
                return None, TYPE_UNMATCHED
        return None, OTHER_REASON
