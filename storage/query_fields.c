/*
 * query_fields.c - the fields of the query language and their values.
 *
 * One table names every field (canonical name, Arkime/EVE/nfdump-style
 * aliases), its value kind and the endpoint it looks at. The value parsers
 * (IP/CIDR, numbers with k/M/G, protocols, durations, times) return -1 on
 * bad input and leave the message to the parser, which knows the column.
 * Also: printing and freeing expression trees, time formatting.
 */
#include "query_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define U32 0xffffffffull
#define U64 UINT64_MAX

static const struct mdr_qfield_def fields[] = {
	{ "ip", "addr", MDR_QF_IP, MDR_QK_IP, 0, 0, true },
	{ "src.ip", "ip.src src_ip srcip", MDR_QF_IP, MDR_QK_IP, 1, 0, true },
	{ "dst.ip", "ip.dst dest_ip dst_ip dstip", MDR_QF_IP, MDR_QK_IP, 2, 0, true },
	{ "port", "", MDR_QF_PORT, MDR_QK_PORT, 0, 65535, true },
	{ "src.port", "port.src src_port srcport", MDR_QF_PORT, MDR_QK_PORT, 1, 65535, true },
	{ "dst.port", "port.dst dest_port dst_port dstport", MDR_QF_PORT, MDR_QK_PORT, 2, 65535,
	  true },
	{ "proto", "protocol transport ip.protocol", MDR_QF_PROTO, MDR_QK_PROTO, 0, 255, true },
	{ "app", "app_proto", MDR_QF_APP, MDR_QK_TEXT, 0, 0, true },
	{ "sni", "tls.sni host.tls", MDR_QF_SNI, MDR_QK_TEXT, 0, 0, true },
	{ "host", "http.host host.http", MDR_QF_HOST, MDR_QK_TEXT, 0, 0, true },
	{ "dns.query", "dns query host.dns dns.rrname", MDR_QF_DNS, MDR_QK_TEXT, 0, 0, true },
	{ "ja3", "tls.ja3", MDR_QF_JA3, MDR_QK_TEXT, 0, 0, true },
	{ "ja3s", "tls.ja3s", MDR_QF_JA3S, MDR_QK_TEXT, 0, 0, true },
	{ "ja4", "tls.ja4", MDR_QF_JA4, MDR_QK_TEXT, 0, 0, true },
	{ "community_id", "cid communityid", MDR_QF_CID, MDR_QK_CID, 0, 0, true },
	{ "sid", "alert.sid signature_id", MDR_QF_SID, MDR_QK_NUM, 0, U32, true },
	{ "risk", "ndpi.risk", MDR_QF_RISK, MDR_QK_NUM, 0, 63, true },
	{ "country", "", MDR_QF_COUNTRY, MDR_QK_TEXT, 0, 0, true },
	{ "src.country", "country.src", MDR_QF_COUNTRY, MDR_QK_TEXT, 1, 0, true },
	{ "dst.country", "country.dst", MDR_QF_COUNTRY, MDR_QK_TEXT, 2, 0, true },
	{ "asn", "", MDR_QF_ASN, MDR_QK_NUM, 0, U32, true },
	{ "src.asn", "asn.src", MDR_QF_ASN, MDR_QK_NUM, 1, U32, true },
	{ "dst.asn", "asn.dst", MDR_QF_ASN, MDR_QK_NUM, 2, U32, true },
	{ "bytes", "", MDR_QF_BYTES, MDR_QK_NUM, 0, U64, false },
	{ "bytes.toserver", "src.bytes bytes_toserver", MDR_QF_BYTES_TS, MDR_QK_NUM, 0, U64, false },
	{ "bytes.toclient", "dst.bytes bytes_toclient", MDR_QF_BYTES_TC, MDR_QK_NUM, 0, U64, false },
	{ "packets", "pkts", MDR_QF_PKTS, MDR_QK_NUM, 0, U64, false },
	{ "packets.toserver", "pkts.toserver src.packets pkts_toserver", MDR_QF_PKTS_TS,
	  MDR_QK_NUM, 0, U64, false },
	{ "packets.toclient", "pkts.toclient dst.packets pkts_toclient", MDR_QF_PKTS_TC,
	  MDR_QK_NUM, 0, U64, false },
	{ "duration", "age", MDR_QF_DURATION, MDR_QK_DUR, 0, U64, false },
	{ "vlan", "", MDR_QF_VLAN, MDR_QK_NUM, 0, 4095, true },
	{ "flow_id", "", MDR_QF_FLOW_ID, MDR_QK_NUM, 0, U64, false },
	{ "conn_state", "", MDR_QF_CONN_STATE, MDR_QK_TEXT, 0, 0, true },
	{ "ndpi", "ndpi.proto", MDR_QF_NDPI, MDR_QK_TEXT, 0, 0, true },
	{ "category", "ndpi.category", MDR_QF_CATEGORY, MDR_QK_TEXT, 0, 0, true },
};

const struct mdr_qfield_def *mdr_qfield_all(size_t *n)
{
	*n = MDR_ARRAY_SIZE(fields);
	return fields;
}

static bool in_aliases(const char *aliases, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = aliases; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == len && strncasecmp(p, name, len) == 0)
			return true;
		p += l + (e ? 1 : 0);
	}
	return false;
}

const struct mdr_qfield_def *mdr_qfield_lookup(const char *name)
{
	for (size_t i = 0; i < MDR_ARRAY_SIZE(fields); i++)
		if (strcasecmp(fields[i].name, name) == 0 || in_aliases(fields[i].aliases, name))
			return &fields[i];
	return NULL;
}

const char *mdr_qop_name(enum mdr_qop op)
{
	static const char *n[] = { "=", "!=", "<", "<=", ">", ">=" };

	return op <= MDR_OP_GE ? n[op] : "?";
}

/* ---- expression trees ---- */

void mdr_qnode_free(struct mdr_qnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		mdr_qnode_free(n->kids[i]);
	free(n->kids);
	free(n->pred.text);
	free(n->pred.src);
	free(n);
}

struct pbuf {
	char *buf;
	size_t len, pos;
};

static void pb_add(struct pbuf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->pos + 1 >= b->len)
		return;
	if (l > b->len - b->pos - 1)
		l = b->len - b->pos - 1;
	memcpy(b->buf + b->pos, s, l);
	b->pos += l;
	b->buf[b->pos] = 0;
}

static void print_node(struct pbuf *b, const struct mdr_qnode *n, bool top)
{
	const char *sep = n->kind == MDR_QN_AND ? " and " : " or ";

	switch (n->kind) {
	case MDR_QN_PRED:
		pb_add(b, n->pred.f->name);
		pb_add(b, " ");
		pb_add(b, mdr_qop_name(n->pred.op));
		pb_add(b, " ");
		pb_add(b, n->pred.src);
		return;
	case MDR_QN_NOT:
		pb_add(b, "not ");
		print_node(b, n->kids[0], false);
		return;
	default:
		if (!top)
			pb_add(b, "(");
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				pb_add(b, sep);
			print_node(b, n->kids[i], false);
		}
		if (!top)
			pb_add(b, ")");
	}
}

void mdr_qnode_print(const struct mdr_qnode *n, char *buf, size_t len)
{
	struct pbuf b = { buf, len, 0 };

	if (len)
		buf[0] = 0;
	if (n)
		print_node(&b, n, true);
	else
		pb_add(&b, "(every flow)");
}

void mdr_fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / MDR_NSEC_PER_SEC);
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
