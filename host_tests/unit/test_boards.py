# SPDX-License-Identifier: MIT
"""Board folders and the board layer over `machine` (hal/machine_board.py), on CPython and
the unix port with stand-ins for `machine` and `network` (fake_machine.py): the pin maps of
boards/NUCLEO_H743ZI and boards/ESP32_DEVKITC import and pass their checks, UARTs open with
their settings, the RS485 driver enable frames each write, interrupts become board events,
watchdog, RTC validity, configuration and PKI files; the S0 impulse arithmetic."""
import os
import sys

import fake_machine as fm
from hal.machine_board import Rs485, check_map
from hal.s0_metering import S0Metering

TMP = "build/test-boards"


def board_module(name):
    """boards/<name>/board.py, imported as `board` (each board folder freezes it so)."""
    sys.modules.pop("board", None)
    sys.path.insert(0, "boards/" + name)
    try:
        import board

        return board
    finally:
        sys.path.pop(0)
        sys.modules.pop("board", None)


def rmtree(d):
    try:
        names = os.listdir(d)
    except OSError:
        return
    for f in names:
        p = d + "/" + f
        try:
            os.remove(p)
        except OSError:
            rmtree(p)
    os.rmdir(d)


def fresh_fs(files=None):
    rmtree(TMP)
    for p in ("build", TMP):
        try:
            os.mkdir(p)
        except OSError:
            pass
    for name, data in (files or {}).items():
        d = name.rpartition("/")[0]
        if d:
            try:
                os.mkdir(TMP + "/" + d)
            except OSError:
                pass
        with open(TMP + "/" + name, "wb") as f:
            f.write(data)
    return TMP


def refused(pins):
    try:
        check_map(pins)
    except ValueError as e:
        return str(e)
    raise AssertionError("accepted: %r" % (pins,))


def test_board_maps_pass_their_checks():
    h7 = board_module("NUCLEO_H743ZI")
    used = check_map(h7.PINS)
    assert sorted(h7.PINS["uarts"]) == ["mbus", "modem", "optical", "rs485"]
    assert used["PD5"] == "uarts.optical.tx" and used["PF8"] == "uarts.rs485.de", used
    assert used["PC13"] == "buttons.B" and used["PE11"] == "power_fail", used
    for p in ("PA1", "PD8", "PD9", "PB13", "PG11"):  # Ethernet, ST-LINK VCP: never used
        assert p not in used, p
    esp = board_module("ESP32_DEVKITC")
    used = check_map(esp.PINS)
    assert used[0] == "buttons.B" and used[25] == "uarts.optical.tx", used
    for p in (1, 3, 6, 7, 8, 9, 10, 11, 12):  # console, flash, flash voltage strap
        assert p not in used, p


def test_check_map_refuses_conflicts():
    opt = {"id": 2, "tx": "PD5", "rx": "PD6"}
    e = refused({"uarts": {"optical": opt}, "relay": {"pin": "PD5"}})
    assert "relay" in e and "PD5" in e and "uarts.optical.tx" in e, e
    e = refused({"uarts": {"optical": opt}, "relay": {"pin": "PA1"},
                 "reserved": {"PA1": "ETH REF_CLK"}})
    assert "PA1" in e and "ETH REF_CLK" in e, e
    e = refused({"uarts": {"optical": opt, "rs485": {"id": 2, "tx": "PF7", "rx": "PF6"}}})
    assert "UART 2" in e and "optical" in e, e
    e = refused({"uarts": {"optical": opt, "lora": {"id": 3, "tx": "PA0", "rx": "PA3"}}})
    assert "lora" in e, e
    e = refused({"uarts": {"mbus": {"id": 6, "tx": "PC6", "rx": "PC7"}}})
    assert "optical" in e, e
    e = refused({"uarts": {"optical": opt}, "exti": True, "buttons": {"B": {"pin": "PC13"}},
                 "power_fail": {"pin": "PE13"}})
    assert "EXTI line 13" in e, e
    e = refused({"uarts": {"optical": opt}, "s0": {"+P": {"pin": "PE9"}}})
    assert "+P" in e, e
    e = refused({"uarts": {"optical": opt}, "buttons": {"D": {"pin": "PE9"}}})
    assert "not D" in e, e


