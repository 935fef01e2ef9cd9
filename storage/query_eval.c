/*
 * query_eval.c - exact evaluation of a query on one record.
 *
 * The index only narrows the candidates; every record delivered has
 * passed this filter, so results never depend on the access path.
 *
 * Semantics (docs/query-language.md): `ip`, `port`, `country`, `asn`
 * without src./dst. match either endpoint; `x != v` is `not (x = v)`;
 * `<`/`>` on an either-endpoint field hold when one endpoint satisfies
 * them. Ports exist for TCP, UDP and SCTP only. Text is compared without
 * regard to case; patterns (`*.example.top`, `*foo*`) never match an
 * empty field. `sid`/`risk` match when any of the flow's sids/risks does.
 * bytes and packets are the sums of both directions.
 */
#include "query_int.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static bool ip_in(const struct mdr_qpred *p, const struct mdr_ip *a, uint8_t ver)
{
	int full = p->plen / 8, rest = p->plen % 8;

	if (ver != p->ipver || memcmp(a->b, p->ip.b, (size_t)full) != 0)
		return false;
	return rest == 0 || ((a->b[full] ^ p->ip.b[full]) & (0xff00 >> rest)) == 0;
}

static bool text_match(const struct mdr_qpred *p, const char *s, size_t cap)
{
	size_t ls = strnlen(s, cap), lt;
	char buf[MDR_REC_NAME + 8];

	switch (p->match) {
	case MDR_MATCH_EXACT:
		return ls == strlen(p->text) && strncasecmp(s, p->text, ls) == 0;
	case MDR_MATCH_SUFFIX:
		lt = strlen(p->text);
		return ls > 0 && ls >= lt && strncasecmp(s + ls - lt, p->text, lt) == 0;
	case MDR_MATCH_GLOB:
		if (ls == 0 || ls >= sizeof(buf))
			return false;
		memcpy(buf, s, ls);
		buf[ls] = 0;
		return fnmatch(p->text, buf, FNM_CASEFOLD) == 0;
	}
	return false;
}

static bool num_cmp(uint64_t v, enum mdr_qop op, uint64_t x)
{
	switch (op) {
	case MDR_OP_LT: return v < x;
	case MDR_OP_LE: return v <= x;
	case MDR_OP_GT: return v > x;
	case MDR_OP_GE: return v >= x;
	default: return v == x;
	}
}

#define SIDES(p) for (int side = 0; side < 2; side++) \
		if ((p)->f->side == 0 || (p)->f->side == side + 1)

static bool match_endpoint(const struct mdr_qpred *p, const struct mdr_flow_record *r,
			   enum mdr_qop op)
{
	const struct mdr_flow_meta *m = &r->meta;

	switch (p->f->id) {
	case MDR_QF_IP:
		SIDES(p) if (ip_in(p, side ? &r->key.dst : &r->key.src, r->key.ip_ver))
			return true;
		return false;
	case MDR_QF_PORT:
		if (!has_ports(r->key.proto))
			return false;
		SIDES(p) if (num_cmp(side ? r->key.dport : r->key.sport, op, p->num))
			return true;
		return false;
	case MDR_QF_COUNTRY:
		SIDES(p) if (text_match(p, m->country[side], sizeof(m->country[side])))
			return true;
		return false;
	case MDR_QF_ASN:
		SIDES(p) if (num_cmp(m->asn[side], op, p->num))
			return true;
		return false;
	default:
		return false;
	}
}

static bool match_lists(const struct mdr_qpred *p, const struct mdr_flow_record *r,
			enum mdr_qop op)
{
	const struct mdr_flow_meta *m = &r->meta;

	if (p->f->id == MDR_QF_SID) {
		for (int i = 0; i < m->nsids && i < MDR_REC_MAX_SIDS; i++)
			if (num_cmp(m->sids[i], op, p->num))
				return true;
		return false;
	}
	if (p->f->id == MDR_QF_RISK) {
		for (unsigned b = 0; b < 64; b++)
			if ((m->ndpi_risks >> b & 1) && num_cmp(b, op, p->num))
				return true;
		return false;
	}
	for (int i = 0; i < r->vlan_count && i < MDR_MAX_VLAN; i++)   /* VLAN */
		if (num_cmp(r->vlan[i], op, p->num))
			return true;
	return false;
}

