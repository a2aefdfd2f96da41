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
	{ .name = "redis.addr", .type = FLAG_STRING, .dest = &redis_addr,
	  .def = "redis://localhost:6379",
	  .help = "Address of the Redis instance to scrape (redis://[user[:password]@]host[:port][/db], unix:///path).",
	  .env = "REDIS_ADDR" },
	{ .name = "redis.user", .type = FLAG_STRING, .dest = &redis_user,
	  .help = "User name to use for authentication (Redis ACL for Redis 6.0 and newer).",
	  .env = "REDIS_USER" },
	{ .name = "redis.password", .type = FLAG_STRING, .dest = &redis_password,
	  .help = "Password of the Redis instance to scrape (never sent to /scrape targets).",
	  .env = "REDIS_PASSWORD", .opts = FLAG_SECRET },
	{ .name = "redis.password-file", .type = FLAG_STRING, .dest = &redis_password_file,
	  .help = "JSON file mapping Redis URIs to passwords, e.g. {\"redis://host:6379\": \"secret\"}; the only source of passwords for /scrape targets.",
	  .env = "REDIS_PASSWORD_FILE" },
	{ .name = "namespace", .type = FLAG_STRING, .dest = &redis_opts.ns, .def = "redis",
	  .help = "Namespace for metrics.", .env = "REDIS_EXPORTER_NAMESPACE" },
	{ .name = "check-keys", .type = FLAG_STRING, .dest = &check_keys,
	  .help = "Comma separated list of key patterns to export value and length/size, searched for with SCAN (db3=pattern,...).",
	  .env = "REDIS_EXPORTER_CHECK_KEYS" },
	{ .name = "check-single-keys", .type = FLAG_STRING, .dest = &check_single_keys,
	  .help = "Comma separated list of single keys to export value and length/size.",
	  .env = "REDIS_EXPORTER_CHECK_SINGLE_KEYS" },
	{ .name = "count-keys", .type = FLAG_STRING, .dest = &count_keys,
	  .help = "Comma separated list of patterns to count (eg: 'db0=production_*,db3=sessions:*'), searched for with SCAN.",
	  .env = "REDIS_EXPORTER_COUNT_KEYS" },
	{ .name = "check-keys-batch-size", .type = FLAG_INT, .dest = &batch_size, .def = "1000",
	  .help = "Approximate number of keys to process in each SCAN (its COUNT).",
	  .env = "REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE" },
	{ .name = "config-command", .type = FLAG_STRING, .dest = &redis_opts.config_command,
	  .def = "CONFIG", .help = "What to use for the CONFIG command; \"-\" skips it.",
	  .env = "REDIS_EXPORTER_CONFIG_COMMAND" },
	{ .name = "connection-timeout", .type = FLAG_DURATION, .dest = &connection_timeout,
	  .def = "15s",
	  .help = "Timeout of each connect, read and write to Redis (a scrape also ends at its own deadline).",
	  .env = "REDIS_EXPORTER_CONNECTION_TIMEOUT" },
	{ .name = "set-client-name", .type = FLAG_BOOL, .dest = &set_client_name, .def = "true",
	  .help = "Whether to set client name to redis_exporter.",
	  .env = "REDIS_EXPORTER_SET_CLIENT_NAME" },
	{ .name = "is-cluster", .type = FLAG_BOOL, .dest = &redis_opts.is_cluster, .def = "false",
	  .help = "Cluster node: key checks use database 0 (keys held by other nodes are skipped).",
	  .env = "REDIS_EXPORTER_IS_CLUSTER" },
	{ .name = "export-client-list", .type = FLAG_BOOL, .dest = &redis_opts.export_client_list,
	  .def = "false", .help = "Whether to scrape Client List specific metrics.",
	  .env = "REDIS_EXPORTER_EXPORT_CLIENT_LIST" },
	{ .name = "export-client-port", .type = FLAG_BOOL, .dest = &redis_opts.export_client_port,
	  .def = "false",
	  .help = "Whether to include the client's port when exporting the client list.",
	  .env = "REDIS_EXPORTER_EXPORT_CLIENT_PORT" },
	{ .name = "redis-only-metrics", .type = FLAG_BOOL, .dest = &redis_opts.redis_only,
	  .def = "false",
	  .help = "Only export Redis metrics (no process_*, promhttp_* or build info).",
	  .env = "REDIS_EXPORTER_REDIS_ONLY_METRICS" },
	{ .name = "ping-on-connect", .type = FLAG_BOOL, .dest = &redis_opts.ping_on_connect,
	  .def = "false",
	  .help = "Whether to PING the server in each scrape and export the round trip time.",
	  .env = "REDIS_EXPORTER_PING_ON_CONNECT" },
	{ .name = "include-config-metrics", .type = FLAG_BOOL,
	  .dest = &redis_opts.include_config_metrics, .def = "false",
	  .help = "Whether to include all config settings as metrics (passwords never are).",
	  .env = "REDIS_EXPORTER_INCL_CONFIG_METRICS" },
	{ .name = "redact-config-metrics", .type = FLAG_BOOL,
	  .dest = &redis_opts.redact_config_metrics, .def = "true",
	  .help = "Accepted for compatibility: password settings are always left out.",
	  .env = "REDIS_EXPORTER_REDACT_CONFIG_METRICS" },
	{ .name = "include-system-metrics", .type = FLAG_BOOL,
	  .dest = &redis_opts.include_system_metrics, .def = "false",
	  .help = "Whether to include system metrics like redis_total_system_memory_bytes.",
	  .env = "REDIS_EXPORTER_INCL_SYSTEM_METRICS" },
	{ .name = "include-metrics-for-empty-databases", .type = FLAG_BOOL,
	  .dest = &redis_opts.empty_databases, .def = "true",
	  .help = "Export redis_db_keys and redis_db_keys_expiring as 0 for databases without keys.",
	  .env = "REDIS_EXPORTER_INCL_METRICS_FOR_EMPTY_DATABASES" },
	{ .name = "disable-exporting-key-values", .type = FLAG_BOOL,
	  .dest = &redis_opts.disable_key_values, .def = "false",
	  .help = "Do not export the string values of checked keys (redis_key_value_as_string).",
	  .env = "REDIS_EXPORTER_DISABLE_EXPORTING_KEY_VALUES" },
	{ .name = "skip-checkkeys-for-role-master", .type = FLAG_BOOL,
	  .dest = &redis_opts.skip_keys_on_master, .def = "false",
	  .help = "Skip the key checks on servers whose role is master.",
	  .env = "REDIS_EXPORTER_SKIP_CHECKKEYS_FOR_ROLE_MASTER" },
	{ .name = "disable-scrape-endpoint", .type = FLAG_BOOL, .dest = &disable_scrape,
	  .def = "false", .help = "Disable the multi-target /scrape endpoint.",
	  .env = "REDIS_EXPORTER_DISABLE_SCRAPE_ENDPOINT" },
	{ .name = "debug", .type = FLAG_BOOL, .dest = &debug_flag, .def = "false",
	  .help = "Output verbose debug information.", .env = "REDIS_EXPORTER_DEBUG" },
	{ .name = "log-format", .type = FLAG_STRING, .dest = &log_format_up,
	  .help = "Log format, valid options are txt and json (overrides --log.format).",
	  .env = "REDIS_EXPORTER_LOG_FORMAT" },
	{ .name = "log-level", .type = FLAG_STRING, .dest = &log_level_up,
	  .help = "Log level: debug, info, warn or error (overrides --log.level).",
	  .env = "REDIS_EXPORTER_LOG_LEVEL" },
	/* Accepted and ignored: nothing to do in a C program. */
	{ .name = "include-go-runtime-metrics", .type = FLAG_BOOL, .dest = &ignored_bool[0],
	  .def = "false", .help = "No Go runtime here; ignored.",
	  .env = "REDIS_EXPORTER_INCLUDE_GO_RUNTIME_METRICS", .opts = FLAG_HIDDEN },
	{ .name = "exclude-latency-histogram-metrics", .type = FLAG_BOOL, .dest = &ignored_bool[1],
	  .def = "false", .help = "LATENCY HISTOGRAM is never queried; ignored.",
	  .env = "REDIS_EXPORTER_EXCLUDE_LATENCY_HISTOGRAM_METRICS", .opts = FLAG_HIDDEN },
	{ .name = "streams-exclude-consumer-metrics", .type = FLAG_BOOL, .dest = &ignored_bool[2],
	  .def = "false", .help = "Streams are not checked; ignored.",
	  .env = "REDIS_EXPORTER_STREAMS_EXCLUDE_CONSUMER_METRICS", .opts = FLAG_HIDDEN },
	/* Not implemented: refused (see setup). */
	{ .name = "check-key-groups", .type = FLAG_STRING, .dest = &unimpl_str[0],
	  .help = "not implemented", .env = "REDIS_EXPORTER_CHECK_KEY_GROUPS", .opts = FLAG_HIDDEN },
	{ .name = "check-streams", .type = FLAG_STRING, .dest = &unimpl_str[1],
	  .help = "not implemented", .env = "REDIS_EXPORTER_CHECK_STREAMS", .opts = FLAG_HIDDEN },
	{ .name = "check-single-streams", .type = FLAG_STRING, .dest = &unimpl_str[2],
	  .help = "not implemented", .env = "REDIS_EXPORTER_CHECK_SINGLE_STREAMS",
	  .opts = FLAG_HIDDEN },
	{ .name = "script", .type = FLAG_STRING, .dest = &unimpl_str[3], .help = "not implemented",
	  .env = "REDIS_EXPORTER_SCRIPT", .opts = FLAG_HIDDEN },
	{ .name = "tls-client-key-file", .type = FLAG_STRING, .dest = &unimpl_str[4],
	  .help = "not implemented", .env = "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE",
	  .opts = FLAG_HIDDEN },
	{ .name = "tls-client-cert-file", .type = FLAG_STRING, .dest = &unimpl_str[5],
	  .help = "not implemented", .env = "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE",
	  .opts = FLAG_HIDDEN },
	{ .name = "tls-ca-cert-file", .type = FLAG_STRING, .dest = &unimpl_str[6],
	  .help = "not implemented", .env = "REDIS_EXPORTER_TLS_CA_CERT_FILE", .opts = FLAG_HIDDEN },
	{ .name = "tls-server-key-file", .type = FLAG_STRING, .dest = &unimpl_str[7],
	  .help = "not implemented", .env = "REDIS_EXPORTER_TLS_SERVER_KEY_FILE",
	  .opts = FLAG_HIDDEN },
	{ .name = "tls-server-cert-file", .type = FLAG_STRING, .dest = &unimpl_str[8],
	  .help = "not implemented", .env = "REDIS_EXPORTER_TLS_SERVER_CERT_FILE",
	  .opts = FLAG_HIDDEN },
	{ .name = "tls-server-ca-cert-file", .type = FLAG_STRING, .dest = &unimpl_str[9],
	  .help = "not implemented", .env = "REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE",
	  .opts = FLAG_HIDDEN },
	{ .name = "basic-auth-username", .type = FLAG_STRING, .dest = &unimpl_str[10],
	  .help = "not implemented", .env = "REDIS_EXPORTER_BASIC_AUTH_USERNAME",
	  .opts = FLAG_HIDDEN },
	{ .name = "basic-auth-password", .type = FLAG_STRING, .dest = &unimpl_str[11],
	  .help = "not implemented", .env = "REDIS_EXPORTER_BASIC_AUTH_PASSWORD",
	  .opts = FLAG_HIDDEN | FLAG_SECRET },
	{ .name = "is-tile38", .type = FLAG_BOOL, .dest = &unimpl_bool[0], .def = "false",
	  .help = "not implemented", .env = "REDIS_EXPORTER_IS_TILE38", .opts = FLAG_HIDDEN },
	{ .name = "skip-tls-verification", .type = FLAG_BOOL, .dest = &unimpl_bool[1],
	  .def = "false", .help = "not implemented", .env = "REDIS_EXPORTER_SKIP_TLS_VERIFICATION",
	  .opts = FLAG_HIDDEN },
	{ .name = "include-modules-metrics", .type = FLAG_BOOL, .dest = &unimpl_bool[2],
	  .def = "false", .help = "not implemented", .env = "REDIS_EXPORTER_INCL_MODULES_METRICS",
	  .opts = FLAG_HIDDEN },
	{ .name = "include-search-indexes-metrics", .type = FLAG_BOOL, .dest = &unimpl_bool[3],
	  .def = "false", .help = "not implemented",
	  .env = "REDIS_EXPORTER_INCL_SEARCH_INDEXES_METRICS", .opts = FLAG_HIDDEN },
	{ .name = "include-sentinel-peer-info", .type = FLAG_BOOL, .dest = &unimpl_bool[4],
	  .def = "false", .help = "not implemented",
	  .env = "REDIS_EXPORTER_INCL_SENTINEL_PEER_INFO", .opts = FLAG_HIDDEN },
	{ .name = "include-rdb-file-size-metric", .type = FLAG_BOOL, .dest = &unimpl_bool[5],
	  .def = "false", .help = "not implemented",
	  .env = "REDIS_EXPORTER_INCL_RDB_FILE_SIZE_METRIC", .opts = FLAG_HIDDEN },
	{ .name = "append-instance-role-label", .type = FLAG_BOOL, .dest = &unimpl_bool[6],
	  .def = "false", .help = "not implemented",
	  .env = "REDIS_EXPORTER_APPEND_INSTANCE_ROLE_LABEL", .opts = FLAG_HIDDEN },
	{ .name = "lua-script-read-only", .type = FLAG_BOOL, .dest = &unimpl_bool[7],
	  .def = "false", .help = "not implemented", .env = "REDIS_EXPORTER_LUA_SCRIPT_READ_ONLY",
	  .opts = FLAG_HIDDEN },
	{ .name = "max-distinct-key-groups", .type = FLAG_INT, .dest = &unimpl_int, .def = "100",
	  .help = "not implemented", .env = "REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS",
	  .opts = FLAG_HIDDEN },
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
