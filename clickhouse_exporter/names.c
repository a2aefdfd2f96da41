/* Metric names and the emitting helpers the collectors share. */
#include <stdlib.h>
#include <string.h>

#include "../common/hashtab.h"
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
	unsigned gen;
	char name[];
};

struct name_entry {
	char *raw, *metric, *help; /* one allocation: raw, then metric, then help */
	struct mark *mark; /* NULL for an entry made for one row only */
};

struct ch_names {
	struct hashtab by_raw[SEC_N]; /* name_entry by the row's name, per section */
	struct hashtab marks; /* mark by metric name */
	size_t n;
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
	for (int sec = 0; sec < SEC_N; sec++) {
		for (size_t i = 0; i < n->by_raw[sec].cap; i++) {
			struct name_entry *ne = n->by_raw[sec].slots[i].val;
			if (ne)
				free(ne->raw);
			free(ne);
		}
		hashtab_free(&n->by_raw[sec]);
	}
	for (size_t i = 0; i < n->marks.cap; i++)
		free(n->marks.slots[i].val);
	hashtab_free(&n->marks);
	free(n);
}

void ch_names_next_scrape(struct ch_names *n)
{
	if (n)
		n->gen++;
}

/* The mark of a metric name, found or added; NULL when memory runs out. */
static struct mark *mark_of(struct ch_names *n, const char *name)
{
	size_t len = strlen(name);
	uint64_t h = hash_bytes(name, len);
	struct mark *m = hashtab_get(&n->marks, name, h);
	if (m)
		return m;
	m = malloc(sizeof *m + len + 1);
	if (!m)
		return NULL;
	m->gen = n->gen - 1;
	memcpy(m->name, name, len + 1);
	if (hashtab_put(&n->marks, m->name, h, m) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

/* Metric name and help of a row, from the cache or made (and cached when there is room). */
static const struct name_entry *lookup(struct ch_names *n, struct name_entry *tmp, char *buf, size_t buflen, int sec,
				       const char *raw, const char *suffix, const char *help_pre,
				       const char *help_post)
{
	uint64_t h = hash_bytes(raw, strlen(raw));
	if (n) {
		const struct name_entry *found = hashtab_get(&n->by_raw[sec], raw, h);
		if (found)
			return found;
	}
	char name[256];
	if (ch_metric_name(name, sizeof name, raw, suffix) < 0)
		return NULL;
	int len = strf(buf, buflen, "%s%c%s%c%s%s%s", raw, 0, name, 0, help_pre, raw, help_post);
	if (len < 0 || (size_t)len >= buflen)
		return NULL;
	*tmp = (struct name_entry){ .raw = buf, .metric = buf + strlen(raw) + 1 };
	tmp->help = tmp->metric + strlen(name) + 1;
	if (!n || n->n >= NAMES_MAX)
		return tmp;
	struct name_entry *ne = malloc(sizeof *ne);
	char *copy = ne ? malloc((size_t)len + 1) : NULL;
	struct mark *m = copy ? mark_of(n, name) : NULL;
	if (m) {
		memcpy(copy, buf, (size_t)len + 1);
		*ne = (struct name_entry){ .raw = copy, .metric = copy + (tmp->metric - buf),
					   .help = copy + (tmp->help - buf), .mark = m };
		if (hashtab_put(&n->by_raw[sec], ne->raw, h, ne) == 0) {
			n->n++;
			return ne;
		}
	}
	free(copy);
	free(ne);
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
