/*
 * test_reasm.c - unit tests for TCP stream reassembly.
 *
 * A sink collects the bytes delivered per direction into a buffer at their
 * stream offsets and checks that callbacks arrive in offset order (data and
 * gaps together form a contiguous sequence of offsets). Tests then compare
 * the reconstructed stream with the original bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reassembly/reassembly.h"

#define SINK_CAP (1u << 20)
#define MAX_GAPS 64

struct gap_rec {
	int dir;
	uint64_t off, len;
};

struct sink {
	uint8_t *buf[2];
	uint64_t next[2];        /* offset expected from the next callback */
	uint64_t bytes[2];       /* data bytes received */
	const uint8_t *last_ptr; /* data pointer of the last data callback */
	uint32_t last_len;
	unsigned ncalls;
	struct gap_rec gaps[MAX_GAPS];
	unsigned ngaps;
	void *flow;
};

static int flow_token;

static void sink_data(void *ctx, void *flow, int dir, const uint8_t *data,
		      uint32_t len, uint64_t offset)
{
	struct sink *k = ctx;

	assert_ptr_equal(flow, k->flow);
	assert_true(dir == 0 || dir == 1);
	assert_true(len > 0);
	assert_int_equal(offset, k->next[dir]);
	assert_true(offset + len <= SINK_CAP);
	memcpy(k->buf[dir] + offset, data, len);
	k->next[dir] += len;
	k->bytes[dir] += len;
	k->last_ptr = data;
	k->last_len = len;
	k->ncalls++;
}

static void sink_gap(void *ctx, void *flow, int dir, uint64_t offset,
		     uint64_t len)
{
	struct sink *k = ctx;

	assert_ptr_equal(flow, k->flow);
	assert_true(len > 0);
	assert_int_equal(offset, k->next[dir]);
	assert_true(k->ngaps < MAX_GAPS);
	k->gaps[k->ngaps++] = (struct gap_rec){ dir, offset, len };
	k->next[dir] += len;
}

static const struct mdr_reasm_ops sink_ops = { sink_data, sink_gap };

