# SPDX-License-Identifier: MIT
"""Device-wide security of the one logical device (KSMW 3.2, 3.5): server system title,
master key, the digital-signature key pair and key agreement (Security setup method 3).
Certificates are kept by `certs` (dlms.server.certstore.CertStore) when provisioned."""
import os

from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED
from dlms.security import ecc
from dlms.server import secured

# KDF AlgorithmID: OID 2.16.756.5.8.3.0 (AES-GCM-128), NIST SP 800-56A concatenation KDF
# (dlms-notes 5.9; docs/decisions.md on the 05/06 discrepancy)
KDF_ALG_ID = b"\x60\x85\x74\x05\x08\x03\x00"


def kdf(z, party_u, party_v, alg_id=KDF_ALG_ID):
    """Suite 1 key: first 16 bytes of SHA-256(00000001 || Z || AlgorithmID || U || V)."""
    out = bytearray(32)
    ecc.sha256(b"\x00\x00\x00\x01" + bytes(z) + alg_id + party_u + party_v, out)
    return bytes(out[:16])


def _digest(data):
    d = bytearray(32)
    ecc.sha256(data, d)
    return d


class DeviceSecurity:
    def __init__(self, title, master, sign_priv=None):
        self.title = bytes(title)
        self.master = master  # secured.MasterKey
        self.sign_priv = None
        self.sign_pub = None
        self.certs = None  # CertStore
        self.trust = {}  # client SAP -> public keys (X||Y) of its signing certificates
        self.titles = {}  # (client SAP, system title in the certificate CN) -> public key
        if sign_priv is not None:
            self.set_sign_key(sign_priv)

    def set_sign_key(self, priv):
        pub = bytearray(64)
        ecc.pubkey(priv, pub)
        self.sign_priv = bytes(priv)
        self.sign_pub = bytes(pub)

    def client_keys(self, sap):
        return self.trust.get(sap, ())

    def client_key(self, sap, title):
        """Signing key of a client's certificate whose subject is its system title (Green
        Book 9.2.6.4), else its only key."""
        k = self.titles.get((sap, bytes(title)))
        if k is None:
            keys = self.trust.get(sap, ())
            k = keys[0] if len(keys) == 1 else None
        return k

    def sign(self, digest):
        if self.sign_priv is None:
            raise ValueError("no signing key")
        sig = bytearray(64)
        ecc.sign(self.sign_priv, digest, sig)
        return bytes(sig)

    # ---------------------------------------------------------------- key agreement
    def key_agreement(self, keys, d, ctx):
        from dlms.cosem.ic064_security_setup import install, key_items

        """Method 3: Ephemeral Unified Model C(2e, 0s, ECC CDH) (KSMW 3.5.3.2). Each
        element {key_id, X||Y||sig} is signed with the client's signing key over
        key_id || X || Y; the answer holds the meter's ephemeral key signed the same way."""
        items = key_items(d)
        if items is None:
            return TYPE_UNMATCHED, None
        if self.sign_priv is None or keys.client_title is None:
            return READ_WRITE_DENIED, None
        answer = []
        new = []
        for kid, data in items:
            if kid > secured.KEY_MASTER or len(data) != 128:
                return OTHER_REASON, None
            peer = data[:64]
            if not ecc.valid_point(peer):
                return OTHER_REASON, None
            dg = _digest(bytes((kid,)) + peer)
            for pub in keys.trusted_keys():
                if ecc.verify(pub, dg, data[64:]):
                    break
            else:
                return OTHER_REASON, None  # not signed by a trusted client key
            priv = bytearray(32)
            pub = bytearray(64)
            while not ecc.keygen(os.urandom(32), priv, pub):
                pass
            z = bytearray(32)
            ecc.ecdh(priv, peer, z)
            new.append((kid, kdf(z, keys.client_title, self.title)))
            answer.append((kid, bytes(pub) + self.sign(_digest(bytes((kid,)) + pub))))
        ctx.defer(lambda: install(keys, new, ctx))

        def ret(w):
            w.array(len(answer))
            for kid, blob in answer:
                w.structure(2)
                w.tagged(axdr.ENUM, kid)
                w.octets(blob)
        return SUCCESS, ret

    # ---------------------------------------------------------------- certificates
    def write_cert_info(self, w, client):
        if self.certs is None:
            w.array(0)
            return SUCCESS
        return self.certs.write_info(w, client)

    def cert_method(self, method, d, ctx, client):
        if self.certs is None:
            return READ_WRITE_DENIED, None
        return self.certs.method(self, method, d, ctx, client)
