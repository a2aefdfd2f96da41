#define _GNU_SOURCE
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "httpconn.h"
#include "landing.h"
#include "log.h"
#include "parse.h"
#include "webconfig.h"

/* Largest page we will send; beyond it the scrape fails with 500. */
#define MAX_PAGE (256u << 20)
/* Largest amount of collected data per scrape. */
#define MAX_EXPO (512u << 20)
#define DEFAULT_TIMEOUT 10.0
/*
 * libmicrohttpd's memory per connection (its default): it reads the request
 * line and headers into half of it and keeps a record per header and query
 * argument in the rest (about 190 arguments fit; check_request_line()
 * answers more). It zeroes the whole of it after every keep-alive request:
 * 32 KiB stay in the L1 cache, 64 KiB cost 3 us more per scrape, 128 KiB 6.
 */
#define CONNECTION_MEMORY (32u << 10)
/* Seconds a keep-alive connection may stay idle between requests. */
#define IDLE_TIMEOUT 120
/*
 * What libmicrohttpd 0.9.75 spends of CONNECTION_MEMORY on each query
 * argument (a 56-byte record, aligned), and what the request's headers and
 * the answer's need besides the request head.
 */
#define ARG_RECORD 64
#define HEAD_SLACK (4u << 10)
/* Go's answer to a request head too large, and to plain HTTP on a TLS port (net/http). */
#define HEAD_TOO_LARGE "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"
#define PLAIN_HTTP_ON_TLS "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"

/* One collection that concurrent identical requests share. */
struct collection {
	char *key;
	struct timespec deadline; /* the owner's: a request due earlier does not wait for it */
	int refs;
	bool done;
	int status;
	char msg[512];
	struct expo *expo;
	pthread_cond_t cond;
	struct collection *next;
};

struct server {
	struct exporter *x;
	const struct server_options *o;
	struct MHD_Daemon *daemons[SERVER_MAX_LISTEN];
	size_t ndaemons;
	struct webconfig_file *wf; /* NULL without --web.config.file */
	bool tls;
	struct httpconns *conns;
	pthread_mutex_t mu; /* guards the in-flight collections list */
	struct collection *inflight;
	/* Size of the last page rendered: the next one is allocated at once, not doubled up to it. */
	atomic_size_t page_hint;
};

/* One request being answered. */
struct reply {
	struct server *srv;
	struct MHD_Connection *conn;
	struct httpconn *hc; /* NULL if the connection could not be admitted */
	struct webconfig *wc; /* the web config in force, if any */
};

/* promhttp_metric_handler_* counters; the server is the only writer. */
static atomic_long requests_inflight;
static atomic_ulong requests_200, requests_500, requests_503;
static atomic_ulong errors_encoding, errors_gathering;

void server_metrics(struct expo *e)
{
	struct family *f = expo_family(e, "promhttp_metric_handler_errors_total", METRIC_COUNTER,
				       "Total number of internal errors encountered by the promhttp metric handler.",
				       (const char *const[]){ "cause", NULL });
	expo_sample(e, f, (double)atomic_load(&errors_encoding), "encoding");
	expo_sample(e, f, (double)atomic_load(&errors_gathering), "gathering");
	expo_single(e, "promhttp_metric_handler_requests_in_flight", METRIC_GAUGE,
		    "Current number of scrapes being served.",
		    (double)atomic_load(&requests_inflight));
	f = expo_family(e, "promhttp_metric_handler_requests_total", METRIC_COUNTER,
			"Total number of scrapes by HTTP status code.",
			(const char *const[]){ "code", NULL });
	expo_sample(e, f, (double)atomic_load(&requests_200), "200");
	expo_sample(e, f, (double)atomic_load(&requests_500), "500");
	expo_sample(e, f, (double)atomic_load(&requests_503), "503");
}

/* ---- negotiation ---- */

