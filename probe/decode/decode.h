/*
 * decode.h - the packet decoder: link layer to L4, tunnels, IP defragmentation.
 *
 * One mdr_decoder per worker (no sharing, no locks). mdr_decode_packet()
 * takes a captured frame and fills a struct mdr_pkt with the innermost
 * flow key, L4 header fields and payload, plus the outer (tunnel) addresses
 * and VLAN/MPLS tags it crossed. It never writes to the frame and never
 * reads past caplen. Malformed input is counted per reason and reported as a
 * negative MDR_DECODE_ERR_* so the caller can skip it.
 *
 * IP fragments (v4 and v6) are held in a per-decoder, preallocated
 * reassembly pool; the call that completes a datagram returns the
 * reassembled packet (p->data points into decoder-owned memory valid until
 * the next call), the others return MDR_DECODE_HELD.
 */
#ifndef MDR_DECODE_H
#define MDR_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/mdr_common.h"

/* Link types (values as in pcap's DLT_* / LINKTYPE_*). */
enum mdr_linktype {
	MDR_LINK_NULL = 0,       /* BSD loopback, host-order AF_ family */
	MDR_LINK_ETHERNET = 1,
	MDR_LINK_PPP = 9,        /* PPP, optional ff 03, then the PPP protocol */
	MDR_LINK_RAW = 101,      /* raw IPv4/IPv6 (also DLT_RAW 12/14) */
	MDR_LINK_C_HDLC = 104,   /* Cisco HDLC: address, control, EtherType */
	MDR_LINK_LOOP = 108,     /* OpenBSD loopback, network-order AF_ */
	MDR_LINK_LINUX_SLL = 113,
	MDR_LINK_IPV4 = 228,
	MDR_LINK_IPV6 = 229,
	MDR_LINK_LINUX_SLL2 = 276,
};

/* Returns of mdr_decode_packet(). Errors are negative and counted. */
enum mdr_decode_result {
	MDR_DECODE_OK = 0,
	MDR_DECODE_HELD = 1,     /* fragment absorbed; nothing to process yet */
};

/* Reasons a packet is rejected; index into mdr_decode_stats.err[]. */
enum mdr_decode_err {
	MDR_DERR_NONE = 0,
	MDR_DERR_LINK_UNSUPPORTED,   /* unknown link type */
	MDR_DERR_ETH_TRUNC,
	MDR_DERR_VLAN_TRUNC,
	MDR_DERR_VLAN_TOO_MANY,      /* more than MDR_MAX_VLAN tags */
	MDR_DERR_MPLS_TRUNC,
	MDR_DERR_MPLS_TOO_MANY,
	MDR_DERR_SLL_TRUNC,
	MDR_DERR_IPV4_TRUNC,         /* shorter than header or total length */
	MDR_DERR_IPV4_BAD_VERSION,
	MDR_DERR_IPV4_BAD_HLEN,
	MDR_DERR_IPV4_BAD_LEN,       /* total length < header length */
	MDR_DERR_IPV4_BAD_OPTS,
	MDR_DERR_IPV4_BAD_CSUM,      /* only when checksum validation is on */
	MDR_DERR_IPV6_TRUNC,
	MDR_DERR_IPV6_BAD_VERSION,
	MDR_DERR_IPV6_BAD_EXTHDR,
	MDR_DERR_TCP_TRUNC,
	MDR_DERR_TCP_BAD_HLEN,
	MDR_DERR_TCP_BAD_CSUM,
	MDR_DERR_UDP_TRUNC,
	MDR_DERR_UDP_BAD_LEN,
	MDR_DERR_UDP_BAD_CSUM,
	MDR_DERR_ICMP_TRUNC,
	MDR_DERR_GRE_TRUNC,
	MDR_DERR_GRE_UNSUPPORTED,    /* version/protocol we do not follow */
	MDR_DERR_VXLAN_TRUNC,
	MDR_DERR_TUNNEL_TOO_DEEP,    /* more than MDR_MAX_TUNNEL_DEPTH */
	MDR_DERR_FRAG_BAD,           /* overlapping/oversized/inconsistent */
	MDR_DERR_FRAG_NOMEM,         /* reassembly pool exhausted */
	MDR_DERR_FRAG_TIMEOUT,       /* incomplete datagram expired */
	MDR_DERR_NOT_IP,             /* ARP, STP, LLDP ... (not an error, not a flow) */
	MDR_DERR__COUNT
};

#define MDR_MAX_VLAN 2
#define MDR_MAX_MPLS 8
#define MDR_MAX_TUNNEL_DEPTH 3

enum mdr_tunnel_type {
	MDR_TUNNEL_NONE = 0,
	MDR_TUNNEL_GRE,
	MDR_TUNNEL_VXLAN,
	MDR_TUNNEL_IPIP,        /* IPv4/IPv6 in IPv4/IPv6 */
	MDR_TUNNEL_ERSPAN,      /* GRE ERSPAN type II/III */
	MDR_TUNNEL_GENEVE,
};

/*
 * An IP address: IPv4 is stored in the first 4 bytes (network order), the
 * other 12 are zero. The owning key's ip_ver tells which one it is.
 */
