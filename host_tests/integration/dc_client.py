# SPDX-License-Identifier: MIT
"""A small client over the independent `dlms_cosem` package (u9n/dlms-cosem 25.1.0) for the
interop tests: TCP with the IEC 62056-47 wrapper, or HDLC on the meter's pty.

Plain Python values come out:

    with DcMeter("tcp", meter) as m:           # or "hdlc"; client_sap=1, password=b"..."
        m.associate()                          # AssociationRejected(result, diagnostic)
        m.get(1, "0-0:42.0.0.255", 2)          # -> decoded value (bytes, int, list, ...)
        m.get_raw(8, "0-0:1.0.0.255", 2)       # -> the encoded Data bytes
        m.get_with_list([(1, "0-0:42.0.0.255", 2), ...])  # -> [value or DataAccessError]
        m.set(8, "0-0:1.0.0.255", 2, encoded_data_bytes)  # -> data-access-result (int)
        m.action(8, "0-0:1.0.0.255", 6, b"\\x10\\x00\\x3c")  # -> (action-result, value|None)
        m.release()                            # -> RLRE reason (int or None)

A failed GET raises DataAccessError with the data-access-result in `.result`.

Ciphered association with HLS-5 (GMAC), all options keyword-only; every xDLMS APDU then
travels as general-glo-ciphering (DB), authenticated and encrypted, suite 0 by default:

    DcMeter("tcp", meter, client_sap=1, authentication=HLS_GMAC, system_title=title,
            encryption_key=guek, authentication_key=gak)   # invocation_counter=None: resync
    m.associate()        # AARQ/AARE (glo-initiate) + reply_to_HLS_authentication (HlsRefused)
    m.associate(authenticate=False); m.hls_authenticate()   # the two steps apart
    m.plain_trace        # (">>" | "<<", plaintext APDU) of every APDU, deciphered here
    m.server_ics, m.iv_reuse, m.client_ics
    read_frame_counter(meter, sap, gak)   # KSMW Appendix 11 through the public client

Every protected APDU of the server (the glo-initiateResponse in the AARE/RLRE, each DB) is
deciphered again here with `cryptography` (not dlms-cosem): its SC must be the policy's
(authenticated and encrypted), its system title the AARE's responding-AP-title, its invocation
counter above every one seen in this association (and never seen before under this key in
this test session: `iv_reuse`); the plaintext must be the APDU dlms-cosem decoded. Both HLS-5
GMACs (f(StoC) sent, f(CtoS) received) are recomputed here as well.

dlms-cosem quirks handled here (see docs/client-notes.md):
- it proposes general-block-transfer but cannot do it: the bit is cleared before the AARQ;
- `Obis.from_string` drops group F: Obis is built from the six parts;
- `DlmsClient.associate` only raises a text message on a reject: the AARE is read here;
- `DlmsClient.get`/`action` lose the result codes: GET/ACTION loops are written here over
  `DlmsClient.send`/`next_event`, with invoke-id checks;
- the HDLC reader reads "until the next 0x7E" with the port's timeout and never gives up:
  the serial port gets a short timeout and an overall idle deadline;
- it always sends calling-AP-title (`A6`) in the AARQ, even without ciphering.

dlms-cosem 25.1.0 ciphering, read from dlms_cosem/connection.py, security.py, client.py and
protocol/xdlms/general_global_cipher.py (docs/client-notes.md):
- an encryption key turns on protection for everything: the AARQ/RLRQ user-information
  becomes a glo-initiateRequest (21), every xDLMS request general-glo-ciphering (DB) with
  the client system title, SC = suite | A (authentication key set) | E (encryption key set);
  there is no glo-/ded- service-specific ciphering, no dedicated key, no SC choice. The
  general-protection conformance bit is proposed whenever an encryption key is given.
- it deciphers answers with its own SC, not the one received, and only checks that each
  server invocation counter is above the last (starting from 0, so a server IC 0 fails);
- HLS-5 (`HighLevelSecurityGmacAuthentication`, CtoS 32 random bytes by default): the pass-3
  f(StoC) takes the *current* client invocation counter and does not advance it, so
  `DlmsClient.associate` sends the general-glo-ciphered ACTION carrying f(StoC) under the
  same IC, i.e. the same GCM IV (client title || IC) under the same key twice (the meter
  accepts that today). KSMW 3.5.4 counts one IC for the challenge and one for the ciphered
  ACTION: hls_authenticate() here advances the counter in between;
- the general-glo-ciphering encoder writes the ciphered-content length as one byte, right
  for < 128 bytes only (a 128..255-byte content gets a bare length byte >= 0x80, a longer one
  raises): requests are checked here before they are sent (DlmsCosemEncodingError);
- the client invocation counter starts at 0 unless given: here it continues from the
  meter's persisted receive counter (read_frame_counter) or the last one used.
"""
import hashlib
import hmac
import logging
import os
import re
import time
from typing import Any, List, Optional, Sequence, Tuple

import attr
import structlog
from dlms_cosem import cosem, dlms_data, enumerations
from dlms_cosem import state as dc_state
from dlms_cosem import time as dc_time
from dlms_cosem.client import DlmsClient
from dlms_cosem.connection import XDlmsApduFactory
from dlms_cosem.exceptions import LocalDlmsProtocolError
from dlms_cosem.cosem import Obis
from dlms_cosem.cosem.attribute_with_selection import CosemAttributeWithSelection
from dlms_cosem.io import BlockingTcpIO, HdlcTransport, SerialIO, TcpTransport
from dlms_cosem.protocol import acse, xdlms
from dlms_cosem.security import (HighLevelSecurityGmacAuthentication,
                                 LowLevelSecurityAuthentication, NoSecurityAuthentication)
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from client_errors import AssociationRejected, DataAccessError, ProtocolViolation  # noqa: F401

