/*
 * store_int.h - the store object shared by the storage files (internal).
 *
 * store.c opens/closes RocksDB and owns the partition table; ingest.c
 * writes batches; retention.c drops partitions and counts; the query
 * executor borrows partitions with mdr_store_acquire()/release().
 *
 * Locking: `mu` guards the partition table, the counters and the meta
 * state. RocksDB calls that create or drop column families run under it
 * (they are short); writes and reads do not. A partition borrowed by a
 * query (refs > 0) that expiry drops is unlinked at once and its handles
 * are destroyed by the last release.
 */
#ifndef MDR_STORE_INT_H
#define MDR_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include <rocksdb/c.h>

#include "keys.h"
#include "store.h"

struct mdr_part {
	uint32_t pid;               /* covers starts [pid * span, (pid + 1) * span) */
	rocksdb_column_family_handle_t *fcf, *icf;
	uint64_t records;
	uint64_t maxdur_s;         /* longest end - start stored in it */
	int refs;
	bool dropped;               /* expired: unlinked from the table */
	bool zombie;                /* dropped while borrowed by a query */
};

/* What a query sees of a partition (a snapshot of the counters). */
struct mdr_part_view {
	struct mdr_part *p;
	uint32_t pid;
	uint64_t records, maxdur_s;
};

struct mdr_ingest;

struct mdr_store {
	struct mdr_store_config cfg;
	char *path;
	rocksdb_t *db;
	rocksdb_options_t *dbopt, *fopt, *iopt;
	rocksdb_block_based_table_options_t *fbbo, *ibbo;
	rocksdb_cache_t *cache;
	rocksdb_writeoptions_t *wopt;
	rocksdb_column_family_handle_t *meta;
	uint64_t span_s;

	pthread_mutex_t mu;
	struct mdr_part **parts;    /* live partitions, ascending pid */
	size_t nparts, cap;
	uint32_t ctr;               /* next ingest counter */
	uint64_t horizon_s;        /* starts before it were expired */
	struct mdr_store_stats st;  /* counters (records/partitions computed) */
	bool failed;                /* a write failed: RocksDB refuses writes
	                               until the database is reopened */
	uint64_t last_recover_ns;   /* last reopen attempt (monotonic) */
	size_t zombies;             /* dropped partitions still borrowed */

	struct mdr_ingest *ing;     /* writer-thread scratch */
	char lasterr[256];
};

/* Meta keys (default column family). */
#define MDR_META_FORMAT "format"    /* u8 version, u64 partition span (s) */
#define MDR_META_CTR "ctr"          /* u32 next counter */
#define MDR_META_HORIZON "horizon"  /* u64 horizon (s) */
#define MDR_META_EXPIRED "expired"  /* varints: part age, part bytes, records, bytes, runs */
#define MDR_META_PART 'p'           /* 'p' u32 pid -> varint records, varint maxdur_s */
#define MDR_STORE_FORMAT 1

/* -errno for a RocksDB error string (ENOSPC, EIO, ...). */
int mdr_store_errno(const char *rocks_err);
/* Copy "what: rocks_err" to the store's last error, free rocks_err. */
int mdr_store_fail(struct mdr_store *s, const char *what, char *rocks_err);

/* Partition lookup / creation, under s->mu. */
struct mdr_part *mdr_part_find(struct mdr_store *s, uint32_t pid);
int mdr_part_get(struct mdr_store *s, uint32_t pid, struct mdr_part **out);
void mdr_part_unref_locked(struct mdr_store *s, struct mdr_part *p);
void mdr_part_meta_key(uint8_t key[5], uint32_t pid);

/* Borrow every live partition (ascending); release with the same array. */
int mdr_store_acquire(struct mdr_store *s, struct mdr_part_view **views, size_t *n);
void mdr_store_release(struct mdr_store *s, struct mdr_part_view *views, size_t n);

void mdr_ingest_free(struct mdr_ingest *ing);

/*
 * After a failed write (full disk...), reopen the database so that writes
 * can resume: at most once per MDR_RECOVER_NS, and only when no query
 * borrows a partition. Under s->mu. 0, -EAGAIN (too soon), -EBUSY, -errno.
 */
#define MDR_RECOVER_NS 1000000000ull
int mdr_store_recover_locked(struct mdr_store *s);

/* Bytes of the regular files in the store directory. */
uint64_t mdr_store_dir_bytes(const char *path);

#endif
