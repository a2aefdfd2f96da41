/*
 * ksmd: kernel samepage merging, from /sys/kernel/mm/ksm. Every file of
 * 1.12.1's list is required, as upstream: a kernel without KSM fails the
 * collector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const struct {
	const char *file, *name, *help;
	enum metric_type type;
	bool millis; /* exported in seconds */
} ksm_files[] = {
	{ "full_scans", "node_ksmd_full_scans_total", "Full scans of the mergeable memory areas.", METRIC_COUNTER, false },
	{ "merge_across_nodes", "node_ksmd_merge_across_nodes", "Whether pages of different NUMA nodes may be merged.",
	  METRIC_GAUGE, false },
	{ "pages_shared", "node_ksmd_pages_shared", "Shared pages in use.", METRIC_GAUGE, false },
	{ "pages_sharing", "node_ksmd_pages_sharing", "Page mappings that share a page (memory saved).", METRIC_GAUGE, false },
	{ "pages_to_scan", "node_ksmd_pages_to_scan", "Pages ksmd scans before it sleeps.", METRIC_GAUGE, false },
	{ "pages_unshared", "node_ksmd_pages_unshared", "Pages unique but checked repeatedly for merging.", METRIC_GAUGE, false },
	{ "pages_volatile", "node_ksmd_pages_volatile", "Pages changing too fast to be merged.", METRIC_GAUGE, false },
	{ "run", "node_ksmd_run", "Whether ksmd runs (0 stopped, 1 running, 2 unmerging).", METRIC_GAUGE, false },
	{ "sleep_millisecs", "node_ksmd_sleep_seconds", "Time ksmd sleeps between batches, in seconds.", METRIC_GAUGE,
	  true },
};

static int ksmd_collect(struct scrape *s, struct expo *e)
{
	for (size_t i = 0; i < sizeof ksm_files / sizeof ksm_files[0]; i++) {
		char path[4096];
		if (sys_path(path, sizeof path, "kernel/mm/ksm/%s", ksm_files[i].file) < 0)
			return scrape_fail(s, "path too long");
		uint64_t v;
		int rc = sysfs_read_uint(s, path, &v);
		if (rc == -EBADMSG)
			return scrape_fail(s, "invalid value in %s", path);
		if (rc < 0)
			return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));
		double x = ksm_files[i].millis ? (double)v / 1000 : (double)v;
		expo_single(e, ksm_files[i].name, ksm_files[i].type, ksm_files[i].help, x);
	}
	/* Newer than 1.12.1 (upstream's master, and kernels >= 6.4): reported when the file exists. */
	char path[4096], text[SYSFS_VAL];
	int64_t profit; /* negative while KSM costs more than it saves */
	if (sys_path(path, sizeof path, "kernel/mm/ksm/general_profit") < 0)
		return scrape_fail(s, "path too long");
	ssize_t n = sysfs_attr(s, path, text, sizeof text);
	if (n == -ENOENT)
		return COLLECT_OK;
	if (n < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
	if (parse_i64(text, &profit) < 0)
		return scrape_fail(s, "invalid value '%s' in %s", text, path);
	expo_single(e, "node_ksmd_general_profit_bytes", METRIC_GAUGE,
		    "Memory saved by merging, less the cost of KSM's own structures, in bytes.", (double)profit);
	return COLLECT_OK;
}

const struct collector_def collector_ksmd = {
	.name = "ksmd",
	.default_enabled = false,
	.collect = ksmd_collect,
};
