/*
 * codec.c - flow record <-> stored bytes (format version 1).
 *
 *   u8      version (1)
 *   varint  flags (F_* below: which optional parts follow)
 *   [u8]    ip_ver when neither 4 nor 6 (F_RAWVER)
 *   4|16    src ip, dst ip (4 bytes for IPv4)
 *   varint  sport, dport;  u8 proto;  [varint key.vlan]
 *   [u64]   flow_id when it is not mdr_flow_id(key, start) (F_FLOWID)
 *   varint  start's fraction of a second in us (in ns when F_SUBUS)
 *   varint  zigzag(end - start) in us (ns when F_DURNS)
 *   varint  pkts[0], pkts[1], bytes[0], bytes[1]
 *   varint  state | end_reason << 4 | tcp_state << 8 | interim << 12
 *           (4 raw bytes when one does not fit a nibble: F_RAWST)
 *   [u8 u8] tcp flags;  [u8 + MDR_MAX_VLAN varints] vlans;  [u8 u8] icmp
 *   varint  worker, seq;  [varint x2] gaps;  [tunnel]
 *   strings (u8 length + bytes) for history, conn_state and each present
 *   meta text; [varint] risks; [varint x2] asn; [u8] internal/cred bits;
 *   [u8 count + varints] sids
 *
 * New fields get a new flag bit; a new layout gets a new version byte and
 * a decoder branch, so old stores stay readable.
 */
#include "codec.h"

#include <errno.h>
#include <string.h>

#include "keys.h"

enum {
	F_V6 = 1u << 0, F_FLOWID = 1u << 1, F_TUNNEL = 1u << 2, F_VLAN = 1u << 3,
	F_ICMP = 1u << 4, F_TCPF = 1u << 5, F_GAPS = 1u << 6, F_HIST = 1u << 7,
	F_CONN = 1u << 8, F_APP = 1u << 9, F_NDPI = 1u << 10, F_CAT = 1u << 11,
	F_RISK = 1u << 12, F_SNI = 1u << 13, F_HOST = 1u << 14, F_DNS = 1u << 15,
	F_JA3 = 1u << 16, F_JA3S = 1u << 17, F_JA4 = 1u << 18, F_CC = 1u << 19,
	F_ASN = 1u << 20, F_BITS = 1u << 21, F_SIDS = 1u << 22, F_SUBUS = 1u << 23,
	F_KVLAN = 1u << 24, F_DURNS = 1u << 25, F_RAWST = 1u << 26, F_RAWBITS = 1u << 27,
	F_RAWVER = 1u << 28,
};

struct wr {
	uint8_t *p;
	size_t n;
};

struct rd {
	const uint8_t *p, *end;
	int bad;
};

static void w_u8(struct wr *w, uint8_t v)
{
	w->p[w->n++] = v;
}

static void w_var(struct wr *w, uint64_t v)
{
	w->n += mdr_put_varint(w->p + w->n, v);
}

static void w_raw(struct wr *w, const void *d, size_t len)
{
	memcpy(w->p + w->n, d, len);
	w->n += len;
}

static void w_str(struct wr *w, const char *s, size_t cap)
{
	size_t len = strnlen(s, cap - 1);

	w_u8(w, (uint8_t)len);
	w_raw(w, s, len);
}

static uint8_t r_u8(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = 1;
		return 0;
	}
	return *r->p++;
}

static uint64_t r_var(struct rd *r)
{
	uint64_t v = 0;

	if (mdr_get_varint(&r->p, r->end, &v) < 0)
		r->bad = 1;
	return v;
}

static void r_raw(struct rd *r, void *d, size_t len)
{
	if ((size_t)(r->end - r->p) < len) {
		r->bad = 1;
		return;
	}
	memcpy(d, r->p, len);
	r->p += len;
}

static void r_str(struct rd *r, char *s, size_t cap)
{
	size_t len = r_u8(r);

	if (len >= cap) {
		r->bad = 1;
		return;
	}
	r_raw(r, s, len);
	s[len] = 0;
}

