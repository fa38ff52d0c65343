# SPDX-License-Identifier: MIT
"""Certificates and CSRs of the firmware (dlms.security.x509/csr) against `cryptography`
(OpenSSL) as the independent oracle, and the test PKI of tools/provision.py (KSMW 3.5.2):
- CSRs built by the firmware code, under CPython (pure-Python ecc) and under the MicroPython
  unix port (C natmod), load with cryptography, verify, and name the system title;
- the provisioned PKI parses and chains with x509.py (CPython and MicroPython) and with
  `openssl verify`;
- random certificates made by cryptography parse to the same fields as cryptography reads.
"""
import datetime
import json
import os
import random
import shutil
import subprocess
import sys

import pytest
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY = os.path.join(ROOT, ".venv", "bin", "micropython")
MICROPYPATH = ":".join(os.path.join(ROOT, p) for p in (
    "build/fw-mpy", "firmware", "host_tests", "build/natmod", ".frozen"))

for p in ("firmware", "host_tests/cpython", "host_tests/unit", "tools"):
    sys.path.insert(0, os.path.join(ROOT, p))
import build_mpy  # noqa: E402
import provision  # noqa: E402
import test_x509 as fixtures  # noqa: E402
from dlms.security import csr, ecc, x509  # noqa: E402

U = datetime.timezone.utc
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=U)  # meter seconds (dlms/util/timeconv.py)


def _raw_pub(key):
    n = key.public_key().public_numbers()
    return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def _priv(key):
    return key.private_numbers().private_value.to_bytes(32, "big")


def _secs(dt):
    return int((dt - EPOCH).total_seconds())


def _run_mp(script):
    build_mpy.build()  # firmware bytecode, as `make test-mp` and the simulator load it
    if not os.path.exists(os.path.join(ROOT, "build", "natmod", "_dlms_ecc.mpy")):
        subprocess.run(["make", "-C", ROOT, "natmods"], check=True)
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    res = subprocess.run([MPY, "-X", "heapsize=256k", "-c", script], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def _check_csr(der, key, title):
    req = cx.load_der_x509_csr(der)
    assert req.is_signature_valid
    assert req.subject.rfc4514_string() == "CN=" + title.hex().upper()
    assert req.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0]._type.name == "UTF8String"
    assert req.public_key().public_numbers() == key.public_key().public_numbers()
    assert req.signature_hash_algorithm.name == "sha256"
    assert len(req.attributes) == 0


def test_csr_cpython_against_cryptography():
    rnd = random.Random(4)
    for _ in range(8):
        key = ec.generate_private_key(ec.SECP256R1())
        title = rnd.randbytes(8)
        out = bytearray(csr.CSR_MAX)
        n = csr.build_csr(_priv(key), _raw_pub(key), title, out)
        _check_csr(bytes(out[:n]), key, title)


_MP_CSR = """
from dlms.security import csr, ecc
print(ecc.IMPL)
out = bytearray(csr.CSR_MAX)
for priv, pub, title in CASES:
    n = csr.build_csr(bytes.fromhex(priv), bytes.fromhex(pub), bytes.fromhex(title), out)
    print(bytes(out[:n]).hex())
"""


def test_csr_micropython_against_cryptography():
    rnd = random.Random(5)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(8)]
    titles = [rnd.randbytes(8) for _ in keys]
    cases = [(_priv(k).hex(), _raw_pub(k).hex(), t.hex()) for k, t in zip(keys, titles)]
    out = _run_mp("CASES = %r\n%s" % (cases, _MP_CSR)).split()
    assert out[0] == "c"  # the C module signs on the unix port
    for key, title, line in zip(keys, titles, out[1:]):
        _check_csr(bytes.fromhex(line), key, title)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    tool = os.path.join(ROOT, "tools", "provision.py")
    r1 = subprocess.run([sys.executable, tool, d], capture_output=True, text=True, check=True)
    assert "created" in r1.stdout
    first = open(os.path.join(d, "root.der"), "rb").read()
    r2 = subprocess.run([sys.executable, tool, d], capture_output=True, text=True, check=True)
    assert "reused" in r2.stdout  # idempotent
    assert open(os.path.join(d, "root.der"), "rb").read() == first
    with open(os.path.join(d, "index.json")) as f:
        return d, json.load(f)


