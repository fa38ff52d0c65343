# SPDX-License-Identifier: MIT
"""Meter application entry: build the objects, start the ports and the metering loop."""
import asyncio
import gc
import time

from dlms.server import association as asn
from dlms.server.server import Server
from dlms.transport.hdlc_link import HdlcConfig
from meterapp.objects import Meter
from meterapp.ports import HdlcPort, TcpPort

# conformance offered (KSMW 3.3.1); services of later work are added as they land
CONFORMANCE = (asn.GENERAL_PROTECTION | asn.GENERAL_BLOCK_TRANSFER | asn.ATTR0_GET | asn.BLOCK_GET
               | asn.BLOCK_SET | asn.BLOCK_ACTION | asn.MULTIPLE_REFERENCES | asn.ACCESS | asn.GET
               | asn.SET | asn.SELECTIVE_ACCESS | asn.ACTION)


def build(board, ports=False, early=None):
    """Server first, then (for run) the ports' buffers, then the object model: the large
    long-lived buffers take their blocks before many small objects fragment the heap.
    early(server): more such buffers of the caller (host tests: their associations)."""
    hdlc = HdlcConfig(device_address=board.hdlc_device_address,
                      inter_octet_ms=board.hdlc_inter_octet_ms)
    server = Server([], {}, CONFORMANCE)
    tcp = opt = None
    if ports:
        if board.tcp_endpoint() is not None:
            tcp = TcpPort(server)
        opt = HdlcPort(server, hdlc) if board.has_optical_port() else None
    if early is not None:
        early(server)
    meter = Meter(board, hdlc)
    server.attach(meter.objects, meter.clients, meter.system_title, meter.catalog)
    server.device = meter.device
    server.on_association = meter.guard.association
    server.on_security = meter.guard.security
    server.on_ended = meter.guard.ended
    server.on_changed = meter.profiles.configuration
    server.date_time = lambda: bytes(meter.clock.datetime())
    if ports:
        return meter, server, hdlc, tcp, opt
    return meter, server, hdlc


async def run(board):
    meter, server, hdlc, tcp, opt = build(board, ports=True)
    fill = getattr(board, "fill_lp1", None)
    if fill is not None:  # host test aid: a full, deterministic LP1
        print("meter: LP1 prefilled with %d entries" % meter.profiles.prefill_lp1(fill))
    if tcp is not None:
        ep = board.tcp_endpoint()
        await tcp.serve(ep[0], ep[1])
        print("meter: DLMS TCP wrapper on %s:%d" % ep)
    if opt is not None:
        asyncio.create_task(opt.serve(board.optical_port(), board.ticks_ms,
                                      disabled=meter.guard.optical_disabled))
        print("meter: HDLC optical port ready (server 1/%d)" % hdlc.device_address)
    print("meter: logical device", meter.ldn.decode())
    board.ready()
    period = board.loop_ms()
    sec = board.ticks_ms()
    while True:
        try:
            meter.timeline.advance()
        except Exception as e:  # the meter keeps serving
            print("meter: timeline:", repr(e))
        ev = board.events()
        if "B" in ev:  # demand reset button (KSMW 5.6)
            meter.billing.button()
        if "D" in ev:  # power-fail warning: persist, then the board goes dark
            meter.power_down()
            print("meter: power down")
            return
        now = board.ticks_ms()
        if time.ticks_diff(now, sec) >= 1000:  # real seconds (optical port lockout, KSMW 4.1.2)
            sec = time.ticks_add(sec, 1000)
            meter.guard.tick_second()
            if board.heap_report:
                gc.collect()
                print("heap: alloc=%d free=%d" % (gc.mem_alloc(), gc.mem_free()))
        await asyncio.sleep_ms(period)
