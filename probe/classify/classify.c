/*
 * classify.c - the per-worker nDPI module and the per-packet feeding.
 *
 * Feeding follows ndpiReader (so that both give the same answer for the
 * same capture): every IP packet of the flow, both directions, from the
 * first one, with its time in milliseconds. After each packet: if nDPI has
 * an application protocol and no extra dissection is possible (certificate,
 * DNS answer, HTTP response, credentials), or if the flow has carried more
 * than max-packets, detection is over: an unknown flow is given up with
 * guessing, the answer is copied into the small per-flow result and the
 * nDPI flow (with what nDPI allocated inside it) is released. A flow that
 * ends while detection still runs is given up the same way at its end.
 */
#include "classify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ndpi_api.h>

#include "../common/mdr_pool.h"

#define SLAB 1024

enum cls_state { CLS_DETECTING = 0, CLS_DONE, CLS_NO_STATE };

/* What is kept per flow (f->ext[MDR_FLOW_EXT_CLASSIFY]). */
struct cls_flow {
	struct ndpi_flow_struct *nf;    /* while detecting */
	ndpi_protocol proto;
	ndpi_risk risk;
	uint32_t pkts;
	uint8_t state;                  /* enum cls_state */
	uint8_t confidence;             /* ndpi_confidence_t */
	uint8_t guessed;
	char host[80];                  /* nDPI's host_server_name */
	char ja3c[33], ja3s[33];
};

struct mdr_classify {
	struct mdr_classify_config cfg;
	struct ndpi_detection_module_struct *mod;
	struct mdr_pool *results;       /* struct cls_flow */
	struct mdr_pool *nflows;        /* struct ndpi_flow_struct */
	struct mdr_classify_stats st;
};

void mdr_classify_config_default(struct mdr_classify_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = true;
	cfg->max_pkts = 80;
	cfg->max_pkts_udp = 24;
	snprintf(cfg->protos_file, sizeof(cfg->protos_file), "signatures/ndpi/protos.txt");
	snprintf(cfg->categories_file, sizeof(cfg->categories_file), "signatures/ndpi/categories.txt");
	snprintf(cfg->risky_domains_file, sizeof(cfg->risky_domains_file),
		 "signatures/ndpi/risky_domains.txt");
	snprintf(cfg->ja3_file, sizeof(cfg->ja3_file), "signatures/ndpi/ja3_fingerprints.csv");
	snprintf(cfg->sha1_file, sizeof(cfg->sha1_file), "signatures/ndpi/sha1_fingerprints.csv");
}

/* A list path as given, else (relative) under the source tree. */
static int resolve(const char *path, char *out, size_t len)
{
	if (access(path, R_OK) == 0 || path[0] == '/') {
		snprintf(out, len, "%s", path);
		return access(out, R_OK) == 0 ? 0 : -errno;
	}
#ifdef MDR_SRC_ROOT_DIR
	snprintf(out, len, "%s/%s", MDR_SRC_ROOT_DIR, path);
	if (access(out, R_OK) == 0)
		return 0;
#endif
	snprintf(out, len, "%s", path);
	return -ENOENT;
}

typedef int (*load_fn)(struct ndpi_detection_module_struct *, const char *);

static int load_protos(struct ndpi_detection_module_struct *m, const char *p)
{
	return ndpi_load_protocols_file(m, (char *)p);
}

static int load_list(struct mdr_classify *c, const char *key, const char *path, load_fn fn,
		     char *eb, size_t el)
{
	char full[MDR_CLASSIFY_PATH + 512];
	int rc;

	if (!path[0])
		return 0;
	rc = resolve(path, full, sizeof(full));
	if (rc) {
		snprintf(eb, el, "key '%s': %s: %s", key, path, strerror(-rc));
		return rc;
	}
	if (fn(c->mod, full) < 0) {
		snprintf(eb, el, "key '%s': %s: nDPI could not load it", key, full);
		return -EINVAL;
	}
	return 0;
}

static int load_lists(struct mdr_classify *c, char *eb, size_t el)
{
	const struct mdr_classify_config *k = &c->cfg;

	if (load_list(c, "classify.protos-file", k->protos_file, load_protos, eb, el) ||
	    load_list(c, "classify.categories-file", k->categories_file,
		      ndpi_load_categories_file, eb, el) ||
	    load_list(c, "classify.risky-domains-file", k->risky_domains_file,
		      ndpi_load_risk_domain_file, eb, el) ||
	    load_list(c, "classify.ja3-file", k->ja3_file, ndpi_load_malicious_ja3_file, eb, el) ||
	    load_list(c, "classify.sha1-file", k->sha1_file, ndpi_load_malicious_sha1_file, eb, el))
		return -EINVAL;
	return 0;
}

