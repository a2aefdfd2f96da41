/*
 * Persistent Redis connections on hiredis' blocking API, with every wait
 * bounded: the connect by redisConnect*WithTimeout, each read and write by
 * poll() against the scrape deadline, so a frozen or trickling server
 * cannot hold a scrape past its deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "../common/parse.h"
#include "../common/log.h"
#include "redis.h"

/* Largest amount of unparsed reply data a scrape may buffer. */
#define MAX_PENDING_BYTES (64u << 20)

void rcmd_set(struct rcmd *c, int argc, const char *const *argv)
{
	if (argc > RCMD_MAXARGS)
		argc = RCMD_MAXARGS;
	c->argc = argc;
	for (int i = 0; i < argc; i++) {
		c->argv[i] = argv[i];
		c->len[i] = strlen(argv[i]);
	}
}

void replies_free(redisReply **r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i])
			freeReplyObject(r[i]);
		r[i] = NULL;
	}
}

void rconn_close(struct rconn *c)
{
	if (c->ctx)
		redisFree(c->ctx);
	c->ctx = NULL;
	c->unsupported = 0;
	c->cluster = -1;
	c->db = 0;
}

/* Seconds to wait now: the op timeout, cut at the deadline. */
static double wait_budget(const struct rconn_opts *o, double deadline)
{
	double left = deadline - mono_now();
	return o->timeout > 0 && o->timeout < left ? o->timeout : left;
}

