/*
 * http.c - HTTP/1.x over the reassembled stream, every transaction of a
 * keep-alive (and pipelined) connection.
 *
 * Each direction runs the same small machine: START (skip blank lines) ->
 * HEADERS (collect the header block up to the empty line; parsed in place
 * when one segment holds it, else gathered in a pooled 8 KiB buffer) ->
 * a body framed by Content-Length, chunked coding (sizes, data, CRLFs,
 * trailers) or, for a response with neither, the end of the connection ->
 * START again. Requests queue up (pipelining) and each response completes
 * the oldest one; a transaction is emitted when its response body ends
 * (or at flow end). 1xx responses are interim; HEAD, 204 and 304 have no
 * body; 101 ends HTTP on the connection, a successful CONNECT hands it to
 * the TLS parser (what a proxy tunnels is usually TLS). A start
 * line that does not parse marks the direction dead (counted): garbage
 * never crashes the parser and never blocks the other direction.
 */
#include "app_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum { H_START = 0, H_HEADERS, H_BODY, H_CHUNK_SIZE, H_CHUNK_DATA, H_CHUNK_CRLF,
       H_TRAILER, H_CLOSE };

#define HDR_MAX_SEEN (256u * 1024)  /* a header block this long is garbage */

static const char *const methods[] = {
	"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ",
	"TRACE ", "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ",
	"REPORT ", "SEARCH ", "SUBSCRIBE ", "NOTIFY ", "M-SEARCH ",
};

bool http_is_request_start(const uint8_t *d, uint32_t n)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t l = strlen(methods[i]);

		if (n >= l && memcmp(d, methods[i], l) == 0)
			return true;
	}
	return false;
}

/* ---- small text helpers ---- */

struct span {
	const uint8_t *p;
	uint32_t n;
};

static struct span trim(const uint8_t *p, uint32_t n)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return (struct span){ p, n };
}

static bool name_is(struct span name, const char *s)
{
	return name.n == strlen(s) && !strncasecmp((const char *)name.p, s, name.n);
}

