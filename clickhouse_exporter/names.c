/* Metric names and the emitting helpers the collectors share. */
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

void ch_emit_values(struct expo *e, const struct ch_result *r, enum ch_sec sec, enum metric_type type,
		    const char *suffix, const char *help_pre, const char *help_post)
{
	if (!ch_section_usable(r, sec))
		return;
	char name[256], help[512];
	const struct ch_row *row = r->rows + r->first[sec];
	for (size_t i = 0; i < r->count[sec]; i++, row++) {
		if (ch_metric_name(name, sizeof name, row->n, suffix) < 0 || expo_find(e, name))
			continue;
		strf(help, sizeof help, "%s%s%s", help_pre, row->n, help_post);
		expo_value(e, expo_family(e, name, type, help, NULL), row->v[0]);
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
		expo_sample(e, f, row->v[i], row->d, row->t);
}
