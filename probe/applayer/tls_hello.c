/*
 * tls_hello.c - ClientHello and ServerHello: SNI, ALPN, versions, and the
 * JA3, JA3S and JA4 fingerprints.
 *
 * JA3 (Salesforce): MD5 of "version,ciphers,extensions,groups,formats",
 * decimal values joined by '-', GREASE values left out. JA3S: MD5 of
 * "version,cipher,extensions" of the ServerHello.
 * JA4 (FoxIO, TLS client): "a_b_c" where
 *   a = 't' (TCP) or 'q' (QUIC), the highest version offered ("13", "12",
 *       ... from supported_versions, else the legacy version), 'd' with an
 *       SNI / 'i' without, the cipher and extension counts (2 digits, at
 *       most 99, GREASE left out), and the first and last characters of
 *       the first ALPN value ("00" without ALPN; its hex digits when a
 *       character is not alphanumeric);
 *   b = first 12 hex digits of SHA-256 of the sorted ciphers as 4-digit
 *       hex joined by ',' ("000000000000" when there are none);
 *   c = the same of the sorted extensions without SNI (0000) and ALPN
 *       (0010), then '_' and the signature algorithms in their order
 *       (no '_' when there are none).
 * Every length is checked against what is left: a truncated or lying hello
 * stops the parse (-1) and only what was read before is kept.
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 512

struct rd {
	const uint8_t *p;
	uint32_t n;
	bool bad;
};

static uint32_t get(struct rd *r, uint32_t bytes)
{
	uint32_t v = 0;

	if (r->bad || r->n < bytes) {
		r->bad = true;
		return 0;
	}
	for (uint32_t i = 0; i < bytes; i++)
		v = v << 8 | r->p[i];
	r->p += bytes;
	r->n -= bytes;
	return v;
}

/* A sub-reader over the next len bytes (len read as `bytes` bytes). */
static struct rd sub(struct rd *r, uint32_t bytes)
{
	uint32_t len = get(r, bytes);
	struct rd s = { r->p, len, r->bad || r->n < len };

	if (s.bad) {
		r->bad = true;
		s.n = 0;
		return s;
	}
	r->p += len;
	r->n -= len;
	return s;
}

static bool grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Append "%u" values joined by '-' to a JA3 string. */
static void ja3_list(char *s, size_t len, const uint16_t *v, int n)
{
	size_t o = strlen(s);

	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(s + o, len - o, i ? "-%u" : "%u", v[i]);
}

static int cmp16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* First 12 hex digits of SHA-256 over "xxxx,xxxx..." (+ "_" + tail). */
static void ja4_hash(const uint16_t *v, int n, const uint16_t *tail, int nt, char out[13])
{
	struct mdr_sha256 c;
	char item[8];
	uint8_t d[32];
	char hex[65];

	if (!n) {
		memcpy(out, "000000000000", 13);
		return;
	}
	mdr_sha256_init(&c);
	for (int i = 0; i < n; i++) {
		snprintf(item, sizeof(item), i ? ",%04x" : "%04x", v[i]);
		mdr_sha256_update(&c, item, strlen(item));
	}
	for (int i = 0; i < nt; i++) {
		snprintf(item, sizeof(item), i ? ",%04x" : "_%04x", tail[i]);
		mdr_sha256_update(&c, item, strlen(item));
	}
	mdr_sha256_final(&c, d);
	mdr_hex(d, 32, hex);
	memcpy(out, hex, 12);
	out[12] = 0;
}

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Everything a ClientHello yields, before formatting. */
struct hello {
	uint16_t version, max_version;
	uint16_t ciphers[MAX_LIST], exts[MAX_LIST], groups[MAX_LIST], sigalgs[MAX_LIST];
	uint8_t formats[MAX_LIST];
	int nciph, next, ngroups, nsig, nfmt;
	bool has_sni;
	uint8_t alpn0[2];               /* first and last byte of the first ALPN */
	bool has_alpn;
};

static void skip(struct rd *r, uint32_t n)
{
	if (r->bad || r->n < n) {
		r->bad = true;
		return;
	}
	r->p += n;
	r->n -= n;
}

