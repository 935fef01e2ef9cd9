/*
 * store.h - the flow store: flow records on RocksDB, indexed for queries.
 *
 * The probe's writer thread hands batches of struct mdr_flow_record to
 * mdr_store_put(); each call is one RocksDB WriteBatch holding the records
 * (a compact, versioned binary form) and their index entries, so a batch is
 * either wholly stored or not at all. Queries (query.h) read the store while
 * it is written, from the same process or from another one opened
 * read-only (`mdrprobe query` while the probe runs).
 *
 * Layout (storage/README.md has the details and the measurements):
 * time is cut into partitions of `partition_secs` by flow *start* time;
 * each partition has two column families, "f.<pid>" (records keyed by
 * start time then an ingest counter) and "i.<pid>" (index entries keyed by
 * field value then the same reference, with a prefix bloom filter). The
 * default column family holds metadata. Retention drops whole partitions
 * (DropColumnFamily: no rewrite, space back at once).
 *
 * Every function returns 0 or -errno; messages go to the caller's buffer
 * (or mdr_store_last_error() for the writer-thread calls). The store never
 * calls exit() or abort() on a RocksDB error: a failed write (disk full...)
 * is counted and reported, and what was acknowledged before stays readable.
 *
 * Threads: one writer (put/expire/flush) and any number of concurrent
 * queries; handles of expired partitions stay valid until the queries
 * using them finish.
 */
#ifndef MDR_STORE_H
#define MDR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output.h"

enum mdr_store_compression {
	MDR_STORE_COMP_LZ4 = 0,     /* LZ4, ZSTD for the bottom level (default) */
	MDR_STORE_COMP_ZSTD,        /* ZSTD everywhere */
	MDR_STORE_COMP_NONE,
};

enum mdr_store_sync {
	MDR_STORE_SYNC_WAL = 0,     /* write-ahead log, no fsync (default): a
	                               process crash loses nothing, a power
	                               loss the last seconds */
	MDR_STORE_SYNC_FSYNC,       /* fsync the WAL at every put */
	MDR_STORE_SYNC_NONE,        /* no WAL: a crash loses the memtables */
};

struct mdr_store_config {
	const char *path;           /* directory, created if missing */
	uint64_t max_age_ns;        /* retention by flow start age; 0 = none */
	uint64_t max_bytes;         /* disk budget of the directory; 0 = none */
	uint32_t partition_secs;    /* partition span, new stores only
	                               (60..604800, default 3600) */
	enum mdr_store_compression compression;
	enum mdr_store_sync sync;
	uint64_t memtable_bytes;    /* total write buffers; default 128 MiB */
	int background_jobs;        /* RocksDB flush/compaction threads; default 2 */
	bool read_only;             /* open without writing (another process
	                               may own the store) */
	const char *rocksdb_log_dir; /* RocksDB's own LOG files; NULL = none
	                               (default: see store.c, full disks) */
};

/* Counters; the expiry ones are cumulative over the store's life. */
struct mdr_store_stats {
	uint64_t records;           /* records stored now */
	uint64_t partitions;        /* live partitions */
	uint64_t disk_bytes;        /* bytes of the files in the directory */
	uint64_t sst_bytes_records, sst_bytes_index; /* table files of the
	                               record and index column families */
	mdr_time_t oldest, newest;  /* partition bounds (start time), 0 if empty */
	mdr_time_t horizon;         /* flows starting before this were expired */
	uint64_t put_calls, put_records;
	uint64_t put_index_entries; /* index keys written (one per value and batch) */
	uint64_t put_ns_encode, put_ns_index, put_ns_write; /* time in put(): records
	                               encoded, index grouped, RocksDB write */
	uint64_t rejected_old;      /* records older than the horizon, not stored */
	uint64_t write_errors;      /* failed puts */
	uint64_t write_errors_records; /* records of failed puts (not stored) */
	int last_errno;             /* of the last failed put, 0 if none */
	bool ingest_stopped;        /* writes fail until the store recovers */
	uint64_t recoveries;        /* reopens after a write error */
	uint64_t expired_partitions_age, expired_partitions_bytes;
	uint64_t expired_records, expired_bytes;
	uint64_t expire_runs;
};

struct mdr_store_expire_result {
	uint64_t partitions, records, bytes; /* removed by this call */
	bool over_budget;           /* still above max_bytes (only the newest
	                               partition left) */
};

struct mdr_store;

void mdr_store_config_default(struct mdr_store_config *cfg);

int mdr_store_open(const struct mdr_store_config *cfg, struct mdr_store **out,
		   char *err, size_t errlen);
void mdr_store_close(struct mdr_store *s);

/*
 * Store n records in one atomic batch (writer thread). 0, or -errno:
 * -ENOSPC disk full, -EIO other write error, -EROFS read-only store,
 * -ENOMEM. On error nothing of the batch is stored; the failure is counted
 * and described by mdr_store_last_error(). After a write error RocksDB
 * refuses writes; the following puts (at most once a second) reopen the
 * database and resume as soon as that works (space was freed), counting
 * the refused batches meanwhile.
 */
int mdr_store_put(struct mdr_store *s, const struct mdr_flow_record *recs, size_t n);
const char *mdr_store_last_error(const struct mdr_store *s);

/*
 * Apply retention at time `now`: drop every partition that ended more than
 * max_age ago, then the oldest ones while the directory is above max_bytes
 * (never the newest one). res may be NULL.
 */
int mdr_store_expire(struct mdr_store *s, mdr_time_t now,
		     struct mdr_store_expire_result *res);

/* Flush memtables to disk; with compact, also compact every partition. */
int mdr_store_flush(struct mdr_store *s, bool compact);

int mdr_store_get_stats(struct mdr_store *s, struct mdr_store_stats *st);

/* Configured partition span, in nanoseconds. */
uint64_t mdr_store_partition_ns(const struct mdr_store *s);

#endif
