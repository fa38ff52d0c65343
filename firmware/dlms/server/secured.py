# SPDX-License-Identifier: MIT
"""Ciphered application contexts (Green Book 9.2.7, KSMW 3.3.3, 3.5.4): glo-initiate in
AARQ/AARE/RLRQ/RLRE, glo-/ded- service APDUs, invocation counters and HLS pass 3/4."""
import hashlib
import os

from micropython import const

from dlms.apdu.axdr import Reader
from dlms.security import cipher, ecc
from dlms.security.cipher import SecurityError

GLO_INITIATE_REQUEST = const(0x21)
GLO_INITIATE_RESPONSE = const(0x28)
IC_MAX = const(0xFFFFFFFF)


# Security Setup v1 security_policy bits (Blue Book 4.4.7; dlms-notes 5.10)
POLICY_AUTH_REQ = const(0x04)
POLICY_ENC_REQ = const(0x08)
POLICY_SIGN_REQ = const(0x10)
POLICY_AUTH_RESP = const(0x20)
POLICY_ENC_RESP = const(0x40)
POLICY_SIGN_RESP = const(0x80)
POLICY_BITS = const(0xFC)
KEY_GUEK = const(0)
KEY_GBEK = const(1)
KEY_GAK = const(2)
KEY_MASTER = const(3)


def _sc(auth, enc):
    return (cipher.SC_AUTH if auth else 0) | (cipher.SC_ENC if enc else 0)


class MasterKey:
    """The device's one master key (KEK), shared by every security context (KSMW 3.5.3)."""

    def __init__(self, key, save=None):
        self.key = bytes(key)
        self._save = save

    def set(self, key):
        self.key = bytes(key)
        if self._save is not None:
            self._save(self.key)


class KeySet:
    """Security context of one client: its Security Setup (KSMW 3.5, Table 7) with the
    policy, global keys and frame counters."""

    # set by bind() or overridden by a subclass (methods: no closures per client);
    # trusted: callable -> public keys (X||Y) of the client's signing certificates
    # (HLS-7, general-signing, key agreement)
    _tx = None
    _rx_save = None
    _save = None
    trusted = None

    def __init__(self, ek, ak, policy, master=None, bk=None, suite=1):
        self.ek = bytes(ek)
        self.ak = bytes(ak)
        self.bk = bytes(bk) if bk else bytes(16)
        self.master = master  # MasterKey
        self.suite = suite
        self.set_policy(policy)
        self.rx_ic = 0  # last accepted client invocation counter (global key)
        self.tx_ic = 0  # last invocation counter the server used (global key)
        self.client_title = None  # learned from calling-AP-title (KSMW 3.6.2)
        self.last_sc = cipher.SC_AUTH | cipher.SC_ENC  # SC of the last accepted request
        self.prev_rx = 0  # receive counter before the last accepted request

    def set_policy(self, policy):
        self.policy = policy
        self.policy_sc = _sc(policy & POLICY_AUTH_REQ, policy & POLICY_ENC_REQ)
        self.resp_sc = _sc(policy & POLICY_AUTH_RESP, policy & POLICY_ENC_RESP)
        if self._save is not None:
            self._save(self)

    def bind(self, tx_counter, rx_load, rx_save, save=None):
        """Make the counters non-volatile (KSMW 3.5.4): tx_counter.next() persists before
        use; rx_save(ic) stores each accepted counter, rx_load() restores the last one.
        save(keyset) persists keys and policy after a change."""
        self._tx = tx_counter
        self.tx_ic = tx_counter.value
        self.rx_ic = rx_load()
        self._rx_save = rx_save
        self._save = save

    def next_tx(self):
        if self.tx_ic >= IC_MAX:  # KSMW 3.5.4: counter exhausted, keys must change
            raise CounterExhausted("frame counter exhausted")
        self.tx_ic = self._tx.next() if self._tx is not None else self.tx_ic + 1
        return self.tx_ic

    def trusted_keys(self):
        return self.trusted() if self.trusted is not None else ()

    def accept_rx(self, ic):
        self.prev_rx = self.rx_ic
        self.rx_ic = ic
        if self._rx_save is not None:
            self._rx_save(ic)

    def change_key(self, kid, key):
        """Install a new key (key_transfer/key_agreement). Only a new GUEK resets the
        frame counters; GAK or master key changes reset nothing (KSMW 3.5.4)."""
        if kid == KEY_GUEK:
            self.ek = bytes(key)
            self.tx_ic = 0
            self.rx_ic = 0
            if self._tx is not None:
                self._tx.reset()
            if self._rx_save is not None:
                self._rx_save(0)
        elif kid == KEY_GBEK:
            self.bk = bytes(key)
        elif kid == KEY_GAK:
            self.ak = bytes(key)
        elif kid == KEY_MASTER:
            self.master.set(key)
            return
        if self._save is not None:
            self._save(self)


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
    keys.last_sc = sc


