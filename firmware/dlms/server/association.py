# SPDX-License-Identifier: MIT
"""Clients, access roles and per-connection association state (Green Book 9.4; KSMW 3.6)."""
from micropython import const

from dlms.apdu.axdr import Writer
from dlms.cosem.base import METHOD_ACCESS, NO_ACCESS, READ, WRITE
from dlms.cosem.ic015_association_ln import ASSOCIATED, NON_ASSOCIATED
from dlms.server.gbt import Gbt

# Conformance block bits (BER numbering, bit 0 = MSB of 24; dlms-notes 3.6)
def _bit(n):
    return 1 << (23 - n)


GENERAL_PROTECTION = _bit(1)
GENERAL_BLOCK_TRANSFER = _bit(2)
ATTR0_SET = _bit(8)
ATTR0_GET = _bit(10)
BLOCK_GET = _bit(11)
BLOCK_SET = _bit(12)
BLOCK_ACTION = _bit(13)
MULTIPLE_REFERENCES = _bit(14)
DATA_NOTIFICATION = _bit(16)
ACCESS = _bit(17)
GET = _bit(19)
SET = _bit(20)
SELECTIVE_ACCESS = _bit(21)
ACTION = _bit(23)

MAX_PDU = const(1224)  # KSMW 3.3.1: max receive and transmit PDU size
# pending response data: a block (or a GBT window of blocks, kept until acknowledged) + one
# streamed element (gbt.ELEMENT)
STREAM_SIZE = const(MAX_PDU + 512)


SECURITY_CLASSES = (15, 64)  # Association LN and Security setup: per-client objects


class Role:
    """Access rights of a client (KSMW 3.6). visible: set of logical names, or None for all.
    write/act: may write writable attributes / invoke methods; admin: may also manage
    other clients' Association LN and Security setup objects (KSMW 3.5: management and
    maintenance clients); public_methods: (class_id, method) pairs any role may invoke."""

    def __init__(self, name, visible=None, write=False, act=False, admin=False,
                 public_methods=()):
        self.name = name
        self._visible = visible
        self.write = write
        self.act = act
        self.admin = admin
        self.public_methods = public_methods

    def visible(self, obj):
        return self._visible is None or obj.ln in self._visible

    def objects(self, model):
        """The objects this role sees, in the model's order (server._Model): the model
        itself, or a list found by name (a short list: no pass over the whole model)."""
        return model if self._visible is None else model.named(self._visible)

    def may_change(self, obj, client):
        """(write, act) of a visible object as a whole: whether attr_access grants WRITE
        on its writable attributes and method_access its methods (public_methods aside)."""
        if not (self.write or self.act) or self._foreign(obj, client):
            return False, False
        return self.write, self.act

    def _foreign(self, obj, client):
        # another client's security object: read-only unless admin
        if self.admin or obj.CLASS_ID not in SECURITY_CLASSES:
            return False
        owner = getattr(obj, "client", None)
        return owner is not None and owner is not client

    def attr_access(self, obj, attr, client=None):
        if not self.visible(obj) or attr not in obj.ATTRS:
            return NO_ACCESS
        mode = NO_ACCESS if attr in obj.NOT_READABLE else READ
        if self.write and attr in obj.WRITABLE and not self._foreign(obj, client):
            mode |= WRITE
        return mode

    def method_access(self, obj, m, client=None):
        if not self.visible(obj) or m not in obj.METHODS or m in obj.LOCAL_METHODS:
            return NO_ACCESS
        if (obj.CLASS_ID, m) in self.public_methods:
            return METHOD_ACCESS
        if self.act and not self._foreign(obj, client):
            return METHOD_ACCESS
        return NO_ACCESS


