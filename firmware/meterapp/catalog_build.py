# SPDX-License-Identifier: MIT
"""Real objects of the catalog rows with their interface classes (meterapp/catalog.py builds
them on the first SET or ACTION; tools/gen_catalog.py builds them on the host to encode their
default attributes into meterapp/catalog_table.py). Each builder imports its class when it
runs: a board pays for a class only once a client changes such an object.

Defaults from the companion standard: tariffication (KSMW 5.5: calendar T1 22:00-06:00, T2
06:00-22:00; register activation masks T1/T2, "T2" active; scripts 1/2 write active_mask),
billing (5.6: monthly scheduler at 00:00 on the 1st), load profile control and display (5.7.2,
5.15.1), disconnect control and limiters (5.8, 5.14), M-Bus (4.2, 4.3, 6), image transfer
(7), push (10). The meter hooks billing closure (meterapp/billing.py), load profile
opt-in/out and display control (meterapp/profiles.py) into their script tables at boot. Later
work, marked below: push, disconnector, M-Bus, image transfer.

env provides: phases (1 or 3), resolve(ln), materialize(ln), run_script(ln, selector),
tariff_changed(register_activation), later_work(script_id, ctx), now12() (date-time).
"""
from dlms.apdu import axdr
from dlms.cosem.base import obis, obis_str

CLASSES = (5, 6, 9, 11, 18, 20, 22, 40, 70, 71, 72, 74)
_ARG = (axdr.INT8, 0)  # method data ::= integer(0)


def build(env, ln, cid):
    s = obis_str(ln)
    if cid == 5:  # KSMW 5.3: 900 s, one period (fixed), wrap at 99 999 W/var (the meter
        # builds its own, fed by meterapp/energy.py; this serves the generator)
        from dlms.cosem.ic005_demand_register import DemandRegister
        return DemandRegister(ln, env.now12, unit=27 if ln[2] <= 2 else 29, writable=(),
                              wrap=100000)
    if cid == 6:
        return _register_activation(env, ln, s)
    if cid == 9:
        return _scripts(env, ln, s)
    if cid == 11:  # KSMW 5.5, 5.8, 5.14: 200 entries, empty
        from dlms.cosem.ic011_special_days import SpecialDaysTable
        return SpecialDaysTable(ln)
    if cid == 20:
        return _calendar(env, ln, s)
    if cid == 22:
        return _schedule(env, ln, s)
    if cid == 18:  # KSMW 7 (later work: image transfer)
        from dlms.cosem.ic018_image_transfer import ImageTransfer
        return ImageTransfer(ln)
    if cid == 40:
        return _push(env, ln)
    if cid == 70:  # KSMW 5.8 default mode 3; 5.14 load management relay: mode 4, fixed
        from dlms.cosem.ic070_disconnect_control import DisconnectControl
        if s == "0-1:96.3.10.255":
            return DisconnectControl(ln, 4, fixed_mode=True)
        return DisconnectControl(ln, 3)
    if cid == 71:  # KSMW 5.8: import limiter monitors +P, export -P; scripts 1 and 2
        from dlms.cosem.ic071_limiter import Limiter
        dis = obis("0-0:10.0.106.255")
        return Limiter(ln, (3, obis("1-0:%d.7.0.255" % (ln[4] + 1)), 2), ((dis, 1), (dis, 2)))
    if cid == 72:  # KSMW 4.3: the wired M-Bus port by default, hourly readout
        from dlms.cosem.ic072_mbus_client import MBusClient
        return MBusClient(ln, obis("0-0:24.6.0.255"))
    if cid == 74:  # KSMW 2.2, 4.2.1: H1 fixed at 2400 Bd; the radio port has no baud rate
        from dlms.cosem.ic074_mbus_master_port_setup import MBusMasterPortSetup
        return MBusMasterPortSetup(ln, fixed=ln[1] != 0)
    raise ValueError("catalog: class %d for %s" % (cid, s))


