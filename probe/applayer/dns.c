/*
 * dns.c - DNS messages over UDP (one per datagram) and TCP (length-prefixed
 * messages gathered from the stream): the question and every answer.
 *
 * Names are read with compression pointers followed backwards only (a
 * pointer must point before the label it replaces, which also ends loops)
 * and a 255-byte limit, and written in the master-file presentation format
 * (other bytes than printable ASCII as \DDD, so that output stays ASCII). Answers keep their type, TTL, owner name and rdata
 * as text (A, AAAA, CNAME, NS, PTR, DNAME, MX, TXT, SOA, SRV; other types
 * have no rdata text) in the event's arena; an owner name equal to the
 * question or the previous answer's is stored once. Answers that do not
 * fit are counted in `truncated`. A message shorter than its header or
 * whose question does not parse is garbage: counted, no event.
 */
#include "app_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define SAME_AS_QUERY 0xffff

struct msg {
	const uint8_t *m;
	uint32_t n;
};

/*
 * A label in the master-file presentation format (RFC 1035, as dig prints
 * it): printable ASCII as is, '.' and backslash escaped with a backslash,
 * other bytes as \DDD (decimal). Cut at len - 1; the result is ASCII.
 */
static uint32_t put_label(char *out, size_t len, uint32_t o, const uint8_t *l, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = l[i];
		char esc[5];
		size_t k;

		if (c == '.' || c == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", c);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\%03u", c);
		} else {
			esc[0] = (char)c;
			esc[1] = 0;
		}
		k = strlen(esc);
		if (o + k + 1 > len)
			break;
		memcpy(out + o, esc, k);
		o += (uint32_t)k;
	}
	return o;
}

