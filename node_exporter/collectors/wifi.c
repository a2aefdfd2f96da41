/*
 * wifi (off by default): WiFi interfaces, the BSS each is joined to and its
 * stations, from nl80211 over generic netlink: node_wifi_interface_frequency_hertz,
 * node_wifi_station_info{device,bssid,ssid,mode} and node_wifi_station_*
 * {device,mac_address}. A host without nl80211 (no cfg80211 module) has no
 * data. --collector.wifi.fixtures=DIR reads upstream's canned JSON
 * (interfaces.json, <device>/bss.json, <device>/stationinfo.json) instead.
 */
#include <errno.h>
#include <linux/nl80211.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../jsonfix.h"
#include "../replies.h"

static const char *fixtures_flag;

static struct flag wifi_flags[] = {
	{ .name = "collector.wifi.fixtures", .type = FLAG_STRING, .dest = &fixtures_flag,
	  .help = "Directory with upstream's canned WiFi data (JSON) to read instead of nl80211, for tests." },
};

/* Go's net.HardwareAddr.String(): lower-case hex bytes joined by ':', "" when empty. */
void wifi_mac_string(const unsigned char *mac, size_t len, char *dst, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	dst[0] = '\0';
	for (size_t i = 0; i < len && o + 4 <= cap; i++) {
		if (i)
			dst[o++] = ':';
		dst[o++] = hex[mac[i] >> 4];
		dst[o++] = hex[mac[i] & 15];
	}
	dst[o < cap ? o : cap - 1] = '\0';
}

static int copy_bytes(const struct rtattr *a, unsigned char *dst, size_t cap, size_t *len)
{
	if (nl_attr_len(a) > cap)
		return -EBADMSG;
	memcpy(dst, nl_attr_data(a), nl_attr_len(a));
	*len = nl_attr_len(a);
	return 0;
}

static int u32_attr(const struct rtattr *a, uint32_t *v)
{
	return nl_attr_u32(a, v) < 0 ? -EBADMSG : 0;
}

int wifi_parse_iface(const struct nlmsghdr *h, struct wifi_iface *w)
{
	memset(w, 0, sizeof *w);
	size_t len;
	const void *attrs = genl_attrs(h, &len);
	const struct rtattr *tb[NL80211_ATTR_MAX + 1];
	if (!attrs || nl_attrs(attrs, len, tb, NL80211_ATTR_MAX) < 0)
		return -EBADMSG;
	uint32_t index = 0;
	if ((tb[NL80211_ATTR_IFINDEX] && u32_attr(tb[NL80211_ATTR_IFINDEX], &index) < 0) ||
	    (tb[NL80211_ATTR_WIPHY_FREQ] && u32_attr(tb[NL80211_ATTR_WIPHY_FREQ], &w->freq) < 0) ||
	    (tb[NL80211_ATTR_MAC] && copy_bytes(tb[NL80211_ATTR_MAC], w->mac, sizeof w->mac, &w->maclen) < 0))
		return -EBADMSG;
	w->index = (int)index;
	if (tb[NL80211_ATTR_IFNAME] && nl_attr_str(tb[NL80211_ATTR_IFNAME], w->name, sizeof w->name) < 0)
		return -EBADMSG;
	return 0;
}

/* Information elements: id, length, data; the SSID is element 0. */
static int parse_ies(const unsigned char *p, size_t n, struct wifi_bss *b)
{
	while (n > 0) {
		if (n < 2 || (size_t)p[1] + 2 > n)
			return -EBADMSG;
		if (p[0] == 0) {
			size_t l = p[1] < sizeof b->ssid ? p[1] : sizeof b->ssid - 1;
			memcpy(b->ssid, p + 2, l);
			b->ssid[l] = '\0';
		}
		n -= (size_t)p[1] + 2;
		p += (size_t)p[1] + 2;
	}
	return 0;
}

