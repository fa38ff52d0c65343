# SPDX-License-Identifier: MIT
"""xDLMS server: APDU dispatch for ACSE, GET, SET, ACTION, ACCESS and general-block-transfer
(Green Book 9.3/9.4, LN referencing).

handle(assoc, req, w) reads one request APDU (memoryview) and writes one response APDU
into Writer w (IDIS 8.2.3.1: the server always answers), except for unconfirmed requests
and GBT blocks inside a client's window, where nothing is written. Over a transport that
can stream (TCP wrapper), pending(assoc)/push(assoc, w) then give the further GBT blocks
of the window.
"""
from micropython import const

from dlms.apdu import acse, axdr
from dlms.apdu.axdr import DecodeError, Reader, Writer
from dlms.cosem.base import (
    DATA_BLOCK_NUMBER_INVALID, LONG_GET_ABORTED, LONG_SET_ABORTED, NO_LONG_GET_IN_PROGRESS,
    NO_LONG_SET_IN_PROGRESS, OBJECT_CLASS_INCONSISTENT, OBJECT_UNDEFINED, OTHER_REASON, READ,
    READ_WRITE_DENIED, SCOPE_OF_ACCESS_VIOLATED, SUCCESS, TEMPORARY_FAILURE, TYPE_UNMATCHED,
    WRITE, get_all,
)
from dlms.cosem.ic015_association_ln import ASSOCIATED, ASSOCIATION_PENDING, NON_ASSOCIATED
from dlms.security import cipher
from dlms.server import association as asn
from dlms.security import general
from dlms.server import access, gbt
from dlms.server import protected_general as pg
from dlms.server import secured

GET_REQUEST = const(0xC0)
SET_REQUEST = const(0xC1)
ACTION_REQUEST = const(0xC3)
GET_RESPONSE = const(0xC4)
SET_RESPONSE = const(0xC5)
ACTION_RESPONSE = const(0xC7)
EXCEPTION_RESPONSE = const(0xD8)
ACCESS_REQUEST = const(0xD9)
GBT = const(0xE0)

# EXCEPTION-Response (Green Book 9.3.x; dlms-notes 4.9)
SERVICE_NOT_ALLOWED = const(1)
SERVICE_UNKNOWN = const(2)
OPERATION_NOT_POSSIBLE = const(1)
SERVICE_NOT_SUPPORTED = const(2)
OTHER = const(3)
PDU_TOO_LONG = const(4)
DECIPHERING_ERROR = const(5)  # Green Book; KSMW 3.5.3 asks operation-not-possible instead
PROTECTION_FAILED = const(1)  # KSMW 3.5.3: request the meter cannot decrypt or verify
INVOCATION_COUNTER_ERROR = const(6)
DIAG_CALLING_TITLE = const(3)
EVENT_KEYS_CHANGED = const(48)  # KSMW 5.12 security event codes
EVENT_DECRYPT = const(49)
EVENT_REPLAY = const(50)  # calling-AP-title-not-recognized
# ACTION current association (0-0:40.0.0.255) method 1: reply_to_HLS_authentication
_HLS_REPLY = b"\xc3\x01"
_HLS_REPLY_DESC = b"\x00\x0f\x00\x00\x28\x00\x00\xff\x01"

BLOCK_HDR = const(12)  # C4 02 iid last block(4) choice len(<=3): room kept in each GET block
MAX_LIST = const(64)  # with-list references per request (KSMW 3.3.1 asks >= 16)
BLOCK_BUF = const(4096)  # SET/ACTION reassembly limit (largest writable value)
INITIATE_MAX = const(256)  # deciphered xDLMS InitiateRequest of an AARQ or RLRQ

_GENERAL = (0xDB, 0xDC, 0xDD, 0xDF)  # general-glo/ded-ciphering, -ciphering, -signing
_SERVICES = (GET_REQUEST, SET_REQUEST, ACTION_REQUEST, ACCESS_REQUEST)
GLO_OVERHEAD = const(21)  # glo-/ded- APDU: tag, length (<= 3), SC, IC, GCM tag

_KIND_SET = const(1)
_KIND_ACTION = const(2)  # gbt.KIND = 3


class Malformed(Exception):
    pass


_BUFS = None


def _buffers():
    """Working buffers, allocated once at boot: a device runs one server, which handles one
    request at a time."""
    global _BUFS
    if _BUFS is None:
        _BUFS = (bytearray(BLOCK_BUF), bytearray(asn.MAX_PDU + 64),
                 Writer(asn.MAX_PDU + 64), Writer(32))
    return _BUFS


def _ln(o):
    return o.ln


class _Model:
    """The object model as the object list shows it: the server's objects, then the objects
    `more` serves (made when looked up, meterapp.catalog)."""

    def __init__(self, server):
        self.server = server

    def __iter__(self):
        s = self.server
        yield from s.objects
        if s.more is not None:
            yield from s.more

    def __len__(self):
        s = self.server
        return len(s.objects) + (len(s.more) if s.more is not None else 0)

    def named(self, names):
        """The objects whose logical names are in the set `names`, in iteration order; the
        names the server's objects do not hold are looked up in `more` (more.named(names)
        -> list in its order; find() never reaches a name of both there)."""
        s = self.server
        out = [o for o in s.objects if o.ln in names]
        if s.more is not None and len(out) < len(names):
            held = [o.ln for o in out]
            out += s.more.named([ln for ln in names if ln not in held])
        return out


def _exception(w, state, service):
    w.u8(EXCEPTION_RESPONSE)
    w.u8(state)
    w.u8(service)


