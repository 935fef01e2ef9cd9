/*
 * synth.c - the synthetic flow model of synth.h.
 *
 * A splitmix64 stream seeded with (seed, i) draws every field, so any
 * record can be regenerated alone. Popularity is skewed with u^k draws
 * (a few hosts, ports, names and fingerprints carry most flows), which
 * is what makes real index data compress.
 */
#include "synth.h"

#include <stdio.h>
#include <string.h>

struct rng {
	uint64_t s;
};

static uint64_t next64(struct rng *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *g, uint64_t n)
{
	return n ? next64(g) % n : 0;
}

static double unit(struct rng *g)
{
	return (double)(next64(g) >> 11) / 9007199254740992.0;
}

/* Skewed pick in [0, n): small values much more likely. */
static uint64_t skew(struct rng *g, uint64_t n, int k)
{
	double u = unit(g), p = u;

	for (int i = 1; i < k; i++)
		p *= u;
	return (uint64_t)(p * (double)n) % (n ? n : 1);
}

static void v4(struct mdr_ip *ip, uint32_t a)
{
	memset(ip, 0, sizeof(*ip));
	ip->b[0] = (uint8_t)(a >> 24), ip->b[1] = (uint8_t)(a >> 16);
	ip->b[2] = (uint8_t)(a >> 8), ip->b[3] = (uint8_t)a;
}

static void v6(struct mdr_ip *ip, uint16_t p0, uint16_t p1, uint16_t p2, uint32_t host)
{
	memset(ip, 0, sizeof(*ip));
	ip->b[0] = (uint8_t)(p0 >> 8), ip->b[1] = (uint8_t)p0;
	ip->b[2] = (uint8_t)(p1 >> 8), ip->b[3] = (uint8_t)p1;
	ip->b[4] = (uint8_t)(p2 >> 8), ip->b[5] = (uint8_t)p2;
	ip->b[12] = (uint8_t)(host >> 24), ip->b[13] = (uint8_t)(host >> 16);
	ip->b[14] = (uint8_t)(host >> 8), ip->b[15] = (uint8_t)host;
}

static void endpoints(struct rng *g, struct mdr_flow_record *r)
{
	struct mdr_flow_key *k = &r->key;
	uint64_t srv = skew(g, 6000, 3);

	if (below(g, 5) == 0) {
		k->ip_ver = 6;
		v6(&k->src, 0x2001, 0x0db8, 1, (uint32_t)(1 + skew(g, 3000, 2)));
		v6(&k->dst, 0x2a00, 0x1450, (uint16_t)(srv % 64), (uint32_t)(1 + srv));
	} else {
		k->ip_ver = 4;
		v4(&k->src, 0x0a010000u + (uint32_t)(1 + skew(g, 4000, 2)));
		if (srv < 400)
			v4(&k->dst, 0x0a020000u + (uint32_t)(1 + srv));
		else
			v4(&k->dst, 0x5db80000u + (uint32_t)(srv * 2654435761u % 0x3fffff));
		r->meta.internal[0] = 1;
		r->meta.internal[1] = srv < 400;
	}
	if (!r->meta.internal[1]) {
		static const char *cc[] = { "US", "DE", "FR", "NL", "RU", "CN", "GB", "JP" };
		static const uint32_t asn[] = { 15169, 16509, 13335, 8075, 3320, 12322, 4134, 2914 };
		uint64_t c = skew(g, 8, 2);

		snprintf(r->meta.country[1], sizeof(r->meta.country[1]), "%s", cc[c]);
		r->meta.asn[1] = asn[c];
	}
}

static const char *domains[] = {
	"example.top", "example.com", "google.com", "googleapis.com", "microsoft.com",
	"cloudflare.net", "akamaiedge.net", "corp.local", "badexample.top", "github.com",
};
static const char *subs[] = { "www", "api", "cdn", "mail", "login", "static", "update", "" };

