/*
 * sysctl: the kernel parameters named by --collector.sysctl.include (numbers,
 * as untyped node_sysctl_<name>) and --collector.sysctl.include-info (text,
 * as node_sysctl_info{name,value,index}), read from /proc/sys like
 * procfs' SysReadFile (the first 128 bytes). A parameter with several
 * values gets an index label, or one family per value when the flag names
 * them: "fs.file-nr:total,current,max".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static struct strlist include_numeric, include_info;

static struct flag sysctl_flags[] = {
	{ .name = "collector.sysctl.include", .type = FLAG_LIST, .dest = &include_numeric,
	  .help = "Select sysctl metrics to include (numeric values; name or name:key1,key2,... for one metric per value)." },
	{ .name = "collector.sysctl.include-info", .type = FLAG_LIST, .dest = &include_info,
	  .help = "Select sysctl metrics to include as info metrics (text values)." },
};

/* Values one parameter may have (kernel.seccomp.actions_avail has 8; 128 bytes hold at most 64). */
#define SYSCTL_MAX_VALUES 64

struct sysctl_item {
	bool numeric;
	char *name; /* "fs.file-nr" */
	char metric[256]; /* "fs_file_nr", sanitized */
	size_t nkeys;
	char **keys; /* into name's allocation */
};

struct sysctl_state {
	size_t n;
	struct sysctl_item *items;
};

static void sysctl_fini(void *state)
{
	struct sysctl_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->items[i].name);
		free(st->items[i].keys);
	}
	free(st->items);
	free(st);
}

static int sysctl_item_init(struct sysctl_item *it, const char *spec, bool numeric)
{
	it->numeric = numeric;
	if (!(it->name = strdup(spec)))
		return -1;
	char *colon = strchr(it->name, ':');
	if (colon) {
		*colon = '\0';
		/* strings.Split: "a,,b" has an empty key, "" one empty key. */
		size_t n = 1;
		for (const char *p = colon + 1; *p; p++)
			n += *p == ',';
		if (!(it->keys = calloc(n, sizeof *it->keys)))
			return -1;
		it->nkeys = split_on(colon + 1, ',', it->keys, n);
	}
	sysfs_sanitize_name(it->name, it->metric, sizeof it->metric);
	return 0;
}

static int sysctl_init(void **state, char *err, size_t errlen)
{
	struct sysctl_state *st = calloc(1, sizeof *st);
	size_t total = include_numeric.n + include_info.n;
	if (!st || (total && !(st->items = calloc(total, sizeof *st->items)))) {
		free(st);
		strf(err, errlen, "sysctl: out of memory");
		return -1;
	}
	*state = st;
	for (size_t i = 0; i < total; i++) {
		bool numeric = i < include_numeric.n;
		const char *spec = numeric ? include_numeric.items[i] : include_info.items[i - include_numeric.n];
		st->n++;
		if (sysctl_item_init(&st->items[i], spec, numeric) < 0) {
			strf(err, errlen, "sysctl: out of memory");
			sysctl_fini(st);
			*state = NULL;
			return -1;
		}
	}
	return 0;
}

static int sysctl_one(struct scrape *s, struct expo *e, const struct sysctl_item *it)
{
	char rel[4096], path[4096];
	strf(rel, sizeof rel, "sys/%s", it->name);
	for (char *p = rel; *p; p++)
		if (*p == '.')
			*p = '/';
	if (proc_path(path, sizeof path, "%s", rel) < 0)
		return scrape_fail(s, "path too long");
	char text[SYSFS_VAL];
	ssize_t len = sysfs_attr(s, path, text, sizeof text);
	if (len < 0)
		return scrape_fail(s, "error obtaining sysctl info: %s: %s", path, strerror((int)-len));
	char *vals[SYSCTL_MAX_VALUES];
	size_t n = split_fields(text, vals, SYSCTL_MAX_VALUES);
	if (n > SYSCTL_MAX_VALUES)
		return scrape_fail(s, "sysctl %s has too many values", it->name);
	int64_t num[SYSCTL_MAX_VALUES];
	for (size_t i = 0; it->numeric && i < n; i++)
		if (sysfs_parse_int(vals[i], &num[i]) < 0)
			return scrape_fail(s, "error obtaining sysctl info: field %zu in sysctl %s is not a valid int",
					   i, it->name);
	if (n == 0)
		return scrape_fail(s, "sysctl %s has no values", it->name);
	if (n == 1 && it->nkeys)
		return scrape_fail(s, "sysctl %s has only one value, but keys were given", it->name);
	if (n > 1 && it->nkeys && n != it->nkeys)
		return scrape_fail(s, "sysctl %s has %zu values but %zu keys were given", it->name, n, it->nkeys);
	if (n > 1 && it->nkeys && !it->numeric)
		return scrape_fail(s, "sysctl %s: keys are not supported for text values", it->name);

	char name[512], help[512];
	if (!it->numeric) {
		struct family *f = expo_family(e, "node_sysctl_info", METRIC_GAUGE,
					       "Text values of sysctl parameters (value 1).",
					       (const char *const[]){ "name", "value", "index", NULL });
		for (size_t i = 0; i < n; i++) {
			char idx[24];
			strf(idx, sizeof idx, "%zu", i);
			expo_sample(e, f, 1, it->name, vals[i], idx);
		}
		return COLLECT_OK;
	}
	if (n == 1 || !it->nkeys) {
		strf(name, sizeof name, "node_sysctl_%s", it->metric);
		strf(help, sizeof help, "sysctl %s", it->name);
		if (n == 1) {
			expo_single(e, name, METRIC_UNTYPED, help, (double)num[0]);
			return COLLECT_OK;
		}
		struct family *f = expo_family(e, name, METRIC_UNTYPED, help, (const char *const[]){ "index", NULL });
		for (size_t i = 0; i < n; i++) {
			char idx[24];
			strf(idx, sizeof idx, "%zu", i);
			expo_sample(e, f, (double)num[i], idx);
		}
		return COLLECT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		strf(name, sizeof name, "node_sysctl_%s_%s", it->metric, it->keys[i]);
		strf(help, sizeof help, "sysctl %s, field %zu", it->name, i);
		expo_single(e, name, METRIC_UNTYPED, help, (double)num[i]);
	}
	return COLLECT_OK;
}

static int sysctl_collect(struct scrape *s, struct expo *e)
{
	struct sysctl_state *st = s->state;
	for (size_t i = 0; i < st->n; i++) {
		int rc = sysctl_one(s, e, &st->items[i]);
		if (rc != COLLECT_OK)
			return rc;
	}
	return COLLECT_OK;
}

const struct collector_def collector_sysctl = {
	.name = "sysctl",
	.default_enabled = false,
	.flags = sysctl_flags,
	.nflags = sizeof sysctl_flags / sizeof sysctl_flags[0],
	.init = sysctl_init,
	.collect = sysctl_collect,
	.fini = sysctl_fini,
};
