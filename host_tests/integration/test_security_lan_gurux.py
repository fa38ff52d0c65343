# SPDX-License-Identifier: MIT
"""The management client (SAP 1, KSMW 3.6.2) on the TCP wrapper with the gurux-dlms client
(PyPI gurux-dlms 1.0.203, GPL, used as a library): ciphered context "LN with ciphering",
policy authenticated and encrypted, GUEK(1) = 10 11 .. 1F, GAK(1) = its complement
(meterapp/clients.py test provisioning), and each way gurux can protect the services:

(a) HLS-5 (GMAC), service-specific glo- APDUs with the global key;
(b) HLS-5, general-glo-ciphering (DB) once general-protection is negotiated;
(c) HLS-5 with a dedicated key in the InitiateRequest (gurux `ciphering.dedicatedKey`):
    ded- APDUs, and general-ded-ciphering (DC) when general-protection is negotiated;
(d) HLS-7 (ECDSA P-256) with gurux's pure-Python ECDSA (`gurux_dlms/ecdsa`), suite 1, the
    test PKI of tools/provision.py (build/pki: client1.key = the management client's raw
    32-byte signing scalar, meter.der = the meter's certificate, index.json).

Each variant does GET, SET and ACTION and is checked with gx_client's own deciphering
(`cryptography`, not gurux): every protected APDU deciphers with the key it claims (global or
dedicated), carries the policy's SC and the right tags, server ICs increase per key and
never repeat under one key in the session. Both HLS-5 GMACs and both HLS-7 signatures are
recomputed / verified here with `cryptography`.

gurux-dlms 1.0.203 for HLS-7, read from GXDLMSClient.py (getApplicationAssociationRequest,
parseApplicationAssociationResponse, aarqRequest), GXSecure.secure, GXCiphering.py,
ecdsa/GXEcdsa.py, ecdsa/GXPrivateKey.py, ecdsa/GXPublicKey.py, _GXAPDU.generateAarq:
- `ciphering.signingKeyPair` is a tuple (public key, private key) whose public key is the
  *server's* (parseApplicationAssociationResponse verifies f(CtoS) with
  `GXEcdsa(signingKeyPair[0])`) and whose private key is the client's (GXSecure.secure signs
  f(StoC) with `signingKeyPair[1]`); keys come from GXPrivateKey.fromRawBytes(32 bytes) and
  GXPublicKey.fromRawBytes(04 || X || Y).
- aarqRequest draws a 16-byte CtoS (GXSecure.generateChallenge) for every HLS mechanism; the
  meter wants 32..64 bytes for mechanism 7 (Green Book 9.2.7.4) and rejects a 16-byte one
  with authentication-failure (13). `client.ctoSChallenge = 32 random bytes` (a documented
  property: it sets useCustomChallenge) makes gurux send that one instead.
- GXEcdsa.sign takes its nonce k from `random.randbytes` (Mersenne Twister, not a CSPRNG):
  fine against a test meter, a key-recovery risk with real keys.
- gurux sends no calling-AE-qualifier (client certificate) and does no key agreement; the
  meter trusts the client signing key from its Security setup (KSMW 3.5.2.1), not the AARQ.
- getApplicationAssociationRequest consumes an invocation counter for f(StoC) even for
  ECDSA, where no IC is used: the IC jumps by 2 over pass 3 as with HLS-5/6.
Other gurux points met here: with a dedicated key gurux numbers ded- APDUs with the same
invocation counter as glo- ones (the meter counts the dedicated key apart); the pass-3 ACTION
stays glo- (sent before the association is DLMS-connected, GXDLMS.__getCipheringParameters)
even with a dedicated key or general protection; gurux cannot read the frame counters (KSMW
Appendix 11) because it sends calling-AP-title only when ciphering or HLS 5-7 is on, not for
the public client: the client counter is resynchronised with dc_client.read_frame_counter.
"""
import copy
import json
import os

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from gurux_dlms.ecdsa.GXPrivateKey import GXPrivateKey
from gurux_dlms.ecdsa.GXPublicKey import GXPublicKey
from gurux_dlms.enums import Authentication, DataType

