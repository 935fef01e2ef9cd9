/*
 * store_bench.c - flow store benchmark: ingest rate, bytes per flow,
 * query latency, and the expiry strategies compared.
 *
 *   store_bench [-n N] [-d DIR] [--span-hours H] [--batch B] [--queries Q]
 *               [--seed S] [--keep] [--expiry]
 *
 * 1. ingest: N synthetic records (storage/synth.c; default 10,000,000)
 *    whose end times advance over H hours (default 24), in put() batches
 *    of B (1,000) as the probe's writer would. Reported: records/s over
 *    the time spent in put() (generation excluded), the ingest thread's
 *    CPU (one core; RocksDB flushes and compactions run on other threads),
 *    and how put() spends it.
 * 2. disk: after a flush and a full compaction, bytes on disk per flow,
 *    all indexes included, split into record and index tables.
 * 3. queries, on the store reopened (cold block cache): Q different values
 *    each of: one IP over the whole range, one community_id, one sid, an
 *    SNI suffix, a CIDR + port + one-hour window; p50/p99 of the time to
 *    the first row and to the last (limit 1,000, as the CLI table).
 * 4. --expiry: the oldest quarter of the time range expired three ways on
 *    the same data: dropping the partitions' column families (the store),
 *    DeleteRange (+ CompactRange to get the space back) on one time-
 *    prefixed column family, and a compaction filter + CompactRange.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "query.h"
#include "store.h"
#include "store_int.h"
#include "synth.h"

#define T0 (1715558400ull * MDR_NSEC_PER_SEC)   /* 2024-05-13T00:00:00Z */

struct opts {
	uint64_t n, batch, queries, seed, span_ns;
	char dir[512];
	bool keep, expiry;
};

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Report a failure; the callers return -1 up to main(). */
static int fail(const char *what, const char *msg)
{
	fprintf(stderr, "store_bench: %s: %s\n", what, msg);
	return -1;
}

static struct mdr_store *open_store(const struct opts *o, uint64_t max_age)
{
	struct mdr_store_config cfg;
	struct mdr_store *s;
	char err[512];

	mdr_store_config_default(&cfg);
	cfg.path = o->dir;
	cfg.max_age_ns = max_age;
	if (mdr_store_open(&cfg, &s, err, sizeof(err)) < 0) {
		fail("open", err);
		return NULL;
	}
	return s;
}

/* ---- 1. ingest ---- */

static int ingest(const struct opts *o, struct mdr_store *s)
{
	struct mdr_flow_record *b = calloc(o->batch, sizeof(*b));
	double put_wall = 0, put_cpu = 0, t0 = now_s(CLOCK_MONOTONIC), w, c;
	struct mdr_store_stats st;
	double tot;

	if (!b)
		return fail("ingest", "out of memory");
	for (uint64_t i = 0; i < o->n; i += o->batch) {
		size_t k = o->n - i < o->batch ? (size_t)(o->n - i) : (size_t)o->batch;

		for (size_t j = 0; j < k; j++)
			mdr_synth_record(o->seed, i + j, o->n, T0, o->span_ns, &b[j]);
		w = now_s(CLOCK_MONOTONIC);
		c = now_s(CLOCK_THREAD_CPUTIME_ID);
		if (mdr_store_put(s, b, k) < 0) {
			free(b);
			return fail("put", mdr_store_last_error(s));
		}
		put_wall += now_s(CLOCK_MONOTONIC) - w;
		put_cpu += now_s(CLOCK_THREAD_CPUTIME_ID) - c;
	}
	mdr_store_get_stats(s, &st);
	tot = (double)(st.put_ns_encode + st.put_ns_index + st.put_ns_write);
	printf("ingest:   %" PRIu64 " records, batches of %" PRIu64 ", %.1f s wall with generation\n",
	       o->n, o->batch, now_s(CLOCK_MONOTONIC) - t0);
	printf("          %.0f records/s over put() wall time (%.1f s), all indexes\n",
	       (double)o->n / put_wall, put_wall);
	printf("          %.0f records/s per core of the ingest thread (%.1f s CPU in put())\n",
	       (double)o->n / put_cpu, put_cpu);
	printf("          put(): encode %.0f%%, index grouping %.0f%%, RocksDB write %.0f%%; "
	       "%.2f index entries per record\n", 100 * st.put_ns_encode / tot,
	       100 * st.put_ns_index / tot, 100 * st.put_ns_write / tot,
	       (double)st.put_index_entries / (double)o->n);
	free(b);
	return 0;
}

