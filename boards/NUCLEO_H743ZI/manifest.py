# SPDX-License-Identifier: MIT
# Frozen image of the NUCLEO-H743ZI meter: the firmware (firmware/manifest.py: asyncio, dlms,
# meterapp, hal, main.py) and this board's pin map, frozen as `board` (firmware/main.py
# imports it). Built on the stm32 port's own NUCLEO_H743ZI definition (clocks, Ethernet,
# flash layout) by tools/build_firmware.sh; the port's default manifest (networking bundle,
# dht, onewire) is not frozen.
include("../../firmware/manifest.py")
module("board.py")
