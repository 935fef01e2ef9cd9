/*
 * store.c - open/close the RocksDB flow store and manage its partitions.
 *
 * Column families: "default" (meta), and per time partition "f.<pid>"
 * (records) and "i.<pid>" (index). Options: records and index entries are
 * LZ4-compressed (ZSTD at the bottom level, or ZSTD/none by config) in
 * 16 KiB blocks; the index CFs have a prefix extractor (key minus the
 * reference) with a full bloom filter on prefixes only, so that a lookup
 * of one value in a partition that does not hold it costs one filter probe.
 * Write buffers share one budget (db_write_buffer_size) since only the
 * newest partitions are written; the WAL is bounded so that a partition
 * that got a last straggler is flushed instead of pinning old logs.
 *
 * A partition is created on its first record (both CFs; a crash in
 * between is repaired at the next open) and its meta entry counts its
 * records and longest flow.
 */
#include "store_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void mdr_store_config_default(struct mdr_store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->partition_secs = 3600;
	cfg->compression = MDR_STORE_COMP_LZ4;
	cfg->sync = MDR_STORE_SYNC_WAL;
	cfg->memtable_bytes = 128ull << 20;
	cfg->background_jobs = 2;
}

int mdr_store_errno(const char *e)
{
	if (!e)
		return 0;
	if (strstr(e, "No space left") || strstr(e, "space limit"))
		return -ENOSPC;
	if (strstr(e, "Read-only file system"))
		return -EROFS;
	if (strstr(e, "Permission denied"))
		return -EACCES;
	if (strstr(e, "Invalid argument"))
		return -EINVAL;
	if (strstr(e, "No such file") || strstr(e, "does not exist"))
		return -ENOENT;
	return -EIO;
}

int mdr_store_fail(struct mdr_store *s, const char *what, char *rocks_err)
{
	int rc = mdr_store_errno(rocks_err);

	snprintf(s->lasterr, sizeof(s->lasterr), "%s: %s", what,
		 rocks_err ? rocks_err : "failed");
	rocksdb_free(rocks_err);
	return rc ? rc : -EIO;
}

const char *mdr_store_last_error(const struct mdr_store *s)
{
	return s->lasterr;
}

uint64_t mdr_store_partition_ns(const struct mdr_store *s)
{
	return s->span_s * MDR_NSEC_PER_SEC;
}

static int compression_of(enum mdr_store_compression c, int *bottom)
{
	switch (c) {
	case MDR_STORE_COMP_ZSTD:
		*bottom = rocksdb_zstd_compression;
		return rocksdb_zstd_compression;
	case MDR_STORE_COMP_NONE:
		*bottom = rocksdb_no_compression;
		return rocksdb_no_compression;
	default:
		*bottom = rocksdb_zstd_compression;
		return rocksdb_lz4_compression;
	}
}

static rocksdb_options_t *cf_options(struct mdr_store *s, bool index)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_block_based_table_options_t *b = rocksdb_block_based_options_create();
	int bottom, comp = compression_of(s->cfg.compression, &bottom);

	rocksdb_block_based_options_set_block_size(b, 16 << 10);
	rocksdb_block_based_options_set_block_cache(b, s->cache);
	rocksdb_block_based_options_set_format_version(b, 5);
	if (index) {
		rocksdb_block_based_options_set_filter_policy(b, rocksdb_filterpolicy_create_bloom_full(10));
		rocksdb_block_based_options_set_whole_key_filtering(b, 0);
		rocksdb_options_set_prefix_extractor(o, mdr_ix_prefix_extractor());
		rocksdb_options_set_memtable_prefix_bloom_size_ratio(o, 0.05);
		s->ibbo = b;
	} else {
		s->fbbo = b;
	}
	rocksdb_options_set_block_based_table_factory(o, b);
	rocksdb_options_set_compression(o, comp);
	rocksdb_options_set_bottommost_compression(o, bottom);
	if (!index && bottom == rocksdb_zstd_compression) {
		/* records share much text (names, fingerprints, states): a
		 * 16 KiB ZSTD dictionary per table file saves ~20% of them */
		rocksdb_options_set_bottommost_compression_options(o, -14, 32767, 0, 16 << 10, 1);
		rocksdb_options_set_bottommost_compression_options_zstd_max_train_bytes(o,
			100 * (16 << 10), 1);
	}
	/* small index memtables: cheaper inserts (shallower skip lists) */
	rocksdb_options_set_write_buffer_size(o, s->cfg.memtable_bytes / (index ? 8 : 4));
	rocksdb_options_set_level_compaction_dynamic_level_bytes(o, 1);
	rocksdb_options_set_target_file_size_base(o, 64ull << 20);
	rocksdb_options_set_max_bytes_for_level_base(o, 256ull << 20);
	return o;
}

