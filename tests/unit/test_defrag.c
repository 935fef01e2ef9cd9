/*
 * test_defrag.c - unit tests of IPv4/IPv6 fragment reassembly in the decoder.
 *
 * Fragments are cut from a datagram built with decode_frames.h and fed
 * in order, reversed, duplicated, overlapping, inconsistent, timed out
 * and with the pool exhausted; the reassembled datagram, its accounting
 * (frag_pkts/frag_bytes) and every counter are checked exactly.
 */
#include "decode_frames.h"

static void test_frag4_orders(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb dg = dgram4("10.0.0.1", "10.0.0.2", 7);
	struct fr fr[4];
	struct mdr_pkt p;
	static const int orders[][6] = {
		{ 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 },
		{ 0, 0, 1, 3, 1, 2 },                   /* duplicates */
	};

	cut4(fr, &dg);
	uint32_t all = fr[0].len * 3 + fr[3].len;

	for (unsigned k = 0; k < 3; k++) {
		feed(d, fr, orders[k], 4, &p);
		check_reasm4(&p, &dg, 4, all);
		check_key(&p, 4, "10.0.0.1", "10.0.0.2", 17, 4000, 5000);
	}
	feed(d, fr, orders[3], 6, &p);
	check_reasm4(&p, &dg, 6, all + 2 * fr[0].len);
	assert_int_equal(ST(d)->frag_seen, 18);
	assert_int_equal(ST(d)->frag_reassembled, 4);
	assert_int_equal(ST(d)->frag_dropped, 0);
	assert_int_equal(ST(d)->udp, 4);
	assert_int_equal(ST(d)->ok, 4);
	assert_int_equal(ST(d)->ipv4, 18);

	/* fragments inside a VLAN keep the tag of the completing packet */
	struct fr v[4];

	for (int i = 0; i < 4; i++) {
		memcpy(v[i].b, fr[i].b, 12);
		v[i].b[12] = 0x81; v[i].b[13] = 0; v[i].b[14] = 0; v[i].b[15] = 55;
		memcpy(v[i].b + 16, fr[i].b + 12, fr[i].len - 12);
		v[i].len = fr[i].len + 4;
	}
	feed(d, v, orders[1], 4, &p);
	assert_int_equal(p.key.vlan, 55);
	assert_int_equal(p.vlan[0], 55);
	assert_memory_equal(p.data, dg.b, dg.len);
	mdr_decoder_free(d);
}

static void test_frag4_overlap(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb dg = dgram4("10.0.0.1", "10.0.0.2", 9), alt;
	struct fr fr[4];
	struct mdr_pkt p;

	alt = dg;
	for (int i = 20 + 96; i < 20 + 112; i++)
		alt.b[i] ^= 0x5a;
	fr[0].len = frag4(fr[0].b, dg.b, 0, 112, 1);          /* [0,112) */
	fr[1].len = frag4(fr[1].b, alt.b, 96, 200, 1);        /* [96,296) */
	fr[2].len = frag4(fr[2].b, dg.b, 296, 104, 0);        /* [296,400) */
	fr[3].len = frag4(fr[3].b, alt.b, 0, 112, 1);         /* altered first */
	feed(d, fr, (const int[]){ 0, 1, 2 }, 3, &p);
	assert_memory_equal(p.data, dg.b, dg.len);              /* first wins */
	feed(d, fr, (const int[]){ 1, 0, 2 }, 3, &p);
	assert_memory_equal(p.data + 116, alt.b + 116, 16);     /* first wins */
	assert_memory_equal(p.data + 20, dg.b + 20, 96);
	feed(d, fr, (const int[]){ 3, 0, 1, 2 }, 4, &p);
	assert_memory_equal(p.data + 20, alt.b + 20, 112);
	assert_int_equal(p.frag_pkts, 4);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_BAD], 0);
	mdr_decoder_free(d);
}

