# SPDX-License-Identifier: MIT
"""General protection APDUs (Green Book 9.2.7.2.4, 9.2.7.3; KSMW 3.3.1; dlms-notes 5.3-5.6):
general-glo/ded-ciphering (DB/DC), general-ciphering (DD) and general-signing (DF).

Sans-IO. parse_* read one received APDU into a Header (memoryviews into the APDU; the fields
a response needs are copied into the Header's own storage). open_*/verify_* remove one layer
into a caller buffer; write_* append one layer to an axdr.Writer. Layers removes nested
layers in any order and wraps the response in the same layers, same order (GB 9.2.7.3).

Sign + cipher (KSMW 3.3.1 "the digital signature is applied first", GB 9.2.7.3): the sender
signs the plain APDU, then ciphers the general-signing APDU, so a request both signed and
ciphered is DD|DB|DC{ DF{ APDU } }, and so is the response. DF{ DD|DB|DC{ APDU } } (cipher
then sign, e.g. a third party signing) is opened too and mirrored.

Every failure is a GeneralError (a cipher.SecurityError); the subclass tells the cause and
`service_error` is the suggested EXCEPTION-Response service-error (dlms-notes 4.9).
"""
from micropython import const

from dlms.apdu.axdr import DecodeError, Reader, Writer
from dlms.security import cipher, ecc, gcm
from dlms.security.cipher import SC_AUTH, SC_COMPRESSED, SC_ENC, TAG_LEN, SecurityError

GENERAL_GLO = const(0xDB)
GENERAL_DED = const(0xDC)
GENERAL_CIPHERING = const(0xDD)
GENERAL_SIGNING = const(0xDF)

# Key-Info CHOICE (GB 9.5; dlms-notes 5.5)
KEY_IDENTIFIED = const(0)
KEY_WRAPPED = const(1)
KEY_AGREED = const(2)
GUEK = const(0)  # key-id: global unicast encryption key
GBEK = const(1)  # key-id: global broadcast encryption key
MASTER_KEY = const(0)  # kek-id

TITLE_LEN = const(8)
DATE_TIME_LEN = const(12)
SIG_LEN = const(64)  # P-256 r||s (suite 1)
MAX_TID = const(64)
MAX_HDR = const(255)  # transaction-id .. other-information, length bytes included
MAX_WRAPPED = const(40)  # RFC 3394 wrap of a 256-bit key
MAX_LAYERS = const(3)
MAX_APDU = cipher.MAX_APDU

_NOT_SUPPORTED = const(2)
_OTHER = const(3)
_DECIPHERING = const(5)
_NO_BROADCAST = const(0xBF)

_digest = bytearray(32)


class GeneralError(SecurityError):
    """Base of the codec's errors."""
    service_error = _DECIPHERING


class DecipheringError(GeneralError):
    """Tag, key or key-unwrap check failed, or no key for the layer."""


class WrongRecipient(GeneralError):
    """recipient-system-title is not this server (GB 9.2.7.3)."""


class WrongOriginator(GeneralError):
    """Sender title not accepted for this association (Context.check)."""


class UnsupportedKeyInfo(GeneralError):
    """agreed-key (KSMW 3.3.1.1), an unknown kek-id or key-id, or no key-info."""
    service_error = _NOT_SUPPORTED


class MalformedApdu(GeneralError):
    """Bad tag, length, CHOICE or field size."""
    service_error = _OTHER


class InvalidSignature(GeneralError):
    """general-signing signature does not verify (or has no key to verify with)."""


class Header:
    """One general protection layer as received."""

    def __init__(self):
        self._tid = bytearray(MAX_TID)
        self._orig = bytearray(TITLE_LEN)
        self._kd = bytearray(MAX_WRAPPED)
        self._key = bytearray(32)
        self.clear()

    def clear(self):
        self.tag = 0
        self.tid = None  # kept: transaction-id (DD/DF)
        self.originator = None  # kept: sender's system title (all kinds)
        self.recipient = None
        self.date_time = None
        self.has_dt = False  # kept
        self.other = None
        self.hdr = None  # DD/DF: transaction-id .. other-information (the AAD part)
        self.key_info = None  # kept: None (absent), KEY_IDENTIFIED, KEY_WRAPPED, KEY_AGREED
        self.key_id = 0  # kept: key-id, kek-id or agreed key-parameters
        self.key_data = None  # kept when wrapped: key-ciphered-data
        self.content = None  # DB/DC/DD: SC IC payload [T]; DF: the signed APDU
        self.signature = None
        self.signed = None  # DF: the bytes the signature covers
        self.sc = 0
        self.ic = 0
        self.ek = None  # content key once opened (kept)


