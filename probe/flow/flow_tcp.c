/*
 * flow_tcp.c - per-flow TCP tracking and the flow state.
 *
 * One packet updates three views of the connection, each after its model:
 *  - tcp_state: Suricata's stream states. A FIN from the client moves an
 *    established session to close_wait, one from the server to fin_wait1
 *    (Suricata names them so); acks of the FINs lead to closed.
 *  - zk_state[]: Zeek's endpoint states (inactive, syn_sent, partial, ...),
 *    updated like Zeek's TCP analyzer, only to derive conn_state with the
 *    same decision tree as Zeek's conn_state().
 *  - history: Zeek's letters, each recorded once per side (uppercase for
 *    the client), plus T for a data segment bringing no new sequence space.
 * The flow state (Suricata flow.state) is new until both sides have sent
 * (and, for TCP, the handshake is done), closed after FINs from both sides
 * or a RST. Side 0 is the client, 1 the server; sequence numbers compare
 * modulo 2^32. Nothing here allocates.
 */
#include "flow_int.h"

enum zk_state {                 /* Zeek TCP_ENDPOINT_* */
	ZK_INACTIVE = 0,
	ZK_SYN_SENT,
	ZK_SYN_ACK_SENT,
	ZK_PARTIAL,
	ZK_ESTABLISHED,
	ZK_CLOSED,
	ZK_RESET,
};

static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* ---- history ---------------------------------------------------------- */

static void hist_add(struct mdr_flow *f, int side, char c)
{
	uint32_t bit = 1u << (c - 'A');

	if (f->hist_mask[side] & bit || f->hist_len + 1 >= MDR_HISTORY_MAX)
		return;
	f->hist_mask[side] |= bit;
	f->history[f->hist_len++] = side ? (char)(c - 'A' + 'a') : c;
	f->history[f->hist_len] = '\0';
}

void mdr_flow_hist_flip(struct mdr_flow *f)
{
	if (f->hist_len + 1 >= MDR_HISTORY_MAX)
		return;
	f->history[f->hist_len++] = '^';
	f->history[f->hist_len] = '\0';
}

/* Zeek's update_history(): one letter by flag combination. */
static void hist_update(struct mdr_flow *f, int side, uint8_t fl, uint32_t len)
{
	int bits = !!(fl & MDR_TH_SYN) + !!(fl & MDR_TH_FIN) + !!(fl & MDR_TH_RST);

	if (bits > 1)
		hist_add(f, side, (fl & MDR_TH_FIN) && (fl & MDR_TH_RST) ? 'I' : 'Q');
	else if (fl & MDR_TH_SYN)
		hist_add(f, side, fl & MDR_TH_ACK ? 'H' : 'S');
	else if (fl & MDR_TH_FIN)
		hist_add(f, side, 'F');
	else if (fl & MDR_TH_RST)
		hist_add(f, side, 'R');
	else if (len)
		hist_add(f, side, 'D');
	else if (fl & MDR_TH_ACK)
		hist_add(f, side, 'A');
}

/*
 * Sequence tracking of one side: counts new payload bytes and tells whether
 * a data segment is a retransmission (ends at or before the highest
 * sequence already sent, as Zeek's DidRxmit). RST sequence numbers are not
 * trusted; a SYN (re)starts the sequence space.
 */
static bool seq_track(struct mdr_flow *f, int side, const struct mdr_pkt *p)
{
	uint8_t fl = p->tcp_flags;
	uint32_t len = p->payload_len;
	uint32_t end;
	int32_t d;

	if (fl & MDR_TH_RST)
		return false;
	end = p->tcp_seq + len + !!(fl & MDR_TH_SYN) + !!(fl & MDR_TH_FIN);
	if (!f->seq_valid[side] || (fl & MDR_TH_SYN)) {
		f->seq_valid[side] = 1;
		f->seq_next[side] = end;
		f->payload_bytes[side] += len;
		return false;
	}
	d = seq_diff(end, f->seq_next[side]);
	if (d <= 0)
		return len > 0;
	f->payload_bytes[side] += (uint32_t)d < len ? (uint32_t)d : len;
	f->seq_next[side] = end;
	return false;
}

