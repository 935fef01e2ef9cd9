/*
 * test_decode.c - unit tests of the packet decoder (probe/decode).
 *
 * Frames are assembled by hand with a tiny builder: layers are appended
 * in order (Ethernet, tags, IP, L4, payload) and fb_done() fixes lengths
 * and checksums from the innermost layer out. Fragments are cut from a
 * finished datagram (fragment tests: test_defrag.c). Every test asserts exact decoded fields and counters.
 * The robustness tests decode every truncation of a set of valid frames
 * and a few hundred thousand random and mutated frames, each from a heap
 * copy of exactly caplen bytes so that ASan sees any over-read.
 */
#include "decode_frames.h"

static void test_eth_ipv4_tcp(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x0800);
	ip4(&f, "10.0.0.1", "192.168.1.2", 6);
	tcpo(&f, 40000, 443, 0x18, 12);
	pay(&f, 100, 3);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 4, "10.0.0.1", "192.168.1.2", 6, 40000, 443);
	assert_int_equal(p.key.vlan, 0);
	assert_int_equal(p.tcp_flags, 0x18);
	assert_int_equal(p.tcp_seq, 1000);
	assert_int_equal(p.tcp_ack, 2000);
	assert_int_equal(p.tcp_win, 8192);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.l3_len, 20 + 32 + 100);
	assert_int_equal(p.ip_ttl, 64);
	assert_int_equal(p.payload_len, 100);
	assert_ptr_equal(p.payload, f.b + 14 + 20 + 32);
	assert_int_equal(p.frag_pkts, 1);
	assert_int_equal(p.frag_bytes, f.len);
	assert_int_equal(p.tunnel.type, MDR_TUNNEL_NONE);
	assert_int_equal(p.is_fragment_reassembled, 0);
	assert_int_equal(ST(d)->pkts, 1);
	assert_int_equal(ST(d)->ok, 1);
	assert_int_equal(ST(d)->ipv4, 1);
	assert_int_equal(ST(d)->tcp, 1);
	mdr_decoder_free(d);
}

static void test_padding_and_snaplen(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f;
	struct mdr_pkt p;

	mk_udp4(&f, "1.2.3.4", "5.6.7.8", 53, 1053, 4);
	memset(f.b + f.len, 0xee, 60 - f.len);  /* Ethernet padding */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 60, &p), MDR_DECODE_OK);
	assert_int_equal(p.payload_len, 4);
	assert_int_equal(p.l3_len, 32);

	mk_udp4(&f, "1.2.3.4", "5.6.7.8", 53, 1053, 200);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 64, &p), MDR_DECODE_OK);
	assert_int_equal(p.payload_len, 64 - 42);       /* clipped to capture */
	assert_int_equal(p.l3_len, 228);
	/* checksum cannot be checked on a cut segment: still OK */
	assert_int_equal(ST(d)->err[MDR_DERR_UDP_BAD_CSUM], 0);
	mdr_decoder_free(d);
}

static void test_vlan_qinq(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x8100);
	vlan(&f, 0x2000 | 100, 0x0800);
	ip4(&f, "10.1.1.1", "10.1.1.2", 17);
	udp(&f, 1, 2);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.vlan_count, 1);
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.key.vlan, 100);
	assert_int_equal(p.l3_off, 18);

	static const uint16_t outer[] = { 0x88a8, 0x9100, 0x8100 };

	for (unsigned i = 0; i < 3; i++) {
		memset(&f, 0, sizeof(f));
		eth(&f, outer[i]);
		vlan(&f, 200, 0x8100);
		vlan(&f, 300, 0x86dd);
		ip6(&f, "2001:db8::1", "2001:db8::2", 6);
		tcp(&f, 5, 6, 2);
		fb_done(&f);
		assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
		assert_int_equal(p.vlan_count, 2);
		assert_int_equal(p.vlan[0], 200);
		assert_int_equal(p.vlan[1], 300);
		assert_int_equal(p.key.vlan, 200);
		assert_int_equal(p.l3_off, 22);
		check_key(&p, 6, "2001:db8::1", "2001:db8::2", 6, 5, 6);
	}
	assert_int_equal(ST(d)->vlan, 7);

	memset(&f, 0, sizeof(f));               /* three tags */
	eth(&f, 0x88a8);
	vlan(&f, 1, 0x8100);
	vlan(&f, 2, 0x8100);
	vlan(&f, 3, 0x0800);
	ip4(&f, "1.1.1.1", "2.2.2.2", 6);
	tcp(&f, 1, 2, 2);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_VLAN_TOO_MANY);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 16, &p), -MDR_DERR_VLAN_TRUNC);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 13, &p), -MDR_DERR_ETH_TRUNC);
	assert_int_equal(ST(d)->err[MDR_DERR_VLAN_TOO_MANY], 1);
	assert_int_equal(ST(d)->err[MDR_DERR_VLAN_TRUNC], 1);
	assert_int_equal(ST(d)->err[MDR_DERR_ETH_TRUNC], 1);
	mdr_decoder_free(d);
}

static void test_mpls(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x8847);
	mpls(&f, 100, 0);
	mpls(&f, 200, 1);
	ip4(&f, "10.0.0.1", "10.0.0.2", 6);
	tcp(&f, 80, 8080, 0x11);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.mpls_count, 2);
	assert_int_equal(p.l3_off, 22);
	check_key(&p, 4, "10.0.0.1", "10.0.0.2", 6, 80, 8080);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 20, &p), -MDR_DERR_MPLS_TRUNC);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 22, &p), -MDR_DERR_MPLS_TRUNC);

	memset(&f, 0, sizeof(f));               /* multicast, VLAN, IPv6 */
	eth(&f, 0x8100);
	vlan(&f, 7, 0x8848);
	mpls(&f, 1, 1);
	ip6(&f, "::1", "::2", 17);
	udp(&f, 9, 10);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 6, "::1", "::2", 17, 9, 10);
	assert_int_equal(p.key.vlan, 7);

	memset(&f, 0, sizeof(f));               /* pseudowire: CW + Ethernet */
	eth(&f, 0x8847);
	mpls(&f, 16, 1);
	put32(&f, 0);
	eth(&f, 0x0800);
	ip4(&f, "10.9.9.9", "10.8.8.8", 17);
	udp(&f, 1, 2);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 4, "10.9.9.9", "10.8.8.8", 17, 1, 2);
	assert_int_equal(p.l3_off, 14 + 4 + 4 + 14);

	memset(&f, 0, sizeof(f));               /* nine labels */
	eth(&f, 0x8847);
	for (int i = 0; i < 9; i++)
		mpls(&f, i, i == 8);
	ip4(&f, "1.1.1.1", "2.2.2.2", 6);
	tcp(&f, 1, 2, 2);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_MPLS_TOO_MANY);
	f.b[14 + 4 * 7 + 2] |= 1;               /* bottom at the 8th: fine */
	memmove(f.b + 14 + 32, f.b + 14 + 36, f.len - 50);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len - 4, &p), MDR_DECODE_OK);
	assert_int_equal(p.mpls_count, 8);
	f.b[14 + 32] = 0x50;                    /* neither IP nor CW */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len - 4, &p), -MDR_DERR_NOT_IP);
	assert_int_equal(ST(d)->mpls, 8);
	mdr_decoder_free(d);
}

