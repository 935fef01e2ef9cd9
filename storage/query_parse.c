/*
 * query_parse.c - recursive-descent parser of the query language.
 *
 *   query    := item*                   (at most one filter expression)
 *   item     := filter | modifier
 *   filter   := and ( ('or' | '||') and )*
 *   and      := unary ( ('and' | '&&') unary )*
 *   unary    := ('not' | '!') unary | '(' filter ')' | FIELD [OP] VALUE
 *   modifier := 'since' TIME | 'until' TIME | 'last' DURATION
 *             | 'between' TIME 'and' TIME | 'limit' N
 *             | 'sort' KEY ['asc' | 'desc'] | 'count' 'by' FIELD
 *             | 'top' N FIELD ['by' ('flows' | 'bytes' | 'packets')]
 *
 * OP is = == != < <= > >= (default =). Keywords are case-insensitive.
 * Every error names the 1-based column of the token at fault and what
 * was expected there.
 */
#include "query_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_DEPTH 64

struct parser {
	struct mdr_tok *t;
	size_t n, i;
	struct mdr_query *q;
	char *err;
	size_t errlen;
	int depth;
	bool have_filter;
};

static struct mdr_tok *cur(struct parser *p)
{
	return &p->t[p->i];
}

static struct mdr_tok *next(struct parser *p)
{
	struct mdr_tok *t = &p->t[p->i];

	if (t->kind != MDR_TOK_END)
		p->i++;
	return t;
}

static bool is_kw(const struct mdr_tok *t, const char *kw)
{
	return t->kind == MDR_TOK_WORD && strcasecmp(t->text, kw) == 0;
}

static bool is_and(const struct mdr_tok *t)
{
	return t->kind == MDR_TOK_AND || is_kw(t, "and");
}

static bool is_or(const struct mdr_tok *t)
{
	return t->kind == MDR_TOK_OR || is_kw(t, "or");
}

static bool is_not(const struct mdr_tok *t)
{
	return t->kind == MDR_TOK_NOT || is_kw(t, "not");
}

static bool is_modifier(const struct mdr_tok *t)
{
	static const char *kw[] = { "since", "until", "last", "between", "limit", "sort",
				    "count", "top" };

	for (size_t i = 0; i < MDR_ARRAY_SIZE(kw); i++)
		if (is_kw(t, kw[i]))
			return true;
	return false;
}

/* "'foo'" or "end of query" */
static const char *desc(const struct mdr_tok *t, char *buf, size_t len)
{
	if (t->kind == MDR_TOK_END)
		return "end of query";
	snprintf(buf, len, t->kind == MDR_TOK_STRING ? "\"%.60s\"" : "'%.60s'", t->text);
	return buf;
}

__attribute__((format(printf, 3, 4)))
static int perr(struct parser *p, const struct mdr_tok *t, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "column %d: ", t->col);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static struct mdr_qnode *node_new(enum mdr_qnode_kind kind)
{
	struct mdr_qnode *n = calloc(1, sizeof(*n));

	if (n)
		n->kind = kind;
	return n;
}

