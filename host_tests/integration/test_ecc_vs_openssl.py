# SPDX-License-Identifier: MIT
"""Randomized cross-checks of P-256 ECDSA/ECDH against OpenSSL (`cryptography`): the C natmod
`_dlms_ecc` running under the MicroPython unix port, and the pure-Python fallback under
CPython. DLMS signatures are raw r||s; OpenSSL's are DER, converted both ways here."""
import hashlib
import os
import random
import subprocess
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (Prehashed, decode_dss_signature,
                                                              encode_dss_signature)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY = os.path.join(ROOT, ".venv", "bin", "micropython")
NATMOD = os.path.join(ROOT, "build", "natmod", "_dlms_ecc.mpy")
MICROPYPATH = ":".join(os.path.join(ROOT, p)
                       for p in ("firmware", "host_tests", "build/natmod", ".frozen"))
ECDSA = ec.ECDSA(Prehashed(hashes.SHA256()))
CASES = 40

sys.path.insert(0, os.path.join(ROOT, "firmware"))
sys.path.insert(0, os.path.join(ROOT, "host_tests", "cpython"))
from dlms.security import ecc_py  # noqa: E402


def _ensure_natmod():
    # Build instead of skipping: `make natmods` (tools/build_natmods.sh) puts the .mpy on
    # MICROPYPATH.
    if not os.path.exists(NATMOD):
        subprocess.run(["make", "-C", ROOT, "natmods"], check=True)
    assert os.path.exists(NATMOD), "natmod build did not produce " + NATMOD


def _run_mp(script):
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    res = subprocess.run([MPY, "-X", "heapsize=256k", "-c", script], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def _raw(pub):
    n = pub.public_numbers()
    return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def _priv(key):
    return key.private_numbers().private_value.to_bytes(32, "big")


def _pub_from_raw(b):
    return ec.EllipticCurvePublicNumbers(int.from_bytes(b[:32], "big"),
                                         int.from_bytes(b[32:], "big"),
                                         ec.SECP256R1()).public_key()


def _der_to_raw(der):
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _openssl_verifies(pub_raw, digest, sig):
    try:
        _pub_from_raw(pub_raw).verify(
            encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                 int.from_bytes(sig[32:], "big")), digest, ECDSA)
        return True
    except InvalidSignature:
        return False


