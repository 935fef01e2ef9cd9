/*
 * dispatch_hash.c - symmetric hash of the outermost IP address pair.
 *
 * Design: a stripped-down copy of the decoder's link walk (same link
 * types, VLAN/QinQ, MPLS with pseudowire Ethernet, PPPoE session) that
 * stops at the first IPv4/IPv6 header and never looks at ports, so both
 * directions and every fragment of a datagram land on the same worker.
 * Symmetry comes from ordering the two addresses (min, max) before mixing
 * them with a multiply-xorshift; non-IP or truncated frames hash to 0 and
 * an IP frame never does. Every read is checked against caplen. The walk
 * is bounded: at most MDR_MAX_VLAN tags per Ethernet header and
 * MDR_MAX_MPLS labels per frame, as in the decoder.
 */
#include "decode.h"

struct walk {
	const uint8_t *d;
	uint32_t len;
	uint32_t off;
	unsigned mpls;
	unsigned l2nest;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t load64(const uint8_t *p)
{
	return (uint64_t)mdr_load_be32(p) << 32 | mdr_load_be32(p + 4);
}

static uint32_t finish(uint64_t h)
{
	uint32_t r = (uint32_t)(h ^ (h >> 32));

	return r ? r : 1;
}

static uint32_t hash_v4(const uint8_t *h)
{
	uint32_t a = mdr_load_be32(h + 12), b = mdr_load_be32(h + 16);
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;

	return finish(mix64(lo << 32 | hi));
}

static uint32_t hash_v6(const uint8_t *h)
{
	const uint8_t *a = h + 8, *b = h + 24;

	if (memcmp(a, b, 16) > 0) {
		const uint8_t *t = a;

		a = b;
		b = t;
	}
	uint64_t x = mix64(load64(a) ^ 0x6a09e667f3bcc908ULL);

	x = mix64(x ^ load64(a + 8));
	x = mix64(x ^ load64(b));
	x = mix64(x ^ load64(b + 8));
	return finish(x);
}

static uint32_t hash_ip(const struct walk *w, int ver)
{
	uint32_t avail = w->off < w->len ? w->len - w->off : 0;
	const uint8_t *h = w->d + w->off;

	if (avail < 1)
		return 0;
	if (ver == 0)
		ver = h[0] >> 4;
	if (ver != (h[0] >> 4))
		return 0;
	if (ver == 4)
		return avail >= 20 ? hash_v4(h) : 0;
	if (ver == 6)
		return avail >= 40 ? hash_v6(h) : 0;
	return 0;
}

static bool need(const struct walk *w, uint32_t n)
{
	return w->off < w->len && n <= w->len - w->off;
}

static uint32_t walk_ethertype(struct walk *w, uint16_t type);

static uint32_t walk_ethernet(struct walk *w)
{
	if (!need(w, 14))
		return 0;

	uint16_t type = mdr_load_be16(w->d + w->off + 12);

	w->off += 14;
	return type < 0x0600 ? 0 : walk_ethertype(w, type);
}

static uint32_t walk_mpls(struct walk *w)
{
	for (;;) {
		if (++w->mpls > MDR_MAX_MPLS || !need(w, 4))
			return 0;
		w->off += 4;
		if (w->d[w->off - 2] & 1)
			break;
	}
	if (!need(w, 1))
		return 0;
	if ((w->d[w->off] >> 4) == 0) {         /* pseudowire control word */
		w->off += 4;
		return walk_ethernet(w);
	}
	return hash_ip(w, 0);
}

static uint32_t walk_pppoe(struct walk *w)
{
	if (!need(w, 8))
		return 0;

	uint16_t proto = mdr_load_be16(w->d + w->off + 6);

	w->off += 8;
	if (proto == 0x0021)
		return hash_ip(w, 4);
	return proto == 0x0057 ? hash_ip(w, 6) : 0;
}

static uint32_t walk_ethertype(struct walk *w, uint16_t type)
{
	for (unsigned n = 0;
	     type == 0x8100 || type == 0x88a8 || type == 0x9100; n++) {
		if (n >= MDR_MAX_VLAN || !need(w, 4))
			return 0;
		type = mdr_load_be16(w->d + w->off + 2);
		w->off += 4;
	}
	switch (type) {
	case 0x0800:
		return hash_ip(w, 4);
	case 0x86dd:
		return hash_ip(w, 6);
	case 0x8847:
	case 0x8848:
		return walk_mpls(w);
	case 0x8864:
		return walk_pppoe(w);
	case 0x8903:    /* FabricPath / 802.1ah: inner Ethernet, as the decoder */
	case 0x88e7:
		if (++w->l2nest > MDR_MAX_TUNNEL_DEPTH || !need(w, type == 0x8903 ? 2 : 4))
			return 0;
		w->off += type == 0x8903 ? 2 : 4;
		return walk_ethernet(w);
	default:
		return 0;
	}
}

static int af_version(uint32_t af)
{
	if (af == 2)
		return 4;
	return af == 24 || af == 28 || af == 30 ? 6 : 0;
}

/* BSD AF_ value in either byte order, as the decoder reads it. */
static uint32_t walk_null(struct walk *w)
{
	if (!need(w, 4))
		return 0;

	const uint8_t *h = w->d;
	uint32_t le = (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 |
		      (uint32_t)h[1] << 8 | h[0];
	int v = af_version(mdr_load_be32(h));

	if (v == 0)
		v = af_version(le);
	w->off = 4;
	return v ? hash_ip(w, v) : 0;
}

/* PPP: optional ff 03, then the protocol, as the decoder reads it (with Cisco HDLC). */
static uint32_t walk_ppp(struct walk *w)
{
	uint16_t proto;

	if (need(w, 4) && (w->d[0] == 0x0f || w->d[0] == 0x8f) && w->d[1] == 0x00) {
		w->off = 4;
		return walk_ethertype(w, mdr_load_be16(w->d + 2));
	}
	if (need(w, 2) && w->d[0] == 0xff && w->d[1] == 0x03)
		w->off = 2;
	if (!need(w, 2))
		return 0;
	proto = mdr_load_be16(w->d + w->off);
	w->off += 2;
	if (proto == 0x0021)
		return hash_ip(w, 4);
	if (proto == 0x0057)
		return hash_ip(w, 6);
	return proto == 0x0281 ? walk_mpls(w) : 0;
}

uint32_t mdr_decode_dispatch_hash(int linktype, const uint8_t *data,
				  uint32_t caplen)
{
	struct walk w = { .d = data, .len = data ? caplen : 0 };

	switch (linktype) {
	case MDR_LINK_ETHERNET:
		return walk_ethernet(&w);
	case MDR_LINK_NULL:
	case MDR_LINK_LOOP:
		return walk_null(&w);
	case MDR_LINK_LINUX_SLL:
		if (!need(&w, 16))
			return 0;
		w.off = 16;
		return walk_ethertype(&w, mdr_load_be16(data + 14));
	case MDR_LINK_LINUX_SLL2:
		if (!need(&w, 20))
			return 0;
		w.off = 20;
		return walk_ethertype(&w, mdr_load_be16(data));
	case MDR_LINK_RAW:
	case 12:
	case 14:
		return hash_ip(&w, 0);
	case MDR_LINK_IPV4:
		return hash_ip(&w, 4);
	case MDR_LINK_IPV6:
		return hash_ip(&w, 6);
	case MDR_LINK_C_HDLC:
		if (!need(&w, 4))
			return 0;
		w.off = 4;
		return walk_ethertype(&w, mdr_load_be16(data + 2));
	case MDR_LINK_PPP:
		return walk_ppp(&w);
	default:
		return 0;
	}
}
