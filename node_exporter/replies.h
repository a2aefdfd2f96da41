/*
 * The parsers of node_exporter's collectors that ask the kernel or a bus
 * (netlink messages, ethtool ioctl results, D-Bus replies), reachable from
 * unit tests that feed them canned replies. Each is defined in its
 * collector's file.
 */
#ifndef NODE_REPLIES_H
#define NODE_REPLIES_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/dbus.h"
#include "../common/expo.h"
#include "../common/netlink.h"

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

/* ---- network_route ---- */

struct route_table {
	/* Set by the caller: interface names by index (from nl_ifnames()). */
	const struct nl_ifname *ifs;
	size_t nifs;
	/* Kept between scrapes: routes per device. */
	struct route_dev {
		char name[16];
		unsigned long n;
	} *dev;
	size_t ndev, devcap;
	struct expo *e;
	struct family *info;
};

/* Declare node_network_route_info in e and forget the device counts. */
void route_table_start(struct route_table *rt, struct expo *e);

/*
 * One RTM_NEWROUTE message: a route_info series per unicast route (per
 * next hop of a multipath one). Returns 0, or -EBADMSG / -ENOMEM.
 */
int route_add(struct route_table *rt, const struct nlmsghdr *h);

/* node_network_routes from the counts. */
void route_table_finish(struct route_table *rt);

/* ---- qdisc ---- */

struct qdisc_info {
	int ifindex;
	uint32_t parent; /* 0 for a root qdisc (the kernel's TC_H_ROOT) */
	char kind[32];
	uint64_t bytes;
	uint32_t packets, drops, requeues, overlimits, qlen, backlog;
};

/*
 * One RTM_NEWQDISC message into *q. Returns 0, 1 for a message of another
 * type, or -EBADMSG.
 */
int qdisc_parse(const struct nlmsghdr *h, struct qdisc_info *q);

/* ---- wifi (nl80211) ---- */

struct wifi_iface {
	int index;
	char name[16]; /* "" for a device without a netdev */
	uint32_t freq; /* MHz */
	unsigned char mac[32];
	size_t maclen;
};

struct wifi_bss {
	bool found; /* a BSS with a status (the one the interface uses) was seen */
	uint32_t status;
	unsigned char bssid[32];
	size_t bssid_len;
	char ssid[33];
};

struct wifi_station {
	unsigned char mac[32];
	size_t maclen;
	double connected, inactive; /* seconds */
	uint64_t rx_bytes, tx_bytes, rx_bitrate, tx_bitrate; /* bitrates in bit/s */
	int signal; /* dBm */
	uint32_t rx_packets, tx_packets, tx_retries, tx_failed, beacon_loss;
};

/* One NL80211_CMD_GET_INTERFACE reply into *w. Returns 0 or -EBADMSG. */
int wifi_parse_iface(const struct nlmsghdr *h, struct wifi_iface *w);

/*
 * One NL80211_CMD_GET_SCAN reply: the first BSS with a status fills *b
 * (b->found). Returns 0 or -EBADMSG.
 */
int wifi_parse_bss(const struct nlmsghdr *h, struct wifi_bss *b);

/*
 * One NL80211_CMD_GET_STATION reply into *st. Returns 0, 1 when it has no
 * station statistics, or -EBADMSG.
 */
int wifi_parse_station(const struct nlmsghdr *h, struct wifi_station *st);

/* Go's net.HardwareAddr.String() of len bytes into dst (cap bytes). */
void wifi_mac_string(const unsigned char *mac, size_t len, char *dst, size_t cap);

/* ---- ethtool (SIOCETHTOOL ioctls) ---- */

/* One driver statistic: its name as the driver spells it, sanitized, and as a metric. */
struct ethtool_stat {
	char raw[33], name[33], metric[160];
	uint64_t value;
};

/* The statistics of one device (a growing array reused between devices). */
struct ethtool_stat_set {
	struct ethtool_stat *v;
	size_t n, cap;
};

/* Add a statistic (a repeated name keeps its last value). Returns 0 or -ENOMEM. */
int ethtool_stat_add(struct ethtool_stat_set *set, const char *raw, uint64_t value);
void ethtool_stat_set_free(struct ethtool_stat_set *set);

/*
 * node_ethtool_<name>{device} (untyped) for each statistic whose sanitized
 * name matches metrics (NULL: all); names that give the same metric are
 * all left out. Empties the set.
 */
struct rx;
void ethtool_emit_stats(struct expo *e, const char *dev, struct ethtool_stat_set *set,
			const struct rx *metrics);

/* The metric of a sanitized statistic name: node_ethtool_ + upstream's renaming. */
void ethtool_metric_name(const char *stat, char *dst, size_t cap);

/*
 * The link families from the legacy ETHTOOL_GSET masks (their first 32
 * link mode bits) and the autonegotiation setting.
 */
void ethtool_emit_link(struct expo *e, const char *dev, uint32_t supported, uint32_t advertising,
		       uint8_t autoneg);

/* ---- netclass in netlink mode ---- */

/* Speed and duplex of one device from ethtool netlink (ETHTOOL_MSG_LINKMODES_GET). */
struct nc_linkmode {
	char name[16];
	double speed_bytes;
	char duplex[16];
};

/* One ETHTOOL_MSG_LINKMODES_GET reply into *lm. Returns 0 or -EBADMSG. */
int netclass_parse_linkmode(const struct nlmsghdr *h, struct nc_linkmode *lm);

