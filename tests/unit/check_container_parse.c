// links: container_exporter
/*
 * The cgroup file parsers, container names from cgroup paths, cAdvisor's
 * label sanitising and its metric kind lists.
 */
#include <stdint.h>

#include "../../container_exporter/cgparse.h"
#include "../../container_exporter/container.h"
#include "unit.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(test_single_values)
{
	uint64_t v;
	ck_assert_int_eq(cgp_u64("268435456\n", &v), 0);
	ck_assert_uint_eq(v, 268435456);
	ck_assert_int_eq(cgp_u64("max\n", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(cgp_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(cgp_u64("18446744073709551616\n", &v), -1);
	ck_assert_int_eq(cgp_u64("", &v), -1);
	ck_assert_int_eq(cgp_u64("\n", &v), -1);
	ck_assert_int_eq(cgp_u64("-1\n", &v), -1);
	ck_assert_int_eq(cgp_u64("12 13\n", &v), -1);
	ck_assert_int_eq(cgp_u64("12\n13\n", &v), -1);
	ck_assert_int_eq(cgp_u64("MAX", &v), -1);
	int64_t q;
	ck_assert_int_eq(cgp_i64("-1\n", &q), 0);
	ck_assert_int_eq(q, -1);
	ck_assert_int_eq(cgp_i64("50000\n", &q), 0);
	ck_assert_int_eq(q, 50000);
	ck_assert_int_eq(cgp_i64("5e4\n", &q), -1);
}
END_TEST

START_TEST(test_keyed)
{
	static const char *const keys[] = { "usage_usec", "nr_periods", "throttled_usec" };
	uint64_t v[3], found;
	char ok[] = "usage_usec 12\nuser_usec 7\n\nnr_periods 0\nthrottled_usec 18446744073709551615\n";
	ck_assert_int_eq(cgp_keyed(ok, keys, 3, v, &found), 0);
	ck_assert_uint_eq(found, 7);
	ck_assert_uint_eq(v[0], 12);
	ck_assert_uint_eq(v[2], UINT64_MAX);
	/* Unknown keys are not checked, wanted ones are. */
	char unknown_bad[] = "core_sched.force_idle_usec 1\nusage_usec 5\n";
	ck_assert_int_eq(cgp_keyed(unknown_bad, keys, 3, v, &found), 0);
	ck_assert_uint_eq(found, 1);
	char bad_value[] = "usage_usec 12x\n";
	ck_assert_int_eq(cgp_keyed(bad_value, keys, 3, v, &found), -1);
	char negative[] = "usage_usec -3\n";
	ck_assert_int_eq(cgp_keyed(negative, keys, 3, v, &found), -1);
	char one_field[] = "usage_usec 12\nnr_perio";
	ck_assert_int_eq(cgp_keyed(one_field, keys, 3, v, &found), -1);
	char three_fields[] = "usage_usec 12 13\n";
	ck_assert_int_eq(cgp_keyed(three_fields, keys, 3, v, &found), -1);
	char empty[] = "";
	ck_assert_int_eq(cgp_keyed(empty, keys, 3, v, &found), 0);
	ck_assert_uint_eq(found, 0);
}
END_TEST

START_TEST(test_list_and_cpu_max)
{
	uint64_t v[4];
	size_t n;
	char percpu[] = "100 0 18446744073709551615 7 \n";
	ck_assert_int_eq(cgp_list(percpu, v, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(v[2], UINT64_MAX);
	char more[] = "1 2 3 4 5 6";
	ck_assert_int_eq(cgp_list(more, v, 4, &n), 0);
	ck_assert_uint_eq(n, 6); /* counted beyond the array, stored up to it */
	ck_assert_uint_eq(v[3], 4);
	char bad[] = "1 2 x";
	ck_assert_int_eq(cgp_list(bad, v, 4, &n), -1);
	bool limited;
	uint64_t quota, period;
	char unl[] = "max 100000\n";
	ck_assert_int_eq(cgp_cpu_max(unl, &limited, &quota, &period), 0);
	ck_assert(!limited);
	ck_assert_uint_eq(period, 100000);
	char lim[] = "50000 100000\n";
	ck_assert_int_eq(cgp_cpu_max(lim, &limited, &quota, &period), 0);
	ck_assert(limited);
	ck_assert_uint_eq(quota, 50000);
	char one[] = "50000\n", three[] = "1 2 3\n", empty[] = "";
	ck_assert_int_eq(cgp_cpu_max(one, &limited, &quota, &period), -1);
	ck_assert_int_eq(cgp_cpu_max(three, &limited, &quota, &period), -1);
	ck_assert_int_eq(cgp_cpu_max(empty, &limited, &quota, &period), -1);
}
END_TEST

START_TEST(test_blkio)
{
	struct blk_entry e[8];
	size_t n;
	char ok[] = "8:0 Read 1024\n8:0 Write 0\n8:16 Total 5\n253:0 17\nTotal 1046\n";
	ck_assert_int_eq(cgp_blkio(ok, e, 8, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(e[0].major, 8);
	ck_assert_str_eq(e[0].op, "Read");
	ck_assert_uint_eq(e[0].value, 1024);
	ck_assert_uint_eq(e[2].minor, 16);
	ck_assert_str_eq(e[3].op, ""); /* a file without operations (time_recursive) */
	ck_assert_uint_eq(e[3].value, 17);
	char only_total[] = "Total 0\n";
	ck_assert_int_eq(cgp_blkio(only_total, e, 8, &n), 0);
	ck_assert_uint_eq(n, 0);
	char truncated[] = "8:0 Read 1024\n8:0 Wri";
	ck_assert_int_eq(cgp_blkio(truncated, e, 8, &n), -1);
	char bad_dev[] = "sda Read 1\n";
	ck_assert_int_eq(cgp_blkio(bad_dev, e, 8, &n), -1);
	char long_op[] = "8:0 AVeryLongOperationName 1\n";
	ck_assert_int_eq(cgp_blkio(long_op, e, 8, &n), -1);
}
END_TEST

START_TEST(test_iostat)
{
	struct io_dev d[4];
	size_t n;
	char ok[] = "8:0 rbytes=90112 wbytes=0 rios=4 wios=0 dbytes=0 dios=0\n"
		    "253:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0 cost.usage=5 cost.wait=6 cost.indebt=7 cost.indelay=8\n";
	ck_assert_int_eq(cgp_iostat(ok, d, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(d[0].v[IO_RBYTES], 90112);
	ck_assert_uint_eq(d[0].found & (1u << IO_COST_USAGE), 0);
	ck_assert_uint_eq(d[1].v[IO_COST_INDELAY], 8);
	char no_eq[] = "8:0 rbytes\n";
	ck_assert_int_eq(cgp_iostat(no_eq, d, 4, &n), -1);
	char bad_num[] = "8:0 rbytes=-1\n";
	ck_assert_int_eq(cgp_iostat(bad_num, d, 4, &n), -1);
	char empty[] = "";
	ck_assert_int_eq(cgp_iostat(empty, d, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_netdev)
{
	struct netif i[4];
	size_t n;
	char ok[] = "Inter-|   Receive\n face |bytes\n"
		    "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
		    "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
		    "vethab: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
		    "docker0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
		    "cni0:18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
	ck_assert_int_eq(cgp_netdev(ok, i, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(i[0].name, "eth0");
	ck_assert_uint_eq(i[0].rx_dropped, 4);
	ck_assert_uint_eq(i[0].tx_bytes, 9);
	ck_assert_uint_eq(i[0].tx_errors, 11);
	ck_assert_str_eq(i[1].name, "cni0");
	ck_assert_uint_eq(i[1].rx_bytes, UINT64_MAX);
	char short_line[] = "a\nb\n  eth0: 1 2 3\n";
	ck_assert_int_eq(cgp_netdev(short_line, i, 4, &n), -1);
	char no_header[] = "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
	ck_assert_int_eq(cgp_netdev(no_header, i, 4, &n), -1);
}
END_TEST

START_TEST(test_procs)
{
	size_t n;
	int first;
	ck_assert_int_eq(cgp_procs("42\n43\n", &n, &first), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(first, 42);
	ck_assert_int_eq(cgp_procs("", &n, &first), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(first, 0);
	ck_assert_int_eq(cgp_procs("42\nx\n", &n, &first), -1);
	ck_assert_int_eq(cgp_procs("0\n", &n, &first), -1);
	ck_assert_int_eq(cgp_procs("99999999999\n", &n, &first), -1);
}
END_TEST

static void expect_meta(const char *path, bool runtime, enum runtime rt, const char *name, bool k8s)
{
	struct meta m = { 0 };
	ck_assert_msg(meta_from_path(path, &m) == runtime, "%s: runtime", path);
	ck_assert_msg(m.rt == rt, "%s: runtime kind %d, want %d", path, m.rt, rt);
	if (name)
		ck_assert_msg(m.name && !strcmp(m.name, name), "%s: name %s, want %s", path,
			      m.name ? m.name : "(none)", name);
	else
		ck_assert_msg(!m.name, "%s: unexpected name %s", path, m.name);
	ck_assert_msg(m.k8s == k8s, "%s: k8s", path);
	meta_clear(&m);
}

START_TEST(test_names_from_paths)
{
	expect_meta("/docker/" ID64, true, RT_DOCKER, ID64, false);
	expect_meta("/system.slice/docker-" ID64 ".scope", true, RT_DOCKER, ID64, false);
	expect_meta("/system.slice/containerd.service/kubepods-besteffort-pod1.slice:cri-containerd:" ID64, true,
		    RT_CRI, ID64, false);
	expect_meta("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0d3c3a5e_2f1b_4c5d_9e8f_7a6b5c4d3e2f.slice/cri-containerd-" ID64 ".scope",
		    true, RT_CONTAINERD, ID64, true);
	expect_meta("/kubepods/burstable/pod0d3c3a5e-2f1b-4c5d-9e8f-7a6b5c4d3e2f/" ID64, true, RT_CRI, ID64, true);
	expect_meta("/kubepods.slice/kubepods-pod0d3c3a5e_2f1b.slice/crio-" ID64 ".scope", true, RT_CRIO, ID64, true);
	expect_meta("/kubepods.slice/kubepods-pod0d3c3a5e_2f1b.slice/crio-conmon-" ID64 ".scope", false,
		    RT_SYSTEMD, "crio-conmon-" ID64 ".scope", false);
	expect_meta("/machine.slice/libpod-" ID64 ".scope", true, RT_PODMAN, ID64, false);
	expect_meta("/machine.slice/libpod-" ID64 ".scope/container", true, RT_PODMAN, ID64, false);
	expect_meta("/default/" ID64, true, RT_CONTAINERD, ID64, false);
	expect_meta("/system.slice/nginx.service", false, RT_SYSTEMD, "nginx.service", false);
	expect_meta("/user.slice/user-1000.slice/session-3.scope", false, RT_SYSTEMD, "session-3.scope", false);
	expect_meta("/system.slice", false, RT_NONE, NULL, false);
	expect_meta("/kubepods/burstable/pod0d3c3a5e-2f1b-4c5d-9e8f-7a6b5c4d3e2f", false, RT_NONE, NULL, true);
	expect_meta("/", false, RT_NONE, NULL, false);
	/* 63 characters are not an id; uppercase is not in cAdvisor's [a-z0-9]. */
	expect_meta("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false,
		    RT_NONE, NULL, false);
	expect_meta("/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false,
		    RT_NONE, NULL, false);
	char uid[64];
	ck_assert(k8s_pod_uid("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0d3c3a5e_2f1b_4c5d_9e8f_7a6b5c4d3e2f.slice/x",
			      uid, sizeof uid));
	ck_assert_str_eq(uid, "0d3c3a5e-2f1b-4c5d-9e8f-7a6b5c4d3e2f");
	ck_assert(!k8s_pod_uid("/system.slice/pod.service", uid, sizeof uid));
}
END_TEST

START_TEST(test_sanitize)
{
	char out[64];
	sanitize_label(out, sizeof out, "container_label_", "io.kubernetes.pod.name");
	ck_assert_str_eq(out, "container_label_io_kubernetes_pod_name");
	sanitize_label(out, sizeof out, "container_label_", "com.docker/compose-project");
	ck_assert_str_eq(out, "container_label_com_docker_compose_project");
	/* One '_' per UTF-8 character, as Go's regexp replaces runes. */
	sanitize_label(out, sizeof out, "container_label_", "caf\xc3\xa9");
	ck_assert_str_eq(out, "container_label_caf_");
	sanitize_label(out, 20, "container_label_", "abcdefgh");
	ck_assert_str_eq(out, "container_label_abc");
}
END_TEST

START_TEST(test_kinds)
{
	unsigned set;
	char err[128];
	ck_assert_int_eq(kinds_parse("cpu,diskIO,memory", &set, err, sizeof err), 0);
	ck_assert_uint_eq(set, KIND_BIT(K_CPU) | KIND_BIT(K_DISKIO) | KIND_BIT(K_MEMORY));
	ck_assert_int_eq(kinds_parse("", &set, err, sizeof err), 0);
	ck_assert_uint_eq(set, 0);
	ck_assert_int_eq(kinds_parse("cpu,diskio", &set, err, sizeof err), -1);
	ck_assert_str_eq(err, "unsupported metric \"diskio\"");
	ck_assert_int_eq(kinds_parse("cpu,", &set, err, sizeof err), 0);
	char list[256];
	kinds_string(KIND_BIT(K_PERCPU) | KIND_BIT(K_CPU) | KIND_BIT(K_OOM_EVENT), list, sizeof list);
	ck_assert_str_eq(list, "cpu,oom_event,percpu");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("container_parse");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_single_values);
	tcase_add_test(tc, test_keyed);
	tcase_add_test(tc, test_list_and_cpu_max);
	tcase_add_test(tc, test_blkio);
	tcase_add_test(tc, test_iostat);
	tcase_add_test(tc, test_netdev);
	tcase_add_test(tc, test_procs);
	tcase_add_test(tc, test_names_from_paths);
	tcase_add_test(tc, test_sanitize);
	tcase_add_test(tc, test_kinds);
	suite_add_tcase(s, tc);
	return s;
}
