# SPDX-License-Identifier: MIT
"""Power-fail worker (MicroPython): commits counter reservations and register records in a
loop through the firmware's power-fail-safe store, printing each value once it is durable;
the driver (host_tests/integration/test_powerfail.py) kills it with SIGKILL at random
instants and checks the store after every restart.

    micropython pf_worker.py STATE_DIR verify|run

verify prints 'V <register> <counter>' for the store as found (no writes but the
counter's first reservation); run loops forever printing 'R n' and 'C n'."""
import sys
from struct import pack, unpack_from

from meterapp.nvstore import PersistentCounter, RecordStore


def main(root, mode):
    store = RecordStore(root)
    reg = store.read("reg")
    n = unpack_from(">I", reg)[0] if reg and len(reg) == 4 else 0
    ctr = PersistentCounter(store, "fc", step=8)
    c = ctr.next()
    print("V %d %d" % (n, c))
    if mode != "run":
        return
    while True:
        n += 1
        store.write("reg", pack(">I", n))
        print("R %d" % n)
        c = ctr.next()
        print("C %d" % c)


main(sys.argv[1], sys.argv[2])
