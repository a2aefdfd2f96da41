/*
 * btrfs: allocation, commit and device statistics of each mounted Btrfs
 * filesystem from /sys/fs/btrfs/<uuid>/.
 *
 * Devices come from the Btrfs ioctls on a mount point of each filesystem
 * (found in the mount table, opened under --path.rootfs), as upstream:
 * node_btrfs_device_size_bytes, _unused_bytes and _errors_total{type}
 * labelled {uuid,device,btrfs_dev_uuid}. When no mount point of a
 * filesystem answers them (not mounted here, not allowed), its devices are
 * reported from sysfs as node_btrfs_device_size_bytes{uuid,device}, upstream's
 * fallback.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/mountinfo.h"
#include "../../common/parse.h"
#include "../replies.h"

/* Reads one Btrfs directory; the first hard error is kept, as procfs' reader does. */
struct reader {
	struct scrape *s;
	char dir[4400];
	int err;
	char errpath[4700];
};

/* A sysfs attribute, trimmed; missing files read as "". */
static void read_attr(struct reader *r, const char *rel, char *dst, size_t cap)
{
	char path[4700];
	dst[0] = '\0';
	if (r->err)
		return;
	strf(path, sizeof path, "%s/%s", r->dir, rel);
	ssize_t n = scrape_read_small(r->s, path, dst, cap);
	if (n >= 0 || n == -ENOENT) {
		if (n < 0)
			dst[0] = '\0';
		return;
	}
	r->err = (int)-n;
	strf(r->errpath, sizeof r->errpath, "%s", path);
	dst[0] = '\0';
}

/* A number attribute; missing or unparsable reads as 0, as upstream. */
static uint64_t read_value(struct reader *r, const char *rel)
{
	char text[128];
	uint64_t v = 0;
	read_attr(r, rel, text, sizeof text);
	if (parse_u64(trim(text), &v) < 0)
		v = 0;
	return v;
}

/* Names of the entries of dir/rel (subdirectories only if dirs_only). */
static int list_dir(struct reader *r, const char *rel, bool dirs_only, char (*names)[256],
		    size_t max, size_t *n)
{
	char path[4700];
	*n = 0;
	strf(path, sizeof path, "%s/%s", r->dir, rel);
	DIR *d = opendir(path);
	if (!d) {
		if (!r->err) {
			r->err = errno;
			strf(r->errpath, sizeof r->errpath, "%s", path);
		}
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (dirs_only) {
			bool isdir = de->d_type == DT_DIR;
			if (de->d_type == DT_UNKNOWN) {
				struct stat sb;
				isdir = fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
					S_ISDIR(sb.st_mode);
			}
			if (!isdir)
				continue;
		}
		if (*n < max && strlen(de->d_name) < 256)
			strf(names[(*n)++], 256, "%s", de->d_name);
	}
	closedir(d);
	return 0;
}

static double layout_ratio(const char *mode, size_t devs)
{
	if (!strcmp(mode, "single") || !strcmp(mode, "raid0"))
		return 1;
	if (!strcmp(mode, "dup") || !strcmp(mode, "raid1") || !strcmp(mode, "raid10"))
		return 2;
	if (!strcmp(mode, "raid1c3"))
		return 3;
	if (!strcmp(mode, "raid1c4"))
		return 4;
	if (!strcmp(mode, "raid5"))
		return (double)devs / ((double)devs - 1);
	if (!strcmp(mode, "raid6"))
		return (double)devs / ((double)devs - 2);
	return 0;
}

#define MAX_ENTRIES 256