static void name(struct rng *g, char *out, size_t len)
{
	const char *d = domains[skew(g, MDR_ARRAY_SIZE(domains), 2)];
	uint64_t s = below(g, 10);

	if (s < 7 && subs[s % MDR_ARRAY_SIZE(subs)][0])
		snprintf(out, len, "%s.%s", subs[s % MDR_ARRAY_SIZE(subs)], d);
	else if (s < 9)
		snprintf(out, len, "h%llx.%s", (unsigned long long)below(g, 5000), d);
	else
		snprintf(out, len, "%s", d);
}

static void fingerprints(struct rng *g, struct mdr_flow_meta *m)
{
	uint64_t a = skew(g, 40, 2), b = skew(g, 40, 2);

	snprintf(m->ja3, sizeof(m->ja3), "%016llx%016llx",
		 (unsigned long long)(a * 0x9e3779b97f4a7c15ull),
		 (unsigned long long)(a * 0xc2b2ae3d27d4eb4full));
	snprintf(m->ja3s, sizeof(m->ja3s), "%032llx", (unsigned long long)(a % 7 + 1));
	snprintf(m->ja4, sizeof(m->ja4), "t13d%02u%02uh2_%012llx_%012llx", (unsigned)(15 + b % 4),
		 (unsigned)(b % 13), (unsigned long long)(b * 0x51ed27ull & 0xffffffffffffull),
		 (unsigned long long)(b * 0x2545f4914full & 0xffffffffffffull));
}

static void service(struct rng *g, struct mdr_flow_record *r)
{
	struct mdr_flow_key *k = &r->key;
	struct mdr_flow_meta *m = &r->meta;
	uint64_t p = below(g, 100);

	k->sport = (uint16_t)(32768 + below(g, 28000));
	if (p < 45) {
		k->proto = 6, k->dport = 443;
		snprintf(m->app_proto, sizeof(m->app_proto), "tls");
		snprintf(m->ndpi_proto, sizeof(m->ndpi_proto), "TLS");
		name(g, m->sni, sizeof(m->sni));
		fingerprints(g, m);
	} else if (p < 55) {
		k->proto = 6, k->dport = below(g, 4) ? 80 : 8080;
		snprintf(m->app_proto, sizeof(m->app_proto), "http");
		name(g, m->http_host, sizeof(m->http_host));
	} else if (p < 80) {
		k->proto = 17, k->dport = 53;
		snprintf(m->app_proto, sizeof(m->app_proto), "dns");
		name(g, m->dns_query, sizeof(m->dns_query));
	} else if (p < 84) {
		k->proto = 6, k->dport = 445;
		snprintf(m->app_proto, sizeof(m->app_proto), "smb");
	} else if (p < 87) {
		k->proto = 6, k->dport = 22;
		snprintf(m->app_proto, sizeof(m->app_proto), "ssh");
	} else if (p < 95) {
		k->proto = below(g, 3) ? 6 : 17, k->dport = (uint16_t)(1 + skew(g, 65535, 3));
	} else if (p < 98) {
		k->proto = k->ip_ver == 6 ? 58 : 1;
		r->icmp_type = below(g, 4) ? 8 : 3, r->icmp_code = r->icmp_type == 3 ? 3 : 0;
		k->sport = k->dport = (uint16_t)below(g, 65536);
	} else {
		k->proto = below(g, 2) ? 47 : 132;
		k->sport = k->proto == 132 ? (uint16_t)below(g, 65536) : 0;
		k->dport = k->proto == 132 ? 2905 : 0;
	}
}

static void alerts(struct rng *g, struct mdr_flow_meta *m)
{
	static const uint32_t sids[] = { 2024897, 2013028, 2210054, 2027865, 2100498, 2019401,
					 2023883, 2031071, 2008578, 2260002 };

	if (below(g, 100) == 0) {
		m->nsids = (uint8_t)(1 + below(g, 2));
		for (int i = 0; i < m->nsids; i++)
			m->sids[i] = sids[skew(g, MDR_ARRAY_SIZE(sids), 2)];
	}
	if (below(g, 20) == 0)
		for (int i = 0, n = (int)(1 + below(g, 3)); i < n; i++)
			m->ndpi_risks |= 1ull << (1 + skew(g, 50, 2));
}

