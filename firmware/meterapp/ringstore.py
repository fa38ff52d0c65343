# SPDX-License-Identifier: MIT
"""Ring stores of fixed-size records for profile buffers (Blue Book 4.3.6, sort FIFO).

A record is  seq u32 | time u32 | payload | CRC-16/X.25 (little-endian) over seq..payload.
seq counts the captures of one generation from 1; time is the meter's UTC seconds since
2020-01-01 (dlms/util/timeconv.py: a 31-bit small int until 2054, so comparisons never
allocate on a 32-bit board). The buffer holds the last `cap` sequence numbers; entry k (1 = oldest) is
seq head - entries + k, stored in slot (seq - 1) % P.

FileRing keeps P = nseg * n slots in nseg segment files `<root>/<name hex>/<i>` of n records,
behind a 10-byte header  'KS' | gen u16 | record size u16 | n u16 | CRC-16. A segment is
truncated and rewritten from its first slot when the ring comes back to it, so every write is
an append or a whole-file rewrite (flash file systems copy on write: LittleFS rewrites a file
from the changed block on); one spare segment (P >= cap + n) keeps exactly `cap` entries
readable while a segment restarts. Power loss at any instant loses at most the record being
written: the head is recovered from the records (highest valid seq of the segment whose first
record is newest; a torn record fails its CRC), earlier records are never touched.

One segment file stays open for reading between rows (module-wide: requests are served one at
a time; a read that moves to another ring or segment reopens, a write closes it first).

RamRing holds the records in one bytearray allocated at the first append (tests, boards
without a file system): nothing survives a restart and the capacity is capped by a budget.
"""
import os
from struct import pack_into

from micropython import const

from dlms.util.crc16 import fcs
from meterapp.nvstore import makedirs

REC_HDR = const(8)  # seq(4) time(4); the CRC closes the record
REC_OVERHEAD = const(10)
SEG_HDR = const(10)
SEG_BYTES = const(4096)  # a flash erase block: one segment rewrite per lap of its records


_RD = [None, -1, None]  # the open reader: ring, segment, file


def _u32(b, o):
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]


def raw_time(t):
    """Meter seconds -> the record's time field (0 before 2020)."""
    return t if t > 0 else 0


def record_time(rec):
    """Time field of a record (raw, see raw_time)."""
    return _u32(rec, 4)


class _Ring:
    rsize = 0
    cap = 0
    head = 0  # seq of the newest record, 0 = empty

    def entries(self):
        return self.head if self.head < self.cap else self.cap

    def first(self):
        """seq of entry 1 (the oldest)."""
        return self.head - self.entries() + 1

    def _seal(self, rec, t):
        seq = self.head + 1
        r = self.rsize
        pack_into(">II", rec, 0, seq, raw_time(t))
        c = fcs(rec, 0, r - 2)
        rec[r - 2] = c & 0xFF
        rec[r - 1] = c >> 8
        return seq

    def check(self, rec, seq):
        r = self.rsize
        return _u32(rec, 0) == seq and fcs(rec, 0, r - 2) == rec[r - 2] | (rec[r - 1] << 8)


class RamRing(_Ring):
    def __init__(self, budget=2048):
        self.budget = budget
        self.buf = None

    def configure(self, rsize, cap, gen, fresh=True):
        """-> the capacity held (capped by the budget). RAM is always fresh."""
        self.rsize = rsize
        n = self.budget // rsize
        self.cap = cap if cap < n else n
        self.head = 0
        self.buf = None
        return self.cap

    def append(self, rec, t):
        if self.cap == 0:
            raise OSError(28)  # ENOSPC
        if self.buf is None:
            self.buf = bytearray(self.cap * self.rsize)
        seq = self._seal(rec, t)
        off = ((seq - 1) % self.cap) * self.rsize
        self.buf[off:off + self.rsize] = rec
        self.head = seq

    def read(self, seq, rec):
        """Record `seq` into rec (len = record size) -> True when present and intact.
        Copies byte by byte: a slice would allocate on the read path."""
        if self.buf is None or seq < self.first() or seq > self.head:
            return False
        b = self.buf
        off = ((seq - 1) % self.cap) * self.rsize
        for i in range(self.rsize):
            rec[i] = b[off + i]
        return self.check(rec, seq)

    def done(self):
        pass


