/*
 * test_flow.c - unit tests of the flow table, TCP tracking (history,
 * conn_state, tcp_state), timeouts, eviction and Community ID.
 *
 * Packets are built by hand (struct mdr_pkt as the decoder would fill it);
 * ended flows are copied into a small log by the end callback so that
 * records can be checked, and compared between runs, field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "flow/flow.h"

#define SEC(x) ((mdr_time_t)(x) * MDR_NSEC_PER_SEC)
#define MS(x) ((mdr_time_t)(x) * 1000000ULL)
#define T0 SEC(1700000000)

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define LOG_MAX 64

struct rec {
	struct mdr_flow f;          /* the flow as the callback saw it */
	enum mdr_flow_end why;
	char conn_state[8];
};

struct log {
	struct rec r[LOG_MAX];
	int n;
};

static void on_end(void *ctx, struct mdr_flow *f, enum mdr_flow_end why)
{
	struct log *l = ctx;
	struct rec *r;

	if (l->n++ >= LOG_MAX)      /* counted, not stored */
		return;
	r = &l->r[l->n - 1];
	memcpy(&r->f, f, sizeof(*f));       /* padding too: compared bytewise */
	r->why = why;
	snprintf(r->conn_state, sizeof(r->conn_state), "%s", mdr_flow_conn_state(f));
}

/* Assert a record's reason and interval packet counts. */
static void check_rec(const struct rec *r, enum mdr_flow_end why,
		      uint64_t pkts0, uint64_t pkts1)
{
	assert_int_equal(r->why, why);
	assert_int_equal(r->f.pkts[0], pkts0);
	assert_int_equal(r->f.pkts[1], pkts1);
}

/* ---- packet builders ----------------------------------------------------- */

static struct mdr_pkt pkt(const char *src, uint16_t sport, const char *dst,
			  uint16_t dport, uint8_t proto, mdr_time_t ts)
{
	int af = strchr(src, ':') ? AF_INET6 : AF_INET;
	struct mdr_pkt p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(inet_pton(af, src, p.key.src.b), 1);
	assert_int_equal(inet_pton(af, dst, p.key.dst.b), 1);
	p.key.ip_ver = af == AF_INET6 ? 6 : 4;
	p.key.sport = sport;
	p.key.dport = dport;
	p.key.proto = proto;
	p.ts = ts;
	p.caplen = p.wirelen = p.frag_bytes = 60;
	p.frag_pkts = 1;
	return p;
}

static struct mdr_pkt tcp(const char *src, uint16_t sport, const char *dst,
			  uint16_t dport, mdr_time_t ts, uint8_t fl,
			  uint32_t seq, uint32_t ack, uint32_t len)
{
	struct mdr_pkt p = pkt(src, sport, dst, dport, 6, ts);

	p.tcp_flags = fl;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.payload_len = len;
	p.caplen = p.wirelen = 54 + len;
	p.frag_bytes = p.caplen;
	return p;
}

#define CLI "10.0.0.1", 40000
#define SRV "10.0.0.2", 80

/* One TCP segment of a scripted exchange; to_cli = sent by the server. */
struct seg {
	int to_cli;
	uint8_t fl;
	uint32_t seq, ack, len;
};

static struct mdr_pkt seg_pkt(const struct seg *s, mdr_time_t ts)
{
	if (s->to_cli)
		return tcp(SRV, CLI, ts, s->fl, s->seq, s->ack, s->len);
	return tcp(CLI, SRV, ts, s->fl, s->seq, s->ack, s->len);
}

/* Feed the segments 1 ms apart from `ts`; returns the flow of the last one. */
static struct mdr_flow *run(struct mdr_flow_table *t, const struct seg *s,
			    size_t n, mdr_time_t ts)
{
	struct mdr_flow *f = NULL;

	for (size_t i = 0; i < n; i++) {
		struct mdr_pkt p = seg_pkt(&s[i], ts + MS(i));
		int dir = -1;

		f = mdr_flow_process(t, &p, &dir);
		assert_non_null(f);
		assert_int_equal(dir, s[i].to_cli);   /* roles follow CLI/SRV */
	}
	return f;
}

/* Defaults, small pool (MALLOC_PERTURB_ makes calloc write a whole pool). */
static void small_cfg(struct mdr_flow_config *c)
{
	mdr_flow_config_default(c);
	c->max_flows = c->hash_size = 1024;
}

static struct mdr_flow_table *table(const struct mdr_flow_config *cfg, struct log *l)
{
	struct mdr_flow_config c;
	struct mdr_flow_table *t;

	if (!cfg)
		small_cfg(&c);
	memset(l, 0, sizeof(*l));
	t = mdr_flow_table_create(cfg ? cfg : &c, 0, on_end, l);
	assert_non_null(t);
	return t;
}

/* ---- the classic connections (client ISN 1000, server ISN 5000) --------- */

#define C_SYN    { 0, SYN, 1000, 0, 0 }
#define S_SYNACK { 1, SYN | ACK, 5000, 1001, 0 }
#define C_ACK    { 0, ACK, 1001, 5001, 0 }
#define C_DATA   { 0, PSH | ACK, 1001, 5001, 100 }          /* 100 bytes */
#define S_DATA   { 1, PSH | ACK, 5001, 1101, 200 }          /* 200 bytes */
/* A segment list and its length, for struct scenario. */
#define SEGS(...) (const struct seg[]){ __VA_ARGS__ }, \
	sizeof((const struct seg[]){ __VA_ARGS__ }) / sizeof(struct seg)

static const struct seg hs[] = { C_SYN, S_SYNACK, C_ACK };

static const struct seg conn_sf[] = {
	C_SYN, S_SYNACK, C_ACK, C_DATA,
	{ 1, ACK, 5001, 1101, 0 },
	S_DATA,
	{ 0, FIN | ACK, 1101, 5201, 0 },
	{ 1, FIN | ACK, 5201, 1102, 0 },
	{ 0, ACK, 1102, 5202, 0 },
};

