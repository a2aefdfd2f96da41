/*
 * What a server offers, asked once per connection in one request: its
 * version, whether settings may be sent (readonly=1 refuses them all), and
 * the columns of the system tables the sections read. The sections then
 * choose their SQL from this (system.disks only from 19.15, failed
 * mutations only where latest_fail_reason exists...), so no scrape fails
 * on a table or column the server lacks.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "clickhouse.h"

static char probe_sql[2048];

const char *ch_probe_sql(void)
{
	if (probe_sql[0])
		return probe_sql;
	/* Built once at start-up (main.c calls this before threads start). */
	char tables[1024] = "";
	size_t len = 0;
	for (int s = 0; s < SEC_N; s++) {
		const char *t = ch_sections[s]->table;
		if (!t)
			continue;
		char quoted[80];
		strf(quoted, sizeof quoted, "'%s'", t);
		if (strstr(tables, quoted))
			continue;
		len += (size_t)strf(tables + len, sizeof tables - len, "%s%s", len ? ", " : "", quoted);
	}
	strf(probe_sql, sizeof probe_sql,
	     "SELECT 'version' AS k, version() AS v"
	     " UNION ALL SELECT 'readonly', toString(value) FROM system.settings WHERE name = 'readonly'"
	     " UNION ALL SELECT 'column', concat(toString(table), '.', toString(name)) FROM system.columns"
	     " WHERE database = 'system' AND table IN (%s)"
	     " FORMAT TabSeparatedWithNamesAndTypes",
	     tables);
	return probe_sql;
}

int ch_caps_from_rows(struct ch_caps *caps, char *data, size_t len, char *err, size_t errlen)
{
	ch_caps_free(caps);
	struct tsv t;
	if (tsv_open(&t, data, len, err, errlen) < 0)
		return -1;
	int kc = tsv_column(&t, "k"), vc = tsv_column(&t, "v");
	if (kc < 0 || vc < 0) {
		strf(err, errlen, "probe reply without columns k and v");
		return -1;
	}
	/* Room for every column line, plus the leading newline the lookups rely on. */
	caps->columns = malloc(len + 2);
	if (!caps->columns) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	size_t at = 0;
	caps->columns[at++] = '\n';
	char *f[32];
	long n;
	while ((n = tsv_next(&t, f, 32)) != 0) {
		if (n < 0 || (size_t)n != t.ncols) {
			strf(err, errlen, "malformed probe reply");
			ch_caps_free(caps);
			return -1;
		}
		const char *k = f[kc], *v = f[vc];
		if (!strcmp(k, "version")) {
			strf(caps->version, sizeof caps->version, "%s", v);
		} else if (!strcmp(k, "readonly")) {
			caps->readonly = !strcmp(v, "1");
		} else if (!strcmp(k, "column") && !strchr(v, '\n')) {
			size_t vl = strlen(v);
			memcpy(caps->columns + at, v, vl);
			at += vl;
			caps->columns[at++] = '\n';
			caps->ncolumns++;
		}
	}
	caps->columns[at] = '\0';
	if (!caps->version[0]) {
		strf(err, errlen, "probe reply without the server version");
		ch_caps_free(caps);
		return -1;
	}
	/* Looked up by every scrape: once here. */
	for (int s = 0; s < SEC_N; s++)
		if (!ch_sections[s]->table || ch_caps_has(caps, ch_sections[s]->table, NULL))
			caps->tables |= 1u << s;
	return 0;
}

bool ch_caps_has(const struct ch_caps *caps, const char *table, const char *column)
{
	if (!caps->columns)
		return false;
	char needle[160];
	if (column)
		strf(needle, sizeof needle, "\n%s.%s\n", table, column);
	else
		strf(needle, sizeof needle, "\n%s.", table);
	return strstr(caps->columns, needle) != NULL;
}

void ch_caps_free(struct ch_caps *caps)
{
	free(caps->columns);
	memset(caps, 0, sizeof *caps);
}