/* Walk a comma-separated header; calls fn(value, q, version) per element. */
static void each_accept_item(const char *hdr, void (*fn)(void *, const char *, double, const char *),
			     void *ctx)
{
	char item[256];
	while (hdr && *hdr) {
		const char *comma = strchr(hdr, ',');
		size_t n = comma ? (size_t)(comma - hdr) : strlen(hdr);
		if (n < sizeof item) {
			memcpy(item, hdr, n);
			item[n] = '\0';
			char *fields[16];
			size_t nf = split_on(item, ';', fields, 16);
			double q = 1;
			const char *version = NULL;
			for (size_t i = 1; i < nf && i < 16; i++) {
				char *p = trim(fields[i]);
				char *eq = strchr(p, '=');
				if (!eq)
					continue;
				*eq = '\0';
				char *k = trim(p), *v = trim(eq + 1);
				if (*v == '"' && strlen(v) >= 2) {
					v++;
					v[strlen(v) - 1] = '\0';
				}
				if (!strcasecmp(k, "q")) {
					if (parse_double(v, &q) < 0 || q < 0)
						q = 0;
				} else if (!strcasecmp(k, "version")) {
					version = v;
				}
			}
			fn(ctx, trim(fields[0]), q, version);
		}
		hdr = comma ? comma + 1 : NULL;
	}
}

struct pick {
	double best_q;
	enum expo_format fmt;
};

static void pick_format(void *ctx, const char *media, double q, const char *version)
{
	struct pick *p = ctx;
	enum expo_format f;
	if (!strcasecmp(media, "application/openmetrics-text")) {
		if (version && strcmp(version, "1.0.0") && strcmp(version, "0.0.1"))
			return;
		f = EXPO_OPENMETRICS;
	} else if (!strcasecmp(media, "text/plain")) {
		if (version && strcmp(version, "0.0.4"))
			return;
		f = EXPO_TEXT;
	} else if (!strcmp(media, "*/*") || !strcasecmp(media, "text/*")) {
		f = EXPO_TEXT;
	} else {
		return;
	}
	if (q > p->best_q) {
		p->best_q = q;
		p->fmt = f;
	}
}

enum expo_format server_negotiate(const char *accept)
{
	struct pick p = { 0, EXPO_TEXT };
	each_accept_item(accept, pick_format, &p);
	return p.fmt;
}

static void pick_gzip(void *ctx, const char *coding, double q, const char *version)
{
	(void)version;
	if (!strcasecmp(coding, "gzip") && q > 0)
		*(bool *)ctx = true;
}

bool server_accepts_gzip(const char *accept_encoding)
{
	bool ok = false;
	each_accept_item(accept_encoding, pick_gzip, &ok);
	return ok;
}

/* ---- responses ---- */

/* Queue r with the configured headers; the connection closes after it when it must. */
static enum MHD_Result queue(struct reply *rp, unsigned status, struct MHD_Response *r)
{
	if (rp->wc)
		for (size_t i = 0; i < rp->wc->nheaders; i++)
			MHD_add_response_header(r, rp->wc->header_names[i], rp->wc->header_values[i]);
	if (!rp->hc || rp->hc->overflow || httpconns_draining(rp->srv->conns))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(rp->conn, status, r);
	MHD_destroy_response(r);
	if (rp->hc)
		httpconn_sending(rp->srv->conns, rp->hc);
	return ret;
}

static enum MHD_Result respond(struct reply *rp, unsigned status, const char *ctype, char *body,
			       size_t len, bool gzipped)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (gzipped)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return queue(rp, status, r);
}

static enum MHD_Result respond_text(struct reply *rp, unsigned status, const char *text)
{
	char *body = strdup(text);
	if (!body)
		return MHD_NO;
	return respond(rp, status, "text/plain; charset=utf-8", body, strlen(body), false);
}

