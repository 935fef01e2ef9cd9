/*
 * decode_tunnel.c - GRE, ERSPAN, VXLAN, Geneve and IP-in-IP.
 *
 * Design: every tunnel first calls mdr_dec_tunnel_enter(), which enforces
 * MDR_MAX_TUNNEL_DEPTH, bumps the counters and, for the outermost tunnel
 * only, copies the current (outer) IP addresses from p->key into
 * p->tunnel. The inner headers are then decoded by the ordinary layer
 * functions, which overwrite p->key: the flow is keyed on the innermost
 * headers. The inner packet is bounded by the outer declared length.
 *
 * GRE follows RFC 2784/2890 (C, K, S; version 0 only, no RFC 1701
 * routing) for IPv4, IPv6, MPLS, transparent Ethernet bridging and ERSPAN
 * (type I without sequence number, type II 8-byte header, type III 12
 * bytes + 8 with the O flag, Ethernet or IP frame type). VXLAN (UDP 4789) needs the I flag and
 * Geneve (UDP 6081) version 0; UDP to these ports that does not look like
 * the tunnel stays a plain UDP flow.
 */
#include "decode_int.h"

#define GRE_C    0x8000
#define GRE_R    0x4000
#define GRE_K    0x2000
#define GRE_S    0x1000
#define GRE_VER  0x0007

#define GRE_P_IPV4    0x0800
#define GRE_P_IPV6    0x86dd
#define GRE_P_TEB     0x6558
#define GRE_P_MPLS    0x8847
#define GRE_P_MPLSM   0x8848
#define GRE_P_ERSPAN2 0x88be
#define GRE_P_ERSPAN3 0x22eb

#define VXLAN_PORT  4789
#define GENEVE_PORT 6081

static void count_tunnel(struct mdr_decode_stats *st, enum mdr_tunnel_type t)
{
	switch (t) {
	case MDR_TUNNEL_GRE:
		st->gre++;
		break;
	case MDR_TUNNEL_ERSPAN:
		st->gre++;
		st->erspan++;
		break;
	case MDR_TUNNEL_VXLAN:
		st->vxlan++;
		break;
	case MDR_TUNNEL_GENEVE:
		st->geneve++;
		break;
	case MDR_TUNNEL_IPIP:
		st->ipip++;
		break;
	default:
		break;
	}
}

int mdr_dec_tunnel_enter(struct mdr_dctx *c, enum mdr_tunnel_type type,
			 uint32_t vni)
{
	struct mdr_pkt *p = c->p;

	if (c->tdepth >= MDR_MAX_TUNNEL_DEPTH)
		return -MDR_DERR_TUNNEL_TOO_DEEP;
	if (c->tdepth == 0) {
		p->tunnel.type = (uint8_t)type;
		p->tunnel.ip_ver = p->key.ip_ver;
		p->tunnel.vni = vni;
		p->tunnel.src = p->key.src;
		p->tunnel.dst = p->key.dst;
	}
	p->tunnel.depth = ++c->tdepth;
	count_tunnel(&c->d->stats, type);
	return 0;
}

/* ERSPAN type I (no header), II (8 bytes) and III (12 + 8 bytes; its
 * frame type says Ethernet (0) or IP (2)). */
static int dec_erspan(struct mdr_dctx *c, bool type3, bool has_seq,
		      uint32_t off, uint32_t lim)
{
	uint32_t avail = mdr_dec_avail(c, off, lim), hl = 0, session = 0;
	unsigned ft = 0;

	if (type3 || has_seq) {
		hl = type3 ? 12 : 8;
		if (avail < hl)
			return -MDR_DERR_GRE_TRUNC;
		if (type3) {
			ft = (c->buf[off + 10] >> 2) & 0x1f;
			hl += c->buf[off + 11] & 1 ? 8 : 0;  /* O: subheader */
		}
		if (avail < hl)
			return -MDR_DERR_GRE_TRUNC;
		session = mdr_load_be16(c->buf + off + 2) & 0x03ff;
	}

	int rc = mdr_dec_tunnel_enter(c, MDR_TUNNEL_ERSPAN, session);

	if (rc < 0)
		return rc;
	if (ft == 0)
		return mdr_dec_ethernet(c, off + hl, lim);
	return ft == 2 ? mdr_dec_ip_guess(c, off + hl, lim) : -MDR_DERR_NOT_IP;
}

