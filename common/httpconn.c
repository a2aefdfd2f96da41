#define _GNU_SOURCE
#include "httpconn.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

enum { WAITING, HANDLING, SENDING };

#define NS 1000000000ull
/* The reaper looks at waiting connections this often. */
#define TICK_NS (NS / 2)

struct httpconns {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the reaper's */
	pthread_cond_t closed; /* a connection closed or stopped handling (drain) */
	pthread_t reaper;
	bool stop, draining;
	uint64_t reaper_next; /* when the reaper wakes next (UINT64_MAX: when told) */
	size_t open; /* records, evicted ones included */
	size_t live; /* records not evicted */
	size_t overflowing; /* records marked overflow */
	struct httpconn *head;
	struct httpaddr *addrs;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* Bytes received on a TCP socket so far; false if fd is not TCP. */
static bool rx_bytes(int fd, uint64_t *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
		return false;
	*out = ti.tcpi_bytes_received;
	return true;
}

/* A client address and how many live connections it holds. */
struct httpaddr {
	unsigned char key[17]; /* family byte and address */
	size_t live, refs;
	struct httpaddr *next;
};

static void addr_key(const struct sockaddr *sa, unsigned char key[17])
{
	memset(key, 0, 17);
	if (!sa)
		return;
	key[0] = (unsigned char)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) { /* the same client as over IPv4 */
			key[0] = AF_INET;
			memcpy(key + 1, a->s6_addr + 12, 4);
		} else {
			memcpy(key + 1, a->s6_addr, 16);
		}
	}
}

/* The record of addr, made if new (NULL if out of memory); under the lock. */
static struct httpaddr *addr_ref(struct httpconns *hc, const struct sockaddr *sa)
{
	unsigned char key[17];
	addr_key(sa, key);
	struct httpaddr *a = hc->addrs;
	while (a && memcmp(a->key, key, sizeof key))
		a = a->next;
	if (!a) {
		a = calloc(1, sizeof *a);
		if (!a)
			return NULL;
		memcpy(a->key, key, sizeof key);
		a->next = hc->addrs;
		hc->addrs = a;
	}
	a->refs++;
	return a;
}

