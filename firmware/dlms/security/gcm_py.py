# SPDX-License-Identifier: MIT
"""Pure-Python fallback for the C module `_dlms_gcm`, with the same API (documented in
firmware/cmodules/dlms_gcm/mod_dlms_gcm.c): AES-128/256 (FIPS 197), GCM and GMAC with 96-bit
IVs and 12..16-byte tags (NIST SP 800-38D), AES key wrap (RFC 3394).

The block cipher is MicroPython's `cryptolib.aes(key, 1)` (ECB) when present, else the pure
AES below (CPython). Unlike the C module this allocates on every call, and only the tag and
unwrap checks are constant time. Use it through `dlms.security.gcm`.
"""

try:
    from cryptolib import aes as _ecb
except ImportError:
    _ecb = None

_M32 = 0xFFFFFFFF
_R = 0xE1 << 120  # SP 800-38D 6.3: R = 11100001 || 0^120
_KW_IV = b"\xa6" * 8  # RFC 3394 2.2.3.1
_S = None  # (S-box, inverse S-box), built on first pure-AES use
# x^(128+j) folded back: the 4 bits dropped by Z >> 4, already placed at the top (<< 112).
_RED4 = tuple(
    ((r & 1) * 0x1C20 ^ (r >> 1 & 1) * 0x3840 ^ (r >> 2 & 1) * 0x7080 ^ (r >> 3 & 1) * 0xE100)
    << 112
    for r in range(16)
)


def _sboxes():
    # FIPS 197 5.1.1: S(a) = affine(a^-1), inverses from exp/log tables of generator 3.
    global _S
    if _S is None:
        exp = bytearray(256)
        log = bytearray(256)
        p = 1
        for i in range(255):
            exp[i] = p
            log[p] = i
            p ^= ((p << 1) ^ (0x11B if p & 0x80 else 0)) & 0xFF
        s = bytearray(256)
        si = bytearray(256)
        for a in range(256):
            b = exp[(255 - log[a]) % 255] if a else 0
            x = b
            for _ in range(4):
                b = ((b << 1) | (b >> 7)) & 0xFF
                x ^= b
            s[a] = x ^ 0x63
            si[x ^ 0x63] = a
        _S = (s, si)
    return _S


def _ror(w, n):
    return ((w >> n) | (w << (32 - n))) & _M32


def _xt4(w):  # FIPS 197 4.2.1 xtime on the four bytes of a column word
    return ((w & 0x7F7F7F7F) << 1) ^ (((w >> 7) & 0x01010101) * 0x1B)


def _mix(w):  # FIPS 197 5.1.3 MixColumns on one little-endian column word
    r1 = _ror(w, 8)
    return _xt4(w ^ r1) ^ r1 ^ _ror(w, 16) ^ _ror(w, 24)


def _sub(s, w):
    return s[w & 255] | s[w >> 8 & 255] << 8 | s[w >> 16 & 255] << 16 | s[w >> 24] << 24


