/*
 * redis_exporter: Redis metrics for Prometheus, a drop-in for
 * oliver006/redis_exporter (flags, environment, metric names, port 9121).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "../common/expo.h"
#include "../common/log.h"
#include "redis.h"

static const char *redis_addr, *redis_user, *redis_password, *redis_password_file;
static const char *check_keys, *check_single_keys, *count_keys;
static const char *log_format_up, *log_level_up;
static bool debug_flag, set_client_name, disable_scrape;
static double connection_timeout;
static long batch_size;

/* Upstream flags this exporter does not implement: refused when given a non-default value. */
static const char *unimpl_str[12];
static bool unimpl_bool[8];
static long unimpl_int;
static bool ignored_bool[3];

static struct flag redis_flags[] = {
	{ "redis.addr", FLAG_STRING, &redis_addr, "redis://localhost:6379",
	  "Address of the Redis instance to scrape (redis://[user[:password]@]host[:port][/db], unix:///path).",
	  "REDIS_ADDR", 0, false },
	{ "redis.user", FLAG_STRING, &redis_user, NULL,
	  "User name to use for authentication (Redis ACL for Redis 6.0 and newer).", "REDIS_USER", 0, false },
	{ "redis.password", FLAG_STRING, &redis_password, NULL,
	  "Password of the Redis instance to scrape (never sent to /scrape targets).", "REDIS_PASSWORD",
	  FLAG_SECRET, false },
	{ "redis.password-file", FLAG_STRING, &redis_password_file, NULL,
	  "JSON file mapping Redis URIs to passwords, e.g. {\"redis://host:6379\": \"secret\"}; the only source of passwords for /scrape targets.",
	  "REDIS_PASSWORD_FILE", 0, false },
	{ "namespace", FLAG_STRING, &redis_opts.ns, "redis", "Namespace for metrics.",
	  "REDIS_EXPORTER_NAMESPACE", 0, false },
	{ "check-keys", FLAG_STRING, &check_keys, NULL,
	  "Comma separated list of key patterns to export value and length/size, searched for with SCAN (db3=pattern,...).",
	  "REDIS_EXPORTER_CHECK_KEYS", 0, false },
	{ "check-single-keys", FLAG_STRING, &check_single_keys, NULL,
	  "Comma separated list of single keys to export value and length/size.",
	  "REDIS_EXPORTER_CHECK_SINGLE_KEYS", 0, false },
	{ "count-keys", FLAG_STRING, &count_keys, NULL,
	  "Comma separated list of patterns to count (eg: 'db0=production_*,db3=sessions:*'), searched for with SCAN.",
	  "REDIS_EXPORTER_COUNT_KEYS", 0, false },
	{ "check-keys-batch-size", FLAG_INT, &batch_size, "1000",
	  "Approximate number of keys to process in each SCAN (its COUNT).",
	  "REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE", 0, false },
	{ "config-command", FLAG_STRING, &redis_opts.config_command, "CONFIG",
	  "What to use for the CONFIG command; \"-\" skips it.", "REDIS_EXPORTER_CONFIG_COMMAND", 0, false },
	{ "connection-timeout", FLAG_DURATION, &connection_timeout, "15s",
	  "Timeout of each connect, read and write to Redis (a scrape also ends at its own deadline).",
	  "REDIS_EXPORTER_CONNECTION_TIMEOUT", 0, false },
	{ "set-client-name", FLAG_BOOL, &set_client_name, "true",
	  "Whether to set client name to redis_exporter.", "REDIS_EXPORTER_SET_CLIENT_NAME", 0, false },
	{ "is-cluster", FLAG_BOOL, &redis_opts.is_cluster, "false",
	  "Cluster node: key checks use database 0 (keys held by other nodes are skipped).",
	  "REDIS_EXPORTER_IS_CLUSTER", 0, false },
	{ "export-client-list", FLAG_BOOL, &redis_opts.export_client_list, "false",
	  "Whether to scrape Client List specific metrics.", "REDIS_EXPORTER_EXPORT_CLIENT_LIST", 0, false },
	{ "export-client-port", FLAG_BOOL, &redis_opts.export_client_port, "false",
	  "Whether to include the client's port when exporting the client list.",
	  "REDIS_EXPORTER_EXPORT_CLIENT_PORT", 0, false },
	{ "redis-only-metrics", FLAG_BOOL, &redis_opts.redis_only, "false",
	  "Only export Redis metrics (no process_*, promhttp_* or build info).",
	  "REDIS_EXPORTER_REDIS_ONLY_METRICS", 0, false },
	{ "ping-on-connect", FLAG_BOOL, &redis_opts.ping_on_connect, "false",
	  "Whether to PING the server in each scrape and export the round trip time.",
	  "REDIS_EXPORTER_PING_ON_CONNECT", 0, false },
	{ "include-config-metrics", FLAG_BOOL, &redis_opts.include_config_metrics, "false",
	  "Whether to include all config settings as metrics (passwords never are).",
	  "REDIS_EXPORTER_INCL_CONFIG_METRICS", 0, false },
	{ "redact-config-metrics", FLAG_BOOL, &redis_opts.redact_config_metrics, "true",
	  "Accepted for compatibility: password settings are always left out.",
	  "REDIS_EXPORTER_REDACT_CONFIG_METRICS", 0, false },
	{ "include-system-metrics", FLAG_BOOL, &redis_opts.include_system_metrics, "false",
	  "Whether to include system metrics like redis_total_system_memory_bytes.",
	  "REDIS_EXPORTER_INCL_SYSTEM_METRICS", 0, false },
	{ "include-metrics-for-empty-databases", FLAG_BOOL, &redis_opts.empty_databases, "true",
	  "Export redis_db_keys and redis_db_keys_expiring as 0 for databases without keys.",
	  "REDIS_EXPORTER_INCL_METRICS_FOR_EMPTY_DATABASES", 0, false },
	{ "disable-exporting-key-values", FLAG_BOOL, &redis_opts.disable_key_values, "false",
	  "Do not export the string values of checked keys (redis_key_value_as_string).",
	  "REDIS_EXPORTER_DISABLE_EXPORTING_KEY_VALUES", 0, false },
	{ "skip-checkkeys-for-role-master", FLAG_BOOL, &redis_opts.skip_keys_on_master, "false",
	  "Skip the key checks on servers whose role is master.",
	  "REDIS_EXPORTER_SKIP_CHECKKEYS_FOR_ROLE_MASTER", 0, false },
	{ "disable-scrape-endpoint", FLAG_BOOL, &disable_scrape, "false",
	  "Disable the multi-target /scrape endpoint.", "REDIS_EXPORTER_DISABLE_SCRAPE_ENDPOINT", 0, false },
	{ "debug", FLAG_BOOL, &debug_flag, "false", "Output verbose debug information.",
	  "REDIS_EXPORTER_DEBUG", 0, false },
	{ "log-format", FLAG_STRING, &log_format_up, NULL,
	  "Log format, valid options are txt and json (overrides --log.format).",
	  "REDIS_EXPORTER_LOG_FORMAT", 0, false },
	{ "log-level", FLAG_STRING, &log_level_up, NULL,
	  "Log level: debug, info, warn or error (overrides --log.level).", "REDIS_EXPORTER_LOG_LEVEL", 0,
	  false },
	/* Accepted and ignored: nothing to do in a C program. */
	{ "include-go-runtime-metrics", FLAG_BOOL, &ignored_bool[0], "false", "No Go runtime here; ignored.",
	  "REDIS_EXPORTER_INCLUDE_GO_RUNTIME_METRICS", FLAG_HIDDEN, false },
	{ "exclude-latency-histogram-metrics", FLAG_BOOL, &ignored_bool[1], "false",
	  "LATENCY HISTOGRAM is never queried; ignored.", "REDIS_EXPORTER_EXCLUDE_LATENCY_HISTOGRAM_METRICS",
	  FLAG_HIDDEN, false },
	{ "streams-exclude-consumer-metrics", FLAG_BOOL, &ignored_bool[2], "false", "Streams are not checked; ignored.",
	  "REDIS_EXPORTER_STREAMS_EXCLUDE_CONSUMER_METRICS", FLAG_HIDDEN, false },
	/* Not implemented: refused (see setup). */
	{ "check-key-groups", FLAG_STRING, &unimpl_str[0], NULL, "not implemented",
	  "REDIS_EXPORTER_CHECK_KEY_GROUPS", FLAG_HIDDEN, false },
	{ "check-streams", FLAG_STRING, &unimpl_str[1], NULL, "not implemented", "REDIS_EXPORTER_CHECK_STREAMS",
	  FLAG_HIDDEN, false },
	{ "check-single-streams", FLAG_STRING, &unimpl_str[2], NULL, "not implemented",
	  "REDIS_EXPORTER_CHECK_SINGLE_STREAMS", FLAG_HIDDEN, false },
	{ "script", FLAG_STRING, &unimpl_str[3], NULL, "not implemented", "REDIS_EXPORTER_SCRIPT", FLAG_HIDDEN,
	  false },
	{ "tls-client-key-file", FLAG_STRING, &unimpl_str[4], NULL, "not implemented",
	  "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE", FLAG_HIDDEN, false },
	{ "tls-client-cert-file", FLAG_STRING, &unimpl_str[5], NULL, "not implemented",
	  "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE", FLAG_HIDDEN, false },
	{ "tls-ca-cert-file", FLAG_STRING, &unimpl_str[6], NULL, "not implemented",
	  "REDIS_EXPORTER_TLS_CA_CERT_FILE", FLAG_HIDDEN, false },
	{ "tls-server-key-file", FLAG_STRING, &unimpl_str[7], NULL, "not implemented",
	  "REDIS_EXPORTER_TLS_SERVER_KEY_FILE", FLAG_HIDDEN, false },
	{ "tls-server-cert-file", FLAG_STRING, &unimpl_str[8], NULL, "not implemented",
	  "REDIS_EXPORTER_TLS_SERVER_CERT_FILE", FLAG_HIDDEN, false },
	{ "tls-server-ca-cert-file", FLAG_STRING, &unimpl_str[9], NULL, "not implemented",
	  "REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE", FLAG_HIDDEN, false },
	{ "basic-auth-username", FLAG_STRING, &unimpl_str[10], NULL, "not implemented",
	  "REDIS_EXPORTER_BASIC_AUTH_USERNAME", FLAG_HIDDEN, false },
	{ "basic-auth-password", FLAG_STRING, &unimpl_str[11], NULL, "not implemented",
	  "REDIS_EXPORTER_BASIC_AUTH_PASSWORD", FLAG_HIDDEN | FLAG_SECRET, false },
	{ "is-tile38", FLAG_BOOL, &unimpl_bool[0], "false", "not implemented", "REDIS_EXPORTER_IS_TILE38",
	  FLAG_HIDDEN, false },
	{ "skip-tls-verification", FLAG_BOOL, &unimpl_bool[1], "false", "not implemented",
	  "REDIS_EXPORTER_SKIP_TLS_VERIFICATION", FLAG_HIDDEN, false },
	{ "include-modules-metrics", FLAG_BOOL, &unimpl_bool[2], "false", "not implemented",
	  "REDIS_EXPORTER_INCL_MODULES_METRICS", FLAG_HIDDEN, false },
	{ "include-search-indexes-metrics", FLAG_BOOL, &unimpl_bool[3], "false", "not implemented",
	  "REDIS_EXPORTER_INCL_SEARCH_INDEXES_METRICS", FLAG_HIDDEN, false },
	{ "include-sentinel-peer-info", FLAG_BOOL, &unimpl_bool[4], "false", "not implemented",
	  "REDIS_EXPORTER_INCL_SENTINEL_PEER_INFO", FLAG_HIDDEN, false },
	{ "include-rdb-file-size-metric", FLAG_BOOL, &unimpl_bool[5], "false", "not implemented",
	  "REDIS_EXPORTER_INCL_RDB_FILE_SIZE_METRIC", FLAG_HIDDEN, false },
	{ "append-instance-role-label", FLAG_BOOL, &unimpl_bool[6], "false", "not implemented",
	  "REDIS_EXPORTER_APPEND_INSTANCE_ROLE_LABEL", FLAG_HIDDEN, false },
	{ "lua-script-read-only", FLAG_BOOL, &unimpl_bool[7], "false", "not implemented",
	  "REDIS_EXPORTER_LUA_SCRIPT_READ_ONLY", FLAG_HIDDEN, false },
	{ "max-distinct-key-groups", FLAG_INT, &unimpl_int, "100", "not implemented",
	  "REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS", FLAG_HIDDEN, false },
};

