/* system.metrics: one gauge per entry, named as upstream (clickhouse_<snake_case>). */
#include "../clickhouse.h"

static int metrics_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	*sel = (struct ch_select){ .labels = { "metric" }, .values = { "toFloat64(value)" },
				   .from = "FROM system.metrics" };
	return 0;
}

const struct ch_section section_metrics = {
	.sec = SEC_METRICS, .key = "metrics", .table = "metrics", .collector = &collector_metrics,
	.select = metrics_select,
};

static int metrics_collect(struct scrape *s, struct expo *e)
{
	ch_emit_values(e, s->target, SEC_METRICS, METRIC_GAUGE, "", "Current value of ", " in system.metrics.");
	return ch_section_status(s, s->target, SEC_METRICS);
}

const struct collector_def collector_metrics = {
	.name = "metrics", .default_enabled = true, .collect = metrics_collect, .concurrent = true,
};