class _PyAES:
    """AES with 32-bit column words, as the C core (aes.c)."""

    def __init__(self, key):
        s = _sboxes()[0]
        nk = len(key) // 4
        self.nr = nk + 6
        w = [key[4 * i] | key[4 * i + 1] << 8 | key[4 * i + 2] << 16 | key[4 * i + 3] << 24
             for i in range(nk)]
        rcon = 1
        for i in range(nk, 4 * (self.nr + 1)):  # FIPS 197 5.2
            t = w[i - 1]
            if i % nk == 0:
                t = _sub(s, _ror(t, 8)) ^ rcon
                rcon = (rcon << 1) ^ (0x11B if rcon & 0x80 else 0)
            elif nk > 6 and i % nk == 4:
                t = _sub(s, t)
            w.append(w[i - nk] ^ t)
        self.rk = w

    def _run(self, src, dst, box, sh, first, rounds, final, mix):
        rk = self.rk
        x = [(src[4 * c] | src[4 * c + 1] << 8 | src[4 * c + 2] << 16 | src[4 * c + 3] << 24)
             ^ rk[4 * first + c] for c in range(4)]
        for rnd in rounds:
            # (Inv)ShiftRows + (Inv)SubBytes: row r of column c from column c + sh * r.
            y = [box[x[c] & 255] | box[x[(c + sh) & 3] >> 8 & 255] << 8
                 | box[x[(c + 2) & 3] >> 16 & 255] << 16 | box[x[(c - sh) & 3] >> 24] << 24
                 for c in range(4)]
            if rnd == final:
                x = [y[c] ^ rk[4 * rnd + c] for c in range(4)]
            else:
                x = [mix(y[c], rk[4 * rnd + c]) for c in range(4)]
        for c in range(4):
            v = x[c]
            for b in range(4):
                dst[4 * c + b] = v >> (8 * b) & 255

    def encrypt(self, src, dst):  # FIPS 197 5.1
        nr = self.nr
        self._run(src, dst, _sboxes()[0], 1, 0, range(1, nr + 1), nr, lambda y, k: _mix(y) ^ k)

    def decrypt(self, src, dst):  # FIPS 197 5.3, InvMixColumns = MixColumns after a pre-step
        def inv_mix(y, k):
            w = y ^ k
            return _mix(w ^ _xt4(_xt4(w ^ _ror(w, 16))))

        nr = self.nr
        self._run(src, dst, _sboxes()[1], -1, nr, range(nr - 1, -1, -1), 0, inv_mix)


class _CryptolibAES:
    """cryptolib.aes ECB; one object per direction (cryptolib forbids mixing them)."""

    def __init__(self, key):
        self._key = bytes(key)
        self._e = _ecb(self._key, 1)
        self._d = None

    def encrypt(self, src, dst):
        self._e.encrypt(src, dst)

    def decrypt(self, src, dst):
        if self._d is None:
            self._d = _ecb(self._key, 1)
        self._d.decrypt(src, dst)


def _aes(key):
    if len(key) not in (16, 32):
        raise ValueError("key length")
    return _CryptolibAES(key) if _ecb else _PyAES(key)


def _ct_equal(a, b, n):
    d = 0
    for i in range(n):
        d |= a[i] ^ b[i]
    return d == 0


def _ghash(t, y, data, n):
    # SP 800-38D 6.4 with a 4-bit table (Shoup): Y = (Y ^ X) * H, Horner over 32 nibbles.
    for o in range(0, n, 16):
        blk = bytes(data[o:o + 16])
        x = y ^ (int.from_bytes(blk, "big") << (8 * (16 - len(blk))))  # zero-pad, 7.1 step 5
        z = 0
        for _ in range(32):
            z = (z >> 4) ^ _RED4[z & 15] ^ t[x & 15]
            x >>= 4
        y = z
    return y


def _tag(c, iv, aad, data, n):
    # SP 800-38D 7.1 steps 1, 5, 6: full 16-byte T = CIPH_K(J0) ^ GHASH_H(A, C, lengths).
    h = bytearray(16)
    c.encrypt(bytes(16), h)
    v = int.from_bytes(h, "big")
    t = [0] * 16  # t[n] = n * H, MSB of the nibble n = coefficient of x^0
    i = 8
    while i:
        t[i] = v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
        i >>= 1
    for i in (2, 4, 8):
        for j in range(1, i):
            t[i + j] = t[i] ^ t[j]
    y = _ghash(t, 0, aad, len(aad))
    y = _ghash(t, y, data, n)
    y = _ghash(t, y, (len(aad) * 8).to_bytes(8, "big") + (n * 8).to_bytes(8, "big"), 16)
    j0 = bytearray(16)
    j0[:12] = iv
    j0[15] = 1
    c.encrypt(j0, h)
    return (y ^ int.from_bytes(h, "big")).to_bytes(16, "big")


