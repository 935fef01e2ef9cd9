/*
 * query_int.h - query internals shared by lexer, parser, evaluator,
 * planner, executor and aggregation (not a public interface).
 *
 * Text -> tokens (query_lex.c) -> AST of AND/OR/NOT over predicates plus
 * modifiers (query_parse.c) -> access plan over the index (query_plan.c)
 * -> per-partition reference sets, record fetch, exact filter
 * (query_exec.c, query_eval.c) -> rows, sorted/aggregated when asked
 * (query_agg.c).
 */
#ifndef MDR_QUERY_INT_H
#define MDR_QUERY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "keys.h"
#include "query.h"
#include "store_int.h"

/* ---- lexer ---- */

enum mdr_tok_kind {
	MDR_TOK_END = 0, MDR_TOK_WORD, MDR_TOK_STRING, MDR_TOK_LPAREN, MDR_TOK_RPAREN,
	MDR_TOK_OP, MDR_TOK_AND, MDR_TOK_OR, MDR_TOK_NOT,
};

enum mdr_qop { MDR_OP_EQ = 0, MDR_OP_NE, MDR_OP_LT, MDR_OP_LE, MDR_OP_GT, MDR_OP_GE };

struct mdr_tok {
	enum mdr_tok_kind kind;
	int col;                    /* 1-based column of the first character */
	enum mdr_qop op;            /* MDR_TOK_OP */
	char *text;                 /* words and (unescaped) strings; also the
	                               operator as written */
};

int mdr_qlex(const char *text, struct mdr_tok **toks, size_t *n, char *err, size_t errlen);
void mdr_qlex_free(struct mdr_tok *toks, size_t n);

/* ---- fields ---- */

enum mdr_qkind {
	MDR_QK_IP, MDR_QK_PORT, MDR_QK_NUM, MDR_QK_PROTO, MDR_QK_TEXT, MDR_QK_CID,
	MDR_QK_DUR,
};

enum mdr_qfield {
	MDR_QF_IP, MDR_QF_PORT, MDR_QF_PROTO, MDR_QF_APP, MDR_QF_SNI, MDR_QF_HOST,
	MDR_QF_DNS, MDR_QF_JA3, MDR_QF_JA3S, MDR_QF_JA4, MDR_QF_CID, MDR_QF_SID,
	MDR_QF_RISK, MDR_QF_COUNTRY, MDR_QF_ASN, MDR_QF_BYTES, MDR_QF_BYTES_TS,
	MDR_QF_BYTES_TC, MDR_QF_PKTS, MDR_QF_PKTS_TS, MDR_QF_PKTS_TC, MDR_QF_DURATION,
	MDR_QF_VLAN, MDR_QF_FLOW_ID, MDR_QF_CONN_STATE, MDR_QF_NDPI, MDR_QF_CATEGORY,
};

struct mdr_qfield_def {
	const char *name;           /* canonical, e.g. "src.ip" */
	const char *aliases;        /* space-separated other spellings */
	enum mdr_qfield id;
	enum mdr_qkind kind;
	int side;                   /* 0 either endpoint, 1 client (src), 2 server (dst) */
	uint64_t max;               /* numbers: largest value */
	bool groupable;             /* allowed in count by / top */
};

const struct mdr_qfield_def *mdr_qfield_lookup(const char *name);
const struct mdr_qfield_def *mdr_qfield_all(size_t *n);

/* Literal values (query_values.c): 0, or -1 when malformed. */
int mdr_qparse_ip(const char *s, struct mdr_ip *ip, uint8_t *ver, uint8_t *plen);
int mdr_qparse_uint(const char *s, uint64_t max, bool suffix, uint64_t *out);
int mdr_qparse_proto(const char *s, uint64_t *out);
int mdr_qparse_dur(const char *s, uint64_t *out);
int mdr_qparse_time(const char *s, uint64_t now_ns, uint64_t *out);

/* ---- AST ---- */

enum mdr_match { MDR_MATCH_EXACT = 0, MDR_MATCH_SUFFIX, MDR_MATCH_GLOB };

struct mdr_qpred {
	const struct mdr_qfield_def *f;
	enum mdr_qop op;
	int col;
	struct mdr_ip ip;           /* IP: network address */
	uint8_t ipver, plen;        /* IP: 4/6 and prefix length */
	uint64_t num;               /* numbers; durations in ns; proto */
	char *text;                 /* TEXT: lower-cased pattern; SUFFIX: the
	                               literal after the leading '*'; CID as is */
	enum mdr_match match;
	char *src;                  /* value as written */
};

