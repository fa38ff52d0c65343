# SPDX-License-Identifier: MIT
"""A raw DLMS client over the IEC 62056-47 TCP wrapper whose only cryptography is the
`cryptography` package: the independent oracle for the meter's security (KSMW 3.3.1, 3.5,
3.6, Appendix 11). Every APDU is built here byte by byte from the layouts of
/work/shared/docs/dlms-notes.md (3 ACSE, 4 xDLMS, 5 security, 8 wrapper); nothing is
imported from firmware/.

- Wire: one TCP connection, 8-byte wrapper header (version 1, source wPort = client SAP,
  destination wPort = 1, length), answers checked for swapped ports and exact length.
- A-XDR Data encoder/decoder, GET/SET/ACTION request builders and response parser.
- AARQ builder / AARE parser (BER), InitiateRequest with an optional dedicated key.
- Protection (dlms-notes 5.2-5.6): glo-/ded- service APDUs, general-glo/ded-ciphering (DB,
  DC), general-ciphering (DD, identified / wrapped / agreed key-info) and general-signing
  (DF), each with a parser that checks the answer; AES-GCM with the tag cut to 12 bytes,
  RFC 3394 key wrap, ECDSA P-256 with raw r||s, ECDH, SHA-256, HMAC.
- Target / Session: the meter under test with its test provisioning (per-client keys,
  master key, build/pki) and per-client invocation counters; one Session is one
  association, with HLS-7 (ECDSA) or HLS-5 (GMAC) establishment.
"""
import datetime
import hashlib
import hmac
import json
import os
import socket
import struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                              encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKI_DIR = os.path.join(ROOT, "build", "pki")

# ------------------------------------------------------------------ test provisioning
# (firmware/meterapp/clients.py, restated here, never imported)
PUBLIC, MANAGEMENT, READOUT, FW_UPDATE, PLC = 16, 1, 2, 3, 4
MASTER_KEY = b"KFM-test-master!"
SERVER_SAP = 1


def guek(sap):
    return bytes(((sap << 4) | i) & 0xFF for i in range(16))


def gak(sap):
    return bytes(b ^ 0xFF for b in guek(sap))


# SC bytes (dlms-notes 5.1): A 0x10, E 0x20, suite id in bits 0-3
SC_A, SC_E = 0x10, 0x20
SC_AE1 = 0x31  # authenticated and encrypted, suite 1 (the LAN clients, KSMW 3.6.2)
TAG_LEN = 12

# conformance (dlms-notes 3.6)
GENERAL_PROTECTION = 0x400000
BASE_CONFORMANCE = 0x007E1F  # priority, attr0-get, block get/set/action, multi, get, set,
# selective access, event-notification, action (the Green Book example proposal)
MAX_PDU = 1224

# exception-response (dlms-notes 4.9)
EXC_NOT_SUPPORTED = b"\xd8\x01\x02"
EXC_DECIPHERING = b"\xd8\x01\x01"  # KSMW 3.5.3: operation-not-possible
EXC_NO_ASSOCIATION = b"\xd8\x01\x01"

# results (dlms-notes 4.5)
SUCCESS, READ_WRITE_DENIED, OBJECT_UNDEFINED, TYPE_UNMATCHED, OTHER_REASON = 0, 3, 4, 12, 250

ECDSA = ec.ECDSA(hashes.SHA256())
KDF_ALG_ID = bytes.fromhex("60857405080300")  # Gurux form, dlms-notes 5.9 / open point 1


# ------------------------------------------------------------------ A-XDR
def alen(n):
    """A-XDR length (dlms-notes 1.2)."""
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xFF])


def octets(v):
    return alen(len(v)) + bytes(v)


def obis(s):
    """'a-b:c.d.e.f' -> 6 bytes."""
    a, rest = s.split("-")
    b, rest = rest.split(":")
    return bytes([int(a), int(b)] + [int(x) for x in rest.split(".")])


# Data encoders (dlms-notes 1.3)
NULL = b"\x00"


def d_octets(v):
    return b"\x09" + octets(v)


def d_enum(v):
    return bytes([0x16, v])


def d_u8(v):
    return bytes([0x11, v])


def d_u16(v):
    return b"\x12" + struct.pack(">H", v)


def d_u32(v):
    return b"\x06" + struct.pack(">I", v)


def d_struct(*items):
    return b"\x02" + alen(len(items)) + b"".join(items)


def d_array(items):
    items = list(items)
    return b"\x01" + alen(len(items)) + b"".join(items)


