# SPDX-License-Identifier: MIT
"""Minimal test runner for the MicroPython unix port: imports the named test modules, calls
every test_* function, prints 'N passed, N failed'; exit status 1 on failure.
Usage: micropython host_tests/mptest.py host_tests/unit/test_x.py ..."""
import gc
import sys


def main(paths):
    passed = failed = 0
    for p in paths:
        d, _, f = p.rpartition("/")
        if d and d not in sys.path:
            sys.path.insert(0, d)
        mod = __import__(f[:-3] if f.endswith(".py") else f)
        for name in sorted(dir(mod)):
            if not name.startswith("test_"):
                continue
            fn = getattr(mod, name)
            if not callable(fn):
                continue
            try:
                fn()
                passed += 1
            except Exception as e:
                failed += 1
                print("FAIL %s.%s: %r" % (f, name, e))
                sys.print_exception(e)
        del mod  # free each test module before the next one: the heap is board-sized
        sys.modules.pop(f[:-3] if f.endswith(".py") else f, None)
        gc.collect()
    print("micropython: %d passed, %d failed" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
