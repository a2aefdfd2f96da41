// links: container_exporter
/*
 * Broken variants of the fixture trees: a file missing, truncated, full of
 * garbage, empty, out of range, or a cgroup removed between the walk and
 * the reads. The values of the broken file are left out (never guessed),
 * container_scrape_error says whether a file could not be parsed (a missing
 * file is not an error: the kernel may not have it), and every other cgroup
 * keeps its series.
 */
#include "container_test.h"

#define DOCKER_ID "3f4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566aa01"
#define DOCKER_V2 "/system.slice/docker-" DOCKER_ID ".scope"
#define DOCKER_DIR "sys/fs/cgroup/system.slice/docker-" DOCKER_ID ".scope"
#define DOCKER_V1 "/docker/" DOCKER_ID
#define NGINX "/system.slice/nginx.service"

static void teardown(void)
{
	ctest_cleanup();
}

/* One scrape of tree with file rel replaced by content (NULL: removed). */
static char *broken(const char *tree, const char *rel, const char *content, size_t n,
		    unsigned extra_kinds)
{
	ctest_prepare(tree);
	if (content)
		ctest_write(rel, content, n);
	else
		ctest_remove(rel);
	struct cx_opts o = ctest_opts();
	o.kinds |= extra_kinds;
	struct ctest t;
	ctest_start(&t, &o);
	char *text = ctest_scrape(&t);
	ctest_stop(&t);
	return text;
}

#define BROKEN(tree, rel, lit) broken((tree), (rel), (lit), sizeof(lit) - 1, 0)

/* Others are untouched by one broken cgroup. */
static void others_intact(const char *t)
{
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", NGINX, NULL), 4096);
	ck_assert_double_eq(VAL(t, "container_cpu_user_seconds_total", NGINX, NULL), 1e-6);
	ck_assert_int_eq(count_samples(t, "machine_cpu_cores{"), 1);
}