/* ---- Zeek endpoint states (TCPSessionAdapter::UpdateStateMachine) ----- */

static void zk_set(struct mdr_flow *f, int side, uint8_t st)
{
	f->zk_prev[side] = f->zk_state[side];
	f->zk_state[side] = st;
}

static void zk_inactive(struct mdr_flow *f, int s, uint8_t fl, uint32_t len)
{
	int peer = !s;

	if (fl & MDR_TH_SYN) {
		if (s == 0) {
			zk_set(f, s, fl & MDR_TH_ACK ? ZK_SYN_ACK_SENT : ZK_SYN_SENT);
		} else {
			if (f->zk_state[peer] == ZK_SYN_SENT)
				zk_set(f, peer, ZK_ESTABLISHED);
			zk_set(f, s, ZK_ESTABLISHED);
		}
	}
	if (fl & MDR_TH_FIN)
		zk_set(f, s, ZK_CLOSED);
	if (fl & MDR_TH_RST)
		zk_set(f, s, ZK_RESET);
	if (f->zk_state[s] != ZK_INACTIVE)
		return;
	/* no control flag: an ACK of a SYN before the SYN+ACK stays inactive */
	if (s == 1 && len == 0 && f->zk_state[0] == ZK_SYN_SENT)
		return;
	if ((fl & MDR_TH_ACK) && f->zk_state[peer] == ZK_ESTABLISHED)
		zk_set(f, s, ZK_ESTABLISHED);
	else
		zk_set(f, s, ZK_PARTIAL);
}

static void zk_established(struct mdr_flow *f, int s, uint8_t fl)
{
	int peer = !s;

	if ((fl & MDR_TH_SYN) && !(fl & MDR_TH_ACK) &&
	    f->zk_state[s] == ZK_PARTIAL && f->zk_state[peer] == ZK_INACTIVE)
		zk_set(f, s, ZK_SYN_SENT);
	if ((fl & MDR_TH_FIN) && !(fl & MDR_TH_RST)) {
		zk_set(f, s, ZK_CLOSED);
		/* FIN then RST from the peer was a normal termination */
		if (f->zk_state[peer] == ZK_RESET && f->zk_prev[peer] == ZK_CLOSED)
			zk_set(f, peer, ZK_CLOSED);
	}
	if (fl & MDR_TH_RST)
		zk_set(f, s, ZK_RESET);
}

static void zk_update(struct mdr_flow *f, int s, uint8_t fl, uint32_t len)
{
	switch (f->zk_state[s]) {
	case ZK_INACTIVE:
		zk_inactive(f, s, fl, len);
		break;
	case ZK_SYN_SENT:
	case ZK_SYN_ACK_SENT:
		if (fl & MDR_TH_FIN)
			zk_set(f, s, ZK_CLOSED);
		if (fl & MDR_TH_RST)
			zk_set(f, s, ZK_RESET);
		break;
	case ZK_ESTABLISHED:
	case ZK_PARTIAL:
		zk_established(f, s, fl);
		break;
	case ZK_CLOSED:
		if ((fl & MDR_TH_RST) && f->zk_state[!s] != ZK_CLOSED)
			zk_set(f, s, ZK_RESET);
		break;
	default:
		break;
	}
}

/* ---- Suricata tcp.state ------------------------------------------------ */

static uint8_t sc_fin(const struct mdr_flow *f, uint8_t st, int s)
{
	switch (st) {
	case MDR_TCP_ESTABLISHED:
		return s == 0 ? MDR_TCP_CLOSE_WAIT : MDR_TCP_FIN_WAIT1;
	case MDR_TCP_FIN_WAIT1:
		if (s == 0)
			return f->fin_acked[1] ? MDR_TCP_TIME_WAIT : MDR_TCP_CLOSING;
		break;
	case MDR_TCP_FIN_WAIT2:
		if (s == 0)
			return MDR_TCP_TIME_WAIT;
		break;
	case MDR_TCP_CLOSE_WAIT:
		if (s == 1)
			return MDR_TCP_LAST_ACK;
		break;
	default:
		break;
	}
	return st;
}

