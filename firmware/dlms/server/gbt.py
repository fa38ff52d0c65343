# SPDX-License-Identifier: MIT
"""General-block-transfer on the server (Green Book 9.3.x GBT; dlms-notes 4.8; KSMW 3.3.1).

GBT APDU: E0 | block-control | block-number (u16) | block-number-ack (u16) | block-data.
block-control: bit 7 last-block, bit 6 streaming, bits 0-5 window (the sender's receive
window). block-number counts the APDUs one party sends in one transfer from 1;
block-number-ack is the number of the latest block received from the peer.

Requests: blocks of any request APDU (plain, glo-/ded- or general protection) are
reassembled in the server's one reassembly buffer; the server acknowledges at the end of
each client window (streaming bit clear) with an empty block, and asks again for the first
missing block (block-number-ack = last block received in sequence).

Responses: the response APDU is produced element by element into the association's stream
(a.stream, a.gen) and cut into blocks of a fixed payload; the stream keeps the blocks of the
window not yet acknowledged, so a block-number-ack below the last block sent makes the
server send again from the block after it (lost-block recovery). A window is as many blocks
as the client advertised and the stream holds; over the TCP wrapper the blocks of a window
are streamed (pending()/push()), over HDLC each block waits for the client's ack (an NRM
secondary transmits only when polled).
"""
from micropython import const

from dlms.apdu.axdr import DecodeError, Reader

TAG = const(0xE0)
LAST = const(0x80)
STREAMING = const(0x40)
WINDOW = const(0x3F)
HDR = const(9)  # E0 ctl bn(2) bna(2) length(<= 3)
RX_WINDOW = const(16)  # blocks a client may stream to the server per window
KIND = const(3)  # owner kind of the server's reassembly buffer (1 SET, 2 ACTION blocks)
ELEMENT = const(512)  # stream room kept for one streamed element past the blocks


class Gbt:
    """GBT response state of one association, and its service-specific GET data-block
    state (Green Book 9.3.x); the state of a request arriving in blocks is the server's
    (one reassembly buffer, one owner)."""

    def __init__(self):
        self.window = 1  # client's receive window, from its latest GBT APDU
        self.peer = 0  # block-number of the client's latest GBT APDU (our block-number-ack)
        self.block_no = 0  # GET data blocks: number of the last block sent
        self.long_get = False  # a GET response is in data blocks
        self.reset_tx()

    def reset_tx(self):
        self.tx = False  # a response leaves in blocks
        self.base = 1  # first block still in the stream (not acknowledged)
        self.sent = 0  # last block sent
        self.last = 0  # number of the final block once the response is complete
        self.end = 0  # last block of the current window
        self.payload = 0
        self.wrap = 0  # protection of the blocks: 0 plain, DB/DC re-applied, 0xFF per request
        self.wrap_sc = 0


def parse(apdu):
    """-> (block-control, block-number, block-number-ack, block-data memoryview)."""
    r = Reader(apdu, 1)
    ctl = r.u8()
    bn = r.u16()
    bna = r.u16()
    data = r.take(r.length())
    if r.left():
        raise DecodeError("trailing")
    return ctl, bn, bna, data


def write(w, ctl, bn, bna, data):
    w.u8(TAG)
    w.u8(ctl)
    w.u16(bn)
    w.u16(bna)
    w.length(len(data))
    w.raw(data)


# ---------------------------------------------------------------- responses


def start(a, w, room, wrap, wrap_sc):
    """The response APDU begins in a.stream: send its first window. room: the largest APDU
    the client takes less the protection of each block."""
    g = a.gbt
    g.reset_tx()
    g.tx = True
    g.payload = room - HDR
    g.wrap = wrap
    g.wrap_sc = wrap_sc
    if not a.server.via_gbt:  # the client has not told its window for this exchange
        g.window = 1
        g.peer = 0
    _window(a, w, 1)


def _window(a, w, first):
    g = a.gbt
    n = 1
    if a.can_push:
        cap = (len(a.stream.buf) - ELEMENT) // g.payload
        n = g.window if g.window < cap else cap
        if n < 1:
            n = 1
    g.end = first + n - 1
    if g.last and g.end > g.last:
        g.end = g.last
    block(a, w, first)


def block(a, w, k):
    """Write block k (in the stream from (k - base) * payload on)."""
    g = a.gbt
    s = a.stream
    p = g.payload
    off = (k - g.base) * p
    end = off + p
    try:
        a.server._fill(a, end)
    except (ValueError, IndexError):  # an element larger than the stream holds: abandon
        a.abort_blocks()
        _refuse(w, 1, 3)
        return
    if a.gen is None and s.pos <= end:
        end = s.pos
        g.last = k
    ctl = RX_WINDOW
    if g.last == k:
        ctl |= LAST
    elif k < g.end:
        ctl |= STREAMING
    write(w, ctl, k, g.peer, s.mv[off:end])
    g.sent = k


