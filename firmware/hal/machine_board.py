# SPDX-License-Identifier: MIT
"""Board layer over MicroPython's `machine`, shared by the board folders (boards/<name>/
board.py holds only a pin/UART map and its quirks, and returns MachineBoard(PINS)).

The map (a dict; check_map() refuses a pin used twice or one the board uses otherwise):
  uarts        role -> {id, baud, bits, parity, stop, tx, rx, ...}; roles: optical (the IR
               head, HDLC at 9600 8N1), mbus (M-Bus master transceiver, EN 13757-2 2400 8E1;
               "power": bus supply enable, on while the port is open), rs485 ("de": driver
               enable, high while sending, receiver enable tied to it), modem ("pwrkey").
               Pins as str "PD5" are STM32 names (Pin.cpu.D5; the UART's pins are fixed by
               the port's board configuration, listed for the checks and the wiring table);
               int pins are GPIO numbers passed to machine.UART (ESP32 GPIO matrix).
               "shares": role -> two roles on one UART, only one of them opened at a time
  relay        {pin, active}: the disconnector output (driven only when relay() is called)
  buttons      letter -> {pin, active, pull}: "B" demand reset (KSMW 5.6), others (e.g. "S"
               display scroll) are reported by events() for later work
  power_fail   {pin, active, pull}: the supply monitor's comparator: events() "D"
  s0           quantity ("+A", "-A", "+R", "-R") -> {pin, active, pull}; s0_imp_kwh
  metering     "sim" (hal/sim_metering.py load curve: a prototype without a metering IC
               shows energy) or "s0" (hal/s0_metering.py impulse inputs)
  net          "lan" (network.LAN, Ethernet), "wlan" (network.WLAN station), None
  fs           mount point of the flash filesystem ("/flash" on stm32, "" for / on esp32):
               <fs>/state power-fail-safe store, <fs>/pki factory PKI files, <fs>/meter.json
  wdt_ms, service_timer, loop_ms, meter_type, rtc_min_year, exti, reserved: see below

<fs>/meter.json (copied by `make deploy CONFIG=...`) may override: serial, meter_type,
tcp_port (0: no TCP wrapper), ip ([addr, mask, gateway, dns]; default DHCP), wifi ([ssid,
key]), metering, s0_imp_kwh, uart2 (a role that "shares" its UART: which one to open).

Watchdog: started when the meter serves (ready()), fed by the application loop (feed()).
A keyboard interrupt (the REPL, mpremote) stops the application: interrupted() then feeds
the watchdog from a timer so files can be copied; machine.reset() starts the meter again.
"""
import time

from dlms.util.timeconv import PORT_EPOCH_S
from hal.base import Board
from hal.ticks import ticks_add, ticks_diff, ticks_ms

ROLES = ("optical", "mbus", "rs485", "modem")
QUANTITIES = ("+A", "-A", "+R", "-R")
_UART_PINS = ("tx", "rx", "de", "power", "pwrkey")
_POLL = 3  # MP_STREAM_POLL
_POLLIN = 1
_POLLOUT = 4
DEBOUNCE_MS = 50
RTC_SET = "rtc-set"  # left by tools/deploy.py when it sets the RTC
CONFIG_KEYS = ("serial", "meter_type", "tcp_port", "ip", "wifi", "metering", "s0_imp_kwh",
               "uart2")


