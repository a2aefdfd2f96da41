/*
 * redis_exporter's side of the backend layer: a target is a Redis address
 * with the credentials chosen for it (the --redis.addr one, or one named by
 * /scrape?target=); its connection is a struct rconn.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "redis.h"

/* The system's CA certificates, loaded at the first rediss:// target when no TLS flag was given. */
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static char tls_err[256];

static void tls_lazy_load(void)
{
	if (redis_opts.tls)
		return; /* loaded from the flags at start-up */
	struct rtls_opts none = { .ca_file = "", .cert_file = "", .key_file = "" };
	redis_opts.tls = rtls_load(&none, tls_err, sizeof tls_err);
}

const struct rtls *redis_tls(char *err, size_t errlen)
{
	pthread_once(&tls_once, tls_lazy_load);
	if (!redis_opts.tls)
		strf(err, errlen, "%s", tls_err);
	return redis_opts.tls;
}

struct rtarget *rtarget_new(const struct raddr *a, const char *user, const char *password,
			    const char *server_name)
{
	struct rtarget *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->addr = *a;
	secret_wipe(t->addr.password, sizeof t->addr.password);
	strf(t->user, sizeof t->user, "%s", user ? user : "");
	strf(t->server_name, sizeof t->server_name, "%s",
	     server_name && *server_name ? server_name : redis_opts.tls_server_name ? redis_opts.tls_server_name : "");
	if (password)
		strf(t->password, sizeof t->password, "%s", password);
	t->copts = (struct rconn_opts){
		.timeout = redis_opts.timeout,
		.set_client_name = redis_opts.set_client_name,
		.user = t->user,
		.password = password && *password ? t->password : NULL,
		.server_name = t->server_name,
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
	if (t->bad[0]) {
		strf(err, errlen, "%s", t->bad);
		return NULL;
	}
	if (t->addr.tls && !(t->copts.tls = redis_tls(err, errlen)))
		return NULL;
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
	return rconn_alive(conn);
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
	struct raddr a;
	char err[256];
	if (raddr_parse(target, true, &a, err, sizeof err) < 0) {
		strf(msg, msglen, "Invalid 'target' parameter, parse err: %s", err);
		return 400;
	}
	/* Upstream's two spellings of the per-request TLS server name. */
	const char *sni = request_arg(rq, "tls_server_name");
	if (!sni || !*sni)
		sni = request_arg(rq, "tls-server-name");
	if (sni && strlen(sni) >= sizeof ((struct rtarget *)0)->server_name) {
		strf(msg, msglen, "tls_server_name is too long");
		return 400;
	}
	/* Only the password file may give a password to a host named in a URL. */
	char given[700];
	const char *pw = pwfile_lookup(redis_opts.pw, as_given(target, given, sizeof given), &a);
	char keybuf[900];
	/* A target verified under another name is another target. */
	strf(keybuf, sizeof keybuf, "%s%s%s", a.display, sni && *sni ? " tls-server-name=" : "", sni && *sni ? sni : "");
	*key = strdup(keybuf);
	*spec = *key ? rtarget_new(&a, a.user[0] ? a.user : redis_opts.user, pw, sni) : NULL;
	if (!*spec) {
		free(*key);
		*key = NULL;
		strf(msg, msglen, "out of memory");
		return 500;
	}
	return 0;
}

/*
 * A malformed --redis.addr: upstream starts and fails every scrape, so do
 * we. The address is shown without anything between "://" and the last
 * '@' (it may hold a password).
 */
static int bad_default_target(struct backend *b, const char *addr, const char *why, char *err,
			      size_t errlen)
{
	struct raddr a;
	memset(&a, 0, sizeof a);
	const char *sep = strstr(addr, "://");
	const char *rest = sep ? sep + 3 : addr;
	const char *at = strrchr(rest, '@');
	strf(a.display, sizeof a.display, "%.*s%.200s", (int)(rest - addr), addr, at ? at + 1 : rest);
	struct rtarget *t = rtarget_new(&a, NULL, NULL, NULL);
	if (!t || backend_set_default(b, t, NULL) < 0) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	strf(t->bad, sizeof t->bad, "invalid Redis address %.200s: %s", a.display, why);
	log_warn("invalid --redis.addr: every scrape will fail", "addr", a.display, "err", why, NULL);
	return 0;
}

int redis_default_target(struct backend *b, const char *addr, const char *user,
			 const char *password, char *err, size_t errlen)
{
	struct raddr a;
	char perr[256];
	if (raddr_parse(addr, false, &a, perr, sizeof perr) < 0) {
		secret_wipe(&a, sizeof a);
		return bad_default_target(b, addr, perr, err, errlen);
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
	struct rtarget *t = rtarget_new(&a, user && *user ? user : a.user, pw, NULL);
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
