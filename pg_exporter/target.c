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

static void pg_free_target(void *spec)
{
	struct pgtarget *t = spec;
	if (!t)
		return;
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
