/*
 * flow.c - the per-worker flow table.
 *
 * Memory: everything is allocated by mdr_flow_table_create(): a pool of
 * max_flows struct mdr_flow, handed out from a free list (then from a
 * high-water mark, so untouched pages stay untouched), and a power-of-two
 * bucket array of pool indexes chained through f->next.
 *
 * Lookup: a symmetric hash of the key (both endpoints hashed, then added),
 * then the stored key (oriented client -> server) is compared as-is
 * (dir 0) and reversed (dir 1).
 *
 * Expiry: each flow sits in the LRU list of its timeout class, most
 * recently seen at the head. All flows of a list share one timeout, so
 * mdr_flow_expire() pops expired flows from the tails and stops at the
 * first live one. A packet for a flow already past its timeout ends it
 * first, so results do not depend on how often expiry runs; for the same
 * reason a full table first expires what is due at the packet's time, and
 * only then evicts the least recently seen flows (oldest tail of all lists).
 *
 * Records: the end callback sees the flow before its slot is wiped. An
 * interim record (active timeout) goes through the same callback, then the
 * interval counters restart. stats.ended[] counts real ends only.
 */
#include <errno.h>
#include <stdlib.h>

#include "flow_int.h"

struct lru_list {
	uint32_t head, tail;
};

struct mdr_flow_table {
	struct mdr_flow_config cfg;
	uint32_t worker_id;
	mdr_flow_end_cb end_cb;
	void *ctx;
	struct mdr_flow *pool;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;             /* recycled slots */
	uint32_t hwm;                   /* slots [hwm, max_flows) never used */
	struct lru_list lru[MDR_TO__COUNT];
	struct mdr_flow_stats st;
};

void mdr_flow_config_default(struct mdr_flow_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_flows = 262144;
	cfg->hash_size = 0; /* = max_flows, rounded up to a power of two */
	cfg->timeout_ns[MDR_TO_TCP_NEW] = 60 * MDR_NSEC_PER_SEC;
	cfg->timeout_ns[MDR_TO_TCP_EST] = 3600 * MDR_NSEC_PER_SEC;
	cfg->timeout_ns[MDR_TO_TCP_CLOSED] = 60 * MDR_NSEC_PER_SEC;
	cfg->timeout_ns[MDR_TO_UDP] = 300 * MDR_NSEC_PER_SEC;
	cfg->timeout_ns[MDR_TO_ICMP] = 300 * MDR_NSEC_PER_SEC;
	cfg->timeout_ns[MDR_TO_OTHER] = 300 * MDR_NSEC_PER_SEC;
	cfg->active_timeout_ns = 1800 * MDR_NSEC_PER_SEC;
	cfg->evict_batch = 16;
}

/* ---- hashing ------------------------------------------------------------ */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Big-endian load, so ids do not depend on the host byte order. */
static inline uint64_t load_be64(const uint8_t *b)
{
	return (uint64_t)mdr_load_be32(b) << 32 | mdr_load_be32(b + 4);
}

static uint64_t endpoint_hash(const struct mdr_ip *ip, uint16_t port)
{
	uint64_t h = mix64(load_be64(ip->b) ^ 0x9e3779b97f4a7c15ULL);

	h = mix64(h ^ load_be64(ip->b + 8));
	return mix64(h ^ port);
}

static uint32_t key_hash(const struct mdr_flow_key *k)
{
	uint64_t h = endpoint_hash(&k->src, k->sport) +
		     endpoint_hash(&k->dst, k->dport);

	h ^= (uint64_t)k->proto << 40 | (uint64_t)k->ip_ver << 32 | k->vlan;
	return (uint32_t)mix64(h);
}

uint64_t mdr_flow_id(const struct mdr_flow_key *k, mdr_time_t start)
{
	uint64_t h = 0x2545f4914f6cdd1dULL;

	h = mix64(h ^ load_be64(k->src.b));
	h = mix64(h ^ load_be64(k->src.b + 8));
	h = mix64(h ^ load_be64(k->dst.b));
	h = mix64(h ^ load_be64(k->dst.b + 8));
	h = mix64(h ^ ((uint64_t)k->sport << 48 | (uint64_t)k->dport << 32 |
		       (uint64_t)k->vlan << 16 | (uint64_t)k->proto << 8 | k->ip_ver));
	h = mix64(h ^ start) & INT64_MAX;
	return h ? h : 1;
}

static bool key_eq(const struct mdr_flow_key *a, const struct mdr_flow_key *b)
{
	return a->sport == b->sport && a->dport == b->dport &&
	       a->proto == b->proto && a->vlan == b->vlan &&
	       a->ip_ver == b->ip_ver &&
	       !memcmp(a->src.b, b->src.b, sizeof(a->src.b)) &&
	       !memcmp(a->dst.b, b->dst.b, sizeof(a->dst.b));
}

