/*
 * One scrape of one target (pg_collect, the backend layer's collect hook):
 * keep the main connection usable (reconnecting once when a reused one
 * turns out broken), run the legacy part and the collectors on it, and say
 * whether the server answered.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "pg.h"


/* ---- values ---- */

bool pg_is_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

const char *pg_get_str(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

int pg_get_double(const PGresult *r, int row, int col, double *out)
{
	if (PQgetisnull(r, row, col))
		return 1;
	const char *v = PQgetvalue(r, row, col);
	if (!strcmp(v, "t")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "f")) {
		*out = 0;
		return 0;
	}
	/* numeric's text form of NaN/Infinity differs from Go's spelling. */
	if (!strcmp(v, "Infinity")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcmp(v, "-Infinity")) {
		*out = -INFINITY;
		return 0;
	}
	return parse_double(v, out) == 0 ? 0 : -1;
}

int pg_expect_cols(struct scrape *s, const PGresult *r, int ncols, const char *what)
{
	if (PQnfields(r) < ncols)
		return scrape_fail(s, "%s: expected %d columns, got %d", what, ncols, PQnfields(r));
	return 0;
}

int pg_bad_value(struct scrape *s, const PGresult *r, int row, int col)
{
	return scrape_fail(s, "column %s of row %d is not a number: \"%.40s\"", PQfname(r, col), row,
			   PQgetvalue(r, row, col));
}

int pg_version(const struct scrape *s)
{
	return ((const struct pgscrape *)s->target)->version;
}

struct pgconn *pg_main_conn(const struct pgscrape *ps)
{
	return ps->bs ? ps->bs->conn : NULL;
}

const char *pg_dbname(const struct scrape *s)
{
	const struct pgscrape *ps = s->target;
	if (ps->replay)
		return ps->replay_dbname ? ps->replay_dbname : "postgres";
	const struct pgconn *c = pg_main_conn(ps);
	return c && c->dbname ? c->dbname : "";
}

/* ---- the main connection of a scrape ---- */

/* The main connection is gone for this scrape; remember the first reason. */
static void lose_main(struct pgscrape *ps, const char *err)
{
	backend_drop(ps->bs);
	if (!ps->conn_lost)
		strf(ps->lost_err, sizeof ps->lost_err, "lost the connection: %.480s", err);
	ps->conn_lost = true;
}

/* Set statement_timeout for this scrape, reconnecting once if a reused connection is broken. */
static bool ready_main(struct pgscrape *ps, char *err, size_t errlen)
{
	for (;;) {
		enum pgq_status st = pgconn_set_timeout(pg_main_conn(ps), ps->deadline, err, errlen);
		if (st == PGQ_OK)
			return true;
		if (st == PGQ_LATE)
			return false;
		if (st == PGQ_SQLERR) {
			char tmp[512];
			strf(tmp, sizeof tmp, "%s", err);
			strf(err, errlen, "could not set statement_timeout: %s", tmp);
			return false;
		}
		if (!backend_reconnect(ps->bs, err, errlen))
			return false;
	}
}

/* Run one query on the main connection, reconnecting once if a reused one turns out dead. */
static enum pgq_status main_query(struct pgscrape *ps, const char *name, const char *sql,
				  const char *param, bool record, PGresult **out, char *err, size_t errlen)
{
	*out = NULL;
	for (;;) {
		struct pgconn *c = pg_main_conn(ps);
		if (!c) {
			strf(err, errlen, "no connection to the server");
			return PGQ_CONNERR;
		}
		enum pgq_status st =
			param ? pgconn_query1(c, sql, param, ps->deadline, out, err, errlen)
			      : pgconn_query_ex(c, name, sql, ps->deadline, record, out, err, errlen);
		if (st == PGQ_LATE)
			return st;
		if (st != PGQ_CONNERR) {
			ps->answered++;
			return st;
		}
		/* A server restarted since the last scrape: one fresh attempt, before any answer. */
		if (ps->answered > 0 || !backend_reconnect(ps->bs, err, errlen) ||
		    pgconn_set_timeout(pg_main_conn(ps), ps->deadline, err, errlen) != PGQ_OK) {
			lose_main(ps, err);
			return PGQ_CONNERR;
		}
	}
}

