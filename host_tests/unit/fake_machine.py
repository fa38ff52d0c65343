# SPDX-License-Identifier: MIT
"""Stand-ins for MicroPython's `machine` and `network` modules, for the tests of the board
layer (hal/machine_board.py) on CPython and the unix port: they record what the board does
and let a test fire pin interrupts. Passed to boards/<name>/board.py make(hw=, net=), never
imported as `machine`."""

made = {}  # pin id -> Pin
uarts = {}  # UART id -> UART
wdts = []
timers = []
year = [2026]  # what RTC().datetime() reads


def reset(rtc_year=2026):
    made.clear()
    uarts.clear()
    del wdts[:]
    del timers[:]
    year[0] = rtc_year


class _Cpu:
    def __getattr__(self, name):  # stm32: Pin.cpu.D5 is the pin named "PD5" in a map
        return "P" + name


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2
    cpu = _Cpu()

    def __init__(self, pid, mode=0, pull=None):
        self.id = pid
        self.mode = mode
        self.pull = pull
        self.v = 0
        self.handler = None
        self.trigger = None
        made[pid] = self

    def value(self, v=None):
        if v is None:
            return self.v
        self.v = v

    def irq(self, handler=None, trigger=3):
        self.handler = handler
        self.trigger = trigger

    def fire(self):
        self.handler(self)


class UART:
    def __init__(self, uid, **kw):
        self.id = uid
        self.kw = kw
        self.rx = bytearray()
        self.tx = bytearray()
        self.de = None  # a test sets the RS485 driver-enable Pin to watch it
        self.log = []  # DE level at each write and flush
        uarts[uid] = self

    def any(self):
        return len(self.rx)

    def write(self, b):
        if self.de is not None:
            self.log.append(("write", self.de.v))
        self.tx += b
        return len(b)

    def flush(self):
        if self.de is not None:
            self.log.append(("flush", self.de.v))

    def read(self, n=-1):
        n = len(self.rx) if n < 0 else min(n, len(self.rx))
        b = bytes(self.rx[:n])
        self.rx = self.rx[n:]
        return b or None

    def readinto(self, buf, n=-1):
        b = self.read(len(buf) if n < 0 else n)
        if not b:
            return None
        buf[: len(b)] = b
        return len(b)


class RTC:
    def datetime(self):
        return (year[0], 1, 1, 4, 0, 0, 0, 0)


class WDT:
    def __init__(self, timeout=5000):
        self.timeout = timeout
        self.fed = 0
        wdts.append(self)

    def feed(self):
        self.fed += 1


class Timer:
    PERIODIC = 1

    def __init__(self, tid, mode=0, period=0, callback=None):
        self.id = tid
        self.period = period
        self.callback = callback
        timers.append(self)


class FakeNetwork:
    """`network`: LAN and WLAN that record activation and addresses."""

    STA_IF = 0

    def __init__(self):
        self.nics = []

    def _nic(self, kind):
        net = self

        class Nic:
            def __init__(self):
                self.kind = kind
                self.on = False
                self.cfg = None
                self.joined = None
                net.nics.append(self)

            def active(self, on=None):
                self.on = on

            def connect(self, ssid, key):
                self.joined = (ssid, key)

            def ifconfig(self, cfg=None):
                if cfg is None:
                    return self.cfg or ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
                self.cfg = cfg

        return Nic()

    def LAN(self):
        return self._nic("lan")

    def WLAN(self, _if):
        return self._nic("wlan")