static const struct collector_def *const collectors[] = {
	&collector_info, &collector_config, &collector_cluster, &collector_latency,
	&collector_slowlog, &collector_keys, &collector_clients,
};

static const struct route scrape_route[] = { { "/scrape", redis_scrape_handler } };

void redis_build_info(const struct exporter *x, struct expo *e);

static struct exporter exporter = {
	.name = "redis_exporter",
	.title = "Redis Exporter",
	.prefix = "redis",
	.default_listen = ":9121",
	.collectors = collectors,
	.ncollectors = sizeof collectors / sizeof collectors[0],
	.metrics_handler = redis_metrics_handler,
	.routes = scrape_route,
	.nroutes = 1,
	.build_info = redis_build_info,
	.flags = redis_flags,
	.nflags = sizeof redis_flags / sizeof redis_flags[0],
	.single_dash_flags = true,
	.help_tail =
		"Flags may also be given with a single dash (-redis.addr), as with upstream.\n"
		"Endpoints: the telemetry path (default /metrics) scrapes --redis.addr;\n"
		"/scrape?target=redis://host:port scrapes another server (credentials only from\n"
		"--redis.password-file; check-keys, check-single-keys and count-keys may be given\n"
		"as query arguments). rediss:// is refused: this build has no TLS to Redis.\n",
};