/* commit_stats: "key value" lines; returns 0 or -1 (message in r). */
static int read_commit_stats(struct reader *r, uint64_t v[4])
{
	char path[4700], text[1024];
	strf(path, sizeof path, "%s/commit_stats", r->dir);
	ssize_t n = scrape_read_small(r->s, path, text, sizeof text);
	if (n == -ENOENT) /* kernels before 6.0 */
		return 0;
	if (n < 0) {
		r->err = (int)-n;
		strf(r->errpath, sizeof r->errpath, "%s", path);
		return -1;
	}
	static const char *const keys[] = { "commits", "last_commit_ms", "max_commit_ms",
					    "total_commit_ms" };
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[3];
		uint64_t x;
		if (split_fields(line, f, 3) != 2 || parse_u64(f[1], &x) < 0) {
			r->err = EINVAL;
			strf(r->errpath, sizeof r->errpath, "%s", path);
			return -1;
		}
		for (int k = 0; k < 4; k++)
			if (!strcmp(f[0], keys[k]))
				v[k] = x;
	}
	return 0;
}

/* ---- devices through the ioctls ---- */

/* The ioctl view of each filesystem reachable through a mount point. */
struct fs_devices {
	struct btrfs_fs_devs *v;
	size_t n, cap;
};

static void fs_devices_free(struct fs_devices *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].devs);
	free(f->v);
}

static const struct btrfs_fs_devs *fs_devices_find(const struct fs_devices *f, const char *uuid)
{
	char hex[64];
	size_t n = 0;
	for (const char *p = uuid; *p && n + 1 < sizeof hex; p++)
		if (*p != '-')
			hex[n++] = *p;
	hex[n] = '\0';
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].fsid, hex))
			return &f->v[i];
	return NULL;
}

/* A 16-byte UUID in its usual dashed form; all zeros is "<zero>", as upstream's library prints it. */
static void uuid_string(const unsigned char *u, char *dst, size_t cap)
{
	static const unsigned char zero[16];
	if (!memcmp(u, zero, 16)) {
		strf(dst, cap, "<zero>");
		return;
	}
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16 && o + 3 < cap; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			dst[o++] = '-';
		dst[o++] = hex[u[i] >> 4];
		dst[o++] = hex[u[i] & 15];
	}
	dst[o] = '\0';
}

/*
 * The devices of the filesystem open at fd. Returns 0 with *out filled
 * (devs malloc'd), or -errno: the filesystem is then left to sysfs.
 */
static int read_fs_devices(int fd, struct btrfs_fs_devs *out)
{
	struct btrfs_ioctl_fs_info_args info;
	memset(&info, 0, sizeof info);
	memset(out, 0, sizeof *out);
	if (ioctl(fd, BTRFS_IOC_FS_INFO, &info) < 0)
		return -errno;
	for (int i = 0; i < BTRFS_FSID_SIZE; i++)
		strf(out->fsid + 2 * i, 3, "%c%c", "0123456789abcdef"[info.fsid[i] >> 4],
		     "0123456789abcdef"[info.fsid[i] & 15]);
	if (info.num_devices > 4096)
		return -E2BIG;
	out->devs = calloc(info.num_devices ? info.num_devices : 1, sizeof *out->devs);
	if (!out->devs)
		return -ENOMEM;
	/* Device ids need not start at 0 nor be contiguous. */
	for (uint64_t id = 0; id <= info.max_id && out->n < info.num_devices; id++) {
		struct btrfs_ioctl_dev_info_args dev;
		memset(&dev, 0, sizeof dev);
		dev.devid = id;
		if (ioctl(fd, BTRFS_IOC_DEV_INFO, &dev) < 0) {
			if (errno == ENODEV)
				continue;
			int err = -errno;
			free(out->devs);
			out->devs = NULL;
			return err;
		}
		struct btrfs_ioctl_get_dev_stats st;
		memset(&st, 0, sizeof st);
		st.devid = id;
		st.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
		if (ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &st) < 0) {
			int err = -errno;
			free(out->devs);
			out->devs = NULL;
			return err;
		}
		struct btrfs_dev *d = &out->devs[out->n++];
		char path[sizeof dev.path + 1];
		memcpy(path, dev.path, sizeof dev.path);
		path[sizeof dev.path] = '\0';
		const char *base = strrchr(path, '/');
		strf(d->device, sizeof d->device, "%s", base ? base + 1 : path);
		uuid_string(dev.uuid, d->uuid, sizeof d->uuid);
		d->size = dev.total_bytes;
		d->used = dev.bytes_used;
		/* write, read, flush, corruption, generation: enum btrfs_dev_stat_values order */
		for (int k = 0; k < 5; k++)
			d->errors[k] = k < (int)st.nr_items ? st.values[k] : 0;
	}
	return 0;
}

