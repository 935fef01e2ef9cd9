/*
 * eve.c - flow records and their EVE JSON form.
 *
 * Field names follow Suricata's EVE "flow" event so SIEM pipelines keep
 * working: timestamp, flow_id, event_type, vlan, src_ip/src_port,
 * dest_ip/dest_port, proto, icmp_type/icmp_code, flow{pkts_toserver,
 * pkts_toclient, bytes_toserver, bytes_toclient, start, end, age, state,
 * reason}, tcp{tcp_flags, tcp_flags_ts, tcp_flags_tc, syn, fin, rst, psh,
 * ack, urg, ecn, cwr, state}. Additions: community_id, conn_state,
 * history, flow.end_reason, flow.interim, tunnel{...}; app_proto, ndpi{}
 * and the application metadata are added by eve_meta.c.
 */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void mdr_record_from_flow(struct mdr_flow_record *r, const struct mdr_flow *f,
			  enum mdr_flow_end why, uint16_t worker)
{
	memset(r, 0, sizeof(*r));
	r->key = f->key;
	r->tunnel = f->tunnel;
	r->flow_id = f->flow_id;
	r->start = f->start;
	r->end = f->last;
	for (int d = 0; d < 2; d++) {
		r->pkts[d] = f->pkts[d];
		r->bytes[d] = f->bytes[d];
		r->tcp_flags[d] = f->tcp_flags[d];
		r->gaps[d] = f->stream[d].gaps;
	}
	r->state = f->state;
	r->tcp_state = f->tcp_state;
	r->end_reason = (uint8_t)why;
	r->interim = why == MDR_END_ACTIVE_TIMEOUT;
	r->vlan_count = f->vlan_count;
	memcpy(r->vlan, f->vlan, sizeof(r->vlan));
	r->icmp_type = f->icmp_type;
	r->icmp_code = f->icmp_code;
	r->worker = worker;
	r->seq = f->rec_seq;
	memcpy(r->history, f->history, sizeof(r->history));
	r->history[MDR_HISTORY_MAX - 1] = 0;
	snprintf(r->conn_state, sizeof(r->conn_state), "%s", mdr_flow_conn_state(f));
}

void mdr_eve_format_ts(mdr_time_t t, char *buf, size_t len)
{
	time_t sec = (time_t)(t / MDR_NSEC_PER_SEC);
	unsigned usec = (unsigned)((t % MDR_NSEC_PER_SEC) / 1000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, usec);
}

const char *mdr_eve_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 41: return "IPv6";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "IPv6-ICMP";
	case 89: return "OSPF";
	case 103: return "PIM";
	case 112: return "VRRP";
	case 132: return "SCTP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static const char *flow_state_name(uint8_t s)
{
	static const char *n[] = { "new", "established", "closed" };

	return s < MDR_ARRAY_SIZE(n) ? n[s] : "new";
}

/* Suricata's flow.reason: timeout, forced or shutdown. */
static const char *eve_reason(uint8_t why)
{
	switch (why) {
	case MDR_END_SHUTDOWN: return "shutdown";
	case MDR_END_EVICTED:
	case MDR_END_REUSED: return "forced";
	default: return "timeout";
	}
}

static void set_ts(json_t *o, const char *k, mdr_time_t t)
{
	char buf[48];

	mdr_eve_format_ts(t, buf, sizeof(buf));
	json_object_set_new(o, k, json_string(buf));
}

static void set_ip(json_t *o, const char *k, const struct mdr_ip *ip, int ver)
{
	char buf[64];

	json_object_set_new(o, k, json_string(mdr_ip_to_str(ip, ver, buf, sizeof(buf))));
}

static json_t *eve_tcp(const struct mdr_flow_record *r)
{
	json_t *t = json_object();
	uint8_t all = r->tcp_flags[0] | r->tcp_flags[1];
	char buf[8];
	static const struct { uint8_t bit; const char *name; } fl[] = {
		{ 0x02, "syn" }, { 0x01, "fin" }, { 0x04, "rst" }, { 0x08, "psh" },
		{ 0x10, "ack" }, { 0x20, "urg" }, { 0x40, "ecn" }, { 0x80, "cwr" },
	};

	snprintf(buf, sizeof(buf), "%02x", all);
	json_object_set_new(t, "tcp_flags", json_string(buf));
	snprintf(buf, sizeof(buf), "%02x", r->tcp_flags[0]);
	json_object_set_new(t, "tcp_flags_ts", json_string(buf));
	snprintf(buf, sizeof(buf), "%02x", r->tcp_flags[1]);
	json_object_set_new(t, "tcp_flags_tc", json_string(buf));
	for (size_t i = 0; i < MDR_ARRAY_SIZE(fl); i++)
		if (all & fl[i].bit)
			json_object_set_new(t, fl[i].name, json_true());
	json_object_set_new(t, "state",
			    json_string(mdr_tcp_state_name((enum mdr_tcp_state)r->tcp_state)));
	if (r->gaps[0] || r->gaps[1]) {
		json_object_set_new(t, "gaps_ts", json_integer(r->gaps[0]));
		json_object_set_new(t, "gaps_tc", json_integer(r->gaps[1]));
	}
	return t;
}

