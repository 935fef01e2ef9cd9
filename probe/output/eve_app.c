/*
 * eve_app.c - EVE events of application-layer transactions: "dns",
 * "http", "tls", "ssh", with Suricata's field names.
 *
 * Every event has the flow's header (timestamp, flow_id, event_type,
 * vlan, src/dest = client/server, proto, community_id) and tx_id. DNS
 * follows Suricata's version 2 layout (one event per query or answer,
 * "answers" plus "grouped"); HTTP's "length" is the response body size.
 */
#include "output.h"

#include <string.h>
#include <time.h>

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, k, json_string(v));
}

static void header(json_t *o, const struct mdr_app_event *ev, const char *type)
{
	const struct mdr_flow_key *k = &ev->key;
	char ts[48], ip[64], pbuf[8], cid[64];

	mdr_eve_format_ts(ev->ts, ts, sizeof(ts));
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "flow_id", json_integer((json_int_t)ev->flow_id));
	json_object_set_new(o, "event_type", json_string(type));
	if (ev->vlan_count) {
		json_t *v = json_array();

		for (int i = 0; i < ev->vlan_count && i < MDR_MAX_VLAN; i++)
			json_array_append_new(v, json_integer(ev->vlan[i]));
		json_object_set_new(o, "vlan", v);
	}
	json_object_set_new(o, "src_ip", json_string(mdr_ip_to_str(&k->src, k->ip_ver, ip, sizeof(ip))));
	json_object_set_new(o, "src_port", json_integer(k->sport));
	json_object_set_new(o, "dest_ip", json_string(mdr_ip_to_str(&k->dst, k->ip_ver, ip, sizeof(ip))));
	json_object_set_new(o, "dest_port", json_integer(k->dport));
	json_object_set_new(o, "proto", json_string(mdr_eve_proto_name(k->proto, pbuf, sizeof(pbuf))));
	if (mdr_community_id(k, 0, cid, sizeof(cid)) == 0)
		json_object_set_new(o, "community_id", json_string(cid));
	json_object_set_new(o, "tx_id", json_integer(ev->tx_id));
}

/* ---- DNS ---- */

static const char *rrtype_name(uint16_t t, char *buf, size_t len)
{
	static const struct { uint16_t t; const char *n; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 13, "HINFO" },
		{ 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" }, { 24, "SIG" }, { 25, "KEY" },
		{ 28, "AAAA" }, { 29, "LOC" }, { 33, "SRV" }, { 35, "NAPTR" }, { 39, "DNAME" },
		{ 41, "OPT" }, { 43, "DS" }, { 44, "SSHFP" }, { 46, "RRSIG" }, { 47, "NSEC" },
		{ 48, "DNSKEY" }, { 50, "NSEC3" }, { 52, "TLSA" }, { 64, "SVCB" }, { 65, "HTTPS" },
		{ 99, "SPF" }, { 249, "TKEY" }, { 250, "TSIG" }, { 251, "IXFR" }, { 252, "AXFR" },
		{ 255, "ANY" }, { 256, "URI" }, { 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", t);
	return buf;
}

static const char *rcode_name(uint16_t r, char *buf, size_t len)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					 "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
					 "NOTZONE" };

	if (r < sizeof(n) / sizeof(n[0]))
		return n[r];
	snprintf(buf, len, "%u", r);
	return buf;
}

static const char *arena_str(const struct mdr_app_dns *d, uint16_t off)
{
	if (off == 0xffff)
		return d->rrname;
	if (off >= sizeof(d->arena))
		return "";
	return d->arena + off;
}

static json_t *dns_answers(const struct mdr_app_dns *d, json_t **grouped)
{
	json_t *arr = json_array();
	char tb[16];

	*grouped = json_object();
	for (uint16_t i = 0; i < d->nanswers && i < MDR_DNS_MAX_ANSWERS; i++) {
		const struct mdr_dns_answer *a = &d->ans[i];
		const char *type = rrtype_name(a->rrtype, tb, sizeof(tb));
		const char *data = arena_str(d, a->data_off);
		json_t *x = json_object(), *g;

		json_object_set_new(x, "rrname", json_string(arena_str(d, a->name_off)));
		json_object_set_new(x, "rrtype", json_string(type));
		json_object_set_new(x, "ttl", json_integer(a->ttl));
		set_str(x, "rdata", data);
		json_array_append_new(arr, x);
		if (!data[0])
			continue;
		g = json_object_get(*grouped, type);
		if (!g) {
			g = json_array();
			json_object_set_new(*grouped, type, g);
		}
		json_array_append_new(g, json_string(data));
	}
	return arr;
}

