#include "textparse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/parse.h"

enum state {
	S_END,
	S_START_OF_LINE,
	S_START_COMMENT,
	S_METRIC_NAME,
	S_LABELS,
	S_START_LABEL_NAME,
	S_START_LABEL_VALUE,
	S_VALUE,
	S_TIMESTAMP,
	S_HELP,
	S_TYPE,
};

static void perr(struct text_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct text_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char m[200];
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	strf(p->msg, sizeof p->msg, "text format parsing error in line %u: %s", p->line, m);
	p->err = TEXT_ERR;
}

static void nomem(struct text_parser *p)
{
	strf(p->msg, sizeof p->msg, "out of memory");
	p->err = TEXT_ERR;
}

static void rd(struct text_parser *p)
{
	if (p->pos < p->len) {
		p->cur = (unsigned char)p->buf[p->pos++];
	} else {
		p->cur = 0;
		p->err = TEXT_EOF;
	}
}

static bool blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static void skip_blank(struct text_parser *p)
{
	do
		rd(p);
	while (!p->err && blank(p->cur));
}

static void skip_blank_if_blank(struct text_parser *p)
{
	if (blank(p->cur))
		skip_blank(p);
}

static void tok_reset(struct text_parser *p)
{
	buf_reset(&p->tok);
	if (buf_reserve(&p->tok, 1) == 0)
		p->tok.data[0] = '\0';
}

static void tok_put(struct text_parser *p, unsigned char c)
{
	struct buf *t = &p->tok;
	/* Byte by byte is the parser's hot path: skip buf_putc while there is room. */
	if (t->len + 1 < t->cap && t->len < t->max) {
		t->data[t->len++] = (char)c;
		t->data[t->len] = '\0';
		return;
	}
	if (buf_putc(t, (char)c) < 0)
		nomem(p);
}

/* The token as a C string, or NULL if it holds a NUL byte. */
static const char *tok_str(const struct text_parser *p)
{
	if (!p->tok.data)
		return "";
	return strlen(p->tok.data) == p->tok.len ? p->tok.data : NULL;
}

static void read_until_ws(struct text_parser *p)
{
	tok_reset(p);
	while (!p->err && !blank(p->cur) && p->cur != '\n') {
		tok_put(p, p->cur);
		rd(p);
	}
}

/* The byte after a backslash: \\, \" or \n; anything else is a parse error. */
static bool put_escaped(struct text_parser *p)
{
	if (p->cur == '"' || p->cur == '\\')
		tok_put(p, p->cur);
	else if (p->cur == 'n')
		tok_put(p, '\n');
	else
		perr(p, "invalid escape sequence '\\%c'", p->cur);
	return !p->err;
}

static void read_until_nl(struct text_parser *p, bool escapes)
{
	tok_reset(p);
	bool escaped = false;
	while (!p->err) {
		if (escapes && escaped) {
			if (!put_escaped(p))
				return;
			escaped = false;
		} else if (p->cur == '\n') {
			return;
		} else if (p->cur == '\\') {
			escaped = true;
		} else {
			tok_put(p, p->cur);
		}
		rd(p);
	}
}

static bool name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '"';
}

/* Continuation of a name; inside quotes any byte continues it. */
static bool label_cont(unsigned char c, bool quoted)
{
	return name_start(c) || (c >= '0' && c <= '9') || quoted;
}

/* A (possibly quoted) metric or label name; metric names may also hold ':'. */
static void read_name(struct text_parser *p, bool metric)
{
	tok_reset(p);
	bool quoted = false, escaped = false;
	if (!name_start(p->cur) && !(metric && p->cur == ':'))
		return;
	while (!p->err) {
		if (escaped) {
			if (!put_escaped(p))
				return;
			escaped = false;
		} else if (p->cur == '"') {
			quoted = !quoted;
			if (!quoted) {
				rd(p);
				return;
			}
		} else if (p->cur == '\n') {
			return perr(p, "%s name contains unescaped new-line", metric ? "metric" : "label");
		} else if (p->cur == '\\') {
			escaped = true;
		} else {
			tok_put(p, p->cur);
		}
		rd(p);
		bool cont = label_cont(p->cur, quoted) || (metric && p->cur == ':');
		if (!cont || (!quoted && p->cur == (metric ? ' ' : '=')))
			return;
	}
}

