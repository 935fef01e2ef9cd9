/*
 * ring.c - SPSC rings (see ring.h).
 *
 * Indices are free-running 64-bit counters; the producer owns `head`, the
 * consumer owns `tail`, each reads the other's with acquire semantics and
 * publishes its own with release semantics. Each side caches the other's
 * last seen index to avoid touching the shared line on every call.
 *
 * The byte ring stores [u32 len][u32 pad][payload] records, 8-byte aligned.
 * A record never wraps: if it does not fit before the end of the buffer, a
 * wrap marker (len = UINT32_MAX) fills the rest and the record starts at 0.
 */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>

struct mdr_ring {
	uint64_t head mdr_cache_aligned; /* producer */
	uint64_t tail_cache;
	uint64_t tail mdr_cache_aligned; /* consumer */
	uint64_t head_cache;
	uint32_t mask mdr_cache_aligned;
	uint32_t elem_size;
	uint8_t data[];
};

struct mdr_ring *mdr_ring_create(uint32_t capacity, uint32_t elem_size)
{
	struct mdr_ring *r;
	uint32_t cap;

	if (capacity == 0 || capacity > (1u << 30) || elem_size == 0)
		return NULL;
	cap = mdr_pow2_roundup(capacity);
	r = aligned_alloc(MDR_CACHE_LINE,
			  (sizeof(*r) + (size_t)cap * elem_size + MDR_CACHE_LINE - 1) &
				  ~(size_t)(MDR_CACHE_LINE - 1));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->mask = cap - 1;
	r->elem_size = elem_size;
	return r;
}

void mdr_ring_free(struct mdr_ring *r)
{
	free(r);
}

int mdr_ring_push(struct mdr_ring *r, const void *elem)
{
	uint64_t h = r->head;

	if (h - r->tail_cache > r->mask) {
		r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (h - r->tail_cache > r->mask)
			return -ENOBUFS;
	}
	memcpy(r->data + (size_t)(h & r->mask) * r->elem_size, elem, r->elem_size);
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return 0;
}

uint32_t mdr_ring_pop(struct mdr_ring *r, void *elems, uint32_t n)
{
	uint64_t t = r->tail;
	uint32_t i, avail;

	if (r->head_cache - t < n)
		r->head_cache = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	avail = (uint32_t)(r->head_cache - t);
	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		memcpy((uint8_t *)elems + (size_t)i * r->elem_size,
		       r->data + (size_t)((t + i) & r->mask) * r->elem_size,
		       r->elem_size);
	if (n)
		__atomic_store_n(&r->tail, t + n, __ATOMIC_RELEASE);
	return n;
}

uint32_t mdr_ring_count(const struct mdr_ring *r)
{
	return (uint32_t)(__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
			  __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE));
}

uint32_t mdr_ring_capacity(const struct mdr_ring *r)
{
	return r->mask + 1;
}

/* ---- byte ring ---- */

#define BR_HDR 8u
#define BR_WRAP UINT32_MAX

struct mdr_bring {
	uint64_t head mdr_cache_aligned; /* shared: committed end */
	uint64_t phead;                  /* producer: committed end (private copy) */
	uint64_t tail_cache;
	uint64_t pend;                   /* producer: end of reserved record */
	uint64_t tail mdr_cache_aligned; /* consumer: released start */
	uint64_t head_cache;
	uint64_t next;                   /* consumer: end of peeked record */
	size_t mask mdr_cache_aligned;
	uint8_t *buf;
};

struct mdr_bring *mdr_bring_create(size_t size)
{
	struct mdr_bring *r;
	size_t sz = 4096;

	while (sz < size && sz < ((size_t)1 << 34))
		sz <<= 1;
	r = aligned_alloc(MDR_CACHE_LINE, sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->buf = aligned_alloc(MDR_CACHE_LINE, sz);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	r->mask = sz - 1;
	return r;
}

void mdr_bring_free(struct mdr_bring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

uint32_t mdr_bring_max_record(const struct mdr_bring *r)
{
	size_t m = (r->mask + 1) / 4;

	return (uint32_t)(m > UINT32_MAX / 2 ? UINT32_MAX / 2 : m) - BR_HDR;
}

static int br_room(struct mdr_bring *r, uint64_t need)
{
	uint64_t size = r->mask + 1;

	if (r->phead + need - r->tail_cache <= size)
		return 1;
	r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	return r->phead + need - r->tail_cache <= size;
}

void *mdr_bring_reserve(struct mdr_bring *r, uint32_t len)
{
	uint64_t size = r->mask + 1;
	uint64_t rec = (BR_HDR + (uint64_t)len + 7) & ~7ull;
	uint64_t off = r->phead & r->mask;
	uint64_t start = r->phead, skip = 0;

	if (len > mdr_bring_max_record(r))
		return NULL;
	if (off + rec > size)
		skip = size - off;
	if (!br_room(r, skip + rec))
		return NULL;
	if (skip) {
		/* published together with the record by the next commit */
		*(uint32_t *)(r->buf + off) = BR_WRAP;
		start += skip;
		off = 0;
	}
	*(uint32_t *)(r->buf + off) = len;
	r->pend = start + rec;
	return r->buf + off + BR_HDR;
}

void mdr_bring_commit(struct mdr_bring *r)
{
	r->phead = r->pend;
	__atomic_store_n(&r->head, r->pend, __ATOMIC_RELEASE);
}

void *mdr_bring_peek(struct mdr_bring *r, uint32_t *len)
{
	uint64_t t = r->next > r->tail ? r->next : r->tail;
	uint32_t l;

	for (;;) {
		if (r->head_cache == t)
			r->head_cache = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (r->head_cache == t)
			return NULL;
		l = *(uint32_t *)(r->buf + (t & r->mask));
		if (l != BR_WRAP)
			break;
		t += (r->mask + 1) - (t & r->mask);
	}
	r->next = t + ((BR_HDR + (uint64_t)l + 7) & ~7ull);
	*len = l;
	return r->buf + (t & r->mask) + BR_HDR;
}

void mdr_bring_release(struct mdr_bring *r)
{
	__atomic_store_n(&r->tail, r->next, __ATOMIC_RELEASE);
}
