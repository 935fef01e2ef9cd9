/*
 * test_query.c - the query language against a brute-force reference.
 *
 * 24,000 synthetic records (storage/synth.c: IPv4 and IPv6, TCP/UDP/ICMP/
 * GRE/SCTP, TLS/HTTP/DNS names, JA3/JA4, sids, risks, countries, flows of
 * up to hours) spread over five days are stored in batches (half flushed
 * to SST files, half left in memtables). Every query construct is run
 * through mdr_query_run() and compared, row by row and in order, with a
 * filter written here independently over the same in-memory records:
 * single fields, CIDR v4/v6, name suffixes, and/or/not, time windows,
 * limit, sort, count by and top. Also: --explain names an index for
 * indexed fields and a full scan otherwise, and every parse error names
 * its column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "query.h"
#include "store.h"
#include "synth.h"

#define NREC 24000
#define DAY (86400ull * MDR_NSEC_PER_SEC)
#define HOUR (3600ull * MDR_NSEC_PER_SEC)
#define T0 (1715558400ull * MDR_NSEC_PER_SEC)   /* 2024-05-13T00:00:00Z */
#define NOW (T0 + 5 * DAY)

static struct mdr_flow_record *recs;
static struct mdr_store *store;
static char dir[64];

/* Values picked from the data for the queries. */
static struct {
	struct mdr_ip cli, srv, v6;
	char cli_s[64], srv_s[64], v6_s[64];
	uint16_t eph;
	char ja3[40], ja4[48], cid[64], sni[160];
	int risk;
} G;

/* ---- reference filter ---- */

typedef bool (*ref_fn)(const struct mdr_flow_record *r);

static bool has_ports(const struct mdr_flow_record *r)
{
	return r->key.proto == 6 || r->key.proto == 17 || r->key.proto == 132;
}

static bool ip_eq(const struct mdr_flow_record *r, int side, const struct mdr_ip *ip, int ver)
{
	size_t n = ver == 4 ? 4 : 16;

	if (r->key.ip_ver != ver)
		return false;
	return ((side & 1) && memcmp(r->key.src.b, ip->b, n) == 0) ||
	       ((side & 2) && memcmp(r->key.dst.b, ip->b, n) == 0);
}