/* ---- 2. disk ---- */

static int disk(const struct opts *o, struct mdr_store *s)
{
	struct mdr_store_stats st;
	double t = now_s(CLOCK_MONOTONIC), n = (double)o->n;

	mdr_store_get_stats(s, &st);
	printf("disk:     %.1f B/flow before compaction (%" PRIu64 " partitions)\n",
	       (double)st.disk_bytes / n, st.partitions);
	if (mdr_store_flush(s, true) < 0)
		return fail("flush", mdr_store_last_error(s));
	mdr_store_get_stats(s, &st);
	printf("          %.1f B/flow after flush + full compaction (%.1f s): records %.1f, "
	       "indexes %.1f, other files (WAL, manifest) %.1f\n", (double)st.disk_bytes / n,
	       now_s(CLOCK_MONOTONIC) - t, (double)st.sst_bytes_records / n,
	       (double)st.sst_bytes_index / n,
	       (double)(st.disk_bytes - st.sst_bytes_records - st.sst_bytes_index) / n);
	return 0;
}

/* ---- 3. queries ---- */

struct lat {
	double *first, *total;
	uint64_t rows, n;
};

static int count_row(void *ctx, const struct mdr_query_row *row)
{
	(void)row;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, uint64_t n, double p)
{
	qsort(v, n, sizeof(*v), dcmp);
	return v[(size_t)((double)(n - 1) * p + 0.5)];
}

static int run_one(struct mdr_store *s, const char *text, struct lat *l, bool show_plan)
{
	struct mdr_query *q;
	uint64_t rows = 0;
	char err[512], plan[4096];
	double t = now_s(CLOCK_MONOTONIC);
	const struct mdr_query_stats *st;

	if (mdr_query_parse(text, &q, err, sizeof(err)) < 0)
		return fail(text, err);
	mdr_query_set_default_limit(q, 1000);
	if (show_plan) {
		mdr_query_explain(s, q, plan, sizeof(plan));
		printf("          plan of '%s':\n%s", text, plan);
	}
	if (mdr_query_run(s, q, count_row, &rows, err, sizeof(err)) < 0) {
		mdr_query_free(q);
		return fail(text, err);
	}
	st = mdr_query_get_stats(q);
	l->first[l->n] = rows ? (double)st->first_row_us / 1e3 : (now_s(CLOCK_MONOTONIC) - t) * 1e3;
	l->total[l->n] = (now_s(CLOCK_MONOTONIC) - t) * 1e3;
	l->rows += rows;
	l->n++;
	mdr_query_free(q);
	return 0;
}

