/*
 * cgroups: the summary of /proc/cgroups, one line per controller
 * ("memory 7 234 1": hierarchy, number of cgroups, enabled). Only this
 * summary: per-container figures are container_exporter's.
 */
#include <stdio.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static int cgroups_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "cgroups") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	static const char *const labels[] = { "subsys_name", NULL };
	struct family *count = expo_family(e, "node_cgroups_cgroups", METRIC_GAUGE,
					   "Cgroups of the controller's hierarchy.", labels);
	/* Upstream gives this family the help of the other; ours says what it is. */
	struct family *enabled = expo_family(e, "node_cgroups_enabled", METRIC_GAUGE,
					     "Whether the controller is enabled (1) or not (0).", labels);
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		if (line[0] == '#')
			continue;
		char *fld[4];
		int64_t hier, n, on;
		if (split_fields(line, fld, 4) < 4 || parse_i64(fld[1], &hier) < 0 ||
		    parse_i64(fld[2], &n) < 0 || parse_i64(fld[3], &on) < 0)
			return scrape_fail(s, "invalid line in %s: '%.60s'", path, line);
		expo_sample(e, count, (double)n, fld[0]);
		expo_sample(e, enabled, (double)on, fld[0]);
	}
	return COLLECT_OK;
}

const struct collector_def collector_cgroups = {
	.name = "cgroups",
	.default_enabled = false,
	.collect = cgroups_collect,
};