/*
 * Every Btrfs filesystem of the mount table that answers the ioctls, once
 * (by device and by filesystem id). Errors only leave a filesystem to
 * sysfs, as upstream logs them at debug level and falls back.
 */
static void find_fs_devices(struct scrape *s, struct fs_devices *f)
{
	char table[4096];
	struct buf *b = scrape_buf(s);
	int rc = mountinfo_read(s, b, table, sizeof table);
	if (rc < 0) {
		log_debug("Error querying btrfs device stats with ioctl", "err", strerror(-rc), NULL);
		return;
	}
	/* Device names seen, kept as offsets into the table text (it is parsed in place). */
	const char *done[64];
	size_t ndone = 0;
	char *cur = b->data;
	struct mountinfo_entry m;
	while ((rc = mountinfo_next(&cur, &m)) != 0) {
		if (rc < 0 || strcmp(m.fstype, "btrfs") != 0)
			continue;
		bool seen = false;
		for (size_t i = 0; i < ndone && !seen; i++)
			seen = !strcmp(done[i], m.source);
		if (seen)
			continue;
		char path[4096];
		if (host_path(path, sizeof path, m.mountpoint) < 0)
			continue;
		struct statfs sfs;
		struct stat sb;
		/* The root of a subvolume, as upstream's library insists on. */
		if (statfs(path, &sfs) < 0 || sfs.f_type != BTRFS_SUPER_MAGIC || stat(path, &sb) < 0 ||
		    sb.st_ino != 256 || !S_ISDIR(sb.st_mode))
			continue;
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct btrfs_fs_devs fs;
		rc = read_fs_devices(fd, &fs);
		close(fd);
		if (rc < 0) {
			log_debug("Error querying btrfs device stats", "mountPoint", path, "err", strerror(-rc),
				  NULL);
			continue;
		}
		if (fs_devices_find(f, fs.fsid)) {
			free(fs.devs);
			continue;
		}
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 4;
			struct btrfs_fs_devs *p = realloc(f->v, cap * sizeof *p);
			if (!p) {
				free(fs.devs);
				return;
			}
			f->v = p;
			f->cap = cap;
		}
		f->v[f->n++] = fs;
		if (ndone < sizeof done / sizeof done[0])
			done[ndone++] = m.source;
	}
}

void btrfs_emit_devices(struct expo *e, const char *uuid, const struct btrfs_fs_devs *fs)
{
	const char *const dev_l[] = { "uuid", "device", "btrfs_dev_uuid", NULL };
	struct family *fsize = expo_family(e, "node_btrfs_device_size_bytes", METRIC_GAUGE,
					   "Size of each device of the filesystem in bytes.", dev_l);
	struct family *funused = expo_family(e, "node_btrfs_device_unused_bytes", METRIC_GAUGE,
					     "Bytes of each device of the filesystem not allocated.", dev_l);
	struct family *ferr = expo_family(e, "node_btrfs_device_errors_total", METRIC_COUNTER,
					  "Errors the filesystem recorded for each device, by type.",
					  (const char *const[]){ "uuid", "type", "device", "btrfs_dev_uuid",
								 NULL });
	static const char *const types[5] = { "write", "read", "flush", "corruption", "generation" };
	for (size_t i = 0; i < fs->n; i++) {
		const struct btrfs_dev *d = &fs->devs[i];
		expo_sample(e, fsize, (double)d->size, uuid, d->device, d->uuid);
		/* Unsigned, as upstream subtracts: a device reporting more used than total wraps. */
		expo_sample(e, funused, (double)(d->size - d->used), uuid, d->device, d->uuid);
		for (int k = 0; k < 5; k++)
			expo_sample(e, ferr, (double)d->errors[k], uuid, types[k], d->device, d->uuid);
	}
}

