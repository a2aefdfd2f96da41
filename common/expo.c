#define _GNU_SOURCE /* qsort_r */
#include "expo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmtnum.h"
#include "hashtab.h"
#include "log.h"

#define ARENA_CHUNK 65536

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct dist {
	uint64_t count;
	double sum;
	size_t n;
	double *bounds; /* quantiles or upper bounds */
	double *qvalues; /* summary only */
	uint64_t *counts; /* histogram only, cumulative */
};

struct series {
	const char **values;
	double value;
	uint32_t seq; /* insertion order: the first of two duplicates wins */
	struct dist *dist;
	int64_t ts_ms; /* explicit timestamp, or EXPO_NO_TS */
};

#define EXPO_NO_TS INT64_MIN

struct family {
	char *name;
	char *help;
	enum metric_type type;
	size_t nlabels;
	char **labels;
	size_t *order; /* label indices in name order */
	struct series *series; /* &one until a second series comes */
	struct series one;
	size_t nseries, cap;
	bool discard;
	bool logged;
	bool omit_empty; /* labels with an empty value are left out on output */
	bool appended; /* its last label is the exposition's appended one (expo_append_label) */
};

#define RECENT_LABELS 8

struct expo {
	size_t max_bytes, used_bytes;
	struct chunk *chunks;
	struct family **table; /* open addressing by name */
	size_t table_size, nfamilies;
	struct family **sorted; /* filled by expo_finish */
	size_t nsorted;
	bool finished;
	int status;
	size_t dropped;
	uint32_t seq;
	struct family sink; /* target of invalid or conflicting declarations */
	/*
	 * The label values of the last series by position, as given and as
	 * copied: a collector emitting one object's series in a row passes the
	 * same strings again (container_exporter's id, name, image), which are
	 * then compared, not copied.
	 */
	const char *recent_src[RECENT_LABELS], *recent_copy[RECENT_LABELS];
	/* expo_append_label(): borrowed */
	const char *append_prefix, *append_name, *append_value;
	const char *const *append_skip;
};

static bool charge(struct expo *e, size_t n)
{
	if (n > e->max_bytes - e->used_bytes) {
		e->status = -ENOSPC;
		return false;
	}
	e->used_bytes += n;
	return true;
}

static void *arena_alloc(struct expo *e, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct chunk *c = e->chunks;
	if (!c || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if (!charge(e, size))
			return NULL;
		c = malloc(sizeof *c + size);
		if (!c) {
			e->status = -ENOMEM;
			return NULL;
		}
		c->size = size;
		c->used = 0;
		c->next = e->chunks;
		e->chunks = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/*
 * Copy s into the arena as valid UTF-8: each run of invalid bytes becomes
 * U+FFFD, as Go's strings.ToValidUTF8 does, so the page always parses.
 */
static char *arena_strdup_utf8(struct expo *e, const char *s)
{
	/* Empty label values are common (unset container labels): one shared "", never written to. */
	if (!s || !*s)
		return (char *)"";
	size_t n = strlen(s);
	/* ASCII (nearly always): test eight bytes at a time for a high bit. */
	bool ascii = true;
	size_t at = 0;
	for (; at + 8 <= n && ascii; at += 8) {
		uint64_t w;
		memcpy(&w, s + at, 8);
		ascii = !(w & 0x8080808080808080ull);
	}
	for (; at < n && ascii; at++)
		ascii = (unsigned char)s[at] < 0x80;
	if (ascii) {
		char *p = arena_alloc(e, n + 1);
		if (p)
			memcpy(p, s, n + 1);
		return p;
	}

	char *p = arena_alloc(e, n * 3 + 1); /* worst case: every byte replaced */
	if (!p)
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	bool in_bad = false;
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t len = 0;
		uint32_t cp = 0;
		if (c < 0x80)
			len = 1;
		else if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07;
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				ok = false;
			else
				cp = cp << 6 | (u[i + k] & 0x3f);
		}
		if (ok && len > 1) {
			static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
			if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				ok = false;
		}
		if (!ok) {
			if (!in_bad) {
				memcpy(p + o, "\xef\xbf\xbd", 3);
				o += 3;
			}
			in_bad = true;
			i++;
			continue;
		}
		in_bad = false;
		memcpy(p + o, u + i, len);
		o += len;
		i += len;
	}
	p[o] = '\0';
	return p;
}

