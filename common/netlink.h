/*
 * rtnetlink dumps with plain Linux headers and a socket: the link table with
 * its counters (RTM_GETLINK, for netdev) and the neighbour table
 * (RTM_GETNEIGH, for arp). One socket per dump, closed afterwards; replies
 * are read into a caller's buffer and handed over message by message.
 */
#ifndef COMMON_NETLINK_H
#define COMMON_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Called for each reply message of a dump; a non-zero return stops it and is returned. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *h, void *ctx);

/*
 * Send req (a complete request starting with its nlmsghdr, NLM_F_DUMP set
 * by the caller) on a new NETLINK_ROUTE socket and call fn for every reply
 * message until NLMSG_DONE. rx is the receive buffer (grown to 64 KiB).
 * Returns 0, a callback's non-zero value, or -errno (-EBADMSG for a
 * malformed reply, -ETIMEDOUT if the kernel did not answer in 5 s).
 */
int nl_dump(const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn, void *ctx);

/*
 * Walk the messages of one datagram of len bytes for a request with
 * sequence number seq: calls fn for each, stops at NLMSG_DONE (returns 1)
 * or NLMSG_ERROR (returns its -errno). Returns 0 if more datagrams follow,
 * -EBADMSG on a truncated or malformed message.
 */
int nl_parse(const void *data, size_t len, uint32_t seq, nl_msg_fn fn, void *ctx);

/*
 * Index the attributes in [data, data+len): tb[type] points at the last
 * attribute of each type <= max (others NULL). Returns 0, or -EBADMSG if an
 * attribute runs past the end.
 */
int nl_attrs(const void *data, size_t len, const struct rtattr **tb, size_t max);

/* The payload of an attribute and its length. */
static inline const void *nl_attr_data(const struct rtattr *a)
{
	return RTA_DATA(a);
}

static inline size_t nl_attr_len(const struct rtattr *a)
{
	return (size_t)RTA_PAYLOAD(a);
}

/*
 * Interface counters as struct rtnl_link_stats64 orders them. Fields the
 * kernel did not send are 0.
 */
struct nl_link_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped,
		tx_dropped, multicast, collisions;
	uint64_t rx_length_errors, rx_over_errors, rx_crc_errors, rx_frame_errors, rx_fifo_errors,
		rx_missed_errors;
	uint64_t tx_aborted_errors, tx_carrier_errors, tx_fifo_errors, tx_heartbeat_errors,
		tx_window_errors;
	uint64_t rx_compressed, tx_compressed, rx_nohandler;
};

/*
 * Fill *st from a link message's attributes: IFLA_STATS64, or the 32-bit
 * IFLA_STATS when a kernel sends only those. Returns 0, or -1 when neither
 * is present or they are too short.
 */
int nl_link_stats(const struct rtattr *const *tb, struct nl_link_stats *st);

#endif