static void report(const char *name, struct lat *l)
{
	uint64_t n = l->n;
	double f50 = pct(l->first, n, 0.5), f99 = pct(l->first, n, 0.99);
	double t50 = pct(l->total, n, 0.5), t99 = pct(l->total, n, 0.99);

	printf("  %-26s first row p50 %7.2f ms p99 %7.2f ms | all rows p50 %7.2f ms p99 %7.2f ms"
	       " | %6.0f rows avg\n", name, f50, f99, t50, t99, (double)l->rows / (double)n);
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / MDR_NSEC_PER_SEC);
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void query_text(const struct opts *o, int kind, uint64_t k, char *buf, size_t len)
{
	static const char *suffixes[] = { "*.example.top", "*.google.com", "*.microsoft.com",
					  "*.github.com", "*.cloudflare.net" };
	static const uint32_t sids[] = { 2024897, 2013028, 2210054, 2027865, 2100498 };
	struct mdr_flow_record r;
	char a[64], cid[64], ts[40], ts2[40];
	uint64_t w;

	mdr_synth_record(o->seed, k, o->n, T0, o->span_ns, &r);
	switch (kind) {
	case 0:
		snprintf(buf, len, "ip %s", mdr_ip_to_str(k % 2 ? &r.key.src : &r.key.dst,
							  r.key.ip_ver, a, sizeof(a)));
		break;
	case 1:
		while (mdr_rec_community_id(&r, cid, sizeof(cid)) < 0)
			mdr_synth_record(o->seed, ++k % o->n, o->n, T0, o->span_ns, &r);
		snprintf(buf, len, "community_id %s", cid);
		break;
	case 2:
		snprintf(buf, len, "sid %u", sids[k % 5]);
		break;
	case 3:
		snprintf(buf, len, "sni %s", suffixes[k % 5]);
		break;
	default:
		w = T0 + o->span_ns / 8 + k % (o->span_ns * 3 / 4);
		fmt_time(w, ts, sizeof(ts));
		fmt_time(w + 3600 * MDR_NSEC_PER_SEC, ts2, sizeof(ts2));
		snprintf(buf, len, "dst.ip 10.2.0.0/16 and dst.port 445 between %s and %s", ts, ts2);
	}
}

static int queries(const struct opts *o, struct mdr_store *s)
{
	static const char *names[] = { "ip (whole range)", "community_id", "sid",
				       "sni suffix", "cidr + port + 1h window" };
	char text[512];
	uint64_t rng = o->seed * 7919 + 1;
	int rc = 0;

	printf("queries:  %" PRIu64 " values each, store reopened (cold block cache), limit 1000\n",
	       o->queries);
	for (int kind = 0; kind < 5; kind++) {
		struct lat l = { calloc(o->queries, sizeof(double)),
				 calloc(o->queries, sizeof(double)), 0, 0 };

		for (uint64_t i = 0; i < o->queries && rc == 0; i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			query_text(o, kind, (rng >> 11) % o->n, text, sizeof(text));
			rc = run_one(s, text, &l, i == 0 && getenv("STORE_BENCH_PLANS"));
		}
		if (rc == 0)
			report(names[kind], &l);
		free(l.first);
		free(l.total);
	}
	return rc;
}

/* ---- 4. expiry strategies ---- */

static uint32_t filter_cut;     /* compaction filter: drop partitions below */

static unsigned char cf_filter(void *st, int level, const char *key, size_t klen,
			       const char *val, size_t vlen, char **nv, size_t *nvlen,
			       unsigned char *changed)
{
	(void)st, (void)level, (void)val, (void)vlen, (void)nv, (void)nvlen, (void)changed;
	return klen >= 4 && (uint32_t)mdr_get_be((const uint8_t *)key, 4) < filter_cut;
}

static const char *cf_filter_name(void *st)
{
	(void)st;
	return "mdr.bench.expiry";
}

static void cf_filter_free(void *st)
{
	(void)st;
}

struct alt {
	rocksdb_t *db;
	rocksdb_options_t *opt;
	rocksdb_column_family_handle_t *cf[3];  /* default, flows, index */
	rocksdb_compactionfilter_t *filter;     /* not owned by the options */
	char path[600];
};

