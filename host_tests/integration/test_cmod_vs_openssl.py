# SPDX-License-Identifier: MIT
"""C modules (natmods in build/natmod, run under the `micropython` unix port) and the
pure-Python fallback (under CPython) against OpenSSL through `cryptography`: randomized keys,
IVs, AAD and lengths 0..1300 for GCM/GMAC, key wrap, AES-ECB, and CRC-16/X.25.

The natmods are built here with `make natmods` when missing (never skipped)."""
import os
import random
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NATMOD = os.path.join(ROOT, "build", "natmod")
MODS = ("_dlms_crc", "_dlms_gcm")
MPY = os.path.join(ROOT, ".venv", "bin", "micropython")
MICROPYPATH = "firmware:host_tests:build/natmod:.frozen"
SEED = int(os.environ.get("CMOD_SEED", "20250101"))

sys.path.insert(0, os.path.join(ROOT, "firmware"))
sys.path.insert(0, os.path.join(ROOT, "host_tests", "cpython"))
from dlms.security import gcm_py  # noqa: E402

# Runs under MicroPython: one request line in, one answer line out ("-" = empty bytes).
MP_SCRIPT = r"""
import sys
from binascii import hexlify, unhexlify
import _dlms_crc, _dlms_gcm as g

def u(s):
    return b"" if s == "-" else unhexlify(s)

def x(b):
    return hexlify(b).decode() or "-"

print("mpy", sys.implementation._mpy, g.__file__, _dlms_crc.__file__)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    f = line.split()
    op, a = f[0], [u(s) for s in f[1:]]
    if op == "E":
        ct, tag = bytearray(len(a[3])), bytearray(int(f[5]))
        g.gcm_encrypt(a[0], a[1], a[2], a[3], ct, tag)
        print(x(ct), x(tag))
    elif op == "D":
        pt = bytearray(len(a[3]))
        print(int(g.gcm_decrypt(a[0], a[1], a[2], a[3], a[4], pt)), x(pt))
    elif op == "G":
        tag = bytearray(12)
        g.gmac(a[0], a[1], a[2], tag)
        print(x(tag))
    elif op == "W":
        out = bytearray(len(a[1]) + 8)
        g.aes_wrap(a[0], a[1], out)
        print(x(out))
    elif op == "U":
        out = bytearray(len(a[1]) - 8)
        print(int(g.aes_unwrap(a[0], a[1], out)), x(out))
    elif op == "B":
        out = bytearray(16)
        g.aes_ecb_encrypt(a[0], a[1], out)
        print(x(out))
    elif op == "C":
        print(_dlms_crc.update(0xFFFF, a[0], 0, len(a[0])))
"""


def _hex(b):
    return b.hex() or "-"


def _crc_ref(data):
    c = 0xFFFF
    for b in data:  # bit-serial CRC-16/X.25 register, no final XOR
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
    return c


def _ensure_natmods():
    paths = [os.path.join(NATMOD, m + ".mpy") for m in MODS]
    if all(os.path.exists(p) for p in paths):
        return paths
    r = subprocess.run(["make", "natmods"], cwd=ROOT, capture_output=True, text=True)
    log = r.stdout + r.stderr
    missing = [p for p in paths if not os.path.exists(p)]
    assert not missing, "natmod build failed, missing %s:\n%s" % (missing, log)
    return paths


