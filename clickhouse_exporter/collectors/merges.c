/* Merges (and mutations of parts) running now, per table (system.merges). */
#include "../clickhouse.h"

static int merges_sql(const struct ch_caps *c, struct buf *b)
{
	(void)c;
	return ch_sql_select(b, "merges", NULL, "database", "table", NULL,
			     (const char *const[CH_NVALUES]){ "count()", "max(elapsed)",
							      "sum(total_size_bytes_compressed)", "sum(memory_usage)" },
			     "FROM system.merges GROUP BY database, table");
}

const struct ch_section section_merges = {
	.sec = SEC_MERGES, .key = "merges", .table = "merges", .collector = &collector_merges,
	.sql = merges_sql,
};

static int merges_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	ch_emit_table_gauge(e, r, SEC_MERGES, 0, "clickhouse_table_merges_running",
			    "Merges of the table's parts running now.");
	ch_emit_table_gauge(e, r, SEC_MERGES, 1, "clickhouse_table_merges_max_elapsed_seconds",
			    "Time the longest running merge of the table has taken so far.");
	ch_emit_table_gauge(e, r, SEC_MERGES, 2, "clickhouse_table_merges_source_bytes",
			    "Compressed size of the parts being merged.");
	ch_emit_table_gauge(e, r, SEC_MERGES, 3, "clickhouse_table_merges_memory_bytes",
			    "Memory used by the table's running merges.");
	return ch_section_status(s, r, SEC_MERGES);
}

const struct collector_def collector_merges = {
	.name = "merges", .default_enabled = true, .collect = merges_collect, .concurrent = true,
};
