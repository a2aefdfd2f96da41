/*
 * pg_exporter's side of the backend layer: a target is a data source (the
 * default one, or one named by /probe?target=&auth_module=) with its
 * per-database connections; its main connection is a struct pgconn.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "pg.h"

static void pg_free_target(void *spec);

/*
 * Give an unparsable data source the names logs and the `server` label use
 * (upstream logs "could not parse DATA_SOURCE_NAME"). Returns false when
 * memory ran out.
 */
static bool pg_name_unparsable(struct pgdsn *d, const char *error)
{
	if (!error || d->safe)
		return true;
	d->safe = strdup("(unparsable data source)");
	d->fingerprint = strdup("");
	return d->safe && d->fingerprint;
}

struct pgtarget *pgtarget_new(const struct pgdsn *d)
{
	struct pgtarget *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (pgdsn_copy(&t->dsn, d) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

struct pgtarget *pgtarget_from_sources(struct pgsource *src, size_t n)
{
	struct pgtarget *t = calloc(1, sizeof *t);
	struct pgextra *extras = n > 1 ? calloc(n - 1, sizeof *extras) : NULL;
	if (!t || (n > 1 && !extras)) {
		free(t);
		free(extras);
		return NULL;
	}
	/* Moved, not copied: the passwords stay in one place. */
	t->dsn = src[0].dsn;
	t->dsn_error = src[0].error;
	for (size_t i = 1; i < n; i++) {
		extras[i - 1].dsn = src[i].dsn;
		extras[i - 1].error = src[i].error;
	}
	t->extras = extras;
	t->nextras = n > 1 ? n - 1 : 0;
	for (size_t i = 0; i < n; i++)
		memset(&src[i], 0, sizeof src[i]);
	if (!pg_name_unparsable(&t->dsn, t->dsn_error))
		goto fail;
	for (size_t i = 0; i < t->nextras; i++)
		if (!pg_name_unparsable(&t->extras[i].dsn, t->extras[i].error))
			goto fail;
	return t;
fail:
	pg_free_target(t);
	return NULL;
}

static void pg_free_target(void *spec)
{
	struct pgtarget *t = spec;
	if (!t)
		return;
	for (size_t i = 0; i < t->nextras; i++) {
		pgconn_close(t->extras[i].conn);
		pgdsn_free(&t->extras[i].dsn);
		free(t->extras[i].error);
	}
	free(t->extras);
	free(t->dsn_error);
	for (size_t i = 0; i < t->ndbs; i++) {
		pgconn_close(t->dbs[i].conn);
		free(t->dbs[i].datname);
	}
	free(t->dbs);
	pgdsn_free(&t->dsn);
	free(t);
}

static const char *pg_describe(const void *spec)
{
	return ((const struct pgtarget *)spec)->dsn.safe;
}

/* The deadline of a connection attempt: the DSN's connect_timeout may be shorter. */
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

struct pgconn *pg_open_db(const struct pgtarget *t, const char *datname, double deadline,
			  char *err, size_t errlen)
{
	if (t->dsn_error) {
		strf(err, errlen, "%s", t->dsn_error);
		return NULL;
	}
	return pgconn_open(&t->dsn, datname, connect_deadline(&t->dsn, deadline), err, errlen);
}

static void *pg_open(void *spec, double deadline, char *err, size_t errlen)
{
	return pg_open_db(spec, NULL, deadline, err, errlen);
}

static bool pg_usable(void *spec, void *conn)
{
	if (!pgconn_dead(conn))
		return true;
	log_info("the server closed the connection; reconnecting", "target", pg_describe(spec), NULL);
	return false;
}

static void pg_close(void *conn)
{
	pgconn_close(conn);
}

static int pg_resolve(const struct request *rq, const char *target, void **spec, char **key,
		      char *msg, size_t msglen)
{
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
	/* The key holds the credentials the connection is made with; never printed. */
	size_t klen = strlen(target) + (modname ? strlen(modname) : 0) + 2;
	*key = malloc(klen);
	if (*key)
		strf(*key, klen, "%s\x1f%s", target, modname ? modname : "");
	*spec = *key ? pgtarget_new(&d) : NULL;
	pgdsn_free(&d);
	if (!*spec) {
		secret_free(*key);
		*key = NULL;
		strf(msg, msglen, "out of memory");
		return 500;
	}
	return 0;
}

const struct backend_ops pg_ops = {
	.open = pg_open, .usable = pg_usable, .collect = pg_collect, .close = pg_close,
	.describe = pg_describe, .free_spec = pg_free_target, .resolve = pg_resolve,
};
