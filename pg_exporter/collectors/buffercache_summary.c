/* buffercache_summary: shared buffer usage from pg_buffercache (PostgreSQL 16+, extension installed). */
#include "../pg.h"

static const struct pg_col buffercache_cols[] = {
	{ "pg_buffercache_summary_buffers_used", METRIC_GAUGE, "Number of used shared buffers.", 0, PGN_ZERO },
	{ "pg_buffercache_summary_buffers_unused", METRIC_GAUGE, "Number of unused shared buffers.", 0, PGN_ZERO },
	{ "pg_buffercache_summary_buffers_dirty", METRIC_GAUGE, "Number of dirty shared buffers.", 0, PGN_ZERO },
	{ "pg_buffercache_summary_buffers_pinned", METRIC_GAUGE, "Number of pinned shared buffers.", 0, PGN_ZERO },
	{ "pg_buffercache_summary_usagecount_avg", METRIC_GAUGE,
	  "Average usage count of the used shared buffers.", 0, PGN_ZERO },
};

static int buffercache_summary_collect(struct scrape *s, struct expo *e)
{
	if (pg_version(s) < 160000)
		return COLLECT_OK; /* pg_buffercache_summary() is new in 16; upstream reports nothing */
	return pg_query_emit(s, e, "buffercache_summary",
			     "SELECT buffers_used, buffers_unused, buffers_dirty, buffers_pinned, "
			     "usagecount_avg FROM pg_buffercache_summary()",
			     NULL, "", buffercache_cols, NCOLS(buffercache_cols));
}

const struct collector_def collector_buffercache_summary = {
	.name = "buffercache_summary",
	.default_enabled = false,
	.collect = buffercache_summary_collect,
	.concurrent = true,
};
