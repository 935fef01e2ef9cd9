/*
 * flow_int.h - internal interface between flow.c (the table) and
 * flow_tcp.c (per-flow protocol state). Not for other modules.
 */
#ifndef MDR_FLOW_INT_H
#define MDR_FLOW_INT_H

#include "flow.h"

#define MDR_TH_FIN 0x01
#define MDR_TH_SYN 0x02
#define MDR_TH_RST 0x04
#define MDR_TH_ACK 0x10

#define MDR_PROTO_ICMP   1
#define MDR_PROTO_TCP    6
#define MDR_PROTO_UDP    17
#define MDR_PROTO_ICMPV6 58
#define MDR_PROTO_SCTP   132

/* Update TCP flags, seen flags, history, tcp_state, Zeek states, closed_by
 * for one packet of direction dir (0 = sent by the client). */
void mdr_flow_tcp_packet(struct mdr_flow *f, const struct mdr_pkt *p, int dir);

/* Mark the flow's history as flipped ('^' first). */
void mdr_flow_hist_flip(struct mdr_flow *f);

/* The flow state (enum mdr_flow_state) after the packet just accounted. */
uint8_t mdr_flow_next_state(const struct mdr_flow *f);

#endif
