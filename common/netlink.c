#include "netlink.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "parse.h"

/* The kernel sends dump parts of at most 32 KiB; twice that leaves room. */
#define RX_SIZE 65536
#define REQ_MAX 1024

int nl_attr_each(const void *data, size_t len, int (*fn)(const struct rtattr *a, void *ctx),
		 void *ctx)
{
	const char *p = data;
	while (len >= sizeof(struct rtattr)) {
		const struct rtattr *a = (const struct rtattr *)p;
		if (a->rta_len < sizeof(struct rtattr) || a->rta_len > len)
			return -EBADMSG;
		int rc = fn(a, ctx);
		if (rc)
			return rc;
		size_t step = RTA_ALIGN(a->rta_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

struct attr_index {
	const struct rtattr **tb;
	size_t max;
};

static int index_attr(const struct rtattr *a, void *ctx)
{
	struct attr_index *ix = ctx;
	size_t type = a->rta_type & NLA_TYPE_MASK;
	if (type <= ix->max)
		ix->tb[type] = a;
	return 0;
}

int nl_attrs(const void *data, size_t len, const struct rtattr **tb, size_t max)
{
	for (size_t i = 0; i <= max; i++)
		tb[i] = NULL;
	struct attr_index ix = { tb, max };
	return nl_attr_each(data, len, index_attr, &ix);
}

static int attr_copy(const struct rtattr *a, void *v, size_t size)
{
	if (!a || nl_attr_len(a) < size)
		return -1;
	memcpy(v, nl_attr_data(a), size);
	return 0;
}

int nl_attr_u8(const struct rtattr *a, uint8_t *v)
{
	return attr_copy(a, v, sizeof *v);
}

int nl_attr_u16(const struct rtattr *a, uint16_t *v)
{
	return attr_copy(a, v, sizeof *v);
}

int nl_attr_u32(const struct rtattr *a, uint32_t *v)
{
	return attr_copy(a, v, sizeof *v);
}

int nl_attr_u64(const struct rtattr *a, uint64_t *v)
{
	return attr_copy(a, v, sizeof *v);
}

int nl_attr_str(const struct rtattr *a, char *dst, size_t cap)
{
	if (!a || cap == 0)
		return -1;
	const char *s = nl_attr_data(a);
	size_t n = nl_attr_len(a);
	const char *nul = memchr(s, '\0', n);
	if (nul)
		n = (size_t)(nul - s);
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return (int)n;
}

int nl_put(struct nlmsghdr *h, size_t cap, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(h->nlmsg_len);
	if (len > 0xffff - RTA_LENGTH(0) || off + RTA_SPACE(len) > cap)
		return -EMSGSIZE;
	struct rtattr *a = (struct rtattr *)(void *)((char *)h + off);
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	a->rta_type = type;
	if (len)
		memcpy(RTA_DATA(a), data, len);
	memset((char *)RTA_DATA(a) + len, 0, RTA_SPACE(len) - RTA_LENGTH(len));
	h->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return 0;
}

int nl_nest_start(struct nlmsghdr *h, size_t cap, uint16_t type)
{
	size_t off = NLMSG_ALIGN(h->nlmsg_len);
	if (nl_put(h, cap, type | NLA_F_NESTED, NULL, 0) < 0)
		return -EMSGSIZE;
	return (int)off;
}

void nl_nest_end(struct nlmsghdr *h, int start)
{
	struct rtattr *a = (struct rtattr *)(void *)((char *)h + start);
	a->rta_len = (unsigned short)(h->nlmsg_len - (uint32_t)start);
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
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump the kernel could not finish says why here. */
				int32_t err = 0;
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof err))
					memcpy(&err, NLMSG_DATA(h), sizeof err);
				return err < 0 ? err : 1;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					return -EBADMSG;
				const struct nlmsgerr *e = NLMSG_DATA(h);
				/* Error 0 is the acknowledgement that ends a request. */
				return e->error < 0 ? e->error : e->error == 0 ? 1 : -EPROTO;
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

int nl_open(struct nl_sock *ns, int protocol)
{
	ns->seq = 0;
	ns->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (ns->fd < 0)
		return -errno;
	/* A kernel that never answers must not hold the scrape forever. */
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(ns->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return 0;
}

void nl_close(struct nl_sock *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

int nl_exchange(struct nl_sock *ns, const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn,
		void *ctx)
{
	union {
		struct nlmsghdr h;
		char bytes[REQ_MAX];
	} copy;
	if (req->nlmsg_len < sizeof *req || req->nlmsg_len > sizeof copy)
		return -EINVAL;
	buf_reset(rx);
	int rc = buf_reserve(rx, RX_SIZE);
	if (rc)
		return rc;
	memcpy(copy.bytes, req, req->nlmsg_len);
	uint32_t seq = ++ns->seq;
	copy.h.nlmsg_seq = seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(ns->fd, copy.bytes, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	for (rc = 0; rc == 0;) {
		struct sockaddr_nl from;
		struct iovec iov = { rx->data, rx->cap };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
				      .msg_iovlen = 1 };
		ssize_t n = recvmsg(ns->fd, &msg, 0);
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
		rc = nl_parse(rx->data, (size_t)n, seq, fn, ctx);
	}
	return rc == 1 ? 0 : rc;
}

int nl_request(int protocol, const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn, void *ctx)
{
	struct nl_sock ns;
	int rc = nl_open(&ns, protocol);
	if (rc)
		return rc;
	rc = nl_exchange(&ns, req, rx, fn, ctx);
	nl_close(&ns);
	return rc;
}

int nl_dump(const struct nlmsghdr *req, struct buf *rx, nl_msg_fn fn, void *ctx)
{
	return nl_request(NETLINK_ROUTE, req, rx, fn, ctx);
}

const void *genl_attrs(const struct nlmsghdr *h, size_t *len)
{
	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return NULL;
	*len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
}

static int on_family(const struct nlmsghdr *h, void *ctx)
{
	size_t len;
	const void *attrs = genl_attrs(h, &len);
	const struct rtattr *tb[CTRL_ATTR_MAX + 1];
	if (h->nlmsg_type != GENL_ID_CTRL || !attrs || nl_attrs(attrs, len, tb, CTRL_ATTR_MAX) < 0)
		return -EBADMSG;
	return nl_attr_u16(tb[CTRL_ATTR_FAMILY_ID], ctx) < 0 ? -EBADMSG : 0;
}

int genl_family(struct nl_sock *ns, const char *name, struct buf *rx, uint16_t *id)
{
	union {
		struct nlmsghdr h;
		char bytes[128];
	} req = { .h = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = GENL_ID_CTRL,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK } };
	struct genlmsghdr *g = NLMSG_DATA(&req.h);
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	if (nl_put(&req.h, sizeof req, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1) < 0)
		return -EINVAL;
	*id = 0;
	int rc = nl_exchange(ns, &req.h, rx, on_family, id);
	if (rc == 0 && *id == 0)
		rc = -EBADMSG;
	return rc;
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

struct ifname_table {
	struct nl_ifname *t;
	size_t n, cap;
};

static int on_ifname(const struct nlmsghdr *h, void *ctx)
{
	struct ifname_table *tab = ctx;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 0;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_IFNAME + 1];
	if (nl_attrs(IFLA_RTA(ifi), IFLA_PAYLOAD(h), tb, IFLA_IFNAME) < 0)
		return -EBADMSG;
	if (tab->n == tab->cap) {
		size_t cap = tab->cap ? tab->cap * 2 : 16;
		struct nl_ifname *p = realloc(tab->t, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		tab->t = p;
		tab->cap = cap;
	}
	struct nl_ifname *e = &tab->t[tab->n];
	e->index = ifi->ifi_index;
	if (nl_attr_str(tb[IFLA_IFNAME], e->name, sizeof e->name) < 0)
		e->name[0] = '\0';
	tab->n++;
	return 0;
}

static int by_index(const void *a, const void *b)
{
	int x = ((const struct nl_ifname *)a)->index, y = ((const struct nl_ifname *)b)->index;
	return (x > y) - (x < y);
}

int nl_ifnames(struct buf *rx, struct nl_ifname **out)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	struct ifname_table tab = { 0 };
	int rc = nl_dump(&req.h, rx, on_ifname, &tab);
	if (rc < 0) {
		free(tab.t);
		return rc;
	}
	if (tab.n)
		qsort(tab.t, tab.n, sizeof *tab.t, by_index);
	*out = tab.t;
	return (int)tab.n;
}

const char *nl_ifname_of(const struct nl_ifname *t, size_t n, int index)
{
	struct nl_ifname key = { .index = index };
	const struct nl_ifname *e = n ? bsearch(&key, t, n, sizeof *t, by_index) : NULL;
	return e ? e->name : NULL;
}

int nl_ip_string(const void *addr, size_t len, char *dst)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const unsigned char *b = addr;
	dst[0] = '\0';
	if (len == 16 && !memcmp(b, mapped, sizeof mapped)) {
		b += 12;
		len = 4;
	}
	if (len == 4) {
		strf(dst, NL_IPSTR, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return 0;
	}
	if (len != 16)
		return -1;
	unsigned w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	int best = -1, best_len = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	static const char hex[] = "0123456789abcdef";
	char *p = dst;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			*p++ = ':';
		bool lead = true;
		for (int s = 12; s >= 0; s -= 4) {
			unsigned d = (w[i] >> s) & 0xf;
			if (lead && d == 0 && s > 0)
				continue;
			lead = false;
			*p++ = hex[d];
		}
	}
	*p = '\0';
	return 0;
}
