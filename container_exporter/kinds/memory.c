/*
 * Kind "memory": usage, working set (cAdvisor's rule: usage minus inactive
 * file pages, floored at 0), RSS, cache, swap, mapped files, faults, and
 * the v2 event and reclaim counters, from memory.* files.
 */
#include <errno.h>
#include <string.h>

#include "../../common/parse.h"
#include "../cgparse.h"
#include "../container.h"

enum {
	M_CACHE, M_RSS, M_MAPPED, M_SWAP, M_TCACHE, M_TRSS, M_TMAPPED, M_TSWAP, M_PGFAULT,
	M_PGMAJFAULT, M_TINACTIVE, M_TACTIVE, M_REFAULT_FILE, M_REFAULT_ANON, M_DIRTY,
	M_WRITEBACK, M_TDIRTY, M_TWRITEBACK,
	/* cgroup v2 */
	M_ANON, M_FILE, M_FILE_MAPPED, M_ACTIVE_FILE, M_INACTIVE_FILE, M_FILE_DIRTY,
	M_FILE_WRITEBACK, M_PGSCAN, M_PGSTEAL, M_KERNEL, M_N
};

static const char *const keys[M_N] = {
	[M_CACHE] = "cache", [M_RSS] = "rss", [M_MAPPED] = "mapped_file", [M_SWAP] = "swap",
	[M_TCACHE] = "total_cache", [M_TRSS] = "total_rss", [M_TMAPPED] = "total_mapped_file",
	[M_TSWAP] = "total_swap", [M_PGFAULT] = "pgfault", [M_PGMAJFAULT] = "pgmajfault",
	[M_TINACTIVE] = "total_inactive_file", [M_TACTIVE] = "total_active_file",
	[M_REFAULT_FILE] = "workingset_refault_file", [M_REFAULT_ANON] = "workingset_refault_anon",
	[M_DIRTY] = "dirty", [M_WRITEBACK] = "writeback", [M_TDIRTY] = "total_dirty",
	[M_TWRITEBACK] = "total_writeback", [M_ANON] = "anon", [M_FILE] = "file",
	[M_FILE_MAPPED] = "file_mapped", [M_ACTIVE_FILE] = "active_file",
	[M_INACTIVE_FILE] = "inactive_file", [M_FILE_DIRTY] = "file_dirty",
	[M_FILE_WRITEBACK] = "file_writeback", [M_PGSCAN] = "pgscan", [M_PGSTEAL] = "pgsteal",
	[M_KERNEL] = "kernel",
};

/* What one cgroup's files gave; a family is emitted only where its source was found. */
struct mem {
	uint64_t stat[M_N], found;
	bool stat_ok; /* memory.stat was read and parsed */
	bool has_usage, has_max, has_failcnt, has_kernel, has_swap, has_events;
	uint64_t usage, max, failcnt, kernel, swap, ev_high, ev_max;
	int cache, rss, mapped, swapkey, dirty, writeback, active, inactive; /* stat index or -1 */
};

#define FOUND(m, k) ((m)->found & (1ull << (k)))

/* SwapTotal - SwapFree of <procfs>/meminfo in bytes (the v2 root has no memory.swap.current). */
static bool host_swap_used(struct scan *sc, uint64_t *used)
{
	char p[4096];
	struct buf *b = &sc->cx->rd2;
	if (proc_path(p, sizeof p, "meminfo") < 0 || read_whole(p, b) < 0)
		return false;
	uint64_t total = 0, free_kb = 0;
	int got = 0;
	char *cur = b->data, *line;
	while ((line = next_line(&cur)) != NULL) {
		char *f[3];
		if (split_fields(line, f, 3) < 2)
			continue;
		if (!strcmp(f[0], "SwapTotal:") && parse_u64(f[1], &total) == 0)
			got |= 1;
		else if (!strcmp(f[0], "SwapFree:") && parse_u64(f[1], &free_kb) == 0)
			got |= 2;
	}
	if (got != 3)
		return false;
	*used = total > free_kb ? (total - free_kb) * 1024 : 0;
	return true;
}