# dlms-cosem logs every frame through structlog to stdout: keep only warnings and errors
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

MAX_PDU = 1224
HDLC_READ_TIMEOUT = 0.3  # seconds per read_until("~"); see docs/client-notes.md
IDLE_DEADLINE = 10.0  # seconds without a byte before a request is declared lost

HLS_GMAC = enumerations.AuthenticationMechanism.HLS_GMAC  # mechanism 5
SC_AUTH, SC_ENC = 0x10, 0x20
TAG_LEN = 12
GLO_INITIATE_REQUEST, GLO_INITIATE_RESPONSE = 0x21, 0x28
GENERAL_GLO = 0xDB
ASSOCIATION_LN = "0-0:40.0.0.255"
FRAME_COUNTER_CLASS = 12544  # KSMW Appendix 11: 0-0:43.1.<sap>.255, method 1


class HlsRefused(Exception):
    """reply_to_HLS_authentication answered with something other than success + f(CtoS)."""

    def __init__(self, result, response=None):
        self.result = result
        self.response = response
        super().__init__("reply_to_HLS_authentication refused: action-result %r (%r)" % (
            result, response))


class DlmsCosemEncodingError(ProtocolViolation):
    """dlms-cosem built a request that is not valid DLMS (see the quirks above); not sent."""


# ---------------------------------------------------------------------------- oracle crypto
# Written with `cryptography` from dlms-notes 5.3/5.4/5.7, independent of dlms-cosem.
def axdr_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    return bytes((0x82,)) + n.to_bytes(2, "big")


