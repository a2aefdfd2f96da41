/*
 * system.asynchronous_metrics: one gauge per entry, in the same namespace
 * as system.metrics (as upstream). Dots and dashes of the names
 * ("jemalloc.active", "BlockQueueTime_dm-2") become underscores. 18.16
 * fills this table a minute after start: until then it is empty.
 */
#include "../clickhouse.h"

static int async_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	/* value is Float64 on every version: no cast. */
	*sel = (struct ch_select){ .labels = { "metric" }, .values = { "value" },
				   .from = "FROM system.asynchronous_metrics" };
	return 0;
}

const struct ch_section section_async = {
	.sec = SEC_ASYNC, .key = "asynchronous_metrics", .table = "asynchronous_metrics",
	.collector = &collector_asynchronous_metrics, .select = async_select,
};

static int async_collect(struct scrape *s, struct expo *e)
{
	ch_emit_values(e, s->target, SEC_ASYNC, METRIC_GAUGE, "", "Latest value of ",
		       " in system.asynchronous_metrics.");
	return ch_section_status(s, s->target, SEC_ASYNC);
}

const struct collector_def collector_asynchronous_metrics = {
	.name = "asynchronous_metrics", .default_enabled = true, .collect = async_collect,
	.concurrent = true,
};
