# SPDX-License-Identifier: MIT
"""Board module of the qemu MPS2 AN386 meter (Cortex-M4), frozen as `board`.

What qemu emulates and how the meter uses it (README "Boards: qemu"):
  optical port   CMSDK APB UART1 (0x40005000), `-serial pty`: a host pty stands in for the
                 IR head; polled (no interrupts), one byte per read of DATA (qemu's UART
                 holds one received byte, the host side waits)
  console        CMSDK UART0 (0x40004000), `-serial stdio`: the REPL, the meter's log, and
                 board events from the supervisor (tools/run_qemu.py): "D" power-fail
                 warning, "B" demand reset button, one byte each
  RTC            the host's clock through semihosting SYS_TIME (_mps2.rtc(), seconds), run
                 on by SysTick milliseconds (time.ticks_ms); aligned to the RTC's second
                 edge at boot; qemu has no battery-backed RTC, so it never loses its power
                 reserve (rtc_valid True); a client's clock setting is an offset the
                 application keeps in its store (not written back); a set start (tools/
                 run_qemu.py --start) sets the RTC (rtc_set True: that offset is dropped)
  flash          a host file through semihosting (_mps2.Flash, FLASH_FILE in qemu's working
                 directory, FLASH_BLOCKS x 4 KB) with LittleFS v2 mounted at /flash: the
                 power-fail-safe store in /flash/state, factory provisioning (PKI files) in
                 /flash/pki when present
  metering       hal/sim_metering.py (the simulator's daily load curve), poly-phase (type 200)
  TCP            none (the MPS2 Ethernet is not used)

The supervisor configures the board from the REPL before the firmware starts:
    import board; board.configure(fill_lp1=T0, speed=N, start=T); import main
"""
import gc
import io
import time

from machine import mem32
from micropython import const

from dlms.util.timeconv import secs_from_unix
from hal.base import Board

# CMSDK APB UART registers (Arm CMSDK technical reference: DATA, STATE, CTRL, INTSTATUS,
# BAUDDIV); addresses above 2**30 are not small ints on a 32-bit port: kept as constants
# and per-port attributes, never computed per access (no allocation)
UART0 = const(0x40004000)
UART1 = const(0x40005000)
_STATE_TXFULL = const(1)
_STATE_RXFULL = const(2)
_CTRL_TX_RX = const(3)
_POLL = const(3)  # MP_STREAM_POLL
_POLLIN = const(1)
_POLLOUT = const(4)

FLASH_FILE = "flash.img"
FLASH_BLOCKS = const(512)  # 2 MB: LP1 (5760 rows) and every other profile with room to spare
MOUNT = "/flash"

_cfg = {}


def configure(**kw):
    """Before `import main` (tools/run_qemu.py): fill_lp1 (unix seconds T0: LP1 holds 5760
    test entries from T0), speed (simulated seconds per second, >= 1), start (unix seconds
    of the meter clock when it starts serving), heap_report (live heap samples)."""
    _cfg.update(kw)


class CmsdkUart(io.IOBase):
    """A polled CMSDK UART as a non-blocking stream: read/readinto return what the UART
    holds (None when nothing), write sends what the transmitter takes, ioctl answers
    MP_STREAM_POLL, so asyncio's StreamReader/StreamWriter and select.poll work on it."""

    def __init__(self, base):
        self.data = base
        self.state = base + 4
        mem32[base + 8] = _CTRL_TX_RX  # TX and RX enabled, interrupts off

    def readinto(self, buf, n=-1):
        m = len(buf) if n < 0 else min(n, len(buf))
        d = self.data
        s = self.state
        i = 0
        while i < m and mem32[s] & _STATE_RXFULL:
            buf[i] = mem32[d] & 0xFF
            i += 1
        return i if i else None

    def read(self, n=-1):
        buf = bytearray(256 if n < 0 else n)
        k = self.readinto(buf)
        return None if k is None else bytes(buf[:k])

    def write(self, buf):
        d = self.data
        s = self.state
        n = len(buf)
        i = 0
        while i < n and not mem32[s] & _STATE_TXFULL:
            mem32[d] = buf[i]
            i += 1
        return i

    def ioctl(self, req, arg):
        if req != _POLL:
            return 0
        st = mem32[self.state]
        r = 0
        if arg & _POLLIN and st & _STATE_RXFULL:
            r |= _POLLIN
        if arg & _POLLOUT and not st & _STATE_TXFULL:
            r |= _POLLOUT
        return r


