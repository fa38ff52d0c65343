# SPDX-License-Identifier: MIT
"""P-256 ECDSA/ECDH and SHA-256 for DLMS security suites 1 and 2 (HLS-7, general-signing,
key agreement): the C module `_dlms_ecc` (firmware user C module or host natmod) when it
is present, else the pure-Python fallback `dlms.security.ecc_py`, which has the same API:

    keygen(random32, out_priv32, out_pub64) -> bool   False: draw new random bytes
    pubkey(priv32, out_pub64)
    sign(priv32, digest32, out_sig64, k32=None)       None: RFC 6979 deterministic k
    verify(pub64, digest32, sig64) -> bool
    ecdh(priv32, peer_pub64, out32)                   x-coordinate of the shared point
    valid_point(pub64) -> bool
    sha256(data, out32)

Keys and signatures are DLMS raw forms (X||Y, r||s, big-endian, no DER). Invalid lengths,
private keys, k and points raise ValueError. IMPL is "c" or "py".
"""
try:
    from _dlms_ecc import *  # noqa: F403

    IMPL = "c"
except ImportError:
    from dlms.security.ecc_py import *  # noqa: F403

    IMPL = "py"
