# SPDX-License-Identifier: MIT
"""asyncio adapters wiring HAL streams to the sans-IO transports and the DLMS server:
the optical port (HDLC, IEC 62056-46) and the TCP wrapper (IEC 62056-47)."""
import asyncio
# bound at import, before the object model fragments the heap: asyncio loads these lazily
# and then grows its globals dict (a ~0.6 KB table) when the ports first serve
from asyncio import StreamReader, StreamWriter, start_server

from dlms.apdu.axdr import Writer
from dlms.server.association import MAX_PDU, Association
from dlms.transport import wrapper
from dlms.transport.hdlc_link import HdlcLink

TX_SIZE = MAX_PDU + 64
TICK_MS = 100


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
    """Buffers of one TCP connection, allocated once at boot and reused (no heap churn)."""

    busy = False

    def __init__(self, server):
        self.a = Association(server, "tcp")
        self.rx = bytearray(wrapper.HEADER + MAX_PDU + 64)
        self.rxmv = memoryview(self.rx)


class TcpPort:
    """IEC 62056-47 wrapper over TCP: each connection carries its own association; the
    connection slots are allocated at boot. One response buffer serves every connection:
    a response is written and handed to its stream (which copies it) with no await
    in between."""

    def __init__(self, server, max_connections=4):
        self.server = server
        self.slots = [_Slot(server) for _ in range(max_connections)]
        self.tx = Writer(wrapper.HEADER + TX_SIZE)

    async def serve(self, host, port, log=print):
        async def handle(reader, writer):
            server = self.server
            slots = self.slots
            slot = None
            for sl in slots:
                if not sl.busy:
                    slot = sl
                    break
            if slot is None:  # every slot in use: refuse the connection
                writer.close()
                await writer.wait_closed()
                return
            slot.busy = True
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
                        tx.pos = wrapper.HEADER
                        tx.raw(b"\xd8\x01\x04")
                    else:
                        await _read_exactly(reader, rxmv[wrapper.HEADER:wrapper.HEADER + n])
                        if dst != a.server_sap:
                            continue  # not addressed to the management logical device
                        tx.pos = wrapper.HEADER
                        if a.status == 0:
                            a.client_sap = src
                        if src != a.client_sap:
                            tx.raw(b"\xd8\x01\x01")  # another client on an associated connection
                        else:
                            try:
                                server.handle(a, rxmv[wrapper.HEADER:wrapper.HEADER + n], tx)
                            except Exception as e:  # the server never dies on input
                                log("tcp: request failed", repr(e))
                                tx.pos = wrapper.HEADER
                                tx.raw(b"\xd8\x01\x03")
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
            finally:
                a.reset()
                slot.busy = False
                try:
                    writer.close()
                    await writer.wait_closed()
                except OSError:
                    pass

        return await start_server(handle, host, port)

    @staticmethod
    def _send(writer, tx, a, dst):
        m = tx.pos - wrapper.HEADER
        if m:  # nothing when no response is due (GBT blocks inside the client's window)
            wrapper.write(tx.buf, 0, a.server_sap, dst, m)
            writer.write(tx.mv[: tx.pos])