static int setup(void **state)
{
	struct sink *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	k->buf[0] = calloc(1, SINK_CAP);
	k->buf[1] = calloc(1, SINK_CAP);
	assert_non_null(k->buf[0]);
	assert_non_null(k->buf[1]);
	k->flow = &flow_token;
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct sink *k = *state;

	free(k->buf[0]);
	free(k->buf[1]);
	free(k);
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t rng(void)  /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static uint32_t rng_range(uint32_t lo, uint32_t hi)  /* inclusive */
{
	return lo + rng() % (hi - lo + 1);
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	rng_seed(seed);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static struct mdr_reasm *mk(struct sink *k, uint64_t depth, uint64_t memcap,
			    uint32_t msb, uint32_t chunk)
{
	struct mdr_reasm_config cfg;
	struct mdr_reasm *r;

	mdr_reasm_config_default(&cfg);
	cfg.depth = depth;
	cfg.memcap = memcap;
	cfg.max_stream_buffer = msb;
	cfg.chunk_size = chunk;
	r = mdr_reasm_create(&cfg, &sink_ops, k);
	assert_non_null(r);
	return r;
}

static struct mdr_reasm *mk_small(struct sink *k)
{
	return mk(k, 0, 1u << 20, 256u << 10, 2048);
}

static void syn(struct mdr_reasm *r, struct mdr_stream *s, struct sink *k,
		int dir, uint32_t isn)
{
	mdr_reasm_segment(r, s, k->flow, dir, isn, true, false, false, NULL, 0);
}

/* Offer stream bytes [off, off + len) of `src` for a stream based at `base`. */
static void seg(struct mdr_reasm *r, struct mdr_stream *s, struct sink *k,
		int dir, uint32_t base, const uint8_t *src, uint32_t off,
		uint32_t len)
{
	mdr_reasm_segment(r, s, k->flow, dir, base + off, false, false, false,
			  src + off, len);
}

static void ack(struct mdr_reasm *r, struct mdr_stream *s, struct sink *k,
		int dir, uint32_t a)
{
	mdr_reasm_ack(r, s, k->flow, dir, a);
}

static const struct mdr_reasm_stats *st(const struct mdr_reasm *r)
{
	return mdr_reasm_get_stats(r);
}

static void assert_gap(const struct sink *k, unsigned i, int dir,
		       uint64_t off, uint64_t len)
{
	assert_true(i < k->ngaps);
	assert_int_equal(k->gaps[i].dir, dir);
	assert_int_equal(k->gaps[i].off, off);
	assert_int_equal(k->gaps[i].len, len);
}

static void shuffle(uint32_t *v, uint32_t n)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rng() % i, t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---- basic --------------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct mdr_reasm_config cfg;
	struct mdr_reasm *r;
	struct mdr_stream s = { 0 };
	uint8_t d[10] = { 0 };

	(void)state;
	mdr_reasm_config_default(&cfg);
	assert_int_equal(cfg.depth, 1u << 20);
	assert_int_equal(cfg.memcap, 64u << 20);
	assert_int_equal(cfg.max_stream_buffer, 256u << 10);
	assert_int_equal(cfg.chunk_size, 2048);
	cfg.memcap = 1u << 20;
	r = mdr_reasm_create(&cfg, NULL, NULL);  /* count only */
	assert_non_null(r);
	mdr_reasm_segment(r, &s, NULL, 0, 100, false, false, false, d, 10);
	mdr_reasm_segment(r, &s, NULL, 0, 120, false, false, false, d, 10);
	mdr_reasm_flush(r, &s, NULL, 0);
	assert_int_equal(st(r)->bytes_delivered, 20);
	assert_int_equal(st(r)->gaps, 1);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
	cfg.chunk_size = 0;
	assert_null(mdr_reasm_create(&cfg, NULL, NULL));
	mdr_reasm_free(NULL);
}

static void test_in_order(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[1000];
	const uint32_t isn = 1000;

	fill(src, sizeof(src), 1);
	syn(r, &s, k, 0, isn);
	assert_int_equal(s.flags, MDR_STREAM_F_INIT);
	assert_int_equal(s.base_seq, isn + 1);
	assert_int_equal(s.next_seq, isn + 1);
	for (uint32_t i = 0; i < 10; i++) {
		seg(r, &s, k, 0, isn + 1, src, i * 100, 100);
		assert_ptr_equal(k->last_ptr, src + i * 100);  /* no copy */
		assert_int_equal(k->last_len, 100);
		assert_int_equal(s.delivered, (i + 1) * 100);
	}
	assert_memory_equal(k->buf[0], src, sizeof(src));
	assert_int_equal(k->bytes[0], 1000);
	assert_int_equal(k->bytes[1], 0);
	assert_int_equal(k->ncalls, 10);
	assert_int_equal(st(r)->segments, 10);
	assert_int_equal(st(r)->in_order, 10);
	assert_int_equal(st(r)->out_of_order, 0);
	assert_int_equal(st(r)->bytes_delivered, 1000);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_segment(r, &s, k->flow, 0, isn + 1001, false, true, false, NULL, 0);
	assert_true(s.flags & MDR_STREAM_F_FIN);
	mdr_reasm_segment(r, &s, k->flow, 0, isn + 1001, false, false, true, NULL, 0);
	assert_true(s.flags & MDR_STREAM_F_RST);
	mdr_reasm_free(r);
}

static void test_midstream(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[400];

	fill(src, sizeof(src), 2);
	/* A segment without data and without SYN does not start the stream. */
	mdr_reasm_segment(r, &s, k->flow, 1, 4900, false, false, false, NULL, 0);
	assert_int_equal(s.flags, 0);
	/* First data: stream offset 0 is src[100] at seq 5000. */
	seg(r, &s, k, 1, 4900, src, 100, 100);
	assert_true(s.flags & MDR_STREAM_F_INIT);
	assert_int_equal(s.base_seq, 5000);
	assert_int_equal(s.next_seq, 5100);
	/* Earlier data (before the base) is dropped. */
	seg(r, &s, k, 1, 4900, src, 0, 100);
	assert_int_equal(st(r)->retransmissions, 1);
	/* Partly delivered: only the new 50 bytes, at offset 100. */
	seg(r, &s, k, 1, 4900, src, 50, 200);
	assert_int_equal(k->bytes[1], 150);
	assert_int_equal(st(r)->overlaps, 1);
	assert_int_equal(st(r)->overlaps_diff, 0);
	assert_ptr_equal(k->last_ptr, src + 200);
	assert_memory_equal(k->buf[1], src + 100, 150);
	seg(r, &s, k, 1, 4900, src, 250, 150);
	assert_memory_equal(k->buf[1], src + 100, 300);
	assert_int_equal(k->bytes[0], 0);
	mdr_reasm_free(r);
}

static void test_syn_payload(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[150];

	fill(src, sizeof(src), 3);
	mdr_reasm_segment(r, &s, k->flow, 0, 7, true, false, false, src, 50);
	assert_int_equal(s.base_seq, 8);
	assert_int_equal(s.delivered, 50);
	assert_ptr_equal(k->last_ptr, src);
	/* SYN retransmitted with its data: nothing new. */
	mdr_reasm_segment(r, &s, k->flow, 0, 7, true, false, false, src, 50);
	assert_int_equal(st(r)->retransmissions, 1);
	seg(r, &s, k, 0, 8, src, 50, 100);
	assert_int_equal(k->bytes[0], 150);
	assert_memory_equal(k->buf[0], src, 150);
	mdr_reasm_free(r);
}

/* ---- out of order -------------------------------------------------------- */

static void test_reverse(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	static uint8_t src[10000];
	const uint32_t base = 77777;

	fill(src, sizeof(src), 4);
	syn(r, &s, k, 0, base - 1);
	for (uint32_t i = 99; i > 0; i--)
		seg(r, &s, k, 0, base, src, i * 100, 100);
	assert_int_equal(k->bytes[0], 0);
	assert_int_equal(s.buffered, 9900);
	assert_int_equal(st(r)->out_of_order, 99);
	assert_true(st(r)->chunks_in_use > 0);
	assert_int_equal(st(r)->chunks_in_use, s.nsegs);
	seg(r, &s, k, 0, base, src, 0, 100);
	assert_int_equal(k->bytes[0], 10000);
	assert_memory_equal(k->buf[0], src, sizeof(src));
	assert_int_equal(s.buffered, 0);
	assert_int_equal(s.nsegs, 0);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_int_equal(st(r)->in_order, 1);
	assert_int_equal(s.gaps, 0);
	mdr_reasm_free(r);
}

static void test_random_perm(void **state)
{
	struct sink *k = *state;
	static uint8_t src[200 * 1500];
	uint32_t off[201], order[200];

	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct mdr_reasm *r = mk(k, 0, 4u << 20, 1u << 20, 2048);
		struct mdr_stream s = { 0 };
		uint32_t n, base;

		memset(k->next, 0, sizeof(k->next));
		memset(k->bytes, 0, sizeof(k->bytes));
		rng_seed(seed);
		n = rng_range(50, 200);
		base = rng();
		off[0] = 0;
		for (uint32_t i = 0; i < n; i++) {
			off[i + 1] = off[i] + rng_range(1, 1500);
			order[i] = i;
		}
		shuffle(order, n);
		fill(src, off[n], seed + 100);
		syn(r, &s, k, 0, base - 1);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t j = order[i];

			seg(r, &s, k, 0, base, src, off[j], off[j + 1] - off[j]);
		}
		assert_int_equal(k->bytes[0], off[n]);
		assert_memory_equal(k->buf[0], src, off[n]);
		assert_int_equal(s.nsegs, 0);
		assert_int_equal(st(r)->chunks_in_use, 0);
		assert_int_equal(st(r)->overlaps, 0);
		assert_int_equal(st(r)->retransmissions, 0);
		assert_int_equal(k->ngaps, 0);
		mdr_reasm_free(r);
	}
}

