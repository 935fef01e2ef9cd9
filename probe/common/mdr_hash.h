/*
 * mdr_hash.h - MD5, SHA-1 and SHA-256 without allocation.
 *
 * The fingerprints the probe computes (JA3/JA3S and HASSH: MD5; JA4:
 * SHA-256; certificate fingerprints: SHA-1, fed incrementally as the
 * certificate arrives over several segments) need small, allocation-free
 * digests whose context can live inside per-flow state. Written from
 * RFC 1321, RFC 3174 and FIPS 180-4; checked against their test vectors.
 */
#ifndef MDR_HASH_H
#define MDR_HASH_H

#include <stddef.h>
#include <stdint.h>

struct mdr_md5 {
	uint32_t h[4];
	uint64_t len;
	uint8_t buf[64];
};

struct mdr_sha1 {
	uint32_t h[5];
	uint64_t len;
	uint8_t buf[64];
};

struct mdr_sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
};

void mdr_md5_init(struct mdr_md5 *c);
void mdr_md5_update(struct mdr_md5 *c, const void *data, size_t len);
void mdr_md5_final(struct mdr_md5 *c, uint8_t out[16]);

void mdr_sha1_init(struct mdr_sha1 *c);
void mdr_sha1_update(struct mdr_sha1 *c, const void *data, size_t len);
void mdr_sha1_final(struct mdr_sha1 *c, uint8_t out[20]);

void mdr_sha256_init(struct mdr_sha256 *c);
void mdr_sha256_update(struct mdr_sha256 *c, const void *data, size_t len);
void mdr_sha256_final(struct mdr_sha256 *c, uint8_t out[32]);

/* One shot, as lower-case hex (out: 2 * digest size + 1). */
void mdr_md5_hex(const void *data, size_t len, char out[33]);
void mdr_sha256_hex(const void *data, size_t len, char out[65]);
void mdr_hex(const uint8_t *b, size_t n, char *out);

#endif
