// links: container_exporter
/*
 * container_exporter on the v2, v1 and hybrid fixture trees: the whole page
 * against a golden file (tests/fixtures/container/<tree>.prom; set
 * UPDATE_GOLDEN=1 to rewrite them after checking the difference by hand),
 * and the values that follow cAdvisor's rules checked one by one from the
 * numbers in the fixture files.
 */
#include "container_test.h"

static void compare_golden(const char *tree, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "tests/fixtures/container/%s.prom", tree);
	if (getenv("UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(text, f);
		fclose(f);
	}
	char *golden = slurp(path);
	if (strcmp(golden, text) != 0) {
		/* The first differing line, for the message. */
		const char *g = golden, *t = text;
		while (*g && *g == *t) {
			g++;
			t++;
		}
		while (g > golden && g[-1] != '\n')
			g--, t--;
		ck_abort_msg("%s differs from the golden file at:\n  golden: %.200s\n  actual: %.200s", path,
			     g, t);
	}
	free(golden);
}

static void teardown(void)
{
	ctest_cleanup();
}

START_TEST(test_v2_golden)
{
	struct cx_opts o = ctest_opts();
	char *text = ctest_run("v2", &o);
	compare_golden("v2", text);
	free(text);
}
END_TEST

START_TEST(test_v1_golden)
{
	struct cx_opts o = ctest_opts();
	char *text = ctest_run("v1", &o);
	compare_golden("v1", text);
	free(text);
}
END_TEST

START_TEST(test_hybrid_golden)
{
	struct cx_opts o = ctest_opts();
	char *text = ctest_run("hybrid", &o);
	compare_golden("hybrid", text);
	free(text);
}
END_TEST

#define DOCKER_ID "3f4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566aa01"
#define DOCKER_V2 "/system.slice/docker-" DOCKER_ID ".scope"
#define APP_ID "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9"
#define SANDBOX_ID "5e1f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"
#define POD_V2 \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0d3c3a5e_2f1b_4c5d_9e8f_7a6b5c4d3e2f.slice"
#define APP_V2 POD_V2 "/cri-containerd-" APP_ID ".scope"
#define SANDBOX_V2 POD_V2 "/cri-containerd-" SANDBOX_ID ".scope"
#define NGINX "/system.slice/nginx.service"

