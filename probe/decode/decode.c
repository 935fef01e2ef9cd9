/*
 * decode.c - decoder API, IPv4/IPv6 (with fragments) and the L4 headers.
 *
 * Design: mdr_decode_packet() resets the decoder-owned part of the
 * mdr_pkt, builds a struct mdr_dctx (decode_int.h) and lets the link layer
 * (decode_l2.c) walk down; IP layers call into dec_ip_proto(), which ends
 * in a leaf (TCP, UDP, ICMP, other) or a tunnel (decode_tunnel.c) that
 * starts over with the inner headers, overwriting the key, so the flow is
 * keyed on the innermost headers. Errors bubble up as -reason and are
 * counted once, at the top.
 *
 * Lengths: the IP total length (IPv6: 40 + payload length) bounds
 * everything inside, so Ethernet padding is ignored. A length beyond what
 * the frame had on the wire is malformed (ipv4_trunc/ipv6_trunc, as
 * Suricata); beyond the capture but within the wire length is a snaplen
 * cut: payloads are clipped to the captured bytes, only headers we must
 * read are required. A zero IP length (TSO/GSO or BIG TCP captured on the
 * sending host) means "the rest of the frame", as Zeek reads it. Checksums are checked
 * only when configured, and an L4 checksum only when the whole segment was
 * captured.
 *
 * Fragments are handed to defrag.c; when a datagram completes the context
 * switches to the reassembled buffer and decoding resumes at its L4 (IPv6:
 * at the first header after the fragment header).
 *
 * Protocol counters count headers as decoded (an IPv4-in-IPv4 packet adds
 * two to ipv4), vlan counts tags, mpls counts label stacks, L4 counters
 * count leaves; fragments add to ipv4/ipv6 each, and their L4 is counted
 * once, when the datagram completes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"
#include "defrag_int.h"

#define IPPROTO_ICMP_ 1
#define IPPROTO_IPIP_ 4
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_IPV6_ 41
#define IPPROTO_GRE_ 47
#define IPPROTO_ICMPV6_ 58

#define EXT_NEXT 2      /* not a decode result: keep walking the chain */

static const char *const err_names[MDR_DERR__COUNT] = {
	[MDR_DERR_NONE] = "none",
	[MDR_DERR_LINK_UNSUPPORTED] = "link_unsupported",
	[MDR_DERR_ETH_TRUNC] = "eth_trunc",
	[MDR_DERR_VLAN_TRUNC] = "vlan_trunc",
	[MDR_DERR_VLAN_TOO_MANY] = "vlan_too_many",
	[MDR_DERR_MPLS_TRUNC] = "mpls_trunc",
	[MDR_DERR_MPLS_TOO_MANY] = "mpls_too_many",
	[MDR_DERR_SLL_TRUNC] = "sll_trunc",
	[MDR_DERR_IPV4_TRUNC] = "ipv4_trunc",
	[MDR_DERR_IPV4_BAD_VERSION] = "ipv4_bad_version",
	[MDR_DERR_IPV4_BAD_HLEN] = "ipv4_bad_hlen",
	[MDR_DERR_IPV4_BAD_LEN] = "ipv4_bad_len",
	[MDR_DERR_IPV4_BAD_OPTS] = "ipv4_bad_opts",
	[MDR_DERR_IPV4_BAD_CSUM] = "ipv4_bad_csum",
	[MDR_DERR_IPV6_TRUNC] = "ipv6_trunc",
	[MDR_DERR_IPV6_BAD_VERSION] = "ipv6_bad_version",
	[MDR_DERR_IPV6_BAD_EXTHDR] = "ipv6_bad_exthdr",
	[MDR_DERR_TCP_TRUNC] = "tcp_trunc",
	[MDR_DERR_TCP_BAD_HLEN] = "tcp_bad_hlen",
	[MDR_DERR_TCP_BAD_CSUM] = "tcp_bad_csum",
	[MDR_DERR_UDP_TRUNC] = "udp_trunc",
	[MDR_DERR_UDP_BAD_LEN] = "udp_bad_len",
	[MDR_DERR_UDP_BAD_CSUM] = "udp_bad_csum",
	[MDR_DERR_ICMP_TRUNC] = "icmp_trunc",
	[MDR_DERR_GRE_TRUNC] = "gre_trunc",
	[MDR_DERR_GRE_UNSUPPORTED] = "gre_unsupported",
	[MDR_DERR_VXLAN_TRUNC] = "vxlan_trunc",
	[MDR_DERR_TUNNEL_TOO_DEEP] = "tunnel_too_deep",
	[MDR_DERR_FRAG_BAD] = "frag_bad",
	[MDR_DERR_FRAG_NOMEM] = "frag_nomem",
	[MDR_DERR_FRAG_TIMEOUT] = "frag_timeout",
	[MDR_DERR_NOT_IP] = "not_ip",
};