/* gzip in one pass; returns a malloc'd buffer or NULL. */
static char *gzip_buffer(const char *in, size_t len, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* Level 1: the page compresses about as well and costs far less CPU. */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	uLong bound = deflateBound(&z, (uLong)len);
	char *out = malloc(bound);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- collections shared by identical concurrent requests ---- */

static bool not_later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/*
 * Join the collection in flight for key that ends by our deadline, or start
 * one (*owner): a scrape with a short timeout does not wait for one with a
 * longer timeout that waits on a frozen server.
 */
static struct collection *join_or_start(struct server *srv, const char *key,
					 const struct timespec *deadline, bool *owner)
{
	pthread_mutex_lock(&srv->mu);
	for (struct collection *c = srv->x->unshared_requests ? NULL : srv->inflight; c; c = c->next) {
		if (!strcmp(c->key, key) && not_later(&c->deadline, deadline)) {
			c->refs++;
			while (!c->done)
				pthread_cond_wait(&c->cond, &srv->mu);
			pthread_mutex_unlock(&srv->mu);
			*owner = false;
			return c;
		}
	}
	struct collection *c = calloc(1, sizeof *c);
	if (c)
		c->key = strdup(key);
	if (!c || !c->key) {
		free(c);
		pthread_mutex_unlock(&srv->mu);
		return NULL;
	}
	c->refs = 1;
	c->deadline = *deadline;
	pthread_cond_init(&c->cond, NULL);
	c->next = srv->inflight;
	srv->inflight = c;
	pthread_mutex_unlock(&srv->mu);
	*owner = true;
	return c;
}

static void publish(struct server *srv, struct collection *c)
{
	pthread_mutex_lock(&srv->mu);
	c->done = true;
	/* Requests arriving from now on start a fresh collection. */
	for (struct collection **p = &srv->inflight; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&srv->mu);
}

static void release(struct server *srv, struct collection *c)
{
	pthread_mutex_lock(&srv->mu);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&srv->mu);
	if (!last)
		return;
	expo_free(c->expo);
	pthread_cond_destroy(&c->cond);
	free(c->key);
	free(c);
}

/* ---- request handling ---- */

struct argv_acc {
	struct arg *args;
	size_t n, cap;
	bool oom;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	struct argv_acc *a = cls;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct arg *p = realloc(a->args, cap * sizeof *p);
		if (!p) {
			a->oom = true;
			return MHD_NO;
		}
		a->args = p;
		a->cap = cap;
	}
	a->args[a->n].key = strdup(key);
	a->args[a->n].value = strdup(value ? value : "");
	if (!a->args[a->n].key || !a->args[a->n].value) {
		free(a->args[a->n].key);
		free(a->args[a->n].value);
		a->oom = true;
		return MHD_NO;
	}
	a->n++;
	return MHD_YES;
}

static void free_args(struct argv_acc *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->args[i].key);
		free(a->args[i].value);
	}
	free(a->args);
}

