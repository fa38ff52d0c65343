# SPDX-License-Identifier: MIT
"""Security setup (IC 64 v1) methods, change_HLS_secret, HLS-5/HLS-7 on the LAN clients,
frame counter readout (IC 12544) and per-client access rights (KSMW 3.5, 3.6, 11)."""
import hashlib
import os

from seclib import (CT, CTOS, INIT, ST, Client, action, field, get, hls5, hls6, key_data, maintenance, sha,
                    tlv, wrap)
from unitlib import Session, h

from dlms.security import cipher, ecc
from dlms.server import device as dev
from meterapp.clients import TEST_MASTER_KEY, provisioned_keys

def test_key_transfer_switches_keys_after_the_response():
    c = maintenance()
    new_ek, new_ak = bytes(range(16)), bytes(range(16, 32))
    req = action(h("0000 2B0000FF"), 2, key_data([(0, wrap(TEST_MASTER_KEY, new_ek)),
                                                  (2, wrap(TEST_MASTER_KEY, new_ak))]))
    assert c.call(req) == h("C701C10000")  # answered under the old keys
    assert c.call(get(1, h("00002A0000FF"), 2)) == h("D80101")  # old key: undecipherable
    c.ek, c.ak, c.ic = new_ek, new_ak, 0  # new GUEK: both counters restart (KSMW 3.5.4)
    assert c.call(get(1, h("00002A0000FF"), 2))[:4] == h("C401C100")
    keys = c.s.meter.clients[6].keys
    assert keys.tx_ic == 1 and keys.ek == new_ek and keys.ak == new_ak


def test_key_transfer_errors():
    c = maintenance()
    ss = h("00002B0000FF")
    bad = wrap(b"another-kek-1234", bytes(16))
    assert c.call(action(ss, 2, key_data([(0, bad)]))) == h("C701C1FA00")  # other-reason
    assert c.call(action(ss, 2, h("0900"))) == h("C701C10C00")  # type-unmatched
    assert c.call(action(ss, 2, key_data([(9, wrap(TEST_MASTER_KEY, bytes(16)))]))) == \
        h("C701C1FA00")
    assert c.call(get(1, h("00002A0000FF"), 2))[:4] == h("C401C100")  # keys unchanged


def test_master_key_and_hls_secret_change():
    c = maintenance()
    new_master = b"new-master-key-!"
    req = action(h("00002B0000FF"), 2, key_data([(3, wrap(TEST_MASTER_KEY, new_master))]))
    assert c.call(req) == h("C701C10000")
    assert c.s.meter.device.master.key == new_master
    secret = b"a-fresh-hls6-secret-of-24"[:24]
    req = action(h("0000280000FF"), 2, tlv(0x09, wrap(new_master, secret)))
    assert c.call(req) == h("C701C10000")
    assert c.call(action(h("0000280000FF"), 2, tlv(0x09, wrap(new_master, b"short-16-bytes!!")[:20]))) \
        == h("C701C1FA00")
    c2 = Client(6, "hdlc", 6, s=c.s)
    c2.ic = c.ic
    r = c2.associate(lambda cl, stoc: hashlib.sha256(secret + CT + ST + stoc + CTOS).digest())
    assert r[:5] == h("C701C10001")


def test_security_activate_and_attributes():
    c = maintenance()
    ss5 = h("00002B0005FF")
    assert c.call(get(64, ss5, 2)) == h("C401C100 1624")  # installation: authenticated
    assert c.call(get(64, ss5, 3)) == h("C401C100 1601")  # suite 1
    assert c.call(action(ss5, 1, h("1604"))) == h("C701C1FA00")  # weaker: refused
    assert c.call(action(ss5, 1, h("166C"))) == h("C701C10000")
    assert c.call(get(64, ss5, 2)) == h("C401C100 166C")
    assert c.call(get(64, h("00002B0000FF"), 4)) == h("C401C100 0908") + CT
    assert c.call(get(64, h("00002B0000FF"), 5)) == h("C401C100 0908") + ST


def test_installation_client_cannot_touch_other_contexts():
    c = Client(5, "hdlc", 6)
    r = c.aarq()
    stoc = field(r, 0xAA)[2:]
    act = h("C301C1000F0000280000FF0101") + tlv(0x09, hls6(c, stoc))
    assert c.call(act)[:5] == h("C701C10001")
    w = key_data([(0, wrap(TEST_MASTER_KEY, bytes(16)))])
    assert c.call(action(h("00002B0006FF"), 2, w)) == h("C701C10300")  # read-write-denied
    assert c.call(action(h("0000280006FF"), 2, tlv(0x09, bytes(24)))) == h("C701C10300")
    assert c.call(get(64, h("00002B0006FF"), 2))[:4] == h("C401C100")  # readable


