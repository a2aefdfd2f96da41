/*
 * textfile: metrics written by other programs into *.prom files, in the
 * Prometheus text format 0.0.4, re-exported with their types.
 *
 * Semantics follow upstream's collector/textfile.go and the expfmt text
 * parser it uses (legacy metric and label names):
 * - --collector.textfile.directory is repeatable; each value may be a glob
 *   (Go's filepath.Glob rules). Only names ending in ".prom" are read, no
 *   recursion. A directory that cannot be read is an error.
 * - A file with a syntax error or with a sample timestamp is skipped as a
 *   whole; node_textfile_scrape_error is then 1. The other files are served.
 * - node_textfile_mtime_seconds{file} for every file read successfully.
 * - The same family in several files is merged. The first HELP wins; a
 *   later file with a different HELP loses that family (an error). Files
 *   without HELP share the HELP of the others; if no file has one, HELP is
 *   "Metric read from <files>". Within a family, series lacking a label of
 *   another series get it with the value "".
 *
 * Where upstream would crash the exporter (gauge histograms, label names
 * starting with "__") or silently produce garbage (a label set before the
 * metric name inside braces), the file is rejected as an error instead.
 *
 * Files are read whole with read_whole(), never through the descriptor
 * cache (they are replaced by rename), and only if they are regular files:
 * a FIFO or a device would block the scrape. Parsed data lives in a
 * per-scrape arena; nothing is allocated per line.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/log.h"
#include "../../common/parse.h"

#define FILE_MAX (64u << 20) /* largest .prom file read */

static struct strlist textfile_dirs;

static struct flag textfile_flags[] = {
	{ "collector.textfile.directory", FLAG_LIST, &textfile_dirs, NULL,
	  "Directory, or glob of directories, whose *.prom files are exported (repeatable).",
	  NULL, 0, false },
};

/* ---- arena: all parsed data of one scrape ---- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	struct chunk *spare; /* emptied chunks kept for the next scrape */
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		if (a->spare && a->spare->size >= n) {
			c = a->spare;
			a->spare = c->next;
		} else {
			size_t size = n > 65536 ? n : 65536;
			c = malloc(sizeof *c + size);
			if (!c)
				return NULL;
			c->size = size;
		}
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Grow an arena array of elem-sized items to hold one more; the old copy is abandoned. */
static int arena_grow(struct arena *a, void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *p = arena_alloc(a, ncap * elem);
	if (!p)
		return -1;
	if (n)
		memcpy(p, *arr, n * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * Empty the arena for the next scrape, keeping up to keep bytes of chunks:
 * reusing them spares the page faults of fresh memory on every scrape.
 */
static void arena_reset(struct arena *a, size_t keep)
{
	size_t kept = 0;
	struct chunk *spare = a->spare;
	a->spare = NULL;
	for (int pass = 0; pass < 2; pass++) {
		struct chunk *c = pass ? spare : a->head;
		while (c) {
			struct chunk *next = c->next;
			if (kept + c->size <= keep) {
				kept += c->size;
				c->next = a->spare;
				a->spare = c;
			} else {
				free(c);
			}
			c = next;
		}
	}
	a->head = NULL;
}

static void arena_free(struct arena *a)
{
	arena_reset(a, 0);
}

/* ---- string-keyed hash table (keys and values owned by the caller) ---- */

struct slot {
	uint64_t hash;
	const char *key;
	void *val;
};

struct table {
	struct slot *slots;
	size_t cap, n;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void *table_get(const struct table *t, const char *key, uint64_t h)
{
	if (!t->cap)
		return NULL;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		const struct slot *s = &t->slots[i];
		if (!s->key)
			return NULL;
		if (s->hash == h && !strcmp(s->key, key))
			return s->val;
	}
}

/* Lookup by the first n bytes of key (which need not be NUL-terminated there). */
static void *table_get_n(const struct table *t, const char *key, size_t n, uint64_t h)
{
	if (!t->cap)
		return NULL;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		const struct slot *s = &t->slots[i];
		if (!s->key)
			return NULL;
		if (s->hash == h && !strncmp(s->key, key, n) && s->key[n] == '\0')
			return s->val;
	}
}

static int table_put(struct table *t, const char *key, uint64_t h, void *val)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct slot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return -1;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].key)
				continue;
			size_t j = t->slots[i].hash & (ncap - 1);
			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	size_t i = h & (t->cap - 1);
	while (t->slots[i].key)
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = (struct slot){ h, key, val };
	t->n++;
	return 0;
}

static void table_clear(struct table *t)
{
	if (t->cap)
		memset(t->slots, 0, t->cap * sizeof *t->slots);
	t->n = 0;
}

static void table_free(struct table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}

/* ---- parsed data ---- */

/* Values of io.prometheus.client.MetricType; UNSET reads as COUNTER, as GetType() does. */
enum { T_UNSET = -1, T_COUNTER, T_GAUGE, T_SUMMARY, T_UNTYPED, T_HISTOGRAM, T_GAUGE_HISTOGRAM };

