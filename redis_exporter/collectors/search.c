/*
 * search: --include-search-indexes-metrics, as upstream: FT._LIST, then
 * FT.INFO of every index matching --check-search-indexes (an unanchored
 * regular expression) in one pipeline; search_index_*{index_name}. An index
 * whose FT.INFO fails stops the rest, as upstream's loop does.
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../../common/log.h"
#include "../../common/rx.h"
#include "../info.h"
#include "../redis.h"

static int search_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	if (!redis_opts.include_search_indexes)
		return COLLECT_OK;
	struct rcmd list;
	redisReply *lr = NULL;
	char err[256];
	RCMD(&list, "FT._LIST");
	if (rconn_exec(rs->conn, rs->copts, &list, 1, &lr, rs->deadline, err, sizeof err) < 0)
		return scrape_fail(s, "FT._LIST: %s", err);
	if (lr->type != REDIS_REPLY_ARRAY) {
		int rc = scrape_fail(s, "FT._LIST: %s", lr->type == REDIS_REPLY_ERROR ? lr->str : "unexpected reply");
		replies_free(&lr, 1);
		return rc;
	}
	struct rbatch b = { .db = rs->conn->db };
	if (rbatch_grow(&b, lr->elements + 1) < 0) {
		replies_free(&lr, 1);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < lr->elements; i++) {
		const redisReply *name = lr->element[i];
		if (name->type == REDIS_REPLY_STRING && rx_match(redis_opts.search_indexes, name->str))
			b.cmds[b.n++] = (struct rcmd){ .argc = 2, .argv = { "FT.INFO", name->str }, .len = { 7, name->len } };
	}
	int rc = COLLECT_OK;
	if (b.n && rconn_exec(rs->conn, rs->copts, b.cmds, b.n, b.r, rs->deadline, err, sizeof err) < 0) {
		b.n = 0;
		rc = scrape_fail(s, "FT.INFO: %s", err);
	}
	for (size_t i = 0; i < b.n && rc == COLLECT_OK; i++) {
		struct search_index si;
		if (b.r[i]->type == REDIS_REPLY_ERROR) {
			rc = scrape_fail(s, "FT.INFO %s: %s", b.cmds[i].argv[1], b.r[i]->str);
			break;
		}
		/* An index upstream cannot scan is skipped; the others go on. */
		if (search_index_parse(b.r[i], &si, err, sizeof err) < 0) {
			log_debug("search index skipped", "index", b.cmds[i].argv[1], "err", err, NULL);
			continue;
		}
		search_index_metrics(e, redis_opts.ns, &si);
	}
	rbatch_free(&b);
	replies_free(&lr, 1);
	return rc;
}

const struct collector_def collector_search = {
	.name = "search",
	.default_enabled = true,
	.collect = search_collect,
};
