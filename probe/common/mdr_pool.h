/*
 * mdr_pool.h - per-worker pools of fixed-size objects.
 *
 * Per-flow state of the slower modules (nDPI flows, application-layer
 * parsers, HTTP transactions, handshake buffers) comes from pools owned by
 * one worker: no locks. A pool grows lazily by slabs (one malloc per
 * slab_elems objects, never per packet) up to a hard cap, and never gives
 * memory back before mdr_pool_free(), so steady state allocates nothing.
 * mdr_pool_get() returns a zeroed object, or NULL when the cap is reached
 * (the caller counts it and goes without).
 */
#ifndef MDR_POOL_H
#define MDR_POOL_H

#include <stddef.h>
#include <stdint.h>

struct mdr_pool_stats {
	uint64_t in_use;        /* gauge */
	uint64_t peak;
	uint64_t allocated;     /* objects backed by slabs */
	uint64_t gets, failures; /* failures: cap reached or ENOMEM */
};

struct mdr_pool;

/* elem_size is rounded up to 16 bytes. NULL on bad arguments or ENOMEM. */
struct mdr_pool *mdr_pool_create(size_t elem_size, uint32_t slab_elems, uint32_t max_elems);
void mdr_pool_free(struct mdr_pool *p);
/* A zeroed object, or NULL (cap reached, out of memory). */
void *mdr_pool_get(struct mdr_pool *p);
void mdr_pool_put(struct mdr_pool *p, void *obj);
const struct mdr_pool_stats *mdr_pool_get_stats(const struct mdr_pool *p);

#endif
