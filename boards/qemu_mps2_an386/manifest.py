# SPDX-License-Identifier: MIT
# Frozen image of the qemu MPS2 AN386 meter: the firmware (firmware/manifest.py), the
# pure-Python asyncio task queue (the qemu port builds without the _asyncio C module) and
# this board's module, frozen as `board` (firmware/main.py imports it).
include("../../firmware/manifest.py")
package("asyncio", ("task.py",), base_path="$(MPY_DIR)/extmod", opt=3)
module("board.py")
