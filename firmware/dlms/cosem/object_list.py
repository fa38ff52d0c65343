# SPDX-License-Identifier: MIT
"""The object_list of Association LN (IC 15 attribute 2, Blue Book 4.4.3): one
object_list_element per object, streamed into a Writer. Imported on the first read, not at
boot."""
from micropython import const
from struct import pack_into

# object list encoding (module constants: inlined by the compiler); access modes as in
# dlms.cosem.base
_NULL = const(0)
_ARRAY = const(1)
_STRUCTURE = const(2)
_OCTET_STRING = const(9)
_INT8 = const(15)
_UINT8 = const(17)
_UINT16 = const(18)
_ENUM = const(22)
_NO_ACCESS = const(0)
_READ = const(1)
_WRITE = const(2)
_METHOD_ACCESS = const(1)
_ITEMS = const(16)  # items in a template
# attribute_access_item {attribute_id, read-only, null-data} and method_access_item
# {method_id, no access} x 16: copied with pack_into (MicroPython's slice assignment also
# moves the target's tail), then ids and modes patched in
_ATTR_ITEMS = (
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00"
    b"\x02\x03\x0f\x00\x16\x01\x00\x02\x03\x0f\x00\x16\x01\x00")
_METHOD_ITEMS = (
    b"\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00"
    b"\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00"
    b"\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00"
    b"\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00"
    b"\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00\x02\x02\x0f\x00\x16\x00"
    b"\x02\x02\x0f\x00\x16\x00")
_NO_CHANGE = (False, False)
_SCRATCH = const(19 + 7 * _ITEMS + 2 + 6 * _ITEMS)  # a fast element's footprint


def _attr_items(buf, p, attrs, nr, wr, sel):
    """attribute_access_items one by one (access_selectors of attribute 2) -> end."""
    for a in attrs:
        buf[p] = _STRUCTURE
        buf[p + 1] = 3
        buf[p + 2] = _INT8
        buf[p + 3] = a
        buf[p + 4] = _ENUM
        buf[p + 5] = (_NO_ACCESS if a in nr else _READ) | (_WRITE if a in wr else 0)
        if sel and a == 2:
            buf[p + 6] = _ARRAY
            buf[p + 7] = len(sel)
            p += 8
            for x in sel:
                buf[p] = _INT8
                buf[p + 1] = x
                p += 2
        else:
            buf[p + 6] = _NULL
            p += 7
    return p


def _method_items(buf, p, methods, loc, grant, cid, pub):
    """method_access array one item at a time -> end."""
    buf[p] = _ARRAY
    buf[p + 1] = len(methods)
    p += 2
    for m in methods:
        buf[p] = _STRUCTURE
        buf[p + 1] = 2
        buf[p + 2] = _INT8
        buf[p + 3] = m
        buf[p + 4] = _ENUM
        buf[p + 5] = _METHOD_ACCESS if m not in loc and (grant or (cid, m) in pub) else (
            _NO_ACCESS)
        p += 6
    return p


def elements(w, objs, client, n):
    """Generator: the object_list array of the n objects of objs (visible to client), then
    one object_list_element {class_id, version, logical_name, access_rights} per step
    (Blue Book 4.4.3) with the access Role.attr_access/method_access grant. Ids are integer
    (1..127): every count is a one-byte A-XDR length. Bytes past w.pos may be overwritten
    (scratch in the writer's free room)."""
    role = client.role
    pub = role.public_methods
    changes = role.write or role.act
    w.array(n)
    buf = w.buf
    size = len(buf)
    for o in objs:
        cid = o.CLASS_ID
        ln = o.ln
        k = len(ln)
        attrs = o.ATTRS
        methods = o.METHODS
        na = len(attrs)
        nm = len(methods)
        may_w, may_a = role.may_change(o, client) if changes else _NO_CHANGE
        wr = o.WRITABLE if may_w else ()
        nr = o.NOT_READABLE
        loc = o.LOCAL_METHODS
        sel = getattr(o, "SELECTORS", None)
        if sel and 2 not in attrs:
            sel = None
        p = w.pos
        if k == 6 and not sel and na <= _ITEMS and nm <= _ITEMS and p + _SCRATCH <= size:
            # header, access_rights {attribute_access, method_access} from the templates
            # (16 items each: the rest is scratch), then the ids and the other modes
            pack_into(">BBBHBBBB6sBBBB112s", buf, p, _STRUCTURE, 4, _UINT16, cid, _UINT8,
                      o.VERSION, _OCTET_STRING, 6, ln, _STRUCTURE, 2, _ARRAY, na, _ATTR_ITEMS)
            q = p + 22
            for a in attrs:
                buf[q] = a
                q += 7
            if nr or wr:
                q = p + 24
                for a in attrs:
                    buf[q] = (_NO_ACCESS if a in nr else _READ) | (_WRITE if a in wr else 0)
                    q += 7
            q = p + 19 + 7 * na
            pack_into(">BB96s", buf, q, _ARRAY, nm, _METHOD_ITEMS)
            q += 5
            r = q
            for m in methods:
                buf[q] = m
                if may_a and m not in loc:
                    buf[q + 2] = _METHOD_ACCESS
                q += 6
            if not may_a:  # the methods any role may invoke
                for c, m in pub:
                    if c == cid and m in methods and m not in loc:
                        buf[r + 2 + 6 * methods.index(m)] = _METHOD_ACCESS
            p = q - 3
        else:  # item by item: header 13 + ln, attribute item 7 (+ selectors), method 6
            if p + 15 + k + 7 * na + (2 * len(sel) + 1 if sel else 0) + 6 * nm > size:
                raise ValueError("overflow")
            pack_into(">BBBHBB", buf, p, _STRUCTURE, 4, _UINT16, cid, _UINT8, o.VERSION)
            w.pos = p + 7
            w.octets(ln)
            p = w.pos
            pack_into(">BBBB", buf, p, _STRUCTURE, 2, _ARRAY, na)
            p = _attr_items(buf, p + 4, attrs, nr, wr, sel)
            p = _method_items(buf, p, methods, loc, may_a, cid, pub)
        w.pos = p
        yield
