// links: node_exporter
/*
 * The collectors that ask the kernel rather than read files, on canned
 * replies: sock_diag messages (tcpstat), rtnetlink routes (network_route),
 * qdiscs and links (qdisc, netclass' netlink mode), nl80211 interfaces,
 * BSSs and stations (wifi), ethtool's link modes (netclass) and ioctl
 * results (ethtool, btrfs), and SNTP replies (ntp); each with broken
 * variants. Also upstream's canned qdisc and wifi data through the
 * *.fixtures flags, and what this kernel answers where it can (no WiFi here).
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/nl80211.h>
#include <linux/pkt_sched.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <unistd.h>

#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../node_exporter/replies.h"
#include "unit.h"

extern const struct collector_def collector_tcpstat, collector_network_route, collector_qdisc,
	collector_wifi, collector_netclass, collector_ethtool, collector_ntp;

/* ---- building messages ---- */

struct msg {
	union {
		struct nlmsghdr h;
		char bytes[4096];
	} u;
};

/* A message of type with a fixed header of len bytes (copied from fixed, may be NULL). */
static struct nlmsghdr *msg_start(struct msg *m, uint16_t type, const void *fixed, size_t len)
{
	memset(m, 0, sizeof *m);
	m->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	m->u.h.nlmsg_type = type;
	if (fixed)
		memcpy(NLMSG_DATA(&m->u.h), fixed, len);
	return &m->u.h;
}

static void put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	ck_assert_int_eq(nl_put(&m->u.h, sizeof m->u, type, data, len), 0);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, sizeof v);
}

static void put_str(struct msg *m, uint16_t type, const char *s)
{
	put(m, type, s, strlen(s) + 1);
}

static char *render(struct expo *e)
{
	return render_free(e);
}

static void expect(const char *text, const char *line)
{
	ck_assert_msg(has_line(text, line), "missing line: %s\n--- output:\n%s", line, text);
}

/* ---- tcpstat ---- */

static void diag_msg(struct msg *m, uint8_t state, uint32_t rq, uint32_t wq)
{
	struct inet_diag_msg d = { .idiag_family = AF_INET, .idiag_state = state, .idiag_rqueue = rq,
				   .idiag_wqueue = wq };
	msg_start(m, SOCK_DIAG_BY_FAMILY, &d, sizeof d);
}

START_TEST(test_tcpstat)
{
	struct tcpstat t = { 0 };
	struct msg m;
	/* two established sockets with data queued, a listener (backlog 0 of 128), a time-wait */
	diag_msg(&m, 1, 100, 5);
	ck_assert_int_eq(tcpstat_add(&t, &m.u.h), 0);
	diag_msg(&m, 1, 0, 7);
	ck_assert_int_eq(tcpstat_add(&t, &m.u.h), 0);
	diag_msg(&m, 10, 0, 128);
	ck_assert_int_eq(tcpstat_add(&t, &m.u.h), 0);
	diag_msg(&m, 6, 0, 0);
	ck_assert_int_eq(tcpstat_add(&t, &m.u.h), 0);
	/* states upstream has no name for are "unknown": 0, 12 (NEW_SYN_RECV), 13, beyond */
	static const uint8_t odd[] = { 0, 12, 13, 200 };
	for (size_t i = 0; i < sizeof odd; i++) {
		diag_msg(&m, odd[i], 0, 0);
		ck_assert_int_eq(tcpstat_add(&t, &m.u.h), 0);
	}
	/* another message type is ignored; a truncated one is an error */
	msg_start(&m, NLMSG_MIN_TYPE + 99, NULL, 4);
	ck_assert_int_eq(tcpstat_add(&t, &m.u.h), 0);
	msg_start(&m, SOCK_DIAG_BY_FAMILY, NULL, sizeof(struct inet_diag_msg) - 1);
	ck_assert_int_eq(tcpstat_add(&t, &m.u.h), -EBADMSG);

	struct expo *e = expo_new(1 << 20);
	tcpstat_emit(&t, e);
	char *text = render(e);
	expect(text, "node_tcp_connection_states{state=\"established\"} 2");
	expect(text, "node_tcp_connection_states{state=\"listen\"} 1");
	expect(text, "node_tcp_connection_states{state=\"time_wait\"} 1");
	expect(text, "node_tcp_connection_states{state=\"unknown\"} 4");
	expect(text, "node_tcp_connection_states{state=\"rx_queued_bytes\"} 100");
	expect(text, "node_tcp_connection_states{state=\"tx_queued_bytes\"} 140");
	ck_assert_int_eq(count_samples(text, "node_tcp_connection_states"), 6);
	free(text);

	/* no sockets: no samples at all, as upstream */
	struct tcpstat none = { 0 };
	e = expo_new(1 << 20);
	tcpstat_emit(&none, e);
	text = render(e);
	ck_assert_int_eq(count_samples(text, "node_tcp_connection_states"), 0);
	free(text);

	/* this kernel: at least the listener of our own socket below */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	struct run_result r = run_collector(&collector_tcpstat);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(strstr(r.text, "node_tcp_connection_states{state=\"listen\"}"));
	free(r.text);
	close(fd);
}
END_TEST

/* ---- network_route ---- */

static const struct nl_ifname ifs[] = { { 1, "lo" }, { 2, "eth0" }, { 3, "eth1" } };

static void route_msg(struct msg *m, uint8_t family, uint8_t dst_len, uint8_t proto, uint8_t type)
{
	struct rtmsg r = { .rtm_family = family, .rtm_dst_len = dst_len, .rtm_protocol = proto,
			   .rtm_type = type, .rtm_table = RT_TABLE_MAIN };
	msg_start(m, RTM_NEWROUTE, &r, sizeof r);
}

