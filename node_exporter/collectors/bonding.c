/*
 * bonding: configured and active slaves of each Linux bonding master, from
 * /sys/class/net/bonding_masters and each master's bonding/slaves. A slave
 * is active when its bonding_slave/mii_status reads "up" (under
 * lower_<slave>/, or slave_<slave>/ on older kernels).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/sysfs.h"

/* Any missing file means "no bonding here", as upstream's ErrNoData. */
static int bonding_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

static int bonding_collect(struct scrape *s, struct expo *e)
{
	char dir[4096], path[4096];
	if (sys_path(dir, sizeof dir, "class/net") < 0 || pathf(path, sizeof path, "%s/bonding_masters", dir) < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc < 0)
		return bonding_error(s, rc, path);

	/* Like upstream, report all masters or none: count first, emit after. */
	struct bond {
		const char *name;
		unsigned total, up;
	} *bonds = NULL;
	size_t nbonds = 0, cap = 0;
	char *cur = b->data, *master;
	while ((master = sysfs_next_field(&cur))) {
		char slaves[4096];
		if (pathf(path, sizeof path, "%s/%s/bonding/slaves", dir, master) < 0) {
			rc = scrape_fail(s, "path too long");
			goto out;
		}
		ssize_t n = scrape_read_small(s, path, slaves, sizeof slaves);
		if (n < 0) {
			rc = bonding_error(s, n, path);
			goto out;
		}
		unsigned total = 0, up = 0;
		char *scur = slaves, *slave;
		while ((slave = sysfs_next_field(&scur))) {
			char state[SYSFS_VAL];
			n = -ENAMETOOLONG;
			if (pathf(path, sizeof path, "%s/%s/lower_%s/bonding_slave/mii_status", dir, master,
				  slave) == 0)
				n = sysfs_file(s, path, state, sizeof state, true);
			if (n == -ENOENT &&
			    pathf(path, sizeof path, "%s/%s/slave_%s/bonding_slave/mii_status", dir, master,
				  slave) == 0)
				n = sysfs_file(s, path, state, sizeof state, true);
			if (n < 0) {
				rc = bonding_error(s, n, path);
				goto out;
			}
			total++;
			if (strcmp(state, "up") == 0)
				up++;
		}
		struct bond *bd = sysfs_grow(&bonds, &nbonds, &cap, sizeof *bonds);
		if (!bd) {
			rc = scrape_fail(s, "out of memory");
			goto out;
		}
		*bd = (struct bond){ master, total, up };
	}

	struct family *fslaves = expo_family(e, "node_bonding_slaves", METRIC_GAUGE,
					     "Number of slaves configured on the bonding master.",
					     (const char *const[]){ "master", NULL });
	struct family *factive = expo_family(e, "node_bonding_active", METRIC_GAUGE,
					     "Number of slaves of the bonding master whose MII status is up.",
					     (const char *const[]){ "master", NULL });
	for (size_t i = 0; i < nbonds; i++) {
		expo_sample(e, fslaves, bonds[i].total, bonds[i].name);
		expo_sample(e, factive, bonds[i].up, bonds[i].name);
	}
	rc = COLLECT_OK;
out:
	free(bonds);
	return rc;
}

const struct collector_def collector_bonding = {
	.name = "bonding",
	.default_enabled = true,
	.collect = bonding_collect,
};
