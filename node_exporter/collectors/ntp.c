/*
 * ntp (off by default, deprecated upstream): one SNTP query to a local NTP
 * server (--collector.ntp.server, a loopback address unless
 * --collector.ntp.server-is-local) per scrape: stratum, leap indicator,
 * round trip, clock offset, reference time, root delay and dispersion, and
 * a sanity verdict by RFC 5905's heuristics and the configured limits, as
 * upstream computes them (beevik/ntp). The query waits at most 1 s, or
 * less when the scrape's deadline is nearer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../replies.h"

static const char *server_flag = "127.0.0.1";
static long port_flag = 123, version_flag = 4, ttl_flag = 1;
static bool is_local_flag;
static double max_distance_flag = 3.46608, tolerance_flag = 0.001;

static struct flag ntp_flags[] = {
	{ .name = "collector.ntp.server", .type = FLAG_STRING, .dest = &server_flag, .def = "127.0.0.1",
	  .help = "NTP server to use for ntp collector" },
	{ .name = "collector.ntp.server-port", .type = FLAG_INT, .dest = &port_flag, .def = "123",
	  .help = "UDP port number to connect to on NTP server" },
	{ .name = "collector.ntp.protocol-version", .type = FLAG_INT, .dest = &version_flag, .def = "4",
	  .help = "NTP protocol version" },
	{ .name = "collector.ntp.server-is-local", .type = FLAG_BOOL, .dest = &is_local_flag, .def = "false",
	  .help = "Certify that collector.ntp.server address is not a public ntp server" },
	{ .name = "collector.ntp.ip-ttl", .type = FLAG_INT, .dest = &ttl_flag, .def = "1",
	  .help = "IP TTL to use while sending NTP query" },
	{ .name = "collector.ntp.max-distance", .type = FLAG_DURATION, .dest = &max_distance_flag,
	  .def = "3.46608s", .help = "Max accumulated distance to the root" },
	{ .name = "collector.ntp.local-offset-tolerance", .type = FLAG_DURATION, .dest = &tolerance_flag,
	  .def = "1ms", .help = "Offset between local clock and local ntpd time to tolerate" },
};

/* NTP's era 0 starts in 1900: seconds to the Unix epoch. */
#define NTP_UNIX_OFFSET 2208988800ull
#define NS 1000000000ull

struct ntp_state {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int64_t leap_midnight; /* Unix seconds; the leap flag is gone right after midnight */
};

/* ---- NTP arithmetic (RFC 5905, in beevik/ntp's rounding) ---- */

/* A 32.32 fixed-point time or interval as nanoseconds, rounded to nearest. */
static int64_t ntp_ns(uint64_t t)
{
	uint64_t frac = (t & 0xffffffffu) * NS;
	uint64_t ns = (t >> 32) * NS + (frac >> 32);
	if ((uint32_t)frac >= 0x80000000u)
		ns++;
	return (int64_t)ns;
}

/* A 16.16 interval (root delay, dispersion) as nanoseconds. */
static int64_t ntp_short_ns(uint32_t t)
{
	uint64_t frac = (uint64_t)(t & 0xffff) * NS;
	uint64_t ns = (uint64_t)(t >> 16) * NS + (frac >> 16);
	if ((uint16_t)frac >= 0x8000)
		ns++;
	return (int64_t)ns;
}

/* Unix nanoseconds of an NTP timestamp; values before 1970 belong to era 1 (from 2036). */
static int64_t ntp_unix_ns(uint64_t t)
{
	int64_t ns = ntp_ns(t) - (int64_t)(NTP_UNIX_OFFSET * NS);
	if (t < (NTP_UNIX_OFFSET << 32))
		ns += (int64_t)((1ull << 32) * NS);
	return ns;
}

/* An NTP timestamp of Unix nanoseconds. */
uint64_t ntp_from_unix_ns(int64_t unix_ns)
{
	uint64_t ns = (uint64_t)unix_ns + NTP_UNIX_OFFSET * NS;
	uint64_t sec = ns / NS, rem = ns - sec * NS;
	uint64_t frac = (rem << 32) / NS;
	if (((rem << 32) % NS) >= NS / 2)
		frac++;
	return sec << 32 | frac;
}

