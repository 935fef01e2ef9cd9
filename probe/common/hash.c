/*
 * hash.c - MD5 (RFC 1321), SHA-1 (RFC 3174), SHA-256 (FIPS 180-4).
 *
 * The three share the Merkle-Damgard framing (64-byte blocks, a 0x80 pad
 * byte, the bit length in the last 8 bytes: little-endian for MD5,
 * big-endian for the SHAs), done once in `feed`/`pad` with the block
 * function passed in. Constant tables were generated from their
 * definitions (sines, cube and square roots of primes).
 */
#include "mdr_hash.h"

#include <stdbool.h>
#include <string.h>

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

typedef void (*block_fn)(uint32_t *h, const uint8_t *b);

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void feed(uint32_t *h, uint8_t *buf, uint64_t *total, const void *data, size_t len,
		 block_fn fn)
{
	const uint8_t *p = data;
	size_t used = (size_t)(*total % 64);

	*total += len;
	if (used) {
		size_t n = 64 - used < len ? 64 - used : len;

		memcpy(buf + used, p, n);
		p += n;
		len -= n;
		if (used + n < 64)
			return;
		fn(h, buf);
	}
	for (; len >= 64; p += 64, len -= 64)
		fn(h, p);
	memcpy(buf, p, len);
}

/* 0x80, zeros, then the bit length (little- or big-endian) ending a block. */
static void pad(uint32_t *h, uint8_t *buf, uint64_t total, bool le, block_fn fn)
{
	size_t used = (size_t)(total % 64);
	uint64_t bits = total * 8;

	buf[used++] = 0x80;
	if (used > 56) {
		memset(buf + used, 0, 64 - used);
		fn(h, buf);
		used = 0;
	}
	memset(buf + used, 0, 56 - used);
	for (int i = 0; i < 8; i++)
		buf[56 + i] = (uint8_t)(bits >> (le ? 8 * i : 56 - 8 * i));
	fn(h, buf);
}

static void put_words(const uint32_t *h, int n, bool le, uint8_t *out)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			out[4 * i + k] = (uint8_t)(h[i] >> (le ? 8 * k : 24 - 8 * k));
}

/* ---- MD5 ---- */

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
static const uint8_t md5_r[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };

static void md5_block(uint32_t *h, const uint8_t *b)
{
	uint32_t w[16], a = h[0], bb = h[1], c = h[2], d = h[3];

	for (int i = 0; i < 16; i++)
		w[i] = le32(b + 4 * i);
	for (int i = 0; i < 64; i++) {
		uint32_t f, t;
		int g, round = i / 16;

		switch (round) {
		case 0: f = (bb & c) | (~bb & d); g = i; break;
		case 1: f = (d & bb) | (~d & c); g = (5 * i + 1) % 16; break;
		case 2: f = bb ^ c ^ d; g = (3 * i + 5) % 16; break;
		default: f = c ^ (bb | ~d); g = (7 * i) % 16; break;
		}
		t = d;
		d = c;
		c = bb;
		f += a + md5_k[i] + w[g];
		bb += ROL(f, md5_r[round * 4 + i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += bb;
	h[2] += c;
	h[3] += d;
}

void mdr_md5_init(struct mdr_md5 *c)
{
	static const uint32_t iv[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
}

void mdr_md5_update(struct mdr_md5 *c, const void *data, size_t len)
{
	feed(c->h, c->buf, &c->len, data, len, md5_block);
}

void mdr_md5_final(struct mdr_md5 *c, uint8_t out[16])
{
	pad(c->h, c->buf, c->len, true, md5_block);
	put_words(c->h, 4, true, out);
}

/* ---- SHA-1 ---- */

static void sha1_block(uint32_t *h, const uint8_t *b)
{
	uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = be32(b + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20) { f = (bb & c) | (~bb & d); k = 0x5a827999; }
		else if (i < 40) { f = bb ^ c ^ d; k = 0x6ed9eba1; }
		else if (i < 60) { f = (bb & c) | (bb & d) | (c & d); k = 0x8f1bbcdc; }
		else { f = bb ^ c ^ d; k = 0xca62c1d6; }
		t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(bb, 30);
		bb = a;
		a = t;
	}
	h[0] += a;
	h[1] += bb;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void mdr_sha1_init(struct mdr_sha1 *c)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
}

void mdr_sha1_update(struct mdr_sha1 *c, const void *data, size_t len)
{
	feed(c->h, c->buf, &c->len, data, len, sha1_block);
}

void mdr_sha1_final(struct mdr_sha1 *c, uint8_t out[20])
{
	pad(c->h, c->buf, c->len, false, sha1_block);
	put_words(c->h, 5, false, out);
}

/* ---- SHA-256 ---- */

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256_block(uint32_t *h, const uint8_t *b)
{
	uint32_t w[64], s[8];

	for (int i = 0; i < 16; i++)
		w[i] = be32(b + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(s, h, sizeof(s));
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ROR(s[4], 6) ^ ROR(s[4], 11) ^ ROR(s[4], 25);
		uint32_t ch = (s[4] & s[5]) ^ (~s[4] & s[6]);
		uint32_t t1 = s[7] + S1 + ch + sha256_k[i] + w[i];
		uint32_t S0 = ROR(s[0], 2) ^ ROR(s[0], 13) ^ ROR(s[0], 22);
		uint32_t maj = (s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]);

		memmove(s + 1, s, 7 * sizeof(uint32_t));
		s[4] += t1;
		s[0] = t1 + S0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += s[i];
}

void mdr_sha256_init(struct mdr_sha256 *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
}

void mdr_sha256_update(struct mdr_sha256 *c, const void *data, size_t len)
{
	feed(c->h, c->buf, &c->len, data, len, sha256_block);
}

void mdr_sha256_final(struct mdr_sha256 *c, uint8_t out[32])
{
	pad(c->h, c->buf, c->len, false, sha256_block);
	put_words(c->h, 8, false, out);
}

/* ---- helpers ---- */

void mdr_hex(const uint8_t *b, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 15];
	}
	out[2 * n] = 0;
}

void mdr_md5_hex(const void *data, size_t len, char out[33])
{
	struct mdr_md5 c;
	uint8_t d[16];

	mdr_md5_init(&c);
	mdr_md5_update(&c, data, len);
	mdr_md5_final(&c, d);
	mdr_hex(d, 16, out);
}

void mdr_sha256_hex(const void *data, size_t len, char out[65])
{
	struct mdr_sha256 c;
	uint8_t d[32];

	mdr_sha256_init(&c);
	mdr_sha256_update(&c, data, len);
	mdr_sha256_final(&c, d);
	mdr_hex(d, 32, out);
}
