# SPDX-License-Identifier: MIT
"""ACCESS service (Green Book 9.3.x; dlms-notes 4.6; KSMW 3.3.1, 3.3.2).

access-request  D9 | long-invoke-id-and-priority (u32) | date-time (OCTET STRING, empty or
12 bytes) | count + specifications | count + Data (one per specification).
specification: 1 get, 2 set (attribute descriptor), 3 action (method descriptor),
4 get-with-selection, 5 set-with-selection (descriptor, access-selector u8, Data).
access-response DA | long-invoke-id-and-priority as received (KSMW 3.3.2) | date-time |
access-request-specification OPTIONAL (absent) | count + Data | count + (CHOICE 1 get /
2 set / 3 action, result).

The items run in order as the response is produced (a get streams its value before the next
item runs), so a long response leaves in GBT blocks without being held whole.
"""
from micropython import const

from dlms.apdu.axdr import DecodeError
from dlms.cosem.base import OTHER_REASON, READ, SCOPE_OF_ACCESS_VIOLATED
from dlms.server import association as asn

ACCESS_RESPONSE = const(0xDA)
MAX_ITEMS = const(64)  # KSMW 3.3.1 asks >= 16
SERVICE_CLASS = const(0x40000000)  # 1 confirmed
BREAK_ON_ERROR = const(0x20000000)  # processing-option
_NULL = const(0)
DATE_TIME_LEN = const(12)


def request(srv, a, r, w):
    """Parse an access-request (r after the tag) and answer it."""
    if not srv._need(a, asn.ACCESS, w):
        return
    liip = r.u32()
    n = r.length()
    if n != 0 and n != DATE_TIME_LEN:
        raise DecodeError("access")
    has_dt = n != 0
    r.take(n)
    count = r.length()
    if count > MAX_ITEMS:
        raise DecodeError("access")
    specs = []
    for _ in range(count):
        k = r.u8()
        if k < 1 or k > 5:
            raise DecodeError("access")
        cid, ln, idx = srv._descriptor(r)
        sel = None
        if k >= 4:
            sel = (r.u8(), r.data())
        specs.append((k, cid, ln, idx, sel))
    if r.length() != count:
        raise DecodeError("access")
    values = [r.data() for _ in range(count)]
    if r.left():
        raise DecodeError("access")
    dt = srv.date_time() if has_dt and srv.date_time is not None else b""
    a.abort_blocks()
    s = a.stream
    a.gen = _items(srv, a, specs, values, liip & BREAK_ON_ERROR, s)
    if not liip & SERVICE_CLASS:  # unconfirmed: run every item, answer nothing
        try:
            while a.gen is not None:
                s.pos = 0
                srv._fill(a, 0)
        except (ValueError, IndexError):
            pass
        a.abort_blocks()
        return
    hdr = bytearray(7 + len(dt))
    hdr[0] = ACCESS_RESPONSE
    hdr[1] = (liip >> 24) & 0xFF
    hdr[2] = (liip >> 16) & 0xFF
    hdr[3] = (liip >> 8) & 0xFF
    hdr[4] = liip & 0xFF
    hdr[5] = len(dt)
    hdr[6:6 + len(dt)] = dt
    hdr[-1] = 0  # access-request-specification absent
    srv.respond(a, w, hdr, 0)


def _items(srv, a, specs, values, brk, s):
    """Generator: run the items in order into s (list-of-data), then the results."""
    n = len(specs)
    res = bytearray(2 * n)
    s.length(n)
    stop = False
    for i in range(n):
        k, cid, ln, idx, sel = specs[i]
        kind = 1 if k == 1 or k == 4 else (2 if k == 2 or k == 5 else 3)
        res[2 * i] = kind
        if stop:  # break-on-error: the items after a failed one do not run
            dar = OTHER_REASON
            s.u8(_NULL)
        elif kind == 1:
            dar = _get(srv, a, cid, ln, idx, sel, s)
            if not isinstance(dar, int):
                yield from dar
                dar = 0
            elif dar:
                s.u8(_NULL)
        elif kind == 2:
            dar = srv._write(a, cid, ln, idx, sel, values[i])
            s.u8(_NULL)
        else:
            d = values[i]
            o, dar = srv._resolve_method(a, cid, ln, idx)
            ret = None
            if o is not None:
                dar, ret = o.action(idx, None if d[0] == _NULL else d, a)
                if dar == 0 and srv.on_changed is not None:  # KSMW 5.13
                    srv.on_changed(a, 2, cid, ln, idx)
            mark = s.pos
            if ret is None:
                s.u8(_NULL)
            else:
                try:
                    ret(s)
                except (ValueError, IndexError):  # return data too large
                    s.pos = mark
                    s.u8(_NULL)
                    dar = OTHER_REASON
        res[2 * i + 1] = dar
        if dar and brk:
            stop = True
        yield
    s.length(n)
    s.raw(res)


def _get(srv, a, cid, ln, idx, sel, s):
    o, dar = srv._resolve(a, cid, ln, idx, READ)
    if o is None:
        return dar
    if sel is not None and a.conformance & asn.SELECTIVE_ACCESS == 0:
        return SCOPE_OF_ACCESS_VIOLATED
    mark = s.pos
    dar = srv._read_into(a, o, idx, sel, s)
    if isinstance(dar, int) and dar:
        s.pos = mark
    return dar