static uint8_t sc_acked(const struct mdr_flow *f, uint8_t st)
{
	switch (st) {
	case MDR_TCP_FIN_WAIT1:
		return f->fin_acked[1] ? MDR_TCP_FIN_WAIT2 : st;
	case MDR_TCP_CLOSING:
		if (!f->fin_acked[1])
			return st;
		st = MDR_TCP_TIME_WAIT;
		/* fall through */
	case MDR_TCP_TIME_WAIT:
		return f->fin_acked[0] ? MDR_TCP_CLOSED : st;
	case MDR_TCP_LAST_ACK:
		return f->fin_acked[1] ? MDR_TCP_CLOSED : st;
	default:
		return st;
	}
}

static void sc_update(struct mdr_flow *f, int s, uint8_t fl)
{
	uint8_t st = f->tcp_state;

	if (fl & MDR_TH_RST) {
		f->tcp_state = MDR_TCP_CLOSED;
		return;
	}
	switch (st) {
	case MDR_TCP_NONE:      /* handshake or midstream pickup */
		if (fl & MDR_TH_SYN)
			st = fl & MDR_TH_ACK ? MDR_TCP_SYN_RECV : MDR_TCP_SYN_SENT;
		else
			st = MDR_TCP_ESTABLISHED;
		break;
	case MDR_TCP_SYN_SENT:
		if (s == 1 && (fl & MDR_TH_SYN))
			st = MDR_TCP_SYN_RECV;
		break;
	case MDR_TCP_SYN_RECV:
		if (s == 0 && (fl & MDR_TH_ACK) && !(fl & MDR_TH_SYN))
			st = MDR_TCP_ESTABLISHED;
		break;
	default:
		break;
	}
	if (fl & MDR_TH_FIN)
		st = sc_fin(f, st, s);
	f->tcp_state = sc_acked(f, st);
}

/* FIN bookkeeping: the FIN's ack number, and whether this packet acks the peer's. */
static void fin_track(struct mdr_flow *f, int s, const struct mdr_pkt *p)
{
	uint8_t fl = p->tcp_flags;
	int peer = !s;

	if ((fl & MDR_TH_FIN) && !f->fin_seen[s]) {
		f->fin_seen[s] = 1;
		f->fin_seq[s] = p->tcp_seq + p->payload_len +
				!!(fl & MDR_TH_SYN) + 1;
	}
	if ((fl & MDR_TH_ACK) && !(fl & MDR_TH_RST) && f->fin_seen[peer] &&
	    seq_diff(p->tcp_ack, f->fin_seq[peer]) >= 0)
		f->fin_acked[peer] = 1;
}

void mdr_flow_tcp_packet(struct mdr_flow *f, const struct mdr_pkt *p, int dir)
{
	uint8_t fl = p->tcp_flags;
	bool rxmit;

	f->tcp_flags[dir] |= fl;
	if (fl & MDR_TH_SYN) {
		f->syn_seen[dir] = 1;
		if (fl & MDR_TH_ACK)
			f->synack_seen = 1;
	}
	if (fl & MDR_TH_RST)
		f->rst_seen[dir] = 1;
	fin_track(f, dir, p);
	rxmit = seq_track(f, dir, p);
	hist_update(f, dir, fl, p->payload_len);
	if (rxmit)
		hist_add(f, dir, 'T');
	zk_update(f, dir, fl, p->payload_len);
	sc_update(f, dir, fl);
	if (!f->closed_by) {
		if (f->rst_seen[0] || f->rst_seen[1])
			f->closed_by = MDR_END_RST;
		else if (f->fin_seen[0] && f->fin_seen[1])
			f->closed_by = MDR_END_FIN;
	}
}

