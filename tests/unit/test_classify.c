/*
 * test_classify.c - the nDPI glue: a module loads the shipped lists, a
 * crafted DNS exchange and HTTP request are classified as nDPI says, a
 * flow ending before detection is over is given up (guessed), the nDPI
 * flow pool is given back, names map to Suricata's app_proto, and a list
 * that is missing is an error naming its key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "classify/classify.h"

/* An IPv4/UDP or TCP packet around payload, in buf; fills p. */
static void make_pkt(struct mdr_pkt *p, uint8_t *buf, uint8_t proto, const uint8_t src[4],
		     const uint8_t dst[4], uint16_t sport, uint16_t dport,
		     const void *payload, uint16_t plen, uint8_t tcp_flags)
{
	uint16_t l4 = proto == 17 ? 8 : 20, tot = (uint16_t)(20 + l4 + plen);

	memset(buf, 0, 20 + l4);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(tot >> 8);
	buf[3] = (uint8_t)tot;
	buf[8] = 64;
	buf[9] = proto;
	memcpy(buf + 12, src, 4);
	memcpy(buf + 16, dst, 4);
	buf[20] = (uint8_t)(sport >> 8);
	buf[21] = (uint8_t)sport;
	buf[22] = (uint8_t)(dport >> 8);
	buf[23] = (uint8_t)dport;
	if (proto == 17) {
		buf[24] = (uint8_t)((8 + plen) >> 8);
		buf[25] = (uint8_t)(8 + plen);
	} else {
		buf[32] = 0x50;
		buf[33] = tcp_flags;
		buf[34] = 0xff;
	}
	if (plen)
		memcpy(buf + 20 + l4, payload, plen);
	memset(p, 0, sizeof(*p));
	p->data = buf;
	p->caplen = tot;
	p->l3_off = 0;
	p->l3_len = tot;
	p->l4_off = 20;
	p->key.proto = proto;
	p->key.ip_ver = 4;
	p->key.sport = sport;
	p->key.dport = dport;
	p->ts = 1700000000ull * MDR_NSEC_PER_SEC;
}

static struct mdr_classify *create(void)
{
	struct mdr_classify_config cfg;
	char err[256] = "";
	struct mdr_classify *c;

	mdr_classify_config_default(&cfg);
	c = mdr_classify_create(&cfg, 1024, err, sizeof(err));
	if (!c)
		fprintf(stderr, "%s\n", err);
	assert_non_null(c);
	return c;
}

