/*
 * nvme: NVMe controllers of /sys/class/nvme (model, serial, firmware,
 * state, controller id) and their namespaces (size, use, block size, ANA
 * state). As upstream, a missing file anywhere means "no data".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

struct nvme_ns {
	char id[32];
	char ana[SYSFS_VAL];
	uint64_t used, size, lbs;
};

struct nvme_dev {
	const char *name;
	char attr[5][SYSFS_VAL]; /* firmware_rev, model, serial, state, cntlid */
	struct nvme_ns *ns;
	size_t nns, cap;
};

static const char *const nvme_attrs[5] = { "firmware_rev", "model", "serial", "state", "cntlid" };

static int nvme_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

/* Upstream's unanchored nvme\d+n(\d+): the namespace number, if any. */
static bool namespace_id(const char *name, char *dst, size_t cap)
{
	for (const char *p = strstr(name, "nvme"); p; p = strstr(p + 1, "nvme")) {
		const char *q = p + 4;
		if (*q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q != 'n' || q[1] < '0' || q[1] > '9')
			continue;
		size_t n = 0;
		for (q++; q[n] >= '0' && q[n] <= '9'; n++)
			;
		if (n >= cap)
			continue;
		memcpy(dst, q, n);
		dst[n] = '\0';
		return true;
	}
	return false;
}

static int nvme_read(struct scrape *s, const char *dir, struct nvme_dev *dev)
{
	char devdir[4096], path[4096], value[SYSFS_VAL];
	if (pathf(devdir, sizeof devdir, "%s/%s", dir, dev->name) < 0)
		return scrape_fail(s, "path too long");
	for (size_t i = 0; i < 5; i++) {
		if (pathf(path, sizeof path, "%s/%s", devdir, nvme_attrs[i]) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = sysfs_attr(s, path, dev->attr[i], SYSFS_VAL);
		if (n < 0)
			return nvme_error(s, n, path);
	}
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, devdir, &d);
	if (rc < 0)
		return nvme_error(s, rc, devdir);
	for (size_t i = 0; i < d.n && rc == 0; i++) {
		char id[32];
		if (!namespace_id(d.ents[i].name, id, sizeof id))
			continue;
		struct nvme_ns *ns = sysfs_grow(&dev->ns, &dev->nns, &dev->cap, sizeof *dev->ns);
		if (!ns) {
			rc = scrape_fail(s, "out of memory");
			break;
		}
		memcpy(ns->id, id, sizeof id);
		strf(ns->ana, sizeof ns->ana, "unknown");
		static const char *const files[] = { "nuse", "size", "queue/logical_block_size" };
		uint64_t *dst[] = { &ns->used, &ns->size, &ns->lbs };
		for (size_t k = 0; k < 3; k++) {
			if (pathf(path, sizeof path, "%s/%s/%s", devdir, d.ents[i].name, files[k]) < 0) {
				rc = scrape_fail(s, "path too long");
				break;
			}
			ssize_t n = sysfs_attr(s, path, value, sizeof value);
			if (n < 0) {
				rc = nvme_error(s, n, path);
				break;
			}
			/* Unparsable numbers count as 0, as upstream. */
			if (parse_u64(value, dst[k]) < 0)
				*dst[k] = 0;
		}
		if (rc == 0 && pathf(path, sizeof path, "%s/%s/ana_state", devdir, d.ents[i].name) == 0 &&
		    sysfs_attr(s, path, value, sizeof value) >= 0)
			memcpy(ns->ana, value, sizeof value);
	}
	sysfs_dir_free(&d);
	return rc;
}

static int nvme_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/nvme") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return nvme_error(s, rc, dir);

	/* All controllers or none, as upstream. */
	struct nvme_dev *devs = calloc(d.n ? d.n : 1, sizeof *devs);
	if (!devs) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		devs[i].name = d.ents[i].name;
		rc = nvme_read(s, dir, &devs[i]);
		if (rc != COLLECT_OK)
			goto out;
	}

	const char *const l_ns[] = { "device", "nsid", NULL };
	struct family *finfo = expo_family(
		e, "node_nvme_info", METRIC_GAUGE, "Constant 1, labelled with the NVMe controller's attributes.",
		(const char *const[]){ "device", "firmware_revision", "model", "serial", "state", "cntlid", NULL });
	struct family *fnsinfo = expo_family(e, "node_nvme_namespace_info", METRIC_GAUGE,
					     "Constant 1, labelled with the namespace's ANA state.",
					     (const char *const[]){ "device", "nsid", "ana_state", NULL });
	struct family *fcap = expo_family(e, "node_nvme_namespace_capacity_bytes", METRIC_GAUGE,
					  "Capacity of the namespace (size in blocks times block size), in bytes.", l_ns);
	struct family *fsize = expo_family(e, "node_nvme_namespace_size_bytes", METRIC_GAUGE,
					   "Size of the namespace, in bytes.", l_ns);
	struct family *fused = expo_family(e, "node_nvme_namespace_used_bytes", METRIC_GAUGE,
					   "Space in use in the namespace, in bytes.", l_ns);
	struct family *flbs = expo_family(e, "node_nvme_namespace_logical_block_size_bytes", METRIC_GAUGE,
					  "Logical block size of the namespace, in bytes.", l_ns);
	for (size_t i = 0; i < d.n; i++) {
		const struct nvme_dev *dev = &devs[i];
		expo_sample(e, finfo, 1, dev->name, dev->attr[0], dev->attr[1], dev->attr[2], dev->attr[3],
			    dev->attr[4]);
		for (size_t k = 0; k < dev->nns; k++) {
			const struct nvme_ns *ns = &dev->ns[k];
			/* uint64 products wrap like upstream's. */
			double size = (double)(ns->size * ns->lbs);
			expo_sample(e, fnsinfo, 1, dev->name, ns->id, ns->ana);
			expo_sample(e, fcap, size, dev->name, ns->id);
			expo_sample(e, fsize, size, dev->name, ns->id);
			expo_sample(e, fused, (double)(ns->used * ns->lbs), dev->name, ns->id);
			expo_sample(e, flbs, (double)ns->lbs, dev->name, ns->id);
		}
	}
	rc = COLLECT_OK;
out:
	for (size_t i = 0; i < d.n; i++)
		free(devs[i].ns);
	free(devs);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_nvme = {
	.name = "nvme",
	.default_enabled = true,
	.collect = nvme_collect,
};
