/*
 * test_enrich.c - home-net parsing and membership, and GeoIP lookups
 * against MaxMind's test databases in ../shared/geoip (skipped when the
 * shared corpora are absent); a missing database turns GeoIP off without
 * failing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enrich/enrich.h"

#define SHARED_GEO MDR_SRC_ROOT "/../shared/geoip"

static struct mdr_ip ip(const char *s, int *ver)
{
	struct mdr_ip a;

	memset(&a, 0, sizeof(a));
	*ver = inet_pton(AF_INET, s, a.b) == 1 ? 4 : 6;
	if (*ver == 6)
		assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

static bool in(const struct mdr_homenet *hn, const char *s)
{
	int v;
	struct mdr_ip a = ip(s, &v);

	return mdr_homenet_contains(hn, &a, v);
}

static void test_homenet(void **state)
{
	struct mdr_homenet hn;
	char err[160];

	(void)state;
	assert_int_equal(mdr_homenet_parse(" [10.0.0.0/8, 192.168.0.0/16,!10.9.0.0/16, 2001:db8::/32,"
					   "172.16.5.4]", &hn, err, sizeof(err)), 0);
	assert_int_equal(hn.n, 5);
	assert_true(in(&hn, "10.1.2.3"));
	assert_false(in(&hn, "10.9.1.1"));      /* excluded */
	assert_true(in(&hn, "192.168.255.1"));
	assert_false(in(&hn, "192.169.0.1"));
	assert_true(in(&hn, "172.16.5.4"));     /* a bare address is a host */
	assert_false(in(&hn, "172.16.5.5"));
	assert_true(in(&hn, "2001:db8:1::1"));
	assert_false(in(&hn, "2001:db9::1"));
	assert_false(in(&hn, "8.8.8.8"));
	assert_int_equal(mdr_homenet_parse("10.0.0.0/8,10.0.0.0/12", &hn, err, sizeof(err)), 0);
	assert_true(in(&hn, "10.200.0.1"));
	assert_int_equal(mdr_homenet_parse("[10.0.0.0/33]", &hn, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "10.0.0.0/33"));
	assert_int_equal(mdr_homenet_parse("[10.0.0.0/8", &hn, err, sizeof(err)), -EINVAL);
	assert_int_equal(mdr_homenet_parse("[lan]", &hn, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'lan'"));
	assert_int_equal(mdr_homenet_parse("[]", &hn, err, sizeof(err)), 0);
	assert_false(in(&hn, "10.0.0.1"));
}

static void test_geoip(void **state)
{
	struct mdr_enrich_config cfg;
	struct mdr_enrich *e;
	struct mdr_flow_record r;
	char err[256];
	int v;

	(void)state;
	if (access(SHARED_GEO "/GeoIP2-City-Test.mmdb", R_OK) != 0) {
		skip();
		return;
	}
	mdr_enrich_config_default(&cfg);
	snprintf(cfg.city_db, sizeof(cfg.city_db), "%s", SHARED_GEO "/GeoIP2-City-Test.mmdb");
	snprintf(cfg.asn_db, sizeof(cfg.asn_db), "%s", SHARED_GEO "/GeoLite2-ASN-Test.mmdb");
	e = mdr_enrich_create(&cfg, err, sizeof(err));
	assert_non_null(e);
	assert_true(mdr_enrich_geoip_on(e));
	memset(&r, 0, sizeof(r));
	r.key.src = ip("192.168.1.10", &v);
	r.key.dst = ip("81.2.69.142", &v);
	r.key.ip_ver = 4;
	mdr_enrich_record(e, &r);
	assert_int_equal(r.meta.internal[0], 1);
	assert_int_equal(r.meta.internal[1], 0);
	assert_string_equal(r.meta.country[1], "GB");
	assert_string_equal(r.meta.city[1], "London");
	assert_string_equal(r.meta.country[0], "");
	memset(&r, 0, sizeof(r));
	r.key.src = ip("1.0.0.1", &v);
	r.key.dst = ip("10.0.0.1", &v);
	r.key.ip_ver = 4;
	mdr_enrich_record(e, &r);
	assert_int_equal(r.meta.asn[0], 15169);
	assert_string_equal(r.meta.as_org[0], "Google Inc.");
	mdr_enrich_free(e);
}

static void test_missing_db(void **state)
{
	struct mdr_enrich_config cfg;
	struct mdr_enrich *e;
	struct mdr_flow_record r;
	char err[256];
	int v;

	(void)state;
	mdr_enrich_config_default(&cfg);
	snprintf(cfg.city_db, sizeof(cfg.city_db), "/nonexistent/city.mmdb");
	snprintf(cfg.asn_db, sizeof(cfg.asn_db), "%s", "");
	e = mdr_enrich_create(&cfg, err, sizeof(err));   /* a warning, not an error */
	assert_non_null(e);
	assert_false(mdr_enrich_geoip_on(e));
	memset(&r, 0, sizeof(r));
	r.key.src = ip("172.20.0.1", &v);
	r.key.dst = ip("81.2.69.142", &v);
	r.key.ip_ver = 4;
	mdr_enrich_record(e, &r);
	assert_int_equal(r.meta.internal[0], 1);
	assert_string_equal(r.meta.country[1], "");
	mdr_enrich_free(e);
	snprintf(cfg.home_net, sizeof(cfg.home_net), "[10.0.0.0/8,bogus]");
	assert_null(mdr_enrich_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "home-net"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_homenet),
		cmocka_unit_test(test_geoip),
		cmocka_unit_test(test_missing_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
