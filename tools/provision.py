#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test PKI for the simulated meter (KSMW 3.5.2), made with `cryptography` on the host.

    python tools/provision.py [DIR] [--force]        DIR defaults to run/pki

An existing, complete PKI in DIR (index.json and every file it lists) is reused as is;
--force makes a new one. Every certificate is X.509 v3, ecdsa-with-SHA256, P-256 keys, as
the Green Book 9.2.6.4 profile asks (the extension table as applied here):

    file         subject CN          issuer  keyUsage (critical)   other extensions
    root.der     KFM Test Root CA    itself  keyCertSign, cRLSign  BC cA (critical), SKI
    subca1.der   KFM Test Sub-CA 1   root    keyCertSign, cRLSign  BC cA pathLen 0 (critical),
    subca2.der   KFM Test Sub-CA 2   root    keyCertSign, cRLSign    AKI, SKI
    subca3.der   KFM Test Sub-CA 3   root    keyCertSign, cRLSign    (same for the 3 Sub-CAs)
    meter.der    4B464D0005F5E101    subca1  digitalSignature      AKI   the meter (server)
    client1.der  4B464D1000000001    subca2  digitalSignature      AKI   management, SAP 1
    client2.der  4B464D1000000002    subca2  digitalSignature      AKI   data readout, SAP 2
    client4.der  4B464D1000000004    subca3  digitalSignature      AKI   PLC management, SAP 4

Sub-CA 1 signs DLMS server certificates, Sub-CA 2 the management and readout clients,
Sub-CA 3 the PLC management client (KSMW 3.5.2). End-entity subjects are CN = system title
as 16 upper-case hex characters (Green Book 9.2.6.4); client system titles are
4B464D10000000SS with SS = the client SAP ("KFM" + 0x10 for head-end systems). AKI/SKI
key identifiers are RFC 5280 4.2.1.2 method 1 (SHA-1 of the subjectPublicKey bits). The
root carries no pathLenConstraint (a trust anchor's is not evaluated, RFC 5280 6.1).
Validity: from 2025-01-01; CAs until 2049-12-31, end entities until 2044-12-31 (UTCTime).

Next to each NAME.der is NAME.key: the 32-byte raw big-endian private scalar (mode 0600),
the form the firmware's ecc facade takes. The meter's key would be generated on the device
and never leave it (KSMW 3.5.2); this is the manufacturing stand-in for the simulator.
index.json lists, per name: der, key, role, subject_cn, issuer (name), serial (hex), sap,
system_title (hex) and pub (X||Y hex); plus "meter_system_title".
"""
import argparse
import datetime
import json
import os
import sys

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError:  # not the project's venv
    sys.stderr.write("provision: the `cryptography` package is missing: run `make setup` and "
                     "use .venv/bin/python\n")
    sys.exit(1)

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIR = os.path.join(ROOT_DIR, "run", "pki")
METER_TITLE = "4B464D0005F5E101"
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
CA_END = datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
EE_END = datetime.datetime(2044, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)

# name, role, subject CN, issuer name, SAP (None: not a client)
CAS = [
    ("root", "root CA (trust anchor)", "KFM Test Root CA", "root", None),
    ("subca1", "sub-CA 1: DLMS server certificates", "KFM Test Sub-CA 1", "root", None),
    ("subca2", "sub-CA 2: management and readout clients", "KFM Test Sub-CA 2", "root", None),
    ("subca3", "sub-CA 3: PLC management client", "KFM Test Sub-CA 3", "root", None),
]
END_ENTITIES = [
    ("meter", "meter (server) digital signature", METER_TITLE, "subca1", None),
    ("client1", "management client digital signature", "4B464D1000000001", "subca2", 1),
    ("client2", "data readout client digital signature", "4B464D1000000002", "subca2", 2),
    ("client4", "PLC management client digital signature", "4B464D1000000004", "subca3", 4),
]


def raw_pub(key):
    n = key.public_key().public_numbers()
    return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def raw_priv(key):
    return key.private_numbers().private_value.to_bytes(32, "big")


def key_from_raw(b):
    return ec.derive_private_key(int.from_bytes(b, "big"), ec.SECP256R1())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(key, cn, issuer_key, issuer_cn, ca, path_len=None, end=EE_END):
    """One certificate of the Green Book 9.2.6.4 profile (also used by the tests)."""
    pub = key.public_key()
    b = (x509.CertificateBuilder()
         .subject_name(_name(cn))
         .issuer_name(_name(issuer_cn))
         .public_key(pub)
         .serial_number(x509.random_serial_number())
         .not_valid_before(START)
         .not_valid_after(end))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
        b = b.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
    else:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
    if issuer_key is not key:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _write(path, data, mode=0o644):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def load_index(out_dir):
    """The index of a complete PKI in out_dir, or None."""
    p = os.path.join(out_dir, "index.json")
    try:
        with open(p) as f:
            idx = json.load(f)
        for e in idx["certificates"].values():
            for k in ("der", "key"):
                if not os.path.isfile(os.path.join(out_dir, e[k])):
                    return None
        return idx
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def provision(out_dir=DEFAULT_DIR, force=False):
    """Make (or reuse) the PKI in out_dir; returns (index, created)."""
    if not force:
        idx = load_index(out_dir)
        if idx is not None:
            return idx, False
    os.makedirs(out_dir, exist_ok=True)
    keys = {}
    certs = {}
    entries = {}
    cns = {}
    for name, role, cn, issuer, sap in CAS + END_ENTITIES:
        key = ec.generate_private_key(ec.SECP256R1())
        keys[name] = key
        cns[name] = cn
        ca = name.startswith(("root", "subca"))
        cert = make_cert(key, cn, keys[issuer], cns[issuer], ca,
                         path_len=0 if name.startswith("subca") else None,
                         end=CA_END if ca else EE_END)
        certs[name] = cert
        _write(os.path.join(out_dir, name + ".der"), cert.public_bytes(serialization.Encoding.DER))
        _write(os.path.join(out_dir, name + ".key"), raw_priv(key), 0o600)
        entries[name] = {
            "der": name + ".der", "key": name + ".key", "role": role, "subject_cn": cn,
            "issuer": issuer, "serial": "%x" % cert.serial_number, "sap": sap,
            "system_title": None if ca else cn, "pub": raw_pub(key).hex().upper(),
        }
    idx = {"version": 1, "meter_system_title": METER_TITLE, "certificates": entries}
    _write(os.path.join(out_dir, "index.json"), (json.dumps(idx, indent=1) + "\n").encode())
    return idx, True


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        sys.stderr.write("provision: %s\n" % message)
        sys.exit(2)


def main(argv=None):
    ap = _Parser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default=DEFAULT_DIR)
    ap.add_argument("--force", action="store_true", help="make a new PKI even if one exists")
    a = ap.parse_args(argv)
    try:
        idx, created = provision(a.dir, a.force)
    except OSError as e:  # a folder that cannot be made or written
        sys.stderr.write("provision: %s: %s\n" % (a.dir, e.strerror or e))
        return 1
    print("pki: %s %s (%d certificates, meter %s)" % (
        "created" if created else "reused", a.dir, len(idx["certificates"]),
        idx["meter_system_title"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
