/*
 * lib/base/base_internal.h - test references of the base layer; not part
 * of the public surface.
 */
#ifndef DBV_BASE_INTERNAL_H
#define DBV_BASE_INTERNAL_H

#include "base/base.h"

/* Bitwise CRC-32C reference implementation (slow; for tests). */
uint32_t dbv_crc32c_ref(uint32_t crc, const void *buf, size_t n);

#endif /* DBV_BASE_INTERNAL_H */
