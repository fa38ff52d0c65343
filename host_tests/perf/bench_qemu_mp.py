# SPDX-License-Identifier: MIT
"""Instruction counts on the qemu Cortex-M4 (tools/qemu_bench.py, `make bench`): sent through
the raw REPL after bench_hdlc_mp.py's definitions (Bench, AARQ, GETS, main; its trailing
main() call cut), run under `qemu-system-arm -icount shift=0`, where the virtual clock
advances 1 ns per instruction: time.ticks_us() x 1000 = instructions. Prints one line
'insn <name> <instructions>' per figure (median of runs), then bench_hdlc_mp's
'hdlc_us_per_byte <us> <bytes>' (x 1000: instructions per byte)."""
import time

import _dlms_ecc
import _dlms_gcm


def insn_median(fn, n):
    ts = []
    for _ in range(n):
        t0 = time.ticks_us()
        fn()
        ts.append(time.ticks_diff(time.ticks_us(), t0))
    ts.sort()
    return ts[len(ts) // 2] * 1000


def crypto():
    key = bytes(range(16))
    iv = bytes(range(12))
    aad = b"\x30" + bytes(range(16, 32))
    pt = bytes(1224)
    ct = bytearray(1224)
    tag = bytearray(12)
    print("insn gcm_encrypt_1224", insn_median(
        lambda: _dlms_gcm.gcm_encrypt(key, iv, aad, pt, ct, tag), 9))
    out = bytearray(1224)
    print("insn gcm_decrypt_1224", insn_median(
        lambda: _dlms_gcm.gcm_decrypt(key, iv, aad, ct, tag, out), 9))
    priv = bytes.fromhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
    peer_priv = bytes.fromhex("34A8C23A34DBB519D09B245754C85A6CFE05D14A063EFA5AA41545AA8241EFAE")
    digest = bytes(range(32))
    pub = bytearray(64)
    peer = bytearray(64)
    sig = bytearray(64)
    z = bytearray(32)
    _dlms_ecc.pubkey(priv, pub)
    _dlms_ecc.pubkey(peer_priv, peer)
    print("insn ecdsa_sign", insn_median(lambda: _dlms_ecc.sign(priv, digest, sig), 5))
    _dlms_ecc.sign(priv, digest, sig)
    print("insn ecdsa_verify", insn_median(lambda: _dlms_ecc.verify(pub, digest, sig), 5))
    print("insn ecdh", insn_median(lambda: _dlms_ecc.ecdh(priv, peer, z), 5))


def register_get(n=20):
    """Server work (HDLC link + DLMS server) per GET of +A in a public association: the
    I-frame in, the response frame out."""
    b = Bench()  # noqa: F821  (bench_hdlc_mp.py)
    b.session()
    b.ns = b.nr = 0
    b.frame(0x93)  # SNRM
    b.request(AARQ)  # noqa: F821
    b.us = 0
    for _ in range(n):
        b.request(GETS[2])  # noqa: F821  +A
    print("insn get_register", b.us * 1000 // n)
    b.frame(0x53)  # DISC


crypto()
register_get()
main()  # noqa: F821  (bench_hdlc_mp.py: hdlc_us_per_byte)
