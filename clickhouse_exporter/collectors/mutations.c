/*
 * Mutations per table (system.mutations): listed, pending, parts still to
 * mutate and, where the server records it (20.x on), pending mutations
 * whose last attempt failed. The failure reasons themselves go to the log
 * (scrape.c), once per mutation and reason: they are text, not metrics.
 */
#include "../clickhouse.h"

static int mutations_sql(const struct ch_caps *c, struct buf *b)
{
	bool fails = ch_caps_has(c, "mutations", "latest_fail_reason");
	return ch_sql_select(b, "mutations", NULL, "database", "table", NULL,
			     (const char *const[CH_NVALUES]){
				     "count()", "countIf(is_done = 0)", "sumIf(parts_to_do, is_done = 0)",
				     fails ? "countIf(is_done = 0 AND latest_fail_reason != '')" : NULL },
			     "FROM system.mutations GROUP BY database, table");
}

/* At most 20 failing mutations per scrape are looked at for the log. */
static int failures_sql(const struct ch_caps *c, struct buf *b)
{
	if (!ch_caps_has(c, "mutations", "latest_fail_reason"))
		return 1;
	return ch_sql_select(b, "mutation_failures", "latest_fail_reason", "database", "table", "mutation_id",
			     NULL, "FROM system.mutations WHERE is_done = 0 AND latest_fail_reason != '' LIMIT 20");
}

const struct ch_section section_mutations = {
	.sec = SEC_MUTATIONS, .key = "mutations", .table = "mutations", .collector = &collector_mutations,
	.sql = mutations_sql,
};

const struct ch_section section_mutation_failures = {
	.sec = SEC_MUTATION_FAILURES, .key = "mutation_failures", .table = "mutations",
	.collector = &collector_mutations, .sql = failures_sql,
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