static void test_frag4_bad(void **state)
{
	(void)state;
	struct mdr_decode_config cfg;
	struct mdr_decoder *d;
	struct fb dg = dgram4("10.0.0.1", "10.0.0.2", 3);
	struct fr fr[4], x;
	struct mdr_pkt p;

	mdr_decode_config_default(&cfg);
	cfg.frag_max_frags = 4;
	cfg.frag_max_size = 300;
	d = mdr_decoder_create(&cfg);
	assert_non_null(d);
	cut4(fr, &dg);
	/* the size limit: 20 + 400 > 300, the whole datagram goes */
	assert_int_equal(dec(d, 1, fr[3].b, fr[3].len, &p), -MDR_DERR_FRAG_BAD);
	assert_int_equal(dec(d, 1, fr[0].b, fr[0].len, &p), MDR_DECODE_HELD);
	assert_int_equal(dec(d, 1, fr[2].b, fr[2].len, &p), -MDR_DERR_FRAG_BAD);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_BAD], 2);
	assert_int_equal(ST(d)->frag_dropped, 3);
	mdr_decoder_free(d);

	/* inconsistent totals: two different last fragments */
	cfg.frag_max_size = 65535;
	d = mdr_decoder_create(&cfg);
	x.len = frag4(x.b, dg.b, 104, 88, 0);
	assert_int_equal(dec(d, 1, fr[3].b, fr[3].len, &p), MDR_DECODE_HELD);
	assert_int_equal(dec(d, 1, x.b, x.len, &p), -MDR_DERR_FRAG_BAD);
	assert_int_equal(ST(d)->frag_dropped, 2);
	/* data beyond a known end */
	x.len = frag4(x.b, dg.b, 104, 104, 0);
	assert_int_equal(dec(d, 1, x.b, x.len, &p), MDR_DECODE_HELD);
	assert_int_equal(dec(d, 1, fr[2].b, fr[2].len, &p), -MDR_DERR_FRAG_BAD);
	assert_int_equal(ST(d)->frag_dropped, 4);
	/* more-fragments with a length not a multiple of 8 */
	x.len = frag4(x.b, dg.b, 0, 100, 1);
	assert_int_equal(dec(d, 1, x.b, x.len, &p), -MDR_DERR_FRAG_BAD);
	/* too many fragments: five copies of the first */
	for (int i = 0; i < 4; i++)
		assert_int_equal(dec(d, 1, fr[0].b, fr[0].len, &p), MDR_DECODE_HELD);
	assert_int_equal(dec(d, 1, fr[0].b, fr[0].len, &p), -MDR_DERR_FRAG_BAD);
	assert_int_equal(ST(d)->frag_dropped, 10);
	/* offset beyond 64 KiB */
	x.len = frag4(x.b, dg.b, 0, 104, 1);
	x.b[14 + 6] = 0x1f; x.b[14 + 7] = 0xff;
	assert_int_equal(dec(d, 1, x.b, x.len, &p), -MDR_DERR_FRAG_BAD);
	/* a fragment whose bytes were not all captured */
	assert_int_equal(dec(d, 1, fr[1].b, fr[1].len - 1, &p), -MDR_DERR_IPV4_TRUNC);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_BAD], 5);
	assert_int_equal(ST(d)->frag_seen, 12);
	assert_int_equal(ST(d)->frag_dropped, 12);
	assert_int_equal(ST(d)->frag_reassembled, 0);
	mdr_decoder_free(d);
}

