/*
 * bcachefs: statistics of each mounted bcachefs filesystem in
 * /sys/fs/bcachefs/<uuid>/: btree cache, compression, error counts, btree
 * writes, one counter per file in counters/ (node_bcachefs_<name>_total,
 * the "since filesystem creation" value) and per-device figures of the
 * dev-<n>/ directories. Sizes may be humanized ("48.9G"); they are turned
 * back into bytes as upstream does.
 *
 * Series are emitted while the files are read: on an unparsable file the
 * scrape reports the error and keeps what was read before it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* "48.9G" and friends: binary multiples, k to E. Returns 0 or -1. */
static int human_bytes(char *s, uint64_t *out)
{
	s = trim(s);
	size_t n = strlen(s);
	if (n == 0)
		return -1;
	static const char units[] = "kmgtpe";
	char last = (char)(s[n - 1] | 0x20);
	double mul = 1;
	const char *u = last >= 'a' && last <= 'z' ? strchr(units, last) : NULL;
	if (u) {
		for (const char *p = units; p <= u; p++)
			mul *= 1024;
		s[n - 1] = '\0';
		s = trim(s);
	}
	double v;
	if (parse_double(s, &v) < 0)
		return -1;
	v *= mul;
	*out = v >= 0 && v < 18446744073709551616.0 ? (uint64_t)v : 0;
	return 0;
}

struct fs_ctx {
	struct scrape *s;
	struct expo *e;
	const char *uuid;
	char dir[4096];
};

/*
 * Read dir/name into the scrape buffer. Returns 1 when read, 0 when the
 * file does not exist (upstream treats that as empty), or COLLECT_ERROR.
 */
static int read_text(struct fs_ctx *c, const char *dir, const char *name, struct buf **out)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s/%s", dir, name) < 0)
		return scrape_fail(c->s, "path too long");
	*out = scrape_buf(c->s);
	int rc = scrape_read(c->s, path, *out);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return scrape_fail(c->s, "couldn't read %s: %s", path, strerror(-rc));
	return 1;
}

static int fs_fail(struct fs_ctx *c, const char *file)
{
	return scrape_fail(c->s, "invalid content of %s/%s", c->dir, file);
}

static int do_btree_cache(struct fs_ctx *c)
{
	struct buf *b;
	int rc = read_text(c, c->dir, "btree_cache_size", &b);
	if (rc < 0)
		return rc;
	uint64_t v = 0;
	char *t = rc ? trim(b->data) : NULL;
	if (t && *t && human_bytes(t, &v) < 0)
		return fs_fail(c, "btree_cache_size");
	struct family *f = expo_family(c->e, "node_bcachefs_btree_cache_size_bytes", METRIC_GAUGE,
				       "Memory used by the btree cache, in bytes.", (const char *const[]){ "uuid", NULL });
	expo_sample(c->e, f, (double)v, c->uuid);
	return COLLECT_OK;
}

