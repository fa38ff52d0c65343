# SPDX-License-Identifier: MIT
"""ACSE AARQ/AARE/RLRQ/RLRE (ISO 8650 BER subset, Green Book 9.4; dlms-notes 3)
and the xDLMS InitiateRequest/InitiateResponse carried in user-information."""
from micropython import const

from dlms.apdu.axdr import DecodeError, Reader

AARQ = const(0x60)
AARE = const(0x61)
RLRQ = const(0x62)
RLRE = const(0x63)

# application-context-name / mechanism-name OID prefix 2.16.756.5.8 (dlms-notes 3.4)
OID_PREFIX = b"\x60\x85\x74\x05\x08"
CTX_LN = const(1)
CTX_SN = const(2)
CTX_LN_CIPHER = const(3)
CTX_SN_CIPHER = const(4)

# AARE result / diagnostics (dlms-notes 3.3)
ACCEPTED = const(0)
REJECTED_PERMANENT = const(1)
REJECTED_TRANSIENT = const(2)
DIAG_NULL = const(0)
DIAG_NO_REASON = const(1)
DIAG_CONTEXT_NOT_SUPPORTED = const(2)
DIAG_MECH_NOT_RECOGNISED = const(11)
DIAG_MECH_REQUIRED = const(12)
DIAG_AUTH_FAILURE = const(13)
DIAG_AUTH_REQUIRED = const(14)

# ConfirmedServiceError initiate errors (dlms-notes 3.7)
INIT_OK = const(0)
INIT_VERSION_TOO_LOW = const(1)
INIT_INCOMPATIBLE_CONFORMANCE = const(2)
INIT_PDU_TOO_SHORT = const(3)

DLMS_VERSION = const(6)
MIN_CLIENT_PDU = const(64)  # Gurux server limit; shorter proposals get pdu-size-too-short


class Aarq:
    __slots__ = (
        "context", "mechanism", "auth_value", "calling_title", "user_info",
        "dedicated_key", "version", "conformance", "max_pdu", "initiate_error",
        "calling_ae_qualifier",
    )

    def __init__(self):
        self.context = None
        self.mechanism = 0
        self.auth_value = None
        self.calling_title = None
        self.user_info = None
        self.dedicated_key = None
        self.version = 0
        self.conformance = 0
        self.max_pdu = 0
        self.initiate_error = INIT_OK
        self.calling_ae_qualifier = False


def _ber_len(r):
    b = r.u8()
    if b < 0x80:
        return b
    n = b & 0x7F
    if n == 0 or n > 2:
        raise DecodeError("ber length")
    v = 0
    for _ in range(n):
        v = (v << 8) | r.u8()
    return v


def _oid_tail(v):
    # last arc of a DLMS UA OID 2.16.756.5.8.x.y, or None
    if len(v) == 7 and bytes(v[:5]) == OID_PREFIX:
        return v[5], v[6]
    return None


def parse_aarq(mv):
    """Parse an AARQ APDU (mv starts at tag 0x60). Raises DecodeError on bad framing."""
    r = Reader(mv)
    if r.u8() != AARQ:
        raise DecodeError("tag")
    n = _ber_len(r)
    r.need(n)
    r.end = r.pos + n
    a = Aarq()
    while r.left():
        tag = r.u8()
        ln = _ber_len(r)
        v = r.take(ln)
        if tag == 0xA1:  # application-context-name: 06 07 <oid>
            if len(v) >= 2 and v[0] == 0x06 and v[1] == len(v) - 2:
                t = _oid_tail(v[2:])
                if t and t[0] == 1:
                    a.context = t[1]
                else:
                    a.context = -1
            else:
                raise DecodeError("context")
        elif tag == 0x8B:  # mechanism-name (IMPLICIT OID)
            t = _oid_tail(v)
            a.mechanism = t[1] if t and t[0] == 2 else -1
        elif tag == 0xAC:  # calling-authentication-value: [0] charstring
            if len(v) < 2 or v[1] != len(v) - 2:
                raise DecodeError("auth value")
            a.auth_value = bytes(v[2:])
        elif tag == 0xA6:  # calling-AP-title: 04 len title
            if len(v) < 2 or v[0] != 0x04 or v[1] != len(v) - 2:
                raise DecodeError("ap title")
            a.calling_title = bytes(v[2:])
        elif tag == 0xA7:  # calling-AE-qualifier: the client's certificate, not used
            a.calling_ae_qualifier = True  # (KSMW 3.3.3) but answered with ours
        elif tag == 0xBE:  # user-information: 04 len xDLMS APDU
            if len(v) < 2 or v[0] != 0x04:
                raise DecodeError("user info")
            ur = Reader(v, 1)
            ul = _ber_len(ur)
            if ul != ur.left():
                raise DecodeError("user info length")
            a.user_info = v[ur.pos:]
        # other fields (protocol-version, called-*, AE qualifiers, acse-requirements) are ignored
    if a.context is None:
        raise DecodeError("no context")
    return a