int wifi_parse_bss(const struct nlmsghdr *h, struct wifi_bss *b)
{
	size_t len;
	const void *attrs = genl_attrs(h, &len);
	const struct rtattr *tb[NL80211_ATTR_MAX + 1];
	if (!attrs || nl_attrs(attrs, len, tb, NL80211_ATTR_MAX) < 0)
		return -EBADMSG;
	if (b->found || !tb[NL80211_ATTR_BSS])
		return 0;
	const struct rtattr *bt[NL80211_BSS_MAX + 1];
	if (nl_attrs(nl_attr_data(tb[NL80211_ATTR_BSS]), nl_attr_len(tb[NL80211_ATTR_BSS]), bt,
		     NL80211_BSS_MAX) < 0)
		return -EBADMSG;
	/* Only the BSS the interface is authenticated to, associated with or joined has a status. */
	if (!bt[NL80211_BSS_STATUS])
		return 0;
	memset(b, 0, sizeof *b);
	if (u32_attr(bt[NL80211_BSS_STATUS], &b->status) < 0 ||
	    (bt[NL80211_BSS_BSSID] && copy_bytes(bt[NL80211_BSS_BSSID], b->bssid, sizeof b->bssid, &b->bssid_len) < 0))
		return -EBADMSG;
	const struct rtattr *ie = bt[NL80211_BSS_INFORMATION_ELEMENTS];
	if (ie && parse_ies(nl_attr_data(ie), nl_attr_len(ie), b) < 0)
		return -EBADMSG;
	b->found = true;
	return 0;
}

/* Bitrate attributes: 32-bit in 100 kbit/s, or the old 16-bit one when that is absent or 0. */
static int on_rate_attr(const struct rtattr *r, void *ctx)
{
	uint32_t *rate = ctx;
	unsigned type = r->rta_type & NLA_TYPE_MASK;
	if (type == NL80211_RATE_INFO_BITRATE32 && u32_attr(r, rate) < 0)
		return -EBADMSG;
	uint16_t r16;
	if (*rate == 0 && type == NL80211_RATE_INFO_BITRATE) {
		if (nl_attr_u16(r, &r16) < 0)
			return -EBADMSG;
		*rate = r16;
	}
	return 0;
}

static int parse_rate(const struct rtattr *a, uint64_t *bps)
{
	uint32_t rate = 0;
	int rc = nl_attr_each(nl_attr_data(a), nl_attr_len(a), on_rate_attr, &rate);
	if (rc < 0)
		return rc;
	*bps = (uint64_t)rate * 100000;
	return 0;
}

static int on_sta_attr(const struct rtattr *a, void *ctx)
{
	struct wifi_station *st = ctx;
	uint32_t v32 = 0;
	int8_t s8;
	switch (a->rta_type & NLA_TYPE_MASK) {
	case NL80211_STA_INFO_CONNECTED_TIME:
		if (u32_attr(a, &v32) < 0)
			return -EBADMSG;
		st->connected = v32;
		break;
	case NL80211_STA_INFO_INACTIVE_TIME:
		if (u32_attr(a, &v32) < 0)
			return -EBADMSG;
		st->inactive = v32 / 1000.0;
		break;
	case NL80211_STA_INFO_RX_BYTES64:
		if (nl_attr_u64(a, &st->rx_bytes) < 0)
			return -EBADMSG;
		break;
	case NL80211_STA_INFO_TX_BYTES64:
		if (nl_attr_u64(a, &st->tx_bytes) < 0)
			return -EBADMSG;
		break;
	/* The 32-bit byte counts only when no 64-bit one came before them. */
	case NL80211_STA_INFO_RX_BYTES:
		if (u32_attr(a, &v32) < 0)
			return -EBADMSG;
		if (st->rx_bytes == 0)
			st->rx_bytes = v32;
		break;
	case NL80211_STA_INFO_TX_BYTES:
		if (u32_attr(a, &v32) < 0)
			return -EBADMSG;
		if (st->tx_bytes == 0)
			st->tx_bytes = v32;
		break;
	case NL80211_STA_INFO_SIGNAL:
		if (nl_attr_len(a) < 1)
			return -EBADMSG;
		memcpy(&s8, nl_attr_data(a), 1);
		st->signal = s8;
		break;
	case NL80211_STA_INFO_RX_PACKETS:
		return u32_attr(a, &st->rx_packets);
	case NL80211_STA_INFO_TX_PACKETS:
		return u32_attr(a, &st->tx_packets);
	case NL80211_STA_INFO_TX_RETRIES:
		return u32_attr(a, &st->tx_retries);
	case NL80211_STA_INFO_TX_FAILED:
		return u32_attr(a, &st->tx_failed);
	case NL80211_STA_INFO_BEACON_LOSS:
		return u32_attr(a, &st->beacon_loss);
	case NL80211_STA_INFO_RX_BITRATE:
		return parse_rate(a, &st->rx_bitrate);
	case NL80211_STA_INFO_TX_BITRATE:
		return parse_rate(a, &st->tx_bitrate);
	}
	return 0;
}

