/*
 * decode_int.h - private glue between the decoder's source files.
 *
 * decode.c owns the API, IPv4/IPv6 and L4; decode_l2.c the link layers,
 * VLAN, MPLS and PPPoE; decode_tunnel.c GRE/ERSPAN/VXLAN/Geneve/IP-in-IP;
 * defrag.c the fragment pool (defrag_int.h). One struct mdr_dctx lives on
 * the stack for the duration of a mdr_decode_packet() call: the buffer
 * being walked (the frame, or a reassembled datagram after defrag switched
 * it), its captured length, and the nesting counters.
 *
 * Every layer function takes the offset of its header and `lim`, the
 * declared end of the enclosing layer (MDR_LIM_NONE at the link layer). A
 * declared end may lie beyond the captured bytes (snaplen): reads are
 * always bounded by min(lim, cap), while inconsistencies between declared
 * lengths are errors. Each returns MDR_DECODE_OK, MDR_DECODE_HELD or
 * -(enum mdr_decode_err); the caller at the top counts the error.
 */
#ifndef MDR_DECODE_INT_H
#define MDR_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

#define MDR_LIM_NONE UINT32_MAX

struct mdr_defrag;

struct mdr_decoder {
	struct mdr_decode_config cfg;
	struct mdr_decode_stats stats;
	struct mdr_defrag *defrag;
};

struct mdr_dctx {
	struct mdr_decoder *d;
	struct mdr_pkt *p;
	const uint8_t *buf;     /* frame or reassembled datagram */
	uint32_t cap;           /* captured bytes in buf */
	uint32_t wire;          /* bytes the frame had on the wire (>= cap) */
	uint8_t tdepth;         /* tunnel layers crossed so far */
	uint8_t mpls;           /* MPLS labels popped so far (all layers) */
	uint8_t reasm;          /* datagrams reassembled during this call */
	uint8_t l2nest;         /* Ethernet-in-Ethernet layers (FabricPath, PBB) */
};

/* Bytes readable at off without crossing lim or the capture. */
static inline uint32_t mdr_dec_avail(const struct mdr_dctx *c, uint32_t off,
				     uint32_t lim)
{
	uint32_t e = lim < c->cap ? lim : c->cap;

	return off < e ? e - off : 0;
}

/*
 * End of the bytes that existed at this layer: lim, or the frame's length
 * on the wire. A length field beyond it is malformed; beyond the capture
 * but within it is a snaplen cut, clipped silently.
 */
static inline uint32_t mdr_dec_wire_end(const struct mdr_dctx *c, uint32_t lim)
{
	return lim < c->wire ? lim : c->wire;
}

/* true when [off, off + n) lies within a declared end. */
static inline bool mdr_dec_fits(uint32_t off, uint32_t n, uint32_t end)
{
	return off <= end && n <= end - off;
}

/* decode_l2.c */
int mdr_dec_link(struct mdr_dctx *c, int linktype);
int mdr_dec_ethernet(struct mdr_dctx *c, uint32_t off, uint32_t lim);
int mdr_dec_ethertype(struct mdr_dctx *c, uint16_t type, uint32_t off,
		      uint32_t lim);
int mdr_dec_mpls(struct mdr_dctx *c, uint32_t off, uint32_t lim);
/* IPv4 or IPv6 by the version nibble (raw IP links, ERSPAN IP frames). */
int mdr_dec_ip_guess(struct mdr_dctx *c, uint32_t off, uint32_t lim);

/* decode.c */
int mdr_dec_ipv4(struct mdr_dctx *c, uint32_t off, uint32_t lim);
int mdr_dec_ipv6(struct mdr_dctx *c, uint32_t off, uint32_t lim);

/* decode_tunnel.c */
int mdr_dec_tunnel_enter(struct mdr_dctx *c, enum mdr_tunnel_type type,
			 uint32_t vni);
int mdr_dec_gre(struct mdr_dctx *c, uint32_t off, uint32_t lim);
int mdr_dec_ipip(struct mdr_dctx *c, uint8_t proto, uint32_t off,
		 uint32_t lim);
/* UDP payload at off..lim: follow VXLAN/Geneve, else leave the UDP key. */
int mdr_dec_udp_tunnel(struct mdr_dctx *c, uint16_t dport, uint32_t off,
		       uint32_t lim);
bool mdr_dec_is_tunnel_port(uint16_t dport);

#endif