/* Read a (possibly compressed) name at *off into out; advances *off. */
static int read_name(const struct msg *s, uint32_t *off, char *out, size_t len)
{
	uint32_t p = *off, o = 0, end = 0, hops = 0, wire = 0;

	while (p < s->n) {
		uint8_t l = s->m[p];

		if ((l & 0xc0) == 0xc0) {
			uint32_t to;

			if (p + 1 >= s->n || ++hops > 64)
				return -1;
			to = (uint32_t)(l & 0x3f) << 8 | s->m[p + 1];
			if (!end)
				end = p + 2;
			if (to >= p)
				return -1;
			p = to;
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (l == 0) {
			*off = end ? end : p + 1;
			if (!o)
				snprintf(out, len, "<root>");
			else
				out[o] = 0;
			return 0;
		}
		if (p + 1 + l > s->n || (wire += l + 1) > 255)
			return -1;
		if (o && o + 1 < len)
			out[o++] = '.';
		o = put_label(out, len, o, s->m + p + 1, l);
		p += 1 + l;
	}
	return -1;
}

static uint16_t put(struct mdr_app_dns *d, uint16_t *used, const char *s)
{
	size_t l = strlen(s) + 1;
	uint16_t at = *used;

	if (*used + l > sizeof(d->arena))
		return UINT16_MAX - 1;
	memcpy(d->arena + *used, s, l);
	*used = (uint16_t)(*used + l);
	return at;
}

/* rdata of one answer as text; "" for types without a text form. */
static void rdata_text(const struct msg *s, uint16_t type, uint32_t off, uint16_t rdlen,
		       char *out, size_t len)
{
	uint32_t p = off;
	size_t o = 0;

	out[0] = 0;
	switch (type) {
	case 1:
		if (rdlen == 4)
			inet_ntop(AF_INET, s->m + off, out, (socklen_t)len);
		break;
	case 28:
		if (rdlen == 16)
			inet_ntop(AF_INET6, s->m + off, out, (socklen_t)len);
		break;
	case 2: case 5: case 12: case 39: case 6:   /* NS CNAME PTR DNAME, SOA mname */
		if (read_name(s, &p, out, len) != 0)
			out[0] = 0;
		break;
	case 15:                                    /* MX: preference, exchange */
		p += 2;
		if (rdlen < 3 || read_name(s, &p, out, len) != 0)
			out[0] = 0;
		break;
	case 33:                                    /* SRV: prio, weight, port, target */
		p += 6;
		if (rdlen < 7 || read_name(s, &p, out, len) != 0)
			out[0] = 0;
		break;
	case 16:                                    /* TXT: character-strings */
		while (p < off + rdlen) {
			uint8_t l = s->m[p++];

			if (p + l > off + rdlen || o + 1 >= len)
				break;
			app_copy_str(out + o, len - o, s->m + p, l);
			o = strlen(out);
			p += l;
		}
		break;
	default:
		break;
	}
}

static void answers(const struct msg *s, uint32_t off, uint16_t count, struct mdr_app_dns *d)
{
	uint16_t used = 0, prev = SAME_AS_QUERY;
	char name[1024], data[1024], prev_name[1024];

	snprintf(prev_name, sizeof(prev_name), "%s", d->rrname);
	for (uint16_t i = 0; i < count; i++) {
		struct mdr_dns_answer *a;
		uint16_t type, rdlen;

		if (read_name(s, &off, name, sizeof(name)) != 0 || off + 10 > s->n)
			break;
		type = mdr_load_be16(s->m + off);
		rdlen = mdr_load_be16(s->m + off + 8);
		if (off + 10 + rdlen > s->n)
			break;
		if (d->nanswers == MDR_DNS_MAX_ANSWERS) {
			d->truncated++;
			off += 10 + rdlen;
			continue;
		}
		a = &d->ans[d->nanswers];
		a->rrtype = type;
		a->ttl = mdr_load_be32(s->m + off + 4);
		rdata_text(s, type, off + 10, rdlen, data, sizeof(data));
		if (strcmp(name, prev_name) != 0) {
			prev = put(d, &used, name);
			snprintf(prev_name, sizeof(prev_name), "%s", name);
		}
		a->name_off = prev;
		a->data_off = put(d, &used, data);
		if (a->name_off == UINT16_MAX - 1 || a->data_off == UINT16_MAX - 1) {
			d->truncated++;
			break;
		}
		d->nanswers++;
		off += 10 + rdlen;
	}
}

int dns_parse(const uint8_t *m, uint32_t n, struct mdr_app_dns *d)
{
	struct msg s = { m, n };
	uint32_t off = 12;
	uint16_t qd, an;

	if (n < 12)
		return -1;
	d->id = mdr_load_be16(m);
	d->flags = mdr_load_be16(m + 2);
	d->response = d->flags >> 15;
	d->rcode = d->flags & 0x0f;
	qd = mdr_load_be16(m + 4);
	an = mdr_load_be16(m + 6);
	if (qd) {
		if (read_name(&s, &off, d->rrname, sizeof(d->rrname)) != 0 || off + 4 > n)
			return -1;
		d->rrtype = mdr_load_be16(m + off);
		off += 4;
		for (uint16_t i = 1; i < qd; i++) {     /* further questions: skipped */
			char tmp[1024];

			if (read_name(&s, &off, tmp, sizeof(tmp)) != 0 || off + 4 > n)
				return -1;
			off += 4;
		}
	} else if (!d->response) {
		return -1;
	}
	if (d->response)
		answers(&s, off, an, d);
	return 0;
}

static void message(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
		    const uint8_t *m, uint32_t n)
{
	struct mdr_app_event *ev = &a->scratch;

	memset(&ev->u.dns, 0, sizeof(ev->u.dns));
	if (dns_parse(m, n, &ev->u.dns) != 0) {
		a->st.parse_errors++;
		return;
	}
	app_event_header(a, f, af, ev, MDR_APP_DNS);
	if (!af->meta.dns_query[0] && ev->u.dns.rrname[0])
		app_strcpy(af->meta.dns_query, sizeof(af->meta.dns_query), ev->u.dns.rrname);
	app_tx_emit(a, ev);
}

void dns_udp(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	     const uint8_t *d, uint32_t n)
{
	(void)dir;
	message(a, f, af, d, n);
}

void dnstcp_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
		 const uint8_t *d, uint32_t n)
{
	struct dnstcp_dir *dd = &af->u.dns[dir];

	while (n) {
		uint32_t take;

		if (dd->lgot < 2) {
			dd->lenb[dd->lgot++] = *d++;
			n--;
			if (dd->lgot == 2) {
				dd->need = mdr_load_be16(dd->lenb);
				if (dd->need < 12) {
					a->st.parse_errors++;
					af->done[dir] = 1;
					return;
				}
			}
			continue;
		}
		take = dd->need - dd->msg.seen < n ? dd->need - dd->msg.seen : n;
		app_buf_append(a, &dd->msg, d, take);
		d += take;
		n -= take;
		if (dd->msg.seen == dd->need) {
			if (dd->msg.buf)
				message(a, f, af, dd->msg.buf, dd->msg.len);
			app_buf_release(a, &dd->msg);
			dd->lgot = 0;
		}
	}
}

void dnstcp_end(struct mdr_applayer *a, struct app_flow *af)
{
	app_buf_release(a, &af->u.dns[0].msg);
	app_buf_release(a, &af->u.dns[1].msg);
}
