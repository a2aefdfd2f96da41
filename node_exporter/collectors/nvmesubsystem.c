/*
 * nvmesubsystem: NVMe subsystems of /sys/class/nvme-subsystem (multipath
 * NVMe, NVMe over Fabrics): identity, the namespaces' block devices, and
 * each controller path's state. An attribute or directory that is missing
 * or unreadable makes the whole collector report no data, as upstream.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* The states a path is reported in, sorted; the kernel's "deleting (no IO)" counts as deleting. */
static const char *const path_states[] = { "connecting", "dead", "deleting", "live", "new", "resetting", "unknown" };

static const char *normalize_state(const char *raw)
{
	if (!strcmp(raw, "deleting (no IO)"))
		return "deleting";
	for (size_t i = 0; i < sizeof path_states / sizeof path_states[0] - 1; i++)
		if (!strcmp(raw, path_states[i]))
			return path_states[i];
	return "unknown";
}

/* name matches ^nvme\d+$ (ns false) or ^nvme\d+n\d+$ (ns true). */
static bool nvme_name(const char *name, bool ns)
{
	if (!has_prefix(name, "nvme"))
		return false;
	const char *p = name + 4, *start = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == start)
		return false;
	if (!ns)
		return *p == '\0';
	if (*p++ != 'n')
		return false;
	start = p;
	while (isdigit((unsigned char)*p))
		p++;
	return p != start && *p == '\0';
}

/* An attribute that must be there: absent or forbidden means no data for the whole collector. */
static int required_attr(struct scrape *s, const char *dir, const char *name, char *val)
{
	ssize_t n = sysfs_attr_at(s, dir, name, val, SYSFS_VAL);
	if (n >= 0)
		return COLLECT_OK;
	if (sysfs_enoent(n) || sysfs_eperm(n)) {
		strf(s->err, sizeof s->err, "could not read %s/%s: %s", dir, name, strerror((int)-n));
		return COLLECT_NODATA;
	}
	return scrape_fail(s, "failed to scan NVMe subsystems: %s/%s: %s", dir, name, strerror((int)-n));
}

static int subsystem(struct scrape *s, struct expo *e, const char *base, const char *name)
{
	char dir[4096];
	if (strf(dir, sizeof dir, "%s/%s", base, name) >= (int)sizeof dir)
		return scrape_fail(s, "path too long");
	char nqn[SYSFS_VAL], model[SYSFS_VAL], serial[SYSFS_VAL], iopolicy[SYSFS_VAL];
	int rc;
	if ((rc = required_attr(s, dir, "subsysnqn", nqn)) || (rc = required_attr(s, dir, "model", model)) ||
	    (rc = required_attr(s, dir, "serial", serial)) || (rc = required_attr(s, dir, "iopolicy", iopolicy)))
		return rc;
	struct sysfs_dir d;
	rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return sysfs_enoent(rc) || sysfs_eperm(rc)
			       ? COLLECT_NODATA
			       : scrape_fail(s, "failed to list controllers of %s: %s", name, strerror(-rc));
	struct family *info = expo_family(e, "node_nvmesubsystem_info", METRIC_GAUGE,
					  "NVMe subsystem identity (value 1).",
					  (const char *const[]){ "subsystem", "nqn", "model", "serial", "iopolicy", NULL });
	expo_sample(e, info, 1, name, nqn, model, serial, iopolicy);
	struct family *ns = expo_family(e, "node_nvmesubsystem_namespace_info", METRIC_GAUGE,
					"Block devices of the subsystem's namespaces (value 1).",
					(const char *const[]){ "subsystem", "device", NULL });
	struct family *state = expo_family(
		e, "node_nvmesubsystem_path_state", METRIC_GAUGE,
		"State of each controller path of the subsystem (1 for the current state, 0 for the others).",
		(const char *const[]){ "subsystem", "controller", "transport", "state", NULL });
	double paths = 0, live = 0;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		const char *ent = d.ents[i].name;
		if (nvme_name(ent, true)) {
			expo_sample(e, ns, 1, name, ent);
			continue;
		}
		if (!nvme_name(ent, false))
			continue;
		char cdir[4096], raw[SYSFS_VAL], transport[SYSFS_VAL], address[SYSFS_VAL];
		if (strf(cdir, sizeof cdir, "%s/%s", dir, ent) >= (int)sizeof cdir) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		if ((rc = required_attr(s, cdir, "state", raw)) || (rc = required_attr(s, cdir, "transport", transport)) ||
		    (rc = required_attr(s, cdir, "address", address)))
			break;
		const char *st = normalize_state(raw);
		paths++;
		live += !strcmp(st, "live");
		for (size_t k = 0; k < sizeof path_states / sizeof path_states[0]; k++)
			expo_sample(e, state, !strcmp(st, path_states[k]), name, ent, transport, path_states[k]);
	}
	sysfs_dir_free(&d);
	if (rc != COLLECT_OK)
		return rc;
	struct family *f = expo_family(e, "node_nvmesubsystem_paths", METRIC_GAUGE,
				       "Controller paths of the subsystem.", (const char *const[]){ "subsystem", NULL });
	expo_sample(e, f, paths, name);
	f = expo_family(e, "node_nvmesubsystem_paths_live", METRIC_GAUGE, "Controller paths of the subsystem in live state.",
			(const char *const[]){ "subsystem", NULL });
	expo_sample(e, f, live, name);
	return COLLECT_OK;
}

static int nvmesubsystem_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "class/nvme-subsystem") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, base, &d);
	if (rc < 0)
		return sysfs_enoent(rc) || sysfs_eperm(rc) ? COLLECT_NODATA
							   : scrape_fail(s, "couldn't list %s: %s", base, strerror(-rc));
	rc = COLLECT_OK;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++)
		if (has_prefix(d.ents[i].name, "nvme-subsys"))
			rc = subsystem(s, e, base, d.ents[i].name);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_nvmesubsystem = {
	.name = "nvmesubsystem",
	.default_enabled = false,
	.collect = nvmesubsystem_collect,
};