struct sta_top {
	struct wifi_station *st;
	bool info;
};

/* Top level: the station's MAC, then its nested statistics (what follows them is ignored, as upstream). */
static int on_sta_top(const struct rtattr *a, void *ctx)
{
	struct sta_top *t = ctx;
	switch (a->rta_type & NLA_TYPE_MASK) {
	case NL80211_ATTR_MAC:
		return copy_bytes(a, t->st->mac, sizeof t->st->mac, &t->st->maclen);
	case NL80211_ATTR_STA_INFO:
		t->info = true;
		int rc = nl_attr_each(nl_attr_data(a), nl_attr_len(a), on_sta_attr, t->st);
		return rc < 0 ? rc : 1;
	}
	return 0;
}

int wifi_parse_station(const struct nlmsghdr *h, struct wifi_station *st)
{
	memset(st, 0, sizeof *st);
	size_t len;
	const void *attrs = genl_attrs(h, &len);
	if (!attrs)
		return -EBADMSG;
	struct sta_top t = { .st = st };
	int rc = nl_attr_each(attrs, len, on_sta_top, &t);
	if (rc < 0)
		return rc;
	return t.info ? 0 : 1;
}

/* ---- output ---- */

enum { F_CONNECTED, F_INACTIVE, F_RX_BITRATE, F_TX_BITRATE, F_RX_BYTES, F_TX_BYTES, F_SIGNAL,
       F_RETRIES, F_FAILED, F_BEACON, F_TX_PACKETS, F_RX_PACKETS, NSTA };

struct wifi_out {
	struct expo *e;
	struct family *freq, *info, *sta[NSTA];
};

static void out_start(struct wifi_out *o, struct expo *e)
{
	static const struct {
		const char *name, *help;
		enum metric_type type;
	} fams[NSTA] = {
		{ "node_wifi_station_connected_seconds_total", "Seconds the station has been connected.", METRIC_COUNTER },
		{ "node_wifi_station_inactive_seconds", "Seconds since the station's last wireless activity.", METRIC_GAUGE },
		{ "node_wifi_station_receive_bits_per_second", "Current receive bitrate of the station.", METRIC_GAUGE },
		{ "node_wifi_station_transmit_bits_per_second", "Current transmit bitrate of the station.", METRIC_GAUGE },
		{ "node_wifi_station_receive_bytes_total", "Bytes received by the station.", METRIC_COUNTER },
		{ "node_wifi_station_transmit_bytes_total", "Bytes sent by the station.", METRIC_COUNTER },
		{ "node_wifi_station_signal_dbm", "Current signal strength of the station in dBm.", METRIC_GAUGE },
		{ "node_wifi_station_transmit_retries_total", "Times the station retried sending a packet.", METRIC_COUNTER },
		{ "node_wifi_station_transmit_failed_total", "Times the station failed to send a packet.", METRIC_COUNTER },
		{ "node_wifi_station_beacon_loss_total", "Beacon losses the station detected.", METRIC_COUNTER },
		{ "node_wifi_station_transmitted_packets_total", "Packets sent by the station.", METRIC_COUNTER },
		{ "node_wifi_station_received_packets_total", "Packets received by the station.", METRIC_COUNTER },
	};
	o->e = e;
	o->freq = expo_family(e, "node_wifi_interface_frequency_hertz", METRIC_GAUGE,
			      "Frequency the WiFi interface operates at, in hertz.",
			      (const char *const[]){ "device", NULL });
	o->info = expo_family(e, "node_wifi_station_info", METRIC_GAUGE,
			      "Constant 1, labelled with the BSS the interface is joined to.",
			      (const char *const[]){ "device", "bssid", "ssid", "mode", NULL });
	for (int i = 0; i < NSTA; i++)
		o->sta[i] = expo_family(e, fams[i].name, fams[i].type, fams[i].help,
					(const char *const[]){ "device", "mac_address", NULL });
}