/* Flags of the optional parts present in r. */
static uint32_t rec_flags(const struct mdr_flow_record *r)
{
	const struct mdr_flow_meta *m = &r->meta;
	uint32_t f = 0;
	int64_t d = (int64_t)(r->end - r->start);

	f |= r->key.ip_ver == 6 ? F_V6 : r->key.ip_ver != 4 ? F_RAWVER : 0;
	f |= r->flow_id != mdr_flow_id(&r->key, r->start) ? F_FLOWID : 0;
	f |= r->tunnel.type || r->tunnel.ip_ver || r->tunnel.depth ? F_TUNNEL : 0;
	f |= r->vlan_count || r->vlan[0] || r->vlan[1] ? F_VLAN : 0;
	f |= r->icmp_type || r->icmp_code ? F_ICMP : 0;
	f |= r->tcp_flags[0] || r->tcp_flags[1] ? F_TCPF : 0;
	f |= r->gaps[0] || r->gaps[1] ? F_GAPS : 0;
	f |= r->history[0] ? F_HIST : 0;
	f |= r->conn_state[0] ? F_CONN : 0;
	f |= m->app_proto[0] ? F_APP : 0;
	f |= m->ndpi_proto[0] ? F_NDPI : 0;
	f |= m->ndpi_category[0] ? F_CAT : 0;
	f |= m->ndpi_risks ? F_RISK : 0;
	f |= m->sni[0] ? F_SNI : 0;
	f |= m->http_host[0] ? F_HOST : 0;
	f |= m->dns_query[0] ? F_DNS : 0;
	f |= m->ja3[0] ? F_JA3 : 0;
	f |= m->ja3s[0] ? F_JA3S : 0;
	f |= m->ja4[0] ? F_JA4 : 0;
	f |= m->country[0][0] || m->country[1][0] ? F_CC : 0;
	f |= m->asn[0] || m->asn[1] ? F_ASN : 0;
	if (m->internal[0] > 1 || m->internal[1] > 1 || m->cleartext_cred > 1)
		f |= F_RAWBITS;
	else if (m->internal[0] || m->internal[1] || m->cleartext_cred)
		f |= F_BITS;
	f |= m->nsids ? F_SIDS : 0;
	f |= r->start % 1000 ? F_SUBUS : 0;     /* then the fraction is in ns */
	f |= r->key.vlan ? F_KVLAN : 0;
	f |= d % 1000 ? F_DURNS : 0;
	if (r->state > 15 || r->end_reason > 15 || r->tcp_state > 15 || r->interim > 15)
		f |= F_RAWST;
	return f;
}

static void enc_head(struct wr *w, const struct mdr_flow_record *r, uint32_t f)
{
	int64_t d = (int64_t)(r->end - r->start);
	size_t alen = r->key.ip_ver == 4 ? 4 : 16;

	if (f & F_RAWVER)
		w_u8(w, r->key.ip_ver);
	w_raw(w, r->key.src.b, alen);
	w_raw(w, r->key.dst.b, alen);
	w_var(w, r->key.sport);
	w_var(w, r->key.dport);
	w_u8(w, r->key.proto);
	if (f & F_KVLAN)
		w_var(w, r->key.vlan);
	if (f & F_FLOWID) {
		uint8_t b[8];

		mdr_put_be(b, r->flow_id, 8);
		w_raw(w, b, 8);
	}
	w_var(w, f & F_SUBUS ? r->start % MDR_NSEC_PER_SEC : r->start % MDR_NSEC_PER_SEC / 1000);
	w_var(w, mdr_zigzag(f & F_DURNS ? d : d / 1000));
	w_var(w, r->pkts[0]);
	w_var(w, r->pkts[1]);
	w_var(w, r->bytes[0]);
	w_var(w, r->bytes[1]);
	if (f & F_RAWST) {
		uint8_t b[4] = { r->state, r->end_reason, r->tcp_state, r->interim };

		w_raw(w, b, 4);
	} else {
		w_var(w, (uint64_t)r->state | (uint64_t)r->end_reason << 4 |
		      (uint64_t)r->tcp_state << 8 | (uint64_t)r->interim << 12);
	}
}

static void enc_l4(struct wr *w, const struct mdr_flow_record *r, uint32_t f)
{
	if (f & F_TCPF) {
		w_u8(w, r->tcp_flags[0]);
		w_u8(w, r->tcp_flags[1]);
	}
	if (f & F_VLAN) {
		w_u8(w, r->vlan_count);
		for (int i = 0; i < MDR_MAX_VLAN; i++)
			w_var(w, r->vlan[i]);
	}
	if (f & F_ICMP) {
		w_u8(w, r->icmp_type);
		w_u8(w, r->icmp_code);
	}
	w_var(w, r->worker);
	w_var(w, r->seq);
	if (f & F_GAPS) {
		w_var(w, r->gaps[0]);
		w_var(w, r->gaps[1]);
	}
	if (f & F_TUNNEL) {
		w_u8(w, r->tunnel.type);
		w_u8(w, r->tunnel.ip_ver);
		w_u8(w, r->tunnel.depth);
		w_var(w, r->tunnel.vni);
		w_raw(w, r->tunnel.src.b, r->tunnel.ip_ver == 4 ? 4 : 16);
		w_raw(w, r->tunnel.dst.b, r->tunnel.ip_ver == 4 ? 4 : 16);
	}
	if (f & F_HIST)
		w_str(w, r->history, sizeof(r->history));
	if (f & F_CONN)
		w_str(w, r->conn_state, sizeof(r->conn_state));
}

