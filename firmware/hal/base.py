# SPDX-License-Identifier: MIT
"""Board contract used by the meter application (architecture guide 2.1, hal/).

A board provides:
  now(t)          the RTC into the list t: t[0] UTC seconds since 2020-01-01 (the meter's
                  seconds, dlms/util/timeconv.py), t[1] milliseconds 0..999; one read,
                  small ints: nothing allocated on a 32-bit port
  ticks_ms()      monotonic milliseconds
  optical_port()  a non-blocking stream (read/readinto/write + poll) carrying HDLC, or None
  tcp_endpoint()  (host, port) for the IEC 62056-47 wrapper, or None
  identity        dict: manufacturer (3 chars), serial (str), meter_type (str, KSMW 5.1)
  store_dir()     folder of the power-fail-safe record store on the board's flash
                  filesystem (the application opens it: meterapp/nvstore.py), or None
  pki()           factory provisioning files {name: bytes} (tools/provision.py) or None
  metering(local) the metering front-end; local(utc_s) -> local wall seconds of the meter clock
  rtc_valid()     False when the RTC lost its power reserve during the outage (KSMW 5.4)
  rtc_set()       True when the RTC was set from outside since the meter last ran (the
                  factory, `make deploy`, the host's --start): the meter then drops the clock
                  offset it keeps from clients' settings
  events()        board events since the last call: "D" power-fail warning, "B" demand reset
                  button (a board: supply monitor and button interrupts), or ""
  ready()         called once the meter serves
  feed()          called every application loop step (a board feeds its watchdog)
  interrupted()   the application stopped on a keyboard interrupt (REPL, mpremote): a board
                  keeps its watchdog fed so files can still be copied

Metering front-end (a metering IC's driver on a board, hal/sim_metering.py on the host):
  energy(out, s, ms)         add the energy measured since the last call (board time s + ms,
                             as now() counts it) to out[0..3] in mWh/mvarh (+A, -A, +R,
                             -R); the first call starts measuring
  instant(c, d, e, phases, utc_s)
                             instantaneous value of OBIS 1-0:c.d.e (KSMW 5.9.1) in V, A, W,
                             var, VA, Hz, degrees or a ratio
"""


class Board:
    identity = {"manufacturer": "KFM", "serial": "1KFM0100000001", "meter_type": "100"}
    heap_report = False  # print the live heap as requests are served (host diagnostics)
    hdlc_device_address = 17
    hdlc_inter_octet_ms = 200
    tcp_handshake_ms = None  # None: the TCP port's HANDSHAKE_MS (meterapp/ports.py)

    def now(self, t):
        raise NotImplementedError

    def ticks_ms(self):
        raise NotImplementedError

    def optical_port(self):
        return None

    def tcp_endpoint(self):
        return None

    def has_optical_port(self):
        return False

    def store_dir(self):
        """Folder of the power-fail-safe record store on the board's filesystem, or None
        (no store: RAM only)."""
        return None

    def pki(self):
        return None

    def metering(self, local):
        raise NotImplementedError

    def rtc_valid(self):
        return True

    def rtc_set(self):
        return False

    def events(self):
        return ""

    def ready(self):
        """The application is built and serves (a board may light an LED)."""

    def feed(self):
        """Every application loop step: the board's watchdog (hal/machine_board.py)."""

    def interrupted(self):
        """The application stopped on a keyboard interrupt (firmware/main.py)."""

    def loop_ms(self):
        """Period of the application loop in board milliseconds."""
        return 1000
