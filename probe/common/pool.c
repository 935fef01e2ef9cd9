/*
 * pool.c - fixed-size object pools (see mdr_pool.h).
 *
 * Free objects are chained through their first pointer-sized word. Slabs
 * are remembered in an array sized at create time (max / slab + 1), so
 * growing never reallocates anything but the new slab.
 */
#include "mdr_pool.h"

#include <stdlib.h>
#include <string.h>

struct mdr_pool {
	size_t elem_size;
	uint32_t slab_elems, max_elems;
	uint32_t nslabs, max_slabs;
	void **slabs;
	void *free_head;
	struct mdr_pool_stats st;
};

struct mdr_pool *mdr_pool_create(size_t elem_size, uint32_t slab_elems, uint32_t max_elems)
{
	struct mdr_pool *p;

	if (!elem_size || !slab_elems || !max_elems)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->elem_size = (elem_size + 15) & ~(size_t)15;
	p->slab_elems = slab_elems < max_elems ? slab_elems : max_elems;
	p->max_elems = max_elems;
	p->max_slabs = max_elems / p->slab_elems + 1;
	p->slabs = calloc(p->max_slabs, sizeof(*p->slabs));
	if (!p->slabs) {
		free(p);
		return NULL;
	}
	return p;
}

void mdr_pool_free(struct mdr_pool *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nslabs; i++)
		free(p->slabs[i]);
	free(p->slabs);
	free(p);
}

/* Add one slab to the free list. */
static int grow(struct mdr_pool *p)
{
	uint32_t n = p->slab_elems;
	uint8_t *s;

	if (p->st.allocated >= p->max_elems || p->nslabs >= p->max_slabs)
		return -1;
	if (p->st.allocated + n > p->max_elems)
		n = (uint32_t)(p->max_elems - p->st.allocated);
	s = aligned_alloc(16, p->elem_size * n);
	if (!s)
		return -1;
	p->slabs[p->nslabs++] = s;
	for (uint32_t i = n; i-- > 0;) {
		void *o = s + p->elem_size * i;
		*(void **)o = p->free_head;
		p->free_head = o;
	}
	p->st.allocated += n;
	return 0;
}

void *mdr_pool_get(struct mdr_pool *p)
{
	void *o;

	p->st.gets++;
	if (!p->free_head && grow(p) != 0) {
		p->st.failures++;
		return NULL;
	}
	o = p->free_head;
	p->free_head = *(void **)o;
	memset(o, 0, p->elem_size);
	if (++p->st.in_use > p->st.peak)
		p->st.peak = p->st.in_use;
	return o;
}

void mdr_pool_put(struct mdr_pool *p, void *obj)
{
	if (!obj)
		return;
	*(void **)obj = p->free_head;
	p->free_head = obj;
	p->st.in_use--;
}

const struct mdr_pool_stats *mdr_pool_get_stats(const struct mdr_pool *p)
{
	return &p->st;
}