struct label {
	const char *name, *value;
};

struct point {
	double bound; /* quantile or upper bound */
	double value; /* quantile value or cumulative count */
	size_t seq;
};

struct metric {
	struct label *labels;
	size_t nlabels, caplabels;
	double value; /* counter, gauge, untyped */
	uint64_t count;
	double sum;
	bool float_counts; /* a histogram count that is not an integer */
	struct point *pts;
	size_t npts, cappts;
};

struct family {
	const char *name;
	const char *help; /* NULL: no HELP line */
	int type;
	struct metric **metrics;
	size_t nmetrics, capmetrics;
	const char *file; /* path of the file, as in the mtime label */
	struct family *next; /* in the file, in order of creation */
	bool dropped;
};

/* ---- the text format parser (a port of expfmt's state machine) ---- */

enum { P_OK = 0, P_EOF, P_ERR };

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

struct parser {
	const char *buf;
	size_t len, pos;
	unsigned char cur;
	int err;
	unsigned line;
	char msg[256];
	struct arena *arena;
	struct buf tok;
	struct buf key; /* summary/histogram identity */
	struct table families, dists;
	struct family *first, *last;
	struct family *mf;
	struct metric *metric;
	struct label *pairs;
	size_t npairs, cappairs;
	const char *pair_name;
	long pair_idx; /* index in pairs, -1 when not a real label (quantile, le) */
	struct label *dlabels; /* currentLabels: labels of a summary/histogram line */
	size_t ndlabels, capdlabels;
	bool in_braces, in_braces_present;
	double quantile, bucket;
	bool sum_count, sum_sum, hist_count, hist_sum;
	bool timestamps;
	/*
	 * The last name looked up and where it led: consecutive samples of one
	 * family skip the table. Within a file a name always leads to the same
	 * family (families are never removed, a type is set only once).
	 */
	char cache_name[128];
	size_t cache_len;
	struct family *cache_mf;
	bool cache_flags[4];
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char m[200];
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	strf(p->msg, sizeof p->msg, "text format parsing error in line %u: %s", p->line, m);
	p->err = P_ERR;
}

static void nomem(struct parser *p)
{
	strf(p->msg, sizeof p->msg, "out of memory");
	p->err = P_ERR;
}

static void rd(struct parser *p)
{
	if (p->pos < p->len) {
		p->cur = (unsigned char)p->buf[p->pos++];
	} else {
		p->cur = 0;
		p->err = P_EOF;
	}
}

static bool blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static void skip_blank(struct parser *p)
{
	do
		rd(p);
	while (!p->err && blank(p->cur));
}

static void skip_blank_if_blank(struct parser *p)
{
	if (blank(p->cur))
		skip_blank(p);
}

static void tok_reset(struct parser *p)
{
	buf_reset(&p->tok);
	if (buf_reserve(&p->tok, 1) == 0)
		p->tok.data[0] = '\0';
}

static void tok_put(struct parser *p, unsigned char c)
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
static const char *tok_str(const struct parser *p)
{
	if (!p->tok.data)
		return "";
	return strlen(p->tok.data) == p->tok.len ? p->tok.data : NULL;
}

static void read_until_ws(struct parser *p)
{
	tok_reset(p);
	while (!p->err && !blank(p->cur) && p->cur != '\n') {
		tok_put(p, p->cur);
		rd(p);
	}
}

/* The byte after a backslash: \\, \" or \n; anything else is a parse error. */
static bool put_escaped(struct parser *p)
{
	if (p->cur == '"' || p->cur == '\\')
		tok_put(p, p->cur);
	else if (p->cur == 'n')
		tok_put(p, '\n');
	else
		perr(p, "invalid escape sequence '\\%c'", p->cur);
	return !p->err;
}

static void read_until_nl(struct parser *p, bool escapes)
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
static void read_name(struct parser *p, bool metric)
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

static void read_label_value(struct parser *p)
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

static int type_of(const struct family *f)
{
	return f && f->type != T_UNSET ? f->type : T_COUNTER;
}

static bool is_dist(int t)
{
	return t == T_SUMMARY || t == T_HISTOGRAM || t == T_GAUGE_HISTOGRAM;
}

static bool is_hist(int t)
{
	return t == T_HISTOGRAM || t == T_GAUGE_HISTOGRAM;
}

static struct family *find_family(struct parser *p, const char *name, size_t n)
{
	return table_get_n(&p->families, name, n, hash_bytes(name, n));
}

static void set_family_slow(struct parser *p, const char *name, size_t n);

/* setOrCreateCurrentMF: the family of the name in the token, creating it if new. */
static void set_family(struct parser *p)
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

