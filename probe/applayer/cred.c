/*
 * cred.c - clear-text logins of FTP, SMTP, POP3, IMAP and Telnet.
 *
 * Client lines are gathered one at a time (200 bytes; longer lines are
 * skipped) and matched against the login commands: USER/PASS (FTP, POP3),
 * AUTH PLAIN and AUTH LOGIN with their base64 continuations (SMTP, POP3),
 * IMAP's tagged LOGIN and AUTHENTICATE PLAIN. Telnet has no commands: the
 * server's output (option negotiation stripped) is watched for a
 * "login:"/"Username:" or "Password:" prompt, and the client's next line
 * is the user name or the password. Only the user name is kept; of a
 * password the parser notes that one went by, and the line buffer that
 * held it is wiped. After STARTTLS / STLS / AUTH TLS, a client line that
 * starts with a TLS record hands the stream over to the TLS parser.
 */
#include "app_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum { E_NONE = 0, E_LOGIN_USER, E_LOGIN_PASS, E_PLAIN, E_TEL_USER, E_TEL_PASS };

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case AP_FTP: return "ftp";
	case AP_SMTP: return "smtp";
	case AP_POP3: return "pop3";
	case AP_IMAP: return "imap";
	default: return "telnet";
	}
}

static bool word(const char **s, size_t *n, const char *w)
{
	size_t l = strlen(w);

	if (*n < l || strncasecmp(*s, w, l) || (*n > l && (*s)[l] != ' '))
		return false;
	*s += l;
	*n -= l;
	while (*n && **s == ' ') {
		(*s)++;
		(*n)--;
	}
	return true;
}

/* The next space-delimited argument (IMAP quotes stripped). */
static size_t arg(const char **s, size_t *n, const char **out)
{
	size_t l = 0;

	if (*n && **s == '"') {
		(*s)++;
		(*n)--;
		while (l < *n && (*s)[l] != '"')
			l++;
		*out = *s;
		*s += l < *n ? l + 1 : l;
		*n -= l < *n ? l + 1 : l;
	} else {
		while (l < *n && (*s)[l] != ' ')
			l++;
		*out = *s;
		*s += l;
		*n -= l;
	}
	while (*n && **s == ' ') {
		(*s)++;
		(*n)--;
	}
	return l;
}

/* SASL PLAIN: base64("authzid\0user\0password"). */
static void sasl_plain(struct mdr_applayer *a, struct app_flow *af, const char *b64, size_t n)
{
	uint8_t dec[192];
	size_t len = app_b64_decode((const uint8_t *)b64, n, dec, sizeof(dec)), i = 0, u;

	while (i < len && dec[i])
		i++;
	if (i < len)
		i++;
	for (u = i; u < len && dec[u]; u++)
		;
	app_set_cred(a, af, proto_name(af->proto), (const char *)dec + i, u - i, u < len);
	memset(dec, 0, sizeof(dec));
}

static void sasl_login_user(struct mdr_applayer *a, struct app_flow *af, const char *b64,
			    size_t n)
{
	uint8_t dec[96];
	size_t len = app_b64_decode((const uint8_t *)b64, n, dec, sizeof(dec));

	app_set_cred(a, af, proto_name(af->proto), (const char *)dec, len, false);
}

static void auth_cmd(struct mdr_applayer *a, struct app_flow *af, const char *s, size_t n)
{
	struct line_state *ls = &af->u.line;
	const char *v;
	size_t l;

	if (word(&s, &n, "PLAIN")) {
		if (n && *s != '=')
			sasl_plain(a, af, s, n);
		else
			ls->expect = E_PLAIN;
	} else if (word(&s, &n, "LOGIN")) {
		ls->expect = E_LOGIN_USER;
		if ((l = arg(&s, &n, &v)) > 0) {
			sasl_login_user(a, af, v, l);
			ls->expect = E_LOGIN_PASS;
		}
	} else if (word(&s, &n, "TLS") || word(&s, &n, "SSL")) {
		ls->starttls = 1;
	}
}

static void command(struct mdr_applayer *a, struct app_flow *af, const char *s, size_t n)
{
	struct line_state *ls = &af->u.line;
	const char *name = proto_name(af->proto), *v, *tag;
	size_t l;

	if (af->proto == AP_IMAP)
		arg(&s, &n, &tag);
	if (word(&s, &n, "USER")) {
		app_set_cred(a, af, name, s, n, false);
	} else if (word(&s, &n, "PASS")) {
		if (n)
			app_set_cred(a, af, name, NULL, 0, true);
	} else if (word(&s, &n, "LOGIN")) {             /* IMAP: LOGIN user password */
		l = arg(&s, &n, &v);
		app_set_cred(a, af, name, v, l, n > 0);
	} else if (word(&s, &n, "AUTH") || word(&s, &n, "AUTHENTICATE")) {
		auth_cmd(a, af, s, n);
	} else if (word(&s, &n, "APOP")) {              /* a digest, not a password */
		l = arg(&s, &n, &v);
		app_set_cred(a, af, name, v, l, false);
	} else if (word(&s, &n, "STARTTLS") || word(&s, &n, "STLS")) {
		ls->starttls = 1;
	}
}

