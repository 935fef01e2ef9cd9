/*
 * config.h - the probe's configuration: defaults, YAML file, overrides.
 *
 * struct mdr_config holds every setting with a working default
 * (mdr_config_default). mdr_config_load() applies a YAML file on top and
 * mdr_config_set() applies one "dotted.key=value" override (the CLI's
 * --set and the shortcut flags use it), so a file and flags share one
 * schema and one validator. Errors name the key (and file:line) in errbuf.
 * Keys use Suricata's hyphenated spelling (e.g. flow.timeouts.tcp-new).
 */
#ifndef MDR_CONFIG_H
#define MDR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../classify/classify.h"
#include "../decode/decode.h"
#include "../enrich/enrich.h"
#include "../flow/flow.h"
#include "../reassembly/reassembly.h"

#define MDR_PATH_MAX 1024
#define MDR_MAX_WORKERS 64

enum mdr_ring_full_policy {
	MDR_RING_FULL_AUTO = 0,  /* wait when reading a file, drop when live */
	MDR_RING_FULL_WAIT,
	MDR_RING_FULL_DROP,
};

struct mdr_config {
	uint32_t workers;
	char outdir[MDR_PATH_MAX];          /* -l; Suricata's default-log-dir */

	struct {
		uint64_t ring_size;         /* bytes per worker ring */
		uint32_t record_ring;       /* flow records per worker ring */
		uint32_t event_ring;        /* app-layer events per worker ring */
		int ring_full;              /* enum mdr_ring_full_policy */
		uint32_t snaplen;           /* live capture */
		bool promisc;
		char bpf[512];              /* libpcap filter, "" = none */
	} capture;

	struct {
		char eal_args[1024];        /* --dpdk "..." */
		uint16_t port;              /* port id to capture from */
		uint16_t rx_desc;
		uint32_t mbufs;             /* mbuf pool size */
		uint16_t burst;
		bool rss;                   /* one queue per worker when the port can */
		bool timestamp;             /* PMD RX timestamp offload */
	} dpdk;

	struct mdr_decode_config decode;
	struct mdr_flow_config flow;
	struct mdr_reasm_config reassembly;
	bool reassembly_enabled;

	struct mdr_classify_config classify;    /* nDPI */
	bool app_layer_enabled;                 /* DNS/HTTP/TLS/SSH/credential parsers */
	struct mdr_enrich_config enrich;        /* geoip.*, home-net */

	struct {
		bool eve_enabled;
		char eve_filename[MDR_PATH_MAX];   /* relative to outdir */
		bool stats_enabled;
		char stats_filename[MDR_PATH_MAX];
		uint32_t stats_interval;    /* seconds of wall time */
	} output;
};

void mdr_config_default(struct mdr_config *c);
/* 0 or -errno; errbuf names the file, line and key. */
int mdr_config_load(struct mdr_config *c, const char *path, char *errbuf, size_t errlen);
/* Apply "key=value" (dotted key). 0 or -EINVAL/-ENOENT with errbuf set. */
int mdr_config_set(struct mdr_config *c, const char *assignment, char *errbuf, size_t errlen);
/* Cross-field checks after all sources were applied. */
int mdr_config_validate(const struct mdr_config *c, char *errbuf, size_t errlen);
/* Print every key with its current value as YAML-ish "key: value" lines. */
void mdr_config_dump(const struct mdr_config *c, FILE *out);

#endif