static void test_duplicates(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[300];

	fill(src, sizeof(src), 5);
	syn(r, &s, k, 0, 999);
	seg(r, &s, k, 0, 1000, src, 0, 100);
	seg(r, &s, k, 0, 1000, src, 0, 100);    /* delivered already */
	assert_int_equal(st(r)->retransmissions, 1);
	assert_int_equal(st(r)->overlaps, 0);
	seg(r, &s, k, 0, 1000, src, 200, 100);  /* held */
	seg(r, &s, k, 0, 1000, src, 200, 100);  /* held already */
	seg(r, &s, k, 0, 1000, src, 220, 50);   /* inside held data */
	assert_int_equal(st(r)->retransmissions, 3);
	assert_int_equal(st(r)->overlaps, 2);
	assert_int_equal(st(r)->overlaps_diff, 0);
	assert_int_equal(st(r)->out_of_order, 1);
	assert_int_equal(s.buffered, 100);
	seg(r, &s, k, 0, 1000, src, 100, 100);
	assert_int_equal(k->bytes[0], 300);
	assert_memory_equal(k->buf[0], src, 300);
	assert_int_equal(st(r)->bytes_delivered, 300);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

static void test_overlap_first_wins(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[400], alt[400];

	fill(src, sizeof(src), 6);
	for (int i = 0; i < 400; i++)
		alt[i] = (uint8_t)~src[i];
	syn(r, &s, k, 0, 0);
	seg(r, &s, k, 0, 1, src, 200, 100);   /* holds [200,300) */
	seg(r, &s, k, 0, 1, src, 150, 100);   /* same bytes, adds [150,200) */
	assert_int_equal(st(r)->overlaps, 1);
	assert_int_equal(st(r)->overlaps_diff, 0);
	assert_int_equal(s.buffered, 150);
	seg(r, &s, k, 0, 1, alt, 250, 100);   /* differs on [250,300) */
	assert_int_equal(st(r)->overlaps, 2);
	assert_int_equal(st(r)->overlaps_diff, 1);
	assert_int_equal(s.buffered, 200);    /* only [300,350) was new */
	seg(r, &s, k, 0, 1, src, 350, 50);    /* appended to the held run */
	assert_int_equal(st(r)->overlaps, 2);
	assert_int_equal(s.buffered, 250);
	seg(r, &s, k, 0, 1, alt, 0, 100);
	seg(r, &s, k, 0, 1, alt, 150, 10);    /* inside held data, differs */
	assert_int_equal(st(r)->overlaps_diff, 2);
	assert_int_equal(st(r)->retransmissions, 1);
	seg(r, &s, k, 0, 1, src, 100, 40);
	assert_int_equal(k->bytes[0], 140);
	/* In order, differing from held [150,210): the held bytes win. */
	seg(r, &s, k, 0, 1, alt, 140, 70);
	assert_int_equal(st(r)->overlaps, 4);
	assert_int_equal(st(r)->overlaps_diff, 3);
	assert_int_equal(k->bytes[0], 400);
	assert_memory_equal(k->buf[0], alt, 100);
	assert_memory_equal(k->buf[0] + 100, src + 100, 40);
	assert_memory_equal(k->buf[0] + 140, alt + 140, 10);
	assert_memory_equal(k->buf[0] + 150, src + 150, 150);  /* first wins */
	assert_memory_equal(k->buf[0] + 300, alt + 300, 50);   /* was new */
	assert_memory_equal(k->buf[0] + 350, src + 350, 50);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

/* ---- gaps ---------------------------------------------------------------- */

static void test_gap_ack(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[2000];
	const uint32_t b = 5000;

	fill(src, sizeof(src), 7);
	syn(r, &s, k, 1, b - 1);
	seg(r, &s, k, 1, b, src, 0, 100);
	seg(r, &s, k, 1, b, src, 200, 100);
	seg(r, &s, k, 1, b, src, 400, 100);
	ack(r, &s, k, 1, b + 50);                 /* behind: ignored */
	ack(r, &s, k, 1, b + 100);                /* == next: nothing */
	assert_int_equal(k->ngaps, 0);
	ack(r, &s, k, 1, b + 300);
	assert_int_equal(k->ngaps, 1);
	assert_gap(k, 0, 1, 100, 100);
	assert_int_equal(s.delivered, 300);
	assert_memory_equal(k->buf[1] + 200, src + 200, 100);
	ack(r, &s, k, 1, b + 500);
	assert_gap(k, 1, 1, 300, 100);
	assert_memory_equal(k->buf[1] + 400, src + 400, 100);
	assert_int_equal(k->bytes[1], 300);
	assert_int_equal(s.gaps, 2);
	assert_int_equal(s.gap_bytes, 200);
	assert_true(s.flags & MDR_STREAM_F_GAP);
	assert_int_equal(st(r)->chunks_in_use, 0);
	/* Nothing held: the ack alone reveals a missed segment. */
	ack(r, &s, k, 1, b + 800);
	assert_gap(k, 2, 1, 500, 300);
	assert_int_equal(s.next_seq, b + 800);
	seg(r, &s, k, 1, b, src, 800, 100);
	assert_memory_equal(k->buf[1] + 800, src + 800, 100);
	/* Held data beyond the ack: only the part before the ack is lost. */
	seg(r, &s, k, 1, b, src, 1000, 100);
	ack(r, &s, k, 1, b + 950);
	assert_gap(k, 3, 1, 900, 50);
	assert_int_equal(s.nsegs, 1);
	seg(r, &s, k, 1, b, src, 950, 50);
	assert_memory_equal(k->buf[1] + 950, src + 950, 150);
	/* Absurd or backward acks are ignored. */
	ack(r, &s, k, 1, b + 1100 + (1u << 30) + 1);
	ack(r, &s, k, 1, b + 1100 + (3u << 30));
	ack(r, &s, k, 1, b);
	assert_int_equal(k->ngaps, 4);
	assert_int_equal(st(r)->gaps, 4);
	assert_int_equal(st(r)->gap_bytes, 550);
	assert_int_equal(s.delivered, 1100);
	/* FIN takes one sequence number: its ack is no gap. */
	mdr_reasm_segment(r, &s, k->flow, 1, b + 1100, false, true, false, NULL, 0);
	ack(r, &s, k, 1, b + 1101);
	assert_int_equal(k->ngaps, 4);
	assert_int_equal(k->next[1], 1100);
	mdr_reasm_free(r);
}

static void test_gap_ack_fin_out_of_order(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };
	uint8_t src[300];

	fill(src, sizeof(src), 8);
	syn(r, &s, k, 0, 99);
	seg(r, &s, k, 0, 100, src, 0, 100);
	/* [100,200) lost; the last segment carries the FIN. */
	mdr_reasm_segment(r, &s, k->flow, 0, 300, false, true, false, src + 200, 100);
	ack(r, &s, k, 0, 100 + 301);
	assert_int_equal(k->ngaps, 1);
	assert_gap(k, 0, 0, 100, 100);
	assert_int_equal(k->bytes[0], 200);
	assert_memory_equal(k->buf[0] + 200, src + 200, 100);
	mdr_reasm_free(r);
}

static void test_ack_uninit(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 };

	ack(r, &s, k, 0, 12345);
	ack(r, &s, k, 0, 0);
	assert_int_equal(s.flags, 0);
	assert_int_equal(s.next_seq, 0);
	assert_int_equal(k->ngaps, 0);
	assert_int_equal(st(r)->gaps, 0);
	mdr_reasm_free(r);
}