static void set_family_slow(struct parser *p, const char *name, size_t n)
{
	if (!legacy_metric_name(name, n))
		return perr(p, "invalid metric name \"%.*s\"", (int)(n > 100 ? 100 : n), name);
	if ((p->mf = find_family(p, name, n)))
		return;
	bool count = n > 6 && !memcmp(name + n - 6, "_count", 6);
	bool sum = n > 4 && !memcmp(name + n - 4, "_sum", 4);
	bool bucket = n > 7 && !memcmp(name + n - 7, "_bucket", 7);
	struct family *base;
	if ((count || sum) && (base = find_family(p, name, n - (count ? 6 : 4))) &&
	    type_of(base) == T_SUMMARY) {
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
	struct family *f = arena_alloc(p->arena, sizeof *f);
	if (!f)
		return nomem(p);
	memset(f, 0, sizeof *f);
	f->type = T_UNSET;
	f->name = arena_strndup(p->arena, name, n);
	if (!f->name || table_put(&p->families, f->name, hash_bytes(f->name, n), f) < 0)
		return nomem(p);
	if (p->last)
		p->last->next = f;
	else
		p->first = f;
	p->last = f;
	p->mf = f;
}

static void new_metric(struct parser *p)
{
	p->metric = arena_alloc(p->arena, sizeof *p->metric);
	if (!p->metric)
		return nomem(p);
	memset(p->metric, 0, sizeof *p->metric);
}

/* Append the pending label pairs to the current metric. */
static void flush_pairs(struct parser *p)
{
	struct metric *m = p->metric;
	for (size_t i = 0; i < p->npairs; i++) {
		if (arena_grow(p->arena, (void **)&m->labels, &m->caplabels, m->nlabels,
			       sizeof *m->labels) < 0)
			return nomem(p);
		m->labels[m->nlabels++] = p->pairs[i];
	}
	p->npairs = 0;
}

/* readingLabels' reset of the summary/histogram identity. */
static void reset_dist(struct parser *p)
{
	if (!is_dist(type_of(p->mf)))
		return;
	p->ndlabels = 0;
	p->quantile = p->bucket = NAN;
}

static void dist_label(struct parser *p, const char *name, const char *value)
{
	for (size_t i = 0; i < p->ndlabels; i++)
		if (!strcmp(p->dlabels[i].name, name)) {
			p->dlabels[i].value = value;
			return;
		}
	if (arena_grow(p->arena, (void **)&p->dlabels, &p->capdlabels, p->ndlabels,
		       sizeof *p->dlabels) < 0)
		return nomem(p);
	p->dlabels[p->ndlabels++] = (struct label){ name, value };
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* Find or register the summary/histogram metric with the current labels. */
static void dist_metric(struct parser *p)
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
	struct metric *m = table_get(&p->dists, p->key.data, h);
	if (m) {
		p->metric = m;
		return;
	}
	char *key = arena_strndup(p->arena, p->key.data, p->key.len);
	if (!key || table_put(&p->dists, key, h, p->metric) < 0)
		return nomem(p);
	struct family *f = p->mf;
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

static void add_point(struct parser *p, double bound, double value)
{
	struct metric *m = p->metric;
	if (arena_grow(p->arena, (void **)&m->pts, &m->cappts, m->npts, sizeof *m->pts) < 0)
		return nomem(p);
	m->pts[m->npts] = (struct point){ bound, value, m->npts };
	m->npts++;
}

/* A histogram count: an integer, or a float that zeroes the histogram's counts (as upstream). */
static bool hist_count_value(struct parser *p, double v, uint64_t *out)
{
	if (v >= 0 && v < 18446744073709551616.0 && v == floor(v)) {
		*out = (uint64_t)v;
		return true;
	}
	if (v < 0) {
		perr(p, "negative count for histogram \"%s\"", p->mf->name);
		return false;
	}
	p->metric->float_counts = true;
	*out = 0;
	return true;
}

static enum state st_start_of_line(struct parser *p)
{
	p->line++;
	p->in_braces = p->in_braces_present = false;
	skip_blank(p);
	if (p->err) {
		if (p->err == P_EOF)
			p->err = P_OK;
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

static enum state st_start_comment(struct parser *p)
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

static enum state st_metric_name(struct parser *p)
{
	read_name(p, true);
	if (p->err)
		return S_END;
	if (p->tok.len == 0) {
		perr(p, "invalid metric name");
		return S_END;
	}
	set_family(p);
	if (p->err)
		return S_END;
	if (p->mf->type == T_UNSET)
		p->mf->type = T_UNTYPED;
	new_metric(p);
	if (p->err)
		return S_END;
	skip_blank_if_blank(p);
	if (p->err)
		return S_END;
	return S_LABELS;
}

static enum state st_labels(struct parser *p)
{
	reset_dist(p);
	return p->cur == '{' ? S_START_LABEL_NAME : S_VALUE;
}

/* The metric name given as the first item inside braces: {"name", ...} or {name}. */
static enum state name_in_braces(struct parser *p)
{
	if (p->in_braces_present) {
		perr(p, "multiple metric names for metric \"%s\"", p->mf ? p->mf->name : "");
		return S_END;
	}
	if (p->cur != ',' && p->cur != '}') {
		perr(p, "unexpected end of metric name '%c'", p->cur);
		return S_END;
	}
	set_family(p);
	if (p->err)
		return S_END;
	if (p->mf->type == T_UNSET)
		p->mf->type = T_UNTYPED;
	new_metric(p);
	if (p->err)
		return S_END;
	p->in_braces_present = true;
	reset_dist(p);
	if (p->cur == ',')
		return S_START_LABEL_NAME;
	flush_pairs(p);
	skip_blank(p);
	return p->err ? S_END : S_VALUE;
}

static enum state st_start_label_name(struct parser *p)
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
	bool special = (t == T_SUMMARY && !strcmp(p->pair_name, "quantile")) ||
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
			struct label *np = realloc(p->pairs, cap * sizeof *np);
			if (!np) {
				nomem(p);
				return S_END;
			}
			p->pairs = np;
			p->cappairs = cap;
		}
		p->pair_idx = (long)p->npairs;
		p->pairs[p->npairs++] = (struct label){ p->pair_name, "" };
	}
	return S_START_LABEL_VALUE;
}

static enum state st_start_label_value(struct parser *p)
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
	if (t == T_SUMMARY) {
		if (!strcmp(p->pair_name, "quantile")) {
			if (parse_go_float(value, &p->quantile) < 0) {
				perr(p, "expected float as value for 'quantile' label, got \"%s\"", value);
				return S_END;
			}
		} else {
			dist_label(p, p->pair_name, value);
		}
	}
	if (is_hist(t)) {
		if (!strcmp(p->pair_name, "le")) {
			if (parse_go_float(value, &p->bucket) < 0) {
				perr(p, "expected float as value for 'le' label, got \"%s\"", value);
				return S_END;
			}
		} else {
			dist_label(p, p->pair_name, value);
		}
	}
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

static enum state st_value(struct parser *p)
{
	struct family *f = p->mf;
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
	struct metric *m = p->metric;
	switch (t) {
	case T_COUNTER:
	case T_GAUGE:
	case T_UNTYPED:
		m->value = v;
		break;
	case T_SUMMARY:
		if (p->sum_count)
			m->count = go_f64_to_u64(v);
		else if (p->sum_sum)
			m->sum = v;
		else if (!isnan(p->quantile))
			add_point(p, p->quantile, v);
		break;
	default: /* histograms */
		if (p->hist_count) {
			if (!hist_count_value(p, v, &m->count))
				return S_END;
		} else if (p->hist_sum) {
			m->sum = v;
		} else if (!isnan(p->bucket)) {
			uint64_t c;
			if (!hist_count_value(p, v, &c))
				return S_END;
			add_point(p, p->bucket, (double)c);
		}
		break;
	}
	if (p->err)
		return S_END;
	return p->cur == '\n' ? S_START_OF_LINE : S_TIMESTAMP;
}

static enum state st_timestamp(struct parser *p)
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

static enum state st_help(struct parser *p)
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

static enum state st_type(struct parser *p)
{
	if (p->mf->type != T_UNSET) {
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
		p->mf->type = T_GAUGE_HISTOGRAM;
		return S_START_OF_LINE;
	}
	perr(p, "unknown metric type \"%.40s\"", p->tok.data ? p->tok.data : "");
	return S_END;
}

/*
 * Parse one file's text into families appended to the arena. Returns the
 * first family (NULL if none) or sets p->msg and returns NULL with p->err.
 */
static struct family *parse_text(struct parser *p, const char *text, size_t len,
				 const char *file)
{
	p->buf = text;
	p->len = len;
	p->pos = 0;
	p->cur = 0;
	p->err = P_OK;
	p->line = 0;
	p->msg[0] = '\0';
	p->first = p->last = p->mf = NULL;
	p->metric = NULL;
	p->npairs = p->ndlabels = 0;
	p->timestamps = false;
	p->cache_mf = NULL;
	table_clear(&p->families);
	table_clear(&p->dists);

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
	if (p->err == P_EOF)
		perr(p, "unexpected end of input stream");
	if (p->err)
		return NULL;
	if (p->timestamps) {
		strf(p->msg, sizeof p->msg,
			 "textfile contains unsupported client-side timestamps, skipping entire file");
		p->err = P_ERR;
		return NULL;
	}

	/* Drop families without samples; check what the exposition cannot carry. */
	struct family *head = NULL, **tail = &head;
	for (struct family *f = p->first; f; f = f->next) {
		if (!f->nmetrics)
			continue;
		if (f->type == T_GAUGE_HISTOGRAM) {
			strf(p->msg, sizeof p->msg, "gauge histogram %s is not supported", f->name);
			p->err = P_ERR;
			return NULL;
		}
		for (size_t i = 0; i < f->nmetrics; i++)
			for (size_t k = 0; k < f->metrics[i]->nlabels; k++)
				if (!strncmp(f->metrics[i]->labels[k].name, "__", 2)) {
					strf(p->msg, sizeof p->msg,
						 "label name %s of %s is reserved (starts with __)",
						 f->metrics[i]->labels[k].name, f->name);
					p->err = P_ERR;
					return NULL;
				}
		f->file = file;
		*tail = f;
		tail = &f->next;
	}
	*tail = NULL;
	return head;
}

/* ---- paths ---- */

/* Go's filepath.Clean into dst (lexical: no symlinks are looked at). */
static void clean_path(const char *path, char *dst, size_t cap)
{
	char out[4096];
	size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
	bool rooted = n && path[0] == '/';
#define PUT(ch) do { if (w + 1 < sizeof out) out[w++] = (ch); } while (0)
	if (rooted) {
		PUT('/');
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					PUT('/');
				PUT('.');
				PUT('.');
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				PUT('/');
			for (; r < n && path[r] != '/'; r++)
				PUT(path[r]);
		}
	}
	if (w == 0)
		PUT('.');
#undef PUT
	out[w] = '\0';
	strf(dst, cap, "%s", out);
}