static json_t *dns_obj(const struct mdr_app_dns *d)
{
	json_t *o = json_object(), *grouped;
	char buf[16], fl[8];

	json_object_set_new(o, "version", json_integer(2));
	json_object_set_new(o, "type", json_string(d->response ? "answer" : "query"));
	json_object_set_new(o, "id", json_integer(d->id));
	snprintf(fl, sizeof(fl), "%04x", d->flags);
	json_object_set_new(o, "flags", json_string(fl));
	if (d->response)
		json_object_set_new(o, "qr", json_true());
	if (d->flags & 0x0400)
		json_object_set_new(o, "aa", json_true());
	if (d->flags & 0x0200)
		json_object_set_new(o, "tc", json_true());
	if (d->flags & 0x0100)
		json_object_set_new(o, "rd", json_true());
	if (d->flags & 0x0080)
		json_object_set_new(o, "ra", json_true());
	json_object_set_new(o, "opcode", json_integer((d->flags >> 11) & 0x0f));
	set_str(o, "rrname", d->rrname);
	if (d->rrname[0])
		json_object_set_new(o, "rrtype", json_string(rrtype_name(d->rrtype, buf, sizeof(buf))));
	if (!d->response)
		return o;
	json_object_set_new(o, "rcode", json_string(rcode_name(d->rcode, buf, sizeof(buf))));
	if (d->nanswers) {
		json_object_set_new(o, "answers", dns_answers(d, &grouped));
		json_object_set_new(o, "grouped", grouped);
	}
	if (d->truncated)
		json_object_set_new(o, "answers_truncated", json_integer(d->truncated));
	return o;
}

/* ---- HTTP ---- */

static json_t *http_obj(const struct mdr_app_http *h)
{
	json_t *o = json_object();

	set_str(o, "hostname", h->hostname);
	set_str(o, "url", h->url);
	set_str(o, "http_user_agent", h->user_agent);
	set_str(o, "http_content_type", h->content_type);
	set_str(o, "http_refer", h->referer);
	set_str(o, "http_method", h->method);
	set_str(o, "protocol", h->protocol);
	if (h->status)
		json_object_set_new(o, "status", json_integer(h->status));
	json_object_set_new(o, "length", json_integer((json_int_t)h->response_body_len));
	json_object_set_new(o, "request_body_len", json_integer((json_int_t)h->request_body_len));
	json_object_set_new(o, "response_body_len", json_integer((json_int_t)h->response_body_len));
	if (h->auth_basic) {
		json_t *a = json_object();

		json_object_set_new(a, "scheme", json_string("basic"));
		json_object_set_new(a, "username", json_string(h->auth_user));
		json_object_set_new(o, "authorization", a);
	}
	if (h->truncated)
		json_object_set_new(o, "truncated", json_true());
	return o;
}

/* ---- TLS ---- */

static const char *tls_version(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	case 0: return "UNDETERMINED";
	default:
		snprintf(buf, len, "0x%04x", v);
		return buf;
	}
}

static void set_time(json_t *o, const char *k, int64_t t)
{
	char buf[32];
	time_t s = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&s, &tm))
		return;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	json_object_set_new(o, k, json_string(buf));
}

static json_t *alpn_list(const char *s)
{
	json_t *a = json_array();
	char buf[160], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(tok));
	return a;
}

static json_t *tls_obj(const struct mdr_app_tls *t)
{
	json_t *o = json_object(), *h;
	char vb[16];

	set_str(o, "subject", t->subject);
	set_str(o, "issuerdn", t->issuer);
	set_str(o, "serial", t->serial);
	set_str(o, "fingerprint", t->fingerprint);
	set_str(o, "sni", t->sni);
	json_object_set_new(o, "version", json_string(tls_version(
		t->has_server_hello ? t->version : t->client_version, vb, sizeof(vb))));
	set_time(o, "notbefore", t->not_before);
	set_time(o, "notafter", t->not_after);
	if (t->ja3[0]) {
		h = json_object();
		json_object_set_new(h, "hash", json_string(t->ja3));
		json_object_set_new(o, "ja3", h);
	}
	if (t->ja3s[0]) {
		h = json_object();
		json_object_set_new(h, "hash", json_string(t->ja3s));
		json_object_set_new(o, "ja3s", h);
	}
	set_str(o, "ja4", t->ja4);
	if (t->alpn_client[0])
		json_object_set_new(o, "client_alpns", alpn_list(t->alpn_client));
	set_str(o, "server_alpn", t->alpn_server);
	return o;
}

/* ---- SSH ---- */

static json_t *ssh_obj(const struct mdr_app_ssh *s)
{
	json_t *o = json_object();

	if (s->client[0] || s->hassh[0])
		json_object_set_new(o, "client", mdr_eve_ssh_side(s->client, s->hassh, s->hassh_str));
	if (s->server[0] || s->hassh_server[0])
		json_object_set_new(o, "server", mdr_eve_ssh_side(s->server, s->hassh_server,
								   s->hassh_server_str));
	return o;
}

json_t *mdr_eve_app(const struct mdr_app_event *ev)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	switch (ev->type) {
	case MDR_APP_DNS:
		header(o, ev, "dns");
		json_object_set_new(o, "dns", dns_obj(&ev->u.dns));
		break;
	case MDR_APP_HTTP:
		header(o, ev, "http");
		json_object_set_new(o, "http", http_obj(&ev->u.http));
		break;
	case MDR_APP_TLS:
		header(o, ev, "tls");
		json_object_set_new(o, "tls", tls_obj(&ev->u.tls));
		break;
	case MDR_APP_SSH:
		header(o, ev, "ssh");
		json_object_set_new(o, "ssh", ssh_obj(&ev->u.ssh));
		break;
	default:
		json_decref(o);
		return NULL;
	}
	return o;
}
