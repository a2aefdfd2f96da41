/*
 * meminfo_numa: memory of each NUMA node, from
 * /sys/devices/system/node/node<N>/meminfo ("Node 0 MemTotal: 134182340 kB",
 * kB exported in bytes, under upstream's names without a unit suffix) and
 * numastat ("numa_hit 193460335812", counters). Both files are required
 * for every node directory.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* "Active(anon)" -> "Active_anon": upstream's regexp \((.*)\) -> _$1, the colon dropped. */
static void numa_field_name(const char *field, char *dst, size_t cap)
{
	size_t n = strlen(field);
	while (n && field[n - 1] == ':')
		n--;
	const char *open = memchr(field, '(', n), *close = NULL;
	for (const char *p = field + n; open && p > open; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	if (!open || !close) {
		strf(dst, cap, "%.*s", (int)n, field);
		return;
	}
	strf(dst, cap, "%.*s_%.*s%.*s", (int)(open - field), field, (int)(close - open - 1), open + 1,
	     (int)(field + n - close - 1), close + 1);
}

static int numa_meminfo(struct scrape *s, struct expo *e, const char *dir)
{
	char path[4096], *text;
	if (strf(path, sizeof path, "%s/meminfo", dir) >= (int)sizeof path)
		return scrape_fail(s, "path too long");
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	for (char *cur = text, *line; (line = next_line(&cur));) {
		char *fld[6];
		size_t nf = split_fields(line, fld, 6);
		if (nf == 0)
			continue;
		double v;
		if (nf < 4 || parse_double(fld[3], &v) < 0)
			return scrape_fail(s, "invalid line in %s: '%.60s'", path, fld[0]);
		if (nf == 5 && !strcmp(fld[4], "kB"))
			v *= 1024;
		else if (nf != 4)
			return scrape_fail(s, "invalid line in %s: '%.60s'", path, fld[2]);
		char field[128], name[192], help[192];
		numa_field_name(fld[2], field, sizeof field);
		strf(name, sizeof name, "node_memory_numa_%s", field);
		strf(help, sizeof help, "Field %s of the NUMA node's meminfo.", field);
		struct family *f = expo_family(e, name, METRIC_GAUGE, help, (const char *const[]){ "node", NULL });
		expo_sample(e, f, v, fld[1]);
	}
	return COLLECT_OK;
}

static int numa_numastat(struct scrape *s, struct expo *e, const char *dir, const char *node)
{
	char path[4096], *text;
	if (strf(path, sizeof path, "%s/numastat", dir) >= (int)sizeof path)
		return scrape_fail(s, "path too long");
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	for (char *cur = text, *line; (line = next_line(&cur));) {
		char *fld[2];
		size_t nf = split_fields(line, fld, 2);
		if (nf == 0)
			continue;
		double v;
		if (nf != 2 || parse_double(fld[1], &v) < 0)
			return scrape_fail(s, "invalid line in %s: '%.60s'", path, fld[0]);
		char name[192], help[192];
		strf(name, sizeof name, "node_memory_numa_%s_total", fld[0]);
		strf(help, sizeof help, "Field %s of the NUMA node's numastat.", fld[0]);
		struct family *f = expo_family(e, name, METRIC_COUNTER, help, (const char *const[]){ "node", NULL });
		expo_sample(e, f, v, node);
	}
	return COLLECT_OK;
}

static int numa_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "devices/system/node") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list_optional(s, base, &d);
	if (rc != COLLECT_OK)
		return rc;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		const char *name = d.ents[i].name;
		if (!sysfs_glob_digit(name, "node"))
			continue;
		char dir[4096];
		if (strf(dir, sizeof dir, "%s/%s", base, name) >= (int)sizeof dir) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		/* The node number is the leading digits after "node". */
		char node[32];
		size_t k = 0;
		for (const char *p = name + 4; *p >= '0' && *p <= '9' && k + 1 < sizeof node; p++)
			node[k++] = *p;
		node[k] = '\0';
		rc = numa_meminfo(s, e, dir);
		if (rc == COLLECT_OK)
			rc = numa_numastat(s, e, dir, node);
	}
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_meminfo_numa = {
	.name = "meminfo_numa",
	.default_enabled = false,
	.collect = numa_collect,
};
