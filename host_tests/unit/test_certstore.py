# SPDX-License-Identifier: MIT
"""Security setup certificate methods 4-8 and attribute 6 (Blue Book 4.4.7 v1, KSMW 3.5.2.1)
through the maintenance client, with the certificate fixtures of test_x509."""
from seclib import action, get, maintenance, tlv
from x509_fixtures import EE, EE_BY_EE, ROOT, SUB
from unitlib import FakeBoard, Session, h

from dlms.security import x509

SS1 = h("00002B0001FF")  # security setup of the management client


def session():
    b = FakeBoard()
    b.pki_files = {"root.der": ROOT}
    return maintenance(Session(6, board=b, port="hdlc"))


def ident_by_serial(cert):
    c = x509.Certificate(cert)
    return (h("0202 1601 0202") + tlv(0x09, c.serial()) + tlv(0x09, c.issuer()))


def test_import_list_export_remove():
    c = session()
    store = c.s.meter.device.certs
    assert list(store.slots) == ["root"]
    assert c.call(action(SS1, 6, tlv(0x09, EE))) == h("C701C1FA00")  # no Sub-CA yet
    assert c.call(action(SS1, 6, tlv(0x09, SUB))) == h("C701C10000")
    assert c.call(action(SS1, 6, tlv(0x09, EE))) == h("C701C10000")
    assert c.s.meter.device.client_keys(1) == [x509.Certificate(EE).pub]
    r = c.call(get(64, SS1, 6))
    assert r[:7] == h("C401C100 010302")  # root, sub-CA, the client's certificate
    assert r.count(h("0206 1602 1603")) == 2 and h("0206 1601 1600") in r  # entity, type
    r = c.call(action(SS1, 7, ident_by_serial(EE)))
    assert r[:8] == h("C701C1000100 0982") and r[10:] == EE
    assert c.call(action(SS1, 8, ident_by_serial(EE))) == h("C701C10000")
    assert c.s.meter.device.client_keys(1) == ()
    assert c.call(action(SS1, 7, ident_by_serial(EE))) == h("C701C1FA00")  # gone
    assert c.call(action(SS1, 8, ident_by_serial(ROOT))) == h("C701C1FA00")  # root stays


def test_import_refusals():
    c = session()
    assert c.call(action(SS1, 6, tlv(0x09, SUB))) == h("C701C10000")
    assert c.call(action(SS1, 6, tlv(0x09, ROOT))) == h("C701C1FA00")  # root: firmware update
    assert c.call(action(SS1, 6, tlv(0x09, EE_BY_EE))) == h("C701C1FA00")  # issuer not a CA
    assert c.call(action(SS1, 6, tlv(0x09, EE[:-3]))) == h("C701C1FA00")  # malformed
    assert c.call(action(SS1, 6, h("0F01"))) == h("C701C10C00")  # type-unmatched
    bad = bytearray(EE)
    bad[200] ^= 1  # signature no longer matches
    assert c.call(action(SS1, 6, tlv(0x09, bytes(bad)))) == h("C701C1FA00")
    assert c.call(get(1, h("00002A0000FF"), 2))[:4] == h("C401C100")  # still serving


def test_generate_key_pair_and_csr():
    from dlms.security import der

    c = session()
    d = c.s.meter.device
    assert d.sign_priv is None
    assert c.call(action(SS1, 5, h("1600"))) == h("C701C1FA00")  # no key pair yet
    assert c.call(action(SS1, 4, h("1601"))) == h("C701C1FA00")  # key agreement: not used
    assert c.call(action(SS1, 4, h("1600"))) == h("C701C10000")
    pending = d.certs.pending
    assert pending is not None and d.sign_priv is None  # pending until certified
    r = c.call(action(SS1, 5, h("1600")))
    assert r[:7] == h("C701C1000100 09")
    n = r[8] if r[7] == 0x81 else r[7]
    body = r[-n:]
    t, vs, ve = der.tlv(body, 0, len(body))
    assert t == der.SEQUENCE and ve == len(body)
    assert pending[1] in body and b"4B464D0005F5E101" in body  # key and CN of the meter
    d.certs.pending = (pending[0], pending[1], -25 * 3600)  # 25 h old: dismissed
    assert c.call(action(SS1, 5, h("1600"))) == h("C701C1FA00")