/* compression_stats and btree_write_stats: a header, then "<key>: a b ..." rows. */
static int do_table(struct fs_ctx *c, const char *file)
{
	struct buf *b;
	int rc = read_text(c, c->dir, file, &b);
	if (rc <= 0)
		return rc;
	bool writes = strcmp(file, "btree_write_stats") == 0;
	const char *const l_alg[] = { "uuid", "algorithm", NULL };
	const char *const l_type[] = { "uuid", "type", NULL };
	struct family *f1, *f2;
	if (writes) {
		f1 = expo_family(c->e, "node_bcachefs_btree_writes_total", METRIC_COUNTER,
				 "Btree node writes, by reason.", l_type);
		f2 = expo_family(c->e, "node_bcachefs_btree_write_average_size_bytes", METRIC_GAUGE,
				 "Average size of the btree node writes, by reason, in bytes.", l_type);
	} else {
		f1 = expo_family(c->e, "node_bcachefs_compression_compressed_bytes", METRIC_GAUGE,
				 "Data stored with the compression algorithm, compressed size in bytes.", l_alg);
		f2 = expo_family(c->e, "node_bcachefs_compression_uncompressed_bytes", METRIC_GAUGE,
				 "Data stored with the compression algorithm, uncompressed size in bytes.", l_alg);
	}
	char *cur = b->data, *line;
	for (int lineno = 1; (line = next_line(&cur)); lineno++) {
		char *f[5];
		size_t nf = split_fields(line, f, 5);
		if (lineno == 1 || nf < 3)
			continue;
		size_t klen = strlen(f[0]);
		if (klen && f[0][klen - 1] == ':')
			f[0][klen - 1] = '\0';
		uint64_t a, z, avg;
		if (writes ? parse_u64(f[1], &a) < 0 : human_bytes(f[1], &a) < 0)
			return fs_fail(c, file);
		if (human_bytes(f[2], &z) < 0)
			return fs_fail(c, file);
		if (!writes && nf >= 4 && human_bytes(f[3], &avg) < 0)
			return fs_fail(c, file);
		expo_sample(c->e, f1, (double)a, c->uuid, f[0]);
		expo_sample(c->e, f2, (double)z, c->uuid, f[0]);
	}
	return COLLECT_OK;
}

static int do_errors(struct fs_ctx *c)
{
	struct buf *b;
	int rc = read_text(c, c->dir, "errors", &b);
	if (rc <= 0)
		return rc;
	struct family *f = expo_family(c->e, "node_bcachefs_errors_total", METRIC_COUNTER,
				       "Errors recorded by the filesystem, by type.",
				       (const char *const[]){ "uuid", "error_type", NULL });
	char *cur = b->data, *line;
	while ((line = next_line(&cur))) {
		char *fl[4];
		size_t nf = split_fields(line, fl, 4);
		uint64_t count, ts;
		if (nf < 2)
			continue;
		if (parse_u64(fl[1], &count) < 0 || (nf >= 3 && parse_u64(fl[2], &ts) < 0))
			return fs_fail(c, "errors");
		expo_sample(c->e, f, (double)count, c->uuid, fl[0]);
	}
	return COLLECT_OK;
}

static int do_counters(struct fs_ctx *c)
{
	char dir[4096];
	if (pathf(dir, sizeof dir, "%s/counters", c->dir) < 0)
		return scrape_fail(c->s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(c->s, dir, &d);
	if (rc == -ENOENT)
		return COLLECT_OK;
	if (rc < 0)
		return scrape_fail(c->s, "couldn't list %s: %s", dir, strerror(-rc));
	rc = COLLECT_OK;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		const char *name = d.ents[i].name;
		if (d.ents[i].type == DT_DIR)
			continue;
		struct buf *b;
		int r = read_text(c, dir, name, &b);
		if (r < 0) {
			rc = r;
			break;
		}
		uint64_t creation = 0, mount;
		bool seen = false;
		char *cur = r ? b->data : NULL, *line;
		while (cur && (line = next_line(&cur))) {
			uint64_t *dst = has_prefix(line, "since mount:") ? &mount
					: has_prefix(line, "since filesystem creation:") ? &creation
											  : NULL;
			if (!dst)
				continue;
			if (human_bytes(strchr(line, ':') + 1, dst) < 0) {
				rc = scrape_fail(c->s, "invalid content of %s/%s", dir, name);
				break;
			}
			seen = true;
		}
		if (rc != COLLECT_OK)
			break;
		if (r && !seen) {
			rc = scrape_fail(c->s, "unrecognised counter file %s/%s", dir, name);
			break;
		}
		char clean[256], metric[320], help[320];
		sysfs_sanitize_name(name, clean, sizeof clean);
		strf(metric, sizeof metric, "node_bcachefs_%s_total", clean);
		strf(help, sizeof help, "bcachefs counter %s since the filesystem was created.", clean);
		struct family *f = expo_family(c->e, metric, METRIC_COUNTER, help, (const char *const[]){ "uuid", NULL });
		expo_sample(c->e, f, (double)creation, c->uuid);
	}
	sysfs_dir_free(&d);
	return rc;
}

