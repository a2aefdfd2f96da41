/*
 * dmi: node_dmi_info, one constant series labelled with the firmware's
 * DMI strings from /sys/class/dmi/id. As upstream, the files are read once
 * at start-up (they only change with a reboot), and the label set is the
 * files present: a file that only root may read is left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* File name -> label name (sys_vendor is exposed as system_vendor). */
static const char *const dmi_files[][2] = {
	{ "bios_date", "bios_date" },
	{ "bios_release", "bios_release" },
	{ "bios_vendor", "bios_vendor" },
	{ "bios_version", "bios_version" },
	{ "board_asset_tag", "board_asset_tag" },
	{ "board_name", "board_name" },
	{ "board_serial", "board_serial" },
	{ "board_vendor", "board_vendor" },
	{ "board_version", "board_version" },
	{ "chassis_asset_tag", "chassis_asset_tag" },
	{ "chassis_serial", "chassis_serial" },
	{ "chassis_vendor", "chassis_vendor" },
	{ "chassis_version", "chassis_version" },
	{ "product_family", "product_family" },
	{ "product_name", "product_name" },
	{ "product_serial", "product_serial" },
	{ "product_sku", "product_sku" },
	{ "product_uuid", "product_uuid" },
	{ "product_version", "product_version" },
	{ "sys_vendor", "system_vendor" },
};
#define NDMI (sizeof dmi_files / sizeof dmi_files[0])

struct dmi_state {
	size_t n;
	const char *labels[NDMI + 1]; /* NULL-terminated */
	char values[NDMI][SYSFS_VAL];
	/* A read error at start-up, reported by every scrape. */
	char err[512];
};

static int dmi_init(void **state, char *err, size_t errlen)
{
	struct dmi_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "dmi: out of memory");
		return -1;
	}
	*state = st;

	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/dmi/id") < 0) {
		strf(st->err, sizeof st->err, "sysfs path too long");
		return 0;
	}
	struct sysfs_dir d;
	int rc = sysfs_dir_read(NULL, dir, &d);
	if (rc == -ENOENT)
		return 0; /* no DMI on this platform: every scrape reports no data */
	if (rc < 0) {
		strf(st->err, sizeof st->err, "couldn't list %.300s: %s", dir, strerror(-rc));
		return 0;
	}
	for (size_t i = 0; i < d.n; i++) {
		const char *name = d.ents[i].name;
		if (d.ents[i].type != DT_REG || !strcmp(name, "modalias") || !strcmp(name, "uevent"))
			continue;
		char value[SYSFS_VAL];
		ssize_t n = sysfs_attr_at(NULL, dir, name, value, sizeof value);
		if (n < 0 && sysfs_eperm(n))
			continue; /* serial numbers and the UUID are root-only */
		if (n < 0) {
			strf(st->err, sizeof st->err, "couldn't read %.300s/%.100s: %s", dir, name, strerror((int)-n));
			st->n = 0;
			break;
		}
		for (size_t k = 0; k < NDMI; k++) {
			if (strcmp(name, dmi_files[k][0]) == 0) {
				st->labels[st->n] = dmi_files[k][1];
				memcpy(st->values[st->n], value, (size_t)n + 1);
				st->n++;
				break;
			}
		}
	}
	sysfs_dir_free(&d);
	return 0;
}

static int dmi_collect(struct scrape *s, struct expo *e)
{
	const struct dmi_state *st = s->state;
	if (st->err[0])
		return scrape_fail(s, "%s", st->err);
	if (st->n == 0)
		return COLLECT_NODATA;
	const char *values[NDMI];
	for (size_t i = 0; i < st->n; i++)
		values[i] = st->values[i];
	struct family *f = expo_family(e, "node_dmi_info", METRIC_GAUGE,
				       "Constant 1, labelled with the DMI (SMBIOS) strings the firmware provides.",
				       st->labels);
	expo_add(e, f, 1, values);
	return COLLECT_OK;
}

static void dmi_fini(void *state)
{
	free(state);
}

const struct collector_def collector_dmi = {
	.name = "dmi",
	.default_enabled = true,
	.init = dmi_init,
	.collect = dmi_collect,
	.fini = dmi_fini,
};