static json_t *eve_flow_obj(const struct mdr_flow_record *r)
{
	json_t *f = json_object();

	json_object_set_new(f, "pkts_toserver", json_integer((json_int_t)r->pkts[0]));
	json_object_set_new(f, "pkts_toclient", json_integer((json_int_t)r->pkts[1]));
	json_object_set_new(f, "bytes_toserver", json_integer((json_int_t)r->bytes[0]));
	json_object_set_new(f, "bytes_toclient", json_integer((json_int_t)r->bytes[1]));
	set_ts(f, "start", r->start);
	set_ts(f, "end", r->end);
	json_object_set_new(f, "age", json_integer((json_int_t)(r->end / MDR_NSEC_PER_SEC -
							       r->start / MDR_NSEC_PER_SEC)));
	json_object_set_new(f, "state", json_string(flow_state_name(r->state)));
	json_object_set_new(f, "reason", json_string(eve_reason(r->end_reason)));
	json_object_set_new(f, "end_reason",
			    json_string(mdr_flow_end_name((enum mdr_flow_end)r->end_reason)));
	if (r->interim || r->seq) {
		json_object_set_new(f, "interim", json_boolean(r->interim));
		json_object_set_new(f, "record_seq", json_integer(r->seq));
	}
	return f;
}

static json_t *eve_tunnel(const struct mdr_flow_record *r)
{
	static const char *tn[] = { "none", "gre", "vxlan", "ipip", "erspan", "geneve" };
	json_t *t = json_object();

	set_ip(t, "src_ip", &r->tunnel.src, r->tunnel.ip_ver);
	set_ip(t, "dest_ip", &r->tunnel.dst, r->tunnel.ip_ver);
	json_object_set_new(t, "type", json_string(r->tunnel.type < MDR_ARRAY_SIZE(tn) ?
						   tn[r->tunnel.type] : "unknown"));
	json_object_set_new(t, "depth", json_integer(r->tunnel.depth));
	if (r->tunnel.vni)
		json_object_set_new(t, "vni", json_integer(r->tunnel.vni));
	return t;
}

static void eve_endpoints(json_t *o, const struct mdr_flow_record *r)
{
	const struct mdr_flow_key *k = &r->key;
	char pbuf[8];
	bool icmp = k->proto == 1 || k->proto == 58;

	set_ip(o, "src_ip", &k->src, k->ip_ver);
	if (!icmp && (k->proto == 6 || k->proto == 17 || k->proto == 132))
		json_object_set_new(o, "src_port", json_integer(k->sport));
	set_ip(o, "dest_ip", &k->dst, k->ip_ver);
	if (!icmp && (k->proto == 6 || k->proto == 17 || k->proto == 132))
		json_object_set_new(o, "dest_port", json_integer(k->dport));
	json_object_set_new(o, "proto", json_string(mdr_eve_proto_name(k->proto, pbuf, sizeof(pbuf))));
	if (icmp) {
		json_object_set_new(o, "icmp_type", json_integer(r->icmp_type));
		json_object_set_new(o, "icmp_code", json_integer(r->icmp_code));
	}
}

json_t *mdr_eve_flow(const struct mdr_flow_record *r)
{
	json_t *o = json_object();
	char cid[64];
	int rc;

	if (!o)
		return NULL;
	set_ts(o, "timestamp", r->end);
	json_object_set_new(o, "flow_id", json_integer((json_int_t)r->flow_id));
	json_object_set_new(o, "event_type", json_string("flow"));
	if (r->vlan_count) {
		json_t *v = json_array();
		for (int i = 0; i < r->vlan_count && i < MDR_MAX_VLAN; i++)
			json_array_append_new(v, json_integer(r->vlan[i]));
		json_object_set_new(o, "vlan", v);
	}
	eve_endpoints(o, r);
	json_object_set_new(o, "flow", eve_flow_obj(r));
	if (r->key.proto == 1 || r->key.proto == 58)
		rc = mdr_community_id_icmp(&r->key, r->icmp_type, r->icmp_code, 0, cid, sizeof(cid));
	else
		rc = mdr_community_id(&r->key, 0, cid, sizeof(cid));
	if (rc == 0)
		json_object_set_new(o, "community_id", json_string(cid));
	if (r->key.proto == 6)
		json_object_set_new(o, "tcp", eve_tcp(r));
	json_object_set_new(o, "conn_state", json_string(r->conn_state));
	json_object_set_new(o, "history", json_string(r->history));
	if (r->tunnel.type != MDR_TUNNEL_NONE)
		json_object_set_new(o, "tunnel", eve_tunnel(r));
	mdr_eve_flow_meta(o, r);
	return o;
}

/* ---- JSON line files ---- */

struct mdr_jsonfile {
	FILE *fp;
	uint64_t lines, errors;
};

struct mdr_jsonfile *mdr_jsonfile_open(const char *path, int *err)
{
	struct mdr_jsonfile *f = calloc(1, sizeof(*f));

	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	f->fp = fopen(path, "a");
	if (!f->fp) {
		*err = -errno;
		free(f);
		return NULL;
	}
	setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
	return f;
}

int mdr_jsonfile_write(struct mdr_jsonfile *f, json_t *obj)
{
	if (json_dumpf(obj, f->fp, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 ||
	    fputc('\n', f->fp) == EOF) {
		f->errors++;
		clearerr(f->fp);
		return -EIO;
	}
	f->lines++;
	return 0;
}

int mdr_jsonfile_flush(struct mdr_jsonfile *f)
{
	if (fflush(f->fp) != 0) {
		f->errors++;
		clearerr(f->fp);
		return -EIO;
	}
	return 0;
}

uint64_t mdr_jsonfile_errors(const struct mdr_jsonfile *f)
{
	return f->errors;
}

uint64_t mdr_jsonfile_lines(const struct mdr_jsonfile *f)
{
	return f->lines;
}

void mdr_jsonfile_close(struct mdr_jsonfile *f)
{
	if (!f)
		return;
	mdr_jsonfile_flush(f);
	fclose(f->fp);
	free(f);
}
