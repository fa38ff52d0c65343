# SPDX-License-Identifier: MIT
"""The Cortex-M4 firmware under qemu (boards/qemu_mps2_an386, make test-qemu), read with
gurux-dlms over the host pty of its optical port: the public client (association, logical
device name, clock, energy registers, release), a load profile read by range and whole
(the live heap flat meanwhile), the maintenance client (SAP 6, HLS-6, authenticated and encrypted APDUs), and a power failure:
the meter persists on its LittleFS flash image and comes back with its load profile, energy
and frame counters.

Waits are for answers and firmware lines with generous deadlines (an emulated CPU on a
possibly loaded host); nothing here measures or asserts a duration."""
import re
import time

import pytest

from gx_client import GxMeter, HlsRefused
from lp1_fixture import LP1
from test_interop_gurux import (LDN, LDN_VALUE, management, read_clock_utc, split_datetime,
                                utc_now)
from test_profile_gurux import by_range, cod, first_k, select

TIMEOUT = 60.0  # seconds without a complete frame before a request counts as lost
ENERGY = ("1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255")
CLOCK = "0-0:1.0.0.255"
WH, VARH = 30, 32  # Blue Book unit enum
MAINTENANCE_SETUP = "0-0:43.0.6.255"  # KSMW 3.6: the maintenance client's security setup


def public(meter, **kw):
    return GxMeter("hdlc", meter, client_sap=16, timeout=TIMEOUT, **kw)


def maintenance(meter, **kw):
    return management(meter, "hdlc", timeout=TIMEOUT, **kw)


def energies(m):
    return [m.get(3, ln, 2) for ln in ENERGY]


def test_boots_and_reports_its_heap(qemu_meter):
    alloc, free = qemu_meter.heap
    print("qemu meter: live heap after boot %d B, free %d B" % (alloc, free))
    assert alloc > 0 and free > 0
    assert "meter: logical device KFM2000100000001" in "".join(qemu_meter.output)


def test_public_client(qemu_meter):
    with public(qemu_meter) as m:
        aare = m.associate()
        assert (aare["result"], aare["source"], aare["diagnostic"]) == (0, "user", 0)
        assert aare["mechanism"] in (None, 0)
        assert m.server_max_pdu == 1224
        assert m.get(1, LDN, 2) == LDN_VALUE
        # the clock runs on the board's RTC (the host clock through semihosting)
        utc, raw = read_clock_utc(m)
        assert abs((utc - utc_now()).total_seconds()) < 120, raw.hex(" ")
        assert m.get(8, CLOCK, 3) == -60  # CET (Blue Book sense)
        for ln, unit in zip(ENERGY, (WH, WH, VARH, VARH)):
            assert m.get(3, ln, 3) == [0, unit], ln
        values = energies(m)
        assert all(isinstance(v, int) and v >= 0 for v in values), values
        released = m.release()
        assert released.rlre[:1] == b"\x63" and released.reason == 0, released


def test_energy_registers_count(qemu_meter):
    """The simulated load curve imports at night and exports around noon: one of +A/-A and
    one of +R/-R grow while the meter runs (polled until they do)."""
    with public(qemu_meter) as m:
        m.associate()
        first = energies(m)
        deadline = time.monotonic() + 300
        while True:
            now = energies(m)
            assert all(b >= a for a, b in zip(first, now)), (first, now)
            if now[0] + now[1] > first[0] + first[1] and now[2] + now[3] > first[2] + first[3]:
                break
            assert time.monotonic() < deadline, "energy did not move: %s" % now
            time.sleep(1)
        m.release()


def test_load_profile_by_range(qemu_meter):
    lp1 = qemu_meter.lp1
    with maintenance(qemu_meter) as m:
        m.associate()
        rows = select(m, by_range(lp1.time(2000), lp1.time(2009)))
        assert len(rows) == 10 and lp1.check(rows) == 2000
        rows = select(m, by_range(lp1.time(3000), lp1.time(3002), deviation=-60))
        assert len(rows) == 3 and lp1.check(rows) == 3000
        rows = select(m, by_range(lp1.time(4000), lp1.time(4004),
                                  [cod(3, "1-0:2.8.0.255"), cod(8, CLOCK)]))
        assert [lp1.k_of(r[1]) for r in rows] == list(range(4000, 4005))
        assert [r[0] for r in rows] == [500000 + 3 * k for k in range(4000, 4005)]
        k0 = first_k(m, lp1)
        rows = select(m, by_range(lp1.time(-50), lp1.time(k0 + 2)))
        assert len(rows) == 3 and lp1.check(rows) == k0
        assert m.release().reason == 0


