/*
 * worker.c - one worker: decode, flow, reassembly, classification and the
 * application-layer parsers for its share of traffic.
 *
 * Everything a worker touches on the packet path is its own: decoder (with
 * its defrag pool), flow table, reassembly pool, nDPI module, parser pools,
 * counters. Every packet of a flow goes to nDPI until its answer is final;
 * UDP payloads and in-order TCP bytes go to the parsers, and a TCP
 * direction the parsers are done with stops being reassembled. Ended flows
 * become records (with their metadata) pushed to the writer's ring, and
 * transactions become events on a second ring; when a ring is full the
 * worker waits (replay: nothing may be lost) or counts a drop (live).
 */
#include "pipeline_int.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

static void push_record(struct worker *w, const struct mdr_flow_record *r)
{
	while (mdr_ring_push(w->out, r) != 0) {
		if (!w->pl->wait_when_full) {
			w->c.records_dropped++;
			return;
		}
		w->c.record_waits++;
		usleep(50);
	}
	w->c.records++;
}

/* Emit callback of the parsers: one transaction to the writer. */
static void push_event(void *ctx, const struct mdr_app_event *ev)
{
	struct worker *w = ctx;

	while (mdr_ring_push(w->events, ev) != 0) {
		if (!w->pl->wait_when_full) {
			w->c.events_dropped++;
			return;
		}
		w->c.event_waits++;
		usleep(50);
	}
	w->c.events++;
}

/* Flow end callback from the flow table. */
static void on_flow_end(void *ctx, struct mdr_flow *f, enum mdr_flow_end why)
{
	struct worker *w = ctx;
	struct mdr_flow_record rec;
	bool final = why != MDR_END_ACTIVE_TIMEOUT;

	if (final && w->reasm && f->key.proto == 6) {
		mdr_reasm_flush(w->reasm, &f->stream[0], f, 0);
		mdr_reasm_flush(w->reasm, &f->stream[1], f, 1);
	}
	mdr_record_from_flow(&rec, f, why, w->id);
	if (w->app)
		mdr_app_fill(w->app, f, &rec.meta, final);
	if (w->cls)
		mdr_classify_fill(w->cls, f, &rec.meta, final);
	push_record(w, &rec);
}

/* In-order TCP bytes: the application-layer parsers. */
static void on_stream_data(void *ctx, void *flow, int dir, const uint8_t *data,
			   uint32_t len, uint64_t offset)
{
	struct worker *w = ctx;

	(void)offset;
	w->c.stream_bytes += len;
	if (w->app)
		mdr_app_stream(w->app, flow, dir, data, len, w->now);
}

static void on_stream_gap(void *ctx, void *flow, int dir, uint64_t offset, uint64_t len)
{
	struct worker *w = ctx;

	(void)offset;
	if (w->app)
		mdr_app_gap(w->app, flow, dir, len);
}

static const struct mdr_reasm_ops reasm_ops = { .data = on_stream_data, .gap = on_stream_gap };

static int init_inspection(struct worker *w, char *eb, size_t el)
{
	const struct mdr_config *cfg = w->pl->cfg;

	if (cfg->classify.enabled) {
		w->cls = mdr_classify_create(&cfg->classify, cfg->flow.max_flows, eb, el);
		if (!w->cls)
			return -EINVAL;
	}
	if (cfg->app_layer_enabled) {
		w->events = mdr_ring_create(cfg->capture.event_ring, sizeof(struct mdr_app_event));
		w->app = mdr_app_create(cfg->flow.max_flows, w->id, push_event, w);
		if (!w->events || !w->app) {
			snprintf(eb, el, "worker %u: out of memory (capture.event-ring?)", w->id);
			return -ENOMEM;
		}
	}
	return 0;
}

int mdr_worker_init(struct worker *w, struct mdr_pipeline *pl, uint16_t id,
		    char *eb, size_t el)
{
	const struct mdr_config *cfg = pl->cfg;

	w->pl = pl;
	w->id = id;
	w->dec = mdr_decoder_create(&cfg->decode);
	w->flows = mdr_flow_table_create(&cfg->flow, id, on_flow_end, w);
	w->out = mdr_ring_create(cfg->capture.record_ring, sizeof(struct mdr_flow_record));
	if (cfg->reassembly_enabled)
		w->reasm = mdr_reasm_create(&cfg->reassembly, &reasm_ops, w);
	if (!pl->rss)
		w->in = mdr_bring_create(cfg->capture.ring_size);
	if (!w->dec || !w->flows || !w->out || (cfg->reassembly_enabled && !w->reasm) ||
	    (!pl->rss && !w->in)) {
		snprintf(eb, el, "worker %u: out of memory (flow.max-flows %u, "
			 "reassembly.memcap, capture.ring-size too large?)", id, cfg->flow.max_flows);
		return -ENOMEM;
	}
	return init_inspection(w, eb, el);
}

void mdr_worker_fini(struct worker *w)
{
	mdr_flow_table_free(w->flows);
	mdr_reasm_free(w->reasm);
	mdr_decoder_free(w->dec);
	mdr_ring_free(w->out);
	mdr_bring_free(w->in);
	mdr_classify_free(w->cls);
	mdr_app_free(w->app);
	mdr_ring_free(w->events);
}

