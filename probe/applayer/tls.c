/*
 * tls.c - TLS over the reassembled stream: records, handshake messages,
 * and the handshake event.
 *
 * Per direction: a 5-byte record header, then the record body; handshake
 * records feed the handshake layer (4-byte message header, body gathered
 * across records into a pooled buffer for ClientHello, ServerHello and
 * Certificate; other messages are skipped by length). The first
 * certificate's DER is hashed (SHA-1) as it passes, so its fingerprint is
 * right even when it is larger than the buffer. A direction is done at
 * ChangeCipherSpec or application data (from there on it is encrypted), at
 * ServerHelloDone, or on anything that is not TLS (counted). The event is
 * emitted when the server side is done, or at flow end.
 */
#include "app_int.h"

#include <string.h>

#define REC_CCS 20
#define REC_ALERT 21
#define REC_HANDSHAKE 22
#define REC_APPDATA 23
#define REC_MAX (16384 + 2048)

#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_CERTIFICATE 11
#define HS_SERVER_DONE 14

static void emit(struct mdr_applayer *a, struct tls_state *ts)
{
	if (!ts->ev || ts->emitted)
		return;
	ts->emitted = 1;
	app_tx_emit(a, ts->ev);
	ts->ev = NULL;
}

static void dir_done(struct mdr_applayer *a, struct app_flow *af, int dir)
{
	struct tls_state *ts = &af->u.tls;

	ts->d[dir].done = 1;
	af->done[dir] = 1;
	app_buf_release(a, &ts->d[dir].msg);
	if (dir == 1)
		emit(a, ts);
}

static struct mdr_app_tls *event(struct mdr_applayer *a, struct mdr_flow *f,
				 struct app_flow *af)
{
	struct tls_state *ts = &af->u.tls;

	if (!ts->ev && !ts->emitted)
		ts->ev = app_tx_new(a, f, af, MDR_APP_TLS);
	return ts->ev ? &ts->ev->u.tls : NULL;
}

static void fingerprint(struct tls_dir *td, struct mdr_app_tls *t)
{
	uint8_t d[20];
	size_t o = 0;

	mdr_sha1_final(&td->sha, d);
	for (int i = 0; i < 20; i++)
		o += (size_t)snprintf(t->fingerprint + o, sizeof(t->fingerprint) - o,
				      i ? ":%02x" : "%02x", d[i]);
}

static void message(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir)
{
	struct tls_dir *td = &af->u.tls.d[dir];
	struct app_meta *m = &af->meta;
	struct mdr_app_tls *t;
	const uint8_t *b = td->msg.buf;
	uint32_t n = td->msg.buf ? td->msg.len : 0;

	if (td->hs_type == HS_SERVER_DONE && dir == 1) {
		dir_done(a, af, dir);
		return;
	}
	if (!b || !(t = event(a, f, af)))
		return;
	if (td->hs_type == HS_CLIENT_HELLO && dir == 0) {
		if (tls_parse_client_hello(b, n, t, false) != 0 || td->msg.seen > n)
			a->st.parse_errors++;
		app_strcpy(m->sni, sizeof(m->sni), t->sni);
		memcpy(m->ja3, t->ja3, sizeof(m->ja3));
		memcpy(m->ja4, t->ja4, sizeof(m->ja4));
	} else if (td->hs_type == HS_SERVER_HELLO && dir == 1) {
		tls_parse_server_hello(b, n, t);
		memcpy(m->ja3s, t->ja3s, sizeof(m->ja3s));
	} else if (td->hs_type == HS_CERTIFICATE && dir == 1 && td->cert_end) {
		if (n > td->cert_start)
			tls_parse_cert(b + td->cert_start, n - td->cert_start, t);
		if (td->msg.seen >= td->cert_end)
			fingerprint(td, t);
		t->has_cert = 1;
	}
}