static void test_link_types(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 }, ip = { 0 };
	struct mdr_pkt p;

	ip4(&ip, "172.16.0.1", "172.16.0.2", 17);
	udp(&ip, 1111, 2222);
	pay(&ip, 10, 0);
	fb_done(&ip);

	static const uint8_t nul[][4] = {
		{ 2, 0, 0, 0 }, { 0, 0, 0, 2 },
	};
	for (unsigned i = 0; i < 2; i++) {
		f.len = 0;
		put(&f, nul[i], 4);
		put(&f, ip.b, ip.len);
		assert_int_equal(dec(d, MDR_LINK_NULL, f.b, f.len, &p), MDR_DECODE_OK);
		check_key(&p, 4, "172.16.0.1", "172.16.0.2", 17, 1111, 2222);
		assert_int_equal(dec(d, MDR_LINK_LOOP, f.b, f.len, &p), MDR_DECODE_OK);
		assert_int_equal(p.l3_off, 4);
	}
	f.len = 0;                              /* SLL */
	put(&f, NULL, 14);
	put16(&f, 0x0800);
	put(&f, ip.b, ip.len);
	assert_int_equal(dec(d, MDR_LINK_LINUX_SLL, f.b, f.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.l3_off, 16);
	assert_int_equal(p.payload_len, 10);
	assert_int_equal(dec(d, MDR_LINK_LINUX_SLL, f.b, 15, &p), -MDR_DERR_SLL_TRUNC);
	f.len = 0;                              /* SLL2 */
	put16(&f, 0x0800);
	put(&f, NULL, 18);
	put(&f, ip.b, ip.len);
	assert_int_equal(dec(d, MDR_LINK_LINUX_SLL2, f.b, f.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.l3_off, 20);
	assert_int_equal(dec(d, MDR_LINK_LINUX_SLL2, f.b, 19, &p), -MDR_DERR_SLL_TRUNC);

	static const int raw[] = { MDR_LINK_RAW, 12, 14, MDR_LINK_IPV4 };

	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(dec(d, raw[i], ip.b, ip.len, &p), MDR_DECODE_OK);
		check_key(&p, 4, "172.16.0.1", "172.16.0.2", 17, 1111, 2222);
		assert_int_equal(p.l3_off, 0);
	}
	assert_int_equal(dec(d, MDR_LINK_IPV6, ip.b, ip.len, &p), -MDR_DERR_IPV6_TRUNC);
	assert_int_equal(dec(d, MDR_LINK_RAW, ip.b, 0, &p), -MDR_DERR_IPV4_TRUNC);
	assert_int_equal(dec(d, 147, ip.b, ip.len, &p), -MDR_DERR_LINK_UNSUPPORTED);
	assert_int_equal(dec(d, MDR_LINK_NULL, ip.b, 3, &p), -MDR_DERR_ETH_TRUNC);
	mdr_decoder_free(d);
}

static void test_link_types_v6(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 }, ip = { 0 };
	struct mdr_pkt p;

	ip6(&ip, "fe80::1", "ff02::1", 17);
	udp(&ip, 546, 547);
	fb_done(&ip);
	static const uint8_t af6[][4] = {
		{ 24, 0, 0, 0 }, { 0, 0, 0, 28 }, { 30, 0, 0, 0 },
	};
	for (unsigned i = 0; i < 3; i++) {
		f.len = 0;
		put(&f, af6[i], 4);
		put(&f, ip.b, ip.len);
		assert_int_equal(dec(d, MDR_LINK_NULL, f.b, f.len, &p), MDR_DECODE_OK);
		check_key(&p, 6, "fe80::1", "ff02::1", 17, 546, 547);
	}
	f.b[0] = 7;                             /* unknown AF */
	assert_int_equal(dec(d, MDR_LINK_NULL, f.b, f.len, &p), -MDR_DERR_NOT_IP);
	assert_int_equal(dec(d, MDR_LINK_IPV6, ip.b, ip.len, &p), MDR_DECODE_OK);
	assert_int_equal(dec(d, MDR_LINK_RAW, ip.b, ip.len, &p), MDR_DECODE_OK);
	assert_int_equal(dec(d, MDR_LINK_IPV4, ip.b, ip.len, &p), -MDR_DERR_IPV4_BAD_VERSION);
	ip.b[0] = 0x50;
	assert_int_equal(dec(d, MDR_LINK_RAW, ip.b, ip.len, &p), -MDR_DERR_IPV4_BAD_VERSION);
	assert_int_equal(dec(d, MDR_LINK_IPV6, ip.b, ip.len, &p), -MDR_DERR_IPV6_BAD_VERSION);
	mdr_decoder_free(d);
}

static void test_pppoe_and_not_ip(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x8864);
	push(&f, LT_PPPOE, f.len);
	put8(&f, 0x11); put8(&f, 0); put16(&f, 0x1234); put16(&f, 0);
	put16(&f, 0x0021);
	ip4(&f, "100.64.0.1", "8.8.8.8", 17);
	udp(&f, 5353, 53);
	pay(&f, 5, 0);
	fb_done(&f);
	memset(f.b + f.len, 0, 8);              /* trailer beyond PPPoE length */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len + 8, &p), MDR_DECODE_OK);
	check_key(&p, 4, "100.64.0.1", "8.8.8.8", 17, 5353, 53);
	assert_int_equal(p.l3_off, 22);
	assert_int_equal(p.payload_len, 5);
	f.b[21] = 0x57;                         /* PPP IPv6 with IPv4 inside */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_IPV6_TRUNC);
	f.b[20] = 0xc0; f.b[21] = 0x21;         /* LCP */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_NOT_IP);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 21, &p), -MDR_DERR_ETH_TRUNC);

	static const uint16_t types[] = { 0x0806, 0x88cc, 0x8863, 0x0026 };

	for (unsigned i = 0; i < 4; i++) {
		f.len = 0;
		eth(&f, types[i]);
		pay(&f, 46, 0);
		assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_NOT_IP);
	}
	assert_int_equal(ST(d)->err[MDR_DERR_NOT_IP], 5);
	assert_int_equal(ST(d)->ok, 1);
	assert_int_equal(ST(d)->pkts, 8);
	mdr_decoder_free(d);
}

static void test_ipv4_header(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 };
	struct mdr_pkt p;
	/* NOP, record route (7 bytes), NOP, router alert (4), EOL pad */
	static const uint8_t opts[16] = { 1, 7, 7, 4, 0, 0, 0, 0, 1, 148, 4, 0, 0, 0, 0, 0 };

	eth(&f, 0x0800);
	ip4o(&f, "10.0.0.1", "10.0.0.2", 6, opts, 16);
	tcp(&f, 22, 50000, 0x10);
	pay(&f, 3, 0);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.l4_off, 14 + 36);
	assert_int_equal(p.payload_len, 3);
	check_key(&p, 4, "10.0.0.1", "10.0.0.2", 6, 22, 50000);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 30, &p), -MDR_DERR_IPV4_TRUNC);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 19, &p), -MDR_DERR_IPV4_TRUNC);

	struct fb g = f;

	g.b[14 + 22] = 40;                      /* option beyond header */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_OPTS);
	g = f;
	g.b[14 + 22] = 1;                       /* option length < 2 */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_OPTS);
	g = f;
	memset(g.b + 14 + 20, 1, 15);           /* NOPs, then a type without length */
	g.b[14 + 35] = 68;
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_OPTS);
	g = f;
	g.b[14] = 0x44;
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_HLEN);
	g = f;
	g.b[14] = 0x59;
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_VERSION);
	g = f;
	g.b[16] = 0; g.b[17] = 35;              /* total length < header length */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_LEN);
	g = f;
	g.b[14 + 8] = 1;                        /* TTL changed: checksum wrong */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_CSUM);
	assert_int_equal(ST(d)->err[MDR_DERR_IPV4_BAD_OPTS], 3);
	assert_int_equal(ST(d)->err[MDR_DERR_IPV4_BAD_CSUM], 1);
	assert_int_equal(ST(d)->err[MDR_DERR_IPV4_TRUNC], 2);
	mdr_decoder_free(d);
}

