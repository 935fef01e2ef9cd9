/*
 * capture_dpdk.c - DPDK backend: virtio/PCI ports, net_pcap, net_af_packet.
 *
 * Initialises the EAL from cfg->dpdk.eal_args (adding --no-shconf and a
 * per-process --file-prefix unless a prefix, --in-memory or a process type
 * is given, so test runs never collide), then
 * configures one port: `want_queues` RX queues with a symmetric Toeplitz key
 * (0x6d5a repeated: both directions of a flow hash alike) over L3 addresses
 * when the port can do RSS, otherwise one queue that the caller dispatches.
 * Frames keep their mbufs until the next burst on the same queue; chained
 * mbufs are copied into a per-queue linear buffer.
 *
 * net_pcap rx_pcap= replays a file and then just goes quiet; there is no
 * end-of-file signal, so a replay port ends after 500 ms of silence once it
 * has started, or 5 s if it never delivered anything.
 *
 * Timestamps: a port that advertises RTE_ETH_RX_OFFLOAD_TIMESTAMP gets it
 * enabled. Debian's DPDK 22.11 net_pcap has the code but advertises no RX
 * offload, so ethdev refuses to turn it on; for a net_pcap replay the probe
 * therefore reads the same file with libpcap in lockstep (the PMD hands out
 * the file's records in order, one mbuf each) and takes each frame's time,
 * in nanoseconds, from its record. A record the PMD skipped (a frame larger
 * than an mbuf) is detected by its length and stepped over, and counted.
 * Its mbufs are made 64 KiB so that does not happen in practice.
 */
#include "capture_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef MDR_HAVE_DPDK
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <pcap/pcap.h>

#define MAX_BURST 512
#define LINEAR_MAX 65536
#define MAX_ARGS 64

struct dq {
	struct rte_mbuf *held[MAX_BURST];
	uint16_t nheld;
	uint8_t *linear;            /* MAX_BURST * LINEAR_MAX, lazily */
	uint64_t received;
	uint64_t last_rx_ns;        /* wall time of last non-empty burst */
};

struct dpdk_priv {
	uint16_t port;
	struct rte_mempool *pool;
	int ts_off;
	uint64_t ts_flag;
	uint64_t start_ns;
	int eal_done;
	struct dq *q;
	pcap_t *shadow;             /* net_pcap replay: the same file, for times */
	bool private_prefix;        /* we chose --file-prefix: remove its dir at close */
	uint64_t shadow_skips;
};

/* Time of mbuf m from the shadow reader: next record of the same length. */
static int shadow_ts(struct dpdk_priv *dp, const struct rte_mbuf *m, mdr_time_t *ts)
{
	struct pcap_pkthdr *h;
	const u_char *d;

	for (int tries = 0; tries < 64; tries++) {
		if (pcap_next_ex(dp->shadow, &h, &d) != 1)
			return -1;
		if (h->caplen == m->pkt_len) {
			*ts = (mdr_time_t)h->ts.tv_sec * MDR_NSEC_PER_SEC + (uint32_t)h->ts.tv_usec;
			return 0;
		}
		dp->shadow_skips++;
	}
	return -1;
}

static uint64_t wall_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * MDR_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void free_held(struct dq *q)
{
	if (q->nheld)
		rte_pktmbuf_free_bulk(q->held, q->nheld);
	q->nheld = 0;
}

static const uint8_t *frame_data(struct dq *q, struct rte_mbuf *m, uint16_t i)
{
	if (m->nb_segs == 1)
		return rte_pktmbuf_mtod(m, const uint8_t *);
	if (!q->linear && !(q->linear = malloc((size_t)MAX_BURST * LINEAR_MAX)))
		return NULL;
	return rte_pktmbuf_read(m, 0, RTE_MIN(m->pkt_len, (uint32_t)LINEAR_MAX),
				q->linear + (size_t)i * LINEAR_MAX);
}

static int replay_ended(struct dpdk_priv *dp, struct dq *q)
{
	uint64_t now = wall_ns(CLOCK_MONOTONIC);

	if (q->received)
		return now - q->last_rx_ns > 500000000ull;
	return now - dp->start_ns > 5000000000ull;
}

