/* Detached parts per table and reason (system.detached_parts, 19.7 and later). */
#include "../clickhouse.h"

static int detached_sql(const struct ch_caps *c, struct buf *b)
{
	/* reason is Nullable on some versions; "" is a part detached by hand. */
	const char *reason = ch_caps_has(c, "detached_parts", "reason") ? "toString(ifNull(reason, ''))" : NULL;
	return ch_sql_select(b, "detached_parts", NULL, "database", "table", reason,
			     (const char *const[CH_NVALUES]){ "count()" },
			     reason ? "FROM system.detached_parts GROUP BY database, table, reason"
				    : "FROM system.detached_parts GROUP BY database, table");
}

const struct ch_section section_detached_parts = {
	.sec = SEC_DETACHED_PARTS, .key = "detached_parts", .table = "detached_parts",
	.collector = &collector_detached_parts, .sql = detached_sql,
};

static int detached_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	if (ch_section_usable(r, SEC_DETACHED_PARTS)) {
		struct family *f = expo_family(e, "clickhouse_table_detached_parts", METRIC_GAUGE,
					       "Detached parts of the table, by the reason they were detached for.",
					       (const char *const[]){ "database", "table", "reason", NULL });
		const struct ch_row *row = r->rows + r->first[SEC_DETACHED_PARTS];
		for (size_t i = 0; i < r->count[SEC_DETACHED_PARTS]; i++, row++)
			expo_sample(e, f, row->v[0], row->d, row->t, row->x);
	}
	return ch_section_status(s, r, SEC_DETACHED_PARTS);
}

const struct collector_def collector_detached_parts = {
	.name = "detached_parts", .default_enabled = true, .collect = detached_collect, .concurrent = true,
};
