/*
 * applayer.h - application-layer parsers: DNS, HTTP/1.x, TLS (JA3, JA3S,
 * JA4, certificate), SSH (HASSH) and clear-text credentials.
 *
 * One struct mdr_applayer per worker. It reads what the worker already
 * has: UDP payloads (DNS) and the in-order TCP bytes of each direction from
 * the reassembly (everything else), so a request split over segments, or
 * several requests in one segment, parse the same. The protocol of a TCP
 * stream is recognised from its first bytes (request line, TLS record,
 * "SSH-", a 220/+OK/"* OK" greeting, Telnet negotiation) independently of
 * nDPI, which may need more packets than the first segment.
 *
 * Each transaction becomes a fixed-size struct mdr_app_event handed to the
 * emit callback (the worker pushes it to the writer, which formats EVE):
 * a DNS query or answer, an HTTP request with its response, a TLS
 * handshake, an SSH key exchange. What the flow record carries (SNI, host,
 * first query, fingerprints, banners, credential user) is written into its
 * meta at flow end by mdr_app_fill(). Passwords are never copied anywhere:
 * parsers only note that one went by.
 *
 * Per-flow state comes from pools (no malloc per packet): the flow's
 * parser state, pending transactions (HTTP pipelining, a TLS handshake in
 * progress) and 8 KiB message buffers (a ClientHello or a KEXINIT split
 * over segments), each capped; running out is counted, never fatal.
 */
#ifndef MDR_APPLAYER_H
#define MDR_APPLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "../decode/decode.h"
#include "../flow/flow.h"
#include "../output/output.h"

#define MDR_FLOW_EXT_APP 1          /* f->ext[] slot */

typedef void (*mdr_app_emit_fn)(void *ctx, const struct mdr_app_event *ev);

struct mdr_app_stats {
	uint64_t flows;                 /* flows with parser state */
	uint64_t http_tx, dns_tx, tls_tx, ssh_tx;
	uint64_t creds;                 /* clear-text credentials seen */
	uint64_t parse_errors;          /* garbage: parser gave up on a direction */
	uint64_t no_state;              /* pool cap reached */
	uint64_t no_buffer;
	uint64_t truncated;             /* messages larger than a buffer */
};

struct mdr_applayer;

struct mdr_applayer *mdr_app_create(uint32_t max_flows, uint16_t worker,
				    mdr_app_emit_fn emit, void *ctx);
void mdr_app_free(struct mdr_applayer *a);

/* A UDP datagram of flow f (DNS on port 53). */
void mdr_app_udp(struct mdr_applayer *a, struct mdr_flow *f, int dir,
		 const struct mdr_pkt *p);
/* In-order TCP bytes of one direction, and holes given up. */
void mdr_app_stream(struct mdr_applayer *a, struct mdr_flow *f, int dir,
		    const uint8_t *data, uint32_t len, mdr_time_t ts);
void mdr_app_gap(struct mdr_applayer *a, struct mdr_flow *f, int dir, uint64_t len);
/* Nothing more is wanted from this direction: the caller may stop reassembly. */
bool mdr_app_stream_done(const struct mdr_flow *f, int dir);

/*
 * Write the flow's metadata into meta. final: the flow ends; pending
 * transactions are emitted and the state released.
 */
void mdr_app_fill(struct mdr_applayer *a, struct mdr_flow *f,
		  struct mdr_flow_meta *meta, bool final);

const struct mdr_app_stats *mdr_app_get_stats(const struct mdr_applayer *a);

#endif
