/*
 * app.c - the application-layer module: pools, per-flow state, picking the
 * parser of a stream from its first bytes, events and the flow's metadata.
 *
 * A TCP stream is recognised on the first bytes of whichever side speaks
 * first: a request line (HTTP), a TLS handshake record, "SSH-" (either
 * side), a 220 / +OK / "* OK" greeting (FTP or SMTP, POP3, IMAP), Telnet
 * option negotiation or port 23, port 53 (DNS over TCP). Anything else is
 * AP_OTHER: both directions are marked done, so the worker can stop
 * reassembling them.
 */
#include "app_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mdr_applayer *mdr_app_create(uint32_t max_flows, uint16_t worker,
				    mdr_app_emit_fn emit, void *ctx)
{
	struct mdr_applayer *a = calloc(1, sizeof(*a));
	uint32_t ntx = max_flows < 65536 ? max_flows : 65536;
	uint32_t nbuf = max_flows < 8192 ? max_flows : 8192;

	if (!a)
		return NULL;
	a->flows = mdr_pool_create(sizeof(struct app_flow), 1024, max_flows);
	a->tx = mdr_pool_create(sizeof(struct mdr_app_event), 256, ntx);
	a->bufs = mdr_pool_create(APP_BUF_SIZE, 64, nbuf);
	a->emit = emit;
	a->ctx = ctx;
	a->worker = worker;
	if (!a->flows || !a->tx || !a->bufs) {
		mdr_app_free(a);
		return NULL;
	}
	return a;
}

void mdr_app_free(struct mdr_applayer *a)
{
	if (!a)
		return;
	mdr_pool_free(a->flows);
	mdr_pool_free(a->tx);
	mdr_pool_free(a->bufs);
	free(a);
}

const struct mdr_app_stats *mdr_app_get_stats(const struct mdr_applayer *a)
{
	return &a->st;
}

/* ---- helpers for the parsers ---- */

void app_event_header(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
		      struct mdr_app_event *ev, uint8_t type)
{
	ev->type = type;
	ev->worker = a->worker;
	ev->tx_id = af->next_tx++;
	ev->ts = a->now ? a->now : f->last;
	ev->flow_id = f->flow_id;
	ev->key = f->key;
	if (af->swap) {                 /* the flow's orientation was wrong: client first */
		ev->key.src = f->key.dst;
		ev->key.dst = f->key.src;
		ev->key.sport = f->key.dport;
		ev->key.dport = f->key.sport;
	}
	ev->vlan_count = f->vlan_count;
	memcpy(ev->vlan, f->vlan, sizeof(ev->vlan));
}

struct mdr_app_event *app_tx_new(struct mdr_applayer *a, struct mdr_flow *f,
				 struct app_flow *af, uint8_t type)
{
	struct mdr_app_event *ev = mdr_pool_get(a->tx);

	if (!ev) {
		a->st.no_state++;
		return NULL;
	}
	app_event_header(a, f, af, ev, type);
	return ev;
}

void app_tx_emit(struct mdr_applayer *a, struct mdr_app_event *ev)
{
	switch (ev->type) {
	case MDR_APP_DNS: a->st.dns_tx++; break;
	case MDR_APP_HTTP: a->st.http_tx++; break;
	case MDR_APP_TLS: a->st.tls_tx++; break;
	case MDR_APP_SSH: a->st.ssh_tx++; break;
	}
	if (a->emit)
		a->emit(a->ctx, ev);
	if (ev != &a->scratch)
		mdr_pool_put(a->tx, ev);
}

void app_tx_drop(struct mdr_applayer *a, struct mdr_app_event *ev)
{
	if (ev && ev != &a->scratch)
		mdr_pool_put(a->tx, ev);
}

int app_buf_append(struct mdr_applayer *a, struct msgbuf *m, const uint8_t *d, uint32_t n)
{
	uint32_t room;

	m->seen += n;
	if (!m->buf) {
		m->buf = mdr_pool_get(a->bufs);
		if (!m->buf) {
			a->st.no_buffer++;
			return -1;
		}
		m->len = 0;
	}
	room = APP_BUF_SIZE - m->len;
	if (n > room) {
		n = room;
		a->st.truncated++;
	}
	memcpy(m->buf + m->len, d, n);
	m->len += n;
	return 0;
}