static bool has_meta(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

struct pathlist {
	char **v;
	size_t n, cap;
};

static int push_path(struct pathlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(s)))
		return -1;
	l->n++;
	return 0;
}

static void free_paths(struct pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Names in dir matching pattern, joined and cleaned, in name order. */
static int glob_in(const char *dir, const char *pattern, struct pathlist *out)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	struct dirlist dl;
	if (dirlist_read(dir, &dl) < 0)
		return 0;
	int rc = 0;
	for (size_t i = 0; i < dl.n && rc == 0; i++) {
		int m = fnmatch(pattern, dl.names[i], 0);
		if (m == FNM_NOMATCH)
			continue;
		if (m != 0) {
			rc = -1;
			break;
		}
		char joined[4096], clean[4096];
		if (pathf(joined, sizeof joined, "%s/%s", dir, dl.names[i]) < 0)
			continue;
		clean_path(joined, clean, sizeof clean);
		rc = push_path(out, clean);
	}
	dirlist_free(&dl);
	return rc;
}

/* Go's filepath.Glob: matches in directory order; -1 on a bad pattern. */
static int go_glob(const char *pattern, struct pathlist *out, int depth)
{
	if (depth > 64)
		return -1;
	if (!has_meta(pattern)) {
		struct stat st;
		if (lstat(pattern, &st) == 0)
			return push_path(out, pattern);
		return 0;
	}
	char dir[4096];
	const char *slash = strrchr(pattern, '/');
	const char *file = slash ? slash + 1 : pattern;
	size_t dlen = slash ? (size_t)(slash - pattern) + 1 : 0;
	if (dlen >= sizeof dir)
		return -1;
	/* cleanGlobPath: "" is ".", "/" stays, otherwise drop the trailing slash. */
	if (dlen == 0)
		strf(dir, sizeof dir, ".");
	else if (dlen == 1)
		strf(dir, sizeof dir, "/");
	else
		strf(dir, sizeof dir, "%.*s", (int)(dlen - 1), pattern);
	if (!has_meta(dir))
		return glob_in(dir, file, out);
	if (!strcmp(dir, pattern))
		return -1;
	struct pathlist dirs = { 0 };
	int rc = go_glob(dir, &dirs, depth + 1);
	for (size_t i = 0; i < dirs.n && rc == 0; i++)
		rc = glob_in(dirs.v[i], file, out);
	free_paths(&dirs);
	return rc;
}