static int alt_open(struct alt *a, const struct opts *o, const char *tag, bool filter)
{
	const char *names[] = { "default", "flows", "index" };
	const rocksdb_options_t *opts[3];
	char *err = NULL, cmd[700];

	snprintf(a->path, sizeof(a->path), "%s.%s", o->dir, tag);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", a->path);
	if (system(cmd) != 0)
		return fail("rm", a->path);
	a->opt = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(a->opt, 1);
	rocksdb_options_set_create_missing_column_families(a->opt, 1);
	rocksdb_options_set_compression(a->opt, rocksdb_lz4_compression);
	rocksdb_options_set_bottommost_compression(a->opt, rocksdb_zstd_compression);
	rocksdb_options_set_level_compaction_dynamic_level_bytes(a->opt, 1);
	rocksdb_options_set_max_background_jobs(a->opt, 2);
	rocksdb_options_set_info_log_level(a->opt, 6);
	a->filter = filter ? rocksdb_compactionfilter_create(NULL, cf_filter_free, cf_filter,
							     cf_filter_name) : NULL;
	if (a->filter)
		rocksdb_options_set_compaction_filter(a->opt, a->filter);
	for (int i = 0; i < 3; i++)
		opts[i] = a->opt;
	a->db = rocksdb_open_column_families(a->opt, a->path, 3, names, opts, a->cf, &err);
	if (err) {
		rocksdb_options_destroy(a->opt);
		if (a->filter)
			rocksdb_compactionfilter_destroy(a->filter);
		return fail("open alternative", err);
	}
	return 0;
}

static void alt_close(struct alt *a)
{
	char cmd[700];

	for (int i = 0; i < 3; i++)
		rocksdb_column_family_handle_destroy(a->cf[i]);
	rocksdb_close(a->db);
	rocksdb_options_destroy(a->opt);
	if (a->filter)
		rocksdb_compactionfilter_destroy(a->filter);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", a->path);
	if (system(cmd) != 0)
		fail("rm", a->path);
}

/* Copy one partition CF into the alternative CF, keys prefixed by the pid. */
static int copy_cf(struct mdr_store *s, rocksdb_column_family_handle_t *from, uint32_t pid,
		    struct alt *a, rocksdb_column_family_handle_t *to)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rocksdb_iterator_t *it;
	char *err = NULL;
	uint8_t key[4 + MDR_IX_KEY_MAX];

	rocksdb_readoptions_set_total_order_seek(ro, 1);
	it = rocksdb_create_iterator_cf(s->db, ro, from);
	mdr_put_be(key, pid, 4);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it) && !err;
	     rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);

		memcpy(key + 4, k, kl < MDR_IX_KEY_MAX ? kl : MDR_IX_KEY_MAX);
		rocksdb_writebatch_put_cf(wb, to, (char *)key, 4 + kl, v, vl);
		if (rocksdb_writebatch_count(wb) >= 10000) {
			rocksdb_write(a->db, wo, wb, &err);
			rocksdb_writebatch_clear(wb);
		}
	}
	if (!err)
		rocksdb_write(a->db, wo, wb, &err);
	rocksdb_iter_destroy(it);
	rocksdb_writebatch_destroy(wb);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_readoptions_destroy(ro);
	return err ? fail("copy", err) : 0;
}

static void compact(rocksdb_t *db, rocksdb_column_family_handle_t *cf, const void *lo,
		    size_t lolen, const void *hi, size_t hilen)
{
	rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();

	rocksdb_compactoptions_set_bottommost_level_compaction(co, 2 /* kForce */);
	rocksdb_compact_range_cf_opt(db, cf, co, lo, lolen, hi, hilen);
	rocksdb_compactoptions_destroy(co);
}

static int alt_fill(struct alt *a, const struct opts *o)
{
	struct mdr_store *s = open_store(o, 0);
	rocksdb_flushoptions_t *fo;
	char *err = NULL;
	int rc = 0;

	if (!s)
		return -1;
	for (size_t i = 0; i < s->nparts && rc == 0; i++) {
		rc = copy_cf(s, s->parts[i]->fcf, s->parts[i]->pid, a, a->cf[1]);
		if (rc == 0)
			rc = copy_cf(s, s->parts[i]->icf, s->parts[i]->pid, a, a->cf[2]);
	}
	mdr_store_close(s);
	fo = rocksdb_flushoptions_create();
	rocksdb_flushoptions_set_wait(fo, 1);
	for (int i = 1; i < 3 && rc == 0 && !err; i++) {
		rocksdb_flush_cf(a->db, fo, a->cf[i], &err);
		compact(a->db, a->cf[i], NULL, 0, NULL, 0);
	}
	rocksdb_flushoptions_destroy(fo);
	return err ? fail("flush alternative", err) : rc;
}