static bool key_eq_rev(const struct mdr_flow_key *a, const struct mdr_flow_key *b)
{
	return a->sport == b->dport && a->dport == b->sport &&
	       a->proto == b->proto && a->vlan == b->vlan &&
	       a->ip_ver == b->ip_ver &&
	       !memcmp(a->src.b, b->dst.b, sizeof(a->src.b)) &&
	       !memcmp(a->dst.b, b->src.b, sizeof(a->dst.b));
}

static void key_reverse(struct mdr_flow_key *out, const struct mdr_flow_key *k)
{
	*out = *k;
	out->src = k->dst;
	out->dst = k->src;
	out->sport = k->dport;
	out->dport = k->sport;
}

/* ---- table create / free ------------------------------------------------ */

static int config_check(struct mdr_flow_config *c)
{
	if (c->max_flows == 0 || c->max_flows >= MDR_FLOW_NONE)
		return -EINVAL;
	if (c->hash_size == 0)
		c->hash_size = c->max_flows;
	if (c->hash_size > (1u << 31))
		c->hash_size = 1u << 31;
	c->hash_size = mdr_pow2_roundup(c->hash_size);
	if (c->evict_batch == 0)
		c->evict_batch = 1;
	return 0;
}

struct mdr_flow_table *mdr_flow_table_create(const struct mdr_flow_config *cfg,
					     uint32_t worker_id,
					     mdr_flow_end_cb end_cb, void *ctx)
{
	struct mdr_flow_table *t;
	struct mdr_flow_config c;

	if (cfg)
		c = *cfg;
	else
		mdr_flow_config_default(&c);
	if (config_check(&c) < 0) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pool = calloc(c.max_flows, sizeof(*t->pool));
	t->buckets = malloc((size_t)c.hash_size * sizeof(*t->buckets));
	if (!t->pool || !t->buckets) {
		mdr_flow_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->buckets, 0xff, (size_t)c.hash_size * sizeof(*t->buckets));
	for (int i = 0; i < MDR_TO__COUNT; i++)
		t->lru[i].head = t->lru[i].tail = MDR_FLOW_NONE;
	t->cfg = c;
	t->worker_id = worker_id;
	t->end_cb = end_cb;
	t->ctx = ctx;
	t->bucket_mask = c.hash_size - 1;
	t->free_head = MDR_FLOW_NONE;
	return t;
}

void mdr_flow_table_free(struct mdr_flow_table *t)
{
	if (!t)
		return;
	free(t->pool);
	free(t->buckets);
	free(t);
}

const struct mdr_flow_stats *mdr_flow_get_stats(const struct mdr_flow_table *t)
{
	return &t->st;
}

/* ---- LRU lists and buckets ---------------------------------------------- */

static inline uint32_t flow_idx(const struct mdr_flow_table *t, const struct mdr_flow *f)
{
	return (uint32_t)(f - t->pool);
}

