/*
 * test_applayer.c - the application-layer parsers on crafted streams.
 *
 * HTTP/1.x: keep-alive, pipelining, chunked bodies, interim and body-less
 * responses, the same conversation fed whole and one byte at a time,
 * garbage. Credentials of FTP, SMTP (AUTH LOGIN, AUTH PLAIN), POP3, IMAP,
 * Telnet and HTTP Basic: the user name is kept, the password never appears
 * in any event or in the flow's metadata. DNS answers and hostile names,
 * TLS hellos (JA3, JA3S and JA4 against hand-worked vectors, see below),
 * a certificate made with OpenSSL, SSH banners and HASSH, the digests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "applayer/app_int.h"
#include "common/mdr_hash.h"

#define PASSWORD "s3cr3tPW"
#define MAX_EV 64

static struct mdr_app_event evs[MAX_EV];
static int nev;

static void collect(void *ctx, const struct mdr_app_event *ev)
{
	(void)ctx;
	if (nev < MAX_EV)
		evs[nev++] = *ev;
}

struct session {
	struct mdr_applayer *a;
	struct mdr_flow f;
	struct mdr_flow_meta meta;
};

static void start(struct session *s, uint16_t dport)
{
	memset(s, 0, sizeof(*s));
	nev = 0;
	s->a = mdr_app_create(64, 0, collect, NULL);
	assert_non_null(s->a);
	s->f.key.ip_ver = 4;
	s->f.key.proto = 6;
	s->f.key.src.b[0] = 10;
	s->f.key.dst.b[0] = 192;
	s->f.key.sport = 40000;
	s->f.key.dport = dport;
	s->f.flow_id = 42;
	s->f.last = 1000;
}

static void feed(struct session *s, int dir, const void *d, size_t n)
{
	mdr_app_stream(s->a, &s->f, dir, d, (uint32_t)n, 1000);
}

static void feed_str(struct session *s, int dir, const char *str)
{
	feed(s, dir, str, strlen(str));
}

/* One byte per call: a message split over as many segments as it can be. */
static void feed_bytes(struct session *s, int dir, const char *str)
{
	for (size_t i = 0; str[i]; i++)
		feed(s, dir, str + i, 1);
}

static void finish(struct session *s)
{
	mdr_app_fill(s->a, &s->f, &s->meta, true);
}