START_TEST(test_routes)
{
	struct route_table rt = { .ifs = ifs, .nifs = 3 };
	struct expo *e = expo_new(1 << 20);
	route_table_start(&rt, e);
	struct msg m;
	const unsigned char net[4] = { 10, 1, 0, 0 }, gw[4] = { 192, 0, 2, 1 }, src[4] = { 192, 0, 2, 9 };
	route_msg(&m, AF_INET, 16, RTPROT_STATIC, RTN_UNICAST);
	put(&m, RTA_DST, net, 4);
	put(&m, RTA_GATEWAY, gw, 4);
	put(&m, RTA_PREFSRC, src, 4);
	put_u32(&m, RTA_PRIORITY, 100);
	put_u32(&m, RTA_OIF, 2);
	ck_assert_int_eq(route_add(&rt, &m.u.h), 0);
	/* the default route, by a protocol upstream names, through an unknown device */
	route_msg(&m, AF_INET, 0, 186, RTN_UNICAST);
	put(&m, RTA_GATEWAY, gw, 4);
	put_u32(&m, RTA_OIF, 99);
	ck_assert_int_eq(route_add(&rt, &m.u.h), 0);
	/* local and broadcast routes are not unicast: left out */
	route_msg(&m, AF_INET, 32, RTPROT_KERNEL, RTN_LOCAL);
	put(&m, RTA_DST, src, 4);
	put_u32(&m, RTA_OIF, 2);
	ck_assert_int_eq(route_add(&rt, &m.u.h), 0);
	/* IPv6 with an unknown protocol number */
	const unsigned char v6net[16] = { 0x20, 0x01, 0x0d, 0xb8 }, v6gw[16] = { 0xfe, 0x80, [15] = 1 };
	route_msg(&m, AF_INET6, 64, 77, RTN_UNICAST);
	put(&m, RTA_DST, v6net, 16);
	put(&m, RTA_GATEWAY, v6gw, 16);
	put_u32(&m, RTA_PRIORITY, 1024);
	put_u32(&m, RTA_OIF, 3);
	ck_assert_int_eq(route_add(&rt, &m.u.h), 0);
	/* multipath: weights 1 and 3 (hops 0 and 2) through eth0 and eth1 */
	route_msg(&m, AF_INET, 24, RTPROT_BOOT, RTN_UNICAST);
	const unsigned char net2[4] = { 10, 9, 0, 0 }, gw2[4] = { 192, 0, 2, 2 };
	put(&m, RTA_DST, net2, 4);
	unsigned char mp[64] = { 0 };
	size_t off = 0;
	for (int i = 0; i < 2; i++) {
		struct rtnexthop *nh = (struct rtnexthop *)(void *)(mp + off);
		nh->rtnh_len = (unsigned short)RTNH_LENGTH(RTA_SPACE(4));
		nh->rtnh_hops = (unsigned char)(i * 2);
		nh->rtnh_ifindex = 2 + i;
		struct rtattr *a = RTNH_DATA(nh);
		a->rta_len = RTA_LENGTH(4);
		a->rta_type = RTA_GATEWAY;
		memcpy(RTA_DATA(a), i ? gw2 : gw, 4);
		off += RTNH_ALIGN(nh->rtnh_len);
	}
	put(&m, RTA_MULTIPATH, mp, off);
	ck_assert_int_eq(route_add(&rt, &m.u.h), 0);
	/* other messages pass */
	msg_start(&m, RTM_NEWLINK, NULL, 16);
	ck_assert_int_eq(route_add(&rt, &m.u.h), 0);

	/* broken: a short rtmsg, a next hop running past its attribute, an attribute past the end */
	msg_start(&m, RTM_NEWROUTE, NULL, sizeof(struct rtmsg) - 2);
	ck_assert_int_eq(route_add(&rt, &m.u.h), -EBADMSG);
	route_msg(&m, AF_INET, 24, RTPROT_BOOT, RTN_UNICAST);
	((struct rtnexthop *)(void *)mp)->rtnh_len = 200;
	put(&m, RTA_MULTIPATH, mp, off);
	ck_assert_int_eq(route_add(&rt, &m.u.h), -EBADMSG);
	route_msg(&m, AF_INET, 24, RTPROT_BOOT, RTN_UNICAST);
	put_u32(&m, RTA_OIF, 2);
	((struct rtattr *)(void *)((char *)&m.u.h + NLMSG_LENGTH(sizeof(struct rtmsg))))->rta_len = 500;
	ck_assert_int_eq(route_add(&rt, &m.u.h), -EBADMSG);

	route_table_finish(&rt);
	char *text = render(e);
	expect(text, "node_network_route_info{dest=\"10.1.0.0/16\",device=\"eth0\",gw=\"192.0.2.1\","
		     "priority=\"100\",proto=\"static\",src=\"192.0.2.9\",weight=\"\"} 1");
	expect(text, "node_network_route_info{dest=\"default\",device=\"\",gw=\"192.0.2.1\",priority=\"0\","
		     "proto=\"bgp\",src=\"\",weight=\"\"} 1");
	expect(text, "node_network_route_info{dest=\"2001:db8::/64\",device=\"eth1\",gw=\"fe80::1\","
		     "priority=\"1024\",proto=\"unknown\",src=\"\",weight=\"\"} 1");
	expect(text, "node_network_route_info{dest=\"10.9.0.0/24\",device=\"eth0\",gw=\"192.0.2.1\","
		     "priority=\"0\",proto=\"boot\",src=\"\",weight=\"1\"} 1");
	expect(text, "node_network_route_info{dest=\"10.9.0.0/24\",device=\"eth1\",gw=\"192.0.2.2\","
		     "priority=\"0\",proto=\"boot\",src=\"\",weight=\"3\"} 1");
	ck_assert_int_eq(count_samples(text, "node_network_route_info"), 5);
	expect(text, "node_network_routes{device=\"eth0\"} 2");
	expect(text, "node_network_routes{device=\"eth1\"} 2");
	expect(text, "node_network_routes{device=\"\"} 1");
	free(text);
	free(rt.dev);

	/* this kernel: lo's routes are local, but the collector runs */
	struct run_result r = run_collector(&collector_network_route);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	free(r.text);
}
END_TEST

/* ---- qdisc ---- */

static void qdisc_msg(struct msg *m, int ifindex, uint32_t parent, const char *kind)
{
	struct tcmsg t = { .tcm_ifindex = ifindex, .tcm_parent = parent, .tcm_handle = 0x10000 };
	msg_start(m, RTM_NEWQDISC, &t, sizeof t);
	put_str(m, TCA_KIND, kind);
}

START_TEST(test_qdisc_messages)
{
	struct msg m;
	struct qdisc_info q;
	qdisc_msg(&m, 2, TC_H_ROOT, "fq_codel");
	/* TCA_STATS2 first, then the legacy TCA_STATS the kernel appends: it wins where it has a field */
	unsigned char nest[64] = { 0 };
	size_t off = 0;
	struct rtattr *a = (struct rtattr *)(void *)nest;
	a->rta_type = TCA_STATS_BASIC;
	a->rta_len = RTA_LENGTH(sizeof(struct gnet_stats_basic));
	struct gnet_stats_basic basic = { .bytes = 1000, .packets = 10 };
	memcpy(RTA_DATA(a), &basic, sizeof basic);
	off += RTA_ALIGN(a->rta_len);
	a = (struct rtattr *)(void *)(nest + off);
	a->rta_type = TCA_STATS_QUEUE;
	a->rta_len = RTA_LENGTH(sizeof(struct gnet_stats_queue));
	struct gnet_stats_queue queue = { .qlen = 1, .backlog = 2, .drops = 3, .requeues = 4, .overlimits = 5 };
	memcpy(RTA_DATA(a), &queue, sizeof queue);
	off += RTA_ALIGN(a->rta_len);
	put(&m, TCA_STATS2, nest, off);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), 0);
	ck_assert_str_eq(q.kind, "fq_codel");
	ck_assert_uint_eq(q.parent, 0);
	ck_assert_uint_eq(q.bytes, 1000);
	ck_assert_uint_eq(q.packets, 10);
	ck_assert_uint_eq(q.requeues, 4);
	ck_assert_uint_eq(q.overlimits, 5);
	struct tc_stats legacy = { .bytes = 2000, .packets = 20, .drops = 30, .overlimits = 50, .qlen = 6,
				   .backlog = 7 };
	put(&m, TCA_STATS, &legacy, sizeof legacy);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), 0);
	ck_assert_uint_eq(q.bytes, 2000);
	ck_assert_uint_eq(q.drops, 30);
	ck_assert_uint_eq(q.backlog, 7);
	ck_assert_uint_eq(q.requeues, 4); /* only in TCA_STATS2 */
	ck_assert_int_eq(q.ifindex, 2);

	/* a child qdisc keeps its parent; another message type is 1 */
	qdisc_msg(&m, 2, 0x10001, "pfifo");
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), 0);
	ck_assert_uint_eq(q.parent, 0x10001);
	msg_start(&m, RTM_NEWLINK, NULL, 16);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), 1);

	/* broken: short tcmsg, short TCA_STATS, short queue statistics, unterminated oversized kind */
	msg_start(&m, RTM_NEWQDISC, NULL, 8);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), -EBADMSG);
	qdisc_msg(&m, 2, TC_H_ROOT, "x");
	put(&m, TCA_STATS, &legacy, 20);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), -EBADMSG);
	qdisc_msg(&m, 2, TC_H_ROOT, "x");
	((struct rtattr *)(void *)(nest + RTA_ALIGN(RTA_LENGTH(sizeof basic))))->rta_len = RTA_LENGTH(8);
	put(&m, TCA_STATS2, nest, off);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), -EBADMSG);
	qdisc_msg(&m, 2, TC_H_ROOT, "x");
	char kind[64];
	memset(kind, 'k', sizeof kind);
	put(&m, TCA_KIND, kind, sizeof kind);
	ck_assert_int_eq(qdisc_parse(&m.u.h, &q), -EBADMSG);
}
END_TEST

