/*
 * reassembly.c - per-direction TCP stream reassembly.
 *
 * Design. Sequence numbers are compared with 32-bit serial arithmetic
 * (seq_lt & co), stream offsets are 64-bit. s->delivered is the stream
 * offset of next_seq: it advances over delivered bytes and over holes that
 * were given up, so data after a gap keeps its true offset (bytes handed to
 * the data callback = delivered - gap_bytes). The depth applies to offsets.
 *
 * In-order bytes go straight from the caller's packet to ops->data. Bytes
 * that arrive ahead of next_seq are copied into the worker's chunk pool,
 * allocated once at create time (memcap / chunk_size chunks, free list by
 * index). A stream keeps a singly linked list of chunks sorted by sequence;
 * each chunk holds one run of contiguous bytes, and the runs never overlap.
 * s->nsegs counts the chunks (0 = empty list, whatever seg_head says, so a
 * zeroed stream is valid). A new out-of-order segment only fills the holes
 * between the runs already held ("first" policy); data that lands right
 * after a run is appended to that run's chunk while there is room.
 *
 * Storing is done in two passes over the list: a dry run counts the new
 * bytes and chunks needed, so the stream limit and the memcap are checked
 * before anything changes (a refused segment is refused whole), then the
 * commit pass copies. Overlap detection compares the new segment with the
 * held runs it intersects before anything is stored or delivered.
 *
 * Counters: retransmissions = segments that bring no new byte; overlaps =
 * segments that intersect held data or partly precede next_seq; a segment
 * fully inside held data counts as both. Besides max_stream_buffer bytes, a
 * stream may hold at most 4 * (max_stream_buffer / chunk_size) + 16 chunks
 * (bounded by the uint16_t nsegs): many tiny runs would otherwise eat the
 * shared pool and make every insertion walk a long list. Exceeding either
 * gives up the first hole, the same way.
 */
#include "reassembly.h"

#include <stdlib.h>
#include <string.h>

#define SEQ_FAR (1u << 30)  /* further ahead than this is absurd */

struct chunk {
	uint32_t next;  /* next run of the stream (or next free chunk) */
	uint32_t seq;   /* sequence number of the first byte held */
	uint32_t len;   /* bytes held, from the start of the chunk's buffer */
};

struct mdr_reasm {
	struct mdr_reasm_config cfg;
	struct mdr_reasm_ops ops;
	void *ctx;
	struct chunk *chunks;
	uint8_t *mem;                /* nchunks * chunk_size bytes */
	uint32_t nchunks;
	uint32_t nfree;
	uint32_t free_head;
	uint32_t max_stream_chunks;
	struct mdr_reasm_stats stats;
};

/* Overlap findings for one offered segment, counted once at the end. */
struct seg_note {
	bool overlap;
	bool diff;
};

/* One pass of storing a segment (dry run or commit). */
struct ins {
	bool commit;
	uint32_t chunks;  /* new chunks needed / taken */
	uint32_t bytes;   /* new bytes stored */
};

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? b : a;
}

static inline uint32_t run_end(const struct chunk *c)
{
	return c->seq + c->len;
}

static inline uint8_t *chunk_data(const struct mdr_reasm *r, uint32_t i)
{
	return r->mem + (size_t)i * r->cfg.chunk_size;
}

static inline struct chunk *stream_head(const struct mdr_reasm *r,
					const struct mdr_stream *s)
{
	return s->nsegs ? &r->chunks[s->seg_head] : NULL;
}

/* ---- pool ---------------------------------------------------------------- */

void mdr_reasm_config_default(struct mdr_reasm_config *cfg)
{
	cfg->depth = 1u << 20;
	cfg->memcap = 64u << 20;
	cfg->max_stream_buffer = 256u << 10;
	cfg->chunk_size = 2048;
}

