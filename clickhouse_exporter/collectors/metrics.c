/* system.metrics: one gauge per entry, named as upstream (clickhouse_<snake_case>). */
#include "../clickhouse.h"

static int metrics_sql(const struct ch_caps *c, struct buf *b)
{
	(void)c;
	return ch_sql_select(b, "metrics", "metric", NULL, NULL, NULL,
			     (const char *const[CH_NVALUES]){ "value" }, "FROM system.metrics");
}

const struct ch_section section_metrics = {
	.sec = SEC_METRICS, .key = "metrics", .table = "metrics", .collector = &collector_metrics,
	.sql = metrics_sql,
};

static int metrics_collect(struct scrape *s, struct expo *e)
{
	ch_emit_values(e, s->target, SEC_METRICS, METRIC_GAUGE, "", "Current value of ", " in system.metrics.");
	return ch_section_status(s, s->target, SEC_METRICS);
}

const struct collector_def collector_metrics = {
	.name = "metrics", .default_enabled = true, .collect = metrics_collect, .concurrent = true,
};