static int query_main(struct scrape *s, const char *name, const char *sql, bool record, PGresult **out)
{
	struct pgscrape *ps = s->target;
	*out = NULL;
	if (ps->replay) {
		*out = ps->replay(ps->replay_ctx, NULL, name, sql);
		return *out ? 0 : scrape_fail(s, "%s: no recorded result", name);
	}
	char err[512];
	enum pgq_status st = main_query(ps, name, sql, NULL, record, out, err, sizeof err);
	if (st != PGQ_OK)
		return scrape_fail(s, "%s", err);
	return 0;
}

int pg_query(struct scrape *s, const char *name, const char *sql, PGresult **out)
{
	return query_main(s, name, sql, true, out);
}

int pg_query_once(struct scrape *s, const char *name, const char *sql, PGresult **out)
{
	return query_main(s, name, sql, false, out);
}

void *pg_cache_get(struct scrape *s, const char *name, const char *key)
{
	struct pgscrape *ps = s->target;
	struct pgconn *c = pg_main_conn(ps);
	if (!c || !c->cache_val || strcmp(c->cache_name, name) != 0 || strcmp(c->cache_key, key) != 0)
		return NULL;
	return c->cache_val;
}

void pg_cache_put(struct scrape *s, const char *name, const char *key, void *val,
		  void (*free_fn)(void *))
{
	struct pgscrape *ps = s->target;
	struct pgconn *c = pg_main_conn(ps);
	char *n = c ? strdup(name) : NULL, *k = c ? strdup(key) : NULL;
	if (!c || !n || !k) {
		free(n);
		free(k);
		free_fn(val);
		return;
	}
	free(c->cache_name);
	free(c->cache_key);
	if (c->cache_val)
		c->cache_free(c->cache_val);
	c->cache_name = n;
	c->cache_key = k;
	c->cache_val = val;
	c->cache_free = free_fn;
}

int pg_legacy_query(struct pgscrape *ps, const char *name, const char *sql, PGresult **out,
		    char *err, size_t errlen)
{
	if (ps->replay) {
		*out = ps->replay(ps->replay_ctx, NULL, name, sql);
		if (!*out)
			strf(err, errlen, "%s: no recorded result", name);
		return *out ? 0 : -1;
	}
	return main_query(ps, name, sql, NULL, true, out, err, errlen) == PGQ_OK ? 0 : -1;
}

/* ---- databases (auto discovery) ---- */

static struct dbconn *find_db(struct pgtarget *t, const char *datname)
{
	for (size_t i = 0; i < t->ndbs; i++)
		if (!strcmp(t->dbs[i].datname, datname))
			return &t->dbs[i];
	return NULL;
}

static struct dbconn *add_db(struct pgtarget *t, const char *datname)
{
	struct dbconn *dbs = realloc(t->dbs, (t->ndbs + 1) * sizeof *dbs);
	if (!dbs)
		return NULL;
	t->dbs = dbs;
	char *name = strdup(datname);
	if (!name)
		return NULL;
	struct dbconn *d = &t->dbs[t->ndbs++];
	memset(d, 0, sizeof *d);
	d->datname = name;
	return d;
}

static const char discovery_sql[] =
	"SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate "
	"AND datname <> current_database() ORDER BY datname";