static void test_gap_stream_limit(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 0, 1u << 20, 1000, 2048);
	struct mdr_stream s = { 0 };
	uint8_t src[2000];

	fill(src, sizeof(src), 9);
	syn(r, &s, k, 0, 0);
	seg(r, &s, k, 0, 1, src, 100, 200);    /* holes: [0,100) [300,400) */
	seg(r, &s, k, 0, 1, src, 400, 700);
	seg(r, &s, k, 0, 1, src, 1200, 100);   /* 1000 held: at the limit */
	assert_int_equal(s.buffered, 1000);
	assert_int_equal(k->ngaps, 0);
	seg(r, &s, k, 0, 1, src, 1400, 100);   /* over: first hole given up */
	assert_int_equal(st(r)->stream_limit_drops, 1);
	assert_gap(k, 0, 0, 0, 100);
	assert_int_equal(k->bytes[0], 200);
	assert_int_equal(s.buffered, 900);
	seg(r, &s, k, 0, 1, src, 1600, 400);
	assert_int_equal(st(r)->stream_limit_drops, 2);
	assert_gap(k, 1, 0, 300, 100);
	assert_int_equal(k->bytes[0], 900);
	assert_int_equal(s.buffered, 600);
	mdr_reasm_flush(r, &s, k->flow, 0);
	assert_int_equal(k->ngaps, 5);
	assert_gap(k, 2, 0, 1100, 100);
	assert_gap(k, 3, 0, 1300, 100);
	assert_gap(k, 4, 0, 1500, 100);
	assert_memory_equal(k->buf[0] + 100, src + 100, 200);
	assert_memory_equal(k->buf[0] + 400, src + 400, 700);
	assert_memory_equal(k->buf[0] + 1200, src + 1200, 100);
	assert_memory_equal(k->buf[0] + 1400, src + 1400, 100);
	assert_memory_equal(k->buf[0] + 1600, src + 1600, 400);
	assert_int_equal(k->bytes[0], 1500);
	assert_int_equal(s.gaps, 5);
	assert_int_equal(s.gap_bytes, 500);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_int_equal(s.delivered, 2000);
	mdr_reasm_free(r);
}

