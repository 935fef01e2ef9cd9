/*
 * pipeline_int.h - pipeline internals shared by its files.
 */
#ifndef MDR_PIPELINE_INT_H
#define MDR_PIPELINE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipeline.h"
#include "../applayer/applayer.h"
#include "../classify/classify.h"
#include "../decode/decode.h"
#include "../enrich/enrich.h"
#include "../flow/flow.h"
#include "../output/output.h"
#include "../reassembly/reassembly.h"
#include "../ring/ring.h"

enum msg_kind { MSG_PKT = 1, MSG_TICK, MSG_EOF };

/* Header of a record in a worker's byte ring; frame bytes follow. */
struct msg_hdr {
	mdr_time_t ts;
	uint32_t caplen, wirelen;
	uint32_t kind;
	uint32_t pad;
};

/* Counters a worker writes and other threads only read. */
struct worker_counters {
	uint64_t pkts, bytes;
	uint64_t records, records_dropped, record_waits;
	uint64_t stream_bytes;
	uint64_t events, events_dropped, event_waits;
	mdr_time_t last_ts;
} mdr_cache_aligned;

struct worker {
	struct mdr_pipeline *pl;
	uint16_t id;
	pthread_t thread;
	struct mdr_decoder *dec;
	struct mdr_flow_table *flows;
	struct mdr_reasm *reasm;
	struct mdr_bring *in;          /* from the dispatcher (NULL with RSS) */
	struct mdr_ring *out;          /* flow records to the writer */
	struct mdr_ring *events;       /* app-layer events to the writer */
	struct mdr_classify *cls;      /* nDPI, NULL when off */
	struct mdr_applayer *app;      /* parsers, NULL when off */
	mdr_time_t now;                /* time of the packet being processed */
	struct worker_counters c;
	atomic_int done;
	uint64_t cpu_ns;               /* thread CPU time, set when done */
	mdr_time_t next_expire;        /* RSS mode: packet time of next expiry pass */
} mdr_cache_aligned;

struct dispatch_counters {
	uint64_t pkts, bytes;
	uint64_t ring_full_drops, ring_full_waits, oversize_drops;
	mdr_time_t first_ts, last_ts;
};

struct mdr_pipeline {
	const struct mdr_config *cfg;
	struct mdr_capture *cap;
	int linktype;
	uint16_t nworkers;
	bool rss;                      /* workers poll their own queues */
	bool wait_when_full;
	bool rss_replay;               /* RSS over a finite replay: packet time only */
	bool live;
	struct worker *w;
	struct dispatch_counters d;
	pthread_t writer;
	struct mdr_jsonfile *eve, *stats;
	struct mdr_enrich *enrich;     /* writer side: GeoIP, home-net */
	uint64_t eve_lines;
	atomic_int stop;
	atomic_int writer_stop;
	double t_start, t_end;         /* wall seconds */
};

int mdr_worker_init(struct worker *w, struct mdr_pipeline *pl, uint16_t id,
		    char *errbuf, size_t errlen);
void mdr_worker_fini(struct worker *w);
void *mdr_worker_main(void *arg);
void mdr_worker_process(struct worker *w, const struct mdr_cap_pkt *pk);
void mdr_worker_tick(struct worker *w, mdr_time_t now);
void *mdr_writer_main(void *arg);
json_t *mdr_stats_json(struct mdr_pipeline *p);
double mdr_wall_seconds(void);

#endif