static void client_line(struct mdr_applayer *a, struct app_flow *af)
{
	struct line_state *ls = &af->u.line;
	size_t n = ls->len;
	uint8_t expect = ls->expect;

	while (n && (ls->line[n - 1] == '\r' || ls->line[n - 1] == ' '))
		n--;
	ls->expect = E_NONE;
	if (ls->overflow)
		return;
	if (expect == E_LOGIN_USER && !(n == 1 && ls->line[0] == '*')) {
		sasl_login_user(a, af, ls->line, n);
		ls->expect = E_LOGIN_PASS;
	} else if (expect == E_LOGIN_PASS && n && !(n == 1 && ls->line[0] == '*')) {
		app_set_cred(a, af, proto_name(af->proto), NULL, 0, true);
	} else if (expect == E_PLAIN && n && !(n == 1 && ls->line[0] == '*')) {
		sasl_plain(a, af, ls->line, n);
	} else {
		command(a, af, ls->line, n);
	}
}

static void switch_to_tls(struct app_flow *af)
{
	memset(&af->u, 0, sizeof(af->u));
	af->proto = AP_TLS;
	af->done[0] = af->done[1] = 0;
}

static uint32_t lines(struct mdr_applayer *a, struct app_flow *af, const uint8_t *d, uint32_t n)
{
	struct line_state *ls = &af->u.line;

	for (uint32_t i = 0; i < n; i++) {
		if (ls->starttls && ls->len == 0 && d[i] == 0x16) {
			switch_to_tls(af);
			return i;
		}
		if (d[i] == '\n') {
			client_line(a, af);
			memset(ls->line, 0, ls->len);   /* it may have held a password */
			ls->len = 0;
			ls->overflow = 0;
		} else if (ls->len + 1u < sizeof(ls->line)) {
			ls->line[ls->len++] = (char)d[i];
		} else {
			ls->overflow = 1;
		}
	}
	return n;
}

/* ---- Telnet ---- */

/* One byte through the Telnet command parser: true when it is data. */
static bool telnet_data_byte(uint8_t *st, uint8_t c)
{
	switch (*st) {
	case 0:
		if (c != 255)
			return true;
		*st = 1;
		return false;
	case 1:
		if (c == 255) {
			*st = 0;
			return true;
		}
		*st = c >= 251 ? 2 : c == 250 ? 3 : 0;
		return false;
	case 2:
		*st = 0;
		return false;
	case 3:
		if (c == 255)
			*st = 4;
		return false;
	default:
		*st = c == 240 ? 0 : 3;
		return false;
	}
}

static bool tail_ends(const struct line_state *ls, const char *w)
{
	size_t l = strlen(w), n = ls->tail_len;

	while (n && ls->tail[n - 1] == ' ')
		n--;
	return n >= l && !strncasecmp(ls->tail + n - l, w, l);
}

static void telnet_server(struct line_state *ls, const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = d[i];

		if (!telnet_data_byte(&ls->iac[1], c) || c < 0x20 || c >= 0x7f) {
			if (c == '\n' || c == '\r')
				ls->tail_len = 0;
			continue;
		}
		if (ls->tail_len + 1u >= sizeof(ls->tail)) {
			memmove(ls->tail, ls->tail + 1, ls->tail_len - 1u);
			ls->tail_len--;
		}
		ls->tail[ls->tail_len++] = (char)c;
		if (tail_ends(ls, "login:") || tail_ends(ls, "username:") || tail_ends(ls, "user:"))
			ls->expect = E_TEL_USER;
		else if (tail_ends(ls, "password:") || tail_ends(ls, "passcode:"))
			ls->expect = E_TEL_PASS;
	}
}

static void telnet_client(struct mdr_applayer *a, struct app_flow *af, const uint8_t *d,
			  uint32_t n)
{
	struct line_state *ls = &af->u.line;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = d[i];

		if (!telnet_data_byte(&ls->iac[0], c) || c == 0)
			continue;
		if (c == '\r' || c == '\n') {
			if (ls->expect == E_TEL_USER && ls->len)
				app_set_cred(a, af, "telnet", ls->line, ls->len, false);
			else if (ls->expect == E_TEL_PASS && ls->len)
				app_set_cred(a, af, "telnet", NULL, 0, true);
			if (ls->len)
				ls->expect = E_NONE;
			memset(ls->line, 0, sizeof(ls->line));
			ls->len = 0;
		} else if (c == 0x7f || c == 0x08) {
			if (ls->len)
				ls->len--;
		} else if (ls->expect == E_TEL_USER && ls->len + 1u < sizeof(ls->line)) {
			ls->line[ls->len++] = (char)c;
		} else if (ls->expect == E_TEL_PASS && ls->len < 255) {
			ls->len++;      /* counted, never stored */
		}
	}
}

uint32_t cred_data(struct mdr_applayer *a, struct app_flow *af, int dir,
		   const uint8_t *d, uint32_t n)
{
	if (af->proto == AP_TELNET) {
		if (dir)
			telnet_server(&af->u.line, d, n);
		else
			telnet_client(a, af, d, n);
		return n;
	}
	if (dir == 1)
		return n;       /* server replies carry nothing we keep */
	return lines(a, af, d, n);
}
