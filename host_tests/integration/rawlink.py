# SPDX-License-Identifier: MIT
"""Raw byte-level access to the running meter for negative tests (malformed input must get
the standard answer). Frames are built here from the layouts in dlms-notes 7/8, with an
independent CRC, not with the firmware's encoder."""
import os
import select
import socket
import struct
import termios
import time
import tty


def crc16_x25(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def hdlc_frame(control, info=b"", client=16, server=(1, 17), seg=False):
    upper, lower = server
    addr = bytes((upper << 1, (lower << 1) | 1))
    body_len = 2 + len(addr) + 1 + 1 + (len(info) + 4 if info else 2)
    hdr = bytes((0xA0 | (8 if seg else 0) | (body_len >> 8), body_len & 0xFF)) + addr + bytes(
        ((client << 1) | 1, control))
    if info:
        c = crc16_x25(hdr)
        hdr += bytes((c & 0xFF, c >> 8)) + info
    c = crc16_x25(hdr)
    return b"\x7e" + hdr + bytes((c & 0xFF, c >> 8)) + b"\x7e"


def parse_frame(f):
    """-> (control, info) of a server frame to a one-byte client address, CRC checked."""
    assert f[0] == 0x7E and f[-1] == 0x7E, f.hex()
    ln = ((f[1] & 7) << 8) | f[2]
    assert ln == len(f) - 2, f.hex()
    assert crc16_x25(f[1:-3]) == f[-3] | (f[-2] << 8), f.hex()
    i = 3
    while not f[i] & 1:
        i += 1
    i += 1  # client address
    while not f[i] & 1:
        i += 1
    control = f[i + 1]
    info = f[i + 4:-3] if ln > i + 3 else b""
    return control, info, bool(f[1] & 8)


class Pty:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIOFLUSH)

    def write(self, b):
        os.write(self.fd, b)

    def frames(self, timeout=2.0, want=1):
        """Read complete frames (by their length field) until `want` arrived or time-out."""
        buf = b""
        out = []
        end = time.time() + timeout
        while len(out) < want and time.time() < end:
            r, _, _ = select.select([self.fd], [], [], max(0.0, end - time.time()))
            if not r:
                break
            buf += os.read(self.fd, 4096)
            while True:
                while buf and buf[0] != 0x7E:
                    buf = buf[1:]
                if len(buf) > 1 and buf[1] == 0x7E:
                    buf = buf[1:]
                    continue
                if len(buf) < 3:
                    break
                n = (((buf[1] & 7) << 8) | buf[2]) + 2
                if len(buf) < n:
                    break
                out.append(buf[:n])
                buf = buf[n - 1:]
        return out

    def close(self):
        os.close(self.fd)


class Tcp:
    def __init__(self, meter, client=16):
        self.s = socket.create_connection((meter.host, meter.tcp_port), timeout=5)
        self.client = client

    def send(self, apdu, dst=1, version=1, length=None):
        n = len(apdu) if length is None else length
        self.s.sendall(struct.pack(">HHHH", version, self.client, dst, n) + apdu)

    def recv(self):
        h = self._exact(8)
        ver, src, dst, n = struct.unpack(">HHHH", h)
        assert (ver, src, dst) == (1, 1, self.client)
        return self._exact(n)

    def _exact(self, n):
        b = b""
        while len(b) < n:
            k = self.s.recv(n - len(b))
            if not k:
                raise EOFError
            b += k
        return b

    def req(self, apdu):
        self.send(apdu)
        return self.recv()

    def close(self):
        self.s.close()
