# SPDX-License-Identifier: MIT
"""Interface-class base (Blue Book 4.1): attribute/method descriptor tables and results.

An object answers:
  get(attr, w, ctx)   -> 0 after writing the Data into Writer w, a Data-Access-Result code
                         (nothing written), or a generator that writes the value piecewise
                         (yielding between elements) so large values stream into blocks;
  set(attr, d, ctx)   -> Data-Access-Result for a decoded (tag, value);
  action(m, d, ctx)   -> (Action-Result, None | callable writing the return Data).
"""
from micropython import const

from dlms.apdu import axdr

# Data-Access-Result / Action-Result (Green Book 9.3; dlms-notes 4.5)
SUCCESS = const(0)
HARDWARE_FAULT = const(1)
TEMPORARY_FAILURE = const(2)
READ_WRITE_DENIED = const(3)
OBJECT_UNDEFINED = const(4)
OBJECT_CLASS_INCONSISTENT = const(9)
OBJECT_UNAVAILABLE = const(11)
TYPE_UNMATCHED = const(12)
SCOPE_OF_ACCESS_VIOLATED = const(13)
DATA_BLOCK_UNAVAILABLE = const(14)
LONG_GET_ABORTED = const(15)
NO_LONG_GET_IN_PROGRESS = const(16)
LONG_SET_ABORTED = const(17)
NO_LONG_SET_IN_PROGRESS = const(18)
DATA_BLOCK_NUMBER_INVALID = const(19)
OTHER_REASON = const(250)

# attribute access modes / method access modes (Association LN v1+, Blue Book 4.4.3)
NO_ACCESS = const(0)
READ = const(1)
WRITE = const(2)
READ_WRITE = const(3)
METHOD_ACCESS = const(1)


class CosemObject:
    CLASS_ID = 0
    VERSION = 0
    ATTRS = (1,)  # attribute ids the class defines (attribute 1 = logical_name, read-only)
    WRITABLE = ()  # attributes a privileged client may write
    METHODS = ()  # method ids the class defines
    NOT_READABLE = ()  # attributes nobody reads (secrets)
    LOCAL_METHODS = ()  # methods only the meter itself invokes (no client may)

    def __init__(self, ln):
        self.ln = bytes(ln)

    def get(self, attr, w, ctx):
        if attr == 1:
            w.octets(self.ln)
            return SUCCESS
        return OBJECT_UNDEFINED

    def set(self, attr, d, ctx):
        return READ_WRITE_DENIED

    def action(self, method, d, ctx):
        return OBJECT_UNDEFINED, None


def expect(d, tag):
    """Value of a decoded Data if it has the tag, else None (callers answer type-unmatched)."""
    if d is None or d[0] != tag:
        return None
    return d[1]


def no_data(d):
    """A method parameter of the form data ::= integer(0): absent, integer or null-data
    (Blue Book 4.1: methods without a real parameter)."""
    return d is None or d[0] == axdr.NULL or d[0] == axdr.INT8


def get_all(obj, w, ctx):
    """Attribute 0 (all attributes, Blue Book 4.1.2): structure of every attribute; null-data
    where the client may not read. Generator: large attributes stream."""
    w.structure(len(obj.ATTRS))
    for a in obj.ATTRS:
        if not ctx.attr_access(obj, a) & READ:
            w.null()
        else:
            r = obj.get(a, w, ctx)
            if not isinstance(r, int):
                yield from r
            elif r:
                w.null()
        yield


def obis(s):
    """'1-0:1.8.0.255' -> 6 bytes (also accepts 'A.B.C.D.E.F')."""
    parts = s.replace("-", ".").replace(":", ".").split(".")
    if len(parts) != 6:
        raise ValueError("obis")
    return bytes(int(p) for p in parts)


def obis_str(b):
    return "%d-%d:%d.%d.%d.%d" % tuple(b)