static int dpdk_burst(struct mdr_capture *c, uint16_t qi, struct mdr_cap_pkt *out, uint16_t n)
{
	struct dpdk_priv *dp = c->priv;
	struct dq *q = &dp->q[qi];
	uint16_t got, k = 0;
	uint64_t now_wall = 0;

	free_held(q);
	if (n > MAX_BURST)
		n = MAX_BURST;
	got = rte_eth_rx_burst(dp->port, qi, q->held, n);
	if (got == 0)
		return c->replay && replay_ended(dp, q) ? -ENODATA : 0;
	q->nheld = got;
	q->received += got;
	q->last_rx_ns = wall_ns(CLOCK_MONOTONIC);
	for (uint16_t i = 0; i < got; i++) {
		struct rte_mbuf *m = q->held[i];
		const uint8_t *d = frame_data(q, m, i);

		if (!d)
			continue;
		out[k].data = d;
		out[k].caplen = RTE_MIN(m->pkt_len, (uint32_t)LINEAR_MAX);
		out[k].wirelen = m->pkt_len;
		if (dp->shadow && shadow_ts(dp, m, &out[k].ts) == 0) {
			/* time of the file's record */
		} else if (dp->ts_flag && (m->ol_flags & dp->ts_flag)) {
			out[k].ts = *RTE_MBUF_DYNFIELD(m, dp->ts_off, rte_mbuf_timestamp_t *);
		} else {
			if (!now_wall)
				now_wall = wall_ns(CLOCK_REALTIME);
			out[k].ts = now_wall;
		}
		k++;
	}
	return k;
}

static void dpdk_stats(struct mdr_capture *c, struct mdr_capture_stats *st)
{
	struct dpdk_priv *dp = c->priv;
	struct rte_eth_stats es;

	for (uint16_t i = 0; i < c->queues; i++)
		st->received += dp->q[i].received;
	if (rte_eth_stats_get(dp->port, &es) == 0) {
		st->dropped = es.imissed;
		st->if_dropped = es.rx_nombuf;
		st->errors = es.ierrors + dp->shadow_skips;
	}
}

/* Remove the runtime directory of our private --file-prefix (sockets only). */
static void remove_rundir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 256];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

static void dpdk_close(struct mdr_capture *c)
{
	struct dpdk_priv *dp = c->priv;

	if (!dp)
		return;
	if (dp->q) {
		for (uint16_t i = 0; i < c->queues; i++) {
			free_held(&dp->q[i]);
			free(dp->q[i].linear);
		}
		free(dp->q);
		rte_eth_dev_stop(dp->port);
		rte_eth_dev_close(dp->port);
	}
	if (dp->pool)
		rte_mempool_free(dp->pool);
	if (dp->shadow)
		pcap_close(dp->shadow);
	if (dp->eal_done) {
		char rundir[PATH_MAX];

		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		if (dp->private_prefix)
			remove_rundir(rundir);
	}
	free(dp);
}

static const struct capture_ops dpdk_ops = {
	.burst = dpdk_burst, .brk = NULL, .stats = dpdk_stats, .close = dpdk_close,
};

/* Split "a 'b c' d" into argv (after argv[0]); returns argc or -E2BIG. */
static int split_args(char *s, char **argv, int max)
{
	int argc = 1;

	argv[0] = (char *)"mdrprobe";
	while (*s) {
		char q = 0, *w;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (argc >= max - 2)
			return -E2BIG;
		if (*s == '\'' || *s == '"')
			q = *s++;
		w = s;
		while (*s && (q ? *s != q : (*s != ' ' && *s != '\t')))
			s++;
		if (*s)
			*s++ = 0;
		argv[argc++] = w;
	}
	return argc;
}

static int eal_init(const struct mdr_config *cfg, bool *private_prefix, char *eb, size_t el)
{
	static char buf[sizeof(cfg->dpdk.eal_args)];
	static char *argv[MAX_ARGS];
	static char prefix[64];
	int argc;

	snprintf(buf, sizeof(buf), "%s", cfg->dpdk.eal_args);
	argc = split_args(buf, argv, MAX_ARGS);
	if (argc < 0) {
		snprintf(eb, el, "--dpdk: too many EAL arguments");
		return -E2BIG;
	}
	if (!strstr(cfg->dpdk.eal_args, "--file-prefix") &&
	    !strstr(cfg->dpdk.eal_args, "--in-memory") &&
	    !strstr(cfg->dpdk.eal_args, "--proc-type")) {
		/* private runtime: no shared config, own prefix (works with --no-huge,
		 * unlike --in-memory) so concurrent probes never collide */
		snprintf(prefix, sizeof(prefix), "--file-prefix=mdrprobe-%d", (int)getpid());
		argv[argc++] = (char *)"--no-shconf";
		argv[argc++] = prefix;
		*private_prefix = true;
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(eb, el, "DPDK EAL init failed: %s (args: %s)",
			 rte_strerror(rte_errno), cfg->dpdk.eal_args);
		return -rte_errno;
	}
	return 0;
}

static const uint8_t sym_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

static uint16_t plan_queues(const struct rte_eth_dev_info *di, const struct mdr_config *cfg,
			    uint16_t want, struct rte_eth_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	if (want > 1 && cfg->dpdk.rss && di->max_rx_queues >= want &&
	    (di->flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_key = (uint8_t *)sym_rss_key;
		conf->rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_rss_key);
		conf->rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & di->flow_type_rss_offloads;
		return want;
	}
	return 1;
}

