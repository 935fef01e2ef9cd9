/*
 * output.h - flow records and the EVE JSON writer.
 *
 * A worker turns an ended (or interim) flow into a fixed-size
 * struct mdr_flow_record (mdr_record_from_flow) and hands it to the writer
 * thread over a ring; the writer formats it as one EVE JSON line
 * (event_type "flow", Suricata field names, plus community_id, conn_state
 * and history) with jansson. Later sinks (the RocksDB store, the alert bus)
 * consume the same records. Application-layer transactions travel the same
 * way as struct mdr_app_event (a second ring) and become "dns", "http",
 * "tls" and "ssh" events.
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
	/* added by classification / app-layer / enrichment (issue 3) */
	char ndpi_confidence[24];   /* ndpi_confidence_get_name(): "DPI", "Match by port"... */
	uint16_t ndpi_risk_score;   /* nDPI's total risk score */
	uint16_t app_tx;            /* application transactions seen (HTTP requests, DNS...) */
	char cred_proto[8];         /* where the clear-text credential was: "ftp", "http"... */
	char cred_user[64];         /* its user name (never the password) */
	char ssh_client[80];        /* SSH banners ("SSH-2.0-OpenSSH_9.6") */
	char ssh_server[80];
	char hassh[33], hassh_server[33];
	char city[2][48];           /* GeoIP city of client [0] and server [1] */
	char as_org[2][64];         /* ASN organisation */
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

/*
 * Application-layer transactions (filled by probe/applayer): one fixed-size
 * struct per DNS message, HTTP request/response, TLS handshake or SSH key
 * exchange, carried to the writer on each worker's event ring and
 * formatted there as EVE "dns", "http", "tls", "ssh" events.
 */
enum mdr_app_type {
	MDR_APP_DNS = 1,
	MDR_APP_HTTP,
	MDR_APP_TLS,
	MDR_APP_SSH,
};

#define MDR_DNS_MAX_ANSWERS 32

struct mdr_dns_answer {
	uint16_t rrtype;
	uint16_t name_off;              /* into arena, NUL-terminated */
	uint16_t data_off;              /* rdata as text */
	uint16_t pad;
	uint32_t ttl;
};

struct mdr_app_dns {
	uint16_t id, flags;             /* header id and flags word */
	uint16_t rrtype, rcode;         /* first question's type; response code */
	uint8_t response;               /* 0 query, 1 answer */
	uint8_t truncated;              /* answers that did not fit */
	uint16_t nanswers;
	char rrname[1024];              /* first question (presentation format: \DDD escapes) */
	struct mdr_dns_answer ans[MDR_DNS_MAX_ANSWERS];
	char arena[1280];
};

struct mdr_app_http {
	char method[24], protocol[16];
	char hostname[256];
	char url[768];
	char user_agent[256];
	char content_type[96];          /* of the response */
	char referer[192];
	char auth_user[64];             /* HTTP Basic user name */
	uint16_t status;                /* 0: no response seen */
	uint8_t auth_basic;             /* a Basic credential was sent */
	uint8_t truncated;              /* a field was cut to fit */
	uint64_t request_body_len, response_body_len;
};

struct mdr_app_tls {
	uint16_t version;               /* negotiated (ServerHello, supported_versions) */
	uint16_t client_version;        /* highest the client offered */
	uint8_t has_server_hello, has_cert;
	char sni[256];
	char alpn_client[128];          /* comma separated */
	char alpn_server[32];
	char ja3[33], ja3s[33];
	char ja4[40];
	char subject[256], issuer[256];
	char serial[64];                /* "0A:1B:..." */
	char fingerprint[60];           /* SHA-1 of the DER, "aa:bb:..." */
	int64_t not_before, not_after;  /* Unix seconds */
};

struct mdr_app_ssh {
	char client[128], server[128];  /* banners ("SSH-2.0-OpenSSH_9.6") */
	char hassh[33], hassh_server[33];
	char hassh_str[420], hassh_server_str[420];
};

struct mdr_app_event {
	uint8_t type;                   /* enum mdr_app_type */
	uint8_t vlan_count;
	uint16_t worker;
	uint32_t tx_id;                 /* per flow, from 0 */
	mdr_time_t ts;
	uint64_t flow_id;
	struct mdr_flow_key key;        /* client -> server */
	uint16_t vlan[MDR_MAX_VLAN];
	union {
		struct mdr_app_dns dns;
		struct mdr_app_http http;
		struct mdr_app_tls tls;
		struct mdr_app_ssh ssh;
	} u;
};

void mdr_record_from_flow(struct mdr_flow_record *r, const struct mdr_flow *f,
			  enum mdr_flow_end why, uint16_t worker);

/* "2024-01-02T03:04:05.678901+0000" (UTC, microseconds, as Suricata). */
void mdr_eve_format_ts(mdr_time_t t, char *buf, size_t len);
/* Suricata's spelling of an IP protocol ("TCP", "UDP", "ICMP", "IPv6-ICMP", "47"...). */
const char *mdr_eve_proto_name(uint8_t proto, char *buf, size_t len);
/* The EVE flow event of a record (new reference; NULL on ENOMEM). */
json_t *mdr_eve_flow(const struct mdr_flow_record *r);
/* app_proto, ndpi{}, metadata objects, geoip and home_net of a flow event. */
void mdr_eve_flow_meta(json_t *o, const struct mdr_flow_record *r);
/* The EVE event of an application-layer transaction. */
json_t *mdr_eve_app(const struct mdr_app_event *ev);
/* Suricata's ssh.client / ssh.server object of a banner ("SSH-2.0-OpenSSH_9.6"). */
json_t *mdr_eve_ssh_side(const char *banner, const char *hassh, const char *hassh_str);

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
