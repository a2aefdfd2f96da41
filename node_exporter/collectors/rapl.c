/*
 * rapl: energy counters of the RAPL power zones in /sys/class/powercap.
 * Each zone is node_rapl_<zone name>_joules_total{index,path}, or with
 * --collector.rapl.enable-zone-label one node_rapl_joules_total family
 * with a rapl_zone label. energy_uj is root-only on current kernels; as
 * upstream, a permission error means "no data".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static bool rapl_zone_label;

static struct flag rapl_flags[] = {
	{ .name = "collector.rapl.enable-zone-label", .type = FLAG_BOOL, .dest = &rapl_zone_label,
	  .help = "Export all RAPL zones as node_rapl_joules_total with a rapl_zone label." },
};

struct zone {
	char name[SYSFS_VAL];
	char index[24];
	char path[4096];
};

static int rapl_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err) || sysfs_eperm(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

/* Name usage counts, for zones whose name carries no "-<index>". */
struct name_count {
	const char *name;
	long count;
};

static int rapl_collect(struct scrape *s, struct expo *e)
{
	char dir[4096], path[4096];
	if (sys_path(dir, sizeof dir, "class/powercap") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return rapl_error(s, rc, dir);

	struct zone *zones = calloc(d.n ? d.n : 1, sizeof *zones);
	struct name_count *counts = calloc(d.n ? d.n : 1, sizeof *counts);
	size_t nz = 0, nc = 0;
	if (!zones || !counts) {
		rc = scrape_fail(s, "out of memory");
		goto out;
	}
	/* The zones: every entry with a readable "name" file. */
	for (size_t i = 0; i < d.n; i++) {
		struct zone *z = &zones[nz];
		char raw[256];
		if (pathf(path, sizeof path, "%s/%s/name", dir, d.ents[i].name) < 0 ||
		    sysfs_file(s, path, raw, sizeof raw, true) < 0)
			continue;
		/* "package-0" carries its index; a plain "dram" is numbered by count. */
		long index = -1;
		char *dash = strchr(raw, '-');
		int64_t idx;
		if (dash && !strchr(dash + 1, '-') && parse_i64(dash + 1, &idx) == 0) {
			*dash = '\0';
			index = (long)idx;
		}
		strf(z->name, sizeof z->name, "%.*s", SYSFS_ATTR_MAX, raw);
		struct name_count *c = NULL;
		for (size_t k = 0; k < nc; k++)
			if (strcmp(counts[k].name, z->name) == 0)
				c = &counts[k];
		if (index < 0)
			index = c ? c->count : 0;
		if (!c) {
			c = &counts[nc++];
			c->name = z->name;
		}
		c->count = index + 1;
		strf(z->index, sizeof z->index, "%ld", index);
		if (pathf(z->path, sizeof z->path, "%s/%s", dir, d.ents[i].name) < 0 ||
		    pathf(path, sizeof path, "%s/max_energy_range_uj", z->path) < 0) {
			rc = scrape_fail(s, "path too long");
			goto out;
		}
		/* Not exported, but upstream reads it and fails without it. */
		uint64_t max;
		rc = sysfs_read_uint(s, path, &max);
		if (rc == -EBADMSG) {
			rc = scrape_fail(s, "invalid value in %s", path);
			goto out;
		}
		if (rc < 0) {
			rc = rapl_error(s, rc, path);
			goto out;
		}
		nz++;
	}

	for (size_t i = 0; i < nz; i++) {
		const struct zone *z = &zones[i];
		uint64_t uj;
		if (pathf(path, sizeof path, "%s/energy_uj", z->path) < 0) {
			rc = scrape_fail(s, "path too long");
			goto out;
		}
		rc = sysfs_read_uint(s, path, &uj);
		if (rc < 0 && sysfs_eperm(rc)) {
			rc = COLLECT_NODATA;
			goto out;
		}
		if (rc < 0) {
			rc = rc == -EBADMSG ? scrape_fail(s, "invalid value in %s", path)
					    : scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));
			goto out;
		}
		double joules = (double)uj / 1000000.0;
		if (rapl_zone_label) {
			struct family *f = expo_family(e, "node_rapl_joules_total", METRIC_COUNTER,
						       "Energy counter of the RAPL zone, in joules.",
						       (const char *const[]){ "index", "path", "rapl_zone", NULL });
			expo_sample(e, f, joules, z->index, z->path, z->name);
		} else {
			char clean[SYSFS_VAL], name[256], help[256];
			sysfs_sanitize_name(z->name, clean, sizeof clean);
			strf(name, sizeof name, "node_rapl_%s_joules_total", clean);
			strf(help, sizeof help, "Energy counter of the RAPL %s zone, in joules.", clean);
			struct family *f = expo_family(e, name, METRIC_COUNTER, help,
						       (const char *const[]){ "index", "path", NULL });
			expo_sample(e, f, joules, z->index, z->path);
		}
	}
	rc = COLLECT_OK;
out:
	free(zones);
	free(counts);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_rapl = {
	.name = "rapl",
	.default_enabled = true,
	.flags = rapl_flags,
	.nflags = sizeof rapl_flags / sizeof rapl_flags[0],
	.collect = rapl_collect,
};
