/* long_running_transactions: open transactions (other than autovacuum) and the oldest one's age. */
#include "../pg.h"

static const char long_running_sql[] =
	"SELECT COUNT(*), MAX(EXTRACT(EPOCH FROM clock_timestamp() - xact_start)) "
	"FROM pg_catalog.pg_stat_activity WHERE state IS DISTINCT FROM 'idle' "
	"AND query NOT LIKE 'autovacuum:%' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()";

static const struct pg_col long_running_cols[] = {
	{ "pg_long_running_transactions", METRIC_GAUGE, "Current number of open transactions.", 0,
	  PGN_ZERO },
	{ "pg_long_running_transactions_oldest_timestamp_seconds", METRIC_GAUGE,
	  "Age in seconds of the oldest open transaction.", 0, PGN_ZERO },
};

static int long_running_transactions_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "long_running_transactions", long_running_sql, NULL, "",
			     long_running_cols, NCOLS(long_running_cols));
}

const struct collector_def collector_long_running_transactions = {
	.name = "long_running_transactions",
	.default_enabled = false,
	.collect = long_running_transactions_collect,
	.concurrent = true,
};
