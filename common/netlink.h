/*
 * Netlink requests with plain Linux headers and a socket: rtnetlink dumps
 * (links, neighbours, routes, qdiscs), sock_diag (TCP sockets) and generic
 * netlink (nl80211, ethtool). Replies are read into a caller's buffer and
 * handed over message by message; attributes are indexed in place.
 */
#ifndef COMMON_NETLINK_H
#define COMMON_NETLINK_H

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Called for each reply message; a non-zero return stops the exchange and is returned. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *h, void *ctx);

/* A netlink socket of one protocol for several exchanges (sequence numbers kept). */
struct nl_sock {
	int fd;
	uint32_t seq;
};

/*
 * Open a socket of protocol (NETLINK_ROUTE, NETLINK_SOCK_DIAG,
 * NETLINK_GENERIC...). Replies not arriving within 5 s end an exchange
 * with -ETIMEDOUT. Returns 0 or -errno.
 */
int nl_open(struct nl_sock *ns, int protocol);

/* Close the socket (a closed or never opened one is ignored). */
void nl_close(struct nl_sock *ns);

/*
 * Send req (a complete request starting with its nlmsghdr, at most 1 KiB;
 * NLM_F_REQUEST plus NLM_F_DUMP or NLM_F_ACK set by the caller, so that
 * the kernel ends its answer) with the socket's next sequence number, and
 * call fn for every reply message until NLMSG_DONE or the acknowledgement.
 * rx is the receive buffer (grown to 64 KiB). Returns 0, a callback's
 * non-zero value, or -errno (the kernel's error, -EBADMSG for a malformed
 * reply, -ETIMEDOUT if the kernel did not answer).
 */
int nl_exchange(struct nl_sock *ns, const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn,
		void *ctx);

/* nl_exchange() on a socket of protocol opened and closed for this one request. */
int nl_request(int protocol, const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn, void *ctx);

/* nl_request() on NETLINK_ROUTE. */
int nl_dump(const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn, void *ctx);

/*
 * Walk the messages of one datagram of len bytes for a request with
 * sequence number seq: calls fn for each, stops at NLMSG_DONE or an
 * acknowledgement (returns 1) or an error (returns its -errno; a dump that
 * failed half-way carries one in its NLMSG_DONE). Returns 0 if more
 * datagrams follow, -EBADMSG on a truncated or malformed message.
 */
int nl_parse(const void *data, size_t len, uint32_t seq, nl_msg_fn fn, void *ctx);

/*
 * Index the attributes in [data, data+len): tb[type] points at the last
 * attribute of each type <= max (others NULL); the nested and byte-order
 * flag bits of the type are ignored, so nested attributes (data of an
 * attribute) are indexed the same way. Returns 0, or -EBADMSG if an
 * attribute runs past the end.
 */
int nl_attrs(const void *data, size_t len, const struct rtattr **tb, size_t max);

/*
 * Call fn(attribute, ctx) for each attribute in [data, data+len) in order
 * (repeated types included). Returns 0, fn's non-zero value, or -EBADMSG.
 */
int nl_attr_each(const void *data, size_t len, int (*fn)(const struct rtattr *a, void *ctx),
		 void *ctx);

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
 * Integer attributes in host byte order (as netlink sends them). A missing
 * (NULL) or too short attribute gives -1 and leaves *v alone, else 0.
 */
int nl_attr_u8(const struct rtattr *a, uint8_t *v);
int nl_attr_u16(const struct rtattr *a, uint16_t *v);
int nl_attr_u32(const struct rtattr *a, uint32_t *v);
int nl_attr_u64(const struct rtattr *a, uint64_t *v);

/*
 * A string attribute copied to dst (cap bytes, NUL-terminated), up to its
 * first NUL. Returns its length, or -1 if a is NULL or it does not fit.
 */
int nl_attr_str(const struct rtattr *a, char *dst, size_t cap);

/*
 * Append an attribute to the message h, whose buffer holds cap bytes, and
 * grow nlmsg_len. Returns 0, or -EMSGSIZE if it does not fit.
 */
int nl_put(struct nlmsghdr *h, size_t cap, uint16_t type, const void *data, size_t len);

/*
 * Open a nested attribute of type (NLA_F_NESTED set, as strict generic
 * netlink families require) at the end of h: returns its offset for
 * nl_nest_end(), or -EMSGSIZE. Attributes put in between are its content.
 */
int nl_nest_start(struct nlmsghdr *h, size_t cap, uint16_t type);
void nl_nest_end(struct nlmsghdr *h, int start);

/*
 * The id of the generic netlink family name (CTRL_CMD_GETFAMILY) on ns.
 * Returns 0, or -ENOENT when the kernel has no such family (module not
 * loaded), or another -errno.
 */
int genl_family(struct nl_sock *ns, const char *name, struct buf *rx, uint16_t *id);

/* The attributes of a generic netlink message (after its genlmsghdr), or NULL if it is too short. */
const void *genl_attrs(const struct nlmsghdr *h, size_t *len);

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

/*
 * The name of every interface by index, from one RTM_GETLINK dump: a
 * sorted table the caller frees with free(). Returns the count, or -errno.
 */
struct nl_ifname {
	int index;
	char name[16];
};
int nl_ifnames(struct buf *rx, struct nl_ifname **out);

/* The name of interface index in a table from nl_ifnames(), or NULL. */
const char *nl_ifname_of(const struct nl_ifname *t, size_t n, int index);

/*
 * An address of len bytes (4 or 16) as Go's net.IP prints it: dotted
 * IPv4 (also for an IPv4-mapped IPv6 address), else IPv6 with the longest
 * run of two or more zero groups as "::". dst holds at least 46 bytes.
 * Returns 0, or -1 for another length (dst is then "").
 */
#define NL_IPSTR 46
int nl_ip_string(const void *addr, size_t len, char *dst);

#endif
