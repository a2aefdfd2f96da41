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

#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../node.h"

static const char *fields_flag;

static struct flag vmstat_flags[] = {
	{ "collector.vmstat.fields", FLAG_STRING, &fields_flag, "^(oom_kill|pgpg|pswp|pg.*fault).*",
	  "Regexp of fields to return for vmstat collector.", NULL, 0, false },
};

struct verdict {
	char name[64];
	bool match;
};

struct vmstat_state {
	struct rx *fields;
	struct verdict *cache;
	size_t ncache, cap;
};

static void vmstat_fini(void *state)
{
	struct vmstat_state *st = state;
	if (!st)
		return;
	rx_free(st->fields);
	free(st->cache);
	free(st);
}

static int vmstat_init(void **state, char *err, size_t errlen)
{
	struct vmstat_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	char rxerr[300];
	if (!(st->fields = rx_compile(fields_flag, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.vmstat.fields: %s", rxerr);
		free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* Whether field number i, called name, is wanted. */
static bool wanted(struct vmstat_state *st, size_t i, const char *name)
{
	size_t len = strlen(name);
	if (i < st->ncache && strcmp(st->cache[i].name, name) == 0)
		return st->cache[i].match;
	bool match = rx_match(st->fields, name);
	if (len >= sizeof st->cache[0].name)
		return match;
	if (i >= st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		while (cap <= i)
			cap *= 2;
		struct verdict *p = realloc(st->cache, cap * sizeof *p);
		if (!p)
			return match;
		st->cache = p;
		st->cap = cap;
	}
	while (st->ncache <= i)
		st->cache[st->ncache++].name[0] = '\0';
	memcpy(st->cache[i].name, name, len + 1);
	st->cache[i].match = match;
	return match;
}

static int vmstat_collect(struct scrape *s, struct expo *e)
{
	struct vmstat_state *st = s->state;
	char path[4096];
	if (proc_path(path, sizeof path, "vmstat") < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));

	size_t i = 0;
	char *cur = b->data, *line;
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
		if (!wanted(st, i++, f[0]))
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
