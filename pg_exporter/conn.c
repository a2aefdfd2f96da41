/*
 * Connections to PostgreSQL with libpq's asynchronous API: every wait is a
 * poll() on the connection's socket bounded by the scrape's deadline, so a
 * hung or frozen server cannot hold a scrape past it. Statements are
 * prepared once per connection and executed by name afterwards, which
 * saves the server parsing and planning them on every scrape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/parse.h"
#include "../common/log.h"
#include "pg.h"

#define APPLICATION_NAME "pg_exporter"
/* Lock waits are what usually stalls a monitoring query; fail them early. */
#define LOCK_TIMEOUT_MS 1000
#define MAX_CANCELS 16

struct prepared {
	char *name;
	uint64_t hash;
};

struct planned {
	char *name;
	uint64_t hash;
	PGresult *res; /* prefetched, not yet taken */
	bool fetched;
	bool failed; /* the server answered it with an error */
};

static atomic_int cancels_running;

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* First line of a libpq message, without the trailing newline, redacted. */
static void copy_msg(char *err, size_t errlen, const char *prefix, const char *msg, const char *secret)
{
	char line[512];
	strf(line, sizeof line, "%s", msg && *msg ? msg : "unknown error");
	/* libpq separates multi-host attempts and DETAIL lines with newlines. */
	char *nl;
	while ((nl = strrchr(line, '\n')) && nl[1] == '\0')
		*nl = '\0';
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	pg_redact(line, secret);
	strf(err, errlen, "%s%s", prefix, line);
}

/*
 * Wait until the socket is readable (and writable if wr) or the deadline
 * passes. Returns 1 when ready, 0 on timeout, -1 on error.
 */
static int wait_socket(PGconn *pg, bool rd, bool wr, double deadline)
{
	int fd = PQsocket(pg);
	if (fd < 0)
		return -1;
	for (;;) {
		double left = deadline - mono_now();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0)) };
		int ms = (int)ceil(left * 1000);
		int n = poll(&p, 1, ms > 0 ? ms : 1);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static void *cancel_main(void *arg)
{
	PGcancel *c = arg;
	char buf[256];
	PQcancel(c, buf, sizeof buf);
	PQfreeCancel(c);
	atomic_fetch_sub(&cancels_running, 1);
	return NULL;
}

/*
 * Ask the server to stop the running statement. PQcancel() blocks on a
 * frozen server, so it runs on a detached thread that the scrape does not
 * wait for; statement_timeout stops the statement anyway if the request
 * never arrives.
 */
static void cancel_in_background(PGconn *pg)
{
	if (atomic_fetch_add(&cancels_running, 1) >= MAX_CANCELS) {
		atomic_fetch_sub(&cancels_running, 1);
		return;
	}
	PGcancel *c = PQgetCancel(pg);
	pthread_t th;
	pthread_attr_t attr;
	if (!c || pthread_attr_init(&attr) != 0) {
		if (c)
			PQfreeCancel(c);
		atomic_fetch_sub(&cancels_running, 1);
		return;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&th, &attr, cancel_main, c) != 0) {
		PQfreeCancel(c);
		atomic_fetch_sub(&cancels_running, 1);
	}
	pthread_attr_destroy(&attr);
}

void pgconn_shutdown(void)
{
	for (int i = 0; i < 200 && atomic_load(&cancels_running) > 0; i++)
		usleep(10000);
}

/* Send what libpq buffered, reading meanwhile so the server never blocks on us. */
static enum pgq_status flush_out(struct pgconn *c, double deadline, char *err, size_t errlen)
{
	int f;
	while ((f = PQflush(c->pg)) == 1) {
		int w = wait_socket(c->pg, true, true, deadline);
		if (w == 0) {
			strf(err, errlen, "timed out sending a query (scrape deadline)");
			return PGQ_CONNERR;
		}
		if (w < 0 || !PQconsumeInput(c->pg)) {
			copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
			return PGQ_CONNERR;
		}
	}
	if (f < 0) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		return PGQ_CONNERR;
	}
	return PGQ_OK;
}

/*
 * Read the results of the command in flight: up to max of them into res
 * (the rest are discarded). Returns PGQ_OK (statuses to be checked by the
 * caller), or PGQ_CONNERR on timeout or connection failure.
 */
