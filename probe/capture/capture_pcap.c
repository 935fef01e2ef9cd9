/*
 * capture_pcap.c - libpcap backend: pcap/pcapng files and live interfaces.
 *
 * Files are opened with nanosecond timestamp precision so that pcap files
 * with either resolution give exact times. A live capture uses immediate
 * mode off, a 64 MiB kernel buffer and a short timeout so the dispatcher
 * can tick flow timeouts while the wire is quiet.
 */
#include "capture_int.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcap_priv {
	pcap_t *p;
	uint64_t received, errors;
	int eof;
};

static int pcap_burst(struct mdr_capture *c, uint16_t q, struct mdr_cap_pkt *out, uint16_t n)
{
	struct pcap_priv *pp = c->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	(void)q;
	if (n == 0)
		return 0;
	if (pp->eof)
		return -ENODATA;
	rc = pcap_next_ex(pp->p, &h, &data);
	if (rc == 0)
		return 0; /* live timeout */
	if (rc == PCAP_ERROR_BREAK) {
		pp->eof = 1;
		return -ENODATA;
	}
	if (rc < 0) {
		pp->errors++;
		if (c->kind == MDR_CAPTURE_PCAP_FILE) {
			/* a truncated file ends the replay; what was read counts */
			fprintf(stderr, "mdrprobe: %s: %s (stopping at this point)\n",
				c->desc, pcap_geterr(pp->p));
			pp->eof = 1;
			return -ENODATA;
		}
		return -EIO;
	}
	out[0].data = data;
	out[0].caplen = h->caplen;
	out[0].wirelen = h->len;
	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	out[0].ts = (mdr_time_t)h->ts.tv_sec * MDR_NSEC_PER_SEC +
		    (mdr_time_t)(uint32_t)h->ts.tv_usec;
	if (c->kind == MDR_CAPTURE_PCAP_LIVE && pcap_get_tstamp_precision(pp->p) ==
	    PCAP_TSTAMP_PRECISION_MICRO)
		out[0].ts = (mdr_time_t)h->ts.tv_sec * MDR_NSEC_PER_SEC +
			    (mdr_time_t)h->ts.tv_usec * 1000;
	pp->received++;
	return 1;
}

static void pcap_brk(struct mdr_capture *c)
{
	struct pcap_priv *pp = c->priv;

	pcap_breakloop(pp->p);
}

static void pcap_stats_get(struct mdr_capture *c, struct mdr_capture_stats *st)
{
	struct pcap_priv *pp = c->priv;
	struct pcap_stat ps;

	st->received = pp->received;
	st->errors = pp->errors;
	if (c->kind == MDR_CAPTURE_PCAP_LIVE && pcap_stats(pp->p, &ps) == 0) {
		st->dropped = ps.ps_drop;
		st->if_dropped = ps.ps_ifdrop;
	}
}

static void pcap_close_cb(struct mdr_capture *c)
{
	struct pcap_priv *pp = c->priv;

	if (pp) {
		if (pp->p)
			pcap_close(pp->p);
		free(pp);
	}
}

static const struct capture_ops pcap_ops = {
	.burst = pcap_burst, .brk = pcap_brk, .stats = pcap_stats_get, .close = pcap_close_cb,
};

static pcap_t *open_live(const char *dev, const struct mdr_config *cfg, char *eb)
{
	pcap_t *p = pcap_create(dev, eb);

	if (!p)
		return NULL;
	pcap_set_snaplen(p, (int)cfg->capture.snaplen);
	pcap_set_promisc(p, cfg->capture.promisc);
	pcap_set_timeout(p, 100);
	pcap_set_buffer_size(p, 64 << 20);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO); /* may fail: micro */
	if (pcap_activate(p) < 0) {
		snprintf(eb, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

static int apply_bpf(pcap_t *p, const char *expr, char *errbuf, size_t errlen)
{
	struct bpf_program prog;

	if (!expr[0])
		return 0;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(p, &prog) < 0) {
		snprintf(errbuf, errlen, "key 'capture.bpf': %s", pcap_geterr(p));
		return -EINVAL;
	}
	pcap_freecode(&prog);
	return 0;
}

struct mdr_capture *mdr_capture_open_pcap(const char *source, bool live,
					  const struct mdr_config *cfg,
					  char *errbuf, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct mdr_capture *c = calloc(1, sizeof(*c));
	struct pcap_priv *pp = calloc(1, sizeof(*pp));

	if (!c || !pp)
		goto fail_mem;
	c->ops = &pcap_ops;
	c->priv = pp;
	c->queues = 1;
	c->kind = live ? MDR_CAPTURE_PCAP_LIVE : MDR_CAPTURE_PCAP_FILE;
	c->replay = !live;
	snprintf(c->desc, sizeof(c->desc), "%s %s", live ? "pcap interface" : "pcap file", source);
	pp->p = live ? open_live(source, cfg, eb)
		     : pcap_open_offline_with_tstamp_precision(source, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!pp->p) {
		snprintf(errbuf, errlen, "%s: %s", source, eb);
		mdr_capture_close(c);
		return NULL;
	}
	if (apply_bpf(pp->p, cfg->capture.bpf, errbuf, errlen)) {
		mdr_capture_close(c);
		return NULL;
	}
	c->linktype = pcap_datalink(pp->p);
	return c;
fail_mem:
	free(c);
	free(pp);
	snprintf(errbuf, errlen, "out of memory");
	return NULL;
}
