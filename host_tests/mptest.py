# SPDX-License-Identifier: MIT
"""Minimal test runner for the MicroPython unix port: imports the named test modules, calls
every test_* function, prints 'N passed, N failed'; exit status 1 on failure.
Usage: micropython host_tests/mptest.py [--romfs IMAGE FALLBACK_DIR [--tests TESTS_IMAGE]]
       [--only test_name] host_tests/unit/test_x.py ...
--romfs mounts the firmware's ROMFS image first (tools/romfs_host/romfs_host.py, which must be
on MICROPYPATH): its bytecode then runs in place, outside the heap, as on a board; when that is
not possible FALLBACK_DIR (the plain .mpy folder) goes first on sys.path instead. --tests
mounts the compiled test modules (build/tests.romfs) at /romt as well: the tests' own
bytecode then stays out of the heap too, and the test files' folders are not searched."""
import gc
import sys


TESTS_MOUNTED = False


def main(paths, only=None):
    passed = failed = 0
    for p in paths:
        d, _, f = p.rpartition("/")
        if d and d not in sys.path and not TESTS_MOUNTED:
            sys.path.insert(0, d)
        mod = __import__(f[:-3] if f.endswith(".py") else f)
        for name in sorted(dir(mod)):
            if not name.startswith("test_") or (only is not None and name != only):
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
    print("micropython %s%s: %d passed, %d failed" % (
        " ".join(paths), "::" + only if only else "", passed, failed))
    return failed


def romfs(args):
    global TESTS_MOUNTED
    if args[:1] != ["--romfs"]:
        return args
    import romfs_host

    if romfs_host.mount_or_fallback(args[1], args[2], quiet=True) and args[3:4] == ["--tests"]:
        try:
            romfs_host.mount(args[4], "/romt")
            sys.path.remove("/romt")
            sys.path.insert(1, "/romt")  # after the firmware image
            TESTS_MOUNTED = True
        except (ImportError, OSError) as e:
            print("romfs: tests image not used (%r)" % (e,))
    del sys.modules["romfs_host"]
    return args[5:] if args[3:4] == ["--tests"] else args[3:]


def only(args):
    if args[:1] != ["--only"]:
        return args, None
    return args[2:], args[1]


if __name__ == "__main__":
    a, name = only(romfs(sys.argv[1:]))
    sys.exit(1 if main(a, name) else 0)
