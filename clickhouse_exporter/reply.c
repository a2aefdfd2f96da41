/*
 * Rows of the uniform reply (see clickhouse.h): columns are found by name
 * in the header, so a reply with more columns than asked still reads; a
 * row that does not parse is skipped and counted against its section,
 * never against the whole scrape.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "clickhouse.h"

enum ch_sec ch_sec_of(const char *key)
{
	for (int s = 0; s < SEC_N; s++)
		if (!strcmp(ch_sections[s]->key, key))
			return (enum ch_sec)s;
	return SEC_N;
}

/* Most values are 0 or whole numbers: those skip parse_double's checks for inf and nan. */
static int value_of(const char *s, double *out)
{
	if (s[0] == '0' && !s[1]) {
		*out = 0;
		return 0;
	}
	uint64_t u;
	if (s[0] >= '1' && s[0] <= '9' && parse_u64(s, &u) == 0) {
		*out = (double)u;
		return 0;
	}
	return parse_double(s, out);
}

static int grow(struct ch_rows *rows)
{
	if (rows->n < rows->cap)
		return 0;
	size_t cap = rows->cap ? rows->cap * 2 : 256;
	struct ch_row *r = realloc(rows->rows, cap * sizeof *r);
	if (!r)
		return -1;
	rows->rows = r;
	struct ch_row *s = realloc(rows->sorted, cap * sizeof *s);
	if (!s)
		return -1;
	rows->sorted = s;
	rows->cap = cap;
	return 0;
}

int ch_rows_parse(struct ch_rows *rows, char *data, size_t len, char *err, size_t errlen)
{
	struct tsv t;
	if (tsv_open(&t, data, len, err, errlen) < 0)
		return -1;
	/* The key, then labels and values: a statement has only those its sections use. */
	static const char *const names[1 + CH_NLABELS + CH_NVALUES] = { "k", "l1", "l2", "l3", "l4",
									 "v1", "v2", "v3", "v4" };
	int col[1 + CH_NLABELS + CH_NVALUES];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		col[i] = tsv_column(&t, names[i]);
	if (col[0] < 0) {
		strf(err, errlen, "reply without column k");
		return -1;
	}
	char *f[32];
	long nf;
	while ((nf = tsv_next(&t, f, sizeof f / sizeof f[0])) != 0) {
		if (nf < 0) {
			strf(err, errlen, "server error after %zu rows: %.200s", t.line - 3, f[0]);
			return -1;
		}
		enum ch_sec sec = nf > col[0] ? ch_sec_of(f[col[0]]) : SEC_N;
		if (sec == SEC_N) {
			/* Not a row we asked for: counted against the version section. */
			rows->bad[SEC_VERSION]++;
			continue;
		}
		if ((size_t)nf != t.ncols) {
			rows->bad[sec]++;
			continue;
		}
		if (grow(rows) < 0) {
			strf(err, errlen, "out of memory");
			return -1;
		}
		struct ch_row *r = &rows->rows[rows->n];
		r->sec = sec;
		for (int i = 0; i < CH_NLABELS; i++)
			r->l[i] = col[1 + i] >= 0 ? f[col[1 + i]] : "";
		bool ok = true;
		for (int i = 0; i < CH_NVALUES && ok; i++) {
			int c = col[1 + CH_NLABELS + i];
			r->v[i] = 0;
			ok = c < 0 || value_of(f[c], &r->v[i]) == 0;
		}
		if (!ok) {
			rows->bad[sec]++;
			continue;
		}
		rows->n++;
	}
	return 0;
}

void ch_rows_finish(struct ch_rows *rows, struct ch_result *res)
{
	size_t count[SEC_N] = { 0 };
	for (size_t i = 0; i < rows->n; i++)
		count[rows->rows[i].sec]++;
	size_t at = 0;
	for (int s = 0; s < SEC_N; s++) {
		res->first[s] = at;
		res->count[s] = count[s];
		at += count[s];
	}
	size_t next[SEC_N];
	memcpy(next, res->first, sizeof next);
	for (size_t i = 0; i < rows->n; i++)
		rows->sorted[next[rows->rows[i].sec]++] = rows->rows[i];
	/* Never NULL: collectors index it by section even when there are no rows. */
	static struct ch_row none[1];
	res->rows = rows->sorted ? rows->sorted : none;
	res->nrows = rows->n;
	memcpy(res->bad_rows, rows->bad, sizeof res->bad_rows);
}

void ch_rows_free(struct ch_rows *rows)
{
	free(rows->rows);
	free(rows->sorted);
	memset(rows, 0, sizeof *rows);
}
