/*
 * query_cli.c - `mdrprobe query --store DIR [options] EXPR` (and mdrquery).
 *
 * Opens the store read-only (the probe may be writing it: we see what
 * was written up to our open), parses EXPR (the arguments that are not
 * options, joined by spaces; quote it, or put it after `--`, when it holds
 * words starting with '-' such as `since -24h`), and
 * prints rows as a table (default, at most 1,000 rows unless --limit),
 * EVE JSON lines (--json) or CSV (--csv), both unlimited by default.
 * --explain prints the plan instead. A parse error shows the query with a
 * caret under the column. Exit status: 0 rows printed (or none matched),
 * 1 store or I/O error, 2 usage or query error.
 */
#include "query.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "query_out.h"

#define TABLE_LIMIT 1000

struct cli {
	const char *prog;
	const char *store;
	enum mdr_qout_format fmt;
	bool explain, stats, has_limit;
	uint64_t limit;
	char *expr;
};

static void usage(FILE *fp, const char *prog)
{
	fprintf(fp,
		"usage: %s --store DIR [--json|--csv] [--limit N] [--explain] [--stats] EXPR\n"
		"  -s, --store DIR  flow store directory\n"
		"  -j, --json       EVE flow JSON lines (no default limit)\n"
		"  -c, --csv        CSV with a header (no default limit)\n"
		"  -n, --limit N    at most N rows (table default %d; 0 = no limit)\n"
		"  -e, --explain    print the query plan, do not run\n"
		"      --stats      print query statistics to stderr\n"
		"examples:\n"
		"  %s --store /var/lib/mdrprobe/store 'ip 10.1.2.3 and port 445 since -7d'\n"
		"  %s --store DIR 'sni *.example.top since -7d' --json\n"
		"  %s --store DIR 'app tls since -24h top 10 dst.ip by bytes'\n"
		"the language: docs/query-language.md\n",
		prog, TABLE_LIMIT, prog, prog, prog);
}

static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' }, { "limit", required_argument, NULL, 'n' },
		{ "explain", no_argument, NULL, 'e' }, { "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char *end;
	int o;

	optind = 0;     /* reset: main() may have used getopt already */
	while ((o = getopt_long(argc, argv, "s:jcn:eh", opts, NULL)) != -1) {
		switch (o) {
		case 's': c->store = optarg; break;
		case 'j': c->fmt = MDR_QOUT_JSON; break;
		case 'c': c->fmt = MDR_QOUT_CSV; break;
		case 'e': c->explain = true; break;
		case 'S': c->stats = true; break;
		case 'n':
			c->limit = strtoull(optarg, &end, 10);
			if (*end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "%s: --limit expects a number, got '%s'\n", c->prog, optarg);
				return 2;
			}
			c->has_limit = true;
			break;
		case 'h': usage(stdout, c->prog); return 0;
		default: usage(stderr, c->prog); return 2;
		}
	}
	if (!c->store || optind >= argc) {
		fprintf(stderr, "%s: %s\n", c->prog, !c->store ? "--store DIR is required" :
			"no query expression (use 'limit 10' to see the latest flows)");
		usage(stderr, c->prog);
		return 2;
	}
	c->expr = join_args(argc - optind, argv + optind);
	return c->expr ? -1 : 1;
}

static void caret(const char *expr, const char *err)
{
	int col;

	if (sscanf(err, "column %d:", &col) != 1 || col < 1)
		return;
	fprintf(stderr, "  %s\n  %*s^\n", expr, col - 1, "");
}

static void print_stats(const struct mdr_query *q)
{
	const struct mdr_query_stats *st = mdr_query_get_stats(q);

	fprintf(stderr, "partitions %" PRIu64 ", index seeks %" PRIu64 ", index refs %" PRIu64
		", fetched %" PRIu64 ", scanned %" PRIu64 ", matched %" PRIu64 ", rows %" PRIu64
		", first row %.3f ms, total %.3f ms\n", st->partitions, st->index_seeks,
		st->index_refs, st->fetched, st->scanned, st->matched, st->rows,
		st->first_row_us / 1e3, st->total_us / 1e3);
}

static int run(struct cli *c, struct mdr_store *s, struct mdr_query *q)
{
	struct mdr_qout out = { .fp = stdout, .fmt = c->fmt };
	char err[512], plan[8192];
	int rc;

	if (c->explain) {
		mdr_query_explain(s, q, plan, sizeof(plan));
		fputs(plan, stdout);
		return 0;
	}
	out.group = mdr_query_group_name(q);
	rc = mdr_query_run(s, q, mdr_qout_row, &out, err, sizeof(err));
	fflush(stdout);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		return 1;
	}
	if (out.err && out.err != EPIPE) {
		fprintf(stderr, "%s: writing output: %s\n", c->prog, strerror(out.err));
		return 1;
	}
	if (c->stats)
		print_stats(q);
	return 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int query_store(struct cli *c)
{
	struct mdr_store_config cfg;
	struct mdr_store *s = NULL;
	struct mdr_query *q = NULL;
	char err[512];
	int rc;

	if (mdr_query_parse(c->expr, &q, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		caret(c->expr, err);
		return 2;
	}
	if (c->has_limit)
		mdr_query_set_default_limit(q, c->limit);
	else if (c->fmt == MDR_QOUT_TABLE)
		mdr_query_set_default_limit(q, TABLE_LIMIT);
	mdr_store_config_default(&cfg);
	cfg.path = c->store;
	cfg.read_only = true;
	raise_nofile();
	if (mdr_store_open(&cfg, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		mdr_query_free(q);
		return 1;
	}
	rc = run(c, s, q);
	mdr_query_free(q);
	mdr_store_close(s);
	return rc;
}

int mdr_query_main(int argc, char **argv)
{
	struct cli c = { .prog = argc > 0 && strcmp(argv[0], "query") == 0 ?
				 "mdrprobe query" : argc > 0 ? argv[0] : "mdrquery" };
	int rc = parse_args(&c, argc, argv);

	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	rc = query_store(&c);
	free(c.expr);
	return rc;
}
