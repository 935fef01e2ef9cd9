/*
 * reassembly.h - TCP stream reassembly, one direction at a time.
 *
 * Each flow embeds two struct mdr_stream (to server, to client). The
 * per-worker struct mdr_reasm owns a preallocated pool of fixed-size chunks
 * that hold out-of-order data (no malloc per packet) and the counters.
 * In-order bytes are handed to the data callback at once, without copying;
 * out-of-order segments wait in the pool, sorted by sequence number, until
 * the hole before them is filled. Overlaps keep the first copy (Suricata's
 * default "first" policy for the data already delivered) and are counted,
 * with a separate counter when the overlapping bytes differ. A hole is given
 * up (a gap callback, then delivery continues) when the peer ACKs past it,
 * when the stream buffers more than its limit, or at flush. Delivery stops
 * at the configured depth; memory beyond the memcap is refused and counted.
 */
#ifndef MDR_REASSEMBLY_H
#define MDR_REASSEMBLY_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/mdr_common.h"

#define MDR_STREAM_F_INIT       0x01  /* base sequence known */
#define MDR_STREAM_F_DEPTH      0x02  /* depth reached: nothing more delivered */
#define MDR_STREAM_F_FIN        0x04  /* FIN seen */
#define MDR_STREAM_F_RST        0x08
#define MDR_STREAM_F_GAP        0x10  /* at least one gap occurred */

#define MDR_SEG_NONE UINT32_MAX

/* Per direction state, embedded in the flow. Zero-initialised = empty. */
struct mdr_stream {
	uint32_t base_seq;      /* sequence number of stream offset 0 */
	uint32_t next_seq;      /* next in-order sequence number expected */
	uint64_t delivered;     /* bytes handed to the data callback (offset) */
	uint32_t seg_head;      /* first out-of-order segment (pool index) */
	uint32_t buffered;      /* bytes held out of order */
	uint16_t nsegs;
	uint8_t flags;          /* MDR_STREAM_F_* */
	uint8_t pad;
	uint32_t gaps;          /* number of holes given up */
	uint64_t gap_bytes;
};

struct mdr_reasm_config {
	uint64_t depth;           /* bytes per direction delivered, 0 = unlimited; default 1 MiB */
	uint64_t memcap;          /* bytes of out-of-order data per worker; default 64 MiB */
	uint32_t max_stream_buffer; /* out-of-order bytes one stream may hold; default 256 KiB */
	uint32_t chunk_size;      /* pool chunk payload size; default 2048 */
};

struct mdr_reasm_stats {
	uint64_t segments;        /* segments with payload offered */
	uint64_t bytes_delivered;
	uint64_t in_order;        /* segments delivered at once */
	uint64_t out_of_order;    /* segments buffered */
	uint64_t retransmissions; /* fully already-seen segments */
	uint64_t overlaps;        /* segments partially/fully overlapping data */
	uint64_t overlaps_diff;   /* ... with different bytes */
	uint64_t gaps;            /* holes given up */
	uint64_t gap_bytes;
	uint64_t depth_reached;   /* streams that hit the depth */
	uint64_t memcap_drops;    /* segments refused for lack of pool */
	uint64_t stream_limit_drops; /* holes given up because a stream buffered too much */
	uint64_t chunks_in_use;   /* gauge */
};

/*
 * Consumers (nDPI, signatures) receive in-order bytes of one direction.
 * `offset` is the stream offset of data[0]; dir 0 = to server, 1 = to client.
 */
struct mdr_reasm_ops {
	void (*data)(void *ctx, void *flow, int dir, const uint8_t *data,
		     uint32_t len, uint64_t offset);
	void (*gap)(void *ctx, void *flow, int dir, uint64_t offset, uint64_t len);
};

struct mdr_reasm;

void mdr_reasm_config_default(struct mdr_reasm_config *cfg);
/* ops may be NULL (count only). */
struct mdr_reasm *mdr_reasm_create(const struct mdr_reasm_config *cfg,
				   const struct mdr_reasm_ops *ops, void *ctx);
void mdr_reasm_free(struct mdr_reasm *r);

/*
 * Offer one TCP segment of direction `dir` of `flow`. `syn` says the segment
 * carries SYN (its sequence number then precedes the data by one), `fin`/`rst`
 * mark the end of the direction. Data before the base sequence (the stream
 * started mid-way) starts the stream at the first data seen.
 */
void mdr_reasm_segment(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		       int dir, uint32_t seq, bool syn, bool fin, bool rst,
		       const uint8_t *data, uint32_t len);

/* The peer acknowledged up to `ack`: holes before it will never be filled. */
void mdr_reasm_ack(struct mdr_reasm *r, struct mdr_stream *s, void *flow,
		   int dir, uint32_t ack);

/* End of flow: deliver what is buffered (gaps reported), release memory. */
void mdr_reasm_flush(struct mdr_reasm *r, struct mdr_stream *s, void *flow, int dir);

/*
 * The consumers want nothing more from this direction (e.g. TLS after the
 * handshake): stop delivering, as if the depth was reached, and release
 * what is held. Not counted as depth_reached.
 */
void mdr_reasm_stop(struct mdr_reasm *r, struct mdr_stream *s);

/* Release buffered segments without delivering them. */
void mdr_reasm_release(struct mdr_reasm *r, struct mdr_stream *s);

const struct mdr_reasm_stats *mdr_reasm_get_stats(const struct mdr_reasm *r);

#endif
