/*
 * ingest_index.c - index items of records and their grouping into entries.
 *
 * Items of a record: both endpoint IPs (one item with mask 3 when they
 * are equal), both ports for TCP/UDP/SCTP (exact below 1024, 256-port
 * buckets above), the protocol, application, SNI/HTTP host/DNS query
 * (reversed), JA3/JA4, the community id bucket, each distinct sid, each
 * nDPI risk and, for flows of 5 minutes or more, the LONG marker. A
 * batch's items are grouped by (partition, type, value) in a hash table;
 * each group's references are sorted and delta-coded into one index entry
 * (keys.h).
 */
#include "ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

struct rec_ctx {
	struct mdr_ingest *g;
	uint64_t sec;
	uint32_t ctr, tp;
};

static void add_item(struct rec_ctx *c, uint8_t type, const uint8_t *v, size_t vlen,
		     uint8_t mask, uint32_t resid)
{
	struct mdr_ingest *g = c->g;
	struct ix_item *it = &g->ix[g->nix++];

	it->sec = c->sec;
	it->ctr = c->ctr;
	it->tp = c->tp;
	it->type = type;
	it->vlen = (uint8_t)vlen;
	it->mask = mask;
	it->resid = resid;
	it->next = UINT32_MAX;
	it->voff = (uint32_t)g->narena;
	memcpy(g->arena + g->narena, v, vlen);
	g->narena += vlen;
}

static void add_ips(struct rec_ctx *c, uint8_t type, const uint8_t *a, const uint8_t *b,
		    size_t len)
{
	if (memcmp(a, b, len) == 0) {
		add_item(c, type, a, len, 3, 0);
	} else {
		add_item(c, type, a, len, 1, 0);
		add_item(c, type, b, len, 2, 0);
	}
}

static void add_port(struct rec_ctx *c, uint16_t port, uint8_t mask)
{
	uint8_t v[2];

	if (port < MDR_PORT_EXACT_MAX) {
		mdr_put_be(v, port, 2);
		add_item(c, MDR_IX_PORT, v, 2, mask, 0);
	} else {
		v[0] = (uint8_t)(port >> 8);
		add_item(c, MDR_IX_PORTHI, v, 1, mask, port & 0xff);
	}
}

static void add_text(struct rec_ctx *c, uint8_t type, const char *s, bool rev)
{
	uint8_t v[MDR_IX_VALUE_MAX];
	size_t n = mdr_ix_text(v, s, rev);

	if (n)
		add_item(c, type, v, n, 0, 0);
}

static void add_cid(struct rec_ctx *c, const struct mdr_flow_record *r)
{
	char cid[64];
	uint8_t v[4];

	if (mdr_rec_community_id(r, cid, sizeof(cid)) == 0 && mdr_ix_cid(cid, v) == 0)
		add_item(c, MDR_IX_CID, v, 1, 0, (uint32_t)mdr_get_be(v + 1, 2));
}

static void add_sids_risks(struct rec_ctx *c, const struct mdr_flow_meta *m)
{
	uint8_t v[4];

	for (int i = 0; i < m->nsids && i < MDR_REC_MAX_SIDS; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup |= m->sids[j] == m->sids[i];
		if (dup)
			continue;
		mdr_put_be(v, m->sids[i], 4);
		add_item(c, MDR_IX_SID, v, 4, 0, 0);
	}
	for (int b = 0; b < 64; b++) {
		if (!(m->ndpi_risks >> b & 1))
			continue;
		v[0] = (uint8_t)b;
		add_item(c, MDR_IX_RISK, v, 1, 0, 0);
	}
}

void mdr_ix_items(struct mdr_ingest *g, const struct mdr_flow_record *r, uint64_t sec,
		  uint32_t ctr, uint32_t tp)
{
	struct rec_ctx c = { g, sec, ctr, tp };
	const struct mdr_flow_key *k = &r->key;
	const struct mdr_flow_meta *m = &r->meta;
	uint8_t p = k->proto;

	if (k->ip_ver == 4)
		add_ips(&c, MDR_IX_IP4, k->src.b, k->dst.b, 4);
	else if (k->ip_ver == 6)
		add_ips(&c, MDR_IX_IP6, k->src.b, k->dst.b, 16);
	if (p == 6 || p == 17 || p == 132) {
		if (k->sport == k->dport) {
			add_port(&c, k->sport, 3);
		} else {
			add_port(&c, k->sport, 1);
			add_port(&c, k->dport, 2);
		}
	}
	add_item(&c, MDR_IX_PROTO, &p, 1, 0, 0);
	add_text(&c, MDR_IX_APP, m->app_proto, false);
	add_text(&c, MDR_IX_SNI, m->sni, true);
	add_text(&c, MDR_IX_HOST, m->http_host, true);
	add_text(&c, MDR_IX_DNS, m->dns_query, true);
	add_text(&c, MDR_IX_JA3, m->ja3, false);
	add_text(&c, MDR_IX_JA4, m->ja4, false);
	add_cid(&c, r);
	add_sids_risks(&c, m);
	if (r->end > r->start && r->end - r->start >= MDR_LONG_FLOW_S * MDR_NSEC_PER_SEC)
		add_item(&c, MDR_IX_LONG, &p, 0, 0, 0);
}

/* ---- grouping ---- */

static uint32_t item_hash(const uint8_t *arena, const struct ix_item *it)
{
	uint32_t h = (2166136261u ^ it->tp) * 16777619u;

	h = (h ^ it->type) * 16777619u;
	for (size_t i = 0; i < it->vlen; i++)
		h = (h ^ arena[it->voff + i]) * 16777619u;
	return h;
}

