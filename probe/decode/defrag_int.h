/*
 * defrag_int.h - private interface of the IP fragment pool (defrag.c).
 *
 * decode.c parses an IPv4/IPv6 fragment, fills a struct mdr_defrag_in and
 * calls mdr_defrag_add(). The pool answers "held" (0), "complete" (1, with
 * the contiguous datagram [IP header, fragment fields cleared][payload] in
 * struct mdr_defrag_out), or -reason. A completed datagram stays valid
 * until mdr_defrag_release() is called at the start of the next decode.
 *
 * The pool keeps the decoder's statistics up to date for the events that
 * are not the current packet's return value: frag_reassembled,
 * frag_dropped, err[FRAG_TIMEOUT] and err[FRAG_NOMEM] for evictions. The
 * caller counts the error it returns, as for every other layer.
 */
#ifndef MDR_DEFRAG_INT_H
#define MDR_DEFRAG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

/* Room kept in front of each datagram for the first fragment's header
 * (IPv6: base header plus the unfragmentable extension headers). */
#define MDR_DEFRAG_HDR_ROOM 256

struct mdr_defrag_in {
	const struct mdr_ip *src, *dst;
	uint32_t id;
	uint8_t ver;            /* 4 or 6 */
	uint8_t proto;          /* IPv4 protocol / IPv6 fragment next header */
	uint16_t vlan;
	const uint8_t *hdr;     /* IP header (+ unfragmentable ext headers) */
	uint32_t hdr_len;
	uint32_t nh_off;        /* IPv6: offset in hdr of the byte to patch */
	const uint8_t *data;    /* fragment payload, fully captured */
	uint32_t off;           /* byte offset in the datagram payload */
	uint32_t len;
	bool more;              /* MF / M flag */
	mdr_time_t ts;
	uint32_t pkts, bytes;   /* what this fragment stands for (accounting) */
};

struct mdr_defrag_out {
	const uint8_t *data;    /* [header][payload], decoder memory */
	uint32_t len;
	uint32_t hdr_len;
	uint32_t frags;         /* fragments it was built from (incl. duplicates) */
	uint32_t bytes;         /* sum of their frame bytes */
};

struct mdr_defrag;

/* NULL on ENOMEM/EINVAL. st is the owning decoder's statistics. */
struct mdr_defrag *mdr_defrag_create(const struct mdr_decode_config *cfg,
				     struct mdr_decode_stats *st);
void mdr_defrag_free(struct mdr_defrag *df);
/* 0 = held, 1 = complete (out filled), -reason otherwise. */
int mdr_defrag_add(struct mdr_defrag *df, const struct mdr_defrag_in *in,
		   struct mdr_defrag_out *out);
/* Return the datagrams handed out by the previous call to the pool. */
void mdr_defrag_release(struct mdr_defrag *df);
void mdr_defrag_expire(struct mdr_defrag *df, mdr_time_t now);
/* Incomplete datagrams currently held (for tests and stats). */
uint32_t mdr_defrag_in_use(const struct mdr_defrag *df);

#endif
