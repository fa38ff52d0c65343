# SPDX-License-Identifier: MIT
"""The meter's security (KSMW 3.3.1, 3.3.3, 3.5, 3.6, 4.1.2, 5.12, Appendix 11) against an
independent raw client (oracle_client.py): APDUs built byte by byte from dlms-notes, with
`cryptography` as the only crypto (AES-GCM, RFC 3394, ECDSA P-256 r||s, ECDH, SHA-256,
HMAC). Nothing is imported from firmware/.

The clients on the TCP wrapper (firmware/meterapp/clients.py): management (1), data readout
(2) and PLC management (4) use a ciphered context with HLS-7 (or HLS-5), policy 0x6C
(requests and responses authenticated and encrypted), suite 1, per-client test keys
GUEK(s) = s0..sF, GAK = its complement, master key "KFM-test-master!", signing keys and
certificates from build/pki (tools/provision.py).

State: every module-level test runs on one meter started for this module (its own state
folder); tests that change keys, the policy or the meter's key pair for good get a meter of
their own (`fresh`). Client invocation counters are tracked by oracle_client.Target.

Companions: test_security_oracle_general.py (general-glo/ded-ciphering, general-ciphering,
general-signing) and test_security_oracle_bugs.py (deviations from KSMW found here) reuse
this module's fixtures and helpers.
"""
import datetime
import os
import shutil
import struct
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.x509.oid import NameOID

import oracle_client as oc
from conftest import ROOT, Meter
from rawlink import Pty, hdlc_frame, parse_frame
from oracle_client import (BASE_CONFORMANCE, GENERAL_PROTECTION, MANAGEMENT, MASTER_KEY, PLC,
                           READOUT, SC_AE1, OTHER_REASON, READ_WRITE_DENIED, SUCCESS,
                           TYPE_UNMATCHED, action_request, d_array, d_enum, d_octets, d_struct,
                           get_request)

LDN = ("0-0:42.0.0.255", b"KFM2000100000001")
CLOCK = "0-0:1.0.0.255"
CURRENT_ASSOCIATION = "0-0:40.0.0.255"
CURRENT_SECURITY_SETUP = "0-0:43.0.0.255"
EVENT = "0-0:96.11.9.255"  # last security event code (KSMW 5.12)
G_EC = ["0-0:96.15.%d.255" % (21 + i) for i in range(10)]  # group event counters 01..10
G_AUTH, G_DEVICE, G_KEYS = 0, 6, 7  # G_EC_01 (46), G_EC_07 (49, 50), G_EC_08 (48)
WITH_GP = BASE_CONFORMANCE | GENERAL_PROTECTION
# attribute0-get, block-transfer get/set, multiple-references, get, set, action
REQUIRED = 0x002000 | 0x001000 | 0x000800 | 0x000200 | 0x10 | 0x08 | 0x01


def security_setup(sap):
    return "0-0:43.0.%d.255" % sap


# ------------------------------------------------------------------ meters
def _start():
    m = Meter()
    return m, oc.Target(m.tcp_port, oc.Pki(m.pki))


def _stop(m):
    alive = m.alive()
    m.stop()
    if alive:  # keep the state folder and log of a meter that died, for the post-mortem
        shutil.rmtree(os.path.join(ROOT, "build", "state-%d" % m.tcp_port), ignore_errors=True)
    return alive


@pytest.fixture(scope="module")
def target():
    """One meter for the tests that leave its security state as they found it."""
    m, t = _start()
    t.meter = m
    yield t
    assert _stop(m), "the firmware died during the tests:\n" + "".join(m.output[-20:])


@pytest.fixture
def fresh():
    """A meter of its own for a test that changes keys, policy or key pair for good."""
    m, t = _start()
    t.meter = m
    yield t
    assert _stop(m), "the firmware died during the test:\n" + "".join(m.output[-20:])


# ------------------------------------------------------------------ helpers
def mgmt(t, **kw):
    return t.hls7(MANAGEMENT, **kw)


def security_state(t, s=None):
    """(last security event code, [G_EC_01..10]) read by the management client: through
    the open session s (a new association would itself record event 26 first)."""
    if s is not None:
        return s.value(1, EVENT, 2), [s.value(1, ln, 2) for ln in G_EC]
    with mgmt(t) as s:
        return s.value(1, EVENT, 2), [s.value(1, ln, 2) for ln in G_EC]


