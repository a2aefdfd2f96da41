/* replication: whether the server is a replica and how far it lags. */
#include "../pg.h"

/* Lag is 0 on a primary and on a replica that has replayed all it received. */
static const char replication_sql[] =
	"SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
	"WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
	"ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))) END, "
	"CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END, "
	"GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())))";

static const struct pg_col replication_cols[] = {
	{ "pg_replication_lag_seconds", METRIC_GAUGE,
	  "Seconds since the last transaction replayed, while a replica has WAL left to replay.", 0,
	  PGN_ZERO },
	{ "pg_replication_is_replica", METRIC_GAUGE, "1 if the server is a replica (in recovery).", 0,
	  PGN_ZERO },
	{ "pg_replication_last_replay_seconds", METRIC_GAUGE,
	  "Seconds since the last transaction was replayed (0 on a primary).", 0, PGN_ZERO },
};

static int replication_collect(struct scrape *s, struct expo *e)
{
	PGresult *r;
	int rc = pg_query(s, "replication", replication_sql, &r);
	if (rc)
		return rc;
	/* A single row is expected; anything else is not a reply we understand. */
	if (PQntuples(r) != 1)
		rc = scrape_fail(s, "replication: expected one row, got %d", PQntuples(r));
	else
		rc = pg_emit_table(s, e, r, NULL, "", replication_cols, NCOLS(replication_cols));
	PQclear(r);
	return rc;
}

const struct collector_def collector_replication = {
	.name = "replication",
	.default_enabled = true,
	.collect = replication_collect,
	.concurrent = true,
};
