# SPDX-License-Identifier: MIT
# ESP32-DevKitC with an ESP32-WROOM-32E (4 MB flash, no PSRAM): the KSMW meter image.
# Out-of-tree board for MicroPython's ports/esp32 (BOARD_DIR=<repo>/boards/ESP32_DEVKITC);
# commands in README.md.
set(IDF_TARGET esp32)

# sdkconfig files cannot name a file outside the port: the partition table's absolute path
# goes to the IDF through one generated line
file(WRITE ${CMAKE_BINARY_DIR}/sdkconfig.meter_partitions
    "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${MICROPY_BOARD_DIR}/partitions.csv\"\n")

# no Bluetooth (boards/sdkconfig.ble left out; MICROPY_PY_BLUETOOTH 0 in mpconfigboard.h)
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    ${MICROPY_BOARD_DIR}/sdkconfig.board
    ${CMAKE_BINARY_DIR}/sdkconfig.meter_partitions
)

# no btree module (the meter keeps its records in LittleFS files; saves flash, and the
# berkeley-db submodule)
set(MICROPY_PY_BTREE OFF)

set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
# the C cores (CRC, GCM, P-256) unless given on the command line
if(NOT USER_C_MODULES)
    set(USER_C_MODULES ${MICROPY_BOARD_DIR}/../../firmware/cmodules/micropython.cmake)
endif()