static void test_gap_big_segment(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 0, 1u << 20, 1000, 512);
	struct mdr_stream s = { 0 };
	uint8_t src[3000];

	fill(src, sizeof(src), 10);
	syn(r, &s, k, 0, 0);
	seg(r, &s, k, 0, 1, src, 500, 2000);   /* alone above the limit */
	assert_int_equal(st(r)->stream_limit_drops, 1);
	assert_gap(k, 0, 0, 0, 500);
	assert_ptr_equal(k->last_ptr, src + 500);
	assert_memory_equal(k->buf[0] + 500, src + 500, 2000);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

static void test_gap_chunk_limit(void **state)
{
	struct sink *k = *state;
	/* 1000 / 2048 * 4 + 16 = 16 runs at most. */
	struct mdr_reasm *r = mk(k, 0, 1u << 20, 1000, 2048);
	struct mdr_stream s = { 0 };
	uint8_t src[400];

	fill(src, sizeof(src), 11);
	syn(r, &s, k, 0, 0);
	for (uint32_t i = 1; i <= 16; i++)
		seg(r, &s, k, 0, 1, src, i * 10, 1);
	assert_int_equal(s.nsegs, 16);
	assert_int_equal(k->ngaps, 0);
	seg(r, &s, k, 0, 1, src, 170, 1);
	assert_int_equal(st(r)->stream_limit_drops, 1);
	assert_gap(k, 0, 0, 0, 10);
	assert_int_equal(k->bytes[0], 1);
	assert_int_equal(s.nsegs, 16);
	mdr_reasm_release(r, &s);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

static void test_gap_flush(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 }, e = { 0 };
	uint8_t src[500];

	fill(src, sizeof(src), 12);
	syn(r, &s, k, 1, 41);
	seg(r, &s, k, 1, 42, src, 100, 100);
	seg(r, &s, k, 1, 42, src, 300, 150);
	seg(r, &s, k, 1, 42, src, 450, 50);
	mdr_reasm_flush(r, &s, k->flow, 1);
	assert_int_equal(k->ngaps, 2);
	assert_gap(k, 0, 1, 0, 100);
	assert_gap(k, 1, 1, 200, 100);
	assert_memory_equal(k->buf[1] + 100, src + 100, 100);
	assert_memory_equal(k->buf[1] + 300, src + 300, 200);
	assert_int_equal(k->bytes[1], 300);
	assert_int_equal(s.nsegs, 0);
	assert_int_equal(s.buffered, 0);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_true(s.flags & MDR_STREAM_F_GAP);
	/* Flushing an empty or uninitialised stream does nothing. */
	mdr_reasm_flush(r, &s, k->flow, 1);
	mdr_reasm_flush(r, &e, k->flow, 0);
	assert_int_equal(k->ngaps, 2);
	mdr_reasm_free(r);
}

