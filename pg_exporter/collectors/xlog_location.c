/* xlog_location: the current WAL position on servers before PostgreSQL 10. */
#include "../../common/log.h"
#include "../pg.h"

static const struct pg_col xlog_cols[] = {
	{ "pg_xlog_location_bytes", METRIC_GAUGE,
	  "WAL position being generated (primary) or replayed (replica), low 52 bits, in bytes.", 0,
	  PGN_ZERO },
};

static int xlog_location_collect(struct scrape *s, struct expo *e)
{
	if (pg_version(s) >= 100000) {
		/* As upstream: the xlog functions are gone in 10; not a failure. */
		log_debug("xlog_location is for PostgreSQL before 10; skipping", NULL);
		return COLLECT_OK;
	}
	return pg_query_emit(s, e, "xlog_location",
			     "SELECT CASE WHEN pg_is_in_recovery() "
			     "THEN (pg_last_xlog_replay_location() - '0/0') % (2^52)::bigint "
			     "ELSE (pg_current_xlog_location() - '0/0') % (2^52)::bigint END",
			     NULL, "", xlog_cols, NCOLS(xlog_cols));
}

const struct collector_def collector_xlog_location = {
	.name = "xlog_location",
	.default_enabled = false,
	.collect = xlog_location_collect,
	.concurrent = true,
};
