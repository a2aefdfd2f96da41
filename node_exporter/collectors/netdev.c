/*
 * netdev: traffic and error counters of each network interface,
 * node_network_<stat>_total{device}. The default source is an rtnetlink link
 * dump (64-bit counters) folded into /proc/net/dev's columns as upstream
 * does; --no-collector.netdev.netlink reads <procfs>/net/dev instead, and
 * --collector.netdev.enable-detailed-metrics exports the unfolded counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../../common/rx.h"

static const char *include_flag, *old_include_flag, *exclude_flag, *old_exclude_flag;
static bool address_info_flag, detailed_flag, netlink_flag, ifalias_flag;

static struct flag netdev_flags[] = {
	{ .name = "collector.netdev.device-include", .type = FLAG_STRING, .dest = &include_flag,
	  .help = "Regexp of net devices to include (mutually exclusive to device-exclude)." },
	{ .name = "collector.netdev.device-whitelist", .type = FLAG_STRING,
	  .dest = &old_include_flag, .help = "DEPRECATED: Use collector.netdev.device-include",
	  .opts = FLAG_HIDDEN },
	{ .name = "collector.netdev.device-exclude", .type = FLAG_STRING, .dest = &exclude_flag,
	  .help = "Regexp of net devices to exclude (mutually exclusive to device-include)." },
	{ .name = "collector.netdev.device-blacklist", .type = FLAG_STRING,
	  .dest = &old_exclude_flag, .help = "DEPRECATED: Use collector.netdev.device-exclude",
	  .opts = FLAG_HIDDEN },
	{ .name = "collector.netdev.address-info", .type = FLAG_BOOL, .dest = &address_info_flag,
	  .def = "false", .help = "Collect address-info for every device" },
	{ .name = "collector.netdev.enable-detailed-metrics", .type = FLAG_BOOL,
	  .dest = &detailed_flag, .def = "false",
	  .help = "Use (incompatible) metric names that provide more detailed stats on Linux" },
	{ .name = "collector.netdev.netlink", .type = FLAG_BOOL, .dest = &netlink_flag,
	  .def = "true", .help = "Use netlink to gather stats instead of /proc/net/dev." },
	{ .name = "collector.netdev.label-ifalias", .type = FLAG_BOOL, .dest = &ifalias_flag,
	  .def = "false", .help = "Add ifAlias label" },
};

struct netdev_state {
	struct rx *include, *exclude;
};

static void netdev_fini(void *state)
{
	struct netdev_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	free(st);
}

static int netdev_setup(struct netdev_state *st, char *err, size_t errlen)
{
	const char *incl = include_flag, *excl = exclude_flag;
	if (old_include_flag[0]) {
		if (incl[0]) {
			strf(err, errlen,
				 "--collector.netdev.device-whitelist and --collector.netdev.device-include are mutually exclusive");
			return -1;
		}
		log_warn("--collector.netdev.device-whitelist is DEPRECATED and will be removed in 2.0.0, use --collector.netdev.device-include",
			 NULL);
		incl = old_include_flag;
	}
	if (old_exclude_flag[0]) {
		if (excl[0]) {
			strf(err, errlen,
				 "--collector.netdev.device-blacklist and --collector.netdev.device-exclude are mutually exclusive");
			return -1;
		}
		log_warn("--collector.netdev.device-blacklist is DEPRECATED and will be removed in 2.0.0, use --collector.netdev.device-exclude",
			 NULL);
		excl = old_exclude_flag;
	}
	if (incl[0] && excl[0]) {
		strf(err, errlen, "device-exclude & device-include are mutually exclusive");
		return -1;
	}
	char rxerr[300];
	if (incl[0] && !(st->include = rx_compile(incl, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.netdev.device-include: %s", rxerr);
		return -1;
	}
	if (excl[0] && !(st->exclude = rx_compile(excl, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.netdev.device-exclude: %s", rxerr);
		return -1;
	}
	if (excl[0])
		log_info("Parsed flag --collector.netdev.device-exclude", "flag", excl, NULL);
	if (incl[0])
		log_info("Parsed Flag --collector.netdev.device-include", "flag", incl, NULL);
	return 0;
}

static int netdev_init(void **state, char *err, size_t errlen)
{
	struct netdev_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (netdev_setup(st, err, errlen) < 0) {
		netdev_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* Unfolded rtnetlink counters, in struct nl_link_stats order. */
