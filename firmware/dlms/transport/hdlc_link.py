# SPDX-License-Identifier: MIT
"""HDLC link state machine, secondary station (IEC 62056-46; dlms-notes 7).

Sans-IO: feed(bytes, now_ms) in; frames go out through send(memoryview); complete
APDUs go to app(memoryview) -> memoryview of the response APDU (or None).
One peer at a time (KSMW 3.3.4: one association on the optical port).
"""
from micropython import const

from dlms.transport import hdlc_frame as hf

# frame constants of hdlc_frame (IEC 62056-46 6.3, 6.4), local: inlined by the compiler
_FLAG = const(0x7E)
_MIN_LEN = const(7)
_SNRM = const(0x83)
_DISC = const(0x43)
_UA = const(0x63)
_DM = const(0x0F)
_FRMR = const(0x87)
_UI = const(0x03)
_RR = const(0x01)
_RNR = const(0x05)
_PF = const(0x10)
_FRMR_W = const(0x01)
_FRMR_X = const(0x02)
_FRMR_Y = const(0x04)
_FRMR_Z = const(0x08)

# `now` is the board's time.ticks_ms(): it wraps at 2^30 ms (12.4 days), so time-outs take
# the wrapped difference (time.ticks_diff; the stack does not import the board layer)
_TICKS_MASK = const(0x3FFFFFFF)
_TICKS_HALF = const(0x20000000)