static enum pgq_status read_results(struct pgconn *c, double deadline, PGresult **res, int max,
				    int *nres, char *err, size_t errlen)
{
	*nres = 0;
	enum pgq_status st = flush_out(c, deadline, err, errlen);
	if (st != PGQ_OK)
		goto fail;
	for (;;) {
		while (PQisBusy(c->pg)) {
			int w = wait_socket(c->pg, true, false, deadline);
			if (w == 0) {
				strf(err, errlen, "query timed out (scrape deadline)");
				cancel_in_background(c->pg);
				st = PGQ_CONNERR;
				goto fail;
			}
			if (w < 0 || !PQconsumeInput(c->pg)) {
				copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
				st = PGQ_CONNERR;
				goto fail;
			}
		}
		PGresult *r = PQgetResult(c->pg);
		if (!r)
			break;
		if (*nres < max)
			res[(*nres)++] = r;
		else
			PQclear(r);
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		st = PGQ_CONNERR;
		goto fail;
	}
	return PGQ_OK;
fail:
	for (int i = 0; i < *nres; i++)
		PQclear(res[i]);
	*nres = 0;
	return st;
}

/* Classify one result: OK when its status is want. */
static enum pgq_status check_result(struct pgconn *c, PGresult *r, ExecStatusType want, char *err,
				    size_t errlen)
{
	ExecStatusType s = PQresultStatus(r);
	if (s == want)
		return PGQ_OK;
	if (s == PGRES_FATAL_ERROR || s == PGRES_NONFATAL_ERROR) {
		copy_msg(err, errlen, "", PQresultErrorMessage(r), c->secret);
		return PQstatus(c->pg) == CONNECTION_BAD ? PGQ_CONNERR : PGQ_SQLERR;
	}
	strf(err, errlen, "unexpected result status %s", PQresStatus(s));
	return PGQ_SQLERR;
}

/* statement_timeout for a scrape ending at deadline: whole seconds, so it rarely changes. */
static long timeout_for(double deadline)
{
	double left = deadline - mono_now();
	if (left >= 2)
		return (long)floor(left) * 1000;
	long ms = (long)(left * 10) * 100;
	return ms < 100 ? 100 : ms;
}

static bool is_libpq_keyword(const PQconninfoOption *defs, const char *k)
{
	for (const PQconninfoOption *o = defs; o && o->keyword; o++)
		if (!strcmp(o->keyword, k))
			return true;
	return false;
}

/* Append "-c key=value" to a libpq options string, escaping spaces and backslashes. */
static int add_setting(struct buf *b, const char *k, const char *v)
{
	if (buf_printf(b, "%s-c %s=", b->len ? " " : "", k) < 0)
		return -1;
	for (; *v; v++) {
		if ((*v == ' ' || *v == '\\') && buf_putc(b, '\\') < 0)
			return -1;
		if (buf_putc(b, *v) < 0)
			return -1;
	}
	return 0;
}

/*
 * The keyword/value arrays for PQconnectStartParams: the DSN's, with dbname
 * replaced, our application_name and client encoding unless given, and
 * non-libpq keywords folded into options. Returns 0 or -1 (out of memory).
 */
