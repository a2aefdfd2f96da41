// links: node_exporter
/*
 * netdev, arp, netstat, sockstat and vmstat on upstream's fixtures and
 * broken variants; netdev and arp also against this kernel's rtnetlink; the
 * rtnetlink helper's parser on malformed replies.
 */
#include <errno.h>
#include <unistd.h>

#include "../../common/netlink.h"
#include "unit.h"

extern const struct collector_def collector_netdev, collector_arp, collector_netstat,
	collector_sockstat, collector_vmstat;

static const char *const proc_netdev[] = { "--no-collector.netdev.netlink", NULL };

START_TEST(test_netdev_proc)
{
	struct run_result r = run_collector_with(&collector_netdev, NULL, NULL, NULL, proc_netdev);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_network_receive_bytes_total{device=\"eth0\"} 9.876543e+06"));
	ck_assert(has_line(r.text, "node_network_receive_errs_total{device=\"eth0\"} 1"));
	ck_assert(has_line(r.text, "node_network_receive_drop_total{device=\"eth0\"} 2"));
	ck_assert(has_line(r.text, "node_network_receive_multicast_total{device=\"eth0\"} 6"));
	ck_assert(has_line(r.text, "node_network_transmit_colls_total{device=\"eth0\"} 10"));
	ck_assert(has_line(r.text, "node_network_transmit_carrier_total{device=\"eth0\"} 11"));
	ck_assert(has_line(r.text, "node_network_transmit_compressed_total{device=\"eth0\"} 12"));
	ck_assert(has_line(r.text, "node_network_receive_packets_total{device=\"lo\"} 789"));
	/* /proc/net/dev has no nohandler column. */
	ck_assert(!strstr(r.text, "nohandler"));
	free(r.text);

	const char *detailed[] = { "--no-collector.netdev.netlink",
				   "--collector.netdev.enable-detailed-metrics",
				   "--collector.netdev.device-exclude=^lo$", NULL };
	r = run_collector_with(&collector_netdev, NULL, NULL, NULL, detailed);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_network_receive_errors_total{device=\"eth0\"} 1"));
	ck_assert(has_line(r.text, "node_network_transmit_dropped_total{device=\"eth0\"} 8"));
	ck_assert(!strstr(r.text, "device=\"lo\""));
	free(r.text);

	/* ifalias label from sysfs (empty when the device has none there). */
	char *dir = fixture_dir();
	fixture_puts(dir, "class/net/eth0/ifalias", "uplink\n");
	const char *alias[] = { "--no-collector.netdev.netlink", "--collector.netdev.label-ifalias",
				"--collector.netdev.device-include=^(eth0|lo)$", NULL };
	r = run_collector_with(&collector_netdev, NULL, dir, NULL, alias);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_network_receive_errs_total{device=\"eth0\",ifalias=\"uplink\"} 1"));
	ck_assert(has_line(r.text, "node_network_receive_errs_total{device=\"lo\",ifalias=\"\"} 0"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_netdev_flags)
{
	const char *const *const bad[] = {
		(const char *const[]){ "--collector.netdev.device-include=a",
				       "--collector.netdev.device-exclude=b", NULL },
		(const char *const[]){ "--collector.netdev.device-whitelist=a",
				       "--collector.netdev.device-include=b", NULL },
		(const char *const[]){ "--collector.netdev.device-blacklist=a",
				       "--collector.netdev.device-exclude=b", NULL },
		(const char *const[]){ "--collector.netdev.device-whitelist=a",
				       "--collector.netdev.device-blacklist=b", NULL },
		(const char *const[]){ "--collector.netdev.device-include=(", NULL },
		(const char *const[]){ "--collector.netdev.device-exclude=[", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run_result r = run_collector_with(&collector_netdev, NULL, NULL, NULL,
							 (const char **)bad[i]);
		ck_assert_msg(r.rc == -2, "case %zu accepted", i);
		free(r.text);
	}
	/* The deprecated names still work. */
	const char *old[] = { "--no-collector.netdev.netlink", "--collector.netdev.device-whitelist=^lo$",
			      NULL };
	struct run_result r = run_collector_with(&collector_netdev, NULL, NULL, NULL, old);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "device=\"lo\""));
	ck_assert(!strstr(r.text, "device=\"eth0\""));
	free(r.text);
}
END_TEST

