/*
 * pg_exporter's option values and what start-up does with them: check the
 * flags, load --config.file, read the data source from the environment and
 * hand it to the backend layer as the default target.
 *
 * The values are written while flags are parsed and pg_setup() runs, before
 * the server starts, and only read afterwards. The defaults here are
 * upstream's, for unit tests that run without flag parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

#include "../common/log.h"
#include "../common/parse.h"
#include "pg.h"

bool pg_disable_default_metrics;
bool pg_auto_discover;
const char *pg_metric_prefix = "pg";
double pg_collection_timeout = 60;
struct namelist pg_exclude_databases;
struct namelist pg_include_databases;
struct namelist pg_const_label_names;
struct namelist pg_const_label_values;
struct pgconfig pg_config;
bool pg_config_ok;
double pg_config_loaded_at;

const char *pg_config_file = "postgres_exporter.yml";
bool pg_dump_maps;
const char *pg_constant_labels = "";
const char *pg_exclude_databases_flag = "";
const char *pg_include_databases_flag = "";
const char *pg_query_path = "";
long pg_probe_max_targets = 10;
double pg_probe_idle_timeout = 120;
bool pg_disable_settings_metrics;
bool pg_collector_bgwriter = true;

/* --constantLabels, NULL-terminated, for the backend layer's families. */
static const char *label_names[33], *label_values[33];

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
	if (namelist_split(&pairs, pg_constant_labels, true) < 0)
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
	pg_const_labels(label_names, label_values, sizeof label_names / sizeof label_names[0], NULL,
			NULL);
	return 0;
oom:
	strf(err, errlen, "out of memory");
	return -1;
}

/*
 * postgres_exporter 0.11's flags (Debian 12's package, /etc/default files):
 * honoured through their 0.20 equivalents, with a warning. An explicit
 * --[no-]collector.NAME still wins. Returns 0, or -1 if a collector is
 * missing from this build.
 */
static int legacy_flags(struct exporter *x)
{
	struct flag *settings = flags_find(x->fs, "disable-settings-metrics");
	struct flag *bgwriter = flags_find(x->fs, "collector.bgwriter");
	if (settings->set) {
		log_warn("--disable-settings-metrics (PG_EXPORTER_DISABLE_SETTINGS_METRICS) is DEPRECATED: removed in postgres_exporter 0.20, use --[no-]collector.settings",
			 NULL);
		if (exporter_enable_collector(x, "settings", !pg_disable_settings_metrics) < 0)
			return -1;
	}
	if (bgwriter->set) {
		log_warn("--[no-]collector.bgwriter is DEPRECATED: postgres_exporter 0.20 calls it --[no-]collector.stat_bgwriter",
			 NULL);
		if (exporter_enable_collector(x, "stat_bgwriter", pg_collector_bgwriter) < 0)
			return -1;
	}
	if (getenv("PG_EXPORTER_WEB_LISTEN_ADDRESS"))
		log_warn("PG_EXPORTER_WEB_LISTEN_ADDRESS is DEPRECATED: postgres_exporter 0.20 reads only --web.listen-address",
			 NULL);
	return 0;
}

/*
 * A PG_EXPORTER_* variable no flag reads (a typo, or one of another
 * version) would otherwise be ignored without a word.
 */
static void warn_unknown_variables(const struct exporter *x)
{
	for (char **env = environ; *env; env++) {
		if (!has_prefix(*env, "PG_EXPORTER_"))
			continue;
		const char *eq = strchr(*env, '=');
		size_t len = eq ? (size_t)(eq - *env) : strlen(*env);
		bool known = false;
		for (size_t i = 0; i < x->fs->n && !known; i++) {
			const char *v = x->fs->flags[i]->env;
			known = v && strlen(v) == len && !strncmp(v, *env, len);
		}
		if (!known) {
			char name[128];
			strf(name, sizeof name, "%.*s", (int)(len < 100 ? len : 100), *env);
			log_warn("unknown environment variable ignored: no flag of postgres_exporter reads it",
				 "variable", name, NULL);
		}
	}
}