static int build_params(const struct pgdsn *d, const char *dbname, const char ***keys_out,
			const char ***vals_out, char **options_out)
{
	size_t cap = d->n + 4;
	const char **keys = calloc(cap, sizeof *keys);
	const char **vals = calloc(cap, sizeof *vals);
	PQconninfoOption *defs = PQconndefaults();
	struct buf extra;
	buf_init(&extra, 1 << 16);
	if (!keys || !vals)
		goto fail;
	size_t n = 0;
	bool have_app = false, have_enc = false;
	for (size_t i = 0; i < d->n; i++) {
		const char *k = d->keys[i];
		if (dbname && !strcmp(k, "dbname"))
			continue;
		if (!strcmp(k, "options")) {
			if (buf_printf(&extra, "%s%s", extra.len ? " " : "", d->vals[i]) < 0)
				goto fail;
			continue;
		}
		if (defs && !is_libpq_keyword(defs, k)) {
			/*
			 * lib/pq sends unknown parameters (from auth_module options) as
			 * run-time settings; libpq would refuse them, so pass them as -c.
			 */
			if (add_setting(&extra, k, d->vals[i]) < 0)
				goto fail;
			continue;
		}
		have_app |= !strcmp(k, "application_name") || !strcmp(k, "fallback_application_name");
		have_enc |= !strcmp(k, "client_encoding");
		keys[n] = k;
		vals[n++] = d->vals[i];
	}
	if (dbname) {
		keys[n] = "dbname";
		vals[n++] = dbname;
	}
	*options_out = NULL;
	if (extra.len) {
		*options_out = buf_detach(&extra, NULL);
		if (!*options_out)
			goto fail;
		keys[n] = "options";
		vals[n++] = *options_out;
	}
	if (!have_app) {
		keys[n] = "application_name";
		vals[n++] = APPLICATION_NAME;
	}
	if (!have_enc) {
		keys[n] = "client_encoding";
		vals[n++] = "UTF8";
	}
	keys[n] = vals[n] = NULL;
	PQconninfoFree(defs);
	buf_free(&extra);
	*keys_out = keys;
	*vals_out = vals;
	return 0;
fail:
	PQconninfoFree(defs);
	buf_free(&extra);
	free(keys);
	free(vals);
	return -1;
}

struct pgconn *pgconn_open(const struct pgdsn *d, const char *dbname, double deadline, char *err,
			   size_t errlen)
{
	const char *secret = pgdsn_get(d, "password");
	const char **keys = NULL, **vals = NULL;
	char *options = NULL;
	struct pgconn *c = calloc(1, sizeof *c);
	if (!c || build_params(d, dbname, &keys, &vals, &options) < 0) {
		strf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->secret = secret;
	c->stmt_timeout_ms = -1;
	c->pg = PQconnectStartParams(keys, vals, 0);
	if (!c->pg) {
		strf(err, errlen, "out of memory");
		goto fail;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), secret);
		goto fail;
	}
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED) {
			copy_msg(err, errlen, "", PQerrorMessage(c->pg), secret);
			goto fail;
		}
		int w = wait_socket(c->pg, ps == PGRES_POLLING_READING, ps == PGRES_POLLING_WRITING, deadline);
		if (w == 0) {
			strf(err, errlen, "timed out connecting to %s (scrape deadline)", d->safe);
			goto fail;
		}
		if (w < 0) {
			strf(err, errlen, "connection to %s failed: %s", d->safe, strerror(errno));
			goto fail;
		}
		ps = PQconnectPoll(c->pg);
	}
	if (PQsetnonblocking(c->pg, 1) != 0) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), secret);
		goto fail;
	}
	c->version = PQserverVersion(c->pg);

	/*
	 * One round trip sets the session up and reads what pg_static needs.
	 * extra_float_digits and DateStyle are what upstream's driver (lib/pq)
	 * sets (custom queries read dates in ISO style), so
	 * pg_settings_extra_float_digits reads the same and floats keep all
	 * their digits on servers before 12.
	 */
	long st = timeout_for(deadline);
	char setup[320];
	strf(setup, sizeof setup,
		 "SET statement_timeout = %ld; SET lock_timeout = %d; SET extra_float_digits = 2; "
		 "SET DateStyle = 'ISO, MDY'; SELECT version(), current_database()",
		 st, st < LOCK_TIMEOUT_MS ? (int)st : LOCK_TIMEOUT_MS);
	if (!PQsendQuery(c->pg, setup)) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), secret);
		goto fail;
	}
	PGresult *res[5];
	int nres = 0;
	if (read_results(c, deadline, res, 5, &nres, err, errlen) != PGQ_OK)
		goto fail;
	enum pgq_status cs = PGQ_OK;
	for (int i = 0; i < nres && cs == PGQ_OK; i++)
		cs = check_result(c, res[i], i < 4 ? PGRES_COMMAND_OK : PGRES_TUPLES_OK, err, errlen);
	if (cs == PGQ_OK && (nres != 5 || PQntuples(res[4]) != 1 || PQnfields(res[4]) != 2)) {
		strf(err, errlen, "unexpected answer to the session setup");
		cs = PGQ_SQLERR;
	}
	if (cs == PGQ_OK) {
		c->version_str = strdup(PQgetvalue(res[4], 0, 0));
		c->dbname = strdup(PQgetvalue(res[4], 0, 1));
		if (!c->version_str || !c->dbname) {
			strf(err, errlen, "out of memory");
			cs = PGQ_SQLERR;
		}
	}
	for (int i = 0; i < nres; i++)
		PQclear(res[i]);
	if (cs != PGQ_OK)
		goto fail;
	c->stmt_timeout_ms = st;
	free(keys);
	free(vals);
	free(options);
	return c;
