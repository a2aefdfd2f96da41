/*
 * stat_bgwriter: background writer counters. PostgreSQL 17 moved the
 * checkpoint columns to pg_stat_checkpointer (see stat_checkpointer) and
 * dropped the backend ones, so only four remain there.
 */
#include <math.h>

#include "../pg.h"

static const char bgwriter_sql_16[] =
	"SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time, checkpoint_sync_time, "
	"buffers_checkpoint, buffers_clean, maxwritten_clean, buffers_backend, buffers_backend_fsync, "
	"buffers_alloc, floor(EXTRACT(EPOCH FROM stats_reset)) FROM pg_stat_bgwriter";

static const char bgwriter_sql_17[] =
	"SELECT buffers_clean, maxwritten_clean, buffers_alloc, "
	"floor(EXTRACT(EPOCH FROM stats_reset)) FROM pg_stat_bgwriter";

#define C(n, h) { "pg_stat_bgwriter_" n, METRIC_COUNTER, h, 0, PGN_ZERO }
static const struct pg_col bgwriter_cols_16[] = {
	C("checkpoints_timed_total", "Number of scheduled checkpoints performed."),
	C("checkpoints_req_total", "Number of requested checkpoints performed."),
	C("checkpoint_write_time_total", "Time spent writing checkpoint files to disk, in milliseconds."),
	C("checkpoint_sync_time_total", "Time spent synchronizing checkpoint files to disk, in milliseconds."),
	C("buffers_checkpoint_total", "Number of buffers written during checkpoints."),
	C("buffers_clean_total", "Number of buffers written by the background writer."),
	C("maxwritten_clean_total", "Number of times the background writer stopped a cleaning scan for writing too many buffers."),
	C("buffers_backend_total", "Number of buffers written directly by a backend."),
	C("buffers_backend_fsync_total", "Number of times a backend had to execute its own fsync call."),
	C("buffers_alloc_total", "Number of buffers allocated."),
	C("stats_reset_total", "Time at which these statistics were last reset (Unix seconds)."),
};
static const struct pg_col bgwriter_cols_17[] = {
	C("buffers_clean_total", "Number of buffers written by the background writer."),
	C("maxwritten_clean_total", "Number of times the background writer stopped a cleaning scan for writing too many buffers."),
	C("buffers_alloc_total", "Number of buffers allocated."),
	C("stats_reset_total", "Time at which these statistics were last reset (Unix seconds)."),
};
#undef C

static int stat_bgwriter_collect(struct scrape *s, struct expo *e)
{
	if (pg_version(s) >= 170000)
		return pg_query_emit(s, e, "stat_bgwriter", bgwriter_sql_17, NULL, "", bgwriter_cols_17,
				     NCOLS(bgwriter_cols_17));
	return pg_query_emit(s, e, "stat_bgwriter", bgwriter_sql_16, NULL, "", bgwriter_cols_16,
			     NCOLS(bgwriter_cols_16));
}

const struct collector_def collector_stat_bgwriter = {
	.name = "stat_bgwriter",
	.default_enabled = true,
	.collect = stat_bgwriter_collect,
	.concurrent = true,
};
