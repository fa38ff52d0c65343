# SPDX-License-Identifier: MIT
"""Ciphered association with HLS-6 (KSMW 3.6.7 maintenance client) at the APDU level."""
import hashlib

from seclib import field
from unitlib import Session, h

from dlms.security import cipher
from meterapp.clients import TEST_HLS6, provisioned_keys

CT = b"TESTCLNT"
ST = h("4B464D0005F5E101")
CTOS = b"0123456789abcdef"
SECRET = TEST_HLS6[6][0]
TEST_GUEK, TEST_GAK = provisioned_keys(6)


def tlv(tag, body):
    return bytes((tag, len(body))) + body


def protected(tag, sc, ic, apdu):
    out = bytearray(len(apdu) + 32)
    n = cipher.protect(sc, TEST_GUEK, TEST_GAK, CT, ic, apdu, out)
    return tlv(tag, bytes(out[:n]))


def open_resp(resp, tag):
    assert resp[0] == tag, resp.hex()
    plain = bytearray(1300)
    sc, ic, n = cipher.unprotect(TEST_GUEK, TEST_GAK, ST, memoryview(resp)[2:], plain)
    return sc, ic, bytes(plain[:n])


def aarq(ic=1, mech=6, ctos=CTOS, key=TEST_GUEK):
    init = h("01000000065F1F0400007E1F04B0")
    out = bytearray(64)
    n = cipher.protect(0x30, key, TEST_GAK, CT, ic, init, out)
    ui = tlv(0x21, bytes(out[:n]))
    body = (h("A109060760857405080103") + tlv(0xA6, tlv(0x04, CT)) + h("8A020780")
            + tlv(0x8B, h("608574050802") + bytes((mech,))) + tlv(0xAC, tlv(0x80, ctos))
            + tlv(0xBE, tlv(0x04, ui)))
    return tlv(0x60, body)


def session(sap=6):
    return Session(sap, port="hdlc")


_field = field


def associate(s):
    r = s.req(aarq())
    assert _field(r, 0xA2) == h("020100") and _field(r, 0xA3) == h("A10302010E")  # pending
    assert _field(r, 0xA4) == tlv(0x04, ST)
    stoc = _field(r, 0xAA)[2:]
    ui = _field(r, 0xBE)[2:]
    sc, ic, init = open_resp(ui, 0x28)
    assert sc == 0x30 and init[0] == 0x08 and init[-4:] == h("04C80007")
    return stoc


def test_hls6_ciphered_session():
    s = session()
    stoc = associate(s)
    assert s.req(h("C001C1000100002A0000FF0200")) == h("D80102")  # plain: refused
    f = hashlib.sha256(SECRET + CT + ST + stoc + CTOS).digest()
    act = h("C301C1000F0000280000FF0101 0920") + f
    sc, ic, plain = open_resp(s.req(protected(0xCB, 0x30, 2, act)), 0xCF)
    want = hashlib.sha256(SECRET + ST + CT + CTOS + stoc).digest()
    assert plain == h("C701C1000100 0920") + want and s.a.status == 2
    sc, ic2, plain = open_resp(s.req(protected(0xC8, 0x30, 3, h("C001C1000100002A0000FF0200"))),
                               0xCC)
    assert plain == h("C401C1000910") + b"KFM1000100000001" and ic2 > ic
    # replay of counter 3: invocation-counter-error with the expected value
    assert s.req(protected(0xC8, 0x30, 3, h("C001C1000100002A0000FF0200"))) == \
        h("D80106 00000004")
    bad = bytearray(protected(0xC8, 0x30, 4, h("C001C1000100002A0000FF0200")))
    bad[-1] ^= 1
    assert s.req(bytes(bad)) == h("D80101")  # cannot decrypt (KSMW 3.5.3)
    sc, _, plain = open_resp(s.req(protected(0xC8, 0x30, 5, h("C001C1000100002A0000FF0200"))),
                             0xCC)
    assert plain[:4] == h("C401C100")  # still serving


def test_hls6_wrong_secret_and_pending_rules():
    s = session()
    stoc = associate(s)
    assert s.req(protected(0xC8, 0x30, 2, h("C001C1000100002A0000FF0200"))) == h("D80102")
    f = hashlib.sha256(b"wrong" + CT + ST + stoc + CTOS).digest()
    act = h("C301C1000F0000280000FF0101 0920") + f
    _, _, plain = open_resp(s.req(protected(0xCB, 0x30, 3, act)), 0xCF)
    assert plain == h("C701C10300") and s.a.status == 0


def test_ciphered_aarq_refusals():
    s = session()
    r = s.req(aarq(key=bytes(16)))  # wrong global key: glo-initiateRequest undecipherable
    assert _field(r, 0xA2) == h("020101") and _field(r, 0xBE) is None
    s = session(sap=16)
    assert _field(s.req(aarq()), 0xA3) == h("A103020102")  # public: no ciphered context
    s = session()
    s.a.port = "tcp"  # optical-port client on the TCP wrapper (KSMW 3.6)
    assert _field(s.req(aarq()), 0xA2) == h("020101")
    s = session()
    associate(s)
    s2 = Session(6, port="hdlc", share=s)
    r = s2.req(aarq(ic=1))  # counter 1 already used by the first association: replay
    assert _field(r, 0xA2) == h("020101")


def test_ciphered_release():
    s = session()
    associate(s)
    init = h("01000000065F1F0400007E1F04B0")
    out = bytearray(64)
    n = cipher.protect(0x30, TEST_GUEK, TEST_GAK, CT, 2, init, out)
    ui = tlv(0x21, bytes(out[:n]))
    r = s.req(tlv(0x62, h("800100") + tlv(0xBE, tlv(0x04, ui))))
    assert r[:5] == h("6300800100")[:1] + r[1:2] + h("800100") and s.a.status == 0
    sc, ic, plain = open_resp(_field(r, 0xBE)[2:], 0x28)
    assert plain[0] == 0x08
