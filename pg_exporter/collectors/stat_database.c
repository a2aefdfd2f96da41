/*
 * stat_database: per-database activity counters from pg_stat_database.
 * Rows with a NULL in any value column (the shared-objects row of
 * PostgreSQL 12+, whose datname is NULL) are skipped, as upstream does.
 */
#include "../pg.h"

static const char stat_database_sql_13[] =
	"SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, "
	"tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, "
	"temp_bytes, deadlocks, blk_read_time, blk_write_time, "
	"floor(EXTRACT(EPOCH FROM stats_reset)) FROM pg_stat_database";

static const char stat_database_sql_14[] =
	"SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, "
	"tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, "
	"temp_bytes, deadlocks, blk_read_time, blk_write_time, "
	"floor(EXTRACT(EPOCH FROM stats_reset)), active_time FROM pg_stat_database";

#define C(n, h) { "pg_stat_database_" n, METRIC_COUNTER, h, 0, PGN_ZERO }
static const struct pg_col stat_database_cols[] = {
	{ "pg_stat_database_numbackends", METRIC_GAUGE,
	  "Number of backends currently connected to this database.", 0, PGN_ZERO },
	C("xact_commit", "Number of transactions in this database that committed."),
	C("xact_rollback", "Number of transactions in this database that rolled back."),
	C("blks_read", "Number of disk blocks read in this database."),
	C("blks_hit", "Number of times disk blocks were found in the buffer cache."),
	C("tup_returned", "Number of rows returned by queries in this database."),
	C("tup_fetched", "Number of rows fetched by queries in this database."),
	C("tup_inserted", "Number of rows inserted by queries in this database."),
	C("tup_updated", "Number of rows updated by queries in this database."),
	C("tup_deleted", "Number of rows deleted by queries in this database."),
	C("conflicts", "Number of queries cancelled because of conflicts with recovery in this database."),
	C("temp_files", "Number of temporary files created by queries in this database."),
	C("temp_bytes", "Bytes written to temporary files by queries in this database."),
	C("deadlocks", "Number of deadlocks detected in this database."),
	C("blk_read_time", "Time spent reading data file blocks in this database, in milliseconds."),
	C("blk_write_time", "Time spent writing data file blocks in this database, in milliseconds."),
	C("stats_reset", "Time at which these statistics were last reset (Unix seconds, 0 if never)."),
	{ "pg_stat_database_active_time_seconds_total", METRIC_COUNTER,
	  "Time spent executing SQL statements in this database, in seconds.", -1000, PGN_ZERO },
};
#undef C

static int stat_database_collect(struct scrape *s, struct expo *e)
{
	bool active_time = pg_version(s) >= 140000;
	size_t ncols = NCOLS(stat_database_cols) - (active_time ? 0 : 1);
	PGresult *r;
	int rc = pg_query(s, "stat_database", active_time ? stat_database_sql_14 : stat_database_sql_13,
			  &r);
	if (rc)
		return rc;
	rc = pg_expect_cols(s, r, 2 + (int)ncols, "stat_database");
	const char *const labels[] = { "datid", "datname", NULL };
	struct family *fams[NCOLS(stat_database_cols)];
	for (size_t i = 0; rc == 0 && i < ncols; i++)
		fams[i] = expo_family(e, stat_database_cols[i].name, stat_database_cols[i].type,
				      stat_database_cols[i].help, labels);
	for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
		if (pg_is_null(r, row, 0) || pg_is_null(r, row, 1))
			continue;
		double v[NCOLS(stat_database_cols)];
		bool skip = false;
		for (size_t i = 0; i < ncols && rc == 0; i++) {
			int g = pg_get_double(r, row, 2 + (int)i, &v[i]);
			if (g < 0)
				rc = pg_bad_value(s, r, row, 2 + (int)i);
			else if (g > 0 && i == 16)
				v[i] = 0; /* stats_reset: NULL until the first reset */
			else if (g > 0)
				skip = true;
		}
		if (rc || skip)
			continue;
		const char *values[] = { PQgetvalue(r, row, 0), PQgetvalue(r, row, 1) };
		for (size_t i = 0; i < ncols; i++)
			expo_add(e, fams[i], pg_scale(v[i], stat_database_cols[i].scale), values);
	}
	PQclear(r);
	return rc;
}

const struct collector_def collector_stat_database = {
	.name = "stat_database",
	.default_enabled = true,
	.collect = stat_database_collect,
	.concurrent = true,
};