static void read_label_value(struct text_parser *p)
{
	tok_reset(p);
	bool escaped = false;
	for (;;) {
		rd(p);
		if (p->err)
			return;
		if (escaped) {
			if (!put_escaped(p))
				return;
			escaped = false;
			continue;
		}
		if (p->cur == '"')
			return;
		if (p->cur == '\n')
			return perr(p, "label value contains unescaped new-line");
		if (p->cur == '\\')
			escaped = true;
		else
			tok_put(p, p->cur);
	}
}

static bool legacy_metric_name(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
		      (i && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static bool legacy_label_name(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (i && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static int type_of(const struct text_family *f)
{
	return f && f->type != TEXT_UNSET ? f->type : TEXT_COUNTER;
}

static bool is_dist(int t)
{
	return t == TEXT_SUMMARY || t == TEXT_HISTOGRAM || t == TEXT_GAUGE_HISTOGRAM;
}

static bool is_hist(int t)
{
	return t == TEXT_HISTOGRAM || t == TEXT_GAUGE_HISTOGRAM;
}

static struct text_family *find_family(struct text_parser *p, const char *name, size_t n)
{
	return hashtab_get_n(&p->families, name, n, hash_bytes(name, n));
}

static void set_family_slow(struct text_parser *p, const char *name, size_t n);

/* setOrCreateCurrentMF: the family of the name in the token, creating it if new. */
static void set_family(struct text_parser *p)
{
	p->sum_count = p->sum_sum = p->hist_count = p->hist_sum = false;
	const char *name = p->tok.data ? p->tok.data : "";
	size_t n = p->tok.len;
	if (p->cache_mf && n == p->cache_len && !memcmp(name, p->cache_name, n)) {
		p->mf = p->cache_mf;
		p->sum_count = p->cache_flags[0], p->sum_sum = p->cache_flags[1];
		p->hist_count = p->cache_flags[2], p->hist_sum = p->cache_flags[3];
		return;
	}
	p->cache_mf = NULL;
	set_family_slow(p, name, n);
	if (!p->err && p->mf && n < sizeof p->cache_name) {
		memcpy(p->cache_name, name, n);
		p->cache_len = n;
		p->cache_mf = p->mf;
		p->cache_flags[0] = p->sum_count, p->cache_flags[1] = p->sum_sum;
		p->cache_flags[2] = p->hist_count, p->cache_flags[3] = p->hist_sum;
	}
}

static void set_family_slow(struct text_parser *p, const char *name, size_t n)
{
	if (!legacy_metric_name(name, n))
		return perr(p, "invalid metric name \"%.*s\"", (int)(n > 100 ? 100 : n), name);
	if ((p->mf = find_family(p, name, n)))
		return;
	bool count = n > 6 && !memcmp(name + n - 6, "_count", 6);
	bool sum = n > 4 && !memcmp(name + n - 4, "_sum", 4);
	bool bucket = n > 7 && !memcmp(name + n - 7, "_bucket", 7);
	struct text_family *base;
	if ((count || sum) && (base = find_family(p, name, n - (count ? 6 : 4))) &&
	    type_of(base) == TEXT_SUMMARY) {
		p->mf = base;
		p->sum_count = count, p->sum_sum = sum;
		return;
	}
	if ((count || sum || bucket) &&
	    (base = find_family(p, name, n - (count ? 6 : sum ? 4 : 7))) && is_hist(type_of(base))) {
		p->mf = base;
		p->hist_count = count, p->hist_sum = sum;
		return;
	}
	struct text_family *f = arena_alloc(p->arena, sizeof *f);
	if (!f)
		return nomem(p);
	memset(f, 0, sizeof *f);
	f->type = TEXT_UNSET;
	f->name = arena_strndup(p->arena, name, n);
	if (!f->name || hashtab_put(&p->families, f->name, hash_bytes(f->name, n), f) < 0)
		return nomem(p);
	if (p->last)
		p->last->next = f;
	else
		p->first = f;
	p->last = f;
	p->mf = f;
}

static void new_metric(struct text_parser *p)
{
	p->metric = arena_alloc(p->arena, sizeof *p->metric);
	if (!p->metric)
		return nomem(p);
	memset(p->metric, 0, sizeof *p->metric);
}

/* Append the pending label pairs to the current metric. */
static void flush_pairs(struct text_parser *p)
{
	struct text_metric *m = p->metric;
	for (size_t i = 0; i < p->npairs; i++) {
		if (arena_grow(p->arena, (void **)&m->labels, &m->caplabels, m->nlabels,
			       sizeof *m->labels) < 0)
			return nomem(p);
		m->labels[m->nlabels++] = p->pairs[i];
	}
	p->npairs = 0;
}

/* readingLabels' reset of the summary/histogram identity. */
static void reset_dist(struct text_parser *p)
{
	if (!is_dist(type_of(p->mf)))
		return;
	p->ndlabels = 0;
	p->quantile = p->bucket = NAN;
}

static void dist_label(struct text_parser *p, const char *name, const char *value)
{
	for (size_t i = 0; i < p->ndlabels; i++)
		if (!strcmp(p->dlabels[i].name, name)) {
			p->dlabels[i].value = value;
			return;
		}
	if (arena_grow(p->arena, (void **)&p->dlabels, &p->capdlabels, p->ndlabels,
		       sizeof *p->dlabels) < 0)
		return nomem(p);
	p->dlabels[p->ndlabels++] = (struct text_label){ name, value };
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct text_label *)a)->name, ((const struct text_label *)b)->name);
}

/* Find or register the summary/histogram metric with the current labels. */
static void dist_metric(struct text_parser *p)
{
	if (p->ndlabels > 1)
		qsort(p->dlabels, p->ndlabels, sizeof *p->dlabels, cmp_label);
	buf_reset(&p->key);
	int rc = buf_puts(&p->key, p->mf->name);
	for (size_t i = 0; i < p->ndlabels && !rc; i++)
		rc = buf_printf(&p->key, "\xff%s\xfe%s", p->dlabels[i].name, p->dlabels[i].value);
	if (rc)
		return nomem(p);
	uint64_t h = hash_bytes(p->key.data, p->key.len);
	struct text_metric *m = hashtab_get(&p->dists, p->key.data, h);
	if (m) {
		p->metric = m;
		return;
	}
	char *key = arena_strndup(p->arena, p->key.data, p->key.len);
	if (!key || hashtab_put(&p->dists, key, h, p->metric) < 0)
		return nomem(p);
	struct text_family *f = p->mf;
	if (arena_grow(p->arena, (void **)&f->metrics, &f->capmetrics, f->nmetrics,
		       sizeof *f->metrics) < 0)
		return nomem(p);
	f->metrics[f->nmetrics++] = p->metric;
}

/* Go's strconv.ParseFloat as the text parser calls it (no hex, no '_', no signed NaN). */
static int parse_go_float(const char *s, double *v)
{
	if (!s)
		return -1;
	if ((s[0] == '+' || s[0] == '-') && strcasecmp(s + 1, "nan") == 0)
		return -1;
	return parse_double(s, v);
}

/* Go's uint64(float64) on amd64, for summary counts (no range checks upstream). */
static uint64_t go_f64_to_u64(double v)
{
	if (v < 9223372036854775808.0) {
		if (v > -9223372036854775808.0)
			return (uint64_t)(int64_t)v;
		return 0x8000000000000000ull;
	}
	double y = v - 9223372036854775808.0;
	if (y < 9223372036854775808.0)
		return (uint64_t)(int64_t)y | 0x8000000000000000ull;
	return 0x8000000000000000ull;
}

static void add_point(struct text_parser *p, double bound, double value)
{
	struct text_metric *m = p->metric;
	if (arena_grow(p->arena, (void **)&m->pts, &m->cappts, m->npts, sizeof *m->pts) < 0)
		return nomem(p);
	m->pts[m->npts] = (struct text_point){ bound, value, m->npts };
	m->npts++;
}

/*
 * A histogram count (what: "count" or "bucket population", for the message):
 * an integer, or a float that zeroes the histogram's counts (as upstream).
 */
static bool hist_count_value(struct text_parser *p, const char *what, double v, uint64_t *out)
{
	if (v >= 0 && v < 18446744073709551616.0 && v == floor(v)) {
		*out = (uint64_t)v;
		return true;
	}
	if (v < 0) {
		perr(p, "negative %s for histogram \"%s\"", what, p->mf->name);
		return false;
	}
	p->metric->float_counts = true;
	*out = 0;
	return true;
}

static enum state st_start_of_line(struct text_parser *p)
{
	p->line++;
	p->in_braces = p->in_braces_present = false;
	skip_blank(p);
	if (p->err) {
		if (p->err == TEXT_EOF)
			p->err = TEXT_OK;
		return S_END;
	}
	switch (p->cur) {
	case '#':
		return S_START_COMMENT;
	case '\n':
		return S_START_OF_LINE;
	case '{':
		p->in_braces = true;
		return S_START_LABEL_NAME;
	}
	return S_METRIC_NAME;
}

static enum state st_start_comment(struct text_parser *p)
{
	skip_blank(p);
	if (p->err)
		return S_END;
	if (p->cur == '\n')
		return S_START_OF_LINE;
	read_until_ws(p);
	if (p->err)
		return S_END;
	if (p->cur == '\n')
		return S_START_OF_LINE;
	const char *kw = tok_str(p);
	bool help = kw && !strcmp(kw, "HELP"), type = kw && !strcmp(kw, "TYPE");
	if (!help && !type) {
		while (p->cur != '\n') {
			rd(p);
			if (p->err)
				return S_END;
		}
		return S_START_OF_LINE;
	}
	skip_blank(p);
	if (p->err)
		return S_END;
	read_name(p, true);
	if (p->err)
		return S_END;
	if (p->cur == '\n')
		return S_START_OF_LINE;
	if (!blank(p->cur)) {
		perr(p, "invalid metric name in comment");
		return S_END;
	}
	set_family(p);
	if (p->err)
		return S_END;
	skip_blank(p);
	if (p->err)
		return S_END;
	if (p->cur == '\n')
		return S_START_OF_LINE;
	return help ? S_HELP : S_TYPE;
}

/* A sample line's metric: its family (a name seen first here is untyped), a new metric. */
static bool start_metric(struct text_parser *p)
{
	set_family(p);
	if (p->err)
		return false;
	if (p->mf->type == TEXT_UNSET)
		p->mf->type = TEXT_UNTYPED;
	new_metric(p);
	return !p->err;
}

static enum state st_metric_name(struct text_parser *p)
{
	read_name(p, true);
	if (p->err)
		return S_END;
	if (p->tok.len == 0) {
		perr(p, "invalid metric name");
		return S_END;
	}
	if (!start_metric(p))
		return S_END;
	skip_blank_if_blank(p);
	if (p->err)
		return S_END;
	return S_LABELS;
}

static enum state st_labels(struct text_parser *p)
{
	reset_dist(p);
	return p->cur == '{' ? S_START_LABEL_NAME : S_VALUE;
}

/* The metric name given as the first item inside braces: {"name", ...} or {name}. */
static enum state name_in_braces(struct text_parser *p)
{
	if (p->in_braces_present) {
		perr(p, "multiple metric names for metric \"%s\"", p->mf ? p->mf->name : "");
		return S_END;
	}
	if (p->cur != ',' && p->cur != '}') {
		perr(p, "unexpected end of metric name '%c'", p->cur);
		return S_END;
	}
	if (!start_metric(p))
		return S_END;
	p->in_braces_present = true;
	reset_dist(p);
	if (p->cur == ',')
		return S_START_LABEL_NAME;
	flush_pairs(p);
	skip_blank(p);
	return p->err ? S_END : S_VALUE;
}

static enum state st_start_label_name(struct text_parser *p)
{
	skip_blank(p);
	if (p->err)
		return S_END;
	if (p->cur == '}') {
		if (!p->mf || (p->in_braces && !p->in_braces_present)) {
			perr(p, "invalid metric name");
			return S_END;
		}
		flush_pairs(p);
		skip_blank(p);
		return p->err ? S_END : S_VALUE;
	}
	read_name(p, false);
	if (p->err)
		return S_END;
	if (p->tok.len == 0) {
		perr(p, "invalid label name for metric \"%s\"", p->mf ? p->mf->name : "");
		return S_END;
	}
	skip_blank_if_blank(p);
	if (p->err)
		return S_END;
	if (p->cur != '=') {
		if (p->in_braces)
			return name_in_braces(p);
		perr(p, "expected '=' after label name, found '%c'", p->cur);
		return S_END;
	}
	/*
	 * Upstream accepts labels before the name inside braces but then applies
	 * them to the previous line's metric: refuse instead.
	 */
	if (p->in_braces && !p->in_braces_present) {
		perr(p, "the metric name must come first inside braces");
		return S_END;
	}
	const char *name = p->tok.data;
	size_t n = p->tok.len;
	if (n == 8 && !memcmp(name, "__name__", 8)) {
		perr(p, "label name \"__name__\" is reserved");
		return S_END;
	}
	if (!legacy_label_name(name, n)) {
		perr(p, "invalid label name \"%.*s\"", (int)(n > 100 ? 100 : n), name);
		return S_END;
	}
	p->pair_name = arena_strndup(p->arena, name, n);
	if (!p->pair_name) {
		nomem(p);
		return S_END;
	}
	int t = type_of(p->mf);
	bool special = (t == TEXT_SUMMARY && !strcmp(p->pair_name, "quantile")) ||
		       (is_hist(t) && !strcmp(p->pair_name, "le"));
	p->pair_idx = -1;
	if (!special) {
		for (size_t i = 0; i < p->npairs; i++)
			if (!strcmp(p->pairs[i].name, p->pair_name)) {
				perr(p, "duplicate label names for metric \"%s\"", p->mf->name);
				return S_END;
			}
		if (p->npairs == p->cappairs) {
			size_t cap = p->cappairs ? p->cappairs * 2 : 16;
			struct text_label *np = realloc(p->pairs, cap * sizeof *np);
			if (!np) {
				nomem(p);
				return S_END;
			}
			p->pairs = np;
			p->cappairs = cap;
		}
		p->pair_idx = (long)p->npairs;
		p->pairs[p->npairs++] = (struct text_label){ p->pair_name, "" };
	}
	return S_START_LABEL_VALUE;
}

/*
 * A label of a summary or histogram line: its bound label (quantile, le)
 * sets *bound, any other one joins the series' identity.
 */
static void dist_pair(struct text_parser *p, const char *bound_label, double *bound,
		      const char *value)
{
	if (strcmp(p->pair_name, bound_label) != 0)
		dist_label(p, p->pair_name, value);
	else if (parse_go_float(value, bound) < 0)
		perr(p, "expected float as value for '%s' label, got \"%s\"", bound_label, value);
}

static enum state st_start_label_value(struct text_parser *p)
{
	skip_blank(p);
	if (p->err)
		return S_END;
	if (p->cur != '"') {
		perr(p, "expected '\"' at start of label value, found '%c'", p->cur);
		return S_END;
	}
	read_label_value(p);
	if (p->err)
		return S_END;
	const char *raw = p->tok.data ? p->tok.data : "";
	if (!valid_utf8(raw, p->tok.len)) {
		perr(p, "invalid label value");
		return S_END;
	}
	if (!tok_str(p)) {
		perr(p, "label value with a NUL byte"); /* valid upstream, not representable here */
		return S_END;
	}
	const char *value = arena_strndup(p->arena, raw, p->tok.len);
	if (!value) {
		nomem(p);
		return S_END;
	}
	if (p->pair_idx >= 0)
		p->pairs[p->pair_idx].value = value;
	int t = type_of(p->mf);
	if (t == TEXT_SUMMARY)
		dist_pair(p, "quantile", &p->quantile, value);
	if (is_hist(t))
		dist_pair(p, "le", &p->bucket, value);
	if (p->err)
		return S_END;
	skip_blank(p);
	if (p->err)
		return S_END;
	if (p->cur == ',')
		return S_START_LABEL_NAME;
	if (p->cur == '}') {
		flush_pairs(p);
		skip_blank(p);
		return p->err ? S_END : S_VALUE;
	}
	perr(p, "unexpected end of label value \"%s\"", value);
	return S_END;
}

static enum state st_value(struct text_parser *p)
{
	struct text_family *f = p->mf;
	int t = type_of(f);
	if (is_dist(t)) {
		dist_metric(p);
	} else {
		if (arena_grow(p->arena, (void **)&f->metrics, &f->capmetrics, f->nmetrics,
			       sizeof *f->metrics) < 0)
			nomem(p);
		else
			f->metrics[f->nmetrics++] = p->metric;
	}
	if (p->err)
		return S_END;
	read_until_ws(p);
	if (p->err)
		return S_END;
	double v;
	if (parse_go_float(tok_str(p), &v) < 0) {
		perr(p, "expected float as value, got \"%.40s\"", p->tok.data ? p->tok.data : "");
		return S_END;
	}
	struct text_metric *m = p->metric;
	switch (t) {
	case TEXT_COUNTER:
	case TEXT_GAUGE:
	case TEXT_UNTYPED:
		m->value = v;
		break;
	case TEXT_SUMMARY:
		if (p->sum_count)
			m->count = go_f64_to_u64(v);
		else if (p->sum_sum)
			m->sum = v;
		else if (!isnan(p->quantile))
			add_point(p, p->quantile, v);
		break;
	default: /* histograms */
		if (p->hist_count) {
			if (!hist_count_value(p, "count", v, &m->count))
				return S_END;
		} else if (p->hist_sum) {
			m->sum = v;
		} else if (!isnan(p->bucket)) {
			uint64_t c;
			if (!hist_count_value(p, "bucket population", v, &c))
				return S_END;
			add_point(p, p->bucket, (double)c);
		}
		break;
	}
	if (p->err)
		return S_END;
	return p->cur == '\n' ? S_START_OF_LINE : S_TIMESTAMP;
}

static enum state st_timestamp(struct text_parser *p)
{
	skip_blank(p);
	if (p->err)
		return S_END;
	read_until_ws(p);
	if (p->err)
		return S_END;
	const char *s = tok_str(p);
	int64_t ts;
	if (!s || parse_i64(s, &ts) < 0) {
		perr(p, "expected integer as timestamp, got \"%.40s\"", p->tok.data ? p->tok.data : "");
		return S_END;
	}
	p->timestamps = true;
	read_until_nl(p, false);
	if (p->err)
		return S_END;
	if (p->tok.len) {
		perr(p, "spurious string after timestamp");
		return S_END;
	}
	return S_START_OF_LINE;
}

static enum state st_help(struct text_parser *p)
{
	if (p->mf->help) {
		perr(p, "second HELP line for metric name \"%s\"", p->mf->name);
		return S_END;
	}
	read_until_nl(p, true);
	if (p->err)
		return S_END;
	if (!tok_str(p)) {
		perr(p, "HELP with a NUL byte"); /* valid upstream, not representable here */
		return S_END;
	}
	p->mf->help = arena_strndup(p->arena, p->tok.data ? p->tok.data : "", p->tok.len);
	if (!p->mf->help)
		nomem(p);
	return p->err ? S_END : S_START_OF_LINE;
}

static enum state st_type(struct text_parser *p)
{
	if (p->mf->type != TEXT_UNSET) {
		perr(p, "second TYPE line for metric name \"%s\", or TYPE reported after samples",
		     p->mf->name);
		return S_END;
	}
	read_until_nl(p, false);
	if (p->err)
		return S_END;
	static const char *const names[] = { "COUNTER", "GAUGE", "SUMMARY", "UNTYPED", "HISTOGRAM",
					     "GAUGE_HISTOGRAM" };
	const char *s = tok_str(p);
	for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(s, names[i])) {
			p->mf->type = (int)i;
			return S_START_OF_LINE;
		}
	if (s && !strcasecmp(s, "GAUGEHISTOGRAM")) {
		p->mf->type = TEXT_GAUGE_HISTOGRAM;
		return S_START_OF_LINE;
	}
	perr(p, "unknown metric type \"%.40s\"", p->tok.data ? p->tok.data : "");
	return S_END;
}

