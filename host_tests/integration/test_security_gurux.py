# SPDX-License-Identifier: MIT
"""Ciphered associations with the gurux-dlms client (PyPI gurux-dlms 1.0.203, GPL, used as a
library): the installation (5), maintenance (6) and certification (7) clients of KSMW
3.6.6-3.6.8 on the optical port (HDLC only): context "LN with ciphering", security suite 0,
HLS mechanism 6 (SHA-256), glo- service-specific ciphering with the global unicast key.

gurux builds the AARQ, the glo- APDUs and f(StoC); gx_client.py deciphers every protected APDU
again with its own AES-GCM code (`cryptography`), checks SC and the server's invocation
counters, and recomputes both HLS-6 digests (dlms-notes 5.7), so a pass does not rest on
gurux's own parsing. Negative cases send raw APDUs.
"""
import datetime

import pytest
from gurux_dlms.enums import Authentication, DataType, InterfaceType, Priority, ServiceClass, \
    Security
from gurux_dlms.objects import GXDLMSObject
from gurux_dlms.secure import GXDLMSSecureClient

from gx_client import (AssociationRejected, DataAccessError, GxMeter, HlsRefused, PLAIN_TAG,
                       gcm_protect, gcm_unprotect, hls6)
from test_interop_gurux import (CLOCK, SHIFT_TIME, host_deviation, read_clock_utc,
                                set_clock_to_host_time, utc_now)

# ------------------------------------------------------------------ test provisioning
# Green Book example keys (dlms-notes 6.1), for the offline encoding checks
GUEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
GAK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
# the simulated meter's per-client test keys (meterapp/objects.py provisioned_keys): every
# client has its own security context, GUEK = s0..sF for SAP s, GAK = its complement
KEYS = {s: (bytes((s << 4) | i for i in range(16)),
            bytes(((s << 4) | i) ^ 0xFF for i in range(16))) for s in (5, 6, 7)}
WRONG_GUEK = bytes.fromhex("0F0E0D0C0B0A09080706050403020100")
SERVER_TITLE = bytes.fromhex("4B464D0005F5E101")
CLIENT_TITLE = bytes.fromhex("4D4D4D0000BC614E")  # the Green Book client title
INSTALLER, MAINTENANCE, CERTIFICATION = 5, 6, 7
HLS_SECRET = {
    INSTALLER: b"installer-secret",                   # 16 bytes
    MAINTENANCE: b"maintenance-secret-0123456789",    # 29 bytes
    CERTIFICATION: b"certification-secret-01",        # 23 bytes
}
AUTH, AUTH_ENC = 0x10, 0x30
POLICY = {INSTALLER: AUTH, MAINTENANCE: AUTH_ENC, CERTIFICATION: AUTH_ENC}

LDN = "0-0:42.0.0.255"
LDN_VALUE = b"KFM2000100000001"
ASSOCIATION_LN = "0-0:40.0.0.255"
SUCCESS, READ_WRITE_DENIED = 0, 3
AUTHENTICATION_REQUIRED = 14
HLS_SHA256 = 6
CONTEXT_LN_CIPHERED = 3
GENERAL_PROTECTION = 0x400000
# get-request-normal, invoke-id 1 (high priority, confirmed), LDN attribute 2
PLAIN_GET_LDN = bytes.fromhex("C0 01 C1 0001 00002A0000FF 02 00")

assert [len(HLS_SECRET[s]) for s in (5, 6, 7)] == [16, 29, 23]


def secure_client(meter, sap, **kw):
    opts = dict(security=POLICY[sap], hls_secret=HLS_SECRET[sap], system_title=CLIENT_TITLE,
                block_cipher_key=KEYS[sap][0], authentication_key=KEYS[sap][1])
    opts.update(kw)
    return GxMeter("hdlc", meter, client_sap=sap, **opts)


def ber_field(apdu: bytes, tag: int):
    """Value of the first top-level element `tag` of an AARQ/AARE (short lengths)."""
    i = 2 if apdu[1] < 0x80 else 2 + (apdu[1] & 0x7F)
    while i < len(apdu):
        t, n = apdu[i], apdu[i + 1]
        if n & 0x80:
            k = n & 0x7F
            n, body = int.from_bytes(apdu[i + 2:i + 2 + k], "big"), i + 2 + k
        else:
            body = i + 2
        if t == tag:
            return apdu[body:body + n]
        i = body + n
    return None