static void db_options(struct mdr_store *s)
{
	rocksdb_options_t *o = rocksdb_options_create();

	rocksdb_options_set_create_if_missing(o, !s->cfg.read_only);
	rocksdb_options_set_max_background_jobs(o, s->cfg.background_jobs);
	rocksdb_options_set_db_write_buffer_size(o, s->cfg.memtable_bytes);
	rocksdb_options_set_max_total_wal_size(o, 2 * s->cfg.memtable_bytes);
	rocksdb_options_set_keep_log_file_num(o, 3);
	rocksdb_options_set_max_log_file_size(o, 8 << 20);
	/*
	 * The packaged librocksdb keeps its assertions: its info logger aborts
	 * the process when it writes again after a failed write, which a full
	 * disk triggers from a background thread. Unless a log directory is
	 * configured, the level is set above every message (the LOG file is
	 * created but stays empty), so a full disk is only an error of put().
	 */
	if (s->cfg.rocksdb_log_dir) {
		rocksdb_options_set_db_log_dir(o, s->cfg.rocksdb_log_dir);
		rocksdb_options_set_info_log_level(o, 2 /* warn */);
	} else {
		rocksdb_options_set_info_log_level(o, 6 /* NUM_INFO_LOG_LEVELS: none */);
	}
	rocksdb_options_set_stats_dump_period_sec(o, 0);
	rocksdb_options_set_bytes_per_sync(o, 1 << 20);
	/* read-only opens keep every table open: a writer in another process
	 * may delete files of expired partitions while we read them */
	rocksdb_options_set_max_open_files(o, s->cfg.read_only ? -1 : 1024);
	s->dbopt = o;
}

static int parse_pid(const char *name, char kind, uint32_t *pid)
{
	char *end;
	unsigned long v;

	if (name[0] != kind || name[1] != '.' || !isdigit((unsigned char)name[2]))
		return -1;
	v = strtoul(name + 2, &end, 10);
	if (*end || v > UINT32_MAX)
		return -1;
	*pid = (uint32_t)v;
	return 0;
}

void mdr_part_meta_key(uint8_t key[5], uint32_t pid)
{
	key[0] = MDR_META_PART;
	mdr_put_be(key + 1, pid, 4);
}

