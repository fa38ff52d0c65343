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


_board = None
try:
    from meterapp import app

    gc.collect()
    _board = load_board()
    asyncio.run(app.run(_board))
except KeyboardInterrupt:  # the REPL or mpremote stopped the meter: a board's watchdog
    if _board is not None:  # stays fed (hal/machine_board.py) until a reset
        _board.interrupted()
    raise
finally:
    asyncio.new_event_loop()
