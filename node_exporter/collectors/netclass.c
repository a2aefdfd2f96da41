/*
 * netclass: network interface attributes from /sys/class/net/<iface>
 * (upstream's default sysfs mode): operational state, an info series with
 * the textual attributes, and one gauge or counter per numeric attribute.
 * Attributes the interface does not have, or that fail to read with
 * ENOENT/EACCES/EINVAL/EOPNOTSUPP (e.g. the speed of a link that is down),
 * are left out; an unparsable value is left out as well, as upstream.
 *
 * Upstream's netlink mode (--collector.netclass.netlink and
 * --collector.netclass_rtnl.with-stats) is not implemented, so those flags
 * are not accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *nc_ignored = "^$";
static bool nc_ignore_invalid_speed;

static struct flag nc_flags[] = {
	{ .name = "collector.netclass.ignored-devices", .type = FLAG_STRING, .dest = &nc_ignored, .def = "^$",
	  .help = "Regexp of network devices the netclass collector leaves out." },
	{ .name = "collector.netclass.ignore-invalid-speed", .type = FLAG_BOOL, .dest = &nc_ignore_invalid_speed,
	  .help = "Leave out node_network_speed_bytes of devices whose speed is unknown (-1)." },
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

static int netclass_collect(struct scrape *s, struct expo *e)
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

const struct collector_def collector_netclass = {
	.name = "netclass",
	.default_enabled = true,
	.flags = nc_flags,
	.nflags = sizeof nc_flags / sizeof nc_flags[0],
	.init = nc_init,
	.collect = netclass_collect,
	.fini = nc_fini,
};
