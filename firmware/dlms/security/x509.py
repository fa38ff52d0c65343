# SPDX-License-Identifier: MIT
"""X.509 v3 certificates as profiled by the DLMS Green Book 9.2.6.4 (suite 1: ECDSA P-256
with SHA-256), the chain-of-trust check of KSMW 3.5.2.1 and the Security Setup (class 64)
certificate_entity / certificate_type helpers (Blue Book 4.4.7; dlms-notes 5.10).

    c = Certificate(der)          parse; ValueError on anything malformed or outside the profile
    c.serial() c.issuer() c.subject() c.cn() c.san() c.ski() c.aki()   bytes (or None)
    c.tbs()                       memoryview of the signed TBSCertificate (header included)
    c.pub                         subject public key X||Y (64 bytes)
    c.sig                         signature r||s (64 bytes)
    c.not_before, c.not_after     meter seconds: since 2020-01-01 00:00:00 UTC (timeconv;
                                  may be negative)
    c.key_usage                   KU_* bit mask, None when the extension is absent
    c.ca, c.path_len              basicConstraints (False/None when absent)
    verify_signed_by(c, pub64) -> bool      SHA-256 over tbs, ECDSA verify
    is_self_signed(c) -> bool               issuer == subject and signed by its own key
    validate_chain(c, find_issuer, now=None) -> bool
    certificate_type(c), certificate_entity(c, server_title8), system_title(c)

The profile enforced on parse: version v3; signature ecdsa-with-SHA256 without parameters
(RFC 5758 3.2), the same in TBSCertificate and outside (RFC 5280 4.1.1.2); subject key
id-ecPublicKey on prime256v1, an uncompressed point on the curve (SEC 1 2.3.3, 3.2.2);
serial at most 20 octets (RFC 5280 4.1.2.2); no issuer/subjectUniqueID (Green Book 9.2.6.4:
not used); each extension at most once, critical ones only if understood (RFC 5280 4.2).
Times are UTCTime YYMMDDHHMMSSZ (YY < 50 -> 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ
(RFC 5280 4.1.2.5). Parsing copies the DER once (unless it already is bytes) and keeps
offsets into it; the accessors returning bytes copy their span.
"""
from micropython import const

from dlms.security import der, ecc
from dlms.util.timeconv import days_from_civil

# RFC 5280 4.2.1.3 named bits as a mask: bit n of the BIT STRING -> 1 << n
KU_DIGITAL_SIGNATURE = const(0x001)
KU_NON_REPUDIATION = const(0x002)
KU_KEY_ENCIPHERMENT = const(0x004)
KU_DATA_ENCIPHERMENT = const(0x008)
KU_KEY_AGREEMENT = const(0x010)
KU_KEY_CERT_SIGN = const(0x020)
KU_CRL_SIGN = const(0x040)

# Security Setup certificate_type / certificate_entity (dlms-notes 5.10)
TYPE_DIGITAL_SIGNATURE = const(0)
TYPE_KEY_AGREEMENT = const(1)
TYPE_TLS = const(2)
TYPE_OTHER = const(3)
ENTITY_SERVER = const(0)
ENTITY_CLIENT = const(1)
ENTITY_CA = const(2)
ENTITY_OTHER = const(3)

MAX_CHAIN = const(5)  # root, sub-CA, end entity, and some room; stops issuer loops
MAX_SERIAL = const(20)  # RFC 5280 4.1.2.2

# OID contents (X.690 8.19)
OID_ECDSA_SHA256 = b"\x2a\x86\x48\xce\x3d\x04\x03\x02"  # 1.2.840.10045.4.3.2
OID_EC_PUBLIC_KEY = b"\x2a\x86\x48\xce\x3d\x02\x01"  # 1.2.840.10045.2.1
OID_PRIME256V1 = b"\x2a\x86\x48\xce\x3d\x03\x01\x07"  # 1.2.840.10045.3.1.7
OID_CN = b"\x55\x04\x03"  # 2.5.4.3 commonName
_OID_SKI = b"\x55\x1d\x0e"  # 2.5.29.14
_OID_KU = b"\x55\x1d\x0f"  # 2.5.29.15
_OID_SAN = b"\x55\x1d\x11"  # 2.5.29.17
_OID_BC = b"\x55\x1d\x13"  # 2.5.29.19
_OID_AKI = b"\x55\x1d\x23"  # 2.5.29.35

# DirectoryString / attribute value string types accepted in names (RFC 5280 4.1.2.4)
_STRINGS = (0x0C, 0x13, 0x14, 0x16, 0x1C, 0x1E)