struct expo *expo_new(size_t max_bytes)
{
	struct expo *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->max_bytes = max_bytes;
	/* A node_exporter scrape declares several hundred families: start big enough. */
	e->table_size = 1024;
	e->table = calloc(e->table_size, sizeof *e->table);
	if (!e->table) {
		free(e);
		return NULL;
	}
	static char empty[] = "";
	e->sink.name = empty;
	e->sink.help = empty;
	e->sink.discard = true;
	return e;
}

void expo_free(struct expo *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->table_size; i++)
		if (e->table[i] && e->table[i]->series != &e->table[i]->one)
			free(e->table[i]->series);
	free(e->table);
	free(e->sorted);
	struct chunk *c = e->chunks;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(e);
}

int expo_status(const struct expo *e)
{
	return e->status;
}

size_t expo_series_added(const struct expo *e)
{
	return e->seq;
}

size_t expo_dropped(const struct expo *e)
{
	return e->dropped;
}

void expo_clear_status(struct expo *e)
{
	e->status = 0;
}

/*
 * What a byte may be in a name: NAME_FIRST anywhere, NAME_DIGIT after the
 * first, NAME_COLON anywhere in a metric name. Every family of every scrape
 * is checked: one lookup a byte.
 */
enum { NAME_FIRST = 1, NAME_DIGIT = 2, NAME_COLON = 4 };
#define NAME_LETTERS_(c) [c] = NAME_FIRST, [c + 1] = NAME_FIRST, [c + 2] = NAME_FIRST, [c + 3] = NAME_FIRST
#define NAME_LETTERS(c) NAME_LETTERS_(c), NAME_LETTERS_(c + 4), NAME_LETTERS_(c + 8), NAME_LETTERS_(c + 12), \
	NAME_LETTERS_(c + 16), NAME_LETTERS_(c + 20), [c + 24] = NAME_FIRST, [c + 25] = NAME_FIRST
static const unsigned char name_class[256] = {
	NAME_LETTERS('a'), NAME_LETTERS('A'), ['_'] = NAME_FIRST, [':'] = NAME_COLON,
	['0'] = NAME_DIGIT, ['1'] = NAME_DIGIT, ['2'] = NAME_DIGIT, ['3'] = NAME_DIGIT, ['4'] = NAME_DIGIT,
	['5'] = NAME_DIGIT, ['6'] = NAME_DIGIT, ['7'] = NAME_DIGIT, ['8'] = NAME_DIGIT, ['9'] = NAME_DIGIT,
};

/* Is s a name of the characters allowed (first: those in first, then those in rest too)? */
static bool valid_name(const char *s, unsigned first, unsigned rest)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!(name_class[*p] & first))
		return false;
	while (*++p)
		if (!(name_class[*p] & rest))
			return false;
	return true;
}

bool expo_valid_metric_name(const char *s)
{
	return valid_name(s, NAME_FIRST | NAME_COLON, NAME_FIRST | NAME_COLON | NAME_DIGIT);
}

bool expo_valid_label_name(const char *s)
{
	return !(s[0] == '_' && s[1] == '_') && valid_name(s, NAME_FIRST, NAME_FIRST | NAME_DIGIT);
}

/* The slot of the family called name (len bytes): its own, or the empty one it would take. */
static struct family **slot_for_n(struct expo *e, const char *name, size_t len)
{
	size_t mask = e->table_size - 1;
	size_t i = (uint32_t)hash_bytes(name, len) & mask;
	while (e->table[i] && strcmp(e->table[i]->name, name) != 0)
		i = (i + 1) & mask;
	return &e->table[i];
}

static struct family **slot_for(struct expo *e, const char *name)
{
	return slot_for_n(e, name, strlen(name));
}

/* Copy a name already checked by valid_name (ASCII only): no UTF-8 pass. */
static char *arena_strdup_ascii(struct expo *e, const char *s, size_t len)
{
	char *p = arena_alloc(e, len + 1);
	if (p)
		memcpy(p, s, len + 1);
	return p;
}

static int grow_table(struct expo *e)
{
	size_t old_size = e->table_size;
	struct family **old = e->table;
	struct family **t = calloc(old_size * 2, sizeof *t);
	if (!t)
		return -ENOMEM;
	e->table = t;
	e->table_size = old_size * 2;
	for (size_t i = 0; i < old_size; i++)
		if (old[i])
			*slot_for(e, old[i]->name) = old[i];
	free(old);
	return 0;
}