/* ---- wrap, depth, memory --------------------------------------------------- */

static void test_wrap(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk_small(k);
	struct mdr_stream s = { 0 }, m = { 0 };
	uint8_t src[1000];
	uint32_t order[10] = { 9, 3, 7, 1, 5, 0, 8, 2, 6, 4 };
	const uint32_t base = 0xFFFFFF00u;

	fill(src, sizeof(src), 13);
	syn(r, &s, k, 0, base - 1);
	for (int i = 0; i < 10; i++)
		seg(r, &s, k, 0, base, src, order[i] * 100, 100);
	assert_int_equal(k->bytes[0], 1000);
	assert_memory_equal(k->buf[0], src, 1000);
	assert_int_equal(s.next_seq, base + 1000);
	seg(r, &s, k, 0, base, src, 200, 100);  /* old, across the wrap */
	assert_int_equal(st(r)->retransmissions, 1);
	/* Midstream start just before the wrap, ack gap across it. */
	seg(r, &m, k, 1, 0xFFFFFFF0u, src, 0, 8);
	seg(r, &m, k, 1, 0xFFFFFFF0u, src, 48, 16);
	ack(r, &m, k, 1, 0xFFFFFFF0u + 64);
	assert_gap(k, 0, 1, 8, 40);
	assert_memory_equal(k->buf[1], src, 8);
	assert_memory_equal(k->buf[1] + 48, src + 48, 16);
	assert_int_equal(m.next_seq, 0x30u);
	mdr_reasm_free(r);
}

static void test_depth(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 1000, 1u << 20, 256u << 10, 2048);
	struct mdr_stream s = { 0 }, t = { 0 };
	uint8_t src[3000];

	fill(src, sizeof(src), 14);
	syn(r, &s, k, 0, 0);
	for (uint32_t i = 0; i < 10; i++)
		seg(r, &s, k, 0, 1, src, i * 300, 300);
	assert_int_equal(k->bytes[0], 1000);
	assert_memory_equal(k->buf[0], src, 1000);
	assert_true(s.flags & MDR_STREAM_F_DEPTH);
	assert_int_equal(st(r)->depth_reached, 1);
	assert_int_equal(st(r)->bytes_delivered, 1000);
	assert_int_equal(st(r)->segments, 10);
	ack(r, &s, k, 0, 5000);
	mdr_reasm_flush(r, &s, k->flow, 0);
	assert_int_equal(k->ngaps, 0);
	/* Second stream: the depth falls inside held data, released. */
	syn(r, &t, k, 1, 0);
	seg(r, &t, k, 1, 1, src, 700, 600);
	seg(r, &t, k, 1, 1, src, 1500, 600);
	assert_true(st(r)->chunks_in_use > 0);
	seg(r, &t, k, 1, 1, src, 0, 700);
	assert_int_equal(k->bytes[1], 1000);
	assert_memory_equal(k->buf[1], src, 1000);
	assert_int_equal(st(r)->depth_reached, 2);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_int_equal(t.nsegs, 0);
	seg(r, &t, k, 1, 1, src, 1000, 100);
	assert_int_equal(k->bytes[1], 1000);
	mdr_reasm_free(r);
}

static void test_depth_exact_and_gap(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 500, 1u << 20, 256u << 10, 2048);
	struct mdr_stream s = { 0 }, t = { 0 };
	uint8_t src[600];

	fill(src, sizeof(src), 15);
	seg(r, &s, k, 0, 1, src, 0, 500);    /* exactly the depth */
	assert_true(s.flags & MDR_STREAM_F_DEPTH);
	assert_int_equal(k->bytes[0], 500);
	/* A gap crossing the depth ends the stream too. */
	syn(r, &t, k, 1, 0);
	seg(r, &t, k, 1, 1, src, 0, 100);
	seg(r, &t, k, 1, 1, src, 550, 50);
	ack(r, &t, k, 1, 1 + 600);
	assert_gap(k, 0, 1, 100, 450);
	assert_true(t.flags & MDR_STREAM_F_DEPTH);
	assert_int_equal(k->bytes[1], 100);
	assert_int_equal(st(r)->depth_reached, 2);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

static void test_depth_paths(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 150, 1u << 20, 100, 2048);
	struct mdr_stream s = { 0 }, t = { 0 };
	uint8_t src[800];

	fill(src, sizeof(src), 18);
	/* Depth hit while a held run overlaps the in-order segment. */
	syn(r, &s, k, 0, 0);
	seg(r, &s, k, 0, 1, src, 100, 50);
	seg(r, &s, k, 0, 1, src, 0, 300);
	assert_int_equal(k->bytes[0], 150);
	assert_memory_equal(k->buf[0], src, 150);
	assert_true(s.flags & MDR_STREAM_F_DEPTH);
	/* Depth crossed by a hole given up for the stream limit. */
	syn(r, &t, k, 1, 0);
	seg(r, &t, k, 1, 1, src, 600, 200);
	assert_gap(k, 0, 1, 0, 600);
	assert_int_equal(k->bytes[1], 0);
	assert_true(t.flags & MDR_STREAM_F_DEPTH);
	assert_int_equal(st(r)->depth_reached, 2);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