static void test_ipv6_ext(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x86dd);
	ip6(&f, "2001:db8::a", "2001:db8::b", 0);
	ext6(&f, 43, 0, 8);                     /* hop-by-hop */
	ext6(&f, 60, 1, 16);                    /* routing (segments left 0) */
	ext6(&f, 51, 0, 8);                     /* destination options */
	ext6(&f, 6, 1, 12);                     /* AH: (1 + 2) * 4 */
	tcp(&f, 1234, 80, 0x02);
	pay(&f, 9, 0);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 6, "2001:db8::a", "2001:db8::b", 6, 1234, 80);
	assert_int_equal(p.l4_off, 14 + 40 + 44);
	assert_int_equal(p.payload_len, 9);
	assert_int_equal(p.l3_len, f.len - 14);
	assert_int_equal(p.ip_ttl, 63);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 40 + 20, &p), -MDR_DERR_IPV6_TRUNC);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 39, &p), -MDR_DERR_IPV6_TRUNC);

	struct fb g = f;

	g.b[14 + 40 + 8 + 1] = 200;             /* routing header past payload */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV6_BAD_EXTHDR);

	static const uint8_t stop[] = { 50, 59, 132 };

	for (unsigned i = 0; i < 3; i++) {
		memset(&f, 0, sizeof(f));
		eth(&f, 0x86dd);
		ip6(&f, "::a", "::b", 60);
		ext6(&f, stop[i], 0, 8);
		pay(&f, 24, 0);
		fb_done(&f);
		assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
		check_key(&p, 6, "::a", "::b", stop[i], 0, 0);
		assert_int_equal(p.payload_len, 24);
		assert_int_equal(p.l4_off, 14 + 48);
	}
	assert_int_equal(ST(d)->other_l4, 3);

	memset(&f, 0, sizeof(f));               /* atomic fragment (RFC 6946) */
	eth(&f, 0x86dd);
	ip6(&f, "::a", "::b", 44);
	put8(&f, 17); put8(&f, 0); put16(&f, 0); put32(&f, 99);
	udp(&f, 7, 8);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 6, "::a", "::b", 17, 7, 8);
	assert_int_equal(p.is_fragment_reassembled, 0);
	assert_int_equal(ST(d)->frag_seen, 0);
	mdr_decoder_free(d);
}

static void test_tcp_udp_errors(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f = { 0 }, g;
	struct mdr_pkt p;

	eth(&f, 0x0800);
	ip4(&f, "1.1.1.1", "2.2.2.2", 6);
	tcp(&f, 1, 2, 0x04);
	pay(&f, 4, 0);
	fb_done(&f);
	g = f;
	g.b[14 + 20 + 12] = 0x40;
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_TCP_BAD_HLEN);
	g.b[14 + 20 + 12] = 0x70;               /* 28 > 24 bytes of segment */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_TCP_BAD_HLEN);
	g.b[14 + 20 + 12] = 0x60;               /* 24: fits, no payload */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 20 + 19, &p), -MDR_DERR_TCP_TRUNC);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 20 + 20, &p), MDR_DECODE_OK);
	assert_int_equal(p.tcp_flags, 0x04);
	assert_int_equal(p.payload_len, 0);

	mk_udp4(&f, "1.1.1.1", "2.2.2.2", 10, 20, 12);
	g = f;
	g.b[14 + 20 + 5] = 7;
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_UDP_BAD_LEN);
	g.b[14 + 20 + 5] = 21;                  /* more than the IP payload */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_UDP_BAD_LEN);
	g.b[14 + 20 + 5] = 12;                  /* shorter: trailing bytes ignored */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.payload_len, 4);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, 14 + 27, &p), -MDR_DERR_UDP_TRUNC);
	g.b[17] = 27;                           /* IP total length 27 */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_UDP_TRUNC);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x0800);
	ip4(&f, "1.1.1.1", "2.2.2.2", 132);
	pay(&f, 30, 0);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 4, "1.1.1.1", "2.2.2.2", 132, 0, 0);
	assert_int_equal(p.payload_len, 30);
	assert_int_equal(ST(d)->other_l4, 1);
	assert_int_equal(ST(d)->err[MDR_DERR_TCP_BAD_HLEN], 2);
	assert_int_equal(ST(d)->err[MDR_DERR_UDP_BAD_LEN], 2);
	assert_int_equal(ST(d)->err[MDR_DERR_UDP_TRUNC], 2);
	mdr_decoder_free(d);
}

static void test_icmp(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f;
	struct mdr_pkt p;
	static const struct { int v6; uint8_t type, code, want; uint16_t sp, dp; } c[] = {
		{ 0, 8, 0, 8, 0x4242, 0x4242 }, { 0, 0, 0, 8, 0x4242, 0x4242 },
		{ 0, 14, 0, 13, 0x4242, 0x4242 }, { 0, 3, 1, 3, 3, 1 },
		{ 0, 11, 0, 11, 11, 0 }, { 1, 128, 0, 128, 0x4242, 0x4242 },
		{ 1, 129, 0, 128, 0x4242, 0x4242 }, { 1, 135, 0, 135, 135, 0 },
		{ 1, 1, 4, 1, 1, 4 },
	};

	for (unsigned i = 0; i < MDR_ARRAY_SIZE(c); i++) {
		memset(&f, 0, sizeof(f));
		if (c[i].v6) {
			eth(&f, 0x86dd);
			ip6(&f, "fd00::1", "fd00::2", 58);
		} else {
			eth(&f, 0x0800);
			ip4(&f, "10.0.0.1", "10.0.0.2", 1);
		}
		icmp(&f, c[i].v6, c[i].type, c[i].code, 0x4242);
		pay(&f, 32, 0);
		fb_done(&f);
		assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
		assert_int_equal(p.key.proto, c[i].v6 ? 58 : 1);
		assert_int_equal(p.icmp_type, c[i].want);
		assert_int_equal(p.icmp_code, c[i].code);
		assert_int_equal(p.key.sport, c[i].sp);
		assert_int_equal(p.key.dport, c[i].dp);
		assert_int_equal(p.payload_len, 32);
		uint32_t l4 = p.l4_off;

		assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, l4 + 3, &p), -MDR_DERR_ICMP_TRUNC);
		int rc = dec(d, MDR_LINK_ETHERNET, f.b, l4 + 6, &p);

		assert_int_equal(rc, c[i].sp == c[i].dp ? -MDR_DERR_ICMP_TRUNC : MDR_DECODE_OK);
	}
	assert_int_equal(ST(d)->icmp, 9 + 4);
	mdr_decoder_free(d);
}

