/*
 * One scrape of one target: make sure its connection is usable (reusing
 * it, or reconnecting with backoff), run the legacy part and the
 * collectors on it, and report pg_up and the pg_exporter_* families.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "pg.h"

#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 2.0
#define MAX_LABELS 32

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

const char *pg_dbname(const struct scrape *s)
{
	const struct pgscrape *ps = s->target;
	if (ps->replay)
		return ps->replay_dbname ? ps->replay_dbname : "postgres";
	return ps->t->conn && ps->t->conn->dbname ? ps->t->conn->dbname : "";
}

/* ---- connections of a scrape ---- */

static void note_conn_error(struct pgtarget *t, const char *what, const char *err)
{
	if (t->was_up || strcmp(t->last_err, err) != 0)
		log_error(what, "target", t->dsn.safe, "err", err, NULL);
	else
		log_debug(what, "target", t->dsn.safe, "err", err, NULL);
	t->was_up = false;
	strf(t->last_err, sizeof t->last_err, "%s", err);
}

static double connect_deadline(const struct pgdsn *d, double deadline)
{
	const char *ct = pgdsn_get(d, "connect_timeout");
	int64_t secs;
	if (ct && parse_i64(ct, &secs) == 0 && secs > 0) {
		/* libpq's rule: a value below 2 s means 2 s. */
		double limit = mono_now() + (double)(secs < 2 ? 2 : secs);
		if (limit < deadline)
			return limit;
	}
	return deadline;
}

/* Open the main connection if there is none (respecting the backoff). */
static bool open_main(struct pgscrape *ps, char *err, size_t errlen)
{
	struct pgtarget *t = ps->t;
	double now = mono_now();
	if (now < t->next_attempt) {
		strf(err, errlen, "waiting %.1fs before reconnecting; last error: %.400s",
			 t->next_attempt - now, t->last_err);
		return false;
	}
	t->conn = pgconn_open(&t->dsn, NULL, connect_deadline(&t->dsn, ps->deadline), err, errlen);
	if (!t->conn) {
		t->backoff = t->backoff > 0 ? fmin(t->backoff * 2, BACKOFF_MAX) : BACKOFF_MIN;
		t->next_attempt = mono_now() + t->backoff;
		note_conn_error(t, "could not connect to PostgreSQL", err);
		return false;
	}
	if (!t->was_up)
		log_info("connected to PostgreSQL", "target", t->dsn.safe, NULL);
	t->was_up = true;
	t->backoff = 0;
	t->next_attempt = 0;
	ps->reused = false;
	return true;
}

static void drop_main(struct pgscrape *ps, const char *err)
{
	struct pgtarget *t = ps->t;
	pgconn_close(t->conn);
	t->conn = NULL;
	ps->conn_lost = true;
	note_conn_error(t, "lost the connection to PostgreSQL", err);
}

/* A usable main connection with statement_timeout set for this scrape. */
static bool ready_main(struct pgscrape *ps, char *err, size_t errlen)
{
	struct pgtarget *t = ps->t;
	if (t->conn && pgconn_dead(t->conn)) {
		log_info("the server closed the connection; reconnecting", "target", t->dsn.safe, NULL);
		pgconn_close(t->conn);
		t->conn = NULL;
	}
	ps->reused = t->conn != NULL;
	if (!t->conn && !open_main(ps, err, errlen))
		return false;
	for (;;) {
		enum pgq_status st = pgconn_set_timeout(t->conn, ps->deadline, err, errlen);
		if (st == PGQ_OK)
			return true;
		if (st == PGQ_LATE)
			return false;
		if (st == PGQ_SQLERR) {
			note_conn_error(t, "could not set statement_timeout", err);
			return false;
		}
		bool retry = ps->reused && mono_now() < ps->deadline;
		pgconn_close(t->conn);
		t->conn = NULL;
		if (!retry || !open_main(ps, err, errlen)) {
			if (!retry)
				note_conn_error(t, "lost the connection to PostgreSQL", err);
			return false;
		}
	}
}

