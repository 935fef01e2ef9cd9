/*
 * output.h - flow records and the EVE JSON writer.
 *
 * A worker turns an ended (or interim) flow into a fixed-size
 * struct mdr_flow_record (mdr_record_from_flow) and hands it to the writer
 * thread over a ring; the writer formats it as one EVE JSON line
 * (event_type "flow", Suricata field names, plus community_id, conn_state
 * and history) with jansson. Later sinks (the RocksDB store, the alert bus)
 * consume the same records.
 */
#ifndef MDR_OUTPUT_H
#define MDR_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "../flow/flow.h"

#define MDR_REC_NAME 128     /* SNI, HTTP host, DNS query */
#define MDR_REC_MAX_SIDS 16

/*
 * Application metadata of a flow, filled by classification (nDPI) and
 * detection when they run; empty strings / zeros otherwise.
 */
struct mdr_flow_meta {
	char app_proto[16];         /* Suricata-style lower case: "tls", "http", "dns" */
	char ndpi_proto[48];        /* ndpi_protocol2name(), e.g. "TLS.Google" */
	char ndpi_category[32];
	uint64_t ndpi_risks;        /* bitmap of nDPI risk numbers */
	char sni[MDR_REC_NAME];     /* TLS server name */
	char http_host[MDR_REC_NAME];
	char dns_query[MDR_REC_NAME];
	char ja3[33], ja3s[33];     /* hex MD5 */
	char ja4[40];
	char country[2][3];         /* ISO code of client [0] and server [1] */
	uint32_t asn[2];
	uint8_t internal[2];        /* endpoint inside home_net */
	uint8_t cleartext_cred;     /* a clear-text credential was seen */
	uint8_t nsids;
	uint32_t sids[MDR_REC_MAX_SIDS]; /* signatures that fired on the flow */
};

struct mdr_flow_record {
	struct mdr_flow_key key;        /* client -> server */
	struct mdr_tunnel tunnel;
	uint64_t flow_id;
	mdr_time_t start, end;          /* first and last packet of the flow */
	uint64_t pkts[2], bytes[2];     /* [0] to server, [1] to client (this record) */
	uint8_t tcp_flags[2];
	uint8_t state, tcp_state, end_reason, interim;
	uint8_t vlan_count, icmp_type, icmp_code, pad;
	uint16_t vlan[MDR_MAX_VLAN];
	uint16_t worker;
	uint32_t seq;                   /* records written before this one for the flow */
	uint32_t gaps[2];               /* TCP reassembly holes per direction */
	char history[MDR_HISTORY_MAX];
	char conn_state[8];
	struct mdr_flow_meta meta;
};

void mdr_record_from_flow(struct mdr_flow_record *r, const struct mdr_flow *f,
			  enum mdr_flow_end why, uint16_t worker);

/* "2024-01-02T03:04:05.678901+0000" (UTC, microseconds, as Suricata). */
void mdr_eve_format_ts(mdr_time_t t, char *buf, size_t len);
/* Suricata's spelling of an IP protocol ("TCP", "UDP", "ICMP", "IPv6-ICMP", "47"...). */
const char *mdr_eve_proto_name(uint8_t proto, char *buf, size_t len);
/* The EVE flow event of a record (new reference; NULL on ENOMEM). */
json_t *mdr_eve_flow(const struct mdr_flow_record *r);

/* A line-oriented JSON file (eve.json, stats.json). */
struct mdr_jsonfile;
struct mdr_jsonfile *mdr_jsonfile_open(const char *path, int *err);
/* Write one object as a compact line. 0 or -errno (counted, never fatal). */
int mdr_jsonfile_write(struct mdr_jsonfile *f, json_t *obj);
int mdr_jsonfile_flush(struct mdr_jsonfile *f);
uint64_t mdr_jsonfile_errors(const struct mdr_jsonfile *f);
uint64_t mdr_jsonfile_lines(const struct mdr_jsonfile *f);
void mdr_jsonfile_close(struct mdr_jsonfile *f);

#endif
