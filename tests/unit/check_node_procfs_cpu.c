// links: node_exporter
/*
 * cpu, cpufreq, stat, schedstat and pressure on upstream's fixtures, on
 * broken variants of their files, and with their option flags.
 */
#include <errno.h>
#include <sys/stat.h>

#include "unit.h"

extern const struct collector_def collector_cpu, collector_cpufreq, collector_stat,
	collector_schedstat, collector_pressure;

#define FIX_PROC FIXTURES "/proc"
#define FIX_SYS FIXTURES "/sys"

/* A scratch procfs with one file, the rest missing. */
static char *proc_with(const char *rel, const char *text)
{
	char *dir = fixture_dir();
	fixture_puts(dir, rel, text);
	return dir;
}

static struct run_result run_proc(const struct collector_def *def, const char *procfs,
				  const char *const *argv)
{
	return run_collector_with(def, procfs, NULL, NULL, argv);
}

START_TEST(test_cpu_fixture)
{
	const char *argv[] = { "--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$",
			       "--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$", NULL };
	struct run_result r = run_proc(&collector_cpu, NULL, argv);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 10870.69"));
	ck_assert(has_line(r.text, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 444.9"));
	ck_assert(has_line(r.text, "node_cpu_seconds_total{cpu=\"0\",mode=\"softirq\"} 34.1"));
	ck_assert(has_line(r.text, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"} 0.02"));
	ck_assert(has_line(r.text, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"} 0.01"));
	/* cpu.info was forced on by the include flags. */
	ck_assert(has_line(r.text,
			   "node_cpu_info{cachesize=\"8192 KB\",core=\"3\",cpu=\"7\",family=\"6\",microcode=\"0xb4\",model=\"142\",model_name=\"Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\",package=\"0\",stepping=\"10\",vendor=\"GenuineIntel\"} 1"));
	ck_assert(has_line(r.text, "node_cpu_flag_info{flag=\"avx2\"} 1"));
	ck_assert(!strstr(r.text, "flag=\"fpu\""));
	ck_assert(has_line(r.text, "node_cpu_bug_info{bug=\"spectre_v2\"} 1"));
	/* Without the cpufreq collector, no cpuinfo frequency (as upstream). */
	ck_assert(!strstr(r.text, "node_cpu_frequency_hertz"));
	ck_assert(has_line(r.text, "node_cpu_isolated{cpu=\"9\"} 1"));
	ck_assert(has_line(r.text, "node_cpu_isolated{cpu=\"4\"} 1"));
	ck_assert(has_line(r.text, "node_cpu_package_throttles_total{package=\"0\"} 30"));
	ck_assert(has_line(r.text, "node_cpu_core_throttles_total{core=\"1\",package=\"1\"} 9"));
	free(r.text);
}
END_TEST

START_TEST(test_cpu_flags)
{
	const char *noguest[] = { "--no-collector.cpu.guest", NULL };
	struct run_result r = run_proc(&collector_cpu, NULL, noguest);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "node_cpu_guest_seconds_total"));
	ck_assert(!strstr(r.text, "node_cpu_info"));
	free(r.text);

	const char *info[] = { "--collector.cpu.info", NULL };
	r = run_proc(&collector_cpu, NULL, info);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "node_cpu_info{") != NULL);
	ck_assert(!strstr(r.text, "node_cpu_flag_info"));
	free(r.text);

	const char *bad[] = { "--collector.cpu.info.flags-include=(", NULL };
	r = run_proc(&collector_cpu, NULL, bad);
	ck_assert_int_eq(r.rc, -2);
	ck_assert(strstr(r.err, "flags-include") != NULL);
	free(r.text);
	const char *bad2[] = { "--collector.cpu.info.bugs-include=[", NULL };
	r = run_proc(&collector_cpu, NULL, bad2);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
}
END_TEST

/* Run the cpu collector over several versions of /proc/stat with one state. */
static void session_start_args(struct test_session *ss, const char *procfs, const char *sysfs,
			       const char *arg)
{
	const char *argv[] = { arg, NULL };
	fixture_session_start(ss, &collector_cpu, procfs, sysfs, NULL, argv);
	ck_assert_int_eq(ss->init_rc, 0);
}

static void session_start(struct test_session *ss, const char *procfs, const char *sysfs)
{
	session_start_args(ss, procfs, sysfs, NULL);
}

static char *session_scrape(struct test_session *ss)
{
	int rc;
	char *t = test_session_scrape(ss, &rc, NULL);
	ck_assert_int_eq(rc, COLLECT_OK);
	return t;
}