def _cases(rnd, n):
    """(request line, expected answer) pairs, with the oracle computed by cryptography."""
    rb = rnd.randbytes
    out = []
    for i in range(n):
        key, iv = rb(rnd.choice((16, 32))), rb(12)
        aad = rb(rnd.choice((0, 17, rnd.randrange(0, 300))))
        pt = rb(rnd.randrange(0, 1301) if i % 4 else rnd.choice((0, 1, 15, 16, 17, 1300)))
        tlen = rnd.choice((12, 12, 16, rnd.randrange(12, 17)))
        full = AESGCM(key).encrypt(iv, pt, aad)
        ct, tag = full[:-16], full[-16:-16 + tlen] if tlen < 16 else full[-16:]
        out.append(("E %s %s %s %s %d" % (_hex(key), _hex(iv), _hex(aad), _hex(pt), tlen),
                    "%s %s" % (_hex(ct), _hex(tag))))
        out.append(("D %s %s %s %s %s" % (_hex(key), _hex(iv), _hex(aad), _hex(ct), _hex(tag)),
                    "1 %s" % _hex(pt)))
        bad = bytearray(tag)
        bad[rnd.randrange(tlen)] ^= 1 << rnd.randrange(8)
        out.append(("D %s %s %s %s %s" % (_hex(key), _hex(iv), _hex(aad), _hex(ct), bad.hex()),
                    "0 %s" % _hex(bytes(len(pt)))))
        out.append(("G %s %s %s" % (_hex(key), _hex(iv), _hex(aad)),
                    AESGCM(key).encrypt(iv, b"", aad)[:12].hex()))
        if i % 2 == 0:
            kd = rb(8 * rnd.randrange(2, 9))
            w = aes_key_wrap(key, kd)
            out.append(("W %s %s" % (key.hex(), kd.hex()), w.hex()))
            out.append(("U %s %s" % (key.hex(), w.hex()), "1 " + kd.hex()))
            wb = bytearray(w)
            wb[rnd.randrange(len(w))] ^= 0x10
            out.append(("U %s %s" % (key.hex(), wb.hex()), "0 " + bytes(len(kd)).hex()))
            blk = rb(16)
            enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
            out.append(("B %s %s" % (key.hex(), blk.hex()), enc.update(blk).hex()))
            buf = rb(rnd.randrange(0, 1301))
            out.append(("C %s" % _hex(buf), str(_crc_ref(buf))))
    return out


def test_natmods_vs_cryptography():
    paths = _ensure_natmods()
    cases = _cases(random.Random(SEED), 250)
    req = "".join(c[0] + "\n" for c in cases)
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    r = subprocess.run([MPY, "-X", "heapsize=1m", "-c", MP_SCRIPT], input=req, cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr + r.stdout[-2000:]
    lines = r.stdout.splitlines()
    head = lines[0].split()
    # The runtime must load our .mpy files, built for its ABI (mpy v6.3, x64).
    with open(paths[1], "rb") as f:
        hdr = f.read(3)
    assert int(head[1]) == hdr[1] | hdr[2] << 8, (head, hdr)
    assert head[2].endswith("_dlms_gcm.mpy") and head[3].endswith("_dlms_crc.mpy"), head
    answers = lines[1:]
    assert len(answers) == len(cases), r.stderr
    for (q, want), got in zip(cases, answers):
        assert got == want, "request %s" % q[:120]


def test_python_fallback_vs_cryptography():
    rnd = random.Random(SEED + 1)
    for i in range(120):
        key, iv = rnd.randbytes(rnd.choice((16, 32))), rnd.randbytes(12)
        aad = rnd.randbytes(rnd.randrange(0, 100))
        pt = rnd.randbytes(rnd.randrange(0, 1301))
        full = AESGCM(key).encrypt(iv, pt, aad)
        ct, tag = bytearray(len(pt)), bytearray(16)
        gcm_py.gcm_encrypt(key, iv, aad, pt, ct, tag)
        assert bytes(ct + tag) == full
        out = bytearray(len(pt))
        assert gcm_py.gcm_decrypt(key, iv, aad, full[:-16], full[-16:-4], out) and out == pt
        bad = bytearray(full[-16:-4])
        bad[i % 12] ^= 4
        assert not gcm_py.gcm_decrypt(key, iv, aad, full[:-16], bad, out)
        assert out == bytes(len(pt))
        t = bytearray(12)
        gcm_py.gmac(key, iv, aad, t)
        assert t == AESGCM(key).encrypt(iv, b"", aad)[:12]
        kd = rnd.randbytes(8 * rnd.randrange(2, 9))
        w = bytearray(len(kd) + 8)
        gcm_py.aes_wrap(key, kd, w)
        assert w == aes_key_wrap(key, kd)
        back = bytearray(len(kd))
        assert gcm_py.aes_unwrap(key, w, back) and back == kd