static void out_bss(struct wifi_out *o, const char *dev, const struct wifi_bss *b)
{
	char bssid[100];
	wifi_mac_string(b->bssid, b->bssid_len, bssid, sizeof bssid);
	/* nl80211_bss_status: authenticated, associated, IBSS joined. */
	const char *mode = b->status <= 1 ? "client" : b->status == 2 ? "ad-hoc" : "unknown";
	expo_sample(o->e, o->info, 1, dev, bssid, b->ssid, mode);
}

static void out_station(struct wifi_out *o, const char *dev, const struct wifi_station *st)
{
	char mac[100];
	wifi_mac_string(st->mac, st->maclen, mac, sizeof mac);
	const double v[NSTA] = { st->connected,		  st->inactive,	     (double)st->rx_bitrate,
				 (double)st->tx_bitrate,  (double)st->rx_bytes, (double)st->tx_bytes,
				 st->signal,		  st->tx_retries,    st->tx_failed,
				 st->beacon_loss,	  st->tx_packets,    st->rx_packets };
	for (int i = 0; i < NSTA; i++)
		expo_sample(o->e, o->sta[i], v[i], dev, mac);
}

/* ---- nl80211 ---- */

struct dump {
	struct nl_sock ns;
	uint16_t family;
	struct buf *rx;
};

