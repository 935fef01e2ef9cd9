/*
 * capture.h - packet sources: libpcap (file, interface) and DPDK ports.
 *
 * A capture has one or more RX queues. mdr_capture_burst() returns frames
 * of one queue whose data stay valid until the next burst on that queue
 * (libpcap: its buffer; DPDK: the mbufs, freed at the next burst). With
 * libpcap or a single-queue port the caller dispatches frames to workers;
 * a DPDK port with symmetric RSS gets one queue per worker and each worker
 * polls its own.
 *
 * Timestamps are nanoseconds of packet time: libpcap files are opened with
 * nanosecond precision; DPDK uses the PMD's RX timestamp offload (net_pcap
 * carries the file's timestamps), else the TSC converted to wall time.
 */
#ifndef MDR_CAPTURE_H
#define MDR_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/mdr_common.h"
#include "../config/config.h"

enum mdr_capture_kind {
	MDR_CAPTURE_PCAP_FILE,
	MDR_CAPTURE_PCAP_LIVE,
	MDR_CAPTURE_DPDK,
};

struct mdr_cap_pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	mdr_time_t ts;
};

struct mdr_capture_stats {
	uint64_t received;      /* frames handed to the probe */
	uint64_t dropped;       /* lost before us: imissed, pcap ps_drop */
	uint64_t if_dropped;    /* interface drops (pcap ps_ifdrop), rx_nombuf */
	uint64_t errors;        /* ierrors, read errors */
};

struct mdr_capture;

/* libpcap: a file (pcap/pcapng) or a live interface. */
struct mdr_capture *mdr_capture_open_pcap(const char *source, bool live,
					  const struct mdr_config *cfg,
					  char *errbuf, size_t errlen);
/*
 * DPDK: rte_eal_init() with cfg->dpdk.eal_args, then configure port
 * cfg->dpdk.port with `want_queues` RX queues when RSS is possible (else 1).
 */
struct mdr_capture *mdr_capture_open_dpdk(const struct mdr_config *cfg,
					  uint16_t want_queues,
					  char *errbuf, size_t errlen);
void mdr_capture_close(struct mdr_capture *c);

enum mdr_capture_kind mdr_capture_kind(const struct mdr_capture *c);
int mdr_capture_linktype(const struct mdr_capture *c);
uint16_t mdr_capture_queues(const struct mdr_capture *c);
/* True when the source is a finite replay (file, net_pcap rx_pcap). */
bool mdr_capture_is_replay(const struct mdr_capture *c);

/*
 * Up to n frames from queue q. Returns the count (0 = nothing right now),
 * or -ENODATA at the end of a replay, or another -errno on failure.
 */
int mdr_capture_burst(struct mdr_capture *c, uint16_t q,
		      struct mdr_cap_pkt *pkts, uint16_t n);
/* Make a blocked libpcap read return (signal handlers). */
void mdr_capture_break(struct mdr_capture *c);
void mdr_capture_get_stats(struct mdr_capture *c, struct mdr_capture_stats *st);
const char *mdr_capture_describe(const struct mdr_capture *c);

#endif