/* Run one query on the main connection, reconnecting once if a reused one turns out dead. */
static enum pgq_status main_query(struct pgscrape *ps, const char *name, const char *sql,
				  const char *param, bool record, PGresult **out, char *err, size_t errlen)
{
	*out = NULL;
	for (;;) {
		if (!ps->t->conn) {
			strf(err, errlen, "no connection to the server");
			return PGQ_CONNERR;
		}
		enum pgq_status st =
			param ? pgconn_query1(ps->t->conn, sql, param, ps->deadline, out, err, errlen)
			      : pgconn_query_ex(ps->t->conn, name, sql, ps->deadline, record, out, err, errlen);
		if (st == PGQ_LATE)
			return st;
		if (st != PGQ_CONNERR) {
			ps->answered++;
			return st;
		}
		/* A server restarted since the last scrape: one fresh attempt. */
		bool retry = ps->reused && ps->answered == 0 && !ps->retried && mono_now() < ps->deadline;
		ps->retried = true;
		pgconn_close(ps->t->conn);
		ps->t->conn = NULL;
		if (!retry) {
			drop_main(ps, err);
			return st;
		}
		char err2[512];
		if (!open_main(ps, err2, sizeof err2) ||
		    pgconn_set_timeout(ps->t->conn, ps->deadline, err2, sizeof err2) != PGQ_OK) {
			if (ps->t->conn) {
				pgconn_close(ps->t->conn);
				ps->t->conn = NULL;
			}
			ps->conn_lost = true;
			strf(err, errlen, "%s", err2);
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
	struct pgconn *c = ps->replay ? NULL : ps->t->conn;
	if (!c || !c->cache_val || strcmp(c->cache_name, name) != 0 || strcmp(c->cache_key, key) != 0)
		return NULL;
	return c->cache_val;
}

void pg_cache_put(struct scrape *s, const char *name, const char *key, void *val,
		  void (*free_fn)(void *))
{
	struct pgscrape *ps = s->target;
	struct pgconn *c = ps->replay ? NULL : ps->t->conn;
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
		double now = mono_now();
		/* The same message while backing off, so the failure is logged once. */
		if (now < d->next_attempt)
			return scrape_fail(s, "database %s: %s", datname, d->last_err);
		d->conn = pgconn_open(&t->dsn, datname, connect_deadline(&t->dsn, ps->deadline), err,
				      sizeof err);
		if (!d->conn) {
			if (mono_now() < ps->deadline && db_exists(ps, datname) == 0) {
				log_debug("database dropped since discovery", "datname", datname, NULL);
				return COLLECT_NODATA;
			}
			d->backoff = d->backoff > 0 ? fmin(d->backoff * 2, BACKOFF_MAX) : BACKOFF_MIN;
			d->next_attempt = mono_now() + d->backoff;
			strf(d->last_err, sizeof d->last_err, "%s", err);
			return scrape_fail(s, "database %s: %s", datname, d->last_err);
		}
		d->backoff = 0;
		d->next_attempt = 0;
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

static void legacy_value(struct expo *e, const char *name, enum metric_type type, const char *help,
			 double v)
{
	const char *names[MAX_LABELS], *values[MAX_LABELS];
	pg_const_labels(names, values, MAX_LABELS, NULL, NULL);
	expo_add(e, expo_family(e, name, type, help, names), v, values);
}

/* ---- the scrape ---- */

void pg_scrape_target(const struct request *rq, struct pgtarget *t, struct expo *e, bool self_metrics)
{
	pthread_mutex_lock(&t->lock);
	double t0 = mono_now();
	struct pgscrape ps = { .t = t, .rq = rq };
	ps.deadline = t0 + fmin(request_remaining(rq), pg_collection_timeout);
	t->scrapes++;
	t->last_used = t0;

	char err[512] = "";
	bool ready = ready_main(&ps, err, sizeof err);
	bool legacy_failed = false;
	if (ready && pgconn_prefetch(t->conn, ps.deadline, err, sizeof err) != PGQ_OK) {
		/* As for a single query: a reused connection gets one fresh attempt. */
		bool retry = ps.reused && mono_now() < ps.deadline;
		pgconn_close(t->conn);
		t->conn = NULL;
		ps.retried = true;
		ready = retry && open_main(&ps, err, sizeof err) &&
			pgconn_set_timeout(t->conn, ps.deadline, err, sizeof err) == PGQ_OK;
		if (!ready) {
			pgconn_close(t->conn);
			t->conn = NULL;
			note_conn_error(t, "lost the connection to PostgreSQL", err);
		}
	}
	if (ready)
		ps.version = t->conn->version;
	if (ready) {
		if (!pg_disable_default_metrics) {
			char lerr[512];
			if (pg_legacy_collect(&ps, e, lerr, sizeof lerr) < 0) {
				legacy_failed = true;
				log_error("error scraping dsn", "target", t->dsn.safe, "err", lerr, NULL);
			}
		}
		if (t->conn)
			exporter_run_collectors(rq, NULL, &ps, e);
		if (t->conn && ps.answered == 0 && !ps.conn_lost) {
			enum pgq_status st = pgconn_ping(t->conn, ps.deadline, err, sizeof err);
			if (st == PGQ_CONNERR)
				drop_main(&ps, err);
			else if (st != PGQ_LATE)
				ps.answered++;
		}
	}
	if (t->conn)
		pgconn_end_scrape(t->conn);
	prune_dbs(&ps);
	PQclear(ps.dbres);
	free(ps.dbnames);

	bool up = ready && !ps.conn_lost && ps.answered > 0;
	t->last_duration = mono_now() - t0;
	t->last_error = !up || legacy_failed;

	legacy_value(e, "pg_up", METRIC_GAUGE,
		     "Whether this scrape's queries ran on the PostgreSQL server (1 for yes, 0 for no).",
		     up ? 1 : 0);
	legacy_value(e, "pg_exporter_last_scrape_duration_seconds", METRIC_GAUGE,
		     "Duration of the last scrape of metrics from PostgreSQL.", t->last_duration);
	legacy_value(e, "pg_exporter_scrapes_total", METRIC_COUNTER,
		     "Total number of times PostgreSQL was scraped for metrics.", (double)t->scrapes);
	legacy_value(e, "pg_exporter_last_scrape_error", METRIC_GAUGE,
		     "Whether the last scrape of metrics from PostgreSQL resulted in an error (1 for error, 0 for success).",
		     t->last_error ? 1 : 0);
	pthread_mutex_unlock(&t->lock);
	(void)self_metrics;
}
