/*
 * app_int.h - internals shared by the application-layer parsers.
 *
 * struct app_flow is the per-flow state (f->ext[MDR_FLOW_EXT_APP]): which
 * parser owns the stream, the metadata the flow record will carry, and
 * the parser's own state in a union. Parsers keep nothing else per flow;
 * bigger things come from the module's pools through the helpers below.
 */
#ifndef MDR_APP_INT_H
#define MDR_APP_INT_H

#include "applayer.h"
#include "../common/mdr_hash.h"
#include "../common/mdr_pool.h"

#define APP_BUF_SIZE 8192           /* one message being collected */
#define APP_SNIFF 12                /* bytes that always tell the protocol */
#define HTTP_MAX_PENDING 8          /* pipelined requests awaiting a response */
#define HTTP_REQ_HEAD 1
#define HTTP_REQ_CONNECT 2

enum app_proto {
	AP_NONE = 0,    /* not recognised yet */
	AP_HTTP, AP_TLS, AP_SSH, AP_FTP, AP_SMTP, AP_POP3, AP_IMAP, AP_TELNET, AP_DNS,
	AP_OTHER,       /* nothing we parse */
};

/* A message collected over several segments, in a pooled buffer. */
struct msgbuf {
	uint8_t *buf;                   /* NULL when none is held */
	uint32_t len;                   /* bytes kept (<= APP_BUF_SIZE) */
	uint32_t seen;                  /* bytes of the message seen */
};

struct http_dir {
	uint8_t state;                  /* enum in http.c */
	uint8_t eoh;                    /* end-of-headers matcher */
	uint8_t chunk_ext;              /* skipping a chunk extension */
	uint8_t dead;
	uint64_t left;                  /* body or chunk bytes still expected */
	struct msgbuf hdr;              /* header block being collected */
};

struct http_state {
	struct http_dir d[2];
	struct mdr_app_event *pend[HTTP_MAX_PENDING]; /* requests, oldest first */
	uint8_t npend;
	uint8_t req_flags[HTTP_MAX_PENDING];          /* HTTP_REQ_HEAD, HTTP_REQ_CONNECT */
	struct mdr_app_event *cur_req;  /* request whose body is being read */
	uint8_t connect_ok;             /* CONNECT accepted: a TLS tunnel may follow */
};

struct tls_dir {
	uint8_t rec_hdr[5], rec_hlen;
	uint8_t rec_type;
	uint8_t done;                   /* encrypted, or nothing more to learn */
	uint16_t rec_left;
	uint8_t hs_hdr[4], hs_hlen;
	uint8_t hs_type;
	uint32_t hs_len;
	struct msgbuf msg;              /* current handshake message body */
	uint8_t in_cert;                /* hashing the first certificate */
	uint32_t cert_start, cert_end;  /* its range in the message body */
	struct mdr_sha1 sha;
};

struct tls_state {
	struct tls_dir d[2];
	struct mdr_app_event *ev;       /* the handshake being described */
	uint8_t emitted;
};

struct ssh_dir {
	uint8_t state;                  /* enum in ssh.c */
	uint8_t blen;
	uint8_t done;
	char banner[128];
	uint32_t pkt_len;
	uint8_t len_hdr[5], len_got;
	struct msgbuf msg;
};

struct ssh_state {
	struct ssh_dir d[2];
	struct mdr_app_event *ev;
	uint8_t emitted;
};

struct line_state {
	char line[200];                 /* client line being collected */
	uint16_t len;
	uint8_t overflow;
	uint8_t expect;                 /* what the next client line is (cred.c) */
	char tail[40];                  /* last printable server bytes (prompts) */
	uint8_t tail_len;
	uint8_t iac[2];                 /* Telnet command parser, per direction */
	uint8_t starttls;               /* STARTTLS/STLS/AUTH TLS was asked */
};

struct dnstcp_dir {
	uint8_t lenb[2], lgot;
	uint16_t need;
	struct msgbuf msg;
};

/* What the flow record will carry (copied into mdr_flow_meta at the end). */
struct app_meta {
	char sni[MDR_REC_NAME], http_host[MDR_REC_NAME], dns_query[MDR_REC_NAME];
	char ja3[33], ja3s[33], ja4[40];
	char cred_proto[8], cred_user[64];
	uint8_t cred;
	char ssh_client[80], ssh_server[80];
	char hassh[33], hassh_server[33];
};