void expo_family_omit_empty(struct family *f)
{
	f->omit_empty = true;
}

struct family *expo_find(struct expo *e, const char *name)
{
	return *slot_for(e, name);
}

static bool same_labels(const struct family *f, const char *const *labels)
{
	size_t n = 0;
	for (; labels && labels[n]; n++)
		if (n >= f->nlabels || strcmp(f->labels[n], labels[n]) != 0)
			return false;
	return n == f->nlabels;
}

static struct family *conflict(struct expo *e, struct family *f, const char *why)
{
	if (!f->logged) {
		f->logged = true;
		log_error("metric family declared twice inconsistently; dropping the later samples",
			  "family", f->name, "reason", why, NULL);
	}
	return &e->sink;
}

static struct family *reject(struct expo *e, const char *name, const char *why)
{
	log_error("invalid metric family; dropping its samples", "family", name, "reason", why, NULL);
	return &e->sink;
}

/* Does a family called name get the appended label? */
static bool appends(const struct expo *e, const char *name)
{
	if (!e->append_name || strncmp(name, e->append_prefix, strlen(e->append_prefix)))
		return false;
	for (const char *const *s = e->append_skip; s && *s; s++)
		if (!strcmp(*s, name))
			return false;
	return true;
}

#define MAX_LABELS 64
#define SMALL_LABELS 16

/* Label names by index, in name order (qsort_r's comparison). */
static int cmp_label_idx(const void *a, const void *b, void *ctx)
{
	const char *const *names = ctx;
	return strcmp(names[*(const size_t *)a], names[*(const size_t *)b]);
}

struct family *expo_family(struct expo *e, const char *name, enum metric_type type,
			   const char *help, const char *const *labels)
{
	if (e->finished)
		return &e->sink;
	const char *with[MAX_LABELS + 1];
	bool appended = appends(e, name);
	if (appended) {
		size_t k = 0;
		for (; labels && labels[k] && k < MAX_LABELS - 1; k++)
			with[k] = labels[k];
		with[k++] = e->append_name;
		with[k] = NULL;
		labels = with;
	}
	size_t name_len = strlen(name);
	struct family **slot = slot_for_n(e, name, name_len);
	struct family *f = *slot;
	if (f) {
		if (f->type != type)
			return conflict(e, f, "different type");
		if (!same_labels(f, labels))
			return conflict(e, f, "different label names");
		if (strcmp(f->help, help ? help : "") != 0)
			return conflict(e, f, "different help text");
		return f;
	}

	if (!expo_valid_metric_name(name))
		return reject(e, name, "invalid metric name");
	size_t n = 0;
	for (; labels && labels[n]; n++) {
		if (!expo_valid_label_name(labels[n]))
			return reject(e, name, "invalid label name");
		if ((type == METRIC_SUMMARY && strcmp(labels[n], "quantile") == 0) ||
		    (type == METRIC_HISTOGRAM && strcmp(labels[n], "le") == 0))
			return reject(e, name, "reserved label name");
	}
	f = arena_alloc(e, sizeof *f);
	if (!f)
		return &e->sink;
	memset(f, 0, sizeof *f);
	f->type = type;
	f->nlabels = n;
	f->appended = appended;
	if (n) {
		f->labels = arena_alloc(e, n * sizeof *f->labels);
		f->order = arena_alloc(e, n * sizeof *f->order);
		if (!f->labels || !f->order)
			return &e->sink;
		/*
		 * The output order of the label names (sorted, as client_golang);
		 * a duplicate sorts next to its twin. A few names (nearly every
		 * family) are sorted in place, without qsort's calls.
		 */
		size_t *order = f->order;
		for (size_t i = 0; i < n; i++) {
			size_t k = i;
			for (; n <= SMALL_LABELS && k > 0 && strcmp(labels[order[k - 1]], labels[i]) > 0; k--)
				order[k] = order[k - 1];
			order[k] = i;
		}
		if (n > SMALL_LABELS)
			qsort_r(order, n, sizeof *order, cmp_label_idx, (void *)labels);
		for (size_t i = 1; i < n; i++)
			if (strcmp(labels[order[i - 1]], labels[order[i]]) == 0)
				return reject(e, name, "duplicate label name");
		for (size_t i = 0; i < n; i++)
			f->labels[i] = arena_strdup_ascii(e, labels[i], strlen(labels[i]));
	}
	f->name = arena_strdup_ascii(e, name, name_len);
	f->help = arena_strdup_utf8(e, help);
	if (!f->name || !f->help || (n && !f->labels[n - 1]))
		return &e->sink;

	if ((e->nfamilies + 1) * 2 > e->table_size) {
		if (grow_table(e) < 0) {
			e->status = -ENOMEM;
			return &e->sink;
		}
		slot = slot_for_n(e, name, name_len);
	}
	*slot = f;
	e->nfamilies++;
	return f;
}

