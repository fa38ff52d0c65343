# SPDX-License-Identifier: MIT
"""Security suite 0/1 symmetric protection (Green Book 9.2.7; dlms-notes 5.1-5.4, 5.7).

Protected content = SC || IC || payload [|| T]: GCM with IV = system title || IC, the tag
cut to 12 bytes, and A = SC || AK (|| APDU when only authenticated). Wrappers for the
service-specific glo-/ded- APDUs (tag | length | content) and general-glo/ded-ciphering
(tag | system title | content). HLS-5 f(challenge) is a GMAC over SC || AK || challenge.
"""
from micropython import const

from dlms.security import gcm

SC_AUTH = const(0x10)
SC_ENC = const(0x20)
SC_BROADCAST = const(0x40)
SC_COMPRESSED = const(0x80)
TAG_LEN = const(12)
GENERAL_GLO = const(0xDB)
GENERAL_DED = const(0xDC)
MAX_APDU = const(1224 + 64)

# plain xDLMS tag -> glo- tag; ded- = glo- + 0x40 (initiate/SN) or + 0x08 (LN services)
_GLO = {0x01: 0x21, 0x05: 0x25, 0x06: 0x26, 0x08: 0x28, 0x0C: 0x2C, 0x0D: 0x2D, 0x0E: 0x2E,
        0x16: 0x36, 0x18: 0x38, 0xC0: 0xC8, 0xC1: 0xC9, 0xC2: 0xCA, 0xC3: 0xCB, 0xC4: 0xCC,
        0xC5: 0xCD, 0xC7: 0xCF}
_PLAIN = {}
for _p, _g in _GLO.items():
    _PLAIN[_g] = _p
    _PLAIN[_g + (0x08 if _g >= 0xC8 else 0x20)] = _p

# scratch for SC || AK || (general-ciphering header fields, up to 255 bytes) || APDU, shared
# with dlms.security.general: one protection operation at a time
_aad = bytearray(1 + 32 + 255 + MAX_APDU)
_iv = bytearray(12)


class SecurityError(ValueError):
    """Deciphering or authentication failed (answered as deciphering-error)."""


def glo_tag(plain):
    return _GLO[plain]


def ded_tag(plain):
    g = _GLO[plain]
    return g + (0x08 if g >= 0xC8 else 0x20)


def plain_tag(protected):
    """Plain xDLMS tag for a glo-/ded- tag, or None."""
    return _PLAIN.get(protected)


def is_dedicated(protected):
    return protected in _PLAIN and protected not in _GLO.values()


def _prepare(sc, ak, title, ic, apdu, hdr=b""):
    """Set the IV; -> A = SC || AK || hdr (|| APDU when authentication only). hdr: the
    general-ciphering header fields, length bytes included (dlms-notes 5.5)."""
    if len(title) != 8:
        raise SecurityError("system title")
    _iv[0:8] = title
    _iv[8] = (ic >> 24) & 0xFF
    _iv[9] = (ic >> 16) & 0xFF
    _iv[10] = (ic >> 8) & 0xFF
    _iv[11] = ic & 0xFF
    n = 1 + len(ak)
    e = n + len(hdr) + (len(apdu) if apdu is not None else 0)
    if e > len(_aad):
        raise SecurityError("too long")
    _aad[0] = sc
    _aad[1:n] = ak
    _aad[n:n + len(hdr)] = hdr
    if apdu is not None:  # authentication only: the APDU travels in clear and is in A
        _aad[n + len(hdr):e] = apdu
    return memoryview(_aad)[:e]


def protect(sc, ek, ak, title, ic, apdu, out, off=0, hdr=b""):
    """Write SC || IC || payload [|| T] for `apdu` into out[off:]; returns the end offset.
    hdr: further authenticated header fields (general-ciphering)."""
    if sc & (SC_AUTH | SC_ENC) == 0:
        raise SecurityError("no protection")
    n = len(apdu)
    out[off] = sc
    out[off + 1] = (ic >> 24) & 0xFF
    out[off + 2] = (ic >> 16) & 0xFF
    out[off + 3] = (ic >> 8) & 0xFF
    out[off + 4] = ic & 0xFF
    p = off + 5
    mv = memoryview(out)
    if sc & SC_ENC:
        aad = _prepare(sc, ak, title, ic, None, hdr)  # also sets the IV
        if not sc & SC_AUTH:
            aad = memoryview(_aad)[:0]
        tag = mv[p + n:p + n + TAG_LEN] if sc & SC_AUTH else bytearray(TAG_LEN)
        gcm.gcm_encrypt(ek, _iv, aad, apdu, mv[p:p + n], tag)
    else:
        aad = _prepare(sc, ak, title, ic, apdu, hdr)
        mv[p:p + n] = apdu
        gcm.gmac(ek, _iv, aad, mv[p + n:p + n + TAG_LEN])
    return p + n + (TAG_LEN if sc & SC_AUTH else 0)


def unprotect(ek, ak, title, content, out, hdr=b""):
    """Check and decipher SC || IC || payload [|| T] into out (hdr as for protect).
    Returns (sc, ic, length of the plain APDU); raises SecurityError."""
    if len(content) < 5:
        raise SecurityError("short")
    sc = content[0]
    ic = (content[1] << 24) | (content[2] << 16) | (content[3] << 8) | content[4]
    t = TAG_LEN if sc & SC_AUTH else 0
    n = len(content) - 5 - t
    if n < 0 or sc & (SC_AUTH | SC_ENC) == 0 or sc & SC_COMPRESSED:
        raise SecurityError("security control")
    body = content[5:5 + n]
    tag = content[5 + n:]
    mv = memoryview(out)
    if sc & SC_ENC:
        if sc & SC_AUTH:
            aad = _prepare(sc, ak, title, ic, None, hdr)
            ok = gcm.gcm_decrypt(ek, _iv, aad, body, tag, mv[:n])
        else:  # encryption only: GCM without a tag check (CTR part)
            _prepare(sc, ak, title, ic, None)
            gcm.gcm_encrypt(ek, _iv, memoryview(_aad)[:0], body, mv[:n], bytearray(TAG_LEN))
            ok = True
        if not ok:
            raise SecurityError("tag")
    else:
        aad = _prepare(sc, ak, title, ic, body, hdr)
        calc = bytearray(TAG_LEN)
        gcm.gmac(ek, _iv, aad, calc)
        if not equal(calc, tag):
            raise SecurityError("tag")
        mv[:n] = body
    return sc, ic, n


def equal(a, b):
    """Constant-time comparison of MACs, hashes and HLS responses."""
    d = len(a) ^ len(b)
    for i in range(min(len(a), len(b))):
        d |= a[i] ^ b[i]
    return d == 0


def hls5(ek, ak, title, ic, challenge, sc=SC_AUTH):
    """f(challenge) of HLS-5 (dlms-notes 5.7): SC || IC || GMAC(SC || AK || challenge)."""
    out = bytearray(5 + TAG_LEN)
    out[0] = sc
    out[1] = (ic >> 24) & 0xFF
    out[2] = (ic >> 16) & 0xFF
    out[3] = (ic >> 8) & 0xFF
    out[4] = ic & 0xFF
    gcm.gmac(ek, _iv, _prepare(sc, ak, title, ic, challenge), memoryview(out)[5:])
    return bytes(out)


def hmac_sha256(key, msg):
    """HMAC-SHA256 (RFC 2104) for the frame counter readout (KSMW 11.2)."""
    import hashlib

    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    k = bytearray(64)
    k[: len(key)] = key
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
    inner.update(msg)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))
    outer.update(inner.digest())
    return outer.digest()
