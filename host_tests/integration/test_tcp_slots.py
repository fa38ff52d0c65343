# SPDX-License-Identifier: MIT
"""Issue #11: idle TCP connections cannot lock clients out (IDIS P3 7.2.1.1, Blue Book IC 41).

The TCP wrapper port has 4 connection slots. A connection that has not associated gives its
slot to a new connection (the oldest such one), and is closed after the handshake time; an
associated connection is closed when its last complete request is older than the TCP-UDP
setup's inactivity_time_out (0-0:25.0.0.255 attribute 6), however many bytes it trickles.
Independent clients (gurux-dlms, raw sockets) against the running firmware; every wait is
for an event with a deadline far above the expected time, never an elapsed-time assertion.
"""
import select
import socket
import struct
import threading
import time

import pytest
from gurux_dlms.enums import DataType

from conftest import Meter
from gx_client import DataAccessError
from test_interop_gurux import management, public

SETUP = "0-0:25.0.0.255"
SESSION_LOG = "0-0:99.98.6.255"  # communication session log (KSMW 5.19.2)
CLOCK = "0-0:1.0.0.255"
LDN = "0-0:42.0.0.255"
LDN_VALUE = b"KFM2000100000001"
SLOTS = 4
DEADLINE = 90  # s: an upper bound for any close the meter must make (time-outs <= 20 s)
AARQ_PUBLIC = bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
SUCCESS, READ_WRITE_DENIED, TYPE_UNMATCHED = 0, 3, 12


@pytest.fixture
def meter():
    """A meter of its own per test: the tests fill its slots and change its time-outs."""
    m = Meter()
    yield m
    assert m.alive(), "the firmware died"
    m.stop()


@pytest.fixture
def quick_meter():
    """A meter whose TCP handshake time is 2 s (tools/run_meter.py --tcp-handshake-ms)."""
    m = Meter(args=("--tcp-handshake-ms", "2000"))
    yield m
    assert m.alive(), "the firmware died"
    m.stop()


def connect(meter):
    return socket.create_connection((meter.host, meter.tcp_port), timeout=10)


def wrapped(apdu, client=16):
    return struct.pack(">HHHH", 1, client, 1, len(apdu)) + apdu