static void test_frag_timeout_and_pool(void **state)
{
	(void)state;
	struct mdr_decode_config cfg;
	struct mdr_decoder *d;
	struct fb dg[3] = {
		dgram4("10.0.0.1", "10.0.0.2", 1), dgram4("10.0.0.1", "10.0.0.2", 2),
		dgram4("10.0.0.1", "10.0.0.2", 3),
	};
	struct fr fr[3][4];
	struct mdr_pkt p;
	const uint64_t s = MDR_NSEC_PER_SEC;

	mdr_decode_config_default(&cfg);
	cfg.frag_max_datagrams = 2;
	d = mdr_decoder_create(&cfg);
	for (int i = 0; i < 3; i++)
		cut4(fr[i], &dg[i]);
	/* explicit expiry */
	assert_int_equal(dec_ts(d, 1, fr[0][0].b, fr[0][0].len, &p, 10 * s), MDR_DECODE_HELD);
	assert_int_equal(dec_ts(d, 1, fr[0][1].b, fr[0][1].len, &p, 11 * s), MDR_DECODE_HELD);
	mdr_decode_expire(d, 70 * s);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_TIMEOUT], 0);
	mdr_decode_expire(d, 70 * s + 1);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_TIMEOUT], 1);
	assert_int_equal(ST(d)->frag_dropped, 2);
	/* implicit: a late fragment finds its datagram expired */
	assert_int_equal(dec_ts(d, 1, fr[0][2].b, fr[0][2].len, &p, 100 * s), MDR_DECODE_HELD);
	assert_int_equal(dec_ts(d, 1, fr[0][3].b, fr[0][3].len, &p, 200 * s), MDR_DECODE_HELD);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_TIMEOUT], 2);
	assert_int_equal(ST(d)->frag_dropped, 3);
	/* pool of two: a third datagram evicts the oldest */
	assert_int_equal(dec_ts(d, 1, fr[1][0].b, fr[1][0].len, &p, 201 * s), MDR_DECODE_HELD);
	assert_int_equal(dec_ts(d, 1, fr[2][0].b, fr[2][0].len, &p, 202 * s), MDR_DECODE_HELD);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_NOMEM], 1);
	assert_int_equal(ST(d)->frag_dropped, 4);
	for (int i = 1; i < 4; i++) {
		int rc = dec_ts(d, 1, fr[1][i].b, fr[1][i].len, &p, 203 * s);

		assert_int_equal(rc, i == 3 ? MDR_DECODE_OK : MDR_DECODE_HELD);
	}
	assert_memory_equal(p.data, dg[1].b, dg[1].len);
	for (int i = 1; i < 4; i++)
		dec_ts(d, 1, fr[2][i].b, fr[2][i].len, &p, 204 * s);
	assert_memory_equal(p.data, dg[2].b, dg[2].len);
	assert_int_equal(ST(d)->frag_reassembled, 2);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_NOMEM], 1);
	assert_int_equal(ST(d)->frag_dropped, 4);
	mdr_decoder_free(d);

	cfg.frag_max_datagrams = 0;             /* reassembly disabled */
	d = mdr_decoder_create(&cfg);
	assert_int_equal(dec(d, 1, fr[0][0].b, fr[0][0].len, &p), -MDR_DERR_FRAG_NOMEM);
	assert_int_equal(ST(d)->frag_dropped, 1);
	mdr_decoder_free(d);
}

static void test_frag6(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb dg = { 0 };
	struct fr fr[3];
	struct mdr_pkt p;

	/* hop-by-hop (unfragmentable) + destination options (fragmentable) */
	ip6(&dg, "2001:db8::1", "2001:db8::2", 0);
	ext6(&dg, 60, 0, 8);
	ext6(&dg, 17, 0, 8);
	udp(&dg, 53, 33333);
	pay(&dg, 300, 1);
	fb_done(&dg);
	uint32_t pl = dg.len - 48;              /* 316 bytes after HBH */
	static const int orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 } };

	for (int i = 0; i < 3; i++)
		fr[i].len = frag6(fr[i].b, dg.b, 48, 40, (uint32_t)i * 128,
				  i < 2 ? 128 : pl - 256, i < 2);
	for (int k = 0; k < 3; k++) {
		feed(d, fr, orders[k], 3, &p);
		check_key(&p, 6, "2001:db8::1", "2001:db8::2", 17, 53, 33333);
		assert_int_equal(p.is_fragment_reassembled, 1);
		assert_int_equal(p.caplen, dg.len);
		assert_memory_equal(p.data, dg.b, dg.len);
		assert_int_equal(p.l4_off, 56);
		assert_int_equal(p.payload_len, 300);
		assert_int_equal(p.frag_pkts, 3);
		assert_int_equal(p.frag_bytes, fr[0].len + fr[1].len + fr[2].len);
		assert_int_equal(p.ip_ttl, 63);
	}
	/* duplicates and a reversed order, plain header */
	memset(&dg, 0, sizeof(dg));
	ip6(&dg, "fd00::5", "fd00::6", 6);
	tcp(&dg, 80, 1025, 0x18);
	pay(&dg, 200, 3);
	fb_done(&dg);
	fr[0].len = frag6(fr[0].b, dg.b, 40, 6, 0, 112, 1);
	fr[1].len = frag6(fr[1].b, dg.b, 40, 6, 112, 108, 0);
	feed(d, fr, (const int[]){ 1, 1, 0 }, 3, &p);
	assert_memory_equal(p.data, dg.b, dg.len);
	assert_int_equal(p.frag_pkts, 3);
	assert_int_equal(p.tcp_flags, 0x18);
	/* timeout */
	assert_int_equal(dec_ts(d, 1, fr[0].b, fr[0].len, &p, 5), MDR_DECODE_HELD);
	mdr_decode_expire(d, 5 + 61 * MDR_NSEC_PER_SEC);
	assert_int_equal(ST(d)->err[MDR_DERR_FRAG_TIMEOUT], 1);
	assert_int_equal(ST(d)->frag_seen, 13);
	assert_int_equal(ST(d)->frag_dropped, 1);
	assert_int_equal(ST(d)->frag_reassembled, 4);
	mdr_decoder_free(d);
}