START_TEST(test_qdisc_collector)
{
	/* upstream's canned data and its golden lines */
	struct run_result r = run_collector_with(&collector_qdisc, NULL, NULL, NULL,
						 ARGS("--collector.qdisc.fixtures=" FIXTURES "/qdisc",
						      "--collector.qdisc.device-include=(wlan0|eth0)"));
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_line(&r, "node_qdisc_bytes_total{device=\"wlan0\",kind=\"fq\"} 42");
	expect_line(&r, "node_qdisc_requeues_total{device=\"eth0\",kind=\"pfifo_fast\"} 2");
	expect_line(&r, "node_qdisc_drops_total{device=\"wlan0\",kind=\"fq\"} 1");
	expect_line(&r, "node_qdisc_current_queue_length{device=\"eth0\",kind=\"pfifo_fast\"} 0");
	ck_assert_int_eq(count_samples(r.text, "node_qdisc_"), 14);
	free(r.text);
	/* the old spelling of the filter, and an exclude */
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL,
			       ARGS("--collector.qdisc.fixtures=" FIXTURES "/qdisc", "--collector.qdisk.device-exclude=^eth"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(count_samples(r.text, "node_qdisc_"), 7);
	expect_no(&r, "eth0");
	free(r.text);
	/* include and exclude together, old and new together: refused at start */
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL,
			       ARGS("--collector.qdisc.device-include=a", "--collector.qdisc.device-exclude=b"));
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL,
			       ARGS("--collector.qdisc.device-include=a", "--collector.qdisk.device-include=b"));
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	/* a missing or broken results.json is an error */
	char *dir = fixture_dir();
	char flag[300];
	snprintf(flag, sizeof flag, "--collector.qdisc.fixtures=%s", dir);
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL, ARGS(flag));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "results.json", "[{\"IfaceName\": \"eth0\", \"Bytes\": ");
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL, ARGS(flag));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "results.json", "[{\"IfaceName\": \"eth0\", \"Packets\": \"many\"}]");
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL, ARGS(flag));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "results.json", "[{\"IfaceName\": \"eth0\", \"Packets\": 4294967296}]");
	r = run_collector_with(&collector_qdisc, NULL, NULL, NULL, ARGS(flag));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
	/* this kernel */
	r = run_collector(&collector_qdisc);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	free(r.text);
}
END_TEST

/* ---- wifi ---- */

static void genl_msg(struct msg *m, uint16_t family, uint8_t cmd)
{
	struct genlmsghdr g = { .cmd = cmd };
	msg_start(m, family, &g, sizeof g);
}