def _cases(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        key = ec.generate_private_key(ec.SECP256R1())
        peer = ec.generate_private_key(ec.SECP256R1())
        digest = hashlib.sha256(rnd.randbytes(rnd.randrange(0, 300))).digest()
        out.append({
            "priv": _priv(key), "pub": _raw(key.public_key()), "digest": digest,
            "k": rnd.randbytes(32), "ossl_sig": _der_to_raw(key.sign(digest, ECDSA)),
            "peer_pub": _raw(peer.public_key()),
            "z": key.exchange(ec.ECDH(), peer.public_key()),
        })
    return out


_MP_SCRIPT = """
import sys
import _dlms_ecc as e
v = sys.implementation._mpy
print("mpy", v & 0xFF, (v >> 8) & 3)
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
pub, sig, sig_k, z = bytearray(64), bytearray(64), bytearray(64), bytearray(32)
for c in CASES:
    priv, cpub, dg, k, osig, ppub = [bytes.fromhex(x) for x in c]
    e.pubkey(priv, pub)
    e.sign(priv, dg, sig)
    ok_k = 0 < int.from_bytes(k, "big") < N
    if ok_k:
        e.sign(priv, dg, sig_k, k)
    e.ecdh(priv, ppub, z)
    bad = bytearray(osig)
    bad[7] ^= 4
    print(" ".join((bytes(pub).hex(), bytes(sig).hex(), bytes(sig_k).hex() if ok_k else "-",
                    bytes(z).hex(), str(e.verify(cpub, dg, osig)),
                    str(e.verify(cpub, dg, bytes(bad))), str(e.valid_point(ppub)))))
"""


def _check_results(cases, rows):
    for c, row in zip(cases, rows):
        pub, sig, sig_k, z, v_ok, v_bad, valid = row
        assert pub == c["pub"]
        assert z == c["z"]
        assert _openssl_verifies(c["pub"], c["digest"], sig)
        if sig_k is not None:
            assert _openssl_verifies(c["pub"], c["digest"], sig_k)
        flipped = bytearray(sig)
        flipped[40] ^= 1
        assert not _openssl_verifies(c["pub"], c["digest"], bytes(flipped))
        assert v_ok is True and v_bad is False and valid is True


def test_natmod_against_openssl():
    _ensure_natmod()
    cases = _cases(CASES, 1)
    data = [tuple(c[k].hex() for k in ("priv", "pub", "digest", "k", "ossl_sig", "peer_pub"))
            for c in cases]
    out = _run_mp("CASES = %r\n%s" % (data, _MP_SCRIPT)).split("\n")
    assert out[0] == "mpy 6 3", out[0]  # natmod ABI v6.3 (architecture.md 3.2)
    rows = []
    for line in out[1:1 + CASES]:
        f = line.split()
        rows.append((bytes.fromhex(f[0]), bytes.fromhex(f[1]),
                     None if f[2] == "-" else bytes.fromhex(f[2]), bytes.fromhex(f[3]),
                     f[4] == "True", f[5] == "True", f[6] == "True"))
    assert len(rows) == CASES
    _check_results(cases, rows)


def test_python_fallback_against_openssl():
    cases = _cases(8, 2)
    rows = []
    for c in cases:
        pub, sig, sig_k, z = bytearray(64), bytearray(64), bytearray(64), bytearray(32)
        ecc_py.pubkey(c["priv"], pub)
        ecc_py.sign(c["priv"], c["digest"], sig)
        ecc_py.sign(c["priv"], c["digest"], sig_k, c["k"])
        ecc_py.ecdh(c["priv"], c["peer_pub"], z)
        bad = bytearray(c["ossl_sig"])
        bad[7] ^= 4
        rows.append((bytes(pub), bytes(sig), bytes(sig_k), bytes(z),
                     ecc_py.verify(c["pub"], c["digest"], c["ossl_sig"]),
                     ecc_py.verify(c["pub"], c["digest"], bytes(bad)),
                     ecc_py.valid_point(c["peer_pub"])))
    _check_results(cases, rows)


def test_natmod_matches_fallback_deterministic():
    # RFC 6979 signatures are deterministic: the C module and the fallback must agree
    # byte for byte (different code paths, same answer).
    _ensure_natmod()
    cases = _cases(10, 3)
    script = ("import _dlms_ecc as e\nout = bytearray(64)\n"
              "for p, d in %r:\n"
              "    e.sign(bytes.fromhex(p), bytes.fromhex(d), out)\n"
              "    print(bytes(out).hex())\n"
              % [(c["priv"].hex(), c["digest"].hex()) for c in cases])
    lines = _run_mp(script).split()
    for c, line in zip(cases, lines):
        sig = bytearray(64)
        ecc_py.sign(c["priv"], c["digest"], sig)
        assert bytes(sig).hex() == line


def _build_core(tmp_path, main, opt, *flags):
    # the portable core with a test driver (firmware/cmodules/dlms_ecc/test), plain gcc
    src = os.path.join(ROOT, "firmware", "cmodules", "dlms_ecc")
    exe = str(tmp_path / (main + "".join(flags).replace("-D", "_").replace("=", "")))
    subprocess.run(["gcc", "-std=c99", opt, "-g", "-Wall", "-Wextra", "-Werror", *flags,
                    "-I" + src, os.path.join(src, "test", main + ".c"),
                    *(os.path.join(src, f)
                      for f in ("p256.c", "p256_fp32.c", "p256_point.c", "ecdsa.c", "sha256.c")),
                    "-o", exe], check=True)
    return exe


def _build_ctcheck(tmp_path, *flags):
    return _build_core(tmp_path, "ctcheck", "-O1", *flags)


def test_c_core_cross_check(tmp_path):
    # The portable core with both limb widths (64-bit: the x64 natmod; 32-bit: the boards),
    # and without the G tables, against OpenSSL and Python integers (test/xcheck.py: edge
    # and random scalars, signatures both ways, ECDH, point checks, inversion mod p and n).
    xcheck = os.path.join(ROOT, "firmware", "cmodules", "dlms_ecc", "test", "xcheck.py")
    for flags in ((), ("-DDLMS_ECC_LIMB32",), ("-DDLMS_ECC_LIMB32", "-DDLMS_ECC_HAS_GTABLE=0")):
        exe = _build_core(tmp_path, "xcheck", "-O2", *flags)
        res = subprocess.run([sys.executable, xcheck, exe, "60", "5"], capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def test_c_core_constant_time(tmp_path):
    # The portable core on its own (gcc, both limb widths): the RFC 6979 vector, then the
    # secret-key paths under valgrind memcheck with the scalars marked undefined (ctgrind):
    # any branch or memory index that depends on them fails the run.
    import shutil

    import pytest

    missing = None
    for flags in ((), ("-DDLMS_ECC_LIMB32",)):
        exe = _build_ctcheck(tmp_path, *flags)
        assert subprocess.run([exe], capture_output=True, text=True).stdout == "ok\n"
        if shutil.which("valgrind") is None:
            missing = "valgrind not installed"
            continue
        res = subprocess.run(["valgrind", "-q", "--error-exitcode=3", exe, "ct"],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        if res.stdout != "ct done\n":
            missing = res.stdout.strip()
    if missing:
        pytest.skip("constant-time check not run: " + missing)
