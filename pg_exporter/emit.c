/* Turning result sets into families: the shape most collectors share. */
#include <stdio.h>

#include "../common/parse.h"
#include "pg.h"

#define MAX_LABELS 16

int pg_emit_table(struct scrape *s, struct expo *e, const PGresult *r, const char *const *labels,
		  const char *null_label, const struct pg_col *cols, size_t ncols)
{
	int nlabels = 0;
	while (labels && labels[nlabels])
		nlabels++;
	if (nlabels >= MAX_LABELS)
		return scrape_fail(s, "too many labels");
	int rc = pg_expect_cols(s, r, nlabels + (int)ncols, "query result");
	if (rc)
		return rc;
	struct family *fams[64];
	if (ncols > sizeof fams / sizeof fams[0])
		return scrape_fail(s, "too many columns");
	for (size_t i = 0; i < ncols; i++)
		fams[i] = expo_family(e, cols[i].name, cols[i].type, cols[i].help, labels);
	const char *values[MAX_LABELS];
	for (int row = 0; row < PQntuples(r); row++) {
		for (int l = 0; l < nlabels; l++)
			values[l] = pg_is_null(r, row, l) ? null_label : PQgetvalue(r, row, l);
		for (size_t i = 0; i < ncols; i++) {
			int col = nlabels + (int)i;
			double v;
			int g = pg_get_double(r, row, col, &v);
			if (g < 0)
				return pg_bad_value(s, r, row, col);
			if (g > 0) {
				if (cols[i].null == PGN_SKIP)
					continue;
				v = 0;
			}
			expo_add(e, fams[i], pg_scale(v, cols[i].scale), values);
		}
	}
	return COLLECT_OK;
}

int pg_query_emit(struct scrape *s, struct expo *e, const char *name, const char *sql,
		  const char *const *labels, const char *null_label, const struct pg_col *cols,
		  size_t ncols)
{
	PGresult *r;
	int rc = pg_query(s, name, sql, &r);
	if (rc)
		return rc;
	rc = pg_emit_table(s, e, r, labels, null_label, cols, ncols);
	PQclear(r);
	return rc;
}

int pg_append_literal(struct buf *b, const char *s)
{
	if (buf_putc(b, '\'') < 0)
		return -1;
	for (; *s; s++)
		if ((*s == '\'' && buf_putc(b, '\'') < 0) || buf_putc(b, *s) < 0)
			return -1;
	return buf_putc(b, '\'');
}

double pg_scale(double v, double scale)
{
	if (scale > 0)
		return v * scale;
	if (scale < 0)
		return v / -scale;
	return v;
}

int pg_collect_per_database(struct scrape *s, struct expo *e, const char *name, const char *sql,
			    const struct pg_col *cols, size_t ncols)
{
	const char *const *dbs;
	size_t n;
	int rc = pg_databases(s, &dbs, &n);
	if (rc)
		return rc;
	const char *const labels[] = { "datname", "schemaname", "relname", NULL };
	int result = COLLECT_OK;
	char first_err[sizeof s->err] = "";
	for (size_t i = 0; i < n; i++) {
		PGresult *r;
		rc = pg_query_db(s, dbs[i], name, sql, &r);
		if (rc == COLLECT_NODATA)
			continue;
		if (rc == COLLECT_OK) {
			rc = pg_emit_table(s, e, r, labels, "unknown", cols, ncols);
			PQclear(r);
		}
		if (rc != COLLECT_OK && result == COLLECT_OK) {
			result = rc;
			strf(first_err, sizeof first_err, "%s", s->err);
		}
	}
	if (result != COLLECT_OK)
		strf(s->err, sizeof s->err, "%s", first_err);
	return result;
}

