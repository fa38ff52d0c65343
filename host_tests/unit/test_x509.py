# SPDX-License-Identifier: MIT
"""X.509 certificates (Green Book 9.2.6.4), chain of trust (KSMW 3.5.2.1), DER reader and
writer, PKCS#10 CSR. Runs on CPython and MicroPython. The fixtures were made once with
`cryptography` from fixed keys (private scalar 0x1000 * i + 0x1234567, i = 1..7 in the order
below): ROOT (self-signed, cA, keyCertSign+cRLSign, SKI), SUB (by ROOT, cA pathLen 0), EE
(by SUB, CN 4B464D1000000001, digitalSignature, SAN URI, notAfter 2050 as GeneralizedTime),
EE_BY_EE (issued by the end entity EE), SUB_B (same name as SUB, other key), SUB2 (a CA
under SUB) and EE3 (under SUB2: breaks SUB's pathLen 0)."""
from unitlib import h, raises

from dlms.security import csr, der, ecc, x509
from dlms.security.x509 import Certificate

ROOT = h(
    "3082015F30820106A00302010202021001300A06082A8648CE3D04030230173115301306035504030C0C5465"
    "737420526F6F74204341301E170D3235303130313030303030305A170D3439313233313233353935395A3017"
    "3115301306035504030C0C5465737420526F6F742043413059301306072A8648CE3D020106082A8648CE3D03"
    "0107034200045395C2306DBC1D279B6095267470C682F19E38F0CAA441737938E03CCDABA4703023098A32D3"
    "3556F069A939FFF6CB99C3AE534D5CA57728412593B81069ED66A3423040300F0603551D130101FF04053003"
    "0101FF300E0603551D0F0101FF040403020106301D0603551D0E041604143EF5179A7AE9768EECC9A16EEF49"
    "AA32B7895138300A06082A8648CE3D040302034700304402207F1C3A7E45EF27969619B77BB6237CA1E4F655"
    "3FA78C5C9EE4FF3A4217B13F36022043B1DBFE1E47666373B3B45037A23951070780759CA0399D37E149D7E2"
    "3499B6"
)
SUB = h(
    "3082018230820129A00302010202022002300A06082A8648CE3D04030230173115301306035504030C0C5465"
    "737420526F6F74204341301E170D3235303130313030303030305A170D3439313233313233353935395A3016"
    "3114301206035504030C0B54657374205375622D43413059301306072A8648CE3D020106082A8648CE3D0301"
    "070342000443CD9275667BE238B9FA696F51028A0BD3ECA3B8A34D18574DF8B9852DB17B2B038819CA9C4987"
    "30F8CDE67F75D03391DD3B309D31C85F2E175358192846FC2BA366306430120603551D130101FF0408300601"
    "01FF020100300E0603551D0F0101FF040403020106301D0603551D0E041604145A95164FDEAC7422D4009C8C"
    "4CBB4EA859F59713301F0603551D230418301680143EF5179A7AE9768EECC9A16EEF49AA32B7895138300A06"
    "082A8648CE3D040302034700304402203D447E352627A601E7C8000D56FE37E942E9AD2DA802DB25E4C9E85E"
    "B87A219A022024313BFBA8467B50B9BA681DF0DC666965CCD5CAE707C7B734AF6478B9BC9F81"
)
EE = h(
    "3082018430820129A003020102020900F1E2D3C4B5A69788300A06082A8648CE3D0403023016311430120603"
    "5504030C0B54657374205375622D43413020170D3235303130313030303030305A180F323035303031303130"
    "30303030305A301B3119301706035504030C10344234363444313030303030303030313059301306072A8648"
    "CE3D020106082A8648CE3D030107034200047BD86455DA53FC94E31C634BAD14B18A0DBB7826ED90A0C85F60"
    "5573AA4AA69A0A1B2B65A268EA90DC1ECE5984B5724864C152584D25D7C7FD643E86B286C4C8A3593057300E"
    "0603551D0F0101FF040403020780301F0603551D230418301680145A95164FDEAC7422D4009C8C4CBB4EA859"
    "F5971330240603551D11041D301B861975726E3A646C6D733A34423436344431303030303030303031300A06"
    "082A8648CE3D0403020349003046022100E79C660C37F2E1DA2A9431FAB109A724533ED7D9544FF4A5A68762"
    "B142A9ED2D022100D4A9C754C02E429C0A44B2E38CF38D766251E9C901662CA8804FA64A62FA291C"
)
EE_BY_EE = h(
    "308201573081FFA00302010202023003300A06082A8648CE3D040302301B3119301706035504030C10344234"
    "36344431303030303030303031301E170D3235303130313030303030305A170D343931323331323335393539"
    "5A301B3119301706035504030C10344234363444313030303030303030323059301306072A8648CE3D020106"
    "082A8648CE3D03010703420004ACFD655E49F8C8325FA068B8D5FED7CA292E36BB55E5ED8D79C46753BE5BBE"
    "B532B78945C6C3723D6EA718076ACB65DD8A194BA2287709889CC7FE86FBA7EA6AA3333031300E0603551D0F"
    "0101FF040403020780301F0603551D23041830168014048B6DED51BE84B820EF5AC79F25427B009B60D6300A"
    "06082A8648CE3D040302034700304402205D665DC759AD29E47C06C9F5646F715B0755C91B7E0153E817E228"
    "4AD7C0E340022050BBBAB958747E52373992FE78D4FDADE2DEB349941BB2BF3C0FC2DEF7E104D5"
)
SUB_B = h(
    "3082018430820129A00302010202024004300A06082A8648CE3D04030230173115301306035504030C0C5465"
    "737420526F6F74204341301E170D3235303130313030303030305A170D3439313233313233353935395A3016"
    "3114301206035504030C0B54657374205375622D43413059301306072A8648CE3D020106082A8648CE3D0301"
    "0703420004C945FD2CA98D81067C07FDF06515B6C3148AFC88F016EE4E6BC48C96B6DEBBA7D5836DF2C0B7F0"
    "A9EF7F14947ED475847BFB6D34BC188C003F182AFFB737DFEFA366306430120603551D130101FF0408300601"
    "01FF020100300E0603551D0F0101FF040403020106301D0603551D0E04160414CE7E1C92F5BACC1332B3E5D0"
    "941C4FA61A330209301F0603551D230418301680143EF5179A7AE9768EECC9A16EEF49AA32B7895138300A06"
    "082A8648CE3D0403020349003046022100EA35D1FBDAABF38C5CFA7446FCBB6685D146376523DBDEB15718B2"
    "6F1871F9AF022100C11A2ECC6B642BCB4FAA2AD823E0FF2456BEF085A52E55D7FA27DA4CC5DF111A"
)
SUB2 = h(
    "3082018230820127A00302010202025005300A06082A8648CE3D04030230163114301206035504030C0B5465"
    "7374205375622D4341301E170D3235303130313030303030305A170D3439313233313233353935395A301831"
    "16301406035504030C0D54657374205375622D434120323059301306072A8648CE3D020106082A8648CE3D03"
    "01070342000481DBA24C3295E49B14BDD9EE7C3126D021A15C7DCA57C970A74E55030F7F95A0349B56F1AA10"
    "AF5724F0CC2E56B6E5869AA39A9BA728572DFE51999F555B3AADA3633061300F0603551D130101FF04053003"
    "0101FF300E0603551D0F0101FF040403020106301D0603551D0E0416041460BE6615DDCC0719EE8485FB64C6"
    "75A0AE25352E301F0603551D230418301680145A95164FDEAC7422D4009C8C4CBB4EA859F59713300A06082A"
    "8648CE3D0403020349003046022100BEEC6A0B9F852895DB3364370D505448288DC7EE0796B63D15722CB98F"
    "657307022100EBCEEBF50E183A1CAF9B5589573872F9C0CF578A6B22EB5BF2C001AD3E8B2185"
)
EE3 = h(
    "308201563081FCA00302010202026006300A06082A8648CE3D04030230183116301406035504030C0D546573"
    "74205375622D43412032301E170D3235303130313030303030305A170D3439313233313233353935395A301B"
    "3119301706035504030C10344234363444313030303030303030333059301306072A8648CE3D020106082A86"
    "48CE3D03010703420004342D95E46F82D16102F35E61EF674DA40853359B73F9ADED2201B9658056888E2C2A"
    "63B1122ED11A2BB8056040FAC9AB7B65361223A545C3642F04A59E9B2D4BA3333031300E0603551D0F0101FF"
    "040403020780301F0603551D2304183016801460BE6615DDCC0719EE8485FB64C675A0AE25352E300A06082A"
    "8648CE3D0403020349003046022100E489091A185B9B3E4D10D399CBF7E789D99F1ED9AB231686ABBFF3194C"
    "BA5FAE022100C267A554F3FB22F580B5CBE0E57CFB519AAD307855CA56993C7F8C630032F98B"
)


DAYS_2025 = 9132  # 2025-01-01 in days since 2000-01-01
DAYS_2050 = 18263


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
    tbs_alg = EE[4:c.tbs_e + 12]
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
