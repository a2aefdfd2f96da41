/*
 * slabinfo: the kernel's slab caches from /proc/slabinfo (version 2.1; the
 * file is readable by root only). Each cache line is exactly 16 fields:
 * "name active num objsize objperslab pagesperslab : tunables l b s :
 * slabdata a n s".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *slabs_include, *slabs_exclude;

static struct flag slabinfo_flags[] = {
	{ .name = "collector.slabinfo.slabs-include", .type = FLAG_STRING, .dest = &slabs_include,
	  .def = ".*", .help = "Regexp of slabs to include in slabinfo collector." },
	{ .name = "collector.slabinfo.slabs-exclude", .type = FLAG_STRING, .dest = &slabs_exclude,
	  .def = "", .help = "Regexp of slabs to exclude in slabinfo collector." },
};

static int slabinfo_init(void **state, char *err, size_t errlen)
{
	struct rx_filter *f = calloc(1, sizeof *f);
	if (!f) {
		strf(err, errlen, "slabinfo: out of memory");
		return -1;
	}
	if (rx_filter_init(f, "collector.slabinfo.slabs-include", slabs_include,
			   "collector.slabinfo.slabs-exclude", slabs_exclude, err, errlen) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static void slabinfo_fini(void *state)
{
	if (state)
		rx_filter_free(state);
	free(state);
}

static const struct {
	size_t col;
	const char *name, *help;
} slab_cols[] = {
	{ 1, "node_slabinfo_active_objects", "Objects of the cache in use." },
	{ 2, "node_slabinfo_objects", "Objects allocated in the cache, in use or not." },
	{ 3, "node_slabinfo_object_size_bytes", "Size of the cache's objects in bytes." },
	{ 4, "node_slabinfo_objects_per_slab", "Objects in each slab." },
	{ 5, "node_slabinfo_pages_per_slab", "Pages allocated for each slab." },
};

static int slabinfo_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "slabinfo") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	for (char *cur = text, *line; (line = next_line(&cur));) {
		if (strstr(line, "slabinfo -") || strstr(line, "# name"))
			continue;
		size_t len = strlen(line);
		char *fld[16];
		/* procfs splits on single spaces after squeezing: blanks at either end make the count wrong. */
		if (!len || isspace((unsigned char)line[0]) || isspace((unsigned char)line[len - 1]) ||
		    split_fields(line, fld, 16) != 16)
			return scrape_fail(s, "unable to parse line of %s: '%.60s'", path, line);
		int64_t v[16];
		static const size_t numeric[] = { 1, 2, 3, 4, 5, 8, 9, 10, 13, 14, 15 };
		for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++)
			if (parse_i64(fld[numeric[i]], &v[numeric[i]]) < 0)
				return scrape_fail(s, "invalid value '%s' in %s", fld[numeric[i]], path);
		if (rx_filter_ignored(s->state, fld[0]))
			continue;
		for (size_t i = 0; i < sizeof slab_cols / sizeof slab_cols[0]; i++) {
			struct family *f = expo_family(e, slab_cols[i].name, METRIC_GAUGE, slab_cols[i].help,
						       (const char *const[]){ "slab", NULL });
			expo_sample(e, f, (double)v[slab_cols[i].col], fld[0]);
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_slabinfo = {
	.name = "slabinfo",
	.default_enabled = false,
	.flags = slabinfo_flags,
	.nflags = sizeof slabinfo_flags / sizeof slabinfo_flags[0],
	.init = slabinfo_init,
	.collect = slabinfo_collect,
	.fini = slabinfo_fini,
};