START_TEST(test_cpu_monotonic_guard)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "proc/stat", "cpu0 100 100 100 10000 100 100 100 100 0 0\n"
					  "cpu1 100 100 100 10000 100 100 100 100 0 0\n");
	char procfs[4200], sysfs[4200];
	snprintf(procfs, sizeof procfs, "%s/proc", dir);
	snprintf(sysfs, sizeof sysfs, "%s/sys", dir);
	struct test_session ss;
	session_start(&ss, procfs, sysfs);
	char *t = session_scrape(&ss);
	ck_assert(has_line(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 100"));
	free(t);

	/* user goes back a little: the old value stays; idle back by 2 s: kept too. */
	fixture_puts(dir, "proc/stat", "cpu0 90 110 100 9800 100 100 100 100 0 0\n"
				       "cpu1 100 100 100 10000 100 100 100 100 0 0\n");
	t = session_scrape(&ss);
	ck_assert(has_line(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1"));
	ck_assert(has_line(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"nice\"} 1.1"));
	ck_assert(has_line(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 100"));
	free(t);

	/* idle back by 3 s or more: hotplug, the CPU starts afresh; cpu1 went away. */
	fixture_puts(dir, "proc/stat", "cpu0 5 6 7 9700 1 1 1 1 0 0\n");
	t = session_scrape(&ss);
	ck_assert(has_line(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 97"));
	ck_assert(has_line(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 0.05"));
	ck_assert(!strstr(t, "cpu=\"1\""));
	free(t);
	test_session_end(&ss);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_cpu_online)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "proc/stat", "cpu0 1 1 1 1 1 1 1 1 0 0\ncpu1 1 1 1 1 1 1 1 1 0 0\n");
	fixture_puts(dir, "sys/devices/system/cpu/cpu0/online", "1\n");
	fixture_puts(dir, "sys/devices/system/cpu/cpu1/online", "0\n");
	fixture_puts(dir, "sys/devices/system/cpu/cpu1/topology/core_id", "garbage\n");
	char procfs[4200], sysfs[4200];
	snprintf(procfs, sizeof procfs, "%s/proc", dir);
	snprintf(sysfs, sizeof sysfs, "%s/sys", dir);
	struct run_result r = run_collector_with(&collector_cpu, procfs, sysfs, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_cpu_online{cpu=\"0\"} 1"));
	ck_assert(has_line(r.text, "node_cpu_online{cpu=\"1\"} 0"));
	ck_assert(!strstr(r.text, "node_cpu_isolated{"));
	free(r.text);
	/* No online file on the first CPU: no online family at all. */
	fixture_puts(dir, "sys/devices/system/cpu/cpu0/topology/core_id", "0\n");
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "rm '%s/sys/devices/system/cpu/cpu0/online'", dir);
	ck_assert_int_eq(system(cmd), 0);
	r = run_collector_with(&collector_cpu, procfs, sysfs, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "node_cpu_online{"));
	free(r.text);
	/* A malformed isolated list fails at start-up, as upstream's constructor. */
	fixture_puts(dir, "sys/devices/system/cpu/isolated", "1-x\n");
	r = run_collector_with(&collector_cpu, procfs, sysfs, NULL, NULL);
	ck_assert_int_eq(r.rc, -2);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* With the cpufreq collector on, cpu.info adds the cpuinfo clock, as upstream. */
START_TEST(test_cpu_info_frequency)
{
	struct test_session ss;
	session_start_args(&ss, FIX_PROC, FIX_SYS, "--collector.cpu.info");
	struct collector inst[2] = { { .def = &collector_cpu, .enabled = true },
				     { .def = &collector_cpufreq, .enabled = true } };
	ss.x.inst = inst;
	ss.x.ninst = 2;
	char *t = session_scrape(&ss);
	ck_assert(has_line(t, "node_cpu_frequency_hertz{core=\"0\",cpu=\"0\",package=\"0\"} 7.99998e+08"));
	free(t);
	inst[1].enabled = false;
	t = session_scrape(&ss);
	ck_assert(!strstr(t, "node_cpu_frequency_hertz"));
	free(t);
	test_session_end(&ss);
}
END_TEST

static const struct {
	const char *name, *stat, *cpuinfo;
} broken_cpu[] = {
	{ "garbage cpu value", "cpu0 1 2 x 4\n", "processor\t: 0\n" },
	{ "garbage cpu id", "cpuX 1 2 3 4\n", "processor\t: 0\n" },
	{ "cpuinfo without processor", "cpu0 1 2 3 4\n", "vendor_id\t: x\n" },
	{ "cpuinfo bad MHz", "cpu0 1 2 3 4\n", "processor\t: 0\ncpu MHz\t\t: fast\n" },
	{ "cpuinfo bad processor", "cpu0 1 2 3 4\n", "processor\t: zero\n" },
	{ "cpuinfo bad siblings", "cpu0 1 2 3 4\n", "processor\t: 0\nsiblings\t: -1\n" },
	{ "cpuinfo empty", "cpu0 1 2 3 4\n", "\n\n" },
};

START_TEST(test_cpu_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "stat", broken_cpu[_i].stat);
	fixture_puts(dir, "cpuinfo", broken_cpu[_i].cpuinfo);
	const char *info[] = { "--collector.cpu.info", NULL };
	struct run_result r = run_proc(&collector_cpu, dir, info);
	ck_assert_msg(r.rc == COLLECT_ERROR, "%s: rc %d", broken_cpu[_i].name, r.rc);
	ck_assert_str_ne(r.err, "");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_cpu_missing_and_oversized)
{
	struct run_result r = run_proc(&collector_cpu, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "No such file") != NULL);
	free(r.text);
	char *dir = fixture_dir();
	size_t n = 8u << 20;
	char *big = malloc(n);
	memset(big, '9', n);
	memcpy(big, "cpu0 ", 5);
	fixture_write(dir, "stat", big, n);
	free(big);
	r = run_proc(&collector_cpu, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR); /* one number too large for the line check */
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_cpufreq_fixture)
{
	struct run_result r = run_collector(&collector_cpufreq);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_cpu_scaling_frequency_hertz{cpu=\"0\"} 1.699981e+09"));
	ck_assert(has_line(r.text, "node_cpu_scaling_frequency_hertz{cpu=\"2\"} 8e+06"));
	ck_assert(has_line(r.text, "node_cpu_scaling_governor{cpu=\"0\",governor=\"powersave\"} 1"));
	ck_assert(has_line(r.text, "node_cpu_scaling_governor{cpu=\"0\",governor=\"performance\"} 0"));
	ck_assert(has_line(r.text, "node_cpu_scaling_frequency_max_hertz{cpu=\"0\"} 3.7e+09"));
	ck_assert(!strstr(r.text, "node_cpu_frequency_hertz{")); /* no cpuinfo_cur_freq there */
	free(r.text);
}
END_TEST

START_TEST(test_cpufreq_broken)
{
	char *dir = fixture_dir();
	/* No offline file: error, as procfs requires it. */
	fixture_puts(dir, "devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1000\n");
	struct run_result r = run_collector_with(&collector_cpufreq, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	/* Garbage frequency. */
	fixture_puts(dir, "devices/system/cpu/offline", "\n");
	fixture_puts(dir, "devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "fast\n");
	r = run_collector_with(&collector_cpufreq, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	/* Governor files missing. */
	fixture_puts(dir, "devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1000\n");
	r = run_collector_with(&collector_cpufreq, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	/* Complete, and cpu1 offline is skipped; cpu2 has no cpufreq at all. */
	fixture_puts(dir, "devices/system/cpu/cpu0/cpufreq/scaling_governor", "ondemand\n");
	fixture_puts(dir, "devices/system/cpu/cpu0/cpufreq/scaling_available_governors",
		     "performance ondemand\n");
	fixture_puts(dir, "devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "2000\n");
	fixture_puts(dir, "devices/system/cpu/cpu2/topology/core_id", "0\n");
	fixture_puts(dir, "devices/system/cpu/offline", "1\n");
	r = run_collector_with(&collector_cpufreq, NULL, dir, NULL, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_cpu_scaling_frequency_hertz{cpu=\"0\"} 1e+06"));
	ck_assert(has_line(r.text, "node_cpu_scaling_governor{cpu=\"0\",governor=\"ondemand\"} 1"));
	ck_assert(!strstr(r.text, "cpu=\"1\""));
	free(r.text);
	/* Bad offline list. */
	fixture_puts(dir, "devices/system/cpu/offline", "a-b\n");
	r = run_collector_with(&collector_cpufreq, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
	/* No CPUs at all. */
	dir = fixture_dir();
	fixture_puts(dir, "devices/system/cpu/offline", "\n");
	r = run_collector_with(&collector_cpufreq, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "could not find any cpufreq") != NULL);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_stat_fixture)
{
	const char *argv[] = { "--collector.stat.softirq", NULL };
	struct run_result r = run_proc(&collector_stat, NULL, argv);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_boot_time_seconds 1.418183276e+09"));
	ck_assert(has_line(r.text, "node_context_switches_total 3.8014093e+07"));
	ck_assert(has_line(r.text, "node_intr_total 8.885917e+06"));
	ck_assert(has_line(r.text, "node_forks_total 26442"));
	ck_assert(has_line(r.text, "node_procs_running 2"));
	ck_assert(has_line(r.text, "node_procs_blocked 0"));
	ck_assert(has_line(r.text, "node_softirqs_total{vector=\"net_rx\"} 211099"));
	free(r.text);
	r = run_proc(&collector_stat, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "node_softirqs_total"));
	free(r.text);
}
END_TEST

static const char *const broken_stat[] = {
	"btime x\n", "ctxt -1\n", "softirq 1 2 3\n", "cpu0 1 a\n", "intr 99999999999999999999999\n",
	"processes 1.5\n",
};

START_TEST(test_stat_broken)
{
	char *dir = proc_with("stat", broken_stat[_i]);
	struct run_result r = run_proc(&collector_stat, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "'%s': rc %d", broken_stat[_i], r.rc);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_schedstat)
{
	struct run_result r = run_collector(&collector_schedstat);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_schedstat_running_seconds_total{cpu=\"0\"} 2.045936778163039e+06"));
	ck_assert(has_line(r.text, "node_schedstat_waiting_seconds_total{cpu=\"0\"} 343796.328169361"));
	ck_assert(has_line(r.text, "node_schedstat_timeslices_total{cpu=\"0\"} 4.767485306e+09"));
	ck_assert(strstr(r.text, "cpu=\"1\"") != NULL);
	free(r.text);
	/* Missing file: no data. Lines that do not fit are skipped, as upstream. */
	r = run_proc(&collector_schedstat, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	char *dir = proc_with("schedstat", "version 15\ncpu0 1 2 3\ncpu1 1 2 3 4 5 6 7 8 x\n"
					   "cpu2 1 2 3 4 5 6 7000000000 8 9\n\xff\xfe\n");
	r = run_proc(&collector_schedstat, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_schedstat_running_seconds_total{cpu=\"2\"} 7"));
	ck_assert(!strstr(r.text, "cpu=\"0\""));
	ck_assert(!strstr(r.text, "cpu=\"1\""));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_pressure)
{
	struct run_result r = run_collector(&collector_pressure);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_pressure_cpu_waiting_seconds_total 14.036781000000001"));
	ck_assert(has_line(r.text, "node_pressure_io_stalled_seconds_total 159.229614"));
	ck_assert(has_line(r.text, "node_pressure_io_waiting_seconds_total 159.886802"));
	ck_assert(has_line(r.text, "node_pressure_irq_stalled_seconds_total 0.008494"));
	ck_assert(has_line(r.text, "node_pressure_memory_stalled_seconds_total 0"));
	free(r.text);

	/* No PSI at all: no data. */
	char *dir = fixture_dir();
	r = run_proc(&collector_pressure, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	/* No irq file (kernel < 6.1): the others are still exported. */
	fixture_puts(dir, "pressure/cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n");
	r = run_proc(&collector_pressure, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_pressure_cpu_waiting_seconds_total 1"));
	ck_assert(!strstr(r.text, "irq"));
	free(r.text);
	/* io without a full line: no data, as upstream. */
	fixture_puts(dir, "pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n");
	r = run_proc(&collector_pressure, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	/* Garbage: error. */
	fixture_puts(dir, "pressure/io", "some avg10=x avg60=0.00 avg300=0.00 total=1\n");
	r = run_proc(&collector_pressure, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "pressure/io", "full total=1\n");
	r = run_proc(&collector_pressure, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_procfs_cpu");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cpu_fixture);
	tcase_add_test(tc, test_cpu_flags);
	tcase_add_test(tc, test_cpu_monotonic_guard);
	tcase_add_test(tc, test_cpu_online);
	tcase_add_test(tc, test_cpu_info_frequency);
	tcase_add_loop_test(tc, test_cpu_broken, 0, sizeof broken_cpu / sizeof broken_cpu[0]);
	tcase_add_test(tc, test_cpu_missing_and_oversized);
	tcase_add_test(tc, test_cpufreq_fixture);
	tcase_add_test(tc, test_cpufreq_broken);
	tcase_add_test(tc, test_stat_fixture);
	tcase_add_loop_test(tc, test_stat_broken, 0, sizeof broken_stat / sizeof broken_stat[0]);
	tcase_add_test(tc, test_schedstat);
	tcase_add_test(tc, test_pressure);
	suite_add_tcase(s, tc);
	return s;
}
