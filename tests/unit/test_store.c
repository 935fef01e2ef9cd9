/*
 * test_store.c - the flow store: record codec, put/read round trip,
 * reopen, read-only access, retention by age and by disk budget, and a
 * full disk.
 *
 * Round trips are exact: a record read back is byte-identical in memory
 * to the synthetic original (the generator zeroes every byte it does not
 * set) and its mdr_eve_flow() JSON is byte-identical. Retention checks
 * that whole old partitions go, newer ones stay, and the counters equal
 * what a reference count over the records says. The full-disk test
 * mounts a small tmpfs (root only; skipped otherwise), fills it, and
 * checks that the failing put returns -ENOSPC/-EIO, is counted, leaves
 * the store usable and that a reopen finds every acknowledged record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "codec.h"
#include "query.h"
#include "store.h"
#include "synth.h"

#define DAY (86400ull * MDR_NSEC_PER_SEC)
#define HOUR (3600ull * MDR_NSEC_PER_SEC)
#define T0 (1715558400ull * MDR_NSEC_PER_SEC)   /* 2024-05-13T00:00:00Z */

static char *eve_text(const struct mdr_flow_record *r)
{
	json_t *j = mdr_eve_flow(r);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_same_eve(const struct mdr_flow_record *a, const struct mdr_flow_record *b)
{
	char *x = eve_text(a), *y = eve_text(b);

	if (strcmp(x, y) != 0)
		fail_msg("EVE differs:\n  %s\n  %s", x, y);
	free(x);
	free(y);
}

/* Stores live in /dev/shm when there is one: fsyncs there are free. */
static void make_dir(char *dir, size_t len, const char *tag)
{
	struct stat st;

	snprintf(dir, len, "%s/mdr_test_%s.XXXXXX",
		 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp", tag);
	assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct mdr_store *open_store(const char *dir, uint64_t max_age, uint64_t max_bytes,
				    bool ro)
{
	struct mdr_store_config cfg;
	struct mdr_store *s;
	char err[256];

	mdr_store_config_default(&cfg);
	cfg.path = dir;
	cfg.max_age_ns = max_age;
	cfg.max_bytes = max_bytes;
	cfg.read_only = ro;
	cfg.memtable_bytes = 16 << 20;
	if (mdr_store_open(&cfg, &s, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", dir, err);
	return s;
}

/* ---- reading everything back ---- */

struct all {
	struct mdr_flow_record *r;
	size_t n, cap;
};

static int collect(void *ctx, const struct mdr_query_row *row)
{
	struct all *a = ctx;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->r = realloc(a->r, a->cap * sizeof(*a->r));
		assert_non_null(a->r);
	}
	a->r[a->n++] = *row->rec;
	return 0;
}

static struct all read_all(struct mdr_store *s)
{
	struct all a = { 0 };
	struct mdr_query *q;
	char err[256];

	assert_int_equal(mdr_query_parse("", &q, err, sizeof(err)), 0);
	if (mdr_query_run(s, q, collect, &a, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	mdr_query_free(q);
	return a;
}

/* Originals in store order: start time, then ingest order. */
static int by_start(const void *a, const void *b)
{
	const struct mdr_flow_record *x = *(const struct mdr_flow_record *const *)a;
	const struct mdr_flow_record *y = *(const struct mdr_flow_record *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Every record of recs[0..n) with start >= min_start is in s, in order. */
static void assert_contents(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n,
			    uint64_t min_start, bool eve)
{
	const struct mdr_flow_record **exp = calloc(n ? n : 1, sizeof(*exp));
	struct all a = read_all(s);
	size_t m = 0;

	assert_non_null(exp);
	for (size_t i = 0; i < n; i++)
		if (recs[i].start >= min_start)
			exp[m++] = &recs[i];
	qsort(exp, m, sizeof(*exp), by_start);
	if (a.n != m)
		fail_msg("store holds %zu records, expected %zu", a.n, m);
	for (size_t i = 0; i < m; i++) {
		if (memcmp(&a.r[i], exp[i], sizeof(*exp[i])) != 0)
			fail_msg("record %zu differs after the round trip", i);
		if (eve)
			assert_same_eve(&a.r[i], exp[i]);
	}
	free(a.r);
	free(exp);
}

static struct mdr_flow_record *synth(uint64_t seed, size_t n, uint64_t span)
{
	struct mdr_flow_record *r = calloc(n, sizeof(*r));

	assert_non_null(r);
	for (size_t i = 0; i < n; i++)
		mdr_synth_record(seed, i, n, T0, span, &r[i]);
	return r;
}

static void put_all(struct mdr_store *s, const struct mdr_flow_record *r, size_t n)
{
	static const size_t sizes[] = { 1, 7, 100, 999, 250, 1000 };

	for (size_t i = 0, k = 0; i < n; k++) {
		size_t b = sizes[k % 6] < n - i ? sizes[k % 6] : n - i;

		if (mdr_store_put(s, &r[i], b) != 0)
			fail_msg("put: %s", mdr_store_last_error(s));
		i += b;
	}
}

/* ---- codec ---- */

static void edge_records(struct mdr_flow_record *e, size_t *n)
{
	struct mdr_flow_record *r;

	memset(e, 0, 8 * sizeof(*e));
	*n = 0;
	r = &e[(*n)++];                         /* all zero */
	r = &e[(*n)++];                         /* IPv6, extremes */
	r->key.ip_ver = 6, r->key.proto = 6, r->key.sport = 65535, r->key.dport = 1;
	memset(r->key.src.b, 0xff, 16);
	r->start = UINT64_MAX / 4 + 777, r->end = r->start + 1;
	r->pkts[0] = UINT64_MAX, r->bytes[1] = UINT64_MAX, r->flow_id = 42;
	r->state = 200, r->tcp_state = 17, r->end_reason = 99, r->interim = 3;
	r->seq = UINT32_MAX, r->worker = 65535, r->gaps[0] = 5;
	memset(r->history, 'S', sizeof(r->history) - 1);
	memset(r->meta.sni, 'a', sizeof(r->meta.sni) - 1);
	memset(r->meta.ja4, 'b', sizeof(r->meta.ja4) - 1);
	r->meta.nsids = MDR_REC_MAX_SIDS;
	for (int i = 0; i < MDR_REC_MAX_SIDS; i++)
		r->meta.sids[i] = UINT32_MAX - (uint32_t)i;
	r->meta.ndpi_risks = UINT64_MAX;
	r->meta.internal[0] = 7, r->meta.cleartext_cred = 1;
	r = &e[(*n)++];                         /* end before start, tunnel v6 */
	r->key.ip_ver = 4, r->key.proto = 1, r->icmp_type = 8, r->key.vlan = 4095;
	r->start = 5 * MDR_NSEC_PER_SEC + 3, r->end = 2 * MDR_NSEC_PER_SEC;
	r->tunnel.type = 5, r->tunnel.ip_ver = 6, r->tunnel.depth = 3, r->tunnel.vni = 1 << 23;
	memset(r->tunnel.dst.b, 0x11, 16);
	r->vlan_count = 2, r->vlan[0] = 1, r->vlan[1] = 4094;
	snprintf(r->conn_state, sizeof(r->conn_state), "RSTOS0");
	snprintf(r->meta.country[0], sizeof(r->meta.country[0]), "FR");
	r->meta.asn[1] = UINT32_MAX;
}

static void test_codec(void **state)
{
	struct mdr_flow_record *recs = synth(3, 20000, 2 * DAY), e[8], d;
	uint8_t buf[MDR_REC_ENC_MAX];
	size_t n, len, total = 0;

	(void)state;
	for (size_t i = 0; i < 20000; i++) {
		len = mdr_rec_encode(&recs[i], buf);
		total += len;
		assert_int_equal(mdr_rec_decode(buf, len, recs[i].start / MDR_NSEC_PER_SEC, &d), 0);
		if (memcmp(&d, &recs[i], sizeof(d)) != 0)
			fail_msg("synthetic record %zu differs after decode", i);
		if (i % 50 == 0)
			assert_same_eve(&d, &recs[i]);
	}
	edge_records(e, &n);
	for (size_t i = 0; i < n; i++) {
		len = mdr_rec_encode(&e[i], buf);
		assert_true(len <= MDR_REC_ENC_MAX);
		assert_int_equal(mdr_rec_decode(buf, len, e[i].start / MDR_NSEC_PER_SEC, &d), 0);
		assert_memory_equal(&d, &e[i], sizeof(d));
		assert_same_eve(&d, &e[i]);
		/* truncated and corrupted forms are refused, never crash */
		for (size_t cut = 0; cut < len; cut++)
			assert_int_not_equal(mdr_rec_decode(buf, cut, 0, &d), 0);
		buf[0] = 2;
		assert_int_equal(mdr_rec_decode(buf, len, 0, &d), -EPROTONOSUPPORT);
	}
	print_message("      average encoded record: %zu bytes (before compression)\n",
		      total / 20000);
	free(recs);
}

/* ---- round trip, reopen, read-only ---- */

static void test_roundtrip_reopen(void **state)
{
	size_t n = 12000;
	struct mdr_flow_record *recs = synth(11, n, 2 * DAY);
	struct mdr_store_stats st;
	struct mdr_store *s, *ro;
	char dir[64];

	(void)state;
	make_dir(dir, sizeof(dir), "store");
	s = open_store(dir, 0, 0, false);
	put_all(s, recs, n / 2);
	assert_int_equal(mdr_store_flush(s, false), 0);        /* half in tables */
	put_all(s, recs + n / 2, n - n / 2);                    /* half in memtables */
	assert_contents(s, recs, n, 0, true);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.records, n);
	assert_int_equal(st.put_records, n);
	assert_true(st.put_index_entries > 0 && st.partitions >= 48);
	assert_int_equal(st.write_errors, 0);

	/* a read-only instance next to the writer sees the acknowledged records */
	ro = open_store(dir, 0, 0, true);
	assert_contents(ro, recs, n, 0, false);
	assert_int_equal(mdr_store_put(ro, recs, 1), -EROFS);
	assert_int_equal(mdr_store_expire(ro, T0 + 10 * DAY, NULL), -EROFS);
	mdr_store_close(ro);

	mdr_store_close(s);
	s = open_store(dir, 0, 0, false);
	assert_contents(s, recs, n, 0, true);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.records, n);
	/* ingest continues after a reopen, counters do not collide */
	put_all(s, recs, 10);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.records, n + 10);
	mdr_store_close(s);
	remove_dir(dir);
	free(recs);
}

static void test_put_edges(void **state)
{
	struct mdr_flow_record r[2];
	struct mdr_store *s;
	char dir[64];

	(void)state;
	make_dir(dir, sizeof(dir), "edges");
	s = open_store(dir, 0, 0, false);
	assert_int_equal(mdr_store_put(s, r, 0), 0);
	memset(r, 0, sizeof(r));            /* epoch start, no addresses */
	r[1].start = UINT64_MAX;            /* year 584,554 */
	assert_int_equal(mdr_store_put(s, r, 2), 0);
	assert_contents(s, r, 2, 0, true);
	mdr_store_close(s);
	remove_dir(dir);
}

/* ---- retention ---- */

static uint64_t count_before(const struct mdr_flow_record *r, size_t n, uint64_t t)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += r[i].start < t;
	return c;
}

static void test_retention_age(void **state)
{
	size_t n = 9000;
	struct mdr_flow_record *recs = synth(5, n, 3 * DAY), old;
	struct mdr_store_expire_result res;
	struct mdr_store_stats st;
	uint64_t now = T0 + 3 * DAY + HOUR / 2, cut = now - DAY, bound, exp_recs;
	struct mdr_store *s;
	char dir[64];

	(void)state;
	make_dir(dir, sizeof(dir), "age");
	s = open_store(dir, DAY, 0, false);
	put_all(s, recs, n);
	assert_int_equal(mdr_store_flush(s, false), 0);
	/* partitions are whole hours: everything that started before the
	 * hour boundary at or below now - max_age goes */
	bound = cut / HOUR * HOUR;
	exp_recs = count_before(recs, n, bound);
	assert_int_equal(mdr_store_expire(s, now, &res), 0);
	assert_int_equal(res.records, exp_recs);
	assert_true(res.partitions >= 48);
	assert_false(res.over_budget);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.expired_records, exp_recs);
	assert_int_equal(st.expired_partitions_age, res.partitions);
	assert_int_equal(st.expired_partitions_bytes, 0);
	assert_int_equal(st.records, n - exp_recs);
	assert_int_equal(st.horizon, bound);
	assert_contents(s, recs, n, bound, false);
	/* a second pass at the same time removes nothing */
	assert_int_equal(mdr_store_expire(s, now, &res), 0);
	assert_int_equal(res.partitions, 0);
	/* a late record older than the horizon is refused and counted */
	old = recs[0];
	assert_int_equal(mdr_store_put(s, &old, 1), 0);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.rejected_old, 1);
	/* counters and horizon survive a reopen */
	mdr_store_close(s);
	s = open_store(dir, DAY, 0, false);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.expired_records, exp_recs);
	assert_int_equal(st.horizon, bound);
	assert_contents(s, recs, n, bound, false);
	mdr_store_close(s);
	remove_dir(dir);
	free(recs);
}

static void test_retention_bytes(void **state)
{
	size_t n = 40000;
	struct mdr_flow_record *recs = synth(9, n, 2 * DAY);
	struct mdr_store_expire_result res;
	struct mdr_store_stats st, st0;
	uint64_t budget, first;
	struct mdr_store *s;
	char dir[64];

	(void)state;
	make_dir(dir, sizeof(dir), "bytes");
	s = open_store(dir, 0, 0, false);
	put_all(s, recs, n);
	assert_int_equal(mdr_store_flush(s, true), 0);
	mdr_store_get_stats(s, &st0);
	mdr_store_close(s);

	budget = st0.disk_bytes / 2;
	s = open_store(dir, 0, budget, false);
	assert_int_equal(mdr_store_expire(s, T0 + 2 * DAY, &res), 0);
	mdr_store_get_stats(s, &st);
	print_message("      %llu bytes, budget %llu: %llu partitions (%llu records) expired, "
		      "%llu bytes left\n", (unsigned long long)st0.disk_bytes,
		      (unsigned long long)budget, (unsigned long long)res.partitions,
		      (unsigned long long)res.records, (unsigned long long)st.disk_bytes);
	assert_true(res.partitions > 0 && res.partitions < st0.partitions);
	assert_false(res.over_budget);
	assert_true(st.disk_bytes <= budget);
	assert_int_equal(st.expired_partitions_bytes, res.partitions);
	assert_int_equal(st.expired_partitions_age, 0);
	/* the oldest partitions went, whole; the newest stayed */
	first = st.oldest;
	assert_int_equal(first, st.horizon);
	assert_int_equal(st.newest, st0.newest);
	assert_int_equal(res.records, count_before(recs, n, first));
	assert_int_equal(st.expired_records, res.records);
	assert_int_equal(st.records + res.records, n);
	assert_contents(s, recs, n, first, false);
	mdr_store_close(s);
	remove_dir(dir);
	free(recs);
}

/* ---- full disk ---- */

/* Grow the file `path` until its file system has `leave` bytes free. */
static void fill(const char *path, long long leave)
{
	static char block[1 << 16];
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	struct statvfs vfs;

	assert_true(fd >= 0);
	assert_int_equal(fstatvfs(fd, &vfs), 0);
	for (long long room = (long long)vfs.f_bavail * (long long)vfs.f_frsize - leave;
	     room > 0; room -= (long long)sizeof(block))
		if (write(fd, block, sizeof(block)) < 0)
			break;
	close(fd);
}

static char mnt[64];

/* The small file system goes away even when the test fails. */
static int full_teardown(void **state)
{
	(void)state;
	if (mnt[0]) {
		umount2(mnt, MNT_DETACH);
		remove_dir(mnt);
		mnt[0] = 0;
	}
	return 0;
}

/*
 * Put batches until one fails; returns its code, *acked the records
 * stored. With a filler, the disk is topped up after every batch (RocksDB
 * frees space as it flushes and deletes old logs).
 */
static int put_until_full(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n,
			  size_t batch, size_t *acked, const char *filler)
{
	int rc = 0;

	for (size_t i = *acked; i + batch <= n && rc == 0; i += batch) {
		if (filler)
			fill(filler, 256 << 10);
		rc = mdr_store_put(s, &recs[i], batch);
		if (rc == 0)
			*acked += batch;
	}
	return rc;
}

/* Space back: within a second the store reopens itself and resumes. */
static void assert_disk_back(struct mdr_store *s, const char *filler,
			     const struct mdr_flow_record *recs, size_t *acked, size_t batch)
{
	struct mdr_store_stats st;
	int rc;

	assert_int_equal(unlink(filler), 0);
	for (int tries = 0; (rc = mdr_store_put(s, &recs[*acked], batch)) != 0 && tries < 3; tries++)
		usleep(1100 * 1000);
	if (rc != 0)
		fail_msg("no recovery: %s", mdr_store_last_error(s));
	*acked += batch;
	mdr_store_get_stats(s, &st);
	assert_false(st.ingest_stopped);
	assert_true(st.recoveries >= 1);
	assert_contents(s, recs, *acked, 0, false);
}

static void test_disk_full(void **state)
{
	size_t n = 60000, acked = 0, batch = 500;
	struct mdr_flow_record *recs;
	struct mdr_store_stats st;
	char dir[96], filler[96];
	struct mdr_store *s;
	int rc;

	(void)state;
	snprintf(mnt, sizeof(mnt), "/tmp/mdr_test_full.XXXXXX");
	assert_non_null(mkdtemp(mnt));
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64m") != 0)
		skip();         /* needs root: a small file system to fill */
	recs = synth(13, n, DAY);
	snprintf(dir, sizeof(dir), "%s/store", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	s = open_store(dir, 0, 0, false);
	assert_int_equal(put_until_full(s, recs, 10000, batch, &acked, NULL), 0);
	rc = put_until_full(s, recs, n, batch, &acked, filler);
	print_message("      %zu records acknowledged, then: %s\n", acked, mdr_store_last_error(s));
	assert_true(rc == -ENOSPC || rc == -EIO);
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.write_errors, 1);
	assert_int_equal(st.write_errors_records, batch);
	assert_int_equal(st.last_errno, -rc);
	assert_int_equal(st.put_records, acked);
	/* still readable; the failed batch left nothing behind */
	assert_contents(s, recs, acked, 0, false);
	/* later puts fail cleanly too (or succeed if a reopen found room) */
	rc = mdr_store_put(s, &recs[acked], batch);
	assert_true(rc == 0 || rc == -ENOSPC || rc == -EIO);
	acked += rc == 0 ? batch : 0;
	mdr_store_get_stats(s, &st);
	assert_int_equal(st.ingest_stopped, rc != 0);
	assert_disk_back(s, filler, recs, &acked, batch);
	mdr_store_close(s);

	/* and a reopen finds every acknowledged record */
	s = open_store(dir, 0, 0, false);
	assert_contents(s, recs, acked, 0, false);
	assert_int_equal(mdr_store_put(s, &recs[acked], batch), 0);
	mdr_store_close(s);
	free(recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_roundtrip_reopen),
		cmocka_unit_test(test_put_edges),
		cmocka_unit_test(test_retention_age),
		cmocka_unit_test(test_retention_bytes),
		cmocka_unit_test_teardown(test_disk_full, full_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
