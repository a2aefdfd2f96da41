/* postmaster: when the server started. */
#include "../pg.h"

static const struct pg_col postmaster_cols[] = {
	{ "pg_postmaster_start_time_seconds", METRIC_GAUGE,
	  "Time at which the postmaster started (Unix seconds).", 0, PGN_ZERO },
};

static int postmaster_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "postmaster", "SELECT EXTRACT(EPOCH FROM pg_postmaster_start_time())",
			     NULL, "", postmaster_cols, NCOLS(postmaster_cols));
}

const struct collector_def collector_postmaster = {
	.name = "postmaster",
	.default_enabled = false,
	.collect = postmaster_collect,
	.concurrent = true,
};
