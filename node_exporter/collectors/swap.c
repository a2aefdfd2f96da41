/*
 * swap: each swap device of /proc/swaps (after its header line): size and
 * use (KiB, exported in bytes) and priority.
 */
#include <stdio.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static int swap_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "swaps") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	static const char *const labels[] = { "device", "swap_type", NULL };
	struct family *size = expo_family(e, "node_swap_size_bytes", METRIC_GAUGE, "Size of the swap device in bytes.",
					  labels);
	struct family *used = expo_family(e, "node_swap_used_bytes", METRIC_GAUGE,
					  "Swap space in use on the device, in bytes.", labels);
	struct family *prio = expo_family(e, "node_swap_priority", METRIC_GAUGE, "Priority of the swap device.", labels);
	char *cur = text;
	next_line(&cur); /* the header */
	for (char *line; (line = next_line(&cur));) {
		char *fld[5];
		int64_t kb, used_kb, priority;
		if (split_fields(line, fld, 5) < 5)
			return scrape_fail(s, "too few fields in swap line of %s: '%.60s'", path, line);
		if (parse_i64(fld[2], &kb) < 0 || parse_i64(fld[3], &used_kb) < 0 ||
		    parse_i64(fld[4], &priority) < 0)
			return scrape_fail(s, "invalid swap line in %s for %s", path, fld[0]);
		expo_sample(e, size, (double)kb * 1024, fld[0], fld[1]);
		expo_sample(e, used, (double)used_kb * 1024, fld[0], fld[1]);
		expo_sample(e, prio, (double)priority, fld[0], fld[1]);
	}
	return COLLECT_OK;
}

const struct collector_def collector_swap = {
	.name = "swap",
	.default_enabled = false,
	.collect = swap_collect,
};