def _keep(buf, v):
    n = len(v)
    if n > len(buf):
        raise MalformedApdu("field")
    buf[:n] = v
    return memoryview(buf)[:n]


def _octets(r):
    return r.take(r.length())


def _title(r):
    v = _octets(r)
    if len(v) != TITLE_LEN:
        raise MalformedApdu("system title")
    return v


def _start(apdu, h, tag):
    if h is None:
        h = Header()
    else:
        h.clear()
    r = Reader(memoryview(apdu))
    h.tag = r.u8()
    if h.tag != tag and not (tag == GENERAL_GLO and h.tag == GENERAL_DED):
        raise MalformedApdu("tag")
    return h, r


def _fields(h, r):
    # transaction-id .. other-information, each length || value (GB Figure 84/85)
    h0 = r.pos
    h.tid = _keep(h._tid, _octets(r))
    h.originator = _keep(h._orig, _title(r))
    h.recipient = _title(r)
    h.date_time = _octets(r)
    n = len(h.date_time)
    if n != 0 and n != DATE_TIME_LEN:
        raise MalformedApdu("date-time")
    h.has_dt = n != 0
    h.other = _octets(r)
    if r.pos - h0 > MAX_HDR:
        raise MalformedApdu("header")
    h.hdr = r.mv[h0:r.pos]


def _end(r):
    if r.pos != r.end:
        raise MalformedApdu("trailing")


def _content(h, r):
    c = _octets(r)
    _end(r)
    if len(c) < 5:
        raise MalformedApdu("content")
    h.content = c
    h.sc = c[0]
    h.ic = (c[1] << 24) | (c[2] << 16) | (c[3] << 8) | c[4]


def parse_general_glo(apdu, h=None):
    """DB/DC: tag | system-title | ciphered-content (dlms-notes 5.3). Returns the Header with
    tag, originator (sender's title), sc, ic and content (SC IC payload T)."""
    try:
        h, r = _start(apdu, h, GENERAL_GLO)
        h.originator = _keep(h._orig, _title(r))
        _content(h, r)
    except DecodeError:
        raise MalformedApdu("truncated")
    return h


def parse_general_ciphering(apdu, h=None):
    """DD (GB 9.2.7.2.4.8; dlms-notes 5.5). agreed-key parses (key_data, key_id = key-parameters)
    but is refused when opened."""
    try:
        h, r = _start(apdu, h, GENERAL_CIPHERING)
        _fields(h, r)
        opt = r.u8()  # key-info OPTIONAL
        if opt == 1:
            kind = r.u8()
            if kind == KEY_IDENTIFIED:
                h.key_id = r.u8()
            elif kind == KEY_WRAPPED:
                h.key_id = r.u8()
                kd = _octets(r)
                h.key_data = _keep(h._kd, kd) if len(kd) <= MAX_WRAPPED else kd
            elif kind == KEY_AGREED:
                p = _octets(r)
                h.key_id = p[0] if len(p) == 1 else -1
                h.key_data = _octets(r)
            else:
                raise MalformedApdu("key-info")
            h.key_info = kind
        elif opt != 0:
            raise MalformedApdu("key-info")
        _content(h, r)
    except DecodeError:
        raise MalformedApdu("truncated")
    return h


def parse_general_signing(apdu, h=None):
    """DF (GB 9.2.7.2.5; dlms-notes 5.6): content is the signed APDU, signed covers
    transaction-id .. content with their lengths."""
    try:
        h, r = _start(apdu, h, GENERAL_SIGNING)
        _fields(h, r)
        h.content = _octets(r)
        h.signed = r.mv[1:r.pos]
        h.signature = _octets(r)
        _end(r)
    except DecodeError:
        raise MalformedApdu("truncated")
    return h


# ---------------------------------------------------------------- opening


def open_general_glo(h, ek, ak, out):
    """Decipher a parsed DB/DC layer into out (not overlapping the APDU) -> (sc, ic, n)."""
    if ek is None:
        raise DecipheringError("no key")
    if len(h.content) - 5 > min(len(out), MAX_APDU):
        raise MalformedApdu("too long")
    try:
        sc, ic, n = cipher.unprotect(ek, ak, h.originator, h.content, out)
    except SecurityError as e:
        raise DecipheringError(e.args[0] if e.args else "")
    h.ek = ek
    return sc, ic, n


