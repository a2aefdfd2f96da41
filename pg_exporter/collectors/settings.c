/*
 * settings: every numeric and boolean server setting as a gauge
 * pg_settings_<name>[_seconds|_bytes], with time and size units converted
 * to seconds and bytes as upstream does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/parse.h"
#include "../pg.h"

/*
 * The exporter sets statement_timeout and lock_timeout in its own session;
 * report what the session would reset to (server, database or role
 * setting), which is what upstream's fresh connection sees.
 */
static const char settings_sql[] =
	"SELECT name, CASE WHEN name IN ('statement_timeout', 'lock_timeout') THEN reset_val "
	"ELSE setting END, COALESCE(unit, ''), vartype FROM pg_settings "
	"WHERE vartype IN ('bool', 'integer', 'real') "
	"AND name NOT IN ('sync_commit_cancel_wait', 'google_dataplex.max_messages')";

/* Units a value may carry as a suffix (some managed servers append them). */
static const char *const value_units[] = { "ms", "s", "min", "h", "d", "B", "kB", "MB", "GB", "TB" };

static const struct {
	const char *unit;
	const char *to;
	double factor;
} units[] = {
	{ "ms", "seconds", -1000 }, /* negative: divide, as upstream does (exact) */
	{ "s", "seconds", 1 },
	{ "min", "seconds", 60 },
	{ "h", "seconds", 3600 },
	{ "d", "seconds", 86400 },
	{ "B", "bytes", 1 },
	{ "kB", "bytes", 1024.0 },
	{ "MB", "bytes", 1048576.0 },
	{ "GB", "bytes", 1073741824.0 },
	{ "TB", "bytes", 1099511627776.0 },
	{ "1kB", "bytes", 1024.0 },
	{ "2kB", "bytes", 2048.0 },
	{ "4kB", "bytes", 4096.0 },
	{ "8kB", "bytes", 8192.0 },
	{ "16kB", "bytes", 16384.0 },
	{ "32kB", "bytes", 32768.0 },
	{ "64kB", "bytes", 65536.0 },
	{ "16MB", "bytes", 16777216.0 },
	{ "32MB", "bytes", 33554432.0 },
	{ "64MB", "bytes", 67108864.0 },
};

int pg_setting_metric(const char *name, const char *setting, const char *unit, const char *vartype,
		      char *metric, size_t mlen, char *help, size_t hlen, double *value, char *err,
		      size_t errlen);

/*
 * The family name, help and value of one setting. Returns 0, or -1 with a
 * reason in err (such settings are skipped, as upstream does).
 */
int pg_setting_metric(const char *name, const char *setting, const char *unit, const char *vartype,
		      char *metric, size_t mlen, char *help, size_t hlen, double *value, char *err,
		      size_t errlen)
{
	char base[256];
	strf(base, sizeof base, "%s", name);
	for (char *p = base; *p; p++)
		if (*p == '.' || *p == '-')
			*p = '_';
	if (!strcmp(vartype, "bool")) {
		*value = !strcmp(setting, "on") ? 1 : 0;
		strf(metric, mlen, "pg_settings_%s", base);
		strf(help, hlen, "Server setting %s (on = 1).", name);
		return 0;
	}
	if (strcmp(vartype, "integer") && strcmp(vartype, "real")) {
		strf(err, errlen, "unsupported vartype %s", vartype);
		return -1;
	}
	/* upstream drops a unit suffix and the character before it (a space). */
	char val[128];
	strf(val, sizeof val, "%s", setting);
	size_t vlen = strlen(val);
	for (size_t i = 0; i < sizeof value_units / sizeof value_units[0]; i++) {
		size_t ul = strlen(value_units[i]);
		if (has_suffix(val, value_units[i])) {
			if (vlen < ul + 1) {
				strf(err, errlen, "cannot parse value \"%s\"", setting);
				return -1;
			}
			val[vlen - ul - 1] = '\0';
			break;
		}
	}
	double v;
	if (parse_double(val, &v) < 0) {
		strf(err, errlen, "error converting setting %s value \"%s\" to float", name, setting);
		return -1;
	}
	const char *to = NULL;
	double factor = 1;
	if (*unit) {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (!strcmp(unit, units[i].unit)) {
				to = units[i].to;
				factor = units[i].factor;
			}
		if (!to) {
			strf(err, errlen, "unknown unit for runtime variable: \"%s\"", unit);
			return -1;
		}
	}
	/* -1 means "disabled" and stays -1 whatever the unit. */
	if (to && v != -1)
		v = factor < 0 ? v / -factor : v * factor;
	*value = v;
	if (to) {
		strf(metric, mlen, "pg_settings_%s_%s", base, to);
		strf(help, hlen, "Server setting %s, converted to %s.", name, to);
	} else {
		strf(metric, mlen, "pg_settings_%s", base);
		strf(help, hlen, "Server setting %s.", name);
	}
	return 0;
}