static struct timespec add_seconds(struct timespec t, double s)
{
	long sec = (long)s;
	long ns = (long)((s - (double)sec) * 1e9);
	t.tv_sec += sec;
	t.tv_nsec += ns;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static enum MHD_Result serve_metrics(struct reply *rp, const char *path, route_handler handler,
				     double timeout)
{
	struct server *srv = rp->srv;
	struct MHD_Connection *conn = rp->conn;
	long limit = srv->o->max_requests;
	long inflight = atomic_fetch_add(&requests_inflight, 1) + 1;
	if (limit > 0 && inflight > limit) {
		atomic_fetch_sub(&requests_inflight, 1);
		atomic_fetch_add(&requests_503, 1);
		char msg[128];
		snprintf(msg, sizeof msg, "Limit of concurrent requests reached (%ld), try again later.\n",
			 limit);
		return respond_text(rp, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
	}

	struct argv_acc args = { 0 };
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);

	struct request rq = { .x = srv->x, .path = path, .args = args.args, .nargs = args.n };
	clock_gettime(CLOCK_MONOTONIC, &rq.start);
	/* Leave time to render and send before Prometheus gives up. */
	double margin = timeout / 10 < 0.5 ? timeout / 10 : 0.5;
	rq.deadline = add_seconds(rq.start, timeout - margin);

	struct buf key;
	buf_init(&key, 2 * CONNECTION_MEMORY); /* the path and every argument */
	int krc = buf_puts(&key, path);
	for (size_t i = 0; i < args.n && !krc; i++)
		krc = buf_printf(&key, "%c%s=%s", i ? '&' : '?', args.args[i].key, args.args[i].value);

	enum MHD_Result ret;
	bool owner = false;
	struct collection *col = (krc || args.oom) ? NULL : join_or_start(srv, key.data, &rq.deadline, &owner);
	buf_free(&key);
	if (!col) {
		atomic_fetch_add(&requests_500, 1);
		atomic_fetch_add(&errors_gathering, 1);
		ret = respond_text(rp, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		goto out;
	}
	if (owner) {
		col->expo = expo_new(MAX_EXPO);
		if (!col->expo) {
			col->status = 500;
			snprintf(col->msg, sizeof col->msg, "out of memory");
		} else {
			col->status = handler(&rq, col->expo, col->msg, sizeof col->msg);
			expo_finish(col->expo);
		}
		publish(srv, col);
	}

	if (col->status >= 400) {
		char body[600];
		snprintf(body, sizeof body, "%s\n", col->msg);
		if (col->status == 503) {
			atomic_fetch_add(&requests_503, 1); /* busy (every backend target in use), not broken */
		} else if (col->status >= 500) {
			atomic_fetch_add(&requests_500, 1);
			atomic_fetch_add(&errors_gathering, 1);
		}
		ret = respond_text(rp, (unsigned)col->status, body);
		release(srv, col);
		goto out;
	}

	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum expo_format fmt = server_negotiate(accept);
	struct buf page;
	buf_init(&page, MAX_PAGE);
	size_t hint = atomic_load_explicit(&srv->page_hint, memory_order_relaxed);
	int rc = hint ? buf_reserve(&page, hint + hint / 8) : 0;
	rc = rc ? rc : expo_render(col->expo, fmt, &page);
	release(srv, col);
	if (!rc)
		atomic_store_explicit(&srv->page_hint, page.len, memory_order_relaxed);
	if (rc) {
		buf_free(&page);
		atomic_fetch_add(&requests_500, 1);
		atomic_fetch_add(&errors_encoding, 1);
		log_error("could not render the page", "err", strerror(-rc), NULL);
		ret = respond_text(rp, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "error encoding metrics: page too large or out of memory\n");
		goto out;
	}
	const char *ctype = fmt == EXPO_OPENMETRICS
				    ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
				    : "text/plain; version=0.0.4; charset=utf-8";
	size_t len;
	char *body = buf_detach(&page, &len);
	bool gz = false;
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (body && server_accepts_gzip(ae)) {
		size_t zlen;
		char *z = gzip_buffer(body, len, &zlen);
		if (z) {
			free(body);
			body = z;
			len = zlen;
			gz = true;
		}
	}
	if (!body) {
		atomic_fetch_add(&requests_500, 1);
		ret = respond_text(rp, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		goto out;
	}
	atomic_fetch_add(&requests_200, 1);
	ret = respond(rp, MHD_HTTP_OK, ctype, body, len, gz);
out:
	free_args(&args);
	atomic_fetch_sub(&requests_inflight, 1);
	return ret;
}

static enum MHD_Result serve_landing(struct reply *rp)
{
	struct buf b;
	buf_init(&b, 4 << 20);
	if (landing_render(rp->srv->x, rp->srv->o->telemetry_path, &b)) {
		buf_free(&b);
		return respond_text(rp, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	size_t len;
	char *body = buf_detach(&b, &len);
	if (!body)
		return MHD_NO;
	return respond(rp, MHD_HTTP_OK, "text/html; charset=UTF-8", body, len, false);
}

static enum MHD_Result check_auth(struct reply *rp, bool *ok)
{
	*ok = true;
	if (!rp->wc || !rp->wc->nusers)
		return MHD_YES;
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(rp->conn, &pass);
	*ok = user && pass && webconfig_check_user(rp->wc, user, pass);
	if (user)
		MHD_free(user);
	if (pass)
		MHD_free(pass);
	if (*ok)
		return MHD_YES;
	const char *text = "Unauthorized\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"Prometheus\"");
	return queue(rp, MHD_HTTP_UNAUTHORIZED, r);
}

/* The connection's record, kept by notify_connection(). */
static struct httpconn *conn_record(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The scrape timeout Prometheus announces, or the default. */
static double scrape_timeout(struct MHD_Connection *conn)
{
	const char *hdr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      "X-Prometheus-Scrape-Timeout-Seconds");
	double t;
	if (hdr && parse_double(hdr, &t) == 0 && t > 0 && t < 1e6)
		return t;
	return DEFAULT_TIMEOUT;
}

struct framing {
	unsigned status;
	const char *text;
	const char *length;
};

/*
 * Request framing that Go's server refuses and libmicrohttpd does not: a
 * transfer coding other than chunked (it would wait for the body until the
 * client gives up) and Content-Length headers that disagree.
 */
static enum MHD_Result check_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	(void)kind;
	struct framing *f = cls;
	if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) && strcasecmp(value, "chunked")) {
		f->status = MHD_HTTP_NOT_IMPLEMENTED;
		f->text = "Unsupported transfer encoding\n";
		return MHD_NO;
	}
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (f->length && strcmp(f->length, value)) {
			f->status = MHD_HTTP_BAD_REQUEST;
			f->text = "Bad Request: conflicting Content-Length headers\n";
			return MHD_NO;
		}
		f->length = value;
	}
	return MHD_YES;
}