static const char *const nl_detailed[] = {
	"node_network_receive_packets_total",	 "node_network_transmit_packets_total",
	"node_network_receive_bytes_total",	 "node_network_transmit_bytes_total",
	"node_network_receive_errors_total",	 "node_network_transmit_errors_total",
	"node_network_receive_dropped_total",	 "node_network_transmit_dropped_total",
	"node_network_multicast_total",		 "node_network_collisions_total",
	"node_network_receive_length_errors_total", "node_network_receive_over_errors_total",
	"node_network_receive_crc_errors_total", "node_network_receive_frame_errors_total",
	"node_network_receive_fifo_errors_total", "node_network_receive_missed_errors_total",
	"node_network_transmit_aborted_errors_total", "node_network_transmit_carrier_errors_total",
	"node_network_transmit_fifo_errors_total", "node_network_transmit_heartbeat_errors_total",
	"node_network_transmit_window_errors_total", "node_network_receive_compressed_total",
	"node_network_transmit_compressed_total", "node_network_receive_nohandler_total",
};
#define NL_FIELDS (sizeof nl_detailed / sizeof nl_detailed[0])

/* /proc/net/dev columns: folded names, and the names procfs gives them unfolded. */
static const char *const proc_legacy[] = {
	"node_network_receive_bytes_total",	  "node_network_receive_packets_total",
	"node_network_receive_errs_total",	  "node_network_receive_drop_total",
	"node_network_receive_fifo_total",	  "node_network_receive_frame_total",
	"node_network_receive_compressed_total",  "node_network_receive_multicast_total",
	"node_network_transmit_bytes_total",	  "node_network_transmit_packets_total",
	"node_network_transmit_errs_total",	  "node_network_transmit_drop_total",
	"node_network_transmit_fifo_total",	  "node_network_transmit_colls_total",
	"node_network_transmit_carrier_total",	  "node_network_transmit_compressed_total",
};
static const char *const proc_detailed[] = {
	"node_network_receive_bytes_total",	  "node_network_receive_packets_total",
	"node_network_receive_errors_total",	  "node_network_receive_dropped_total",
	"node_network_receive_fifo_total",	  "node_network_receive_frame_total",
	"node_network_receive_compressed_total",  "node_network_receive_multicast_total",
	"node_network_transmit_bytes_total",	  "node_network_transmit_packets_total",
	"node_network_transmit_errors_total",	  "node_network_transmit_dropped_total",
	"node_network_transmit_fifo_total",	  "node_network_transmit_colls_total",
	"node_network_transmit_carrier_total",	  "node_network_transmit_compressed_total",
};
#define PROC_FIELDS 16

/* The folded counters: the netlink values summed into /proc/net/dev's columns. */
#define NL_LEGACY 17
static const char *const nl_legacy[NL_LEGACY] = {
	"node_network_receive_packets_total",	 "node_network_transmit_packets_total",
	"node_network_receive_bytes_total",	 "node_network_transmit_bytes_total",
	"node_network_receive_errs_total",	 "node_network_transmit_errs_total",
	"node_network_receive_drop_total",	 "node_network_transmit_drop_total",
	"node_network_receive_multicast_total",	 "node_network_transmit_colls_total",
	"node_network_receive_fifo_total",	 "node_network_receive_frame_total",
	"node_network_transmit_fifo_total",	 "node_network_transmit_carrier_total",
	"node_network_receive_compressed_total", "node_network_transmit_compressed_total",
	"node_network_receive_nohandler_total",
};

static void fold(const struct nl_link_stats *s, uint64_t v[NL_LEGACY])
{
	v[0] = s->rx_packets;
	v[1] = s->tx_packets;
	v[2] = s->rx_bytes;
	v[3] = s->tx_bytes;
	v[4] = s->rx_errors;
	v[5] = s->tx_errors;
	v[6] = s->rx_dropped + s->rx_missed_errors;
	v[7] = s->tx_dropped;
	v[8] = s->multicast;
	v[9] = s->collisions;
	v[10] = s->rx_fifo_errors;
	v[11] = s->rx_frame_errors + s->rx_length_errors + s->rx_over_errors + s->rx_crc_errors;
	v[12] = s->tx_fifo_errors;
	v[13] = s->tx_carrier_errors + s->tx_aborted_errors + s->tx_heartbeat_errors +
		s->tx_window_errors;
	v[14] = s->rx_compressed;
	v[15] = s->tx_compressed;
	v[16] = s->rx_nohandler;
}

