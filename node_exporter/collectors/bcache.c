/*
 * bcache: statistics of each bcache cache set in /sys/fs/bcache/<uuid>/,
 * its backing devices (bdevN/) and cache devices (cacheN/). Values may be
 * "humanized" by the kernel (bch_hprint: "20.4G", "1.1M/sec"); they are
 * converted back the way upstream does. The per-cache priority_stats file
 * is costly for the kernel to produce and is only read with
 * --collector.bcache.priorityStats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static bool bcache_priority;

static struct flag bcache_flags[] = {
	{ .name = "collector.bcache.priorityStats", .type = FLAG_BOOL, .dest = &bcache_priority,
	  .help = "Also read and export each cache device's priority_stats (costly for the kernel)." },
};

/* The period counters (stats_total/ and friends), in file order. */
enum { P_BYPASSED, P_HITS, P_MISSES, P_BYPASS_HITS, P_BYPASS_MISSES, P_MISS_COLLISIONS, P_READAHEADS, P_NUM };
static const char *const period_files[P_NUM] = { "bypassed",	      "cache_hits",	       "cache_misses",
						 "cache_bypass_hits", "cache_bypass_misses", "cache_miss_collisions",
						 "cache_readaheads" };

struct bdev {
	const char *name;
	uint64_t dirty, rate, target, total[P_NUM];
	int64_t proportional, integral, change;
};

struct cache {
	const char *name;
	uint64_t io_errors, metadata_written, written, unused_pct, metadata_pct;
};

struct cset {
	const char *uuid;
	uint64_t avg_key_size, btree_cache_size, available_pct, congested, root_usage_pct, tree_depth;
	uint64_t journal_entries, btree_nodes, btree_read_avg, read_races;
	struct sysfs_dir entries;
	struct bdev *bdevs;
	size_t nbdevs, bcap;
	struct cache *caches;
	size_t ncaches, ccap;
};

/* Go's uint64(float64), for the values bch_hprint can produce. */
static uint64_t to_u64(double v)
{
	return v >= 0 && v < 18446744073709551616.0 ? (uint64_t)v : 0;
}

/*
 * bch_hprint's "<int>.<tenths-ish>" mantissa: the fraction is a number
 * 0..1023 divided by 100, restored by dividing by 10.24.
 */
static int pseudo_float(char *s, double *out)
{
	char *dot = strchr(s, '.');
	if (dot) {
		*dot = '\0';
		char *rest = dot + 1, *dot2 = strchr(rest, '.');
		if (dot2)
			*dot2 = '\0';
		double frac;
		if (parse_double(s, out) < 0 || parse_double(rest, &frac) < 0)
			return -1;
		*out += frac / 10.24;
		return 0;
	}
	return parse_double(s, out);
}

/* A possibly humanized value ("20.4G") as bytes or a count. */
static int dehumanize(char *s, uint64_t *out)
{
	size_t n = strlen(s);
	if (n == 0)
		return -1;
	unsigned char last = (unsigned char)s[n - 1];
	double mant;
	if (last > '9') {
		static const char units[] = "kMGTPEZY";
		const char *u = strchr(units, last);
		double mul = 0; /* an unknown suffix multiplies by 0, as upstream */
		if (u && last) {
			mul = 1;
			for (const char *p = units; p <= u; p++)
				mul *= 1024;
		}
		s[n - 1] = '\0';
		if (pseudo_float(s, &mant) < 0)
			return -1;
		*out = to_u64(mant * mul);
		return 0;
	}
	if (parse_double(s, &mant) < 0)
		return -1;
	*out = to_u64(mant);
	return 0;
}

static int dehumanize_signed(char *s, int64_t *out)
{
	bool neg = s[0] == '-';
	uint64_t v;
	if (dehumanize(neg ? s + 1 : s, &v) < 0)
		return -1;
	*out = (int64_t)(neg ? 0 - v : v);
	return 0;
}

/*
 * One value file: as upstream, a missing file reads as 0 and the last
 * byte (the newline) is dropped before parsing.
 */
static int read_value(struct scrape *s, const char *dir, const char *file, uint64_t *out)
{
	char path[4096];
	*out = 0;
	if (pathf(path, sizeof path, "%s/%s", dir, file) < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc == -ENOENT)
		return COLLECT_OK;
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));
	if (b->len == 0 || memchr(b->data, '\0', b->len))
		return scrape_fail(s, "invalid content of %s", path);
	b->data[b->len - 1] = '\0';
	if (dehumanize(b->data, out) < 0)
		return scrape_fail(s, "invalid value in %s", path);
	return COLLECT_OK;
}

