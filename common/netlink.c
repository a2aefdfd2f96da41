#include "netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The kernel sends dump parts of at most 32 KiB; twice that leaves room. */
#define RX_SIZE 65536
#define SEQ 1u

int nl_attrs(const void *data, size_t len, const struct rtattr **tb, size_t max)
{
	for (size_t i = 0; i <= max; i++)
		tb[i] = NULL;
	const char *p = data;
	while (len >= sizeof(struct rtattr)) {
		const struct rtattr *a = (const struct rtattr *)p;
		if (a->rta_len < sizeof(struct rtattr) || a->rta_len > len)
			return -EBADMSG;
		if (a->rta_type <= max)
			tb[a->rta_type] = a;
		size_t step = RTA_ALIGN(a->rta_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int nl_parse(const void *data, size_t len, uint32_t seq, nl_msg_fn fn, void *ctx)
{
	const char *p = data;
	while (len > 0) {
		if (len < sizeof(struct nlmsghdr))
			return -EBADMSG;
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		if (h->nlmsg_len < sizeof *h || h->nlmsg_len > len)
			return -EBADMSG;
		/* Replies to another request (none should arrive on our socket). */
		if (h->nlmsg_seq == seq) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 1;
			if (h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					return -EBADMSG;
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error < 0 ? e->error : -EPROTO;
			}
			if (h->nlmsg_type >= NLMSG_MIN_TYPE) {
				int rc = fn(h, ctx);
				if (rc)
					return rc;
			}
		}
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int nl_dump(const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn, void *ctx)
{
	buf_reset(rx);
	int rc = buf_reserve(rx, RX_SIZE);
	if (rc)
		return rc;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* A kernel that never answers must not hold the scrape forever. */
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	char reqbuf[256];
	if (req->nlmsg_len > sizeof reqbuf) {
		close(fd);
		return -EINVAL;
	}
	memcpy(reqbuf, req, req->nlmsg_len);
	((struct nlmsghdr *)(void *)reqbuf)->nlmsg_seq = SEQ;
	if (sendto(fd, reqbuf, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (rc = 0; rc == 0;) {
		struct sockaddr_nl from;
		struct iovec iov = { rx->data, rx->cap };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
				      .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			break;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			rc = -EMSGSIZE;
			break;
		}
		if (n == 0) {
			rc = -EBADMSG;
			break;
		}
		if (from.nl_pid != 0) /* not from the kernel */
			continue;
		rc = nl_parse(rx->data, (size_t)n, SEQ, fn, ctx);
	}
	close(fd);
	return rc == 1 ? 0 : rc;
}

/* Fields of struct rtnl_link_stats(64) up to rx_compressed/tx_compressed (kernel < 4.6). */
#define STATS_MIN_FIELDS 23
#define STATS_FIELDS (sizeof(struct nl_link_stats) / sizeof(uint64_t))

int nl_link_stats(const struct rtattr *const *tb, struct nl_link_stats *st)
{
	uint64_t v[STATS_FIELDS] = { 0 };
	const struct rtattr *a64 = tb[IFLA_STATS64], *a32 = tb[IFLA_STATS];
	if (a64 && nl_attr_len(a64) >= STATS_MIN_FIELDS * sizeof(uint64_t)) {
		size_t n = nl_attr_len(a64) / sizeof(uint64_t);
		memcpy(v, nl_attr_data(a64), (n < STATS_FIELDS ? n : STATS_FIELDS) * sizeof(uint64_t));
	} else if (a32 && nl_attr_len(a32) >= STATS_MIN_FIELDS * sizeof(uint32_t)) {
		size_t n = nl_attr_len(a32) / sizeof(uint32_t);
		if (n > STATS_FIELDS)
			n = STATS_FIELDS;
		const unsigned char *p = nl_attr_data(a32);
		for (size_t i = 0; i < n; i++) {
			uint32_t x;
			memcpy(&x, p + i * sizeof x, sizeof x);
			v[i] = x;
		}
	} else {
		return -1;
	}
	memcpy(st, v, sizeof v);
	return 0;
}
