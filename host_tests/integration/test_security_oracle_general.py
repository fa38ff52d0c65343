# SPDX-License-Identifier: MIT
"""General protection against the oracle client (KSMW 3.3.1, 3.3.1.1, 3.3.1.2; dlms-notes
5.3-5.6): general-glo/ded-ciphering (DB/DC), general-ciphering (DD) with identified,
wrapped and (refused) agreed keys, general-signing (DF) around ciphered requests and
sign-then-cipher DD{DF{..}}. Every response is checked field by field and opened with
`cryptography` only (oracle_client.py); fixtures and helpers come from
test_security_oracle.py.
"""
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

import oracle_client as oc
from oracle_client import (GENERAL_PROTECTION, MANAGEMENT, MASTER_KEY, SC_AE1, SUCCESS,
                           get_request)
from test_security_oracle import (  # noqa: F401 (fixtures)
    LDN, WITH_GP, assert_serving, fresh, install_new_meter_key, mgmt,
    target, tid, wrap)


def test_general_glo_and_ded_ciphering(target):
    t = target
    ded_key = os.urandom(16)
    with mgmt(t, conformance=WITH_GP, dedicated=ded_key) as s:
        assert s.conformance & GENERAL_PROTECTION
        r = s.general_glo(get_request(1, LDN[0], 2))
        assert r.result == SUCCESS and r.value == LDN[1], r
        # general-ded-ciphering under the dedicated key of the ciphered InitiateRequest;
        # its counters are the association's own, starting at 1 (KSMW 3.5.4)
        r = s.general_glo(get_request(1, LDN[0], 2), dedicated=True)
        assert r.result == SUCCESS and r.value == LDN[1] and r.ic == 1, r
        r = s.general_glo(get_request(1, LDN[0], 2), dedicated=True)
        assert r.ic == 2
        # the service-specific ded- APDU shares the dedicated counters
        r = s.ded(get_request(1, LDN[0], 2))
        assert r.result == SUCCESS and r.raw[0] == 0xD4 and r.ic == 3, r
        assert_serving(t, s)


def _check_dd_response(raw, req_tid, t, s, with_dt, key_info):
    assert raw[0] == 0xDD, raw.hex()
    g = oc.GeneralCiphering(raw)
    assert g.tid == req_tid, "transaction-id"
    assert g.originator == t.server_title, "originator-system-title"
    assert g.recipient == s.title, "recipient-system-title"
    assert len(g.date_time) == (12 if with_dt else 0), "date-time iff the request had one"
    assert g.other == b""
    assert g.key_info == key_info, g.key_info
    assert g.sc == SC_AE1, "%02x" % g.sc
    s.server_ic_seen(g.ic)
    return g


@pytest.mark.parametrize("with_dt", [False, True], ids=["no-date-time", "date-time"])
def test_general_ciphering_identified_key(target, with_dt):
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        x = tid()
        dt = oc.cosem_now() if with_dt else b""
        ic = s.next_ic()
        raw = s.send(oc.general_ciphering(x, s.title, t.server_title, oc.key_info_identified(0),
                                          SC_AE1, s.ek, s.ak, ic, get_request(1, LDN[0], 2),
                                          date_time=dt))
        g = _check_dd_response(raw, x, t, s, with_dt, (0, 0, None))
        r = oc.Response(g.open(s.ek, s.ak))
        assert r.result == SUCCESS and r.value == LDN[1]
        s.accepted(ic)
        assert_serving(t, s)


@pytest.mark.parametrize("with_dt", [False, True], ids=["no-date-time", "date-time"])
def test_general_ciphering_wrapped_key(target, with_dt):
    t = target
    content_key = os.urandom(16)
    wrapped = wrap(content_key)
    with mgmt(t, conformance=WITH_GP) as s:
        x = tid()
        dt = oc.cosem_now() if with_dt else b""
        ic = s.next_ic()
        raw = s.send(oc.general_ciphering(x, s.title, t.server_title,
                                          oc.key_info_wrapped(wrapped), SC_AE1, content_key,
                                          s.ak, ic, get_request(1, LDN[0], 2), date_time=dt))
        g = _check_dd_response(raw, x, t, s, with_dt, (1, 0, wrapped))
        # the response names its content key: unwrap it with the master key ourselves
        assert aes_key_unwrap(MASTER_KEY, g.key_info[2]) == content_key
        r = oc.Response(g.open(content_key, s.ak))
        assert r.result == SUCCESS and r.value == LDN[1]
        # a key wrapped with another KEK does not open
        ic = s.next_ic()
        raw = s.send(oc.general_ciphering(
            tid(), s.title, t.server_title, oc.key_info_wrapped(aes_key_wrap(os.urandom(16),
                                                                             content_key)),
            SC_AE1, content_key, s.ak, ic, get_request(1, LDN[0], 2)))
        assert raw == oc.EXC_DECIPHERING, raw.hex()
        assert_serving(t, s)


