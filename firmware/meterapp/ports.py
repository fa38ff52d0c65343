# SPDX-License-Identifier: MIT
"""asyncio adapters wiring HAL streams to the sans-IO transports and the DLMS server:
the optical port (HDLC, IEC 62056-46) and the TCP wrapper (IEC 62056-47)."""
import asyncio
import time
# bound at import, before the object model fragments the heap: asyncio loads these lazily
# and then grows its globals dict (a ~0.6 KB table) when the ports first serve
from asyncio import StreamReader, StreamWriter, start_server

from dlms.apdu.axdr import Writer
from dlms.cosem.ic015_association_ln import ASSOCIATED
from dlms.server.association import MAX_PDU, Association
from dlms.transport import wrapper
from dlms.transport.hdlc_link import HdlcLink

TX_SIZE = MAX_PDU + 64
TICK_MS = 100
# a TCP connection must complete its association (AARQ, and HLS pass 3/4) within this time
# of its arrival or of its association's end, else it is closed: a client needs a few
# round trips (HLS-7 signs and verifies twice), 20 s leaves room for a slow WAN or a
# loaded meter, and a silent socket holds a slot no longer (docs/decisions.md)
HANDSHAKE_MS = 20000
WATCH_MS = 500  # period of the TCP watchdog


class HdlcPort:
    """One HDLC link on one stream (the optical port has a single association, KSMW 3.3.4);
    buffers allocated at boot."""

    def __init__(self, server, config):
        self.server = server
        self.a = Association(server, "hdlc")
        self.tx = Writer(TX_SIZE)
        self.link = HdlcLink(config, None, self._app, on_disconnect=self.a.reset)
        self.buf = bytearray(256)

    def _app(self, apdu):
        a = self.a
        a.client_sap = self.link.peer
        self.tx.pos = 0
        self.server.handle(a, apdu, self.tx)
        return self.tx.mv[: self.tx.pos]

    async def serve(self, port, ticks_ms, log=print, disabled=None):
        """While disabled() is true the port ignores every byte and drops its link
        (KSMW 4.1.2)."""
        reader = StreamReader(port)
        writer = StreamWriter(port, {})
        link = self.link
        link.send = writer.write

        async def ticker():
            while True:
                await asyncio.sleep_ms(TICK_MS)
                link.tick(ticks_ms())

        asyncio.create_task(ticker())
        buf = self.buf
        mv = memoryview(buf)
        while True:
            try:
                n = await reader.readinto(buf)
            except OSError:  # no peer on the line (pty slave closed): wait and retry
                await asyncio.sleep_ms(50)
                continue
            if not n:
                await asyncio.sleep_ms(20)
                continue
            if disabled is not None and disabled():
                if link.peer != -1:
                    link.drop()
                continue
            try:
                link.feed(mv[:n], ticks_ms())
            except Exception as e:  # never let input kill the port (IDIS 8.2.3.1)
                log("hdlc: dropped input after", repr(e))
                link.rx_n = 0
            await writer.drain()


async def _read_exactly(reader, mv):
    got = 0
    n = len(mv)
    while got < n:
        k = await reader.readinto(mv[got:])
        if not k:
            raise EOFError
        got += k


class _Slot:
    """Buffers of one TCP connection, allocated once at boot and reused (no heap churn).
    task: the connection's handler task (None: free); opened: ticks_ms when the connection
    came or its association ended (the handshake runs from then); last_rx: ticks_ms of its
    last complete request APDU."""

    task = None
    opened = 0
    last_rx = 0

    def __init__(self, server):
        self.a = Association(server, "tcp")
        self.rx = bytearray(wrapper.HEADER + MAX_PDU + 64)
        self.rxmv = memoryview(self.rx)


