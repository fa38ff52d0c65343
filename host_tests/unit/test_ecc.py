# SPDX-License-Identifier: MIT
"""P-256 ECDSA/ECDH/SHA-256 against published vectors (RFC 6979 A.2.5, RFC 5903 8.1,
dlms-notes 6.5) and malformed inputs. Every available backend is tested: the pure-Python
fallback always, the C module `_dlms_ecc` when it imports (MicroPython with build/natmod on
MICROPYPATH)."""
import hashlib

from unitlib import h, raises

from dlms.security import ecc, ecc_py

IMPLS = [ecc_py]
try:
    import _dlms_ecc

    IMPLS.append(_dlms_ecc)
except ImportError:
    _dlms_ecc = None

N = h("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
P = h("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF")
G = h("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
      "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")

# RFC 6979 A.2.5: P-256 key pair and SHA-256 signatures
X = h("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
U = h("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
      "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")
SAMPLE_K = h("A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60")
SAMPLE_SIG = h("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
               "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8")
TEST_K = h("D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0")
TEST_SIG = h("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
             "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083")

# RFC 5903 8.1: ECDH P-256 (initiator i, responder r, shared x of g^ir)
I_PRIV = h("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433")
I_PUB = h("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
          "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3")
R_PRIV = h("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53")
R_PUB = h("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
          "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB")
GIR = h("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE")

# dlms-notes 6.5: EICT key agreement vectors (suite 1)
DLMS_CLIENT_EPH_PUB = h(
    "2914D60E10AB705F62ED6CC349D7CB99B9AB3F3978E59278C7AF595B3AF98794"
    "1372DAB6D5AF1FA867E134167E6F23DE664A6693E05F43414611058D1B48F894")
DLMS_SERVER_EPH_PRIV = h("34A8C23A34DBB519D09B245754C85A6CFE05D14A063EFA5AA41545AA8241EFAE")
DLMS_SERVER_EPH_PUB = h(
    "95F41066009B185B074F5FFFF736B71C325FCADB2BC0CF1A4F4B17BBE7AB81D6"
    "2946506BC8169C7B539B39A5D8463787F449C9BD2583FA67A1075B0DBFC638BA")
DLMS_Z = h("C1CF8FE7891AEF3617D7190795E61FE6C24EFC3CCA2E08469BAD1A225CE6EA08")
DLMS_ONEPASS_PUB = h(
    "C323C2BD45711DE4688637D919F92E9DB8FB2DFC213A88D21C9DC8DCBA917D81"
    "70511DE1BADB360D50058F794B0960AE11FA28D392CFF907A62D13E3357B1DC0")
DLMS_STATIC_PRIV = h("AAD3FD0732E991CF52A74C66C1F2827DDC53522A2E0A169D7C4FFCC0FB5D6A4D")
DLMS_ONEPASS_Z = h("0D4385BA0DD756CBCAB9887EB538396EE8F090A14C1079B4359F115B977F4615")

# (0, Y0) is on the curve: y^2 = b has this root
Y0 = h("66485C780E2F83D72433BD5D84A06BB6541C2AF31DAE871728BF856A174F93F4")


def _flip(b, i, bit=1):
    b = bytearray(b)
    b[i] ^= bit
    return bytes(b)


def _int_bytes(v):
    return v.to_bytes(32, "big")


def _add_small(b, k):
    return _int_bytes(int.from_bytes(b, "big") + k)


def _sig(m, priv, digest, k=None):
    out = bytearray(64)
    if k is None:
        m.sign(priv, digest, out)
    else:
        m.sign(priv, digest, out, k)
    return bytes(out)


def test_backend_choice():
    assert ecc.IMPL == ("c" if _dlms_ecc else "py")
    assert ecc.sign is (_dlms_ecc or ecc_py).sign


def test_sha256_vectors():
    # FIPS 180-4 examples (NIST CSRC): "abc", the 448-bit message, and the empty string
    vectors = (
        (b"abc", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
        (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1"),
        (b"", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
    )
    for m in IMPLS:
        out = bytearray(33)
        for msg, digest in vectors:
            m.sha256(msg, out)
            assert bytes(out[:32]) == h(digest)
        for n in (55, 56, 63, 64, 65, 127, 128, 200):  # padding edges, multi-block
            data = bytes(i & 0xFF for i in range(n))
            m.sha256(memoryview(data), out)
            assert bytes(out[:32]) == hashlib.sha256(data).digest()


def test_rfc6979_public_key():
    for m in IMPLS:
        out = bytearray(64)
        m.pubkey(X, out)
        assert bytes(out) == U


def test_rfc6979_deterministic_signatures():
    for m in IMPLS:
        for msg, sig in ((b"sample", SAMPLE_SIG), (b"test", TEST_SIG)):
            digest = hashlib.sha256(msg).digest()
            assert _sig(m, X, digest) == sig
            assert m.verify(U, digest, sig) is True


def test_sign_with_caller_k():
    # RFC 6979 A.2.5 lists the k it derives: signing with it gives the same signature
    for m in IMPLS:
        assert _sig(m, X, hashlib.sha256(b"sample").digest(), SAMPLE_K) == SAMPLE_SIG
        out = bytearray(64)
        m.sign(X, hashlib.sha256(b"test").digest(), out, k32=TEST_K)
        assert bytes(out) == TEST_SIG
        for bad_k in (bytes(32), N, b"\xff" * 32):
            assert raises(ValueError, m.sign, X, bytes(32), out, bad_k)


def test_verify_rejects_malformed_signatures():
    digest = hashlib.sha256(b"sample").digest()
    r, s = SAMPLE_SIG[:32], SAMPLE_SIG[32:]
    bad = (
        bytes(32) + s,                     # r = 0
        r + bytes(32),                     # s = 0
        N + s,                             # r = n
        r + N,                             # s = n
        b"\xff" * 32 + s,                  # r > n
        r + b"\xff" * 32,                  # s > n
        _flip(SAMPLE_SIG, 5),              # flipped bit in r
        _flip(SAMPLE_SIG, 63, 0x80),       # flipped bit in s
        s + r,                             # swapped
        bytes(64),
    )
    for m in IMPLS:
        for sig in bad:
            assert m.verify(U, digest, sig) is False
        assert m.verify(U, _flip(digest, 0), SAMPLE_SIG) is False
        assert m.verify(I_PUB, digest, SAMPLE_SIG) is False  # other key
        assert m.verify(_flip(U, 40), digest, SAMPLE_SIG) is False  # off-curve key
        assert raises(ValueError, m.verify, U, digest, SAMPLE_SIG[:63])


def test_rfc5903_ecdh():
    for m in IMPLS:
        pub = bytearray(64)
        m.pubkey(I_PRIV, pub)
        assert bytes(pub) == I_PUB
        m.pubkey(R_PRIV, pub)
        assert bytes(pub) == R_PUB
        z = bytearray(32)
        m.ecdh(I_PRIV, R_PUB, z)
        assert bytes(z) == GIR
        m.ecdh(R_PRIV, I_PUB, z)
        assert bytes(z) == GIR


def test_dlms_key_agreement_vectors():
    for m in IMPLS:
        pub = bytearray(64)
        m.pubkey(DLMS_SERVER_EPH_PRIV, pub)
        assert bytes(pub) == DLMS_SERVER_EPH_PUB
        z = bytearray(32)
        m.ecdh(DLMS_SERVER_EPH_PRIV, DLMS_CLIENT_EPH_PUB, z)
        assert bytes(z) == DLMS_Z
        m.ecdh(DLMS_STATIC_PRIV, DLMS_ONEPASS_PUB, z)
        assert bytes(z) == DLMS_ONEPASS_Z


def test_invalid_points_rejected():
    p_plus_0 = P + Y0  # x = p is congruent to the valid x = 0, but not < p
    invalid = (
        bytes(64),                             # (0, 0): how infinity would look
        _flip(G, 63),                          # off-curve
        _flip(G, 10),
        G[:32] + P,                            # y = p
        b"\xff" * 64,                          # both >= p
        p_plus_0,
    )
    z = bytearray(32)
    for m in IMPLS:
        assert m.valid_point(G) and m.valid_point(U) and m.valid_point(bytes(32) + Y0)
        for pt in invalid:
            assert m.valid_point(pt) is False
            assert raises(ValueError, m.ecdh, X, pt, z)
            assert m.verify(pt, bytes(32), SAMPLE_SIG) is False
        assert raises(ValueError, m.valid_point, G[:63])


def test_private_key_range():
    n_minus_1 = _add_small(N, -1)
    neg_g = G[:32] + _int_bytes(int.from_bytes(P, "big") - int.from_bytes(G[32:], "big"))
    for m in IMPLS:
        priv, pub = bytearray(32), bytearray(64)
        # FIPS 186-4 B.4.2: candidates outside [1, n-1] are rejected, not reduced
        for cand in (bytes(32), N, _add_small(N, 1), b"\xff" * 32):
            assert m.keygen(cand, priv, pub) is False
            assert raises(ValueError, m.pubkey, cand, pub)
            assert raises(ValueError, m.sign, cand, bytes(32), bytearray(64))
            assert raises(ValueError, m.ecdh, cand, G, bytearray(32))
        assert m.keygen(_int_bytes(1), priv, pub) is True
        assert bytes(priv) == _int_bytes(1) and bytes(pub) == G
        assert m.keygen(n_minus_1, priv, pub) is True
        assert bytes(pub) == neg_g  # (n-1) G = -G
        assert m.keygen(X, priv, pub) is True
        assert bytes(priv) == X and bytes(pub) == U


def test_buffer_checks():
    for m in IMPLS:
        assert raises(ValueError, m.pubkey, X[:31], bytearray(64))
        assert raises(ValueError, m.pubkey, X, bytearray(63))
        assert raises(ValueError, m.sign, X, bytes(31), bytearray(64))
        assert raises(ValueError, m.ecdh, X, U, bytearray(31))
        assert raises(ValueError, m.sha256, b"", bytearray(31))
        big = bytearray(70)  # longer outputs are fine: the first bytes are written
        m.pubkey(X, big)
        assert bytes(big[:64]) == U and big[64:] == bytearray(6)
        mv = memoryview(bytearray(64))
        m.pubkey(memoryview(bytearray(X)), mv)
        assert bytes(mv) == U


def test_edge_digests():
    # e = 0 and e >= n (reduced mod n), where u1 = 0 or e wraps
    for m in IMPLS:
        for digest in (bytes(32), N, b"\xff" * 32):
            sig = _sig(m, X, digest)
            assert m.verify(U, digest, sig) is True
    # Q = G: u1 G + u2 Q takes the doubling case when u1 = u2
    one = _int_bytes(1)
    for m in IMPLS:
        digest = hashlib.sha256(b"dbl").digest()
        sig = _sig(m, one, digest)
        assert m.verify(G, digest, sig) is True
        r = sig[:32]
        # digest = r makes u1 = u2
        sig2 = _sig(m, one, r)
        assert m.verify(G, r, sig2) is True


def test_backends_agree():
    if len(IMPLS) < 2:
        return
    seed = b"dlms-ecc"
    for i in range(12):
        seed = hashlib.sha256(seed).digest()
        digest = hashlib.sha256(seed + b"m").digest()
        k = hashlib.sha256(seed + b"k").digest()
        outs = []
        for m in IMPLS:
            pub, z = bytearray(64), bytearray(32)
            m.pubkey(seed, pub)
            m.ecdh(seed, U, z)
            outs.append((bytes(pub), bytes(z), _sig(m, seed, digest), _sig(m, seed, digest, k)))
        assert outs[0] == outs[1]
        for m in IMPLS:
            assert m.verify(outs[0][0], digest, outs[0][2])
            assert m.verify(outs[0][0], digest, outs[0][3])


def test_c_module_does_not_allocate():
    # (in, out) API: with preallocated buffers the C module runs with the heap locked.
    if _dlms_ecc is None:
        return
    import micropython

    m = _dlms_ecc
    digest = hashlib.sha256(b"sample").digest()
    pub, sig, z, d = bytearray(64), bytearray(64), bytearray(32), bytearray(32)
    micropython.heap_lock()
    try:
        ok = m.keygen(X, d, pub)
        m.pubkey(X, pub)
        m.sign(X, digest, sig)
        m.sign(X, digest, sig, k32=SAMPLE_K)
        good = m.verify(U, digest, sig)
        m.ecdh(I_PRIV, R_PUB, z)
        valid = m.valid_point(U)
        m.sha256(digest, z)
    finally:
        micropython.heap_unlock()
    assert ok and good and valid and bytes(sig) == SAMPLE_SIG