static int64_t signed_ns(int64_t v)
{
	return v < 0 ? -ntp_ns((uint64_t)-v) : ntp_ns((uint64_t)v);
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ntp_parse(const unsigned char *pkt, size_t n, uint64_t sent, uint64_t org, uint64_t dst,
	      struct ntp_result *r)
{
	memset(r, 0, sizeof *r);
	if (n < 48)
		return -EBADMSG;
	if ((pkt[0] & 7) != 4) /* mode: server */
		return -EPROTO;
	uint64_t rec = be64(pkt + 32), xmt = be64(pkt + 40);
	if (xmt == 0 || be64(pkt + 24) != sent || rec > xmt)
		return -EPROTO;
	r->leap = pkt[0] >> 6;
	r->stratum = pkt[1];
	r->root_delay = ntp_short_ns(be32(pkt + 4));
	r->root_dispersion = ntp_short_ns(be32(pkt + 8));
	r->reference_time = ntp_unix_ns(be64(pkt + 16));
	r->time = ntp_unix_ns(xmt);
	int64_t a = (int64_t)(rec - org), b = (int64_t)(xmt - dst);
	r->offset = signed_ns(a + (b - a) / 2);
	int64_t rtt = (int64_t)(dst - org) - (int64_t)(xmt - rec);
	r->rtt = rtt < 0 ? 0 : ntp_ns((uint64_t)rtt);
	uint64_t e0 = org >= rec ? org - rec : 0, e1 = xmt >= dst ? xmt - dst : 0;
	r->min_error = ntp_ns(e0 > e1 ? e0 : e1);
	r->root_distance = (r->rtt + r->root_delay) / 2 + r->root_dispersion;
	return 0;
}

/* beevik/ntp's Response.Validate(). */
static bool ntp_valid(const struct ntp_result *r)
{
	const int64_t max_poll = (int64_t)(1u << 17) * (int64_t)NS, max_dispersion = 16 * (int64_t)NS;
	return r->stratum != 0 && r->stratum < 16 && r->time - r->reference_time <= max_poll &&
	       r->root_delay / 2 + r->root_dispersion <= max_dispersion && r->time >= r->reference_time &&
	       r->leap != 3;
}

bool ntp_sane(const struct ntp_result *r, double max_distance, double tolerance, int64_t *leap_midnight)
{
	const int64_t day = 86400;
	int64_t max_err = (int64_t)(tolerance * 1e9);
	int64_t t = r->time / (int64_t)NS; /* seconds, for the day arithmetic */
	if (r->leap == 1 || r->leap == 2)
		*leap_midnight = (t - ((t % day) + day) % day) + day;
	/* Leap smearing is tolerated on the day before and after a leap second. */
	if (*leap_midnight && r->time > (*leap_midnight - day) * (int64_t)NS &&
	    r->time < (*leap_midnight + day) * (int64_t)NS)
		max_err += (int64_t)NS;
	return ntp_valid(r) && r->root_distance <= (int64_t)(max_distance * 1e9) && r->min_error <= max_err;
}

void ntp_emit(struct expo *e, const struct ntp_result *r, bool sane)
{
	expo_single(e, "node_ntp_stratum", METRIC_GAUGE, "Stratum of the NTP server.", r->stratum);
	expo_single(e, "node_ntp_leap", METRIC_GAUGE, "Leap indicator of the NTP server (2 bits).", r->leap);
	expo_single(e, "node_ntp_rtt_seconds", METRIC_GAUGE, "Round trip time to the NTP server.",
		    (double)r->rtt / 1e9);
	expo_single(e, "node_ntp_offset_seconds", METRIC_GAUGE,
		    "Offset of the local clock from the NTP server's.", (double)r->offset / 1e9);
	/* A reference time before 1970 (none yet) is reported as 0, as upstream. */
	expo_single(e, "node_ntp_reference_timestamp_seconds", METRIC_GAUGE,
		    "Reference time of the NTP server, in seconds since the epoch.",
		    r->reference_time >= (int64_t)NS ? (double)r->reference_time / 1e9 : 0);
	expo_single(e, "node_ntp_root_delay_seconds", METRIC_GAUGE,
		    "Round trip delay of the NTP server to its reference clock.", (double)r->root_delay / 1e9);
	expo_single(e, "node_ntp_root_dispersion_seconds", METRIC_GAUGE,
		    "Dispersion of the NTP server to its reference clock.", (double)r->root_dispersion / 1e9);
	expo_single(e, "node_ntp_sanity", METRIC_GAUGE,
		    "1 if the NTP server's answer passes RFC 5905's checks and the configured limits.",
		    sane ? 1 : 0);
}

/* ---- set-up and the query ---- */

/* Go's net.ParseIP(s).IsLoopback(): 127/8 (also IPv4-mapped) or ::1. */
static bool loopback_ip(const char *s)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, s, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static void ntp_fini(void *state)
{
	free(state);
}

static int ntp_init(void **state, char *err, size_t errlen)
{
	if (!is_local_flag && !loopback_ip(server_flag)) {
		strf(err, errlen, "only IP address of local NTP server is valid for --collector.ntp.server");
		return -1;
	}
	if (version_flag < 2 || version_flag > 4) {
		strf(err, errlen, "invalid NTP protocol version %ld; must be 2, 3, or 4", version_flag);
		return -1;
	}
	if (tolerance_flag < 0) {
		strf(err, errlen, "offset tolerance must be non-negative");
		return -1;
	}
	if (port_flag < 1 || port_flag > 65535) {
		strf(err, errlen, "invalid NTP port number %ld; must be between 1 and 65535 inclusive", port_flag);
		return -1;
	}
	struct ntp_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	log_warn("This collector is deprecated and will be removed in the next major version release.",
		 "collector", "ntp", NULL);
	*state = st;
	return 0;
}

/* The server's address: "[v6]", "v6", "host" take the port flag; "host:port" keeps its own, as upstream. */
static int resolve(struct ntp_state *st, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *s = server_flag, *colon = strrchr(s, ':');
	strf(port, sizeof port, "%ld", port_flag);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (end[1] && (end[1] != ':' || !end[2]))) {
			strf(err, errlen, "bad address %s", s);
			return -1;
		}
		strf(host, sizeof host, "%.*s", (int)(end - s - 1), s + 1);
		if (end[1])
			strf(port, sizeof port, "%s", end + 2);
	} else if (colon && memchr(s, ':', (size_t)(colon - s)) == NULL) {
		strf(host, sizeof host, "%.*s", (int)(colon - s), s);
		strf(port, sizeof port, "%s", colon + 1);
	} else {
		strf(host, sizeof host, "%s", s);
	}
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		strf(err, errlen, "lookup %s: %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(&st->addr, res->ai_addr, res->ai_addrlen);
	st->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NS + ts.tv_nsec;
}

