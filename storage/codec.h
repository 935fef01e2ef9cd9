/*
 * codec.h - the stored form of a flow record (internal).
 *
 * Version byte, a varint bitmap of present optional parts, then the
 * fields as varints and length-prefixed strings (codec.c lists them).
 * The start second is not stored (the record's key carries it), only
 * the fraction: microseconds, or nanoseconds when finer.
 * A decoded record equals the original in every field that has meaning
 * (padding and bytes after string terminators read back as zero), so
 * mdr_eve_flow() of both is byte-identical.
 */
#ifndef MDR_STORE_CODEC_H
#define MDR_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "output/output.h"

#define MDR_REC_VERSION 1
#define MDR_REC_ENC_MAX 1536

/* Encode r into out (MDR_REC_ENC_MAX bytes); returns the length. */
size_t mdr_rec_encode(const struct mdr_flow_record *r, uint8_t *out);

/*
 * Decode a stored record whose key says it started in second start_sec.
 * 0, -EBADMSG (truncated or inconsistent), -EPROTONOSUPPORT (version).
 */
int mdr_rec_decode(const uint8_t *p, size_t len, uint64_t start_sec,
		   struct mdr_flow_record *r);

/* Community ID v1 (seed 0) of a record, as mdr_eve_flow() prints it. */
int mdr_rec_community_id(const struct mdr_flow_record *r, char *out, size_t len);

#endif
