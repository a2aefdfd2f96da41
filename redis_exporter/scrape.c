/*
 * One scrape of one target (redis_collect, the backend layer's collect
 * hook): the pipelined fetch on the target's connection, the collectors
 * over the replies, and the per-request key lists of /scrape.
 */
#define _GNU_SOURCE /* strcasestr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "info.h"
#include "redis.h"

/* Does this error reply mean the command will never work on this connection? */
static bool unsupported_error(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ERROR)
		return false;
	return strcasestr(r->str, "unknown") || has_prefix(r->str, "NOPERM") ||
	       strstr(r->str, "disabled") || strcasestr(r->str, "wrong number of arguments");
}

static bool want(const struct request *rq, const bool *selected, const struct collector_def *d)
{
	for (size_t i = 0; i < rq->x->ninst; i++)
		if (rq->x->inst[i].def == d)
			return selected[i];
	return false;
}

static const char *const config_keys[] = { "maxmemory", "maxclients", "io-threads",
					   "repl-backlog-size", "client-output-buffer-limit",
					   "databases", "dir", "dbfilename" };

/* Log a command failing for good once per connection... and per target. */
static void note_unsupported(struct rtarget *t, struct rconn *c, unsigned cap, const char *what,
			     const redisReply *r)
{
	c->unsupported |= cap;
	if (t->logged_unsupported & cap)
		return;
	t->logged_unsupported |= cap;
	log_warn("command not available on this server; not sent again on this connection", "addr",
		 t->addr.display, "command", what, "err", r ? r->str : "", NULL);
}