class ClientConfig:
    """One client SAP of KSMW 3.6 with its mechanism and secret.
    mechanisms: further authentication mechanisms accepted besides `mechanism`;
    preestablished: the association exists without AARQ (KSMW 3.6.4, 3.6.9).
    Defaults are class attributes, set on the instance only when they differ (a smaller
    dict per client)."""

    mechanism = 0
    mechanisms = ()
    secret = None
    context = 1  # 1 LN, 3 LN with ciphering (dlms-notes 3.4)
    keys = None  # secured.KeySet for ciphered contexts
    ports = None  # ports this client may use (KSMW 3.6), None = all
    preestablished = False
    conformance = None  # services of a pre-established association
    on_secret = None  # persists a changed secret

    def __init__(self, sap, role, mechanism=0, secret=None, context=1, keys=None, ports=None,
                 mechanisms=(), preestablished=False, conformance=None, on_secret=None):
        self.sap = sap
        self.role = role
        if mechanism:
            self.mechanism = mechanism
        if mechanisms:
            self.mechanisms = mechanisms
        if secret is not None:
            self.secret = secret
        if context != 1:
            self.context = context
        if keys is not None:
            self.keys = keys
        if ports is not None:
            self.ports = ports
        if preestablished:
            self.preestablished = preestablished
        if conformance is not None:
            self.conformance = conformance
        if on_secret is not None:
            self.on_secret = on_secret

    def accepts(self, mechanism):
        return mechanism == self.mechanism or mechanism in self.mechanisms

    def set_secret(self, s):
        self.secret = bytes(s)
        if self.on_secret is not None:
            self.on_secret(self)


class Association:
    """State of one application association on one port (TCP connection or HDLC link).
    Constants and rarely set state are class attributes: each instance attribute costs a
    slot in its dict (12 slots: 224 bytes on the 64-bit host). State of one request at a
    time (protection room, block reassembly) lives in the server."""

    server_sap = 1
    server_max_pdu = MAX_PDU
    port = "tcp"
    deferred = None  # actions to run once the response is written (key changes, rare)

    def __init__(self, server, port="tcp"):
        self.server = server
        if port != "tcp":
            self.port = port
        self.client_sap = None  # set by the transport (HDLC source address / wrapper wPort)
        self.stream = Writer(STREAM_SIZE)  # pending response data (block transfer)
        self.gbt = Gbt()  # GBT and GET data-block state
        self.reset()

    def reset(self):
        if getattr(self, "status", 0) == ASSOCIATED and self.client is not None \
                and not self.client.preestablished:
            self.server.association_ended(self)
        self.client = None
        self.status = NON_ASSOCIATED
        self.conformance = 0
        self.client_max_pdu = 0
        self.prot = None  # secured.Protection of a ciphered context
        self.mechanism = 0
        self.client_title = None  # calling-AP-title of the AARQ
        if self.deferred is not None:
            self.deferred = None
        self.abort_blocks()

    def abort_blocks(self):
        s = self.server
        if s._block_owner is self and s.blk_kind:
            s._block_done(self)  # release the server's reassembly buffer held here
        self.gen = None
        self.stream.pos = 0
        g = self.gbt
        g.block_no = 0
        g.long_get = False
        g.reset_tx()

    @property
    def server_conformance(self):
        return self.server.conformance

    @property
    def can_push(self):  # the transport may send several APDUs per request
        return self.port == "tcp"

    @property
    def objects(self):
        return self.server.model  # the server's objects and those served on demand

    @property
    def associated(self):
        return self.status == ASSOCIATED

    def max_response(self):
        c = self.client_max_pdu or 0xFFFF
        return c if c < self.server_max_pdu else self.server_max_pdu

    def attr_access(self, obj, attr):
        c = self.client
        return c.role.attr_access(obj, attr, c) if c else NO_ACCESS

    def method_access(self, obj, m):
        c = self.client
        return c.role.method_access(obj, m, c) if c else NO_ACCESS

    def defer(self, fn):
        """Run fn after the current response is written (key changes, KSMW 3.5.3)."""
        if self.deferred is None:
            self.deferred = []
        self.deferred.append(fn)

    def run_deferred(self):
        d = self.deferred
        if d:
            self.deferred = None
            for fn in d:
                fn()