/* A device's decimal attribute; a missing file reads as 0. */
static int dev_uint(struct fs_ctx *c, const char *devdir, const char *name, uint64_t *v)
{
	char path[4096], text[256];
	*v = 0;
	if (pathf(path, sizeof path, "%s/%s", devdir, name) < 0)
		return scrape_fail(c->s, "path too long");
	ssize_t n = sysfs_file(c->s, path, text, sizeof text, true);
	if (n == -ENOENT)
		return COLLECT_OK;
	if (n < 0)
		return scrape_fail(c->s, "couldn't read %s: %s", path, strerror((int)-n));
	if (parse_u64(text, v) < 0)
		return scrape_fail(c->s, "invalid value in %s", path);
	return COLLECT_OK;
}

static int do_device(struct fs_ctx *c, const char *entry)
{
	char devdir[4096], label[SYSFS_VAL], state[SYSFS_VAL], bucket[256];
	const char *dev = entry + 4;
	if (pathf(devdir, sizeof devdir, "%s/%s", c->dir, entry) < 0)
		return scrape_fail(c->s, "path too long");
	char path[4096];
	/* label and state are optional: unreadable reads as empty. */
	if (sysfs_attr_at(c->s, devdir, "label", label, sizeof label) < 0)
		label[0] = '\0';
	if (sysfs_attr_at(c->s, devdir, "state", state, sizeof state) < 0)
		state[0] = '\0';
	uint64_t bucket_size = 0, nbuckets, durability;
	if (pathf(path, sizeof path, "%s/bucket_size", devdir) < 0)
		return scrape_fail(c->s, "path too long");
	if (sysfs_file(c->s, path, bucket, sizeof bucket, true) > 0 && human_bytes(bucket, &bucket_size) < 0)
		return scrape_fail(c->s, "invalid value in %s", path);
	int rc = dev_uint(c, devdir, "nbuckets", &nbuckets);
	if (rc == COLLECT_OK)
		rc = dev_uint(c, devdir, "durability", &durability);
	if (rc != COLLECT_OK)
		return rc;

	const char *const l_dev[] = { "uuid", "device", NULL };
	struct family *finfo = expo_family(c->e, "node_bcachefs_device_info", METRIC_GAUGE,
					   "Constant 1, labelled with the device's label and state.",
					   (const char *const[]){ "uuid", "device", "label", "state", NULL });
	expo_sample(c->e, finfo, 1, c->uuid, dev, label, state);
	expo_sample(c->e,
		    expo_family(c->e, "node_bcachefs_device_bucket_size_bytes", METRIC_GAUGE,
				"Bucket size of the device, in bytes.", l_dev),
		    (double)bucket_size, c->uuid, dev);
	expo_sample(c->e,
		    expo_family(c->e, "node_bcachefs_device_buckets", METRIC_GAUGE, "Buckets on the device.", l_dev),
		    (double)nbuckets, c->uuid, dev);
	expo_sample(c->e,
		    expo_family(c->e, "node_bcachefs_device_durability", METRIC_GAUGE,
				"Durability setting of the device.", l_dev),
		    (double)durability, c->uuid, dev);

	/* io_done: "read:"/"write:" sections of "<data type>: <bytes>" lines. */
	struct buf *b;
	int r = read_text(c, devdir, "io_done", &b);
	if (r < 0)
		return r;
	struct family *fio = expo_family(c->e, "node_bcachefs_device_io_done_bytes_total", METRIC_COUNTER,
					 "I/O done by the device, by operation and data type, in bytes.",
					 (const char *const[]){ "uuid", "device", "operation", "data_type", NULL });
	char op[8] = "";
	char *cur = r ? b->data : NULL, *line;
	while (cur && (line = next_line(&cur))) {
		char *t = trim(line);
		if (!*t)
			continue;
		if (!strcmp(t, "read:") || !strcmp(t, "write:")) {
			strf(op, sizeof op, "%.*s", (int)strlen(t) - 1, t);
			continue;
		}
		char *colon = strchr(t, ':');
		if (!op[0] || !colon)
			continue;
		*colon = '\0';
		uint64_t v;
		if (parse_u64(trim(colon + 1), &v) < 0)
			return scrape_fail(c->s, "invalid content of %s/io_done", devdir);
		expo_sample(c->e, fio, (double)v, c->uuid, dev, op, trim(t));
	}

	/* io_errors: the "since filesystem creation" section only. */
	r = read_text(c, devdir, "io_errors", &b);
	if (r < 0)
		return r;
	struct family *ferr = expo_family(c->e, "node_bcachefs_device_io_errors_total", METRIC_COUNTER,
					  "I/O errors of the device since the filesystem was created, by type.",
					  (const char *const[]){ "uuid", "device", "type", NULL });
	bool in_section = false;
	cur = r ? b->data : NULL;
	while (cur && (line = next_line(&cur))) {
		if (has_prefix(line, "IO errors since filesystem creation")) {
			in_section = true;
			continue;
		}
		if (has_prefix(line, "IO errors since "))
			break;
		char *t = trim(line), *colon = strchr(t, ':');
		if (!in_section || !*t || !colon)
			continue;
		*colon = '\0';
		uint64_t v;
		if (parse_u64(trim(colon + 1), &v) < 0)
			return scrape_fail(c->s, "invalid content of %s/io_errors", devdir);
		expo_sample(c->e, ferr, (double)v, c->uuid, dev, trim(t));
	}
	return COLLECT_OK;
}

