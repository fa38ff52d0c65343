# SPDX-License-Identifier: MIT
"""Firmware entry point: pick the board, run the meter application."""
import asyncio
import gc
import sys


def load_board():
    try:
        from hal.mpy_machine import MachineBoard  # device ports

        return MachineBoard()
    except ImportError:
        from hal.host import HostBoard

        return HostBoard(sys.argv)


try:
    from meterapp import app

    gc.collect()
    asyncio.run(app.run(load_board()))
finally:
    asyncio.new_event_loop()