void app_buf_release(struct mdr_applayer *a, struct msgbuf *m)
{
	if (m->buf)
		mdr_pool_put(a->bufs, m->buf);
	memset(m, 0, sizeof(*m));
}

int app_copy_str(char *dst, size_t len, const uint8_t *src, size_t n)
{
	size_t i;
	int cut = 0;

	if (!len)
		return 1;
	if (n > len - 1) {
		n = len - 1;
		cut = 1;
	}
	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '.';
	dst[i] = 0;
	return cut;
}

void app_strcpy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len ? len - 1 : 0);

	if (!len)
		return;
	memcpy(dst, src, n);
	dst[n] = 0;
}

void app_set_cred(struct mdr_applayer *a, struct app_flow *af, const char *proto,
		  const char *user, size_t ulen, bool password_seen)
{
	struct app_meta *m = &af->meta;

	if (user && ulen && !m->cred_user[0])
		app_copy_str(m->cred_user, sizeof(m->cred_user), (const uint8_t *)user, ulen);
	if (!m->cred_proto[0] || (password_seen && !m->cred))
		snprintf(m->cred_proto, sizeof(m->cred_proto), "%s", proto);
	if (password_seen && !m->cred) {
		m->cred = 1;
		a->st.creds++;
	}
}

/* ---- per flow ---- */

/*
 * Streams we do not parse give their state back at once and point at this
 * shared, never written, "done both ways" state instead.
 */
static struct app_flow other_flow = { .proto = AP_OTHER, .done = { 1, 1 } };

static void release_other(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af)
{
	mdr_pool_put(a->flows, af);
	f->ext[MDR_FLOW_EXT_APP] = &other_flow;
}

static struct app_flow *flow_state(struct mdr_applayer *a, struct mdr_flow *f)
{
	struct app_flow *af = f->ext[MDR_FLOW_EXT_APP];

	if (af)
		return af;
	af = mdr_pool_get(a->flows);
	if (!af) {
		a->st.no_state++;
		return NULL;
	}
	a->st.flows++;
	f->ext[MDR_FLOW_EXT_APP] = af;
	return af;
}

/*
 * Does d start with s? MAYBE when d is a shorter prefix of s: the next
 * bytes decide.
 */
enum { NO = 0, YES, MAYBE };

static int starts(const uint8_t *d, uint32_t n, const char *s)
{
	size_t l = strlen(s);

	if (memcmp(d, s, n < l ? n : l) != 0)
		return NO;
	return n >= l ? YES : MAYBE;
}

static bool line_has(const uint8_t *d, uint32_t n, const char *word)
{
	size_t l = strlen(word);

	for (uint32_t i = 0; i + l <= n && d[i] != '\n'; i++)
		if (!strncasecmp((const char *)d + i, word, l))
			return true;
	return false;
}

/* First of several signatures that matches; MAYBE when one still could. */
static int starts_any(const uint8_t *d, uint32_t n, const char *const *sigs, size_t k)
{
	int r = NO;

	for (size_t i = 0; i < k; i++) {
		int m = starts(d, n, sigs[i]);

		if (m == YES)
			return YES;
		if (m == MAYBE)
			r = MAYBE;
	}
	return r;
}

static uint8_t greeting(const struct mdr_flow *f, const uint8_t *d, uint32_t n, bool final)
{
	static const char *const greet[] = { "220", "+OK", "* OK", "* PREAUTH" };
	uint16_t port = f->key.dport;

	if (starts_any(d, n, greet, 4) == MAYBE && !final)
		return AP_NONE;
	if (starts(d, n, "220") == YES) {
		if (port == 21)
			return AP_FTP;
		if (port == 25 || port == 587 || port == 2525 || line_has(d, n, "SMTP"))
			return AP_SMTP;
		return line_has(d, n, "mail") ? AP_SMTP : AP_FTP;
	}
	if (starts(d, n, "+OK") == YES)
		return AP_POP3;
	if (starts(d, n, "* OK") == YES || starts(d, n, "* PREAUTH") == YES)
		return AP_IMAP;
	return AP_OTHER;
}