static int list16(struct rd l, uint16_t *out, int *n, bool no_grease)
{
	while (l.n >= 2) {
		uint16_t v = (uint16_t)get(&l, 2);

		if ((no_grease && grease(v)) || *n >= MAX_LIST)
			continue;
		out[(*n)++] = v;
	}
	return l.n ? -1 : 0;
}

static void ext_sni(struct rd e, struct mdr_app_tls *t, struct hello *h)
{
	struct rd list = sub(&e, 2);

	h->has_sni = true;
	while (list.n >= 3 && !list.bad) {
		uint32_t type = get(&list, 1);
		struct rd name = sub(&list, 2);

		if (!list.bad && type == 0 && !t->sni[0])
			app_copy_str(t->sni, sizeof(t->sni), name.p, name.n);
	}
}

static void ext_alpn(struct rd e, char *out, size_t len, struct hello *h)
{
	struct rd list = sub(&e, 2);
	size_t o = strlen(out);

	while (list.n && !list.bad) {
		struct rd v = sub(&list, 1);

		if (list.bad || !v.n)
			break;
		if (h && !h->has_alpn) {
			h->has_alpn = true;
			h->alpn0[0] = v.p[0];
			h->alpn0[1] = v.p[v.n - 1];
		}
		if (o + 2 < len) {
			if (o)
				out[o++] = ',';
			app_copy_str(out + o, len - o, v.p, v.n);
			o = strlen(out);
		}
	}
}

static void client_ext(uint16_t type, struct rd body, struct mdr_app_tls *t, struct hello *h)
{
	struct rd l;

	switch (type) {
	case 0: ext_sni(body, t, h); break;
	case 10: list16(sub(&body, 2), h->groups, &h->ngroups, true); break;
	case 11:
		l = sub(&body, 1);
		for (uint32_t i = 0; i < l.n && h->nfmt < MAX_LIST; i++)
			h->formats[h->nfmt++] = l.p[i];
		break;
	case 13: list16(sub(&body, 2), h->sigalgs, &h->nsig, false); break;
	case 16: ext_alpn(body, t->alpn_client, sizeof(t->alpn_client), h); break;
	case 43:
		l = sub(&body, 1);
		while (l.n >= 2) {
			uint16_t v = (uint16_t)get(&l, 2);

			if (!grease(v) && v > h->max_version)
				h->max_version = v;
		}
		break;
	default: break;
	}
}

static void ja3_client(const struct hello *h, char out[33])
{
	struct mdr_md5 c;
	char buf[MAX_LIST * 6 + 16];
	uint16_t fmt[MAX_LIST];
	uint8_t d[16];

	for (int i = 0; i < h->nfmt; i++)
		fmt[i] = h->formats[i];
	mdr_md5_init(&c);
	snprintf(buf, sizeof(buf), "%u,", h->version);
	ja3_list(buf, sizeof(buf), h->ciphers, h->nciph);
	mdr_md5_update(&c, buf, strlen(buf));
	buf[0] = ',';
	buf[1] = 0;
	ja3_list(buf, sizeof(buf), h->exts, h->next);
	mdr_md5_update(&c, buf, strlen(buf));
	buf[1] = 0;
	ja3_list(buf, sizeof(buf), h->groups, h->ngroups);
	mdr_md5_update(&c, buf, strlen(buf));
	buf[1] = 0;
	ja3_list(buf, sizeof(buf), fmt, h->nfmt);
	mdr_md5_update(&c, buf, strlen(buf));
	mdr_md5_final(&c, d);
	mdr_hex(d, 16, out);
}

