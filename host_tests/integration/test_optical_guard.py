# SPDX-License-Identifier: MIT
"""Service-interface deactivation (KSMW 4.1.2) and security events (KSMW 5.12) against the
running firmware, with gurux-dlms: failed associations on the optical port start the
lockout, the disabled port answers nothing, the management client re-enables it over the
TCP wrapper; the security event object and group counters follow."""
import time

import pytest
from gurux_dlms.enums import DataType

from gx_client import GxMeter, HlsRefused
from test_interop_gurux import LDN, LDN_VALUE, management

TEMP_DISABLE = "0-0:94.43.140.255"
LOCKOUT = "0-0:94.43.141.255"
EVENT = "0-0:96.11.9.255"
G_EC_01 = "0-0:96.15.21.255"  # associations (event 46 counted here)


def installer(meter, secret=b"installer-secret"):
    from test_interop_gurux import MGMT_TITLE, client_keys

    ek, ak = client_keys(5)
    return GxMeter("hdlc", meter, client_sap=5, security=0x10, hls_secret=secret,
                   system_title=MGMT_TITLE, block_cipher_key=ek, authentication_key=ak,
                   timeout=2.0)


def test_lockout_after_failed_associations_and_remote_enable(meter):
    with management(meter, "tcp") as m:
        m.associate()
        assert m.get(1, LOCKOUT, 2) == [3, 300]  # default: 3 attempts, 300 s
        failures0 = m.get(1, G_EC_01, 2)
        assert m.get(1, TEMP_DISABLE, 2) == 0
    try:
        for i in range(3):
            m = installer(meter, b"not-the-installer-secret")
            with pytest.raises(HlsRefused):
                m.associate()
            locked = time.monotonic()  # after the third: the countdown runs from here
            try:
                m.close()  # after the third failure the port is already off: no UA to DISC
            except TimeoutError:
                assert i == 2
        with installer(meter) as m:  # the port is off: not even the SNRM is answered
            with pytest.raises(TimeoutError):
                m.connect()
        with management(meter, "tcp") as m:
            m.associate()
            left = m.get(1, TEMP_DISABLE, 2)
            # counting down one per second since the lockout, however long the steps took
            assert 300 - (time.monotonic() - locked) - 2 <= left < 300, left
            # three times 46 (and communication start/end events of the same group)
            assert m.get(1, G_EC_01, 2) >= failures0 + 3
            assert m.get(1, EVENT, 2) == 26  # this very association started on LAN
            assert m.set(1, TEMP_DISABLE, 2, 0, DataType.UINT16) == 0  # enabled again
    finally:
        with management(meter, "tcp") as m:
            m.associate()
            m.set(1, TEMP_DISABLE, 2, 0, DataType.UINT16)
    with installer(meter) as m:
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE


def test_lockout_configuration(meter):
    with management(meter, "tcp") as m:
        m.associate()
        assert m.set(1, LOCKOUT, 2, 7, DataType.UINT8) == 12  # type-unmatched
        assert m.get(1, LOCKOUT, 2) == [3, 300]
