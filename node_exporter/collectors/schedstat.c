/*
 * schedstat: per-CPU scheduler statistics from /proc/schedstat: time spent
 * running tasks and tasks spent waiting (nanoseconds, exported in seconds)
 * and the number of timeslices run.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

/*
 * A "cpuN" line with at least nine numbers, each one space apart, as
 * procfs' pattern requires; fills the 7th to 9th. Other lines (domains,
 * version) and lines that do not fit are skipped, as upstream does.
 */
static bool parse_cpu_line(char *line, const char **cpu, uint64_t v[3])
{
	if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
		return false;
	char *f[12];
	size_t n = split_on(line, ' ', f, 12);
	if (n < 10)
		return false;
	for (size_t i = 1; i < 10; i++) {
		uint64_t x;
		if (parse_u64(f[i], &x) < 0) /* empty field: two spaces in a row */
			return false;
		if (i >= 7)
			v[i - 7] = x;
	}
	uint64_t id;
	if (parse_u64(f[0] + 3, &id) < 0)
		return false;
	*cpu = f[0] + 3;
	return true;
}

static int schedstat_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "schedstat") < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc == -ENOENT) {
		strf(s->err, sizeof s->err, "%.300s does not exist", path);
		return COLLECT_NODATA;
	}
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));

	const char *const cpu_label[] = { "cpu", NULL };
	struct family *frun = expo_family(e, "node_schedstat_running_seconds_total", METRIC_COUNTER,
					  "Seconds each CPU spent running tasks.", cpu_label);
	struct family *fwait = expo_family(e, "node_schedstat_waiting_seconds_total", METRIC_COUNTER,
					   "Seconds tasks spent waiting to run on each CPU.", cpu_label);
	struct family *fslices = expo_family(e, "node_schedstat_timeslices_total", METRIC_COUNTER,
					     "Timeslices run by each CPU.", cpu_label);
	char *cur = b->data, *line;
	while ((line = next_line(&cur))) {
		const char *cpu;
		uint64_t v[3];
		if (!parse_cpu_line(line, &cpu, v))
			continue;
		expo_sample(e, frun, (double)v[0] / 1e9, cpu);
		expo_sample(e, fwait, (double)v[1] / 1e9, cpu);
		expo_sample(e, fslices, (double)v[2], cpu);
	}
	return COLLECT_OK;
}

const struct collector_def collector_schedstat = {
	.name = "schedstat",
	.default_enabled = true,
	.collect = schedstat_collect,
};