const char *server_origin_path(const char *url)
{
	const char *p = NULL;
	if (!strncasecmp(url, "http://", 7))
		p = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		p = url + 8;
	if (!p)
		return url;
	const char *slash = strchr(p, '/');
	return slash ? slash : "/";
}

size_t server_unescape(char *s)
{
	char *out = s;
	for (const char *in = s; *in;) {
		/* "%XY" with two hex digits; "%0x" is not one, though parse_hex_u64 takes 0x */
		char hex[3] = { in[0] == '%' ? in[1] : '\0', in[0] == '%' && in[1] ? in[2] : '\0', '\0' };
		uint64_t v;
		if (hex[0] && hex[1] && hex[1] != 'x' && hex[1] != 'X' && parse_hex_u64(hex, &v) == 0 && v) {
			*out++ = (char)v;
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/*
 * libmicrohttpd 0.9.75 keeps a record per query argument in the
 * connection's memory; when they do not fit it queues 431, loses it (its
 * parse_initial_message_line ignores the failure and carries on) and closes
 * the connection without an answer. A request line with more arguments than
 * surely fit is answered here first, as Go answers a request head over its
 * limit, and the connection shut so that libmicrohttpd lets it go.
 */
static void *check_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	size_t nargs = 0, len = strlen(uri);
	for (const char *q = strchr(uri, '?'); q && *q; q++)
		nargs += *q == '?' || *q == '&';
	size_t head = len + HEAD_SLACK > CONNECTION_MEMORY / 2 ? len + HEAD_SLACK : CONNECTION_MEMORY / 2;
	if (nargs * ARG_RECORD + head + HEAD_SLACK <= CONNECTION_MEMORY)
		return NULL;
	char n[24];
	snprintf(n, sizeof n, "%zu", nargs);
	log_debug("answered 431: too many query arguments", "arguments", n, NULL);
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *tls = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!fd)
		return NULL;
	if (tls && tls->tls_session)
		gnutls_record_send(tls->tls_session, HEAD_TOO_LARGE, strlen(HEAD_TOO_LARGE));
	else
		send(fd->connect_fd, HEAD_TOO_LARGE, strlen(HEAD_TOO_LARGE), MSG_NOSIGNAL);
	shutdown(fd->connect_fd, SHUT_RDWR);
	return NULL;
}

static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return server_unescape(s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	struct server *srv = cls;
	struct reply rp = { .srv = srv, .conn = conn, .hc = conn_record(conn) };

	/*
	 * The first call only announces the headers; answering then makes MHD
	 * close the connection (the body might still be coming), which is what
	 * the refusals below want and what would defeat keep-alive otherwise.
	 * Until the last call the request is still being received, within
	 * HTTPCONN_REQUEST_TIMEOUT. Request bodies are never used: swallow them.
	 */
	static int seen;
	if (!*con_cls) {
		*con_cls = &seen;
		struct framing f = { 0 };
		MHD_get_connection_values(conn, MHD_HEADER_KIND, check_framing, &f);
		if (!rp.hc || rp.hc->overflow) {
			f.status = MHD_HTTP_SERVICE_UNAVAILABLE;
			f.text = "Too many open connections, try again later.\n";
		}
		if (!f.status)
			return MHD_YES;
		if (rp.hc)
			httpconn_handling(srv->conns, rp.hc, mono_ns());
		return respond_text(&rp, f.status, f.text);
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct exporter *x = srv->x;
	const char *path = server_origin_path(url);
	route_handler handler = NULL;
	if (!strcmp(path, srv->o->telemetry_path))
		handler = x->metrics_handler ? x->metrics_handler : exporter_default_handler;
	for (size_t i = 0; i < x->nserved_routes && !handler; i++)
		if (!x->served_routes[i].off && !strcmp(path, x->served_routes[i].path))
			handler = x->served_routes[i].handler;
	double timeout = handler ? scrape_timeout(conn) : HTTPCONN_REQUEST_TIMEOUT;
	if (rp.hc)
		httpconn_handling(srv->conns, rp.hc, mono_ns() + (uint64_t)(timeout * 1e9));

	enum MHD_Result ret;
	bool authorized;
	if (srv->wf && !(rp.wc = webconfig_get(srv->wf)))
		ret = respond_text(&rp, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error\n");
	else if (rp.wc && rp.wc->rate_interval > 0 && !webconfig_rate_allow(srv->wf, rp.wc))
		ret = respond_text(&rp, MHD_HTTP_TOO_MANY_REQUESTS, "Too Many Requests\n");
	else if ((ret = check_auth(&rp, &authorized)), !authorized)
		; /* answered */
	else if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		ret = respond_text(&rp, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n");
	else if (handler)
		ret = serve_metrics(&rp, path, handler, timeout);
	else if (x->health_path && !strcmp(path, x->health_path))
		ret = respond_text(&rp, MHD_HTTP_OK, "ok");
	else if (!strcmp(path, "/-/healthy"))
		ret = respond_text(&rp, MHD_HTTP_OK, "Healthy\n");
	else if (!strcmp(path, "/-/ready"))
		ret = respond_text(&rp, MHD_HTTP_OK, "Ready\n");
	else if (!strcmp(path, "/"))
		ret = serve_landing(&rp);
	else
		ret = respond_text(&rp, MHD_HTTP_NOT_FOUND, "404 page not found\n");
	webconfig_put(srv->wf, rp.wc);
	return ret;
}

/* ---- connections ---- */

/*
 * The first bytes of a TLS connection: plain HTTP gets Go's 400 answer
 * rather than a failed handshake. Then GnuTLS reads from the socket as its
 * own pull function would.
 */
static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct httpconn *c = ptr;
	if (!c->tls_sniffed) {
		unsigned char first;
		ssize_t n = recv(c->fd, &first, 1, MSG_PEEK);
		if (n <= 0)
			return n;
		c->tls_sniffed = true;
		/* A TLS record starts with its type (20 to 24), HTTP with a method. */
		if (first >= 'A' && first <= 'Z') {
			if (send(c->fd, PLAIN_HTTP_ON_TLS, strlen(PLAIN_HTTP_ON_TLS), MSG_NOSIGNAL) > 0)
				shutdown(c->fd, SHUT_WR);
			/* Read what came, so that closing does not reset the answer away. */
			char sink[4096];
			for (int i = 0; i < 16 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
				;
			errno = ECONNRESET;
			return -1;
		}
	}
	return recv(c->fd, data, len, 0);
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct pollfd pfd = { .fd = ((struct httpconn *)ptr)->fd, .events = POLLIN };
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

/* The certificate of a handshake: that of the web config read when the connection came. */
static int tls_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
			   const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
			   gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *key)
{
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	struct httpconn *c = conn_record(gnutls_session_get_ptr(session));
	const struct webconfig *wc = c ? c->tls : NULL;
	if (!wc)
		return -1; /* the web config file is invalid: no handshake, as upstream */
	*pcert = wc->pcerts;
	*pcert_length = wc->npcerts;
	*key = wc->key;
	return 0;
}

static void tls_setup(struct server *srv, struct MHD_Connection *conn, struct httpconn *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci)
		return;
	gnutls_session_t session = ci->tls_session;
	/* A new connection sees a changed file: certificates rotate without a restart. */
	struct webconfig *wc = webconfig_get(srv->wf);
	c->tls = wc;
	if (wc)
		gnutls_priority_set(session, wc->priority);
	gnutls_transport_set_ptr2(session, c, (gnutls_transport_ptr_t)(intptr_t)c->fd);
	gnutls_transport_set_pull_function(session, tls_pull);
	gnutls_transport_set_pull_timeout_function(session, tls_pull_timeout);
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct httpconn *c = *socket_context;
		if (c)
			webconfig_put(srv->wf, c->tls);
		httpconns_close(srv->conns, c);
		return;
	}
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!fd)
		return;
	struct httpconn *c = httpconns_open(srv->conns, fd->connect_fd, addr ? addr->client_addr : NULL);
	*socket_context = c;
	if (!c) {
		shutdown(fd->connect_fd, SHUT_RDWR); /* beyond every limit, or out of memory */
		return;
	}
	if (srv->tls)
		tls_setup(srv, conn, c);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	(void)con_cls;
	(void)toe;
	struct server *srv = cls;
	struct httpconn *c = conn_record(conn);
	if (c)
		httpconn_waiting(srv->conns, c);
}

/* libmicrohttpd's messages: its own printf formats. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	char *m = trim(msg);
	log_debug("http", "detail", m, NULL);
}

/* Split "host:port" ("[v6]:port", ":port"); returns 0 or -2 with err. */
static int split_address(const char *addr, char *host, size_t hostcap, const char **port,
			 char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || !colon[1] || strstr(addr, "://")) {
		snprintf(err, errlen, "invalid listen address '%s' (want host:port)", addr);
		return -2;
	}
	size_t hlen = (size_t)(colon - addr);
	if (hlen >= hostcap) {
		snprintf(err, errlen, "invalid listen address '%s'", addr);
		return -2;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		if (hlen < 2 || host[hlen - 1] != ']') {
			snprintf(err, errlen, "invalid listen address '%s'", addr);
			return -2;
		}
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	*port = colon + 1;
	uint64_t pn;
	if (parse_u64(*port, &pn) < 0 || pn > 65535) {
		snprintf(err, errlen, "invalid port in listen address '%s'", addr);
		return -2;
	}
	return 0;
}

int server_check_address(const char *addr, char *err, size_t errlen)
{
	char host[256];
	const char *port;
	return split_address(addr, host, sizeof host, &port, err, errlen);
}

int server_listen(const char *addr, char *err, size_t errlen)
{
	char host[256];
	const char *port;
	int rc = split_address(addr, host, sizeof host, &port, err, errlen);
	if (rc)
		return rc;

	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	/* An empty host means every address: IPv6 dual-stack, or IPv4 if there is no IPv6. */
	hints.ai_family = host[0] ? AF_UNSPEC : AF_INET6;
	int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (gai && !host[0]) {
		hints.ai_family = AF_INET;
		gai = getaddrinfo(NULL, port, &hints, &res);
	}
	if (gai) {
		snprintf(err, errlen, "listen tcp %s: %s", addr, gai_strerror(gai));
		return -2;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		int one = 1, zero = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "listen tcp %s: %s", addr, strerror(saved));
		return -1;
	}
	return fd;
}