/* ---- tests ----------------------------------------------------------------- */

static void test_config_default(void **state)
{
	struct mdr_flow_config c;

	(void)state;
	mdr_flow_config_default(&c);
	assert_int_equal(c.max_flows, 262144);
	assert_int_equal(c.hash_size, 0); /* derived from max_flows */
	assert_true(c.timeout_ns[MDR_TO_TCP_NEW] == SEC(60) &&
		    c.timeout_ns[MDR_TO_TCP_EST] == SEC(3600) &&
		    c.timeout_ns[MDR_TO_TCP_CLOSED] == SEC(60));
	assert_true(c.timeout_ns[MDR_TO_UDP] == SEC(300) &&
		    c.timeout_ns[MDR_TO_ICMP] == SEC(300) &&
		    c.timeout_ns[MDR_TO_OTHER] == SEC(300));
	assert_true(c.active_timeout_ns == SEC(1800));
	assert_int_equal(c.evict_batch, 16);
	c.max_flows = 0;
	assert_null(mdr_flow_table_create(&c, 0, NULL, NULL));
	assert_string_equal(mdr_flow_end_name(MDR_END_REUSED), "reused");
	assert_string_equal(mdr_tcp_state_name(MDR_TCP_NONE), "none");
	assert_string_equal(mdr_tcp_state_name(MDR_TCP_CLOSE_WAIT), "close_wait");
}

static void test_bidir_udp_ipv4(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f = NULL;
	struct mdr_pkt p;
	int dir;

	(void)state;
	for (int i = 0; i < 3; i++) {
		p = pkt("192.168.1.52", 54585, "8.8.8.8", 53, 17, T0 + MS(i * 10));
		p.caplen = p.frag_bytes = 80;
		p.payload_len = 38;
		f = mdr_flow_process(t, &p, &dir);
		assert_int_equal(dir, 0);
	}
	assert_int_equal(f->state, MDR_FLOW_STATE_NEW);
	assert_string_equal(mdr_flow_conn_state(f), "S0");
	for (int i = 0; i < 2; i++) {
		p = pkt("8.8.8.8", 53, "192.168.1.52", 54585, 17, T0 + MS(100 + i));
		p.caplen = p.frag_bytes = 120;
		p.payload_len = 78;
		assert_ptr_equal(mdr_flow_process(t, &p, &dir), f);
		assert_int_equal(dir, 1);
	}
	assert_true(f->pkts[0] == 3 && f->pkts[1] == 2);
	assert_true(f->bytes[0] == 240 && f->bytes[1] == 240);
	assert_true(f->payload_bytes[0] == 114 && f->payload_bytes[1] == 156);
	assert_true(f->key.sport == 54585 && f->start == T0 && f->last == T0 + MS(101));
	assert_true(f->state == MDR_FLOW_STATE_ESTABLISHED && f->to_class == MDR_TO_UDP);
	assert_string_equal(mdr_flow_conn_state(f), "SF");
	assert_true(mdr_flow_get_stats(t)->created == 1 &&
		    mdr_flow_get_stats(t)->lookups == 5 && mdr_flow_get_stats(t)->active == 1);
	mdr_flow_flush(t);
	assert_int_equal(l.n, 1);
	check_rec(&l.r[0], MDR_END_SHUTDOWN, 3, 2);
	assert_int_equal(mdr_flow_get_stats(t)->active, 0);
	mdr_flow_table_free(t);
}

static void test_ipv6_tcp(void **state)
{
	static const char *a = "2001:470:e5bf:dead:4957:2174:e82c:4887";
	static const char *b = "2607:f8b0:400c:c03::1a";
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f;
	struct mdr_pkt p;
	char cid[64];
	int dir;

	(void)state;
	p = tcp(a, 63943, b, 25, T0, SYN, 1, 0, 0);
	f = mdr_flow_process(t, &p, &dir);
	assert_int_equal(dir, 0);
	p = tcp(b, 25, a, 63943, T0 + MS(1), SYN | ACK, 9, 2, 0);
	assert_ptr_equal(mdr_flow_process(t, &p, &dir), f);
	assert_int_equal(dir, 1);
	p = tcp(a, 63943, b, 25, T0 + MS(2), ACK, 2, 10, 0);
	assert_ptr_equal(mdr_flow_process(t, &p, &dir), f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->key.ip_ver, 6);
	assert_true(f->pkts[0] == 2 && f->pkts[1] == 1 && f->bytes[0] == 108);
	assert_true(f->tcp_flags[0] == (SYN | ACK) && f->tcp_flags[1] == (SYN | ACK));
	assert_int_equal(f->tcp_state, MDR_TCP_ESTABLISHED);
	assert_int_equal(f->state, MDR_FLOW_STATE_ESTABLISHED);
	assert_string_equal(f->history, "ShA");
	assert_int_equal(mdr_flow_community_id(f, 0, cid, sizeof(cid)), 0);
	assert_string_equal(cid, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
	mdr_flow_table_free(t);
}

static void test_vlan_in_key(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f1, *f2;
	struct mdr_pkt p;

	(void)state;
	p = pkt("10.1.1.1", 1000, "10.2.2.2", 53, 17, T0);
	p.key.vlan = 10;
	p.vlan[0] = 10;
	p.vlan_count = 1;
	p.tunnel.type = MDR_TUNNEL_VXLAN;
	p.tunnel.depth = 1;
	p.tunnel.vni = 4242;
	f1 = mdr_flow_process(t, &p, NULL);
	p = pkt("10.2.2.2", 53, "10.1.1.1", 1000, 17, T0 + 1);
	p.key.vlan = 20;
	f2 = mdr_flow_process(t, &p, NULL);
	assert_ptr_not_equal(f1, f2);
	p.key.vlan = 10;
	assert_ptr_equal(mdr_flow_process(t, &p, NULL), f1);
	assert_int_equal(mdr_flow_get_stats(t)->created, 2);
	assert_true(f1->pkts[0] == 1 && f1->pkts[1] == 1);
	assert_true(f2->pkts[0] == 1 && f2->pkts[1] == 0);
	assert_true(f1->vlan_count == 1 && f1->vlan[0] == 10);
	assert_true(f1->tunnel.type == MDR_TUNNEL_VXLAN && f1->tunnel.vni == 4242);
	assert_int_equal(f2->tunnel.type, MDR_TUNNEL_NONE);
	assert_int_equal(f2->key.sport, 53);  /* first sender is the client */
	mdr_flow_table_free(t);
}

static void test_synack_flip(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f;
	struct mdr_pkt p = tcp(SRV, CLI, T0, SYN | ACK, 5000, 1001, 0);
	int dir;

	(void)state;
	f = mdr_flow_process(t, &p, &dir);
	assert_int_equal(dir, 1);
	assert_int_equal(f->flipped, 1);
	assert_int_equal(f->key.src.b[3], 1);         /* 10.0.0.1, the client */
	assert_int_equal(f->key.sport, 40000);
	assert_int_equal(f->key.dport, 80);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->pkts[0], 0);
	assert_string_equal(f->history, "^h");
	assert_int_equal(f->tcp_state, MDR_TCP_SYN_RECV);
	assert_true(f->flow_id == mdr_flow_id(&f->key, T0));
	p = tcp(CLI, SRV, T0 + MS(1), ACK, 1001, 5001, 0);
	assert_ptr_equal(mdr_flow_process(t, &p, &dir), f);
	assert_int_equal(dir, 0);
	assert_string_equal(f->history, "^hA");
	assert_true(f->tcp_state == MDR_TCP_ESTABLISHED &&
		    f->state == MDR_FLOW_STATE_ESTABLISHED);
	assert_string_equal(mdr_flow_conn_state(f), "S1");
	mdr_flow_table_free(t);
}

