/*
 * keys.h - key layouts of the flow store (internal).
 *
 * A record is named by its reference: the second of its flow start and a
 * 32-bit ingest counter (unique among records of the same second).
 * Inside partition `pid` (starts at pid * span) the reference is 7 bytes,
 * big-endian so that byte order is time order:
 *
 *     ref   = start_sec - pid * span_s (3 bytes) | counter (4 bytes)
 *
 * Seconds, not finer: references repeat in every index posting, and
 * within a batch their deltas then take a byte or two. The exact start
 * (ns) is in the record; the executor orders a second's records by it.
 *
 * Flow CF "f.<pid>":  key = ref                     value = record (codec.h)
 * Index CF "i.<pid>": key = type | value | ref      value = posting list
 *
 * An index key names the first reference of a group: the records of one
 * put() batch that share (partition, type, value). Its value lists them
 * all, ascending by reference:
 *     varint(mask of the first) [residual of the first]
 *     then per other one: varint(delta start_sec),
 *                         varint(zigzag(delta counter) << 2 | mask) [residual]
 * `mask` says which endpoint carried the value for IP and port entries
 * (1 client, 2 server, 3 both); 0 for the other types.
 *
 * Index values (all self-delimiting, so that one value's keys are
 * contiguous and "key minus the 9-byte ref" is the prefix that the bloom
 * filter and prefix seeks use):
 *     IP4 4 bytes, IP6 16 bytes, PROTO 1, SID 4 (big-endian), RISK 1,
 *     PORT 2 (ports below 1024),
 *     PORTHI 1 = port >> 8 (ports from 1024: 256-port buckets; the low
 *            byte is the 1-byte residual of each posting entry),
 *     CID 1 = first byte of the community id's SHA-1 (the next 2 bytes
 *            are the residual; candidates are re-checked on the record),
 *     APP/JA3/JA4 lower-case text + NUL, SNI/HOST/DNS lower-case text
 *     *reversed* + NUL (a suffix `*.example.top` is a prefix range on
 *     "pot.elpmaxe.").
 *     LONG 0 bytes: flows lasting MDR_LONG_FLOW_S or more (a window query
 *            reads the partitions that end before its start through it).
 * Bucketing the two fields that are unique per flow (client ports and
 * community ids) is what lets one key serve several flows of a batch.
 */
#ifndef MDR_STORE_KEYS_H
#define MDR_STORE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MDR_REF_LEN 7
#define MDR_SPAN_MAX_S (1u << 24)   /* partition spans fit the 3-byte offset */
#define MDR_IX_VALUE_MAX 136        /* longest encoded index value */
#define MDR_IX_KEY_MAX (1 + MDR_IX_VALUE_MAX + MDR_REF_LEN)

enum mdr_ix_type {
	MDR_IX_IP4 = 1, MDR_IX_IP6, MDR_IX_PORT, MDR_IX_PROTO, MDR_IX_APP,
	MDR_IX_SNI, MDR_IX_HOST, MDR_IX_DNS, MDR_IX_JA3, MDR_IX_JA4,
	MDR_IX_CID, MDR_IX_SID, MDR_IX_RISK, MDR_IX_PORTHI, MDR_IX_LONG, MDR_IX__COUNT
};

/* Flows lasting this long get a LONG index entry (see query_exec.c). */
#define MDR_LONG_FLOW_S 300

#define MDR_PORT_EXACT_MAX 1024     /* ports below: exact PORT keys */

/* Bytes of residual in each posting entry of an index type. */
static inline int mdr_ix_resid_len(int type)
{
	return type == MDR_IX_PORTHI ? 1 : type == MDR_IX_CID ? 2 : 0;
}

/* A record reference with its absolute start time. */
struct mdr_ref {
	uint64_t sec;               /* flow start, seconds since the epoch */
	uint32_t ctr;
	uint32_t mask;              /* endpoint mask when read from an index */
};

static inline int mdr_ref_cmp(const struct mdr_ref *a, const struct mdr_ref *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->ctr != b->ctr)
		return a->ctr < b->ctr ? -1 : 1;
	return 0;
}

static inline size_t mdr_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* 0, or -1 when the varint is truncated or longer than 10 bytes. */
static inline int mdr_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;

	for (int shift = 0; shift < 70 && p < end; shift += 7) {
		uint8_t b = *p++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*v = r;
			return 0;
		}
	}
	return -1;
}

static inline uint64_t mdr_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t mdr_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void mdr_put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t mdr_get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Encode/decode a reference inside partition `pid` (span in seconds). */
void mdr_ref_encode(uint8_t out[MDR_REF_LEN], const struct mdr_ref *r,
		    uint32_t pid, uint64_t span_s);
void mdr_ref_decode(const uint8_t in[MDR_REF_LEN], uint32_t pid, uint64_t span_s,
		    struct mdr_ref *r);

/*
 * Index values. Each returns the encoded length written to out (at most
 * MDR_IX_VALUE_MAX), 0 when there is nothing to index.
 */
size_t mdr_ix_text(uint8_t *out, const char *s, bool reversed);
/* Prefix of a reversed name for the suffix pattern's literal part. */
size_t mdr_ix_suffix_prefix(uint8_t *out, const char *suffix);
/* First 4 bytes of the SHA-1 in a community id "1:<base64>"; -1 if malformed. */
int mdr_ix_cid(const char *cid, uint8_t out[4]);

/* Smallest key greater than every key starting with p[0..n) (n > 0);
 * returns the length (0 when p is all 0xff: no bound). */
size_t mdr_key_successor(const uint8_t *p, size_t n, uint8_t *out);

/* The index CFs' prefix extractor ("mdr.ix.v1": key minus the ref). */
struct rocksdb_slicetransform_t;
struct rocksdb_slicetransform_t *mdr_ix_prefix_extractor(void);

#endif
