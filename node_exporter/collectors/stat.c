/*
 * stat: kernel activity counters from /proc/stat (interrupts, context
 * switches, forks, boot time, runnable and blocked processes) and, with
 * --collector.stat.softirq, softirqs per vector. The per-CPU lines belong to
 * the cpu collector; they are only checked here, as procfs rejects the file
 * when one of them is garbage.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static bool softirq_flag;

static struct flag stat_flags[] = {
	{ .name = "collector.stat.softirq", .type = FLAG_BOOL, .dest = &softirq_flag,
	  .def = "false", .help = "Export softirq calls per vector." },
};

static const char *const vectors[] = { "hi",	"timer", "net_tx", "net_rx",  "block",
				       "block_iopoll", "tasklet", "sched", "hrtimer", "rcu" };
#define NVEC (sizeof vectors / sizeof vectors[0])

/* A "cpu" or "cpuN" line: up to 10 numbers, at least one. */
static bool valid_cpu_line(char **f, size_t nf)
{
	if (f[0][3] != '\0') {
		int64_t id;
		if (parse_i64(f[0] + 3, &id) < 0)
			return false;
	}
	size_t n = nf - 1 < 10 ? nf - 1 : 10;
	for (size_t i = 1; i <= n; i++) {
		double v;
		if (parse_double(f[i], &v) < 0)
			return false;
	}
	return true;
}

static int stat_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "stat") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	static const char *const keys[] = { "intr", "ctxt", "processes", "btime", "procs_running",
					    "procs_blocked" };
	uint64_t val[6] = { 0 }, soft[NVEC] = { 0 };
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[12];
		size_t nf = split_fields(line, f, 12);
		if (nf < 2)
			continue;
		if (has_prefix(f[0], "cpu")) {
			if (!valid_cpu_line(f, nf))
				return scrape_fail(s, "invalid line %s in %s", f[0], path);
			continue;
		}
		if (strcmp(f[0], "softirq") == 0) {
			uint64_t total;
			if (nf < 12 || parse_u64(f[1], &total) < 0)
				return scrape_fail(s, "invalid softirq line in %s", path);
			for (size_t i = 0; i < NVEC; i++)
				if (parse_u64(f[2 + i], &soft[i]) < 0)
					return scrape_fail(s, "invalid softirq line in %s", path);
			continue;
		}
		for (size_t k = 0; k < 6; k++) {
			if (strcmp(f[0], keys[k]) == 0) {
				if (parse_u64(f[1], &val[k]) < 0)
					return scrape_fail(s, "invalid %s value '%s' in %s", keys[k], f[1], path);
				break;
			}
		}
	}

	expo_single(e, "node_intr_total", METRIC_COUNTER,
		    "Interrupts serviced since boot, numbered and unnumbered.", (double)val[0]);
	expo_single(e, "node_context_switches_total", METRIC_COUNTER,
		    "Context switches since boot.", (double)val[1]);
	expo_single(e, "node_forks_total", METRIC_COUNTER, "Processes and threads created since boot.",
		    (double)val[2]);
	expo_single(e, "node_boot_time_seconds", METRIC_GAUGE,
		    "When the system booted, in seconds since the Unix epoch.", (double)val[3]);
	expo_single(e, "node_procs_running", METRIC_GAUGE, "Processes in the runnable state.",
		    (double)val[4]);
	expo_single(e, "node_procs_blocked", METRIC_GAUGE,
		    "Processes blocked waiting for I/O to complete.", (double)val[5]);
	if (softirq_flag) {
		struct family *f = expo_family(e, "node_softirqs_total", METRIC_COUNTER,
					       "Softirqs raised since boot, by vector.",
					       (const char *const[]){ "vector", NULL });
		for (size_t i = 0; i < NVEC; i++)
			expo_sample(e, f, (double)soft[i], vectors[i]);
	}
	return COLLECT_OK;
}

const struct collector_def collector_stat = {
	.name = "stat",
	.default_enabled = true,
	.flags = stat_flags,
	.nflags = sizeof stat_flags / sizeof stat_flags[0],
	.collect = stat_collect,
};
