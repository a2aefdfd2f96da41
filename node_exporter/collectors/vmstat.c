/*
 * vmstat: the /proc/vmstat fields that match --collector.vmstat.fields, as
 * untyped node_vmstat_<field> values (upstream types them so).
 *
 * The field list is the same on every scrape, so the regex verdict for the
 * field at each position is remembered and reused while the name there is
 * unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"
#include "../fieldfilter.h"

static const char *fields_flag;

static struct flag vmstat_flags[] = {
	{ .name = "collector.vmstat.fields", .type = FLAG_STRING, .dest = &fields_flag,
	  .def = "^(oom_kill|pgpg|pswp|pg.*fault).*",
	  .help = "Regexp of fields to return for vmstat collector." },
};

static void vmstat_fini(void *state)
{
	if (state)
		field_filter_free(state);
	free(state);
}

static int vmstat_init(void **state, char *err, size_t errlen)
{
	struct field_filter *ff = calloc(1, sizeof *ff);
	if (!ff) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (field_filter_init(ff, "collector.vmstat.fields", fields_flag, err, errlen) < 0) {
		free(ff);
		return -1;
	}
	*state = ff;
	return 0;
}

static int vmstat_collect(struct scrape *s, struct expo *e)
{
	struct field_filter *ff = s->state;
	char path[4096];
	if (proc_path(path, sizeof path, "vmstat") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	size_t i = 0;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[3];
		if (split_fields(line, f, 3) < 2)
			return scrape_fail(s, "invalid line in %s: '%.60s'", path, line);
		double v;
		int64_t iv;
		if (parse_i64(f[1], &iv) == 0)
			v = (double)iv;
		else if (parse_double(f[1], &v) < 0)
			return scrape_fail(s, "invalid value '%s' for %s in %s", f[1], f[0], path);
		if (!field_filter_wants(ff, i++, NULL, 0, f[0]))
			continue;
		char name[192], help[192];
		strf(name, sizeof name, "node_vmstat_%s", f[0]);
		strf(help, sizeof help, "Field %s of /proc/vmstat.", f[0]);
		expo_single(e, name, METRIC_UNTYPED, help, v);
	}
	return COLLECT_OK;
}

const struct collector_def collector_vmstat = {
	.name = "vmstat",
	.default_enabled = true,
	.flags = vmstat_flags,
	.nflags = sizeof vmstat_flags / sizeof vmstat_flags[0],
	.init = vmstat_init,
	.collect = vmstat_collect,
	.fini = vmstat_fini,
};