/*
 * Run one timeout scenario twice: table a only sees the packets (lookup-time
 * expiry), table b also gets mdr_flow_expire() half-way between packets and
 * at each packet's time. The records must be identical. Active timeout off.
 */
static void run_twice(const struct mdr_pkt *pk, size_t n, struct log *a, struct log *b)
{
	struct mdr_flow_config c;
	struct mdr_flow_table *ta, *tb;

	small_cfg(&c);
	c.active_timeout_ns = 0;
	ta = table(&c, a);
	tb = table(&c, b);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(mdr_flow_process(ta, &pk[i], NULL));
		if (i > 0)
			mdr_flow_expire(tb, pk[i - 1].ts + (pk[i].ts - pk[i - 1].ts) / 2);
		mdr_flow_expire(tb, pk[i].ts);
		assert_non_null(mdr_flow_process(tb, &pk[i], NULL));
	}
	mdr_flow_flush(ta);
	mdr_flow_flush(tb);
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {        /* all but the table links */
		struct mdr_flow *fa = &a->r[i].f, *fb = &b->r[i].f;

		assert_int_equal(a->r[i].why, b->r[i].why);
		fa->next = fb->next = fa->lru_prev = fb->lru_prev = 0;
		fa->lru_next = fb->lru_next = 0;
		assert_memory_equal(fa, fb, sizeof(*fa));
	}
	mdr_flow_table_free(ta);
	mdr_flow_table_free(tb);
}

static void test_idle_tcp_new_established(void **state)
{
	struct mdr_pkt pn[3], pe[6];
	struct log a, b;

	(void)state;
	pn[0] = tcp(CLI, SRV, T0, SYN, 1000, 0, 0);
	pn[1] = tcp(CLI, SRV, T0 + SEC(60), SYN, 1000, 0, 0);  /* exactly 60 s: alive */
	pn[2] = tcp(CLI, SRV, T0 + SEC(120) + 1, SYN, 1000, 0, 0);
	run_twice(pn, 3, &a, &b);
	assert_int_equal(a.n, 2);
	check_rec(&a.r[0], MDR_END_IDLE_TIMEOUT, 2, 0);
	assert_string_equal(a.r[0].conn_state, "S0");
	assert_true(a.r[0].f.flow_id == mdr_flow_id(&a.r[0].f.key, T0));
	assert_int_equal(a.r[1].why, MDR_END_SHUTDOWN);
	assert_true(a.r[1].f.start == T0 + SEC(120) + 1);
	assert_true(a.r[1].f.flow_id != a.r[0].f.flow_id);

	for (int i = 0; i < 3; i++)
		pe[i] = seg_pkt(&hs[i], T0 + MS(i));
	/* 3000 s idle: fine for an established flow (3600 s) */
	pe[3] = tcp(CLI, SRV, T0 + SEC(3000), PSH | ACK, 1001, 5001, 10);
	pe[4] = tcp(SRV, CLI, T0 + SEC(6600), ACK, 5001, 1011, 0);
	pe[5] = tcp(SRV, CLI, T0 + SEC(6600) + SEC(3600) + 1, ACK, 5001, 1011, 0);
	run_twice(pe, 6, &a, &b);
	assert_int_equal(a.n, 2);
	check_rec(&a.r[0], MDR_END_IDLE_TIMEOUT, 3, 2);
	assert_string_equal(a.r[0].f.history, "ShADa");
	assert_string_equal(a.r[0].conn_state, "S1");
	assert_int_equal(a.r[0].f.state, MDR_FLOW_STATE_ESTABLISHED);
	/* the new flow starts midstream with the server's ACK */
	check_rec(&a.r[1], MDR_END_SHUTDOWN, 1, 0);
	assert_int_equal(a.r[1].f.key.sport, 80);
	assert_string_equal(a.r[1].f.history, "A");
}