/* All metrics of one filesystem directory; returns COLLECT_*. */
static int collect_fs(struct scrape *s, struct expo *e, const char *dir, const char *base,
		      const struct fs_devices *devices)
{
	struct reader r = { .s = s };
	strf(r.dir, sizeof r.dir, "%s", dir);
	/* Device names, then layout names, in one allocation. */
	char(*devs)[256] = malloc(2 * MAX_ENTRIES * sizeof *devs);
	if (!devs)
		return scrape_fail(s, "out of memory");
	char(*names)[256] = devs + MAX_ENTRIES;
	size_t ndev = 0;
	list_dir(&r, "devices", false, devs, MAX_ENTRIES, &ndev);
	uint64_t sizes[MAX_ENTRIES];
	for (size_t i = 0; i < ndev; i++) {
		char rel[300];
		strf(rel, sizeof rel, "devices/%s/size", devs[i]);
		sizes[i] = 512 * read_value(&r, rel);
	}
	char label[256], uuid[256];
	read_attr(&r, "label", label, sizeof label);
	read_attr(&r, "metadata_uuid", uuid, sizeof uuid);
	if (!uuid[0])
		strf(uuid, sizeof uuid, "%s", base);
	uint64_t rsv = read_value(&r, "allocation/global_rsv_size");
	uint64_t commit[4] = { 0 };

	/* Everything is read before anything is emitted: an error emits nothing of this fs. */
	static const char *const types[] = { "data", "metadata", "system" };
	struct layout {
		char mode[256];
		uint64_t total, used;
	} *lay = malloc(3 * MAX_ENTRIES * sizeof *lay);
	size_t nlay[3] = { 0 };
	uint64_t reserved[3] = { 0 };
	if (!lay) {
		free(devs);
		return scrape_fail(s, "out of memory");
	}
	for (int t = 0; t < 3 && !r.err; t++) {
		char rel[300];
		strf(rel, sizeof rel, "allocation/%s/bytes_reserved", types[t]);
		reserved[t] = read_value(&r, rel);
		strf(rel, sizeof rel, "allocation/%s", types[t]);
		size_t nm = 0;
		if (list_dir(&r, rel, true, names, MAX_ENTRIES, &nm) < 0)
			break;
		for (size_t i = 0; i < nm; i++) {
			struct layout *l = &lay[t * MAX_ENTRIES + i];
			strf(l->mode, sizeof l->mode, "%s", names[i]);
			strf(rel, sizeof rel, "allocation/%s/%s/total_bytes", types[t], names[i]);
			l->total = read_value(&r, rel);
			strf(rel, sizeof rel, "allocation/%s/%s/used_bytes", types[t], names[i]);
			l->used = read_value(&r, rel);
		}
		nlay[t] = nm;
	}
	if (!r.err)
		read_commit_stats(&r, commit);
	if (r.err) {
		free(devs);
		free(lay);
		return scrape_fail(s, "failed to retrieve Btrfs stats: %s: %s", r.errpath,
				   strerror(r.err));
	}

	const char *const uuid_l[] = { "uuid", NULL };
	expo_sample(e,
		    expo_family(e, "node_btrfs_info", METRIC_GAUGE, "Label of each Btrfs filesystem.",
				(const char *const[]){ "uuid", "label", NULL }),
		    1, uuid, label);
	expo_sample(e,
		    expo_family(e, "node_btrfs_global_rsv_size_bytes", METRIC_GAUGE,
				"Size of the global reserve in bytes.", uuid_l),
		    (double)rsv, uuid);
	expo_sample(e,
		    expo_family(e, "node_btrfs_commits_total", METRIC_COUNTER, "Transactions committed.",
				uuid_l),
		    (double)commit[0], uuid);
	expo_sample(e,
		    expo_family(e, "node_btrfs_last_commit_seconds", METRIC_GAUGE,
				"Duration of the latest commit in seconds.", uuid_l),
		    (double)commit[1] / 1000, uuid);
	expo_sample(e,
		    expo_family(e, "node_btrfs_max_commit_seconds", METRIC_GAUGE,
				"Duration of the slowest commit in seconds.", uuid_l),
		    (double)commit[2] / 1000, uuid);
	expo_sample(e,
		    expo_family(e, "node_btrfs_commit_seconds_total", METRIC_COUNTER,
				"Seconds spent committing transactions.", uuid_l),
		    (double)commit[3] / 1000, uuid);

	const char *const bg_l[] = { "uuid", "block_group_type", NULL };
	const char *const mode_l[] = { "uuid", "block_group_type", "mode", NULL };
	struct family *fres = expo_family(e, "node_btrfs_reserved_bytes", METRIC_GAUGE,
					  "Bytes reserved for a block group type.", bg_l);
	struct family *fused = expo_family(e, "node_btrfs_used_bytes", METRIC_GAUGE,
					   "Bytes used by a block group type and layout.", mode_l);
	struct family *fsize = expo_family(e, "node_btrfs_size_bytes", METRIC_GAUGE,
					   "Bytes allocated to a block group type and layout.", mode_l);
	struct family *fratio = expo_family(e, "node_btrfs_allocation_ratio", METRIC_GAUGE,
					    "Raw bytes stored per byte of data for a block group type and layout.",
					    mode_l);
	for (int t = 0; t < 3; t++) {
		expo_sample(e, fres, (double)reserved[t], uuid, types[t]);
		for (size_t i = 0; i < nlay[t]; i++) {
			const struct layout *l = &lay[t * MAX_ENTRIES + i];
			expo_sample(e, fused, (double)l->used, uuid, types[t], l->mode);
			expo_sample(e, fsize, (double)l->total, uuid, types[t], l->mode);
			expo_sample(e, fratio, layout_ratio(l->mode, ndev), uuid, types[t], l->mode);
		}
	}
	/* Matched by the UUID reported (metadata_uuid), as upstream matches them. */
	const struct btrfs_fs_devs *ioctl_devs = fs_devices_find(devices, uuid);
	if (ioctl_devs) {
		btrfs_emit_devices(e, uuid, ioctl_devs);
	} else {
		struct family *fdev = expo_family(e, "node_btrfs_device_size_bytes", METRIC_GAUGE,
						  "Size of each device of the filesystem in bytes.",
						  (const char *const[]){ "uuid", "device", NULL });
		for (size_t i = 0; i < ndev; i++)
			expo_sample(e, fdev, (double)sizes[i], uuid, devs[i]);
	}
	free(devs);
	free(lay);
	return COLLECT_OK;
}

