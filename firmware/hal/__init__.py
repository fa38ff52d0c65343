# SPDX-License-Identifier: MIT
"""Board abstraction (hal.base.Board). Only the board layer (hal.machine_board and the
boards/<name>/board.py modules) may import `machine`; it never imports the application."""
