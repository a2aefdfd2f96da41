/*
 * The client connections of the HTTP server, watched so that slow, idle or
 * numerous clients cannot lock scrapes out, and so that a shutdown lets the
 * requests under way finish.
 *
 * libmicrohttpd runs one thread per connection and only knows an idle
 * timeout, so a client sending one byte a second holds a connection for
 * ever. Here every connection is in one of three phases:
 *   waiting   for a request (a new connection, or keep-alive between
 *             requests); once a request has begun it must be complete within
 *             HTTPCONN_REQUEST_TIMEOUT of its first byte (of the accept, for a
 *             new connection), whatever the pace of its bytes;
 *   handling  the request is complete and its handler runs (bounded by the
 *             scrape deadline);
 *   sending   the answer is being written.
 * A connection beyond HTTPCONN_PER_ADDRESS from one client address, or beyond
 * HTTPCONN_LIMIT in all, first closes a connection that is not handling a
 * request (of the address holding most connections, the longest in its phase
 * first); if none can be closed, the new connection is marked overflow and
 * its request is answered 503.
 */
#ifndef COMMON_HTTPCONN_H
#define COMMON_HTTPCONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Connections held at once (all listeners) before older ones make room. */
#define HTTPCONN_LIMIT 512
/* Connections one client address may hold. */
#define HTTPCONN_PER_ADDRESS 64
/* Connections beyond HTTPCONN_LIMIT accepted only to be answered 503. */
#define HTTPCONN_OVERFLOW 64
/* Seconds to receive a whole request (TLS handshake included). */
#define HTTPCONN_REQUEST_TIMEOUT 5
/* Seconds a shutdown waits beyond the deadlines of the requests under way. */
#define HTTPCONN_DRAIN_GRACE 2

struct httpconns;
struct httpaddr;

/* One client connection, owned by struct httpconns. */
struct httpconn {
	int fd;
	bool overflow; /* admitted beyond every limit: answer 503 and close */
	void *tls; /* TLS state of server.c (a struct webconfig reference) */
	bool tls_sniffed; /* the first bytes were checked for plain HTTP */
	/* The rest is private to httpconn.c, under the registry's lock. */
	int phase;
	bool evicted;
	bool tcp_known; /* TCP_INFO works on fd */
	struct httpaddr *addr; /* the client address, shared by its connections */
	uint64_t since_ns; /* start of the phase */
	uint64_t request_ns; /* first byte of the awaited request seen (0: not yet) */
	uint64_t rx_mark; /* bytes received when the phase began */
	bool rx_marked; /* rx_mark is known */
	uint64_t deadline_ns; /* while handling: when the handler must be done */
	struct httpconn *prev, *next;
};

/* Start the registry and its reaper thread; NULL if out of memory. */
struct httpconns *httpconns_new(void);

/* Stop the reaper and free the registry; every connection must be closed. */
void httpconns_free(struct httpconns *hc);

/*
 * A connection was accepted on fd from addr: make room for it (closing
 * others as described above) and return its record, or NULL if out of
 * memory or beyond HTTPCONN_LIMIT + HTTPCONN_OVERFLOW connections that all
 * handle requests (the caller closes the connection).
 */
struct httpconn *httpconns_open(struct httpconns *hc, int fd, const struct sockaddr *addr);

/* The connection is closed (its descriptor is still open): free the record. */
void httpconns_close(struct httpconns *hc, struct httpconn *c);

/* Phase changes: request received (handler runs until deadline_ns, CLOCK_MONOTONIC), answer queued, answer sent. */
void httpconn_handling(struct httpconns *hc, struct httpconn *c, uint64_t deadline_ns);
void httpconn_sending(struct httpconns *hc, struct httpconn *c);
void httpconn_waiting(struct httpconns *hc, struct httpconn *c);

/* True once httpconns_drain() began: answers should close their connection. */
bool httpconns_draining(struct httpconns *hc);

/*
 * Shutdown, once the listeners stopped accepting: close the connections
 * that wait for nothing, let requests being received complete (within
 * HTTPCONN_REQUEST_TIMEOUT) and requests being handled finish (within their
 * deadline), then return. Returns 0 when no handler runs any more (every
 * connection closed, or the rest only sending or waiting: the server may
 * stop), -1 if handlers still run HTTPCONN_DRAIN_GRACE seconds after their
 * deadline.
 */
int httpconns_drain(struct httpconns *hc);

#endif
