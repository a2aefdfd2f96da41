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

#endif