def assert_serving(t, s=None):
    """The meter still answers: a protected GET of the logical device name succeeds."""
    if s is not None:
        assert s.value(1, LDN[0], 2) == LDN[1]
        return
    with mgmt(t) as s2:
        assert s2.value(1, LDN[0], 2) == LDN[1]


def tid():
    return os.urandom(8)


def wrap(key):
    return aes_key_wrap(MASTER_KEY, key)


def cert_id_serial(cert):
    """certificate_identification by serial number and issuer (Blue Book 4.4.7)."""
    return d_struct(d_enum(1), d_struct(d_octets(oc.serial_bytes(cert.serial_number)),
                                        d_octets(cert.issuer.public_bytes())))


def cert_id_entity(entity, ctype, title):
    return d_struct(d_enum(0), d_struct(d_enum(entity), d_enum(ctype), d_octets(title)))


def ee_cert(pub, cn, issuer_key, issuer_cert):
    """An end-entity certificate of the tools/provision.py profile (Green Book 9.2.6.4)."""
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .issuer_name(issuer_cert.subject)
         .public_key(pub)
         .serial_number(x509.random_serial_number())
         .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
         .not_valid_after(datetime.datetime(2044, 12, 31, 23, 59, 59,
                                            tzinfo=datetime.timezone.utc))
         .add_extension(x509.KeyUsage(
             digital_signature=True, content_commitment=False, key_encipherment=False,
             data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
             encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False))
    return b.sign(issuer_key, hashes.SHA256())


