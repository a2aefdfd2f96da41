/*
 * thermal_zone: temperatures of /sys/class/thermal/thermal_zone* and the
 * throttle states of /sys/class/thermal/cooling_device*.
 *
 * As upstream, a host without the class directory is simply reported with
 * no series (success 1), and cooling devices whose attributes cannot be
 * read for the usual reasons (missing, permission, EINVAL, EOPNOTSUPP) are
 * skipped. A zone whose temperature cannot be read or parsed is left out
 * rather than reported as 0 degrees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

struct cooling {
	const char *name;
	char type[SYSFS_VAL];
	int64_t cur, max;
};

/*
 * One cooling device: 0, 1 if it is to be skipped (an ignorable read
 * error), or COLLECT_ERROR.
 */
static int read_cooling(struct scrape *s, const char *dir, const char *entry, struct cooling *c)
{
	char path[4096], value[SYSFS_VAL];
	static const char *const files[] = { "type", "max_state", "cur_state" };
	for (size_t i = 0; i < 3; i++) {
		if (pathf(path, sizeof path, "%s/%s/%s", dir, entry, files[i]) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = sysfs_attr(s, path, i == 0 ? c->type : value, SYSFS_VAL);
		if (n < 0 && sysfs_ignorable(n))
			return 1;
		if (n < 0)
			return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
		if (i > 0 && parse_i64(value, i == 1 ? &c->max : &c->cur) < 0)
			return scrape_fail(s, "invalid value '%s' in %s", value, path);
	}
	return 0;
}

static int thermal_zone_collect(struct scrape *s, struct expo *e)
{
	char dir[4096], path[4096];
	if (sys_path(dir, sizeof dir, "class/thermal") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	/* An unreadable directory lists nothing, like a glob over it. */
	if (sysfs_dir_read(s, dir, &d) < 0)
		return COLLECT_OK;

	struct family *ftemp = expo_family(e, "node_thermal_zone_temp", METRIC_GAUGE,
					   "Temperature of the thermal zone, in degrees Celsius.",
					   (const char *const[]){ "zone", "type", NULL });
	for (size_t i = 0; i < d.n; i++) {
		const char *name = d.ents[i].name;
		if (!sysfs_glob_digit(name, "thermal_zone"))
			continue;
		char type[SYSFS_VAL], temp[SYSFS_VAL];
		int64_t milli;
		if (pathf(path, sizeof path, "%s/%s/type", dir, name) < 0) {
			sysfs_dir_free(&d);
			return scrape_fail(s, "path too long");
		}
		if (sysfs_attr(s, path, type, sizeof type) < 0)
			type[0] = '\0';
		if (pathf(path, sizeof path, "%s/%s/temp", dir, name) < 0) {
			sysfs_dir_free(&d);
			return scrape_fail(s, "path too long");
		}
		if (sysfs_attr(s, path, temp, sizeof temp) < 0 || parse_i64(temp, &milli) < 0)
			continue;
		expo_sample(e, ftemp, (double)milli / 1000.0, name + strlen("thermal_zone"), type);
	}

	/* Cooling devices are all reported or none. */
	struct cooling *cds = calloc(d.n ? d.n : 1, sizeof *cds);
	size_t ncds = 0;
	int rc = COLLECT_OK;
	if (!cds) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		const char *name = d.ents[i].name;
		if (!sysfs_glob_digit(name, "cooling_device"))
			continue;
		struct cooling *c = &cds[ncds];
		c->name = name + strlen("cooling_device");
		rc = read_cooling(s, dir, name, c);
		if (rc == COLLECT_ERROR)
			goto out;
		if (rc == 0)
			ncds++;
		rc = COLLECT_OK;
	}
	struct family *fcur = expo_family(e, "node_cooling_device_cur_state", METRIC_GAUGE,
					  "Current throttle state of the cooling device.",
					  (const char *const[]){ "name", "type", NULL });
	struct family *fmax = expo_family(e, "node_cooling_device_max_state", METRIC_GAUGE,
					  "Highest throttle state the cooling device supports.",
					  (const char *const[]){ "name", "type", NULL });
	for (size_t i = 0; i < ncds; i++) {
		expo_sample(e, fcur, (double)cds[i].cur, cds[i].name, cds[i].type);
		expo_sample(e, fmax, (double)cds[i].max, cds[i].name, cds[i].type);
	}
out:
	free(cds);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_thermal_zone = {
	.name = "thermal_zone",
	.default_enabled = true,
	.collect = thermal_zone_collect,
};