class CounterExhausted(SecurityError):
    """The server's frame counter reached its maximum: nothing more can be protected."""


class ReplayError(SecurityError):
    def __init__(self, expected):
        super().__init__("replay")
        self.expected = expected


def response_sc(keys, req_sc):
    """SC of a response: at least the request's protection and the policy's response
    bits, same suite (KSMW 3.5.1)."""
    return (req_sc & 0x3F) | keys.resp_sc


def write_protected(w, keys, server_title, tag, plain, ek=None, sc=None, ic=None):
    """tag | length | SC IC payload T, protected with `sc` (default: the policy's) and
    `ic` (default: the next global-key counter)."""
    if sc is None:
        sc = response_sc(keys, keys.last_sc)
    w.u8(tag)
    w.length(5 + len(plain) + (cipher.TAG_LEN if sc & cipher.SC_AUTH else 0))
    if ic is None:
        ic = keys.next_tx()
    w.pos = cipher.protect(sc, ek or keys.ek, keys.ak, server_title, ic, plain, w.buf, w.pos)


class Protection:
    """Per-association state of a ciphered context."""

    def __init__(self, keys, client_title, ctos, mechanism, secret, device=None):
        self.keys = keys
        self.client_title = client_title
        self.ctos = ctos
        # StoC: 32 bytes for HLS-7, which signs it (Green Book 9.2.7.4); 16 otherwise
        self.stoc = os.urandom(32 if mechanism == 7 else 16)
        self.device = device
        self.mechanism = mechanism
        self.secret = secret
        self.dedicated = None  # dedicated key from the InitiateRequest
        self.ded_rx = 0  # dedicated-key counters are volatile, per association (KSMW 3.5.4)
        self.ded_tx = 0

    def hls_check(self, f_stoc, server_title):
        """Pass 3 check; returns f(CtoS) for pass 4 or None (dlms-notes 5.7)."""
        if self.mechanism == 6:
            want = _sha256(self.secret, self.client_title, server_title, self.stoc, self.ctos)
            if len(f_stoc) != 32 or not cipher.equal(want, f_stoc):
                return None
            return _sha256(self.secret, server_title, self.client_title, self.ctos, self.stoc)
        if self.mechanism == 5:
            if len(f_stoc) != 17 or f_stoc[0] & 0xF0 != cipher.SC_AUTH or f_stoc[0] & 0x0F > 2:
                return None
            ic = (f_stoc[1] << 24) | (f_stoc[2] << 16) | (f_stoc[3] << 8) | f_stoc[4]
            k = self.keys
            if not k.prev_rx < ic < k.rx_ic:
                # f(StoC) takes its own global count before the action carrying it
                # (KSMW 3.5.4): never a used count, never the action's own (same IV)
                return None
            want = cipher.hls5(self.keys.ek, self.keys.ak, self.client_title, ic, self.stoc,
                               f_stoc[0])
            if not cipher.equal(want, f_stoc):
                return None
            return cipher.hls5(self.keys.ek, self.keys.ak, server_title, self.keys.next_tx(),
                               self.ctos, f_stoc[0])
        if self.mechanism == 7:
            # ECDSA P-256 over ST_C || ST_S || StoC || CtoS with a trusted client signing key;
            # the answer signs ST_S || ST_C || CtoS || StoC (KSMW 3.6.2; dlms-notes 5.7)
            if len(f_stoc) != 64 or self.device is None:
                return None
            d = bytearray(32)
            ecc.sha256(self.client_title + server_title + self.stoc + self.ctos, d)
            for pub in self.keys.trusted_keys():
                if ecc.verify(pub, d, f_stoc):
                    break
            else:
                return None
            ecc.sha256(server_title + self.client_title + self.ctos + self.stoc, d)
            return self.device.sign(d)
        return None

