/*
 * drm: AMD GPUs (amdgpu driver) among /sys/class/drm/card[0-9]: busy
 * percentage, GTT and VRAM sizes and use, VRAM vendor, power level. Cards
 * of other drivers are left out; an attribute the card lacks is reported
 * as 0 (or "" for text), as upstream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const struct {
	const char *file, *name, *help;
} drm_values[] = {
	{ "gpu_busy_percent", "gpu_busy_percent", "How busy the GPU is, in percent." },
	{ "mem_info_gtt_total", "memory_gtt_size_bytes", "Size of the graphics translation table (GTT) in bytes." },
	{ "mem_info_gtt_used", "memory_gtt_used_bytes", "GTT in use, in bytes." },
	{ "mem_info_vram_total", "memory_vram_size_bytes", "Size of the VRAM in bytes." },
	{ "mem_info_vram_used", "memory_vram_used_bytes", "VRAM in use, in bytes." },
	{ "mem_info_vis_vram_total", "memory_vis_vram_size_bytes", "Size of the CPU-visible VRAM in bytes." },
	{ "mem_info_vis_vram_used", "memory_vis_vram_used_bytes", "CPU-visible VRAM in use, in bytes." },
};
#define DRM_NVALUES (sizeof drm_values / sizeof drm_values[0])

/* An optional attribute of the card's device: "" when it cannot be read. */
static void optional_text(struct scrape *s, const char *dev, const char *name, char *val)
{
	if (sysfs_attr_at(s, dev, name, val, SYSFS_VAL) < 0)
		val[0] = '\0';
}

static int drm_card(struct scrape *s, struct expo *e, const char *base, const char *card)
{
	char dev[4096], uevent[SYSFS_VAL], real[4096];
	if (strf(dev, sizeof dev, "%s/%s/device", base, card) >= (int)sizeof dev)
		return scrape_fail(s, "path too long");
	ssize_t n = sysfs_attr_at(s, dev, "uevent", uevent, sizeof uevent);
	if (n == -ENODATA)
		return COLLECT_OK;
	if (n < 0)
		return scrape_fail(s, "couldn't read %s/uevent: %s", dev, strerror((int)-n));
	if (!strstr(uevent, "DRIVER=amdgpu"))
		return COLLECT_OK;
	int rc = sysfs_realpath(dev, real, sizeof real);
	if (rc < 0)
		return scrape_fail(s, "couldn't resolve %s: %s", dev, strerror(-rc));

	double v[DRM_NVALUES];
	for (size_t i = 0; i < DRM_NVALUES; i++) {
		char val[SYSFS_VAL];
		uint64_t x = 0;
		v[i] = 0;
		if (sysfs_attr_at(s, dev, drm_values[i].file, val, sizeof val) < 0)
			continue;
		if (sysfs_parse_uint(val, &x) < 0)
			return scrape_fail(s, "invalid value '%s' in %s/%s", val, dev, drm_values[i].file);
		v[i] = (double)x;
	}
	char vendor[SYSFS_VAL], level[SYSFS_VAL], unique[SYSFS_VAL];
	optional_text(s, dev, "mem_info_vram_vendor", vendor);
	optional_text(s, dev, "power_dpm_force_performance_level", level);
	optional_text(s, dev, "unique_id", unique);
	struct family *f = expo_family(e, "node_drm_card_info", METRIC_GAUGE, "GPU card identity (value 1).",
				       (const char *const[]){ "card", "memory_vendor", "power_performance_level",
							      "unique_id", "vendor", NULL });
	expo_sample(e, f, 1, card, vendor, level, unique, "amd");
	for (size_t i = 0; i < DRM_NVALUES; i++) {
		char name[96];
		strf(name, sizeof name, "node_drm_%s", drm_values[i].name);
		f = expo_family(e, name, METRIC_GAUGE, drm_values[i].help, (const char *const[]){ "card", NULL });
		expo_sample(e, f, v[i], card);
	}
	return COLLECT_OK;
}

static int drm_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "class/drm") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list_optional(s, base, &d);
	if (rc != COLLECT_OK)
		return rc;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		const char *name = d.ents[i].name;
		/* The glob card[0-9]: one digit only. */
		if (has_prefix(name, "card") && name[4] >= '0' && name[4] <= '9' && !name[5])
			rc = drm_card(s, e, base, name);
	}
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_drm = {
	.name = "drm",
	.default_enabled = false,
	.collect = drm_collect,
};