static bool match_text_field(const struct mdr_qpred *p, const struct mdr_flow_record *r)
{
	const struct mdr_flow_meta *m = &r->meta;
	char cid[64];

#define TXT(field) text_match(p, field, sizeof(field))
	switch (p->f->id) {
	case MDR_QF_APP: return TXT(m->app_proto);
	case MDR_QF_SNI: return TXT(m->sni);
	case MDR_QF_HOST: return TXT(m->http_host);
	case MDR_QF_DNS: return TXT(m->dns_query);
	case MDR_QF_JA3: return TXT(m->ja3);
	case MDR_QF_JA3S: return TXT(m->ja3s);
	case MDR_QF_JA4: return TXT(m->ja4);
	case MDR_QF_CONN_STATE: return TXT(r->conn_state);
	case MDR_QF_NDPI: return TXT(m->ndpi_proto);
	case MDR_QF_CATEGORY: return TXT(m->ndpi_category);
	case MDR_QF_CID:
		return mdr_rec_community_id(r, cid, sizeof(cid)) == 0 && strcmp(cid, p->text) == 0;
	default: return false;
	}
#undef TXT
}

static uint64_t scalar(const struct mdr_qpred *p, const struct mdr_flow_record *r)
{
	switch (p->f->id) {
	case MDR_QF_PROTO: return r->key.proto;
	case MDR_QF_BYTES: return r->bytes[0] + r->bytes[1];
	case MDR_QF_BYTES_TS: return r->bytes[0];
	case MDR_QF_BYTES_TC: return r->bytes[1];
	case MDR_QF_PKTS: return r->pkts[0] + r->pkts[1];
	case MDR_QF_PKTS_TS: return r->pkts[0];
	case MDR_QF_PKTS_TC: return r->pkts[1];
	case MDR_QF_DURATION: return r->end > r->start ? r->end - r->start : 0;
	case MDR_QF_FLOW_ID: return r->flow_id;
	default: return 0;
	}
}

static bool pred_match(const struct mdr_qpred *p, const struct mdr_flow_record *r)
{
	enum mdr_qop op = p->op == MDR_OP_NE ? MDR_OP_EQ : p->op;
	bool m;

	switch (p->f->id) {
	case MDR_QF_IP: case MDR_QF_PORT: case MDR_QF_COUNTRY: case MDR_QF_ASN:
		m = match_endpoint(p, r, op);
		break;
	case MDR_QF_SID: case MDR_QF_RISK: case MDR_QF_VLAN:
		m = match_lists(p, r, op);
		break;
	case MDR_QF_PROTO: case MDR_QF_BYTES: case MDR_QF_BYTES_TS: case MDR_QF_BYTES_TC:
	case MDR_QF_PKTS: case MDR_QF_PKTS_TS: case MDR_QF_PKTS_TC: case MDR_QF_DURATION:
	case MDR_QF_FLOW_ID:
		m = num_cmp(scalar(p, r), op, p->num);
		break;
	default:
		m = match_text_field(p, r);
	}
	return p->op == MDR_OP_NE ? !m : m;
}

bool mdr_qnode_match(const struct mdr_qnode *n, const struct mdr_flow_record *r)
{
	if (!n)
		return true;
	switch (n->kind) {
	case MDR_QN_PRED:
		return pred_match(&n->pred, r);
	case MDR_QN_NOT:
		return !mdr_qnode_match(n->kids[0], r);
	case MDR_QN_AND:
		for (size_t i = 0; i < n->nkids; i++)
			if (!mdr_qnode_match(n->kids[i], r))
				return false;
		return true;
	case MDR_QN_OR:
		for (size_t i = 0; i < n->nkids; i++)
			if (mdr_qnode_match(n->kids[i], r))
				return true;
		return false;
	}
	return false;
}