static void lru_unlink(struct mdr_flow_table *t, struct mdr_flow *f)
{
	struct lru_list *l = &t->lru[f->to_class];

	if (f->lru_prev != MDR_FLOW_NONE)
		t->pool[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != MDR_FLOW_NONE)
		t->pool[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = MDR_FLOW_NONE;
}

static void lru_push_head(struct mdr_flow_table *t, struct mdr_flow *f, uint8_t cls)
{
	struct lru_list *l = &t->lru[cls];
	uint32_t i = flow_idx(t, f);

	f->to_class = cls;
	f->lru_prev = MDR_FLOW_NONE;
	f->lru_next = l->head;
	if (l->head != MDR_FLOW_NONE)
		t->pool[l->head].lru_prev = i;
	else
		l->tail = i;
	l->head = i;
}

static void bucket_unlink(struct mdr_flow_table *t, struct mdr_flow *f)
{
	uint32_t *pi = &t->buckets[f->hash & t->bucket_mask];
	uint32_t i = flow_idx(t, f);

	while (*pi != MDR_FLOW_NONE && *pi != i)
		pi = &t->pool[*pi].next;
	if (*pi == i)
		*pi = f->next;
}

static struct mdr_flow *lookup(struct mdr_flow_table *t,
			       const struct mdr_flow_key *k, uint32_t h, int *dir)
{
	uint32_t i = t->buckets[h & t->bucket_mask];

	while (i != MDR_FLOW_NONE) {
		struct mdr_flow *f = &t->pool[i];

		if (f->hash == h) {
			if (key_eq(&f->key, k)) {
				*dir = 0;
				return f;
			}
			if (key_eq_rev(&f->key, k)) {
				*dir = 1;
				return f;
			}
		}
		t->st.collisions++;
		i = f->next;
	}
	return NULL;
}

/* ---- ending flows ------------------------------------------------------- */

static void flow_release(struct mdr_flow_table *t, struct mdr_flow *f)
{
	bucket_unlink(t, f);
	lru_unlink(t, f);
	memset(f, 0, sizeof(*f));
	f->lru_prev = f->lru_next = MDR_FLOW_NONE;
	f->next = t->free_head;
	t->free_head = flow_idx(t, f);
	t->st.active--;
}

static void flow_end(struct mdr_flow_table *t, struct mdr_flow *f,
		     enum mdr_flow_end why)
{
	if (t->end_cb)
		t->end_cb(t->ctx, f, why);
	t->st.ended[why]++;
	if (why == MDR_END_EVICTED)
		t->st.evicted++;
	flow_release(t, f);
}

/* The reason of an idle end: what closed the flow, if anything did. */
static enum mdr_flow_end idle_reason(const struct mdr_flow *f)
{
	return f->closed_by ? (enum mdr_flow_end)f->closed_by : MDR_END_IDLE_TIMEOUT;
}

static bool flow_expired(const struct mdr_flow_table *t,
			 const struct mdr_flow *f, mdr_time_t now)
{
	return now > f->last && now - f->last > t->cfg.timeout_ns[f->to_class];
}

void mdr_flow_expire(struct mdr_flow_table *t, mdr_time_t now)
{
	for (int c = 0; c < MDR_TO__COUNT; c++) {
		uint32_t i;

		while ((i = t->lru[c].tail) != MDR_FLOW_NONE &&
		       flow_expired(t, &t->pool[i], now))
			flow_end(t, &t->pool[i], idle_reason(&t->pool[i]));
	}
}

/* The least recently seen flow of the table (oldest tail of the lists). */
static uint32_t oldest_tail(const struct mdr_flow_table *t)
{
	uint32_t best = MDR_FLOW_NONE;

	for (int c = 0; c < MDR_TO__COUNT; c++) {
		uint32_t i = t->lru[c].tail;

		if (i != MDR_FLOW_NONE &&
		    (best == MDR_FLOW_NONE || t->pool[i].last < t->pool[best].last))
			best = i;
	}
	return best;
}

void mdr_flow_flush(struct mdr_flow_table *t)
{
	uint32_t i;

	while ((i = oldest_tail(t)) != MDR_FLOW_NONE)
		flow_end(t, &t->pool[i], MDR_END_SHUTDOWN);
}

static void evict(struct mdr_flow_table *t)
{
	for (uint32_t n = 0; n < t->cfg.evict_batch; n++) {
		uint32_t i = oldest_tail(t);

		if (i == MDR_FLOW_NONE)
			return;
		flow_end(t, &t->pool[i], MDR_END_EVICTED);
	}
}

/* ---- creating flows ----------------------------------------------------- */

static struct mdr_flow *slot_alloc(struct mdr_flow_table *t, mdr_time_t now)
{
	uint32_t i;

	if (t->free_head == MDR_FLOW_NONE && t->hwm == t->cfg.max_flows) {
		mdr_flow_expire(t, now);
		if (t->free_head == MDR_FLOW_NONE)
			evict(t);
	}
	if (t->free_head != MDR_FLOW_NONE) {
		i = t->free_head;
		t->free_head = t->pool[i].next;
	} else if (t->hwm < t->cfg.max_flows) {
		i = t->hwm++;
	} else {
		return NULL;
	}
	return &t->pool[i];
}

static uint8_t timeout_class(const struct mdr_flow *f)
{
	switch (f->key.proto) {
	case MDR_PROTO_TCP:
		if (f->state == MDR_FLOW_STATE_CLOSED)
			return MDR_TO_TCP_CLOSED;
		return f->state == MDR_FLOW_STATE_ESTABLISHED ?
		       MDR_TO_TCP_EST : MDR_TO_TCP_NEW;
	case MDR_PROTO_UDP:
		return MDR_TO_UDP;
	case MDR_PROTO_ICMP:
	case MDR_PROTO_ICMPV6:
		return MDR_TO_ICMP;
	default:
		return MDR_TO_OTHER;
	}
}

/* A first TCP packet that is SYN+ACK comes from the server. */
static bool first_is_synack(const struct mdr_pkt *p)
{
	return p->key.proto == MDR_PROTO_TCP &&
	       (p->tcp_flags & (MDR_TH_SYN | MDR_TH_ACK)) == (MDR_TH_SYN | MDR_TH_ACK);
}

static void flow_init(struct mdr_flow *f, const struct mdr_pkt *p, uint32_t h)
{
	if (first_is_synack(p)) {
		key_reverse(&f->key, &p->key);
		f->flipped = 1;
		mdr_flow_hist_flip(f);
	} else {
		f->key = p->key;
	}
	f->flow_id = mdr_flow_id(&f->key, p->ts);
	f->start = f->last = f->rec_start = p->ts;
	f->tunnel = p->tunnel;
	memcpy(f->vlan, p->vlan, sizeof(f->vlan));
	f->vlan_count = p->vlan_count;
	f->icmp_type = p->icmp_type;
	f->icmp_code = p->icmp_code;
	f->hash = h;
	f->in_use = 1;
}

static struct mdr_flow *flow_create(struct mdr_flow_table *t,
				    const struct mdr_pkt *p, uint32_t h)
{
	struct mdr_flow *f = slot_alloc(t, p->ts);
	uint32_t *bucket;

	if (!f)
		return NULL;
	flow_init(f, p, h);
	bucket = &t->buckets[h & t->bucket_mask];
	f->next = *bucket;
	*bucket = flow_idx(t, f);
	lru_push_head(t, f, timeout_class(f));
	t->st.created++;
	t->st.active++;
	return f;
}

/* ---- per packet --------------------------------------------------------- */

/* A new SYN on a flow that saw a FIN or RST starts a new connection. */
static bool tcp_reused(const struct mdr_flow *f, const struct mdr_pkt *p)
{
	return p->key.proto == MDR_PROTO_TCP &&
	       (p->tcp_flags & (MDR_TH_SYN | MDR_TH_ACK)) == MDR_TH_SYN &&
	       (f->fin_seen[0] | f->fin_seen[1] | f->rst_seen[0] | f->rst_seen[1]);
}

static void flow_interim(struct mdr_flow_table *t, struct mdr_flow *f, mdr_time_t now)
{
	uint64_t at = t->cfg.active_timeout_ns;

	if (!at || now < f->rec_start || now - f->rec_start < at)
		return;
	if (t->end_cb)
		t->end_cb(t->ctx, f, MDR_END_ACTIVE_TIMEOUT);
	t->st.interim++;
	memset(f->pkts, 0, sizeof(f->pkts));
	memset(f->bytes, 0, sizeof(f->bytes));
	f->rec_start = now;
	f->rec_seq++;
}

static void flow_account(struct mdr_flow *f, const struct mdr_pkt *p, int dir)
{
	uint64_t np = p->frag_pkts ? p->frag_pkts : 1;
	uint64_t nb = p->frag_bytes ? p->frag_bytes : p->caplen;

	f->pkts[dir] += np;
	f->bytes[dir] += nb;
	f->total_pkts[dir] += np;
	f->total_bytes[dir] += nb;
	if (p->ts > f->last)
		f->last = p->ts;
	if (p->key.proto == MDR_PROTO_TCP)
		mdr_flow_tcp_packet(f, p, dir);
	else
		f->payload_bytes[dir] += p->payload_len;
}

struct mdr_flow *mdr_flow_process(struct mdr_flow_table *t,
				  const struct mdr_pkt *p, int *dir)
{
	uint32_t h = key_hash(&p->key);
	struct mdr_flow *f;
	int d = 0;

	t->st.lookups++;
	f = lookup(t, &p->key, h, &d);
	if (f && flow_expired(t, f, p->ts)) {
		flow_end(t, f, idle_reason(f));
		f = NULL;
	}
	if (f && tcp_reused(f, p)) {
		flow_end(t, f, MDR_END_REUSED);
		f = NULL;
	}
	if (f) {
		flow_interim(t, f, p->ts);
	} else {
		f = flow_create(t, p, h);
		if (!f)
			return NULL;
		d = f->flipped;
	}
	flow_account(f, p, d);
	f->state = mdr_flow_next_state(f);
	lru_unlink(t, f);
	lru_push_head(t, f, timeout_class(f));
	if (dir)
		*dir = d;
	return f;
}

const char *mdr_flow_end_name(enum mdr_flow_end e)
{
	static const char *const names[] = {
		[MDR_END_IDLE_TIMEOUT] = "idle_timeout",
		[MDR_END_FIN] = "fin",
		[MDR_END_RST] = "rst",
		[MDR_END_ACTIVE_TIMEOUT] = "active_timeout",
		[MDR_END_SHUTDOWN] = "shutdown",
		[MDR_END_EVICTED] = "evicted",
		[MDR_END_REUSED] = "reused",
	};

	if ((unsigned)e >= MDR_ARRAY_SIZE(names))
		return "unknown";
	return names[e];
}
