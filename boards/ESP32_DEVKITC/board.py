# SPDX-License-Identifier: MIT
"""ESP32-DevKitC (ESP32-WROOM-32E, 4 MB flash, no PSRAM) meter, frozen as `board`.

Pin and UART map for hal/machine_board.py (README "Boards" has the wiring table); pins are
GPIO numbers, routed to the UARTs through the GPIO matrix. Kept clear of the console UART0
(GPIO 1/3, the USB bridge: REPL, mpremote), the module's flash (GPIO 6-11) and the
strapping pins 2, 5, 12 (flash voltage) and 15; GPIO 34-39 are inputs without internal
pull resistors (external pull-ups on the board).

Quirks:
- three UARTs, UART0 being the console: UART1 carries the optical head, UART2 the M-Bus
  master or the RS485 line (pins of both wired; meter.json "uart2": "rs485" picks RS485,
  the default is M-Bus). The TCP wrapper runs over Wi-Fi (meter.json "wifi": [ssid, key]):
  no cellular modem UART.
- the BOOT button (GPIO 0, pulled up on the board) is the demand reset button; held down
  while the board resets it starts the ROM downloader instead of the meter.
- no battery-backed RTC: after every power loss the clock restarts at 2000-01-01, the meter
  reports a lost power reserve (KSMW 5.4, CIV) until a client sets the clock.
- GC heap without PSRAM: ~110-160 KB depending on the IDF configuration; the single-phase
  meter (type 100) is the default here.
- machine.UART.write returns once queued: the RS485 driver enable drops after flush().
"""
from hal.machine_board import MachineBoard

PINS = {
    "name": "ESP32_DEVKITC",
    "uarts": {
        "optical": {"id": 1, "baud": 9600, "tx": 25, "rx": 26},  # IR head, HDLC 9600 8N1
        # M-Bus master transceiver, EN 13757-2 2400 8E1; bus supply enable GPIO 4
        "mbus": {"id": 2, "baud": 2400, "parity": 0, "tx": 17, "rx": 16, "power": 4},
        # RS485 transceiver (HDLC 9600 8N1) on UART2 instead of M-Bus; DE and /RE GPIO 23
        "rs485": {"id": 2, "baud": 9600, "tx": 19, "rx": 18, "de": 23, "shares": "mbus"},
    },
    "relay": {"pin": 32, "active": 1},  # disconnector coil driver
    "buttons": {
        "B": {"pin": 0, "active": 0},  # demand reset: the BOOT button
        "S": {"pin": 35, "active": 0},  # display scroll, to GND, external pull-up
    },
    # supply monitor comparator, open drain, low = supply failing, external pull-up
    "power_fail": {"pin": 34, "active": 0},
    # S0 impulse input of a reference meter (open collector to GND), external pull-up
    "s0": {"+A": {"pin": 39, "active": 0}},
    "s0_imp_kwh": 1000,
    "metering": "sim",  # no metering IC on the prototype: the simulator's load curve
    "meter_type": "100",
    "net": "wlan",
    "fs": "",
    "wdt_ms": 8000,
    "service_timer": 0,  # esp32 machine.Timer: hardware timers 0-3
    "reserved": {
        1: "UART0 TX (console)", 3: "UART0 RX (console)", 6: "flash CLK", 7: "flash D0",
        8: "flash D1", 9: "flash D2", 10: "flash D3", 11: "flash CMD",
        2: "strapping pin", 5: "strapping pin", 12: "strapping pin (flash voltage)",
        15: "strapping pin",
    },
}


def make(hw=None, net=None, fs=None):
    return MachineBoard(PINS, hw, net, fs)