def test_h743_ports_events_watchdog():
    fm.reset()
    net = fm.FakeNetwork()
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=net, fs=fresh_fs())
    assert b.identity["meter_type"] == "200" and b.identity["serial"] == "1KFM0100000001"
    assert b.has_optical_port()
    opt = b.optical_port()
    assert opt is fm.uarts[2] and b.optical_port() is opt
    assert opt.kw["baudrate"] == 9600 and opt.kw["bits"] == 8 and opt.kw["parity"] is None
    assert opt.kw["timeout"] == 0 and "tx" not in opt.kw  # stm32: pins fixed by the port
    mb = b.mbus_port()
    assert mb.kw["baudrate"] == 2400 and mb.kw["parity"] == 0  # 8E1
    assert fm.made["PG12"].v == 1  # bus supply on
    rs = b.rs485_port()
    assert isinstance(rs, Rs485)
    de = fm.made["PF8"]
    assert de.v == 0
    fm.uarts[7].de = de
    assert rs.write(b"\x7e\xa0") == 2
    assert fm.uarts[7].log == [("write", 1), ("flush", 1)] and de.v == 0
    fm.uarts[7].rx += b"\x7e"
    assert rs.ioctl(3, 1 | 4) == 5 and rs.ioctl(3, 4) == 4
    assert rs.read(1) == b"\x7e" and rs.ioctl(3, 1) == 0
    assert b.modem_port() is fm.uarts[1] and fm.uarts[1].kw["baudrate"] == 115200
    assert fm.made["PD15"].v == 0  # modem power key released
    assert b.tcp_endpoint() == ("0.0.0.0", 4059)
    assert net.nics[0].kind == "lan" and net.nics[0].on is True and net.nics[0].cfg is None
    # interrupts: USER button (rising), power fail comparator (falling), debounced
    assert fm.made["PC13"].trigger == fm.Pin.IRQ_RISING
    assert fm.made["PE11"].trigger == fm.Pin.IRQ_FALLING and fm.made["PE11"].pull == fm.Pin.PULL_UP
    assert b.events() == ""
    fm.made["PC13"].fire()
    fm.made["PC13"].fire()  # bounce: within 50 ms
    assert b.events() == "B" and b.events() == ""
    fm.made["PE11"].fire()
    fm.made["PE14"].fire()
    assert sorted(b.events()) == ["D", "S"]
    assert b.loop_ms() == 250
    b.relay(True)
    assert fm.made["PE13"].v == 1
    b.relay(False)
    assert fm.made["PE13"].v == 0
    # watchdog: started when the meter serves, fed by the loop, by a timer once interrupted
    b.feed()
    assert fm.wdts == []
    b.ready()
    assert fm.wdts[0].timeout == 8000
    b.feed()
    assert fm.wdts[0].fed == 1
    b.interrupted()
    t = fm.timers[0]
    assert t.id == -1 and t.period == 2000
    t.callback(t)
    assert fm.wdts[0].fed == 2
    assert b.rtc_valid()
    assert b.store_dir() == TMP + "/state" and b.pki() is None


def test_rtc_lost_power_reserve():
    fm.reset(rtc_year=2000)  # the port's epoch: the RTC restarted without VBAT
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(), fs=fresh_fs())
    assert not b.rtc_valid()
    t = [0, 0]
    b.now(t)
    assert 157766400 < t[0] < 283996800 and 0 <= t[1] < 1000, t  # meter s (2025..2029)


class _Crystals:
    """A board's RTC and SysTick in ms (unix epoch, as this port's time.time()); drift moves
    the RTC alone."""

    def __init__(self, ms):
        self.rtc = self.tick = ms
        self.ns_reads = 0

    def time(self):
        return self.rtc // 1000

    def time_ns(self):
        self.ns_reads += 1
        return self.rtc * 1000000

    def ticks_ms(self):
        return self.tick & 0x3FFFFFFF

    def run(self, ms):
        self.rtc += ms
        self.tick += ms


def test_rtc_milliseconds_follow_ticks_between_second_edges():
    import hal.machine_board as mb

    fm.reset()
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(), fs=fresh_fs())
    c = _Crystals(1782864000250)  # 2026-07-01 00:00:00.250 UTC
    saved = mb.time, mb.ticks_ms
    mb.time, mb.ticks_ms = c, c.ticks_ms
    try:
        t = [0, 0]
        b.now(t)
        assert t == [205027200, 250] and c.ns_reads == 1  # meter seconds since 2020
        c.run(500)
        b.now(t)
        assert t == [205027200, 750]
        c.run(300)  # over the second edge: ticks and RTC agree, no time_ns() read
        b.now(t)
        assert t == [205027201, 50] and c.ns_reads == 1
        c.run(3600 * 1000 + 947)  # an hour later: ticks at .997, the RTC 5 ms ahead
        c.rtc += 5
        b.now(t)  # the RTC is past its second edge, the ticks are not: measured again
        assert t == [205030802, 2] and c.ns_reads == 2
        c.run(100)
        b.now(t)
        assert t == [205030802, 102] and c.ns_reads == 2
    finally:
        mb.time, mb.ticks_ms = saved