def outcome(plain: bytes) -> str:
    """Plain response APDU -> "success" or what refused it."""
    tag = plain[:1]
    if tag == b"\xd8":
        return "exception-response %s" % plain[1:].hex(" ")
    if tag == b"\x0e":
        return "confirmed-service-error %s" % plain[1:].hex(" ")
    if tag == b"\xc4" and plain[1] == 1:
        return "success" if plain[3] == 0 else "data-access-result %d" % plain[4]
    if tag in (b"\xc5", b"\xc7") and plain[1] == 1:
        return "success" if plain[3] == 0 else "result %d" % plain[3]
    return "unexpected %s" % plain.hex(" ")


def attempt(m, fn) -> str:
    """Run a gurux service; gurux raises on exception-responses and some errors, so judge
    the outcome from the last response APDU (deciphered when protected)."""
    mark = len(m.trace)
    try:
        fn()
    except Exception:  # noqa: BLE001 - judged from the bytes
        pass
    got = [a for d, a in m.trace[mark:] if d == "<<"]
    assert got, "no answer: %s" % m.last_exchange()
    return outcome(m.plain(got[-1]))


def protected_apdus(m, since=0):
    """(direction, raw APDU) of every glo- APDU in the trace, including the glo-initiate
    APDUs inside the AARQ/AARE user-information."""
    out = []
    for d, a in m.trace[since:]:
        if a[:1] in (b"\x60", b"\x61"):
            ui = ber_field(a, 0xBE)
            if ui and ui[0] == 0x04 and ui[2] in (0x21, 0x28):
                out.append((d, ui[2:]))
        elif a and a[0] in PLAIN_TAG:
            out.append((d, a))
    return out


def sc_of(apdu: bytes) -> int:
    return apdu[2] if apdu[1] < 0x80 else apdu[2 + (apdu[1] & 0x7F)]


# ------------------------------------------------------------------ client bytes (no meter)
def test_gurux_glo_get_matches_green_book():
    """gurux's glo-get and our own cipher both give the Green Book bytes (dlms-notes 6.1);
    our decipher reads the Green Book ciphered AARQ user-information (6.2)."""
    vectors = {
        0x30: "C81E30012345674113 12FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
        0x20: "C81220012345674113 12FF935A47566827C467BC",
        0x10: "C81E1001234567C0010000080000010000FF020006725D910F9221D263877516",
    }
    plain = bytes.fromhex("C0010000080000010000FF0200")
    c = GXDLMSSecureClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
    c.ciphering.systemTitle = bytearray(CLIENT_TITLE)
    c.ciphering.blockCipherKey = bytearray(GUEK)
    c.ciphering.authenticationKey = bytearray(GAK)
    c.priority = Priority.NORMAL
    c.serviceClass = ServiceClass.UN_CONFIRMED
    c.settings.invokeId = 0  # quirk: client.invokeID sets another attribute than the encoder's
    for sc, want in vectors.items():
        want = bytes.fromhex(want.replace(" ", ""))
        c.ciphering.security = Security(sc)
        c.ciphering.invocationCounter = 0x01234567
        frame = bytes(c.read(GXDLMSObject(8, "0.0.1.0.0.255"), 2)[0])
        assert frame[8:] == want, (hex(sc), frame.hex())
        assert c.ciphering.invocationCounter == 0x01234568
        assert gcm_protect(0xC8, sc, 0x01234567, CLIENT_TITLE, GUEK, GAK, plain) == want
        if sc != 0x20:
            assert gcm_unprotect(want, CLIENT_TITLE, GUEK, GAK).plain == plain
    ui = bytes.fromhex("21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD5"
                       "2211BE6841DB204D39EE6FDB8E356855")
    got = gcm_unprotect(ui, CLIENT_TITLE, GUEK, GAK)
    assert got.plain == bytes.fromhex("01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E"
                                      "1F04B0")