/* The settings as families, computed once per answer of the server. */
struct setting {
	char *metric;
	char *help;
	double value;
};

struct settings_list {
	size_t n;
	struct setting *items;
};

static void settings_list_free(void *p)
{
	struct settings_list *l = p;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].metric);
		free(l->items[i].help);
	}
	free(l->items);
	free(l);
}

static struct settings_list *settings_list_make(struct scrape *s, const PGresult *r)
{
	if (pg_expect_cols(s, r, 4, "settings"))
		return NULL;
	struct settings_list *l = calloc(1, sizeof *l);
	if (l && PQntuples(r) > 0)
		l->items = calloc((size_t)PQntuples(r), sizeof *l->items);
	if (!l || (PQntuples(r) > 0 && !l->items)) {
		free(l);
		scrape_fail(s, "out of memory");
		return NULL;
	}
	for (int row = 0; row < PQntuples(r); row++) {
		char metric[320], help[320], err[256];
		double v;
		const char *name = pg_get_str(r, row, 0);
		if (pg_setting_metric(name, pg_get_str(r, row, 1), pg_get_str(r, row, 2),
				      pg_get_str(r, row, 3), metric, sizeof metric, help, sizeof help, &v,
				      err, sizeof err) < 0) {
			log_debug("skipping a setting", "setting", name, "err", err, NULL);
			continue;
		}
		struct setting *it = &l->items[l->n];
		it->metric = strdup(metric);
		it->help = strdup(help);
		it->value = v;
		if (!it->metric || !it->help) {
			free(it->metric);
			free(it->help);
			settings_list_free(l);
			scrape_fail(s, "out of memory");
			return NULL;
		}
		l->n++;
	}
	return l;
}

/*
 * What the values of pg_settings depend on, for our session: the
 * configuration file (reloaded at pg_conf_load_time()) and, for
 * in_hot_standby, recovery. Settings of the role, the database and the
 * connection are fixed for the session, and the session's own SETs are
 * read through reset_val.
 */
static const char settings_key_sql[] =
	"SELECT pg_conf_load_time()::text || ' ' || pg_is_in_recovery()::text";

static int settings_collect(struct scrape *s, struct expo *e)
{
	PGresult *k;
	int rc = pg_query(s, "settings_key", settings_key_sql, &k);
	if (rc)
		return rc;
	if (PQntuples(k) != 1 || PQnfields(k) != 1) {
		PQclear(k);
		return scrape_fail(s, "settings: unexpected answer to the configuration load time query");
	}
	/* The same key: the server would answer as last time; reuse that answer. */
	struct settings_list *l = pg_cache_get(s, "settings", PQgetvalue(k, 0, 0));
	bool fresh = false;
	if (!l) {
		PGresult *r;
		rc = pg_query_once(s, "settings", settings_sql, &r);
		if (rc == 0) {
			l = settings_list_make(s, r);
			PQclear(r);
			rc = l ? COLLECT_OK : COLLECT_ERROR;
			fresh = l != NULL;
		}
	}
	for (size_t i = 0; l && i < l->n; i++)
		expo_add(e, expo_family(e, l->items[i].metric, METRIC_GAUGE, l->items[i].help, NULL),
			 l->items[i].value, NULL);
	if (fresh)
		pg_cache_put(s, "settings", PQgetvalue(k, 0, 0), l, settings_list_free);
	PQclear(k);
	return rc;
}

const struct collector_def collector_settings = {
	.name = "settings",
	.default_enabled = true,
	.collect = settings_collect,
	.concurrent = true,
};