int pg_setup(struct exporter *x, char *err, size_t errlen)
{
	if (pg_dump_maps) {
		dump_builtin_maps();
		exit(0);
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
	if (namelist_split(&pg_exclude_databases, pg_exclude_databases_flag, false) < 0 ||
	    (*pg_include_databases_flag &&
	     namelist_split(&pg_include_databases, pg_include_databases_flag, false) < 0)) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	struct backend *b = x->backend;
	b->max_seconds = pg_collection_timeout;
	b->label_names = label_names;
	b->label_values = label_values;
	if (pg_probe_max_targets < 1 || pg_probe_max_targets > 100000) {
		strf(err, errlen, "--probe.max-targets must be between 1 and 100000");
		return -1;
	}
	if (pg_probe_idle_timeout < 0) {
		strf(err, errlen, "--probe.idle-timeout must not be negative");
		return -1;
	}
	b->pool_size = (size_t)pg_probe_max_targets;
	b->idle_seconds = pg_probe_idle_timeout;
	if (legacy_flags(x) < 0) {
		strf(err, errlen, "internal error: a collector is missing");
		return -1;
	}
	warn_unknown_variables(x);

	char cerr[512];
	int rc = pgconfig_load(&pg_config, pg_config_file, cerr, sizeof cerr);
	if (rc == 0) {
		pg_config_ok = true;
		pg_config_loaded_at = (double)time(NULL);
	} else if (rc == -ENOENT) {
		/*
		 * Upstream carries on without the file (every /probe then needs the
		 * target's own credentials): the Helm chart passes
		 * --config.file=/etc/postgres_exporter.yml and mounts it only when
		 * one is configured.
		 */
		log_warn("Error loading config", "err", cerr, NULL);
	} else {
		strf(err, errlen, "%s", cerr);
		return -1;
	}
	if (*pg_query_path)
		log_warn("The extended queries.yaml config is DEPRECATED", "file", pg_query_path, NULL);

	struct pgsource *src;
	size_t n;
	char derr[512];
	if (pgsources_from_env(&src, &n, derr, sizeof derr) < 0) {
		strf(err, errlen, "%s", derr);
		return -1;
	}
	if (n == 0) {
		log_info("no DATA_SOURCE_NAME or DATA_SOURCE_URI: serving /probe only", NULL);
		return 0;
	}
	struct pgtarget *t = pgtarget_from_sources(src, n);
	pgsources_free(src, n);
	if (!t || backend_set_default(b, t, NULL) < 0) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	b->collect_unconnected = t->nextras > 0;
	if (t->dsn_error)
		/* A fault of the server, as upstream: pg_up 0 on every scrape, the reason logged. */
		log_error("the data source cannot be parsed; pg_up stays 0", "err", t->dsn_error, NULL);
	else
		log_info("data source", "target", t->dsn.safe, NULL);
	for (size_t i = 0; i < t->nextras; i++) {
		if (t->extras[i].error)
			log_error("the data source cannot be parsed", "err", t->extras[i].error, NULL);
		else
			log_info("further data source: pg_static, pg_stat_database_conflicts and custom queries only",
				 "target", t->extras[i].dsn.safe, NULL);
	}
	if (pg_auto_discover || *pg_exclude_databases_flag || *pg_include_databases_flag)
		log_info("database discovery", "auto_discover", pg_auto_discover ? "true" : "false",
			 "exclude", pg_exclude_databases_flag, "include", pg_include_databases_flag, NULL);
	return 0;
}

void pg_teardown(struct exporter *x)
{
	(void)x;
	pgconn_shutdown();
	pgconfig_free(&pg_config);
	namelist_free(&pg_exclude_databases);
	namelist_free(&pg_include_databases);
	namelist_free(&pg_const_label_names);
	namelist_free(&pg_const_label_values);
}

void pg_config_metrics(struct expo *e)
{
	pg_user_queries_metric(e);
	expo_single(e, "postgres_exporter_config_last_reload_successful", METRIC_GAUGE,
		    "Whether the configuration file was loaded successfully.", pg_config_ok ? 1 : 0);
	expo_single(e, "postgres_exporter_config_last_reload_success_timestamp_seconds", METRIC_GAUGE,
		    "Time of the last successful load of the configuration file.", pg_config_loaded_at);
}
