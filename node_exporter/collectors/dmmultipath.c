/*
 * dmmultipath: device-mapper multipath maps, found as /sys/block/dm-*
 * whose dm/uuid starts with "mpath-": size, suspension and the state of
 * each path (the devices in slaves/). A path is active when its SCSI
 * device is "running" or its NVMe controller "live".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

struct mpath_path {
	const char *dev;
	char state[SYSFS_VAL];
};

struct mpath {
	const char *sysfs_name;
	char name[SYSFS_VAL], uuid[SYSFS_VAL];
	bool suspended;
	uint64_t bytes;
	struct sysfs_dir slaves;
	struct mpath_path *paths;
};

static int mp_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err) || sysfs_eperm(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

/* upstream's ReadUintFromFile: whole file, trimmed, decimal. */
static int mp_uint(struct scrape *s, const char *path, uint64_t *v)
{
	char text[256];
	ssize_t n = sysfs_file(s, path, text, sizeof text, true);
	if (n < 0)
		return mp_error(s, n, path);
	if (parse_u64(text, v) < 0)
		return scrape_fail(s, "invalid value '%s' in %s", text, path);
	return COLLECT_OK;
}

static int mp_read(struct scrape *s, const char *block, struct mpath *m)
{
	char path[4096];
	uint64_t v;
	if (pathf(path, sizeof path, "%s/%s/dm/name", block, m->sysfs_name) < 0)
		return scrape_fail(s, "path too long");
	ssize_t n = sysfs_attr(s, path, m->name, sizeof m->name);
	if (n < 0)
		return mp_error(s, n, path);
	if (pathf(path, sizeof path, "%s/%s/dm/suspended", block, m->sysfs_name) < 0)
		return scrape_fail(s, "path too long");
	int rc = mp_uint(s, path, &v);
	if (rc != COLLECT_OK)
		return rc;
	m->suspended = v == 1;
	if (pathf(path, sizeof path, "%s/%s/size", block, m->sysfs_name) < 0)
		return scrape_fail(s, "path too long");
	rc = mp_uint(s, path, &v);
	if (rc != COLLECT_OK)
		return rc;
	m->bytes = v * 512; /* sectors */

	if (pathf(path, sizeof path, "%s/%s/slaves", block, m->sysfs_name) < 0)
		return scrape_fail(s, "path too long");
	rc = sysfs_dir_read(s, path, &m->slaves);
	if (rc == -ENOENT)
		return COLLECT_OK; /* no paths */
	if (rc < 0)
		return mp_error(s, rc, path);
	m->paths = calloc(m->slaves.n ? m->slaves.n : 1, sizeof *m->paths);
	if (!m->paths)
		return scrape_fail(s, "out of memory");
	for (size_t i = 0; i < m->slaves.n; i++) {
		struct mpath_path *p = &m->paths[i];
		p->dev = m->slaves.ents[i].name;
		if (pathf(path, sizeof path, "%s/%s/device/state", block, p->dev) < 0)
			return scrape_fail(s, "path too long");
		n = sysfs_attr(s, path, p->state, sizeof p->state);
		if (n < 0)
			return mp_error(s, n, path);
	}
	return COLLECT_OK;
}

static int dmmultipath_collect(struct scrape *s, struct expo *e)
{
	char block[4096], path[4096];
	if (sys_path(block, sizeof block, "block") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, block, &d);
	if (rc < 0)
		return mp_error(s, rc, block);

	/* All maps or none, as upstream. */
	struct mpath *maps = calloc(d.n ? d.n : 1, sizeof *maps);
	size_t nm = 0;
	if (!maps) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		const char *name = d.ents[i].name;
		if (strncmp(name, "dm-", 3) != 0)
			continue;
		struct mpath *m = &maps[nm];
		if (pathf(path, sizeof path, "%s/%s/dm/uuid", block, name) < 0) {
			rc = scrape_fail(s, "path too long");
			goto out;
		}
		ssize_t n = sysfs_attr(s, path, m->uuid, sizeof m->uuid);
		if (n == -ENOENT)
			continue; /* not a device-mapper device */
		if (n < 0) {
			rc = mp_error(s, n, path);
			goto out;
		}
		if (strncmp(m->uuid, "mpath-", 6) != 0)
			continue;
		m->sysfs_name = name;
		nm++;
		rc = mp_read(s, block, m);
		if (rc != COLLECT_OK)
			goto out;
	}

	const char *const l_dev[] = { "device", "sysfs_name", NULL };
	struct family *finfo = expo_family(e, "node_dmmultipath_device_info", METRIC_GAUGE,
					   "Constant 1, labelled with the multipath map's name and DM UUID.",
					   (const char *const[]){ "device", "sysfs_name", "uuid", NULL });
	struct family *factive = expo_family(e, "node_dmmultipath_device_active", METRIC_GAUGE,
					     "1 if the multipath map is active, 0 if it is suspended.", l_dev);
	struct family *fsize = expo_family(e, "node_dmmultipath_device_size_bytes", METRIC_GAUGE,
					   "Size of the multipath map, in bytes.", l_dev);
	struct family *fpaths = expo_family(e, "node_dmmultipath_device_paths", METRIC_GAUGE,
					    "Paths of the multipath map.", l_dev);
	struct family *fup = expo_family(e, "node_dmmultipath_device_paths_active", METRIC_GAUGE,
					 "Paths of the multipath map in an active state (SCSI running, NVMe live).",
					 l_dev);
	struct family *fdown = expo_family(e, "node_dmmultipath_device_paths_failed", METRIC_GAUGE,
					   "Paths of the multipath map in any other state.", l_dev);
	struct family *fstate = expo_family(e, "node_dmmultipath_path_state", METRIC_GAUGE,
					    "Constant 1, labelled with the device state of a multipath path.",
					    (const char *const[]){ "device", "path", "state", NULL });
	for (size_t i = 0; i < nm; i++) {
		const struct mpath *m = &maps[i];
		expo_sample(e, finfo, 1, m->name, m->sysfs_name, m->uuid);
		expo_sample(e, factive, m->suspended ? 0 : 1, m->name, m->sysfs_name);
		expo_sample(e, fsize, (double)m->bytes, m->name, m->sysfs_name);
		unsigned up = 0, down = 0;
		for (size_t k = 0; k < m->slaves.n; k++) {
			const struct mpath_path *p = &m->paths[k];
			if (!strcmp(p->state, "running") || !strcmp(p->state, "live"))
				up++;
			else
				down++;
			expo_sample(e, fstate, 1, m->name, p->dev, p->state);
		}
		expo_sample(e, fpaths, (double)m->slaves.n, m->name, m->sysfs_name);
		expo_sample(e, fup, up, m->name, m->sysfs_name);
		expo_sample(e, fdown, down, m->name, m->sysfs_name);
	}
	rc = COLLECT_OK;
out:
	for (size_t i = 0; i < d.n; i++) {
		free(maps[i].paths);
		sysfs_dir_free(&maps[i].slaves);
	}
	free(maps);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_dmmultipath = {
	.name = "dmmultipath",
	.default_enabled = true,
	.collect = dmmultipath_collect,
};