def _load(d, idx):
    return {n: x509.Certificate(open(os.path.join(d, e["der"]), "rb").read())
            for n, e in idx["certificates"].items()}


def _finder(certs):
    def find(name):
        return [c for c in certs.values() if c.subject() == name] or None
    return find


def test_provisioned_pki_parses_and_chains(pki):
    d, idx = pki
    certs = _load(d, idx)
    assert sorted(certs) == ["client1", "client2", "client4", "meter", "root", "subca1",
                             "subca2", "subca3"]
    find = _finder(certs)
    meter_title = bytes.fromhex(idx["meter_system_title"])
    assert meter_title == bytes.fromhex("4B464D0005F5E101")
    issuers = {"root": "root", "subca1": "root", "subca2": "root", "subca3": "root",
               "meter": "subca1", "client1": "subca2", "client2": "subca2",
               "client4": "subca3"}
    now = _secs(datetime.datetime(2026, 7, 1, tzinfo=U))
    for name, c in certs.items():
        e = idx["certificates"][name]
        assert e["issuer"] == issuers[name]
        assert x509.validate_chain(c, find, now), name
        assert c.issuer() == certs[issuers[name]].subject()
        assert x509.verify_signed_by(c, certs[issuers[name]].pub)
        key = open(os.path.join(d, e["key"]), "rb").read()
        assert len(key) == 32 and (os.stat(os.path.join(d, e["key"])).st_mode & 0o077) == 0
        pub = bytearray(64)
        ecc.pubkey(key, pub)
        assert bytes(pub) == c.pub and e["pub"] == c.pub.hex().upper()
        assert e["serial"] == "%x" % int.from_bytes(c.serial(), "big")
        if name.startswith(("root", "subca")):
            assert c.ca and c.key_usage == x509.KU_KEY_CERT_SIGN | x509.KU_CRL_SIGN
            assert c.path_len == (None if name == "root" else 0) and c.ski() is not None
            assert x509.certificate_entity(c, meter_title) == x509.ENTITY_CA
        else:
            assert not c.ca and c.key_usage == x509.KU_DIGITAL_SIGNATURE
            assert x509.certificate_type(c) == x509.TYPE_DIGITAL_SIGNATURE
            assert x509.system_title(c) == bytes.fromhex(e["system_title"])
            assert c.cn() == e["system_title"].encode()
            want = x509.ENTITY_SERVER if name == "meter" else x509.ENTITY_CLIENT
            assert x509.certificate_entity(c, meter_title) == want
        if name != "root":
            assert c.aki() == certs[issuers[name]].ski()
    assert [idx["certificates"]["client%d" % s]["sap"] for s in (1, 2, 4)] == [1, 2, 4]
    assert idx["certificates"]["client4"]["system_title"] == "4B464D1000000004"
    # a client certificate does not chain through the other clients' Sub-CA
    only = {k: v for k, v in certs.items() if k in ("root", "subca2")}
    assert not x509.validate_chain(certs["client4"], _finder(only))


