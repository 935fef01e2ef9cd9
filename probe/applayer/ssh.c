/*
 * ssh.c - SSH banners and key exchange init: the HASSH fingerprints.
 *
 * Each side first sends "SSH-<proto>-<software> [comments]\r\n" (a server
 * may print other lines before it), then binary packets
 * [u32 length][u8 padding][payload][padding]; the first payload is
 * KEXINIT (message 20): a 16-byte cookie and ten name-lists. HASSH is the
 * MD5 of "kex;encryption;mac;compression" with the client-to-server lists
 * (client) or the server-to-client ones (HASSHServer). A side is done once
 * its KEXINIT is read: what follows is encrypted. The event (both banners
 * and both fingerprints) goes out when both sides are done, or at flow end.
 */
#include "app_int.h"

#include <stdio.h>
#include <string.h>

enum { S_BANNER = 0, S_PKT_HDR, S_PKT, S_DONE };

#define PRE_BANNER_MAX 8192
#define PKT_MAX 65536

struct names {
	const uint8_t *p[10];
	uint32_t n[10];
};

/* The ten name-lists after message byte 20 and the cookie. */
static int kexinit_lists(const uint8_t *p, uint32_t n, struct names *nl)
{
	uint32_t off = 17;

	if (n < 17 || p[0] != 20)
		return -1;
	for (int i = 0; i < 10; i++) {
		uint32_t len;

		if (n - off < 4)
			return -1;
		len = mdr_load_be32(p + off);
		off += 4;
		if (len > n - off)
			return -1;
		nl->p[i] = p + off;
		nl->n[i] = len;
		off += len;
	}
	return 0;
}

int ssh_hassh(const uint8_t *p, uint32_t n, bool server, char *hash, char *str, size_t len)
{
	struct names nl;
	int pick[4] = { 0, server ? 3 : 2, server ? 5 : 4, server ? 7 : 6 };
	size_t o = 0;

	if (kexinit_lists(p, n, &nl) != 0)
		return -1;
	str[0] = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t l = nl.n[pick[i]];

		if (o + l + 2 > len)
			return -1;
		if (i)
			str[o++] = ';';
		memcpy(str + o, nl.p[pick[i]], l);
		o += l;
		str[o] = 0;
	}
	mdr_md5_hex(str, o, hash);
	return 0;
}

static struct mdr_app_ssh *event(struct mdr_applayer *a, struct mdr_flow *f,
				 struct app_flow *af)
{
	struct ssh_state *ss = &af->u.ssh;

	if (!ss->ev && !ss->emitted)
		ss->ev = app_tx_new(a, f, af, MDR_APP_SSH);
	return ss->ev ? &ss->ev->u.ssh : NULL;
}

static void emit(struct mdr_applayer *a, struct ssh_state *ss)
{
	if (!ss->ev || ss->emitted)
		return;
	ss->emitted = 1;
	app_tx_emit(a, ss->ev);
	ss->ev = NULL;
}

static void dir_done(struct mdr_applayer *a, struct app_flow *af, int dir)
{
	struct ssh_state *ss = &af->u.ssh;

	ss->d[dir].state = S_DONE;
	af->done[dir] = 1;
	app_buf_release(a, &ss->d[dir].msg);
	if (ss->d[0].state == S_DONE && ss->d[1].state == S_DONE)
		emit(a, ss);
}

static void banner_done(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
			int dir)
{
	struct ssh_dir *sd = &af->u.ssh.d[dir];
	struct mdr_app_ssh *e = event(a, f, af);
	char *m = dir ? af->meta.ssh_server : af->meta.ssh_client;

	app_strcpy(m, sizeof(af->meta.ssh_client), sd->banner);
	if (e)
		app_strcpy(dir ? e->server : e->client, sizeof(e->client), sd->banner);
	sd->state = S_PKT_HDR;
	sd->pkt_len = 0;
}

/* Banner bytes: lines until one starts with "SSH-". */
static uint32_t banner(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af,
		       int dir, const uint8_t *d, uint32_t n)
{
	struct ssh_dir *sd = &af->u.ssh.d[dir];

	for (uint32_t i = 0; i < n; i++) {
		if (d[i] == '\n') {
			if (sd->blen >= 4 && !memcmp(sd->banner, "SSH-", 4)) {
				banner_done(a, f, af, dir);
				return i + 1;
			}
			sd->blen = 0;   /* a line before the banner */
			sd->banner[0] = 0;
			continue;
		}
		if (++sd->pkt_len > PRE_BANNER_MAX) {
			a->st.parse_errors++;
			dir_done(a, af, dir);
			return n;
		}
		if (d[i] != '\r' && sd->blen + 1u < sizeof(sd->banner)) {
			sd->banner[sd->blen++] = (d[i] >= 0x20 && d[i] < 0x7f) ? (char)d[i] : '.';
			sd->banner[sd->blen] = 0;
		}
	}
	return n;
}

static void kexinit(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir)
{
	struct ssh_dir *sd = &af->u.ssh.d[dir];
	struct mdr_app_ssh *e = event(a, f, af);
	char hash[33], str[sizeof(e->hassh_str)];

	if (sd->msg.buf && ssh_hassh(sd->msg.buf, sd->msg.len, dir == 1, hash, str,
				     sizeof(str)) == 0) {
		memcpy(dir ? af->meta.hassh_server : af->meta.hassh, hash, 33);
		if (e) {
			memcpy(dir ? e->hassh_server : e->hassh, hash, 33);
			app_strcpy(dir ? e->hassh_server_str : e->hassh_str, sizeof(str), str);
		}
	} else {
		a->st.parse_errors++;
	}
	dir_done(a, af, dir);
}

void ssh_data(struct mdr_applayer *a, struct mdr_flow *f, struct app_flow *af, int dir,
	      const uint8_t *d, uint32_t n)
{
	struct ssh_dir *sd = &af->u.ssh.d[dir];

	while (n && sd->state != S_DONE) {
		uint32_t take;

		if (sd->state == S_BANNER) {
			take = banner(a, f, af, dir, d, n);
		} else if (sd->state == S_PKT_HDR) {
			take = 5u - sd->len_got < n ? 5u - sd->len_got : n;
			memcpy(sd->len_hdr + sd->len_got, d, take);
			sd->len_got = (uint8_t)(sd->len_got + take);
			if (sd->len_got == 5) {
				sd->pkt_len = mdr_load_be32(sd->len_hdr);
				if (sd->pkt_len < 2 || sd->pkt_len > PKT_MAX) {
					a->st.parse_errors++;
					dir_done(a, af, dir);
					return;
				}
				sd->pkt_len -= 1;       /* the padding length byte is read */
				sd->state = S_PKT;
			}
		} else {
			take = sd->pkt_len - sd->msg.seen < n ? sd->pkt_len - sd->msg.seen : n;
			app_buf_append(a, &sd->msg, d, take);
			if (sd->msg.seen == sd->pkt_len)
				kexinit(a, f, af, dir);
		}
		d += take;
		n -= take;
	}
}

void ssh_end(struct mdr_applayer *a, struct app_flow *af)
{
	struct ssh_state *ss = &af->u.ssh;

	emit(a, ss);
	app_buf_release(a, &ss->d[0].msg);
	app_buf_release(a, &ss->d[1].msg);
}
