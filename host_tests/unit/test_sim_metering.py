# SPDX-License-Identifier: MIT
"""Load curve files of the host metering (hal/sim_metering.py parse_curve, --load-curve):
good curves, and bad lines refused with a ValueError naming the line."""
from hal.sim_metering import parse_curve


def refused(text):
    """The message of the ValueError parse_curve raises for text."""
    try:
        parse_curve(text)
    except ValueError as e:
        return str(e)
    raise AssertionError("accepted: %r" % text)


def test_curve_parsed_sorted_with_comments():
    text = "# PV\n10:00, 0, 1500, 0, 90  # noon\n\n00:00, 2300, 0, 400, 0\r\n16:00,2300,0,400,0\n"
    assert parse_curve(text) == ((0, 2300, 0, 400, 0), (36000, 0, 1500, 0, 90),
                                 (57600, 2300, 0, 400, 0))
    assert parse_curve("23:59, 0, 0, 0, 0") == ((86340, 0, 0, 0, 0),)
    assert parse_curve("7:05, 1, 2, 3, 4") == ((25500, 1, 2, 3, 4),)


def test_time_out_of_range_names_the_line():
    e = refused("00:00, 1, 0, 0, 0\n25:99, 1, 2, 3, 4\n")
    assert e.startswith("line 2: ") and "hour 25" in e, e
    e = refused("# x\n00:60, 1, 0, 0, 0\n")
    assert e.startswith("line 2: ") and "minute 60" in e, e
    for t in ("24:00", "-1:00", "00:-5", "0000", "1:2:3", "aa:bb", "100:00", ":"):
        e = refused(t + ", 1, 0, 0, 0")
        assert e.startswith("line 1: "), (t, e)


def test_powers_non_negative_integers():
    for p in ("-5", "1.5", "", "x", "+5", "1e3"):
        e = refused("00:00, 1, 0, %s, 0" % p)
        assert e.startswith("line 1: ") and "+Q" in e, (p, e)
    e = refused("00:00, -2300, 0, 0, 0")
    assert "non-negative" in e, e


def test_five_fields():
    assert refused("00:00, 1, 0, 0").startswith("line 1: 4 fields")
    assert refused("00:00, 1, 0, 0, 0, 0").startswith("line 1: 6 fields")


def test_each_time_once():
    e = refused("00:00, 1, 0, 0, 0\n06:00, 1, 0, 0, 0\n0:00, 2, 0, 0, 0\n")
    assert e.startswith("line 3: ") and "line 1" in e, e


def test_empty_curve_refused():
    assert "no step" in refused("# nothing\n\n")
    assert "no step" in refused("")