int pg_databases(struct scrape *s, const char *const **names, size_t *n)
{
	struct pgscrape *ps = s->target;
	if (ps->dbs_listed) {
		*names = ps->dbnames;
		*n = ps->ndbnames;
		return 0;
	}
	PGresult *r = NULL;
	size_t cap = 1;
	if (pg_auto_discover) {
		int rc = pg_query(s, "discover_databases", discovery_sql, &r);
		if (rc)
			return rc;
		cap += (size_t)PQntuples(r);
	}
	ps->dbnames = calloc(cap, sizeof *ps->dbnames);
	if (!ps->dbnames) {
		PQclear(r);
		return scrape_fail(s, "out of memory");
	}
	ps->dbres = r;
	ps->dbnames[ps->ndbnames++] = pg_dbname(s);
	if (!ps->replay)
		for (size_t i = 0; i < ps->t->ndbs; i++)
			ps->t->dbs[i].seen = false;
	for (int i = 0; r && i < PQntuples(r); i++) {
		const char *db = pg_get_str(r, i, 0);
		if (namelist_has(&pg_exclude_databases, db))
			continue;
		if (pg_include_databases.n && !namelist_has(&pg_include_databases, db))
			continue;
		ps->dbnames[ps->ndbnames++] = db;
		struct dbconn *d = ps->replay ? NULL : find_db(ps->t, db);
		if (d)
			d->seen = true;
	}
	ps->dbs_listed = true;
	*names = ps->dbnames;
	*n = ps->ndbnames;
	return 0;
}

