/*
 * diskstats: I/O counters per block device from /proc/diskstats (the 14-,
 * 18- and 20-field formats: only the fields present are exported), with
 * node_disk_info from the udev database and /sys/block/<dev>/queue/rotational,
 * and the udev-derived filesystem, device-mapper and ATA families.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/udev.h"

#define DEFAULT_EXCLUDE "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$"

static const char *exclude_flag, *old_exclude_flag, *include_flag;

static struct flag diskstats_flags[] = {
	{ .name = "collector.diskstats.device-exclude", .type = FLAG_STRING, .dest = &exclude_flag,
	  .def = DEFAULT_EXCLUDE,
	  .help = "Regexp of diskstats devices to exclude (mutually exclusive to device-include)." },
	{ .name = "collector.diskstats.ignored-devices", .type = FLAG_STRING,
	  .dest = &old_exclude_flag, .help = "DEPRECATED: Use collector.diskstats.device-exclude",
	  .opts = FLAG_HIDDEN },
	{ .name = "collector.diskstats.device-include", .type = FLAG_STRING, .dest = &include_flag,
	  .help = "Regexp of diskstats devices to include (mutually exclusive to device-exclude)." },
};

struct diskstats_state {
	struct rx *include, *exclude;
	bool udev;
	struct buf udev_buf;
	struct udev_prop props[UDEV_MAX_PROPS];
};

static void diskstats_fini(void *state)
{
	struct diskstats_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	buf_free(&st->udev_buf);
	free(st);
}

static int diskstats_setup(struct diskstats_state *st, char *err, size_t errlen)
{
	const char *exclude = exclude_flag;
	bool exclude_set = diskstats_flags[0].set;
	if (old_exclude_flag[0]) {
		if (exclude_set) {
			strf(err, errlen,
				 "--collector.diskstats.ignored-devices and --collector.diskstats.device-exclude are mutually exclusive");
			return -1;
		}
		log_warn("--collector.diskstats.ignored-devices is DEPRECATED and will be removed in 2.0.0, use --collector.diskstats.device-exclude",
			 NULL);
		exclude = old_exclude_flag;
	}
	if (include_flag[0]) {
		if (exclude_set && exclude[0]) {
			strf(err, errlen, "device-exclude & device-include are mutually exclusive");
			return -1;
		}
		exclude = "";
	}
	char rxerr[300];
	if (exclude[0] && !(st->exclude = rx_compile(exclude, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid device exclude regex: %s", rxerr);
		return -1;
	}
	if (include_flag[0] && !(st->include = rx_compile(include_flag, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.diskstats.device-include: %s", rxerr);
		return -1;
	}
	if (exclude[0])
		log_info("Parsed flag --collector.diskstats.device-exclude", "flag", exclude, NULL);
	if (include_flag[0])
		log_info("Parsed Flag --collector.diskstats.device-include", "flag", include_flag, NULL);

	/* Without a readable udev database the udev-based labels stay empty. */
	struct stat sb;
	if (stat(path_udev_data, &sb) < 0 || !S_ISDIR(sb.st_mode))
		log_error("Failed to open directory, disabling udev device properties", "path",
			  path_udev_data, NULL);
	else
		st->udev = true;
	buf_init(&st->udev_buf, 1 << 20);
	return 0;
}