/* Walk state of an IPv6 extension header chain. */
struct v6walk {
	uint32_t l3;            /* IPv6 header offset */
	uint32_t off;           /* current header */
	uint32_t end;           /* declared end of the packet */
	uint32_t nh_off;        /* offset from l3 of the byte holding nh */
	uint8_t nh;
	bool frag_ok;           /* false inside a reassembled datagram */
};

static int ipv6_chain(struct mdr_dctx *c, struct v6walk *w);

/* ---- checksums ---------------------------------------------------- */

static uint64_t csum_add(uint64_t sum, const uint8_t *b, uint32_t len)
{
	for (; len > 1; b += 2, len -= 2)
		sum += mdr_load_be16(b);
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* TCP/UDP checksum over [off, end) with the pseudo-header of the key. */
static bool l4_csum_ok(const struct mdr_dctx *c, uint8_t proto, uint32_t off,
		       uint32_t end)
{
	const struct mdr_pkt *p = c->p;
	uint32_t alen = p->key.ip_ver == 4 ? 4 : 16;
	uint32_t len = end - off;
	uint64_t sum = proto + (len >> 16) + (len & 0xffff);

	sum = csum_add(sum, p->key.src.b, alen);
	sum = csum_add(sum, p->key.dst.b, alen);
	sum = csum_add(sum, c->buf + off, len);
	return csum_fold(sum) == 0xffff;
}

/* ---- L4 ----------------------------------------------------------- */

static void set_payload(struct mdr_dctx *c, uint32_t start, uint32_t end)
{
	c->p->payload = c->buf + (start < c->cap ? start : c->cap);
	c->p->payload_len = mdr_dec_avail(c, start, end);
}

static int dec_tcp(struct mdr_dctx *c, uint32_t off, uint32_t end)
{
	struct mdr_pkt *p = c->p;

	if (!mdr_dec_fits(off, 20, end) || mdr_dec_avail(c, off, end) < 20)
		return -MDR_DERR_TCP_TRUNC;

	const uint8_t *h = c->buf + off;
	uint32_t doff = (uint32_t)(h[12] >> 4) * 4;

	if (doff < 20 || !mdr_dec_fits(off, doff, end))
		return -MDR_DERR_TCP_BAD_HLEN;
	if (c->d->cfg.checksum_validation && end <= c->cap &&
	    !l4_csum_ok(c, IPPROTO_TCP_, off, end))
		return -MDR_DERR_TCP_BAD_CSUM;
	p->key.sport = mdr_load_be16(h);
	p->key.dport = mdr_load_be16(h + 2);
	p->tcp_seq = mdr_load_be32(h + 4);
	p->tcp_ack = mdr_load_be32(h + 8);
	p->tcp_flags = h[13];
	p->tcp_win = mdr_load_be16(h + 14);
	c->d->stats.tcp++;
	set_payload(c, off + doff, end);
	return MDR_DECODE_OK;
}

static bool udp_csum_ok(const struct mdr_dctx *c, uint32_t off, uint32_t end,
			uint16_t dport)
{
	if (mdr_load_be16(c->buf + off + 6) == 0)  /* not computed */
		return c->p->key.ip_ver == 4 || mdr_dec_is_tunnel_port(dport);
	return l4_csum_ok(c, IPPROTO_UDP_, off, end);
}

static int dec_udp(struct mdr_dctx *c, uint32_t off, uint32_t end)
{
	struct mdr_pkt *p = c->p;

	if (!mdr_dec_fits(off, 8, end) || mdr_dec_avail(c, off, end) < 8)
		return -MDR_DERR_UDP_TRUNC;

	const uint8_t *h = c->buf + off;
	uint32_t ulen = mdr_load_be16(h + 4);
	uint16_t dport = mdr_load_be16(h + 2);

	if (ulen < 8 || !mdr_dec_fits(off, ulen, end))
		return -MDR_DERR_UDP_BAD_LEN;
	if (c->d->cfg.checksum_validation && off + ulen <= c->cap &&
	    !udp_csum_ok(c, off, off + ulen, dport))
		return -MDR_DERR_UDP_BAD_CSUM;
	p->key.sport = mdr_load_be16(h);
	p->key.dport = dport;
	c->d->stats.udp++;
	set_payload(c, off + 8, off + ulen);
	return mdr_dec_udp_tunnel(c, dport, off + 8, off + ulen);
}

/* Request type of an echo-like ICMP message, -1 for anything else. */
static int icmp_request_type(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMPV6_)
		return type == 128 || type == 129 ? 128 : -1;
	switch (type) {
	case 0:
	case 8:
		return 8;       /* echo */
	case 13:
	case 14:
		return 13;      /* timestamp */
	case 15:
	case 16:
		return 15;      /* information */
	case 17:
	case 18:
		return 17;      /* address mask */
	default:
		return -1;
	}
}