static void test_no_pool_and_far(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 0, 0, 0, 2048);  /* no pool, no limit */
	struct mdr_stream s = { 0 };
	uint8_t src[100];

	fill(src, sizeof(src), 19);
	syn(r, &s, k, 0, 0);
	seg(r, &s, k, 0, 1, src, 50, 50);
	assert_int_equal(st(r)->memcap_drops, 1);
	/* Absurdly far ahead, or absurdly long: ignored. */
	mdr_reasm_segment(r, &s, k->flow, 0, 1 + (1u << 30) + 1, false, false,
			  false, src, 10);
	mdr_reasm_segment(r, &s, k->flow, 0, 1, false, false, false, src,
			  (1u << 30) + 1);
	assert_int_equal(st(r)->memcap_drops, 1);
	assert_int_equal(st(r)->segments, 3);
	seg(r, &s, k, 0, 1, src, 0, 100);
	assert_int_equal(k->bytes[0], 100);
	assert_memory_equal(k->buf[0], src, 100);
	mdr_reasm_free(r);
	r = mdr_reasm_create(NULL, &sink_ops, k);  /* defaults */
	assert_non_null(r);
	mdr_reasm_free(r);
}

static void test_memcap(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 0, 4 * 256, 256u << 10, 256);  /* 4 chunks */
	struct mdr_stream s = { 0 }, t = { 0 };
	uint8_t src[3000];

	fill(src, sizeof(src), 16);
	syn(r, &s, k, 0, 0);
	for (uint32_t i = 1; i <= 5; i++)
		seg(r, &s, k, 0, 1, src, i * 300, 200);
	assert_int_equal(st(r)->memcap_drops, 1);
	assert_int_equal(st(r)->chunks_in_use, 4);
	assert_int_equal(s.buffered, 800);
	/* Other streams share the pool: refused whole, no crash. */
	syn(r, &t, k, 1, 0);
	seg(r, &t, k, 1, 1, src, 100, 100);
	assert_int_equal(st(r)->memcap_drops, 2);
	assert_int_equal(t.nsegs, 0);
	seg(r, &t, k, 1, 1, src, 0, 100);    /* in order needs no pool */
	assert_int_equal(k->bytes[1], 100);
	/* Filling the hole frees chunks; refused data is missing, given up. */
	seg(r, &s, k, 0, 1, src, 0, 300);
	assert_int_equal(k->bytes[0], 500);
	assert_int_equal(st(r)->chunks_in_use, 3);
	mdr_reasm_flush(r, &s, k->flow, 0);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_memory_equal(k->buf[0], src, 500);
	assert_memory_equal(k->buf[0] + 600, src + 600, 200);
	assert_memory_equal(k->buf[0] + 1200, src + 1200, 200);
	/* A segment needing more chunks than are free is refused whole. */
	seg(r, &t, k, 1, 1, src, 700, 300);
	seg(r, &t, k, 1, 1, src, 1100, 300);
	seg(r, &t, k, 1, 1, src, 1500, 600);  /* 3 chunks, 0 free */
	assert_int_equal(st(r)->memcap_drops, 3);
	assert_int_equal(t.buffered, 600);
	mdr_reasm_release(r, &t);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

static void test_release(void **state)
{
	struct sink *k = *state;
	struct mdr_reasm *r = mk(k, 0, 1u << 20, 256u << 10, 128);
	struct mdr_stream s[2] = { { 0 }, { 0 } };
	uint8_t src[5000];

	fill(src, sizeof(src), 17);
	for (int d = 0; d < 2; d++) {
		syn(r, &s[d], k, d, 0);
		for (uint32_t i = 1; i < 10; i += 2)
			seg(r, &s[d], k, d, 1, src, i * 400, 400);
	}
	assert_int_equal(st(r)->chunks_in_use, s[0].nsegs + s[1].nsegs);
	assert_true(st(r)->chunks_in_use >= 2 * 5 * 4);
	mdr_reasm_release(r, &s[0]);
	assert_int_equal(s[0].nsegs, 0);
	assert_int_equal(s[0].buffered, 0);
	assert_int_equal(st(r)->chunks_in_use, s[1].nsegs);
	mdr_reasm_release(r, &s[1]);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_int_equal(k->ncalls, 0);
	assert_int_equal(k->ngaps, 0);
	/* The stream keeps working afterwards. */
	seg(r, &s[0], k, 0, 1, src, 400, 400);
	seg(r, &s[0], k, 0, 1, src, 0, 400);
	assert_int_equal(k->bytes[0], 800);
	assert_memory_equal(k->buf[0], src, 800);
	mdr_reasm_release(r, &s[0]);
	mdr_reasm_release(r, &s[0]);
	assert_int_equal(st(r)->chunks_in_use, 0);
	mdr_reasm_free(r);
}

