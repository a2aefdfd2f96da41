/* Active parts per table (system.parts): upstream's clickhouse_table_parts_{bytes,count,rows}. */
#include "../clickhouse.h"

static int parts_select(const struct ch_caps *c, struct ch_select *sel)
{
	/* bytes is an alias of bytes_on_disk (18.16 on); the column itself is the safer name. */
	const char *bytes = ch_caps_has(c, "parts", "bytes_on_disk") ? "toFloat64(sum(bytes_on_disk))"
								     : "toFloat64(sum(bytes))";
	*sel = (struct ch_select){ .labels = { "database", "table" },
				   .values = { bytes, "toFloat64(count())", "toFloat64(sum(rows))" },
				   .from = "FROM system.parts WHERE active GROUP BY database, table" };
	return 0;
}

const struct ch_section section_parts = {
	.sec = SEC_PARTS, .key = "parts", .table = "parts", .collector = &collector_parts,
	.select = parts_select,
};

static int parts_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	ch_emit_table_gauge(e, r, SEC_PARTS, 0, "clickhouse_table_parts_bytes",
			    "Bytes on disk of the table's active parts.");
	ch_emit_table_gauge(e, r, SEC_PARTS, 1, "clickhouse_table_parts_count",
			    "Number of active parts of the table.");
	ch_emit_table_gauge(e, r, SEC_PARTS, 2, "clickhouse_table_parts_rows",
			    "Rows in the table's active parts.");
	return ch_section_status(s, r, SEC_PARTS);
}

const struct collector_def collector_parts = {
	.name = "parts", .default_enabled = true, .collect = parts_collect, .concurrent = true,
};