# ------------------------------------------------------------------ KSMW 3.6.7 maintenance
def test_maintenance_hls6_authenticated_encrypted(meter):
    with secure_client(meter, MAINTENANCE) as m:
        aare = m.associate(authenticate=False)
        # AARQ as gurux sent it
        aarq = m.aarq
        assert ber_field(aarq, 0xA1) == bytes.fromhex("06 07 60 85 74 05 08 01 03"), aarq.hex()
        assert ber_field(aarq, 0xA6) == b"\x04\x08" + CLIENT_TITLE, aarq.hex()
        assert ber_field(aarq, 0x8B) == bytes.fromhex("60 85 74 05 08 02 06"), aarq.hex()
        ui = ber_field(aarq, 0xBE)
        assert ui[2] == 0x21 and sc_of(ui[2:]) == AUTH_ENC, aarq.hex()
        initiate = gcm_unprotect(ui[2:], CLIENT_TITLE, *KEYS[MAINTENANCE]).plain
        assert initiate[:1] == b"\x01", initiate.hex()
        # AARE: accepted, authentication-required, server title, StoC, glo-initiateResponse
        raw_aare = [a for d, a in m.trace if d == "<<"][-1]
        assert aare["result"] == 0, raw_aare.hex()
        assert (aare["source"], aare["diagnostic"]) == ("user", AUTHENTICATION_REQUIRED), \
            raw_aare.hex()
        assert aare["context"] == CONTEXT_LN_CIPHERED, raw_aare.hex()
        assert aare["responding_ap_title"] == SERVER_TITLE, raw_aare.hex()
        assert aare["mechanism"] == HLS_SHA256, raw_aare.hex()
        assert aare["responder_requirements"] == b"\x07\x80", raw_aare.hex()
        assert aare["stoc"] and 8 <= len(aare["stoc"]) <= 64, raw_aare.hex()
        assert aare["user_information"][:1] == b"\x28", raw_aare.hex()
        assert aare["initiate_response"][:1] == b"\x08", aare["initiate_response"].hex()
        assert not m.negotiated_conformance & GENERAL_PROTECTION  # not proposed
        assert bytes(m.client.settings.sourceSystemTitle) == SERVER_TITLE  # gurux read A4
        # pass 3/4 in glo-action
        f_ctos = m.hls_authenticate()
        ctos = bytes(m.client.settings.ctoSChallenge)
        assert f_ctos == hls6(HLS_SECRET[MAINTENANCE], SERVER_TITLE, CLIENT_TITLE, ctos,
                              aare["stoc"])
        hls_req, hls_resp = [a for _, a in m.trace[-2:]]
        assert (hls_req[0], hls_resp[0]) == (0xCB, 0xCF), m.last_exchange()

        mark = len(m.trace)
        assert m.get(1, LDN, 2) == LDN_VALUE
        req, resp = [a for _, a in m.trace[mark:]]
        assert req[0] == 0xC8 and resp[0] == 0xCC, m.last_exchange()
        assert sc_of(req) == AUTH_ENC and sc_of(resp) == AUTH_ENC
        assert LDN_VALUE not in resp  # encrypted, not only authenticated

        mark = len(m.trace)
        now_deviation = host_deviation(m)
        before, raw_clock = read_clock_utc(m)
        assert abs(before - utc_now()) <= datetime.timedelta(seconds=10), raw_clock.hex(" ")
        gets = [a for _, a in m.trace[mark:]]
        assert [a[0] for a in gets] == [0xC8, 0xCC] * 2, m.last_exchange(4)

        # SET clock attr 2 (to the host's time) and ACTION shift_time, ciphered
        mark = len(m.trace)
        assert set_clock_to_host_time(m, now_deviation) == SUCCESS, m.last_exchange()
        assert [a[0] for _, a in m.trace[mark:]] == [0xC9, 0xCD], m.last_exchange()
        shifted = False
        try:
            mark = len(m.trace)
            assert m.action(8, CLOCK, SHIFT_TIME, 60, DataType.INT16) == (SUCCESS, None), \
                m.last_exchange()
            shifted = True
            req, resp = [a for _, a in m.trace[mark:]]
            assert (req[0], resp[0]) == (0xCB, 0xCF), m.last_exchange()
            assert m.plain(req, True).endswith(b"\x06\x01\x10\x00\x3c")
            t1, raw_clock = read_clock_utc(m)
            assert 55 <= (t1 - utc_now()).total_seconds() <= 65, raw_clock.hex(" ")
        finally:
            if shifted:
                assert m.action(8, CLOCK, SHIFT_TIME, -60, DataType.INT16) == (SUCCESS, None)
        # every protected APDU: SC 30, glo- tags only (no general-glo, no plain services)
        for d, a in protected_apdus(m):
            assert sc_of(a) == AUTH_ENC, (d, a.hex(" "))
        assert len(m.server_ics) >= 6 and m.server_ics[0] >= 1, m.server_ics
        released = m.release()
        assert released.rlre[:1] == b"\x63", released
        assert released.reason in (None, 0), released
        assert released.disc_answer == 0x73, released


# ------------------------------------------------------------------ KSMW 3.6.6 installation
def test_installation_hls6_authenticated_only(meter):
    with secure_client(meter, INSTALLER) as m:
        aare = m.associate()
        assert aare["responding_ap_title"] == SERVER_TITLE
        assert m.get(1, LDN, 2) == LDN_VALUE
        req, resp = [a for _, a in m.trace[-2:]]
        assert (req[0], resp[0]) == (0xC8, 0xCC), m.last_exchange()
        assert LDN_VALUE in resp  # authenticated only: the plaintext travels
        found = protected_apdus(m)
        # glo-initiateRequest/-Response, glo-action pair, glo-get pair
        assert [a[0] for _, a in found] == [0x21, 0x28, 0xCB, 0xCF, 0xC8, 0xCC], found
        for d, a in found:
            assert sc_of(a) == AUTH, (d, a.hex(" "))
        released = m.release()
        assert released.rlre[:1] == b"\x63" and released.disc_answer == 0x73, released