static int dec_icmp(struct mdr_dctx *c, uint8_t proto, uint32_t off,
		    uint32_t end)
{
	struct mdr_pkt *p = c->p;
	uint32_t avail = mdr_dec_avail(c, off, end);

	if (!mdr_dec_fits(off, 4, end) || avail < 4)
		return -MDR_DERR_ICMP_TRUNC;

	const uint8_t *h = c->buf + off;
	int req = icmp_request_type(proto, h[0]);

	if (req >= 0) {
		if (!mdr_dec_fits(off, 8, end) || avail < 8)
			return -MDR_DERR_ICMP_TRUNC;
		p->key.sport = p->key.dport = mdr_load_be16(h + 4);
		p->icmp_type = (uint8_t)req;
	} else {
		p->key.sport = h[0];
		p->key.dport = h[1];
		p->icmp_type = h[0];
	}
	p->icmp_code = h[1];
	c->d->stats.icmp++;
	set_payload(c, off + 8, end);
	return MDR_DECODE_OK;
}

static int dec_other(struct mdr_dctx *c, uint32_t off, uint32_t end)
{
	c->p->key.sport = c->p->key.dport = 0;
	c->d->stats.other_l4++;
	set_payload(c, off, end);
	return MDR_DECODE_OK;
}

static int dec_ip_proto(struct mdr_dctx *c, uint8_t proto, uint32_t off,
			uint32_t end)
{
	struct mdr_pkt *p = c->p;

	if (off > UINT16_MAX)
		return p->key.ip_ver == 4 ? -MDR_DERR_IPV4_TRUNC :
					    -MDR_DERR_IPV6_TRUNC;
	p->key.proto = proto;
	p->l4_off = (uint16_t)off;
	switch (proto) {
	case IPPROTO_TCP_:
		return dec_tcp(c, off, end);
	case IPPROTO_UDP_:
		return dec_udp(c, off, end);
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		return dec_icmp(c, proto, off, end);
	case IPPROTO_GRE_:
		return mdr_dec_gre(c, off, end);
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
		return mdr_dec_ipip(c, proto, off, end);
	default:
		return dec_other(c, off, end);
	}
}

/* ---- fragments ---------------------------------------------------- */

