/*
 * decode_l2.c - link layers down to the first IP header.
 *
 * Design: one small function per header. mdr_dec_link() picks the link
 * header (Ethernet, BSD NULL/LOOP, Linux SLL/SLL2, raw IP) and hands the
 * EtherType to mdr_dec_ethertype(), which strips 802.1Q/802.1ad/QinQ tags
 * (recorded in p->vlan only outside tunnels, at most MDR_MAX_VLAN per
 * header chain), MPLS label stacks (bottom of stack, then the IP version
 * nibble; a zero nibble is a pseudowire control word followed by
 * Ethernet) and PPPoE sessions, then calls the IPv4/IPv6 decoders. The
 * same function serves the Ethernet frames found inside VXLAN, Geneve,
 * GRE TEB and ERSPAN. Anything that is not IP ends in -MDR_DERR_NOT_IP.
 * Link headers too short for their fixed part are ETH_TRUNC (Ethernet,
 * NULL/LOOP, PPPoE) or SLL_TRUNC.
 */
#include "decode_int.h"

#define ETH_P_IPV4   0x0800
#define ETH_P_IPV6   0x86dd
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ   0x9100
#define ETH_P_MPLS   0x8847
#define ETH_P_MPLSM  0x8848
#define ETH_P_PPPOES 0x8864

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

static bool is_vlan_type(uint16_t t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD || t == ETH_P_QINQ;
}

int mdr_dec_ip_guess(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	if (mdr_dec_avail(c, off, lim) < 1)
		return -MDR_DERR_IPV4_TRUNC;
	switch (c->buf[off] >> 4) {
	case 4:
		return mdr_dec_ipv4(c, off, lim);
	case 6:
		return mdr_dec_ipv6(c, off, lim);
	default:
		return -MDR_DERR_IPV4_BAD_VERSION;
	}
}

int mdr_dec_ethernet(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	if (mdr_dec_avail(c, off, lim) < 14)
		return -MDR_DERR_ETH_TRUNC;

	uint16_t type = mdr_load_be16(c->buf + off + 12);

	if (type < 0x0600)      /* 802.3 length: LLC/SNAP, STP, CDP ... */
		return -MDR_DERR_NOT_IP;
	return mdr_dec_ethertype(c, type, off + 14, lim);
}

static void record_vlan(struct mdr_dctx *c, uint16_t vid)
{
	struct mdr_pkt *p = c->p;

	c->d->stats.vlan++;
	if (c->tdepth > 0 || p->vlan_count >= MDR_MAX_VLAN)
		return;
	if (p->vlan_count == 0)
		p->key.vlan = vid;
	p->vlan[p->vlan_count++] = vid;
}

/* Strip the VLAN tags at *off; ends on the encapsulated EtherType. */
static int dec_vlans(struct mdr_dctx *c, uint16_t *type, uint32_t *off,
		     uint32_t lim)
{
	unsigned n = 0;

	while (is_vlan_type(*type)) {
		if (++n > MDR_MAX_VLAN)
			return -MDR_DERR_VLAN_TOO_MANY;
		if (mdr_dec_avail(c, *off, lim) < 4)
			return -MDR_DERR_VLAN_TRUNC;
		record_vlan(c, mdr_load_be16(c->buf + *off) & 0x0fff);
		*type = mdr_load_be16(c->buf + *off + 2);
		*off += 4;
	}
	return 0;
}

static int dec_pppoe(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	if (mdr_dec_avail(c, off, lim) < 8)
		return -MDR_DERR_ETH_TRUNC;

	const uint8_t *h = c->buf + off;
	uint32_t end = off + 6 + mdr_load_be16(h + 4);

	if (h[0] != 0x11 || h[1] != 0x00)   /* version/type 1, session data */
		return -MDR_DERR_NOT_IP;
	if (end < lim)
		lim = end;
	switch (mdr_load_be16(h + 6)) {
	case PPP_IPV4:
		return mdr_dec_ipv4(c, off + 8, lim);
	case PPP_IPV6:
		return mdr_dec_ipv6(c, off + 8, lim);
	default:
		return -MDR_DERR_NOT_IP;
	}
}

int mdr_dec_mpls(struct mdr_dctx *c, uint32_t off, uint32_t lim)
{
	bool bos = false;

	c->d->stats.mpls++;
	while (!bos) {
		if (c->mpls >= MDR_MAX_MPLS)
			return -MDR_DERR_MPLS_TOO_MANY;
		if (mdr_dec_avail(c, off, lim) < 4)
			return -MDR_DERR_MPLS_TRUNC;
		bos = c->buf[off + 2] & 1;
		c->mpls++;
		if (c->tdepth == 0)
			c->p->mpls_count = c->mpls;
		off += 4;
	}
	if (mdr_dec_avail(c, off, lim) < 1)
		return -MDR_DERR_MPLS_TRUNC;
	switch (c->buf[off] >> 4) {
	case 4:
		return mdr_dec_ipv4(c, off, lim);
	case 6:
		return mdr_dec_ipv6(c, off, lim);
	case 0:                 /* pseudowire control word, then Ethernet */
		return mdr_dec_ethernet(c, off + 4, lim);
	default:
		return -MDR_DERR_NOT_IP;
	}
}

/*
 * Ethernet carried in Ethernet: Cisco FabricPath (0x8903: 2-byte FTag/TTL,
 * then the inner frame) and 802.1ah PBB (0x88e7: 4-byte I-TAG, then the
 * inner frame). Nesting is bounded so a crafted frame cannot recurse deep.
 */