/* ---- property ------------------------------------------------------------ */

#define PROP_MAX_LEN 60000
#define PROP_MAX_SEGS 600

struct pseg {
	uint32_t off, len;
};

/* Cut [0,len) into pieces, add duplicates and overlapping slices, shuffle. */
static uint32_t prop_segments(struct pseg *v, uint32_t len)
{
	uint32_t n = 0, maxseg = rng_range(1, 2500);

	for (uint32_t off = 0; off < len && n < PROP_MAX_SEGS / 2;) {
		uint32_t l = rng_range(1, maxseg);

		if (l > len - off)
			l = len - off;
		v[n++] = (struct pseg){ off, l };
		off += l;
	}
	if (n == PROP_MAX_SEGS / 2)  /* out of slots: one segment to the end */
		v[n - 1].len = len - v[n - 1].off;
	for (uint32_t extra = rng_range(0, n); extra; extra--) {
		if (rng() & 1) {
			v[n] = v[rng() % n];
		} else {
			uint32_t a = rng() % len, l = rng_range(1, 3000);

			v[n] = (struct pseg){ a, l < len - a ? l : len - a };
		}
		n++;
	}
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rng() % i;
		struct pseg t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
	return n;
}

static void prop_round(struct sink *k, uint64_t seed, uint8_t *src[2],
		       struct pseg *v[2])
{
	static const uint32_t csizes[] = { 16, 64, 256, 1000, 2048 };
	struct mdr_reasm *r;
	struct mdr_stream s[2] = { { 0 }, { 0 } };
	uint32_t len[2], n[2], base[2], i[2] = { 0, 0 };

	rng_seed(seed);
	r = mk(k, 0, 8u << 20, 16u << 20, csizes[rng() % 5]);
	memset(k->next, 0, sizeof(k->next));
	memset(k->bytes, 0, sizeof(k->bytes));
	for (int d = 0; d < 2; d++) {
		len[d] = rng_range(1, PROP_MAX_LEN);
		base[d] = rng() % 4 ? rng() : 0xFFFFFFFFu - rng() % PROP_MAX_LEN;
		n[d] = prop_segments(v[d], len[d]);
		for (uint32_t j = 0; j < len[d]; j++)
			src[d][j] = (uint8_t)rng();
		syn(r, &s[d], k, d, base[d] - 1);
	}
	while (i[0] < n[0] || i[1] < n[1]) {
		int d = i[0] == n[0] ? 1 : i[1] == n[1] ? 0 : (int)(rng() & 1);
		struct pseg p = v[d][i[d]++];

		seg(r, &s[d], k, d, base[d], src[d], p.off, p.len);
	}
	for (int d = 0; d < 2; d++) {
		assert_int_equal(k->bytes[d], len[d]);
		assert_memory_equal(k->buf[d], src[d], len[d]);
		assert_int_equal(s[d].nsegs, 0);
		assert_int_equal(s[d].delivered, len[d]);
	}
	assert_int_equal(k->ngaps, 0);
	assert_int_equal(st(r)->overlaps_diff, 0);
	assert_int_equal(st(r)->memcap_drops, 0);
	assert_int_equal(st(r)->chunks_in_use, 0);
	assert_int_equal(st(r)->bytes_delivered, len[0] + len[1]);
	mdr_reasm_free(r);
}

static void test_property(void **state)
{
	struct sink *k = *state;
	uint8_t *src[2] = { malloc(PROP_MAX_LEN), malloc(PROP_MAX_LEN) };
	struct pseg *v[2] = { calloc(PROP_MAX_SEGS, sizeof(struct pseg)),
			      calloc(PROP_MAX_SEGS, sizeof(struct pseg)) };

	assert_non_null(src[0]);
	assert_non_null(src[1]);
	assert_non_null(v[0]);
	assert_non_null(v[1]);
	for (uint64_t seed = 1; seed <= 200; seed++)
		prop_round(k, seed, src, v);
	free(src[0]);
	free(src[1]);
	free(v[0]);
	free(v[1]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_in_order),
		T(test_midstream),
		T(test_syn_payload),
		T(test_reverse),
		T(test_random_perm),
		T(test_duplicates),
		T(test_overlap_first_wins),
		T(test_gap_ack),
		T(test_gap_ack_fin_out_of_order),
		T(test_ack_uninit),
		T(test_gap_stream_limit),
		T(test_gap_big_segment),
		T(test_gap_chunk_limit),
		T(test_gap_flush),
		T(test_wrap),
		T(test_depth),
		T(test_depth_exact_and_gap),
		T(test_depth_paths),
		T(test_no_pool_and_far),
		T(test_memcap),
		T(test_release),
		T(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
