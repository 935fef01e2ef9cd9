/*
 * defrag.c - IPv4/IPv6 fragment reassembly for the decoder.
 *
 * Design: everything is allocated at create. cfg.frag_max_datagrams
 * trackers live in an array, chained by index in a hash table keyed on
 * (src, dst, id, proto, ip version, vlan) and linked in creation order on
 * an LRU list (the head is the oldest: expiry and eviction pop from there).
 * Each tracker owns one slot of an arena mapped with MAP_NORESERVE, so the
 * kernel only commits the pages fragments really touch: [HDR_ROOM][payload
 * of up to frag_max_size bytes]. A fragment's bytes are copied straight to
 * their datagram offset; the covered ranges are kept as a sorted list of
 * merged intervals (at most frag_max_frags of them). Overlaps keep the
 * bytes that arrived first; only the parts of a new fragment that fill
 * holes are copied. The first fragment's header is stored just in front of
 * the payload, so completion only patches the header (length, fragment
 * fields, IPv6 next header) and hands out a pointer: no copy, no malloc.
 *
 * A completed tracker leaves the hash and LRU but is only returned to the
 * free list by mdr_defrag_release() at the start of the next decode call,
 * which keeps the datagram valid while the caller (or a nested tunnel
 * reassembly in the same call) still reads it.
 *
 * Errors: inconsistent totals, non-final fragments not a multiple of 8,
 * datagrams above frag_max_size and more than frag_max_frags fragments
 * drop the whole datagram (FRAG_BAD); a full pool evicts the oldest
 * datagram (counted FRAG_NOMEM) to make room.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "defrag_int.h"

#define NIL UINT32_MAX
#define MAX_PENDING (MDR_MAX_TUNNEL_DEPTH + 1)

enum { T_FREE = 0, T_ACTIVE, T_PENDING };

struct fkey {
	struct mdr_ip src, dst;
	uint32_t id;
	uint16_t vlan;
	uint8_t proto, ver;
};

struct ivl {
	uint32_t s, e;
};

struct trk {
	struct fkey key;
	mdr_time_t first_ts;
	uint32_t hnext;         /* hash chain */
	uint32_t prev, next;    /* LRU list when active, free list when free */
	uint32_t total;         /* payload length, valid once have_last */
	uint32_t max_end;
	uint32_t nfrags, bytes;
	uint32_t nivl;
	uint16_t hdr_len, nh_off;
	uint8_t state, have_first, have_last;
};

struct mdr_defrag {
	struct mdr_decode_stats *st;
	uint32_t n, max_frags, max_size;
	uint64_t timeout;
	uint32_t mask;
	uint32_t *buckets;
	struct trk *t;
	struct ivl *ivl;
	uint8_t *arena;
	size_t slot, arena_len;
	uint32_t free_head, lru_head, lru_tail;
	uint32_t in_use;
	uint32_t pending[MAX_PENDING];
	uint32_t npending;
};

static uint32_t key_hash(const struct fkey *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i + 8 <= sizeof(*k); i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ (h >> 29));
}

static uint8_t *slot_data(struct mdr_defrag *df, uint32_t i)
{
	return df->arena + (size_t)i * df->slot + MDR_DEFRAG_HDR_ROOM;
}

static uint32_t lookup(const struct mdr_defrag *df, const struct fkey *k,
		       uint32_t h)
{
	uint32_t i = df->buckets[h & df->mask];

	while (i != NIL && memcmp(&df->t[i].key, k, sizeof(*k)) != 0)
		i = df->t[i].hnext;
	return i;
}

static void hash_unlink(struct mdr_defrag *df, uint32_t i)
{
	uint32_t *pp = &df->buckets[key_hash(&df->t[i].key) & df->mask];

	while (*pp != NIL && *pp != i)
		pp = &df->t[*pp].hnext;
	if (*pp == i)
		*pp = df->t[i].hnext;
}

static void lru_unlink(struct mdr_defrag *df, uint32_t i)
{
	struct trk *t = &df->t[i];

	if (t->prev != NIL)
		df->t[t->prev].next = t->next;
	else
		df->lru_head = t->next;
	if (t->next != NIL)
		df->t[t->next].prev = t->prev;
	else
		df->lru_tail = t->prev;
}

