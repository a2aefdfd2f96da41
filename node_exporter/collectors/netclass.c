/*
 * netclass: network interface attributes from /sys/class/net/<iface>
 * (upstream's default sysfs mode): operational state, an info series with
 * the textual attributes, and one gauge or counter per numeric attribute.
 * Attributes the interface does not have, or that fail to read with
 * ENOENT/EACCES/EINVAL/EOPNOTSUPP (e.g. the speed of a link that is down),
 * are left out; an unparsable value is left out as well, as upstream.
 *
 * --collector.netclass.netlink takes most of it from an rtnetlink link
 * dump instead (sysfs reads take the RTNL lock, which busy hosts contend
 * for), speed and duplex from ethtool's generic netlink family, and only
 * addr_assign_type, dev_id and name_assign_type from sysfs; it adds
 * node_network_altnames_info and, with --collector.netclass_rtnl.with-stats,
 * the link counters. As upstream's netlink mode: no adminstate label,
 * duplex spelled "Full"/"Half"/"Unknown", dormant holds the link mode, and
 * the counters are gauges.
 */
#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"
#include "../replies.h"

static const char *nc_ignored = "^$";
static bool nc_ignore_invalid_speed, nc_netlink, nc_with_stats;

static struct flag nc_flags[] = {
	{ .name = "collector.netclass.ignored-devices", .type = FLAG_STRING, .dest = &nc_ignored, .def = "^$",
	  .help = "Regexp of network devices the netclass collector leaves out." },
	{ .name = "collector.netclass.ignore-invalid-speed", .type = FLAG_BOOL, .dest = &nc_ignore_invalid_speed,
	  .help = "Leave out node_network_speed_bytes of devices whose speed is unknown (-1)." },
	{ .name = "collector.netclass.netlink", .type = FLAG_BOOL, .dest = &nc_netlink, .def = "false",
	  .help = "Read the interfaces from rtnetlink (and ethtool netlink) rather than sysfs." },
	{ .name = "collector.netclass_rtnl.with-stats", .type = FLAG_BOOL, .dest = &nc_with_stats,
	  .help = "With --collector.netclass.netlink, also export each interface's counters (as netdev does)." },
};

/* Textual attributes, in the order of node_network_info's labels. */
enum { T_ADDRESS, T_BROADCAST, T_DUPLEX, T_OPERSTATE, T_IFALIAS, NTEXT };
static const char *const nc_texts[NTEXT] = { "address", "broadcast", "duplex", "operstate", "ifalias" };

/* Numeric attributes and the family each one becomes. */
enum { N_ADDR_ASSIGN, N_CARRIER, N_CARRIER_CHANGES, N_CARRIER_UP, N_CARRIER_DOWN, N_DEV_ID, N_DORMANT,
       N_FLAGS, N_IFINDEX, N_IFLINK, N_LINK_MODE, N_MTU, N_NAME_ASSIGN, N_NETDEV_GROUP, N_SPEED,
       N_TX_QUEUE_LEN, N_TYPE, NNUM };