fail:
	free(keys);
	free(vals);
	free(options);
	pgconn_close(c);
	return NULL;
}

static void free_plan(struct planned *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		PQclear(p[i].res);
	}
	free(p);
}

void pgconn_close(struct pgconn *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg);
	for (size_t i = 0; i < c->nprep; i++)
		free(c->prep[i].name);
	free(c->prep);
	free_plan(c->plan, c->nplan);
	free_plan(c->rec, c->nrec);
	free(c->cache_name);
	free(c->cache_key);
	if (c->cache_val)
		c->cache_free(c->cache_val);
	uq_conn_free(c->uq);
	free(c->version_str);
	free(c->dbname);
	free(c);
}

bool pgconn_dead(struct pgconn *c)
{
	if (PQstatus(c->pg) != CONNECTION_OK)
		return true;
	struct pollfd p = { .fd = PQsocket(c->pg), .events = POLLIN };
	if (p.fd < 0)
		return true;
	if (poll(&p, 1, 0) <= 0)
		return false;
	/* An idle connection has nothing to say unless the server is leaving. */
	if (!PQconsumeInput(c->pg))
		return true;
	bool dead = PQstatus(c->pg) != CONNECTION_OK;
	while (!PQisBusy(c->pg)) {
		PGresult *r = PQgetResult(c->pg);
		if (!r)
			break;
		dead = true;
		PQclear(r);
	}
	PGnotify *n;
	while ((n = PQnotifies(c->pg)) != NULL)
		PQfreemem(n);
	return dead;
}

static struct prepared *find_prepared(struct pgconn *c, const char *name)
{
	for (size_t i = 0; i < c->nprep; i++)
		if (!strcmp(c->prep[i].name, name))
			return &c->prep[i];
	return NULL;
}

static enum pgq_status run_one(struct pgconn *c, ExecStatusType want, double deadline,
			       PGresult **out, char *err, size_t errlen)
{
	PGresult *res[1];
	int nres;
	enum pgq_status st = read_results(c, deadline, res, 1, &nres, err, errlen);
	if (st != PGQ_OK)
		return st;
	if (nres == 0) {
		strf(err, errlen, "no result from the server");
		return PGQ_SQLERR;
	}
	st = check_result(c, res[0], want, err, errlen);
	if (st != PGQ_OK || !out)
		PQclear(res[0]);
	else
		*out = res[0];
	return st;
}

/* Remember that this scrape ran the prepared statement name. */
static void record(struct pgconn *c, const char *name, uint64_t h, bool failed)
{
	if (c->nrec == c->caprec) {
		size_t cap = c->caprec ? c->caprec * 2 : 16;
		struct planned *r = realloc(c->rec, cap * sizeof *r);
		if (!r)
			return; /* only an optimisation lost */
		c->rec = r;
		c->caprec = cap;
	}
	char *nm = strdup(name);
	if (nm)
		c->rec[c->nrec++] = (struct planned){ nm, h, NULL, false, failed };
}

/* A prefetched result of name, if the pipeline ran it: PGQ_OK/SQLERR, or -1 if none. */
static int take_prefetched(struct pgconn *c, const char *name, uint64_t h, PGresult **out,
			   char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nplan; i++) {
		struct planned *p = &c->plan[i];
		if (!p->fetched || p->hash != h || strcmp(p->name, name) != 0)
			continue;
		p->fetched = false;
		PGresult *r = p->res;
		p->res = NULL;
		if (!r) {
			strf(err, errlen, "no result from the server");
			return PGQ_SQLERR;
		}
		enum pgq_status st = check_result(c, r, PGRES_TUPLES_OK, err, errlen);
		if (st == PGQ_OK)
			*out = r;
		else
			PQclear(r);
		return st;
	}
	return -1;
}