class FileRing(_Ring):
    gen = 0
    n = 1  # records per segment
    slots = 0  # P = segments * n

    def __init__(self, root, name):
        """root: a folder of the board's store (shared by the rings); name: bytes (the
        profile's logical name) naming this ring's sub-folder."""
        self.root = root
        self.name = name

    def _dir(self):
        return self.root + "/" + "".join("%02x" % b for b in self.name)

    def _path(self, seg):
        return "%s/%d" % (self._dir(), seg)

    def configure(self, rsize, cap, gen, fresh):
        """Geometry for `cap` records of `rsize` bytes in generation `gen`; fresh: drop
        every stored record, else recover the head from the files. -> capacity."""
        self.done()
        self.rsize = rsize
        self.cap = cap
        self.gen = gen
        n = SEG_BYTES // rsize
        q = (cap + 3) // 4  # at most a quarter of the entries per segment: small spare
        n = n if n < q else q
        n = n if n > 0 else 1
        self.n = n
        self.slots = ((cap + n - 1) // n + 1) * n
        self.head = 0
        if fresh:
            self._clear()
        else:
            self._scan()
        return cap

    def _clear(self):
        d = self._dir()
        makedirs(d)
        try:
            names = os.listdir(d)
        except OSError:
            return
        for f in names:
            try:
                os.remove(d + "/" + f)
            except OSError:
                pass

    def _seg_header(self):
        h = bytearray(SEG_HDR)
        h[0] = 0x4B
        h[1] = 0x53
        pack_into(">HHH", h, 2, self.gen, self.rsize, self.n)
        c = fcs(h, 0, 8)
        h[8] = c & 0xFF
        h[9] = c >> 8
        return h

    def _scan(self):
        r = self.rsize
        n = self.n
        slots = self.slots
        want = self._seg_header()
        hdr = bytearray(SEG_HDR)
        rec = bytearray(r)
        best = -1
        bseq = 0
        for seg in range(slots // n):
            try:
                f = open(self._path(seg), "rb")
            except OSError:
                continue
            try:
                if f.readinto(hdr) == SEG_HDR and hdr == want and f.readinto(rec) == r:
                    seq = _u32(rec, 0)
                    if seq > bseq and (seq - 1) % slots == seg * n and self.check(rec, seq):
                        best = seg
                        bseq = seq
            finally:
                f.close()
        if best < 0:
            return
        head = bseq
        with open(self._path(best), "rb") as f:
            cnt = (f.seek(0, 2) - SEG_HDR) // r
            idx = (cnt if cnt < n else n) - 1
            while idx > 0:  # the newest intact record; a torn tail is simply absent
                f.seek(SEG_HDR + idx * r)
                if f.readinto(rec) == r and self.check(rec, bseq + idx):
                    head = bseq + idx
                    break
                idx -= 1
        self.head = head

    def append(self, rec, t):
        """Seal rec (seq, time, CRC) and write it as the newest record."""
        self.done()
        seq = self._seal(rec, t)
        slot = (seq - 1) % self.slots
        seg = slot // self.n
        idx = slot % self.n
        path = self._path(seg)
        if idx == 0:  # a new lap of this segment: rewrite it from the start
            makedirs(self._dir())
            with open(path, "wb") as f:
                f.write(self._seg_header())
                f.write(rec)
        else:
            try:
                f = open(path, "r+b")
            except OSError:  # lost segment: start it again (its older slots read as absent)
                f = open(path, "wb")
                f.write(self._seg_header())
            try:
                f.seek(SEG_HDR + idx * self.rsize)
                f.write(rec)
            finally:
                f.close()
        self.head = seq

    def read(self, seq, rec):
        """Record `seq` into rec (len = record size) -> True when present and intact.
        Allocates only when it moves to another segment file."""
        if seq < self.first() or seq > self.head:
            return False
        slot = (seq - 1) % self.slots
        seg = slot // self.n
        rd = _RD
        f = rd[2]
        if f is None or rd[0] is not self or rd[1] != seg:
            _close()
            try:
                f = open(self._path(seg), "rb")
            except OSError:
                return False
            rd[0] = self
            rd[1] = seg
            rd[2] = f
        try:
            f.seek(SEG_HDR + (slot % self.n) * self.rsize)
            if f.readinto(rec) != self.rsize:
                return False
        except OSError:
            return False
        return self.check(rec, seq)

    def done(self):
        """End of a read (or before a write): close the reader if it is this ring's."""
        if _RD[0] is self:
            _close()


def _close():
    f = _RD[2]
    _RD[0] = None
    _RD[1] = -1
    _RD[2] = None
    if f is not None:
        try:
            f.close()
        except OSError:
            pass
