// links: node_exporter
/*
 * filefd, entropy, kernel_hung, conntrack, softnet, udp_queues, uname, time,
 * timex, os and selinux on upstream's fixtures, on broken variants of their
 * files, and on the live host where the source is a system call.
 */
#include <sys/utsname.h>

#include "unit.h"

extern const struct collector_def collector_filefd, collector_entropy, collector_kernel_hung,
	collector_conntrack, collector_softnet, collector_udp_queues, collector_uname,
	collector_time, collector_timex, collector_os, collector_selinux;

/* Run def on a scratch procfs holding one file. */
static struct run_result run_proc_file(const struct collector_def *def, const char *rel,
				       const char *content)
{
	char *dir = fixture_dir();
	if (content)
		fixture_puts(dir, rel, content);
	struct run_result r = run_collector_with(def, dir, dir, dir, NULL);
	fixture_rm(dir);
	return r;
}

START_TEST(test_filefd_fixture)
{
	struct run_result r = run_collector(&collector_filefd);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_filefd_allocated 1024"));
	ck_assert(has_line(r.text, "node_filefd_maximum 1.631329e+06"));
	ck_assert(strstr(r.text, "# TYPE node_filefd_allocated gauge\n"));
	free(r.text);
}
END_TEST

static const char *const filefd_broken[] = {
	"", "1024\t0", "1024 0 1631329", "x\t0\t1", "1024\t0\tmany", "\x01\xff\t\t",
};