class Certificate:
    __slots__ = (
        "der", "serial_s", "serial_e", "issuer_s", "issuer_e",
        "subject_s", "subject_e", "cn_s", "cn_e", "not_before", "not_after", "pub", "sig",
        "key_usage", "ca", "path_len", "san_s", "san_e", "ski_s", "ski_e", "aki_s", "aki_e",
    )

    def __init__(self, data):
        b = data if isinstance(data, bytes) else bytes(data)
        self.der = b
        self.cn_s = self.cn_e = self.san_s = self.san_e = -1
        self.ski_s = self.ski_e = self.aki_s = self.aki_e = -1
        self.key_usage = None
        self.ca = False
        self.path_len = None
        try:
            self._parse(b)
        except IndexError:  # defensive: every read is bounds-checked, but never crash
            raise ValueError("certificate malformed")

    # RFC 5280 4.1
    def _parse(self, b):
        end = len(b)
        t, cs, ce = der.tlv(b, 0, end)
        if t != der.SEQUENCE or ce != end:
            raise ValueError("certificate: not one SEQUENCE")
        t, ts, te = der.tlv(b, cs, ce)
        if t != der.SEQUENCE:
            raise ValueError("certificate: tbs")
        a_s, a_e = _sig_alg(b, te, ce)
        bs, be = der.expect(b, a_e, ce, der.BIT_STRING)
        if be != ce:
            raise ValueError("certificate: trailing data")
        u, ds = der.bits(b, bs, be)
        if u:
            raise ValueError("certificate: signature bits")
        self.sig = _ecdsa_sig(b, ds, be)
        self._tbs(b, ts, te, a_s, a_e)

    def _tbs(self, b, p, end, a_s, a_e):
        t, vs, ve = der.tlv(b, p, end)
        if t != der.CTX0:
            raise ValueError("certificate: not v3")  # Green Book 9.2.6.4: X.509 v3 only
        s, e = der.expect(b, vs, ve, der.INTEGER)
        if e != ve or der.small_uint(b, s, e) != 2:
            raise ValueError("certificate: not v3")
        t, s, e = der.tlv(b, ve, end)
        if t != der.INTEGER:
            raise ValueError("certificate: serial")
        der.uint_span(b, s, e)  # positive, minimal
        if e - s > MAX_SERIAL:
            raise ValueError("certificate: serial too long")
        self.serial_s, self.serial_e = s, e
        s2, e2 = _sig_alg(b, e, end)
        if not der.equal(b, s2, e2, b[a_s:a_e]):
            raise ValueError("certificate: signature algorithms differ")  # RFC 5280 4.1.1.2
        p = e2
        self.issuer_s = p
        p = self.issuer_e = _name(b, p, end, None)
        s, e = der.expect(b, p, end, der.SEQUENCE)  # Validity
        t, ts, te = der.tlv(b, s, e)
        self.not_before = _time(b, t, ts, te)
        t, ts, te = der.tlv(b, te, e)
        self.not_after = _time(b, t, ts, te)
        if te != e:
            raise ValueError("certificate: validity")
        self.subject_s = e
        p = self.subject_e = _name(b, e, end, self)
        s, e = der.expect(b, p, end, der.SEQUENCE)  # SubjectPublicKeyInfo
        self.pub = _ec_key(b, s, e)
        p = e
        if p < end:
            t, s, e = der.tlv(b, p, end)
            if t != der.CTX3:
                raise ValueError("certificate: unique ids not used")  # Green Book 9.2.6.4
            self._extensions(b, s, e)
            p = e
        if p != end:
            raise ValueError("certificate: tbs trailing data")

    # RFC 5280 4.2
    def _extensions(self, b, s, e):
        s, e = der.expect(b, s, e, der.SEQUENCE)
        if s == e:
            raise ValueError("certificate: empty extensions")  # SIZE (1..MAX)
        seen = 0
        for t, xs, xe in der.children(b, s, e):
            if t != der.SEQUENCE:
                raise ValueError("certificate: extension")
            os_, oe = der.expect(b, xs, xe, der.OID)
            t, vs, ve = der.tlv(b, oe, xe)
            critical = False
            if t == der.BOOLEAN:
                critical = der.boolean(b, vs, ve)
                t, vs, ve = der.tlv(b, ve, xe)
            if t != der.OCTET_STRING or ve != xe:
                raise ValueError("certificate: extension value")
            bit = 0
            if der.equal(b, os_, oe, _OID_KU):
                bit = 1
                self.key_usage = _key_usage(b, vs, ve)
            elif der.equal(b, os_, oe, _OID_BC):
                bit = 2
                self._basic_constraints(b, vs, ve)
            elif der.equal(b, os_, oe, _OID_SAN):
                bit = 4
                _whole(b, vs, ve, der.SEQUENCE)  # GeneralNames, kept raw
                self.san_s, self.san_e = vs, ve
            elif der.equal(b, os_, oe, _OID_SKI):
                bit = 8
                self.ski_s, self.ski_e = _whole(b, vs, ve, der.OCTET_STRING)
            elif der.equal(b, os_, oe, _OID_AKI):
                bit = 16
                self._aki(b, vs, ve)
            elif critical:
                raise ValueError("certificate: unknown critical extension")
            if bit:
                if seen & bit:
                    raise ValueError("certificate: duplicate extension")
                seen |= bit

    def _basic_constraints(self, b, s, e):
        s, e = _whole(b, s, e, der.SEQUENCE)
        p = s
        if p < e:
            t, vs, ve = der.tlv(b, p, e)
            if t == der.BOOLEAN:
                self.ca = der.boolean(b, vs, ve)
                p = ve
        if p < e:
            vs, ve = der.expect(b, p, e, der.INTEGER)
            self.path_len = der.small_uint(b, vs, ve)
            p = ve
        if p != e:
            raise ValueError("certificate: basicConstraints")

    def _aki(self, b, s, e):
        s, e = _whole(b, s, e, der.SEQUENCE)
        for t, vs, ve in der.children(b, s, e):
            if t == 0x80:  # [0] keyIdentifier (RFC 5280 4.2.1.1)
                self.aki_s, self.aki_e = vs, ve

    def _span(self, s, e):
        return None if s < 0 else self.der[s:e]

    def tbs(self):
        # the TBSCertificate TLV, read again from the two headers (parsed already): 22
        # attributes fit a 23-slot dict (368 bytes per parsed certificate on the 64-bit
        # host; 24 took a 29-slot one, 464 bytes)
        b = self.der
        _, cs, ce = der.tlv(b, 0, len(b))
        return memoryview(b)[cs:der.tlv(b, cs, ce)[2]]

    def serial(self):
        """Raw INTEGER content octets of serialNumber (a leading 00 kept if present)."""
        return self.der[self.serial_s:self.serial_e]

    def issuer(self):
        """DER of the issuer Name (SEQUENCE header included)."""
        return self.der[self.issuer_s:self.issuer_e]

    def subject(self):
        return self.der[self.subject_s:self.subject_e]

    def cn(self):
        """Value octets of the subject's first commonName, or None."""
        return self._span(self.cn_s, self.cn_e)

    def san(self):
        """subjectAltName extension value (GeneralNames DER), or None."""
        return self._span(self.san_s, self.san_e)

    def ski(self):
        return self._span(self.ski_s, self.ski_e)

    def aki(self):
        """authorityKeyIdentifier keyIdentifier, or None."""
        return self._span(self.aki_s, self.aki_e)

    def self_issued(self):
        return der.equal(self.der, self.issuer_s, self.issuer_e,
                         memoryview(self.der)[self.subject_s:self.subject_e])

    def valid_at(self, now):
        """now: meter seconds (since 2020-01-01 UTC)."""
        return self.not_before <= now <= self.not_after


