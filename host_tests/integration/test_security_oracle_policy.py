# SPDX-License-Identifier: MIT
"""Policy enforcement around general protection and dedicated keys, with the oracle client
(oracle_client.py): each test states the clause and the expected answer. They were written
against deviations found in the firmware (fixed since; the docstrings keep what was
observed then). Fixtures and helpers come from test_security_oracle.py."""
import os

from cryptography.hazmat.primitives.keywrap import aes_key_wrap

import oracle_client as oc
from oracle_client import MASTER_KEY, SC_AE1, SUCCESS, get_request
from test_security_oracle import (  # noqa: F401 (fixtures)
    CURRENT_SECURITY_SETUP, LDN, WITH_GP, assert_serving, cert_id_serial, fresh, mgmt,
    security_setup, target, tid)
from test_security_oracle_general import _check_dd_response, _df, _open_df


def _general_protection_works(s):
    """Precondition: a refusal below must not come from general protection failing as a
    whole (e.g. D8 01 03 from a MemoryError at a small heap)."""
    r = s.general_glo(get_request(1, LDN[0], 2))
    assert r.result == SUCCESS and r.value == LDN[1], "general-glo does not work: %r" % r


def test_signed_only_get_refused_under_policy(target):
    """KSMW 3.5.1/3.3.3: policy 0x6C asks every request authenticated and encrypted with
    the security context's keys and every response encrypted. A request that is only
    general-signed (DF{GET}: no ciphering layer, no invocation counter) must be refused like
    a plain GET (exception-response), not answered in clear.

    Was: `DF 08 <tid> 08 4B464D0005F5E101 08 4B464D1000000001 00 00 16 C4 01 C1 00 09 10
    4B464D31303030313030303030303031 40 <sig>`: the logical device name in clear, and the
    same request bytes sent again are served again (no replay protection)."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:
        _general_protection_works(s)
        x, req = _df(t, s, get_request(1, LDN[0], 2))
        raw = s.send(req)
        assert raw[0] == 0xD8, "signed-only GET served in clear: %s" % raw.hex(" ")
        raw = s.send(req)
        assert raw[0] == 0xD8, "signed-only GET replayed and served: %s" % raw.hex(" ")
        assert_serving(t, s)


def test_signed_only_key_transfer_refused_under_policy(fresh):
    """Same hole with a Security setup method: DF{ACTION key_transfer} (no symmetric
    protection, no counter, replayable) must be refused under policy 0x6C.

    Was: answered `DF .. 05 C7 01 C1 00 00 40 <sig>` (success): the key is installed
    from an unencrypted, replayable request (a replay re-installs an old GUEK and resets the
    frame counters, KSMW 3.5.4). Here the provisioned GAK is re-sent, so nothing changes."""
    t = fresh
    param = oc.d_array([oc.d_struct(oc.d_enum(2), oc.d_octets(aes_key_wrap(MASTER_KEY,
                                                                          oc.gak(1))))])
    with mgmt(t, conformance=WITH_GP) as s:
        _general_protection_works(s)
        x, req = _df(t, s, oc.action_request(64, security_setup(1), 2, param))
        raw = s.send(req)
        assert raw[0] == 0xD8, "signed-only key_transfer executed: %s" % raw.hex(" ")


def test_signed_request_policy_enforced_on_service_apdus(fresh):
    """KSMW 3.5.1: after security_activate(0x7C) (digitally signed requests) a request
    without a signature must be refused. general-glo is refused (D8 01 05), but a glo-get is
    still served.

    Was: `CC 27 31 00000008 ..` (glo-get-response with the logical device name)."""
    t = fresh
    with mgmt(t, conformance=WITH_GP) as s:
        assert s.action(64, security_setup(1), 1, oc.d_enum(0x7C)).result == SUCCESS
        x, signed = _df(t, s, get_request(1, LDN[0], 2))
        y = tid()
        raw = s.send(oc.general_ciphering(y, s.title, t.server_title, oc.key_info_identified(0),
                                          SC_AE1, s.ek, s.ak, s.next_ic(), signed))
        g = _check_dd_response(raw, y, t, s, False, (0, 0, None))
        assert oc.Response(_open_df(t, s, g.open(s.ek, s.ak), x)).value == LDN[1]
        r = s.general_glo(get_request(1, LDN[0], 2))
        assert r.exception, "unsigned general-glo request served under policy 0x7C: %r" % r
        r = s.glo(get_request(1, LDN[0], 2))
        assert r.exception, "unsigned glo-get served under policy 0x7C: %s" % r.raw.hex(" ")


def test_dedicated_service_without_dedicated_key(target):
    """KSMW 3.5.3: "If a dedicated service is requested by the client but the dedicated key
    is not known by the meter, then the meter returns an error: exception response
    (service-not-allowed, operation-not-possible)" = D8 01 01.

    Was: D8 01 05 (deciphering-error) for ded-get (D0) and for general-ded (DC)."""
    t = target
    with mgmt(t, conformance=WITH_GP) as s:  # no dedicated key in the InitiateRequest
        s.dedicated = os.urandom(16)  # what a confused client would use
        r = s.ded(get_request(1, LDN[0], 2))
        assert r.apdu == oc.EXC_NO_ASSOCIATION, "ded-get: %r" % r
        r = s.general_glo(get_request(1, LDN[0], 2), dedicated=True)
        assert r.apdu == oc.EXC_NO_ASSOCIATION, "general-ded: %r" % r
        assert_serving(t, s)


def test_current_security_setup_certificates_are_exportable(target):
    """Security setup: every certificate that attribute 6 (certificates) of an object lists
    can be exported through the same object's export_certificate (Blue Book 4.4.7).

    Was: 0-0:43.0.0.255 read by the management client lists the data readout (client2)
    and PLC (client4) certificates too, but export_certificate on it by their serial number
    and issuer answers other-reason (C7 01 C1 FA 00)."""
    t = target
    with mgmt(t) as s:
        listed = s.value(64, CURRENT_SECURITY_SETUP, 6)
        by_serial = {oc.serial_bytes(c.serial_number): name for name, c in t.pki.cert.items()}
        for e in listed:
            name = by_serial[e[2]]
            r = s.action(64, CURRENT_SECURITY_SETUP, 7, cert_id_serial(t.pki.cert[name]))
            assert r.result == SUCCESS and r.data == (9, t.pki.der[name]), (
                "%s listed in attribute 6 but not exportable: %r" % (name, r))
