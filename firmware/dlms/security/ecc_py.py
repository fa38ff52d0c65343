# SPDX-License-Identifier: MIT
"""Pure-Python P-256 ECDSA/ECDH and SHA-256 with the API of the C module `_dlms_ecc`.

A fallback for hosts without the natmod and the reference the C module is tested against.
It is NOT constant time (Python integers) and about 100x slower than the C module: use it
for tests and tools, not for secrets on a device. Runs on CPython and MicroPython (no
pow(x, -1, m), no signed from_bytes). Keys and signatures in DLMS form: private key
32 bytes, public key X||Y 64 bytes, signature r||s 64 bytes, all big-endian. Inputs must
have the exact length; outputs are writable buffers at least as long (first bytes written).
"""
import hashlib

# SEC 2 2.4.2 (FIPS 186-4 D.1.2.3) curve P-256: y^2 = x^3 - 3x + b over GF(p), order n.
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
_INF = (0, 1, 0)  # Jacobian point at infinity (Z = 0)

_gtab = None  # window table of G, built on first use


def _in(b, n):
    if len(b) != n:
        raise ValueError("bad length")
    return int.from_bytes(bytes(b), "big")


def _out(b, n):
    if len(b) < n:
        raise ValueError("output too short")


def _scalar(b):
    # A private key or k must be in [1, n-1] (SEC 1 3.2.1, FIPS 186-4 B.4.2).
    v = _in(b, 32)
    if not 0 < v < _N:
        raise ValueError("invalid private key or k")
    return v


def _dbl(pt):
    # EFD dbl-2001-b, a = -3
    x, y, z = pt
    if not z:
        return pt
    p = _P
    d = z * z % p
    g = y * y % p
    b = x * g % p
    a = 3 * (x - d) * (x + d) % p
    x3 = (a * a - 8 * b) % p
    return x3, (a * (4 * b - x3) - 8 * g * g) % p, ((y + z) * (y + z) - g - d) % p


def _add(p1, p2):
    # EFD add-1998-cmo-2 with the special cases handled
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if not z1:
        return p2
    if not z2:
        return p1
    p = _P
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    s1 = y1 * z2 * z2z2 % p
    h = (x2 * z1z1 - u1) % p
    r = (y2 * z1 * z1z1 - s1) % p
    if not h:
        return _dbl(p1) if not r else _INF
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - s1 * hhh) % p, z1 * z2 * h % p


def _table(pt):
    t = [_INF, pt]
    for _ in range(14):
        t.append(_add(t[-1], pt))
    return t


def _g_table():
    global _gtab
    if _gtab is None:
        _gtab = _table((_GX, _GY, 1))
    return _gtab


def _mul(k1, t1, k2=0, t2=None):
    # k1 P1 + k2 P2, 4-bit windows (Straus/Shamir), most significant first
    acc = _INF
    for i in range(252, -1, -4):
        acc = _dbl(_dbl(_dbl(_dbl(acc))))
        w = (k1 >> i) & 15
        if w:
            acc = _add(acc, t1[w])
        if t2:
            w = (k2 >> i) & 15
            if w:
                acc = _add(acc, t2[w])
    return acc


def _affine(pt):
    x, y, z = pt
    zi = pow(z, _P - 2, _P)
    zi2 = zi * zi % _P
    return x * zi2 % _P, y * zi2 * zi % _P


def _point(b):
    # SEC 1 3.2.2.1 public key validation; None when invalid
    if len(b) != 64:
        raise ValueError("bad length")
    b = bytes(b)
    x = int.from_bytes(b[:32], "big")
    y = int.from_bytes(b[32:], "big")
    if x >= _P or y >= _P or (y * y - x * x * x + 3 * x - _B) % _P:
        return None
    return x, y, 1


def _put(out, ints):
    i = 0
    for v in ints:
        out[i:i + 32] = v.to_bytes(32, "big")
        i += 32


def valid_point(pub64):
    return _point(pub64) is not None


def pubkey(priv32, out64):
    d = _scalar(priv32)
    _out(out64, 64)
    _put(out64, _affine(_mul(d, _g_table())))


def keygen(random32, out_priv32, out_pub64):
    # FIPS 186-4 B.4.2 testing candidates: False means "draw new random bytes"
    d = _in(random32, 32)
    _out(out_priv32, 32)
    _out(out_pub64, 64)
    if not 0 < d < _N:
        return False
    _put(out_pub64, _affine(_mul(d, _g_table())))
    _put(out_priv32, (d,))
    return True


def _hmac(key, msg):
    # RFC 2104, key of 32 bytes
    k = bytes(key) + bytes(32)
    ih = hashlib.sha256(bytes(c ^ 0x36 for c in k))
    ih.update(msg)
    oh = hashlib.sha256(bytes(c ^ 0x5C for c in k))
    oh.update(ih.digest())
    return oh.digest()


def _rfc6979(x, h1):
    # RFC 6979 3.2 b..h candidates for k (qlen = hlen = 256)
    v = b"\x01" * 32
    k = bytes(32)
    k = _hmac(k, v + b"\x00" + x + h1)
    v = _hmac(k, v)
    k = _hmac(k, v + b"\x01" + x + h1)
    v = _hmac(k, v)
    while True:
        v = _hmac(k, v)
        yield int.from_bytes(v, "big")
        k = _hmac(k, v + b"\x00")
        v = _hmac(k, v)


def _sign_k(d, e, k):
    # FIPS 186-4 6.4; None when k is out of range or r or s is 0
    if not 0 < k < _N:
        return None
    r = _affine(_mul(k, _g_table()))[0] % _N
    s = pow(k, _N - 2, _N) * (e + r * d) % _N
    if not r or not s:
        return None
    return r, s


def sign(priv32, digest32, out64, k32=None):
    d = _scalar(priv32)
    e = _in(digest32, 32) % _N  # SEC 1 4.1.3 step 5, RFC 6979 2.3.4
    _out(out64, 64)
    if k32 is not None:
        rs = _sign_k(d, e, _scalar(k32))
        if rs is None:
            raise ValueError("r or s is zero: use another k")
    else:
        for k in _rfc6979(d.to_bytes(32, "big"), e.to_bytes(32, "big")):
            rs = _sign_k(d, e, k)
            if rs:
                break
    _put(out64, rs)


def verify(pub64, digest32, sig64):
    # SEC 1 4.1.4
    q = _point(pub64)
    e = _in(digest32, 32) % _N
    r = _in(sig64, 64)
    r, s = r >> 256, r & ((1 << 256) - 1)
    if q is None or not 0 < r < _N or not 0 < s < _N:
        return False
    w = pow(s, _N - 2, _N)
    pt = _mul(e * w % _N, _g_table(), r * w % _N, _table(q))
    if not pt[2]:
        return False
    return _affine(pt)[0] % _N == r


def ecdh(priv32, peer_pub64, out32):
    # SEC 1 3.3.1: x-coordinate of d Q
    d = _scalar(priv32)
    q = _point(peer_pub64)
    _out(out32, 32)
    if q is None:
        raise ValueError("invalid point")
    pt = _mul(d, _table(q))
    if not pt[2]:
        raise ValueError("invalid point")
    _put(out32, _affine(pt)[:1])


def sha256(data, out32):
    _out(out32, 32)
    out32[0:32] = hashlib.sha256(bytes(data)).digest()
