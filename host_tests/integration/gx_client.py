# SPDX-License-Identifier: MIT
"""A small client over gurux-dlms (PyPI `gurux-dlms` 1.0.203, GPL, used as a library only:
nothing of it is copied here) for the interop tests: the IEC 62056-47 TCP wrapper, or HDLC
on the meter's pty. Gurux builds and parses the DLMS messages; the byte transport, the
read loop and the checks on the raw APDUs are ours.

    with GxMeter("tcp", meter) as m:             # or "hdlc"; client_sap=1, password=b"..."
        m.associate()                            # AssociationRejected(result, diagnostic)
        m.get(1, "0-0:42.0.0.255", 2)            # -> plain value (bytes, int, list, ...)
        m.get_with_list([(1, "0-0:42.0.0.255", 2), ...])  # -> [value or DataAccessError]
        m.set(8, "0-0:1.0.0.255", 2, b"...", DataType.OCTET_STRING)  # -> data-access-result
        m.action(8, "0-0:1.0.0.255", 6, 60, DataType.INT16)  # -> (action-result, value|None)
        m.object_list()                          # -> [(class_id, version, "0-0:40.0.0.255")]
        m.raw(b"\\xc0\\x01...")                    # -> the response APDU bytes
        m.release()                              # -> Released(rlre, reason, disc_answer)

Ciphered association (context LN with ciphering, suite 0, glo- APDUs with the global unicast
key; HLS-6 when hls_secret is given), all options keyword-only:

    GxMeter("hdlc", meter, client_sap=6, security=0x30, hls_secret=b"...",
            system_title=bytes(8), block_cipher_key=guek, authentication_key=gak)
    m.associate()                  # AARQ/AARE + reply_to_HLS_authentication (HlsRefused)
    m.associate(authenticate=False); m.hls_authenticate()   # the two steps apart
    m.plain(apdu) / m.unprotect(apdu)   # decipher a server APDU with our own AES-GCM
    m.protect(plain_apdu)          # glo- APDU with the next client IC, for raw()
    m.server_ics, m.iv_reuse       # server invocation counters seen, IVs reused
    GxMeter(..., general_protection=True)   # general-glo-ciphering (DB) once associated
    GxMeter(..., dedicated_key=dk)          # ded- APDUs, or general-ded (DC) with the above

Services deciphered by gurux are also deciphered here (`cryptography`, not gurux): glo-/ded-
APDUs and general-glo/ded-ciphering, with the global or the dedicated key; every protected
APDU must carry the policy's SC; server ICs must increase (global and dedicated apart).

Every APDU sent and received is kept in `trace` as (">>" | "<<", bytes) and every link frame
in `frames`, so a failing assertion can show the exact bytes (`last_exchange()`).

gurux-dlms 1.0.203 quirks met while writing this (they matter for what a gurux pass proves):

- Addressing: on HDLC the server address is one number built by
  `GXDLMSClient.getServerAddress(logical, physical, size)`; with size 0 (automatic) and
  logical 1 / physical 17 it is sent in the 2-byte form `02 23`; size 4 gives `00 02 00 23`.
  The client address is always one byte. On the wrapper `serverAddress` is the plain
  server wPort (1) and `clientAddress` the client wPort (= SAP).
- The gurux client does not check the source address of HDLC replies: in
  `GXDLMS.checkHdlcAddress` the test is written with the logical `and`
  (`(serverAddress and 0x7F) != 0x7F` is always false), so any server address is accepted.
  Nor does it check the invoke-id of GET/SET/ACTION responses. Both are checked here
  (`_check_addresses`, `_check_invoke_id`), as are the wrapper ports, HCS/FCS with an
  independent CRC, the LLC header `E6 E7 00` of responses and the AARE's BER lengths.
- SNRM: gurux only sends an information field for values that differ from 128/128/1/1,
  and only those values. `disconnectRequest()` restores the hdlcSettings proposed before
  the SNRM, so the negotiated values must be read between UA and DISC (`negotiated_hdlc`).
  A UA is accepted by `checkFrame` only when the sequence counters are at their initial
  values (right after `snrmRequest()`/`disconnectRequest()`).
- AARE: `parseAareResponse` raises GXDLMSException(result, diagnostic) on a reject only
  when the diagnostic is not 0 (or the user-information does not parse); a reject with
  diagnostic null (`A3 05 A1 03 02 01 00`) is taken as accepted (checked: the client ends
  up DLMS-connected), and acse-service-provider (`A2`) diagnostics are read as if they were
  acse-service-user ones. The AARE result is therefore also read here from the raw BER. After the AARE, `negotiatedConformance` is the server's value as sent
  (not ANDed with the proposal) and `maxReceivePDUSize` becomes the server's max PDU.
- Proposed conformance (`getInitialConformance(True)`): general-protection, block
  get/set/action, multiple-references, access, get, set, selective-access, action. No
  general-block-transfer, attribute0-get, data-notification or event-notification unless
  `proposedConformance` is changed (the `conformance` argument here).
- Max PDU: the client proposes 0xFFFF unless `maxReceivePDUSize` is set (`max_pdu` here);
  a value below 64 in the AARE raises a confirmed-service-error locally. After the AARE the
  same property holds the server's max PDU, and gurux cuts SET/ACTION requests into
  blocks by it (lowering it forces block-transfer-with-set/-action). Below about 19 bytes
  it cannot build a first block at all (ValueError "position" from GXByteBuffer).
- GET with-list: `readList` takes (GXDLMSObject, attribute) pairs and splits the request
  itself into messages of at most 10 references ((maxPdu - 12) / 10, capped at 10); each
  message is a separate GET exchange. It refuses to send when multiple-references was not
  negotiated. Its parse (`handleGetResponseWithList`) puts None at the position of a
  data-access-result and keeps only the last error code in `reply.error`, so a null-data
  result and an error cannot be told apart: the per-item results are read from the raw APDU.
- SET: `write()` takes the value and the type from a GXDLMSObject (a small subclass here).
- ACTION: `method()` refuses DataType.NONE, so a method without parameter cannot be invoked
  through it; the action-result and a data-access-result in the return parameters share
  `reply.error`: both are read from the raw APDU here.
- Values: octet-strings come back as bytearray (12-byte date-times are not converted when
  no object type is known), unsigned/enum as int subclasses (GXUInt8, GXEnum, ...),
  structures/arrays as list subclasses; `plain()` turns them into plain Python values.
- Exception-response (`D8`) raises GXDLMSExceptionResponse and confirmed-service-error
  (`0E`) raises GXDLMSConfirmedServiceError from inside `getData()`; use `raw()` to look at
  such answers.
- Ciphering (`gurux_dlms.secure.GXDLMSSecureClient`): the default system title is
  "ABCDEFGH" and the default keys are the Green Book GUEK/GAK (which the test meter also
  uses), so a forgotten key setting goes unnoticed: keys are always set explicitly here.
  Its glo-get bytes match the Green Book vectors (dlms-notes 6.1) for SC 10/20/30 once the
  invoke-id byte is 00: `client.invokeID = 0` does not do that, the encoder reads
  `settings.invokeId` (another attribute); priority/serviceClass are client properties.
- gurux proposes general-protection and, once the AARE grants it, ciphers everything as
  general-glo-ciphering (`DB`) instead of glo- APDUs; the HLS pass-3 ACTION (sent before
  the association counts as DLMS-connected) stays glo-. Not proposed here by default.
- HLS-5/6: `getApplicationAssociationRequest` takes one invocation counter for f(StoC)
  and the glo-action another, so the client IC jumps by 2 (AARQ 1, pass 3 IC 3, next GET
  IC 4): the server must accept gaps. gurux does not check the server's invocation
  counters (no replay check in `GXDLMSChippering.decryptAesGcm`): done here.
- `parseApplicationAssociationResponse` raises a bare Exception (and prints) on a wrong
  f(CtoS); a refused pass 3 (action-result != 0) is read from the raw response here.
- The RLRQ stays unprotected (`62 03 80 01 00`) unless `useProtectedRelease` is set; that
  path tests `cipher.isCiphered` without calling it (always true).
- It prints "Encryption is applied." / "Authentication is applied." for every APDU:
  silenced here (`_quiet_gurux`).
- `parseObjects(..., onlyKnownObjects=True)` drops (and prints) class ids gurux does not
  know and `ignoreInactiveObjects=True` drops 0.0.127.0.0.0: both are turned off here.
- general-block-transfer: `receiverReady` for a GBT reply reads `settings.blockNumber`,
  which GXDLMSSettings never defines (AttributeError): set here from `blockIndex` before
  each acknowledgement (the numbering of its C#/Java versions). The window property is
  spelt `gbtWndowSize`: `gbt_window` sets `settings.gbtWindowSize`. Acknowledgements are
  plain GBT APDUs with last-block set, also in ciphered associations; received blocks
  whose block-number-ack is not its last ack number are dropped; streaming is followed
  only over TCP in practice (it reads without polling). Requests longer than
  `settings.maxPduSize` go in GBT blocks (only those): the first continues the block
  numbering of earlier exchanges, block-number-ack runs 0, 0, FFFF, and a ciphered request
  never gets last-block (its length check counts the ciphering overhead twice), so such
  requests are built here from raw APDUs. `last_gbt` lists the blocks of an exchange;
  `_get_reply` joins them into the APDUs they carry.
- ACCESS: `accessRequest` builds `ValueEventArgs(target, index, ...)` with the target where
  the settings belong (`_ValueObject.settings` answers that) and `parseAccessResponse`
  stores values through the target's setValue/getValues; in a ciphered association ACCESS
  needs general protection (there is no glo- ACCESS: "Invalid GLO command").
"""
import hashlib
import re
import select
import socket
import struct
import sys
import time
from collections import namedtuple
from typing import Any, List, Optional, Sequence, Tuple

