/*
 * main.c - the mdrprobe command line.
 *
 *   mdrprobe -r FILE.pcap -l OUTDIR          replay a pcap/pcapng file
 *   mdrprobe -i IFACE -l OUTDIR              live capture with libpcap
 *   mdrprobe --dpdk 'EAL ARGS' -l OUTDIR     DPDK port (cfg dpdk.port)
 *   mdrprobe query --store DIR 'EXPR'        search stored flows (storage/)
 *
 * Flags follow Suricata (-r -i -l -c -k --set). Precedence: defaults, then
 * the -c YAML file, then flags in order. SIGINT/SIGTERM stop the capture;
 * every flow is flushed and the counters are printed on the way out.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture.h"
#include "config/config.h"
#include "pipeline/pipeline.h"
#include "query.h"

#define MDR_VERSION "0.1.0"

static struct mdr_pipeline *g_pipeline;

static void on_signal(int sig)
{
	(void)sig;
	if (g_pipeline)
		mdr_pipeline_stop(g_pipeline);
}

static void usage(FILE *o)
{
	fprintf(o,
		"usage: mdrprobe [options] (-r FILE | -i IFACE | --dpdk 'EAL ARGS')\n"
		"       mdrprobe query --store DIR [--json|--csv] [--limit N] [--explain] EXPR\n"
		"  -r FILE            read a pcap/pcapng file (libpcap)\n"
		"  -i IFACE           live capture on an interface (libpcap)\n"
		"  --dpdk 'ARGS'      DPDK capture; ARGS are EAL arguments, e.g.\n"
		"                     '--no-huge --no-pci -m 1024 --vdev=net_pcap0,rx_pcap=F.pcap'\n"
		"  -l DIR             output directory (eve.json, stats.json); default .\n"
		"  -c FILE            YAML configuration (see docs/configuration.md)\n"
		"  -k all|none        checksum validation (default none: a mirror sees offloads)\n"
		"  --workers N        worker threads (config 'workers')\n"
		"  --set KEY=VALUE    override one configuration key (repeatable)\n"
		"  --dump-config      print the effective configuration and exit\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         this text\n");
}

enum { OPT_DPDK = 256, OPT_WORKERS, OPT_SET, OPT_DUMP };

struct cli {
	const char *pcap_file, *iface, *config;
	bool dpdk, dump;
};

static int set_or_fail(struct mdr_config *c, const char *kv)
{
	char err[512];

	if (mdr_config_set(c, kv, err, sizeof(err)) != 0) {
		fprintf(stderr, "mdrprobe: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* Two passes: -c first (so flags override the file), then everything else. */
static int parse_args(int argc, char **argv, struct cli *cli, struct mdr_config *cfg)
{
	static const struct option lo[] = {
		{ "dpdk", required_argument, NULL, OPT_DPDK },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "set", required_argument, NULL, OPT_SET },
		{ "dump-config", no_argument, NULL, OPT_DUMP },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *so = "r:i:l:c:k:Vh";
	char kv[1200], err[1024];
	int o;

	while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1)
		if (o == 'c')
			cli->config = optarg;
		else if (o == '?')
			return -EINVAL;
	if (cli->config && mdr_config_load(cfg, cli->config, err, sizeof(err)) != 0) {
		fprintf(stderr, "mdrprobe: config: %s\n", err);
		return -EINVAL;
	}
	optind = 1;
	while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		int rc = 0;

		switch (o) {
		case 'r': cli->pcap_file = optarg; break;
		case 'i': cli->iface = optarg; break;
		case 'c': break;
		case 'l':
			snprintf(kv, sizeof(kv), "outdir=%s", optarg);
			rc = set_or_fail(cfg, kv);
			break;
		case 'k':
			if (strcmp(optarg, "all") && strcmp(optarg, "none")) {
				fprintf(stderr, "mdrprobe: -k takes 'all' or 'none'\n");
				return -EINVAL;
			}
			cfg->decode.checksum_validation = strcmp(optarg, "all") == 0;
			break;
		case OPT_DPDK:
			cli->dpdk = true;
			snprintf(kv, sizeof(kv), "dpdk.eal-args=%s", optarg);
			rc = set_or_fail(cfg, kv);
			break;
		case OPT_WORKERS:
			snprintf(kv, sizeof(kv), "workers=%s", optarg);
			rc = set_or_fail(cfg, kv);
			break;
		case OPT_SET: rc = set_or_fail(cfg, optarg); break;
		case OPT_DUMP: cli->dump = true; break;
		case 'V': printf("mdrprobe %s\n", MDR_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "mdrprobe: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static struct mdr_capture *open_source(const struct cli *cli, const struct mdr_config *cfg)
{
	char err[1024] = "";
	struct mdr_capture *cap;
	int n = !!cli->pcap_file + !!cli->iface + !!cli->dpdk;

	if (n != 1) {
		fprintf(stderr, "mdrprobe: give exactly one of -r, -i, --dpdk\n");
		usage(stderr);
		return NULL;
	}
	if (cli->dpdk)
		cap = mdr_capture_open_dpdk(cfg, (uint16_t)cfg->workers, err, sizeof(err));
	else
		cap = mdr_capture_open_pcap(cli->pcap_file ? cli->pcap_file : cli->iface,
					    cli->iface != NULL, cfg, err, sizeof(err));
	if (!cap)
		fprintf(stderr, "mdrprobe: %s\n", err);
	return cap;
}

int main(int argc, char **argv)
{
	struct mdr_config cfg;
	struct cli cli = { 0 };
	struct mdr_capture *cap;
	char err[1024];
	struct sigaction sa;
	int rc;

	if (argc > 1 && strcmp(argv[1], "query") == 0)
		return mdr_query_main(argc - 1, argv + 1);
	mdr_config_default(&cfg);
	if (parse_args(argc, argv, &cli, &cfg) != 0)
		return 2;
	if (mdr_config_validate(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mdrprobe: config: %s\n", err);
		return 2;
	}
	if (cli.dump) {
		mdr_config_dump(&cfg, stdout);
		return 0;
	}
	if (mkdir(cfg.outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mdrprobe: output directory %s: %s\n", cfg.outdir, strerror(errno));
		return 1;
	}
	if (!(cap = open_source(&cli, &cfg)))
		return 1;
	g_pipeline = mdr_pipeline_create(&cfg, cap, err, sizeof(err));
	if (!g_pipeline) {
		fprintf(stderr, "mdrprobe: %s\n", err);
		mdr_capture_close(cap);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = mdr_pipeline_run(g_pipeline);
	mdr_pipeline_print_summary(g_pipeline, stdout);
	mdr_pipeline_free(g_pipeline);
	g_pipeline = NULL;
	mdr_capture_close(cap);
	return rc == 0 ? 0 : 1;
}
