# SPDX-License-Identifier: MIT
# USER_C_MODULES root for CMake ports:
#   make USER_C_MODULES=<repo>/firmware/cmodules/micropython.cmake
# (make-based ports instead take USER_C_MODULES=<repo>/firmware/cmodules and find each
# folder's micropython.mk). A board may include only the modules it needs.
include(${CMAKE_CURRENT_LIST_DIR}/dlms_crc/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/dlms_gcm/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/dlms_ecc/micropython.cmake)