static const struct {
	const char *file, *metric, *help;
	enum metric_type type;
} nc_nums[NNUM] = {
	{ "addr_assign_type", "node_network_address_assign_type", "How the interface's address was assigned.",
	  METRIC_GAUGE },
	{ "carrier", "node_network_carrier", "1 if the interface has a carrier.", METRIC_GAUGE },
	{ "carrier_changes", "node_network_carrier_changes_total", "Carrier state changes of the interface.",
	  METRIC_COUNTER },
	{ "carrier_up_count", "node_network_carrier_up_changes_total", "Times the carrier of the interface came up.",
	  METRIC_COUNTER },
	{ "carrier_down_count", "node_network_carrier_down_changes_total",
	  "Times the carrier of the interface went down.", METRIC_COUNTER },
	{ "dev_id", "node_network_device_id", "dev_id of the interface.", METRIC_GAUGE },
	{ "dormant", "node_network_dormant", "1 if the interface is dormant.", METRIC_GAUGE },
	{ "flags", "node_network_flags", "Interface flags (IFF_*) as a number.", METRIC_GAUGE },
	{ "ifindex", "node_network_iface_id", "Interface index.", METRIC_GAUGE },
	{ "iflink", "node_network_iface_link", "Index of the interface's link.", METRIC_GAUGE },
	{ "link_mode", "node_network_iface_link_mode", "Link mode of the interface.", METRIC_GAUGE },
	{ "mtu", "node_network_mtu_bytes", "MTU of the interface, in bytes.", METRIC_GAUGE },
	{ "name_assign_type", "node_network_name_assign_type", "How the interface got its name.", METRIC_GAUGE },
	{ "netdev_group", "node_network_net_dev_group", "Network device group of the interface.", METRIC_GAUGE },
	{ "speed", "node_network_speed_bytes", "Link speed of the interface, in bytes per second.", METRIC_GAUGE },
	{ "tx_queue_len", "node_network_transmit_queue_length", "Transmit queue length of the interface.",
	  METRIC_GAUGE },
	{ "type", "node_network_protocol_type", "Hardware type (ARPHRD_*) of the interface.", METRIC_GAUGE },
};

struct iface {
	const char *name;
	char text[NTEXT][SYSFS_VAL];
	bool has[NNUM];
	int64_t num[NNUM];
};

static int nc_init(void **state, char *err, size_t errlen)
{
	char msg[300];
	struct rx *rx = rx_compile(nc_ignored, msg, sizeof msg);
	if (!rx) {
		strf(err, errlen, "invalid --collector.netclass.ignored-devices: %s", msg);
		return -1;
	}
	*state = rx;
	return 0;
}

static void nc_fini(void *state)
{
	rx_free(state);
}

static int nc_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err) || sysfs_eperm(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

/* Read the attributes of one interface that its directory lists as files. */
static int nc_read(struct scrape *s, const char *dir, struct iface *it)
{
	char ifdir[4096], path[4096], value[SYSFS_VAL];
	if (pathf(ifdir, sizeof ifdir, "%s/%s", dir, it->name) < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, ifdir, &d);
	if (rc < 0)
		return nc_error(s, rc, ifdir);
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		if (d.ents[i].type != DT_REG)
			continue;
		const char *name = d.ents[i].name;
		int text = -1, num = -1;
		for (int k = 0; k < NTEXT && text < 0; k++)
			if (!strcmp(name, nc_texts[k]))
				text = k;
		for (int k = 0; k < NNUM && text < 0 && num < 0; k++)
			if (!strcmp(name, nc_nums[k].file))
				num = k;
		if (text < 0 && num < 0)
			continue;
		if (pathf(path, sizeof path, "%s/%s", ifdir, name) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		ssize_t n = sysfs_attr(s, path, text >= 0 ? it->text[text] : value, SYSFS_VAL);
		if (n < 0) {
			if (text >= 0)
				it->text[text][0] = '\0';
			if (!sysfs_ignorable(n))
				rc = scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
			continue;
		}
		if (num >= 0)
			it->has[num] = sysfs_parse_int(value, &it->num[num]) == 0;
	}
	sysfs_dir_free(&d);
	return rc;
}

static int netclass_sysfs(struct scrape *s, struct expo *e)
{
	const struct rx *ignored = s->state;
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/net") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return nc_error(s, rc, dir);

	/* All interfaces or none, as upstream. */
	struct iface *ifs = calloc(d.n ? d.n : 1, sizeof *ifs);
	size_t nif = 0;
	if (!ifs) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		/* bonding_masters and other plain files are not interfaces */
		if (d.ents[i].type == DT_REG || rx_match(ignored, d.ents[i].name))
			continue;
		ifs[nif].name = d.ents[i].name;
		rc = nc_read(s, dir, &ifs[nif]);
		if (rc != COLLECT_OK)
			goto out;
		nif++;
	}

	const char *const l_dev[] = { "device", NULL };
	struct family *fup = expo_family(e, "node_network_up", METRIC_GAUGE,
					 "1 if the interface's operstate is \"up\", else 0.", l_dev);
	struct family *finfo = expo_family(
		e, "node_network_info", METRIC_GAUGE, "Constant 1, labelled with the interface's textual attributes.",
		(const char *const[]){ "device", "address", "broadcast", "duplex", "operstate", "adminstate", "ifalias",
				       NULL });
	struct family *fnum[NNUM];
	for (size_t k = 0; k < NNUM; k++)
		fnum[k] = expo_family(e, nc_nums[k].metric, nc_nums[k].type, nc_nums[k].help, l_dev);
	for (size_t i = 0; i < nif; i++) {
		struct iface *it = &ifs[i];
		const char *admin = !it->has[N_FLAGS] ? "unknown" : (it->num[N_FLAGS] & 1) ? "up" : "down";
		expo_sample(e, fup, strcmp(it->text[T_OPERSTATE], "up") == 0 ? 1 : 0, it->name);
		expo_sample(e, finfo, 1, it->name, it->text[T_ADDRESS], it->text[T_BROADCAST], it->text[T_DUPLEX],
			    it->text[T_OPERSTATE], admin, it->text[T_IFALIAS]);
		for (size_t k = 0; k < NNUM; k++) {
			if (!it->has[k])
				continue;
			int64_t v = it->num[k];
			if (k == N_SPEED) {
				/* Mbit/s to bytes/s; -1 means unknown. */
				if (v < 0 && nc_ignore_invalid_speed)
					continue;
				v = (int64_t)((uint64_t)v * 1000000u) / 8;
			}
			expo_sample(e, fnum[k], (double)v, it->name);
		}
	}
	rc = COLLECT_OK;
out:
	free(ifs);
	sysfs_dir_free(&d);
	return rc;
}