/* ---- merging and output ---- */

/* One metric family name across all files. */
struct merged {
	const char *name;
	const char *help0; /* first HELP accepted */
	bool help_seen, help_conflict;
	struct family **inst; /* accepted instances in file order */
	size_t ninst, capinst;
	const char **files;
	size_t nfiles, capfiles;
	struct merged *next;
};

struct mtime {
	char *file;
	double value;
};

/* Kept between scrapes: the error memory, and buffers worth reusing. */
struct textfile_state {
	uint64_t last_errors; /* hash of the previous scrape's error messages */
	struct arena arena;
	struct buf content, tok;
};

#define KEEP_BYTES (4u << 20) /* buffers larger than this are released after a scrape */

struct scrape_ctx {
	struct arena arena;
	struct table names;
	struct merged *first, *last;
	struct mtime *mtimes;
	size_t nmtimes, capmtimes;
	bool errored;
	uint64_t err_hash;
	struct buf errs; /* "msg\0key\0value\0err\0" records, logged at the end */
	double *bounds, *vals; /* scratch for one summary/histogram */
	uint64_t *counts;
	size_t cap;
};

/* Record a problem to log at the end of the scrape (see log_errors). */
static void note(struct scrape_ctx *c, const char *msg, const char *key, const char *val,
		 const char *err)
{
	c->err_hash = (c->err_hash ^ hash_bytes(val, strlen(val))) * 1099511628211ull;
	c->err_hash = (c->err_hash ^ hash_bytes(err, strlen(err))) * 1099511628211ull;
	/* Kept for the end of the scrape, when the log level is known; bounded. */
	size_t mark = c->errs.len;
	if (buf_append(&c->errs, msg, strlen(msg) + 1) < 0 ||
	    buf_append(&c->errs, key, strlen(key) + 1) < 0 ||
	    buf_append(&c->errs, val, strlen(val) + 1) < 0 ||
	    buf_append(&c->errs, err, strlen(err) + 1) < 0)
		c->errs.len = mark;
}