def check_map(pins):
    """Raise ValueError naming the first problem of a board map: a pin used twice, a pin the
    board uses otherwise ("reserved": pin -> what), an unknown UART role, two roles on one
    UART that do not share it, no optical port, an input without a pin, and on STM32
    ("exti": True) two interrupt inputs with the same pin number (one EXTI line each)."""
    reserved = pins.get("reserved", {})
    used = {}

    def use(p, what):
        if p is None:
            raise ValueError("%s: no pin" % what)
        if p in reserved:
            raise ValueError("%s: pin %s is the board's %s" % (what, p, reserved[p]))
        if p in used:
            raise ValueError("%s: pin %s is already %s" % (what, p, used[p]))
        used[p] = what

    uarts = pins.get("uarts", {})
    if "optical" not in uarts:
        raise ValueError("uarts: no optical port")
    by_id = {}
    for role in sorted(uarts):
        if role not in ROLES:
            raise ValueError("uarts: %r is not one of %s" % (role, ", ".join(ROLES)))
        u = uarts[role]
        other = by_id.get(u["id"])
        if other is not None and u.get("shares") != other and uarts[other].get("shares") != role:
            raise ValueError("uarts.%s: UART %s is already %s" % (role, u["id"], other))
        by_id[u["id"]] = role
        for k in _UART_PINS:
            if k in u:
                use(u[k], "uarts.%s.%s" % (role, k))
    if "relay" in pins:
        use(pins["relay"].get("pin"), "relay")
    irq = []
    for k in sorted(pins.get("buttons", {})):
        if len(k) != 1 or k == "D":
            raise ValueError("buttons: %r: one letter, not D (power fail)" % k)
        p = pins["buttons"][k].get("pin")
        use(p, "buttons." + k)
        irq.append((p, "buttons." + k))
    if "power_fail" in pins:
        p = pins["power_fail"].get("pin")
        use(p, "power_fail")
        irq.append((p, "power_fail"))
    for q in sorted(pins.get("s0", {})):
        if q not in QUANTITIES:
            raise ValueError("s0: %r is not one of %s" % (q, ", ".join(QUANTITIES)))
        p = pins["s0"][q].get("pin")
        use(p, "s0." + q)
        irq.append((p, "s0." + q))
    if pins.get("exti"):  # STM32: EXTI line n serves pin n of one port only
        lines = {}
        for p, what in irq:
            n = int(p[2:])
            if n in lines:
                raise ValueError("%s: pin %s shares EXTI line %d with %s" % (what, p, n, lines[n]))
            lines[n] = what
    return used


class Rs485:
    """A UART behind an RS485 transceiver: the driver is enabled (DE, receiver disabled)
    while a write is on the line. stm32's UART.write returns after the last stop bit;
    others' after queueing, so flush() waits for the line to be idle before DE drops."""

    def __init__(self, uart, de, active=1):
        self.uart = uart
        self.de = de
        self.on = active
        de.value(1 - active)

    def write(self, buf):
        self.de.value(self.on)
        try:
            n = self.uart.write(buf)
            f = getattr(self.uart, "flush", None)
            if f is not None:
                f()
        finally:
            self.de.value(1 - self.on)
        return n

    def read(self, n=-1):
        return self.uart.read() if n < 0 else self.uart.read(n)

    def readinto(self, buf, n=-1):
        return self.uart.readinto(buf) if n < 0 else self.uart.readinto(buf, n)

    def any(self):
        return self.uart.any()

    def ioctl(self, req, arg):  # select.poll / asyncio streams
        if req != _POLL:
            return 0
        r = 0
        if arg & _POLLIN and self.uart.any():
            r |= _POLLIN
        if arg & _POLLOUT:
            r |= _POLLOUT
        return r