/* Feed a fragment to the pool; on completion resume on the datagram. */
static int defrag_feed(struct mdr_dctx *c, struct mdr_defrag_in *in,
		       uint32_t nh_off)
{
	struct mdr_pkt *p = c->p;
	struct mdr_defrag_out out;

	in->src = &p->key.src;
	in->dst = &p->key.dst;
	in->vlan = p->key.vlan;
	in->ts = p->ts;
	in->pkts = p->frag_pkts;
	in->bytes = p->frag_bytes;

	int rc = mdr_defrag_add(c->d->defrag, in, &out);

	if (rc <= 0)
		return rc == 0 ? MDR_DECODE_HELD : rc;
	c->buf = p->data = out.data;
	c->cap = c->wire = p->caplen = p->wirelen = out.len;
	p->is_fragment_reassembled = 1;
	p->frag_pkts = out.frags;
	p->frag_bytes = out.bytes;
	p->l3_off = 0;
	p->l3_len = out.len;
	if (in->ver == 4) {
		p->ip_ttl = out.data[8];
		return dec_ip_proto(c, in->proto, out.hdr_len, out.len);
	}
	p->ip_ttl = out.data[7];

	struct v6walk w = {
		.l3 = 0, .off = out.hdr_len, .end = out.len,
		.nh_off = nh_off, .nh = in->proto, .frag_ok = false,
	};

	return ipv6_chain(c, &w);
}

static int ipv4_frag(struct mdr_dctx *c, uint32_t off, uint32_t hlen,
		     uint32_t end)
{
	const uint8_t *h = c->buf + off;
	uint16_t fo = mdr_load_be16(h + 6);
	struct mdr_defrag_in in = {0};

	c->d->stats.frag_seen++;
	if (end > c->cap) {     /* cannot hold bytes we did not capture */
		c->d->stats.frag_dropped++;
		return -MDR_DERR_IPV4_TRUNC;
	}
	in.id = mdr_load_be16(h + 4);
	in.ver = 4;
	in.proto = h[9];
	in.hdr = h;
	in.hdr_len = hlen;
	in.data = h + hlen;
	in.off = (uint32_t)(fo & 0x1fff) * 8;
	in.len = end - off - hlen;
	in.more = (fo & 0x2000) != 0;
	return defrag_feed(c, &in, 0);
}

static int ipv6_frag(struct mdr_dctx *c, const struct v6walk *w)
{
	const uint8_t *h = c->buf + w->off;
	uint16_t fo = mdr_load_be16(h + 2);
	struct mdr_defrag_in in = {0};

	c->d->stats.frag_seen++;
	if (w->end > c->cap) {
		c->d->stats.frag_dropped++;
		return -MDR_DERR_IPV6_TRUNC;
	}
	in.id = mdr_load_be32(h + 4);
	in.ver = 6;
	in.proto = h[0];
	in.hdr = c->buf + w->l3;
	in.hdr_len = w->off - w->l3;
	in.nh_off = w->nh_off;
	in.data = h + 8;
	in.off = fo & 0xfff8;
	in.len = w->end - w->off - 8;
	in.more = (fo & 1) != 0;
	return defrag_feed(c, &in, w->nh_off);
}

/* ---- IPv4 --------------------------------------------------------- */

static bool ipv4_opts_ok(const uint8_t *h, uint32_t hlen)
{
	uint32_t i = 20;

	while (i < hlen) {
		if (h[i] == 0)          /* end of options list */
			break;
		if (h[i] == 1) {        /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= hlen || h[i + 1] < 2 || h[i + 1] > hlen - i)
			return false;
		i += h[i + 1];
	}
	return true;
}

static void set_addrs(struct mdr_pkt *p, uint8_t ver, const uint8_t *src,
		      const uint8_t *dst)
{
	uint32_t alen = ver == 4 ? 4 : 16;

	memset(&p->key.src, 0, sizeof(p->key.src));
	memset(&p->key.dst, 0, sizeof(p->key.dst));
	memcpy(p->key.src.b, src, alen);
	memcpy(p->key.dst.b, dst, alen);
	p->key.ip_ver = ver;
}

static int ipv4_check(const struct mdr_dctx *c, const uint8_t *h,
		      uint32_t avail, uint32_t *hlen)
{
	if ((h[0] >> 4) != 4)
		return -MDR_DERR_IPV4_BAD_VERSION;
	*hlen = (uint32_t)(h[0] & 15) * 4;
	if (*hlen < 20)
		return -MDR_DERR_IPV4_BAD_HLEN;
	if (avail < *hlen)
		return -MDR_DERR_IPV4_TRUNC;
	if (mdr_load_be16(h + 2) < *hlen && mdr_load_be16(h + 2) != 0)
		return -MDR_DERR_IPV4_BAD_LEN; /* 0: TSO capture, see mdr_dec_ipv4 */
	if (!ipv4_opts_ok(h, *hlen))
		return -MDR_DERR_IPV4_BAD_OPTS;
	if (c->d->cfg.checksum_validation &&
	    csum_fold(csum_add(0, h, *hlen)) != 0xffff)
		return -MDR_DERR_IPV4_BAD_CSUM;
	return 0;
}