static bool parse_u64(struct span v, uint64_t *out)
{
	uint64_t x = 0;

	if (!v.n)
		return false;
	for (uint32_t i = 0; i < v.n; i++) {
		if (!isdigit(v.p[i]) || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = x;
	return true;
}

static bool contains_ci(struct span v, const char *w)
{
	size_t l = strlen(w);

	for (uint32_t i = 0; i + l <= v.n; i++)
		if (!strncasecmp((const char *)v.p + i, w, l))
			return true;
	return false;
}

/* Split off the next token ending at a space. */
static struct span token(struct span *line)
{
	struct span t = { line->p, 0 };

	while (t.n < line->n && line->p[t.n] != ' ')
		t.n++;
	line->p += t.n;
	line->n -= t.n;
	while (line->n && *line->p == ' ') {
		line->p++;
		line->n--;
	}
	return t;
}

/* ---- Basic credentials ---- */

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

/* Decode base64 into out (at most outlen bytes); returns bytes written. */
size_t app_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n && o < outlen; i++) {
		int v = b64val(in[i]);

		if (v < 0)
			continue;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static void basic_auth(struct mdr_applayer *a, struct app_flow *af, struct mdr_app_http *h,
		       struct span v)
{
	uint8_t dec[192];
	size_t n, u;

	if (v.n < 6 || strncasecmp((const char *)v.p, "Basic", 5) != 0)
		return;
	v = trim(v.p + 5, v.n - 5);
	n = app_b64_decode(v.p, v.n, dec, sizeof(dec));
	for (u = 0; u < n && dec[u] != ':'; u++)
		;
	h->auth_basic = 1;
	app_copy_str(h->auth_user, sizeof(h->auth_user), dec, u);
	app_set_cred(a, af, "http", (const char *)dec, u, u < n);
	memset(dec, 0, sizeof(dec));    /* the password does not outlive this call */
}

/* ---- header blocks ---- */

struct hdr_info {
	uint64_t clen;
	uint8_t has_clen, chunked, upgrade;
};

static void copy_field(struct mdr_app_http *h, char *dst, size_t len, struct span v)
{
	if (app_copy_str(dst, len, v.p, v.n))
		h->truncated = 1;
}

static void request_header(struct mdr_applayer *a, struct app_flow *af, struct mdr_app_http *h,
			   struct span name, struct span v)
{
	if (name_is(name, "Host"))
		copy_field(h, h->hostname, sizeof(h->hostname), v);
	else if (name_is(name, "User-Agent"))
		copy_field(h, h->user_agent, sizeof(h->user_agent), v);
	else if (name_is(name, "Referer"))
		copy_field(h, h->referer, sizeof(h->referer), v);
	else if (name_is(name, "Authorization") || name_is(name, "Proxy-Authorization"))
		basic_auth(a, af, h, v);
}

static void response_header(struct mdr_app_http *h, struct span name, struct span v)
{
	if (h && name_is(name, "Content-Type"))
		copy_field(h, h->content_type, sizeof(h->content_type), v);
}

/*
 * Walk the header lines after the start line. req: request headers go to h
 * (may be NULL); framing headers go to info either way.
 */
static void walk_headers(struct mdr_applayer *a, struct app_flow *af, struct mdr_app_http *h,
			 bool req, const uint8_t *p, uint32_t n, struct hdr_info *info)
{
	while (n) {
		const uint8_t *lf = memchr(p, '\n', n);
		uint32_t l = lf ? (uint32_t)(lf - p) : n;
		const uint8_t *colon = memchr(p, ':', l);

		if (colon && p[0] != ' ' && p[0] != '\t') {
			struct span name = trim(p, (uint32_t)(colon - p));
			struct span v = trim(colon + 1, l - (uint32_t)(colon + 1 - p));

			if (name_is(name, "Content-Length") && !info->has_clen)
				info->has_clen = parse_u64(v, &info->clen);
			else if (name_is(name, "Transfer-Encoding"))
				info->chunked = contains_ci(v, "chunked");
			else if (name_is(name, "Upgrade"))
				info->upgrade = 1;
			if (req && h)
				request_header(a, af, h, name, v);
			else if (!req)
				response_header(h, name, v);
		}
		if (!lf)
			break;
		p = lf + 1;
		n -= l + 1;
	}
}

static struct span first_line(const uint8_t *p, uint32_t n, uint32_t *rest)
{
	const uint8_t *lf = memchr(p, '\n', n);
	uint32_t l = lf ? (uint32_t)(lf - p) : n;

	*rest = lf ? l + 1 : n;
	return trim(p, l);
}

/* ---- transactions ---- */

static void tx_complete(struct mdr_applayer *a, struct http_state *hs)
{
	struct mdr_app_event *ev;

	if (!hs->npend)
		return;
	ev = hs->pend[0];
	memmove(hs->pend, hs->pend + 1, (size_t)(hs->npend - 1) * sizeof(hs->pend[0]));
	memmove(hs->req_flags, hs->req_flags + 1, (size_t)(hs->npend - 1));
	hs->npend--;
	if (hs->cur_req == ev)
		hs->cur_req = NULL;
	app_tx_emit(a, ev);
}

static struct mdr_app_event *tx_push(struct mdr_applayer *a, struct mdr_flow *f,
				     struct app_flow *af, uint8_t flags)
{
	struct http_state *hs = &af->u.http;
	struct mdr_app_event *ev;

	if (hs->npend == HTTP_MAX_PENDING)
		tx_complete(a, hs);     /* oldest goes out without its response */
	ev = app_tx_new(a, f, af, MDR_APP_HTTP);
	if (!ev)
		return NULL;
	hs->pend[hs->npend] = ev;
	hs->req_flags[hs->npend++] = flags;
	return ev;
}

/* "example.com:8080" -> "example.com", "[::1]:80" -> "::1" (EVE's hostname has no port). */
static void strip_port(char *host)
{
	char *c = strrchr(host, ':');
	char *b = strchr(host, ']');

	if (host[0] == '[') {
		if (!b || (b[1] && b[1] != ':'))
			return;
		memmove(host, host + 1, (size_t)(b - host - 1));
		b[-1] = 0;
		return;
	}
	if (!c || strchr(host, ':') != c)
		return;                 /* no port, or a bare IPv6 address */
	for (char *p = c + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return;
	*c = 0;
}

static bool valid_method(struct span m)
{
	if (!m.n || m.n > 20)
		return false;
	for (uint32_t i = 0; i < m.n; i++)
		if (!isupper(m.p[i]) && m.p[i] != '-' && m.p[i] != '_')
			return false;
	return true;
}

static void set_body(struct http_dir *hd, const struct hdr_info *info, bool resp, bool none)
{
	hd->left = 0;
	hd->eoh = 0;
	if (none)
		hd->state = H_START;
	else if (info->chunked)
		hd->state = H_CHUNK_SIZE;
	else if (info->has_clen) {
		hd->state = info->clen ? H_BODY : H_START;
		hd->left = info->clen;
	} else
		hd->state = resp ? H_CLOSE : H_START;
}

/*
 * "URI HTTP/1.1": the version is the last word when it starts with HTTP/,
 * the URI everything before it (spaces included, as libhtp takes it);
 * without a version (HTTP/0.9 or garbage) the URI is the rest.
 */
static void split_target(struct span line, struct span *uri, struct span *ver)
{
	uint32_t sp = line.n;

	while (sp && line.p[sp - 1] != ' ')
		sp--;
	*ver = (struct span){ line.p + sp, line.n - sp };
	if (!sp || ver->n < 5 || memcmp(ver->p, "HTTP/", 5) != 0) {
		*uri = line;
		*ver = (struct span){ line.p, 0 };
		return;
	}
	*uri = trim(line.p, sp);
}

static bool request_head(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
			 const uint8_t *p, uint32_t n)
{
	struct http_state *hs = &af->u.http;
	struct hdr_info info = { 0 };
	uint32_t rest;
	struct span line = first_line(p, n, &rest);
	struct span method = token(&line), uri, ver;
	struct mdr_app_event *ev;
	struct mdr_app_http *h = NULL;
	uint8_t flags;

	split_target(line, &uri, &ver);
	if (!valid_method(method) || !uri.n)
		return false;
	flags = name_is(method, "HEAD") ? HTTP_REQ_HEAD :
		name_is(method, "CONNECT") ? HTTP_REQ_CONNECT : 0;
	ev = tx_push(a, f, af, flags);
	if (ev) {
		h = &ev->u.http;
		copy_field(h, h->method, sizeof(h->method), method);
		copy_field(h, h->url, sizeof(h->url), uri);
		copy_field(h, h->protocol, sizeof(h->protocol), ver);
	}
	walk_headers(a, af, h, true, p + rest, n - rest, &info);
	if (h) {
		strip_port(h->hostname);
		if (!af->meta.http_host[0] && h->hostname[0])
			app_strcpy(af->meta.http_host, sizeof(af->meta.http_host), h->hostname);
	}
	hs->cur_req = ev;
	set_body(&hs->d[0], &info, false, false);
	return true;
}

static bool response_head(struct mdr_applayer *a, struct app_flow *af, const uint8_t *p,
			  uint32_t n)
{
	struct http_state *hs = &af->u.http;
	struct hdr_info info = { 0 };
	uint32_t rest, status = 0;
	struct span line = first_line(p, n, &rest);
	struct span ver = token(&line), code = token(&line);
	struct mdr_app_http *h = hs->npend ? &hs->pend[0]->u.http : NULL;
	uint8_t flags = hs->npend ? hs->req_flags[0] : 0;

	if (ver.n < 5 || memcmp(ver.p, "HTTP/", 5) != 0 || code.n != 3 ||
	    !isdigit(code.p[0]) || !isdigit(code.p[1]) || !isdigit(code.p[2]))
		return false;
	status = (uint32_t)((code.p[0] - '0') * 100 + (code.p[1] - '0') * 10 + (code.p[2] - '0'));
	if (status >= 100 && status < 200 && status != 101) {
		hs->d[1].state = H_START;   /* interim: the final response follows */
		return true;
	}
	if (h) {
		h->status = (uint16_t)status;
		if (!h->protocol[0])
			copy_field(h, h->protocol, sizeof(h->protocol), ver);
	}
	walk_headers(a, af, h, false, p + rest, n - rest, &info);
	if (status == 101 || ((flags & HTTP_REQ_CONNECT) && status < 300)) {
		tx_complete(a, hs);
		af->done[0] = af->done[1] = 1;  /* a tunnel or another protocol follows */
		hs->connect_ok = status != 101;
		return true;
	}
	set_body(&hs->d[1], &info, true,
		 (flags & HTTP_REQ_HEAD) || status == 204 || status == 304);
	if (hs->d[1].state == H_START)
		tx_complete(a, hs);
	return true;
}

/* ---- bodies ---- */

static void body_bytes(struct http_state *hs, int dir, uint64_t n)
{
	if (dir == 0 && hs->cur_req)
		hs->cur_req->u.http.request_body_len += n;
	else if (dir == 1 && hs->npend)
		hs->pend[0]->u.http.response_body_len += n;
}

static void body_done(struct mdr_applayer *a, struct http_state *hs, int dir)
{
	hs->d[dir].state = H_START;
	if (dir == 0)
		hs->cur_req = NULL;
	else
		tx_complete(a, hs);
}

static void dead(struct mdr_applayer *a, struct app_flow *af, int dir)
{
	struct http_dir *hd = &af->u.http.d[dir];

	hd->dead = 1;
	af->done[dir] = 1;
	app_buf_release(a, &hd->hdr);
	a->st.parse_errors++;
}

/* Position just past the empty line ending a header block, 0 if not in d. */
static uint32_t find_eoh(uint8_t *eoh, const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *lf;

		if (d[i] == '\n') {
			if (*eoh)
				return i + 1;
			*eoh = 1;
		} else if (d[i] != '\r') {
			*eoh = 0;
			lf = memchr(d + i, '\n', n - i);
			if (!lf)
				return 0;
			i = (uint32_t)(lf - d) - 1;
		}
	}
	return 0;
}

static uint32_t st_start(struct mdr_applayer *a, struct app_flow *af, int dir,
			 const uint8_t *d, uint32_t n)
{
	struct http_dir *hd = &af->u.http.d[dir];
	uint32_t i = 0;

	while (i < n && (d[i] == '\r' || d[i] == '\n'))
		i++;
	if (i == n)
		return n;
	if ((dir == 0 && !isupper(d[i])) || (dir == 1 && d[i] != 'H')) {
		dead(a, af, dir);
		return n;
	}
	hd->state = H_HEADERS;
	hd->eoh = 0;
	return i;
}

static uint32_t st_headers(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
			   int dir, const uint8_t *d, uint32_t n)
{
	struct http_dir *hd = &af->u.http.d[dir];
	uint32_t end = find_eoh(&hd->eoh, d, n);
	const uint8_t *blk = d;
	uint32_t blen = end;
	bool ok;

	if (!end) {
		app_buf_append(a, &hd->hdr, d, n);
		if (hd->hdr.seen > HDR_MAX_SEEN)
			dead(a, af, dir);
		return n;
	}
	if (hd->hdr.seen) {     /* the block started in an earlier segment */
		app_buf_append(a, &hd->hdr, d, end);
		blk = hd->hdr.buf;
		blen = hd->hdr.buf ? hd->hdr.len : 0;
	}
	ok = dir == 0 ? request_head(a, f, af, blk, blen) : response_head(a, af, blk, blen);
	app_buf_release(a, &hd->hdr);
	if (!ok)
		dead(a, af, dir);
	return end;
}

/* Chunk size line: hex digits, optional extension, LF. */
static uint32_t st_chunk_size(struct mdr_applayer *a, struct app_flow *af, int dir,
			      const uint8_t *d, uint32_t n)
{
	struct http_dir *hd = &af->u.http.d[dir];

	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = d[i];

		if (c == '\n') {
			if (!hd->eoh) {         /* no digits */
				dead(a, af, dir);
				return n;
			}
			hd->eoh = 1;
			hd->chunk_ext = 0;
			hd->state = hd->left ? H_CHUNK_DATA : H_TRAILER;
			return i + 1;
		}
		if (hd->chunk_ext || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (c == ';') {
			hd->chunk_ext = 1;
		} else if (isxdigit(c) && hd->left < (1ull << 40)) {
			hd->left = hd->left * 16 + (uint64_t)(isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
			hd->eoh = 1;
		} else {
			dead(a, af, dir);
			return n;
		}
	}
	return n;
}

static uint32_t st_chunk_crlf(struct http_dir *hd, const uint8_t *d)
{
	if (d[0] == '\r')
		return 1;
	hd->state = H_CHUNK_SIZE;
	hd->eoh = 0;
	hd->left = 0;
	return d[0] == '\n' ? 1 : 0;
}

static uint32_t step(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
		     const uint8_t *d, uint32_t n)
{
	struct http_state *hs = &af->u.http;
	struct http_dir *hd = &hs->d[dir];
	uint32_t take, end;

	switch (hd->state) {
	case H_START:
		return st_start(a, af, dir, d, n);
	case H_HEADERS:
		return st_headers(a, f, af, dir, d, n);
	case H_BODY:
	case H_CHUNK_DATA:
		take = hd->left < n ? (uint32_t)hd->left : n;
		body_bytes(hs, dir, take);
		hd->left -= take;
		if (!hd->left) {
			if (hd->state == H_BODY)
				body_done(a, hs, dir);
			else
				hd->state = H_CHUNK_CRLF;
		}
		return take;
	case H_CHUNK_SIZE:
		return st_chunk_size(a, af, dir, d, n);
	case H_CHUNK_CRLF:
		return st_chunk_crlf(hd, d);
	case H_TRAILER:
		end = find_eoh(&hd->eoh, d, n);
		if (!end)
			return n;
		body_done(a, hs, dir);
		return end;
	default: /* H_CLOSE: the body runs to the end of the connection */
		body_bytes(hs, dir, n);
		return n;
	}
}

/* CONNECT accepted: what follows is usually TLS; let the TLS parser judge. */
static void connect_tunnel(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
			   int dir, const uint8_t *d, uint32_t n)
{
	http_end(a, af);
	memset(&af->u, 0, sizeof(af->u));
	af->proto = AP_TLS;
	af->done[0] = af->done[1] = 0;
	if (n)
		tls_data(a, f, af, dir, d, n);
}

void http_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	       const uint8_t *d, uint32_t n)
{
	struct http_dir *hd = &af->u.http.d[dir];

	while (n && !hd->dead && !af->done[dir]) {
		uint32_t used = step(a, f, af, dir, d, n);

		d += used;
		n -= used;
	}
	if (af->u.http.connect_ok)
		connect_tunnel(a, f, af, dir, d, n);
}

void http_gap(struct mdr_applayer *a, struct app_flow *af, int dir, uint64_t n)
{
	struct http_state *hs = &af->u.http;
	struct http_dir *hd = &hs->d[dir];

	if (hd->dead)
		return;
	if ((hd->state == H_BODY || hd->state == H_CHUNK_DATA) && hd->left >= n) {
		body_bytes(hs, dir, n);
		hd->left -= n;
		if (!hd->left) {
			if (hd->state == H_BODY)
				body_done(a, hs, dir);
			else
				hd->state = H_CHUNK_CRLF;
		}
	} else if (hd->state == H_CLOSE) {
		body_bytes(hs, dir, n);
	} else {
		dead(a, af, dir);
		a->st.parse_errors--;   /* lost bytes, not garbage */
	}
}

void http_end(struct mdr_applayer *a, struct app_flow *af)
{
	struct http_state *hs = &af->u.http;

	while (hs->npend)
		tx_complete(a, hs);
	app_buf_release(a, &hs->d[0].hdr);
	app_buf_release(a, &hs->d[1].hdr);
}
