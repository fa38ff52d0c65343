# SPDX-License-Identifier: MIT
"""PKCS#10 certificate signing request for the meter's P-256 signing key (Security Setup
method 5 generate_certificate_request; KSMW 3.5.2: the meter makes its key pair and a CSR,
the CA signs it and the certificate is imported with method 6).

    n = build_csr(priv32, pub64, system_title8, out)   DER CertificationRequest in out[:n]

RFC 2986 4: CertificationRequestInfo {version 0, subject, subjectPKInfo, attributes [0]
(empty)}, signed with ecdsa-with-SHA256 (no parameters, RFC 5758 3.2); signature = DER
Ecdsa-Sig-Value of the r||s from ecc.sign (RFC 6979 deterministic k). Subject = one RDN
with commonName = the system title as 16 upper-case hex characters (UTF8String), the
Green Book 9.2.6.4 end-entity naming that head-ends (e.g. Gurux) map back to the system
title. The structure has a fixed size apart from the signature, so every length is
computed before writing: nothing is moved or patched. Allocates 96 bytes (digest and
signature) besides small ints; `out` needs CSR_MAX bytes.
"""
from micropython import const

from dlms.security import der, ecc
from dlms.security.x509 import OID_CN, OID_EC_PUBLIC_KEY, OID_ECDSA_SHA256, OID_PRIME256V1

_HEX = b"0123456789ABCDEF"
_CN_LEN = const(16)

# value ("body") and element sizes of the fixed parts (X.690 definite lengths)
_ATV_BODY = der.size(len(OID_CN)) + der.size(_CN_LEN)
_RDN_BODY = der.size(_ATV_BODY)
_NAME_BODY = der.size(_RDN_BODY)  # SEQUENCE { SET { SEQUENCE { OID, UTF8String } } }
_ALG_BODY = der.size(len(OID_EC_PUBLIC_KEY)) + der.size(len(OID_PRIME256V1))
_SPKI_BODY = der.size(_ALG_BODY) + der.size(66)  # BIT STRING 00 04 X Y
_CRI_BODY = 3 + der.size(_NAME_BODY) + der.size(_SPKI_BODY) + 2  # 02 01 00 ... A0 00
_CRI = der.size(_CRI_BODY)
_SIG_ALG_BODY = der.size(len(OID_ECDSA_SHA256))


def _sig_bodies(rs):
    # -> (Ecdsa-Sig-Value body, BIT STRING body) for r||s
    seq = der.uint_size(rs, 0, 32) + der.uint_size(rs, 32, 32)
    return seq, 1 + der.size(seq)


def _body(rs):
    return _CRI + der.size(_SIG_ALG_BODY) + der.size(_sig_bodies(rs)[1])


# r and s take 1..33 octets: the outer length field has the same size for all of them
_HDR = 1 + der.len_size(_body(b"\xff" * 64))
CSR_MAX = _HDR + _body(b"\xff" * 64)  # 217 bytes


def build_csr(priv32, pub64, system_title8, out):
    """Write the DER CSR into the bytearray `out` and return its length. ValueError on
    bad key/title lengths or when `out` is shorter than CSR_MAX."""
    if len(pub64) != 64 or len(system_title8) != 8 or len(priv32) != 32:
        raise ValueError("csr: key or system title length")
    if len(out) < CSR_MAX:
        raise ValueError("csr: output buffer too small")
    w = der.Writer(out, _HDR)
    # CertificationRequestInfo (RFC 2986 4.1)
    w.hdr(der.SEQUENCE, _CRI_BODY)
    w.raw(b"\x02\x01\x00")  # version v1(0)
    w.hdr(der.SEQUENCE, _NAME_BODY)
    w.hdr(der.SET, _RDN_BODY)
    w.hdr(der.SEQUENCE, _ATV_BODY)
    w.hdr(der.OID, len(OID_CN))
    w.raw(OID_CN)
    w.hdr(der.UTF8_STRING, _CN_LEN)
    for i in range(8):  # Green Book 9.2.6.4: CN = system title in hex
        v = system_title8[i]
        w.byte(_HEX[v >> 4])
        w.byte(_HEX[v & 15])
    # SubjectPublicKeyInfo (RFC 5480 2)
    w.hdr(der.SEQUENCE, _SPKI_BODY)
    w.hdr(der.SEQUENCE, _ALG_BODY)
    w.hdr(der.OID, len(OID_EC_PUBLIC_KEY))
    w.raw(OID_EC_PUBLIC_KEY)
    w.hdr(der.OID, len(OID_PRIME256V1))
    w.raw(OID_PRIME256V1)
    w.hdr(der.BIT_STRING, 66)
    w.byte(0)
    w.byte(4)  # uncompressed point (SEC 1 2.3.3)
    w.raw(pub64)
    w.raw(b"\xa0\x00")  # attributes [0], empty
    d = bytearray(32)
    ecc.sha256(memoryview(out)[_HDR:w.pos], d)
    rs = bytearray(64)
    ecc.sign(priv32, d, rs)
    # signatureAlgorithm, signature (RFC 2986 4.2)
    w.hdr(der.SEQUENCE, _SIG_ALG_BODY)
    w.hdr(der.OID, len(OID_ECDSA_SHA256))
    w.raw(OID_ECDSA_SHA256)
    seq, bits = _sig_bodies(rs)
    w.hdr(der.BIT_STRING, bits)
    w.byte(0)
    w.hdr(der.SEQUENCE, seq)
    w.uint(rs, 0, 32)
    w.uint(rs, 32, 32)
    n = w.pos
    if der.len_size(n - _HDR) != _HDR - 1:
        raise ValueError("csr: layout")  # unreachable: see _HDR
    der.Writer(out, 0).hdr(der.SEQUENCE, n - _HDR)
    return n