int mdr_dec_ipv4(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	struct mdr_pkt *p = c->p;
	uint32_t avail = mdr_dec_avail(c, off, lim), hlen;

	if (avail < 20 || off > UINT16_MAX)
		return -MDR_DERR_IPV4_TRUNC;

	const uint8_t *h = c->buf + off;
	int rc = ipv4_check(c, h, avail, &hlen);

	if (rc < 0)
		return rc;
	c->d->stats.ipv4++;
	set_addrs(p, 4, h + 12, h + 16);
	p->ip_ttl = h[8];
	p->l3_off = (uint16_t)off;
	p->l3_len = mdr_load_be16(h + 2);
	if (p->l3_len == 0)     /* TSO/GSO capture on the sending host: the frame */
		p->l3_len = mdr_dec_wire_end(c, lim) - off;
	else if (off + p->l3_len > mdr_dec_wire_end(c, lim))
		return -MDR_DERR_IPV4_TRUNC;

	uint32_t end = lim - off < p->l3_len ? lim : off + p->l3_len;

	if (mdr_load_be16(h + 6) & 0x3fff)  /* MF or offset */
		return ipv4_frag(c, off, hlen, end);
	return dec_ip_proto(c, h[9], off + hlen, end);
}

/* ---- IPv6 --------------------------------------------------------- */

/* Length of the extension header at w->off (hop-by-hop, routing,
 * destination options, AH). */
static int ext_len(const struct mdr_dctx *c, const struct v6walk *w,
		   uint32_t *len)
{
	uint32_t avail = mdr_dec_avail(c, w->off, w->end);

	if (!mdr_dec_fits(w->off, 2, w->end))
		return -MDR_DERR_IPV6_BAD_EXTHDR;
	if (avail < 2)
		return -MDR_DERR_IPV6_TRUNC;

	const uint8_t *h = c->buf + w->off;

	*len = w->nh == 51 ? ((uint32_t)h[1] + 2) * 4 : ((uint32_t)h[1] + 1) * 8;
	if (!mdr_dec_fits(w->off, *len, w->end))
		return -MDR_DERR_IPV6_BAD_EXTHDR;
	if (avail < *len)
		return -MDR_DERR_IPV6_TRUNC;
	return 0;
}

/* Fragment header: EXT_NEXT = atomic fragment skipped, else a result. */
static int ext_frag(struct mdr_dctx *c, struct v6walk *w)
{
	if (!w->frag_ok || !mdr_dec_fits(w->off, 8, w->end))
		return -MDR_DERR_IPV6_BAD_EXTHDR;
	if (mdr_dec_avail(c, w->off, w->end) < 8)
		return -MDR_DERR_IPV6_TRUNC;

	const uint8_t *h = c->buf + w->off;

	if ((mdr_load_be16(h + 2) & 0xfff9) == 0) {     /* RFC 6946 */
		w->nh_off = w->off - w->l3;
		w->nh = h[0];
		w->off += 8;
		return EXT_NEXT;
	}
	return ipv6_frag(c, w);
}

static int ipv6_chain(struct mdr_dctx *c, struct v6walk *w)
{
	for (;;) {
		uint32_t len;
		int rc;

		switch (w->nh) {
		case 0:         /* hop-by-hop */
		case 43:        /* routing */
		case 60:        /* destination options */
		case 51:        /* AH */
			rc = ext_len(c, w, &len);
			if (rc < 0)
				return rc;
			w->nh_off = w->off - w->l3;
			w->nh = c->buf[w->off];
			w->off += len;
			break;
		case 44:
			rc = ext_frag(c, w);
			if (rc != EXT_NEXT)
				return rc;
			break;
		default:        /* L4, ESP (50), no next header (59) ... */
			return dec_ip_proto(c, w->nh, w->off, w->end);
		}
	}
}