uint8_t mdr_flow_next_state(const struct mdr_flow *f)
{
	bool both = f->total_pkts[0] && f->total_pkts[1];

	if (f->state != MDR_FLOW_STATE_NEW)
		return f->closed_by ? MDR_FLOW_STATE_CLOSED : f->state;
	if (f->key.proto != MDR_PROTO_TCP)
		return both ? MDR_FLOW_STATE_ESTABLISHED : MDR_FLOW_STATE_NEW;
	if (f->closed_by)
		return MDR_FLOW_STATE_CLOSED;
	if (both && f->tcp_state >= MDR_TCP_ESTABLISHED &&
	    f->tcp_state != MDR_TCP_CLOSED)
		return MDR_FLOW_STATE_ESTABLISHED;
	return MDR_FLOW_STATE_NEW;
}

/* ---- Zeek conn_state ---------------------------------------------------- */

/* /^\^?S[^HAFGIQ]*R.*$/ on the history: SYN then RST, nothing else from us. */
static bool hist_syn_then_rst(const char *h)
{
	if (*h == '^')
		h++;
	if (*h++ != 'S')
		return false;
	for (; *h; h++) {
		if (*h == 'R')
			return true;
		if (strchr("HAFGIQ", *h))
			return false;
	}
	return false;
}

static const char *conn_state_reset(const struct mdr_flow *f, uint8_t os, uint8_t rs)
{
	bool o_inactive = os == ZK_INACTIVE || os == ZK_PARTIAL;
	bool r_inactive = rs == ZK_INACTIVE || rs == ZK_PARTIAL;

	if (rs == ZK_RESET) {
		if (os == ZK_SYN_SENT || os == ZK_SYN_ACK_SENT ||
		    (os == ZK_RESET && !f->payload_bytes[0] && !f->payload_bytes[1]))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (r_inactive)
		return hist_syn_then_rst(f->history) ? "RSTOS0" : "OTH";
	return "RSTO";
}

static const char *conn_state_tcp(const struct mdr_flow *f)
{
	uint8_t os = f->zk_state[0], rs = f->zk_state[1];
	bool o_inactive = os == ZK_INACTIVE || os == ZK_PARTIAL;
	bool r_inactive = rs == ZK_INACTIVE || rs == ZK_PARTIAL;

	if (rs == ZK_RESET || os == ZK_RESET)
		return conn_state_reset(f, os, rs);
	if (rs == ZK_CLOSED && os == ZK_CLOSED)
		return "SF";
	if (os == ZK_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == ZK_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == ZK_SYN_SENT && rs == ZK_INACTIVE)
		return "S0";
	if (os == ZK_ESTABLISHED && rs == ZK_ESTABLISHED)
		return "S1";
	return "OTH";
}

const char *mdr_flow_conn_state(const struct mdr_flow *f)
{
	bool o, r;

	switch (f->key.proto) {
	case MDR_PROTO_TCP:
		return conn_state_tcp(f);
	case MDR_PROTO_UDP:
		o = f->total_pkts[0] > 0;
		r = f->total_pkts[1] > 0;
		if (o)
			return r ? "SF" : "S0";
		return r ? "SHR" : "OTH";
	default:        /* Zeek: ICMP and other IP protocols */
		return "OTH";
	}
}

const char *mdr_tcp_state_name(enum mdr_tcp_state s)
{
	static const char *const names[] = {
		[MDR_TCP_NONE] = "none",
		[MDR_TCP_SYN_SENT] = "syn_sent",
		[MDR_TCP_SYN_RECV] = "syn_recv",
		[MDR_TCP_ESTABLISHED] = "established",
		[MDR_TCP_FIN_WAIT1] = "fin_wait1",
		[MDR_TCP_FIN_WAIT2] = "fin_wait2",
		[MDR_TCP_TIME_WAIT] = "time_wait",
		[MDR_TCP_LAST_ACK] = "last_ack",
		[MDR_TCP_CLOSE_WAIT] = "close_wait",
		[MDR_TCP_CLOSING] = "closing",
		[MDR_TCP_CLOSED] = "closed",
	};

	if ((unsigned)s >= MDR_ARRAY_SIZE(names))
		return "unknown";
	return names[s];
}