static const char *const broken_netdev[] = {
	"h1\nh2\n  lo: 1 2 3\n",
	"h1\nh2\n  lo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	"h1\nh2\n  : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	"h1\nh2\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n",
};

START_TEST(test_netdev_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "net/dev", broken_netdev[_i]);
	struct run_result r = run_collector_with(&collector_netdev, dir, NULL, NULL, proc_netdev);
	ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", broken_netdev[_i]);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_netdev_netlink_live)
{
	/* Every Linux host has lo; its counters come from the kernel's link dump. */
	const char *argv[] = { "--collector.netdev.device-include=^lo$", NULL };
	struct run_result r = run_collector_with(&collector_netdev, NULL, NULL, NULL, argv);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(strstr(r.text, "node_network_receive_packets_total{device=\"lo\"} "));
	ck_assert(has_line(r.text, "node_network_receive_frame_total{device=\"lo\"} 0"));
	ck_assert(strstr(r.text, "node_network_receive_nohandler_total{device=\"lo\"} "));
	ck_assert(!strstr(r.text, "receive_crc_errors"));
	free(r.text);
	const char *detailed[] = { "--collector.netdev.device-include=^lo$",
				   "--collector.netdev.enable-detailed-metrics",
				   "--collector.netdev.label-ifalias", "--collector.netdev.address-info",
				   NULL };
	r = run_collector_with(&collector_netdev, NULL, NULL, NULL, detailed);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_network_receive_crc_errors_total{device=\"lo\",ifalias=\"\"} 0"));
	ck_assert(strstr(r.text, "node_network_collisions_total{device=\"lo\",ifalias=\"\"} "));
	ck_assert(has_line(r.text,
			   "node_network_address_info{address=\"127.0.0.1\",device=\"lo\",netmask=\"8\",scope=\"link-local\"} 1"));
	free(r.text);
}
END_TEST

START_TEST(test_arp)
{
	const char *argv[] = { "--no-collector.arp.netlink", NULL };
	struct run_result r = run_collector_with(&collector_arp, NULL, NULL, NULL, argv);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_arp_entries{device=\"eth0\"} 3"));
	ck_assert(has_line(r.text, "node_arp_entries{device=\"eth1\"} 3"));
	free(r.text);
	const char *excl[] = { "--no-collector.arp.netlink", "--collector.arp.device-exclude=^eth1$",
			       NULL };
	r = run_collector_with(&collector_arp, NULL, NULL, NULL, excl);
	ck_assert(has_line(r.text, "node_arp_entries{device=\"eth0\"} 3"));
	ck_assert(!strstr(r.text, "eth1"));
	free(r.text);
	const char *incl[] = { "--no-collector.arp.netlink", "--collector.arp.device-include=^eth1$",
			       NULL };
	r = run_collector_with(&collector_arp, NULL, NULL, NULL, incl);
	ck_assert(!strstr(r.text, "eth0"));
	free(r.text);
	const char *bad[] = { "--collector.arp.device-include=(", NULL };
	r = run_collector_with(&collector_arp, NULL, NULL, NULL, bad);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	/* The kernel's neighbour table: whatever it holds, the dump succeeds. */
	r = run_collector(&collector_arp);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(strstr(r.text, "# TYPE node_arp_entries gauge"));
	free(r.text);
}
END_TEST

static const char *const broken_arp[] = {
	"IP address HW type Flags HW address Mask Device\n1.2.3.4 0x1 0x2 zz:00:00:00:00:00 * eth0\n",
	"IP address HW type Flags HW address Mask Device\n1.2.3.4 0x1 0x2 00:00:00:00:00:00 *\n",
	"IP address HW type Flags HW address Mask Device\n1.2.3.4 0x1 0x999 00:00:00:00:00:00 * eth0\n",
	"1.2.3.4 0x1 x 00:00:00:00:00:00 * eth0\n",
};

