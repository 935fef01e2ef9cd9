/*
 * query.h - the flow query language: parse, explain, run.
 *
 * A query is a filter expression plus optional modifiers, e.g.
 *
 *     ip 10.1.2.3 and port 445 between 2024-05-14 and 2024-05-15
 *     sni *.example.top since -7d limit 100
 *     dst.ip 10.0.0.0/8 and bytes > 1M sort bytes desc
 *     app tls since -24h top 10 dst.ip by bytes
 *
 * docs/query-language.md is the reference. mdr_query_parse() builds a
 * query or writes a message naming the column of the error (1-based);
 * mdr_query_run() streams the matching records to a callback, in start
 * time order unless `sort` asks otherwise, or the aggregation rows of
 * `count by` / `top`. The planner reads the most selective index (and
 * intersects with the others that are cheap) in every time partition the
 * window touches; mdr_query_explain() prints that plan.
 */
#ifndef MDR_QUERY_H
#define MDR_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct mdr_query;

/* One result row: a record, or (aggregations) a group. */
struct mdr_query_row {
	const struct mdr_flow_record *rec;  /* NULL for a group row */
	const char *group;                  /* group value as text */
	uint64_t flows, bytes, pkts;        /* group totals */
};

/* Return non-zero to stop the query (mdr_query_run then returns 0). */
typedef int (*mdr_query_cb)(void *ctx, const struct mdr_query_row *row);

struct mdr_query_stats {
	uint64_t partitions;        /* partitions visited */
	uint64_t index_seeks;       /* index range seeks */
	uint64_t index_refs;        /* references read from index entries */
	uint64_t scanned;           /* records read by full (time range) scans */
	uint64_t fetched;           /* records read by reference */
	uint64_t matched;           /* records that passed the filter */
	uint64_t rows;              /* rows delivered */
	uint64_t first_row_us, total_us;
};

/*
 * Parse `text`. Relative times ("-24h", "now") are relative to the
 * current clock; mdr_query_parse_at() takes the clock (ns since the epoch).
 */
int mdr_query_parse(const char *text, struct mdr_query **q, char *err, size_t errlen);
int mdr_query_parse_at(const char *text, uint64_t now_ns, struct mdr_query **q,
		       char *err, size_t errlen);
void mdr_query_free(struct mdr_query *q);

/* Row limit (0 = none); overrides the query's `limit` when the query has none. */
void mdr_query_set_default_limit(struct mdr_query *q, uint64_t limit);
uint64_t mdr_query_limit(const struct mdr_query *q);
int mdr_query_is_aggregation(const struct mdr_query *q);
/* Canonical name of the `count by` / `top` field, NULL without aggregation. */
const char *mdr_query_group_name(const struct mdr_query *q);

/*
 * Write the plan (filter, window, partitions, index accesses with their
 * estimated sizes, order, limit) to buf. s may be NULL (no partition
 * information). Returns the length (truncated to len - 1) or -errno.
 */
int mdr_query_explain(struct mdr_store *s, const struct mdr_query *q, char *buf, size_t len);

/*
 * Run the query. Rows go to cb in order. 0, or -errno (err gets the
 * message); a callback's non-zero return stops the run with 0.
 */
int mdr_query_run(struct mdr_store *s, struct mdr_query *q, mdr_query_cb cb, void *ctx,
		  char *err, size_t errlen);
const struct mdr_query_stats *mdr_query_get_stats(const struct mdr_query *q);

/* `mdrprobe query ...` / `mdrquery ...` (argv[0] is the command name). */
int mdr_query_main(int argc, char **argv);

#endif