def content_key(h, resolve, kek):
    """EK of a parsed DD layer from its key-info (KSMW 3.3.1.1; dlms-notes 5.5, 5.8).
    resolve(key_id) -> key or None; key_id is None when key-info is absent."""
    ki = h.key_info
    if ki == KEY_WRAPPED:
        if h.key_id != MASTER_KEY or kek is None:
            raise UnsupportedKeyInfo("kek-id")
        n = len(h.key_data) - 8
        if n != 16 and n != 32:
            raise DecipheringError("wrapped key")
        k = memoryview(h._key)[:n]
        if not gcm.aes_unwrap(kek, h.key_data, k):  # RFC 3394 2.2.3 integrity check
            raise DecipheringError("unwrap")
        h.ek = k
    elif ki == KEY_AGREED:
        raise UnsupportedKeyInfo("agreed-key")  # KSMW 3.3.1.1
    else:
        ek = resolve(h.key_id if ki == KEY_IDENTIFIED else None) if resolve else None
        if ek is None:
            raise UnsupportedKeyInfo("key-id")
        h.ek = ek
    return h.ek


def _unseal(ek, ak, hdr, title, content, out):
    sc = content[0]
    n = len(content) - 5 - (TAG_LEN if sc & SC_AUTH else 0)
    if n > len(out) or (sc & SC_AUTH and not sc & SC_ENC
                        and 1 + len(ak) + len(hdr) + n > len(cipher._aad)):
        raise MalformedApdu("too long")
    if sc & (SC_AUTH | SC_ENC) == 0 and n >= 0 and not sc & SC_COMPRESSED:
        # no protection: a layer kept for another party (GB 9.2.7.3 example 2)
        out[:n] = content[5:5 + n]
        ic = (content[1] << 24) | (content[2] << 16) | (content[3] << 8) | content[4]
        return sc, ic, n
    try:
        return cipher.unprotect(ek, ak, title, content, out, hdr)
    except SecurityError as e:
        raise DecipheringError(e.args[0] if e.args else "")


def open_general_ciphering(h, server_title, ak, resolve, kek, out, allow_clear=False):
    """Check the recipient, find the content key and decipher a parsed DD layer into out
    (not overlapping the APDU) -> (sc, ic, n). SC without A and E is refused unless
    allow_clear."""
    if not cipher.equal(h.recipient, server_title):
        raise WrongRecipient("recipient-system-title")
    ek = None
    if h.sc & (SC_AUTH | SC_ENC):
        ek = content_key(h, resolve, kek)
    elif not allow_clear:
        raise DecipheringError("no protection")
    return _unseal(ek, ak, h.hdr, h.originator, h.content, out)


def verify_general_signing(h, server_title, pub):
    """Check the recipient and the ECDSA P-256 signature of a parsed DF layer over SHA-256 of
    transaction-id .. content (dlms-notes 5.6) -> the signed content (memoryview)."""
    if not cipher.equal(h.recipient, server_title):
        raise WrongRecipient("recipient-system-title")
    if pub is None or len(h.signature) != SIG_LEN:
        raise InvalidSignature("signature")
    ecc.sha256(h.signed, _digest)
    if not ecc.verify(pub, _digest, h.signature):
        raise InvalidSignature("signature")
    return h.content


# ---------------------------------------------------------------- writing


def _alen(n):
    return 1 if n < 0x80 else (2 if n < 0x100 else 3)


def _field(n):
    return _alen(n) + n


def _room(w, n):
    if w.pos + n > len(w.buf):
        raise ValueError("overflow")


def _put(w, v):
    w.length(len(v))
    w.raw(v)


def _check_fields(originator, recipient, date_time):
    if len(originator) != TITLE_LEN or len(recipient) != TITLE_LEN:
        raise ValueError("system title")
    if len(date_time) not in (0, DATE_TIME_LEN):
        raise ValueError("date-time")


def _fields_len(tid, date_time, other):
    return _field(len(tid)) + 2 * (1 + TITLE_LEN) + _field(len(date_time)) + _field(len(other))


def _put_fields(w, tid, originator, recipient, date_time, other):
    h0 = w.pos
    _put(w, tid)
    _put(w, originator)
    _put(w, recipient)
    _put(w, date_time)
    _put(w, other)
    return w.mv[h0:w.pos]


def write_general_glo(w, tag, title, sc, ek, ak, ic, plain):
    """Append tag | 08 title | length | SC IC payload [T] (dlms-notes 5.3) to w."""
    if tag != GENERAL_GLO and tag != GENERAL_DED:
        raise ValueError("tag")
    if len(title) != TITLE_LEN or not sc & (SC_AUTH | SC_ENC):
        raise ValueError("title or security control")
    c = 5 + len(plain) + (TAG_LEN if sc & SC_AUTH else 0)
    _room(w, 2 + TITLE_LEN + _field(c))
    w.u8(tag)
    _put(w, title)
    w.length(c)
    w.pos = cipher.protect(sc, ek, ak, title, ic, plain, w.buf, w.pos)