static int do_filesystem(struct fs_ctx *c)
{
	int rc = do_btree_cache(c);
	if (rc == COLLECT_OK)
		rc = do_table(c, "compression_stats");
	if (rc == COLLECT_OK)
		rc = do_errors(c);
	if (rc == COLLECT_OK)
		rc = do_counters(c);
	if (rc == COLLECT_OK)
		rc = do_table(c, "btree_write_stats");
	if (rc != COLLECT_OK)
		return rc;
	struct sysfs_dir d;
	rc = sysfs_dir_read(c->s, c->dir, &d);
	if (rc < 0)
		return scrape_fail(c->s, "couldn't list %s: %s", c->dir, strerror(-rc));
	rc = COLLECT_OK;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++)
		if (d.ents[i].type == DT_DIR && has_prefix(d.ents[i].name, "dev-"))
			rc = do_device(c, d.ents[i].name);
	sysfs_dir_free(&d);
	if (rc == COLLECT_OK) {
		struct family *f = expo_family(c->e, "node_bcachefs_info", METRIC_GAUGE,
					       "Constant 1 for each bcachefs filesystem.",
					       (const char *const[]){ "uuid", NULL });
		expo_sample(c->e, f, 1, c->uuid);
	}
	return rc;
}

static int bcachefs_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "fs/bcachefs") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list(s, base, &d);
	if (rc != COLLECT_OK)
		return rc;
	size_t nfs = 0;
	rc = COLLECT_OK;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		if (d.ents[i].type != DT_DIR)
			continue;
		struct fs_ctx c = { .s = s, .e = e, .uuid = d.ents[i].name };
		if (pathf(c.dir, sizeof c.dir, "%s/%s", base, c.uuid) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		rc = do_filesystem(&c);
		nfs++;
	}
	sysfs_dir_free(&d);
	if (rc == COLLECT_OK && nfs == 0)
		return COLLECT_NODATA;
	return rc;
}

const struct collector_def collector_bcachefs = {
	.name = "bcachefs",
	.default_enabled = true,
	.collect = bcachefs_collect,
};