struct app_flow {
	uint8_t proto;                  /* enum app_proto */
	uint8_t swap;                   /* the flow's client is the server: parser dir = dir ^ 1 */
	uint8_t done[2];                /* parser direction needs no more bytes */
	uint8_t seen[2];                /* a direction delivered data */
	uint8_t sniff_len[2];           /* first bytes held until the protocol is known */
	uint8_t sniff[2][APP_SNIFF];
	uint32_t next_tx;
	struct app_meta meta;
	union {
		struct http_state http;
		struct tls_state tls;
		struct ssh_state ssh;
		struct line_state line;
		struct dnstcp_dir dns[2];
	} u;
};

struct mdr_applayer {
	struct mdr_pool *flows;         /* struct app_flow */
	struct mdr_pool *tx;            /* struct mdr_app_event awaiting completion */
	struct mdr_pool *bufs;          /* APP_BUF_SIZE bytes */
	mdr_app_emit_fn emit;
	void *ctx;
	uint16_t worker;
	mdr_time_t now;                 /* time of the packet being processed */
	struct mdr_app_event scratch;
	struct mdr_app_stats st;
};

/* ---- helpers (app.c) ---- */
struct mdr_app_event *app_tx_new(struct mdr_applayer *a, struct mdr_flow *f,
				 struct app_flow *af, uint8_t type);
void app_tx_emit(struct mdr_applayer *a, struct mdr_app_event *ev); /* and release */
void app_tx_drop(struct mdr_applayer *a, struct mdr_app_event *ev);
void app_event_header(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
		      struct mdr_app_event *ev, uint8_t type);
/* Append to a message buffer (taking one from the pool on first use). */
int app_buf_append(struct mdr_applayer *a, struct msgbuf *m, const uint8_t *d, uint32_t n);
void app_buf_release(struct mdr_applayer *a, struct msgbuf *m);
/* Copy at most len-1 bytes as a printable string (others become '.'); 1 if cut. */
int app_copy_str(char *dst, size_t len, const uint8_t *src, size_t n);
/* strlcpy: at most len-1 bytes, always terminated. */
void app_strcpy(char *dst, size_t len, const char *src);
void app_set_cred(struct mdr_applayer *a, struct app_flow *af, const char *proto,
		  const char *user, size_t ulen, bool password_seen);

/* ---- parsers ---- */
void http_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	       const uint8_t *d, uint32_t n);
void http_gap(struct mdr_applayer *a, struct app_flow *af, int dir, uint64_t n);
void http_end(struct mdr_applayer *a, struct app_flow *af);
bool http_is_request_start(const uint8_t *d, uint32_t n);

void tls_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	      const uint8_t *d, uint32_t n);
void tls_end(struct mdr_applayer *a, struct app_flow *af);
/* ClientHello / ServerHello bodies (after the 4-byte handshake header). */
int tls_parse_client_hello(const uint8_t *b, uint32_t n, struct mdr_app_tls *t, bool quic);
int tls_parse_server_hello(const uint8_t *b, uint32_t n, struct mdr_app_tls *t);
/* First certificate (DER) of a Certificate message. */
int tls_parse_cert(const uint8_t *der, uint32_t n, struct mdr_app_tls *t);

void ssh_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	      const uint8_t *d, uint32_t n);
void ssh_end(struct mdr_applayer *a, struct app_flow *af);
/* HASSH of a KEXINIT payload (message byte 20 first). */
int ssh_hassh(const uint8_t *p, uint32_t n, bool server, char *hash, char *str, size_t strlen);

/* Returns the bytes used: fewer than n when the stream turned to TLS (STARTTLS). */
uint32_t cred_data(struct mdr_applayer *a, struct app_flow *af, int dir,
		   const uint8_t *d, uint32_t n);
size_t app_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t outlen);

/* DNS message (no TCP length prefix) into ev->u.dns. */
int dns_parse(const uint8_t *m, uint32_t n, struct mdr_app_dns *out);
void dns_udp(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	     const uint8_t *d, uint32_t n);
void dnstcp_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
		 const uint8_t *d, uint32_t n);
void dnstcp_end(struct mdr_applayer *a, struct app_flow *af);

#endif
