// links: node_exporter
/*
 * The off-by-default sysfs collectors of issue 13 (cpu_vulnerabilities, drm,
 * ksmd, meminfo_numa, nvmesubsystem, pcidevice) on upstream's fixtures and
 * on scratch trees with missing, empty and garbled attributes; perf on this
 * host's kernel; runit on status records as runsv writes them; supervisord
 * against a closed port (the real daemon is in the integration tests).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include "unit.h"

extern const struct collector_def collector_cpu_vulnerabilities, collector_drm, collector_ksmd,
	collector_meminfo_numa, collector_nvmesubsystem, collector_pcidevice, collector_perf, collector_runit,
	collector_supervisord;

static struct run_result run_fixture(const struct collector_def *def, const char *const *argv)
{
	return run_collector_with(def, NULL, NULL, NULL, argv);
}

static void link_to(const char *dir, const char *rel, const char *target)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

START_TEST(test_cpu_vulnerabilities)
{
	struct run_result r = run_fixture(&collector_cpu_vulnerabilities, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_cpu_vulnerabilities_info{codename=\"mds\",mitigation=\"\",state=\"vulnerable\"} 1");
	expect_line(&r, "node_cpu_vulnerabilities_info{codename=\"retbleed\",mitigation=\"untrained return thunk; SMT "
			"enabled with STIBP protection\",state=\"mitigation\"} 1");
	free(r.text);
	char *dir = fixture_dir();
	fixture_puts(dir, "devices/system/cpu/vulnerabilities/gds", "Unknown: Dependent on hypervisor status\n");
	fixture_puts(dir, "devices/system/cpu/vulnerabilities/odd", "  something  else \n");
	fixture_puts(dir, "devices/system/cpu/vulnerabilities/tsa", "Vulnerable:   Clear CPU buffers attempted\n");
	r = run_sys(&collector_cpu_vulnerabilities, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_cpu_vulnerabilities_info{codename=\"gds\",mitigation=\"Dependent on hypervisor status\","
			"state=\"unknown\"} 1");
	expect_line(&r, "node_cpu_vulnerabilities_info{codename=\"odd\",mitigation=\"something  else\",state=\"unknown\"} 1");
	expect_line(&r, "node_cpu_vulnerabilities_info{codename=\"tsa\",mitigation=\"Clear CPU buffers attempted\","
			"state=\"vulnerable\"} 1");
	free(r.text);
	/* A directory among the files cannot be read: an error. No directory at all: nothing, as upstream. */
	fixture_puts(dir, "devices/system/cpu/vulnerabilities/sub/x", "");
	r = run_sys(&collector_cpu_vulnerabilities, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
	dir = fixture_dir();
	r = run_sys(&collector_cpu_vulnerabilities, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(count_samples(r.text, "node_cpu"), 0);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* An amdgpu card0, an i915 card1, a card10 that the card[0-9] glob leaves out. */
static char *drm_tree(void)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/uevent", "DRIVER=amdgpu\nPCI_ID=1002:67DF\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/gpu_busy_percent", "4\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/mem_info_gtt_total", "8573157376\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/mem_info_vram_used", "0x1000\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/mem_info_vram_vendor", "samsung\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/power_dpm_force_performance_level", "manual\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:02.0/uevent", "DRIVER=i915\n");
	fixture_puts(dir, "class/drm/version", "drm 1.1.0\n");
	fixture_puts(dir, "class/drm/card0/dev", "226:0\n");
	fixture_puts(dir, "class/drm/card1/dev", "226:1\n");
	fixture_puts(dir, "class/drm/card10/device/uevent", "DRIVER=amdgpu\n");
	link_to(dir, "class/drm/card0/device", "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0");
	link_to(dir, "class/drm/card1/device", "../../../devices/pci0000:00/0000:00:02.0");
	return dir;
}

START_TEST(test_drm)
{
	char *dir = drm_tree();
	struct run_result r = run_sys(&collector_drm, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_line(&r, "node_drm_card_info{card=\"card0\",memory_vendor=\"samsung\",power_performance_level=\"manual\","
			"unique_id=\"\",vendor=\"amd\"} 1");
	expect_line(&r, "node_drm_gpu_busy_percent{card=\"card0\"} 4");
	expect_line(&r, "node_drm_memory_gtt_size_bytes{card=\"card0\"} 8.573157376e+09");
	expect_line(&r, "node_drm_memory_vram_used_bytes{card=\"card0\"} 4096");
	expect_line(&r, "node_drm_memory_vis_vram_size_bytes{card=\"card0\"} 0");
	expect_no(&r, "card1");
	expect_no(&r, "card10");
	free(r.text);
	/* A garbled number fails the collector (upstream would crash). */
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/gpu_busy_percent", "busy\n");
	r = run_sys(&collector_drm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	/* A card without device/uevent is an error, as upstream. */
	fixture_puts(dir, "class/drm/card2/dev", "226:2\n");
	fixture_puts(dir, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/gpu_busy_percent", "4\n");
	r = run_sys(&collector_drm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
	dir = fixture_dir();
	r = run_sys(&collector_drm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_ksmd)
{
	struct run_result r = run_fixture(&collector_ksmd, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_ksmd_full_scans_total 323");
	expect_line(&r, "# TYPE node_ksmd_full_scans_total counter");
	expect_line(&r, "node_ksmd_sleep_seconds 0.02");
	expect_line(&r, "node_ksmd_general_profit_bytes 1.04448e+06");
	free(r.text);
	char *dir = fixture_dir();
	/* No KSM: an error, as upstream. */
	r = run_sys(&collector_ksmd, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	static const char *const files[] = { "full_scans", "merge_across_nodes", "pages_shared", "pages_sharing",
					     "pages_to_scan", "pages_unshared", "pages_volatile", "run", "sleep_millisecs" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char rel[128];
		snprintf(rel, sizeof rel, "kernel/mm/ksm/%s", files[i]);
		fixture_puts(dir, rel, "7\n");
	}
	r = run_sys(&collector_ksmd, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_ksmd_sleep_seconds 0.007");
	expect_no(&r, "general_profit"); /* a kernel before 6.4 */
	free(r.text);
	fixture_puts(dir, "kernel/mm/ksm/general_profit", "-4096\n");
	r = run_sys(&collector_ksmd, dir, NULL);
	expect_line(&r, "node_ksmd_general_profit_bytes -4096");
	free(r.text);
	fixture_puts(dir, "kernel/mm/ksm/run", "on\n");
	r = run_sys(&collector_ksmd, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "kernel/mm/ksm/run", "");
	r = run_sys(&collector_ksmd, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_meminfo_numa)
{
	struct run_result r = run_fixture(&collector_meminfo_numa, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_memory_numa_MemTotal{node=\"0\"} 1.3740271616e+11");
	expect_line(&r, "node_memory_numa_Active_anon{node=\"1\"} 6.04635136e+08");
	expect_line(&r, "node_memory_numa_numa_hit_total{node=\"0\"} 1.93460335812e+11");
	expect_line(&r, "# TYPE node_memory_numa_numa_hit_total counter");
	expect_line(&r, "# TYPE node_memory_numa_MemTotal gauge");
	free(r.text);
	static const struct {
		const char *meminfo, *numastat;
		int rc;
	} cases[] = {
		{ "Node 0 MemTotal: 1 kB\nNode 0 HugePages_Total: 3\n", "numa_hit 1\n", COLLECT_OK },
		{ "Node 0 MemTotal: 1 kB\n", NULL, COLLECT_ERROR },
		{ NULL, "numa_hit 1\n", COLLECT_ERROR },
		{ "Node 0 MemTotal:\n", "numa_hit 1\n", COLLECT_ERROR },
		{ "Node 0 MemTotal: 1 MB\n", "numa_hit 1\n", COLLECT_ERROR },
		{ "Node 0 MemTotal: x kB\n", "numa_hit 1\n", COLLECT_ERROR },
		{ "Node 0 MemTotal: 1 kB\n", "numa_hit 1 2\n", COLLECT_ERROR },
		{ "Node 0 MemTotal: 1 kB\n", "numa_hit many\n", COLLECT_ERROR },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dir = fixture_dir();
		fixture_puts(dir, "devices/system/node/node0/cpulist", "0\n");
		fixture_puts(dir, "devices/system/node/possible", "0\n");
		if (cases[i].meminfo)
			fixture_puts(dir, "devices/system/node/node0/meminfo", cases[i].meminfo);
		if (cases[i].numastat)
			fixture_puts(dir, "devices/system/node/node0/numastat", cases[i].numastat);
		r = run_sys(&collector_meminfo_numa, dir, NULL);
		ck_assert_msg(r.rc == cases[i].rc, "case %zu: rc %d (%s)", i, r.rc, r.err);
		if (i == 0) {
			expect_line(&r, "node_memory_numa_MemTotal{node=\"0\"} 1024");
			expect_line(&r, "node_memory_numa_HugePages_Total{node=\"0\"} 3");
		}
		free(r.text);
		fixture_rm(dir);
	}
}
END_TEST

START_TEST(test_nvmesubsystem)
{
	struct run_result r = run_fixture(&collector_nvmesubsystem, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_nvmesubsystem_paths{subsystem=\"nvme-subsys0\"} 4");
	expect_line(&r, "node_nvmesubsystem_paths_live{subsystem=\"nvme-subsys0\"} 3");
	expect_line(&r, "node_nvmesubsystem_path_state{controller=\"nvme3\",state=\"dead\",subsystem=\"nvme-subsys0\","
			"transport=\"fc\"} 1");
	free(r.text);
	char *dir = fixture_dir();
	const char *sub = "class/nvme-subsystem/nvme-subsys1";
	char rel[256];
	static const char *const attrs[][2] = { { "subsysnqn", "nqn.x\n" }, { "model", "M\n" }, { "serial", "S\n" },
						{ "iopolicy", "numa\n" } };
	for (size_t i = 0; i < 4; i++) {
		snprintf(rel, sizeof rel, "%s/%s", sub, attrs[i][0]);
		fixture_puts(dir, rel, attrs[i][1]);
	}
	snprintf(rel, sizeof rel, "%s/nvme0/state", sub);
	fixture_puts(dir, rel, "deleting (no IO)\n");
	snprintf(rel, sizeof rel, "%s/nvme0/transport", sub);
	fixture_puts(dir, rel, "tcp\n");
	snprintf(rel, sizeof rel, "%s/nvme0/address", sub);
	fixture_puts(dir, rel, "traddr=10.0.0.1\n");
	snprintf(rel, sizeof rel, "%s/nvme1n1/size", sub);
	fixture_puts(dir, rel, "8\n");
	snprintf(rel, sizeof rel, "%s/nvme1c1n1/size", sub);
	fixture_puts(dir, rel, "8\n");
	r = run_sys(&collector_nvmesubsystem, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	expect_line(&r, "node_nvmesubsystem_namespace_info{device=\"nvme1n1\",subsystem=\"nvme-subsys1\"} 1");
	expect_no(&r, "nvme1c1n1");
	expect_line(&r, "node_nvmesubsystem_path_state{controller=\"nvme0\",state=\"deleting\",subsystem=\"nvme-subsys1\","
			"transport=\"tcp\"} 1");
	expect_line(&r, "node_nvmesubsystem_paths_live{subsystem=\"nvme-subsys1\"} 0");
	free(r.text);
	/* A controller without its address: no data for the whole collector, as upstream. */
	snprintf(rel, sizeof rel, "%s/%s/nvme0/address", dir, sub);
	ck_assert_int_eq(unlink(rel), 0);
	r = run_sys(&collector_nvmesubsystem, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_rm(dir);
	dir = fixture_dir();
	r = run_sys(&collector_nvmesubsystem, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_pcidevice)
{
	struct run_result r = run_fixture(&collector_pcidevice, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_pcidevice_info{bus=\"01\",class_id=\"0x010802\",device=\"00\",device_id=\"0x540a\","
			"function=\"0\",parent_bus=\"00\",parent_device=\"02\",parent_function=\"1\",parent_segment=\"0000\","
			"revision=\"0x01\",segment=\"0000\",subsystem_device_id=\"0x5021\",subsystem_vendor_id=\"0xc0a9\","
			"vendor_id=\"0xc0a9\"} 1");
	expect_line(&r, "node_pcidevice_max_link_transfers_per_second{bus=\"01\",device=\"00\",function=\"0\","
			"segment=\"0000\"} 1.6e+10");
	expect_line(&r, "node_pcidevice_numa_node{bus=\"45\",device=\"00\",function=\"0\",segment=\"0000\"} 0");
	expect_line(&r, "node_pcidevice_power_state{bus=\"00\",device=\"02\",function=\"1\",segment=\"0000\",state=\"D0\"} 1");
	free(r.text);
	/* Names from a pci.ids file. */
	char *dir = fixture_dir(), ids[4200], flag[4300];
	fixture_puts(dir, "pci.ids",
		     "# comment\n8086  Intel Corporation\n\t1521  I350 Gigabit Network Connection\n"
		     "\t\t8086 00a3  Ethernet Server Adapter\n1022  AMD\nC 02  Network controller\n\t00  Ethernet controller\n"
		     "C 01  Mass storage controller\n\t08  Non-Volatile memory controller\n\t\t02  NVM Express\n");
	snprintf(ids, sizeof ids, "%s/pci.ids", dir);
	snprintf(flag, sizeof flag, "--collector.pcidevice.idsfile=%s", ids);
	r = run_fixture(&collector_pcidevice, ARGS("--collector.pcidevice.names", flag));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_msg(strstr(r.text, "class_name=\"Ethernet controller\"") && strstr(r.text, "device_name=\"I350 Gigabit "
		"Network Connection\"") && strstr(r.text, "subsystem_device_name=\"Ethernet Server Adapter\"") &&
		strstr(r.text, "class_name=\"NVM Express\"") && strstr(r.text, "vendor_name=\"c0a9\""), "%s", r.text);
	ck_assert(strstr(r.text, "class_name=\"Unknown class (060400)\""));
	free(r.text);
	/* No pci.ids at all: the IDs stand for the names. */
	snprintf(flag, sizeof flag, "--collector.pcidevice.idsfile=%s/none", dir);
	r = run_fixture(&collector_pcidevice, ARGS("--collector.pcidevice.names", flag));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "vendor_name=\"8086\""));
	free(r.text);
	fixture_rm(dir);

	/* Scratch devices: garbage and unknown values. */
	static const struct {
		const char *file, *text;
		int rc;
	} cases[] = {
		{ "max_link_speed", "Unknown\n", COLLECT_OK },
		{ "max_link_speed", "8.0 GB/s\n", COLLECT_ERROR },
		{ "current_link_width", "x4\n", COLLECT_ERROR },
		{ "numa_node", "-1\n", COLLECT_OK },
		{ "sriov_vf_device", "0x10ca\n", COLLECT_ERROR },
		{ "sriov_numvfs", "-2\n", COLLECT_ERROR },
		{ "d3cold_allowed", "\n", COLLECT_OK },
		{ "class", "network\n", COLLECT_ERROR },
		{ "vendor", NULL, COLLECT_NODATA },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dir = fixture_dir();
		const char *dev = "devices/pci0000:00/0000:00:03.0";
		static const char *const ids_files[][2] = { { "class", "0x020000" }, { "vendor", "0x8086" },
							    { "device", "0x1521" }, { "subsystem_vendor", "0x8086" },
							    { "subsystem_device", "0x00a3" }, { "revision", "0x01" } };
		char rel[256];
		for (size_t k = 0; k < 6; k++) {
			if (cases[i].text == NULL && !strcmp(ids_files[k][0], cases[i].file))
				continue;
			snprintf(rel, sizeof rel, "%s/%s", dev, ids_files[k][0]);
			fixture_puts(dir, rel, ids_files[k][1]);
		}
		if (cases[i].text) {
			snprintf(rel, sizeof rel, "%s/%s", dev, cases[i].file);
			fixture_puts(dir, rel, cases[i].text);
		}
		fixture_puts(dir, "bus/pci/drivers_probe", "");
		snprintf(rel, sizeof rel, "%s/bus/pci/devices", dir);
		ck_assert_int_eq(mkdir(rel, 0755), 0);
		link_to(dir, "bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0");
		r = run_sys(&collector_pcidevice, dir, NULL);
		ck_assert_msg(r.rc == cases[i].rc, "case %zu: rc %d (%s)", i, r.rc, r.err);
		if (i == 0)
			expect_line(&r, "node_pcidevice_max_link_transfers_per_second{bus=\"00\",device=\"03\","
					"function=\"0\",segment=\"0000\"} -1");
		if (i == 3)
			expect_no(&r, "numa_node");
		free(r.text);
		fixture_rm(dir);
	}
}
END_TEST

START_TEST(test_perf)
{
	/* Software events exist on every kernel with perf events; root here or paranoid <= 0 to see them. */
	struct run_result r = test_run(&collector_perf, ARGS("--collector.perf.cpus=0", "--collector.perf.software-profilers=ContextSwitch",
							    "--collector.perf.disable-hardware-profilers",
							    "--collector.perf.disable-cache-profilers"),
				       2);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	if (getuid() == 0)
		ck_assert_msg(strstr(r.text, "node_perf_context_switches_total{cpu=\"0\"} "), "%s", r.text);
	expect_no(&r, "page_faults");
	free(r.text);
	r = test_run(&collector_perf, ARGS("--collector.perf.cpus=0-3:", "--collector.perf.disable-hardware-profilers"), 1);
	ck_assert_int_eq(r.rc, -2);
	ck_assert(strstr(r.err, "collector.perf.cpus"));
	free(r.text);
	r = test_run(&collector_perf, ARGS("--collector.perf.tracepoint=sched_switch"), 1);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
}
END_TEST

/* A runsv status record: TAI64 time, pid, want, state. */
static void runit_status(const char *dir, const char *svc, long long unix_time, int pid, char want, int state)
{
	unsigned char st[20] = { 0 };
	unsigned long long tai = 4611686018427387914ULL + (unsigned long long)unix_time;
	for (int i = 7; i >= 0; i--, tai >>= 8)
		st[i] = (unsigned char)(tai & 0xff);
	for (int i = 0; i < 4; i++)
		st[12 + i] = (unsigned char)(pid >> (8 * i));
	st[17] = (unsigned char)want;
	st[19] = (unsigned char)state;
	char rel[256];
	snprintf(rel, sizeof rel, "%s/supervise/status", svc);
	fixture_write(dir, rel, st, sizeof st);
}

START_TEST(test_runit)
{
	char *dir = fixture_dir(), flag[4300];
	runit_status(dir, "sshd", 1700000000, 42, 'u', 1);
	runit_status(dir, "cron", 1700000100, 0, 'd', 0);
	fixture_puts(dir, "cron/supervise/down", "");
	fixture_puts(dir, "broken/supervise/status", "");
	fixture_puts(dir, "nostatus/run", "#!/bin/sh\n");
	fixture_puts(dir, "plainfile", "");
	snprintf(flag, sizeof flag, "--collector.runit.servicedir=%s", dir);
	struct run_result r = test_run(&collector_runit, ARGS(flag), 2);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_service_state{service=\"sshd\",supervisor=\"runit\"} 1");
	expect_line(&r, "node_service_desired_state{service=\"sshd\",supervisor=\"runit\"} 1");
	expect_line(&r, "node_service_state_last_change_timestamp_seconds{service=\"sshd\",supervisor=\"runit\"} 1.7e+09");
	expect_line(&r, "node_service_normal_state{service=\"sshd\",supervisor=\"runit\"} 1");
	expect_line(&r, "node_service_normal_state{service=\"cron\",supervisor=\"runit\"} 0");
	expect_line(&r, "node_service_desired_state{service=\"cron\",supervisor=\"runit\"} 0");
	expect_no(&r, "broken");
	expect_no(&r, "nostatus");
	expect_no(&r, "plainfile");
	free(r.text);
	snprintf(flag, sizeof flag, "--collector.runit.servicedir=%s/none", dir);
	r = test_run(&collector_runit, ARGS(flag), 1);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_supervisord_down)
{
	/* A port nobody listens on, and a socket path that does not exist: errors, quickly. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	char flag[128];
	snprintf(flag, sizeof flag, "--collector.supervisord.url=http://127.0.0.1:%d/RPC2", ntohs(a.sin_port));
	struct run_result r = test_run(&collector_supervisord, ARGS(flag), 1);
	close(fd);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "unable to call supervisord"));
	free(r.text);
	r = test_run(&collector_supervisord, ARGS("--collector.supervisord.url=unix:///nonexistent/supervisor.sock"), 1);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_offdefault_sysfs");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cpu_vulnerabilities);
	tcase_add_test(tc, test_drm);
	tcase_add_test(tc, test_ksmd);
	tcase_add_test(tc, test_meminfo_numa);
	tcase_add_test(tc, test_nvmesubsystem);
	tcase_add_test(tc, test_pcidevice);
	tcase_add_test(tc, test_perf);
	tcase_add_test(tc, test_runit);
	tcase_add_test(tc, test_supervisord_down);
	suite_add_tcase(s, tc);
	return s;
}