static void test_idle_tcp_closed(void **state)
{
	struct mdr_pkt pf[10], pr[4];
	struct log a, b;

	(void)state;
	for (int i = 0; i < 9; i++)
		pf[i] = seg_pkt(&conn_sf[i], T0 + MS(i));
	pf[9] = tcp(CLI, SRV, T0 + MS(8) + SEC(61), ACK, 1102, 5202, 0);
	run_twice(pf, 10, &a, &b);
	assert_int_equal(a.n, 2);
	check_rec(&a.r[0], MDR_END_FIN, 5, 4);
	assert_int_equal(a.r[0].f.state, MDR_FLOW_STATE_CLOSED);
	assert_int_equal(a.r[0].f.tcp_state, MDR_TCP_CLOSED);
	assert_string_equal(a.r[0].f.history, "ShADadFf");
	assert_string_equal(a.r[0].conn_state, "SF");
	assert_int_equal(a.r[1].why, MDR_END_SHUTDOWN);

	pr[0] = tcp(CLI, SRV, T0, SYN, 1000, 0, 0);
	pr[1] = tcp(SRV, CLI, T0 + MS(1), RST | ACK, 0, 1001, 0);
	/* 59 s later: a closed flow is still there (closed timeout 60 s) */
	pr[2] = tcp(SRV, CLI, T0 + SEC(59), RST | ACK, 0, 1001, 0);
	pr[3] = tcp(CLI, SRV, T0 + SEC(59) + SEC(61), ACK, 1001, 0, 0);
	run_twice(pr, 4, &a, &b);
	assert_int_equal(a.n, 2);
	check_rec(&a.r[0], MDR_END_RST, 1, 2);
	assert_string_equal(a.r[0].f.history, "Sr");
	assert_string_equal(a.r[0].conn_state, "REJ");
	assert_int_equal(a.r[0].f.state, MDR_FLOW_STATE_CLOSED);
}

static void test_idle_udp_icmp_other(void **state)
{
	static const uint8_t protos[] = { 17, 1, 47 };
	struct mdr_pkt pk[3];
	struct log a, b;

	(void)state;
	for (int i = 0; i < 3; i++) {
		pk[0] = pkt("10.0.0.1", 7, "10.0.0.2", 9, protos[i], T0);
		pk[1] = pkt("10.0.0.2", 9, "10.0.0.1", 7, protos[i], T0 + SEC(300));
		pk[2] = pkt("10.0.0.2", 9, "10.0.0.1", 7, protos[i], T0 + SEC(600) + 1);
		run_twice(pk, 3, &a, &b);
		assert_int_equal(a.n, 2);
		check_rec(&a.r[0], MDR_END_IDLE_TIMEOUT, 1, 1);
		assert_string_equal(a.r[0].conn_state, protos[i] == 17 ? "SF" : "OTH");
		assert_int_equal(a.r[1].f.key.sport, 9);   /* new flow, new client */
		assert_string_equal(a.r[1].conn_state, protos[i] == 17 ? "S0" : "OTH");
	}
}

static void test_expire_classes(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_pkt p;
	struct mdr_flow *est;

	(void)state;
	p = tcp("10.9.9.9", 1, "10.9.9.8", 2, T0, SYN, 1, 0, 0);   /* tcp new */
	mdr_flow_process(t, &p, NULL);
	est = run(t, hs, 3, T0);                                /* tcp est */
	assert_int_equal(est->to_class, MDR_TO_TCP_EST);
	p = pkt("10.0.0.1", 5, "10.0.0.2", 6, 17, T0);           /* udp */
	mdr_flow_process(t, &p, NULL);
	mdr_flow_expire(t, T0 + SEC(60));
	assert_int_equal(l.n, 0);
	mdr_flow_expire(t, T0 + SEC(61));
	assert_true(l.n == 1 && l.r[0].f.key.sport == 1);
	mdr_flow_expire(t, T0 + SEC(301));
	assert_true(l.n == 2 && l.r[1].f.key.proto == 17);
	mdr_flow_expire(t, T0 + SEC(3601));
	assert_true(l.n == 3 && l.r[2].f.key.dport == 80);
	assert_int_equal(mdr_flow_get_stats(t)->active, 0);
	assert_int_equal(mdr_flow_get_stats(t)->ended[MDR_END_IDLE_TIMEOUT], 3);
	mdr_flow_table_free(t);
}

static void test_reuse_syn(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f, *g;
	struct mdr_pkt p;
	uint64_t id;
	int dir;

	(void)state;
	f = run(t, conn_sf, MDR_ARRAY_SIZE(conn_sf), T0);
	id = f->flow_id;
	/* a SYN while the connection is still open is not a reuse */
	p = tcp(CLI, SRV, T0 + SEC(1), SYN, 1000, 0, 0);
	g = run(t, hs, 1, T0 + SEC(1));
	assert_int_equal(l.n, 1);
	check_rec(&l.r[0], MDR_END_REUSED, 5, 4);
	assert_true(l.r[0].f.flow_id == id && g->flow_id != id);
	assert_string_equal(l.r[0].conn_state, "SF");
	assert_true(g->start == T0 + SEC(1) && g->pkts[0] == 1);
	assert_string_equal(g->history, "S");
	/* a retransmitted SYN on the new, unclosed flow keeps it */
	assert_ptr_equal(mdr_flow_process(t, &p, &dir), g);
	assert_int_equal(g->pkts[0], 2);
	/* a new SYN from the former server after a RST: new flow, new client */
	p = tcp(SRV, CLI, T0 + SEC(2), RST | ACK, 0, 1001, 0);
	mdr_flow_process(t, &p, NULL);
	p = tcp(SRV, CLI, T0 + SEC(3), SYN, 7000, 0, 0);
	f = mdr_flow_process(t, &p, &dir);
	assert_true(dir == 0 && f->key.sport == 80);
	assert_int_equal(l.n, 2);
	check_rec(&l.r[1], MDR_END_REUSED, 2, 1);
	assert_string_equal(l.r[1].conn_state, "REJ");
	assert_int_equal(mdr_flow_get_stats(t)->ended[MDR_END_REUSED], 2);
	assert_int_equal(mdr_flow_get_stats(t)->created, 3);
	mdr_flow_table_free(t);
}

