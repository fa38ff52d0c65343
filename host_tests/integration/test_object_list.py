# SPDX-License-Identifier: MIT
"""The association object list against the companion standard (issue #6): the simulated
poly-phase meter lists every row of spec/ksmw-objects.csv (tools/ksmw-objects.csv) with its
class and version, the single-phase meter every row without `poly`; every attribute of every
object answers a GET with data or a data-access-result (gurux-dlms as the management client
over the TCP wrapper), and dlms-cosem reads the same list raw."""
import csv
import os

import pytest
from dlms_cosem.parsers import AssociationObjectListParser

from client_errors import DataAccessError
from conftest import ROOT, Meter
from dc_client import parse_object_list
from test_interop_cosem import management as dc_management
from test_interop_gurux import management

ASSOCIATION = "0-0:40.0.0.255"
LDN = "0-0:42.0.0.255"
CSV = os.path.join(ROOT, "tools", "ksmw-objects.csv")
# docs/decisions.md: the Blue Book has no interface class 31; the KSMW 5.9.2 counters of
# sags, swells and cuts are Data (class 1, version 0) as in IDIS package 2
ERRATA = {(31, 0): (1, 0)}
# Data-Access-Result values (Green Book 9.3; dlms-notes 4.5)
RESULTS = set(range(0, 20)) | {250}


_FIXED = {0: 0, 3: 1, 5: 4, 6: 4, 13: 1, 15: 1, 16: 2, 17: 1, 18: 2, 20: 8, 21: 8, 22: 1,
          23: 4, 24: 8, 25: 12, 26: 5, 27: 4}


def _length(b, i):
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def skip(b, i=0):
    """Offset after the A-XDR Data at b[i] (dlms-notes 1; dlms-cosem cannot decode every type,
    e.g. bit-strings); IndexError/ValueError when it is not well formed."""
    tag = b[i]
    if tag in _FIXED:
        end = i + 1 + _FIXED[tag]
    elif tag in (1, 2):  # array, structure
        n, i = _length(b, i + 1)
        for _ in range(n):
            i = skip(b, i)
        end = i
    elif tag == 4:  # bit-string: length in bits
        n, i = _length(b, i + 1)
        end = i + (n + 7) // 8
    elif tag in (9, 10, 12):
        n, i = _length(b, i + 1)
        end = i + n
    else:
        raise ValueError("tag %d" % tag)
    if end > len(b):
        raise IndexError("truncated")
    return end


def csv_rows(poly=True):
    """[(class_id, version, obis)] of the csv, errata applied, in csv order."""
    out = []
    with open(CSV, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["phases"] == "poly" and not poly:
                continue
            cv = (int(r["class_id"]), int(r["version"]))
            out.append(ERRATA.get(cv, cv) + (r["obis"],))
    return out


@pytest.fixture(scope="module")
def meter():
    m = Meter()
    yield m
    assert m.alive(), "the firmware died"
    m.stop()


@pytest.fixture(scope="module")
def single_phase_meter():
    m = Meter(args=("--single-phase",))
    yield m
    m.stop()


# KSMW 5.5 Table 22 tariff rate registers: named by the standard, not in the csv
# (docs/decisions.md)
EXTRA = [(3, 0, "1-0:%d.8.%d.255" % (c, e)) for c in (1, 2, 3, 4) for e in (1, 2)]
# IDIS communication objects beside the csv rows: TCP-UDP setup (IC 41 v0, IDIS P3 7.2.1.1)
IDIS = [(41, 0, "0-0:25.0.0.255")]
EXTRA += IDIS


def check_list(listed, poly):
    want = csv_rows(poly)
    assert len(want) == (302 if poly else 256)
    want += EXTRA
    assert len(set(listed)) == len(listed), "an object is listed twice"
    by_ln = {ln: (c, v) for c, v, ln in listed}
    for c, v, ln in want:  # row by row: class id, version, logical name
        assert by_ln.get(ln) == (c, v), (ln, c, v, by_ln.get(ln))
    assert len(listed) == len(want)


def test_object_list_holds_every_csv_row(meter):
    with management(meter, "tcp") as m:
        m.associate()
        listed = m.object_list()
        assert m.get(1, LDN, 2) == b"KFM2000100000001"  # KSMW 5.1: poly-phase type 200
        m.release()
    check_list(listed, True)


def test_single_phase_object_list(single_phase_meter):
    with management(single_phase_meter, "tcp") as m:
        m.associate()
        listed = m.object_list()
        assert m.get(1, LDN, 2) == b"KFM1000100000001"  # type 100
        m.release()
    check_list(listed, False)
    assert (3, 0, "1-0:52.7.0.255") not in listed  # voltage L2


def test_every_attribute_of_every_object_answers(meter):
    """One GET per attribute of every listed object: data (one well-formed A-XDR value) or a
    data-access-result; the association and the firmware survive all of them."""
    with management(meter, "tcp") as m:
        m.associate()
        m.object_list()
        entries = parse_object_list(m.object_list_raw)
        assert len(entries) == 302 + len(EXTRA)
        answered = refused = 0
        for class_id, _version, ln, rights in entries:
            for attr in [a[0] for a in rights[0]]:
                try:
                    raw = m.get_raw(class_id, ln, attr)
                except DataAccessError as e:
                    assert e.result in RESULTS, (ln, attr, e.result)
                    readable = [a[1] & 1 for a in rights[0] if a[0] == attr][0]
                    assert not readable, (ln, attr, e.result)  # listed readable: data
                    refused += 1
                    continue
                assert skip(raw) == len(raw), (ln, attr, raw.hex())  # one Data value
                answered += 1
        # only the seven Association LN secrets (attribute 7) are not readable
        assert refused == 7 and answered + refused == sum(len(e[3][0]) for e in entries)
        assert m.get(1, LDN, 2) == b"KFM2000100000001"
        m.release()
    assert meter.alive()


def test_dlms_cosem_reads_the_object_list_raw(meter):
    with dc_management(meter) as m:
        m.associate()
        raw = m.get_raw(15, ASSOCIATION, 2)
        m.release()
    with pytest.raises(ValueError):  # its own parser knows no class 12544 (docs/client-notes.md)
        AssociationObjectListParser.parse_bytes(raw)
    listed = [(c, v, ln) for c, v, ln, _ in parse_object_list(raw)]
    check_list(listed, True)
