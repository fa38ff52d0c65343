# SPDX-License-Identifier: MIT
"""IC 64 Security setup, version 1 (Blue Book 4.4.7; dlms-notes 5.10; KSMW 3.5).

One instance per client security context (0-0:43.0.e.255, KSMW Table 7); the 'current
security setup' 0-0:43.0.0.255 (client=None) is the context of whichever association
uses it. Key changes take effect after the response, which is still protected with the
keys in use (KSMW 3.5.3). Device-wide parts (signing key pair, certificates) are the
`device` object's (dlms.server.device.DeviceSecurity).
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject, expect,
)
from dlms.security import gcm
from dlms.server import secured


class SecuritySetup(CosemObject):
    CLASS_ID = 64
    VERSION = 1
    ATTRS = (1, 2, 3, 4, 5, 6)
    METHODS = (1, 2, 3, 4, 5, 6, 7, 8)

    def __init__(self, ln, client=None, device=None):
        super().__init__(ln)
        self.client = client  # ClientConfig, None = current security setup
        self.device = device

    def _keys(self, ctx):
        c = ctx.client if self.client is None else self.client
        return c.keys if c is not None else None

    def get(self, attr, w, ctx):
        k = self._keys(ctx)
        if attr == 1:
            return super().get(attr, w, ctx)
        if attr == 2:  # v1 policy: bit flags in an enum (Blue Book 4.4.7)
            w.tagged(axdr.ENUM, k.policy if k else 0)
        elif attr == 3:
            w.tagged(axdr.ENUM, k.suite if k else 0)
        elif attr == 4:
            w.octets((k.client_title if k else None) or b"")
        elif attr == 5:
            w.octets(self.device.title)
        elif attr == 6:
            # certificates of this context (the caller's for the current security setup)
            return self.device.write_cert_info(
                w, self.client if self.client is not None else ctx.client)
        return SUCCESS

    def action(self, method, d, ctx):
        k = self._keys(ctx)
        if k is None:
            return READ_WRITE_DENIED, None
        if method == 1:
            return self._activate(k, d)
        if method == 2:
            return self._key_transfer(k, d, ctx)
        if method == 3:
            return self.device.key_agreement(k, d, ctx)
        if 4 <= method <= 8:
            return self.device.cert_method(method, d, ctx, self.client)
        return READ_WRITE_DENIED, None

    def _activate(self, k, d):
        # security_activate: the policy can only be strengthened (Blue Book 4.4.7 v1)
        p = expect(d, axdr.ENUM)
        if p is None:
            return TYPE_UNMATCHED, None
        if p & ~secured.POLICY_BITS or p & k.policy != k.policy:
            return OTHER_REASON, None
        k.set_policy(p)
        return SUCCESS, None

    def _key_transfer(self, k, d, ctx):
        # array of {key_id enum, key_wrapped octet-string}; RFC 3394 with the master key
        # (KSMW 3.5.3.1). All keys are checked before any is installed.
        items = key_items(d)
        if items is None:
            return TYPE_UNMATCHED, None
        new = []
        for kid, wrapped in items:
            if kid > secured.KEY_MASTER or len(wrapped) != 24:
                return OTHER_REASON, None
            key = bytearray(16)
            if not gcm.aes_unwrap(k.master.key, wrapped, key):
                return OTHER_REASON, None  # wrapped with another KEK (KSMW 3.5.3)
            new.append((kid, bytes(key)))
        ctx.defer(lambda: install(k, new, ctx))
        return SUCCESS, None


def key_items(d):
    """array of structure {key_id enum, octet-string} (key_transfer, key_agreement)
    -> [(key_id, bytes)], or None when the type does not match."""
    items = expect(d, axdr.ARRAY)
    if not items:
        return None
    out = []
    for it in items:
        s = expect(it, axdr.STRUCTURE)
        if not s or len(s) != 2 or s[0][0] != axdr.ENUM or s[1][0] != axdr.OCTET_STRING:
            return None
        out.append((s[0][1], s[1][1]))
    return out


def install(keys, new, ctx):
    """Install (key_id, key) pairs after the response went out (KSMW 3.5.3); security
    event 48 when a global key changed (KSMW 5.12)."""
    for kid, key in new:
        keys.change_key(kid, key)
    if any(kid != secured.KEY_MASTER for kid, _ in new):
        ctx.server.security_event(ctx, 48)