/* Insert p in the sorted table. */
static int part_insert(struct mdr_store *s, struct mdr_part *p)
{
	size_t i;

	if (s->nparts == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct mdr_part **np = realloc(s->parts, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		s->parts = np;
		s->cap = cap;
	}
	for (i = s->nparts; i > 0 && s->parts[i - 1]->pid > p->pid; i--)
		s->parts[i] = s->parts[i - 1];
	s->parts[i] = p;
	s->nparts++;
	return 0;
}

struct mdr_part *mdr_part_find(struct mdr_store *s, uint32_t pid)
{
	size_t lo = 0, hi = s->nparts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->parts[mid]->pid == pid)
			return s->parts[mid];
		if (s->parts[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static rocksdb_column_family_handle_t *cf_create(struct mdr_store *s, char kind,
						 uint32_t pid, int *rc)
{
	rocksdb_column_family_handle_t *h;
	char name[24], *err = NULL;

	snprintf(name, sizeof(name), "%c.%u", kind, pid);
	h = rocksdb_create_column_family(s->db, kind == 'f' ? s->fopt : s->iopt, name, &err);
	if (err) {
		*rc = mdr_store_fail(s, "create column family", err);
		return NULL;
	}
	return h;
}

/* Find or create partition pid (under s->mu). */
int mdr_part_get(struct mdr_store *s, uint32_t pid, struct mdr_part **out)
{
	struct mdr_part *p = mdr_part_find(s, pid);
	char *err = NULL;
	int rc = 0;

	if (p) {
		*out = p;
		return 0;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->fcf = cf_create(s, 'f', pid, &rc);
	if (p->fcf)
		p->icf = cf_create(s, 'i', pid, &rc);
	if (!p->icf || (rc = part_insert(s, p)) < 0) {
		if (p->fcf) {
			rocksdb_drop_column_family(s->db, p->fcf, &err);
			rocksdb_free(err);
			rocksdb_column_family_handle_destroy(p->fcf);
		}
		if (p->icf) {
			rocksdb_drop_column_family(s->db, p->icf, &err);
			rocksdb_free(err);
			rocksdb_column_family_handle_destroy(p->icf);
		}
		free(p);
		return rc ? rc : -EIO;
	}
	*out = p;
	return 0;
}

static void part_destroy(struct mdr_part *p)
{
	if (p->fcf)
		rocksdb_column_family_handle_destroy(p->fcf);
	if (p->icf)
		rocksdb_column_family_handle_destroy(p->icf);
	free(p);
}

void mdr_part_unref_locked(struct mdr_store *s, struct mdr_part *p)
{
	if (--p->refs > 0 || !p->dropped)
		return;
	if (p->zombie)
		s->zombies--;
	part_destroy(p);
}

int mdr_store_acquire(struct mdr_store *s, struct mdr_part_view **views, size_t *n)
{
	struct mdr_part_view *v;

	pthread_mutex_lock(&s->mu);
	v = calloc(s->nparts ? s->nparts : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&s->mu);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nparts; i++) {
		struct mdr_part *p = s->parts[i];

		p->refs++;
		v[i] = (struct mdr_part_view){ p, p->pid, p->records, p->maxdur_s };
	}
	*n = s->nparts;
	*views = v;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void mdr_store_release(struct mdr_store *s, struct mdr_part_view *views, size_t n)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < n; i++)
		mdr_part_unref_locked(s, views[i].p);
	pthread_mutex_unlock(&s->mu);
	free(views);
}

/* ---- open ---- */

static int meta_get(struct mdr_store *s, const char *key, size_t klen,
		    uint8_t *buf, size_t cap, size_t *len)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char *err = NULL, *v;
	size_t vlen = 0;

	v = rocksdb_get_cf(s->db, ro, s->meta, key, klen, &vlen, &err);
	rocksdb_readoptions_destroy(ro);
	if (err)
		return mdr_store_fail(s, "read meta", err);
	if (!v)
		return -ENOENT;
	*len = vlen < cap ? vlen : cap;
	memcpy(buf, v, *len);
	rocksdb_free(v);
	return 0;
}

static int meta_load_format(struct mdr_store *s)
{
	uint8_t b[16];
	size_t len;
	char *err = NULL;
	int rc = meta_get(s, MDR_META_FORMAT, strlen(MDR_META_FORMAT), b, sizeof(b), &len);

	if (rc == 0) {
		if (len != 9 || b[0] != MDR_STORE_FORMAT) {
			snprintf(s->lasterr, sizeof(s->lasterr),
				 "unsupported store format %u", len ? b[0] : 0);
			return -EPROTONOSUPPORT;
		}
		s->span_s = mdr_get_be(b + 1, 8);
		return s->span_s && s->span_s < MDR_SPAN_MAX_S ? 0 : -EBADMSG;
	}
	if (rc != -ENOENT)
		return rc;
	if (s->cfg.read_only) {
		snprintf(s->lasterr, sizeof(s->lasterr), "not a flow store (no format record)");
		return -ENOENT;
	}
	s->span_s = s->cfg.partition_secs;
	b[0] = MDR_STORE_FORMAT;
	mdr_put_be(b + 1, s->span_s, 8);
	rocksdb_put_cf(s->db, s->wopt, s->meta, MDR_META_FORMAT, strlen(MDR_META_FORMAT),
		       (char *)b, 9, &err);
	return err ? mdr_store_fail(s, "write meta", err) : 0;
}

static void meta_load_state(struct mdr_store *s)
{
	uint8_t b[64];
	size_t len;
	const uint8_t *p = b;
	uint64_t v[5] = { 0 };

	if (meta_get(s, MDR_META_CTR, strlen(MDR_META_CTR), b, sizeof(b), &len) == 0 && len == 4)
		s->ctr = (uint32_t)mdr_get_be(b, 4);
	if (meta_get(s, MDR_META_HORIZON, strlen(MDR_META_HORIZON), b, sizeof(b), &len) == 0 &&
	    len == 8)
		s->horizon_s = mdr_get_be(b, 8);
	if (meta_get(s, MDR_META_EXPIRED, strlen(MDR_META_EXPIRED), b, sizeof(b), &len) == 0)
		for (int i = 0; i < 5 && mdr_get_varint(&p, b + len, &v[i]) == 0; i++)
			;
	s->st.expired_partitions_age = v[0];
	s->st.expired_partitions_bytes = v[1];
	s->st.expired_records = v[2];
	s->st.expired_bytes = v[3];
	s->st.expire_runs = v[4];
	for (size_t i = 0; i < s->nparts; i++) {
		struct mdr_part *pt = s->parts[i];
		uint8_t k[5];

		mdr_part_meta_key(k, pt->pid);
		if (meta_get(s, (char *)k, 5, b, sizeof(b), &len) == 0) {
			p = b;
			mdr_get_varint(&p, b + len, &pt->records);
			mdr_get_varint(&p, b + len, &pt->maxdur_s);
		}
	}
}

/* Pair the opened "f.N"/"i.N" handles into partitions; repair halves. */
static int build_parts(struct mdr_store *s, char **names, size_t n,
		       rocksdb_column_family_handle_t **h)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		uint32_t pid;
		char kind = names[i][0];
		struct mdr_part *p;

		if (parse_pid(names[i], kind, &pid) < 0 || (kind != 'f' && kind != 'i'))
			continue;
		p = mdr_part_find(s, pid);
		if (!p) {
			p = calloc(1, sizeof(*p));
			if (!p)
				return -ENOMEM;
			p->pid = pid;
			rc = part_insert(s, p);
			if (rc < 0) {
				free(p);
				return rc;
			}
		}
		*(kind == 'f' ? &p->fcf : &p->icf) = h[i];
		h[i] = NULL;
	}
	for (size_t i = 0; i < s->nparts && rc == 0; i++) {
		struct mdr_part *p = s->parts[i];

		if (s->cfg.read_only)
			continue;
		if (!p->fcf)
			p->fcf = cf_create(s, 'f', p->pid, &rc);
		if (!p->icf && rc == 0)
			p->icf = cf_create(s, 'i', p->pid, &rc);
	}
	/* read-only: a half-created partition (crash) has no records */
	for (size_t i = 0; i < s->nparts; i++) {
		if (s->parts[i]->fcf && s->parts[i]->icf)
			continue;
		part_destroy(s->parts[i]);
		memmove(&s->parts[i], &s->parts[i + 1], (s->nparts - i - 1) * sizeof(s->parts[0]));
		s->nparts--;
		i--;
	}
	return rc;
}