def _register_activation(env, ln, s):
    from dlms.cosem.ic006_register_activation import RegisterActivation
    if s == "0-0:14.0.1.255":  # KSMW 5.5 example: T1 = x.8.1, T2 = x.8.2, "T2" active
        regs = [(3, obis("1-0:%d.8.%d.255" % (c, e))) for c in (1, 2, 3, 4) for e in (1, 2)]
        return RegisterActivation(ln, regs, ((b"T1", (1, 3, 5, 7)), (b"T2", (2, 4, 6, 8))),
                                  b"T2", on_change=env.tariff_changed)
    # maximum demand per tariff: the KSMW object list has no rate registers for it
    return RegisterActivation(ln, (), ((b"T1", ()), (b"T2", ())), b"T2")


def _scripts(env, ln, s):
    from dlms.cosem.ic009_script_table import ScriptTable
    t = ScriptTable(ln, env.resolve)
    if s == "0-0:10.0.100.255":  # KSMW 5.5 Table 21: tariff 1 / 2
        for k, name in ((1, b"T1"), (2, b"T2")):
            name = (axdr.OCTET_STRING, name)
            t.add(k, ((1, 6, obis("0-0:14.0.1.255"), 4, name),
                      (1, 6, obis("0-0:14.0.2.255"), 4, name)))
    elif s == "0-0:10.0.1.255":  # KSMW 5.6 steps 3 and 4: capture billing, reset maxima
        t.add(1, [(2, 7, obis("0-0:98.1.0.255"), 2, _ARG)] + [
            (2, 4, obis("1-0:%d.6.0.255" % c), 1, _ARG) for c in (1, 2, 3, 4)])
        t.on_execute = env.later_work  # steps 1, 2 and the lock: meterapp/billing.py
    elif s in ("0-0:10.0.106.255", "0-0:10.0.103.255"):  # KSMW 5.8 Table 36, 5.14 Table 41
        main = s == "0-0:10.0.106.255"
        dc = obis("0-0:96.3.10.255" if main else "0-1:96.3.10.255")
        t.add(1, ((1, 70, dc, 3, (axdr.ENUM, 2)),))  # local disconnect (g)
        t.add(2, ((1, 70, dc, 3, (axdr.ENUM, 1)),))  # local reconnect (h)
        t.add(3, ((2, 70, dc, 1, _ARG),))  # remote_disconnect
        t.add(4, ((2, 70, dc, 2, _ARG),))  # remote_reconnect
        if main:  # KSMW 5.8: execute is not allowed for any remote client
            t.LOCAL_METHODS = (1,)
    elif s == "0-1:10.0.106.255":  # IDIS 6.5.2: script 2k-1 disconnects, 2k reconnects ch. k
        for c in (1, 2, 3, 4):
            dc = obis("0-%d:24.4.0.255" % c)
            t.add(2 * c - 1, ((2, 70, dc, 1, _ARG),))
            t.add(2 * c, ((2, 70, dc, 2, _ARG),))
    elif s in ("0-0:10.0.109.255", "0-0:10.1.109.255"):
        # KSMW 5.7.2 Table 26, 5.15.1 Table 43: load profile capture / display on and off
        for k in range(1, 7):
            t.add(k, ())
        t.on_execute = env.later_work  # the meter hooks both (meterapp/profiles.py)
    elif s == "0-0:10.0.107.255":  # KSMW 7: activate the transferred image
        t.add(1, ((2, 18, obis("0-0:44.0.0.255"), 4, _ARG),))
    elif s == "0-0:10.0.108.255":  # KSMW 10 table; 7 (push on power down) is not used
        for k, b in ((1, 1), (2, 2), (3, 3), (4, 4), (5, 0), (6, 7), (8, 6)):
            t.add(k, ((2, 40, obis("0-%d:25.9.0.255" % b), 1, _ARG),))
    return t


