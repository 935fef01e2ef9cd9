/*
 * query_exec.c - mdr_query_run(): partitions -> references -> records.
 *
 * For each partition of the window (ascending, or descending for
 * `sort start desc`): evaluate the access plan into a sorted set of
 * references (index entries decoded from their posting lists, filtered
 * by endpoint mask and start-time bounds; AND intersects, OR unites),
 * then read the records in reference order, or scan the partition's
 * records in the window when the plan has no index (or a set grew past
 * MAX_REFS: a scan is cheaper then). Every record is checked against the
 * window and the whole filter before it becomes a row. Time-ordered
 * queries stream rows as they are found and stop at the limit; sorted
 * and aggregated ones go through query_agg.c.
 */
#include "query_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"

#define MAX_REFS (4u << 20)

struct refset {
	struct mdr_ref *r;
	size_t n, cap;
	bool all;                   /* too large: scan instead */
};

struct exec {
	struct mdr_store *s;
	struct mdr_query *q;
	mdr_query_cb cb;
	void *ctx;
	struct mdr_rows *rows;      /* NULL: streaming */
	bool backward;              /* `sort start desc`: newest first */
	uint64_t limit, t0;
	bool stop;
	int rc;
	char *err;
	size_t errlen;
	rocksdb_iterator_t *fit;    /* flow CF iterator of the current partition */
	/* streaming: the records of the current second, ordered by their
	 * exact start before they go out (keys order a second by counter) */
	struct mdr_flow_record *sec_buf;
	size_t sec_n, sec_cap;
	uint64_t sec_cur;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int fail(struct exec *x, int rc, const char *what, char *rocks_err)
{
	snprintf(x->err, x->errlen, "%s: %s", what, rocks_err ? rocks_err : strerror(-rc));
	rocksdb_free(rocks_err);
	x->rc = rc;
	x->stop = true;
	return rc;
}

/* ---- reference sets ---- */

static int set_push(struct refset *s, const struct mdr_ref *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct mdr_ref *nr = realloc(s->r, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		s->r = nr;
		s->cap = cap;
	}
	s->r[s->n++] = *r;
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	return mdr_ref_cmp(a, b);
}

static void set_sort(struct refset *s)
{
	size_t w = 0;

	if (s->n == 0)
		return;
	qsort(s->r, s->n, sizeof(*s->r), ref_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (w && mdr_ref_cmp(&s->r[w - 1], &s->r[i]) == 0)
			s->r[w - 1].mask |= s->r[i].mask;
		else
			s->r[w++] = s->r[i];
	}
	s->n = w;
}

/* a = a AND b (or a OR b); both sorted. */
static int set_merge(struct refset *a, const struct refset *b, bool and)
{
	struct refset o = { 0 };
	size_t i = 0, j = 0;
	int rc = 0;

	while (rc == 0 && (i < a->n || j < b->n)) {
		int c = i == a->n ? 1 : j == b->n ? -1 : mdr_ref_cmp(&a->r[i], &b->r[j]);

		if (c == 0) {
			rc = set_push(&o, &a->r[i]);
			i++;
			j++;
		} else if (c < 0) {
			if (!and)
				rc = set_push(&o, &a->r[i]);
			i++;
		} else {
			if (!and)
				rc = set_push(&o, &b->r[j]);
			j++;
		}
	}
	free(a->r);
	*a = o;
	return rc;
}

/* ---- index reads ---- */

static int posting(struct exec *x, const struct mdr_access *a, const uint8_t *k, size_t klen,
		   const uint8_t *v, size_t vlen, const struct mdr_part_view *pv,
		   uint64_t lo, uint64_t hi, struct refset *out)
{
	const uint8_t *p = v, *end = v + vlen;
	int rlen = mdr_ix_resid_len(k[0]);
	struct mdr_ref r;
	uint64_t m, d;
	int rc = 0;

	mdr_ref_decode(k + klen - MDR_REF_LEN, pv->pid, x->s->span_s, &r);
	if (mdr_get_varint(&p, end, &m) < 0)
		return -EBADMSG;
	for (;;) {
		bool keep = (!a->mask || (m & a->mask)) && r.sec >= lo && r.sec <= hi;

		if (end - p < rlen)
			return -EBADMSG;
		if (rlen && a->rlen && mdr_get_be(p, rlen) != a->resid)
			keep = false;
		p += rlen;
		x->q->stats.index_refs++;
		r.mask = (uint32_t)m;
		if (keep)
			rc = set_push(out, &r);
		if (rc < 0 || p == end)
			return rc;
		if (mdr_get_varint(&p, end, &d) < 0 || mdr_get_varint(&p, end, &m) < 0)
			return -EBADMSG;
		r.sec += d;
		r.ctr = (uint32_t)((int64_t)r.ctr + mdr_unzigzag(m >> 2));
		m &= 3;
	}
}

static rocksdb_iterator_t *index_iter(struct exec *x, const struct mdr_access *a,
				      const struct mdr_part_view *pv,
				      rocksdb_readoptions_t **ro)
{
	uint8_t seek[MDR_IX_KEY_MAX];
	rocksdb_iterator_t *it;

	*ro = rocksdb_readoptions_create();
	if (a->prefix) {
		rocksdb_readoptions_set_prefix_same_as_start(*ro, 1);
	} else {
		rocksdb_readoptions_set_total_order_seek(*ro, 1);
		if (a->hilen)
			rocksdb_readoptions_set_iterate_upper_bound(*ro, (const char *)a->hi, a->hilen);
	}
	it = rocksdb_create_iterator_cf(x->s->db, *ro, pv->p->icf);
	memcpy(seek, a->lo, a->lolen);
	memset(seek + a->lolen, 0, MDR_REF_LEN);
	rocksdb_iter_seek(it, (const char *)seek, a->lolen + MDR_REF_LEN);
	x->q->stats.index_seeks++;
	return it;
}

static int collect_index(struct exec *x, const struct mdr_access *a,
			 const struct mdr_part_view *pv, uint64_t lo, uint64_t hi,
			 struct refset *out)
{
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it = index_iter(x, a, pv, &ro);
	char *err = NULL;
	int rc = 0;

