/* modules: INFO MODULES with --include-modules-metrics: the modules loaded and their sections' fields. */
#include "../info.h"
#include "../redis.h"

static int modules_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	redisReply *r = rs->r[SLOT_INFO_MODULES];
	if (!r)
		return COLLECT_OK; /* --include-modules-metrics not given */
	if (r->type == REDIS_REPLY_ERROR)
		return scrape_fail(s, "INFO MODULES: %s", r->str);
	if (r->type != REDIS_REPLY_STRING)
		return scrape_fail(s, "INFO MODULES: unexpected reply type %d", r->type);
	struct info_opts o = { .ns = redis_opts.ns, .now = rs->now };
	redis_info_modules_parse(r->str, &o, e);
	return COLLECT_OK;
}

const struct collector_def collector_modules = {
	.name = "modules",
	.default_enabled = true,
	.collect = modules_collect,
};
