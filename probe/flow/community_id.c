/*
 * community_id.c - Community ID v1 flow hashing (Corelight spec).
 *
 * SHA-1 over: seed (2 bytes BE), the smaller endpoint's address then the
 * other's (4 or 16 bytes), proto (1 byte), a zero byte, then for port
 * protocols (TCP, UDP, SCTP, ICMP, ICMPv6) the two ports in the same order
 * (2 bytes BE each); rendered as "1:" + base64 of the digest. The smaller
 * endpoint is the smaller address, or the smaller port if addresses match.
 * ICMP maps type/code to ports as Zeek does: request/reply types pair with
 * their counterpart type (two-way, ordered like ports); other types keep
 * (type, code) in the sender's order (one-way, never swapped).
 * Called per record, not per packet.
 */
#include <errno.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "flow_int.h"

#define CID_B64_LEN 28          /* base64 of 20 bytes */
#define CID_STR_LEN (2 + CID_B64_LEN + 1)

struct cid_tuple {
	const uint8_t *saddr, *daddr;
	uint16_t sport, dport;
	uint8_t proto;
	bool ports;
	bool one_way;
};

static bool proto_has_ports(uint8_t proto)
{
	return proto == MDR_PROTO_TCP || proto == MDR_PROTO_UDP ||
	       proto == MDR_PROTO_SCTP || proto == MDR_PROTO_ICMP ||
	       proto == MDR_PROTO_ICMPV6;
}

/* Counterpart of an ICMPv4 request/reply type, -1 if one-way. */
static int icmp4_counterpart(uint8_t type)
{
	switch (type) {
	case 8: return 0;       /* echo <-> echo reply */
	case 0: return 8;
	case 13: return 14;     /* timestamp */
	case 14: return 13;
	case 15: return 16;     /* information */
	case 16: return 15;
	case 10: return 9;      /* router solicitation <-> advertisement */
	case 9: return 10;
	case 17: return 18;     /* address mask */
	case 18: return 17;
	default: return -1;
	}
}

/* Counterpart of an ICMPv6 request/reply type, -1 if one-way. */
static int icmp6_counterpart(uint8_t type)
{
	switch (type) {
	case 128: return 129;   /* echo */
	case 129: return 128;
	case 130: return 131;   /* MLD query <-> report */
	case 131: return 130;
	case 133: return 134;   /* router solicitation <-> advertisement */
	case 134: return 133;
	case 135: return 136;   /* neighbor solicitation <-> advertisement */
	case 136: return 135;
	case 139: return 140;   /* who-are-you */
	case 140: return 139;
	case 144: return 145;   /* home agent address discovery */
	case 145: return 144;
	default: return -1;
	}
}

static bool tuple_ordered(const struct cid_tuple *c, size_t alen)
{
	int r;

	if (c->one_way)
		return true;
	r = memcmp(c->saddr, c->daddr, alen);
	return r < 0 || (r == 0 && c->sport <= c->dport);
}

static int cid_hash(const struct cid_tuple *c, size_t alen, uint16_t seed,
		    char *out, size_t len)
{
	uint8_t buf[2 + 16 + 16 + 2 + 4];
	uint8_t md[SHA_DIGEST_LENGTH];
	const uint8_t *a = c->saddr, *b = c->daddr;
	uint16_t pa = c->sport, pb = c->dport;
	size_t n = 0;

	if (len < CID_STR_LEN)
		return -ENOSPC;
	if (!tuple_ordered(c, alen)) {
		a = c->daddr;
		b = c->saddr;
		pa = c->dport;
		pb = c->sport;
	}
	mdr_store_be16(buf, seed);
	n = 2;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = c->proto;
	buf[n++] = 0;
	if (c->ports) {
		mdr_store_be16(buf + n, pa);
		mdr_store_be16(buf + n + 2, pb);
		n += 4;
	}
	SHA1(buf, n, md);
	out[0] = '1';
	out[1] = ':';
	EVP_EncodeBlock((unsigned char *)out + 2, md, SHA_DIGEST_LENGTH);
	return 0;
}

static int addr_len(const struct mdr_flow_key *k)
{
	if (k->ip_ver == 4)
		return 4;
	return k->ip_ver == 6 ? 16 : -EINVAL;
}

int mdr_community_id_icmp(const struct mdr_flow_key *k, uint8_t type, uint8_t code,
			  uint16_t seed, char *out, size_t len)
{
	struct cid_tuple c = {
		.saddr = k->src.b, .daddr = k->dst.b, .proto = k->proto,
		.ports = true, .sport = type,
	};
	int alen = addr_len(k);
	int peer;

	if (alen < 0 || (k->proto != MDR_PROTO_ICMP && k->proto != MDR_PROTO_ICMPV6))
		return -EINVAL;
	peer = k->proto == MDR_PROTO_ICMP ? icmp4_counterpart(type) :
					    icmp6_counterpart(type);
	c.one_way = peer < 0;
	c.dport = peer < 0 ? code : (uint16_t)peer;
	return cid_hash(&c, (size_t)alen, seed, out, len);
}

int mdr_community_id(const struct mdr_flow_key *k, uint16_t seed, char *out, size_t len)
{
	struct cid_tuple c = {
		.saddr = k->src.b, .daddr = k->dst.b, .proto = k->proto,
		.sport = k->sport, .dport = k->dport,
	};
	int alen = addr_len(k);

	if (alen < 0)
		return -EINVAL;
	if (k->proto == MDR_PROTO_ICMP || k->proto == MDR_PROTO_ICMPV6) {
		if (k->sport > UINT8_MAX || k->dport > UINT8_MAX)
			return -EINVAL; /* an echo identifier, not type/code */
		return mdr_community_id_icmp(k, (uint8_t)k->sport, (uint8_t)k->dport,
					     seed, out, len);
	}
	c.ports = proto_has_ports(k->proto);
	if (!c.ports)
		c.sport = c.dport = 0;
	return cid_hash(&c, (size_t)alen, seed, out, len);
}

int mdr_flow_community_id(const struct mdr_flow *f, uint16_t seed, char *out, size_t len)
{
	if (f->key.proto == MDR_PROTO_ICMP || f->key.proto == MDR_PROTO_ICMPV6)
		return mdr_community_id_icmp(&f->key, f->icmp_type, f->icmp_code,
					     seed, out, len);
	return mdr_community_id(&f->key, seed, out, len);
}
