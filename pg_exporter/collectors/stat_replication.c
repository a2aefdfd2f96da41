/*
 * stat_replication: position and lag in bytes of every WAL sender (standby
 * or WAL receiver connected to this server), with the slot it uses.
 */
#include "../pg.h"

static const char stat_replication_sql[] =
	"SELECT r.application_name, r.client_addr::text, r.state, s.slot_name, "
	"(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_lsn('0/0'))::float "
	"ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), pg_lsn('0/0'))::float END), "
	"(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), r.replay_lsn)::float "
	"ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::float END) "
	"FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid";

/* 9.5 and 9.6: xlog names. */
static const char stat_replication_sql_95[] =
	"SELECT r.application_name, r.client_addr::text, r.state, s.slot_name, "
	"(CASE pg_is_in_recovery() WHEN 't' THEN pg_xlog_location_diff(pg_last_xlog_receive_location(), r.replay_location)::float "
	"ELSE pg_xlog_location_diff(pg_current_xlog_location(), r.replay_location)::float END) "
	"FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid";

/* 9.2 to 9.4: no active_pid to join slots on. */
static const char stat_replication_sql_92[] =
	"SELECT application_name, client_addr::text, state, NULL::text, "
	"(CASE pg_is_in_recovery() WHEN 't' THEN pg_xlog_location_diff(pg_last_xlog_receive_location(), replay_location)::float "
	"ELSE pg_xlog_location_diff(pg_current_xlog_location(), replay_location)::float END) "
	"FROM pg_stat_replication";

static const struct pg_col cols_10[] = {
	{ "pg_stat_replication_pg_current_wal_lsn_bytes", METRIC_GAUGE,
	  "Current WAL position of this server in bytes.", 0, PGN_SKIP },
	{ "pg_stat_replication_pg_wal_lsn_diff", METRIC_GAUGE,
	  "Bytes of WAL the standby has not replayed yet.", 0, PGN_SKIP },
};
static const struct pg_col cols_9[] = {
	{ "pg_stat_replication_pg_xlog_location_diff", METRIC_GAUGE,
	  "Bytes of WAL the standby has not replayed yet.", 0, PGN_SKIP },
};

static int stat_replication_collect(struct scrape *s, struct expo *e)
{
	const char *const labels[] = { "application_name", "client_addr", "state", "slot_name", NULL };
	int v = pg_version(s);
	if (v >= 100000)
		return pg_query_emit(s, e, "stat_replication", stat_replication_sql, labels, "", cols_10,
				     NCOLS(cols_10));
	if (v >= 90500)
		return pg_query_emit(s, e, "stat_replication", stat_replication_sql_95, labels, "", cols_9,
				     NCOLS(cols_9));
	if (v >= 90200)
		return pg_query_emit(s, e, "stat_replication", stat_replication_sql_92, labels, "", cols_9,
				     NCOLS(cols_9));
	return COLLECT_OK;
}

const struct collector_def collector_stat_replication = {
	.name = "stat_replication",
	.default_enabled = true,
	.collect = stat_replication_collect,
	.concurrent = true,
};
