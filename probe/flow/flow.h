/*
 * flow.h - per-worker bidirectional flow table.
 *
 * One mdr_flow_table per worker: a preallocated pool of flows (the cap),
 * a bucket array chained by pool index, and one LRU list per timeout class
 * (TCP new/established/closed, UDP, ICMP, other) so that expiry pops the
 * oldest flows of each class in O(1). No locks, no malloc after create.
 *
 * Direction: the client is the initiator (sender of the first packet; for
 * TCP a first SYN+ACK flips it so the SYN+ACK sender is the server, and the
 * history gets '^'). dir 0 = to server, 1 = to client.
 *
 * Time is packet time only, so a pcap replays deterministically whatever
 * the number of workers: a flow whose idle timeout has passed when its next
 * packet arrives is ended first (reason timeout) and a new flow starts.
 * Interim records are emitted for flows older than the active timeout,
 * carrying the counters since the previous record (IPFIX style).
 *
 * Ended flows are handed to the end callback before their slot is reused;
 * the callback turns them into records (mdr_flow_to_record) and releases
 * per-module state kept in f->ext[].
 */
#ifndef MDR_FLOW_H
#define MDR_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/mdr_common.h"
#include "../decode/decode.h"
#include "../reassembly/reassembly.h"

enum mdr_flow_state {           /* Suricata flow.state */
	MDR_FLOW_STATE_NEW = 0,
	MDR_FLOW_STATE_ESTABLISHED,
	MDR_FLOW_STATE_CLOSED,
};

enum mdr_tcp_state {            /* Suricata tcp.state names */
	MDR_TCP_NONE = 0,
	MDR_TCP_SYN_SENT,
	MDR_TCP_SYN_RECV,
	MDR_TCP_ESTABLISHED,
	MDR_TCP_FIN_WAIT1,
	MDR_TCP_FIN_WAIT2,
	MDR_TCP_TIME_WAIT,
	MDR_TCP_LAST_ACK,
	MDR_TCP_CLOSE_WAIT,
	MDR_TCP_CLOSING,
	MDR_TCP_CLOSED,
};

/* Why a record was written (fine grained; EVE flow.reason is derived). */
enum mdr_flow_end {
	MDR_END_IDLE_TIMEOUT = 0,   /* EVE reason "timeout" */
	MDR_END_FIN,                /* closed by FINs, then closed-timeout: "timeout" */
	MDR_END_RST,                /* closed by RST: "timeout" */
	MDR_END_ACTIVE_TIMEOUT,     /* interim record of a long flow: "timeout" */
	MDR_END_SHUTDOWN,           /* end of capture / signal: "shutdown" */
	MDR_END_EVICTED,            /* table full, memory pressure: "forced" */
	MDR_END_REUSED,             /* 5-tuple reused by a new SYN: "forced" */
	MDR_END__COUNT
};

enum mdr_timeout_class {
	MDR_TO_TCP_NEW = 0, MDR_TO_TCP_EST, MDR_TO_TCP_CLOSED,
	MDR_TO_UDP, MDR_TO_ICMP, MDR_TO_OTHER, MDR_TO__COUNT
};

struct mdr_flow_config {
	uint32_t max_flows;             /* cap per worker; default 262144 */
	uint32_t hash_size;             /* buckets; default max_flows (pow2) */
	uint64_t timeout_ns[MDR_TO__COUNT]; /* idle timeouts; Suricata defaults:
	                                  tcp new 60, est 600 (we use 3600), closed 60,
	                                  udp 300, icmp 300, other 300 s  */
	uint64_t active_timeout_ns;     /* interim records; default 1800 s, 0 = off */
	uint32_t evict_batch;           /* flows freed at once when full; default 16 */
};

#define MDR_HISTORY_MAX 24
#define MDR_FLOW_EXT_MAX 4          /* slots for later modules (nDPI, detect) */
#define MDR_FLOW_NONE UINT32_MAX