class MachineBoard(Board):
    def __init__(self, pins, hw=None, net=None, fs=None):
        """pins: the board's map; hw, net: the `machine` and `network` modules (tests pass
        stand-ins); fs: the filesystem root instead of the map's "fs"."""
        check_map(pins)
        self.map = pins
        self.hw = hw if hw is not None else __import__("machine")
        self._netmod = net
        self.root = pins.get("fs", "") if fs is None else fs
        self.cfg = cfg = self._config()
        self.identity = {
            "manufacturer": Board.identity["manufacturer"],
            "serial": str(cfg.get("serial", Board.identity["serial"])),
            "meter_type": str(cfg.get("meter_type", pins.get("meter_type", "100"))),
        }
        self._ports = {}
        self._nic = None
        self._nic_wait = 0  # loop steps left to print the address DHCP gives
        self._wdt = None
        self._timer = None
        self._relay = None
        self._s0 = None
        # inputs with interrupts: counted by the handler, compared by events() (each counter
        # written by one side: nothing is lost between the two)
        self._letters = []
        self._count = []
        self._seen = []
        self._t = []
        self._pins = []  # keep the Pin objects (and their handlers) alive
        for k in sorted(pins.get("buttons", {})):
            self._input(pins["buttons"][k], k)
        if "power_fail" in pins:
            self._input(pins["power_fail"], "D")
        self._rtc_ok = self.hw.RTC().datetime()[0] >= pins.get("rtc_min_year", 2025)
        self._rtc_set = self._take(RTC_SET)
        self._es = None  # the RTC second (port epoch) whose edge was at ticks _ek
        self._ek = 0

    # ------------------------------------------------------------------ configuration
    def _path(self, name):
        return self.root + "/" + name

    def _config(self):
        """<fs>/meter.json, or {}; a file that cannot be used is reported and ignored (the
        meter still boots with the map's defaults)."""
        p = self._path("meter.json")
        try:
            f = open(p)
        except OSError:
            return {}
        try:
            import json

            with f:
                cfg = json.loads(f.read())
            if not isinstance(cfg, dict):
                raise ValueError("not an object")
            for k in cfg:
                if k not in CONFIG_KEYS:
                    raise ValueError("%r is not one of %s" % (k, ", ".join(CONFIG_KEYS)))
            return cfg
        except ValueError as e:
            print("meter: %s: %s; the board's defaults are used" % (p, e.args[0]))
            return {}

    # ------------------------------------------------------------------ pins
    def pin(self, p, mode, pull=None):
        """machine.Pin of a map pin: "PD5" -> Pin.cpu.D5 on STM32, an int GPIO elsewhere."""
        P = self.hw.Pin
        if isinstance(p, str) and hasattr(P, "cpu"):
            p = getattr(P.cpu, p[1:])
        if pull == "up":
            pull = P.PULL_UP
        elif pull == "down":
            pull = P.PULL_DOWN
        return P(p, mode, pull)

    def _out(self, p, v):
        o = self.pin(p, self.hw.Pin.OUT)
        o.value(v)
        return o

    def _irq(self, spec, handler):
        P = self.hw.Pin
        pin = self.pin(spec["pin"], P.IN, spec.get("pull"))
        pin.irq(handler=handler, trigger=P.IRQ_RISING if spec.get("active", 0) else P.IRQ_FALLING)
        self._pins.append(pin)
        return pin

    def _input(self, spec, letter):
        i = len(self._letters)
        self._letters.append(letter)
        self._count.append(0)
        self._seen.append(0)
        self._t.append(None)
        count = self._count
        last = self._t

        def handler(_pin):  # an edge to the active level (scheduled, not a hard IRQ)
            t = ticks_ms()
            if last[i] is not None and ticks_diff(t, last[i]) < DEBOUNCE_MS:
                return
            last[i] = t
            count[i] = (count[i] + 1) & 0x3FFFFFFF

        self._irq(spec, handler)

    def events(self):
        count = self._count
        seen = self._seen
        ev = ""
        for i in range(len(count)):
            c = count[i]
            if c != seen[i]:
                seen[i] = c
                ev += self._letters[i]
        return ev

    def relay(self, on):
        """Drive the disconnector output (on: the active level)."""
        r = self.map.get("relay")
        if r is None:
            return
        if self._relay is None:
            self._relay = self.pin(r["pin"], self.hw.Pin.OUT)
        a = r.get("active", 1)
        self._relay.value(a if on else 1 - a)

    # ------------------------------------------------------------------ serial ports
    def port(self, role):
        """The stream of a UART role (opened once), or None when the board has none; an
        RS485 role comes wrapped with its driver enable (Rs485)."""
        s = self._ports.get(role)
        if s is not None:
            return s
        uarts = self.map.get("uarts", {})
        u = uarts.get(role)
        if u is None:
            return None
        for r in self._ports:
            if uarts[r]["id"] == u["id"]:
                raise ValueError("UART %s already serves %s, not %s" % (u["id"], r, role))
        kw = {"baudrate": u.get("baud", 9600), "bits": u.get("bits", 8),
              "parity": u.get("parity"), "stop": u.get("stop", 1), "timeout": 0,
              "timeout_char": u.get("timeout_char", 2), "rxbuf": u.get("rxbuf", 512)}
        if isinstance(u.get("tx"), int):  # GPIO matrix (ESP32): the UART takes its pins
            kw["tx"] = u["tx"]
            kw["rx"] = u["rx"]
        s = self.hw.UART(u["id"], **kw)
        if "power" in u:  # M-Bus: bus supply on while the master port is open
            self._pins.append(self._out(u["power"], u.get("power_active", 1)))
        if "pwrkey" in u:  # modem power key released
            self._pins.append(self._out(u["pwrkey"], 1 - u.get("pwrkey_active", 1)))
        if "de" in u:
            s = Rs485(s, self.pin(u["de"], self.hw.Pin.OUT), u.get("de_active", 1))
        self._ports[role] = s
        return s

    def _wanted(self, role):
        """A role sharing its UART is opened only when meter.json "uart2" names it (or no
        role of that UART is named and it is the one the others share)."""
        uarts = self.map.get("uarts", {})
        u = uarts.get(role)
        if u is None:
            return False
        pick = self.cfg.get("uart2")
        peers = [r for r in uarts if uarts[r]["id"] == u["id"]]
        if len(peers) == 1:
            return True
        if pick in peers:
            return pick == role
        return "shares" not in u

    def has_optical_port(self):
        return "optical" in self.map.get("uarts", {})

    def optical_port(self):
        return self.port("optical")

    def mbus_port(self):
        """The M-Bus master's UART (bus powered), or None (for the M-Bus master work)."""
        return self.port("mbus") if self._wanted("mbus") else None

    def rs485_port(self):
        """The RS485 line (Rs485 stream), or None (for the RS485 HDLC port work)."""
        return self.port("rs485") if self._wanted("rs485") else None

    def modem_port(self):
        return self.port("modem") if self._wanted("modem") else None

    # ------------------------------------------------------------------ network
    def tcp_endpoint(self):
        kind = self.map.get("net")
        port = self.cfg.get("tcp_port", 4059)
        if kind is None or not port:
            return None
        if self._nic is None:
            self._nic = self._net_up(kind)
        return "0.0.0.0", port

    def _net_up(self, kind):
        network = self._netmod if self._netmod is not None else __import__("network")
        if kind == "lan":
            nic = network.LAN()
            nic.active(True)
        elif kind == "wlan":
            nic = network.WLAN(network.STA_IF)
            nic.active(True)
            w = self.cfg.get("wifi")
            if w:
                nic.connect(w[0], w[1])
        else:
            raise ValueError("net %r: lan, wlan or None" % (kind,))
        ip = self.cfg.get("ip")
        if ip:  # static address, else the port's DHCP client
            nic.ifconfig(tuple(ip))
        return nic

    # ------------------------------------------------------------------ clock, watchdog
    def now(self, t):
        """RTC seconds (time.time(): a small int on a 2000-epoch port until 2034) and the
        milliseconds since its last second edge, followed with ticks_ms from an edge
        measured by time.time_ns() (a big int on 32 bits: measured again only when ticks and
        RTC disagree on the second, i.e. when the crystals drifted by a few ms)."""
        s = time.time()
        k = ticks_ms()
        es = self._es
        if es is not None:
            d = ticks_diff(k, self._ek)
            if d >= 1000:
                n = d // 1000
                es += n
                d -= n * 1000
                self._ek = ticks_add(self._ek, n * 1000)
                self._es = es
        if es != s or d < 0:
            ns = time.time_ns()
            k = ticks_ms()
            s = ns // 1000000000
            d = ns // 1000000 % 1000
            self._es = s
            self._ek = ticks_add(k, -d)
        t[0] = s + PORT_EPOCH_S
        t[1] = d

    def ticks_ms(self):
        return ticks_ms()

    def rtc_valid(self):
        """False when the RTC read a year before rtc_min_year at boot: it lost its power
        reserve (no backup battery, VBAT low) and restarted at the port's epoch."""
        return self._rtc_ok

    def rtc_set(self):
        """`make deploy` set the RTC (it leaves <fs>/rtc-set, removed at this boot)."""
        return self._rtc_set

    def _take(self, name):
        import os

        try:
            os.remove(self._path(name))
            return True
        except OSError:
            return False

    def loop_ms(self):
        # the power-fail warning is seen within one loop period
        return self.map.get("loop_ms", 250 if "power_fail" in self.map else 1000)

    def ready(self):
        ms = self.map.get("wdt_ms")
        if ms and self._wdt is None:
            self._wdt = self.hw.WDT(timeout=ms)
        if self._nic is not None:
            self._nic_wait = 240  # about a minute of loop steps

    def feed(self):
        if self._wdt is not None:
            self._wdt.feed()
        if self._nic_wait:  # the console shows the address once the link has one
            self._nic_wait -= 1
            a = self._nic.ifconfig()[0]
            if a != "0.0.0.0":
                print("meter: network %s, TCP wrapper port %d" % (
                    a, self.cfg.get("tcp_port", 4059)))
                self._nic_wait = 0

    def interrupted(self):
        """The application stopped on a keyboard interrupt: keep the watchdog fed from a
        timer (the REPL and mpremote can work) until machine.reset()."""
        wdt = self._wdt
        if wdt is None or self._timer is not None:
            return
        T = self.hw.Timer
        self._timer = T(self.map.get("service_timer", -1), mode=T.PERIODIC,
                        period=max(100, self.map["wdt_ms"] // 4), callback=lambda t: wdt.feed())
        print("meter: stopped; watchdog fed until machine.reset()")

    # ------------------------------------------------------------------ storage, metering
    def store_dir(self):
        return self._path("state")

    def pki(self):
        """Factory provisioning files in <fs>/pki (tools/provision.py: *.der, meter.key;
        `make deploy` copies them), or None."""
        import os

        d = self._path("pki")
        try:
            names = os.listdir(d)
        except OSError:
            return None
        files = {}
        for f in names:
            if f.endswith(".der") or f == "meter.key":
                with open(d + "/" + f, "rb") as fh:
                    files[f] = fh.read()
        return files or None

    def metering(self, local):
        kind = self.cfg.get("metering", self.map.get("metering", "sim"))
        if kind == "s0":
            from hal.s0_metering import S0Metering

            s0 = S0Metering(local, self.cfg.get("s0_imp_kwh", self.map.get("s0_imp_kwh", 1000)))
            for q in self.map.get("s0", {}):
                i = QUANTITIES.index(q)
                self._irq(self.map["s0"][q], lambda _p, i=i: s0.pulse(i, ticks_ms()))
            self._s0 = s0
            print("meter: metering: S0 impulses, %d imp/kWh on %s" % (
                s0.k, ", ".join(sorted(self.map.get("s0", {})))))
            return s0
        if kind != "sim":
            raise ValueError("metering %r: sim or s0" % (kind,))
        from hal.sim_metering import SimMetering

        print("meter: metering: simulated load curve (no metering IC)")
        return SimMetering(local, None, 1 if self.identity["meter_type"] == "100" else 3)
