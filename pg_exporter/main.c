/*
 * pg_exporter: PostgreSQL server metrics, a drop-in for
 * prometheus-community/postgres_exporter on port 9187.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "collectors.h"
#include "pg.h"


static const char *config_file;
static bool systemd_socket;
static const char *query_path;
static bool dump_maps;
static const char *constant_labels;
static const char *exclude_databases;
static const char *include_databases;

static struct pgtarget *default_target;
static atomic_ullong scrapes_without_target;

static struct flag pg_flags[] = {
	{ .name = "config.file", .type = FLAG_STRING, .dest = &config_file,
	  .def = "postgres_exporter.yml",
	  .help = "Postgres exporter configuration file (auth_modules for /probe)." },
	{ .name = "web.systemd-socket", .type = FLAG_BOOL, .dest = &systemd_socket, .def = "false",
	  .help = "Use systemd socket activation listeners instead of port listeners (Linux only); not supported by this build." },
	{ .name = "disable-default-metrics", .type = FLAG_BOOL, .dest = &pg_disable_default_metrics,
	  .def = "false",
	  .help = "Do not include default metrics (pg_static and pg_stat_database_conflicts_*).",
	  .env = "PG_EXPORTER_DISABLE_DEFAULT_METRICS" },
	{ .name = "auto-discover-databases", .type = FLAG_BOOL, .dest = &pg_auto_discover,
	  .def = "false",
	  .help = "Discover the databases on the server and collect table statistics (stat_user_tables, statio_user_tables) from each of them.",
	  .env = "PG_EXPORTER_AUTO_DISCOVER_DATABASES" },
	{ .name = "extend.query-path", .type = FLAG_STRING, .dest = &query_path, .def = "",
	  .help = "Path to custom queries to run (DEPRECATED upstream; not supported by this build).",
	  .env = "PG_EXPORTER_EXTEND_QUERY_PATH" },
	{ .name = "dumpmaps", .type = FLAG_BOOL, .dest = &dump_maps, .def = "false",
	  .help = "Do not run, simply dump the maps." },
	{ .name = "constantLabels", .type = FLAG_STRING, .dest = &constant_labels, .def = "",
	  .help = "A list of label=value separated by comma(,), added to the pg_up, pg_exporter_*, pg_static and pg_stat_database_conflicts_* series.",
	  .env = "PG_EXPORTER_CONSTANT_LABELS" },
	{ .name = "exclude-databases", .type = FLAG_STRING, .dest = &exclude_databases, .def = "",
	  .help = "A list of databases to leave out of the database collector and of discovery, separated by comma(,).",
	  .env = "PG_EXPORTER_EXCLUDE_DATABASES" },
	{ .name = "include-databases", .type = FLAG_STRING, .dest = &include_databases, .def = "",
	  .help = "A list of databases to keep when discovering databases, separated by comma(,).",
	  .env = "PG_EXPORTER_INCLUDE_DATABASES" },
	{ .name = "metric-prefix", .type = FLAG_STRING, .dest = &pg_metric_prefix, .def = "pg",
	  .help = "A metric prefix can be used to have non-default (not \"pg\") prefixes for each of the default metrics.",
	  .env = "PG_EXPORTER_METRIC_PREFIX" },
	{ .name = "collection-timeout", .type = FLAG_DURATION, .dest = &pg_collection_timeout,
	  .def = "1m",
	  .help = "Timeout for collecting the statistics when the database is slow (the scrape's own timeout applies too).",
	  .env = "PG_EXPORTER_COLLECTION_TIMEOUT" },
};

static struct flag *pg_flag(const char *name)
{
	for (size_t i = 0; i < sizeof pg_flags / sizeof pg_flags[0]; i++)
		if (!strcmp(pg_flags[i].name, name))
			return &pg_flags[i];
	return NULL;
}

static void dump_builtin_maps(void)
{
	printf("pg_stat_database_conflicts\n");
	printf("  %-40s %s\n", "datid", "LABEL");
	printf("  %-40s %s\n", "datname", "LABEL");
	static const char *const cols[] = { "confl_tablespace", "confl_lock", "confl_snapshot",
					    "confl_bufferpin", "confl_deadlock" };
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		printf("  %-40s %s\n", cols[i], "COUNTER");
	printf("\n");
}

static int parse_constant_labels(char *err, size_t errlen)
{
	struct namelist pairs;
	if (namelist_split(&pairs, constant_labels, true) < 0)
		goto oom;
	for (size_t i = 0; i < pairs.n; i++) {
		char *p = pairs.names[i];
		char *eq = strchr(p, '=');
		if (!eq || strchr(eq + 1, '=')) {
			log_error("wrong constant labels format, should be \"key=value\"", "input", p, NULL);
			continue;
		}
		*eq = '\0';
		char *k = trim(p), *v = trim(eq + 1);
		if (!*k || !*v)
			continue;
		if (!expo_valid_label_name(k)) {
			strf(err, errlen, "--constantLabels: invalid label name \"%s\"", k);
			namelist_free(&pairs);
			return -1;
		}
		char **nn = realloc(pg_const_label_names.names, (pg_const_label_names.n + 1) * sizeof *nn);
		if (nn)
			pg_const_label_names.names = nn;
		char **vv = nn ? realloc(pg_const_label_values.names,
					 (pg_const_label_values.n + 1) * sizeof *vv)
			       : NULL;
		if (vv)
			pg_const_label_values.names = vv;
		char *kd = strdup(k), *vd = strdup(v);
		if (!nn || !vv || !kd || !vd) {
			free(kd);
			free(vd);
			namelist_free(&pairs);
			goto oom;
		}
		pg_const_label_names.names[pg_const_label_names.n++] = kd;
		pg_const_label_values.names[pg_const_label_values.n++] = vd;
	}
	namelist_free(&pairs);
	return 0;
oom:
	strf(err, errlen, "out of memory");
	return -1;
}

int pg_setup(char *err, size_t errlen)
{
	if (dump_maps) {
		dump_builtin_maps();
		exit(0);
	}
	if (systemd_socket) {
		strf(err, errlen, "--web.systemd-socket is not supported by this build; use --web.listen-address");
		return -1;
	}
	if (*query_path) {
		strf(err, errlen,
			 "--extend.query-path (custom queries.yaml, deprecated upstream) is not supported by this build");
		return -1;
	}
	if (pg_collection_timeout < 0.001) {
		strf(err, errlen, "--collection-timeout must be at least 1ms");
		return -1;
	}
	char name[160];
	strf(name, sizeof name, "%s_stat_database_conflicts_x", pg_metric_prefix);
	if (!expo_valid_metric_name(name)) {
		strf(err, errlen, "--metric-prefix \"%s\" does not make valid metric names", pg_metric_prefix);
		return -1;
	}
	if (parse_constant_labels(err, errlen) < 0)
		return -1;
	/* Upstream splits these on commas without trimming. */
	if (namelist_split(&pg_exclude_databases, exclude_databases, false) < 0 ||
	    (*include_databases && namelist_split(&pg_include_databases, include_databases, false) < 0)) {
		strf(err, errlen, "out of memory");
		return -1;
	}

	char cerr[512];
	int rc = pgconfig_load(&pg_config, config_file, cerr, sizeof cerr);
	if (rc == 0) {
		pg_config_ok = true;
		pg_config_loaded_at = (double)time(NULL);
	} else if (rc == -ENOENT && !pg_flag("config.file")->set) {
		/* The default file is optional, as upstream: /probe then needs no auth_module. */
		log_warn("Error loading config", "err", cerr, NULL);
	} else {
		strf(err, errlen, "%s", cerr);
		return -1;
	}

	struct pgdsn d;
	char derr[512];
	rc = pgdsn_from_env(&d, derr, sizeof derr);
	if (rc < 0) {
		strf(err, errlen, "%s", derr);
		return -1;
	}
	if (rc == 0) {
		log_info("no DATA_SOURCE_NAME or DATA_SOURCE_URI: serving /probe only", NULL);
		return 0;
	}
	default_target = pgtarget_new(&d, NULL);
	pgdsn_free(&d);
	if (!default_target) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	log_info("data source", "target", default_target->dsn.safe, NULL);
	if (pg_auto_discover || *exclude_databases || *include_databases)
		log_info("database discovery", "auto_discover", pg_auto_discover ? "true" : "false",
			 "exclude", exclude_databases, "include", include_databases, NULL);
	return 0;
}

