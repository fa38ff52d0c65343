// SPDX-License-Identifier: MIT
// CRC-16/X.25 (HDLC FCS/HCS, IEC 62056-46 6.4.4.4): portable C99 core, no MicroPython headers.
#ifndef DLMS_CRC16_X25_H
#define DLMS_CRC16_X25_H

#include <stddef.h>
#include <stdint.h>

#define DLMS_CRC_X25_INIT (0xFFFF) // register preset
#define DLMS_CRC_X25_XOROUT (0xFFFF) // final XOR, applied by the caller
#define DLMS_CRC_X25_GOOD (0xF0B8) // register after data + received FCS

// Run the (reflected, poly 0x8408) register over buf[0..len). No final XOR, so calls chain:
// crc = update(update(INIT, a, n), b, m); fcs = crc ^ XOROUT, sent low byte first.
uint16_t dlms_crc_x25_update(uint16_t crc, const uint8_t *buf, size_t len);

#endif // DLMS_CRC16_X25_H