/* ---- tunnels ------------------------------------------------------- */

static void check_inner(struct mdr_decoder *d, struct fb *f, uint8_t type, uint8_t depth,
			uint32_t vni, const char *os, const char *od)
{
	struct mdr_pkt p;

	fb_done(f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f->b, f->len, &p), MDR_DECODE_OK);
	check_key(&p, 4, "192.168.0.1", "192.168.0.2", 6, 3333, 80);
	assert_int_equal(p.payload_len, 11);
	assert_int_equal(p.tcp_flags, 0x12);
	assert_int_equal(p.tunnel.type, type);
	assert_int_equal(p.tunnel.depth, depth);
	assert_int_equal(p.tunnel.vni, vni);
	int v = strchr(os, ':') ? 6 : 4;

	assert_int_equal(p.tunnel.ip_ver, v);
	assert_string_equal(ipstr(&p.tunnel.src, v), os);
	assert_string_equal(ipstr(&p.tunnel.dst, v), od);
	assert_int_equal(p.l3_off, f->len - 20 - 20 - 11);
	/* cut anywhere before the end of the inner TCP header: an error;
	 * inside the payload: OK, clipped */
	struct mdr_decoder *t = newdec(false);

	for (uint32_t n = 0; n < f->len; n++) {
		int rc = dec(t, MDR_LINK_ETHERNET, f->b, n, &p);

		if (n < f->len - 11)
			assert_true(rc < 0);
		else
			assert_int_equal(rc, MDR_DECODE_OK);
	}
	mdr_decoder_free(t);
}

static void test_gre(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x0800);
	ip4(&f, "203.0.113.1", "203.0.113.2", 47);
	put16(&f, 0); put16(&f, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_GRE, 1, 0, "203.0.113.1", "203.0.113.2");

	memset(&f, 0, sizeof(f));               /* C, K, S and IPv6 outer */
	eth(&f, 0x86dd);
	ip6(&f, "2001:db8::1", "2001:db8::2", 47);
	put16(&f, 0xb000); put16(&f, 0x0800); put32(&f, 0); put32(&f, 0xabcdef01); put32(&f, 5);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_GRE, 1, 0xabcdef01, "2001:db8::1", "2001:db8::2");

	memset(&f, 0, sizeof(f));               /* K only, TEB */
	eth(&f, 0x0800);
	ip4(&f, "10.0.0.1", "10.0.0.2", 47);
	put16(&f, 0x2000); put16(&f, 0x6558); put32(&f, 77);
	eth(&f, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_GRE, 1, 77, "10.0.0.1", "10.0.0.2");

	f.b[14 + 20 + 2] = 0x88; f.b[14 + 20 + 3] = 0x0b;   /* PPP: not followed */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_GRE_UNSUPPORTED);
	f.b[14 + 20 + 2] = 0x65; f.b[14 + 20 + 3] = 0x58;
	f.b[14 + 20 + 1] = 0x01;                /* version 1 */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_GRE_UNSUPPORTED);
	assert_int_equal(ST(d)->gre, 3);
	assert_int_equal(ST(d)->err[MDR_DERR_GRE_UNSUPPORTED], 2);
	mdr_decoder_free(d);
}

static void test_erspan(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x0800);                        /* type II */
	ip4(&f, "10.0.0.1", "10.0.0.2", 47);
	put16(&f, 0x1000); put16(&f, 0x88be); put32(&f, 1);
	put16(&f, 0x1000 | 10); put16(&f, 0x0000 | 0x123); put32(&f, 0);
	eth(&f, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_ERSPAN, 1, 0x123, "10.0.0.1", "10.0.0.2");

	for (int o = 0; o < 2; o++) {           /* type III, with/without O */
		memset(&f, 0, sizeof(f));
		eth(&f, 0x0800);
		ip4(&f, "10.0.0.3", "10.0.0.4", 47);
		put16(&f, 0x1000); put16(&f, 0x22eb); put32(&f, 1);
		put16(&f, 0x2000); put16(&f, 0x3ff); put32(&f, 0);
		put16(&f, 0); put16(&f, (uint16_t)o);
		if (o)
			put(&f, NULL, 8);
		eth(&f, 0x0800);
		inner_tcp4(&f);
		check_inner(d, &f, MDR_TUNNEL_ERSPAN, 1, 0x3ff, "10.0.0.3", "10.0.0.4");
	}
	memset(&f, 0, sizeof(f));               /* type I: no sequence, no header */
	eth(&f, 0x0800);
	ip4(&f, "10.0.0.5", "10.0.0.6", 47);
	put16(&f, 0); put16(&f, 0x88be);
	eth(&f, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_ERSPAN, 1, 0, "10.0.0.5", "10.0.0.6");

	memset(&f, 0, sizeof(f));               /* type III, frame type 2: IP */
	eth(&f, 0x0800);
	ip4(&f, "10.0.0.7", "10.0.0.8", 47);
	put16(&f, 0x1000); put16(&f, 0x22eb); put32(&f, 1);
	put16(&f, 0x2000); put16(&f, 0x155); put32(&f, 0); put16(&f, 0); put16(&f, 2 << 10);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_ERSPAN, 1, 0x155, "10.0.0.7", "10.0.0.8");
	f.b[14 + 20 + 8 + 10] = 7 << 2;         /* frame type 7: not followed */
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_NOT_IP);
	assert_int_equal(ST(d)->erspan, 6);
	mdr_decoder_free(d);
}

static void test_vxlan_geneve(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x8100);
	vlan(&f, 42, 0x0800);
	ip4(&f, "198.51.100.1", "198.51.100.2", 17);
	udp(&f, 49152, 4789);
	put32(&f, 0x08000000); put32(&f, 0x123456u << 8);
	eth(&f, 0x8100);                        /* inner tag: parsed, not recorded */
	vlan(&f, 9, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_VXLAN, 1, 0x123456, "198.51.100.1", "198.51.100.2");
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	assert_int_equal(p.key.vlan, 42);
	assert_int_equal(p.vlan_count, 1);

	f.b[18 + 28] = 0;                       /* no I flag: plain UDP */
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 4, "198.51.100.1", "198.51.100.2", 17, 49152, 4789);
	assert_int_equal(p.tunnel.type, MDR_TUNNEL_NONE);
	assert_int_equal(p.payload_len, f.len - 18 - 28);

	memset(&f, 0, sizeof(f));               /* VXLAN over IPv6, zero checksum */
	f.zero_udp_csum = 1;
	eth(&f, 0x86dd);
	ip6(&f, "fd00::1", "fd00::2", 17);
	udp(&f, 1, 4789);
	put32(&f, 0x08000000); put32(&f, 5 << 8);
	eth(&f, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_VXLAN, 1, 5, "fd00::1", "fd00::2");

	memset(&f, 0, sizeof(f));               /* Geneve, 8 bytes of options */
	eth(&f, 0x0800);
	ip4(&f, "10.10.0.1", "10.10.0.2", 17);
	udp(&f, 2000, 6081);
	put8(&f, 2); put8(&f, 0); put16(&f, 0x6558); put32(&f, 0xfedcbau << 8); put(&f, NULL, 8);
	eth(&f, 0x0800);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_GENEVE, 1, 0xfedcba, "10.10.0.1", "10.10.0.2");

	memset(&f, 0, sizeof(f));               /* Geneve carrying IPv4 directly */
	eth(&f, 0x0800);
	ip4(&f, "10.10.0.1", "10.10.0.2", 17);
	udp(&f, 2000, 6081);
	put8(&f, 0); put8(&f, 0); put16(&f, 0x0800); put32(&f, 1 << 8);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_GENEVE, 1, 1, "10.10.0.1", "10.10.0.2");
	assert_int_equal(ST(d)->vxlan, 3);
	assert_int_equal(ST(d)->geneve, 2);
	mdr_decoder_free(d);
}

