/*
 * zoneinfo: per memory zone statistics from /proc/zoneinfo. The file is
 * cut into blocks where a line starts with "Node" ("Node 0, zone DMA32"),
 * as upstream does; the known "key value" lines of a block (the per-node
 * statistics printed in a node's first zone included) become
 * node_zoneinfo_*{node,zone}, and "protection: (0, 2039, ...)" becomes
 * node_zoneinfo_protection_<i>. A value that does not parse leaves its
 * metric out.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const struct {
	const char *key, *name, *help;
	enum metric_type type;
} zone_fields[] = {
	{ "nr_free_pages", "nr_free_pages", "Free pages in the zone.", METRIC_GAUGE },
	{ "min", "min_pages", "Zone watermark pages_min.", METRIC_GAUGE },
	{ "low", "low_pages", "Zone watermark pages_low.", METRIC_GAUGE },
	{ "high", "high_pages", "Zone watermark pages_high.", METRIC_GAUGE },
	{ "scanned", "scanned_pages", "Pages scanned since the last reclaim.", METRIC_GAUGE },
	{ "spanned", "spanned_pages", "Pages the zone spans, holes included.", METRIC_GAUGE },
	{ "present", "present_pages", "Physical pages in the zone.", METRIC_GAUGE },
	{ "managed", "managed_pages", "Present pages managed by the buddy allocator.", METRIC_GAUGE },
	{ "nr_active_anon", "nr_active_anon_pages", "Anonymous pages on the active list.", METRIC_GAUGE },
	{ "nr_inactive_anon", "nr_inactive_anon_pages", "Anonymous pages on the inactive list.", METRIC_GAUGE },
	{ "nr_isolated_anon", "nr_isolated_anon_pages", "Anonymous pages isolated from the LRU for now.", METRIC_GAUGE },
	{ "nr_anon_pages", "nr_anon_pages", "Anonymous pages in use.", METRIC_GAUGE },
	{ "nr_anon_transparent_hugepages", "nr_anon_transparent_hugepages",
	  "Anonymous transparent huge pages in use.", METRIC_GAUGE },
	{ "nr_active_file", "nr_active_file_pages", "File-backed pages on the active list.", METRIC_GAUGE },
	{ "nr_inactive_file", "nr_inactive_file_pages", "File-backed pages on the inactive list.", METRIC_GAUGE },
	{ "nr_isolated_file", "nr_isolated_file_pages", "File-backed pages isolated from the LRU for now.", METRIC_GAUGE },
	{ "nr_file_pages", "nr_file_pages", "File pages.", METRIC_GAUGE },
	{ "nr_slab_reclaimable", "nr_slab_reclaimable_pages", "Reclaimable slab pages.", METRIC_GAUGE },
	{ "nr_slab_unreclaimable", "nr_slab_unreclaimable_pages", "Unreclaimable slab pages.", METRIC_GAUGE },
	{ "nr_mlock_stack", "nr_mlock_stack_pages", "Pages mlock()ed and taken off the LRU.", METRIC_GAUGE },
	{ "nr_kernel_stack", "nr_kernel_stacks", "Kernel stacks.", METRIC_GAUGE },
	{ "nr_mapped", "nr_mapped_pages", "Mapped pages.", METRIC_GAUGE },
	{ "nr_dirty", "nr_dirty_pages", "Dirty pages.", METRIC_GAUGE },
	{ "nr_writeback", "nr_writeback_pages", "Pages under writeback.", METRIC_GAUGE },
	{ "nr_unevictable", "nr_unevictable_pages", "Unevictable pages.", METRIC_GAUGE },
	{ "nr_shmem", "nr_shmem_pages", "Shared memory pages (tmpfs and GEM included).", METRIC_GAUGE },
	{ "nr_dirtied", "nr_dirtied_total", "Pages dirtied since boot.", METRIC_COUNTER },
	{ "nr_written", "nr_written_total", "Pages written since boot.", METRIC_COUNTER },
	{ "numa_hit", "numa_hit_total", "Allocations satisfied on the intended node.", METRIC_COUNTER },
	{ "numa_miss", "numa_miss_total", "Allocations satisfied here although intended elsewhere.", METRIC_COUNTER },
	{ "numa_foreign", "numa_foreign_total", "Allocations intended here and satisfied elsewhere.", METRIC_COUNTER },
	{ "numa_interleave", "numa_interleave_total", "Interleaved allocations that preferred this zone.",
	  METRIC_COUNTER },
	{ "numa_local", "numa_local_total", "Allocations from the local node.", METRIC_COUNTER },
	{ "numa_other", "numa_other_total", "Allocations from another node.", METRIC_COUNTER },
};
#define ZONE_NFIELDS (sizeof zone_fields / sizeof zone_fields[0])
/* Protection entries: one per zone of the node (5 or 6 in practice). */
#define ZONE_MAX_PROTECTION 32