def _whole(b, s, e, tag):
    # an extnValue holding exactly one element (RFC 5280 4.1: OCTET STRING of the DER value)
    t, vs, ve = der.tlv(b, s, e)
    if t != tag or ve != e:
        raise ValueError("certificate: extension value")
    return vs, ve


def _sig_alg(b, p, end):
    # AlgorithmIdentifier ecdsa-with-SHA256, parameters absent (RFC 5758 3.2)
    s, e = der.expect(b, p, end, der.SEQUENCE)
    os_, oe = der.expect(b, s, e, der.OID)
    if oe != e or not der.equal(b, os_, oe, OID_ECDSA_SHA256):
        raise ValueError("certificate: signature algorithm not ecdsa-with-SHA256")
    return p, e


def _ecdsa_sig(b, s, e):
    # Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480; RFC 5758 3.2) -> r||s
    s, e = der.expect(b, s, e, der.SEQUENCE)
    out = bytearray(64)
    t, rs, re = der.tlv(b, s, e)
    if t != der.INTEGER:
        raise ValueError("certificate: signature r")
    der.uint_into(b, rs, re, out, 0, 32)
    t, ss, se = der.tlv(b, re, e)
    if t != der.INTEGER or se != e:
        raise ValueError("certificate: signature s")
    der.uint_into(b, ss, se, out, 32, 32)
    return out


