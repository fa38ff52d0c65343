# SPDX-License-Identifier: MIT
"""A ciphered client of the simulated meter at the APDU level, for the security unit tests."""
import hashlib

from unitlib import Session, h

from dlms.security import cipher, ecc, gcm
from meterapp.clients import TEST_HLS6, provisioned_keys

CT = b"TESTCLNT"
ST = h("4B464D0005F5E101")
CTOS = b"0123456789abcdef0123456789abcdef"
INIT = h("01000000065F1F0400007E1F04B0")


def tlv(tag, body):
    n = len(body)
    if n < 128:
        return bytes((tag, n)) + body
    if n < 256:
        return bytes((tag, 0x81, n)) + body
    return bytes((tag, 0x82, n >> 8, n & 0xFF)) + body


def field(aare, tag):
    i = 2
    while i < len(aare):
        t, n = aare[i], aare[i + 1]
        if t == tag:
            return aare[i + 2:i + 2 + n]
        i += 2 + n
    return None


def wrap(kek, key):
    out = bytearray(len(key) + 8)
    gcm.aes_wrap(kek, key, out)
    return bytes(out)


def sha(data):
    d = bytearray(32)
    ecc.sha256(data, d)
    return d


class Client:
    """A ciphered client of the simulated meter at the APDU level."""

    def __init__(self, sap, port, mech, ctos=CTOS, s=None):
        self.sap = sap
        self.ek, self.ak = provisioned_keys(sap)
        self.ic = 0
        self.mech = mech
        self.ctos = ctos
        self.init = INIT
        self.extra = b""  # further AARQ fields (e.g. calling-AE-qualifier)
        self.s = s or Session(sap, port=port)
        if s is not None:
            self.s.a.reset()
            self.s.a.client_sap = sap

    def protect(self, tag, apdu, sc=0x30):
        self.ic += 1
        out = bytearray(len(apdu) + 32)
        n = cipher.protect(sc, self.ek, self.ak, CT, self.ic, apdu, out)
        return tlv(tag, bytes(out[:n]))

    def open(self, resp, tag):
        assert resp[0] == tag, resp.hex()
        i = 2 + (resp[1] & 0x7F if resp[1] & 0x80 else 0)
        plain = bytearray(1300)
        sc, ic, n = cipher.unprotect(self.ek, self.ak, ST, memoryview(resp)[i:], plain)
        return bytes(plain[:n])

    def aarq(self):
        ui = self.protect(0x21, self.init)
        body = (h("A109060760857405080103") + tlv(0xA6, tlv(0x04, CT)) + h("8A020780")
                + tlv(0x8B, h("608574050802") + bytes((self.mech,)))
                + tlv(0xAC, tlv(0x80, self.ctos)) + self.extra + tlv(0xBE, tlv(0x04, ui)))
        return self.s.req(tlv(0x60, body))

    def call(self, apdu):
        """Protected request -> plain response APDU."""
        r = self.s.req(self.protect(cipher.glo_tag(apdu[0]), apdu))
        if r[0] == 0xD8:
            return r
        return self.open(r, r[0])

    def associate(self, f_stoc):
        r = self.aarq()
        assert field(r, 0xA2) == h("020100"), r.hex()
        stoc = field(r, 0xAA)[2:]
        act = h("C301C1000F0000280000FF0101") + tlv(0x09, f_stoc(self, stoc))
        return self.call(act)


def hls5(c, stoc):
    """f(StoC) with its own count, taken before the action's (KSMW 3.5.4)."""
    c.ic += 1
    return cipher.hls5(c.ek, c.ak, CT, c.ic, stoc)


def hls6(c, stoc):
    return hashlib.sha256(TEST_HLS6[c.sap][0] + CT + ST + stoc + c.ctos).digest()


def maintenance(s=None):
    c = Client(6, "hdlc", 6, s=s)
    assert c.associate(hls6)[:5] == h("C701C10001")
    return c


def action(ln, m, data, cid=None):
    if cid is None:
        cid = 15 if ln[2] == 40 else 64
    return bytes((0xC3, 1, 0xC1, cid >> 8, cid & 0xFF)) + ln + bytes((m, 1)) + data


def get(cid, ln, attr):
    return bytes((0xC0, 1, 0xC1, 0, cid)) + ln + bytes((attr, 0))


def key_data(items):
    body = bytes((0x01, len(items)))
    for kid, blob in items:
        body += h("0202 16") + bytes((kid,)) + tlv(0x09, blob)
    return body
