/*
 * fuzz_decode.c - libFuzzer target for the packet decoder.
 *
 * The first input byte picks the link type (low nibble) and whether
 * checksums are validated (bit 4); the rest is the frame, decoded from
 * libFuzzer's own exact-size buffer so ASan sees any read past caplen.
 * One decoder per checksum mode lives for the whole run, with a small
 * fragment pool and a short timeout, so that successive inputs exercise
 * reassembly, eviction and expiry (mdr_decode_expire is called with a
 * packet clock that advances 1 ms per input). The dispatch hash is run
 * on every frame too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[16] = {
	MDR_LINK_ETHERNET, MDR_LINK_ETHERNET, MDR_LINK_ETHERNET, MDR_LINK_NULL,
	MDR_LINK_LOOP, MDR_LINK_LINUX_SLL, MDR_LINK_LINUX_SLL2, MDR_LINK_RAW,
	12, 14, MDR_LINK_IPV4, MDR_LINK_IPV6, MDR_LINK_ETHERNET,
	MDR_LINK_IPV4, MDR_LINK_IPV6, 999,
};

static struct mdr_decoder *decoder(int csum)
{
	static struct mdr_decoder *d[2];

	if (!d[csum]) {
		struct mdr_decode_config cfg;

		mdr_decode_config_default(&cfg);
		cfg.frag_max_datagrams = 16;
		cfg.frag_max_frags = 16;
		cfg.frag_timeout_ns = 50 * 1000000ULL;
		cfg.checksum_validation = csum;
		d[csum] = mdr_decoder_create(&cfg);
	}
	return d[csum];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mdr_time_t now;
	struct mdr_pkt p = { 0 };

	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;

	struct mdr_decoder *d = decoder((data[0] >> 4) & 1);
	int link = links[data[0] & 15];

	if (!d)
		return 0;
	now += 1000000;
	p.ts = now;
	p.data = data + 1;
	p.caplen = p.wirelen = (uint32_t)(size - 1);
	(void)mdr_decode_packet(d, link, &p);
	(void)mdr_decode_dispatch_hash(link, data + 1, (uint32_t)(size - 1));
	mdr_decode_expire(d, now);
	return 0;
}
