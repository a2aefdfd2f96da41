/*
 * stat_statements: the statements that took the most time, from the
 * pg_stat_statements extension: at most --collector.stat_statements.limit
 * of them among those above the 10th percentile of total time, so the
 * number of queryid series stays bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../../common/buf.h"
#include "../../common/log.h"
#include "../pg.h"

static bool include_query;
static long query_length;
static long statement_limit;
static const char *exclude_databases;
static const char *exclude_users;

static struct flag stat_statements_flags[] = {
	{ .name = "collector.stat_statements.include_query", .type = FLAG_BOOL,
	  .dest = &include_query, .def = "false",
	  .help = "Enable selecting statement query together with queryId. (default: disabled)" },
	{ .name = "collector.stat_statements.query_length", .type = FLAG_INT, .dest = &query_length,
	  .def = "120", .help = "Maximum length of the statement text." },
	{ .name = "collector.stat_statements.limit", .type = FLAG_INT, .dest = &statement_limit,
	  .def = "100", .help = "Maximum number of statements to return." },
	{ .name = "collector.stat_statements.exclude_databases", .type = FLAG_STRING,
	  .dest = &exclude_databases, .def = "",
	  .help = "Comma-separated list of database names to exclude." },
	{ .name = "collector.stat_statements.exclude_users", .type = FLAG_STRING,
	  .dest = &exclude_users, .def = "",
	  .help = "Comma-separated list of user names to exclude." },
};

struct ss_state {
	struct namelist dbs, users;
};

static int stat_statements_init(void **state, char *err, size_t errlen)
{
	if (query_length < 0 || statement_limit < 0) {
		strf(err, errlen, "--collector.stat_statements.query_length and .limit must not be negative");
		return -1;
	}
	struct ss_state *st = calloc(1, sizeof *st);
	if (!st || namelist_split(&st->dbs, exclude_databases, true) < 0 ||
	    namelist_split(&st->users, exclude_users, true) < 0) {
		if (st) {
			namelist_free(&st->dbs);
			free(st);
		}
		strf(err, errlen, "out of memory");
		return -1;
	}
	*state = st;
	return 0;
}

static void stat_statements_fini(void *state)
{
	struct ss_state *st = state;
	if (!st)
		return;
	namelist_free(&st->dbs);
	namelist_free(&st->users);
	free(st);
}

static int exclusion(struct buf *b, const struct namelist *l, const char *expr)
{
	if (!l->n)
		return 0;
	int rc = buf_printf(b, " AND %s NOT IN (", expr);
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		rc = i ? buf_puts(b, ", ") : 0;
		rc = rc ? rc : pg_append_literal(b, l->names[i]);
	}
	return rc ? rc : buf_putc(b, ')');
}

/* The statement for a server version (13: total_exec_time; 17: shared_blk_*_time). */
int pg_stat_statements_sql(struct buf *b, int version, bool with_query, long qlen, long limit,
			   const struct namelist *dbs, const struct namelist *users);

int pg_stat_statements_sql(struct buf *b, int version, bool with_query, long qlen, long limit,
			   const struct namelist *dbs, const struct namelist *users)
{
	const char *total = version >= 130000 ? "total_exec_time" : "total_time";
	const char *rd = version >= 170000 ? "shared_blk_read_time" : "blk_read_time";
	const char *wr = version >= 170000 ? "shared_blk_write_time" : "blk_write_time";
	const char *from = version >= 130000 ? (with_query ? "pg_stat_statements(true)" : "pg_stat_statements(false)")
					     : "pg_stat_statements";
	const char *inner = version >= 130000 ? "pg_stat_statements(false)" : "pg_stat_statements";
	int rc = buf_puts(b, "SELECT pg_get_userbyid(userid), pg_database.datname, pg_stat_statements.queryid, ");
	if (with_query)
		rc = rc ? rc : buf_printf(b, "LEFT(pg_stat_statements.query, %ld), ", qlen);
	rc = rc ? rc
		: buf_printf(b,
			     "pg_stat_statements.calls, pg_stat_statements.%s / 1000.0 AS seconds_total, "
			     "pg_stat_statements.rows, pg_stat_statements.%s / 1000.0, "
			     "pg_stat_statements.%s / 1000.0 FROM %s AS pg_stat_statements "
			     "JOIN pg_database ON pg_database.oid = pg_stat_statements.dbid "
			     "WHERE %s > (SELECT percentile_cont(0.1) WITHIN GROUP (ORDER BY %s) FROM %s)",
			     total, rd, wr, from, total, total, inner);
	rc = rc ? rc : exclusion(b, dbs, "pg_database.datname");
	rc = rc ? rc : exclusion(b, users, "pg_get_userbyid(userid)");
	return rc ? rc : buf_printf(b, " ORDER BY seconds_total DESC LIMIT %ld", limit > 0 ? limit : 100);
}

static uint64_t key_hash(const char *a, const char *b, const char *c)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *s[] = { a, "|", b, "|", c }, **p = s; p < s + 5; p++)
		for (const char *q = *p; *q; q++)
			h = (h ^ (unsigned char)*q) * 1099511628211ULL;
	return h;
}