/* Optional numeric attributes of a link, present or not. */
enum { NC_CARRIER, NC_CARRIER_CHANGES, NC_CARRIER_UP, NC_CARRIER_DOWN, NC_LINK_MODE, NC_GROUP,
       NC_TXQLEN, NC_OPTIONAL };
#define NC_ALTNAMES 8

/* What netclass uses of one RTM_NEWLINK message. */
struct nc_link {
	char name[16];
	uint32_t index, iflink, mtu;
	unsigned type, flags;
	const char *operstate;
	char address[100], broadcast[100];
	bool has_alias;
	char alias[256];
	char altnames[NC_ALTNAMES][128];
	size_t naltnames;
	bool has[NC_OPTIONAL];
	double v[NC_OPTIONAL];
	bool has_stats;
	struct nl_link_stats stats;
};

/* addr_assign_type, dev_id and name_assign_type from sysfs, each present or not. */
struct nc_sysattrs {
	bool has[3];
	int64_t v[3];
};

/* One rtnetlink link message into *l. Returns 0, 1 for another message type, or -EBADMSG. */
int netclass_parse_link(const struct nlmsghdr *h, struct nc_link *l);

/* The families of one link (duplex NULL: unknown; with_stats: the counters too). */
void netclass_emit_link(struct expo *e, const struct nc_link *l, const char *duplex,
			const struct nc_sysattrs *sys, bool with_stats);

/* ---- btrfs (BTRFS_IOC_FS_INFO, _DEV_INFO, _GET_DEV_STATS) ---- */

struct btrfs_dev {
	char device[256]; /* base name of the device's path */
	char uuid[40]; /* the device's own UUID */
	uint64_t size, used;
	uint64_t errors[5]; /* write, read, flush, corruption, generation */
};

struct btrfs_fs_devs {
	char fsid[33]; /* hex, no dashes */
	struct btrfs_dev *devs;
	size_t n;
};

/* node_btrfs_device_{size,unused}_bytes and _errors_total of a filesystem's devices. */
void btrfs_emit_devices(struct expo *e, const char *uuid, const struct btrfs_fs_devs *fs);

/* ---- systemd and logind (D-Bus replies) ---- */

/* What the systemd collector keeps of a ListUnits entry (strings in an arena). */
struct sd_unit {
	const char *name, *load_state, *active_state;
};

/*
 * The reply of org.freedesktop.systemd1.Manager.ListUnits, a(ssssssouso),
 * into an array allocated in a. Returns 0, -EIO for an error reply,
 * -EBADMSG for another signature, -ENOMEM.
 */
int systemd_parse_units(sd_bus_message *m, struct arena *a, struct sd_unit **units, size_t *n);

/*
 * The number upstream makes of the Version property: the first run of
 * three or more digits with an optional ".digits"; *label is the version
 * string then, "" (and 0 returned) when there is none.
 */
double systemd_version(const char *version, const char **label);

/* node_systemd_units{state}: the five states always, any other one seen as well. */
void systemd_emit_summary(struct expo *e, const struct sd_unit *units, size_t n);

/* A session of ListSessions and the properties asked of it. */
struct logind_session {
	const char *seat, *path;
	struct dbus_num remote;
	struct dbus_str type, class;
};

/* ListSeats a(so): the seat ids, in arena. Returns 0, -EIO (error reply), -EBADMSG, -ENOMEM. */
int logind_parse_seats(sd_bus_message *m, struct arena *a, const char ***seats, size_t *n);

/* ListSessions a(susso): seat and object path of each session, in arena; same returns. */
int logind_parse_sessions(sd_bus_message *m, struct arena *a, struct logind_session **sessions,
			  size_t *n);

/* node_logind_sessions for every seat (and "") and every known remote, type and class. */
void logind_emit(struct expo *e, const char *const *seats, size_t nseats,
		 const struct logind_session *sessions, size_t nsessions);

/* ---- ntp (an SNTP reply) ---- */

/* An SNTP answer as upstream's library makes it: times and intervals in nanoseconds. */
struct ntp_result {
	unsigned leap, stratum;
	int64_t time, reference_time; /* Unix ns */
	int64_t offset, rtt, root_delay, root_dispersion, root_distance, min_error;
};

/*
 * A reply of n bytes to a query whose transmit timestamp was the random
 * sent, sent at org and received at dst (NTP timestamps of the local
 * clock). Returns 0, -EBADMSG when shorter than a header, -EPROTO when it
 * is not a server's answer to that query.
 */
int ntp_parse(const unsigned char *pkt, size_t n, uint64_t sent, uint64_t org, uint64_t dst,
	      struct ntp_result *r);

/* The NTP timestamp of a Unix time in nanoseconds. */
uint64_t ntp_from_unix_ns(int64_t unix_ns);

/*
 * Upstream's sanity verdict: valid by RFC 5905, root distance within
 * max_distance and minimum error within tolerance (seconds), a second more
 * around a leap second; *leap_midnight (Unix seconds, 0 at first) keeps
 * the midnight of an announced leap second between scrapes.
 */
bool ntp_sane(const struct ntp_result *r, double max_distance, double tolerance, int64_t *leap_midnight);

/* The node_ntp_* families. */
void ntp_emit(struct expo *e, const struct ntp_result *r, bool sane);

#endif