/* Directory size once RocksDB has deleted the obsolete files. */
static uint64_t settled(const char *path)
{
	uint64_t a = mdr_store_dir_bytes(path), b;

	for (int i = 0; i < 30; i++) {
		usleep(100 * 1000);
		b = mdr_store_dir_bytes(path);
		if (b == a)
			break;
		a = b;
	}
	return a;
}

static void mb(const char *label, uint64_t before, uint64_t after, double secs)
{
	printf("  %-46s %8.3f s  disk %7.1f -> %7.1f MB (%+.1f%%)\n", label, secs,
	       (double)before / 1e6, (double)after / 1e6,
	       before ? 100.0 * ((double)after - (double)before) / (double)before : 0.0);
}

static int alt_prepare(struct alt *a, const struct opts *o, const char *tag, bool filter,
		       uint64_t *d0)
{
	if (alt_open(a, o, tag, filter) < 0)
		return -1;
	if (alt_fill(a, o) < 0) {
		alt_close(a);
		return -1;
	}
	*d0 = settled(a->path);
	return 0;
}

/* One time-prefixed CF: DeleteFilesInRange, DeleteRange, CompactRange. */
static int expire_deleterange(const struct opts *o, uint32_t cut)
{
	rocksdb_writeoptions_t *wo;
	struct alt a;
	uint8_t lo[4] = { 0 }, hi[4];
	char *err = NULL;
	uint64_t d0;
	double t;

	if (alt_prepare(&a, o, "deleterange", false, &d0) < 0)
		return -1;
	mdr_put_be(hi, cut, 4);
	t = now_s(CLOCK_MONOTONIC);
	for (int i = 1; i < 3 && !err; i++)
		rocksdb_delete_file_in_range_cf(a.db, a.cf[i], (char *)lo, 4, (char *)hi, 4, &err);
	mb("one CF: DeleteFilesInRange", d0, settled(a.path), now_s(CLOCK_MONOTONIC) - t);
	wo = rocksdb_writeoptions_create();
	t = now_s(CLOCK_MONOTONIC);
	for (int i = 1; i < 3 && !err; i++)
		rocksdb_delete_range_cf(a.db, wo, a.cf[i], (char *)lo, 4, (char *)hi, 4, &err);
	mb("  + DeleteRange (tombstones)", d0, settled(a.path), now_s(CLOCK_MONOTONIC) - t);
	rocksdb_writeoptions_destroy(wo);
	t = now_s(CLOCK_MONOTONIC);
	for (int i = 1; i < 3; i++)
		compact(a.db, a.cf[i], lo, 4, hi, 4);
	mb("  + CompactRange of the range (space back)", d0, settled(a.path),
	   now_s(CLOCK_MONOTONIC) - t);
	alt_close(&a);
	return err ? fail("delete range", err) : 0;
}

/* One time-prefixed CF with a compaction filter, then a full compaction. */
static int expire_filter(const struct opts *o, uint32_t cut)
{
	struct alt a;
	uint64_t d0;
	double t;

	if (alt_prepare(&a, o, "filter", true, &d0) < 0)
		return -1;
	filter_cut = cut;
	t = now_s(CLOCK_MONOTONIC);
	for (int i = 1; i < 3; i++)
		compact(a.db, a.cf[i], NULL, 0, NULL, 0);
	mb("one CF: compaction filter + full CompactRange", d0, settled(a.path),
	   now_s(CLOCK_MONOTONIC) - t);
	filter_cut = 0;
	alt_close(&a);
	return 0;
}