static bool text_reply(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/*
 * Fill rs for one scrape of bs's target. Returns 0 when the server
 * answered INFO, else -1 with err.
 */
static int fetch(struct backend_scrape *bs, const struct keyplan *kp, struct rscrape *rs,
		 double *ping, char *err, size_t errlen)
{
	const struct redis_options *o = &redis_opts;
	const struct request *rq = bs->rq;
	const bool *sel = bs->selected;
	struct rtarget *t = bs->spec;
	double deadline = bs->deadline;
	struct rconn *c = bs->conn;
	bool w_info = want(rq, sel, &collector_info), w_config = want(rq, sel, &collector_config);
	bool w_cluster = want(rq, sel, &collector_cluster);
	bool config_ok = strcmp(o->config_command, "-") != 0;
	struct rcmd cmds[SLOT_N];
	int slot_of[SLOT_N];

	for (;;) {
		if (o->ping_on_connect) {
			struct rcmd pc;
			redisReply *pr = NULL;
			RCMD(&pc, "PING");
			double t0 = mono_now();
			if (rconn_exec(c, &t->copts, &pc, 1, &pr, deadline, err, errlen) == 0) {
				if (pr->type != REDIS_REPLY_ERROR)
					*ping = mono_now() - t0;
				replies_free(&pr, 1);
			}
		}
		size_t n = 0;
		for (int i = 0; i < SLOT_N; i++)
			slot_of[i] = -1;
		if (rconn_alive(c) && config_ok && !(c->unsupported & RCAP_CONFIG)) {
			if (w_config && o->include_config_metrics) {
				slot_of[SLOT_CONFIG_FIRST] = (int)n;
				RCMD(&cmds[n++], o->config_command, "GET", "*");
			} else {
				for (size_t k = 0; k < sizeof config_keys / sizeof config_keys[0]; k++) {
					bool dbs = !strcmp(config_keys[k], "databases");
					bool rdb = k >= 6; /* dir, dbfilename */
					if (!(w_config || (dbs && w_info)) || (rdb && !o->include_rdb_size))
						continue;
					slot_of[SLOT_CONFIG_FIRST + (int)k] = (int)n;
					RCMD(&cmds[n++], o->config_command, "GET", config_keys[k]);
				}
			}
		}
		slot_of[SLOT_INFO] = (int)n;
		if (c->unsupported & RCAP_INFO_ALL)
			RCMD(&cmds[n++], "INFO");
		else
			RCMD(&cmds[n++], "INFO", "ALL");
		if (w_cluster && c->cluster == 1 && !(c->unsupported & RCAP_CLUSTER)) {
			slot_of[SLOT_CLUSTER_INFO] = (int)n;
			RCMD(&cmds[n++], "CLUSTER", "INFO");
		}
		bool w_latency = want(rq, sel, &collector_latency) && !o->exclude_latency;
		if (w_latency && !(c->unsupported & RCAP_LATENCY)) {
			slot_of[SLOT_LATENCY] = (int)n;
			RCMD(&cmds[n++], "LATENCY", "LATEST");
		}
		if (w_latency && !(c->unsupported & RCAP_LATENCY_HISTOGRAM)) {
			slot_of[SLOT_LATENCY_HISTOGRAM] = (int)n;
			RCMD(&cmds[n++], "LATENCY", "HISTOGRAM");
		}
		if (want(rq, sel, &collector_slowlog) && !(c->unsupported & RCAP_SLOWLOG)) {
			slot_of[SLOT_SLOWLOG_LEN] = (int)n;
			RCMD(&cmds[n++], "SLOWLOG", "LEN");
			slot_of[SLOT_SLOWLOG_GET] = (int)n;
			RCMD(&cmds[n++], "SLOWLOG", "GET", "1");
		}
		if (want(rq, sel, &collector_clients) && !(c->unsupported & RCAP_CLIENT_LIST)) {
			slot_of[SLOT_CLIENT_LIST] = (int)n;
			RCMD(&cmds[n++], "CLIENT", "LIST");
		}
		if (o->include_modules && want(rq, sel, &collector_modules)) {
			slot_of[SLOT_INFO_MODULES] = (int)n;
			RCMD(&cmds[n++], "INFO", "MODULES");
		}
		redisReply *r[SLOT_N];
		if (rconn_alive(c) && rconn_exec(c, &t->copts, cmds, n, r, deadline, err, errlen) == 0) {
			for (int i = 0; i < SLOT_N; i++)
				rs->r[i] = slot_of[i] >= 0 ? r[slot_of[i]] : NULL;
			break;
		}
		/* A reused connection may have gone stale (server restarted): one retry on a new one. */
		if (!backend_reconnect(bs, err, errlen)) {
			if (!bs->retried) {
				char tmp[512];
				strf(tmp, sizeof tmp, "%s", err);
				strf(err, errlen, "%.300s: %.200s", t->addr.display, tmp);
			}
			return -1;
		}
		c = bs->conn;
	}

	/* Capabilities, probed once per connection. */
	for (int i = SLOT_CONFIG_FIRST; i <= SLOT_CONFIG_LAST; i++)
		if (unsupported_error(rs->r[i]))
			note_unsupported(t, c, RCAP_CONFIG, "CONFIG GET", rs->r[i]);
	if (unsupported_error(rs->r[SLOT_LATENCY]))
		note_unsupported(t, c, RCAP_LATENCY, "LATENCY LATEST", rs->r[SLOT_LATENCY]);
	if (unsupported_error(rs->r[SLOT_LATENCY_HISTOGRAM]))
		note_unsupported(t, c, RCAP_LATENCY_HISTOGRAM, "LATENCY HISTOGRAM", rs->r[SLOT_LATENCY_HISTOGRAM]);
	if (unsupported_error(rs->r[SLOT_SLOWLOG_LEN]))
		note_unsupported(t, c, RCAP_SLOWLOG, "SLOWLOG", rs->r[SLOT_SLOWLOG_LEN]);
	if (unsupported_error(rs->r[SLOT_CLIENT_LIST]))
		note_unsupported(t, c, RCAP_CLIENT_LIST, "CLIENT LIST", rs->r[SLOT_CLIENT_LIST]);
	if (unsupported_error(rs->r[SLOT_CLUSTER_INFO]))
		note_unsupported(t, c, RCAP_CLUSTER, "CLUSTER INFO", rs->r[SLOT_CLUSTER_INFO]);

	/* INFO ALL refused or empty: plain INFO, as upstream, remembered for the connection. */
	redisReply *info = rs->r[SLOT_INFO];
	if (!(c->unsupported & RCAP_INFO_ALL) &&
	    (!info || (info->type == REDIS_REPLY_STRING && info->len == 0) ||
	     (info->type == REDIS_REPLY_ERROR && unsupported_error(info)))) {
		struct rcmd ic;
		RCMD(&ic, "INFO");
		redisReply *r2 = NULL;
		if (rconn_exec(c, &t->copts, &ic, 1, &r2, deadline, err, errlen) < 0)
			return -1;
		c->unsupported |= RCAP_INFO_ALL;
		replies_free(&rs->r[SLOT_INFO], 1);
		rs->r[SLOT_INFO] = info = r2;
	}
	if (!info || info->type != REDIS_REPLY_STRING) {
		strf(err, errlen, "%s", info && info->type == REDIS_REPLY_ERROR ? info->str : "INFO: unexpected reply");
		/* NOAUTH, LOADING...: start over with a new connection next time. */
		rconn_close(c);
		return -1;
	}
	c->cluster = strstr(info->str, "cluster_enabled:1") ? 1 : 0;
	const char *role = strstr(info->str, "\nrole:");
	role = role ? role + 6 : has_prefix(info->str, "role:") ? info->str + 5 : NULL;
	if (role)
		strf(t->role, sizeof t->role, "%.*s", (int)strcspn(role, "\r\n"), role);
	/* Before the info collector parses INFO in place: the histograms' sums. */
	const redisReply *hist = rs->r[SLOT_LATENCY_HISTOGRAM];
	if (hist && hist->type == REDIS_REPLY_ARRAY && hist->elements)
		cmdusec_index_build(info->str, info->len, &rs->cmdusec);
	rs->cluster = c->cluster == 1;

	/* Cluster mode learnt just now: its CLUSTER INFO in one more round trip, then pipelined. */
	if (w_cluster && rs->cluster && !rs->r[SLOT_CLUSTER_INFO] && !(c->unsupported & RCAP_CLUSTER)) {
		struct rcmd cc;
		RCMD(&cc, "CLUSTER", "INFO");
		char cerr[256];
		if (rconn_exec(c, &t->copts, &cc, 1, &rs->r[SLOT_CLUSTER_INFO], deadline, cerr, sizeof cerr) == 0 &&
		    unsupported_error(rs->r[SLOT_CLUSTER_INFO]))
			note_unsupported(t, c, RCAP_CLUSTER, "CLUSTER INFO", rs->r[SLOT_CLUSTER_INFO]);
	}

	/* Databases to pad with zero series: CONFIG's count, 16 when unknown, 1 in cluster mode. */
	rs->dbcount = 16;
	const redisReply *dbr = rs->r[SLOT_CONFIG_FIRST + 5];
	if (o->include_config_metrics)
		dbr = rs->r[SLOT_CONFIG_FIRST];
	if (dbr && dbr->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < dbr->elements; i += 2) {
			int64_t v;
			if (text_reply(dbr->element[i]) && !strcmp(dbr->element[i]->str, "databases") &&
			    text_reply(dbr->element[i + 1]) && parse_i64(dbr->element[i + 1]->str, &v) == 0 &&
			    v > 0)
				rs->dbcount = (long)v;
		}
	}
	if (rs->cluster && text_reply(rs->r[SLOT_CLUSTER_INFO]))
		rs->dbcount = 1;

	bool on_master = strstr(info->str, "\nrole:master") || has_prefix(info->str, "role:master");
	rs->on_master = on_master;
	rs->conn = c;
	rs->copts = &t->copts;
	rs->deadline = deadline;
	rs->plan = kp;
	rs->home_db = t->addr.db;
	rs->sentinel = strstr(info->str, "# Sentinel") != NULL;
	if (want(rq, sel, &collector_keys) && !(o->skip_keys_on_master && on_master) &&
	    ((kp->check && kp->check->n) || (kp->single && kp->single->n) || (kp->count && kp->count->n))) {
		keycheck_run(c, &t->copts, kp, &rs->keys, deadline);
		rs->keys_ran = true;
	}
	return 0;
}