START_TEST(test_arp_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "net/arp", broken_arp[_i]);
	const char *argv[] = { "--no-collector.arp.netlink", NULL };
	struct run_result r = run_collector_with(&collector_arp, dir, NULL, NULL, argv);
	ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", broken_arp[_i]);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_netstat)
{
	struct run_result r = run_collector(&collector_netstat);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_netstat_Ip_Forwarding 1"));
	ck_assert(has_line(r.text, "node_netstat_Udp6_RcvbufErrors 9"));
	ck_assert(has_line(r.text, "node_netstat_TcpExt_ListenDrops 0"));
	ck_assert(has_line(r.text, "# TYPE node_netstat_Tcp_CurrEstab untyped"));
	ck_assert(!strstr(r.text, "node_netstat_TcpExt_TW "));
	free(r.text);
	const char *all[] = { "--collector.netstat.fields=.*", NULL };
	r = run_collector_with(&collector_netstat, NULL, NULL, NULL, all);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_netstat_TcpExt_TW 388812"));
	ck_assert(strstr(r.text, "node_netstat_Ip6_InReceives "));
	free(r.text);
	const char *bad[] = { "--collector.netstat.fields=(", NULL };
	r = run_collector_with(&collector_netstat, NULL, NULL, NULL, bad);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);

	/* snmp6 is optional; netstat and snmp are not. */
	char *dir = fixture_dir();
	fixture_puts(dir, "net/netstat", "TcpExt: A B\nTcpExt: 1 2\n");
	fixture_puts(dir, "net/snmp", "Ip: Forwarding X\nIp: 2 -1\n");
	r = run_collector_with(&collector_netstat, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_netstat_Ip_Forwarding 2"));
	free(r.text);
	static const char *const bad_pairs[] = { "Ip: A B\nIp: 1\n", "Ip: A\nIp: x\n", " A\n 1\n",
						 "Ip: A B\n" };
	for (size_t i = 0; i < sizeof bad_pairs / sizeof bad_pairs[0]; i++) {
		fixture_puts(dir, "net/snmp", bad_pairs[i]);
		r = run_collector_with(&collector_netstat, dir, NULL, NULL, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", bad_pairs[i]);
		free(r.text);
	}
	fixture_puts(dir, "net/snmp", "Ip: A\nIp: 1\n");
	fixture_puts(dir, "net/snmp6", "Ip6InReceives x\n");
	r = run_collector_with(&collector_netstat, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm '%s/net/snmp'", dir);
	ck_assert_int_eq(system(cmd), 0);
	r = run_collector_with(&collector_netstat, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_sockstat)
{
	struct run_result r = run_collector(&collector_sockstat);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	long page = sysconf(_SC_PAGESIZE);
	char line[128];
	snprintf(line, sizeof line, "node_sockstat_TCP_mem_bytes %ld", page);
	ck_assert(has_line(r.text, line));
	ck_assert(has_line(r.text, "node_sockstat_sockets_used 229"));
	ck_assert(has_line(r.text, "node_sockstat_TCP_alloc 17"));
	ck_assert(has_line(r.text, "node_sockstat_FRAG6_memory 0"));
	ck_assert(has_line(r.text, "node_sockstat_UDPLITE_inuse 0"));
	free(r.text);

	/* IPv6 off: only the IPv4 file. Both missing: nothing, still success. */
	char *dir = fixture_dir();
	fixture_puts(dir, "net/sockstat", "sockets: used 5\nTCP: inuse 3 mem 2\n");
	r = run_collector_with(&collector_sockstat, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_sockstat_TCP_inuse 3"));
	ck_assert(!strstr(r.text, "TCP6"));
	free(r.text);
	static const char *const bad[] = { "TCP: inuse\n", "TCP: inuse 1 mem\n", "TCP: inuse x\n", "\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fixture_puts(dir, "net/sockstat6", bad[i]);
		r = run_collector_with(&collector_sockstat, dir, NULL, NULL, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", bad[i]);
		free(r.text);
	}
	fixture_rm(dir);
	dir = fixture_dir();
	r = run_collector_with(&collector_sockstat, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_vmstat)
{
	struct run_result r = run_collector(&collector_vmstat);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_vmstat_pgfault 2.320168809e+09"));
	ck_assert(has_line(r.text, "# TYPE node_vmstat_oom_kill untyped"));
	ck_assert(!strstr(r.text, "nr_free_pages"));
	free(r.text);
	const char *all[] = { "--collector.vmstat.fields=^nr_free", NULL };
	r = run_collector_with(&collector_vmstat, NULL, NULL, NULL, all);
	ck_assert(strstr(r.text, "node_vmstat_nr_free_pages "));
	ck_assert(!strstr(r.text, "pgfault"));
	free(r.text);
	const char *bad[] = { "--collector.vmstat.fields=(", NULL };
	r = run_collector_with(&collector_vmstat, NULL, NULL, NULL, bad);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	static const char *const broken[] = { "pgfault x\n", "pgfault\n", "\n", "" };
	for (size_t i = 0; i < 3; i++) {
		char *dir = fixture_dir();
		fixture_puts(dir, "vmstat", broken[i]);
		r = run_collector_with(&collector_vmstat, dir, NULL, NULL, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", broken[i]);
		free(r.text);
		fixture_rm(dir);
	}
	r = run_collector_with(&collector_vmstat, "/nonexistent", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
}
END_TEST

static int count_msgs(const struct nlmsghdr *h, void *ctx)
{
	(void)h;
	++*(int *)ctx;
	return 0;
}

/* Append one message of the given type and payload length to buf at *off. */
static void put_msg(unsigned char *buf, size_t *off, uint16_t type, uint32_t seq, size_t payload)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)NLMSG_LENGTH(payload), .nlmsg_type = type,
			      .nlmsg_seq = seq };
	memcpy(buf + *off, &h, sizeof h);
	memset(buf + *off + sizeof h, 0, payload);
	*off += NLMSG_ALIGN(h.nlmsg_len);
}

START_TEST(test_netlink_parser)
{
	unsigned char buf[1024];
	size_t off = 0;
	int n = 0;
	put_msg(buf, &off, RTM_NEWLINK, 7, 16);
	put_msg(buf, &off, RTM_NEWLINK, 9, 16); /* another request's: ignored */
	put_msg(buf, &off, RTM_NEWLINK, 7, 16);
	ck_assert_int_eq(nl_parse(buf, off, 7, count_msgs, &n), 0);
	ck_assert_int_eq(n, 2);
	put_msg(buf, &off, NLMSG_DONE, 7, 4);
	n = 0;
	ck_assert_int_eq(nl_parse(buf, off, 7, count_msgs, &n), 1);
	/* Truncated datagram, length past the end, header too short. */
	ck_assert_int_eq(nl_parse(buf, 10, 7, count_msgs, &n), -EBADMSG);
	((struct nlmsghdr *)(void *)buf)->nlmsg_len = 5000;
	ck_assert_int_eq(nl_parse(buf, off, 7, count_msgs, &n), -EBADMSG);
	((struct nlmsghdr *)(void *)buf)->nlmsg_len = 4;
	ck_assert_int_eq(nl_parse(buf, off, 7, count_msgs, &n), -EBADMSG);
	/* An error reply carries the errno; a short one is malformed. */
	off = 0;
	put_msg(buf, &off, NLMSG_ERROR, 7, sizeof(struct nlmsgerr));
	struct nlmsgerr *e = NLMSG_DATA((struct nlmsghdr *)(void *)buf);
	e->error = -EPERM;
	ck_assert_int_eq(nl_parse(buf, off, 7, count_msgs, &n), -EPERM);
	off = 0;
	put_msg(buf, &off, NLMSG_ERROR, 7, 2);
	ck_assert_int_eq(nl_parse(buf, off, 7, count_msgs, &n), -EBADMSG);

	/* Attributes: a length past the end is malformed. */
	unsigned char attrs[64] = { 0 };
	struct rtattr *a = (struct rtattr *)(void *)attrs;
	a->rta_len = RTA_LENGTH(4);
	a->rta_type = IFLA_MTU;
	const struct rtattr *tb[IFLA_MAX + 1];
	ck_assert_int_eq(nl_attrs(attrs, RTA_SPACE(4), tb, IFLA_MAX), 0);
	ck_assert_ptr_eq(tb[IFLA_MTU], a);
	ck_assert_ptr_null(tb[IFLA_IFNAME]);
	a->rta_len = 60;
	ck_assert_int_eq(nl_attrs(attrs, RTA_SPACE(4), tb, IFLA_MAX), -EBADMSG);
	a->rta_len = 2;
	ck_assert_int_eq(nl_attrs(attrs, RTA_SPACE(4), tb, IFLA_MAX), -EBADMSG);

	/* Link counters: 64-bit preferred, 32-bit fallback, too short rejected. */
	unsigned char s64[RTA_SPACE(200)] = { 0 }, s32[RTA_SPACE(96)] = { 0 };
	struct rtattr *a64 = (struct rtattr *)(void *)s64, *a32 = (struct rtattr *)(void *)s32;
	a64->rta_len = RTA_LENGTH(200);
	a64->rta_type = IFLA_STATS64;
	uint64_t v64 = 1ull << 40;
	memcpy((unsigned char *)RTA_DATA(a64) + 2 * 8, &v64, 8); /* rx_bytes */
	a32->rta_len = RTA_LENGTH(96);
	a32->rta_type = IFLA_STATS;
	uint32_t v32 = 77;
	memcpy((unsigned char *)RTA_DATA(a32) + 23 * 4, &v32, 4); /* rx_nohandler */
	const struct rtattr *tbl[IFLA_MAX + 1] = { 0 };
	struct nl_link_stats st;
	ck_assert_int_eq(nl_link_stats(tbl, &st), -1);
	tbl[IFLA_STATS] = a32;
	ck_assert_int_eq(nl_link_stats(tbl, &st), 0);
	ck_assert_uint_eq(st.rx_nohandler, 77);
	tbl[IFLA_STATS64] = a64;
	ck_assert_int_eq(nl_link_stats(tbl, &st), 0);
	ck_assert_uint_eq(st.rx_bytes, 1ull << 40);
	ck_assert_uint_eq(st.rx_nohandler, 0);
	a64->rta_len = RTA_LENGTH(100);
	a32->rta_len = RTA_LENGTH(40);
	ck_assert_int_eq(nl_link_stats(tbl, &st), -1);
}
END_TEST

START_TEST(test_netlink_dump_live)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	struct buf b;
	buf_init(&b, 1 << 20);
	int n = 0;
	ck_assert_int_eq(nl_dump(&req.h, &b, count_msgs, &n), 0);
	ck_assert_int_ge(n, 1); /* at least lo */
	/* The kernel rejects a request it does not know. */
	req.h.nlmsg_type = 0x7ff0;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ck_assert_int_lt(nl_dump(&req.h, &b, count_msgs, &n), 0);
	buf_free(&b);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_procfs_net");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_netdev_proc);
	tcase_add_test(tc, test_netdev_flags);
	tcase_add_loop_test(tc, test_netdev_broken, 0, sizeof broken_netdev / sizeof broken_netdev[0]);
	tcase_add_test(tc, test_netdev_netlink_live);
	tcase_add_test(tc, test_arp);
	tcase_add_loop_test(tc, test_arp_broken, 0, sizeof broken_arp / sizeof broken_arp[0]);
	tcase_add_test(tc, test_netstat);
	tcase_add_test(tc, test_sockstat);
	tcase_add_test(tc, test_vmstat);
	tcase_add_test(tc, test_netlink_parser);
	tcase_add_test(tc, test_netlink_dump_live);
	suite_add_tcase(s, tc);
	return s;
}
