# SPDX-License-Identifier: MIT
# CPython stand-in for MicroPython's `micropython` module, for host tests and tools only.


def const(x):
    return x


def heap_lock():
    return 0


def heap_unlock():
    return 0