static bool read_v1(struct scan *sc, struct cg *cg, int h, struct mem *m)
{
	struct buf *b = &sc->cx->rd;
	int rc = cg_read_u64(sc, cg, h, "memory.usage_in_bytes", &m->usage);
	if (rc == -ENOENT)
		return false;
	m->has_usage = rc == 0;
	m->has_max = cg_read_u64(sc, cg, h, "memory.max_usage_in_bytes", &m->max) == 0;
	m->has_failcnt = cg_read_u64(sc, cg, h, "memory.failcnt", &m->failcnt) == 0;
	m->has_kernel = cg_read_u64(sc, cg, h, "memory.kmem.usage_in_bytes", &m->kernel) == 0;
	/*
	 * use_hierarchy changes only when written (an event, where the
	 * directory is watched) and only while the cgroup has no children:
	 * unwatched, it is read now and then.
	 */
	bool stale = cg->wd[h] > 0 ? !cg_cfg_current(sc->cx, cg, h, cg->hier_checked)
				   : !cg->hier_checked || sc->cx->gen - cg->hier_checked >= 64;
	if (stale) {
		uint64_t v = 1;
		cg_read_u64(sc, cg, h, "memory.use_hierarchy", &v);
		cg->use_hierarchy = v != 0;
		cg->hier_checked = sc->cx->gen;
	}
	bool hier = cg->use_hierarchy;
	if (cg_read(sc, cg, h, "memory.stat", b) == 0) {
		m->stat_ok = cgp_keyed(b->data, keys, M_N, m->stat, &m->found) == 0;
		if (!m->stat_ok) {
			scan_bad_file(sc, cg, "memory.stat", "not \"key value\" lines");
			m->found = 0;
		}
	}
	/* libcontainer's choice: hierarchical totals when use_hierarchy is set. */
	m->cache = hier ? M_TCACHE : M_CACHE;
	m->rss = hier ? M_TRSS : M_RSS;
	m->mapped = hier ? M_TMAPPED : M_MAPPED;
	m->swapkey = hier ? M_TSWAP : M_SWAP;
	m->dirty = hier ? M_TDIRTY : M_DIRTY;
	m->writeback = hier ? M_TWRITEBACK : M_WRITEBACK;
	/* cAdvisor reads the total_ keys for active/inactive file on v1 either way. */
	m->active = M_TACTIVE;
	m->inactive = M_TINACTIVE;
	if (FOUND(m, m->swapkey)) {
		m->has_swap = true;
		m->swap = m->stat[m->swapkey];
	}
	return true;
}

static bool read_v2(struct scan *sc, struct cg *cg, int h, struct mem *m)
{
	struct buf *b = &sc->cx->rd;
	bool root = cg == sc->cx->root;
	int rc = cg_read(sc, cg, h, "memory.stat", b);
	if (rc < 0)
		return false;
	m->stat_ok = cgp_keyed(b->data, keys, M_N, m->stat, &m->found) == 0;
	if (!m->stat_ok) {
		scan_bad_file(sc, cg, "memory.stat", "not \"key value\" lines");
		m->found = 0;
	}
	m->cache = M_FILE;
	m->rss = M_ANON;
	m->mapped = M_FILE_MAPPED;
	m->swapkey = -1;
	m->dirty = M_FILE_DIRTY;
	m->writeback = M_FILE_WRITEBACK;
	m->active = M_ACTIVE_FILE;
	m->inactive = M_INACTIVE_FILE;
	m->has_usage = cg_read_u64(sc, cg, h, "memory.current", &m->usage) == 0;
	if (!m->has_usage && root && FOUND(m, M_ANON) && FOUND(m, M_FILE)) {
		/* The root has no memory.current: libcontainer sums anon and file. */
		m->usage = m->stat[M_ANON] + m->stat[M_FILE];
		m->has_usage = true;
	}
	m->has_max = cg_read_u64(sc, cg, h, "memory.peak", &m->max) == 0; /* kernel >= 5.19 */
	if (FOUND(m, M_KERNEL)) {
		m->has_kernel = true;
		m->kernel = m->stat[M_KERNEL];
	}
	m->has_swap = cg_read_u64(sc, cg, h, "memory.swap.current", &m->swap) == 0;
	if (!m->has_swap && root)
		m->has_swap = host_swap_used(sc, &m->swap);
	static const char *const ev_keys[2] = { "high", "max" };
	uint64_t ev[2], found;
	if (cg_read(sc, cg, h, "memory.events", b) == 0) {
		if (cgp_keyed(b->data, ev_keys, 2, ev, &found) < 0 || found != 3) {
			scan_bad_file(sc, cg, "memory.events", "no high and max lines");
		} else {
			m->has_events = true;
			m->ev_high = ev[0];
			m->ev_max = ev[1];
		}
	}
	return true;
}

