/*
 * keys.c - reference and index value encodings, the prefix extractor.
 *
 * See keys.h for the layouts. Text values are lower-cased (queries on
 * names, applications and fingerprints are case-insensitive) and names
 * are reversed so that a domain suffix is a key prefix.
 */
#include "keys.h"

#include <ctype.h>
#include <string.h>

#include <rocksdb/c.h>

#define MDR_TEXT_MAX (MDR_IX_VALUE_MAX - 1)

void mdr_ref_encode(uint8_t out[MDR_REF_LEN], const struct mdr_ref *r,
		    uint32_t pid, uint64_t span_s)
{
	mdr_put_be(out, r->sec - (uint64_t)pid * span_s, 3);
	mdr_put_be(out + 3, r->ctr, 4);
}

void mdr_ref_decode(const uint8_t in[MDR_REF_LEN], uint32_t pid, uint64_t span_s,
		    struct mdr_ref *r)
{
	r->sec = (uint64_t)pid * span_s + mdr_get_be(in, 3);
	r->ctr = (uint32_t)mdr_get_be(in + 3, 4);
	r->mask = 0;
}

size_t mdr_ix_text(uint8_t *out, const char *s, bool reversed)
{
	size_t n = strnlen(s, MDR_TEXT_MAX);

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[reversed ? n - 1 - i : i];

		out[i] = (uint8_t)tolower(c);
	}
	out[n] = 0;
	return n + 1;
}

size_t mdr_ix_suffix_prefix(uint8_t *out, const char *suffix)
{
	size_t n = mdr_ix_text(out, suffix, true);

	return n ? n - 1 : 0;   /* without the terminator: a prefix range */
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int mdr_ix_cid(const char *cid, uint8_t out[4])
{
	const char *p;
	uint32_t acc = 0;
	int v;

	if (strncmp(cid, "1:", 2) != 0 || strlen(cid) != 30 || strcmp(cid + 29, "=") != 0)
		return -1;
	p = cid + 2;
	for (int i = 0; i < 27; i++)
		if (b64val((unsigned char)p[i]) < 0)
			return -1;
	/* 6 characters = 36 bits; keep the first 32 */
	for (int i = 0; i < 6; i++) {
		v = b64val((unsigned char)p[i]);
		acc = i < 5 ? acc << 6 | (uint32_t)v : acc << 2 | (uint32_t)(v >> 4);
	}
	mdr_put_be(out, acc, 4);
	return 0;
}

size_t mdr_key_successor(const uint8_t *p, size_t n, uint8_t *out)
{
	memcpy(out, p, n);
	while (n > 0) {
		if (out[n - 1] != 0xff) {
			out[n - 1]++;
			return n;
		}
		n--;
	}
	return 0;
}

/* ---- prefix extractor: the key without its trailing reference ---- */

static char *ix_transform(void *state, const char *key, size_t len, size_t *dst_len)
{
	(void)state;
	*dst_len = len - MDR_REF_LEN;
	return (char *)key;
}

static unsigned char ix_in_domain(void *state, const char *key, size_t len)
{
	(void)state;
	(void)key;
	return len > MDR_REF_LEN;
}

static unsigned char ix_in_range(void *state, const char *key, size_t len)
{
	(void)state;
	(void)key;
	(void)len;
	return 0;
}

static const char *ix_name(void *state)
{
	(void)state;
	return "mdr.ix.v1";
}

static void ix_destroy(void *state)
{
	(void)state;
}

rocksdb_slicetransform_t *mdr_ix_prefix_extractor(void)
{
	return rocksdb_slicetransform_create(NULL, ix_destroy, ix_transform,
					     ix_in_domain, ix_in_range, ix_name);
}
