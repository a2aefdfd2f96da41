/* Merges (and mutations of parts) running now, per table (system.merges). */
#include "../clickhouse.h"

static int merges_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	*sel = (struct ch_select){ .labels = { "database", "table" },
				   .values = { "toFloat64(count())", "max(elapsed)",
					       "toFloat64(sum(total_size_bytes_compressed))",
					       "toFloat64(sum(memory_usage))" },
				   .from = "FROM system.merges GROUP BY database, table" };
	return 0;
}

/* Merges (and mutations of parts) running now count in system.metrics' Merge and PartMutation. */
const struct ch_section section_merges = {
	.sec = SEC_MERGES, .key = "merges", .table = "merges", .collector = &collector_merges,
	.sparse = true, .hints = (const char *const[]){ "Merge", "PartMutation", NULL },
	.select = merges_select,
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