static void addr_unref(struct httpconns *hc, struct httpaddr *a)
{
	if (--a->refs)
		return;
	for (struct httpaddr **p = &hc->addrs; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	free(a);
}

/*
 * Make the reaper look by time t at the latest; under the lock. It is told
 * only if it would sleep longer: a scrape over a keep-alive connection
 * costs it no wake-up.
 */
static void wake_reaper_by(struct httpconns *hc, uint64_t t)
{
	if (hc->reaper_next > t)
		pthread_cond_signal(&hc->wake);
}

/* Close the connection under the lock: its thread sees end of file and lets go. */
static void evict(struct httpconns *hc, struct httpconn *c, const char *why)
{
	c->evicted = true;
	c->addr->live--;
	hc->live--;
	shutdown(c->fd, SHUT_RDWR);
	log_debug("closed an HTTP connection", "reason", why, NULL);
}

/*
 * The connection to close to make room: not handling a request, of the
 * address holding most connections (only of a, if given), longest in its
 * phase first. NULL if every connection is handling.
 */
static struct httpconn *pick_victim(struct httpconns *hc, const struct httpaddr *a)
{
	struct httpconn *best = NULL;
	for (struct httpconn *c = hc->head; c; c = c->next) {
		if (c->evicted || c->phase == HANDLING || (a && c->addr != a))
			continue;
		if (!best || c->addr->live > best->addr->live ||
		    (c->addr->live == best->addr->live && c->since_ns < best->since_ns))
			best = c;
	}
	return best;
}

struct httpconn *httpconns_open(struct httpconns *hc, int fd, const struct sockaddr *addr)
{
	struct httpconn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->phase = WAITING;
	c->since_ns = c->request_ns = now_ns();
	/* Any byte on a new connection is its request's: the mark is 0. */
	uint64_t rx;
	c->tcp_known = rx_bytes(fd, &rx);
	c->rx_marked = true;

	pthread_mutex_lock(&hc->mu);
	c->addr = addr_ref(hc, addr);
	if (!c->addr) {
		pthread_mutex_unlock(&hc->mu);
		free(c);
		return NULL;
	}
	if (c->addr->live >= HTTPCONN_PER_ADDRESS) {
		struct httpconn *v = pick_victim(hc, c->addr);
		if (v)
			evict(hc, v, "too many connections from one address");
		else
			c->overflow = true;
	}
	if (!c->overflow && hc->live >= HTTPCONN_LIMIT) {
		struct httpconn *v = pick_victim(hc, NULL);
		if (v)
			evict(hc, v, "too many connections");
		else
			c->overflow = true;
	}
	if (c->overflow && hc->overflowing >= HTTPCONN_OVERFLOW) {
		addr_unref(hc, c->addr);
		pthread_mutex_unlock(&hc->mu);
		free(c);
		return NULL;
	}
	hc->overflowing += c->overflow;
	c->next = hc->head;
	if (hc->head)
		hc->head->prev = c;
	hc->head = c;
	hc->open++;
	hc->live++;
	c->addr->live++;
	wake_reaper_by(hc, c->request_ns + HTTPCONN_REQUEST_TIMEOUT * NS);
	pthread_mutex_unlock(&hc->mu);
	return c;
}

void httpconns_close(struct httpconns *hc, struct httpconn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&hc->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		hc->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	hc->open--;
	hc->overflowing -= c->overflow;
	if (!c->evicted) {
		hc->live--;
		c->addr->live--;
	}
	addr_unref(hc, c->addr);
	pthread_cond_broadcast(&hc->closed);
	pthread_mutex_unlock(&hc->mu);
	free(c);
}

void httpconn_handling(struct httpconns *hc, struct httpconn *c, uint64_t deadline_ns)
{
	pthread_mutex_lock(&hc->mu);
	c->phase = HANDLING;
	c->since_ns = now_ns();
	c->deadline_ns = deadline_ns;
	pthread_mutex_unlock(&hc->mu);
}

void httpconn_sending(struct httpconns *hc, struct httpconn *c)
{
	pthread_mutex_lock(&hc->mu);
	c->phase = SENDING;
	c->since_ns = now_ns();
	pthread_cond_broadcast(&hc->closed);
	pthread_mutex_unlock(&hc->mu);
}

void httpconn_waiting(struct httpconns *hc, struct httpconn *c)
{
	pthread_mutex_lock(&hc->mu);
	c->phase = WAITING;
	c->since_ns = now_ns();
	c->request_ns = 0;
	/* The reaper notes the bytes received so far on its next pass: later ones start the next request. */
	c->rx_marked = false;
	wake_reaper_by(hc, c->since_ns + TICK_NS);
	pthread_mutex_unlock(&hc->mu);
}

bool httpconns_draining(struct httpconns *hc)
{
	pthread_mutex_lock(&hc->mu);
	bool d = hc->draining;
	pthread_mutex_unlock(&hc->mu);
	return d;
}

/*
 * One pass of the reaper, under the lock: notice requests beginning on
 * keep-alive connections, close those not received in time (and, when
 * draining, those waiting for nothing). Returns when to look again.
 */
static uint64_t reap(struct httpconns *hc, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	const uint64_t limit = HTTPCONN_REQUEST_TIMEOUT * NS;
	for (struct httpconn *c = hc->head; c; c = c->next) {
		if (c->evicted || c->phase != WAITING)
			continue;
		uint64_t rx;
		if (c->tcp_known && !c->rx_marked) {
			c->tcp_known = rx_bytes(c->fd, &c->rx_mark);
			c->rx_marked = true;
		}
		/* A connection with nothing received since the mark is idle, whether new or kept alive. */
		bool idle = c->tcp_known ? rx_bytes(c->fd, &rx) && rx == c->rx_mark : !c->request_ns;
		if (!idle && !c->request_ns)
			c->request_ns = now;
		if (hc->draining && idle) {
			evict(hc, c, "shutting down");
			continue;
		}
		if (c->request_ns && now - c->request_ns >= limit) {
			evict(hc, c, "request not received in time");
			continue;
		}
		if (c->request_ns && c->request_ns + limit < next)
			next = c->request_ns + limit;
		if (!c->request_ns && c->tcp_known && now + TICK_NS < next)
			next = now + TICK_NS; /* to see the next request begin */
	}
	return next;
}

static void *reaper_main(void *arg)
{
	struct httpconns *hc = arg;
	pthread_mutex_lock(&hc->mu);
	while (!hc->stop) {
		uint64_t next = reap(hc, now_ns());
		hc->reaper_next = next;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&hc->wake, &hc->mu);
		} else {
			struct timespec ts = { .tv_sec = (time_t)(next / NS), .tv_nsec = (long)(next % NS) };
			pthread_cond_timedwait(&hc->wake, &hc->mu, &ts);
		}
	}
	pthread_mutex_unlock(&hc->mu);
	return NULL;
}