/* net_pcap with one rx_pcap=FILE: open FILE for the frame times. */
static void open_shadow(struct dpdk_priv *dp, const char *eal)
{
	char path[1024], eb[PCAP_ERRBUF_SIZE];
	const char *a = strstr(eal, "rx_pcap="), *e;
	size_t n;

	if (!a || strstr(a + 8, "rx_pcap="))
		return;
	a += 8;
	e = a + strcspn(a, ", \t'\"");
	n = (size_t)(e - a);
	if (n == 0 || n >= sizeof(path))
		return;
	memcpy(path, a, n);
	path[n] = 0;
	dp->shadow = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
}

static int setup_port(struct mdr_capture *c, struct dpdk_priv *dp,
		      const struct mdr_config *cfg, uint16_t want, char *eb, size_t el)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	int rc, sock;

	if ((rc = rte_eth_dev_info_get(dp->port, &di)) != 0) {
		snprintf(eb, el, "dpdk port %u: %s", dp->port, rte_strerror(-rc));
		return rc;
	}
	c->queues = plan_queues(&di, cfg, want, &conf);
	if (cfg->dpdk.timestamp && (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) &&
	    rte_mbuf_dyn_rx_timestamp_register(&dp->ts_off, &dp->ts_flag) == 0)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	else
		dp->ts_flag = 0;
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	c->replay = strcmp(di.driver_name, "net_pcap") == 0;
	if (c->replay && !dp->ts_flag)
		open_shadow(dp, cfg->dpdk.eal_args);
	sock = rte_eth_dev_socket_id(dp->port);
	/* a replay may hold any frame of the file: 64 KiB mbufs, fewer of them */
	dp->pool = rte_pktmbuf_pool_create("mdr_rx", c->replay ? RTE_MIN(cfg->dpdk.mbufs, 2047u)
					   : cfg->dpdk.mbufs, 256, 0,
					   c->replay ? UINT16_MAX : RTE_MBUF_DEFAULT_BUF_SIZE,
					   sock < 0 ? 0 : sock);
	if (!dp->pool) {
		snprintf(eb, el, "dpdk: mbuf pool of %u: %s (raise -m or lower dpdk.mbufs)",
			 cfg->dpdk.mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if ((rc = rte_eth_dev_configure(dp->port, c->queues, 0, &conf)) != 0) {
		snprintf(eb, el, "dpdk port %u configure: %s", dp->port, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < c->queues; q++) {
		rc = rte_eth_rx_queue_setup(dp->port, q, cfg->dpdk.rx_desc, (unsigned)(sock < 0 ? 0 : sock),
					    NULL, dp->pool);
		if (rc != 0) {
			snprintf(eb, el, "dpdk port %u rx queue %u: %s", dp->port, q, rte_strerror(-rc));
			return rc;
		}
	}
	dp->q = calloc(c->queues, sizeof(*dp->q));
	if (!dp->q)
		return -ENOMEM;
	if ((rc = rte_eth_dev_start(dp->port)) != 0) {
		snprintf(eb, el, "dpdk port %u start: %s", dp->port, rte_strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_enable(dp->port);
	snprintf(c->desc, sizeof(c->desc), "dpdk port %u (%s), %u rx queue%s%s", dp->port,
		 di.driver_name, c->queues, c->queues > 1 ? "s, symmetric RSS" : "",
		 dp->ts_flag ? ", PMD timestamps" : dp->shadow ? ", file timestamps" : "");
	return 0;
}

struct mdr_capture *mdr_capture_open_dpdk(const struct mdr_config *cfg, uint16_t want_queues,
					  char *errbuf, size_t errlen)
{
	struct mdr_capture *c = calloc(1, sizeof(*c));
	struct dpdk_priv *dp = calloc(1, sizeof(*dp));

	if (!c || !dp) {
		free(c);
		free(dp);
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	c->ops = &dpdk_ops;
	c->priv = dp;
	c->kind = MDR_CAPTURE_DPDK;
	c->linktype = 1; /* Ethernet */
	dp->port = cfg->dpdk.port;
	dp->start_ns = wall_ns(CLOCK_MONOTONIC);
	if (eal_init(cfg, &dp->private_prefix, errbuf, errlen) != 0)
		goto fail;
	dp->eal_done = 1;
	if (!rte_eth_dev_is_valid_port(dp->port)) {
		snprintf(errbuf, errlen, "dpdk: no port %u (%u available): pass --vdev=... or bind a NIC "
			 "(dpdk-config/bind-nic.sh)", dp->port, rte_eth_dev_count_avail());
		goto fail;
	}
	if (setup_port(c, dp, cfg, want_queues, errbuf, errlen) != 0)
		goto fail;
	return c;
fail:
	mdr_capture_close(c);
	return NULL;
}

#else /* !MDR_HAVE_DPDK */

struct mdr_capture *mdr_capture_open_dpdk(const struct mdr_config *cfg, uint16_t want_queues,
					  char *errbuf, size_t errlen)
{
	(void)cfg;
	(void)want_queues;
	snprintf(errbuf, errlen, "this build has no DPDK support (libdpdk not found at build time)");
	return NULL;
}

#endif