static struct series *new_series(struct expo *e, struct family *f, const char *const *values)
{
	if (f->discard || e->finished) {
		e->dropped++;
		return NULL;
	}
	if (!f->cap) {
		/* Most families have one series: it lives in the family, no allocation. */
		f->series = &f->one;
		f->cap = 1;
	} else if (f->nseries == f->cap) {
		size_t cap = f->cap == 1 ? 8 : f->cap * 2;
		if (!charge(e, (cap - f->cap) * sizeof *f->series)) {
			e->dropped++;
			return NULL;
		}
		struct series *s = realloc(f->series == &f->one ? NULL : f->series, cap * sizeof *s);
		if (!s) {
			e->status = -ENOMEM;
			e->dropped++;
			return NULL;
		}
		if (f->series == &f->one)
			s[0] = f->one;
		f->series = s;
		f->cap = cap;
	}
	const char **vals = NULL;
	if (f->nlabels) {
		vals = arena_alloc(e, f->nlabels * sizeof *vals);
		if (!vals) {
			e->dropped++;
			return NULL;
		}
		for (size_t i = 0; i < f->nlabels; i++) {
			const char *v = f->appended && i == f->nlabels - 1 ? e->append_value : values[i];
			if (i < RECENT_LABELS && v && v == e->recent_src[i] && !strcmp(v, e->recent_copy[i])) {
				vals[i] = e->recent_copy[i];
				continue;
			}
			vals[i] = arena_strdup_utf8(e, v);
			if (!vals[i]) {
				e->dropped++;
				return NULL;
			}
			if (i < RECENT_LABELS) {
				e->recent_src[i] = v;
				e->recent_copy[i] = vals[i];
			}
		}
	}
	struct series *s = &f->series[f->nseries++];
	s->values = vals;
	s->value = 0;
	s->seq = e->seq++;
	s->dist = NULL;
	s->ts_ms = EXPO_NO_TS;
	return s;
}

void expo_add(struct expo *e, struct family *f, double value, const char *const *values)
{
	if (f->type == METRIC_SUMMARY || f->type == METRIC_HISTOGRAM) {
		e->dropped++;
		return;
	}
	struct series *s = new_series(e, f, values);
	if (s)
		s->value = value;
}

void expo_add_ts(struct expo *e, struct family *f, double value, int64_t ts_ms,
		 const char *const *values)
{
	if (f->type == METRIC_SUMMARY || f->type == METRIC_HISTOGRAM) {
		e->dropped++;
		return;
	}
	struct series *s = new_series(e, f, values);
	if (s) {
		s->value = value;
		s->ts_ms = ts_ms < 0 ? EXPO_NO_TS : ts_ms;
	}
}

void expo_single(struct expo *e, const char *name, enum metric_type type, const char *help,
		 double value)
{
	expo_add(e, expo_family(e, name, type, help, NULL), value, NULL);
}

static struct dist *new_dist(struct expo *e, uint64_t count, double sum, size_t n)
{
	struct dist *d = arena_alloc(e, sizeof *d);
	if (!d)
		return NULL;
	d->count = count;
	d->sum = sum;
	d->n = n;
	d->qvalues = NULL;
	d->counts = NULL;
	d->bounds = n ? arena_alloc(e, n * sizeof *d->bounds) : NULL;
	if (n && !d->bounds)
		return NULL;
	return d;
}

/*
 * A summary or histogram series: the label values, count, sum and n bounds
 * copied, plus room for n per-bound values of elem bytes copied from
 * points. Returns the series' dist, or NULL (sample dropped).
 */
