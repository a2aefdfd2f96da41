/*
 * sentinel: on a Sentinel (its INFO has a Sentinel section), as upstream:
 * SENTINEL MASTERS, then for every master SENTINEL CKQUORUM, SENTINELS and
 * SLAVES in one pipeline: the master's settings, epoch and last good ping,
 * the quorum check, the Sentinels and replicas not seen down, and with
 * --include-sentinel-peer-info each peer Sentinel. With
 * --include-config-metrics also SENTINEL CONFIG GET * (as upstream, not
 * redacted: Sentinel's global settings hold no password).
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

static bool is_text(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* The value of field in a flat field/value array of strings, or NULL (upstream's StringMap). */
static const char *field(const redisReply *r, const char *name)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (is_text(r->element[i]) && !strcmp(r->element[i]->str, name))
			return is_text(r->element[i + 1]) ? r->element[i + 1]->str : NULL;
	return NULL;
}

/* A field/value array whose every element is a string, as redigo's StringMap wants. */
static bool string_map(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2)
		return false;
	for (size_t i = 0; i < r->elements; i++)
		if (!is_text(r->element[i]))
			return false;
	return true;
}

/* A number as Go's ParseFloat gives it, 0 when it is not one (upstream ignores the error). */
static double number(const char *s)
{
	double v;
	return s && parse_double(s, &v) == 0 ? v : 0;
}

static bool seen_down(const char *flags)
{
	return strstr(flags, "o_down") || strstr(flags, "s_down");
}

static void master_metrics(struct expo *e, const redisReply *m, const char *name, const char *addr,
			   const redisReply *ckq, const redisReply *sentinels, const redisReply *slaves)
{
	const char *ns = redis_opts.ns;
	static const char *const lbl[] = { "master_name", "master_address", NULL };
	expo_sample(e, redis_family(e, ns, "sentinel_master_ckquorum_status", METRIC_GAUGE,
				    "Whether the Sentinels can reach the quorum for a master (SENTINEL CKQUORUM), with its answer.",
				    (const char *const[]){ "master_name", "message", NULL }),
		    ckq && ckq->type != REDIS_REPLY_ERROR ? 1 : 0, name, ckq && ckq->str ? ckq->str : "");
	static const struct {
		const char *metric, *field, *help;
	} settings[] = {
		{ "sentinel_master_setting_ckquorum", "quorum", "Quorum setting of a master." },
		{ "sentinel_master_setting_failover_timeout", "failover-timeout", "failover-timeout setting of a master, ms." },
		{ "sentinel_master_setting_parallel_syncs", "parallel-syncs", "parallel-syncs setting of a master." },
		{ "sentinel_master_setting_down_after_milliseconds", "down-after-milliseconds",
		  "down-after-milliseconds setting of a master." },
		{ "sentinel_master_config_epoch", "config-epoch", "Configuration epoch of a master (each failover raises it)." },
	};
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		expo_sample(e, redis_family(e, ns, settings[i].metric, METRIC_GAUGE, settings[i].help, lbl),
			    number(field(m, settings[i].field)), name, addr);
	expo_sample(e, redis_family(e, ns, "sentinel_master_last_ok_ping_reply_seconds", METRIC_GAUGE,
				    "Seconds since a master last answered a PING well.", lbl),
		    number(field(m, "last-ok-ping-reply")) / 1000.0, name, addr);

	/* This Sentinel counts itself. */
	double ok_sentinels = 1;
	for (size_t i = 0; sentinels && sentinels->type == REDIS_REPLY_ARRAY && i < sentinels->elements; i++) {
		const redisReply *s = sentinels->element[i];
		if (!string_map(s))
			continue;
		const char *flags = field(s, "flags");
		if (redis_opts.sentinel_peer_info) {
			const char *v[5] = { field(s, "name"), field(s, "ip"), field(s, "port"), field(s, "runid"), flags };
			expo_sample(e, redis_family(e, ns, "sentinel_peer_info", METRIC_GAUGE,
						    "Another Sentinel of a master (SENTINEL SENTINELS); always 1.",
						    (const char *const[]){ "master_name", "master_address", "name", "ip", "port",
									   "runid", "flags", NULL }),
				    1, name, addr, v[0], v[1], v[2], v[3], v[4]);
		}
		if (flags && !seen_down(flags))
			ok_sentinels++;
	}
	expo_sample(e, redis_family(e, ns, "sentinel_master_ok_sentinels", METRIC_GAUGE,
				    "Sentinels of a master not seen down, this one included.", lbl),
		    ok_sentinels, name, addr);
	double ok_slaves = 0;
	for (size_t i = 0; slaves && slaves->type == REDIS_REPLY_ARRAY && i < slaves->elements; i++) {
		const redisReply *s = slaves->element[i];
		const char *flags = string_map(s) ? field(s, "flags") : NULL;
		if (flags && !seen_down(flags))
			ok_slaves++;
	}
	expo_sample(e, redis_family(e, ns, "sentinel_master_ok_slaves", METRIC_GAUGE,
				    "Replicas of a master not seen down.", lbl),
		    ok_slaves, name, addr);
}

