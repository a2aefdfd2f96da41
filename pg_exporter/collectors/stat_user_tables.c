/*
 * stat_user_tables: per-table activity and size, from the connected
 * database or (with --auto-discover-databases) from every discovered one.
 *
 * Sizes need a lock on the table; a table (or one of its indexes) that
 * another session holds or awaits ACCESS EXCLUSIVE on would make the query
 * wait, so its two size series are left out of that scrape instead.
 */
#include "../pg.h"

static const char stat_user_tables_sql[] =
	"WITH x AS MATERIALIZED (SELECT relation FROM pg_locks WHERE locktype = 'relation' "
	"AND mode = 'AccessExclusiveLock' "
	"AND database = (SELECT oid FROM pg_database WHERE datname = current_database())), "
	"busy AS (SELECT relation AS relid FROM x UNION "
	"SELECT i.indrelid FROM pg_index i JOIN x ON x.relation = i.indexrelid) "
	"SELECT current_database(), t.schemaname, t.relname, t.seq_scan, t.seq_tup_read, t.idx_scan, "
	"t.idx_tup_fetch, t.n_tup_ins, t.n_tup_upd, t.n_tup_del, t.n_tup_hot_upd, t.n_live_tup, "
	"t.n_dead_tup, t.n_mod_since_analyze, "
	"COALESCE(floor(EXTRACT(EPOCH FROM t.last_vacuum)), 0), "
	"COALESCE(floor(EXTRACT(EPOCH FROM t.last_autovacuum)), 0), "
	"COALESCE(floor(EXTRACT(EPOCH FROM t.last_analyze)), 0), "
	"COALESCE(floor(EXTRACT(EPOCH FROM t.last_autoanalyze)), 0), "
	"t.vacuum_count, t.autovacuum_count, t.analyze_count, t.autoanalyze_count, "
	"CASE WHEN b.relid IS NULL THEN pg_indexes_size(t.relid) END, "
	"CASE WHEN b.relid IS NULL THEN pg_table_size(t.relid) END "
	"FROM pg_stat_user_tables t LEFT JOIN busy b ON b.relid = t.relid";

#define C(n, h) { "pg_stat_user_tables_" n, METRIC_COUNTER, h, 0, PGN_ZERO }
#define G(n, h) { "pg_stat_user_tables_" n, METRIC_GAUGE, h, 0, PGN_ZERO }
static const struct pg_col stat_user_tables_cols[] = {
	C("seq_scan", "Number of sequential scans initiated on this table."),
	C("seq_tup_read", "Number of live rows fetched by sequential scans."),
	C("idx_scan", "Number of index scans initiated on this table."),
	C("idx_tup_fetch", "Number of live rows fetched by index scans."),
	C("n_tup_ins", "Number of rows inserted."),
	C("n_tup_upd", "Number of rows updated."),
	C("n_tup_del", "Number of rows deleted."),
	C("n_tup_hot_upd", "Number of rows HOT updated (no separate index update required)."),
	G("n_live_tup", "Estimated number of live rows."),
	G("n_dead_tup", "Estimated number of dead rows."),
	G("n_mod_since_analyze", "Estimated number of rows changed since the last analyze."),
	G("last_vacuum", "Last time this table was vacuumed manually, not counting VACUUM FULL (Unix seconds, 0 if never)."),
	G("last_autovacuum", "Last time this table was vacuumed by autovacuum (Unix seconds, 0 if never)."),
	G("last_analyze", "Last time this table was analyzed manually (Unix seconds, 0 if never)."),
	G("last_autoanalyze", "Last time this table was analyzed by autovacuum (Unix seconds, 0 if never)."),
	C("vacuum_count", "Number of times this table has been vacuumed manually (not counting VACUUM FULL)."),
	C("autovacuum_count", "Number of times this table has been vacuumed by autovacuum."),
	C("analyze_count", "Number of times this table has been analyzed manually."),
	C("autoanalyze_count", "Number of times this table has been analyzed by autovacuum."),
	{ "pg_stat_user_tables_index_size_bytes", METRIC_GAUGE,
	  "Disk space used by the indexes of this table, in bytes.", 0, PGN_SKIP },
	{ "pg_stat_user_tables_table_size_bytes", METRIC_GAUGE,
	  "Disk space used by this table without its indexes, in bytes.", 0, PGN_SKIP },
};
#undef C
#undef G

static int stat_user_tables_collect(struct scrape *s, struct expo *e)
{
	return pg_collect_per_database(s, e, "stat_user_tables", stat_user_tables_sql,
				       stat_user_tables_cols, NCOLS(stat_user_tables_cols));
}

const struct collector_def collector_stat_user_tables = {
	.name = "stat_user_tables",
	.default_enabled = true,
	.collect = stat_user_tables_collect,
	.concurrent = true,
};
