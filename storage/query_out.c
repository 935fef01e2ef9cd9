/*
 * query_out.c - table, EVE JSON and CSV rows for `mdrprobe query`.
 *
 * JSON lines are mdr_eve_flow() dumped like eve.json (compact, ASCII), so
 * `mdrprobe query --json` output can be fed to whatever reads eve.json.
 * Write errors (a closed pipe, a full disk) stop the query quietly and
 * are reported once by the CLI.
 */
#include "query_out.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "output/output.h"
#include "codec.h"

static void fmt_ts(uint64_t ns, char *buf, size_t len)
{
	mdr_eve_format_ts(ns, buf, len);
	buf[strlen(buf) > 26 ? 26 : strlen(buf)] = 0;       /* drop "+0000" */
}

static void fmt_dur(uint64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	if (s < 60)
		snprintf(buf, len, "%.3fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%.1fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
}

static void endpoint(const struct mdr_flow_record *r, int side, char *buf, size_t len)
{
	char ip[64];
	const struct mdr_ip *a = side ? &r->key.dst : &r->key.src;
	uint16_t port = side ? r->key.dport : r->key.sport;
	uint8_t p = r->key.proto;

	mdr_ip_to_str(a, r->key.ip_ver, ip, sizeof(ip));
	if (p == 6 || p == 17 || p == 132)
		snprintf(buf, len, r->key.ip_ver == 6 ? "[%s]:%u" : "%s:%u", ip, port);
	else
		snprintf(buf, len, "%s", ip);
}

static void sids_text(const struct mdr_flow_meta *m, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = 0;
	for (int i = 0; i < m->nsids && i < MDR_REC_MAX_SIDS && pos + 12 < len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%" PRIu32, i ? "," : "",
					m->sids[i]);
}

static void table_rec(struct mdr_qout *o, const struct mdr_flow_record *r)
{
	const struct mdr_flow_meta *m = &r->meta;
	char ts[40], dur[16], src[64], dst[64], pb[8], sids[200], info[400];
	const char *name = m->sni[0] ? m->sni : m->http_host[0] ? m->http_host : m->dns_query;

	if (!o->header_done) {
		fprintf(o->fp, "%-26s %8s %-5s %-22s %-22s %-8s %8s %10s  %s\n", "start", "duration",
			"proto", "client", "server", "app", "packets", "bytes", "name / sids");
		o->header_done = true;
	}
	fmt_ts(r->start, ts, sizeof(ts));
	fmt_dur(r->end > r->start ? r->end - r->start : 0, dur, sizeof(dur));
	endpoint(r, 0, src, sizeof(src));
	endpoint(r, 1, dst, sizeof(dst));
	sids_text(m, sids, sizeof(sids));
	snprintf(info, sizeof(info), "%s%s%s%s", name, name[0] && sids[0] ? " " : "",
		 sids[0] ? "sids=" : "", sids);
	fprintf(o->fp, "%-26s %8s %-5s %-22s %-22s %-8s %8" PRIu64 " %10" PRIu64 "  %s\n",
		ts, dur, mdr_eve_proto_name(r->key.proto, pb, sizeof(pb)), src, dst,
		m->app_proto[0] ? m->app_proto : "-", r->pkts[0] + r->pkts[1],
		r->bytes[0] + r->bytes[1], info);
}

static void csv_field(FILE *fp, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', fp);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else {
		fputs(s, fp);
	}
	fputc(last ? '\n' : ',', fp);
}

static void csv_rec(struct mdr_qout *o, const struct mdr_flow_record *r)
{
	const struct mdr_flow_meta *m = &r->meta;
	char b[8][64], sids[200], cid[64] = "";

	if (!o->header_done) {
		fputs("start,end,proto,src_ip,src_port,dest_ip,dest_port,app_proto,pkts_toserver,"
		      "pkts_toclient,bytes_toserver,bytes_toclient,conn_state,community_id,sni,"
		      "http_host,dns_query,ja3,ja4,sids,flow_id\n", o->fp);
		o->header_done = true;
	}
	mdr_eve_format_ts(r->start, b[0], sizeof(b[0]));
	mdr_eve_format_ts(r->end, b[1], sizeof(b[1]));
	mdr_ip_to_str(&r->key.src, r->key.ip_ver, b[2], sizeof(b[2]));
	mdr_ip_to_str(&r->key.dst, r->key.ip_ver, b[3], sizeof(b[3]));
	if (mdr_rec_community_id(r, cid, sizeof(cid)) < 0)
		cid[0] = 0;
	sids_text(m, sids, sizeof(sids));
	fprintf(o->fp, "%s,%s,%s,%s,%u,%s,%u,", b[0], b[1],
		mdr_eve_proto_name(r->key.proto, b[4], sizeof(b[4])), b[2], r->key.sport, b[3],
		r->key.dport);
	csv_field(o->fp, m->app_proto, false);
	fprintf(o->fp, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", r->pkts[0], r->pkts[1],
		r->bytes[0], r->bytes[1]);
	csv_field(o->fp, r->conn_state, false);
	csv_field(o->fp, cid, false);
	csv_field(o->fp, m->sni, false);
	csv_field(o->fp, m->http_host, false);
	csv_field(o->fp, m->dns_query, false);
	csv_field(o->fp, m->ja3, false);
	csv_field(o->fp, m->ja4, false);
	csv_field(o->fp, sids, false);
	fprintf(o->fp, "%" PRIu64 "\n", r->flow_id);
}

static void json_rec(struct mdr_qout *o, const struct mdr_flow_record *r)
{
	json_t *j = mdr_eve_flow(r);

	if (!j) {
		o->err = ENOMEM;
		return;
	}
	if (json_dumpf(j, o->fp, JSON_COMPACT | JSON_ENSURE_ASCII) == 0)
		fputc('\n', o->fp);
	json_decref(j);
}

static void group_row(struct mdr_qout *o, const struct mdr_query_row *row)
{
	json_t *j;

	switch (o->fmt) {
	case MDR_QOUT_TABLE:
		if (!o->header_done)
			fprintf(o->fp, "%-48s %10s %14s %12s\n", o->group, "flows", "bytes", "packets");
		fprintf(o->fp, "%-48s %10" PRIu64 " %14" PRIu64 " %12" PRIu64 "\n", row->group,
			row->flows, row->bytes, row->pkts);
		break;
	case MDR_QOUT_CSV:
		if (!o->header_done)
			fprintf(o->fp, "%s,flows,bytes,packets\n", o->group);
		csv_field(o->fp, row->group, false);
		fprintf(o->fp, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", row->flows, row->bytes,
			row->pkts);
		break;
	case MDR_QOUT_JSON:
		j = json_pack("{s:s, s:I, s:I, s:I}", o->group, row->group,
			      "flows", (json_int_t)row->flows, "bytes", (json_int_t)row->bytes,
			      "packets", (json_int_t)row->pkts);
		if (j && json_dumpf(j, o->fp, JSON_COMPACT | JSON_ENSURE_ASCII) == 0)
			fputc('\n', o->fp);
		json_decref(j);
		break;
	}
	o->header_done = true;
}

int mdr_qout_row(void *ctx, const struct mdr_query_row *row)
{
	struct mdr_qout *o = ctx;

	if (!row->rec)
		group_row(o, row);
	else if (o->fmt == MDR_QOUT_JSON)
		json_rec(o, row->rec);
	else if (o->fmt == MDR_QOUT_CSV)
		csv_rec(o, row->rec);
	else
		table_rec(o, row->rec);
	o->rows++;
	if (ferror(o->fp) && !o->err)
		o->err = errno ? errno : EIO;
	return o->err != 0;
}