static void test_active_timeout(void **state)
{
	struct mdr_flow_config c;
	struct log l;
	struct mdr_flow_table *t;
	struct mdr_flow *f;
	struct mdr_pkt p;

	(void)state;
	small_cfg(&c);
	c.active_timeout_ns = SEC(100);
	t = table(&c, &l);
	p = pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, T0);
	f = mdr_flow_process(t, &p, NULL);
	p = pkt("10.0.0.2", 2, "10.0.0.1", 1, 17, T0 + SEC(50));
	mdr_flow_process(t, &p, NULL);
	p = pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, T0 + SEC(99));
	mdr_flow_process(t, &p, NULL);
	assert_int_equal(l.n, 0);
	p = pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, T0 + SEC(100));
	assert_ptr_equal(mdr_flow_process(t, &p, NULL), f);
	assert_int_equal(l.n, 1);
	check_rec(&l.r[0], MDR_END_ACTIVE_TIMEOUT, 2, 1);      /* before this packet */
	assert_int_equal(l.r[0].f.rec_seq, 0);
	assert_true(l.r[0].f.rec_start == T0);
	assert_true(f->pkts[0] == 1 && f->pkts[1] == 0 && f->bytes[0] == 60);
	assert_true(f->total_pkts[0] == 3 && f->total_pkts[1] == 1);
	assert_int_equal(f->rec_seq, 1);
	assert_true(f->rec_start == T0 + SEC(100) && f->start == T0);
	p = pkt("10.0.0.2", 2, "10.0.0.1", 1, 17, T0 + SEC(150));
	mdr_flow_process(t, &p, NULL);
	mdr_flow_flush(t);
	assert_int_equal(l.n, 2);
	check_rec(&l.r[1], MDR_END_SHUTDOWN, 1, 1);
	assert_true(l.r[1].f.total_pkts[0] == 3 && l.r[1].f.total_pkts[1] == 2);
	assert_int_equal(l.r[1].f.rec_seq, 1);
	assert_true(l.r[1].f.flow_id == l.r[0].f.flow_id);
	assert_int_equal(mdr_flow_get_stats(t)->interim, 1);
	assert_int_equal(mdr_flow_get_stats(t)->ended[MDR_END_ACTIVE_TIMEOUT], 0);
	mdr_flow_table_free(t);
}

static struct mdr_flow *udp_port(struct mdr_flow_table *t, uint16_t port, mdr_time_t ts)
{
	struct mdr_pkt p = pkt("10.0.0.1", port, "10.0.0.2", 53, 17, ts);

	return mdr_flow_process(t, &p, NULL);
}

static void test_eviction(void **state)
{
	struct mdr_flow_config c;
	struct log l;
	struct mdr_flow_table *t;
	const struct mdr_flow_stats *st;

	(void)state;
	small_cfg(&c);
	c.max_flows = 4;
	c.hash_size = 3;
	c.evict_batch = 2;
	t = table(&c, &l);
	st = mdr_flow_get_stats(t);
	for (int i = 1; i <= 4; i++)
		assert_non_null(udp_port(t, (uint16_t)i, T0 + SEC(i)));
	assert_non_null(udp_port(t, 1, T0 + SEC(5)));      /* 1 is now the newest */
	assert_int_equal(l.n, 0);
	assert_non_null(udp_port(t, 5, T0 + SEC(6)));
	assert_int_equal(l.n, 2);
	check_rec(&l.r[0], MDR_END_EVICTED, 1, 0);
	assert_true(l.r[0].f.key.sport == 2 && l.r[1].f.key.sport == 3);
	assert_true(st->evicted == 2 && st->ended[MDR_END_EVICTED] == 2);
	assert_int_equal(st->active, 3);
	assert_non_null(udp_port(t, 6, T0 + SEC(7)));      /* a free slot left */
	assert_int_equal(l.n, 2);
	assert_non_null(udp_port(t, 7, T0 + SEC(8)));
	assert_int_equal(l.n, 4);
	assert_true(l.r[2].f.key.sport == 4 && l.r[3].f.key.sport == 1);
	assert_int_equal(l.r[3].f.pkts[0], 2);
	assert_true(st->evicted == 4 && st->created == 7 && st->active == 3);
	/* the survivors are still found */
	assert_non_null(udp_port(t, 5, T0 + SEC(9)));
	assert_int_equal(st->created, 7);
	mdr_flow_table_free(t);

	/* a full table first ends what is idle, then evicts */
	c.max_flows = 1;
	t = table(&c, &l);
	udp_port(t, 1, T0);
	udp_port(t, 2, T0 + SEC(301));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.r[0].why, MDR_END_IDLE_TIMEOUT);
	udp_port(t, 3, T0 + SEC(302));
	assert_int_equal(l.n, 2);
	assert_int_equal(l.r[1].why, MDR_END_EVICTED);
	assert_int_equal(l.r[1].f.key.sport, 2);
	assert_int_equal(mdr_flow_get_stats(t)->evicted, 1);
	mdr_flow_table_free(t);
}

static void test_flush(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_pkt p;

	(void)state;
	udp_port(t, 1, T0 + SEC(3));
	p = tcp(CLI, SRV, T0 + SEC(1), SYN, 1, 0, 0);
	mdr_flow_process(t, &p, NULL);
	p = pkt("10.0.0.1", 0, "10.0.0.2", 0, 47, T0 + SEC(2));
	mdr_flow_process(t, &p, NULL);
	mdr_flow_flush(t);
	assert_int_equal(l.n, 3);
	for (int i = 0; i < 3; i++)       /* oldest first */
		check_rec(&l.r[i], MDR_END_SHUTDOWN, 1, 0);
	assert_true(l.r[0].f.key.proto == 6 && l.r[1].f.key.proto == 47 &&
		    l.r[2].f.key.proto == 17);
	assert_true(mdr_flow_get_stats(t)->active == 0 &&
		    mdr_flow_get_stats(t)->ended[MDR_END_SHUTDOWN] == 3);
	/* the table is usable again, slots were wiped */
	assert_non_null(udp_port(t, 1, T0 + SEC(4)));
	assert_int_equal(udp_port(t, 1, T0 + SEC(4))->pkts[0], 2);
	mdr_flow_flush(t);
	mdr_flow_table_free(t);
}