def _gctr(c, iv, src, dst, n):
    # SP 800-38D 6.5 from inc32(J0).
    cb = bytearray(16)
    cb[:12] = iv
    ks = bytearray(16)
    ctr = 1
    for o in range(0, n, 16):
        ctr += 1
        cb[12:16] = ctr.to_bytes(4, "big")
        c.encrypt(cb, ks)
        for i in range(min(16, n - o)):
            dst[o + i] = src[o + i] ^ ks[i]


def _check(iv, aad, tag, n_in, n_out):
    if len(iv) != 12:
        raise ValueError("iv length")
    if not 12 <= len(tag) <= 16:
        raise ValueError("tag length")
    if n_out < n_in:
        raise ValueError("out length")
    return b"" if aad is None else aad


def gcm_encrypt(key, iv12, aad, plaintext, out_ct, out_tag):
    n = len(plaintext)
    aad = _check(iv12, aad, out_tag, n, len(out_ct))
    c = _aes(key)
    _gctr(c, iv12, plaintext, out_ct, n)
    t = _tag(c, iv12, aad, out_ct, n)
    for i in range(len(out_tag)):  # MSB_t(T), SP 800-38D 7.1 step 7
        out_tag[i] = t[i]


def gcm_decrypt(key, iv12, aad, ciphertext, tag, out_pt):
    n = len(ciphertext)
    aad = _check(iv12, aad, tag, n, len(out_pt))
    c = _aes(key)
    if not _ct_equal(_tag(c, iv12, aad, ciphertext, n), tag, len(tag)):  # SP 800-38D 7.2
        for i in range(n):
            out_pt[i] = 0
        return False
    _gctr(c, iv12, ciphertext, out_pt, n)
    return True


def gmac(key, iv12, aad, out_tag):
    gcm_encrypt(key, iv12, aad, b"", b"", out_tag)


def aes_ecb_encrypt(key, block16, out16):
    if len(block16) != 16 or len(out16) < 16:
        raise ValueError("block length")
    o = bytearray(16)
    _aes(key).encrypt(block16, o)
    out16[:16] = o


def _xor_t(a, t):  # A ^= t as a 64-bit big-endian integer
    for k in range(7, -1, -1):
        a[k] ^= t & 255
        t >>= 8


def aes_wrap(kek, key, out):
    # RFC 3394 2.2.1, index-based form.
    n = len(key)
    if n < 16 or n % 8 or len(out) < n + 8:
        raise ValueError("wrap length")
    c = _aes(kek)
    m = n // 8
    for i in range(n - 1, -1, -1):
        out[8 + i] = key[i]
    b = bytearray(_KW_IV + bytes(8))
    e = bytearray(16)
    for j in range(6):
        for i in range(1, m + 1):
            b[8:] = out[8 * i:8 * i + 8]
            c.encrypt(b, e)
            b[:] = e
            out[8 * i:8 * i + 8] = e[8:]
            _xor_t(b, m * j + i)
    out[:8] = b[:8]


def aes_unwrap(kek, wrapped, out):
    # RFC 3394 2.2.2, then the integrity check 2.2.3 (constant time).
    n = len(wrapped) - 8
    if n < 16 or n % 8 or len(out) < n:
        raise ValueError("unwrap length")
    c = _aes(kek)
    m = n // 8
    b = bytearray(16)
    b[:8] = wrapped[:8]
    e = bytearray(16)
    for i in range(n):
        out[i] = wrapped[8 + i]
    for j in range(5, -1, -1):
        for i in range(m, 0, -1):
            _xor_t(b, m * j + i)
            b[8:] = out[8 * i - 8:8 * i]
            c.decrypt(b, e)
            b[:] = e
            out[8 * i - 8:8 * i] = e[8:]
    if _ct_equal(b, _KW_IV, 8):
        return True
    for i in range(n):
        out[i] = 0
    return False