static int expiry(const struct opts *o)
{
	struct mdr_store_expire_result res;
	struct mdr_store_stats st;
	struct mdr_store *s = open_store(o, 0);
	uint64_t d0, pns, now = T0 + o->span_ns;
	uint32_t cut;
	double t;

	if (!s)
		return -1;
	pns = mdr_store_partition_ns(s);
	mdr_store_get_stats(s, &st);
	mdr_store_close(s);
	cut = (uint32_t)(st.oldest / pns + st.partitions / 4);
	printf("expiry:   the oldest quarter of %" PRIu64 " partitions, three ways\n",
	       st.partitions);
	if (expire_deleterange(o, cut) < 0 || expire_filter(o, cut) < 0)
		return -1;
	s = open_store(o, now - (uint64_t)cut * pns);
	if (!s)
		return -1;
	d0 = settled(o->dir);
	t = now_s(CLOCK_MONOTONIC);
	if (mdr_store_expire(s, now, &res) < 0) {
		fail("expire", mdr_store_last_error(s));
		mdr_store_close(s);
		return -1;
	}
	t = now_s(CLOCK_MONOTONIC) - t;
	mb("partition CFs dropped (the store)", d0, settled(o->dir), t);
	printf("  %-46s %" PRIu64 " partitions, %" PRIu64 " records\n", "  expired:",
	       res.partitions, res.records);
	mdr_store_close(s);
	return 0;
}

/* ---- main ---- */

static int usage(void)
{
	fprintf(stderr, "usage: store_bench [-n N] [-d DIR] [--span-hours H] [--batch B] "
		"[--queries Q] [--seed S] [--keep] [--expiry]\n");
	return -1;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "span-hours", required_argument, NULL, 'h' }, { "batch", required_argument, NULL, 'b' },
		{ "queries", required_argument, NULL, 'q' }, { "seed", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' }, { "expiry", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ 10000000, 1000, 30, 1, 24 * 3600 * MDR_NSEC_PER_SEC, "", false, false };
	snprintf(o->dir, sizeof(o->dir), "/tmp/store_bench.%d", (int)getpid());
	while ((c = getopt_long(argc, argv, "n:d:", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o->n = strtoull(optarg, NULL, 10); break;
		case 'd': snprintf(o->dir, sizeof(o->dir), "%s", optarg); break;
		case 'h': o->span_ns = strtoull(optarg, NULL, 10) * 3600 * MDR_NSEC_PER_SEC; break;
		case 'b': o->batch = strtoull(optarg, NULL, 10); break;
		case 'q': o->queries = strtoull(optarg, NULL, 10); break;
		case 's': o->seed = strtoull(optarg, NULL, 10); break;
		case 'k': o->keep = true; break;
		case 'e': o->expiry = true; break;
		default: return usage();
		}
	}
	if (!o->n || !o->batch || !o->queries || !o->span_ns)
		return usage();
	return 0;
}

/* Ingest, measure the disk, then query the store reopened. */
static int run(const struct opts *o)
{
	struct mdr_store *s = open_store(o, 0);
	int rc;

	if (!s)
		return -1;
	rc = ingest(o, s);
	if (rc == 0)
		rc = disk(o, s);
	mdr_store_close(s);
	if (rc == 0 && !(s = open_store(o, 0)))
		rc = -1;
	if (rc == 0) {
		rc = queries(o, s);
		mdr_store_close(s);
	}
	if (rc == 0 && o->expiry)
		rc = expiry(o);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	char cmd[600];
	int rc;

	if (parse(argc, argv, &o) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", o.dir);
	if (system(cmd) != 0) {
		fail("rm", o.dir);
		return 1;
	}
	printf("store_bench: %" PRIu64 " records over %.0f h in %s\n", o.n,
	       (double)o.span_ns / 3.6e12, o.dir);
	rc = run(&o);
	if (!o.keep && system(cmd) != 0)
		fail("rm", o.dir);
	return rc < 0 ? 1 : 0;
}
