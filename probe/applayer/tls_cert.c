/*
 * tls_cert.c - the few fields of an X.509 certificate the TLS event
 * carries: serial, issuer, validity, subject.
 *
 * A minimal DER walker over the start of TBSCertificate
 *   SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
 *              signature AlgorithmIdentifier, issuer Name,
 *              validity SEQUENCE { notBefore, notAfter }, subject Name, ... }
 * Names print as Suricata does: "C=US, O=Example, CN=www.example.com" in
 * certificate order, with short names for the usual attribute OIDs and the
 * dotted OID otherwise. Works on a prefix of the DER (the buffer may hold
 * only the first 8 KiB of a huge certificate): every length is checked,
 * and fields that are not complete in the prefix are left empty.
 */
#include "app_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct tlv {
	uint8_t tag;
	const uint8_t *v;
	uint32_t len;
};

/* Read one TLV from [*p, end); false when it does not fit. */
static bool der_next(const uint8_t **p, const uint8_t *end, struct tlv *t)
{
	const uint8_t *q = *p;
	uint32_t len = 0;

	if (end - q < 2)
		return false;
	t->tag = *q++;
	if (*q < 0x80) {
		len = *q++;
	} else {
		int nb = *q++ & 0x7f;

		if (nb == 0 || nb > 4 || end - q < nb)
			return false;
		while (nb--)
			len = len << 8 | *q++;
	}
	if ((uint64_t)(end - q) < len)
		return false;
	t->v = q;
	t->len = len;
	*p = q + len;
	return true;
}

static const struct { const char *oid, *name; } attrs[] = {
	{ "2.5.4.3", "CN" }, { "2.5.4.6", "C" }, { "2.5.4.7", "L" }, { "2.5.4.8", "ST" },
	{ "2.5.4.10", "O" }, { "2.5.4.11", "OU" }, { "2.5.4.5", "serialNumber" },
	{ "2.5.4.9", "street" }, { "2.5.4.17", "postalCode" }, { "2.5.4.12", "title" },
	{ "2.5.4.4", "SN" }, { "2.5.4.42", "GN" }, { "2.5.4.15", "businessCategory" },
	{ "1.2.840.113549.1.9.1", "emailAddress" }, { "0.9.2342.19200300.100.1.25", "DC" },
	{ "0.9.2342.19200300.100.1.1", "UID" },
	{ "1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC" },
	{ "1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST" },
	{ "1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL" },
};

static void oid_text(const uint8_t *v, uint32_t n, char *out, size_t len)
{
	size_t o;
	uint64_t x = 0;

	if (!n) {
		snprintf(out, len, "?");
		return;
	}
	o = (size_t)snprintf(out, len, "%u.%u", v[0] / 40 > 2 ? 2 : v[0] / 40,
			     v[0] / 40 > 2 ? v[0] - 80 : v[0] % 40);
	for (uint32_t i = 1; i < n && o < len; i++) {
		x = x << 7 | (v[i] & 0x7f);
		if (!(v[i] & 0x80)) {
			o += (size_t)snprintf(out + o, len - o, ".%llu", (unsigned long long)x);
			x = 0;
		}
	}
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (!strcmp(out, attrs[i].oid)) {
			snprintf(out, len, "%s", attrs[i].name);
			return;
		}
}

/* Name ::= SEQUENCE OF SET OF SEQUENCE { OID, value } */
static void name_text(const struct tlv *name, char *out, size_t len)
{
	const uint8_t *p = name->v, *end = name->v + name->len;
	struct tlv set, atv, oid, val;
	size_t o = 0;

	out[0] = 0;
	while (p < end && der_next(&p, end, &set)) {
		const uint8_t *q = set.v, *qe = set.v + set.len;

		while (q < qe && der_next(&q, qe, &atv)) {
			const uint8_t *r = atv.v, *re = atv.v + atv.len;
			char key[64], value[256];

			if (!der_next(&r, re, &oid) || oid.tag != 0x06 || !der_next(&r, re, &val))
				continue;
			oid_text(oid.v, oid.len, key, sizeof(key));
			app_copy_str(value, sizeof(value), val.v, val.len);
			if (o < len)
				o += (size_t)snprintf(out + o, len - o, "%s%s=%s", o ? ", " : "", key, value);
		}
	}
	if (o >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

static int digits(const uint8_t *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) -> Unix time. */
static int64_t der_time(const struct tlv *t)
{
	struct tm tm;
	const uint8_t *p = t->v;
	int y;

	memset(&tm, 0, sizeof(tm));
	if (t->tag == 0x17 && t->len >= 12) {
		y = digits(p, 2);
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (t->tag == 0x18 && t->len >= 14) {
		y = digits(p, 4);
		p += 4;
	} else {
		return 0;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = digits(p, 2) - 1;
	tm.tm_mday = digits(p + 2, 2);
	tm.tm_hour = digits(p + 4, 2);
	tm.tm_min = digits(p + 6, 2);
	tm.tm_sec = digits(p + 8, 2);
	if (y < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 ||
	    tm.tm_sec < 0)
		return 0;
	return (int64_t)timegm(&tm);
}

static void serial_text(const struct tlv *s, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (uint32_t i = 0; i < s->len && o + 4 <= len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? ":%02X" : "%02X", s->v[i]);
}

int tls_parse_cert(const uint8_t *der, uint32_t n, struct mdr_app_tls *t)
{
	const uint8_t *p = der, *end = der + n, *q, *qe;
	struct tlv cert, x, validity, tm;

	/* the outer SEQUENCE may extend past the prefix we hold: take its header only */
	if (n < 4 || der[0] != 0x30)
		return -1;
	if (!der_next(&p, end, &cert)) {
		p = der + 2 + ((der[1] & 0x80) ? (der[1] & 0x7f) : 0);
		if (p >= end)
			return -1;
		cert.v = p;
		cert.len = (uint32_t)(end - p);
	}
	q = cert.v;
	qe = cert.v + cert.len;
	if (q + 2 > qe || q[0] != 0x30)
		return -1;
	/* TBSCertificate may also run past the prefix: walk its contents directly */
	q += 2 + ((q[1] & 0x80) ? (q[1] & 0x7f) : 0);
	if (q >= qe || !der_next(&q, qe, &x))
		return -1;
	if (x.tag == 0xa0 && !der_next(&q, qe, &x))   /* version, then serial */
		return -1;
	if (x.tag == 0x02)
		serial_text(&x, t->serial, sizeof(t->serial));
	if (!der_next(&q, qe, &x))                    /* signature algorithm */
		return -1;
	if (!der_next(&q, qe, &x))                    /* issuer */
		return -1;
	name_text(&x, t->issuer, sizeof(t->issuer));
	if (!der_next(&q, qe, &validity))
		return -1;
	p = validity.v;
	if (der_next(&p, validity.v + validity.len, &tm))
		t->not_before = der_time(&tm);
	if (der_next(&p, validity.v + validity.len, &tm))
		t->not_after = der_time(&tm);
	if (!der_next(&q, qe, &x))                    /* subject */
		return -1;
	name_text(&x, t->subject, sizeof(t->subject));
	return 0;
}