	while (rc == 0 && rocksdb_iter_valid(it) && !out->all) {
		size_t klen, vlen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
		uint8_t next[MDR_IX_KEY_MAX];
		size_t nlen;

		if (klen <= MDR_REF_LEN || (a->prefix && (klen != a->lolen + MDR_REF_LEN ||
							    memcmp(k, a->lo, a->lolen) != 0)))
			break;
		if ((uint64_t)pv->pid * x->s->span_s + mdr_get_be(k + klen - MDR_REF_LEN, 3) > hi) {
			if (a->prefix)
				break;
			/* this value is past the window: skip to the next value */
			nlen = mdr_key_successor(k, klen - MDR_REF_LEN, next);
			if (!nlen)
				break;
			rocksdb_iter_seek(it, (const char *)next, nlen);
			x->q->stats.index_seeks++;
			continue;
		}
		rc = posting(x, a, k, klen, v, vlen, pv, lo, hi, out);
		out->all = out->n > MAX_REFS;
		rocksdb_iter_next(it);
	}
	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	if (err)
		return fail(x, -EIO, "index read", err);
	if (rc < 0)
		return fail(x, rc, "index entry", NULL);
	set_sort(out);
	return 0;
}

static int collect(struct exec *x, const struct mdr_access *a, const struct mdr_part_view *pv,
		   uint64_t lo, uint64_t hi, struct refset *out);

/*
 * AND: intersect the children that restrict anything, smallest first;
 * once the set is down to SMALL_SET references, fetching them and
 * checking the filter costs less than reading more index entries.
 */
#define SMALL_SET 512

static int collect_and(struct exec *x, const struct mdr_access *a,
		       const struct mdr_part_view *pv, uint64_t lo, uint64_t hi,
		       struct refset *out)
{
	bool have = false;
	int rc = 0;