import serial
from client_errors import AssociationRejected, DataAccessError, ProtocolViolation  # noqa: F401
from gurux_dlms import (GXByteBuffer, GXDLMS, GXDLMSAccessItem, GXDLMSClient, GXDLMSException,
                        GXReplyData)
from gurux_dlms.enums import AccessServiceCommandType
from gurux_dlms.enums import (Authentication, Conformance, DataType, InterfaceType,
                              RequestTypes, Security)
from gurux_dlms.GXBitString import GXBitString
from gurux_dlms.objects import GXDLMSObject
from gurux_dlms.objects.enums import SecuritySuite
from gurux_dlms.secure import GXDLMSSecureClient

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from rawlink import crc16_x25


def _quiet_gurux():
    """gurux-dlms prints "Encryption is applied." / "Authentication is applied." for every
    ciphered APDU it parses (GXDLMSChippering): hundreds of lines in a test run. Its module's
    print is replaced by one that drops exactly these two lines (site-packages untouched)."""
    mod = sys.modules["gurux_dlms.GXDLMSChippering"]
    noise = ("Encryption is applied.", "Authentication is applied.")

    def quiet(*args, **kw):
        if not (len(args) == 1 and args[0] in noise):
            print(*args, **kw)

    mod.print = quiet


_quiet_gurux()

MAX_PDU = 1224
IDLE_TIMEOUT = 5.0  # seconds without a complete frame before a request is declared lost

LLC_REQUEST = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"

Released = namedtuple("Released", "rlre reason disc_answer")
Protected = namedtuple("Protected", "tag sc ic plain")

# glo- tags of the service-specific ciphered APDUs (dlms-notes 5.2): plain tag -> glo tag
GLO_TAG = {0x01: 0x21, 0x05: 0x25, 0x06: 0x26, 0x08: 0x28, 0x0C: 0x2C, 0x0D: 0x2D,
           0x0E: 0x2E, 0x16: 0x36, 0x18: 0x38, 0xC0: 0xC8, 0xC1: 0xC9, 0xC2: 0xCA,
           0xC3: 0xCB, 0xC4: 0xCC, 0xC5: 0xCD, 0xC7: 0xCF}
PLAIN_TAG = {v: k for k, v in GLO_TAG.items()}
DED_TAGS = {t + 0x20 if t < 0xC0 else t + 0x08 for t in GLO_TAG.values()}
DED_PLAIN_TAG = {(t + 0x20 if t < 0xC0 else t + 0x08): k for t, k in PLAIN_TAG.items()}
GENERAL_GLO, GENERAL_DED = 0xDB, 0xDC


# The meter keeps one receive invocation counter per client security context (KSMW 3.5.4:
# per client SAP and global unicast key, whatever the client system title), across
# associations and reboots. The next client IC per (client SAP, GUEK) and the server ICs seen
# per (server title, key) live on the meter fixture object, shared with dc_client.py.
def next_client_ic_table(meter) -> dict:
    return meter.__dict__.setdefault("next_client_ic", {})


def server_ics_seen(meter) -> dict:
    return meter.__dict__.setdefault("server_ics_seen", {})



# ---------------------------------------------------------------------------- helpers
def obis_to_gurux(obis: str) -> str:
    """"0-0:42.0.0.255" (or "0.0.42.0.0.255") -> "0.0.42.0.0.255"."""
    parts = [int(p) for p in re.split(r"[-:.]", obis.strip())]
    if len(parts) != 6 or not all(0 <= p <= 255 for p in parts):
        raise ValueError("bad OBIS code %r" % obis)
    return ".".join(str(p) for p in parts)


def obis_to_text(ln) -> str:
    """6 bytes or "a.b.c.d.e.f" -> "a-b:c.d.e.f"."""
    if isinstance(ln, (bytes, bytearray)):
        parts = list(ln)
    else:
        parts = [int(p) for p in re.split(r"[-:.]", str(ln))]
    return "%d-%d:%d.%d.%d.%d" % tuple(parts)


