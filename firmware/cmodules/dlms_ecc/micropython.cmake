# SPDX-License-Identifier: MIT
# USER_C_MODULES (CMake-based ports, e.g. esp32, rp2): adds module `_dlms_ecc`.
add_library(usermod_dlms_ecc INTERFACE)

target_sources(usermod_dlms_ecc INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/mod_dlms_ecc.c
    ${CMAKE_CURRENT_LIST_DIR}/p256.c
    ${CMAKE_CURRENT_LIST_DIR}/p256_fp32.c
    ${CMAKE_CURRENT_LIST_DIR}/p256_point.c
    ${CMAKE_CURRENT_LIST_DIR}/ecdsa.c
    ${CMAKE_CURRENT_LIST_DIR}/sha256.c
)

target_include_directories(usermod_dlms_ecc INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
)

target_link_libraries(usermod INTERFACE usermod_dlms_ecc)