START_TEST(test_wifi_messages)
{
	struct msg m;
	struct wifi_iface w;
	const unsigned char mac[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	genl_msg(&m, 30, NL80211_CMD_NEW_INTERFACE);
	put_u32(&m, NL80211_ATTR_IFINDEX, 4);
	put_str(&m, NL80211_ATTR_IFNAME, "wlan0");
	put_u32(&m, NL80211_ATTR_IFTYPE, NL80211_IFTYPE_STATION);
	put(&m, NL80211_ATTR_MAC, mac, 6);
	put_u32(&m, NL80211_ATTR_WIPHY_FREQ, 2412);
	ck_assert_int_eq(wifi_parse_iface(&m.u.h, &w), 0);
	ck_assert_str_eq(w.name, "wlan0");
	ck_assert_int_eq(w.index, 4);
	ck_assert_uint_eq(w.freq, 2412);
	ck_assert_uint_eq(w.maclen, 6);
	char s[64];
	wifi_mac_string(w.mac, w.maclen, s, sizeof s);
	ck_assert_str_eq(s, "aa:bb:cc:dd:ee:ff");
	wifi_mac_string(w.mac, 0, s, sizeof s);
	ck_assert_str_eq(s, "");
	/* a P2P device has no name; a short frequency is malformed */
	genl_msg(&m, 30, NL80211_CMD_NEW_INTERFACE);
	put_u32(&m, NL80211_ATTR_IFTYPE, NL80211_IFTYPE_P2P_DEVICE);
	ck_assert_int_eq(wifi_parse_iface(&m.u.h, &w), 0);
	ck_assert_str_eq(w.name, "");
	genl_msg(&m, 30, NL80211_CMD_NEW_INTERFACE);
	put(&m, NL80211_ATTR_WIPHY_FREQ, "ab", 2);
	ck_assert_int_eq(wifi_parse_iface(&m.u.h, &w), -EBADMSG);
	msg_start(&m, 30, NULL, 2); /* shorter than a genl header */
	ck_assert_int_eq(wifi_parse_iface(&m.u.h, &w), -EBADMSG);

	/* BSS: only one with a status counts; the SSID is information element 0 */
	struct wifi_bss b = { 0 };
	unsigned char bss[128];
	size_t off = 0;
	struct rtattr *a = (struct rtattr *)(void *)bss;
	a->rta_type = NL80211_BSS_BSSID;
	a->rta_len = RTA_LENGTH(6);
	memcpy(RTA_DATA(a), "\x00\x11\x22\x33\x44\x55", 6);
	off += RTA_ALIGN(a->rta_len);
	a = (struct rtattr *)(void *)(bss + off);
	a->rta_type = NL80211_BSS_INFORMATION_ELEMENTS;
	const unsigned char ies[] = { 0, 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 1, 6 };
	a->rta_len = RTA_LENGTH(sizeof ies);
	memcpy(RTA_DATA(a), ies, sizeof ies);
	off += RTA_ALIGN(a->rta_len);
	genl_msg(&m, 30, NL80211_CMD_NEW_SCAN_RESULTS);
	put(&m, NL80211_ATTR_BSS, bss, off); /* scanned, not joined */
	ck_assert_int_eq(wifi_parse_bss(&m.u.h, &b), 0);
	ck_assert(!b.found);
	a = (struct rtattr *)(void *)(bss + off);
	a->rta_type = NL80211_BSS_STATUS;
	a->rta_len = RTA_LENGTH(4);
	uint32_t status = NL80211_BSS_STATUS_ASSOCIATED;
	memcpy(RTA_DATA(a), &status, 4);
	genl_msg(&m, 30, NL80211_CMD_NEW_SCAN_RESULTS);
	put(&m, NL80211_ATTR_BSS, bss, off + RTA_SPACE(4));
	ck_assert_int_eq(wifi_parse_bss(&m.u.h, &b), 0);
	ck_assert(b.found);
	ck_assert_str_eq(b.ssid, "Example");
	ck_assert_uint_eq(b.status, 1);
	wifi_mac_string(b.bssid, b.bssid_len, s, sizeof s);
	ck_assert_str_eq(s, "00:11:22:33:44:55");
	/* an element running past the end is malformed */
	((unsigned char *)RTA_DATA((struct rtattr *)(void *)(bss + RTA_ALIGN(RTA_LENGTH(6)))))[10] = 9;
	struct wifi_bss b2 = { 0 };
	genl_msg(&m, 30, NL80211_CMD_NEW_SCAN_RESULTS);
	put(&m, NL80211_ATTR_BSS, bss, off + RTA_SPACE(4));
	ck_assert_int_eq(wifi_parse_bss(&m.u.h, &b2), -EBADMSG);

	/* a station: 32-bit bytes before the 64-bit ones, rates old and new */
	unsigned char sta[256];
	off = 0;
#define STA_ATTR(type, ptr, len)                                               \
	do {                                                                   \
		struct rtattr *x = (struct rtattr *)(void *)(sta + off);       \
		x->rta_type = (type);                                          \
		x->rta_len = (unsigned short)RTA_LENGTH(len);                  \
		memcpy(RTA_DATA(x), (ptr), (len));                             \
		off += RTA_ALIGN(x->rta_len);                                  \
	} while (0)
	uint32_t v32 = 30;
	STA_ATTR(NL80211_STA_INFO_CONNECTED_TIME, &v32, 4);
	v32 = 400;
	STA_ATTR(NL80211_STA_INFO_INACTIVE_TIME, &v32, 4);
	v32 = 5;
	STA_ATTR(NL80211_STA_INFO_RX_BYTES, &v32, 4);
	uint64_t v64 = 5000000000ull;
	STA_ATTR(NL80211_STA_INFO_RX_BYTES64, &v64, 8);
	v32 = 77;
	STA_ATTR(NL80211_STA_INFO_TX_BYTES, &v32, 4);
	int8_t sig = -52;
	STA_ATTR(NL80211_STA_INFO_SIGNAL, &sig, 1);
	v32 = 10;
	STA_ATTR(NL80211_STA_INFO_TX_RETRIES, &v32, 4);
	v32 = 2;
	STA_ATTR(NL80211_STA_INFO_TX_FAILED, &v32, 4);
	v32 = 1;
	STA_ATTR(NL80211_STA_INFO_BEACON_LOSS, &v32, 4);
	v32 = 12;
	STA_ATTR(NL80211_STA_INFO_RX_PACKETS, &v32, 4);
	v32 = 13;
	STA_ATTR(NL80211_STA_INFO_TX_PACKETS, &v32, 4);
	unsigned char rate[16];
	struct rtattr *ra = (struct rtattr *)(void *)rate;
	ra->rta_type = NL80211_RATE_INFO_BITRATE32;
	ra->rta_len = RTA_LENGTH(4);
	v32 = 1640;
	memcpy(RTA_DATA(ra), &v32, 4);
	STA_ATTR(NL80211_STA_INFO_TX_BITRATE, rate, RTA_SPACE(4));
	ra->rta_type = NL80211_RATE_INFO_BITRATE;
	ra->rta_len = RTA_LENGTH(2);
	uint16_t r16 = 1280;
	memcpy(RTA_DATA(ra), &r16, 2);
	STA_ATTR(NL80211_STA_INFO_RX_BITRATE, rate, RTA_SPACE(2));
	genl_msg(&m, 30, NL80211_CMD_NEW_STATION);
	put(&m, NL80211_ATTR_MAC, mac, 6);
	put(&m, NL80211_ATTR_STA_INFO, sta, off);
	struct wifi_station st;
	ck_assert_int_eq(wifi_parse_station(&m.u.h, &st), 0);
	ck_assert(st.connected == 30);
	ck_assert(st.inactive == 0.4);
	ck_assert_uint_eq(st.rx_bytes, 5000000000ull);
	ck_assert_uint_eq(st.tx_bytes, 77);
	ck_assert_int_eq(st.signal, -52);
	ck_assert_uint_eq(st.tx_bitrate, 164000000);
	ck_assert_uint_eq(st.rx_bitrate, 128000000);
	ck_assert_uint_eq(st.tx_retries, 10);
	ck_assert_uint_eq(st.beacon_loss, 1);
	ck_assert_uint_eq(st.rx_packets, 12);
	ck_assert_uint_eq(st.maclen, 6);
	/* no statistics: 1 ("not found"); an empty signal is malformed */
	genl_msg(&m, 30, NL80211_CMD_NEW_STATION);
	put(&m, NL80211_ATTR_MAC, mac, 6);
	ck_assert_int_eq(wifi_parse_station(&m.u.h, &st), 1);
	off = 0;
	STA_ATTR(NL80211_STA_INFO_SIGNAL, &sig, 0);
	genl_msg(&m, 30, NL80211_CMD_NEW_STATION);
	put(&m, NL80211_ATTR_STA_INFO, sta, off);
	ck_assert_int_eq(wifi_parse_station(&m.u.h, &st), -EBADMSG);
	/* a bitrate attribute whose own attributes are broken */
	off = 0;
	ra->rta_len = 40;
	STA_ATTR(NL80211_STA_INFO_RX_BITRATE, rate, RTA_SPACE(2));
	genl_msg(&m, 30, NL80211_CMD_NEW_STATION);
	put(&m, NL80211_ATTR_STA_INFO, sta, off);
	ck_assert_int_eq(wifi_parse_station(&m.u.h, &st), -EBADMSG);
#undef STA_ATTR
}
END_TEST

START_TEST(test_wifi_collector)
{
	struct run_result r = run_collector_with(&collector_wifi, NULL, NULL, NULL,
						 ARGS("--collector.wifi.fixtures=" FIXTURES "/wifi"));
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	/* upstream's golden lines for its canned data */
	static const char *const golden[] = {
		"node_wifi_interface_frequency_hertz{device=\"wlan0\"} 2.412e+09",
		"node_wifi_interface_frequency_hertz{device=\"wlan1\"} 2.412e+09",
		"node_wifi_station_beacon_loss_total{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 2",
		"node_wifi_station_connected_seconds_total{device=\"wlan0\",mac_address=\"aa:bb:cc:dd:ee:ff\"} 30",
		"node_wifi_station_inactive_seconds{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 0.8",
		"node_wifi_station_info{bssid=\"00:11:22:33:44:55\",device=\"wlan0\",mode=\"client\",ssid=\"Example\"} 1",
		"node_wifi_station_receive_bits_per_second{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 2.56e+08",
		"node_wifi_station_receive_bytes_total{device=\"wlan0\",mac_address=\"aa:bb:cc:dd:ee:ff\"} 0",
		"node_wifi_station_signal_dbm{device=\"wlan0\",mac_address=\"aa:bb:cc:dd:ee:ff\"} -52",
		"node_wifi_station_transmit_bits_per_second{device=\"wlan0\",mac_address=\"aa:bb:cc:dd:ee:ff\"} 1.64e+08",
		"node_wifi_station_transmit_failed_total{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 4",
		"node_wifi_station_transmit_retries_total{device=\"wlan0\",mac_address=\"aa:bb:cc:dd:ee:ff\"} 10",
		"node_wifi_station_transmitted_packets_total{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 0",
	};
	for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++)
		expect_line(&r, golden[i]);
	ck_assert_int_eq(count_samples(r.text, "node_wifi_"), 27);
	free(r.text);

	/* no interfaces.json: an error; a station with an address that is not base64: an error */
	char *dir = fixture_dir();
	char flag[300];
	snprintf(flag, sizeof flag, "--collector.wifi.fixtures=%s", dir);
	r = run_collector_with(&collector_wifi, NULL, NULL, NULL, ARGS(flag));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "interfaces.json", "[{\"name\": \"wlan9\", \"frequency\": 5180}]");
	fixture_puts(dir, "wlan9/stationinfo.json", "[{\"hardwareaddr\": \"not base64!\"}]");
	r = run_collector_with(&collector_wifi, NULL, NULL, NULL, ARGS(flag));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	/* bss.json and stationinfo.json are optional; ad-hoc mode */
	fixture_puts(dir, "wlan9/stationinfo.json", "[]");
	fixture_puts(dir, "wlan9/bss.json", "{\"ssid\": \"mesh\", \"bssid\": \"AQIDBAUG\", \"status\": 2}");
	r = run_collector_with(&collector_wifi, NULL, NULL, NULL, ARGS(flag));
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_line(&r, "node_wifi_interface_frequency_hertz{device=\"wlan9\"} 5.18e+09");
	expect_line(&r, "node_wifi_station_info{bssid=\"01:02:03:04:05:06\",device=\"wlan9\",mode=\"ad-hoc\",ssid=\"mesh\"} 1");
	free(r.text);
	fixture_rm(dir);

	/* this host has no WiFi: no data, or data if it has */
	r = run_collector(&collector_wifi);
	ck_assert_msg(r.rc == COLLECT_NODATA || r.rc == COLLECT_OK, "%d %s", r.rc, r.err);
	free(r.text);
}
END_TEST

