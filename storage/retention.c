/*
 * retention.c - expiry by age and by disk budget, counters, flush.
 *
 * A partition is the unit of expiry: DropColumnFamily on its two column
 * families removes it from the store at once and its files are deleted
 * as soon as no reader holds them, with no compaction and no tombstones
 * (storage/README.md compares this with DeleteRange + compaction and with
 * a compaction filter: dropping is O(files), the others rewrite data).
 *
 * By age: every partition whose whole span is older than max_age (by
 * flow start) goes. By budget: while the directory is above max_bytes the
 * oldest partition goes, never the newest one; when a drop frees nothing
 * measurable (data still in memtables/WAL) the pass stops and reports
 * over_budget rather than emptying the store. The horizon (end of the
 * newest dropped partition) is persisted; later records older than it are
 * refused and counted, so an expired range never reappears half-filled.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint64_t mdr_store_dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t sum = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

static uint64_t cf_int(struct mdr_store *s, rocksdb_column_family_handle_t *cf,
		       const char *prop)
{
	uint64_t v = 0;

	if (rocksdb_property_int_cf(s->db, cf, prop, &v) != 0)
		return 0;
	return v;
}

/* Bytes of the partition's table files. */
static uint64_t part_bytes(struct mdr_store *s, struct mdr_part *p)
{
	return cf_int(s, p->fcf, "rocksdb.live-sst-files-size") +
	       cf_int(s, p->icf, "rocksdb.live-sst-files-size");
}

/* Drop the oldest partition (under s->mu). */
static int drop_oldest(struct mdr_store *s, struct mdr_store_expire_result *res,
		       uint64_t bytes, bool by_age)
{
	struct mdr_part *p = s->parts[0];
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	char *err = NULL;
	uint8_t k[5];

	rocksdb_drop_column_family(s->db, p->fcf, &err);
	if (!err)
		rocksdb_drop_column_family(s->db, p->icf, &err);
	if (err) {
		rocksdb_writebatch_destroy(wb);
		return mdr_store_fail(s, "expire: drop column family", err);
	}
	mdr_part_meta_key(k, p->pid);
	rocksdb_writebatch_delete_cf(wb, s->meta, (char *)k, 5);
	rocksdb_write(s->db, s->wopt, wb, &err);
	rocksdb_writebatch_destroy(wb);
	rocksdb_free(err);  /* a stale meta entry is ignored at the next open */
	memmove(&s->parts[0], &s->parts[1], (s->nparts - 1) * sizeof(s->parts[0]));
	s->nparts--;
	res->partitions++;
	res->records += p->records;
	res->bytes += bytes;
	*(by_age ? &s->st.expired_partitions_age : &s->st.expired_partitions_bytes) += 1;
	s->st.expired_records += p->records;
	s->st.expired_bytes += bytes;
	if ((uint64_t)(p->pid + 1) * s->span_s > s->horizon_s)
		s->horizon_s = (uint64_t)(p->pid + 1) * s->span_s;
	p->dropped = true;
	if (p->refs) {
		p->zombie = true;   /* the last query to release it destroys it */
		s->zombies++;
	} else {
		p->refs = 1;
		mdr_part_unref_locked(s, p);
	}
	return 0;
}

static int expire_age(struct mdr_store *s, mdr_time_t now, struct mdr_store_expire_result *res)
{
	uint64_t age = s->cfg.max_age_ns;
	int rc = 0;

	if (!age || now <= age)
		return 0;
	while (rc == 0 && s->nparts > 0 &&
	       (uint64_t)(s->parts[0]->pid + 1) * s->span_s * MDR_NSEC_PER_SEC <= now - age)
		rc = drop_oldest(s, res, part_bytes(s, s->parts[0]), true);
	return rc;
}

static int expire_budget(struct mdr_store *s, struct mdr_store_expire_result *res)
{
	uint64_t used;
	int rc = 0;

	if (!s->cfg.max_bytes)
		return 0;
	used = mdr_store_dir_bytes(s->path);
	while (rc == 0 && used > s->cfg.max_bytes && s->nparts > 1) {
		uint64_t est = part_bytes(s, s->parts[0]), now_used;

		rc = drop_oldest(s, res, est, false);
		now_used = mdr_store_dir_bytes(s->path);
		if (now_used >= used)
			now_used = used > est ? used - est : 0;
		if (now_used >= used)
			break;          /* nothing measurable freed */
		used = now_used;
	}
	res->over_budget = used > s->cfg.max_bytes;
	return rc;
}

