/* locks: locks held per database and lock mode, zero for modes not held. */
#include "../pg.h"

static const char locks_sql[] =
	"SELECT d.datname, m.mode, COALESCE(l.count, 0) "
	"FROM (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'), "
	"('shareupdateexclusivelock'), ('sharelock'), ('sharerowexclusivelock'), "
	"('exclusivelock'), ('accessexclusivelock'), ('sireadlock')) AS m(mode) "
	"CROSS JOIN pg_database d "
	"LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count FROM pg_locks "
	"WHERE database IS NOT NULL GROUP BY database, lower(mode)) AS l "
	"ON l.mode = m.mode AND l.database = d.oid "
	"WHERE d.datname IS NOT NULL";

static const struct pg_col locks_cols[] = {
	{ "pg_locks_count", METRIC_GAUGE, "Number of locks held, per database and lock mode.", 0,
	  PGN_ZERO },
};

static int locks_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "locks", locks_sql, (const char *const[]){ "datname", "mode", NULL },
			     "", locks_cols, NCOLS(locks_cols));
}

const struct collector_def collector_locks = {
	.name = "locks",
	.default_enabled = true,
	.collect = locks_collect,
	.concurrent = true,
};
