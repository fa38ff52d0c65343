# SPDX-License-Identifier: MIT
"""Crypto/CRC timings under the MicroPython unix port: C natmods vs the pure-Python fallbacks.
Prints one line 'name impl microseconds' per measurement (median of runs); driven by
tools/bench.py, which adds OpenSSL figures and ratios."""
import time

from dlms.security import ecc_py, gcm_py
from dlms.util.crc16 import INIT, update_py

try:
    import _dlms_crc
    import _dlms_ecc
    import _dlms_gcm
except ImportError:
    _dlms_crc = _dlms_ecc = _dlms_gcm = None


def median_us(fn, n):
    ts = []
    for _ in range(n):
        t0 = time.ticks_us()
        fn()
        ts.append(time.ticks_diff(time.ticks_us(), t0))
    ts.sort()
    return ts[len(ts) // 2]


def run(name, impl, fn, n):
    fn()  # warm-up
    print(name, impl, median_us(fn, n))


KEY = bytes(range(16))
IV = bytes(range(12))
AAD = b"\x30" + bytes(range(16, 32))
PRIV = bytes.fromhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
PEER_PRIV = bytes.fromhex("34A8C23A34DBB519D09B245754C85A6CFE05D14A063EFA5AA41545AA8241EFAE")
DIGEST = bytes(range(32))


def main():
    for size in (256, 1224):
        pt = bytes(size)
        ct = bytearray(size)
        tag = bytearray(12)
        for impl, m, n in (("c", _dlms_gcm, 200), ("py", gcm_py, 5)):
            if m is not None:
                run("gcm_encrypt_%d" % size, impl,
                    lambda m=m: m.gcm_encrypt(KEY, IV, AAD, pt, ct, tag), n)
    kb = bytes(range(256)) * 4
    if _dlms_crc is not None:
        run("crc_1kb", "c", lambda: _dlms_crc.update(INIT, kb, 0, 1024), 200)
    run("crc_1kb", "py", lambda: update_py(INIT, kb, 0, 1024), 20)
    pub = bytearray(64)
    peer = bytearray(64)
    sig = bytearray(64)
    z = bytearray(32)
    ecc_py.pubkey(PRIV, pub)
    ecc_py.pubkey(PEER_PRIV, peer)
    for impl, m, n in (("c", _dlms_ecc, 50), ("py", ecc_py, 3)):
        if m is None:
            continue
        run("ecdsa_sign", impl, lambda m=m: m.sign(PRIV, DIGEST, sig), n)
        m.sign(PRIV, DIGEST, sig)
        run("ecdsa_verify", impl, lambda m=m: m.verify(pub, DIGEST, sig), n)
        run("ecdh", impl, lambda m=m: m.ecdh(PRIV, peer, z), n)


main()
