/*
 * config.c - defaults, a typed key table, the YAML loader and --set.
 *
 * Every setting is one row of `keys[]`: its dotted name, type, where it
 * lives in struct mdr_config and its bounds. The YAML loader walks the
 * document tree building dotted paths and hands each scalar to the same
 * setter as "--set key=value", so unknown keys and bad values get one kind
 * of error everywhere: "FILE:LINE: key 'a.b': reason".
 * Sizes accept k/m/g suffixes (powers of 1024), durations s/m/h/ms.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

enum key_type { K_U32, K_U16, K_SIZE, K_SIZE32, K_DURATION, K_BOOL, K_STR, K_RINGFULL,
		K_NETLIST /* a string; in YAML also a list */ };

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;
	size_t len;          /* K_STR buffer size */
	uint64_t min, max;
	const char *help;
};

#define OFF(f) offsetof(struct mdr_config, f)
#define SZ(f) sizeof(((struct mdr_config *)0)->f)
#define GB (1024ull * 1024 * 1024)
#define DAY (86400ull * MDR_NSEC_PER_SEC)

static const struct key_def keys[] = {
	{ "workers", K_U32, OFF(workers), 0, 1, MDR_MAX_WORKERS, "worker threads" },
	{ "outdir", K_STR, OFF(outdir), SZ(outdir), 0, 0, "output directory (-l)" },
	{ "capture.ring-size", K_SIZE, OFF(capture.ring_size), 0, 1 << 20, 2 * GB - 1, "bytes of frames queued per worker" },
	{ "capture.record-ring", K_U32, OFF(capture.record_ring), 0, 64, 1 << 24, "flow records queued per worker" },
	{ "capture.event-ring", K_U32, OFF(capture.event_ring), 0, 64, 1 << 22, "app-layer events queued per worker" },
	{ "capture.ring-full", K_RINGFULL, OFF(capture.ring_full), 0, 0, 0, "auto|wait|drop" },
	{ "capture.snaplen", K_U32, OFF(capture.snaplen), 0, 64, 262144, "live capture snap length" },
	{ "capture.promisc", K_BOOL, OFF(capture.promisc), 0, 0, 0, "promiscuous mode" },
	{ "capture.bpf", K_STR, OFF(capture.bpf), SZ(capture.bpf), 0, 0, "libpcap filter" },
	{ "dpdk.eal-args", K_STR, OFF(dpdk.eal_args), SZ(dpdk.eal_args), 0, 0, "EAL arguments (--dpdk)" },
	{ "dpdk.port", K_U16, OFF(dpdk.port), 0, 0, 1023, "port id" },
	{ "dpdk.rx-desc", K_U16, OFF(dpdk.rx_desc), 0, 32, 32768, "RX descriptors per queue" },
	{ "dpdk.mbufs", K_U32, OFF(dpdk.mbufs), 0, 1023, 1 << 24, "mbuf pool size" },
	{ "dpdk.burst", K_U16, OFF(dpdk.burst), 0, 1, 512, "RX burst" },
	{ "dpdk.rss", K_BOOL, OFF(dpdk.rss), 0, 0, 0, "one RX queue per worker with symmetric RSS" },
	{ "dpdk.timestamp", K_BOOL, OFF(dpdk.timestamp), 0, 0, 0, "use the PMD RX timestamp" },
	{ "decode.checksum-validation", K_BOOL, OFF(decode.checksum_validation), 0, 0, 0, "drop packets with bad checksums (-k all)" },
	{ "decode.defrag.max-datagrams", K_U32, OFF(decode.frag_max_datagrams), 0, 1, 1 << 22, "datagrams reassembled at once" },
	{ "decode.defrag.max-size", K_U32, OFF(decode.frag_max_size), 0, 576, 65535 + 64, "largest datagram" },
	{ "decode.defrag.max-fragments", K_U32, OFF(decode.frag_max_frags), 0, 2, 8192, "fragments per datagram" },
	{ "decode.defrag.timeout", K_DURATION, OFF(decode.frag_timeout_ns), 0, MDR_NSEC_PER_SEC, DAY, "incomplete datagram lifetime" },
	{ "flow.max-flows", K_U32, OFF(flow.max_flows), 0, 16, 1u << 28, "flows per worker" },
	{ "flow.hash-size", K_U32, OFF(flow.hash_size), 0, 0, 1u << 30, "buckets per worker (0 = max-flows)" },
	{ "flow.timeouts.tcp-new", K_DURATION, OFF(flow.timeout_ns[MDR_TO_TCP_NEW]), 0, MDR_NSEC_PER_SEC, DAY, "TCP before the handshake completes" },
	{ "flow.timeouts.tcp-established", K_DURATION, OFF(flow.timeout_ns[MDR_TO_TCP_EST]), 0, MDR_NSEC_PER_SEC, DAY, "established TCP" },
	{ "flow.timeouts.tcp-closed", K_DURATION, OFF(flow.timeout_ns[MDR_TO_TCP_CLOSED]), 0, 0, DAY, "TCP after FIN/RST" },
	{ "flow.timeouts.udp", K_DURATION, OFF(flow.timeout_ns[MDR_TO_UDP]), 0, MDR_NSEC_PER_SEC, DAY, "UDP" },
	{ "flow.timeouts.icmp", K_DURATION, OFF(flow.timeout_ns[MDR_TO_ICMP]), 0, MDR_NSEC_PER_SEC, DAY, "ICMP" },
	{ "flow.timeouts.other", K_DURATION, OFF(flow.timeout_ns[MDR_TO_OTHER]), 0, MDR_NSEC_PER_SEC, DAY, "other IP protocols" },
	{ "flow.active-timeout", K_DURATION, OFF(flow.active_timeout_ns), 0, 0, DAY, "interim records for long flows (0 = off)" },
	{ "flow.evict-batch", K_U32, OFF(flow.evict_batch), 0, 1, 4096, "flows evicted at once when the table is full" },
	{ "reassembly.enabled", K_BOOL, OFF(reassembly_enabled), 0, 0, 0, "TCP stream reassembly" },
	{ "reassembly.depth", K_SIZE, OFF(reassembly.depth), 0, 0, 1ull << 40, "bytes per direction (0 = unlimited)" },
	{ "reassembly.memcap", K_SIZE, OFF(reassembly.memcap), 0, 1 << 16, 64 * GB, "out-of-order bytes per worker" },
	{ "reassembly.stream-buffer", K_SIZE32, OFF(reassembly.max_stream_buffer), 0, 4096, 1 << 30, "out-of-order bytes per stream" },
	{ "classify.enabled", K_BOOL, OFF(classify.enabled), 0, 0, 0, "nDPI protocol classification" },
	{ "classify.max-packets", K_U32, OFF(classify.max_pkts), 0, 1, 100000, "TCP/other packets fed to nDPI before it guesses" },
	{ "classify.max-packets-udp", K_U32, OFF(classify.max_pkts_udp), 0, 1, 100000, "UDP packets fed to nDPI before it guesses" },
	{ "classify.protos-file", K_STR, OFF(classify.protos_file), SZ(classify.protos_file), 0, 0, "nDPI protocols file (\"\" = none)" },
	{ "classify.categories-file", K_STR, OFF(classify.categories_file), SZ(classify.categories_file), 0, 0, "nDPI categories file" },
	{ "classify.risky-domains-file", K_STR, OFF(classify.risky_domains_file), SZ(classify.risky_domains_file), 0, 0, "nDPI risky domains file" },
	{ "classify.ja3-file", K_STR, OFF(classify.ja3_file), SZ(classify.ja3_file), 0, 0, "malicious JA3 fingerprints (CSV)" },
	{ "classify.sha1-file", K_STR, OFF(classify.sha1_file), SZ(classify.sha1_file), 0, 0, "malicious certificate SHA-1s (CSV)" },
	{ "app-layer.enabled", K_BOOL, OFF(app_layer_enabled), 0, 0, 0, "DNS/HTTP/TLS/SSH/credential parsers and their events" },
	{ "geoip.city-db", K_STR, OFF(enrich.city_db), SZ(enrich.city_db), 0, 0, "MaxMind City database (\"\" = off)" },
	{ "geoip.asn-db", K_STR, OFF(enrich.asn_db), SZ(enrich.asn_db), 0, 0, "MaxMind ASN database (\"\" = off)" },
	{ "home-net", K_NETLIST, OFF(enrich.home_net), SZ(enrich.home_net), 0, 0, "the customer's networks" },
	{ "outputs.eve.enabled", K_BOOL, OFF(output.eve_enabled), 0, 0, 0, "write EVE JSON" },
	{ "outputs.eve.filename", K_STR, OFF(output.eve_filename), SZ(output.eve_filename), 0, 0, "EVE file (relative to outdir)" },
	{ "outputs.stats.enabled", K_BOOL, OFF(output.stats_enabled), 0, 0, 0, "write stats JSON lines" },
	{ "outputs.stats.filename", K_STR, OFF(output.stats_filename), SZ(output.stats_filename), 0, 0, "stats file (relative to outdir)" },
	{ "outputs.stats.interval", K_U32, OFF(output.stats_interval), 0, 1, 86400, "seconds between stats lines" },
};

