/*
 * lnstat: the per-CPU statistics tables in /proc/net/stat (arp_cache,
 * ndisc_cache, nf_conntrack, rt_cache...): a header line of column names,
 * then one line of hexadecimal counters per CPU. Each column becomes
 * node_lnstat_<column>_total{subsystem=<file>,cpu=<row>}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* Columns of a table (the kernel's have at most 20 or so). */
#define LNSTAT_MAX_COLS 128

static int lnstat_file(struct scrape *s, struct expo *e, const char *dir, const char *file)
{
	char path[4096], *text;
	if (strf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		return scrape_fail(s, "path too long");
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *cur = text, *header = next_line(&cur);
	char *cols[LNSTAT_MAX_COLS];
	size_t ncols = header ? split_fields(header, cols, LNSTAT_MAX_COLS) : 0;
	if (ncols > LNSTAT_MAX_COLS)
		return scrape_fail(s, "too many columns in %s", path);
	struct family *fams[LNSTAT_MAX_COLS];
	for (size_t c = 0; c < ncols; c++) {
		char name[256];
		strf(name, sizeof name, "node_lnstat_%s_total", cols[c]);
		fams[c] = expo_family(e, name, METRIC_COUNTER, "Linux network cache statistic, per CPU.",
				      (const char *const[]){ "subsystem", "cpu", NULL });
	}
	size_t row = 0;
	for (char *line; (line = next_line(&cur)); row++) {
		char *vals[LNSTAT_MAX_COLS];
		size_t n = split_fields(line, vals, LNSTAT_MAX_COLS);
		if (n > ncols)
			return scrape_fail(s, "more values than columns in %s", path);
		char cpu[24];
		strf(cpu, sizeof cpu, "%zu", row);
		for (size_t c = 0; c < n; c++) {
			uint64_t v;
			if ((vals[c][0] == '0' && (vals[c][1] == 'x' || vals[c][1] == 'X')) ||
			    parse_hex_u64(vals[c], &v) < 0)
				return scrape_fail(s, "invalid value '%s' in %s", vals[c], path);
			expo_sample(e, fams[c], (double)v, file, cpu);
		}
	}
	return COLLECT_OK;
}

static int lnstat_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (proc_path(dir, sizeof dir, "net/stat") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list_optional(s, dir, &d);
	if (rc != COLLECT_OK)
		return rc;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++)
		rc = lnstat_file(s, e, dir, d.ents[i].name);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_lnstat = {
	.name = "lnstat",
	.default_enabled = false,
	.collect = lnstat_collect,
};
