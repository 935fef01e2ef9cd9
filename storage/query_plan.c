/*
 * query_plan.c - access plan of a query, and --explain.
 *
 * Each predicate `field = value` on an indexed field becomes an index
 * access: one key prefix (exact values: prefix seek, bloom-filtered) or
 * one key range (CIDR, name suffix: total-order seek) in every partition
 * of the window. AND keeps its index children ordered by estimated size
 * (RocksDB's approximate size of the key range over the window's
 * partitions, then a static selectivity rank) and intersects the first
 * with the others that are at most 16x larger (or small in absolute
 * terms); the rest are checked on the records. OR is a union when every
 * branch has an index, NOT and non-indexed fields need a scan of the
 * window. Whatever the access, every candidate record is then checked
 * against the whole filter (query_eval.c), so the plan only decides cost.
 */
#include "query_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTERSECT_RATIO 16
#define INTERSECT_SMALL (64u << 10)

bool mdr_query_part_bounds(const struct mdr_query *q, const struct mdr_part_view *v,
			   uint64_t span_s, uint64_t *lo_s, uint64_t *hi_s)
{
	uint64_t lo = (uint64_t)v->pid * span_s, hi = lo + span_s - 1;

	if (q->has_to) {
		uint64_t to = q->to_ns / MDR_NSEC_PER_SEC;

		if (to < lo)
			return false;
		hi = to < hi ? to : hi;
	}
	if (q->has_from) {
		uint64_t from = q->from_ns / MDR_NSEC_PER_SEC, min;

		min = from > v->maxdur_s + 1 ? from - v->maxdur_s - 1 : 0;
		if (min > hi)
			return false;
		lo = min > lo ? min : lo;
	}
	*lo_s = lo;
	*hi_s = hi;
	return true;
}

static struct mdr_access *acc_new(enum mdr_acc_kind kind)
{
	struct mdr_access *a = calloc(1, sizeof(*a));

	if (a)
		a->kind = kind;
	return a;
}

void mdr_access_free(struct mdr_access *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nkids; i++)
		mdr_access_free(a->kids[i]);
	free(a->kids);
	free(a);
}

/* ---- index leaves ---- */

static int text_type(enum mdr_qfield id, bool *rev)
{
	*rev = id == MDR_QF_SNI || id == MDR_QF_HOST || id == MDR_QF_DNS;
	switch (id) {
	case MDR_QF_APP: return MDR_IX_APP;
	case MDR_QF_SNI: return MDR_IX_SNI;
	case MDR_QF_HOST: return MDR_IX_HOST;
	case MDR_QF_DNS: return MDR_IX_DNS;
	case MDR_QF_JA3: return MDR_IX_JA3;
	case MDR_QF_JA4: return MDR_IX_JA4;
	default: return 0;
	}
}

/* lo = [type][value]; an exact value is a prefix, else hi bounds a range. */
static bool leaf_text(struct mdr_access *a, const struct mdr_qpred *p)
{
	bool rev;
	int type = text_type(p->f->id, &rev);
	size_t n;

	if (!type || p->match == MDR_MATCH_GLOB || (p->match == MDR_MATCH_SUFFIX && !rev))
		return false;
	a->lo[0] = (uint8_t)type;
	if (p->match == MDR_MATCH_SUFFIX) {
		n = mdr_ix_suffix_prefix(a->lo + 1, p->text);
		a->lolen = 1 + n;
		a->hilen = mdr_key_successor(a->lo, a->lolen, a->hi);
		a->rank = 5;
		return true;
	}
	n = mdr_ix_text(a->lo + 1, p->text, rev);
	if (!n)
		return false;   /* "" matches flows without the field: not indexed */
	a->lolen = 1 + n;
	a->prefix = true;
	a->rank = type == MDR_IX_APP ? 9 : type == MDR_IX_JA3 || type == MDR_IX_JA4 ? 2 : 3;
	return true;
}