/* Does the database still exist? 1 yes, 0 no, -1 cannot tell. */
static int db_exists(struct pgscrape *ps, const char *datname)
{
	PGresult *r;
	char err[512];
	if (main_query(ps, NULL, "SELECT 1 FROM pg_database WHERE datname = $1", datname, false, &r,
		       err, sizeof err) != PGQ_OK)
		return -1;
	int n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

int pg_query_db(struct scrape *s, const char *datname, const char *name, const char *sql,
		PGresult **out)
{
	struct pgscrape *ps = s->target;
	*out = NULL;
	if (ps->replay) {
		*out = ps->replay(ps->replay_ctx, datname, name, sql);
		return *out ? 0 : scrape_fail(s, "%s: no recorded result for %s", name, datname);
	}
	if (!strcmp(datname, pg_dbname(s)))
		return pg_query(s, name, sql, out);
	struct pgtarget *t = ps->t;
	struct dbconn *d = find_db(t, datname);
	if (!d && !(d = add_db(t, datname)))
		return scrape_fail(s, "out of memory");
	d->seen = true;
	char err[512];
	if (d->conn && pgconn_dead(d->conn)) {
		pgconn_close(d->conn);
		d->conn = NULL;
	}
	if (!d->conn) {
		/* The same message while backing off, so the failure is logged once. */
		if (backoff_left(&d->backoff) > 0)
			return scrape_fail(s, "database %s: %s", datname, d->last_err);
		d->conn = pg_open_db(t, datname, ps->deadline, err, sizeof err);
		if (!d->conn) {
			if (mono_now() < ps->deadline && db_exists(ps, datname) == 0) {
				log_debug("database dropped since discovery", "datname", datname, NULL);
				return COLLECT_NODATA;
			}
			backoff_failed(&d->backoff, PG_BACKOFF_MIN, PG_BACKOFF_MAX);
			strf(d->last_err, sizeof d->last_err, "%s", err);
			return scrape_fail(s, "database %s: %s", datname, d->last_err);
		}
		backoff_reset(&d->backoff);
	}
	enum pgq_status ts = pgconn_set_timeout(d->conn, ps->deadline, err, sizeof err);
	if (ts != PGQ_OK) {
		if (ts != PGQ_LATE) {
			pgconn_close(d->conn);
			d->conn = NULL;
		}
		return scrape_fail(s, "database %s: %s", datname, err);
	}
	enum pgq_status st = PGQ_OK;
	if (d->prefetched != t->scrapes) {
		d->prefetched = t->scrapes;
		st = pgconn_prefetch(d->conn, ps->deadline, err, sizeof err);
	}
	if (st == PGQ_OK)
		st = pgconn_query(d->conn, name, sql, ps->deadline, out, err, sizeof err);
	if (st == PGQ_OK)
		return 0;
	if (st == PGQ_CONNERR) {
		pgconn_close(d->conn);
		d->conn = NULL;
		if (mono_now() < ps->deadline && db_exists(ps, datname) == 0)
			return COLLECT_NODATA;
	}
	return scrape_fail(s, "database %s: %s", datname, err);
}

/* Forget per-database connections of databases no longer discovered. */
static void prune_dbs(struct pgscrape *ps)
{
	struct pgtarget *t = ps->t;
	for (size_t i = 0; i < t->ndbs; i++)
		if (t->dbs[i].conn)
			pgconn_end_scrape(t->dbs[i].conn);
	if (!ps->dbs_listed || ps->replay)
		return;
	for (size_t i = 0; i < t->ndbs;) {
		if (t->dbs[i].seen) {
			i++;
			continue;
		}
		log_debug("closing the connection to a database no longer discovered", "datname",
			  t->dbs[i].datname, NULL);
		pgconn_close(t->dbs[i].conn);
		free(t->dbs[i].datname);
		t->dbs[i] = t->dbs[--t->ndbs];
	}
}

/* ---- families with --constantLabels ---- */

/* base labels followed by the constant label names; returns the value count. */
size_t pg_const_labels(const char **names, const char **values, size_t cap,
		       const char *const *base_names, const char *const *base_values)
{
	size_t n = 0;
	for (; base_names && base_names[n] && n + 1 < cap; n++) {
		names[n] = base_names[n];
		values[n] = base_values[n];
	}
	for (size_t i = 0; i < pg_const_label_names.n && n + 1 < cap; i++, n++) {
		names[n] = pg_const_label_names.names[i];
		values[n] = pg_const_label_values.names[i];
	}
	names[n] = NULL;
	return n;
}

/* ---- the scrape ---- */

int pg_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen)
{
	struct pgtarget *t = bs->spec;
	struct pgscrape ps = { .t = t, .bs = bs, .rq = bs->rq, .deadline = bs->deadline };
	t->scrapes++;

	bool ready = ready_main(&ps, err, errlen);
	if (ready && pgconn_prefetch(pg_main_conn(&ps), ps.deadline, err, errlen) != PGQ_OK) {
		/* As for a single query: a reused connection gets one fresh attempt. */
		ready = backend_reconnect(bs, err, errlen) &&
			pgconn_set_timeout(pg_main_conn(&ps), ps.deadline, err, errlen) == PGQ_OK;
		if (!ready)
			backend_drop(bs);
	}
	bool legacy_failed = false;
	if (ready) {
		err[0] = '\0'; /* a reconnection may have left its first failure here */
		ps.version = pg_main_conn(&ps)->version;
		if (!pg_disable_default_metrics) {
			char lerr[512];
			if (pg_legacy_collect(&ps, e, lerr, sizeof lerr) < 0) {
				legacy_failed = true;
				log_error("error scraping dsn", "target", t->dsn.safe, "err", lerr, NULL);
			}
		}
		if (pg_main_conn(&ps))
			exporter_run_collectors(bs->rq, NULL, &ps, e);
		if (pg_main_conn(&ps) && ps.answered == 0 && !ps.conn_lost) {
			enum pgq_status st = pgconn_ping(pg_main_conn(&ps), ps.deadline, err, errlen);
			if (st == PGQ_CONNERR)
				lose_main(&ps, err);
			else if (st != PGQ_LATE)
				ps.answered++;
		}
	}
	if (pg_main_conn(&ps))
		pgconn_end_scrape(pg_main_conn(&ps));
	prune_dbs(&ps);
	PQclear(ps.dbres);
	free(ps.dbnames);

	bs->partial = legacy_failed;
	if (!ready)
		return -1;
	if (ps.conn_lost) {
		strf(err, errlen, "%s", ps.lost_err);
		return -1;
	}
	if (ps.answered == 0) {
		if (!err[0])
			strf(err, errlen, "no query was answered before the scrape deadline");
		return -1;
	}
	return 0;
}
