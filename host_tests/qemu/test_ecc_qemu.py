# SPDX-License-Identifier: MIT
"""The P-256 core as the Cortex-M4 runs it (32-bit limbs, arm-none-eabi-gcc -Os, the
firmware image of boards/qemu_mps2_an386) against OpenSSL (`cryptography`): public keys,
RFC 6979 and caller-k signatures, OpenSSL signatures verified (tampered ones refused), ECDH,
for edge and random scalars. The host tests of _dlms_ecc run the x64 natmod (64-bit limbs);
this one runs `_dlms_ecc` in the image, through the raw REPL (tools/qemu_bench.run_guest)."""
import os
import random
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAP = os.environ.get("QEMU_HEAP", "128k")  # the image make test-qemu builds: no rebuild
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "firmware"))
import qemu_bench  # noqa: E402
from dlms.security import ecc_py  # noqa: E402

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ECDSA = ec.ECDSA(Prehashed(hashes.SHA256()))

GUEST = """
import _dlms_ecc as e
pub, sig, sig_k, z = bytearray(64), bytearray(64), bytearray(64), bytearray(32)
for c in CASES:
    d, dg, k, q, osig = [bytes.fromhex(x) for x in c]
    e.pubkey(d, pub)
    e.sign(d, dg, sig)
    e.sign(d, dg, sig_k, k)
    e.ecdh(d, q, z)
    bad = bytearray(osig)
    bad[40] ^= 1
    print("ecc", bytes(pub).hex(), bytes(sig).hex(), bytes(sig_k).hex(), bytes(z).hex(),
          int(e.verify(pub, dg, osig)), int(e.verify(pub, dg, bytes(bad))))
"""


def _b32(v):
    return v.to_bytes(32, "big")


def _key(d):
    return ec.derive_private_key(d, ec.SECP256R1())


def _raw(key):
    n = key.public_key().public_numbers()
    return _b32(n.x) + _b32(n.y)


def _heap_bytes(heap):
    return int(heap[:-1]) * 1024 if heap[-1] in "kK" else int(heap)


def test_ecc_on_cortex_m4():
    rng = random.Random(12)
    edges = [1, 2, 3, N - 1, N - 2, (N + 1) // 2, 2**255, 2**128 + 1]
    cases = []
    for i in range(16):
        d = edges[i] if i < len(edges) else rng.randrange(1, N)
        k = edges[(i * 3 + 1) % len(edges)] if i % 2 else rng.randrange(1, N)
        peer = edges[(i * 5 + 2) % len(edges)] if i % 3 == 0 else rng.randrange(1, N)
        digest = rng.randbytes(32) if i % 5 else (b"\xff" * 32 if i % 2 else bytes(32))
        r, s = decode_dss_signature(_key(d).sign(digest, ECDSA))
        cases.append((d, digest, k, peer, _b32(r) + _b32(s)))
    data = [(_b32(d).hex(), dg.hex(), _b32(k).hex(), _raw(_key(p)).hex(), osig.hex())
            for d, dg, k, p, osig in cases]
    out, err = qemu_bench.run_guest("CASES = %r\n%s" % (data, GUEST), _heap_bytes(HEAP))
    assert not err.strip(b"\x04> \r\n"), err
    rows = [line.split()[1:] for line in out.decode().splitlines() if line.startswith("ecc ")]
    assert len(rows) == len(cases), out
    for (d, digest, k, peer, _), (pub, sig, sig_k, z, v_ok, v_bad) in zip(cases, rows):
        key = _key(d)
        assert pub == _raw(key).hex(), hex(d)
        want = bytearray(64)
        ecc_py.sign(_b32(d), digest, want)  # RFC 6979, the pure-Python fallback
        assert sig == bytes(want).hex(), hex(d)
        e = int.from_bytes(digest, "big") % N
        r = _key(k).public_key().public_numbers().x % N
        assert sig_k == (_b32(r) + _b32(pow(k, -1, N) * (e + r * d) % N)).hex(), hex(k)
        assert z == key.exchange(ec.ECDH(), _key(peer).public_key()).hex(), hex(d)
        assert (v_ok, v_bad) == ("1", "0"), hex(d)