struct zone_block {
	char node[32], zone[64];
	bool has[ZONE_NFIELDS];
	int64_t v[ZONE_NFIELDS];
	size_t nprot;
	int64_t prot[ZONE_MAX_PROTECTION];
};

/* Upstream's (\d+), zone\s+(\w+) anywhere in the line. */
static bool zone_header(const char *line, struct zone_block *b)
{
	for (const char *p = strstr(line, ", zone"); p; p = strstr(p + 1, ", zone")) {
		const char *d = p;
		while (d > line && isdigit((unsigned char)d[-1]))
			d--;
		const char *w = p + 6, *ws = w;
		while (isspace((unsigned char)*w))
			w++;
		const char *we = w;
		while (isalnum((unsigned char)*we) || *we == '_')
			we++;
		if (d == p || w == ws || we == w)
			continue;
		strf(b->node, sizeof b->node, "%.*s", (int)(p - d), d);
		strf(b->zone, sizeof b->zone, "%.*s", (int)(we - w), w);
		return true;
	}
	return false;
}

/* "protection: (0, 2039, 31932)": kept only when every value parses. */
static void zone_protection(const char *line, struct zone_block *b)
{
	const char *start = strchr(line, ':');
	char buf[1024];
	strf(buf, sizeof buf, "%s", start + 1);
	char *end = strchr(buf, ':');
	if (end)
		*end = '\0';
	char *open = strchr(buf, '(');
	if (open)
		memmove(open, open + 1, strlen(open));
	char *close = strchr(buf, ')');
	if (close)
		memmove(close, close + 1, strlen(close));
	char *items[ZONE_MAX_PROTECTION + 1];
	size_t n = split_on(trim(buf), ',', items, ZONE_MAX_PROTECTION + 1);
	if (n > ZONE_MAX_PROTECTION)
		return;
	int64_t v[ZONE_MAX_PROTECTION];
	for (size_t i = 0; i < n; i++) {
		/* Items are separated by ", ": every item but the first starts with one space. */
		const char *it = items[i];
		if (i > 0) {
			if (*it != ' ')
				return;
			it++;
		}
		if (parse_i64(it, &v[i]) < 0)
			return;
	}
	memcpy(b->prot, v, n * sizeof v[0]);
	b->nprot = n;
}

static void zone_emit(struct expo *e, const struct zone_block *b)
{
	static const char *const labels[] = { "node", "zone", NULL };
	for (size_t i = 0; i < ZONE_NFIELDS; i++) {
		if (!b->has[i])
			continue;
		char name[96];
		strf(name, sizeof name, "node_zoneinfo_%s", zone_fields[i].name);
		struct family *f = expo_family(e, name, zone_fields[i].type, zone_fields[i].help, labels);
		expo_sample(e, f, (double)b->v[i], b->node, b->zone);
	}
	for (size_t i = 0; i < b->nprot; i++) {
		char name[64], help[96];
		strf(name, sizeof name, "node_zoneinfo_protection_%zu", i);
		strf(help, sizeof help, "Entry %zu of the zone's protection array (lowmem reserve), in pages.", i);
		struct family *f = expo_family(e, name, METRIC_GAUGE, help, labels);
		expo_sample(e, f, (double)b->prot[i], b->node, b->zone);
	}
}

static int zoneinfo_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "zoneinfo") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	struct zone_block b;
	memset(&b, 0, sizeof b);
	bool first = true;
	for (char *cur = text, *line; (line = next_line(&cur)); first = false) {
		if (!first && has_prefix(line, "Node")) {
			zone_emit(e, &b);
			memset(&b, 0, sizeof b);
		}
		if (zone_header(line, &b))
			continue;
		char *t = trim(line);
		if (has_prefix(t, "per-node stats"))
			continue;
		if (has_prefix(t, "protection:")) {
			zone_protection(t, &b);
			continue;
		}
		char *fld[2];
		if (split_fields(t, fld, 2) < 2)
			continue;
		for (size_t i = 0; i < ZONE_NFIELDS; i++) {
			if (strcmp(fld[0], zone_fields[i].key))
				continue;
			b.has[i] = sysfs_parse_int(fld[1], &b.v[i]) == 0;
			break;
		}
	}
	zone_emit(e, &b);
	return COLLECT_OK;
}

const struct collector_def collector_zoneinfo = {
	.name = "zoneinfo",
	.default_enabled = false,
	.collect = zoneinfo_collect,
};
