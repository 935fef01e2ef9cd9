/*
 * ingest.h - scratch state of mdr_store_put() (internal).
 *
 * Reused from batch to batch by the writer thread: the records' encoded
 * forms and index items live in one arena, items are grouped by
 * (partition, type, value) in an open-addressing hash table, and each
 * group becomes one index entry (ingest_index.c).
 */
#ifndef MDR_STORE_INGEST_H
#define MDR_STORE_INGEST_H

#include "store_int.h"

struct ix_item {
	uint64_t sec;
	uint32_t ctr, tp;           /* reference; touched-partition index */
	uint32_t voff;              /* value bytes in the arena */
	uint32_t next;              /* next item of the same group */
	uint32_t resid;             /* residual (bucketed types) */
	uint8_t type, vlen, mask, pad;
};

struct ix_group {
	uint32_t first, last, n;
	uint32_t hash;
};

struct fl_item {
	uint64_t sec;
	uint32_t ctr, tp;
	uint32_t off, len;          /* encoded record in the arena */
};

struct touched {
	struct mdr_part *p;
	uint64_t add, maxdur_s;
};

struct mdr_ingest {
	struct ix_item *ix;
	size_t nix, capix;
	struct ix_group *grp;
	size_t ngrp, capgrp;
	uint32_t *order;            /* groups in key order */
	size_t caporder;
	uint32_t *htab;             /* group index + 1, 0 = empty */
	size_t hcap;
	struct fl_item *fl;
	size_t nfl, capfl;
	uint8_t *arena;
	size_t narena, caparena;
	struct touched *tp;
	size_t ntp, captp;
	uint32_t *rec_tp;           /* per input record: touched index or UINT32_MAX */
	size_t caprec;
	struct ix_item *sorted;     /* one group's items by reference */
	size_t capsorted;
	uint8_t *post;              /* posting list being built */
	size_t cappost;
	rocksdb_writebatch_t *wb;
};

int mdr_ingest_grow(void **p, size_t *cap, size_t need, size_t size);

/* Index items of one record with reference (sec, ctr) in touched partition tp. */
void mdr_ix_items(struct mdr_ingest *g, const struct mdr_flow_record *r, uint64_t sec,
		  uint32_t ctr, uint32_t tp);
/* Group the batch's items and add one index entry per group to g->wb. */
int mdr_ix_put_groups(struct mdr_store *s, struct mdr_ingest *g);

#endif