/* ---- netclass' netlink mode ---- */

START_TEST(test_netclass_link)
{
	struct msg m;
	struct ifinfomsg ifi = { .ifi_index = 3, .ifi_type = 1, .ifi_flags = 0x1003 };
	msg_start(&m, RTM_NEWLINK, &ifi, sizeof ifi);
	put_str(&m, IFLA_IFNAME, "eth0");
	put(&m, IFLA_ADDRESS, "\x02\x42\xac\x11\x00\x02", 6);
	put(&m, IFLA_BROADCAST, "\xff\xff\xff\xff\xff\xff", 6);
	uint8_t u8 = 6; /* IF_OPER_UP */
	put(&m, IFLA_OPERSTATE, &u8, 1);
	put_u32(&m, IFLA_MTU, 1500);
	put_u32(&m, IFLA_LINK, 7);
	u8 = 1;
	put(&m, IFLA_CARRIER, &u8, 1);
	put_u32(&m, IFLA_CARRIER_CHANGES, 4);
	put_u32(&m, IFLA_CARRIER_UP_COUNT, 2);
	put_u32(&m, IFLA_CARRIER_DOWN_COUNT, 2);
	u8 = 1;
	put(&m, IFLA_LINKMODE, &u8, 1);
	put_u32(&m, IFLA_GROUP, 0);
	put_u32(&m, IFLA_TXQLEN, 1000);
	put_str(&m, IFLA_IFALIAS, "uplink");
	unsigned char props[64] = { 0 };
	size_t off = 0;
	static const char *const alts[] = { "enp0s3", "" };
	for (int i = 0; i < 2; i++) {
		struct rtattr *a = (struct rtattr *)(void *)(props + off);
		a->rta_type = IFLA_ALT_IFNAME;
		a->rta_len = (unsigned short)RTA_LENGTH(strlen(alts[i]) + 1);
		memcpy(RTA_DATA(a), alts[i], strlen(alts[i]) + 1);
		off += RTA_ALIGN(a->rta_len);
	}
	put(&m, IFLA_PROP_LIST | NLA_F_NESTED, props, off);
	struct rtnl_link_stats64 st = { .rx_packets = 11, .tx_bytes = 1ull << 40, .rx_nohandler = 5 };
	put(&m, IFLA_STATS64, &st, sizeof st);
	struct nc_link l;
	ck_assert_int_eq(netclass_parse_link(&m.u.h, &l), 0);
	ck_assert_str_eq(l.name, "eth0");
	ck_assert_str_eq(l.operstate, "up");
	ck_assert_uint_eq(l.naltnames, 1); /* the empty one is dropped */

	struct nc_sysattrs sys = { .has = { true, true, false }, .v = { 0, 0, 0 } };
	struct expo *e = expo_new(1 << 20);
	netclass_emit_link(e, &l, "Full", &sys, true);
	char *text = render(e);
	expect(text, "node_network_info{address=\"02:42:ac:11:00:02\",broadcast=\"ff:ff:ff:ff:ff:ff\","
		     "device=\"eth0\",duplex=\"Full\",ifalias=\"uplink\",operstate=\"up\"} 1");
	expect(text, "node_network_up{device=\"eth0\"} 1");
	expect(text, "node_network_altnames_info{altname=\"enp0s3\",device=\"eth0\"} 1");
	expect(text, "node_network_iface_link{device=\"eth0\"} 7");
	expect(text, "node_network_iface_id{device=\"eth0\"} 3");
	expect(text, "node_network_dormant{device=\"eth0\"} 1"); /* the link mode, as upstream */
	expect(text, "node_network_carrier_changes_total{device=\"eth0\"} 4");
	expect(text, "node_network_flags{device=\"eth0\"} 4099");
	expect(text, "node_network_transmit_queue_length{device=\"eth0\"} 1000");
	expect(text, "node_network_address_assign_type{device=\"eth0\"} 0");
	expect(text, "node_network_receive_packets_total{device=\"eth0\"} 11");
	expect(text, "node_network_transmit_bytes_total{device=\"eth0\"} 1.099511627776e+12");
	expect(text, "node_network_receive_nohandler_total{device=\"eth0\"} 5");
	ck_assert(strstr(text, "# TYPE node_network_receive_packets_total gauge"));
	ck_assert(strstr(text, "# TYPE node_network_carrier_changes_total counter"));
	ck_assert(!strstr(text, "name_assign_type"));
	free(text);

	/* IFLA_LINK left out (its own index), no counters asked, no duplex known */
	msg_start(&m, RTM_NEWLINK, &ifi, sizeof ifi);
	put_str(&m, IFLA_IFNAME, "lo");
	ck_assert_int_eq(netclass_parse_link(&m.u.h, &l), 0);
	e = expo_new(1 << 20);
	netclass_emit_link(e, &l, NULL, &sys, false);
	text = render(e);
	expect(text, "node_network_iface_link{device=\"lo\"} 3");
	expect(text, "node_network_info{address=\"\",broadcast=\"\",device=\"lo\",duplex=\"\",ifalias=\"\",operstate=\"unknown\"} 1");
	ck_assert(!strstr(text, "receive_packets"));
	ck_assert(!strstr(text, "node_network_carrier{"));
	free(text);

	/* broken: an address of 2 bytes (upstream's library rejects the link), a short MTU */
	msg_start(&m, RTM_NEWLINK, &ifi, sizeof ifi);
	put(&m, IFLA_ADDRESS, "\x01\x02", 2);
	ck_assert_int_eq(netclass_parse_link(&m.u.h, &l), -EBADMSG);
	msg_start(&m, RTM_NEWLINK, &ifi, sizeof ifi);
	put(&m, IFLA_MTU, "\x01", 1);
	ck_assert_int_eq(netclass_parse_link(&m.u.h, &l), -EBADMSG);
	msg_start(&m, RTM_NEWLINK, NULL, 4);
	ck_assert_int_eq(netclass_parse_link(&m.u.h, &l), -EBADMSG);
	msg_start(&m, RTM_NEWROUTE, NULL, 16);
	ck_assert_int_eq(netclass_parse_link(&m.u.h, &l), 1);
}
END_TEST

