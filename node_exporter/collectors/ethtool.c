/*
 * ethtool (off by default): what the SIOCETHTOOL ioctls tell about each
 * device of /sys/class/net, as upstream asks them: the legacy link settings
 * (ETHTOOL_GSET: supported and advertised speeds, ports, autonegotiation
 * and pause), the driver information (ETHTOOL_GDRVINFO, node_ethtool_info)
 * and the driver's own statistics (ETHTOOL_GSTRINGS + ETHTOOL_GSTATS), one
 * untyped node_ethtool_<name>{device} per statistic with upstream's
 * renaming (rx -> received, tx -> transmitted). A device that does not
 * support a request is skipped for it; other errors are logged.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"
#include "../replies.h"

static const char *include_flag, *exclude_flag, *metrics_flag = ".*";

static struct flag ethtool_flags[] = {
	{ .name = "collector.ethtool.device-include", .type = FLAG_STRING, .dest = &include_flag,
	  .help = "Regexp of ethtool devices to include (mutually exclusive to device-exclude)." },
	{ .name = "collector.ethtool.device-exclude", .type = FLAG_STRING, .dest = &exclude_flag,
	  .help = "Regexp of ethtool devices to exclude (mutually exclusive to device-include)." },
	{ .name = "collector.ethtool.metrics-include", .type = FLAG_STRING, .dest = &metrics_flag,
	  .def = ".*", .help = "Regexp of ethtool stats to include." },
};

/* Upstream's limit on the number of statistics of one device. */
#define MAX_STATS 32768

struct ethtool_state {
	struct rx *include, *exclude, *metrics;
	int fd; /* AF_INET datagram socket the ioctls go through */
	struct ethtool_stat_set set; /* reused between devices and scrapes */
};

static void ethtool_fini(void *state)
{
	struct ethtool_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	rx_free(st->metrics);
	if (st->fd >= 0)
		close(st->fd);
	ethtool_stat_set_free(&st->set);
	free(st);
}