/* ---- netlink mode ---- */

static const char *const operstates[] = { "unknown", "notpresent", "down", "lowerlayerdown",
					  "testing", "dormant", "up" };

/* mdlayher/ethtool's names of DUPLEX_HALF, DUPLEX_FULL and DUPLEX_UNKNOWN. */
static void duplex_name(uint8_t d, char *dst, size_t cap)
{
	if (d == 0 || d == 1 || d == 255)
		strf(dst, cap, "%s", d == 0 ? "Half" : d == 1 ? "Full" : "Unknown");
	else
		strf(dst, cap, "Duplex(%u)", d);
}

int netclass_parse_linkmode(const struct nlmsghdr *h, struct nc_linkmode *lm)
{
	memset(lm, 0, sizeof *lm);
	size_t len;
	const void *attrs = genl_attrs(h, &len);
	const struct rtattr *tb[ETHTOOL_A_LINKMODES_MAX + 1], *hd[ETHTOOL_A_HEADER_MAX + 1];
	if (!attrs || nl_attrs(attrs, len, tb, ETHTOOL_A_LINKMODES_MAX) < 0)
		return -EBADMSG;
	const struct rtattr *header = tb[ETHTOOL_A_LINKMODES_HEADER];
	if (header) {
		if (nl_attrs(nl_attr_data(header), nl_attr_len(header), hd, ETHTOOL_A_HEADER_MAX) < 0 ||
		    (hd[ETHTOOL_A_HEADER_DEV_NAME] &&
		     nl_attr_str(hd[ETHTOOL_A_HEADER_DEV_NAME], lm->name, sizeof lm->name) < 0))
			return -EBADMSG;
	}
	uint32_t speed = 0;
	uint8_t duplex = 0;
	if ((tb[ETHTOOL_A_LINKMODES_SPEED] && nl_attr_u32(tb[ETHTOOL_A_LINKMODES_SPEED], &speed) < 0) ||
	    (tb[ETHTOOL_A_LINKMODES_DUPLEX] && nl_attr_u8(tb[ETHTOOL_A_LINKMODES_DUPLEX], &duplex) < 0))
		return -EBADMSG;
	/* SPEED_UNKNOWN (all ones) is not negative in upstream's int either: it is exported as is. */
	lm->speed_bytes = (double)((uint64_t)speed * 1000000 / 8);
	duplex_name(duplex, lm->duplex, sizeof lm->duplex);
	return 0;
}

