/*
 * What upstream still computes on its legacy "exporter" path rather than in
 * collectors: pg_static and the pg_stat_database_conflicts map. Both carry
 * the `server` label (host:port of the data source) and the
 * --constantLabels; the conflicts families follow --metric-prefix. Both
 * are left out with --disable-default-metrics.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/parse.h"
#include "pg.h"

#define MAX_LABELS 32

/*
 * upstream's short_version: the first dotted number after the first word of
 * version(), completed to three parts as semver's ParseTolerant does.
 * Returns 0 or -1 if there is none.
 */
int pg_short_version(const char *version, char *out, size_t outlen)
{
	const char *p = version;
	if (!isalnum((unsigned char)*p) && *p != '_')
		return -1;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (*p++ != ' ' || !isdigit((unsigned char)*p))
		return -1;
	unsigned long parts[3] = { 0, 0, 0 };
	int n = 0;
	while (n < 3 && isdigit((unsigned char)*p)) {
		unsigned long v = 0;
		while (isdigit((unsigned char)*p) && v < 100000000UL)
			v = v * 10 + (unsigned long)(*p++ - '0');
		parts[n++] = v;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	strf(out, outlen, "%lu.%lu.%lu", parts[0], parts[1], parts[2]);
	return 0;
}

static const struct {
	const char *column;
	const char *help;
} conflict_columns[] = {
	{ "confl_tablespace", "Queries in this database cancelled because of dropped tablespaces." },
	{ "confl_lock", "Queries in this database cancelled because of lock timeouts." },
	{ "confl_snapshot", "Queries in this database cancelled because of old snapshots." },
	{ "confl_bufferpin", "Queries in this database cancelled because of pinned buffers." },
	{ "confl_deadlock", "Queries in this database cancelled because of deadlocks." },
};

static void emit_static(const struct pgconn *c, const char *server, struct expo *e)
{
	const char *version = c ? c->version_str : NULL;
	char short_version[64];
	if (!version || pg_short_version(version, short_version, sizeof short_version) < 0)
		return;
	const char *names[MAX_LABELS], *values[MAX_LABELS];
	pg_const_labels(names, values, MAX_LABELS,
			(const char *const[]){ "server", "short_version", "version", NULL },
			(const char *const[]){ server, short_version, version });
	struct family *f = expo_family(e, "pg_static", METRIC_UNTYPED,
				       "Version string as reported by PostgreSQL.", names);
	expo_add(e, f, 1, values);
}

/* Does a custom query take the builtin map's namespace (upstream then runs the user's)? */
static bool overridden(const struct pgconn *c, const char *ns)
{
	const struct uq_set *set = c && c->uq ? c->uq->set : NULL;
	for (size_t i = 0; set && i < set->n; i++)
		if (!strcmp(set->q[i].ns, ns))
			return true;
	return false;
}

int pg_legacy_collect(struct pgscrape *ps, struct pgconn *c, const char *server, struct expo *e,
		      char *err, size_t errlen)
{
	emit_static(ps->replay ? pg_main_conn(ps) : c, server, e);

	char ns[160];
	strf(ns, sizeof ns, "%s_stat_database_conflicts", pg_metric_prefix);
	if (overridden(c, ns))
		return 0;
	PGresult *r;
	if (pg_legacy_query(ps, c, "legacy_conflicts", "SELECT * FROM pg_stat_database_conflicts", &r,
			    err, errlen) < 0)
		return -1;
	int ncols = PQnfields(r);
	int cdatid = PQfnumber(r, "datid"), cdatname = PQfnumber(r, "datname");
	int rc = 0;
	for (int col = 0; col < ncols; col++) {
		if (col == cdatid || col == cdatname)
			continue;
		const char *column = PQfname(r, col);
		const char *help = NULL;
		for (size_t i = 0; i < sizeof conflict_columns / sizeof conflict_columns[0]; i++)
			if (!strcmp(column, conflict_columns[i].column))
				help = conflict_columns[i].help;
		char name[256];
		strf(name, sizeof name, "%s_stat_database_conflicts_%s", pg_metric_prefix, column);
		const char *names[MAX_LABELS], *values[MAX_LABELS];
		pg_const_labels(names, values, MAX_LABELS,
				(const char *const[]){ "datid", "datname", "server", NULL },
				(const char *const[]){ "", "", "" });
		/* Columns newer servers add are still exported, untyped, as upstream does. */
		struct family *f = expo_family(e, name, help ? METRIC_COUNTER : METRIC_UNTYPED,
					       help ? help : "Unknown metric from pg_stat_database_conflicts",
					       names);
		for (int row = 0; row < PQntuples(r); row++) {
			double v = NAN;
			int g = pg_get_double(r, row, col, &v);
			if (g < 0) {
				strf(err, errlen,
					 "pg_stat_database_conflicts: column %s is not a number", column);
				rc = -1;
				continue;
			}
			values[0] = cdatid >= 0 ? pg_get_str(r, row, cdatid) : "";
			values[1] = cdatname >= 0 ? pg_get_str(r, row, cdatname) : "";
			values[2] = server;
			expo_add(e, f, v, values);
		}
	}
	PQclear(r);
	return rc;
}