static void collect(struct scan *sc, struct expo *e)
{
	struct family *cache = FAMILY(sc, e, "container_memory_cache", METRIC_GAUGE,
				      "Page cache memory of the cgroup, in bytes.", NULL);
	struct family *rss = FAMILY(sc, e, "container_memory_rss", METRIC_GAUGE,
				    "Anonymous memory (RSS) of the cgroup, in bytes.", NULL);
	struct family *kernel = FAMILY(sc, e, "container_memory_kernel_usage", METRIC_GAUGE,
				       "Kernel memory charged to the cgroup, in bytes.", NULL);
	struct family *mapped = FAMILY(sc, e, "container_memory_mapped_file", METRIC_GAUGE,
				       "Memory-mapped file pages of the cgroup, in bytes.", NULL);
	struct family *swap = FAMILY(sc, e, "container_memory_swap", METRIC_GAUGE,
				     "Swap used by the cgroup, in bytes.", NULL);
	struct family *failcnt = FAMILY(sc, e, "container_memory_failcnt", METRIC_COUNTER,
					"Number of times the cgroup's memory usage hit its limit.", NULL);
	struct family *usage = FAMILY(sc, e, "container_memory_usage_bytes", METRIC_GAUGE,
				      "Memory charged to the cgroup, whether recently used or not, in bytes.",
				      NULL);
	struct family *maxu = FAMILY(sc, e, "container_memory_max_usage_bytes", METRIC_GAUGE,
				     "Highest memory usage recorded for the cgroup, in bytes.", NULL);
	struct family *ws = FAMILY(sc, e, "container_memory_working_set_bytes", METRIC_GAUGE,
				   "Memory usage minus inactive file pages, floored at 0 (the working set), in bytes.",
				   NULL);
	struct family *active = FAMILY(sc, e, "container_memory_total_active_file_bytes",
				       METRIC_GAUGE, "Active file pages of the cgroup, in bytes.", NULL);
	struct family *inactive = FAMILY(sc, e, "container_memory_total_inactive_file_bytes",
					 METRIC_GAUGE, "Inactive file pages of the cgroup, in bytes.",
					 NULL);
	struct family *failures = FAMILY(sc, e, "container_memory_failures_total", METRIC_COUNTER,
					 "Cumulative page faults of the cgroup's tasks, by fault type and scope.",
					 "failure_type", "scope", NULL);
	struct family *ev_high = FAMILY(sc, e, "container_memory_events_high_total", METRIC_COUNTER,
					"Number of times the cgroup was throttled for exceeding memory.high.",
					NULL);
	struct family *ev_max = FAMILY(sc, e, "container_memory_events_max_total", METRIC_COUNTER,
				       "Number of times the cgroup's usage was about to exceed memory.max.",
				       NULL);
	struct family *dirty = FAMILY(sc, e, "container_memory_file_dirty_bytes", METRIC_GAUGE,
				      "File pages modified but not yet written back, in bytes.", NULL);
	struct family *writeback = FAMILY(sc, e, "container_memory_file_writeback_bytes",
					  METRIC_GAUGE,
					  "File pages being written back to disk, in bytes.", NULL);
	struct family *pgscan = FAMILY(sc, e, "container_memory_pgscan_total", METRIC_COUNTER,
				       "Pages scanned by memory reclaim in the cgroup.", NULL);
	struct family *pgsteal = FAMILY(sc, e, "container_memory_pgsteal_total", METRIC_COUNTER,
					"Pages reclaimed from the cgroup.", NULL);
	struct family *rf_file = FAMILY(sc, e, "container_memory_workingset_refault_file_total",
					METRIC_COUNTER,
					"Refaults of previously evicted file pages.", NULL);
	struct family *rf_anon = FAMILY(sc, e, "container_memory_workingset_refault_anon_total",
					METRIC_COUNTER,
					"Refaults of previously evicted anonymous pages.", NULL);

	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		if (cg == sc->cx->root && sc->cx->o.disable_root_stats)
			continue;
		int h = cg_hier(sc, cg, CTL_MEMORY);
		if (h < 0)
			continue;
		struct mem m;
		memset(&m, 0, sizeof m);
		if (!(hier_v2(sc, h) ? read_v2(sc, cg, h, &m) : read_v1(sc, cg, h, &m)))
			continue;
		const uint64_t *st = m.stat;
		if (FOUND(&m, m.cache))
			SAMPLE(sc, e, cache, cg, (double)st[m.cache], NULL);
		if (FOUND(&m, m.rss))
			SAMPLE(sc, e, rss, cg, (double)st[m.rss], NULL);
		if (m.has_kernel)
			SAMPLE(sc, e, kernel, cg, (double)m.kernel, NULL);
		if (FOUND(&m, m.mapped))
			SAMPLE(sc, e, mapped, cg, (double)st[m.mapped], NULL);
		if (m.has_swap)
			SAMPLE(sc, e, swap, cg, (double)m.swap, NULL);
		if (m.has_failcnt)
			SAMPLE(sc, e, failcnt, cg, (double)m.failcnt, NULL);
		if (m.has_usage)
			SAMPLE(sc, e, usage, cg, (double)m.usage, NULL);
		/* The working set needs memory.stat: without inactive_file it is the usage. */
		if (m.has_usage && m.stat_ok) {
			uint64_t wset = m.usage;
			if (FOUND(&m, m.inactive))
				wset = wset < st[m.inactive] ? 0 : wset - st[m.inactive];
			SAMPLE(sc, e, ws, cg, (double)wset, NULL);
		}
		if (m.has_max)
			SAMPLE(sc, e, maxu, cg, (double)m.max, NULL);
		if (FOUND(&m, m.active))
			SAMPLE(sc, e, active, cg, (double)st[m.active], NULL);
		if (FOUND(&m, m.inactive))
			SAMPLE(sc, e, inactive, cg, (double)st[m.inactive], NULL);
		/* cAdvisor reports the cgroup's own fault counters in both scopes. */
		if (FOUND(&m, M_PGFAULT)) {
			SAMPLE(sc, e, failures, cg, (double)st[M_PGFAULT], "pgfault", "container");
			SAMPLE(sc, e, failures, cg, (double)st[M_PGFAULT], "pgfault", "hierarchy");
		}
		if (FOUND(&m, M_PGMAJFAULT)) {
			SAMPLE(sc, e, failures, cg, (double)st[M_PGMAJFAULT], "pgmajfault", "container");
			SAMPLE(sc, e, failures, cg, (double)st[M_PGMAJFAULT], "pgmajfault", "hierarchy");
		}
		if (m.has_events) {
			SAMPLE(sc, e, ev_high, cg, (double)m.ev_high, NULL);
			SAMPLE(sc, e, ev_max, cg, (double)m.ev_max, NULL);
		}
		if (FOUND(&m, m.dirty))
			SAMPLE(sc, e, dirty, cg, (double)st[m.dirty], NULL);
		if (FOUND(&m, m.writeback))
			SAMPLE(sc, e, writeback, cg, (double)st[m.writeback], NULL);
		if (FOUND(&m, M_PGSCAN))
			SAMPLE(sc, e, pgscan, cg, (double)st[M_PGSCAN], NULL);
		if (FOUND(&m, M_PGSTEAL))
			SAMPLE(sc, e, pgsteal, cg, (double)st[M_PGSTEAL], NULL);
		if (FOUND(&m, M_REFAULT_FILE))
			SAMPLE(sc, e, rf_file, cg, (double)st[M_REFAULT_FILE], NULL);
		if (FOUND(&m, M_REFAULT_ANON))
			SAMPLE(sc, e, rf_anon, cg, (double)st[M_REFAULT_ANON], NULL);
	}
}

const struct kind_collector collector_memory = { .kind = K_MEMORY, .collect = collect };