static void ja4_client(const struct hello *h, bool quic, char out[40])
{
	static const char hx[] = "0123456789abcdef";
	uint16_t ciph[MAX_LIST], ext[MAX_LIST];
	int ne = 0;
	char a[24], b[13], c[13], alpn[3] = "00";

	memcpy(ciph, h->ciphers, sizeof(uint16_t) * (size_t)h->nciph);
	qsort(ciph, (size_t)h->nciph, sizeof(uint16_t), cmp16);
	for (int i = 0; i < h->next; i++)
		if (h->exts[i] != 0x0000 && h->exts[i] != 0x0010)
			ext[ne++] = h->exts[i];
	qsort(ext, (size_t)ne, sizeof(uint16_t), cmp16);
	if (h->has_alpn) {
		if (alnum(h->alpn0[0]) && alnum(h->alpn0[1])) {
			alpn[0] = (char)h->alpn0[0];
			alpn[1] = (char)h->alpn0[1];
		} else {
			alpn[0] = hx[h->alpn0[0] >> 4];
			alpn[1] = hx[h->alpn0[1] & 15];
		}
	}
	snprintf(a, sizeof(a), "%c%s%c%02u%02u%s", quic ? 'q' : 't',
		 ja4_version(h->max_version ? h->max_version : h->version),
		 h->has_sni ? 'd' : 'i', (unsigned)(h->nciph > 99 ? 99 : h->nciph) % 100u,
		 (unsigned)(h->next > 99 ? 99 : h->next) % 100u, alpn);
	ja4_hash(ciph, h->nciph, NULL, 0, b);
	if (ne)
		ja4_hash(ext, ne, h->sigalgs, h->nsig, c);
	else
		memcpy(c, "000000000000", 13);
	memcpy(out, a, 10);
	out[10] = '_';
	memcpy(out + 11, b, 12);
	out[23] = '_';
	memcpy(out + 24, c, 13);        /* 12 digits and the terminator */
}

int tls_parse_client_hello(const uint8_t *b, uint32_t n, struct mdr_app_tls *t, bool quic)
{
	struct hello hs, *h = &hs;
	struct rd r = { b, n, false }, ciphers, e;
	int rc = 0;

	memset(h, 0, sizeof(*h));
	h->version = (uint16_t)get(&r, 2);
	skip(&r, 32);
	sub(&r, 1);                     /* session id */
	ciphers = sub(&r, 2);
	sub(&r, 1);                     /* compression methods */
	if (r.bad || list16(ciphers, h->ciphers, &h->nciph, true))
		return -1;
	e = r.n >= 2 ? sub(&r, 2) : (struct rd){ NULL, 0, false };
	while (e.n >= 4 && !e.bad) {
		uint16_t type = (uint16_t)get(&e, 2);
		struct rd body = sub(&e, 2);

		if (e.bad)
			break;
		if (!grease(type) && h->next < MAX_LIST)
			h->exts[h->next++] = type;
		client_ext(type, body, t, h);
	}
	if (e.bad || r.bad)
		rc = -1;
	t->client_version = h->max_version > h->version ? h->max_version : h->version;
	ja3_client(h, t->ja3);
	ja4_client(h, quic, t->ja4);
	return rc;
}

int tls_parse_server_hello(const uint8_t *b, uint32_t n, struct mdr_app_tls *t)
{
	struct rd r = { b, n, false }, e;
	uint16_t version, cipher, exts[MAX_LIST] = { 0 }, selected = 0;
	int next = 0;
	char buf[MAX_LIST * 6 + 32];

	version = (uint16_t)get(&r, 2);
	skip(&r, 32);
	sub(&r, 1);
	cipher = (uint16_t)get(&r, 2);
	get(&r, 1);
	if (r.bad)
		return -1;
	e = r.n >= 2 ? sub(&r, 2) : (struct rd){ NULL, 0, false };
	while (e.n >= 4 && !e.bad) {
		uint16_t type = (uint16_t)get(&e, 2);
		struct rd body = sub(&e, 2);

		if (e.bad)
			break;
		if (!grease(type) && next < MAX_LIST)
			exts[next++] = type;
		if (type == 43 && body.n >= 2)
			selected = (uint16_t)get(&body, 2);
		else if (type == 16)
			ext_alpn(body, t->alpn_server, sizeof(t->alpn_server), NULL);
	}
	t->has_server_hello = 1;
	t->version = selected ? selected : version;
	snprintf(buf, sizeof(buf), "%u,%u,", version, cipher);
	ja3_list(buf, sizeof(buf), exts, next);
	mdr_md5_hex(buf, strlen(buf), t->ja3s);
	return e.bad || r.bad ? -1 : 0;
}
