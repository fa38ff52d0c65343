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
    if tcp is not None:  # IC 41 describes the port; the port reads its inactivity_time_out
        st = tcp.setup = meter.tcp_setup
        st.port = board.tcp_endpoint()[1]
        st.nb_of_sim_conn = len(tcp.slots)
        hs = getattr(board, "tcp_handshake_ms", None)
        if hs:  # host tests: a shorter handshake time than the port's HANDSHAKE_MS
            tcp.handshake_ms = hs
    if ports:
        return meter, server, hdlc, tcp, opt
    return meter, server, hdlc


HEAP_EVERY = 16  # --heap-report: a sample every this many responses


def heap_report(server, log=print):
    """Host diagnostics (--heap-report): the live heap after a collection every HEAP_EVERY
    responses served (requests answered, GBT blocks pushed) and when an association ends,
    "heap: alloc=A free=F n=K" / "... end": samples by what the meter did, so a test gets
    the same samples from a read on any machine."""
    count = [0]

    def sample(what):
        gc.collect()
        log("heap: alloc=%d free=%d %s" % (gc.mem_alloc(), gc.mem_free(), what))

    def response(a):
        count[0] += 1
        if count[0] % HEAP_EVERY == 0:
            sample("n=%d" % count[0])

    ended = server.on_ended

    def end(a):
        if ended is not None:
            ended(a)
        sample("end")

    server.on_response = response
    server.on_ended = end


async def run(board):
    meter, server, hdlc, tcp, opt = build(board, ports=True)
    if board.heap_report:
        heap_report(server)
    fill = getattr(board, "fill_lp1", None)
    if fill is not None:  # host test aid: a full, deterministic LP1
        print("meter: LP1 prefilled with %d entries" % meter.profiles.prefill_lp1(fill))
    if tcp is not None:
        ep = board.tcp_endpoint()
        try:
            await tcp.serve(ep[0], ep[1], ticks_ms=board.ticks_ms)
        except OSError as e:  # port in use, no such address: one line, exit status 1
            print("meter: TCP port %d on %s: cannot listen (%s)" % (ep[1], ep[0], e))
            raise SystemExit(1)
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
        board.feed()  # the board's watchdog: the loop still runs
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
        await asyncio.sleep_ms(period)