struct mdr_flow {
	struct mdr_flow_key key;        /* oriented client -> server */
	uint64_t flow_id;
	mdr_time_t start, last;
	mdr_time_t rec_start;           /* start of the current record interval */
	uint64_t pkts[2], bytes[2];     /* since rec_start */
	uint64_t total_pkts[2], total_bytes[2];
	uint8_t tcp_flags[2];           /* OR of flags per direction (whole flow) */
	uint8_t state, tcp_state, to_class, flipped;
	uint8_t syn_seen[2], fin_seen[2], rst_seen[2], synack_seen;
	uint8_t hist_len;
	char history[MDR_HISTORY_MAX];
	uint32_t hist_mask[2];          /* letters already recorded per side */
	uint32_t rec_seq;               /* records written for this flow so far */
	struct mdr_tunnel tunnel;
	uint16_t vlan[MDR_MAX_VLAN];
	uint8_t vlan_count;
	uint8_t in_use;
	/* table internals */
	uint32_t hash;
	uint32_t next;                  /* bucket chain */
	uint32_t lru_prev, lru_next;    /* timeout-class list */
	struct mdr_stream stream[2];    /* TCP reassembly per direction */
	void *ext[MDR_FLOW_EXT_MAX];    /* per-module state */
	/* added by the flow module (read-only for others); [2] = per side,
	 * 0 = client (originator), 1 = server (responder) */
	uint8_t icmp_type, icmp_code;   /* ICMP/ICMPv6: first packet's type/code */
	uint8_t closed_by;              /* 0, MDR_END_FIN or MDR_END_RST */
	uint8_t fin_acked[2];           /* TCP: the peer acknowledged this side's FIN */
	uint8_t zk_state[2], zk_prev[2]; /* TCP: Zeek endpoint states (conn_state) */
	uint8_t seq_valid[2];
	uint32_t seq_next[2];           /* TCP: highest seq + segment length sent */
	uint32_t fin_seq[2];            /* TCP: ack number that acknowledges the FIN */
	uint64_t payload_bytes[2];      /* L4 payload sent; TCP: new bytes only
	                                   (retransmissions not counted), like
	                                   Zeek's orig_bytes/resp_bytes */
};

struct mdr_flow_stats {
	uint64_t created;
	uint64_t ended[MDR_END__COUNT];
	uint64_t active;                /* gauge */
	uint64_t evicted;               /* == ended[MDR_END_EVICTED] */
	uint64_t lookups, collisions;
	uint64_t interim;
};

typedef void (*mdr_flow_end_cb)(void *ctx, struct mdr_flow *f,
				enum mdr_flow_end why);

struct mdr_flow_table;

void mdr_flow_config_default(struct mdr_flow_config *cfg);
struct mdr_flow_table *mdr_flow_table_create(const struct mdr_flow_config *cfg,
					     uint32_t worker_id,
					     mdr_flow_end_cb end_cb, void *ctx);
void mdr_flow_table_free(struct mdr_flow_table *t);

/*
 * Account one decoded packet: find or create its flow (ending a timed-out
 * or reused one first), update counters, TCP state and history, emit an
 * interim record when the active timeout passed. *dir gets 0 (to server)
 * or 1 (to client). Returns NULL only if no flow could be had.
 */
struct mdr_flow *mdr_flow_process(struct mdr_flow_table *t,
				  const struct mdr_pkt *p, int *dir);

/* End every flow idle past its timeout at packet time `now`. */
void mdr_flow_expire(struct mdr_flow_table *t, mdr_time_t now);
/* End every flow (reason shutdown). */
void mdr_flow_flush(struct mdr_flow_table *t);

const struct mdr_flow_stats *mdr_flow_get_stats(const struct mdr_flow_table *t);

/*
 * Deterministic id of a flow: a 63-bit hash of its oriented key and start
 * time, so the same capture gives the same ids on every path and worker.
 */
uint64_t mdr_flow_id(const struct mdr_flow_key *k, mdr_time_t start);

/* Zeek conn_state of the flow ("S0", "SF", "REJ", "OTH", ...). */
const char *mdr_flow_conn_state(const struct mdr_flow *f);
const char *mdr_flow_end_name(enum mdr_flow_end e);
const char *mdr_tcp_state_name(enum mdr_tcp_state s);

/* Community ID v1 (seed 0 by default) of a key; out >= 32 bytes. 0 / -errno. */
int mdr_community_id(const struct mdr_flow_key *k, uint16_t seed, char *out, size_t len);

/*
 * Community ID v1 of an ICMP/ICMPv6 key (k->proto 1 or 58) given the ICMP
 * type and code of a packet sent from k->src, with the spec's (Zeek's)
 * type/code to port mapping. mdr_community_id() on an ICMP key takes
 * sport/dport as type/code, which is wrong for echo-like keys (identifier).
 */
int mdr_community_id_icmp(const struct mdr_flow_key *k, uint8_t type, uint8_t code,
			  uint16_t seed, char *out, size_t len);
/* Community ID of a flow (uses f->icmp_type/icmp_code for ICMP). */
int mdr_flow_community_id(const struct mdr_flow *f, uint16_t seed, char *out, size_t len);

#endif