/* A problem that sets node_textfile_scrape_error. */
static void report(struct scrape_ctx *c, const char *msg, const char *key, const char *val,
		   const char *err)
{
	c->errored = true;
	note(c, msg, key, val, err);
}

/*
 * Log this scrape's errors: at error level when they differ from the
 * previous scrape's, else at debug level, so a broken file that stays
 * broken is one error line, not one per scrape.
 */
static void log_errors(struct scrape_ctx *c, uint64_t *last)
{
	bool changed = c->err_hash != *last;
	for (size_t o = 0; o < c->errs.len;) {
		const char *f[4];
		for (int i = 0; i < 4; i++) {
			f[i] = c->errs.data + o;
			o += strlen(f[i]) + 1;
		}
		if (changed)
			log_error(f[0], f[1], f[2], "err", f[3], NULL);
		else
			log_debug(f[0], f[1], f[2], "err", f[3], NULL);
	}
	*last = c->err_hash;
}

static struct merged *merged_of(struct scrape_ctx *c, const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name));
	struct merged *m = table_get(&c->names, name, h);
	if (m)
		return m;
	m = arena_alloc(&c->arena, sizeof *m);
	if (!m)
		return NULL;
	memset(m, 0, sizeof *m);
	m->name = name;
	if (table_put(&c->names, name, h, m) < 0)
		return NULL;
	if (c->last)
		c->last->next = m;
	else
		c->first = m;
	c->last = m;
	return m;
}

/* Add one file's families, applying upstream's HELP rules. Returns -1 when out of memory. */
static int merge_file(struct scrape_ctx *c, struct family *fams)
{
	for (struct family *f = fams; f; f = f->next) {
		struct merged *m = merged_of(c, f->name);
		if (!m)
			return -1;
		if (m->help_seen && ((f->help && strcmp(m->help0, f->help) != 0) || m->help_conflict)) {
			m->help_conflict = true;
			char detail[600];
			strf(detail, sizeof detail, "inconsistent metric help text: %s (first: \"%.200s\", new: \"%.200s\")",
				 f->name, m->help0, f->help ? f->help : "");
			report(c, "inconsistent metric help text", "file", f->file, detail);
			continue;
		}
		if (f->help && !m->help_seen) {
			m->help0 = f->help;
			m->help_seen = true;
		}
		if (arena_grow(&c->arena, (void **)&m->inst, &m->capinst, m->ninst, sizeof *m->inst) < 0 ||
		    arena_grow(&c->arena, (void **)&m->files, &m->capfiles, m->nfiles, sizeof *m->files) < 0)
			return -1;
		m->inst[m->ninst++] = f;
		m->files[m->nfiles++] = f->file;
	}
	return 0;
}

static int cmp_point(const void *a, const void *b)
{
	const struct point *x = a, *y = b;
	if (x->bound != y->bound)
		return x->bound < y->bound ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by bound; of equal bounds the last one given wins (upstream fills a map). */
static size_t dedup_points(struct point *pts, size_t n)
{
	if (n > 1)
		qsort(pts, n, sizeof *pts, cmp_point);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out && pts[out - 1].bound == pts[i].bound)
			pts[out - 1] = pts[i];
		else
			pts[out++] = pts[i];
	}
	return out;
}

/* A name x_count/x_sum of a summary x, or x_count/x_sum/x_bucket of a histogram x. */
static bool collides(struct scrape_ctx *c, const struct merged *m)
{
	static const char *const suffixes[] = { "_count", "_sum", "_bucket" };
	size_t n = strlen(m->name);
	for (int i = 0; i < 3; i++) {
		size_t sl = strlen(suffixes[i]);
		if (n <= sl || strcmp(m->name + n - sl, suffixes[i]) != 0)
			continue;
		const struct merged *b =
			table_get_n(&c->names, m->name, n - sl, hash_bytes(m->name, n - sl));
		if (!b || !b->ninst)
			continue;
		int t = b->inst[0]->type;
		if ((t == T_SUMMARY && i < 2) || t == T_HISTOGRAM)
			return true;
	}
	return false;
}

