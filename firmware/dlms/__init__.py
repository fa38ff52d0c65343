# SPDX-License-Identifier: MIT
"""DLMS/COSEM server stack (IEC 62056-5-3/-6-2, -46, -47): sans-IO, no hardware imports."""
VERSION = "0.1.0"