static void test_ipip_and_depth(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(true);
	struct fb f = { 0 };
	struct mdr_pkt p;

	eth(&f, 0x0800);
	ip4(&f, "1.0.0.1", "1.0.0.2", 4);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_IPIP, 1, 0, "1.0.0.1", "1.0.0.2");

	memset(&f, 0, sizeof(f));
	eth(&f, 0x86dd);
	ip6(&f, "2001::1", "2001::2", 4);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_IPIP, 1, 0, "2001::1", "2001::2");

	memset(&f, 0, sizeof(f));               /* 6in4 and 6in6 */
	eth(&f, 0x0800);
	ip4(&f, "1.0.0.1", "1.0.0.2", 41);
	ip6(&f, "2001::1", "2001::2", 41);
	ip6(&f, "2001::3", "2001::4", 17);
	udp(&f, 1, 2);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	check_key(&p, 6, "2001::3", "2001::4", 17, 1, 2);
	assert_int_equal(p.tunnel.depth, 2);
	assert_int_equal(p.tunnel.ip_ver, 4);
	assert_int_equal(p.l3_off, 14 + 20 + 40);

	memset(&f, 0, sizeof(f));               /* GRE > VXLAN > IPIP: depth 3 */
	eth(&f, 0x0800);
	ip4(&f, "9.0.0.1", "9.0.0.2", 47);
	put16(&f, 0x2000); put16(&f, 0x0800); put32(&f, 1234);
	ip4(&f, "8.0.0.1", "8.0.0.2", 17);
	udp(&f, 1, 4789);
	put32(&f, 0x08000000); put32(&f, 77 << 8);
	eth(&f, 0x0800);
	ip4(&f, "7.0.0.1", "7.0.0.2", 4);
	inner_tcp4(&f);
	check_inner(d, &f, MDR_TUNNEL_GRE, 3, 1234, "9.0.0.1", "9.0.0.2");

	memset(&f, 0, sizeof(f));               /* four IP-in-IP layers */
	eth(&f, 0x0800);
	for (int i = 0; i < 4; i++)
		ip4(&f, "1.1.1.1", "2.2.2.2", 4);
	inner_tcp4(&f);
	fb_done(&f);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_TUNNEL_TOO_DEEP);
	assert_int_equal(ST(d)->err[MDR_DERR_TUNNEL_TOO_DEEP], 1);
	f.b[14 + 9] = 41;                       /* claims IPv6 inside */
	f.b[14 + 10] = f.b[14 + 11] = 0;
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_IPV4_BAD_CSUM);
	mdr_decoder_free(d);
	d = newdec(false);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_IPV6_BAD_VERSION);
	mdr_decoder_free(d);
}

/* ---- checksums ----------------------------------------------------- */

static void test_checksums(void **state)
{
	(void)state;
	struct mdr_decoder *on = newdec(true), *off = newdec(false);
	struct fb f = { 0 }, g;
	struct mdr_pkt p;

	eth(&f, 0x0800);
	ip4(&f, "10.0.0.1", "10.0.0.2", 6);
	tcp(&f, 1, 2, 2);
	pay(&f, 7, 0);
	fb_done(&f);
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	g = f;
	g.b[f.len - 1] ^= 1;
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_TCP_BAD_CSUM);
	assert_int_equal(dec(off, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);
	g = f;
	g.b[14 + 10] ^= 0x80;
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_IPV4_BAD_CSUM);
	assert_int_equal(dec(off, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);

	mk_udp4(&f, "10.0.0.1", "10.0.0.2", 1, 2, 9);
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	g = f;
	g.b[f.len - 2] ^= 0x10;
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_UDP_BAD_CSUM);
	assert_int_equal(dec(off, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);
	g.b[14 + 20 + 6] = g.b[14 + 20 + 7] = 0;        /* IPv4: no checksum */
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x86dd);
	ip6(&f, "2001:db8::1", "2001:db8:1::ff", 17);
	udp(&f, 500, 4500);
	pay(&f, 13, 0);
	fb_done(&f);
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	g = f;
	g.b[f.len - 3] ^= 0xff;
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_UDP_BAD_CSUM);
	g.b[14 + 40 + 6] = g.b[14 + 40 + 7] = 0;        /* IPv6: zero is invalid */
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, g.b, g.len, &p), -MDR_DERR_UDP_BAD_CSUM);
	assert_int_equal(dec(off, MDR_LINK_ETHERNET, g.b, g.len, &p), MDR_DECODE_OK);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x86dd);
	ip6(&f, "2001:db8::1", "2001:db8:1::ff", 6);
	tcp(&f, 500, 4500, 0x10);
	pay(&f, 13, 0);
	fb_done(&f);
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, f.b, f.len, &p), MDR_DECODE_OK);
	f.b[14 + 8] ^= 1;                       /* source address changed */
	assert_int_equal(dec(on, MDR_LINK_ETHERNET, f.b, f.len, &p), -MDR_DERR_TCP_BAD_CSUM);
	assert_int_equal(ST(on)->err[MDR_DERR_UDP_BAD_CSUM], 3);
	assert_int_equal(ST(on)->err[MDR_DERR_TCP_BAD_CSUM], 2);
	assert_int_equal(ST(off)->ok, 4);
	mdr_decoder_free(on);
	mdr_decoder_free(off);
}

/* ---- fragments ----------------------------------------------------- */

/* Ethernet frame with IPv4 fragment [fo, fo + n) of datagram dg. */
static uint32_t hash_frame(int link, const struct fb *f)
{
	return mdr_decode_dispatch_hash(link, f->b, f->len);
}