static char **list_cfs(struct mdr_store *s, size_t *n, bool *owned, int *rc)
{
	char *err = NULL;
	char **names = rocksdb_list_column_families(s->dbopt, s->path, n, &err);
	static char *dflt[] = { "default" };

	*owned = !err;
	if (!err)
		return names;
	if (names)      /* an empty array is allocated even on error */
		rocksdb_list_column_families_destroy(names, 0);
	if (s->cfg.read_only) {
		*rc = mdr_store_fail(s, "open", err);
		return NULL;
	}
	rocksdb_free(err);     /* a new store */
	*n = 1;
	return dflt;
}

static int open_db(struct mdr_store *s)
{
	size_t n = 0;
	int rc = 0;
	bool owned = false;
	char **names = list_cfs(s, &n, &owned, &rc), *err = NULL;
	const rocksdb_options_t **opts;
	rocksdb_column_family_handle_t **h;

	if (!names)
		return rc;
	opts = calloc(n, sizeof(*opts));
	h = calloc(n, sizeof(*h));
	if (!opts || !h) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		opts[i] = names[i][0] == 'i' && names[i][1] == '.' ? s->iopt :
			  strcmp(names[i], "default") == 0 ? s->dbopt : s->fopt;
	if (s->cfg.read_only)
		s->db = rocksdb_open_for_read_only_column_families(s->dbopt, s->path, (int)n,
				(const char *const *)names, opts, h, 0, &err);
	else
		s->db = rocksdb_open_column_families(s->dbopt, s->path, (int)n,
				(const char *const *)names, opts, h, &err);
	if (err) {
		rc = mdr_store_fail(s, "open", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], "default") == 0) {
			s->meta = h[i];
			h[i] = NULL;
		}
	rc = build_parts(s, names, n, h);
	for (size_t i = 0; i < n; i++)
		if (h[i])
			rocksdb_column_family_handle_destroy(h[i]);
