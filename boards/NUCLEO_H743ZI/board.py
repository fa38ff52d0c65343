# SPDX-License-Identifier: MIT
"""NUCLEO-H743ZI (STM32H743ZI, Nucleo-144) meter prototype, frozen as `board`.

Pin and UART map for hal/machine_board.py (README "Boards" has the wiring table). Pins are
MCU names: every one is on the ST morpho headers (CN11/CN12; the Nucleo-144 user manual
UM2407 maps them to header pins and the Zio connectors). Chosen clear of
what the Nucleo-144 and MicroPython's NUCLEO_H743ZI definition use ("reserved" below):
Ethernet RMII (LAN8742A), USART3 = ST-LINK virtual COM port (REPL, mpremote), USB OTG FS,
LEDs, SDMMC and its card detect, FDCAN1, SWD, the crystals.

Quirks:
- the UART pins are fixed by the port's board configuration (mpconfigboard.h): UART2
  PD5/PD6, UART6 PC6/PC7, UART7 PF7/PF6, UART1 PB6/PB15; listed here for the checks.
- EXTI: one interrupt line per pin number across ports (check_map "exti").
- machine.UART.write returns after the last stop bit (the RS485 driver enable drops then);
  a long HDLC frame blocks the loop for its wire time (128-byte frames: ~150 ms at 9600 Bd).
- /flash is FAT as the port formats it; the power-fail-safe store wants LittleFS:
  `make deploy BOARD=NUCLEO_H743ZI PORT=... FORMAT=1` reformats it (README "Boards").
- the watchdog (IWDG) cannot be stopped once started: 8 s here (the H7 IWDG reaches ~32 s).
- USER button B1 (PC13, pressed = high, pull-down on the board) is the demand reset button.
- GC heap ~458 KB (AXI SRAM): the poly-phase meter (type 200) fits with room to spare.
"""
from hal.machine_board import MachineBoard

PINS = {
    "name": "NUCLEO_H743ZI",
    "uarts": {
        # IR optical head (IEC 62056-21 head, HDLC 9600 8N1)
        "optical": {"id": 2, "baud": 9600, "tx": "PD5", "rx": "PD6"},
        # M-Bus master transceiver (EN 13757-2: 2400 8E1), bus supply enable PG12
        "mbus": {"id": 6, "baud": 2400, "parity": 0, "tx": "PC6", "rx": "PC7", "power": "PG12"},
        # RS485 transceiver (HDLC, 9600 8N1); DE and /RE tied together on PF8
        "rs485": {"id": 7, "baud": 9600, "tx": "PF7", "rx": "PF6", "de": "PF8"},
        # cellular modem (not fitted: Ethernet carries the TCP wrapper), PWRKEY PD15
        "modem": {"id": 1, "baud": 115200, "tx": "PB6", "rx": "PB15", "pwrkey": "PD15"},
    },
    "relay": {"pin": "PE13", "active": 1},  # disconnector coil driver
    "buttons": {
        "B": {"pin": "PC13", "active": 1},  # demand reset: USER button B1
        "S": {"pin": "PE14", "active": 0, "pull": "up"},  # display scroll, to GND
    },
    # supply monitor comparator, open drain, low = supply failing
    "power_fail": {"pin": "PE11", "active": 0, "pull": "up"},
    # S0 impulse input of a reference meter (open collector to GND)
    "s0": {"+A": {"pin": "PE9", "active": 0, "pull": "up"}},
    "s0_imp_kwh": 1000,
    "metering": "sim",  # no metering IC on the prototype: the simulator's load curve
    "meter_type": "200",
    "net": "lan",
    "fs": "/flash",
    "wdt_ms": 8000,
    "service_timer": -1,  # stm32 machine.Timer: soft timers only
    "exti": True,
    "reserved": {
        "PA1": "ETH REF_CLK", "PA2": "ETH MDIO", "PA7": "ETH CRS_DV", "PC1": "ETH MDC",
        "PC4": "ETH RXD0", "PC5": "ETH RXD1", "PG11": "ETH TX_EN", "PG13": "ETH TXD0",
        "PB13": "ETH TXD1", "PD8": "USART3 TX (ST-LINK VCP)", "PD9": "USART3 RX (ST-LINK VCP)",
        "PA9": "USB VBUS", "PA10": "USB ID", "PA11": "USB DM", "PA12": "USB DP",
        "PG6": "USB power switch", "PG7": "USB overcurrent", "PB0": "LD1", "PB7": "LD2",
        "PB14": "LD3", "PE1": "LD2 (H743ZI2)", "PC8": "SDMMC D0", "PC9": "SDMMC D1",
        "PC10": "SDMMC D2", "PC11": "SDMMC D3", "PC12": "SDMMC CK", "PD2": "SDMMC CMD",
        "PG2": "SD card detect", "PD0": "FDCAN1 RX", "PD1": "FDCAN1 TX", "PA13": "SWDIO",
        "PA14": "SWCLK", "PC14": "LSE", "PC15": "LSE", "PH0": "HSE", "PH1": "HSE",
    },
}


def make(hw=None, net=None, fs=None):
    return MachineBoard(PINS, hw, net, fs)