static void lru_append(struct mdr_defrag *df, uint32_t i)
{
	struct trk *t = &df->t[i];

	t->next = NIL;
	t->prev = df->lru_tail;
	if (df->lru_tail != NIL)
		df->t[df->lru_tail].next = i;
	else
		df->lru_head = i;
	df->lru_tail = i;
}

static void free_push(struct mdr_defrag *df, uint32_t i)
{
	df->t[i].state = T_FREE;
	df->t[i].next = df->free_head;
	df->free_head = i;
}

/* Take an active tracker out of the pool; its fragments are dropped. */
static void trk_drop(struct mdr_defrag *df, uint32_t i)
{
	hash_unlink(df, i);
	lru_unlink(df, i);
	df->st->frag_dropped += df->t[i].nfrags;
	df->in_use--;
	free_push(df, i);
}

static bool expired(const struct mdr_defrag *df, const struct trk *t,
		    mdr_time_t now)
{
	return now > t->first_ts && now - t->first_ts > df->timeout;
}

static uint32_t trk_alloc(struct mdr_defrag *df, const struct fkey *k,
			  uint32_t h, mdr_time_t ts)
{
	uint32_t i = df->free_head;

	if (i == NIL) {
		if (df->lru_head == NIL)
			return NIL;     /* everything is pending: no room */
		df->st->err[MDR_DERR_FRAG_NOMEM]++;
		trk_drop(df, df->lru_head);
		i = df->free_head;
	}
	df->free_head = df->t[i].next;

	struct trk *t = &df->t[i];

	memset(t, 0, sizeof(*t));
	t->key = *k;
	t->first_ts = ts;
	t->state = T_ACTIVE;
	t->hnext = df->buckets[h & df->mask];
	df->buckets[h & df->mask] = i;
	lru_append(df, i);
	df->in_use++;
	return i;
}

/* Checks that need no tracker: alignment and size limits. */
static bool frag_is_bad(const struct mdr_defrag *df,
			const struct mdr_defrag_in *in)
{
	uint64_t end = (uint64_t)in->off + in->len;
	uint64_t dgram = in->hdr_len + end;

	if (in->more && (in->len & 7) != 0)
		return true;
	if (dgram > df->max_size)
		return true;
	if (in->ver == 4)
		return dgram > 65535;
	return in->hdr_len < 40 || dgram - 40 > 65535;
}

/*
 * Copy the parts of [s, e) not covered yet (first copy wins), then merge
 * [s, e) into the sorted interval list v[0..*n).
 */
static void ivl_insert(struct ivl *v, uint32_t *n, uint32_t s, uint32_t e,
		       uint8_t *dst, const uint8_t *src)
{
	uint32_t cur = s, i, j;

	for (i = 0; i < *n && cur < e; i++) {
		if (v[i].e <= cur)
			continue;
		if (v[i].s >= e)
			break;
		if (v[i].s > cur)
			memcpy(dst + cur, src + (cur - s), v[i].s - cur);
		cur = v[i].e;
	}
	if (cur < e)
		memcpy(dst + cur, src + (cur - s), e - cur);

	for (i = 0; i < *n && v[i].e < s; i++)
		;
	uint32_t ns = s, ne = e;

	for (j = i; j < *n && v[j].s <= e; j++) {
		ns = v[j].s < ns ? v[j].s : ns;
		ne = v[j].e > ne ? v[j].e : ne;
	}
	if (j == i) {
		memmove(&v[i + 1], &v[i], (*n - i) * sizeof(*v));
		(*n)++;
	} else {
		memmove(&v[i + 1], &v[j], (*n - j) * sizeof(*v));
		*n -= j - i - 1;
	}
	v[i].s = ns;
	v[i].e = ne;
}

