/*
 * writer.c - the writer thread: events and flow records to eve.json,
 * periodic stats.
 *
 * Slow I/O lives here, off the packet path. The writer drains every
 * worker's event ring (application-layer transactions) and record ring in
 * turn, enriches flow records (GeoIP, home-net: slow lookups stay off the
 * workers), formats EVE lines, flushes when idle and
 * writes a Suricata-shaped "stats" event every outputs.stats.interval
 * seconds (and once at the end). It exits when every worker is done and
 * every ring is empty. Counters of other threads are read without locks:
 * they are naturally aligned 64-bit words written by one thread each.
 */
#include "pipeline_int.h"

#include <time.h>
#include <unistd.h>

double mdr_wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_eve(struct mdr_pipeline *p, json_t *o)
{
	if (o) {
		mdr_jsonfile_write(p->eve, o);
		json_decref(o);
	}
}

/* Events first: a flow's transactions come before its flow record. */
static uint32_t drain_events(struct mdr_pipeline *p, struct worker *w)
{
	static _Thread_local struct mdr_app_event evs[16];
	uint32_t n;

	if (!w->events)
		return 0;
	n = mdr_ring_pop(w->events, evs, MDR_ARRAY_SIZE(evs));
	for (uint32_t k = 0; k < n && p->eve; k++)
		write_eve(p, mdr_eve_app(&evs[k]));
	return n;
}

static uint32_t drain(struct mdr_pipeline *p)
{
	static _Thread_local struct mdr_flow_record recs[64];
	uint32_t total = 0;

	for (uint16_t i = 0; i < p->nworkers; i++) {
		uint32_t n;

		total += drain_events(p, &p->w[i]);
		n = mdr_ring_pop(p->w[i].out, recs, MDR_ARRAY_SIZE(recs));
		for (uint32_t k = 0; k < n; k++) {
			if (p->enrich)
				mdr_enrich_record(p->enrich, &recs[k]);
			if (p->eve)
				write_eve(p, mdr_eve_flow(&recs[k]));
		}
		total += n;
	}
	return total;
}

static bool all_done(struct mdr_pipeline *p)
{
	for (uint16_t i = 0; i < p->nworkers; i++)
		if (!atomic_load(&p->w[i].done))
			return false;
	return true;
}

static void write_stats(struct mdr_pipeline *p)
{
	json_t *s;

	if (!p->stats)
		return;
	s = mdr_stats_json(p);
	if (s) {
		mdr_jsonfile_write(p->stats, s);
		mdr_jsonfile_flush(p->stats);
		json_decref(s);
	}
}

void *mdr_writer_main(void *arg)
{
	struct mdr_pipeline *p = arg;
	double next_stats = mdr_wall_seconds() + p->cfg->output.stats_interval;
	bool dirty = false;

	for (;;) {
		bool done = all_done(p); /* read before draining: nothing can follow */
		uint32_t n = drain(p);

		if (n) {
			dirty = true;
			continue;
		}
		if (done)
			break;
		if (dirty && p->eve) {
			mdr_jsonfile_flush(p->eve);
			dirty = false;
		}
		if (mdr_wall_seconds() >= next_stats) {
			write_stats(p);
			next_stats += p->cfg->output.stats_interval;
		}
		usleep(1000);
	}
	if (p->eve)
		mdr_jsonfile_flush(p->eve);
	return NULL;
}

/* ---- stats ---- */