bool mdr_query_window_match(const struct mdr_query *q, const struct mdr_flow_record *r)
{
	return (!q->has_from || r->end >= q->from_ns) && (!q->has_to || r->start <= q->to_ns);
}

uint64_t mdr_qsort_value(enum mdr_qsort s, const struct mdr_flow_record *r)
{
	switch (s) {
	case MDR_SORT_END: return r->end;
	case MDR_SORT_BYTES: return r->bytes[0] + r->bytes[1];
	case MDR_SORT_PKTS: return r->pkts[0] + r->pkts[1];
	case MDR_SORT_DURATION: return r->end > r->start ? r->end - r->start : 0;
	default: return r->start;
	}
}

/* ---- group values ---- */

struct vals {
	char (*out)[MDR_GROUP_LEN];
	int n, max;
};

static void val_add(struct vals *v, const char *s)
{
	if (!s[0] || v->n >= v->max)
		return;
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->out[i], s) == 0)
			return;
	snprintf(v->out[v->n++], MDR_GROUP_LEN, "%s", s);
}

static void val_num(struct vals *v, uint64_t x)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, x);
	val_add(v, b);
}

static void endpoint_values(const struct mdr_qfield_def *f, const struct mdr_flow_record *r,
			    struct vals *v)
{
	char b[64];

	for (int side = 0; side < 2; side++) {
		if (f->side && f->side != side + 1)
			continue;
		if (f->id == MDR_QF_IP)
			val_add(v, mdr_ip_to_str(side ? &r->key.dst : &r->key.src, r->key.ip_ver,
						 b, sizeof(b)));
		else if (f->id == MDR_QF_PORT && has_ports(r->key.proto))
			val_num(v, side ? r->key.dport : r->key.sport);
		else if (f->id == MDR_QF_COUNTRY)
			val_add(v, r->meta.country[side]);
		else if (f->id == MDR_QF_ASN && r->meta.asn[side])
			val_num(v, r->meta.asn[side]);
	}
}

int mdr_qfield_values(const struct mdr_qfield_def *f, const struct mdr_flow_record *r,
		      char out[][MDR_GROUP_LEN], int max)
{
	const struct mdr_flow_meta *m = &r->meta;
	struct vals v = { out, 0, max };
	char b[64];

	switch (f->id) {
	case MDR_QF_IP: case MDR_QF_PORT: case MDR_QF_COUNTRY: case MDR_QF_ASN:
		endpoint_values(f, r, &v);
		break;
	case MDR_QF_PROTO: val_add(&v, mdr_eve_proto_name(r->key.proto, b, sizeof(b))); break;
	case MDR_QF_APP: val_add(&v, m->app_proto); break;
	case MDR_QF_SNI: val_add(&v, m->sni); break;
	case MDR_QF_HOST: val_add(&v, m->http_host); break;
	case MDR_QF_DNS: val_add(&v, m->dns_query); break;
	case MDR_QF_JA3: val_add(&v, m->ja3); break;
	case MDR_QF_JA3S: val_add(&v, m->ja3s); break;
	case MDR_QF_JA4: val_add(&v, m->ja4); break;
	case MDR_QF_CONN_STATE: val_add(&v, r->conn_state); break;
	case MDR_QF_NDPI: val_add(&v, m->ndpi_proto); break;
	case MDR_QF_CATEGORY: val_add(&v, m->ndpi_category); break;
	case MDR_QF_CID:
		if (mdr_rec_community_id(r, b, sizeof(b)) == 0)
			val_add(&v, b);
		break;
	case MDR_QF_SID:
		for (int i = 0; i < m->nsids && i < MDR_REC_MAX_SIDS; i++)
			val_num(&v, m->sids[i]);
		break;
	case MDR_QF_RISK:
		for (unsigned i = 0; i < 64; i++)
			if (m->ndpi_risks >> i & 1)
				val_num(&v, i);
		break;
	case MDR_QF_VLAN:
		for (int i = 0; i < r->vlan_count && i < MDR_MAX_VLAN; i++)
			val_num(&v, r->vlan[i]);
		break;
	default:
		break;
	}
	return v.n;
}
