/*
 * The parsers of node_exporter's netlink collectors, reachable from unit
 * tests that feed them canned kernel replies. Each is defined in its
 * collector's file.
 */
#ifndef NODE_NLPARSE_H
#define NODE_NLPARSE_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/expo.h"
#include "../common/netlink.h"

/* ---- tcpstat ---- */

/* Slots 1..11 are TCP states; then the queue sums and "unknown". */
enum { TCPSTAT_RX_QUEUED = 12, TCPSTAT_TX_QUEUED, TCPSTAT_UNKNOWN, TCPSTAT_SLOTS };

struct tcpstat {
	double v[TCPSTAT_SLOTS];
	bool seen[TCPSTAT_SLOTS];
};

/* Count one SOCK_DIAG_BY_FAMILY reply message; returns 0, or -EBADMSG if it is too short. */
int tcpstat_add(struct tcpstat *t, const struct nlmsghdr *h);

/* node_tcp_connection_states for the states seen. */
void tcpstat_emit(const struct tcpstat *t, struct expo *e);

/* ---- network_route ---- */

struct route_table {
	/* Set by the caller: interface names by index (from nl_ifnames()). */
	const struct nl_ifname *ifs;
	size_t nifs;
	/* Kept between scrapes: routes per device. */
	struct route_dev {
		char name[16];
		unsigned long n;
	} *dev;
	size_t ndev, devcap;
	struct expo *e;
	struct family *info;
};

/* Declare node_network_route_info in e and forget the device counts. */
void route_table_start(struct route_table *rt, struct expo *e);

/*
 * One RTM_NEWROUTE message: a route_info series per unicast route (per
 * next hop of a multipath one). Returns 0, or -EBADMSG / -ENOMEM.
 */
int route_add(struct route_table *rt, const struct nlmsghdr *h);

/* node_network_routes from the counts. */
void route_table_finish(struct route_table *rt);

/* ---- qdisc ---- */

struct qdisc_info {
	int ifindex;
	uint32_t parent; /* 0 for a root qdisc (the kernel's TC_H_ROOT) */
	char kind[32];
	uint64_t bytes;
	uint32_t packets, drops, requeues, overlimits, qlen, backlog;
};

/*
 * One RTM_NEWQDISC message into *q. Returns 0, 1 for a message of another
 * type, or -EBADMSG.
 */
int qdisc_parse(const struct nlmsghdr *h, struct qdisc_info *q);

#endif
