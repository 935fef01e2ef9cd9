/*
 * pipeline.c - creating the threads and the dispatcher loop.
 *
 * The calling thread becomes the dispatcher (unless the port does RSS): it
 * reads bursts from the capture, picks a worker with the symmetric outer-IP
 * hash, and copies each frame once into that worker's byte ring. Every
 * second of packet time it sends a tick to all workers; at the end an EOF.
 */
#include "pipeline_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_outputs(struct mdr_pipeline *p, char *eb, size_t el)
{
	const struct mdr_config *cfg = p->cfg;
	char path[MDR_PATH_MAX * 2 + 2];
	int err = 0;

	if (cfg->output.eve_enabled) {
		snprintf(path, sizeof(path), "%s/%s", cfg->outdir, cfg->output.eve_filename);
		if (!(p->eve = mdr_jsonfile_open(path, &err))) {
			snprintf(eb, el, "%s: %s", path, strerror(-err));
			return err;
		}
	}
	if (cfg->output.stats_enabled) {
		snprintf(path, sizeof(path), "%s/%s", cfg->outdir, cfg->output.stats_filename);
		if (!(p->stats = mdr_jsonfile_open(path, &err))) {
			snprintf(eb, el, "%s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

struct mdr_pipeline *mdr_pipeline_create(const struct mdr_config *cfg, struct mdr_capture *cap,
					 char *errbuf, size_t errlen)
{
	struct mdr_pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		goto nomem;
	p->cfg = cfg;
	p->cap = cap;
	p->linktype = mdr_capture_linktype(cap);
	p->nworkers = (uint16_t)cfg->workers;
	p->live = !mdr_capture_is_replay(cap);
	p->rss = mdr_capture_queues(cap) > 1 && mdr_capture_queues(cap) == p->nworkers;
	p->rss_replay = p->rss && !p->live;
	p->wait_when_full = cfg->capture.ring_full == MDR_RING_FULL_WAIT ||
			    (cfg->capture.ring_full == MDR_RING_FULL_AUTO && !p->live);
	p->w = aligned_alloc(MDR_CACHE_LINE, sizeof(*p->w) * p->nworkers);
	if (!p->w)
		goto nomem;
	memset(p->w, 0, sizeof(*p->w) * p->nworkers);
	for (uint16_t i = 0; i < p->nworkers; i++)
		if (mdr_worker_init(&p->w[i], p, i, errbuf, errlen) != 0) {
			mdr_pipeline_free(p);
			return NULL;
		}
	p->enrich = mdr_enrich_create(&cfg->enrich, errbuf, errlen);
	if (!p->enrich) {
		mdr_pipeline_free(p);
		return NULL;
	}
	if (open_outputs(p, errbuf, errlen) != 0) {
		mdr_pipeline_free(p);
		return NULL;
	}
	return p;
nomem:
	free(p);
	snprintf(errbuf, errlen, "out of memory");
	return NULL;
}

/* Put one message into a worker ring; waits unless dropping is allowed. */
static bool enqueue(struct mdr_pipeline *p, struct worker *w, uint32_t kind,
		    const struct mdr_cap_pkt *pk, mdr_time_t ts, bool may_drop)
{
	uint32_t caplen = pk ? pk->caplen : 0;
	struct msg_hdr *h;
	unsigned spins = 0;

	if (caplen > mdr_bring_max_record(w->in) - sizeof(*h)) {
		p->d.oversize_drops++;
		return false;
	}
	while (!(h = mdr_bring_reserve(w->in, (uint32_t)sizeof(*h) + caplen))) {
		if (may_drop) {
			p->d.ring_full_drops++;
			return false;
		}
		if (spins++ == 0)
			p->d.ring_full_waits++;
		if (spins < 64)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
	h->ts = ts;
	h->kind = kind;
	h->caplen = caplen;
	h->wirelen = pk ? pk->wirelen : 0;
	if (caplen)
		memcpy(h + 1, pk->data, caplen);
	mdr_bring_commit(w->in);
	return true;
}

static void broadcast(struct mdr_pipeline *p, uint32_t kind, mdr_time_t ts)
{
	for (uint16_t i = 0; i < p->nworkers; i++)
		enqueue(p, &p->w[i], kind, NULL, ts, false);
}

static void dispatch_one(struct mdr_pipeline *p, const struct mdr_cap_pkt *pk,
			 mdr_time_t *next_tick)
{
	uint16_t wi = 0;

	if (p->d.pkts == 0)
		p->d.first_ts = pk->ts;
	p->d.pkts++;
	p->d.bytes += pk->caplen;
	if (pk->ts > p->d.last_ts)
		p->d.last_ts = pk->ts;
	if (pk->ts >= *next_tick) {
		broadcast(p, MSG_TICK, pk->ts);
		*next_tick = pk->ts + MDR_NSEC_PER_SEC;
	}
	if (p->nworkers > 1)
		wi = (uint16_t)(mdr_decode_dispatch_hash(p->linktype, pk->data, pk->caplen) %
				p->nworkers);
	enqueue(p, &p->w[wi], MSG_PKT, pk, pk->ts, !p->wait_when_full);
}

static void dispatch_loop(struct mdr_pipeline *p)
{
	struct mdr_cap_pkt pk[512];
	uint16_t burst = p->cfg->dpdk.burst;
	mdr_time_t next_tick = 0;
	double idle_since = 0;

	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		int n = mdr_capture_burst(p->cap, 0, pk, burst);

		if (n == -ENODATA)
			break;
		if (n <= 0) {
			/* live and quiet: let timeouts advance with the wall clock */
			double now = mdr_wall_seconds();
			if (!p->live || !p->d.pkts)
				continue;
			if (idle_since == 0)
				idle_since = now;
			else if (now - idle_since >= 1.0) {
				p->d.last_ts += (mdr_time_t)((now - idle_since) * 1e9);
				broadcast(p, MSG_TICK, p->d.last_ts);
				idle_since = now;
			}
			continue;
		}
		idle_since = 0;
		for (int i = 0; i < n; i++)
			dispatch_one(p, &pk[i], &next_tick);
	}
	broadcast(p, MSG_EOF, p->d.last_ts);
}

int mdr_pipeline_run(struct mdr_pipeline *p)
{
	int rc;

	p->t_start = mdr_wall_seconds();
	for (uint16_t i = 0; i < p->nworkers; i++) {
		rc = pthread_create(&p->w[i].thread, NULL, mdr_worker_main, &p->w[i]);
		if (rc != 0) {
			fprintf(stderr, "mdrprobe: cannot start worker %u: %s\n", i, strerror(rc));
			atomic_store(&p->stop, 1);
			for (uint16_t k = 0; k < i; k++)
				if (!p->rss)
					enqueue(p, &p->w[k], MSG_EOF, NULL, 0, false);
			for (uint16_t k = 0; k < i; k++)
				pthread_join(p->w[k].thread, NULL);
			return -rc;
		}
	}
	rc = pthread_create(&p->writer, NULL, mdr_writer_main, p);
	if (rc != 0) {
		fprintf(stderr, "mdrprobe: cannot start writer: %s\n", strerror(rc));
		return -rc;
	}
	if (!p->rss)
		dispatch_loop(p);
	for (uint16_t i = 0; i < p->nworkers; i++)
		pthread_join(p->w[i].thread, NULL);
	pthread_join(p->writer, NULL);
	p->t_end = mdr_wall_seconds();
	if (p->stats) {
		json_t *s = mdr_stats_json(p);
		mdr_jsonfile_write(p->stats, s);
		json_decref(s);
	}
	return 0;
}

void mdr_pipeline_stop(struct mdr_pipeline *p)
{
	atomic_store(&p->stop, 1);
	mdr_capture_break(p->cap);
}

void mdr_pipeline_free(struct mdr_pipeline *p)
{
	if (!p)
		return;
	if (p->w)
		for (uint16_t i = 0; i < p->nworkers; i++)
			mdr_worker_fini(&p->w[i]);
	free(p->w);
	mdr_enrich_free(p->enrich);
	mdr_jsonfile_close(p->eve);
	mdr_jsonfile_close(p->stats);
	free(p);
}
