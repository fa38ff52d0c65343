# SPDX-License-Identifier: MIT
"""IC 12544 (0x3100) Frame counter provider, version 0, manufacturer specific (KSMW 3.6
Table 8, Appendix 11): get_frame_counter(challenge) returns the receive frame counter of
one client's global unicast key, authenticated with HMAC-SHA256 under that client's AK
over SysT-S || SysT-C || challenge || FC."""
from dlms.apdu import axdr
from dlms.cosem.base import OTHER_REASON, SUCCESS, TYPE_UNMATCHED, CosemObject
from dlms.security.cipher import hmac_sha256

CHALLENGE_LEN = 64


class FrameCounterProvider(CosemObject):
    CLASS_ID = 12544
    VERSION = 0
    ATTRS = (1,)
    METHODS = (1,)

    def __init__(self, ln, client, server_title):
        super().__init__(ln)
        self.client = client  # the ClientConfig whose counter this object exposes
        self.server_title = bytes(server_title)

    def action(self, method, d, ctx):
        if d is None or d[0] != axdr.OCTET_STRING:
            return TYPE_UNMATCHED, None
        ch = d[1]
        # the caller's system title is mandatory (KSMW 11.3: calling-AP-title in the AARQ)
        title = ctx.client_title
        if len(ch) != CHALLENGE_LEN or title is None or len(title) != 8:
            return OTHER_REASON, None
        fc = self.client.keys.rx_ic
        m = self.server_title + bytes(title) + ch + bytes(
            ((fc >> 24) & 0xFF, (fc >> 16) & 0xFF, (fc >> 8) & 0xFF, fc & 0xFF))
        mac = hmac_sha256(self.client.keys.ak, m)

        def ret(w):
            w.structure(2)
            w.octets(mac)
            w.tagged(axdr.UINT32, fc)
        return SUCCESS, ret
