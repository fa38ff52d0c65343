# SPDX-License-Identifier: MIT
"""CRC-16/X.25 and AES-GCM/GMAC/key wrap against published vectors, on CPython and MicroPython.

Covers whichever implementation is loaded (C `_dlms_crc`/`_dlms_gcm` natmods or firmware
modules when present, else the Python fallbacks) and always the pure-Python `gcm_py`.
Vectors: CRC check value (dlms-notes 6.7, 7.5); NIST GCM test cases 1-4 and 13-16 (McGrew &
Viega, the GCM submission to NIST); FIPS 197 C.1/C.3; RFC 3394 4.1/4.3/4.6; Green Book
examples of dlms-notes 6.1-6.4 and 6.7.
"""
import sys

from unitlib import h, raises

from dlms.security import gcm, gcm_py
from dlms.util import crc16

IMPLS = (gcm, gcm_py) if gcm.NATIVE else (gcm_py,)

# NIST GCM test cases: (key, iv, aad, plaintext, ciphertext, tag).
_K = "feffe9928665731c6d6a8f9467308308"
_IV = "cafebabefacedbaddecaf888"
_A = "feedfacedeadbeeffeedfacedeadbeefabaddad2"
_P = ("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
_C3 = ("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985")
_C15 = ("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad")
NIST = (
    ("00" * 16, "00" * 12, "", "", "", "58e2fccefa7e3061367f1d57a4e7455a"),  # TC1
    ("00" * 16, "00" * 12, "", "00" * 16, "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"),  # TC2
    (_K, _IV, "", _P, _C3, "4d5c2af327cd64a62cf35abd2ba6fab4"),  # TC3
    (_K, _IV, _A, _P[:120], _C3[:120], "5bc94fbc3221a5db94fae95ae7121a47"),  # TC4
    ("00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),  # TC13
    ("00" * 32, "00" * 12, "", "00" * 16, "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"),  # TC14
    (_K + _K, _IV, "", _P, _C15, "b094dac5d93471bdec1a502270e3cc6c"),  # TC15
    (_K + _K, _IV, _A, _P[:120], _C15[:120], "76fc6ece0f4e1768cddf8853bb2d551b"),  # TC16
)

# Green Book glo-get-request (dlms-notes 6.1).
EK = h("000102030405060708090A0B0C0D0E0F")
AK = h("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
IV_S = h("4D4D4D0000BC614E01234567")
APDU = h("C0010000080000010000FF0200")


def _enc(m, key, iv, aad, pt, tlen=12):
    ct = bytearray(len(pt))
    tag = bytearray(tlen)
    m.gcm_encrypt(key, iv, aad, pt, ct, tag)
    return bytes(ct), bytes(tag)


def _dec(m, key, iv, aad, ct, tag):
    pt = bytearray(len(ct))
    return m.gcm_decrypt(key, iv, aad, ct, tag, pt), bytes(pt)


def test_crc_check_value():
    assert crc16.update(0xFFFF, b"123456789", 0, 9) ^ 0xFFFF == 0x906E
    assert crc16.fcs(b"xx123456789yy", 2, 11) == 0x906E


def test_crc_incremental_and_good():
    data = b"123456789"
    c = crc16.update(0xFFFF, data, 0, 4)
    assert crc16.update(c, data, 4, 9) ^ 0xFFFF == 0x906E
    f = h("A00A00020023 2193")  # dlms-notes 7.5: HCS 18 71, low byte first
    fcs = crc16.fcs(f, 0, len(f))
    framed = f + bytes((fcs & 0xFF, fcs >> 8))
    assert framed[-2:] == h("1871")
    assert crc16.update(0xFFFF, memoryview(framed), 0, len(framed)) == crc16.GOOD
    assert crc16.update(0x1234, data, 3, 3) == 0x1234


def test_crc_native_matches_table():
    try:
        import _dlms_crc
    except ImportError:
        return
    buf = bytes(range(256)) * 2
    c = 0xFFFF
    for b in buf:  # bit-serial reference, reflected poly 0x8408
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
    assert _dlms_crc.update(0xFFFF, buf, 0, len(buf)) == c
    assert raises(ValueError, _dlms_crc.update, 0xFFFF, buf, 0, len(buf) + 1)


def test_aes_ecb_fips197():
    pt = h("00112233445566778899aabbccddeeff")
    for m in IMPLS:
        out = bytearray(16)
        m.aes_ecb_encrypt(bytes(range(16)), pt, out)
        assert out == h("69c4e0d86a7b0430d8cdb78070b4c55a")
        m.aes_ecb_encrypt(bytes(range(32)), pt, out)
        assert out == h("8ea2b7ca516745bfeafc49904b496089")
    # The pure AES (used on CPython; MicroPython uses cryptolib): both directions.
    for key, ct in ((bytes(range(16)), "69c4e0d86a7b0430d8cdb78070b4c55a"),
                    (bytes(range(32)), "8ea2b7ca516745bfeafc49904b496089")):
        a = gcm_py._PyAES(key)
        out = bytearray(16)
        a.encrypt(pt, out)
        assert out == h(ct)
        a.decrypt(h(ct), out)
        assert out == pt


def test_gcm_nist_vectors():
    for m in IMPLS:
        for k, iv, a, p, c, t in NIST:
            ct, tag = _enc(m, h(k), h(iv), h(a), h(p), 16)
            assert ct == h(c) and tag == h(t), (m, k, a)
            ok, pt = _dec(m, h(k), h(iv), h(a), h(c), h(t)[:12])
            assert ok and pt == h(p)


def test_gcm_green_book_sc30_sc20():
    for m in IMPLS:
        ct, tag = _enc(m, EK, IV_S, b"\x30" + AK, APDU)
        assert ct == h("411312FF935A47566827C467BC")
        assert tag == h("7D825C3BE4A77C3FCC056B6B")
        ok, pt = _dec(m, EK, IV_S, b"\x30" + AK, ct, tag)
        assert ok and pt == APDU
        ct, _ = _enc(m, EK, IV_S, None, APDU)  # SC 20: encryption only, no tag sent
        assert ct == h("411312FF935A47566827C467BC")


def test_gmac_green_book_sc10():
    for m in IMPLS:
        tag = bytearray(12)
        m.gmac(EK, IV_S, b"\x10" + AK + APDU, tag)
        assert tag == h("06725D910F9221D263877516")
        ok, _ = _dec(m, EK, IV_S, b"\x10" + AK + APDU, b"", tag)
        assert ok


def test_gcm_green_book_aarq():
    # dlms-notes 6.2: ciphered InitiateRequest (tag 21, SC 30).
    ct = h("801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE68")
    tag = h("41DB204D39EE6FDB8E356855")
    for m in IMPLS:
        ok, pt = _dec(m, EK, IV_S, b"\x30" + AK, ct, tag)
        assert ok and pt == h("01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0")


def test_gcm_general_glo_push():
    # dlms-notes 6.3 (U9N): general-glo-ciphering data-notification, EK = AK.
    k = b"MYDUMMYGLOBALKEY"
    body = h("025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BE"
             "CF282DFE49C08F5BE6DC8400")
    for m in IMPLS:
        ok, pt = _dec(m, k, h("2F19229199164103000001E5"), b"\x30" + k, body[:-12], body[-12:])
        assert ok
        assert pt == h("0F000001DB000922125A8591360000000049000000110000000A5A8513D014800000000D"
                       "0000000A0100")


def test_gmac_hls5_both_passes():
    for m in IMPLS:
        t = bytearray(12)
        m.gmac(EK, h("4D4D4D000000000100000001"), b"\x10" + AK + h("503677524A323146"), t)
        assert t == h("1A52FE7DD3E72748973C1E28")  # pass 3, f(StoC)
        m.gmac(EK, IV_S, b"\x10" + AK + h("4B35366956616759"), t)
        assert t == h("FE1466AFB3DBCD4F9389E2B7")  # pass 4, f(CtoS)


def test_key_wrap_rfc3394():
    key = h("00112233445566778899AABBCCDDEEFF")
    cases = (
        (EK, key, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"),  # 4.1, dlms-notes 6.7
        (bytes(range(32)), key, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"),  # 4.3
        (bytes(range(32)), key + bytes(range(16)),
         "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"),
    )
    for m in IMPLS:
        for kek, k, w in cases:
            out = bytearray(len(k) + 8)
            m.aes_wrap(kek, k, out)
            assert out == h(w)
            back = bytearray(len(k))
            assert m.aes_unwrap(kek, out, back) and back == k
            back = bytearray(len(k))
            bad = bytearray(out)
            bad[5] ^= 0x40
            assert not m.aes_unwrap(kek, bad, back) and back == bytes(len(k))


def test_invalid_tag_rejected_and_zeroed():
    for m in IMPLS:
        ct, tag = _enc(m, EK, IV_S, b"\x30" + AK, APDU)
        for i in (0, 11):
            bad = bytearray(tag)
            bad[i] ^= 0x80
            ok, pt = _dec(m, EK, IV_S, b"\x30" + AK, ct, bad)
            assert not ok and pt == bytes(len(APDU))
        ok, _ = _dec(m, EK, IV_S, b"\x31" + AK, ct, tag)  # AAD changed
        assert not ok
        bad = bytearray(ct)
        bad[3] ^= 1
        assert not _dec(m, EK, IV_S, b"\x30" + AK, bad, tag)[0]
        assert not _dec(m, AK, IV_S, b"\x30" + AK, ct, tag)[0]  # wrong key


def test_in_place_and_memoryview():
    for m in IMPLS:
        buf = bytearray(b"\xaa" + APDU + bytes(12))
        mv = memoryview(buf)
        n = len(APDU)
        m.gcm_encrypt(EK, IV_S, b"\x30" + AK, mv[1:1 + n], mv[1:1 + n], mv[1 + n:])
        assert bytes(buf[1:]) == h("411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B")
        assert m.gcm_decrypt(EK, IV_S, b"\x30" + AK, mv[1:1 + n], mv[1 + n:], mv[1:1 + n])
        assert bytes(buf[1:1 + n]) == APDU and buf[0] == 0xAA


def test_bad_lengths_raise_value_error():
    out = bytearray(16)
    tag = bytearray(12)
    for m in IMPLS:
        for klen in (0, 15, 24, 33):
            k = bytes(klen)
            assert raises(ValueError, m.gcm_encrypt, k, IV_S, b"", b"ab", out, tag)
            assert raises(ValueError, m.gcm_decrypt, k, IV_S, b"", b"ab", tag, out)
            assert raises(ValueError, m.gmac, k, IV_S, b"", tag)
            assert raises(ValueError, m.aes_ecb_encrypt, k, bytes(16), out)
            assert raises(ValueError, m.aes_wrap, k, bytes(16), bytearray(24))
            assert raises(ValueError, m.aes_unwrap, k, bytes(24), out)
        assert raises(ValueError, m.gmac, EK, IV_S[:8], b"", tag)  # IV must be 12 bytes
        assert raises(ValueError, m.gmac, EK, IV_S, b"", bytearray(8))  # tag 12..16
        assert raises(ValueError, m.gcm_encrypt, EK, IV_S, b"", bytes(20), out, tag)  # out short
        assert raises(ValueError, m.aes_wrap, EK, bytes(12), bytearray(24))  # < 16 bytes
        assert raises(ValueError, m.aes_unwrap, EK, bytes(20), out)


def test_native_calls_do_not_allocate():
    if sys.implementation.name != "micropython" or not gcm.NATIVE:
        return
    import micropython

    ct = bytearray(len(APDU))
    tag = bytearray(12)
    pt = bytearray(len(APDU))
    aad = b"\x30" + AK
    micropython.heap_lock()
    try:
        gcm.gcm_encrypt(EK, IV_S, aad, APDU, ct, tag)
        ok = gcm.gcm_decrypt(EK, IV_S, aad, ct, tag, pt)
        gcm.gmac(EK, IV_S, aad, tag)
        c = crc16.update(0xFFFF, APDU, 0, len(APDU))
    finally:
        micropython.heap_unlock()
    assert ok and pt == APDU and 0 <= c <= 0xFFFF
