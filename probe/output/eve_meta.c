/*
 * eve_meta.c - what classification, the application-layer parsers and the
 * enrichment add to an EVE flow event.
 *
 *   "app_proto": Suricata's name of the DPI answer ("tls", "http", "dns",
 *                "failed" when nDPI saw the flow and found nothing or only
 *                guessed from the port)
 *   "ndpi": {"protocol", "category", "confidence", "risk_score",
 *            "risks": [{"name", "severity", "score"}]}
 *   "tls"/"http"/"dns"/"ssh": the flow's first SNI, JA3/JA3S/JA4, host,
 *            query, banners and HASSH, with Suricata's field names
 *   "credentials": {"protocol", "username", "cleartext"}
 *   "geoip": {"src": {...}, "dest": {...}} and "home_net": {"src", "dest"}
 */
#include "output.h"

#include <string.h>

#include "../classify/classify.h"

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, k, json_string(v));
}

static json_t *hash_obj(const char *hash, const char *str)
{
	json_t *o = json_object();

	json_object_set_new(o, "hash", json_string(hash));
	set_str(o, "string", str);
	return o;
}

static void add_obj(json_t *o, const char *k, json_t *v)
{
	if (json_object_size(v))
		json_object_set_new(o, k, v);
	else
		json_decref(v);
}

static json_t *ndpi_obj(const struct mdr_flow_meta *m)
{
	json_t *n = json_object(), *risks = json_array();

	json_object_set_new(n, "protocol", json_string(m->ndpi_proto));
	set_str(n, "category", m->ndpi_category);
	set_str(n, "confidence", m->ndpi_confidence);
	for (unsigned r = 1; r < 64; r++) {
		const char *name;
		json_t *x;

		if (!(m->ndpi_risks & (1ull << r)) || !(name = mdr_classify_risk_name(r)))
			continue;
		x = json_object();
		json_object_set_new(x, "name", json_string(name));
		json_object_set_new(x, "severity", json_string(mdr_classify_risk_severity(r)));
		json_object_set_new(x, "score", json_integer(mdr_classify_risk_score(r)));
		json_array_append_new(risks, x);
	}
	if (json_array_size(risks)) {
		json_object_set_new(n, "risk_score", json_integer(m->ndpi_risk_score));
		json_object_set_new(n, "risks", risks);
	} else {
		json_decref(risks);
	}
	return n;
}

json_t *mdr_eve_ssh_side(const char *banner, const char *hassh, const char *str)
{
	json_t *o = json_object();
	char buf[128], *ver, *sw, *sp;

	if (banner && !strncmp(banner, "SSH-", 4)) {
		snprintf(buf, sizeof(buf), "%s", banner + 4);
		ver = buf;
		sw = strchr(buf, '-');
		if (sw) {
			*sw++ = 0;
			if ((sp = strchr(sw, ' ')))
				*sp = 0;
			set_str(o, "software_version", sw);
		}
		set_str(o, "proto_version", ver);
	}
	if (hassh && hassh[0])
		json_object_set_new(o, "hassh", hash_obj(hassh, str));
	return o;
}

static void app_objs(json_t *o, const struct mdr_flow_meta *m)
{
	json_t *tls = json_object(), *http = json_object(), *dns = json_object();
	json_t *ssh = json_object(), *cred;

	set_str(tls, "sni", m->sni);
	if (m->ja3[0])
		json_object_set_new(tls, "ja3", hash_obj(m->ja3, NULL));
	if (m->ja3s[0])
		json_object_set_new(tls, "ja3s", hash_obj(m->ja3s, NULL));
	set_str(tls, "ja4", m->ja4);
	add_obj(o, "tls", tls);
	set_str(http, "hostname", m->http_host);
	add_obj(o, "http", http);
	set_str(dns, "rrname", m->dns_query);
	add_obj(o, "dns", dns);
	if (m->ssh_client[0] || m->hassh[0])
		json_object_set_new(ssh, "client", mdr_eve_ssh_side(m->ssh_client, m->hassh, NULL));
	if (m->ssh_server[0] || m->hassh_server[0])
		json_object_set_new(ssh, "server",
				    mdr_eve_ssh_side(m->ssh_server, m->hassh_server, NULL));
	add_obj(o, "ssh", ssh);
	if (m->cred_proto[0] && (m->cleartext_cred || m->cred_user[0])) {
		cred = json_object();
		json_object_set_new(cred, "protocol", json_string(m->cred_proto));
		set_str(cred, "username", m->cred_user);
		json_object_set_new(cred, "cleartext", json_boolean(m->cleartext_cred));
		json_object_set_new(o, "credentials", cred);
	}
}

static json_t *geo_side(const struct mdr_flow_meta *m, int side)
{
	json_t *g = json_object();

	set_str(g, "country_iso_code", m->country[side]);
	set_str(g, "city_name", m->city[side]);
	if (m->asn[side])
		json_object_set_new(g, "asn", json_integer(m->asn[side]));
	set_str(g, "as_org", m->as_org[side]);
	return g;
}

static void enrichment(json_t *o, const struct mdr_flow_meta *m)
{
	json_t *geo = json_object(), *home = json_object();

	add_obj(geo, "src", geo_side(m, 0));
	add_obj(geo, "dest", geo_side(m, 1));
	add_obj(o, "geoip", geo);
	json_object_set_new(home, "src", json_string(m->internal[0] ? "internal" : "external"));
	json_object_set_new(home, "dest", json_string(m->internal[1] ? "internal" : "external"));
	json_object_set_new(o, "home_net", home);
}

void mdr_eve_flow_meta(json_t *o, const struct mdr_flow_record *r)
{
	const struct mdr_flow_meta *m = &r->meta;

	if (m->app_proto[0])
		json_object_set_new(o, "app_proto", json_string(m->app_proto));
	else if (m->ndpi_proto[0])
		json_object_set_new(o, "app_proto", json_string("failed"));
	if (m->ndpi_proto[0])
		json_object_set_new(o, "ndpi", ndpi_obj(m));
	app_objs(o, m);
	enrichment(o, m);
}