static void emit_merged(struct scrape_ctx *c, struct expo *e, struct merged *m)
{
	if (!m->ninst)
		return;
	/* The first instance's type wins; others are dropped as the registry does. */
	int type = m->inst[0]->type;
	char help[4096];
	if (m->help_seen) {
		strf(help, sizeof help, "%s", m->help0);
	} else {
		size_t o = (size_t)strf(help, sizeof help, "Metric read from ");
		for (size_t i = 0; i < m->nfiles && o < sizeof help; i++)
			o += (size_t)strf(help + o, sizeof help - o, "%s%s", i ? ", " : "", m->files[i]);
	}
	if (collides(c, m)) {
		note(c, "textfile metric dropped", "metric", m->name,
		     "collides with a summary or histogram of the same base name");
		return;
	}

	/* Union of the label names over the kept instances. */
	const char *labels[256];
	size_t nl = 0;
	for (size_t i = 0; i < m->ninst; i++) {
		struct family *f = m->inst[i];
		if (f->type != type) {
			note(c, "textfile metric dropped", "file", f->file,
			     "declared with another type in an earlier file");
			f->dropped = true;
			continue;
		}
		for (size_t k = 0; k < f->nmetrics; k++)
			for (size_t j = 0; j < f->metrics[k]->nlabels; j++) {
				const char *ln = f->metrics[k]->labels[j].name;
				size_t x = 0;
				while (x < nl && strcmp(labels[x], ln) != 0)
					x++;
				if (x == nl) {
					if (nl == 255) {
						note(c, "textfile metric dropped", "metric", m->name,
						     "more than 255 label names");
						return;
					}
					labels[nl++] = ln;
				}
			}
	}
	labels[nl] = NULL;
	enum metric_type mt = type == T_COUNTER ? METRIC_COUNTER :
			      type == T_GAUGE	? METRIC_GAUGE :
			      type == T_SUMMARY ? METRIC_SUMMARY :
			      type == T_HISTOGRAM ? METRIC_HISTOGRAM :
						    METRIC_UNTYPED;
	struct family *ef = expo_family(e, m->name, mt, help, labels);

	const char *values[256];
	for (size_t i = 0; i < m->ninst; i++) {
		struct family *f = m->inst[i];
		if (f->dropped)
			continue;
		for (size_t k = 0; k < f->nmetrics; k++) {
			struct metric *x = f->metrics[k];
			for (size_t j = 0; j < nl; j++) {
				values[j] = "";
				for (size_t q = 0; q < x->nlabels; q++)
					if (!strcmp(x->labels[q].name, labels[j]))
						values[j] = x->labels[q].value;
			}
			if (type == T_SUMMARY || type == T_HISTOGRAM) {
				size_t np = dedup_points(x->pts, x->npts);
				if (np > c->cap) {
					free(c->bounds), free(c->vals), free(c->counts);
					c->bounds = malloc(np * sizeof *c->bounds);
					c->vals = malloc(np * sizeof *c->vals);
					c->counts = malloc(np * sizeof *c->counts);
					c->cap = c->bounds && c->vals && c->counts ? np : 0;
					if (!c->cap) {
						log_error("out of memory", "metric", m->name, NULL);
						return;
					}
				}
				for (size_t q = 0; q < np; q++) {
					c->bounds[q] = x->pts[q].bound;
					c->vals[q] = x->pts[q].value;
					/* Non-integer counts read as 0 upstream (GetCumulativeCount). */
					c->counts[q] = x->float_counts ? 0 : (uint64_t)x->pts[q].value;
				}
				if (type == T_SUMMARY)
					expo_add_summary(e, ef, values, x->count, x->sum, np, c->bounds,
							 c->vals);
				else
					expo_add_histogram(e, ef, values, x->float_counts ? 0 : x->count,
							   x->sum, np, c->bounds, c->counts);
			} else {
				expo_add(e, ef, x->value, values);
			}
		}
	}
}

/* Go's time.UnixNano()/1e9: whole seconds, truncated towards zero. */
static double mtime_seconds(const struct stat *st)
{
	int64_t sec = (int64_t)st->st_mtim.tv_sec;
	if (sec < 0 && st->st_mtim.tv_nsec > 0)
		sec++;
	return (double)sec;
}

static int cmp_mtime(const void *a, const void *b)
{
	return strcmp(((const struct mtime *)a)->file, ((const struct mtime *)b)->file);
}