/* Go's net.HardwareAddr of an address attribute: 4 to 32 bytes, or the link is malformed. */
static int hwaddr(const struct rtattr *a, char *dst, size_t cap)
{
	dst[0] = '\0';
	if (!a)
		return 0;
	size_t n = nl_attr_len(a);
	if (n < 4 || n > 32)
		return -EBADMSG;
	wifi_mac_string(nl_attr_data(a), n, dst, cap);
	return 0;
}

static int opt_u32(const struct rtattr *a, bool *has, double *v)
{
	uint32_t x;
	*has = a != NULL;
	if (!a)
		return 0;
	if (nl_attr_u32(a, &x) < 0)
		return -EBADMSG;
	*v = x;
	return 0;
}

static int opt_u8(const struct rtattr *a, bool *has, double *v)
{
	uint8_t x;
	*has = a != NULL;
	if (!a)
		return 0;
	if (nl_attr_u8(a, &x) < 0)
		return -EBADMSG;
	*v = x;
	return 0;
}

static int on_altname(const struct rtattr *a, void *ctx)
{
	struct nc_link *l = ctx;
	if ((a->rta_type & NLA_TYPE_MASK) != IFLA_ALT_IFNAME || l->naltnames == NC_ALTNAMES)
		return 0;
	if (nl_attr_str(a, l->altnames[l->naltnames], sizeof l->altnames[0]) < 0)
		return -EBADMSG;
	if (l->altnames[l->naltnames][0])
		l->naltnames++;
	return 0;
}

int netclass_parse_link(const struct nlmsghdr *h, struct nc_link *l)
{
	memset(l, 0, sizeof *l);
	if (h->nlmsg_type != RTM_NEWLINK)
		return 1;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	if (nl_attrs(IFLA_RTA(ifi), IFLA_PAYLOAD(h), tb, IFLA_MAX) < 0)
		return -EBADMSG;
	l->index = (uint32_t)ifi->ifi_index;
	l->type = ifi->ifi_type;
	l->flags = ifi->ifi_flags;
	uint8_t oper = 0;
	uint32_t mtu = 0, link = 0;
	if (nl_attr_str(tb[IFLA_IFNAME], l->name, sizeof l->name) < 0 ||
	    hwaddr(tb[IFLA_ADDRESS], l->address, sizeof l->address) < 0 ||
	    hwaddr(tb[IFLA_BROADCAST], l->broadcast, sizeof l->broadcast) < 0 ||
	    (tb[IFLA_OPERSTATE] && nl_attr_u8(tb[IFLA_OPERSTATE], &oper) < 0) ||
	    (tb[IFLA_MTU] && nl_attr_u32(tb[IFLA_MTU], &mtu) < 0) ||
	    (tb[IFLA_LINK] && nl_attr_u32(tb[IFLA_LINK], &link) < 0) ||
	    opt_u8(tb[IFLA_CARRIER], &l->has[NC_CARRIER], &l->v[NC_CARRIER]) < 0 ||
	    opt_u32(tb[IFLA_CARRIER_CHANGES], &l->has[NC_CARRIER_CHANGES], &l->v[NC_CARRIER_CHANGES]) < 0 ||
	    opt_u32(tb[IFLA_CARRIER_UP_COUNT], &l->has[NC_CARRIER_UP], &l->v[NC_CARRIER_UP]) < 0 ||
	    opt_u32(tb[IFLA_CARRIER_DOWN_COUNT], &l->has[NC_CARRIER_DOWN], &l->v[NC_CARRIER_DOWN]) < 0 ||
	    opt_u8(tb[IFLA_LINKMODE], &l->has[NC_LINK_MODE], &l->v[NC_LINK_MODE]) < 0 ||
	    opt_u32(tb[IFLA_GROUP], &l->has[NC_GROUP], &l->v[NC_GROUP]) < 0 ||
	    opt_u32(tb[IFLA_TXQLEN], &l->has[NC_TXQLEN], &l->v[NC_TXQLEN]) < 0)
		return -EBADMSG;
	l->operstate = oper < sizeof operstates / sizeof operstates[0] ? operstates[oper] : "unknown";
	l->mtu = mtu;
	/* The kernel leaves IFLA_LINK out when it is the interface itself. */
	l->iflink = link > 0 ? link : l->index;
	l->has_alias = nl_attr_str(tb[IFLA_IFALIAS], l->alias, sizeof l->alias) >= 0;
	if (tb[IFLA_PROP_LIST] &&
	    nl_attr_each(nl_attr_data(tb[IFLA_PROP_LIST]), nl_attr_len(tb[IFLA_PROP_LIST]), on_altname, l) < 0)
		return -EBADMSG;
	/* Counters only from the 64-bit attribute, as upstream. */
	const struct rtattr *st[IFLA_MAX + 1] = { [IFLA_STATS64] = tb[IFLA_STATS64] };
	l->has_stats = tb[IFLA_STATS64] && nl_link_stats(st, &l->stats) == 0;
	return 0;
}

