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


class Session:
    """One association of the simulated meter's server, APDU in, APDU out."""

    def __init__(self, sap=16, board=None, port="tcp"):
        from dlms.apdu.axdr import Writer
        from dlms.server.association import Association
        from meterapp.app import build

        self.board = board or FakeBoard()
        self.meter, self.server, _ = build(self.board)
        self.a = Association(self.server, port)
        self.a.client_sap = sap
        self.w = Writer(2048)

    def req(self, apdu):
        self.w.pos = 0
        self.server.handle(self.a, memoryview(apdu), self.w)
        return bytes(self.w.mv[: self.w.pos])