def test_general_ciphering_agreed_key_refused(target):
    """KSMW 3.3.1.1: agreed-key is not supported -> exception-response D8 01 02."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        eph = ec.generate_private_key(ec.SECP256R1())
        xy = oc.raw_pub(eph.public_key())
        kinfo = oc.key_info_agreed(1, xy + oc.sign_raw(t.client_key(MANAGEMENT), xy))
        raw = s.send(oc.general_ciphering(tid(), s.title, t.server_title, kinfo, SC_AE1,
                                          os.urandom(16), s.ak, s.next_ic(),
                                          get_request(1, LDN[0], 2)))
        assert raw == oc.EXC_NOT_SUPPORTED, raw.hex()
        assert_serving(t, s)


def _df(t, s, content, dt=b"", key=None):
    x = tid()
    return x, oc.general_signing(x, s.title, t.server_title, content,
                                 key or t.client_key(MANAGEMENT), date_time=dt)


def _open_df(t, s, raw, x, with_dt=False):
    assert raw[0] == 0xDF, raw.hex()
    g = oc.GeneralSigning(raw)
    assert (g.tid, g.originator, g.recipient, g.other) == (x, t.server_title, s.title, b"")
    assert len(g.date_time) == (12 if with_dt else 0)
    assert g.verify(t.meter_pub), "response signature does not verify with meter.der's key"
    assert not g.verify(t.pki.pub("client1"))
    return g.content


@pytest.mark.parametrize("with_dt", [False, True], ids=["no-date-time", "date-time"])
def test_general_signing_around_general_glo(target, with_dt):
    """DF{DB{GET}}: cipher then sign, answered DF{DB{GET-response}}."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        ic = s.next_ic()
        inner = oc.general_glo(0xDB, s.title, oc.protect(SC_AE1, s.ek, s.ak, s.title, ic,
                                                         get_request(1, LDN[0], 2)))
        x, req = _df(t, s, inner, oc.cosem_now() if with_dt else b"")
        content = _open_df(t, s, s.send(req), x, with_dt)
        tag, title, c = oc.read_general_glo(content)
        assert (tag, title) == (0xDB, t.server_title)
        sc, ric, p = oc.unprotect(s.ek, s.ak, title, c)
        assert sc == SC_AE1
        s.server_ic_seen(ric)
        assert oc.Response(p).value == LDN[1]
        s.accepted(ic)


def test_general_signing_around_general_ciphering(target):
    """DF{DD{GET}} with an identified key."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        ic = s.next_ic()
        y = tid()
        inner = oc.general_ciphering(y, s.title, t.server_title, oc.key_info_identified(0),
                                     SC_AE1, s.ek, s.ak, ic, get_request(1, LDN[0], 2))
        x, req = _df(t, s, inner)
        content = _open_df(t, s, s.send(req), x)
        g = _check_dd_response(content, y, t, s, False, (0, 0, None))
        assert oc.Response(g.open(s.ek, s.ak)).value == LDN[1]


@pytest.mark.parametrize("key_info", ["identified", "wrapped"])
def test_sign_then_cipher(target, key_info):
    """DD{DF{GET}} (KSMW 3.3.1: the signature is applied first), answered DD{DF{..}}."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        if key_info == "identified":
            ek, ki, want_ki = s.ek, oc.key_info_identified(0), (0, 0, None)
        else:
            ek = os.urandom(16)
            ki = oc.key_info_wrapped(wrap(ek))
            want_ki = (1, 0, wrap(ek))
        x, signed = _df(t, s, get_request(1, LDN[0], 2))
        y = tid()
        raw = s.send(oc.general_ciphering(y, s.title, t.server_title, ki, SC_AE1, ek, s.ak,
                                          s.next_ic(), signed))
        g = _check_dd_response(raw, y, t, s, False, want_ki)
        inner = _open_df(t, s, g.open(ek, s.ak), x)
        assert oc.Response(inner).value == LDN[1]


def test_general_signing_wrong_key_refused(target):
    """A DF signed by a key the client's security setup does not trust: D8 01 05."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        _, signed = _df(t, s, get_request(1, LDN[0], 2), key=t.pki.key["client2"])
        raw = s.send(oc.general_ciphering(tid(), s.title, t.server_title,
                                          oc.key_info_identified(0), SC_AE1, s.ek, s.ak,
                                          s.next_ic(), signed))
        assert raw == oc.EXC_DECIPHERING, raw.hex()
        assert_serving(t, s)


def test_wrong_recipient_in_general_ciphering(target):
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        raw = s.send(oc.general_ciphering(tid(), s.title, b"KFM\x00\x05\xf5\xe1\x02",
                                          oc.key_info_identified(0), SC_AE1, s.ek, s.ak,
                                          s.next_ic(), get_request(1, LDN[0], 2)))
        assert raw == oc.EXC_DECIPHERING, raw.hex()
        # and a DF addressed to another meter
        x = tid()
        req = oc.general_signing(x, s.title, b"KFM\x00\x05\xf5\xe1\x02", oc.general_glo(
            0xDB, s.title, oc.protect(SC_AE1, s.ek, s.ak, s.title, s.next_ic(),
                                      get_request(1, LDN[0], 2))), t.client_key(MANAGEMENT))
        assert s.send(req) == oc.EXC_DECIPHERING
        assert_serving(t, s)




def test_general_signing_with_new_meter_key(fresh):
    """After a new key pair and its certificate (KSMW 3.5.2.1), DF responses are signed with
    the new key."""
    t = fresh
    old = t.meter_pub
    new_pub, _ = install_new_meter_key(t)
    t.meter_pub = new_pub
    with mgmt(t, conformance=WITH_GP) as s:
        x, req = _df(t, s, oc.general_glo(0xDB, s.title, oc.protect(
            SC_AE1, s.ek, s.ak, s.title, s.next_ic(), get_request(1, LDN[0], 2))))
        raw = s.send(req)
        _open_df(t, s, raw, x)
        assert not oc.GeneralSigning(raw).verify(old)
