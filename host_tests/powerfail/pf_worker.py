# SPDX-License-Identifier: MIT
"""Power-fail worker (MicroPython): commits counter reservations and register records in a
loop through the firmware's power-fail-safe store, printing each value once it is durable;
the driver (host_tests/integration/test_powerfail.py) kills it with SIGKILL at random
instants and checks the store after every restart.

    micropython pf_worker.py STATE_DIR verify|run

verify prints 'V <register> <counter> <head> <entries> <bad>' for the store as found (no
writes but the counter's first reservation): the profile ring's head, its entries and how
many of them fail to read back intact with the expected content; run loops forever printing
'R n', 'C n' and 'P seq' (a profile capture: a 36-byte row in a ring of 50 entries, so
segments are rewritten lap after lap)."""
import sys
from struct import pack, pack_into, unpack_from

from meterapp.nvstore import PersistentCounter, RecordStore
from meterapp.ringstore import REC_OVERHEAD, FileRing

ROW = 36
CAP = 50


def row(rec, seq):
    for i in range(ROW // 4):  # deterministic payload of capture seq
        pack_into(">I", rec, 8 + 4 * i, seq * 1000 + i)


def main(root, mode):
    store = RecordStore(root)
    reg = store.read("reg")
    n = unpack_from(">I", reg)[0] if reg and len(reg) == 4 else 0
    ctr = PersistentCounter(store, "fc", step=8)
    c = ctr.next()
    ring = FileRing(root + "/ring", b"LP")
    ring.configure(ROW + REC_OVERHEAD, CAP, 1, False)
    rec = bytearray(ROW + REC_OVERHEAD)
    want = bytearray(ROW + REC_OVERHEAD)
    bad = 0
    for seq in range(ring.first(), ring.head + 1):
        row(want, seq)
        if not ring.read(seq, rec) or rec[8:8 + ROW] != want[8:8 + ROW] \
                or unpack_from(">I", rec, 4)[0] != seq * 900:
            bad += 1
    ring.done()
    print("V %d %d %d %d %d" % (n, c, ring.head, ring.entries(), bad))
    if mode != "run":
        return
    while True:
        n += 1
        store.write("reg", pack(">I", n))
        print("R %d" % n)
        c = ctr.next()
        print("C %d" % c)
        seq = ring.head + 1
        row(rec, seq)
        ring.append(rec, seq * 900)  # record time field: meter seconds (since 2020)
        print("P %d" % seq)


main(sys.argv[1], sys.argv[2])
