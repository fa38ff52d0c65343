# SPDX-License-Identifier: MIT
"""asyncio adapters wiring HAL streams to the sans-IO transports and the DLMS server:
the optical port (HDLC, IEC 62056-46) and the TCP wrapper (IEC 62056-47)."""
import asyncio

from dlms.apdu.axdr import Writer
from dlms.server.association import MAX_PDU, Association
from dlms.transport import wrapper
from dlms.transport.hdlc_link import HdlcLink

TX_SIZE = MAX_PDU + 64
TICK_MS = 100


async def serve_hdlc(server, port, config, ticks_ms, log=print):
    """One HDLC link on one stream (the optical port has a single association, KSMW 3.3.4)."""
    reader = asyncio.StreamReader(port)
    writer = asyncio.StreamWriter(port, {})
    a = Association(server, "hdlc")
    tx = Writer(TX_SIZE)

    def app(apdu):
        a.client_sap = link.peer
        tx.pos = 0
        server.handle(a, apdu, tx)
        return tx.mv[: tx.pos]

    link = HdlcLink(config, writer.write, app, on_disconnect=a.reset)

    async def ticker():
        while True:
            await asyncio.sleep_ms(TICK_MS)
            link.tick(ticks_ms())

    asyncio.create_task(ticker())
    buf = bytearray(256)
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

    def __init__(self, server):
        self.a = Association(server, "tcp")
        self.rx = bytearray(wrapper.HEADER + MAX_PDU + 64)
        self.rxmv = memoryview(self.rx)
        self.tx = Writer(wrapper.HEADER + TX_SIZE)
        self.busy = False


async def serve_tcp(server, host, port, max_connections=4, log=print):
    """IEC 62056-47 wrapper over TCP: each connection carries its own association."""
    slots = [_Slot(server) for _ in range(max_connections)]

    async def handle(reader, writer):
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
        tx = slot.tx
        try:
            while True:
                await _read_exactly(reader, rxmv[: wrapper.HEADER])
                ver, src, dst, n = wrapper.parse(rx)
                if ver != wrapper.VERSION:
                    break  # not a wrapper stream: drop the connection
                tx.pos = wrapper.HEADER
                if n > len(rx) - wrapper.HEADER:
                    while n:  # skip the oversized APDU, then answer pdu-too-long
                        k = min(n, len(rx) - wrapper.HEADER)
                        await _read_exactly(reader, rxmv[wrapper.HEADER:wrapper.HEADER + k])
                        n -= k
                    tx.raw(b"\xd8\x01\x04")
                else:
                    await _read_exactly(reader, rxmv[wrapper.HEADER:wrapper.HEADER + n])
                    if dst != a.server_sap:
                        continue  # not addressed to the management logical device
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
                m = tx.pos - wrapper.HEADER
                wrapper.write(tx.buf, 0, a.server_sap, src, m)
                writer.write(tx.mv[: tx.pos])
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

    return await asyncio.start_server(handle, host, port)