struct httpconns *httpconns_new(void)
{
	struct httpconns *hc = calloc(1, sizeof *hc);
	if (!hc)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&hc->mu, NULL);
	pthread_cond_init(&hc->wake, &ca);
	pthread_cond_init(&hc->closed, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&hc->reaper, NULL, reaper_main, hc)) {
		pthread_cond_destroy(&hc->wake);
		pthread_cond_destroy(&hc->closed);
		pthread_mutex_destroy(&hc->mu);
		free(hc);
		return NULL;
	}
	return hc;
}

void httpconns_free(struct httpconns *hc)
{
	if (!hc)
		return;
	pthread_mutex_lock(&hc->mu);
	hc->stop = true;
	pthread_cond_signal(&hc->wake);
	pthread_mutex_unlock(&hc->mu);
	pthread_join(hc->reaper, NULL);
	pthread_cond_destroy(&hc->wake);
	pthread_cond_destroy(&hc->closed);
	pthread_mutex_destroy(&hc->mu);
	free(hc);
}

int httpconns_drain(struct httpconns *hc)
{
	pthread_mutex_lock(&hc->mu);
	hc->draining = true;
	reap(hc, now_ns()); /* idle connections close; requests begun are noticed */
	pthread_cond_signal(&hc->wake);
	int rc = 0;
	while (hc->open) {
		/*
		 * Each connection has until its own end: a request being received
		 * REQUEST_TIMEOUT from its first byte, one being handled its
		 * deadline, an answer being sent REQUEST_TIMEOUT from its start.
		 */
		const uint64_t limit = HTTPCONN_REQUEST_TIMEOUT * NS;
		uint64_t end = 0;
		bool handling = false;
		for (struct httpconn *c = hc->head; c; c = c->next) {
			uint64_t own = 0;
			if (c->evicted)
				continue;
			if (c->phase == HANDLING) {
				handling = true;
				own = c->deadline_ns;
			} else if (c->phase == SENDING) {
				own = c->since_ns + limit;
			} else if (c->request_ns) {
				own = c->request_ns + limit;
			}
			if (own > end)
				end = own;
		}
		end += HTTPCONN_DRAIN_GRACE * NS;
		if (now_ns() >= end) {
			rc = handling ? -1 : 0;
			break;
		}
		struct timespec ts = { .tv_sec = (time_t)(end / NS), .tv_nsec = (long)(end % NS) };
		pthread_cond_timedwait(&hc->closed, &hc->mu, &ts);
	}
	pthread_mutex_unlock(&hc->mu);
	return rc;
}
