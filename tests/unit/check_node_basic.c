// links: node_exporter
/* loadavg and meminfo on upstream's fixtures and on broken variants of them. */
#include "unit.h"

extern const struct collector_def collector_loadavg, collector_meminfo;

START_TEST(test_loadavg_fixture)
{
	struct run_result r = run_collector(&collector_loadavg);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_load1 0.21"));
	ck_assert(has_line(r.text, "node_load5 0.37"));
	ck_assert(has_line(r.text, "node_load15 0.39"));
	free(r.text);
}
END_TEST

START_TEST(test_meminfo_fixture)
{
	struct run_result r = run_collector(&collector_meminfo);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_memory_MemTotal_bytes 3.831959552e+09"));
	ck_assert(has_line(r.text, "node_memory_Active_anon_bytes 2.068484096e+09"));
	ck_assert(has_line(r.text, "node_memory_HugePages_Total 0"));
	free(r.text);
}
END_TEST

/* Fields node_exporter 1.12 does not export are left out; the others stay. */
START_TEST(test_meminfo_upstream_fields_only)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "meminfo",
		     "MemTotal:       1000 kB\nKReclaimable:     4 kB\nBalloon:          0 kB\n"
		     "Inactive(file):   8 kB\nHugetlb:          0 kB\nHugePages_Total:  2\n");
	struct run_result r = run_collector_with(&collector_meminfo, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_memory_MemTotal_bytes 1.024e+06"));
	ck_assert(has_line(r.text, "node_memory_Inactive_file_bytes 8192"));
	ck_assert(has_line(r.text, "node_memory_HugePages_Total 2"));
	ck_assert(strstr(r.text, "KReclaimable") == NULL);
	ck_assert(strstr(r.text, "Balloon") == NULL);
	ck_assert(strstr(r.text, "Hugetlb") == NULL);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* Truncated, empty, garbage and oversized files: an error, never a crash. */
static const struct {
	const char *name;
	const char *loadavg;
	const char *meminfo;
} broken[] = {
	{ "empty", "", "" },
	{ "truncated", "0.21 0.3", "MemTotal:       15666184 kB\nMemFree: " },
	{ "garbage", "a b c d e", "MemTotal: lots kB\n" },
	{ "bad unit", "0.1 0.2 0.3x 1/1 1", "MemTotal: 1 MB\n" },
	{ "binary", "\x01\x02\xff", "\xff\xfe:\x01 2 3 4 5\n" },
};

START_TEST(test_broken_files)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "loadavg", broken[_i].loadavg);
	fixture_puts(dir, "meminfo", broken[_i].meminfo);
	struct run_result r = run_collector_with(&collector_loadavg, dir, NULL, NULL, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "%s: loadavg rc %d", broken[_i].name, r.rc);
	ck_assert_str_ne(r.err, "");
	free(r.text);
	r = run_collector_with(&collector_meminfo, dir, NULL, NULL, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "%s: meminfo rc %d", broken[_i].name, r.rc);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_oversized_and_missing)
{
	char *dir = fixture_dir();
	/* 10 MB of one line: read, then rejected as not a load average. */
	size_t n = 10u << 20;
	char *big = malloc(n);
	memset(big, '7', n);
	fixture_write(dir, "loadavg", big, n);
	fixture_write(dir, "meminfo", big, n);
	free(big);
	struct run_result r = run_collector_with(&collector_loadavg, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	r = run_collector_with(&collector_meminfo, dir, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	r = run_collector_with(&collector_loadavg, "/nonexistent", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "No such file") != NULL);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_basic");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_loadavg_fixture);
	tcase_add_test(tc, test_meminfo_fixture);
	tcase_add_test(tc, test_meminfo_upstream_fields_only);
	tcase_add_loop_test(tc, test_broken_files, 0, sizeof broken / sizeof broken[0]);
	tcase_add_test(tc, test_oversized_and_missing);
	suite_add_tcase(s, tc);
	return s;
}