/* Record the end of the datagram / check it against what is known. */
static int update_total(struct trk *t, const struct mdr_defrag_in *in)
{
	uint32_t end = in->off + in->len;

	if (!in->more) {
		if (t->have_last ? t->total != end : end < t->max_end)
			return -MDR_DERR_FRAG_BAD;
		t->have_last = 1;
		t->total = end;
	} else if (t->have_last && end > t->total) {
		return -MDR_DERR_FRAG_BAD;
	}
	if (end > t->max_end)
		t->max_end = end;
	return 0;
}

static int trk_add(struct mdr_defrag *df, uint32_t i,
		   const struct mdr_defrag_in *in)
{
	struct trk *t = &df->t[i];
	uint8_t *data = slot_data(df, i);

	t->nfrags += in->pkts;
	t->bytes += in->bytes;
	if (t->nfrags > df->max_frags || update_total(t, in) < 0)
		return -MDR_DERR_FRAG_BAD;
	if (in->off == 0 && !t->have_first) {
		if (in->hdr_len > MDR_DEFRAG_HDR_ROOM || in->nh_off >= in->hdr_len)
			return -MDR_DERR_FRAG_BAD;
		memcpy(data - in->hdr_len, in->hdr, in->hdr_len);
		t->hdr_len = (uint16_t)in->hdr_len;
		t->nh_off = (uint16_t)in->nh_off;
		t->have_first = 1;
	}
	if (in->len > 0)
		ivl_insert(&df->ivl[(size_t)i * df->max_frags], &t->nivl,
			   in->off, in->off + in->len, data, in->data);
	if (t->have_first && t->have_last) {
		/* fragments may carry headers of different sizes */
		uint32_t dgram = t->hdr_len + t->total;

		if (dgram > df->max_size ||
		    (t->key.ver == 4 ? dgram : dgram - 40) > 65535)
			return -MDR_DERR_FRAG_BAD;
	}
	return 0;
}

static bool trk_complete(const struct mdr_defrag *df, uint32_t i)
{
	const struct trk *t = &df->t[i];
	const struct ivl *v = &df->ivl[(size_t)i * df->max_frags];

	return t->have_first && t->have_last && t->nivl == 1 &&
	       v[0].s == 0 && v[0].e == t->total;
}

static void ipv4_fix_header(uint8_t *h, uint32_t hlen, uint32_t tl)
{
	uint32_t sum = 0;

	mdr_store_be16(h + 2, (uint16_t)tl);
	h[6] &= 0x40;           /* keep DF, clear MF and the offset */
	h[7] = 0;
	h[10] = h[11] = 0;
	for (uint32_t k = 0; k + 1 < hlen; k += 2)
		sum += mdr_load_be16(h + k);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	mdr_store_be16(h + 10, (uint16_t)~sum);
}

static void trk_finish(struct mdr_defrag *df, uint32_t i,
		       struct mdr_defrag_out *out)
{
	struct trk *t = &df->t[i];
	uint8_t *h = slot_data(df, i) - t->hdr_len;

	if (t->key.ver == 4) {
		ipv4_fix_header(h, t->hdr_len, t->hdr_len + t->total);
	} else {
		mdr_store_be16(h + 4, (uint16_t)(t->hdr_len - 40 + t->total));
		h[t->nh_off] = t->key.proto;
	}
	out->data = h;
	out->len = t->hdr_len + t->total;
	out->hdr_len = t->hdr_len;
	out->frags = t->nfrags;
	out->bytes = t->bytes;

	hash_unlink(df, i);
	lru_unlink(df, i);
	df->in_use--;
	t->state = T_PENDING;
	df->pending[df->npending++] = i;
	df->st->frag_reassembled++;
}

static void make_key(struct fkey *k, const struct mdr_defrag_in *in)
{
	memset(k, 0, sizeof(*k));
	k->src = *in->src;
	k->dst = *in->dst;
	k->id = in->id;
	k->vlan = in->vlan;
	k->proto = in->proto;
	k->ver = in->ver;
}

int mdr_defrag_add(struct mdr_defrag *df, const struct mdr_defrag_in *in,
		   struct mdr_defrag_out *out)
{
	struct fkey k;

