/*
 * app_bufs.h - the inspection buffers of one application-layer
 * transaction, handed by the parsers to the signature engine.
 *
 * The parsers (http.c, dns.c, tls.c, ssh.c) call the inspect callback set
 * with mdr_app_set_inspect() when a transaction makes progress: an HTTP
 * request is complete (headers and the body up to the configured depth),
 * its response is complete (the request's buffers are still present),
 * a DNS message was parsed, a TLS ClientHello / ServerHello / Certificate
 * was seen, an SSH banner was read. A pending HTTP transaction is
 * inspected at flow end with what it has. Buffers point into parser-owned
 * memory valid only during the call; an absent buffer has len 0 and p NULL.
 * Multi-valued buffers (every DNS question, every certificate of a chain)
 * are listed in multi[] with their buffer id; b[] holds the first one.
 */
#ifndef MDR_APP_BUFS_H
#define MDR_APP_BUFS_H

#include <stdint.h>

#include "../detect/rule.h"

#define MDR_APP_BUFS_MULTI 16

struct mdr_buf_ref {
	const uint8_t *p;
	uint32_t len;
};

enum mdr_app_progress {
	MDR_PROG_REQUEST = 1,           /* to_server side complete */
	MDR_PROG_RESPONSE,              /* to_client side complete (request side present) */
};

struct mdr_app_event;

struct mdr_app_bufs {
	uint8_t app;                    /* enum mdr_app_type */
	uint8_t progress;               /* enum mdr_app_progress */
	uint8_t dir;                    /* direction of the data that completed: 0 to server */
	uint8_t nmulti;
	uint32_t tx_id;                 /* per flow, from 0: one alert per rule per tx */
	struct mdr_buf_ref b[MDR_BUF_COUNT];
	struct {
		uint8_t buf;            /* enum mdr_buf */
		struct mdr_buf_ref r;
	} multi[MDR_APP_BUFS_MULTI];
	/* The transaction as it will be logged (alert's http/dns/tls object); may be NULL. */
	const struct mdr_app_event *ev;
};

struct mdr_flow;
typedef void (*mdr_app_inspect_fn)(void *ctx, struct mdr_flow *f, const struct mdr_app_bufs *b);

#endif