_FIXED = {3: 1, 5: 4, 6: 4, 13: 1, 15: 1, 16: 2, 17: 1, 18: 2, 20: 8, 21: 8, 22: 1,
          23: 4, 24: 8, 25: 12, 26: 5, 27: 4}
_SIGNED = (5, 15, 16, 20)


class Reader:
    def __init__(self, b, pos=0):
        self.b = bytes(b)
        self.p = pos

    def left(self):
        return len(self.b) - self.p

    def u8(self):
        assert self.p < len(self.b), "truncated: %s" % self.b.hex()
        self.p += 1
        return self.b[self.p - 1]

    def take(self, n):
        assert self.p + n <= len(self.b), "truncated: %s" % self.b.hex()
        self.p += n
        return self.b[self.p - n:self.p]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def length(self):
        n = self.u8()
        if n & 0x80:
            k = n & 0x7F
            assert k in (1, 2, 4), "length form %02x" % n
            n = int.from_bytes(self.take(k), "big")
        return n

    def octets(self):
        return self.take(self.length())

    def data(self):
        """One Data -> (tag, value); arrays/structures hold lists of (tag, value)."""
        t = self.u8()
        if t == 0:
            return (0, None)
        if t in (1, 2):
            return (t, [self.data() for _ in range(self.length())])
        if t == 4:
            nbits = self.length()
            return (t, (nbits, self.take((nbits + 7) // 8)))
        if t in (9, 10, 12):
            return (t, self.octets())
        if t in _FIXED:
            raw = self.take(_FIXED[t])
            if t == 3:
                return (t, raw[0] != 0)
            if t in (23, 24, 25, 26, 27):
                return (t, raw)
            return (t, int.from_bytes(raw, "big", signed=t in _SIGNED))
        raise AssertionError("data tag %d unknown" % t)


def plain(d):
    """(tag, value) Data -> Python value (lists for arrays and structures)."""
    t, v = d
    if t in (1, 2):
        return [plain(x) for x in v]
    return v


def decode_data(b):
    r = Reader(b)
    d = r.data()
    assert r.left() == 0, "trailing bytes after Data: %s" % b.hex()
    return d


# ------------------------------------------------------------------ xDLMS LN services
def descriptor(cid, ln, idx):
    return struct.pack(">H", cid) + obis(ln) + bytes([idx & 0xFF])


def get_request(cid, ln, attr, iid=0xC1):
    return bytes([0xC0, 0x01, iid]) + descriptor(cid, ln, attr) + b"\x00"


def get_next(block, iid=0xC1):
    return bytes([0xC0, 0x02, iid]) + struct.pack(">I", block)


def set_request(cid, ln, attr, value, iid=0xC1):
    return bytes([0xC1, 0x01, iid]) + descriptor(cid, ln, attr) + b"\x00" + value


def action_request(cid, ln, method, param=None, iid=0xC1):
    return (bytes([0xC3, 0x01, iid]) + descriptor(cid, ln, method)
            + (b"\x01" + param if param is not None else b"\x00"))


class Response:
    """A plain xDLMS response APDU, parsed (dlms-notes 4.2-4.4, 4.9)."""

    def __init__(self, apdu):
        self.apdu = bytes(apdu)
        r = Reader(apdu)
        self.tag = r.u8()
        self.kind = self.iid = self.result = self.data = None
        self.block = self.last = None
        if self.tag == 0xD8:
            self.result = ("exception", r.u8(), r.u8())
            self.expected_ic = r.u32() if r.left() == 4 else None
            return
        self.kind, self.iid = r.u8(), r.u8()
        if self.tag == 0xC4 and self.kind == 1:
            if r.u8() == 0:
                self.result = SUCCESS
                self.data = r.data()
            else:
                self.result = r.u8()
        elif self.tag == 0xC4 and self.kind == 2:
            self.last, self.block = r.u8(), r.u32()
            if r.u8() == 0:
                self.result = SUCCESS
                self.data = r.octets()  # raw-data
            else:
                self.result = r.u8()
        elif self.tag == 0xC5 and self.kind == 1:
            self.result = r.u8()
        elif self.tag == 0xC7 and self.kind == 1:
            self.result = r.u8()
            if r.u8():
                if r.u8() == 0:
                    self.data = r.data()
                else:
                    self.data = ("dar", r.u8())
        else:
            raise AssertionError("unexpected response %s" % self.apdu.hex())
        assert r.left() == 0, "trailing bytes in %s" % self.apdu.hex()

    @property
    def exception(self):
        return self.tag == 0xD8

    @property
    def value(self):
        return plain(self.data)

    def __repr__(self):
        return "Response(%s)" % self.apdu.hex(" ")


# ------------------------------------------------------------------ ACSE (BER)
def ber_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xFF])


def ber(tag, v):
    return bytes([tag]) + ber_len(len(v)) + bytes(v)


def initiate_request(conformance, max_pdu=MAX_PDU, dedicated=None):
    """xDLMS InitiateRequest (dlms-notes 3.5)."""
    return (b"\x01" + (b"\x01" + octets(dedicated) if dedicated else b"\x00") + b"\x00\x00\x06"
            + b"\x5f\x1f\x04\x00" + conformance.to_bytes(3, "big") + struct.pack(">H", max_pdu))


def aarq(context, user_info, mechanism=0, calling_title=None, ctos=None, ae_qualifier=None):
    """AARQ (dlms-notes 3.2): LN context 1 or 3 (ciphered), mechanism 0 (omitted) or 1-7."""
    body = ber(0xA1, b"\x06\x07\x60\x85\x74\x05\x08\x01" + bytes([context]))
    if calling_title is not None:
        body += ber(0xA6, ber(0x04, calling_title))
    if ae_qualifier is not None:
        body += ber(0xA7, ber(0x04, ae_qualifier))
    if mechanism:
        body += b"\x8a\x02\x07\x80" + b"\x8b\x07\x60\x85\x74\x05\x08\x02" + bytes([mechanism])
    if ctos is not None:
        body += ber(0xAC, ber(0x80, ctos))
    body += ber(0xBE, ber(0x04, user_info))
    return ber(0x60, body)


def ber_fields(apdu):
    """Top-level elements of an AARE/RLRE -> {tag: value}; checks the outer length."""
    r = Reader(apdu)
    r.u8()
    n = _ber_len(r)
    assert n == r.left(), "BER length %d vs %d bytes: %s" % (n, r.left(), apdu.hex())
    out = {}
    while r.left():
        t = r.u8()
        out[t] = r.take(_ber_len(r))
    return out


def _ber_len(r):
    n = r.u8()
    if n & 0x80:
        n = int.from_bytes(r.take(n & 0x7F), "big")
    return n


class Aare:
    """AARE fields (dlms-notes 3.3)."""

    def __init__(self, apdu):
        assert apdu[0] == 0x61, "not an AARE: %s" % apdu.hex()
        self.apdu = bytes(apdu)
        f = ber_fields(apdu)
        self.fields = f
        ctx = f[0xA1]
        assert ctx[:8] == b"\x06\x07\x60\x85\x74\x05\x08\x01" and len(ctx) == 9, ctx.hex()
        self.context = ctx[8]
        res = f[0xA2]
        assert res[:2] == b"\x02\x01" and len(res) == 3, res.hex()
        self.result = res[2]
        diag = f[0xA3]  # A1|A2 03 02 01 dd
        self.source = {0xA1: "user", 0xA2: "provider"}[diag[0]]
        assert diag[1:4] == b"\x03\x02\x01", diag.hex()
        self.diag = diag[4]
        t = f.get(0xA4)
        self.server_title = None
        if t is not None:
            assert t[0] == 0x04 and t[1] == len(t) - 2, t.hex()
            self.server_title = t[2:]
        m = f.get(0x89)
        self.mechanism = m[6] if m else 0
        if m:
            assert m[:6] == b"\x60\x85\x74\x05\x08\x02", m.hex()
        a = f.get(0xAA)
        self.stoc = None
        if a is not None:
            assert a[0] == 0x80 and a[1] == len(a) - 2, a.hex()
            self.stoc = a[2:]
        self.ae_qualifier = f.get(0xA5) or f.get(0xA7)
        ui = f.get(0xBE)
        self.user_info = None
        if ui is not None:
            r = Reader(ui)
            assert r.u8() == 0x04
            n = _ber_len(r)
            assert n == r.left(), ui.hex()
            self.user_info = r.take(n)


def parse_initiate_response(b):
    """-> (negotiated conformance, server max PDU) of an InitiateResponse (dlms-notes 3.5)."""
    r = Reader(b)
    assert r.u8() == 0x08, b.hex()
    if r.u8():
        r.u8()  # negotiated QoS
    assert r.u8() == 6, "dlms version"
    assert r.take(4) == b"\x5f\x1f\x04\x00", b.hex()
    conf = int.from_bytes(r.take(3), "big")
    pdu = r.u16()
    assert r.take(2) == b"\x00\x07", "vaa-name"
    assert r.left() == 0
    return conf, pdu


# ------------------------------------------------------------------ symmetric protection
def protect(sc, ek, ak, title, ic, apdu, header=b""):
    """SC || IC || payload [|| T] (dlms-notes 5.4; header = general-ciphering AAD fields)."""
    iv = title + struct.pack(">I", ic)
    a = bytes([sc]) + ak + header
    if sc & 0x30 == 0x30:
        body = AESGCM(ek).encrypt(iv, apdu, a)[:-4]  # tag cut to 12 bytes
    elif sc & SC_E:
        body = AESGCM(ek).encrypt(iv, apdu, b"")[:-16]  # CTR part only, no tag
    elif sc & SC_A:
        body = apdu + AESGCM(ek).encrypt(iv, b"", a + apdu)[:TAG_LEN]
    else:
        body = apdu
    return bytes([sc]) + struct.pack(">I", ic) + body


def _gctr(ek, iv, data):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    d = Cipher(algorithms.AES(ek), modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor()
    return d.update(data) + d.finalize()


def unprotect(ek, ak, title, content, header=b""):
    """Check and decipher SC || IC || payload [|| T] -> (sc, ic, APDU); raises InvalidTag."""
    sc, ic = content[0], struct.unpack(">I", content[1:5])[0]
    iv = title + content[1:5]
    a = bytes([sc]) + ak + header
    body = content[5:]
    if sc & SC_A:
        body, tag = body[:-TAG_LEN], body[-TAG_LEN:]
    if sc & 0x30 == 0x30:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        d = Cipher(algorithms.AES(ek), modes.GCM(iv, tag, min_tag_length=TAG_LEN)).decryptor()
        d.authenticate_additional_data(a)
        return sc, ic, d.update(body) + d.finalize()
    if sc & SC_E:
        return sc, ic, _gctr(ek, iv, body)
    if sc & SC_A:
        if not hmac.compare_digest(AESGCM(ek).encrypt(iv, b"", a + body)[:TAG_LEN], tag):
            raise InvalidTag()
    return sc, ic, body


# glo-/ded- tags of the LN services (dlms-notes 5.2)
GLO = {0xC0: 0xC8, 0xC1: 0xC9, 0xC3: 0xCB, 0xC4: 0xCC, 0xC5: 0xCD, 0xC7: 0xCF, 0x01: 0x21,
       0x08: 0x28}
DED = {0xC0: 0xD0, 0xC1: 0xD1, 0xC3: 0xD3, 0xC4: 0xD4, 0xC5: 0xD5, 0xC7: 0xD7, 0x01: 0x41,
       0x08: 0x48}


def service_apdu(tag, content):
    return bytes([tag]) + octets(content)


def read_service_apdu(apdu):
    r = Reader(apdu)
    tag = r.u8()
    content = r.octets()
    assert r.left() == 0, apdu.hex()
    return tag, content


def general_glo(tag, title, content):
    """DB/DC (dlms-notes 5.3): tag | 08 title | ciphered-content."""
    return bytes([tag]) + octets(title) + octets(content)


def read_general_glo(apdu):
    r = Reader(apdu)
    tag = r.u8()
    title = r.octets()
    content = r.octets()
    assert r.left() == 0, apdu.hex()
    return tag, title, content


def general_header(tid, originator, recipient, date_time=b"", other=b""):
    return octets(tid) + octets(originator) + octets(recipient) + octets(date_time) + octets(other)


def key_info_identified(key_id=0):
    return bytes([1, 0, key_id])


def key_info_wrapped(wrapped, kek_id=0):
    return bytes([1, 1, kek_id]) + octets(wrapped)


def key_info_agreed(params, data):
    return bytes([1, 2]) + octets(bytes([params])) + octets(data)


def general_ciphering(tid, originator, recipient, key_info, sc, ek, ak, ic, apdu,
                      date_time=b"", other=b""):
    """DD (dlms-notes 5.5); the AAD holds the five header fields with their lengths."""
    hdr = general_header(tid, originator, recipient, date_time, other)
    return b"\xdd" + hdr + key_info + octets(protect(sc, ek, ak, originator, ic, apdu, hdr))


class GeneralCiphering:
    """A received DD, parsed; open(ek, ak) checks the tag and deciphers."""

    def __init__(self, apdu):
        r = Reader(apdu)
        assert r.u8() == 0xDD, apdu.hex()
        self.tid = r.octets()
        self.originator = r.octets()
        self.recipient = r.octets()
        self.date_time = r.octets()
        self.other = r.octets()
        self.header = apdu[1:r.p]
        self.key_info = None
        if r.u8():
            kind = r.u8()
            if kind == 0:
                self.key_info = (0, r.u8(), None)
            elif kind == 1:
                self.key_info = (1, r.u8(), r.octets())
            else:
                self.key_info = (2, r.octets(), r.octets())
        self.content = r.octets()
        assert r.left() == 0, apdu.hex()
        self.sc = self.content[0]
        self.ic = struct.unpack(">I", self.content[1:5])[0]

    def open(self, ek, ak):
        return unprotect(ek, ak, self.originator, self.content, self.header)[2]


def general_signing(tid, originator, recipient, content, priv, date_time=b"", other=b""):
    """DF (dlms-notes 5.6): ECDSA P-256 r||s over transaction-id .. content (with lengths)."""
    signed = general_header(tid, originator, recipient, date_time, other) + octets(content)
    return b"\xdf" + signed + octets(sign_raw(priv, signed))


class GeneralSigning:
    def __init__(self, apdu):
        r = Reader(apdu)
        assert r.u8() == 0xDF, apdu.hex()
        self.tid = r.octets()
        self.originator = r.octets()
        self.recipient = r.octets()
        self.date_time = r.octets()
        self.other = r.octets()
        self.content = r.octets()
        self.signed = apdu[1:r.p]
        self.signature = r.octets()
        assert r.left() == 0, apdu.hex()

    def verify(self, pub):
        """True when the signature verifies with the public key `pub`."""
        return verify_raw(pub, self.signed, self.signature)


# ------------------------------------------------------------------ asymmetric helpers
def key_from_raw(b):
    return ec.derive_private_key(int.from_bytes(b, "big"), ec.SECP256R1())


def raw_pub(pub):
    n = pub.public_numbers()
    return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def pub_from_raw(xy):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + bytes(xy))


def sign_raw(priv, msg):
    r, s = decode_dss_signature(priv.sign(bytes(msg), ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_raw(pub, msg, sig):
    if len(sig) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        pub.verify(der, bytes(msg), ECDSA)
        return True
    except InvalidSignature:
        return False


def ecdh_z(priv, peer_xy):
    return priv.exchange(ec.ECDH(), pub_from_raw(peer_xy))


def kdf(z, party_u, party_v, alg_id=KDF_ALG_ID):
    """NIST SP 800-56A concatenation KDF, one SHA-256 pass, 16 bytes (dlms-notes 5.9)."""
    return hashlib.sha256(b"\x00\x00\x00\x01" + z + alg_id + party_u + party_v).digest()[:16]


def hmac_sha256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def cosem_now():
    """12-byte COSEM date-time of now (UTC, deviation 0, dlms-notes 1.5)."""
    t = datetime.datetime.now(datetime.timezone.utc)
    return (struct.pack(">H", t.year) + bytes([t.month, t.day, t.isoweekday(), t.hour,
                                               t.minute, t.second, t.microsecond // 10000])
            + b"\x00\x00\x00")


def serial_bytes(n):
    """Content octets of a positive DER INTEGER (what Security setup attribute 6 lists)."""
    return n.to_bytes(n.bit_length() // 8 + 1, "big")


# ------------------------------------------------------------------ test PKI
class Pki:
    """tools/provision.py output: certificates (cryptography objects) and raw private keys."""

    def __init__(self, d=PKI_DIR):
        self.dir = d
        with open(os.path.join(d, "index.json")) as f:
            self.index = json.load(f)
        self.der = {}
        self.cert = {}
        self.key = {}
        for name, e in self.index["certificates"].items():
            with open(os.path.join(d, e["der"]), "rb") as f:
                self.der[name] = f.read()
            self.cert[name] = x509.load_der_x509_certificate(self.der[name])
            with open(os.path.join(d, e["key"]), "rb") as f:
                self.key[name] = key_from_raw(f.read())
        self.meter_title = bytes.fromhex(self.index["meter_system_title"])

    def title(self, name):
        return bytes.fromhex(self.index["certificates"][name]["system_title"])

    def pub(self, name):
        return self.cert[name].public_key()


# ------------------------------------------------------------------ transport
class Wire:
    """One TCP connection carrying IEC 62056-47 WPDUs (dlms-notes 8)."""

    def __init__(self, port, sap, host="127.0.0.1", timeout=15):
        self.sap = sap
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.trace = []

    def _exact(self, n):
        b = b""
        while len(b) < n:
            k = self.sock.recv(n - len(b))
            if not k:
                raise ConnectionError("meter closed the connection")
            b += k
        return b

    def send(self, apdu):
        apdu = bytes(apdu)
        self.trace.append((">>", apdu))
        self.sock.sendall(struct.pack(">HHHH", 1, self.sap, SERVER_SAP, len(apdu)) + apdu)
        ver, src, dst, n = struct.unpack(">HHHH", self._exact(8))
        assert (ver, src, dst) == (1, SERVER_SAP, self.sap), "wrapper header %d %d %d" % (
            ver, src, dst)
        out = self._exact(n)
        self.trace.append(("<<", out))
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------ meter and sessions
class Target:
    """The meter under test: its TCP port, the PKI and this client side's security state
    per client SAP (current global keys, last invocation counters used and seen)."""

    def __init__(self, port, pki=None):
        self.port = port
        self.pki = pki or Pki()
        self.server_title = self.pki.meter_title
        self.meter_pub = self.pki.pub("meter")  # the meter's current signing key
        self.keys = {s: (guek(s), gak(s)) for s in (MANAGEMENT, READOUT, PLC)}
        self.ic = {s: 0 for s in self.keys}  # last client IC sent under the global key
        self.accepted = {s: 0 for s in self.keys}  # last client IC the meter accepted
        self.server_ic = {s: 0 for s in self.keys}  # last server IC seen

    def client_key(self, sap):
        return self.pki.key[{MANAGEMENT: "client1", READOUT: "client2", PLC: "client4"}[sap]]

    def client_title(self, sap):
        return self.pki.title({MANAGEMENT: "client1", READOUT: "client2", PLC: "client4"}[sap])

    def keys_changed(self, sap, ek=None, ak=None):
        """Keys installed by key_transfer/key_agreement; a new GUEK restarts the counters
        (KSMW 3.5.4)."""
        old_ek, old_ak = self.keys[sap]
        self.keys[sap] = (ek or old_ek, ak or old_ak)
        if ek is not None:
            self.ic[sap] = self.accepted[sap] = self.server_ic[sap] = 0

    def session(self, sap, **kw):
        return Session(self, sap, **kw)

    def hls7(self, sap=MANAGEMENT, **kw):
        s = Session(self, sap, **{k: v for k, v in kw.items()
                                   if k in ("title", "ek", "ak")})
        s.associate_hls7(**{k: v for k, v in kw.items() if k not in ("title", "ek", "ak")})
        return s

    def public(self, title=None):
        """Public client association (lowest security); title -> calling-AP-title."""
        s = Session(self, PUBLIC, title=title)
        s.aare = Aare(s.wire.send(aarq(1, initiate_request(BASE_CONFORMANCE),
                                       calling_title=title)))
        assert s.aare.result == 0, s.aare.apdu.hex()
        return s

    def read_frame_counter(self, sap, title=b"KFMTEST!", challenge=None):
        """KSMW Appendix 11 with the public client; the HMAC is checked here.
        -> (frame counter, response structure)."""
        challenge = challenge or os.urandom(64)
        s = self.public(title)
        try:
            assert s.aare.server_title == self.server_title, "responding-AP-title (KSMW 11.3)"
            r = s.plain(action_request(12544, "0-0:43.1.%d.255" % sap, 1, d_octets(challenge)))
            assert r.result == SUCCESS, r
            (t1, mac), (t2, fc) = r.data[1]
            assert r.data[0] == 2 and (t1, t2) == (9, 6) and len(mac) == 32, r
            want = hmac_sha256(self.keys[sap][1], self.server_title + title + challenge
                               + struct.pack(">I", fc))
            assert hmac.compare_digest(mac, want), "frame counter HMAC"
            return fc
        finally:
            s.close()

    def sync(self, sap):
        """Resynchronise the client counter from the meter (KSMW 3.5.4, Appendix 11)."""
        fc = self.read_frame_counter(sap)
        self.ic[sap] = max(self.ic[sap], fc)
        self.accepted[sap] = fc
        return fc


class Session:
    """One association of one client over its own TCP connection."""

    def __init__(self, target, sap, title=None, ek=None, ak=None):
        self.t = target
        self.sap = sap
        self.wire = Wire(target.port, sap)
        self.title = title if title is not None else (
            target.client_title(sap) if sap in target.keys else None)
        keys = target.keys.get(sap, (None, None))
        self.ek = ek or keys[0]
        self.ak = ak or keys[1]
        self.custom_keys = ek is not None or ak is not None
        self.dedicated = None
        self.ded_ic = 0
        self.ded_server_ic = 0
        self.aare = None
        self.conformance = None
        self.stoc = self.ctos = None

    def close(self):
        self.wire.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---------------------------------------------------------------- counters
    def next_ic(self):
        self.t.ic[self.sap] += 1
        return self.t.ic[self.sap]

    def server_ic_seen(self, ic, dedicated=False):
        """Server invocation counters strictly increase (KSMW 3.5.4)."""
        if dedicated:
            assert ic > self.ded_server_ic, "server ded IC %d after %d" % (ic, self.ded_server_ic)
            self.ded_server_ic = ic
        elif not self.custom_keys:
            last = self.t.server_ic[self.sap]
            assert ic > last, "server IC %d after %d" % (ic, last)
            self.t.server_ic[self.sap] = ic

    def accepted(self, ic):
        if not self.custom_keys:
            self.t.accepted[self.sap] = max(self.t.accepted[self.sap], ic)

    # ---------------------------------------------------------------- association
    def associate_hls7(self, conformance=BASE_CONFORMANCE, dedicated=None, sign_key=None,
                       f_stoc=None, meter_pub=None, ae_qualifier=None, expect_ok=True):
        """KSMW 3.6.2: ciphered context, HLS-7. Pass 3 f(StoC) = ECDSA(ST_C||ST_S||StoC||CtoS)
        in a glo-action; pass 4 f(CtoS) checked with the meter's key over
        ST_S||ST_C||CtoS||StoC. Returns the pass-4 Response (result and data)."""
        self.aarq_ciphered(7, conformance, dedicated, ae_qualifier=ae_qualifier,
                           ctos=os.urandom(32))
        a = self.aare
        assert (a.result, a.source, a.diag) == (0, "user", 14), a.apdu.hex()
        assert a.mechanism == 7 and len(a.stoc) == 32, a.apdu.hex()
        if f_stoc is None:
            f_stoc = sign_raw(sign_key or self.t.client_key(self.sap),
                              self.title + a.server_title + a.stoc + self.ctos)
        r = self.glo(action_request(15, "0-0:40.0.0.255", 1, d_octets(f_stoc)))
        self.pass4 = r
        if expect_ok:
            assert r.result == SUCCESS, r
            t, f_ctos = r.data
            assert t == 9 and len(f_ctos) == 64, r
            assert verify_raw(meter_pub or self.t.meter_pub,
                              a.server_title + self.title + self.ctos + a.stoc, f_ctos), \
                "f(CtoS) does not verify with the meter's signing key"
        return r

    def associate_hls5(self, conformance=BASE_CONFORMANCE):
        """HLS-5 (GMAC) in the ciphered context, dlms-notes 5.7 and 6.4."""
        self.aarq_ciphered(5, conformance, None, ctos=os.urandom(16))
        a = self.aare
        assert (a.result, a.diag, a.mechanism) == (0, 14, 5), a.apdu.hex()
        ic = self.next_ic()
        sc = 0x10 | 0x01
        tag = AESGCM(self.ek).encrypt(self.title + struct.pack(">I", ic), b"",
                                      bytes([sc]) + self.ak + a.stoc)[:TAG_LEN]
        f = bytes([sc]) + struct.pack(">I", ic) + tag
        before = self.t.server_ic[self.sap]
        r = self.glo(action_request(15, "0-0:40.0.0.255", 1, d_octets(f)))
        assert r.result == SUCCESS, r
        t, f_ctos = r.data
        assert t == 9 and len(f_ctos) == 17 and f_ctos[0] == sc, r
        ic_s = struct.unpack(">I", f_ctos[1:5])[0]
        want = AESGCM(self.ek).encrypt(a.server_title + f_ctos[1:5], b"",
                                       bytes([sc]) + self.ak + self.ctos)[:TAG_LEN]
        assert hmac.compare_digest(f_ctos[5:], want), "HLS-5 f(CtoS)"
        # f(CtoS) and the glo-action response each take a fresh server counter (KSMW 3.5.4
        # HLS-5 rules); f(CtoS) is computed first
        assert before < ic_s < r.ic, (before, ic_s, r.ic)
        return r

    def aarq_ciphered(self, mechanism, conformance, dedicated, ctos, sc=SC_AE1,
                      ae_qualifier=None, context=3):
        self.ctos = ctos
        self.dedicated = dedicated
        ic = self.next_ic()
        ui = service_apdu(0x21, protect(sc, self.ek, self.ak, self.title, ic,
                                        initiate_request(conformance, dedicated=dedicated)))
        raw = self.wire.send(aarq(context, ui, mechanism, self.title, ctos, ae_qualifier))
        a = self.aare = Aare(raw)
        if a.result == 0:
            self.accepted(ic)
            assert a.server_title == self.t.server_title, "responding-AP-title"
            tag, content = read_service_apdu(a.user_info)
            assert tag == 0x28, "glo-initiateResponse expected: %s" % a.user_info.hex()
            rsc, ric, init = unprotect(self.ek, self.ak, a.server_title, content)
            assert rsc == sc, "AARE SC %02x" % rsc
            self.server_ic_seen(ric)
            self.conformance, self.server_max_pdu = parse_initiate_response(init)
        return a

    # ---------------------------------------------------------------- exchanges
    def send(self, apdu):
        return self.wire.send(apdu)

    def plain(self, apdu):
        return Response(self.send(apdu))

    def glo(self, apdu, sc=SC_AE1, ek=None, ak=None, ic=None):
        """glo- service APDU; answer deciphered (exception-responses come in clear)."""
        return self._service(apdu, GLO, sc, ek or self.ek, ak or self.ak, ic, False)

    def ded(self, apdu, sc=SC_AE1):
        return self._service(apdu, DED, sc, self.dedicated, self.ak, None, True)

    def _service(self, apdu, table, sc, ek, ak, ic, dedicated):
        if ic is None:
            if dedicated:
                self.ded_ic += 1
                ic = self.ded_ic
            else:
                ic = self.next_ic()
        req = service_apdu(table[apdu[0]], protect(sc, ek, ak, self.title, ic, apdu))
        self.last_request = req
        return self.read_service(self.send(req), table, sc, ek, ak, dedicated, ic)

    def read_service(self, raw, table, sc, ek, ak, dedicated, ic):
        if raw[0] == 0xD8:
            return Response(raw)
        if not dedicated:
            self.accepted(ic)
        tag, content = read_service_apdu(raw)
        rsc, ric, p = unprotect(ek, ak, self.t.server_title, content)
        assert rsc == sc, "response SC %02x for request SC %02x" % (rsc, sc)
        assert tag == table[p[0]], "response tag %02x for %02x" % (tag, p[0])
        self.server_ic_seen(ric, dedicated)
        r = Response(p)
        r.sc, r.ic, r.raw = rsc, ric, raw
        return r

    def general_glo(self, apdu, sc=SC_AE1, dedicated=False):
        """general-glo-ciphering (DB) or general-ded-ciphering (DC), dlms-notes 5.3."""
        tag = 0xDC if dedicated else 0xDB
        ek = self.dedicated if dedicated else self.ek
        if dedicated:
            self.ded_ic += 1
            ic = self.ded_ic
        else:
            ic = self.next_ic()
        raw = self.send(general_glo(tag, self.title, protect(sc, ek, self.ak, self.title, ic,
                                                             apdu)))
        if raw[0] == 0xD8:
            return Response(raw)
        if not dedicated:
            self.accepted(ic)
        rtag, title, content = read_general_glo(raw)
        assert rtag == tag and title == self.t.server_title, raw.hex()
        rsc, ric, p = unprotect(ek, self.ak, title, content)
        assert rsc == sc, "response SC %02x" % rsc
        self.server_ic_seen(ric, dedicated)
        r = Response(p)
        r.sc, r.ic, r.raw = rsc, ric, raw
        return r

    def get(self, cid, ln, attr, via=None):
        """GET (with block transfer) through `via` (default glo-) -> Response whose data is
        the complete value."""
        via = via or self.glo
        r = via(get_request(cid, ln, attr))
        if r.exception or r.kind != 2:
            return r
        raw = b""
        while True:
            assert r.result == SUCCESS, r
            raw += r.data
            if r.last:
                break
            r = via(get_next(r.block))
        out = Response(b"\xc4\x01\xc1\x00" + raw)
        return out

    def value(self, cid, ln, attr, via=None):
        r = self.get(cid, ln, attr, via)
        assert r.result == SUCCESS, r
        return r.value

    def action(self, cid, ln, m, param=None, via=None):
        return (via or self.glo)(action_request(cid, ln, m, param))

    def release(self):
        """RLRQ with a ciphered InitiateRequest (KSMW 3.3.3) -> RLRE fields."""
        ic = self.next_ic()
        ui = service_apdu(0x21, protect(SC_AE1, self.ek, self.ak, self.title, ic,
                                        initiate_request(BASE_CONFORMANCE)))
        raw = self.send(ber(0x62, b"\x80\x01\x00" + ber(0xBE, ber(0x04, ui))))
        assert raw[0] == 0x63, raw.hex()
        return ber_fields(raw)
