// links: node_exporter
/*
 * The off-by-default procfs collectors of issue 13 (buddyinfo, cgroups,
 * drbd, interrupts, lnstat, mountstats, processes, slabinfo, softirqs, swap,
 * sysctl, xfrm, zoneinfo) on upstream's fixtures, and on broken variants of
 * their files: missing, empty, truncated, garbage. A broken file is an
 * error (or no data where upstream says so), never a crash.
 */
#include <unistd.h>

#include "unit.h"

extern const struct collector_def collector_buddyinfo, collector_cgroups, collector_drbd, collector_interrupts,
	collector_lnstat, collector_mountstats, collector_processes, collector_slabinfo, collector_softirqs,
	collector_swap, collector_sysctl, collector_xfrm, collector_zoneinfo;

/* Run def on a scratch procfs holding one file (content NULL: no file at all). */
static struct run_result run_proc_file(const struct collector_def *def, const char *rel, const char *content,
				       const char *const *argv)
{
	char *dir = fixture_dir();
	if (content)
		fixture_puts(dir, rel, content);
	else
		fixture_puts(dir, "unrelated", "");
	struct run_result r = run_collector_with(def, dir, dir, dir, argv);
	fixture_rm(dir);
	return r;
}

static struct run_result run_fixture(const struct collector_def *def, const char *const *argv)
{
	return run_collector_with(def, NULL, NULL, NULL, argv);
}

