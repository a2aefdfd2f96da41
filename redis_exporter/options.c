/*
 * redis_exporter's option values and what start-up does with them: refuse
 * bad values, let upstream's logging flags win over --log.*, parse the key
 * lists, load the password file and make the --redis.addr target.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "redis.h"

/* Written at start-up only (flags), read by every scrape. */
struct redis_options redis_opts = { .ns = "redis", .config_command = "CONFIG", .empty_databases = true };
struct redis_args redis_args;

/* The logrus level names upstream accepts, mapped to ours. */
static const char *level_of(const char *s)
{
	char low[16];
	size_t i = 0;
	for (; s[i] && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	if (!strcmp(low, "trace") || !strcmp(low, "debug"))
		return "debug";
	if (!strcmp(low, "info"))
		return "info";
	if (!strcmp(low, "warn") || !strcmp(low, "warning"))
		return "warn";
	if (!strcmp(low, "error") || !strcmp(low, "fatal") || !strcmp(low, "panic"))
		return "error";
	return NULL;
}

/* Upstream's logging flags win over --log.* when given. */
static int setup_logging(struct exporter *x, char *err, size_t errlen)
{
	const struct redis_args *a = &redis_args;
	const char *level = NULL, *format = NULL;
	if (a->debug)
		level = "debug";
	else if (flags_find(x->fs, "log-level")->set && *a->log_level) {
		level = level_of(a->log_level);
		if (!level) {
			strf(err, errlen, "invalid --log-level '%.32s'", a->log_level);
			return -1;
		}
	}
	if (flags_find(x->fs, "log-format")->set && *a->log_format) {
		if (!strcmp(a->log_format, "json"))
			format = "json";
		else if (!strcmp(a->log_format, "txt") || !strcmp(a->log_format, "logfmt"))
			format = "logfmt";
		else {
			strf(err, errlen, "invalid --log-format '%.32s' (txt or json)", a->log_format);
			return -1;
		}
	}
	if (level || format) {
		struct flag *lf = flags_find(x->fs, "log.format"), *ll = flags_find(x->fs, "log.level");
		log_setup(level ? level : *(const char **)ll->dest, format ? format : *(const char **)lf->dest);
	}
	return 0;
}

int redis_setup(struct exporter *x, char *err, size_t errlen)
{
	const struct redis_args *a = &redis_args;
	const char *ns = redis_opts.ns;
	if (!ns[0] || !(isalpha((unsigned char)ns[0]) || ns[0] == '_') || strlen(ns) > 64) {
		strf(err, errlen, "invalid --namespace '%.64s'", ns);
		return -1;
	}
	for (const char *p = ns; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			strf(err, errlen, "invalid --namespace '%.64s'", ns);
			return -1;
		}
	}
	x->prefix = ns;
	if (redis_opts.timeout <= 0) {
		strf(err, errlen, "--connection-timeout must be positive");
		return -1;
	}
	if (a->batch_size <= 0) {
		strf(err, errlen, "--check-keys-batch-size must be positive");
		return -1;
	}
	redis_opts.check_keys_batch = a->batch_size;
	if (!redis_opts.config_command[0])
		redis_opts.config_command = "CONFIG";
	if (setup_logging(x, err, errlen) < 0)
		return -1;

	struct { const char *s; struct keylist *l; const char *name; } lists[] = {
		{ a->check_keys, &redis_opts.check_keys, "check-keys" },
		{ a->check_single_keys, &redis_opts.check_single_keys, "check-single-keys" },
		{ a->count_keys, &redis_opts.count_keys, "count-keys" },
	};
	for (size_t i = 0; i < 3; i++) {
		char kerr[256];
		if (keylist_parse(lists[i].s, lists[i].l, kerr, sizeof kerr) < 0) {
			strf(err, errlen, "couldn't parse --%s: %s", lists[i].name, kerr);
			return -1;
		}
	}
	if (redis_opts.export_client_list)
		exporter_enable_collector(x, "clients", true);
	exporter_enable_route(x, "/scrape", !a->disable_scrape);
	if (redis_opts.redis_only)
		exporter_disable_self_metrics(x);

	redis_opts.user = a->user;
	if (*a->password_file) {
		redis_opts.pw = pwfile_load(a->password_file, err, errlen);
		if (!redis_opts.pw)
			return -1;
		log_info("loaded the password file", "path", a->password_file, "entries",
			 pwfile_count(redis_opts.pw) ? "some" : "none", NULL);
	}
	/* An empty --redis.addr scrapes nothing on the telemetry path, as upstream. */
	if (!*a->addr)
		return 0;
	return redis_default_target(x->backend, a->addr, a->user, a->password, err, errlen);
}

void redis_teardown(struct exporter *x)
{
	(void)x;
	pwfile_free(redis_opts.pw);
	redis_opts.pw = NULL;
	keylist_free(&redis_opts.check_keys);
	keylist_free(&redis_opts.check_single_keys);
	keylist_free(&redis_opts.count_keys);
}