def test_provisioned_pki_with_openssl_verify(pki, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl binary")
    d, idx = pki
    pems = {}
    for n, e in idx["certificates"].items():
        c = cx.load_der_x509_certificate(open(os.path.join(d, e["der"]), "rb").read())
        pems[n] = str(tmp_path / (n + ".pem"))
        with open(pems[n], "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM))
        # Green Book 9.2.6.4: keyUsage critical, basicConstraints critical on CAs
        assert c.extensions.get_extension_for_class(cx.KeyUsage).critical
        assert c.version == cx.Version.v3
        assert c.signature_hash_algorithm.name == "sha256"
    for leaf, sub in (("meter", "subca1"), ("client1", "subca2"), ("client2", "subca2"),
                      ("client4", "subca3")):
        r = subprocess.run(["openssl", "verify", "-x509_strict", "-CAfile", pems["root"],
                            "-untrusted", pems[sub], pems[leaf]],
                           capture_output=True, text=True)
        assert r.returncode == 0 and ": OK" in r.stdout, r.stdout + r.stderr


_MP_CHAIN = """
from dlms.security import x509
certs = [x509.Certificate(open(p, "rb").read()) for p in PATHS]
def find(name):
    return [c for c in certs if c.subject() == name] or None
print(" ".join(str(x509.validate_chain(c, find)) for c in certs))
print(" ".join(str(x509.certificate_type(c)) for c in certs))
"""


def test_provisioned_pki_chains_on_micropython(pki):
    d, idx = pki
    names = sorted(idx["certificates"])
    paths = [os.path.join(d, idx["certificates"][n]["der"]) for n in names]
    out = _run_mp("PATHS = %r\n%s" % (paths, _MP_CHAIN)).split("\n")
    assert out[0].split() == ["True"] * len(names)
    types = dict(zip(names, out[1].split()))
    assert types["meter"] == "0" and types["client1"] == "0" and types["root"] == "3"


def test_provision_force_makes_a_new_pki(tmp_path):
    d = str(tmp_path / "pki")
    idx1, created1 = provision.provision(d)
    idx2, created2 = provision.provision(d)
    idx3, created3 = provision.provision(d, force=True)
    assert (created1, created2, created3) == (True, False, True)
    assert idx1 == idx2 and idx3["certificates"]["root"]["pub"] != idx1["certificates"][
        "root"]["pub"]
    os.remove(os.path.join(d, "meter.key"))  # incomplete PKI: made again
    idx4, created4 = provision.provision(d)
    assert created4 and os.path.exists(os.path.join(d, "meter.key"))


def _random_cert(rnd, issuer_key=None, ca=None):
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key = issuer_key or key
    cn = "".join(rnd.choice("0123456789ABCDEFxyz -") for _ in range(rnd.randrange(1, 40)))
    subject = [cx.NameAttribute(NameOID.COMMON_NAME, cn)]
    if rnd.random() < 0.5:
        subject.insert(0, cx.NameAttribute(NameOID.ORGANIZATION_NAME, "KFM"))
        subject.insert(0, cx.NameAttribute(NameOID.COUNTRY_NAME, "AT"))
    nb = datetime.datetime(rnd.randrange(1990, 2060), rnd.randrange(1, 13),
                           rnd.randrange(1, 29), rnd.randrange(24), rnd.randrange(60),
                           rnd.randrange(60), tzinfo=U)
    na = nb + datetime.timedelta(seconds=rnd.randrange(1, 40 * 365 * 86400))
    serial = rnd.choice([1, 0x7F, 0x80, 0xFF00, rnd.getrandbits(64), cx.random_serial_number()])
    b = (cx.CertificateBuilder().subject_name(cx.Name(subject))
         .issuer_name(cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, "Issuer %d" % serial)]))
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(nb).not_valid_after(na))
    ca = rnd.random() < 0.4 if ca is None else ca
    if ca or rnd.random() < 0.3:
        b = b.add_extension(cx.BasicConstraints(ca, rnd.choice([None, 0, 1, 300])
                                                if ca else None), critical=True)
    if rnd.random() < 0.9:
        bits = [rnd.random() < 0.3 for _ in range(7)]
        bits[0] = bits[0] or not any(bits)
        b = b.add_extension(cx.KeyUsage(*bits, False, False), critical=True)
    if rnd.random() < 0.5:
        b = b.add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if rnd.random() < 0.5:
        b = b.add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), False)
    if rnd.random() < 0.4:
        b = b.add_extension(cx.SubjectAlternativeName([cx.DNSName("m%d.example" % serial),
                                                       cx.UniformResourceIdentifier("urn:x")]),
                            False)
    if rnd.random() < 0.3:  # a non-critical extension x509.py does not know: ignored
        b = b.add_extension(cx.CertificatePolicies([cx.PolicyInformation(
            cx.ObjectIdentifier("2.5.29.32.0"), None)]), False)
    return b.sign(issuer_key, hashes.SHA256()), key