static int ethtool_init(void **state, char *err, size_t errlen)
{
	struct ethtool_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	st->fd = -1;
	char msg[300];
	if ((include_flag[0] && !(st->include = rx_compile(include_flag, msg, sizeof msg))) ||
	    (exclude_flag[0] && !(st->exclude = rx_compile(exclude_flag, msg, sizeof msg))) ||
	    !(st->metrics = rx_compile(metrics_flag, msg, sizeof msg))) {
		strf(err, errlen, "invalid ethtool filter: %s", msg);
		ethtool_fini(st);
		return -1;
	}
	st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (st->fd < 0) {
		strf(err, errlen, "failed to initialize ethtool: %s", strerror(errno));
		ethtool_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* ---- link modes (the first 32 bits of the legacy link mode masks) ---- */

/* Bits of enum ethtool_link_mode_bit_indices below 32 that upstream names. */
static const struct {
	unsigned bit, speed;
	const char *duplex, *phy;
} speeds[] = {
	{ ETHTOOL_LINK_MODE_10baseT_Half_BIT, 10, "half", "T" },
	{ ETHTOOL_LINK_MODE_10baseT_Full_BIT, 10, "full", "T" },
	{ ETHTOOL_LINK_MODE_100baseT_Half_BIT, 100, "half", "T" },
	{ ETHTOOL_LINK_MODE_100baseT_Full_BIT, 100, "full", "T" },
	{ ETHTOOL_LINK_MODE_1000baseT_Half_BIT, 1000, "half", "T" },
	{ ETHTOOL_LINK_MODE_1000baseT_Full_BIT, 1000, "full", "T" },
	{ ETHTOOL_LINK_MODE_10000baseT_Full_BIT, 10000, "full", "T" },
	{ ETHTOOL_LINK_MODE_1000baseKX_Full_BIT, 1000, "full", "KX" },
	{ ETHTOOL_LINK_MODE_10000baseKX4_Full_BIT, 10000, "full", "KX4" },
	{ ETHTOOL_LINK_MODE_10000baseKR_Full_BIT, 10000, "full", "KR" },
	{ ETHTOOL_LINK_MODE_10000baseR_FEC_BIT, 10000, "full", "R_FEC" },
	{ ETHTOOL_LINK_MODE_20000baseMLD2_Full_BIT, 20000, "full", "MLD2" },
	{ ETHTOOL_LINK_MODE_20000baseKR2_Full_BIT, 20000, "full", "KR2" },
	{ ETHTOOL_LINK_MODE_40000baseKR4_Full_BIT, 40000, "full", "KR4" },
	{ ETHTOOL_LINK_MODE_40000baseCR4_Full_BIT, 40000, "full", "CR4" },
	{ ETHTOOL_LINK_MODE_40000baseSR4_Full_BIT, 40000, "full", "SR4" },
	{ ETHTOOL_LINK_MODE_40000baseLR4_Full_BIT, 40000, "full", "LR4" },
	{ ETHTOOL_LINK_MODE_56000baseKR4_Full_BIT, 56000, "full", "KR4" },
	{ ETHTOOL_LINK_MODE_56000baseCR4_Full_BIT, 56000, "full", "CR4" },
	{ ETHTOOL_LINK_MODE_56000baseSR4_Full_BIT, 56000, "full", "SR4" },
	{ ETHTOOL_LINK_MODE_56000baseLR4_Full_BIT, 56000, "full", "LR4" },
	{ ETHTOOL_LINK_MODE_25000baseCR_Full_BIT, 25000, "full", "CR" },
};

static const struct {
	unsigned bit;
	const char *name;
} ports[] = {
	{ ETHTOOL_LINK_MODE_TP_BIT, "TP" },	  { ETHTOOL_LINK_MODE_AUI_BIT, "AUI" },
	{ ETHTOOL_LINK_MODE_MII_BIT, "MII" },	  { ETHTOOL_LINK_MODE_FIBRE_BIT, "FIBRE" },
	{ ETHTOOL_LINK_MODE_BNC_BIT, "BNC" },	  { ETHTOOL_LINK_MODE_Backplane_BIT, "Backplane" },
};

static void emit_speeds(struct expo *e, const char *name, const char *help, const char *dev, uint32_t modes)
{
	struct family *f = expo_family(e, name, METRIC_GAUGE, help,
				       (const char *const[]){ "device", "duplex", "mode", NULL });
	for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++) {
		if (!(modes & (1u << speeds[i].bit)))
			continue;
		char mode[32];
		strf(mode, sizeof mode, "%ubase%s", speeds[i].speed, speeds[i].phy);
		/* Mbit/s in bytes per second, as netclass' speed. */
		expo_sample(e, f, speeds[i].speed * 125000.0, dev, speeds[i].duplex, mode);
	}
}

static void emit_caps(struct expo *e, const char *what, const char *dev, uint32_t modes)
{
	static const struct {
		unsigned bit;
		const char *cap;
	} caps[] = { { ETHTOOL_LINK_MODE_Autoneg_BIT, "autonegotiate" },
		     { ETHTOOL_LINK_MODE_Pause_BIT, "pause" },
		     { ETHTOOL_LINK_MODE_Asym_Pause_BIT, "asymmetricpause" } };
	for (size_t i = 0; i < 3; i++) {
		char name[64], help[96];
		strf(name, sizeof name, "node_network_%s_%s", caps[i].cap, what);
		strf(help, sizeof help, "1 if the device %s %s.",
		     what[0] == 's' ? "supports" : "advertises", caps[i].cap);
		expo_sample(e,
			    expo_family(e, name, METRIC_GAUGE, help, (const char *const[]){ "device", NULL }),
			    modes & (1u << caps[i].bit) ? 1 : 0, dev);
	}
}

void ethtool_emit_link(struct expo *e, const char *dev, uint32_t supported, uint32_t advertising,
		       uint8_t autoneg)
{
	emit_speeds(e, "node_network_supported_speed_bytes",
		    "Speeds and duplex modes the device supports, in bytes per second.", dev, supported);
	struct family *fport = expo_family(e, "node_network_supported_port_info", METRIC_GAUGE,
					   "Constant 1 for each port type the device supports.",
					   (const char *const[]){ "device", "type", NULL });
	for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
		if (supported & (1u << ports[i].bit))
			expo_sample(e, fport, 1, dev, ports[i].name);
	emit_caps(e, "supported", dev, supported);
	emit_speeds(e, "node_network_advertised_speed_bytes",
		    "Speeds and duplex modes the device advertises, in bytes per second.", dev, advertising);
	emit_caps(e, "advertised", dev, advertising);
	expo_sample(e,
		    expo_family(e, "node_network_autonegotiate", METRIC_GAUGE,
				"1 if the device uses autonegotiation.", (const char *const[]){ "device", NULL }),
		    autoneg, dev);
}

/* ---- statistics ---- */

/*
 * One of upstream's two replacements: every "<word>" between underscores
 * (or the ends) of src becomes repl, left to right without overlaps, as
 * Go's ReplaceAllString of (^|_)word(_|$).
 */
static void replace_word(const char *src, char word0, char *dst, size_t cap, const char *repl)
{
	size_t n = strlen(src), o = 0;
	for (size_t i = 0; i < n && o + 1 < cap;) {
		size_t at = i == 0 ? 0 : src[i] == '_' ? i + 1 : n;
		if (at + 2 <= n && src[at] == word0 && src[at + 1] == 'x' && (at + 2 == n || src[at + 2] == '_')) {
			bool tail = at + 2 < n;
			int w = strf(dst + o, cap - o, "%s%s%s", at > i ? "_" : "", repl, tail ? "_" : "");
			o = w < 0 || o + (size_t)w >= cap ? cap - 1 : o + (size_t)w;
			i = at + 2 + (tail ? 1 : 0);
			continue;
		}
		dst[o++] = src[i++];
	}
	dst[o < cap ? o : cap - 1] = '\0';
}

/*
 * upstream's buildEthtoolFQName on a sanitized name: lower case, leading
 * underscores dropped, then "rx" words spelled "received" and, in a second
 * pass over that, "tx" words "transmitted".
 */
void ethtool_metric_name(const char *stat, char *dst, size_t cap)
{
	char low[2 * ETH_GSTRING_LEN + 1], rx[4 * ETH_GSTRING_LEN], both[6 * ETH_GSTRING_LEN];
	size_t n = 0;
	while (*stat == '_')
		stat++;
	for (; *stat && n + 1 < sizeof low; stat++)
		low[n++] = (*stat >= 'A' && *stat <= 'Z') ? (char)(*stat - 'A' + 'a') : *stat;
	low[n] = '\0';
	replace_word(low, 'r', rx, sizeof rx, "received");
	replace_word(rx, 't', both, sizeof both, "transmitted");
	strf(dst, cap, "node_ethtool_%s", both);
}

/* Statistics upstream reports under fixed names (and types) rather than the derived ones. */
static const char *fixed_name(const char *stat)
{
	static const char *const map[][2] = {
		{ "rx_bytes", "node_ethtool_received_bytes_total" },
		{ "rx_dropped", "node_ethtool_received_dropped_total" },
		{ "rx_errors", "node_ethtool_received_errors_total" },
		{ "rx_packets", "node_ethtool_received_packets_total" },
		{ "tx_bytes", "node_ethtool_transmitted_bytes_total" },
		{ "tx_errors", "node_ethtool_transmitted_errors_total" },
		{ "tx_packets", "node_ethtool_transmitted_packets_total" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(stat, map[i][0]))
			return map[i][1];
	return NULL;
}

static int by_metric(const void *a, const void *b)
{
	return strcmp(((const struct ethtool_stat *)a)->metric, ((const struct ethtool_stat *)b)->metric);
}

void ethtool_stat_set_free(struct ethtool_stat_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

int ethtool_stat_add(struct ethtool_stat_set *set, const char *raw, uint64_t value)
{
	if (!raw[0])
		return 0;
	/* A name the driver repeats keeps its last value, as upstream's map does. */
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].raw, raw)) {
			set->v[i].value = value;
			return 0;
		}
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		struct ethtool_stat *p = realloc(set->v, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		set->v = p;
		set->cap = cap;
	}
	struct ethtool_stat *s = &set->v[set->n++];
	strf(s->raw, sizeof s->raw, "%s", raw);
	s->value = value;
	return 0;
}

