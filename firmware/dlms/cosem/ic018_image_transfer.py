# SPDX-License-Identifier: MIT
"""IC 18 Image transfer, version 0 (Blue Book 4.4.6; KSMW 7).

Attributes: 2 image_block_size double-long-unsigned, 3 image_transferred_blocks_status
bit-string, 4 image_first_not_transferred_block_number double-long-unsigned,
5 image_transfer_enabled boolean, 6 image_transfer_status enum (0 not initiated,
1 initiated, 2 verification initiated, 3 verification successful, 4 verification failed,
5 activation initiated, 6 activation successful, 7 activation failed), 7 image_to_activate_info
array of {size double-long-unsigned, identification octet-string, signature octet-string}.
Methods: 1 image_transfer_initiate, 2 image_block_transfer, 3 image_verify, 4 image_activate.

KSMW 7: image_block_size is written by the head-end (64..1024 octets here: the value fits
an ACTION in the 1224-byte PDU with its ciphering) and not while a transfer is initiated;
image_transfer_enabled FALSE inhibits every method and aborts a running transfer (status back
to 0). The simulated meter starts disabled.

Later work: image transfer - the image store, block bookkeeping, ECDSA P-256 verification and
activation (KSMW 7); while enabled the methods answer other-reason, while disabled
read-write-denied.
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)

BLOCK_MIN = 64
BLOCK_MAX = 1024  # KSMW 7 "64 to 41891024" (two revisions merged in print): 1024


class ImageTransfer(CosemObject):
    CLASS_ID = 18
    VERSION = 0
    ATTRS = (1, 2, 3, 4, 5, 6, 7)
    WRITABLE = (2, 5)
    METHODS = (1, 2, 3, 4)

    def __init__(self, ln, block_size=BLOCK_MAX, enabled=False):
        super().__init__(ln)
        self.block_size = block_size
        self.enabled = enabled
        self.status = 0

    def get(self, attr, w, ctx):
        if attr == 2:
            w.tagged(axdr.UINT32, self.block_size)
        elif attr == 3:
            w.bits(0, b"")  # no block received
        elif attr == 4:
            w.tagged(axdr.UINT32, 0)
        elif attr == 5:
            w.boolean(self.enabled)
        elif attr == 6:
            w.tagged(axdr.ENUM, self.status)
        elif attr == 7:
            w.array(0)  # no image to activate
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        tag, v = d
        if attr == 2:
            if tag != axdr.UINT32:
                return TYPE_UNMATCHED
            if not BLOCK_MIN <= v <= BLOCK_MAX or self.status != 0:
                return OTHER_REASON
            self.block_size = v
            return SUCCESS
        if attr == 5:
            if tag != axdr.BOOLEAN:
                return TYPE_UNMATCHED
            self.enabled = bool(v)
            if not v:
                self.status = 0  # KSMW 7: a running transfer is aborted
            return SUCCESS
        return READ_WRITE_DENIED

    def action(self, method, d, ctx):
        if not 1 <= method <= 4:
            return OBJECT_UNDEFINED, None
        if not self.enabled:
            return READ_WRITE_DENIED, None  # KSMW 7: inhibited while disabled
        return OTHER_REASON, None  # later work: image transfer