	for (size_t i = 0; i < a->nkids && rc == 0 && !(have && out->n <= SMALL_SET); i++) {
		struct refset k = { 0 };

		rc = collect(x, a->kids[i], pv, lo, hi, &k);
		if (rc == 0 && !k.all && !have) {
			*out = k;
			k.r = NULL;
			have = true;
		} else if (rc == 0 && !k.all) {
			rc = set_merge(out, &k, true);
		}
		free(k.r);
		if (have && out->n == 0)
			break;
	}
	out->all = !have;
	return rc;
}

/* OR: unite; one child without restriction makes the whole a scan. */
static int collect_or(struct exec *x, const struct mdr_access *a,
		      const struct mdr_part_view *pv, uint64_t lo, uint64_t hi,
		      struct refset *out)
{
	int rc = 0;

	for (size_t i = 0; i < a->nkids && rc == 0; i++) {
		struct refset k = { 0 };

		rc = collect(x, a->kids[i], pv, lo, hi, &k);
		if (rc == 0 && k.all) {
			free(k.r);
			free(out->r);
			*out = (struct refset){ .all = true };
			return 0;
		}
		if (rc == 0)
			rc = set_merge(out, &k, false);
		free(k.r);
	}
	return rc;
}

static int collect(struct exec *x, const struct mdr_access *a, const struct mdr_part_view *pv,
		   uint64_t lo, uint64_t hi, struct refset *out)
{
	int rc;

	if (a->kind == MDR_ACC_INDEX)
		return collect_index(x, a, pv, lo, hi, out);
	rc = a->kind == MDR_ACC_AND ? collect_and(x, a, pv, lo, hi, out) :
				      collect_or(x, a, pv, lo, hi, out);
	if (rc < 0 && !x->stop)
		fail(x, rc, "query", NULL);
	return rc;
}

/* ---- records ---- */

static void emit_row(struct exec *x, const struct mdr_flow_record *r)
{
	struct mdr_query_row row = { .rec = r };

	if (!x->q->stats.rows)
		x->q->stats.first_row_us = now_us() - x->t0;
	x->q->stats.rows++;
	if (x->cb(x->ctx, &row) || (x->limit && x->q->stats.rows >= x->limit))
		x->stop = true;
}

struct sec_ent {
	uint64_t start;
	size_t i;                   /* arrival order: counter order */
};

static int sec_cmp(const void *a, const void *b, void *backward)
{
	const struct sec_ent *x = a, *y = b;

	if (x->start != y->start)
		return (x->start < y->start) != *(bool *)backward ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Emit the buffered second in exact start order (newest first backward). */
static void sec_flush(struct exec *x)
{
	struct sec_ent *e = malloc((x->sec_n ? x->sec_n : 1) * sizeof(*e));

	if (!e) {
		fail(x, -ENOMEM, "query", NULL);
		return;
	}
	for (size_t i = 0; i < x->sec_n; i++)
		e[i] = (struct sec_ent){ x->sec_buf[i].start, i };
	qsort_r(e, x->sec_n, sizeof(*e), sec_cmp, &x->backward);
	for (size_t i = 0; i < x->sec_n && !x->stop; i++)
		emit_row(x, &x->sec_buf[e[i].i]);
	x->sec_n = 0;
	free(e);
}

static void emit(struct exec *x, const struct mdr_flow_record *r, uint64_t sec)
{
	int rc;

	x->q->stats.matched++;
	if (x->rows) {
		rc = mdr_rows_add(x->rows, r);
		if (rc < 0)
			fail(x, rc, "query", NULL);
		return;
	}
	if (x->sec_n && sec != x->sec_cur)
		sec_flush(x);
	if (x->sec_n == x->sec_cap) {
		size_t cap = x->sec_cap ? x->sec_cap * 2 : 64;
		struct mdr_flow_record *nb = realloc(x->sec_buf, cap * sizeof(*nb));

		if (!nb) {
			fail(x, -ENOMEM, "query", NULL);
			return;
		}
		x->sec_buf = nb;
		x->sec_cap = cap;
	}
	x->sec_cur = sec;
	x->sec_buf[x->sec_n++] = *r;
}

static void process(struct exec *x, const struct mdr_part_view *pv, const uint8_t *k,
		    size_t klen, const uint8_t *v, size_t vlen)
{
	struct mdr_flow_record r;
	struct mdr_ref ref;
	char what[64];
	int rc;

	if (klen != MDR_REF_LEN)
		return;
	mdr_ref_decode(k, pv->pid, x->s->span_s, &ref);
	rc = mdr_rec_decode(v, vlen, ref.sec, &r);
	if (rc < 0) {
		snprintf(what, sizeof(what), "record of partition %u", pv->pid);
		fail(x, rc, what, NULL);
		return;
	}
	if (mdr_query_window_match(x->q, &r) && mdr_qnode_match(x->q->root, &r))
		emit(x, &r, ref.sec);
}

static int fetch(struct exec *x, const struct mdr_part_view *pv, const struct refset *set)
{
	char *err = NULL;

	for (size_t i = 0; i < set->n && !x->stop; i++) {
		const struct mdr_ref *r = &set->r[x->backward ? set->n - 1 - i : i];
		uint8_t key[MDR_REF_LEN];
		size_t klen, vlen;
		const char *k, *v;

		mdr_ref_encode(key, r, pv->pid, x->s->span_s);
		rocksdb_iter_seek(x->fit, (const char *)key, MDR_REF_LEN);
		if (!rocksdb_iter_valid(x->fit))
			continue;
		k = rocksdb_iter_key(x->fit, &klen);
		if (klen != MDR_REF_LEN || memcmp(k, key, MDR_REF_LEN) != 0)
			continue;   /* index entry of a record that failed to write */
		v = rocksdb_iter_value(x->fit, &vlen);
		x->q->stats.fetched++;
		process(x, pv, (const uint8_t *)k, klen, (const uint8_t *)v, vlen);
	}
	rocksdb_iter_get_error(x->fit, &err);
	return err ? fail(x, -EIO, "record read", err) : 0;
}

static int scan(struct exec *x, const struct mdr_part_view *pv, uint64_t lo, uint64_t hi)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	struct mdr_ref a = { lo, 0, 0 }, b = { hi + 1, 0, 0 };
	uint8_t lk[MDR_REF_LEN], hk[MDR_REF_LEN];
	rocksdb_iterator_t *it;
	char *err = NULL;

	mdr_ref_encode(lk, &a, pv->pid, x->s->span_s);
	mdr_ref_encode(hk, &b, pv->pid, x->s->span_s);
	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)lk, MDR_REF_LEN);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hk, MDR_REF_LEN);
	it = rocksdb_create_iterator_cf(x->s->db, ro, pv->p->fcf);
	if (x->backward)
		rocksdb_iter_seek_to_last(it);
	else
		rocksdb_iter_seek_to_first(it);
	while (rocksdb_iter_valid(it) && !x->stop) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen), *v = rocksdb_iter_value(it, &vlen);

		x->q->stats.scanned++;
		process(x, pv, (const uint8_t *)k, klen, (const uint8_t *)v, vlen);
		if (x->backward)
			rocksdb_iter_prev(it);
		else
			rocksdb_iter_next(it);
	}
	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return err ? fail(x, -EIO, "record scan", err) : 0;
}

