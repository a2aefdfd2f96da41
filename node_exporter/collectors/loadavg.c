/* loadavg: the 1, 5 and 15 minute load averages from /proc/loadavg. */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static int loadavg_collect(struct scrape *s, struct expo *e)
{
	char path[4096], text[256];
	if (proc_path(path, sizeof path, "loadavg") < 0)
		return scrape_fail(s, "path too long");
	ssize_t n = scrape_read_small(s, path, text, sizeof text);
	if (n < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));

	char *f[5];
	double load[3];
	if (split_fields(text, f, 5) < 3)
		return scrape_fail(s, "unexpected content of %s", path);
	for (int i = 0; i < 3; i++)
		if (parse_double(f[i], &load[i]) < 0)
			return scrape_fail(s, "invalid load average '%s' in %s", f[i], path);

	expo_single(e, "node_load1", METRIC_GAUGE, "Load average over the last minute.", load[0]);
	expo_single(e, "node_load5", METRIC_GAUGE, "Load average over the last 5 minutes.", load[1]);
	expo_single(e, "node_load15", METRIC_GAUGE, "Load average over the last 15 minutes.", load[2]);
	return COLLECT_OK;
}

const struct collector_def collector_loadavg = {
	.name = "loadavg",
	.default_enabled = true,
	.collect = loadavg_collect,
};
