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

dlms-cosem quirks handled here (see docs/client-quirks.md):
- it proposes general-block-transfer but cannot do it: the bit is cleared before the AARQ;
- `Obis.from_string` drops group F: Obis is built from the six parts;
- `DlmsClient.associate` only raises a text message on a reject: the AARE is read here;
- `DlmsClient.get`/`action` lose the result codes: GET/ACTION loops are written here over
  `DlmsClient.send`/`next_event`, with invoke-id checks;
- the HDLC reader reads "until the next 0x7E" with the port's timeout and never gives up:
  the serial port gets a short timeout and an overall idle deadline;
- it always sends calling-AP-title (`A6`) in the AARQ, even without ciphering.
"""
import logging
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
from dlms_cosem.security import LowLevelSecurityAuthentication, NoSecurityAuthentication
from client_errors import AssociationRejected, DataAccessError, ProtocolViolation  # noqa: F401

# dlms-cosem logs every frame through structlog to stdout: keep only warnings and errors
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

MAX_PDU = 1224
HDLC_READ_TIMEOUT = 0.3  # seconds per read_until("~"); see client-quirks.md
IDLE_DEADLINE = 10.0  # seconds without a byte before a request is declared lost



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
                 timeout: float = IDLE_DEADLINE, hdlc_read_timeout: float = HDLC_READ_TIMEOUT):
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
        auth = (LowLevelSecurityAuthentication(secret=password) if password is not None
                else NoSecurityAuthentication())
        self.client = DlmsClient(transport=self.transport, authentication=auth,
                                 max_pdu_size=max_pdu)
        conn = self.client.dlms_connection
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
        send_request = self.transport.send_request

        def traced(apdu: bytes) -> bytes:
            self.trace.append((">>", bytes(apdu)))
            answer = send_request(apdu)
            self.trace.append(("<<", bytes(answer)))
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

    def associate(self):
        """Send the AARQ; return the AARE (acse.ApplicationAssociationResponse) on accept,
        raise AssociationRejected(result, diagnostic) otherwise."""
        self.client.send(self.client.dlms_connection.get_aarq())
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
            raise AssociationRejected(aare.result, diag, source, user_information=ui)
        ui = aare.user_information.content if aare.user_information else None
        if isinstance(ui, xdlms.InitiateResponse):
            self.negotiated_conformance = ui.negotiated_conformance
            self.server_max_pdu = ui.server_max_receive_pdu_size
        return aare

    def release(self):
        """RLRQ -> RLRE; returns the RLRE reason as int (None when absent)."""
        rlre = self.client.release_association()
        if not isinstance(rlre, acse.ReleaseResponse):
            raise ProtocolViolation("no RLRE after the RLRQ: %r" % (rlre,))
        return None if rlre.reason is None else int(rlre.reason)

    # --- services -------------------------------------------------------------------------
    def _next(self):
        """dlms_cosem's next_event, except that an EXCEPTION-Response (which its state machine
        only accepts after GET) becomes ExceptionResponseError and leaves the session usable."""
        conn = self.client.dlms_connection
        try:
            apdu = self.client.next_event()
        except LocalDlmsProtocolError:
            raw = bytes(conn.buffer)
            apdu = XDlmsApduFactory.apdu_from_bytes(raw) if raw else None
            conn.clear_buffer()
            if not isinstance(apdu, xdlms.ExceptionResponse):
                raise
            conn.state.current_state = dc_state.READY
        if isinstance(apdu, xdlms.ExceptionResponse):
            raise ExceptionResponseError(apdu.state_error, apdu.service_error,
                                         self.trace[-1][1] if self.trace else b"")
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
