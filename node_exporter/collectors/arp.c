/*
 * arp: IPv4 neighbour (ARP) entries per interface. The default source is an
 * rtnetlink neighbour dump, counting entries not in state NUD_NOARP as
 * /proc/net/arp shows them; --no-collector.arp.netlink reads
 * <procfs>/net/arp instead.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../../common/rx.h"

static const char *include_flag, *exclude_flag;
static bool netlink_flag;

static struct flag arp_flags[] = {
	{ .name = "collector.arp.device-include", .type = FLAG_STRING, .dest = &include_flag,
	  .help = "Regexp of arp devices to include (mutually exclusive to device-exclude)." },
	{ .name = "collector.arp.device-exclude", .type = FLAG_STRING, .dest = &exclude_flag,
	  .help = "Regexp of arp devices to exclude (mutually exclusive to device-include)." },
	{ .name = "collector.arp.netlink", .type = FLAG_BOOL, .dest = &netlink_flag, .def = "true",
	  .help = "Use netlink to gather stats instead of /proc/net/arp." },
};

struct count {
	char dev[IF_NAMESIZE + 1];
	unsigned ifindex;
	unsigned long n;
};

struct arp_state {
	struct rx *include, *exclude;
	struct count *counts; /* reused between scrapes */
	size_t n, cap;
};

static void arp_fini(void *state)
{
	struct arp_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	free(st->counts);
	free(st);
}

static int arp_init(void **state, char *err, size_t errlen)
{
	struct arp_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	char rxerr[300];
	/* Upstream compiles both and applies both; it does not reject the pair. */
	if (include_flag[0] && !(st->include = rx_compile(include_flag, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.arp.device-include: %s", rxerr);
		arp_fini(st);
		return -1;
	}
	if (exclude_flag[0] && !(st->exclude = rx_compile(exclude_flag, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.arp.device-exclude: %s", rxerr);
		arp_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* The counter of device dev (by name, or by ifindex when dev is NULL). */
static struct count *slot(struct arp_state *st, const char *dev, unsigned ifindex)
{
	for (size_t i = 0; i < st->n; i++)
		if (dev ? !strcmp(st->counts[i].dev, dev) : st->counts[i].ifindex == ifindex)
			return &st->counts[i];
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct count *p = realloc(st->counts, cap * sizeof *p);
		if (!p)
			return NULL;
		st->counts = p;
		st->cap = cap;
	}
	struct count *c = &st->counts[st->n++];
	memset(c, 0, sizeof *c);
	if (dev)
		strf(c->dev, sizeof c->dev, "%s", dev);
	c->ifindex = ifindex;
	return c;
}

static int on_neigh(const struct nlmsghdr *h, void *arg)
{
	struct arp_state *st = arg;
	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndmsg)))
		return 0;
	const struct ndmsg *nd = NLMSG_DATA(h);
	if (nd->ndm_family != AF_INET || (nd->ndm_state & NUD_NOARP))
		return 0;
	struct count *c = slot(st, NULL, (unsigned)nd->ndm_ifindex);
	if (!c)
		return -ENOMEM;
	c->n++;
	return 0;
}

static int collect_netlink(struct scrape *s, struct arp_state *st)
{
	struct {
		struct nlmsghdr h;
		struct ndmsg nd;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETNEIGH,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		  .nd = { .ndm_family = AF_INET } };
	int rc = nl_dump(&req.h, scrape_buf(s), on_neigh, st);
	if (rc < 0)
		return scrape_fail(s, "could not get ARP entries: rtnetlink neighbour dump: %s",
				   strerror(-rc));
	/* Names of the interfaces seen; entries of a link that just vanished are dropped. */
	size_t out = 0;
	for (size_t i = 0; i < st->n; i++) {
		char name[IF_NAMESIZE];
		if (!if_indextoname(st->counts[i].ifindex, name))
			continue;
		st->counts[out] = st->counts[i];
		strf(st->counts[out].dev, sizeof st->counts[out].dev, "%s", name);
		out++;
	}
	st->n = out;
	return COLLECT_OK;
}

/* Go's net.ParseMAC: 6, 8 or 20 bytes as xx:xx, xx-xx or xxxx.xxxx groups. */
static bool valid_mac(const char *s)
{
	size_t n = strlen(s);
	if (n < 14)
		return false;
	if (s[2] == ':' || s[2] == '-') {
		if ((n + 1) % 3 != 0)
			return false;
		size_t bytes = (n + 1) / 3;
		if (bytes != 6 && bytes != 8 && bytes != 20)
			return false;
		for (size_t i = 0; i < n; i++) {
			if (i % 3 == 2) {
				if (s[i] != s[2])
					return false;
			} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
				     (s[i] >= 'A' && s[i] <= 'F'))) {
				return false;
			}
		}
		return true;
	}
	if (s[4] == '.') {
		if ((n + 1) % 5 != 0)
			return false;
		size_t bytes = 2 * (n + 1) / 5;
		if (bytes != 6 && bytes != 8 && bytes != 20)
			return false;
		for (size_t i = 0; i < n; i++) {
			if (i % 5 == 4) {
				if (s[i] != '.')
					return false;
			} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
				     (s[i] >= 'A' && s[i] <= 'F'))) {
				return false;
			}
		}
		return true;
	}
	return false;
}

static int collect_proc(struct scrape *s, struct arp_state *st)
{
	char path[4096];
	if (proc_path(path, sizeof path, "net/arp") < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc < 0)
		return scrape_fail(s, "could not get ARP entries: %s: %s", path, strerror(-rc));
	char *cur = b->data, *line;
	while ((line = next_line(&cur))) {
		char *f[10];
		size_t n = split_fields(line, f, 10);
		if (n == 0 || n == 9) /* blank, or the header */
			continue;
		if (n != 6)
			return scrape_fail(s, "could not get ARP entries: %zu columns found, but expected 6",
					   n);
		uint64_t flags;
		bool hex = f[2][0] == '0' && (f[2][1] == 'x' || f[2][1] == 'X');
		if (!valid_mac(f[3]) || (hex ? parse_hex_u64(f[2], &flags) : parse_u64(f[2], &flags)) < 0 ||
		    flags > 0xff)
			return scrape_fail(s, "could not get ARP entries: failed to parse entry for %s", f[0]);
		struct count *c = slot(st, f[5], 0);
		if (!c)
			return scrape_fail(s, "out of memory");
		c->n++;
	}
	return COLLECT_OK;
}

static int arp_collect(struct scrape *s, struct expo *e)
{
	struct arp_state *st = s->state;
	st->n = 0;
	int rc = netlink_flag ? collect_netlink(s, st) : collect_proc(s, st);
	if (rc != COLLECT_OK)
		return rc;
	struct family *f = expo_family(e, "node_arp_entries", METRIC_GAUGE,
				       "IPv4 neighbour (ARP) entries per device.",
				       (const char *const[]){ "device", NULL });
	for (size_t i = 0; i < st->n; i++)
		if (!rx_ignored(st->include, st->exclude, st->counts[i].dev))
			expo_sample(e, f, (double)st->counts[i].n, st->counts[i].dev);
	return COLLECT_OK;
}

const struct collector_def collector_arp = {
	.name = "arp",
	.default_enabled = true,
	.flags = arp_flags,
	.nflags = sizeof arp_flags / sizeof arp_flags[0],
	.init = arp_init,
	.collect = arp_collect,
	.fini = arp_fini,
};
