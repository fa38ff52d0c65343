#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate firmware/meterapp/catalog_table.py from the companion standard's object list
(tools/ksmw-objects.csv, a copy of the shared spec/ksmw-objects.csv): every object with class
and version, poly-phase flag; for the Data, Register and Extended register rows that
meterapp/catalog.py serves, the value type, scaler/unit, access and default (spec() below);
for the rows of the classes meterapp/catalog_build.py builds, their access rights and default
attributes, encoded here from the real objects (single- and poly-phase where they differ).
The board never reads the csv: the table is Python bytes constants, kept in flash (ROMFS).

    python3 tools/gen_catalog.py            # rewrite the table
    python3 tools/gen_catalog.py --check    # exit 1 when the committed table is stale
"""
import argparse
import csv
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "firmware"), os.path.join(ROOT, "host_tests", "cpython")]
CSV = os.path.join(ROOT, "tools", "ksmw-objects.csv")
OUT = os.path.join(ROOT, "firmware", "meterapp", "catalog_table.py")

# Errata settled here (docs/decisions.md): the Blue Book has no interface class 31; the
# KSMW 5.9.2 sag/swell/cut counters are Data (class 1, version 0) as in IDIS package 2.
CLASS_ERRATA = {(31, 0): (1, 0)}

# A-XDR tags and Blue Book units used below
NULL, BOOLEAN, UINT32, OCTET_STRING, INT16, UINT8, UINT16, ENUM, STRUCTURE = (
    0, 3, 6, 9, 16, 17, 18, 22, 2)
DEG, SEC, W, VA, VAR, A, V, HZ, NONE = 8, 7, 27, 28, 29, 33, 35, 44, 255
# spec flags (meterapp/catalog.py)
WR, RESET, LIVE, CONST = 1, 2, 4, 8
METROLOGY, FIRMWARE_ID = 1, 2  # live sources

# non-numeric defaults, referenced by index (flag CONST)
DEFAULTS = [
    "(9, b'')",  # empty octet-string
    # KSMW 5.16 certification mode {status, energy_res, demand_res, LED_source, LED_rate}
    "(2, [(3, False), (22, 0), (22, 0), (17, 0), (18, 0)])",
]
EMPTY, CERTIFICATION = 0, 1


def _o(s):
    a, rest = s.split("-")
    b, rest = rest.split(":")
    return tuple(int(x) for x in [a, b] + rest.split("."))


def spec(obis, cid):
    """(tag, aux, unit, flags, source, default) of a row meterapp/catalog.py builds as a
    lean Data/Register/Extended register, or None when the firmware defines the object
    elsewhere. aux: scaler of a register; for Data the maximum length of a string or the
    maximum value of an enum (0 = none)."""
    a, b, c, d, e, f = _o(obis)
    if cid == 4 and (a, c, d) == (0, 24, 2):  # KSMW 6.2 M-Bus values (later work: M-Bus)
        return (UINT32, 0, NONE, 0, 0, 0)
    if cid == 3 and a == 1 and d == 7:  # KSMW 5.9.1 instantaneous values
        q = (c - 1) % 20 + 1
        if c == 81:
            return (INT16, -1, DEG, LIVE, METROLOGY, 0)
        if c == 14:
            return (UINT16, -2, HZ, LIVE, METROLOGY, 0)
        if q == 12:
            return (UINT16, -1, V, LIVE, METROLOGY, 0)
        if q == 11 or c == 90:
            return (UINT16, -2, A, LIVE, METROLOGY, 0)
        if q == 13 or 84 <= c <= 87:
            return (UINT16, -3, NONE, LIVE, METROLOGY, 0)
        unit = {1: W, 2: W, 3: VAR, 4: VAR, 9: VA, 10: VA, 15: W}[q]
        return (UINT32, 0, unit, LIVE, METROLOGY, 0)
    if cid == 3 and a == 1 and d in (23, 24, 26):  # KSMW 5.9.4 averages, minima, maxima
        if c in (31, 51, 71):
            return (UINT16, -2, A, LIVE, METROLOGY, 0)
        return (UINT16, -1, V, LIVE, METROLOGY, 0)
    if cid == 3 and a == 1 and d in (33, 37, 41):  # last sag/swell/cut duration
        return (UINT32, -3, SEC, RESET, 0, 0)
    if cid == 3 and a == 1 and d in (34, 38):  # last sag/swell magnitude
        return (UINT16, -1, V, RESET, 0, 0)
    if cid == 3 and a == 1 and d == 2:  # KSMW 5.3 cumulative maximum demand
        return (UINT32, 0, W if c <= 2 else VAR, 0, 0, 0)
    cfg = {
        # KSMW 5.9.2 thresholds: EN 50160 limits (sag 90 %, swell 110 % of 230 V, cut 5 %),
        # time thresholds 30 s (IDIS / DSMR defaults); KSMW 5.9.3 long power failure 180 s
        "1-0:12.31.0.255": (UINT16, 0, NONE, WR, 0, 207),
        "1-0:12.43.0.255": (UINT16, 0, NONE, WR, 0, 30),
        "1-0:12.35.0.255": (UINT16, 0, NONE, WR, 0, 253),
        "1-0:12.44.0.255": (UINT16, 0, NONE, WR, 0, 30),
        "1-0:12.39.0.255": (UINT16, -1, V, WR, 0, 115),
        "1-0:12.45.0.255": (UINT16, 0, SEC, WR, 0, 30),
        "0-0:96.7.20.255": (UINT16, 0, SEC, WR, 0, 180),
        "0-0:96.7.21.255": (UINT16, 0, NONE, 0, 0, 0),
        "0-0:96.7.9.255": (UINT16, 0, NONE, 0, 0, 0),
        # KSMW 5.9.4 measurement period 3 (s): the power quality profile's default period
        "1-0:0.8.2.255": (UINT16, 0, NONE, WR, 0, 600),
        # KSMW 5.5 default tariffication script: selector of script table 0-0:10.0.100.255
        "0-0:96.14.15.255": (UINT16, 0, NONE, WR, 0, 1),
        # KSMW 5.7.2, 5.15.1 opt-in status, LP display status: bit 0 LP1, bit 1 LP2
        "0-0:96.5.3.255": (UINT8, 0, NONE, 0, 0, 3),
        "0-0:96.5.4.255": (UINT8, 0, NONE, 0, 0, 3),
        # KSMW 5.15.2 consumer message: up to 64 printable characters, empty = no message
        "0-0:96.13.1.255": (OCTET_STRING, 64, NONE, WR | CONST, 0, EMPTY),
        # KSMW 5.15.3 tariffication scheme: 0 central (default), 1 local
        "0-0:94.43.142.255": (ENUM, 1, NONE, WR, 0, 0),
        "0-0:94.43.143.255": (STRUCTURE, 0, NONE, WR | CONST, 0, CERTIFICATION),
        # KSMW 7 firmware parts B = 1 (application), 2 (communication module); signatures
        # come with the image transfer (later work)
        "1-1:0.2.0.255": (OCTET_STRING, 0, NONE, LIVE, FIRMWARE_ID, 0),
        "1-2:0.2.0.255": (OCTET_STRING, 0, NONE, LIVE, FIRMWARE_ID, 0),
        "1-0:0.2.8.255": (OCTET_STRING, 0, NONE, CONST, 0, EMPTY),
        "1-1:0.2.8.255": (OCTET_STRING, 0, NONE, CONST, 0, EMPTY),
        "1-2:0.2.8.255": (OCTET_STRING, 0, NONE, CONST, 0, EMPTY),
        # KSMW 9: error, alarm, filter, descriptor registers (IDIS double-long-unsigned bit
        # fields); registers and descriptors cleared, filters set by the head-end
        "0-0:97.97.0.255": (UINT32, 0, NONE, WR, 0, 0),
        "0-0:97.97.128.255": (UINT32, 0, NONE, 0, 0, 0),
    }
    if obis in cfg:
        return cfg[obis]
    if cid == 1 and a == 1 and c in (32, 52, 72) and d in (32, 36, 40):
        # KSMW 5.9.2 numbers of sags, swells, cuts (class 31 in print)
        return (UINT16, 0, NONE, 0, 0, 0)
    if cid == 1 and (a, c, d) == (0, 97, 98):  # alarm registers, filters, descriptors
        return (UINT32, 0, NONE, WR, 0, 0)
    if cid == 1 and (a, c, d) == (0, 16, 1):  # alarm monitors (later work: push on alarm)
        return (UINT32, 0, NONE, 0, 0, 0)
    if cid == 1 and a == 0 and b in (1, 2, 3, 4) and (c, d) == (96, 1):  # KSMW 6.1
        return (OCTET_STRING, 0, NONE, CONST, 0, EMPTY)
    return None


# Objects the standard names outside the csv's tables (docs/decisions.md): the tariff rate
# registers of KSMW 5.5 Table 22 (T1, T2 of +A, -A, +R, -R), which the register activation
# switches and the billing profile (5.6) captures.
EXTRA = [("1-0:%d.8.%d.255" % (c, e), 3, 0, False, "5.5") for c in (1, 2, 3, 4) for e in (1, 2)]
# IDIS communication objects the KSMW tables do not list (docs/decisions.md): the TCP-UDP
# setup of the TCP wrapper port (IC 41, IDIS P3 7.2.1.1), built by meterapp/objects.py.
EXTRA += [("0-0:25.0.0.255", 41, 0, False, "IDIS P3 7.2.1.1")]


def rows(path=CSV, extra=True):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            cid, ver = CLASS_ERRATA.get((int(r["class_id"]), int(r["version"])),
                                        (int(r["class_id"]), int(r["version"])))
            out.append((r["obis"], cid, ver, r["phases"] == "poly", r["section"]))
    return out + (EXTRA if extra else [])


class _Env:
    """What the builders need (meterapp/catalog.py at run time)."""

    def __init__(self, phases):
        self.phases = phases

    def resolve(self, ln):
        return None

    materialize = resolve

    def run_script(self, ln, selector):
        return 0

    def tariff_changed(self, ra):
        pass

    @staticmethod
    def later_work(script_id, ctx):
        return 250

    @staticmethod
    def now12():
        return b"\xff" * 9 + b"\x80\x00\xff"  # not specified: nothing measured yet


def _ids(t, what):
    n = len(t)
    if tuple(t) != tuple(range(1, n + 1)):
        raise ValueError("%s are not 1..n: %r" % (what, t))
    return n


def _attrs(o):
    """Encoded attributes 2..n of a real object (each must read at its defaults)."""
    from dlms.apdu.axdr import Writer

    out = []
    for a in o.ATTRS[1:]:
        w = Writer(8192)
        r = o.get(a, w, None)
        if not isinstance(r, int):
            for _ in r:
                pass
            r = 0
        if r:
            raise ValueError("%r attribute %d: result %d" % (o, a, r))
        out.append(bytes(w.mv[:w.pos]))
    return out


def encode(ln, cid):
    """ENC record of a row built by meterapp/catalog_build.py, or None for other classes."""
    from meterapp import catalog_build

    if cid not in catalog_build.CLASSES:
        return None
    objs = [catalog_build.build(_Env(p), bytes(ln), cid) for p in (3, 1)]
    o = objs[0]
    n = _ids(o.ATTRS, "attributes")
    m = _ids(o.METHODS, "methods")
    wmask = sum(1 << (a - 1) for a in o.WRITABLE)
    lmask = sum(1 << (a - 1) for a in o.LOCAL_METHODS)
    sets = [_attrs(x) for x in objs]
    if sets[0] == sets[1]:
        sets = sets[:1]
    rec = struct.pack(">BHBBB", n, wmask, m, lmask, len(sets))
    for enc in sets:
        for b in enc:
            rec += struct.pack(">H", len(b)) + b
    return rec


def generate(path=CSV):
    specs = []
    ln = bytearray()
    row = bytearray()
    enc = bytearray()
    lines = []
    for obis, cid, ver, poly, section in rows(path):
        s = spec(obis, cid)
        k = 0
        if s is not None:
            if s not in specs:
                specs.append(s)
            k = specs.index(s) + 1
        e = encode(_o(obis), cid)
        off = 0xFFFF
        if e is not None:
            off = len(enc)
            enc += e
        ln += bytes(_o(obis))
        row += struct.pack(">HBBBH", cid, ver, 1 if poly else 0, k, off)
        lines.append("#   %3d %-20s class %5d v%d%s%s (%s)" % (
            len(lines), obis, cid, ver, " poly" if poly else "",
            " spec %d" % k if k else " defaults %d" % off if e else "",
            section if section.startswith("IDIS") else "KSMW " + section))
    spec_b = b"".join(struct.pack(">BbBBBi", *s) for s in specs)
    src = [
        "# SPDX-License-Identifier: MIT",
        "# Generated by tools/gen_catalog.py from tools/ksmw-objects.csv: do not edit.",
        '"""Every object of the KSMW-PA2502 tables (spec/ksmw-objects.csv, errata of',
        "docs/decisions.md applied), for meterapp/catalog.py.",
        "",
        "LN: 6-byte logical names, csv order. ROW: 7 bytes per row: class_id (2), version,",
        "flags (bit 0: poly-phase only), spec (k: SPEC record k - 1, 0: none), ENC offset (2,",
        "0xFFFF: none). Rows with neither are built elsewhere in the firmware.",
        "SPEC: 9 bytes per record: A-XDR tag, aux (scaler; for Data the maximum string length",
        "or enum value), unit, flags (1 writable, 2 reset, 4 live, 8 default is",
        "DEFAULTS[default]), live source (1 metrology, 2 firmware id), default (int32).",
        "ENC: per row of the classes of meterapp/catalog_build.py: number of attributes,",
        "writable mask (2), number of methods, local methods mask, number of variants (1, or 2:",
        "poly-phase then single-phase), then per variant each attribute 2..n as length (2) and",
        'its A-XDR encoding at the defaults."""',
        "",
        "N = %d" % (len(ln) // 6),
        "LN = %r" % bytes(ln),
        "ROW = %r" % bytes(row),
        "SPEC = %r" % spec_b,
        "DEFAULTS = (%s)" % "".join(d + ", " for d in DEFAULTS),
        "ENC = %r" % bytes(enc),
        "",
        "# rows:",
    ] + lines
    return "\n".join(src) + "\n"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        _fail(message)


def _fail(message):
    sys.stderr.write("gen_catalog: %s\n" % message)
    sys.exit(2)


def main():
    p = _Parser(description=__doc__.split("\n")[0])
    p.add_argument("--csv", default=CSV)
    p.add_argument("--out", default=OUT)
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    try:
        text = generate(a.csv)
    except OSError as e:
        _fail("--csv %s: %s" % (a.csv, e.strerror or e))
    try:
        if a.check:
            with open(a.out, encoding="utf-8") as f:
                if f.read() != text:
                    print("%s is stale: run tools/gen_catalog.py" % a.out)
                    return 1
            return 0
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        _fail("--out %s: %s" % (a.out, e.strerror or e))
    print("catalog: %s, %d rows" % (a.out, text.count("\n#   ")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
