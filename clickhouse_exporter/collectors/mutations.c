/*
 * Mutations per table (system.mutations): listed, pending, parts still to
 * mutate and, where the server records it (20.x on), pending mutations
 * whose last attempt failed. The failure reasons themselves go to the log
 * (scrape.c), once per mutation and reason: they are text, not metrics.
 */
#include "../clickhouse.h"

static int mutations_select(const struct ch_caps *c, struct ch_select *sel)
{
	bool fails = ch_caps_has(c, "mutations", "latest_fail_reason");
	*sel = (struct ch_select){
		.labels = { "database", "table" },
		.values = { "toFloat64(count())", "toFloat64(countIf(is_done = 0))",
			    "toFloat64(sumIf(parts_to_do, is_done = 0))",
			    fails ? "toFloat64(countIf(is_done = 0 AND latest_fail_reason != ''))" : NULL },
		.from = "FROM system.mutations GROUP BY database, table",
	};
	return 0;
}

/* At most 20 failing mutations per scrape are looked at for the log. */
static int failures_select(const struct ch_caps *c, struct ch_select *sel)
{
	if (!ch_caps_has(c, "mutations", "latest_fail_reason"))
		return 1;
	*sel = (struct ch_select){
		.labels = { "database", "table", "mutation_id", "latest_fail_reason" },
		.from = "FROM system.mutations WHERE is_done = 0 AND latest_fail_reason != '' LIMIT 20",
	};
	return 0;
}

/* PartMutation in system.metrics counts the parts being mutated now. */
static const char *const mutation_hints[] = { "PartMutation", NULL };

const struct ch_section section_mutations = {
	.sec = SEC_MUTATIONS, .key = "mutations", .table = "mutations", .collector = &collector_mutations,
	.sparse = true, .hints = mutation_hints, .select = mutations_select,
};

const struct ch_section section_mutation_failures = {
	.sec = SEC_MUTATION_FAILURES, .key = "mutation_failures", .table = "mutations",
	.collector = &collector_mutations, .sparse = true, .hints = mutation_hints, .select = failures_select,
};

static int mutations_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	ch_emit_table_gauge(e, r, SEC_MUTATIONS, 0, "clickhouse_table_mutations",
			    "Mutations of the table listed in system.mutations, done or not.");
	ch_emit_table_gauge(e, r, SEC_MUTATIONS, 1, "clickhouse_table_mutations_pending",
			    "Mutations of the table not done yet.");
	ch_emit_table_gauge(e, r, SEC_MUTATIONS, 2, "clickhouse_table_mutations_parts_to_do",
			    "Parts the table's pending mutations still have to change.");
	if (r->caps && ch_caps_has(r->caps, "mutations", "latest_fail_reason"))
		ch_emit_table_gauge(e, r, SEC_MUTATIONS, 3, "clickhouse_table_mutations_failed",
				    "Pending mutations of the table whose last attempt failed (reason in the log).");
	return ch_section_status(s, r, SEC_MUTATIONS);
}

const struct collector_def collector_mutations = {
	.name = "mutations", .default_enabled = true, .collect = mutations_collect, .concurrent = true,
};