/* A TLS handshake record: YES with its first message type, MAYBE, NO. */
static int tls_start(const uint8_t *d, uint32_t n, uint8_t *hs_type)
{
	if (d[0] != 0x16 || (n > 1 && d[1] != 0x03) || (n > 2 && d[2] > 0x04))
		return NO;
	if (n < 6)
		return MAYBE;
	*hs_type = d[5];
	return YES;
}

/*
 * The protocol of a stream from its first n bytes of direction dir;
 * AP_NONE: need more. *swap: the bytes say the flow's orientation is wrong
 * (a flow picked up mid-way, whose first packet came from the server: the
 * "client" sends a response or a ServerHello, the "server" a request).
 */
static uint8_t sniff(const struct mdr_flow *f, int dir, const uint8_t *d, uint32_t n, bool final,
		     uint8_t *swap)
{
	static const char *const http[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ",
					    "OPTIONS ", "CONNECT ", "PATCH ", "TRACE " };
	int ssh = starts(d, n, "SSH-"), req = starts_any(d, n, http, 9);
	int resp = starts(d, n, "HTTP/1."), tls;
	uint8_t hs = 0;

	if (ssh == YES)
		return AP_SSH;
	if (f->key.dport == 53 || f->key.sport == 53)
		return AP_DNS;
	if (f->key.dport == 23 || d[0] == 0xff)
		return AP_TELNET;
	tls = tls_start(d, n, &hs);
	if (tls == YES) {
		*swap = (dir == 0 && hs == 2) || (dir == 1 && hs == 1);
		return AP_TLS;
	}
	if ((dir == 0 && (req == YES || http_is_request_start(d, n))) || (dir == 1 && resp == YES))
		return AP_HTTP;
	if ((dir == 1 && (req == YES || http_is_request_start(d, n))) || (dir == 0 && resp == YES)) {
		*swap = 1;
		return AP_HTTP;
	}
	if (!final && (ssh == MAYBE || req == MAYBE || resp == MAYBE || tls == MAYBE))
		return AP_NONE;
	if (dir == 0)
		return AP_OTHER;
	return greeting(f, d, n, final);
}

/* Bytes of flow direction fdir to the stream's parser (in its own direction). */
static void dispatch(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
		     int fdir, const uint8_t *d, uint32_t n)
{
	int dir = fdir ^ af->swap;

	if (af->done[dir])
		return;
	switch (af->proto) {
	case AP_HTTP: http_data(a, f, af, dir, d, n); break;
	case AP_TLS: tls_data(a, f, af, dir, d, n); break;
	case AP_SSH: ssh_data(a, f, af, dir, d, n); break;
	case AP_DNS: dnstcp_data(a, f, af, dir, d, n); break;
	case AP_FTP: case AP_SMTP: case AP_POP3: case AP_IMAP: case AP_TELNET: {
		uint32_t used = cred_data(a, af, dir, d, n);

		/* STARTTLS: the line parser handed the stream over to TLS */
		if (af->proto == AP_TLS && used < n)
			tls_data(a, f, af, dir, d + used, n - used);
		break;
	}
	default:
		af->done[0] = af->done[1] = 1;
		break;
	}
}

/*
 * The first bytes of each direction are held (APP_SNIFF at most) until
 * they tell the protocol; then they are replayed, both directions, to the
 * parser before the rest.
 */
static bool recognise(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
		      const uint8_t **data, uint32_t *len)
{
	uint8_t *sb = af->sniff[dir];
	uint32_t take = APP_SNIFF - af->sniff_len[dir];
	bool fresh = af->sniff_len[dir] == 0;  /* all held bytes are in this segment */

	if (take > *len)
		take = *len;
	memcpy(sb + af->sniff_len[dir], *data, take);
	af->sniff_len[dir] = (uint8_t)(af->sniff_len[dir] + take);
	*data += take;
	*len -= take;
	af->proto = sniff(f, dir, sb, af->sniff_len[dir], af->sniff_len[dir] == APP_SNIFF, &af->swap);
	if (af->proto == AP_NONE)
		return false;
	if (af->sniff_len[dir ^ 1])     /* the other side came first */
		dispatch(a, f, af, dir ^ 1, af->sniff[dir ^ 1], af->sniff_len[dir ^ 1]);
	if (fresh) {                    /* parse from the segment itself, no copy */
		*data -= take;
		*len += take;
	} else {
		dispatch(a, f, af, dir, sb, af->sniff_len[dir]);
	}
	af->sniff_len[0] = af->sniff_len[1] = 0;
	return true;
}

