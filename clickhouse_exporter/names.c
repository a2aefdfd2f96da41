/* Metric names and the emitting helpers the collectors share. */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "clickhouse.h"

static bool upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool name_char(char c)
{
	return lower(c) || upper(c) || (c >= '0' && c <= '9') || c == '_' || c == ':';
}

int ch_metric_name(char *dst, size_t cap, const char *raw, const char *suffix)
{
	static const char prefix[] = "clickhouse_";
	size_t len = sizeof prefix - 1, slen = strlen(suffix);
	if (cap < len + slen + 1)
		return -1;
	memcpy(dst, prefix, len);
	for (size_t i = 0; raw[i]; i++) {
		char c = raw[i];
		/* An underscore starts a word: "HTTPConnection" -> http_connection, "OSCPUWait" -> oscpu_wait. */
		bool word = i > 0 && upper(c) && (lower(raw[i + 1]) || lower(raw[i - 1]));
		if (len + slen + 3 > cap)
			return -1;
		if (word)
			dst[len++] = '_';
		dst[len++] = upper(c) ? (char)(c - 'A' + 'a') : name_char(c) ? c : '_';
	}
	memcpy(dst + len, suffix, slen + 1);
	return 0;
}

/* Most names kept per connection; a server with more is served without the cache. */
#define NAMES_MAX 16384

/*
 * A metric name as several rows may make it (the same entry in
 * system.metrics and system.asynchronous_metrics, jemalloc.active and
 * jemalloc_active): the scrape that last emitted it, so that it is
 * emitted once without asking the exposition.
 */
struct mark {
	uint64_t hash;
	unsigned gen;
	char name[];
};

struct name_entry {
	uint64_t hash;
	int sec;
	char *raw, *metric, *help; /* one allocation: raw, then metric, then help */
	struct mark *mark; /* NULL for an entry made for one row only */
};

struct ch_names {
	struct name_entry *slots;
	size_t cap, n;
	struct mark **marks; /* by metric name */
	size_t mcap, mn;
	unsigned gen; /* the scrape */
};

struct ch_names *ch_names_new(void)
{
	return calloc(1, sizeof(struct ch_names));
}

void ch_names_free(struct ch_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->cap; i++)
		free(n->slots[i].raw);
	for (size_t i = 0; i < n->mcap; i++)
		free(n->marks[i]);
	free(n->slots);
	free(n->marks);
	free(n);
}

void ch_names_next_scrape(struct ch_names *n)
{
	if (n)
		n->gen++;
}

/* FNV-1a over eight bytes at a time, with the section mixed in. */
static uint64_t hash_name(int sec, const char *s)
{
	size_t n = strlen(s);
	uint64_t h = (14695981039346656037u ^ (uint64_t)sec) * 1099511628211u ^ n, w;
	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 1099511628211u;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 1099511628211u;
	return h ^ h >> 29;
}

/* The slot of (sec, raw): its entry, or the empty slot where it belongs. */
static struct name_entry *slot_of(struct ch_names *n, uint64_t h, int sec, const char *raw)
{
	size_t i = (size_t)h & (n->cap - 1);
	while (n->slots[i].raw && !(n->slots[i].hash == h && n->slots[i].sec == sec && !strcmp(n->slots[i].raw, raw)))
		i = (i + 1) & (n->cap - 1);
	return &n->slots[i];
}

/* The slot of a metric name in the marks: its mark, or the empty slot where it belongs. */
static struct mark **mark_slot(struct ch_names *n, uint64_t h, const char *name)
{
	size_t i = (size_t)h & (n->mcap - 1);
	while (n->marks[i] && !(n->marks[i]->hash == h && !strcmp(n->marks[i]->name, name)))
		i = (i + 1) & (n->mcap - 1);
	return &n->marks[i];
}

/* Double a table (slots, or marks when marks is set). */
static int names_grow(struct ch_names *n, bool marks)
{
	size_t oldcap = marks ? n->mcap : n->cap;
	size_t cap = oldcap ? oldcap * 2 : 512;
	if (marks) {
		struct mark **old = n->marks;
		n->marks = calloc(cap, sizeof *n->marks);
		if (!n->marks) {
			n->marks = old;
			return -1;
		}
		n->mcap = cap;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				*mark_slot(n, old[i]->hash, old[i]->name) = old[i];
		free(old);
		return 0;
	}
	struct name_entry *old = n->slots;
	n->slots = calloc(cap, sizeof *n->slots);
	if (!n->slots) {
		n->slots = old;
		return -1;
	}
	n->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].raw)
			*slot_of(n, old[i].hash, old[i].sec, old[i].raw) = old[i];
	free(old);
	return 0;
}