/* A dump of cmd, for one interface (its index and address) or all (w NULL). */
static int nl80211_dump(struct dump *d, uint8_t cmd, const struct wifi_iface *w, nl_msg_fn fn, void *ctx)
{
	union {
		struct nlmsghdr h;
		char bytes[128];
	} req = { .h = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = d->family,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	struct genlmsghdr *g = NLMSG_DATA(&req.h);
	g->cmd = cmd;
	if (w) {
		uint32_t index = (uint32_t)w->index;
		if (nl_put(&req.h, sizeof req, NL80211_ATTR_IFINDEX, &index, sizeof index) < 0 ||
		    (w->maclen && nl_put(&req.h, sizeof req, NL80211_ATTR_MAC, w->mac, w->maclen) < 0))
			return -EINVAL;
	}
	return nl_exchange(&d->ns, &req.h, d->rx, fn, ctx);
}

struct iface_list {
	struct wifi_iface *v;
	size_t n, cap;
};

static int on_iface(const struct nlmsghdr *h, void *ctx)
{
	struct iface_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct wifi_iface *p = realloc(l->v, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	int rc = wifi_parse_iface(h, &l->v[l->n]);
	if (rc == 0)
		l->n++;
	return rc;
}

static int on_bss(const struct nlmsghdr *h, void *ctx)
{
	return wifi_parse_bss(h, ctx);
}

struct sta_ctx {
	struct wifi_out *o;
	const char *dev;
	struct wifi_station *v;
	size_t n, cap;
	bool missing;
};

static int on_station(const struct nlmsghdr *h, void *ctx)
{
	struct sta_ctx *c = ctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct wifi_station *p = realloc(c->v, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		c->v = p;
		c->cap = cap;
	}
	int rc = wifi_parse_station(h, &c->v[c->n]);
	if (rc < 0)
		return rc;
	/* One station without statistics makes the whole list "not found", as upstream. */
	if (rc == 1)
		c->missing = true;
	else
		c->n++;
	return 0;
}

static int collect_nl80211(struct scrape *s, struct wifi_out *o)
{
	struct dump d = { .rx = scrape_buf(s) };
	struct iface_list l = { 0 };
	struct sta_ctx c = { .o = o };
	int rc = nl_open(&d.ns, NETLINK_GENERIC);
	if (rc < 0)
		return scrape_fail(s, "failed to access wifi data: %s", strerror(-rc));
	rc = genl_family(&d.ns, NL80211_GENL_NAME, d.rx, &d.family);
	if (rc == -ENOENT || rc == -EPERM || rc == -EACCES) {
		/* No WiFi support on this host (or not allowed to ask): no data, as upstream. */
		nl_close(&d.ns);
		strf(s->err, sizeof s->err, "no nl80211 on this system: %s", strerror(-rc));
		return COLLECT_NODATA;
	}
	if (rc < 0) {
		nl_close(&d.ns);
		return scrape_fail(s, "failed to access wifi data: %s", strerror(-rc));
	}
	rc = nl80211_dump(&d, NL80211_CMD_GET_INTERFACE, NULL, on_iface, &l);
	if (rc < 0) {
		rc = scrape_fail(s, "failed to retrieve wifi interfaces: %s", strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct wifi_iface *w = &l.v[i];
		if (!w->name[0]) /* a virtual device without a netdev */
			continue;
		expo_sample(o->e, o->freq, (double)w->freq * 1e6, w->name);
		struct wifi_bss b = { 0 };
		rc = nl80211_dump(&d, NL80211_CMD_GET_SCAN, w, on_bss, &b);
		if (rc < 0 && rc != -ENOENT) {
			rc = scrape_fail(s, "failed to retrieve BSS for device %s: %s", w->name, strerror(-rc));
			goto out;
		}
		if (rc == 0 && b.found)
			out_bss(o, w->name, &b);
		c.n = 0;
		c.missing = false;
		rc = nl80211_dump(&d, NL80211_CMD_GET_STATION, w, on_station, &c);
		if (rc < 0 && rc != -ENOENT) {
			rc = scrape_fail(s, "failed to retrieve station info for device \"%s\": %s", w->name,
					 strerror(-rc));
			goto out;
		}
		for (size_t k = 0; rc == 0 && !c.missing && k < c.n; k++)
			out_station(o, w->name, &c.v[k]);
	}
	rc = COLLECT_OK;
out:
	free(c.v);
	free(l.v);
	nl_close(&d.ns);
	return rc;
}

/* ---- upstream's fixtures ---- */

/* A JSON file of the fixture directory; -ENOENT when it is not there. */
static int load(struct scrape *s, struct jdoc *d, const char *dev, const char *file)
{
	char path[4096], err[512];
	int n = dev ? pathf(path, sizeof path, "%s/%s/%s", fixtures_flag, dev, file)
		    : pathf(path, sizeof path, "%s/%s", fixtures_flag, file);
	if (n < 0)
		return scrape_fail(s, "path too long");
	int rc = jdoc_load(d, path, err, sizeof err);
	if (rc == -1)
		return scrape_fail(s, "%s", err);
	return rc;
}

static int fixture_station(struct jdoc *d, yaml_node_t *m, struct wifi_station *st)
{
	memset(st, 0, sizeof *st);
	int64_t v[13];
	static const char *const keys[13] = { "connected",     "inactive",	  "receivebitrate",
					      "transmitbitrate", "receivedbytes",   "transmittedbytes",
					      "signal",	       "transmitretries", "transmitfailed",
					      "beaconloss",      "transmittedpackets", "receivedpackets",
					      "hardwareaddr" };
	for (int k = 0; k < 12; k++)
		if (jdoc_i64(d, m, keys[k], &v[k]) < 0)
			return -1;
	int n = jdoc_bytes(d, m, keys[12], st->mac, sizeof st->mac);
	if (n < 0)
		return -1;
	st->maclen = (size_t)n;
	/* Durations are Go's nanoseconds. */
	st->connected = (double)v[0] / 1e9;
	st->inactive = (double)v[1] / 1e9;
	st->rx_bitrate = (uint64_t)v[2];
	st->tx_bitrate = (uint64_t)v[3];
	st->rx_bytes = (uint64_t)v[4];
	st->tx_bytes = (uint64_t)v[5];
	st->signal = (int)v[6];
	st->tx_retries = (uint32_t)v[7];
	st->tx_failed = (uint32_t)v[8];
	st->beacon_loss = (uint32_t)v[9];
	st->tx_packets = (uint32_t)v[10];
	st->rx_packets = (uint32_t)v[11];
	return 0;
}

static int collect_fixtures(struct scrape *s, struct wifi_out *o)
{
	struct jdoc ifs;
	int rc = load(s, &ifs, NULL, "interfaces.json");
	if (rc == -ENOENT)
		return scrape_fail(s, "failed to retrieve wifi interfaces: %s/interfaces.json not found",
				   fixtures_flag);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < jdoc_len(&ifs, ifs.root) && rc == COLLECT_OK; i++) {
		yaml_node_t *m = jdoc_item(&ifs, ifs.root, i);
		const char *name = jdoc_str(&ifs, m, "name");
		uint64_t freq;
		if (!name || !name[0])
			continue;
		if (jdoc_u64(&ifs, m, "frequency", &freq) < 0) {
			rc = scrape_fail(s, "interfaces.json: bad frequency of %s", name);
			break;
		}
		expo_sample(o->e, o->freq, (double)freq * 1e6, name);

		struct jdoc d;
		int lr = load(s, &d, name, "bss.json");
		if (lr == COLLECT_ERROR) {
			rc = lr;
			break;
		}
		if (lr == 0) {
			struct wifi_bss b = { 0 };
			uint64_t status;
			const char *ssid = jdoc_str(&d, d.root, "ssid");
			int n = jdoc_bytes(&d, d.root, "bssid", b.bssid, sizeof b.bssid);
			if (n < 0 || jdoc_u64(&d, d.root, "status", &status) < 0) {
				jdoc_free(&d);
				rc = scrape_fail(s, "%s/bss.json: bad value", name);
				break;
			}
			b.bssid_len = (size_t)n;
			b.status = (uint32_t)status;
			strf(b.ssid, sizeof b.ssid, "%s", ssid ? ssid : "");
			out_bss(o, name, &b);
			jdoc_free(&d);
		}
		lr = load(s, &d, name, "stationinfo.json");
		if (lr == COLLECT_ERROR) {
			rc = lr;
			break;
		}
		if (lr == 0) {
			for (size_t k = 0; k < jdoc_len(&d, d.root); k++) {
				struct wifi_station st;
				if (fixture_station(&d, jdoc_item(&d, d.root, k), &st) < 0) {
					rc = scrape_fail(s, "%s/stationinfo.json: bad value", name);
					break;
				}
				out_station(o, name, &st);
			}
			jdoc_free(&d);
		}
	}
	jdoc_free(&ifs);
	return rc;
}

static int wifi_collect(struct scrape *s, struct expo *e)
{
	struct wifi_out o;
	out_start(&o, e);
	return fixtures_flag[0] ? collect_fixtures(s, &o) : collect_nl80211(s, &o);
}

const struct collector_def collector_wifi = {
	.name = "wifi",
	.default_enabled = false,
	.flags = wifi_flags,
	.nflags = sizeof wifi_flags / sizeof wifi_flags[0],
	.collect = wifi_collect,
};