/*
 * A partition whose flows all started MDR_LONG_FLOW_S or more before the
 * window can only contribute long flows: read it through the LONG index
 * (alone, or ANDed with the plan) instead of fetching every candidate.
 */
static const struct mdr_access *long_only(const struct mdr_query *q, uint64_t hi,
					  const struct mdr_access *a, struct mdr_access *tmp,
					  struct mdr_access **kids)
{
	struct mdr_access *leaf = &tmp[0], *and = &tmp[1];

	if (!q->has_from || q->from_ns < (hi + 1 + MDR_LONG_FLOW_S) * MDR_NSEC_PER_SEC)
		return a;
	memset(tmp, 0, 2 * sizeof(*tmp));
	leaf->kind = MDR_ACC_INDEX;
	leaf->lo[0] = MDR_IX_LONG;
	leaf->lolen = 1;
	leaf->prefix = true;
	if (a->kind == MDR_ACC_SCAN)
		return leaf;
	kids[0] = leaf;
	kids[1] = (struct mdr_access *)a;
	and->kind = MDR_ACC_AND;
	and->kids = kids;
	and->nkids = 2;
	return and;
}

static int run_part(struct exec *x, const struct mdr_access *plan,
		    const struct mdr_part_view *pv)
{
	struct refset set = { .all = true };
	struct mdr_access tmp[2], *kids[2];
	const struct mdr_access *a;
	rocksdb_readoptions_t *ro;
	uint64_t lo, hi;
	int rc = 0;

	if (!mdr_query_part_bounds(x->q, pv, x->s->span_s, &lo, &hi))
		return 0;
	x->q->stats.partitions++;
	a = long_only(x->q, hi, plan, tmp, kids);
	if (a->kind != MDR_ACC_SCAN) {
		set.all = false;
		rc = collect(x, a, pv, lo, hi, &set);
	}
	if (rc == 0 && set.all) {
		rc = scan(x, pv, lo, hi);
	} else if (rc == 0 && set.n) {
		ro = rocksdb_readoptions_create();
		x->fit = rocksdb_create_iterator_cf(x->s->db, ro, pv->p->fcf);
		rc = fetch(x, pv, &set);
		rocksdb_iter_destroy(x->fit);
		rocksdb_readoptions_destroy(ro);
	}
	free(set.r);
	return rc;
}