/* The mark of a metric name, found or added; NULL when memory runs out. */
static struct mark *mark_of(struct ch_names *n, const char *name)
{
	if (!n->mcap && names_grow(n, true) < 0)
		return NULL;
	uint64_t h = hash_name(0, name);
	struct mark **slot = mark_slot(n, h, name);
	if (*slot)
		return *slot;
	size_t len = strlen(name);
	struct mark *m = malloc(sizeof *m + len + 1);
	if (!m)
		return NULL;
	m->hash = h;
	m->gen = n->gen - 1;
	memcpy(m->name, name, len + 1);
	*slot = m;
	if (++n->mn * 2 > n->mcap)
		names_grow(n, true);
	return m;
}

/* Metric name and help of a row, from the cache or made (and cached when there is room). */
static const struct name_entry *lookup(struct ch_names *n, struct name_entry *tmp, char *buf, size_t buflen, int sec,
				       const char *raw, const char *suffix, const char *help_pre,
				       const char *help_post)
{
	uint64_t h = hash_name(sec, raw);
	struct name_entry *slot = NULL;
	if (n && (n->cap || names_grow(n, false) == 0)) {
		slot = slot_of(n, h, sec, raw);
		if (slot->raw)
			return slot;
		if (n->n >= NAMES_MAX)
			slot = NULL;
	}
	char name[256];
	if (ch_metric_name(name, sizeof name, raw, suffix) < 0)
		return NULL;
	int len = strf(buf, buflen, "%s%c%s%c%s%s%s", raw, 0, name, 0, help_pre, raw, help_post);
	if (len < 0 || (size_t)len >= buflen)
		return NULL;
	*tmp = (struct name_entry){ .hash = h, .sec = sec, .raw = buf, .metric = buf + strlen(raw) + 1 };
	tmp->help = tmp->metric + strlen(name) + 1;
	if (!slot)
		return tmp;
	char *copy = malloc((size_t)len + 1);
	struct mark *m = copy ? mark_of(n, name) : NULL;
	if (!m) {
		free(copy);
		return tmp;
	}
	memcpy(copy, buf, (size_t)len + 1);
	*slot = (struct name_entry){ .hash = h, .sec = sec, .raw = copy, .metric = copy + (tmp->metric - buf),
				     .help = copy + (tmp->help - buf), .mark = m };
	tmp->mark = m;
	n->n++;
	if (n->n * 2 > n->cap)
		names_grow(n, false);
	return tmp;
}

void ch_emit_values(struct expo *e, const struct ch_result *r, enum ch_sec sec, enum metric_type type,
		    const char *suffix, const char *help_pre, const char *help_post)
{
	if (!ch_section_usable(r, sec))
		return;
	char buf[1024];
	struct name_entry tmp;
	unsigned gen = r->names ? r->names->gen : 0;
	const struct ch_row *row = r->rows + r->first[sec];
	for (size_t i = 0; i < r->count[sec]; i++, row++) {
		const struct name_entry *ne =
			lookup(r->names, &tmp, buf, sizeof buf, (int)sec, row->l[0], suffix, help_pre, help_post);
		/* A name another section already gave (or this one, twice) is served once. */
		if (!ne || (ne->mark ? ne->mark->gen == gen : expo_find(e, ne->metric) != NULL))
			continue;
		if (ne->mark)
			ne->mark->gen = gen;
		expo_value(e, expo_family(e, ne->metric, type, ne->help, NULL), row->v[0]);
	}
}

int ch_section_status(struct scrape *s, const struct ch_result *r, enum ch_sec sec)
{
	const struct ch_section *d = ch_sections[sec];
	switch (r->state[sec]) {
	case SEC_NOT_ASKED:
	case SEC_ABSENT:
		strf(s->err, sizeof s->err, "system.%s is not available on this server",
		     d->table ? d->table : d->key);
		return COLLECT_NODATA;
	case SEC_FAILED:
		return scrape_fail(s, "%s", r->err[sec]);
	case SEC_QUIET:
	case SEC_OK:
		break;
	}
	if (r->bad_rows[sec])
		return scrape_fail(s, "%zu rows of system.%s skipped: not parsable", r->bad_rows[sec],
				   d->table ? d->table : d->key);
	return COLLECT_OK;
}

bool ch_section_usable(const struct ch_result *r, enum ch_sec sec)
{
	return r->state[sec] == SEC_OK;
}

void ch_emit_table_gauge(struct expo *e, const struct ch_result *r, enum ch_sec sec, int i,
			 const char *name, const char *help)
{
	if (!ch_section_usable(r, sec))
		return;
	struct family *f = expo_family(e, name, METRIC_GAUGE, help, (const char *const[]){ "database", "table", NULL });
	const struct ch_row *row = r->rows + r->first[sec];
	for (size_t k = 0; k < r->count[sec]; k++, row++)
		expo_sample(e, f, row->v[i], row->l[0], row->l[1]);
}
