/* wal: number and total size of the WAL segments in pg_wal. */
#include "../pg.h"

static const char wal_sql[] =
	"SELECT COUNT(*), SUM(size) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'";

static const struct pg_col wal_cols[] = {
	{ "pg_wal_segments", METRIC_GAUGE, "Number of WAL segments.", 0, PGN_ZERO },
	{ "pg_wal_size_bytes", METRIC_GAUGE, "Total size of the WAL segments, in bytes.", 0, PGN_SKIP },
};

static int wal_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "wal", wal_sql, NULL, "", wal_cols, NCOLS(wal_cols));
}

const struct collector_def collector_wal = {
	.name = "wal",
	.default_enabled = true,
	.collect = wal_collect,
	.concurrent = true,
};
