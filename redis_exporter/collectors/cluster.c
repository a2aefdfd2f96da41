/* cluster: CLUSTER INFO (state, slots, known nodes, size, epochs, messages) in cluster mode. */
#include "../info.h"
#include "../redis.h"

static int cluster_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	if (!rs->cluster)
		return COLLECT_OK; /* a standalone server has no cluster metrics */
	redisReply *r = rs->r[SLOT_CLUSTER_INFO];
	if (!r)
		return COLLECT_NODATA;
	if (r->type == REDIS_REPLY_ERROR)
		return scrape_fail(s, "CLUSTER INFO: %s", r->str);
	if (r->type != REDIS_REPLY_STRING)
		return scrape_fail(s, "CLUSTER INFO: unexpected reply type %d", r->type);
	struct info_opts o = { .ns = redis_opts.ns, .now = rs->now };
	if (redis_cluster_info_parse(r->str, &o, e) < 0)
		return scrape_fail(s, "CLUSTER INFO reply holds no field");
	return COLLECT_OK;
}

const struct collector_def collector_cluster = {
	.name = "cluster",
	.default_enabled = true,
	.collect = cluster_collect,
};