/* The first certificate of a Certificate message: its range, and its hash. */
static void cert_bytes(struct tls_dir *td, uint32_t off, const uint8_t *d, uint32_t n)
{
	uint32_t from, to;

	if (!td->cert_end && off + n >= 6 && td->msg.buf && td->msg.len >= 6) {
		const uint8_t *p = td->msg.buf;
		uint32_t len = (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 | p[5];

		td->cert_start = 6;
		td->cert_end = 6 + len;
		mdr_sha1_init(&td->sha);
	}
	if (!td->cert_end)
		return;
	from = off > td->cert_start ? off : td->cert_start;
	to = off + n < td->cert_end ? off + n : td->cert_end;
	if (from < to)
		mdr_sha1_update(&td->sha, d + (from - off), to - from);
}

static bool collected(uint8_t type)
{
	return type == HS_CLIENT_HELLO || type == HS_SERVER_HELLO || type == HS_CERTIFICATE;
}

/* Bytes of handshake records. */
static void handshake(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
		      const uint8_t *d, uint32_t n)
{
	struct tls_dir *td = &af->u.tls.d[dir];

	while (n && !td->done) {
		uint32_t take, off;

		if (td->hs_hlen < 4) {
			td->hs_hdr[td->hs_hlen++] = *d++;
			n--;
			if (td->hs_hlen < 4)
				continue;
			td->hs_type = td->hs_hdr[0];
			td->hs_len = (uint32_t)td->hs_hdr[1] << 16 | (uint32_t)td->hs_hdr[2] << 8 |
				     td->hs_hdr[3];
			app_buf_release(a, &td->msg);
			td->cert_start = td->cert_end = 0;
		} else {
			off = td->msg.seen;
			take = td->hs_len - off < n ? td->hs_len - off : n;
			if (td->hs_type == HS_CERTIFICATE && off < 6 && take > 6 - off)
				take = 6 - off;     /* learn the certificate's length first */
			if (collected(td->hs_type))
				app_buf_append(a, &td->msg, d, take);
			else
				td->msg.seen += take;
			if (td->hs_type == HS_CERTIFICATE)
				cert_bytes(td, off, d, take);
			d += take;
			n -= take;
		}
		if (td->hs_hlen == 4 && td->msg.seen == td->hs_len) {
			message(a, f, af, dir);
			app_buf_release(a, &td->msg);
			td->hs_hlen = 0;
		}
	}
}

/* A record header is in: check it, and react to its type. */
static bool record_start(struct mdr_applayer *a, struct app_flow *af, int dir)
{
	struct tls_dir *td = &af->u.tls.d[dir];
	uint16_t len = (uint16_t)(td->rec_hdr[3] << 8 | td->rec_hdr[4]);

	td->rec_type = td->rec_hdr[0];
	td->rec_left = len;
	if (td->rec_type < REC_CCS || td->rec_type > 24 || td->rec_hdr[1] != 3 || len > REC_MAX) {
		a->st.parse_errors++;
		dir_done(a, af, dir);
		return false;
	}
	if (td->rec_type == REC_CCS || td->rec_type == REC_APPDATA) {
		dir_done(a, af, dir);
		return false;
	}
	return true;
}

void tls_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	      const uint8_t *d, uint32_t n)
{
	struct tls_dir *td = &af->u.tls.d[dir];

	while (n && !td->done) {
		uint32_t take;

		if (td->rec_hlen < 5) {
			take = 5u - td->rec_hlen < n ? 5u - td->rec_hlen : n;
			memcpy(td->rec_hdr + td->rec_hlen, d, take);
			td->rec_hlen = (uint8_t)(td->rec_hlen + take);
			d += take;
			n -= take;
			if (td->rec_hlen == 5 && !record_start(a, af, dir))
				break;
			continue;
		}
		take = td->rec_left < n ? td->rec_left : n;
		if (td->rec_type == REC_HANDSHAKE)
			handshake(a, f, af, dir, d, take);
		td->rec_left = (uint16_t)(td->rec_left - take);
		d += take;
		n -= take;
		if (!td->rec_left)
			td->rec_hlen = 0;
	}
	if (af->u.tls.d[0].done && af->u.tls.d[1].done)
		af->done[0] = af->done[1] = 1;
}

void tls_end(struct mdr_applayer *a, struct app_flow *af)
{
	struct tls_state *ts = &af->u.tls;

	emit(a, ts);
	app_buf_release(a, &ts->d[0].msg);
	app_buf_release(a, &ts->d[1].msg);
}