static bool in_net(const uint8_t *a, const uint8_t *net, int plen)
{
	for (int bit = 0; bit < plen; bit++)
		if ((a[bit / 8] ^ net[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static bool cidr(const struct mdr_flow_record *r, int side, const char *net_s, int ver, int plen)
{
	struct mdr_ip net;

	memset(&net, 0, sizeof(net));
	inet_pton(ver == 4 ? AF_INET : AF_INET6, net_s, net.b);
	if (r->key.ip_ver != ver)
		return false;
	return ((side & 1) && in_net(r->key.src.b, net.b, plen)) ||
	       ((side & 2) && in_net(r->key.dst.b, net.b, plen));
}

static bool port(const struct mdr_flow_record *r, int side, uint16_t p)
{
	return has_ports(r) && (((side & 1) && r->key.sport == p) || ((side & 2) && r->key.dport == p));
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a > 0 && a >= b && strcasecmp(s + a - b, suf) == 0;
}

static bool has_sid(const struct mdr_flow_record *r, uint32_t sid)
{
	for (int i = 0; i < r->meta.nsids; i++)
		if (r->meta.sids[i] == sid)
			return true;
	return false;
}

static bool cid_is(const struct mdr_flow_record *r, const char *cid)
{
	char b[64];
	int rc = r->key.proto == 1 || r->key.proto == 58 ?
		 mdr_community_id_icmp(&r->key, r->icmp_type, r->icmp_code, 0, b, sizeof(b)) :
		 mdr_community_id(&r->key, 0, b, sizeof(b));

	return rc == 0 && strcmp(b, cid) == 0;
}

static uint64_t bytes(const struct mdr_flow_record *r)
{
	return r->bytes[0] + r->bytes[1];
}

static uint64_t pkts(const struct mdr_flow_record *r)
{
	return r->pkts[0] + r->pkts[1];
}

#define PRED(name, expr) \
	static bool name(const struct mdr_flow_record *r) { (void)r; return (expr); }

PRED(p_all, true)
PRED(p_ip_cli, ip_eq(r, 3, &G.cli, 4))
PRED(p_src_cli, ip_eq(r, 1, &G.cli, 4))
PRED(p_dst_srv, ip_eq(r, 2, &G.srv, 4))
PRED(p_src_srv, ip_eq(r, 1, &G.srv, 4))
PRED(p_ip_v6, ip_eq(r, 3, &G.v6, 6))
PRED(p_cidr_cli, cidr(r, 3, "10.1.0.0", 4, 22))
PRED(p_cidr_cli24, cidr(r, 1, "10.1.3.0", 4, 24))
PRED(p_cidr_srv, cidr(r, 2, "10.2.0.0", 4, 24))
PRED(p_cidr_v6, cidr(r, 1, "2001:db8:1::", 6, 120))
PRED(p_cidr_v6b, cidr(r, 3, "2a00:1450::", 6, 42))
PRED(p_cidr_all4, r->key.ip_ver == 4)
PRED(p_port445, port(r, 3, 445))
PRED(p_dport53, port(r, 2, 53))
PRED(p_sport_eph, port(r, 1, G.eph))
PRED(p_port_eph, port(r, 3, G.eph))
PRED(p_port8080, port(r, 3, 8080))
PRED(p_udp, r->key.proto == 17)
PRED(p_icmp, r->key.proto == 1)
PRED(p_gre, r->key.proto == 47)
PRED(p_app_dns, strcasecmp(r->meta.app_proto, "dns") == 0)
PRED(p_sni_exact, strcasecmp(r->meta.sni, "www.example.top") == 0)
PRED(p_sni_suffix, ends_with(r->meta.sni, ".example.top"))
PRED(p_sni_suffix2, ends_with(r->meta.sni, "example.top"))
PRED(p_sni_picked, strcasecmp(r->meta.sni, G.sni) == 0)
PRED(p_host_google, ends_with(r->meta.http_host, ".google.com"))
PRED(p_dns_github, strcasecmp(r->meta.dns_query, "api.github.com") == 0)
PRED(p_sni_glob, r->meta.sni[0] && strstr(r->meta.sni, "exam") != NULL)
PRED(p_ja3, strcasecmp(r->meta.ja3, G.ja3) == 0)
PRED(p_ja4, strcasecmp(r->meta.ja4, G.ja4) == 0)
PRED(p_cid, cid_is(r, G.cid))
PRED(p_sid, has_sid(r, 2024897))
PRED(p_risk, (r->meta.ndpi_risks >> G.risk) & 1)
PRED(p_country_ru, strcasecmp(r->meta.country[0], "RU") == 0 ||
		    strcasecmp(r->meta.country[1], "RU") == 0)
PRED(p_dst_de, strcasecmp(r->meta.country[1], "de") == 0)
PRED(p_asn, r->meta.asn[0] == 15169 || r->meta.asn[1] == 15169)
PRED(p_bytes_big, bytes(r) > 100000)
PRED(p_pkts_small, pkts(r) <= 3)
PRED(p_dur_long, r->end - r->start > HOUR)
PRED(p_dur_short, r->end - r->start < 200 * 1000000ull)
PRED(p_bts_1k, r->bytes[0] >= 1000)
PRED(p_cli_443, p_ip_cli(r) && port(r, 3, 443))
PRED(p_cli_or_srv, p_ip_cli(r) || ip_eq(r, 3, &G.srv, 4))
PRED(p_not_tcp, r->key.proto != 6)
PRED(p_combo1, (p_app_dns(r) || strcasecmp(r->meta.app_proto, "http") == 0) && !p_ip_cli(r))
PRED(p_combo2, p_sni_suffix(r) && port(r, 2, 443) && !(strcasecmp(r->meta.country[0], "US") == 0 ||
						       strcasecmp(r->meta.country[1], "US") == 0))
PRED(p_sid_or_risk, p_sid(r) || p_risk(r))
PRED(p_not_ip_ne, !p_ip_cli(r))
PRED(p_app_tls, strcasecmp(r->meta.app_proto, "tls") == 0)
PRED(p_cidr_and_port, cidr(r, 2, "10.2.0.0", 4, 16) && port(r, 2, 445))
PRED(p_udp_or_icmp, r->key.proto == 17 || r->key.proto == 1)

/* ---- running and comparing ---- */

enum { S_START, S_BYTES, S_DUR, S_PKTS };

struct rcase {
	char text[512];
	ref_fn pred;
	bool has_from, has_to;
	uint64_t from, to;
	int sort;
	bool desc;
	uint64_t limit;
};

struct got {
	const struct mdr_flow_record **rows;
	struct mdr_flow_record *copies;
	size_t n, cap;
};

static int collect(void *ctx, const struct mdr_query_row *row)
{
	struct got *g = ctx;

	assert_non_null(row->rec);
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->copies = realloc(g->copies, g->cap * sizeof(*g->copies));
		assert_non_null(g->copies);
	}
	g->copies[g->n++] = *row->rec;
	return 0;
}

/* Records in store order: start time, then ingest order. */
static int by_start(const void *a, const void *b)
{
	const struct mdr_flow_record *x = *(const struct mdr_flow_record *const *)a;
	const struct mdr_flow_record *y = *(const struct mdr_flow_record *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x < y ? -1 : x > y;
}

static uint64_t sort_key(const struct mdr_flow_record *r, int s)
{
	return s == S_BYTES ? bytes(r) : s == S_PKTS ? pkts(r) :
	       s == S_DUR ? r->end - r->start : r->start;
}

static const struct rcase *g_case;

static int by_key(const void *a, const void *b)
{
	const struct mdr_flow_record *x = *(const struct mdr_flow_record *const *)a;
	const struct mdr_flow_record *y = *(const struct mdr_flow_record *const *)b;
	uint64_t kx = sort_key(x, g_case->sort), ky = sort_key(y, g_case->sort);

	if (kx != ky)
		return (kx < ky) != g_case->desc ? -1 : 1;
	return by_start(a, b);
}

static size_t reference(const struct rcase *c, const struct mdr_flow_record **out)
{
	size_t n = 0;

	for (size_t i = 0; i < NREC; i++) {
		const struct mdr_flow_record *r = &recs[i];

		if ((c->has_from && r->end < c->from) || (c->has_to && r->start > c->to))
			continue;
		if (c->pred(r))
			out[n++] = r;
	}
	g_case = c;
	qsort(out, n, sizeof(*out), c->sort == S_START ? by_start : by_key);
	for (size_t i = 0; c->sort == S_START && c->desc && i < n / 2; i++) {
		const struct mdr_flow_record *t = out[i];

		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return c->limit && c->limit < n ? c->limit : n;
}

static void check_case(const struct rcase *c)
{
	const struct mdr_flow_record **exp = calloc(NREC, sizeof(*exp));
	struct got got = { 0 };
	struct mdr_query *q;
	char err[256];
	size_t n;

	assert_non_null(exp);
	if (mdr_query_parse_at(c->text, NOW, &q, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", c->text, err);
	assert_int_equal(mdr_query_run(store, q, collect, &got, err, sizeof(err)), 0);
	n = reference(c, exp);
	if (getenv("MDR_TEST_VERBOSE"))
		printf("  %-70.70s %6zu rows\n", c->text, n);
	if (got.n != n)
		fail_msg("'%s': %zu rows, reference %zu", c->text, got.n, n);
	for (size_t i = 0; i < n; i++)
		if (memcmp(&got.copies[i], exp[i], sizeof(*exp[i])) != 0)
			fail_msg("'%s': row %zu differs from the reference", c->text, i);
	mdr_query_free(q);
	free(got.copies);
	free(exp);
}

static void run_cases(const struct rcase *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_case(&cs[i]);
}

/* ---- setup ---- */

static void pick_values(void)
{
	static uint32_t cnt[65536];
	uint32_t best = 0;

	for (size_t i = 0; i < NREC; i++)     /* the busiest IPv4 client */
		if (recs[i].key.ip_ver == 4)
			cnt[recs[i].key.src.b[2] << 8 | recs[i].key.src.b[3]]++;
	for (uint32_t i = 1; i < 65536; i++)
		best = cnt[i] > cnt[best] ? i : best;
	G.cli = recs[0].key.src;
	G.cli.b[0] = 10, G.cli.b[1] = 1, G.cli.b[2] = (uint8_t)(best >> 8), G.cli.b[3] = (uint8_t)best;
	mdr_ip_to_str(&G.cli, 4, G.cli_s, sizeof(G.cli_s));
	for (size_t i = 100; i < NREC; i++) {
		const struct mdr_flow_record *r = &recs[i];

		if (!G.srv_s[0] && r->key.ip_ver == 4 && r->key.dst.b[0] == 10) {
			G.srv = r->key.dst;
			mdr_ip_to_str(&G.srv, 4, G.srv_s, sizeof(G.srv_s));
		}
		if (!G.v6_s[0] && r->key.ip_ver == 6) {
			G.v6 = r->key.dst;
			mdr_ip_to_str(&G.v6, 6, G.v6_s, sizeof(G.v6_s));
		}
		if (!G.eph && r->key.proto == 6 && r->key.sport > 40000)
			G.eph = r->key.sport;
		if (!G.ja3[0] && r->meta.ja3[0] && i > 5000) {
			snprintf(G.ja3, sizeof(G.ja3), "%s", r->meta.ja3);
			snprintf(G.ja4, sizeof(G.ja4), "%s", r->meta.ja4);
			snprintf(G.sni, sizeof(G.sni), "%s", r->meta.sni);
		}
		if (!G.cid[0] && i > 7000 && r->key.proto == 17)
			mdr_community_id(&r->key, 0, G.cid, sizeof(G.cid));
		if (!G.risk && r->meta.ndpi_risks)
			G.risk = __builtin_ctzll(r->meta.ndpi_risks);
	}
	assert_true(cnt[best] > 100 && G.srv_s[0] && G.v6_s[0] && G.eph && G.ja3[0] && G.cid[0]);
}

static int setup(void **state)
{
	struct mdr_store_config cfg;
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mdr_test_query.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	assert_non_null(mkdtemp(dir));
	recs = calloc(NREC, sizeof(*recs));
	assert_non_null(recs);
	for (size_t i = 0; i < NREC; i++)
		mdr_synth_record(7, i, NREC, T0, 5 * DAY, &recs[i]);
	mdr_store_config_default(&cfg);
	cfg.path = dir;
	cfg.partition_secs = 6 * 3600;
	if (mdr_store_open(&cfg, &store, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	for (size_t i = 0; i < NREC; i += 500) {
		assert_int_equal(mdr_store_put(store, &recs[i], 500), 0);
		if (i == NREC / 2)
			assert_int_equal(mdr_store_flush(store, false), 0);
	}
	pick_values();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	mdr_store_close(store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(recs);
	return 0;
}

/* ---- cases ---- */

#define CASE(fn, ...) do { struct rcase *c_ = &cs[n++]; memset(c_, 0, sizeof(*c_)); \
	snprintf(c_->text, sizeof(c_->text), __VA_ARGS__); c_->pred = fn; } while (0)

static void test_single_fields(void **state)
{
	struct rcase cs[64];
	size_t n = 0;

	(void)state;
	CASE(p_ip_cli, "ip %s", G.cli_s);
	CASE(p_src_cli, "src.ip %s", G.cli_s);
	CASE(p_dst_srv, "dst.ip %s", G.srv_s);
	CASE(p_src_srv, "ip.src == %s", G.srv_s);
	CASE(p_ip_v6, "ip %s", G.v6_s);
	CASE(p_port445, "port 445");
	CASE(p_dport53, "dst.port 53");
	CASE(p_sport_eph, "src.port %u", G.eph);
	CASE(p_port_eph, "port %u", G.eph);
	CASE(p_port8080, "port 8080");
	CASE(p_udp, "proto udp");
	CASE(p_icmp, "proto icmp");
	CASE(p_gre, "proto 47");
	CASE(p_app_dns, "app dns");
	CASE(p_app_tls, "app TLS");
	CASE(p_sni_exact, "sni www.example.top");
	CASE(p_sni_suffix, "sni *.example.top");
	CASE(p_sni_suffix2, "sni '*example.top'");
	CASE(p_sni_picked, "sni \"%s\"", G.sni);
	CASE(p_host_google, "host *.google.com");
	CASE(p_dns_github, "dns.query API.github.com");
	CASE(p_sni_glob, "sni *exam*");
	CASE(p_ja3, "ja3 %s", G.ja3);
	CASE(p_ja4, "ja4 %s", G.ja4);
	CASE(p_cid, "community_id %s", G.cid);
	CASE(p_cid, "community_id \"%s\"", G.cid);
	CASE(p_sid, "sid 2024897");
	CASE(p_risk, "risk %d", G.risk);
	CASE(p_country_ru, "country RU");
	CASE(p_dst_de, "dst.country de");
	CASE(p_asn, "asn 15169");
	CASE(p_bytes_big, "bytes > 100k");
	CASE(p_pkts_small, "packets <= 3");
	CASE(p_dur_long, "duration > 1h");
	CASE(p_dur_short, "duration < 200ms");
	CASE(p_bts_1k, "bytes.toserver >= 1k");
	CASE(p_all, "limit 1000000");
	run_cases(cs, n);
}

static void test_cidr(void **state)
{
	struct rcase cs[8];
	size_t n = 0;

	(void)state;
	CASE(p_cidr_cli, "ip 10.1.0.0/22");
	CASE(p_cidr_cli, "ip 10.1.2.77/22");       /* host bits are ignored */
	CASE(p_cidr_cli24, "src.ip 10.1.3.0/24");
	CASE(p_cidr_srv, "dst.ip 10.2.0.0/24");
	CASE(p_cidr_v6, "src.ip 2001:db8:1::/120");
	CASE(p_cidr_v6b, "ip 2a00:1450::/42");
	CASE(p_cidr_all4, "ip 0.0.0.0/0");
	CASE(p_cidr_and_port, "dst.ip 10.2.0.0/16 and dst.port 445");
	run_cases(cs, n);
}

static void test_boolean(void **state)
{
	struct rcase cs[16];
	size_t n = 0;

	(void)state;
	CASE(p_cli_443, "ip %s and port 443", G.cli_s);
	CASE(p_cli_443, "ip %s && port 443", G.cli_s);
	CASE(p_cli_or_srv, "ip %s or ip %s", G.cli_s, G.srv_s);
	CASE(p_not_tcp, "not proto tcp");
	CASE(p_not_tcp, "!(proto tcp)");
	CASE(p_combo1, "(app dns or app http) and not ip %s", G.cli_s);
	CASE(p_combo2, "sni *.example.top and dst.port 443 and not country US");
	CASE(p_sid_or_risk, "sid 2024897 or risk %d", G.risk);
	CASE(p_not_ip_ne, "ip != %s", G.cli_s);
	run_cases(cs, n);
}

static struct rcase *window(struct rcase *c, bool f, uint64_t from, bool t, uint64_t to)
{
	c->has_from = f, c->from = from, c->has_to = t, c->to = to;
	return c;
}

static void test_windows(void **state)
{
	uint64_t t1 = T0 + 2 * DAY + 3 * HOUR + 17 * 60 * MDR_NSEC_PER_SEC, t2 = t1 + 7 * HOUR;
	struct rcase cs[16];
	size_t n = 0;

	(void)state;
	CASE(p_all, "since 2024-05-15T03:17:00Z");
	window(&cs[n - 1], true, t1, false, 0);
	CASE(p_all, "until 2024-05-15T03:17:00Z");
	window(&cs[n - 1], false, 0, true, t1);
	CASE(p_all, "between 2024-05-15T03:17:00Z and '2024-05-15 10:17'");
	window(&cs[n - 1], true, t1, true, t2);
	CASE(p_ip_cli, "ip %s between 2024-05-15T03:17:00Z and 2024-05-15T10:17:00+00:00", G.cli_s);
	window(&cs[n - 1], true, t1, true, t2);
	CASE(p_app_dns, "since -36h app dns");
	window(&cs[n - 1], true, NOW - 36 * HOUR, false, 0);
	CASE(p_app_dns, "since -36h and app dns");
	window(&cs[n - 1], true, NOW - 36 * HOUR, false, 0);
	CASE(p_port445, "port 445 and last 12h");
	window(&cs[n - 1], true, NOW - 12 * HOUR, false, 0);
	CASE(p_port445, "port 445 last 12h");
	window(&cs[n - 1], true, NOW - 12 * HOUR, false, 0);
	CASE(p_sni_suffix, "sni *.example.top since 2024-05-15 until 2024-05-16");
	window(&cs[n - 1], true, T0 + 2 * DAY, true, T0 + 3 * DAY);
	CASE(p_dur_long, "duration > 1h between 2024-05-14T05:00:00+02:00 and 2024-05-14T06:00:00+02:00");
	window(&cs[n - 1], true, T0 + DAY + 3 * HOUR, true, T0 + DAY + 4 * HOUR);
	run_cases(cs, n);
}

static struct rcase *order(struct rcase *c, int sort, bool desc, uint64_t limit)
{
	c->sort = sort, c->desc = desc, c->limit = limit;
	return c;
}

static void test_limit_sort(void **state)
{
	struct rcase cs[16];
	size_t n = 0;

	(void)state;
	CASE(p_app_tls, "app tls limit 10");
	order(&cs[n - 1], S_START, false, 10);
	CASE(p_app_dns, "app dns sort bytes desc limit 20");
	order(&cs[n - 1], S_BYTES, true, 20);
	CASE(p_port445, "port 445 sort duration");
	order(&cs[n - 1], S_DUR, false, 0);
	CASE(p_all, "sort start desc limit 15");
	order(&cs[n - 1], S_START, true, 15);
	CASE(p_udp, "proto udp sort packets asc limit 5 since -1d");
	window(order(&cs[n - 1], S_PKTS, false, 5), true, NOW - DAY, false, 0);
	CASE(p_ip_cli, "ip %s sort bytes desc", G.cli_s);
	order(&cs[n - 1], S_BYTES, true, 0);
	CASE(p_sni_suffix, "sni *.example.top sort time desc limit 7");
	order(&cs[n - 1], S_START, true, 7);
	run_cases(cs, n);
}

/* ---- aggregations ---- */

enum { A_DSTIP, A_IP, A_SNI, A_SID, A_PROTO };

struct agg_row {
	char val[160];
	uint64_t flows, bytes, pkts;
};

static int n_values(const struct mdr_flow_record *r, int field, char v[][160])
{
	int n = 0;

	switch (field) {
	case A_DSTIP:
		mdr_ip_to_str(&r->key.dst, r->key.ip_ver, v[n++], 160);
		break;
	case A_IP:
		mdr_ip_to_str(&r->key.src, r->key.ip_ver, v[n++], 160);
		mdr_ip_to_str(&r->key.dst, r->key.ip_ver, v[n], 160);
		n += strcmp(v[0], v[1]) != 0;
		break;
	case A_SNI:
		if (r->meta.sni[0])
			snprintf(v[n++], 160, "%s", r->meta.sni);
		break;
	case A_SID:
		for (int i = 0; i < r->meta.nsids; i++) {
			bool dup = false;

			for (int j = 0; j < i; j++)
				dup |= r->meta.sids[j] == r->meta.sids[i];
			if (!dup)
				snprintf(v[n++], 160, "%u", r->meta.sids[i]);
		}
		break;
	case A_PROTO: {
		char b[8];

		snprintf(v[n++], 160, "%s", mdr_eve_proto_name(r->key.proto, b, sizeof(b)));
		break;
	}
	}
	return n;
}

static int g_metric;

static int agg_cmp(const void *a, const void *b)
{
	const struct agg_row *x = a, *y = b;
	uint64_t mx = g_metric == 1 ? x->bytes : g_metric == 2 ? x->pkts : x->flows;
	uint64_t my = g_metric == 1 ? y->bytes : g_metric == 2 ? y->pkts : y->flows;

	if (mx != my)
		return mx > my ? -1 : 1;
	return strcmp(x->val, y->val);
}

static size_t agg_reference(ref_fn pred, int field, int metric, uint64_t from,
			    struct agg_row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < NREC; i++) {
		const struct mdr_flow_record *r = &recs[i];
		char v[MDR_REC_MAX_SIDS][160];
		int nv;

		if (r->end < from || !pred(r))
			continue;
		nv = n_values(r, field, v);
		for (int k = 0; k < nv; k++) {
			size_t j;

			for (j = 0; j < n && strcmp(rows[j].val, v[k]) != 0; j++)
				;
			if (j == n)
				snprintf(rows[n++].val, sizeof(rows[0].val), "%.159s", v[k]);
			rows[j].flows++;
			rows[j].bytes += bytes(r);
			rows[j].pkts += pkts(r);
		}
	}
	g_metric = metric;
	qsort(rows, n, sizeof(*rows), agg_cmp);
	return n;
}

static int collect_groups(void *ctx, const struct mdr_query_row *row)
{
	struct got *g = ctx;
	struct agg_row *a = (struct agg_row *)g->copies;

	assert_null(row->rec);
	assert_true(g->n < g->cap);
	snprintf(a[g->n].val, sizeof(a[0].val), "%s", row->group);
	a[g->n].flows = row->flows, a[g->n].bytes = row->bytes, a[g->n].pkts = row->pkts;
	g->n++;
	return 0;
}

static void check_agg(const char *text, ref_fn pred, int field, int metric, uint64_t limit,
		      uint64_t from)
{
	struct agg_row *exp = calloc(4 * NREC, sizeof(*exp));
	struct got got = { .cap = 4 * NREC };
	struct mdr_query *q;
	char err[256];
	size_t n;

	got.copies = calloc(4 * NREC, sizeof(struct agg_row));
	assert_true(exp && got.copies);
	if (mdr_query_parse_at(text, NOW, &q, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", text, err);
	assert_true(mdr_query_is_aggregation(q));
	assert_int_equal(mdr_query_run(store, q, collect_groups, &got, err, sizeof(err)), 0);
	n = agg_reference(pred, field, metric, from, exp);
	n = limit && limit < n ? limit : n;
	if (got.n != n)
		fail_msg("'%s': %zu groups, reference %zu", text, got.n, n);
	for (size_t i = 0; i < n; i++) {
		struct agg_row *a = &((struct agg_row *)got.copies)[i];

		if (strcmp(a->val, exp[i].val) || a->flows != exp[i].flows ||
		    a->bytes != exp[i].bytes || a->pkts != exp[i].pkts)
			fail_msg("'%s': group %zu is %s/%" PRIu64 ", reference %s/%" PRIu64, text, i,
				 a->val, a->flows, exp[i].val, exp[i].flows);
	}
	mdr_query_free(q);
	free(got.copies);
	free(exp);
}

static void test_aggregations(void **state)
{
	(void)state;
	check_agg("count by dst.ip", p_all, A_DSTIP, 0, 0, 0);
	check_agg("app tls top 5 sni by bytes", p_app_tls, A_SNI, 1, 5, 0);
	check_agg("count by sid", p_all, A_SID, 0, 0, 0);
	check_agg("top 3 ip by packets since -2d", p_all, A_IP, 2, 3, NOW - 2 * DAY);
	check_agg("proto udp or proto icmp count by proto", p_udp_or_icmp, A_PROTO, 0, 0, 0);
	check_agg("count by sni limit 4", p_all, A_SNI, 0, 4, 0);
}

/* ---- explain ---- */

static void explain(const char *text, char *buf, size_t len)
{
	struct mdr_query *q;
	char err[256];

	if (mdr_query_parse_at(text, NOW, &q, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", text, err);
	assert_true(mdr_query_explain(store, q, buf, len) > 0);
	mdr_query_free(q);
}

static void test_explain(void **state)
{
	static const char *indexed[] = {
		"ip 10.1.2.3", "src.ip 10.1.0.0/16", "ip 2001:db8::1", "port 445", "dst.port 51234",
		"proto udp", "app tls", "sni *.example.top", "sni www.example.top", "host a.b",
		"dns.query x.y", "ja3 0123456789abcdef0123456789abcdef", "ja4 t13d1516h2_a_b",
		"community_id 1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "sid 2024897", "risk 15",
		"ip 10.1.2.3 and port 445 between 2024-05-14 and 2024-05-15",
		"sni *.example.top or dns.query *.example.top",
		"ip 10.9.9.9 and country RU", "app dns and not ip 10.1.2.3",
	};
	static const char *scans[] = {
		"country RU", "not ip 10.1.2.3", "bytes > 1M", "sni *exam*", "ip 10.1.2.3 or country RU",
		"limit 10", "ja3s abc", "ip != 10.1.2.3",
	};
	char plan[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(indexed) / sizeof(indexed[0]); i++) {
		explain(indexed[i], plan, sizeof(plan));
		if (!strstr(plan, "index ") || strstr(plan, "full scan"))
			fail_msg("'%s' should use an index:\n%s", indexed[i], plan);
	}
	for (size_t i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		explain(scans[i], plan, sizeof(plan));
		if (!strstr(plan, "full scan"))
			fail_msg("'%s' needs a scan:\n%s", scans[i], plan);
	}
	explain("ip 10.1.2.3 and port 445 between 2024-05-14 and 2024-05-15", plan, sizeof(plan));
	assert_non_null(strstr(plan, "window:     flows overlapping [2024-05-14T00:00:00Z, "
				     "2024-05-15T00:00:00Z]"));
	assert_non_null(strstr(plan, "partitions: "));
	assert_non_null(strstr(plan, "prefix seek + bloom filter"));
	explain("ip 10.1.0.0/16", plan, sizeof(plan));
	assert_non_null(strstr(plan, "range seek"));
}

/* ---- parse errors ---- */

static void test_parse_errors(void **state)
{
	static const struct { const char *q, *err; } cases[] = {
		{ "ip foo", "column 4: expected an IP address or CIDR after 'ip', got 'foo'" },
		{ "port 445 and ip foo",
		  "column 17: expected an IP address or CIDR after 'ip', got 'foo'" },
		{ "ip 10.0.0.0/33", "column 4: expected an IP address or CIDR after 'ip', got "
		  "'10.0.0.0/33'" },
		{ "port 99999", "column 6: expected a port number (0-65535) after 'port', got '99999'" },
		{ "bogus 1", "column 1: unknown field 'bogus'" },
		{ "(ip 1.2.3.4", "column 12: expected ')' to close '(' of column 1, got end of query" },
		{ "ip 1.2.3.4)", "column 11: unmatched ')'" },
		{ "ip 1.2.3.4 port 80", "column 12: expected 'and', 'or', a modifier (since, limit, "
		  "...) or the end of the query, got 'port'" },
		{ "sni \"abc", "column 5: unterminated string (missing \")" },
		{ "since yesterdayish", "column 7: expected a time after 'since' (2024-05-14, "
		  "2024-05-14T08:00:00Z, -24h or now), got 'yesterdayish'" },
		{ "limit x", "column 7: 'limit' expects a positive number, got 'x'" },
		{ "ip < 1.2.3.4", "column 4: operator '<' does not apply to 'ip' (use = or !=)" },
		{ "ip 1.2.3.4 and", "column 15: expected a field name, 'not' or '(', got end of query" },
		{ "ip 1.2.3.4 and not",
		  "column 19: expected a field name, 'not' or '(', got end of query" },
		{ "community_id abc", "column 14: expected a community id like "
		  "\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\" after 'community_id', got 'abc'" },
		{ "between 2024-05-15 and 2024-05-14", "column 1: the window ends before it starts" },
		{ "between 2024-05-15 or 2024-05-16",
		  "column 20: expected 'and' in 'between A and B', got 'or'" },
		{ "count by bytes", "column 10: expected a field to group by (ip, dst.ip, port, sni, "
		  "...), got 'bytes'" },
		{ "count dst.ip", "column 7: expected 'by' after 'count', got 'dst.ip'" },
		{ "since -1d since -2d", "column 11: the time window was already given at column 1" },
		{ "top 0 dst.ip", "column 5: 'top' expects a positive number, got '0'" },
		{ "bytes > lots", "column 9: expected a number (suffixes k, M, G, T) after 'bytes', "
		  "got 'lots'" },
		{ "duration > 5parsecs", "column 12: expected a duration (90, 1.5s, 200ms, 5m, 2h) "
		  "after 'duration', got '5parsecs'" },
		{ "proto xyz", "column 7: expected a protocol name (tcp, udp, icmp, ...) or number "
		  "(0-255) after 'proto', got 'xyz'" },
		{ "risk 64", "column 6: expected a risk number (0-63) after 'risk', got '64'" },
		{ "app tls sort bytes count by sni", "column 32: 'sort' does not apply to an "
		  "aggregation (rows are ordered by their totals)" },
		{ "sort size", "column 6: expected start, end, bytes, packets or duration after "
		  "'sort', got 'size'" },
		{ "top 5 sni by volume", "column 14: expected flows, bytes or packets after 'by', "
		  "got 'volume'" },
		{ "ip", "column 3: expected an IP address or CIDR after 'ip', got end of query" },
		{ "and ip 1.2.3.4", "column 1: expected a field name, 'not' or '(', got 'and'" },
		{ "port 80 or", "column 11: expected a field name, 'not' or '(', got end of query" },
		{ "sni == ", "column 8: expected a text or pattern after 'sni', got end of query" },
		{ "ip 1.2.3.4 & port 80", "column 12: unexpected character '&'" },
		{ "last forever", "column 6: expected a duration after 'last' (24h, 7d), got "
		  "'forever'" },
		{ "limit 5 limit 6", "column 9: the row limit was already given" },
		{ "since ''", "column 7: expected a time after 'since' (2024-05-14, "
		  "2024-05-14T08:00:00Z, -24h or now), got \"\"" },
	};
	struct mdr_query *q;
	char err[256], deep[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		if (mdr_query_parse_at(cases[i].q, NOW, &q, err, sizeof(err)) == 0)
			fail_msg("'%s' parsed", cases[i].q);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("'%s':\n  got      %s\n  expected %s", cases[i].q, err, cases[i].err);
		assert_null(q);
	}
	memset(deep, '(', sizeof(deep));
	snprintf(deep + 100, sizeof(deep) - 100, "ip 1.2.3.4");
	assert_int_not_equal(mdr_query_parse_at(deep, NOW, &q, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "nested too deeply"));
	assert_int_not_equal(mdr_query_parse_at("ip \x01", NOW, &q, err, sizeof(err)), 0);
	assert_string_equal(err, "column 4: unexpected control character");
}

/* Accepted spellings parse to the same plan. */
static void test_parse_ok(void **state)
{
	static const char *ok[] = {
		"", "IP 10.1.2.3", "ip.dst = 10.1.2.3", "dest_ip=10.1.2.3", "src.ip==::1",
		"community_id=1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "bytes>=10M", "pkts<3",
		"duration >= 1.5s", "since now", "since today", "since yesterday until +1h",
		"between -48h and -24h", "last 7d", "top 10 dst.ip by bytes",
		"count by src.port", "sort end desc limit 3", "not not ip 1.2.3.4",
		"( ip 1.2.3.4 )", "sni '*'", "vlan 100", "flow_id 12345", "conn_state SF",
		"ndpi TLS", "category Web", "ja3s abc", "icmp_type 8",
	};
	struct mdr_query *q;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]) - 1; i++) {
		if (mdr_query_parse_at(ok[i], NOW, &q, err, sizeof(err)) != 0)
			fail_msg("'%s': %s", ok[i], err);
		mdr_query_free(q);
	}
	/* the last one names a field that does not exist */
	assert_int_not_equal(mdr_query_parse_at(ok[sizeof(ok) / sizeof(ok[0]) - 1], NOW, &q, err,
						sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_single_fields),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_boolean),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_limit_sort),
		cmocka_unit_test(test_aggregations),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