def test_frame_counter_readout_by_the_public_client():
    c = maintenance()
    s = Session(16, port="hdlc", share=c.s)
    aarq = (h("A109060760857405080101") + tlv(0xA6, tlv(0x04, b"PUBCLNT1"))
            + tlv(0xBE, tlv(0x04, INIT)))
    r = s.req(tlv(0x60, aarq))
    assert field(r, 0xA2) == h("020100") and field(r, 0xA4) == tlv(0x04, ST)  # KSMW 11.3
    ch = os.urandom(64)
    r = s.req(action(h("00002B0106FF"), 1, tlv(0x09, ch), 12544))
    fc = c.s.meter.clients[6].keys.rx_ic
    assert fc == c.ic
    mac = cipher.hmac_sha256(provisioned_keys(6)[1], ST + b"PUBCLNT1" + ch + h("%08X" % fc))
    assert r == h("C701C10001000202 0920") + mac + h("06%08X" % fc)
    short = action(h("00002B0106FF"), 1, tlv(0x09, ch[:8]), 12544)
    assert s.req(short) == h("C701C1FA00")


def test_hmac_sha256_rfc4231():
    key = b"\x0b" * 20
    assert cipher.hmac_sha256(key, b"Hi There") == h(
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")


def test_fw_update_client_is_preestablished():
    s = Session(3, port="tcp")
    r = s.req(action(h("00002C0000FF"), 1, h("0F00"), 18))
    assert r == h("C701C10400")  # no AARQ needed; object not visible yet: undefined
    assert s.req(get(1, h("00002A0000FF"), 2)) == h("D80102")  # only ACTION
    assert Session(3, port="hdlc").req(get(1, h("00002A0000FF"), 2)) == h("D80101")


def test_management_hls5_and_key_agreement():
    c = Client(1, "tcp", 5, ctos=b"K56iVagY")

    r = c.associate(hls5)
    assert r[:7] == h("C701C100010009") and r[7] == 17
    s = c.s
    # trusted client signing key and the meter's own key (normally from certificates)
    cpriv, cpub = bytearray(32), bytearray(64)
    assert ecc.keygen(os.urandom(32), cpriv, cpub)
    spriv = os.urandom(32)
    s.meter.device.set_sign_key(spriv)
    s.meter.device.trust[1] = [bytes(cpub)]
    epriv, epub = bytearray(32), bytearray(64)
    assert ecc.keygen(os.urandom(32), epriv, epub)
    sig = bytearray(64)
    ecc.sign(cpriv, sha(b"\x00" + epub), sig)
    r = c.call(action(h("00002B0000FF"), 3, key_data([(0, bytes(epub) + sig)])))
    assert r[:8] == h("C701C1000100 0101") and r[8:15] == h("0202 1600 098180")
    spub = r[15:79]
    assert ecc.verify(s.meter.device.sign_pub, sha(b"\x00" + spub), r[79:143])
    z = bytearray(32)
    ecc.ecdh(epriv, spub, z)
    new_ek = dev.kdf(z, CT, ST)
    assert s.meter.clients[1].keys.ek == new_ek
    c.ek, c.ic = new_ek, 0
    assert c.call(get(1, h("00002A0000FF"), 2))[:4] == h("C401C100")
    bad = bytearray(sig)
    bad[5] ^= 1
    r = c.call(action(h("00002B0000FF"), 3, key_data([(0, bytes(epub) + bad)])))
    assert r == h("C701C1FA00")  # not signed by a trusted key


def test_kdf_vectors():
    # dlms-notes 6.5 (EICT, AlgorithmID with 06 and with 05)
    z = h("C1CF8FE7891AEF3617D7190795E61FE6C24EFC3CCA2E08469BAD1A225CE6EA08")
    u, v = h("4D4D4D0000BC614E"), h("4D4D4D0000000001")
    assert dev.kdf(z, u, v, h("60857406080300")) == h("E025CA6F9EE8D2B40F993739D44CFBC0")
    assert dev.kdf(z, u, v) == h("C5F4512846EDE51CFB8CCF59F08A694E")


def test_hls7_management_association():
    c = Client(1, "tcp", 7)
    cpriv, cpub = bytearray(32), bytearray(64)
    assert ecc.keygen(os.urandom(32), cpriv, cpub)
    d = c.s.meter.device
    d.set_sign_key(os.urandom(32))
    d.trust[1] = [bytes(cpub)]

    def f7(cl, stoc):
        assert len(stoc) == 32
        sig = bytearray(64)
        ecc.sign(cpriv, sha(CT + ST + stoc + CTOS), sig)
        c.stoc = stoc
        return sig
    r = c.associate(f7)
    assert r[:7] == h("C701C100010009") and r[7] == 64
    assert ecc.verify(d.sign_pub, sha(ST + CT + CTOS + c.stoc), r[8:72])
    assert c.s.a.status == 2
    c2 = Client(1, "tcp", 7, ctos=CTOS[:16], s=c.s)  # HLS-7 challenge under 32 bytes
    c2.ic = c.ic
    assert field(c2.aarq(), 0xA2) == h("020101")
    c3 = Client(1, "tcp", 7, s=c.s)
    c3.ic = c2.ic
    r = c3.associate(lambda cl, stoc: bytes(64))  # wrong signature
    assert r == h("C701C10300") and c3.s.a.status == 0


def test_security_events_and_optical_lockout():
    c = maintenance()
    g = c.s.meter.guard
    c.ic -= 1  # replay the last counter: event 50 in group G_EC_07
    assert c.call(get(1, h("00002A0000FF"), 2))[:3] == h("D80106")
    assert g.event.value == (17, 50) and g.counters[6].value[1] == 1
    c.ic += 5
    c.ak = bytes(16)  # wrong authentication key: event 49
    assert c.call(get(1, h("00002A0000FF"), 2)) == h("D80101")
    assert g.event.value == (17, 49) and g.counters[6].value[1] == 2
    # three failed HLS-6 attempts on the optical port start the 300 s lockout (KSMW 4.1.2)
    c.ak = provisioned_keys(6)[1]
    n0 = g.counters[0].value[1]  # G_EC_01: 28 recorded when the association opened
    assert n0 == 1
    for i in range(3):
        c2 = Client(6, "hdlc", 6, s=c.s)
        c2.ic = c.ic + 10 * (i + 1)
        r = c2.associate(lambda cl, stoc: bytes(32))
        assert r == h("C701C10300")
        assert g.event.value == (17, 46)
    # 29 (the first association ended) and three times 46
    assert g.counters[0].value[1] == n0 + 4 and g.optical_disabled()
    assert g.disable.value == (0x12, 300)
    g.tick_second()
    assert g.disable.value == (0x12, 299)
    g.disable.value = (0x12, 0xFFFF)  # held until set back to 0
    g.tick_second()
    assert g.disable.value == (0x12, 0xFFFF)


def test_hls5_f_stoc_needs_its_own_fresh_count():
    for pick in (lambda c: c.ic + 1, lambda c: c.ic):  # the action's own count / a used one
        c = Client(1, "tcp", 5, ctos=b"K56iVagY")
        r = c.associate(lambda cl, stoc: cipher.hls5(cl.ek, cl.ak, CT, pick(cl), stoc))
        assert r == h("C701C10300") and c.s.a.status == 0


def test_exhausted_frame_counter_refuses_protected_responses():
    c = maintenance()
    keys = c.s.meter.clients[6].keys
    keys.tx_ic = 0xFFFFFFFF  # KSMW 3.5.4: maximum reached
    assert c.call(get(1, h("00002A0000FF"), 2)) == h("D80101")
    assert keys.tx_ic == 0xFFFFFFFF
    keys.tx_ic = 100
    assert c.call(get(1, h("00002A0000FF"), 2))[:4] == h("C401C100")  # after a key change


def test_ecdh_and_kdf_eict_vector():
    # dlms-notes 6.5: server ephemeral private key with the client's ephemeral public key
    z = bytearray(32)
    ecc.ecdh(h("34A8C23A34DBB519D09B245754C85A6CFE05D14A063EFA5AA41545AA8241EFAE"),
             h("2914D60E10AB705F62ED6CC349D7CB99B9AB3F3978E59278C7AF595B3AF98794"
               "1372DAB6D5AF1FA867E134167E6F23DE664A6693E05F43414611058D1B48F894"), z)
    assert bytes(z) == h("C1CF8FE7891AEF3617D7190795E61FE6C24EFC3CCA2E08469BAD1A225CE6EA08")
    assert dev.kdf(z, h("4D4D4D0000BC614E"), h("4D4D4D0000000001"), h("60857406080300")) == \
        h("E025CA6F9EE8D2B40F993739D44CFBC0")
