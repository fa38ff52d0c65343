# SPDX-License-Identifier: MIT
"""Randomized cross-check of the portable core (xcheck.c) against OpenSSL (`cryptography`)
and plain Python integers: public keys, RFC 6979 and caller-k signatures, verification of
OpenSSL signatures (valid, s negated, tampered), ECDH, point validation and inversion mod p
and n, for special scalars (edge and window-boundary patterns) and random ones, inversion
of edge values (powers of two, m - 1, ...); SHA-256 of every length up to 400 bytes.
    gcc -std=c99 -O2 -I.. -o /tmp/xcheck xcheck.c ../p256.c ../p256_fp32.c ../p256_point.c \\
        ../ecdsa.c ../sha256.c        (again with -DDLMS_ECC_LIMB32 for the 32-bit-limb path)
    .venv/bin/python firmware/cmodules/dlms_ecc/test/xcheck.py /tmp/xcheck [count] [seed]
Exit status 1 on any mismatch."""
import hashlib
import hmac
import random
import subprocess
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (Prehashed, decode_dss_signature,
                                                             encode_dss_signature)

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ALG = ec.ECDSA(Prehashed(hashes.SHA256()))


def b32(v):
    return v.to_bytes(32, "big")


def key(d):
    return ec.derive_private_key(d, ec.SECP256R1())


def pub_bytes(k):
    n = k.public_key().public_numbers()
    return b32(n.x) + b32(n.y)


