/*
 * geoip.c - the enrichment module: MaxMind City and ASN lookups, home-net.
 *
 * Both databases are opened once (MMDB_MODE_MMAP) by the writer thread's
 * module; a missing or unreadable file is one warning and that lookup is
 * off. Per record: two lookups per database (client, server), addresses
 * given as sockaddrs (no string formatting). Country falls back to the
 * registered country when the database has no location country.
 */
#include "enrich.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

struct mdr_enrich {
	MMDB_s city, asn;
	bool city_on, asn_on;
	struct mdr_homenet home;
	struct mdr_enrich_stats st;
};

void mdr_enrich_config_default(struct mdr_enrich_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->city_db, sizeof(cfg->city_db), "/var/lib/GeoIP/GeoLite2-City.mmdb");
	snprintf(cfg->asn_db, sizeof(cfg->asn_db), "/var/lib/GeoIP/GeoLite2-ASN.mmdb");
	snprintf(cfg->home_net, sizeof(cfg->home_net), "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]");
}

static bool open_db(MMDB_s *db, const char *path, const char *what)
{
	int rc;

	if (!path[0])
		return false;
	rc = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (rc != MMDB_SUCCESS) {
		fprintf(stderr, "mdrprobe: warning: geoip: %s: %s; %s enrichment off\n", path,
			rc == MMDB_IO_ERROR ? strerror(errno) : MMDB_strerror(rc), what);
		return false;
	}
	return true;
}

struct mdr_enrich *mdr_enrich_create(const struct mdr_enrich_config *cfg,
				     char *errbuf, size_t errlen)
{
	struct mdr_enrich *e = calloc(1, sizeof(*e));
	char err[160];

	if (!e) {
		snprintf(errbuf, errlen, "enrich: out of memory");
		return NULL;
	}
	if (mdr_homenet_parse(cfg->home_net, &e->home, err, sizeof(err)) != 0) {
		snprintf(errbuf, errlen, "key 'home-net': %s", err);
		free(e);
		return NULL;
	}
	e->city_on = open_db(&e->city, cfg->city_db, "country/city");
	e->asn_on = open_db(&e->asn, cfg->asn_db, "ASN");
	return e;
}

void mdr_enrich_free(struct mdr_enrich *e)
{
	if (!e)
		return;
	if (e->city_on)
		MMDB_close(&e->city);
	if (e->asn_on)
		MMDB_close(&e->asn);
	free(e);
}

bool mdr_enrich_geoip_on(const struct mdr_enrich *e)
{
	return e && (e->city_on || e->asn_on);
}

static int lookup(struct mdr_enrich *e, MMDB_s *db, const struct mdr_ip *ip, int ver,
		  MMDB_lookup_result_s *res)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct sockaddr *sa;
	int err = 0;

	if (ver == 4) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, ip->b, 4);
		sa = (const struct sockaddr *)&s4;
	} else {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, ip->b, 16);
		sa = (const struct sockaddr *)&s6;
	}
	*res = MMDB_lookup_sockaddr(db, sa, &err);
	if (err != MMDB_SUCCESS) {
		e->st.lookup_errors++;
		return -1;
	}
	return res->found_entry ? 0 : -1;
}

/* A UTF-8 string at path into out; false when absent. */
static bool get_str(MMDB_entry_s *en, char *out, size_t len, const char *const *path)
{
	MMDB_entry_data_s d;

	if (MMDB_aget_value(en, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return false;
	snprintf(out, len, "%.*s", (int)d.data_size, d.utf8_string);
	return true;
}

static void city(struct mdr_enrich *e, const struct mdr_ip *ip, int ver, int side,
		 struct mdr_flow_meta *m)
{
	static const char *const cc[] = { "country", "iso_code", NULL };
	static const char *const rc[] = { "registered_country", "iso_code", NULL };
	static const char *const cn[] = { "city", "names", "en", NULL };
	MMDB_lookup_result_s res;

	if (lookup(e, &e->city, ip, ver, &res) != 0)
		return;
	if (get_str(&res.entry, m->country[side], sizeof(m->country[side]), cc) ||
	    get_str(&res.entry, m->country[side], sizeof(m->country[side]), rc))
		e->st.geo_hits++;
	get_str(&res.entry, m->city[side], sizeof(m->city[side]), cn);
}

static void asn(struct mdr_enrich *e, const struct mdr_ip *ip, int ver, int side,
		struct mdr_flow_meta *m)
{
	static const char *const num[] = { "autonomous_system_number", NULL };
	static const char *const org[] = { "autonomous_system_organization", NULL };
	MMDB_lookup_result_s res;
	MMDB_entry_data_s d;

	if (lookup(e, &e->asn, ip, ver, &res) != 0)
		return;
	if (MMDB_aget_value(&res.entry, &d, num) == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UINT32) {
		m->asn[side] = d.uint32;
		e->st.asn_hits++;
	}
	get_str(&res.entry, m->as_org[side], sizeof(m->as_org[side]), org);
}

void mdr_enrich_internal(const struct mdr_enrich *e, const struct mdr_flow_key *k,
			 uint8_t internal[2])
{
	internal[0] = mdr_homenet_contains(&e->home, &k->src, k->ip_ver);
	internal[1] = mdr_homenet_contains(&e->home, &k->dst, k->ip_ver);
}

void mdr_enrich_record(struct mdr_enrich *e, struct mdr_flow_record *r)
{
	const struct mdr_ip *ip[2] = { &r->key.src, &r->key.dst };

	e->st.records++;
	mdr_enrich_internal(e, &r->key, r->meta.internal);
	for (int side = 0; side < 2; side++) {
		if (e->city_on)
			city(e, ip[side], r->key.ip_ver, side, &r->meta);
		if (e->asn_on)
			asn(e, ip[side], r->key.ip_ver, side, &r->meta);
	}
}

const struct mdr_enrich_stats *mdr_enrich_get_stats(const struct mdr_enrich *e)
{
	return &e->st;
}
