/*
 * config: CONFIG GET of maxmemory, maxclients, io-threads,
 * repl-backlog-size and client-output-buffer-limit; with
 * --include-config-metrics every setting (CONFIG GET *) except secrets;
 * with --include-rdb-file-size-metric the size of the RDB file that dir and
 * dbfilename name (a file the exporter must be able to see).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/fsread.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

bool redis_config_secret(const char *key)
{
	/* requirepass, masterauth, primaryauth, tls-key-file-pass, tls-client-key-file-pass... */
	return strstr(key, "pass") || has_suffix(key, "auth");
}

static void client_output_limits(struct expo *e, char *v)
{
	/* "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60" */
	char *f[64];
	size_t n = split_fields(v, f, 64);
	if (n > 64)
		n = 64;
	static const char *const lbl[] = { "class", "limit", NULL };
	const char *ns = redis_opts.ns;
	for (size_t i = 0; i + 3 < n; i += 4) {
		double hard, soft, secs;
		if (parse_double(f[i + 1], &hard) == 0)
			expo_sample(e, redis_family(e, ns, "config_client_output_buffer_limit_bytes", METRIC_GAUGE,
						    "Configured output buffer limits of a client class, in bytes.", lbl),
				    hard, f[i], "hard");
		if (parse_double(f[i + 2], &soft) == 0)
			expo_sample(e, redis_family(e, ns, "config_client_output_buffer_limit_bytes", METRIC_GAUGE,
						    "Configured output buffer limits of a client class, in bytes.", lbl),
				    soft, f[i], "soft");
		if (parse_double(f[i + 3], &secs) == 0)
			expo_sample(e, redis_family(e, ns, "config_client_output_buffer_limit_overcome_seconds",
						    METRIC_GAUGE,
						    "Seconds a client class may stay over its soft output buffer limit.", lbl),
				    secs, f[i], "soft");
	}
}

static void one_setting(struct expo *e, const char *key, const char *val)
{
	const char *ns = redis_opts.ns;
	double v;
	if (redis_opts.include_config_metrics && !redis_config_secret(key)) {
		expo_sample(e, redis_family(e, ns, "config_key_value", METRIC_GAUGE,
					    "A configuration setting and its value; always 1.",
					    (const char *const[]){ "key", "value", NULL }),
			    1, key, val);
		if (parse_double(val, &v) == 0)
			expo_sample(e, redis_family(e, ns, "config_value", METRIC_GAUGE,
						    "A numeric configuration setting.",
						    (const char *const[]){ "key", NULL }),
				    v, key);
	}
	static const char *const gauges[][2] = {
		{ "maxmemory", "config_maxmemory" }, { "maxclients", "config_maxclients" },
		{ "io-threads", "config_io_threads" }, { "repl-backlog-size", "config_repl_backlog_size" },
	};
	for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
		if (strcmp(key, gauges[i][0]) || parse_double(val, &v) < 0)
			continue;
		char help[96];
		strf(help, sizeof help, "Configured %s.", key);
		expo_value(e, redis_family(e, ns, gauges[i][1], METRIC_GAUGE, help, NULL), v);
	}
	if (!strcmp(key, "client-output-buffer-limit")) {
		char copy[512];
		strf(copy, sizeof copy, "%s", val);
		client_output_limits(e, copy);
	}
}

/* rdb_current_size_bytes as upstream: 0 when the file does not exist (yet), nothing when unreadable. */
static void rdb_size(struct expo *e, const char *dir, const char *file)
{
	if (!dir || !file || !*dir || !*file)
		return;
	/* A bare file name only, as upstream checks. */
	if (strchr(file, '/') || !strcmp(file, ".") || !strcmp(file, "..")) {
		log_warn("dbfilename is not a bare file name; no RDB size", "dbfilename", file, NULL);
		return;
	}
	char path[4096];
	if (pathf(path, sizeof path, "%s/%s", dir, file) < 0)
		return;
	struct stat st;
	double size = 0;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			log_warn("the RDB path is not a regular file", "path", path, NULL);
			return;
		}
		size = (double)st.st_size;
	} else if (errno != ENOENT) {
		log_debug("cannot stat the RDB file", "path", path, "err", strerror(errno), NULL);
		return;
	}
	expo_value(e, redis_family(e, redis_opts.ns, "rdb_current_size_bytes", METRIC_GAUGE,
				   "Size of the RDB file now, in bytes (0 while there is none).", NULL),
		   size);
}

static int config_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	const char *dir = NULL, *dbfile = NULL;
	size_t got = 0;
	const char *fail = NULL;
	for (int i = SLOT_CONFIG_FIRST; i <= SLOT_CONFIG_LAST; i++) {
		const redisReply *r = rs->r[i];
		if (!r)
			continue;
		if (r->type == REDIS_REPLY_ERROR) {
			fail = r->str;
			continue;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
			return scrape_fail(s, "CONFIG GET: malformed reply");
		for (size_t k = 0; k + 1 < r->elements; k += 2) {
			const redisReply *key = r->element[k], *val = r->element[k + 1];
			if (key->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING)
				continue;
			one_setting(e, key->str, val->str);
			if (!strcmp(key->str, "dir"))
				dir = val->str;
			else if (!strcmp(key->str, "dbfilename"))
				dbfile = val->str;
			got++;
		}
	}
	if (redis_opts.include_rdb_size)
		rdb_size(e, dir, dbfile);
	if (fail && !got)
		return scrape_fail(s, "CONFIG GET: %s", fail);
	if (!got && strcmp(redis_opts.config_command, "-"))
		return COLLECT_NODATA; /* CONFIG disabled or renamed on this server */
	return COLLECT_OK;
}

const struct collector_def collector_config = {
	.name = "config",
	.default_enabled = true,
	.collect = config_collect,
};
