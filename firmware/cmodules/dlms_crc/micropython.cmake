# SPDX-License-Identifier: MIT
# USER_C_MODULES (CMake-based ports, e.g. esp32, rp2): adds module `_dlms_crc`.
add_library(usermod_dlms_crc INTERFACE)

target_sources(usermod_dlms_crc INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/crc16_x25.c
    ${CMAKE_CURRENT_LIST_DIR}/mod_dlms_crc.c
)

target_include_directories(usermod_dlms_crc INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
)

target_link_libraries(usermod INTERFACE usermod_dlms_crc)