static void counters(struct rng *g, struct mdr_flow_record *r, uint64_t dur)
{
	uint64_t pk = 1 + skew(g, 2000, 3), by = pk * (60 + below(g, 1400));

	r->pkts[0] = pk, r->pkts[1] = pk * below(g, 3) / 2;
	r->bytes[0] = by / 3, r->bytes[1] = r->pkts[1] ? by : 0;
	if (r->key.proto == 6) {
		bool ok = r->pkts[1] > 0;

		r->tcp_flags[0] = ok ? 0x1b : 0x02, r->tcp_flags[1] = ok ? 0x1b : 0;
		r->state = ok ? 2 : 0, r->tcp_state = ok ? 10 : 1;
		snprintf(r->history, sizeof(r->history), "%s", ok ? "ShADadFf" : "S");
		snprintf(r->conn_state, sizeof(r->conn_state), "%s", ok ? "SF" : "S0");
		r->end_reason = ok ? 1 : 0;
	} else {
		r->state = r->pkts[1] ? 1 : 0;
		snprintf(r->history, sizeof(r->history), "%s", r->pkts[1] ? "Dd" : "D");
		snprintf(r->conn_state, sizeof(r->conn_state), "%s", r->pkts[1] ? "SF" : "S0");
	}
	if (dur > 1800ull * MDR_NSEC_PER_SEC && below(g, 2))
		r->interim = 1, r->end_reason = 3, r->seq = (uint32_t)(1 + below(g, 4));
}

static uint64_t duration(struct rng *g)
{
	uint64_t c = below(g, 1000);

	if (c < 700)
		return below(g, 2 * MDR_NSEC_PER_SEC) / 1000 * 1000;
	if (c < 990)
		return below(g, 300 * MDR_NSEC_PER_SEC) / 1000 * 1000;
	return below(g, 4 * 3600 * MDR_NSEC_PER_SEC) / 1000 * 1000;
}

void mdr_synth_record(uint64_t seed, uint64_t i, uint64_t n, mdr_time_t t0, uint64_t span_ns,
		      struct mdr_flow_record *r)
{
	struct rng g = { seed * 0x100000001b3ull ^ (i + 1) * 0x9e3779b97f4a7c15ull };
	uint64_t dur, end;

	next64(&g);
	memset(r, 0, sizeof(*r));
	end = t0 + (n ? (uint64_t)((double)span_ns * ((double)i / (double)n)) : 0) +
	      below(&g, 1000000) * 1000;
	dur = duration(&g);
	r->end = end;
	r->start = end > t0 + dur ? end - dur : t0;
	if (below(&g, 50) == 0)
		r->start += below(&g, 1000);        /* sub-microsecond start */
	endpoints(&g, r);
	service(&g, r);
	alerts(&g, &r->meta);
	counters(&g, r, r->end - r->start);
	if (below(&g, 10) == 0) {
		r->vlan_count = 1, r->vlan[0] = (uint16_t)(100 + below(&g, 4));
		r->key.vlan = r->vlan[0];
	}
	if (below(&g, 50) == 0) {
		r->tunnel.type = 2, r->tunnel.ip_ver = 4, r->tunnel.depth = 1;
		r->tunnel.vni = (uint32_t)(1000 + below(&g, 3));
		v4(&r->tunnel.src, 0xc0a80001u), v4(&r->tunnel.dst, 0xc0a80002u);
	}
	r->worker = (uint16_t)below(&g, 4);
	r->flow_id = below(&g, 20) ? mdr_flow_id(&r->key, r->start) : next64(&g) >> 1;
}