/* The last whitespace-separated field of line, with suffix cut off. */
static char *last_field(char *line, const char *suffix)
{
	char *f = NULL, *cur = line, *tok;
	while ((tok = sysfs_next_field(&cur)))
		f = tok;
	if (f && suffix && has_suffix(f, suffix))
		f[strlen(f) - strlen(suffix)] = '\0';
	return f ? f : line;
}

static int read_writeback(struct scrape *s, const char *dir, struct bdev *bd)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s/writeback_rate_debug", dir) < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		int bad = 0;
		int64_t next_io;
		if (has_prefix(line, "rate:"))
			bad = dehumanize(last_field(line, "/sec"), &bd->rate);
		else if (has_prefix(line, "dirty:")) {
			uint64_t dirty;
			bad = dehumanize(last_field(line, NULL), &dirty);
		} else if (has_prefix(line, "target:"))
			bad = dehumanize(last_field(line, NULL), &bd->target);
		else if (has_prefix(line, "proportional:"))
			bad = dehumanize_signed(last_field(line, NULL), &bd->proportional);
		else if (has_prefix(line, "integral:"))
			bad = dehumanize_signed(last_field(line, NULL), &bd->integral);
		else if (has_prefix(line, "change:"))
			bad = dehumanize_signed(last_field(line, "/sec"), &bd->change);
		else if (has_prefix(line, "next io:"))
			bad = parse_i64(last_field(line, "ms"), &next_io);
		if (bad)
			return scrape_fail(s, "invalid line in %s", path);
	}
	return COLLECT_OK;
}

static int read_priority(struct scrape *s, const char *dir, struct cache *c)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s/priority_stats", dir) < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		uint64_t *dst = has_prefix(line, "Unused:")     ? &c->unused_pct
				: has_prefix(line, "Metadata:") ? &c->metadata_pct
								: NULL;
		if (dst && parse_u64(last_field(line, "%"), dst) < 0)
			return scrape_fail(s, "invalid line in %s", path);
	}
	return COLLECT_OK;
}

/* Read the period counters of dir/sub into v (NULL: read and discard). */
static int read_period(struct scrape *s, const char *dir, const char *sub, uint64_t *v)
{
	char pdir[4096];
	uint64_t scratch[P_NUM];
	if (pathf(pdir, sizeof pdir, "%s/%s", dir, sub) < 0)
		return scrape_fail(s, "path too long");
	for (size_t k = 0; k < P_NUM; k++) {
		int rc = read_value(s, pdir, period_files[k], v ? &v[k] : &scratch[k]);
		if (rc != COLLECT_OK)
			return rc;
	}
	return COLLECT_OK;
}