void mdr_config_default(struct mdr_config *c)
{
	memset(c, 0, sizeof(*c));
	c->workers = 1;
	strcpy(c->outdir, ".");
	c->capture.ring_size = 32u << 20;
	c->capture.record_ring = 16384;
	c->capture.event_ring = 4096;
	c->capture.ring_full = MDR_RING_FULL_AUTO;
	c->capture.snaplen = 65535;
	c->capture.promisc = true;
	c->dpdk.port = 0;
	c->dpdk.rx_desc = 1024;
	c->dpdk.mbufs = 16383;
	c->dpdk.burst = 32;
	c->dpdk.rss = true;
	c->dpdk.timestamp = true;
	mdr_decode_config_default(&c->decode);
	mdr_flow_config_default(&c->flow);
	mdr_reasm_config_default(&c->reassembly);
	c->reassembly_enabled = true;
	mdr_classify_config_default(&c->classify);
	c->app_layer_enabled = true;
	mdr_enrich_config_default(&c->enrich);
	c->output.eve_enabled = true;
	strcpy(c->output.eve_filename, "eve.json");
	c->output.stats_enabled = true;
	strcpy(c->output.stats_filename, "stats.json");
	c->output.stats_interval = 10;
}

static int errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < MDR_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Parse a number with an optional unit; mult_units = size or duration table. */
static int parse_num(const char *v, bool duration, uint64_t *out)
{
	char *end;
	unsigned long long n;
	double f;
	uint64_t m = duration ? MDR_NSEC_PER_SEC : 1;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	n = strtoull(v, &end, 10);
	f = (double)n;
	if (*end == '.') { /* fractional: "1.5s", "0.5m" */
		f = strtod(v, &end);
	}
	if (errno)
		return -ERANGE;
	while (*end == ' ')
		end++;
	if (duration) {
		if (!strcasecmp(end, "ms")) m = 1000000ull;
		else if (!strcasecmp(end, "us")) m = 1000ull;
		else if (!strcasecmp(end, "s") || !*end) m = MDR_NSEC_PER_SEC;
		else if (!strcasecmp(end, "m") || !strcasecmp(end, "min")) m = 60 * MDR_NSEC_PER_SEC;
		else if (!strcasecmp(end, "h")) m = 3600 * MDR_NSEC_PER_SEC;
		else if (!strcasecmp(end, "d")) m = 86400 * MDR_NSEC_PER_SEC;
		else return -EINVAL;
	} else if (*end) {
		char u = (char)tolower((unsigned char)*end);
		if (u == 'k') m = 1024ull;
		else if (u == 'm') m = 1024ull * 1024;
		else if (u == 'g') m = 1024ull * 1024 * 1024;
		else return -EINVAL;
		if (end[1] && strcasecmp(end + 1, "b") && strcasecmp(end + 1, "ib"))
			return -EINVAL;
	}
	if (f * (double)m > 1.8e19)
		return -ERANGE;
	*out = (uint64_t)(f * (double)m + 0.5);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) { *out = true; return 0; }
		if (!strcasecmp(v, no[i])) { *out = false; return 0; }
	}
	return -EINVAL;
}