static struct timeval to_tv(double s)
{
	if (s < 0.001)
		s = 0.001;
	struct timeval tv = { .tv_sec = (time_t)s };
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

/* Wait for fd to be ready; 0, or -1 with err on timeout or error. */
static int wait_fd(int fd, short events, const struct rconn_opts *o, double deadline, char *err,
		   size_t errlen)
{
	for (;;) {
		double budget = wait_budget(o, deadline);
		if (budget <= 0) {
			strf(err, errlen, "i/o timeout");
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = events };
		int ms = (int)(budget * 1000) + 1;
		int rc = poll(&p, 1, ms);
		if (rc > 0)
			return 0;
		if (rc == 0) {
			strf(err, errlen, "i/o timeout");
			return -1;
		}
		if (errno != EINTR) {
			strf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

static int flush(struct rconn *c, const struct rconn_opts *o, double deadline, char *err,
		 size_t errlen)
{
	int done = 0;
	/* A blocking write is bounded by SO_SNDTIMEO as well. */
	redisSetTimeout(c->ctx, to_tv(wait_budget(o, deadline)));
	while (!done) {
		if (wait_fd(c->ctx->fd, POLLOUT, o, deadline, err, errlen) < 0)
			return -1;
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
			strf(err, errlen, "write: %s", c->ctx->errstr);
			return -1;
		}
	}
	return 0;
}

static int read_reply(struct rconn *c, const struct rconn_opts *o, redisReply **out,
		      double deadline, char *err, size_t errlen)
{
	for (;;) {
		void *r = NULL;
		if (redisGetReplyFromReader(c->ctx, &r) != REDIS_OK) {
			strf(err, errlen, "protocol error: %s", c->ctx->errstr);
			return -1;
		}
		if (r) {
			*out = r;
			return 0;
		}
		if (c->ctx->reader->len > MAX_PENDING_BYTES) {
			strf(err, errlen, "reply larger than %u bytes", MAX_PENDING_BYTES);
			return -1;
		}
		if (wait_fd(c->ctx->fd, POLLIN, o, deadline, err, errlen) < 0)
			return -1;
		if (redisBufferRead(c->ctx) != REDIS_OK) {
			strf(err, errlen, "read: %s", c->ctx->errstr[0] ? c->ctx->errstr : "connection closed");
			return -1;
		}
	}
}

int rconn_exec(struct rconn *c, const struct rconn_opts *o, const struct rcmd *cmds, size_t n,
	       redisReply **replies, double deadline, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (!c->ctx) {
		strf(err, errlen, "not connected");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		/* hiredis 0.14 takes a non-const argv array. */
		const char *argv[RCMD_MAXARGS];
		memcpy(argv, cmds[i].argv, sizeof argv);
		if (redisAppendCommandArgv(c->ctx, cmds[i].argc, argv, cmds[i].len) != REDIS_OK) {
			strf(err, errlen, "out of memory");
			rconn_close(c);
			return -1;
		}
	}
	if (flush(c, o, deadline, err, errlen) < 0)
		goto fail;
	redisSetTimeout(c->ctx, to_tv(wait_budget(o, deadline)));
	for (size_t i = 0; i < n; i++)
		if (read_reply(c, o, &replies[i], deadline, err, errlen) < 0)
			goto fail;
	return 0;
fail:
	/*
	 * A server refusing us (maxclients) answers with an error and closes:
	 * that error says more than the closed socket.
	 */
	for (size_t i = 0; i < n; i++) {
		if (replies[i] && replies[i]->type == REDIS_REPLY_ERROR) {
			strf(err, errlen, "%s", replies[i]->str);
			break;
		}
	}
	replies_free(replies, n);
	rconn_close(c);
	return -1;
}

/* The first error reply among r[0..n), or NULL. */
static const redisReply *first_error(redisReply **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i] && r[i]->type == REDIS_REPLY_ERROR)
			return r[i];
	return NULL;
}

int rconn_ensure(struct rconn *c, const struct raddr *a, const struct rconn_opts *o,
		 double deadline, char *err, size_t errlen)
{
	if (c->ctx)
		return 0;
	c->unsupported = 0;
	c->cluster = -1;
	double t0 = mono_now();
	double budget = wait_budget(o, deadline);
	if (budget <= 0) {
		strf(err, errlen, "dial %s: i/o timeout", a->display);
		return -1;
	}
	struct timeval tv = to_tv(budget);
	redisContext *ctx = a->kind == RADDR_UNIX ? redisConnectUnixWithTimeout(a->path, tv)
						  : redisConnectWithTimeout(a->host, a->port, tv);
	c->connect_seconds = mono_now() - t0;
	if (!ctx || ctx->err) {
		strf(err, errlen, "dial %s: %s", a->display, ctx ? ctx->errstr : "out of memory");
		if (ctx)
			redisFree(ctx);
		return -1;
	}
	c->ctx = ctx;
	c->db = 0;
	if (a->kind == RADDR_TCP)
		redisEnableKeepAlive(ctx);

	/* Handshake in one round trip: AUTH, CLIENT SETNAME, SELECT. */
	struct rcmd cmds[3];
	size_t n = 0;
	int auth = -1, setname = -1, select = -1;
	const char *user = o->user && *o->user ? o->user : NULL;
	if (o->password && *o->password) {
		auth = (int)n;
		if (user)
			RCMD(&cmds[n++], "AUTH", user, o->password);
		else
			RCMD(&cmds[n++], "AUTH", o->password);
	}
	if (o->set_client_name) {
		setname = (int)n;
		RCMD(&cmds[n++], "CLIENT", "SETNAME", "redis_exporter");
	}
	char dbs[24];
	if (a->db) {
		strf(dbs, sizeof dbs, "%ld", a->db);
		select = (int)n;
		RCMD(&cmds[n++], "SELECT", dbs);
	}
	if (!n)
		return 0;
	redisReply *r[3] = { NULL, NULL, NULL };
	char xerr[256];
	if (rconn_exec(c, o, cmds, n, r, deadline, xerr, sizeof xerr) < 0) {
		strf(err, errlen, "%s: %s", a->display, xerr);
		return -1;
	}
	const redisReply *bad = NULL;
	if (auth >= 0 && r[auth]->type == REDIS_REPLY_ERROR)
		bad = r[auth];
	else if (select >= 0 && r[select]->type == REDIS_REPLY_ERROR)
		bad = r[select];
	else if (setname >= 0 && r[setname]->type == REDIS_REPLY_ERROR &&
		 strstr(r[setname]->str, "max number of clients"))
		bad = r[setname];
	if (bad) {
		strf(err, errlen, "%s: %s", a->display, bad->str);
		replies_free(r, n);
		rconn_close(c);
		return -1;
	}
	const redisReply *soft = first_error(r, n);
	if (soft)
		log_debug("CLIENT SETNAME failed", "addr", a->display, "err", soft->str, NULL);
	if (select >= 0)
		c->db = a->db;
	replies_free(r, n);
	return 0;
}
