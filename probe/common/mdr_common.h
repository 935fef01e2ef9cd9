/*
 * mdr_common.h - small shared definitions for every probe module.
 *
 * Only macros and tiny inline helpers live here: branch hints, cache-line
 * alignment, byte-order loads that are safe on unaligned packet memory, and
 * the nanosecond packet clock type. No module state, no allocation.
 */
#ifndef MDR_COMMON_H
#define MDR_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MDR_CACHE_LINE 64
#define mdr_cache_aligned __attribute__((aligned(MDR_CACHE_LINE)))
#define mdr_likely(x) __builtin_expect(!!(x), 1)
#define mdr_unlikely(x) __builtin_expect(!!(x), 0)
#define MDR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MDR_UNUSED __attribute__((unused))

#define MDR_NSEC_PER_SEC 1000000000ULL

/* Packet time: nanoseconds since the Unix epoch, taken from the capture. */
typedef uint64_t mdr_time_t;

static inline uint16_t mdr_load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t mdr_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void mdr_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Round up to the next power of two (v >= 1, v <= 2^31). */
static inline uint32_t mdr_pow2_roundup(uint32_t v)
{
	v--;
	v |= v >> 1; v |= v >> 2; v |= v >> 4; v |= v >> 8; v |= v >> 16;
	return v + 1;
}

#endif
