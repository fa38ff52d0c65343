# SPDX-License-Identifier: MIT
# Frozen image of the ESP32-DevKitC meter: the port's boot modules (_boot.py mounts the
# "vfs" LittleFS partition at /, flashbdev.py, inisetup.py), the firmware
# (firmware/manifest.py: asyncio, dlms, meterapp, hal, main.py) and this board's pin map,
# frozen as `board`. The port's networking bundle and sensor drivers are not frozen.
freeze("$(PORT_DIR)/modules")
include("../../firmware/manifest.py")
module("board.py")
