# SPDX-License-Identifier: MIT
"""Host entry script that starts the firmware from its ROMFS image (see romfs_host.py):
    MICROPYPATH=build/romfs-host:build/natmod micropython tools/romfs_host/boot.py \
        build/fw.romfs build/fw-mpy [firmware arguments...]
mounts the image at /rom (first on sys.path), or, when that is not possible, falls back to the
plain .mpy folder; then runs the firmware's main (main.mpy from the image) with sys.argv as if
main.py had been started directly."""
import sys

_here = sys.path.pop(0)  # this script's folder: firmware modules come from the image only
try:
    import romfs_host  # build/romfs-host/romfs_host.mpy (tools/build_romfs.py)
except ImportError:
    sys.path.insert(0, _here)  # not built: the source beside this script
    import romfs_host

    sys.path.pop(0)

_image, _fallback = sys.argv[1], sys.argv[2]
romfs_host.mount_or_fallback(_image, _fallback)
del romfs_host, sys.modules["romfs_host"]
sys.argv[:] = [_fallback + "/main.py"] + sys.argv[3:]
del _image, _fallback, _here
import gc

gc.collect()
import main  # noqa: E402,F401  (runs the firmware)