def pending(a):
    """More blocks of the current window to stream without waiting for the client."""
    g = a.gbt
    return g.tx and g.sent < g.end and g.last != g.sent


def ack(a, w, bna):
    """The client acknowledged blocks up to bna: drop them, send the next window (from the
    first block it lacks). -> False when the transfer is over (nothing to send)."""
    g = a.gbt
    s = a.stream
    if bna > g.sent:
        a.abort_blocks()
        raise DecodeError("ack")
    if bna >= g.base:
        n = (bna - g.base + 1) * g.payload
        if n > s.pos:
            n = s.pos
        rest = s.pos - n
        if rest:
            s.mv[:rest] = s.mv[n:s.pos]
        s.pos = rest
        g.base = bna + 1
    if g.last and bna >= g.last:
        a.abort_blocks()  # every block arrived
        return False
    _window(a, w, g.base if bna < g.base else bna + 1)
    return True


# ---------------------------------------------------------------- requests


def ack_rx(srv, w):
    """Empty block acknowledging the request blocks received in sequence."""
    srv.acks += 1
    write(w, LAST | RX_WINDOW, srv.acks, srv.rx_no, b"")


def _refuse(w, state, service):
    w.u8(0xD8)  # exception-response (dlms-notes 4.9)
    w.u8(state)
    w.u8(service)


def receive(srv, a, apdu, w, protected):
    """One GBT APDU from the client; protected: it came inside general protection, so the
    request it carries is a plain one. Writes an acknowledgement, the response of a
    completed request, the next response blocks, or nothing (streaming)."""
    ctl, bn, bna, data = parse(apdu)
    g = a.gbt
    g.window = ctl & WINDOW or 1
    g.peer = bn
    receiving = srv._block_owner is a and srv.blk_kind == KIND  # a request in blocks
    if len(data) == 0:  # acknowledgement (or a request for the next window)
        if receiving:
            ack_rx(srv, w)
        elif not g.tx:
            _refuse(w, 1, 1)  # no transfer in progress: operation-not-possible
        elif protected or not g.wrap:
            if not ack(a, w, bna):
                _refuse(w, 1, 1)
        elif g.wrap == 0xFF:
            _refuse(w, 1, 2)  # blocks protected per request: the ack must be too
        else:  # a plain ack: the block in the transfer's general-glo/ded-ciphering
            out = srv._out
            out.pos = 0
            if not ack(a, out, bna):
                _refuse(w, 1, 1)
            else:
                srv.emit(a, out, w)
        return
    if bn == 1 or not receiving:
        # a new request (any transfer in progress is abandoned); a first block numbered
        # above 1 is taken too: gurux 1.0.203 goes on counting from earlier exchanges
        a.abort_blocks()
        t = data[0]
        if protected:
            ok = t in (0xC0, 0xC1, 0xC3, 0xD9)  # protection applies once
        else:
            ok = not srv._policy(a) or srv._protected_tag(a, t)
        if not ok:
            _refuse(w, 1, 2)
            return
        if not srv._block_start(a, KIND, None):
            _refuse(w, 1, 1)  # another association is mid-transfer
            return
        srv.rx_no = bn - 1
        srv.acks = 0
        srv.rx_prot = protected
    elif srv.rx_prot != protected:
        a.abort_blocks()
        _refuse(w, 1, 1)
        return
    if bn == srv.rx_no + 1:
        buf = srv._block_buf
        end = srv.blk_len + len(data)
        if end > len(buf):
            a.abort_blocks()
            _refuse(w, 1, 4)  # pdu-too-long
            return
        buf[srv.blk_len:end] = data
        srv.blk_len = end
        srv.rx_no = bn
        if ctl & LAST:
            _complete(srv, a, w, protected)
            return
    if ctl & (LAST | STREAMING) != STREAMING:  # end of the client's window (or a gap)
        ack_rx(srv, w)


def _complete(srv, a, w, protected):
    inner = memoryview(srv._block_buf)[: srv.blk_len]
    srv.blk_kind = 0  # read in place below (no longer receiving); released after
    srv.via_gbt = True
    try:
        if protected:
            srv._service(a, inner, w)
        else:
            srv._dispatch(a, inner, w)
    finally:
        srv.via_gbt = False
        srv._block_done(a)
