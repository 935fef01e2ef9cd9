/*
 * query_values.c - literal values of the query language.
 *
 * IP addresses and CIDRs (host bits are cleared: 10.1.2.3/16 is
 * 10.1.0.0/16), unsigned numbers with decimal k/M/G/T suffixes (1M =
 * 1,000,000, as nfdump), protocol names or numbers, durations (90, 1.5s,
 * 200ms, 5m, 2h, 1d) and times: `now`, `today`, `yesterday`, relative
 * (-24h, 7d = 7 days ago, +1h), or ISO 8601 dates and date-times, UTC
 * unless an offset is given. All return 0 or -1 (the parser reports).
 */
#include "query_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int mdr_qparse_ip(const char *s, struct mdr_ip *ip, uint8_t *ver, uint8_t *plen)
{
	char buf[64], *slash, *end;
	unsigned long n;
	int max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, buf, ip->b) == 1)
		*ver = 4, max = 32;
	else if (inet_pton(AF_INET6, buf, ip->b) == 1)
		*ver = 6, max = 128;
	else
		return -1;
	*plen = (uint8_t)max;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		n = strtoul(slash + 1, &end, 10);
		if (*end || n > (unsigned long)max)
			return -1;
		*plen = (uint8_t)n;
	}
	for (int bit = *plen; bit < max; bit++)
		ip->b[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	return 0;
}

int mdr_qparse_uint(const char *s, uint64_t max, bool suffix, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end && suffix && !end[1]) {
		switch (tolower((unsigned char)*end)) {
		case 'k': mul = 1000ull; break;
		case 'm': mul = 1000000ull; break;
		case 'g': mul = 1000000000ull; break;
		case 't': mul = 1000000000000ull; break;
		default: return -1;
		}
		end++;
	}
	if (*end || (v && mul > UINT64_MAX / v) || v * mul > max)
		return -1;
	*out = v * mul;
	return 0;
}

int mdr_qparse_proto(const char *s, uint64_t *out)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "ipv6", 41 },
		{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 },
		{ "ipv6-icmp", 58 }, { "icmp6", 58 }, { "ospf", 89 }, { "pim", 103 },
		{ "vrrp", 112 }, { "sctp", 132 },
	};

	for (size_t i = 0; i < MDR_ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].n) == 0) {
			*out = names[i].p;
			return 0;
		}
	return mdr_qparse_uint(s, 255, false, out);
}

/* "1.5" -> 1500000000 * unit / 1000000000 without floating point error. */
static int decimal_times(const char *s, const char *end, uint64_t unit, uint64_t *out)
{
	uint64_t ip = 0, frac = 0, div = 1;
	const char *p = s;

	if (p == end || !isdigit((unsigned char)*p))
		return -1;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (ip > UINT64_MAX / 10 / unit)
			return -1;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p == '.') {
		for (p++; p < end && isdigit((unsigned char)*p) && div < 1000000000ull; p++) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			div *= 10;
		}
	}
	if (p != end)
		return -1;
	*out = ip * unit + frac * unit / div;
	return 0;
}

int mdr_qparse_dur(const char *s, uint64_t *out)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "ms", 1000000ull }, { "us", 1000ull }, { "ns", 1ull }, { "s", 1000000000ull },
		{ "m", 60000000000ull }, { "h", 3600000000000ull }, { "d", 86400000000000ull },
		{ "w", 604800000000000ull },
	};
	size_t len = strlen(s);

	for (size_t i = 0; i < MDR_ARRAY_SIZE(units); i++) {
		size_t ul = strlen(units[i].u);

		if (len > ul && strcasecmp(s + len - ul, units[i].u) == 0 &&
		    (isdigit((unsigned char)s[len - ul - 1]) || s[len - ul - 1] == '.'))
			return decimal_times(s, s + len - ul, units[i].ns, out);
	}
	return decimal_times(s, s + len, 1000000000ull, out);
}

/* "+HH:MM", "-HHMM", "Z" -> seconds east of UTC. */
static int parse_offset(const char *p, long *off)
{
	int sign, h, m = 0;

	*off = 0;
	if (*p == 0 || strcasecmp(p, "Z") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (*p == ':')
		p++;
	if (*p) {
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2])
			return -1;
		m = (p[0] - '0') * 10 + (p[1] - '0');
	}
	if (h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600L + m * 60L);
	return 0;
}

static int parse_iso(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *p;
	uint64_t frac = 0, div = 1;
	long off = 0;
	time_t t;

	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || !isdigit((unsigned char)s[0]))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		const char *q = strptime(p + 1, "%H:%M", &tm);

		if (!q)
			return -1;
		p = q;
		if (*p == ':' && !(p = strptime(p + 1, "%S", &tm)))
			return -1;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				if (div < 1000000000ull)
					frac = frac * 10 + (uint64_t)(*p - '0'), div *= 10;
	}
	if (parse_offset(p, &off) < 0)
		return -1;
	t = timegm(&tm);
	if (t < 0)
		return -1;
	*out = ((uint64_t)t - (uint64_t)off) * MDR_NSEC_PER_SEC + frac * (MDR_NSEC_PER_SEC / div);
	return 0;
}

int mdr_qparse_time(const char *s, uint64_t now_ns, uint64_t *out)
{
	uint64_t d, day = 86400 * MDR_NSEC_PER_SEC;

	if (!*s)
		return -1;
	if (strcasecmp(s, "now") == 0) {
		*out = now_ns;
		return 0;
	}
	if (strcasecmp(s, "today") == 0 || strcasecmp(s, "yesterday") == 0) {
		*out = now_ns / day * day - (tolower((unsigned char)s[0]) == 'y' ? day : 0);
		return 0;
	}
	if (parse_iso(s, out) == 0)
		return 0;
	if ((s[0] == '-' || s[0] == '+') && mdr_qparse_dur(s + 1, &d) == 0) {
		if (s[0] == '+')
			*out = now_ns + d;
		else
			*out = d < now_ns ? now_ns - d : 0;
		return 0;
	}
	/* "7d": a duration ago; a bare number is not a time */
	if (isdigit((unsigned char)s[strlen(s) - 1]) || mdr_qparse_dur(s, &d) < 0)
		return -1;
	*out = d < now_ns ? now_ns - d : 0;
	return 0;
}
