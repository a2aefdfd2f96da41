/*
 * tcpstat (off by default): TCP sockets per connection state and the bytes
 * in their queues, node_tcp_connection_states{state}, from a sock_diag
 * (INET_DIAG) dump of IPv4 sockets, and of IPv6 sockets too when
 * <procfs>/net/tcp6 exists, as upstream. Only states that have sockets are
 * reported; rx/tx_queued_bytes sum the receive and send queues (for a
 * listening socket the kernel reports its accept backlog and its limit
 * there, which upstream adds in as well).
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../replies.h"

/* Label values by state number (include/net/tcp_states.h), then the two queue sums. */
static const char *const state_names[TCPSTAT_SLOTS] = {
	[1] = "established", [2] = "syn_sent",   [3] = "syn_recv", [4] = "fin_wait1",
	[5] = "fin_wait2",   [6] = "time_wait",  [7] = "close",    [8] = "close_wait",
	[9] = "last_ack",    [10] = "listen",    [11] = "closing",
	[TCPSTAT_RX_QUEUED] = "rx_queued_bytes", [TCPSTAT_TX_QUEUED] = "tx_queued_bytes",
	[TCPSTAT_UNKNOWN] = "unknown",
};

static int on_socket(const struct nlmsghdr *h, void *ctx)
{
	return tcpstat_add(ctx, h);
}

int tcpstat_add(struct tcpstat *t, const struct nlmsghdr *h)
{
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return -EBADMSG;
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	unsigned state = m->idiag_state;
	/* Numbers upstream has no name for share "unknown" (12 and 13 are its queue slots). */
	if (state == 0 || state >= TCPSTAT_RX_QUEUED)
		state = TCPSTAT_UNKNOWN;
	t->seen[state] = true;
	t->v[state]++;
	t->seen[TCPSTAT_RX_QUEUED] = t->seen[TCPSTAT_TX_QUEUED] = true;
	t->v[TCPSTAT_RX_QUEUED] += m->idiag_rqueue;
	t->v[TCPSTAT_TX_QUEUED] += m->idiag_wqueue;
	return 0;
}

/* One family's TCP sockets in every state added to t; returns 0 or -errno. */
static int dump_family(struct buf *rx, struct tcpstat *t, uint8_t family)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		  .r = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 0xfff } };
	return nl_request(NETLINK_SOCK_DIAG, &req.h, rx, on_socket, t);
}

void tcpstat_emit(const struct tcpstat *t, struct expo *e)
{
	struct family *f = expo_family(e, "node_tcp_connection_states", METRIC_GAUGE,
				       "TCP sockets in each state, and the bytes in their queues.",
				       (const char *const[]){ "state", NULL });
	for (size_t i = 0; i < TCPSTAT_SLOTS; i++)
		if (t->seen[i])
			expo_sample(e, f, (double)t->v[i], state_names[i]);
}

static int tcpstat_collect(struct scrape *s, struct expo *e)
{
	struct tcpstat t = { 0 };
	int rc = dump_family(scrape_buf(s), &t, AF_INET);
	if (rc < 0)
		return scrape_fail(s, "couldn't get tcpstats: %s", strerror(-rc));
	char path[4096];
	if (proc_path(path, sizeof path, "net/tcp6") < 0)
		return scrape_fail(s, "path too long");
	if (access(path, F_OK) == 0) {
		rc = dump_family(scrape_buf(s), &t, AF_INET6);
		if (rc < 0)
			return scrape_fail(s, "couldn't get tcp6stats: %s", strerror(-rc));
	}
	tcpstat_emit(&t, e);
	return COLLECT_OK;
}

const struct collector_def collector_tcpstat = {
	.name = "tcpstat",
	.default_enabled = false,
	.collect = tcpstat_collect,
};