static void persist_expiry(struct mdr_store *s)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	uint8_t v[64];
	size_t n = 0;
	char *err = NULL;

	mdr_put_be(v, s->horizon_s, 8);
	rocksdb_writebatch_put_cf(wb, s->meta, MDR_META_HORIZON, strlen(MDR_META_HORIZON),
				  (char *)v, 8);
	n += mdr_put_varint(v + n, s->st.expired_partitions_age);
	n += mdr_put_varint(v + n, s->st.expired_partitions_bytes);
	n += mdr_put_varint(v + n, s->st.expired_records);
	n += mdr_put_varint(v + n, s->st.expired_bytes);
	n += mdr_put_varint(v + n, s->st.expire_runs);
	rocksdb_writebatch_put_cf(wb, s->meta, MDR_META_EXPIRED, strlen(MDR_META_EXPIRED),
				  (char *)v, n);
	rocksdb_write(s->db, s->wopt, wb, &err);
	rocksdb_free(err);      /* counters only; the drops themselves are durable */
	rocksdb_writebatch_destroy(wb);
}

int mdr_store_expire(struct mdr_store *s, mdr_time_t now, struct mdr_store_expire_result *res)
{
	struct mdr_store_expire_result local;
	int rc;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (s->cfg.read_only)
		return -EROFS;
	pthread_mutex_lock(&s->mu);
	if (s->failed && (rc = mdr_store_recover_locked(s)) < 0 && !s->db) {
		pthread_mutex_unlock(&s->mu);
		return rc;
	}
	s->st.expire_runs++;
	rc = expire_age(s, now, res);
	if (rc == 0)
		rc = expire_budget(s, res);
	persist_expiry(s);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int mdr_store_get_stats(struct mdr_store *s, struct mdr_store_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	st->records = 0;
	for (size_t i = 0; i < s->nparts; i++)
		st->records += s->parts[i]->records;
	st->partitions = s->nparts;
	if (s->nparts) {
		st->oldest = (uint64_t)s->parts[0]->pid * s->span_s * MDR_NSEC_PER_SEC;
		st->newest = (uint64_t)(s->parts[s->nparts - 1]->pid + 1) * s->span_s *
			     MDR_NSEC_PER_SEC;
	}
	st->horizon = s->horizon_s * MDR_NSEC_PER_SEC;
	st->ingest_stopped = s->failed;
	for (size_t i = 0; i < s->nparts; i++) {
		st->sst_bytes_records += cf_int(s, s->parts[i]->fcf, "rocksdb.live-sst-files-size");
		st->sst_bytes_index += cf_int(s, s->parts[i]->icf, "rocksdb.live-sst-files-size");
	}
	pthread_mutex_unlock(&s->mu);
	st->disk_bytes = mdr_store_dir_bytes(s->path);
	return 0;
}

int mdr_store_flush(struct mdr_store *s, bool compact)
{
	struct mdr_part_view *v;
	size_t n;
	rocksdb_flushoptions_t *fo;
	rocksdb_compactoptions_t *co;
	char *err = NULL;
	int rc;

	if (s->cfg.read_only)
		return 0;
	if (s->failed)
		return -EIO;
	rc = mdr_store_acquire(s, &v, &n);
	if (rc < 0)
		return rc;
	fo = rocksdb_flushoptions_create();
	co = rocksdb_compactoptions_create();
	rocksdb_flushoptions_set_wait(fo, 1);
	/* rewrite the last level too (no trivial moves): its final compression */
	rocksdb_compactoptions_set_bottommost_level_compaction(co, 2 /* kForce */);
	for (size_t i = 0; i < n && !err; i++) {
		rocksdb_flush_cf(s->db, fo, v[i].p->fcf, &err);
		if (!err)
			rocksdb_flush_cf(s->db, fo, v[i].p->icf, &err);
		if (!err && compact) {
			rocksdb_compact_range_cf_opt(s->db, v[i].p->fcf, co, NULL, 0, NULL, 0);
			rocksdb_compact_range_cf_opt(s->db, v[i].p->icf, co, NULL, 0, NULL, 0);
		}
	}
	if (!err)
		rocksdb_flush_cf(s->db, fo, s->meta, &err);
	rocksdb_compactoptions_destroy(co);
	rocksdb_flushoptions_destroy(fo);
	mdr_store_release(s, v, n);
	if (err) {
		pthread_mutex_lock(&s->mu);
		rc = mdr_store_fail(s, "flush", err);
		pthread_mutex_unlock(&s->mu);
	}
	return rc;
}
