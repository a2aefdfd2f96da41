/* slowlog: SLOWLOG LEN and the latest entry of SLOWLOG GET 1. */
#include "../info.h"
#include "../redis.h"

static int slowlog_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	const redisReply *len = rs->r[SLOT_SLOWLOG_LEN], *get = rs->r[SLOT_SLOWLOG_GET];
	if (!len || !get)
		return COLLECT_NODATA;
	const char *ns = redis_opts.ns;
	if (len->type == REDIS_REPLY_INTEGER)
		expo_value(e, redis_family(e, ns, "slowlog_length", METRIC_GAUGE,
					   "Number of entries in the slow log.", NULL),
			   (double)len->integer);
	if (get->type != REDIS_REPLY_ARRAY)
		return scrape_fail(s, "SLOWLOG GET: %s",
				   get->type == REDIS_REPLY_ERROR ? get->str : "unexpected reply");
	/* An empty slow log is id 0 and duration 0, as upstream. */
	double id = 0, took = 0;
	if (get->elements > 0) {
		const redisReply *entry = get->element[0];
		if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 3 ||
		    entry->element[0]->type != REDIS_REPLY_INTEGER ||
		    entry->element[2]->type != REDIS_REPLY_INTEGER)
			return scrape_fail(s, "SLOWLOG GET: malformed entry");
		id = (double)entry->element[0]->integer;
		took = (double)entry->element[2]->integer / 1e6;
	}
	expo_value(e, redis_family(e, ns, "slowlog_last_id", METRIC_GAUGE,
				   "Id of the latest slow log entry.", NULL),
		   id);
	expo_value(e, redis_family(e, ns, "last_slow_execution_duration_seconds", METRIC_GAUGE,
				   "Execution time of the latest slow log entry, in seconds.", NULL),
		   took);
	if (len->type != REDIS_REPLY_INTEGER)
		return scrape_fail(s, "SLOWLOG LEN: %s",
				   len->type == REDIS_REPLY_ERROR ? len->str : "unexpected reply");
	return COLLECT_OK;
}

const struct collector_def collector_slowlog = {
	.name = "slowlog",
	.default_enabled = true,
	.collect = slowlog_collect,
};