/* The v2 rules, from the fixture's numbers (make_fixtures.py). */
START_TEST(test_v2_values)
{
	struct cx_opts o = ctest_opts();
	char *t = ctest_run("v2", &o);
	/* usage_usec 120000000 -> 120 s; user 90 s; system 30 s. */
	ck_assert_double_eq(VAL(t, "container_cpu_usage_seconds_total", DOCKER_V2, "cpu=\"total\""), 120);
	ck_assert_double_eq(VAL(t, "container_cpu_user_seconds_total", DOCKER_V2, NULL), 90);
	ck_assert_double_eq(VAL(t, "container_cpu_system_seconds_total", DOCKER_V2, NULL), 30);
	/* Quota 50000/100000: CFS counters; throttled_usec 4500000 -> 4.5 s. */
	ck_assert_double_eq(VAL(t, "container_cpu_cfs_periods_total", DOCKER_V2, NULL), 1200);
	ck_assert_double_eq(VAL(t, "container_cpu_cfs_throttled_periods_total", DOCKER_V2, NULL), 300);
	ck_assert_double_eq(VAL(t, "container_cpu_cfs_throttled_seconds_total", DOCKER_V2, NULL), 4.5);
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_quota", DOCKER_V2, NULL), 50000);
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_period", DOCKER_V2, NULL), 100000);
	/* No quota ("max"): no CFS series, no quota series; weight 79 -> 2 + 78 * 262142 / 9999. */
	NONE(t, "container_cpu_cfs_periods_total", NGINX);
	NONE(t, "container_spec_cpu_quota", NGINX);
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_shares", NGINX, NULL), 2046);
	/* Working set: memory.current 209715200 - inactive_file 41943040. */
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", DOCKER_V2, NULL), 209715200);
	ck_assert_double_eq(VAL(t, "container_memory_working_set_bytes", DOCKER_V2, NULL), 167772160);
	ck_assert_double_eq(VAL(t, "container_memory_max_usage_bytes", DOCKER_V2, NULL), 268435456);
	ck_assert_double_eq(VAL(t, "container_memory_rss", DOCKER_V2, NULL), 157286400);
	ck_assert_double_eq(VAL(t, "container_memory_cache", DOCKER_V2, NULL), 52428800);
	ck_assert_double_eq(VAL(t, "container_memory_swap", DOCKER_V2, NULL), 1048576);
	ck_assert_double_eq(VAL(t, "container_memory_mapped_file", DOCKER_V2, NULL), 4096000);
	ck_assert_double_eq(VAL(t, "container_memory_kernel_usage", DOCKER_V2, NULL), 1884160);
	/* Floored at 0: inactive_file 120000000 > memory.current 103809024. */
	ck_assert_double_eq(VAL(t, "container_memory_working_set_bytes", APP_V2, NULL), 0);
	/* The root has no memory.current: anon + file; swap from meminfo (1048576 kB). */
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", "/", NULL), 3221225472.0);
	ck_assert_double_eq(VAL(t, "container_memory_swap", "/", NULL), 1073741824.0);
	/* v2 has no failcnt. */
	NONE(t, "container_memory_failcnt", DOCKER_V2);
	/* OOM kills and memory.events. */
	ck_assert_double_eq(VAL(t, "container_oom_events_total", DOCKER_V2, NULL), 2);
	ck_assert_double_eq(VAL(t, "container_memory_events_high_total", DOCKER_V2, NULL), 4);
	ck_assert_double_eq(VAL(t, "container_memory_events_max_total", DOCKER_V2, NULL), 17);
	ck_assert_double_eq(VAL(t, "container_memory_pgscan_total", DOCKER_V2, NULL), 4096);
	/* memory.max 268435456; swap.max 0 stays 0; memory.min; "max" is 0. */
	ck_assert_double_eq(SPEC(t, "container_spec_memory_limit_bytes", DOCKER_V2, NULL), 268435456);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_swap_limit_bytes", DOCKER_V2, NULL), 0);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_reservation_limit_bytes", DOCKER_V2, NULL), 67108864);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_limit_bytes", NGINX, NULL), 0);
	/* The root's limits are the machine's memory and swap. */
	ck_assert_double_eq(SPEC(t, "container_spec_memory_limit_bytes", "/", NULL), 16314484.0 * 1024);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_swap_limit_bytes", "/", NULL), 2097148.0 * 1024);
	/* No memory.peak (kernel before 5.19): no max_usage series. */
	NONE(t, "container_memory_max_usage_bytes", NGINX);
	/* A counter at 2^64-1 is the float it is, in both scopes. */
	ck_assert_double_eq(VAL(t, "container_memory_failures_total", NGINX,
				WITH2("failure_type=\"pgfault\"", "scope=\"hierarchy\"")), 18446744073709551615.0);
	/* io.stat, per device named from /sys/dev/block. */
	ck_assert_double_eq(VAL(t, "container_fs_writes_bytes_total", DOCKER_V2, "device=\"/dev/sda\""), 8192000);
	ck_assert_double_eq(VAL(t, "container_fs_reads_total", DOCKER_V2, "device=\"/dev/sda\""), 1000);
	ck_assert_double_eq(VAL(t, "container_blkio_device_usage_total", DOCKER_V2,
				WITH2("device=\"/dev/dm-0\"", "operation=\"Read\"")), 512);
	ck_assert_double_eq(VAL(t, "container_fs_io_cost_usage_seconds_total", NGINX, "device=\"/dev/sda\""), 1.5);
	/* PSI: some 1500000 us waiting, full 250000 us stalled. */
	ck_assert_double_eq(VAL(t, "container_pressure_cpu_waiting_seconds_total", DOCKER_V2, NULL), 1.5);
	ck_assert_double_eq(VAL(t, "container_pressure_cpu_stalled_seconds_total", DOCKER_V2, NULL), 0.25);
	/* user.slice has no memory controller: no memory series, CPU still there. */
	NONE(t, "container_memory_usage_bytes", "/user.slice");
	ck_assert_double_eq(VAL(t, "container_cpu_usage_seconds_total", "/user.slice", "cpu=\"total\""), 777);
	/* Names from the path: Docker and containerd ids, the systemd unit. */
	VAL(t, "container_last_seen", DOCKER_V2, "name=\"" DOCKER_ID "\"");
	VAL(t, "container_last_seen", NGINX, "name=\"nginx.service\"");
	VAL(t, "container_last_seen", "/system.slice", "name=\"\"");
	/* Kubernetes names from containerd's state, kubelet-style and as runtime labels. */
	VAL(t, "container_last_seen", APP_V2,
	    "container=\"nginx\"\x1fpod=\"web-7d9f8c6b5-x2kqz\"\x1fnamespace=\"shop\"\x1f"
	    "image=\"docker.io/library/nginx:1.27\"\x1fname=\"" APP_ID "\"\x1f"
	    "container_label_io_kubernetes_pod_name=\"web-7d9f8c6b5-x2kqz\"\x1f"
	    "container_label_io_kubernetes_container_name=\"nginx\"\x1f"
	    "container_label_io_cri_containerd_kind=\"container\"");
	VAL(t, "container_last_seen", SANDBOX_V2, "container=\"\"\x1fpod=\"web-7d9f8c6b5-x2kqz\"");
	/* The pod cgroup gets the pod and namespace of its containers. */
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_quota", POD_V2,
				 "pod=\"web-7d9f8c6b5-x2kqz\"\x1fnamespace=\"shop\"\x1f" "container=\"\""), 200000);
	/* Every series carries every label name (the union), "" where a container has none. */
	VAL(t, "container_last_seen", "/", "container_label_io_kubernetes_pod_name=\"\"\x1fpod=\"\"\x1fimage=\"\"");
	/* The pod's network is reported once, on its sandbox; lo and veth* are left out. */
	ck_assert_double_eq(VAL(t, "container_network_receive_bytes_total", SANDBOX_V2, "interface=\"eth0\""), 4096);
	NONE(t, "container_network_receive_bytes_total", APP_V2);
	ck_assert_double_eq(VAL(t, "container_network_receive_bytes_total", "/", "interface=\"eth0\""), 123456789);
	ck_assert_double_eq(VAL(t, "container_network_transmit_packets_dropped_total", "/", "interface=\"eth0\""), 5);
	ck_assert_double_eq(VAL(t, "container_network_receive_errors_total", "/", "interface=\"eth0\""), 1);
	ck_assert_double_eq(VAL(t, "container_network_receive_bytes_total", DOCKER_V2, "interface=\"eth0\""),
			    18446744073709551615.0);
	/* The service's process is in the host's namespace: no network series. */
	NONE(t, "container_network_receive_bytes_total", NGINX);
	CK_NO(t, "interface=\"veth12ab\"");
	CK_NO(t, "interface=\"lo\"");
	/* Creation and start time: the fixtures' modification time; no timestamp. */
	ck_assert_double_eq(SPEC(t, "container_start_time_seconds", NGINX, NULL), FIXED_MTIME);
	ck_assert_double_eq(SPEC(t, "container_creation_time_seconds", NGINX, NULL), FIXED_MTIME);
	/* Last seen: the scrape time. */
	ck_assert_double_eq(VAL(t, "container_last_seen", NGINX, NULL), 1700000000);
	ck_assert_double_eq(VAL(t, "container_health_state", NGINX, NULL), -1);
	/* Machine. */