static int gre_inner(struct mdr_dctx *c, uint16_t proto, uint32_t key,
		     uint32_t off, uint32_t lim)
{
	int rc = mdr_dec_tunnel_enter(c, MDR_TUNNEL_GRE, key);

	if (rc < 0)
		return rc;
	if (proto == GRE_P_TEB)
		return mdr_dec_ethernet(c, off, lim);
	return mdr_dec_ethertype(c, proto, off, lim);
}

int mdr_dec_gre(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	uint32_t avail = mdr_dec_avail(c, off, lim);

	if (avail < 4)
		return -MDR_DERR_GRE_TRUNC;

	const uint8_t *h = c->buf + off;
	uint16_t flags = mdr_load_be16(h), proto = mdr_load_be16(h + 2);
	uint32_t hl = 4, key = 0;

	if (flags & (GRE_R | GRE_VER))
		return -MDR_DERR_GRE_UNSUPPORTED;
	hl += flags & GRE_C ? 4 : 0;
	hl += flags & GRE_K ? 4 : 0;
	hl += flags & GRE_S ? 4 : 0;
	if (avail < hl)
		return -MDR_DERR_GRE_TRUNC;
	if (flags & GRE_K)
		key = mdr_load_be32(h + (flags & GRE_C ? 8 : 4));
	switch (proto) {
	case GRE_P_IPV4:
	case GRE_P_IPV6:
	case GRE_P_TEB:
	case GRE_P_MPLS:
	case GRE_P_MPLSM:
		return gre_inner(c, proto, key, off + hl, lim);
	case GRE_P_ERSPAN2:
		return dec_erspan(c, false, flags & GRE_S, off + hl, lim);
	case GRE_P_ERSPAN3:
		return dec_erspan(c, true, true, off + hl, lim);
	default:
		return -MDR_DERR_GRE_UNSUPPORTED;
	}
}

int mdr_dec_ipip(struct mdr_dctx *c, uint8_t proto, uint32_t off,
		 uint32_t lim)
{
	int rc = mdr_dec_tunnel_enter(c, MDR_TUNNEL_IPIP, 0);

	if (rc < 0)
		return rc;
	return proto == 4 ? mdr_dec_ipv4(c, off, lim) : mdr_dec_ipv6(c, off, lim);
}

static int dec_vxlan(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	if (!mdr_dec_fits(off, 8, lim))
		return MDR_DECODE_OK;           /* too short: plain UDP */
	if (mdr_dec_avail(c, off, lim) < 8)
		return -MDR_DERR_VXLAN_TRUNC;

	const uint8_t *h = c->buf + off;

	if (!(h[0] & 0x08))
		return MDR_DECODE_OK;           /* no VNI: not VXLAN */

	int rc = mdr_dec_tunnel_enter(c, MDR_TUNNEL_VXLAN,
				      mdr_load_be32(h + 4) >> 8);

	return rc < 0 ? rc : mdr_dec_ethernet(c, off + 8, lim);
}

static int dec_geneve(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	if (!mdr_dec_fits(off, 8, lim))
		return MDR_DECODE_OK;
	if (mdr_dec_avail(c, off, lim) < 8)
		return -MDR_DERR_VXLAN_TRUNC;

	const uint8_t *h = c->buf + off;
	uint32_t hl = 8 + (uint32_t)(h[0] & 0x3f) * 4;
	uint16_t proto = mdr_load_be16(h + 2);

	if ((h[0] >> 6) != 0)
		return MDR_DECODE_OK;           /* unknown version */
	if (!mdr_dec_fits(off, hl, lim) || mdr_dec_avail(c, off, lim) < hl)
		return -MDR_DERR_VXLAN_TRUNC;

	int rc = mdr_dec_tunnel_enter(c, MDR_TUNNEL_GENEVE,
				      mdr_load_be32(h + 4) >> 8);

	if (rc < 0)
		return rc;
	if (proto == GRE_P_TEB)
		return mdr_dec_ethernet(c, off + hl, lim);
	return mdr_dec_ethertype(c, proto, off + hl, lim);
}

bool mdr_dec_is_tunnel_port(uint16_t dport)
{
	return dport == VXLAN_PORT || dport == GENEVE_PORT;
}

int mdr_dec_udp_tunnel(struct mdr_dctx *c, uint16_t dport, uint32_t off,
		       uint32_t lim)
{
	if (dport == VXLAN_PORT)
		return dec_vxlan(c, off, lim);
	if (dport == GENEVE_PORT)
		return dec_geneve(c, off, lim);
	return MDR_DECODE_OK;
}
