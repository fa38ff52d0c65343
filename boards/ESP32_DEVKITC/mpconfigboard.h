// SPDX-License-Identifier: MIT
// ESP32-DevKitC (ESP32-WROOM-32E) meter board (boards/ESP32_DEVKITC).
#define MICROPY_HW_BOARD_NAME "ESP32-DevKitC KSMW meter"
#define MICROPY_HW_MCU_NAME "ESP32"

// no Bluetooth: the meter does not use it, and it costs ~300 KB of flash and RAM
#define MICROPY_PY_BLUETOOTH (0)
