# SPDX-License-Identifier: MIT
"""Meter application entry: build the objects, start the ports and the metering loop."""
import asyncio

from dlms.server import association as asn
from dlms.server.server import Server
from dlms.transport.hdlc_link import HdlcConfig
from meterapp.objects import Meter
from meterapp.ports import serve_hdlc, serve_tcp

# conformance offered (KSMW 3.3.1); services of later work are added as they land
CONFORMANCE = (asn.ATTR0_GET | asn.BLOCK_GET | asn.BLOCK_SET | asn.BLOCK_ACTION
               | asn.MULTIPLE_REFERENCES | asn.GET | asn.SET | asn.ACTION)


def build(board):
    hdlc = HdlcConfig(device_address=board.hdlc_device_address,
                      inter_octet_ms=board.hdlc_inter_octet_ms)
    meter = Meter(board, hdlc)
    server = Server(meter.objects, meter.clients, CONFORMANCE, meter.system_title)
    return meter, server, hdlc


async def run(board):
    meter, server, hdlc = build(board)
    ep = board.tcp_endpoint()
    if ep is not None:
        await serve_tcp(server, ep[0], ep[1])
        print("meter: DLMS TCP wrapper on %s:%d" % ep)
    port = board.optical_port()
    if port is not None:
        asyncio.create_task(serve_hdlc(server, port, hdlc, board.ticks_ms))
        print("meter: HDLC optical port ready (server 1/%d)" % hdlc.device_address)
    print("meter: logical device", meter.ldn.decode())
    while True:
        meter.metering.update()
        await asyncio.sleep_ms(1000)