START_TEST(test_buddyinfo)
{
	struct run_result r = run_fixture(&collector_buddyinfo, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_buddyinfo_blocks{node=\"0\",size=\"0\",zone=\"DMA32\"} 759");
	expect_line(&r, "node_buddyinfo_blocks{node=\"0\",size=\"10\",zone=\"DMA\"} 3");
	ck_assert_int_eq(count_samples(r.text, "node_buddyinfo_blocks"), 33);
	free(r.text);
}
END_TEST

START_TEST(test_cgroups)
{
	struct run_result r = run_fixture(&collector_cgroups, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_cgroups_cgroups{subsys_name=\"memory\"} 234");
	expect_line(&r, "node_cgroups_enabled{subsys_name=\"rdma\"} 1");
	ck_assert_int_eq(count_samples(r.text, "node_cgroups_"), 24);
	free(r.text);
}
END_TEST

START_TEST(test_drbd)
{
	struct run_result r = run_fixture(&collector_drbd, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_drbd_network_sent_bytes_total{device=\"drbd1\"} 1.7740228608e+10");
	expect_line(&r, "node_drbd_network_received_bytes_total{device=\"drbd1\"} 1.0961011e+07");
	expect_line(&r, "node_drbd_out_of_sync_bytes{device=\"drbd1\"} 1.2645376e+07");
	expect_line(&r, "node_drbd_node_role_is_primary{device=\"drbd1\",node=\"remote\"} 1");
	expect_line(&r, "node_drbd_connected{device=\"drbd1\"} 1");
	free(r.text);
	/* Two devices, one disconnected secondary; words that are no key:value pair are skipped. */
	r = run_proc_file(&collector_drbd, "drbd",
			  "version: 8.4.3 (api:1/proto:86-101)\n 0: cs:StandAlone ro:Secondary/Unknown "
			  "ds:Outdated/DUnknown\n    ns:1 nr:2\n 7: cs:Connected ro:Primary/Secondary\n",
			  NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_drbd_connected{device=\"drbd0\"} 0");
	expect_line(&r, "node_drbd_node_role_is_primary{device=\"drbd0\",node=\"local\"} 0");
	expect_line(&r, "node_drbd_disk_state_is_up_to_date{device=\"drbd0\",node=\"local\"} 0");
	expect_line(&r, "node_drbd_network_sent_bytes_total{device=\"drbd0\"} 1024");
	expect_line(&r, "node_drbd_node_role_is_primary{device=\"drbd7\",node=\"local\"} 1");
	free(r.text);
}
END_TEST

START_TEST(test_interrupts)
{
	struct run_result r = run_fixture(&collector_interrupts, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_interrupts_total{cpu=\"1\",devices=\"acpi\",info=\"IR-IO-APIC-fasteoi\",type=\"9\"} 2320");
	expect_line(&r, "node_interrupts_total{cpu=\"0\",devices=\"\",info=\"Non-maskable interrupts\",type=\"NMI\"} 47");
	expect_line(&r, "node_interrupts_total{cpu=\"0\",devices=\"ehci_hcd:usb1, mmc0\",info=\"IR-IO-APIC-fasteoi\","
			"type=\"16\"} 328511");
	expect_no(&r, "type=\"ERR\"");
	int all = count_samples(r.text, "node_interrupts_total");
	free(r.text);
	/* Filters match name;info;devices; zeros can be left out. */
	r = run_fixture(&collector_interrupts, ARGS("--collector.interrupts.name-include=^(NMI|9);"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(count_samples(r.text, "node_interrupts_total"), 8);
	free(r.text);
	r = run_fixture(&collector_interrupts, ARGS("--collector.interrupts.name-exclude=i8042"));
	ck_assert_int_eq(count_samples(r.text, "node_interrupts_total"), all - 8);
	free(r.text);
	r = run_fixture(&collector_interrupts, ARGS("--no-collector.interrupts.include-zeros"));
	ck_assert_int_lt(count_samples(r.text, "node_interrupts_total"), all);
	expect_no(&r, "} 0\n");
	free(r.text);
	r = run_fixture(&collector_interrupts, ARGS("--collector.interrupts.name-include=("));
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	/* A repeated name keeps its last line, as upstream's map. */
	r = run_proc_file(&collector_interrupts, "interrupts",
			  "  CPU0\n 5: 1 chip dev\n 5: 2 chip other\nNMI: 3 Non-maskable\n", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_interrupts_total{cpu=\"0\",devices=\"other\",info=\"chip\",type=\"5\"} 2");
	ck_assert_int_eq(count_samples(r.text, "node_interrupts_total"), 2);
	free(r.text);
}
END_TEST

START_TEST(test_lnstat)
{
	struct run_result r = run_fixture(&collector_lnstat, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_lnstat_entries_total{cpu=\"3\",subsystem=\"nf_conntrack\"} 33");
	expect_line(&r, "node_lnstat_hits_total{cpu=\"1\",subsystem=\"ndisc_cache\"} 256");
	expect_line(&r, "# TYPE node_lnstat_hits_total counter");
	free(r.text);
	/* No /proc/net/stat: nothing to report, as upstream's empty glob. */
	r = run_proc_file(&collector_lnstat, "x", NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	free(r.text);
}
END_TEST

START_TEST(test_mountstats)
{
	struct run_result r = run_fixture(&collector_mountstats, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_mountstats_nfs_mountpoint_info{export=\"192.168.1.1:/srv/test\",mountaddr=\"192.168.1.1\","
			"mountpoint=\"/mnt/nfs/test-dupe\",protocol=\"udp\"} 1");
	expect_line(&r, "node_mountstats_nfs_age_seconds_total{export=\"192.168.1.1:/srv/test\",mountaddr=\"192.168.1.1\","
			"protocol=\"tcp\"} 13968");
	expect_line(&r, "node_mountstats_nfs_transport_sends_total{export=\"192.168.1.1:/srv/test\","
			"mountaddr=\"192.168.1.1\",protocol=\"udp\",transport=\"0\"} 6428");
	/* 18446743919241604546 ms, taken modulo 2^53 as upstream does. */
	expect_line(&r, "node_mountstats_nfs_operations_queue_time_seconds_total{export=\"192.168.1.1:/srv/test\","
			"mountaddr=\"192.168.1.1\",operation=\"ACCESS\",protocol=\"udp\"} 9.007044786793922e+12");
	/* The second tcp mount of the same export is the same device: its stats once, its mountpoint too. */
	ck_assert_int_eq(count_samples(r.text, "node_mountstats_nfs_age_seconds_total"), 2);
	ck_assert_int_eq(count_samples(r.text, "node_mountstats_nfs_mountpoint_info"), 3);
	free(r.text);
}
END_TEST

/* A procfs with self -> 1, its mountinfo and the given mountstats. */
static struct run_result run_mountstats(const char *mountstats)
{
	char *dir = fixture_dir(), link[4200];
	fixture_puts(dir, "1/mountinfo",
		     "1 0 0:42 / /mnt rw - nfs4 srv:/x rw,addr=10.0.0.1\n"
		     "2 0 0:43 / /m2 rw - nfs srv:/y rw,addr=10.0.0.2,addr=10.0.0.3\n");
	if (mountstats)
		fixture_puts(dir, "1/mountstats", mountstats);
	snprintf(link, sizeof link, "%s/self", dir);
	ck_assert_int_eq(symlink("1", link), 0);
	struct run_result r = run_collector_with(&collector_mountstats, dir, dir, dir, NULL);
	fixture_rm(dir);
	return r;
}

#define NFS_HEAD(fs, ver) "device srv:/x mounted on /mnt with fstype " fs " statvers=" ver "\n"
#define NFS_EVENTS "\tevents:\t1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27\n"
#define NFS_BYTES "\tbytes:\t1 2 3 4 5 6 7 8\n"
#define NFS_OPS "\tper-op statistics\n\t\tREAD: 1 2 3 4 5 6 7 8\n\n"

static const struct {
	const char *text;
	int rc;
} mountstats_cases[] = {
	/* Good: 1.0 UDP lined up on TCP's layout (no connect counts), RDMA with its extra fields. */
	{ NFS_HEAD("nfs4", "1.0") "\tage:\t5\n" NFS_EVENTS NFS_BYTES "\txprt:\tudp 1 2 3 4 5 6 7\n" NFS_OPS, COLLECT_OK },
	{ NFS_HEAD("nfs4", "1.1") "\txprt:\trdma 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n" NFS_OPS,
	  COLLECT_OK },
	{ "device proc mounted on /proc with fstype proc\n", COLLECT_OK },
	{ "", COLLECT_OK },
	/* Broken. */
	{ NULL, COLLECT_ERROR },
	{ "device srv:/x mounted on\n", COLLECT_ERROR },
	{ "device srv:/x mounted at /mnt with fstype nfs\n", COLLECT_ERROR },
	{ "device d mounted on /m with fstype ext4 statvers=1.1\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\tage:\tlong\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\tbytes:\t1 2 3\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\tevents:\t1 2 x\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\txprt:\ttcp 1 2\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\txprt:\tsctp 1 2 3 4 5 6 7 8 9 10 11 12 13\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "2.0") "\txprt:\ttcp 1 2 3 4 5 6 7 8 9 10 11 12 13\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\txprt:\trdma 1 2 3\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\tper-op statistics\n\t\tREAD: 1 2 3\n", COLLECT_ERROR },
	{ NFS_HEAD("nfs", "1.1") "\tper-op statistics\n\t\tREAD: 1 2 3 4 5 6 7 -8\n", COLLECT_ERROR },
	/* Statistics without a per-op section run into the next device line, as in procfs. */
	{ NFS_HEAD("nfs", "1.1") NFS_BYTES "\n" NFS_HEAD("nfs", "1.1"), COLLECT_ERROR },
};

START_TEST(test_mountstats_variants)
{
	struct run_result r = run_mountstats(mountstats_cases[_i].text);
	ck_assert_msg(r.rc == mountstats_cases[_i].rc, "case %d: rc %d (%s)", _i, r.rc, r.err);
	if (_i == 0) {
		expect_line(&r, "node_mountstats_nfs_transport_sends_total{export=\"srv:/x\",mountaddr=\"10.0.0.1\","
				"protocol=\"udp\",transport=\"0\"} 3");
		expect_line(&r, "node_mountstats_nfs_transport_connect_total{export=\"srv:/x\",mountaddr=\"10.0.0.1\","
				"protocol=\"udp\",transport=\"0\"} 0");
		expect_line(&r, "node_mountstats_nfs_event_truncation_total{export=\"srv:/x\",mountaddr=\"10.0.0.1\","
				"protocol=\"udp\"} 20");
	}
	if (_i == 1)
		expect_line(&r, "node_mountstats_nfs_transport_maximum_rpc_slots{export=\"srv:/x\",mountaddr=\"10.0.0.1\","
				"protocol=\"rdma\",transport=\"0\"} 0");
	free(r.text);
}
END_TEST

START_TEST(test_processes)
{
	struct run_result r = run_fixture(&collector_processes, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_processes_pids 3");
	expect_line(&r, "node_processes_threads 3");
	expect_line(&r, "node_processes_state{state=\"S\"} 2");
	expect_line(&r, "node_processes_state{state=\"I\"} 1");
	expect_line(&r, "node_processes_max_threads 7801");
	expect_line(&r, "node_processes_max_processes 123");
	free(r.text);

	/* Threads: the main one has the process's state, the others their own; a vanished one is skipped. */
	char *dir = fixture_dir();
	fixture_puts(dir, "sys/kernel/threads-max", "100\n");
	fixture_puts(dir, "sys/kernel/pid_max", "4194304\n");
	const char *stat = "(a b) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	char buf[512];
	snprintf(buf, sizeof buf, "7 %s", stat);
	fixture_puts(dir, "7/stat", buf);
	fixture_puts(dir, "7/task/7/stat", buf);
	snprintf(buf, sizeof buf, "8 %s", stat);
	buf[8] = 'D'; /* "8 (a b) D ..." */
	fixture_puts(dir, "7/task/8/stat", buf);
	fixture_puts(dir, "7/task/9/other", "");
	fixture_puts(dir, "self/unrelated", "");
	r = run_collector_with(&collector_processes, dir, dir, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_line(&r, "node_processes_threads 3");
	expect_line(&r, "node_processes_threads_state{thread_state=\"R\"} 1");
	expect_line(&r, "node_processes_threads_state{thread_state=\"D\"} 1");
	free(r.text);
	/* A truncated stat line is an error. */
	fixture_puts(dir, "7/task/8/stat", "8 (a b) D 0 0\n");
	r = run_collector_with(&collector_processes, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "7/task/8/stat", buf);
	fixture_puts(dir, "sys/kernel/pid_max", "lots\n");
	r = run_collector_with(&collector_processes, dir, dir, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "pid_max"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_slabinfo)
{
	struct run_result r = run_fixture(&collector_slabinfo, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_slabinfo_objects{slab=\"tw_sock_TCP\"} 864");
	expect_line(&r, "node_slabinfo_pages_per_slab{slab=\"dmaengine-unmap-128\"} 8");
	ck_assert_int_eq(count_samples(r.text, "node_slabinfo_"), 20);
	free(r.text);
	r = run_fixture(&collector_slabinfo, ARGS("--collector.slabinfo.slabs-include=^kmalloc",
						   "--collector.slabinfo.slabs-exclude=8192"));
	ck_assert_int_eq(count_samples(r.text, "node_slabinfo_"), 0);
	free(r.text);
	r = run_fixture(&collector_slabinfo, ARGS("--collector.slabinfo.slabs-exclude=^(tw|kmem)"));
	ck_assert_int_eq(count_samples(r.text, "node_slabinfo_"), 10);
	free(r.text);
}
END_TEST

START_TEST(test_softirqs)
{
	struct run_result r = run_fixture(&collector_softirqs, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_softirqs_functions_total{cpu=\"0\",type=\"TIMER\"} 424191");
	expect_line(&r, "node_softirqs_functions_total{cpu=\"1\",type=\"HI\"} 1");
	ck_assert_int_eq(count_samples(r.text, "node_softirqs_functions_total"), 20);
	free(r.text);
}
END_TEST

START_TEST(test_swap)
{
	struct run_result r = run_fixture(&collector_swap, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_swap_size_bytes{device=\"/dev/zram0\",swap_type=\"partition\"} 8.589930496e+09");
	expect_line(&r, "node_swap_used_bytes{device=\"/dev/zram0\",swap_type=\"partition\"} 77824");
	expect_line(&r, "node_swap_priority{device=\"/dev/zram0\",swap_type=\"partition\"} 100");
	free(r.text);
	/* Only the header: no swap, no series. */
	r = run_proc_file(&collector_swap, "swaps", "Filename Type Size Used Priority\n", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(count_samples(r.text, "node_swap_"), 0);
	free(r.text);
}
END_TEST

START_TEST(test_sysctl)
{
	struct run_result r = run_fixture(&collector_sysctl,
					   ARGS("--collector.sysctl.include=fs.file-nr", "--collector.sysctl.include=fs.file-nr:total,current,max",
						"--collector.sysctl.include=kernel.threads-max",
						"--collector.sysctl.include-info=kernel.seccomp.actions_avail"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_sysctl_fs_file_nr{index=\"2\"} 1.631329e+06");
	expect_line(&r, "node_sysctl_fs_file_nr_current 0");
	expect_line(&r, "node_sysctl_kernel_threads_max 7801");
	expect_line(&r, "# TYPE node_sysctl_kernel_threads_max untyped");
	expect_line(&r, "node_sysctl_info{index=\"4\",name=\"kernel.seccomp.actions_avail\",value=\"user_notif\"} 1");
	free(r.text);
	/* No include: nothing. */
	r = run_fixture(&collector_sysctl, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(count_samples(r.text, "node_sysctl"), 0);
	free(r.text);
	/* Errors: a missing sysctl, keys for one value, key count mismatch, text as a number, keys on text. */
	static const char *const bad[][2] = {
		{ "--collector.sysctl.include=vm.nope", NULL },
		{ "--collector.sysctl.include=kernel.threads-max:a,b", NULL },
		{ "--collector.sysctl.include=fs.file-nr:a,b", NULL },
		{ "--collector.sysctl.include=kernel.seccomp.actions_avail", NULL },
		{ "--collector.sysctl.include-info=fs.file-nr:a,b,c", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = run_fixture(&collector_sysctl, bad[i]);
		ck_assert_msg(r.rc == COLLECT_ERROR, "case %zu: %d", i, r.rc);
		ck_assert_str_ne(r.err, "");
		free(r.text);
	}
	r = run_proc_file(&collector_sysctl, "sys/vm/empty", "\n", ARGS("--collector.sysctl.include=vm.empty"));
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "no values"));
	free(r.text);
}
END_TEST

START_TEST(test_xfrm)
{
	struct run_result r = run_fixture(&collector_xfrm, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_xfrm_in_error_packets_total 1");
	expect_line(&r, "node_xfrm_in_state_proto_error_packets_total 40");
	ck_assert_int_eq(count_samples(r.text, "node_xfrm_"), 28);
	free(r.text);
	/* Counters the kernel does not list are 0. */
	r = run_proc_file(&collector_xfrm, "net/xfrm_stat", "XfrmInError 5\n", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_xfrm_in_error_packets_total 5");
	expect_line(&r, "node_xfrm_acquire_error_packets_total 0");
	free(r.text);
}
END_TEST

START_TEST(test_zoneinfo)
{
	struct run_result r = run_fixture(&collector_zoneinfo, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_zoneinfo_nr_free_pages{node=\"0\",zone=\"DMA\"} 2949");
	expect_line(&r, "node_zoneinfo_protection_1{node=\"0\",zone=\"DMA\"} 2039");
	expect_line(&r, "# TYPE node_zoneinfo_nr_dirtied_total counter");
	/* The per-node statistics printed in the node's first zone belong to it. */
	expect_line(&r, "node_zoneinfo_nr_active_anon_pages{node=\"0\",zone=\"DMA\"} 1.175853e+06");
	free(r.text);
	/* A value that does not parse is left out; a bad protection array too. */
	r = run_proc_file(&collector_zoneinfo, "zoneinfo",
			  "Node 1, zone   Normal\n  pages free 5\n        min      x\n        low      7\n"
			  "        protection: (0, y)\n",
			  NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_zoneinfo_low_pages{node=\"1\",zone=\"Normal\"} 7");
	expect_no(&r, "min_pages");
	expect_no(&r, "protection");
	free(r.text);
}
END_TEST

/* Broken variants: collector, file, content (NULL: missing), expected result. */
static const struct {
	const struct collector_def *def;
	const char *rel, *text;
	int rc;
} broken[] = {
	{ &collector_buddyinfo, "buddyinfo", NULL, COLLECT_ERROR },
	{ &collector_buddyinfo, "buddyinfo", "Node 0, zone\n", COLLECT_ERROR },
	{ &collector_buddyinfo, "buddyinfo", "Node 0, zone DMA 1 2\nNode 0, zone DMA32 1\n", COLLECT_ERROR },
	{ &collector_buddyinfo, "buddyinfo", "Node 0, zone DMA 1 x\n", COLLECT_ERROR },
	{ &collector_cgroups, "cgroups", NULL, COLLECT_ERROR },
	{ &collector_cgroups, "cgroups", "cpu 3 172\n", COLLECT_ERROR },
	{ &collector_cgroups, "cgroups", "cpu 3 many 1\n", COLLECT_ERROR },
	{ &collector_drbd, "drbd", NULL, COLLECT_NODATA },
	{ &collector_drbd, "drbd", " 1: ns:lots\n", COLLECT_ERROR },
	{ &collector_drbd, "drbd", " 1: ro:Primary\n", COLLECT_ERROR },
	{ &collector_interrupts, "interrupts", NULL, COLLECT_ERROR },
	{ &collector_interrupts, "interrupts", "", COLLECT_ERROR },
	{ &collector_interrupts, "interrupts", "  CPU0\n 1: x chip dev\n", COLLECT_ERROR },
	{ &collector_lnstat, "net/stat/arp_cache", "entries hits\n0000001 zz\n", COLLECT_ERROR },
	{ &collector_lnstat, "net/stat/arp_cache", "entries\n1 2\n", COLLECT_ERROR },
	{ &collector_processes, "sys/kernel/threads-max", NULL, COLLECT_ERROR },
	{ &collector_slabinfo, "slabinfo", NULL, COLLECT_ERROR },
	{ &collector_slabinfo, "slabinfo", "slabinfo - version: 2.1\nkmalloc-8 1 2 8 512 1 : tunables 0 0 0\n",
	  COLLECT_ERROR },
	{ &collector_slabinfo, "slabinfo", "kmalloc-8 1 x 8 512 1 : tunables 0 0 0 : slabdata 1 1 0\n", COLLECT_ERROR },
	{ &collector_softirqs, "softirqs", NULL, COLLECT_ERROR },
	{ &collector_softirqs, "softirqs", "", COLLECT_ERROR },
	{ &collector_softirqs, "softirqs", "CPU0\nHI: -1\n", COLLECT_ERROR },
	{ &collector_swap, "swaps", NULL, COLLECT_ERROR },
	{ &collector_swap, "swaps", "Filename Type Size Used Priority\n/dev/sda2 partition 10 5\n", COLLECT_ERROR },
	{ &collector_swap, "swaps", "Filename Type Size Used Priority\n/dev/sda2 partition 10 5 high\n",
	  COLLECT_ERROR },
	{ &collector_xfrm, "net/xfrm_stat", NULL, COLLECT_ERROR },
	{ &collector_xfrm, "net/xfrm_stat", "XfrmInError\n", COLLECT_ERROR },
	{ &collector_xfrm, "net/xfrm_stat", "XfrmInError 1.5\n", COLLECT_ERROR },
	{ &collector_zoneinfo, "zoneinfo", NULL, COLLECT_ERROR },
	{ &collector_zoneinfo, "zoneinfo", "\x01\xff garbage\n", COLLECT_OK },
};

START_TEST(test_broken)
{
	struct run_result r = run_proc_file(broken[_i].def, broken[_i].rel, broken[_i].text, NULL);
	ck_assert_msg(r.rc == broken[_i].rc, "case %d (%s %s): rc %d, want %d (%s)", _i, broken[_i].def->name,
		      broken[_i].rel, r.rc, broken[_i].rc, r.err);
	if (r.rc == COLLECT_ERROR)
		ck_assert_str_ne(r.err, "");
	free(r.text);
}
END_TEST

/* Every file of the fixture cut at every 13th byte: whatever the cut, no crash. */
START_TEST(test_truncated)
{
	static const struct {
		const struct collector_def *def;
		const char *rel;
	} files[] = {
		{ &collector_buddyinfo, "buddyinfo" }, { &collector_cgroups, "cgroups" },
		{ &collector_drbd, "drbd" },	       { &collector_interrupts, "interrupts" },
		{ &collector_slabinfo, "slabinfo" },   { &collector_softirqs, "softirqs" },
		{ &collector_swap, "swaps" },	       { &collector_xfrm, "net/xfrm_stat" },
		{ &collector_zoneinfo, "zoneinfo" },   { &collector_lnstat, "net/stat/arp_cache" },
	};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[4096];
		snprintf(path, sizeof path, FIXTURES "/proc/%s", files[f].rel);
		char *text = slurp(path);
		size_t len = strlen(text);
		for (size_t cut = 0; cut < len; cut += 13) {
			char *part = strndup(text, cut);
			struct run_result r = run_proc_file(files[f].def, files[f].rel, part, NULL);
			ck_assert(r.rc == COLLECT_OK || r.rc == COLLECT_ERROR || r.rc == COLLECT_NODATA);
			free(r.text);
			free(part);
		}
		free(text);
	}
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_offdefault_procfs");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_buddyinfo);
	tcase_add_test(tc, test_cgroups);
	tcase_add_test(tc, test_drbd);
	tcase_add_test(tc, test_interrupts);
	tcase_add_test(tc, test_lnstat);
	tcase_add_test(tc, test_mountstats);
	tcase_add_loop_test(tc, test_mountstats_variants, 0,
			    (int)(sizeof mountstats_cases / sizeof mountstats_cases[0]));
	tcase_add_test(tc, test_processes);
	tcase_add_test(tc, test_slabinfo);
	tcase_add_test(tc, test_softirqs);
	tcase_add_test(tc, test_swap);
	tcase_add_test(tc, test_sysctl);
	tcase_add_test(tc, test_xfrm);
	tcase_add_test(tc, test_zoneinfo);
	tcase_add_loop_test(tc, test_broken, 0, (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_truncated);
	suite_add_tcase(s, tc);
	return s;
}