static int set_number(struct mdr_config *c, const struct key_def *k,
		      const char *v, const char *where, char *eb, size_t el)
{
	uint64_t n;
	int rc = parse_num(v, k->type == K_DURATION, &n);

	if (rc)
		return errf(eb, el, "%skey '%s': '%s' is not a %s", where, k->name, v,
			    k->type == K_DURATION ? "duration (e.g. 30s, 5m, 2h)" :
			    k->type == K_SIZE || k->type == K_SIZE32 ? "size (e.g. 4096, 64kb, 32mb, 1gb)" : "number");
	if (n < k->min || n > k->max)
		return errf(eb, el, "%skey '%s': %s is out of range [%" PRIu64 ", %" PRIu64 "]%s",
			    where, k->name, v,
			    k->type == K_DURATION ? k->min / MDR_NSEC_PER_SEC : k->min,
			    k->type == K_DURATION ? k->max / MDR_NSEC_PER_SEC : k->max,
			    k->type == K_DURATION ? " seconds" : "");
	switch (k->type) {
	case K_U16: *(uint16_t *)((char *)c + k->off) = (uint16_t)n; break;
	case K_U32:
	case K_SIZE32: *(uint32_t *)((char *)c + k->off) = (uint32_t)n; break;
	default: *(uint64_t *)((char *)c + k->off) = n; break;
	}
	return 0;
}

