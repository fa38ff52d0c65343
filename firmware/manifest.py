# SPDX-License-Identifier: MIT
# Frozen firmware (issue #12): asyncio, the protocol stack, the meter application and the
# board layer; boards/<name>/manifest.py includes this one and adds its board module.
include("$(MPY_DIR)/extmod/asyncio")
package("dlms")
package("meterapp")
package("hal")
module("main.py")