def closed_by_meter(s, deadline=DEADLINE):
    """Wait until the meter closes the socket (EOF or reset); data it sends is skipped.
    -> True when closed before the deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], min(1.0, max(0.0, end - time.monotonic())))
        if not r:
            continue
        try:
            if not s.recv(4096):
                return True
        except OSError:
            return True
    return False


class Trickle(threading.Thread):
    """A client that opens a connection and sends one byte every 100 ms: a wrapper header
    announcing a 1000-byte APDU, then its bytes, never completing it (slowloris)."""

    def __init__(self, meter, first=b""):
        super().__init__(daemon=True)
        self.s = connect(meter)
        if first:  # e.g. a whole AARQ first: the connection is associated
            self.s.sendall(first)
        self.closed = threading.Event()
        self.stop = threading.Event()
        self.sent = 0

    def run(self):
        data = struct.pack(">HHHH", 1, 16, 1, 1000) + bytes(1000)
        try:
            while not self.stop.is_set():
                r, _, _ = select.select([self.s], [], [], 0.1)
                if r and not self.s.recv(4096):
                    break  # EOF: closed by the meter
                self.s.sendall(data[self.sent % len(data):][:1])
                self.sent += 1
        except OSError:
            pass  # reset by the meter
        finally:
            if not self.stop.is_set():
                self.closed.set()

    def end(self):
        self.stop.set()
        self.join(5)
        self.s.close()


def retried(fn, deadline=DEADLINE):
    """fn() until it completes without a transport failure: with an inactivity time-out of
    a few seconds a slow host may see the meter close a connection between two requests;
    each attempt opens a new connection."""
    end = time.monotonic() + deadline
    while True:
        try:
            return fn()
        except AssertionError:
            raise
        except Exception:
            if time.monotonic() > end:
                raise


def read_clock_and_ldn(meter):
    with public(meter, "tcp") as m:
        m.associate()
        assert m.get(1, LDN, 2) == LDN_VALUE
        assert m.get(8, CLOCK, 2) is not None
        m.release()


def test_idle_sockets_and_a_trickle_sender_do_not_lock_a_client_out(meter):
    """A trickle sender and four silent sockets fill the slots (the fourth socket already
    takes the trickle sender's slot); a fifth client still associates and reads, and both
    the trickle sender and the oldest silent socket are closed."""
    trickle = Trickle(meter)
    trickle.start()
    while trickle.sent < 3 and trickle.is_alive():  # it holds a slot and sends
        time.sleep(0.05)
    idle = [connect(meter) for _ in range(SLOTS)]
    try:
        read_clock_and_ldn(meter)
        assert trickle.closed.wait(DEADLINE), "the trickle sender kept its slot"
        assert closed_by_meter(idle[0]), "the oldest silent socket kept its slot"
        read_clock_and_ldn(meter)  # and again, while the others still sit there
    finally:
        trickle.end()
        for s in idle:
            s.close()


def test_every_slot_associated_refuses_a_new_connection(meter):
    """Only when every slot carries an association is a connection refused; the associated
    clients keep being served; a released association gives its slot way again."""
    clients = [public(meter, "tcp").open() for _ in range(SLOTS)]
    try:
        for c in clients:
            c.associate()
        s = connect(meter)
        try:
            s.sendall(wrapped(AARQ_PUBLIC))  # never answered: refused, not served
            assert closed_by_meter(s)
        finally:
            s.close()
        for c in clients:  # nobody gave way
            assert c.get(1, LDN, 2) == LDN_VALUE
        clients[0].release()  # RLRQ: the connection stays open, without an association
        read_clock_and_ldn(meter)  # takes the released connection's slot
        assert closed_by_meter(clients[0].sock)
        for c in clients[1:]:
            assert c.get(1, LDN, 2) == LDN_VALUE
            c.release()
    finally:
        for c in clients:
            c.close()


def test_handshake_time_closes_a_connection_that_does_not_associate(quick_meter):
    """Silent, trickling or refused-AARQ-only connections are closed after the handshake
    time (2 s on this meter); an associated one stays (its inactivity time-out is 180 s)."""
    silent = connect(quick_meter)
    trickle = Trickle(quick_meter)
    trickle.start()
    with public(quick_meter, "tcp") as m:
        m.associate()
        try:
            assert closed_by_meter(silent)
            assert trickle.closed.wait(DEADLINE)
            assert m.get(1, LDN, 2) == LDN_VALUE  # the associated client was left alone
            m.release()
        finally:
            trickle.end()
            silent.close()


def test_inactivity_time_out_closes_an_idle_association():
    """Attribute 6 written to 3 s by the management client: its own association, left
    idle, is closed; an associated public client trickling a request that never completes
    is closed too (only complete requests count); the setting is read back by the public
    client and kept across a restart."""
    meter = Meter()
    again = None
    try:
        with management(meter, "tcp") as m:
            m.associate()
            assert m.get(41, SETUP, 6) == 180  # IDIS default
            assert m.set(41, SETUP, 6, 3, DataType.UINT16) == SUCCESS
            assert closed_by_meter(m.sock), "the idle association was not closed"
            m.sock.close()
            m.sock = None
        trickle = Trickle(meter, first=wrapped(AARQ_PUBLIC))
        trickle.start()
        try:
            assert trickle.closed.wait(DEADLINE), "the trickling association was not closed"
        finally:
            trickle.end()

        def read_setup():  # the meter serves again; the public client reads IC 41
            with public(meter, "tcp") as p:
                p.associate()
                got = [p.get(41, SETUP, a) for a in (6, 2, 5)]
                p.release()
            return got

        assert retried(read_setup) == [3, meter.tcp_port, SLOTS]

        def session_log():
            with management(meter, "tcp") as m:
                m.associate()
                rows = m.get(7, SESSION_LOG, 2)
                m.release()
            return rows

        # both closed associations were released: a session end (KSMW 5.19.2, event 27)
        # follows each start (26), management (SAP 1) then the trickling public client (16)
        events = [(r[1], r[2]) for r in retried(session_log)]
        assert events[:4] == [(26, [1, 1]), (27, [1, 1]), (26, [16, 1]), (27, [16, 1])], events
        assert meter.alive(), "the firmware died"
        meter.stop(keep=True)  # power down: the written time-out persists
        again = Meter(args=("--state-dir", meter.state))  # restarts on the same state

        def read_again():
            with public(again, "tcp") as p:
                p.associate()
                got = p.get(41, SETUP, 6)
                p.release()
            return got

        assert retried(read_again) == 3
        assert again.alive(), "the restarted firmware died"
    finally:
        if again is not None:
            again.stop()
        meter.stop()  # its state folder goes


def test_set_and_get_with_wrong_types_answer_a_data_access_result(meter):
    with management(meter, "tcp") as m:
        m.associate()
        assert m.get(41, SETUP, 1) is not None
        assert m.get(41, SETUP, 3) == bytes((0, 0, 25, 1, 0, 255))  # IPv4 setup
        assert m.get(41, SETUP, 4) == 576
        assert m.set(41, SETUP, 6, 3, DataType.UINT8) == TYPE_UNMATCHED
        assert m.set(41, SETUP, 6, 3, DataType.UINT32) == TYPE_UNMATCHED
        assert m.set(41, SETUP, 6, b"\x00\x03", DataType.OCTET_STRING) == TYPE_UNMATCHED
        assert m.set(41, SETUP, 2, 4060, DataType.UINT16) == READ_WRITE_DENIED
        assert m.set(41, SETUP, 5, 8, DataType.UINT8) == READ_WRITE_DENIED
        assert m.get(41, SETUP, 6) == 180  # nothing changed
        with pytest.raises(DataAccessError):
            m.get(41, SETUP, 7)  # no such attribute
        assert m.set(41, SETUP, 6, 0, DataType.UINT16) == SUCCESS  # 0: no time-out
        assert m.get(41, SETUP, 6) == 0
        m.release()
    with public(meter, "tcp") as p:  # reads it, never writes it
        p.associate()
        assert p.set(41, SETUP, 6, 3, DataType.UINT16) == READ_WRITE_DENIED
        p.release()