static int btrfs_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (sys_path(dir, sizeof dir, "fs/btrfs") < 0)
		return scrape_fail(s, "path too long");
	DIR *d = opendir(dir);
	if (!d) /* no Btrfs support loaded: nothing mounted, nothing to report */
		return COLLECT_OK;
	char(*fs)[256] = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		/* Filesystems are UUIDs; "features" is not one. */
		if (!strchr(de->d_name, '-') || strlen(de->d_name) >= 256)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			char(*p)[256] = realloc(fs, cap * sizeof *p);
			if (!p) {
				closedir(d);
				free(fs);
				return scrape_fail(s, "out of memory");
			}
			fs = p;
		}
		strf(fs[n++], 256, "%s", de->d_name);
	}
	closedir(d);
	int rc = COLLECT_OK;
	struct fs_devices devs = { 0 };
	if (n > 0)
		find_fs_devices(s, &devs);
	for (size_t i = 0; i < n && rc == COLLECT_OK; i++) {
		char path[4400];
		strf(path, sizeof path, "%s/%s", dir, fs[i]);
		rc = collect_fs(s, e, path, fs[i], &devs);
	}
	fs_devices_free(&devs);
	free(fs);
	return rc;
}

const struct collector_def collector_btrfs = {
	.name = "btrfs",
	.default_enabled = true,
	.collect = btrfs_collect,
};