static void config_metrics(struct expo *e, const redisReply *r)
{
	if (!string_map(r))
		return;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;
		double d;
		expo_sample(e, redis_family(e, redis_opts.ns, "sentinel_config_key_value", METRIC_GAUGE,
					    "A global setting of Sentinel and its value; always 1.",
					    (const char *const[]){ "key", "value", NULL }),
			    1, k, v);
		if (parse_double(v, &d) == 0)
			expo_sample(e, redis_family(e, redis_opts.ns, "sentinel_config_value", METRIC_GAUGE,
						    "A numeric global setting of Sentinel.", (const char *const[]){ "key", NULL }),
				    d, k);
	}
}

static int sentinel_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	if (!rs->sentinel)
		return COLLECT_OK; /* not a Sentinel */
	struct rcmd first[2];
	redisReply *r1[2] = { NULL, NULL };
	size_t n1 = 0;
	RCMD(&first[n1++], "SENTINEL", "MASTERS");
	if (redis_opts.include_config_metrics)
		RCMD(&first[n1++], "SENTINEL", "CONFIG", "GET", "*");
	char err[256];
	if (rconn_exec(rs->conn, rs->copts, first, n1, r1, rs->deadline, err, sizeof err) < 0)
		return scrape_fail(s, "SENTINEL MASTERS: %s", err);
	if (n1 > 1)
		config_metrics(e, r1[1]);
	const redisReply *masters = r1[0];
	if (masters->type != REDIS_REPLY_ARRAY) {
		int rc = scrape_fail(s, "SENTINEL MASTERS: %s", masters->type == REDIS_REPLY_ERROR ? masters->str : "unexpected reply");
		replies_free(r1, n1);
		return rc;
	}
	size_t n = masters->elements;
	struct rbatch b = { .db = rs->conn->db };
	char (*addr)[320] = calloc(n ? n : 1, sizeof *addr);
	if (!addr || rbatch_grow(&b, 3 * n + 1) < 0) {
		free(addr);
		rbatch_free(&b);
		replies_free(r1, n1);
		return scrape_fail(s, "out of memory");
	}
	/* Masters without a name, ip and port are left out, as upstream. */
	long *first_slot = calloc(n ? n : 1, sizeof *first_slot);
	for (size_t i = 0; first_slot && i < n; i++) {
		const redisReply *m = masters->element[i];
		const char *name = string_map(m) ? field(m, "name") : NULL;
		const char *ip = name ? field(m, "ip") : NULL, *port = ip ? field(m, "port") : NULL;
		first_slot[i] = -1;
		if (!port)
			continue;
		strf(addr[i], sizeof addr[i], "%s:%s", ip, port);
		first_slot[i] = (long)b.n;
		RCMD(&b.cmds[b.n++], "SENTINEL", "CKQUORUM", name);
		RCMD(&b.cmds[b.n++], "SENTINEL", "SENTINELS", name);
		RCMD(&b.cmds[b.n++], "SENTINEL", "SLAVES", name);
	}
	int rc = COLLECT_OK;
	if (!first_slot) {
		rc = scrape_fail(s, "out of memory");
	} else if (b.n && rconn_exec(rs->conn, rs->copts, b.cmds, b.n, b.r, rs->deadline, err, sizeof err) < 0) {
		b.n = 0;
		rc = scrape_fail(s, "SENTINEL: %s", err);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (first_slot[i] < 0)
				continue;
			const redisReply *m = masters->element[i];
			long k = first_slot[i];
			master_metrics(e, m, field(m, "name"), addr[i], b.r[k], b.r[k + 1], b.r[k + 2]);
		}
	}
	free(first_slot);
	free(addr);
	rbatch_free(&b);
	replies_free(r1, n1);
	return rc;
}

const struct collector_def collector_sentinel = {
	.name = "sentinel",
	.default_enabled = true,
	.collect = sentinel_collect,
};
