/*
 * pcap_read.c - the benchmark baseline: read every frame of a pcap with
 * libpcap and touch its bytes (a checksum, so the read cannot be optimised
 * away), nothing else. mdrprobe's decode+flow cost is reported relative to
 * this loop over the same file in the same run.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t pkts = 0, bytes = 0, sum = 0;
	struct timespec a, b;
	pcap_t *p;
	double s;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_read FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		fprintf(stderr, "pcap_read: %s\n", eb);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (pcap_next_ex(p, &h, &d) == 1) {
		pkts++;
		bytes += h->caplen;
		for (uint32_t i = 0; i < h->caplen; i += 64)
			sum += d[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("pkts %llu bytes %llu seconds %.6f gbps %.3f mpps %.3f sum %llu\n",
	       (unsigned long long)pkts, (unsigned long long)bytes, s,
	       (double)bytes * 8 / s / 1e9, (double)pkts / s / 1e6, (unsigned long long)sum);
	pcap_close(p);
	return 0;
}
