# SPDX-License-Identifier: MIT
"""General protection in a ciphered association (Green Book 9.2.7.2.4, KSMW 3.3.1):
general-glo/ded-ciphering, general-ciphering (identified and wrapped keys) and
general-signing around any request, answered in the same layers. The security context of
the association's client supplies keys, counters, policy and the signing keys."""
from dlms.security import general
from dlms.security.cipher import SC_AUTH, SC_ENC
from dlms.server import secured

_LAYERS = None


class NoDedicatedKey(general.GeneralError):
    """general-ded without a dedicated key: operation-not-possible (KSMW 3.5.3)."""


def layers(spare):
    """One set of layer buffers for the device (requests are handled one at a time); one
    of the two is the server's deciphering buffer, unused by general protection."""
    global _LAYERS
    if _LAYERS is None:
        _LAYERS = general.Layers(bufs=(spare, bytearray(len(spare))))
    return _LAYERS


class AssocContext(general.Context):
    def __init__(self, server, a):
        p = a.prot
        k = p.keys
        super().__init__(server.system_title, k.ak, k.ek, p.dedicated,
                         k.master.key if k.master else None, p.client_title,
                         None, server.device.sign_priv if server.device else None)
        self.a = a
        self.keys = k
        self.device = server.device
        self.signed = False  # a general-signing layer verified
        self.ciphered = False  # a ciphering layer with the policy's protection accepted
        self.now = server.date_time() if server.date_time else b""

    def public_key(self, h):
        self.signed = True
        d = self.device
        return d.client_key(self.a.client.sap, h.originator) if d else None

    def glo_key(self, tag):
        if tag == general.GENERAL_DED and self.dedicated is None:
            raise NoDedicatedKey("no dedicated key")
        return super().glo_key(tag)

    def accepted(self, h):
        if h.tag == general.GENERAL_SIGNING:
            return
        k = self.keys
        if h.sc & (SC_AUTH | SC_ENC) == 0:
            raise general.DecipheringError("clear layer")
        if h.tag == general.GENERAL_DED:
            p = self.a.prot
            if h.sc & k.policy_sc != k.policy_sc:
                raise general.DecipheringError("policy")
            if h.ic <= p.ded_rx:
                raise secured.ReplayError(p.ded_rx + 1)
            p.ded_rx = h.ic
        else:
            secured.check_rx(k, h.sc, h.ic)  # policy bits and replay (KSMW 3.5.4)
        self.ciphered = True

    def next_ic(self, h):
        if h.tag == general.GENERAL_DED:
            p = self.a.prot
            p.ded_tx += 1
            return p.ded_tx
        return self.keys.next_tx()

    def response_sc(self, h):
        return secured.response_sc(self.keys, h.sc)


def overhead(lay):
    """Upper bound of the bytes the opened layers add to a response APDU (lengths of up to 3
    bytes), so that a protected response or GBT block still fits the client's max PDU."""
    n = 0
    for i in range(lay.n):
        h = lay.layers[i]
        if h.tag == general.GENERAL_GLO or h.tag == general.GENERAL_DED:
            n += 1 + 1 + general.TITLE_LEN + 3 + 5 + 12  # tag title length SC IC T
            continue
        tid = len(h.tid)
        # transaction-id, two titles, date-time, empty other-information
        f = 1 + (1 if tid < 0x80 else 2) + tid + 2 * (1 + general.TITLE_LEN) + 1 + (
            1 + general.DATE_TIME_LEN if h.has_dt else 1)
        if h.tag == general.GENERAL_SIGNING:
            n += f + 3 + 1 + general.SIG_LEN
        else:
            ki = 1
            if h.key_info == general.KEY_IDENTIFIED:
                ki = 3
            elif h.key_info == general.KEY_WRAPPED:
                ki = 4 + len(h.key_data)
            n += f + ki + 3 + 5 + 12
    return n
