# SPDX-License-Identifier: MIT
"""Suite 0/1 protection against the Green Book vectors of dlms-notes 6.1-6.4."""
from unitlib import h, raises

from dlms.apdu import acse
from dlms.security import cipher
from dlms.security.cipher import SecurityError

EK = h("000102030405060708090A0B0C0D0E0F")
AK = h("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
TITLE = h("4D4D4D0000BC614E")
IC = 0x01234567
GET_CLOCK = h("C0010000080000010000FF0200")
EXPECTED = {
    0x30: h("30 01234567 411312FF935A47566827C467BC 7D825C3BE4A77C3FCC056B6B"),
    0x20: h("20 01234567 411312FF935A47566827C467BC"),
    0x10: h("10 01234567 C0010000080000010000FF0200 06725D910F9221D263877516"),
}


def test_green_book_glo_get_request_all_modes():
    for sc, want in EXPECTED.items():
        out = bytearray(64)
        n = cipher.protect(sc, EK, AK, TITLE, IC, GET_CLOCK, out)
        assert bytes(out[:n]) == want, (sc, bytes(out[:n]).hex())
        plain = bytearray(64)
        assert cipher.unprotect(EK, AK, TITLE, memoryview(want), plain) == (sc, IC, 13)
        assert bytes(plain[:13]) == GET_CLOCK
    assert cipher.glo_tag(0xC0) == 0xC8 and cipher.ded_tag(0xC0) == 0xD0
    assert cipher.plain_tag(0xD4) == 0xC4 and cipher.plain_tag(0x21) == 0x01
    assert cipher.ded_tag(0x01) == 0x41 and cipher.is_dedicated(0xD0)


def test_tampering_is_detected():
    for sc in (0x30, 0x10):
        bad = bytearray(EXPECTED[sc])
        bad[7] ^= 1
        raises(SecurityError, cipher.unprotect, EK, AK, TITLE, memoryview(bad), bytearray(64))
        raises(SecurityError, cipher.unprotect, AK, AK, TITLE, memoryview(EXPECTED[sc]),
               bytearray(64))  # wrong key
        raises(SecurityError, cipher.unprotect, EK, AK, h("4D4D4D0000BC614F"),
               memoryview(EXPECTED[sc]), bytearray(64))  # wrong system title
    raises(SecurityError, cipher.unprotect, EK, AK, TITLE, memoryview(h("00 01234567 C0")),
           bytearray(8))


def test_ciphered_aarq_user_information():
    ui = h("21 30 30 01234567 801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE68"
           " 41DB204D39EE6FDB8E356855")
    assert ui[0] == 0x21 and ui[1] == len(ui) - 2
    plain = bytearray(64)
    sc, ic, n = cipher.unprotect(EK, AK, TITLE, memoryview(ui)[2:], plain)
    assert (sc, ic) == (0x30, IC)
    q = acse.Aarq()
    acse.parse_initiate_request(q, memoryview(plain)[:n])
    assert q.dedicated_key == h("00112233445566778899AABBCCDDEEFF")
    assert (q.version, q.conformance, q.max_pdu) == (6, 0x007E1F, 1200)


def test_general_glo_ciphering_real_push():
    key = b"MYDUMMYGLOBALKEY"
    apdu = h("DB 08 2F19229199164103 3B 30 000001E5 025CE9D2271FD78BE8C204211A916A9D7F587E0A7A"
             "814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400")
    title = apdu[2:10]
    assert apdu[10] == len(apdu) - 11
    plain = bytearray(80)
    sc, ic, n = cipher.unprotect(key, key, title, memoryview(apdu)[11:], plain)
    assert (sc, ic) == (0x30, 0x1E5)
    assert bytes(plain[:n]) == h("0F 000001DB 00 09 22 125A8591360000000049000000110000000A5A85"
                                 "13D014800000000D0000000A0100")


def test_hls5_both_passes():
    # pass 3 (client, title 4D4D4D0000000001, IC 1) over StoC; pass 4 (server) over CtoS
    assert cipher.hls5(EK, AK, h("4D4D4D0000000001"), 1, b"P6wRJ21F") == \
        h("10 00000001 1A52FE7DD3E72748973C1E28")
    assert cipher.hls5(EK, AK, TITLE, IC, b"K56iVagY") == h("10 01234567 FE1466AFB3DBCD4F9389E2B7")
