# SPDX-License-Identifier: MIT
"""IC 15 Association LN, version 3 (Blue Book 4.4.3).

One instance describes one client's association. The 'current association'
0-0:40.0.0.255 (client=None) describes whichever association reads it.
"""
from micropython import const

from dlms.apdu import axdr
from dlms.apdu.acse import OID_PREFIX
from dlms.security import gcm
from dlms.cosem.base import (
    OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)

NON_ASSOCIATED = const(0)
ASSOCIATION_PENDING = const(1)
ASSOCIATED = const(2)


class AssociationLN(CosemObject):
    CLASS_ID = 15
    VERSION = 3
    ATTRS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    WRITABLE = (7,)
    NOT_READABLE = (7,)
    METHODS = (1, 2)

    def __init__(self, ln, client=None, security_setup=b"\x00\x00\x2b\x00\x00\xff"):
        """client: the ClientConfig this object manages (None = current association)."""
        super().__init__(ln)
        self.client = client
        self.security_setup = security_setup

    def _target(self, ctx):
        return ctx.client if self.client is None else self.client

    def _live(self, ctx):
        # the association this object describes is the caller's own one
        return self.client is None or self.client is ctx.client

    def get(self, attr, w, ctx):
        c = self._target(ctx)
        if attr == 2:
            return self._object_list(w, ctx, c)
        if attr == 3:  # associated_partners_id {client_SAP integer, server_SAP long-unsigned}
            w.structure(2)
            w.tagged(axdr.INT8, c.sap)
            w.tagged(axdr.UINT16, ctx.server_sap)
        elif attr == 4:
            w.u8(axdr.OCTET_STRING)
            w.u8(7)
            w.raw(OID_PREFIX)
            w.u8(1)
            w.u8(c.context)
        elif attr == 5:  # xDLMS_context_info
            live = self._live(ctx)
            conf = ctx.conformance if live else ctx.server_conformance
            w.structure(6)
            w.bits(24, bytes(((conf >> 16) & 0xFF, (conf >> 8) & 0xFF, conf & 0xFF)))
            w.tagged(axdr.UINT16, ctx.server_max_pdu)
            w.tagged(axdr.UINT16, ctx.client_max_pdu if live else ctx.server_max_pdu)
            w.tagged(axdr.UINT8, 6)
            w.tagged(axdr.INT8, 0)
            w.octets(b"")
        elif attr == 6:
            w.u8(axdr.OCTET_STRING)
            w.u8(7)
            w.raw(OID_PREFIX)
            w.u8(2)
            w.u8(ctx.mechanism if self._live(ctx) and ctx.mechanism else c.mechanism)
        elif attr == 7:
            return READ_WRITE_DENIED
        elif attr == 8:
            w.tagged(axdr.ENUM, ctx.status if self._live(ctx) else NON_ASSOCIATED)
        elif attr == 9:
            w.octets(self.security_setup)
        elif attr == 10:  # user_list: no users configured
            w.array(0)
        elif attr == 11:  # current_user {user_id, user_name}
            w.structure(2)
            w.tagged(axdr.UINT8, 0)
            w.octets(b"", axdr.VISIBLE_STRING)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def _object_list(self, w, ctx, client):
        from dlms.cosem.object_list import elements  # loaded on the first read

        objs = client.role.objects(ctx.objects)
        return elements(w, objs, client, len(objs))

    def set(self, attr, d, ctx):
        if attr != 7 or self._target(ctx).mechanism != 1:
            return READ_WRITE_DENIED  # HLS secrets change only through method 2
        if d[0] != axdr.OCTET_STRING or not 1 <= len(d[1]) <= 32:
            return TYPE_UNMATCHED
        self._target(ctx).set_secret(d[1])
        return SUCCESS

    def action(self, method, d, ctx):
        if method == 1:  # reply_to_HLS_authentication (dlms-notes 5.7)
            # HLS of a ciphered context: its Protection holds the challenges
            if ctx.status == ASSOCIATION_PENDING and ctx.prot is not None:
                return ctx.server._hls_reply(ctx, d)
            return READ_WRITE_DENIED, None
        return self._change_secret(d, ctx)

    def _change_secret(self, d, ctx):
        # change_HLS_secret: new HLS-6 secret of 16..32 bytes, key-wrapped with the master
        # key (KSMW 3.6 Association LN; RFC 3394)
        c = self._target(ctx)
        if d is None or d[0] != axdr.OCTET_STRING:
            return TYPE_UNMATCHED, None
        wrapped = d[1]
        if c.mechanism != 6 or c.keys is None or c.keys.master is None:
            return READ_WRITE_DENIED, None
        n = len(wrapped) - 8
        if n not in (16, 24, 32):
            return OTHER_REASON, None
        secret = bytearray(n)
        if not gcm.aes_unwrap(c.keys.master.key, wrapped, secret):
            return OTHER_REASON, None
        ctx.defer(lambda: c.set_secret(secret))
        return SUCCESS, None
