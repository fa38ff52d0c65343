# SPDX-License-Identifier: MIT
"""The KSMW-PA2502 meter application on top of the dlms stack."""