int server_systemd_fds(int *fds, size_t cap, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	uint64_t p, n;
	if (!pid || !nfds || parse_u64(pid, &p) < 0 || parse_u64(nfds, &n) < 0) {
		snprintf(err, errlen, "--web.systemd-socket: no sockets passed by systemd (LISTEN_PID and LISTEN_FDS are not set)");
		return -1;
	}
	if (p != (uint64_t)getpid()) {
		snprintf(err, errlen, "--web.systemd-socket: the sockets passed by systemd are for process %s, not this one",
			 pid);
		return -1;
	}
	if (n == 0 || n > cap) {
		snprintf(err, errlen, "--web.systemd-socket: %s sockets passed by systemd (want 1 to %zu)", nfds, cap);
		return -1;
	}
	for (int i = 0; i < (int)n; i++) {
		int fd = SD_LISTEN_FDS_START + i, listening = 0, type = 0;
		socklen_t len = sizeof listening, tlen = sizeof type;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || !listening || type != SOCK_STREAM) {
			snprintf(err, errlen, "--web.systemd-socket: descriptor %d passed by systemd is not a listening stream socket",
				 fd);
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fds[i] = fd;
	}
	return (int)n;
}

/* Where a listening socket listens, for the log. */
static void socket_name(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "", port[8] = "";
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, cap, "descriptor %d", fd);
		return;
	}
	snprintf(out, cap, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

static int start_daemon(struct server *srv, int fd, const char *name, char *err, size_t errlen)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ERROR_LOG |
			 /* finished connections wake the daemon, which frees them at once */
			 MHD_USE_ITC;
	struct MHD_OptionItem tls_opts[3];
	size_t ntls = 0;
	struct webconfig *wc = srv->tls ? webconfig_get(srv->wf) : NULL;
	if (srv->tls) {
		flags |= MHD_USE_TLS;
		tls_opts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
							    (void *)(uintptr_t)tls_certificate };
		if (wc)
			tls_opts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, wc->tls_priorities };
	}
	tls_opts[ntls] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT,
		/* httpconns admits connections, closes some and answers 503: MHD's limit is never the first */
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(HTTPCONN_LIMIT + 2 * HTTPCONN_OVERFLOW),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1u << 20),
		MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv,
		MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, check_request_line, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	webconfig_put(srv->wf, wc);
	if (!d) {
		snprintf(err, errlen, "could not start the HTTP server on %s", name);
		return -1;
	}
	srv->daemons[srv->ndaemons++] = d;
	log_info("listening", "address", name, "tls", srv->tls ? "true" : "false", NULL);
	return 0;
}

