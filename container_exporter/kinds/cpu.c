/*
 * Kind "cpu" (and "percpu"): CPU time from cpuacct (v1) or cpu.stat (v2),
 * CFS throttling only for cgroups with a quota, as cAdvisor.
 */
#include <stdlib.h>
#include <unistd.h>

#include "../../common/parse.h"
#include "../cgparse.h"
#include "../container.h"

/* cpu.stat keys of both versions. */
enum { S_USAGE, S_USER, S_SYSTEM, S_PERIODS, S_THROTTLED, S_THROTTLED_NS, S_THROTTLED_US,
       S_BURSTS, S_BURST_NS, S_BURST_US, S_N };
static const char *const stat_keys[S_N] = {
	[S_USAGE] = "usage_usec", [S_USER] = "user_usec", [S_SYSTEM] = "system_usec",
	[S_PERIODS] = "nr_periods", [S_THROTTLED] = "nr_throttled",
	[S_THROTTLED_NS] = "throttled_time", [S_THROTTLED_US] = "throttled_usec",
	[S_BURSTS] = "nr_bursts", [S_BURST_NS] = "burst_time", [S_BURST_US] = "burst_usec",
};

#define HAS(bit) (found & (1ull << (bit)))

struct fams {
	struct family *user, *system, *usage, *periods, *throttled, *throttled_s, *bursts,
		*burst_s;
};

static void declare(struct scan *sc, struct expo *e, struct fams *f)
{
	f->user = FAMILY(sc, e, "container_cpu_user_seconds_total", METRIC_COUNTER,
			 "Cumulative CPU time the cgroup's tasks spent in user mode, in seconds.", NULL);
	f->system = FAMILY(sc, e, "container_cpu_system_seconds_total", METRIC_COUNTER,
			   "Cumulative CPU time the cgroup's tasks spent in kernel mode, in seconds.",
			   NULL);
	f->usage = FAMILY(sc, e, "container_cpu_usage_seconds_total", METRIC_COUNTER,
			  "Cumulative CPU time consumed by the cgroup, per CPU or in total, in seconds.",
			  "cpu", NULL);
	f->periods = FAMILY(sc, e, "container_cpu_cfs_periods_total", METRIC_COUNTER,
			    "Number of CFS enforcement periods that have elapsed with runnable tasks.",
			    NULL);
	f->throttled = FAMILY(sc, e, "container_cpu_cfs_throttled_periods_total", METRIC_COUNTER,
			      "Number of CFS periods in which the cgroup was throttled.", NULL);
	f->throttled_s = FAMILY(sc, e, "container_cpu_cfs_throttled_seconds_total",
				METRIC_COUNTER,
				"Total time the cgroup's tasks were throttled by its CFS quota, in seconds.",
				NULL);
	f->bursts = FAMILY(sc, e, "container_cpu_cfs_burst_periods_total", METRIC_COUNTER,
			   "Number of CFS periods in which the cgroup used burst time.", NULL);
	f->burst_s = FAMILY(sc, e, "container_cpu_cfs_burst_seconds_total", METRIC_COUNTER,
			    "Total burst time the cgroup used beyond its quota, in seconds.", NULL);
}

/* Per-CPU usage from cpuacct.usage_percpu: one series per CPU with a non-zero counter. */
static bool percpu(struct scan *sc, struct expo *e, struct fams *f, struct cg *cg, int h)
{
	struct buf *b = &sc->cx->rd;
	if (cg_read(sc, cg, h, "cpuacct.usage_percpu", b) < 0)
		return false;
	uint64_t stack[256], *vals = stack;
	size_t n;
	if (cgp_list(b->data, stack, 256, &n) < 0) {
		scan_bad_file(sc, cg, "cpuacct.usage_percpu", "not a list of numbers");
		return true;
	}
	if (n > 256) {
		/* cgp_list leaves the text as it was: parse it again into a larger array. */
		vals = malloc(n * sizeof *vals);
		if (!vals || cgp_list(b->data, vals, n, &n) < 0) {
			free(vals);
			return true;
		}
	}
	if (n == 0) {
		if (vals != stack)
			free(vals);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!vals[i])
			continue;
		char label[16];
		strf(label, sizeof label, "cpu%02zu", i);
		SAMPLE(sc, e, f->usage, cg, (double)vals[i] / 1e9, label);
	}
	if (vals != stack)
		free(vals);
	return true;
}