#define W_META_STR(flag, field) \
	do { if (f & (flag)) w_str(w, m->field, sizeof(m->field)); } while (0)

static void enc_meta(struct wr *w, const struct mdr_flow_meta *m, uint32_t f)
{
	W_META_STR(F_APP, app_proto);
	W_META_STR(F_NDPI, ndpi_proto);
	W_META_STR(F_CAT, ndpi_category);
	if (f & F_RISK)
		w_var(w, m->ndpi_risks);
	W_META_STR(F_SNI, sni);
	W_META_STR(F_HOST, http_host);
	W_META_STR(F_DNS, dns_query);
	W_META_STR(F_JA3, ja3);
	W_META_STR(F_JA3S, ja3s);
	W_META_STR(F_JA4, ja4);
	if (f & F_CC) {
		w_str(w, m->country[0], sizeof(m->country[0]));
		w_str(w, m->country[1], sizeof(m->country[1]));
	}
	if (f & F_ASN) {
		w_var(w, m->asn[0]);
		w_var(w, m->asn[1]);
	}
	if (f & F_BITS)
		w_u8(w, (uint8_t)(m->internal[0] | m->internal[1] << 1 | m->cleartext_cred << 2));
	if (f & F_RAWBITS) {
		w_u8(w, m->internal[0]);
		w_u8(w, m->internal[1]);
		w_u8(w, m->cleartext_cred);
	}
	if (f & F_SIDS) {
		w_u8(w, m->nsids);
		for (int i = 0; i < m->nsids && i < MDR_REC_MAX_SIDS; i++)
			w_var(w, m->sids[i]);
	}
}

size_t mdr_rec_encode(const struct mdr_flow_record *r, uint8_t *out)
{
	struct wr w = { out, 0 };
	uint32_t f = rec_flags(r);

	w_u8(&w, MDR_REC_VERSION);
	w_var(&w, f);
	enc_head(&w, r, f);
	enc_l4(&w, r, f);
	enc_meta(&w, &r->meta, f);
	return w.n;
}

static void dec_head(struct rd *rd, struct mdr_flow_record *r, uint32_t f,
		     uint64_t start_sec)
{
	size_t alen;
	int64_t d;

	r->key.ip_ver = f & F_RAWVER ? r_u8(rd) : f & F_V6 ? 6 : 4;
	alen = r->key.ip_ver == 4 ? 4 : 16;
	r_raw(rd, r->key.src.b, alen);
	r_raw(rd, r->key.dst.b, alen);
	r->key.sport = (uint16_t)r_var(rd);
	r->key.dport = (uint16_t)r_var(rd);
	r->key.proto = r_u8(rd);
	if (f & F_KVLAN)
		r->key.vlan = (uint16_t)r_var(rd);
	if (f & F_FLOWID) {
		uint8_t b[8] = { 0 };

		r_raw(rd, b, 8);
		r->flow_id = mdr_get_be(b, 8);
	}
	r->start = start_sec * MDR_NSEC_PER_SEC + (f & F_SUBUS ? r_var(rd) : r_var(rd) * 1000);
	if (!(f & F_FLOWID))
		r->flow_id = mdr_flow_id(&r->key, r->start);
	d = mdr_unzigzag(r_var(rd));
	r->end = r->start + (uint64_t)(f & F_DURNS ? d : d * 1000);
	r->pkts[0] = r_var(rd);
	r->pkts[1] = r_var(rd);
	r->bytes[0] = r_var(rd);
	r->bytes[1] = r_var(rd);
	if (f & F_RAWST) {
		uint8_t b[4] = { 0 };

		r_raw(rd, b, 4);
		r->state = b[0], r->end_reason = b[1], r->tcp_state = b[2], r->interim = b[3];
	} else {
		uint64_t v = r_var(rd);

		r->state = v & 15, r->end_reason = v >> 4 & 15;
		r->tcp_state = v >> 8 & 15, r->interim = v >> 12 & 15;
	}
}

