/*
 * ingest.c - mdr_store_put(): one batch of records -> one RocksDB WriteBatch.
 *
 * For every record: a reference (start second + ingest counter), its encoded
 * form in the flow CF of its partition, and its index items. Items that
 * share (partition, type, value) become ONE index entry listing their
 * references (ingest_index.c): a batch of 1,000 flows to the same server
 * port costs one key, not 1,000, which keeps ingest fast and the index
 * small. Records go into the batch in key order (cheap memtable inserts).
 * The partitions' meta entries (record count, longest flow) and the
 * counter ride in the same batch, so the store is consistent whatever
 * fails: a failed write leaves no record, index entry or counter behind.
 */
#include "ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"

#define ITEMS_PER_REC 96
#define ARENA_PER_REC (MDR_REC_ENC_MAX + 1024)

void mdr_ingest_free(struct mdr_ingest *g)
{
	if (!g)
		return;
	free(g->ix);
	free(g->fl);
	free(g->arena);
	free(g->tp);
	free(g->rec_tp);
	free(g->post);
	free(g->grp);
	free(g->htab);
	free(g->sorted);
	free(g->order);
	if (g->wb)
		rocksdb_writebatch_destroy(g->wb);
	free(g);
}

int mdr_ingest_grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *np;

	if (*cap >= need)
		return 0;
	np = realloc(*p, need * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = need;
	return 0;
}

static int ingest_reserve(struct mdr_store *s, size_t n)
{
	struct mdr_ingest *g = s->ing;

	if (!g && !(g = s->ing = calloc(1, sizeof(*g))))
		return -ENOMEM;
	if (!g->wb && !(g->wb = rocksdb_writebatch_create()))
		return -ENOMEM;
	g->nix = g->nfl = g->narena = g->ntp = g->ngrp = 0;
	rocksdb_writebatch_clear(g->wb);
	if (mdr_ingest_grow((void **)&g->ix, &g->capix, n * ITEMS_PER_REC, sizeof(*g->ix)) ||
	    mdr_ingest_grow((void **)&g->fl, &g->capfl, n, sizeof(*g->fl)) ||
	    mdr_ingest_grow((void **)&g->arena, &g->caparena, n * ARENA_PER_REC, 1) ||
	    mdr_ingest_grow((void **)&g->tp, &g->captp, n, sizeof(*g->tp)) ||
	    mdr_ingest_grow((void **)&g->rec_tp, &g->caprec, n, sizeof(*g->rec_tp)))
		return -ENOMEM;
	return 0;
}

/* ---- partitions of the batch (under s->mu) ---- */

static int touch_parts(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n)
{
	struct mdr_ingest *g = s->ing;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t sec = recs[i].start / MDR_NSEC_PER_SEC, pid = sec / s->span_s;
		struct mdr_part *p = NULL;
		size_t t;

		g->rec_tp[i] = UINT32_MAX;
		if (sec < s->horizon_s || pid >= UINT32_MAX) {
			s->st.rejected_old++;
			continue;
		}
		for (t = g->ntp; t > 0 && g->tp[t - 1].p->pid != pid; t--)
			;
		if (t == 0) {
			rc = mdr_part_get(s, (uint32_t)pid, &p);
			if (rc < 0)
				break;
			p->refs++;
			g->tp[g->ntp] = (struct touched){ p, 0, p->maxdur_s };
			t = ++g->ntp;
		}
		g->rec_tp[i] = (uint32_t)(t - 1);
	}
	return rc;
}

static void untouch_parts(struct mdr_store *s, bool ok)
{
	struct mdr_ingest *g = s->ing;

	if (!g)
		return;
	for (size_t t = 0; t < g->ntp; t++) {
		if (ok) {
			g->tp[t].p->records += g->tp[t].add;
			g->tp[t].p->maxdur_s = g->tp[t].maxdur_s;
		}
		mdr_part_unref_locked(s, g->tp[t].p);
	}
	g->ntp = 0;
}

/* ---- batch building ---- */

static void build_items(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n,
			uint32_t ctr0)
{
	struct mdr_ingest *g = s->ing;

	for (size_t i = 0; i < n; i++) {
		const struct mdr_flow_record *r = &recs[i];
		uint32_t tp = g->rec_tp[i], ctr = ctr0 + (uint32_t)i;
		struct fl_item *f;
		uint64_t dur;

		if (tp == UINT32_MAX)
			continue;
		f = &g->fl[g->nfl++];
		*f = (struct fl_item){ r->start / MDR_NSEC_PER_SEC, ctr, tp, (uint32_t)g->narena, 0 };
		f->len = (uint32_t)mdr_rec_encode(r, g->arena + g->narena);
		g->narena += f->len;
		mdr_ix_items(g, r, r->start / MDR_NSEC_PER_SEC, ctr, tp);
		dur = r->end > r->start ? (r->end - r->start) / MDR_NSEC_PER_SEC + 1 : 0;
		g->tp[tp].add++;
		if (dur > g->tp[tp].maxdur_s)
			g->tp[tp].maxdur_s = dur;
	}
}

