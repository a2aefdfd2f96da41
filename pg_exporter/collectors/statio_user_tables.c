/*
 * statio_user_tables: per-table block I/O, from the connected database or
 * (with --auto-discover-databases) from every discovered one.
 */
#include "../pg.h"

static const char statio_user_tables_sql[] =
	"SELECT current_database(), schemaname, relname, heap_blks_read, heap_blks_hit, "
	"idx_blks_read, idx_blks_hit, toast_blks_read, toast_blks_hit, tidx_blks_read, tidx_blks_hit "
	"FROM pg_statio_user_tables";

#define C(n, h) { "pg_statio_user_tables_" n, METRIC_COUNTER, h, 0, PGN_ZERO }
static const struct pg_col statio_user_tables_cols[] = {
	C("heap_blocks_read", "Number of disk blocks read from this table."),
	C("heap_blocks_hit", "Number of buffer hits in this table."),
	C("idx_blocks_read", "Number of disk blocks read from all indexes of this table."),
	C("idx_blocks_hit", "Number of buffer hits in all indexes of this table."),
	C("toast_blocks_read", "Number of disk blocks read from this table's TOAST table."),
	C("toast_blocks_hit", "Number of buffer hits in this table's TOAST table."),
	C("tidx_blocks_read", "Number of disk blocks read from this table's TOAST table indexes."),
	C("tidx_blocks_hit", "Number of buffer hits in this table's TOAST table indexes."),
};
#undef C

static int statio_user_tables_collect(struct scrape *s, struct expo *e)
{
	return pg_collect_per_database(s, e, "statio_user_tables", statio_user_tables_sql,
				       statio_user_tables_cols, NCOLS(statio_user_tables_cols));
}

const struct collector_def collector_statio_user_tables = {
	.name = "statio_user_tables",
	.default_enabled = true,
	.collect = statio_user_tables_collect,
	.concurrent = true,
};