def parse_initiate_request(a, mv):
    """Fill `a` from a plain InitiateRequest (tag 01, dlms-notes 3.5)."""
    r = Reader(mv)
    if r.u8() != 0x01:
        raise DecodeError("initiate tag")
    if r.u8():  # dedicated-key
        a.dedicated_key = bytes(r.take(r.length()))
    if r.u8():  # response-allowed
        r.u8()
    if r.u8():  # proposed-quality-of-service
        r.u8()
    a.version = r.u8()
    if bytes(r.take(4)) != b"\x5f\x1f\x04\x00":
        raise DecodeError("conformance")
    c = r.take(3)
    a.conformance = (c[0] << 16) | (c[1] << 8) | c[2]
    a.max_pdu = r.u16()
    if a.version < DLMS_VERSION:
        a.initiate_error = INIT_VERSION_TOO_LOW
    elif a.max_pdu < MIN_CLIENT_PDU and a.max_pdu != 0:
        a.initiate_error = INIT_PDU_TOO_SHORT


def _ber_hdr(w, tag, n):
    w.u8(tag)
    if n < 0x80:
        w.u8(n)
    elif n < 0x100:
        w.u8(0x81)
        w.u8(n)
    else:
        w.u8(0x82)
        w.u16(n)


def write_initiate_response(w, conformance, max_pdu):
    w.raw(b"\x08\x00\x06\x5f\x1f\x04\x00")
    w.u8((conformance >> 16) & 0xFF)
    w.u8((conformance >> 8) & 0xFF)
    w.u8(conformance & 0xFF)
    w.u16(max_pdu)
    w.raw(b"\x00\x07")  # vaa-name for LN referencing


def write_aare(w, context, result, diag, user_info=None, mechanism=None, stoc=None,
               server_title=None, provider_diag=False, certificate=None):
    """Write an AARE. user_info is a callable writing the xDLMS part, or bytes, or None;
    certificate: the server's signing certificate for responding-AE-qualifier (KSMW
    3.3.3, when the AARQ carried the client's)."""
    start = w.pos
    w.raw(b"\x61\x00")  # length patched at the end (AARE stays < 128 + fits 0x81 form)
    body = w.pos
    w.raw(b"\xa1\x09\x06\x07")
    w.raw(OID_PREFIX)
    w.u8(1)
    w.u8(context)
    w.raw(b"\xa2\x03\x02\x01")
    w.u8(result)
    w.raw(b"\xa3\x05\xa2\x03\x02\x01" if provider_diag else b"\xa3\x05\xa1\x03\x02\x01")
    w.u8(diag)
    if server_title is not None:
        _ber_hdr(w, 0xA4, len(server_title) + 2)
        w.u8(0x04)
        w.u8(len(server_title))
        w.raw(server_title)
    if certificate is not None:
        n = len(certificate)
        _ber_hdr(w, 0xA5, n + (2 if n < 0x80 else 3 if n < 0x100 else 4))
        _ber_hdr(w, 0x04, n)
        w.raw(certificate)
    if mechanism is not None:
        w.raw(b"\x88\x02\x07\x80\x89\x07")
        w.raw(OID_PREFIX)
        w.u8(2)
        w.u8(mechanism)
    if stoc is not None:
        _ber_hdr(w, 0xAA, len(stoc) + 2)
        w.u8(0x80)
        w.u8(len(stoc))
        w.raw(stoc)
    if user_info is not None:
        hdr = w.pos
        w.raw(b"\xbe\x00\x04\x00")
        ui = w.pos
        if callable(user_info):
            user_info(w)
        else:
            w.raw(user_info)
        n = w.pos - ui
        w.buf[hdr + 1] = n + 2
        w.buf[hdr + 3] = n
    _patch_len(w, start, body)


def _patch_len(w, start, body):
    n = w.pos - body
    if n < 0x80:
        w.buf[start + 1] = n
        return
    k = 1 if n < 0x100 else 2  # shift the body to make room for the 0x81 / 0x82 form
    w.mv[body + k:w.pos + k] = bytes(w.mv[body:w.pos])
    w.buf[start + 1] = 0x80 | k
    if k == 1:
        w.buf[start + 2] = n
    else:
        w.buf[start + 2] = n >> 8
        w.buf[start + 3] = n & 0xFF
    w.pos += k


def parse_release(mv):
    """RLRQ -> (reason or None, user-information memoryview or None)."""
    r = Reader(mv)
    if r.u8() != RLRQ:
        raise DecodeError("tag")
    n = _ber_len(r)
    r.need(n)
    r.end = r.pos + n
    reason = None
    ui = None
    while r.left():
        tag = r.u8()
        v = r.take(_ber_len(r))
        if tag == 0x80 and len(v) == 1:
            reason = v[0]
        elif tag == 0xBE:
            if len(v) < 2 or v[0] != 0x04 or v[1] != len(v) - 2:
                raise DecodeError("user info")
            ui = v[2:]
    return reason, ui


def write_rlre(w, user_info=None):
    """RLRE with reason normal; user-information echoed when the RLRQ had one (KSMW 3.3.3)."""
    start = w.pos
    w.raw(b"\x63\x00\x80\x01\x00")
    body = start + 2
    if user_info is not None:
        hdr = w.pos
        w.raw(b"\xbe\x00\x04\x00")
        ui = w.pos
        user_info(w)
        n = w.pos - ui
        w.buf[hdr + 1] = n + 2
        w.buf[hdr + 3] = n
    _patch_len(w, start, body)