int server_start(struct exporter *x, const struct server_options *o, struct server **out,
		 char *err, size_t errlen)
{
	struct server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	srv->x = x;
	srv->o = o;
	/* A web configuration from the exporter's own flags is taken over; with a file it exited 2 earlier. */
	srv->wf = o->web_config;
	pthread_mutex_init(&srv->mu, NULL);
	srv->conns = httpconns_new();
	if (!srv->conns) {
		snprintf(err, errlen, "out of memory");
		server_stop(srv);
		return 1;
	}

	if (!srv->wf && o->web_config_file && *o->web_config_file &&
	    webconfig_open(o->web_config_file, &srv->wf, err, errlen) < 0) {
		server_stop(srv);
		return 2;
	}
	srv->tls = srv->wf && webconfig_tls(srv->wf);

	int fds[SERVER_MAX_LISTEN];
	int nfds = 0;
	if (o->systemd_socket) {
		nfds = server_systemd_fds(fds, SERVER_MAX_LISTEN, err, errlen);
		if (nfds < 0) {
			server_stop(srv);
			return 2;
		}
		log_info("listening on systemd activated listeners instead of port listeners", NULL);
	} else if (o->listen->n > SERVER_MAX_LISTEN) {
		snprintf(err, errlen, "at most %d listen addresses", SERVER_MAX_LISTEN);
		server_stop(srv);
		return 2;
	}
	size_t n = o->systemd_socket ? (size_t)nfds : o->listen->n;
	for (size_t i = 0; i < n; i++) {
		char name[300];
		int fd;
		if (o->systemd_socket) {
			fd = fds[i];
			socket_name(fd, name, sizeof name);
		} else {
			snprintf(name, sizeof name, "%s", o->listen->items[i]);
			fd = server_listen(name, err, errlen);
			if (fd < 0) {
				server_stop(srv);
				return fd == -2 ? 2 : 1;
			}
		}
		if (start_daemon(srv, fd, name, err, errlen) < 0) {
			close(fd);
			server_stop(srv);
			return 1;
		}
	}
	*out = srv;
	return 0;
}

int server_stop(struct server *srv)
{
	if (!srv)
		return 0;
	/* Stop accepting: connections still queued are refused. */
	for (size_t i = 0; i < srv->ndaemons; i++) {
		MHD_socket fd = MHD_quiesce_daemon(srv->daemons[i]);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	if (srv->ndaemons && httpconns_drain(srv->conns) < 0)
		return -1; /* handlers still run: their threads use everything below */
	for (size_t i = 0; i < srv->ndaemons; i++)
		MHD_stop_daemon(srv->daemons[i]);
	httpconns_free(srv->conns);
	webconfig_close(srv->wf);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
	return 0;
}