static int set_value(struct mdr_config *c, const char *key, const char *v,
		     const char *where, char *eb, size_t el)
{
	const struct key_def *k = find_key(key);
	void *dst;

	if (!k) {
		errf(eb, el, "%sunknown key '%s'", where, key);
		return -ENOENT;
	}
	dst = (char *)c + k->off;
	switch (k->type) {
	case K_BOOL:
		if (parse_bool(v, dst))
			return errf(eb, el, "%skey '%s': '%s' is not a boolean (yes/no)", where, key, v);
		return 0;
	case K_STR:
	case K_NETLIST:
		if (strlen(v) >= k->len)
			return errf(eb, el, "%skey '%s': value longer than %zu bytes", where, key, k->len - 1);
		strcpy(dst, v);
		return 0;
	case K_RINGFULL:
		if (!strcasecmp(v, "auto")) *(int *)dst = MDR_RING_FULL_AUTO;
		else if (!strcasecmp(v, "wait")) *(int *)dst = MDR_RING_FULL_WAIT;
		else if (!strcasecmp(v, "drop")) *(int *)dst = MDR_RING_FULL_DROP;
		else return errf(eb, el, "%skey '%s': '%s' is not one of auto, wait, drop", where, key, v);
		return 0;
	default:
		return set_number(c, k, v, where, eb, el);
	}
}

int mdr_config_set(struct mdr_config *c, const char *assignment, char *errbuf, size_t errlen)
{
	char key[256];
	const char *eq = strchr(assignment, '=');

	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(key))
		return errf(errbuf, errlen, "--set '%s': expected key=value", assignment);
	memcpy(key, assignment, (size_t)(eq - assignment));
	key[eq - assignment] = 0;
	return set_value(c, key, eq + 1, "--set: ", errbuf, errlen);
}

/* ---- YAML ---- */

struct yctx {
	struct mdr_config *c;
	yaml_document_t *doc;
	const char *path;
	char *eb;
	size_t el;
};

/* A YAML list is accepted for list keys (home-net): joined as "[a,b,c]". */
static int walk_list(struct yctx *y, yaml_node_t *n, const char *key, const char *where)
{
	const struct key_def *k = find_key(key);
	char buf[MDR_HOMENET_STR];
	size_t o = 1;

	if (!k || k->type != K_NETLIST)
		return errf(y->eb, y->el, "%skey '%s': a list is not accepted here", where, key);
	buf[0] = '[';
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(y->doc, *i);
		const char *v;

		if (!e || e->type != YAML_SCALAR_NODE)
			return errf(y->eb, y->el, "%skey '%s': list items must be plain values", where, key);
		v = (const char *)e->data.scalar.value;
		if (o + strlen(v) + 3 > sizeof(buf))
			return errf(y->eb, y->el, "%skey '%s': list too long", where, key);
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o > 1 ? "," : "", v);
	}
	snprintf(buf + o, sizeof(buf) - o, "]");
	return set_value(y->c, key, buf, where, y->eb, y->el);
}