#define M "boot_id=\"9b0e4c6a-1111-4222-8333-444455556666\",machine_id=\"0123456789abcdef0123456789abcdef\",system_uuid=\"0123456789abcdef0123456789abcdef\""
	CK_LINE(t, "machine_cpu_cores{" M "} 4 1700000000123");
	CK_LINE(t, "machine_cpu_physical_cores{" M "} 2 1700000000123");
	CK_LINE(t, "machine_cpu_sockets{" M "} 2 1700000000123");
	CK_LINE(t, "machine_memory_bytes{" M "} 1.6706031616e+10 1700000000123");
	CK_LINE(t, "machine_swap_bytes{" M "} 2.147479552e+09 1700000000123");
#undef M
	CK_LINE(t, "container_scrape_error 0");
	free(t);
}
END_TEST

#define DOCKER_V1 "/docker/" DOCKER_ID
#define SSH "/system.slice/ssh.service"
#define CRI_V1 "/kubepods/besteffort/pod0d3c3a5e-2f1b-4c5d-9e8f-7a6b5c4d3e2f/c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

/* The v1 rules. */
START_TEST(test_v1_values)
{
	struct cx_opts o = ctest_opts();
	char *t = ctest_run("v1", &o);
	/* Per-CPU usage in ns, zero entries left out. */
	ck_assert_double_eq(VAL(t, "container_cpu_usage_seconds_total", DOCKER_V1, "cpu=\"cpu00\""), 0.03);
	ck_assert_double_eq(VAL(t, "container_cpu_usage_seconds_total", DOCKER_V1, "cpu=\"cpu01\""), 0.002);
	NONE_WITH(t, "container_cpu_usage_seconds_total", DOCKER_V1, "cpu=\"cpu02\"");
	NONE_WITH(t, "container_cpu_usage_seconds_total", DOCKER_V1, "cpu=\"total\"");
	/* cpuacct.stat in USER_HZ: 2 ticks = 0.02 s. */
	ck_assert_double_eq(VAL(t, "container_cpu_user_seconds_total", DOCKER_V1, NULL), 0.02);
	/* throttled_time is in nanoseconds; quota 150000 us. */
	ck_assert_double_eq(VAL(t, "container_cpu_cfs_throttled_seconds_total", DOCKER_V1, NULL), 345);
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_quota", DOCKER_V1, NULL), 150000);
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_shares", DOCKER_V1, NULL), 512);
	NONE(t, "container_cpu_cfs_periods_total", SSH);
	/* use_hierarchy 1: total_* keys (the fixture doubles them). */
	ck_assert_double_eq(VAL(t, "container_memory_rss", DOCKER_V1, NULL), 377487360);
	/* Working set: usage 268435456 - total_inactive_file 67108864. */
	ck_assert_double_eq(VAL(t, "container_memory_working_set_bytes", DOCKER_V1, NULL), 201326592);
	ck_assert_double_eq(VAL(t, "container_memory_failcnt", DOCKER_V1, NULL), 42);
	ck_assert_double_eq(VAL(t, "container_memory_max_usage_bytes", DOCKER_V1, NULL), 299999232);
	/* pgfault: the cgroup's own counter (not total_), in both scopes, as cAdvisor. */
	ck_assert_double_eq(VAL(t, "container_memory_failures_total", DOCKER_V1,
				WITH2("failure_type=\"pgfault\"", "scope=\"hierarchy\"")), 3000);
	/* Limits: memsw, soft limit; the unlimited v1 limit is 0; the root's is the machine's. */
	ck_assert_double_eq(SPEC(t, "container_spec_memory_swap_limit_bytes", DOCKER_V1, NULL), 536870912);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_reservation_limit_bytes", DOCKER_V1, NULL), 134217728);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_limit_bytes", "/system.slice", NULL), 0);
	ck_assert_double_eq(SPEC(t, "container_spec_memory_limit_bytes", "/", NULL), 16314484.0 * 1024);
	/* blkio throttle files: per device and per operation. */
	ck_assert_double_eq(VAL(t, "container_fs_writes_bytes_total", DOCKER_V1, "device=\"/dev/sda\""), 4194304);
	ck_assert_double_eq(VAL(t, "container_blkio_device_usage_total", DOCKER_V1,
				WITH2("device=\"/dev/sda\"", "operation=\"Total\"")), 5242880);
	ck_assert_double_eq(VAL(t, "container_fs_reads_total", DOCKER_V1, "device=\"/dev/dm-0\""), 1);
	/* No I/O (files with only "Total 0"): no series. */
	NONE(t, "container_fs_reads_bytes_total", SSH);
	/* use_hierarchy 0: the local keys; no memsw file: no swap limit series. */
	ck_assert_double_eq(VAL(t, "container_memory_cache", SSH, NULL), 524288);
	NONE(t, "container_spec_memory_swap_limit_bytes", SSH);
	/* oom_control's oom_kill. */
	ck_assert_double_eq(VAL(t, "container_oom_events_total", DOCKER_V1, NULL), 1);
	/* A cgroup only in the memory hierarchy: memory series only. */
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", "/process_api/abc", NULL), 4096);
	NONE(t, "container_cpu_user_seconds_total", "/process_api/abc");
	/* The mount unit and what is below it are not containers. */
	CK_NO(t, "var-lib-docker.mount");
	/* Kubernetes with the cgroupfs driver. */
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", CRI_V1,
				"container=\"nginx\"\x1fpod=\"web-7d9f8c6b5-x2kqz\"\x1fnamespace=\"shop\""),
			    103809024);
	/* No cgroup2 mount: no PSI. */
	CK_NO(t, "container_pressure_");
	free(t);
}
END_TEST

