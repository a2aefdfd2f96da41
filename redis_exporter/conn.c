/*
 * Persistent Redis connections: our own socket (TCP or unix), with GnuTLS
 * under it for rediss://, and hiredis for the protocol only (commands
 * formatted by redisFormatCommandArgv, replies parsed by a redisReader fed
 * with what we read). Debian 12's hiredis 0.14 has no TLS of its own, and
 * its reader does not care where the bytes come from.
 *
 * Every wait is bounded by poll() against the per-operation timeout and
 * the scrape deadline, so a frozen or trickling server cannot hold a
 * scrape past its deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "redis.h"

/* Largest amount of unparsed reply data a scrape may buffer. */
#define MAX_PENDING_BYTES (64u << 20)
/* Largest pipeline of formatted commands sent at once. */
#define MAX_REQUEST_BYTES (64u << 20)

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

bool rconn_alive(const struct rconn *c)
{
	return c->reader != NULL;
}

void rconn_close(struct rconn *c)
{
	if (c->tls) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	if (c->reader) {
		close(c->fd);
		redisReaderFree(c->reader);
		c->reader = NULL;
	}
	c->fd = -1;
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
		int rc = poll(&p, 1, (int)(budget * 1000) + 1);
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

/* A GnuTLS error in words, with the alert the server sent if that is what it was. */
static void tls_error(gnutls_session_t s, int rc, const char *what, char *err, size_t errlen)
{
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED || rc == GNUTLS_E_WARNING_ALERT_RECEIVED)
		strf(err, errlen, "tls: %s: %s (%s)", what, gnutls_strerror(rc),
		     gnutls_alert_get_name(gnutls_alert_get(s)));
	else
		strf(err, errlen, "tls: %s: %s", what, gnutls_strerror(rc));
}

/*
 * Send n bytes; returns the number sent (> 0), 0 to wait for the socket
 * (in *events) or -1 with err.
 */
static ssize_t xsend(struct rconn *c, const char *p, size_t n, short *events, char *err,
		     size_t errlen)
{
	*events = POLLOUT;
	if (c->tls) {
		ssize_t w = gnutls_record_send(c->tls, p, n);
		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			return 0;
		if (w < 0) {
			tls_error(c->tls, (int)w, "write", err, errlen);
			return -1;
		}
		return w;
	}
	ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (w < 0) {
		strf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return w;
}

/* Receive; returns bytes (> 0), 0 to wait for the socket, -1 with err (also at EOF). */
static ssize_t xrecv(struct rconn *c, char *p, size_t n, char *err, size_t errlen)
{
	if (c->tls) {
		ssize_t r = gnutls_record_recv(c->tls, p, n);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			return 0;
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION) {
			strf(err, errlen, "read: connection closed");
			return -1;
		}
		if (r < 0) {
			tls_error(c->tls, (int)r, "read", err, errlen);
			return -1;
		}
		return r;
	}
	ssize_t r = recv(c->fd, p, n, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		strf(err, errlen, "read: %s", r == 0 ? "connection closed" : strerror(errno));
		return -1;
	}
	return r;
}