static void test_dispatch_hash(void **state)
{
	(void)state;
	struct fb a, b, v = { 0 }, m = { 0 };

	mk_udp4(&a, "10.0.0.1", "10.0.0.2", 1, 2, 10);
	mk_udp4(&b, "10.0.0.2", "10.0.0.1", 2, 1, 99);
	uint32_t h = hash_frame(1, &a);

	assert_int_not_equal(h, 0);
	assert_int_equal(h, hash_frame(1, &b));
	mk_udp4(&b, "10.0.0.1", "10.0.0.3", 1, 2, 10);
	assert_int_not_equal(h, hash_frame(1, &b));
	/* same pair behind VLAN, QinQ, MPLS, PPPoE, SLL, NULL, raw */
	eth(&v, 0x88a8);
	vlan(&v, 1, 0x8100);
	vlan(&v, 2, 0x0800);
	put(&v, a.b + 14, a.len - 14);
	assert_int_equal(h, hash_frame(1, &v));
	eth(&m, 0x8847);
	mpls(&m, 1, 0);
	mpls(&m, 2, 1);
	put(&m, a.b + 14, a.len - 14);
	assert_int_equal(h, hash_frame(1, &m));
	m.len = 0;
	eth(&m, 0x8864);
	put8(&m, 0x11); put8(&m, 0); put16(&m, 1); put16(&m, 0); put16(&m, 0x21);
	put(&m, a.b + 14, a.len - 14);
	assert_int_equal(h, hash_frame(1, &m));
	m.len = 0;
	put(&m, NULL, 14); put16(&m, 0x0800);
	put(&m, a.b + 14, a.len - 14);
	assert_int_equal(h, hash_frame(MDR_LINK_LINUX_SLL, &m));
	m.len = 0;
	put16(&m, 0x0800); put(&m, NULL, 18);
	put(&m, a.b + 14, a.len - 14);
	assert_int_equal(h, hash_frame(MDR_LINK_LINUX_SLL2, &m));
	m.len = 0;
	put32(&m, 0x02000000);
	put(&m, a.b + 14, a.len - 14);
	assert_int_equal(h, hash_frame(MDR_LINK_NULL, &m));
	assert_int_equal(h, mdr_decode_dispatch_hash(MDR_LINK_RAW, a.b + 14, a.len - 14));
	assert_int_equal(h, mdr_decode_dispatch_hash(MDR_LINK_IPV4, a.b + 14, a.len - 14));

	/* every fragment of a datagram */
	struct fb dg = dgram4("10.0.0.2", "10.0.0.1", 5);
	struct fr fr[4];

	cut4(fr, &dg);
	for (int i = 0; i < 4; i++)
		assert_int_equal(h, mdr_decode_dispatch_hash(1, fr[i].b, fr[i].len));
	/* non-IP, truncated, unknown link */
	struct fb x = { 0 };

	eth(&x, 0x0806); pay(&x, 28, 0);
	assert_int_equal(hash_frame(1, &x), 0);
	assert_int_equal(mdr_decode_dispatch_hash(1, a.b, 33), 0);
	assert_int_equal(mdr_decode_dispatch_hash(1, NULL, 0), 0);
	assert_int_equal(mdr_decode_dispatch_hash(999, a.b, a.len), 0);
}

/* IPv6 both ways and fragments. */
static void test_dispatch_hash_v6(void **state)
{
	(void)state;
	struct fb x = { 0 }, y = { 0 };
	struct fr fr[2];

	eth(&x, 0x86dd); ip6(&x, "2001:db8::1", "2001:db8::2", 6); tcp(&x, 1, 2, 2); fb_done(&x);
	eth(&y, 0x86dd); ip6(&y, "2001:db8::2", "2001:db8::1", 6); tcp(&y, 2, 1, 0x12); fb_done(&y);
	uint32_t h6 = hash_frame(1, &x);

	assert_int_not_equal(h6, 0);
	assert_int_equal(h6, hash_frame(1, &y));
	assert_int_equal(h6, mdr_decode_dispatch_hash(MDR_LINK_IPV6, x.b + 14, x.len - 14));
	struct fb d6 = { 0 };

	ip6(&d6, "2001:db8::2", "2001:db8::1", 17); udp(&d6, 1, 2); pay(&d6, 100, 0); fb_done(&d6);
	fr[0].len = frag6(fr[0].b, d6.b, 40, 6, 0, 64, 1);
	fr[1].len = frag6(fr[1].b, d6.b, 40, 6, 64, 44, 0);
	assert_int_equal(h6, mdr_decode_dispatch_hash(1, fr[0].b, fr[0].len));
	assert_int_equal(h6, mdr_decode_dispatch_hash(1, fr[1].b, fr[1].len));
	assert_int_equal(mdr_decode_dispatch_hash(1, fr[1].b, 14 + 39), 0);
}

/* ---- robustness ---------------------------------------------------- */

static void check_result(const struct mdr_pkt *p, int rc, uint64_t *count)
{
	assert_true(rc == MDR_DECODE_OK || rc == MDR_DECODE_HELD ||
		    (rc < 0 && -rc > 0 && -rc < MDR_DERR__COUNT));
	if (rc == MDR_DECODE_OK) {
		assert_true(p->key.ip_ver == 4 || p->key.ip_ver == 6);
		assert_true(p->l3_off < p->caplen);
		assert_true(p->l4_off <= p->caplen);
		assert_true(p->payload >= p->data);
		assert_true(p->payload + p->payload_len <= p->data + p->caplen);
	}
	count[rc < 0 ? -rc : rc == MDR_DECODE_HELD ? MDR_DERR__COUNT : 0]++;
}

static int decode_copy(struct mdr_decoder *d, int link, const uint8_t *b, uint32_t len,
		       struct mdr_pkt *p, mdr_time_t ts)
{
	uint8_t *h = malloc(len ? len : 1);     /* exact size: ASan catches over-reads */

	memcpy(h, b, len);
	int rc = dec_ts(d, link, h, len, p, ts);

	(void)mdr_decode_dispatch_hash(link, h, len);
	free(h);
	return rc;
}

