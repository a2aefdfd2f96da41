/*
 * tile38: --is-tile38, as upstream: SERVER EXT, a list of field, value;
 * each field (with "tile38_" put in front when missing) exported as an INFO
 * field upstream maps (tile38_threads_total, tile38_heap_size_bytes...).
 */
#include <stdio.h>
#include <string.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

/* A reply element as redigo's Strings takes it: a string, or an integer written out. */
static bool as_text(const redisReply *r, char *buf, size_t len)
{
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
		strf(buf, len, "%.*s", (int)r->len, r->str);
		return true;
	}
	if (r->type == REDIS_REPLY_INTEGER) {
		strf(buf, len, "%lld", r->integer);
		return true;
	}
	return false;
}

int tile38_fields(const redisReply *r, const struct info_opts *o, struct expo *e)
{
	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		char key[256], val[256], name[300];
		if (!as_text(r->element[i], key, sizeof key) || !as_text(r->element[i + 1], val, sizeof val))
			return -1;
		strf(name, sizeof name, "%s%s", has_prefix(key, "tile38_") ? "" : "tile38_", key);
		redis_info_field(o, e, name, val);
	}
	return 0;
}

static int tile38_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	if (!redis_opts.is_tile38)
		return COLLECT_OK;
	struct rcmd cmd;
	redisReply *r = NULL;
	char err[256];
	RCMD(&cmd, "SERVER", "EXT");
	if (rconn_exec(rs->conn, rs->copts, &cmd, 1, &r, rs->deadline, err, sizeof err) < 0)
		return scrape_fail(s, "SERVER EXT: %s", err);
	struct info_opts o = { .ns = redis_opts.ns, .now = rs->now };
	int rc = COLLECT_OK;
	if (r->type == REDIS_REPLY_ERROR)
		rc = scrape_fail(s, "SERVER EXT: %s", r->str);
	else if (tile38_fields(r, &o, e) < 0)
		rc = scrape_fail(s, "SERVER EXT: unexpected reply");
	replies_free(&r, 1);
	return rc;
}

const struct collector_def collector_tile38 = {
	.name = "tile38",
	.default_enabled = true,
	.collect = tile38_collect,
};
