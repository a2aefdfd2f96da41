/* info: every mapped INFO field (INFO ALL), keyspace, commandstats, latencystats, errorstats, replication. */
#include "../info.h"
#include "../redis.h"

static int info_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	redisReply *r = rs->r[SLOT_INFO];
	if (!r || r->type != REDIS_REPLY_STRING)
		return scrape_fail(s, "INFO gave no text");
	struct info_opts o = {
		.ns = redis_opts.ns,
		.dbcount = redis_opts.empty_databases ? rs->dbcount : 0,
		.include_system = redis_opts.include_system_metrics,
		.now = rs->now,
	};
	struct info_result res;
	if (redis_info_parse(r->str, &o, e, &res) < 0)
		return scrape_fail(s, "INFO reply holds no field");
	return COLLECT_OK;
}

const struct collector_def collector_info = {
	.name = "info",
	.default_enabled = true,
	.collect = info_collect,
};
