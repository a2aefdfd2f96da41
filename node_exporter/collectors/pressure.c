/*
 * pressure: pressure stall information from /proc/pressure/{cpu,io,memory,irq}:
 * total time (microseconds, exported in seconds) some or all runnable tasks
 * were stalled. Absent files (kernel < 4.20, or irq before 6.1) are skipped;
 * PSI compiled in but disabled (EOPNOTSUPP) or no resource at all is
 * reported as no data, as upstream does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/statfile.h"

static int pressure_collect(struct scrape *s, struct expo *e)
{
	static const struct {
		const char *res, *some_name, *some_help, *full_name, *full_help;
	} res[] = {
		{ "cpu", "node_pressure_cpu_waiting_seconds_total",
		  "Seconds in which at least one task waited for a CPU.", NULL, NULL },
		{ "io", "node_pressure_io_waiting_seconds_total",
		  "Seconds in which at least one task waited for I/O.",
		  "node_pressure_io_stalled_seconds_total",
		  "Seconds in which all non-idle tasks were stalled on I/O." },
		{ "memory", "node_pressure_memory_waiting_seconds_total",
		  "Seconds in which at least one task waited for memory.",
		  "node_pressure_memory_stalled_seconds_total",
		  "Seconds in which all non-idle tasks were stalled on memory." },
		{ "irq", NULL, NULL, "node_pressure_irq_stalled_seconds_total",
		  "Seconds in which all non-idle tasks were stalled by interrupt handling." },
	};
	char path[4096], text[512];
	int found = 0;
	for (size_t r = 0; r < sizeof res / sizeof res[0]; r++) {
		if (proc_path(path, sizeof path, "pressure/%s", res[r].res) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = scrape_read_small(s, path, text, sizeof text);
		if (n == -ENOENT)
			continue;
		if (n == -EOPNOTSUPP) {
			strf(s->err, sizeof s->err, "pressure information is disabled (psi=0)");
			return COLLECT_NODATA;
		}
		if (n < 0)
			return scrape_fail(s, "failed to retrieve pressure stats from %s: %s", path,
					   strerror((int)-n));
		struct psi psi;
		const char *bad;
		if (psi_parse(text, &psi, &bad) < 0)
			return scrape_fail(s, "invalid %s line in %s", bad, path);
		bool have_some = psi.some.present, have_full = psi.full.present;
		uint64_t some = psi.some.total, full = psi.full.total;
		/* IRQ pressure has only a "full" line; CPU may lack it. */
		if ((res[r].some_name && !have_some) || (res[r].full_name && !have_full)) {
			strf(s->err, sizeof s->err, "%.300s has no %s line", path,
				 res[r].some_name && !have_some ? "some" : "full");
			return COLLECT_NODATA;
		}
		if (res[r].some_name)
			expo_single(e, res[r].some_name, METRIC_COUNTER, res[r].some_help,
				    (double)some / 1000.0 / 1000.0);
		if (res[r].full_name)
			expo_single(e, res[r].full_name, METRIC_COUNTER, res[r].full_help,
				    (double)full / 1000.0 / 1000.0);
		found++;
	}
	if (!found) {
		strf(s->err, sizeof s->err,
			 "pressure information is unavailable (needs Linux >= 4.20 with CONFIG_PSI)");
		return COLLECT_NODATA;
	}
	return COLLECT_OK;
}

const struct collector_def collector_pressure = {
	.name = "pressure",
	.default_enabled = true,
	.collect = pressure_collect,
};