static int ntp_collect(struct scrape *s, struct expo *e)
{
	struct ntp_state *st = s->state;
	char err[300];
	if (resolve(st, err, sizeof err) < 0)
		return scrape_fail(s, "couldn't get SNTP reply: %s", err);
	int fd = socket(st->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return scrape_fail(s, "couldn't get SNTP reply: %s", strerror(errno));
	int ttl = (int)ttl_flag, rc;
	if (ttl != 0) {
		rc = st->addr.ss_family == AF_INET6
			     ? setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl)
			     : setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
		if (rc < 0) {
			rc = errno;
			close(fd);
			return scrape_fail(s, "couldn't get SNTP reply: setting TTL: %s", strerror(rc));
		}
	}
	if (connect(fd, (struct sockaddr *)&st->addr, st->addrlen) < 0) {
		rc = errno;
		close(fd);
		return scrape_fail(s, "couldn't get SNTP reply: %s", strerror(rc));
	}
	unsigned char req[48] = { 0 }, reply[8192];
	uint64_t sent;
	if (getrandom(&sent, sizeof sent, 0) != sizeof sent) {
		close(fd);
		return scrape_fail(s, "couldn't get SNTP reply: no random numbers");
	}
	req[0] = (unsigned char)(0 << 6 | version_flag << 3 | 3); /* no warning, version, client */
	req[3] = 0x20;
	for (int i = 0; i < 8; i++)
		req[40 + i] = (unsigned char)(sent >> (56 - 8 * i));
	int64_t t_sent = realtime_ns();
	if (send(fd, req, sizeof req, 0) < 0) {
		rc = errno;
		close(fd);
		return scrape_fail(s, "couldn't get SNTP reply: %s", strerror(rc));
	}
	/* ntpdate's 1 s, or the time the scrape has left. */
	double wait = scrape_remaining(s) - 0.1;
	if (wait > 1)
		wait = 1;
	ssize_t n = -1;
	double end = mono_now() + wait;
	for (;;) {
		double left = end - mono_now();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		rc = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			close(fd);
			return scrape_fail(s, "couldn't get SNTP reply: %s", rc == 0 ? "i/o timeout" : strerror(errno));
		}
		n = recv(fd, reply, sizeof reply, 0);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	int64_t t_recv = realtime_ns();
	rc = errno;
	close(fd);
	if (n < 0)
		return scrape_fail(s, "couldn't get SNTP reply: %s", strerror(rc));
	if (t_recv < t_sent)
		t_recv = t_sent;
	struct ntp_result r;
	rc = ntp_parse(reply, (size_t)n, sent, ntp_from_unix_ns(t_sent), ntp_from_unix_ns(t_recv), &r);
	if (rc == -EBADMSG)
		return scrape_fail(s, "couldn't get SNTP reply: short reply of %zd bytes", n);
	if (rc < 0)
		return scrape_fail(s, "couldn't get SNTP reply: invalid response");
	ntp_emit(e, &r, ntp_sane(&r, max_distance_flag, tolerance_flag, &st->leap_midnight));
	return COLLECT_OK;
}

const struct collector_def collector_ntp = {
	.name = "ntp",
	.default_enabled = false,
	.flags = ntp_flags,
	.nflags = sizeof ntp_flags / sizeof ntp_flags[0],
	.init = ntp_init,
	.collect = ntp_collect,
	.fini = ntp_fini,
};