START_TEST(test_memory_stat_garbage)
{
	char *t = BROKEN("v2", DOCKER_DIR "/memory.stat", "anon 1\nfile twelve\n");
	NONE(t, "container_memory_rss", DOCKER_V2);
	NONE(t, "container_memory_cache", DOCKER_V2);
	/* No working set without memory.stat; the usage itself is still known. */
	NONE(t, "container_memory_working_set_bytes", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", DOCKER_V2, NULL), 209715200);
	CK_LINE(t, "container_scrape_error 1");
	others_intact(t);
	free(t);
}
END_TEST

START_TEST(test_memory_stat_truncated)
{
	/* Cut in the middle of a line: the last line has one field. */
	char *t = BROKEN("v2", DOCKER_DIR "/memory.stat", "anon 157286400\nfile 52428800\nkern");
	NONE(t, "container_memory_rss", DOCKER_V2);
	CK_LINE(t, "container_scrape_error 1");
	others_intact(t);
	free(t);
}
END_TEST

START_TEST(test_memory_stat_empty)
{
	/* An empty file is valid: no keys, the working set is the usage (no inactive_file). */
	char *t = BROKEN("v2", DOCKER_DIR "/memory.stat", "");
	NONE(t, "container_memory_rss", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_memory_working_set_bytes", DOCKER_V2, NULL), 209715200);
	CK_LINE(t, "container_scrape_error 0");
	free(t);
}
END_TEST

START_TEST(test_memory_current_out_of_range)
{
	char *t = BROKEN("v2", DOCKER_DIR "/memory.current", "18446744073709551616\n");
	NONE(t, "container_memory_usage_bytes", DOCKER_V2);
	NONE(t, "container_memory_working_set_bytes", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_memory_rss", DOCKER_V2, NULL), 157286400);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_memory_files_missing)
{
	/* A missing memory.events (older kernel) is not an error. */
	char *t = broken("v2", DOCKER_DIR "/memory.events", NULL, 0, 0);
	NONE(t, "container_memory_events_max_total", DOCKER_V2);
	NONE(t, "container_oom_events_total", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", DOCKER_V2, NULL), 209715200);
	CK_LINE(t, "container_scrape_error 0");
	free(t);
}
END_TEST

START_TEST(test_cpu_stat_truncated)
{
	char *t = BROKEN("v2", DOCKER_DIR "/cpu.stat", "usage_usec 120000000\nuser_u");
	NONE(t, "container_cpu_usage_seconds_total", DOCKER_V2);
	NONE(t, "container_cpu_user_seconds_total", DOCKER_V2);
	NONE(t, "container_cpu_cfs_periods_total", DOCKER_V2);
	CK_LINE(t, "container_scrape_error 1");
	others_intact(t);
	free(t);
}
END_TEST

START_TEST(test_cpu_max_garbage)
{
	/* cpu.max with one field: no quota known, so no quota, period or CFS series. */
	char *t = BROKEN("v2", DOCKER_DIR "/cpu.max", "50000\n");
	NONE(t, "container_spec_cpu_quota", DOCKER_V2);
	NONE(t, "container_spec_cpu_period", DOCKER_V2);
	NONE(t, "container_cpu_cfs_periods_total", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_cpu_usage_seconds_total", DOCKER_V2, "cpu=\"total\""), 120);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_io_stat_garbage)
{
	char *t = BROKEN("v2", DOCKER_DIR "/io.stat", "8:0 rbytes\n");
	NONE(t, "container_fs_reads_bytes_total", DOCKER_V2);
	NONE(t, "container_blkio_device_usage_total", DOCKER_V2);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_io_stat_bad_device)
{
	char *t = BROKEN("v2", DOCKER_DIR "/io.stat", "sda rbytes=1 wbytes=2\n");
	NONE(t, "container_fs_reads_bytes_total", DOCKER_V2);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_pressure_garbage)
{
	char *t = BROKEN("v2", DOCKER_DIR "/cpu.pressure", "some avg10=x avg60=0 avg300=0 total=1\n");
	NONE(t, "container_pressure_cpu_waiting_seconds_total", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_pressure_memory_waiting_seconds_total", DOCKER_V2, NULL), 0.0007);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_binary_garbage)
{
	static const char junk[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\xff\xfe\n\x00\x00 max\n";
	char *t = broken("v2", DOCKER_DIR "/memory.stat", junk, sizeof junk - 1, 0);
	NONE(t, "container_memory_rss", DOCKER_V2);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
	t = broken("v2", DOCKER_DIR "/cgroup.procs", junk, sizeof junk - 1, KIND_BIT(K_PROCESS));
	/* No process list: neither processes nor a network namespace to look at. */
	NONE(t, "container_processes", DOCKER_V2);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_pids_garbage)
{
	char *t = broken("v2", DOCKER_DIR "/pids.current", "twelve\n", 7, KIND_BIT(K_PROCESS));
	NONE(t, "container_threads", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_processes", DOCKER_V2, NULL), 2);
	/* "max" is 0, as cAdvisor. */
	ck_assert_double_eq(VAL(t, "container_threads_max", NGINX, NULL), 0);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_netdev_truncated)
{
	char *t = BROKEN("v2", "proc/5000/net/dev", "Inter-|   Receive\n face |bytes\n  eth0: 1 2 3\n");
	NONE(t, "container_network_receive_bytes_total", DOCKER_V2);
	ck_assert_double_eq(VAL(t, "container_network_receive_bytes_total", "/", "interface=\"eth0\""), 123456789);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_v1_percpu_garbage)
{
	char *t = BROKEN("v1", "sys/fs/cgroup/cpu,cpuacct/docker/" DOCKER_ID "/cpuacct.usage_percpu", "1 2 x\n");
	NONE_WITH(t, "container_cpu_usage_seconds_total", DOCKER_V1, "cpu=\"cpu00\"");
	ck_assert_double_eq(VAL(t, "container_cpu_user_seconds_total", DOCKER_V1, NULL), 0.02);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_v1_percpu_missing)
{
	/* Without cpuacct.usage_percpu: cpuacct.usage as cpu="total". */
	char *t = broken("v1", "sys/fs/cgroup/cpu,cpuacct/docker/" DOCKER_ID "/cpuacct.usage_percpu", NULL, 0, 0);
	ck_assert_double_eq(VAL(t, "container_cpu_usage_seconds_total", DOCKER_V1, "cpu=\"total\""), 0.032);
	CK_LINE(t, "container_scrape_error 0");
	free(t);
}
END_TEST

START_TEST(test_v1_blkio_truncated)
{
	char *t = BROKEN("v1", "sys/fs/cgroup/blkio/docker/" DOCKER_ID "/blkio.throttle.io_service_bytes_recursive",
			 "8:0 Read 1048576\n8:0 Wri");
	NONE(t, "container_fs_reads_bytes_total", DOCKER_V1);
	NONE(t, "container_blkio_device_usage_total", DOCKER_V1);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_v1_oom_control_garbage)
{
	char *t = BROKEN("v1", "sys/fs/cgroup/memory/docker/" DOCKER_ID "/memory.oom_control", "oom_kill -1\n");
	NONE(t, "container_oom_events_total", DOCKER_V1);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_v1_quota_garbage)
{
	char *t = BROKEN("v1", "sys/fs/cgroup/cpu,cpuacct/docker/" DOCKER_ID "/cpu.cfs_quota_us", "lots\n");
	NONE(t, "container_spec_cpu_quota", DOCKER_V1);
	NONE(t, "container_cpu_cfs_periods_total", DOCKER_V1);
	ck_assert_double_eq(SPEC(t, "container_spec_cpu_shares", DOCKER_V1, NULL), 512);
	CK_LINE(t, "container_scrape_error 1");
	free(t);
}
END_TEST

START_TEST(test_meminfo_missing)
{
	/* No meminfo: no machine memory, no root limits; the rest stays. */
	char *t = broken("v2", "proc/meminfo", NULL, 0, 0);
	CK_NO(t, "machine_memory_bytes{");
	NONE(t, "container_spec_memory_limit_bytes", "/");
	ck_assert_double_eq(VAL(t, "container_memory_usage_bytes", DOCKER_V2, NULL), 209715200);
	free(t);
}
END_TEST

START_TEST(test_containerd_state_garbage)
{
	/* A state file that is not JSON: no Kubernetes names, the container is still reported. */
	char *t = BROKEN("v2", "root/run/containerd/io.containerd.runtime.v2.task/k8s.io/"
			 "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9/config.json",
			 "{\"annotations\": {\"io.kubernetes.cri.sandbox-name\": ");
	VAL(t, "container_last_seen",
	    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0d3c3a5e_2f1b_4c5d_9e8f_7a6b5c4d3e2f.slice/"
	    "cri-containerd-9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9.scope",
	    "pod=\"\"\x1f" "container=\"\"");
	free(t);
}
END_TEST

static void remove_docker(struct cx *cx)
{
	(void)cx;
	ctest_remove(DOCKER_DIR);
}

START_TEST(test_vanished_mid_scrape)
{
	/* The directory goes away after the walk found it: the cgroup is skipped whole. */
	ctest_prepare("v2");
	struct cx_opts o = ctest_opts();
	struct ctest t;
	ctest_start(&t, &o);
	char *text = ctest_scrape(&t);
	ck_assert_double_eq(VAL(text, "container_memory_usage_bytes", DOCKER_V2, NULL), 209715200);
	free(text);
	t.cx.after_walk = remove_docker;
	text = ctest_scrape(&t);
	ck_assert_msg(!strstr(text, "docker-" DOCKER_ID), "the removed cgroup is still reported");
	CK_LINE(text, "container_scrape_error 0");
	ck_assert_double_eq(VAL(text, "container_memory_usage_bytes", NGINX, NULL), 4096);
	free(text);
	/* The next walk does not find it either. */
	t.cx.after_walk = NULL;
	text = ctest_scrape(&t);
	CK_NO(text, "docker-" DOCKER_ID);
	free(text);
	ctest_stop(&t);
}
END_TEST

START_TEST(test_recreated_cgroup)
{
	/* Removed and created again under the same name: a new cgroup (new creation time). */
	ctest_prepare("v2");
	struct cx_opts o = ctest_opts();
	struct ctest t;
	ctest_start(&t, &o);
	char *text = ctest_scrape(&t);
	ck_assert_double_eq(SPEC(text, "container_creation_time_seconds", NGINX, NULL), FIXED_MTIME);
	free(text);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cd %s/sys/fs/cgroup/system.slice && mv nginx.service x && cp -r x nginx.service && rm -rf x",
		 ctest_dir);
	ck_assert_int_eq(system(cmd), 0);
	text = ctest_scrape(&t);
	double created = SPEC(text, "container_creation_time_seconds", NGINX, NULL);
	ck_assert_msg(created > FIXED_MTIME, "creation time %f not renewed", created);
	free(text);
	ctest_stop(&t);
}
END_TEST

START_TEST(test_no_hierarchy)
{
	/* No cgroup mount at all: container_scrape_error 1, machine_* still served. */
	char *t = broken("v2", "sys/fs/cgroup", NULL, 0, 0);
	CK_LINE(t, "container_scrape_error 1");
	CK_NO(t, "container_memory_usage_bytes");
	ck_assert_int_eq(count_samples(t, "machine_cpu_cores{"), 1);
	free(t);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("container_broken");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_memory_stat_garbage);
	tcase_add_test(tc, test_memory_stat_truncated);
	tcase_add_test(tc, test_memory_stat_empty);
	tcase_add_test(tc, test_memory_current_out_of_range);
	tcase_add_test(tc, test_memory_files_missing);
	tcase_add_test(tc, test_cpu_stat_truncated);
	tcase_add_test(tc, test_cpu_max_garbage);
	tcase_add_test(tc, test_io_stat_garbage);
	tcase_add_test(tc, test_io_stat_bad_device);
	tcase_add_test(tc, test_pressure_garbage);
	tcase_add_test(tc, test_binary_garbage);
	tcase_add_test(tc, test_pids_garbage);
	tcase_add_test(tc, test_netdev_truncated);
	tcase_add_test(tc, test_v1_percpu_garbage);
	tcase_add_test(tc, test_v1_percpu_missing);
	tcase_add_test(tc, test_v1_blkio_truncated);
	tcase_add_test(tc, test_v1_oom_control_garbage);
	tcase_add_test(tc, test_v1_quota_garbage);
	tcase_add_test(tc, test_meminfo_missing);
	tcase_add_test(tc, test_containerd_state_garbage);
	tcase_add_test(tc, test_vanished_mid_scrape);
	tcase_add_test(tc, test_recreated_cgroup);
	tcase_add_test(tc, test_no_hierarchy);
	suite_add_tcase(s, tc);
	return s;
}