enum pgq_status pgconn_query(struct pgconn *c, const char *name, const char *sql, double deadline,
			     PGresult **out, char *err, size_t errlen)
{
	return pgconn_query_ex(c, name, sql, deadline, true, out, err, errlen);
}

/* Nothing is sent once the scrape is over: the connection stays usable. */
static bool too_late(double deadline, char *err, size_t errlen)
{
	if (mono_now() < deadline)
		return false;
	strf(err, errlen, "the scrape deadline passed before the query was sent");
	return true;
}

enum pgq_status pgconn_query_ex(struct pgconn *c, const char *name, const char *sql,
				double deadline, bool rec, PGresult **out, char *err, size_t errlen)
{
	*out = NULL;
	uint64_t h = fnv1a(sql);
	if (name) {
		int st = take_prefetched(c, name, h, out, err, errlen);
		if (st >= 0) {
			if (rec)
				record(c, name, h, st != PGQ_OK);
			return (enum pgq_status)st;
		}
	}
	if (too_late(deadline, err, errlen))
		return PGQ_LATE;
	struct prepared *p = name ? find_prepared(c, name) : NULL;
	bool unnamed = !name || (p && p->hash != h);
	if (!unnamed && !p) {
		if (!PQsendPrepare(c->pg, name, sql, 0, NULL)) {
			copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
			return PGQ_CONNERR;
		}
		enum pgq_status st = run_one(c, PGRES_COMMAND_OK, deadline, NULL, err, errlen);
		if (st != PGQ_OK)
			return st;
		struct prepared *np = realloc(c->prep, (c->nprep + 1) * sizeof *np);
		char *nm = strdup(name);
		if (np)
			c->prep = np;
		if (!np || !nm) {
			free(nm);
			unnamed = true; /* still run it, unprepared */
		} else {
			c->prep[c->nprep++] = (struct prepared){ nm, h };
		}
	}
	int ok = unnamed ? PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0)
			 : PQsendQueryPrepared(c->pg, name, 0, NULL, NULL, NULL, 0);
	if (!ok) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		return PGQ_CONNERR;
	}
	enum pgq_status st = run_one(c, PGRES_TUPLES_OK, deadline, out, err, errlen);
	if (st != PGQ_CONNERR && !unnamed && rec)
		record(c, name, h, st != PGQ_OK);
	return st;
}

/* Wait until libpq has a complete result to hand out. */
static enum pgq_status wait_ready(struct pgconn *c, double deadline, char *err, size_t errlen)
{
	while (PQisBusy(c->pg)) {
		int w = wait_socket(c->pg, true, false, deadline);
		if (w == 0) {
			strf(err, errlen, "query timed out (scrape deadline)");
			cancel_in_background(c->pg);
			return PGQ_CONNERR;
		}
		if (w < 0 || !PQconsumeInput(c->pg)) {
			copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
			return PGQ_CONNERR;
		}
	}
	return PGQ_OK;
}

/* Send one planned statement in the pipeline. */
static bool send_planned(struct pgconn *c, struct planned *p)
{
	return PQsendQueryPrepared(c->pg, p->name, 0, NULL, NULL, NULL, 0) != 0;
}