static const char *help_for(const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);
	/* "node_network_receive_bytes_total" -> "Network device statistic receive_bytes." */
	strf(buf, cap, "Interface counter %.*s, from the kernel's link statistics.",
		 (int)(n - strlen("node_network_") - strlen("_total")), name + strlen("node_network_"));
	return buf;
}

static void emit(struct expo *e, const char *const *names, const uint64_t *v, size_t n,
		 const char *dev, const char *ifalias)
{
	const char *const with_alias[] = { "device", "ifalias", NULL };
	const char *const plain[] = { "device", NULL };
	for (size_t i = 0; i < n; i++) {
		char help[160];
		struct family *f = expo_family(e, names[i], METRIC_COUNTER,
					       help_for(names[i], help, sizeof help),
					       ifalias_flag ? with_alias : plain);
		if (ifalias_flag)
			expo_sample(e, f, (double)v[i], dev, ifalias);
		else
			expo_sample(e, f, (double)v[i], dev);
	}
}

struct link_ctx {
	struct netdev_state *st;
	struct expo *e;
};

static int on_link(const struct nlmsghdr *h, void *arg)
{
	struct link_ctx *c = arg;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 0;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	if (nl_attrs(IFLA_RTA(ifi), IFLA_PAYLOAD(h), tb, IFLA_MAX) < 0)
		return -EBADMSG;
	char name[64] = "", alias[512] = "";
	if (tb[IFLA_IFNAME]) {
		size_t len = nl_attr_len(tb[IFLA_IFNAME]);
		strf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1),
			 (const char *)nl_attr_data(tb[IFLA_IFNAME]));
	}
	if (tb[IFLA_IFALIAS]) {
		size_t len = nl_attr_len(tb[IFLA_IFALIAS]);
		strf(alias, sizeof alias, "%.*s", (int)(len < sizeof alias ? len : sizeof alias - 1),
			 (const char *)nl_attr_data(tb[IFLA_IFALIAS]));
	}
	if (rx_ignored(c->st->include, c->st->exclude, name))
		return 0;
	struct nl_link_stats s;
	if (nl_link_stats(tb, &s) < 0) /* no counters for this link */
		return 0;
	if (detailed_flag) {
		uint64_t v[NL_FIELDS];
		memcpy(v, &s, sizeof v);
		emit(c->e, nl_detailed, v, NL_FIELDS, name, alias);
	} else {
		uint64_t v[NL_LEGACY];
		fold(&s, v);
		emit(c->e, nl_legacy, v, NL_LEGACY, name, alias);
	}
	return 0;
}

static int collect_netlink(struct scrape *s, struct netdev_state *st, struct expo *e)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		  .ifi = { .ifi_family = AF_UNSPEC } };
	struct link_ctx c = { st, e };
	int rc = nl_dump(&req.h, scrape_buf(s), on_link, &c);
	if (rc < 0)
		return scrape_fail(s, "couldn't get netstats: rtnetlink link dump: %s", strerror(-rc));
	return COLLECT_OK;
}

static int collect_proc(struct scrape *s, struct netdev_state *st, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "net/dev") < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc < 0)
		return scrape_fail(s, "couldn't get netstats: failed to parse /proc/net/dev: %s: %s", path,
				   strerror(-rc));
	char *cur = b->data, *line;
	for (int n = 0; (line = next_line(&cur)); n++) {
		if (n < 2) /* the two header lines */
			continue;
		char *colon = strrchr(line, ':');
		if (!colon)
			return scrape_fail(s, "invalid line in %s: missing colon", path);
		*colon = '\0';
		char *name = trim(line);
		if (!*name)
			return scrape_fail(s, "invalid line in %s: empty interface name", path);
		char *f[PROC_FIELDS + 1];
		if (split_fields(colon + 1, f, PROC_FIELDS + 1) < PROC_FIELDS)
			return scrape_fail(s, "invalid line in %s for %s: too few fields", path, name);
		uint64_t v[PROC_FIELDS];
		for (int i = 0; i < PROC_FIELDS; i++)
			if (parse_u64(f[i], &v[i]) < 0)
				return scrape_fail(s, "invalid value '%s' for %s in %s", f[i], name, path);
		if (rx_ignored(st->include, st->exclude, name))
			continue;
		char alias[512] = "";
		if (ifalias_flag) {
			char apath[4200];
			strf(apath, sizeof apath, "%s/class/net/%s/ifalias", path_sysfs, name);
			if (scrape_read_small(s, apath, alias, sizeof alias) < 0)
				alias[0] = '\0';
		}
		emit(e, detailed_flag ? proc_detailed : proc_legacy, v, PROC_FIELDS, name, alias);
	}
	return COLLECT_OK;
}