void ethtool_emit_stats(struct expo *e, const char *dev, struct ethtool_stat_set *set,
			const struct rx *metrics)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct ethtool_stat *s = &set->v[i];
		sysfs_sanitize_name(s->raw, s->name, sizeof s->name);
		if (metrics && !rx_match(metrics, s->name))
			continue;
		ethtool_metric_name(s->name, s->metric, sizeof s->metric);
		set->v[n++] = *s;
	}
	qsort(set->v, n, sizeof *set->v, by_metric);
	/* Names that sanitize to the same metric are all dropped: which one would win is undefined. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && !strcmp(set->v[j].metric, set->v[i].metric))
			j++;
		if (j - i == 1) {
			const struct ethtool_stat *s = &set->v[i];
			const char *fixed = fixed_name(s->name);
			char help[ETH_GSTRING_LEN * 2 + 32];
			strf(help, sizeof help, "Network interface %s", s->name);
			struct family *f = expo_family(e, fixed ? fixed : s->metric, METRIC_UNTYPED, help,
						       (const char *const[]){ "device", NULL });
			expo_sample(e, f, (double)s->value, dev);
		}
		i = j;
	}
	set->n = 0;
}

/* ---- the ioctls ---- */

static int ethtool_ioctl(int fd, const char *dev, void *data)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* A failed request: "not supported" quietly, anything else as an error line, as upstream. */
static void request_failed(const char *what, const char *dev, int err)
{
	char msg[64];
	strf(msg, sizeof msg, "ethtool %s error", what);
	if (err == -EOPNOTSUPP)
		log_debug(msg, "device", dev, "err", strerror(-err), NULL);
	else
		log_error(msg, "device", dev, "err", strerror(-err), NULL);
}