/* Directions the parsers need nothing more from are not reassembled further. */
static void stop_done_streams(struct worker *w, struct mdr_flow *f)
{
	for (int d = 0; d < 2; d++)
		if (w->app && !(f->stream[d].flags & MDR_STREAM_F_DEPTH) && mdr_app_stream_done(f, d))
			mdr_reasm_stop(w->reasm, &f->stream[d]);
}

void mdr_worker_process(struct worker *w, const struct mdr_cap_pkt *pk)
{
	struct mdr_pkt p;
	struct mdr_flow *f;
	int dir;

	p.ts = pk->ts;
	p.data = pk->data;
	p.caplen = pk->caplen;
	p.wirelen = pk->wirelen;
	w->c.pkts++;
	w->c.bytes += pk->caplen;
	if (pk->ts > w->c.last_ts)
		w->c.last_ts = pk->ts;
	if (mdr_decode_packet(w->dec, w->pl->linktype, &p) != MDR_DECODE_OK)
		return;
	f = mdr_flow_process(w->flows, &p, &dir);
	if (!f)
		return;
	w->now = p.ts;
	if (w->cls)
		mdr_classify_packet(w->cls, f, &p, dir);
	if (p.key.proto == 17 && w->app)
		mdr_app_udp(w->app, f, dir, &p);
	if (p.key.proto != 6 || !w->reasm)
		return;
	mdr_reasm_segment(w->reasm, &f->stream[dir], f, dir, p.tcp_seq,
			  p.tcp_flags & TCP_SYN, p.tcp_flags & TCP_FIN, p.tcp_flags & TCP_RST,
			  p.payload, p.payload_len);
	if (p.tcp_flags & TCP_ACK)
		mdr_reasm_ack(w->reasm, &f->stream[dir ^ 1], f, dir ^ 1, p.tcp_ack);
	stop_done_streams(w, f);
}

void mdr_worker_tick(struct worker *w, mdr_time_t now)
{
	mdr_flow_expire(w->flows, now);
	mdr_decode_expire(w->dec, now);
}

static void idle_wait(unsigned *spins)
{
	if (++*spins < 256) {
		__builtin_ia32_pause();
	} else if (*spins < 1024) {
		sched_yield();
	} else {
		usleep(100);
	}
}

/* Dispatcher mode: consume the byte ring. */
static void worker_ring_loop(struct worker *w)
{
	unsigned spins = 0, batch = 0;

	for (;;) {
		uint32_t len;
		struct msg_hdr *h = mdr_bring_peek(w->in, &len);
		struct mdr_cap_pkt pk;

		if (!h) {
			if (batch) {
				mdr_bring_release(w->in);
				batch = 0;
			}
			idle_wait(&spins);
			continue;
		}
		spins = 0;
		if (h->kind == MSG_EOF) {
			mdr_bring_release(w->in);
			return;
		}
		if (h->kind == MSG_TICK) {
			mdr_worker_tick(w, h->ts);
		} else {
			pk.data = (const uint8_t *)(h + 1);
			pk.caplen = h->caplen;
			pk.wirelen = h->wirelen;
			pk.ts = h->ts;
			mdr_worker_process(w, &pk);
		}
		if (++batch >= 64) {
			mdr_bring_release(w->in);
			batch = 0;
		}
	}
}

static mdr_time_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (mdr_time_t)ts.tv_sec * MDR_NSEC_PER_SEC + (mdr_time_t)ts.tv_nsec;
}

/* RSS mode: poll our own queue; expire on packet time, or wall time when idle. */
static void worker_queue_loop(struct worker *w)
{
	struct mdr_cap_pkt pk[512];
	uint16_t burst = w->pl->cfg->dpdk.burst;
	unsigned spins = 0;

	while (!atomic_load_explicit(&w->pl->stop, memory_order_relaxed)) {
		int n = mdr_capture_burst(w->pl->cap, w->id, pk, burst);
		mdr_time_t now;

		if (n == -ENODATA)
			break;
		for (int i = 0; i < n; i++)
			mdr_worker_process(w, &pk[i]);
		if (n > 0) {
			spins = 0;
			now = w->c.last_ts;
		} else {
			idle_wait(&spins);
			now = w->pl->rss_replay ? w->c.last_ts : realtime_ns();
		}
		if (now >= w->next_expire) {
			mdr_worker_tick(w, now);
			w->next_expire = now + MDR_NSEC_PER_SEC;
		}
	}
}

void *mdr_worker_main(void *arg)
{
	struct worker *w = arg;
	struct timespec cpu;

	if (w->pl->rss)
		worker_queue_loop(w);
	else
		worker_ring_loop(w);
	mdr_flow_flush(w->flows);
	mdr_decode_expire(w->dec, UINT64_MAX); /* incomplete datagrams: counted */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	w->cpu_ns = (uint64_t)cpu.tv_sec * MDR_NSEC_PER_SEC + (uint64_t)cpu.tv_nsec;
	atomic_store(&w->done, 1);
	return NULL;
}
