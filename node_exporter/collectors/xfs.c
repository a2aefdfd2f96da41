/*
 * xfs: per-filesystem XFS statistics from /sys/fs/xfs/<device>/stats/stats,
 * 39 counters as upstream. Every line is validated as procfs' parser does
 * (counts of values per known line, 32-bit values except xpc, defer_relog
 * and "gc xpc"), so a file upstream rejects fails here too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

/* Number of values a known line must have; min..max. */
static const struct {
	const char *label;
	unsigned min, max;
} line_sizes[] = {
	{ "extent_alloc", 4, 4 },  { "abt", 4, 4 },	   { "blk_map", 7, 7 },
	{ "bmbt", 4, 4 },	   { "dir", 4, 4 },	   { "trans", 3, 3 },
	{ "ig", 7, 7 },		   { "log", 5, 5 },	   { "push_ail", 10, 10 },
	{ "xstrat", 2, 2 },	   { "rw", 2, 2 },	   { "attr", 4, 4 },
	{ "icluster", 3, 3 },	   { "vnodes", 7, 8 },	   { "buf", 9, 9 },
	{ "abtb2", 15, 15 },	   { "abtc2", 15, 15 },	   { "bmbt2", 15, 15 },
	{ "ibt2", 15, 15 },	   { "fibt2", 15, 15 },	   { "rmapbt", 15, 15 },
	{ "refcntbt", 15, 15 },	   { "rmapbt_mem", 15, 15 }, { "rcbagbt", 15, 15 },
	{ "rtrmapbt", 15, 15 },	   { "rtrmapbt_mem", 15, 15 }, { "rtrefcntbt", 15, 15 },
	{ "qm", 8, 9 },		   { "debug", 1, 1 },	   { "zoned", 3, ~0u },
	{ "metafile", 1, ~0u },
};

/* The exported counters: source line, value index, name, help. */
static const struct {
	const char *label;
	unsigned idx;
	const char *name;
	const char *help;
} counters[] = {
	{ "extent_alloc", 0, "extent_allocation_extents_allocated_total", "Extents allocated." },
	{ "extent_alloc", 1, "extent_allocation_blocks_allocated_total", "Blocks allocated." },
	{ "extent_alloc", 2, "extent_allocation_extents_freed_total", "Extents freed." },
	{ "extent_alloc", 3, "extent_allocation_blocks_freed_total", "Blocks freed." },
	{ "abt", 0, "allocation_btree_lookups_total", "Lookups in the allocation B-trees." },
	{ "abt", 1, "allocation_btree_compares_total", "Compares in the allocation B-trees." },
	{ "abt", 2, "allocation_btree_records_inserted_total",
	  "Records inserted into the allocation B-trees." },
	{ "abt", 3, "allocation_btree_records_deleted_total",
	  "Records deleted from the allocation B-trees." },
	{ "blk_map", 0, "block_mapping_reads_total", "Block map lookups for reads." },
	{ "blk_map", 1, "block_mapping_writes_total", "Block map lookups for writes." },
	{ "blk_map", 2, "block_mapping_unmaps_total", "Block unmaps (deletions)." },
	{ "blk_map", 3, "block_mapping_extent_list_insertions_total", "Extent list insertions." },
	{ "blk_map", 4, "block_mapping_extent_list_deletions_total", "Extent list deletions." },
	{ "blk_map", 5, "block_mapping_extent_list_lookups_total", "Extent list lookups." },
	{ "blk_map", 6, "block_mapping_extent_list_compares_total", "Extent list compares." },
	{ "bmbt", 0, "block_map_btree_lookups_total", "Lookups in the block map B-trees." },
	{ "bmbt", 1, "block_map_btree_compares_total", "Compares in the block map B-trees." },
	{ "bmbt", 2, "block_map_btree_records_inserted_total",
	  "Records inserted into the block map B-trees." },
	{ "bmbt", 3, "block_map_btree_records_deleted_total",
	  "Records deleted from the block map B-trees." },
	{ "dir", 0, "directory_operation_lookup_total",
	  "Directory lookups that missed the kernel's name cache." },
	{ "dir", 1, "directory_operation_create_total", "Directory entries created." },
	{ "dir", 2, "directory_operation_remove_total", "Directory entries removed." },
	{ "dir", 3, "directory_operation_getdents_total", "getdents calls on directories." },
	{ "ig", 0, "inode_operation_attempts_total", "Lookups of an inode in the inode cache." },
	{ "ig", 1, "inode_operation_found_total", "Inode cache lookups that found the inode." },
	{ "ig", 2, "inode_operation_recycled_total",
	  "Inode cache hits that could not be used because the inode was being recycled." },
	{ "ig", 3, "inode_operation_missed_total", "Inode cache lookups that missed." },
	{ "ig", 4, "inode_operation_duplicates_total",
	  "Inodes added to the cache that another process had added already." },
	{ "ig", 5, "inode_operation_reclaims_total", "Inodes reclaimed from the cache." },
	{ "ig", 6, "inode_operation_attribute_changes_total", "Explicit inode attribute changes." },
	{ "rw", 1, "read_calls_total", "read(2) calls on files of the filesystem." },
	{ "rw", 0, "write_calls_total", "write(2) calls on files of the filesystem." },
	{ "vnodes", 0, "vnode_active_total", "Vnodes not on free lists." },
	{ "vnodes", 1, "vnode_allocate_total", "vn_alloc calls." },
	{ "vnodes", 2, "vnode_get_total", "vn_get calls." },
	{ "vnodes", 3, "vnode_hold_total", "vn_hold calls." },
	{ "vnodes", 4, "vnode_release_total", "vn_rele calls." },
	{ "vnodes", 5, "vnode_reclaim_total", "vn_reclaim calls." },
	{ "vnodes", 6, "vnode_remove_total", "vn_remove calls." },
};
#define NCOUNTERS (sizeof counters / sizeof counters[0])