static bool mem_has(const void *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* The password is nowhere: not in an event, not in the flow's metadata. */
static void assert_no_password(const struct session *s)
{
	for (int i = 0; i < nev; i++)
		assert_false(mem_has(&evs[i], sizeof(evs[i]), PASSWORD));
	assert_false(mem_has(&s->meta, sizeof(s->meta), PASSWORD));
}

static void end(struct session *s)
{
	const struct mdr_pool_stats *ps = mdr_pool_get_stats(s->a->bufs);

	assert_int_equal(ps->in_use, 0);        /* every buffer went back */
	assert_int_equal(mdr_pool_get_stats(s->a->tx)->in_use, 0);
	mdr_app_free(s->a);
}

/* ---- HTTP ---- */

static const char *req1 = "GET /a?x=1 HTTP/1.1\r\nHost: www.example.com:8080\r\n"
			  "User-Agent: test/1.0\r\nReferer: http://r.example/\r\n\r\n";
static const char *resp1 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";
static const char *req2 = "POST /upload HTTP/1.1\r\nHost: www.example.com\r\n"
			  "Content-Length: 3\r\n\r\nabc";
static const char *resp2 = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
static const char *req3 = "HEAD /h HTTP/1.1\r\nHost: h.example\r\n\r\n";
static const char *resp3 = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";

static void check_three(void)
{
	assert_int_equal(nev, 3);
	assert_int_equal(evs[0].type, MDR_APP_HTTP);
	assert_string_equal(evs[0].u.http.hostname, "www.example.com");
	assert_string_equal(evs[0].u.http.url, "/a?x=1");
	assert_string_equal(evs[0].u.http.method, "GET");
	assert_string_equal(evs[0].u.http.user_agent, "test/1.0");
	assert_string_equal(evs[0].u.http.referer, "http://r.example/");
	assert_string_equal(evs[0].u.http.content_type, "text/html");
	assert_int_equal(evs[0].u.http.status, 200);
	assert_int_equal(evs[0].u.http.response_body_len, 5);
	assert_string_equal(evs[1].u.http.method, "POST");
	assert_int_equal(evs[1].u.http.request_body_len, 3);
	assert_int_equal(evs[1].u.http.status, 404);
	assert_int_equal(evs[1].u.http.response_body_len, 11);
	assert_string_equal(evs[2].u.http.method, "HEAD");
	assert_int_equal(evs[2].u.http.status, 200);
	assert_int_equal(evs[2].u.http.response_body_len, 0);  /* HEAD: no body */
	for (int i = 0; i < 3; i++)
		assert_int_equal(evs[i].tx_id, (uint32_t)i);
}

static void test_http_keepalive(void **state)
{
	struct session s;

	(void)state;
	start(&s, 80);
	feed_str(&s, 0, req1);
	feed_str(&s, 1, resp1);
	assert_int_equal(nev, 1);       /* emitted as soon as its response ended */
	feed_str(&s, 0, req2);
	feed_str(&s, 1, resp2);
	feed_str(&s, 0, req3);
	feed_str(&s, 1, resp3);
	finish(&s);
	check_three();
	assert_string_equal(s.meta.http_host, "www.example.com");
	assert_int_equal(s.meta.app_tx, 3);
	end(&s);
}

static void test_http_pipelined(void **state)
{
	struct session s;
	char all_req[1024], all_resp[1024];

	(void)state;
	snprintf(all_req, sizeof(all_req), "%s%s%s", req1, req2, req3);
	snprintf(all_resp, sizeof(all_resp), "%s%s%s", resp1, resp2, resp3);
	start(&s, 80);
	feed_str(&s, 0, all_req);       /* three requests in one segment */
	assert_int_equal(nev, 0);
	feed_str(&s, 1, all_resp);
	finish(&s);
	check_three();
	end(&s);
}

static void test_http_split_bytes(void **state)
{
	struct session s;
	char all_req[1024], all_resp[1024];

	(void)state;
	snprintf(all_req, sizeof(all_req), "%s%s%s", req1, req2, req3);
	snprintf(all_resp, sizeof(all_resp), "%s%s%s", resp1, resp2, resp3);
	start(&s, 80);
	feed_bytes(&s, 0, all_req);
	feed_bytes(&s, 1, all_resp);
	finish(&s);
	check_three();
	end(&s);
}

static void test_http_request_lines(void **state)
{
	struct session s;

	(void)state;
	start(&s, 80);
	feed_str(&s, 0, "GET  /a b;c   HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n"
		 "GET /old\r\n\r\nPOST /x HTTP/1.0\r\nHost: [::1]\r\n\r\n"
		 "HEAD / HTTP/1.1\r\nHost: 2001:db8::2\r\n\r\n");
	finish(&s);
	assert_int_equal(nev, 4);
	assert_string_equal(evs[0].u.http.url, "/a b;c");
	assert_string_equal(evs[0].u.http.protocol, "HTTP/1.1");
	assert_string_equal(evs[0].u.http.hostname, "2001:db8::1");
	assert_string_equal(evs[1].u.http.url, "/old");     /* HTTP/0.9 style */
	assert_string_equal(evs[1].u.http.protocol, "");
	assert_string_equal(evs[2].u.http.hostname, "::1");
	assert_string_equal(evs[3].u.http.hostname, "2001:db8::2");
	end(&s);
}

/* A flow picked up mid-way from the server's side: the parser turns it round. */
static void test_http_turned_round(void **state)
{
	struct session s;

	(void)state;
	start(&s, 40001);                       /* "client" port 40000 is the server's 80 */
	s.f.key.sport = 80;
	feed_str(&s, 0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	feed_str(&s, 1, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
	feed_str(&s, 0, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	finish(&s);
	assert_int_equal(nev, 1);
	assert_string_equal(evs[0].u.http.url, "/next");
	assert_int_equal(evs[0].u.http.status, 404);
	assert_int_equal(evs[0].key.sport, 40001);   /* the real client */
	assert_int_equal(evs[0].key.dport, 80);
	end(&s);
}

static void test_http_interim_and_close(void **state)
{
	struct session s;

	(void)state;
	start(&s, 80);
	feed_str(&s, 0, "POST /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
	feed_str(&s, 1, "HTTP/1.1 100 Continue\r\n\r\n");
	feed_str(&s, 0, "ok");
	feed_str(&s, 1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	feed_str(&s, 0, "GET /stream HTTP/1.0\r\n\r\n");
	feed_str(&s, 1, "HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n\r\n0123456789");
	mdr_app_gap(s.a, &s.f, 1, 100);         /* lost bytes inside a body to close */
	feed_str(&s, 1, "0123456789");
	assert_int_equal(nev, 1);
	finish(&s);                             /* the body to close ends with the flow */
	assert_int_equal(nev, 2);
	assert_int_equal(evs[0].u.http.status, 201);
	assert_int_equal(evs[0].u.http.request_body_len, 2);
	assert_int_equal(evs[1].u.http.status, 200);
	assert_string_equal(evs[1].u.http.protocol, "HTTP/1.0");
	assert_int_equal(evs[1].u.http.response_body_len, 120);
	end(&s);
}

static void test_http_garbage(void **state)
{
	struct session s;
	uint8_t junk[4096];
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (uint8_t)(x >> 16);
		if (junk[i] == '\n')
			junk[i] = 'x';          /* no line ends: a header block never ends */
	}
	junk[0] = 0;                            /* not the start of a message */
	/* a good request, then binary garbage: one event, the direction gives up */
	start(&s, 80);
	feed_str(&s, 0, req1);
	feed(&s, 0, junk, sizeof(junk));
	feed_str(&s, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	feed(&s, 1, junk, sizeof(junk));
	feed_str(&s, 0, req1);                  /* ignored: the direction is dead */
	finish(&s);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].u.http.status, 200);
	assert_int_equal(mdr_app_get_stats(s.a)->parse_errors, 2);
	end(&s);
	/* bad chunk size, bad status line, header block without end */
	start(&s, 80);
	feed_str(&s, 0, req1);
	feed_str(&s, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	finish(&s);
	assert_int_equal(nev, 1);
	end(&s);
	start(&s, 80);
	feed_str(&s, 0, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 100; i++)
		feed(&s, 0, junk, sizeof(junk));     /* > 256 KiB of "headers": dead */
	finish(&s);
	assert_int_equal(nev, 0);
	end(&s);
	/* a very long URI is cut, not overflowed: in one segment, then in two
	 * (the header block then exceeds the 8 KiB buffer: the Host line is lost) */
	for (int split = 0; split < 2; split++) {
		char big[12000];

		memcpy(big, "GET /", 5);
		memset(big + 5, 'a', sizeof(big) - 40);
		snprintf(big + sizeof(big) - 35, 35, " HTTP/1.1\r\nHost: long\r\n\r\n");
		start(&s, 80);
		if (split) {
			feed(&s, 0, big, 6000);
			feed_str(&s, 0, big + 6000);
		} else {
			feed_str(&s, 0, big);
		}
		finish(&s);
		assert_int_equal(nev, 1);
		assert_int_equal(strlen(evs[0].u.http.url), sizeof(evs[0].u.http.url) - 1);
		assert_int_equal(evs[0].u.http.truncated, 1);
		assert_string_equal(evs[0].u.http.hostname, split ? "" : "long");
		end(&s);
	}
}

/* ---- credentials ---- */

static void test_cred_ftp(void **state)
{
	struct session s;

	(void)state;
	start(&s, 21);
	feed_str(&s, 1, "220 FTP server ready\r\n");
	feed_str(&s, 0, "USER alice\r\n");
	feed_str(&s, 1, "331 Password required\r\n");
	feed_str(&s, 0, "PASS " PASSWORD "\r\n");
	finish(&s);
	assert_string_equal(s.meta.cred_proto, "ftp");
	assert_string_equal(s.meta.cred_user, "alice");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	end(&s);
}

static void test_cred_smtp(void **state)
{
	struct session s;

	(void)state;
	start(&s, 25);                          /* AUTH LOGIN, split lines */
	feed_str(&s, 1, "220 mx.example.com ESMTP\r\n");
	feed_str(&s, 0, "EHLO c\r\nAUTH LOGIN\r\n");
	feed_str(&s, 1, "334 VXNlcm5hbWU6\r\n");
	feed_bytes(&s, 0, "YWxpY2U=\r\n");
	feed_str(&s, 1, "334 UGFzc3dvcmQ6\r\n");
	feed_str(&s, 0, "czNjcjN0UFc=\r\n");
	finish(&s);
	assert_string_equal(s.meta.cred_proto, "smtp");
	assert_string_equal(s.meta.cred_user, "alice");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	assert_false(mem_has(&s.meta, sizeof(s.meta), "czNjcjN0UFc="));
	end(&s);
	start(&s, 587);                         /* AUTH PLAIN: \0alice\0s3cr3tPW */
	feed_str(&s, 1, "220 mail ESMTP\r\n");
	feed_str(&s, 0, "AUTH PLAIN AGFsaWNlAHMzY3IzdFBX\r\n");
	finish(&s);
	assert_string_equal(s.meta.cred_user, "alice");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	end(&s);
}

static void test_cred_pop3_imap(void **state)
{
	struct session s;

	(void)state;
	start(&s, 110);
	feed_str(&s, 1, "+OK POP3 ready\r\n");
	feed_str(&s, 0, "USER alice\r\nPASS " PASSWORD "\r\n");
	finish(&s);
	assert_string_equal(s.meta.cred_proto, "pop3");
	assert_string_equal(s.meta.cred_user, "alice");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	end(&s);
	start(&s, 143);
	feed_str(&s, 1, "* OK IMAP4rev1 ready\r\n");
	feed_str(&s, 0, "a1 CAPABILITY\r\na2 LOGIN \"alice\" " PASSWORD "\r\n");
	finish(&s);
	assert_string_equal(s.meta.cred_proto, "imap");
	assert_string_equal(s.meta.cred_user, "alice");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	end(&s);
}

static void test_cred_telnet(void **state)
{
	struct session s;
	static const uint8_t neg[] = { 0xff, 0xfd, 0x18, 0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0 };

	(void)state;
	start(&s, 23);
	feed(&s, 1, neg, sizeof(neg));
	feed(&s, 0, neg, 3);
	feed_str(&s, 1, "Ubuntu 22.04\r\nhost login: ");
	feed_bytes(&s, 0, "alicx\x7f" "e\r");   /* typed, with a backspace */
	feed(&s, 0, "", 1);                     /* CR NUL */
	feed_str(&s, 1, "alice\r\nPassword: ");
	feed_bytes(&s, 0, PASSWORD "\r\n");
	feed_str(&s, 1, "\r\nWelcome\r\n$ ");
	finish(&s);
	assert_string_equal(s.meta.cred_proto, "telnet");
	assert_string_equal(s.meta.cred_user, "alice");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	end(&s);
}

static void test_cred_http_basic(void **state)
{
	struct session s;

	(void)state;
	start(&s, 80);
	feed_str(&s, 0, "GET /private HTTP/1.1\r\nHost: intranet\r\n"
		 "Authorization: Basic YWxpY2U6czNjcjN0UFc=\r\n\r\n");
	feed_str(&s, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	finish(&s);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].u.http.auth_basic, 1);
	assert_string_equal(evs[0].u.http.auth_user, "alice");
	assert_string_equal(s.meta.cred_proto, "http");
	assert_int_equal(s.meta.cleartext_cred, 1);
	assert_no_password(&s);
	assert_false(mem_has(&evs[0], sizeof(evs[0]), "czNjcjN0UFc="));
	end(&s);
}

/* ---- a little byte builder ---- */

struct bb {
	uint8_t b[8192];
	size_t n;
	size_t mark[8];
	int nmark;
};

static void put8(struct bb *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void put16(struct bb *b, unsigned v) { put8(b, v >> 8); put8(b, v); }
static void putn(struct bb *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void putstr(struct bb *b, const char *s) { putn(b, s, strlen(s)); }

/* Open a length field of `bytes` bytes; close() writes the length. */
static void open_len(struct bb *b, int bytes)
{
	b->mark[b->nmark++] = b->n | (size_t)bytes << 56;
	for (int i = 0; i < bytes; i++)
		put8(b, 0);
}

static void close_len(struct bb *b)
{
	size_t m = b->mark[--b->nmark], at = m & 0xffffffffffffffull;
	int bytes = (int)(m >> 56);
	size_t len = b->n - at - (size_t)bytes;

	for (int i = 0; i < bytes; i++)
		b->b[at + (size_t)i] = (uint8_t)(len >> (8 * (bytes - 1 - i)));
}

/* ---- DNS ---- */

static void test_dns_answers(void **state)
{
	struct bb m = { .n = 0 };
	struct mdr_app_dns d;
	static const uint8_t q[] = "\3www\7example\3com";
	static const uint8_t cdn[] = "\3cdn\7example\3net";

	(void)state;
	put16(&m, 0x1234); put16(&m, 0x8180); put16(&m, 1); put16(&m, 3); put16(&m, 0); put16(&m, 0);
	putn(&m, q, sizeof(q)); put16(&m, 1); put16(&m, 1);
	/* CNAME www.example.com -> cdn.example.net (rdata at offset 45) */
	put16(&m, 0xc00c); put16(&m, 5); put16(&m, 1); put16(&m, 0); put16(&m, 300);
	put16(&m, sizeof(cdn)); putn(&m, cdn, sizeof(cdn));
	for (int i = 0; i < 2; i++) {   /* two A records owned by cdn.example.net */
		put16(&m, 0xc000 | 45); put16(&m, 1); put16(&m, 1); put16(&m, 0); put16(&m, 60);
		put16(&m, 4); put8(&m, 1); put8(&m, 2); put8(&m, 3); put8(&m, 4 + (unsigned)i);
	}
	memset(&d, 0, sizeof(d));
	assert_int_equal(dns_parse(m.b, (uint32_t)m.n, &d), 0);
	assert_int_equal(d.id, 0x1234);
	assert_int_equal(d.response, 1);
	assert_int_equal(d.rcode, 0);
	assert_string_equal(d.rrname, "www.example.com");
	assert_int_equal(d.rrtype, 1);
	assert_int_equal(d.nanswers, 3);
	assert_int_equal(d.ans[0].rrtype, 5);
	assert_int_equal(d.ans[0].ttl, 300);
	assert_int_equal(d.ans[0].name_off, 0xffff);   /* same as the question */
	assert_string_equal(d.arena + d.ans[0].data_off, "cdn.example.net");
	assert_string_equal(d.arena + d.ans[1].name_off, "cdn.example.net");
	assert_string_equal(d.arena + d.ans[1].data_off, "1.2.3.4");
	assert_string_equal(d.arena + d.ans[2].data_off, "1.2.3.5");
	assert_int_equal(d.ans[1].name_off, d.ans[2].name_off);   /* stored once */
	/* a query whose label holds a dot, a backslash, control and Latin-1 bytes */
	{
		static const uint8_t odd[] = { 0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					       6, 'a', '.', '\\', 4, 0xe4, ' ', 2, 'n', 'l', 0, 0, 1, 0, 1 };

		memset(&d, 0, sizeof(d));
		assert_int_equal(dns_parse(odd, sizeof(odd), &d), 0);
		assert_string_equal(d.rrname, "a\\.\\\\\\004\\228 .nl");
	}
}

static void test_dns_hostile(void **state)
{
	struct mdr_app_dns d;
	/* a question name that points at itself, then one pointing forward */
	static const uint8_t loop[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	static const uint8_t fwd[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 'a', 0, 0, 1, 0, 1 };
	static const uint8_t trunc[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w' };
	uint8_t many[600];
	struct bb m = { .n = 0 };

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(dns_parse(loop, sizeof(loop), &d), -1);
	assert_int_equal(dns_parse(fwd, sizeof(fwd), &d), -1);
	assert_int_equal(dns_parse(trunc, sizeof(trunc), &d), -1);
	assert_int_equal(dns_parse(loop, 11, &d), -1);
	/* 40 answers: 32 kept, the rest counted */
	put16(&m, 1); put16(&m, 0x8180); put16(&m, 1); put16(&m, 40); put16(&m, 0); put16(&m, 0);
	put8(&m, 1); put8(&m, 'x'); put8(&m, 0); put16(&m, 1); put16(&m, 1);
	for (int i = 0; i < 40; i++) {
		put16(&m, 0xc00c); put16(&m, 1); put16(&m, 1); put16(&m, 0); put16(&m, 1);
		put16(&m, 4); put8(&m, 10); put8(&m, 0); put8(&m, 0); put8(&m, (unsigned)i);
	}
	memset(&d, 0, sizeof(d));
	assert_int_equal(dns_parse(m.b, (uint32_t)m.n, &d), 0);
	assert_int_equal(d.nanswers, MDR_DNS_MAX_ANSWERS);
	assert_int_equal(d.truncated, 8);
	/* random bytes never crash it */
	for (uint32_t seed = 1; seed < 2000; seed++) {
		uint32_t x = seed;

		for (size_t i = 0; i < sizeof(many); i++) {
			x = x * 1664525u + 1013904223u;
			many[i] = (uint8_t)(x >> 24);
		}
		memset(&d, 0, sizeof(d));
		dns_parse(many, (uint32_t)(seed % sizeof(many)), &d);
	}
}

/* ---- TLS ---- */

static void grease_ext(struct bb *b, unsigned v)
{
	put16(b, v);
	put16(b, 0);
}

/*
 * Hello A is Chrome's classic ClientHello layout: 15 ciphers and 16
 * extensions besides GREASE, SNI, ALPN h2. Worked by hand:
 *  JA3 string "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-
 *  49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,
 *  29-23-24,0" -> cd08e31494f9531f560d64c695473da9 (the well-known Chrome
 *  JA3). JA4: a = t13d1516h2; b = sha256("002f,0035,009c,009d,1301,1302,
 *  1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9")[:12] = 8daaf6152771 (the
 *  value of FoxIO's published example); c = sha256("0005,000a,000b,000d,
 *  0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,
 *  0805,0501,0806,0601")[:12] = e5627efa2ab1.
 */
static void hello_a(struct bb *b)
{
	static const unsigned ciph[] = { 0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
					 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
					 0x002f, 0x0035 };
	static const unsigned sig[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601 };
	uint8_t zero[32] = { 0 };

	put16(b, 0x0303); putn(b, zero, 32); put8(b, 32); putn(b, zero, 32);
	open_len(b, 2);
	for (size_t i = 0; i < sizeof(ciph) / sizeof(ciph[0]); i++)
		put16(b, ciph[i]);
	close_len(b);
	put8(b, 1); put8(b, 0);
	open_len(b, 2);
	grease_ext(b, 0x2a2a);
	put16(b, 0x0000); open_len(b, 2); open_len(b, 2); put8(b, 0); open_len(b, 2);
	putstr(b, "www.example.com"); close_len(b); close_len(b); close_len(b);
	put16(b, 0x0017); put16(b, 0);
	put16(b, 0xff01); put16(b, 1); put8(b, 0);
	put16(b, 0x000a); open_len(b, 2); open_len(b, 2); put16(b, 0x3a3a); put16(b, 0x001d);
	put16(b, 0x0017); put16(b, 0x0018); close_len(b); close_len(b);
	put16(b, 0x000b); put16(b, 2); put8(b, 1); put8(b, 0);
	put16(b, 0x0023); put16(b, 0);
	put16(b, 0x0010); open_len(b, 2); open_len(b, 2); put8(b, 2); putstr(b, "h2");
	put8(b, 8); putstr(b, "http/1.1"); close_len(b); close_len(b);
	put16(b, 0x0005); put16(b, 5); put8(b, 1); put16(b, 0); put16(b, 0);
	put16(b, 0x000d); open_len(b, 2); open_len(b, 2);
	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		put16(b, sig[i]);
	close_len(b); close_len(b);
	put16(b, 0x0012); put16(b, 0);
	put16(b, 0x0033); put16(b, 2); put16(b, 0);
	put16(b, 0x002d); put16(b, 2); put8(b, 1); put8(b, 1);
	put16(b, 0x002b); put16(b, 7); put8(b, 6); put16(b, 0x4a4a); put16(b, 0x0304); put16(b, 0x0303);
	put16(b, 0x001b); put16(b, 3); put8(b, 2); put16(b, 2);
	put16(b, 0x4469); put16(b, 5); put16(b, 3); put8(b, 2); putstr(b, "h2");
	put16(b, 0x0015); put16(b, 4); put16(b, 0); put16(b, 0);
	put16(b, 0x5a5a); put16(b, 1); put8(b, 0);
	close_len(b);
}

static void test_tls_fingerprints(void **state)
{
	struct bb b = { .n = 0 }, c = { .n = 0 };
	struct mdr_app_tls t;
	uint8_t zero[32] = { 0 };

	(void)state;
	hello_a(&b);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tls_parse_client_hello(b.b, (uint32_t)b.n, &t, false), 0);
	assert_string_equal(t.ja3, "cd08e31494f9531f560d64c695473da9");
	assert_string_equal(t.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_string_equal(t.sni, "www.example.com");
	assert_string_equal(t.alpn_client, "h2,http/1.1");
	assert_int_equal(t.client_version, 0x0304);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tls_parse_client_hello(b.b, (uint32_t)b.n, &t, true), 0);
	assert_memory_equal(t.ja4, "q13d1516h2_", 11);
	/* B: TLS 1.0, 3 ciphers, no extensions at all: JA3 "769,47-53-10,,,";
	 * JA4 t10i030000 _ sha256("000a,002f,0035")[:12] _ 000000000000 */
	put16(&c, 0x0301); putn(&c, zero, 32); put8(&c, 0);
	put16(&c, 6); put16(&c, 0x002f); put16(&c, 0x0035); put16(&c, 0x000a);
	put8(&c, 1); put8(&c, 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tls_parse_client_hello(c.b, (uint32_t)c.n, &t, false), 0);
	assert_string_equal(t.ja3, "7bc4acc37e8095387bed8c0b30a6081a");
	assert_string_equal(t.ja4, "t10i030000_5704bdfc91c6_000000000000");
	/* C: TLS 1.2, SNI, an ALPN whose ends are not alphanumeric (0xab..0xcd:
	 * "ad"), sigalgs 0401: JA3 "771,49199,0-16-13,,";
	 * JA4 t12d0103ad _ sha256("c02f") _ sha256("000d_0401") */
	c.n = 0;
	put16(&c, 0x0303); putn(&c, zero, 32); put8(&c, 0); put16(&c, 2); put16(&c, 0xc02f);
	put8(&c, 1); put8(&c, 0);
	open_len(&c, 2);
	put16(&c, 0); open_len(&c, 2); open_len(&c, 2); put8(&c, 0); open_len(&c, 2);
	putstr(&c, "a.example"); close_len(&c); close_len(&c); close_len(&c);
	put16(&c, 0x0010); put16(&c, 8); put16(&c, 6); put8(&c, 5);
	put8(&c, 0xab); putstr(&c, "foo"); put8(&c, 0xcd);
	put16(&c, 0x000d); put16(&c, 4); put16(&c, 2); put16(&c, 0x0401);
	close_len(&c);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tls_parse_client_hello(c.b, (uint32_t)c.n, &t, false), 0);
	assert_string_equal(t.ja3, "6c877601176e54de769694433de00d59");
	assert_string_equal(t.ja4, "t12d0103ad_f06271c2b022_032c60bb0d32");
	/* every truncation of a hello is refused or parsed, never overread */
	for (size_t n = 0; n < b.n; n++) {
		memset(&t, 0, sizeof(t));
		tls_parse_client_hello(b.b, (uint32_t)n, &t, false);
	}
}

static void server_hello(struct bb *b)
{
	uint8_t zero[32] = { 0 };

	/* JA3S "771,49199,65281-16-11" -> 2de81c22ea32a57162df5cb08d4a2795 */
	put16(b, 0x0303); putn(b, zero, 32); put8(b, 0); put16(b, 0xc02f); put8(b, 0);
	open_len(b, 2);
	put16(b, 0xff01); put16(b, 1); put8(b, 0);
	put16(b, 0x0010); put16(b, 5); put16(b, 3); put8(b, 2); putstr(b, "h2");
	put16(b, 0x000b); put16(b, 2); put8(b, 1); put8(b, 0);
	close_len(b);
}

/* A self-signed certificate, DER, and its SHA-1 as "aa:bb:...". */
static size_t make_cert(uint8_t *der, size_t cap, char *fp)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char md[20], *p = der;
	unsigned int mdlen = 0;
	int len;

	assert_non_null(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x0a1b2c);
	ASN1_TIME_set_string(X509_getm_notBefore(x), "240102030405Z");
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20500102030405Z");
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"GB", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Example Ltd", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"www.example.com", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	len = i2d_X509(x, NULL);
	assert_true(len > 0 && (size_t)len <= cap);
	i2d_X509(x, &p);
	X509_digest(x, EVP_sha1(), md, &mdlen);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(fp + 3 * i, i + 1 < mdlen ? "%02x:" : "%02x", md[i]);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return (size_t)len;
}

/* Wrap a handshake message in a record. */
static void record(struct bb *out, uint8_t type, const struct bb *body)
{
	put8(out, 0x16); put16(out, 0x0303); open_len(out, 2);
	put8(out, type); open_len(out, 3); putn(out, body->b, body->n); close_len(out);
	close_len(out);
}

static void test_tls_stream(void **state)
{
	struct bb ch = { .n = 0 }, sh = { .n = 0 }, cert = { .n = 0 }, cli = { .n = 0 };
	struct bb srv = { .n = 0 }, empty = { .n = 0 };
	uint8_t der[2048];
	char fp[64];
	size_t dlen = make_cert(der, sizeof(der), fp);
	struct session s;
	static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };

	(void)state;
	hello_a(&ch);
	record(&cli, 1, &ch);
	server_hello(&sh);
	record(&srv, 2, &sh);
	open_len(&cert, 3); open_len(&cert, 3); putn(&cert, der, dlen); close_len(&cert);
	close_len(&cert);
	record(&srv, 11, &cert);
	record(&srv, 14, &empty);
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		start(&s, 443);
		if (bytewise) {
			for (size_t i = 0; i < cli.n; i++)
				feed(&s, 0, cli.b + i, 1);
			for (size_t i = 0; i < srv.n; i++)
				feed(&s, 1, srv.b + i, 1);
		} else {
			feed(&s, 0, cli.b, cli.n);
			feed(&s, 1, srv.b, srv.n);
		}
		assert_int_equal(nev, 1);       /* out at ServerHelloDone */
		assert_true(mdr_app_stream_done(&s.f, 1));
		feed(&s, 0, ccs, sizeof(ccs));
		assert_true(mdr_app_stream_done(&s.f, 0));
		finish(&s);
		assert_int_equal(evs[0].type, MDR_APP_TLS);
		assert_string_equal(evs[0].u.tls.sni, "www.example.com");
		assert_string_equal(evs[0].u.tls.ja3, "cd08e31494f9531f560d64c695473da9");
		assert_string_equal(evs[0].u.tls.ja3s, "2de81c22ea32a57162df5cb08d4a2795");
		assert_string_equal(evs[0].u.tls.alpn_server, "h2");
		assert_int_equal(evs[0].u.tls.version, 0x0303);
		assert_string_equal(evs[0].u.tls.subject, "C=GB, O=Example Ltd, CN=www.example.com");
		assert_string_equal(evs[0].u.tls.issuer, "C=GB, O=Example Ltd, CN=www.example.com");
		assert_string_equal(evs[0].u.tls.serial, "0A:1B:2C");
		assert_string_equal(evs[0].u.tls.fingerprint, fp);
		assert_int_equal(evs[0].u.tls.not_before, 1704164645);   /* 2024-01-02 03:04:05 */
		assert_int_equal(evs[0].u.tls.not_after, 2524705445);    /* 2050-01-02 03:04:05 */
		assert_string_equal(s.meta.sni, "www.example.com");
		assert_string_equal(s.meta.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
		end(&s);
	}
	/* the same handshake through an HTTP proxy (CONNECT) */
	start(&s, 8080);
	feed_str(&s, 0, "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n");
	feed_str(&s, 1, "HTTP/1.1 200 Connection Established\r\n\r\n");
	feed(&s, 0, cli.b, cli.n);
	feed(&s, 1, srv.b, srv.n);
	finish(&s);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[0].type, MDR_APP_HTTP);
	assert_string_equal(evs[0].u.http.method, "CONNECT");
	assert_int_equal(evs[1].type, MDR_APP_TLS);
	assert_string_equal(evs[1].u.tls.sni, "www.example.com");
	assert_string_equal(evs[1].u.tls.fingerprint, fp);
	end(&s);
}

/* ---- SSH ---- */

static void kexinit(struct bb *b)
{
	static const char *lists[10] = {
		"curve25519-sha256,diffie-hellman-group14-sha256", "ssh-ed25519",
		"aes128-ctr,aes256-gcm@openssh.com", "aes256-ctr", "hmac-sha2-256", "hmac-sha1",
		"none", "none,zlib@openssh.com", "", "" };
	uint8_t cookie[16] = { 0 };

	open_len(b, 4);
	put8(b, 4);                             /* padding length */
	put8(b, 20); putn(b, cookie, 16);
	for (int i = 0; i < 10; i++) {
		open_len(b, 4); putstr(b, lists[i]); close_len(b);
	}
	put8(b, 0); put16(b, 0); put16(b, 0);
	put16(b, 0); put16(b, 0);               /* padding */
	close_len(b);
}

static void test_ssh_hassh(void **state)
{
	struct bb k = { .n = 0 };
	struct session s;

	(void)state;
	kexinit(&k);
	start(&s, 22);
	feed_str(&s, 1, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n");
	feed_bytes(&s, 0, "SSH-2.0-OpenSSH_9.6\r\n");
	feed(&s, 1, k.b, k.n);
	for (size_t i = 0; i < k.n; i++)
		feed(&s, 0, k.b + i, 1);
	assert_int_equal(nev, 1);
	assert_true(mdr_app_stream_done(&s.f, 0) && mdr_app_stream_done(&s.f, 1));
	finish(&s);
	/* md5("curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr,
	 * aes256-gcm@openssh.com;hmac-sha2-256;none") and the server's lists */
	assert_string_equal(evs[0].u.ssh.hassh, "b21aaabfc9d2e45bafeef69aa7e7fada");
	assert_string_equal(evs[0].u.ssh.hassh_server, "60810570855aff1684a59fc5ffb9664b");
	assert_string_equal(evs[0].u.ssh.hassh_str, "curve25519-sha256,diffie-hellman-group14-sha256;"
			    "aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none");
	assert_string_equal(evs[0].u.ssh.client, "SSH-2.0-OpenSSH_9.6");
	assert_string_equal(evs[0].u.ssh.server, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3");
	assert_string_equal(s.meta.hassh, "b21aaabfc9d2e45bafeef69aa7e7fada");
	assert_string_equal(s.meta.ssh_server, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3");
	end(&s);
}

/* ---- other streams ---- */

static void test_other_streams(void **state)
{
	struct session s;
	uint8_t bin[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 37 + 1);
	memcpy(bin, "POS", 3);                  /* could still be a POST */
	start(&s, 5555);
	feed(&s, 0, bin, 3);                    /* not enough to tell */
	assert_false(mdr_app_stream_done(&s.f, 0));
	feed(&s, 0, bin + 3, sizeof(bin) - 3);  /* nothing we parse: both sides done */
	assert_true(mdr_app_stream_done(&s.f, 0) && mdr_app_stream_done(&s.f, 1));
	assert_int_equal(mdr_pool_get_stats(s.a->flows)->in_use, 0);   /* state given back */
	feed(&s, 1, bin, sizeof(bin));
	finish(&s);
	assert_int_equal(nev, 0);
	end(&s);
}

/* ---- digests ---- */

static void test_digests(void **state)
{
	char out[65];
	struct mdr_sha1 c;
	uint8_t d[20];

	(void)state;
	mdr_md5_hex("abc", 3, out);
	assert_string_equal(out, "900150983cd24fb0d6963f7d28e17f72");
	mdr_md5_hex("", 0, out);
	assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
	mdr_sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mdr_sha1_init(&c);
	mdr_sha1_update(&c, "ab", 2);
	mdr_sha1_update(&c, "c", 1);
	mdr_sha1_final(&c, d);
	mdr_hex(d, 20, out);
	assert_string_equal(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_keepalive),
		cmocka_unit_test(test_http_pipelined),
		cmocka_unit_test(test_http_split_bytes),
		cmocka_unit_test(test_http_request_lines),
		cmocka_unit_test(test_http_turned_round),
		cmocka_unit_test(test_http_interim_and_close),
		cmocka_unit_test(test_http_garbage),
		cmocka_unit_test(test_cred_ftp),
		cmocka_unit_test(test_cred_smtp),
		cmocka_unit_test(test_cred_pop3_imap),
		cmocka_unit_test(test_cred_telnet),
		cmocka_unit_test(test_cred_http_basic),
		cmocka_unit_test(test_dns_answers),
		cmocka_unit_test(test_dns_hostile),
		cmocka_unit_test(test_tls_fingerprints),
		cmocka_unit_test(test_tls_stream),
		cmocka_unit_test(test_ssh_hassh),
		cmocka_unit_test(test_other_streams),
		cmocka_unit_test(test_digests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
