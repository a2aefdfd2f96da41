/* kernel_hung: tasks the hung-task detector reported since boot. */

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/sysfs.h"

static int kernel_hung_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "sys/kernel/hung_task_detect_count") < 0)
		return scrape_fail(s, "path too long");
	uint64_t v;
	int rc = collect_read_value(s, path, &v, NULL);
	if (rc != COLLECT_OK)
		return rc; /* absent: a kernel without CONFIG_DETECT_HUNG_TASK */
	expo_single(e, "node_kernel_hung_tasks_total", METRIC_COUNTER,
		    "Tasks the kernel detected as hung since boot.", (double)v);
	return COLLECT_OK;
}

const struct collector_def collector_kernel_hung = {
	.name = "kernel_hung",
	.default_enabled = true,
	.collect = kernel_hung_collect,
};