static int walk(struct yctx *y, yaml_node_t *n, const char *prefix, int depth)
{
	char where[MDR_PATH_MAX + 32], key[512];

	snprintf(where, sizeof(where), "%s:%zu: ", y->path, n->start_mark.line + 1);
	if (depth > 8)
		return errf(y->eb, y->el, "%skey '%s': nested too deep", where, prefix);
	if (n->type == YAML_SCALAR_NODE) {
		if (!*prefix)
			return errf(y->eb, y->el, "%sexpected a mapping at the top level", where);
		return set_value(y->c, prefix, (const char *)n->data.scalar.value, where, y->eb, y->el);
	}
	if (n->type == YAML_SEQUENCE_NODE)
		return walk_list(y, n, prefix, where);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		int rc;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return errf(y->eb, y->el, "%skey under '%s' is not a plain name", where, prefix);
		int kl = snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
				  (const char *)k->data.scalar.value);

		if (kl < 0 || (size_t)kl >= sizeof(key))
			return errf(y->eb, y->el, "%skey under '%s' is too long", where, prefix);
		rc = walk(y, v, key, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

int mdr_config_load(struct mdr_config *c, const char *path, char *errbuf, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f) {
		rc = -errno;
		errf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = errf(errbuf, errlen, "%s:%zu: YAML error: %s", path,
			  parser.problem_mark.line + 1,
			  parser.problem ? parser.problem : "syntax");
	} else {
		root = yaml_document_get_root_node(&doc);
		if (root) {
			struct yctx y = { c, &doc, path, errbuf, errlen };
			rc = root->type == YAML_MAPPING_NODE ? walk(&y, root, "", 0)
				: errf(errbuf, errlen, "%s: top level must be a mapping", path);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static int validate_home_net(const struct mdr_config *c, char *errbuf, size_t errlen)
{
	struct mdr_homenet *hn = malloc(sizeof(*hn));
	char err[160];
	int rc;

	if (!hn)
		return -ENOMEM;
	rc = mdr_homenet_parse(c->enrich.home_net, hn, err, sizeof(err));
	free(hn);
	if (rc)
		return errf(errbuf, errlen, "key 'home-net': %s", err);
	return 0;
}

int mdr_config_validate(const struct mdr_config *c, char *errbuf, size_t errlen)
{
	if (c->flow.hash_size && (c->flow.hash_size & (c->flow.hash_size - 1)))
		return errf(errbuf, errlen, "key 'flow.hash-size': %u is not a power of two",
			    c->flow.hash_size);
	if (c->flow.active_timeout_ns && c->flow.active_timeout_ns < MDR_NSEC_PER_SEC)
		return errf(errbuf, errlen, "key 'flow.active-timeout': must be 0 or >= 1s");
	if (c->reassembly.max_stream_buffer > c->reassembly.memcap)
		return errf(errbuf, errlen, "key 'reassembly.stream-buffer': larger than reassembly.memcap");
	if (!c->outdir[0])
		return errf(errbuf, errlen, "key 'outdir': empty");
	return validate_home_net(c, errbuf, errlen);
}

void mdr_config_dump(const struct mdr_config *c, FILE *out)
{
	static const char *rf[] = { "auto", "wait", "drop" };

	for (size_t i = 0; i < MDR_ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		const void *p = (const char *)c + k->off;

		fprintf(out, "%-32s ", k->name);
		switch (k->type) {
		case K_U16: fprintf(out, "%u", *(const uint16_t *)p); break;
		case K_U32:
		case K_SIZE32: fprintf(out, "%u", *(const uint32_t *)p); break;
		case K_SIZE: fprintf(out, "%" PRIu64, *(const uint64_t *)p); break;
		case K_DURATION: fprintf(out, "%gs", (double)*(const uint64_t *)p / 1e9); break;
		case K_BOOL: fprintf(out, "%s", *(const bool *)p ? "yes" : "no"); break;
		case K_STR:
		case K_NETLIST: fprintf(out, "\"%s\"", (const char *)p); break;
		case K_RINGFULL: fprintf(out, "%s", rf[*(const int *)p % 3]); break;
		}
		fprintf(out, "    # %s\n", k->help);
	}
}
