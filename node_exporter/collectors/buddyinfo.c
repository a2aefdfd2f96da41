/*
 * buddyinfo: free blocks of each order per memory zone, from
 * /proc/buddyinfo ("Node 0, zone   Normal   4381 1093 ..."). Every line must
 * have the same number of orders, as procfs requires.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* Orders the kernel can have (MAX_ORDER is at most 11 on common configs, 64 is ample). */
#define BUDDY_MAX_FIELDS 68

static int buddyinfo_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "buddyinfo") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	struct family *f = expo_family(e, "node_buddyinfo_blocks", METRIC_GAUGE,
				       "Free memory blocks of each order (size 2^order pages) per zone.",
				       (const char *const[]){ "node", "zone", "size", NULL });
	long orders = -1;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *fld[BUDDY_MAX_FIELDS];
		size_t nf = split_fields(line, fld, BUDDY_MAX_FIELDS);
		if (nf < 4 || nf > BUDDY_MAX_FIELDS)
			return scrape_fail(s, "invalid number of fields (%zu) in %s", nf, path);
		if (orders < 0)
			orders = (long)(nf - 4);
		else if (orders != (long)(nf - 4))
			return scrape_fail(s, "mismatch in number of buddyinfo buckets in %s: %ld, then %zu",
					   path, orders, nf - 4);
		size_t n = strlen(fld[1]);
		if (n && fld[1][n - 1] == ',')
			fld[1][n - 1] = '\0';
		n = strlen(fld[3]);
		if (n && fld[3][n - 1] == ',')
			fld[3][n - 1] = '\0';
		for (size_t i = 4; i < nf; i++) {
			double v;
			if (parse_double(fld[i], &v) < 0)
				return scrape_fail(s, "invalid value '%s' in %s", fld[i], path);
			char size[24];
			strf(size, sizeof size, "%zu", i - 4);
			expo_sample(e, f, v, fld[1], fld[3], size);
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_buddyinfo = {
	.name = "buddyinfo",
	.default_enabled = false,
	.collect = buddyinfo_collect,
};