static int read_stats(struct ethtool_state *st, const char *dev)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	int rc = ethtool_ioctl(st->fd, dev, &info);
	if (rc < 0)
		return rc;
	if (info.n_stats == 0)
		return 0;
	if (info.n_stats > MAX_STATS)
		return -E2BIG;
	size_t n = info.n_stats;
	struct ethtool_gstrings *names = calloc(1, sizeof *names + n * ETH_GSTRING_LEN);
	struct ethtool_stats *values = calloc(1, sizeof *values + n * sizeof(uint64_t));
	if (!names || !values) {
		rc = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = (uint32_t)n;
	values->cmd = ETHTOOL_GSTATS;
	values->n_stats = (uint32_t)n;
	if ((rc = ethtool_ioctl(st->fd, dev, names)) < 0 || (rc = ethtool_ioctl(st->fd, dev, values)) < 0)
		goto out;
	/* The driver may report fewer than it announced. */
	if (names->len < n)
		n = names->len;
	if (values->n_stats < n)
		n = values->n_stats;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char name[ETH_GSTRING_LEN + 1];
		memcpy(name, names->data + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = '\0';
		rc = ethtool_stat_add(&st->set, name, values->data[i]);
	}
out:
	free(names);
	free(values);
	return rc;
}

static void collect_device(struct ethtool_state *st, struct expo *e, const char *dev)
{
	struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };
	int rc = ethtool_ioctl(st->fd, dev, &cmd);
	if (rc == 0)
		ethtool_emit_link(e, dev, cmd.supported, cmd.advertising, cmd.autoneg);
	else
		request_failed("link info", dev, rc);

	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	rc = ethtool_ioctl(st->fd, dev, &info);
	if (rc == 0) {
		char f[5][ETHTOOL_BUSINFO_LEN + 1];
		strf(f[0], sizeof f[0], "%.*s", (int)sizeof info.bus_info, info.bus_info);
		strf(f[1], sizeof f[1], "%.*s", (int)sizeof info.driver, info.driver);
		strf(f[2], sizeof f[2], "%.*s", (int)sizeof info.erom_version, info.erom_version);
		strf(f[3], sizeof f[3], "%.*s", (int)sizeof info.fw_version, info.fw_version);
		strf(f[4], sizeof f[4], "%.*s", (int)sizeof info.version, info.version);
		expo_sample(e,
			    expo_family(e, "node_ethtool_info", METRIC_GAUGE,
					"Constant 1, labelled with the device's driver information.",
					(const char *const[]){ "bus_info", "device", "driver",
							       "expansion_rom_version", "firmware_version",
							       "version", NULL }),
			    1, f[0], dev, f[1], f[2], f[3], f[4]);
	} else {
		request_failed("driver info", dev, rc);
	}

	st->set.n = 0;
	rc = read_stats(st, dev);
	if (rc < 0)
		request_failed("stats", dev, rc);
	else
		ethtool_emit_stats(e, dev, &st->set, st->metrics);
	st->set.n = 0;
}

static int ethtool_collect(struct scrape *s, struct expo *e)
{
	struct ethtool_state *st = s->state;
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/net") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0) {
		if (sysfs_enoent(rc) || sysfs_eperm(rc))
			return COLLECT_NODATA;
		return scrape_fail(s, "could not get net class info: %s", strerror(-rc));
	}
	size_t devices = 0;
	for (size_t i = 0; i < d.n; i++) {
		if (d.ents[i].type == DT_REG) /* bonding_masters */
			continue;
		devices++;
		if (!rx_ignored(st->include, st->exclude, d.ents[i].name))
			collect_device(st, e, d.ents[i].name);
	}
	sysfs_dir_free(&d);
	if (devices == 0)
		return scrape_fail(s, "no network devices found");
	return COLLECT_OK;
}

const struct collector_def collector_ethtool = {
	.name = "ethtool",
	.default_enabled = false,
	.flags = ethtool_flags,
	.nflags = sizeof ethtool_flags / sizeof ethtool_flags[0],
	.init = ethtool_init,
	.collect = ethtool_collect,
	.fini = ethtool_fini,
};