def test_esp32_uart2_shared_and_gpio_pins():
    fm.reset()
    net = fm.FakeNetwork()
    b = board_module("ESP32_DEVKITC").make(hw=fm, net=net, fs=fresh_fs())
    assert b.identity["meter_type"] == "100"
    opt = b.optical_port()
    assert opt.id == 1 and opt.kw["tx"] == 25 and opt.kw["rx"] == 26  # GPIO matrix
    assert b.modem_port() is None
    assert b.rs485_port() is None  # UART2 is the M-Bus master's by default
    mb = b.mbus_port()
    assert mb.id == 2 and mb.kw["tx"] == 17 and mb.kw["parity"] == 0
    assert fm.made[0].trigger == fm.Pin.IRQ_FALLING and fm.made[0].pull is None
    assert b.tcp_endpoint() is not None and net.nics[0].kind == "wlan"
    assert net.nics[0].joined is None  # no Wi-Fi configured
    b.ready()
    b.interrupted()
    assert fm.timers[0].id == 0
    # meter.json: RS485 on UART2, Wi-Fi credentials, a static address
    fm.reset()
    net = fm.FakeNetwork()
    cfg = (b'{"uart2": "rs485", "wifi": ["meters", "k3y"], '
           b'"ip": ["10.0.0.5", "255.0.0.0", "10.0.0.1", "10.0.0.1"]}')
    b = board_module("ESP32_DEVKITC").make(hw=fm, net=net, fs=fresh_fs({"meter.json": cfg}))
    assert b.mbus_port() is None
    rs = b.rs485_port()
    assert isinstance(rs, Rs485) and fm.uarts[2].kw["tx"] == 19 and fm.made[23].v == 0
    b.tcp_endpoint()
    assert net.nics[0].joined == ("meters", "k3y") and net.nics[0].cfg[0] == "10.0.0.5"
    b.ready()
    assert b._nic_wait
    b.feed()  # the address is known: printed once, no more polling
    assert b._nic_wait == 0


def test_config_and_pki_files():
    fm.reset()
    files = {
        "meter.json": b'{"serial": "1KFM0100000002", "tcp_port": 0, "meter_type": "100"}',
        "pki/meter.der": b"\x30\x01",
        "pki/meter.key": b"k" * 32,
        "pki/root.der": b"\x30\x02",
        "pki/root.key": b"never on a meter",
        "pki/index.json": b"{}",
    }
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(), fs=fresh_fs(files))
    assert b.identity["serial"] == "1KFM0100000002" and b.identity["meter_type"] == "100"
    assert b.tcp_endpoint() is None
    p = b.pki()
    assert sorted(p) == ["meter.der", "meter.key", "root.der"], sorted(p)
    assert p["meter.key"] == b"k" * 32
    # a configuration that cannot be used: the board's defaults, one line on the console
    fm.reset()
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(),
                                           fs=fresh_fs({"meter.json": b'{"serail": "x"}'}))
    assert b.identity["serial"] == "1KFM0100000001" and b.tcp_endpoint() is not None
    fm.reset()
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(),
                                           fs=fresh_fs({"meter.json": b"{serial"}))
    assert b.identity["serial"] == "1KFM0100000001"
    assert not b.rtc_set()
    rmtree(TMP)


def test_rtc_set_by_deploy_is_reported_once():
    fm.reset()
    fs = fresh_fs({"rtc-set": b""})  # left by tools/deploy.py with the RTC it set
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(), fs=fs)
    assert b.rtc_set() and "rtc-set" not in os.listdir(TMP)
    fm.reset()
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(), fs=TMP)
    assert not b.rtc_set()  # the next boot keeps a client's clock setting
    rmtree(TMP)


def test_metering_sim_default_and_s0_inputs():
    fm.reset()
    b = board_module("NUCLEO_H743ZI").make(hw=fm, net=fm.FakeNetwork(), fs=fresh_fs())
    m = b.metering(lambda t: t + 3600)
    assert type(m).__name__ == "SimMetering" and m.phases == 3
    fm.reset()
    b = board_module("NUCLEO_H743ZI").make(
        hw=fm, net=fm.FakeNetwork(),
        fs=fresh_fs({"meter.json": b'{"metering": "s0", "s0_imp_kwh": 500}'}))
    m = b.metering(lambda t: t)
    assert isinstance(m, S0Metering) and m.k == 500
    pin = fm.made["PE9"]
    assert pin.trigger == fm.Pin.IRQ_FALLING and pin.pull == fm.Pin.PULL_UP
    out = [0, 0, 0, 0]
    m.energy(out, 0, 0)  # starts measuring
    pin.fire()
    m.energy(out, 1000, 0)
    assert out == [2000, 0, 0, 0], out  # 1 impulse at 500 imp/kWh = 2 Wh
    rmtree(TMP)


