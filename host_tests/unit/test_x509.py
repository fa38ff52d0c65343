# SPDX-License-Identifier: MIT
"""X.509 certificates (Green Book 9.2.6.4), chain of trust (KSMW 3.5.2.1), DER reader and
writer, PKCS#10 CSR. Runs on CPython and MicroPython. The fixtures were made once with
`cryptography` from fixed keys (private scalar 0x1000 * i + 0x1234567, i = 1..7 in the order
below): ROOT (self-signed, cA, keyCertSign+cRLSign, SKI), SUB (by ROOT, cA pathLen 0), EE
(by SUB, CN 4B464D1000000001, digitalSignature, SAN URI, notAfter 2050 as GeneralizedTime),
EE_BY_EE (issued by the end entity EE), SUB_B (same name as SUB, other key), SUB2 (a CA
under SUB) and EE3 (under SUB2: breaks SUB's pathLen 0)."""
from unitlib import h, raises
from x509_fixtures import EE, EE3, EE_BY_EE, ROOT, SUB, SUB2, SUB_B

from dlms.security import csr, der, ecc, x509
from dlms.security.x509 import Certificate

DAYS_2025 = 1827  # 2025-01-01 in days since 2020-01-01 (meter seconds: timeconv)
DAYS_2050 = 10958


def priv(i):
    return (0x1000 * i + 0x1234567).to_bytes(32, "big")


def pubkey(i):
    out = bytearray(64)
    ecc.pubkey(priv(i), out)
    return bytes(out)


def sha(data):
    out = bytearray(32)
    ecc.sha256(data, out)
    return out


def store(*ders):
    certs = [Certificate(d) for d in ders]

    def find(name):
        found = [c for c in certs if c.subject() == name]
        return found or None

    return certs, find


def test_parse_end_entity():
    c = Certificate(EE)
    sub = Certificate(SUB)
    assert c.serial() == h("00F1E2D3C4B5A69788")  # raw INTEGER content, sign octet kept
    assert c.cn() == b"4B464D1000000001"
    assert c.issuer() == sub.subject() and c.issuer()[0] == 0x30
    assert c.subject() == h("301B3119301706035504030C10") + b"4B464D1000000001"
    assert c.pub == pubkey(3)
    assert c.key_usage == x509.KU_DIGITAL_SIGNATURE
    assert not c.ca and c.path_len is None and c.ski() is None
    assert c.aki() == sub.ski() and len(c.aki()) == 20
    assert c.san() == h("301B8619") + b"urn:dlms:4B464D1000000001"
    assert c.not_before == DAYS_2025 * 86400  # UTCTime 250101000000Z
    assert c.not_after == DAYS_2050 * 86400  # GeneralizedTime 20500101000000Z
    assert c.valid_at(DAYS_2025 * 86400) and not c.valid_at(DAYS_2050 * 86400 + 1)
    assert len(c.sig) == 64
    tbs = c.tbs()
    assert tbs[0] == 0x30 and bytes(tbs) == EE[4:4 + len(tbs)]


def test_parse_cas():
    r = Certificate(ROOT)
    s = Certificate(SUB)
    assert r.ca and r.path_len is None and r.aki() is None
    assert r.key_usage == x509.KU_KEY_CERT_SIGN | x509.KU_CRL_SIGN
    assert r.serial() == h("1001") and r.cn() == b"Test Root CA"
    assert r.issuer() == r.subject() and r.self_issued()
    assert s.ca and s.path_len == 0 and s.aki() == r.ski() and s.ski() != r.ski()
    assert s.not_after == (DAYS_2050 * 86400) - 1  # 491231235959Z
    assert r.pub == pubkey(1) and s.pub == pubkey(2)


def test_signatures():
    r, s, e = Certificate(ROOT), Certificate(SUB), Certificate(EE)
    assert x509.verify_signed_by(e, s.pub) and x509.verify_signed_by(s, r.pub)
    assert not x509.verify_signed_by(e, r.pub)
    assert not x509.verify_signed_by(e, bytes(64))  # not a point: False, no exception
    assert x509.is_self_signed(r) and not x509.is_self_signed(s)
    assert not x509.is_self_signed(e)


def test_chain_good():
    (r, s, e, sb, s2, e3), find = store(ROOT, SUB, EE, SUB_B, SUB2, EE3)
    for c in (r, s, e, s2):
        assert x509.validate_chain(c, find), c.cn()
    # EE3 sits below SUB2 below SUB, whose pathLen 0 allows no intermediate CA (RFC 5280)
    assert not x509.validate_chain(e3, find)
    now = DAYS_2025 * 86400 + 1000
    assert x509.validate_chain(e, find, now)
    assert not x509.validate_chain(e, find, DAYS_2025 * 86400 - 1)  # not yet valid
    assert not x509.validate_chain(e, find, DAYS_2050 * 86400)  # SUB and ROOT expired


