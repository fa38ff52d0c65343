# SPDX-License-Identifier: MIT
"""Record store and persistent counters (power-fail safety is exercised with SIGKILL in
host_tests/integration/test_powerfail.py)."""
import os

from meterapp.nvstore import PersistentCounter, RecordStore

ROOT = "build/test-nvstore"


def _clean():
    try:
        for f in os.listdir(ROOT):
            os.remove(ROOT + "/" + f)
    except OSError:
        pass


def test_records_alternate_slots_and_survive_a_torn_write():
    _clean()
    s = RecordStore(ROOT)
    assert s.read("x") is None
    s.write("x", b"one")
    s.write("x", b"two")
    assert RecordStore(ROOT).read("x") == b"two"
    # tear the slot that would be written next: the newest copy stays readable
    with open(ROOT + "/x.1", "rb") as f:
        newest = f.read()
    with open(ROOT + "/x.0", "wb") as f:
        f.write(newest[:5])
    assert RecordStore(ROOT).read("x") == b"two"
    # corrupt the newest slot: the previous value comes back
    with open(ROOT + "/x.1", "wb") as f:
        f.write(newest[:-1] + bytes((newest[-1] ^ 1,)))
    s2 = RecordStore(ROOT)
    assert s2.read("x") is None or s2.read("x") == b"one"


def test_counter_never_repeats_after_restart():
    _clean()
    c = PersistentCounter(RecordStore(ROOT), "fc", step=8)
    used = [c.next() for _ in range(11)]
    assert used == list(range(1, 12))
    c2 = PersistentCounter(RecordStore(ROOT), "fc", step=8)  # restart without clean shutdown
    assert c2.next() > max(used)
    c2.reset()
    assert PersistentCounter(RecordStore(ROOT), "fc").next() == 1
