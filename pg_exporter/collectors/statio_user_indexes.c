/* statio_user_indexes: block I/O of every index in the connected database. */
#include "../pg.h"

static const struct pg_col statio_user_indexes_cols[] = {
	{ "pg_statio_user_indexes_idx_blks_read_total", METRIC_COUNTER,
	  "Number of disk blocks read from this index.", 0, PGN_ZERO },
	{ "pg_statio_user_indexes_idx_blks_hit_total", METRIC_COUNTER,
	  "Number of buffer hits in this index.", 0, PGN_ZERO },
};

static int statio_user_indexes_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "statio_user_indexes",
			     "SELECT schemaname, relname, indexrelname, idx_blks_read, idx_blks_hit "
			     "FROM pg_statio_user_indexes",
			     (const char *const[]){ "schemaname", "relname", "indexrelname", NULL }, "unknown",
			     statio_user_indexes_cols, NCOLS(statio_user_indexes_cols));
}

const struct collector_def collector_statio_user_indexes = {
	.name = "statio_user_indexes",
	.default_enabled = false,
	.collect = statio_user_indexes_collect,
	.concurrent = true,
};