def _elapsed(now, then):
    return ((now - then + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


NDM = const(0)  # disconnected
NRM = const(1)  # connected
FRMR_SENT = const(2)  # frame reject condition: only SNRM/DISC clear it

DEFAULT_INFO = const(128)  # IEC 62056-46 default max information field length
DEFAULT_WINDOW = const(1)
LLC_REQUEST = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"
PDU_TOO_LONG = b"\xd8\x01\x04"  # exception-response: service-not-allowed / pdu-too-long
ALL_STATIONS = (0x7F, 0x3FFF)


class HdlcConfig:
    """Server-side limits; mirrored by the IEC HDLC setup object (IC 23)."""

    def __init__(self, device_address=17, max_info_tx=DEFAULT_INFO, max_info_rx=DEFAULT_INFO,
                 window_tx=DEFAULT_WINDOW, window_rx=DEFAULT_WINDOW, inter_octet_ms=200,
                 inactivity_s=120, comm_speed=5, logical=1):
        self.device_address = device_address
        self.max_info_tx = max_info_tx
        self.max_info_rx = max_info_rx
        self.window_tx = window_tx
        self.window_rx = window_rx
        self.inter_octet_ms = inter_octet_ms
        self.inactivity_s = inactivity_s
        self.comm_speed = comm_speed
        self.logical = logical
        self.clients = (1, 2, 3, 4, 5, 6, 7, 16)  # client SAPs answered (KSMW 3.6)


class HdlcLink:
    def __init__(self, config, send, app, on_disconnect=None, apdu_size=1224 + 64):
        self.cfg = config
        self.send = send
        self.app = app
        self.on_disconnect = on_disconnect
        self.rx = bytearray(hf.MAX_LEN + 3)
        self.rx[0] = _FLAG  # opening flag; the frame follows from rx[1]
        self.rxmv = memoryview(self.rx)
        self.rxf = self.rxmv  # the frame being received: format field .. closing flag
        self.rx_n = 0
        self.rx_need = 0
        self.last_byte = 0
        self.last_rx = 0
        self.apdu = bytearray(apdu_size)
        self.apdu_mv = memoryview(self.apdu)
        self.txf = bytearray(2047 + 3)  # last I-frame sent (kept for retransmission)
        self.txmv = memoryview(self.txf)
        self.txf_len = 0
        self.ctl = bytearray(48)  # control frames (UA, RR, DM, FRMR)
        self.fr = hf.Frame()
        self.win_off = [0] * 8
        self.srv = bytearray(4)
        self.srv_len = 1
        self.state = NDM
        self.peer = -1
        self.frames_in = 0
        self.frames_bad = 0
        self._reset_seq()

    # ---------------------------------------------------------------- receive side
    def feed(self, data, now):
        """Consume received bytes (frames are delimited by length, not by flags: 7.1)."""
        k = self.rx_n
        if k > 1 and _elapsed(now, self.last_byte) > self.cfg.inter_octet_ms:
            k = 0  # inter-octet time-out: drop the partial frame
        self.last_byte = now
        n = len(data)
        i = 0
        while i < n:
            if k >= 3:  # the rest of the frame at once, into the frame's own view
                # (MicroPython's slice assignment also moves the target's tail)
                m = self.rx_need - k
                if m > n - i:
                    m = n - i
                self.rxf[k - 1:k - 1 + m] = data[i:i + m]
                i += m
                k += m
                if k == self.rx_need:
                    if self.rx[k - 1] != _FLAG:
                        self.frames_bad += 1
                        k = 0
                    else:
                        self.rx_n = 1  # the closing flag may open the next frame
                        self._frame(k - 2, now)
                        k = self.rx_n
                continue
            b = data[i]
            i += 1
            if k == 0:
                if b == _FLAG:
                    k = 1
            elif k == 1:
                if b != _FLAG:  # else consecutive flags
                    self.rx[1] = b
                    k = 2
            else:  # frame format field: type 3, length (6.3)
                f0 = self.rx[1]
                ln = ((f0 & 7) << 8) | b
                if (f0 & 0xF0) != 0xA0 or ln < _MIN_LEN:
                    self.frames_bad += 1
                    k = 0
                else:
                    self.rx[2] = b
                    k = 3
                    self.rx_need = ln + 2
                    self.rxf = self.rxmv[1:ln + 2]
        self.rx_n = k

    def tick(self, now):
        """Inactivity time-out (IC 23 attribute 8): the link silently returns to NDM."""
        t = self.cfg.inactivity_s
        if self.state != NDM and t and _elapsed(now, self.last_rx) >= t * 1000:
            self._disconnect()

    def _frame(self, n, now):
        f = self.rxf
        fr = self.fr
        if not hf.decode(f, n, fr):
            self.frames_bad += 1  # bad CRC, length or address form: discard (6.4.4.2)
            return
        if fr.upper != self.cfg.logical:
            return
        lo = fr.lower
        if lo != -1 and lo != self.cfg.device_address and lo not in ALL_STATIONS:
            return
        if fr.client not in self.cfg.clients:
            return
        self.frames_in += 1
        c = fr.control
        if self.state != NDM and fr.client != self.peer:
            if c & 0xEF == _SNRM or c & 0xEF == _DISC or self._is_poll(c):
                self._reply_dm(fr)  # busy with another client
            return
        self.last_rx = now  # only the connected peer's frames keep the link (IC 23 attr 8)
        self._remember_address(f, fr)
        u = c & 0xEF
        if u == _SNRM:
            self._snrm(f, fr)
        elif u == _DISC:
            if self.state == NDM:
                self._ctl(_DM | _PF, fr.client)
            else:
                self._ctl(_UA | _PF, fr.client)
                self._disconnect()
        elif self.state == NDM:
            if self._is_poll(c):
                self._ctl(_DM | _PF, fr.client)
        elif self.state == FRMR_SENT:
            self._send_frmr()
        elif c & 1 == 0:
            self._iframe(f, fr)
        elif c & 0x0F == _RR or c & 0x0F == _RNR:
            if fr.info_end != fr.info_start:
                self._frmr(c, _FRMR_X)
            else:
                self._supervisory(c)
        elif u == _UI:
            pass  # no unsolicited exchange on this port
        else:
            self._frmr(c, _FRMR_W)

    def _is_poll(self, c):
        return bool(c & _PF)

    def _remember_address(self, f, fr):
        n = fr.addr_len
        self.srv_len = n
        self.srv[0:n] = f[2:2 + n]

    # ---------------------------------------------------------------- link set-up
    def _reset_seq(self):
        self.vs = 0
        self.vr = 0
        self.acked = 0  # oldest unacknowledged N(S)
        self.tx = None
        self.tx_off = 0
        self.tx_len = 0
        self.peer_busy = False
        self.rx_apdu = 0
        self.rx_overflow = False
        self.rx_in_window = 0

    def _snrm(self, f, fr):
        cfg = self.cfg
        ptx = prx = DEFAULT_INFO
        wtx = wrx = DEFAULT_WINDOW
        i, end = fr.info_start, fr.info_end
        if end > i:  # parameter negotiation field (dlms-notes 7.7)
            if end - i < 3 or f[i] != 0x81 or f[i + 1] != 0x80 or f[i + 2] != end - i - 3:
                self._ctl(_DM | _PF, fr.client)
                return
            i += 3
            while i < end:
                if i + 2 > end:
                    break
                pid = f[i]
                ln = f[i + 1]
                i += 2
                if ln < 1 or ln > 4 or i + ln > end:
                    self._ctl(_DM | _PF, fr.client)
                    return
                v = 0
                for k in range(ln):
                    v = (v << 8) | f[i + k]
                i += ln
                if pid == 5:
                    ptx = v  # client transmit = our receive
                elif pid == 6:
                    prx = v
                elif pid == 7:
                    wtx = v
                elif pid == 8:
                    wrx = v
        self.max_rx = max(32, min(cfg.max_info_rx, ptx))
        self.max_tx = max(32, min(cfg.max_info_tx, prx))
        self.win_rx = max(1, min(cfg.window_rx, wtx, 7))
        self.win_tx = max(1, min(cfg.window_tx, wrx, 7))
        if self.state != NDM and self.on_disconnect:
            self.on_disconnect()  # SNRM in any state resets the link and the association
        self._reset_seq()
        self.state = NRM
        self.peer = fr.client
        b = self.ctl
        p = 0
        for pid, v, ln in ((5, self.max_tx, 0), (6, self.max_rx, 0), (7, self.win_tx, 4),
                           (8, self.win_rx, 4)):
            if not ln:
                ln = 1 if v < 256 else 2
            b[p] = pid
            b[p + 1] = ln
            for k in range(ln):
                b[p + 2 + k] = (v >> (8 * (ln - 1 - k))) & 0xFF
            p += 2 + ln
        info = bytes(b[:p])
        hdr = bytes((0x81, 0x80, p))
        self._emit_ctl(_UA | _PF, fr.client, info, hdr)

    def drop(self):
        """Leave the link without a frame (port disabled, KSMW 4.1.2)."""
        self.rx_n = 0
        self._disconnect()

    def _disconnect(self):
        self.state = NDM
        self.peer = -1
        self._reset_seq()
        if self.on_disconnect:
            self.on_disconnect()

    # ---------------------------------------------------------------- data transfer
    def _nr_valid(self, nr):
        # N(R) must lie between the oldest unacknowledged frame and V(S) (inclusive)
        return (nr - self.acked) & 7 <= (self.vs - self.acked) & 7

    def _iframe(self, f, fr):
        c = fr.control
        ns = (c >> 1) & 7
        nr = c >> 5
        n = fr.info_end - fr.info_start
        if n > self.max_rx:
            self._frmr(c, _FRMR_Y)
            return
        if not self._nr_valid(nr):
            self._frmr(c, _FRMR_Z)
            return
        self.acked = nr
        if ns != self.vr:
            if ns == (self.vr - 1) & 7 and self.txf_len and self.tx_off >= self.tx_len:
                self.send(memoryview(self.txf)[: self.txf_len])  # our answer was lost: repeat
            else:
                self._ctl(_RR | _PF | (self.vr << 5), fr.client)  # ask for N(S) = V(R)
            return
        self.vr = (self.vr + 1) & 7
        self.tx = None  # a new request acknowledges the previous response
        self.tx_off = self.tx_len = 0
        i = fr.info_start
        if self.rx_apdu == 0 and not self.rx_overflow:
            if n < 3 or f[i] != 0xE6 or f[i + 1] != 0xE6:  # LLC header (dlms-notes 7.6)
                self._frmr(c, _FRMR_W)
                return
            i += 3
            n -= 3
        end = self.rx_apdu + n
        if end > len(self.apdu):
            self.rx_overflow = True
        elif not self.rx_overflow:
            self.apdu[self.rx_apdu:end] = f[i:i + n]
            self.rx_apdu = end
        if fr.segmented:
            self.rx_in_window += 1
            if c & _PF or self.rx_in_window >= self.win_rx:
                self.rx_in_window = 0
                self._ctl(_RR | _PF | (self.vr << 5), fr.client)
            return
        self.rx_in_window = 0
        if self.rx_overflow:
            resp = memoryview(PDU_TOO_LONG)
        else:
            resp = self.app(self.apdu_mv[: self.rx_apdu])
        self.rx_apdu = 0
        self.rx_overflow = False
        if resp is None or len(resp) == 0:
            self._ctl(_RR | _PF | (self.vr << 5), fr.client)
            return
        self.tx = resp
        self.tx_off = 0
        self.tx_len = len(resp)
        self.acked = self.vs
        self._send_window()

    def _send_window(self):
        """Send up to win_tx I-frames of the pending response (P/F on the last one)."""
        for k in range(self.win_tx):
            if self.tx_off >= self.tx_len or self.peer_busy:
                return
            first = self.tx_off == 0
            room = self.max_tx - (3 if first else 0)
            end = self.tx_off + room
            more = end < self.tx_len
            if not more:
                end = self.tx_len
            last_in_window = (k == self.win_tx - 1) or not more
            ctrl = (self.vr << 5) | (self.vs << 1) | (_PF if last_in_window else 0)
            self.win_off[self.vs] = self.tx_off
            f = self.txmv[:hf.size(self.srv_len, end - self.tx_off + (3 if first else 0))]
            self.txf_len = hf.encode(f, (self.peer << 1) | 1, self.srv, self.srv_len, ctrl,
                                     self.tx, self.tx_off, end, more,
                                     LLC_RESPONSE if first else None)
            self.send(f)
            self.vs = (self.vs + 1) & 7
            self.tx_off = end

    def _supervisory(self, c):
        nr = c >> 5
        if not self._nr_valid(nr):
            self._frmr(c, _FRMR_Z)
            return
        self.peer_busy = c & 0x0F == _RNR
        if self.tx is not None and nr != self.vs:
            # frames from N(R) on were not received: go back and send them again
            self.tx_off = self.win_off[nr]
            self.vs = nr
        self.acked = nr
        if self.tx is not None and self.tx_off < self.tx_len:
            self._send_window()
            return
        if nr == self.vs:
            self.tx = None  # the whole response is acknowledged
        if c & _PF:
            self._ctl(_RR | _PF | (self.vr << 5), self.peer)

    # ---------------------------------------------------------------- control frames
    def _ctl(self, control, client):
        self._emit_ctl(control, client, None, None)

    def _emit_ctl(self, control, client, info, prefix):
        n = hf.encode(self.ctl, (client << 1) | 1, self.srv, self.srv_len, control,
                      info or b"", 0, len(info) if info else 0, False, prefix)
        self.send(memoryview(self.ctl)[:n])

    def _reply_dm(self, fr):
        # answer another client with the address it used, without touching our peer's
        saved = bytes(self.srv[: self.srv_len])
        n = fr.addr_len
        f = self.rxmv[1:]
        self.srv[0:n] = f[2:2 + n]
        old = self.srv_len
        self.srv_len = n
        self._ctl(_DM | _PF, fr.client)
        self.srv_len = old
        self.srv[0:old] = saved

    def _frmr(self, rejected, reason):
        self.state = FRMR_SENT
        self.frmr_info = bytes((rejected, (self.vs << 1) | (self.vr << 5), reason))
        self._send_frmr()

    def _send_frmr(self):
        self._emit_ctl(_FRMR | _PF, self.peer, self.frmr_info, None)
