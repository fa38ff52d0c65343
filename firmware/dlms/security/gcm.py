# SPDX-License-Identifier: MIT
"""AES-GCM/GMAC, AES-ECB and RFC 3394 key wrap for DLMS security suites 0-2.

The C module `_dlms_gcm` (firmware user C module or host natmod) when present, else the
pure-Python `dlms.security.gcm_py` with the same API:

    gcm_encrypt(key, iv12, aad, plaintext, out_ct, out_tag)   -> None
    gcm_decrypt(key, iv12, aad, ciphertext, tag, out_pt)      -> bool (out_pt zeroed if False)
    gmac(key, iv12, aad, out_tag)                             -> None
    aes_wrap(kek, key, out) / aes_unwrap(kek, wrapped, out)   -> None / bool
    aes_ecb_encrypt(key, block16, out16)                      -> None

Keys are 16 or 32 bytes, tags 12..16 (DLMS: 12), aad may be None; else ValueError.
NATIVE tells which implementation was loaded.
"""

try:
    from _dlms_gcm import *  # noqa: F401,F403

    NATIVE = True
except ImportError:
    from dlms.security.gcm_py import *  # noqa: F401,F403

    NATIVE = False