static uint32_t stream_chunk_limit(const struct mdr_reasm_config *cfg)
{
	uint64_t n;

	if (!cfg->max_stream_buffer)
		return UINT16_MAX;
	n = 4 * ((uint64_t)cfg->max_stream_buffer / cfg->chunk_size) + 16;
	return n > UINT16_MAX ? UINT16_MAX : (uint32_t)n;
}

static bool pool_init(struct mdr_reasm *r)
{
	uint64_t n = r->cfg.memcap / r->cfg.chunk_size;

	if (n > MDR_SEG_NONE - 1)
		n = MDR_SEG_NONE - 1;
	if (n * r->cfg.chunk_size > SIZE_MAX || n * sizeof(struct chunk) > SIZE_MAX)
		return false;
	r->nchunks = r->nfree = (uint32_t)n;
	r->free_head = MDR_SEG_NONE;
	if (!n)
		return true;
	r->chunks = malloc((size_t)n * sizeof(struct chunk));
	r->mem = malloc((size_t)(n * r->cfg.chunk_size));
	if (!r->chunks || !r->mem)
		return false;
	for (uint32_t i = 0; i < r->nchunks; i++)
		r->chunks[i].next = i + 1 < r->nchunks ? i + 1 : MDR_SEG_NONE;
	r->free_head = 0;
	return true;
}

struct mdr_reasm *mdr_reasm_create(const struct mdr_reasm_config *cfg,
				   const struct mdr_reasm_ops *ops, void *ctx)
{
	struct mdr_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (cfg)
		r->cfg = *cfg;
	else
		mdr_reasm_config_default(&r->cfg);
	if (ops)
		r->ops = *ops;
	r->ctx = ctx;
	if (!r->cfg.chunk_size || !pool_init(r)) {
		mdr_reasm_free(r);
		return NULL;
	}
	r->max_stream_chunks = stream_chunk_limit(&r->cfg);
	return r;
}

void mdr_reasm_free(struct mdr_reasm *r)
{
	if (!r)
		return;
	free(r->chunks);
	free(r->mem);
	free(r);
}

const struct mdr_reasm_stats *mdr_reasm_get_stats(const struct mdr_reasm *r)
{
	return &r->stats;
}

static uint32_t chunk_alloc(struct mdr_reasm *r)
{
	uint32_t i = r->free_head;  /* the caller checked nfree */

	r->free_head = r->chunks[i].next;
	r->nfree--;
	r->stats.chunks_in_use++;
	return i;
}

static void chunk_free(struct mdr_reasm *r, uint32_t i)
{
	r->chunks[i].next = r->free_head;
	r->free_head = i;
	r->nfree++;
	r->stats.chunks_in_use--;
}

/* Unlink the first run of the stream; the caller frees it. */
static uint32_t pop_head(struct mdr_reasm *r, struct mdr_stream *s)
{
	uint32_t i = s->seg_head;

	s->seg_head = r->chunks[i].next;
	s->buffered -= r->chunks[i].len;
	if (!--s->nsegs)
		s->seg_head = MDR_SEG_NONE;
	return i;
}

void mdr_reasm_release(struct mdr_reasm *r, struct mdr_stream *s)
{
	uint32_t i = s->seg_head;

	for (uint32_t n = s->nsegs; n; n--) {
		uint32_t next = r->chunks[i].next;

		chunk_free(r, i);
		i = next;
	}
	s->seg_head = MDR_SEG_NONE;
	s->nsegs = 0;
	s->buffered = 0;
}

/* ---- delivery ------------------------------------------------------------ */

static void depth_hit(struct mdr_reasm *r, struct mdr_stream *s)
{
	if (!(s->flags & MDR_STREAM_F_DEPTH)) {
		s->flags |= MDR_STREAM_F_DEPTH;
		r->stats.depth_reached++;
	}
	mdr_reasm_release(r, s);
}