void pg_teardown(void)
{
	pgtarget_free(default_target);
	default_target = NULL;
	probe_targets_free();
	pgconn_shutdown();
	pgconfig_free(&pg_config);
	namelist_free(&pg_exclude_databases);
	namelist_free(&pg_include_databases);
	namelist_free(&pg_const_label_names);
	namelist_free(&pg_const_label_values);
}

static void config_metrics(struct expo *e)
{
	expo_single(e, "postgres_exporter_config_last_reload_successful", METRIC_GAUGE,
		    "Whether the configuration file was loaded successfully.", pg_config_ok ? 1 : 0);
	expo_single(e, "postgres_exporter_config_last_reload_success_timestamp_seconds", METRIC_GAUGE,
		    "Time of the last successful load of the configuration file.", pg_config_loaded_at);
}

/* Upstream's names its build_info family after postgres_exporter. */
static void build_info(const struct exporter *x, struct expo *e)
{
	(void)x;
	struct exporter as_upstream = { .name = "postgres_exporter" };
	exporter_build_info_std(&as_upstream, e);
}

int pg_metrics_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	(void)msg;
	(void)msglen;
	if (default_target) {
		pg_scrape_target(rq, default_target, e, true);
	} else {
		/* No data source: upstream reports the server down and nothing else. */
		unsigned long long n = atomic_fetch_add(&scrapes_without_target, 1) + 1;
		const char *names[33], *values[33];
		pg_const_labels(names, values, 33, NULL, NULL);
		expo_add(e, expo_family(e, "pg_up", METRIC_GAUGE,
					"Whether this scrape's queries ran on the PostgreSQL server (1 for yes, 0 for no).",
					names), 0, values);
		expo_add(e, expo_family(e, "pg_exporter_scrapes_total", METRIC_COUNTER,
					"Total number of times PostgreSQL was scraped for metrics.", names),
			 (double)n, values);
		expo_add(e, expo_family(e, "pg_exporter_last_scrape_error", METRIC_GAUGE,
					"Whether the last scrape of metrics from PostgreSQL resulted in an error (1 for error, 0 for success).",
					names), 0, values);
		expo_add(e, expo_family(e, "pg_exporter_last_scrape_duration_seconds", METRIC_GAUGE,
					"Duration of the last scrape of metrics from PostgreSQL.", names),
			 0, values);
	}
	exporter_self_metrics(rq, e);
	config_metrics(e);
	return 0;
}

