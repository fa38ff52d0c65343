# SPDX-License-Identifier: MIT
"""Firmware entry point: pick the board, run the meter application.

A board image freezes its boards/<name>/board.py as the module `board` (make() -> its
hal.base.Board); without one (the unix ports) the host board runs the simulator."""
import asyncio
import gc
import sys


def load_board():
    try:
        import board
    except ImportError as e:
        if "'board'" not in str(e):  # the board module exists but cannot load: say so
            raise
        from hal.host import HostBoard

        return HostBoard(sys.argv)
    return board.make()


try:
    from meterapp import app

    gc.collect()
    asyncio.run(app.run(load_board()))
finally:
    asyncio.new_event_loop()
