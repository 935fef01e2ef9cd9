/*
 * enrich.h - enrichment of flow records on the writer thread: GeoIP
 * country, city and ASN of both endpoints (libmaxminddb), and whether each
 * endpoint is inside the customer's own networks (home-net).
 *
 * Lookups are slow work compared with the packet path, so they run where
 * the records are formatted, not on the workers. A database that cannot be
 * opened turns its part off with one warning on stderr; a home-net that
 * does not parse is a configuration error (mdr_homenet_parse() names the
 * bad entry, and config validation calls it).
 */
#ifndef MDR_ENRICH_H
#define MDR_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/decode.h"
#include "../output/output.h"

#define MDR_ENRICH_PATH 512
#define MDR_HOMENET_STR 1024
#define MDR_HOMENET_MAX 128

struct mdr_enrich_config {
	char city_db[MDR_ENRICH_PATH];      /* GeoLite2/GeoIP2 City (country + city); "" = off */
	char asn_db[MDR_ENRICH_PATH];       /* GeoLite2 ASN; "" = off */
	char home_net[MDR_HOMENET_STR];     /* "[10.0.0.0/8,172.16.0.0/12,!10.9.0.0/16]" */
};

/* A parsed home-net: prefixes, '!' ones excluded. */
struct mdr_homenet {
	struct {
		uint8_t ver, plen, negate, pad;
		uint8_t addr[16];
	} net[MDR_HOMENET_MAX];
	uint32_t n;
};

struct mdr_enrich_stats {
	uint64_t records, geo_hits, asn_hits, lookup_errors;
};

struct mdr_enrich;

void mdr_enrich_config_default(struct mdr_enrich_config *cfg);
/* NULL with errbuf set only when home_net is invalid or on ENOMEM. */
struct mdr_enrich *mdr_enrich_create(const struct mdr_enrich_config *cfg,
				     char *errbuf, size_t errlen);
void mdr_enrich_free(struct mdr_enrich *e);
/* Fill meta.country/city/asn/as_org/internal of both endpoints. */
void mdr_enrich_record(struct mdr_enrich *e, struct mdr_flow_record *r);
/* internal[0..1] of a key (client, server). */
void mdr_enrich_internal(const struct mdr_enrich *e, const struct mdr_flow_key *k,
			 uint8_t internal[2]);
const struct mdr_enrich_stats *mdr_enrich_get_stats(const struct mdr_enrich *e);
bool mdr_enrich_geoip_on(const struct mdr_enrich *e);

/*
 * "[a/len, b, !c/len]" or "a/len,b" (brackets optional, IPv4 and IPv6,
 * a bare address is a host). 0, or -EINVAL with err naming the entry.
 */
int mdr_homenet_parse(const char *s, struct mdr_homenet *hn, char *err, size_t errlen);
bool mdr_homenet_contains(const struct mdr_homenet *hn, const struct mdr_ip *ip, int ver);

#endif