def plain(value: Any) -> Any:
    """gurux value -> plain Python: int, bool, bytes, str, float, list, None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, GXByteBuffer):
        return bytes(value.array())
    if isinstance(value, GXBitString):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def decode_data(data: bytes) -> Any:
    """Decode one A-XDR Data with gurux -> plain value."""
    return plain(GXDLMSClient.getValue(GXByteBuffer(bytes(data)), False))


def parse_hdlc(frame: bytes):
    """-> (control, information field, segmented) of one HDLC frame, HCS/FCS checked with an
    independent CRC. Addresses of 1, 2 or 4 bytes on both sides."""
    f = bytes(frame)
    if len(f) < 9 or f[0] != 0x7E or f[-1] != 0x7E or (f[1] & 0xF0) != 0xA0:
        raise ProtocolViolation("not an HDLC frame: %s" % f.hex(" "))
    length = ((f[1] & 7) << 8) | f[2]
    if length != len(f) - 2:
        raise ProtocolViolation("HDLC length %d in a %d-byte frame: %s" % (
            length, len(f), f.hex(" ")))
    fcs = crc16_x25(f[1:-3])
    if fcs != f[-3] | (f[-2] << 8):
        raise ProtocolViolation("bad FCS: %s" % f.hex(" "))
    i = 3
    for _ in range(2):  # destination, source
        n = 0
        while not f[i] & 1:
            i += 1
            n += 1
            if n > 4:
                raise ProtocolViolation("bad HDLC address: %s" % f.hex(" "))
        i += 1
    control = f[i]
    info = b""
    if length > i + 2:  # there is an HCS and an information field
        hcs = crc16_x25(f[1:i + 1])
        if hcs != f[i + 1] | (f[i + 2] << 8):
            raise ProtocolViolation("bad HCS: %s" % f.hex(" "))
        info = f[i + 3:-3]
    return control, info, bool(f[1] & 8)


def ber_aare(aare: bytes):
    """Read result, diagnostic source/value, negotiated conformance (3 bytes) and server max
    PDU from an AARE with an independent BER walk -> dict."""
    a = bytes(aare)
    if not a or a[0] != 0x61:
        raise ProtocolViolation("not an AARE: %s" % a.hex(" "))
    out = {"result": None, "source": None, "diagnostic": None, "conformance": None,
           "max_pdu": None, "user_information": None, "context": None,
           "responding_ap_title": None, "responder_requirements": None, "mechanism": None,
           "stoc": None}

    def length(pos):
        n = a[pos]
        if n < 0x80:
            return n, pos + 1
        k = n & 0x7F
        return int.from_bytes(a[pos + 1:pos + 1 + k], "big"), pos + 1 + k

    total, pos = length(1)
    if pos + total != len(a):
        raise ProtocolViolation("AARE length %d for %d bytes: %s" % (total, len(a) - pos,
                                                                     a.hex(" ")))
    while pos < len(a):
        tag = a[pos]
        n, body = length(pos + 1)
        value = a[body:body + n]
        if body + n > len(a):
            raise ProtocolViolation("AARE element %02X overruns: %s" % (tag, a.hex(" ")))
        if tag == 0xA1:  # application-context-name: 06 07 60 85 74 05 08 01 0x
            if value[:2] != b"\x06\x07" or value[2:8] != b"\x60\x85\x74\x05\x08\x01":
                raise ProtocolViolation("bad AARE context name: %s" % a.hex(" "))
            out["context"] = value[8]
        elif tag == 0xA4:  # responding-AP-title: 04 08 + system title
            if value[:1] != b"\x04" or value[1] != len(value) - 2:
                raise ProtocolViolation("bad responding-AP-title: %s" % a.hex(" "))
            out["responding_ap_title"] = value[2:]
        elif tag == 0x88:  # responder-acse-requirements: 07 80
            out["responder_requirements"] = value
        elif tag == 0x89:  # mechanism-name (implicit OID): 60 85 74 05 08 02 0m
            if len(value) != 7 or value[:6] != b"\x60\x85\x74\x05\x08\x02":
                raise ProtocolViolation("bad AARE mechanism-name: %s" % a.hex(" "))
            out["mechanism"] = value[6]
        elif tag == 0xAA:  # responding-authentication-value: 80 len StoC
            if value[:1] != b"\x80" or value[1] != len(value) - 2:
                raise ProtocolViolation("bad responding-authentication-value: %s" % a.hex(" "))
            out["stoc"] = value[2:]
        elif tag == 0xA2:  # result: 02 01 rr
            if value[:2] != b"\x02\x01" or len(value) != 3:
                raise ProtocolViolation("bad AARE result: %s" % a.hex(" "))
            out["result"] = value[2]
        elif tag == 0xA3:  # result-source-diagnostic: A1|A2 03 02 01 dd
            if len(value) != 5 or value[0] not in (0xA1, 0xA2) or value[1:4] != b"\x03\x02\x01":
                raise ProtocolViolation("bad AARE diagnostic: %s" % a.hex(" "))
            out["source"] = "user" if value[0] == 0xA1 else "provider"
            out["diagnostic"] = value[4]
        elif tag == 0xBE:  # user-information: 04 len xDLMS APDU
            if value[:1] != b"\x04" or value[1] != len(value) - 2:
                raise ProtocolViolation("bad AARE user-information: %s" % a.hex(" "))
            ui = value[2:]
            out["user_information"] = ui
            if ui[:1] == b"\x08":  # InitiateResponse (a glo-initiateResponse 28 is read
                out.update(parse_initiate_response(ui))  # by GxMeter, which has the keys)
        pos = body + n
    return out


def axdr_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    return bytes((0x82,)) + n.to_bytes(2, "big")


def _gcm(key: bytes, iv: bytes, aad: bytes, plain: bytes) -> Tuple[bytes, bytes]:
    enc = Cipher(algorithms.AES(bytes(key)), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    out = enc.update(plain) + enc.finalize()
    return out, enc.tag[:12]


def gcm_protect(tag: int, sc: int, ic: int, title: bytes, ek: bytes, ak: bytes,
                plain: bytes) -> bytes:
    """Service-specific ciphering (dlms-notes 5.2/5.4), written with `cryptography` as an
    oracle independent of gurux: tag | len | SC | IC | payload [| T]."""
    iv = bytes(title) + ic.to_bytes(4, "big")
    scb = bytes((sc,))
    if sc & 0x30 == 0x30:
        payload, t = _gcm(ek, iv, scb + bytes(ak), plain)
        body = payload + t
    elif sc & 0x30 == 0x10:
        _, t = _gcm(ek, iv, scb + bytes(ak) + plain, b"")
        body = bytes(plain) + t
    elif sc & 0x30 == 0x20:
        body = Cipher(algorithms.AES(bytes(ek)), modes.GCM(iv)).encryptor().update(plain)
    else:
        raise ValueError("SC %02x" % sc)
    content = scb + ic.to_bytes(4, "big") + body
    return bytes((tag,)) + axdr_length(len(content)) + content


def gcm_unprotect(apdu: bytes, title: bytes, ek: bytes, ak: bytes) -> Protected:
    """Inverse of gcm_protect; raises ProtocolViolation when the tag does not verify."""
    a = bytes(apdu)
    n, i = _axdr_length(a, 1)
    if i + n != len(a) or n < 5:
        raise ProtocolViolation("ciphered APDU length %d for %d bytes: %s" % (
            n, len(a) - i, a.hex(" ")))
    sc = a[i]
    ic = int.from_bytes(a[i + 1:i + 5], "big")
    body = a[i + 5:]
    iv = bytes(title) + a[i + 1:i + 5]
    scb = bytes((sc,))
    try:
        if sc & 0x30 == 0x30:
            dec = Cipher(algorithms.AES(bytes(ek)),
                         modes.GCM(iv, body[-12:], min_tag_length=12)).decryptor()
            dec.authenticate_additional_data(scb + bytes(ak))
            plain = dec.update(body[:-12]) + dec.finalize()
        elif sc & 0x30 == 0x10:
            plain = body[:-12]
            _, t = _gcm(ek, iv, scb + bytes(ak) + plain, b"")
            if t != body[-12:]:
                raise InvalidTag()
        elif sc & 0x30 == 0x20:
            # GCM without tag = CTR from counter block 2
            plain = Cipher(algorithms.AES(bytes(ek)),
                           modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor().update(body)
        else:
            raise ProtocolViolation("SC %02x without protection: %s" % (sc, a.hex(" ")))
    except InvalidTag:
        raise ProtocolViolation("GCM tag does not verify (title %s, IC %d): %s" % (
            bytes(title).hex(), ic, a.hex(" "))) from None
    return Protected(a[0], sc, ic, plain)


def parse_initiate_response(ui: bytes) -> dict:
    """InitiateResponse (08 ...) -> {"conformance": 3 bytes, "max_pdu": int}."""
    if ui[:1] != b"\x08":
        raise ProtocolViolation("not an InitiateResponse: %s" % ui.hex(" "))
    i = 1
    i += 2 if ui[i] == 1 else 1  # negotiated-quality-of-service
    i += 1  # dlms version
    if ui[i:i + 4] != b"\x5f\x1f\x04\x00":
        raise ProtocolViolation("bad conformance block: %s" % ui.hex(" "))
    return {"conformance": ui[i + 4:i + 7], "max_pdu": int.from_bytes(ui[i + 7:i + 9], "big")}


def hls6(secret: bytes, title_a: bytes, title_b: bytes, chal_a: bytes, chal_b: bytes) -> bytes:
    """SHA-256(secret || title_a || title_b || chal_a || chal_b) (dlms-notes 5.7, m = 6):
    client f(StoC) = hls6(secret, ST_C, ST_S, StoC, CtoS), server f(CtoS) =
    hls6(secret, ST_S, ST_C, CtoS, StoC)."""
    return hashlib.sha256(bytes(secret) + bytes(title_a) + bytes(title_b) + bytes(chal_a)
                          + bytes(chal_b)).digest()


class HlsRefused(Exception):
    """reply_to_HLS_authentication answered with an action-result other than success (or with
    something that is not an action-response)."""

    def __init__(self, result, response=b""):
        self.result = result
        self.response = bytes(response)
        super().__init__("reply_to_HLS_authentication refused: action-result %r (%s)" % (
            result, self.response.hex(" ")))


class _ValueObject(GXDLMSObject):
    """A COSEM object as gurux's write() needs it: one attribute value with its type."""

    # gurux 1.0.203 accessRequest builds ValueEventArgs(target, index, ...) with the target
    # where the settings belong, and reads target.settings: never used further here
    settings = None

    def __init__(self, class_id, ln, index, value, dlms_type):
        super().__init__(class_id, ln)
        self._index = index
        self._value = value
        self._type = DataType(int(dlms_type))

    def getValue(self, settings, e):
        return self._value

    def getDataType(self, index):
        return self._type if index == self._index else DataType.NONE

    def getUIDataType(self, index):
        return DataType.NONE

    def setValue(self, settings, e):  # gurux's parseAccessResponse stores GET values here
        self._value = e.value

    def getValues(self):
        return [None] * (self._index - 1) + [self._value]


