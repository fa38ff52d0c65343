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


def rmtree(path):
    """Remove a folder and everything below it (no shutil on MicroPython)."""
    import os

    try:
        names = os.listdir(path)
    except OSError:
        return
    for f in names:
        p = path + "/" + f
        try:
            os.remove(p)
        except OSError:
            rmtree(p)
    try:
        os.rmdir(path)
    except OSError:
        pass


def attr_bytes(obj, attr, size=4096):
    """A-XDR of one attribute of an interface-class object (a streaming get drained)."""
    from dlms.apdu.axdr import Writer

    w = Writer(size)
    r = obj.get(attr, w, None)
    if not isinstance(r, int):
        for _ in r:
            pass
        r = 0
    assert r == 0, r  # SUCCESS
    return bytes(w.mv[: w.pos])


def ms_rtc(get_ms):
    """An RTC (hal/base.py now(t)) reading get_ms(): meter milliseconds (since 2020)."""
    def now(out):
        m = get_ms()
        out[0] = m // 1000
        out[1] = m % 1000
    return now


class FakeBoard:
    """Board with a settable clock for the meter application: t in meter milliseconds (since
    2020, dlms/util/timeconv.py), kept as seconds + ms so that now() allocates nothing on a
    32-bit port (hal/base.py)."""

    identity = {"manufacturer": "KFM", "serial": "1KFM0100000001", "meter_type": "100"}
    hdlc_device_address = 17
    hdlc_inter_octet_ms = 200

    def __init__(self, t_ms=205027200000):  # 2026-07-01 00:00:00 UTC
        self.t = t_ms

    @property
    def t(self):
        return self._s * 1000 + self._ms

    @t.setter
    def t(self, ms):
        self._s = ms // 1000
        self._ms = ms % 1000

    def now(self, out):
        out[0] = self._s
        out[1] = self._ms

    store_path = None  # folder of the record store (meterapp/nvstore.py), or None
    pki_files = None

    def store_dir(self):
        return self.store_path

    def pki(self):
        return self.pki_files

    curve = None  # hal/sim_metering.py default load curve
    rtc_ok = True

    def metering(self, local):
        from hal.sim_metering import SimMetering

        return SimMetering(local, self.curve, 1 if self.identity["meter_type"] == "100" else 3)

    def rtc_valid(self):
        return self.rtc_ok

    rtc_was_set = False  # the RTC set from outside since the last run (hal/base.py)

    def rtc_set(self):
        return self.rtc_was_set

    def events(self):
        return ""


_W = None  # one response buffer for every session: tests build many meters in one heap
_LAST = None  # the last meter built: released when the next one is built


class Session:
    """One association of the simulated meter's server, APDU in, APDU out. A new Session
    builds a new meter and releases the previous one (a board holds one meter: the heap is
    board-sized); share=session adds an association to that session's meter instead."""

    def __init__(self, sap=16, board=None, port="tcp", share=None):
        global _W, _LAST
        from dlms.apdu.axdr import Writer
        from dlms.server.association import Association
        from meterapp.app import build

        if _W is None:
            _W = Writer(2048)
        self.a = None
        if share is not None:
            self.board, self.meter, self.server = share.board, share.meter, share.server
        else:
            if _LAST is not None:
                _LAST.release()
            gc.collect()
            self.board = board or FakeBoard()

            def early(server):  # the association's buffers before the object model
                self.a = Association(server, port)

            self.meter, self.server, _ = build(self.board, early=early)
            _LAST = self
        if self.a is None:
            self.a = Association(self.server, port)
        self.a.client_sap = sap
        self.w = _W

    def release(self):
        self.meter = self.server = self.a = self.board = None

    def req(self, apdu):
        self.w.pos = 0
        self.server.handle(self.a, memoryview(apdu), self.w)
        return bytes(self.w.mv[: self.w.pos])


def management_session(board=None, port="tcp", max_pdu=1224, conformance=None):
    """The management client's association opened directly on a new meter, without the
    AARQ and its security (tested in test_secured.py): its service layer."""
    s = Session(sap=1, board=board, port=port)
    a = s.a
    a.client = s.meter.clients[1]
    a.status = 2
    a.conformance = s.server.conformance if conformance is None else conformance
    a.client_max_pdu = max_pdu
    return s