int mdr_dec_ipv6(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	struct mdr_pkt *p = c->p;
	uint32_t avail = mdr_dec_avail(c, off, lim);

	if (avail < 40 || off > UINT16_MAX)
		return -MDR_DERR_IPV6_TRUNC;

	const uint8_t *h = c->buf + off;
	uint32_t plen = mdr_load_be16(h + 4);
	struct v6walk w = {
		.l3 = off, .off = off + 40, .nh_off = 6, .nh = h[6],
		.frag_ok = true,
	};

	if ((h[0] >> 4) != 6)
		return -MDR_DERR_IPV6_BAD_VERSION;
	c->d->stats.ipv6++;
	set_addrs(p, 6, h + 8, h + 24);
	p->ip_ttl = h[7];
	p->l3_off = (uint16_t)off;
	if (plen == 0) {        /* jumbogram, or BIG TCP/TSO capture: the frame */
		w.end = off + avail;
		p->l3_len = mdr_dec_wire_end(c, lim) - off;
	} else if (off + 40 + plen > mdr_dec_wire_end(c, lim)) {
		return -MDR_DERR_IPV6_TRUNC;
	} else {
		w.end = lim - off < 40 + plen ? lim : off + 40 + plen;
		p->l3_len = 40 + plen;
	}
	return ipv6_chain(c, &w);
}

/* ---- API ---------------------------------------------------------- */

void mdr_decode_config_default(struct mdr_decode_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->frag_max_datagrams = 4096;
	cfg->frag_max_size = 65535;
	cfg->frag_max_frags = 64;
	cfg->frag_timeout_ns = 60 * MDR_NSEC_PER_SEC;
	cfg->checksum_validation = false;
}

struct mdr_decoder *mdr_decoder_create(const struct mdr_decode_config *cfg)
{
	struct mdr_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (cfg)
		d->cfg = *cfg;
	else
		mdr_decode_config_default(&d->cfg);
	d->defrag = mdr_defrag_create(&d->cfg, &d->stats);
	if (!d->defrag) {
		int e = errno;

		free(d);
		errno = e;
		return NULL;
	}
	return d;
}

void mdr_decoder_free(struct mdr_decoder *d)
{
	if (!d)
		return;
	mdr_defrag_free(d->defrag);
	free(d);
}

static void reset_pkt(struct mdr_pkt *p)
{
	memset(&p->key, 0, sizeof(*p) - offsetof(struct mdr_pkt, key));
	p->frag_pkts = 1;
	p->frag_bytes = p->caplen;
}

int mdr_decode_packet(struct mdr_decoder *d, int linktype, struct mdr_pkt *p)
{
	d->stats.pkts++;
	mdr_defrag_release(d->defrag);
	reset_pkt(p);

	struct mdr_dctx c = {
		.d = d, .p = p, .buf = p->data, .cap = p->data ? p->caplen : 0,
	};

	c.wire = p->wirelen > c.cap ? p->wirelen : c.cap;
	int rc = mdr_dec_link(&c, linktype);

	if (rc < 0) {
		unsigned r = (unsigned)-rc;

		d->stats.err[r < MDR_DERR__COUNT ? r : MDR_DERR_NONE]++;
		return rc;
	}
	if (rc == MDR_DECODE_OK)
		d->stats.ok++;
	return rc;
}

void mdr_decode_expire(struct mdr_decoder *d, mdr_time_t now)
{
	mdr_defrag_expire(d->defrag, now);
}

const struct mdr_decode_stats *mdr_decode_get_stats(const struct mdr_decoder *d)
{
	return &d->stats;
}

const char *mdr_decode_err_name(enum mdr_decode_err e)
{
	if ((unsigned)e >= MDR_DERR__COUNT)
		return "unknown";
	return err_names[e];
}

const char *mdr_ip_to_str(const struct mdr_ip *ip, int ip_ver, char *buf,
			  size_t len)
{
	if (!buf || len == 0)
		return "";
	if (!inet_ntop(ip_ver == 6 ? AF_INET6 : AF_INET, ip->b, buf,
		       (socklen_t)len)) {
		buf[0] = '\0';
	}
	return buf;
}
