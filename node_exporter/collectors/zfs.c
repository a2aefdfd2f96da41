/*
 * zfs: OpenZFS kstats from /proc/spl/kstat/zfs. Every numeric row of the
 * global kstat files becomes an untyped node_zfs_<subsystem>_<name>; per
 * pool, the io kstat (node_zfs_zpool_*{zpool}), the objset-* kstats
 * (node_zfs_zpool_dataset_*{zpool,dataset}) and the pool state
 * (node_zfs_zpool_state{zpool,state}). Without ZFS: no data. Parsing
 * follows upstream: a kstat file that is missing is skipped, one with a bad
 * number fails the collector.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const struct {
	const char *subsystem, *file;
} kstats[] = {
	{ "zfs_abd", "abdstats" },
	{ "zfs_arc", "arcstats" },
	{ "zfs_dbuf", "dbufstats" },
	{ "zfs_dmu_tx", "dmu_tx" },
	{ "zfs_dnode", "dnodestats" },
	{ "zfs_fm", "fm" },
	{ "zfs_vdev_cache", "vdev_cache_stats" }, /* gone from newer OpenZFS */
	{ "zfs_vdev_mirror", "vdev_mirror_stats" },
	{ "zfs_xuio", "xuio_stats" },
	{ "zfs_zfetch", "zfetchstats" },
	{ "zfs_zil", "zil" },
};

static const char *const pool_states[] = { "online",  "degraded", "faulted",  "offline",
					   "removed", "unavail",  "suspended" };

/* The metric name part of a kstat row name: after the last '.', with '-' as '_'. */
static void metric_part(const char *kstat, char *dst, size_t cap)
{
	const char *dot = strrchr(kstat, '.');
	strf(dst, cap, "%s", dot ? dot + 1 : kstat);
	for (char *p = dst; *p; p++)
		if (*p == '-')
			*p = '_';
}

static bool is_header(char *line)
{
	char *f[4];
	char copy[256];
	strf(copy, sizeof copy, "%s", line);
	return split_fields(copy, f, 4) == 3 && !strcmp(f[0], "name") && !strcmp(f[1], "type") &&
	       !strcmp(f[2], "data");
}

/* A global kstat file: "name type data" rows after the header. */
static int global_kstat(struct scrape *s, struct expo *e, const char *dir, size_t k)
{
	char path[4200];
	if (pathf(path, sizeof path, "%s/%s", dir, kstats[k].file) < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	if (scrape_read(s, path, b) < 0)
		return COLLECT_OK; /* this ZFS version lacks the file: fine */
	bool started = false;
	char *cur = b->data, *line;
	while ((line = next_line(&cur))) {
		if (!started) {
			started = is_header(line);
			continue;
		}
		char *f[3];
		if (split_fields(line, f, 3) < 3)
			continue;
		/* Only 64-bit integer rows (KSTAT_DATA_INT64 = 3, UINT64 = 4). */
		double value;
		if (!strcmp(f[1], "4")) {
			uint64_t u;
			if (parse_u64(f[2], &u) < 0)
				return scrape_fail(s, "invalid unsigned value for %s in %s", f[0], path);
			value = (double)u;
		} else if (!strcmp(f[1], "3")) {
			int64_t i;
			if (parse_i64(f[2], &i) < 0)
				return scrape_fail(s, "invalid signed value for %s in %s", f[0], path);
			value = (double)i;
		} else {
			continue;
		}
		char part[256], name[320], help[400];
		metric_part(f[0], part, sizeof part);
		strf(name, sizeof name, "node_%s_%s", kstats[k].subsystem, part);
		strf(help, sizeof help, "ZFS kstat %s of %s.", f[0], kstats[k].file);
		expo_single(e, name, METRIC_UNTYPED, help, value);
	}
	if (!started)
		return scrape_fail(s, "no kstat header in %s", path);
	return COLLECT_OK;
}

/* <pool>/io: a header row of field names (starting with nread), then values. */
static int pool_io(struct scrape *s, struct expo *e, const char *path, const char *pool)
{
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *names[64];
	size_t nnames = 0;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		if (!nnames) {
			char *f[64];
			size_t nf = split_fields(line, f, 64);
			if (nf >= 12 && nf <= 64 && !strcmp(f[0], "nread")) {
				memcpy(names, f, nf * sizeof *f);
				nnames = nf;
			}
			continue;
		}
		char *v[64];
		size_t nv = split_fields(line, v, 64);
		if (nv < nnames)
			return scrape_fail(s, "too few values in %s", path);
		for (size_t i = 0; i < nnames; i++) {
			uint64_t u;
			if (parse_u64(v[i], &u) < 0)
				return scrape_fail(s, "invalid value for %s in %s", names[i], path);
			char name[320], help[400];
			strf(name, sizeof name, "node_zfs_zpool_%s", names[i]);
			strf(help, sizeof help, "ZFS pool kstat %s of io.", names[i]);
			struct family *f = expo_family(e, name, METRIC_UNTYPED, help,
						       (const char *const[]){ "zpool", NULL });
			expo_sample(e, f, (double)u, pool);
		}
	}
	return COLLECT_OK;
}