class Server:
    def __init__(self, objects, clients, conformance, system_title=b"KFM\x00\x05\xf5\xe1\x01"):
        self.conformance = conformance
        self.attach(objects, clients, system_title)
        self.on_association = None  # hook(assoc, accepted, diag) for logs and lockout
        self.on_security = None  # hook(assoc, event) for security events (KSMW 5.12)
        self.on_ended = None  # hook(assoc) when an established association ends
        # hook(assoc, service 1 write / 2 execute, class_id, ln, index) after a client's
        # successful SET or ACTION (KSMW 5.13 configuration events)
        self.on_changed = None
        self.on_response = None  # hook(assoc) after each request handled or GBT block pushed
        self.device = None  # device.DeviceSecurity: signing key pair, certificates
        self.date_time = None  # () -> 12-byte date-time for general-ciphering responses
        b = _buffers()
        self._layers = pg.layers(b[1])  # general protection, allocated at boot
        self._block_buf = b[0]  # SET/ACTION block reassembly, one at a time
        # its owner (an association) and state: kind (1 SET, 2 ACTION, gbt.KIND; 0 none),
        # block number, length, target; of a GBT request: last block in sequence,
        # acknowledgements sent, blocks inside general protection
        self._block_owner = None
        self.blk_kind = 0
        self.blk_no = 0
        self.blk_len = 0
        self.blk_target = None
        self.rx_no = 0
        self.acks = 0
        self.rx_prot = False
        # the request being handled (one at a time): protection room in each response
        # APDU, GBT allowed for the response, protection of its GBT blocks, request
        # reassembled from GBT blocks
        self.reserve = 0
        self.gbt_ok = 0
        self.blk_wrap = 0
        self.blk_wrap_sc = 0
        self.via_gbt = False
        self._ctx = None  # general protection of the request (pg.AssocContext)
        # deciphered request (also the InitiateRequest of an AARQ or RLRQ) and plain response
        # of a protected exchange; requests are handled one at a time, so one pair serves
        # every association
        self._plain = b[1]
        self._out = b[2]
        self._init_w = b[3]

    def attach(self, objects, clients, system_title, more=None):
        """The object model and clients (built after the server's buffers at boot); more:
        further objects served on demand, more.find(ln) -> object or None, iterable."""
        objects.sort(key=_ln)  # in place: binary search, no index table to allocate
        self.objects = objects
        self.more = more
        self.model = _Model(self)
        self.clients = clients  # SAP -> ClientConfig
        self.system_title = system_title

    def find(self, ln):
        """The object with logical name ln (6 bytes), or None."""
        objs = self.objects
        lo = 0
        hi = len(objs)
        while lo < hi:
            mid = (lo + hi) >> 1
            k = objs[mid].ln
            if k < ln:
                lo = mid + 1
            elif k > ln:
                hi = mid
            else:
                return objs[mid]
        return self.more.find(ln) if self.more is not None else None

    def add(self, obj):
        """Insert an object in logical-name order."""
        objs = self.objects
        i = 0
        while i < len(objs) and objs[i].ln < obj.ln:
            i += 1
        objs.insert(i, obj)

    # ------------------------------------------------------------------ entry point
    def handle(self, a, req, w):
        """Answer one APDU. Returns False when no response is due."""
        start = w.pos
        self._ctx = None  # general protection of this request (for the GBT blocks pushed)
        try:
            if len(req) == 0:
                raise Malformed()
            tag = req[0]
            if tag == acse.AARQ:
                self._aarq(a, req, w)
            elif tag == acse.RLRQ:
                self._rlrq(a, req, w)
            else:
                self._dispatch(a, req, w)
        except secured.CounterExhausted:
            # KSMW 3.5.4: the protection fails, the counter is not incremented
            w.pos = start
            a.deferred = None
            if req[0] == acse.AARQ:
                a.reset()
                acse.write_aare(w, acse.CTX_LN_CIPHER, acse.REJECTED_PERMANENT,
                                acse.DIAG_NO_REASON)
            else:
                _exception(w, SERVICE_NOT_ALLOWED, OPERATION_NOT_POSSIBLE)
        except (Malformed, DecodeError):
            w.pos = start
            if len(req) and req[0] == acse.AARQ:
                acse.write_aare(w, acse.CTX_LN, acse.REJECTED_PERMANENT, acse.DIAG_NO_REASON,
                                provider_diag=True)
            else:
                _exception(w, SERVICE_NOT_ALLOWED, OTHER)
        a.run_deferred()  # after the response, still protected with the old keys
        if self.on_response is not None:
            self.on_response(a)
        return w.pos != start

    def _dispatch(self, a, req, w):
        """An xDLMS request APDU, also one reassembled from GBT blocks (via_gbt)."""
        tag = req[0]
        self.reserve = 0  # room the response's protection takes from the client's PDU
        self.gbt_ok = a.conformance & asn.GENERAL_BLOCK_TRANSFER
        self.blk_wrap = 0
        if tag in _SERVICES:
            if self._policy(a):
                # unprotected request in a context whose policy asks protection
                _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
            else:
                self._service(a, req, w)
        elif tag == GBT and not self.via_gbt:
            self._gbt(a, req, w, False)
        elif a.prot is not None and cipher.plain_tag(tag) in (
                GET_REQUEST, SET_REQUEST, ACTION_REQUEST):
            self._protected(a, req, w)
        elif tag in _GENERAL and a.prot is not None:
            self._general(a, req, w)
        elif tag in _GENERAL or tag == GBT or 0xC8 <= tag <= 0xD7:
            # defined but not usable here: general or service-specific protection outside a
            # ciphered context, GBT in GBT (KSMW 3.3.1) (dlms-notes 4.9)
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
        else:
            _exception(w, SERVICE_UNKNOWN, SERVICE_NOT_SUPPORTED)

    def _policy(self, a):
        """The association's security policy asks protected requests (KSMW 3.3.3)."""
        return a.prot is not None and a.client.keys.policy_sc

    def _protected_tag(self, a, t):
        return a.prot is not None and (cipher.plain_tag(t) is not None or t in _GENERAL)

    # ------------------------------------------------------------------ GBT
    def _gbt(self, a, req, w, protected):
        """general-block-transfer (dlms-notes 4.8, KSMW 3.3.1)."""
        if a.status == ASSOCIATION_PENDING:
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
        elif not a.status and not self._preestablished(a):
            _exception(w, SERVICE_NOT_ALLOWED, OPERATION_NOT_POSSIBLE)
        elif self._need(a, asn.GENERAL_BLOCK_TRANSFER, w):
            gbt.receive(self, a, req, w, protected)

    def pending(self, a):
        """More GBT blocks of the current window to stream (TCP wrapper)."""
        return gbt.pending(a)

    def push(self, a, w):
        """Write the next GBT block of the window, protected like the request that asked for
        the window (general protection), or like the response (DB/DC re-applied)."""
        g = a.gbt
        ctx = self._ctx
        if ctx is None and g.wrap not in _GENERAL:
            gbt.block(a, w, g.sent + 1)
        else:
            out = self._out
            out.pos = 0
            gbt.block(a, out, g.sent + 1)
            self.emit(a, out, w)
        if self.on_response is not None:
            self.on_response(a)

    def emit(self, a, out, w):
        """A response GBT block from out into w, in the general protection of the request
        being answered or else in the transfer's general-glo/ded-ciphering (the
        acknowledgements may come plain: gurux sends them so)."""
        plain = out.mv[: out.pos]
        if out.buf[0] == EXCEPTION_RESPONSE:
            w.raw(plain)
        elif self._ctx is not None:
            self._layers.write(self._ctx, plain, w)
        else:
            self._rewrap(a, plain, w)

    def _rewrap(self, a, plain, w):
        g = a.gbt
        p = a.prot
        keys = p.keys
        if g.wrap == general.GENERAL_DED:
            p.ded_tx += 1
            ek, ic = p.dedicated, p.ded_tx
        else:
            ek, ic = keys.ek, keys.next_tx()
        general.write_general_glo(w, g.wrap, self.system_title,
                                  secured.response_sc(keys, g.wrap_sc), ek, keys.ak, ic, plain)

    def _service(self, a, req, w):
        tag = req[0]
        if self._block_owner is a and self.blk_kind == gbt.KIND:
            a.abort_blocks()  # a new request abandons a request arriving in GBT blocks
        if a.status == ASSOCIATION_PENDING and not (
                bytes(req[:2]) == _HLS_REPLY and bytes(req[3:12]) == _HLS_REPLY_DESC):
            # only reply_to_HLS_authentication until HLS completes (dlms-notes 5.7)
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
        elif not a.status and not self._preestablished(a):
            # lost or missing association (KSMW 3.3.4)
            _exception(w, SERVICE_NOT_ALLOWED, OPERATION_NOT_POSSIBLE)
        elif tag == GET_REQUEST:
            self._get(a, Reader(req, 1), w)
        elif tag == SET_REQUEST:
            self._set(a, Reader(req, 1), w)
        elif tag == ACTION_REQUEST:
            self._action(a, Reader(req, 1), w)
        else:
            access.request(self, a, Reader(req, 1), w)

    def _preestablished(self, a):
        """Clients whose association exists without AARQ (KSMW 3.6.4 FW update client)."""
        c = self.clients.get(a.client_sap)
        if c is None or not c.preestablished or (c.ports is not None and a.port not in c.ports):
            return False
        a.client = c
        a.conformance = c.conformance & self.conformance
        a.client_max_pdu = a.server_max_pdu
        a.status = ASSOCIATED
        return True

    def _protected(self, a, req, w):
        """glo-/ded- GET/SET/ACTION: decipher, serve, answer with the same protection."""
        p = a.prot
        keys = a.client.keys
        r = Reader(req, 1)
        n = r.length()
        if n != r.left():
            raise Malformed()
        ded = cipher.is_dedicated(req[0])
        ek = p.dedicated if ded else keys.ek
        if ek is None:  # dedicated service without a dedicated key (KSMW 3.5.3)
            _exception(w, SERVICE_NOT_ALLOWED, OPERATION_NOT_POSSIBLE)
            return
        if keys.policy & (secured.POLICY_SIGN_REQ | secured.POLICY_SIGN_RESP):
            # signatures travel only in general-signing (KSMW 3.3.1)
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
            return
        try:
            sc, ic, m = cipher.unprotect(ek, keys.ak, p.client_title, req[r.pos:], self._plain)
            if ded:
                if sc & keys.policy_sc != keys.policy_sc:
                    raise cipher.SecurityError("policy")
                if ic <= p.ded_rx:
                    raise secured.ReplayError(p.ded_rx + 1)
                p.ded_rx = ic
            else:
                secured.check_rx(keys, sc, ic)
        except secured.ReplayError as e:
            self._replayed(a, w, e.expected)
            return
        except cipher.SecurityError:
            self.security_event(a, EVENT_DECRYPT)
            _exception(w, SERVICE_NOT_ALLOWED, PROTECTION_FAILED)
            return
        plain = memoryview(self._plain)[:m]
        if m == 0 or plain[0] != cipher.plain_tag(req[0]):
            raise Malformed()
        # long answers in GET blocks, each protected: GBT would need the whole response
        # ciphered before it is cut (docs/decisions.md)
        self.reserve = GLO_OVERHEAD
        self.gbt_ok = 0
        out = self._out
        out.pos = 0
        self._service(a, plain, out)
        t = out.buf[0]
        if t in (GET_RESPONSE, SET_RESPONSE, ACTION_RESPONSE):
            rt = cipher.ded_tag(t) if ded else cipher.glo_tag(t)
            ic = None
            if ded:
                p.ded_tx += 1
                ic = p.ded_tx
            secured.write_protected(w, keys, self.system_title, rt, out.mv[: out.pos], ek,
                                    secured.response_sc(keys, sc), ic)
        else:  # exception-response travels unprotected
            w.raw(out.mv[: out.pos])

    def _replayed(self, a, w, expected):
        """invocation-counter-error with the counter expected next (KSMW 3.5.4), event 50."""
        self.security_event(a, EVENT_REPLAY)
        w.u8(EXCEPTION_RESPONSE)
        w.u8(SERVICE_NOT_ALLOWED)
        w.u8(INVOCATION_COUNTER_ERROR)
        w.u32(expected)

    def _general(self, a, req, w):
        """general-glo/ded-ciphering, general-ciphering, general-signing (KSMW 3.3.1)."""
        if a.conformance & asn.GENERAL_PROTECTION == 0:
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
            return
        lay = self._layers
        ctx = pg.AssocContext(self, a)
        keys = a.client.keys
        try:
            plain = lay.open(ctx, req)
        except secured.ReplayError as e:
            self._replayed(a, w, e.expected)
            return
        except general.MalformedApdu:
            raise Malformed()
        except (general.UnsupportedKeyInfo, pg.NoDedicatedKey) as e:
            _exception(w, SERVICE_NOT_ALLOWED, OPERATION_NOT_POSSIBLE
                       if isinstance(e, pg.NoDedicatedKey) else SERVICE_NOT_SUPPORTED)
            return
        except cipher.SecurityError:
            self.security_event(a, EVENT_DECRYPT)
            _exception(w, SERVICE_NOT_ALLOWED, PROTECTION_FAILED)
            return
        if (keys.policy_sc and not ctx.ciphered) or (
                keys.policy & (secured.POLICY_SIGN_REQ | secured.POLICY_SIGN_RESP)
                and not ctx.signed):
            # the policy's protection is missing (KSMW 3.3.3, 3.5.1): as a plain request
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
            return
        if len(plain) == 0 or (plain[0] not in _SERVICES and plain[0] != GBT):
            raise Malformed()
        self._ctx = ctx
        self.reserve = pg.overhead(lay)  # each response APDU (GBT block) carries these layers
        h = lay.layers[0]
        self.blk_wrap = h.tag if lay.n == 1 and h.tag in (general.GENERAL_GLO,
                                                          general.GENERAL_DED) else 0xFF
        self.blk_wrap_sc = h.sc
        out = self._out
        out.pos = 0
        if plain[0] == GBT:
            self._gbt(a, plain, out, True)
        else:
            self._service(a, plain, out)
        if out.pos == 0:
            return  # GBT block inside the client's window: no response
        if out.buf[0] == EXCEPTION_RESPONSE:
            w.raw(out.mv[: out.pos])  # exception-response travels unprotected
        else:
            lay.write(ctx, out.mv[: out.pos], w)

    def _hls_reply(self, a, d):
        if d is None or d[0] != axdr.OCTET_STRING:
            return TYPE_UNMATCHED, None
        f = a.prot.hls_check(d[1], self.system_title)
        if f is None:
            a.status = NON_ASSOCIATED  # failed HLS: the association is not established
            self._assoc_event(a, False, acse.DIAG_AUTH_FAILURE)
            return READ_WRITE_DENIED, None
        a.status = ASSOCIATED
        self._assoc_event(a, True, 0)
        return SUCCESS, lambda w: w.octets(f)

    def _assoc_event(self, a, accepted, diag):
        if self.on_association is not None:
            self.on_association(a, accepted, diag)

    def association_ended(self, a):
        """Release, link loss or a new AARQ ended an established association."""
        if self.on_ended is not None:
            self.on_ended(a)

    def security_event(self, a, code):
        """KSMW 5.12 security events: 48 keys changed, 49 decryption failure, 50 replay."""
        if self.on_security is not None:
            self.on_security(a, code)

    # ------------------------------------------------------------------ ACSE
    def _aarq(self, a, req, w):
        if a.status != 0:
            a.reset()  # a new AARQ replaces the association of this port
        q = acse.parse_aarq(req)
        client = self.clients.get(a.client_sap)
        ciphered = q.context == acse.CTX_LN_CIPHER
        diag = acse.DIAG_NULL
        uerr = acse.INIT_OK
        ui = q.user_info
        if client is None or (client.ports is not None and a.port not in client.ports):
            diag = acse.DIAG_NO_REASON  # unknown client, or not on this interface (KSMW 3.6)
        elif q.context != client.context:
            diag = acse.DIAG_CONTEXT_NOT_SUPPORTED  # KSMW 3.3.3 Table 5
        elif not client.accepts(q.mechanism):
            diag = (acse.DIAG_MECH_REQUIRED if q.mechanism == 0
                    else acse.DIAG_MECH_NOT_RECOGNISED)
        elif q.mechanism == 1 and q.auth_value != client.secret:
            diag = acse.DIAG_AUTH_FAILURE
        elif q.mechanism >= 2 and not (
                q.auth_value and (32 if q.mechanism == 7 else 8) <= len(q.auth_value) <= 64):
            diag = acse.DIAG_AUTH_FAILURE  # CtoS challenge length (Green Book 9.2.7.4)
        elif ciphered and (q.calling_title is None or len(q.calling_title) != 8):
            diag = DIAG_CALLING_TITLE
        elif ciphered:
            try:
                buf = memoryview(self._plain)[:INITIATE_MAX]
                ui = buf[:secured.open_initiate(client.keys, q.calling_title, ui, buf)]
            except (cipher.SecurityError, DecodeError) as e:
                self.security_event(
                    a, EVENT_REPLAY if isinstance(e, secured.ReplayError) else EVENT_DECRYPT)
                diag = acse.DIAG_NO_REASON
                uerr = -1  # no user-information on a refused ciphered AARQ
        if diag == acse.DIAG_NULL:
            if ui is None or len(ui) == 0 or ui[0] != 0x01:
                diag = acse.DIAG_NO_REASON
                uerr = -1
            else:
                acse.parse_initiate_request(q, ui)
                uerr = q.initiate_error
                neg = q.conformance & self.conformance
                if uerr == acse.INIT_OK and neg == 0:
                    uerr = acse.INIT_INCOMPATIBLE_CONFORMANCE
                if uerr != acse.INIT_OK:
                    diag = acse.DIAG_NO_REASON
        ctx = q.context if q.context and q.context > 0 else acse.CTX_LN
        if diag != acse.DIAG_NULL:
            rej = None
            if uerr > 0:  # ConfirmedServiceError initiateError/initiate/<reason> (dlms-notes 3.9)
                rej = bytes((0x0E, 0x01, 0x06, uerr))
            acse.write_aare(w, ctx, acse.REJECTED_PERMANENT, diag, rej)
            self._assoc_event(a, False, diag)
            return
        a.client = client
        a.conformance = q.conformance & self.conformance
        a.client_max_pdu = q.max_pdu
        a.mechanism = q.mechanism
        a.client_title = q.calling_title
        hls = q.mechanism >= 2
        a.status = ASSOCIATION_PENDING if hls else ASSOCIATED
        conf = a.conformance
        init = self._initiate_response(conf, a.server_max_pdu)
        if ciphered:
            a.prot = secured.Protection(client.keys, q.calling_title, q.auth_value,
                                        q.mechanism, client.secret, self.device)
            a.prot.dedicated = q.dedicated_key
            client.keys.client_title = q.calling_title
            keys = client.keys
            title = self.system_title
            user = lambda w2: secured.write_protected(  # noqa: E731
                w2, keys, title, secured.GLO_INITIATE_RESPONSE, init)
        else:
            user = init
        acse.write_aare(w, ctx, acse.ACCEPTED,
                        acse.DIAG_AUTH_REQUIRED if hls else acse.DIAG_NULL, user,
                        mechanism=q.mechanism if hls else None,
                        stoc=a.prot.stoc if hls and a.prot else None,
                        # responding-AP-title also for the public client (KSMW 11.3)
                        server_title=self.system_title if ciphered or q.calling_title else None,
                        certificate=self._certificate() if q.calling_ae_qualifier else None)
        if not hls:
            self._assoc_event(a, True, 0)

    def _certificate(self):
        """The meter's signing certificate (DER) for responding-AE-qualifier, or None."""
        d = self.device
        return d.certs.slots.get("server") if d is not None and d.certs is not None else None

    def _initiate_response(self, conformance, max_pdu):
        w = self._init_w
        w.pos = 0
        acse.write_initiate_response(w, conformance, max_pdu)
        return bytes(w.mv[: w.pos])

    def _rlrq(self, a, req, w):
        _reason, ui = acse.parse_release(req)
        conf = a.conformance
        p = a.prot
        a.reset()
        if ui is None:
            acse.write_rlre(w)
            return
        init = self._initiate_response(conf, asn.MAX_PDU)
        if p is not None and len(ui) and ui[0] == secured.GLO_INITIATE_REQUEST:
            # KSMW 3.3.3 Table 5: ciphered InitiateRequest answered ciphered
            try:
                secured.open_initiate(p.keys, p.client_title, ui,
                                      memoryview(self._plain)[:INITIATE_MAX])
            except (cipher.SecurityError, DecodeError):
                acse.write_rlre(w)
                return
            keys = p.keys
            title = self.system_title
            acse.write_rlre(w, lambda w2: secured.write_protected(
                w2, keys, title, secured.GLO_INITIATE_RESPONSE, init))
        else:  # KSMW 3.3.3: user-information answered when present
            acse.write_rlre(w, lambda w2: w2.raw(init))

    # ------------------------------------------------------------------ helpers
    def _need(self, a, bits, w):
        if a.conformance & bits == bits:
            return True
        _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
        return False

    def _descriptor(self, r):
        cid = r.u16()
        ln = bytes(r.take(6))
        idx = r.num(">b", 1)
        return cid, ln, idx

    def _selection(self, r):
        if r.u8():
            sel = r.u8()
            return sel, r.data()
        return None

    def _resolve(self, a, cid, ln, idx, need):
        """-> (object, 0) or (None, Data-Access-Result) for an attribute access."""
        o = self.find(ln)
        if o is None or not a.client.role.visible(o):
            return None, OBJECT_UNDEFINED
        if o.CLASS_ID != cid:
            return None, OBJECT_CLASS_INCONSISTENT
        if idx == 0 and need == READ:
            if a.conformance & asn.ATTR0_GET == 0:
                return None, READ_WRITE_DENIED
            return o, SUCCESS
        if idx not in o.ATTRS:
            return None, OBJECT_UNDEFINED
        if a.attr_access(o, idx) & need == 0:
            return None, READ_WRITE_DENIED
        return o, SUCCESS

    def _resolve_method(self, a, cid, ln, m):
        o = self.find(ln)
        if o is None or not a.client.role.visible(o):
            return None, OBJECT_UNDEFINED
        if o.CLASS_ID != cid:
            return None, OBJECT_CLASS_INCONSISTENT
        if m not in o.METHODS:
            return None, OBJECT_UNDEFINED
        if not a.method_access(o, m):
            return None, READ_WRITE_DENIED
        return o, SUCCESS

    def _read_into(self, a, o, idx, sel, w):
        """Start encoding an attribute value into w: -> 0 (written), a result code, or a
        generator that writes the rest."""
        if sel is not None:
            fn = getattr(o, "get_selected", None)
            if fn is None:
                return SCOPE_OF_ACCESS_VIOLATED
            return fn(idx, sel[0], sel[1], w, a)
        if idx == 0:
            return get_all(o, w, a)
        return o.get(idx, w, a)

    # ------------------------------------------------------------------ GET
    def _get(self, a, r, w):
        kind = r.u8()
        iid = r.u8()
        if kind == 1:
            if not self._need(a, asn.GET, w):
                return
            cid, ln, idx = self._descriptor(r)
            sel = self._selection(r)
            if r.left():
                raise Malformed()
            if sel is not None and not self._need(a, asn.SELECTIVE_ACCESS, w):
                return
            a.abort_blocks()
            o, dar = self._resolve(a, cid, ln, idx, READ)
            if o is not None:
                a.stream.pos = 0
                dar = self._read_into(a, o, idx, sel, a.stream)
            if isinstance(dar, int):
                if dar:
                    a.stream.pos = 0
                    self._get_result(w, 1, iid, dar)
                    return
                a.gen = None
            else:
                a.gen = dar
            self.respond(a, w, bytes((GET_RESPONSE, 1, iid, 0)), 1)
        elif kind == 3:
            if not self._need(a, asn.GET | asn.MULTIPLE_REFERENCES, w):
                return
            n = r.length()
            if n == 0 or n > MAX_LIST:
                raise Malformed()
            items = []
            for _ in range(n):
                cid, ln, idx = self._descriptor(r)
                items.append((cid, ln, idx, self._selection(r)))
            if r.left():
                raise Malformed()
            a.abort_blocks()
            a.gen = self._with_list(a, items, a.stream)
            self.respond(a, w, bytes((GET_RESPONSE, 3, iid)), 3)
        elif kind == 2:
            block = r.u32()
            if r.left():
                raise Malformed()
            if not self._one_mechanism(a, w) or not self._need(a, asn.BLOCK_GET, w):
                return
            if not a.gbt.long_get:
                self._block_error(w, iid, block, NO_LONG_GET_IN_PROGRESS)
            elif block != a.gbt.block_no:
                a.abort_blocks()
                self._block_error(w, iid, block, DATA_BLOCK_NUMBER_INVALID)
            else:
                self._next_block(a, w, iid)
        else:
            _exception(w, SERVICE_UNKNOWN, SERVICE_NOT_SUPPORTED)

    def _with_list(self, a, items, s):
        s.length(len(items))
        for cid, ln, idx, sel in items:
            o, dar = self._resolve(a, cid, ln, idx, READ)
            if o is not None and sel is not None and a.conformance & asn.SELECTIVE_ACCESS == 0:
                o, dar = None, SCOPE_OF_ACCESS_VIOLATED
            if o is not None:
                mark = s.pos
                s.u8(0)  # Get-Data-Result: data
                dar = self._read_into(a, o, idx, sel, s)
                if not isinstance(dar, int):
                    yield from dar
                    dar = 0
                elif dar:
                    s.pos = mark
            if dar:
                s.u8(1)
                s.u8(dar)
            yield

    def _get_result(self, w, kind, iid, dar):
        w.u8(GET_RESPONSE)
        w.u8(kind)
        w.u8(iid)
        w.u8(1)
        w.u8(dar)

    def _block_error(self, w, iid, block, dar):
        # get-response-with-datablock carrying a data-access-result (dlms-notes 4.2)
        w.u8(GET_RESPONSE)
        w.u8(2)
        w.u8(iid)
        w.u8(1)
        w.u32(block)
        w.u8(1)
        w.u8(dar)

    def _fill(self, a, limit):
        """Run the value generator until the stream holds more than `limit` bytes."""
        s = a.stream
        while a.gen is not None and s.pos <= limit:
            try:
                next(a.gen)
            except StopIteration:
                a.gen = None

    def respond(self, a, w, hdr, kind):
        """Send the response APDU hdr + a.stream (+ what a.gen still writes): in one APDU when
        it fits the client's max PDU, else in GBT blocks when negotiated and the protection
        allows (KSMW 3.3.1), else GET data blocks (kind 1 get-normal, 3 get-with-list; 0 for
        ACCESS, which has none)."""
        room = a.max_response() - self.reserve
        s = a.stream
        n = len(hdr)
        try:
            self._fill(a, room - n)
        except (ValueError, IndexError):
            self._too_long(a, w, hdr, kind)
            return
        if a.gen is None and s.pos + n <= room:
            w.raw(hdr)
            w.raw(s.mv[: s.pos])
            s.pos = 0
            return
        if self.gbt_ok:
            if s.pos + n > len(s.buf):
                self._too_long(a, w, hdr, kind)
                return
            s.mv[n:s.pos + n] = s.mv[: s.pos]  # the APDU header goes first
            s.mv[:n] = hdr
            s.pos += n
            gbt.start(a, w, room, self.blk_wrap, self.blk_wrap_sc)
            return
        if kind == 0 or a.conformance & asn.BLOCK_GET == 0:
            self._too_long(a, w, hdr, kind)  # too long and no block transfer negotiated
            return
        g = a.gbt
        g.long_get = True
        g.block_no = 0
        self._next_block(a, w, hdr[2])

    def _too_long(self, a, w, hdr, kind):
        a.abort_blocks()
        if kind == 1:
            self._get_result(w, 1, hdr[2], OTHER_REASON)
        else:
            _exception(w, SERVICE_NOT_ALLOWED, PDU_TOO_LONG)

    def _one_mechanism(self, a, w):
        """KSMW 3.3.1: no service-specific block transfer inside GBT."""
        if self.via_gbt:
            _exception(w, SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED)
            return False
        return True

    def _next_block(self, a, w, iid):
        payload = a.max_response() - self.reserve - BLOCK_HDR
        s = a.stream
        try:
            self._fill(a, payload)
        except (ValueError, IndexError):
            block = a.gbt.block_no + 1
            a.abort_blocks()
            self._block_error(w, iid, block, LONG_GET_ABORTED)
            return
        n = s.pos if s.pos < payload else payload
        last = a.gen is None and n == s.pos
        g = a.gbt
        g.block_no += 1
        w.u8(GET_RESPONSE)
        w.u8(2)
        w.u8(iid)
        w.u8(1 if last else 0)
        w.u32(g.block_no)
        w.u8(0)  # raw-data
        w.length(n)
        w.raw(s.mv[:n])
        rest = s.pos - n
        if rest:
            s.mv[:rest] = s.mv[n:s.pos]
        s.pos = rest
        if last:
            a.abort_blocks()

    # ------------------------------------------------------------------ block reassembly
    def _block_start(self, a, kind, target):
        """Claim the server's one reassembly buffer (allocated at boot: no heap churn)."""
        if self._block_owner is not None and self._block_owner is not a and self.blk_kind:
            return False  # another association is mid-transfer
        self._block_owner = a
        self.blk_kind = kind
        self.blk_no = 0
        self.blk_len = 0
        self.blk_target = target
        return True

    def _block_add(self, a, r):
        """DataBlock-SA: last-block, block-number, raw-data. -> (last, block, ok)."""
        last = r.u8()
        block = r.u32()
        n = r.length()
        data = r.take(n)
        if r.left():
            raise Malformed()
        if block != self.blk_no + 1:
            return last, block, DATA_BLOCK_NUMBER_INVALID
        end = self.blk_len + n
        if end > len(self._block_buf):
            return last, block, OTHER_REASON
        self._block_buf[self.blk_len:end] = data
        self.blk_len = end
        self.blk_no = block
        return last, block, SUCCESS

    def _block_value(self, a):
        r = Reader(memoryview(self._block_buf), 0, self.blk_len)
        d = r.data()
        if r.left():
            raise DecodeError("trailing")
        return d

    def _block_done(self, a):
        if self._block_owner is a:
            self._block_owner = None
            self.blk_kind = 0
            self.blk_target = None

    # ------------------------------------------------------------------ SET
    def _set(self, a, r, w):
        kind = r.u8()
        iid = r.u8()
        if kind == 1:
            if not self._need(a, asn.SET, w):
                return
            cid, ln, idx = self._descriptor(r)
            sel = self._selection(r)
            d = r.data()
            if r.left():
                raise Malformed()
            self._set_result(w, 1, iid, self._write(a, cid, ln, idx, sel, d))
        elif kind == 2:
            if not self._one_mechanism(a, w) or not self._need(a, asn.SET | asn.BLOCK_SET, w):
                return
            cid, ln, idx = self._descriptor(r)
            sel = self._selection(r)
            if not self._block_start(a, _KIND_SET, (cid, ln, idx, sel)):
                self._set_last(w, iid, TEMPORARY_FAILURE, 1)
                return
            self._set_block(a, r, w, iid)
        elif kind == 3:
            if not self._one_mechanism(a, w) or not self._need(a, asn.SET | asn.BLOCK_SET, w):
                return
            if self._block_owner is not a or self.blk_kind != _KIND_SET:
                last, block = r.u8(), r.u32()
                self._set_last(w, iid, NO_LONG_SET_IN_PROGRESS, block)
                return
            self._set_block(a, r, w, iid)
        elif kind == 4:
            if not self._need(a, asn.SET | asn.MULTIPLE_REFERENCES, w):
                return
            n = r.length()
            if n == 0 or n > MAX_LIST:
                raise Malformed()
            descs = []
            for _ in range(n):
                cid, ln, idx = self._descriptor(r)
                descs.append((cid, ln, idx, self._selection(r)))
            if r.length() != n:
                raise Malformed()
            values = [r.data() for _ in range(n)]
            if r.left():
                raise Malformed()
            w.u8(SET_RESPONSE)
            w.u8(5)
            w.u8(iid)
            w.length(n)
            for i in range(n):
                cid, ln, idx, sel = descs[i]
                w.u8(self._write(a, cid, ln, idx, sel, values[i]))
        else:
            _exception(w, SERVICE_UNKNOWN, SERVICE_NOT_SUPPORTED)

    def _set_block(self, a, r, w, iid):
        last, block, res = self._block_add(a, r)
        if res:
            self._block_done(a)
            self._set_last(w, iid, LONG_SET_ABORTED if res == OTHER_REASON else res, block)
            return
        if not last:  # set-response-datablock acknowledges the block
            w.u8(SET_RESPONSE)
            w.u8(2)
            w.u8(iid)
            w.u32(block)
            return
        cid, ln, idx, sel = self.blk_target
        try:
            d = self._block_value(a)
            res = self._write(a, cid, ln, idx, sel, d)
        except DecodeError:
            res = OTHER_REASON
        self._block_done(a)
        self._set_last(w, iid, res, block)

    def _set_last(self, w, iid, res, block):
        w.u8(SET_RESPONSE)
        w.u8(3)
        w.u8(iid)
        w.u8(res)
        w.u32(block)

    def _set_result(self, w, kind, iid, res):
        w.u8(SET_RESPONSE)
        w.u8(kind)
        w.u8(iid)
        w.u8(res)

    def _write(self, a, cid, ln, idx, sel, d):
        if sel is not None:
            return SCOPE_OF_ACCESS_VIOLATED
        if idx == 0:
            return READ_WRITE_DENIED  # attribute0-supported-with-set is not offered
        o, dar = self._resolve(a, cid, ln, idx, WRITE)
        if o is None:
            return dar
        dar = o.set(idx, d, a)
        if dar == SUCCESS and self.on_changed is not None:
            self.on_changed(a, 1, cid, ln, idx)
        return dar

    # ------------------------------------------------------------------ ACTION
    def _action(self, a, r, w):
        kind = r.u8()
        iid = r.u8()
        if kind == 1:
            if not self._need(a, asn.ACTION, w):
                return
            cid, ln, m = self._descriptor(r)
            d = r.data() if r.u8() else None
            if r.left():
                raise Malformed()
            self._invoke(a, w, iid, cid, ln, m, d)
        elif kind == 4:
            if not self._one_mechanism(a, w) or not self._need(
                    a, asn.ACTION | asn.BLOCK_ACTION, w):
                return
            cid, ln, m = self._descriptor(r)
            if not self._block_start(a, _KIND_ACTION, (cid, ln, m)):
                self._action_result(w, iid, TEMPORARY_FAILURE)
                return
            self._action_block(a, r, w, iid)
        elif kind == 6:
            if not self._one_mechanism(a, w) or not self._need(
                    a, asn.ACTION | asn.BLOCK_ACTION, w):
                return
            if self._block_owner is not a or self.blk_kind != _KIND_ACTION:
                self._action_result(w, iid, 16)  # no-long-action-in-progress
                return
            self._action_block(a, r, w, iid)
        elif kind == 2:
            # action-request-next-pblock: return data always fits one PDU here
            if self._one_mechanism(a, w):
                self._action_result(w, iid, 16)
        elif kind == 3:
            if not self._need(a, asn.ACTION | asn.MULTIPLE_REFERENCES, w):
                return
            n = r.length()
            if n == 0 or n > MAX_LIST:
                raise Malformed()
            descs = [self._descriptor(r) for _ in range(n)]
            if r.length() != n:
                raise Malformed()
            params = [r.data() for _ in range(n)]
            if r.left():
                raise Malformed()
            w.u8(ACTION_RESPONSE)
            w.u8(3)
            w.u8(iid)
            w.length(n)
            for i in range(n):
                cid, ln, m = descs[i]
                d = params[i]
                self._invoke_body(a, w, cid, ln, m, None if d[0] == 0 else d)
        else:
            _exception(w, SERVICE_UNKNOWN, SERVICE_NOT_SUPPORTED)

    def _action_block(self, a, r, w, iid):
        last, block, res = self._block_add(a, r)
        if res:
            self._block_done(a)
            self._action_result(w, iid, 15)  # long-action-aborted
            return
        if not last:  # action-response-next-pblock asks for the following block
            w.u8(ACTION_RESPONSE)
            w.u8(4)
            w.u8(iid)
            w.u32(block)
            return
        cid, ln, m = self.blk_target
        try:
            d = self._block_value(a)
        except DecodeError:
            self._block_done(a)
            self._action_result(w, iid, OTHER_REASON)
            return
        self._block_done(a)
        self._invoke(a, w, iid, cid, ln, m, None if d[0] == 0 else d)

    def _action_result(self, w, iid, res):
        w.u8(ACTION_RESPONSE)
        w.u8(1)
        w.u8(iid)
        w.u8(res)
        w.u8(0)

    def _invoke(self, a, w, iid, cid, ln, m, d):
        w.u8(ACTION_RESPONSE)
        w.u8(1)
        w.u8(iid)
        self._invoke_body(a, w, cid, ln, m, d)

    def _invoke_body(self, a, w, cid, ln, m, d):
        """Action-Response-With-Optional-Data: result, return-parameters OPTIONAL."""
        o, res = self._resolve_method(a, cid, ln, m)
        ret = None
        if o is not None:
            res, ret = o.action(m, d, a)
            if res == SUCCESS and self.on_changed is not None:
                self.on_changed(a, 2, cid, ln, m)
        w.u8(res)
        if ret is None:
            w.u8(0)
            return
        mark = w.pos
        try:
            w.u8(1)
            w.u8(0)  # Get-Data-Result: data
            ret(w)
        except (ValueError, IndexError):  # return data larger than one PDU
            w.pos = mark - 1
            w.u8(OTHER_REASON)
            w.u8(0)

