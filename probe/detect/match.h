/*
 * match.h - the signature engine's matching core: Hyperscan prefilter and
 * full rule-buffer evaluation (internal to probe/detect).
 *
 * mdr_prefilter_build() picks each rule's fast pattern (the explicit
 * fast_pattern, else Suricata's choice: the longest content of the most
 * specific buffer) and compiles, per (buffer, direction), one Hyperscan
 * database: block mode for packets and app-layer buffers, streaming mode
 * for the reassembled TCP payload of each direction. Rules without a usable
 * content for a buffer group go to that group's "always" list. The
 * compiled set is read-only and shared by every worker; each worker owns a
 * struct mdr_match_scratch (Hyperscan scratch, PCRE2 match data, candidate
 * bitmaps).
 *
 * mdr_match_buf() is the exact evaluation of one buffer's operation list
 * (content with offset/depth/distance/within/startswith/endswith/nocase/
 * negation, pcre, byte_test/jump/extract, isdataat, bsize, base64) with
 * Suricata's backtracking over earlier content matches. It is only called
 * for candidate rules.
 */
#ifndef MDR_MATCH_H
#define MDR_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

struct mdr_prefilter;
struct mdr_match_scratch;
struct mdr_prefilter_stream;

/* Directions of a group: rules with flow:to_server go to 0, to_client to 1, others both. */
#define MDR_DIR_TO_SERVER 0
#define MDR_DIR_TO_CLIENT 1

/*
 * Compile PCRE2 expressions and the Hyperscan databases of rs. A rule whose
 * pcre does not compile is reported (file:line) on report and disabled
 * (rs->rules[i]->... left in place, counted in *disabled). 0 or -errno.
 */
struct mdr_prefilter *mdr_prefilter_build(struct mdr_ruleset *rs, FILE *report,
					  uint32_t *disabled, char *errbuf, size_t errlen);
void mdr_prefilter_free(struct mdr_prefilter *pf);
size_t mdr_prefilter_bytes(const struct mdr_prefilter *pf);      /* database memory */
uint32_t mdr_prefilter_patterns(const struct mdr_prefilter *pf);
bool mdr_prefilter_rule_disabled(const struct mdr_prefilter *pf, uint32_t rule_id);

struct mdr_match_scratch *mdr_match_scratch_create(const struct mdr_prefilter *pf);
void mdr_match_scratch_free(struct mdr_match_scratch *s);

/*
 * Candidate rules of one buffer (block mode): ids of rules whose fast
 * pattern for (buf, dir) occurs in data, then the group's "always" rules;
 * each id once, ascending. Returns the count (<= max) in out.
 */
uint32_t mdr_prefilter_block(const struct mdr_prefilter *pf, struct mdr_match_scratch *s,
			     enum mdr_buf buf, int dir, const uint8_t *data, uint32_t len,
			     uint32_t *out, uint32_t max);

/* Streaming mode over the reassembled payload of one TCP direction. */
struct mdr_prefilter_stream *mdr_prefilter_stream_open(const struct mdr_prefilter *pf,
						       struct mdr_match_scratch *s, int dir);
/* Scan the next in-order bytes; candidates found so far are kept in the stream. */
int mdr_prefilter_stream_scan(struct mdr_prefilter_stream *st, struct mdr_match_scratch *s,
			      const uint8_t *data, uint32_t len);
/* Candidates found since the last call (then cleared), plus "always" rules once. */
uint32_t mdr_prefilter_stream_take(struct mdr_prefilter_stream *st, uint32_t *out, uint32_t max);
void mdr_prefilter_stream_close(struct mdr_prefilter_stream *st, struct mdr_match_scratch *s);
/* Bytes of one open stream's Hyperscan state (for the memory budget). */
size_t mdr_prefilter_stream_state_bytes(const struct mdr_prefilter *pf);

/* byte_extract variables of one rule evaluation. */
struct mdr_match_vars {
	uint64_t v[8];
};

/*
 * Exact evaluation of one buffer's list against data. vars carries
 * byte_extract values between lists of the same rule (zero it per rule).
 */
bool mdr_match_buf(const struct mdr_rule_buf *b, const uint8_t *data, uint32_t len,
		   struct mdr_match_vars *vars, struct mdr_match_scratch *s);

/* Comparison helper shared with header keywords (dsize, urilen, stream_size, itype). */
static inline bool mdr_cmp_eval(const struct mdr_cmp *c, uint64_t x)
{
	switch (c->op) {
	case 0: return x == c->lo;                      /* EQ */
	case 1: return x != c->lo;                      /* NE */
	case 2: return x < c->lo;                       /* LT */
	case 3: return x <= c->lo;                      /* LE */
	case 4: return x > c->lo;                       /* GT */
	case 5: return x >= c->lo;                      /* GE */
	case 6: return x > c->lo && x < c->hi;          /* RANGE */
	case 7: return (x & c->lo) != 0;                /* AND */
	case 8: return (x | c->lo) != 0 && (x ^ c->lo) != 0; /* OR (byte_test '^') */
	}
	return false;
}

#endif
