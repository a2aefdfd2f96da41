/*
 * One scrape of one target (pg_collect, the backend layer's collect hook):
 * keep the main connection usable (reconnecting once when a reused one
 * turns out broken), run the legacy part and the collectors on it, and say
 * whether the server answered.
 */
#include <math.h>
#include <pthread.h>
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

int pg_legacy_query(struct pgscrape *ps, struct pgconn *c, const char *name, const char *sql,
		    PGresult **out, char *err, size_t errlen)
{
	if (ps->replay) {
		*out = ps->replay(ps->replay_ctx, NULL, name, sql);
		if (!*out)
			strf(err, errlen, "%s: no recorded result", name);
		return *out ? 0 : -1;
	}
	if (c == pg_main_conn(ps))
		return main_query(ps, name, sql, NULL, true, out, err, errlen) == PGQ_OK ? 0 : -1;
	return pgconn_query(c, name, sql, ps->deadline, out, err, errlen) == PGQ_OK ? 0 : -1;
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

/* ---- custom queries ---- */

/* The load status /metrics reports (upstream's is global to the exporter). */
static pthread_mutex_t published_mu = PTHREAD_MUTEX_INITIALIZER;
static struct uq_status published;

void pg_user_queries_metric(struct expo *e)
{
	pthread_mutex_lock(&published_mu);
	struct uq_status st = published;
	pthread_mutex_unlock(&published_mu);
	uq_status_metric(&st, e);
}

/*
 * The custom queries of connection c, read from the file when c is new, as
 * upstream reads it for each new connection. NULL without
 * --extend.query-path.
 */
static struct uq_conn *user_queries(struct pgscrape *ps, struct pgconn *c, struct expo *e)
{
	if (!*pg_query_path || !c)
		return NULL;
	if (!c->uq && !(c->uq = uq_conn_load()))
		return NULL;
	if (ps->bs && ps->bs->probe) {
		uq_status_metric(&c->uq->status, e);
	} else if (!c->uq->published) {
		c->uq->published = true;
		pthread_mutex_lock(&published_mu);
		published = c->uq->status;
		pthread_mutex_unlock(&published_mu);
	}
	return c->uq;
}

static int uq_status_of(enum pgq_status st, char *err, size_t errlen)
{
	if (st == PGQ_OK)
		return 0;
	if (st == PGQ_CONNERR)
		return UQ_LOST;
	if (st == PGQ_LATE)
		strf(err, errlen, "the scrape deadline passed before the query was sent");
	return -1;
}

static int uq_on_main(void *ctx, const struct uq_query *q, PGresult **out, char *err, size_t errlen)
{
	return uq_status_of(main_query(ctx, q->stmt, q->sql, NULL, true, out, err, errlen), err, errlen);
}

struct uq_on_db {
	struct scrape *s;
	const char *datname;
};

static int uq_on_db(void *ctx, const struct uq_query *q, PGresult **out, char *err, size_t errlen)
{
	struct uq_on_db *d = ctx;
	int rc = pg_query_db(d->s, d->datname, q->stmt, q->sql, out);
	if (rc == COLLECT_NODATA)
		return 0; /* dropped since discovery */
	if (rc != COLLECT_OK)
		strf(err, errlen, "%s", d->s->err);
	return rc == COLLECT_OK ? 0 : -1;
}

struct uq_on_conn {
	struct pgconn *c;
	double deadline;
};

static int uq_on_conn(void *ctx, const struct uq_query *q, PGresult **out, char *err, size_t errlen)
{
	struct uq_on_conn *oc = ctx;
	return uq_status_of(pgconn_query(oc->c, q->stmt, q->sql, oc->deadline, out, err, errlen), err,
			    errlen);
}

/*
 * The custom queries of the main connection, then (auto discovery) the
 * non-master ones in every other database, as upstream's discovered data
 * sources run them. Returns the failed namespaces.
 */
static int main_user_queries(struct pgscrape *ps, struct uq_emit *em)
{
	struct uq_conn *uc = user_queries(ps, pg_main_conn(ps), em->e);
	if (!uc)
		return 0;
	int failed = uq_run(uc, NULL, true, em, uq_on_main, ps);
	if (failed < 0 || !pg_auto_discover || !pg_main_conn(ps))
		return failed < 0 ? 0 : failed;
	struct scrape s = { .rq = ps->rq, .target = ps };
	const char *const *dbs;
	size_t n;
	if (pg_databases(&s, &dbs, &n) != COLLECT_OK)
		return failed + 1;
	for (size_t i = 1; i < n; i++) {
		struct uq_on_db d = { &s, dbs[i] };
		int f = uq_run(uc, dbs[i], false, em, uq_on_db, &d);
		failed += f < 0 ? 1 : f;
	}
	return failed;
}

/* ---- the other data sources of DATA_SOURCE_NAME ---- */

static void extra_state(struct pgextra *x, const char *err)
{
	if (!err) {
		if (x->down)
			log_info("data source answers again", "target", x->dsn.safe, NULL);
		x->down = false;
		return;
	}
	if (!x->down || strcmp(x->last_err, err) != 0)
		log_error("error scraping dsn", "target", x->dsn.safe, "err", err, NULL);
	x->down = true;
	strf(x->last_err, sizeof x->last_err, "%s", err);
}

/*
 * Upstream's legacy part on another data source: pg_static,
 * pg_stat_database_conflicts and the custom queries. Returns 1 when it
 * answered, 0 when it did not; *failed counts what failed.
 */
static int scrape_extra(struct pgscrape *ps, struct pgextra *x, struct uq_emit *em, int *failed)
{
	char err[512] = "";
	if (x->conn && pgconn_dead(x->conn)) {
		pgconn_close(x->conn);
		x->conn = NULL;
	}
	if (!x->conn) {
		if (x->error) {
			strf(err, sizeof err, "%s", x->error);
		} else if (backoff_left(&x->backoff) > 0) {
			strf(err, sizeof err, "%s", x->last_err);
		} else if (!(x->conn = pgconn_open(&x->dsn, NULL, ps->deadline, err, sizeof err))) {
			backoff_failed(&x->backoff, PG_BACKOFF_MIN, PG_BACKOFF_MAX);
		} else {
			backoff_reset(&x->backoff);
		}
	}
	if (x->conn && (pgconn_set_timeout(x->conn, ps->deadline, err, sizeof err) != PGQ_OK ||
			pgconn_prefetch(x->conn, ps->deadline, err, sizeof err) != PGQ_OK)) {
		pgconn_close(x->conn);
		x->conn = NULL;
	}
	if (!x->conn) {
		extra_state(x, err);
		(*failed)++;
		return 0;
	}
	if (!pg_disable_default_metrics && pg_legacy_collect(ps, x->conn, x->dsn.fingerprint, em->e, err, sizeof err) < 0) {
		log_error("error scraping dsn", "target", x->dsn.safe, "err", err, NULL);
		(*failed)++;
	}
	struct uq_conn *uc = user_queries(ps, x->conn, em->e);
	struct uq_on_conn oc = { x->conn, ps->deadline };
	int f = uc ? uq_run(uc, NULL, true, em, uq_on_conn, &oc) : 0;
	if (f < 0) {
		strf(err, sizeof err, "lost the connection");
		pgconn_close(x->conn);
		x->conn = NULL;
		extra_state(x, err);
		(*failed)++;
		return 0;
	}
	*failed += f;
	pgconn_end_scrape(x->conn);
	extra_state(x, NULL);
	return 1;
}

/* ---- the scrape ---- */

/*
 * The main data source: legacy part, collectors, custom queries. Returns
 * true when its server answered; *partial when something failed.
 */
static bool scrape_main(struct pgscrape *ps, struct uq_emit *em, bool *partial, char *err,
			size_t errlen)
{
	struct backend_scrape *bs = ps->bs;
	bool ready = ready_main(ps, err, errlen);
	if (ready && pgconn_prefetch(pg_main_conn(ps), ps->deadline, err, errlen) != PGQ_OK) {
		/* As for a single query: a reused connection gets one fresh attempt. */
		ready = backend_reconnect(bs, err, errlen) &&
			pgconn_set_timeout(pg_main_conn(ps), ps->deadline, err, errlen) == PGQ_OK;
		if (!ready)
			backend_drop(bs);
	}
	if (ready) {
		err[0] = '\0'; /* a reconnection may have left its first failure here */
		ps->version = pg_main_conn(ps)->version;
		struct pgconn *c = pg_main_conn(ps);
		user_queries(ps, c, em->e); /* loaded before the legacy part, which may defer to it */
		if (!pg_disable_default_metrics) {
			char lerr[512];
			if (pg_legacy_collect(ps, c, ps->t->dsn.fingerprint, em->e, lerr, sizeof lerr) < 0) {
				*partial = true;
				log_error("error scraping dsn", "target", ps->t->dsn.safe, "err", lerr, NULL);
			}
		}
		if (pg_main_conn(ps))
			exporter_run_collectors(bs->rq, NULL, ps, em->e);
		/* after the collectors, so a family both declare stays the collector's */
		if (pg_main_conn(ps) && main_user_queries(ps, em) > 0)
			*partial = true;
		if (pg_main_conn(ps) && ps->answered == 0 && !ps->conn_lost) {
			enum pgq_status st = pgconn_ping(pg_main_conn(ps), ps->deadline, err, errlen);
			if (st == PGQ_CONNERR)
				lose_main(ps, err);
			else if (st != PGQ_LATE)
				ps->answered++;
		}
	}
	if (pg_main_conn(ps))
		pgconn_end_scrape(pg_main_conn(ps));
	prune_dbs(ps);
	if (!ready)
		return false;
	if (ps->conn_lost) {
		strf(err, errlen, "%s", ps->lost_err);
		return false;
	}
	if (ps->answered == 0) {
		if (!err[0])
			strf(err, errlen, "no query was answered before the scrape deadline");
		return false;
	}
	return true;
}

int pg_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen)
{
	struct pgtarget *t = bs->spec;
	struct pgscrape ps = { .t = t, .bs = bs, .rq = bs->rq, .deadline = bs->deadline };
	struct uq_emit *em = calloc(1, sizeof *em);
	if (!em) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	em->e = e;
	em->server = t->dsn.fingerprint;
	t->scrapes++;
	bool partial = false;
	bool main_up = bs->conn && scrape_main(&ps, em, &partial, err, errlen);
	PQclear(ps.dbres);
	free(ps.dbnames);

	/* Upstream: pg_up 0 only when no data source could be reached. */
	int extras_up = 0, failed = 0;
	for (size_t i = 0; i < t->nextras; i++) {
		em->server = t->extras[i].dsn.fingerprint;
		extras_up += scrape_extra(&ps, &t->extras[i], em, &failed);
	}
	free(em);
	bs->partial = partial || failed > 0;
	if (main_up) {
		if (t->main_down)
			log_info("data source answers again", "target", t->dsn.safe, NULL);
		t->main_down = false;
		return 0;
	}
	if (extras_up == 0)
		return -1;
	/* The others answered: up, with the first one's failure logged once. */
	if (!t->main_down)
		log_error("error scraping dsn", "target", t->dsn.safe, "err", err, NULL);
	t->main_down = true;
	bs->partial = true;
	return 0;
}