def test_chain_wrong_issuer_key():
    (r, s, e, sb), _ = store(ROOT, SUB, EE, SUB_B)
    assert sb.subject() == s.subject() and sb.pub != s.pub
    assert not x509.validate_chain(e, lambda n: sb)  # right name, wrong key
    assert x509.validate_chain(e, lambda n: [sb, s] if n == s.subject() else r)
    assert not x509.validate_chain(e, lambda n: None)  # issuer unknown
    assert not x509.validate_chain(e, lambda n: [r])  # issuer name differs
    # Sub-CA found but the root is missing
    assert not x509.validate_chain(e, lambda n: s if n == s.subject() else None)


def test_chain_tampered():
    cn = EE.find(b"4B464D1000000001")
    bad = bytearray(EE)
    bad[cn + 15] = 0x39  # subject CN ...01 -> ...09: still well formed
    c = Certificate(bad)
    assert c.cn() == b"4B464D1000000009"
    (r, s), find = store(ROOT, SUB)
    assert not x509.verify_signed_by(c, s.pub) and not x509.validate_chain(c, find)
    bad = bytearray(EE)
    bad[-5] ^= 0x01  # inside s
    c = Certificate(bad)
    assert not x509.validate_chain(c, find)


def test_chain_issuer_must_be_ca():
    (r, s, e, e2), find = store(ROOT, SUB, EE, EE_BY_EE)
    assert x509.verify_signed_by(e2, e.pub)  # signed right, by a non-CA
    assert not x509.validate_chain(e2, find)
    s.ca = False  # a Sub-CA without cA ...
    assert not x509.validate_chain(e, find)
    s.ca = True
    s.key_usage = x509.KU_DIGITAL_SIGNATURE  # ... or without keyCertSign
    assert not x509.validate_chain(e, find)
    s.key_usage = x509.KU_KEY_CERT_SIGN
    assert x509.validate_chain(e, find)
    r.key_usage = x509.KU_CRL_SIGN  # the root as well (KSMW 3.5.2.1)
    assert not x509.validate_chain(e, find) and not x509.validate_chain(r, find)


def test_certificate_type_and_entity():
    r, e = Certificate(ROOT), Certificate(EE)
    st = h("4B464D1000000001")
    assert x509.system_title(e) == st and x509.system_title(r) is None
    assert x509.certificate_type(e) == x509.TYPE_DIGITAL_SIGNATURE
    assert x509.certificate_type(r) == x509.TYPE_OTHER
    assert x509.certificate_entity(e, st) == x509.ENTITY_SERVER
    assert x509.certificate_entity(e, h("4B464D0005F5E101")) == x509.ENTITY_CLIENT
    assert x509.certificate_entity(r, st) == x509.ENTITY_CA
    e.key_usage = x509.KU_KEY_AGREEMENT
    assert x509.certificate_type(e) == x509.TYPE_KEY_AGREEMENT
    e.key_usage = x509.KU_KEY_AGREEMENT | x509.KU_DIGITAL_SIGNATURE
    assert x509.certificate_type(e) == x509.TYPE_TLS
    e.key_usage = None
    assert x509.certificate_type(e) == x509.TYPE_OTHER


def test_truncated_and_trailing():
    for n in range(len(EE)):
        raises(ValueError, Certificate, EE[:n])
    raises(ValueError, Certificate, EE + b"\x00")


def _with(der_, old, new):
    i = der_.find(old)
    assert i >= 0
    return der_[:i] + new + der_[i + len(old):]