static int dec_mac_in_mac(struct mdr_dctx *c, uint32_t hdr, uint32_t off, uint32_t lim)
{
	if (c->l2nest >= MDR_MAX_TUNNEL_DEPTH)
		return -MDR_DERR_TUNNEL_TOO_DEEP;
	if (mdr_dec_avail(c, off, lim) < hdr)
		return -MDR_DERR_ETH_TRUNC;
	c->l2nest++;
	return mdr_dec_ethernet(c, off + hdr, lim);
}

int mdr_dec_ethertype(struct mdr_dctx *c, uint16_t type, uint32_t off,
		      uint32_t lim)
{
	int rc = dec_vlans(c, &type, &off, lim);

	if (rc < 0)
		return rc;
	switch (type) {
	case ETH_P_IPV4:
		return mdr_dec_ipv4(c, off, lim);
	case ETH_P_IPV6:
		return mdr_dec_ipv6(c, off, lim);
	case ETH_P_MPLS:
	case ETH_P_MPLSM:
		return mdr_dec_mpls(c, off, lim);
	case ETH_P_PPPOES:
		return dec_pppoe(c, off, lim);
	case 0x8903:            /* Cisco FabricPath */
		return dec_mac_in_mac(c, 2, off, lim);
	case 0x88e7:            /* 802.1ah provider backbone bridging */
		return dec_mac_in_mac(c, 4, off, lim);
	default:
		return -MDR_DERR_NOT_IP;
	}
}

/* BSD AF_ values: the NULL header is in the capturing host's order. */
static int af_family(uint32_t af)
{
	switch (af) {
	case 2:
		return 4;
	case 24:
	case 28:
	case 30:
		return 6;
	default:
		return 0;
	}
}

static int dec_null(struct mdr_dctx *c)
{
	if (c->cap < 4)
		return -MDR_DERR_ETH_TRUNC;

	const uint8_t *h = c->buf;
	uint32_t be = mdr_load_be32(h);
	uint32_t le = (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 |
		      (uint32_t)h[1] << 8 | h[0];
	int v = af_family(be);

	if (v == 0)
		v = af_family(le);
	if (v == 4)
		return mdr_dec_ipv4(c, 4, MDR_LIM_NONE);
	if (v == 6)
		return mdr_dec_ipv6(c, 4, MDR_LIM_NONE);
	return -MDR_DERR_NOT_IP;
}

static int dec_sll(struct mdr_dctx *c, uint32_t hlen, uint32_t proto_off)
{
	if (c->cap < hlen)
		return -MDR_DERR_SLL_TRUNC;
	return mdr_dec_ethertype(c, mdr_load_be16(c->buf + proto_off), hlen,
				 MDR_LIM_NONE);
}

/* Cisco HDLC: address, control, then an EtherType. */
static int dec_chdlc(struct mdr_dctx *c)
{
	if (c->cap < 4)
		return -MDR_DERR_ETH_TRUNC;
	return mdr_dec_ethertype(c, mdr_load_be16(c->buf + 2), 4, MDR_LIM_NONE);
}

/*
 * PPP: optional address/control (ff 03), then the PPP protocol number.
 * Cisco routers also write Cisco HDLC frames (0f/8f 00 + EtherType) as PPP.
 */
static int dec_ppp(struct mdr_dctx *c)
{
	uint32_t off = 0;
	uint16_t proto;

	if (c->cap >= 2 && (c->buf[0] == 0x0f || c->buf[0] == 0x8f) && c->buf[1] == 0x00)
		return dec_chdlc(c);
	if (c->cap >= 2 && c->buf[0] == 0xff && c->buf[1] == 0x03)
		off = 2;
	if (c->cap < off + 2)
		return -MDR_DERR_ETH_TRUNC;
	proto = mdr_load_be16(c->buf + off);
	switch (proto) {
	case 0x0021:
		return mdr_dec_ipv4(c, off + 2, MDR_LIM_NONE);
	case 0x0057:
		return mdr_dec_ipv6(c, off + 2, MDR_LIM_NONE);
	case 0x0281:
		return mdr_dec_mpls(c, off + 2, MDR_LIM_NONE);
	default:
		return -MDR_DERR_NOT_IP;
	}
}

int mdr_dec_link(struct mdr_dctx *c, int linktype)
{
	switch (linktype) {
	case MDR_LINK_ETHERNET:
		return mdr_dec_ethernet(c, 0, MDR_LIM_NONE);
	case MDR_LINK_NULL:
	case MDR_LINK_LOOP:
		return dec_null(c);
	case MDR_LINK_LINUX_SLL:
		return dec_sll(c, 16, 14);
	case MDR_LINK_LINUX_SLL2:
		return dec_sll(c, 20, 0);
	case MDR_LINK_RAW:
	case 12:
	case 14:
		return mdr_dec_ip_guess(c, 0, MDR_LIM_NONE);
	case MDR_LINK_IPV4:
		return mdr_dec_ipv4(c, 0, MDR_LIM_NONE);
	case MDR_LINK_IPV6:
		return mdr_dec_ipv6(c, 0, MDR_LIM_NONE);
	case MDR_LINK_PPP:
		return dec_ppp(c);
	case MDR_LINK_C_HDLC:
		return dec_chdlc(c);
	default:
		return -MDR_DERR_LINK_UNSUPPORTED;
	}
}
