/* system.events: one counter per event, clickhouse_<snake_case>_total as upstream. */
#include "../clickhouse.h"

static int events_sql(const struct ch_caps *c, struct buf *b)
{
	(void)c;
	return ch_sql_select(b, "events", "event", NULL, NULL, NULL,
			     (const char *const[CH_NVALUES]){ "value" }, "FROM system.events");
}

const struct ch_section section_events = {
	.sec = SEC_EVENTS, .key = "events", .table = "events", .collector = &collector_events,
	.sql = events_sql,
};

static int events_collect(struct scrape *s, struct expo *e)
{
	ch_emit_values(e, s->target, SEC_EVENTS, METRIC_COUNTER, "_total", "Events of kind ",
		       " since the server started (system.events).");
	return ch_section_status(s, s->target, SEC_EVENTS);
}

const struct collector_def collector_events = {
	.name = "events", .default_enabled = true, .collect = events_collect, .concurrent = true,
};