def test_malformed_lengths_and_profile():
    L = len(EE) - 4
    body = EE[4:]
    for hdr in (b"\x30\x82\xff\xff", b"\x30\x84\x00\x00\x01" + bytes([L & 0xFF]),
                b"\x30\x80", b"\x30\x83\x00" + bytes([L >> 8, L & 0xFF]),
                b"\x30\x82\x00\x7f", b"\x31\x82" + bytes([L >> 8, L & 0xFF]),
                b"\x3f\x82" + bytes([L >> 8, L & 0xFF])):
        raises(ValueError, Certificate, hdr + body)
    for old, new in (
            (h("06082A8648CE3D030107"), h("06082A8648CE3D030106")),  # not prime256v1
            (h("06072A8648CE3D0201"), h("06072A8648CE3D0202")),  # not id-ecPublicKey
            (h("A003020102"), h("A003020101")),  # v2
            (h("034200 04"), h("034200 03"))):  # compressed/odd point
        raises(ValueError, Certificate, _with(EE, old, new))
    alg = h("300A06082A8648CE3D040302")
    raises(ValueError, Certificate, EE.replace(alg, h("300A06082A8648CE3D040303")))  # SHA-384
    i = EE.rfind(alg)  # outer signatureAlgorithm differs from the tbs one
    raises(ValueError, Certificate, EE[:i] + h("300A06082A8648CE3D040303") + EE[i + 12:])
    c = Certificate(EE)
    bad = bytearray(EE)
    bad[EE.find(c.pub) + 63] ^= 1  # not on the curve
    raises(ValueError, Certificate, bad)
    # keyUsage made critical-unknown: an extension OID we do not process, marked critical
    raises(ValueError, Certificate, _with(EE, h("0603551D0F"), h("0603551D20")))
    # duplicate extension: SAN OID renamed to keyUsage
    raises(ValueError, Certificate, _with(EE, h("0603551D11"), h("0603551D0F")))


def _resign(tbs_alg, r, s):
    # certificate from the EE tbs + alg with a hand-made Ecdsa-Sig-Value (r, s contents)
    seq = der.size(len(r)) + der.size(len(s))
    bits = 1 + der.size(seq)
    out = bytearray(len(tbs_alg) + 16 + seq)
    w = der.Writer(out)
    w.hdr(der.SEQUENCE, len(tbs_alg) + der.size(bits))
    w.raw(tbs_alg)
    w.hdr(der.BIT_STRING, bits)
    w.byte(0)
    w.hdr(der.SEQUENCE, seq)
    w.hdr(der.INTEGER, len(r))
    w.raw(r)
    w.hdr(der.INTEGER, len(s))
    w.raw(s)
    return bytes(out[:w.pos])


def test_signature_value_rules():
    c = Certificate(EE)
    tbs_alg = EE[4:4 + len(c.tbs()) + 12]  # the TBSCertificate starts at 4
    r, s = c.sig[:32], c.sig[32:]

    def content(v):
        return b"\x00" + v if v[0] & 0x80 else v
    good = _resign(tbs_alg, content(r), content(s))
    assert Certificate(good).sig == c.sig
    short = Certificate(_resign(tbs_alg, b"\x05", b"\x7f\x01"))
    assert short.sig == bytes(31) + b"\x05" + bytes(30) + b"\x7f\x01"
    for rr, ss in ((b"\x01" + bytes(32), content(s)),  # r longer than 32 bytes
                   (content(r), b"\x00\x00" + bytes(31) + b"\x01"),  # not minimal, 34
                   (content(r), b"\x00\x01"),  # not minimal
                   (b"\x80" + bytes(31), content(s)),  # negative
                   (b"", content(s))):  # empty
        raises(ValueError, Certificate, _resign(tbs_alg, rr, ss))


def test_fuzz_never_crashes():
    seed = 12345
    for der_ in (EE, ROOT):
        for i in range(len(der_)):
            for m in (0x01, 0x80, 0xFF):
                bad = bytearray(der_)
                bad[i] ^= m
                try:
                    Certificate(bad)
                except ValueError:
                    pass
        for _ in range(150):  # a few random multi-byte corruptions
            bad = bytearray(der_)
            for _k in range(3):
                seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
                bad[seed % len(bad)] = (seed >> 8) & 0xFF
            try:
                Certificate(bad)
            except ValueError:
                pass


def test_der_reader():
    buf = h("3006 0201 05 0401 AA 0500")
    t, vs, ve = der.tlv(buf, 0, len(buf))
    assert (t, vs, ve) == (0x30, 2, 8)
    kids = [k for k in der.children(buf, vs, ve)]
    assert kids == [(0x02, 4, 5), (0x04, 7, 8)]
    assert der.expect(buf, 8, 10, der.NULL) == (10, 10)
    raises(ValueError, der.expect, buf, 2, 8, der.OCTET_STRING)
    out = bytearray(4)
    der.uint_into(h("00FF01"), 0, 3, out, 0, 4)
    assert out == h("0000FF01")
    raises(ValueError, der.uint_into, h("0001"), 0, 2, out, 0, 4)  # not minimal
    raises(ValueError, der.uint_into, h("FF"), 0, 1, out, 0, 4)  # negative
    raises(ValueError, der.uint_into, h("0102030405"), 0, 5, out, 0, 4)  # too long
    assert der.small_uint(h("00"), 0, 1) == 0 and der.small_uint(h("0100"), 0, 2) == 256
    assert der.boolean(h("FF"), 0, 1) and not der.boolean(h("00"), 0, 1)
    raises(ValueError, der.boolean, h("01"), 0, 1)
    assert der.bits(h("0680"), 0, 2) == (6, 1)
    raises(ValueError, der.bits, h("08FF"), 0, 2)
    raises(ValueError, der.bits, h("01"), 0, 1)
    assert der.equal(buf, 7, 8, b"\xaa") and not der.equal(buf, 7, 8, b"\xab")
    big = b"\x04\x82\x01\x00" + bytes(256)
    assert der.tlv(big, 0, len(big)) == (4, 4, 260)
    raises(ValueError, der.tlv, big, 0, 259)  # truncated
    raises(ValueError, der.tlv, b"\x04\x81\x10" + bytes(16), 0, 19)  # not minimal


