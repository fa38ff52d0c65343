# SPDX-License-Identifier: MIT
"""General protection served by the meter (KSMW 3.3.1): general-glo/ded-ciphering in a
ciphered association of the management client (HLS-5)."""
from seclib import CT, ST, Client, get, hls5
from unitlib import h


def test_general_glo_and_ded_ciphering():
    from dlms.apdu.axdr import Writer
    from dlms.security import general

    c = Client(1, "tcp", 5, ctos=b"K56iVagY")
    c.init = h("01000000065F1F0400407E1F04B0")  # general-protection proposed
    c.associate(hls5)
    c.ic = 1000
    s = c.s
    w = Writer(256)

    def send(tag, ek, ic, apdu):
        w.pos = 0
        general.write_general_glo(w, tag, CT, 0x30, ek, c.ak, ic, apdu)
        return s.req(bytes(w.mv[: w.pos]))

    r = send(0xDB, c.ek, 1001, get(1, h("00002A0000FF"), 2))
    hd = general.parse_general_glo(memoryview(r))
    assert r[0] == 0xDB and bytes(hd.originator) == ST
    out = bytearray(300)
    sc, ic, n = general.open_general_glo(hd, c.ek, c.ak, out)
    assert bytes(out[:n]) == h("C401C100 0910") + b"KFM1000100000001" and sc == 0x30
    assert send(0xDB, c.ek, 1001, get(1, h("00002A0000FF"), 2))[:3] == h("D80106")  # replay
    assert send(0xDC, c.ek, 1, get(1, h("00002A0000FF"), 2)) == h("D80101")  # no ded key
    bad = bytes(16)
    assert send(0xDB, bad, 1002, get(1, h("00002A0000FF"), 2)) == h("D80101")
    assert send(0xDB, c.ek, 1003, get(1, h("00002A0000FF"), 2))[0] == 0xDB  # still serving