from dc_client import ber_elements, hls5, next_invocation_counter
from gx_client import (GENERAL_DED, GENERAL_GLO, AssociationRejected, GxMeter, HlsRefused,
                       ProtocolViolation, gcm_unprotect)
from test_interop_gurux import (CLOCK, SHIFT_TIME, host_deviation, read_clock_utc,
                                set_clock_to_host_time, utc_now)

MANAGEMENT = 1
GUEK1 = bytes(range(0x10, 0x20))
GAK1 = bytes(b ^ 0xFF for b in GUEK1)
SERVER_TITLE = bytes.fromhex("4B464D0005F5E101")
HLS5_TITLE = bytes.fromhex("4D4D4D0000000001")  # any title will do for HLS-5
AUTH_ENC = 0x30
AUTHENTICATION_REQUIRED = 14
LDN = "0-0:42.0.0.255"
LDN_VALUE = b"KFM2000100000001"
SUCCESS, READ_WRITE_DENIED = 0, 3
GENERAL_PROTECTION = 0x400000  # conformance, BER bit 1

# plain xDLMS tag -> tag on the wire, per protection (dlms-notes 5.2, 5.3)
GLO = {0xC0: 0xC8, 0xC1: 0xC9, 0xC3: 0xCB, 0xC4: 0xCC, 0xC5: 0xCD, 0xC7: 0xCF}
DED = {0xC0: 0xD0, 0xC1: 0xD1, 0xC3: 0xD3, 0xC4: 0xD4, 0xC5: 0xD5, 0xC7: 0xD7}
VARIANTS = {  # name: (general protection, dedicated key, wire tag for each plain tag)
    "glo": (False, False, GLO),
    "general-glo": (True, False, dict.fromkeys(GLO, GENERAL_GLO)),
    "ded": (False, True, DED),
    "general-ded": (True, True, dict.fromkeys(GLO, GENERAL_DED)),
}


# ------------------------------------------------------------------ test PKI (build/pki)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pki_file(meter, name):
    pki = getattr(meter, "pki", os.path.join(ROOT, "build", "pki"))  # the meter's --pki
    path = os.path.join(pki, name)
    if not os.path.exists(path):
        pytest.skip("no test PKI at %s (tools/provision.py)" % pki)
    with open(path, "rb") as f:
        return f.read()


def pki_index(meter):
    return json.loads(pki_file(meter, "index.json"))


def cert_public_key(meter, name) -> ec.EllipticCurvePublicKey:
    return x509.load_der_x509_certificate(pki_file(meter, name)).public_key()