def test_der_writer():
    out = bytearray(300)
    w = der.Writer(out)
    w.hdr(der.SEQUENCE, 5)
    w.hdr(der.OCTET_STRING, 200)
    w.hdr(der.OCTET_STRING, 300)
    assert out[:w.pos] == h("3005 0481C8 0482012C")
    assert [der.size(n) for n in (0, 127, 128, 255, 256)] == [2, 129, 131, 258, 260]
    for num, enc in ((h("00000000"), "020100"), (h("0000007F"), "02017F"),
                     (h("00000080"), "02020080"), (h("FF000000"), "020500FF000000")):
        w = der.Writer(out)
        w.uint(num)
        assert out[:w.pos] == h(enc) and der.uint_size(num) == len(h(enc))
    w = der.Writer(bytearray(2))
    raises(ValueError, w.hdr, der.SEQUENCE, 200)
    raises(ValueError, der.len_size, 0x10000)


def _csr_parse(b, n):
    # structural walk of the CSR with the firmware DER reader (RFC 2986 4)
    s, e = der.expect(b, 0, n, der.SEQUENCE)
    assert e == n
    t, cs, ce = der.tlv(b, s, e)
    assert t == der.SEQUENCE
    cri = b[s:ce]
    kids = [k for k in der.children(b, cs, ce)]
    assert [k[0] for k in kids] == [der.INTEGER, der.SEQUENCE, der.SEQUENCE, der.CTX0]
    assert der.small_uint(b, kids[0][1], kids[0][2]) == 0
    assert kids[3][1] == kids[3][2]  # attributes [0] empty
    name = b[kids[1][1] - 2:kids[1][2]]
    assert name[:13] == h("301B3119301706035504030C10")
    cn = bytes(name[13:])
    spki = [k for k in der.children(b, kids[2][1], kids[2][2])]
    assert b[spki[0][1]:spki[0][2]] == h("06072A8648CE3D020106082A8648CE3D030107")
    assert b[spki[1][1]:spki[1][1] + 2] == h("0004")
    pub = bytes(b[spki[1][1] + 2:spki[1][2]])
    a_s, a_e = der.expect(b, ce, e, der.SEQUENCE)
    assert b[a_s:a_e] == h("06082A8648CE3D040302")
    bs, be = der.expect(b, a_e, e, der.BIT_STRING)
    assert be == e and b[bs] == 0
    rs = bytearray(64)
    qs, qe = der.expect(b, bs + 1, be, der.SEQUENCE)
    t, r0, r1 = der.tlv(b, qs, qe)
    der.uint_into(b, r0, r1, rs, 0, 32)
    t, s0, s1 = der.tlv(b, r1, qe)
    assert s1 == qe
    der.uint_into(b, s0, s1, rs, 32, 32)
    return cri, cn, pub, rs


def test_csr_build_and_parse():
    pub = pubkey(5)
    out = bytearray(csr.CSR_MAX)
    n = csr.build_csr(priv(5), pub, h("4B464D00ABCDEF01"), out)
    assert 150 <= n <= csr.CSR_MAX
    cri, cn, got_pub, rs = _csr_parse(out, n)
    assert cn == b"4B464D00ABCDEF01" and got_pub == pub
    assert ecc.verify(pub, sha(cri), rs)
    again = bytearray(300)
    assert csr.build_csr(priv(5), pub, h("4B464D00ABCDEF01"), again) == n
    assert again[:n] == out[:n]  # RFC 6979: deterministic
    raises(ValueError, csr.build_csr, priv(5), pub, h("4B464D00ABCDEF01"),
           bytearray(csr.CSR_MAX - 1))
    raises(ValueError, csr.build_csr, priv(5), pub, h("4B464D"), out)
    raises(ValueError, csr.build_csr, priv(5), pub[:63], h("4B464D00ABCDEF01"), out)