static void v1_usage(struct scan *sc, struct expo *e, struct fams *f, struct cg *cg, int h)
{
	struct buf *b = &sc->cx->rd;
	static const char *const keys[2] = { "user", "system" };
	uint64_t v[2], found;
	if (cg_read(sc, cg, h, "cpuacct.stat", b) == 0) {
		if (cgp_keyed(b->data, keys, 2, v, &found) < 0 || found != 3) {
			scan_bad_file(sc, cg, "cpuacct.stat", "no user and system lines");
		} else {
			/* USER_HZ ticks to nanoseconds in integers, as libcontainer, then seconds. */
			long hz = sysconf(_SC_CLK_TCK);
			uint64_t tick = hz > 0 ? (uint64_t)hz : 100;
			SAMPLE(sc, e, f->user, cg, (double)(v[0] * 1000000000ull / tick) / 1e9, NULL);
			SAMPLE(sc, e, f->system, cg, (double)(v[1] * 1000000000ull / tick) / 1e9, NULL);
		}
	}
	if ((sc->cx->o.kinds & KIND_BIT(K_PERCPU)) && percpu(sc, e, f, cg, h))
		return;
	uint64_t total;
	if (cg_read_u64(sc, cg, h, "cpuacct.usage", &total) == 0 && total > 0)
		SAMPLE(sc, e, f->usage, cg, (double)total / 1e9, "total");
}

static void collect(struct scan *sc, struct expo *e)
{
	struct fams f;
	declare(sc, e, &f);
	struct buf *b = &sc->cx->rd;
	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		if (cg == sc->cx->root && sc->cx->o.disable_root_stats)
			continue;
		uint64_t v[S_N], found = 0;
		int ha = cg_hier(sc, cg, CTL_CPUACCT);
		if (ha >= 0 && !hier_v2(sc, ha)) {
			v1_usage(sc, e, &f, cg, ha);
		} else if (ha >= 0 && cg_read(sc, cg, ha, "cpu.stat", b) == 0) {
			if (cgp_keyed(b->data, stat_keys, S_N, v, &found) < 0) {
				scan_bad_file(sc, cg, "cpu.stat", "not \"key value\" lines");
				found = 0;
			}
			if (HAS(S_USER))
				SAMPLE(sc, e, f.user, cg, (double)v[S_USER] / 1e6, NULL);
			if (HAS(S_SYSTEM))
				SAMPLE(sc, e, f.system, cg, (double)v[S_SYSTEM] / 1e6, NULL);
			if (HAS(S_USAGE) && v[S_USAGE] > 0)
				SAMPLE(sc, e, f.usage, cg, (double)v[S_USAGE] / 1e6, "total");
		}

		/* Throttling counters only where a quota is set. */
		const struct cpuspec *spec = cg_cpuspec(sc, cg);
		if (!spec->quota)
			continue;
		int hc = cg_hier(sc, cg, CTL_CPU);
		if (hc != ha || !found) {
			found = 0;
			if (hc < 0 || cg_read(sc, cg, hc, "cpu.stat", b) < 0)
				continue;
			if (cgp_keyed(b->data, stat_keys, S_N, v, &found) < 0) {
				scan_bad_file(sc, cg, "cpu.stat", "not \"key value\" lines");
				continue;
			}
		}
		if (HAS(S_PERIODS))
			SAMPLE(sc, e, f.periods, cg, (double)v[S_PERIODS], NULL);
		if (HAS(S_THROTTLED))
			SAMPLE(sc, e, f.throttled, cg, (double)v[S_THROTTLED], NULL);
		if (HAS(S_THROTTLED_US))
			SAMPLE(sc, e, f.throttled_s, cg, (double)v[S_THROTTLED_US] / 1e6, NULL);
		else if (HAS(S_THROTTLED_NS))
			SAMPLE(sc, e, f.throttled_s, cg, (double)v[S_THROTTLED_NS] / 1e9, NULL);
		if (HAS(S_BURSTS))
			SAMPLE(sc, e, f.bursts, cg, (double)v[S_BURSTS], NULL);
		if (HAS(S_BURST_US))
			SAMPLE(sc, e, f.burst_s, cg, (double)v[S_BURST_US] / 1e6, NULL);
		else if (HAS(S_BURST_NS))
			SAMPLE(sc, e, f.burst_s, cg, (double)v[S_BURST_NS] / 1e9, NULL);
	}
}

const struct kind_collector collector_cpu = { .kind = K_CPU, .collect = collect };