# ---------------------------------------------------------------------------- the client
class GxMeter:
    """One gurux client connection (TCP socket or HDLC link) to the meter under test."""

    def __init__(self, transport: str, meter, client_sap: int = 16,
                 password: Optional[bytes] = None, max_info: Optional[int] = None,
                 window: Optional[int] = None, max_pdu: Optional[int] = MAX_PDU,
                 server_address_size: int = 0, conformance=None,
                 timeout: float = IDLE_TIMEOUT, *, security: Optional[int] = None,
                 hls_secret: Optional[bytes] = None, authentication=None,
                 system_title: Optional[bytes] = None,
                 block_cipher_key: Optional[bytes] = None,
                 authentication_key: Optional[bytes] = None,
                 invocation_counter: Optional[int] = None,
                 general_protection: bool = False,
                 dedicated_key: Optional[bytes] = None, security_suite: int = 0,
                 gbt_window: Optional[int] = None):
        """Ciphered association (all keyword-only): `security` = SC policy 0x10
        (authenticated) or 0x30 (authenticated and encrypted), context "LN with ciphering";
        `security_suite` (default 0) is the SC's suite id (1 for the suite-1 clients: the
        same AES-GCM-128), every protected APDU must carry SC = security | suite (`sc`);
        `hls_secret` selects HLS mechanism 6 (`authentication` overrides the mechanism);
        `system_title` (8 bytes), `block_cipher_key` (GUEK) and `authentication_key` (GAK)
        are the client's; `invocation_counter` is the first IC (default: continue after the
        last one used in this test session for the same meter, client SAP and GUEK, by this
        client or dc_client, starting at 1: the meter counts per client, not per title).
        gurux proposes general-protection by default and then switches to
        general-glo-ciphering (DB) once it is negotiated; with general_protection=False
        (default) the bit is not proposed, so service-specific glo- APDUs are used.
        `dedicated_key` (16 bytes) goes into the InitiateRequest; once associated gurux
        ciphers with it: ded- APDUs, or general-ded-ciphering (DC) with general protection;
        gurux numbers them with the same invocation counter as the global-key APDUs."""
        if transport not in ("tcp", "hdlc"):
            raise ValueError(transport)
        self.kind = transport
        self.meter = meter
        self.client_sap = client_sap
        self.timeout = timeout
        self.security = None if security is None else int(security)
        self.ciphered = self.security is not None
        self.suite = int(security_suite)
        self.sc = None if security is None else self.security | self.suite  # SC expected
        if authentication is not None:
            auth = Authentication(int(authentication))
        elif hls_secret is not None:
            auth = Authentication.HIGH_SHA256
        else:
            auth = Authentication.LOW if password is not None else Authentication.NONE
        self.hls_secret = None if hls_secret is None else bytes(hls_secret)
        if hls_secret is not None:
            password = hls_secret
        cls = GXDLMSSecureClient if self.ciphered or self.hls_secret is not None else \
            GXDLMSClient
        if transport == "tcp":
            self.client = cls(True, client_sap, meter.server_logical, auth, password,
                              InterfaceType.WRAPPER)
        else:
            address = GXDLMSClient.getServerAddress(meter.server_logical, meter.server_physical,
                                                    server_address_size)
            self.client = cls(True, client_sap, address, auth, password, InterfaceType.HDLC)
            self.client.serverAddressSize = server_address_size
            hdlc = self.client.hdlcSettings
            if max_info is not None:
                hdlc.maxInfoTX = hdlc.maxInfoRX = max_info
            if window is not None:
                hdlc.windowSizeTX = hdlc.windowSizeRX = window
        if max_pdu is not None:
            self.client.maxReceivePDUSize = max_pdu
        if conformance is not None:
            self.client.proposedConformance = conformance
        if gbt_window is not None:  # the property is spelt gbtWndowSize in gurux 1.0.203
            self.client.settings.gbtWindowSize = gbt_window
        self.system_title = self.ek = self.ak = self.dk = None
        self._ic_key = None
        if isinstance(self.client, GXDLMSSecureClient):
            ciph = self.client.ciphering
            if system_title is not None:
                if len(system_title) != 8:
                    raise ValueError("system title must be 8 bytes")
                ciph.systemTitle = bytearray(system_title)
            if block_cipher_key is not None:
                ciph.blockCipherKey = bytearray(block_cipher_key)
            if authentication_key is not None:
                ciph.authenticationKey = bytearray(authentication_key)
            ciph.security = Security(self.security or 0)
            ciph.securitySuite = SecuritySuite(self.suite)
            self.system_title = bytes(ciph.systemTitle)
            self.ek = bytes(ciph.blockCipherKey)
            self.ak = bytes(ciph.authenticationKey)
            if dedicated_key is not None:
                if len(dedicated_key) != 16:
                    raise ValueError("dedicated key must be 16 bytes")
                ciph.dedicatedKey = bytearray(dedicated_key)
                self.dk = bytes(dedicated_key)
            self._ic_key = (client_sap, self.ek)
            if invocation_counter is None:
                invocation_counter = next_client_ic_table(meter).get(self._ic_key, 1)
            ciph.invocationCounter = invocation_counter
            if not general_protection:
                self.client.proposedConformance = Conformance(
                    int(self.client.proposedConformance) & ~int(Conformance.GENERAL_PROTECTION))
        self.server_system_title = None  # responding-AP-title of the AARE
        self.server_ics: List[int] = []  # ICs of the protected APDUs received, in order
        # (global key; those under the dedicated key, counted apart by the meter, go to
        # server_ded_ics)
        self.server_ded_ics: List[int] = []
        # (IC, APDU) of server APDUs whose IV (server title || IC) this meter already used
        # under the same key in this process: GCM nonce reuse
        self.iv_reuse: List[Tuple[int, bytes]] = []
        self.hls_pending = False  # AARE accepted with diagnostic 14, pass 3/4 not done
        self.aarq = None  # raw AARQ as sent
        self.sock = None
        self.port = None
        self._rx = bytearray()
        self.link_up = False  # HDLC: SNRM/UA done; TCP: connected
        self.associated = False
        self.ua = None  # HDLC: information field of the UA
        self.negotiated_hdlc = None  # dict read from gurux's hdlcSettings after the UA
        self.aare = None  # dict from ber_aare()
        self.trace: List[Tuple[str, bytes]] = []  # APDUs
        self.frames: List[Tuple[str, bytes]] = []  # link frames as sent/received
        self.last_get_blocks: List[int] = []  # block numbers of the last GET (C4 02)
        self.with_list_requests: List[bytes] = []  # request APDUs of the last get_with_list
        self.object_list_raw = b""  # encoded object_list of the last object_list()
        self.disc_info = b""  # information field of the answer to the last DISC
        self.gbt_acks = 0  # GBT acknowledgements sent (gurux's receiverReady)
        self.last_gbt: List[Tuple[str, int, int, int, int]] = []  # GBT blocks, last exchange
        self.last_access = b""  # access-response of the last access()
        self._tx_apdu = bytearray()
        self._rx_apdu = bytearray()

    # ------------------------------------------------------------------ diagnostics
    def last_exchange(self, n: int = 2) -> str:
        return " | ".join("%s %s" % (d, b.hex(" ")) for d, b in self.trace[-n:])

    # ------------------------------------------------------------------ byte transport
    def open(self):
        if self.kind == "tcp":
            self.sock = socket.create_connection((self.meter.host, self.meter.tcp_port),
                                                 timeout=self.timeout)
            self.link_up = True
        else:
            self.port = serial.Serial(self.meter.pty_path, 9600, bytesize=8, parity="N",
                                      stopbits=1, timeout=0.05)
            self.port.reset_input_buffer()
        return self

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.close()
        except Exception:
            if exc_type is None:  # do not hide the failure that ended the block
                raise
        return False

    def _write(self, frame: bytes):
        frame = bytes(frame)
        self.frames.append((">>", frame))
        self._note_apdu(">>", frame)
        if self.kind == "tcp":
            self.sock.sendall(frame)
        else:
            self.port.write(frame)
            self.port.flush()

    def _fill(self, deadline: float):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer from the meter within %.1f s; last frames: %s" % (
                self.timeout, " | ".join("%s %s" % (d, f.hex(" ")) for d, f in self.frames[-3:])))
        if self.kind == "tcp":
            r, _, _ = select.select([self.sock], [], [], min(left, 0.2))
            if r:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise EOFError("the meter closed the TCP connection")
                self._rx += chunk
        else:
            chunk = self.port.read(max(1, self.port.in_waiting))
            self._rx += chunk

    def _read_frame(self) -> bytes:
        """One complete wrapper frame or HDLC frame (by its length field)."""
        deadline = time.monotonic() + self.timeout
        while True:
            frame = self._take_frame()
            if frame is not None:
                self.frames.append(("<<", frame))
                self._check_addresses(frame)
                self._note_apdu("<<", frame)
                return frame
            self._fill(deadline)

    def _take_frame(self) -> Optional[bytes]:
        b = self._rx
        if self.kind == "tcp":
            if len(b) < 8:
                return None
            version, _src, _dst, n = struct.unpack(">HHHH", b[:8])
            if version != 1:
                raise ProtocolViolation("wrapper version %d: %s" % (version, b[:16].hex(" ")))
            if len(b) < 8 + n:
                return None
            frame = bytes(b[:8 + n])
            del b[:8 + n]
            return frame
        while True:
            while b and b[0] != 0x7E:
                del b[0]
            while len(b) > 1 and b[1] == 0x7E:  # shared or repeated flags
                del b[0]
            if len(b) < 3:
                return None
            if (b[1] & 0xF0) != 0xA0:
                del b[0]
                continue
            n = (((b[1] & 7) << 8) | b[2]) + 2
            if len(b) < n:
                return None
            if b[n - 1] != 0x7E:
                del b[0]
                continue
            frame = bytes(b[:n])
            del b[:n - 1]  # the closing flag may open the next frame
            return frame

    def _check_addresses(self, frame: bytes):
        """The answer comes from the server we addressed (in the same address form) and goes
        to our client address: gurux does not check the server side of this."""
        if self.kind == "tcp":
            _v, src, dst, _n = struct.unpack(">HHHH", frame[:8])
            if (src, dst) != (self.meter.server_logical, self.client_sap):
                raise ProtocolViolation("wrapper ports %d -> %d in %s" % (
                    src, dst, frame[:16].hex(" ")))
            return
        settings = self.client.settings
        server = bytes(GXDLMS.getAddressBytes(settings.serverAddress,
                                              settings.serverAddressSize))
        client = bytes(((self.client_sap << 1) | 1,))
        expected = client + server
        if frame[3:3 + len(expected)] != expected:
            raise ProtocolViolation("HDLC addresses %s, expected %s: %s" % (
                frame[3:3 + len(expected)].hex(" "), expected.hex(" "), frame.hex(" ")))

    def _note_apdu(self, direction: str, frame: bytes):
        """Reassemble the APDU carried by a frame (either direction) into `trace`."""
        if self.kind == "tcp":
            self.trace.append((direction, frame[8:]))
            if direction == "<<":
                self._check_protection(frame[8:])
            return
        control, info, seg = parse_hdlc(frame)
        if control & 1:  # S- and U-frames carry no APDU (UI frames are not used here)
            return
        acc = self._tx_apdu if direction == ">>" else self._rx_apdu
        if not acc:
            llc = LLC_REQUEST if direction == ">>" else LLC_RESPONSE
            if info[:3] != llc:
                raise ProtocolViolation("I-frame without LLC %s: %s" % (llc.hex(" "),
                                                                      frame.hex(" ")))
            info = info[3:]
        acc += info
        if not seg:
            self.trace.append((direction, bytes(acc)))
            acc.clear()
            if direction == "<<":
                self._check_protection(self.trace[-1][1])

    def _check_protection(self, apdu: bytes):
        """A protected APDU from the server: the IC is above every one seen in this
        connection under the same key (global or dedicated; raises otherwise), a general-glo/
        ded-ciphering system title is the server's; an IV already used by this meter under the
        same key in this test session (GCM nonce reuse) is recorded in `iv_reuse`."""
        if not self.ciphered or not apdu:
            return
        parts = _split_protected(apdu)
        if parts is None:
            return
        dedicated, title, content = parts
        if len(content) < 5:
            raise ProtocolViolation("short ciphered APDU: %s" % apdu.hex(" "))
        if title is not None and self.server_system_title is not None and \
                title != self.server_system_title:
            raise ProtocolViolation("general ciphering from system title %s: %s" % (
                title.hex(), apdu.hex(" ")))
        ic = int.from_bytes(content[1:5], "big")
        ics = self.server_ded_ics if dedicated else self.server_ics
        if ic == 0 or (ics and ic <= ics[-1]):
            raise ProtocolViolation("server IC %d after %r: %s" % (ic, ics[-3:], apdu.hex(" ")))
        ics.append(ic)
        title = self.server_system_title
        if title is not None:
            key = self.dk if dedicated else self.ek
            seen = server_ics_seen(self.meter).setdefault((title, key), set())
            if ic in seen:  # recorded, not raised: test_security_gurux asserts on it
                self.iv_reuse.append((ic, apdu))
            seen.add(ic)

    # ------------------------------------------------------------------ gurux read loop
    def _exchange(self, frames, reply: Optional[GXReplyData] = None) -> GXReplyData:
        """Send the frames of one request (gurux's list); answer the server's RR/blocks the
        way gurux asks for them (receiverReady) until the reply is complete."""
        if reply is None:
            reply = GXReplyData()
        if isinstance(frames, (bytes, bytearray)):
            frames = [frames]
        frames = list(frames)
        for k, frame in enumerate(frames):
            if k:
                reply.clear()  # the reply to a non-final segment is the server's RR
            self._write(frame)
            self._read_reply(reply)
        while reply.isMoreData():
            if reply.isStreaming():
                self._read_reply(reply)
                continue
            if reply.moreData & RequestTypes.GBT:
                # gurux 1.0.203 reads the block number of its GBT acknowledgement from
                # settings.blockNumber, which GXDLMSSettings never defines (AttributeError):
                # number the acks as its C#/Java versions do, from blockIndex
                self.client.settings.blockNumber = self.client.settings.blockIndex
                self.gbt_acks += 1
            self._write(self.client.receiverReady(reply))
            self._read_reply(reply)
        return reply

    def _read_reply(self, reply: GXReplyData):
        while True:
            frame = self._read_frame()
            if self.client.getData(GXByteBuffer(frame), reply, None):
                return

    def _check_invoke_id(self, request: bytes, response: bytes):
        if request[:1] in (b"\xc0", b"\xc1", b"\xc3") and response[:1] in (
                b"\xc4", b"\xc5", b"\xc7"):
            if (request[2] & 0x8F) != (response[2] & 0x8F):
                raise ProtocolViolation("invoke-id-and-priority %02x answered with %02x" % (
                    request[2], response[2]))

    def _apdus_since(self, mark: int, direction: str) -> List[bytes]:
        return [a for d, a in self.trace[mark:] if d == direction]

    # ------------------------------------------------------------------ link and association
    def connect(self):
        """HDLC: SNRM -> UA (gurux proposes max_info/window if they differ from 128/1).
        TCP: nothing beyond the socket."""
        if self.sock is None and self.port is None:
            self.open()
        if self.kind == "hdlc":
            snrm = self.client.snrmRequest()
            self._write(snrm)
            frame = self._read_frame()
            control, info, _ = parse_hdlc(frame)
            if control & 0xEF != 0x63:
                raise ProtocolViolation("SNRM answered with control %02x: %s" % (
                    control, frame.hex(" ")))
            reply = GXReplyData()
            if not self.client.getData(GXByteBuffer(frame), reply, None):
                raise ProtocolViolation("gurux did not take the UA: %s" % frame.hex(" "))
            self.client.parseUAResponse(reply.data)
            self.ua = info
            h = self.client.hdlcSettings
            self.negotiated_hdlc = {"max_info_tx": h.maxInfoTX, "max_info_rx": h.maxInfoRX,
                                    "window_tx": h.windowSizeTX, "window_rx": h.windowSizeRX}
            self.link_up = True
        return self

    def associate(self, authenticate: bool = True):
        """(SNRM/UA on HDLC, then) AARQ -> AARE. Returns the parsed AARE (dict); raises
        AssociationRejected(result, diagnostic) when the AARE rejects. Ciphered context: the
        glo-initiateResponse is deciphered here (independently of gurux) into
        aare["conformance"]/["max_pdu"]/["initiate_response"]. HLS: with `authenticate`
        the reply_to_HLS_authentication pass follows (hls_authenticate(), HlsRefused)."""
        if not self.link_up:
            self.connect()
        mark = len(self.trace)
        reply = GXReplyData()
        self._exchange(self.client.aarqRequest(), reply)
        sent = self._apdus_since(mark, ">>")
        self.aarq = sent[0] if sent else None
        responses = self._apdus_since(mark, "<<")
        if not responses:
            raise ProtocolViolation("no APDU answered the AARQ")
        raw = responses[-1]
        if raw[:1] != b"\x61":
            raise ProtocolViolation("AARQ answered with %s" % raw.hex(" "))
        mine = ber_aare(raw)
        self.aare = mine
        if mine["responding_ap_title"] is not None:
            self.server_system_title = bytes(mine["responding_ap_title"])
        ui = mine["user_information"]
        if self.ciphered and mine["result"] == 0:
            if ui is None or ui[:1] != b"\x28":
                raise ProtocolViolation("ciphered AARQ accepted without glo-initiateResponse: "
                                        "%s" % raw.hex(" "))
            if self.server_system_title is None:
                raise ProtocolViolation("ciphered AARE without responding-AP-title: %s"
                                        % raw.hex(" "))
            prot = gcm_unprotect(ui, self.server_system_title, self.ek, self.ak)
            if prot.sc != self.sc:
                raise ProtocolViolation("glo-initiateResponse with SC %02x, policy %02x: %s" % (
                    prot.sc, self.sc, raw.hex(" ")))
            self._check_protection(ui)
            mine["initiate_response"] = prot.plain
            mine.update(parse_initiate_response(prot.plain))
        try:
            self.client.parseAareResponse(reply.data)
        except GXDLMSException as e:
            if mine["result"] in (None, 0):
                raise ProtocolViolation("gurux rejects an AARE with result %r: %s (%s)" % (
                    mine["result"], e, raw.hex(" ")))
            if int(e.result) != mine["result"] or int(e.diagnostic) != mine["diagnostic"]:
                raise ProtocolViolation("gurux reads %s/%s, the AARE says %s/%s: %s" % (
                    int(e.result), int(e.diagnostic), mine["result"], mine["diagnostic"],
                    raw.hex(" ")))
            raise AssociationRejected(mine["result"], mine["diagnostic"], mine["source"], raw)
        except Exception as e:  # e.g. gurux failing on an AARE without user-information
            if mine["result"] in (None, 0):
                raise
            raise AssociationRejected(mine["result"], mine["diagnostic"], mine["source"],
                                      raw) from e
        if mine["result"] != 0:  # gurux lets a reject with diagnostic null pass
            raise AssociationRejected(mine["result"], mine["diagnostic"], mine["source"], raw)
        self.associated = True
        self.hls_pending = mine["diagnostic"] == 14
        if self.hls_pending and authenticate:
            self.hls_authenticate()
        return mine

    def hls_authenticate(self) -> bytes:
        """HLS pass 3/4: gurux's getApplicationAssociationRequest (ACTION 0-0:40.0.0.255
        method 1, f(StoC)) -> the server's f(CtoS), checked here with our own hash for HLS-6
        and by gurux. Raises HlsRefused(action-result) when the server refuses."""
        mark = len(self.trace)
        reply = GXReplyData()
        error = None
        try:
            self._exchange(self.client.getApplicationAssociationRequest(), reply)
        except Exception as e:  # noqa: BLE001 - judged from the raw answer below
            error = e
        requests = self._apdus_since(mark, ">>")
        responses = self._apdus_since(mark, "<<")
        if not responses:
            raise ProtocolViolation("no answer to reply_to_HLS_authentication") from error
        request, response = self.plain(requests[0], True), self.plain(responses[-1])
        self.hls_request, self.hls_response = request, response
        if response[:2] != b"\xc7\x01":
            raise HlsRefused(None, response)
        if response[3] != 0:
            raise HlsRefused(response[3], response)
        if error is not None:
            raise error
        stoc, ctos = self.aare["stoc"], bytes(self.client.settings.ctoSChallenge)
        if int(self.client.settings.authentication) == int(Authentication.HIGH_SHA256):
            st_c, st_s = self.system_title, self.server_system_title
            # C3 01 id 000F 0000280000FF 01 01 09 20 <f(StoC)>
            want = hls6(self.hls_secret, st_c, st_s, stoc, ctos)
            if request[-34:] != b"\x09\x20" + want:
                raise ProtocolViolation("gurux sent f(StoC) %s, expected %s" % (
                    request.hex(" "), want.hex()))
            back = hls6(self.hls_secret, st_s, st_c, ctos, stoc)
            if response[4:] != b"\x01\x00\x09\x20" + back:
                raise ProtocolViolation("server f(CtoS) %s, expected %s" % (
                    response.hex(" "), back.hex()))
        self.client.parseApplicationAssociationResponse(reply.data)
        self.hls_pending = False
        return bytes(response[8:])

    @property
    def negotiated_conformance(self) -> int:
        """The 24-bit conformance block of the AARE (BER bit 0 = MSB), from the raw bytes."""
        return int.from_bytes(self.aare["conformance"], "big")

    @property
    def gurux_conformance(self):
        return self.client.negotiatedConformance

    @property
    def server_max_pdu(self) -> Optional[int]:
        return self.aare["max_pdu"] if self.aare else None

    def release(self) -> Released:
        """RLRQ -> RLRE, then on HDLC DISC -> UA/DM. Returns Released(rlre APDU bytes,
        RLRE reason or None, control byte answering the DISC or None)."""
        rlre = reason = None
        if self.associated:
            mark = len(self.trace)
            frames = self.client.releaseRequest()
            self.associated = False
            if frames:
                self._exchange(frames)
            got = self._apdus_since(mark, "<<")
            if not got or got[-1][:1] != b"\x63":
                raise ProtocolViolation("RLRQ answered with %r" % (got,))
            rlre = got[-1]
            # reason [0] IMPLICIT INTEGER: 80 01 rr as the first element
            if len(rlre) >= 5 and rlre[2:4] == b"\x80\x01":
                reason = rlre[4]
        disc = None
        if self.kind == "hdlc" and self.link_up:
            disc = self.disconnect()
        return Released(rlre, reason, disc)

    def disconnect(self) -> Optional[int]:
        """HDLC DISC -> the control byte of the answer (0x73 UA, 0x1F DM)."""
        if self.kind != "hdlc":
            return None
        frame = self.client.disconnectRequest(True)
        self.link_up = False
        self.associated = False
        self._write(frame)
        answer = self._read_frame()
        control, info, _ = parse_hdlc(answer)
        self.disc_info = info
        return control

    def close(self):
        if self._ic_key is not None:
            table = next_client_ic_table(self.meter)
            table[self._ic_key] = max(table.get(self._ic_key, 1),
                                      self.client.ciphering.invocationCounter)
        try:
            if self.kind == "hdlc" and self.link_up and self.port is not None:
                self.disconnect()
        finally:
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            if self.port is not None:
                self.port.close()
                self.port = None
            self.link_up = False
            self.associated = False

    # ------------------------------------------------------------------ services
    def _get_reply(self, frames) -> Tuple[GXReplyData, List[bytes], bytes]:
        """Exchange -> (gurux reply, response APDUs, first request APDU), ciphered APDUs
        deciphered by our own code (the raw ones stay in `trace`)."""
        mark = len(self.trace)
        reply = self._exchange(frames)
        self.last_gbt = []
        requests = self._join_gbt([self.plain(a, True) for a in self._apdus_since(mark, ">>")],
                                  ">>")
        responses = self._join_gbt([self.plain(a) for a in self._apdus_since(mark, "<<")], "<<")
        if not responses:
            raise ProtocolViolation("no response APDU")
        self._check_invoke_id(requests[0], responses[-1])
        self.last_get_blocks = [int.from_bytes(r[4:8], "big") for r in responses
                                if r[:2] == b"\xc4\x02"]
        return reply, responses, requests[0]

    def _join_gbt(self, apdus: List[bytes], direction: str) -> List[bytes]:
        """general-block-transfer APDUs (their own protection removed) joined into the APDUs
        they carry, deciphered when protected; acknowledgements (no block-data) dropped;
        every block noted in `last_gbt` as (direction, block-control, block-number,
        block-number-ack, data length). Repeated block numbers keep the last copy."""
        out: List[bytes] = []
        blocks = {}
        for a in apdus:
            if a[:1] != b"\xe0":
                out.append(a)
                continue
            ctl, bn, bna = a[1], int.from_bytes(a[2:4], "big"), int.from_bytes(a[4:6], "big")
            n, i = _axdr_length(a, 6)
            if i + n != len(a):
                raise ProtocolViolation("GBT block length %d for %d bytes: %s" % (
                    n, len(a) - i, a.hex(" ")))
            self.last_gbt.append((direction, ctl, bn, bna, n))
            if not n:
                continue
            if bn == 1:
                blocks = {}
            blocks[bn] = a[i:]
            if ctl & 0x80:
                if sorted(blocks) != list(range(1, bn + 1)):
                    raise ProtocolViolation("GBT blocks %r" % sorted(blocks))
                out.append(self.plain(b"".join(blocks[k] for k in sorted(blocks)),
                                      direction == ">>"))
                blocks = {}
        return out

    def get(self, class_id: int, obis: str, attr: int) -> Any:
        """GET (gurux follows blocks itself) -> plain value; DataAccessError on a result."""
        obj = GXDLMSObject(class_id, obis_to_gurux(obis))
        reply, responses, _ = self._get_reply(self.client.read(obj, attr))
        last = responses[-1]
        if last[:2] == b"\xc4\x01" and last[3] == 1:
            raise DataAccessError(last[4])
        if last[:2] == b"\xc4\x02" and len(last) > 9 and last[8] == 1:
            raise DataAccessError(last[9])
        if reply.error:
            raise ProtocolViolation("gurux error %d for %s" % (reply.error, last.hex(" ")))
        return plain(reply.value)

    def get_raw(self, class_id: int, obis: str, attr: int) -> bytes:
        """GET -> the encoded Data bytes as gurux reassembled them."""
        obj = GXDLMSObject(class_id, obis_to_gurux(obis))
        reply, responses, _ = self._get_reply(self.client.read(obj, attr))
        last = responses[-1]
        if (last[:2] == b"\xc4\x01" and last[3] == 1) or (
                last[:2] == b"\xc4\x02" and len(last) > 9 and last[8] == 1):
            raise DataAccessError(last[-1])
        return bytes(reply.data.array())

    def get_with_list(self, refs: Sequence[Tuple[int, str, int]]) -> List[Any]:
        """GET with-list -> one entry per reference: the plain value or DataAccessError.
        gurux sends at most 10 references per request (several exchanges for more)."""
        pairs = [(GXDLMSObject(c, obis_to_gurux(ln)), a) for c, ln, a in refs]
        out: List[Any] = []
        self.with_list_requests = []
        for message in self.client.readList(pairs):
            reply, responses, request = self._get_reply(message)
            self.with_list_requests.append(request)
            if request[:2] != b"\xc0\x03":
                raise ProtocolViolation("gurux readList sent %s" % request[:3].hex(" "))
            count = request[3]
            results = self._with_list_results(responses)
            values = reply.value if isinstance(reply.value, list) else []
            if len(results) != count or len(values) != count:
                raise ProtocolViolation("%d references, %d results, gurux %d values: %s" % (
                    count, len(results), len(values), responses[-1].hex(" ")))
            for (ok, code), value in zip(results, values):
                out.append(plain(value) if ok else DataAccessError(code))
        return out

    def _with_list_results(self, responses: List[bytes]) -> List[Tuple[bool, int]]:
        """[(True, 0) for data | (False, data-access-result)] from the raw response(s)."""
        last = responses[-1]
        if last[:2] == b"\xc4\x03":
            body = last[3:]
        elif last[:2] == b"\xc4\x02":  # with-list answer in GET blocks: join the raw-data
            body = b""
            for r in responses:
                if r[:2] != b"\xc4\x02" or r[8] != 0:
                    raise ProtocolViolation("with-list block %s" % r.hex(" "))
                n, i = _axdr_length(r, 9)
                body += r[i:i + n]
        else:
            raise ProtocolViolation("GET with-list answered with %s" % last.hex(" "))
        count, i = _axdr_length(body, 0)
        buf = GXByteBuffer(body)
        buf.position = i
        out = []
        for _ in range(count):
            choice = buf.getUInt8()
            if choice == 0:
                GXDLMSClient.getValue(buf, False)  # skips exactly one Data
                out.append((True, 0))
            elif choice == 1:
                out.append((False, buf.getUInt8()))
            else:
                raise ProtocolViolation("Get-Data-Result choice %d in %s" % (choice,
                                                                             body.hex(" ")))
        if buf.position != len(body):
            raise ProtocolViolation("%d trailing bytes in %s" % (len(body) - buf.position,
                                                                 body.hex(" ")))
        return out

    def set(self, class_id: int, obis: str, attr: int, value: Any, dlms_type) -> int:
        """SET normal (gurux switches to blocks itself when needed) -> data-access-result."""
        obj = _ValueObject(class_id, obis_to_gurux(obis), attr, value, dlms_type)
        _reply, responses, _ = self._get_reply(self.client.write(obj, attr))
        last = responses[-1]
        if last[:2] == b"\xc5\x01":
            return last[3]
        if last[:2] == b"\xc5\x03":  # last-datablock: result, block number
            return last[3]
        raise ProtocolViolation("SET answered with %s" % last.hex(" "))

    def action(self, class_id: int, obis: str, method: int, value: Any = 0,
               dlms_type=DataType.INT8) -> Tuple[int, Any]:
        """ACTION normal -> (action-result, plain return value | DataAccessError | None)."""
        obj = GXDLMSObject(class_id, obis_to_gurux(obis))
        reply, responses, _ = self._get_reply(
            self.client.method(obj, method, value, DataType(int(dlms_type))))
        last = responses[-1]
        if last[:2] != b"\xc7\x01":
            raise ProtocolViolation("ACTION answered with %s" % last.hex(" "))
        result = last[3]
        ret = None
        if len(last) > 4 and last[4] == 1:  # return-parameters present
            if last[5] == 0:
                ret = plain(reply.value)
            else:
                ret = DataAccessError(last[6])
        return result, ret

    def access(self, items, time=None) -> List[Tuple[int, int, Any]]:
        """ACCESS (gurux accessRequest): items [("get", class, obis, attr) | ("set", class,
        obis, attr, value, DataType) | ("action", class, obis, method, value, DataType)]
        -> [(choice, result, plain value)] read from the raw response (gurux's
        parseAccessResponse must agree). `last_access` keeps the response APDU."""
        targets = []
        for it in items:
            kind, class_id, obis, index = it[:4]
            if kind == "get":
                target = _ValueObject(class_id, obis_to_gurux(obis), index, None, DataType.NONE)
                cmd = AccessServiceCommandType.GET
            else:
                target = _ValueObject(class_id, obis_to_gurux(obis), index, it[4], it[5])
                cmd = (AccessServiceCommandType.SET if kind == "set"
                       else AccessServiceCommandType.ACTION)
            targets.append(GXDLMSAccessItem(cmd, target, index))
        reply, responses, request = self._get_reply(self.client.accessRequest(time, targets))
        last = responses[-1]
        self.last_access = last
        if last[:1] != b"\xda" or last[1:5] != request[1:5]:
            raise ProtocolViolation("ACCESS %s answered with %s" % (request[:5].hex(" "),
                                                                  last.hex(" ")))
        buf = GXByteBuffer(last)
        buf.position = 5
        buf.position += 1 + buf.getUInt8()  # date-time
        if buf.getUInt8() != 0:
            raise ProtocolViolation("access-request-specification in %s" % last.hex(" "))
        start = buf.position
        self.client.parseAccessResponse(targets, buf)
        buf.position = start
        count = buf.getUInt8()
        values = [GXDLMSClient.getValue(buf, False) for _ in range(count)]
        if buf.getUInt8() != count:
            raise ProtocolViolation("ACCESS result count in %s" % last.hex(" "))
        results = [(buf.getUInt8(), buf.getUInt8()) for _ in range(count)]
        if buf.position != len(last) or count != len(items):
            raise ProtocolViolation("ACCESS response %s" % last.hex(" "))
        for (choice, result), t in zip(results, targets):
            if int(t.error) != result:
                raise ProtocolViolation("gurux reads result %s, the APDU says %d" % (t.error,
                                                                                   result))
        return [(c, r, plain(v)) for (c, r), v in zip(results, values)]

    def object_list(self) -> List[Tuple[int, int, str]]:
        """object_list of the current association (0-0:40.0.0.255 attr 2), through gurux's
        getObjectsRequest/parseObjects -> [(class_id, version, "a-b:c.d.e.f")]."""
        reply, responses, _ = self._get_reply(self.client.getObjectsRequest())
        last = responses[-1]
        if last[:2] == b"\xc4\x01" and last[3] == 1:
            raise DataAccessError(last[4])
        self.object_list_raw = bytes(reply.data.array())
        objects = self.client.parseObjects(reply.data, False, False)
        return [(int(o.objectType), int(o.version), obis_to_text(o.logicalName))
                for o in objects]

    # ------------------------------------------------------------------ negative tests
    def raw(self, apdu: bytes) -> bytes:
        """Send one APDU as is (wrapper header, or LLC + I-frame(s) numbered by gurux's
        sequence counters) and return the response APDU bytes (segments joined, RR sent)."""
        apdu = bytes(apdu)
        mark = len(self.trace)
        if self.kind == "tcp":
            self._write(struct.pack(">HHHH", 1, self.client_sap, self.meter.server_logical,
                                    len(apdu)) + apdu)
            self._read_frame()
        else:
            settings = self.client.settings
            data = GXByteBuffer(LLC_REQUEST + apdu)
            control = 0
            while True:
                self._write(GXDLMS.getHdlcFrame(settings, control, data))
                more = data.position != len(data)
                self._raw_hdlc_reply()
                if not more:
                    break
                control = settings.getNextSend(False)
            while True:
                got = self._apdus_since(mark, "<<")
                if got:
                    break
                self._write(self.client.receiverReady(RequestTypes.FRAME))
                self._raw_hdlc_reply()
        got = self._apdus_since(mark, "<<")
        if not got:
            raise ProtocolViolation("no APDU answered %s" % apdu.hex(" "))
        return got[-1]

    # ------------------------------------------------------------------ ciphering (ours)
    def unprotect(self, apdu: bytes, from_client: bool = False) -> Protected:
        """Decipher a glo-/ded- APDU or a general-glo/ded-ciphering APDU of the server (or,
        from_client, one of ours) with the global or the dedicated key."""
        title = self.system_title if from_client else self.server_system_title
        if title is None:
            raise ProtocolViolation("no system title to decipher %s" % bytes(apdu).hex(" "))
        parts = _split_protected(apdu)
        if parts is None:
            raise ProtocolViolation("not a ciphered APDU: %s" % bytes(apdu).hex(" "))
        dedicated, sent_title, content = parts
        key = self.dk if dedicated else self.ek
        if key is None:
            raise ProtocolViolation("dedicated-key APDU without a dedicated key: %s" % (
                bytes(apdu).hex(" ")))
        if sent_title is None:
            return gcm_unprotect(apdu, title, key, self.ak)
        if sent_title != title:
            raise ProtocolViolation("general ciphering system title %s, expected %s: %s" % (
                sent_title.hex(), bytes(title).hex(), bytes(apdu).hex(" ")))
        return gcm_unprotect(bytes(apdu[:1]) + axdr_length(len(content)) + content, title,
                             key, self.ak)

    def plain(self, apdu: bytes, from_client: bool = False) -> bytes:
        """The APDU itself, or its plaintext when it is a glo-/ded- APDU or general-glo/
        ded-ciphering; the SC of every protected APDU must be the policy's."""
        apdu = bytes(apdu)
        if not self.ciphered or not apdu or _split_protected(apdu) is None:
            return apdu
        prot = self.unprotect(apdu, from_client)
        if prot.sc != self.sc:
            raise ProtocolViolation("SC %02x under policy %02x: %s" % (
                prot.sc, self.sc, apdu.hex(" ")))
        inner = PLAIN_TAG.get(apdu[0], DED_PLAIN_TAG.get(apdu[0]))
        if inner is not None and prot.plain[:1] != bytes((inner,)):
            raise ProtocolViolation("ciphered tag %02x carries %s" % (apdu[0],
                                                                    prot.plain.hex(" ")))
        return prot.plain

    def protect(self, plain_apdu: bytes, ic: Optional[int] = None,
                sc: Optional[int] = None) -> bytes:
        """glo- APDU from a plain one with our own code; takes the next client IC (gurux's
        counter moves on) unless `ic` is given."""
        ciph = self.client.ciphering
        if ic is None:
            ic = ciph.invocationCounter
            ciph.invocationCounter = ic + 1
        plain_apdu = bytes(plain_apdu)
        return gcm_protect(GLO_TAG[plain_apdu[0]], self.sc if sc is None else sc, ic,
                           self.system_title, self.ek, self.ak, plain_apdu)

    def raw_plain(self, apdu: bytes) -> bytes:
        """raw() -> the response APDU, deciphered when protected."""
        return self.plain(self.raw(apdu))

    def requests_sent(self) -> List[bytes]:
        return [a for d, a in self.trace if d == ">>"]

    def responses_received(self) -> List[bytes]:
        return [a for d, a in self.trace if d == "<<"]

    def _raw_hdlc_reply(self):
        """Read one frame and let gurux's link layer see it (keeps N(S)/N(R) in step)."""
        frame = self._read_frame()
        GXDLMS.getHdlcData(False, self.client.settings, GXByteBuffer(frame), GXReplyData(),
                           None)
        return frame