/* The lines whose values are exported, and room for their values. */
static const char *const kept[] = { "extent_alloc", "abt", "blk_map", "bmbt", "dir",
				    "ig",	    "rw",  "vnodes" };
#define NKEPT (sizeof kept / sizeof kept[0])

/* Next space-separated token of *cur, NUL-terminated in place, or NULL. */
static char *next_token(char **cur)
{
	char *p = *cur;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' || *p == '\f')
		p++;
	if (!*p)
		return *cur = p, NULL;
	char *t = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\v' && *p != '\f')
		p++;
	if (*p)
		*p++ = '\0';
	*cur = p;
	return t;
}

/* Parse one stats file; values[k][i] receive the kept lines. Returns 0 or -1 with why. */
static int parse_stats(char *text, uint32_t values[NKEPT][8], char *why, size_t whylen)
{
	memset(values, 0, sizeof(uint32_t) * NKEPT * 8);
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *rest = line;
		char *label = next_token(&rest);
		char *tok = label ? next_token(&rest) : NULL;
		if (!tok)
			continue; /* fewer than two fields */
		const char *name = label;
		bool wide = !strcmp(label, "xpc") || !strcmp(label, "defer_relog");
		/* "gc xpc" is a two-word label (a lone "gc xpc" falls through and fails). */
		if (!strcmp(label, "gc") && !strcmp(tok, "xpc") && *rest) {
			name = "gc xpc";
			wide = true;
			tok = next_token(&rest);
		}
		uint32_t v[16];
		unsigned n = 0;
		for (; tok; tok = next_token(&rest)) {
			uint64_t x;
			if (parse_u64(tok, &x) < 0 || (!wide && x > UINT32_MAX)) {
				strf(why, whylen, "invalid value '%s' on line %s", tok, name);
				return -1;
			}
			if (n < 16)
				v[n] = (uint32_t)x;
			n++;
		}
		if (wide) {
			unsigned want = !strcmp(name, "xpc") ? 3 : 1;
			if (n != want) {
				strf(why, whylen, "%u values on line %s", n, name);
				return -1;
			}
			continue;
		}
		for (size_t i = 0; i < sizeof line_sizes / sizeof line_sizes[0]; i++) {
			if (strcmp(label, line_sizes[i].label) != 0)
				continue;
			if (n < line_sizes[i].min || n > line_sizes[i].max) {
				strf(why, whylen, "%u values on line %s", n, label);
				return -1;
			}
			break;
		}
		for (size_t k = 0; k < NKEPT; k++)
			if (!strcmp(label, kept[k]))
				memcpy(values[k], v, sizeof(uint32_t) * (n < 8 ? n : 8));
	}
	return 0;
}

static int xfs_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (sys_path(dir, sizeof dir, "fs/xfs") < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	/* No XFS mounted: nothing to report, as upstream's glob finds nothing. */
	if (scrape_dirlist(s, dir, &dl) < 0)
		return COLLECT_OK;

	struct family *fam[NCOUNTERS];
	for (size_t i = 0; i < NCOUNTERS; i++) {
		char name[128];
		strf(name, sizeof name, "node_xfs_%s", counters[i].name);
		fam[i] = expo_family(e, name, METRIC_COUNTER, counters[i].help,
				     (const char *const[]){ "device", NULL });
	}
	int rc = COLLECT_OK;
	for (size_t d = 0; d < dl.n && rc == COLLECT_OK; d++) {
		char path[4096];
		if (pathf(path, sizeof path, "%s/%s/stats/stats", dir, dl.names[d]) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		struct buf *b = scrape_buf(s);
		int r = scrape_read(s, path, b);
		if (r == -ENOENT || r == -ENOTDIR)
			continue; /* not a filesystem directory (e.g. /sys/fs/xfs/stats) */
		if (r < 0) {
			rc = scrape_fail(s, "couldn't read %s: %s", path, strerror(-r));
			break;
		}
		uint32_t values[NKEPT][8];
		char why[160];
		if (parse_stats(b->data, values, why, sizeof why) < 0) {
			rc = scrape_fail(s, "%s: %s", path, why);
			break;
		}
		for (size_t i = 0; i < NCOUNTERS; i++)
			for (size_t k = 0; k < NKEPT; k++)
				if (!strcmp(counters[i].label, kept[k]))
					expo_sample(e, fam[i], (double)values[k][counters[i].idx],
						    dl.names[d]);
	}
	dirlist_free(&dl);
	return rc;
}

const struct collector_def collector_xfs = {
	.name = "xfs",
	.default_enabled = true,
	.collect = xfs_collect,
};
