#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench`: prints measured figures and ratios (never asserted in tests).

Crypto and CRC: C natmod vs pure-Python fallback (both under the MicroPython unix port)
vs OpenSSL through `cryptography` (CPython). With an ARM toolchain, the Cortex-M4 natmod
code sizes as well. The server's CPU time per byte on the HDLC optical port against the
wire time at 9600 Bd. The meter application's CPU per simulated day. LP1 full-read time.
Instruction counts on the qemu Cortex-M4 (tools/qemu_bench.py)."""
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY = os.path.join(ROOT, ".venv", "bin", "micropython")


def mp_figures():
    env = dict(os.environ, MICROPYPATH="firmware:host_tests:build/natmod:.frozen")
    out = subprocess.run([MPY, "-X", "heapsize=256k", "host_tests/perf/bench_crypto_mp.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    fig = {}
    for line in out.splitlines():
        name, impl, us = line.split()
        fig[(name, impl)] = float(us)
    return fig


def median_us(fn, n=200):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e6


def openssl_figures():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    fig = {}
    g = AESGCM(bytes(range(16)))
    for size in (256, 1224):
        pt = bytes(size)
        fig[("gcm_encrypt_%d" % size, "openssl")] = median_us(
            lambda: g.encrypt(bytes(12), pt, b"\x30" + bytes(16)))
    k = ec.generate_private_key(ec.SECP256R1())
    peer = ec.generate_private_key(ec.SECP256R1()).public_key()
    d = bytes(32)
    sig = k.sign(d, ec.ECDSA(Prehashed(hashes.SHA256())))
    fig[("ecdsa_sign", "openssl")] = median_us(
        lambda: k.sign(d, ec.ECDSA(Prehashed(hashes.SHA256()))))
    fig[("ecdsa_verify", "openssl")] = median_us(
        lambda: k.public_key().verify(sig, d, ec.ECDSA(Prehashed(hashes.SHA256()))))
    fig[("ecdh", "openssl")] = median_us(lambda: k.exchange(ec.ECDH(), peer))
    return fig


def arm_sizes():
    size = shutil.which("arm-none-eabi-size")
    if not size:
        print("\nCortex-M4 sizes: arm-none-eabi-gcc not installed (apt-get install "
              "gcc-arm-none-eabi libnewlib-arm-none-eabi), skipped")
        return
    r = subprocess.run(["sh", "tools/build_natmods.sh", "armv7emsp"], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode:
        print("\nCortex-M4 natmod build failed:\n" + r.stdout + r.stderr)
        return
    print("\nCortex-M4 (armv7emsp) natmod code size, target <= 12 KB text each")
    for mod in sorted(glob.glob(os.path.join(ROOT, "build", "natmod-obj", "*", "armv7emsp"))):
        objs = glob.glob(os.path.join(mod, "**", "*.o"), recursive=True)
        out = subprocess.run([size, "-t"] + objs, capture_output=True, text=True).stdout
        text = int(out.strip().splitlines()[-1].split()[0])
        name = mod.split(os.sep)[-2]
        print("  %-10s %6d bytes text  %s" % (name, text, "ok" if text <= 12288 else "OVER"))


def hdlc_figures():
    """Server CPU per HDLC byte on the unix port, firmware from ROMFS as on a board."""
    env = dict(os.environ, MICROPYPATH="build/romfs-host:build/natmod:host_tests:.frozen")
    subprocess.run(["make", "-s", "mpy"], cwd=ROOT, check=True)
    us = []
    for _ in range(3):
        out = subprocess.run([MPY, "-X", "heapsize=352k", "host_tests/perf/bench_hdlc_mp.py",
                              "build/fw.romfs", "build/fw-mpy"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
        line = [x for x in out.splitlines() if x.startswith("hdlc_us_per_byte")][-1]
        us.append(float(line.split()[1]))
    per_byte = statistics.median(us)
    wire = 10 / 9600 * 1e6  # 8N1: 10 bits a byte
    print("\nHDLC optical port: server CPU %.2f us per byte (median of 3 sessions x 20), "
          "wire time %.0f us per byte at 9600 Bd: %.2f%% (target <= 2%%)"
          % (per_byte, wire, 100 * per_byte / wire))


def timeline_figures():
    """CPU of the meter application per simulated day (timeline steps, captures to files)."""
    env = dict(os.environ, MICROPYPATH="build/romfs-host:build/natmod:host_tests/perf:.frozen")
    ms = []
    for _ in range(3):
        shutil.rmtree(os.path.join(ROOT, "build", "bench-timeline"), ignore_errors=True)
        out = subprocess.run([MPY, "-X", "heapsize=352k", "host_tests/perf/bench_timeline_mp.py",
                              "build/fw.romfs", "build/fw-mpy"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
        line = [x for x in out.splitlines() if x.startswith("timeline_ms_per_day")][-1]
        ms.append(int(line.split()[1]))
        entries = int(line.split()[2])
    day = statistics.median(ms)
    print("\nMeter application: %d ms CPU per simulated day (%d LP1 entries, 1440 one-minute "
          "steps; median of 3): this host keeps up with --speed up to ~%d"
          % (day, entries, 86400000 // max(day, 1)))


def lp1_figures():
    """LP1 (5760 rows) read whole by the management client over the TCP wrapper with
    gurux-dlms, against the running firmware (prefilled with --fill-lp1)."""
    sys.path.insert(0, os.path.join(ROOT, "host_tests", "integration"))
    from conftest import Meter
    from lp1_fixture import LP1, N, PERIOD
    from test_interop_gurux import management

    now = int(time.time())
    m = Meter(args=("--fill-lp1", str(now - now % PERIOD - (N - 1) * PERIOD)))
    try:
        ts = []
        for _ in range(3):
            with management(m, "tcp") as c:
                c.associate()
                t0 = time.perf_counter()
                rows = c.get(7, LP1, 2)
                ts.append(time.perf_counter() - t0)
                assert len(rows) == N
        print("\nLP1 full read over TCP (gurux-dlms, management client, HLS-5 ciphered, %d "
              "rows, GET blocks of 1224 bytes): median %.2f s (client decoding included)"
              % (N, statistics.median(ts)))
    finally:
        m.stop()


UNIX32_HEAPS = (176, 160, 152, 144, 136, 128, 120, 112, 104, 96)  # KB, largest first


def unix32_heap_figures():
    """The 32-bit unix port with the firmware frozen (a board's heap, issue #12): live heap
    after boot (TCP + HDLC ports, store, PKI) and the smallest heap at which a fresh meter
    boots and serves the public and the management client (LDN, clock, the whole object
    list in blocks) over the TCP wrapper."""
    if subprocess.run(["sh", "tools/build_firmware.sh", "unix32"], cwd=ROOT,
                      stdout=subprocess.DEVNULL).returncode:
        print("\nunix32: not built (tools/build_firmware.sh unix32 failed)")
        return
    sys.path.insert(0, os.path.join(ROOT, "host_tests", "integration"))
    os.environ["METER_RUNTIME"] = "unix32"
    from conftest import Meter
    from test_interop_gurux import management, public

    def serves(heap):
        try:
            m = Meter(heap=heap, args=("--heap-report",))
        except RuntimeError:
            return None
        try:
            for client in (public, management):
                with client(m, "tcp") as c:
                    c.associate()
                    c.get(1, "0-0:42.0.0.255", 2)
                    c.get(8, "0-0:1.0.0.255", 2)
                    c.get(15, "0-0:40.0.0.255", 2)
                    c.release()
            live = [int(x.split("alloc=")[1].split()[0]) for x in m.output if "heap: alloc=" in x]
            return live[0] if live and m.alive() else None
        except Exception:
            return None
        finally:
            m.stop()

    smallest = live = failed = None
    for kb in UNIX32_HEAPS:
        got = serves("%dk" % kb)
        if got is None:
            failed = kb
            break
        smallest, live = kb, got
    if smallest is None:
        print("\nunix32: the meter does not serve at %dk" % UNIX32_HEAPS[0])
        return
    print("\nunix32 (32-bit unix port, firmware frozen): smallest heap that boots and serves "
          "public + management over TCP: %dk (%s; goal 128k, stretch 96k); live heap after the "
          "first association there %d B" % (
              smallest, "%dk fails" % failed if failed else "the smallest tried", live))


def board_images():
    """Flash and RAM of the board images built (tools/build_firmware.sh, make test-boards)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import board_check

    print("\nBoard images (arm-none-eabi-size of build/firmware/<BOARD>/firmware.elf)")
    for board in sorted(board_check.BOARDS):
        if board_check.BOARDS[board][0] == "stm32":
            for line in board_check.image_lines(board):
                print("  " + line)


def qemu_figures():
    """Instruction counts on the qemu Cortex-M4 (tools/qemu_bench.py, -icount shift=0)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import qemu_bench

    qemu_bench.report()


def median_of_runs(runs):
    # per figure, the median over whole runs: one slow stretch of a shared host then moves
    # neither the C nor the Python figure of a single run far
    return {k: statistics.median(r[k] for r in runs if k in r) for k in runs[0]}


def main():
    if sys.argv[1:]:
        sys.stderr.write("bench: takes no arguments (BENCH_ROUNDS=N sets the rounds)\n")
        return 2
    rounds = os.environ.get("BENCH_ROUNDS", "5")
    if not rounds.strip().isdigit() or int(rounds) < 1:
        sys.stderr.write("bench: BENCH_ROUNDS: expected an integer >= 1, got %r\n" % rounds)
        return 2
    rounds = int(rounds)
    if subprocess.run(["make", "-s", "natmods"], cwd=ROOT).returncode:
        sys.stderr.write("bench: `make natmods` failed\n")
        return 1
    runs = []
    for _ in range(rounds):
        fig = mp_figures()
        fig.update(openssl_figures())
        runs.append(fig)
    fig = median_of_runs(runs)
    print("Crypto and CRC, median microseconds (host x64; C and Python under the unix port; "
          "median of %d runs)" % rounds)
    print("%-18s %10s %12s %10s %10s %10s" % ("operation", "C", "Python", "OpenSSL",
                                              "C/OpenSSL", "Py/C"))
    for name in ("gcm_encrypt_256", "gcm_encrypt_1224", "ecdsa_sign", "ecdsa_verify", "ecdh",
                 "crc_1kb"):
        c = fig.get((name, "c"))
        p = fig.get((name, "py"))
        o = fig.get((name, "openssl"))
        print("%-18s %10s %12s %10s %10s %10s" % (
            name, "%.1f" % c if c else "-", "%.1f" % p if p else "-",
            "%.2f" % o if o else "-", "%.1fx" % (c / o) if c and o else "-",
            "%.0fx" % (p / c) if c and p else "-"))
    print("targets: C GCM within 10x of OpenSSL; C ECDSA within 20x of OpenSSL and >= 100x "
          "faster than the Python fallback")
    arm_sizes()
    hdlc_figures()
    timeline_figures()
    lp1_figures()
    unix32_heap_figures()
    board_images()
    qemu_figures()


if __name__ == "__main__":
    sys.exit(main())