def rfc6979_k(x, digest):
    # RFC 6979 3.2 with HMAC-SHA-256, qlen = hlen = 256
    v, k = b"\x01" * 32, b"\x00" * 32
    xh = b32(x) + b32(int.from_bytes(digest, "big") % N)
    for sep in (b"\x00", b"\x01"):
        k = hmac.new(k, v + sep + xh, hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        t = int.from_bytes(v, "big")
        if 1 <= t < N:
            return t
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def special_scalars():
    v = [1, 2, 3, 15, 16, 17, 31, 32, 33, 2**32, 2**64 - 1, 2**128, 2**192 + 1, 2**255,
         2**255 - 1, 2**256 // 3, N // 2, (N + 1) // 2, N - 1, N - 2, N - 3, N - 16, N - 17,
         N - 31, N - 32, N - 2**128, 2**160 - 2**80, int("10" * 128, 2), int("01" * 128, 2),
         int("1" * 255, 2)]
    # window and comb boundaries: Booth digits +-16, all-ones windows, comb columns
    v += [sum(16 << (5 * j) for j in range(51)), sum(15 << (5 * j) for j in range(51)),
          sum(17 << (5 * j) for j in range(50)), sum(1 << (64 * j) for j in range(4)),
          sum(1 << (32 * j) for j in range(8)), N - sum(1 << (32 * j) for j in range(8))]
    return [x % N for x in v if x % N]


class Core:
    def __init__(self, prog):
        self.p = subprocess.Popen([prog], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)

    def ask(self, *args):
        self.p.stdin.write(" ".join(a if isinstance(a, str) else a.hex() for a in args) + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()


def main():
    prog = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    core = Core(prog)
    fails = []

    def check(ok, what):
        if not ok:
            fails.append(what)
            print("FAIL", what)

    scalars = special_scalars() + [rng.randrange(1, N) for _ in range(count)]
    for i, d in enumerate(scalars):
        k = key(d)
        pub = pub_bytes(k)
        check(core.ask("P", b32(d)) == pub.hex(), "pubkey %x" % d)
        h = rng.randbytes(32) if i % 7 else (b"\xff" * 32 if i % 2 else bytes(32))
        e = int.from_bytes(h, "big") % N
        # RFC 6979 signature: same r, s as computed here, and OpenSSL accepts it
        sig = core.ask("S", b32(d), h)
        kk = rfc6979_k(d, h)
        r = key(kk).public_key().public_numbers().x % N
        check(sig == (b32(r) + b32(pow(kk, -1, N) * (e + r * d) % N)).hex(), "rfc6979 %x" % d)
        try:
            sb = bytes.fromhex(sig)
            k.public_key().verify(encode_dss_signature(int.from_bytes(sb[:32], "big"),
                                                       int.from_bytes(sb[32:], "big")), h, ALG)
        except (InvalidSignature, ValueError):
            check(False, "openssl verify %x" % d)
        # caller k, special values included
        kk = scalars[(i * 7 + 3) % len(scalars)]
        r = key(kk).public_key().public_numbers().x % N
        want = (b32(r) + b32(pow(kk, -1, N) * (e + r * d) % N)).hex()
        check(core.ask("K", b32(d), h, b32(kk)) == want, "sign k %x %x" % (d, kk))
        # OpenSSL signatures: valid, with s negated, tampered signature or digest
        orr, oss = decode_dss_signature(k.sign(h, ALG))
        sb = b32(orr) + b32(oss)
        check(core.ask("V", pub, h, sb) == "1", "verify %x" % d)
        check(core.ask("V", pub, h, b32(orr) + b32(N - oss)) == "1", "verify -s %x" % d)
        bad = bytearray(sb)
        bad[rng.randrange(64)] ^= 1 << rng.randrange(8)
        check(core.ask("V", pub, h, bytes(bad)) == "0", "verify bad sig %x" % d)
        bh = bytearray(h)
        bh[rng.randrange(32)] ^= 1 << rng.randrange(8)
        check(core.ask("V", pub, bytes(bh), sb) == "0", "verify bad digest %x" % d)
        # ECDH with a special or random peer
        peer = key(scalars[(i * 5 + 1) % len(scalars)])
        z = k.exchange(ec.ECDH(), peer.public_key())
        check(core.ask("E", b32(d), pub_bytes(peer)) == z.hex(), "ecdh %x" % d)
        # point validation: the point, a coordinate + p, a changed y
        check(core.ask("C", pub) == "1", "valid %x" % d)
        y = int.from_bytes(pub[32:], "big")
        check(core.ask("C", pub[:32] + b32((y + 1) % P)) == "0", "off curve %x" % d)
        x = int.from_bytes(pub[:32], "big")
        if x + P < 2**256:
            check(core.ask("C", b32(x + P) + pub[32:]) == "0", "x >= p %x" % d)
        # inversion mod p and n (constant-time and variable-time agree with pow)
        for name, m in (("p", P), ("n", N)):
            a = d % m or 1
            check(core.ask("I", name, b32(a)) == b32(pow(a, -1, m)).hex(), "inv %s %x" % (name, a))
    # verification where u1 G and u2 Q meet (Q = dG for small d, e = +-r, 0, 1)
    for d in (1, 2, N - 1):
        pub = pub_bytes(key(d))
        for kk in (1, 2, 3, 5, N - 1):
            r = key(kk).public_key().public_numbers().x % N
            for e in (r, (N - r) % N, 0, 1):
                s = pow(kk, -1, N) * (e + r * d) % N
                if s:
                    check(core.ask("V", pub, b32(e), b32(r) + b32(s)) == "1",
                          "verify crafted %x %x %x" % (d, kk, e))
    # inversion at the edges: 1, 2, m - 1, halves, powers of two and their neighbours
    for name, m in (("p", P), ("n", N)):
        vals = {1, 2, 3, m - 1, m - 2, (m - 1) // 2, (m + 1) // 2}
        for k in range(256):
            vals |= {(1 << k) % m, ((2 << k) - 1) % m, (m - (1 << k)) % m}
        for a in sorted(vals - {0}):
            check(core.ask("I", name, b32(a)) == b32(pow(a, -1, m)).hex(), "inv %s %x" % (name, a))
    for n in range(401):
        data = rng.randbytes(n)
        check(core.ask("H", data.hex() or "-") == hashlib.sha256(data).hexdigest(), "sha256 %d" % n)
    print("xcheck %s: %d scalars, %d failures" % (prog, len(scalars), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
