/*
 * decode_frames.h - the frame builder shared by the decoder unit tests.
 *
 * Layers are appended in order (Ethernet, tags, IP, L4, payload) and
 * fb_done() fixes lengths and checksums from the innermost layer out;
 * fragments are cut from a finished datagram. Every helper is static:
 * each test file uses the ones it needs.
 */
#ifndef MDR_TEST_DECODE_FRAMES_H
#define MDR_TEST_DECODE_FRAMES_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

/* ---- frame builder ------------------------------------------------- */

enum { LT_IP4, LT_IP6, LT_TCP, LT_UDP, LT_ICMP4, LT_ICMP6, LT_PPPOE };

struct fb {
	uint8_t b[2048];
	uint32_t len;
	struct { int t; uint32_t off; } st[24];
	int n;
	int zero_udp_csum;      /* leave UDP checksums at 0 */
};

static uint32_t put(struct fb *f, const void *d, uint32_t n)
{
	uint32_t o = f->len;

	if (d)
		memcpy(f->b + o, d, n);
	else
		memset(f->b + o, 0, n);
	f->len += n;
	return o;
}

static void put8(struct fb *f, uint8_t v) { put(f, &v, 1); }
static void put16(struct fb *f, uint16_t v) { uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v }; put(f, b, 2); }
static void put32(struct fb *f, uint32_t v) { put16(f, (uint16_t)(v >> 16)); put16(f, (uint16_t)v); }
static void st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void push(struct fb *f, int t, uint32_t off) { f->st[f->n].t = t; f->st[f->n++].off = off; }

static void eth(struct fb *f, uint16_t type)
{
	static const uint8_t mac[12] = { 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10 };

	put(f, mac, 12);
	put16(f, type);
}

static void vlan(struct fb *f, uint16_t tci, uint16_t type) { put16(f, tci); put16(f, type); }
static void mpls(struct fb *f, uint32_t label, int bos) { put32(f, label << 12 | (bos ? 0x100 : 0) | 64); }

static uint32_t ip4o(struct fb *f, const char *s, const char *d, uint8_t proto,
		     const uint8_t *opts, uint32_t olen)
{
	uint8_t h[20] = { 0x40 | (uint8_t)((20 + olen) / 4) };
	uint32_t o = f->len;

	h[4] = 0x12; h[5] = 0x34; h[8] = 64; h[9] = proto;
	inet_pton(AF_INET, s, h + 12);
	inet_pton(AF_INET, d, h + 16);
	put(f, h, 20);
	put(f, opts, olen);
	push(f, LT_IP4, o);
	return o;
}

static uint32_t ip4(struct fb *f, const char *s, const char *d, uint8_t proto)
{
	return ip4o(f, s, d, proto, NULL, 0);
}

static uint32_t ip6(struct fb *f, const char *s, const char *d, uint8_t nh)
{
	uint8_t h[40] = { 0x60 };
	uint32_t o = f->len;

	h[6] = nh; h[7] = 63;
	inet_pton(AF_INET6, s, h + 8);
	inet_pton(AF_INET6, d, h + 24);
	put(f, h, 40);
	push(f, LT_IP6, o);
	return o;
}

/* Extension header of 8 * (units + 1) bytes (AH: 4 * (units + 2)). */
static void ext6(struct fb *f, uint8_t nh, uint8_t units, uint32_t len)
{
	put8(f, nh);
	put8(f, units);
	put(f, NULL, len - 2);
}

static uint32_t tcpo(struct fb *f, uint16_t sp, uint16_t dp, uint8_t flags, uint32_t optlen)
{
	uint32_t o = f->len;

	put16(f, sp); put16(f, dp);
	put32(f, 1000); put32(f, 2000);
	put8(f, (uint8_t)((20 + optlen) / 4) << 4); put8(f, flags);
	put16(f, 8192); put32(f, 0);
	for (uint32_t i = 0; i < optlen; i++)
		put8(f, 1);
	push(f, LT_TCP, o);
	return o;
}

static uint32_t tcp(struct fb *f, uint16_t sp, uint16_t dp, uint8_t flags)
{
	return tcpo(f, sp, dp, flags, 0);
}

static uint32_t udp(struct fb *f, uint16_t sp, uint16_t dp)
{
	uint32_t o = f->len;

	put16(f, sp); put16(f, dp); put32(f, 0);
	push(f, LT_UDP, o);
	return o;
}