static bool same_value(const uint8_t *arena, const struct ix_item *a, const struct ix_item *b)
{
	return a->tp == b->tp && a->type == b->type && a->vlen == b->vlen &&
	       memcmp(arena + a->voff, arena + b->voff, a->vlen) == 0;
}

static int group_items(struct mdr_ingest *g)
{
	size_t hcap = 64, mask;

	while (hcap < 2 * g->nix)
		hcap *= 2;
	if (mdr_ingest_grow((void **)&g->htab, &g->hcap, hcap, sizeof(*g->htab)) < 0 ||
	    mdr_ingest_grow((void **)&g->grp, &g->capgrp, g->nix, sizeof(*g->grp)) < 0)
		return -ENOMEM;
	mask = hcap - 1;
	memset(g->htab, 0, hcap * sizeof(*g->htab));
	g->ngrp = 0;
	for (uint32_t i = 0; i < g->nix; i++) {
		struct ix_item *it = &g->ix[i];
		uint32_t h = item_hash(g->arena, it);
		size_t j = h & mask;
		struct ix_group *gr = NULL;

		for (; g->htab[j]; j = (j + 1) & mask) {
			gr = &g->grp[g->htab[j] - 1];
			if (gr->hash == h && same_value(g->arena, &g->ix[gr->first], it))
				break;
		}
		if (g->htab[j]) {
			g->ix[gr->last].next = i;
			gr->last = i;
			gr->n++;
		} else {
			g->grp[g->ngrp] = (struct ix_group){ i, i, 1, h };
			g->htab[j] = (uint32_t)++g->ngrp;
		}
	}
	return 0;
}

static int item_ref_cmp(const void *a, const void *b)
{
	const struct ix_item *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->ctr < y->ctr ? -1 : x->ctr > y->ctr;
}

/* The group's items in reference order, in g->sorted. */
static void group_sorted(struct mdr_ingest *g, const struct ix_group *gr)
{
	bool ordered = true;
	size_t n = 0;

	for (uint32_t i = gr->first; i != UINT32_MAX; i = g->ix[i].next) {
		g->sorted[n] = g->ix[i];
		if (n && item_ref_cmp(&g->sorted[n - 1], &g->sorted[n]) > 0)
			ordered = false;
		n++;
	}
	if (!ordered)
		qsort(g->sorted, n, sizeof(*g->sorted), item_ref_cmp);
}

static size_t put_resid(uint8_t *p, uint32_t resid, int rlen)
{
	mdr_put_be(p, resid, rlen);
	return (size_t)rlen;
}

static void put_group(struct mdr_store *s, struct mdr_ingest *g, const struct ix_group *gr)
{
	const struct ix_item *it = g->sorted;
	struct mdr_part *p = g->tp[it->tp].p;
	struct mdr_ref r0 = { it->sec, it->ctr, 0 };
	uint8_t key[MDR_IX_KEY_MAX];
	int rlen = mdr_ix_resid_len(it->type);
	size_t klen = 0, plen = 0;

	key[klen++] = it->type;
	memcpy(key + klen, g->arena + it->voff, it->vlen);
	klen += it->vlen;
	mdr_ref_encode(key + klen, &r0, p->pid, s->span_s);
	klen += MDR_REF_LEN;
	plen += mdr_put_varint(g->post + plen, it->mask);
	plen += put_resid(g->post + plen, it->resid, rlen);
	for (size_t k = 1; k < gr->n; k++) {
		int64_t dc = (int64_t)it[k].ctr - (int64_t)it[k - 1].ctr;

		plen += mdr_put_varint(g->post + plen, it[k].sec - it[k - 1].sec);
		plen += mdr_put_varint(g->post + plen, mdr_zigzag(dc) << 2 | it[k].mask);
		plen += put_resid(g->post + plen, it[k].resid, rlen);
	}
	rocksdb_writebatch_put_cf(g->wb, p->icf, (char *)key, klen, (char *)g->post, plen);
}

/* Groups in key order: memtable inserts in order are much cheaper. */
static int group_cmp(const void *a, const void *b, void *ctx)
{
	const struct mdr_ingest *g = ctx;
	const struct ix_item *x = &g->ix[g->grp[*(const uint32_t *)a].first];
	const struct ix_item *y = &g->ix[g->grp[*(const uint32_t *)b].first];
	int c;

	if (x->tp != y->tp)
		return x->tp < y->tp ? -1 : 1;
	if (x->type != y->type)
		return x->type - y->type;
	c = memcmp(g->arena + x->voff, g->arena + y->voff, x->vlen < y->vlen ? x->vlen : y->vlen);
	return c ? c : x->vlen - y->vlen;
}

int mdr_ix_put_groups(struct mdr_store *s, struct mdr_ingest *g)
{
	size_t maxn = 0;
	int rc = group_items(g);

	for (size_t i = 0; i < g->ngrp && rc == 0; i++)
		maxn = g->grp[i].n > maxn ? g->grp[i].n : maxn;
	if (rc == 0 &&
	    (mdr_ingest_grow((void **)&g->sorted, &g->capsorted, maxn, sizeof(*g->sorted)) < 0 ||
	     mdr_ingest_grow((void **)&g->post, &g->cappost, maxn * 24 + 16, 1) < 0 ||
	     mdr_ingest_grow((void **)&g->order, &g->caporder, g->ngrp, sizeof(*g->order)) < 0))
		rc = -ENOMEM;
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < g->ngrp; i++)
		g->order[i] = i;
	qsort_r(g->order, g->ngrp, sizeof(*g->order), group_cmp, g);
	for (size_t i = 0; i < g->ngrp; i++) {
		group_sorted(g, &g->grp[g->order[i]]);
		put_group(s, g, &g->grp[g->order[i]]);
	}
	return 0;
}