START_TEST(test_netclass_linkmodes)
{
	struct msg m;
	struct nc_linkmode lm;
	static const struct {
		uint32_t speed;
		uint8_t duplex;
		const char *want_duplex;
		double want_speed;
	} cases[] = {
		{ 1000, DUPLEX_FULL, "Full", 1.25e8 },
		{ 10, DUPLEX_HALF, "Half", 1.25e6 },
		/* SPEED_UNKNOWN is exported as the number it is, as upstream does */
		{ 0xffffffffu, DUPLEX_UNKNOWN, "Unknown", 536870911875000.0 },
		{ 100, 7, "Duplex(7)", 1.25e7 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		genl_msg(&m, 40, ETHTOOL_MSG_LINKMODES_GET_REPLY);
		int nest = nl_nest_start(&m.u.h, sizeof m.u, ETHTOOL_A_LINKMODES_HEADER);
		put_u32(&m, ETHTOOL_A_HEADER_DEV_INDEX, 2);
		put_str(&m, ETHTOOL_A_HEADER_DEV_NAME, "eth0");
		nl_nest_end(&m.u.h, nest);
		put_u32(&m, ETHTOOL_A_LINKMODES_SPEED, cases[i].speed);
		put(&m, ETHTOOL_A_LINKMODES_DUPLEX, &cases[i].duplex, 1);
		ck_assert_int_eq(netclass_parse_linkmode(&m.u.h, &lm), 0);
		ck_assert_str_eq(lm.name, "eth0");
		ck_assert_str_eq(lm.duplex, cases[i].want_duplex);
		ck_assert(lm.speed_bytes == cases[i].want_speed);
	}
	genl_msg(&m, 40, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	put(&m, ETHTOOL_A_LINKMODES_SPEED, "\x01", 1);
	ck_assert_int_eq(netclass_parse_linkmode(&m.u.h, &lm), -EBADMSG);
	genl_msg(&m, 40, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	int nest = nl_nest_start(&m.u.h, sizeof m.u, ETHTOOL_A_LINKMODES_HEADER);
	put_u32(&m, ETHTOOL_A_HEADER_DEV_INDEX, 2);
	nl_nest_end(&m.u.h, nest);
	((struct rtattr *)(void *)((char *)&m.u.h + nest + RTA_LENGTH(0)))->rta_len = 300;
	ck_assert_int_eq(netclass_parse_linkmode(&m.u.h, &lm), -EBADMSG);

	/* this kernel, both modes of the collector */
	struct run_result r = test_run(&collector_netclass, ARGS("--collector.netclass.netlink",
								 "--collector.netclass_rtnl.with-stats"), 2);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_line(&r, "node_network_iface_id{device=\"lo\"} 1");
	ck_assert(strstr(r.text, "node_network_receive_bytes_total{device=\"lo\"}"));
	ck_assert(!strstr(r.text, "adminstate"));
	free(r.text);
	r = test_run(&collector_netclass, ARGS("--collector.netclass.netlink", "--collector.netclass.ignored-devices=^lo$"), 1);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_no(&r, "device=\"lo\"");
	free(r.text);
}
END_TEST

/* ---- ethtool ---- */

START_TEST(test_ethtool_names)
{
	static const char *const cases[][2] = {
		{ "rx_bytes", "node_ethtool_received_bytes" },
		{ "tx_errors", "node_ethtool_transmitted_errors" },
		{ "RX_Packets_Phy", "node_ethtool_received_packets_phy" },
		{ "__rx", "node_ethtool_received" },
		{ "rx_rx", "node_ethtool_received_rx" },
		{ "port_rx_tx", "node_ethtool_port_received_transmitted" },
		{ "tx_rx", "node_ethtool_transmitted_received" },
		{ "rxq0_tx", "node_ethtool_rxq0_transmitted" },
		{ "txrx", "node_ethtool_txrx" },
		{ "queue_0_rx_xdp", "node_ethtool_queue_0_received_xdp" },
	};
	char name[160];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ethtool_metric_name(cases[i][0], name, sizeof name);
		ck_assert_str_eq(name, cases[i][1]);
	}
	/* a 32-character name of rx words fits */
	ethtool_metric_name("rx_rx_rx_rx_rx_rx_rx_rx_rx_rx_rx", name, sizeof name);
	ck_assert(has_prefix(name, "node_ethtool_received_rx_received"));
}
END_TEST

START_TEST(test_ethtool_stats)
{
	struct ethtool_stat_set set = { 0 };
	ck_assert_int_eq(ethtool_stat_add(&set, "rx_bytes", 10), 0);
	ck_assert_int_eq(ethtool_stat_add(&set, "tx_pause", 1), 0);
	ck_assert_int_eq(ethtool_stat_add(&set, "tx_pause", 2), 0); /* repeated: the last value */
	ck_assert_int_eq(ethtool_stat_add(&set, "rx-csum.err", 3), 0);
	ck_assert_int_eq(ethtool_stat_add(&set, "rx_csum_err", 4), 0); /* sanitizes to the same: both dropped */
	ck_assert_int_eq(ethtool_stat_add(&set, "", 5), 0); /* no name: ignored */
	ck_assert_int_eq(ethtool_stat_add(&set, "peer_ifindex", 9), 0);
	struct expo *e = expo_new(1 << 20);
	ethtool_emit_stats(e, "eth0", &set, NULL);
	ck_assert_uint_eq(set.n, 0);
	char *text = render(e);
	expect(text, "node_ethtool_received_bytes_total{device=\"eth0\"} 10");
	expect(text, "node_ethtool_transmitted_pause{device=\"eth0\"} 2");
	expect(text, "node_ethtool_peer_ifindex{device=\"eth0\"} 9");
	ck_assert(strstr(text, "# TYPE node_ethtool_received_bytes_total untyped"));
	ck_assert(!strstr(text, "csum"));
	ck_assert_int_eq(count_samples(text, "node_ethtool_"), 3);
	free(text);
	/* the statistics filter is on the sanitized name */
	char msg[100];
	struct rx *only_rx = rx_compile("^rx_", msg, sizeof msg);
	ck_assert_int_eq(ethtool_stat_add(&set, "rx_bytes", 10), 0);
	ck_assert_int_eq(ethtool_stat_add(&set, "tx_pause", 1), 0);
	e = expo_new(1 << 20);
	ethtool_emit_stats(e, "eth0", &set, only_rx);
	text = render(e);
	ck_assert_int_eq(count_samples(text, "node_ethtool_"), 1);
	free(text);
	rx_free(only_rx);
	ethtool_stat_set_free(&set);
}
END_TEST

START_TEST(test_ethtool_link)
{
	uint32_t supported = 1u << ETHTOOL_LINK_MODE_10baseT_Half_BIT | 1u << ETHTOOL_LINK_MODE_1000baseT_Full_BIT |
			     1u << ETHTOOL_LINK_MODE_10000baseKR_Full_BIT | 1u << ETHTOOL_LINK_MODE_TP_BIT |
			     1u << ETHTOOL_LINK_MODE_MII_BIT | 1u << ETHTOOL_LINK_MODE_Autoneg_BIT |
			     1u << ETHTOOL_LINK_MODE_Pause_BIT;
	uint32_t advertising = 1u << ETHTOOL_LINK_MODE_1000baseT_Full_BIT | 1u << ETHTOOL_LINK_MODE_Asym_Pause_BIT;
	struct expo *e = expo_new(1 << 20);
	ethtool_emit_link(e, "eth0", supported, advertising, 1);
	char *text = render(e);
	expect(text, "node_network_supported_speed_bytes{device=\"eth0\",duplex=\"half\",mode=\"10baseT\"} 1.25e+06");
	expect(text, "node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"1000baseT\"} 1.25e+08");
	expect(text, "node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"10000baseKR\"} 1.25e+09");
	ck_assert_int_eq(count_samples(text, "node_network_supported_speed_bytes"), 3);
	expect(text, "node_network_supported_port_info{device=\"eth0\",type=\"TP\"} 1");
	expect(text, "node_network_supported_port_info{device=\"eth0\",type=\"MII\"} 1");
	ck_assert_int_eq(count_samples(text, "node_network_supported_port_info"), 2);
	expect(text, "node_network_autonegotiate_supported{device=\"eth0\"} 1");
	expect(text, "node_network_pause_supported{device=\"eth0\"} 1");
	expect(text, "node_network_asymmetricpause_supported{device=\"eth0\"} 0");
	expect(text, "node_network_advertised_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"1000baseT\"} 1.25e+08");
	expect(text, "node_network_autonegotiate_advertised{device=\"eth0\"} 0");
	expect(text, "node_network_asymmetricpause_advertised{device=\"eth0\"} 1");
	expect(text, "node_network_autonegotiate{device=\"eth0\"} 1");
	free(text);

	/* this kernel: lo answers none of the requests, which is not an error */
	struct run_result r = test_run(&collector_ethtool, ARGS("--collector.ethtool.device-include=^lo$"), 2);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	free(r.text);
	r = test_run(&collector_ethtool, ARGS("--collector.ethtool.metrics-include=("), 1);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	/* no /sys/class/net: no data */
	char *dir = fixture_dir();
	r = run_sys(&collector_ethtool, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- btrfs devices ---- */

START_TEST(test_btrfs_devices)
{
	struct btrfs_dev devs[2] = {
		{ .device = "sda", .uuid = "ffeb2db6-90f5-4fb2-801b-7e29eb8af2fe", .size = 209715200,
		  .used = 92274688, .errors = { 1, 2, 3, 4, 5 } },
		{ .device = "sdb", .uuid = "<zero>", .size = 100, .used = 100 },
	};
	struct btrfs_fs_devs fs = { .fsid = "a2231dcd90a442e181823e6c1437d77b", .devs = devs, .n = 2 };
	struct expo *e = expo_new(1 << 20);
	btrfs_emit_devices(e, "a2231dcd-90a4-42e1-8182-3e6c1437d77b", &fs);
	char *text = render(e);
	expect(text, "node_btrfs_device_size_bytes{btrfs_dev_uuid=\"ffeb2db6-90f5-4fb2-801b-7e29eb8af2fe\","
		     "device=\"sda\",uuid=\"a2231dcd-90a4-42e1-8182-3e6c1437d77b\"} 2.097152e+08");
	expect(text, "node_btrfs_device_unused_bytes{btrfs_dev_uuid=\"ffeb2db6-90f5-4fb2-801b-7e29eb8af2fe\","
		     "device=\"sda\",uuid=\"a2231dcd-90a4-42e1-8182-3e6c1437d77b\"} 1.17440512e+08");
	expect(text, "node_btrfs_device_errors_total{btrfs_dev_uuid=\"ffeb2db6-90f5-4fb2-801b-7e29eb8af2fe\","
		     "device=\"sda\",type=\"generation\",uuid=\"a2231dcd-90a4-42e1-8182-3e6c1437d77b\"} 5");
	expect(text, "node_btrfs_device_errors_total{btrfs_dev_uuid=\"ffeb2db6-90f5-4fb2-801b-7e29eb8af2fe\","
		     "device=\"sda\",type=\"write\",uuid=\"a2231dcd-90a4-42e1-8182-3e6c1437d77b\"} 1");
	expect(text, "node_btrfs_device_unused_bytes{btrfs_dev_uuid=\"<zero>\",device=\"sdb\","
		     "uuid=\"a2231dcd-90a4-42e1-8182-3e6c1437d77b\"} 0");
	ck_assert_int_eq(count_samples(text, "node_btrfs_device_errors_total"), 10);
	free(text);
}
END_TEST

/* ---- ntp ---- */

/* A server's reply to a query whose transmit timestamp was sent. */
static void sntp_reply(unsigned char *p, uint8_t li_vn_mode, uint8_t stratum, uint32_t delay, uint32_t disp,
		       uint64_t ref, uint64_t sent, uint64_t rec, uint64_t xmt)
{
	memset(p, 0, 48);
	p[0] = li_vn_mode;
	p[1] = stratum;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (unsigned char)(delay >> (24 - 8 * i));
		p[8 + i] = (unsigned char)(disp >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++) {
		p[16 + i] = (unsigned char)(ref >> (56 - 8 * i));
		p[24 + i] = (unsigned char)(sent >> (56 - 8 * i));
		p[32 + i] = (unsigned char)(rec >> (56 - 8 * i));
		p[40 + i] = (unsigned char)(xmt >> (56 - 8 * i));
	}
}

START_TEST(test_ntp_replies)
{
	const int64_t s = 1000000000;
	const int64_t t0 = 1700000000 * s; /* local send time */
	uint64_t org = ntp_from_unix_ns(t0), dst = ntp_from_unix_ns(t0 + s / 100); /* 10 ms later */
	/* the server is 2 ms ahead and spent 1 ms between receiving and sending */
	uint64_t rec = ntp_from_unix_ns(t0 + 6 * s / 1000), xmt = ntp_from_unix_ns(t0 + 7 * s / 1000);
	uint64_t ref = ntp_from_unix_ns(t0 - 64 * s);
	unsigned char p[64];
	const uint64_t sent = 0x1122334455667788ull;
	/* leap 0, version 4, mode 4; root delay 1/32 s, dispersion 1/64 s (16.16) */
	sntp_reply(p, 0 << 6 | 4 << 3 | 4, 2, 0x800, 0x400, ref, sent, rec, xmt);
	struct ntp_result r;
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert_uint_eq(r.stratum, 2);
	ck_assert_int_eq(r.root_delay, 31250000);
	ck_assert_int_eq(r.root_dispersion, 15625000);
	ck_assert_int_eq(r.rtt, 9000000); /* 10 ms less the server's 1 ms */
	ck_assert_int_eq(r.offset, 1500000); /* ((6-0) + (7-10)) / 2 ms */
	ck_assert_int_eq(r.reference_time, t0 - 64 * s);
	ck_assert_int_eq(r.root_distance, (9000000 + 31250000) / 2 + 15625000);
	ck_assert_int_eq(r.min_error, 0);
	int64_t midnight = 0;
	ck_assert(ntp_sane(&r, 3.46608, 0.001, &midnight));
	ck_assert(!ntp_sane(&r, 0.01, 0.001, &midnight)); /* root distance over the limit */
	struct expo *e = expo_new(1 << 20);
	ntp_emit(e, &r, true);
	char *text = render(e);
	expect(text, "node_ntp_stratum 2");
	expect(text, "node_ntp_rtt_seconds 0.009");
	expect(text, "node_ntp_offset_seconds 0.0015");
	expect(text, "node_ntp_root_delay_seconds 0.03125");
	expect(text, "node_ntp_reference_timestamp_seconds 1.699999936e+09");
	expect(text, "node_ntp_sanity 1");
	free(text);

	/* a server behind: negative offset; a reply before the query: a minimum error */
	uint64_t late_rec = ntp_from_unix_ns(t0 - 20 * s / 1000), late_xmt = ntp_from_unix_ns(t0 - 19 * s / 1000);
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, ref, sent, late_rec, late_xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert_int_lt(r.offset, 0);
	ck_assert_int_eq(r.min_error, 20000000);
	ck_assert(!ntp_sane(&r, 3.46608, 0.001, &midnight));
	ck_assert(ntp_sane(&r, 3.46608, 0.05, &midnight));

	/* not in sync (leap 3), kiss of death (stratum 0), stratum 16, reference time in the future */
	sntp_reply(p, 3 << 6 | 4 << 3 | 4, 2, 0, 0, ref, sent, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert(!ntp_sane(&r, 3.46608, 0.001, &midnight));
	sntp_reply(p, 4 << 3 | 4, 0, 0, 0, ref, sent, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert(!ntp_sane(&r, 3.46608, 0.001, &midnight));
	sntp_reply(p, 4 << 3 | 4, 16, 0, 0, ref, sent, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert(!ntp_sane(&r, 3.46608, 0.001, &midnight));
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, ntp_from_unix_ns(t0 + 3600 * s), sent, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert(!ntp_sane(&r, 3.46608, 0.001, &midnight));

	/* a leap second announced: a second more is tolerated that day and the next, remembered */
	sntp_reply(p, 1 << 6 | 4 << 3 | 4, 2, 0, 0, ref, sent, late_rec, late_xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	midnight = 0;
	ck_assert(ntp_sane(&r, 3.46608, 0.001, &midnight));
	ck_assert_int_eq(midnight, (1700000000 / 86400 + 1) * 86400);
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, ref, sent, late_rec, late_xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert(ntp_sane(&r, 3.46608, 0.001, &midnight));

	/* a reference time of 0 lies in era 1 (2036) and is reported, as upstream does */
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, 0, sent, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), 0);
	ck_assert_int_eq(r.reference_time / s, 2085978496);

	/* not answers: short, client mode, another query's, no transmit time, received after sent */
	ck_assert_int_eq(ntp_parse(p, 47, sent, org, dst, &r), -EBADMSG);
	sntp_reply(p, 4 << 3 | 3, 2, 0, 0, ref, sent, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), -EPROTO);
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, ref, sent + 1, rec, xmt);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), -EPROTO);
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, ref, sent, rec, 0);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), -EPROTO);
	sntp_reply(p, 4 << 3 | 4, 2, 0, 0, ref, sent, xmt, rec);
	ck_assert_int_eq(ntp_parse(p, 48, sent, org, dst, &r), -EPROTO);
}
END_TEST