struct mdr_ip {
	uint8_t b[16];
};

/*
 * The 5-tuple (+VLAN) exactly as the packet carries it (src = sender).
 * ICMP: sport = type, dport = code, except echo/info request/reply where
 * both are the identifier and type is normalised to the request.
 */
struct mdr_flow_key {
	struct mdr_ip src, dst;
	uint16_t sport, dport;
	uint16_t vlan;          /* outermost VLAN id, 0 when untagged */
	uint8_t proto;          /* IPPROTO_* */
	uint8_t ip_ver;         /* 4 or 6 */
	uint8_t pad[2];
};

struct mdr_tunnel {
	uint8_t type;           /* enum mdr_tunnel_type of the outermost tunnel */
	uint8_t ip_ver;
	uint8_t depth;          /* number of tunnel layers crossed */
	uint8_t pad;
	uint32_t vni;           /* VXLAN/Geneve VNI, GRE key, ERSPAN session */
	struct mdr_ip src, dst; /* outermost IP header */
};

struct mdr_pkt {
	/* filled by the caller before mdr_decode_packet() */
	mdr_time_t ts;
	const uint8_t *data;    /* the frame (or the reassembled datagram) */
	uint32_t caplen;        /* bytes in data */
	uint32_t wirelen;       /* original length on the wire */

	/* filled by the decoder */
	struct mdr_flow_key key;
	struct mdr_tunnel tunnel;
	uint16_t vlan[MDR_MAX_VLAN];
	uint8_t vlan_count;
	uint8_t mpls_count;
	uint16_t l3_off;        /* innermost IP header offset in data */
	uint16_t l4_off;        /* innermost L4 header offset in data */
	uint32_t l3_len;        /* IP total length (header + payload) */
	const uint8_t *payload; /* L4 payload (TCP/UDP data, ICMP body) */
	uint32_t payload_len;   /* clipped to what was captured */
	uint8_t ip_ttl;
	uint8_t tcp_flags;      /* TCP: FIN=01 SYN=02 RST=04 PSH=08 ACK=10 URG=20 ECE=40 CWR=80 */
	uint16_t tcp_win;
	uint32_t tcp_seq, tcp_ack;
	uint8_t icmp_type, icmp_code;
	uint8_t is_fragment_reassembled; /* 1 when data is a reassembled datagram */
	uint8_t pad;
	/* accounting: for a reassembled datagram, the fragments it was built
	 * from (count and sum of their caplen); 1 and caplen otherwise */
	uint32_t frag_pkts;
	uint32_t frag_bytes;
};

struct mdr_decode_stats {
	uint64_t pkts;          /* frames offered */
	uint64_t ok;            /* frames (or datagrams) that produced a flow key */
	uint64_t err[MDR_DERR__COUNT];
	uint64_t ipv4, ipv6, tcp, udp, icmp, other_l4;
	uint64_t vlan, mpls, gre, vxlan, ipip, erspan, geneve;
	uint64_t frag_seen;     /* fragments offered */
	uint64_t frag_reassembled; /* datagrams completed */
	uint64_t frag_dropped;  /* fragments dropped (timeout, nomem, bad) */
};

struct mdr_decode_config {
	uint32_t frag_max_datagrams;    /* concurrent datagrams, default 4096 */
	uint32_t frag_max_size;         /* bytes of one datagram, default 65535 */
	uint32_t frag_max_frags;        /* fragments per datagram, default 64 */
	uint64_t frag_timeout_ns;       /* default 60 s (Suricata defrag.timeout) */
	bool checksum_validation;       /* off by default (mirror, offloads) */
};

struct mdr_decoder;

void mdr_decode_config_default(struct mdr_decode_config *cfg);
/* Allocates everything the decoder will ever use. NULL on ENOMEM/EINVAL. */
struct mdr_decoder *mdr_decoder_create(const struct mdr_decode_config *cfg);
void mdr_decoder_free(struct mdr_decoder *d);

/*
 * Decode p->data[0..caplen) of the given link type into p.
 * Returns MDR_DECODE_OK, MDR_DECODE_HELD, or -(enum mdr_decode_err).
 */
int mdr_decode_packet(struct mdr_decoder *d, int linktype, struct mdr_pkt *p);

/* Expire incomplete datagrams older than now - timeout (packet time). */
void mdr_decode_expire(struct mdr_decoder *d, mdr_time_t now);

const struct mdr_decode_stats *mdr_decode_get_stats(const struct mdr_decoder *d);
/* Stable snake_case name of an error reason, e.g. "ipv4_trunc". */
const char *mdr_decode_err_name(enum mdr_decode_err e);

/*
 * Symmetric hash of the outermost IP address pair of a frame, for spreading
 * frames over workers (both directions and every fragment of a datagram get
 * the same value). Cheap: walks L2/VLAN/MPLS only. Non-IP frames hash to 0.
 */
uint32_t mdr_decode_dispatch_hash(int linktype, const uint8_t *data, uint32_t caplen);

/* Format an address ("10.0.0.1" / "2001:db8::1"); buf >= 46 bytes. */
const char *mdr_ip_to_str(const struct mdr_ip *ip, int ip_ver, char *buf, size_t len);

#endif