enum pgq_status pgconn_prefetch(struct pgconn *c, double deadline, char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nplan; i++) {
		struct prepared *p = find_prepared(c, c->plan[i].name);
		c->plan[i].fetched = p && p->hash == c->plan[i].hash;
		n += c->plan[i].fetched;
	}
	if (n == 0 || !PQenterPipelineMode(c->pg)) {
		for (size_t i = 0; i < c->nplan; i++)
			c->plan[i].fetched = false;
		return PGQ_OK;
	}
	/*
	 * One sync at the end (libpq before 17 sends a packet per sync): an
	 * error aborts the statements after it, which then run on their own.
	 * Statements that failed last time go last, so a persistent error
	 * (a missing privilege) does not take the others down with it.
	 */
	size_t *order = malloc(c->nplan * sizeof *order);
	if (!order) {
		PQexitPipelineMode(c->pg);
		for (size_t i = 0; i < c->nplan; i++)
			c->plan[i].fetched = false;
		return PGQ_OK;
	}
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nplan; i++)
			if (c->plan[i].fetched && c->plan[i].failed == (pass == 1))
				order[k++] = i;
	enum pgq_status st = PGQ_OK;
	for (size_t j = 0; j < k && st == PGQ_OK; j++)
		if (!send_planned(c, &c->plan[order[j]])) {
			copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
			st = PGQ_CONNERR;
		}
	if (st == PGQ_OK && !PQpipelineSync(c->pg)) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		st = PGQ_CONNERR;
	}
	if (st == PGQ_OK)
		st = flush_out(c, deadline, err, errlen);
	for (size_t j = 0; j < k && st == PGQ_OK; j++) {
		struct planned *p = &c->plan[order[j]];
		for (;;) {
			if ((st = wait_ready(c, deadline, err, errlen)) != PGQ_OK)
				break;
			PGresult *r = PQgetResult(c->pg);
			if (!r)
				break;
			if (!p->res && PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
				p->res = r;
			else
				PQclear(r);
		}
		if (!p->res)
			p->fetched = false; /* aborted: the collector runs it itself */
	}
	if (st == PGQ_OK && (st = wait_ready(c, deadline, err, errlen)) == PGQ_OK) {
		PGresult *sync = PQgetResult(c->pg);
		if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
			strf(err, errlen, "unexpected answer in a pipeline");
			st = PGQ_CONNERR;
		}
		PQclear(sync);
	}
	free(order);
	if (st == PGQ_OK && !PQexitPipelineMode(c->pg)) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		st = PGQ_CONNERR;
	}
	if (st != PGQ_OK)
		for (size_t i = 0; i < c->nplan; i++) {
			PQclear(c->plan[i].res);
			c->plan[i].res = NULL;
			c->plan[i].fetched = false;
		}
	return st;
}

void pgconn_end_scrape(struct pgconn *c)
{
	free_plan(c->plan, c->nplan);
	c->plan = c->rec;
	c->nplan = c->nrec;
	c->rec = NULL;
	c->nrec = c->caprec = 0;
}

/* Run a one-parameter query unprepared (rare lookups). */
enum pgq_status pgconn_query1(struct pgconn *c, const char *sql, const char *param, double deadline,
			      PGresult **out, char *err, size_t errlen)
{
	*out = NULL;
	if (too_late(deadline, err, errlen))
		return PGQ_LATE;
	if (!PQsendQueryParams(c->pg, sql, 1, NULL, &param, NULL, NULL, 0)) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		return PGQ_CONNERR;
	}
	return run_one(c, PGRES_TUPLES_OK, deadline, out, err, errlen);
}

enum pgq_status pgconn_ping(struct pgconn *c, double deadline, char *err, size_t errlen)
{
	if (too_late(deadline, err, errlen))
		return PGQ_LATE;
	if (!PQsendQuery(c->pg, "")) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		return PGQ_CONNERR;
	}
	return run_one(c, PGRES_EMPTY_QUERY, deadline, NULL, err, errlen);
}

enum pgq_status pgconn_set_timeout(struct pgconn *c, double deadline, char *err, size_t errlen)
{
	long st = timeout_for(deadline);
	if (st == c->stmt_timeout_ms)
		return PGQ_OK;
	if (too_late(deadline, err, errlen))
		return PGQ_LATE;
	char sql[128];
	strf(sql, sizeof sql, "SET statement_timeout = %ld; SET lock_timeout = %d", st,
		 st < LOCK_TIMEOUT_MS ? (int)st : LOCK_TIMEOUT_MS);
	if (!PQsendQuery(c->pg, sql)) {
		copy_msg(err, errlen, "", PQerrorMessage(c->pg), c->secret);
		return PGQ_CONNERR;
	}
	PGresult *res[2];
	int nres;
	enum pgq_status s = read_results(c, deadline, res, 2, &nres, err, errlen);
	if (s != PGQ_OK)
		return s;
	for (int i = 0; i < nres; i++) {
		if (s == PGQ_OK)
			s = check_result(c, res[i], PGRES_COMMAND_OK, err, errlen);
		PQclear(res[i]);
	}
	if (s == PGQ_OK)
		c->stmt_timeout_ms = st;
	return s;
}