static void dec_l4(struct rd *rd, struct mdr_flow_record *r, uint32_t f)
{
	if (f & F_TCPF) {
		r->tcp_flags[0] = r_u8(rd);
		r->tcp_flags[1] = r_u8(rd);
	}
	if (f & F_VLAN) {
		r->vlan_count = r_u8(rd);
		for (int i = 0; i < MDR_MAX_VLAN; i++)
			r->vlan[i] = (uint16_t)r_var(rd);
	}
	if (f & F_ICMP) {
		r->icmp_type = r_u8(rd);
		r->icmp_code = r_u8(rd);
	}
	r->worker = (uint16_t)r_var(rd);
	r->seq = (uint32_t)r_var(rd);
	if (f & F_GAPS) {
		r->gaps[0] = (uint32_t)r_var(rd);
		r->gaps[1] = (uint32_t)r_var(rd);
	}
	if (f & F_TUNNEL) {
		r->tunnel.type = r_u8(rd);
		r->tunnel.ip_ver = r_u8(rd);
		r->tunnel.depth = r_u8(rd);
		r->tunnel.vni = (uint32_t)r_var(rd);
		r_raw(rd, r->tunnel.src.b, r->tunnel.ip_ver == 4 ? 4 : 16);
		r_raw(rd, r->tunnel.dst.b, r->tunnel.ip_ver == 4 ? 4 : 16);
	}
	if (f & F_HIST)
		r_str(rd, r->history, sizeof(r->history));
	if (f & F_CONN)
		r_str(rd, r->conn_state, sizeof(r->conn_state));
}

#define R_META_STR(flag, field) \
	do { if (f & (flag)) r_str(rd, m->field, sizeof(m->field)); } while (0)

static void dec_meta(struct rd *rd, struct mdr_flow_meta *m, uint32_t f)
{
	R_META_STR(F_APP, app_proto);
	R_META_STR(F_NDPI, ndpi_proto);
	R_META_STR(F_CAT, ndpi_category);
	if (f & F_RISK)
		m->ndpi_risks = r_var(rd);
	R_META_STR(F_SNI, sni);
	R_META_STR(F_HOST, http_host);
	R_META_STR(F_DNS, dns_query);
	R_META_STR(F_JA3, ja3);
	R_META_STR(F_JA3S, ja3s);
	R_META_STR(F_JA4, ja4);
	if (f & F_CC) {
		r_str(rd, m->country[0], sizeof(m->country[0]));
		r_str(rd, m->country[1], sizeof(m->country[1]));
	}
	if (f & F_ASN) {
		m->asn[0] = (uint32_t)r_var(rd);
		m->asn[1] = (uint32_t)r_var(rd);
	}
	if (f & F_BITS) {
		uint8_t b = r_u8(rd);

		m->internal[0] = b & 1, m->internal[1] = b >> 1 & 1, m->cleartext_cred = b >> 2 & 1;
	}
	if (f & F_RAWBITS) {
		m->internal[0] = r_u8(rd);
		m->internal[1] = r_u8(rd);
		m->cleartext_cred = r_u8(rd);
	}
	if (f & F_SIDS) {
		m->nsids = r_u8(rd);
		for (int i = 0; i < m->nsids && i < MDR_REC_MAX_SIDS; i++)
			m->sids[i] = (uint32_t)r_var(rd);
	}
}

int mdr_rec_decode(const uint8_t *p, size_t len, uint64_t start_sec,
		   struct mdr_flow_record *r)
{
	struct rd rd = { p, p + len, 0 };
	uint32_t f;

	memset(r, 0, sizeof(*r));
	if (len < 1)
		return -EBADMSG;
	if (p[0] != MDR_REC_VERSION)
		return -EPROTONOSUPPORT;
	rd.p++;
	f = (uint32_t)r_var(&rd);
	dec_head(&rd, r, f, start_sec);
	dec_l4(&rd, r, f);
	dec_meta(&rd, &r->meta, f);
	if (rd.bad || rd.p != rd.end)
		return -EBADMSG;
	return 0;
}

int mdr_rec_community_id(const struct mdr_flow_record *r, char *out, size_t len)
{
	if (r->key.proto == 1 || r->key.proto == 58)
		return mdr_community_id_icmp(&r->key, r->icmp_type, r->icmp_code, 0, out, len);
	return mdr_community_id(&r->key, 0, out, len);
}