static struct dist *add_dist(struct expo *e, struct family *f, enum metric_type type,
			     const char *const *values, uint64_t count, double sum, size_t n,
			     const double *bounds, const void *points, size_t elem, void **copy)
{
	if (f->type != type) {
		e->dropped++;
		return NULL;
	}
	struct series *s = new_series(e, f, values);
	if (!s)
		return NULL;
	struct dist *d = new_dist(e, count, sum, n);
	void *p = n ? arena_alloc(e, n * elem) : NULL;
	if (!d || (n && !p)) {
		f->nseries--;
		e->dropped++;
		return NULL;
	}
	/* No bounds is valid; memcpy must not see the NULL arrays. */
	if (n) {
		memcpy(d->bounds, bounds, n * sizeof *bounds);
		memcpy(p, points, n * elem);
	}
	*copy = p;
	s->dist = d;
	return d;
}

void expo_add_summary(struct expo *e, struct family *f, const char *const *values,
		      uint64_t count, double sum, size_t n, const double *quantiles,
		      const double *qvalues)
{
	void *copy;
	struct dist *d = add_dist(e, f, METRIC_SUMMARY, values, count, sum, n, quantiles, qvalues,
				  sizeof *qvalues, &copy);
	if (d)
		d->qvalues = copy;
}

void expo_add_histogram(struct expo *e, struct family *f, const char *const *values,
			uint64_t count, double sum, size_t n, const double *bounds,
			const uint64_t *cumulative)
{
	void *copy;
	struct dist *d = add_dist(e, f, METRIC_HISTOGRAM, values, count, sum, n, bounds, cumulative,
				  sizeof *cumulative, &copy);
	if (d)
		d->counts = copy;
}

/*
 * Families sort by name. Names of one exporter share long prefixes
 * ("node_network_", "pg_settings_"), so each carries its first 32 bytes as
 * four big-endian integers: most comparisons are settled by those, and
 * strcmp only looks at the rest of names that tie. Zero padding keeps
 * strcmp's order for names shorter than 32 bytes.
 */
static int cmp_family(const void *a, const void *b)
{
	return strcmp((*(struct family *const *)a)->name, (*(struct family *const *)b)->name);
}

struct sort_key {
	uint64_t k[4];
	struct family *f;
};

static void make_key(struct sort_key *sk, struct family *f)
{
	unsigned char first[32] = { 0 };
	memcpy(first, f->name, strnlen(f->name, sizeof first));
	sk->f = f;
	for (int i = 0; i < 4; i++)
		sk->k[i] = (uint64_t)first[8 * i] << 56 | (uint64_t)first[8 * i + 1] << 48 |
			   (uint64_t)first[8 * i + 2] << 40 | (uint64_t)first[8 * i + 3] << 32 |
			   (uint64_t)first[8 * i + 4] << 24 | (uint64_t)first[8 * i + 5] << 16 |
			   (uint64_t)first[8 * i + 6] << 8 | first[8 * i + 7];
}

/* <0, 0, >0 as strcmp of the two names. */
static inline int key_cmp(const struct sort_key *x, const struct sort_key *y)
{
	for (int i = 0; i < 4; i++)
		if (x->k[i] != y->k[i])
			return x->k[i] < y->k[i] ? -1 : 1;
	/* The first 32 bytes are equal: a name that ended within them is this very one. */
	if ((x->k[3] & 0xff) == 0)
		return 0;
	return strcmp(x->f->name + 32, y->f->name + 32);
}