def _split_protected(apdu: bytes):
    """-> (dedicated key?, system title or None, SC || IC || ...) of a glo-/ded- APDU or of
    general-glo/ded-ciphering (DB/DC: tag | title | content), else None."""
    a = bytes(apdu)
    tag = a[0]
    if tag in PLAIN_TAG or tag in DED_PLAIN_TAG:
        n, i = _axdr_length(a, 1)
        return tag in DED_PLAIN_TAG, None, a[i:i + n]
    if tag in (GENERAL_GLO, GENERAL_DED):
        n, i = _axdr_length(a, 1)
        title = a[i:i + n]
        m, j = _axdr_length(a, i + n)
        if j + m != len(a):
            raise ProtocolViolation("general ciphering length %d for %d bytes: %s" % (
                m, len(a) - j, a.hex(" ")))
        return tag == GENERAL_DED, title, a[j:]
    return None


def _axdr_length(b: bytes, i: int) -> Tuple[int, int]:
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def ber_to_gurux(mask: int):
    """24-bit conformance block as sent (BER bit 0 = MSB) -> gurux Conformance flags."""
    from gurux_dlms.enums import Conformance
    flags = 0
    for n in range(24):
        if mask & (1 << (23 - n)):
            flags |= 1 << n
    return Conformance(flags)


def gurux_to_ber(flags) -> int:
    """gurux Conformance flags -> 24-bit conformance block (BER bit 0 = MSB)."""
    mask = 0
    for n in range(24):
        if int(flags) & (1 << n):
            mask |= 1 << (23 - n)
    return mask