def _calendar(env, ln, s):
    from dlms.cosem.ic020_activity_calendar import ActivityCalendar
    special = env.materialize(obis("0-0:11.0.%d.255" % ln[4]))
    if s != "0-0:13.0.0.255":  # disconnect control, load management: no program
        return ActivityCalendar(ln, special, env.run_script)
    # KSMW 5.5 Table 22: T1 daily 22:00-06:00, T2 06:00-22:00, 15 min switching grid
    script = obis("0-0:10.0.100.255")
    c = ActivityCalendar(ln, special, env.run_script, default=(script, 1), step=900)
    c.configure(b"KSMW", ((b"S1", b"\xff\xff\x01\x01\xff\x00\x00\x00\x00\x80\x00\xff", b"W1"),),
                ((b"W1", b"\x01" * 7),),
                ((1, ((b"\x00\x00\x00\x00", script, 1), (b"\x06\x00\x00\x00", script, 2),
                      (b"\x16\x00\x00\x00", script, 1))),))
    return c


_SCHEDULED = {  # single action schedule -> script table (selector 1 unless noted)
    "0-0:15.0.0.255": "0-0:10.0.1.255",  # KSMW 5.6: 00:00 on every 1st of the month
    "0-0:15.1.0.255": "0-0:10.0.1.255",
    "0-0:15.0.5.255": "0-0:10.0.109.255",
    "0-0:15.0.1.255": "0-0:10.0.106.255",  # KSMW 5.8: scripts 3 and 4 only
    "0-0:15.1.5.255": "0-0:10.1.109.255",
    "0-1:15.0.1.255": "0-1:10.0.106.255",
    "0-0:15.0.2.255": "0-0:10.0.107.255",
}


def _schedule(env, ln, s):
    from dlms.cosem.ic022_single_action_schedule import SingleActionSchedule
    sel = 1
    times = ()
    allowed = None
    if ln[2:5] == b"\x0f\x00\x04":  # KSMW 10.1, 10.5 push schedulers (0-4: CIP, script 8)
        script = obis("0-0:10.0.108.255")
        sel = 8 if ln[1] == 4 else ln[1]
    else:
        script = obis(_SCHEDULED[s])
        if s == "0-0:15.0.0.255":
            times = ((b"\x00\x00\x00\x00", b"\xff\xff\xff\x01\xff"),)
        elif s == "0-0:15.0.1.255":
            sel = 3
            allowed = ((script, 3), (script, 4))
    return SingleActionSchedule(ln, script, sel, 1, times, run_script=env.run_script,
                                allowed=allowed)


def _push(env, ln):
    from dlms.cosem.ic040_push_setup import MBUS_H1, PushSetup, record
    b = ln[1]
    clock = obis("0-0:1.0.0.255")
    if b in (1, 2, 3):  # KSMW 10.1 (IDIS 7.8: the push setup identifies itself first)
        return PushSetup(ln, record(40, ln, 1) + record(8, clock, 2))
    if b == 4:  # KSMW 10.2: clock, alarm descriptors 1..3
        objs = record(8, clock, 2)
        for e in (20, 21, 22):
            objs += record(1, obis("0-0:97.98.%d.255" % e), 2)
        return PushSetup(ln, objs)
    if b in (0, 7):  # KSMW 10.3, 10.4: clock, device ID 1 (no IP setup objects in the list)
        return PushSetup(ln, record(8, clock, 2) + record(1, obis("0-0:96.1.0.255"), 2))
    # KSMW 10.5 consumer information push on H1: wired M-Bus broadcast, LLA FF, CI 00;
    # destination = port setup logical name, '.', LLA, '.', CI (fields separated by '.')
    objs = (record(8, clock, 1) + record(8, clock, 2) + record(1, obis("0-0:96.1.0.255"), 0)
            + record(1, obis("0-0:42.0.0.255"), 0))
    for c in (32, 31):  # voltages, then currents, per phase
        for k in range(env.phases):
            objs += record(3, obis("1-0:%d.7.0.255" % (c + 20 * k)), 0)
    for c in ("1.7.0", "2.7.0", "1.8.0", "2.8.0", "3.8.0", "4.8.0"):
        objs += record(3, obis("1-0:%s.255" % c), 0)
    return PushSetup(ln, objs, MBUS_H1, obis("0-2:24.6.0.255") + b".\xff.\x00", retries=0)