/* Hand n bytes at next_seq to the consumer. False once the depth is hit. */
static bool deliver(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		    int dir, const uint8_t *p, uint32_t n)
{
	uint64_t depth = r->cfg.depth;
	bool hit = false;

	if (depth && s->delivered + n >= depth) {
		n = s->delivered < depth ? (uint32_t)(depth - s->delivered) : 0;
		hit = true;
	}
	if (n && r->ops.data)
		r->ops.data(r->ctx, flow, dir, p, n, s->delivered);
	s->delivered += n;
	s->next_seq += n;
	r->stats.bytes_delivered += n;
	if (hit)
		depth_hit(r, s);
	return !hit;
}

/* Give up n missing bytes at next_seq. False once the depth is hit. */
static bool give_up(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		    int dir, uint32_t n)
{
	if (r->ops.gap)
		r->ops.gap(r->ctx, flow, dir, s->delivered, n);
	s->delivered += n;
	s->next_seq += n;
	s->gaps++;
	s->gap_bytes += n;
	s->flags |= MDR_STREAM_F_GAP;
	r->stats.gaps++;
	r->stats.gap_bytes += n;
	if (r->cfg.depth && s->delivered >= r->cfg.depth) {
		depth_hit(r, s);
		return false;
	}
	return true;
}

/* Deliver the held runs that are now contiguous with next_seq. */
static bool deliver_ready(struct mdr_reasm *r, struct mdr_stream *s,
			  void *flow, int dir)
{
	struct chunk *c;

	while ((c = stream_head(r, s)) && seq_leq(c->seq, s->next_seq)) {
		uint32_t i = pop_head(r, s);
		uint32_t skip = s->next_seq - c->seq;
		bool ok = true;

		if (seq_lt(s->next_seq, run_end(c)))
			ok = deliver(r, s, flow, dir, chunk_data(r, i) + skip,
				     c->len - skip);
		chunk_free(r, i);
		if (!ok)
			return false;
	}
	return true;
}

/*
 * The segment starts at next_seq: deliver it from the packet, except where
 * runs are already held (they were first, they win), then what follows.
 */
static void take_in_order(struct mdr_reasm *r, struct mdr_stream *s,
			  void *flow, int dir, const uint8_t *data, uint32_t len)
{
	uint32_t seq = s->next_seq, end = seq + len;

	while (seq_lt(s->next_seq, end)) {
		struct chunk *c = stream_head(r, s);
		uint32_t stop = end;

		if (c && seq_leq(c->seq, s->next_seq)) {
			if (!deliver_ready(r, s, flow, dir))
				return;
			continue;
		}
		if (c && seq_lt(c->seq, end))
			stop = c->seq;
		if (!deliver(r, s, flow, dir, data + (s->next_seq - seq),
			     stop - s->next_seq))
			return;
	}
	deliver_ready(r, s, flow, dir);
}

/* ---- out-of-order storage ------------------------------------------------ */

/* Compare the segment with every held run it intersects. */
static void overlap_check(const struct mdr_reasm *r, const struct mdr_stream *s,
			  uint32_t seq, const uint8_t *data, uint32_t len,
			  struct seg_note *note)
{
	uint32_t end = seq + len, i = s->seg_head;

	for (uint32_t n = s->nsegs; n; n--, i = r->chunks[i].next) {
		const struct chunk *c = &r->chunks[i];
		uint32_t from, to;

		if (!seq_lt(c->seq, end))
			break;
		if (seq_leq(run_end(c), seq))
			continue;
		from = seq_max(c->seq, seq);
		to = seq_min(run_end(c), end);
		note->overlap = true;
		if (memcmp(data + (from - seq), chunk_data(r, i) + (from - c->seq),
			   to - from))
			note->diff = true;
	}
}

/*
 * Store n bytes at pos into the hole after run `prev` (MDR_SEG_NONE: at the
 * head) and before run `cur`: append to prev while its chunk has room, then
 * take new chunks. Returns the run now preceding `cur`.
 */