static void test_dns_flow(void **state)
{
	static const uint8_t cli[4] = { 10, 0, 0, 1 }, srv[4] = { 10, 0, 0, 53 };
	static const uint8_t query[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
					 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	uint8_t buf[256], ans[sizeof(query) + 16];
	struct mdr_classify *c = create();
	struct mdr_flow f;
	struct mdr_pkt p;
	struct mdr_flow_meta m;

	(void)state;
	memset(&f, 0, sizeof(f));
	memcpy(ans, query, sizeof(query));
	ans[2] = 0x81;
	ans[3] = 0x80;
	ans[7] = 1;
	memcpy(ans + sizeof(query), "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22", 16);
	make_pkt(&p, buf, 17, cli, srv, 40000, 53, query, sizeof(query), 0);
	mdr_classify_packet(c, &f, &p, 0);
	make_pkt(&p, buf, 17, srv, cli, 53, 40000, ans, sizeof(ans), 0);
	mdr_classify_packet(c, &f, &p, 1);
	assert_int_equal(mdr_classify_get_stats(c)->ndpi_flows, 0);   /* done: released */
	memset(&m, 0, sizeof(m));
	mdr_classify_fill(c, &f, &m, true);
	assert_string_equal(m.ndpi_proto, "DNS");
	assert_string_equal(m.app_proto, "dns");
	assert_string_equal(m.ndpi_confidence, "DPI");
	assert_string_equal(m.ndpi_category, "Network");
	assert_string_equal(m.dns_query, "www.example.com");   /* nDPI's name as fallback */
	assert_null(f.ext[MDR_FLOW_EXT_CLASSIFY]);
	assert_int_equal(mdr_classify_get_stats(c)->detected, 1);
	mdr_classify_free(c);
}

static void test_give_up_guess(void **state)
{
	static const uint8_t cli[4] = { 10, 0, 0, 1 }, srv[4] = { 10, 0, 0, 2 };
	uint8_t buf[256];
	struct mdr_classify *c = create();
	struct mdr_flow f;
	struct mdr_pkt p;
	struct mdr_flow_meta m;

	(void)state;
	memset(&f, 0, sizeof(f));
	/* a SYN to port 443 and nothing else: ended while detecting, guessed by port */
	make_pkt(&p, buf, 6, cli, srv, 40000, 443, NULL, 0, 0x02);
	mdr_classify_packet(c, &f, &p, 0);
	assert_int_equal(mdr_classify_get_stats(c)->ndpi_flows, 1);
	memset(&m, 0, sizeof(m));
	mdr_classify_fill(c, &f, &m, true);
	assert_string_equal(m.ndpi_proto, "TLS");
	assert_string_equal(m.ndpi_confidence, "Match by port");
	assert_string_equal(m.app_proto, "");   /* no DPI answer: EVE says "failed" */
	assert_int_equal(mdr_classify_get_stats(c)->guessed, 1);
	assert_int_equal(mdr_classify_get_stats(c)->ndpi_flows, 0);
	mdr_classify_free(c);
}

static void test_max_packets(void **state)
{
	static const uint8_t cli[4] = { 10, 0, 0, 1 }, srv[4] = { 10, 0, 0, 2 };
	uint8_t buf[256], junk[64];
	struct mdr_classify_config cfg;
	char err[256];
	struct mdr_classify *c;
	struct mdr_flow f;
	struct mdr_pkt p;

	(void)state;
	mdr_classify_config_default(&cfg);
	cfg.max_pkts_udp = 3;
	c = mdr_classify_create(&cfg, 16, err, sizeof(err));
	assert_non_null(c);
	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 97 + 13);
	for (int i = 0; i < 10; i++) {
		make_pkt(&p, buf, 17, cli, srv, 40001, 40002, junk, sizeof(junk), 0);
		mdr_classify_packet(c, &f, &p, 0);
	}
	assert_int_equal(mdr_classify_get_stats(c)->pkts, 4);  /* stopped after the limit */
	assert_int_equal(mdr_classify_get_stats(c)->gave_up, 1);
	mdr_classify_fill(c, &f, &(struct mdr_flow_meta){ 0 }, true);
	mdr_classify_free(c);
}

static void test_names_and_errors(void **state)
{
	char buf[32], err[256];
	struct mdr_classify_config cfg;

	(void)state;
	assert_string_equal(mdr_classify_app_proto("TLS", "Google", buf, sizeof(buf)), "tls");
	assert_string_equal(mdr_classify_app_proto("", "SMBv23", buf, sizeof(buf)), "smb");
	assert_string_equal(mdr_classify_app_proto("", "FTP_DATA", buf, sizeof(buf)), "ftp-data");
	assert_string_equal(mdr_classify_app_proto("", "NetBIOS", buf, sizeof(buf)), "netbios");
	assert_string_equal(mdr_classify_app_proto("", "Unknown", buf, sizeof(buf)), "");
	assert_string_equal(mdr_classify_risk_name(5), "Known Protocol on Non Standard Port");
	assert_string_equal(mdr_classify_risk_severity(5), "Medium");
	assert_true(mdr_classify_risk_score(5) > 0);
	assert_null(mdr_classify_risk_name(0));
	mdr_classify_config_default(&cfg);
	snprintf(cfg.ja3_file, sizeof(cfg.ja3_file), "/nonexistent/ja3.csv");
	assert_null(mdr_classify_create(&cfg, 16, err, sizeof(err)));
	assert_non_null(strstr(err, "classify.ja3-file"));
	assert_non_null(strstr(err, "/nonexistent/ja3.csv"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_flow),
		cmocka_unit_test(test_give_up_guess),
		cmocka_unit_test(test_max_packets),
		cmocka_unit_test(test_names_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