def raw_point(pub: ec.EllipticCurvePublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def ecdsa_ok(pub: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    """DLMS ECDSA signature r || s (64 bytes, P-256, SHA-256) verified with `cryptography`."""
    if len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        pub.verify(der, message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


# ------------------------------------------------------------------ clients
def lan_client(meter, *, general=False, dedicated=None, **kw):
    """Management client with HLS-5; the first IC is above the meter's receive counter
    (read through the frame counter object) and above what this session used."""
    opts = dict(client_sap=MANAGEMENT, security=AUTH_ENC,
                authentication=Authentication.HIGH_GMAC, system_title=HLS5_TITLE,
                block_cipher_key=GUEK1, authentication_key=GAK1,
                general_protection=general, dedicated_key=dedicated)
    opts.update(kw)
    if opts.get("invocation_counter") is None:
        opts["invocation_counter"] = next_invocation_counter(
            meter, MANAGEMENT, opts["block_cipher_key"], GAK1)
    return GxMeter("tcp", meter, **opts)


def hls7_client(meter, signing_key=None, server_key=None, ctos_len=32, **kw):
    """Management client with HLS-7, suite 1: gurux signs f(StoC) with client1's key and
    verifies f(CtoS) with the meter's certificate key."""
    title = bytes.fromhex(pki_index(meter)["certificates"]["client1"]["system_title"])
    m = lan_client(meter, authentication=Authentication.HIGH_ECDSA, system_title=title,
                   security_suite=1, **kw)
    priv = GXPrivateKey.fromRawBytes(signing_key or pki_file(meter, "client1.key"))
    pub = GXPublicKey.fromRawBytes(raw_point(server_key or cert_public_key(meter, "meter.der")))
    m.client.ciphering.signingKeyPair = (pub, priv)  # (server public, client private)
    if ctos_len is not None:
        m.client.ctoSChallenge = bytearray(os.urandom(ctos_len))
    return m


def outcome(m):
    """Last answer -> 'success' or what refused it (deciphered by gx_client)."""
    p = m.plain(m.trace[-1][1])
    if p[:1] in (b"\xc5", b"\xc7") and p[1] == 1:
        return "success" if p[3] == 0 else "result %d" % p[3]
    if p[:1] == b"\xc4" and p[1] == 1:
        return "success" if p[3] == 0 else "data-access-result %d" % p[4]
    return "answer %s" % p.hex(" ")


# ------------------------------------------------------------------ checks
def check_protected(m, mark, wire_tags):
    """Every APDU from `mark` on: the wire tag is the variant's for its plain tag, it
    deciphers (gx_client, `cryptography`) with the policy's SC (m.sc), the general ones
    carry the sender's system title."""
    seen = []
    for d, a in m.trace[mark:]:
        from_client = d == ">>"
        p = m.plain(a, from_client)
        assert p[0] in wire_tags, (d, a.hex(" "), p.hex(" "))
        assert a[0] == wire_tags[p[0]], (d, a.hex(" "), p.hex(" "))
        if a[0] in (GENERAL_GLO, GENERAL_DED):
            title = m.system_title if from_client else SERVER_TITLE
            assert a[1:10] == b"\x08" + title, a.hex(" ")
            sc = a[11] if a[10] < 0x80 else a[10 + (a[10] & 0x7F) + 1]
        else:
            sc = a[2] if a[1] < 0x80 else a[2 + (a[1] & 0x7F)]
        assert sc == m.sc, (d, a.hex(" "))
        seen.append((d, p[0]))
    return seen


def check_hls5(m):
    """f(StoC) sent by gurux and f(CtoS) from the meter, recomputed (dlms-notes 5.7)."""
    req, resp = m.hls_request, m.hls_response  # deciphered by gx_client
    stoc, ctos = m.aare["stoc"], bytes(m.client.settings.ctoSChallenge)
    assert req[:15] == bytes.fromhex("C3 01") + req[2:3] + bytes.fromhex(
        "00 0F 00 00 28 00 00 FF 01 01 09 11"), req.hex(" ")
    f_stoc = req[15:]
    ic_c = int.from_bytes(f_stoc[1:5], "big")
    assert f_stoc == hls5(m.ek, m.ak, m.system_title, ic_c, stoc, m.suite), req.hex(" ")
    assert resp[:2] == b"\xc7\x01" and resp[3:8] == bytes.fromhex("00 01 00 09 11"), \
        resp.hex(" ")
    f_ctos = resp[8:]
    ic_s = int.from_bytes(f_ctos[1:5], "big")
    assert f_ctos == hls5(m.ek, m.ak, SERVER_TITLE, ic_s, ctos, m.suite), resp.hex(" ")
    return ic_c, ic_s


def manage(m):
    """GET, SET clock (to the host's time), ACTION shift_time +60 / -60, GET again."""
    assert m.get(1, LDN, 2) == LDN_VALUE
    now_deviation = host_deviation(m)
    assert set_clock_to_host_time(m, now_deviation) == SUCCESS, m.last_exchange()
    before, _ = read_clock_utc(m)
    assert abs((before - utc_now()).total_seconds()) <= 10
    shifted = False
    try:
        assert m.action(8, CLOCK, SHIFT_TIME, 60, DataType.INT16) == (SUCCESS, None), \
            m.last_exchange()
        shifted = True
        assert m.plain(m.trace[-2][1], True).endswith(b"\x06\x01\x10\x00\x3c")
        t1, raw = read_clock_utc(m)
        assert 55 <= (t1 - utc_now()).total_seconds() <= 65, raw.hex(" ")
    finally:
        if shifted:
            assert m.action(8, CLOCK, SHIFT_TIME, -60, DataType.INT16) == (SUCCESS, None)
    t2, raw = read_clock_utc(m)
    assert abs((t2 - utc_now()).total_seconds()) <= 10, raw.hex(" ")


# ------------------------------------------------------------------ (a)-(c) HLS-5
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_hls5_management(meter, variant):
    general, dedicated, wire = VARIANTS[variant]
    dk = os.urandom(16) if dedicated else None  # a fresh dedicated key per association
    with lan_client(meter, general=general, dedicated=dk) as m:
        aare = m.associate(authenticate=False)
        assert (aare["result"], aare["diagnostic"]) == (0, AUTHENTICATION_REQUIRED)
        assert aare["mechanism"] == 5 and aare["responding_ap_title"] == SERVER_TITLE
        assert aare["stoc"] and 8 <= len(aare["stoc"]) <= 64
        # the InitiateRequest as the meter deciphers it: dedicated key, proposed conformance
        ui = ber_elements(m.aarq)[0xBE][2:]  # BE len 04 len <glo-initiateRequest>
        init = gcm_unprotect(ui, m.system_title, GUEK1, GAK1).plain
        if dk:
            assert init[:3] == b"\x01\x01\x10" and init[3:19] == dk, init.hex(" ")
        else:
            assert init[:2] == b"\x01\x00", init.hex(" ")
        assert bool(m.negotiated_conformance & GENERAL_PROTECTION) == general, \
            "%06X" % m.negotiated_conformance
        # pass 3/4: glo- with the global key in every variant (before DLMS-connected)
        mark = len(m.trace)
        m.hls_authenticate()
        assert [a[0] for _, a in m.trace[mark:]] == [0xCB, 0xCF], m.last_exchange()
        ic_c, ic_s = check_hls5(m)
        # f(StoC) took one client IC and its glo-action the next; f(CtoS) one server IC
        assert m.unprotect(m.trace[-2][1], True).ic == ic_c + 1
        assert m.server_ics[-1] > ic_s > m.server_ics[0], (ic_s, m.server_ics)

        mark = len(m.trace)
        manage(m)
        seen = check_protected(m, mark, wire)
        assert {t for _, t in seen} == {0xC0, 0xC1, 0xC3, 0xC4, 0xC5, 0xC7}, seen
        assert LDN_VALUE not in b"".join(a for _, a in m.trace[mark:])  # encrypted
        if dk:
            # the meter answered with the dedicated key, not the global one, and numbered
            # those APDUs apart from its global counter (KSMW 3.5.4)
            global_only = copy.copy(m)
            global_only.dk = GUEK1  # decipher "dedicated" APDUs with the global key
            for d, a in m.trace[mark:]:
                with pytest.raises(ProtocolViolation):
                    global_only.plain(a, d == ">>")
            assert len(m.server_ded_ics) >= 8 and m.server_ded_ics[0] >= 1, m.server_ded_ics
            assert m.server_ded_ics == sorted(set(m.server_ded_ics))
        else:
            assert not m.server_ded_ics
        assert not m.iv_reuse, m.iv_reuse
        released = m.release()
        assert released.rlre[:1] == b"\x63" and released.reason in (None, 0), released


def test_hls5_wrong_f_stoc_refused(meter):
    """f(StoC) over another challenge (well ciphered glo-action): pass 3 refused with
    read-write-denied, and nothing readable afterwards."""
    with lan_client(meter) as m:
        m.associate(authenticate=False)
        m.client.settings.stoCChallenge = bytearray(os.urandom(len(m.aare["stoc"])))
        with pytest.raises(HlsRefused) as e:
            m.hls_authenticate()
        assert e.value.result == READ_WRITE_DENIED, m.last_exchange()
        try:
            m.get(1, LDN, 2)
        except Exception:  # noqa: BLE001 - gurux raises on the refusal: judged from the bytes
            pass
        assert outcome(m) != "success", m.last_exchange()
        assert LDN_VALUE not in m.plain(m.trace[-1][1]), m.last_exchange()


# ------------------------------------------------------------------ (d) HLS-7
def test_hls7_management(meter):
    """KSMW 3.6.2: HLS-7, suite 1 (SC 31), glo- APDUs. f(StoC) = ECDSA over
    ST_C || ST_S || StoC || CtoS with client1's key, f(CtoS) = ECDSA over
    ST_S || ST_C || CtoS || StoC with the meter's key (dlms-notes 5.7), both verified here
    against the certificates of build/pki."""
    client_pub = cert_public_key(meter, "client1.der")
    meter_pub = cert_public_key(meter, "meter.der")
    with hls7_client(meter) as m:
        aare = m.associate(authenticate=False)
        assert (aare["result"], aare["diagnostic"]) == (0, AUTHENTICATION_REQUIRED)
        assert aare["mechanism"] == 7 and aare["responding_ap_title"] == SERVER_TITLE
        assert len(aare["stoc"]) >= 32, aare["stoc"].hex()
        assert m.sc == 0x31
        mark = len(m.trace)
        m.hls_authenticate()  # gurux verifies f(CtoS) with the meter's key itself
        assert [a[0] for _, a in m.trace[mark:]] == [0xCB, 0xCF], m.last_exchange()
        st_c, st_s = m.system_title, SERVER_TITLE
        stoc, ctos = aare["stoc"], bytes(m.client.settings.ctoSChallenge)
        assert len(ctos) == 32
        req, resp = m.hls_request, m.hls_response
        assert req[-66:-64] == b"\x09\x40", req.hex(" ")
        assert ecdsa_ok(client_pub, req[-64:], st_c + st_s + stoc + ctos), req.hex(" ")
        assert resp[:2] == b"\xc7\x01" and resp[3:8] == bytes.fromhex("00 01 00 09 40"), \
            resp.hex(" ")
        f_ctos = resp[8:]
        assert ecdsa_ok(meter_pub, f_ctos, st_s + st_c + ctos + stoc), resp.hex(" ")
        assert not ecdsa_ok(meter_pub, f_ctos, st_c + st_s + stoc + ctos)  # not symmetric

        mark = len(m.trace)
        manage(m)
        check_protected(m, mark, GLO)
        assert not m.iv_reuse, m.iv_reuse
        assert m.release().rlre[:1] == b"\x63"


def test_hls7_untrusted_signing_key_refused(meter):
    """client2's key (the readout client's, trusted for SAP 2 only) signs for SAP 1."""
    with hls7_client(meter, signing_key=pki_file(meter, "client2.key")) as m:
        aare = m.associate(authenticate=False)
        assert (aare["result"], aare["diagnostic"]) == (0, AUTHENTICATION_REQUIRED)
        with pytest.raises(HlsRefused) as e:
            m.hls_authenticate()
        assert e.value.result == READ_WRITE_DENIED, m.last_exchange()
        assert outcome(m) != "success"


def test_hls7_short_challenge_rejected(meter):
    """gurux's own 16-byte CtoS is too short for mechanism 7 (Green Book 9.2.7.4: 32..64):
    AARE rejected-permanent, authentication-failure."""
    with hls7_client(meter, ctos_len=None) as m:
        with pytest.raises(AssociationRejected) as e:
            m.associate()
        assert len(m.client.settings.ctoSChallenge) == 16
        assert (e.value.result, e.value.diagnostic) == (1, 13), m.last_exchange()