def test_s0_energy_arithmetic():
    m = S0Metering(lambda t: t, imp_kwh=375)
    out = [0, 0, 0, 0]
    m.pulse(0, 0)  # before the first energy() call: not counted
    m.energy(out, 0, 0)
    assert out == [0, 0, 0, 0]
    t = 1000
    for _ in range(7):  # 7 x 2666.67 mWh
        m.pulse(0, t)
        t += 1000
    m.energy(out, t, 0)
    assert out[0] == 18666 and m.rem[0] == 250, (out, m.rem)  # 7e6 = 18666 x 375 + 250
    m.pulse(0, t)
    m.pulse(0, t + 1000)
    m.energy(out, t + 1000, 0)
    assert out[0] == 24000 and m.rem[0] == 0, (out, m.rem)  # 9 impulses = 24 Wh exactly
    m.pulse(1, t)  # export, and bounce 5 ms later
    m.pulse(1, t + 5)
    m.energy(out, t + 10, 0)
    assert out == [24000, 2666, 0, 0], out
    for k, mwh in ((1000, 1000), (800, 1250), (10000, 100)):
        m = S0Metering(None, imp_kwh=k)
        out = [0, 0, 0, 0]
        m.energy(out, 0, 0)
        m.pulse(2, 0)
        m.pulse(3, 100)
        m.energy(out, 100, 0)
        assert out == [0, 0, mwh, mwh], (k, out)


def test_s0_counter_wraps_without_loss():
    m = S0Metering(None, imp_kwh=1000)
    out = [0, 0, 0, 0]
    m.n[0] = m.seen[0] = 0x3FFFFFFE
    m.started = True
    for i in range(4):
        m.pulse(0, i * 100)
    assert m.n[0] == 2
    m.energy(out, 0, 0)
    assert out[0] == 4000, out


def test_s0_power_from_impulse_intervals():
    m = S0Metering(None, imp_kwh=1000)
    assert m.power(0, 0) == 0.0  # no impulse yet
    m.pulse(0, 10000)
    assert m.power(0, 10000) == 0.0  # one impulse: no interval
    m.pulse(0, 13600)  # 1 Wh in 3.6 s = 1000 W
    assert abs(m.power(0, 13600) - 1000.0) < 1e-6
    assert abs(m.power(0, 20800) - 500.0) < 1e-6  # 7.2 s since the last: at most 500 W
    assert m.power(0, 13600 + 300001) == 0.0  # stale
    m.ticks_ms = lambda: 14000
    assert abs(m.instant(1, 7, 0, 1, 0) - 1000.0) < 1e-6
    assert abs(m.instant(15, 7, 0, 1, 0) - 1000.0) < 1e-6
    assert abs(m.instant(9, 7, 0, 1, 0) - 1000.0) < 1e-6  # +S with no reactive impulses
    assert m.instant(2, 7, 0, 1, 0) == 0.0 and m.instant(32, 7, 0, 1, 0) == 0.0  # -P, U L1
    try:
        S0Metering(None, imp_kwh=0)
    except ValueError as e:
        assert "imp_kwh" in str(e)
    else:
        raise AssertionError("imp_kwh 0 accepted")


def test_meter_boots_on_each_board_layer():
    """What firmware/main.py does with a board module, on the stand-in hardware: the meter
    builds with its ports, serves the board's identity, the demand reset button and the
    power-fail warning reach it through events(), and it persists into <fs>/state."""
    import gc

    from meterapp import app

    for name, ldn, serial in (("NUCLEO_H743ZI", b"KFM2000100000001", "1KFM0100000001"),
                              ("ESP32_DEVKITC", b"KFM1000100000002", "1KFM0100000002")):
        fm.reset()
        cfg = (b'{"tcp_port": 0}' if name == "NUCLEO_H743ZI"
               else b'{"serial": "%s"}' % serial.encode())
        b = board_module(name).make(hw=fm, net=fm.FakeNetwork(), fs=fresh_fs({"meter.json": cfg}))
        meter, server, hdlc, tcp, opt = app.build(b, ports=True)
        assert meter.ldn == ldn, meter.ldn
        assert opt is not None and (tcp is None) == (name == "NUCLEO_H743ZI")
        b.ready()
        meter.timeline.advance()
        b.feed()
        assert fm.wdts[0].fed == 1
        fm.made[0 if name == "ESP32_DEVKITC" else "PC13"].fire()
        ev = b.events()
        assert ev == "B", ev
        meter.billing.button()
        fm.made[34 if name == "ESP32_DEVKITC" else "PE11"].fire()
        assert b.events() == "D"
        meter.power_down()
        assert os.listdir(TMP + "/state"), "nothing persisted"
        del meter, server, hdlc, tcp, opt, b
        gc.collect()
    rmtree(TMP)