/* Quicksort of the keys with the comparison inlined; insertion sort for short runs. */
static void sort_keys(struct sort_key *a, size_t n)
{
	while (n > 16) {
		struct sort_key pivot = a[n / 2], t;
		size_t i = 0, j = n - 1;
		for (;;) {
			while (key_cmp(&a[i], &pivot) < 0)
				i++;
			while (key_cmp(&a[j], &pivot) > 0)
				j--;
			if (i >= j)
				break;
			t = a[i];
			a[i] = a[j];
			a[j] = t;
			i++;
			j--;
		}
		/* Recurse into the smaller part, loop over the larger one. */
		size_t left = j + 1;
		if (left < n - left) {
			sort_keys(a, left);
			a += left;
			n -= left;
		} else {
			sort_keys(a + left, n - left);
			n = left;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct sort_key t = a[i];
		size_t j = i;
		for (; j > 0 && key_cmp(&a[j - 1], &t) > 0; j--)
			a[j] = a[j - 1];
		a[j] = t;
	}
}

static int cmp_series(const void *a, const void *b, void *ctx)
{
	const struct family *f = ctx;
	const struct series *x = a, *y = b;
	for (size_t i = 0; i < f->nlabels; i++) {
		size_t k = f->order[i];
		int c = strcmp(x->values[k], y->values[k]);
		if (c)
			return c;
	}
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same_series(const struct family *f, const struct series *x, const struct series *y)
{
	for (size_t i = 0; i < f->nlabels; i++)
		if (strcmp(x->values[i], y->values[i]) != 0)
			return false;
	return true;
}

static void sort_family(struct family *f)
{
	if (f->nseries < 2)
		return;
	/* Collectors often emit in order already (sorted directory listings). */
	bool sorted = true;
	for (size_t i = 1; i < f->nseries && sorted; i++)
		sorted = cmp_series(&f->series[i - 1], &f->series[i], f) < 0;
	if (!sorted)
		qsort_r(f->series, f->nseries, sizeof *f->series, cmp_series, f);
	size_t out = 1;
	for (size_t i = 1; i < f->nseries; i++) {
		if (same_series(f, &f->series[out - 1], &f->series[i])) {
			if (!f->logged) {
				f->logged = true;
				log_error("series collected twice with the same label values; keeping the first",
					  "family", f->name, NULL);
			}
			continue;
		}
		f->series[out++] = f->series[i];
	}
	f->nseries = out;
}

void expo_finish(struct expo *e)
{
	if (e->finished)
		return;
	e->finished = true;
	e->sorted = malloc((e->nfamilies ? e->nfamilies : 1) * sizeof *e->sorted);
	if (!e->sorted) {
		e->status = -ENOMEM;
		return;
	}
	e->nsorted = 0;
	for (size_t i = 0; i < e->table_size; i++) {
		struct family *f = e->table[i];
		if (f && f->nseries)
			e->sorted[e->nsorted++] = f;
	}
	struct sort_key *keys = malloc((e->nsorted ? e->nsorted : 1) * sizeof *keys);
	if (keys) {
		for (size_t i = 0; i < e->nsorted; i++)
			make_key(&keys[i], e->sorted[i]);
		sort_keys(keys, e->nsorted);
		for (size_t i = 0; i < e->nsorted; i++)
			e->sorted[i] = keys[i].f;
		free(keys);
	} else {
		qsort(e->sorted, e->nsorted, sizeof *e->sorted, cmp_family);
	}
	for (size_t i = 0; i < e->nsorted; i++)
		sort_family(e->sorted[i]);
}

size_t expo_family_count(const struct expo *e)
{
	return e->nsorted;
}

/* ---- rendering ---- */

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

int expo_escape_label(struct buf *out, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '\\': rep = "\\\\"; break;
		case '"': rep = "\\\""; break;
		case '\n': rep = "\\n"; break;
		default: continue;
		}
		TRY(buf_append(out, run, (size_t)(s - run)));
		TRY(buf_append(out, rep, 2));
		run = s + 1;
	}
	return buf_append(out, run, (size_t)(s - run));
}

static int escape_help(struct buf *out, const char *s, bool om)
{
	/* Most help texts have nothing to escape: one append. */
	size_t plain = strcspn(s, om ? "\\\n\"" : "\\\n");
	if (!s[plain])
		return buf_append(out, s, plain);
	const char *run = s;
	for (; *s; s++) {
		const char *rep;
		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && om)
			rep = "\\\"";
		else
			continue;
		TRY(buf_append(out, run, (size_t)(s - run)));
		TRY(buf_append(out, rep, 2));
		run = s + 1;
	}
	return buf_append(out, run, (size_t)(s - run));
}

/* Label names of more families than this have their lengths taken per line. */
#define RENDER_LABELS 64

struct render {
	struct buf *out;
	bool om;
	/* Of the family being rendered: taken once, not on every line. */
	size_t name_len;
	size_t label_len[RENDER_LABELS];
	/* The last timestamp written: series of one scrape mostly share it (container_exporter's). */
	int64_t ts_ms;
	char ts_text[FMT_NUM_MAX];
	size_t ts_len;
};

/* Copy a label value of n bytes escaped (\\ \" \n); the caller reserved 2 bytes per byte. */
static char *put_escaped(char *p, const char *s, size_t n)
{
	size_t plain = strcspn(s, "\\\"\n");
	memcpy(p, s, plain);
	p += plain;
	if (plain == n)
		return p;
	for (s += plain; *s; s++) {
		char c = *s;
		if (c == '\\' || c == '"') {
			*p++ = '\\';
			*p++ = c;
		} else if (c == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = c;
		}
	}
	return p;
}