/* A set of valid frames covering every layer, built once. */
static int corpus(struct fb *out, int *link)
{
	static const uint8_t opts[8] = { 1, 1, 7, 4, 0, 0, 0, 0 };
	int n = 0;
	struct fb *f;

#define NEW(l) (f = &out[n], memset(f, 0, sizeof(*f)), link[n++] = (l))
	NEW(1); eth(f, 0x8100); vlan(f, 5, 0x0800); ip4o(f, "1.1.1.1", "2.2.2.2", 6, opts, 8); tcpo(f, 1, 2, 2, 8); pay(f, 20, 0);
	NEW(1); eth(f, 0x88a8); vlan(f, 5, 0x8100); vlan(f, 6, 0x86dd); ip6(f, "::1", "::2", 0); ext6(f, 60, 0, 8); ext6(f, 17, 1, 16); udp(f, 1, 2); pay(f, 9, 0);
	NEW(1); eth(f, 0x8847); mpls(f, 1, 0); mpls(f, 2, 1); ip4(f, "1.1.1.1", "2.2.2.2", 1); icmp(f, 0, 8, 0, 1); pay(f, 8, 0);
	NEW(1); eth(f, 0x8847); mpls(f, 1, 1); put32(f, 0); eth(f, 0x86dd); ip6(f, "::1", "::2", 58); icmp(f, 1, 129, 0, 3);
	NEW(1); eth(f, 0x8864); push(f, LT_PPPOE, f->len); put32(f, 0x11000001); put16(f, 0); put16(f, 0x57); ip6(f, "::1", "::2", 51); ext6(f, 6, 1, 12); tcp(f, 5, 6, 0x10);
	NEW(1); eth(f, 0x0800); ip4(f, "9.9.9.9", "8.8.8.8", 47); put16(f, 0xb000); put16(f, 0x6558); put32(f, 0); put32(f, 7); put32(f, 1); eth(f, 0x0800); inner_tcp4(f);
	NEW(1); eth(f, 0x0800); ip4(f, "9.9.9.9", "8.8.8.8", 47); put16(f, 0x1000); put16(f, 0x22eb); put32(f, 1); put32(f, 0x20000001); put32(f, 0); put32(f, 1); put(f, NULL, 8); eth(f, 0x0800); inner_tcp4(f);
	NEW(1); eth(f, 0x0800); ip4(f, "9.9.9.9", "8.8.8.8", 47); put16(f, 0x1000); put16(f, 0x88be); put32(f, 1); put32(f, 0x10000001); put32(f, 0); eth(f, 0x0800); inner_tcp4(f);
	NEW(1); eth(f, 0x0800); ip4(f, "9.9.9.9", "8.8.8.8", 17); udp(f, 1, 4789); put32(f, 0x08000000); put32(f, 0x100); eth(f, 0x0800); inner_tcp4(f);
	NEW(1); eth(f, 0x86dd); ip6(f, "::9", "::8", 17); udp(f, 1, 6081); put32(f, 0x01006558); put32(f, 0x100); put32(f, 0); eth(f, 0x86dd); ip6(f, "::1", "::2", 6); tcp(f, 1, 2, 2);
	NEW(1); eth(f, 0x0800); ip4(f, "9.9.9.9", "8.8.8.8", 4); ip4(f, "7.7.7.7", "6.6.6.6", 41); ip6(f, "::1", "::2", 17); udp(f, 3, 4);
	NEW(0); put32(f, 0x02000000); ip4(f, "1.1.1.1", "2.2.2.2", 17); udp(f, 1, 2); pay(f, 4, 0);
	NEW(108); put32(f, 30); ip6(f, "::1", "::2", 6); tcp(f, 1, 2, 2);
	NEW(113); put(f, NULL, 14); put16(f, 0x8100); vlan(f, 3, 0x0800); ip4(f, "1.1.1.1", "2.2.2.2", 132);
	NEW(276); put16(f, 0x86dd); put(f, NULL, 18); ip6(f, "::1", "::2", 59);
	NEW(101); ip4(f, "1.1.1.1", "2.2.2.2", 17); udp(f, 1, 6081); put32(f, 0x00000800); put32(f, 0x100); ip4(f, "3.3.3.3", "4.4.4.4", 6); tcp(f, 1, 2, 2);
	NEW(228); ip4(f, "1.1.1.1", "2.2.2.2", 1); icmp(f, 0, 3, 3, 0); pay(f, 28, 0);
	NEW(229); ip6(f, "::1", "::2", 43); ext6(f, 6, 0, 8); tcp(f, 1, 2, 2);
#undef NEW
	for (int i = 0; i < n; i++)
		fb_done(&out[i]);
	return n;
}

