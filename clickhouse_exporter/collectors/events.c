/* system.events: one counter per event, clickhouse_<snake_case>_total as upstream. */
#include "../clickhouse.h"

static int events_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	*sel = (struct ch_select){ .labels = { "event" }, .values = { "toFloat64(value)" },
				   .from = "FROM system.events" };
	return 0;
}

const struct ch_section section_events = {
	.sec = SEC_EVENTS, .key = "events", .table = "events", .collector = &collector_events,
	.select = events_select,
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