static uint32_t icmp(struct fb *f, int v6, uint8_t type, uint8_t code, uint16_t id)
{
	uint32_t o = f->len;

	put8(f, type); put8(f, code); put16(f, 0); put16(f, id); put16(f, 7);
	push(f, v6 ? LT_ICMP6 : LT_ICMP4, o);
	return o;
}

static void pay(struct fb *f, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		put8(f, (uint8_t)(seed + i * 7));
}

static uint32_t sum16(uint32_t s, const uint8_t *p, uint32_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void fix_l4(struct fb *f, int i, uint8_t proto, uint32_t csoff)
{
	uint32_t off = f->st[i].off, len = f->len - off, s = proto + len;
	int j = i - 1;

	while (j >= 0 && f->st[j].t != LT_IP4 && f->st[j].t != LT_IP6)
		j--;
	if (proto != 1 && j >= 0) {
		const uint8_t *ip = f->b + f->st[j].off;
		int v4 = f->st[j].t == LT_IP4;

		s = sum16(s, ip + (v4 ? 12 : 8), v4 ? 8 : 32);
	}
	if (proto == 1)
		s = 0;
	f->b[off + csoff] = f->b[off + csoff + 1] = 0;
	uint16_t c = fold(sum16(s, f->b + off, len));

	if (proto == 17 && f->zero_udp_csum)
		return;

	st16(f->b + off + csoff, proto == 17 && c == 0 ? 0xffff : c);
}

static void fb_done(struct fb *f)
{
	for (int i = f->n - 1; i >= 0; i--) {
		uint8_t *h = f->b + f->st[i].off;
		uint32_t len = f->len - f->st[i].off;

		switch (f->st[i].t) {
		case LT_IP4:
			st16(h + 2, (uint16_t)len);
			h[10] = h[11] = 0;
			st16(h + 10, fold(sum16(0, h, (h[0] & 15) * 4)));
			break;
		case LT_IP6: st16(h + 4, (uint16_t)(len - 40)); break;
		case LT_UDP: st16(h + 4, (uint16_t)len); fix_l4(f, i, 17, 6); break;
		case LT_TCP: fix_l4(f, i, 6, 16); break;
		case LT_ICMP4: fix_l4(f, i, 1, 2); break;
		case LT_ICMP6: fix_l4(f, i, 58, 2); break;
		case LT_PPPOE: st16(h + 4, (uint16_t)(len - 6)); break;
		}
	}
}

/* ---- decode helpers ------------------------------------------------ */

static struct mdr_decoder *newdec(bool csum)
{
	struct mdr_decode_config cfg;

	mdr_decode_config_default(&cfg);
	cfg.checksum_validation = csum;
	cfg.frag_max_datagrams = 64;
	struct mdr_decoder *d = mdr_decoder_create(&cfg);

	assert_non_null(d);
	return d;
}

/*
 * Decode len captured bytes of a frame that had `wire` bytes on the wire.
 * Most tests build frames longer than they hand over and mean a snaplen
 * cut, so dec_ts() declares a wire length of 64 KiB; dec_wire() is for the
 * cases where the two must be equal (a complete but malformed frame).
 */
static int dec_wire(struct mdr_decoder *d, int link, const uint8_t *b, uint32_t len,
		    uint32_t wire, struct mdr_pkt *p, mdr_time_t ts)
{
	memset(p, 0, sizeof(*p));
	p->data = b;
	p->caplen = len;
	p->wirelen = wire;
	p->ts = ts;
	return mdr_decode_packet(d, link, p);
}

static int dec_ts(struct mdr_decoder *d, int link, const uint8_t *b, uint32_t len,
		  struct mdr_pkt *p, mdr_time_t ts)
{
	return dec_wire(d, link, b, len, 65536, p, ts);
}

static int dec(struct mdr_decoder *d, int link, const uint8_t *b, uint32_t len,
	       struct mdr_pkt *p)
{
	return dec_ts(d, link, b, len, p, 1000);
}

static const char *ipstr(const struct mdr_ip *ip, int v)
{
	static char buf[4][64];
	static int k;

	k = (k + 1) & 3;
	return mdr_ip_to_str(ip, v, buf[k], sizeof(buf[k]));
}

#define ST(d) mdr_decode_get_stats(d)

static void check_key(const struct mdr_pkt *p, int v, const char *s, const char *d,
		      uint8_t proto, uint16_t sp, uint16_t dp)
{
	assert_int_equal(p->key.ip_ver, v);
	assert_string_equal(ipstr(&p->key.src, v), s);
	assert_string_equal(ipstr(&p->key.dst, v), d);
	assert_int_equal(p->key.proto, proto);
	assert_int_equal(p->key.sport, sp);
	assert_int_equal(p->key.dport, dp);
}

/* Ethernet/IPv4/UDP frame with n payload bytes. */
static void mk_udp4(struct fb *f, const char *s, const char *d, uint16_t sp, uint16_t dp, uint32_t n)
{
	memset(f, 0, sizeof(*f));
	eth(f, 0x0800);
	ip4(f, s, d, 17);
	udp(f, sp, dp);
	pay(f, n, 1);
	fb_done(f);
}

/* ---- basic layers -------------------------------------------------- */


static void inner_tcp4(struct fb *f)
{
	ip4(f, "192.168.0.1", "192.168.0.2", 6);
	tcp(f, 3333, 80, 0x12);
	pay(f, 11, 5);
}


static uint32_t frag4(uint8_t *out, const uint8_t *dg, uint32_t fo, uint32_t n, int more)
{
	struct fb f = { 0 };
	uint32_t hl = (dg[0] & 15) * 4;

	eth(&f, 0x0800);
	uint32_t o = put(&f, dg, hl);

	put(&f, dg + hl + fo, n);
	st16(f.b + o + 2, (uint16_t)(hl + n));
	st16(f.b + o + 6, (uint16_t)(fo / 8 | (more ? 0x2000 : 0)));
	f.b[o + 10] = f.b[o + 11] = 0;
	st16(f.b + o + 10, fold(sum16(0, f.b + o, hl)));
	memcpy(out, f.b, f.len);
	return f.len;
}

/* IPv6 fragment: the first `unfrag` bytes are copied, the byte at nh_off
 * is pointed at the fragment header. */
static uint32_t frag6(uint8_t *out, const uint8_t *dg, uint32_t unfrag, uint32_t nh_off,
		      uint32_t fo, uint32_t n, int more)
{
	struct fb f = { 0 };

	eth(&f, 0x86dd);
	uint32_t o = put(&f, dg, unfrag);

	f.b[o + nh_off] = 44;
	put8(&f, dg[nh_off]); put8(&f, 0); put16(&f, (uint16_t)(fo | (more ? 1 : 0)));
	put32(&f, 0xcafe);
	put(&f, dg + unfrag + fo, n);
	st16(f.b + o + 4, (uint16_t)(f.len - o - 40));
	memcpy(out, f.b, f.len);
	return f.len;
}

struct fr { uint8_t b[1600]; uint32_t len; };

/* Datagram: IPv4 + UDP + 392 bytes = 420 bytes. */
static struct fb dgram4(const char *s, const char *d, uint16_t id)
{
	struct fb f = { 0 };

	ip4(&f, s, d, 17);
	st16(f.b + 4, id);
	udp(&f, 4000, 5000);
	pay(&f, 392, (uint8_t)id);
	fb_done(&f);
	return f;
}

/* Cut dg (IPv4, payload 400) into 4 fragments of 104/104/104/88. */
static void cut4(struct fr *fr, const struct fb *dg)
{
	for (int i = 0; i < 4; i++)
		fr[i].len = frag4(fr[i].b, dg->b, (uint32_t)i * 104, i < 3 ? 104 : 88, i < 3);
}

static void check_reasm4(const struct mdr_pkt *p, const struct fb *dg, uint32_t frags,
			 uint32_t bytes)
{
	assert_int_equal(p->is_fragment_reassembled, 1);
	assert_int_equal(p->caplen, dg->len);
	assert_memory_equal(p->data, dg->b, dg->len);
	assert_int_equal(p->frag_pkts, frags);
	assert_int_equal(p->frag_bytes, bytes);
	assert_int_equal(p->l3_off, 0);
	assert_int_equal(p->l4_off, 20);
	assert_int_equal(p->l3_len, dg->len);
	assert_int_equal(p->payload_len, 392);
	assert_int_equal(p->key.sport, 4000);
	assert_int_equal(p->key.dport, 5000);
}

static void feed(struct mdr_decoder *d, const struct fr *fr, const int *order, int n,
		 struct mdr_pkt *p)
{
	for (int i = 0; i < n; i++) {
		int rc = dec(d, MDR_LINK_ETHERNET, fr[order[i]].b, fr[order[i]].len, p);

		assert_int_equal(rc, i == n - 1 ? MDR_DECODE_OK : MDR_DECODE_HELD);
	}
}


#endif