def ca_cert(key, cn, issuer_key=None, issuer_name=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder()
         .subject_name(name).issuer_name(issuer_name or name).public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
         .not_valid_after(datetime.datetime(2049, 12, 31, tzinfo=datetime.timezone.utc))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(
             digital_signature=False, content_commitment=False, key_encipherment=False,
             data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
             encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    return b.sign(issuer_key or key, hashes.SHA256())


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


# ================================================================== 1. HLS-7
def test_hls7_management_association_and_protected_gets(target):
    t = target
    with mgmt(t) as s:
        a = s.aare
        assert a.context == 3 and a.server_title == t.server_title and len(a.stoc) == 32
        # negotiated = proposal AND offer, with the implemented KSMW 3.3.1 services
        assert s.conformance & ~BASE_CONFORMANCE == 0, hex(s.conformance)
        assert s.conformance & REQUIRED == REQUIRED, hex(s.conformance)
        assert s.server_max_pdu == 1224  # KSMW 3.3.1
        assert s.pass4.sc == SC_AE1  # pass 3/4 travel in glo-action APDUs (policy 0x6C)
        # protected GETs: every answer glo-ciphered with the request's SC, server IC rising
        assert s.value(1, LDN[0], 2) == LDN[1]
        r = s.get(8, CLOCK, 2)
        assert r.result == SUCCESS and r.data[0] == 9 and len(r.value) == 12
        assert s.value(15, CURRENT_ASSOCIATION, 8) == 2  # associated
        assert s.value(15, CURRENT_ASSOCIATION, 6) == bytes.fromhex("60857405080207")  # HLS-7
        assert s.value(64, CURRENT_SECURITY_SETUP, 2) == 0x6C
        assert s.value(64, security_setup(1), 3) == 1  # suite 1
        assert s.value(64, security_setup(1), 4) == t.client_title(MANAGEMENT)
        assert s.value(64, security_setup(1), 5) == t.server_title
        # release with a ciphered InitiateRequest: RLRE with a ciphered InitiateResponse
        f = s.release()
        assert f[0x80] == b"\x00" and 0xBE in f
        tag, content = oc.read_service_apdu(f[0xBE][2:])
        assert tag == 0x28
        sc, ic, init = oc.unprotect(s.ek, s.ak, t.server_title, content)
        s.server_ic_seen(ic)
        assert oc.parse_initiate_response(init)[0] == s.conformance


@pytest.mark.parametrize("sap", [READOUT, PLC])
def test_hls7_other_lan_clients(target, sap):
    with target.hls7(sap) as s:
        assert s.value(1, LDN[0], 2) == LDN[1]
        assert s.value(64, security_setup(sap), 4) == target.client_title(sap)


def test_hls5_plc_management(target):
    """HLS-5 is accepted beside HLS-7 on the LAN clients (clients.py, decisions)."""
    with target.session(PLC) as s:
        s.associate_hls5()
        assert s.value(1, LDN[0], 2) == LDN[1]


def test_hls7_wrong_signature_refused_event_46(target):
    t = target
    watch = mgmt(t).__enter__()  # open during the failures: reads the last event after
    _, before = security_state(t, watch)
    # a well-formed signature made with a key the management client's setup does not trust
    with t.session(MANAGEMENT) as s:
        r = s.associate_hls7(sign_key=t.pki.key["client2"], expect_ok=False)
        assert (r.result, r.data) == (READ_WRITE_DENIED, None), r
        # the association is not established: services refused
        assert s.glo(get_request(1, LDN[0], 2)).apdu == oc.EXC_NO_ASSOCIATION
    # a signature of the right key over other data
    with t.session(MANAGEMENT) as s:
        sig = oc.sign_raw(t.client_key(MANAGEMENT), b"whatever")
        r = s.associate_hls7(f_stoc=sig, expect_ok=False)
        assert r.result == READ_WRITE_DENIED, r
    event, after = security_state(t, watch)
    watch.__exit__(None, None, None)
    assert event == 46, event  # association authentication failure (KSMW 5.12)
    assert after[G_AUTH] == before[G_AUTH] + 2, (before, after)
    assert_serving(t)


def test_hls7_signature_is_over_the_standard_fields(target):
    """f(StoC) over ST_C||ST_S||CtoS||StoC (fields swapped) is refused: the meter checks
    exactly ST_C||ST_S||StoC||CtoS (dlms-notes 5.7)."""
    t = target
    with t.session(MANAGEMENT) as s:
        s.aarq_ciphered(7, BASE_CONFORMANCE, None, ctos=os.urandom(32))
        bad = oc.sign_raw(t.client_key(MANAGEMENT),
                          s.title + t.server_title + s.ctos + s.aare.stoc)
        r = s.glo(action_request(15, CURRENT_ASSOCIATION, 1, d_octets(bad)))
        assert r.result == READ_WRITE_DENIED, r
    assert_serving(t)


def test_calling_ae_qualifier_answered_with_meter_certificate(target):
    """KSMW 3.3.3: when the AARQ carries the client's signing certificate in
    calling-AE-qualifier, the AARE carries the meter's in responding-AE-qualifier (the
    client's is not used to check f(StoC)); without it, no certificate is sent."""
    t = target
    with t.session(MANAGEMENT) as s:
        # a certificate the meter does not trust: ignored, HLS-7 still uses the trusted key
        s.associate_hls7(ae_qualifier=t.pki.der["client2"])
        assert s.aare.fields.get(0xA5) == oc.ber(0x04, t.pki.der["meter"]), s.aare.apdu.hex()
        assert_serving(t, s)
    with mgmt(t) as s:
        assert 0xA5 not in s.aare.fields and 0xA7 not in s.aare.fields


# ================================================================== 2./3. general protection
# the DB/DC/DD/DF exchanges themselves are in test_security_oracle_general.py
def test_general_glo_without_general_protection_refused(target):
    with mgmt(target, conformance=BASE_CONFORMANCE) as s:
        assert not s.conformance & GENERAL_PROTECTION
        assert s.general_glo(get_request(1, LDN[0], 2)).apdu == oc.EXC_NOT_SUPPORTED
        assert_serving(target, s)


# ================================================================== 4. security setup
def test_key_transfer(fresh):
    t = fresh
    new_ek, new_ak = os.urandom(16), os.urandom(16)
    _, before = security_state(t)
    with mgmt(t) as s:
        # wrong KEK -> other-reason; wrong type -> type-unmatched; nothing installed
        bad = d_array([d_struct(d_enum(0), d_octets(aes_key_wrap(os.urandom(16), new_ek)))])
        assert s.action(64, security_setup(1), 2, bad).result == OTHER_REASON
        assert s.action(64, security_setup(1), 2, d_octets(b"x")).result == TYPE_UNMATCHED
        param = d_array([d_struct(d_enum(0), d_octets(wrap(new_ek))),
                         d_struct(d_enum(2), d_octets(wrap(new_ak)))])
        r = s.action(64, security_setup(1), 2, param)  # answered under the old keys
        assert r.result == SUCCESS and r.data is None, r
        old = (s.ek, s.ak)
        # the new keys work at once, with the frame counters restarted (KSMW 3.5.4)
        t.keys_changed(MANAGEMENT, new_ek, new_ak)
        s.ek, s.ak = new_ek, new_ak
        r = s.glo(get_request(1, EVENT, 2))
        assert r.result == SUCCESS and r.ic == 1, r
        assert r.value == 48  # global key(s) changed (KSMW 5.12)
        assert t.ic[MANAGEMENT] == 1
        # the old keys fail: deciphering-error
        r = s.glo(get_request(1, LDN[0], 2), ek=old[0], ak=old[1], ic=100)
        assert r.apdu == oc.EXC_DECIPHERING, r
        assert_serving(t, s)
    assert t.read_frame_counter(MANAGEMENT) == t.ic[MANAGEMENT]  # HMAC under the new GAK
    _, after = security_state(t)  # a new association with the new keys
    assert after[G_KEYS] == before[G_KEYS] + 1
    assert after[G_DEVICE] == before[G_DEVICE] + 1
    # the old keys no longer open an association
    with t.session(MANAGEMENT, ek=oc.guek(1), ak=oc.gak(1)) as s:
        a = s.aarq_ciphered(7, BASE_CONFORMANCE, None, ctos=os.urandom(32))
        assert a.result == 1 and a.user_info is None, a.apdu.hex()
    # restore the provisioned keys (also exercises a transfer under transferred keys)
    with mgmt(t) as s:
        param = d_array([d_struct(d_enum(0), d_octets(wrap(oc.guek(1)))),
                         d_struct(d_enum(2), d_octets(wrap(oc.gak(1))))])
        assert s.action(64, CURRENT_SECURITY_SETUP, 2, param).result == SUCCESS
    t.keys_changed(MANAGEMENT, oc.guek(1), oc.gak(1))
    assert_serving(t)


def test_key_agreement(fresh):
    """Ephemeral Unified Model C(2e, 0s) (KSMW 3.5.3.2, dlms-notes 5.9)."""
    t = fresh
    ck = t.client_key(MANAGEMENT)
    ephs = {kid: ec.generate_private_key(ec.SECP256R1()) for kid in (0, 2)}
    items = []
    for kid, e in ephs.items():
        xy = oc.raw_pub(e.public_key())
        items.append(d_struct(d_enum(kid), d_octets(xy + oc.sign_raw(ck, bytes([kid]) + xy))))
    with mgmt(t) as s:
        # an ephemeral key signed by an untrusted key is refused
        xy = oc.raw_pub(ephs[0].public_key())
        bad = d_array([d_struct(d_enum(0), d_octets(
            xy + oc.sign_raw(t.pki.key["client2"], b"\x00" + xy)))])
        assert s.action(64, security_setup(1), 3, bad).result == OTHER_REASON
        r = s.action(64, security_setup(1), 3, d_array(items))
        assert r.result == SUCCESS, r
        assert r.data[0] == 1 and len(r.data[1]) == 2
        new = {}
        for (st, ((te, kid), (to, blob))) in r.data[1]:
            assert (st, te, to) == (2, 22, 9) and len(blob) == 128
            sxy, sig = blob[:64], blob[64:]
            assert oc.verify_raw(t.meter_pub, bytes([kid]) + sxy, sig), \
                "meter's ephemeral key not signed with the meter certificate's key"
            z = oc.ecdh_z(ephs[kid], sxy)
            new[kid] = oc.kdf(z, s.title, t.server_title)
        assert set(new) == {0, 2}
        # the response was under the old keys; now the agreed keys are in use
        old = (s.ek, s.ak)
        t.keys_changed(MANAGEMENT, new[0], new[2])
        s.ek, s.ak = new[0], new[2]
        r = s.glo(get_request(1, EVENT, 2))
        assert r.result == SUCCESS and r.value == 48 and r.ic == 1, r
        r = s.glo(get_request(1, LDN[0], 2), ek=old[0], ak=old[1], ic=100)
        assert r.apdu == oc.EXC_DECIPHERING, r
        assert_serving(t, s)
    with mgmt(t) as s:  # a new association under the agreed keys
        assert_serving(t, s)


def test_security_activate(fresh):
    t = fresh
    with mgmt(t) as s:
        for weaker in (0x24, 0x2C, 0x4C, 0x00):
            r = s.action(64, security_setup(1), 1, d_enum(weaker))
            assert r.result != SUCCESS, "weaker policy %02x accepted" % weaker
        assert s.action(64, security_setup(1), 1, d_enum(0x6D)).result != SUCCESS  # bit 0
        assert s.action(64, security_setup(1), 1, bytes([0x11, 0x6C])).result == TYPE_UNMATCHED
        assert s.value(64, security_setup(1), 2) == 0x6C
        # the same policy again, and a stronger one (digitally signed responses)
        assert s.action(64, security_setup(1), 1, d_enum(0x6C)).result == SUCCESS
        assert s.action(64, security_setup(1), 1, d_enum(0xEC)).result == SUCCESS
        # signed responses need general-signing: service-specific glo- requests are refused
        assert s.glo(get_request(64, security_setup(1), 2)).apdu == oc.EXC_NOT_SUPPORTED
    with t.hls7(READOUT) as s:
        assert s.value(64, security_setup(1), 2) == 0xEC  # kept


def _cert_entries(s, sap):
    return s.value(64, security_setup(sap), 6)


def _entry(name, pki, entity, ctype):
    c = pki.cert[name]
    return [entity, ctype, oc.serial_bytes(c.serial_number), c.issuer.public_bytes(),
            c.subject.public_bytes(), b""]


def test_certificates_attribute(target):
    t = target
    p = t.pki
    cas = [_entry(n, p, 2, 3) for n in ("root", "subca1", "subca2", "subca3")]
    with mgmt(t) as s:
        for sap, client in ((MANAGEMENT, "client1"), (READOUT, "client2"), (PLC, "client4")):
            got = _cert_entries(s, sap)
            want = cas + [_entry("meter", p, 0, 0), _entry(client, p, 1, 0)]
            assert sorted(got) == sorted(want), sap


def test_export_certificate(target):
    t = target
    p = t.pki
    with mgmt(t) as s:
        for name in ("meter", "client1", "root", "subca2"):
            r = s.action(64, security_setup(1), 7, cert_id_serial(p.cert[name]))
            assert r.result == SUCCESS and r.data == (9, p.der[name]), name
        r = s.action(64, security_setup(1), 7, cert_id_entity(0, 0, t.server_title))
        assert r.result == SUCCESS and r.data == (9, p.der["meter"])
        r = s.action(64, security_setup(1), 7, cert_id_entity(1, 0, p.title("client1")))
        assert r.result == SUCCESS and r.data == (9, p.der["client1"])
        # client 2's certificate belongs to another security setup
        r = s.action(64, security_setup(2), 7, cert_id_serial(p.cert["client2"]))
        assert r.result == SUCCESS and r.data == (9, p.der["client2"])
        r = s.action(64, security_setup(1), 7, cert_id_serial(p.cert["client2"]))
        assert r.result != SUCCESS and r.data is None
        assert s.action(64, security_setup(1), 7, d_octets(b"x")).result == TYPE_UNMATCHED


def test_import_untrusted_client_certificate_refused(target):
    t = target
    evil = ec.generate_private_key(ec.SECP256R1())
    evil_root = ca_cert(evil, "Evil Root")
    cert = ee_cert(ec.generate_private_key(ec.SECP256R1()).public_key(),
                   t.pki.index["certificates"]["client2"]["subject_cn"], evil, evil_root)
    # same issuer name as the real Sub-CA 2, wrong key
    fake_sub = ee_cert(ec.generate_private_key(ec.SECP256R1()).public_key(),
                       "4B464D1000000002", evil, t.pki.cert["subca2"])
    with mgmt(t) as s:
        before = _cert_entries(s, READOUT)
        for c in (cert, fake_sub, evil_root):
            r = s.action(64, security_setup(READOUT), 6, d_octets(der(c)))
            assert r.result == OTHER_REASON, r
        assert _cert_entries(s, READOUT) == before
    assert_serving(t)


def test_remove_and_reimport_client_certificate(fresh):
    t = fresh
    p = t.pki
    with mgmt(t) as s:
        # the server and root certificates are never removed over the interface
        for name in ("meter", "root"):
            r = s.action(64, security_setup(1), 8, cert_id_serial(p.cert[name]))
            assert r.result != SUCCESS, name
        r = s.action(64, security_setup(READOUT), 8, cert_id_serial(p.cert["client2"]))
        assert r.result == SUCCESS, r
        assert all(e[2] != oc.serial_bytes(p.cert["client2"].serial_number)
                   for e in _cert_entries(s, READOUT))
    with t.session(READOUT) as s:  # client 2 has no trusted signing key any more
        r = s.associate_hls7(expect_ok=False)
        assert r.result == READ_WRITE_DENIED, r
    with mgmt(t) as s:
        r = s.action(64, security_setup(READOUT), 6, d_octets(p.der["client2"]))
        assert r.result == SUCCESS, r
    with t.hls7(READOUT) as s:
        assert_serving(t, s)


def install_new_meter_key(t):
    """generate_key_pair, generate_certificate_request, import_certificate (KSMW 3.5.2):
    checks the CSR with `cryptography`, certifies its key with Sub-CA 1 (the
    tools/provision.py profile) and imports it -> (new public key, new certificate)."""
    p = t.pki
    with mgmt(t) as s:
        assert s.action(64, CURRENT_SECURITY_SETUP, 4, d_enum(1)).result != SUCCESS  # key agr.
        assert s.action(64, CURRENT_SECURITY_SETUP, 4, d_enum(0)).result == SUCCESS
        r = s.action(64, CURRENT_SECURITY_SETUP, 5, d_enum(0))
        assert r.result == SUCCESS and r.data[0] == 9, r
        csr = x509.load_der_x509_csr(r.data[1])
        assert csr.is_signature_valid
        cn = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert [a.value for a in cn] == [t.server_title.hex().upper()]
        new_pub = csr.public_key()
        assert isinstance(new_pub, ec.EllipticCurvePublicKey)
        assert isinstance(new_pub.curve, ec.SECP256R1)
        assert oc.raw_pub(new_pub) != oc.raw_pub(t.meter_pub), "CSR must carry the new key"
    # until the certificate is imported the current key pair stays in use (KSMW 3.5.2.1)
    with mgmt(t) as s:
        assert oc.verify_raw(p.pub("meter"), s.aare.server_title + s.title + s.ctos
                             + s.aare.stoc, s.pass4.data[1])
    new_cert = ee_cert(new_pub, t.server_title.hex().upper(), p.key["subca1"],
                       p.cert["subca1"])
    # a certificate for a key the meter does not hold is refused
    stray = ee_cert(ec.generate_private_key(ec.SECP256R1()).public_key(),
                    t.server_title.hex().upper(), p.key["subca1"], p.cert["subca1"])
    with mgmt(t) as s:
        r = s.action(64, CURRENT_SECURITY_SETUP, 6, d_octets(der(stray)))
        assert r.result == OTHER_REASON, r
        r = s.action(64, CURRENT_SECURITY_SETUP, 6, d_octets(der(new_cert)))
        assert r.result == SUCCESS, r
    return new_pub, new_cert


def test_new_meter_key_pair_and_certificate(fresh):
    """The new key signs f(CtoS) once its certificate is imported; the old one no more."""
    t = fresh
    p = t.pki
    new_pub, new_cert = install_new_meter_key(t)
    with t.session(MANAGEMENT) as s:  # the next f(CtoS) verifies with the NEW key only
        s.associate_hls7(meter_pub=new_pub)
        assert not oc.verify_raw(p.pub("meter"), s.aare.server_title + s.title + s.ctos
                                 + s.aare.stoc, s.pass4.data[1])
        r = s.action(64, security_setup(1), 7, cert_id_entity(0, 0, t.server_title))
        assert r.data == (9, der(new_cert))
        r = s.action(64, security_setup(1), 7, cert_id_serial(new_cert))
        assert r.data == (9, der(new_cert))
        entries = _cert_entries(s, MANAGEMENT)
        assert [e[2] for e in entries if e[0] == 0] == [oc.serial_bytes(new_cert.serial_number)]
    t.meter_pub = new_pub
    with mgmt(t) as s:
        assert_serving(t, s)


# ================================================================== 5. negative cases
def test_replayed_apdu(target):
    t = target
    with mgmt(t) as s:
        r = s.glo(get_request(1, LDN[0], 2))
        assert r.result == SUCCESS
        ic = t.ic[MANAGEMENT]
        raw = s.send(s.last_request)  # the same bytes again
        assert raw == b"\xd8\x01\x06" + struct.pack(">I", ic + 1), raw.hex()
        # an older counter is refused the same way
        raw = s.send(oc.service_apdu(0xC8, oc.protect(SC_AE1, s.ek, s.ak, s.title, ic - 1,
                                                      get_request(1, LDN[0], 2))))
        assert raw == b"\xd8\x01\x06" + struct.pack(">I", ic + 1), raw.hex()
        assert s.value(1, EVENT, 2) == 50  # replay attack (KSMW 5.12)
        assert_serving(t, s)


def test_replay_counts_in_group_7(target):
    t = target
    with mgmt(t) as s:
        _, before = security_state(t, s)
        s.glo(get_request(1, LDN[0], 2))
        s.send(s.last_request)
        event, after = security_state(t, s)
    assert event == 50 and after[G_DEVICE] == before[G_DEVICE] + 1, (before, after)


def test_wrong_key(target):
    t = target
    _, before = security_state(t)
    with mgmt(t) as s:
        r = s.glo(get_request(1, LDN[0], 2), ek=bytes(16))
        assert r.apdu == oc.EXC_DECIPHERING, r
        r = s.glo(get_request(1, LDN[0], 2), ak=bytes(16))  # wrong authentication key
        assert r.apdu == oc.EXC_DECIPHERING, r
        assert s.value(1, EVENT, 2) == 49  # decryption or authentication failure
        assert_serving(t, s)
    _, after = security_state(t)
    assert after[G_DEVICE] == before[G_DEVICE] + 2


def test_ciphered_aarq_with_wrong_key(target):
    t = target
    with mgmt(t) as watch:
        with t.session(MANAGEMENT, ek=os.urandom(16)) as s:
            a = s.aarq_ciphered(7, BASE_CONFORMANCE, None, ctos=os.urandom(32))
            assert a.result == 1 and a.user_info is None, a.apdu.hex()  # decisions.md
        assert security_state(t, watch)[0] == 49


@pytest.mark.parametrize("sap", [MANAGEMENT, READOUT, PLC])
def test_unciphered_aarq_for_ciphered_client(target, sap):
    """KSMW 3.3.3 Table 5: policy > 0 and an unciphered context -> AARE rejected,
    application-context-name-not-supported."""
    t = target
    with oc.Wire(t.port, sap) as w:
        raw = w.send(oc.aarq(1, oc.initiate_request(BASE_CONFORMANCE), 7, t.client_title(sap),
                             os.urandom(32)))
        a = oc.Aare(raw)
        assert (a.result, a.source, a.diag) == (1, "user", 2), raw.hex()
        # without authentication either
        raw = w.send(oc.aarq(1, oc.initiate_request(BASE_CONFORMANCE)))
        a = oc.Aare(raw)
        assert (a.result, a.diag) == (1, 2), raw.hex()
        # and no service is answered on that connection
        assert w.send(get_request(1, LDN[0], 2)) == oc.EXC_NO_ASSOCIATION
    assert_serving(t)


def test_plain_get_in_ciphered_association(target):
    with mgmt(target) as s:
        assert s.send(get_request(1, LDN[0], 2)) == oc.EXC_NOT_SUPPORTED
        assert s.send(action_request(64, security_setup(1), 2, d_array([]))) \
            == oc.EXC_NOT_SUPPORTED
        assert_serving(target, s)


def test_readout_client_access_rights(target):
    """The data readout client may read, not manage keys or write (KSMW 3.5, 3.6.3)."""
    t = target
    with t.hls7(READOUT) as s:
        param = d_array([d_struct(d_enum(0), d_octets(wrap(os.urandom(16))))])
        for ss in (security_setup(MANAGEMENT), CURRENT_SECURITY_SETUP, security_setup(READOUT)):
            r = s.action(64, ss, 2, param)
            assert r.result == READ_WRITE_DENIED, (ss, r)
        r = s.action(64, security_setup(MANAGEMENT), 6, d_octets(t.pki.der["client2"]))
        assert r.result == READ_WRITE_DENIED, r
        r = s.glo(oc.set_request(8, CLOCK, 2, d_octets(oc.cosem_now())))
        assert r.result == READ_WRITE_DENIED, r
        assert_serving(t, s)
    # nothing changed for the management client
    assert_serving(t)


def test_frame_counter_readout(target):
    t = target
    with mgmt(t) as s:
        s.glo(get_request(1, LDN[0], 2))
    fc = t.read_frame_counter(MANAGEMENT)  # HMAC-SHA256 under GAK(1) checked inside
    assert fc == t.accepted[MANAGEMENT] == t.ic[MANAGEMENT]
    assert t.read_frame_counter(MANAGEMENT, title=b"ABCDEFGH") == fc
    for sap in (READOUT, PLC):
        assert t.read_frame_counter(sap) == t.accepted[sap]
    # the challenge must be 64 bytes; the caller's system title is required (KSMW 11.3)
    with t.public(b"KFMTEST!") as s:
        r = s.plain(action_request(12544, "0-0:43.1.1.255", 1, d_octets(os.urandom(63))))
        assert r.result == OTHER_REASON, r
    with t.public(None) as s:
        r = s.plain(action_request(12544, "0-0:43.1.1.255", 1, d_octets(os.urandom(64))))
        assert r.result == OTHER_REASON, r
    # the counter read is the one to continue with
    with mgmt(t) as s:
        assert_serving(t, s)




# ================================================================== 6. optical port (4.1.2)
TEMP_DISABLE = "0-0:94.43.140.255"
LOCKOUT = "0-0:94.43.141.255"
SNRM, UA, DISC = 0x93, 0x73, 0x53


def _optical_answers(p):
    """SNRM on the optical port: True when the meter answers UA (then DISC again)."""
    p.write(hdlc_frame(SNRM))
    f = p.frames(timeout=1.0)
    if not f:
        return False
    assert parse_frame(f[0])[0] == UA, f[0].hex()
    p.write(hdlc_frame(DISC))
    p.frames(timeout=1.0)
    return True


def _failed_optical_association(p):
    """SNRM, a refused AARQ (public client asking LLS), DISC."""
    p.write(hdlc_frame(SNRM))
    assert p.frames(timeout=5.0), "no UA"  # answers expected: generous (slow hosts)
    q = oc.aarq(1, oc.initiate_request(BASE_CONFORMANCE), 1, None, b"12345678")
    p.write(hdlc_frame(0x10, b"\xe6\xe6\x00" + q))
    f = p.frames(timeout=5.0)
    assert f, "no AARE"
    info = parse_frame(f[0])[1]
    a = oc.Aare(info[3:])
    assert a.result == 1, info.hex()
    p.write(hdlc_frame(DISC))
    p.frames(timeout=1.0)


def test_optical_port_deactivation_and_lockout(target):
    """KSMW 4.1.2: the management client (LAN) disables the service interface by the
    countdown of 0-0:94.43.140.255; consecutive failed associations on it start the lockout
    configured in 0-0:94.43.141.255. Restores the defaults at the end."""
    t = target
    p = Pty(t.meter.pty_path)
    try:
        with mgmt(t) as s:
            assert s.value(1, LOCKOUT, 2) == [3, 300]
            assert s.value(1, TEMP_DISABLE, 2) == 0
            assert _optical_answers(p)
            assert s.glo(oc.set_request(1, TEMP_DISABLE, 2, oc.d_u16(0xFFFF))).result == SUCCESS
            assert not _optical_answers(p)
            assert s.value(1, TEMP_DISABLE, 2) == 0xFFFF  # no countdown at 0xFFFF
            assert s.glo(oc.set_request(1, TEMP_DISABLE, 2, oc.d_u16(0))).result == SUCCESS
            assert _optical_answers(p)
            # lockout after 2 failed associations, for 100 s
            lock = oc.d_struct(oc.d_u8(2), oc.d_u16(100))
            assert s.glo(oc.set_request(1, LOCKOUT, 2, lock)).result == SUCCESS
            bad = oc.d_struct(oc.d_u16(2), oc.d_u16(100))
            assert s.glo(oc.set_request(1, LOCKOUT, 2, bad)).result == TYPE_UNMATCHED
        _failed_optical_association(p)
        assert _optical_answers(p)  # one failure: still open
        _failed_optical_association(p)
        locked = time.monotonic()  # the countdown runs from the second failure
        assert not _optical_answers(p)  # second consecutive failure: locked out
        with mgmt(t) as s:
            left = s.value(1, TEMP_DISABLE, 2)
            # one per second since the lockout, however long the steps took on this host
            assert 100 - (time.monotonic() - locked) - 2 <= left <= 100, left
            # failed associations on the LAN do not lock the optical port: restore it
            assert s.glo(oc.set_request(1, TEMP_DISABLE, 2, oc.d_u16(0))).result == SUCCESS
            assert s.glo(oc.set_request(1, LOCKOUT, 2, oc.d_struct(
                oc.d_u8(3), oc.d_u16(300)))).result == SUCCESS
        assert _optical_answers(p)
    finally:
        p.close()