def _ec_key(b, s, e):
    # SubjectPublicKeyInfo: id-ecPublicKey, namedCurve prime256v1, uncompressed point
    # (RFC 5480 2.1.1, 2.2; Green Book 9.2.6.4)
    a_s, a_e = der.expect(b, s, e, der.SEQUENCE)
    os_, oe = der.expect(b, a_s, a_e, der.OID)
    if not der.equal(b, os_, oe, OID_EC_PUBLIC_KEY):
        raise ValueError("certificate: key not id-ecPublicKey")
    cs, ce = der.expect(b, oe, a_e, der.OID)
    if ce != a_e or not der.equal(b, cs, ce, OID_PRIME256V1):
        raise ValueError("certificate: curve not prime256v1")
    ks, ke = der.expect(b, a_e, e, der.BIT_STRING)
    if ke != e or ke - ks != 66 or b[ks] != 0 or b[ks + 1] != 4:
        raise ValueError("certificate: key not an uncompressed P-256 point")
    pub = b[ks + 2:ke]
    if not ecc.valid_point(pub):
        raise ValueError("certificate: key not on the curve")  # SEC 1 3.2.2.1
    return pub


def _name(b, p, end, cert):
    # Name ::= SEQUENCE OF SET OF AttributeTypeAndValue (RFC 5280 4.1.2.4); returns its end.
    # With cert given, records the first commonName value (the subject CN).
    s, e = der.expect(b, p, end, der.SEQUENCE)
    for t, rs, re in der.children(b, s, e):
        if t != der.SET or rs == re:
            raise ValueError("certificate: name RDN")
        for t, as_, ae in der.children(b, rs, re):
            if t != der.SEQUENCE:
                raise ValueError("certificate: name attribute")
            os_, oe = der.expect(b, as_, ae, der.OID)
            t, vs, ve = der.tlv(b, oe, ae)
            if ve != ae or oe == os_:
                raise ValueError("certificate: name attribute value")
            if cert is not None and cert.cn_s < 0 and der.equal(b, os_, oe, OID_CN):
                if t not in _STRINGS:
                    raise ValueError("certificate: commonName type")
                cert.cn_s, cert.cn_e = vs, ve
    return e


def _digits(b, p, n):
    v = 0
    for i in range(p, p + n):
        c = b[i] - 0x30
        if c < 0 or c > 9:
            raise ValueError("certificate: time digits")
        v = v * 10 + c
    return v


def _time(b, t, s, e):
    # UTCTime YYMMDDHHMMSSZ / GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5.1, 4.1.2.5.2)
    n = e - s
    if t == der.UTC_TIME and n == 13:
        y = _digits(b, s, 2)
        y += 1900 if y >= 50 else 2000
        p = s + 2
    elif t == der.GENERALIZED_TIME and n == 15:
        y = _digits(b, s, 4)
        p = s + 4
    else:
        raise ValueError("certificate: time format")
    if b[e - 1] != 0x5A:  # 'Z'
        raise ValueError("certificate: time not UTC")
    mo = _digits(b, p, 2)
    d = _digits(b, p + 2, 2)
    h = _digits(b, p + 4, 2)
    mi = _digits(b, p + 6, 2)
    sec = _digits(b, p + 8, 2)
    if not 1 <= mo <= 12 or h > 23 or mi > 59 or sec > 59 or d < 1:
        raise ValueError("certificate: time value")
    days = days_from_civil(y, mo, d)
    nxt = days_from_civil(y + 1, 1, 1) if mo == 12 else days_from_civil(y, mo + 1, 1)
    if days >= nxt:
        raise ValueError("certificate: time day")
    return days * 86400 + h * 3600 + mi * 60 + sec


def _key_usage(b, s, e):
    s, e = _whole(b, s, e, der.BIT_STRING)
    u, ds = der.bits(b, s, e)
    if e - ds > 2:
        raise ValueError("certificate: keyUsage")  # 9 named bits fit in 2 octets
    m = 0
    n = 0
    for i in range(ds, e):
        v = b[i]
        if i == e - 1:
            v &= (0xFF << u) & 0xFF  # unused trailing bits carry no flags (X.690 8.6.2)
        for j in range(8):
            if v & (0x80 >> j):
                m |= 1 << (n + j)
        n += 8
    return m