/* Read and parse one file; on success record its mtime and merge its families. */
static void process_file(struct scrape_ctx *c, struct parser *p, struct buf *content,
			 const char *dir, const char *name)
{
	char joined[4096], path[4096];
	if (pathf(joined, sizeof joined, "%s/%s", dir, name) < 0) {
		report(c, "failed to collect textfile data", "file", name, "path too long");
		return;
	}
	clean_path(joined, path, sizeof path);
	/* Never open what is not a regular file: a FIFO would block the scrape. */
	struct stat st;
	if (stat(path, &st) < 0) {
		report(c, "failed to collect textfile data", "file", name, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		report(c, "failed to collect textfile data", "file", name, "not a regular file");
		return;
	}
	int rc = read_whole(path, content);
	if (rc < 0) {
		report(c, "failed to collect textfile data", "file", name,
		       rc == -ENOSPC ? "file too large" : strerror(-rc));
		return;
	}
	const char *label = arena_strndup(&c->arena, path, strlen(path));
	if (!label) {
		report(c, "failed to collect textfile data", "file", name, "out of memory");
		return;
	}
	struct family *fams = parse_text(p, content->data ? content->data : "", content->len, label);
	if (p->err) {
		report(c, "failed to collect textfile data", "file", name, p->msg);
		return;
	}
	if (merge_file(c, fams) < 0) {
		report(c, "failed to collect textfile data", "file", name, "out of memory");
		return;
	}
	if (c->nmtimes == c->capmtimes) {
		size_t cap = c->capmtimes ? c->capmtimes * 2 : 16;
		struct mtime *v = realloc(c->mtimes, cap * sizeof *v);
		if (!v)
			return;
		c->mtimes = v;
		c->capmtimes = cap;
	}
	c->mtimes[c->nmtimes++] = (struct mtime){ (char *)(uintptr_t)label, mtime_seconds(&st) };
}

static int textfile_init(void **state, char *err, size_t errlen)
{
	struct textfile_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	buf_init(&st->content, FILE_MAX);
	buf_init(&st->tok, FILE_MAX + 1);
	*state = st;
	return 0;
}

static void textfile_fini(void *state)
{
	struct textfile_state *st = state;
	arena_free(&st->arena);
	buf_free(&st->content);
	buf_free(&st->tok);
	free(st);
}

static int textfile_collect(struct scrape *s, struct expo *e)
{
	struct textfile_state *st = s->state;
	struct scrape_ctx c = { .err_hash = 14695981039346656037ull, .arena = st->arena };
	buf_init(&c.errs, 1u << 20);
	struct parser p = { .arena = &c.arena, .tok = st->tok };
	buf_init(&p.key, FILE_MAX + 1);
	struct buf content = st->content;

	struct pathlist dirs = { 0 };
	for (size_t i = 0; i < textfile_dirs.n; i++) {
		const char *g = textfile_dirs.items[i];
		if (!*g)
			continue; /* upstream's default, "": nothing to read */
		size_t before = dirs.n;
		if (go_glob(g, &dirs, 0) < 0 || dirs.n == before) {
			while (dirs.n > before)
				free(dirs.v[--dirs.n]);
			if (push_path(&dirs, g) < 0)
				break;
		}
	}
	for (size_t i = 0; i < dirs.n; i++) {
		struct dirlist dl;
		int rc = dirlist_read(dirs.v[i], &dl);
		if (rc < 0) {
			report(&c, "failed to read textfile collector directory", "path", dirs.v[i],
			       strerror(-rc));
			continue;
		}
		for (size_t k = 0; k < dl.n; k++)
			if (has_suffix(dl.names[k], ".prom"))
				process_file(&c, &p, &content, dirs.v[i], dl.names[k]);
		dirlist_free(&dl);
	}
	free_paths(&dirs);

	for (struct merged *m = c.first; m; m = m->next)
		emit_merged(&c, e, m);

	if (c.nmtimes) {
		qsort(c.mtimes, c.nmtimes, sizeof *c.mtimes, cmp_mtime);
		struct family *f = expo_family(e, "node_textfile_mtime_seconds", METRIC_GAUGE,
					       "Modification time of the textfiles read successfully, as a Unix timestamp.",
					       (const char *const[]){ "file", NULL });
		for (size_t i = 0; i < c.nmtimes; i++)
			if (i == 0 || strcmp(c.mtimes[i].file, c.mtimes[i - 1].file) != 0)
				expo_sample(e, f, c.mtimes[i].value, c.mtimes[i].file);
	}
	expo_single(e, "node_textfile_scrape_error", METRIC_GAUGE,
		    "1 if a textfile directory or file could not be read or parsed, else 0.",
		    c.errored ? 1 : 0);

	log_errors(&c, &st->last_errors);
	buf_free(&c.errs);

	free(c.mtimes);
	free(c.bounds), free(c.vals), free(c.counts);
	table_free(&c.names);
	table_free(&p.families);
	table_free(&p.dists);
	free(p.pairs);
	buf_free(&p.key);
	st->tok = p.tok;
	st->content = content;
	if (st->tok.cap > KEEP_BYTES)
		buf_free(&st->tok);
	if (st->content.cap > KEEP_BYTES)
		buf_free(&st->content);
	arena_reset(&c.arena, KEEP_BYTES);
	st->arena = c.arena;
	return COLLECT_OK;
}

const struct collector_def collector_textfile = {
	.name = "textfile",
	.default_enabled = true,
	.flags = textfile_flags,
	.nflags = sizeof textfile_flags / sizeof textfile_flags[0],
	.init = textfile_init,
	.collect = textfile_collect,
	.fini = textfile_fini,
};
