/*
 * replication_slots: every replication slot, whether it is active and how
 * much WAL it holds back. Upstream's two queries are one here.
 */
#include "../pg.h"

#define SLOT_COMMON \
	"SELECT slot_name, database, active, " \
	"(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), restart_lsn) " \
	"ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END), slot_type, " \
	"CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() - '0/0' " \
	"ELSE pg_current_wal_lsn() - '0/0' END, " \
	"COALESCE(confirmed_flush_lsn, '0/0') - '0/0'"

static const char slots_sql_10[] = SLOT_COMMON " FROM pg_replication_slots";
static const char slots_sql_13[] = SLOT_COMMON ", safe_wal_size, wal_status FROM pg_replication_slots";
static const char slots_sql_94[] =
	"SELECT slot_name, database, active, "
	"(CASE pg_is_in_recovery() WHEN 't' THEN pg_xlog_location_diff(pg_last_xlog_receive_location(), restart_lsn) "
	"ELSE pg_xlog_location_diff(pg_current_xlog_location(), restart_lsn) END) FROM pg_replication_slots";

enum { SLOT, DB, ACTIVE, DIFF, TYPE, CUR, FLUSH, SAFE, STATUS };

static const char *label_or(const PGresult *r, int row, int col, const char *dflt)
{
	return pg_is_null(r, row, col) ? dflt : PQgetvalue(r, row, col);
}

static int replication_slots_collect(struct scrape *s, struct expo *e)
{
	int version = pg_version(s);
	if (version < 90400)
		return COLLECT_OK;
	bool v10 = version >= 100000, v13 = version >= 130000;
	PGresult *r;
	int rc = pg_query(s, "replication_slots", v13 ? slots_sql_13 : v10 ? slots_sql_10 : slots_sql_94, &r);
	if (rc)
		return rc;
	rc = pg_expect_cols(s, r, v13 ? 9 : v10 ? 7 : 4, "replication_slots");
	const char *const dblabels[] = { "slot_name", "database", NULL };
	const char *const slotlabels[] = { "slot_name", "slot_type", NULL };
	struct family *factive = expo_family(e, "pg_replication_slots_active", METRIC_GAUGE,
					     "1 if the slot is in use.", dblabels);
	struct family *fdiff =
		v10 ? expo_family(e, "pg_replication_slots_pg_wal_lsn_diff", METRIC_GAUGE,
				  "Bytes of WAL between the current position and the slot's restart_lsn.", dblabels)
		    : expo_family(e, "pg_replication_slots_pg_xlog_location_diff", METRIC_UNTYPED,
				  "Bytes of WAL between the current position and the slot's restart_lsn.", dblabels);
	for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
		double v[STATUS];
		int got[STATUS];
		int ncols = v13 ? SAFE + 1 : v10 ? FLUSH + 1 : DIFF + 1;
		for (int c = ACTIVE; c < ncols && rc == 0; c++) {
			if (c == TYPE)
				continue;
			got[c] = pg_get_double(r, row, c, &v[c]);
			if (got[c] < 0)
				rc = pg_bad_value(s, r, row, c);
		}
		if (rc)
			break;
		const char *slot = label_or(r, row, SLOT, ""), *db = label_or(r, row, DB, "");
		if (got[ACTIVE] == 0)
			expo_sample(e, factive, v[ACTIVE], slot, db);
		if (got[DIFF] == 0)
			expo_sample(e, fdiff, v[DIFF], slot, db);
		if (!v10)
			continue;
		const char *sname = label_or(r, row, SLOT, "unknown"), *stype = label_or(r, row, TYPE, "unknown");
		if (got[CUR] == 0)
			expo_sample(e, expo_family(e, "pg_replication_slots_slot_current_wal_lsn", METRIC_GAUGE,
						   "Current WAL position in bytes.", slotlabels),
				    v[CUR], sname, stype);
		if (got[ACTIVE] == 0 && v[ACTIVE] == 1 && got[FLUSH] == 0)
			expo_sample(e, expo_family(e, "pg_replication_slots_slot_confirmed_flush_lsn", METRIC_GAUGE,
						   "Last position in bytes the slot's consumer confirmed flushed.",
						   slotlabels),
				    v[FLUSH], sname, stype);
		if (got[ACTIVE] == 0)
			expo_sample(e, expo_family(e, "pg_replication_slots_slot_is_active", METRIC_GAUGE,
						   "1 if the slot is in use.", slotlabels),
				    v[ACTIVE], sname, stype);
		if (v13 && got[SAFE] == 0)
			expo_sample(e, expo_family(e, "pg_replication_slots_safe_wal_size_bytes", METRIC_GAUGE,
						   "Bytes of WAL that can still be written before this slot is in danger of being lost.",
						   slotlabels),
				    v[SAFE], sname, stype);
		if (v13 && !pg_is_null(r, row, STATUS))
			expo_sample(e, expo_family(e, "pg_replication_slots_wal_status", METRIC_GAUGE,
						   "Availability of the WAL files this slot claims (the wal_status label), always 1.",
						   (const char *const[]){ "slot_name", "slot_type", "wal_status", NULL }),
				    1, sname, stype, PQgetvalue(r, row, STATUS));
	}
	PQclear(r);
	return rc;
}

const struct collector_def collector_replication_slots = {
	.name = "replication_slots",
	.default_enabled = true,
	.collect = replication_slots_collect,
	.concurrent = true,
};
