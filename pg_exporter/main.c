/*
 * pg_exporter: PostgreSQL server metrics, a drop-in for
 * prometheus-community/postgres_exporter on port 9187.
 */
#include "pg.h"

static struct flag pg_flags[] = {
	{ .name = "config.file", .type = FLAG_STRING, .dest = &pg_config_file,
	  .def = "postgres_exporter.yml",
	  .help = "Postgres exporter configuration file (auth_modules for /probe)." },
	{ .name = "disable-default-metrics", .type = FLAG_BOOL, .dest = &pg_disable_default_metrics,
	  .def = "false",
	  .help = "Do not include default metrics (pg_static and pg_stat_database_conflicts_*).",
	  .env = "PG_EXPORTER_DISABLE_DEFAULT_METRICS" },
	{ .name = "auto-discover-databases", .type = FLAG_BOOL, .dest = &pg_auto_discover,
	  .def = "false",
	  .help = "Discover the databases on the server and collect table statistics (stat_user_tables, statio_user_tables) from each of them.",
	  .env = "PG_EXPORTER_AUTO_DISCOVER_DATABASES" },
	{ .name = "extend.query-path", .type = FLAG_STRING, .dest = &pg_query_path, .def = "",
	  .help = "Path to custom queries to run, in upstream's queries.yaml format. (DEPRECATED)",
	  .env = "PG_EXPORTER_EXTEND_QUERY_PATH" },
	{ .name = "dumpmaps", .type = FLAG_BOOL, .dest = &pg_dump_maps, .def = "false",
	  .help = "Do not run, simply dump the maps." },
	{ .name = "constantLabels", .type = FLAG_STRING, .dest = &pg_constant_labels, .def = "",
	  .help = "A list of label=value separated by comma(,), added to the pg_up, pg_exporter_*, pg_static and pg_stat_database_conflicts_* series.",
	  .env = "PG_EXPORTER_CONSTANT_LABELS" },
	{ .name = "exclude-databases", .type = FLAG_STRING, .dest = &pg_exclude_databases_flag, .def = "",
	  .help = "A list of databases to leave out of the database collector and of discovery, separated by comma(,).",
	  .env = "PG_EXPORTER_EXCLUDE_DATABASES" },
	{ .name = "include-databases", .type = FLAG_STRING, .dest = &pg_include_databases_flag, .def = "",
	  .help = "A list of databases to keep when discovering databases, separated by comma(,).",
	  .env = "PG_EXPORTER_INCLUDE_DATABASES" },
	{ .name = "metric-prefix", .type = FLAG_STRING, .dest = &pg_metric_prefix, .def = "pg",
	  .help = "A metric prefix can be used to have non-default (not \"pg\") prefixes for each of the default metrics.",
	  .env = "PG_EXPORTER_METRIC_PREFIX" },
	{ .name = "collection-timeout", .type = FLAG_DURATION, .dest = &pg_collection_timeout,
	  .def = "1m",
	  .help = "Timeout for collecting the statistics when the database is slow (the scrape's own timeout applies too).",
	  .env = "PG_EXPORTER_COLLECTION_TIMEOUT" },
	{ .name = "probe.max-targets", .type = FLAG_INT, .dest = &pg_probe_max_targets, .def = "10",
	  .help = "Most /probe targets kept connected at once; a new one replaces the least recently probed idle one, and HTTP 503 answers when all are being probed." },
	{ .name = "probe.idle-timeout", .type = FLAG_DURATION, .dest = &pg_probe_idle_timeout,
	  .def = "2m",
	  .help = "A /probe target not probed for this long is forgotten and its connection closed (0: kept until replaced)." },
	/* postgres_exporter 0.11's (Debian 12's package): accepted with a warning. */
	{ .name = "disable-settings-metrics", .type = FLAG_BOOL, .dest = &pg_disable_settings_metrics,
	  .def = "false",
	  .help = "Do not include pg_settings metrics. (DEPRECATED: postgres_exporter 0.11's name for --[no-]collector.settings)",
	  .env = "PG_EXPORTER_DISABLE_SETTINGS_METRICS" },
	{ .name = "collector.bgwriter", .type = FLAG_BOOL, .dest = &pg_collector_bgwriter, .def = "true",
	  .help = "Enable the stat_bgwriter collector. (DEPRECATED: postgres_exporter 0.11's name for --collector.stat_bgwriter)" },
};

static struct backend pg_backend = {
	.server = "PostgreSQL", .ops = &pg_ops,
	.route = "/probe", .target_param = "target",
	.missing_target = "target is required",
	.pool_size = 10, /* --probe.max-targets, --probe.idle-timeout */
	.idle_seconds = 120,
	.backoff_min = PG_BACKOFF_MIN, .backoff_max = PG_BACKOFF_MAX,
	.metrics = {
		.up = { "pg_up", "Whether this scrape's queries ran on the PostgreSQL server (1 for yes, 0 for no)." },
		.scrapes = { "pg_exporter_scrapes_total", "Total number of times PostgreSQL was scraped for metrics." },
		.last_error = { "pg_exporter_last_scrape_error", "Whether the last scrape of metrics from PostgreSQL resulted in an error (1 for error, 0 for success)." },
		.duration = { "pg_exporter_last_scrape_duration_seconds", "Duration of the last scrape of metrics from PostgreSQL." },
	},
};

static const char help_tail[] =
	"Environment:\n"
	"  DATA_SOURCE_NAME          PostgreSQL connection string (URI or key=value). A comma-separated\n"
	"                            list: all collectors on the first, pg_static, pg_stat_database_conflicts\n"
	"                            and custom queries on each (pg_up 0 only when none connects).\n"
	"  DATA_SOURCE_URI           host[:port]/dbname?params, used when DATA_SOURCE_NAME is unset,\n"
	"                            with DATA_SOURCE_USER and DATA_SOURCE_PASS.\n"
	"  DATA_SOURCE_URI_FILE, DATA_SOURCE_USER_FILE, DATA_SOURCE_PASS_FILE\n"
	"                            read the value from a file instead (trimmed).\n"
	"  A data source that cannot be parsed is a fault of the server: pg_up 0, the reason logged.\n"
	"Multi-target: GET /probe?target=<dsn>&auth_module=<name> (modules from --config.file).\n";

static struct exporter pg_exporter = {
	.name = "pg_exporter", .title = "Postgres Exporter", .prefix = "pg",
	.default_listen = ":9187",
	.backend = &pg_backend,
	.build_info = { .name = "postgres_exporter_build_info" },
	.self_metrics = pg_config_metrics,
	.common_flags = (const struct common_flag[]){
		{ .name = "web.telemetry-path", .env = "PG_EXPORTER_WEB_TELEMETRY_PATH" },
		/* postgres_exporter 0.11's variable (warned about by pg_setup) */
		{ .name = "web.listen-address", .env = "PG_EXPORTER_WEB_LISTEN_ADDRESS" },
		{ NULL },
	},
	.flags = pg_flags, .nflags = sizeof pg_flags / sizeof pg_flags[0],
	.setup = pg_setup, .teardown = pg_teardown,
	.help_tail = help_tail,
};

int main(int argc, char **argv)
{
	return exporter_main(&pg_exporter, argc, argv);
}