START_TEST(test_filefd_broken)
{
	struct run_result r = run_proc_file(&collector_filefd, "sys/fs/file-nr", filefd_broken[_i]);
	ck_assert_msg(r.rc == COLLECT_ERROR, "case %d: rc %d", _i, r.rc);
	ck_assert_str_ne(r.err, "");
	free(r.text);
	/* Missing: an error, as upstream (file-nr always exists). */
	r = run_proc_file(&collector_filefd, "x", NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
}
END_TEST

START_TEST(test_entropy)
{
	struct run_result r = run_collector(&collector_entropy);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_entropy_available_bits 1337"));
	ck_assert(has_line(r.text, "node_entropy_pool_size_bits 4096"));
	free(r.text);

	char *dir = fixture_dir();
	/* Only entropy_avail: its gauge, then an error for the missing pool size. */
	fixture_puts(dir, "sys/kernel/random/entropy_avail", "256\n");
	r = run_collector_with(&collector_entropy, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(has_line(r.text, "node_entropy_available_bits 256"));
	ck_assert(strstr(r.err, "poolsize"));
	free(r.text);
	/* A garbled neighbour file fails the collector, as procfs' KernelRandom does. */
	fixture_puts(dir, "sys/kernel/random/poolsize", "256\n");
	fixture_puts(dir, "sys/kernel/random/write_wakeup_threshold", "lots\n");
	r = run_collector_with(&collector_entropy, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "sys/kernel/random/write_wakeup_threshold", "64\n");
	r = run_collector_with(&collector_entropy, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_entropy_pool_size_bits 256"));
	free(r.text);
	fixture_rm(dir);

	r = run_proc_file(&collector_entropy, "x", NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "entropy_avail"));
	free(r.text);
	r = run_proc_file(&collector_entropy, "sys/kernel/random/entropy_avail", "-1\n");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
}
END_TEST

START_TEST(test_kernel_hung)
{
	struct run_result r = run_collector(&collector_kernel_hung);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_kernel_hung_tasks_total 42"));
	ck_assert(strstr(r.text, "# TYPE node_kernel_hung_tasks_total counter\n"));
	free(r.text);
	r = run_proc_file(&collector_kernel_hung, "x", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	r = run_proc_file(&collector_kernel_hung, "sys/kernel/hung_task_detect_count", "4 2\n");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	r = run_proc_file(&collector_kernel_hung, "sys/kernel/hung_task_detect_count", "");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
}
END_TEST

START_TEST(test_conntrack)
{
	struct run_result r = run_collector(&collector_conntrack);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_nf_conntrack_entries 123"));
	ck_assert(has_line(r.text, "node_nf_conntrack_entries_limit 65536"));
	/* Per-CPU rows summed: invalid 3+2+1+0x2f, ignore 0x588a+0x56a4+0x58d4+0x5688. */
	ck_assert(has_line(r.text, "node_nf_conntrack_stat_invalid 53"));
	ck_assert(has_line(r.text, "node_nf_conntrack_stat_ignore 89738"));
	ck_assert(has_line(r.text, "node_nf_conntrack_stat_search_restart 7"));
	ck_assert(strstr(r.text, "# TYPE node_nf_conntrack_stat_found gauge\n"));
	free(r.text);

	char *dir = fixture_dir();
	r = run_collector_with(&collector_conntrack, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA); /* module not loaded */
	free(r.text);
	fixture_puts(dir, "sys/net/netfilter/nf_conntrack_count", "5\n");
	fixture_puts(dir, "sys/net/netfilter/nf_conntrack_max", "10\n");
	r = run_collector_with(&collector_conntrack, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA); /* no stat file */
	free(r.text);
	static const char *const broken[] = {
		"header\n1 2 3\n",
		"header\n" "00000001 00000001 00000001 00000001 00000001 00000001 00000001 00000001 "
		"00000001 00000001 00000001 00000001 00000001 00000001 00000001 0000000g\n",
		"header\n0x1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n",
		"header\n\n",
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		fixture_puts(dir, "net/stat/nf_conntrack", broken[i]);
		r = run_collector_with(&collector_conntrack, dir, dir, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "case %zu", i);
		free(r.text);
	}
	/* Only a header: zeros. 16 columns (before 2.6.35): search_restart 0. */
	fixture_puts(dir, "net/stat/nf_conntrack",
		     "h\n1 2 3 4 5 6 7 8 9 a b c d e f 10\n");
	r = run_collector_with(&collector_conntrack, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_nf_conntrack_stat_early_drop 12"));
	ck_assert(has_line(r.text, "node_nf_conntrack_stat_search_restart 0"));
	free(r.text);
	fixture_puts(dir, "sys/net/netfilter/nf_conntrack_max", "ten\n");
	r = run_collector_with(&collector_conntrack, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_softnet)
{
	struct run_result r = run_collector(&collector_softnet);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_softnet_processed_total{cpu=\"2\"} 5.577791e+06"));
	ck_assert(has_line(r.text, "node_softnet_dropped_total{cpu=\"1\"} 41"));
	ck_assert(has_line(r.text, "node_softnet_times_squeezed_total{cpu=\"3\"} 50"));
	ck_assert(has_line(r.text, "node_softnet_backlog_len{cpu=\"0\"} 0"));
	ck_assert(strstr(r.text, "# TYPE node_softnet_backlog_len gauge\n"));
	free(r.text);

	/* 13 columns (5.14+): backlog and the CPU index come from the file. */
	r = run_proc_file(&collector_softnet, "net/softnet_stat",
			  "00000010 00000001 00000002 0 0 0 0 0 00000003 00000004 00000005 00000006 00000007\n");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_softnet_processed_total{cpu=\"7\"} 16"));
	ck_assert(has_line(r.text, "node_softnet_cpu_collision_total{cpu=\"7\"} 3"));
	ck_assert(has_line(r.text, "node_softnet_received_rps_total{cpu=\"7\"} 4"));
	ck_assert(has_line(r.text, "node_softnet_flow_limit_count_total{cpu=\"7\"} 5"));
	ck_assert(has_line(r.text, "node_softnet_backlog_len{cpu=\"7\"} 6"));
	free(r.text);

	static const char *const broken[] = {
		"1 2 3 4 5 6 7 8\n",		       /* too few columns */
		"1 2 3 4 5 6 7 8 x\n",		       /* not hex */
		"1 2 3 4 5 6 7 8 100000000\n",	       /* over 32 bits */
		"0x1 2 3 4 5 6 7 8 9\n",	       /* Go's base-16 parse has no prefix */
		"1 2 3 4 5 6 7 8 9\n\n",	       /* an empty row */
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		r = run_proc_file(&collector_softnet, "net/softnet_stat", broken[i]);
		ck_assert_msg(r.rc == COLLECT_ERROR, "case %zu", i);
		free(r.text);
	}
	r = run_proc_file(&collector_softnet, "x", NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR); /* upstream: an error, not "no data" */
	free(r.text);
}
END_TEST

#define UDP_HDR "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
#define UDP_LINE(tx, rx) \
	"  1: 0100007F:0035 00000000:0000 07 " tx ":" rx " 00:00000000 00000000   101        0 20153 2 0000000000000000 0\n"

START_TEST(test_udp_queues)
{
	struct run_result r = run_collector(&collector_udp_queues);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_udp_queues{ip=\"v4\",queue=\"tx\"} 21"));
	ck_assert(has_line(r.text, "node_udp_queues{ip=\"v4\",queue=\"rx\"} 0"));
	ck_assert(!strstr(r.text, "ip=\"v6\"")); /* no udp6 in the fixture */
	free(r.text);

	char *dir = fixture_dir();
	r = run_collector_with(&collector_udp_queues, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_puts(dir, "net/udp6", UDP_HDR UDP_LINE("00000100", "00000002") UDP_LINE("1", "2"));
	r = run_collector_with(&collector_udp_queues, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_udp_queues{ip=\"v6\",queue=\"tx\"} 257"));
	ck_assert(has_line(r.text, "node_udp_queues{ip=\"v6\",queue=\"rx\"} 4"));
	free(r.text);
	static const char *const broken[] = {
		UDP_HDR "  1: 0100007F:0035 00000000:0000 07 00000000:00000000\n",
		UDP_HDR "  1: 0100007:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2 0 0\n",
		UDP_HDR "  1: 0100007F:0035 00000000:0000 07 0000000000000000 00:00000000 00000000 0 0 1 2 0 0\n",
		UDP_HDR "  1: 0100007F:0035 00000000:0000 07 00000000:0000000x 00:00000000 00000000 0 0 1 2 0 0\n",
		UDP_HDR "  1: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2 0 drops\n",
		UDP_HDR "\n",
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		fixture_puts(dir, "net/udp", broken[i]);
		r = run_collector_with(&collector_udp_queues, dir, dir, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "case %zu: rc %d", i, r.rc);
		free(r.text);
	}
	fixture_rm(dir);
}
END_TEST

START_TEST(test_uname)
{
	struct utsname u;
	ck_assert_int_eq(uname(&u), 0);
	struct run_result r = run_collector(&collector_uname);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	char want[1024];
	snprintf(want, sizeof want, "release=\"%s\",sysname=\"%s\"", u.release, u.sysname);
	ck_assert_msg(strstr(r.text, want), "%s", r.text);
	snprintf(want, sizeof want, "machine=\"%s\",nodename=\"%s\"", u.machine, u.nodename);
	ck_assert_msg(strstr(r.text, want), "%s", r.text);
	ck_assert(strstr(r.text, "# TYPE node_uname_info gauge\n"));
	ck_assert(strstr(r.text, "node_uname_info{domainname=\""));
	free(r.text);
}
END_TEST

START_TEST(test_time)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	struct run_result r = run_collector(&collector_time);
	clock_gettime(CLOCK_REALTIME, &t1);
	double before = (double)t0.tv_sec - 1, after = (double)t1.tv_sec + 1;
	ck_assert_int_eq(r.rc, COLLECT_OK);
	const char *p = strstr(r.text, "\nnode_time_seconds ");
	ck_assert_ptr_nonnull(p);
	double t = strtod(p + 19, NULL);
	ck_assert_msg(t >= before && t <= after, "%f not in [%f, %f]", t, before, after);
	ck_assert(strstr(r.text, "node_time_zone_offset_seconds{time_zone=\""));
	ck_assert(has_line(r.text, "node_time_clocksource_available_info{clocksource=\"hpet\",device=\"0\"} 1"));
	ck_assert(has_line(r.text, "node_time_clocksource_current_info{clocksource=\"tsc\",device=\"0\"} 1"));
	free(r.text);

	/* device is the position in name order, not the number in the name. */
	char *dir = fixture_dir();
	fixture_puts(dir, "devices/system/clocksource/clocksource10/available_clocksource", "a b\n");
	fixture_puts(dir, "devices/system/clocksource/clocksource10/current_clocksource", "a\n");
	fixture_puts(dir, "devices/system/clocksource/clocksource2/available_clocksource", "c\n");
	fixture_puts(dir, "devices/system/clocksource/clocksource2/current_clocksource", "c\n");
	fixture_puts(dir, "devices/system/clocksource/other/current_clocksource", "x\n");
	r = run_collector_with(&collector_time, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_time_clocksource_current_info{clocksource=\"a\",device=\"0\"} 1"));
	ck_assert(has_line(r.text, "node_time_clocksource_current_info{clocksource=\"c\",device=\"1\"} 1"));
	ck_assert(has_line(r.text, "node_time_clocksource_available_info{clocksource=\"b\",device=\"0\"} 1"));
	ck_assert(!strstr(r.text, "clocksource=\"x\""));
	free(r.text);
	/* A clocksource without its files fails after the clock itself is reported. */
	fixture_puts(dir, "devices/system/clocksource/clocksource3/available_clocksource", "d\n");
	r = run_collector_with(&collector_time, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.text, "node_time_seconds "));
	free(r.text);
	fixture_rm(dir);
	/* No clocksource directory: just the clock. */
	r = run_collector_with(&collector_time, "/nonexistent", "/nonexistent", "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "clocksource"));
	free(r.text);
}
END_TEST

START_TEST(test_timex)
{
	struct run_result r = run_collector(&collector_timex);
	/* adjtimex may be forbidden in a sandbox: then no data, never an error. */
	ck_assert_msg(r.rc == COLLECT_OK || r.rc == COLLECT_NODATA, "rc %d: %s", r.rc, r.err);
	if (r.rc == COLLECT_OK) {
		ck_assert(strstr(r.text, "# TYPE node_timex_pps_calibration_total counter\n"));
		ck_assert(strstr(r.text, "\nnode_timex_sync_status "));
		const char *p = strstr(r.text, "\nnode_timex_tick_seconds ");
		ck_assert_ptr_nonnull(p);
		double tick = strtod(p + 25, NULL);
		ck_assert(tick > 0 && tick < 1); /* USER_HZ ticks: 0.01 s at 100 Hz */
		p = strstr(r.text, "\nnode_timex_frequency_adjustment_ratio ");
		ck_assert_ptr_nonnull(p);
		double ratio = strtod(p + 39, NULL);
		ck_assert(ratio > 0.99 && ratio < 1.01);
	}
	free(r.text);
}
END_TEST

START_TEST(test_os_fixture)
{
	struct run_result r = run_collector(&collector_os);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text,
			   "node_os_info{build_id=\"\",id=\"ubuntu\",id_like=\"debian\",image_id=\"\",image_version=\"\","
			   "name=\"Ubuntu\",pretty_name=\"Ubuntu 20.04.2 LTS\",variant=\"\",variant_id=\"\","
			   "version=\"20.04.2 LTS (Focal Fossa)\",version_codename=\"focal\",version_id=\"20.04\"} 1"));
	ck_assert(has_line(r.text, "node_os_version{id=\"ubuntu\",id_like=\"debian\",name=\"Ubuntu\"} 20.04"));
	ck_assert(!strstr(r.text, "support_end"));
	free(r.text);
}
END_TEST

