# SPDX-License-Identifier: MIT
"""General protection codec (dlms.security.general): general-glo/ded-ciphering, general-
ciphering, general-signing and their layering, against dlms-notes 5.3-5.6 and 6.3."""
from unitlib import h, raises

from dlms.apdu.axdr import Writer
from dlms.security import ecc, gcm, general as g
from dlms.security.general import (DecipheringError, GeneralError, InvalidSignature,
                                   MalformedApdu, UnsupportedKeyInfo, WrongOriginator,
                                   WrongRecipient)

EK = h("000102030405060708090A0B0C0D0E0F")
AK = h("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
KEK = h("000102030405060708090A0B0C0D0E0F")
KEY = h("00112233445566778899AABBCCDDEEFF")
WRAPPED = h("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")  # RFC 3394 4.1 (dlms-notes 6.7)
CLIENT = h("4D4D4D0000000001")
SERVER = h("4D4D4D0000BC614E")
TID = h("0102030405060708")
DT = h("07EA070103000000FF800000")
IC = 0x01234567
GET_CLOCK = h("C0010000080000010000FF0200")
GET_RESP = h("C4010000090C07EA070103000000FF800000")
CLIENT_PRIV = h("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
SERVER_PRIV = h("AAD3FD0732E991CF52A74C66C1F2827DDC53522A2E0A169D7C4FFCC0FB5D6A4D")


def _pub(priv):
    out = bytearray(64)
    ecc.pubkey(priv, out)
    return bytes(out)


CLIENT_PUB = _pub(CLIENT_PRIV)
SERVER_PUB = _pub(SERVER_PRIV)


def _w(fn, *args):
    w = Writer(2048)
    fn(w, *args)
    return bytes(w.mv[:w.pos])


def _dd(sc=0x30, key_info=g.KEY_IDENTIFIED, key_id=0, key_data=None, ek=EK, dt=b"",
        plain=GET_CLOCK, ic=IC, originator=CLIENT, recipient=SERVER):
    return _w(g.write_general_ciphering, TID, originator, recipient, dt, b"", key_info, key_id,
              key_data, sc, ek, AK, ic, plain)


def _resolve(key_id):
    return EK if key_id == 0 else None


def _open_dd(apdu, title=SERVER, resolve=_resolve, kek=KEK, allow_clear=False):
    hd = g.parse_general_ciphering(apdu)
    out = bytearray(256)
    sc, ic, n = g.open_general_ciphering(hd, title, AK, resolve, kek, out, allow_clear)
    return hd, sc, ic, bytes(out[:n])


def _raises_get(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return e
    raise AssertionError("%r not raised" % (exc,))


# ------------------------------------------------------------ general-glo/ded-ciphering


def test_general_glo_real_push_vector():
    # dlms-notes 6.3 (U9N): parse, open, and the writer gives back the same bytes
    key = b"MYDUMMYGLOBALKEY"
    apdu = h("DB 08 2F19229199164103 3B 30 000001E5 025CE9D2271FD78BE8C204211A916A9D7F587E0A7A"
             "814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400")
    plain = h("0F 000001DB 00 09 22 125A8591360000000049000000110000000A5A8513D014800000000D0000"
              "000A0100")
    hd = g.parse_general_glo(apdu)
    assert hd.tag == g.GENERAL_GLO and bytes(hd.originator) == h("2F19229199164103")
    assert (hd.sc, hd.ic, len(hd.content)) == (0x30, 0x1E5, 0x3B)
    out = bytearray(80)
    assert g.open_general_glo(hd, key, key, out) == (0x30, 0x1E5, len(plain))
    assert bytes(out[:len(plain)]) == plain
    assert _w(g.write_general_glo, g.GENERAL_GLO, h("2F19229199164103"), 0x30, key, key, 0x1E5,
              plain) == apdu
    raises(DecipheringError, g.open_general_glo, hd, EK, key, out)  # wrong key
    bad = bytearray(apdu)
    bad[-1] ^= 1
    raises(DecipheringError, g.open_general_glo, g.parse_general_glo(bad), key, key, out)


def test_general_glo_and_ded_round_trip():
    # content = the Green Book glo-get-request protection of dlms-notes 6.1
    want = {0x30: h("30 01234567 411312FF935A47566827C467BC 7D825C3BE4A77C3FCC056B6B"),
            0x20: h("20 01234567 411312FF935A47566827C467BC"),
            0x10: h("10 01234567 C0010000080000010000FF0200 06725D910F9221D263877516")}
    for tag in (g.GENERAL_GLO, g.GENERAL_DED):
        for sc, content in want.items():
            apdu = _w(g.write_general_glo, tag, SERVER, sc, EK, AK, IC, GET_CLOCK)
            assert apdu == bytes([tag, 8]) + SERVER + bytes([len(content)]) + content
            hd = g.parse_general_glo(apdu)
            assert hd.tag == tag and (hd.sc, hd.ic) == (sc, IC)
            out = bytearray(64)
            assert g.open_general_glo(hd, EK, AK, out) == (sc, IC, 13)
            assert bytes(out[:13]) == GET_CLOCK and hd.ek is EK
    hd = g.parse_general_glo(_w(g.write_general_glo, g.GENERAL_GLO, SERVER, 0x30, EK, AK, IC,
                                GET_CLOCK))
    raises(DecipheringError, g.open_general_glo, hd, None, AK, bytearray(64))  # no ded key
    hd.originator[7] ^= 1  # IV from another title
    raises(DecipheringError, g.open_general_glo, hd, EK, AK, bytearray(64))
    raises(MalformedApdu, g.open_general_glo, hd, EK, AK, bytearray(8))  # out too small
    raises(ValueError, g.write_general_glo, Writer(20), g.GENERAL_GLO, SERVER, 0x30, EK, AK, 1,
           GET_CLOCK)  # overflow
    raises(ValueError, g.write_general_glo, Writer(99), 0xDD, SERVER, 0x30, EK, AK, 1, GET_CLOCK)
    raises(MalformedApdu, g.parse_general_glo, h("DB 07 2F192291991641 06 30 00000001 00"))
    raises(MalformedApdu, g.parse_general_glo, h("DB 08 2F19229199164103 04 30 000001"))
    raises(MalformedApdu, g.parse_general_glo, GET_CLOCK)


# ------------------------------------------------------------ general-ciphering


def test_general_ciphering_layout_and_aad():
    # dlms-notes 5.5: A = SC || AK || each header field with its length byte
    apdu = _dd()
    hdr = h("08 0102030405060708 08 4D4D4D0000000001 08 4D4D4D0000BC614E 00 00")
    assert apdu[:1 + len(hdr) + 4] == h("DD") + hdr + h("01 00 00 1E")
    ct, tag = bytearray(13), bytearray(12)
    gcm.gcm_encrypt(EK, CLIENT + h("01234567"), h("30") + AK + hdr, GET_CLOCK, ct, tag)
    assert apdu[-30:] == h("30 01234567") + ct + tag
    # authentication only: the APDU follows the header fields in A
    apdu = _dd(sc=0x10)
    gcm.gmac(EK, CLIENT + h("01234567"), h("10") + AK + hdr + GET_CLOCK, tag)
    assert apdu[-30:] == h("10 01234567") + GET_CLOCK + tag
    # encryption only: no tag
    apdu = _dd(sc=0x20)
    assert apdu[-18:-13] == h("20 01234567") and len(apdu) == 1 + len(hdr) + 3 + 1 + 18
    # the key-set bit is written as zero (GB Table 39 note 1)
    assert _dd(sc=0x70)[len(hdr) + 5] == 0x30


def test_secref_table41_header_parses_and_agreed_key_is_refused():
    # dlms-notes 5.5 (SECREF, GB Table 41); key-ciphered-data = Q_e,U (dlms-notes 6.5) +
    # a placeholder signature, ciphertext after its first bytes filled in
    q_eu = h("C323C2BD45711DE4688637D919F92E9DB8FB2DFC213A88D21C9DC8DCBA917D8170511DE1BADB360D"
             "50058F794B0960AE11FA28D392CFF907A62D13E3357B1DC0")
    head = h("DD 08 0102030405060708 08 4D4D4D0000BC614E 08 4D4D4D0000000001 00 00 01 02 01 01"
             " 81 80")
    content = h("30 00000000 3F14FC102AE08241BC24EF") + bytes(0xEB - 16)
    apdu = head + q_eu + bytes(64) + h("81 EB") + content
    hd = g.parse_general_ciphering(apdu)
    assert bytes(hd.tid) == TID
    assert bytes(hd.originator) == SERVER and bytes(hd.recipient) == CLIENT
    assert not hd.has_dt and len(hd.other) == 0
    assert bytes(hd.hdr) == head[1:30]
    assert (hd.key_info, hd.key_id, len(hd.key_data)) == (g.KEY_AGREED, 1, 128)
    assert bytes(hd.key_data[:64]) == q_eu
    assert (hd.sc, hd.ic, len(hd.content)) == (0x30, 0, 0xEB)
    out = bytearray(300)
    e = _raises_get(UnsupportedKeyInfo, g.open_general_ciphering, hd, CLIENT, AK, _resolve, KEK,
                   out)
    assert e.service_error == 2  # D8 01 02 (dlms-notes 4.9)
    raises(WrongRecipient, g.open_general_ciphering, hd, SERVER, AK, _resolve, KEK, out)
    raises(UnsupportedKeyInfo, _open_dd, apdu, CLIENT)
    # longer forms of the same lengths (82 00 80, 82 00 EB) parse the same
    long = head[:-2] + h("82 0080") + q_eu + bytes(64) + h("82 00EB") + content
    assert len(g.parse_general_ciphering(long).key_data) == 128


def test_general_ciphering_identified_key_round_trip():
    for sc in (0x10, 0x20, 0x30):
        for dt in (b"", DT):
            apdu = _dd(sc=sc, dt=dt)
            hd, rsc, ric, plain = _open_dd(apdu)
            assert (rsc, ric, plain) == (sc, IC, GET_CLOCK)
            assert hd.key_info == g.KEY_IDENTIFIED and hd.key_id == 0 and hd.ek is EK
            assert hd.has_dt == bool(dt)
            # response: same transaction-id and key-info, titles swapped, date-time iff
            # the request had one (KSMW 3.3.1.1)
            resp = _w(g.write_ciphering_response, hd, SERVER, sc, AK, 7, GET_RESP, DT)
            rh, rsc, ric, plain = _open_dd(resp, CLIENT)
            assert (rsc, ric, plain) == (sc, 7, GET_RESP)
            assert bytes(rh.tid) == TID and bytes(rh.originator) == SERVER
            assert bytes(rh.recipient) == CLIENT and len(rh.other) == 0
            assert (rh.key_info, rh.key_id) == (g.KEY_IDENTIFIED, 0)
            assert bytes(rh.date_time) == (DT if dt else b"")
    hd = _open_dd(_dd(dt=DT))[0]
    raises(ValueError, g.write_ciphering_response, Writer(256), hd, SERVER, 0x30, AK, 7,
           GET_RESP)  # date-time required
    # no key-info, and an unknown key id: the resolver decides, None = unsupported
    raises(UnsupportedKeyInfo, _open_dd, _dd(key_info=None))
    raises(UnsupportedKeyInfo, _open_dd, _dd(key_id=g.GBEK))
    hd, sc, ic, plain = _open_dd(_dd(key_info=None), resolve=lambda k: EK if k is None else None)
    assert plain == GET_CLOCK and hd.key_info is None
    resp = _w(g.write_ciphering_response, hd, SERVER, 0x30, AK, 8, GET_RESP)
    assert g.parse_general_ciphering(resp).key_info is None


def test_general_ciphering_wrapped_key():
    apdu = _dd(key_info=g.KEY_WRAPPED, key_id=g.MASTER_KEY, key_data=WRAPPED, ek=KEY)
    assert h("01 01 00 18") + WRAPPED in apdu
    hd, sc, ic, plain = _open_dd(apdu)
    assert plain == GET_CLOCK and bytes(hd.ek) == KEY
    # the response repeats the key-info and uses the same content key
    resp = _w(g.write_ciphering_response, hd, SERVER, 0x30, AK, 9, GET_RESP)
    rh, sc, ic, plain = _open_dd(resp, CLIENT, resolve=None)
    assert plain == GET_RESP and rh.key_info == g.KEY_WRAPPED and bytes(rh.key_data) == WRAPPED
    assert bytes(rh.ek) == KEY
    raises(DecipheringError, _open_dd, apdu, SERVER, _resolve, AK)  # wrong KEK
    raises(UnsupportedKeyInfo, _open_dd, apdu, SERVER, _resolve, None)  # no KEK
    bad = _dd(key_info=g.KEY_WRAPPED, key_id=1, key_data=WRAPPED, ek=KEY)
    raises(UnsupportedKeyInfo, _open_dd, bad)  # kek-id other than master key
    bad = _dd(key_info=g.KEY_WRAPPED, key_id=0, key_data=WRAPPED[:16], ek=KEY)
    raises(DecipheringError, _open_dd, bad)  # not a wrapped 128/256-bit key
    bad = bytearray(apdu)
    bad[apdu.find(WRAPPED) + 3] ^= 1
    raises(DecipheringError, _open_dd, bytes(bad))  # RFC 3394 integrity check


def test_general_ciphering_refusals():
    apdu = _dd()
    raises(WrongRecipient, _open_dd, apdu, CLIENT)
    raises(DecipheringError, _open_dd, apdu, SERVER, lambda k: AK)  # wrong key
    for i in (30, 40, len(apdu) - 20, len(apdu) - 1):
        bad = bytearray(apdu)
        bad[i] ^= 0x01
        raises(GeneralError, _open_dd, bytes(bad))
    # every header field is in A: transaction-id, originator, date-time, other-information
    other = _w(g.write_general_ciphering, TID, CLIENT, SERVER, DT, h("AA55"), g.KEY_IDENTIFIED,
               0, None, 0x30, EK, AK, IC, GET_CLOCK)
    assert _open_dd(other)[3] == GET_CLOCK
    for i in (2, 12, 30, 42):
        bad = bytearray(other)
        bad[i] ^= 0x01
        raises(DecipheringError, _open_dd, bytes(bad))
    sc10 = _dd(sc=0x10)
    bad = bytearray(sc10)
    bad[-14] ^= 1  # the APDU of an authenticated-only layer
    raises(DecipheringError, _open_dd, bytes(bad))
    clear = _dd(sc=0x00, ek=None)
    raises(DecipheringError, _open_dd, clear)  # no protection unless allowed
    hd, sc, ic, plain = _open_dd(clear, allow_clear=True)
    assert (sc, plain) == (0, GET_CLOCK)
    bad = bytearray(_dd(sc=0xB0))  # compression is not supported
    raises(DecipheringError, _open_dd, bytes(bad))
    raises(ValueError, lambda: _dd(dt=b"\x00"))
    raises(ValueError, lambda: _dd(originator=CLIENT[:7]))
    raises(ValueError, lambda: _dd(key_info=g.KEY_AGREED))


def test_general_ciphering_suite_bits_are_authenticated():
    hd, sc, ic, plain = _open_dd(_dd(sc=0x31))
    assert (sc, plain) == (0x31, GET_CLOCK)
    bad = bytearray(_dd(sc=0x31))
    bad[-30] = 0x30
    raises(DecipheringError, _open_dd, bytes(bad))


# ------------------------------------------------------------ general-signing


def _df(content=GET_CLOCK, dt=b"", priv=CLIENT_PRIV, originator=CLIENT, recipient=SERVER):
    return _w(g.write_general_signing, TID, originator, recipient, dt, b"", content, priv)


def test_general_signing_round_trip():
    apdu = _df()
    head = h("DF 08 0102030405060708 08 4D4D4D0000000001 08 4D4D4D0000BC614E 00 00 0D")
    assert apdu[:len(head)] == head and apdu[len(head):len(head) + 13] == GET_CLOCK
    assert apdu[len(head) + 13] == 0x40 and len(apdu) == len(head) + 13 + 65
    # signature over SHA-256 of transaction-id .. content, lengths included (dlms-notes 5.6)
    d = bytearray(32)
    ecc.sha256(apdu[1:len(head) + 13], d)
    assert ecc.verify(CLIENT_PUB, d, apdu[-64:])
    hd = g.parse_general_signing(apdu)
    assert bytes(hd.signed) == apdu[1:len(head) + 13]
    assert bytes(g.verify_general_signing(hd, SERVER, CLIENT_PUB)) == GET_CLOCK
    raises(WrongRecipient, g.verify_general_signing, hd, CLIENT, CLIENT_PUB)
    raises(InvalidSignature, g.verify_general_signing, hd, SERVER, SERVER_PUB)
    raises(InvalidSignature, g.verify_general_signing, hd, SERVER, None)
    for i in (5, 12, len(head), len(head) + 12, len(apdu) - 40, len(apdu) - 1):
        bad = bytearray(apdu)
        bad[i] ^= 0x04
        raises(InvalidSignature, g.verify_general_signing, g.parse_general_signing(bad), SERVER,
               CLIENT_PUB)
    short = apdu[:-65] + h("3F") + apdu[-63:]
    raises(InvalidSignature, g.verify_general_signing, g.parse_general_signing(short), SERVER,
           CLIENT_PUB)
    # response: server key, same transaction-id, date-time iff the request had one
    req = g.parse_general_signing(_df(dt=DT))
    g.verify_general_signing(req, SERVER, CLIENT_PUB)
    resp = _w(g.write_signing_response, req, SERVER, SERVER_PRIV, GET_RESP, DT)
    rh = g.parse_general_signing(resp)
    assert bytes(rh.tid) == TID and bytes(rh.originator) == SERVER and bytes(rh.date_time) == DT
    assert bytes(g.verify_general_signing(rh, CLIENT, SERVER_PUB)) == GET_RESP
    raises(ValueError, g.write_signing_response, Writer(300), req, SERVER, SERVER_PRIV, GET_RESP)
    raises(ValueError, g.write_general_signing, Writer(100), TID, SERVER, CLIENT, b"", b"",
           GET_RESP, SERVER_PRIV)  # overflow


# ------------------------------------------------------------ layers


class _Ctx(g.Context):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen = []
        self.now = DT

    def accepted(self, hd):
        self.seen.append((hd.tag, hd.sc, hd.ic))


def _server_ctx(**kw):
    return _Ctx(server_title=SERVER, ak=AK, ek=EK, dedicated=KEY, kek=KEK, client_title=CLIENT,
                verify_key=CLIENT_PUB, sign_key=SERVER_PRIV, **kw)


def _client_ctx():
    return _Ctx(server_title=CLIENT, ak=AK, ek=EK, dedicated=KEY, kek=KEK, client_title=SERVER,
                verify_key=SERVER_PUB, sign_key=CLIENT_PRIV)


def test_layers_sign_then_cipher():
    # KSMW 3.3.1: signature applied first, then ciphering: DD{ DF{ GET } }
    inner = _df()
    req = _dd(plain=inner, key_info=g.KEY_WRAPPED, key_id=0, key_data=WRAPPED, ek=KEY, dt=DT)
    ctx = _server_ctx()
    lay = g.Layers()
    plain = lay.open(ctx, req)
    assert bytes(plain) == GET_CLOCK and lay.n == 2
    assert ctx.seen == [(g.GENERAL_CIPHERING, 0x30, IC), (g.GENERAL_SIGNING, 0, 0)]
    w = Writer(1024)
    w.u8(0xAA)  # the response is appended at w.pos
    lay.write(ctx, GET_RESP, w)
    resp = bytes(w.mv[1:w.pos])
    assert resp[0] == g.GENERAL_CIPHERING
    # the client removes the same layers: DD (same wrapped key, date-time) then DF
    cl = g.Layers()
    cctx = _client_ctx()
    assert bytes(cl.open(cctx, resp)) == GET_RESP
    assert [x[0] for x in cctx.seen] == [g.GENERAL_CIPHERING, g.GENERAL_SIGNING]
    assert cctx.seen[0][2] == 1  # server counter from Context.next_ic
    assert cl.layers[0].has_dt and bytes(cl.layers[0].key_data) == WRAPPED
    assert bytes(cl.layers[1].tid) == TID


def test_layers_cipher_then_sign_and_glo():
    # the other order, DF{ DB{ GET } }, is mirrored too; DC uses the dedicated key
    for tag, key in ((g.GENERAL_GLO, EK), (g.GENERAL_DED, KEY)):
        inner = _w(g.write_general_glo, tag, CLIENT, 0x30, key, AK, 5, GET_CLOCK)
        req = _df(content=inner)
        ctx = _server_ctx()
        lay = g.Layers()
        assert bytes(lay.open(ctx, req)) == GET_CLOCK
        assert ctx.seen == [(g.GENERAL_SIGNING, 0, 0), (tag, 0x30, 5)]
        w = Writer(1024)
        lay.write(ctx, GET_RESP, w)
        resp = bytes(w.mv[:w.pos])
        assert resp[0] == g.GENERAL_SIGNING
        cctx = _client_ctx()
        assert bytes(g.Layers().open(cctx, resp)) == GET_RESP
        assert [x[0] for x in cctx.seen] == [g.GENERAL_SIGNING, tag]


def test_layers_refusals_and_plain():
    lay = g.Layers()
    ctx = _server_ctx()
    assert bytes(lay.open(ctx, GET_CLOCK)) == GET_CLOCK and lay.n == 0
    w = Writer(64)
    lay.write(ctx, GET_RESP, w)
    assert bytes(w.mv[:w.pos]) == GET_RESP
    # originator is not the associated client
    req = _dd(originator=h("4D4D4D0000000002"))
    raises(WrongOriginator, lay.open, ctx, req)
    raises(WrongRecipient, lay.open, ctx, _dd(recipient=CLIENT))
    # signature by another key inside a valid ciphering layer
    raises(InvalidSignature, lay.open, ctx, _dd(plain=_df(priv=SERVER_PRIV)))
    # four layers is more than MAX_LAYERS
    x = GET_CLOCK
    for _ in range(4):
        x = _w(g.write_general_glo, g.GENERAL_GLO, CLIENT, 0x30, EK, AK, 1, x)
    raises(MalformedApdu, lay.open, ctx, x)
    # general-ded-ciphering without a dedicated key
    ded = _w(g.write_general_glo, g.GENERAL_DED, CLIENT, 0x30, KEY, AK, 1, GET_CLOCK)
    raises(DecipheringError, lay.open, _Ctx(server_title=SERVER, ak=AK, ek=EK), ded)


def test_error_classes():
    for cls in (DecipheringError, WrongRecipient, WrongOriginator, UnsupportedKeyInfo,
                MalformedApdu, InvalidSignature):
        assert issubclass(cls, GeneralError)
    from dlms.security.cipher import SecurityError
    assert issubclass(GeneralError, SecurityError)
    assert MalformedApdu.service_error == 3 and DecipheringError.service_error == 5


# ------------------------------------------------------------ malformed input


def _samples():
    return [
        _w(g.write_general_glo, g.GENERAL_GLO, CLIENT, 0x30, EK, AK, 1, GET_CLOCK),
        _dd(dt=DT),
        _dd(key_info=g.KEY_WRAPPED, key_id=0, key_data=WRAPPED, ek=KEY),
        _dd(key_info=None, sc=0x10),
        _df(),
    ]


def _parse(apdu):
    t = apdu[0] if len(apdu) else 0
    if t == g.GENERAL_CIPHERING:
        return g.parse_general_ciphering(apdu)
    if t == g.GENERAL_SIGNING:
        return g.parse_general_signing(apdu)
    return g.parse_general_glo(apdu)


def test_truncated_and_oversized_lengths():
    for apdu in _samples():
        _parse(apdu)
        for n in range(len(apdu)):  # every strict prefix
            raises(MalformedApdu, _parse, apdu[:n])
        raises(MalformedApdu, _parse, apdu + b"\x00")  # trailing byte
    dd = _dd()
    for ln in (h("82 FFFF"), h("81 FF"), h("84 FFFFFFFF"), h("83 000008"), h("80")):
        raises(MalformedApdu, g.parse_general_ciphering, dd[:1] + ln + dd[2:])
    raises(MalformedApdu, g.parse_general_ciphering, dd[:1] + h("41") + bytes(65) + dd[10:])
    i = 1 + 9 + 9 + 9 + 1 + 1  # key-info OPTIONAL flag, then the CHOICE
    raises(MalformedApdu, g.parse_general_ciphering, dd[:i] + b"\x02" + dd[i + 1:])
    raises(MalformedApdu, g.parse_general_ciphering, dd[:i + 1] + b"\x03" + dd[i + 2:])


class _Rng:
    def __init__(self, seed):
        self.s = seed

    def next(self, n):  # xorshift32
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s % n


def test_fuzzed_apdus_raise_only_codec_errors():
    rnd = _Rng(0x2545F491)
    lay = g.Layers()
    samples = _samples() + [_dd(plain=_df())]
    for k in range(300):
        b = bytearray(samples[k % len(samples)])
        for _ in range(1 + rnd.next(3)):
            op = rnd.next(3)
            i = rnd.next(len(b))
            if op == 0:
                b[i] = rnd.next(256)
            elif op == 1:
                b = b[:i]
            else:
                b[i] = (0x81, 0x82, 0x84, 0x00, 0x7F, 0xFF)[rnd.next(6)]
            if not b:
                break
        try:
            lay.open(_server_ctx(allow_clear=True), bytes(b))
        except GeneralError:
            pass
