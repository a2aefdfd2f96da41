/* The HTTP side of an exporter, on libmicrohttpd. */
#ifndef COMMON_SERVER_H
#define COMMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "expo.h"
#include "exporter.h"
#include "flags.h"

struct server_options {
	const struct strlist *listen; /* host:port, [v6]:port, :port */
	const char *telemetry_path;
	long max_requests; /* 0: unlimited */
	const char *web_config_file; /* "" for none */
	struct webconfig *web_config; /* or one made from the exporter's flags (adopted) */
};

struct server;

/*
 * Bind every listen address and start serving. Returns 0, or the exit
 * status to use (1: could not bind/start, 2: bad listen address or web
 * config) with a message in err.
 */
int server_start(struct exporter *x, const struct server_options *o, struct server **out,
		 char *err, size_t errlen);

/* Stop accepting, finish the requests under way and release everything. */
void server_stop(struct server *srv);

/* promhttp_metric_handler_* families of the running server. */
void server_metrics(struct expo *e);

/*
 * Content negotiation helpers, exposed for tests: the format chosen for an
 * Accept header (NULL: text), and whether an Accept-Encoding header allows
 * gzip.
 */
enum expo_format server_negotiate(const char *accept);
bool server_accepts_gzip(const char *accept_encoding);

/* Check the syntax of a listen address; returns 0 or -2 with err. */
int server_check_address(const char *addr, char *err, size_t errlen);

/*
 * Bind and listen on "host:port"; returns the socket, -2 for a malformed
 * address or -1 if binding failed, with err filled.
 */
int server_listen(const char *addr, char *err, size_t errlen);

#endif
