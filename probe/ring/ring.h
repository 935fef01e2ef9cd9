/*
 * ring.h - single-producer/single-consumer rings between threads.
 *
 * Two shapes, both lock-free with acquire/release indices on separate cache
 * lines, both allocated once:
 *  - struct mdr_ring: fixed-size elements (flow records to the writer);
 *  - struct mdr_bring: variable-size byte records (captured frames copied by
 *    the dispatcher to a worker). A record is reserved, filled, committed by
 *    the producer; the consumer peeks records in place and releases them
 *    after use, so a frame is copied exactly once.
 */
#ifndef MDR_RING_H
#define MDR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/mdr_common.h"

struct mdr_ring;

/* capacity is rounded up to a power of two. */
struct mdr_ring *mdr_ring_create(uint32_t capacity, uint32_t elem_size);
void mdr_ring_free(struct mdr_ring *r);
/* Copy one element in; -ENOBUFS when full. */
int mdr_ring_push(struct mdr_ring *r, const void *elem);
/* Copy up to n elements out; returns the number copied. */
uint32_t mdr_ring_pop(struct mdr_ring *r, void *elems, uint32_t n);
uint32_t mdr_ring_count(const struct mdr_ring *r);
uint32_t mdr_ring_capacity(const struct mdr_ring *r);

struct mdr_bring;

/* size (bytes) is rounded up to a power of two. */
struct mdr_bring *mdr_bring_create(size_t size);
void mdr_bring_free(struct mdr_bring *r);
/* Reserve len bytes (8-byte aligned); NULL when there is not room now. */
void *mdr_bring_reserve(struct mdr_bring *r, uint32_t len);
/* Publish the record last reserved. */
void mdr_bring_commit(struct mdr_bring *r);
/* Next committed record or NULL; *len gets its length. */
void *mdr_bring_peek(struct mdr_bring *r, uint32_t *len);
/* Release the record returned by the last peek. */
void mdr_bring_release(struct mdr_bring *r);
/* Largest record that can ever be reserved. */
uint32_t mdr_bring_max_record(const struct mdr_bring *r);

#endif