/* Go's net.IP scope classes as upstream reports them. */
static const char *ip_scope(int family, const unsigned char *a)
{
	if (family == AF_INET) {
		if (a[0] == 127 || (a[0] == 169 && a[1] == 254) || (a[0] == 224 && a[1] == 0 && a[2] == 0))
			return "link-local";
		bool zero = !a[0] && !a[1] && !a[2] && !a[3];
		bool bcast = a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255;
		if (!zero && !bcast && (a[0] & 0xf0) != 0xe0)
			return "global";
		return "";
	}
	static const unsigned char loop[16] = { [15] = 1 }, zero[16] = { 0 };
	if (!memcmp(a, loop, 16) || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	    (a[0] == 0xff && (a[1] & 0x0f) == 0x02))
		return "link-local";
	if (a[0] == 0xff && (a[1] & 0x0f) == 0x01)
		return "interface-local";
	if (memcmp(a, zero, 16) != 0 && a[0] != 0xff)
		return "global";
	return "";
}

static int prefix_len(const struct sockaddr *mask)
{
	const unsigned char *p;
	size_t n;
	if (!mask)
		return 0;
	if (mask->sa_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr;
		n = 16;
	}
	int bits = 0;
	size_t i = 0;
	for (; i < n && p[i] == 0xff; i++)
		bits += 8;
	if (i < n) {
		unsigned char b = p[i];
		while (b & 0x80) {
			bits++;
			b = (unsigned char)(b << 1);
		}
		/* Not a contiguous mask: Go's Mask.Size() reports 0. */
		if (b)
			return 0;
		for (i++; i < n; i++)
			if (p[i])
				return 0;
	}
	return bits;
}

static int collect_addresses(struct scrape *s, struct netdev_state *st, struct expo *e)
{
	struct ifaddrs *list;
	if (getifaddrs(&list) < 0)
		return scrape_fail(s, "could not get network interfaces: %s", strerror(errno));
	struct family *f = expo_family(e, "node_network_address_info", METRIC_GAUGE,
				       "Addresses of each network device (value 1).",
				       (const char *const[]){ "device", "address", "netmask", "scope", NULL });
	for (struct ifaddrs *a = list; a; a = a->ifa_next) {
		if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
			continue;
		if (rx_ignored(st->include, st->exclude, a->ifa_name))
			continue;
		int fam = a->ifa_addr->sa_family;
		unsigned char bytes[16];
		if (fam == AF_INET)
			memcpy(bytes, &((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr, 4);
		else
			memcpy(bytes, &((struct sockaddr_in6 *)(void *)a->ifa_addr)->sin6_addr, 16);
		/* An IPv4-mapped IPv6 address is an IPv4 address to Go. */
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
		if (fam == AF_INET6 && !memcmp(bytes, mapped, 12)) {
			memmove(bytes, bytes + 12, 4);
			fam = AF_INET;
		}
		char addr[INET6_ADDRSTRLEN], mask[16];
		if (!inet_ntop(fam, bytes, addr, sizeof addr))
			continue;
		strf(mask, sizeof mask, "%d", prefix_len(a->ifa_netmask));
		expo_sample(e, f, 1, a->ifa_name, addr, mask, ip_scope(fam, bytes));
	}
	freeifaddrs(list);
	return COLLECT_OK;
}

static int netdev_collect(struct scrape *s, struct expo *e)
{
	struct netdev_state *st = s->state;
	int rc = netlink_flag ? collect_netlink(s, st, e) : collect_proc(s, st, e);
	if (rc == COLLECT_OK && address_info_flag)
		rc = collect_addresses(s, st, e);
	return rc;
}

const struct collector_def collector_netdev = {
	.name = "netdev",
	.default_enabled = true,
	.flags = netdev_flags,
	.nflags = sizeof netdev_flags / sizeof netdev_flags[0],
	.init = netdev_init,
	.collect = netdev_collect,
	.fini = netdev_fini,
};