/* ---- history and conn_state -------------------------------------------- */

struct scenario {
	const char *name;
	const struct seg *s;
	size_t n;
	const char *history;
	const char *conn_state;
};

static const struct scenario scenarios[] = {
	{ "SF", conn_sf, MDR_ARRAY_SIZE(conn_sf), "ShADadFf", "SF" },
	{ "S0", SEGS(C_SYN, C_SYN), "S", "S0" },
	{ "REJ", SEGS(C_SYN, { 1, RST | ACK, 0, 1001, 0 }), "Sr", "REJ" },
	{ "RSTO", SEGS(C_SYN, S_SYNACK, C_ACK, C_DATA, S_DATA, { 0, RST, 1101, 0, 0 }),
	  "ShADdR", "RSTO" },
	{ "RSTR", SEGS(C_SYN, S_SYNACK, C_ACK, C_DATA, S_DATA, { 1, RST, 5201, 0, 0 }),
	  "ShADdr", "RSTR" },
	{ "RSTOS0", SEGS(C_SYN, { 0, RST, 1001, 0, 0 }), "SR", "RSTOS0" },
	{ "RSTOS0-a", SEGS(C_SYN, { 1, ACK, 5000, 1001, 0 }, { 0, RST, 1001, 0, 0 }),
	  "SaR", "RSTOS0" },
	{ "OTH-SaFR", SEGS(C_SYN, { 1, ACK, 5000, 1001, 0 }, { 0, FIN | ACK, 1001, 5000, 0 },
			   { 0, RST, 1002, 0, 0 }), "SaFR", "OTH" },
	{ "OTH-R", SEGS({ 0, RST, 1000, 0, 0 }), "R", "OTH" },
	{ "SH", SEGS(C_SYN, { 0, FIN, 1001, 0, 0 }), "SF", "SH" },
	{ "SHR", SEGS(S_SYNACK, { 1, FIN | ACK, 5001, 1001, 0 }), "^hf", "SHR" },
	{ "RSTRH", SEGS(S_SYNACK, { 1, RST, 5001, 0, 0 }), "^hr", "RSTRH" },
	{ "OTH", SEGS({ 0, PSH | ACK, 1001, 5001, 10 }, { 1, PSH | ACK, 5001, 1011, 20 },
		      { 0, ACK, 1011, 5021, 0 }), "DdA", "OTH" },
	{ "S1", hs, MDR_ARRAY_SIZE(hs), "ShA", "S1" },
	{ "S2", SEGS(C_SYN, S_SYNACK, C_ACK, C_DATA, { 0, FIN | ACK, 1101, 5001, 0 }),
	  "ShADF", "S2" },
	{ "S3", SEGS(C_SYN, S_SYNACK, C_ACK, { 1, PSH | ACK, 5001, 1001, 200 },
		     { 1, FIN | ACK, 5201, 1001, 0 }), "ShAdf", "S3" },
	{ "retransmit", SEGS(C_SYN, S_SYNACK, C_ACK, C_DATA, C_DATA, C_DATA), "ShADT", "S1" },
	{ "multi-flag", SEGS({ 0, SYN | FIN, 1000, 0, 0 }, { 1, FIN | RST, 5000, 0, 0 }),
	  "Qi", "RSTR" },
};

