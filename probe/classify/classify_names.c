/*
 * classify_names.c - nDPI names to Suricata's app_proto, and risk names.
 *
 * app_proto takes the master protocol when there is one ("TLS" of
 * "TLS.Google"), else the application protocol, and spells it the way
 * Suricata's EVE does ("tls", "http", "dns", "smb", "krb5", "ftp-data"...);
 * protocols Suricata has no parser for get nDPI's name in lower case.
 * The risk helpers only read nDPI's static tables: safe on any thread.
 */
#include "classify.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ndpi_api.h>

static const struct { const char *ndpi, *suricata; } names[] = {
	{ "HTTP", "http" }, { "HTTP_Proxy", "http" }, { "HTTP_Connect", "http" },
	{ "TLS", "tls" }, { "DTLS", "dtls" }, { "DNS", "dns" }, { "SSH", "ssh" },
	{ "FTP_CONTROL", "ftp" }, { "FTP_DATA", "ftp-data" }, { "FTPS", "tls" },
	{ "SMTP", "smtp" }, { "SMTPS", "tls" }, { "POP3", "pop3" }, { "POPS", "tls" },
	{ "IMAP", "imap" }, { "IMAPS", "tls" }, { "SMBv1", "smb" }, { "SMBv23", "smb" },
	{ "Kerberos", "krb5" }, { "NTP", "ntp" }, { "SNMP", "snmp" }, { "SIP", "sip" },
	{ "RDP", "rdp" }, { "VNC", "rfb" }, { "MQTT", "mqtt" }, { "NFS", "nfs" },
	{ "TFTP", "tftp" }, { "IPsec", "ike" }, { "QUIC", "quic" }, { "DNP3", "dnp3" },
	{ "Modbus", "modbus" }, { "DHCP", "dhcp" }, { "Telnet", "telnet" },
	{ "DCE_RPC", "dcerpc" }, { "IRC", "irc" }, { "BitTorrent", "bittorrent" },
	{ "HTTP2", "http2" }, { "DoH_DoT", "doh" },
};

static void lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	if (len)
		buf[i] = 0;
}

const char *mdr_classify_app_proto(const char *master, const char *app,
				   char *buf, size_t len)
{
	const char *n = master && master[0] ? master : app;

	if (!n || !n[0] || !strcasecmp(n, "Unknown")) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].ndpi, n)) {
			snprintf(buf, len, "%s", names[i].suricata);
			return buf;
		}
	lower(n, buf, len);
	return buf;
}

const char *mdr_classify_risk_name(unsigned risk)
{
	if (risk == 0 || risk >= NDPI_MAX_RISK)
		return NULL;
	return ndpi_risk2str((ndpi_risk_enum)risk);
}

const char *mdr_classify_risk_severity(unsigned risk)
{
	ndpi_risk_info *ri;

	if (risk == 0 || risk >= NDPI_MAX_RISK)
		return "";
	ri = ndpi_risk2severity((ndpi_risk_enum)risk);
	return ri ? ndpi_severity2str(ri->severity) : "";
}

unsigned mdr_classify_risk_score(unsigned risk)
{
	uint16_t cli = 0, srv = 0;

	if (risk == 0 || risk >= NDPI_MAX_RISK)
		return 0;
	return ndpi_risk2score((ndpi_risk)1 << risk, &cli, &srv);
}