/* Families of netlink mode: "<name>" and, for counters, the type upstream gives them. */
static struct family *nc_family(struct expo *e, const char *field, enum metric_type type)
{
	char name[96], help[128];
	strf(name, sizeof name, "node_network_%s", field);
	strf(help, sizeof help, "Network device property: %s", field);
	return expo_family(e, name, type, help, (const char *const[]){ "device", NULL });
}

void netclass_emit_link(struct expo *e, const struct nc_link *l, const char *duplex,
			const struct nc_sysattrs *sys, bool with_stats)
{
	const char *dev = l->name;
	expo_sample(e,
		    expo_family(e, "node_network_up", METRIC_GAUGE,
				"1 if the interface's operstate is \"up\", else 0.",
				(const char *const[]){ "device", NULL }),
		    strcmp(l->operstate, "up") == 0 ? 1 : 0, dev);
	expo_sample(e,
		    expo_family(e, "node_network_info", METRIC_GAUGE,
				"Constant 1, labelled with the interface's textual attributes.",
				(const char *const[]){ "device", "address", "broadcast", "duplex", "operstate",
						       "ifalias", NULL }),
		    1, dev, l->address, l->broadcast, duplex ? duplex : "", l->operstate,
		    l->has_alias ? l->alias : "");
	struct family *falt = expo_family(e, "node_network_altnames_info", METRIC_GAUGE,
					  "Constant 1 for each alternative name of the interface.",
					  (const char *const[]){ "altname", "device", NULL });
	for (size_t i = 0; i < l->naltnames; i++)
		expo_sample(e, falt, 1, l->altnames[i], dev);

	if (sys->has[0])
		expo_sample(e, nc_family(e, "address_assign_type", METRIC_GAUGE), (double)sys->v[0], dev);
	if (sys->has[1])
		expo_sample(e, nc_family(e, "device_id", METRIC_GAUGE), (double)sys->v[1], dev);
	if (sys->has[2])
		expo_sample(e, nc_family(e, "name_assign_type", METRIC_GAUGE), (double)sys->v[2], dev);
	static const struct {
		int field;
		const char *name;
		enum metric_type type;
	} opt[] = {
		{ NC_CARRIER, "carrier", METRIC_GAUGE },
		{ NC_CARRIER_CHANGES, "carrier_changes_total", METRIC_COUNTER },
		{ NC_CARRIER_UP, "carrier_up_changes_total", METRIC_COUNTER },
		{ NC_CARRIER_DOWN, "carrier_down_changes_total", METRIC_COUNTER },
		{ NC_LINK_MODE, "iface_link_mode", METRIC_GAUGE },
		{ NC_LINK_MODE, "dormant", METRIC_GAUGE }, /* upstream fills it with the link mode */
		{ NC_GROUP, "net_dev_group", METRIC_GAUGE },
		{ NC_TXQLEN, "transmit_queue_length", METRIC_GAUGE },
	};
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (l->has[opt[i].field])
			expo_sample(e, nc_family(e, opt[i].name, opt[i].type), l->v[opt[i].field], dev);
	expo_sample(e, nc_family(e, "flags", METRIC_GAUGE), l->flags, dev);
	expo_sample(e, nc_family(e, "iface_id", METRIC_GAUGE), l->index, dev);
	expo_sample(e, nc_family(e, "iface_link", METRIC_GAUGE), l->iflink, dev);
	expo_sample(e, nc_family(e, "mtu_bytes", METRIC_GAUGE), l->mtu, dev);
	expo_sample(e, nc_family(e, "protocol_type", METRIC_GAUGE), l->type, dev);
	if (!with_stats || !l->has_stats)
		return;
	const struct nl_link_stats *st = &l->stats;
	const struct {
		const char *name;
		uint64_t v;
	} stats[] = {
		{ "receive_packets_total", st->rx_packets },
		{ "transmit_packets_total", st->tx_packets },
		{ "receive_bytes_total", st->rx_bytes },
		{ "transmit_bytes_total", st->tx_bytes },
		{ "receive_errors_total", st->rx_errors },
		{ "transmit_errors_total", st->tx_errors },
		{ "receive_dropped_total", st->rx_dropped },
		{ "transmit_dropped_total", st->tx_dropped },
		{ "multicast_total", st->multicast },
		{ "collisions_total", st->collisions },
		{ "receive_length_errors_total", st->rx_length_errors },
		{ "receive_over_errors_total", st->rx_over_errors },
		{ "receive_crc_errors_total", st->rx_crc_errors },
		{ "receive_frame_errors_total", st->rx_frame_errors },
		{ "receive_fifo_errors_total", st->rx_fifo_errors },
		{ "receive_missed_errors_total", st->rx_missed_errors },
		{ "transmit_aborted_errors_total", st->tx_aborted_errors },
		{ "transmit_carrier_errors_total", st->tx_carrier_errors },
		{ "transmit_fifo_errors_total", st->tx_fifo_errors },
		{ "transmit_heartbeat_errors_total", st->tx_heartbeat_errors },
		{ "transmit_window_errors_total", st->tx_window_errors },
		{ "receive_compressed_total", st->rx_compressed },
		{ "transmit_compressed_total", st->tx_compressed },
		{ "receive_nohandler_total", st->rx_nohandler },
	};
	/* Gauges, as upstream declares them. */
	for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
		expo_sample(e, nc_family(e, stats[i].name, METRIC_GAUGE), (double)stats[i].v, dev);
}

