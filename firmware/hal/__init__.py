# SPDX-License-Identifier: MIT
"""Board abstraction. Only hal.mpy_machine may import `machine`."""