def _seal(sc, ek, ak, hdr, title, ic, apdu, out, off):
    if sc & (SC_AUTH | SC_ENC):
        return cipher.protect(sc, ek, ak, title, ic, apdu, out, off, hdr)
    n = len(apdu)  # a clear layer (general-ciphering only): SC IC payload
    out[off] = sc
    out[off + 1] = (ic >> 24) & 0xFF
    out[off + 2] = (ic >> 16) & 0xFF
    out[off + 3] = (ic >> 8) & 0xFF
    out[off + 4] = ic & 0xFF
    memoryview(out)[off + 5:off + 5 + n] = apdu
    return off + 5 + n


def write_general_ciphering(w, tid, originator, recipient, date_time, other, key_info, key_id,
                            key_data, sc, ek, ak, ic, plain):
    """Append a DD APDU to w. key_info: None, KEY_IDENTIFIED (key_id) or KEY_WRAPPED (key_id =
    kek-id, key_data = wrapped key). SC's key-set bit is cleared (GB Table 39 note 1)."""
    _check_fields(originator, recipient, date_time)
    sc &= _NO_BROADCAST
    if key_info is None:
        ki = 1
    elif key_info == KEY_IDENTIFIED:
        ki = 3
    elif key_info == KEY_WRAPPED:
        ki = 3 + _field(len(key_data))
    else:
        raise ValueError("key-info")
    c = 5 + len(plain) + (TAG_LEN if sc & SC_AUTH else 0)
    _room(w, 1 + _fields_len(tid, date_time, other) + ki + _field(c))
    w.u8(GENERAL_CIPHERING)
    hdr = _put_fields(w, tid, originator, recipient, date_time, other)
    if key_info is None:
        w.u8(0)
    else:
        w.u8(1)
        w.u8(key_info)
        w.u8(key_id)
        if key_info == KEY_WRAPPED:
            _put(w, key_data)
    w.length(c)
    w.pos = _seal(sc, ek, ak, hdr, originator, ic, plain, w.buf, w.pos)


def _response_dt(req, date_time):
    # KSMW 3.3.1.1/3.3.1.2: date-time in the response iff the request had one
    if not req.has_dt:
        return b""
    if len(date_time) != DATE_TIME_LEN:
        raise ValueError("date-time required")
    return date_time


def write_ciphering_response(w, req, server_title, sc, ak, ic, plain, date_time=b""):
    """DD response to an opened DD request (KSMW 3.3.1.1): same transaction-id, originator =
    server, recipient = request originator, other-information empty, same key-info and
    content key (a wrapped key is repeated, see Layers)."""
    write_general_ciphering(w, req.tid, server_title, req.originator,
                            _response_dt(req, date_time), b"", req.key_info, req.key_id,
                            req.key_data, sc, req.ek, ak, ic, plain)


def write_general_signing(w, tid, originator, recipient, date_time, other, content, priv):
    """Append a DF APDU to w, signed with the P-256 private key priv (32 bytes) over
    SHA-256 of transaction-id .. content (dlms-notes 5.6)."""
    _check_fields(originator, recipient, date_time)
    _room(w, 1 + _fields_len(tid, date_time, other) + _field(len(content)) + 1 + SIG_LEN)
    w.u8(GENERAL_SIGNING)
    s0 = w.pos
    _put_fields(w, tid, originator, recipient, date_time, other)
    _put(w, content)
    ecc.sha256(w.mv[s0:w.pos], _digest)
    w.u8(SIG_LEN)
    ecc.sign(priv, _digest, w.mv[w.pos:w.pos + SIG_LEN])
    w.pos += SIG_LEN


def write_signing_response(w, req, server_title, priv, content, date_time=b""):
    """DF response to a verified DF request (KSMW 3.3.1.2)."""
    write_general_signing(w, req.tid, server_title, req.originator,
                          _response_dt(req, date_time), b"", content, priv)


# ---------------------------------------------------------------- layers