int pg_probe_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	const char *target = request_arg(rq, "target");
	if (!target || !*target) {
		strf(msg, msglen, "target is required");
		return 400;
	}
	const char *modname = request_arg(rq, "auth_module");
	const struct auth_module *m = NULL;
	if (modname && *modname) {
		m = pgconfig_module(&pg_config, modname);
		if (!m) {
			strf(msg, msglen, "auth_module %s not found", modname);
			return 400;
		}
		if (!m->username || !*m->username || !m->password || !*m->password) {
			strf(msg, msglen, "auth_module %s has no username or password", modname);
			return 400;
		}
	}
	struct pgdsn d;
	char err[256];
	if (pgdsn_parse_target(&d, target, err, sizeof err) < 0) {
		log_error("failed to configure target", "err", err, NULL);
		strf(msg, msglen, "could not configure dsn for target: %s", err);
		return 400;
	}
	if (m && auth_module_apply(m, &d) < 0) {
		pgdsn_free(&d);
		strf(msg, msglen, "out of memory");
		return 500;
	}
	/* The key holds the credentials the connection was made with; never printed. */
	size_t klen = strlen(target) + (modname ? strlen(modname) : 0) + 2;
	char *key = malloc(klen);
	if (!key) {
		pgdsn_free(&d);
		strf(msg, msglen, "out of memory");
		return 500;
	}
	strf(key, klen, "%s\x1f%s", target, modname ? modname : "");
	struct pgtarget *t = probe_target_get(key, &d);
	memset(key, 0, klen);
	free(key);
	pgdsn_free(&d);
	if (!t) {
		strf(msg, msglen, "out of memory");
		return 500;
	}
	pg_scrape_target(rq, t, e, false);
	probe_target_put(t);
	return 0;
}

static const struct route pg_routes[] = {
	{ "/probe", pg_probe_handler },
};

static const char help_tail[] =
	"Environment:\n"
	"  DATA_SOURCE_NAME          PostgreSQL connection string (URI or key=value); the first of a\n"
	"                            comma-separated list is scraped.\n"
	"  DATA_SOURCE_URI           host[:port]/dbname?params, used when DATA_SOURCE_NAME is unset,\n"
	"                            with DATA_SOURCE_USER and DATA_SOURCE_PASS.\n"
	"  DATA_SOURCE_URI_FILE, DATA_SOURCE_USER_FILE, DATA_SOURCE_PASS_FILE\n"
	"                            read the value from a file instead (trimmed).\n"
	"  PG_EXPORTER_WEB_TELEMETRY_PATH\n"
	"                            default for --web.telemetry-path.\n"
	"Multi-target: GET /probe?target=<dsn>&auth_module=<name> (modules from --config.file).\n";

int main(int argc, char **argv)
{
	/* upstream's PG_EXPORTER_WEB_TELEMETRY_PATH feeds a flag common/ owns: pass it as
	 * the first argument so an explicit --web.telemetry-path still wins. */
	const char *tp = getenv("PG_EXPORTER_WEB_TELEMETRY_PATH");
	char **args = argv;
	char *tpflag = NULL;
	if (tp && *tp && argc > 0) {
		size_t n = strlen(tp) + sizeof "--web.telemetry-path=";
		tpflag = malloc(n);
		args = calloc((size_t)argc + 2, sizeof *args);
		if (!tpflag || !args) {
			fprintf(stderr, "pg_exporter: out of memory\n");
			return 1;
		}
		strf(tpflag, n, "--web.telemetry-path=%s", tp);
		args[0] = argv[0];
		args[1] = tpflag;
		for (int i = 1; i < argc; i++)
			args[i + 1] = argv[i];
		argc++;
	}
	struct exporter x = {
		.name = "pg_exporter",
		.title = "Postgres Exporter",
		.prefix = "pg",
		.default_listen = ":9187",
		.collectors = pg_collectors,
		.ncollectors = pg_ncollectors,
		.metrics_handler = pg_metrics_handler,
		.routes = pg_routes,
		.nroutes = sizeof pg_routes / sizeof pg_routes[0],
		.build_info = build_info,
		.flags = pg_flags,
		.nflags = sizeof pg_flags / sizeof pg_flags[0],
		.setup = pg_setup,
		.teardown = pg_teardown,
		.help_tail = help_tail,
	};
	int rc = exporter_main(&x, argc, args);
	if (args != argv)
		free(args);
	free(tpflag);
	return rc;
}
