/* The HTTP side of an exporter, on libmicrohttpd. */
#ifndef COMMON_SERVER_H
#define COMMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "expo.h"
#include "exporter.h"
#include "flags.h"

/* Listening sockets at most, from --web.listen-address or systemd. */
#define SERVER_MAX_LISTEN 16
/* The first descriptor systemd passes (sd_listen_fds(3)). */
#define SD_LISTEN_FDS_START 3

struct server_options {
	const struct strlist *listen; /* host:port, [v6]:port, :port */
	bool systemd_socket; /* listen on the sockets systemd passed instead */
	const char *telemetry_path;
	long max_requests; /* 0: unlimited */
	const char *web_config_file; /* "" for none */
	struct webconfig_file *web_config; /* or one made from the exporter's flags (taken over) */
};

struct server;

/*
 * Bind every listen address (or take systemd's sockets) and start serving.
 * Returns 0, or the exit status to use (1: could not bind/start, 2: bad
 * listen address, systemd sockets or web config) with a message in err.
 */
int server_start(struct exporter *x, const struct server_options *o, struct server **out,
		 char *err, size_t errlen);

/*
 * Stop accepting, close idle connections, let the requests under way
 * finish (each within its deadline), then release everything and return 0.
 * Returns -1, releasing nothing, if handlers still run a few seconds after
 * their deadline (a collector stuck in a system call): the caller exits.
 */
int server_stop(struct server *srv);

/*
 * The listening sockets systemd passed (LISTEN_PID, LISTEN_FDS, from
 * descriptor 3 on), at most cap of them, into fds. Returns their number,
 * or -1 with a one-line message in err.
 */
int server_systemd_fds(int *fds, size_t cap, char *err, size_t errlen);

/* promhttp_metric_handler_* families of the running server. */
void server_metrics(struct expo *e);

/*
 * Content negotiation helpers, exposed for tests: the format chosen for an
 * Accept header (NULL: text), and whether an Accept-Encoding header allows
 * gzip.
 */
enum expo_format server_negotiate(const char *accept);
bool server_accepts_gzip(const char *accept_encoding);

/*
 * Percent-decoding of the path and of query names and values in place, as
 * libmicrohttpd's but leaving "%00" as written: decoded, the NUL would cut
 * the name short ("/metrics%00" served as "/metrics", "cpu%00evil" taken for
 * "cpu"). Upstream keeps the NUL and matches nothing (404, or 400 for an
 * unknown collector); kept as written, the name matches nothing here either.
 * Returns the new length. Exposed for tests.
 */
size_t server_unescape(char *s);

/* The path of a request target: "http://host/path" (absolute form) gives "/path". */
const char *server_origin_path(const char *url);

/* Check the syntax of a listen address; returns 0 or -2 with err. */
int server_check_address(const char *addr, char *err, size_t errlen);

/*
 * Bind and listen on "host:port"; returns the socket, -2 for a malformed
 * address or -1 if binding failed, with err filled.
 */
int server_listen(const char *addr, char *err, size_t errlen);

#endif