/*
 * One sample line: name+suffix{labels[,extra="xval"]} value. The bound of
 * its length is computed first, so that the line is written straight into
 * the buffer without a check per piece.
 */
static int put_line(struct render *r, const struct family *f, const char *suffix,
		    const struct series *s, const char *extra, double xval, double value,
		    bool count, uint64_t ivalue, int64_t ts_ms)
{
	size_t name_len = r->name_len, suffix_len = suffix ? strlen(suffix) : 0;
	size_t need = name_len + suffix_len + 3 * FMT_NUM_MAX + 16; /* value, extra, timestamp */
	size_t value_len[RENDER_LABELS];
	bool known = f->nlabels <= RENDER_LABELS;
	for (size_t k = 0; k < f->nlabels; k++) {
		size_t vl = strlen(s->values[k]);
		if (known)
			value_len[k] = vl;
		need += (known ? r->label_len[k] : strlen(f->labels[k])) + 4 + 2 * vl;
	}
	TRY(buf_reserve(r->out, need));

	char *start = r->out->data + r->out->len, *p = start;
	memcpy(p, f->name, name_len);
	p += name_len;
	if (suffix) {
		memcpy(p, suffix, suffix_len);
		p += suffix_len;
	}
	char sep = '{';
	for (size_t i = 0; i < f->nlabels; i++) {
		size_t k = f->order[i];
		if (f->omit_empty && !s->values[k][0])
			continue;
		*p++ = sep;
		sep = ',';
		size_t ln = known ? r->label_len[k] : strlen(f->labels[k]);
		memcpy(p, f->labels[k], ln);
		p += ln;
		*p++ = '=';
		*p++ = '"';
		p = put_escaped(p, s->values[k], known ? value_len[k] : strlen(s->values[k]));
		*p++ = '"';
	}
	if (extra) {
		*p++ = sep;
		sep = ',';
		size_t ln = strlen(extra);
		memcpy(p, extra, ln);
		p += ln;
		*p++ = '=';
		*p++ = '"';
		p += r->om ? fmt_float_om(p, xval) : fmt_float(p, xval);
		*p++ = '"';
	}
	if (sep == ',')
		*p++ = '}';
	*p++ = ' ';
	/* Counts are a float in text 0.0.4 (client_golang), an integer in OpenMetrics. */
	if (count)
		p += r->om ? fmt_u64(p, ivalue) : fmt_float(p, (double)ivalue);
	else
		p += r->om ? fmt_float_om(p, value) : fmt_float(p, value);
	if (ts_ms != EXPO_NO_TS) {
		if (ts_ms != r->ts_ms) {
			/* Milliseconds in text 0.0.4; seconds with a fraction in OpenMetrics. */
			char *t = r->ts_text;
			t += fmt_u64(t, (uint64_t)(r->om ? ts_ms / 1000 : ts_ms));
			if (r->om) {
				unsigned ms = (unsigned)(ts_ms % 1000);
				*t++ = '.';
				*t++ = (char)('0' + ms / 100);
				*t++ = (char)('0' + ms / 10 % 10);
				*t++ = (char)('0' + ms % 10);
			}
			r->ts_ms = ts_ms;
			r->ts_len = (size_t)(t - r->ts_text);
		}
		*p++ = ' ';
		memcpy(p, r->ts_text, r->ts_len);
		p += r->ts_len;
	}
	*p++ = '\n';
	r->out->len += (size_t)(p - start);
	r->out->data[r->out->len] = '\0';
	return 0;
}

static bool all_ones(const struct family *f)
{
	for (size_t i = 0; i < f->nseries; i++)
		if (f->series[i].value != 1)
			return false;
	return true;
}

/*
 * Name and type for the metadata lines. OpenMetrics strips _total from
 * counters and _info from info families; a counter without _total would be
 * renamed by a scraper (foo -> foo_total) and break dashboards, so it is
 * exposed as "unknown" under its own name instead.
 */
