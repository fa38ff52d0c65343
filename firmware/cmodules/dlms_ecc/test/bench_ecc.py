# SPDX-License-Identifier: MIT
"""Median times of P-256 sign (RFC 6979) / verify / ECDH, in microseconds.

MicroPython (C natmod and pure-Python fallback):
    MICROPYPATH=firmware:build/natmod micropython -X heapsize=256k \
        firmware/cmodules/dlms_ecc/test/bench_ecc.py
CPython (OpenSSL through `cryptography`, and the fallback):
    PYTHONPATH=firmware .venv/bin/python firmware/cmodules/dlms_ecc/test/bench_ecc.py
Numbers are reported, never asserted (host timing is noisy)."""
import hashlib
import sys
import time

try:
    _now, _diff = time.ticks_us, time.ticks_diff
except AttributeError:
    def _now():
        return time.perf_counter_ns() // 1000

    def _diff(a, b):
        return a - b

PRIV = bytes.fromhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
PEER = bytes.fromhex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53")
DIGEST = hashlib.sha256(b"sample").digest()


def median_us(fn, runs):
    ts = []
    for _ in range(runs):
        t = _now()
        fn()
        ts.append(_diff(_now(), t))
    ts.sort()
    return ts[len(ts) // 2]


def bench_api(m, runs):
    pub, peer_pub, sig, z = bytearray(64), bytearray(64), bytearray(64), bytearray(32)
    m.pubkey(PRIV, pub)
    m.pubkey(PEER, peer_pub)
    m.sign(PRIV, DIGEST, sig)
    return (median_us(lambda: m.sign(PRIV, DIGEST, sig), runs),
            median_us(lambda: m.verify(pub, DIGEST, sig), runs),
            median_us(lambda: m.ecdh(PRIV, peer_pub, z), runs))


def bench_openssl(runs):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    alg = ec.ECDSA(Prehashed(hashes.SHA256()))
    key = ec.derive_private_key(int.from_bytes(PRIV, "big"), ec.SECP256R1())
    peer = ec.derive_private_key(int.from_bytes(PEER, "big"), ec.SECP256R1()).public_key()
    pub = key.public_key()
    der = key.sign(DIGEST, alg)
    return (median_us(lambda: key.sign(DIGEST, alg), runs),
            median_us(lambda: pub.verify(der, DIGEST, alg), runs),
            median_us(lambda: key.exchange(ec.ECDH(), peer), runs))


def main():
    from dlms.security import ecc_py

    rows = []
    if sys.implementation.name == "micropython":
        try:
            import _dlms_ecc

            rows.append(("C natmod (micropython)", bench_api(_dlms_ecc, 201)))
        except ImportError:
            print("_dlms_ecc not found: build it with `make natmods`")
        rows.append(("pure Python (micropython)", bench_api(ecc_py, 15)))
    else:
        rows.append(("OpenSSL (cryptography)", bench_openssl(2001)))
        rows.append(("pure Python (CPython)", bench_api(ecc_py, 15)))
    print("%-28s %9s %9s %9s" % ("median us", "sign", "verify", "ecdh"))
    for name, (s, v, e) in rows:
        print("%-28s %9d %9d %9d" % (name, s, v, e))


main()
