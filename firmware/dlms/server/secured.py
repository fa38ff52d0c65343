# SPDX-License-Identifier: MIT
"""Ciphered application contexts (Green Book 9.2.7, KSMW 3.3.3, 3.5.4): glo-initiate in
AARQ/AARE/RLRQ/RLRE, glo-/ded- service APDUs, invocation counters and HLS pass 3/4."""
import hashlib
import os

from micropython import const

from dlms.apdu.axdr import Reader
from dlms.security import cipher
from dlms.security.cipher import SecurityError

GLO_INITIATE_REQUEST = const(0x21)
GLO_INITIATE_RESPONSE = const(0x28)
IC_MAX = const(0xFFFFFFFF)


class KeySet:
    """Security context of one client (its Security Setup, KSMW 3.5, Table 7)."""

    def __init__(self, ek, ak, policy_sc, kek=None):
        self.ek = bytes(ek)
        self.ak = bytes(ak)
        self.kek = kek
        self.policy_sc = policy_sc  # SC bits every APDU must carry: 0x10 or 0x30
        self.rx_ic = 0  # last accepted client invocation counter (global key)
        self.tx_ic = 0  # last invocation counter the server used (global key)
        self.client_title = None  # learned from calling-AP-title (KSMW 3.6.2)
        self._tx = None
        self._rx_save = None

    def bind(self, tx_counter, rx_load, rx_save):
        """Make the counters non-volatile (KSMW 3.5.4): tx_counter.next() persists before
        use; rx_save(ic) stores each accepted counter, rx_load() restores the last one."""
        self._tx = tx_counter
        self.tx_ic = tx_counter.value
        self.rx_ic = rx_load()
        self._rx_save = rx_save

    def next_tx(self):
        if self.tx_ic >= IC_MAX:  # KSMW 3.5.4: counter exhausted, keys must change
            raise SecurityError("frame counter exhausted")
        self.tx_ic = self._tx.next() if self._tx is not None else self.tx_ic + 1
        return self.tx_ic

    def accept_rx(self, ic):
        self.rx_ic = ic
        if self._rx_save is not None:
            self._rx_save(ic)


def _sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def open_initiate(keys, title, ui, plain):
    """Decipher a glo-initiateRequest (tag | len | content) -> plain length. Enforces the
    policy bits and the strictly increasing invocation counter."""
    r = Reader(ui)
    if r.u8() != GLO_INITIATE_REQUEST:
        raise SecurityError("not ciphered")
    n = r.length()
    if n != r.left():
        raise SecurityError("length")
    sc, ic, m = cipher.unprotect(keys.ek, keys.ak, title, ui[r.pos:], plain)
    check_rx(keys, sc, ic)
    return m


def check_rx(keys, sc, ic):
    if sc & keys.policy_sc != keys.policy_sc:
        raise SecurityError("policy")
    if ic <= keys.rx_ic:  # replay (KSMW 3.5.4)
        raise ReplayError(keys.rx_ic + 1)
    keys.accept_rx(ic)


class ReplayError(SecurityError):
    def __init__(self, expected):
        super().__init__("replay")
        self.expected = expected


def write_protected(w, keys, server_title, tag, plain, ek=None):
    """tag | length | SC IC payload T, protected with the policy's SC and the next counter."""
    sc = keys.policy_sc
    w.u8(tag)
    w.length(5 + len(plain) + (cipher.TAG_LEN if sc & cipher.SC_AUTH else 0))
    w.pos = cipher.protect(sc, ek or keys.ek, keys.ak, server_title, keys.next_tx(), plain,
                           w.buf, w.pos)


class Protection:
    """Per-association state of a ciphered context."""

    def __init__(self, keys, client_title, ctos, mechanism, secret):
        self.keys = keys
        self.client_title = client_title
        self.ctos = ctos
        self.stoc = os.urandom(16)
        self.mechanism = mechanism
        self.secret = secret
        self.dedicated = None  # dedicated key from the InitiateRequest
        self.ded_rx = 0  # dedicated-key counters are volatile, per association (KSMW 3.5.4)

    def hls_check(self, f_stoc, server_title):
        """Pass 3 check; returns f(CtoS) for pass 4 or None (dlms-notes 5.7)."""
        if self.mechanism == 6:
            want = _sha256(self.secret, self.client_title, server_title, self.stoc, self.ctos)
            if len(f_stoc) != 32 or not cipher.equal(want, f_stoc):
                return None
            return _sha256(self.secret, server_title, self.client_title, self.ctos, self.stoc)
        if self.mechanism == 5:
            if len(f_stoc) != 17 or f_stoc[0] != cipher.SC_AUTH | (self.keys.policy_sc & 0x0F):
                return None
            ic = (f_stoc[1] << 24) | (f_stoc[2] << 16) | (f_stoc[3] << 8) | f_stoc[4]
            want = cipher.hls5(self.keys.ek, self.keys.ak, self.client_title, ic, self.stoc,
                               f_stoc[0])
            if not cipher.equal(want, f_stoc):
                return None
            return cipher.hls5(self.keys.ek, self.keys.ak, server_title, self.keys.next_tx(),
                               self.ctos, f_stoc[0])
        return None