START_TEST(test_ntp_flags)
{
	static const char *const bad[][3] = {
		{ "--collector.ntp.server=192.0.2.1", NULL },
		{ "--collector.ntp.server=localhost", NULL },
		{ "--collector.ntp.protocol-version=5", NULL },
		{ "--collector.ntp.server-port=0", NULL },
		{ "--collector.ntp.local-offset-tolerance=-1s", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run_result r = test_run(&collector_ntp, bad[i], 1);
		ck_assert_msg(r.rc == -2, "%s accepted", bad[i][0]);
		free(r.text);
	}
	/* a public address is fine once certified local; IPv6 loopback is local */
	struct test_session ss;
	test_session_start(&ss, &collector_ntp,
			   ARGS("--collector.ntp.server=192.0.2.1", "--collector.ntp.server-is-local"));
	ck_assert_int_eq(ss.init_rc, 0);
	test_session_end(&ss);
	test_session_start(&ss, &collector_ntp, ARGS("--collector.ntp.server=::1"));
	ck_assert_int_eq(ss.init_rc, 0);
	test_session_end(&ss);
	/* nobody answers on this port: an error within the second */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	char port[64];
	snprintf(port, sizeof port, "--collector.ntp.server-port=%u", ntohs(a.sin_port));
	double t0 = mono_now();
	struct run_result r = test_run(&collector_ntp, ARGS(port), 1);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "timeout"), "%s", r.err);
	ck_assert_double_lt(mono_now() - t0, 3);
	free(r.text);
	close(fd);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_netlink");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tcpstat);
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_qdisc_messages);
	tcase_add_test(tc, test_qdisc_collector);
	tcase_add_test(tc, test_wifi_messages);
	tcase_add_test(tc, test_wifi_collector);
	tcase_add_test(tc, test_netclass_link);
	tcase_add_test(tc, test_netclass_linkmodes);
	tcase_add_test(tc, test_ethtool_names);
	tcase_add_test(tc, test_ethtool_stats);
	tcase_add_test(tc, test_ethtool_link);
	tcase_add_test(tc, test_btrfs_devices);
	tcase_add_test(tc, test_ntp_replies);
	tcase_add_test(tc, test_ntp_flags);
	suite_add_tcase(s, tc);
	return s;
}