static int node_add(struct mdr_qnode *n, struct mdr_qnode *kid)
{
	struct mdr_qnode **k = realloc(n->kids, (n->nkids + 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	n->kids = k;
	n->kids[n->nkids++] = kid;
	return 0;
}

/* a OP b, flattening a when it is already an OP node. */
static int combine(struct mdr_qnode **a, struct mdr_qnode *b, enum mdr_qnode_kind kind)
{
	struct mdr_qnode *n = *a;

	if (n->kind != kind) {
		n = node_new(kind);
		if (!n || node_add(n, *a) < 0) {
			free(n);
			return -ENOMEM;
		}
		*a = n;
	}
	return node_add(n, b);
}

/* ---- predicates ---- */

static const char *kind_expect(const struct mdr_qfield_def *f)
{
	switch (f->kind) {
	case MDR_QK_IP: return "an IP address or CIDR";
	case MDR_QK_PORT: return "a port number (0-65535)";
	case MDR_QK_PROTO: return "a protocol name (tcp, udp, icmp, ...) or number (0-255)";
	case MDR_QK_CID: return "a community id like \"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"";
	case MDR_QK_DUR: return "a duration (90, 1.5s, 200ms, 5m, 2h)";
	case MDR_QK_TEXT: return "a text or pattern";
	default: break;
	}
	if (f->id == MDR_QF_RISK)
		return "a risk number (0-63)";
	if (f->id == MDR_QF_VLAN)
		return "a VLAN id (0-4095)";
	if (f->max == UINT64_MAX)
		return "a number (suffixes k, M, G, T)";
	return "a number";
}

static int text_value(struct mdr_qpred *pr, const char *v)
{
	size_t len = strlen(v);

	pr->text = malloc(len + 1);
	if (!pr->text)
		return -ENOMEM;
	for (size_t i = 0; i <= len; i++)
		pr->text[i] = (char)tolower((unsigned char)v[i]);
	pr->match = MDR_MATCH_EXACT;
	if (strpbrk(v, "*?[")) {
		pr->match = MDR_MATCH_GLOB;
		if (v[0] == '*' && !strpbrk(v + 1, "*?[")) {
			pr->match = MDR_MATCH_SUFFIX;
			memmove(pr->text, pr->text + 1, len);
		}
	}
	return 0;
}

static int pred_value(struct mdr_qpred *pr, const char *v)
{
	const struct mdr_qfield_def *f = pr->f;
	uint8_t cid[4];

	switch (f->kind) {
	case MDR_QK_IP:
		return mdr_qparse_ip(v, &pr->ip, &pr->ipver, &pr->plen);
	case MDR_QK_PORT:
	case MDR_QK_NUM:
		return mdr_qparse_uint(v, f->max, f->max == UINT64_MAX, &pr->num);
	case MDR_QK_PROTO:
		return mdr_qparse_proto(v, &pr->num);
	case MDR_QK_DUR:
		return mdr_qparse_dur(v, &pr->num);
	case MDR_QK_CID:
		if (mdr_ix_cid(v, cid) < 0)
			return -1;
		pr->text = strdup(v);
		return pr->text ? 0 : -ENOMEM;
	case MDR_QK_TEXT:
		return text_value(pr, v);
	}
	return -1;
}

static bool op_allowed(const struct mdr_qfield_def *f, enum mdr_qop op)
{
	if (op == MDR_OP_EQ || op == MDR_OP_NE)
		return true;
	return f->kind == MDR_QK_NUM || f->kind == MDR_QK_DUR || f->kind == MDR_QK_PORT;
}

static int parse_pred(struct parser *p, struct mdr_qnode **out)
{
	struct mdr_tok *ft = next(p), *opt = NULL, *vt;
	const struct mdr_qfield_def *f = mdr_qfield_lookup(ft->text);
	struct mdr_qnode *n;
	char b[80];
	int rc;

	if (!f)
		return perr(p, ft, "unknown field '%.60s'", ft->text);
	if (cur(p)->kind == MDR_TOK_OP)
		opt = next(p);
	vt = cur(p);
	if (vt->kind != MDR_TOK_WORD && vt->kind != MDR_TOK_STRING)
		return perr(p, vt, "expected %s after '%s', got %s", kind_expect(f), ft->text,
			    desc(vt, b, sizeof(b)));
	if (opt && !op_allowed(f, opt->op))
		return perr(p, opt, "operator '%s' does not apply to '%s' (use = or !=)",
			    opt->text, ft->text);
	n = node_new(MDR_QN_PRED);
	if (!n)
		return -ENOMEM;
	n->pred.f = f;
	n->pred.op = opt ? opt->op : MDR_OP_EQ;
	n->pred.col = ft->col;
	n->pred.src = strdup(vt->text);
	rc = n->pred.src ? pred_value(&n->pred, vt->text) : -ENOMEM;
	if (rc < 0) {
		mdr_qnode_free(n);
		return rc == -ENOMEM ? rc : perr(p, vt, "expected %s after '%s', got %s",
						 kind_expect(f), ft->text, desc(vt, b, sizeof(b)));
	}
	next(p);
	*out = n;
	return 0;
}

/* ---- expressions ---- */

static int parse_or(struct parser *p, struct mdr_qnode **out);

static int parse_unary(struct parser *p, struct mdr_qnode **out)
{
	struct mdr_tok *t = cur(p);
	char b[80];
	int rc;

	if (++p->depth > MAX_DEPTH)
		return perr(p, t, "expression nested too deeply");
	if (is_not(t)) {
		struct mdr_qnode *n = node_new(MDR_QN_NOT), *kid = NULL;

		next(p);
		if (!n)
			return -ENOMEM;
		rc = parse_unary(p, &kid);
		if (rc == 0)
			rc = node_add(n, kid);
		if (rc < 0) {
			mdr_qnode_free(kid);
			mdr_qnode_free(n);
			return rc;
		}
		*out = n;
	} else if (t->kind == MDR_TOK_LPAREN) {
		next(p);
		rc = parse_or(p, out);
		if (rc < 0)
			return rc;
		if (cur(p)->kind != MDR_TOK_RPAREN) {
			mdr_qnode_free(*out);
			*out = NULL;
			return perr(p, cur(p), "expected ')' to close '(' of column %d, got %s",
				    t->col, desc(cur(p), b, sizeof(b)));
		}
		next(p);
	} else if (t->kind == MDR_TOK_WORD && !is_modifier(t) && !is_and(t) && !is_or(t)) {
		rc = parse_pred(p, out);
		if (rc < 0)
			return rc;
	} else {
		return perr(p, t, "expected a field name, 'not' or '(', got %s",
			    desc(t, b, sizeof(b)));
	}
	p->depth--;
	return 0;
}

static int parse_binary(struct parser *p, struct mdr_qnode **out, bool or)
{
	struct mdr_qnode *a = NULL, *b = NULL;
	int rc = or ? parse_binary(p, &a, false) : parse_unary(p, &a);

	while (rc == 0 && (or ? is_or(cur(p)) : is_and(cur(p))) && !is_modifier(&p->t[p->i + 1])) {
		next(p);
		b = NULL;
		rc = or ? parse_binary(p, &b, false) : parse_unary(p, &b);
		if (rc == 0)
			rc = combine(&a, b, or ? MDR_QN_OR : MDR_QN_AND);
		if (rc < 0)
			mdr_qnode_free(b);
	}
	if (rc < 0) {
		mdr_qnode_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

static int parse_or(struct parser *p, struct mdr_qnode **out)
{
	return parse_binary(p, out, true);
}

/* ---- modifiers ---- */

static int parse_time(struct parser *p, const char *after, uint64_t *out)
{
	struct mdr_tok *t = cur(p);
	char b[80];

	if ((t->kind != MDR_TOK_WORD && t->kind != MDR_TOK_STRING) ||
	    mdr_qparse_time(t->text, p->q->now_ns, out) < 0)
		return perr(p, t, "expected a time after '%s' (2024-05-14, 2024-05-14T08:00:00Z, "
			    "-24h or now), got %s", after, desc(t, b, sizeof(b)));
	next(p);
	return 0;
}

static int parse_window(struct parser *p, struct mdr_tok *kw)
{
	struct mdr_query *q = p->q;
	const char *k = kw->text;
	uint64_t a = 0, d;
	char b[80];
	int rc = 0;

	if ((q->has_from && !is_kw(kw, "until")) || (q->has_to && !is_kw(kw, "since")))
		return perr(p, kw, "the time window was already given at column %d", q->window_col);
	q->window_col = kw->col;
	if (is_kw(kw, "last")) {
		if (mdr_qparse_dur(cur(p)->text, &d) < 0 || cur(p)->kind == MDR_TOK_END)
			return perr(p, cur(p), "expected a duration after 'last' (24h, 7d), got %s",
				    desc(cur(p), b, sizeof(b)));
		next(p);
		q->has_from = true;
		q->from_ns = d < q->now_ns ? q->now_ns - d : 0;
		return 0;
	}
	if (is_kw(kw, "since") || is_kw(kw, "between"))
		rc = parse_time(p, k, &q->from_ns);
	if (rc == 0 && is_kw(kw, "between")) {
		if (!is_and(cur(p)))
			return perr(p, cur(p), "expected 'and' in 'between A and B', got %s",
				    desc(cur(p), b, sizeof(b)));
		next(p);
		a = q->from_ns;
	}
	if (rc == 0 && !is_kw(kw, "since"))
		rc = parse_time(p, is_kw(kw, "between") ? "and" : k, &q->to_ns);
	if (rc == 0 && is_kw(kw, "between") && q->to_ns < a)
		return perr(p, kw, "the window ends before it starts");
	q->has_from |= !is_kw(kw, "until");
	q->has_to |= !is_kw(kw, "since");
	return rc;
}

static int parse_count(struct parser *p, const char *after, uint64_t *out)
{
	char b[80];

	if (mdr_qparse_uint(cur(p)->text, UINT32_MAX, false, out) < 0 || *out == 0 ||
	    cur(p)->kind != MDR_TOK_WORD)
		return perr(p, cur(p), "'%s' expects a positive number, got %s", after,
			    desc(cur(p), b, sizeof(b)));
	next(p);
	return 0;
}

static int parse_group(struct parser *p, struct mdr_tok *kw)
{
	struct mdr_query *q = p->q;
	struct mdr_tok *t;
	char b[80];
	int rc = 0;

	if (q->agg)
		return perr(p, kw, "only one aggregation (count by / top) per query");
	if (is_kw(kw, "top"))
		rc = parse_count(p, "top", &q->limit);
	else if (!is_kw(cur(p), "by"))
		return perr(p, cur(p), "expected 'by' after 'count', got %s", desc(cur(p), b, sizeof(b)));
	else
		next(p);
	if (rc < 0)
		return rc;
	t = cur(p);
	q->group = t->kind == MDR_TOK_WORD ? mdr_qfield_lookup(t->text) : NULL;
	if (!q->group || !q->group->groupable)
		return perr(p, t, "expected a field to group by (ip, dst.ip, port, sni, ...), got %s",
			    desc(t, b, sizeof(b)));
	next(p);
	q->agg = is_kw(kw, "top") ? MDR_AGG_TOP : MDR_AGG_COUNT;
	q->has_limit |= q->agg == MDR_AGG_TOP;
	if (!is_kw(cur(p), "by"))
		return 0;
	next(p);
	t = cur(p);
	if (is_kw(t, "bytes"))
		q->metric = MDR_METRIC_BYTES;
	else if (is_kw(t, "packets") || is_kw(t, "pkts"))
		q->metric = MDR_METRIC_PKTS;
	else if (is_kw(t, "flows") || is_kw(t, "count"))
		q->metric = MDR_METRIC_FLOWS;
	else
		return perr(p, t, "expected flows, bytes or packets after 'by', got %s",
			    desc(t, b, sizeof(b)));
	next(p);
	return 0;
}

static int parse_sort(struct parser *p)
{
	static const struct { const char *n; enum mdr_qsort s; } keys[] = {
		{ "start", MDR_SORT_START }, { "time", MDR_SORT_START },
		{ "timestamp", MDR_SORT_START }, { "end", MDR_SORT_END },
		{ "bytes", MDR_SORT_BYTES }, { "packets", MDR_SORT_PKTS },
		{ "pkts", MDR_SORT_PKTS }, { "duration", MDR_SORT_DURATION },
	};
	struct mdr_tok *t = cur(p);
	char b[80];

	for (size_t i = 0; i < MDR_ARRAY_SIZE(keys); i++) {
		if (!is_kw(t, keys[i].n))
			continue;
		p->q->sort = keys[i].s;
		next(p);
		if (is_kw(cur(p), "asc") || is_kw(cur(p), "desc"))
			p->q->desc = is_kw(next(p), "desc");
		return 0;
	}
	return perr(p, t, "expected start, end, bytes, packets or duration after 'sort', got %s",
		    desc(t, b, sizeof(b)));
}

static int parse_modifier(struct parser *p)
{
	struct mdr_tok *kw = next(p);

	if (is_kw(kw, "limit")) {
		if (p->q->has_limit)
			return perr(p, kw, "the row limit was already given");
		p->q->has_limit = true;
		return parse_count(p, "limit", &p->q->limit);
	}
	if (is_kw(kw, "sort"))
		return parse_sort(p);
	if (is_kw(kw, "count") || is_kw(kw, "top"))
		return parse_group(p, kw);
	return parse_window(p, kw);
}

static int parse_query(struct parser *p)
{
	struct mdr_query *q = p->q;
	bool after_modifier = false;
	char b[80];
	int rc = 0;

	while (rc == 0 && cur(p)->kind != MDR_TOK_END) {
		struct mdr_tok *t = cur(p);

		if (is_and(t) && p->i > 0 && (is_modifier(&p->t[p->i + 1]) || after_modifier)) {
			next(p);        /* "ip x and since -1d", "since -1d and ip x" */
			after_modifier = false;
			continue;
		}
		after_modifier = is_modifier(t);
		if (is_modifier(t)) {
			rc = parse_modifier(p);
		} else if (p->have_filter) {
			return perr(p, t, "expected 'and', 'or', a modifier (since, limit, ...) or "
				    "the end of the query, got %s", desc(t, b, sizeof(b)));
		} else if (t->kind == MDR_TOK_RPAREN) {
			return perr(p, t, "unmatched ')'");
		} else {
			rc = parse_or(p, &q->root);
			p->have_filter = true;
			if (rc == 0 && cur(p)->kind == MDR_TOK_RPAREN)
				return perr(p, cur(p), "unmatched ')'");
		}
	}
	if (rc == 0 && q->agg && q->sort != MDR_SORT_START)
		return perr(p, cur(p), "'sort' does not apply to an aggregation (rows are "
			    "ordered by their totals)");
	return rc;
}

int mdr_query_parse_at(const char *text, uint64_t now_ns, struct mdr_query **out,
		       char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	struct mdr_query *q;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->now_ns = now_ns;
	rc = mdr_qlex(text, &p.t, &p.n, err, errlen);
	if (rc < 0) {
		free(q);
		return rc;
	}
	p.q = q;
	rc = parse_query(&p);
	mdr_qlex_free(p.t, p.n);
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		mdr_query_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

int mdr_query_parse(const char *text, struct mdr_query **q, char *err, size_t errlen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return mdr_query_parse_at(text, (uint64_t)ts.tv_sec * MDR_NSEC_PER_SEC +
				  (uint64_t)ts.tv_nsec, q, err, errlen);
}

void mdr_query_free(struct mdr_query *q)
{
	if (!q)
		return;
	mdr_qnode_free(q->root);
	free(q);
}

void mdr_query_set_default_limit(struct mdr_query *q, uint64_t limit)
{
	q->default_limit = limit;
}

uint64_t mdr_query_eff_limit(const struct mdr_query *q)
{
	return q->has_limit ? q->limit : q->default_limit;
}

uint64_t mdr_query_limit(const struct mdr_query *q)
{
	return mdr_query_eff_limit(q);
}

int mdr_query_is_aggregation(const struct mdr_query *q)
{
	return q->agg != MDR_AGG_NONE;
}

const char *mdr_query_group_name(const struct mdr_query *q)
{
	return q->agg ? q->group->name : NULL;
}

const struct mdr_query_stats *mdr_query_get_stats(const struct mdr_query *q)
{
	return &q->stats;
}
