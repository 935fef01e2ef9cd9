/*
 * query_lex.c - tokens of the query language.
 *
 * Words are runs of characters other than blanks, parentheses, quotes and
 * the operator characters < > ! & | =, so IPs, CIDRs, globs, dates and
 * relative times are single words. '=' continues a word that already
 * holds a ':' (base64 padding of a community id, "1:...="), so
 * `community_id 1:Lx3...=` needs no quotes while `bytes=10` still splits.
 * Strings are "..." or '...' with backslash escapes. && || ! are and/or/not.
 * Every token remembers its 1-based column for error messages.
 */
#include "query_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
	const char *s;
	size_t pos;
	struct mdr_tok *toks;
	size_t n, cap;
	char *err;
	size_t errlen;
};

static int push(struct lexer *lx, enum mdr_tok_kind kind, size_t start, const char *text,
		size_t len)
{
	struct mdr_tok *t;

	if (lx->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 16;
		struct mdr_tok *nt = realloc(lx->toks, cap * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		lx->toks = nt;
		lx->cap = cap;
	}
	t = &lx->toks[lx->n];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->col = (int)start + 1;
	t->text = strndup(text, len);
	if (!t->text)
		return -ENOMEM;
	lx->n++;
	return 0;
}

static bool word_char(const char *w, size_t len, char c)
{
	if (c == '=')
		return memchr(w, ':', len) != NULL;
	return c && !strchr(" \t\r\n()\"'<>!&|=", c);
}

static int lex_string(struct lexer *lx)
{
	size_t start = lx->pos;
	char q = lx->s[lx->pos++], *buf;
	size_t n = 0;
	int rc;

	buf = malloc(strlen(lx->s + start) + 1);
	if (!buf)
		return -ENOMEM;
	while (lx->s[lx->pos] && lx->s[lx->pos] != q) {
		if (lx->s[lx->pos] == '\\' && lx->s[lx->pos + 1])
			lx->pos++;
		buf[n++] = lx->s[lx->pos++];
	}
	if (!lx->s[lx->pos]) {
		free(buf);
		snprintf(lx->err, lx->errlen, "column %zu: unterminated string (missing %c)",
			 start + 1, q);
		return -EINVAL;
	}
	lx->pos++;
	rc = push(lx, MDR_TOK_STRING, start, buf, n);
	free(buf);
	return rc;
}

static int lex_op(struct lexer *lx)
{
	static const struct { const char *s; enum mdr_tok_kind k; enum mdr_qop op; } ops[] = {
		{ "==", MDR_TOK_OP, MDR_OP_EQ }, { "!=", MDR_TOK_OP, MDR_OP_NE },
		{ "<=", MDR_TOK_OP, MDR_OP_LE }, { ">=", MDR_TOK_OP, MDR_OP_GE },
		{ "&&", MDR_TOK_AND, 0 }, { "||", MDR_TOK_OR, 0 },
		{ "=", MDR_TOK_OP, MDR_OP_EQ }, { "<", MDR_TOK_OP, MDR_OP_LT },
		{ ">", MDR_TOK_OP, MDR_OP_GT }, { "!", MDR_TOK_NOT, 0 },
	};
	const char *p = lx->s + lx->pos;

	for (size_t i = 0; i < MDR_ARRAY_SIZE(ops); i++) {
		size_t len = strlen(ops[i].s);

		if (strncmp(p, ops[i].s, len) == 0) {
			int rc = push(lx, ops[i].k, lx->pos, p, len);

			if (rc == 0)
				lx->toks[lx->n - 1].op = ops[i].op;
			lx->pos += len;
			return rc;
		}
	}
	snprintf(lx->err, lx->errlen, "column %zu: unexpected character '%c'", lx->pos + 1, *p);
	return -EINVAL;
}

static int lex_one(struct lexer *lx)
{
	char c = lx->s[lx->pos];
	size_t start = lx->pos;

	if (c == '(' || c == ')') {
		lx->pos++;
		return push(lx, c == '(' ? MDR_TOK_LPAREN : MDR_TOK_RPAREN, start, &c, 1);
	}
	if (c == '"' || c == '\'')
		return lex_string(lx);
	if (strchr("<>!&|=", c))
		return lex_op(lx);
	while (word_char(lx->s + start, lx->pos - start, lx->s[lx->pos]))
		lx->pos++;
	return push(lx, MDR_TOK_WORD, start, lx->s + start, lx->pos - start);
}

int mdr_qlex(const char *text, struct mdr_tok **toks, size_t *n, char *err, size_t errlen)
{
	struct lexer lx = { .s = text, .err = err, .errlen = errlen };
	int rc = 0;

	while (rc == 0) {
		while (lx.s[lx.pos] == ' ' || lx.s[lx.pos] == '\t' || lx.s[lx.pos] == '\n' ||
		       lx.s[lx.pos] == '\r')
			lx.pos++;
		if (!lx.s[lx.pos])
			break;
		if ((unsigned char)lx.s[lx.pos] < 0x20) {
			snprintf(err, errlen, "column %zu: unexpected control character", lx.pos + 1);
			rc = -EINVAL;
			break;
		}
		rc = lex_one(&lx);
	}
	if (rc == 0)
		rc = push(&lx, MDR_TOK_END, lx.pos, "", 0);
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		mdr_qlex_free(lx.toks, lx.n);
		return rc;
	}
	*toks = lx.toks;
	*n = lx.n;
	return 0;
}

void mdr_qlex_free(struct mdr_tok *toks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(toks[i].text);
	free(toks);
}