static void test_conn_states(void **state)
{
	(void)state;
	for (size_t i = 0; i < MDR_ARRAY_SIZE(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		struct log l;
		struct mdr_flow_table *t = table(NULL, &l);
		struct mdr_flow *f = run(t, sc->s, sc->n, T0);

		assert_int_equal(mdr_flow_get_stats(t)->created, 1);
		assert_string_equal(f->history, sc->history);
		assert_string_equal(mdr_flow_conn_state(f), sc->conn_state);
		mdr_flow_table_free(t);
	}
}

static void test_tcp_states_client_close(void **state)
{
	static const struct { uint8_t tcp, flow, cls; } want[] = {  /* per conn_sf packet */
		{ MDR_TCP_SYN_SENT, MDR_FLOW_STATE_NEW, MDR_TO_TCP_NEW },
		{ MDR_TCP_SYN_RECV, MDR_FLOW_STATE_NEW, MDR_TO_TCP_NEW },
		{ MDR_TCP_ESTABLISHED, MDR_FLOW_STATE_ESTABLISHED, MDR_TO_TCP_EST },
		{ MDR_TCP_ESTABLISHED, MDR_FLOW_STATE_ESTABLISHED, MDR_TO_TCP_EST },
		{ MDR_TCP_ESTABLISHED, MDR_FLOW_STATE_ESTABLISHED, MDR_TO_TCP_EST },
		{ MDR_TCP_ESTABLISHED, MDR_FLOW_STATE_ESTABLISHED, MDR_TO_TCP_EST },
		{ MDR_TCP_CLOSE_WAIT, MDR_FLOW_STATE_ESTABLISHED, MDR_TO_TCP_EST },
		{ MDR_TCP_LAST_ACK, MDR_FLOW_STATE_CLOSED, MDR_TO_TCP_CLOSED },
		{ MDR_TCP_CLOSED, MDR_FLOW_STATE_CLOSED, MDR_TO_TCP_CLOSED },
	};
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f = NULL;

	(void)state;
	for (size_t i = 0; i < MDR_ARRAY_SIZE(conn_sf); i++) {
		f = run(t, &conn_sf[i], 1, T0 + MS(i));
		assert_string_equal(mdr_tcp_state_name(f->tcp_state),
				    mdr_tcp_state_name(want[i].tcp));
		assert_int_equal(f->state, want[i].flow);
		assert_int_equal(f->to_class, want[i].cls);
	}
	assert_int_equal(f->payload_bytes[0], 100);
	assert_int_equal(f->payload_bytes[1], 200);
	assert_true(f->fin_seen[0] && f->fin_seen[1] && f->syn_seen[0] && f->synack_seen);
	assert_int_equal(f->tcp_flags[0], SYN | ACK | PSH | FIN);
	assert_int_equal(f->closed_by, MDR_END_FIN);
	mdr_flow_table_free(t);
}

static void test_tcp_states_server_close(void **state)
{
	static const struct seg s[] = {
		{ 1, FIN | ACK, 5001, 1001, 0 }, { 0, ACK, 1001, 5002, 0 },
		{ 0, FIN | ACK, 1001, 5002, 0 }, { 1, ACK, 5002, 1002, 0 },
	};
	static const uint8_t st[] = {
		MDR_TCP_FIN_WAIT1, MDR_TCP_FIN_WAIT2, MDR_TCP_TIME_WAIT, MDR_TCP_CLOSED,
	};
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f = run(t, hs, 3, T0);

	(void)state;
	for (size_t i = 0; i < MDR_ARRAY_SIZE(s); i++) {
		f = run(t, &s[i], 1, T0 + SEC(1) + MS(i));
		assert_int_equal(f->tcp_state, st[i]);
	}
	assert_string_equal(f->history, "ShAfFa");
	assert_string_equal(mdr_flow_conn_state(f), "SF");
	/* simultaneous close: FIN crossing FIN -> closing */
	mdr_flow_flush(t);
	f = run(t, hs, 3, T0 + SEC(10));
	f = run(t, &s[0], 1, T0 + SEC(11));
	f = run(t, &(struct seg){ 0, FIN | ACK, 1001, 5001, 0 }, 1, T0 + SEC(12));
	assert_int_equal(f->tcp_state, MDR_TCP_CLOSING);
	f = run(t, &(struct seg){ 0, ACK, 1002, 5002, 0 }, 1, T0 + SEC(13));
	assert_int_equal(f->tcp_state, MDR_TCP_TIME_WAIT);
	f = run(t, &s[3], 1, T0 + SEC(14));
	assert_int_equal(f->tcp_state, MDR_TCP_CLOSED);
	mdr_flow_table_free(t);
}

/* ---- ids ------------------------------------------------------------------ */

static void test_flow_id(void **state)
{
	struct log la, lb;
	struct mdr_flow_table *ta = table(NULL, &la), *tb = table(NULL, &lb);
	struct mdr_flow *fa, *fb;
	struct mdr_pkt p = tcp(SRV, CLI, T0, SYN | ACK, 5000, 1001, 0);
	uint64_t id;

	(void)state;
	udp_port(tb, 999, T0);          /* a different table history */
	fa = run(ta, hs, 3, T0);
	fb = run(tb, hs, 3, T0);
	id = mdr_flow_id(&fa->key, T0);
	assert_true(fa->flow_id == id && fb->flow_id == id);
	assert_true(id == mdr_flow_id(&fa->key, T0));
	assert_true(id >> 63 == 0 && id != 0);
	assert_true(id != mdr_flow_id(&fa->key, T0 + 1));
	assert_true(id != mdr_flow_id(&p.key, T0));           /* reversed key */
	p.key.vlan = 3;
	assert_true(id != mdr_flow_id(&p.key, T0));
	/* a flipped flow's id is computed on its oriented key */
	fa = mdr_flow_process(ta, &p, NULL);
	assert_int_equal(fa->key.sport, 40000);
	assert_true(fa->flow_id == mdr_flow_id(&fa->key, T0));
	p = tcp(CLI, SRV, T0, 0, 0, 0, 0);
	p.key.vlan = 3;
	assert_true(fa->flow_id == mdr_flow_id(&p.key, T0));
	mdr_flow_table_free(ta);
	mdr_flow_table_free(tb);
}

struct cid_vec {
	uint8_t proto;
	const char *saddr, *daddr;
	uint16_t sport, dport;   /* ICMP: type, code */
	const char *seed0, *seed1;
	bool both;               /* also check the reverse direction */
};

/* Corelight community-id-spec baseline/baseline_{deflt,seed1}.json and the
 * pycommunityid tests; "both" entries appear there in both directions. */
static const struct cid_vec cid_vecs[] = {
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
	  "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=", true },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
	  "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=", true },
	{ 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
	  "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=", false },
	{ 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
	  "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=", false },
	{ 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
	  "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=", true },
	{ 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134,
	  "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=", false },
	{ 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133,
	  "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=", false },
	{ 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
	  "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=", "1:OlOWx9psIbBFi7lOCw/4MhlKR9M=", false },
	{ 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0,
	  "1:/OGBt9BN1ofenrmSPWYicpij2Vc=", "1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE=", false },
	{ 1, "192.168.0.89", "192.168.0.1", 8, 0,
	  "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=", true },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 20,        /* code ignored */
	  "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=", false },
	{ 1, "10.0.0.1", "10.0.0.2", 11, 0,
	  "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20=", false },
	{ 1, "192.168.0.89", "192.168.0.1", 20, 0,         /* one-way */
	  "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=", "1:lCXHHxavE1Vq3oX9NH5ladQg02o=", false },
	{ 1, "192.168.0.89", "192.168.0.1", 20, 1,
	  "1:tz/fHIDUHs19NkixVVoOZywde+I=", "1:Ie3wmFyxiEyikbsbcO03d2nh+PM=", false },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=", true },
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=", true },
	{ 6, "10.0.0.1", "10.0.0.2", 10, 11569,
	  "1:SXBGMX1lBOwhhoDrZynfROxnhnM=", "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=", true },
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53,
	  "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=", true },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7,
	  "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=", true },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 80,
	  "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=", "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=", true },
	{ 46, "10.1.12.1", "10.1.12.2", 0, 0,
	  "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=", true },
	{ 46, "10.1.24.4", "10.1.12.1", 0, 0,
	  "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=", "1:BK3BVW3U2eemuwVQVN3zd/GULno=", true },
};

