/*
 * stat_activity: connections per database and state (and user,
 * application, backend type and wait event), zero for the states no
 * connection is in, with the longest running transaction of each group.
 */
#include "../pg.h"

static const char stat_activity_sql[] =
	"SELECT d.datname, m.state, a.usename, a.application_name, a.backend_type, "
	"a.wait_event_type, a.wait_event, COALESCE(a.count, 0), COALESCE(a.max_tx_duration, 0) "
	"FROM (VALUES ('active'), ('idle'), ('idle in transaction'), "
	"('idle in transaction (aborted)'), ('fastpath function call'), ('disabled')) AS m(state) "
	"CROSS JOIN pg_database d "
	"LEFT JOIN (SELECT datname, state, usename, application_name, backend_type, wait_event_type, "
	"wait_event, count(*) AS count, "
	"MAX(EXTRACT(EPOCH FROM now() - xact_start))::float AS max_tx_duration "
	"FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
	"GROUP BY datname, state, usename, application_name, backend_type, wait_event_type, wait_event) AS a "
	"ON a.state = m.state AND a.datname = d.datname";

static const struct pg_col stat_activity_cols[] = {
	{ "pg_stat_activity_count", METRIC_GAUGE, "Number of connections in this state.", 0, PGN_SKIP },
	{ "pg_stat_activity_max_tx_duration", METRIC_GAUGE,
	  "Longest time in seconds a transaction of these connections has been running.", 0, PGN_SKIP },
};

static int stat_activity_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "stat_activity", stat_activity_sql,
			     (const char *const[]){ "datname", "state", "usename", "application_name",
						    "backend_type", "wait_event_type", "wait_event", NULL },
			     "", stat_activity_cols, NCOLS(stat_activity_cols));
}

const struct collector_def collector_stat_activity = {
	.name = "stat_activity",
	.default_enabled = true,
	.collect = stat_activity_collect,
	.concurrent = true,
};