static int diskstats_init(void **state, char *err, size_t errlen)
{
	struct diskstats_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (diskstats_setup(st, err, errlen) < 0) {
		diskstats_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

static const struct {
	const char *name;
	enum metric_type type;
	const char *help;
	double scale;
} stats[] = {
	{ "node_disk_reads_completed_total", METRIC_COUNTER, "Reads completed successfully.", 1 },
	{ "node_disk_reads_merged_total", METRIC_COUNTER, "Adjacent reads merged into one.", 1 },
	{ "node_disk_read_bytes_total", METRIC_COUNTER, "Bytes read successfully.", 512 },
	{ "node_disk_read_time_seconds_total", METRIC_COUNTER, "Seconds spent by all reads.", 1.0 / 1000.0 },
	{ "node_disk_writes_completed_total", METRIC_COUNTER, "Writes completed successfully.", 1 },
	{ "node_disk_writes_merged_total", METRIC_COUNTER, "Adjacent writes merged into one.", 1 },
	{ "node_disk_written_bytes_total", METRIC_COUNTER, "Bytes written successfully.", 512 },
	{ "node_disk_write_time_seconds_total", METRIC_COUNTER, "Seconds spent by all writes.",
	  1.0 / 1000.0 },
	{ "node_disk_io_now", METRIC_GAUGE, "I/Os in progress.", 1 },
	{ "node_disk_io_time_seconds_total", METRIC_COUNTER, "Seconds the device spent doing I/O.",
	  1.0 / 1000.0 },
	{ "node_disk_io_time_weighted_seconds_total", METRIC_COUNTER,
	  "Seconds spent doing I/O weighted by the number of I/Os in progress.", 1.0 / 1000.0 },
	{ "node_disk_discards_completed_total", METRIC_COUNTER, "Discards completed successfully.", 1 },
	{ "node_disk_discards_merged_total", METRIC_COUNTER, "Adjacent discards merged into one.", 1 },
	{ "node_disk_discarded_sectors_total", METRIC_COUNTER, "Sectors discarded successfully.", 1 },
	{ "node_disk_discard_time_seconds_total", METRIC_COUNTER, "Seconds spent by all discards.",
	  1.0 / 1000.0 },
	{ "node_disk_flush_requests_total", METRIC_COUNTER, "Flush requests completed successfully.", 1 },
	{ "node_disk_flush_requests_time_seconds_total", METRIC_COUNTER,
	  "Seconds spent by all flush requests.", 1.0 / 1000.0 },
};
#define NSTATS (sizeof stats / sizeof stats[0])

/*
 * One /proc/diskstats line as procfs scans it: major, minor, name and up to
 * 17 counters. Returns the number of items read (a line with fewer than 14
 * is skipped by the caller), or -1 if an item is not a number.
 */
static int scan_line(char *line, unsigned *major, unsigned *minor, char **name, uint64_t *v)
{
	char *f[21];
	size_t n = split_fields(line, f, 21);
	if (n > 20)
		n = 20;
	uint64_t x;
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 2) {
			*name = f[2];
		} else {
			if (parse_u64(f[i], &x) < 0 || (i < 2 && x > UINT32_MAX))
				return -1;
			if (i == 0)
				*major = (unsigned)x;
			else if (i == 1)
				*minor = (unsigned)x;
			else
				v[i - 3] = x;
		}
		count++;
	}
	return count;
}

static const char *prop(const struct diskstats_state *st, size_t n, const char *key)
{
	const char *v = udev_get(st->props, n, key);
	return v ? v : "";
}