static int run_parts(struct exec *x, const struct mdr_part_view *v, size_t nv)
{
	struct mdr_access *a = mdr_plan(x->s, x->q, v, nv);
	int rc = 0;

	if (!a)
		return fail(x, -ENOMEM, "plan", NULL);
	for (size_t i = 0; i < nv && !x->stop && rc == 0; i++)
		rc = run_part(x, a, &v[x->backward ? nv - 1 - i : i]);
	if (rc == 0 && !x->stop && x->sec_n)
		sec_flush(x);
	mdr_access_free(a);
	return rc;
}

int mdr_query_run(struct mdr_store *s, struct mdr_query *q, mdr_query_cb cb, void *ctx,
		  char *err, size_t errlen)
{
	struct exec x = { .s = s, .q = q, .cb = cb, .ctx = ctx, .err = err, .errlen = errlen };
	struct mdr_part_view *v;
	size_t nv;
	int rc;

	if (errlen)
		err[0] = 0;
	memset(&q->stats, 0, sizeof(q->stats));
	x.t0 = now_us();
	x.limit = mdr_query_eff_limit(q);
	x.backward = !q->agg && q->sort == MDR_SORT_START && q->desc;
	if (q->agg || q->sort != MDR_SORT_START) {
		x.rows = mdr_rows_create(q);
		if (!x.rows)
			return fail(&x, -ENOMEM, "query", NULL);
	}
	rc = mdr_store_acquire(s, &v, &nv);
	if (rc == 0) {
		rc = run_parts(&x, v, nv);
		mdr_store_release(s, v, nv);
	}
	if (rc == 0 && x.rows) {
		rc = mdr_rows_finish(x.rows, cb, ctx);
		q->stats.rows = rc > 0 ? (uint64_t)rc : 0;
		q->stats.first_row_us = now_us() - x.t0;
		rc = rc < 0 ? fail(&x, rc, "query", NULL) : 0;
	}
	mdr_rows_free(x.rows);
	free(x.sec_buf);
	q->stats.total_us = now_us() - x.t0;
	return rc < 0 ? rc : x.rc;
}
