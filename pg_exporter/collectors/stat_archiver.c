/* stat_archiver: WAL archiving counts and the age of the last archived segment. */
#include "../pg.h"

static const char stat_archiver_sql[] =
	"SELECT archived_count, failed_count, "
	"EXTRACT(EPOCH FROM now() - last_archived_time) FROM pg_stat_archiver";

static const struct pg_col stat_archiver_cols[] = {
	{ "pg_stat_archiver_archived_count", METRIC_COUNTER,
	  "Number of WAL files archived successfully.", 0, PGN_SKIP },
	{ "pg_stat_archiver_failed_count", METRIC_COUNTER,
	  "Number of failed attempts to archive WAL files.", 0, PGN_SKIP },
	{ "pg_stat_archiver_last_archive_age", METRIC_GAUGE,
	  "Seconds since the last WAL file was archived successfully.", 0, PGN_SKIP },
};

static int stat_archiver_collect(struct scrape *s, struct expo *e)
{
	if (pg_version(s) < 90400)
		return COLLECT_OK; /* no pg_stat_archiver before 9.4; upstream reports nothing */
	return pg_query_emit(s, e, "stat_archiver", stat_archiver_sql, NULL, "", stat_archiver_cols,
			     NCOLS(stat_archiver_cols));
}

const struct collector_def collector_stat_archiver = {
	.name = "stat_archiver",
	.default_enabled = true,
	.collect = stat_archiver_collect,
	.concurrent = true,
};
