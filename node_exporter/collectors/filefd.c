/*
 * filefd: allocated and maximum file handles from /proc/sys/fs/file-nr
 * (three tab-separated numbers; the middle one is always 0 since 2.6).
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static int filefd_collect(struct scrape *s, struct expo *e)
{
	char path[4096], text[256];
	if (proc_path(path, sizeof path, "sys/fs/file-nr") < 0)
		return scrape_fail(s, "path too long");
	ssize_t n = scrape_read_small(s, path, text, sizeof text);
	if (n < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));

	/* The kernel separates the fields with single tabs; upstream splits on them. */
	char *f[4];
	if (split_on(trim(text), '\t', f, 4) < 3)
		return scrape_fail(s, "unexpected number of fields in %s", path);
	double allocated, maximum;
	if (parse_double(f[0], &allocated) < 0 || parse_double(f[2], &maximum) < 0)
		return scrape_fail(s, "invalid value in %s", path);

	expo_single(e, "node_filefd_allocated", METRIC_GAUGE,
		    "File handles allocated by the kernel (first field of file-nr).", allocated);
	expo_single(e, "node_filefd_maximum", METRIC_GAUGE,
		    "Maximum number of file handles the kernel will allocate (file-max).", maximum);
	return COLLECT_OK;
}

const struct collector_def collector_filefd = {
	.name = "filefd",
	.default_enabled = true,
	.collect = filefd_collect,
};