out:
	free(opts);
	free(h);
	if (owned)
		rocksdb_list_column_families_destroy(names, n);
	return rc;
}

static int check_config(const struct mdr_store_config *cfg, char *err, size_t errlen)
{
	if (!cfg->path || !cfg->path[0]) {
		snprintf(err, errlen, "store: no path");
		return -EINVAL;
	}
	if (cfg->partition_secs < 60 || cfg->partition_secs > 7 * 86400) {
		snprintf(err, errlen, "store: partition_secs %u out of range 60..604800",
			 cfg->partition_secs);
		return -EINVAL;
	}
	return 0;
}

static int store_init(struct mdr_store *s)
{
	struct stat st;
	char cur[4096];

	snprintf(cur, sizeof(cur), "%s/CURRENT", s->path);
	if (s->cfg.read_only && stat(cur, &st) < 0) {
		snprintf(s->lasterr, sizeof(s->lasterr), "no flow store there (%s)",
			 stat(s->path, &st) < 0 ? strerror(errno) : "not a RocksDB directory");
		return -ENOENT;
	}
	if (!s->cfg.read_only && mkdir(s->path, 0750) < 0 && errno != EEXIST) {
		snprintf(s->lasterr, sizeof(s->lasterr), "mkdir %s: %s", s->path, strerror(errno));
		return -errno;
	}
	s->cache = rocksdb_cache_create_lru(64 << 20);
	db_options(s);
	s->fopt = cf_options(s, false);
	s->iopt = cf_options(s, true);
	s->wopt = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wopt, s->cfg.sync == MDR_STORE_SYNC_FSYNC);
	rocksdb_writeoptions_disable_WAL(s->wopt, s->cfg.sync == MDR_STORE_SYNC_NONE);
	return open_db(s);
}

int mdr_store_open(const struct mdr_store_config *cfg, struct mdr_store **out,
		   char *err, size_t errlen)
{
	struct mdr_store *s;
	int rc = check_config(cfg, err, errlen);

	*out = NULL;
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(cfg->path))) {
		free(s);
		snprintf(err, errlen, "store: out of memory");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->cfg.path = s->path;
	if (!s->cfg.memtable_bytes)
		s->cfg.memtable_bytes = 128ull << 20;
	if (s->cfg.background_jobs <= 0)
		s->cfg.background_jobs = 2;
	pthread_mutex_init(&s->mu, NULL);
	rc = store_init(s);
	if (rc == 0)
		rc = meta_load_format(s);
	if (rc == 0)
		meta_load_state(s);
	if (rc < 0) {
		snprintf(err, errlen, "store %s: %s", cfg->path, s->lasterr);
		mdr_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static void close_db(struct mdr_store *s)
{
	for (size_t i = 0; i < s->nparts; i++)
		part_destroy(s->parts[i]);
	s->nparts = 0;
	if (s->meta)
		rocksdb_column_family_handle_destroy(s->meta);
	s->meta = NULL;
	if (s->db)
		rocksdb_close(s->db);
	s->db = NULL;
}

int mdr_store_recover_locked(struct mdr_store *s)
{
	struct timespec ts;
	uint64_t now;
	int rc;

	if (!s->failed)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (s->last_recover_ns && now - s->last_recover_ns < MDR_RECOVER_NS)
		return -EAGAIN;
	s->last_recover_ns = now;
	if (s->zombies)
		return -EBUSY;
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i]->refs)
			return -EBUSY;
	close_db(s);
	rc = open_db(s);
	if (rc == 0)
		rc = meta_load_format(s);
	if (rc < 0) {
		close_db(s);
		return rc;
	}
	meta_load_state(s);
	s->failed = false;
	s->st.recoveries++;
	return 0;
}

void mdr_store_close(struct mdr_store *s)
{
	if (!s)
		return;
	close_db(s);
	free(s->parts);
	if (s->wopt)
		rocksdb_writeoptions_destroy(s->wopt);
	if (s->fopt)
		rocksdb_options_destroy(s->fopt);
	if (s->iopt)
		rocksdb_options_destroy(s->iopt);
	if (s->dbopt)
		rocksdb_options_destroy(s->dbopt);
	if (s->fbbo)
		rocksdb_block_based_options_destroy(s->fbbo);
	if (s->ibbo)
		rocksdb_block_based_options_destroy(s->ibbo);
	if (s->cache)
		rocksdb_cache_destroy(s->cache);
	mdr_ingest_free(s->ing);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}