struct mdr_classify *mdr_classify_create(const struct mdr_classify_config *cfg,
					 uint32_t max_flows, char *eb, size_t el)
{
	struct mdr_classify *c = calloc(1, sizeof(*c));
	NDPI_PROTOCOL_BITMASK all;

	if (!c)
		goto nomem;
	c->cfg = *cfg;
	c->results = mdr_pool_create(sizeof(struct cls_flow), SLAB, max_flows);
	c->nflows = mdr_pool_create(sizeof(struct ndpi_flow_struct), SLAB, max_flows);
	c->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->results || !c->nflows || !c->mod)
		goto nomem;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->mod, &all);
	if (load_lists(c, eb, el) != 0) {
		mdr_classify_free(c);
		return NULL;
	}
	ndpi_finalize_initialization(c->mod);
	return c;
nomem:
	mdr_classify_free(c);
	snprintf(eb, el, "classify: out of memory");
	return NULL;
}

void mdr_classify_free(struct mdr_classify *c)
{
	if (!c)
		return;
	/* nDPI flows still in use belong to flows that were never ended */
	mdr_pool_free(c->results);
	mdr_pool_free(c->nflows);
	if (c->mod)
		ndpi_exit_detection_module(c->mod);
	free(c);
}

/* Detection is over: keep the answer, release the nDPI flow. */
static void finish(struct mdr_classify *c, struct cls_flow *cf, bool give_up)
{
	struct ndpi_flow_struct *nf = cf->nf;

	if (give_up || cf->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		uint8_t guessed = 0;

		cf->proto = ndpi_detection_giveup(c->mod, nf, 1, &guessed);
		cf->guessed = guessed;
	}
	cf->risk = nf->risk;
	cf->confidence = (uint8_t)nf->confidence;
	snprintf(cf->host, sizeof(cf->host), "%s", nf->host_server_name);
	memcpy(cf->ja3c, nf->protos.tls_quic.ja3_client, sizeof(cf->ja3c));
	memcpy(cf->ja3s, nf->protos.tls_quic.ja3_server, sizeof(cf->ja3s));
	cf->ja3c[32] = cf->ja3s[32] = 0;
	if (cf->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN &&
	    cf->proto.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		c->st.unknown++;
	else if (cf->guessed)
		c->st.guessed++;
	else
		c->st.detected++;
	ndpi_free_flow_data(nf);
	mdr_pool_put(c->nflows, nf);
	c->st.ndpi_flows--;
	cf->nf = NULL;
	cf->state = CLS_DONE;
}

static struct cls_flow *flow_state(struct mdr_classify *c, struct mdr_flow *f)
{
	struct cls_flow *cf = f->ext[MDR_FLOW_EXT_CLASSIFY];

	if (cf)
		return cf;
	c->st.flows++;
	cf = mdr_pool_get(c->results);
	if (!cf) {
		c->st.no_state++;
		return NULL;
	}
	f->ext[MDR_FLOW_EXT_CLASSIFY] = cf;
	cf->nf = mdr_pool_get(c->nflows);
	if (!cf->nf) {
		c->st.no_state++;
		cf->state = CLS_NO_STATE;
		return cf;
	}
	if (++c->st.ndpi_flows > c->st.ndpi_flows_peak)
		c->st.ndpi_flows_peak = c->st.ndpi_flows;
	return cf;
}

void mdr_classify_packet(struct mdr_classify *c, struct mdr_flow *f,
			 const struct mdr_pkt *p, int dir)
{
	struct cls_flow *cf = flow_state(c, f);
	uint32_t len, max;
	bool enough;

	(void)dir;
	if (!cf || cf->state != CLS_DETECTING)
		return;
	if (p->l3_off >= p->caplen)
		return;
	len = p->caplen - p->l3_off;
	if (p->l3_len && p->l3_len < len)
		len = p->l3_len;
	if (len > 65535)
		len = 65535;
	cf->proto = ndpi_detection_process_packet(c->mod, cf->nf, p->data + p->l3_off,
						  (unsigned short)len, p->ts / 1000000);
	cf->pkts++;
	c->st.pkts++;
	max = p->key.proto == 17 ? c->cfg.max_pkts_udp : c->cfg.max_pkts;
	enough = cf->pkts > max;
	if (!enough && cf->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return;
	if (!enough && ndpi_extra_dissection_possible(c->mod, cf->nf))
		return;
	if (enough)
		c->st.gave_up++;
	finish(c, cf, false);
}

static void fill_meta(struct mdr_classify *c, const struct cls_flow *cf,
		      struct mdr_flow_meta *m)
{
	char master[32], app[32];
	bool known = cf->proto.app_protocol || cf->proto.master_protocol;

	ndpi_protocol2name(c->mod, cf->proto, m->ndpi_proto, sizeof(m->ndpi_proto));
	snprintf(m->ndpi_category, sizeof(m->ndpi_category), "%s",
		 ndpi_category_get_name(c->mod, cf->proto.category));
	snprintf(m->ndpi_confidence, sizeof(m->ndpi_confidence), "%s",
		 ndpi_confidence_get_name((ndpi_confidence_t)cf->confidence));
	m->ndpi_risks = cf->risk;
	if (cf->risk) {
		uint16_t cli = 0, srv = 0;

		m->ndpi_risk_score = ndpi_risk2score(cf->risk, &cli, &srv);
	}
	/* app_proto only from a DPI answer; a port/IP guess says nothing about the payload */
	if (known && cf->confidence >= NDPI_CONFIDENCE_DPI_CACHE) {
		snprintf(master, sizeof(master), "%s",
			 cf->proto.master_protocol ?
			 ndpi_get_proto_name(c->mod, cf->proto.master_protocol) : "");
		snprintf(app, sizeof(app), "%s", ndpi_get_proto_name(c->mod, cf->proto.app_protocol));
		mdr_classify_app_proto(master, app, m->app_proto, sizeof(m->app_proto));
	}
}

/* nDPI's JA3 where the probe's TLS parser saw no hello (QUIC, DTLS). */
static void fill_ja3(const struct cls_flow *cf, struct mdr_flow_meta *m)
{
	if (!m->ja3[0])
		memcpy(m->ja3, cf->ja3c, sizeof(m->ja3));
	if (!m->ja3s[0])
		memcpy(m->ja3s, cf->ja3s, sizeof(m->ja3s));
}

/* nDPI's host name and JA3 where the application-layer parsers found none. */
static void fill_fallbacks(const struct cls_flow *cf, struct mdr_flow_meta *m)
{
	uint16_t id = cf->proto.master_protocol ? cf->proto.master_protocol
						: cf->proto.app_protocol;

	fill_ja3(cf, m);
	if (!cf->host[0])
		return;
	if ((id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC) && !m->sni[0])
		snprintf(m->sni, sizeof(m->sni), "%s", cf->host);
	else if (id == NDPI_PROTOCOL_HTTP && !m->http_host[0])
		snprintf(m->http_host, sizeof(m->http_host), "%s", cf->host);
	else if (id == NDPI_PROTOCOL_DNS && !m->dns_query[0])
		snprintf(m->dns_query, sizeof(m->dns_query), "%s", cf->host);
}


void mdr_classify_fill(struct mdr_classify *c, struct mdr_flow *f,
		       struct mdr_flow_meta *meta, bool final)
{
	struct cls_flow *cf = f->ext[MDR_FLOW_EXT_CLASSIFY];

	if (!cf)
		return;
	if (final && cf->state == CLS_DETECTING)
		finish(c, cf, true);
	if (cf->state == CLS_NO_STATE) {
		snprintf(meta->ndpi_confidence, sizeof(meta->ndpi_confidence), "none");
	} else {
		fill_meta(c, cf, meta);
		fill_fallbacks(cf, meta);
	}
	if (final) {
		if (cf->nf) {
			ndpi_free_flow_data(cf->nf);
			mdr_pool_put(c->nflows, cf->nf);
			c->st.ndpi_flows--;
		}
		mdr_pool_put(c->results, cf);
		f->ext[MDR_FLOW_EXT_CLASSIFY] = NULL;
	}
}

const struct mdr_classify_stats *mdr_classify_get_stats(const struct mdr_classify *c)
{
	return &c->st;
}