def read_axdr_length(b: bytes, i: int) -> Tuple[int, int]:
    """-> (length, index after the length field); raises on a malformed field."""
    if i >= len(b):
        raise ProtocolViolation("no length at %d: %s" % (i, bytes(b).hex(" ")))
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    if k not in (1, 2, 4) or i + 1 + k > len(b):
        raise ProtocolViolation("bad A-XDR length at %d: %s" % (i, bytes(b).hex(" ")))
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def _gcm_tag(key: bytes, iv: bytes, aad: bytes, plain: bytes = b"") -> Tuple[bytes, bytes]:
    enc = Cipher(algorithms.AES(bytes(key)), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    out = enc.update(plain) + enc.finalize()
    return out, enc.tag[:TAG_LEN]


def gcm_open(content: bytes, title: bytes, ek: bytes, ak: bytes) -> Tuple[int, int, bytes]:
    """SC || IC || payload [|| T] (dlms-notes 5.4) -> (SC, IC, plaintext); ProtocolViolation
    when the tag does not verify or SC carries no protection."""
    c = bytes(content)
    if len(c) < 5:
        raise ProtocolViolation("ciphered content too short: %s" % c.hex(" "))
    sc, ic, body = c[0], int.from_bytes(c[1:5], "big"), c[5:]
    iv = bytes(title) + c[1:5]
    try:
        if sc & 0x30 == 0x30:
            if len(body) < TAG_LEN:
                raise InvalidTag()
            dec = Cipher(algorithms.AES(bytes(ek)),
                         modes.GCM(iv, body[-TAG_LEN:], min_tag_length=TAG_LEN)).decryptor()
            dec.authenticate_additional_data(bytes((sc,)) + bytes(ak))
            plain = dec.update(body[:-TAG_LEN]) + dec.finalize()
        elif sc & 0x30 == SC_AUTH:
            plain = body[:-TAG_LEN]
            if _gcm_tag(ek, iv, bytes((sc,)) + bytes(ak) + plain)[1] != body[-TAG_LEN:]:
                raise InvalidTag()
        elif sc & 0x30 == SC_ENC:
            plain = Cipher(algorithms.AES(bytes(ek)),
                           modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor().update(body)
        else:
            raise ProtocolViolation("SC %02x without protection: %s" % (sc, c.hex(" ")))
    except InvalidTag:
        raise ProtocolViolation("GCM tag does not verify (title %s, IC %d): %s" % (
            bytes(title).hex(), ic, c.hex(" "))) from None
    return sc, ic, plain


def gcm_seal(sc: int, ic: int, title: bytes, ek: bytes, ak: bytes, plain: bytes) -> bytes:
    """Inverse of gcm_open for SC 0x30 (A+E) and 0x10 (A): SC || IC || payload || T."""
    iv = bytes(title) + ic.to_bytes(4, "big")
    if sc & 0x30 == 0x30:
        ct, t = _gcm_tag(ek, iv, bytes((sc,)) + bytes(ak), plain)
    elif sc & 0x30 == SC_AUTH:
        ct, t = bytes(plain), _gcm_tag(ek, iv, bytes((sc,)) + bytes(ak) + bytes(plain))[1]
    else:
        raise ValueError("SC %02x" % sc)
    return bytes((sc,)) + ic.to_bytes(4, "big") + ct + t


def hls5(ek: bytes, ak: bytes, title: bytes, ic: int, challenge: bytes, suite: int = 0) -> bytes:
    """HLS-5 f(challenge) = SC || IC || GMAC, SC = A | suite, GMAC = GCM tag over
    SC || AK || challenge with IV = title || IC (dlms-notes 5.7)."""
    sc = SC_AUTH | suite
    iv = bytes(title) + ic.to_bytes(4, "big")
    return bytes((sc,)) + ic.to_bytes(4, "big") + _gcm_tag(
        ek, iv, bytes((sc,)) + bytes(ak) + bytes(challenge))[1]


def parse_general_glo(apdu: bytes) -> Tuple[bytes, bytes]:
    """DB | 08 title | length | content -> (system title, content); lengths checked."""
    a = bytes(apdu)
    if a[:1] != bytes((GENERAL_GLO,)) or len(a) < 2:
        raise ProtocolViolation("not general-glo-ciphering: %s" % a.hex(" "))
    n, i = read_axdr_length(a, 1)
    title = a[i:i + n]
    m, j = read_axdr_length(a, i + n)
    if j + m != len(a):
        raise ProtocolViolation("general-glo-ciphering content length %d for %d bytes: %s" % (
            m, len(a) - j, a.hex(" ")))
    return title, a[j:]


def ber_elements(apdu: bytes) -> dict:
    """Top-level elements of an AARQ/AARE/RLRQ/RLRE (tag -> value), BER lengths checked
    (definite BER lengths have the A-XDR length form)."""
    a = bytes(apdu)
    total, pos = read_axdr_length(a, 1)
    if pos + total != len(a):
        raise ProtocolViolation("ACSE length %d for %d bytes: %s" % (total, len(a) - pos,
                                                                    a.hex(" ")))
    out = {}
    while pos < len(a):
        tag = a[pos]
        n, body = read_axdr_length(a, pos + 1)
        if body + n > len(a):
            raise ProtocolViolation("ACSE element %02X overruns: %s" % (tag, a.hex(" ")))
        out[tag] = a[body:body + n]
        pos = body + n
    return out


# ---------------------------------------------------------------------------- counters
# The meter keeps one receive counter per client security context (KSMW 3.5.4: per client
# SAP and global unicast key, not per client system title) and refuses any IC <= the last
# one. Clients of one meter share what they know through the meter fixture object, keyed by
# (client SAP, GUEK): gx_client.py uses the same table.
def next_client_ic_table(meter) -> dict:
    return meter.__dict__.setdefault("next_client_ic", {})


def server_ics_seen(meter) -> dict:
    """(server system title, key) -> set of server ICs seen under that key this session."""
    return meter.__dict__.setdefault("server_ics_seen", {})


def read_frame_counter(meter, sap: int, authentication_key: bytes, transport: str = "tcp",
                       system_title: bytes = b"KFMDCSYN", challenge: Optional[bytes] = None):
    """KSMW Appendix 11 through the public client (dlms-cosem): get_frame_counter(challenge)
    of 0-0:43.1.<sap>.255 -> the meter's receive frame counter of that client's global key.
    The HMAC-SHA256 under the client's GAK over SysT-S || SysT-C || challenge || FC is checked
    here; the AARE must carry the server system title (KSMW 11.3)."""
    challenge = os.urandom(64) if challenge is None else bytes(challenge)
    with DcMeter(transport, meter, client_sap=16, system_title=system_title) as m:
        aare = m.associate()
        server_title = aare.system_title
        if not server_title or len(server_title) != 8:
            raise ProtocolViolation("public AARE without responding-AP-title: %s" % (
                m.trace[-1][1].hex(" ")))
        result, ret = m.action(FRAME_COUNTER_CLASS, "0-0:43.1.%d.255" % sap, 1,
                               b"\x09\x40" + challenge)
        m.release()
    if result != 0 or not isinstance(ret, list) or len(ret) != 2:
        raise ProtocolViolation("get_frame_counter answered %r %r" % (result, ret))
    mac, fc = ret
    want = hmac.new(bytes(authentication_key), bytes(server_title) + system_title + challenge
                    + int(fc).to_bytes(4, "big"), hashlib.sha256).digest()
    if not hmac.compare_digest(bytes(mac), want):
        raise ProtocolViolation("frame counter HMAC %s, expected %s (FC %d)" % (
            bytes(mac).hex(), want.hex(), fc))
    return int(fc)


def next_invocation_counter(meter, sap: int, ek: bytes, ak: bytes) -> int:
    """The next client IC for (SAP, GUEK): above the meter's receive counter (read with the
    public client when the meter has a TCP port) and above what this session used."""
    known = next_client_ic_table(meter).get((sap, bytes(ek)), 1)
    if getattr(meter, "tcp_port", None):
        try:
            known = max(known, read_frame_counter(meter, sap, ak) + 1)
        except ProtocolViolation:  # e.g. a test with a wrong GAK: keep what we know
            pass
    return known



class ExceptionResponseError(ProtocolViolation):
    """The meter answered with an EXCEPTION-Response (D8 state-error service-error)."""

    def __init__(self, state_error, service_error, raw=b""):
        self.state_error = int(state_error)
        self.service_error = int(service_error)
        self.raw = bytes(raw)
        super().__init__("exception-response state-error %d service-error %d (%s)" % (
            self.state_error, self.service_error, self.raw.hex()))


def obis(text: str) -> Obis:
    """'1-0:1.8.0.255' -> Obis with all six groups (never Obis.from_string: it drops F)."""
    parts = [int(p) for p in re.split(r"[-:.]", text.strip())]
    if len(parts) != 6 or not all(0 <= p <= 255 for p in parts):
        raise ValueError("need six OBIS groups: %r" % text)
    return Obis(*parts)


def obis_str(b: bytes) -> str:
    b = bytes(b)
    assert len(b) == 6, b.hex()
    return "%d-%d:%d.%d.%d.%d" % tuple(b)


def _interface(class_id: int):
    try:
        return enumerations.CosemInterface(class_id)
    except ValueError:  # to_bytes only needs int.to_bytes
        return int(class_id)


def attribute(class_id: int, ln: str, attr_id: int) -> cosem.CosemAttribute:
    return cosem.CosemAttribute(interface=_interface(class_id), instance=obis(ln),
                                attribute=attr_id)


def method(class_id: int, ln: str, method_id: int) -> cosem.CosemMethod:
    return cosem.CosemMethod(interface=_interface(class_id), instance=obis(ln), method=method_id)


def decode(raw: bytes) -> Any:
    """Decode one A-XDR Data with dlms-cosem's parser into plain Python values (octet-strings
    stay bytes, structures/arrays become lists). Raises if bytes are left over."""
    parser = dlms_data.DlmsDataParser()
    items = parser.parse(bytes(raw), limit=1)
    tail = parser.get_buffer_tail()
    if len(items) != 1 or tail:
        raise ValueError("not exactly one Data value: %s (left over %s)" % (
            bytes(raw).hex(), bytes(tail).hex()))
    return _plain(items[0])


def _plain(item) -> Any:
    if isinstance(item, (dlms_data.DataArray, dlms_data.DataStructure)):
        return [_plain(x) for x in item.value]
    v = item.to_python()
    return bytes(v) if isinstance(v, bytearray) else v


def decode_datetime(octets: bytes):
    """12-byte COSEM date-time -> (aware datetime or naive when deviation is unspecified,
    ClockStatus). dlms-cosem applies the Blue Book rule UTC = local + deviation."""
    return dc_time.datetime_from_bytes(bytes(octets))


def encode_datetime(dt, deviation: int, status: int = 0) -> bytes:
    """Local wall time `dt` (naive) -> Data octet-string 09 0C + 12 bytes, day of week set."""
    body = (dt.year.to_bytes(2, "big") + bytes((dt.month, dt.day, dt.isoweekday(), dt.hour,
                                                dt.minute, dt.second, dt.microsecond // 10000))
            + deviation.to_bytes(2, "big", signed=True) + bytes((status,)))
    return b"\x09\x0c" + body


def parse_object_list(raw: bytes) -> List[Tuple[int, int, str, Any]]:
    """object_list (Association LN attr 2) -> [(class_id, version, 'a-b:c.d.e.f', rights)].
    Decoded with the generic Data parser: dlms-cosem's own object-list parser raises on class
    ids its enum lacks."""
    out = []
    for entry in decode(raw):
        class_id, version, ln, rights = entry
        out.append((class_id, version, obis_str(ln), rights))
    return out


class _PtyIO(SerialIO):
    """SerialIO with a short read timeout (dlms-cosem reads up to the next 0x7E and waits the
    full timeout when a frame's body or FCS holds 0x7E) plus an overall idle deadline, since
    HdlcTransport.next_event would otherwise loop forever on a silent meter."""

    idle_deadline = IDLE_DEADLINE
    _idle_since = None

    def send(self, data: bytes) -> None:
        self._idle_since = None
        super().send(data)

    def recv_until(self, end: bytes) -> bytes:
        if self._idle_since is None:
            self._idle_since = time.monotonic()
        data = super().recv_until(end)
        if data:
            self._idle_since = None
        elif time.monotonic() - self._idle_since > self.idle_deadline:
            self._idle_since = None
            raise TimeoutError("no HDLC bytes from the meter for %.0f s" % self.idle_deadline)
        return data


class DcMeter:
    """One client connection (TCP socket or HDLC link) to the meter under test."""

    def __init__(self, transport: str, meter, client_sap: int = 16,
                 password: Optional[bytes] = None, max_pdu: int = MAX_PDU,
                 timeout: float = IDLE_DEADLINE, hdlc_read_timeout: float = HDLC_READ_TIMEOUT,
                 *, authentication=None, system_title: Optional[bytes] = None,
                 encryption_key: Optional[bytes] = None,
                 authentication_key: Optional[bytes] = None,
                 invocation_counter: Optional[int] = None, security_suite: int = 0,
                 challenge_length: int = 32):
        """Ciphered association (keyword-only): `encryption_key` (GUEK) and
        `authentication_key` (GAK) turn on dlms-cosem's protection (glo-initiate in the AARQ,
        general-glo-ciphering for everything else, SC 0x30 | suite); `authentication=HLS_GMAC`
        selects HLS-5 (CtoS of `challenge_length` bytes); `system_title` is the client's
        (calling-AP-title, sent in every AARQ; default dlms-cosem's "uti" + 5 random bytes);
        `invocation_counter` is the first client IC (default: next_invocation_counter())."""
        self.kind = transport
        self.meter = meter
        self.client_sap = client_sap
        if transport == "tcp":
            io = BlockingTcpIO(host=meter.host, port=meter.tcp_port, timeout=timeout)
            self.transport = TcpTransport(client_logical_address=client_sap,
                                          server_logical_address=meter.server_logical, io=io)
        elif transport == "hdlc":
            io = _PtyIO(port_name=meter.pty_path, baud_rate=9600, timeout=hdlc_read_timeout)
            io.idle_deadline = timeout
            self.transport = HdlcTransport(client_logical_address=client_sap,
                                           server_logical_address=meter.server_logical,
                                           server_physical_address=meter.server_physical,
                                           io=io)
        else:
            raise ValueError(transport)
        mechanism = enumerations.AuthenticationMechanism
        if authentication is None:
            authentication = mechanism.LLS if password is not None else mechanism.NONE
        authentication = mechanism(int(authentication))
        if authentication == HLS_GMAC:
            auth = HighLevelSecurityGmacAuthentication(challenge_length=challenge_length)
        elif authentication == mechanism.LLS and password is not None:
            auth = LowLevelSecurityAuthentication(secret=password)
        elif authentication == mechanism.NONE:
            auth = NoSecurityAuthentication()
        else:  # HLS 2 exists in dlms-cosem but not in this meter; 3, 4, 6, 7 do not exist
            raise ValueError("no %r with dlms-cosem here" % (authentication,))
        self.ciphered = encryption_key is not None
        if self.ciphered and authentication_key is None:
            raise ValueError("dlms-cosem ciphers only with both keys (auth+enc)")
        self.ek = None if encryption_key is None else bytes(encryption_key)
        self.ak = None if authentication_key is None else bytes(authentication_key)
        self.suite = security_suite
        self.security = (SC_AUTH | SC_ENC | security_suite) if self.ciphered else None
        self._ic_key = (client_sap, self.ek) if self.ciphered else None
        if self.ciphered and invocation_counter is None:
            invocation_counter = next_invocation_counter(meter, client_sap, self.ek, self.ak)
        self.client = DlmsClient(transport=self.transport, authentication=auth,
                                 max_pdu_size=max_pdu, encryption_key=self.ek,
                                 authentication_key=self.ak, security_suite=security_suite,
                                 client_system_title=system_title,
                                 client_initial_invocation_counter=invocation_counter or 0)
        conn = self.client.dlms_connection
        self.system_title = bytes(conn.client_system_title)
        self.server_system_title = None  # responding-AP-title of the AARE
        self.server_ics: List[int] = []  # server ICs (APDUs and f(CtoS)), in order
        self.client_ics: List[int] = []  # client ICs sent (APDUs and f(StoC)), in order
        self.iv_reuse: List[Tuple[int, bytes]] = []  # server IVs already seen this session
        self.plain_trace: List[Tuple[str, bytes]] = []  # every APDU, deciphered here
        self.hls_pending = False
        self.stoc = None
        self.f_ctos = None
        # dlms-cosem proposes general-block-transfer by default but cannot do it
        conn.conformance = attr.evolve(conn.conformance, general_block_transfer=False)
        self.proposed_conformance = conn.conformance
        self.aare = None
        self.negotiated_conformance = None
        self.server_max_pdu = None
        self.connected = False
        self.ua = None
        self.last_get_blocks: List[int] = []  # block numbers of the last GET
        # every APDU exchanged, as (">>" request | "<<" response, bytes): for failure reports
        self.trace: List[Tuple[str, bytes]] = []
        send_request = self._send_untraced = self.transport.send_request

        def traced(apdu: bytes) -> bytes:
            apdu = bytes(apdu)
            if self.ciphered:
                self.plain_trace.append((">>", self._open(apdu, from_client=True)))
            else:
                self.plain_trace.append((">>", apdu))
            self.trace.append((">>", apdu))
            answer = send_request(apdu)
            self.trace.append(("<<", bytes(answer)))
            self.plain_trace.append(("<<", self._open(bytes(answer)) if self.ciphered
                                     else bytes(answer)))
            return answer

        self.transport.send_request = traced

    def last_exchange(self) -> str:
        """The last request and answer as hex, for assertion messages."""
        return " | ".join("%s %s" % (d, b.hex(" ")) for d, b in self.trace[-2:])

    # --- link -----------------------------------------------------------------------------
    def connect(self):
        ua = self.transport.connect()
        self.ua = ua  # HDLC: the UA frame; TCP: None
        self.connected = True
        return self

    def __enter__(self):
        return self.connect()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.close()
        except Exception:
            if exc_type is None:  # do not hide the failure that ended the block
                raise
        return False

    def close(self):
        """Disconnect the link (HDLC: DISC, expecting UA; TCP: close the socket).
        Returns the HDLC answer frame, if any."""
        if not self.connected:
            return None
        self.connected = False
        try:
            return self.transport.disconnect()
        finally:
            io = self.transport.io
            if isinstance(io, SerialIO) and io.serial_port is not None:
                io.disconnect()
            if isinstance(io, BlockingTcpIO) and io.tcp_socket is not None:
                io.tcp_socket.close()
                io.tcp_socket = None

    # --- association ----------------------------------------------------------------------
    def aarq_bytes(self) -> bytes:
        return self.client.dlms_connection.get_aarq().to_bytes()

    def associate(self, authenticate: bool = True):
        """Send the AARQ; return the AARE (acse.ApplicationAssociationResponse) on accept,
        raise AssociationRejected(result, diagnostic) otherwise. With HLS (AARE diagnostic
        authentication-required) pass 3/4 follow unless authenticate=False
        (hls_authenticate(); HlsRefused)."""
        conn = self.client.dlms_connection
        self.initiate_request_plain = self.initiate_response_plain = None
        self.client.send(conn.get_aarq())
        aare = self.client.next_event()
        if isinstance(aare, xdlms.ExceptionResponse):
            raise ProtocolViolation("exception-response to the AARQ: %r" % (aare,))
        if not isinstance(aare, acse.ApplicationAssociationResponse):
            raise ProtocolViolation("no AARE after the AARQ: %r" % (aare,))
        self.aare = aare
        if aare.result is not enumerations.AssociationResult.ACCEPTED:
            diag = aare.result_source_diagnostics
            source = ("provider" if isinstance(diag, enumerations.AcseServiceProviderDiagnostics)
                      else "user")
            ui = aare.user_information.content if aare.user_information else None
            raise AssociationRejected(aare.result, diag, source, aare=self.trace[-1][1],
                                      user_information=ui)
        ui = aare.user_information.content if aare.user_information else None
        if self.ciphered:
            # what dlms-cosem deciphered is what our own code deciphered
            mine = self.initiate_response_plain
            if mine is None:
                raise ProtocolViolation("ciphered AARQ accepted without glo-initiateResponse: "
                                        "%s" % self.trace[-1][1].hex(" "))
            if xdlms.InitiateResponse.from_bytes(mine) != ui:
                raise ProtocolViolation("dlms-cosem read %r from the InitiateResponse %s" % (
                    ui, mine.hex(" ")))
        if isinstance(ui, xdlms.InitiateResponse):
            self.negotiated_conformance = ui.negotiated_conformance
            self.server_max_pdu = ui.server_max_receive_pdu_size
        diag = aare.result_source_diagnostics
        self.hls_pending = (
            isinstance(diag, enumerations.AcseServiceUserDiagnostics)
            and diag == enumerations.AcseServiceUserDiagnostics.AUTHENTICATION_REQUIRED)
        if self.hls_pending:
            self.stoc = bytes(aare.authentication_value or b"")
            if authenticate:
                self.hls_authenticate()
        return aare

    def hls_authenticate(self, f_stoc: Optional[bytes] = None) -> bytes:
        """HLS-5 pass 3/4: ACTION reply_to_HLS_authentication (0-0:40.0.0.255 method 1) with
        dlms-cosem's f(StoC) -> the server's f(CtoS). dlms-cosem checks f(CtoS) in its state
        machine; both GMACs are recomputed here too. f(StoC) takes one client IC and the
        general-glo-ciphered ACTION the next one (KSMW 3.5.4; see the quirks above).
        `f_stoc` (negative tests) is sent instead of dlms-cosem's f(StoC)."""
        conn = self.client.dlms_connection
        auth = conn.authentication
        if not isinstance(auth, HighLevelSecurityGmacAuthentication):
            raise ProtocolViolation("HLS asked for, client has %r" % (auth,))
        ic = conn.client_invocation_counter
        own = bytes(auth.hls_generate_reply_data(conn))
        want = hls5(self.ek, self.ak, self.system_title, ic, self.stoc, self.suite)
        if own != want:
            raise ProtocolViolation("dlms-cosem f(StoC) %s, expected %s" % (own.hex(),
                                                                           want.hex()))
        f_stoc = own if f_stoc is None else bytes(f_stoc)
        self._client_ic(ic)
        conn.client_invocation_counter = ic + 1
        self.f_stoc = f_stoc
        request = xdlms.ActionRequestNormal(
            cosem_method=method(15, ASSOCIATION_LN, 1),
            data=dlms_data.OctetStringData(f_stoc).to_bytes())
        before = list(self.server_ics)
        self.client.send(request)
        response = self._next()
        self._check_iid(request, response)
        if not isinstance(response, xdlms.ActionResponseNormalWithData):
            raise HlsRefused(int(response.status) if hasattr(response, "status") else None,
                             response)
        if response.status != enumerations.ActionResultStatus.SUCCESS:
            raise HlsRefused(int(response.status), response)
        f_ctos = decode(response.data)
        if not isinstance(f_ctos, bytes) or len(f_ctos) != 17:
            raise ProtocolViolation("f(CtoS) %r" % (f_ctos,))
        ic_s = int.from_bytes(f_ctos[1:5], "big")
        ctos = bytes(auth.get_calling_authentication_value())
        want = hls5(self.ek, self.ak, self.server_system_title, ic_s, ctos, self.suite)
        if f_ctos != want:
            raise ProtocolViolation("server f(CtoS) %s, expected %s" % (f_ctos.hex(),
                                                                       want.hex()))
        # the GMAC's IV (server title || IC) is one of the server's nonces under the GUEK
        if before and ic_s <= before[-1]:
            raise ProtocolViolation("f(CtoS) IC %d after server IC %d" % (ic_s, before[-1]))
        if self.server_ics and ic_s >= self.server_ics[-1]:
            raise ProtocolViolation("f(CtoS) IC %d not below its APDU's IC %d" % (
                ic_s, self.server_ics[-1]))
        self._server_iv(ic_s, f_ctos)
        if conn.state.current_state is not dc_state.READY:
            raise ProtocolViolation("dlms-cosem did not accept f(CtoS): state %r" % (
                conn.state.current_state,))
        self.hls_pending = False
        self.f_ctos = f_ctos
        return f_ctos

    def release(self):
        """RLRQ -> RLRE; returns the RLRE reason as int (None when absent)."""
        rlre = self.client.release_association()
        if not isinstance(rlre, acse.ReleaseResponse):
            raise ProtocolViolation("no RLRE after the RLRQ: %r" % (rlre,))
        return None if rlre.reason is None else int(rlre.reason)

    # --- protection checks (our own code) -------------------------------------------------
    initiate_request_plain = None
    initiate_response_plain = None

    def _client_ic(self, ic: int):
        if self.client_ics and ic <= self.client_ics[-1]:
            raise ProtocolViolation("client IC %d after %d" % (ic, self.client_ics[-1]))
        self.client_ics.append(ic)
        table = next_client_ic_table(self.meter)
        table[self._ic_key] = max(table.get(self._ic_key, 1), ic + 1)

    def _server_iv(self, ic: int, what: bytes):
        seen = server_ics_seen(self.meter).setdefault((self.server_system_title, self.ek), set())
        if ic in seen:
            self.iv_reuse.append((ic, bytes(what)))
        seen.add(ic)

    def _server_ic(self, ic: int, apdu: bytes):
        if ic == 0 or (self.server_ics and ic <= self.server_ics[-1]):
            raise ProtocolViolation("server IC %d after %r: %s" % (ic, self.server_ics[-3:],
                                                                  apdu.hex(" ")))
        self.server_ics.append(ic)
        self._server_iv(ic, apdu)

    def _open_content(self, content: bytes, from_client: bool, apdu: bytes) -> bytes:
        title = self.system_title if from_client else self.server_system_title
        if title is None:
            raise ProtocolViolation("ciphered APDU before the server system title: %s" % (
                apdu.hex(" ")))
        sc, ic, plain = gcm_open(content, title, self.ek, self.ak)
        if sc != self.security:
            raise ProtocolViolation("SC %02x, policy %02x: %s" % (sc, self.security,
                                                                  apdu.hex(" ")))
        if from_client:
            self._client_ic(ic)
        else:
            self._server_ic(ic, apdu)
        return plain

    def _open(self, apdu: bytes, from_client: bool = False) -> bytes:
        """A ciphered association's APDU (ours before it is sent, or the server's) ->
        its plaintext (ACSE APDUs stay as they are; their deciphered InitiateRequest/-Response
        go to initiate_request_plain/initiate_response_plain). Raises ProtocolViolation on
        anything the policy does not allow; DlmsCosemEncodingError for a request dlms-cosem
        encoded wrongly."""
        if not apdu:
            return apdu
        tag = apdu[0]
        if tag in (0x60, 0x61, 0x62, 0x63):  # AARQ, AARE, RLRQ, RLRE
            el = ber_elements(apdu)
            if tag == 0x61 and 0xA4 in el:  # responding-AP-title: 04 08 title
                v = el[0xA4]
                if v[:1] != b"\x04" or v[1] != len(v) - 2 or v[1] != 8:
                    raise ProtocolViolation("bad responding-AP-title: %s" % apdu.hex(" "))
                self.server_system_title = v[2:]
            ui = el.get(0xBE)
            if ui is None:
                return apdu
            if ui[:1] != b"\x04" or ui[1] != len(ui) - 2:
                raise ProtocolViolation("bad user-information: %s" % apdu.hex(" "))
            inner = ui[2:]
            want = GLO_INITIATE_REQUEST if from_client else GLO_INITIATE_RESPONSE
            if inner[0] != want:
                if tag == 0x61 and inner[0] == 0x0E:  # confirmed-service-error on a reject
                    return apdu
                raise ProtocolViolation("user-information %02x in a ciphered context: %s" % (
                    inner[0], apdu.hex(" ")))
            n, i = read_axdr_length(inner, 1)
            if i + n != len(inner):
                raise ProtocolViolation("glo-initiate length: %s" % apdu.hex(" "))
            plain = self._open_content(inner[i:], from_client, apdu)
            if plain[:1] != (b"\x01" if from_client else b"\x08"):
                raise ProtocolViolation("glo-initiate carries %s" % plain.hex(" "))
            if from_client:
                self.initiate_request_plain = plain
            else:
                self.initiate_response_plain = plain
            return apdu
        if tag == GENERAL_GLO:
            try:
                title, content = parse_general_glo(apdu)
            except ProtocolViolation as e:
                if from_client:
                    raise DlmsCosemEncodingError("dlms-cosem general-glo-ciphering: %s" % e)
                raise
            own = self.system_title if from_client else self.server_system_title
            if title != own:
                raise ProtocolViolation("general-glo-ciphering system title %s, expected %s" % (
                    title.hex(), bytes(own or b"").hex()))
            return self._open_content(content, from_client, apdu)
        if not from_client and tag in (0xC4, 0xC5, 0xC7, 0xCC, 0xCD, 0xCF):
            raise ProtocolViolation("unprotected or service-specific answer %02x to a "
                                    "general-glo-ciphered request: %s" % (tag, apdu.hex(" ")))
        return apdu

    # --- services -------------------------------------------------------------------------
    def raw(self, apdu: bytes) -> bytes:
        """Send one APDU as is, outside dlms-cosem's connection state (a replay, a plain
        request in a ciphered association ...) -> the answer APDU bytes. The answer is checked
        and deciphered like any other (`plain_trace`); the request is not."""
        apdu = bytes(apdu)
        self.trace.append((">>", apdu))
        self.plain_trace.append((">>", apdu))
        answer = bytes(self._send_untraced(apdu))
        self.trace.append(("<<", answer))
        self.plain_trace.append(("<<", self._open(answer) if self.ciphered else answer))
        return answer

    def _next(self):
        """dlms_cosem's next_event, except that an EXCEPTION-Response (which its state machine
        only accepts after GET) becomes ExceptionResponseError and leaves the session usable."""
        conn = self.client.dlms_connection
        try:
            apdu = self.client.next_event()
        except LocalDlmsProtocolError:
            raw = bytes(conn.buffer)
            if self.ciphered and raw[:1] == bytes((GENERAL_GLO,)):
                raw = self.plain_trace[-1][1]  # deciphered here already
            apdu = XDlmsApduFactory.apdu_from_bytes(raw) if raw else None
            conn.clear_buffer()
            if not isinstance(apdu, xdlms.ExceptionResponse):
                raise
            conn.state.current_state = dc_state.READY
        if isinstance(apdu, xdlms.ExceptionResponse):
            raise ExceptionResponseError(apdu.state_error, apdu.service_error,
                                         self.trace[-1][1] if self.trace else b"")
        if self.ciphered and self.trace[-1][1][:1] == bytes((GENERAL_GLO,)):
            mine = XDlmsApduFactory.apdu_from_bytes(self.plain_trace[-1][1])
            if mine != apdu:
                raise ProtocolViolation("dlms-cosem deciphered %r, we %r (%s)" % (
                    apdu, mine, self.plain_trace[-1][1].hex(" ")))
        return apdu

    def _check_iid(self, request, response):
        a = request.invoke_id_and_priority.to_bytes()
        b = response.invoke_id_and_priority.to_bytes()
        if (a[0] & 0x8F) != (b[0] & 0x8F):
            raise ProtocolViolation("invoke-id-and-priority %s answered with %s" % (
                a.hex(), b.hex()))

    def get_raw(self, class_id: int, ln: str, attr_id: int) -> bytes:
        """GET (normal, then get-request-next for each block) -> the encoded Data bytes."""
        request = xdlms.GetRequestNormal(cosem_attribute=attribute(class_id, ln, attr_id))
        self.client.send(request)
        data = bytearray()
        self.last_get_blocks = []
        while True:
            response = self._next()
            self._check_iid(request, response)
            if isinstance(response, xdlms.GetResponseNormal):
                return bytes(response.data)
            if isinstance(response, xdlms.GetResponseNormalWithError):
                raise DataAccessError(response.error)
            if isinstance(response, (xdlms.GetResponseWithBlock, xdlms.GetResponseLastBlock)):
                self.last_get_blocks.append(response.block_number)
                data += response.data
                if isinstance(response, xdlms.GetResponseLastBlock):
                    return bytes(data)
                self.client.send(xdlms.GetRequestNext(
                    block_number=response.block_number,
                    invoke_id_and_priority=response.invoke_id_and_priority))
                continue
            if isinstance(response, xdlms.GetResponseLastBlockWithError):
                self.last_get_blocks.append(response.block_number)
                raise DataAccessError(response.error)
            raise ProtocolViolation("unexpected answer to GET: %r" % (response,))

    def get(self, class_id: int, ln: str, attr_id: int) -> Any:
        """GET -> decoded Python value (see decode())."""
        return decode(self.get_raw(class_id, ln, attr_id))

    def get_with_list(self, refs: Sequence[Tuple[int, str, int]]) -> List[Any]:
        """GET with-list -> one entry per reference: the decoded value, or DataAccessError."""
        items = [CosemAttributeWithSelection(attribute(c, ln, a), None) for c, ln, a in refs]
        request = xdlms.GetRequestWithList(cosem_attributes_with_selection=items)
        self.client.send(request)
        response = self._next()
        if not isinstance(response, xdlms.GetResponseWithList):
            raise ProtocolViolation("unexpected answer to GET with-list: %r" % (response,))
        self._check_iid(request, response)
        if len(response.response_data) != len(refs):
            raise ProtocolViolation("%d results for %d references" % (
                len(response.response_data), len(refs)))
        return [DataAccessError(r) if isinstance(r, enumerations.DataAccessResult) else _plain(r)
                for r in response.response_data]

    def set(self, class_id: int, ln: str, attr_id: int, data: bytes) -> int:
        """SET normal with already-encoded Data bytes -> data-access-result (0 = success)."""
        request = xdlms.SetRequestNormal(cosem_attribute=attribute(class_id, ln, attr_id),
                                         data=bytes(data))
        self.client.send(request)
        response = self._next()
        if not isinstance(response, xdlms.SetResponseNormal):
            raise ProtocolViolation("unexpected answer to SET: %r" % (response,))
        self._check_iid(request, response)
        return int(response.result)

    def action(self, class_id: int, ln: str, method_id: int,
               data: Optional[bytes] = None) -> Tuple[int, Any]:
        """ACTION normal (data = encoded Data parameter or None) ->
        (action-result, decoded return value | DataAccessError | None)."""
        request = xdlms.ActionRequestNormal(cosem_method=method(class_id, ln, method_id),
                                            data=bytes(data) if data else None)
        self.client.send(request)
        response = self._next()
        if isinstance(response, xdlms.ActionResponseNormal):
            ret = None
        elif isinstance(response, xdlms.ActionResponseNormalWithData):
            ret = decode(response.data)
        elif isinstance(response, xdlms.ActionResponseNormalWithError):
            ret = DataAccessError(response.error)
        else:
            raise ProtocolViolation("unexpected answer to ACTION: %r" % (response,))
        self._check_iid(request, response)
        return int(response.status), ret
