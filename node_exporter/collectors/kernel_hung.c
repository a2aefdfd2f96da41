/* kernel_hung: tasks the hung-task detector reported since boot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static int kernel_hung_collect(struct scrape *s, struct expo *e)
{
	char path[4096], text[64];
	if (proc_path(path, sizeof path, "sys/kernel/hung_task_detect_count") < 0)
		return scrape_fail(s, "path too long");
	ssize_t n = scrape_read_small(s, path, text, sizeof text);
	if (n == -ENOENT)
		return COLLECT_NODATA; /* kernel without CONFIG_DETECT_HUNG_TASK */
	if (n < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
	uint64_t v;
	if (parse_u64(trim(text), &v) < 0)
		return scrape_fail(s, "invalid value in %s", path);
	expo_single(e, "node_kernel_hung_tasks_total", METRIC_COUNTER,
		    "Tasks the kernel detected as hung since boot.", (double)v);
	return COLLECT_OK;
}

const struct collector_def collector_kernel_hung = {
	.name = "kernel_hung",
	.default_enabled = true,
	.collect = kernel_hung_collect,
};
