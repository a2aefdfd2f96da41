/*
 * stat_wal_receiver: the WAL receiver of a standby. flushed_lsn is read on
 * PostgreSQL 13+ (where the column has that name); upstream probes
 * information_schema for it on every scrape, the server version says the same.
 */
#include "../pg.h"

#define WR_COMMON(flushed) \
	"SELECT trim(both '''' from substring(conninfo from 'host=([^ ]*)')), slot_name, status, " \
	"(receive_start_lsn - '0/0') % (2^52)::bigint, " flushed \
	"receive_start_tli, received_tli, EXTRACT(EPOCH FROM last_msg_send_time), " \
	"EXTRACT(EPOCH FROM last_msg_receipt_time), (latest_end_lsn - '0/0') % (2^52)::bigint, " \
	"EXTRACT(EPOCH FROM latest_end_time), substring(slot_name from 'repmgr_slot_([0-9]*)') " \
	"FROM pg_catalog.pg_stat_wal_receiver"

static const char wal_receiver_sql_13[] = WR_COMMON("(flushed_lsn - '0/0') % (2^52)::bigint, ");
static const char wal_receiver_sql_12[] = WR_COMMON("NULL, ");

#define M(n, t, h) { "pg_stat_wal_receiver_" n, t, h }
static const struct {
	const char *name;
	enum metric_type type;
	const char *help;
} wr_metrics[] = {
	M("receive_start_lsn", METRIC_COUNTER, "First WAL position used when the WAL receiver started, in bytes."),
	M("flushed_lsn", METRIC_COUNTER, "Last WAL position received and flushed to disk, in bytes."),
	M("receive_start_tli", METRIC_GAUGE, "First timeline used when the WAL receiver started."),
	M("received_tli", METRIC_GAUGE, "Timeline of the last WAL position received and flushed."),
	M("last_msg_send_time", METRIC_COUNTER, "Send time of the last message from the WAL sender (Unix seconds)."),
	M("last_msg_receipt_time", METRIC_COUNTER, "Receipt time of the last message from the WAL sender (Unix seconds)."),
	M("latest_end_lsn", METRIC_COUNTER, "Last WAL position reported to the WAL sender, in bytes."),
	M("latest_end_time", METRIC_COUNTER, "Time of the last WAL position reported to the WAL sender (Unix seconds)."),
	M("upstream_node", METRIC_GAUGE, "Node ID of the upstream node (from a repmgr slot name)."),
};
#undef M
#define NM (sizeof wr_metrics / sizeof wr_metrics[0])

static int stat_wal_receiver_collect(struct scrape *s, struct expo *e)
{
	bool flushed = pg_version(s) >= 130000;
	PGresult *r;
	int rc = pg_query(s, "stat_wal_receiver", flushed ? wal_receiver_sql_13 : wal_receiver_sql_12, &r);
	if (rc)
		return rc;
	rc = pg_expect_cols(s, r, 3 + (int)NM, "stat_wal_receiver");
	const char *const labels[] = { "upstream_host", "slot_name", "status", NULL };
	for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
		/* As upstream: a row with any NULL (but upstream_node) is not exported. */
		if (pg_is_null(r, row, 0) || pg_is_null(r, row, 1) || pg_is_null(r, row, 2))
			continue;
		double v[NM];
		bool skip = false, have[NM];
		for (size_t i = 0; i < NM && rc == 0; i++) {
			have[i] = false;
			if (i == 1 && !flushed)
				continue;
			int g = pg_get_double(r, row, 3 + (int)i, &v[i]);
			if (g < 0)
				rc = pg_bad_value(s, r, row, 3 + (int)i);
			else if (g > 0 && i != NM - 1)
				skip = true;
			have[i] = g == 0;
		}
		if (rc || skip)
			continue;
		const char *values[] = { PQgetvalue(r, row, 0), PQgetvalue(r, row, 1), PQgetvalue(r, row, 2) };
		for (size_t i = 0; i < NM; i++)
			if (have[i])
				expo_add(e, expo_family(e, wr_metrics[i].name, wr_metrics[i].type, wr_metrics[i].help,
							labels),
					 v[i], values);
	}
	PQclear(r);
	return rc;
}

const struct collector_def collector_stat_wal_receiver = {
	.name = "stat_wal_receiver",
	.default_enabled = false,
	.collect = stat_wal_receiver_collect,
	.concurrent = true,
};