struct text_family *text_parse(struct text_parser *p, const char *text, size_t len,
			       const char *file)
{
	p->buf = text;
	p->len = len;
	p->pos = 0;
	p->cur = 0;
	p->err = TEXT_OK;
	p->line = 0;
	p->msg[0] = '\0';
	p->first = p->last = p->mf = NULL;
	p->metric = NULL;
	p->npairs = p->ndlabels = 0;
	p->timestamps = false;
	p->cache_mf = NULL;
	hashtab_clear(&p->families);
	hashtab_clear(&p->dists);

	enum state st = S_START_OF_LINE;
	while (st != S_END) {
		switch (st) {
		case S_START_OF_LINE: st = st_start_of_line(p); break;
		case S_START_COMMENT: st = st_start_comment(p); break;
		case S_METRIC_NAME: st = st_metric_name(p); break;
		case S_LABELS: st = st_labels(p); break;
		case S_START_LABEL_NAME: st = st_start_label_name(p); break;
		case S_START_LABEL_VALUE: st = st_start_label_value(p); break;
		case S_VALUE: st = st_value(p); break;
		case S_TIMESTAMP: st = st_timestamp(p); break;
		case S_HELP: st = st_help(p); break;
		case S_TYPE: st = st_type(p); break;
		case S_END: break;
		}
	}
	if (p->err == TEXT_EOF)
		perr(p, "unexpected end of input stream");
	if (p->err)
		return NULL;
	if (p->timestamps) {
		strf(p->msg, sizeof p->msg,
			 "textfile contains unsupported client-side timestamps, skipping entire file");
		p->err = TEXT_ERR;
		return NULL;
	}

	/* Drop families without samples; check what the exposition cannot carry. */
	struct text_family *head = NULL, **tail = &head;
	for (struct text_family *f = p->first; f; f = f->next) {
		if (!f->nmetrics)
			continue;
		if (f->type == TEXT_GAUGE_HISTOGRAM) {
			strf(p->msg, sizeof p->msg, "gauge histogram %s is not supported", f->name);
			p->err = TEXT_ERR;
			return NULL;
		}
		for (size_t i = 0; i < f->nmetrics; i++)
			for (size_t k = 0; k < f->metrics[i]->nlabels; k++)
				if (!strncmp(f->metrics[i]->labels[k].name, "__", 2)) {
					strf(p->msg, sizeof p->msg,
						 "label name %s of %s is reserved (starts with __)",
						 f->metrics[i]->labels[k].name, f->name);
					p->err = TEXT_ERR;
					return NULL;
				}
		f->file = file;
		*tail = f;
		tail = &f->next;
	}
	*tail = NULL;
	return head;
}

void text_parser_init(struct text_parser *p, struct arena *a, struct buf tok, size_t max)
{
	*p = (struct text_parser){ .arena = a, .tok = tok };
	buf_init(&p->key, max);
}

struct buf text_parser_done(struct text_parser *p)
{
	hashtab_free(&p->families);
	hashtab_free(&p->dists);
	free(p->pairs);
	buf_free(&p->key);
	struct buf tok = p->tok;
	*p = (struct text_parser){ 0 };
	return tok;
}
