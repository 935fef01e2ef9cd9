/*
 * homenet.c - the customer's own networks, Suricata's HOME_NET syntax.
 *
 * A comma-separated list of prefixes in optional brackets; '!' excludes a
 * prefix. An address is internal when some positive prefix holds it and
 * no excluded one does. The list is short (tens of entries) and checked
 * twice per record on the writer, so a linear scan is fine.
 */
#include "enrich.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_one(const char *tok, struct mdr_homenet *hn, char *err, size_t errlen)
{
	char buf[64], *slash;
	bool neg = false;
	long plen;
	int ver;

	if (*tok == '!') {
		neg = true;
		tok++;
	}
	if (strlen(tok) >= sizeof(buf) || !*tok)
		goto bad;
	snprintf(buf, sizeof(buf), "%s", tok);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (hn->n >= MDR_HOMENET_MAX) {
		snprintf(err, errlen, "more than %d networks", MDR_HOMENET_MAX);
		return -EINVAL;
	}
	memset(hn->net[hn->n].addr, 0, 16);
	if (inet_pton(AF_INET, buf, hn->net[hn->n].addr) == 1)
		ver = 4;
	else if (inet_pton(AF_INET6, buf, hn->net[hn->n].addr) == 1)
		ver = 6;
	else
		goto bad;
	plen = ver == 4 ? 32 : 128;
	if (slash) {
		char *end;

		plen = strtol(slash, &end, 10);
		if (!*slash || *end || plen < 0 || plen > (ver == 4 ? 32 : 128))
			goto bad;
	}
	hn->net[hn->n].ver = (uint8_t)ver;
	hn->net[hn->n].plen = (uint8_t)plen;
	hn->net[hn->n].negate = neg;
	hn->n++;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not an address or prefix", tok);
	return -EINVAL;
}

int mdr_homenet_parse(const char *s, struct mdr_homenet *hn, char *err, size_t errlen)
{
	char buf[MDR_HOMENET_STR], *save = NULL, *tok;
	size_t l;

	memset(hn, 0, sizeof(*hn));
	while (isspace((unsigned char)*s))
		s++;
	l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		l--;
	if (l && s[0] == '[') {
		if (s[l - 1] != ']') {
			snprintf(err, errlen, "missing ']'");
			return -EINVAL;
		}
		s++;
		l -= 2;
	}
	if (l >= sizeof(buf)) {
		snprintf(err, errlen, "too long");
		return -EINVAL;
	}
	memcpy(buf, s, l);
	buf[l] = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (parse_one(tok, hn, err, errlen) != 0)
			return -EINVAL;
	return 0;
}

static bool in_prefix(const uint8_t *net, unsigned plen, const uint8_t *a)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(net, a, full) != 0)
		return false;
	if (!rest)
		return true;
	return ((net[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool mdr_homenet_contains(const struct mdr_homenet *hn, const struct mdr_ip *ip, int ver)
{
	bool in = false;

	for (uint32_t i = 0; i < hn->n; i++) {
		if (hn->net[i].ver != ver || !in_prefix(hn->net[i].addr, hn->net[i].plen, ip->b))
			continue;
		if (hn->net[i].negate)
			return false;
		in = true;
	}
	return in;
}