/* Hybrid: v1 values, PSI from the cgroup2 mount for the paths that exist there. */
START_TEST(test_hybrid_values)
{
	struct cx_opts o = ctest_opts();
	char *t = ctest_run("hybrid", &o);
	ck_assert_double_eq(VAL(t, "container_pressure_cpu_waiting_seconds_total", DOCKER_V1, NULL), 2.5);
	ck_assert_double_eq(VAL(t, "container_pressure_cpu_stalled_seconds_total", DOCKER_V1, NULL), 1.25);
	ck_assert_double_eq(VAL(t, "container_pressure_memory_waiting_seconds_total", DOCKER_V1, NULL), 1e-5);
	/* The root's cpu.pressure has no "full" line (kernels before 5.13). */
	ck_assert_double_eq(VAL(t, "container_pressure_cpu_waiting_seconds_total", "/", NULL), 5e-6);
	NONE(t, "container_pressure_cpu_stalled_seconds_total", "/");
	/* CPU still from cpuacct (v1), not from the cgroup2 cpu.stat. */
	ck_assert_double_eq(VAL(t, "container_cpu_user_seconds_total", DOCKER_V1, NULL), 0.02);
	/* cgroups only in the cgroup2 mount are not cAdvisor containers on a hybrid host. */
	CK_NO(t, "only.in.unified");
	/* No PSI where the path is missing from the cgroup2 mount. */
	NONE(t, "container_pressure_io_waiting_seconds_total", "/system.slice");
	/* Creation time from the v1 hierarchies only. */
	ck_assert_double_eq(SPEC(t, "container_creation_time_seconds", DOCKER_V1, NULL), FIXED_MTIME);
	free(t);
}
END_TEST