static int read_cset(struct scrape *s, const char *base, struct cset *cs)
{
	char dir[4096], sub[4096];
	if (pathf(dir, sizeof dir, "%s/%s", base, cs->uuid) < 0 || pathf(sub, sizeof sub, "%s/internal", dir) < 0)
		return scrape_fail(s, "path too long");
	int rc;
	const struct {
		const char *d, *file;
		uint64_t *dst;
	} vals[] = {
		{ dir, "average_key_size", &cs->avg_key_size },
		{ dir, "btree_cache_size", &cs->btree_cache_size },
		{ dir, "cache_available_percent", &cs->available_pct },
		{ dir, "congested", &cs->congested },
		{ dir, "root_usage_percent", &cs->root_usage_pct },
		{ dir, "tree_depth", &cs->tree_depth },
		{ sub, "active_journal_entries", &cs->journal_entries },
		{ sub, "btree_nodes", &cs->btree_nodes },
		{ sub, "btree_read_average_duration_us", &cs->btree_read_avg },
		{ sub, "cache_read_races", &cs->read_races },
	};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		if ((rc = read_value(s, vals[i].d, vals[i].file, vals[i].dst)) != COLLECT_OK)
			return rc;
	/* The set-wide period counters are not exported but, as upstream, must read. */
	if ((rc = read_period(s, dir, "stats_five_minute", NULL)) != COLLECT_OK ||
	    (rc = read_period(s, dir, "stats_total", NULL)) != COLLECT_OK)
		return rc;

	rc = sysfs_dir_read(s, dir, &cs->entries);
	if (rc < 0)
		return scrape_fail(s, "couldn't list %s: %s", dir, strerror(-rc));
	for (size_t i = 0; i < cs->entries.n; i++) {
		const char *name = cs->entries.ents[i].name;
		if (!sysfs_glob_digit(name, "bdev"))
			continue;
		struct bdev *bd = sysfs_grow(&cs->bdevs, &cs->nbdevs, &cs->bcap, sizeof *cs->bdevs);
		if (!bd)
			return scrape_fail(s, "out of memory");
		bd->name = name;
		if (pathf(sub, sizeof sub, "%s/%s", dir, name) < 0)
			return scrape_fail(s, "path too long");
		if ((rc = read_value(s, sub, "dirty_data", &bd->dirty)) != COLLECT_OK ||
		    (rc = read_writeback(s, sub, bd)) != COLLECT_OK ||
		    (rc = read_period(s, sub, "stats_five_minute", NULL)) != COLLECT_OK ||
		    (rc = read_period(s, sub, "stats_total", bd->total)) != COLLECT_OK)
			return rc;
	}
	for (size_t i = 0; i < cs->entries.n; i++) {
		const char *name = cs->entries.ents[i].name;
		if (!sysfs_glob_digit(name, "cache"))
			continue;
		struct cache *c = sysfs_grow(&cs->caches, &cs->ncaches, &cs->ccap, sizeof *cs->caches);
		if (!c)
			return scrape_fail(s, "out of memory");
		c->name = name;
		if (pathf(sub, sizeof sub, "%s/%s", dir, name) < 0)
			return scrape_fail(s, "path too long");
		if ((rc = read_value(s, sub, "io_errors", &c->io_errors)) != COLLECT_OK ||
		    (rc = read_value(s, sub, "metadata_written", &c->metadata_written)) != COLLECT_OK ||
		    (rc = read_value(s, sub, "written", &c->written)) != COLLECT_OK)
			return rc;
		if (bcache_priority && (rc = read_priority(s, sub, c)) != COLLECT_OK)
			return rc;
	}
	return COLLECT_OK;
}

static void emit(struct expo *e, const char *name, enum metric_type type, const char *help, double v,
		 const char *uuid, const char *extra_label, const char *extra)
{
	char full[128];
	strf(full, sizeof full, "node_bcache_%s", name);
	struct family *f =
		expo_family(e, full, type, help, (const char *const[]){ "uuid", extra_label, NULL });
	if (extra_label)
		expo_sample(e, f, v, uuid, extra);
	else
		expo_sample(e, f, v, uuid);
}