static void add(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

struct totals {
	struct mdr_decode_stats dec;
	struct mdr_flow_stats flow;
	struct mdr_reasm_stats reasm;
	struct mdr_classify_stats cls;
	struct mdr_app_stats app;
	struct worker_counters wc;
};

static void sum_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

static void gather(struct mdr_pipeline *p, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (uint16_t i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->w[i];

		sum_u64((uint64_t *)&t->dec, (const uint64_t *)mdr_decode_get_stats(w->dec),
			sizeof(t->dec) / 8);
		sum_u64((uint64_t *)&t->flow, (const uint64_t *)mdr_flow_get_stats(w->flows),
			sizeof(t->flow) / 8);
		if (w->reasm)
			sum_u64((uint64_t *)&t->reasm, (const uint64_t *)mdr_reasm_get_stats(w->reasm),
				sizeof(t->reasm) / 8);
		if (w->cls)
			sum_u64((uint64_t *)&t->cls, (const uint64_t *)mdr_classify_get_stats(w->cls),
				sizeof(t->cls) / 8);
		if (w->app)
			sum_u64((uint64_t *)&t->app, (const uint64_t *)mdr_app_get_stats(w->app),
				sizeof(t->app) / 8);
		sum_u64((uint64_t *)&t->wc, (const uint64_t *)&w->c,
			offsetof(struct worker_counters, last_ts) / 8);
	}
}

static json_t *decoder_json(const struct totals *t)
{
	json_t *d = json_object(), *ev = json_object();

	add(d, "pkts", t->wc.pkts);
	add(d, "bytes", t->wc.bytes);
	add(d, "ok", t->dec.ok);
	add(d, "ipv4", t->dec.ipv4);
	add(d, "ipv6", t->dec.ipv6);
	add(d, "tcp", t->dec.tcp);
	add(d, "udp", t->dec.udp);
	add(d, "icmp", t->dec.icmp);
	add(d, "other_l4", t->dec.other_l4);
	add(d, "vlan", t->dec.vlan);
	add(d, "mpls", t->dec.mpls);
	add(d, "gre", t->dec.gre);
	add(d, "vxlan", t->dec.vxlan);
	add(d, "ipip", t->dec.ipip);
	add(d, "erspan", t->dec.erspan);
	add(d, "geneve", t->dec.geneve);
	add(d, "frag_seen", t->dec.frag_seen);
	add(d, "frag_reassembled", t->dec.frag_reassembled);
	add(d, "frag_dropped", t->dec.frag_dropped);
	for (int e = 1; e < MDR_DERR__COUNT; e++)
		if (t->dec.err[e])
			add(ev, mdr_decode_err_name((enum mdr_decode_err)e), t->dec.err[e]);
	json_object_set_new(d, "event", ev);
	return d;
}

static json_t *flow_json(const struct totals *t)
{
	json_t *f = json_object(), *end = json_object();

	add(f, "created", t->flow.created);
	add(f, "active", t->flow.active);
	add(f, "evicted", t->flow.evicted);
	add(f, "interim", t->flow.interim);
	add(f, "records", t->wc.records);
	add(f, "records_dropped", t->wc.records_dropped);
	for (int e = 0; e < MDR_END__COUNT; e++)
		add(end, mdr_flow_end_name((enum mdr_flow_end)e), t->flow.ended[e]);
	json_object_set_new(f, "end", end);
	return f;
}

static json_t *tcp_json(const struct totals *t)
{
	json_t *o = json_object();

	add(o, "segments", t->reasm.segments);
	add(o, "reassembled_bytes", t->reasm.bytes_delivered);
	add(o, "out_of_order", t->reasm.out_of_order);
	add(o, "retransmissions", t->reasm.retransmissions);
	add(o, "overlaps", t->reasm.overlaps);
	add(o, "overlaps_diff", t->reasm.overlaps_diff);
	add(o, "gaps", t->reasm.gaps);
	add(o, "gap_bytes", t->reasm.gap_bytes);
	add(o, "depth_reached", t->reasm.depth_reached);
	add(o, "memcap_drops", t->reasm.memcap_drops);
	add(o, "stream_limit_drops", t->reasm.stream_limit_drops);
	return o;
}

static json_t *ndpi_json(const struct totals *t)
{
	json_t *o = json_object();

	add(o, "flows", t->cls.flows);
	add(o, "pkts", t->cls.pkts);
	add(o, "detected", t->cls.detected);
	add(o, "guessed", t->cls.guessed);
	add(o, "unknown", t->cls.unknown);
	add(o, "gave_up", t->cls.gave_up);
	add(o, "no_state", t->cls.no_state);
	add(o, "ndpi_flows", t->cls.ndpi_flows);
	add(o, "ndpi_flows_peak", t->cls.ndpi_flows_peak);
	return o;
}

static json_t *app_json(const struct totals *t, const struct mdr_enrich *e)
{
	json_t *o = json_object(), *tx = json_object();

	add(o, "flows", t->app.flows);
	add(tx, "http", t->app.http_tx);
	add(tx, "dns", t->app.dns_tx);
	add(tx, "tls", t->app.tls_tx);
	add(tx, "ssh", t->app.ssh_tx);
	json_object_set_new(o, "tx", tx);
	add(o, "cleartext_credentials", t->app.creds);
	add(o, "parse_errors", t->app.parse_errors);
	add(o, "no_state", t->app.no_state);
	add(o, "no_buffer", t->app.no_buffer);
	add(o, "truncated", t->app.truncated);
	add(o, "events", t->wc.events);
	add(o, "events_dropped", t->wc.events_dropped);
	if (e) {
		const struct mdr_enrich_stats *es = mdr_enrich_get_stats(e);

		add(o, "geoip_hits", es->geo_hits);
		add(o, "asn_hits", es->asn_hits);
	}
	return o;
}

static json_t *capture_json(struct mdr_pipeline *p)
{
	struct mdr_capture_stats cs;
	json_t *c = json_object();

	mdr_capture_get_stats(p->cap, &cs);
	add(c, "kernel_packets", cs.received);
	add(c, "kernel_drops", cs.dropped);
	add(c, "kernel_ifdrops", cs.if_dropped);
	add(c, "errors", cs.errors);
	add(c, "ring_full_drops", p->d.ring_full_drops);
	add(c, "ring_full_waits", p->d.ring_full_waits);
	add(c, "oversize_drops", p->d.oversize_drops);
	return c;
}

json_t *mdr_stats_json(struct mdr_pipeline *p)
{
	struct totals t;
	json_t *o = json_object(), *s = json_object(), *thr = json_array();
	char ts[48];
	struct timespec now;

	gather(p, &t);
	clock_gettime(CLOCK_REALTIME, &now);
	mdr_eve_format_ts((mdr_time_t)now.tv_sec * MDR_NSEC_PER_SEC + (mdr_time_t)now.tv_nsec,
			  ts, sizeof(ts));
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "event_type", json_string("stats"));
	add(s, "uptime", (uint64_t)(mdr_wall_seconds() - p->t_start));
	json_object_set_new(s, "capture", capture_json(p));
	json_object_set_new(s, "decoder", decoder_json(&t));
	json_object_set_new(s, "flow", flow_json(&t));
	json_object_set_new(s, "tcp", tcp_json(&t));
	json_object_set_new(s, "ndpi", ndpi_json(&t));
	json_object_set_new(s, "app_layer", app_json(&t, p->enrich));
	for (uint16_t i = 0; i < p->nworkers; i++) {
		json_t *w = json_object();
		add(w, "worker", i);
		add(w, "pkts", p->w[i].c.pkts);
		add(w, "bytes", p->w[i].c.bytes);
		add(w, "flows_active", mdr_flow_get_stats(p->w[i].flows)->active);
		json_array_append_new(thr, w);
	}
	json_object_set_new(s, "workers", thr);
	json_object_set_new(o, "stats", s);
	return o;
}