static void check_cid(const struct mdr_flow_key *k, const struct cid_vec *v)
{
	char out[32];

	assert_int_equal(mdr_community_id(k, 0, out, sizeof(out)), 0);
	assert_string_equal(out, v->seed0);
	assert_int_equal(mdr_community_id(k, 1, out, sizeof(out)), 0);
	assert_string_equal(out, v->seed1);
	if (k->proto == 1 || k->proto == 58) {
		assert_int_equal(mdr_community_id_icmp(k, (uint8_t)k->sport,
						       (uint8_t)k->dport, 0, out,
						       sizeof(out)), 0);
		assert_string_equal(out, v->seed0);
	}
}

static void test_community_id_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < MDR_ARRAY_SIZE(cid_vecs); i++) {
		const struct cid_vec *v = &cid_vecs[i];
		struct mdr_pkt p = pkt(v->saddr, v->sport, v->daddr, v->dport, v->proto, T0);

		check_cid(&p.key, v);
		if (v->both) {
			p = pkt(v->daddr, v->dport, v->saddr, v->sport, v->proto, T0);
			check_cid(&p.key, v);
		}
	}
}

static void test_community_id_flow(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f;
	struct mdr_pkt p;
	char out[64];
	int dir;

	(void)state;
	/* echo: the decoder puts the identifier in both ports */
	p = pkt("192.168.0.89", 0x1234, "192.168.0.1", 0x1234, 1, T0);
	p.icmp_type = 8;
	f = mdr_flow_process(t, &p, &dir);
	p = pkt("192.168.0.1", 0x1234, "192.168.0.89", 0x1234, 1, T0 + MS(1));
	p.icmp_type = 0;
	assert_ptr_equal(mdr_flow_process(t, &p, &dir), f);
	assert_int_equal(dir, 1);
	assert_true(f->to_class == MDR_TO_ICMP && f->state == MDR_FLOW_STATE_ESTABLISHED);
	assert_string_equal(mdr_flow_conn_state(f), "OTH");     /* as Zeek */
	assert_int_equal(f->icmp_type, 8);
	assert_int_equal(mdr_flow_community_id(f, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	assert_int_equal(mdr_community_id(&f->key, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(mdr_community_id_icmp(&f->key, 8, 0, 0, out, 30), -ENOSPC);
	p.key.proto = 17;
	assert_int_equal(mdr_community_id_icmp(&p.key, 8, 0, 0, out, sizeof(out)), -EINVAL);
	p.key.ip_ver = 5;
	assert_int_equal(mdr_community_id(&p.key, 0, out, sizeof(out)), -EINVAL);
	mdr_flow_table_free(t);
}

static void test_frag_accounting(void **state)
{
	struct log l;
	struct mdr_flow_table *t = table(NULL, &l);
	struct mdr_flow *f;
	struct mdr_pkt p;

	(void)state;
	p = pkt("10.0.0.1", 5000, "10.0.0.2", 5001, 17, T0);
	p.is_fragment_reassembled = 1;
	p.caplen = 4028;            /* the reassembled datagram */
	p.frag_pkts = 3;
	p.frag_bytes = 4070;        /* the three fragments as captured */
	f = mdr_flow_process(t, &p, NULL);
	assert_true(f->pkts[0] == 3 && f->bytes[0] == 4070);
	p = pkt("10.0.0.2", 5001, "10.0.0.1", 5000, 17, T0 + 1);
	p.caplen = p.frag_bytes = 100;
	mdr_flow_process(t, &p, NULL);
	assert_true(f->pkts[1] == 1 && f->bytes[1] == 100);
	assert_true(f->total_pkts[0] == 3 && f->total_bytes[0] == 4070);
	mdr_flow_table_free(t);
}

static void test_many_flows_collisions(void **state)
{
	struct mdr_flow_config c;
	struct log l;
	struct mdr_flow_table *t;
	struct mdr_flow *fl[512];

	(void)state;
	small_cfg(&c);
	c.max_flows = 512;
	c.hash_size = 16;           /* long chains on purpose */
	t = table(&c, &l);
	for (int i = 0; i < 512; i++)
		fl[i] = udp_port(t, (uint16_t)(1000 + i), T0 + (mdr_time_t)i);
	for (int i = 0; i < 512; i++) {
		struct mdr_pkt p = pkt("10.0.0.2", 53, "10.0.0.1", (uint16_t)(1000 + i),
				       17, T0 + SEC(1));
		int dir;

		assert_ptr_equal(mdr_flow_process(t, &p, &dir), fl[i]);
		assert_int_equal(dir, 1);
	}
	assert_true(mdr_flow_get_stats(t)->created == 512 && l.n == 0);
	assert_true(mdr_flow_get_stats(t)->collisions > 0);
	mdr_flow_expire(t, T0 + SEC(302));
	assert_true(l.n == 512 && mdr_flow_get_stats(t)->active == 0);
	mdr_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_default),
		cmocka_unit_test(test_bidir_udp_ipv4),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_vlan_in_key),
		cmocka_unit_test(test_synack_flip),
		cmocka_unit_test(test_idle_tcp_new_established),
		cmocka_unit_test(test_idle_tcp_closed),
		cmocka_unit_test(test_idle_udp_icmp_other),
		cmocka_unit_test(test_expire_classes),
		cmocka_unit_test(test_reuse_syn),
		cmocka_unit_test(test_active_timeout),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_conn_states),
		cmocka_unit_test(test_tcp_states_client_close),
		cmocka_unit_test(test_tcp_states_server_close),
		cmocka_unit_test(test_flow_id),
		cmocka_unit_test(test_community_id_vectors),
		cmocka_unit_test(test_community_id_flow),
		cmocka_unit_test(test_frag_accounting),
		cmocka_unit_test(test_many_flows_collisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