static struct flag *find_flag(const char *name)
{
	for (size_t i = 0; i < sizeof redis_flags / sizeof redis_flags[0]; i++)
		if (!strcmp(redis_flags[i].name, name))
			return &redis_flags[i];
	return NULL;
}

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

static int setup(char *err, size_t errlen)
{
	struct exporter *x = &exporter;
	for (size_t i = 0; i < sizeof redis_flags / sizeof redis_flags[0]; i++) {
		const struct flag *f = &redis_flags[i];
		if (!f->help || strcmp(f->help, "not implemented") || !f->set)
			continue;
		bool given = (f->type == FLAG_STRING && **(const char **)f->dest) ||
			     (f->type == FLAG_BOOL && *(bool *)f->dest) ||
			     (f->type == FLAG_INT && *(long *)f->dest != 100);
		if (given) {
			strf(err, errlen, "--%s is not implemented by this redis_exporter%s", f->name,
				 strstr(f->name, "tls-server") || strstr(f->name, "basic-auth")
					 ? " (use --web.config.file for TLS and basic authentication)"
					 : "");
			return -1;
		}
	}
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
	if (connection_timeout <= 0) {
		strf(err, errlen, "--connection-timeout must be positive");
		return -1;
	}
	if (batch_size <= 0) {
		strf(err, errlen, "--check-keys-batch-size must be positive");
		return -1;
	}
	redis_opts.check_keys_batch = batch_size;
	if (!redis_opts.config_command[0]) {
		redis_opts.config_command = "CONFIG";
	}

	/* Upstream's logging flags win over --log.* when given. */
	const char *level = NULL, *format = NULL;
	if (debug_flag)
		level = "debug";
	else if (find_flag("log-level")->set && *log_level_up) {
		level = level_of(log_level_up);
		if (!level) {
			strf(err, errlen, "invalid --log-level '%.32s'", log_level_up);
			return -1;
		}
	}
	if (find_flag("log-format")->set && *log_format_up) {
		if (!strcmp(log_format_up, "json"))
			format = "json";
		else if (!strcmp(log_format_up, "txt") || !strcmp(log_format_up, "logfmt"))
			format = "logfmt";
		else {
			strf(err, errlen, "invalid --log-format '%.32s' (txt or json)", log_format_up);
			return -1;
		}
	}
	if (level || format) {
		struct flag *lf = flags_find(x->fs, "log.format"), *ll = flags_find(x->fs, "log.level");
		log_setup(level ? level : *(const char **)ll->dest, format ? format : *(const char **)lf->dest);
	}

	struct { const char *s; struct keylist *l; const char *name; } lists[] = {
		{ check_keys, &redis_opts.check_keys, "check-keys" },
		{ check_single_keys, &redis_opts.check_single_keys, "check-single-keys" },
		{ count_keys, &redis_opts.count_keys, "count-keys" },
	};
	for (size_t i = 0; i < 3; i++) {
		char kerr[256];
		if (keylist_parse(lists[i].s, lists[i].l, kerr, sizeof kerr) < 0) {
			strf(err, errlen, "couldn't parse --%s: %s", lists[i].name, kerr);
			return -1;
		}
	}
	if (redis_opts.export_client_list)
		for (size_t i = 0; i < x->ninst; i++)
			if (x->inst[i].def == &collector_clients && !x->inst[i].enable_flag.set)
				x->inst[i].enabled = true;
	if (disable_scrape)
		x->nroutes = 0;
	return redis_targets_init(redis_addr, redis_user, redis_password, redis_password_file,
				  connection_timeout, set_client_name, !disable_scrape, err, errlen);
}

