# SPDX-License-Identifier: MIT
"""IC 6 Register activation, version 0 (Blue Book 4.3.5): register_assignment, mask_list,
active_mask; methods 1 add_register, 2 add_mask, 3 delete_mask.

A mask names 1-based indices into register_assignment. Registers of register_assignment
enabled by the active mask count, the other assigned registers are disabled; registers not
assigned to the object are always enabled. KSMW 5.5: masks "T1"/"T2" switched by the
tariffication scripts (write of active_mask), currently active tariff = the active mask name.
"""
from dlms.apdu import axdr
from dlms.cosem.base import (
    OBJECT_UNDEFINED, OTHER_REASON, READ_WRITE_DENIED, SUCCESS, TYPE_UNMATCHED, CosemObject,
)


def _objdef(d):
    """object_definition {class_id, logical_name} -> (class_id, ln) or None."""
    if d[0] != axdr.STRUCTURE or len(d[1]) != 2:
        return None
    c, ln = d[1]
    if c[0] != axdr.UINT16 or ln[0] != axdr.OCTET_STRING or len(ln[1]) != 6:
        return None
    return c[1], ln[1]


def _mask(d):
    """register_act_mask {mask_name, index_list} -> (name, bytes of indices) or None."""
    if d[0] != axdr.STRUCTURE or len(d[1]) != 2:
        return None
    name, idx = d[1]
    if name[0] != axdr.OCTET_STRING or idx[0] != axdr.ARRAY:
        return None
    for i in idx[1]:
        if i[0] != axdr.UINT8:
            return None
    return name[1], bytes(i[1] for i in idx[1])


class RegisterActivation(CosemObject):
    CLASS_ID = 6
    VERSION = 0
    ATTRS = (1, 2, 3, 4)
    WRITABLE = (2, 3, 4)
    METHODS = (1, 2, 3)

    def __init__(self, ln, registers=(), masks=(), active=b"", max_registers=16, max_masks=8,
                 max_name=16, on_change=None):
        """registers: ((class_id, ln6), ...); masks: ((name, (index, ...)), ...).
        on_change(obj) after the active mask or the enabled set changed."""
        super().__init__(ln)
        self.max_registers = max_registers
        self.max_masks = max_masks
        self.max_name = max_name
        self.on_change = on_change
        self.registers = [(c, bytes(o)) for c, o in registers]
        self.masks = [(bytes(n), bytes(i)) for n, i in masks]
        self.active = bytes(active)
        self._enabled = None

    # --- application API ---
    def mask(self, name):
        for n, idx in self.masks:
            if n == name:
                return idx
        return None

    def enabled(self):
        """Tuple of (class_id, ln) of assigned registers enabled by the active mask."""
        if self._enabled is None:
            idx = self.mask(self.active) or b""
            n = len(self.registers)
            self._enabled = tuple(self.registers[i - 1] for i in idx if 1 <= i <= n)
        return self._enabled

    def is_active(self, ln):
        """Should the register `ln` accumulate now? Unassigned registers always do."""
        for e in self.enabled():
            if e[1] == ln:
                return True
        for e in self.registers:
            if e[1] == ln:
                return False
        return True

    def activate(self, name):
        """Make `name` the active mask (KSMW 5.5 tariff switch) -> result code."""
        name = bytes(name)
        if self.mask(name) is None:
            return OTHER_REASON
        if name != self.active:
            self.active = name
            self._changed()
        return SUCCESS

    def add_register(self, class_id, ln):
        """Blue Book add_register: appended, existing indices unchanged."""
        ln = bytes(ln)
        if len(self.registers) >= self.max_registers or len(ln) != 6:
            return OTHER_REASON
        for e in self.registers:
            if e[1] == ln:
                return OTHER_REASON
        self.registers.append((class_id, ln))
        self._changed()
        return SUCCESS

    def add_mask(self, name, indices):
        """Blue Book add_mask: a mask with the same name is overwritten."""
        name = bytes(name)
        indices = bytes(indices)
        if not self._mask_ok(name, indices):
            return OTHER_REASON
        for k in range(len(self.masks)):
            if self.masks[k][0] == name:
                self.masks[k] = (name, indices)
                self._changed()
                return SUCCESS
        if len(self.masks) >= self.max_masks:
            return OTHER_REASON
        self.masks.append((name, indices))
        self._changed()
        return SUCCESS

    def delete_mask(self, name):
        """Blue Book delete_mask; the active mask cannot be deleted (other-reason), nor an
        unknown one."""
        name = bytes(name)
        if name == self.active:
            return OTHER_REASON
        for k in range(len(self.masks)):
            if self.masks[k][0] == name:
                self.masks.pop(k)
                return SUCCESS
        return OTHER_REASON

    def _mask_ok(self, name, indices):
        if not name or len(name) > self.max_name or len(indices) > self.max_registers:
            return False
        for i in indices:
            if not 1 <= i <= self.max_registers:
                return False
        return True

    def _changed(self):
        self._enabled = None
        if self.on_change is not None:
            self.on_change(self)

    # --- COSEM interface ---
    def get(self, attr, w, ctx):
        if attr == 2:
            w.array(len(self.registers))
            for c, ln in self.registers:
                w.structure(2)
                w.tagged(axdr.UINT16, c)
                w.octets(ln)
        elif attr == 3:
            w.array(len(self.masks))
            for name, idx in self.masks:
                w.structure(2)
                w.octets(name)
                w.array(len(idx))
                for i in idx:
                    w.tagged(axdr.UINT8, i)
        elif attr == 4:
            w.octets(self.active)
        else:
            return super().get(attr, w, ctx)
        return SUCCESS

    def set(self, attr, d, ctx):
        if attr == 4:
            if d[0] != axdr.OCTET_STRING:
                return TYPE_UNMATCHED
            return self.activate(d[1])  # unknown mask name: other-reason
        if attr not in (2, 3):
            return READ_WRITE_DENIED
        if d[0] != axdr.ARRAY:
            return TYPE_UNMATCHED
        items = d[1]
        cap = self.max_registers if attr == 2 else self.max_masks
        if len(items) > cap:
            return OTHER_REASON
        key = 1 if attr == 2 else 0  # registers unique by logical name, masks by name
        new = []
        for it in items:
            e = _objdef(it) if attr == 2 else _mask(it)
            if e is None:
                return TYPE_UNMATCHED
            if attr == 3 and not self._mask_ok(e[0], e[1]):
                return OTHER_REASON
            for f in new:
                if f[key] == e[key]:
                    return OTHER_REASON
            new.append(e)
        if attr == 2:
            self.registers = new
        else:
            if self.active and not any(e[0] == self.active for e in new):
                return OTHER_REASON  # the active mask must stay defined
            self.masks = new
        self._changed()
        return SUCCESS

    def action(self, method, d, ctx):
        if method == 1:  # add_register(object_definition)
            e = None if d is None else _objdef(d)
            if e is None:
                return TYPE_UNMATCHED, None
            return self.add_register(e[0], e[1]), None
        if method == 2:  # add_mask(register_act_mask)
            e = None if d is None else _mask(d)
            if e is None:
                return TYPE_UNMATCHED, None
            return self.add_mask(e[0], e[1]), None
        if method == 3:  # delete_mask(mask_name)
            if d is None or d[0] != axdr.OCTET_STRING:
                return TYPE_UNMATCHED, None
            return self.delete_mask(d[1]), None
        return OBJECT_UNDEFINED, None