/* <pool>/objset-*: the dataset name, then its counters. */
static int pool_objset(struct scrape *s, struct expo *e, const char *path, const char *pool)
{
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	bool started = false;
	const char *zpool = "";
	char dataset[4096] = "";
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		if (!started) {
			started = is_header(line);
			continue;
		}
		/* The dataset name may contain spaces: keep the raw line around. */
		char raw[4096];
		strf(raw, sizeof raw, "%s", line);
		char *f[3];
		if (split_fields(line, f, 3) < 3)
			continue;
		if (!strcmp(f[0], "dataset_name")) {
			zpool = pool;
			/* From the first occurrence of the third field to the end of the line. */
			const char *at = strstr(raw, f[2]);
			strf(dataset, sizeof dataset, "%s", at ? at : "");
			continue;
		}
		if (strcmp(f[1], "4") != 0)
			continue;
		uint64_t u;
		if (parse_u64(f[2], &u) < 0)
			return scrape_fail(s, "invalid value for %s in %s", f[0], path);
		char part[256], name[320], help[400];
		metric_part(f[0], part, sizeof part);
		strf(name, sizeof name, "node_zfs_zpool_dataset_%s", part);
		strf(help, sizeof help, "ZFS dataset kstat %s.", f[0]);
		struct family *fam = expo_family(e, name, METRIC_UNTYPED, help,
						 (const char *const[]){ "zpool", "dataset", NULL });
		expo_sample(e, fam, (double)u, zpool, dataset);
	}
	if (!started)
		return scrape_fail(s, "no kstat header in %s", path);
	return COLLECT_OK;
}

/* <pool>/state: the first line, case-insensitively one of pool_states. */
static int pool_state(struct scrape *s, struct expo *e, const char *path, const char *pool)
{
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *cur = text;
	char empty[1] = "";
	char *first = next_line(&cur);
	if (!first)
		first = empty;
	size_t n = strlen(first);
	if (n && first[n - 1] == '\r')
		first[n - 1] = '\0'; /* a line scanner drops the CR of CRLF */
	for (char *p = first; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	struct family *f = expo_family(e, "node_zfs_zpool_state", METRIC_GAUGE,
				       "1 for the pool's current state, 0 for the other states.",
				       (const char *const[]){ "zpool", "state", NULL });
	for (size_t i = 0; i < sizeof pool_states / sizeof pool_states[0]; i++)
		expo_sample(e, f, strcmp(first, pool_states[i]) == 0 ? 1 : 0, pool, pool_states[i]);
	return COLLECT_OK;
}

static int zfs_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (proc_path(dir, sizeof dir, "spl/kstat/zfs") < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	if (scrape_dirlist(s, dir, &dl) < 0)
		return COLLECT_NODATA; /* ZFS module not loaded */

	int rc = COLLECT_OK;
	for (size_t k = 0; k < sizeof kstats / sizeof kstats[0] && rc == COLLECT_OK; k++)
		rc = global_kstat(s, e, dir, k);

	/* All pools' io, then their objsets, then their states, as upstream's three globs. */
	for (int pass = 0; pass < 3 && rc == COLLECT_OK; pass++) {
		for (size_t i = 0; i < dl.n && rc == COLLECT_OK; i++) {
			char path[4200];
			if (pass != 1) {
				if (pathf(path, sizeof path, "%s/%s/%s", dir, dl.names[i],
					  pass == 0 ? "io" : "state") < 0 ||
				    access(path, F_OK) < 0)
					continue;
				rc = pass == 0 ? pool_io(s, e, path, dl.names[i])
					       : pool_state(s, e, path, dl.names[i]);
				continue;
			}
			char pooldir[4200];
			struct dirlist objs;
			if (pathf(pooldir, sizeof pooldir, "%s/%s", dir, dl.names[i]) < 0 ||
			    scrape_dirlist(s, pooldir, &objs) < 0)
				continue;
			for (size_t j = 0; j < objs.n && rc == COLLECT_OK; j++) {
				if (!has_prefix(objs.names[j], "objset-") ||
				    pathf(path, sizeof path, "%s/%s", pooldir, objs.names[j]) < 0)
					continue;
				rc = pool_objset(s, e, path, dl.names[i]);
			}
			dirlist_free(&objs);
		}
	}
	dirlist_free(&dl);
	return rc;
}

const struct collector_def collector_zfs = {
	.name = "zfs",
	.default_enabled = true,
	.collect = zfs_collect,
};