enum mdr_qnode_kind { MDR_QN_AND, MDR_QN_OR, MDR_QN_NOT, MDR_QN_PRED };

struct mdr_qnode {
	enum mdr_qnode_kind kind;
	struct mdr_qnode **kids;
	size_t nkids;
	struct mdr_qpred pred;
};

enum mdr_qsort { MDR_SORT_START = 0, MDR_SORT_END, MDR_SORT_BYTES, MDR_SORT_PKTS,
		 MDR_SORT_DURATION };
enum mdr_qagg { MDR_AGG_NONE = 0, MDR_AGG_COUNT, MDR_AGG_TOP };
enum mdr_qmetric { MDR_METRIC_FLOWS = 0, MDR_METRIC_BYTES, MDR_METRIC_PKTS };

struct mdr_query {
	struct mdr_qnode *root;     /* NULL: every flow */
	uint64_t now_ns;
	bool has_from, has_to;
	uint64_t from_ns, to_ns;    /* flows with end >= from and start <= to */
	int window_col;
	bool has_limit;
	uint64_t limit, default_limit;
	enum mdr_qsort sort;
	bool desc;
	enum mdr_qagg agg;
	const struct mdr_qfield_def *group;
	enum mdr_qmetric metric;
	struct mdr_query_stats stats;
};

void mdr_qnode_free(struct mdr_qnode *n);
/* The expression as canonical text. */
void mdr_qnode_print(const struct mdr_qnode *n, char *buf, size_t len);
const char *mdr_qop_name(enum mdr_qop op);

/* ---- evaluation (query_eval.c) ---- */

bool mdr_qnode_match(const struct mdr_qnode *n, const struct mdr_flow_record *r);
bool mdr_query_window_match(const struct mdr_query *q, const struct mdr_flow_record *r);

#define MDR_GROUP_MAX 64            /* values of one record for a group field */
#define MDR_GROUP_LEN 136
/* Values of the group field in r, as text (sids/risks/endpoints: several). */
int mdr_qfield_values(const struct mdr_qfield_def *f, const struct mdr_flow_record *r,
		      char out[][MDR_GROUP_LEN], int max);
uint64_t mdr_qsort_value(enum mdr_qsort s, const struct mdr_flow_record *r);

/* ---- plan (query_plan.c) ---- */

enum mdr_acc_kind { MDR_ACC_SCAN = 0, MDR_ACC_INDEX, MDR_ACC_AND, MDR_ACC_OR };

struct mdr_access {
	enum mdr_acc_kind kind;
	struct mdr_access **kids;
	size_t nkids;
	uint8_t lo[MDR_IX_KEY_MAX], hi[MDR_IX_KEY_MAX];  /* INDEX: keys in [lo, hi) */
	size_t lolen, hilen;        /* hilen 0: no upper bound */
	bool prefix;                /* lo is one exact value: prefix seek + bloom */
	uint8_t mask;               /* endpoint bits required (0 any) */
	uint8_t rlen;               /* bucketed types: residual length ... */
	uint32_t resid;             /* ... and the residual required */
	const struct mdr_qpred *pred;
	uint64_t est;               /* estimated index bytes in the window */
	int rank;                   /* static selectivity rank (lower first) */
};

/* Start-time bounds of partition v for the query window (false: skip it). */
bool mdr_query_part_bounds(const struct mdr_query *q, const struct mdr_part_view *v,
			   uint64_t span_s, uint64_t *lo_s, uint64_t *hi_s);
struct mdr_access *mdr_plan(struct mdr_store *s, const struct mdr_query *q,
			    const struct mdr_part_view *v, size_t nv);
void mdr_access_free(struct mdr_access *a);

/* ---- rows: sort and aggregation (query_agg.c) ---- */

struct mdr_rows;
struct mdr_rows *mdr_rows_create(const struct mdr_query *q);
/* Add a matching record; 1 when the query is satisfied (stop), <0 error. */
int mdr_rows_add(struct mdr_rows *rw, const struct mdr_flow_record *r);
int mdr_rows_finish(struct mdr_rows *rw, mdr_query_cb cb, void *ctx);
void mdr_rows_free(struct mdr_rows *rw);

/* Effective row limit of q (0 = none). */
uint64_t mdr_query_eff_limit(const struct mdr_query *q);
void mdr_fmt_time(uint64_t ns, char *buf, size_t len);

#endif
