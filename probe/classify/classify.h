/*
 * classify.h - protocol classification with nDPI, one module per worker.
 *
 * nDPI is not thread-safe, so each worker owns a struct mdr_classify: its
 * own nDPI detection module, loaded once at start with the protocol,
 * category, risky-domain, JA3 and SHA-1 lists, and two pools (the per-flow
 * result, and the nDPI flow structure that only lives while detection
 * runs). Packets of a flow are fed, as ndpiReader feeds them (the whole IP
 * packet, every packet of both directions), until nDPI's answer is final
 * and its extra dissection is over, or until max-packets; then nDPI gives
 * up (with guessing), the answer is kept in a few bytes and the nDPI flow
 * goes back to the pool: the flow costs nothing more.
 *
 * At flow end (or for an interim record) mdr_classify_fill() writes
 * app_proto, the ndpi fields and nDPI's host name into the record's meta;
 * the nDPI module is never touched by another thread.
 */
#ifndef MDR_CLASSIFY_H
#define MDR_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "../decode/decode.h"
#include "../flow/flow.h"
#include "../output/output.h"

#define MDR_CLASSIFY_PATH 512
#define MDR_FLOW_EXT_CLASSIFY 0     /* f->ext[] slot */

struct mdr_classify_config {
	bool enabled;
	uint32_t max_pkts;          /* TCP and other: give up (guess) after this many; 80 */
	uint32_t max_pkts_udp;      /* UDP; 24 (ndpiReader's defaults) */
	char protos_file[MDR_CLASSIFY_PATH];      /* "" = none */
	char categories_file[MDR_CLASSIFY_PATH];
	char risky_domains_file[MDR_CLASSIFY_PATH];
	char ja3_file[MDR_CLASSIFY_PATH];
	char sha1_file[MDR_CLASSIFY_PATH];
};

struct mdr_classify_stats {
	uint64_t flows;             /* flows offered */
	uint64_t pkts;              /* packets fed to nDPI */
	uint64_t detected;          /* final answer by DPI */
	uint64_t guessed;           /* answer by port/IP guess at give-up */
	uint64_t unknown;
	uint64_t gave_up;           /* max-packets reached */
	uint64_t no_state;          /* flows not classified: pool cap reached */
	uint64_t ndpi_flows;        /* gauge: nDPI flows in use */
	uint64_t ndpi_flows_peak;
};

struct mdr_classify;

void mdr_classify_config_default(struct mdr_classify_config *cfg);
/*
 * Create a worker's module. Relative list paths are tried as given, then
 * under the source tree. NULL with errbuf set (names the key) on failure.
 */
struct mdr_classify *mdr_classify_create(const struct mdr_classify_config *cfg,
					 uint32_t max_flows, char *errbuf, size_t errlen);
void mdr_classify_free(struct mdr_classify *c);

/* One decoded packet of flow f (dir 0 = to server). */
void mdr_classify_packet(struct mdr_classify *c, struct mdr_flow *f,
			 const struct mdr_pkt *p, int dir);

/*
 * Write the classification into meta (app_proto, ndpi_*, and nDPI's host
 * name / JA3 where meta has none yet). final: the flow ends, so detection
 * still running is given up and the per-flow state released.
 */
void mdr_classify_fill(struct mdr_classify *c, struct mdr_flow *f,
		       struct mdr_flow_meta *meta, bool final);

const struct mdr_classify_stats *mdr_classify_get_stats(const struct mdr_classify *c);

/* Suricata-style app_proto for nDPI protocol names ("TLS", "Google"). */
const char *mdr_classify_app_proto(const char *master, const char *app,
				   char *buf, size_t len);

/* nDPI risk number -> name, severity, score (thread-safe, for the writer). */
const char *mdr_classify_risk_name(unsigned risk);
const char *mdr_classify_risk_severity(unsigned risk);
unsigned mdr_classify_risk_score(unsigned risk);

#endif