def verify_signed_by(cert, issuer_pub64):
    """True when cert's signature verifies under issuer_pub64 (X||Y): ECDSA P-256 over
    SHA-256 of the DER TBSCertificate (RFC 5280 4.1.1.3; Green Book 9.2.6.4)."""
    d = bytearray(32)
    ecc.sha256(cert.tbs(), d)
    try:
        return bool(ecc.verify(issuer_pub64, d, cert.sig))
    except ValueError:  # not a valid point / length
        return False


def is_self_signed(cert):
    """issuer == subject and the signature verifies with the certificate's own key."""
    return cert.self_issued() and verify_signed_by(cert, cert.pub)


def _can_sign_certs(c):
    return c.ca and c.key_usage is not None and c.key_usage & KU_KEY_CERT_SIGN


def validate_chain(cert, find_issuer, now=None):
    """Chain of trust from `cert` up to a self-signed root (KSMW 3.5.2.1: validated from
    the newly imported certificate to the root, only at import time).

    find_issuer(issuer_name_der) returns a parsed Certificate, a list/tuple of candidates
    (e.g. an old and a renewed Sub-CA with the same name) or None. Each issuer must carry
    the subject name that `cert` names as issuer, basicConstraints cA and keyUsage
    keyCertSign, respect its pathLenConstraint (not checked on the self-signed root, the
    trust anchor: RFC 5280 6.1), and its key must verify the signature below it. The root
    must verify its own signature and be a CA itself. A self-signed `cert` is validated by
    its own key alone. With `now` (seconds since 2000), every certificate of the chain must
    be within its validity; None skips time checks (a meter clock may not be set).
    """
    return _walk(cert, find_issuer, now, 0)


def _walk(c, find_issuer, now, k):
    # c sits k certificates above the target: the target itself is k = 0
    if k >= MAX_CHAIN:
        return False
    if now is not None and not c.valid_at(now):
        return False
    if is_self_signed(c):
        return bool(_can_sign_certs(c))
    cands = find_issuer(c.issuer())
    if cands is None:
        return False
    if isinstance(cands, Certificate):
        cands = (cands,)
    for p in cands:
        if p is c or not _can_sign_certs(p):
            continue
        if not der.equal(p.der, p.subject_s, p.subject_e, memoryview(c.der)[c.issuer_s:
                                                                           c.issuer_e]):
            continue
        # RFC 5280 4.2.1.9: at most path_len intermediate CAs below p (k of them here)
        if p.path_len is not None and k > p.path_len and not p.self_issued():
            continue
        if verify_signed_by(c, p.pub) and _walk(p, find_issuer, now, k + 1):
            return True
    return False


def certificate_type(cert):
    """Security Setup certificate_type from keyUsage (Green Book 9.2.6.4 key usage table):
    digitalSignature -> 0, keyAgreement -> 1, both (TLS) -> 2, anything else (CAs,
    no keyUsage) -> 3."""
    ku = cert.key_usage
    if ku is None or cert.ca:
        return TYPE_OTHER
    ds = ku & KU_DIGITAL_SIGNATURE
    ka = ku & KU_KEY_AGREEMENT
    if ds and ka:
        return TYPE_TLS
    if ds:
        return TYPE_DIGITAL_SIGNATURE
    if ka:
        return TYPE_KEY_AGREEMENT
    return TYPE_OTHER


def system_title(cert):
    """8-byte system title from a subject CN of 16 hex characters (Green Book 9.2.6.4
    end-entity naming), else None."""
    s, e = cert.cn_s, cert.cn_e
    if s < 0 or e - s != 16:
        return None
    b = cert.der
    out = bytearray(8)
    for i in range(16):
        c = b[s + i]
        if 0x30 <= c <= 0x39:
            v = c - 0x30
        elif 0x41 <= c <= 0x46:
            v = c - 0x37
        elif 0x61 <= c <= 0x66:
            v = c - 0x57
        else:
            return None
        out[i >> 1] = (out[i >> 1] << 4) | v
    return bytes(out)


def certificate_entity(cert, server_title8):
    """Security Setup certificate_entity: 2 for a CA (basicConstraints cA), 0 when the
    subject CN names the server's system title, 1 when it names another system title
    (a client), else 3."""
    if cert.ca:
        return ENTITY_CA
    st = system_title(cert)
    if st is None:
        return ENTITY_OTHER
    return ENTITY_SERVER if st == bytes(server_title8) else ENTITY_CLIENT