static uint32_t store_run(struct mdr_reasm *r, struct mdr_stream *s,
			  uint32_t prev, uint32_t cur, uint32_t pos,
			  const uint8_t *src, uint32_t n, struct ins *in)
{
	uint32_t csize = r->cfg.chunk_size;

	in->bytes += n;
	if (prev != MDR_SEG_NONE && run_end(&r->chunks[prev]) == pos) {
		struct chunk *p = &r->chunks[prev];
		uint32_t k = csize - p->len < n ? csize - p->len : n;

		if (in->commit) {
			memcpy(chunk_data(r, prev) + p->len, src, k);
			p->len += k;
		}
		src += k, pos += k, n -= k;
	}
	while (n) {
		uint32_t k = n < csize ? n : csize;

		in->chunks++;
		if (in->commit) {
			uint32_t i = chunk_alloc(r);

			r->chunks[i] = (struct chunk){ .next = cur, .seq = pos, .len = k };
			memcpy(chunk_data(r, i), src, k);
			if (prev == MDR_SEG_NONE)
				s->seg_head = i;
			else
				r->chunks[prev].next = i;
			prev = i;
		}
		src += k, pos += k, n -= k;
	}
	return prev;
}

/* Walk the runs and fill the holes the segment covers (see struct ins). */
static void insert_walk(struct mdr_reasm *r, struct mdr_stream *s, uint32_t seq,
			const uint8_t *data, uint32_t len, struct ins *in)
{
	uint32_t prev = MDR_SEG_NONE;
	uint32_t cur = s->nsegs ? s->seg_head : MDR_SEG_NONE;
	uint32_t pos = seq, end = seq + len;

	while (pos != end) {
		struct chunk *c;
		uint32_t stop = end;

		while (cur != MDR_SEG_NONE &&
		       seq_leq(run_end(&r->chunks[cur]), pos)) {
			prev = cur;
			cur = r->chunks[cur].next;
		}
		c = cur != MDR_SEG_NONE ? &r->chunks[cur] : NULL;
		if (c && seq_leq(c->seq, pos)) {   /* inside a held run */
			pos = seq_min(run_end(c), end);
			continue;
		}
		if (c && seq_lt(c->seq, end))
			stop = c->seq;
		prev = store_run(r, s, prev, cur, pos, data + (pos - seq),
				 stop - pos, in);
		pos = stop;
	}
}

static bool over_limit(const struct mdr_reasm *r, const struct mdr_stream *s,
		       const struct ins *in)
{
	uint32_t msb = r->cfg.max_stream_buffer;

	if (msb && (uint64_t)s->buffered + in->bytes > msb)
		return true;
	return (uint32_t)s->nsegs + in->chunks > r->max_stream_chunks;
}

/* Buffer a segment that starts after next_seq. True: over the stream limit. */
static bool buffer_segment(struct mdr_reasm *r, struct mdr_stream *s,
			   uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct ins in = { .commit = false };

	insert_walk(r, s, seq, data, len, &in);
	if (!in.bytes) {
		r->stats.retransmissions++;
		return false;
	}
	if (over_limit(r, s, &in))
		return true;
	if (in.chunks > r->nfree) {
		r->stats.memcap_drops++;
		return false;
	}
	in = (struct ins){ .commit = true };
	insert_walk(r, s, seq, data, len, &in);
	s->buffered += in.bytes;
	s->nsegs = (uint16_t)(s->nsegs + in.chunks);
	r->stats.out_of_order++;
	return false;
}

/*
 * The stream holds too much: give up the first hole (before the first run
 * or before the new segment at seq) and deliver what follows it.
 */
static bool give_up_first_hole(struct mdr_reasm *r, struct mdr_stream *s,
			       void *flow, int dir, uint32_t seq)
{
	struct chunk *c = stream_head(r, s);
	uint32_t to = c && seq_lt(c->seq, seq) ? c->seq : seq;

	r->stats.stream_limit_drops++;
	if (!give_up(r, s, flow, dir, to - s->next_seq))
		return false;
	return deliver_ready(r, s, flow, dir);
}

