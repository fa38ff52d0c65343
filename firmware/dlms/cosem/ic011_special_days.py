# SPDX-License-Identifier: MIT
"""IC 11 Special days table, version 0 (Blue Book 4.5.4): entries {index, specialday_date,
day_id}; methods 1 insert, 2 delete. lookup() gives the day_id an activity calendar uses
instead of its week profile on that date (Blue Book 4.5.5).

Entries live in one bytearray, 8 bytes each (index, date, day_id), sorted by index, grown 16
entries at a time up to the capacity: KSMW 5.5 asks for 200 entries = 1.6 KB per full table;
an empty table takes none (the meter has three, most stay empty or short).
"""
from micropython import const

from dlms.apdu import axdr
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)
from dlms.util import dtpattern as dp

CAPACITY = const(200)  # KSMW 5.5: Austrian fixed and movable holidays until 2050
_REC = const(8)  # index(2) date(5) day_id(1)
_BATCH = const(16)  # entries written per generator step (~14 bytes each)
_GROW = const(16)  # entries added to the buffer when it is full


def _entry(d):
    """(index, date, day_id) of a decoded spec_day_entry, or None on a type error."""
    if d[0] != axdr.STRUCTURE or len(d[1]) != 3:
        return None
    i, dt, day = d[1]
    if i[0] != axdr.UINT16 or day[0] != axdr.UINT8:
        return None
    if dt[0] not in (axdr.OCTET_STRING, axdr.DATE) or len(dt[1]) != 5:
        return None
    return i[1], dt[1], day[1]


class SpecialDaysTable(CosemObject):
    CLASS_ID = 11
    VERSION = 0
    ATTRS = (1, 2)
    WRITABLE = (2,)
    METHODS = (1, 2)

    def __init__(self, ln, capacity=CAPACITY, on_change=None):
        """on_change(table) after every modification (persistence, calendar re-evaluation)."""
        super().__init__(ln)
        self.capacity = capacity
        self.buf = bytearray()
        self.n = 0
        self.version = 0  # bumped on every change: calendars cache their lookups by it
        self.on_change = on_change

    # --- application API ---
    def entries(self):
        """Iterator of (index, date bytes, day_id), sorted by index."""
        b = self.buf
        for k in range(self.n):
            o = k * _REC
            yield (b[o] << 8) | b[o + 1], bytes(b[o + 2:o + 7]), b[o + 7]

    def _find(self, index, date):
        b = self.buf
        hi = index >> 8
        lo = index & 0xFF
        for k in range(self.n):
            o = k * _REC
            if b[o] == hi and b[o + 1] == lo:
                return k
            if date is not None and b[o + 2] == date[0] and b[o + 3] == date[1] and (
                    b[o + 4] == date[2] and b[o + 5] == date[3] and b[o + 6] == date[4]):
                return k
        return -1

    def _remove(self, k):
        b = self.buf
        end = self.n * _REC
        o = k * _REC
        b[o:end - _REC] = b[o + _REC:end]
        self.n -= 1

    def insert(self, index, date, day_id):
        """Blue Book 4.5.4 insert: an entry with the same index or the same date is
        overwritten. -> result code (other-reason: bad date or table full)."""
        if len(date) != 5 or not dp.date_ok(date) or not 0 <= index <= 0xFFFF or (
                not 0 <= day_id <= 0xFF):
            return OTHER_REASON
        while True:  # drop entries with the same index or the same date (both may exist)
            k = self._find(index, date)
            if k < 0:
                break
            self._remove(k)
        if self.n >= self.capacity:  # (a removal above always leaves room)
            return OTHER_REASON
        self._put(index, date, day_id)
        self._changed()
        return SUCCESS

    def _put(self, index, date, day_id):
        b = self.buf
        if len(b) < (self.n + 1) * _REC:  # grown in place (the same bytearray)
            b.extend(bytes(min(_GROW, self.capacity - self.n) * _REC))
        k = 0
        while k < self.n and ((b[k * _REC] << 8) | b[k * _REC + 1]) < index:
            k += 1
        o = k * _REC
        end = self.n * _REC
        if o < end:  # shift the tail up one record
            b[o + _REC:end + _REC] = b[o:end]
        b[o] = index >> 8
        b[o + 1] = index & 0xFF
        b[o + 2:o + 7] = date
        b[o + 7] = day_id
        self.n += 1

    def delete(self, index):
        """Blue Book 4.5.4 delete by index; an unknown index deletes nothing (success)."""
        k = self._find(index, None)
        if k >= 0:
            self._remove(k)
            self._changed()
        return SUCCESS

    def clear(self):
        self.n = 0
        self._changed()

    def _changed(self):
        self.version += 1
        if self.on_change is not None:
            self.on_change(self)

    def lookup(self, y, mo, d, wd):
        """day_id of the special day matching the date (wildcards allowed), or None. An entry
        with an explicit year wins over a recurring one; else the lowest index."""
        b = self.buf
        best = None
        for k in range(self.n):
            o = k * _REC
            if dp.date_match(b, o + 2, y, mo, d, wd):
                if b[o + 2] != 0xFF or b[o + 3] != 0xFF:
                    return b[o + 7]
                if best is None:
                    best = b[o + 7]
        return best

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 2:
            return self._entries_gen(w)
        return super().get(attr, w, ctx)

    def _entries_gen(self, w):
        b = self.buf
        w.array(self.n)
        for k in range(self.n):
            o = k * _REC
            w.structure(3)
            w.u8(axdr.UINT16)
            w.u8(b[o])
            w.u8(b[o + 1])
            w.u8(axdr.OCTET_STRING)
            w.u8(5)
            w.raw(b[o + 2:o + 7])
            w.tagged(axdr.UINT8, b[o + 7])
            if k % _BATCH == _BATCH - 1:
                yield

    def set(self, attr, d, ctx):
        if attr != 2:
            return READ_WRITE_DENIED
        if d[0] != axdr.ARRAY:
            return TYPE_UNMATCHED
        items = d[1]
        if len(items) > self.capacity:
            return OTHER_REASON
        # validate everything before touching the table
        for k in range(len(items)):
            e = _entry(items[k])
            if e is None:
                return TYPE_UNMATCHED
            if not dp.date_ok(e[1]):
                return OTHER_REASON
            for j in range(k):  # index and date unique (insert would overwrite)
                f = items[j][1]
                if f[0][1] == e[0] or f[1][1] == e[1]:
                    return OTHER_REASON
        self.n = 0
        for it in items:
            e = _entry(it)
            self._put(e[0], e[1], e[2])
        self._changed()
        return SUCCESS

    def action(self, method, d, ctx):
        if method == 1:  # insert(spec_day_entry)
            e = None if d is None else _entry(d)
            if e is None:
                return TYPE_UNMATCHED, None
            return self.insert(e[0], e[1], e[2]), None
        if method == 2:  # delete(long-unsigned index)
            if d is None or d[0] != axdr.UINT16:
                return TYPE_UNMATCHED, None
            return self.delete(d[1]), None
        return OBJECT_UNDEFINED, None