static void leaf_ip(struct mdr_access *a, const struct mdr_qpred *p)
{
	size_t len = p->ipver == 4 ? 4 : 16;
	uint8_t last[1 + 16];

	a->lo[0] = p->ipver == 4 ? MDR_IX_IP4 : MDR_IX_IP6;
	memcpy(a->lo + 1, p->ip.b, len);
	a->lolen = 1 + len;
	a->mask = (uint8_t)p->f->side;
	if (p->plen == len * 8) {
		a->prefix = true;
		a->rank = 4;
		return;
	}
	memcpy(last, a->lo, a->lolen);
	for (int bit = p->plen; bit < (int)len * 8; bit++)
		last[1 + bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	a->hilen = mdr_key_successor(last, a->lolen, a->hi);
	a->rank = 7;
}

static struct mdr_access *leaf(const struct mdr_qpred *p)
{
	struct mdr_access *a;

	if (p->op != MDR_OP_EQ)
		return NULL;
	a = acc_new(MDR_ACC_INDEX);
	if (!a)
		return NULL;
	a->pred = p;
	switch (p->f->id) {
	case MDR_QF_IP:
		leaf_ip(a, p);
		return a;
	case MDR_QF_PORT:
		a->rank = 8, a->mask = (uint8_t)p->f->side;
		if (p->num < MDR_PORT_EXACT_MAX) {
			a->lo[0] = MDR_IX_PORT, a->lolen = 3;
			mdr_put_be(a->lo + 1, p->num, 2);
		} else {
			a->lo[0] = MDR_IX_PORTHI, a->lo[1] = (uint8_t)(p->num >> 8), a->lolen = 2;
			a->rlen = 1, a->resid = p->num & 0xff;
		}
		break;
	case MDR_QF_PROTO:
		a->lo[0] = MDR_IX_PROTO, a->lo[1] = (uint8_t)p->num, a->lolen = 2, a->rank = 10;
		break;
	case MDR_QF_CID:
		a->lo[0] = MDR_IX_CID, a->lolen = 2, a->rank = 0;
		a->rlen = (uint8_t)mdr_ix_resid_len(MDR_IX_CID);
		mdr_ix_cid(p->text, a->lo + 1);     /* 4 bytes: value, then residual */
		a->resid = (uint32_t)mdr_get_be(a->lo + 2, a->rlen);
		break;
	case MDR_QF_SID:
		a->lo[0] = MDR_IX_SID, a->lolen = 5, a->rank = 1;
		mdr_put_be(a->lo + 1, p->num, 4);
		break;
	case MDR_QF_RISK:
		a->lo[0] = MDR_IX_RISK, a->lo[1] = (uint8_t)p->num, a->lolen = 2, a->rank = 6;
		break;
	default:
		if (leaf_text(a, p))
			return a;
		free(a);
		return NULL;
	}
	a->prefix = true;
	return a;
}

static void estimate(struct mdr_store *s, const struct mdr_query *q, struct mdr_access *a,
		     const struct mdr_part_view *v, size_t nv)
{
	uint8_t hi[MDR_IX_KEY_MAX];
	size_t hilen = a->hilen;
	const char *start = (const char *)a->lo, *limit = (const char *)hi;
	uint64_t lo_s, hi_s;

	if (a->prefix)
		hilen = mdr_key_successor(a->lo, a->lolen, hi);
	else
		memcpy(hi, a->hi, hilen);
	if (!hilen)
		hi[0] = 0xff, hilen = 1;
	for (size_t i = 0; i < nv && s; i++) {
		uint64_t size = 0;
		char *err = NULL;

		if (!mdr_query_part_bounds(q, &v[i], s->span_s, &lo_s, &hi_s))
			continue;
		rocksdb_approximate_sizes_cf(s->db, v[i].p->icf, 1, &start, &a->lolen, &limit,
					     &hilen, &size, &err);
		rocksdb_free(err);
		a->est += size;
	}
}

/* ---- combining ---- */

static int acc_cmp(const void *x, const void *y)
{
	const struct mdr_access *a = *(struct mdr_access *const *)x;
	const struct mdr_access *b = *(struct mdr_access *const *)y;

	if (a->est != b->est)
		return a->est < b->est ? -1 : 1;
	return a->rank - b->rank;
}

static struct mdr_access *plan_node(struct mdr_store *s, const struct mdr_query *q,
				    const struct mdr_qnode *n, const struct mdr_part_view *v,
				    size_t nv);

/* Children plans of n; *nscan counts the ones that need a scan. */
static struct mdr_access *plan_kids(struct mdr_store *s, const struct mdr_query *q,
				    const struct mdr_qnode *n, const struct mdr_part_view *v,
				    size_t nv, size_t *nscan)
{
	struct mdr_access *a = acc_new(n->kind == MDR_QN_AND ? MDR_ACC_AND : MDR_ACC_OR);

	if (!a || !(a->kids = calloc(n->nkids, sizeof(*a->kids)))) {
		free(a);
		return NULL;
	}
	*nscan = 0;
	for (size_t i = 0; i < n->nkids; i++) {
		struct mdr_access *k = plan_node(s, q, n->kids[i], v, nv);

		if (!k || k->kind == MDR_ACC_SCAN) {
			mdr_access_free(k);
			(*nscan)++;
			continue;
		}
		a->kids[a->nkids++] = k;
	}
	return a;
}

static struct mdr_access *plan_and(struct mdr_access *a)
{
	size_t keep = 1;

	qsort(a->kids, a->nkids, sizeof(a->kids[0]), acc_cmp);
	for (size_t i = 1; i < a->nkids; i++) {
		struct mdr_access *k = a->kids[i];

		if (k->est <= INTERSECT_SMALL || k->est <= INTERSECT_RATIO * a->kids[0]->est)
			a->kids[keep++] = k;
		else
			mdr_access_free(k);
	}
	a->nkids = keep;
	return a;
}

static struct mdr_access *plan_node(struct mdr_store *s, const struct mdr_query *q,
				    const struct mdr_qnode *n, const struct mdr_part_view *v,
				    size_t nv)
{
	struct mdr_access *a;
	size_t nscan;

	if (n->kind == MDR_QN_PRED) {
		a = leaf(&n->pred);
		if (a)
			estimate(s, q, a, v, nv);
		return a ? a : acc_new(MDR_ACC_SCAN);
	}
	if (n->kind == MDR_QN_NOT)
		return acc_new(MDR_ACC_SCAN);
	a = plan_kids(s, q, n, v, nv, &nscan);
	if (!a)
		return NULL;
	if (a->nkids == 0 || (a->kind == MDR_ACC_OR && nscan)) {
		mdr_access_free(a);
		return acc_new(MDR_ACC_SCAN);
	}
	if (a->kind == MDR_ACC_AND)
		plan_and(a);
	for (size_t i = 0; i < a->nkids; i++)
		a->est += a->kids[i]->est;
	if (a->nkids == 1) {
		struct mdr_access *k = a->kids[0];

		a->nkids = 0;
		mdr_access_free(a);
		return k;
	}
	return a;
}

struct mdr_access *mdr_plan(struct mdr_store *s, const struct mdr_query *q,
			    const struct mdr_part_view *v, size_t nv)
{
	if (!q->root)
		return acc_new(MDR_ACC_SCAN);
	return plan_node(s, q, q->root, v, nv);
}