static struct run_result run_os(const char *etc, const char *usr)
{
	char *dir = fixture_dir();
	if (etc)
		fixture_puts(dir, "etc/os-release", etc);
	if (usr)
		fixture_puts(dir, "usr/lib/os-release", usr);
	struct run_result r = run_collector_with(&collector_os, dir, dir, dir, NULL);
	fixture_rm(dir);
	return r;
}

START_TEST(test_os_parsing)
{
	/* /etc wins over /usr/lib; quotes, escapes, comments, export. */
	struct run_result r = run_os("export NAME='My OS' # comment\n"
				     "ID=\"my\\\"os\\u00e9\"\n"
				     "  VERSION_ID = 7.9.2009 \n"
				     "# just a comment\n\n"
				     "PRETTY_NAME=\"a#b\" # c\n"
				     "SUPPORT_END=2024-02-29\n",
				     "ID=other\n");
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert_msg(strstr(r.text, "id=\"my\\\"os\xc3\xa9\""), "%s", r.text);
	ck_assert(strstr(r.text, "name=\"My OS\""));
	ck_assert(strstr(r.text, "pretty_name=\"a#b\""));
	ck_assert(has_line(r.text, "node_os_version{id=\"my\\\"os\xc3\xa9\",id_like=\"\",name=\"My OS\"} 7.9"));
	ck_assert(has_line(r.text, "node_os_support_end_timestamp_seconds 1.7091648e+09"));
	free(r.text);

	/* Fallback to /usr/lib; no VERSION_ID or a non-numeric one: no version gauge. */
	r = run_os(NULL, "ID=arch\nVERSION_ID=rolling\n");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "id=\"arch\""));
	ck_assert(!strstr(r.text, "node_os_version"));
	free(r.text);
	r = run_os(NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	static const char *const broken[] = {
		"ID\n",			 /* missing = */
		"=x\n",			 /* empty key */
		"1ID=x\n",		 /* bad key start */
		"I-D=x\n",		 /* bad key character */
		"ID=\"open\n",		 /* unmatched " */
		"ID='open\n",		 /* unmatched ' */
		"ID=\"a\\qb\"\n",	 /* bad escape */
		"ID=\"\\u12\"\n",	 /* short \u */
		"ID=a\tb\n",		 /* control character */
		"SUPPORT_END=2024-02-30\n", /* no such day */
		"SUPPORT_END=24-01-01\n",
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		r = run_os(broken[i], "ID=fallback-not-used\n");
		ck_assert_msg(r.rc == COLLECT_ERROR, "case %zu: rc %d", i, r.rc);
		ck_assert(!strstr(r.text, "node_os_info"));
		free(r.text);
	}
	/* Oversized: an error, not a crash. */
	size_t n = 2u << 20;
	char *big = malloc(n + 1);
	memset(big, 'A', n);
	big[n] = '\0';
	r = run_os(big, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	free(big);
}
END_TEST

START_TEST(test_selinux)
{
	struct run_result r = run_collector(&collector_selinux);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	FILE *f = fopen("/sys/fs/selinux/enforce", "r");
	if (!f) {
		/* No selinuxfs on this host: disabled, and nothing else. */
		ck_assert(has_line(r.text, "node_selinux_enabled 0"));
		ck_assert(!strstr(r.text, "node_selinux_current_mode"));
	} else {
		fclose(f);
		ck_assert(strstr(r.text, "node_selinux_enabled "));
	}
	free(r.text);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_misc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_filefd_fixture);
	tcase_add_loop_test(tc, test_filefd_broken, 0,
			    (int)(sizeof filefd_broken / sizeof filefd_broken[0]));
	tcase_add_test(tc, test_entropy);
	tcase_add_test(tc, test_kernel_hung);
	tcase_add_test(tc, test_conntrack);
	tcase_add_test(tc, test_softnet);
	tcase_add_test(tc, test_udp_queues);
	tcase_add_test(tc, test_uname);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_timex);
	tcase_add_test(tc, test_os_fixture);
	tcase_add_test(tc, test_os_parsing);
	tcase_add_test(tc, test_selinux);
	suite_add_tcase(s, tc);
	return s;
}