/* Per-request key lists of /scrape (check-keys=...), or the flags' lists. */
struct keyargs {
	struct keylist check, single, count, streams, single_streams;
	struct keyplan plan;
};

/* The key lists of a request: its own (probe) or the flags'. Returns 0 or 400 with msg. */
static int keyargs_init(const struct request *rq, bool probe, struct keyargs *k, char *msg,
			size_t msglen)
{
	k->plan = (struct keyplan){ .check = &redis_opts.check_keys, .single = &redis_opts.check_single_keys,
				    .count = &redis_opts.count_keys, .batch = redis_opts.check_keys_batch,
				    .cluster = redis_opts.is_cluster, .streams = &redis_opts.check_streams,
				    .single_streams = &redis_opts.check_single_streams };
	if (!probe)
		return 0;
	static const char *const names[] = { "check-keys", "check-single-keys", "count-keys", "check-streams",
					     "check-single-streams" };
	struct keylist *lists[] = { &k->check, &k->single, &k->count, &k->streams, &k->single_streams };
	const struct keylist **slots[] = { &k->plan.check, &k->plan.single, &k->plan.count, &k->plan.streams,
					   &k->plan.single_streams };
	for (int i = 0; i < 5; i++) {
		const char *v = request_arg(rq, names[i]);
		if (!v || !*v)
			continue;
		char err[256];
		if (keylist_parse(v, lists[i], err, sizeof err) < 0) {
			strf(msg, msglen, "invalid %s: %s", names[i], err);
			return 400;
		}
		*slots[i] = lists[i];
	}
	return 0;
}

