/*
 * query_agg.c - rows that cannot be streamed: sort by a field, count by,
 * top N.
 *
 * Sorting: with a limit only the best `limit` records are kept (a binary
 * heap), without one all are kept and sorted at the end. Ties go by start
 * time, then by arrival (counter) order, so results are deterministic.
 * Aggregation: an open-addressing hash table of group values (text) with
 * flow, byte and packet totals; a record adds to each of its values
 * (both endpoints for `ip`, every sid for `sid`; flows without the field
 * are not counted). Groups come out by the chosen total, descending, then
 * by value.
 */
#include "query_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

struct srow {
	uint64_t key, seq;
	struct mdr_flow_record rec;
};

struct group {
	char *val;
	uint64_t flows, bytes, pkts;
};

struct mdr_rows {
	const struct mdr_query *q;
	uint64_t limit, seq;
	/* sort */
	struct srow *rows;
	size_t n, cap;
	/* aggregation */
	struct group *tab;
	size_t tabn, tabcap;
};

struct mdr_rows *mdr_rows_create(const struct mdr_query *q)
{
	struct mdr_rows *rw = calloc(1, sizeof(*rw));

	if (!rw)
		return NULL;
	rw->q = q;
	rw->limit = mdr_query_eff_limit(q);
	return rw;
}

void mdr_rows_free(struct mdr_rows *rw)
{
	if (!rw)
		return;
	for (size_t i = 0; i < rw->tabcap; i++)
		free(rw->tab[i].val);
	free(rw->tab);
	free(rw->rows);
	free(rw);
}

/* ---- sort ---- */

/* true when a comes before b in the output order */
static bool before(const struct mdr_rows *rw, const struct srow *a, const struct srow *b)
{
	if (a->key != b->key)
		return rw->q->desc ? a->key > b->key : a->key < b->key;
	if (a->rec.start != b->rec.start)
		return a->rec.start < b->rec.start;
	return a->seq < b->seq;
}

/* The heap keeps the worst kept row at the root. */
static void sift_down(struct mdr_rows *rw, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct srow t;

		if (l < rw->n && before(rw, &rw->rows[w], &rw->rows[l]))
			w = l;
		if (r < rw->n && before(rw, &rw->rows[w], &rw->rows[r]))
			w = r;
		if (w == i)
			return;
		t = rw->rows[i];
		rw->rows[i] = rw->rows[w];
		rw->rows[w] = t;
		i = w;
	}
}

static void sift_up(struct mdr_rows *rw, size_t i)
{
	while (i > 0 && before(rw, &rw->rows[(i - 1) / 2], &rw->rows[i])) {
		struct srow t = rw->rows[i];

		rw->rows[i] = rw->rows[(i - 1) / 2];
		rw->rows[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static int sort_add(struct mdr_rows *rw, const struct mdr_flow_record *r)
{
	struct srow row = { mdr_qsort_value(rw->q->sort, r), rw->seq++, *r };

	if (rw->limit && rw->n == rw->limit) {
		if (before(rw, &row, &rw->rows[0])) {
			rw->rows[0] = row;
			sift_down(rw, 0);
		}
		return 0;
	}
	if (rw->n == rw->cap) {
		size_t cap = rw->cap ? rw->cap * 2 : 64;
		struct srow *nr = realloc(rw->rows, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		rw->rows = nr;
		rw->cap = cap;
	}
	rw->rows[rw->n++] = row;
	if (rw->limit)
		sift_up(rw, rw->n - 1);
	return 0;
}

static int srow_cmp(const void *a, const void *b, void *rw)
{
	return before(rw, a, b) ? -1 : before(rw, b, a) ? 1 : 0;
}

/* ---- groups ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static int tab_grow(struct mdr_rows *rw)
{
	size_t cap = rw->tabcap ? rw->tabcap * 2 : 1024;
	struct group *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < rw->tabcap; i++) {
		size_t j;

		if (!rw->tab[i].val)
			continue;
		for (j = hash_str(rw->tab[i].val) & (cap - 1); t[j].val; j = (j + 1) & (cap - 1))
			;
		t[j] = rw->tab[i];
	}
	free(rw->tab);
	rw->tab = t;
	rw->tabcap = cap;
	return 0;
}

static struct group *group_get(struct mdr_rows *rw, const char *val)
{
	size_t j;

	if ((rw->tabn + 1) * 2 > rw->tabcap && tab_grow(rw) < 0)
		return NULL;
	for (j = hash_str(val) & (rw->tabcap - 1); rw->tab[j].val; j = (j + 1) & (rw->tabcap - 1))
		if (strcmp(rw->tab[j].val, val) == 0)
			return &rw->tab[j];
	rw->tab[j].val = strdup(val);
	if (!rw->tab[j].val)
		return NULL;
	rw->tabn++;
	return &rw->tab[j];
}

static int group_add(struct mdr_rows *rw, const struct mdr_flow_record *r)
{
	char vals[MDR_GROUP_MAX][MDR_GROUP_LEN];
	int n = mdr_qfield_values(rw->q->group, r, vals, MDR_GROUP_MAX);

	for (int i = 0; i < n; i++) {
		struct group *g = group_get(rw, vals[i]);

		if (!g)
			return -ENOMEM;
		g->flows++;
		g->bytes += r->bytes[0] + r->bytes[1];
		g->pkts += r->pkts[0] + r->pkts[1];
	}
	return 0;
}

static uint64_t metric(const struct mdr_rows *rw, const struct group *g)
{
	switch (rw->q->metric) {
	case MDR_METRIC_BYTES: return g->bytes;
	case MDR_METRIC_PKTS: return g->pkts;
	default: return g->flows;
	}
}

static int group_cmp(const void *a, const void *b, void *rw)
{
	const struct group *x = a, *y = b;
	uint64_t mx = metric(rw, x), my = metric(rw, y);

	if (mx != my)
		return mx > my ? -1 : 1;
	return strcmp(x->val, y->val);
}

static int groups_finish(struct mdr_rows *rw, mdr_query_cb cb, void *ctx)
{
	size_t w = 0, n;

	for (size_t i = 0; i < rw->tabcap; i++)
		if (rw->tab[i].val)
			rw->tab[w++] = rw->tab[i];
	for (size_t i = w; i < rw->tabcap; i++)
		rw->tab[i].val = NULL;
	if (w)
		qsort_r(rw->tab, w, sizeof(*rw->tab), group_cmp, rw);
	n = rw->limit && rw->limit < w ? rw->limit : w;
	for (size_t i = 0; i < n; i++) {
		struct mdr_query_row row = { NULL, rw->tab[i].val, rw->tab[i].flows,
					     rw->tab[i].bytes, rw->tab[i].pkts };

		if (cb(ctx, &row))
			return (int)(i + 1);
	}
	return (int)n;
}

/* ---- interface ---- */

int mdr_rows_add(struct mdr_rows *rw, const struct mdr_flow_record *r)
{
	return rw->q->agg ? group_add(rw, r) : sort_add(rw, r);
}

int mdr_rows_finish(struct mdr_rows *rw, mdr_query_cb cb, void *ctx)
{
	if (rw->q->agg)
		return groups_finish(rw, cb, ctx);
	if (rw->n)
		qsort_r(rw->rows, rw->n, sizeof(*rw->rows), srow_cmp, rw);
	for (size_t i = 0; i < rw->n; i++) {
		struct mdr_query_row row = { .rec = &rw->rows[i].rec };

		if (cb(ctx, &row))
			return (int)(i + 1);
	}
	return (int)rw->n;
}