static int stat_statements_collect(struct scrape *s, struct expo *e)
{
	struct ss_state *st = s->state;
	struct buf sql;
	buf_init(&sql, 1 << 20);
	if (pg_stat_statements_sql(&sql, pg_version(s), include_query, query_length, statement_limit,
				   &st->dbs, &st->users) < 0) {
		buf_free(&sql);
		return scrape_fail(s, "out of memory");
	}
	PGresult *r;
	int rc = pg_query(s, "stat_statements", sql.data, &r);
	buf_free(&sql);
	if (rc)
		return rc;
	int q = include_query ? 1 : 0;
	rc = pg_expect_cols(s, r, 8 + q, "stat_statements");
	int n = PQntuples(r);
	uint64_t *seen = calloc((size_t)n * 2 + 1, sizeof *seen);
	int *seen_row = calloc((size_t)n * 2 + 1, sizeof *seen_row);
	uint64_t *qseen = calloc((size_t)n * 2 + 1, sizeof *qseen);
	int *qseen_row = calloc((size_t)n * 2 + 1, sizeof *qseen_row);
	if (!rc && (!seen || !seen_row || !qseen || !qseen_row))
		rc = scrape_fail(s, "out of memory");
	const char *const labels[] = { "user", "datname", "queryid", NULL };
	static const struct {
		const char *name;
		const char *help;
	} m[] = {
		{ "pg_stat_statements_calls_total", "Number of times the statement was executed." },
		{ "pg_stat_statements_seconds_total", "Total time spent in the statement, in seconds." },
		{ "pg_stat_statements_rows_total", "Total number of rows retrieved or affected by the statement." },
		{ "pg_stat_statements_block_read_seconds_total", "Total time the statement spent reading blocks, in seconds." },
		{ "pg_stat_statements_block_write_seconds_total", "Total time the statement spent writing blocks, in seconds." },
	};
	size_t slots = (size_t)n * 2 + 1;
	for (int row = 0; rc == 0 && row < n; row++) {
		const char *values[3];
		for (int l = 0; l < 3; l++)
			values[l] = pg_is_null(r, row, l) ? "unknown" : PQgetvalue(r, row, l);
		/* The same statement can appear twice (upstream's duplicate-series 500s). */
		uint64_t h = key_hash(values[0], values[1], values[2]) | 1;
		size_t i = h % slots;
		bool dup = false;
		while (seen[i]) {
			if (seen[i] == h) {
				int o = seen_row[i];
				const char *ov[3];
				for (int l = 0; l < 3; l++)
					ov[l] = pg_is_null(r, o, l) ? "unknown" : PQgetvalue(r, o, l);
				if (!strcmp(ov[0], values[0]) && !strcmp(ov[1], values[1]) && !strcmp(ov[2], values[2])) {
					dup = true;
					break;
				}
			}
			i = (i + 1) % slots;
		}
		if (dup) {
			log_debug("duplicate statement", "user", values[0], "datname", values[1], "queryid",
				  values[2], NULL);
			continue;
		}
		seen[i] = h;
		seen_row[i] = row;
		double v[5];
		for (int c = 0; c < 5 && rc == 0; c++) {
			int g = pg_get_double(r, row, 3 + q + c, &v[c]);
			if (g < 0)
				rc = pg_bad_value(s, r, row, 3 + q + c);
			else if (g > 0)
				v[c] = 0;
		}
		for (int c = 0; c < 5 && rc == 0; c++)
			expo_add(e, expo_family(e, m[c].name, METRIC_COUNTER, m[c].help, labels), v[c], values);
		if (rc == 0 && include_query) {
			/* One series per queryid, the first row's text, as upstream. */
			uint64_t qh = key_hash(values[2], "", "") | 1;
			size_t k = qh % slots;
			bool known = false;
			for (; qseen[k]; k = (k + 1) % slots) {
				const char *o = pg_is_null(r, qseen_row[k], 2) ? "unknown" : PQgetvalue(r, qseen_row[k], 2);
				if (qseen[k] == qh && !strcmp(o, values[2])) {
					known = true;
					break;
				}
			}
			if (!known) {
				qseen[k] = qh;
				qseen_row[k] = row;
				struct family *fq = expo_family(e, "pg_stat_statements_query_id", METRIC_COUNTER,
								"Statement text (query label) of a queryid, always 1.",
								(const char *const[]){ "queryid", "query", NULL });
				expo_sample(e, fq, 1, values[2],
					    pg_is_null(r, row, 3) ? "unknown" : PQgetvalue(r, row, 3));
			}
		}
	}
	free(seen);
	free(seen_row);
	free(qseen);
	free(qseen_row);
	PQclear(r);
	return rc;
}

const struct collector_def collector_stat_statements = {
	.name = "stat_statements",
	.default_enabled = false,
	.flags = stat_statements_flags,
	.nflags = sizeof stat_statements_flags / sizeof stat_statements_flags[0],
	.init = stat_statements_init,
	.collect = stat_statements_collect,
	.fini = stat_statements_fini,
	.concurrent = true,
};