static void meta_of(const struct family *f, bool om, const char **type, size_t *name_len)
{
	size_t n = strlen(f->name);
	*name_len = n;
	switch (f->type) {
	case METRIC_COUNTER:
		*type = "counter";
		if (om) {
			if (n > 6 && strcmp(f->name + n - 6, "_total") == 0)
				*name_len = n - 6;
			else
				*type = "unknown";
		}
		return;
	case METRIC_GAUGE: *type = "gauge"; return;
	case METRIC_UNTYPED: *type = om ? "unknown" : "untyped"; return;
	case METRIC_SUMMARY: *type = "summary"; return;
	case METRIC_HISTOGRAM: *type = "histogram"; return;
	case METRIC_INFO:
		*type = "gauge";
		if (om && n > 5 && strcmp(f->name + n - 5, "_info") == 0 && all_ones(f)) {
			*type = "info";
			*name_len = n - 5;
		}
		return;
	}
	*type = "untyped";
}

static int render_family(struct render *r, const struct family *f)
{
	struct buf *out = r->out;
	const char *type;
	size_t name_len;
	meta_of(f, r->om, &type, &name_len);

	/* Most help texts have nothing to escape: both lines written at once. */
	size_t help_len = strlen(f->help), type_len = strlen(type);
	if (strcspn(f->help, r->om ? "\\\n\"" : "\\\n") == help_len) {
		TRY(buf_reserve(out, 2 * name_len + help_len + type_len + 18));
		char *p = out->data + out->len;
		memcpy(p, "# HELP ", 7);
		memcpy(p += 7, f->name, name_len);
		*(p += name_len) = ' ';
		memcpy(++p, f->help, help_len);
		memcpy(p += help_len, "\n# TYPE ", 8);
		memcpy(p += 8, f->name, name_len);
		*(p += name_len) = ' ';
		memcpy(++p, type, type_len);
		*(p += type_len) = '\n';
		out->len = (size_t)(p + 1 - out->data);
		out->data[out->len] = '\0';
	} else {
		TRY(buf_append(out, "# HELP ", 7));
		TRY(buf_append(out, f->name, name_len));
		TRY(buf_putc(out, ' '));
		TRY(escape_help(out, f->help, r->om));
		TRY(buf_append(out, "\n# TYPE ", 8));
		TRY(buf_append(out, f->name, name_len));
		TRY(buf_putc(out, ' '));
		TRY(buf_puts(out, type));
		TRY(buf_putc(out, '\n'));
	}

	r->name_len = strlen(f->name);
	for (size_t k = 0; k < f->nlabels && k < RENDER_LABELS; k++)
		r->label_len[k] = strlen(f->labels[k]);
	for (size_t i = 0; i < f->nseries; i++) {
		const struct series *s = &f->series[i];
		const struct dist *d = s->dist;
		if (f->type == METRIC_SUMMARY) {
			for (size_t q = 0; q < d->n; q++)
				TRY(put_line(r, f, NULL, s, "quantile", d->bounds[q], d->qvalues[q], false,
					     0, EXPO_NO_TS));
		} else if (f->type == METRIC_HISTOGRAM) {
			for (size_t b = 0; b < d->n; b++)
				TRY(put_line(r, f, "_bucket", s, "le", d->bounds[b], 0, true,
					     d->counts[b], EXPO_NO_TS));
			if (!d->n || !isinf(d->bounds[d->n - 1]))
				TRY(put_line(r, f, "_bucket", s, "le", INFINITY, 0, true, d->count,
					     EXPO_NO_TS));
		} else {
			TRY(put_line(r, f, NULL, s, NULL, 0, s->value, false, 0, s->ts_ms));
			continue;
		}
		TRY(put_line(r, f, "_sum", s, NULL, 0, d->sum, false, 0, EXPO_NO_TS));
		TRY(put_line(r, f, "_count", s, NULL, 0, 0, true, d->count, EXPO_NO_TS));
	}
	return 0;
}

int expo_render(struct expo *e, enum expo_format fmt, struct buf *out)
{
	expo_finish(e);
	if (!e->sorted)
		return -ENOMEM;
	struct render r = { .out = out, .om = fmt == EXPO_OPENMETRICS, .ts_ms = EXPO_NO_TS };
	for (size_t i = 0; i < e->nsorted; i++)
		TRY(render_family(&r, e->sorted[i]));
	if (r.om)
		TRY(buf_append(out, "# EOF\n", 6));
	return 0;
}

void expo_append_label(struct expo *e, const char *prefix, const char *const *skip, const char *name,
		       const char *value)
{
	e->append_prefix = prefix;
	e->append_skip = skip;
	e->append_name = name;
	e->append_value = value ? value : "";
}
