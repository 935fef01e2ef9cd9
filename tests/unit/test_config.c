/*
 * test_config.c - defaults, YAML loading, --set overrides and the errors
 * that must name the key (and file:line).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/mdrcfgXXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_defaults_are_valid(void **state)
{
	struct mdr_config c;
	char err[256];

	(void)state;
	mdr_config_default(&c);
	assert_int_equal(mdr_config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(c.workers, 1);
	assert_false(c.decode.checksum_validation);
	assert_int_equal(c.flow.timeout_ns[MDR_TO_UDP], 300 * MDR_NSEC_PER_SEC);
	assert_string_equal(c.output.eve_filename, "eve.json");
}

static void test_yaml_load(void **state)
{
	struct mdr_config c;
	char err[256];
	char *p = write_tmp("workers: 2\n"
			    "flow:\n  max-flows: 1000\n  timeouts:\n    udp: 45s\n    tcp-established: 2h\n"
			    "  active-timeout: 0\n"
			    "reassembly:\n  depth: 2mb\n  memcap: 1gb\n"
			    "decode:\n  checksum-validation: yes\n"
			    "outputs:\n  eve:\n    filename: flows.json\n");

	(void)state;
	mdr_config_default(&c);
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), 0);
	unlink(p);
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.flow.max_flows, 1000);
	assert_int_equal(c.flow.timeout_ns[MDR_TO_UDP], 45 * MDR_NSEC_PER_SEC);
	assert_int_equal(c.flow.timeout_ns[MDR_TO_TCP_EST], 7200 * MDR_NSEC_PER_SEC);
	assert_int_equal(c.flow.active_timeout_ns, 0);
	assert_int_equal(c.reassembly.depth, 2u << 20);
	assert_int_equal(c.reassembly.memcap, 1ull << 30);
	assert_true(c.decode.checksum_validation);
	assert_string_equal(c.output.eve_filename, "flows.json");
}

static void test_yaml_errors_name_key_and_line(void **state)
{
	struct mdr_config c;
	char err[512];
	char *p;

	(void)state;
	mdr_config_default(&c);
	p = write_tmp("workers: 1\nflow:\n  timeouts:\n    tcp-neww: 30\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, ":4: unknown key 'flow.timeouts.tcp-neww'"));
	unlink(p);

	p = write_tmp("flow:\n  max-flows: lots\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'flow.max-flows': 'lots' is not a number"));
	unlink(p);

	p = write_tmp("workers: 1000\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key 'workers': 1000 is out of range [1, 64]"));
	unlink(p);

	p = write_tmp("workers: [1, 2]\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key 'workers': a list is not accepted here"));
	unlink(p);

	p = write_tmp("flow: {max-flows: 10\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "YAML error"));
	unlink(p);

	assert_int_equal(mdr_config_load(&c, "/nonexistent/x.yaml", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.yaml"));
}

static void test_set_overrides(void **state)
{
	struct mdr_config c;
	char err[512];

	(void)state;
	mdr_config_default(&c);
	assert_int_equal(mdr_config_set(&c, "flow.timeouts.udp=1m", err, sizeof(err)), 0);
	assert_int_equal(c.flow.timeout_ns[MDR_TO_UDP], 60 * MDR_NSEC_PER_SEC);
	assert_int_equal(mdr_config_set(&c, "capture.ring-full=drop", err, sizeof(err)), 0);
	assert_int_equal(c.capture.ring_full, MDR_RING_FULL_DROP);
	assert_int_equal(mdr_config_set(&c, "capture.ring-full=sometimes", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key 'capture.ring-full'"));
	assert_int_equal(mdr_config_set(&c, "reassembly.enabled=maybe", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a boolean"));
	assert_int_equal(mdr_config_set(&c, "noequals", err, sizeof(err)), -EINVAL);
	assert_int_equal(mdr_config_set(&c, "nosuch.key=1", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown key 'nosuch.key'"));
	assert_int_equal(mdr_config_set(&c, "flow.hash-size=1000", err, sizeof(err)), 0);
	assert_int_equal(mdr_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "flow.hash-size"));
}

/* home-net: Suricata's bracketed string, or a YAML list; a bad entry names the key. */
static void test_home_net(void **state)
{
	struct mdr_config c;
	char err[512];
	char *p;

	(void)state;
	mdr_config_default(&c);
	assert_string_equal(c.enrich.home_net, "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]");
	p = write_tmp("home-net:\n  - 10.1.0.0/16\n  - \"!10.1.2.0/24\"\n  - 2001:db8::/32\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), 0);
	unlink(p);
	assert_string_equal(c.enrich.home_net, "[10.1.0.0/16,!10.1.2.0/24,2001:db8::/32]");
	assert_int_equal(mdr_config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(mdr_config_set(&c, "home-net=[192.168.0.0/16, fd00::/8]", err, sizeof(err)), 0);
	assert_int_equal(mdr_config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(mdr_config_set(&c, "home-net=[192.168.0.0/40]", err, sizeof(err)), 0);
	assert_int_equal(mdr_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key 'home-net'"));
	p = write_tmp("classify:\n  max-packets: [1]\n");
	assert_int_equal(mdr_config_load(&c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key 'classify.max-packets': a list is not accepted here"));
	unlink(p);
}

/* The shipped mdrprobe.yaml documents the defaults: loading it changes nothing. */
static void test_shipped_yaml_equals_defaults(void **state)
{
	struct mdr_config a, b;
	char err[512], *da = NULL, *db = NULL;
	size_t la, lb;
	FILE *fa, *fb;

	(void)state;
	mdr_config_default(&a);
	mdr_config_default(&b);
	assert_int_equal(mdr_config_load(&b, MDR_SRC_ROOT "/mdrprobe.yaml", err, sizeof(err)), 0);
	fa = open_memstream(&da, &la);
	fb = open_memstream(&db, &lb);
	mdr_config_dump(&a, fa);
	mdr_config_dump(&b, fb);
	fclose(fa);
	fclose(fb);
	assert_string_equal(da, db);
	free(da);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_valid),
		cmocka_unit_test(test_yaml_load),
		cmocka_unit_test(test_yaml_errors_name_key_and_line),
		cmocka_unit_test(test_set_overrides),
		cmocka_unit_test(test_home_net),
		cmocka_unit_test(test_shipped_yaml_equals_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