/* ---- entry points -------------------------------------------------------- */

static void take_segment(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
			 int dir, uint32_t seq, const uint8_t *data, uint32_t len,
			 struct seg_note *note)
{
	if (seq_leq(seq + len, s->next_seq)) {
		r->stats.retransmissions++;
		return;
	}
	if (seq_lt(seq, s->next_seq))
		note->overlap = true;
	overlap_check(r, s, seq, data, len, note);
	for (;;) {
		if (seq_leq(seq + len, s->next_seq))
			return;
		if (seq_lt(seq, s->next_seq)) {
			uint32_t k = s->next_seq - seq;

			seq += k, data += k, len -= k;
		}
		if (seq == s->next_seq)
			break;
		if (seq - s->next_seq > SEQ_FAR)
			return;
		if (!buffer_segment(r, s, seq, data, len))
			return;
		if (!give_up_first_hole(r, s, flow, dir, seq))
			return;
	}
	r->stats.in_order++;
	take_in_order(r, s, flow, dir, data, len);
}

static void stream_init(struct mdr_stream *s, uint32_t seq)
{
	s->base_seq = seq;
	s->next_seq = seq;
	s->delivered = 0;
	s->seg_head = MDR_SEG_NONE;
	s->nsegs = 0;
	s->buffered = 0;
	s->flags |= MDR_STREAM_F_INIT;
}

void mdr_reasm_segment(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		       int dir, uint32_t seq, bool syn, bool fin, bool rst,
		       const uint8_t *data, uint32_t len)
{
	struct seg_note note = { false, false };

	if (syn)
		seq++;  /* the SYN takes one sequence number before the data */
	if (!(s->flags & MDR_STREAM_F_INIT) && (syn || len))
		stream_init(s, seq);
	if (fin)
		s->flags |= MDR_STREAM_F_FIN;
	if (rst)
		s->flags |= MDR_STREAM_F_RST;
	if (!len)
		return;
	r->stats.segments++;
	if ((s->flags & MDR_STREAM_F_DEPTH) || len > SEQ_FAR)
		return;
	take_segment(r, s, flow, dir, seq, data, len, &note);
	if (note.overlap)
		r->stats.overlaps++;
	if (note.diff)
		r->stats.overlaps_diff++;
}

/*
 * Bytes before `ack` were received by the peer: give up the holes before it
 * and deliver the runs they were blocking. With the FIN seen and nothing
 * held, the ack is taken to cover the FIN's own sequence number.
 */
void mdr_reasm_ack(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		   int dir, uint32_t ack)
{
	if (!(s->flags & MDR_STREAM_F_INIT) || (s->flags & MDR_STREAM_F_DEPTH))
		return;
	if (!seq_lt(s->next_seq, ack) || ack - s->next_seq > SEQ_FAR)
		return;
	for (;;) {
		struct chunk *c = stream_head(r, s);
		uint32_t to = ack;

		if (!c && (s->flags & MDR_STREAM_F_FIN))
			to = ack - 1;
		if (!seq_lt(s->next_seq, to))
			return;
		if (c && seq_lt(c->seq, to))
			to = c->seq;
		if (!give_up(r, s, flow, dir, to - s->next_seq))
			return;
		if (!deliver_ready(r, s, flow, dir))
			return;
	}
}

void mdr_reasm_flush(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		     int dir)
{
	struct chunk *c;

	while ((c = stream_head(r, s))) {
		if (seq_lt(s->next_seq, c->seq) &&
		    !give_up(r, s, flow, dir, c->seq - s->next_seq))
			break;
		if (!deliver_ready(r, s, flow, dir))
			break;
	}
	mdr_reasm_release(r, s);
}

void mdr_reasm_stop(struct mdr_reasm *r, struct mdr_stream *s)
{
	s->flags |= MDR_STREAM_F_DEPTH;
	mdr_reasm_release(r, s);
}