static void teardown(void)
{
	redis_targets_free();
	keylist_free(&redis_opts.check_keys);
	keylist_free(&redis_opts.check_single_keys);
	keylist_free(&redis_opts.count_keys);
}

int main(int argc, char **argv)
{
	exporter.setup = setup;
	exporter.teardown = teardown;
	/* Upstream reads these two from the environment too; the command line still wins. */
	const char *listen = getenv("REDIS_EXPORTER_WEB_LISTEN_ADDRESS");
	if (listen && *listen)
		exporter.default_listen = listen;
	const char *path = getenv("REDIS_EXPORTER_WEB_TELEMETRY_PATH");
	char **args = argv;
	char *path_arg = NULL;
	if (path && *path) {
		size_t n = strlen(path) + sizeof "--web.telemetry-path=";
		path_arg = malloc(n);
		args = malloc(((size_t)argc + 2) * sizeof *args);
		if (!path_arg || !args) {
			fprintf(stderr, "redis_exporter: out of memory\n");
			return 1;
		}
		strf(path_arg, n, "--web.telemetry-path=%s", path);
		args[0] = argv[0];
		args[1] = path_arg;
		for (int i = 1; i < argc; i++)
			args[i + 1] = argv[i];
		args[argc + 1] = NULL;
		argc++;
	}
	int rc = exporter_main(&exporter, argc, args);
	if (args != argv)
		free(args);
	free(path_arg);
	return rc;
}