static int cmp_fl(const void *a, const void *b)
{
	const struct fl_item *x = a, *y = b;

	if (x->tp != y->tp)
		return x->tp < y->tp ? -1 : 1;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->ctr < y->ctr ? -1 : x->ctr > y->ctr;
}

static void put_records(struct mdr_store *s)
{
	struct mdr_ingest *g = s->ing;

	qsort(g->fl, g->nfl, sizeof(*g->fl), cmp_fl);
	for (size_t i = 0; i < g->nfl; i++) {
		const struct fl_item *f = &g->fl[i];
		struct mdr_part *p = g->tp[f->tp].p;
		struct mdr_ref r = { f->sec, f->ctr, 0 };
		uint8_t key[MDR_REF_LEN];

		mdr_ref_encode(key, &r, p->pid, s->span_s);
		rocksdb_writebatch_put_cf(g->wb, p->fcf, (char *)key, MDR_REF_LEN,
					  (char *)g->arena + f->off, f->len);
	}
}

static void put_meta(struct mdr_store *s, uint32_t ctr_next)
{
	struct mdr_ingest *g = s->ing;
	uint8_t k[5], v[24];

	for (size_t t = 0; t < g->ntp; t++) {
		struct touched *tp = &g->tp[t];
		size_t n;

		if (!tp->add)
			continue;
		mdr_part_meta_key(k, tp->p->pid);
		n = mdr_put_varint(v, tp->p->records + tp->add);
		n += mdr_put_varint(v + n, tp->maxdur_s);
		rocksdb_writebatch_put_cf(g->wb, s->meta, (char *)k, 5, (char *)v, n);
	}
	mdr_put_be(v, ctr_next, 4);
	rocksdb_writebatch_put_cf(g->wb, s->meta, MDR_META_CTR, strlen(MDR_META_CTR),
				  (char *)v, 4);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int put_fail(struct mdr_store *s, size_t n, int rc)
{
	if (rc == -ENOMEM)
		snprintf(s->lasterr, sizeof(s->lasterr), "put: out of memory");
	s->st.write_errors++;
	s->st.write_errors_records += n;
	s->st.last_errno = -rc;
	return rc;
}

/* Under s->mu: refuse or prepare the batch, assign its counters. */
static int put_begin(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n,
		     uint32_t *ctr0)
{
	int rc;

	s->st.put_calls++;
	if (s->failed && mdr_store_recover_locked(s) < 0)
		return put_fail(s, n, s->st.last_errno ? -s->st.last_errno : -EIO);
	rc = ingest_reserve(s, n);
	if (rc == 0)
		rc = touch_parts(s, recs, n);
	*ctr0 = s->ctr;
	s->ctr += (uint32_t)n;
	if (rc < 0) {
		untouch_parts(s, false);
		return put_fail(s, n, rc);
	}
	return 0;
}

/* Under s->mu: account the outcome of the write. */
static int put_end(struct mdr_store *s, size_t n, int rc, char *err, const uint64_t t[4])
{
	s->st.put_ns_encode += t[1] - t[0];
	s->st.put_ns_index += t[2] - t[1];
	s->st.put_ns_write += t[3] - t[2];
	if (err) {
		rc = mdr_store_fail(s, "put", err);
		s->failed = true;
	}
	untouch_parts(s, rc == 0);
	if (rc < 0)
		return put_fail(s, n, rc);
	s->st.put_records += s->ing->nfl;
	s->st.put_index_entries += s->ing->ngrp;
	return 0;
}

int mdr_store_put(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n)
{
	uint64_t t[4];
	uint32_t ctr0 = 0;
	char *err = NULL;
	int rc;

	if (s->cfg.read_only) {
		snprintf(s->lasterr, sizeof(s->lasterr), "put: store opened read-only");
		return -EROFS;
	}
	if (n == 0)
		return 0;
	pthread_mutex_lock(&s->mu);
	rc = put_begin(s, recs, n, &ctr0);
	pthread_mutex_unlock(&s->mu);
	if (rc < 0)
		return rc;

	t[0] = mono_ns();
	build_items(s, recs, n, ctr0);
	put_records(s);
	t[1] = mono_ns();
	rc = mdr_ix_put_groups(s, s->ing);
	put_meta(s, ctr0 + (uint32_t)n);
	t[2] = mono_ns();
	if (rc == 0)
		rocksdb_write(s->db, s->wopt, s->ing->wb, &err);
	t[3] = mono_ns();

	pthread_mutex_lock(&s->mu);
	rc = put_end(s, n, rc, err, t);
	pthread_mutex_unlock(&s->mu);
	rocksdb_writebatch_clear(s->ing->wb);
	return rc;
}
