/*
 * streams: --check-streams (patterns, SCAN) and --check-single-streams, as
 * upstream: XINFO STREAM and XINFO GROUPS of every stream in one pipeline,
 * then XINFO CONSUMERS of every group in a second one (none with
 * --streams-exclude-consumer-metrics). A stream whose XINFO fails (gone,
 * not a stream) is left out and the first such error reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

static void note(char *err, size_t errlen, const char *key, const redisReply *r, const char *what)
{
	if (!err[0])
		strf(err, errlen, "%s %.100s: %.200s", what, key,
		     r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
}

struct stream_slots {
	long select, stream, groups;
};

static void stream_families(struct expo *e, const char *db, const char *key, const struct stream_info *si)
{
	const char *ns = redis_opts.ns;
	static const char *const lbl[] = { "db", "stream", NULL };
	static const struct {
		const char *name, *help;
		size_t offset;
	} gauges[] = {
		{ "stream_length", "Entries in a stream (XINFO STREAM length).", offsetof(struct stream_info, length) },
		{ "stream_radix_tree_keys", "Keys of a stream's radix tree.", offsetof(struct stream_info, radix_keys) },
		{ "stream_radix_tree_nodes", "Nodes of a stream's radix tree.", offsetof(struct stream_info, radix_nodes) },
		{ "stream_groups", "Consumer groups of a stream.", offsetof(struct stream_info, groups) },
		{ "stream_last_generated_id", "Milliseconds part of the last ID a stream generated.",
		  offsetof(struct stream_info, last_generated_ms) },
		{ "stream_max_deleted_entry_id", "Milliseconds part of the largest ID deleted from a stream.",
		  offsetof(struct stream_info, max_deleted_ms) },
		{ "stream_first_entry_id", "Milliseconds part of the ID of a stream's first entry.",
		  offsetof(struct stream_info, first_entry_ms) },
		{ "stream_last_entry_id", "Milliseconds part of the ID of a stream's last entry.",
		  offsetof(struct stream_info, last_entry_ms) },
	};
	for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++)
		expo_sample(e, redis_family(e, ns, gauges[i].name, METRIC_GAUGE, gauges[i].help, lbl),
			    *(const double *)((const char *)si + gauges[i].offset), db, key);
	expo_sample(e, redis_family(e, ns, "stream_entries_added_total", METRIC_COUNTER,
				    "Entries ever added to a stream.", lbl),
		    si->entries_added, db, key);
}

static void group_families(struct expo *e, const char *db, const char *key, const struct stream_group *g)
{
	const char *ns = redis_opts.ns;
	static const char *const lbl[] = { "db", "stream", "group", NULL };
	expo_sample(e, redis_family(e, ns, "stream_group_consumers", METRIC_GAUGE, "Consumers of a stream's group.", lbl),
		    g->consumers, db, key, g->name);
	expo_sample(e, redis_family(e, ns, "stream_group_messages_pending", METRIC_GAUGE,
				    "Messages delivered to a group and not acknowledged.", lbl),
		    g->pending, db, key, g->name);
	expo_sample(e, redis_family(e, ns, "stream_group_last_delivered_id", METRIC_GAUGE,
				    "Milliseconds part of the ID a group was last delivered.", lbl),
		    g->last_delivered_ms, db, key, g->name);
	expo_sample(e, redis_family(e, ns, "stream_group_entries_read", METRIC_GAUGE,
				    "Entries a group has read.", lbl),
		    g->entries_read, db, key, g->name);
	expo_sample(e, redis_family(e, ns, "stream_group_lag", METRIC_GAUGE,
				    "Entries of a stream still to be delivered to a group.", lbl),
		    g->lag, db, key, g->name);
}

static int streams_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	const struct keyplan *plan = rs->plan;
	if (!plan || (!(plan->streams && plan->streams->n) && !(plan->single_streams && plan->single_streams->n)))
		return COLLECT_OK; /* nothing to check */
	if (redis_opts.skip_keys_on_master && rs->on_master)
		return COLLECT_OK;
	struct rconn *c = rs->conn;
	/* The streams: single ones as given, patterns expanded with SCAN. */
	struct keyplan kp = { .single = plan->single_streams, .check = plan->streams, .batch = plan->batch,
			      .cluster = plan->cluster };
	struct keycheck found;
	keycheck_expand(c, rs->copts, &kp, &found, rs->deadline);
	char err[300] = "";
	if (found.err[0])
		strf(err, sizeof err, "%s", found.err);
	size_t n = found.nkeys;
	struct stream_slots *slot = calloc(n ? n : 1, sizeof *slot);
	struct rbatch p1 = { .db = c->db }, p2 = { .db = c->db };
	struct stream_info *info = calloc(n ? n : 1, sizeof *info);
	redisReply **groups = calloc(n ? n : 1, sizeof *groups);
	if (!slot || !info || !groups || rbatch_grow(&p1, n * 3) < 0) {
		strf(err, sizeof err, "out of memory");
		goto done;
	}
	if (!n || !rconn_alive(c))
		goto done;
	for (size_t i = 0; i < n; i++) {
		const struct keyresult *k = &found.keys[i];
		slot[i].select = rbatch_select(&p1, kp.cluster, k->db);
		slot[i].stream = (long)p1.n;
		p1.cmds[p1.n++] = (struct rcmd){ .argc = 3, .argv = { "XINFO", "STREAM", k->key }, .len = { 5, 6, k->strlen_ } };
		slot[i].groups = (long)p1.n;
		p1.cmds[p1.n++] = (struct rcmd){ .argc = 3, .argv = { "XINFO", "GROUPS", k->key }, .len = { 5, 6, k->strlen_ } };
	}
	char xerr[256];
	if (rconn_exec(c, rs->copts, p1.cmds, p1.n, p1.r, rs->deadline, xerr, sizeof xerr) < 0) {
		p1.n = 0;
		strf(err, sizeof err, "XINFO: %s", xerr);
		goto done;
	}
	c->db = p1.db;
	/* Second round: the consumers of every group of every stream that answered. */
	size_t ngroups = 0;
	for (size_t i = 0; i < n; i++) {
		const redisReply *sel = slot[i].select >= 0 ? p1.r[slot[i].select] : NULL;
		const redisReply *st = p1.r[slot[i].stream], *gr = p1.r[slot[i].groups];
		char perr[256];
		if (sel && sel->type == REDIS_REPLY_ERROR) {
			note(err, sizeof err, found.keys[i].key, sel, "SELECT for stream");
			continue;
		}
		if (stream_info_parse(st, &info[i], perr, sizeof perr) < 0) {
			note(err, sizeof err, found.keys[i].key, st, "XINFO STREAM");
			continue;
		}
		if (gr->type != REDIS_REPLY_ARRAY) {
			note(err, sizeof err, found.keys[i].key, gr, "XINFO GROUPS");
			continue;
		}
		groups[i] = p1.r[slot[i].groups];
		ngroups += gr->elements;
	}
	bool consumers = !redis_opts.streams_exclude_consumers;
	p2.db = c->db;
	if (rbatch_grow(&p2, consumers ? ngroups * 2 + n : 1) < 0) {
		strf(err, sizeof err, "out of memory");
		goto done;
	}
	/* Names of the groups, in the order their XINFO CONSUMERS are sent. */
	struct stream_group *g = calloc(ngroups ? ngroups : 1, sizeof *g);
	long *gslot = calloc(ngroups ? ngroups : 1, sizeof *gslot);
	if (!g || !gslot) {
		free(g);
		free(gslot);
		strf(err, sizeof err, "out of memory");
		goto done;
	}
	size_t gi = 0;
	for (size_t i = 0; i < n; i++) {
		if (!groups[i])
			continue;
		for (size_t k = 0; k < groups[i]->elements; k++, gi++) {
			gslot[gi] = -1;
			if (stream_group_parse(groups[i]->element[k], &g[gi]) < 0 || !consumers)
				continue;
			rbatch_select(&p2, kp.cluster, found.keys[i].db);
			gslot[gi] = (long)p2.n;
			p2.cmds[p2.n++] = (struct rcmd){ .argc = 4, .argv = { "XINFO", "CONSUMERS", found.keys[i].key, g[gi].name },
							 .len = { 5, 9, found.keys[i].strlen_, strlen(g[gi].name) } };
		}
	}
	if (p2.n && rconn_exec(c, rs->copts, p2.cmds, p2.n, p2.r, rs->deadline, xerr, sizeof xerr) < 0) {
		p2.n = 0;
		strf(err, sizeof err, "XINFO CONSUMERS: %s", xerr);
		free(g);
		free(gslot);
		goto done;
	}
	c->db = p2.db;
	gi = 0;
	static const char *const clbl[] = { "db", "stream", "group", "consumer", NULL };
	for (size_t i = 0; i < n; i++) {
		if (!groups[i]) {
			continue;
		}
		char db[32];
		strf(db, sizeof db, "db%ld", found.keys[i].db);
		const char *key = found.keys[i].key;
		/* A stream whose consumers could not be read is left out whole, as upstream. */
		bool ok = true;
		for (size_t k = 0; k < groups[i]->elements; k++)
			if (gslot[gi + k] >= 0 && p2.r[gslot[gi + k]]->type != REDIS_REPLY_ARRAY) {
				note(err, sizeof err, key, p2.r[gslot[gi + k]], "XINFO CONSUMERS");
				ok = false;
			}
		if (ok)
			stream_families(e, db, key, &info[i]);
		for (size_t k = 0; k < groups[i]->elements; k++, gi++) {
			if (!ok || !g[gi].name[0])
				continue;
			group_families(e, db, key, &g[gi]);
			const redisReply *cr = gslot[gi] >= 0 ? p2.r[gslot[gi]] : NULL;
			for (size_t m = 0; cr && m < cr->elements; m++) {
				char name[256];
				double pending, idle;
				if (stream_consumer_parse(cr->element[m], name, sizeof name, &pending, &idle) < 0)
					continue;
				expo_sample(e, redis_family(e, redis_opts.ns, "stream_group_consumer_messages_pending",
							    METRIC_GAUGE, "Messages delivered to a consumer and not acknowledged.", clbl),
					    pending, db, key, g[gi].name, name);
				expo_sample(e, redis_family(e, redis_opts.ns, "stream_group_consumer_idle_seconds",
							    METRIC_GAUGE, "Seconds since a consumer last read or acknowledged.", clbl),
					    idle / 1e3, db, key, g[gi].name, name);
			}
		}
	}
	free(g);
	free(gslot);
done:
	rbatch_free(&p1);
	rbatch_free(&p2);
	free(slot);
	free(info);
	free(groups);
	keycheck_free(&found);
	if (err[0])
		return scrape_fail(s, "%s", err);
	return COLLECT_OK;
}

const struct collector_def collector_streams = {
	.name = "streams",
	.default_enabled = true,
	.collect = streams_collect,
};