void mdr_app_stream(struct mdr_applayer *a, struct mdr_flow *f, int dir,
		    const uint8_t *data, uint32_t len, mdr_time_t ts)
{
	struct app_flow *af;

	if (!len)
		return;
	af = flow_state(a, f);
	if (!af || af->done[dir ^ af->swap])
		return;
	a->now = ts;
	af->seen[dir] = 1;
	if (af->proto == AP_NONE && !recognise(a, f, af, dir, &data, &len))
		return;
	if (len)
		dispatch(a, f, af, dir, data, len);
	if (af->proto == AP_OTHER)
		release_other(a, f, af);
}

void mdr_app_gap(struct mdr_applayer *a, struct mdr_flow *f, int fdir, uint64_t len)
{
	struct app_flow *af = f->ext[MDR_FLOW_EXT_APP];
	int dir;

	if (!af)
		return;
	dir = fdir ^ af->swap;
	if (af->done[dir])
		return;
	if (af->proto == AP_HTTP) {
		http_gap(a, af, dir, len);
		return;
	}
	/* not recognised yet: what was held is not contiguous, sniff what follows */
	if (af->proto == AP_NONE) {
		af->sniff_len[fdir] = 0;
		return;
	}
	/* framing of the other protocols is lost with the bytes */
	af->done[dir] = 1;
}

bool mdr_app_stream_done(const struct mdr_flow *f, int dir)
{
	const struct app_flow *af = f->ext[MDR_FLOW_EXT_APP];

	return af && af->done[dir ^ af->swap];
}

void mdr_app_udp(struct mdr_applayer *a, struct mdr_flow *f, int dir,
		 const struct mdr_pkt *p)
{
	struct app_flow *af;

	if (p->key.proto != 17 || (p->key.sport != 53 && p->key.dport != 53) ||
	    p->payload_len < 12)
		return;
	af = flow_state(a, f);
	if (!af)
		return;
	a->now = p->ts;
	af->proto = AP_DNS;
	dns_udp(a, f, af, dir, p->payload, p->payload_len);
}

static void copy_meta(const struct app_meta *s, struct mdr_flow_meta *m, uint16_t ntx)
{
#define CP(dst, src) do { if (!(dst)[0] && (src)[0]) app_strcpy(dst, sizeof(dst), src); } while (0)
	CP(m->sni, s->sni);
	CP(m->http_host, s->http_host);
	CP(m->dns_query, s->dns_query);
	CP(m->ja3, s->ja3);
	CP(m->ja3s, s->ja3s);
	CP(m->ja4, s->ja4);
	CP(m->cred_proto, s->cred_proto);
	CP(m->cred_user, s->cred_user);
	CP(m->ssh_client, s->ssh_client);
	CP(m->ssh_server, s->ssh_server);
	CP(m->hassh, s->hassh);
	CP(m->hassh_server, s->hassh_server);
#undef CP
	m->cleartext_cred |= s->cred;
	m->app_tx = ntx;
}

static void flow_finish(struct mdr_applayer *a, struct app_flow *af)
{
	switch (af->proto) {
	case AP_HTTP: http_end(a, af); break;
	case AP_TLS: tls_end(a, af); break;
	case AP_SSH: ssh_end(a, af); break;
	case AP_DNS: dnstcp_end(a, af); break;
	default: break;
	}
}

void mdr_app_fill(struct mdr_applayer *a, struct mdr_flow *f,
		  struct mdr_flow_meta *meta, bool final)
{
	struct app_flow *af = f->ext[MDR_FLOW_EXT_APP];

	if (!af)
		return;
	if (af == &other_flow) {
		if (final)
			f->ext[MDR_FLOW_EXT_APP] = NULL;
		return;
	}
	if (final) {
		a->now = f->last;
		flow_finish(a, af);
	}
	copy_meta(&af->meta, meta, (uint16_t)(af->next_tx > 65535 ? 65535 : af->next_tx));
	if (final) {
		mdr_pool_put(a->flows, af);
		f->ext[MDR_FLOW_EXT_APP] = NULL;
	}
}