class QemuBoard(Board):
    identity = dict(Board.identity, meter_type="200")
    hdlc_inter_octet_ms = 500  # an emulated CPU on a loaded host: bytes may come late

    def __init__(self, cfg):
        import _mps2

        self._rtc = _mps2.rtc
        f = cfg.get("fill_lp1")  # unix seconds (tools/run_qemu.py)
        self.fill_lp1 = None if f is None else secs_from_unix(int(f))
        self.heap_report = bool(cfg.get("heap_report"))
        self.speed = max(1, int(cfg.get("speed", 1)))
        self._start = cfg.get("start")
        self._console = CmsdkUart(UART0)
        self._optical = None
        self._store = False  # not mounted yet
        # the RTC counts whole seconds: start at its next second edge (at most 1 s)
        t = self._rtc()
        while self._rtc() == t:
            pass
        self._t0 = time.ticks_ms()
        self._bs = secs_from_unix(t + 1)  # meter seconds at ticks _t0
        self._run = self._start is None  # a set start: the clock waits until ready()
        if not self._run:
            self._bs = secs_from_unix(int(self._start))

    def now(self, t):
        d = 0
        if self._run:
            d = time.ticks_diff(time.ticks_ms(), self._t0)
            if d >= 1000:  # whole real seconds into the base: small ints only
                n = d // 1000
                self._bs += n * self.speed
                self._t0 = time.ticks_add(self._t0, n * 1000)
                d -= n * 1000
            d *= self.speed
        t[0] = self._bs + d // 1000
        t[1] = d % 1000

    def ticks_ms(self):
        return time.ticks_ms()

    def rtc_set(self):
        return self._start is not None

    def ready(self):
        if not self._run:
            self._t0 = time.ticks_ms()
            self._run = True
        gc.collect()
        print("board: heap alloc=%d free=%d" % (gc.mem_alloc(), gc.mem_free()))

    def loop_ms(self):
        return max(20, min(1000, 60000 // self.speed))

    def has_optical_port(self):
        return True

    def optical_port(self):
        if self._optical is None:
            self._optical = CmsdkUart(UART1)
        return self._optical

    def metering(self, local):
        from hal.sim_metering import SimMetering

        return SimMetering(local, None, 3)

    def events(self):
        c = self._console
        if not mem32[c.state] & _STATE_RXFULL:
            return ""
        b = mem32[c.data] & 0xFF
        if b == 0x44:  # "D"
            return "D"
        if b == 0x42:  # "B"
            return "B"
        return ""

    def _mount(self):
        """LittleFS on the flash image at /flash (formatted when blank or unreadable)."""
        if self._store is False:
            self._store = None
            import os
            import vfs
            from _mps2 import Flash

            try:
                dev = Flash(FLASH_FILE, FLASH_BLOCKS)
            except OSError:
                print("board: no flash image (%s): store in RAM only" % FLASH_FILE)
                return None
            try:
                fs = vfs.VfsLfs2(dev, mtime=False)
            except OSError:
                vfs.VfsLfs2.mkfs(dev)
                fs = vfs.VfsLfs2(dev, mtime=False)
                print("board: flash formatted (LittleFS, %d KB)" % (FLASH_BLOCKS * 4))
            vfs.mount(fs, MOUNT)
            os.chdir("/")
            self._store = MOUNT
        return self._store

    def store_dir(self):
        m = self._mount()
        return None if m is None else m + "/state"

    def pki(self):
        """Factory provisioning files (tools/provision.py names) in /flash/pki, or None."""
        m = self._mount()
        if m is None:
            return None
        import os

        try:
            names = os.listdir(m + "/pki")
        except OSError:
            return None
        files = {}
        for f in names:
            if f.endswith(".der") or f == "meter.key":
                with open(m + "/pki/" + f, "rb") as fh:
                    files[f] = fh.read()
        return files or None


def make():
    return QemuBoard(_cfg)
