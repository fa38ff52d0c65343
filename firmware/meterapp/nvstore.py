# SPDX-License-Identifier: MIT
"""Power-fail-safe record store for small records (counters, registers, configuration, keys).

Each record has two slot files written alternately: MAGIC | seq u32 | len u16 | payload |
CRC-16/X.25 over seq..payload. A write never touches the slot holding the newest valid copy,
so a power loss at any instant leaves either the new or the previous value, never a torn
one. Works on any VFS (the unix port's directory, a board's LittleFS)."""
import os
from struct import pack_into, unpack_from

from micropython import const

from dlms.util.crc16 import fcs

MAGIC = b"KR"
HDR = const(8)  # magic(2) seq(4) len(2)
MAX_RECORD = const(1024)  # an X.509 certificate fits (KSMW 3.5.2)
_BUCKETS = const(8)  # the index in small dicts: no 1 KB table to find in a fragmented heap


def makedirs(path):
    """Create the folder and its parents (any VFS: no os.makedirs on MicroPython)."""
    p = ""
    for part in path.split("/"):
        if not part:
            continue
        # "/a/b" -> "/a", "/a/b" (a VFS mount such as /flash does not resolve "//a")
        p = p + "/" + part if p else ("/" + part if path.startswith("/") else part)
        try:
            os.mkdir(p)
        except OSError:
            pass  # exists


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class RecordStore:
    def __init__(self, root):
        self.root = root
        makedirs(root)
        self._buf = bytearray(HDR + MAX_RECORD + 2)
        # name -> seq << 1 | slot of the newest valid copy (a small int: no tuple per name),
        # in _BUCKETS dicts by name hash: the index grows at run time (profiles load their
        # records on first use) and one dict of 60+ names would need a table of about 1 KB
        self._seq = [{} for _ in range(_BUCKETS)]
        self.errors = 0  # records found with no valid copy (KSMW 5.7.3 ERR, event 14)

    def _index(self, name):
        return self._seq[hash(name) % _BUCKETS]

    def _path(self, name, slot):
        return "%s/%s.%d" % (self.root, name, slot)

    def _load(self, name, slot):
        """-> (seq, payload) of a slot, or None when missing, torn or corrupt."""
        try:
            with open(self._path(name, slot), "rb") as f:
                n = f.readinto(self._buf)
        except OSError:
            return None
        b = self._buf
        if n < HDR + 2 or bytes(b[0:2]) != MAGIC:
            return None
        seq, ln = unpack_from(">IH", b, 2)
        end = HDR + ln
        if ln > MAX_RECORD or n != end + 2:
            return None
        if fcs(b, 2, end) != (b[end] | (b[end + 1] << 8)):
            return None
        return seq, bytes(b[HDR:end])

    def read(self, name):
        best = None
        found = False
        for slot in (0, 1):
            r = self._load(name, slot)
            if r is None:
                found = found or _exists(self._path(name, slot))
            elif best is None or r[0] > best[0]:
                best = (r[0], r[1], slot)
        if best is None:
            if found:  # files but no valid copy: corrupt (a torn write leaves the other)
                self.errors += 1
            self._index(name)[name] = 1  # seq 0, slot 1
            return None
        self._index(name)[name] = best[0] << 1 | best[2]
        return best[1]

    def names(self, prefix=""):
        """Names of the records starting with prefix."""
        out = []
        for f in os.listdir(self.root):
            n = f[:-2]
            if f[-2:] in (".0", ".1") and n.startswith(prefix) and n not in out:
                out.append(n)
        return out

    def remove(self, name):
        """Power-fail safe: an empty record (read as absent) first, then the older slot,
        then the empty one; an interruption never brings an old copy back."""
        self.write(name, b"")
        slot = self._index(name)[name] & 1
        for sl in (slot ^ 1, slot):
            try:
                os.remove(self._path(name, sl))
            except OSError:
                pass
        self._index(name).pop(name, None)

    def write(self, name, payload):
        index = self._index(name)
        if name not in index:
            self.read(name)
        v = index[name]
        seq = (v >> 1) + 1
        # the other slot: the newest copy stays intact until this one is complete
        slot = (v & 1) ^ 1
        n = len(payload)
        if n > MAX_RECORD:
            raise ValueError("record too large")
        b = self._buf
        b[0:2] = MAGIC
        pack_into(">IH", b, 2, seq, n)
        b[HDR:HDR + n] = payload
        c = fcs(b, 2, HDR + n)
        b[HDR + n] = c & 0xFF
        b[HDR + n + 1] = c >> 8
        with open(self._path(name, slot), "wb") as f:
            f.write(memoryview(b)[: HDR + n + 2])
        index[name] = seq << 1 | slot


class PersistentCounter:
    """A counter that never repeats a value across resets (KSMW 3.5.4 frame counters): a
    window of `step` values is reserved in the store before any of them is used."""

    def __init__(self, store, name, step=64):
        self.store = store
        self.name = name
        self.step = step
        v = store.read(name)
        self.limit = unpack_from(">Q", v)[0] if v and len(v) == 8 else 0
        self.value = self.limit  # values up to the stored limit may have been used

    def _persist(self, limit):
        b = bytearray(8)
        pack_into(">Q", b, 0, limit)
        self.store.write(self.name, b)
        self.limit = limit

    def next(self):
        if self.value >= self.limit:
            self._persist(self.value + self.step)  # persisted before use
        self.value += 1
        return self.value

    def set(self, v):
        """Raise the counter (e.g. to a value seen elsewhere), persisting first."""
        if v > self.limit:
            self._persist(v)
        if v > self.value:
            self.value = v

    def reset(self):
        """Back to 0: only when its key is replaced (KSMW 3.5.4)."""
        self._persist(0)
        self.value = 0