static int send_all(struct rconn *c, const struct rconn_opts *o, const char *p, size_t n,
		    double deadline, char *err, size_t errlen)
{
	while (n) {
		short events;
		ssize_t w = xsend(c, p, n, &events, err, errlen);
		if (w < 0)
			return -1;
		if (w == 0) {
			if (wait_fd(c->fd, events, o, deadline, err, errlen) < 0)
				return -1;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_reply(struct rconn *c, const struct rconn_opts *o, redisReply **out,
		      double deadline, char *err, size_t errlen)
{
	char chunk[16384];
	for (;;) {
		void *r = NULL;
		if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
			strf(err, errlen, "protocol error: %s", c->reader->errstr);
			return -1;
		}
		if (r) {
			*out = r;
			return 0;
		}
		if (c->reader->len > MAX_PENDING_BYTES) {
			strf(err, errlen, "reply larger than %u bytes", MAX_PENDING_BYTES);
			return -1;
		}
		/* GnuTLS may hold decrypted data the socket no longer signals. */
		if (!(c->tls && gnutls_record_check_pending(c->tls)) &&
		    wait_fd(c->fd, POLLIN, o, deadline, err, errlen) < 0)
			return -1;
		ssize_t n = xrecv(c, chunk, sizeof chunk, err, errlen);
		if (n < 0)
			return -1;
		if (n > 0 && redisReaderFeed(c->reader, chunk, (size_t)n) != REDIS_OK) {
			strf(err, errlen, "out of memory");
			return -1;
		}
	}
}

int rconn_exec(struct rconn *c, const struct rconn_opts *o, const struct rcmd *cmds, size_t n,
	       redisReply **replies, double deadline, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (!rconn_alive(c)) {
		strf(err, errlen, "not connected");
		return -1;
	}
	struct buf req;
	buf_init(&req, MAX_REQUEST_BYTES);
	for (size_t i = 0; i < n; i++) {
		char *cmd = NULL;
		/* hiredis 0.14 takes a non-const argv array. */
		const char *argv[RCMD_MAXARGS];
		memcpy(argv, cmds[i].argv, sizeof argv);
		int len = redisFormatCommandArgv(&cmd, cmds[i].argc, argv, cmds[i].len);
		int rc = len < 0 ? -ENOMEM : buf_append(&req, cmd, (size_t)len);
		redisFreeCommand(cmd);
		if (rc < 0) {
			strf(err, errlen, "%s", rc == -ENOSPC ? "request too large" : "out of memory");
			buf_free(&req);
			return -1;
		}
	}
	int rc = send_all(c, o, req.data, req.len, deadline, err, errlen);
	buf_free(&req);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = read_reply(c, o, &replies[i], deadline, err, errlen);
	if (rc == 0)
		return 0;
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

/* Connect a non-blocking socket to one address before the budget runs out. */
static int connect_one(int family, const struct sockaddr *sa, socklen_t salen,
		       const struct rconn_opts *o, double deadline, char *err, size_t errlen)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		strf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, sa, salen) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			strf(err, errlen, "connect: %s", strerror(errno));
			close(fd);
			return -1;
		}
		if (wait_fd(fd, POLLOUT, o, deadline, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		int soerr = 0;
		socklen_t len = sizeof soerr;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (soerr) {
			strf(err, errlen, "connect: %s", strerror(soerr));
			close(fd);
			return -1;
		}
	}
	if (family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

/* The socket of a connection: every address of the host in turn, or the unix socket. */
static int dial(const struct raddr *a, const struct rconn_opts *o, double deadline, char *err,
		size_t errlen)
{
	if (a->kind == RADDR_UNIX) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		if (strlen(a->path) >= sizeof sun.sun_path) {
			strf(err, errlen, "unix socket path too long");
			return -1;
		}
		memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
		return connect_one(AF_UNIX, (struct sockaddr *)&sun, sizeof sun, o, deadline, err, errlen);
	}
	char port[16];
	strf(port, sizeof port, "%d", a->port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(a->host, port, &hints, &res);
	if (gai) {
		strf(err, errlen, "lookup %s: %s", a->host, gai_strerror(gai));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, o, deadline, err, errlen);
	freeaddrinfo(res);
	return fd;
}

/* Is s an IP address (no SNI is sent for those, as Go's crypto/tls)? */
static bool ip_literal(const char *s)
{
	unsigned char tmp[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* The TLS handshake on c->fd, verifying the server as o->tls says. */
static int tls_handshake(struct rconn *c, const struct raddr *a, const struct rconn_opts *o,
			 double deadline, char *err, size_t errlen)
{
	const struct rtls *t = o->tls;
	if (!t) {
		strf(err, errlen, "tls: no TLS configuration");
		return -1;
	}
	int rc = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (rc < 0) {
		c->tls = NULL;
		tls_error(NULL, rc, "init", err, errlen);
		return -1;
	}
	/* The name the certificate must carry: --tls-server-name, else the address's host. */
	const char *name = o->server_name && *o->server_name ? o->server_name : a->host;
	if ((rc = gnutls_set_default_priority(c->tls)) < 0 ||
	    (rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0 ||
	    (!ip_literal(name) && (rc = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, name, strlen(name))) < 0)) {
		tls_error(c->tls, rc, "setup", err, errlen);
		return -1;
	}
	if (!t->skip_verify)
		gnutls_session_set_verify_cert(c->tls, name, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, 0);
	for (;;) {
		rc = gnutls_handshake(c->tls);
		if (rc == GNUTLS_E_SUCCESS)
			return 0;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			short ev = gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN;
			if (wait_fd(c->fd, ev, o, deadline, err, errlen) < 0) {
				char tmp[160];
				strf(tmp, sizeof tmp, "%s", err);
				strf(err, errlen, "tls: handshake: %s", tmp);
				return -1;
			}
			continue;
		}
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t why = { NULL, 0 };
			unsigned status = gnutls_session_get_verify_cert_status(c->tls);
			gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
			char text[256];
			strf(text, sizeof text, "%s", why.data ? (const char *)why.data : "verification failed");
			strf(err, errlen, "tls: certificate of %s not accepted: %s", name, trim(text));
			gnutls_free(why.data);
			return -1;
		}
		if (gnutls_error_is_fatal(rc)) {
			tls_error(c->tls, rc, "handshake", err, errlen);
			return -1;
		}
	}
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
	if (rconn_alive(c))
		return 0;
	c->fd = -1;
	c->tls = NULL;
	c->unsupported = 0;
	c->cluster = -1;
	c->db = 0;
	double t0 = mono_now();
	char derr[300];
	int fd = dial(a, o, deadline, derr, sizeof derr);
	c->connect_seconds = mono_now() - t0;
	if (fd < 0) {
		strf(err, errlen, "dial %s: %s", a->display, derr);
		return -1;
	}
	c->fd = fd;
	if (a->tls && tls_handshake(c, a, o, deadline, derr, sizeof derr) < 0) {
		c->connect_seconds = mono_now() - t0;
		strf(err, errlen, "dial %s: %s", a->display, derr);
		if (c->tls)
			gnutls_deinit(c->tls);
		c->tls = NULL;
		close(fd);
		c->fd = -1;
		return -1;
	}
	c->connect_seconds = mono_now() - t0;
	c->reader = rreader_new();
	if (!c->reader) {
		strf(err, errlen, "out of memory");
		rconn_close(c);
		close(fd);
		return -1;
	}

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