static void emit_cset(struct expo *e, const struct cset *cs)
{
	const char *u = cs->uuid;
	const enum metric_type G = METRIC_GAUGE, C = METRIC_COUNTER;
	emit(e, "average_key_size_sectors", G, "Average data per btree key, in sectors.", (double)cs->avg_key_size, u,
	     NULL, NULL);
	emit(e, "btree_cache_size_bytes", G, "Memory used by the btree cache, in bytes.",
	     (double)cs->btree_cache_size, u, NULL, NULL);
	emit(e, "cache_available_percent", G, "Percentage of the cache without dirty data, usable for writeback.",
	     (double)cs->available_pct, u, NULL, NULL);
	emit(e, "congested", G, "Congestion of the cache set.", (double)cs->congested, u, NULL, NULL);
	emit(e, "root_usage_percent", G, "Percentage of the root btree node in use.", (double)cs->root_usage_pct, u,
	     NULL, NULL);
	emit(e, "tree_depth", G, "Depth of the btree.", (double)cs->tree_depth, u, NULL, NULL);
	emit(e, "active_journal_entries", G, "Journal entries newer than the index.", (double)cs->journal_entries, u,
	     NULL, NULL);
	emit(e, "btree_nodes", G, "Nodes in the btree.", (double)cs->btree_nodes, u, NULL, NULL);
	/* The file is in microseconds; upstream scales it by 1e-9 all the same. */
	emit(e, "btree_read_average_duration_seconds", G, "Average btree read duration, as upstream reports it.",
	     (double)cs->btree_read_avg * 1e-9, u, NULL, NULL);
	emit(e, "cache_read_races_total", C, "Reads from the cache whose bucket was reused meanwhile.",
	     (double)cs->read_races, u, NULL, NULL);

	for (size_t i = 0; i < cs->nbdevs; i++) {
		const struct bdev *bd = &cs->bdevs[i];
		const char *L = "backing_device", *n = bd->name;
		emit(e, "dirty_data_bytes", G, "Dirty data of the backing device in the cache, in bytes.",
		     (double)bd->dirty, u, L, n);
		emit(e, "dirty_target_bytes", G, "Dirty data target of the backing device, in bytes.",
		     (double)bd->target, u, L, n);
		emit(e, "writeback_rate", G, "Writeback rate of the backing device, in bytes per second.",
		     (double)bd->rate, u, L, n);
		emit(e, "writeback_rate_proportional_term", G, "Proportional term of the writeback rate controller.",
		     (double)bd->proportional, u, L, n);
		emit(e, "writeback_rate_integral_term", G, "Integral term of the writeback rate controller.",
		     (double)bd->integral, u, L, n);
		emit(e, "writeback_change", G, "Last change of the writeback rate of the backing device.",
		     (double)bd->change, u, L, n);
		emit(e, "bypassed_bytes_total", C, "I/O that bypassed the cache, in bytes.",
		     (double)bd->total[P_BYPASSED], u, L, n);
		emit(e, "cache_hits_total", C, "Cache hits of the backing device.", (double)bd->total[P_HITS], u, L, n);
		emit(e, "cache_misses_total", C, "Cache misses of the backing device.", (double)bd->total[P_MISSES], u,
		     L, n);
		emit(e, "cache_bypass_hits_total", C, "Hits of I/O meant to bypass the cache.",
		     (double)bd->total[P_BYPASS_HITS], u, L, n);
		emit(e, "cache_bypass_misses_total", C, "Misses of I/O meant to bypass the cache.",
		     (double)bd->total[P_BYPASS_MISSES], u, L, n);
		emit(e, "cache_miss_collisions_total", C, "Cache miss insertions that raced with a write.",
		     (double)bd->total[P_MISS_COLLISIONS], u, L, n);
		if (bd->total[P_READAHEADS])
			emit(e, "cache_readaheads_total", C, "Readaheads of the backing device.",
			     (double)bd->total[P_READAHEADS], u, L, n);
	}
	for (size_t i = 0; i < cs->ncaches; i++) {
		const struct cache *c = &cs->caches[i];
		const char *L = "cache_device", *n = c->name;
		emit(e, "io_errors", G, "Errors of the cache device, decayed over io_error_halflife.",
		     (double)c->io_errors, u, L, n);
		emit(e, "metadata_written_bytes_total", C, "Metadata (btree and other) written to the cache device, in bytes.",
		     (double)c->metadata_written, u, L, n);
		emit(e, "written_bytes_total", C, "Data written to the cache device, in bytes.", (double)c->written, u,
		     L, n);
		if (bcache_priority) {
			emit(e, "priority_stats_unused_percent", G, "Percentage of the cache holding no data.",
			     (double)c->unused_pct, u, L, n);
			emit(e, "priority_stats_metadata_percent", G, "Percentage of the cache holding bcache metadata.",
			     (double)c->metadata_pct, u, L, n);
		}
	}
}

static int bcache_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "fs/bcache") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	/* No bcache: nothing to report, as upstream (a glob over nothing). */
	if (sysfs_dir_read(s, base, &d) < 0)
		return COLLECT_OK;

	struct cset *sets = calloc(d.n ? d.n : 1, sizeof *sets);
	size_t ns = 0;
	int rc = COLLECT_OK;
	if (!sets) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	/* Cache sets are the "*-*" entries (UUIDs); all are reported or none. */
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		if (!strchr(d.ents[i].name, '-'))
			continue;
		sets[ns].uuid = d.ents[i].name;
		rc = read_cset(s, base, &sets[ns++]);
	}
	if (rc == COLLECT_OK)
		for (size_t i = 0; i < ns; i++)
			emit_cset(e, &sets[i]);
	for (size_t i = 0; i < ns; i++) {
		free(sets[i].bdevs);
		free(sets[i].caches);
		sysfs_dir_free(&sets[i].entries);
	}
	free(sets);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_bcache = {
	.name = "bcache",
	.default_enabled = true,
	.flags = bcache_flags,
	.nflags = sizeof bcache_flags / sizeof bcache_flags[0],
	.collect = bcache_collect,
};