class Context:
    """What Layers needs from the association; the server sets the attributes or overrides
    the methods (counters, policy, clock)."""

    def __init__(self, server_title, ak, ek=None, dedicated=None, kek=None, client_title=None,
                 verify_key=None, sign_key=None, allow_clear=False):
        self.server_title = server_title
        self.ak = ak
        self.ek = ek  # GUEK
        self.dedicated = dedicated
        self.kek = kek  # master key
        self.client_title = client_title  # None: any originator
        self.verify_key = verify_key  # client's public signing key (X||Y)
        self.sign_key = sign_key  # server's private signing key
        self.allow_clear = allow_clear
        self.ic = 0
        self.now = b""  # 12-byte date-time for responses to requests that carry one

    def check(self, h):
        """Before any crypto: is the sender acceptable?"""
        if self.client_title is not None and not cipher.equal(h.originator, self.client_title):
            raise WrongOriginator("originator")

    def glo_key(self, tag):
        return self.ek if tag == GENERAL_GLO else self.dedicated

    def key(self, key_id):
        """identified-key resolver; key_id None: key-info absent (not used by KSMW)."""
        return self.ek if key_id == GUEK else None

    def public_key(self, h):
        return self.verify_key

    def accepted(self, h):
        """After a layer is opened: policy and replay checks (raise to refuse)."""

    def next_ic(self, h):
        self.ic += 1
        return self.ic

    def response_sc(self, h):
        return h.sc  # same protection back (GB 9.2.7.3 rule 1)

    def date_time(self):
        return self.now


class Layers:
    """Removes the general protection layers of a request and wraps the response in the same
    layers (GB 9.2.7.3). Two scratch buffers (given or allocated once) take the deciphered
    layers in turn; nothing is allocated in proportion to the APDU.

    A wrapped-key DD request is answered with the same content key and the same key-info
    (kek-id and key-ciphered-data repeated): key-info tells the recipient which key the
    originator used (KSMW 3.3.1.1), so the client can open the response without keeping
    the key per transaction-id; RFC 3394 is deterministic, so the repeated bytes are what
    wrapping the key again would give; and no random key has to be drawn per response.
    """

    def __init__(self, size=MAX_APDU, bufs=None, depth=MAX_LAYERS):
        a, b = bufs if bufs is not None else (bytearray(size), bytearray(size))
        self._w = (Writer(a), Writer(b))
        self.layers = [Header() for _ in range(depth)]
        self.n = 0

    def open(self, ctx, apdu):
        """Remove every DB/DC/DD/DF layer, outermost first -> memoryview of the inner APDU
        (the APDU itself when it has no general protection). self.layers[:self.n] keep the
        layers; the inner APDU may live in a scratch buffer until write()."""
        self.n = 0
        src = memoryview(apdu)
        k = 0
        while len(src) and src[0] in (GENERAL_GLO, GENERAL_DED, GENERAL_CIPHERING,
                                      GENERAL_SIGNING):
            if self.n == len(self.layers):
                raise MalformedApdu("too many layers")
            h = self.layers[self.n]
            tag = src[0]
            if tag == GENERAL_SIGNING:
                parse_general_signing(src, h)
                ctx.check(h)
                src = verify_general_signing(h, ctx.server_title, ctx.public_key(h))
            else:
                out = self._w[k].buf  # not the buffer src lies in
                k ^= 1
                if tag == GENERAL_CIPHERING:
                    parse_general_ciphering(src, h)
                    ctx.check(h)
                    m = open_general_ciphering(h, ctx.server_title, ctx.ak, ctx.key, ctx.kek,
                                               out, ctx.allow_clear)[2]
                else:
                    parse_general_glo(src, h)
                    ctx.check(h)
                    m = open_general_glo(h, ctx.glo_key(tag), ctx.ak, out)[2]
                src = memoryview(out)[:m]
            self.n += 1
            ctx.accepted(h)
        return src

    def write(self, ctx, plain, w):
        """Append plain wrapped in the opened layers (innermost first) to w. plain must not
        lie in the scratch buffers."""
        if self.n == 0:
            w.raw(plain)
            return
        src = plain
        k = 0
        for i in range(self.n - 1, -1, -1):
            h = self.layers[i]
            if i == 0:
                t = w
            else:
                t = self._w[k]
                k ^= 1
                t.pos = 0
            start = t.pos
            if h.tag == GENERAL_SIGNING:
                write_signing_response(t, h, ctx.server_title, ctx.sign_key, src,
                                       ctx.date_time() if h.has_dt else b"")
            else:
                sc = ctx.response_sc(h)
                ic = ctx.next_ic(h) if sc & (SC_AUTH | SC_ENC) else 0
                if h.tag == GENERAL_CIPHERING:
                    write_ciphering_response(t, h, ctx.server_title, sc, ctx.ak, ic, src,
                                             ctx.date_time() if h.has_dt else b"")
                else:
                    write_general_glo(t, h.tag, ctx.server_title, sc, h.ek, ctx.ak, ic, src)
            src = t.mv[start:t.pos]