/* The cgroup2 directories of a hybrid host stay attached from one scrape to the next. */
START_TEST(test_hybrid_psi_every_scrape)
{
	ctest_prepare("hybrid");
	struct cx_opts o = ctest_opts();
	struct ctest t;
	ctest_start(&t, &o);
	for (int i = 0; i < 20; i++) {
		char *text = ctest_scrape(&t);
		ck_assert_double_eq(VAL(text, "container_pressure_cpu_waiting_seconds_total", DOCKER_V1, NULL), 2.5);
		free(text);
	}
	ctest_stop(&t);
}
END_TEST

/* The kept descriptors and the caches give the same page on every scrape. */
START_TEST(test_same_page_every_scrape)
{
	static const char *const trees[] = { "v2", "v1", "hybrid" };
	for (size_t k = 0; k < 3; k++) {
		ctest_prepare(trees[k]);
		struct cx_opts o = ctest_opts();
		o.kinds |= KIND_BIT(K_PROCESS);
		struct ctest t;
		ctest_start(&t, &o);
		char *first = ctest_scrape(&t);
		for (int i = 0; i < 40; i++) {
			char *again = ctest_scrape(&t);
			ck_assert_msg(!strcmp(first, again), "%s: scrape %d differs from the first", trees[k], i + 2);
			free(again);
		}
		free(first);
		ctest_stop(&t);
		ctest_cleanup();
	}
}
END_TEST

/*
 * With room for only a few descriptors (directories beyond it opened
 * relative to their nearest kept ancestor, files opened on every scrape),
 * the page is the one read with all of them kept, scrape after scrape.
 */
START_TEST(test_same_page_with_few_descriptors)
{
	static const char *const trees[] = { "v2", "v1", "hybrid" };
	for (size_t k = 0; k < 3; k++) {
		ctest_prepare(trees[k]);
		struct cx_opts o = ctest_opts();
		o.kinds |= KIND_BIT(K_PROCESS);
		struct ctest all, few;
		ctest_start(&all, &o);
		char *want = ctest_scrape(&all);
		ctest_stop(&all);
		o.fd_budget = 4;
		o.file_budget = 3;
		ctest_start(&few, &o);
		for (int i = 0; i < 3; i++) {
			char *got = ctest_scrape(&few);
			if (strcmp(want, got))
				ctest_dump(got);
			ck_assert_msg(!strcmp(want, got), "%s: scrape %d with 4+3 descriptors differs", trees[k], i + 1);
			free(got);
		}
		ck_assert_uint_le(few.cx.nkept, 4);
		ck_assert_uint_le(few.cx.nfiles, 3);
		free(want);
		ctest_stop(&few);
		ctest_cleanup();
	}
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("container_fixtures");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_v2_golden);
	tcase_add_test(tc, test_v1_golden);
	tcase_add_test(tc, test_hybrid_golden);
	tcase_add_test(tc, test_v2_values);
	tcase_add_test(tc, test_v1_values);
	tcase_add_test(tc, test_hybrid_values);
	tcase_add_test(tc, test_hybrid_psi_every_scrape);
	tcase_add_test(tc, test_same_page_every_scrape);
	tcase_add_test(tc, test_same_page_with_few_descriptors);
	suite_add_tcase(s, tc);
	return s;
}
