# SPDX-License-Identifier: MIT
"""Helpers shared by unit tests on CPython and MicroPython (no pytest features)."""
import gc


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return True
    raise AssertionError("%r not raised" % (exc,))


class FakeBoard:
    """Board with a settable clock (unix ms) for the meter application."""

    identity = {"manufacturer": "KFM", "serial": "1KFM0100000001", "meter_type": "100"}
    lls_secret = b"12345678"
    hdlc_device_address = 17
    hdlc_inter_octet_ms = 200

    def __init__(self, t_ms=1782864000000):  # 2026-07-01 00:00:00 UTC
        gc.collect()  # tests build many meters in one board-sized heap
        self.t = t_ms

    def now_ms(self):
        return self.t

    def store(self):
        return None
