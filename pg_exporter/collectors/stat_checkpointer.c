/* stat_checkpointer: checkpoint and restartpoint counters (PostgreSQL 17+). */
#include "../../common/log.h"
#include "../pg.h"

static const char checkpointer_sql[] =
	"SELECT num_timed, num_requested, restartpoints_timed, restartpoints_req, restartpoints_done, "
	"write_time, sync_time, buffers_written, floor(EXTRACT(EPOCH FROM stats_reset)) "
	"FROM pg_stat_checkpointer";

#define C(n, h) { "pg_stat_checkpointer_" n, METRIC_COUNTER, h, 0, PGN_ZERO }
static const struct pg_col checkpointer_cols[] = {
	C("num_timed_total", "Number of scheduled checkpoints due to timeout."),
	C("num_requested_total", "Number of requested checkpoints."),
	C("restartpoints_timed_total", "Number of scheduled restartpoints due to timeout or after a failed attempt."),
	C("restartpoints_req_total", "Number of requested restartpoints."),
	C("restartpoints_done_total", "Number of restartpoints performed."),
	C("write_time_total", "Time spent writing files to disk for checkpoints and restartpoints, in milliseconds."),
	C("sync_time_total", "Time spent synchronizing files to disk for checkpoints and restartpoints, in milliseconds."),
	C("buffers_written_total", "Number of buffers written during checkpoints and restartpoints."),
	C("stats_reset_total", "Time at which these statistics were last reset (Unix seconds)."),
};
#undef C

static int stat_checkpointer_collect(struct scrape *s, struct expo *e)
{
	if (pg_version(s) < 170000) {
		/* As upstream: nothing to report before 17, and not a failure. */
		log_debug("pg_stat_checkpointer needs PostgreSQL 17 or later; skipping", NULL);
		return COLLECT_OK;
	}
	return pg_query_emit(s, e, "stat_checkpointer", checkpointer_sql, NULL, "", checkpointer_cols,
			     NCOLS(checkpointer_cols));
}

const struct collector_def collector_stat_checkpointer = {
	.name = "stat_checkpointer",
	.default_enabled = false,
	.collect = stat_checkpointer_collect,
	.concurrent = true,
};
