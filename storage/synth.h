/*
 * synth.h - synthetic but realistic flow records (tests and benchmarks).
 *
 * Record i of n is a pure function of (seed, i): its end time advances
 * linearly over [t0, t0 + span) as the probe would emit them, its start is
 * end minus a mostly short, sometimes hours-long duration. Clients are
 * concentrated (Zipf-like) in 10.1.0.0/16 and 2001:db8:1::/48 (~20% IPv6),
 * servers in 10.2.0.0/16, public IPv4 and 2a00:1450::/32; TCP/UDP/ICMP/GRE;
 * TLS (SNI under a few domains incl. *.example.top, JA3/JA4), HTTP (host),
 * DNS (query), SMB, SSH; 1% of flows with signature ids (2024897 among
 * them), 5% with nDPI risks, countries/ASNs on public endpoints, VLANs,
 * VXLAN tunnels, interim records and flipped flow ids.
 */
#ifndef MDR_SYNTH_H
#define MDR_SYNTH_H

#include <stdint.h>

#include "output/output.h"

void mdr_synth_record(uint64_t seed, uint64_t i, uint64_t n, mdr_time_t t0, uint64_t span_ns,
		      struct mdr_flow_record *r);

#endif