/* Speed and duplex of each link by name, from ethtool netlink (kept per scrape). */
struct linkmodes {
	struct nc_linkmode *v;
	size_t n, cap;
};

static int on_linkmode(const struct nlmsghdr *h, void *ctx)
{
	struct linkmodes *lms = ctx;
	if (lms->n == lms->cap) {
		size_t cap = lms->cap ? lms->cap * 2 : 16;
		struct nc_linkmode *p = realloc(lms->v, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		lms->v = p;
		lms->cap = cap;
	}
	int rc = netclass_parse_linkmode(h, &lms->v[lms->n]);
	if (rc == 0)
		lms->n++;
	return rc;
}

/* The link modes of every device; -ENOENT when the kernel has no ethtool netlink family. */
static int get_linkmodes(struct buf *rx, struct linkmodes *lms)
{
	struct nl_sock ns;
	uint16_t family;
	int rc = nl_open(&ns, NETLINK_GENERIC);
	if (rc < 0)
		return rc;
	rc = genl_family(&ns, ETHTOOL_GENL_NAME, rx, &family);
	if (rc == 0) {
		union {
			struct nlmsghdr h;
			char bytes[128];
		} req = { .h = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = family,
				 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
		struct genlmsghdr *g = NLMSG_DATA(&req.h);
		g->cmd = ETHTOOL_MSG_LINKMODES_GET;
		g->version = ETHTOOL_GENL_VERSION;
		uint32_t compact = ETHTOOL_FLAG_COMPACT_BITSETS;
		int nest = nl_nest_start(&req.h, sizeof req, ETHTOOL_A_LINKMODES_HEADER);
		if (nest < 0 || nl_put(&req.h, sizeof req, ETHTOOL_A_HEADER_FLAGS, &compact, sizeof compact) < 0)
			rc = -EINVAL;
		else {
			nl_nest_end(&req.h, nest);
			rc = nl_exchange(&ns, &req.h, rx, on_linkmode, lms);
		}
	}
	nl_close(&ns);
	return rc;
}

/* sysfs attributes netlink does not carry (they take a per-device lock, not RTNL). */
static int read_sysattrs(struct scrape *s, const char *dev, struct nc_sysattrs *sys)
{
	static const char *const files[3] = { "addr_assign_type", "dev_id", "name_assign_type" };
	memset(sys, 0, sizeof *sys);
	for (int i = 0; i < 3; i++) {
		char path[4096], value[SYSFS_VAL];
		if (sys_path(path, sizeof path, "class/net/%s/%s", dev, files[i]) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = sysfs_attr(s, path, value, sizeof value);
		if (n < 0) {
			if (sysfs_ignorable(n))
				continue;
			return scrape_fail(s, "could not get sysfs device info: %s: %s", path,
					   strerror((int)-n));
		}
		sys->has[i] = sysfs_parse_int(value, &sys->v[i]) == 0;
	}
	return COLLECT_OK;
}

struct rtnl_ctx {
	struct scrape *s;
	struct expo *e;
	const struct rx *ignored;
	const struct linkmodes *lms;
	int rc; /* a scrape error while handling a link */
};

static int on_link(const struct nlmsghdr *h, void *arg)
{
	struct rtnl_ctx *c = arg;
	struct nc_link l;
	int rc = netclass_parse_link(h, &l);
	if (rc)
		return rc < 0 ? rc : 0;
	if (rx_match(c->ignored, l.name))
		return 0;
	struct nc_sysattrs sys;
	if ((c->rc = read_sysattrs(c->s, l.name, &sys)) != COLLECT_OK)
		return 1;
	const char *duplex = NULL;
	for (size_t i = 0; i < c->lms->n && !duplex; i++)
		if (!strcmp(c->lms->v[i].name, l.name))
			duplex = c->lms->v[i].duplex;
	netclass_emit_link(c->e, &l, duplex, &sys, nc_with_stats);
	return 0;
}

static int netclass_rtnl(struct scrape *s, struct expo *e)
{
	const struct rx *ignored = s->state;
	struct linkmodes lms = { 0 };
	int rc = get_linkmodes(scrape_buf(s), &lms);
	if (rc == -ENOENT) {
		log_info("ETHTOOL netlink interface unavailable, duplex and linkspeed are not scraped.", NULL);
	} else if (rc < 0) {
		free(lms.v);
		return scrape_fail(s, "could not get link modes: %s", strerror(-rc));
	} else {
		struct family *f = nc_family(e, "speed_bytes", METRIC_GAUGE);
		for (size_t i = 0; i < lms.n; i++)
			if (!rx_match(ignored, lms.v[i].name))
				expo_sample(e, f, lms.v[i].speed_bytes, lms.v[i].name);
	}
	struct rtnl_ctx c = { .s = s, .e = e, .ignored = ignored, .lms = &lms, .rc = COLLECT_OK };
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	rc = nl_dump(&req.h, scrape_buf(s), on_link, &c);
	free(lms.v);
	if (c.rc != COLLECT_OK)
		return c.rc;
	if (rc < 0)
		return scrape_fail(s, "could not get net class info: %s", strerror(-rc));
	return COLLECT_OK;
}

static int netclass_collect(struct scrape *s, struct expo *e)
{
	return nc_netlink ? netclass_rtnl(s, e) : netclass_sysfs(s, e);
}

const struct collector_def collector_netclass = {
	.name = "netclass",
	.default_enabled = true,
	.flags = nc_flags,
	.nflags = sizeof nc_flags / sizeof nc_flags[0],
	.init = nc_init,
	.collect = netclass_collect,
	.fini = nc_fini,
};