# ------------------------------------------------------------------ KSMW 3.6.8 certification
def test_certification_hls6_associates(meter):
    with secure_client(meter, CERTIFICATION) as m:
        aare = m.associate()
        assert (aare["result"], aare["diagnostic"]) == (0, AUTHENTICATION_REQUIRED)
        assert aare["responding_ap_title"] == SERVER_TITLE
        assert m.get(1, LDN, 2) == LDN_VALUE
        assert [a[0] for _, a in m.trace[-2:]] == [0xC8, 0xCC], m.last_exchange()
        for d, a in protected_apdus(m):
            assert sc_of(a) == AUTH_ENC, (d, a.hex(" "))
        assert m.release().disc_answer == 0x73


# ------------------------------------------------------------------ negative
def test_wrong_hls_secret_refused(meter):
    with secure_client(meter, MAINTENANCE, hls_secret=b"maintenance-secret-0123456788") as m:
        aare = m.associate(authenticate=False)
        assert (aare["result"], aare["diagnostic"]) == (0, AUTHENTICATION_REQUIRED)
        with pytest.raises(HlsRefused) as refused:
            m.hls_authenticate()
        assert refused.value.result == READ_WRITE_DENIED, m.last_exchange()
        assert [a[0] for _, a in m.trace[-2:]] == [0xCB, 0xCF], m.last_exchange()
        # the association is not usable: the next (well-ciphered) GET is refused
        result = attempt(m, lambda: m.get(1, LDN, 2))
        assert result != "success", m.last_exchange()
        assert LDN_VALUE not in m.plain(m.trace[-1][1]), m.last_exchange()


def test_unciphered_get_refused_in_ciphered_association(meter):
    with secure_client(meter, MAINTENANCE) as m:
        m.associate()
        answer = m.raw(PLAIN_GET_LDN)
        assert outcome(m.plain(answer)) != "success", m.last_exchange()
        assert answer[:1] == b"\xd8", m.last_exchange()
        assert LDN_VALUE not in answer
        # the association keeps working for ciphered requests
        assert m.get(1, LDN, 2) == LDN_VALUE
        assert [a[0] for _, a in m.trace[-2:]] == [0xC8, 0xCC], m.last_exchange()
        assert m.release().rlre[:1] == b"\x63"


def test_replayed_ciphered_apdu_refused(meter):
    with secure_client(meter, MAINTENANCE) as m:
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE
        replay = m.trace[-2][1]
        assert replay[0] == 0xC8, m.last_exchange()
        answer = m.raw(replay)  # same invocation counter, byte for byte
        result = outcome(m.plain(answer))
        assert result != "success", m.last_exchange()
        assert result.startswith(("exception-response", "data-access-result")), result
        # a fresh counter works again
        assert m.get(1, LDN, 2) == LDN_VALUE
        # and so does our own ciphering of a plain GET with the next counter
        assert outcome(m.raw_plain(m.protect(PLAIN_GET_LDN))) == "success", m.last_exchange()
        assert m.release().rlre[:1] == b"\x63"


def test_wrong_global_key_rejects_aarq(meter):
    with secure_client(meter, MAINTENANCE, block_cipher_key=WRONG_GUEK) as m:
        with pytest.raises(AssociationRejected) as rejected:
            m.associate()
        assert rejected.value.result == 1, rejected.value
        aare = rejected.value.aare
        ui = ber_field(aare, 0xBE)
        # no InitiateResponse: either nothing, or an error the client can read
        assert ui is None or ui[2] in (0x0E, 0x28), aare.hex(" ")
    # the meter is fine afterwards
    with secure_client(meter, MAINTENANCE) as m:
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE
        m.release()


# ------------------------------------------------------------------ server invocation counter
def test_server_never_reuses_an_iv_under_one_key(meter):
    """The server has one system title for every client: under any one key its invocation
    counter must never repeat, across associations and clients, or AES-GCM runs twice with
    one IV under one key (dlms-notes 5.4/5.11), which gives away the GHASH key."""
    reused = []
    for sap in (MAINTENANCE, INSTALLER, CERTIFICATION, MAINTENANCE):
        with secure_client(meter, sap) as m:
            m.associate()
            assert m.get(1, LDN, 2) == LDN_VALUE
            m.release()
            reused += [(sap, ic, a[:8].hex(" ")) for ic, a in m.iv_reuse]
    assert not reused, "server IVs reused (SAP, IC, APDU head): %r" % reused