static void test_truncation(void **state)
{
	(void)state;
	static struct fb fr[32];
	int link[32];
	int n = corpus(fr, link);
	struct mdr_decoder *d = newdec(true);
	struct mdr_pkt p;
	uint64_t count[MDR_DERR__COUNT + 1] = { 0 };

	for (int i = 0; i < n; i++) {
		assert_int_equal(decode_copy(d, link[i], fr[i].b, fr[i].len, &p, 1), MDR_DECODE_OK);
		for (uint32_t len = 0; len < fr[i].len; len++) {
			int rc = decode_copy(d, link[i], fr[i].b, len, &p, 1);

			check_result(&p, rc, count);
		}
	}
	assert_int_equal(ST(d)->ok, count[0] + n);
	for (int r = 1; r < MDR_DERR__COUNT; r++)
		assert_int_equal(ST(d)->err[r], count[r]);
	mdr_decoder_free(d);
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void test_garbage(void **state)
{
	(void)state;
	static const int links[] = { 0, 1, 1, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999 };
	static struct fb fr[32];
	int flink[32];
	int nf = corpus(fr, flink);
	struct mdr_decode_config cfg;
	uint64_t count[MDR_DERR__COUNT + 1] = { 0 };
	uint8_t buf[320];
	struct mdr_pkt p;

	mdr_decode_config_default(&cfg);
	cfg.frag_max_datagrams = 8;
	cfg.frag_max_frags = 6;
	cfg.frag_timeout_ns = 1000;
	cfg.checksum_validation = true;
	struct mdr_decoder *d = mdr_decoder_create(&cfg);

	for (uint32_t it = 0; it < 300000; it++) {
		int link;
		uint32_t len;

		if (it & 1) {                   /* random, with a plausible start */
			link = links[rnd() % MDR_ARRAY_SIZE(links)];
			len = rnd() % sizeof(buf);
			for (uint32_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
			if (link == 1 && len > 14 && (rnd() & 1)) {
				static const uint16_t t[] = { 0x0800, 0x86dd, 0x8100, 0x8847, 0x8864 };

				st16(buf + 12, t[rnd() % 5]);
				buf[14] = (rnd() & 1) ? 0x45 : 0x60;
			}
		} else {                        /* a valid frame, mutated */
			int k = (int)(rnd() % (uint32_t)nf);

			link = flink[k];
			len = fr[k].len;
			memcpy(buf, fr[k].b, len);
			for (uint32_t m = rnd() % 4 + 1; m > 0; m--)
				buf[rnd() % len] = (uint8_t)rnd();
			if (rnd() % 4 == 0)
				len = rnd() % (len + 1);
		}
		int rc = decode_copy(d, link, buf, len, &p, it);

		check_result(&p, rc, count);
		if (it % 512 == 0)
			mdr_decode_expire(d, it);
	}
	const struct mdr_decode_stats *st = ST(d);

	assert_int_equal(st->pkts, 300000);
	assert_int_equal(st->ok, count[0]);
	for (int r = 1; r < MDR_DERR__COUNT; r++)
		if (r != MDR_DERR_FRAG_NOMEM && r != MDR_DERR_FRAG_TIMEOUT)
			assert_int_equal(st->err[r], count[r]);
	assert_true(st->err[MDR_DERR_FRAG_NOMEM] >= count[MDR_DERR_FRAG_NOMEM]);
	assert_true(count[0] > 10000);
	mdr_decoder_free(d);
}

/* ---- API odds and ends --------------------------------------------- */

static void test_api(void **state)
{
	(void)state;
	struct mdr_decode_config cfg;
	char buf[64];
	struct mdr_ip ip = { { 0 } };

	mdr_decode_config_default(&cfg);
	assert_int_equal(cfg.frag_max_datagrams, 4096);
	assert_int_equal(cfg.frag_max_size, 65535);
	assert_int_equal(cfg.frag_max_frags, 64);
	assert_int_equal(cfg.frag_timeout_ns, 60 * MDR_NSEC_PER_SEC);
	assert_false(cfg.checksum_validation);
	struct mdr_decoder *d = mdr_decoder_create(&cfg);

	assert_non_null(d);
	mdr_decoder_free(d);
	mdr_decoder_free(NULL);
	cfg.frag_max_frags = 0;
	assert_null(mdr_decoder_create(&cfg));

	for (int i = 0; i < MDR_DERR__COUNT; i++) {
		assert_non_null(mdr_decode_err_name(i));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(mdr_decode_err_name(i), mdr_decode_err_name(j));
	}
	assert_string_equal(mdr_decode_err_name(MDR_DERR_IPV4_TRUNC), "ipv4_trunc");
	assert_string_equal(mdr_decode_err_name(MDR_DERR_NOT_IP), "not_ip");
	assert_string_equal(mdr_decode_err_name(MDR_DERR__COUNT), "unknown");

	ip.b[0] = 10; ip.b[3] = 1;
	assert_string_equal(mdr_ip_to_str(&ip, 4, buf, sizeof(buf)), "10.0.0.1");
	inet_pton(AF_INET6, "2001:db8::1", ip.b);
	assert_string_equal(mdr_ip_to_str(&ip, 6, buf, sizeof(buf)), "2001:db8::1");
}

/* A length field beyond a complete frame is malformed; a snaplen cut is not. */
static void test_length_beyond_complete_frame(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f;
	struct mdr_pkt p;

	mk_udp4(&f, "1.2.3.4", "5.6.7.8", 53, 1053, 200);
	assert_int_equal(dec_wire(d, MDR_LINK_ETHERNET, f.b, 64, 64, &p, 1),
			 -MDR_DERR_IPV4_TRUNC);
	assert_int_equal(ST(d)->err[MDR_DERR_IPV4_TRUNC], 1);
	assert_int_equal(dec_wire(d, MDR_LINK_ETHERNET, f.b, 64, f.len, &p, 1), MDR_DECODE_OK);
	assert_int_equal(p.payload_len, 64 - 42);

	/* IPv4 total length 0 (TSO capture): the frame is the datagram */
	mk_udp4(&f, "1.2.3.4", "5.6.7.8", 53, 1053, 100);
	f.b[14 + 2] = 0;
	f.b[14 + 3] = 0;
	assert_int_equal(dec_wire(d, MDR_LINK_ETHERNET, f.b, f.len, f.len, &p, 1), MDR_DECODE_OK);
	assert_int_equal(p.l3_len, f.len - 14);
	assert_int_equal(p.payload_len, 100);
	mdr_decoder_free(d);
}

/* Cisco FabricPath and 802.1ah PBB wrap a whole Ethernet frame. */
static void test_mac_in_mac(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f;
	struct mdr_pkt p;
	uint8_t w[2048];
	static const struct { uint16_t type; uint32_t hdr; } enc[] = { { 0x8903, 2 }, { 0x88e7, 4 } };

	mk_udp4(&f, "10.0.0.1", "10.0.0.2", 1111, 53, 8);
	for (size_t i = 0; i < 2; i++) {
		memset(w, 0xab, 14 + enc[i].hdr);
		w[12] = (uint8_t)(enc[i].type >> 8);
		w[13] = (uint8_t)enc[i].type;
		memcpy(w + 14 + enc[i].hdr, f.b, f.len);
		uint32_t n = 14 + enc[i].hdr + f.len;
		assert_int_equal(dec(d, MDR_LINK_ETHERNET, w, n, &p), MDR_DECODE_OK);
		assert_string_equal(ipstr(&p.key.src, 4), "10.0.0.1");
		assert_int_equal(p.key.dport, 53);
		/* same worker as the plain frame of the flow */
		assert_int_equal(mdr_decode_dispatch_hash(MDR_LINK_ETHERNET, w, n),
				 mdr_decode_dispatch_hash(MDR_LINK_ETHERNET, f.b, f.len));
		assert_int_equal(dec(d, MDR_LINK_ETHERNET, w, 14 + enc[i].hdr - 1, &p),
				 -MDR_DERR_ETH_TRUNC);
	}
	/* nesting is bounded */
	uint32_t n = 0;
	for (int k = 0; k < 6; k++) {
		memset(w + n, 0xab, 12);
		w[n + 12] = 0x89;
		w[n + 13] = 0x03;
		w[n + 14] = w[n + 15] = 0;
		n += 16;
	}
	memcpy(w + n, f.b, f.len);
	assert_int_equal(dec(d, MDR_LINK_ETHERNET, w, n + f.len, &p), -MDR_DERR_TUNNEL_TOO_DEEP);
	mdr_decoder_free(d);
}

/* PPP (with and without ff 03, IPv4, IPv6), Cisco HDLC, and HDLC written as PPP. */
static void test_ppp_and_hdlc(void **state)
{
	(void)state;
	struct mdr_decoder *d = newdec(false);
	struct fb f, v6 = { 0 };
	struct mdr_pkt p;
	uint8_t w[2048];

	mk_udp4(&f, "10.0.0.1", "10.0.0.2", 1111, 53, 8);
	ip6(&v6, "2001:db8::1", "2001:db8::2", 17);
	udp(&v6, 546, 547);
	fb_done(&v6);
	static const uint8_t hdr[][4] = { { 0xff, 0x03, 0x00, 0x21 }, { 0x00, 0x21 },
					  { 0x0f, 0x00, 0x08, 0x00 } };
	static const uint32_t hlen[] = { 4, 2, 4 };
	for (size_t i = 0; i < 3; i++) {
		memcpy(w, hdr[i], hlen[i]);
		memcpy(w + hlen[i], f.b + 14, f.len - 14);
		uint32_t n = hlen[i] + f.len - 14;
		int link = i == 2 ? MDR_LINK_C_HDLC : MDR_LINK_PPP;
		assert_int_equal(dec(d, link, w, n, &p), MDR_DECODE_OK);
		assert_string_equal(ipstr(&p.key.src, 4), "10.0.0.1");
		assert_int_equal(p.l3_off, hlen[i]);
		assert_int_equal(mdr_decode_dispatch_hash(link, w, n),
				 mdr_decode_dispatch_hash(MDR_LINK_ETHERNET, f.b, f.len));
		if (i == 2) {               /* Cisco HDLC frames in a PPP capture */
			assert_int_equal(dec(d, MDR_LINK_PPP, w, n, &p), MDR_DECODE_OK);
			assert_int_equal(mdr_decode_dispatch_hash(MDR_LINK_PPP, w, n),
					 mdr_decode_dispatch_hash(MDR_LINK_ETHERNET, f.b, f.len));
		}
		assert_int_equal(dec(d, link, w, 1, &p), -MDR_DERR_ETH_TRUNC);
	}
	memcpy(w, "\xff\x03\x00\x57", 4);
	memcpy(w + 4, v6.b, v6.len);
	assert_int_equal(dec(d, MDR_LINK_PPP, w, 4 + v6.len, &p), MDR_DECODE_OK);
	check_key(&p, 6, "2001:db8::1", "2001:db8::2", 17, 546, 547);
	memcpy(w, "\xff\x03\xc0\x21", 4);  /* LCP: not IP */
	assert_int_equal(dec(d, MDR_LINK_PPP, w, 4 + v6.len, &p), -MDR_DERR_NOT_IP);
	mdr_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp),
		cmocka_unit_test(test_ppp_and_hdlc),
		cmocka_unit_test(test_padding_and_snaplen),
		cmocka_unit_test(test_length_beyond_complete_frame),
		cmocka_unit_test(test_mac_in_mac),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_link_types_v6),
		cmocka_unit_test(test_pppoe_and_not_ip),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_tcp_udp_errors),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_gre),
		cmocka_unit_test(test_erspan),
		cmocka_unit_test(test_vxlan_geneve),
		cmocka_unit_test(test_ipip_and_depth),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_dispatch_hash),
		cmocka_unit_test(test_dispatch_hash_v6),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
