/*
 * stat_progress_vacuum: running VACUUMs, from pg_stat_get_progress_info()
 * as upstream reads it (so on PostgreSQL 17, where the two dead-tuple
 * counters became byte counts, the values are the new ones, as upstream's).
 */
#include <stdio.h>

#include "../pg.h"

static const char progress_vacuum_sql[] =
	"SELECT d.datname, "
	"COALESCE(CASE WHEN d.datname = current_database() THEN s.relid::regclass::text END, "
	"s.relid::text), "
	"s.param1, s.param2, s.param3, s.param4, s.param5, s.param6, s.param7 "
	"FROM pg_stat_get_progress_info('VACUUM'::text) "
	"s(pid, datid, relid, param1, param2, param3, param4, param5, param6, param7, param8, param9, "
	"param10, param11, param12, param13, param14, param15, param16, param17, param18, param19, "
	"param20) "
	"LEFT JOIN pg_database d ON s.datid = d.oid";

static const char *const phases[] = {
	"initializing",        "scanning heap",	  "vacuuming indexes",	      "vacuuming heap",
	"cleaning up indexes", "truncating heap", "performing final cleanup",
};

#define G(n, h) { "pg_stat_progress_vacuum_" n, METRIC_GAUGE, h, 0, PGN_ZERO }
static const struct pg_col progress_cols[] = {
	G("heap_blks", "Total number of heap blocks in the table being vacuumed."),
	G("heap_blks_scanned", "Number of heap blocks scanned so far."),
	G("heap_blks_vacuumed", "Number of heap blocks vacuumed so far."),
	G("index_vacuums", "Number of completed index vacuum cycles."),
	G("max_dead_tuples", "Dead tuples that fit in memory before an index vacuum cycle is needed."),
	G("num_dead_tuples", "Dead tuples collected since the last index vacuum cycle."),
};
#undef G

static int stat_progress_vacuum_collect(struct scrape *s, struct expo *e)
{
	PGresult *r;
	int rc = pg_query(s, "stat_progress_vacuum", progress_vacuum_sql, &r);
	if (rc)
		return rc;
	rc = pg_expect_cols(s, r, 9, "stat_progress_vacuum");
	const char *const labels[] = { "datname", "relname", NULL };
	struct family *fphase = expo_family(e, "pg_stat_progress_vacuum_phase", METRIC_GAUGE,
					    "Current vacuum phase: 1 for the phase named by the label, 0 for the others.",
					    (const char *const[]){ "datname", "relname", "phase", NULL });
	struct family *fams[NCOLS(progress_cols)];
	for (size_t i = 0; i < NCOLS(progress_cols); i++)
		fams[i] = expo_family(e, progress_cols[i].name, progress_cols[i].type,
				      progress_cols[i].help, labels);
	for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
		const char *datname = pg_is_null(r, row, 0) ? "unknown" : PQgetvalue(r, row, 0);
		const char *relname = pg_is_null(r, row, 1) ? "unknown" : PQgetvalue(r, row, 1);
		double v[1 + NCOLS(progress_cols)];
		bool phase_known = true;
		for (int c = 0; c < 1 + (int)NCOLS(progress_cols) && rc == 0; c++) {
			int g = pg_get_double(r, row, 2 + c, &v[c]);
			if (g < 0)
				rc = pg_bad_value(s, r, row, 2 + c);
			else if (g > 0) {
				v[c] = 0;
				if (c == 0)
					phase_known = false;
			}
		}
		if (rc)
			break;
		for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++)
			expo_sample(e, fphase, phase_known && v[0] == (double)p ? 1 : 0, datname, relname,
				    phases[p]);
		for (size_t i = 0; i < NCOLS(progress_cols); i++)
			expo_sample(e, fams[i], v[1 + i], datname, relname);
	}
	PQclear(r);
	return rc;
}

const struct collector_def collector_stat_progress_vacuum = {
	.name = "stat_progress_vacuum",
	.default_enabled = true,
	.collect = stat_progress_vacuum_collect,
	.concurrent = true,
};