class TcpPort:
    """IEC 62056-47 wrapper over TCP: each connection carries its own association; the
    connection slots are allocated at boot. One response buffer serves every connection:
    a response is written and handed to its stream (which copies it) with no await
    in between.

    Connections cannot lock the port (IDIS P3 7.2.1.1, Blue Book IC 41; docs/decisions.md):
    a watchdog task closes a connection whose last complete request is older than the
    TCP-UDP setup's inactivity_time_out (0: none), or that has not completed an
    association within HANDSHAKE_MS; a connection arriving while every slot is busy takes
    the slot of the oldest connection without an association, and is refused only when
    every slot carries one. Closing = cancelling the connection's handler task, whose
    `finally` releases the association and the slot. Real time (the board's ticks_ms),
    never the meter clock."""

    setup = None  # IC 41 TCP-UDP setup (dlms.cosem.ic041_tcp_udp_setup), set by app.build
    handshake_ms = HANDSHAKE_MS

    def __init__(self, server, max_connections=4):
        self.server = server
        self.slots = [_Slot(server) for _ in range(max_connections)]
        self.tx = Writer(wrapper.HEADER + TX_SIZE)

    def _claim(self, me, now):
        """The slot for a new connection's handler task me: a free one, else the one of
        the oldest connection without an association (its task is cancelled and the slot
        handed over at once), else None."""
        take = None
        for sl in self.slots:
            if sl.task is None:
                take = sl
                break
            if sl.a.status != ASSOCIATED and (
                    take is None or time.ticks_diff(sl.opened, take.opened) < 0):
                take = sl
        if take is None:
            return None
        if take.task is not None:
            self._close(take)
        take.task = me
        take.opened = take.last_rx = now
        return take

    @staticmethod
    def _close(sl):
        t = sl.task
        sl.task = None  # the slot is free now; the task's finally sees it is no longer its
        try:
            t.cancel()  # CancelledError at the await it waits in (socket I/O)
        except Exception:
            pass

    async def _watch(self, ticks_ms):
        """Closes idle connections (inactivity_time_out) and those that do not associate
        within handshake_ms."""
        slots = self.slots
        while True:
            await asyncio.sleep_ms(WATCH_MS)
            try:
                now = ticks_ms()
                st = self.setup
                idle = (st.inactivity_time_out if st is not None else 0) * 1000
                hs = self.handshake_ms
                for sl in slots:
                    if sl.task is None:
                        continue
                    if (idle and time.ticks_diff(now, sl.last_rx) >= idle) or (
                            sl.a.status != ASSOCIATED
                            and time.ticks_diff(now, sl.opened) >= hs):
                        self._close(sl)
            except Exception as e:  # the watchdog never stops
                print("tcp: watchdog", repr(e))

    async def serve(self, host, port, log=print, ticks_ms=None):
        """ticks_ms: the board's monotonic milliseconds (default time.ticks_ms)."""
        if ticks_ms is None:
            ticks_ms = time.ticks_ms

        async def handle(reader, writer):
            server = self.server
            me = asyncio.current_task()
            slot = self._claim(me, ticks_ms())
            if slot is None:  # every slot carries an association: refuse the connection
                writer.close()
                await writer.wait_closed()
                return
            a = slot.a
            a.reset()
            rx = slot.rx
            rxmv = slot.rxmv
            tx = self.tx  # shared: no await from here until the response is written
            try:
                while True:
                    await _read_exactly(reader, rxmv[: wrapper.HEADER])
                    ver, src, dst, n = wrapper.parse(rx)
                    if ver != wrapper.VERSION:
                        break  # not a wrapper stream: drop the connection
                    if n > len(rx) - wrapper.HEADER:
                        while n:  # skip the oversized APDU, then answer pdu-too-long
                            k = min(n, len(rx) - wrapper.HEADER)
                            await _read_exactly(reader, rxmv[wrapper.HEADER:wrapper.HEADER + k])
                            n -= k
                        slot.last_rx = ticks_ms()
                        tx.pos = wrapper.HEADER
                        tx.raw(b"\xd8\x01\x04")
                    else:
                        await _read_exactly(reader, rxmv[wrapper.HEADER:wrapper.HEADER + n])
                        if dst != a.server_sap:
                            continue  # not addressed to the management logical device
                        slot.last_rx = ticks_ms()  # a complete request (IC 41 attribute 6)
                        tx.pos = wrapper.HEADER
                        if a.status == 0:
                            a.client_sap = src
                        if src != a.client_sap:
                            tx.raw(b"\xd8\x01\x01")  # another client on an associated connection
                        else:
                            was = a.status
                            try:
                                server.handle(a, rxmv[wrapper.HEADER:wrapper.HEADER + n], tx)
                            except Exception as e:  # the server never dies on input
                                log("tcp: request failed", repr(e))
                                tx.pos = wrapper.HEADER
                                tx.raw(b"\xd8\x01\x03")
                            if was == ASSOCIATED and a.status != ASSOCIATED:
                                slot.opened = slot.last_rx  # released: a new handshake time
                    self._send(writer, tx, a, src)
                    # the rest of a GBT window, written before any other connection runs
                    # (the server's protection state belongs to this request)
                    while server.pending(a):
                        tx.pos = wrapper.HEADER
                        try:
                            server.push(a, tx)
                        except Exception as e:
                            log("tcp: block failed", repr(e))
                            a.abort_blocks()
                            break
                        self._send(writer, tx, a, src)
                    await writer.drain()
            except (OSError, EOFError):
                pass
            finally:  # also on CancelledError (watchdog, or the slot handed over)
                if slot.task is me:
                    slot.task = None
                    a.reset()  # releases the association (KSMW 5.19.2 session end)
                elif slot.task is None:
                    a.reset()  # closed by the watchdog: the slot stays free, released now
                try:
                    writer.close()
                    await writer.wait_closed()
                except OSError:
                    pass

        asyncio.create_task(self._watch(ticks_ms))
        return await start_server(handle, host, port)

    @staticmethod
    def _send(writer, tx, a, dst):
        m = tx.pos - wrapper.HEADER
        if m:  # nothing when no response is due (GBT blocks inside the client's window)
            wrapper.write(tx.buf, 0, a.server_sap, dst, m)
            writer.write(tx.mv[: tx.pos])
