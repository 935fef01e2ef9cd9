/*
 * query_explain.c - mdr_query_explain(): the plan as text.
 *
 *   filter:     src.ip = 10.0.0.0/8 and dst.port = 445
 *   window:     flows overlapping [2024-05-14T00:00:00Z, 2024-05-15T00:00:00Z]
 *   partitions: 26 of 168 in the window (span 3600 s)
 *   access:     intersect (in each partition)
 *                 index port = 445 (server side): prefix seek + bloom, ~40 KiB
 *                 index ip range 10.0.0.0/8 (client side): range seek, ~1.2 MiB
 *               then fetch the referenced records and check the whole filter
 *   order:      start ascending
 *   limit:      1000
 *
 * A plan without an index says "full scan" and why.
 */
#include "query_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n < o->len - o->pos ? (size_t)n : o->len - o->pos - 1;
}

static void fmt_size(uint64_t b, char *buf, size_t len)
{
	if (b < 10240)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else if (b < 10ull << 20)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", b / 1048576.0);
}

static void put_leaf(struct out *o, const struct mdr_access *a, bool stats)
{
	static const char *side[] = { "", " (client side)", " (server side)" };
	const struct mdr_qpred *p = a->pred;
	char sz[32];

	put(o, "index %s %s %s%s: %s", p->f->name, p->match == MDR_MATCH_SUFFIX ? "suffix" : "=",
	    p->src, side[a->mask < 3 ? a->mask : 0],
	    a->prefix ? "prefix seek + bloom filter" : "range seek");
	if (stats) {
		fmt_size(a->est, sz, sizeof(sz));
		put(o, ", ~%s", sz);
	}
	put(o, "\n");
}

static void put_access(struct out *o, const struct mdr_access *a, int indent, bool stats)
{
	put(o, "%*s", indent, "");
	switch (a->kind) {
	case MDR_ACC_INDEX:
		put_leaf(o, a, stats);
		return;
	case MDR_ACC_AND:
	case MDR_ACC_OR:
		put(o, "%s of:\n", a->kind == MDR_ACC_AND ? "intersection" : "union");
		for (size_t i = 0; i < a->nkids; i++)
			put_access(o, a->kids[i], indent + 2, stats);
		return;
	case MDR_ACC_SCAN:
		put(o, "full scan\n");
	}
}

static void put_window(struct out *o, const struct mdr_query *q)
{
	char a[40] = "-inf", b[40] = "+inf";

	if (!q->has_from && !q->has_to) {
		put(o, "window:     none (all stored flows)\n");
		return;
	}
	if (q->has_from)
		mdr_fmt_time(q->from_ns, a, sizeof(a));
	if (q->has_to)
		mdr_fmt_time(q->to_ns, b, sizeof(b));
	put(o, "window:     flows overlapping [%s, %s] (start <= end of window, "
	    "end >= start of window)\n", a, b);
}

static void put_parts(struct out *o, struct mdr_store *s, const struct mdr_query *q,
		      const struct mdr_part_view *v, size_t nv)
{
	size_t in = 0;
	uint64_t lo, hi, recs = 0;

	for (size_t i = 0; i < nv; i++)
		if (mdr_query_part_bounds(q, &v[i], s->span_s, &lo, &hi)) {
			in++;
			recs += v[i].records;
		}
	put(o, "partitions: %zu of %zu in the window (span %llu s, %llu records)\n", in, nv,
	    (unsigned long long)s->span_s, (unsigned long long)recs);
}

static void put_order(struct out *o, const struct mdr_query *q)
{
	static const char *sorts[] = { "start", "end", "bytes", "packets", "duration" };
	static const char *metrics[] = { "flows", "bytes", "packets" };
	uint64_t lim = mdr_query_eff_limit(q);

	if (q->agg)
		put(o, "aggregate:  %s by %s, groups ordered by %s descending\n",
		    q->agg == MDR_AGG_TOP ? "top" : "count", q->group->name, metrics[q->metric]);
	else if (q->sort == MDR_SORT_START)
		put(o, "order:      start %s (streamed)\n", q->desc ? "descending" : "ascending");
	else
		put(o, "order:      %s %s (%s)\n", sorts[q->sort], q->desc ? "descending" : "ascending",
		    lim ? "best rows kept in a heap" : "all matches sorted in memory");
	if (lim)
		put(o, "limit:      %llu\n", (unsigned long long)lim);
	else
		put(o, "limit:      none\n");
}

int mdr_query_explain(struct mdr_store *s, const struct mdr_query *q, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	struct mdr_part_view *v = NULL;
	size_t nv = 0;
	struct mdr_access *a;
	char filter[1024];

	if (!len)
		return -EINVAL;
	buf[0] = 0;
	if (s && mdr_store_acquire(s, &v, &nv) < 0)
		return -ENOMEM;
	a = mdr_plan(s, q, v, nv);
	mdr_qnode_print(q->root, filter, sizeof(filter));
	put(&o, "filter:     %s\n", filter);
	put_window(&o, q);
	if (s)
		put_parts(&o, s, q, v, nv);
	put(&o, "access:     ");
	if (!a || a->kind == MDR_ACC_SCAN) {
		put(&o, "full scan of the flow records %s (%s)\n",
		    q->has_from || q->has_to ? "in the window" : "of every partition",
		    q->root ? "no index applies to this filter" : "no filter");
	} else {
		put(&o, "in each partition of the window:\n");
		put_access(&o, a, 14, s != NULL);
		put(&o, "            then fetch the referenced records and check the whole filter\n");
	}
	if (q->has_from)
		put(&o, "            partitions that end %d min or more before the window start "
		    "are read through the long-flow index\n", MDR_LONG_FLOW_S / 60);
	put_order(&o, q);
	mdr_access_free(a);
	if (s)
		mdr_store_release(s, v, nv);
	return (int)o.pos;
}