	if (df->n == 0 || df->npending >= MAX_PENDING) {
		df->st->frag_dropped += in->pkts;
		return -MDR_DERR_FRAG_NOMEM;
	}
	make_key(&k, in);
	uint32_t h = key_hash(&k);
	uint32_t i = lookup(df, &k, h);

	if (i != NIL && expired(df, &df->t[i], in->ts)) {
		df->st->err[MDR_DERR_FRAG_TIMEOUT]++;
		trk_drop(df, i);
		i = NIL;
	}
	if (frag_is_bad(df, in)) {
		df->st->frag_dropped += in->pkts;
		if (i != NIL)
			trk_drop(df, i);
		return -MDR_DERR_FRAG_BAD;
	}
	if (i == NIL) {
		i = trk_alloc(df, &k, h, in->ts);
		if (i == NIL) {
			df->st->frag_dropped += in->pkts;
			return -MDR_DERR_FRAG_NOMEM;
		}
	}
	if (trk_add(df, i, in) < 0) {
		trk_drop(df, i);
		return -MDR_DERR_FRAG_BAD;
	}
	if (!trk_complete(df, i))
		return 0;
	trk_finish(df, i, out);
	return 1;
}

void mdr_defrag_release(struct mdr_defrag *df)
{
	while (df->npending > 0)
		free_push(df, df->pending[--df->npending]);
}

void mdr_defrag_expire(struct mdr_defrag *df, mdr_time_t now)
{
	while (df->lru_head != NIL && expired(df, &df->t[df->lru_head], now)) {
		df->st->err[MDR_DERR_FRAG_TIMEOUT]++;
		trk_drop(df, df->lru_head);
	}
}

uint32_t mdr_defrag_in_use(const struct mdr_defrag *df)
{
	return df->in_use;
}

static int defrag_alloc(struct mdr_defrag *df)
{
	uint32_t nb = mdr_pow2_roundup(df->n);

	df->mask = nb - 1;
	df->buckets = malloc(nb * sizeof(*df->buckets));
	df->t = calloc(df->n, sizeof(*df->t));
	df->ivl = calloc((size_t)df->n * df->max_frags, sizeof(*df->ivl));
	if (!df->buckets || !df->t || !df->ivl)
		return -ENOMEM;
	df->slot = (MDR_DEFRAG_HDR_ROOM + (size_t)df->max_size + 63) & ~(size_t)63;
	df->arena_len = df->slot * df->n;
	void *a = mmap(NULL, df->arena_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (a == MAP_FAILED)
		return -ENOMEM;
	df->arena = a;
	memset(df->buckets, 0xff, nb * sizeof(*df->buckets));
	for (uint32_t i = df->n; i > 0; i--)
		free_push(df, i - 1);   /* index 0 ends up first */
	return 0;
}

struct mdr_defrag *mdr_defrag_create(const struct mdr_decode_config *cfg,
				     struct mdr_decode_stats *st)
{
	if (cfg->frag_max_datagrams > (1u << 22) ||
	    (cfg->frag_max_datagrams > 0 &&
	     (cfg->frag_max_size < 68 || cfg->frag_max_size > (1u << 20) ||
	      cfg->frag_max_frags == 0 || cfg->frag_max_frags > 65535))) {
		errno = EINVAL;
		return NULL;
	}
	struct mdr_defrag *df = calloc(1, sizeof(*df));

	if (!df)
		return NULL;
	df->st = st;
	df->n = cfg->frag_max_datagrams;
	df->max_frags = cfg->frag_max_frags;
	df->max_size = cfg->frag_max_size;
	df->timeout = cfg->frag_timeout_ns;
	df->free_head = df->lru_head = df->lru_tail = NIL;
	if (df->n > 0 && defrag_alloc(df) < 0) {
		mdr_defrag_free(df);
		errno = ENOMEM;
		return NULL;
	}
	return df;
}

void mdr_defrag_free(struct mdr_defrag *df)
{
	if (!df)
		return;
	if (df->arena)
		munmap(df->arena, df->arena_len);
	free(df->buckets);
	free(df->t);
	free(df->ivl);
	free(df);
}