static void keyargs_free(struct keyargs *k)
{
	keylist_free(&k->check);
	keylist_free(&k->single);
	keylist_free(&k->count);
	keylist_free(&k->streams);
	keylist_free(&k->single_streams);
}

int redis_begin(const struct request *rq, bool probe, void **ctx, char *msg, size_t msglen)
{
	struct keyargs *k = calloc(1, sizeof *k);
	if (!k) {
		strf(msg, msglen, "out of memory");
		return 500;
	}
	*ctx = k;
	return keyargs_init(rq, probe, k, msg, msglen);
}

void redis_end(void *ctx)
{
	struct keyargs *k = ctx;
	keyargs_free(k);
	free(k);
}

int redis_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen)
{
	const struct keyargs *k = bs->ctx;
	struct rscrape rs = { .now = wall_now() };
	double ping = -1;
	int rc = fetch(bs, &k->plan, &rs, &ping, err, errlen);
	/* After INFO (or the role of the latest scrape that had it), before any family. */
	if (redis_opts.role_label)
		expo_append_label(e, redis_opts.role_prefix, redis_opts.role_skip, "instance_role",
				  ((struct rtarget *)bs->spec)->role);
	if (rc == 0)
		exporter_run_collectors(bs->rq, bs->selected, &rs, e);
	/* A failed --script fails the scrape (redis_up 0), as upstream; the rest is served. */
	if (rc == 0 && rs.fail[0]) {
		strf(err, errlen, "%s", rs.fail);
		rc = -1;
	}
	replies_free(rs.r, SLOT_N);
	keycheck_free(&rs.keys);
	cmdusec_index_free(&rs.cmdusec);
	if (ping >= 0)
		expo_value(e, redis_family(e, redis_opts.ns, "exporter_last_scrape_ping_time_seconds",
					   METRIC_GAUGE, "Round trip time of a PING in the last scrape, in seconds.",
					   NULL),
			   ping);
	return rc;
}