def test_random_certificates_parse_like_cryptography():
    rnd = random.Random(7)
    for _ in range(60):
        cert, key = _random_cert(rnd)
        der = cert.public_bytes(serialization.Encoding.DER)
        c = x509.Certificate(der)
        assert int.from_bytes(c.serial(), "big") == cert.serial_number
        assert c.issuer() == cert.issuer.public_bytes()
        assert c.subject() == cert.subject.public_bytes()
        assert c.cn() == cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0] \
            .value.encode()
        assert c.pub == _raw_pub(key)
        assert bytes(c.tbs()) == cert.tbs_certificate_bytes
        r, s = decode_dss_signature(cert.signature)
        assert c.sig == r.to_bytes(32, "big") + s.to_bytes(32, "big")
        assert c.not_before == _secs(cert.not_valid_before_utc)
        assert c.not_after == _secs(cert.not_valid_after_utc)
        exts = {e.oid.dotted_string: e.value for e in cert.extensions}
        bc = exts.get("2.5.29.19")
        assert c.ca == (bc.ca if bc else False)
        assert c.path_len == (bc.path_length if bc else None)
        ku = exts.get("2.5.29.15")
        if ku is None:
            assert c.key_usage is None
        else:
            names = ("digital_signature", "content_commitment", "key_encipherment",
                     "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign")
            assert c.key_usage == sum(1 << i for i, n in enumerate(names) if getattr(ku, n))
        san = exts.get("2.5.29.17")
        assert c.san() == (san.public_bytes() if san else None)
        ski = exts.get("2.5.29.14")
        assert c.ski() == (ski.digest if ski else None)
        aki = exts.get("2.5.29.35")
        assert c.aki() == (aki.key_identifier if aki else None)
        # signed by their own key, but the issuer name differs: not a root
        assert x509.verify_signed_by(c, c.pub) and not x509.is_self_signed(c)


def test_random_chains_agree_with_signatures():
    rnd = random.Random(8)
    root, rk = _random_cert(rnd, ca=True)
    root_c = x509.Certificate(root.public_bytes(serialization.Encoding.DER))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (cx.CertificateBuilder().subject_name(cx.Name([cx.NameAttribute(
        NameOID.COMMON_NAME, "4B464D1000000001")])).issuer_name(root.subject)
        .public_key(leaf_key.public_key()).serial_number(9)
        .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=U))
        .not_valid_after(datetime.datetime(2030, 1, 1, tzinfo=U))
        .sign(rk, hashes.SHA256()))
    leaf_c = x509.Certificate(leaf.public_bytes(serialization.Encoding.DER))
    leaf.verify_directly_issued_by(root)  # the oracle agrees the signature is right
    assert x509.verify_signed_by(leaf_c, root_c.pub)
    # root is not self-issued (its issuer name is "Issuer n"): no trust anchor in reach
    assert not x509.validate_chain(leaf_c, lambda n: root_c if n == root_c.subject() else None)


def test_fixtures_agree_with_cryptography():
    f = fixtures
    parsed = {n: cx.load_der_x509_certificate(getattr(f, n))
              for n in ("ROOT", "SUB", "EE", "EE_BY_EE", "SUB_B", "SUB2", "EE3")}
    issuer = {"ROOT": "ROOT", "SUB": "ROOT", "EE": "SUB", "EE_BY_EE": "EE", "SUB_B": "ROOT",
              "SUB2": "SUB", "EE3": "SUB2"}
    for n, c in parsed.items():
        c.verify_directly_issued_by(parsed[issuer[n]])
        assert x509.Certificate(getattr(f, n)).subject() == c.subject.public_bytes()


def test_other_algorithms_rejected():
    def make(key, sign_key, h=hashes.SHA256()):
        name = cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, "x")])
        return (cx.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=U))
                .not_valid_after(datetime.datetime(2026, 1, 1, tzinfo=U))
                .sign(sign_key, h).public_bytes(serialization.Encoding.DER))
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(65537, 2048)
    x509.Certificate(make(p256, p256))
    for der in (make(p384, p256), make(p256, p384, hashes.SHA384()),
                make(p256, p256, hashes.SHA384()), make(rsa_key, rsa_key),
                make(p256, rsa_key)):
        with pytest.raises(ValueError):
            x509.Certificate(der)
