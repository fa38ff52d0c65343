# SPDX-License-Identifier: MIT
"""ACSE encodings against the byte-exact examples of dlms-notes 3.10."""
from unitlib import h, raises

from dlms.apdu import acse
from dlms.apdu.axdr import DecodeError, Writer

AARQ_PUBLIC = h("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
AARQ_LLS = h("6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
             "BE10040E01000000065F1F0400007E1F04B0")


def test_parse_aarq_public():
    q = acse.parse_aarq(memoryview(AARQ_PUBLIC))
    assert q.context == acse.CTX_LN and q.mechanism == 0 and q.auth_value is None
    acse.parse_initiate_request(q, q.user_info)
    assert q.version == 6 and q.conformance == 0x007E1F and q.max_pdu == 1200
    assert q.initiate_error == acse.INIT_OK and q.dedicated_key is None


def test_parse_aarq_lls():
    q = acse.parse_aarq(memoryview(AARQ_LLS))
    assert q.mechanism == 1 and q.auth_value == b"12345678"


def test_parse_ciphered_aarq_fields():
    q = acse.parse_aarq(memoryview(h(
        "6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080201AC0A8008"
        "3132333435363738BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720"
        "606B175BD52211BE6841DB204D39EE6FDB8E356855")))
    assert q.context == acse.CTX_LN_CIPHER and q.calling_title == h("4D4D4D0000BC614E")
    assert q.user_info[0] == 0x21 and len(q.user_info) == 0x32


def test_truncated_aarq():
    raises(DecodeError, acse.parse_aarq, memoryview(AARQ_PUBLIC[:20]))
    raises(DecodeError, acse.parse_aarq, memoryview(h("6003A10106")))


def test_version_too_low():
    q = acse.parse_aarq(memoryview(AARQ_PUBLIC))
    acse.parse_initiate_request(q, memoryview(h("01000000055F1F0400007E1F04B0")))
    assert q.initiate_error == acse.INIT_VERSION_TOO_LOW


def _out(fn, *args, **kw):
    w = Writer(512)
    fn(w, *args, **kw)
    return bytes(w.mv[: w.pos])


def test_aare_accept_matches_reference():
    got = _out(acse.write_aare, 1, 0, 0,
               lambda w: acse.write_initiate_response(w, 0x00501F, 500))
    assert got == h("6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F04"
                    "0000501F01F40007")


def test_aare_reject_version_matches_reference():
    got = _out(acse.write_aare, 1, 1, 1, h("0E010601"))
    assert got == h("611FA109060760857405080101A203020101A305A103020101BE0604040E010601")


def test_aare_hls_fields():
    got = _out(acse.write_aare, 1, 0, 14,
               lambda w: acse.write_initiate_response(w, 0x00501F, 500), mechanism=5,
               stoc=b"P6wRJ21F")
    assert got == h("6142A109060760857405080101A203020100A305A10302010E88020780890760857405"
                    "080205AA0A8008503677524A323146BE10040E0800065F1F040000501F01F40007")


def test_rlre_with_user_information():
    got = _out(acse.write_rlre, lambda w: acse.write_initiate_response(w, 0x00381F, 0x9B))
    assert got == h("6315800100BE10040E0800065F1F040000381F009B0007")
    assert _out(acse.write_rlre) == h("6303800100")
    assert acse.parse_release(memoryview(h("6200"))) == (None, None)
    reason, ui = acse.parse_release(memoryview(h("6203800100")))
    assert reason == 0 and ui is None


def test_aare_with_certificate_uses_long_lengths():
    # responding-AE-qualifier with the meter certificate (KSMW 3.3.3): 0x82 BER lengths
    from dlms.apdu.axdr import Writer

    cert = bytes(range(256)) + bytes(144)
    w = Writer(700)
    acse.write_aare(w, 3, 0, 14, b"\x28\x00", mechanism=7, stoc=bytes(32),
                    server_title=b"KFM\x00\x05\xf5\xe1\x01", certificate=cert)
    r = bytes(w.mv[: w.pos])
    assert r[:2] == b"\x61\x82" and (r[2] << 8 | r[3]) == len(r) - 4
    i = r.index(b"\xa5\x82")
    assert r[i + 2:i + 8] == b"\x01\x94\x04\x82\x01\x90" and r[i + 8:i + 408] == cert
    q = acse.parse_aarq(memoryview(
        b"\x60\x12\xa1\x09\x06\x07\x60\x85\x74\x05\x08\x01\x01\xa7\x05\x04\x03abc"))
    assert q.calling_ae_qualifier
