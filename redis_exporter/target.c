/*
 * redis_exporter's side of the backend layer: a target is a Redis address
 * with the credentials chosen for it (the --redis.addr one, or one named by
 * /scrape?target=); its connection is a struct rconn.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "redis.h"

struct rtarget *rtarget_new(const struct raddr *a, const char *user, const char *password)
{
	struct rtarget *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->addr = *a;
	secret_wipe(t->addr.password, sizeof t->addr.password);
	strf(t->user, sizeof t->user, "%s", user ? user : "");
	if (password)
		strf(t->password, sizeof t->password, "%s", password);
	t->copts = (struct rconn_opts){
		.timeout = redis_opts.timeout,
		.set_client_name = redis_opts.set_client_name,
		.user = t->user,
		.password = password && *password ? t->password : NULL,
	};
	return t;
}

static void redis_free_target(void *spec)
{
	struct rtarget *t = spec;
	if (!t)
		return;
	secret_wipe(t->password, sizeof t->password);
	free(t);
}

static const char *redis_describe(const void *spec)
{
	return ((const struct rtarget *)spec)->addr.display;
}

static void redis_close(void *conn)
{
	rconn_close(conn);
	free(conn);
}

static void *redis_open(void *spec, double deadline, char *err, size_t errlen)
{
	struct rtarget *t = spec;
	struct rconn *c = calloc(1, sizeof *c);
	if (!c) {
		strf(err, errlen, "out of memory");
		return NULL;
	}
	if (rconn_ensure(c, &t->addr, &t->copts, deadline, err, errlen) < 0) {
		redis_close(c);
		return NULL;
	}
	return c;
}

static bool redis_usable(void *spec, void *conn)
{
	(void)spec;
	/* Closed by a failed command of an earlier scrape. */
	return ((struct rconn *)conn)->ctx != NULL;
}

/* The password file is keyed by the target as written (without a password), or its normal form. */
static const char *as_given(const char *target, char *buf, size_t buflen)
{
	if (strchr(target, '@'))
		return NULL;
	strf(buf, buflen, "%s%s", strstr(target, "://") ? "" : "redis://", target);
	return buf;
}

static int redis_resolve(const struct request *rq, const char *target, void **spec, char **key,
			 char *msg, size_t msglen)
{
	(void)rq;
	struct raddr a;
	char err[256];
	if (raddr_parse(target, true, &a, err, sizeof err) < 0) {
		strf(msg, msglen, "Invalid 'target' parameter, parse err: %s", err);
		return 400;
	}
	/* Only the password file may give a password to a host named in a URL. */
	char given[700];
	const char *pw = pwfile_lookup(redis_opts.pw, as_given(target, given, sizeof given), &a);
	*key = strdup(a.display);
	*spec = *key ? rtarget_new(&a, a.user[0] ? a.user : redis_opts.user, pw) : NULL;
	if (!*spec) {
		free(*key);
		*key = NULL;
		strf(msg, msglen, "out of memory");
		return 500;
	}
	return 0;
}

int redis_default_target(struct backend *b, const char *addr, const char *user,
			 const char *password, char *err, size_t errlen)
{
	struct raddr a;
	if (raddr_parse(addr, false, &a, err, errlen) < 0) {
		secret_wipe(a.password, sizeof a.password);
		return -1;
	}
	/* Precedence as upstream: --redis.password, the password file, the address's own. */
	const char *pw = NULL;
	if (password && *password) {
		pw = password;
	} else {
		char given[700];
		pw = pwfile_lookup(redis_opts.pw, as_given(addr, given, sizeof given), &a);
		if (!pw && a.has_password)
			pw = a.password;
	}
	struct rtarget *t = rtarget_new(&a, user && *user ? user : a.user, pw);
	secret_wipe(a.password, sizeof a.password);
	/* The key lets /scrape of this very address use its credentials. */
	char *key = t ? strdup(t->addr.display) : NULL;
	if (!key || backend_set_default(b, t, key) < 0) {
		if (!key)
			redis_free_target(t);
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

const struct backend_ops redis_ops = {
	.open = redis_open, .usable = redis_usable, .collect = redis_collect, .close = redis_close,
	.describe = redis_describe, .free_spec = redis_free_target, .resolve = redis_resolve,
	.begin = redis_begin, .end = redis_end,
};