/* A fragment header inside a reassembled datagram is refused. */
static void test_frag6_nested(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb dg = { 0 };
	struct fr fr[2];
	struct mdr_pkt p;

	ip6(&dg, "fd00::5", "fd00::6", 44);
	put8(&dg, 17); put8(&dg, 0); put16(&dg, 8); put32(&dg, 1);
	pay(&dg, 40, 0);
	fb_done(&dg);
	fr[0].len = frag6(fr[0].b, dg.b, 40, 6, 0, 48, 0);
	fr[0].b[14 + 40 + 3] = 1;
	fr[1].len = frag6(fr[1].b, dg.b, 40, 6, 48, 0, 0);
	assert_int_equal(dec(d, 1, fr[0].b, fr[0].len, &p), MDR_DECODE_HELD);
	assert_int_equal(dec(d, 1, fr[1].b, fr[1].len, &p), -MDR_DERR_IPV6_BAD_EXTHDR);
	mdr_decoder_free(d);
}

static void test_frag_tunnel(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb dg = { 0 };
	struct fr fr[2];
	struct mdr_pkt p;

	ip4(&dg, "203.0.113.9", "203.0.113.10", 47);
	put16(&dg, 0x2000); put16(&dg, 0x0800); put32(&dg, 99);
	inner_tcp4(&dg);
	pay(&dg, 100, 0);
	fb_done(&dg);
	fr[0].len = frag4(fr[0].b, dg.b, 0, 64, 1);
	fr[1].len = frag4(fr[1].b, dg.b, 64, dg.len - 20 - 64, 0);
	feed(d, fr, (const int[]){ 1, 0 }, 2, &p);
	check_key(&p, 4, "192.168.0.1", "192.168.0.2", 6, 3333, 80);
	assert_int_equal(p.tunnel.type, MDR_TUNNEL_GRE);
	assert_int_equal(p.tunnel.vni, 99);
	assert_string_equal(ipstr(&p.tunnel.src, 4), "203.0.113.9");
	assert_int_equal(p.l3_off, 28);
	assert_int_equal(p.payload_len, 111);
	assert_int_equal(p.is_fragment_reassembled, 1);

	/* fragments inside a VXLAN tunnel */
	struct fb in = dgram4("10.1.0.1", "10.1.0.2", 77);
	struct fr v[4], tmp;

	for (int i = 0; i < 4; i++) {
		struct fb f = { 0 };

		tmp.len = frag4(tmp.b, in.b, (uint32_t)i * 104, i < 3 ? 104 : 88, i < 3);
		eth(&f, 0x0800);
		ip4(&f, "172.31.0.1", "172.31.0.2", 17);
		udp(&f, 40000, 4789);
		put32(&f, 0x08000000); put32(&f, 4242u << 8);
		put(&f, tmp.b, tmp.len);
		fb_done(&f);
		memcpy(v[i].b, f.b, f.len);
		v[i].len = f.len;
	}
	feed(d, v, (const int[]){ 2, 3, 0, 1 }, 4, &p);
	check_reasm4(&p, &in, 4, v[0].len * 3 + v[3].len);
	check_key(&p, 4, "10.1.0.1", "10.1.0.2", 17, 4000, 5000);
	assert_int_equal(p.tunnel.type, MDR_TUNNEL_VXLAN);
	assert_int_equal(p.tunnel.vni, 4242);
	assert_string_equal(ipstr(&p.tunnel.dst, 4), "172.31.0.2");
	assert_int_equal(ST(d)->frag_reassembled, 2);
	mdr_decoder_free(d);
}

/* ---- dispatch hash ------------------------------------------------- */


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag4_orders),
		cmocka_unit_test(test_frag4_overlap),
		cmocka_unit_test(test_frag4_bad),
		cmocka_unit_test(test_frag_timeout_and_pool),
		cmocka_unit_test(test_frag6),
		cmocka_unit_test(test_frag6_nested),
		cmocka_unit_test(test_frag_tunnel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