def heap_samples(meter, since, deadline_s=120):
    """'heap: alloc=A ...' samples (--heap-report: every 16 responses, and at the end of an
    association) printed after output line `since`, up to the association's end."""
    deadline = time.monotonic() + deadline_s
    while True:
        lines = meter.output[since:]
        if any(re.search(r"heap: .* end", ln) for ln in lines):
            break
        assert time.monotonic() < deadline, "no heap sample at the association's end"
        time.sleep(0.5)
    return [int(m.group(1)) for m in (re.search(r"heap: alloc=(\d+)", ln) for ln in lines)
            if m]


def test_whole_load_profile_heap_flat(qemu_meter):
    """All 5760 LP1 entries (~219 kB, GET blocks in HDLC segments, ciphered) read in one
    GET: every entry as prefilled (or captured since), the live heap flat meanwhile."""
    lp1 = qemu_meter.lp1
    since = len(qemu_meter.output)
    with maintenance(qemu_meter) as m:
        m.associate()
        rows = m.get(7, LP1, 2)
        assert m.release().reason == 0
    assert len(rows) == 5760
    lp1.check(rows)
    alloc = heap_samples(qemu_meter, since)
    assert len(alloc) >= 5, alloc  # one every 16 responses: ~180 GET blocks, and the end
    assert max(alloc) - min(alloc) < 2048, alloc


def test_maintenance_client(qemu_meter):
    """SAP 6: HLS-6 (SHA-256) and policy 0x30, every APDU ciphered (gx_client deciphers
    with its own AES-GCM and checks SC and increasing server invocation counters)."""
    with maintenance(qemu_meter, hls_secret=b"not-the-maintenance-secret") as m:
        with pytest.raises(HlsRefused) as e:
            m.associate()
        assert e.value.result == 3, m.last_exchange()
    with maintenance(qemu_meter) as m:
        aare = m.associate()
        assert aare["result"] == 0 and aare["diagnostic"] == 14  # HLS: pass 3/4 followed
        assert aare["mechanism"] == 6
        assert m.get(1, LDN, 2) == LDN_VALUE
        assert m.get(64, MAINTENANCE_SETUP, 2) == 0x6C  # policy v1: auth. + enc. both ways
        assert m.get(64, MAINTENANCE_SETUP, 4) == bytes.fromhex("4D4D4D0000000001")
        _, _, deviation, status = split_datetime(m.get(8, CLOCK, 2))
        assert deviation in (-60, -120)
        tags = {apdu[0] for d, apdu in m.trace if d == "<<"}
        assert 0xCC in tags and 0xC4 not in tags, tags  # glo-get-response only, no plain
        assert m.release().reason == 0


def test_power_fail_and_restart(qemu_meter):
    """Power-fail warning ("D" on the console): the meter persists and stops; the next boot
    mounts the same LittleFS image (no format) and serves what it held."""
    lp1 = qemu_meter.lp1
    with public(qemu_meter) as m:
        m.associate()
        before = energies(m)
        m.release()
    assert qemu_meter.stop() == 0
    assert "meter: power down" in "".join(qemu_meter.output)
    qemu_meter.args = []  # no prefill: LP1 comes from the flash image
    qemu_meter.start()
    out = "".join(qemu_meter.output)
    assert "flash formatted" not in out and "Traceback" not in out, out
    with maintenance(qemu_meter) as m:  # its frame counters continue (gx_client checks)
        m.associate()
        rows = select(m, by_range(lp1.time(5000), lp1.time(5004)))
        assert len(rows) == 5 and lp1.check(rows) == 5000
        after = energies(m)
        assert all(b >= a for a, b in zip(before, after)), (before, after)
        assert m.release().reason == 0
    assert qemu_meter.alive()
