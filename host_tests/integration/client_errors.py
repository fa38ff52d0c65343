# SPDX-License-Identifier: MIT
"""Outcomes shared by the test clients over gurux-dlms (gx_client) and dlms-cosem (dc_client)."""


class AssociationRejected(Exception):
    """The AARE carried result != accepted."""

    def __init__(self, result, diagnostic, source="user", aare=b"", user_information=None):
        self.result = int(result)
        self.diagnostic = None if diagnostic is None else int(diagnostic)
        self.source = source
        self.aare = bytes(aare)
        self.user_information = user_information
        super().__init__("association rejected: result %d, %s diagnostic %r%s%s" % (
            self.result, source, self.diagnostic,
            " (AARE %s)" % self.aare.hex(" ") if aare else "",
            ", user-information %r" % (user_information,) if user_information else ""))


class DataAccessError(Exception):
    """A GET answered with a data-access-result instead of data."""

    def __init__(self, result):
        self.result = int(result)
        self.code = self.result
        super().__init__("data-access-result %d" % self.result)

    def __eq__(self, other):
        return isinstance(other, DataAccessError) and other.result == self.result

    def __hash__(self):
        return hash(self.result)

    def __repr__(self):
        return "DataAccessError(%d)" % self.result


class ProtocolViolation(Exception):
    """The meter answered something the request does not allow (wrong APDU, invoke id...)."""