static int diskstats_collect(struct scrape *s, struct expo *e)
{
	struct diskstats_state *st = s->state;
	char path[4096];
	if (proc_path(path, sizeof path, "diskstats") < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc < 0)
		return scrape_fail(s, "couldn't get diskstats: %s: %s", path, strerror(-rc));

	const char *const dev_label[] = { "device", NULL };
	struct family *fs[NSTATS];
	for (size_t i = 0; i < NSTATS; i++)
		fs[i] = expo_family(e, stats[i].name, stats[i].type, stats[i].help, dev_label);
	struct family *finfo = expo_family(
		e, "node_disk_info", METRIC_GAUGE, "Identity of each block device (udev and sysfs).",
		(const char *const[]){ "device", "major", "minor", "path", "wwn", "model", "serial",
				       "revision", "rotational", NULL });
	struct family *ffs = expo_family(e, "node_disk_filesystem_info", METRIC_GAUGE,
					 "Filesystem signature found on the device by udev.",
					 (const char *const[]){ "device", "type", "usage", "uuid",
								"version", NULL });
	struct family *fdm = expo_family(e, "node_disk_device_mapper_info", METRIC_GAUGE,
					 "Device-mapper names of the device, from udev.",
					 (const char *const[]){ "device", "name", "uuid", "vg_name",
								"lv_name", "lv_layer", NULL });
	static const struct {
		const char *key, *name, *help;
	} ata[] = {
		{ "ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "Whether the ATA disk has a write cache." },
		{ "ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled",
		  "Whether the ATA disk's write cache is enabled." },
		{ "ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm",
		  "Rotation rate of the ATA disk in RPM (0 for SSDs)." },
	};

	char *cur = b->data, *line;
	while ((line = next_line(&cur))) {
		unsigned major = 0, minor = 0;
		char *dev = NULL;
		uint64_t v[17] = { 0 };
		int count = scan_line(line, &major, &minor, &dev, v);
		if (count < 0)
			return scrape_fail(s, "couldn't get diskstats: invalid line in %s", path);
		if (count < 14 || rx_ignored(st->include, st->exclude, dev))
			continue;

		size_t np = 0;
		if (st->udev) {
			int n = udev_block_props(major, minor, &st->udev_buf, st->props, UDEV_MAX_PROPS);
			if (n < 0)
				log_debug("Failed to parse udev info", "device", dev, "err", strerror(-n), NULL);
			else
				np = (size_t)n;
		}
		const char *serial = prop(st, np, "SCSI_IDENT_SERIAL");
		if (!*serial)
			serial = prop(st, np, "ID_SERIAL_SHORT");
		if (!*serial)
			serial = prop(st, np, "ID_SERIAL");

		char rot[32] = "", smaj[16], smin[16], rpath[4096];
		uint64_t r;
		if (sys_path(rpath, sizeof rpath, "block/%s/queue/rotational", dev) == 0 &&
		    scrape_read_small(s, rpath, rot, sizeof rot) >= 0 && parse_u64(trim(rot), &r) == 0 &&
		    r == 1)
			strf(rot, sizeof rot, "1");
		else
			strf(rot, sizeof rot, "0");
		strf(smaj, sizeof smaj, "%u", major);
		strf(smin, sizeof smin, "%u", minor);
		expo_sample(e, finfo, 1, dev, smaj, smin, prop(st, np, "ID_PATH"), prop(st, np, "ID_WWN"),
			    prop(st, np, "ID_MODEL"), serial, prop(st, np, "ID_REVISION"), rot);

		for (int i = 0; i < count - 3 && i < (int)NSTATS; i++)
			expo_sample(e, fs[i], (double)v[i] * stats[i].scale, dev);

		const char *fstype = prop(st, np, "ID_FS_TYPE");
		if (*fstype)
			expo_sample(e, ffs, 1, dev, fstype, prop(st, np, "ID_FS_USAGE"),
				    prop(st, np, "ID_FS_UUID"), prop(st, np, "ID_FS_VERSION"));
		const char *dm = prop(st, np, "DM_NAME");
		if (*dm)
			expo_sample(e, fdm, 1, dev, dm, prop(st, np, "DM_UUID"), prop(st, np, "DM_VG_NAME"),
				    prop(st, np, "DM_LV_NAME"), prop(st, np, "DM_LV_LAYER"));
		if (*prop(st, np, "ID_ATA")) {
			for (size_t k = 0; k < sizeof ata / sizeof ata[0]; k++) {
				const char *val = udev_get(st->props, np, ata[k].key);
				double d;
				if (!val)
					log_debug("Udev attribute does not exist", "attribute", ata[k].key, NULL);
				else if (parse_double(val, &d) < 0)
					log_error("Failed to parse ATA value", "attribute", ata[k].key, "value", val,
						  NULL);
				else
					expo_sample(e,
						    expo_family(e, ata[k].name, METRIC_GAUGE, ata[k].help,
								dev_label),
						    d, dev);
			}
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_diskstats = {
	.name = "diskstats",
	.default_enabled = true,
	.flags = diskstats_flags,
	.nflags = sizeof diskstats_flags / sizeof diskstats_flags[0],
	.init = diskstats_init,
	.collect = diskstats_collect,
	.fini = diskstats_fini,
};
