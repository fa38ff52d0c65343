# SPDX-License-Identifier: MIT
"""Server CPU time per HDLC byte (MicroPython, run by tools/bench.py): a public-client
session on the optical port (SNRM, AARQ, GETs of values and of the object list in blocks
and segments, DISC) fed byte streams straight into the link state machine and the server;
only the server side (HdlcLink.feed and what it calls) is timed. Prints
'hdlc_us_per_byte <us> <bytes>'."""
import sys
import time

if len(sys.argv) > 2:  # IMAGE FALLBACK: bytecode in place from ROMFS, as on a board
    import romfs_host

    romfs_host.mount_or_fallback(sys.argv[1], sys.argv[2], quiet=True)

from dlms.transport import hdlc_frame as hf  # noqa: E402
from dlms.transport.hdlc_link import HdlcLink  # noqa: E402
from meterapp.app import build  # noqa: E402

SERVER = 0x03  # upper address 1, one-byte form
CLIENT = (16 << 1) | 1
AARQ = bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
GETS = [bytes.fromhex(s) for s in (
    "C001C100010000 2A0000FF0200",  # logical device name
    "C001C100080000 010000FF0200",  # clock
    "C001C100030100 010800FF0200",  # +A
    "C001C1000F0000 280000FF0200",  # object list: GET blocks
)]


class Board:
    identity = {"manufacturer": "KFM", "serial": "1KFM0100000001", "meter_type": "100"}
    hdlc_device_address = 17
    hdlc_inter_octet_ms = 200

    def now(self, t):
        t[0] = 1782864000 - 1577836800  # meter seconds (dlms/util/timeconv.py)
        t[1] = 0

    def store_dir(self):
        return None

    def pki(self):
        return None

    def tcp_endpoint(self):
        return None

    def has_optical_port(self):
        return True

    def metering(self, local):
        from hal.sim_metering import SimMetering

        return SimMetering(local, None, 1)

    def rtc_valid(self):
        return True


class Bench:
    def __init__(self):
        # the optical port's buffers come from the application's boot order, as on a board
        meter, server, hdlc, tcp, port = build(Board(), ports=True)
        self.server = server
        self.port = port
        self.a = port.a
        self.link = port.link
        self.link.send = self._sent
        self.out = []
        self.buf = bytearray(300)
        self.ns = self.nr = 0
        self.us = 0
        self.nbytes = 0

    @property
    def last(self):
        return self.port.tx.mv[: self.port.tx.pos]

    def _sent(self, frame):
        self.out.append(bytes(frame))

    def feed(self, n):
        self.nbytes += n
        t0 = time.ticks_us()
        self.link.feed(memoryview(self.buf)[:n], 0)
        self.us += time.ticks_diff(time.ticks_us(), t0)
        frames, self.out = self.out, []
        for f in frames:
            self.nbytes += len(f)
        return frames

    def frame(self, control, info=None):
        n = hf.encode(self.buf, SERVER, bytes((CLIENT,)), 1, control, info or b"", 0,
                      len(info) if info else 0, False, b"\xe6\xe6\x00" if info else None)
        return self.feed(n)

    def request(self, apdu):
        """One APDU: I-frame, then RR for every segment the server sends."""
        frames = self.frame((self.nr << 5) | 0x10 | (self.ns << 1), apdu)
        self.ns = (self.ns + 1) & 7
        while frames:
            f = frames[-1]
            self.nr = ((f[5] >> 1) + 1) & 7
            if not f[1] & 0x08:  # last segment
                return
            frames = self.frame((self.nr << 5) | 0x11)

    def session(self):
        self.ns = self.nr = 0
        self.frame(0x93)  # SNRM
        self.request(AARQ)
        for g in GETS:
            self.request(g)
            r = self.last
            while r[0] == 0xC4 and r[1] == 2 and r[3] == 0:  # GET blocks until the last
                self.request(b"\xc0\x02\xc1" + bytes(r[4:8]))
                r = self.last
        self.frame(0x53)  # DISC


def main():
    b = Bench()
    for _ in range(3):
        b.session()
    b.us = b.nbytes = 0
    for _ in range(20):
        b.session()
    print("hdlc_us_per_byte %.2f %d" % (b.us / b.nbytes, b.nbytes))


main()
