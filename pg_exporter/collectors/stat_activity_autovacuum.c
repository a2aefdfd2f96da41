/* stat_activity_autovacuum: start time of every running autovacuum, per table. */
#include "../pg.h"

static const struct pg_col autovacuum_cols[] = {
	{ "pg_stat_activity_autovacuum_timestamp_seconds", METRIC_GAUGE,
	  "Start time of the autovacuum worker's transaction (Unix seconds).", 0, PGN_ZERO },
};

static int stat_activity_autovacuum_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "stat_activity_autovacuum",
			     "SELECT SPLIT_PART(query, '.', 2), EXTRACT(EPOCH FROM xact_start) "
			     "FROM pg_catalog.pg_stat_activity WHERE query LIKE 'autovacuum:%'",
			     (const char *const[]){ "relname", NULL }, "", autovacuum_cols,
			     NCOLS(autovacuum_cols));
}

const struct collector_def collector_stat_activity_autovacuum = {
	.name = "stat_activity_autovacuum",
	.default_enabled = false,
	.collect = stat_activity_autovacuum_collect,
	.concurrent = true,
};
