/*
 * summary.c - the end-of-run report printed by the CLI.
 *
 * Reads the same counters as the stats event and prints them for a human:
 * volume and rate, decode results and errors by reason, flows by end
 * reason, reassembly, classification and transactions, every kind of drop.
 */
#include "pipeline_int.h"

#include <inttypes.h>

static uint64_t jget(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *tok;
	json_t *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, tok);
	return cur ? (uint64_t)json_integer_value(cur) : 0;
}

static void print_errors(json_t *ev, FILE *out)
{
	const char *k;
	json_t *v;
	int n = 0;

	json_object_foreach(ev, k, v) {
		fprintf(out, "%s%s %" JSON_INTEGER_FORMAT, n++ ? ", " : " (", k, json_integer_value(v));
	}
	fprintf(out, "%s\n", n ? ")" : "");
}

static uint64_t total_cpu(const struct mdr_pipeline *p)
{
	uint64_t t = 0;

	for (uint16_t i = 0; i < p->nworkers; i++)
		t += p->w[i].cpu_ns;
	return t;
}

void mdr_pipeline_print_summary(struct mdr_pipeline *p, FILE *out)
{
	json_t *s = mdr_stats_json(p), *st = json_object_get(s, "stats");
	double el = (p->t_end > p->t_start ? p->t_end : mdr_wall_seconds()) - p->t_start;
	uint64_t pk = jget(st, "decoder.pkts"), by = jget(st, "decoder.bytes");
	uint64_t errs = 0;
	json_t *ev = json_object_get(json_object_get(st, "decoder"), "event"), *v;
	const char *k;

	json_object_foreach(ev, k, v)
		if (strcmp(k, "not_ip") != 0)
			errs += (uint64_t)json_integer_value(v);
	if (el <= 0)
		el = 1e-9;
	fprintf(out, "source:      %s, %u worker%s%s\n", mdr_capture_describe(p->cap), p->nworkers,
		p->nworkers > 1 ? "s" : "", p->rss ? " (RSS)" : "");
	fprintf(out, "packets:     %" PRIu64 " (%" PRIu64 " bytes) in %.3f s: %.3f Gbps, %.3f Mpps\n",
		pk, by, el, (double)by * 8 / el / 1e9, (double)pk / el / 1e6);
	fprintf(out, "decoded:     %" PRIu64 " (ipv4 %" PRIu64 ", ipv6 %" PRIu64 ", tcp %" PRIu64
		", udp %" PRIu64 ", icmp %" PRIu64 ", fragments reassembled %" PRIu64 ")\n",
		jget(st, "decoder.ok"), jget(st, "decoder.ipv4"), jget(st, "decoder.ipv6"),
		jget(st, "decoder.tcp"), jget(st, "decoder.udp"), jget(st, "decoder.icmp"),
		jget(st, "decoder.frag_reassembled"));
	fprintf(out, "not decoded: %" PRIu64 " errors, %" PRIu64 " not IP", errs,
		jget(st, "decoder.event.not_ip"));
	print_errors(ev, out);
	fprintf(out, "flows:       %" PRIu64 " (records %" PRIu64 ", interim %" PRIu64
		", evicted %" PRIu64 ")\n", jget(st, "flow.created"), jget(st, "flow.records"),
		jget(st, "flow.interim"), jget(st, "flow.evicted"));
	fprintf(out, "tcp streams: %" PRIu64 " bytes reassembled, %" PRIu64 " gaps, %" PRIu64
		" overlaps, %" PRIu64 " out of order\n", jget(st, "tcp.reassembled_bytes"),
		jget(st, "tcp.gaps"), jget(st, "tcp.overlaps"), jget(st, "tcp.out_of_order"));
	if (p->cfg->classify.enabled)
		fprintf(out, "ndpi:        %" PRIu64 " flows: %" PRIu64 " detected, %" PRIu64
			" guessed, %" PRIu64 " unknown; %" PRIu64 " packets inspected\n",
			jget(st, "ndpi.flows"), jget(st, "ndpi.detected"), jget(st, "ndpi.guessed"),
			jget(st, "ndpi.unknown"), jget(st, "ndpi.pkts"));
	if (p->cfg->app_layer_enabled)
		fprintf(out, "app layer:   %" PRIu64 " http, %" PRIu64 " dns, %" PRIu64 " tls, %" PRIu64
			" ssh transactions; %" PRIu64 " clear-text credentials; %" PRIu64
			" events dropped\n", jget(st, "app_layer.tx.http"), jget(st, "app_layer.tx.dns"),
			jget(st, "app_layer.tx.tls"), jget(st, "app_layer.tx.ssh"),
			jget(st, "app_layer.cleartext_credentials"), jget(st, "app_layer.events_dropped"));
	fprintf(out, "drops:       capture %" PRIu64 ", interface %" PRIu64 ", ring full %" PRIu64
		", oversize %" PRIu64 ", records %" PRIu64 "\n", jget(st, "capture.kernel_drops"),
		jget(st, "capture.kernel_ifdrops"), jget(st, "capture.ring_full_drops"),
		jget(st, "capture.oversize_drops"), jget(st, "flow.records_dropped"));
	fprintf(out, "worker cpu:  %.3f s (", 0.0 + (double)total_cpu(p) / 1e9);
	for (uint16_t i = 0; i < p->nworkers; i++)
		fprintf(out, "%s%.3f", i ? ", " : "", (double)p->w[i].cpu_ns / 1e9);
	fprintf(out, ")\n");
	if (p->eve)
		fprintf(out, "eve:         %" PRIu64 " events written, %" PRIu64 " write errors\n",
			mdr_jsonfile_lines(p->eve), mdr_jsonfile_errors(p->eve));
	json_decref(s);
}
