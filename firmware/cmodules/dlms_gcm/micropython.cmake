# SPDX-License-Identifier: MIT
# USER_C_MODULES (CMake-based ports, e.g. esp32, rp2): adds module `_dlms_gcm`.
add_library(usermod_dlms_gcm INTERFACE)

target_sources(usermod_dlms_gcm INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/aes.c
    ${CMAKE_CURRENT_LIST_DIR}/gcm.c
    ${CMAKE_CURRENT_LIST_DIR}/keywrap.c
    ${CMAKE_CURRENT_LIST_DIR}/mod_dlms_gcm.c
)

target_include_directories(usermod_dlms_gcm INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
)

target_link_libraries(usermod INTERFACE usermod_dlms_gcm)
