/* Detached parts per table and reason (system.detached_parts, 19.7 and later). */
#include "../clickhouse.h"

static int detached_select(const struct ch_caps *c, struct ch_select *sel)
{
	/* reason is Nullable on some versions; "" is a part detached by hand. */
	bool reason = ch_caps_has(c, "detached_parts", "reason");
	*sel = (struct ch_select){
		.labels = { "database", "table", reason ? "toString(ifNull(reason, ''))" : NULL },
		.values = { "toFloat64(count())" },
		.from = reason ? "FROM system.detached_parts GROUP BY database, table, reason"
			       : "FROM system.detached_parts GROUP BY database, table",
	};
	return 0;
}

const struct ch_section section_detached_parts = {
	.sec = SEC_DETACHED_PARTS, .key = "detached_parts", .table = "detached_parts",
	.collector = &collector_detached_parts, .sparse = true, .select = detached_select,
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
			expo_sample(e, f, row->v[0], row->l[0], row->l[1], row->l[2]);
	}
	return ch_section_status(s, r, SEC_DETACHED_PARTS);
}

const struct collector_def collector_detached_parts = {
	.name = "detached_parts", .default_enabled = true, .collect = detached_collect, .concurrent = true,
};
